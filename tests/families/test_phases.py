"""Phase rules: the language (canonical round trip, errors), censoring as intervals, the
overlap and coverage check, and families that carry phases and refine regions in YAML and .clk."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from clockspec.core.errors import SourceError, SpecError
from clockspec.ir.phases import DEFAULT_PHASES, Clock, PhaseError, evaluate, parse_phases, parse_rule, text
from clockspec.syntax.clk_front import parse_clk
from clockspec.syntax.clk_printer import dump_clk
from clockspec.syntax.validate import validate
from clockspec.syntax.yaml_front import parse_yaml
from clockspec.syntax.yaml_printer import dump_yaml
from strategies import families, phase_rules, refine_families

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LIU = parse_phases(DEFAULT_PHASES)


@FAST
@given(phase_rules())
def test_a_rule_reads_back_as_printed(node):
    assert parse_rule(text(node)) == node
    assert text(parse_rule(text(node))) == text(node)


@FAST
@given(refine_families() | families())
def test_families_with_phases_and_regions_round_trip_in_both_syntaxes(spec):
    clk = dump_clk(spec)
    assert validate(parse_clk(clk)) == spec
    assert dump_clk(validate(parse_clk(clk))) == clk
    yaml_text = dump_yaml(spec)
    assert validate(parse_yaml(yaml_text)) == spec
    assert dump_yaml(validate(parse_yaml(yaml_text))) == yaml_text


def test_the_ir_keeps_a_rule_canonical():
    from clockspec.ir.spec import Family

    fam = Family(family="f", base="b.yaml", phases={"g": "(  generalize reached)and   generalize>3*memorize"})
    assert fam.phases == {"g": "generalize reached and generalize > 3 * memorize"}


@pytest.mark.parametrize("rule, offset", [("a reached and", 13), ("a + b", 2), ("3 * a", 5), ("a reached or", 12)])
def test_a_bad_rule_says_where(rule, offset):
    with pytest.raises(SourceError) as err:
        parse_rule(rule)
    assert err.value.offset == offset
    assert "bad phase rule" in err.value.message


def run(**steps):
    """Clocks by name: a number is the step it fired at, ('>', N) censored with the run ending at N."""
    return {n: Clock(False, v[1]) if isinstance(v, tuple) else Clock(True, v) for n, v in steps.items()}


@pytest.mark.parametrize("clocks, phase", [
    (run(memorize=100, generalize=200), "comprehension"),
    (run(memorize=100, generalize=300), "comprehension"),  # <= 3x: the boundary belongs to comprehension
    (run(memorize=100, generalize=301), "grokking"),
    (run(memorize=100, generalize=(">", 5000)), "memorization"),
    (run(memorize=(">", 5000), generalize=(">", 5000)), "confusion"),
    (run(memorize=(">", 5000), generalize=40), "comprehension"),  # generalised before it could fit
])
def test_liu_et_al_s_four(clocks, phase):
    assert LIU.classify(clocks) == phase


def test_a_censored_clock_is_a_lower_bound_not_a_number():
    rule = parse_rule("generalize > 3 * memorize")
    # censored at 1,000: it fires at 1,001 or later (if ever)
    assert evaluate(rule, run(memorize=300, generalize=(">", 1000))) is True  # 1,001 > 900
    assert evaluate(rule, run(memorize=400, generalize=(">", 1000))) is None  # 1,001.. vs 1,200: open
    assert evaluate(parse_rule("not generalize > 3 * memorize"), run(memorize=400, generalize=(">", 1000))) is None
    assert evaluate(parse_rule("generalize > 3 * memorize or memorize reached"),
                    run(memorize=400, generalize=(">", 1000))) is True
    assert evaluate(parse_rule("generalize <= 10"), run(generalize=(">", 1000))) is False


def test_overlapping_rules_are_found_before_anything_runs():
    problem = parse_phases({"a": "generalize reached", "b": "memorize reached"}).check()
    assert "matches 2 phases: a, b" in problem
    # Liu et al.'s confusion written `memorize censored` alone overlaps comprehension
    loose = dict(DEFAULT_PHASES, confusion="memorize censored")
    assert "comprehension, confusion" in parse_phases(loose).check()


def test_a_gap_is_an_error_unless_a_phase_is_otherwise():
    gap = {"early": "generalize reached and generalize <= 2000"}
    assert "matches no phase" in parse_phases(gap).check()
    covered = parse_phases({**gap, "unclassified": "otherwise"})
    assert covered.check() is None
    assert covered.classify(run(generalize=(">", 5000))) == "unclassified"
    with pytest.raises(PhaseError, match="matches no phase"):
        parse_phases(gap).classify(run(generalize=(">", 5000)))


def test_the_rules_hash_names_the_canonical_rules():
    same = parse_phases({k: v.replace(" ", "  ") for k, v in DEFAULT_PHASES.items()})
    assert same.hash() == LIU.hash()
    assert parse_phases(dict(DEFAULT_PHASES, grokking="generalize reached and generalize > 4 * memorize",
                             comprehension="generalize reached and generalize <= 4 * memorize")).hash() != LIU.hash()


FAMILY = """\
clockspec: 1
family: f
base: base.yaml
vary:
  refine:
    x: {path: regularizers.weight_decay.strength, low: 0.1, high: 10.0, scale: log}
    y: {path: task.train_fraction, low: 0.3, high: 0.9}
"""
BASE = """\
clockspec: 1
name: base
task: {kind: modular, modulus: 7, train_fraction: 0.5}
model: {kind: embed_mlp, embed_dim: 4, hidden: [8]}
regularizers: {weight_decay: {strength: 1.0}}
train: {steps: 20}
clocks:
  memorize: first train_acc >= 0.95
  generalize: first test_acc >= 0.95
"""


def check(tmp_path, family: str, base: str = BASE) -> tuple[int, str]:
    from clockspec.commands.main import main

    (tmp_path / "base.yaml").write_text(base)
    (tmp_path / "f.yaml").write_text(family)
    import contextlib
    import io

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["check", str(tmp_path / "f.yaml")])
    return code, err.getvalue()


def test_check_refuses_overlapping_phases_at_their_line(tmp_path):
    code, err = check(tmp_path, FAMILY + "phases:\n  a: generalize reached\n  b: memorize reached\n")
    assert code == 2
    assert "f.yaml:9:3" in err and "matches 2 phases: a, b" in err


def test_check_refuses_a_bad_rule_at_its_column(tmp_path):
    code, err = check(tmp_path, FAMILY + "phases:\n  a: generalize reached and\n  b: otherwise\n")
    assert code == 2
    assert "f.yaml:9:28" in err and "it ends too early" in err


def test_default_rules_need_their_clocks(tmp_path):
    from clockspec.families.expand import expand_family

    (tmp_path / "base.yaml").write_text(BASE.replace("memorize:", "fit:"))
    (tmp_path / "f.yaml").write_text(FAMILY)
    with pytest.raises(SpecError, match="default phase rules .* read the clock memorize"):
        expand_family(tmp_path / "f.yaml")


@pytest.mark.parametrize("extra, message", [
    ("  grid: {seed: [0, 1]}\n", "vary.refine cannot be combined with vary.grid"),
    ("exclude: ['seed == 1']\n", "exclude cannot be used with vary.refine"),
])
def test_a_refine_region_stands_alone(tmp_path, extra, message):
    text_ = FAMILY + extra if extra.startswith("  ") else FAMILY + extra
    code, err = check(tmp_path, text_)
    assert code == 2 and message in err


def test_a_budget_below_the_coarse_grid_is_refused(tmp_path):
    code, err = check(tmp_path, FAMILY + "    budget: 8\n")
    assert code == 2 and "less than the coarse grid's 9" in err


@pytest.mark.parametrize("name, members", [("liu-2022-phases.yaml", 9), ("liu-2022-phases-dense.yaml", 81)])
def test_the_shipped_phase_specs_expand(name, members):
    from pathlib import Path

    from clockspec.families.expand import expand_family

    spec = Path(__file__).resolve().parents[2] / "specs" / "paper" / name
    assert len(expand_family(spec).members) == members  # the refined family's first round: 3 x 3


def test_the_refined_spec_and_its_dense_twin_share_the_lattice():
    from pathlib import Path

    from clockspec.families.lattice import axis_values
    from clockspec.syntax.loading import load

    paper = Path(__file__).resolve().parents[2] / "specs" / "paper"
    refined, dense = load(paper / "liu-2022-phases.yaml"), load(paper / "liu-2022-phases-dense.yaml")
    xs, ys = axis_values(refined.vary.refine)
    assert list(dense.vary.grid.values()) == [xs, ys]
    assert dense.phases == refined.phases
