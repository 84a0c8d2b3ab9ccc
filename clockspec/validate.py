"""Raw tree + source map -> IR, turning every pydantic error into a positioned diagnostic."""
from __future__ import annotations

import types
import typing
from typing import Any, Union

from pydantic import BaseModel, ValidationError

from .errors import Diagnostic, SpecError, did_you_mean
from .ir import Experiment, Family
from .provenance import remember_source
from .source import PathT, RawDoc


def validate(doc: RawDoc) -> Experiment | Family:
    """Validate a raw document as an experiment or a family (a top-level `family:` key)."""
    data = doc.data
    if not isinstance(data, dict):
        line, col = doc.pos(())
        raise SpecError([Diagnostic(
            "a spec must be a mapping with 'name:' (an experiment) or 'family:' (a family)",
            doc.file, line, col)])
    cls = Family if "family" in data else Experiment
    try:
        spec = cls.model_validate(data)
    except ValidationError as exc:
        raise SpecError([_diagnose(err, doc, cls) for err in exc.errors()]) from None
    from .checks import check_semantics

    problems = check_semantics(spec)
    if problems:
        raise SpecError([_at(doc, path, msg, hint) for path, msg, hint in problems])
    remember_source(spec, doc)
    if isinstance(spec, Family) and isinstance(spec.base, Experiment):
        remember_source(spec.base, doc, ("base",))
    return spec


def _at(doc: RawDoc, path: PathT, message: str, hint: str | None = None, key: bool = False,
        offset: int = 0) -> Diagnostic:
    line, col = doc.pos(path, key=key)
    return Diagnostic(message, doc.file, line, col + offset, hint)


def dotted(path: PathT) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "spec"


def _real_path(loc: tuple, data: Any) -> tuple[PathT, tuple]:
    """Map a pydantic loc onto the raw data, dropping union tags; returns (path, leftover)."""
    path: list = []
    node = data
    rest = list(loc)
    while rest:
        part = rest[0]
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and node.get("kind") == part:
            rest.pop(0)  # discriminated-union tag
            continue
        elif isinstance(part, str) and ("[" in part or part in ("str", "int", "float", "function-after", "function-before", "function-plain", "literal", "tagged-union")):
            rest.pop(0)  # pydantic's names of union members
            continue
        else:
            break
        path.append(part)
        rest.pop(0)
    return tuple(path), tuple(rest)


def _unwrap(tp: Any, value: Any) -> Any:
    """Strip Annotated/Optional, and pick a discriminated union's member by `kind`."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
            chosen = None
            if isinstance(value, dict):
                for m in models:
                    kind = m.model_fields.get("kind")
                    if kind is not None and value.get("kind") in typing.get_args(kind.annotation):
                        chosen = m
                if chosen is None and len(models) == 1:
                    chosen = models[0]
            if chosen is None:
                return args[0] if len(args) == 1 else tp
            tp = chosen
        else:
            return tp


def model_at(root: type[BaseModel], data: Any, path: PathT) -> type[BaseModel] | None:
    """The IR model class that validates the mapping at `path`, if it is one."""
    tp: Any = root
    node = data
    for part in path:
        tp = _unwrap(tp, node)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = tp.model_fields.get(part) if isinstance(part, str) else None
            if field is None:
                return None
            tp = field.annotation
        else:
            origin = typing.get_origin(tp)
            args = typing.get_args(tp)
            if origin is dict:
                tp = args[1]
            elif origin is list:
                tp = args[0]
            else:
                return None
        node = node[part] if isinstance(node, (dict, list)) else None
    tp = _unwrap(tp, node)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _diagnose(err: dict, doc: RawDoc, root: type[BaseModel]) -> Diagnostic:
    kind = err["type"]
    path, rest = _real_path(err["loc"], doc.data)
    ctx = err.get("ctx") or {}
    where = dotted(path)
    if kind == "extra_forbidden":
        key = rest[0] if rest else path[-1]
        parent = path if rest else path[:-1]
        model = model_at(root, doc.data, parent)
        known = [k for k in (model.model_fields if model else []) if k != "kind"]
        what = dotted(parent)
        return _at(doc, parent + (key,), f"unknown key '{key}' in {what}",
                   did_you_mean(key, known) or (f"known keys: {', '.join(known)}" if known else None),
                   key=True)
    if kind == "union_tag_invalid":
        family = str(path[-1]) if path else "spec"
        family = {"regularizers": "regularizer", "clocks": "clock"}.get(family, family)
        tags = [t.strip(" '") for t in str(ctx.get("expected_tags", "")).split(",")]
        return _at(doc, path + ("kind",), f"unknown {family} kind '{ctx.get('tag')}'",
                   did_you_mean(ctx.get("tag"), tags) or f"known kinds: {', '.join(tags)}")
    if kind == "union_tag_not_found":
        model_family = str(path[-1]) if path else "spec"
        return _at(doc, path, f"{where} needs a 'kind' key", None, key=True)
    if kind == "missing":
        key = rest[0] if rest else path[-1]
        parent = path if rest else path[:-1]
        return _at(doc, parent, f"missing required key '{key}' in {dotted(parent)}", None, key=bool(parent))
    if kind == "clock_syntax":
        offset = int(ctx.get("offset", 0))
        return _at(doc, path, f"{where}: {err['msg']}", ctx.get("hint") or None, offset=offset)
    if kind == "literal_error":
        expected = str(ctx.get("expected", ""))
        choices = [c.strip(" '") for c in expected.replace(" or ", ", ").split(",")]
        got = err.get("input")
        return _at(doc, path, f"{where}: expected one of {', '.join(choices)}; got {_show(got)}",
                   did_you_mean(str(got), choices))
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    elif msg.startswith("Assertion failed, "):
        msg = msg[len("Assertion failed, "):]
    else:
        msg = msg[0].lower() + msg[1:]
        if "input" in err and not isinstance(err["input"], (dict, list)):
            msg += f" (got {_show(err['input'])})"
    return _at(doc, path, f"{where}: {msg}")


def _show(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."
