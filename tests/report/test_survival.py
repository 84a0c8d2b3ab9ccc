"""Clock times across seeds and arms as survival data (clockspec.report.survival)."""
import csv
import json

import pytest

pytest.importorskip("lifelines")


from clockspec.commands.main import main
from clockspec.report.family_folder import read_family_folder
from clockspec.report.family_table import (
    Row,
    tabulate,
)
from clockspec.report.survival import ArmClock, estimate, kaplan_meier, logrank


def _rows(samples):
    """Members that fired at `step`, or (None, last) never fired and ended at `last`."""
    return [Row(f"m{i}", f"m{i}", {}, "complete", last,
                {"c": {"step": step, "reached": step is not None, "value": 0.0}})
            for i, (step, last) in enumerate(samples)]


def test_kaplan_meier_median_and_censored_fraction_by_hand():
    # Fired at 3, 5 and 8; censored at 5 (tied with an event: the event comes first), 10 and 12.
    # S(3) = 5/6; S(5) = 5/6 * 4/5 = 2/3; the censored run leaves 3 at risk; S(8) = 2/3 * 2/3 = 4/9
    # < 1/2, so the median is 8. Half the runs (3 of 6) are censored.
    e = kaplan_meier("arm", "c", _rows([(3, 20), (5, 20), (None, 5), (8, 20), (None, 10), (None, 12)]))
    assert e.median == 8 and e.censored == 3 and e.censored_fraction == 0.5
    assert [(t, round(s, 6)) for t, s, *_ in e.curve] == [(0, 1), (3, 0.833333), (5, 0.666667), (8, 0.444444),
                                                          (10, 0.444444), (12, 0.444444)]
    assert e.low == 3 and e.high is None  # six runs do not bound the median above


def test_an_arm_where_most_runs_never_fired_has_no_median_and_no_mean_in_its_place():
    e = kaplan_meier("arm", "c", _rows([(400, 6000), (None, 6000), (None, 6000)]))
    assert e.median is None and e.censored_fraction == pytest.approx(2 / 3)
    assert e.times == [400, 6000, 6000]  # censored at the run's own last step, never at a budget


def _arm(name, times, fired):
    return ArmClock(name, "c", times, fired)


def test_logrank_statistic_on_the_gehan_leukaemia_remission_data():
    """Freireich et al. (1963) remission times in weeks, 6-MP against placebo, 21 patients each
    (Gehan 1965). Kleinbaum & Klein, *Survival Analysis: A Self-Learning Text* (3rd ed., 2012),
    ch. 2, give the log-rank chi-square as 16.79 on 1 dof (p = 0.0000); R's
    `survdiff(Surv(time, cens) ~ treat, data = MASS::gehan)` gives chisq 16.8, p = 4.17e-05."""
    mp = [6, 6, 6, 7, 10, 13, 16, 22, 23, 6, 9, 10, 11, 17, 19, 20, 25, 32, 32, 34, 35]
    placebo = [1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23]
    t = logrank("c", [_arm("6-MP", mp, [True] * 9 + [False] * 12), _arm("placebo", placebo, [True] * 21)])
    assert t.statistic == pytest.approx(16.79, abs=0.005) and t.dof == 1
    assert t.p == pytest.approx(4.17e-5, rel=0.01)


def test_arms_that_never_fired_have_no_test_rather_than_a_p_value_of_nothing():
    t = logrank("c", [_arm("a", [10, 10], [False, False]), _arm("b", [10, 10], [False, False])])
    assert t.statistic is None and t.p is None


def test_a_family_gets_per_arm_medians_the_overall_test_and_the_pairwise_table(tmp_path, wd_family):
    s = estimate(tabulate(read_family_folder(wd_family(tmp_path, with_rows=False))))
    assert s.arms == ["wd_strength=off", "wd_strength=0.3", "wd_strength=1", "wd_strength=3"]
    gen = {e.arm: e for e in s.estimates["generalize"]}
    assert gen["wd_strength=off"].censored_fraction == 1 and gen["wd_strength=off"].median is None
    assert gen["wd_strength=0.3"].median == 4100 and gen["wd_strength=0.3"].censored == 1
    assert gen["wd_strength=3"].median == 900
    assert s.overall["generalize"].dof == 3 and s.overall["generalize"].p < 0.001
    assert len(s.pairwise["generalize"]) == 6


def test_report_on_a_family_with_censored_arms_writes_the_table_the_json_and_a_figure_per_clock(tmp_path, wd_family):
    fam = wd_family(tmp_path / "fam")
    assert main(["report", "-q", str(fam)]) == 0
    arms = list(csv.DictReader((fam / "arms.csv").open()))
    off = next(r for r in arms if r["arm"] == "wd_strength=off" and r["clock"] == "generalize")
    assert off["censored_fraction"] == "1" and off["median"] == "" and off["censored"] == "3"
    text = (fam / "report.md").read_text()
    assert "| wd\\_strength=off | 3 | 3/3 (100%) | not reached (> 6,000) | [-, ∞] |" in text
    assert "| wd\\_strength=3 | 3 | 0/3 (0%) | 900 | [850, 1,000] |" in text
    assert "Log-rank test across 4 arms: chi² = 19.9 on 3 dof" in text
    data = json.loads((fam / "report.json").read_text())
    assert data["survival"]["clocks"]["generalize"]["logrank"]["dof"] == 3
    for clock in ("fit", "generalize"):
        assert (fam / f"survival_{clock}.png").stat().st_size > 10_000
        assert f"![survival_{clock}.png](survival_{clock}.png)" in text


def test_without_lifelines_the_report_says_in_one_line_how_to_get_the_statistics(tmp_path, monkeypatch, capsys, wd_family):
    from clockspec.report import survival

    monkeypatch.setattr(survival, "available", lambda: False)
    fam = wd_family(tmp_path / "fam")
    assert main(["report", "-q", "--no-plots", str(fam)]) == 0
    assert "pip install 'clockspec[stats]'" in capsys.readouterr().err
    assert "pip install 'clockspec[stats]'" in (fam / "report.md").read_text()
    assert not (fam / "arms.csv").exists()
