"""Hypothesis strategies for valid IR: experiments and families.

Kinds (tasks, models, regularizers, optimizers) are drawn from their registries, each
field from its pydantic annotation and constraints, so a newly registered kind or field
is covered without editing this file. Clocks, stops and families are drawn so that the
cross-field rules hold (`after` names an earlier clock; a family varies real IR paths,
each once, with values of the right type). Reused by the printer, diff and fuzz tests.
"""
from __future__ import annotations

import types
import typing
from typing import Any, Literal, Union

import annotated_types as at
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from clockspec.ir.clocks import CLOCKS, SettleClock, TransitionClock
from clockspec.ir.metrics import METRIC_NAMES
from clockspec.ir.models import MODELS
from clockspec.ir.optimizers import OPTIMIZERS
from clockspec.ir.regularizers import REGULARIZERS, Regularizers
from clockspec.ir.spec import Experiment, Family, Probes, Stop, Train
from clockspec.ir.tasks import TASKS

# Any Unicode text a YAML or .clk file can hold (no lone surrogates).
text = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)
finite = st.floats(allow_nan=False, allow_infinity=False)
names = st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,15}", fullmatch=True)
clock_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,11}", fullmatch=True)
UNBOUNDED_SPAN = 10_000  # upper end for ints the IR leaves open (keeps validators satisfiable)


def _bounds(metadata: list[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in metadata:
        if isinstance(item, FieldInfo):
            out.update(_bounds(item.metadata))
        for name in ("ge", "gt", "le", "lt", "min_length", "max_length"):
            if getattr(item, name, None) is not None and isinstance(item, (at.Ge, at.Gt, at.Le, at.Lt, at.MinLen, at.MaxLen)):
                out[name] = getattr(item, name)
    return out


def _pattern(metadata: list[Any]) -> str | None:
    """The regular expression a string field must match, if any."""
    for item in metadata:
        found = _pattern(item.metadata) if isinstance(item, FieldInfo) else getattr(item, "pattern", None)
        if isinstance(found, str):
            return found
    return None


def for_type(tp: Any, metadata: list[Any] = ()) -> st.SearchStrategy:
    """A strategy for values of one IR annotation under its constraints."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Annotated:
        return for_type(args[0], [*metadata, *args[1:]])
    b = _bounds(list(metadata))
    if origin in (Union, types.UnionType):
        return st.one_of([for_type(a, metadata) for a in args])
    if origin is Literal:
        return st.sampled_from(args)
    if tp is type(None):
        return st.none()
    if tp is bool:
        return st.booleans()
    if tp is int:
        lo = b.get("ge", b["gt"] + 1 if "gt" in b else -UNBOUNDED_SPAN)
        hi = b.get("le", b["lt"] - 1 if "lt" in b else lo + UNBOUNDED_SPAN)
        return st.integers(lo, hi)
    if tp is float:
        return st.floats(
            min_value=b.get("ge", b.get("gt")), max_value=b.get("le", b.get("lt")),
            exclude_min="gt" in b, exclude_max="lt" in b, allow_nan=False, allow_infinity=False)
    if tp is str and _pattern(list(metadata)):
        limit = b.get("max_length", 30)
        return st.from_regex(_pattern(list(metadata)), fullmatch=True).filter(lambda v: len(v) <= min(limit, 30))
    if tp is str:
        return st.text(st.characters(exclude_categories=("Cs",)), max_size=min(b.get("max_length", 30), 30))
    if origin is list:
        item = args[0]
        unique = typing.get_origin(item) is Literal  # e.g. probe metrics: each once
        return st.lists(for_type(item), min_size=b.get("min_length", 0),
                        max_size=min(b.get("max_length", 4), 4), unique=unique)
    if origin is dict:
        return st.dictionaries(for_type(args[0]), for_type(args[1]), max_size=min(b.get("max_length", 3), 3))
    if origin is tuple:
        return st.tuples(*[for_type(a) for a in args])
    if origin is dict:
        return st.dictionaries(for_type(args[0]), for_type(args[1]), max_size=3)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return model(tp)
    raise NotImplementedError(f"no strategy for {tp!r}")


def _valid(cls: type[BaseModel]):
    def build(fields: dict[str, Any]):
        try:
            return cls(**fields)
        except ValidationError:
            return None  # a model validator said no (e.g. div needs a prime modulus)
    return build


def model(cls: type[BaseModel]) -> st.SearchStrategy:
    """Every field of an IR model drawn from its annotation; cross-field validators filter."""
    fields = {name: for_type(f.annotation, f.metadata) for name, f in cls.model_fields.items() if not f.exclude}
    return st.fixed_dictionaries(fields).map(_valid(cls)).filter(lambda m: m is not None)


def kinds(registry) -> st.SearchStrategy:
    return st.one_of([model(cls) for cls in registry.kinds.values()])


regularizers = st.fixed_dictionaries(
    {name: st.none() | model(cls) for name, cls in REGULARIZERS.kinds.items()}
).map(lambda fields: Regularizers(**fields))


@st.composite
def clocks(draw) -> dict[str, Any]:
    """Clocks of every kind whose `after` names an earlier clock, so references resolve and never loop."""
    out: dict[str, Any] = {}
    for name in draw(st.lists(clock_names, max_size=4, unique=True)):
        after = draw(st.none() | st.sampled_from(list(out))) if out else None
        out[name] = draw(clock(after))
    return out


ops = st.sampled_from(["<=", "<", ">=", ">"])


@st.composite
def clock(draw, after: str | None) -> Any:
    """One clock of a kind drawn from all of them."""
    common = {"metric": draw(st.sampled_from(METRIC_NAMES)), "after": after}
    steps = {"for_steps": draw(st.integers(0, 10_000))}
    kind = draw(st.sampled_from(sorted(CLOCKS.kinds)))
    if kind == "settle":
        return SettleClock(kind="settle", within=draw(st.floats(min_value=0, exclude_min=True, allow_infinity=False)),
                           relative=draw(st.booleans()), **common, **steps)
    if kind == "transition":
        return TransitionClock(kind="transition", min_r2=draw(st.floats(min_value=0, max_value=1, exclude_min=True)),
                               **common)
    extra = {"times": draw(st.integers(1, 1000))} if kind == "enter" else {}
    return CLOCKS[kind](kind=kind, op=draw(ops), value=draw(finite), **common, **steps, **extra)


@st.composite
def experiments(draw) -> Experiment:
    clock_map = draw(clocks())
    stop = Stop(after=draw(st.lists(st.sampled_from(list(clock_map)), unique=True)) if clock_map else [],
                patience=draw(st.integers(0, 10_000)))
    return Experiment(
        name=draw(names),
        description=draw(text),
        tags=draw(st.lists(st.text(st.characters(exclude_categories=("Cs",)), max_size=12), max_size=3)),
        seed=draw(st.integers(0, 2**63 - 1)),
        device=draw(st.sampled_from(["auto", "cpu", "mps", "cuda", "cuda:0", "cuda:3"])),
        task=draw(kinds(TASKS)),
        model=draw(kinds(MODELS)),
        regularizers=draw(regularizers),
        optimizer=draw(kinds(OPTIMIZERS)),
        train=draw(model(Train)),
        probes=draw(model(Probes)),
        clocks=clock_map,
        stop=stop,
    )


# ---- families ---------------------------------------------------------------------------

# Paths a family may vary, with values of the right type for each.
VARIED = {
    "seed": st.integers(0, 2**31),
    "description": text,
    "tags": st.lists(text, max_size=2),
    "optimizer.lr": st.floats(min_value=1e-6, max_value=1.0),
    "optimizer.kind": st.sampled_from(OPTIMIZERS.names()),
    "model.hidden": st.lists(st.integers(1, 1024), min_size=1, max_size=3),
    "model.activation": st.sampled_from(["relu", "gelu", "quadratic", "linear"]),
    "train.batch": st.just("full") | st.integers(1, 4096),
    "task.train_fraction": st.floats(min_value=0.05, max_value=0.95),
    "regularizers.weight_decay.strength": st.floats(min_value=0.0, max_value=10.0),
    # null turns a part off; a map turns it on with those fields
    "regularizers.weight_decay": st.none() | st.fixed_dictionaries(
        {"strength": st.floats(min_value=0.0, max_value=10.0)}, optional={"decoupled": st.booleans()}),
}
DRAWN = {  # paths for `random`, with the distributions that fit them
    "seed": st.builds(lambda a, b: {"kind": "int", "low": min(a, b), "high": max(a, b)},
                      st.integers(0, 1000), st.integers(0, 1000)),
    "optimizer.lr": st.builds(lambda a, b: {"kind": "loguniform", "low": min(a, b), "high": max(a, b)},
                              st.floats(1e-6, 1.0), st.floats(1e-6, 1.0)),
    "task.train_fraction": st.builds(lambda a, b: {"kind": "uniform", "low": min(a, b), "high": max(a, b)},
                                     st.floats(0.05, 0.95), st.floats(0.05, 0.95)),
    "model.activation": st.builds(lambda v: {"kind": "choice", "values": v},
                                  st.lists(st.sampled_from(["relu", "gelu", "linear"]), min_size=1, max_size=3)),
}
PREDICATES = ["seed == 2", "optimizer.lr > 1e-2", "model.activation == gelu and seed in [0, 1]",
              "not (seed in [0, 1]) or regularizers.weight_decay == null", 'description == "a b"']
TEMPLATES = ["run-{seed}", "wd{regularizers.weight_decay.strength}-s{seed}", "lr{optimizer.lr:.3g}"]


@st.composite
def varies(draw) -> dict[str, Any]:
    """Combinators over distinct paths; zip axes of equal length; none empty."""
    order = draw(st.permutations(list(VARIED)))
    out: dict[str, Any] = {}
    for comb in ("grid", "zip", "one_at_a_time"):
        if not draw(st.booleans()):
            continue
        axes = order[: draw(st.integers(1, 2))]
        order = order[len(axes):]
        length = draw(st.integers(1, 3))
        out[comb] = {p: draw(st.lists(VARIED[p], min_size=1 if comb != "zip" else length,
                                      max_size=3 if comb != "zip" else length)) for p in axes}
    drawn = [p for p in DRAWN if p in order]
    if drawn and draw(st.booleans()):
        chosen = draw(st.lists(st.sampled_from(drawn), min_size=1, max_size=2, unique=True))
        out["random"] = {"n": draw(st.integers(1, 20)), "seed": draw(st.integers(0, 1000)),
                         "params": {p: draw(DRAWN[p]) for p in chosen}}
    return out


@st.composite
def families(draw) -> Family:
    return Family(
        family=draw(names),
        description=draw(text),
        base=draw(experiments() | st.sampled_from(["quickstart.yaml", "../specs/modadd.clk"]) | text),
        vary=draw(varies()),
        exclude=draw(st.lists(st.sampled_from(PREDICATES), max_size=2)),
        name_template=draw(st.none() | st.sampled_from(TEMPLATES)),
        phases=draw(st.none() | st.sampled_from(PHASE_SETS)),
    )


@st.composite
def refine_families(draw) -> Family:
    """A refine region stands alone: no other combinator, exclusion or template."""
    return Family(family=draw(names), description=draw(text),
                  base=draw(experiments() | st.sampled_from(["quickstart.yaml", "../specs/modadd.clk"])),
                  vary={"refine": draw(refines())}, phases=draw(st.none() | st.sampled_from(PHASE_SETS)))


# ---- phases and refine regions (clockspec.ir.phases, clockspec.ir.refine) ----------------

PHASE_WORDS = {"and", "or", "not", "reached", "censored", "otherwise"}
clock_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True).filter(lambda n: n not in PHASE_WORDS)
positive = st.floats(min_value=0.0, max_value=1e12, allow_nan=False, allow_infinity=False)


def phase_terms():
    from clockspec.ir.phases import Term

    return st.builds(Term, positive, st.none() | clock_names) | st.builds(Term, st.just(1.0), clock_names)


def phase_rules():
    """Rule trees as the parser builds them: junctions of two or more items."""
    from clockspec.ir.phases import Compare, Junction, Not, Reached

    leaves = st.builds(Reached, clock_names, st.booleans()) | st.builds(
        Compare, phase_terms(), st.sampled_from(["<", "<=", ">", ">="]), phase_terms())
    return st.recursive(leaves, lambda inner: st.builds(Not, inner) | st.builds(
        Junction, st.sampled_from(["and", "or"]), st.lists(inner, min_size=2, max_size=3).map(tuple)), max_leaves=8)


def phase_text(node) -> str:
    from clockspec.ir.phases import text as rule_text

    return rule_text(node)


@st.composite
def refines(draw) -> dict[str, Any]:
    def axis():
        low = draw(st.floats(0.001, 100.0))
        return {"path": draw(st.sampled_from(list(VARIED))), "low": low, "high": low * draw(st.floats(1.5, 1000.0)),
                "scale": draw(st.sampled_from(["linear", "log"]))}

    x, y = axis(), axis()
    if x["path"] == y["path"]:
        y["path"] = "task.train_fraction" if x["path"] != "task.train_fraction" else "seed"
    out = {"x": x, "y": y, "coarse": draw(st.integers(2, 5)), "levels": draw(st.integers(0, 3))}
    if draw(st.booleans()):
        out["budget"] = draw(st.integers(5 ** 2 * 4, 500))  # never below the coarse grid
    if draw(st.booleans()):
        out["seeds"] = draw(st.lists(st.integers(0, 100), unique=True, max_size=4))
    return out


specs = experiments() | families()
PHASE_SETS = [  # phase rules that pass the family's overlap and coverage check
    {"comprehension": "generalize reached and generalize <= 3 * memorize",
     "grokking": "generalize reached and generalize > 3 * memorize",
     "memorization": "memorize reached and generalize censored",
     "confusion": "memorize censored and generalize censored"},
    {"early": "generalize reached and generalize <= 2000", "unclassified": "otherwise"},
    {"fits": "fit reached", "never": "not fit reached"},
]
