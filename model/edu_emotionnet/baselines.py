"""Baselines trained on the same data as Edu-EmotionNet (same forward signature, same inputs:
every system sees the embeddings, the presence mask and the scaled quality scores).

- EarlyFusionMLP: the three embeddings (zeros when missing) and the mask, concatenated, one MLP per step.
- LateFusion:     one classifier per modality; log-probabilities averaged over the present ones.
- MulTStyle:      after Tsai et al. 2019 (MulT): directional cross-modal attention for every ordered
                  pair of modalities (the target's step queries the source's last K steps, the same
                  bounded causal window as CMAA), then temporal self-attention over the target's
                  crossed outputs of the last K steps; modalities pooled uniformly over those seen
                  in the window (no MIE) and no feedback of predictions (no TFL).
"""
from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from .model import NUM_MODALITIES, ModalityEncoder, ModelConfig, QualityScaler, masked_softmax, present_inputs, with_quality


class EarlyFusionMLP(nn.Module):
    def __init__(self, config: ModelConfig):
        super().__init__()
        h = config.hidden
        self.quality = QualityScaler(config.quality_ranges)
        self.net = nn.Sequential(
            nn.Linear(sum(config.dims) + 3 * NUM_MODALITIES, 2 * h), nn.GELU(), nn.Linear(2 * h, h), nn.GELU(),
            nn.Linear(h, config.num_classes),
        )

    def forward(self, audio, visual, text, mask, quality=None, teacher=None, teacher_ratio=0.0):
        scaled, known = self.quality(quality, mask)
        # missing embeddings as zeros whatever their slot holds (NaN would leak through the MLP)
        logits = self.net(torch.cat([*present_inputs([audio, visual, text], mask), mask, scaled, known], dim=-1))
        return torch.log_softmax(logits, dim=-1), None


class LateFusion(nn.Module):
    def __init__(self, config: ModelConfig):
        super().__init__()
        h = config.hidden
        self.quality = QualityScaler(config.quality_ranges)
        self.heads = nn.ModuleList(
            nn.Sequential(ModalityEncoder(d + 2, h), nn.GELU(), nn.Linear(h, config.num_classes)) for d in config.dims
        )

    def forward(self, audio, visual, text, mask, quality=None, teacher=None, teacher_ratio=0.0):
        scaled, known = self.quality(quality, mask)
        # a missing modality's weight is 0, but 0 * NaN is NaN: zero its input first
        inputs = with_quality(present_inputs([audio, visual, text], mask), scaled, known)
        per_modality = torch.stack([torch.log_softmax(head(x), dim=-1) for head, x in zip(self.heads, inputs)], dim=-2)
        weights = mask / mask.sum(dim=-1, keepdim=True).clamp_min(1.0)
        logits = (weights.unsqueeze(-1) * per_modality).sum(dim=-2)
        return torch.log_softmax(logits, dim=-1), None


class _Attention(nn.Module):
    def __init__(self, hidden: int, heads: int):
        super().__init__()
        self.heads, self.head_dim = heads, hidden // heads
        self.q, self.k, self.v, self.o = (nn.Linear(hidden, hidden) for _ in range(4))
        self.norm = nn.LayerNorm(hidden)

    def forward(self, query, keys, key_mask):
        """query [..., Kq, H], keys [..., Kk, H], key_mask [..., Kk]."""
        *lead, kq, hid = query.shape
        kk = keys.shape[-2]
        q = self.q(query).reshape(*lead, kq, self.heads, self.head_dim)
        k = self.k(keys).reshape(*lead, kk, self.heads, self.head_dim)
        v = self.v(keys).reshape(*lead, kk, self.heads, self.head_dim)
        scores = torch.einsum("...qhd,...khd->...hqk", q, k) / math.sqrt(self.head_dim)
        allowed = key_mask.unsqueeze(-2).unsqueeze(-3).expand_as(scores)
        attn = masked_softmax(scores, allowed, dim=-1)
        ctx = torch.einsum("...hqk,...khd->...qhd", attn, v).reshape(*lead, kq, hid)
        return self.norm(query + self.o(ctx))


class MulTStyle(nn.Module):
    def __init__(self, config: ModelConfig):
        super().__init__()
        h = config.hidden
        self.context = config.context
        self.quality = QualityScaler(config.quality_ranges)
        self.encoders = nn.ModuleList(ModalityEncoder(d + 2, h) for d in config.dims)
        self.cross = nn.ModuleDict(
            {f"{t}<{s}": _Attention(h, config.heads) for t in range(NUM_MODALITIES) for s in range(NUM_MODALITIES) if s != t}
        )
        self.temporal = nn.ModuleList(_Attention(h, config.heads) for _ in range(NUM_MODALITIES))
        self.age = nn.Parameter(torch.zeros(config.context, h))
        self.head = nn.Sequential(nn.Linear(h, h), nn.GELU(), nn.Linear(h, config.num_classes))

    def forward(self, audio, visual, text, mask, quality=None, teacher=None, teacher_ratio=0.0):
        k = self.context
        scaled, known = self.quality(quality, mask)
        inputs = with_quality(present_inputs([audio, visual, text], mask), scaled, known)  # no NaN from a missing slot

        def window(x, m):  # [B, T, H], [B, T] -> [B, T, K, H], [B, T, K]: the last K steps
            return (
                F.pad(x, (0, 0, k - 1, 0)).unfold(1, k, 1).permute(0, 1, 3, 2) + self.age,
                F.pad(m, (k - 1, 0)).unfold(1, k, 1),
            )

        toks = [enc(x) * mask[..., i : i + 1] for i, (enc, x) in enumerate(zip(self.encoders, inputs))]
        wins = [window(toks[m], mask[..., m]) for m in range(NUM_MODALITIES)]
        pooled = []
        for t in range(NUM_MODALITIES):
            query = toks[t].unsqueeze(-2)  # the target's current step queries each source's window
            crossed = sum(
                self.cross[f"{t}<{s}"](query, *wins[s]) for s in range(NUM_MODALITIES) if s != t
            ).squeeze(-2)
            # temporal self-attention over the target's own crossed outputs in the window
            cross_win, cross_mask = window(crossed, mask[..., t])
            pooled.append(self.temporal[t](crossed.unsqueeze(-2), cross_win, cross_mask).squeeze(-2))
        present = torch.stack([w[1].amax(dim=-1) for w in wins], dim=-1)  # modality seen in the window
        weights = present / present.sum(dim=-1, keepdim=True).clamp_min(1.0)
        fused = (torch.stack(pooled, dim=-2) * weights.unsqueeze(-1)).sum(dim=-2)
        return torch.log_softmax(self.head(fused), dim=-1), None


def build(system: str, config: ModelConfig) -> nn.Module:
    from .model import EduEmotionNet

    if system == "edu_emotionnet":
        return EduEmotionNet(config)
    if system == "no_cmaa":
        return EduEmotionNet(config.with_(use_cmaa=False))
    if system == "no_mie":
        return EduEmotionNet(config.with_(use_mie=False))
    if system == "no_tfl":
        return EduEmotionNet(config.with_(use_tfl=False))
    if system == "early_fusion":
        return EarlyFusionMLP(config)
    if system == "late_fusion":
        return LateFusion(config)
    if system == "mult_style":
        return MulTStyle(config)
    raise ValueError(f"unknown system '{system}'")


LEARNED_SYSTEMS = ("edu_emotionnet", "no_cmaa", "no_mie", "no_tfl", "early_fusion", "late_fusion", "mult_style")
