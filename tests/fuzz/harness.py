"""Fuzzing harness shared by the fast test and the long campaign (bench/fuzz.py).

Every input must give a valid IR or a clean SpecError with positions: never another
exception. Inputs are mutations of real seeds (the example specs and the error corpus).
"""
from __future__ import annotations

import random
from pathlib import Path

from clockspec.errors import SpecError
from clockspec.kinds.clocks import ClockSyntaxError, parse_clock
from clockspec.loading import parse
from clockspec.validate import validate

ROOT = Path(__file__).resolve().parents[2]
TOKENS = [
    ":", "{", "}", "[", "]", ",", "-", "#", "&a", "*a", "<<:", "!!python/object:os.system", "!tag",
    "%", "\t", "\n", "  ", "'", '"', "\\", "\x00", "\ufeff", "kind", "first", "settle", "within",
    "after", "for", "steps", "<=", ">=", "1e-3", "-1", "1e309", "nan", ".inf", "null", "~", "true",
    "experiment", "family", "task", "model", "regularizer", "clock", "stop", "vary", "grid", "=",
    "relu", "embed_mlp", "modular", "train_loss", "0x10", "99999999999999999999999", "é", "…",
]


def seeds() -> list[tuple[str, str]]:
    """(syntax, text) pairs from every spec and corpus file in the repository."""
    out = []
    for folder in ("specs", "tests/corpus"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix in (".yaml", ".yml", ".clk") and path.is_file():
                syntax = "clk" if path.suffix == ".clk" else "yaml"
                out.append((syntax, path.read_text(encoding="utf-8", errors="replace")))
    if not out:
        out.append(("yaml", "name: x\ntask: {kind: modular}\nmodel: {kind: mlp}\nclocks: {fit: first train_loss <= 1e-2}\n"))
    return out


def mutate(text: str, rng: random.Random) -> str:
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(6)
        pos = rng.randint(0, len(text))
        if op == 0 and text:  # delete a span
            text = text[:pos] + text[pos + rng.randint(1, 8):]
        elif op == 1:  # insert a token
            text = text[:pos] + rng.choice(TOKENS) + text[pos:]
        elif op == 2 and text:  # replace a character
            text = text[:pos] + chr(rng.randint(0, 0x2FF)) + text[pos + 1:]
        elif op == 3:  # duplicate a line
            lines = text.split("\n")
            i = rng.randrange(len(lines))
            lines.insert(i, lines[i])
            text = "\n".join(lines)
        elif op == 4:  # swap two lines
            lines = text.split("\n")
            i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
        else:  # change a number
            text = text[:pos] + rng.choice(["0", "-5", "1e9", "0.5", "3"]) + text[pos:]
    return text


def check_spec(text: str, syntax: str) -> str:
    """Run one input through front end + validation; return 'ok' or 'error'. Raises on a bug."""
    try:
        validate(parse(text, "fuzz." + syntax, syntax))
        return "ok"
    except SpecError as exc:
        assert exc.diagnostics, "SpecError without diagnostics"
        for d in exc.diagnostics:
            assert d.line >= 1 and d.col >= 1 and d.file == "fuzz." + syntax and d.message, d
        return "error"


def check_clock(text: str) -> str:
    try:
        parse_clock(text)
        return "ok"
    except ClockSyntaxError as exc:
        assert 0 <= exc.offset <= len(text) and exc.message
        return "error"
