package io.eduemotionnet.synthetic;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * One simulated learner: the benchmark's generative process (the same as
 * model/edu_emotionnet/generator.py, sampled with Java random numbers). Three independent random
 * streams keep it replayable: the schedule (session lengths and gaps), the dynamics (affect, noise
 * levels, presence) and, per step, the embeddings. Truth can thus be recomputed from the dynamics
 * alone, and any step reached again after a restart. Each modality's content may lag (the spec's
 * per-modality lag): the simulator remembers the last expressed states of the session.
 */
public final class LearnerSimulator {
    private final BenchmarkSpec spec;
    private final double[][] joint;
    private final double[] jointInitial;
    private final double[][] spells; // per modality: {P(present -> missing), P(missing -> present)}
    private final double[] missingRates;
    private final double[][] offsets; // per modality: the learner's latent offset
    private final long seed;
    private final int learner;
    private final Schedule schedule;
    private final SplittableRandom dynamics;

    private long step = -1; // global step last simulated
    private int session = -1;
    private int stepInSession;
    private int jointState;
    private final int[] levels = new int[3];
    private final boolean[] missing = new boolean[3];
    private final int[] recentExpressed; // [d] = expressed state d steps ago in this session (the first one before its start)

    /** What happened at one step of a session (the hidden truth and what the sensors sent). */
    public static final class Step {
        public int session;
        public int stepInSession;
        public int felt;
        public int expressed;
        public final int[] levels = new int[3];
        public final boolean[] present = new boolean[3];
        /** [d] = the expressed state d steps earlier (before the session start: its first one); [0] = expressed. */
        public int[] recentExpressed;
    }

    public LearnerSimulator(BenchmarkSpec spec, long seed, int learner, double missingRate, int sessions) {
        this.spec = spec;
        this.seed = seed;
        this.learner = learner;
        this.joint = spec.jointTransition();
        this.jointInitial = spec.jointInitial();
        this.missingRates = spec.modalityMissingRates(missingRate);
        this.spells = new double[3][];
        for (int m = 0; m < 3; m++) {
            spells[m] = spellTransition(missingRates[m], spec.modalities[m].missingMeanSpell);
        }
        SplittableRandom offsetRng = new SplittableRandom(mix(seed, learner, 3));
        offsets = new double[3][];
        for (int m = 0; m < 3; m++) {
            BenchmarkSpec.ModalityParams p = spec.modalities[m];
            offsets[m] = new double[p.latent];
            for (int k = 0; k < p.latent; k++) {
                offsets[m][k] = p.offsetStd * offsetRng.nextGaussian();
            }
        }
        this.schedule = new Schedule(spec, seed, learner, sessions);
        this.dynamics = new SplittableRandom(mix(seed, learner, 1));
        this.recentExpressed = new int[spec.maxLag() + 1];
    }

    public Schedule schedule() {
        return schedule;
    }

    /** (P(present -> missing), P(missing -> present)) of an on/off chain with stationary missing rate. */
    static double[] spellTransition(double rate, double meanSpell) {
        if (rate <= 0) {
            return new double[] {0, 1};
        }
        double back = 1.0 / meanSpell;
        double drop = rate / (1 - rate) * back;
        if (drop > 1) {
            drop = 1;
            back = (1 - rate) / rate;
        }
        return new double[] {drop, back};
    }

    /**
     * Simulates up to global step {@code t} (steps must be asked for in increasing order) and returns
     * what happened there, or null when the learner is not in a session at {@code t}.
     */
    public Step stepTo(long t) {
        Step out = null;
        while (step < t) {
            step++;
            out = advance();
        }
        return out;
    }

    private Step advance() {
        int s = schedule.sessionAt(step);
        if (s < 0) {
            return null;
        }
        int c = spec.numClasses();
        if (s != session) { // a new session: every chain starts afresh, presence from its stationary law
            session = s;
            stepInSession = 0;
            jointState = draw(jointInitial);
            for (int m = 0; m < 3; m++) {
                levels[m] = draw(spec.modalities[m].levelInitial);
                missing[m] = dynamics.nextDouble() < missingRates[m];
            }
        } else {
            stepInSession++;
            jointState = draw(joint[jointState]);
            for (int m = 0; m < 3; m++) {
                levels[m] = draw(spec.modalities[m].levelTransition[levels[m]]);
                double u = dynamics.nextDouble();
                missing[m] = missing[m] ? u >= spells[m][1] : u < spells[m][0];
            }
        }
        int expressed = jointState % c;
        if (stepInSession == 0) {
            Arrays.fill(recentExpressed, expressed);
        } else {
            System.arraycopy(recentExpressed, 0, recentExpressed, 1, recentExpressed.length - 1);
            recentExpressed[0] = expressed;
        }
        Step out = new Step();
        out.session = session;
        out.stepInSession = stepInSession;
        out.felt = jointState / c;
        out.expressed = expressed;
        out.recentExpressed = recentExpressed.clone();
        for (int m = 0; m < 3; m++) {
            out.levels[m] = levels[m];
            out.present[m] = !missing[m];
        }
        return out;
    }

    private int draw(double[] probabilities) {
        double u = dynamics.nextDouble();
        double acc = 0;
        for (int i = 0; i < probabilities.length; i++) {
            acc += probabilities[i];
            if (u < acc) {
                return i;
            }
        }
        return probabilities.length - 1;
    }

    /** The random stream for the embeddings (and their timing and quality) of one step. */
    public SplittableRandom stepRandom(long globalStep) {
        return new SplittableRandom(mix(seed, learner, 1_000_003L * (globalStep + 7)));
    }

    /**
     * x = P (mu[shown] + b + s * eta) + sigma * mult[level] * eps; shown = the expressed state of d steps
     * earlier (d drawn from the modality's lag distribution; 0 without lag), or random under interference.
     */
    public float[] embedding(int modality, Step step, SplittableRandom rng) {
        BenchmarkSpec.ModalityParams p = spec.modalities[modality];
        int level = step.levels[modality];
        int content = p.maxLag() > 0 ? step.recentExpressed[drawLag(p, rng)] : step.expressed;
        int shown = p.levelInterference[level] ? rng.nextInt(spec.numClasses()) : content;
        double[] z = new double[p.latent];
        for (int k = 0; k < p.latent; k++) {
            z[k] = p.classMeans[shown][k] + offsets[modality][k] + p.withinClassStd * rng.nextGaussian();
        }
        double noise = p.noiseStd * p.levelMultipliers[level];
        float[] x = new float[p.dim];
        for (int i = 0; i < p.dim; i++) {
            double v = 0;
            double[] row = p.projection[i];
            for (int k = 0; k < p.latent; k++) {
                v += row[k] * z[k];
            }
            x[i] = (float) (v + noise * rng.nextGaussian());
        }
        return x;
    }

    private static int drawLag(BenchmarkSpec.ModalityParams p, SplittableRandom rng) {
        double u = rng.nextDouble();
        double acc = 0;
        for (int i = 0; i < p.lagSteps.length; i++) {
            acc += p.lagProbabilities[i];
            if (u < acc) {
                return p.lagSteps[i];
            }
        }
        return p.lagSteps[p.lagSteps.length - 1];
    }

    public float quality(int modality, Step step, SplittableRandom rng) {
        BenchmarkSpec.ModalityParams p = spec.modalities[modality];
        double q = p.qualityPerLevel[step.levels[modality]] + p.qualityJitter * rng.nextGaussian();
        return (float) Math.max(p.qualityMin, Math.min(p.qualityMax, q));
    }

    static long mix(long seed, long a, long b) {
        long h = seed * 0x9E3779B97F4A7C15L + a * 0xC2B2AE3D27D4EB4FL + b * 0x165667B19E3779F9L;
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        h ^= h >>> 33;
        return h;
    }

    /** When the learner's sessions happen, in global steps: a start offset, session lengths and gaps. */
    public static final class Schedule {
        static final int MAX_START_OFFSET = 15;
        static final int MIN_GAP = 10;
        static final int MAX_GAP = 60;
        private final List<long[]> sessions = new ArrayList<>(); // {index, start, length}
        private final SplittableRandom rng;
        private final BenchmarkSpec spec;
        private final int limit; // 0 = unbounded
        private int created;

        Schedule(BenchmarkSpec spec, long seed, int learner, int limit) {
            this.spec = spec;
            this.limit = limit;
            this.rng = new SplittableRandom(mix(seed, learner, 4));
            add(rng.nextInt(MAX_START_OFFSET));
        }

        private void add(long start) {
            sessions.add(new long[] {created++, start, spec.sessionMin + rng.nextInt(spec.sessionMax - spec.sessionMin + 1)});
        }

        private boolean extend() {
            if (limit != 0 && created == limit) {
                return false;
            }
            long[] last = sessions.get(sessions.size() - 1);
            add(last[1] + last[2] + MIN_GAP + rng.nextInt(MAX_GAP - MIN_GAP + 1));
            return true;
        }

        /** Session index at global step t (asked in increasing order), or -1 outside every session. */
        public int sessionAt(long t) {
            while (t >= endOf(sessions.get(sessions.size() - 1))) {
                if (!extend()) {
                    return -1;
                }
            }
            while (sessions.size() > 1 && endOf(sessions.get(0)) <= t) {
                sessions.remove(0); // steps are asked in increasing order: finished sessions are done with
            }
            for (long[] s : sessions) {
                if (t >= s[1] && t < endOf(s)) {
                    return (int) s[0];
                }
            }
            return -1;
        }

        /** {start, length} of the learner's first session, in global steps (asked before any stepping). */
        public long[] firstSession() {
            long[] first = sessions.get(0);
            return new long[] {first[1], first[2]};
        }

        /** Global step after the last session (bounded schedules only). */
        public long end() {
            if (limit == 0) {
                return Long.MAX_VALUE;
            }
            while (extend()) {
                // generate the remaining sessions
            }
            return endOf(sessions.get(sessions.size() - 1));
        }

        private static long endOf(long[] s) {
            return s[1] + s[2];
        }
    }
}
