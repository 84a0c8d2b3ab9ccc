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
`forward_stacked` is `forward` for members stacked on a leading axis (runtime/stacked.py),
each member's slice from its own values alone.

Initialisation, as Nanda's code: every matrix N(0, 1/d_model), the unembedding N(0, 1/p),
all times `init_scale`; MLP (and, with `attention_bias`, attention) biases zero, LayerNorm
gains one and shifts zero. Drawn in the
order of `named_parameters` from the spec's seeded CPU generator.
"""
from __future__ import annotations

import math
from collections.abc import Mapping

import torch
import torch.nn.functional as F
from torch import nn

from clockspec.core.errors import SpecError
from clockspec.ir.models import Transformer as TransformerSpec
from clockspec.ir.parametrization import param_roles
from clockspec.runtime.models.network import ACTIVATIONS, member_matmul
from clockspec.runtime.models.registry import MODELS
from clockspec.runtime.tasks import Dataset


class Attention(nn.Module):
    """Multi-head attention with W_Q, W_K, W_V (heads*d_head x d_model) and W_O, with biases
    only when asked (`attention_bias`)."""

    def __init__(self, d_model: int, heads: int, d_head: int, causal: bool, dtype: torch.dtype, bias: bool = False):
        super().__init__()
        self.heads, self.d_head, self.causal = heads, d_head, causal
        width = heads * d_head
        self.query, self.key, self.value = (nn.Linear(d_model, width, bias=bias, dtype=dtype) for _ in range(3))
        self.out = nn.Linear(width, d_model, bias=bias, dtype=dtype)

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

    def forward_stacked(self, params: Mapping[str, torch.Tensor], name: str, queries: torch.Tensor,
                        keys: torch.Tensor) -> torch.Tensor:
        """`forward`'s output for stacked members: queries and keys (K, n, positions, d_model)."""
        k, n, n_query, _ = queries.shape
        n_key = keys.shape[2]

        def heads(h: torch.Tensor, proj: str, positions: int) -> torch.Tensor:
            return _linear(params, name + proj, h).view(k, n, positions, self.heads, self.d_head).transpose(2, 3)

        q, key, v = heads(queries, "query", n_query), heads(keys, "key", n_key), heads(keys, "value", n_key)
        scores = q @ key.transpose(-1, -2) / math.sqrt(self.d_head)
        if self.causal and n_query > 1:
            rows = torch.arange(n_key - n_query, n_key, device=scores.device).unsqueeze(1)
            scores = scores.masked_fill(torch.arange(n_key, device=scores.device) > rows, float("-inf"))
        mixed = (scores.softmax(-1) @ v).transpose(2, 3).reshape(k, n, n_query, self.heads * self.d_head)
        return _linear(params, name + "out", mixed)


class Block(nn.Module):
    """Attention, then the MLP (when d_mlp > 0), each added to the residual stream."""

    def __init__(self, cfg, index: int, dtype: torch.dtype):
        super().__init__()
        d, self.norm = cfg.d_model, cfg.layer_norm
        self.activation = ACTIVATIONS[cfg.activation]
        if self.norm != "none":
            self.ln1 = nn.LayerNorm(d, dtype=dtype)
        self.attn = Attention(d, cfg.heads, cfg.d_head, cfg.attention == "causal", dtype, bool(cfg.attention_bias))
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

    def forward_stacked(self, params: Mapping[str, torch.Tensor], name: str, resid: torch.Tensor,
                        last_only: bool) -> torch.Tensor:
        """`forward`'s residual stream for stacked members: resid (K, n, positions, d)."""
        seen = _norm(params, name + "ln1", resid) if self.norm == "pre" else resid
        attended = self.attn.forward_stacked(params, name + "attn.", seen[:, :, -1:] if last_only else seen, seen)
        resid = (resid[:, :, -1:] if last_only else resid) + attended
        if self.norm == "post":
            resid = _norm(params, name + "ln1", resid)
        if self.mlp is None:
            return resid
        hidden = _norm(params, name + "ln2", resid) if self.norm == "pre" else resid
        pre = _linear(params, name + "mlp.fc_in", hidden)
        resid = resid + _linear(params, name + "mlp.fc_out", self.activation(pre))
        return _norm(params, name + "ln2", resid) if self.norm == "post" else resid


class Transformer(nn.Module):
    """The `transformer` kind; a `Model` (runtime/models/protocol.py)."""

    def __init__(self, cfg, n_values: int, n_classes: int, arity: int, generator: torch.Generator,
                 dtype: torch.dtype):
        super().__init__()
        layout = cfg.positions(arity)
        extra = {name: n_values + i for i, name in enumerate(cfg.extra_tokens)}
        self.layout = [i for i, t in enumerate(layout) if t not in extra], {i: extra[t] for i, t in enumerate(layout) if t in extra}
        self.n_values, self.n_classes, self.norm, self.tied = n_values, n_classes, cfg.layer_norm, cfg.tied
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
        return self.embed.weight[: self.n_values]

    @property
    def head(self) -> nn.Parameter | None:
        return None if self.unembed is None else self.unembed.weight

    def tokens(self, x: torch.Tensor) -> torch.Tensor:
        """(n, k) operand tuples -> (n, sequence length) token ids."""
        operand_at, fixed = self.layout
        out = x.new_empty(x.shape[0], len(fixed) + len(operand_at))
        for j, at in enumerate(operand_at):
            out[:, at] = x[:, j]
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

    def forward_stacked(self, params: Mapping[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        """`forward` over parameters stacked on a leading member axis (this module's names):
        the same layers as batched matmuls over (member, ...) so that each member's slice is
        computed from that member's values alone and its bits do not depend on the stack's
        size (tests/runtime/test_transformer_stacked.py). `x` is shared (n, k) or per member
        (K, n, k); the result is (K, n, classes), read out at the last position."""
        table = params["embed.weight"]
        k, vocab, _ = table.shape
        tokens = self.tokens(x.reshape(-1, x.shape[-1])).view(*x.shape[:-1], -1)
        index = (tokens if x.dim() == 3 else tokens.unsqueeze(0)) + (torch.arange(k, device=x.device) * vocab).view(k, 1, 1)
        resid = table.flatten(0, 1).index_select(0, index.flatten()).view(*index.shape, -1)
        resid = resid + params["pos_embed.weight"][:, : tokens.shape[-1]].unsqueeze(1)
        for i, block in enumerate(self.blocks):
            resid = block.forward_stacked(params, f"blocks.{i}.", resid, last_only=i == len(self.blocks) - 1)
        final = resid[:, :, -1]
        if self.norm == "pre":
            final = _norm(params, "ln_final", final)
        readout = table[:, : self.n_classes] if self.tied else params["unembed.weight"]
        return torch.bmm(final, readout.transpose(1, 2))  # two classes at least: no one-column product

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


def _linear(params: Mapping[str, torch.Tensor], name: str, h: torch.Tensor) -> torch.Tensor:
    """nn.Linear `name` of each member on its slice: h (K, ..., in) -> (K, ..., out), one bmm."""
    weight, bias = params[name + ".weight"], params.get(name + ".bias")
    k = h.shape[0]
    flat, wt = h.reshape(k, -1, h.shape[-1]), weight.transpose(1, 2)
    out = (member_matmul(flat, wt) if weight.shape[1] == 1 else torch.bmm(flat, wt)).view(*h.shape[:-1], weight.shape[1])
    return out if bias is None else out + _member_view(bias, h)


def _norm(params: Mapping[str, torch.Tensor], name: str, h: torch.Tensor) -> torch.Tensor:
    """nn.LayerNorm `name` of each member: normalised over the last axis, then its own gain and shift."""
    return (F.layer_norm(h, h.shape[-1:]) * _member_view(params[name + ".weight"], h)
            + _member_view(params[name + ".bias"], h))


def _member_view(v: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    """(K, width) as (K, 1, ..., width), to broadcast over h's inner axes."""
    return v.view(v.shape[0], *[1] * (h.dim() - 2), v.shape[1])


@MODELS.register("transformer", Transformer)
def transformer(model, data: Dataset, generator: torch.Generator, dtype: torch.dtype) -> Transformer:
    if not data.tokens:
        raise SpecError("model transformer needs a task with token inputs (modular)")
    return Transformer(model, data.n_tokens, data.n_classes, data.arity, generator, dtype)
