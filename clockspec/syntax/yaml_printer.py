"""The canonical YAML printer: every IR prints exactly one way, and reads back to itself.

Block mappings throughout; short lists of scalars in flow style (`betas: [0.9, 0.98]`);
strings plain unless YAML needs quotes; floats as their shortest exact text. Quoting is
decided by our reader's YAML 1.2 core schema (where `1e-3` is a number) and, to stay
readable by YAML 1.1 tools too, by PyYAML's resolver (where `yes` is a boolean).
"""
from __future__ import annotations

import io
import re
from collections.abc import Mapping
from typing import Any

import yaml
from yaml.emitter import Emitter
from yaml.nodes import ScalarNode

from clockspec.core.numbers import format_float
from clockspec.syntax.canonical import canonical_data
from clockspec.syntax.literals import resolve_plain
from clockspec.syntax.source import END_OF_FILE, START_OF_FILE, TRAILING, PathT

INDENT = 2
MAX_FLOW_WIDTH = 88  # a flow list that would make its line longer goes block style
_STR_TAG = "tag:yaml.org,2002:str"
_ANALYZER = Emitter(io.StringIO(), allow_unicode=True)
_RESOLVER = yaml.resolver.Resolver()
# What YAML can carry unescaped: printable characters that are not line breaks (U+2028 and
# U+2029 are line breaks to YAML, which folds the spaces beside them).
_PRINTABLE = "\x09\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff"
_UNPRINTABLE = re.compile(f"[^{_PRINTABLE}]")
_NOT_LITERAL = re.compile(f"[^\n{_PRINTABLE}]")


def dump_yaml(spec: Any, comments: Mapping[PathT, list[str]] | None = None, full: bool = False) -> str:
    """Canonical YAML of an experiment or family, with `comments` (see RawDoc.comments);
    defaults left out unless `full` (see `canonical_data`)."""
    data = canonical_data(spec, full)
    layout = _Printer({})
    layout.mapping(data, (), 0)
    printer = _Printer(_place_comments(comments or {}, layout.owned))
    printer.header()
    printer.mapping(data, (), 0)
    printer.footer()
    return "\n".join(printer.lines) + "\n"


def _place_comments(comments: Mapping[PathT, list[str]], owned: set[PathT]) -> dict[PathT, list[str]]:
    """Keep comments on entries that get a line of their own; move the others (an item of a
    flow list, a key the canonical form leaves out) above their nearest such ancestor."""
    placed: dict[PathT, list[str]] = {}
    moved: dict[PathT, list[str]] = {}
    for path, lines in comments.items():
        path = tuple(path)
        if path in (START_OF_FILE, END_OF_FILE):
            placed.setdefault(path, []).extend(lines)
            continue
        entry, trailing = (path[:-1], True) if path and path[-1] == TRAILING else (path, False)
        if entry in owned:
            placed.setdefault(entry + (TRAILING,) if trailing else entry, []).extend(lines)
            continue
        while entry and entry not in owned:
            entry = entry[:-1]
        moved.setdefault(entry, []).extend(lines)
    for entry, lines in moved.items():
        placed.setdefault(entry, []).extend(lines)
    return placed


class _Printer:
    def __init__(self, comments: dict[PathT, list[str]]):
        self.comments = comments
        self.lines: list[str] = []
        self.owned: set[PathT] = set()  # entries printed on a line of their own

    # -- comments ------------------------------------------------------------------------

    def header(self) -> None:
        if self.comments.get(START_OF_FILE):
            self.lines += [_comment(c) for c in self.comments[START_OF_FILE]] + [""]
        self.lines += [_comment(c) for c in self.comments.get((), [])]

    def footer(self) -> None:
        self.lines += [_comment(c) for c in self.comments.get(END_OF_FILE, [])]

    def leading(self, path: PathT, indent: int) -> list[str]:
        return [" " * indent + _comment(c) for c in self.comments.get(path, [])]

    def emit(self, path: PathT, indent: int, text: str) -> None:
        """One entry's first line, with its comments; extra trailing ones go above it."""
        self.owned.add(path)
        trailing = self.comments.get(path + (TRAILING,), [])
        above = self.leading(path, indent) + [" " * indent + _comment(c) for c in trailing[1:]]
        if above and indent == 0 and self.lines and self.lines[-1] != "":
            self.lines.append("")  # a commented top-level entry starts a section
        self.lines += above
        self.lines.append(text + (f"  {_comment(trailing[0])}" if trailing else ""))

    # -- structure -----------------------------------------------------------------------

    def mapping(self, data: dict, path: PathT, indent: int) -> None:
        for key, value in data.items():
            self.entry(path + (key,), indent, " " * indent + _scalar(key, key=True) + ":", value)

    def entry(self, path: PathT, indent: int, head: str, value: Any) -> None:
        """`head` (`key:` or `-`) and its value: inline if it fits on the line, else below."""
        inline = self.inline(value, len(head) + 1)
        if inline is not None:
            self.emit(path, indent, f"{head} {inline}")
        elif isinstance(value, dict):
            self.emit(path, indent, head)
            self.mapping(value, path, indent + INDENT)
        elif isinstance(value, list):
            self.emit(path, indent, head)
            self.sequence(value, path, indent + INDENT)
        else:  # a multi-line string
            self.emit(path, indent, f"{head} {_literal_header(value)}")
            body = value[:-1] if value.endswith("\n") else value
            self.lines += [" " * (indent + INDENT) + line if line else "" for line in body.split("\n")]

    def sequence(self, items: list, path: PathT, indent: int) -> None:
        for i, item in enumerate(items):
            item_path = path + (i,)
            if isinstance(item, dict) and item:
                self.mapping_item(item, item_path, indent)
            else:
                self.entry(item_path, indent, " " * indent + "-", item)

    def mapping_item(self, item: dict, path: PathT, indent: int) -> None:
        """`- key: value` with the mapping's other keys aligned under its first."""
        first_key, *_ = item
        inner = _Printer(self.comments)
        inner.mapping(item, path, indent + INDENT)
        self.owned |= inner.owned | {path}
        leading = self.leading(path, indent)
        start = next(i for i, line in enumerate(inner.lines) if not line.lstrip().startswith("#"))
        # The first key's own leading comments go above the dash, at the item's indent.
        leading += [" " * indent + line.lstrip() for line in inner.lines[:start]]
        first = " " * indent + "-" + inner.lines[start][indent + 1:]
        trailing = self.comments.get(path + (TRAILING,), [])
        if trailing and not self.comments.get(path + (first_key, TRAILING)):
            first += f"  {_comment(trailing[0])}"
            trailing = trailing[1:]
        leading += [" " * indent + _comment(c) for c in trailing]
        self.lines += leading + [first] + inner.lines[start + 1:]

    def inline(self, value: Any, width: int) -> str | None:
        """The value on the current line, or None if it needs lines of its own."""
        if isinstance(value, dict):
            return "{}" if not value else None
        if isinstance(value, list):
            if any(isinstance(v, (dict, list)) for v in value):
                return None if value else "[]"
            parts = [_scalar(v, flow=True) for v in value]
            text = "[" + ", ".join(parts) + "]"
            return text if width + len(text) <= MAX_FLOW_WIDTH or len(value) <= 1 else None
        if isinstance(value, str) and _literal_ok(value):
            return None
        return _scalar(value)


def flow_text(value: Any) -> str:
    """A value as inline YAML, the way the printer writes it inside a line."""
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(flow_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_scalar(k, key=True)}: {flow_text(v)}" for k, v in value.items()) + "}"
    return _scalar(value, flow=True)


def _comment(text: str) -> str:
    return "#" + text


def _scalar(value: Any, flow: bool = False, key: bool = False) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_float(value)
    text = str(value)
    return text if _plain_ok(text, flow or key) else _double_quoted(text)


def _plain_ok(text: str, flow: bool) -> bool:
    """Whether `text` can be written unquoted and still read back as this very string."""
    if not text or text != text.strip() or _UNPRINTABLE.search(text):
        return False
    if resolve_plain(text) != text or _RESOLVER.resolve(ScalarNode, text, (True, False)) != _STR_TAG:
        return False
    analysis = _ANALYZER.analyze_scalar(text)
    return not analysis.multiline and (analysis.allow_flow_plain if flow else analysis.allow_block_plain)


def _double_quoted(text: str) -> str:
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif _UNPRINTABLE.match(ch):
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _literal_ok(text: str) -> bool:
    """A multi-line string reads best as a `|` block, where YAML can carry it verbatim."""
    if "\n" not in text or _NOT_LITERAL.search(text):
        return False
    body = text[:-1] if text.endswith("\n") else text
    return bool(body) and body[0] not in " \t\n" and not body.endswith("\n") and all(
        line == "" or line[-1] not in " \t" for line in body.split("\n"))


def _literal_header(text: str) -> str:
    return "|" if text.endswith("\n") else "|-"
