"""Edu-EmotionNet: modality encoders -> CMAA -> MIE -> fusion -> evidence head -> TFL.

One time step for one learner (the streaming step form, see `step`):

  inputs     a missing modality's embedding is replaced by zeros first (`prepare`), so whatever
             its slot holds, NaN included, cannot reach the outputs
  quality    q_m = the producer's quality score (SNR, face-detection confidence, ASR confidence)
             scaled to [0, 1] by the benchmark spec's range, with k_m = 1 where it was reported
             (NaN in the input = not reported)
  tokens     h_m = Enc_m([x_m, q_m, k_m]) + type_m, zero when modality m is missing         [3, H]
  CMAA       each present modality m queries the *other* modalities' tokens of the last
             `context` steps (the current one included), with a learned age embedding on the keys;
             h'_m = LN(h_m + Attn(h_m, others)); h''_m = LN(h'_m + FFN(h'_m))
  MIE        s_m = MLP([h''_m, log-energy of x_m, q_m, k_m]); w = softmax over present modalities,
             exactly 0 for a missing one, sum 1 (all 0 when none is present)
  fusion     f = sum_m w_m h''_m
  instant    u = Head([f, mask]) * any_present: this step's prediction from its own evidence  [C]
  TFL        logits = (u + Corr([f, mask], u of the last K steps, p of the last K-1 steps)) * any_present
                      + g * log(p_prev @ A),   g = sigmoid(Gate(...)) when anything is present, else 1
             p: the model's own previous predictions (pseudo-labels, fed back); A = softmax(transition
             logits); at a session start log(p_prev @ A) is replaced by learned initial log-priors.
             p = softmax(logits) is both the output and the next step's feedback.

The carried state per learner (float32, flat, `state_size` floats):
  [0, 3*(K-1)*H)        tokens of the last K-1 steps, [modality, age (oldest first), H]
  [.., + 3*(K-1))       their presence, [modality, age]
  [.., + (K-1)*C)       instantaneous predictions u of the last K-1 steps, oldest first
  [.., + (K-1)*C)       the model's own predictions p of the last K-1 steps, oldest first
                        (zeros = no such step yet; the last one is p_prev)
A new learner (or a reset) starts from zeros.

`forward` runs whole sessions in parallel over time (everything but the TFL recurrence is
computed for all steps at once) and gives the same numbers as calling `step` step by step.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn import functional as F

NUM_MODALITIES = 3



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
    # the range of each modality's quality score (benchmark spec), mapped to [0, 1]
    quality_ranges: tuple[tuple[float, float], ...] = ((-10.0, 40.0), (0.0, 1.0), (0.0, 1.0))

    def to_dict(self) -> dict:
        return asdict(self)

    @staticmethod
    def from_dict(d: dict) -> "ModelConfig":
        d = dict(d)
        d["dims"] = tuple(d["dims"])
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
    def __init__(self, config: ModelConfig = ModelConfig()):
        super().__init__()
        self.config = config
        h, c = config.hidden, config.num_classes
        self.quality = QualityScaler(config.quality_ranges)
        # each encoder sees its embedding and the two quality features
        self.encoders = nn.ModuleList(ModalityEncoder(d + 2, h) for d in config.dims)
        self.type_embedding = nn.Parameter(torch.zeros(NUM_MODALITIES, h))
        self.cmaa = CrossModalityAttention(h, config.heads, config.context) if config.use_cmaa else None
        self.plain_norm = None if config.use_cmaa else nn.LayerNorm(h)
        self.mie = nn.Sequential(nn.Linear(h + 3, h), nn.GELU(), nn.Linear(h, 1)) if config.use_mie else None
        # instantaneous evidence u_t: this step's prediction from its fused features alone
        self.instant = nn.Sequential(nn.Linear(h + NUM_MODALITIES, h), nn.GELU(), nn.Linear(h, c))
        if config.use_tfl:
            self.feedback_in = nn.Linear(h + NUM_MODALITIES, h)
            self.instant_in = nn.Linear(config.context * c, h, bias=False)
            self.prev_in = nn.Linear(self.past * c, h, bias=False)
            self.feedback_out = nn.Linear(h, c)
            self.prior_gate = nn.Linear(h, 1)
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
            ("instant_evidence", (p, c)),
            ("predictions", (p, c)),
        ]

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

    def tokens(self, inputs: list[torch.Tensor], mask: torch.Tensor, scaled: torch.Tensor, known: torch.Tensor) -> torch.Tensor:
        """[..., M, H] tokens, zero for missing modalities (inputs already through `prepare`)."""
        toks = torch.stack(
            [enc(x) for enc, x in zip(self.encoders, with_quality(inputs, scaled, known))], dim=-2
        ) + self.type_embedding
        return toks * mask.unsqueeze(-1)

    def fuse(
        self,
        window: torch.Tensor,
        window_mask: torch.Tensor,
        inputs: list[torch.Tensor],
        mask: torch.Tensor,
        scaled: torch.Tensor,
        known: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Fused features with the mask [..., H+M], presence [..., 1] and MIE weights [..., M] from the token window."""
        if self.cmaa is not None:
            lead = window.shape[:-3]  # [B] in the step form, [B, T] for whole sessions
            aligned = self.cmaa(window.reshape(-1, *window.shape[-3:]), window_mask.reshape(-1, *window_mask.shape[-2:]))
            aligned = aligned.reshape(*lead, *aligned.shape[-2:])
        else:
            aligned = self.plain_norm(window[..., -1, :])
        aligned = aligned * mask.unsqueeze(-1)
        if self.mie is not None:
            energy = torch.stack([log_energy(x) for x in inputs], dim=-1).unsqueeze(-1)
            quality = torch.stack([scaled, known], dim=-1)
            scores = self.mie(torch.cat([aligned, energy, quality], dim=-1)).squeeze(-1)
            weights = masked_softmax(scores, mask, dim=-1)
        else:
            weights = mask / mask.sum(dim=-1, keepdim=True).clamp_min(1.0)
        fused = (weights.unsqueeze(-1) * aligned).sum(dim=-2)
        any_present = (mask.sum(dim=-1, keepdim=True) > 0).to(fused.dtype)
        return torch.cat([fused, mask], dim=-1), any_present, weights

    def tfl(self, features: torch.Tensor, instant_window: torch.Tensor, history: torch.Tensor, any_present: torch.Tensor) -> torch.Tensor:
        """The temporal feedback loop for one step.

        instant_window: the instantaneous predictions u of the last K steps (this one last) [..., K, C];
        history: the model's own (fed-back) predictions of the last K-1 steps, oldest first, zeros
        before the session start [..., K-1, C].
        logits = (u_t + correction(features, u window, history)) * any_present + g * log(p_prev @ A):
        the correction learns when a change in the evidence is a real transition and the gate g in
        (0, 1) how far to trust the history; with nothing present g = 1 and the prediction is the
        propagated prior alone. At a session
        start the learned initial log-prior replaces the propagated one."""
        base = self.feedback_in(features) + self.instant_in(instant_window.flatten(-2))
        return self.tfl_step(base, instant_window[..., -1, :], history, any_present)

    def tfl_step(self, base: torch.Tensor, u: torch.Tensor, history: torch.Tensor, any_present: torch.Tensor) -> torch.Tensor:
        hidden = base + self.prev_in(history.flatten(-2))
        act = F.gelu(hidden)
        evidence = (u + self.feedback_out(act)) * any_present
        prev = history[..., -1, :]
        has_prev = (prev.sum(dim=-1, keepdim=True) > 0.5).to(evidence.dtype)
        propagated = torch.log(prev @ torch.softmax(self.transition_logits, dim=-1) + 1e-6)
        # how much of the propagated prior to keep, learned per step; all of it when nothing is present
        g = torch.sigmoid(self.prior_gate(act))
        propagated = propagated * (g * any_present + (1.0 - any_present))
        initial = torch.log_softmax(self.initial_logits, dim=-1)
        return evidence + has_prev * propagated + (1.0 - has_prev) * initial

    # ---- streaming step form ---------------------------------------------------------------
    def split_state(self, state: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """[B, state_size] -> (tokens, token presence, instant evidence, predictions), see `state_blocks`."""
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
        past_tokens, past_masks, past_instant, history = self.split_state(state)
        current = self.tokens(inputs, mask, scaled, known)
        window = torch.cat([past_tokens, current.unsqueeze(-2)], dim=-2)
        window_mask = torch.cat([past_masks, mask.unsqueeze(-1)], dim=-1)
        features, any_present, weights = self.fuse(window, window_mask, inputs, mask, scaled, known)
        u = self.instant(features) * any_present
        instant_window = torch.cat([past_instant, u.unsqueeze(1)], dim=1)
        if self.config.use_tfl:
            logits = self.tfl(features, instant_window, history, any_present)
        else:
            logits = u
        probs = torch.softmax(logits, dim=-1)
        b = state.shape[0]
        history = torch.cat([history[:, 1:], probs.unsqueeze(1)], dim=1)
        new_state = torch.cat(
            [
                window[:, :, 1:, :].reshape(b, -1),
                window_mask[:, :, 1:].reshape(b, -1),
                instant_window[:, 1:].reshape(b, -1),
                history.reshape(b, -1),
            ],
            dim=-1,
        )
        return probs, weights, new_state

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
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Whole sessions [B, T, ...]: (log-probabilities [B, T, C], MIE weights [B, T, M]).

        quality: raw scores [B, T, M], NaN = not reported (None: none reported at all).

        teacher/teacher_ratio: scheduled sampling for the TFL during training; the fed-back
        prediction is teacher_ratio * one-hot(truth at t-1) + (1 - teacher_ratio) * own prediction.
        """
        inputs, scaled, known = self.prepare([audio, visual, text], mask, quality)
        tokens = self.tokens(inputs, mask, scaled, known)
        window, window_mask = self.windows(tokens, mask)
        features, any_present, weights = self.fuse(window, window_mask, inputs, mask, scaled, known)
        u = self.instant(features) * any_present  # [B, T, C]
        if not self.config.use_tfl:
            return torch.log_softmax(u, dim=-1), weights
        b, t, c = u.shape
        k = self.config.context
        instant_windows = F.pad(u, (0, 0, k - 1, 0)).unfold(1, k, 1).permute(0, 1, 3, 2)  # [B, T, K, C]
        # everything but the fed-back predictions, for all steps at once
        base = self.feedback_in(features) + self.instant_in(instant_windows.flatten(-2))
        history = u.new_zeros(b, self.past, c)
        out = []
        for step in range(t):
            logits = self.tfl_step(base[:, step], u[:, step], history, any_present[:, step])
            logp = torch.log_softmax(logits, dim=-1)
            out.append(logp)
            fed_back = logp.exp()
            if teacher is not None and teacher_ratio > 0:
                truth = F.one_hot(teacher[:, step].clamp_min(0), c).to(fed_back.dtype)
                fed_back = teacher_ratio * truth + (1 - teacher_ratio) * fed_back
            history = torch.cat([history[:, 1:], fed_back.unsqueeze(1)], dim=1)
        return torch.stack(out, dim=1), weights
