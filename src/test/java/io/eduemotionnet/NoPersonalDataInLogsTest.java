package io.eduemotionnet;

import static org.assertj.core.api.Assertions.assertThat;

import io.eduemotionnet.config.JobConfig;
import io.eduemotionnet.ingest.IngestResult;
import io.eduemotionnet.ingest.RecordDecoder;
import io.eduemotionnet.model.ModelInfo;
import io.eduemotionnet.model.OnnxEmotionModel;
import io.eduemotionnet.synthetic.RawRecord;
import io.eduemotionnet.synthetic.SyntheticRecordGenerator;
import io.eduemotionnet.synthetic.SyntheticStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.io.StringWriter;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * No learner id, session id or embedding value in any log line: the embedded job and the Kafka
 * end-to-end jobs (events only; consent, withdrawal and erasure) run with the project's loggers at INFO and at DEBUG (everything else at INFO), an
 * appender added to the root logger captures every line (message and stack traces, from every thread),
 * and each line is searched for the ids and the embeddings' values the runs used.
 */
class NoPersonalDataInLogsTest {
    @RegisterExtension
    static final MiniClusterExtension CLUSTER = TestClusters.extension();

    /** Ids of the end-to-end test (learner-0 ...) and of the synthetic source (synthetic-000000 ...). */
    static final Pattern IDS = Pattern.compile("learner-\\d|synthetic-\\d{6}|guardian-");

    @AfterAll
    static void restoreLevels() {
        Configurator.setRootLevel(Level.WARN);
        Configurator.setLevel("io.eduemotionnet", Level.INFO);
    }

    @ParameterizedTest
    @ValueSource(strings = {"INFO", "DEBUG"})
    void noIdsOrEmbeddingsInAnyLogLine(String level) throws Exception {
        Set<String> values = embeddingValues();
        Capture capture = Capture.attach(Level.valueOf(level), values);
        try {
            new EmbeddedRunTest().theEmbeddedDefaultRunsAndSummarises();
            KafkaEndToEndTest.kafka.start(); // a fresh broker: the test creates its topics
            try {
                new KafkaEndToEndTest().eventsInPredictionsOutBadRecordsDeadLettered();
            } finally {
                KafkaEndToEndTest.kafka.stop();
            }
            KafkaConsentEndToEndTest.kafka.start();
            try {
                KafkaConsentEndToEndTest.createTopics();
                new KafkaConsentEndToEndTest().consentWithdrawalAndErasureThroughKafka(
                        java.nio.file.Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "savepoints"));
            } finally {
                KafkaConsentEndToEndTest.kafka.stop();
            }
        } finally {
            capture.detach();
        }
        assertThat(capture.sawJobModelLine).as("the capture sees the job's own INFO lines").isTrue();
        assertThat(capture.count.get()).as("and Flink's").isGreaterThan(100);
        assertThat(capture.leaks()).as("log lines (of %d at %s) with a learner or session id or an embedding value",
                capture.count.get(), level).isEmpty();
    }

    /** The detector itself: a line with an id or a value is caught (so the test above can fail). */
    @ParameterizedTest
    @ValueSource(strings = {"learner-0 scored", "session synthetic-000012-s000", "x=0.123456789"})
    void theDetectorCatchesALeak(String line) {
        Set<String> values = Set.of(Float.toString(0.12345679f).substring(0, 8));
        assertThat(IDS.matcher(line).find() || containsAny(line, values)).isTrue();
    }

    static boolean containsAny(String line, Set<String> values) {
        for (String v : values) {
            if (line.contains(v)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The embedding values both runs sent, as text (the first 8 characters of Float.toString: a value that
     * is logged in any usual format starts so). The end-to-end test's events come from TestEvents' seeds;
     * the embedded run's first steps are regenerated from the synthetic source's seed.
     */
    static Set<String> embeddingValues() throws Exception {
        Set<String> out = new HashSet<>();
        for (long seed = 0; seed < 13 * 31 + 3; seed++) { // the end-to-end tests' seeds
            for (io.eduemotionnet.avro.Modality m : io.eduemotionnet.avro.Modality.values()) {
                for (Float v : io.eduemotionnet.ingest.TestEvents.event("x", m, 1, seed).getEmbedding()) {
                    add(out, v);
                }
            }
        }
        JobConfig cfg = JobConfig.from(JobConfig.merge(new Configuration(), new String[] {"--edu.synthetic.learners", "30"}));
        ModelInfo model = OnnxEmotionModel.inspect(cfg.modelPath);
        SyntheticStream stream = SyntheticStream.fromConfig(cfg, model.stepMillis, System.currentTimeMillis());
        SyntheticRecordGenerator generator = new SyntheticRecordGenerator(stream);
        generator.open(null);
        RecordDecoder decoder = new RecordDecoder(model, cfg.idPattern, Long.MAX_VALUE / 4, Clock.systemUTC());
        for (long index = 0; index < 5L * stream.learners; index++) {
            for (RawRecord r : generator.map(index).records) {
                IngestResult d = decoder.decode(r.value, r.topic, r.partition, r.offset, null);
                if (d.event != null) {
                    for (float v : d.event.embedding) {
                        add(out, v);
                    }
                }
            }
        }
        return out;
    }

    private static void add(Set<String> out, float v) {
        String s = Float.toString(Math.abs(v));
        if (s.length() >= 8 && !s.contains("E")) {
            out.add(s.substring(0, 8)); // e.g. 0.123456: long enough not to match a timing by chance
        }
    }

    /** Every log event from every logger and thread, as text (message, and stack trace if any). */
    static final class Capture extends AbstractAppender {
        private final Set<String> values;
        private final List<String> leaks = Collections.synchronizedList(new ArrayList<>());
        final java.util.concurrent.atomic.AtomicLong count = new java.util.concurrent.atomic.AtomicLong();
        volatile boolean sawJobModelLine;

        private Capture(Set<String> values) {
            super("capture-for-privacy-test", null, null, true, Property.EMPTY_ARRAY);
            this.values = values;
        }

        static Capture attach(Level projectLevel, Set<String> values) {
            Capture c = new Capture(values);
            c.start();
            LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
            ctx.getConfiguration().addAppender(c);
            ctx.getConfiguration().getRootLogger().addAppender(c, Level.ALL, null);
            Configurator.setRootLevel(Level.INFO);
            Configurator.setLevel("io.eduemotionnet", projectLevel);
            ctx.updateLoggers();
            return c;
        }

        void detach() {
            LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
            ctx.getConfiguration().getRootLogger().removeAppender(getName());
            ctx.updateLoggers();
        }

        @Override
        public void append(LogEvent event) {
            StringBuilder sb = new StringBuilder(event.getLoggerName()).append(' ')
                    .append(event.getMessage().getFormattedMessage());
            if (event.getThrown() != null) {
                StringWriter w = new StringWriter();
                event.getThrown().printStackTrace(new PrintWriter(w));
                sb.append('\n').append(w);
            }
            String line = sb.toString();
            count.incrementAndGet();
            sawJobModelLine |= line.startsWith("io.eduemotionnet.EmotionJob model ");
            // checked as it comes (nothing kept but leaks): a log storm cannot fill the memory
            if (IDS.matcher(line).find() || containsAny(line, values)) {
                leaks.add(line);
            }
        }

        List<String> leaks() {
            synchronized (leaks) {
                return new ArrayList<>(leaks.subList(0, Math.min(20, leaks.size())));
            }
        }
    }
}
