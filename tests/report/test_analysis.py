"""Clock analysis on synthetic trajectories whose scalings are known in closed form."""
import json
import math

import numpy as np
import pytest

from clockspec import loads
from clockspec.commands.main import main
from clockspec.core.errors import SpecError
from clockspec.report import analyze, clock_curve, fit_scaling, fit_tail, predicted_rates, read_rows

STEPS = np.r_[0, np.unique(np.geomspace(1, 20000, 400).astype(int))]


def trajectory(**metrics):
    return [{"step": int(t), **{m: float(f(t)) for m, f in metrics.items()}} for t in STEPS]


def spec(extra=""):
    return loads(f"""
clockspec: 1
name: syn
task: {{kind: teacher}}
model: {{kind: deep_linear, depth: 3}}
optimizer: {{kind: sgd, lr: 0.05}}
{extra}
""", "yaml")


def test_exponential_loss_gives_a_log_scale_fitting_clock_with_slope_one_over_k():
    k = 0.01
    a = analyze(trajectory(train_loss=lambda t: 2.0 * math.exp(-k * t)))
    assert a.fit_form == "first"
    assert a.fit_scaling.log.slope == pytest.approx(1 / k, rel=0.03)
    assert a.fit_scaling.log.r2 > 0.99 > a.fit_scaling.power.r2
    assert a.verdicts[0].claim.startswith("fitting clock logarithmic") and a.verdicts[0].status == "supported"


def test_power_law_energy_gap_gives_alpha_one_over_beta_and_the_tail_exponent():
    beta = 1.5
    a = analyze(trajectory(train_loss=lambda t: math.exp(-t / 50), weight_norm=lambda t: 3 + 2 * (t + 1) ** -beta))
    assert a.energy == "weight_norm"
    assert a.simplify_scaling.alpha == pytest.approx(1 / beta, rel=0.1)
    assert a.simplify_scaling.better() == "power"
    tail = a.tails["weight_norm"]
    assert tail.shape == "power" and tail.beta == pytest.approx(beta, rel=0.02)
    status = {v.claim.split(" (")[0]: v.status for v in a.verdicts}
    assert status["simplification clock polynomial in 1/delta"] == "supported"


def test_slow_power_tail_beta_is_measured_against_the_limit_not_the_final_value():
    steps = np.arange(0, 20001, 10)
    energy = 5 + 3 * (steps + 1.0) ** -0.5
    tail = fit_tail(steps, energy, "schatten", start=100)
    assert tail.beta == pytest.approx(0.5, rel=0.02)
    assert tail.limit_shift == pytest.approx(3 * 20001 ** -0.5, rel=0.05)


def test_exponential_energy_tail_rate_and_log_scale_simplification():
    r = 1e-3
    a = analyze(trajectory(train_loss=lambda t: math.exp(-t / 50), schatten=lambda t: 1 + math.exp(-r * t)))
    assert a.energy == "schatten"
    tail = a.tails["schatten"]
    assert tail.shape == "exponential" and tail.rate == pytest.approx(r, rel=0.02)
    assert a.simplify_scaling.b == pytest.approx(1 / r, rel=0.05)
    assert a.simplify_scaling.better() == "log"


def test_floor_form_is_used_with_weight_decay_and_recovers_the_rate_above_the_floor():
    k = 0.02
    rows = trajectory(train_loss=lambda t: 0.3 + math.exp(-k * t))
    with_wd = analyze(rows, spec=spec("regularizers: {weight_decay: {strength: 0.01}}"))
    assert with_wd.fit_form == "settle" and "weight_decay" in with_wd.fit_form_reason
    assert with_wd.fit_scaling.log.slope == pytest.approx(1 / k, rel=0.05)
    assert analyze(rows).fit_form == "settle"  # no spec: the flat end of the loss says floor
    plain = analyze(rows, spec=spec())
    assert plain.fit_form == "first"


def test_censored_thresholds_are_kept_shown_and_checked_against_the_fits():
    rows = trajectory(train_loss=lambda t: 2.0 * math.exp(-t / 100))
    curve = clock_curve(rows, "train_loss", "first", thresholds=list(np.geomspace(1, 1e-120, 12)))
    censored = curve.censored
    assert censored and all(p.step is None and p.value == rows[-1]["train_loss"] for p in censored)
    fit = fit_scaling(curve)
    assert fit.n_used + len(censored) + sum(p.step == 0 for p in curve.points) == len(curve.points)
    note = next(n for n in fit.notes if "not reached" in n)
    assert f"{len(censored)} threshold(s) not reached by step 20000" in note
    assert "logarithmic fit predicts" not in note  # a log-scale clock puts them past the end: consistent


def test_a_fit_that_predicts_a_censored_point_too_early_is_called_contradicted():
    rows = [{"step": s, "train_loss": v} for s, v in
            [(0, 1.0), (10, 0.5), (20, 0.25), (30, 0.125), (40, 0.0625), (50, 0.05), (60, 0.05)]]
    curve = clock_curve(rows, "train_loss", "first", thresholds=[0.5, 0.25, 0.125, 0.0625, 0.03])
    assert "contradicted" in " ".join(fit_scaling(curve).notes)


def test_a_censored_spec_clock_gives_a_lower_bound_and_a_censored_verdict():
    s = spec("clocks: {fit: first train_loss <= 1e-2, simplify: settle schatten within 1e-9 for 30000 steps}")
    a = analyze(trajectory(train_loss=lambda t: math.exp(-t / 50), schatten=lambda t: 1 + 1 / (t + 1)), spec=s)
    assert not a.clocks["simplify"].reached
    sep = a.ratios["separation"]
    assert sep.lower_bound and sep.value == pytest.approx(20000 / a.clocks["fit"].step)
    verdict = next(v for v in a.verdicts if v.claim.startswith("simplification after"))
    assert verdict.status == "censored" and "lower bound" in verdict.detail


def test_relu_pattern_freeze_and_early_gradient_ratio():
    rows = trajectory(train_loss=lambda t: math.exp(-t / 30), pattern_flips=lambda t: 0.2 * math.exp(-t / 400),
                      grad_ratio=lambda t: 5.0 if t < 500 else 0.5)
    a = analyze(rows)
    assert a.roles["freeze"] == "freeze (default)" and a.clocks["freeze (default)"].reached
    status = {v.claim.split(" (")[0]: v for v in a.verdicts}
    assert status["activation pattern freezes after the fit"].status == "supported"
    assert a.early_grad_ratio == 5.0
    assert status["head gradient above the embedding's early"].status == "supported"


def test_theory_rates_follow_how_the_runtime_applies_weight_decay():
    coupled = predicted_rates(spec("regularizers: {weight_decay: {strength: 0.01, decoupled: false}}"))
    balance = next(r for r in coupled if r.metric == "balance")
    assert balance.judged and balance.rate == pytest.approx(4 * 0.05 * 0.01, rel=0.02)
    decoupled = predicted_rates(spec("regularizers: {weight_decay: {strength: 0.01}}"))
    assert next(r for r in decoupled if r.metric == "balance").rate == pytest.approx(2 * 0.05 * 0.01, rel=0.01)
    adamw = predicted_rates(loads("""
clockspec: 1
name: a
task: {kind: teacher}
model: {kind: deep_linear}
optimizer: {kind: adamw, lr: 0.001}
regularizers: {weight_decay: {strength: 1.0}}
""", "yaml"))
    assert not any(r.judged for r in adamw) and any(r.rate == pytest.approx(1e-3) for r in adamw)
    assert predicted_rates(spec()) == []


def test_read_rows_skips_a_torn_last_line_and_refuses_a_bad_one(tmp_path):
    (tmp_path / "metrics.jsonl").write_text('{"step": 10, "x": 1}\n{"step": 0, "x": 2}\n{"step": 2')
    assert [r["step"] for r in read_rows(tmp_path)] == [0, 10]
    (tmp_path / "metrics.jsonl").write_text('{"step": 0}\nnot json\n{"step": 1}\n')
    with pytest.raises(SpecError) as err:
        read_rows(tmp_path)
    assert err.value.diagnostics[0].line == 2


def write_run(path, spec_text, rows):
    path.mkdir(parents=True)
    (path / "spec.lock.yaml").write_text(spec_text)
    (path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


DLN = """clockspec: 1
name: {name}
task: {{kind: teacher}}
model: {{kind: deep_linear, depth: 2}}
optimizer: {{kind: sgd, lr: 0.05}}
regularizers: {{weight_decay: {{strength: {wd}, decoupled: false}}}}
clocks: {{fit: settle train_loss within 1e-3, simplify: settle schatten within 1e-3}}
"""


def dln_rows(wd):
    r = 4 * 0.05 * wd
    return trajectory(train_loss=lambda t: 0.1 + math.exp(-t / 100), schatten=lambda t: 2 + (t + 1) ** -0.8,
                      balance=lambda t: 0.3 * math.exp(-r * t))


def test_report_command_writes_the_report_of_a_run(tmp_path, capsys):
    run = tmp_path / "run"
    write_run(run, DLN.format(name="dln", wd=0.01), dln_rows(0.01))
    assert main(["report", str(run)]) == 0
    out = capsys.readouterr().out
    assert "fitting clock logarithmic in 1/eps: supported" in out
    assert "balance shrinks at" in out and "ratio 1.00" in out
    text = (run / "report.md").read_text()
    assert "relative to the loss floor" in text and "![clock_curves.png](clock_curves.png)" in text
    assert (run / "clock_curves.png").stat().st_size > 10_000
    assert json.loads((run / "report.json").read_text())["energy"] == "schatten"


def test_report_over_a_family_folder_reports_each_member_and_a_table(tmp_path, capsys):
    for i, wd in enumerate([0.01, 0.02]):
        write_run(tmp_path / "fam" / f"m{i}-abc", DLN.format(name=f"m{i}", wd=wd), dln_rows(wd))
    assert main(["report", "--no-plots", str(tmp_path / "fam")]) == 0
    text = (tmp_path / "fam" / "report.md").read_text()
    assert "| [m0-abc](m0-abc/report.md)" in text and "| [m1-abc](m1-abc/report.md)" in text
    assert "supported 2/2" in text
    assert (tmp_path / "fam" / "m1-abc" / "report.md").exists()


def test_report_over_a_run_family_folder_writes_the_analysis_and_the_aggregates_from_one_reading(tmp_path):
    # The folder `clockspec run FAMILY` leaves: a lock, and members whose status names the train
    # hash they ran. m1's recorded run is of an older member: the table calls it pending, while
    # the analysis still reads the rows it recorded.
    fam = tmp_path / "fam"
    members = []
    for i, wd in enumerate([0.01, 0.02]):
        write_run(fam / f"m{i}-abc", DLN.format(name=f"m{i}", wd=wd), dln_rows(wd))
        (fam / f"m{i}-abc" / "status.json").write_text(json.dumps(
            {"status": "complete", "step": 20000, "train_hash": "h0" if i == 0 else "older"}))
        spec = {"regularizers": {"weight_decay": {"strength": wd}}, "clocks": {"fit": "x", "simplify": "y"}}
        members.append({"name": f"m{i}", "label": f"wd={wd}", "assignment": {"regularizers.weight_decay.strength": wd},
                        "train_hash": f"h{i}", "run_dir": f"m{i}-abc", "spec": spec})
    (fam / "family.lock.json").write_text(json.dumps({
        "family": "fam", "source": "fam.yaml", "varied": ["regularizers.weight_decay.strength"],
        "keys": {"regularizers.weight_decay.strength": "wd"}, "members": members}))
    assert main(["report", "--no-plots", "-q", str(fam)]) == 0
    text = (fam / "report.md").read_text()
    assert "| [wd=0.01](m0-abc/report.md) | strength=0.01 | complete |" in text
    assert "| [wd=0.02](m1-abc/report.md) | strength=0.02 | complete |" in text
    table = (fam / "family.csv").read_text().splitlines()
    assert table[0] == "member,label,wd,status,step,fit,fit_censored,simplify,simplify_censored,simplify/fit"
    assert table[1].startswith("m0,wd=0.01,0.01,complete,20000,") and table[2] == "m1,wd=0.02,0.02,pending,,,,,,"


def test_report_on_a_folder_without_runs_is_a_positioned_error(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert f"{tmp_path}:1:1: error: not a run directory" in capsys.readouterr().err
