"""Canonical `.clk` printer: every IR printed exactly one way, comments kept.

Structure follows the canonical data (`canonical.canonical_data`: IR field order, None and
defaults left out, clocks as their expression text); `kind` becomes the block's label, maps of kinds
become keyed blocks (`regularizer weight_decay { ... }`), and numbers print so that they
read back exactly.
Comments (by path, as a front end collected them) are printed on the lines before the
entry they annotate, or before its nearest printed ancestor.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from clockspec.core import numbers
from clockspec.ir.spec import Experiment, Family
from clockspec.syntax.canonical import canonical_data
from clockspec.syntax.clk_front import INLINE_BASE, KEYED, KINDED, WORDS, distributions
from clockspec.syntax.source import END_OF_FILE, START_OF_FILE, TRAILING, PathT

INDENT = "  "
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_RESERVED_WORDS = {*WORDS, "inf", "nan"}
_CONTAINERS = {container: keyword for keyword, container in KEYED.items()}  # regularizers -> regularizer


def dump_clk(spec: Experiment | Family, comments: Mapping[PathT, list[str]] | None = None,
             full: bool = False) -> str:
    """The canonical `.clk` text of an experiment or a family; defaults left out unless `full`."""
    printer = _Printer()
    printer.document(spec, full)
    return printer.render(comments or {})


class _Printer:
    def __init__(self) -> None:
        self.lines: list[tuple[int, str, tuple[PathT, ...]]] = []  # (depth, text, paths it prints)

    def emit(self, depth: int, text: str, *paths: PathT) -> None:
        self.lines.append((depth, text, paths))

    # -- structure --

    def document(self, spec: Experiment | Family, full: bool) -> None:
        data = canonical_data(spec, full)  # IR order, None (and defaults unless full) left out, clocks as text
        level, key = ("family", "family") if isinstance(spec, Family) else ("experiment", "name")
        start = self.open(0, f"{level} {data.pop(key)}", (), (key,))
        self.body(data, (), 1, level)
        self.close(start)

    def open(self, depth: int, head: str, *paths: PathT) -> int:
        self.emit(depth, head + " {", *paths)
        return len(self.lines) - 1

    def close(self, start: int) -> None:
        depth, head, paths = self.lines[start]
        if start == len(self.lines) - 1:  # nothing inside: `vary grid {}`
            self.lines[start] = (depth, head + "}", paths)
        else:
            self.emit(depth, "}")

    def body(self, data: Mapping[str, Any], path: PathT, depth: int, level: str) -> None:
        """Entries of a block; `level` says which keywords apply: experiment, family, plain
        (a plain block), paths (a `vary` combinator's `path = [values]`)."""
        for key, value in data.items():
            where = path + (key,)
            if level == "experiment" and key in KINDED:  # task modular { ... }
                start = self.open(depth, f"{key} {value['kind']}", where, where + ("kind",))
                self.body({k: v for k, v in value.items() if k != "kind"}, where, depth + 1, "plain")
                self.close(start)
            elif level in ("experiment", "family") and key in _CONTAINERS:
                self.keyed(key, value, where, depth)
            elif level == "family" and key == INLINE_BASE[0] and isinstance(value, dict):
                inner = dict(value)
                start = self.open(depth, f"{' '.join(INLINE_BASE)} {inner.pop('name')}", where, where + ("name",))
                self.body(inner, where, depth + 1, "experiment")
                self.close(start)
            elif level == "paths" or not isinstance(value, dict) or _key(key) != key:
                # a block's label must be a name: a map under a quoted key is an inline value
                self.emit(depth, f"{_key(key)} = {_value(value)}", where)
            elif key == "params" and path[-2:] == ("vary", "random"):
                start = self.open(depth, key, where)
                self.params(value, where, depth + 1)
                self.close(start)
            else:  # train { ... }
                start = self.open(depth, _key(key), where)
                self.body(value, where, depth + 1, "plain")
                self.close(start)

    def keyed(self, container: str, entries: Mapping[str, Any], where: PathT, depth: int) -> None:
        """`regularizer weight_decay { ... }`, `vary grid { ... }`, `clock fit = EXPR`; the
        container's own comments go with its first entry."""
        keyword = _CONTAINERS[container]
        width = max(map(len, entries), default=0)
        for i, (name, entry) in enumerate(entries.items()):
            paths = (where + (name,),) + ((where,) if i == 0 else ())
            if keyword == "clock":
                self.emit(depth, f"clock {name:<{width}} = {entry}", *paths)
                continue
            start = self.open(depth, f"{keyword} {name}", *paths)
            self.body(entry, paths[0], depth + 1, "paths" if keyword == "vary" and name != "random" else "plain")
            self.close(start)

    def params(self, params: Mapping[str, Any], path: PathT, depth: int) -> None:
        """`vary random { params { lr = loguniform(1e-4, 0.1) } }`."""
        calls = distributions()
        for key, dist in params.items():
            fields = calls[dist["kind"]]
            args = dist[fields[0]] if len(fields) == 1 else [dist[f] for f in fields]
            self.emit(depth, f"{_key(key)} = {dist['kind']}({', '.join(_value(a) for a in args)})", path + (key,))

    # -- output with comments --

    def render(self, comments: Mapping[PathT, list[str]]) -> str:
        """The lines, each entry's comments before it (its trailing one after it); a comment
        whose entry is not printed goes with the nearest printed ancestor."""
        printed = {p for _, _, paths in self.lines for p in paths}
        before: dict[PathT, list[str]] = {}
        after: dict[PathT, list[str]] = {}
        for path, notes in comments.items():
            path = tuple(path)
            if path in (START_OF_FILE, END_OF_FILE):
                continue
            trailing = path[-1:] == (TRAILING,)
            probe = path[:-1] if trailing else path
            while probe and probe not in printed:
                probe = probe[:-1]
            (after if trailing else before).setdefault(probe, []).extend(notes)
        out = [_comment(n) for n in comments.get(START_OF_FILE, [])]
        out += [""] if out else []
        for depth, text, paths in self.lines:
            pad = INDENT * depth
            ends: list[str] = []
            for path in paths:
                out += [pad + _comment(n) for n in before.pop(path, [])]
                ends += after.pop(path, [])
            out += [pad + _comment(n) for n in ends[1:]]  # one comment fits at the end of a line
            out.append(pad + text + ("  " + _comment(ends[0]) if ends else ""))
        out += [_comment(n) for n in comments.get(END_OF_FILE, [])]
        return "\n".join(out) + "\n"


def _comment(note: str) -> str:
    return ("#" + note).rstrip()


def _key(key: str) -> str:
    return key if _KEY.fullmatch(key) and key != "clock" else _string(key)


def _value(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_float(value)
    if isinstance(value, str):
        return value if _WORD.fullmatch(value) and value not in _RESERVED_WORDS else _string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{ " + "  ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot print {type(value).__name__} in .clk")


def _string(text: str) -> str:
    """Double-quoted, JSON escapes; printable characters (any script) kept as they are."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch.isprintable():
            out.append(ch)
        elif ch in "\n\t":
            out.append({"\n": "\\n", "\t": "\\t"}[ch])
        else:
            code = ord(ch)
            if code > 0xFFFF:
                code -= 0x10000
                out.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
            else:
                out.append(f"\\u{code:04x}")
    return '"' + "".join(out) + '"'


def format_float(x: float) -> str:
    """Shortest text that reads back as exactly x and as a float (`1e-3`, `0.01`, `1.0`),
    the style of `clockspec.core.numbers`; non-finite values are `inf`, `-inf`, `nan`."""
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return numbers.format_float(x)
