"""Phases: a family's members named by rules over their clocks and the clocks' censoring.

A rule (grammar/phase.lark, parsed by lark, never eval'd) is a condition such as
`generalize reached and generalize > 3 * memorize`. A censored clock is not a number: its
step is only known to lie past the run's last step, so a comparison is decided on
intervals (a reached clock is [s, s], a censored one [last + 1, inf)) and is *unknown*
when the interval does not settle it; `and` / `or` / `not` follow Kleene's three-valued
logic, and a rule matches only when it is true. The rule `otherwise` matches a member that
no other rule matches (name that phase `unclassified` to say so). A member matching two
phases, or none without an `otherwise`, is an error. `check` finds such members before
anything runs, on a set of clock scenarios (every pattern of censoring and steps around
each rule's constants); `classify` refuses them again on recorded clocks.

The default is Liu et al. 2022's four (arXiv 2205.10343, figure 6 and the text on its phase diagrams; the
factor 3 is this project's choice of where "much later" starts, see docs/phases.md).
"""
from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any, Union

from lark import Lark, Transformer, UnexpectedInput
from lark.exceptions import VisitError
from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError

from clockspec.core.errors import SourceError
from clockspec.ir.base import format_number

DEFAULT_PHASES = {
    "comprehension": "generalize reached and generalize <= 3 * memorize",
    "grokking": "generalize reached and generalize > 3 * memorize",
    "memorization": "memorize reached and generalize censored",
    # Liu et al.'s "does not even fit"; written `memorize censored` alone it would overlap
    # comprehension for a member that generalises without fitting (`check` finds it).
    "confusion": "memorize censored and generalize censored",
}
OTHERWISE = "otherwise"
MAX_DEPTH = 64
FORMS = ("forms: 'CLOCK reached', 'CLOCK censored', 'A <= B' (<, >, >=) where a side is CLOCK, NUMBER * CLOCK "
         "or NUMBER (steps); joined by and / or / not, with parentheses; or the whole rule 'otherwise'")


# ---- the rule tree ---------------------------------------------------------------------

@dataclass(frozen=True)
class Term:
    scale: float  # the clock's step times this, or (clock None) this many steps
    clock: str | None = None

    def text(self) -> str:
        if self.clock is None:
            return format_number(self.scale)
        return self.clock if self.scale == 1 else f"{format_number(self.scale)} * {self.clock}"


@dataclass(frozen=True)
class Reached:
    clock: str
    censored: bool = False  # `CLOCK censored` is `not CLOCK reached`, kept as written


@dataclass(frozen=True)
class Compare:
    left: Term
    op: str
    right: Term


@dataclass(frozen=True)
class Not:
    item: Node


@dataclass(frozen=True)
class Junction:
    op: str  # and | or
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Otherwise:
    pass


Node = Union[Reached, Compare, Not, Junction, Otherwise]
_LEVEL = {"or": 1, "and": 2}


def text(node: Node, outer: int = 0) -> str:
    """The canonical text of a rule: one space between tokens, parentheses only where needed."""
    if isinstance(node, Otherwise):
        return OTHERWISE
    if isinstance(node, Reached):
        return f"{node.clock} {'censored' if node.censored else 'reached'}"
    if isinstance(node, Compare):
        return f"{node.left.text()} {node.op} {node.right.text()}"
    if isinstance(node, Not):
        inner = text(node.item, 3)
        return f"not {inner}"
    level = _LEVEL[node.op]
    out = f" {node.op} ".join(text(item, level) for item in node.items)
    return f"({out})" if outer >= level else out


def clocks_of(node: Node) -> set[str]:
    if isinstance(node, Reached):
        return {node.clock}
    if isinstance(node, Compare):
        return {t.clock for t in (node.left, node.right) if t.clock}
    if isinstance(node, Not):
        return clocks_of(node.item)
    if isinstance(node, Junction):
        return set().union(*(clocks_of(i) for i in node.items))
    return set()


# ---- parsing ---------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark.open_from_package("clockspec.grammar", "phase.lark", parser="lalr")


class _Build(Transformer):
    def reached(self, items):
        return Reached(str(items[0]))

    def censored(self, items):
        return Reached(str(items[0]), censored=True)

    def scaled(self, items):
        return Term(_finite(items[0]), str(items[1]))

    def clock(self, items):
        return Term(1.0, str(items[0]))

    def steps(self, items):
        return Term(_finite(items[0]))

    def compare(self, items):
        left, op, right = items
        return Compare(left, str(op), right)

    def negate(self, items):
        return Not(items[0])

    def and_expr(self, items):
        return Junction("and", tuple(items))

    def or_expr(self, items):
        return Junction("or", tuple(items))


def _finite(tok: Any) -> float:
    value = float(tok)
    if not math.isfinite(value):
        raise SourceError(f"{tok} is too large: a phase rule compares with a finite number", tok.start_pos or 0)
    return value


def parse_rule(rule: str) -> Node:
    """Rule text -> its tree; SourceError with a 0-based offset into the text."""
    if rule.strip() == OTHERWISE:
        return Otherwise()
    if len(rule) > 1000:
        raise SourceError("phase rule longer than 1000 characters", 0)
    try:
        tree = _parser().parse(rule)
    except UnexpectedInput as exc:
        token = getattr(exc, "token", None)
        at_end = token is not None and token.type == "$END"
        pos = len(rule.rstrip()) if at_end else max(exc.pos_in_stream or 0, 0)
        got = rule[pos:].split(" ")[0][:20] if pos < len(rule.rstrip()) else ""
        raise SourceError(f"bad phase rule: {f'unexpected {got!r}' if got else 'it ends too early'}", pos,
                          FORMS) from None
    if rule.count("(") > MAX_DEPTH:  # the transformer recurses once per level
        raise SourceError(f"bad phase rule: it nests more than {MAX_DEPTH} levels deep", 0)
    try:
        return _Build().transform(tree)
    except VisitError as exc:
        raise exc.orig_exc from None


def _canonical(value: Any) -> Any:
    """A rule as the IR keeps it: its canonical text (so two spellings of one rule are equal)."""
    if not isinstance(value, str):
        return value
    try:
        return text(parse_rule(value))
    except SourceError as exc:
        raise PydanticCustomError("phase_syntax", exc.message, {"offset": exc.offset, "hint": exc.hint or ""}) from None


PhaseRule = Annotated[str, Field(max_length=1000), BeforeValidator(_canonical)]


# ---- evaluation ------------------------------------------------------------------------

@dataclass(frozen=True)
class Clock:
    """What a rule may know of a clock: its step when reached, else the run's last step."""

    reached: bool
    step: int  # the step it fired, or (censored) the last step recorded: it fires later, if ever


def _interval(term: Term, clocks: Mapping[str, Clock]) -> tuple[float, float]:
    if term.clock is None:
        return term.scale, term.scale
    clock = clocks[term.clock]
    if clock.reached:
        return term.scale * clock.step, term.scale * clock.step
    return term.scale * (clock.step + 1), math.inf


def _compare(node: Compare, clocks: Mapping[str, Clock]) -> bool | None:
    (a_lo, a_hi), (b_lo, b_hi) = _interval(node.left, clocks), _interval(node.right, clocks)
    if node.op in (">", ">="):  # a > b is b < a
        (a_lo, a_hi), (b_lo, b_hi) = (b_lo, b_hi), (a_lo, a_hi)
    strict = node.op in ("<", ">")
    if (a_hi < b_lo) if strict else (a_hi <= b_lo):
        return True
    if (a_lo >= b_hi) if strict else (a_lo > b_hi):
        return False
    return None


def evaluate(node: Node, clocks: Mapping[str, Clock]) -> bool | None:
    """True, False, or None (unknown: a censored clock leaves the comparison open)."""
    if isinstance(node, Reached):
        return clocks[node.clock].reached != node.censored
    if isinstance(node, Compare):
        return _compare(node, clocks)
    if isinstance(node, Not):
        inner = evaluate(node.item, clocks)
        return None if inner is None else not inner
    if isinstance(node, Junction):
        values = [evaluate(item, clocks) for item in node.items]
        decisive = node.op == "or"  # True decides an or, False an and
        if decisive in values:
            return decisive
        return None if None in values else not decisive
    return None  # otherwise: decided by the other rules


# ---- a family's phases -----------------------------------------------------------------

class PhaseError(ValueError):
    """A member that two phases claim, or none."""


@dataclass(frozen=True)
class Phases:
    rules: tuple[tuple[str, Node], ...]  # (phase, rule) in the order written

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.rules]

    @property
    def clocks(self) -> set[str]:
        return set().union(*(clocks_of(rule) for _, rule in self.rules))

    def texts(self) -> dict[str, str]:
        return {name: text(rule) for name, rule in self.rules}

    def hash(self) -> str:
        """Names the classification: a changed rule re-classifies (from recorded clocks)."""
        blob = json.dumps(list(self.texts().items()), separators=(",", ":")).encode()
        return hashlib.sha256(blob).hexdigest()

    def matches(self, clocks: Mapping[str, Clock]) -> list[str]:
        found = [name for name, rule in self.rules if evaluate(rule, clocks) is True]
        if not found:
            found = [name for name, rule in self.rules if isinstance(rule, Otherwise)]
        return found

    def classify(self, clocks: Mapping[str, Clock]) -> str:
        found = self.matches(clocks)
        if len(found) != 1:
            raise PhaseError(f"{_show(clocks)} {_claimed(found)}")
        return found[0]

    def check(self) -> str | None:
        """The first clock scenario that two phases claim or none does, said in words."""
        for scenario in _scenarios(self):
            found = self.matches(scenario)
            if len(found) != 1:
                return f"a member with {_show(scenario)} {_claimed(found)}"
        return None


def _claimed(found: list[str]) -> str:
    if not found:
        return "matches no phase (add one, or a phase whose rule is 'otherwise', e.g. unclassified: otherwise)"
    return f"matches {len(found)} phases: {', '.join(found)} (the rules must not overlap)"


def _show(clocks: Mapping[str, Clock]) -> str:
    return ", ".join(f"{n} at step {c.step}" if c.reached else f"{n} censored (run ended at step {c.step})"
                     for n, c in sorted(clocks.items()))


def parse_phases(rules: Mapping[str, str]) -> Phases:
    """Phase name -> rule text; SourceError (with `.phase` naming the rule) on a bad rule."""
    out = []
    for name, rule in rules.items():
        try:
            out.append((name, parse_rule(rule)))
        except SourceError as exc:
            exc.phase = name  # type: ignore[attr-defined]
            raise
    if sum(isinstance(r, Otherwise) for _, r in out) > 1:
        raise SourceError("only one phase may be 'otherwise'", 0)
    return Phases(tuple(out))


MAX_SCENARIOS = 20_000


def _scenarios(phases: Phases):
    """Clock outcomes that exercise every rule: each clock reached or censored, steps on a
    ladder that straddles every constant and ratio the rules compare with."""
    names = sorted(phases.clocks)
    factors = {1.0}
    for _, rule in phases.rules:
        factors |= _constants(rule)
    ladder = sorted({v for f in factors for base in (10, 100, 1000)
                     for v in (round(base * f) - 1, round(base * f), round(base * f) + 1, base) if v >= 1})
    while len(ladder) ** max(len(names), 1) > MAX_SCENARIOS and len(ladder) > 3:
        ladder = ladder[::2]
    ends = [max(ladder) * 10]
    for pattern in itertools.product((True, False), repeat=len(names)):
        reached = [n for n, r in zip(names, pattern) if r]
        for steps in itertools.product(ladder, repeat=len(reached)):
            last = max(steps, default=0)
            for end in (last, *ends) if reached else (1, *ends):
                got = dict(zip(reached, steps))
                yield {n: Clock(True, got[n]) if n in got else Clock(False, end) for n in names}


def _constants(node: Node) -> set[float]:
    if isinstance(node, Compare):
        return {t.scale for t in (node.left, node.right)} | (
            {node.left.scale / node.right.scale, node.right.scale / node.left.scale}
            if node.left.clock and node.right.clock else set())
    if isinstance(node, Not):
        return _constants(node.item)
    if isinstance(node, Junction):
        return set().union(*(_constants(i) for i in node.items))
    return set()


def from_results(clocks: Mapping[str, Mapping[str, Any]], last_step: int, names: set[str]) -> dict[str, Clock]:
    """A member's recorded clocks (clocks.json's results) as a rule reads them."""
    out = {}
    for name in names:
        result = clocks.get(name) or {}
        step = result.get("step")
        reached = bool(result.get("reached")) and isinstance(step, int)
        out[name] = Clock(True, step) if reached else Clock(False, int(last_step))
    return out
