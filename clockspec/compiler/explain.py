"""`clockspec explain`: a plain-language page about a compiled experiment, for a reviewer
who knows the science but not the tool: what is trained on what, what the regulariser
means for the end-to-end map, what each clock measures and when it can fire, what it costs.
"""
from __future__ import annotations

from clockspec.compiler import compile_cost
from clockspec.compiler.compile_cost import EAGER_FLOPS  # FLOPs to an order of magnitude of time
from clockspec.compiler.extension import why_not
from clockspec.compiler.plan import Plan
from clockspec.core.escape import terminal_lines
from clockspec.core.run_names import run_dir_name
from clockspec.ir import plugins
from clockspec.ir.base import format_number
from clockspec.ir.losses import LOSSES
from clockspec.ir.metrics import METRICS


def explain(plan: Plan) -> str:
    spec = plan.spec
    out = [f"# {spec.name}", ""]
    if spec.description:
        out += [terminal_lines(spec.description.strip()), ""]
    out += ["## What is trained on what", "", _task(plan), "", _model(plan), "", _training(plan), ""]
    if plugins.used_by(spec):  # the installed code that computes these kinds, in the train hash
        out += [f"Plugins (their versions are in the train hash): {'; '.join(plugins.used_by(spec))}.", ""]
    out += [_execution(plan), ""]
    out += ["## The objective", "", *_objective(plan), ""]
    out += ["## What is measured", "", _probes(plan), ""]
    out += [f"- `{m}`: {METRICS[m].meaning}" + (f" (per probe: {METRICS[m].cost})" if METRICS[m].cost else "")
            for m in plan.metrics]
    out += ["", "## Clocks", ""]
    out += _clocks(plan) or ["No clocks: the run records metrics only."]
    if spec.clocks:
        out += ["", "A clock that never fires is censored: reported as not reached at the last step, with the "
                "metric's last value."]
    out += ["", _stop(plan), "", "## Cost", "", *_cost(plan), ""]
    out += ["## Identity", "",
            f"Train hash `{plan.train_hash[:12]}`: trained once into the store's `runs/.objects/` and shown as "
            f"`runs/{run_dir_name(spec.name, plan.train_hash)}/`, as under any other name that asks for it. "
            "Editing a clock that the stop rule does not wait for, the description or the tags keeps this "
            "hash: the clocks are re-evaluated from the recorded metrics without retraining.", "", _longer(plan), ""]
    for diag in plan.diagnostics:
        out.append(f"Note: {diag.message}")
    return "\n".join(out).rstrip() + "\n"


def _longer(plan: Plan) -> str:
    """What a run of the same spec with more `train.steps` does with this one."""
    reason = why_not(plan)
    if reason is not None:
        return f"A run with more train.steps is a new program, trained from step 0: {reason}."
    return ("A run with more train.steps continues this one from its last step, if it ran all its steps (the "
            "state there is kept as `final.pt` in the store), bit for bit the longer run trained from step 0: "
            "nothing here depends on the total.")


def _task(plan: Plan) -> str:
    return f"Task: {plan.spec.task.describe(plan.derived)}"


def _model(plan: Plan) -> str:
    parametrization = getattr(plan.spec.model, "parametrization", None)
    extra = f" {parametrization.describe()}" if parametrization is not None else ""
    return f"Model: {plan.spec.model.describe(plan.spec.task, plan.derived)}{extra}"


def _training(plan: Plan) -> str:
    spec = plan.spec
    opt = spec.optimizer
    schedule = opt.schedule + (f" with {opt.warmup_steps} warm-up steps" if opt.warmup_steps else "")
    batch = "full batch" if spec.train.batch == "full" else f"minibatches of {spec.train.batch} (order drawn from the seed)"
    if getattr(spec.task, "online", None):
        batch = f"fresh batches of {plan.derived['batch_size']:,} examples (online, drawn by the seed and the step)"
    return (f"Training: {opt.describe()}, {schedule} schedule; {batch}; "
            f"up to {spec.train.steps:,} steps in {spec.train.dtype} on device `{spec.device}`, seed {spec.seed}.")


FIRST_LAYER = {
    "projection_gather": "token inputs enter as a per-token projection gather ((E W1a^T)[a] + (E W1b^T)[b], the "
                         "same function as the embeddings concatenated through W1, at a fraction of the cost)",
    "column_gather": "token inputs enter by gathering W1's one-hot columns",
    "token_embedding": "token inputs enter as token plus position embeddings, the residual stream",
    "dense": "dense inputs enter the first linear layer",
}


def _execution(plan: Plan) -> str:
    """How the runtime computes the step: part of the train hash, so a change is a new run."""
    ex = plan.derived["execution"]
    one_column = ("; a layer with one output is multiplied member by member" if "one_column" in ex else "")
    return (f"Execution (part of the train hash): the stacked step (every spec's: a run alone is a stack of one, so "
            f"this member gives the same metrics alone or in a family batch, bit for bit); "
            f"{FIRST_LAYER[ex['first_layer']]}{one_column}; torch's {ex['optimizer']} optimizer kernel; "
            f"{compile_cost.reason(plan.spec, plan.derived)}.")


def _objective(plan: Plan) -> list[str]:
    spec, d = plan.spec, plan.derived
    loss = LOSSES[spec.train.loss].meaning
    if spec.train.loss_dtype:
        loss += f", computed in {spec.train.loss_dtype} from the logits on"
    out = [f"Loss: {loss}."]
    regs = [reg for _, reg in spec.regularizers if reg is not None]
    out += [reg.describe(d) for reg in regs]
    out += [kind.describe() for _, kind in (spec.interventions or ()) if kind is not None]
    if not regs:
        out.append("No regulariser: nothing drives simplification once the data are fitted.")
    pen = d.get("induced_penalty")
    if pen:
        out.append("")
        out.append(f"Induced penalty on the end-to-end map: minimised over factorisations W = W_L...W_1, layerwise "
                   f"weight decay equals `{pen['formula']}` (= lambda * L * ||W||_S_q^q with L = {pen['L']}, q = 2/L = "
                   f"{pen['q']:.4g}, lambda = {format_number(pen['lambda'])}), reached by balanced factorisations. "
                   f"This structural energy, {format_number(pen['coefficient'])} x the `schatten` metric at q = 2/L, "
                   f"keeps falling after the loss has fitted; its settling is the slow simplification clock"
                   + _watched_by(plan) + ".")
    elif spec.regularizers.weight_decay is not None and spec.model.linear_depth is None:
        out.append("")
        out.append("The induced Schatten penalty holds for deep linear networks; here it applies only where the "
                   "ReLU pattern has frozen and the network is linear in its active coordinates.")
    return out


def _watched_by(plan: Plan) -> str:
    names = [f"`{n}`" for n, c in plan.spec.clocks.items() if c.metric == "schatten"]
    q_auto = plan.spec.probes.schatten_q == "auto"
    return f" (watched here by {' and '.join(names)})" if names and q_auto else ""


def _probes(plan: Plan) -> str:
    p, d = plan.spec.probes, plan.derived
    when = (f"every {p.every} steps" if p.schedule == "every" else f"at about {p.points} log-spaced steps")
    return f"Probes run {when}, step 0 and the last step included ({d['n_probes']:,} probes), and record:"


def _clocks(plan: Plan) -> list[str]:
    out = []
    for name, clock in plan.spec.clocks.items():
        text = clock.describe()
        if clock.after:
            text += f", counted from the step at which `{clock.after}` fired"
        out.append(f"- **{name}** = `{clock.text()}`: {text}. {_when(plan, clock)}")
    return out


def _when(plan: Plan, clock) -> str:
    """The range of steps the clock can report, and its resolution."""
    steps = plan.probe_steps() if plan.derived["n_probes"] <= 100_000 else [0, plan.spec.train.steps]
    end = steps[-1]
    # The step reported is where the condition starts to hold; `for N steps` (and, for a
    # clock judged against the final value, a second probe) must still fit before the run ends.
    last = end - 1 if clock.needs_final_value else end
    latest = max((s for s in steps if s <= last and s + clock.for_steps <= end), default=0)
    grain = (f"resolved to {plan.spec.probes.every}-step probes" if plan.spec.probes.schedule == "every"
             else "resolved to the log-spaced probes")
    start = f"at or after the step of `{clock.after}`" if clock.after else "from step 0"
    return f"It can report a step {start} up to step {latest:,}, {grain}."


def _stop(plan: Plan) -> str:
    stop = plan.spec.stop
    if not stop.after:
        return f"The run always trains for all {plan.spec.train.steps:,} steps."
    wait = f" and {stop.patience} more steps have run" if stop.patience else ""
    names = " and ".join(f"`{n}`" for n in stop.after) + (" have all" if len(stop.after) > 2 else
                                                            " have both" if len(stop.after) == 2 else " has")
    return (f"The run stops early once {names} fired{wait}, else after "
            f"{plan.spec.train.steps:,} steps.")


def _cost(plan: Plan) -> list[str]:
    d = plan.derived
    seconds = d["flops_total"] / EAGER_FLOPS
    return [
        f"- parameters: {d['n_params']:,} ({', '.join(f'{n} {tuple(s)}' for n, s in d['param_shapes'])})",
        f"- per training step: ~{_eng(d['flops_per_step'])}FLOP (batch {d['batch_size']:,}); per probe: "
        f"~{_eng(d['flops_per_probe'])}FLOP",
        f"- whole run if it never stops early: ~{_eng(d['flops_total'])}FLOP, about {_duration(seconds)} at "
        f"{_eng(EAGER_FLOPS)}FLOP/s (one CPU core, roughly)",
        f"- peak memory estimate: {_bytes(d['memory_bytes'])}",
    ]


def _eng(x: float) -> str:
    for unit, scale in (("P", 1e15), ("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if x >= scale:
            return f"{x / scale:.3g} {unit}"
    return f"{x:.3g} "


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _bytes(n: int) -> str:
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n} B"
