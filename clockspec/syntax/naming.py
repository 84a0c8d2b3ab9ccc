"""Member names: readable labels (`wd=0.1,seed=2`) and the safe names that become IR
`name`s and directory names (`wd-0p1_seed-2`).

IR names allow only `[A-Za-z][A-Za-z0-9_-]*`, so a safe name writes each varied value as
`key-value`, joins pairs with `_`, and spells values in that alphabet: `.` -> `p`, a
leading minus -> `m`, null (a part removed) -> `off`, a list -> items joined by `x`, a
mapping -> its `kind` (else a short hash). Keys are short: the last path component, a
regularizer's strength by the regularizer's name, a few well-known abbreviations (table
below), lengthened with parent components where two varied paths would collide.

A `name_template` replaces the default: literal text in the safe alphabet and fields
`{KEY}` or `{KEY:.3g}` (precision .N with f, g or e), where KEY is a short key, a varied
path, or any IR path. Nothing else: no attribute access, no Python format strings.
"""
from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from typing import Any

from clockspec.core.errors import SourceError
from clockspec.ir import paths
from clockspec.ir.clocks import format_number

ABBREVIATIONS = {
    "weight_decay": "wd",
    "train_fraction": "frac",
    "init_scale": "init",
    "split_seed": "split",
    "embed_dim": "embed",
    "activation": "act",
    "warmup_steps": "warmup",
}
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
MAX_NAME = 80
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def _key_words(path: str) -> list[str]:
    parts = path.split(".")
    if parts[-1] == "strength" and len(parts) >= 2:
        parts = parts[:-1]
    return parts


def short_keys(varied: list[str]) -> dict[str, str]:
    """Varied path -> a short key, unique among the varied paths."""
    words = {p: _key_words(p) for p in varied}
    keys: dict[str, str] = {}
    for path in varied:
        # `X.strength` beside `X` itself is `wd_strength` beside `wd`
        strength_of = path[: -len(".strength")] if path.endswith(".strength") else None
        suffix = "_strength" if strength_of in words else ""
        rivals = [q for q in varied if q not in (path, strength_of, path + ".strength")]
        for n in range(1, len(words[path]) + 1):
            tail = words[path][-n:]
            if not any(words[q][-n:] == tail for q in rivals):
                keys[path] = "_".join(ABBREVIATIONS.get(w, w) for w in tail) + suffix
                break
        else:
            keys[path] = path.replace(".", "_")
    return keys


def readable(value: Any) -> str:
    """A value as a label shows it."""
    if value is None:
        return "off"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        text = format_number(value)
        return text if len(text) <= 8 else _compact(f"{value:.3g}")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ",".join(readable(v) for v in value) + "]"
    if isinstance(value, dict):
        kind = value.get("kind")
        return str(kind) if isinstance(kind, str) else "{" + short_hash(value) + "}"
    return str(value)


def _compact(text: str) -> str:
    """`1.5e+07` -> `1.5e7`, `1e-05` -> `1e-5`."""
    if "e" not in text:
        return text
    mant, exp = text.split("e")
    return f"{mant}e{int(exp)}"


def safe(value: Any, text: str | None = None) -> str:
    """A value in the name alphabet (see the module docstring)."""
    if isinstance(value, list) and text is None:
        return "x".join(safe(v) for v in value) or "none"
    if isinstance(value, dict) and text is None:
        kind = value.get("kind")
        return safe(kind) if isinstance(kind, str) else "h" + short_hash(value)
    text = readable(value) if text is None else text
    if text.startswith("-"):
        text = "m" + text[1:]
    text = text.replace("+", "").replace(".", "p")
    return _UNSAFE.sub("-", text).strip("-") or "x"


def short_hash(value: Any) -> str:
    blob = json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()[:6]


def fit(name: str) -> str:
    """Names longer than the IR allows keep their start and gain a hash of the whole."""
    if len(name) <= MAX_NAME:
        return name
    return name[: MAX_NAME - 7].rstrip("_-") + "-" + hashlib.sha256(name.encode()).hexdigest()[:6]


# ---- templates ----------------------------------------------------------------------

_FIELD = re.compile(r"\{([^{}]*)\}")
_SPEC = re.compile(r"^\.([0-9]{1,2})([fge])$")


@dataclass(frozen=True)
class Template:
    """A parsed name template: literal pieces and (path parts, precision spec) fields."""

    pieces: tuple[Any, ...]

    def render(self, data: dict) -> str:
        out = []
        for piece in self.pieces:
            if isinstance(piece, str):
                out.append(piece)
                continue
            parts, spec = piece
            value = paths.get(data, parts)
            text = None
            if spec and isinstance(value, (int, float)) and not isinstance(value, bool):
                text = format(float(value), spec)
            out.append(safe(value, text))
        return "".join(out)


def parse_template(text: str, keys: dict[str, str]) -> Template:
    """Template text -> Template; fields name short keys, varied paths or IR paths."""
    by_key = {key: path for path, key in keys.items()}
    pieces: list[Any] = []
    pos = 0
    for match in _FIELD.finditer(text):
        _literal(text, pos, match.start(), pieces)
        inner = match.group(1)
        name, _, spec = inner.partition(":")
        name = name.strip()
        path = by_key.get(name, name)
        problem = paths.path_problem(path) if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", path) else (
            f"'{name}' is not a field name", None)
        if problem:
            hint = problem[1]
            if name not in by_key and keys:
                hint = hint or f"varied fields: {', '.join(by_key)}"
            raise SourceError(f"name_template: {problem[0]}", match.start() + 1, hint)
        if spec and not _SPEC.match(spec):
            raise SourceError(f"name_template: format '{spec}' is not .N followed by f, g or e",
                                match.start() + 2 + len(name))
        pieces.append((tuple(path.split(".")), spec))
        pos = match.end()
    _literal(text, pos, len(text), pieces)
    if not any(not isinstance(p, str) for p in pieces):
        raise SourceError("name_template has no {field}: every member would get the same name", 0)
    return Template(tuple(pieces))


def _literal(text: str, start: int, end: int, pieces: list[Any]) -> None:
    chunk = text[start:end]
    bad = _UNSAFE.search(chunk)
    if bad:
        raise SourceError(
            f"name_template: '{bad.group(0)}' cannot be in a name (names use letters, digits, _ and -)",
            start + bad.start())
    if chunk:
        pieces.append(chunk)
