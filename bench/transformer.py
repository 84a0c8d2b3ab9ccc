"""The transformer's training step: clockspec against a plain hand-written loop (nanoGPT style).

One invocation, same process, same model size, optimizer, data and number of steps:
  hand       a nanoGPT-style module (fused QKV projection, `scaled_dot_product_attention`,
             every position computed, the loss read at the last), torch AdamW decaying every
             parameter, the training pairs as `a b =` token rows
  clockspec  clockspec.runtime.run on the same spec, probes only at step 0 and the end, no clocks
Rounds are interleaved (hand, clockspec, hand, ...) so load from other processes hits both
alike; speed is steps per CPU second of the training loop (process time, one thread). The
ratio printed is clockspec over hand, best round over best round, with the median of the
per-round ratios beside it.

    python bench/transformer.py [--spec specs/paper/nanda-cpu.yaml] [--steps 200] [--rounds 3] [--threads 1]
"""
from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

import clockspec
from clockspec.runtime import run
from clockspec.runtime.tasks import build_task


class HandTransformer(nn.Module):
    """One nanoGPT block without LayerNorm (Nanda's model): attention, then an MLP."""

    def __init__(self, vocab: int, n_ctx: int, d: int, heads: int, d_mlp: int, n_out: int):
        super().__init__()
        self.heads = heads
        self.wte, self.wpe = nn.Embedding(vocab, d), nn.Embedding(n_ctx, d)
        self.c_attn, self.c_proj = nn.Linear(d, 3 * d, bias=False), nn.Linear(d, d, bias=False)
        self.fc, self.proj = nn.Linear(d, d_mlp), nn.Linear(d_mlp, d)
        self.lm_head = nn.Linear(d, n_out, bias=False)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        n, t = idx.shape
        x = self.wte(idx) + self.wpe.weight[:t]
        q, k, v = self.c_attn(x).split(x.shape[-1], dim=2)
        q, k, v = (z.view(n, t, self.heads, -1).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(n, t, -1)
        x = x + self.c_proj(y)
        x = x + self.proj(F.relu(self.fc(x)))
        return self.lm_head(x[:, -1])  # the logits of the readout position only, as nanoGPT at inference


def hand_loop(spec, steps: int) -> float:
    """steps per CPU second of the plainest loop that trains the same model the same way."""
    m, opt = spec.model, spec.optimizer
    data = build_task(spec.task)
    p = data.n_classes
    x = torch.cat([data.x_train, torch.full((len(data.x_train), 1), p)], 1)  # `a b =`
    torch.manual_seed(spec.seed)
    net = HandTransformer(p + 1, 3, m.d_model, m.heads, m.d_mlp, p)
    optimizer = torch.optim.AdamW(net.parameters(), lr=opt.lr, betas=tuple(opt.betas), eps=opt.eps,
                                  weight_decay=spec.regularizers.weight_decay.strength)
    began = time.process_time()
    for _ in range(steps):
        loss = F.cross_entropy(net(x), data.y_train)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return steps / (time.process_time() - began)


def bench_plan(spec, steps: int):
    data = spec.model_dump(mode="json")
    data["train"]["steps"] = steps
    data.update(name=f"{spec.name}-bench", clocks={}, stop={"after": [], "patience": 0})
    data["probes"] = {"every": steps}
    return clockspec.compile(clockspec.Experiment.model_validate(data))


def clockspec_rate(plan, out: Path, threads: int) -> float:
    result = run(plan, out=out, force=True, progress=False, threads=threads)
    status = json.loads((result.run_dir / "status.json").read_text())
    return status["step"] / status["loop_cpu_s"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--spec", default=str(Path(__file__).resolve().parent.parent / "specs" / "paper" / "nanda-cpu.yaml"))
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)
    spec = clockspec.load(Path(args.spec))
    plan = bench_plan(spec, args.steps)
    rates: dict[str, list[float]] = {"hand": [], "clockspec": []}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.rounds):
            rates["hand"].append(hand_loop(spec, args.steps))
            rates["clockspec"].append(clockspec_rate(plan, Path(tmp), args.threads))
    m = spec.model
    print(f"{spec.name}: {m.layers}-layer transformer d_model {m.d_model}, {m.heads}x{m.d_head} heads, d_mlp {m.d_mlp}, "
          f"p {spec.task.modulus}, {plan.derived['n_train']} training rows, {args.steps} steps x {args.rounds} rounds, "
          f"torch {torch.__version__}, {args.threads} thread(s)")
    for name, values in rates.items():
        print(f"  {name:<9} steps per CPU s: " + "  ".join(f"{r:7.1f}" for r in values))
    ratios = [c / h for c, h in zip(rates["clockspec"], rates["hand"])]
    print(f"ratio clockspec/hand: {max(rates['clockspec']) / max(rates['hand']):.3f} best/best, "
          f"{statistics.median(ratios):.3f} median of rounds (goal >= 1.0)")


if __name__ == "__main__":
    main()
