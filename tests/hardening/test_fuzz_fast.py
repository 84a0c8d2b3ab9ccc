"""The fast slice of the fuzzing campaign (bench/fuzz.py; docs/fuzzing.md).

Replays every input of the regression corpus tests/corpus/fuzz/<front>/, checks every seed,
and runs a few hundred fresh mutated / generated inputs per front end. Each must give a
valid IR or parsed object or a clean positioned error (tests/fuzz/checks.py).
"""
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.harness import FRONT_ENDS, regressions
from tests.fuzz.minimize import minimize, outcome

REGRESSIONS = regressions()
# Inputs per front end per run: the spec front ends cost a few ms an input, the
# expression languages well under one.
EXAMPLES = {"yaml": 150, "clk": 200, "clock": 300, "predicate": 300, "expand": 40, "revision": 40,
            "datafile": 300, "storefile": 30, "where": 300, "override": 100}


def test_regressions_and_seeds_are_found():
    assert REGRESSIONS and all(len(front.seeds()) >= 10 for front in FRONT_ENDS.values())


@pytest.mark.parametrize("front, path", REGRESSIONS, ids=lambda x: getattr(x, "name", x))
def test_regression_input_is_handled_cleanly(front, path):
    inputs = FRONT_ENDS[front].load(path)
    assert inputs, f"{path} cannot be read as a {front} input"
    for data in inputs:
        FRONT_ENDS[front].check(data)


@pytest.mark.parametrize("front", FRONT_ENDS)
def test_every_seed_is_handled_cleanly(front):
    outcomes = {FRONT_ENDS[front].check(seed) for seed in FRONT_ENDS[front].seeds()}
    assert outcomes == {"ok", "error"}  # the seeds hold valid inputs and broken ones


def _fresh_inputs(front: str):
    @settings(max_examples=EXAMPLES[front], deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.integers(0, 2**32 - 1))
    def run(seed):
        FRONT_ENDS[front].check(FRONT_ENDS[front].make(random.Random(seed)))

    return run


@pytest.mark.parametrize("front", FRONT_ENDS)
def test_fresh_inputs_give_ir_or_positioned_error(front):
    _fresh_inputs(front)()


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200), st.sampled_from(["yaml", "clk", "clock", "predicate"]))
def test_arbitrary_text(text, front):
    FRONT_ENDS[front].check(text)


def test_minimizer_keeps_the_failure_and_shrinks_it():
    front = FRONT_ENDS["clock"]
    broken = front.__class__(front.name, front.suffix, front.seeds, front.make,
                             lambda text: 1 / 0 if "settle" in text else "ok")
    raw = b"first x <= 1 settle y within 2% for 3 steps"
    small = minimize(broken, raw)
    assert small == "settle" and outcome(broken, small, 1.0) == outcome(broken, raw.decode(), 1.0)
