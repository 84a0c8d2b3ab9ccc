"""Mutations at three levels: bytes/characters, tokens, and structure (lines, bracketed
groups, the YAML data tree), plus splicing two seeds together.

Every mutator takes text and a `random.Random` and returns new text; `mutate` applies a
few chosen at random. `to_bytes` damages the UTF-8 encoding itself (invalid sequences,
flipped bits) for the front ends that read bytes.
"""
from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence

import yaml

# Characters that front ends and printers are known to trip on: NUL, BOM, the Unicode line
# breaks YAML counts and Python's str.splitlines counts differently, a lone surrogate,
# tabs, CR, wide and combining characters.
CHARS = ["\x00", "\ufeff", "\r", "\r\n", "\t", "\x85", "\u2028", "\u2029", "\ud800", "\x0b", "\x0c",
         "\x1b", "é", "…", "\u0301", "\U0001f600", "\uffff", "\x7f", "\xa0"]
# Words and punctuation of both syntaxes and both expression languages, and values that
# sit on the edge of what a field accepts.
WORDS = [
    ":", "{", "}", "[", "]", "(", ")", ",", "-", "- ", "#", "&a ", "*a", "<<: ", "!!python/object:os.system ",
    "!!binary ", "!tag ", "%YAML 1.1\n", "---\n", "...\n", "|\n", ">-\n", "? ", "'", '"', "\\", "=", "==", "!=",
    "<", "<=", ">", ">=", "%", "kind", "first", "settle", "within", "after", "for", "steps", "step", "relative",
    "in", "not", "and", "or", "null", "~", "true", "false", "yes", "no", "on", "experiment", "family", "base",
    "task", "model", "regularizer", "regularizers", "optimizer", "train", "probes", "clock", "clocks", "stop",
    "vary", "grid", "zip", "one_at_a_time", "random", "params", "exclude", "name_template", "uniform(",
    "loguniform(1e-4, 1e-1)", "choice(", "seed", "relu", "gelu", "embed_mlp", "deep_linear", "mlp", "modular",
    "teacher", "adamw", "sgd", "weight_decay", "schatten", "train_loss", "test_acc", "weight_norm",
    "{seed}", "{lr:.3g}", "{0}", "{__class__}", "../../etc", "/etc/passwd", "${HOME}", "__import__('os')",
]
NUMBERS = ["0", "-0", "1", "-1", "2", "0.5", "1e-3", "1e9", "1e309", "-1e309", "1e-400", "5e-324", ".5", "1.",
           "+1", "0x10", "0o17", "0b1", "1_000", "99999999999999999999999", "9" * 400, ".inf", "-.inf", ".nan",
           "nan", "inf", "1e", "1e+", "--1", "00"]
# Values a structural mutation can drop into the YAML data tree.
VALUES = [None, True, False, 0, -1, 1, 2 ** 63, 10 ** 30, 1e308, -1e-308, 0.5, float("inf"), "", "x", "..",
          "first train_loss <= 1e-2", "settle weight_norm within 5%", "seed == 0", "../../etc", "a" * 300,
          [], {}, [0, 1], [[[[[[[[0]]]]]]]], {"kind": "mlp"}, {"kind": None}, {"x": {"y": {"z": 1}}}]

_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*|[0-9][0-9.eE+_-]*|[ \t]+|\n|[<>=!]=?|.", re.S)
_PAIRS = {"{": "}", "[": "]", "(": ")"}

Mutator = Callable[[str, random.Random], str]


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def _pick(rng: random.Random, dictionary: Sequence[str]) -> str:
    roll = rng.random()
    if roll < 0.15:
        return rng.choice(CHARS)
    if roll < 0.35:
        return rng.choice(NUMBERS)
    return rng.choice(dictionary)


# ---- characters --------------------------------------------------------------------------

def delete_span(text: str, rng: random.Random) -> str:
    pos = rng.randint(0, len(text))
    return text[:pos] + text[pos + rng.choice([1, 1, 2, 4, 8, 32]):]


def insert_char(text: str, rng: random.Random) -> str:
    pos = rng.randint(0, len(text))
    char = rng.choice(CHARS) if rng.random() < 0.5 else chr(rng.choice([rng.randint(0, 0x7f), rng.randint(0, 0xffff)]))
    return text[:pos] + char + text[pos:]


def replace_char(text: str, rng: random.Random) -> str:
    if not text:
        return text
    pos = rng.randrange(len(text))
    return text[:pos] + chr(rng.randint(0x20, 0x7e)) + text[pos + 1:]


def repeat_span(text: str, rng: random.Random) -> str:
    """The same few characters many times over: long words, numbers and runs of brackets."""
    pos = rng.randint(0, len(text))
    span = text[pos:pos + rng.randint(1, 4)] or "["
    return text[:pos] + span * rng.choice([2, 10, 100, 1000]) + text[pos:]


# ---- tokens ------------------------------------------------------------------------------

def _token_op(op: str) -> Mutator:
    def mutator(text: str, rng: random.Random, dictionary: Sequence[str] = WORDS) -> str:
        toks = tokens(text) or [""]
        i, j = rng.randrange(len(toks)), rng.randrange(len(toks))
        if op == "delete":
            del toks[i]
        elif op == "duplicate":
            toks.insert(i, toks[i])
        elif op == "swap":
            toks[i], toks[j] = toks[j], toks[i]
        elif op == "replace":
            toks[i] = _pick(rng, dictionary)
        else:  # insert, with the spacing a word usually has
            toks.insert(i, rng.choice(["", " "]) + _pick(rng, dictionary) + rng.choice(["", " "]))
        return "".join(toks)

    mutator.__name__ = f"token_{op}"
    return mutator


TOKEN_MUTATORS = [_token_op(op) for op in ("delete", "duplicate", "swap", "replace", "insert")]


def splice(a: str, b: str, rng: random.Random) -> str:
    """A prefix of one input's tokens followed by a suffix of another's."""
    ta, tb = tokens(a), tokens(b)
    return "".join(ta[:rng.randint(0, len(ta))] + tb[rng.randint(0, len(tb)):])


# ---- structure: lines, bracketed groups, the YAML tree -----------------------------------

def line_op(text: str, rng: random.Random) -> str:
    lines = text.split("\n")
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    op = rng.randrange(6)
    if op == 0:
        lines.insert(j, lines[i])
    elif op == 1:
        del lines[i]
    elif op == 2:
        lines[i], lines[j] = lines[j], lines[i]
    elif op == 3:
        lines[i] = "  " + lines[i]
    elif op == 4:
        lines[i] = lines[i][rng.choice([1, 2, 4]):]
    else:  # a block of lines, copied elsewhere
        lo, hi = sorted((i, j))
        lines[j:j] = lines[lo:hi + 1]
    return "\n".join(lines)


def _groups(text: str) -> list[tuple[int, int]]:
    """(start, end) of every balanced bracketed group, brackets included."""
    out, stack = [], []
    for pos, char in enumerate(text):
        if char in _PAIRS:
            stack.append((char, pos))
        elif stack and char == _PAIRS[stack[-1][0]]:
            out.append((stack.pop()[1], pos + 1))
    return out


def group_op(text: str, rng: random.Random) -> str:
    groups = _groups(text)
    if not groups:
        return line_op(text, rng)
    start, end = rng.choice(groups)
    body = text[start:end]
    op = rng.randrange(5)
    if op == 0:  # empty it
        return text[:start] + body[0] + body[-1] + text[end:]
    if op == 1:  # drop it
        return text[:start] + text[end:]
    if op == 2:  # duplicate it
        return text[:end] + "\n" + body + text[end:]
    if op == 3:  # nest it deeper
        depth = rng.choice([1, 5, 100])
        return text[:start] + body[0] * depth + body + body[-1] * depth + text[end:]
    other_start, other_end = rng.choice(groups)  # put another group in its place
    return text[:start] + text[other_start:other_end] + text[end:]


def yaml_tree_op(text: str, rng: random.Random) -> str:
    """Load the YAML, change one node of the tree (type, key, subtree), dump it again."""
    try:
        data = yaml.safe_load(text) if len(text) < 20_000 else None
    except (yaml.YAMLError, RecursionError, ValueError):  # PyYAML recurses once per nesting level; int() refuses 4,300+ digits
        data = None
    if not isinstance(data, (dict, list)):
        return group_op(text, rng)
    nodes: list[tuple[object, object]] = []  # (container, key)
    todo: list[object] = [data]
    seen: set[int] = set()  # aliases share nodes and can make cycles
    while todo and len(nodes) < 5000:
        node = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, child in items:
            nodes.append((node, key))
            todo.append(child)
    if nodes:
        parent, key = rng.choice(nodes)
        op = rng.randrange(5)
        if op == 0:
            parent[key] = rng.choice(VALUES)  # type: ignore[index]
        elif op == 1:
            del parent[key]  # type: ignore[attr-defined]
        elif op == 2 and isinstance(parent, dict):
            parent[rng.choice(WORDS) + rng.choice(["", "x"])] = rng.choice(VALUES)
        elif op == 3:
            other_parent, other_key = rng.choice(nodes)
            parent[key] = other_parent[other_key]  # type: ignore[index]
        elif isinstance(parent, dict):
            parent[str(key)[:-1] or "k"] = parent.pop(key)  # a typo in a key
    try:
        return yaml.safe_dump(data, default_flow_style=rng.choice([None, False, True]), sort_keys=False,
                              allow_unicode=rng.random() < 0.5)
    except (yaml.YAMLError, RecursionError, ValueError):
        return text


CHAR_MUTATORS: list[Mutator] = [delete_span, insert_char, replace_char, repeat_span]
STRUCTURE_MUTATORS: list[Mutator] = [line_op, group_op]


def mutate(text: str, rng: random.Random, pool: Sequence[str], dictionary: Sequence[str] = WORDS,
           structure: Sequence[Mutator] = STRUCTURE_MUTATORS) -> str:
    """One to four mutations from all three levels; sometimes a splice with another seed."""
    if rng.random() < 0.1:
        text = splice(text, rng.choice(pool), rng)
    for _ in range(rng.randint(1, 4)):
        level = rng.random()
        if level < 0.3:
            text = rng.choice(CHAR_MUTATORS)(text, rng)
        elif level < 0.75:
            text = rng.choice(TOKEN_MUTATORS)(text, rng, dictionary)
        else:
            text = rng.choice(structure)(text, rng)
    return text


def to_bytes(text: str, rng: random.Random) -> bytes:
    """The UTF-8 of `text` (lone surrogates passed through), sometimes with bytes damaged."""
    data = bytearray(text.encode("utf-8", "surrogatepass"))
    if data and rng.random() < 0.3:
        for _ in range(rng.randint(1, 3)):
            pos = rng.randrange(len(data))
            if rng.random() < 0.5:
                data[pos] ^= 1 << rng.randrange(8)
            else:
                data[pos:pos] = rng.choice([b"\xff", b"\xc3", b"\xe2\x80", b"\xed\xa0\x80", b"\xef\xbb\xbf"])
    return bytes(data)
