"""Runtime speed: clockspec's training loop against two hand-written torch loops.

One invocation, same process, same model, optimizer and number of steps:
  hand     the plainest torch loop (nn.Embedding -> Linear -> ReLU -> Linear, torch AdamW)
  best     the best hand loop: the first layer as a per-token projection gather
           ((E @ W1a.T)[a] + (E @ W1b.T)[b], the same function), AdamW(fused=True), and the
           loss torch.compile'd (its compile time is printed, not counted in its rate)
  off      clockspec.runtime.run with probes only at step 0 and the end, no clocks (eager step)
  on       clockspec.runtime.run with the quickstart's probes, metrics and clocks (no early stop)
  off+c    off with `train.compile: true`: the stacked step torch.compile'd
  on+c     on with `train.compile: true`
Rounds are interleaved (hand, best, off, on, off+c, on+c, hand, ...) so load from other
processes hits all alike, and speed is steps per CPU second of the training loop (process
time, one pinned thread), which other processes on a shared machine disturb far less than
wall time. A compiled run's status gives its compile time apart (`compile_s`), and its
`loop_cpu_s` leaves the compile out, as the best loop's rate does.
The ratio printed is best round over best round (each variant's least disturbed run); the
median of the per-round ratios is printed beside it. Then the time to re-evaluate changed
clocks from metrics.jsonl vs the time to train.

    python bench/runtime.py [--spec specs/quickstart.yaml] [--steps 300] [--rounds 5] [--threads 1] [--device cpu]
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


def hand_loop(spec, steps: int, device: str = "cpu") -> float:
    """steps/s of the plainest loop that trains the same model the same way."""
    p, model, opt = spec.task.modulus, spec.model, spec.optimizer
    x, y = (t.to(device) for t in _split(spec))
    embed = nn.Embedding(p, model.embed_dim).to(device)
    mlp = nn.Sequential(nn.Linear(2 * model.embed_dim, model.hidden[0]), nn.ReLU(), nn.Linear(model.hidden[0], p)).to(device)
    params = list(embed.parameters()) + list(mlp.parameters())
    optimizer = torch.optim.AdamW(params, lr=opt.lr, betas=tuple(opt.betas), eps=opt.eps,
                                  weight_decay=spec.regularizers.weight_decay.strength)
    clock = _clock(x.device)
    began = clock()
    for _ in range(steps):
        loss = F.cross_entropy(mlp(embed(x).flatten(1)), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    _sync(x.device)
    return steps / (clock() - began)


class BestHandLoop:
    """The same model written as fast as torch allows by hand: gather, fused AdamW, compile."""

    def __init__(self, spec, device: str):
        p, model, opt = spec.task.modulus, spec.model, spec.optimizer
        d, h = model.embed_dim, model.hidden[0]
        self.x, self.y = (t.to(device) for t in _split(spec))
        g = torch.Generator().manual_seed(spec.seed)

        def param(*shape, scale):
            return nn.Parameter(((torch.rand(*shape, generator=g) * 2 - 1) * scale).to(device))

        self.E = nn.Parameter(torch.randn(p, d, generator=g).to(device))
        self.W1, self.b1 = param(h, 2 * d, scale=(2 * d) ** -0.5), param(h, scale=(2 * d) ** -0.5)
        self.W2, self.b2 = param(p, h, scale=h ** -0.5), param(p, scale=h ** -0.5)
        self.d = d
        self.optimizer = torch.optim.AdamW([self.E, self.W1, self.b1, self.W2, self.b2], lr=opt.lr,
                                           betas=tuple(opt.betas), eps=opt.eps, fused=True,
                                           weight_decay=spec.regularizers.weight_decay.strength)
        self.loss = torch.compile(self._loss)
        began = time.perf_counter()
        self.rate(2)  # compile (or load torch's cached artifact)
        self.compile_s = time.perf_counter() - began

    def _loss(self):
        a, b, d = self.x[:, 0], self.x[:, 1], self.d
        z = (self.E @ self.W1[:, :d].T)[a] + (self.E @ self.W1[:, d:].T)[b] + self.b1
        return F.cross_entropy(torch.relu(z) @ self.W2.T + self.b2, self.y)

    def rate(self, steps: int) -> float:
        clock = _clock(self.x.device)
        began = clock()
        for _ in range(steps):
            loss = self.loss()
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
        _sync(self.x.device)
        return steps / (clock() - began)


def _split(spec) -> tuple[torch.Tensor, torch.Tensor]:
    p, task = spec.task.modulus, spec.task
    torch.manual_seed(spec.seed)
    pairs = torch.cartesian_prod(torch.arange(p), torch.arange(p))
    labels = (pairs[:, 0] + pairs[:, 1]) % p
    train = torch.randperm(len(pairs))[: round(task.train_fraction * len(pairs))]
    return pairs[train], labels[train]


def _clock(device: torch.device):
    """CPU seconds on a CPU (other processes disturb them less), wall seconds on a GPU."""
    return time.perf_counter if device.type == "cuda" else time.process_time


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def variant(spec, steps: int, probes: bool, compiled: bool):
    data = spec.model_dump(mode="json")
    data["train"].update(steps=steps, compile=compiled)
    data["stop"] = {"after": [], "patience": 0}
    # same clocks, their `for N steps` shortened to fit the shorter run
    data["clocks"] = {name: clock.model_copy(update={"for_steps": min(clock.for_steps, steps // 4)}).text()
                      for name, clock in spec.clocks.items()}
    if not probes:
        data["probes"] = {"every": steps}
        data["clocks"] = {}
    data["name"] = f"{spec.name}-bench-{'on' if probes else 'off'}{'-compiled' if compiled else ''}"
    return clockspec.compile(clockspec.Experiment.model_validate(data))


def clockspec_rate(plan, out: Path, threads: int, device: str) -> tuple[float, Path]:
    result = run(plan, out=out, force=True, progress=False, threads=threads, device=device)
    status = json.loads((result.run_dir / "status.json").read_text())
    if device.startswith("cuda"):
        return status["steps_per_s"], result.run_dir
    return status["step"] / status["loop_cpu_s"], result.run_dir


GOALS = {("off", "hand"): 3.0, ("on", "hand"): 2.5, ("off", "best"): 0.95, ("on", "best"): 0.85,
         ("off+c", "hand"): 3.0, ("on+c", "hand"): 2.5, ("off+c", "best"): 0.95, ("on+c", "best"): 0.85}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--spec", default=str(Path(__file__).resolve().parent.parent / "specs" / "quickstart.yaml"))
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)
    spec = clockspec.load(Path(args.spec))
    plans = {"off": variant(spec, args.steps, False, False), "on": variant(spec, args.steps, True, False),
             "off+c": variant(spec, args.steps, False, True), "on+c": variant(spec, args.steps, True, True)}
    best = BestHandLoop(spec, args.device)
    rates: dict[str, list[float]] = {"hand": [], "best": [], **{name: [] for name in plans}}
    compile_s: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        for _ in range(args.rounds):
            rates["hand"].append(hand_loop(spec, args.steps, args.device))
            rates["best"].append(best.rate(args.steps))
            for name, plan in plans.items():
                rate, run_dir = clockspec_rate(plan, out, args.threads, args.device)
                rates[name].append(rate)
                if name == "on":
                    on_dir = run_dir
                if name.endswith("+c"):
                    compile_s.append(json.loads((run_dir / "status.json").read_text())["compile_s"])
        reuse = clock_reuse(plans["on"], on_dir, out, args.threads, args.device)
    unit = "wall s" if args.device.startswith("cuda") else "CPU s"
    print(f"quickstart model on {args.device}, {args.steps} steps x {args.rounds} rounds, torch {torch.__version__}, "
          f"{args.threads} thread(s), probes every {spec.probes.every} with {len(plans['on'].metrics)} metrics; "
          f"best hand loop compiled in {best.compile_s:.1f} s, clockspec's compiled step in {compile_s[0]:.1f} s for "
          f"the first run, {statistics.median(compile_s[1:] or [0.0]):.2f} s (median) for the next ones, which find "
          "it compiled (neither counted)")
    for name in rates:
        print(f"  {name:<6} steps per {unit}: " + "  ".join(f"{r:7.1f}" for r in rates[name]))
    for (name, base), goal in GOALS.items():
        ratios = [c / h for c, h in zip(rates[name], rates[base])]
        print(f"ratio clockspec/{base}, probes {name:<5}: {max(rates[name]) / max(rates[base]):.3f} best/best, "
              f"{statistics.median(ratios):.3f} median of rounds (goal >= {goal})")
    for line in reuse:
        print(line)


def clock_reuse(on, run_dir: Path, out: Path, threads: int, device: str) -> list[str]:
    """Re-evaluating changed clocks from metrics.jsonl against training: two lines to print."""
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    train_s = json.loads((run_dir / "status.json").read_text())["loop_cpu_s"]
    began = time.perf_counter()
    evaluate_clocks(on.spec.clocks, rows, on.spec.stop)
    evaluate_s = time.perf_counter() - began
    changed = on.spec.model_dump(mode="json")
    changed["clocks"]["half_fit"] = "first train_acc >= 0.5"  # a new clock: same training
    replan = clockspec.compile(clockspec.Experiment.model_validate(changed))
    began = time.perf_counter()
    result = run(replan, out=out, progress=False, threads=threads, device=device)
    reuse_s = time.perf_counter() - began
    return [f"clock re-evaluation over {len(rows)} probe rows: {evaluate_s * 1e3:.2f} ms "
            f"vs training {train_s:.1f} s ({train_s / evaluate_s:,.0f}x faster)",
            f"`run` on a plan with changed clocks: action {result.action}, {reuse_s:.2f} s in all "
            "(most of it redrawing curves.png)"]


if __name__ == "__main__":
    main()
