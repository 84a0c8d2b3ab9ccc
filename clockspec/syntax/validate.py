"""Raw tree + source map -> IR, turning every pydantic error into a positioned diagnostic.

One pass reports every error of a file: what the front end stepped over, each field's
errors (pydantic's, reworded to say what was expected and what was found), and the
cross-field clock checks, which run on the raw data when other fields failed.
"""
from __future__ import annotations

import pathlib
import types
import typing
from typing import Any, Union

from pydantic import BaseModel, ValidationError

from clockspec.core.errors import Diagnostic, SourceError, SpecError, did_you_mean, excerpt
from clockspec.core.numbers import format_float
from clockspec.ir import plugins
from clockspec.ir.base import Strict
from clockspec.ir.clocks import CLOCKS, ClockName, parse_clock
from clockspec.ir.losses import LOSSES
from clockspec.ir.metrics import METRICS, unmeasurable
from clockspec.ir.regularizers import REGULARIZERS
from clockspec.ir.spec import DISTRIBUTIONS, KIND_FIELDS, SCHEMA_VERSION, Experiment, Family, Name, Path
from clockspec.syntax.checks import check_semantics, clock_references, too_many_clocks
from clockspec.syntax.literals import is_core_number, separator_hint
from clockspec.syntax.provenance import remember_source
from clockspec.syntax.salvage import salvaged
from clockspec.syntax.source import PathT, RawDoc, dotted


def validate(doc: RawDoc) -> Experiment | Family:
    """Validate a raw document as an experiment or a family (a top-level `family:` key)."""
    diags = list(doc.problems)
    data = doc.data
    if not isinstance(data, dict):
        line, col = doc.pos(())
        raise SpecError(diags + [Diagnostic(
            f"a spec must be a mapping with 'name:' (an experiment) or 'family:' (a family); got {_what(data)}",
            doc.file, line, col)])
    cls = Family if "family" in data else Experiment
    if too_many := too_many_clocks(data):
        raise SpecError(diags + [_at(doc, path, msg, hint, key=True) for path, msg, hint in too_many])
    try:
        spec = cls.model_validate(data)
    except ValidationError as exc:
        diags += _diagnose_all(exc.errors(), doc, cls)
        diags += [_at(doc, path, msg, hint) for path, msg, hint in _raw_clock_problems(data)]
        whole = salvaged(data, _failed_paths) if cls is Experiment else None
        raise SpecError(diags + (_unmeasurable(whole, doc) if whole is not None else [])) from None
    diags += [_at(doc, p[0], p[1], p[2], offset=p[3] if len(p) > 3 else 0) for p in check_semantics(spec)]
    if diags:
        raise SpecError(diags + (_unmeasurable(spec, doc) if isinstance(spec, Experiment) else []))
    remember_source(spec, doc)
    if isinstance(spec, Family) and isinstance(spec.base, Experiment):
        remember_source(spec.base, doc, ("base",))
    _anchor(spec, doc.file)
    return spec


def _failed_paths(errors: list[dict], data: Any) -> list[PathT]:
    return [_real_path(err["loc"], data)[0] for err in errors]


def _unmeasurable(spec: Experiment, doc: RawDoc) -> list[Diagnostic]:
    """The metrics `spec` cannot produce, reported with its other errors (`salvage`)."""
    out = []
    for path, message, word in unmeasurable(spec):
        raw = _get(doc.data, path)
        out.append(_at(doc, path, message, offset=max(raw.find(word), 0) if word and isinstance(raw, str) else 0))
    return out


def _anchor(spec: Experiment | Family, file: str) -> None:
    """Tell the experiment's task which folder the spec came from (a file task's path is
    relative to it). A spec made from a string or from options (`--set`, `--grid`) came from
    no folder: whoever made it anchors it where its own spec was read from."""
    experiment = spec.base if isinstance(spec, Family) else spec
    if isinstance(experiment, Experiment) and not file.startswith(("<", "--")):
        experiment.task.anchor(pathlib.Path(file).resolve().parent)


def _raw_clock_problems(data: dict) -> list:
    """The clock checks of `check_semantics`, on data that did not validate."""
    prefix: PathT = ()
    if "family" in data:
        if not isinstance(data.get("base"), dict):
            return []
        data, prefix = data["base"], ("base",)
    clocks = data.get("clocks")
    stop = data.get("stop")
    if not isinstance(clocks, dict):
        return []
    afters: dict[str, Any] = {}
    for name, clock in clocks.items():
        after = None
        if isinstance(clock, str):
            try:
                after = parse_clock(clock).get("after")
            except SourceError:
                pass
        elif isinstance(clock, dict):
            after = clock.get("after")
        afters[str(name)] = after if isinstance(after, str) else None
    stop_after = stop.get("after") if isinstance(stop, dict) else None
    stop_after = [n for n in stop_after if isinstance(n, str)] if isinstance(stop_after, list) else []
    return [(prefix + path, msg, hint) for path, msg, hint in clock_references(afters, stop_after)]


def _at(doc: RawDoc, path: PathT, message: str, hint: str | None = None, key: bool = False,
        offset: int = 0) -> Diagnostic:
    line, col = doc.pos(path, key=key)
    if tuple(path) in doc.multiline:
        offset = 0
    return Diagnostic(message, doc.file, line, col + offset, hint)


# ---- pydantic's locations -> paths in the raw data ----------------------------------------

def _all_models() -> dict[str, type[BaseModel]]:
    found: dict[str, type[BaseModel]] = {}
    todo = [Strict]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            found[sub.__name__] = sub
            todo.append(sub)
    return found


_MODEL_NAMES = set(_all_models())
_SCALAR_LABELS = ("str", "int", "float", "bool", "constrained-", "literal[", "function-", "lax-", "json-or-python")


def _is_branch_label(part: Any) -> bool:
    """pydantic names the member of a union that an error came from in its `loc`."""
    return isinstance(part, str) and (part in _MODEL_NAMES or part.startswith(_SCALAR_LABELS)
                                      or part.startswith("tagged-union["))


def _real_path(loc: tuple, data: Any) -> tuple[PathT, tuple, tuple | None]:
    """Map a pydantic loc onto the raw data.

    Returns (path, leftover, branch): `leftover` is what the data lacks (an unknown or
    missing key, a field inside a clock expression); `branch` is (path, label) of the
    union member the error came from, if any.
    """
    path: list = []
    node = data
    rest = list(loc)
    branch = None
    while rest:
        part = rest[0]
        if isinstance(node, dict) and part in node and part != "[key]" or isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and node.get("kind") == part:
            rest.pop(0)  # discriminated-union tag
            continue
        elif _is_branch_label(part):
            branch = branch or (tuple(path), part)
            rest.pop(0)
            continue
        else:
            break
        path.append(part)
        rest.pop(0)
    return tuple(path), tuple(rest), branch


def _unwrap(tp: Any, value: Any) -> Any:
    """Strip Annotated/Optional, and pick a union's model member by `kind` (or the only one)."""
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


def _type_at(root: type[BaseModel], data: Any, path: PathT) -> Any:
    """The IR type that validates the value at `path` (None where the IR does not say)."""
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
            origin, args = typing.get_origin(tp), typing.get_args(tp)
            if origin is dict:
                tp = args[1]
            elif origin is list:
                tp = args[0]
            elif origin is tuple and isinstance(part, int) and part < len(args):
                tp = args[part]
            else:
                return None
        node = node[part] if isinstance(node, (dict, list)) and _has(node, part) else None
    return _unwrap(tp, node)


def model_at(root: type[BaseModel], data: Any, path: PathT) -> type[BaseModel] | None:
    """The IR model class that validates the mapping at `path`, if it is one."""
    tp = _type_at(root, data, path)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _field(root: type[BaseModel], data: Any, path: PathT):
    model = model_at(root, data, path[:-1]) if path else None
    return model.model_fields.get(path[-1]) if model and isinstance(path[-1], str) else None


def _has(node: Any, part: Any) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(part, int) and 0 <= part < len(node)


def _get(data: Any, path: PathT) -> Any:
    for part in path:
        data = data[part]
    return data


# ---- wording ---------------------------------------------------------------------------

def _pattern(tp: Any) -> str:
    return next(m.pattern for info in typing.get_args(tp)[1:] for m in info.metadata if hasattr(m, "pattern"))


_PATTERNS = {
    _pattern(Name): "a name (a letter, then letters, digits, '_' or '-')",
    _pattern(ClockName): "a clock name (a letter or '_', then letters, digits or '_')",
    _pattern(Path): "a dotted path into the spec, like regularizers.weight_decay.strength",
}
PLUGIN_HINT = "A plugin's kind needs its distribution installed (pip install it); `clockspec plugins` lists them"
REFUSED_HINT = "`clockspec plugins` lists the installed plugins and why one was refused"
# The registries whose kinds a discriminated union chooses between, to name the family of a bad tag.
_UNION_FAMILIES = (*KIND_FIELDS.values(), CLOCKS, DISTRIBUTIONS)
_BOUNDS = {"gt": ">", "ge": ">=", "lt": "<", "le": "<="}
_TYPE_WORDS = {
    "int_type": "a whole number", "int_parsing": "a whole number", "int_from_float": "a whole number",
    "float_type": "a number", "float_parsing": "a number", "string_type": "text (a string)",
    "bool_type": "true or false", "bool_parsing": "true or false", "list_type": "a list",
    "tuple_type": "a list", "dict_type": "a mapping", "model_type": "a mapping",
    "model_attributes_type": "a mapping", "finite_number": "a finite number",
}


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format_float(value, integral_as_int=True)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _what(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "text", type(None): "nothing"}.get(type(value), _show(value))


def _range(err: dict, field: Any, tp: Any = None) -> str:
    """`a number in (0, 1)` from the field's bounds, else from the one bound pydantic names."""
    bounds = {}
    for meta in getattr(field, "metadata", []) or []:
        for name in _BOUNDS:
            if getattr(meta, name, None) is not None:
                bounds[name] = getattr(meta, name)
    if not bounds:
        bounds = {k: v for k, v in _ctx(err).items() if k in _BOUNDS}
    low = next(((k, bounds[k]) for k in ("gt", "ge") if k in bounds), None)
    high = next(((k, bounds[k]) for k in ("lt", "le") if k in bounds), None)
    leaves = _leaves(field.annotation if field is not None else tp)
    what = "a whole number" if int in leaves and float not in leaves else "a number"
    if low and high:
        return (f"{what} in {'(' if low[0] == 'gt' else '['}{_num(low[1])}, {_num(high[1])}"
                f"{')' if high[0] == 'lt' else ']'}")
    (name, bound), = [b for b in (low, high) if b]
    return f"{what} {_BOUNDS[name]} {_num(bound)}"


def _num(x: Any) -> str:
    return format_float(x, integral_as_int=True) if isinstance(x, float) else str(x)


def _expected(err: dict, field: Any, tp: Any = None) -> str | None:
    """What the value should have been, in a few words, or None if that is not simple."""
    kind = err["type"]
    if kind in _TYPE_WORDS:
        return _TYPE_WORDS[kind]
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        return _range(err, field, tp)
    if kind == "literal_error":
        choices = _choices(err)
        return f"'{choices[0]}'" if len(choices) == 1 else "one of " + ", ".join(choices)
    return None


def _choices(err: dict) -> list[str]:
    expected = str(_ctx(err).get("expected", ""))
    return [c.strip(" '") for c in expected.replace(" or ", ", ").split(",")]


def _diagnose_all(errors: list[dict], doc: RawDoc, root: type[BaseModel]) -> list[Diagnostic]:
    """Reword each error; a union's members failing on one value make one diagnostic."""
    located = [(err, *_real_path(err["loc"], doc.data)) for err in errors]
    # Keep the errors of the union member that fits the value's shape (a mapping -> a model).
    shapes: dict[PathT, bool] = {}
    for _err, _path, _rest, branch in located:
        if branch:
            shapes[branch[0]] = isinstance(_get(doc.data, branch[0]), dict)
    fits = [(e, p, r, b) for e, p, r, b in located
            if not b or (b[1] in _MODEL_NAMES) == shapes[b[0]]]
    located = fits or located
    out: list[Diagnostic] = []
    merged: dict[PathT, list[dict]] = {}
    for err, path, rest, branch in located:
        if branch and not rest and branch[0] == path and branch[1] not in _MODEL_NAMES:
            merged.setdefault(path, []).append(err)
        else:
            out.append(_diagnose(err, path, rest, doc, root))
    for path, errs in merged.items():
        if len(errs) == 1:
            out.append(_diagnose(errs[0], path, (), doc, root))
            continue
        field = _field(root, doc.data, path)
        words = [_expected(e, field) or e["msg"].lower() for e in errs]
        got = errs[0].get("input")
        hint = next(filter(None, (_shape_hint(path, got, e["type"]) for e in errs)), None)
        out.append(_at(doc, path, f"{dotted(path)}: expected {' or '.join(dict.fromkeys(words))}; "
                                  f"got {_show(got)}", hint))
    return out


def _diagnose(err: dict, path: PathT, rest: tuple, doc: RawDoc, root: type[BaseModel]) -> Diagnostic:
    """One pydantic error in the spec's own words, at the place it names: a reworder per
    error type where one is known (it may decline), else the general wording."""
    if rest and rest[0] == "[key]":  # a mapping key failed its pattern
        desc = _PATTERNS.get(_ctx(err).get("pattern"), "a valid key")
        return _at(doc, path, f"{dotted(path[:-1])}: {_show(path[-1])} is not {desc}", key=True)
    reword = _REWORDS.get(err["type"])
    return (reword and reword(err, path, rest, doc, root)) or _general(err, path, rest, doc, root)


def _unknown_key(err: dict, path: PathT, rest: tuple, doc: RawDoc, root: type[BaseModel]) -> Diagnostic:
    key = rest[0] if rest else path[-1]
    parent = path if rest else path[:-1]
    model = model_at(root, doc.data, parent)
    known = [k for k in (model.model_fields if model else []) if k != "kind"]
    what = "at the top level" if not parent else f"in {dotted(parent)}"
    homes = _blocks_with(model, str(key)) if model else []
    home = f"'{key}' belongs inside {' or '.join(f'{h}:' for h in homes)}" if homes else None
    return _at(doc, parent + (key,), f"unknown key {excerpt(str(key))} {what}",
               home or did_you_mean(key, known) or (f"known keys: {', '.join(known)}" if known else None),
               key=True)


def _blocks_with(model: type[BaseModel], key: str) -> list[str]:
    """The fields of `model` whose block (a model, or any kind of a kind union) has the key `key`."""
    out = []
    for name, field in model.model_fields.items():
        blocks = [t for t in _concrete(field.annotation) if isinstance(t, type) and issubclass(t, BaseModel)]
        if any(key in block.model_fields for block in blocks):
            out.append(name)
    return out


def _concrete(tp: Any) -> list[Any]:
    """The types behind Annotated / Optional / Union."""
    if typing.get_origin(tp) is typing.Annotated:
        return _concrete(typing.get_args(tp)[0])
    if typing.get_origin(tp) in (Union, types.UnionType):
        return [t for arg in typing.get_args(tp) for t in _concrete(arg)]
    return [tp]


def _unknown_kind(err: dict, path: PathT, rest: tuple, doc: RawDoc, root: type[BaseModel]) -> Diagnostic:
    ctx = _ctx(err)
    tags = [t.strip(" '") for t in str(ctx.get("expected_tags", "")).split(",")]
    registry = next((r for r in _UNION_FAMILIES if set(r.names()) == set(tags)), None)
    tag = ctx.get("tag")
    message = f"unknown {registry.family if registry else ''} kind '{tag}'".replace("  ", " ")
    if registry is not None and tag in registry.refused:
        return _at(doc, path + ("kind",), f"{message}: {registry.refused[tag]}", REFUSED_HINT)
    hint = did_you_mean(tag, tags) or f"known kinds: {', '.join(tags)}"
    if registry in KIND_FIELDS.values():  # the families a plugin can add kinds to
        hint += ("" if hint.endswith("?") else ".") + f" {_install_hint(doc)}"
    return _at(doc, path + ("kind",), message, hint)


def _install_hint(doc: RawDoc) -> str:
    """Which distributions to install, where the spec's `plugins` names some that are not (the
    base experiment's, in a family); else how a plugin's kind is installed."""
    data = doc.data if isinstance(doc.data, dict) else {}
    listed = (data.get("base") if isinstance(data.get("base"), dict) else data).get("plugins")
    missing = [text for text in listed if isinstance(text, str) and plugins.requirement_problem(text)] \
        if isinstance(listed, list) else []
    if not missing:
        return PLUGIN_HINT
    return (f"The spec's `plugins` lists {', '.join(missing)}, not installed at that version: pip install "
            + " ".join(f"'{text}'" for text in missing))


def _no_kind(err: dict, path: PathT, rest: tuple, doc: RawDoc, root: type[BaseModel]) -> Diagnostic:
    registry = KIND_FIELDS.get(path[-1] if path else "")
    return _at(doc, path, f"{dotted(path)} needs a 'kind' key",
               f"kinds: {', '.join(registry.names())}" if registry else None, key=True)


def _missing(err: dict, path: PathT, rest: tuple, doc: RawDoc, root: type[BaseModel]) -> Diagnostic:
    key = rest[0] if rest else path[-1]
    parent = path if rest else path[:-1]
    value = _get(doc.data, parent)
    if isinstance(value, list):  # a fixed-length list (a tuple) that is too short
        size = len(typing.get_args(_type_at(root, doc.data, parent)) or ()) or f"more than {len(value)}"
        return _at(doc, parent, f"{dotted(parent)}: expected {size} values; got {len(value)}")
    if not parent:
        hint = ("an experiment needs name, task and model; a family needs family and base"
                if key in ("name", "task", "model", "base") else None)
        return _at(doc, (), f"missing required key '{key}'", hint)
    return _at(doc, parent, f"missing required key '{key}' in {dotted(parent)}", None, key=True)


def _too_long(err: dict, path: PathT, rest: tuple, doc: RawDoc, root: type[BaseModel]) -> Diagnostic | None:
    got = err.get("input")
    if not isinstance(got, list):
        return None
    return _at(doc, path, f"{dotted(path)}: expected at most {_ctx(err).get('max_length')} values; got {len(got)}")


def _too_short(err: dict, path: PathT, rest: tuple, doc: RawDoc, root: type[BaseModel]) -> Diagnostic | None:
    got = err.get("input")
    if not isinstance(got, (list, dict)):
        return None
    what = "entries" if isinstance(got, dict) else "values"
    return _at(doc, path, f"{dotted(path)}: expected at least {_ctx(err).get('min_length')} {what}; got {len(got)}")


def _clock_syntax(err: dict, path: PathT, rest: tuple, doc: RawDoc, root: type[BaseModel]) -> Diagnostic:
    ctx = _ctx(err)
    return _at(doc, path, f"{dotted(path)}: {err['msg']}", ctx.get("hint") or None, offset=int(ctx.get("offset", 0)))


def _field_error(err: dict, path: PathT, rest: tuple, doc: RawDoc, root: type[BaseModel]) -> Diagnostic:
    """A model validator naming the field at fault (ir.base.field_error)."""
    ctx = _ctx(err)
    field_path = path + (ctx["field"],)
    return _at(doc, field_path, f"{dotted(field_path)}: {err['msg']}", ctx.get("hint") or None)


def _pattern_mismatch(err: dict, path: PathT, rest: tuple, doc: RawDoc, root: type[BaseModel]) -> Diagnostic:
    pattern = _ctx(err).get("pattern")
    desc = _PATTERNS.get(pattern, f"text matching {pattern}")
    return _at(doc, path, f"{dotted(path)}: {_show(err.get('input'))} is not {desc}")


def _not_a_choice(err: dict, path: PathT, rest: tuple, doc: RawDoc, root: type[BaseModel]) -> Diagnostic:
    choices, got, where = _choices(err), err.get("input"), dotted(path)
    if path == ("clockspec",):
        return _at(doc, path, f"unsupported clockspec version {_show(got)}; this clockspec reads version {SCHEMA_VERSION}")
    for registry in (METRICS, LOSSES):  # a refused plugin's metric or loss: say which and why
        if tuple(choices) == tuple(registry) and str(got) in registry.refused:
            return _at(doc, path, f"{where}: unknown {registry.family} {_show(got)}: {registry.refused[str(got)]}",
                       REFUSED_HINT)
    if tuple(choices) == tuple(METRICS):  # (with any plugin's metrics)
        return _at(doc, path, f"{where}: unknown metric {_show(got)}",
                   did_you_mean(str(got), choices) or f"metrics: {', '.join(choices)}")
    return _at(doc, path, f"{where}: expected {_expected(err, None)}; got {_show(got)}",
               did_you_mean(str(got), choices))


def _general(err: dict, path: PathT, rest: tuple, doc: RawDoc, root: type[BaseModel]) -> Diagnostic:
    """What the value should have been, from the field's type; else pydantic's message."""
    where, got = dotted(path), err.get("input")
    field = _field(root, doc.data, path)
    if rest:  # a field inside a clock expression
        where = f"{where}: {'.'.join(str(r) for r in rest if r not in CLOCKS)}"
        field = None
    expected = _expected(err, field, None if field or rest else _type_at(root, doc.data, path))
    if expected:
        return _at(doc, path, f"{where}: expected {expected}; got {_show(got)}", _shape_hint(path, got, err["type"]))
    msg = err["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            return _at(doc, path, f"{where}: {msg[len(prefix):]}")
    msg = msg[0].lower() + msg[1:]
    if not isinstance(got, (dict, list)):
        msg += f" (got {_show(got)})"
    return _at(doc, path, f"{where}: {msg}")


def _ctx(err: dict) -> dict:
    return err.get("ctx") or {}


_REWORDS = {
    "extra_forbidden": _unknown_key, "union_tag_invalid": _unknown_kind, "union_tag_not_found": _no_kind,
    "missing": _missing, "too_long": _too_long, "too_short": _too_short, "clock_syntax": _clock_syntax, "phase_syntax": _clock_syntax,
    "field_error": _field_error, "string_pattern_mismatch": _pattern_mismatch, "literal_error": _not_a_choice,
}


def _shape_hint(path: PathT, got: Any, kind: str) -> str | None:
    """How to write the usual shape where a common slip gave another."""
    if kind in ("int_type", "float_type") and isinstance(got, str):
        if is_core_number(got.strip()):  # it would be a number unquoted, so it was quoted
            return f"remove the quotes: {excerpt(got)} is text, {excerpt(got.strip())[1:-1]} is a number"
        return separator_hint(got.strip())
    if kind == "finite_number":
        return "infinity and NaN are not values a spec can mean; write a finite number"
    if kind in ("model_type", "model_attributes_type", "dict_type") and path:
        registry = KIND_FIELDS.get(path[-1])
        if registry and isinstance(got, str) and got in registry:
            return f"write {path[-1]}: {{kind: {got}}}"
        if len(path) == 2 and path[0] == "regularizers" and isinstance(got, (int, float)) and not isinstance(got, bool):
            return f"write {path[1]}: {{strength: {got}}}"
        if len(path) == 2 and path[0] == "regularizers" and path[1] in REGULARIZERS:
            return f"write {path[1]}: {{...}} to turn it on, or leave it out to turn it off"
    if kind in ("list_type", "tuple_type") and not isinstance(got, (dict, list)):
        return f"write [{_show(got)}] for a list of one"
    return None


# ---- the types a field holds ------------------------------------------------------------

def _leaves(tp: Any) -> set:
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _leaves(typing.get_args(tp)[0])
    if origin in (Union, types.UnionType):
        return set().union(*(_leaves(a) for a in typing.get_args(tp)))
    if origin is typing.Literal:
        return {type(v) for v in typing.get_args(tp)}
    return {origin or tp}
