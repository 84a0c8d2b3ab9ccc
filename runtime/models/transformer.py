"""transformer: a decoder-only transformer over a binary operation written as tokens.

An example (a, b) is the sequence `a b =` (Nanda et al. 2023) or `a op b =` (Power et al.
2022): the p operand values are tokens 0..p-1, `=` is token p and `op` token p + 1. Token and
learned position embeddings are summed into the residual stream; each block adds multi-head
attention, then an MLP (none when d_mlp = 0), with LayerNorm before each sublayer and before
the unembedding (`pre`), after each residual add (`post`) or nowhere (`none`, Nanda's model).
The logits are read at the last position, through a head of its own (`unembed`) or the
embedding's answer rows (`tied`).

Only the readout is computed where that is the same function: the last block's queries, MLP
and residual at the last position (its keys and values still see every position). Every
earlier block runs on all positions, which the last block's keys and values read.
`forward_full` computes every position everywhere; tests hold the two equal.

Initialisation, as Nanda's code: every matrix N(0, 1/d_model), the unembedding N(0, 1/p),
all times `init_scale`; MLP biases zero, LayerNorm gains one and shifts zero. Drawn in the
order of `named_parameters` from the spec's seeded CPU generator.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from clockspec.core.errors import SpecError
from clockspec.ir.models import Transformer as TransformerSpec
from clockspec.ir.parametrization import param_roles
from clockspec.runtime.models.network import ACTIVATIONS
from clockspec.runtime.models.registry import MODELS
from clockspec.runtime.tasks import Dataset


class Attention(nn.Module):
    """Multi-head attention with W_Q, W_K, W_V (heads*d_head x d_model) and W_O, no biases."""

    def __init__(self, d_model: int, heads: int, d_head: int, causal: bool, dtype: torch.dtype):
        super().__init__()
        self.heads, self.d_head, self.causal = heads, d_head, causal
        width = heads * d_head
        self.query, self.key, self.value = (nn.Linear(d_model, width, bias=False, dtype=dtype) for _ in range(3))
        self.out = nn.Linear(width, d_model, bias=False, dtype=dtype)

    def forward(self, queries: torch.Tensor, keys: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The attention output at the query positions and the pattern (n, heads, n_query, n_key).

        `queries` are the last n_query of the positions in `keys`: a causal query sees its own
        position and those before it."""
        n, n_query, _ = queries.shape
        n_key = keys.shape[1]
        q = self.query(queries).view(n, n_query, self.heads, self.d_head).transpose(1, 2)
        k = self.key(keys).view(n, n_key, self.heads, self.d_head).transpose(1, 2)
        v = self.value(keys).view(n, n_key, self.heads, self.d_head).transpose(1, 2)
        scores = q @ k.transpose(-1, -2) / math.sqrt(self.d_head)
        if self.causal and n_query > 1:
            rows = torch.arange(n_key - n_query, n_key, device=scores.device).unsqueeze(1)
            scores = scores.masked_fill(torch.arange(n_key, device=scores.device) > rows, float("-inf"))
        pattern = scores.softmax(-1)
        mixed = (pattern @ v).transpose(1, 2).reshape(n, n_query, self.heads * self.d_head)
        return self.out(mixed), pattern


class Block(nn.Module):
    """Attention, then the MLP (when d_mlp > 0), each added to the residual stream."""

    def __init__(self, cfg, index: int, dtype: torch.dtype):
        super().__init__()
        d, self.norm = cfg.d_model, cfg.layer_norm
        self.activation = ACTIVATIONS[cfg.activation]
        if self.norm != "none":
            self.ln1 = nn.LayerNorm(d, dtype=dtype)
        self.attn = Attention(d, cfg.heads, cfg.d_head, cfg.attention == "causal", dtype)
        self.mlp = None
        if cfg.d_mlp:
            if self.norm != "none":
                self.ln2 = nn.LayerNorm(d, dtype=dtype)
            self.mlp = nn.Module()
            biased = [cfg.has_bias(f"blocks.{index}.mlp.{name}") for name in ("fc_in", "fc_out")]
            self.mlp.fc_in = nn.Linear(d, cfg.d_mlp, bias=biased[0], dtype=dtype)
            self.mlp.fc_out = nn.Linear(cfg.d_mlp, d, bias=biased[1], dtype=dtype)

    def forward(self, resid: torch.Tensor, last_only: bool) -> tuple[torch.Tensor, list[torch.Tensor], torch.Tensor]:
        """The residual stream after the block (at the last position only when `last_only`),
        the MLP's pre-activations and the attention pattern."""
        seen = self.ln1(resid) if self.norm == "pre" else resid
        attended, pattern = self.attn(seen[:, -1:] if last_only else seen, seen)
        resid = (resid[:, -1:] if last_only else resid) + attended
        if self.norm == "post":
            resid = self.ln1(resid)
        if self.mlp is None:
            return resid, [], pattern
        pre = self.mlp.fc_in(self.ln2(resid) if self.norm == "pre" else resid)
        resid = resid + self.mlp.fc_out(self.activation(pre))
        if self.norm == "post":
            resid = self.ln2(resid)
        return resid, [pre], pattern


class Transformer(nn.Module):
    """The `transformer` kind; a `Model` (runtime/models/protocol.py) without a stacked forward."""

    def __init__(self, cfg, n_values: int, n_classes: int, generator: torch.Generator, dtype: torch.dtype):
        super().__init__()
        layout = cfg.sequence.split()
        extra = {name: n_values + i for i, name in enumerate(cfg.extra_tokens)}
        self.layout = [layout.index("a"), layout.index("b")], {i: extra[t] for i, t in enumerate(layout) if t in extra}
        self.n_classes, self.norm, self.tied = n_classes, cfg.layer_norm, cfg.tied
        self.embed = nn.Embedding(n_values + len(extra), cfg.d_model, dtype=dtype)
        self.pos_embed = nn.Embedding(len(layout), cfg.d_model, dtype=dtype)
        self.blocks = nn.ModuleList(Block(cfg, i, dtype) for i in range(cfg.layers))
        if self.norm == "pre":
            self.ln_final = nn.LayerNorm(cfg.d_model, dtype=dtype)
        self.unembed = None if cfg.tied else nn.Linear(cfg.d_model, n_classes, bias=False, dtype=dtype)
        self._initialise(cfg, generator)

    def _initialise(self, cfg, generator: torch.Generator) -> None:
        with torch.no_grad():
            for name, p in self.named_parameters():
                if p.dim() == 2:
                    std = cfg.init_scale / math.sqrt(self.n_classes if name == "unembed.weight" else cfg.d_model)
                    p.copy_(torch.empty_like(p).normal_(0.0, std, generator=generator))
                elif ".ln" in name or name.startswith("ln_final"):
                    p.fill_(1.0 if name.endswith(".weight") else 0.0)
                else:
                    p.zero_()

    @property
    def embedding(self) -> nn.Parameter:
        return self.embed.weight

    def token_table(self) -> torch.Tensor:
        """W_E's rows of the p operand values (not `=` or `op`)."""
        return self.embed.weight[: self.n_classes]

    @property
    def head(self) -> nn.Parameter | None:
        return None if self.unembed is None else self.unembed.weight

    def tokens(self, x: torch.Tensor) -> torch.Tensor:
        """(n, 2) operand pairs -> (n, sequence length) token ids."""
        (a_at, b_at), fixed = self.layout
        out = x.new_empty(x.shape[0], len(fixed) + 2)
        out[:, a_at], out[:, b_at] = x[:, 0], x[:, 1]
        for at, token in fixed.items():
            out[:, at] = token
        return out

    def run(self, x: torch.Tensor, full: bool = False) -> tuple[torch.Tensor, list[torch.Tensor], list[torch.Tensor]]:
        """Logits at the last position, the MLPs' pre-activations, each block's attention pattern."""
        tokens = self.tokens(x)
        resid = self.embed(tokens) + self.pos_embed.weight[: tokens.shape[1]]
        preacts, patterns = [], []
        for i, block in enumerate(self.blocks):
            resid, pre, pattern = block(resid, last_only=not full and i == len(self.blocks) - 1)
            preacts += pre
            patterns.append(pattern)
        final = resid[:, -1]
        if self.norm == "pre":
            final = self.ln_final(final)
        readout = self.embed.weight[: self.n_classes] if self.tied else self.unembed.weight
        return final @ readout.t(), preacts, patterns

    def forward_with_preacts(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        logits, preacts, _ = self.run(x)
        return logits, preacts

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.run(x)[0]

    def forward_full(self, x: torch.Tensor) -> torch.Tensor:
        """The same logits, with every position computed in every block (for the tests)."""
        return self.run(x, full=True)[0]

    def attention_patterns(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Each block's attention from the readout position: (n, heads, sequence length)."""
        return [pattern[:, :, -1] for pattern in self.run(x)[2]]

    def spec_parameters(self) -> list[tuple[str, str, nn.Parameter]]:
        """(IR name, role, parameter): the module's names are the IR's."""
        named = list(self.named_parameters())
        roles = param_roles([(n, list(p.shape)) for n, p in named], TransformerSpec.lookup_tables)
        return [(n, roles[n], p) for n, p in named]

    def layer_weights(self) -> list[torch.Tensor]:
        """The matrices in `named_parameters` order (embeddings included; biases and LayerNorm not)."""
        return [p for p in self.parameters() if p.dim() == 2]

    def linear_factors(self) -> None:
        return None

    def end_to_end(self) -> None:
        return None


@MODELS.register("transformer")
def transformer(model, data: Dataset, generator: torch.Generator, dtype: torch.dtype) -> Transformer:
    if not data.tokens:
        raise SpecError("model transformer needs a task with token inputs (modular)")
    return Transformer(model, data.n_tokens, data.n_classes, generator, dtype)
