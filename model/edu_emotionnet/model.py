"""Edu-EmotionNet: modality encoders -> CMAA -> per-modality evidence -> MIE weights -> TFL.

One time step for one learner (the streaming step form, see `step`):

  inputs     a missing modality's embedding is replaced by zeros first (`prepare`), so whatever
             its slot holds, NaN included, cannot reach the outputs
  quality    q_m = the producer's quality score (SNR, face-detection confidence, ASR confidence)
             scaled to [0, 1] by the benchmark spec's range, with k_m = 1 where it was reported
             (NaN in the input = not reported). Only the MIE reads it: the encoders do not, so
             reliability can reach the output through the weight alone.
  tokens     h_m = Enc_m(x_m) + type_m, zero when modality m is missing                      [3, H]
  CMAA       each present modality m queries the *other* modalities' tokens of the last
             `context` steps (the current one included), with a learned age embedding on the keys;
             h'_m = LN(h_m + Attn(h_m, others)); h''_m = LN(h'_m + FFN(h'_m))
  evidence   l_m = log_softmax(tau * z_m / |z_m|), z_m = Head_m(h''_m): modality m's own class
             evidence, normalised at a fixed temperature tau so that its scale cannot carry confidence;
             trained by its own auxiliary loss (the label)
  MIE        s_m = MLP_m(q_m (also as 8 Gaussian bumps over its range), k_m, log-energy of x_m,
             entropy of l_m, disagreement of l_m with the TFL's prior and with the other present
             modalities' evidence, plausibility of l_m under the posterior from the prior and the
             other modalities, cross-entropy of l_m with modality m's own evidence at its last
             present step (wrong content is a new random state at every step, true content is
             sticky), ...): the step's log-likelihood ratio for "modality m is reliable";
             r_m = a two-state filter per modality (reliable / unreliable, learned chain): the
             carried belief is moved one step through the chain, then s_m is added in logit space
             (a missing step adds nothing: the belief only drifts);
             w_m = r_m * present_m, in [0, 1], NOT normalised over modalities (all can be low),
             exactly 0 for a missing modality. Trained by its own loss only (no gradient from the
             prediction loss) to estimate the probability that l_m names the true class: it is
             l_m's top class or within a factor 2 of it (`reliability_target`, a binary form of the
             true-class probability of ConfidNet / QMF): w_m is the model's estimate, from this step
             and the modality's recent record, that modality m's own evidence is right at this step.
  fusion     e_m = w_m * l_m (the ONLY route by which modality m reaches the output);
             u = beta * sum_m e_m, beta > 0 one learned scale shared by all modalities
  TFL        logits = (u + Corr(w, mask, e of the last K steps, p of the last K-1 steps)) * any_present
                      + g * log(p_prev @ A),   g = sigmoid(Gate(...)) when anything is present, else 1
             p: the model's own previous predictions (pseudo-labels, fed back); A = softmax(transition
             logits); at a session start log(p_prev @ A) is replaced by learned initial log-priors.
             p = softmax(logits) is both the output and the next step's feedback. The correction reads
             each modality's weighted evidence over the last K steps, so it can re-align late content
             (text shows the state of 1-3 steps earlier).

The carried state per learner (float32, flat, `state_size` floats):
  [0, 3*(K-1)*H)        tokens of the last K-1 steps, [modality, age (oldest first), H]
  [.., + 3*(K-1))       their presence, [modality, age]
  [.., + (K-1)*3*C)     weighted per-modality evidence e of the last K-1 steps, [age, modality, C]
  [.., + (K-1)*C)       the model's own predictions p of the last K-1 steps, oldest first
                        (zeros = no such step yet; the last one is p_prev)
  with the MIE:
  [.., + 3*C)           each modality's evidence l at its last present step, [modality, C]
  [.., + 3)             whether it has had one
  [.., + 3)             the reliability filter's belief per modality (a logit relative to the learned start)
A new learner (or a reset) starts from zeros.

`forward` runs whole sessions (everything but the MIE's prior term and the TFL recurrence is
computed for all steps at once) and gives the same numbers as calling `step` step by step.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn import functional as F

NUM_MODALITIES = 3
QUALITY_BUMPS = 8  # the MIE reads the scaled quality score also through this many Gaussian bumps
QUALITY_BUMP_WIDTH = 1.0 / QUALITY_BUMPS



@dataclass(frozen=True)
class ModelConfig:
    dims: tuple[int, int, int] = (128, 512, 384)
    num_classes: int = 4
    hidden: int = 64
    heads: int = 4
    context: int = 6  # steps the CMAA sees: the current one and K-1 carried ones
    use_cmaa: bool = True
    use_mie: bool = True
    use_tfl: bool = True
    evidence_temperature: float = 5.0  # tau: fixed, so a modality's evidence cannot carry confidence in its scale
    mie_hidden: int = 32
    # floats of the TFL's carried memory, a GRU over each step's weighted evidence, weights, presence
    # and prediction (0: none). The propagated 4-class prior forgets how long ago the state changed and
    # what the sparse evidence since said; the memory lets the correction use it (model/README.md:
    # "What was tried to close it", 64 floats with train_missing (0.2, 0.8) as in TrainConfig)
    tfl_memory: int = 64
    # the range of each modality's quality score (benchmark spec), mapped to [0, 1]
    quality_ranges: tuple[tuple[float, float], ...] = ((-10.0, 40.0), (0.0, 1.0), (0.0, 1.0))

    def to_dict(self) -> dict:
        return asdict(self)

    @staticmethod
    def from_dict(d: dict) -> "ModelConfig":
        d = dict(d)
        d["dims"] = tuple(d["dims"])
        d.setdefault("tfl_memory", 0)  # a checkpoint from before model 2.4.0 has no TFL memory
        if "quality_ranges" in d:
            d["quality_ranges"] = tuple(tuple(float(v) for v in r) for r in d["quality_ranges"])
        return ModelConfig(**d)

    def with_(self, **changes) -> "ModelConfig":
        return ModelConfig(**{**asdict(self), "dims": self.dims, "quality_ranges": self.quality_ranges, **changes})


def log_energy(x: torch.Tensor) -> torch.Tensor:
    """log of the mean squared value of an embedding: a noise burst raises it."""
    return torch.log(x.pow(2).mean(dim=-1) + 1e-6)


class QualityScaler(nn.Module):
    """Raw quality scores [..., M] (NaN = not reported) -> (scaled to [0, 1], reported flag), both [..., M].

    Scaling in the graph keeps the job simple: it passes the mean of the scores its events carried."""

    def __init__(self, ranges: tuple[tuple[float, float], ...]):
        super().__init__()
        lo = torch.tensor([r[0] for r in ranges], dtype=torch.float32)
        span = torch.tensor([r[1] - r[0] for r in ranges], dtype=torch.float32)
        self.register_buffer("lo", lo, persistent=False)
        self.register_buffer("span", span, persistent=False)

    def forward(self, quality: torch.Tensor | None, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """quality None: no producer reported any score."""
        if quality is None:
            return torch.zeros_like(mask), torch.zeros_like(mask)
        known = (~torch.isnan(quality)).to(mask.dtype) * mask
        raw = torch.where(known > 0, quality, torch.zeros_like(quality))
        scaled = ((raw - self.lo) / self.span).clamp(0.0, 1.0) * known
        return scaled, known


def present_inputs(inputs: list[torch.Tensor], mask: torch.Tensor) -> list[torch.Tensor]:
    """Each embedding with a missing modality's values replaced by zeros.

    Multiplying by the mask afterwards is not enough: NaN * 0 = NaN, so whatever a caller puts in
    a missing modality's slot (garbage, NaN, Inf) must never reach an encoder or the log-energy."""
    return [torch.where(mask[..., i : i + 1] > 0, x, torch.zeros_like(x)) for i, x in enumerate(inputs)]


def with_quality(inputs: list[torch.Tensor], scaled: torch.Tensor, known: torch.Tensor) -> list[torch.Tensor]:
    """Each modality's embedding with its two quality features appended: what its encoder reads."""
    return [torch.cat([x, scaled[..., i : i + 1], known[..., i : i + 1]], dim=-1) for i, x in enumerate(inputs)]


def masked_softmax(scores: torch.Tensor, mask: torch.Tensor, dim: int) -> torch.Tensor:
    """Softmax over `dim` where mask==1; exactly 0 where mask==0, all 0 if nothing is present."""
    scores = scores.masked_fill(mask <= 0, -1e9)
    w = torch.softmax(scores, dim=dim) * mask
    total = w.sum(dim=dim, keepdim=True)
    return w / total.clamp_min(1e-12)


class ModalityEncoder(nn.Module):
    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.inp = nn.Linear(dim, hidden)
        self.out = nn.Linear(hidden, hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(F.gelu(self.inp(x)))


class CrossModalityAttention(nn.Module):
    """CMAA: a modality's token queries the other modalities' tokens over a bounded recent window."""

    def __init__(self, hidden: int, heads: int, context: int):
        super().__init__()
        self.heads = heads
        self.head_dim = hidden // heads
        self.q = nn.Linear(hidden, hidden)
        self.k = nn.Linear(hidden, hidden)
        self.v = nn.Linear(hidden, hidden)
        self.o = nn.Linear(hidden, hidden)
        self.age = nn.Parameter(torch.zeros(context, hidden))
        self.norm1 = nn.LayerNorm(hidden)
        self.ffn = nn.Sequential(nn.Linear(hidden, 2 * hidden), nn.GELU(), nn.Linear(2 * hidden, hidden))
        self.norm2 = nn.LayerNorm(hidden)
        other = 1.0 - torch.eye(NUM_MODALITIES)
        self.register_buffer("other", other, persistent=False)

    def forward(self, window: torch.Tensor, window_mask: torch.Tensor) -> torch.Tensor:
        """window: [N, M, K, H] tokens (last age = current step); window_mask: [N, M, K] -> [N, M, H]."""
        n, m, k, _ = window.shape
        hd, nh = self.head_dim, self.heads
        current = window[:, :, -1, :]
        q = self.q(current).reshape(n, m, nh, hd)
        keys = self.k(window + self.age).reshape(n, m, k, nh, hd)
        values = self.v(window).reshape(n, m, k, nh, hd)
        scores = torch.einsum("bqhd,bmkhd->bhqmk", q, keys) / math.sqrt(hd)
        # a query may look at the other modalities' present tokens only
        allowed = (window_mask.unsqueeze(1) * self.other.unsqueeze(-1)).unsqueeze(1)  # [N, 1, q, m, k]
        attn = masked_softmax(scores.reshape(n, nh, m, m * k), allowed.expand(n, nh, m, m, k).reshape(n, nh, m, m * k), -1)
        ctx = torch.einsum("bhqmk,bmkhd->bqhd", attn.reshape(n, nh, m, m, k), values).reshape(n, m, nh * hd)
        h = self.norm1(current + self.o(ctx))
        return self.norm2(h + self.ffn(h))


class EduEmotionNet(nn.Module):
    CONTEXT = 4  # CMAA features per modality for the MIE

    def __init__(self, config: ModelConfig = ModelConfig()):
        super().__init__()
        self.config = config
        h, c = config.hidden, config.num_classes
        self.quality = QualityScaler(config.quality_ranges)
        self.register_buffer("quality_centres", torch.linspace(0.0, 1.0, QUALITY_BUMPS), persistent=False)
        # the encoders see the embedding only: quality reaches the output through the MIE weight alone
        self.encoders = nn.ModuleList(ModalityEncoder(d, h) for d in config.dims)
        self.type_embedding = nn.Parameter(torch.zeros(NUM_MODALITIES, h))
        self.cmaa = CrossModalityAttention(h, config.heads, config.context) if config.use_cmaa else None
        self.context_out = nn.Linear(h, self.CONTEXT) if config.use_cmaa else None
        # each modality's own class evidence l_m
        self.evidence_norm = nn.LayerNorm(h)
        self.heads = nn.ModuleList(nn.Sequential(nn.Linear(h, h), nn.GELU(), nn.Linear(h, c)) for _ in config.dims)
        static = ModalityReliability.STATIC + (self.CONTEXT if config.use_cmaa else 0)
        self.mie = ModalityReliability(config.mie_hidden, static) if config.use_mie else None
        self.evidence_scale = nn.Parameter(torch.zeros(()))  # beta = softplus(.) / softplus(0): starts at 1
        if config.use_tfl:
            self.feedback_in = nn.Linear(2 * NUM_MODALITIES, h)
            self.instant_in = nn.Linear(config.context * NUM_MODALITIES * c, h, bias=False)
            self.prev_in = nn.Linear(self.past * c, h, bias=False)
            self.feedback_out = nn.Linear(h, c)
            self.prior_gate = nn.Linear(h, 1)
            if config.tfl_memory:
                self.memory_cell = nn.GRUCell(NUM_MODALITIES * c + 2 * NUM_MODALITIES + c, config.tfl_memory)
                self.memory_in = nn.Linear(config.tfl_memory, h, bias=False)
        self.transition_logits = nn.Parameter(torch.eye(c) * 3.0)
        self.initial_logits = nn.Parameter(torch.zeros(c))

    # ---- sizes of the carried state -------------------------------------------------------
    @property
    def past(self) -> int:
        return self.config.context - 1

    def state_blocks(self) -> list[tuple[str, tuple[int, ...]]]:
        """The carried state's blocks in order, (name, shape per learner): `split_state` cuts the
        state by this list and the ONNX metadata (`edu.state_layout`) is written from it."""
        h, p, c = self.config.hidden, self.past, self.config.num_classes
        return [
            ("tokens", (NUM_MODALITIES, p, h)),
            ("token_presence", (NUM_MODALITIES, p)),
            ("modality_evidence", (p, NUM_MODALITIES, c)),
            ("predictions", (p, c)),
        ] + ([] if self.mie is None else [
            ("last_evidence", (NUM_MODALITIES, c)),
            ("last_presence", (NUM_MODALITIES,)),
            ("reliability", (NUM_MODALITIES,)),
        ]) + ([("tfl_memory", (self.memory_size,))] if self.memory_size else [])

    @property
    def memory_size(self) -> int:
        """Floats of the TFL's carried memory (0 without the TFL or without a memory)."""
        return self.config.tfl_memory if self.config.use_tfl else 0

    @property
    def state_size(self) -> int:
        return sum(math.prod(shape) for _, shape in self.state_blocks())

    def initial_state(self, batch: int) -> torch.Tensor:
        return torch.zeros(batch, self.state_size)

    # ---- shared pieces ---------------------------------------------------------------------
    def prepare(
        self, inputs: list[torch.Tensor], mask: torch.Tensor, quality: torch.Tensor | None
    ) -> tuple[list[torch.Tensor], torch.Tensor, torch.Tensor]:
        """(embeddings with missing ones zeroed, scaled quality, reported flag): the only way inputs
        enter the model, in the step form and the whole-sequence form alike."""
        scaled, known = self.quality(quality, mask)
        return present_inputs(inputs, mask), scaled, known

    def tokens(self, inputs: list[torch.Tensor], mask: torch.Tensor) -> torch.Tensor:
        """[..., M, H] tokens, zero for missing modalities (inputs already through `prepare`)."""
        toks = torch.stack([enc(x) for enc, x in zip(self.encoders, inputs)], dim=-2) + self.type_embedding
        return toks * mask.unsqueeze(-1)

    def evidence(self, tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Each modality's own class evidence l_m [..., M, C] from its own current token only (so that
        discounting it is the MIE's job alone): a log-softmax of a unit-norm score at the fixed
        temperature tau (zeros for a missing modality)."""
        z = torch.stack([head(self.evidence_norm(tokens[..., i, :])) for i, head in enumerate(self.heads)], dim=-2)
        z = z / z.norm(dim=-1, keepdim=True).clamp_min(1e-6)
        return torch.log_softmax(self.config.evidence_temperature * z, dim=-1) * mask.unsqueeze(-1)

    def cross_modal_context(self, window: torch.Tensor, window_mask: torch.Tensor, mask: torch.Tensor) -> torch.Tensor | None:
        """CMAA: each present modality's token after attending to the other modalities' tokens of the
        last K steps, squeezed to a few features for the MIE [..., M, 4] (None without CMAA): the
        cross-modal context in which the MIE judges a modality's reliability."""
        if self.cmaa is None or self.mie is None:
            return None
        lead = window.shape[:-3]  # [B] in the step form, [B, T] for whole sessions
        aligned = self.cmaa(window.reshape(-1, *window.shape[-3:]), window_mask.reshape(-1, *window_mask.shape[-2:]))
        return self.context_out(aligned.reshape(*lead, *aligned.shape[-2:])) * mask.unsqueeze(-1)

    def reliability_inputs(
        self,
        inputs: list[torch.Tensor],
        mask: torch.Tensor,
        scaled: torch.Tensor,
        known: torch.Tensor,
        logl: torch.Tensor,
        context: torch.Tensor | None,
        previous: tuple[torch.Tensor, torch.Tensor],
    ) -> torch.Tensor:
        """The MIE's per-modality inputs that do not depend on the TFL's prior, [..., M, 8 + 8 (+4 with
        CMAA)]: quality, reported flag, log-energy, the evidence's entropy, its disagreement with the
        other present modalities (mean cross-entropy of their evidence under this one), the share of
        others present, its cross-entropy with the modality's own evidence at its last present step
        (`previous`: that evidence and whether there is one) and that flag, the quality as 8 bumps,
        and the CMAA's cross-modal context."""
        logl = logl.detach()  # the MIE reads the evidence; it does not train the evidence heads
        probs = logl.exp() * mask.unsqueeze(-1)
        energy = torch.stack([log_energy(x) for x in inputs], dim=-1) * mask
        entropy = -(probs * logl).sum(-1)
        # cross[..., m, n] = -sum_c p_n(c) l_m(c): how badly modality m's evidence explains modality n's
        cross = -torch.einsum("...nc,...mc->...mn", probs, logl)
        others = mask.unsqueeze(-2) * (1.0 - torch.eye(NUM_MODALITIES, dtype=mask.dtype))  # [..., m, n]: n present, n != m
        n_others = others.sum(-1)
        disagreement = (cross * others).sum(-1) / n_others.clamp_min(1.0)
        prev_logl, has_prev_step = previous
        jump = -(probs * prev_logl.detach()).sum(-1) * has_prev_step * mask  # evidence against its own last present step
        features = torch.stack([scaled, known, energy, entropy, disagreement, n_others / (NUM_MODALITIES - 1), jump, has_prev_step * mask], dim=-1)
        # the quality score also as a few bumps over its range: a level can sit in a narrow band
        # (interference scores just below clean ones, a noise burst far below), which one linear input
        # into a small MLP learns slowly
        bumps = torch.exp(-0.5 * ((scaled.unsqueeze(-1) - self.quality_centres) / QUALITY_BUMP_WIDTH) ** 2) * known.unsqueeze(-1)
        features = torch.cat([features, bumps], dim=-1)
        return features if context is None else torch.cat([features, context], dim=-1)

    @staticmethod
    def last_present(logl: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Whole sessions [B, T, M, C], [B, T, M] -> (each modality's evidence at its last present step
        before step t, [B, T, M, C], zeros if none; whether there is one [B, T, M]): what the step form
        carries in `last_evidence` and `last_presence`."""
        steps = torch.arange(mask.shape[1], device=mask.device).view(1, -1, 1).expand_as(mask)
        upto = torch.cummax(torch.where(mask > 0, steps, torch.full_like(steps, -1)), dim=1).values  # last present <= t
        before = F.pad(upto[:, :-1], (0, 0, 1, 0), value=-1)  # last present < t
        has = (before >= 0).to(logl.dtype)
        index = before.clamp_min(0).unsqueeze(-1).expand_as(logl)
        return logl.gather(1, index) * has.unsqueeze(-1), has

    def log_prior(self, history: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(propagated log-prior log(p_prev @ A), has_prev flag, the prior the MIE compares with) from the fed-back history."""
        prev = history[..., -1, :]
        has_prev = (prev.sum(dim=-1, keepdim=True) > 0.5).to(prev.dtype)
        propagated = torch.log(prev @ torch.softmax(self.transition_logits, dim=-1) + 1e-6)
        initial = torch.log_softmax(self.initial_logits, dim=-1)
        prior = torch.log_softmax(has_prev * propagated + (1.0 - has_prev) * initial, dim=-1)
        return propagated, has_prev, prior

    def weights(
        self, mie_static: torch.Tensor | None, logl: torch.Tensor, prior: torch.Tensor, has_prev: torch.Tensor, mask: torch.Tensor,
        belief: torch.Tensor | None,
    ) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
        """(MIE weights w [..., M] in [0, 1], exactly 0 where missing; their logits or None without MIE;
        the filter's new carried belief or None without MIE). belief: the filter's carried belief
        [..., M] (zeros at a session start; None without MIE)."""
        if self.mie is None:
            return mask, None, None
        logl, prior = logl.detach(), prior.detach()
        disagree_prior = -(prior.exp().unsqueeze(-2) * logl).sum(-1)  # [..., M]
        # how plausible modality m's evidence is given everything else: log sum_c p_m(c) q_-m(c), where
        # q_-m is the posterior from the TFL's prior and the OTHER present modalities' evidence (a wrong
        # voice, face or chat is improbable under it; the Bayes filter's own test for interference)
        others = (logl * mask.unsqueeze(-1)).sum(-2, keepdim=True) - logl  # [..., M, C]
        rest = torch.log_softmax(prior.unsqueeze(-2) + others, dim=-1)
        plausibility = torch.logsumexp(logl + rest, dim=-1) * mask
        dynamic = torch.stack([disagree_prior, has_prev.expand_as(disagree_prior), plausibility], dim=-1)
        logits, belief = self.mie.filter(belief, self.mie.score(mie_static, dynamic), mask)
        return torch.sigmoid(logits) * mask, logits, belief

    def fused_evidence(self, w: torch.Tensor, logl: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(weighted per-modality evidence e_m = w_m l_m [..., M, C], u = beta * sum_m e_m [..., C]).

        The weight enters as a given (no gradient from the prediction loss into the MIE): it is trained
        only to estimate reliability, so it cannot drift into routing classes to help the fusion."""
        e = w.detach().unsqueeze(-1) * logl
        beta = F.softplus(self.evidence_scale) / math.log(2.0)
        return e, beta * e.sum(dim=-2)

    def tfl_step(
        self,
        w: torch.Tensor,
        mask: torch.Tensor,
        evidence_window: torch.Tensor,
        u: torch.Tensor,
        history: torch.Tensor,
        any_present: torch.Tensor,
        propagated: torch.Tensor,
        has_prev: torch.Tensor,
        memory: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """The temporal feedback loop for one step.

        evidence_window: the weighted per-modality evidence e of the last K steps (this one last)
        [..., K, M, C]; history: the model's own (fed-back) predictions of the last K-1 steps, oldest
        first, zeros before the session start [..., K-1, C].
        logits = (u_t + correction(w, mask, e window, history)) * any_present + g * log(p_prev @ A):
        the correction sees each modality's evidence over time only through its weights (so it can
        re-align late content, but not bypass the MIE), the gate g in (0, 1) how far to trust the
        history; with nothing present g = 1 and the prediction is the propagated prior alone. At a
        session start the learned initial log-prior replaces the propagated one."""
        if not self.config.use_tfl:
            return u
        hidden = self.feedback_in(torch.cat([w, mask], dim=-1)) + self.instant_in(evidence_window.flatten(-3))
        if memory is not None:
            hidden = hidden + self.memory_in(memory)
        act = F.gelu(hidden + self.prev_in(history.flatten(-2)))
        evidence = (u + self.feedback_out(act)) * any_present
        g = torch.sigmoid(self.prior_gate(act))
        propagated = propagated * (g * any_present + (1.0 - any_present))
        initial = torch.log_softmax(self.initial_logits, dim=-1)
        return evidence + has_prev * propagated + (1.0 - has_prev) * initial

    def remember(self, memory: torch.Tensor | None, e: torch.Tensor, w: torch.Tensor, mask: torch.Tensor,
                 probs: torch.Tensor) -> torch.Tensor | None:
        """The TFL's memory after this step: it reads each modality's evidence only as w_m * l_m (so it
        cannot bypass the MIE), the weights, presence and the step's own prediction."""
        if memory is None:
            return None
        return self.memory_cell(torch.cat([e.flatten(-2), w, mask, probs], dim=-1), memory)

    # ---- streaming step form ---------------------------------------------------------------
    def split_state(self, state: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """[B, state_size] -> one tensor per block of `state_blocks`, in its order."""
        b, start, parts = state.shape[0], 0, []
        for _, shape in self.state_blocks():
            size = math.prod(shape)
            parts.append(state[:, start : start + size].reshape(b, *shape))
            start += size
        return tuple(parts)

    def step(
        self,
        audio: torch.Tensor,
        visual: torch.Tensor,
        text: torch.Tensor,
        mask: torch.Tensor,
        quality: torch.Tensor,
        state: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """One time step for a batch of learners: (probabilities, MIE weights, new state)."""
        inputs, scaled, known = self.prepare([audio, visual, text], mask, quality)
        past_tokens, past_masks, past_evidence, history, *mie_state = self.split_state(state)
        memory = mie_state.pop() if self.memory_size else None  # the last block, after the MIE's
        current = self.tokens(inputs, mask)
        window = torch.cat([past_tokens, current.unsqueeze(-2)], dim=-2)
        window_mask = torch.cat([past_masks, mask.unsqueeze(-1)], dim=-1)
        logl = self.evidence(current, mask)
        context = self.cross_modal_context(window, window_mask, mask)
        mie_static, belief = None, None
        if self.mie is not None:
            last_evidence, last_presence, belief = mie_state
            mie_static = self.mie.static(
                self.reliability_inputs(inputs, mask, scaled, known, logl, context, (last_evidence, last_presence)))
        propagated, has_prev, prior = self.log_prior(history)
        w, _, belief = self.weights(mie_static, logl, prior, has_prev, mask, belief)
        e, u = self.fused_evidence(w, logl)
        any_present = (mask.sum(dim=-1, keepdim=True) > 0).to(u.dtype)
        evidence_window = torch.cat([past_evidence, e.unsqueeze(1)], dim=1)
        logits = self.tfl_step(w, mask, evidence_window, u, history, any_present, propagated, has_prev, memory)
        probs = torch.softmax(logits, dim=-1)
        memory = self.remember(memory, e, w, mask, probs)
        b = state.shape[0]
        if self.config.use_tfl:
            history = torch.cat([history[:, 1:], probs.unsqueeze(1)], dim=1)
        new_state = torch.cat(
            [
                window[:, :, 1:, :].reshape(b, -1),
                window_mask[:, :, 1:].reshape(b, -1),
                evidence_window[:, 1:].reshape(b, -1),
                history.reshape(b, -1),
            ]
            + ([] if self.mie is None else [
                torch.where(mask.unsqueeze(-1) > 0, logl, last_evidence).reshape(b, -1),
                torch.maximum(mask, last_presence),
                belief,
            ])
            + ([] if memory is None else [memory]),
            dim=-1,
        )
        return probs, w, new_state

    # ---- whole-sequence form ---------------------------------------------------------------
    def windows(self, tokens: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """[B, T, M, H] -> [B, T, M, K, H] windows of the last K steps (zeros before the start)."""
        k = self.config.context
        padded = F.pad(tokens, (0, 0, 0, 0, k - 1, 0))
        padded_mask = F.pad(mask, (0, 0, k - 1, 0))
        win = padded.unfold(1, k, 1)  # [B, T, M, H, K]
        win_mask = padded_mask.unfold(1, k, 1)  # [B, T, M, K]
        return win.permute(0, 1, 2, 4, 3), win_mask

    def forward(
        self,
        audio: torch.Tensor,
        visual: torch.Tensor,
        text: torch.Tensor,
        mask: torch.Tensor,
        quality: torch.Tensor | None = None,
        teacher: torch.Tensor | None = None,
        teacher_ratio: float = 0.0,
        auxiliary: bool = False,
    ):
        """Whole sessions [B, T, ...]: (log-probabilities [B, T, C], MIE weights [B, T, M]), and with
        `auxiliary` a third item {"modality_evidence": l [B, T, M, C], "mie_logits": [B, T, M] or None}
        for the auxiliary losses (`auxiliary_loss`).

        quality: raw scores [B, T, M], NaN = not reported (None: none reported at all).

        teacher/teacher_ratio: scheduled sampling for the TFL during training; the fed-back
        prediction is teacher_ratio * one-hot(truth at t-1) + (1 - teacher_ratio) * own prediction.
        """
        inputs, scaled, known = self.prepare([audio, visual, text], mask, quality)
        tokens = self.tokens(inputs, mask)
        logl = self.evidence(tokens, mask)  # [B, T, M, C]
        context = None
        if self.cmaa is not None and self.mie is not None:
            window, window_mask = self.windows(tokens, mask)
            context = self.cross_modal_context(window, window_mask, mask)
        mie_static = None
        if self.mie is not None:
            previous = self.last_present(logl, mask)
            mie_static = self.mie.static(self.reliability_inputs(inputs, mask, scaled, known, logl, context, previous))
        any_present = (mask.sum(dim=-1, keepdim=True) > 0).to(logl.dtype)
        b, t, m, c = logl.shape
        k = self.config.context
        history = logl.new_zeros(b, self.past, c)
        evidence_window = logl.new_zeros(b, k, m, c)
        belief = None if self.mie is None else logl.new_zeros(b, m)
        memory = logl.new_zeros(b, self.memory_size) if self.memory_size else None
        out, weights, scores = [], [], []
        for step in range(t):
            propagated, has_prev, prior = self.log_prior(history)
            w, s, belief = self.weights(None if mie_static is None else mie_static[:, step], logl[:, step], prior, has_prev, mask[:, step], belief)
            e, u = self.fused_evidence(w, logl[:, step])
            evidence_window = torch.cat([evidence_window[:, 1:], e.unsqueeze(1)], dim=1)
            logits = self.tfl_step(w, mask[:, step], evidence_window, u, history, any_present[:, step], propagated, has_prev, memory)
            logp = torch.log_softmax(logits, dim=-1)
            memory = self.remember(memory, e, w, mask[:, step], logp.exp())
            out.append(logp)
            weights.append(w)
            scores.append(s)
            if self.config.use_tfl:
                fed_back = logp.exp()
                if teacher is not None and teacher_ratio > 0:
                    truth = F.one_hot(teacher[:, step].clamp_min(0), c).to(fed_back.dtype)
                    fed_back = teacher_ratio * truth + (1 - teacher_ratio) * fed_back
                history = torch.cat([history[:, 1:], fed_back.unsqueeze(1)], dim=1)
        logp, weights = torch.stack(out, dim=1), torch.stack(weights, dim=1)
        if not auxiliary:
            return logp, weights
        mie_logits = None if self.mie is None else torch.stack(scores, dim=1)
        return logp, weights, {"modality_evidence": logl, "mie_logits": mie_logits}


def auxiliary_loss(aux: dict, labels: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Each modality's evidence head: NLL of the label on steps where it is present; the MIE: binary
    cross-entropy of its logit against `reliability_target`, so that w_m estimates the probability that
    modality m's own evidence names the true class at this step."""
    logl = aux["modality_evidence"]
    valid = (labels >= 0).unsqueeze(-1) & (mask > 0)  # [B, T, M]
    if not valid.any():
        return logl.sum() * 0.0
    true = logl.gather(-1, labels.clamp_min(0)[..., None, None].expand(*logl.shape[:-1], 1)).squeeze(-1)  # [B, T, M]
    loss = -true[valid].mean()
    if aux.get("mie_logits") is not None:
        loss = loss + F.binary_cross_entropy_with_logits(aux["mie_logits"][valid], reliability_target(logl, true)[valid])
    return loss


def reliability_target(logl: torch.Tensor, true: torch.Tensor) -> torch.Tensor:
    """What a weight is trained to estimate: 1 where modality m's own evidence names the true class,
    0 where it does not (detached). It names it when p_m(true class) is at least half of max_c p_m(c):
    the top class, or torn between the truth and one other class (a pair the modality cannot tell
    apart is not unreliable, it is uninformative about that pair, which its flat evidence already
    says, so ambiguity built into a modality does not make its weight a function of the class). 0 when
    it points elsewhere (interference, late content after a change). A binary form of the true-class
    probability of ConfidNet / QMF: the weight, trained by binary cross-entropy, is then a probability
    that the modality is right, and it falls further at interference than an estimate of the ratio
    itself (model 2.2.0's target; one-seed probes P and R in reports/probe_mie)."""
    return (true - logl.max(dim=-1).values >= -math.log(2.0)).to(logl.dtype).detach()


class ModalityReliability(nn.Module):
    """The MIE: one small MLP per modality over its reliability inputs (the prior-free ones, computed
    for all steps at once, and 3 that need the TFL's prior: the evidence's cross-entropy under it,
    whether there is one, and the evidence's plausibility under the prior and the other modalities),
    whose output is the step's log-likelihood ratio for "this modality is reliable"; then `filter`
    adds it to the belief carried from the modality's earlier steps. The weight is the posterior's
    sigmoid."""

    STATIC, DYNAMIC = 8 + QUALITY_BUMPS, 3

    def __init__(self, hidden: int, static: int = STATIC):
        super().__init__()
        m = NUM_MODALITIES
        # the filter's learned chain per modality (logits): P(reliable -> reliable), P(unreliable -> reliable),
        # and the belief before a session's first step
        self.stay = nn.Parameter(torch.full((m,), 2.0))
        self.recover = nn.Parameter(torch.full((m,), -1.0))
        self.start = nn.Parameter(torch.full((m,), 1.0))
        bound_in = 1.0 / math.sqrt(static + self.DYNAMIC)
        self.w_static = nn.Parameter(torch.empty(m, static, hidden).uniform_(-bound_in, bound_in))
        self.w_dynamic = nn.Parameter(torch.empty(m, self.DYNAMIC, hidden).uniform_(-bound_in, bound_in))
        self.bias = nn.Parameter(torch.zeros(m, hidden))
        self.w_out = nn.Parameter(torch.empty(m, hidden).uniform_(-1.0 / math.sqrt(hidden), 1.0 / math.sqrt(hidden)))
        self.bias_out = nn.Parameter(torch.zeros(m))

    def static(self, features: torch.Tensor) -> torch.Tensor:
        """[..., M, static] -> [..., M, hidden] (the first layer's prior-free part)."""
        return torch.einsum("...mf,mfh->...mh", features, self.w_static) + self.bias

    def score(self, static: torch.Tensor, dynamic: torch.Tensor) -> torch.Tensor:
        """[..., M, hidden], [..., M, 3] -> the step's scores [..., M] (log-likelihood ratios for the filter)."""
        hidden = F.gelu(static + torch.einsum("...mf,mfh->...mh", dynamic, self.w_dynamic))
        return (hidden * self.w_out).sum(-1) + self.bias_out

    def filter(self, carried: torch.Tensor, evidence: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One step of a two-state Bayes filter per modality (reliable / not): the carried belief (a logit,
        stored relative to the learned start so that a zero state is a session start) moves through the
        learned chain, then the step's score is added as its log-likelihood ratio where the modality is
        present (a missing step carries the prediction alone). Returns (posterior logit, new carried)."""
        belief = torch.sigmoid(carried + self.start)
        predicted = belief * torch.sigmoid(self.stay) + (1.0 - belief) * torch.sigmoid(self.recover)
        predicted = predicted.clamp(1e-4, 1.0 - 1e-4)
        predicted = torch.log(predicted) - torch.log1p(-predicted)  # logit (no ONNX export for aten::logit)
        posterior = predicted + evidence * mask
        return posterior, posterior - self.start
