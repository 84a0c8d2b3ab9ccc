"""What each fuzzed input must satisfy, per front end.

A check returns "ok" (the input reached a valid IR / parsed object, and everything done
with it afterwards held) or "error" (a clean, positioned error). Anything else it raises
is a bug: a `FuzzFailure` for a broken promise (an error without a usable position, a
round trip that changes the spec), any other exception for a crash.
"""
from __future__ import annotations

import math
from typing import Any

from pydantic import TypeAdapter, ValidationError

import clockspec
from clockspec.clocks import evaluate_clocks
from clockspec.core.errors import SourceError, SpecError
from clockspec.ir.clocks import ClockSpec, parse_clock
from clockspec.ir.spec import Experiment, Family
from clockspec.syntax.loading import parse
from clockspec.syntax.predicate import parse_predicate
from clockspec.syntax.source import RawDoc
from clockspec.syntax.validate import validate

_CLOCK = TypeAdapter(ClockSpec)
_ROUND_TRIPPED: set[str] = set()  # canonical JSON of specs already round-tripped this process


class FuzzFailure(AssertionError):
    """A front end broke its contract without crashing."""


def expect(condition: Any, message: str) -> None:
    if not condition:
        raise FuzzFailure(message)


def _extent(data: str | bytes) -> tuple[int, int]:
    """(most lines, widest line) the text can have under any front end's idea of a line
    break: YAML also breaks at CR, U+0085, U+2028, U+2029; lark and editors at LF only."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    return len(text.splitlines()) + 1, max(len(line) for line in text.split("\n"))


def check_diagnostics(exc: SpecError, file: str, data: str | bytes) -> None:
    """Every diagnostic names the file, has a message and a 1-based position inside the text."""
    expect(exc.diagnostics, "SpecError without diagnostics")
    lines, widest = _extent(data)
    for d in exc.diagnostics:
        expect(d.file == file, f"diagnostic names file {d.file!r}, not {file!r}: {d}")
        expect(isinstance(d.message, str) and d.message.strip(), f"diagnostic without a message: {d}")
        expect(type(d.line) is int and type(d.col) is int, f"position is not two ints: {d}")
        expect(1 <= d.line <= lines, f"line {d.line} outside the text ({lines - 1} lines): {d}")
        expect(1 <= d.col <= widest + 1, f"column {d.col} beyond the widest line ({widest}): {d}")


# ---- whole specs (YAML, .clk) ------------------------------------------------------------

def check_spec(data: str | bytes, syntax: str) -> str:
    file = "fuzz." + syntax
    try:
        spec = validate(parse(data, file, syntax))
    except SpecError as exc:
        check_diagnostics(exc, file, data)
        return "error"
    expect(isinstance(spec, (Experiment, Family)), f"validate returned {type(spec).__name__}")
    key = spec.model_dump_json()
    if key not in _ROUND_TRIPPED:  # round trip and compile each distinct spec once
        if len(_ROUND_TRIPPED) > 50_000:
            _ROUND_TRIPPED.clear()
        _ROUND_TRIPPED.add(key)
        for out in ("yaml", "clk"):
            round_trip(spec, out)
        experiment = spec if isinstance(spec, Experiment) else spec.base
        if isinstance(experiment, Experiment):
            check_compiles(experiment)
    return "ok"


def round_trip(spec: Experiment | Family, syntax: str) -> None:
    """Canonical text reparses to an equal spec, and printing that gives the same text."""
    text = clockspec.dumps(spec, syntax)
    try:
        back = validate(parse(text, "canonical." + syntax, syntax))
    except SpecError as exc:
        raise FuzzFailure(f"canonical {syntax} does not reparse: {exc}\n---\n{text}") from None
    expect(_same(back, spec), f"canonical {syntax} reparses to a different spec:\n{text}")
    expect(clockspec.dumps(back, syntax) == text, f"canonical {syntax} is not a fixed point:\n{text}")


def _same(a: Any, b: Any) -> bool:
    """IR equality, with NaN equal to NaN (a spec may hold NaN; NaN != NaN in pydantic's ==)."""
    return _plain(a.model_dump(mode="python")) == _plain(b.model_dump(mode="python"))


def _plain(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def check_compiles(spec: Experiment) -> None:
    try:
        plan = clockspec.compile(spec)
    except SpecError as exc:
        expect(exc.diagnostics and all(d.message for d in exc.diagnostics), f"compile error without message: {exc}")
        return
    plan.to_json()


# ---- clock expressions -------------------------------------------------------------------

_BASE = {
    "clockspec": 1, "name": "fuzz", "seed": 0,
    "task": {"kind": "modular", "op": "add", "modulus": 11, "train_fraction": 0.5},
    "model": {"kind": "embed_mlp", "embed_dim": 8, "hidden": [8], "activation": "relu"},
    "regularizers": {"weight_decay": {"strength": 1.0}},
    "optimizer": {"kind": "adamw", "lr": 1e-3},
    "train": {"steps": 100, "batch": "full"},
    "probes": {"every": 10, "metrics": ["margin", "weight_norm"]},
    "clocks": {"fit": "first train_loss <= 1e-2"},
}
CLOCK_AT = (9, 8)  # where the fuzzed clock's text starts in the pretend file
ROWS = [{"step": s, "train_loss": 1 / (1 + s), "test_acc": min(1.0, s / 50), "train_acc": 1.0, "margin": s - 20.0,
         "weight_norm": 5.0 + (s % 3), "test_loss": float("nan") if s == 30 else 0.5} for s in range(0, 101, 10)]


def check_clock(text: str) -> str:
    """The expression alone (parser, IR, canonical text), then inside an experiment."""
    try:
        fields = parse_clock(text)
    except SourceError as exc:
        expect(0 <= exc.offset <= len(text) and exc.message, f"bad clock error: {exc.message!r} at {exc.offset}")
        alone = "error"
    else:
        try:
            clock = _CLOCK.validate_python(fields)
        except ValidationError:  # a parsed value out of range (settle within 0): reported below
            alone = "error"
        else:
            canonical = clock.text()
            expect(_CLOCK.validate_python(parse_clock(canonical)) == clock, f"clock text {canonical!r} reads back differently")
            alone = "ok"
    in_spec = _check_clock_in_spec(text)
    # A spec can refuse what the parser accepts (a metric the model lacks), not the reverse.
    expect(in_spec == alone or alone == "ok", f"alone {alone}, in a spec {in_spec}")
    return in_spec


def _check_clock_in_spec(text: str) -> str:
    data = {**_BASE, "clocks": {**_BASE["clocks"], "c": text}}
    doc = RawDoc(data, "fuzz.yaml", positions={("clocks", "c"): CLOCK_AT, ("clocks", "fit"): (8, 8)})
    try:
        spec = validate(doc)
    except SpecError as exc:
        for d in exc.diagnostics:
            expect((d.line, d.file) == (CLOCK_AT[0], "fuzz.yaml"), f"clock error not on the clock's line: {d}")
            expect(CLOCK_AT[1] <= d.col <= CLOCK_AT[1] + len(text), f"clock error outside the expression: {d}")
        return "error"
    check_compiles(spec)
    evaluate_clocks(spec.clocks, ROWS, spec.stop)
    return "ok"


# ---- family exclude predicates -----------------------------------------------------------

MEMBERS = [
    {},
    {"seed": 0, "optimizer": {"kind": "adamw", "lr": 1e-3}, "model": {"kind": "mlp", "activation": "gelu",
                                                                     "hidden": [4, 4]}},
    {"seed": True, "optimizer": {"lr": "fast"}, "model": None, "regularizers": {"weight_decay": None},
     "description": "a b", "tags": ["x"], "clocks": {"generalize": "first test_acc >= 0.99"}},
    {"seed": float("nan"), "optimizer": {"lr": float("inf")}, "model": [1, 2], "task": {"modulus": 2 ** 70}},
]
EXCLUDE_AT = (6, 5)


def check_predicate(text: str) -> str:
    """The condition alone (parser, evaluation on odd members), then inside a family."""
    try:
        predicate = parse_predicate(text)
    except SourceError as exc:
        expect(0 <= exc.offset <= len(text) and exc.message, f"bad predicate error: {exc.message!r} at {exc.offset}")
        alone = "error"
    else:
        for member in MEMBERS:
            result = predicate(member)
            expect(result is True or result is False, f"predicate gave {result!r}, not a bool")
        alone = "ok"
    in_family = _check_predicate_in_family(text)
    # A family can refuse what the parser accepts (a condition over 1000 characters), not the reverse.
    expect(in_family == alone or alone == "ok", f"alone {alone}, in a family {in_family}")
    return in_family


def _check_predicate_in_family(text: str) -> str:
    data = {"clockspec": 1, "family": "fuzz", "base": "base.yaml", "vary": {"grid": {"seed": [0, 1]}},
            "exclude": [text]}
    doc = RawDoc(data, "fuzz.yaml", positions={("exclude", 0): EXCLUDE_AT})
    try:
        validate(doc)
    except SpecError as exc:
        for d in exc.diagnostics:
            expect((d.line, d.file) == (EXCLUDE_AT[0], "fuzz.yaml"), f"exclude error not on its line: {d}")
            expect(EXCLUDE_AT[1] <= d.col <= EXCLUDE_AT[1] + len(text), f"exclude error outside the text: {d}")
        return "error"
    return "ok"
