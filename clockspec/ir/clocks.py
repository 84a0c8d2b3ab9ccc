"""Clock kinds: stopping times defined over the recorded metric stream.

A clock is written as a small expression (grammar/clock.lark), the same text in YAML and
`.clk`, parsed here into structured IR and printed back one canonical way. Never eval'd.
Each clock kind gives its canonical text (`text`), its plain-language meaning (`describe`),
the value a figure marks on the metric's axis (`threshold`, None where there is none),
whether it is judged against the run's final value (`needs_final_value`) and whether it can
fire while the run goes on (`online`: False for a clock only the whole stream decides, which
a stop can therefore not wait on).
"""
from __future__ import annotations

import math
from functools import lru_cache
from typing import Annotated, Any, ClassVar, Literal, Optional

from lark import Lark, Token, Transformer, UnexpectedInput
from lark.exceptions import VisitError
from pydantic import BeforeValidator, Field, PlainSerializer
from pydantic_core import PydanticCustomError

from clockspec.core.errors import SourceError, did_you_mean
from clockspec.ir.base import KindRegistry, Strict, format_number
from clockspec.ir.metrics import METRICS

CLOCKS = KindRegistry("clock", required=("text", "describe", "threshold", "needs_final_value", "online"))
ClockName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=64)]
Op = Literal["<=", "<", ">=", ">"]
OP_WORDS = {"<=": "at most", "<": "below", ">=": "at least", ">": "above"}


@CLOCKS.register
class FirstClock(Strict):
    """The first probe step at which `metric op value` holds (for `for_steps` steps in a row)."""

    kind: Literal["first"]
    metric: str
    op: Op
    value: float
    for_steps: int = Field(0, ge=0)
    after: Optional[ClockName] = None

    needs_final_value: ClassVar[bool] = False
    online: ClassVar[bool] = True

    def text(self) -> str:
        out = f"first {self.metric} {self.op} {format_number(self.value)}"
        if self.for_steps:
            out += f" for {self.for_steps} steps"
        return out + (f" after {self.after}" if self.after else "")

    def describe(self) -> str:
        out = f"the first probe step at which `{self.metric}` is {OP_WORDS[self.op]} {format_number(self.value)}"
        return out + (f" and stays so for {self.for_steps} steps" if self.for_steps else "")

    @property
    def threshold(self) -> float:
        return self.value


@CLOCKS.register
class SettleClock(Strict):
    """The first step after which the metric stays within `within` of its final value.

    It must stay there for at least `for_steps` steps (and at least two probes) before the
    run ends, else the clock is censored: a metric still moving at the end has not settled.
    """

    kind: Literal["settle"]
    metric: str
    within: float = Field(gt=0.0)
    relative: bool = False
    for_steps: int = Field(0, ge=0)
    after: Optional[ClockName] = None

    needs_final_value: ClassVar[bool] = True
    online: ClassVar[bool] = True  # provisionally, for stopping; the final answer is judged at the end
    threshold: ClassVar[None] = None

    def text(self) -> str:
        out = f"settle {self.metric} within {format_tolerance(self.within, self.relative)}"
        if self.for_steps:
            out += f" for {self.for_steps} steps"
        return out + (f" after {self.after}" if self.after else "")

    def describe(self) -> str:
        return (f"the first step after which `{self.metric}` stays within "
                f"{format_tolerance(self.within, self.relative)} of its final value"
                + (f" for at least {self.for_steps} steps" if self.for_steps else "")
                + "; judged against the final value at the end of the run (online, for stopping, it fires "
                "provisionally once a trailing window is flat)")


def _suffix(for_steps: int, after: str | None) -> str:
    return (f" for {for_steps} steps" if for_steps else "") + (f" after {after}" if after else "")


@CLOCKS.register
class LastClock(Strict):
    """The start of the final stretch in which `metric op value` holds to the end of the run.

    A condition that is met, lost (un-grokking) and met again fires at its last onset, which
    only the end of the run can tell: it never fires online. Censored unless the condition
    holds at the last probe, over a stretch spanning at least `for_steps` steps.
    """

    kind: Literal["last"]
    metric: str
    op: Op
    value: float
    for_steps: int = Field(0, ge=0)
    after: Optional[ClockName] = None

    needs_final_value: ClassVar[bool] = True
    online: ClassVar[bool] = False

    def text(self) -> str:
        return f"last {self.metric} {self.op} {format_number(self.value)}" + _suffix(self.for_steps, self.after)

    def describe(self) -> str:
        return (f"the start of the final stretch in which `{self.metric}` is {OP_WORDS[self.op]} "
                f"{format_number(self.value)} up to the end of the run"
                + (f" (at least {self.for_steps} steps long)" if self.for_steps else "")
                + "; known only at the end of the run")

    @property
    def threshold(self) -> float:
        return self.value


@CLOCKS.register
class EnterClock(Strict):
    """The step at which `metric op value` is entered for the `times`-th time.

    Entering is holding at a probe after not holding at the one before (or holding at the
    first probe considered); with `for_steps`, an entry counts once it has held that long
    (noise that dips in and out is no entry). It fires online; its result also counts the
    entries over the whole run (`entries`): above one, the condition was lost and regained.
    """

    kind: Literal["enter"]
    metric: str
    op: Op
    value: float
    times: int = Field(1, ge=1, le=1_000_000)
    for_steps: int = Field(0, ge=0)
    after: Optional[ClockName] = None

    needs_final_value: ClassVar[bool] = False
    online: ClassVar[bool] = True

    def text(self) -> str:
        out = f"enter {self.metric} {self.op} {format_number(self.value)}"
        return out + (f" times {self.times}" if self.times != 1 else "") + _suffix(self.for_steps, self.after)

    def describe(self) -> str:
        nth = {1: "first", 2: "second", 3: "third"}.get(self.times, f"{self.times}th")
        return (f"the step at which `{self.metric}` becomes {OP_WORDS[self.op]} {format_number(self.value)} for the "
                f"{nth} time" + (f" (each time holding for {self.for_steps} steps)" if self.for_steps else "")
                + "; the result counts the entries over the whole run")

    @property
    def threshold(self) -> float:
        return self.value


@CLOCKS.register
class TransitionClock(Strict):
    """A sigmoid `lo + (hi - lo) / (1 + exp(-k (t - t*)))` fitted to the metric over the run
    (after `after`'s step): the clock's step is the first probe at or past the midpoint t*, and
    its result gives t* and the sharpness k (per step). The fit needs the whole stream: it never
    fires online. Censored when the midpoint lies outside the recorded steps or the sigmoid
    explains less than `min_r2` of the metric's variance (no transition to speak of)."""

    kind: Literal["transition"]
    metric: str
    min_r2: float = Field(0.9, gt=0.0, le=1.0)
    after: Optional[ClockName] = None

    for_steps: ClassVar[int] = 0  # no streak: the fit weighs every probe
    needs_final_value: ClassVar[bool] = True
    online: ClassVar[bool] = False
    threshold: ClassVar[None] = None

    def text(self) -> str:
        out = f"transition {self.metric}"
        return out + (f" r2 {format_number(self.min_r2)}" if self.min_r2 != 0.9 else "") + _suffix(0, self.after)

    def describe(self) -> str:
        return (f"the midpoint of a sigmoid fitted to `{self.metric}` (with its sharpness), where the fit explains at "
                f"least {format_number(self.min_r2)} of the variance; known only at the end of the run")


def format_tolerance(value: float, relative: bool) -> str:
    if not relative:
        return format_number(value)
    for digits in range(1, 18):
        text = f"{value * 100:.{digits}g}"
        if float(text) / 100 == value:
            return f"{format_number(float(text))}%"
    return f"{format_number(value)} relative"


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark.open_from_package(
        "clockspec.grammar", "clock.lark", parser="lalr", propagate_positions=True
    )


def _metric(tok: Token) -> str:
    name = str(tok)
    if name in METRICS.refused:  # a refused plugin's
        raise SourceError(f"unknown metric '{name}': {METRICS.refused[name]}", tok.start_pos)
    if name not in METRICS:
        raise SourceError(
            f"unknown metric '{name}'", tok.start_pos, did_you_mean(name, METRICS)
        )
    return name


def _finite(tok: Token) -> float:
    value = float(tok)
    if not math.isfinite(value):
        raise SourceError(f"{tok} is too large: a clock compares with a finite number", tok.start_pos)
    return value


class _ToIR(Transformer):
    def for_clause(self, items):
        return ("for_steps", int(items[0]))

    def after_clause(self, items):
        return ("after", str(items[0]))

    def times_clause(self, items):
        return ("times", int(items[0]))

    def r2_clause(self, items):
        return ("min_r2", _finite(items[0]))

    def unit(self, items):
        return ("unit", str(items[0]))

    def first(self, items):
        return self._compare("first", items)

    def last(self, items):
        return self._compare("last", items)

    def enter(self, items):
        return self._compare("enter", items)

    def transition(self, items):
        metric, *rest = items
        return {"kind": "transition", "metric": _metric(metric), **dict(rest)}

    @staticmethod
    def _compare(kind, items):
        metric, op, value, *rest = items
        return {"kind": kind, "metric": _metric(metric), "op": str(op), "value": _finite(value), **dict(rest)}

    def settle(self, items):
        metric, within, *rest = items
        opts = dict(rest)
        unit = opts.pop("unit", None)
        value = _finite(within) / 100 if unit == "%" else _finite(within)
        return {"kind": "settle", "metric": _metric(metric), "within": value, "relative": unit is not None, **opts}


FORMS = ("forms: 'first METRIC <= X [for N steps] [after CLOCK]', 'settle METRIC within X[%] [for N steps] [after CLOCK]', "
         "'last METRIC <= X [for N steps] [after CLOCK]', 'enter METRIC <= X [times K] [for N steps] [after CLOCK]', "
         "'transition METRIC [r2 X] [after CLOCK]'")


def parse_clock(text: str) -> dict[str, Any]:
    """Clock expression -> a dict of IR fields; SourceError with a 0-based offset."""
    if len(text) > 1000:
        raise SourceError("clock expression longer than 1000 characters", 0)
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as exc:
        message, offset = _describe(exc, text)
        raise SourceError(message, offset, FORMS) from None
    try:
        return _ToIR().transform(tree)
    except VisitError as exc:
        raise exc.orig_exc from None


def _describe(exc: UnexpectedInput, text: str) -> tuple[str, int]:
    """What went wrong and where: the start of the offending word, or the end of the text."""
    expected = sorted(getattr(exc, "expected", None) or getattr(exc, "allowed", None) or [])
    pretty = {
        "NAME": "a name", "NUMBER": "a number", "INT": "a whole number", "OP": "a comparison (<=, <, >=, >)",
        "PERCENT": "'%'", "RELATIVE": "'relative'", "$END": "the end of the expression",
    }
    words = [pretty.get(e, f"'{e.lower()}'" if e.isupper() else e) for e in expected]
    token = getattr(exc, "token", None)
    pos = len(text.rstrip()) if token is not None and token.type == "$END" else max(exc.pos_in_stream or 0, 0)
    while 0 < pos < len(text) and (text[pos - 1].isalnum() or text[pos - 1] == "_") and (text[pos].isalnum() or text[pos] == "_"):
        pos -= 1  # a lexer error inside a word: point at the word
    if pos < len(text.rstrip()):
        got = text[pos:].split()[0][:20]
        msg = f"bad clock expression: unexpected '{got}'"
    else:
        msg = "bad clock expression: it ends too early"
    if words:
        msg += "; expected " + " or ".join(dict.fromkeys(words))
    return msg, pos


def _coerce(value: Any) -> Any:
    """Accept the expression text (the normal spelling) or its structured fields."""
    if isinstance(value, str):
        try:
            return parse_clock(value)
        except SourceError as exc:
            raise PydanticCustomError(
                "clock_syntax", exc.message, {"offset": exc.offset, "hint": exc.hint or ""}
            ) from None
    return value


class _TextOrFields:
    """In the JSON Schema, a clock is what `_coerce` accepts: its expression text (the
    grammar and the metric names, as `expression_pattern`) or its structured fields (the
    kind's own schema)."""

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> dict[str, Any]:
        text = {"type": "string", "pattern": expression_pattern(), "maxLength": 1000,
                "description": "a clock expression, e.g. 'first train_loss <= 1e-2'; " + FORMS}
        return {"anyOf": [text, handler(core_schema)]}


def expression_pattern() -> str:
    """grammar/clock.lark as one regular expression over the registered metric names: what a
    schema-aware editor can check of a clock's text (a number's size, and whether an `after`
    clock exists, stay `check`'s). tests/clocks/test_clock_pattern.py holds the two alike."""
    gap = r"[ \t]*"  # the lexer reads a word where the grammar allows it, glued or not: `firsttrain_acc`
    number = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
    metric = "(?:" + "|".join(sorted(METRICS, key=len, reverse=True)) + r")(?![A-Za-z0-9_])"
    compare = rf"{metric}{gap}(?:<=|>=|<|>){gap}{number}"
    steps = rf"(?:{gap}for{gap}[0-9]+{gap}steps?)?"
    after = rf"(?:{gap}after{gap}[A-Za-z_][A-Za-z0-9_]*)?"
    forms = [rf"first{gap}{compare}{steps}{after}",
             rf"settle{gap}{metric}{gap}within{gap}{number}(?:{gap}%|{gap}relative)?{steps}{after}",
             rf"last{gap}{compare}{steps}{after}",
             rf"enter{gap}{compare}(?:{gap}times{gap}[0-9]+)?{steps}{after}",
             rf"transition{gap}{metric}(?:{gap}r2{gap}{number})?{after}"]
    return rf"^{gap}(?:{'|'.join(forms)}){gap}$"



ClockSpec = Annotated[
    CLOCKS.union(),
    _TextOrFields(),
    BeforeValidator(_coerce),
    PlainSerializer(lambda clock: clock.text(), return_type=str),
]
