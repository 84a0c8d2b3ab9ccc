"""Clocks judged against the final value: marked provisional live, censored when the run did not complete."""
import clockspec
from clockspec.clocks import ClockResult
from clockspec.runtime.progress import Progress
from clockspec.runtime.results import final_clocks

SPEC = """
name: t
task: {kind: modular, modulus: 5}
model: {kind: mlp}
clocks:
  fit: first train_loss <= 1e-2
  simplify: settle weight_norm within 5%
  stays: last test_acc >= 0.9
  later: first test_acc >= 0.99 after simplify
"""


def test_a_settle_clock_is_marked_provisional_live_and_a_first_clock_is_not(capsys):
    spec = clockspec.loads(SPEC)
    bar = Progress(True, "t", 100, 0)
    bar.probe({"step": 40, "weight_norm": 2.0, "train_loss": 0.005},
              [("simplify", spec.clocks["simplify"], 40), ("fit", spec.clocks["fit"], 40)])
    bar.close()
    err = capsys.readouterr().err
    assert "clock simplify settling (provisional: judged against the final value at the end) at step 40" in err
    assert "clock fit fired at step 40" in err


def test_an_unfinished_run_censors_every_clock_that_needs_the_final_value_and_those_after_them():
    spec = clockspec.loads(SPEC)
    fired = {name: ClockResult(40, True, 1.0, spec.clocks[name].metric) for name in spec.clocks}
    kept = final_clocks(spec, fired, "interrupted")
    assert kept["fit"].reached and kept["fit"].step == 40
    assert [n for n, r in kept.items() if not r.reached] == ["simplify", "stays", "later"]
    assert final_clocks(spec, fired, "complete") == fired
