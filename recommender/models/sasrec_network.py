"""SASRec's network: item + position embeddings, causal self-attention blocks, logits against the items.

Kept apart from the model class (`models.sasrec`), which trains, scores and saves it.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


def native_bf16() -> bool:
    """Whether this CPU multiplies bfloat16 natively (AVX-512 BF16 / AMX), where training in it is ~1.6x faster."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


class Block(nn.Module):
    """Pre-LayerNorm self-attention + position-wise feed-forward, both with residuals."""

    def __init__(self, dim: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attention = nn.MultiheadAttention(dim, heads, dropout=dropout, batch_first=True)
        self.norm2 = nn.LayerNorm(dim)
        self.ff = nn.Sequential(nn.Linear(dim, dim), nn.GELU(), nn.Dropout(dropout), nn.Linear(dim, dim))
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """One block over [batch, length, dim]; `mask` blocks attention (True = may not attend)."""
        h = self.norm1(x)
        attended, _ = self.attention(h, h, h, attn_mask=mask, need_weights=False)
        x = x + self.dropout(attended)
        return x + self.dropout(self.ff(self.norm2(x)))


class Network(nn.Module):
    """Item + learned position embeddings -> causal blocks -> logits against the item embeddings."""

    def __init__(self, n_items: int, dim: int, max_len: int, blocks: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.heads = heads
        self.items = nn.Embedding(n_items + 1, dim, padding_idx=0)  # index 0 = padding, item i -> i + 1
        self.positions = nn.Embedding(max_len, dim)
        self.dropout = nn.Dropout(dropout)
        self.blocks = nn.ModuleList(Block(dim, heads, dropout) for _ in range(blocks))
        self.norm = nn.LayerNorm(dim)
        nn.init.normal_(self.items.weight, std=dim**-0.5)
        with torch.no_grad():
            self.items.weight[0].zero_()

    def hidden(self, seq: torch.Tensor) -> torch.Tensor:
        """[batch, length] of shifted item indices (0 = padding, left-padded) -> [batch, length, dim]."""
        length = seq.shape[1]
        pad = seq == 0
        pos = torch.arange(length, device=seq.device)
        x = self.items(seq) * (self.items.embedding_dim**0.5) + self.positions(pos)[None]
        x = self.dropout(x) * (~pad)[..., None]
        # a query may see itself and earlier real items; a padded query sees only itself (no empty rows)
        causal = torch.ones(length, length, dtype=torch.bool, device=seq.device).triu(1)
        blocked = causal[None] | pad[:, None, :]
        blocked = blocked & ~torch.eye(length, dtype=torch.bool, device=seq.device)[None]
        mask = blocked.repeat_interleave(self.heads, dim=0)
        for block in self.blocks:
            x = block(x, mask)
        return self.norm(x)

    def logits(self, h: torch.Tensor) -> torch.Tensor:
        """Scores of every real item (padding column dropped)."""
        return h @ self.items.weight[1:].T


def copy_weights(source: Network, target: Network, item_map: np.ndarray) -> None:
    """Every weight of `source` into `target`; item embedding rows follow `item_map` (new -> old, -1 new item).

    Items the source did not know keep `target`'s fresh initialisation.
    """
    state = {k: v.clone() for k, v in source.state_dict().items()}
    old_items = state.pop("items.weight")
    new_items = target.items.weight.detach().clone()
    known = np.flatnonzero(item_map >= 0)
    if len(known):
        new_items[torch.from_numpy(known + 1)] = old_items[torch.from_numpy(item_map[known] + 1)]
    new_items[0].zero_()
    state["items.weight"] = new_items
    target.load_state_dict(state)
