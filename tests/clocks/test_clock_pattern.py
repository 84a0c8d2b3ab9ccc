"""The schema's pattern for a clock's text (`expression_pattern`) accepts exactly what the
clock parser parses, for texts near the grammar: well-formed ones, spaced every way, and
ones with a word dropped, doubled, swapped or misspelt."""
from __future__ import annotations

import re

from hypothesis import example, given
from hypothesis import strategies as st

from clockspec.core.errors import SourceError
from clockspec.ir.clocks import expression_pattern, parse_clock
from clockspec.ir.metrics import METRICS

PATTERN = re.compile(expression_pattern())
WORDS = ["first", "settle", "last", "enter", "transition", "within", "relative", "for", "steps", "step",
         "times", "r2", "after", "%", "<=", ">=", "<", ">", "=", "fit", "train_acc", "test_loss", "sharpness",
         "0.5", "1e-3", "-2", "3", ".5", "1.", "x1"]
metric = st.sampled_from(sorted(METRICS))
number = st.sampled_from(["0.5", "1e-3", "-2", "3", ".5", "1.", "+4E2", "10"])
op = st.sampled_from(["<=", ">=", "<", ">"])
tail = st.tuples(st.sampled_from(["", "for 3 steps", "for 1 step"]), st.sampled_from(["", "after fit", "after a_2"]))


@st.composite
def near_the_grammar(draw) -> str:
    kind = draw(st.sampled_from(["first", "settle", "last", "enter", "transition"]))
    if kind == "settle":
        words = ["settle", draw(metric), "within", draw(number), draw(st.sampled_from(["", "%", "relative"]))]
    elif kind == "transition":
        words = ["transition", draw(metric), draw(st.sampled_from(["", "r2 0.9"]))]
    else:
        words = [kind, draw(metric), draw(op), draw(number)]
        if kind == "enter":
            words.append(draw(st.sampled_from(["", "times 2"])))
    steps, after = draw(tail)
    words += [steps if kind != "transition" else "", after]
    words = " ".join(w for w in words if w).split()
    for _ in range(draw(st.integers(0, 2))):  # corruptions
        i = draw(st.integers(0, len(words) - 1))
        how = draw(st.sampled_from(["drop", "double", "swap", "replace", "glue"]))
        if how == "drop" and len(words) > 1:
            words.pop(i)
        elif how == "double":
            words.insert(i, words[i])
        elif how == "swap" and i + 1 < len(words):
            words[i], words[i + 1] = words[i + 1], words[i]
        elif how == "replace":
            words[i] = draw(st.sampled_from(WORDS))
        elif how == "glue" and i + 1 < len(words):
            words[i:i + 2] = [words[i] + words[i + 1]]
    gaps = draw(st.lists(st.sampled_from([" ", "  ", "\t", ""]), min_size=len(words) + 1, max_size=len(words) + 1))
    return gaps[0] + "".join(w + g for w, g in zip(words, gaps[1:]))


def parses(text: str) -> bool:
    try:
        parse_clock(text)
    except SourceError:
        return False
    return True


@given(near_the_grammar())
@example("first train_acc >= 0.9for 3 steps")
@example("first train_acc >= 0.9 after for")
@example("settle test_loss within 1 %")
@example("settle test_loss within 1relative")
@example("firsttrain_acc >= 0.9 for3 stepsafter fit")
def test_the_schema_pattern_accepts_what_the_parser_parses(text):
    assert bool(PATTERN.fullmatch(text)) == parses(text), text
