"""The `exclude` language: safe predicates over a member's values (grammar/predicate.lark).

Parsed by lark into a tree of closures; nothing is ever eval'd. A path that a member does
not have reads as null. Ordering comparisons (<, <=, >, >=) hold only between two numbers
or two texts; anything else compares false rather than failing.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from lark import Lark, Token, Transformer, Tree, UnexpectedInput
from lark.exceptions import VisitError

from clockspec.core.errors import SourceError
from clockspec.ir import paths
from clockspec.syntax.literals import too_many_digits

Test = Callable[[dict], bool]
MAX_DEPTH = 64


@dataclass(frozen=True)
class Predicate:
    text: str
    paths: tuple[str, ...]
    test: Test

    def __call__(self, data: dict) -> bool:
        return self.test(data)


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark.open_from_package("clockspec.grammar", "predicate.lark", parser="lalr")


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


def _order(op: str) -> Callable[[Any, Any], bool]:
    import operator

    fn = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}[op]

    def compare(a: Any, b: Any) -> bool:
        if (_is_number(a) and _is_number(b)) or (isinstance(a, str) and isinstance(b, str)):
            return fn(a, b)
        return False

    return compare


PathCheck = Callable[[str], "tuple[str, str | None] | None"]


class _Build(Transformer):
    def __init__(self, path_problem: PathCheck) -> None:
        super().__init__()
        self.paths: list[str] = []
        self.path_problem = path_problem

    def _path(self, tok: Token) -> tuple[str, ...]:
        problem = self.path_problem(str(tok))
        if problem:
            raise SourceError(problem[0], tok.start_pos or 0, problem[1])
        self.paths.append(str(tok))
        return tuple(str(tok).split("."))

    def number(self, items):
        text = str(items[0])
        too_long = too_many_digits(text)  # int() refuses 4,300 digits with a traceback
        if too_long:
            raise SourceError(too_long, items[0].start_pos or 0)
        if not any(c in text for c in ".eE"):
            return int(text)
        if not math.isfinite(float(text)):
            raise SourceError(f"{text} is too large: a condition compares with a finite number",
                                 items[0].start_pos or 0)
        return float(text)

    def string(self, items):
        return str(items[0])[1:-1]

    def word(self, items):
        return str(items[0])

    def null(self, _):
        return None

    def true(self, _):
        return True

    def false(self, _):
        return False

    def list(self, items):
        return [] if items == [None] else list(items)

    def compare(self, items):
        tok, op, value = items
        parts = self._path(tok)
        if op in ("==", "!="):
            want = op == "=="
            return lambda d: _same(paths.get(d, parts), value) == want
        order = _order(str(op))
        return lambda d: order(paths.get(d, parts), value)

    def within(self, items):
        parts = self._path(items[0])
        values = items[1]
        return lambda d: any(_same(paths.get(d, parts), v) for v in values)

    def not_within(self, items):
        test = self.within(items)
        return lambda d: not test(d)

    def negate(self, items):
        (test,) = items
        return lambda d: not test(d)

    def and_expr(self, items):
        return lambda d: all(t(d) for t in items)

    def or_expr(self, items):
        return lambda d: any(t(d) for t in items)


def _depth(tree: Tree) -> int:
    deepest, todo = 0, [(tree, 1)]
    while todo:
        node, depth = todo.pop()
        deepest = max(deepest, depth)
        todo.extend((child, depth + 1) for child in node.children if isinstance(child, Tree))
    return deepest


def parse_predicate(text: str, path_problem: PathCheck = paths.path_problem, kind: str = "exclude condition") -> Predicate:
    """Predicate text -> Predicate; SourceError with a 0-based offset into the text.
    `path_problem` says which paths exist (default: the experiment IR's, as a family's
    `exclude` needs); `kind` names the condition in messages."""
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as exc:
        token = getattr(exc, "token", None)
        at_end = token is not None and token.type == "$END"
        pos = len(text) if at_end else max(exc.pos_in_stream or 0, 0)
        got = text[pos:pos + 12].split(" ")[0]
        problem = f"unexpected '{got}'" if got else "it ends too early"
        raise SourceError(
            f"bad {kind}: {problem} (forms: 'PATH == VALUE', 'PATH in [A, B]', "
            "joined by and / or / not, with parentheses)", pos) from None
    if _depth(tree) > MAX_DEPTH:  # the tree walk below recurses once per level
        raise SourceError(f"bad {kind}: it nests 'not' / 'and' / 'or' more than {MAX_DEPTH} "
                             "levels deep", 0)
    build = _Build(path_problem)
    try:
        test = build.transform(tree)
    except VisitError as exc:
        raise exc.orig_exc from None
    return Predicate(text, tuple(build.paths), test)
