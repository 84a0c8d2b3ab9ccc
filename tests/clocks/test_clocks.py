"""Clock semantics over hand-made metric streams (the one implementation of what a clock means)."""
import math

from hypothesis import given
from hypothesis import strategies as st

from clockspec.clocks import ClockTracker, evaluate_clocks
from clockspec.ir.clocks import FirstClock, SettleClock, parse_clock
from clockspec.ir.spec import Stop


def clock(text):
    data = parse_clock(text)
    return (FirstClock if data["kind"] == "first" else SettleClock)(**data)


def rows(metric, values, every=10):
    return [{"step": i * every, metric: v} for i, v in enumerate(values)]


def test_first_fires_at_first_probe_that_holds():
    res = evaluate_clocks({"fit": clock("first train_loss <= 0.1")}, rows("train_loss", [1, 0.5, 0.1, 0.05, 0.2]))
    assert res["fit"].step == 20 and res["fit"].reached and res["fit"].value == 0.1


def test_first_with_strict_op_and_never_fires_is_censored_with_last_value():
    res = evaluate_clocks({"fit": clock("first train_loss < 0.1")}, rows("train_loss", [1, 0.5, 0.1, 0.3]))
    assert res["fit"].step is None and not res["fit"].reached and res["fit"].value == 0.3


def test_for_steps_needs_an_unbroken_streak_and_reports_its_start():
    values = [1, 0, 0, 1, 0, 0, 0, 0]
    res = evaluate_clocks({"freeze": clock("first pattern_flips <= 0 for 30 steps")}, rows("pattern_flips", values))
    assert res["freeze"].step == 40
    short = evaluate_clocks({"freeze": clock("first pattern_flips <= 0 for 40 steps")}, rows("pattern_flips", values))
    assert not short["freeze"].reached  # the run ended before the streak was long enough


def test_after_restricts_to_steps_at_or_after_the_other_clock():
    data = [{"step": s, "train_acc": a, "test_acc": t} for s, a, t in
            [(0, 0.1, 0.99), (10, 1.0, 0.2), (20, 1.0, 0.5), (30, 1.0, 0.995)]]
    clocks = {"memorize": clock("first train_acc >= 0.99"), "generalize": clock("first test_acc >= 0.99 after memorize")}
    res = evaluate_clocks(clocks, data)
    assert res["memorize"].step == 10 and res["generalize"].step == 30


def test_after_a_censored_clock_is_censored():
    data = rows("test_acc", [0.1, 1.0])
    clocks = {"never": clock("first test_acc >= 2"), "late": clock("first test_acc >= 0.5 after never")}
    assert not evaluate_clocks(clocks, data)["late"].reached


def test_settle_relative_and_absolute():
    values = [10, 5, 3, 2.05, 2.01, 2.0, 2.0]
    res = evaluate_clocks({"s": clock("settle weight_norm within 1%")}, rows("weight_norm", values))
    assert res["s"].step == 40  # 2.01 is within 0.02 of 2.0, 2.05 is not
    res = evaluate_clocks({"s": clock("settle weight_norm within 0.06")}, rows("weight_norm", values))
    assert res["s"].step == 30


def test_settle_still_moving_at_the_end_is_censored():
    res = evaluate_clocks({"s": clock("settle weight_norm within 1%")}, rows("weight_norm", [10, 8, 6, 4]))
    assert not res["s"].reached and res["s"].value == 4
    res = evaluate_clocks({"s": clock("settle weight_norm within 1% for 100 steps")}, rows("weight_norm", [9, 4, 4, 4]))
    assert not res["s"].reached  # settled for 20 steps only


def test_nan_never_satisfies():
    res = evaluate_clocks({"fit": clock("first train_loss <= 1")}, rows("train_loss", [math.nan, 5, 0.5]))
    assert res["fit"].step == 20


def test_online_update_reports_firing_and_stop_respects_patience():
    clocks = {"fit": clock("first train_loss <= 0.1")}
    tracker = ClockTracker(clocks, Stop(after=["fit"], patience=20))
    fired = [tracker.update(r) for r in rows("train_loss", [1, 0.05, 0.05, 0.05, 0.05])]
    assert fired[1] == ["fit"] and fired[2] == []
    tracker2 = ClockTracker(clocks, Stop(after=["fit"], patience=20))
    stops = []
    for r in rows("train_loss", [1, 0.05, 0.05, 0.05, 0.05]):
        tracker2.update(r)
        stops.append(tracker2.should_stop)
    assert stops == [False, False, False, True, True]


def test_online_settle_fires_provisionally_for_stopping():
    clocks = {"s": clock("settle weight_norm within 1%")}
    tracker = ClockTracker(clocks, Stop(after=["s"]))
    values = [10, 5] + [2.0] * 20
    for r in rows("weight_norm", values):
        tracker.update(r)
        if tracker.should_stop:
            break
    assert tracker.should_stop and tracker.results()["s"].step == 20


@given(st.lists(st.floats(min_value=0, max_value=10, allow_nan=False), min_size=1, max_size=40),
       st.floats(min_value=0, max_value=10), st.integers(0, 50))
def test_online_first_equals_a_direct_scan(values, threshold, for_steps):
    data = rows("train_loss", values)
    c = FirstClock(kind="first", metric="train_loss", op="<=", value=threshold, for_steps=for_steps)
    got = evaluate_clocks({"c": c}, data)["c"]
    expected = None
    for i, r in enumerate(data):
        end = next((j for j in range(i, len(data)) if data[j]["step"] >= r["step"] + for_steps), None)
        if end is not None and all(q["train_loss"] <= threshold for q in data[i:end + 1]):
            expected = r["step"]
            break
    assert got.step == expected
