"""The fast slice of the fuzzing campaign: mutated real specs never crash the front ends."""
import random

import pytest
from hypothesis import given, settings, strategies as st

from tests.fuzz.harness import check_clock, check_spec, mutate, seeds

SEEDS = seeds()


@pytest.mark.parametrize("index", range(len(SEEDS)))
def test_seeds_parse_or_fail_cleanly(index):
    syntax, text = SEEDS[index]
    check_spec(text, syntax)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_mutated_specs_give_ir_or_positioned_error(seed):
    rng = random.Random(seed)
    syntax, text = SEEDS[rng.randrange(len(SEEDS))]
    check_spec(mutate(text, rng), syntax)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_random_clock_text_gives_ir_or_positioned_error(text):
    check_clock(text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_random_text_as_yaml(text):
    check_spec(text, "yaml")
