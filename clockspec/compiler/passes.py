"""Compiler passes: plain functions over a validated experiment, run in the order of PASSES.

Each pass returns every problem it finds (a `Finding`: the IR path it is about, a message,
a hint), never stopping at the first; `run_passes` turns them all into positioned
diagnostics at once. Facts that several passes need (sizes, probe counts) come from one
`Context`, computed once.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from clockspec.compiler import facts as derived
from clockspec.compiler import limits
from clockspec.compiler.schedule import count_probes
from clockspec.core.errors import Diagnostic, SpecError
from clockspec.ir.base import format_number
from clockspec.ir.clocks import FirstClock, SettleClock
from clockspec.ir.losses import LOSSES
from clockspec.ir.metrics import METRICS, unmeasurable
from clockspec.ir.spec import Experiment
from clockspec.syntax.checks import clock_references
from clockspec.syntax.provenance import source_of
from clockspec.syntax.source import PathT, RawDoc, dotted

GiB = 1024**3
DEFAULT_MEMORY_LIMIT = 8 * GiB
MEMORY_LIMIT_ENV = "CLOCKSPEC_MEMORY_LIMIT"  # bytes, or a number with a K/M/G/T suffix (GiB-style)
# Metrics every run records: all come from the forward passes a probe makes anyway, so
# a clock on one of them never needs a new run.
BASE_METRICS = ("train_loss", "test_loss", "train_acc", "test_acc", "margin", "weight_norm")


@dataclass(frozen=True)
class Finding:
    path: PathT
    message: str
    hint: str | None = None
    severity: str = "error"
    offset: int = 0  # columns into the value at `path` (e.g. the metric inside a clock text)


@dataclass
class Context:
    spec: Experiment
    memory_limit: int = DEFAULT_MEMORY_LIMIT
    source: tuple[RawDoc, PathT] | None = None  # where the spec was read from, if known
    broken: set[str] = field(default_factory=set)  # facts an earlier pass found incomputable

    @cached_property
    def sizes(self) -> dict[str, int]:
        """The task's sizes, the output width the model is built with being the loss's when it names one."""
        outputs = LOSSES[self.spec.train.loss].outputs
        return {**self.spec.task.sizes(), **({"output_dim": outputs} if outputs else {})}

    @cached_property
    def shapes(self) -> list:
        return self.spec.model.param_shapes(self.sizes)

    @cached_property
    def n_probes(self) -> int:
        return count_probes(self.spec.probes, self.spec.train.steps)

    @cached_property
    def cost(self) -> dict[str, int]:
        return derived.cost(self.spec, self.sizes, self.shapes, self.n_probes)


def recorded_metrics(spec: Experiment) -> tuple[str, ...]:
    """Metrics the run records: the base set, those asked for, those the clocks watch."""
    base = {m for m in BASE_METRICS if METRICS[m].requires(spec) is None}  # no accuracy on regression targets
    wanted = base | set(spec.probes.metrics) | {c.metric for c in spec.clocks.values()}
    return tuple(m for m in METRICS if m in wanted)


# ---- the passes ------------------------------------------------------------------------


def task_data_readable(ctx: Context) -> Iterable[Finding]:
    """A task that reads a file can read it: a positioned error at `path` before anything trains."""
    for problem in ctx.spec.task.data_problems():
        yield Finding(("task", "path"), problem, "a dataset path is relative to the spec's folder (docs/zoo.md)")


def model_fits_task(ctx: Context) -> Iterable[Finding]:
    """The model can train on the task (an embedding model needs tokens): it says why not."""
    misfit = ctx.spec.model.task_misfit(ctx.spec.task)
    if misfit:
        ctx.broken.add("shapes")
        yield Finding(("model", "kind"), *misfit)


def parametrization_fits_model(ctx: Context) -> Iterable[Finding]:
    """Each `parametrization.layers` key names layers of this model (and a bias only where one can be)."""
    misfits = getattr(ctx.spec.model, "layer_misfits", None)
    if misfits is None or "shapes" in ctx.broken:
        return
    for key, message in misfits(ctx.sizes):
        yield Finding(("model", "parametrization", "layers", key), message)


def loss_fits_task(ctx: Context) -> Iterable[Finding]:
    """Real-valued targets have no classes: only the square loss fits them."""
    if ctx.spec.task.value_targets and not LOSSES[ctx.spec.train.loss].real_targets:
        yield Finding(("train", "loss"), f"loss '{ctx.spec.train.loss}' needs class labels, but task "
                      f"'{ctx.spec.task.kind}' has real-valued targets", "use loss: mse")
    elif LOSSES[ctx.spec.train.loss].outputs and ctx.spec.task.sizes()["output_dim"] != 2:
        yield Finding(("train", "loss"), f"loss '{ctx.spec.train.loss}' reads one output against a +-1 target, so it "
                      f"needs two classes; task '{ctx.spec.task.kind}' has {ctx.spec.task.sizes()['output_dim']}",
                      "use loss: hinge (the multiclass hinge) or cross_entropy")


def metrics_producible(ctx: Context) -> Iterable[Finding]:
    for path, message, word in unmeasurable(ctx.spec):
        yield Finding(path, message, offset=_offset_of(word, ctx, path) if word else 0)


def thresholds_reachable(ctx: Context) -> Iterable[Finding]:
    """A clock's threshold lies where its metric can be: `first test_acc >= 99` never fires
    (an accuracy is at most 1); past a range that is only typical, a warning."""
    for name, clock in ctx.spec.clocks.items():
        span = METRICS[clock.metric].range
        if clock.threshold is None or not span.excludes(clock.op, clock.threshold):
            continue
        sure = span.sure
        yield Finding(("clocks", name), f"clock '{name}' waits for {clock.metric} {clock.op} "
                      f"{format_number(clock.threshold)}, but {clock.metric} {span.words()}"
                      + (": it can never fire" if sure else " as a rule: it will likely never fire"),
                      span.hint, severity="error" if sure else "warning",
                      offset=_threshold_offset(clock.op, ctx, ("clocks", name)))


def _threshold_offset(op: str, ctx: Context, path: PathT) -> int:
    """Column offset of the number after `op` in the clock text at `path`, if known."""
    raw = _raw(ctx, path)
    at = raw.find(op) if isinstance(raw, str) else -1
    return at + len(op) + len(raw[at + len(op):]) - len(raw[at + len(op):].lstrip()) if at >= 0 else 0


def cadence_fits(ctx: Context) -> Iterable[Finding]:
    """A cadence names a recorded metric; a clock's `for N steps` finer than its metric's cadence is
    judged at the metric's probes only, so its window is really a multiple of the cadence."""
    spec = ctx.spec
    recorded = recorded_metrics(spec)
    cadences = spec.probes.cadence or {}
    for name in cadences:
        if name not in recorded:
            yield Finding(("probes", "cadence", name), f"cadence names '{name}', which this run does not record",
                          f"add '{name}' to probes.metrics, or watch it with a clock")
    for clock_name, clock in spec.clocks.items():
        every = cadences.get(clock.metric)
        if every and 0 < clock.for_steps < every:
            yield Finding(("clocks", clock_name), f"clock '{clock_name}' holds for {clock.for_steps} steps, but "
                          f"'{clock.metric}' is measured only every {every} steps: the clock resolves at those "
                          f"probes, so it needs {every} steps of evidence at least",
                          f"use 'for {every} steps' or more, or measure '{clock.metric}' more often",
                          severity="warning", offset=_offset_of("for", ctx, ("clocks", clock_name)))


def clock_graph(ctx: Context) -> Iterable[Finding]:
    """`after`/`stop.after` name real clocks and do not loop (the check the loader runs too)."""
    afters = {name: clock.after for name, clock in ctx.spec.clocks.items()}
    for path, message, hint in clock_references(afters, ctx.spec.stop.after):
        yield Finding(path, message, hint)
    for i, name in enumerate(ctx.spec.stop.after):
        clock = ctx.spec.clocks.get(name)
        if clock is not None and not clock.online:
            yield Finding(("stop", "after", i), f"stop.after waits on '{name}', a {clock.kind} clock, which only the "
                          "end of the run decides: the run could never stop on it",
                          "stop on a clock that fires online (first, enter, settle)")


def regularizers_fit_model(ctx: Context) -> Iterable[Finding]:
    """Each regularizer that is on says what it cannot do on this model (`misfits`)."""
    layers = None if "shapes" in ctx.broken else weight_layers(ctx.shapes)
    for name, reg in ctx.spec.regularizers:
        if reg is None:
            continue
        for field_path, message in reg.misfits(ctx.spec, layers):
            yield Finding(("regularizers", name) + field_path, message)


def probe_schedule_fires(ctx: Context) -> Iterable[Finding]:
    probes, steps = ctx.spec.probes, ctx.spec.train.steps
    if probes.schedule == "every" and probes.every > steps:
        yield Finding(("probes", "every"), f"probes every {probes.every} steps never fire within train.steps = {steps}: "
                      "only step 0 and the final step would be measured",
                      f"use probes.every <= {max(steps // 10, 1)} for about ten probes")
    if probes.schedule == "log" and probes.points > ctx.n_probes:
        yield Finding(("probes", "points"), f"a log schedule of {probes.points} points over {steps} steps has only "
                      f"{ctx.n_probes} distinct steps", severity="warning")


def clocks_can_fire(ctx: Context) -> Iterable[Finding]:
    """Clocks that need more steps than the run has, and settle clocks with no room to settle."""
    spec = ctx.spec
    steps = spec.train.steps
    for name, clock in spec.clocks.items():
        if clock.for_steps > steps:
            yield Finding(("clocks", name), f"clock '{name}' needs {clock.for_steps} steps of evidence but the run "
                          f"has train.steps = {steps}", offset=_offset_of("for", ctx, ("clocks", name)))
        if not isinstance(clock, SettleClock):
            continue
        if ctx.n_probes < 3:
            yield Finding(("clocks", name), f"settle clock '{name}' needs at least 3 probes to judge settling; the "
                          f"schedule has {ctx.n_probes}", "probe more often (probes.every)")
        ancestors = _after_chain(spec, name)
        stoppers = set(spec.stop.after)
        gap = max(clock.for_steps, spec.probes.every if spec.probes.schedule == "every" else 1)
        if stoppers and stoppers <= ancestors and spec.stop.patience < gap:
            yield Finding(("clocks", name), f"settle clock '{name}' starts after '{clock.after}', but the run stops "
                          f"{spec.stop.patience} steps after {', '.join(sorted(stoppers))} fired: no run length to settle in",
                          f"set stop.patience >= {gap}, or drop '{clock.after}' from stop.after")


def device_supports_dtype(ctx: Context) -> Iterable[Finding]:
    spec = ctx.spec
    if spec.device == "mps" and spec.train.dtype == "float64":
        yield Finding(("train", "dtype"), "device mps has no float64 support",
                      "use dtype float32 on mps, or device cpu/cuda for float64")


def sizes_within_limits(ctx: Context) -> Iterable[Finding]:
    """Hard limits on products of sizes (clockspec.compiler.limits), at the field that matters most."""
    spec = ctx.spec
    if "shapes" not in ctx.broken:
        n = ctx.cost["n_params"]
        if n > limits.MAX_PARAMS:
            ctx.broken.add("size")
            path = limits.culprit(spec, limits.n_params, ("model",))
            yield Finding(path, f"the model would have {n:,} parameters, above the limit of {limits.MAX_PARAMS:,}",
                          f"shrink {dotted(path, whole='')} (limits: docs/hardening.md)")
    data = derived.data_bytes(spec, ctx.sizes)
    if data > limits.MAX_DATA_BYTES:
        ctx.broken.add("size")
        path = limits.culprit(spec, limits.data_bytes, ("task",))
        yield Finding(path, f"the dataset would take {_gib(data)} ({ctx.sizes['n_train'] + ctx.sizes['n_test']:,} "
                      f"examples of {ctx.sizes['input_dim']:,} inputs), above the limit of {_gib(limits.MAX_DATA_BYTES)}",
                      f"shrink {dotted(path, whole='')} (limits: docs/hardening.md)")
    if ctx.n_probes > limits.MAX_PROBE_ROWS:
        steps = spec.train.steps
        yield Finding(("probes", "every"), f"probes every {spec.probes.every} steps over {steps:,} steps would record "
                      f"{ctx.n_probes:,} rows, above the limit of {limits.MAX_PROBE_ROWS:,}",
                      f"probe every {-(-steps // (limits.MAX_PROBE_ROWS - 2))} steps or more, or use schedule: log")


def fits_in_memory(ctx: Context) -> Iterable[Finding]:
    if ctx.broken & {"shapes", "size"}:
        return
    need = ctx.cost["memory_bytes"]
    if need > ctx.memory_limit:
        path = limits.culprit(ctx.spec, lambda s: derived.cost(s, s.task.sizes(), s.model.param_shapes(
            s.task.sizes()), ctx.n_probes)["memory_bytes"], ("model",))
        yield Finding(path, f"estimated peak memory {_gib(need)} ({ctx.cost['n_params']:,} parameters, "
                      f"{ctx.spec.train.dtype}, with gradients, optimizer state and activations) exceeds the limit "
                      f"of {_gib(ctx.memory_limit)}",
                      f"shrink {dotted(path, whole='')}, or raise the limit ({MEMORY_LIMIT_ENV} or --memory-limit)")


def measurement_caveats(ctx: Context) -> Iterable[Finding]:
    """Warnings from DOMAIN.md's measurement facts: clocks that may never fire for a known reason."""
    spec = ctx.spec
    for name, clock in spec.clocks.items():
        if clock.metric == "pattern_flips" and spec.probes.flip_band == 0.0 and spec.optimizer.adaptive:
            yield Finding(("clocks", name), f"clock '{name}': under {spec.optimizer.kind} a few ReLU units sit at the "
                          "kink and keep flipping, so with probes.flip_band = 0 the pattern may never freeze",
                          "set probes.flip_band (e.g. 1e-5) to ignore units with |pre-activation| below it",
                          severity="warning")
        if (isinstance(clock, FirstClock) and clock.metric == "train_loss" and clock.op in ("<=", "<")
                and _decays(spec)):
            yield from _floor_caveat(spec, name, clock)


def _floor_caveat(spec: Experiment, name: str, clock: FirstClock) -> Iterable[Finding]:
    """With weight decay the training loss has a floor above zero, whose height depends on the
    data's margins and the norm the weights reach: nothing the spec tells. A threshold below
    it leaves the clock censored, which a report shows as such; the warning is given only where
    that would also cost something: a stop that waits on the clock, or clocks that run after it."""
    waiting = [c for c, other in spec.clocks.items() if other.after == name]
    consequences = ([f"the run would never stop early (stop.after waits on '{name}')"] if name in spec.stop.after
                    else []) + ([f"{', '.join(repr(c) for c in waiting)} would never start (after '{name}')"]
                                if waiting else [])
    if consequences:
        yield Finding(("clocks", name), f"clock '{name}': with weight decay the training loss has a floor above zero "
                      f"that the spec cannot tell; were it above {clock.value:g}, '{name}' would never fire and "
                      + " and ".join(consequences),
                      "'settle train_loss within ...' measures fitting relative to the floor",
                      severity="warning")


PASSES: tuple[Callable[[Context], Iterable[Finding]], ...] = (
    model_fits_task,
    parametrization_fits_model,
    loss_fits_task,
    metrics_producible,
    thresholds_reachable,
    cadence_fits,
    clock_graph,
    regularizers_fit_model,
    probe_schedule_fires,
    clocks_can_fire,
    device_supports_dtype,
    sizes_within_limits,
    fits_in_memory,
    measurement_caveats,
)


def run_passes(spec: Experiment, memory_limit: int | None = None,
               source: tuple[RawDoc, PathT] | None = None) -> tuple[Context, list[Diagnostic]]:
    """All passes over `spec`; diagnostics positioned in its source (if known) or by IR path."""
    limit = memory_limit if memory_limit is not None else memory_limit_from_env()
    ctx = Context(spec, limit, source or source_of(spec))
    findings = list(task_data_readable(ctx))  # every other pass needs the data's sizes
    if not findings:
        findings = [f for check in PASSES for f in check(ctx)]
    return ctx, [_diagnostic(f, spec, ctx.source) for f in findings]


# ---- helpers ---------------------------------------------------------------------------


def weight_layers(shapes: list) -> list[str]:
    """The layers a per-layer weight decay lists strengths for, in order: the matrices
    (a LayerNorm's gain is a `.weight` too, but a vector)."""
    return [name.rsplit(".", 1)[0] for name, shape in shapes if name.endswith(".weight") and len(shape) == 2]


def _decays(spec: Experiment) -> bool:
    wd = spec.regularizers.weight_decay
    return wd is not None and (wd.strength > 0 or any(s > 0 for s in wd.per_layer or []))


def _after_chain(spec: Experiment, name: str) -> set[str]:
    out: set[str] = set()
    cur = spec.clocks[name].after
    while cur is not None and cur in spec.clocks and cur not in out:
        out.add(cur)
        cur = spec.clocks[cur].after
    return out


def _offset_of(word: str, ctx: Context, path: PathT) -> int:
    """Column offset of `word` in the source text at `path` (a clock expression), if known."""
    raw = _raw(ctx, path)
    at = raw.find(word) if isinstance(raw, str) else -1
    return max(at, 0)


def _raw(ctx: Context, path: PathT) -> Any:
    """The value at `path` as the source has it (None when the source is unknown)."""
    if ctx.source is None:
        return None
    doc, prefix = ctx.source
    raw: Any = doc.data
    for part in prefix + path:
        try:
            raw = raw[part]
        except (KeyError, IndexError, TypeError):
            return None
    return raw


def _diagnostic(f: Finding, spec: Experiment, source: tuple[RawDoc, PathT] | None) -> Diagnostic:
    where = ".".join(str(p) for p in f.path) or "spec"
    if source is None:
        return Diagnostic(f"{where}: {f.message}", f"<experiment {spec.name}>", 1, 1, f.hint, f.severity)
    doc, prefix = source
    line, col = doc.pos(prefix + f.path)
    return Diagnostic(f.message, doc.file, line, col + f.offset, f.hint, f.severity)



def _gib(n: int) -> str:
    for unit, scale in (("TiB", 1024**4), ("GiB", GiB), ("MiB", 1024**2)):
        if n >= scale / 10:
            return f"{n / scale:.3g} {unit}"
    return f"{n} B"


def parse_bytes(text: str) -> int:
    """'8G', '512M', '1.5GiB', '1000000' -> bytes (binary units)."""
    units = {"": 1, "K": 1024, "M": 1024**2, "G": GiB, "T": 1024**4}
    t = text.strip().upper().removesuffix("IB").removesuffix("B")
    suffix = t[-1] if t and t[-1] in units else ""
    try:
        value = float(t[: len(t) - len(suffix)])
    except ValueError:
        raise ValueError(f"not a size: {text!r} (e.g. 8G, 512M, 1000000)") from None
    return int(value * units[suffix])


def memory_limit_from_env() -> int:
    text = os.environ.get(MEMORY_LIMIT_ENV)
    if not text:
        return DEFAULT_MEMORY_LIMIT
    try:
        return parse_bytes(text)
    except ValueError as exc:
        raise SpecError(f"{MEMORY_LIMIT_ENV}: {exc}") from None
