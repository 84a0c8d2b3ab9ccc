"""YAML front end: safe composition with a position for every node.

Plain scalars are resolved by the YAML 1.2 core schema (so `1e-3` is a number and `yes`
is a string); anchors, aliases, merge keys, tags and duplicate keys are refused, and
nothing is ever constructed from a tag, so no spec can run code.
"""
from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..errors import Diagnostic, SpecError
from ..source import PathT, RawDoc

MAX_BYTES = 1_000_000
MAX_DEPTH = 64

_INT = re.compile(r"^[-+]?[0-9]+$")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(inf|Inf|INF)$")
_NAN = re.compile(r"^\.(nan|NaN|NAN)$")


def resolve_plain(text: str) -> Any:
    """YAML 1.2 core schema for plain (unquoted) scalars."""
    if text in ("", "~", "null", "Null", "NULL"):
        return None
    if text in ("true", "True", "TRUE"):
        return True
    if text in ("false", "False", "FALSE"):
        return False
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    if _INF.match(text):
        return float("-inf") if text.startswith("-") else float("inf")
    if _NAN.match(text):
        return float("nan")
    return text


class _Loader(yaml.SafeLoader):
    """Composes nodes only; refuses anchors (so aliases and merge bombs never expand)."""

    depth = 0

    def compose_node(self, parent, index):  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise _Refused("YAML aliases (*name) are not allowed in a spec; write the value out", event.start_mark)
        event = self.peek_event()
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise _Refused(f"YAML anchors (&{anchor}) are not allowed in a spec", event.start_mark)
        tag = getattr(event, "tag", None)
        if tag not in (None, "!"):
            raise _Refused(f"YAML tag '{tag}' is not allowed in a spec; nothing in a spec is ever constructed or run", event.start_mark)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _Refused(f"nesting is too deep (a spec nests at most {MAX_DEPTH} levels)", event.start_mark)
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class _Refused(Exception):
    def __init__(self, message: str, mark: Any):
        super().__init__(message)
        self.message, self.mark = message, mark


def _diag(file: str, mark: Any, message: str, hint: str | None = None) -> Diagnostic:
    return Diagnostic(message, file, mark.line + 1, mark.column + 1, hint)


def parse_yaml(text: str | bytes, file: str = "<string>") -> RawDoc:
    if isinstance(text, bytes):
        if len(text) > MAX_BYTES:
            raise SpecError([Diagnostic(f"file is {len(text)} bytes; a spec may be at most {MAX_BYTES}", file)])
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = text[: exc.start].count(b"\n") + 1
            col = exc.start - (text.rfind(b"\n", 0, exc.start) + 1) + 1
            raise SpecError([Diagnostic("file is not valid UTF-8", file, line, col)]) from None
    if len(text) > MAX_BYTES:
        raise SpecError([Diagnostic(f"file is {len(text)} characters; a spec may be at most {MAX_BYTES}", file)])
    doc = RawDoc(None, file=file, syntax="yaml")
    try:
        loader = _Loader(text)
        try:
            root = loader.get_single_node()
        finally:
            loader.dispose()
    except _Refused as exc:
        raise SpecError([_diag(file, exc.mark, exc.message)]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        msg = f"YAML syntax: {exc.problem or exc.context}"
        if exc.context and exc.problem:
            msg += f" ({exc.context})"
        raise SpecError([_diag(file, mark, msg)]) from None
    except yaml.YAMLError as exc:
        raise SpecError([Diagnostic(f"YAML syntax: {exc}", file)]) from None
    if root is None:
        raise SpecError([Diagnostic("the file is empty; expected a spec mapping", file)])
    errors: list[Diagnostic] = []
    doc.data = _build(root, (), doc, errors)
    if errors:
        raise SpecError(errors)
    return doc


def _content_pos(node: Node) -> tuple[int, int]:
    line, col = node.start_mark.line + 1, node.start_mark.column + 1
    if isinstance(node, ScalarNode) and node.style in ("'", '"'):
        col += 1
    return line, col


def _build(node: Node, path: PathT, doc: RawDoc, errors: list[Diagnostic]) -> Any:
    doc.positions[path] = _content_pos(node)
    if isinstance(node, ScalarNode):
        if node.style is None:
            return resolve_plain(node.value)
        return node.value
    if isinstance(node, SequenceNode):
        return [_build(item, path + (i,), doc, errors) for i, item in enumerate(node.value)]
    assert isinstance(node, MappingNode)
    out: dict[str, Any] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, ScalarNode):
            errors.append(_diag(doc.file, key_node.start_mark, "a mapping key must be a plain name"))
            continue
        if key_node.value == "<<" and key_node.style is None:
            errors.append(_diag(doc.file, key_node.start_mark, "YAML merge keys (<<) are not allowed in a spec; write the keys out"))
            continue
        key = key_node.value
        if key in out:
            first = doc.key_positions.get(path + (key,), (0, 0))
            errors.append(_diag(doc.file, key_node.start_mark, f"duplicate key '{key}' (first at line {first[0]})"))
            continue
        doc.key_positions[path + (key,)] = _content_pos(key_node)
        out[key] = _build(value_node, path + (key,), doc, errors)
    return out
