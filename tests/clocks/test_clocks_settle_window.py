"""An online `settle ... for N steps` needs N steps of evidence before it can fire."""
from clockspec.clocks import ClockTracker
from clockspec.ir.clocks import SettleClock


def test_settle_for_n_steps_does_not_fire_before_n_steps_have_run():
    clock = SettleClock(kind="settle", metric="m", within=0.05, relative=True, for_steps=100)
    tracker = ClockTracker({"s": clock})
    flat_then_moving = [1.0] * 6 + [0.5] * 6 + [0.5] * 12
    fired = [step for step, value in zip(range(0, 240, 10), flat_then_moving)
             if tracker.update({"step": step, "m": value})]
    assert fired == [160]  # 60..160 is the first 100-step stretch within 5%; 0..50 was too short
