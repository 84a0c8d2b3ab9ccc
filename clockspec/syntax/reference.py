"""The key reference of the spec language, generated from the IR so that it cannot drift.

`clockspec schema --markdown` prints it; docs/language.md embeds it (a test keeps the two
equal). Types, ranges and defaults come from the pydantic fields, meanings from the field
docstrings of the IR (the string under each field), read from the source only when asked
for: pydantic's own `use_attribute_docstrings` would slow every `import clockspec`.
"""
from __future__ import annotations

import ast
import inspect
import textwrap
import types
import typing
from functools import cache
from typing import Any, Union

from annotated_types import Ge, Gt, Le, Lt, MaxLen, MinLen
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from clockspec.core.numbers import format_float
from clockspec.ir.metrics import METRICS
from clockspec.ir.models import MODELS
from clockspec.ir.optimizers import OPTIMIZERS
from clockspec.ir.regularizers import REGULARIZERS
from clockspec.ir.spec import DISTRIBUTIONS, Experiment, Family, Probes, RandomDraws, Stop, Train, Vary
from clockspec.ir.tasks import TASKS


def sections() -> list[tuple[str, type[BaseModel]]]:
    """(heading, model) for every mapping a spec can hold, in reading order."""
    out: list[tuple[str, type[BaseModel]]] = [("experiment (top level)", Experiment)]
    out += [(f"task: `{kind}`", cls) for kind, cls in TASKS.kinds.items()]
    out += [(f"model: `{kind}`", cls) for kind, cls in MODELS.kinds.items()]
    out += [(f"regularizers: `{kind}`", cls) for kind, cls in REGULARIZERS.kinds.items()]
    out += [(f"optimizer: `{kind}`", cls) for kind, cls in OPTIMIZERS.kinds.items()]
    out += [("train", Train), ("probes", Probes), ("stop", Stop)]
    out += [("family (top level)", Family), ("vary", Vary), ("vary.random", RandomDraws)]
    out += [(f"vary.random.params: `{kind}`", cls) for kind, cls in DISTRIBUTIONS.kinds.items()]
    return out


def key_reference() -> str:
    """Markdown: one table of keys (type, default, meaning) per section."""
    parts = []
    for heading, model in sections():
        doc = " ".join(inspect.getdoc(model).split("\n\n")[0].split()) if model.__doc__ else ""
        rows = ["| key | type | default | meaning |", "| --- | --- | --- | --- |"]
        for name, field in model.model_fields.items():
            if name == "kind":
                continue
            rows.append(f"| `{name}` | {_escape(_type(field.annotation, field.metadata))} | "
                        f"{_escape(_default(field))} | {_escape(_meaning(model, name, field))} |")
        parts.append(f"#### {heading}\n\n" + (f"{doc}\n\n" if doc else "") + "\n".join(rows) + "\n")
    return "\n".join(parts) + "\n" + metric_reference()


def metric_reference() -> str:
    """Markdown: the metrics a probe can record and a clock can watch."""
    rows = ["| metric | meaning | scale |", "| --- | --- | --- |"]
    for metric in METRICS.values():
        scale = "log" if metric.log_scale else "linear"
        rows.append(f"| `{metric.name}` | {_escape(metric.meaning)} | {scale} |")
    return "#### metrics\n\nWhat `probes.metrics` and clock expressions can name.\n\n" + "\n".join(rows) + "\n"


@cache
def field_docs(model: type[BaseModel]) -> dict[str, str]:
    """Field name -> the docstring written under it, for a model and its bases."""
    docs: dict[str, str] = {}
    for cls in reversed(model.__mro__):
        if not (isinstance(cls, type) and issubclass(cls, BaseModel)) or cls is BaseModel:
            continue
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
        except (OSError, TypeError):  # made by create_model: no source
            continue
        body = tree.body[0].body
        for stmt, after in zip(body, body[1:]):
            if (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)
                    and isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant)
                    and isinstance(after.value.value, str)):
                docs[stmt.target.id] = inspect.cleandoc(after.value.value)
    return docs


def _meaning(model: type[BaseModel], name: str, field: Any) -> str:
    doc = field_docs(model).get(name)
    if doc:
        return doc
    kind = _model_in(field.annotation)  # a regularizer: its kind's docstring
    return (kind.__doc__ or "").strip().split("\n")[0] if kind else ""


def _model_in(tp: Any) -> type[BaseModel] | None:
    for arg in typing.get_args(tp) or (tp,):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _bounds(metadata: list) -> str:
    low = next((f"{'(' if isinstance(m, Gt) else '['}{_num(m.gt if isinstance(m, Gt) else m.ge)}"
                for m in metadata if isinstance(m, (Gt, Ge))), None)
    high = next((f"{_num(m.lt if isinstance(m, Lt) else m.le)}{')' if isinstance(m, Lt) else ']'}"
                 for m in metadata if isinstance(m, (Lt, Le))), None)
    if low and high:
        return f" in {low}, {high}"
    if low:
        return f" {'>' if low[0] == '(' else '>='} {low[1:]}"
    if high:
        return f" {'<' if high[-1] == ')' else '<='} {high[:-1]}"
    return ""


def _num(x: Any) -> str:
    return format_float(x, integral_as_int=True) if isinstance(x, float) else str(x)


def _type(tp: Any, metadata: list = ()) -> str:
    metadata = list(metadata)
    while typing.get_origin(tp) is typing.Annotated:
        args = typing.get_args(tp)
        tp = args[0]
        for extra in args[1:]:
            metadata += list(getattr(extra, "metadata", None) or [extra])
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (Union, types.UnionType):
        members = [a for a in args if a is not type(None)]
        if all(isinstance(m, type) and issubclass(m, BaseModel) for m in members):
            if hasattr(members[0], "text"):
                return "clock expression"
            return "mapping with `kind`" if len(members) > 1 else f"mapping ({members[0].__name__})"
        return " or ".join(dict.fromkeys(_type(m) for m in members))
    if origin is typing.Literal:
        return "one of " + ", ".join(f"`{a}`" for a in args) if len(args) > 1 else f"`{args[0]}`"
    if origin is list:
        sizes = [m for m in metadata if isinstance(m, (MinLen, MaxLen))]
        text = f"list of {_type(args[0])}"
        return text + (" (at least one)" if any(isinstance(m, MinLen) and m.min_length >= 1 for m in sizes) else "")
    if origin is tuple:
        return f"pair of {_type(args[0])}s" if len(args) == 2 and args[0] == args[1] else "list"
    if origin is dict:
        return f"mapping: {_key_word(args[0])} -> {_type(args[1])}"
    if tp is typing.Any:
        return "any value"
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return "mapping"
    word = {bool: "true or false", int: "whole number", float: "number", str: "text"}.get(tp, str(tp))
    return word + (_bounds(metadata) if tp in (int, float) else "")


def _key_word(tp: Any) -> str:
    pattern = next((m.pattern for a in typing.get_args(tp)[1:] for m in getattr(a, "metadata", [])
                    if getattr(m, "pattern", None)), "")
    return "dotted path" if "\\." in pattern else "name"


def _default(field: Any) -> str:
    if field.is_required():
        return "required"
    value = field.default_factory() if field.default_factory else field.default
    if value is None:
        return "absent"
    if isinstance(value, BaseModel):
        kind = getattr(value, "kind", None)
        if kind:
            return f"`{{kind: {kind}}}`"
        return "see below" if value.model_dump(exclude_none=True) else "`{}`"
    if value is PydanticUndefined:
        return "required"
    from clockspec.syntax.yaml_printer import flow_text

    return f"`{flow_text(value)}`"
