"""Auto-generated ablations: an experiment -> a one-at-a-time family around it, x seeds.

The axes, each a one_at_a_time factor around the base (docs/families.md):
- each regularizer removed, and its strength scaled down and up (x1/3, x3: log scale);
- the learning rate x1/3 and x3, the init scale x1/2 and x2;
- the activation swapped (relu <-> gelu);
- the model's and the task's own axes (`ablation_axes` of the kind, clockspec.ir): e.g. a
  deep linear net one layer shallower/deeper and half/double as wide; an MLP with its last
  hidden layer dropped or repeated, all widths halved/doubled, the embedding halved/doubled;
  the train fraction moved by 0.2, or the teacher's train size halved/doubled.
A value that would make an invalid experiment (a clock that needs ReLU when the
activation is swapped) is left out, and a comment in the family says why.
"""
from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from clockspec.core.errors import SpecError, did_you_mean
from clockspec.ir import paths
from clockspec.ir.spec import Experiment
from clockspec.syntax import naming
from clockspec.syntax.overrides import plain

LOG_STEP = 3.0  # learning rates and strengths: one step is x3 (about half a decade)
INIT_STEP = 2.0


def _round(x: float) -> float:
    """One significant digit: ablation values should read like a person chose them."""
    return float(f"{x:.1g}")


def candidate_axes(spec: Experiment) -> list[tuple[str, list[Any], str]]:
    """(path, values, why) for every axis an ablation of `spec` would vary."""
    axes: list[tuple[str, list[Any], str]] = []
    for name, reg in spec.regularizers:
        if reg is None:
            continue
        axes.append((f"regularizers.{name}", [None], f"{name} removed"))
        if reg.strength > 0:
            axes.append((f"regularizers.{name}.strength",
                         [_round(reg.strength / LOG_STEP), _round(reg.strength * LOG_STEP)],
                         f"base {naming.readable(reg.strength)}; x1/3 and x3"))
    lr = spec.optimizer.lr
    axes.append(("optimizer.lr", [_round(lr / LOG_STEP), _round(lr * LOG_STEP)],
                 f"base {naming.readable(lr)}; x1/3 and x3"))
    model = spec.model
    axes.append(("model.init_scale", [_round(model.init_scale / INIT_STEP), _round(model.init_scale * INIT_STEP)],
                 f"base {naming.readable(model.init_scale)}; x1/2 and x2"))
    if hasattr(model, "activation"):
        swap = "gelu" if model.activation == "relu" else "relu"
        axes.append(("model.activation", [swap], f"base {model.activation}; swapped"))
    for part in ("model", "task"):  # each kind proposes its own size axes
        kind = getattr(spec, part)
        axes += [(f"{part}.{axis.field}", axis.values, f"base {naming.readable(getattr(kind, axis.field))}; {axis.how}")
                 for axis in kind.ablation_axes()]
    return [(p, vals, why) for p, vals, why in axes if vals]


def _reason(spec: Experiment, path: str, value: Any) -> str | None:
    """Why setting one value on the base makes an invalid experiment, or None."""
    from clockspec.syntax.checks import check_semantics

    data = paths.assign(plain(spec), tuple(path.split(".")), value)
    try:
        member = Experiment.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        return err["msg"].removeprefix("Value error, ")
    problems = check_semantics(member)
    if problems:
        return problems[0][1]
    return _compile_reason(member)


def _compile_reason(member: Experiment) -> str | None:
    from clockspec.compiler.plan import compile as compile_plan

    try:
        compile_plan(member)
    except SpecError as exc:
        return exc.diagnostics[0].message
    return None


def ablation(spec: Experiment, base_ref: str, seeds: int = 3,
             only: list[str] | None = None) -> tuple[dict, dict[tuple, list[str]]]:
    """The ablation family of `spec` as plain family data, and the comments to print with it."""
    axes = candidate_axes(spec)
    if only:
        known = [p for p, _, _ in axes]
        for prefix in only:
            if not any(p == prefix or p.startswith(prefix + ".") for p in known):
                raise SpecError(f"--only '{prefix}' matches no ablation axis of '{spec.name}'; axes: "
                                f"{', '.join(known)}" + (f" ({did_you_mean(prefix, known)})"
                                                         if did_you_mean(prefix, known) else ""))
        axes = [a for a in axes if any(a[0] == o or a[0].startswith(o + ".") for o in only)]
    where = ("vary", "one_at_a_time")
    comments: dict[tuple, list[str]] = {}
    factors: dict[str, list[Any]] = {}
    for path, values, why in axes:
        kept = []
        notes = [why]
        for value in values:
            reason = _reason(spec, path, value)
            if reason:
                notes.append(f"left out {naming.readable(value)}: {reason}")
            else:
                kept.append(value)
        if kept:
            factors[path] = kept
            comments[where + (path,)] = [f" {note}" for note in notes]
        else:  # nothing left of the axis: say so above the block
            comments.setdefault(where, []).extend(f" {path}: {note}" for note in notes)
    family: dict[str, Any] = {
        "clockspec": 1,
        "family": naming.fit(f"{spec.name}-ablation"),
        "description": f"One-at-a-time ablation of {spec.name}, generated by `clockspec ablate`: "
                       "edit it and commit it like any spec.",
        "base": base_ref,
        "vary": {"one_at_a_time": factors},
    }
    if seeds > 1:
        family["vary"]["grid"] = {"seed": [spec.seed + i for i in range(seeds)]}
    return family, comments
