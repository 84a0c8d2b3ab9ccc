"""Clocks for events that are not monotone (a metric that is met, lost and met again):
`last`, `enter` (entries counted) and `transition` (a fitted sigmoid), on synthetic streams."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from clockspec.clocks import ClockResult, ClockTracker, evaluate_clocks, fit_sigmoid
from clockspec.core.errors import SourceError
from clockspec.ir.clocks import CLOCKS, EnterClock, FirstClock, parse_clock
from clockspec.ir.spec import Stop

# Test accuracy as in public grokking logs: 100% by step 9k, 8.6% at 11k, 98.6% by 17k.
UNGROK = [0.05, 0.1, 0.4, 1.0, 1.0, 0.086, 0.2, 0.9, 0.986, 0.99]  # steps 0, 2k, ..., 18k


def clock(text):
    data = parse_clock(text)
    return CLOCKS[data["kind"]](**data)


def rows(values, every=2000, metric="test_acc"):
    return [{"step": i * every, metric: v} for i, v in enumerate(values)]


def run(text, values, every=2000, stop=None):
    return evaluate_clocks({"c": clock(text)}, rows(values, every), stop)["c"]


def test_last_is_the_onset_of_the_final_stretch_not_the_first_time():
    assert run("first test_acc >= 0.95", UNGROK).step == 6000
    got = run("last test_acc >= 0.95", UNGROK)
    assert (got.step, got.reached, got.value) == (16000, True, 0.986)


def test_last_never_fires_when_the_end_does_not_hold_and_fires_at_the_end_when_only_the_end_does():
    assert run("last test_acc >= 0.95", UNGROK[:-3]) == ClockResult(None, False, 0.2, "test_acc")
    at_end = run("last test_acc >= 0.95", [0.1, 0.99, 0.2, 0.97])
    assert at_end.step == 6000 and at_end.reached
    assert not run("last test_acc >= 0.95 for 1 steps", [0.1, 0.99, 0.2, 0.97]).reached  # one probe spans 0 steps
    assert run("last test_acc >= 0.95 for 2000 steps", UNGROK).step == 16000


def test_last_after_another_clock_and_missing_values_break_the_stretch():
    assert run("last test_acc >= 0.95", [0.99, 0.99, float("nan"), 0.99]).step == 6000
    c = {"g": clock("first test_acc >= 0.5"), "l": clock("last test_acc >= 0.95 after g")}
    assert evaluate_clocks(c, rows([0.1, 0.1, 0.1]))["l"].reached is False  # after a censored clock


def test_last_never_fires_online_and_results_decide_it():
    tracker = ClockTracker({"c": clock("last test_acc >= 0.95")})
    fired = [name for r in rows(UNGROK) for name in tracker.update(r)]
    assert fired == [] and tracker.fired_step("c") is None
    assert tracker.results()["c"].step == 16000


def test_enter_counts_the_entries_and_fires_at_the_kth():
    once = run("enter test_acc >= 0.95", UNGROK)
    assert (once.step, once.extra) == (6000, {"entries": 2})
    again = run("enter test_acc >= 0.95 times 2", UNGROK)
    assert (again.step, again.extra) == (16000, {"entries": 2})
    never = run("enter test_acc >= 0.95 times 3", UNGROK)
    assert (never.step, never.reached, never.extra) == (None, False, {"entries": 2})
    assert run("enter test_acc >= 2", UNGROK).extra == {"entries": 0}


def test_enter_with_for_steps_ignores_dips_in_and_out_and_fires_at_the_end():
    noisy = [0.1, 0.99, 0.1, 0.99, 0.1, 0.99, 0.99]
    assert run("enter test_acc >= 0.95", noisy, every=10).extra == {"entries": 3}
    held = run("enter test_acc >= 0.95 for 10 steps", noisy, every=10)
    assert (held.step, held.extra) == (50, {"entries": 1})  # the last stretch, counted at the last probe


def test_enter_fires_online_once_its_kth_entry_is_counted():
    tracker = ClockTracker({"c": clock("enter test_acc >= 0.95 times 2")}, Stop(after=["c"]))
    fired_at = [r["step"] for r in rows(UNGROK) if tracker.update(r)]
    assert fired_at == [16000] and tracker.should_stop


@given(st.lists(st.floats(0, 1), min_size=1, max_size=30), st.floats(0, 1), st.integers(0, 40))
def test_enter_once_is_first(values, threshold, for_steps):
    data = rows(values, every=10)
    c = {"first": FirstClock(kind="first", metric="test_acc", op=">=", value=threshold, for_steps=for_steps),
         "enter": EnterClock(kind="enter", metric="test_acc", op=">=", value=threshold, for_steps=for_steps)}
    got = evaluate_clocks(c, data)
    assert got["first"].step == got["enter"].step


def sigmoid_rows(midpoint, k, steps=np.arange(0, 20001, 100), noise=0.01, seed=0):
    y = 0.05 + 0.9 / (1 + np.exp(-k * (steps - midpoint))) + np.random.default_rng(seed).normal(0, noise, len(steps))
    return [{"step": int(t), "test_acc": float(v)} for t, v in zip(steps, y)]


def test_transition_recovers_midpoint_and_sharpness():
    got = evaluate_clocks({"c": clock("transition test_acc")}, sigmoid_rows(7300, 0.002))["c"]
    assert got.reached and got.step == 7300
    assert got.extra["midpoint"] == pytest.approx(7300, abs=60)
    assert got.extra["sharpness"] == pytest.approx(0.002, rel=0.1)
    assert got.extra["r2"] > 0.99 and got.extra["low"] == pytest.approx(0.05, abs=0.01)


def test_transition_fires_at_the_end_and_not_past_it():
    late = evaluate_clocks({"c": clock("transition test_acc")}, sigmoid_rows(19000, 0.01))["c"]
    assert late.reached and 18900 <= late.step <= 19100
    past = evaluate_clocks({"c": clock("transition test_acc")}, sigmoid_rows(40000, 0.01))["c"]
    assert not past.reached  # the rise has not begun in the record: the midpoint sits at the edge


def test_transition_never_fires_on_noise_and_says_how_poor_the_fit_was():
    noise = [{"step": 10 * i, "test_acc": v} for i, v in enumerate(np.random.default_rng(1).uniform(0, 1, 200))]
    got = evaluate_clocks({"c": clock("transition test_acc")}, noise)["c"]
    assert not got.reached and got.extra["r2"] < 0.9
    flat = evaluate_clocks({"c": clock("transition test_acc")}, rows([0.5] * 10))["c"]
    assert not flat.reached and flat.extra == {}  # nothing to fit
    assert not evaluate_clocks({"c": clock("transition test_acc r2 0.999")}, sigmoid_rows(7300, 0.002, noise=0.05))["c"].reached


def test_transition_is_decided_at_the_end_only():
    tracker = ClockTracker({"c": clock("transition test_acc")})
    assert not any(tracker.update(r) for r in sigmoid_rows(7300, 0.002))
    assert tracker.results()["c"].reached


def test_fit_sigmoid_on_a_step_puts_the_midpoint_between_the_probes():
    t = np.arange(0, 1000, 10.0)
    fit = fit_sigmoid(t, (t >= 505).astype(float))
    assert 500 <= fit["midpoint"] <= 510 and fit["r2"] > 0.999


@pytest.mark.parametrize("text", ["last test_acc >= 0.9 for 100 steps after g", "enter test_acc < 0.1 times 3",
                                  "enter test_acc > 0.5 times 2 for 10 steps after g", "transition test_acc",
                                  "transition test_acc r2 0.75 after g", "last train_loss <= 1e-3"])
def test_new_forms_print_back_canonically(text):
    assert clock(text).text() == text
    assert clock(clock(text).text()) == clock(text)


@pytest.mark.parametrize("text, message", [
    ("last test_acc 0.9", "expected a comparison"),
    ("enter test_acc >= 0.9 times", "expected a whole number"),
    ("transition", "ends too early"),
    ("transition test_acc r2 nan", "unexpected"),
    ("transition accuracy", "unknown metric 'accuracy'"),
])
def test_bad_new_forms_are_positioned_errors(text, message):
    with pytest.raises(SourceError, match=message):
        parse_clock(text)


def test_results_round_trip_through_json_with_what_a_kind_adds():
    got = run("enter test_acc >= 0.95", UNGROK)
    assert ClockResult.from_json({**got.to_json(), "expr": "x"}) == got
    assert math.isfinite(run("transition test_acc", [0, 0, 0.1, 0.9, 1, 1], every=10).extra["midpoint"])
