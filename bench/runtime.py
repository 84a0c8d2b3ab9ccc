"""Runtime overhead: clockspec's training loop against a plain hand-written torch loop.

One invocation, same process, same model, optimizer and number of steps:
  hand     a minimal torch loop (nn.Embedding -> Linear -> ReLU -> Linear, torch AdamW)
  off      clockspec.runtime.run with probes only at step 0 and the end, no clocks
  on       clockspec.runtime.run with the quickstart's probes, metrics and clocks (no early stop)
Rounds are interleaved (hand, off, on, hand, ...) so load from other processes hits all
three alike, and speed is steps per CPU second of the training loop (process time, one
pinned thread), which other processes on a shared machine disturb far less than wall time.
The ratio printed is best round over best round (each variant's least disturbed run); the
median of the per-round ratios is printed beside it. Then the time to re-evaluate changed
clocks from metrics.jsonl vs the time to train.

    python bench/runtime.py [--spec specs/quickstart.yaml] [--steps 300] [--rounds 5] [--threads 1]
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
from clockspec.clocks import evaluate_clocks
from clockspec.runtime import run


def hand_loop(spec, steps: int) -> float:
    """steps/s of the plainest loop that trains the same model the same way."""
    p, task, model, opt = spec.task.modulus, spec.task, spec.model, spec.optimizer
    torch.manual_seed(spec.seed)
    pairs = torch.cartesian_prod(torch.arange(p), torch.arange(p))
    labels = (pairs[:, 0] + pairs[:, 1]) % p
    train = torch.randperm(len(pairs))[: round(task.train_fraction * len(pairs))]
    x, y = pairs[train], labels[train]
    embed = nn.Embedding(p, model.embed_dim)
    mlp = nn.Sequential(nn.Linear(2 * model.embed_dim, model.hidden[0]), nn.ReLU(), nn.Linear(model.hidden[0], p))
    params = list(embed.parameters()) + list(mlp.parameters())
    optimizer = torch.optim.AdamW(params, lr=opt.lr, betas=tuple(opt.betas), eps=opt.eps,
                                  weight_decay=spec.regularizers.weight_decay.strength)
    began = time.process_time()
    for _ in range(steps):
        loss = F.cross_entropy(mlp(embed(x).flatten(1)), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return steps / (time.process_time() - began)


def variant(spec, steps: int, probes: bool):
    data = spec.model_dump(mode="json")
    data["train"]["steps"] = steps
    data["stop"] = {"after": [], "patience": 0}
    # same clocks, their `for N steps` shortened to fit the shorter run
    data["clocks"] = {name: clock.model_copy(update={"for_steps": min(clock.for_steps, steps // 4)}).text()
                      for name, clock in spec.clocks.items()}
    if not probes:
        data["probes"] = {"every": steps}
        data["clocks"] = {}
    data["name"] = f"{spec.name}-bench-{'on' if probes else 'off'}"
    return clockspec.compile(clockspec.Experiment.model_validate(data))


def clockspec_rate(plan, out: Path, threads: int) -> tuple[float, Path]:
    result = run(plan, out=out, force=True, progress=False, threads=threads)
    status = json.loads((result.run_dir / "status.json").read_text())
    return status["step"] / status["loop_cpu_s"], result.run_dir


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--spec", default=str(Path(__file__).resolve().parent.parent / "specs" / "quickstart.yaml"))
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)
    spec = clockspec.load(Path(args.spec))
    off, on = variant(spec, args.steps, False), variant(spec, args.steps, True)
    rates: dict[str, list[float]] = {"hand": [], "off": [], "on": []}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        for _ in range(args.rounds):
            rates["hand"].append(hand_loop(spec, args.steps))
            rates["off"].append(clockspec_rate(off, out, args.threads)[0])
            rate, run_dir = clockspec_rate(on, out, args.threads)
            rates["on"].append(rate)
        rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
        train_s = json.loads((run_dir / "status.json").read_text())["loop_cpu_s"]
        began = time.perf_counter()
        evaluate_clocks(on.spec.clocks, rows, on.spec.stop)
        evaluate_s = time.perf_counter() - began
        changed = on.spec.model_dump(mode="json")
        changed["clocks"]["half_fit"] = "first train_acc >= 0.5"  # a new clock: same training
        replan = clockspec.compile(clockspec.Experiment.model_validate(changed))
        began = time.perf_counter()
        result = run(replan, out=out, progress=False, threads=args.threads)
        reuse_s = time.perf_counter() - began
    print(f"quickstart model, {args.steps} steps x {args.rounds} rounds, torch {torch.__version__}, "
          f"{args.threads} thread(s), probes every {spec.probes.every} with {len(on.metrics)} metrics")
    for name in rates:
        print(f"  {name:<5} steps per CPU s: " + "  ".join(f"{r:7.1f}" for r in rates[name]))
    for name, goal in (("off", 0.97), ("on", 0.85)):
        ratios = [c / h for c, h in zip(rates[name], rates["hand"])]
        print(f"ratio clockspec/hand, probes {name}: {max(rates[name]) / max(rates['hand']):.3f} best/best, "
              f"{statistics.median(ratios):.3f} median of rounds (goal >= {goal})")
    print(f"clock re-evaluation over {len(rows)} probe rows: {evaluate_s * 1e3:.2f} ms "
          f"vs training {train_s:.1f} s ({train_s / evaluate_s:,.0f}x faster)")
    print(f"`run` on a plan with changed clocks: action {result.action}, {reuse_s:.2f} s in all (most of it redrawing curves.png)")


if __name__ == "__main__":
    main()
