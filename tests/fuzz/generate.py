"""Grammar-aware generation of clock expressions (grammar/clock.lark) and exclude
predicates (grammar/predicate.lark): mostly well-formed, with edge-case numbers, names and
spacing, so that a good share reach the IR and the checks behind the parser.
"""
from __future__ import annotations

import random

from clockspec.ir.metrics import METRICS

from .mutators import NUMBERS

METRIC_NAMES = sorted(METRICS)
NAMES = ["fit", "generalize", "memorize", "x", "_", "a" * 64, "a" * 65, "first", "settle", "after", "c1"]
SPACES = [" ", " ", " ", "  ", "\t", " \t "]
CLOCK_NUMBERS = ["1e-2", "0.99", "0.5", "5", "1", "0", "-1", "+.5", "1.", ".5e-3", "1e-3", "100", *NUMBERS[:12]]
INTS = ["0", "1", "5", "200", "1000", "99999999999999999999", "9" * 300]

# Dotted paths: real ones (leaves, parts, map entries), and some that name nothing.
PATHS = ["seed", "optimizer.lr", "optimizer.kind", "model.activation", "model.kind", "model.depth", "model.hidden",
         "regularizers.weight_decay", "regularizers.weight_decay.strength", "regularizers.schatten.p",
         "task.modulus", "task.op", "train.steps", "train.batch", "clocks.generalize", "clocks.fit.value",
         "description", "tags", "stop.after", "probes.every", "name", "clockspec", "sed", "model.depthh",
         "a.b.c", "_x", "model.kind.x", "optimizer.betas.0"]
WORDS = ["gelu", "relu", "mlp", "embed_mlp", "add", "a_b", "in", "and", "or", "not"]
STRINGS = ["'a'", '"a b"', "''", '""', "'é'", "'{0}'", "\"it's\""]


def _num(rng: random.Random, pool: list[str] = CLOCK_NUMBERS) -> str:
    return rng.choice(pool)


def clock_expression(rng: random.Random) -> str:
    sp = lambda: rng.choice(SPACES)
    metric = rng.choice(METRIC_NAMES) if rng.random() < 0.9 else rng.choice(NAMES)
    if rng.random() < 0.55:
        text = f"first{sp()}{metric}{sp()}{rng.choice(['<=', '<', '>=', '>'])}{sp()}{_num(rng)}"
    else:
        unit = rng.choice(["", "", "%", " %", f"{sp()}relative"])
        text = f"settle{sp()}{metric}{sp()}within{sp()}{_num(rng)}{unit}"
    if rng.random() < 0.35:
        text += f"{sp()}for{sp()}{rng.choice(INTS)}{sp()}{rng.choice(['steps', 'step'])}"
    if rng.random() < 0.35:
        text += f"{sp()}after{sp()}{rng.choice(NAMES)}"
    return rng.choice(["", "", " "]) + text + rng.choice(["", "", " "])


def _value(rng: random.Random, depth: int) -> str:
    roll = rng.random()
    if roll < 0.35:
        return _num(rng, ["0", "1", "2", "-1", "1e-2", "0.5", "+3", ".5", "1.", *NUMBERS[:10]])
    if roll < 0.55:
        return rng.choice(WORDS)
    if roll < 0.7:
        return rng.choice(STRINGS)
    if roll < 0.85 or depth > 2:
        return rng.choice(["null", "true", "false"])
    return _list(rng, depth + 1)


def _list(rng: random.Random, depth: int) -> str:
    return "[" + ", ".join(_value(rng, depth) for _ in range(rng.choice([0, 1, 2, 3]))) + "]"


def _comparison(rng: random.Random) -> str:
    path = rng.choice(PATHS)
    roll = rng.random()
    if roll < 0.6:
        op = rng.choice(["==", "!=", "<", "<=", ">", ">="])
        return f"{path} {op} {_value(rng, 0)}"
    if roll < 0.85:
        return f"{path} in {_list(rng, 0)}"
    return f"{path} not in {_list(rng, 0)}"


def predicate(rng: random.Random, depth: int = 0) -> str:
    """or-of-and-of-not over comparisons and parenthesized sub-predicates."""
    def atom() -> str:
        if depth < 3 and rng.random() < 0.2:
            return "(" + predicate(rng, depth + 1) + ")"
        return ("not " * rng.choice([0, 0, 0, 1, 2])) + _comparison(rng)

    def conj() -> str:
        return " and ".join(atom() for _ in range(rng.choice([1, 1, 2, 3])))

    return " or ".join(conj() for _ in range(rng.choice([1, 1, 2])))
