"""Family expansion: counts, order and names of each combinator and their compositions,
exclusions, null removal, duplicates, and errors that point into the family file."""
import textwrap

import pytest
from hypothesis import given
from hypothesis import strategies as st

import clockspec
from clockspec.families.expand import expand, expand_family
from clockspec.syntax import naming
from clockspec.syntax.predicate import parse_predicate

BASE = """\
clockspec: 1
name: tiny
task: {kind: modular, op: add, modulus: 11, train_fraction: 0.5}
model: {kind: embed_mlp, embed_dim: 8, hidden: [16]}
regularizers:
  weight_decay: {strength: 0.1}
train: {steps: 50}
probes: {every: 10}
clocks:
  fit: first train_acc >= 0.99
  generalize: first test_acc >= 0.9
stop: {after: [generalize]}
"""


@pytest.fixture
def family(tmp_path):
    """Write base.yaml and a family whose `vary` (and extra keys) is the given YAML."""
    (tmp_path / "base.yaml").write_text(BASE)

    def make(body: str, base: str = "base.yaml"):
        path = tmp_path / "fam.yaml"
        path.write_text(f"clockspec: 1\nfamily: fam\nbase: {base}\n" + textwrap.dedent(body))
        return path

    return make


def names(path):
    return [m.name for m in expand(path)]


def test_grid_is_a_product_with_the_last_axis_fastest(family):
    path = family("""\
        vary:
          grid:
            regularizers.weight_decay.strength: [0.1, 1.0]
            seed: [0, 1, 2]
        """)
    assert names(path) == ["wd-0p1_seed-0", "wd-0p1_seed-1", "wd-0p1_seed-2",
                           "wd-1_seed-0", "wd-1_seed-1", "wd-1_seed-2"]
    members = expand(path)
    assert members[0].label == "wd=0.1,seed=0"
    assert members[4].assignment == {"regularizers.weight_decay.strength": 1.0, "seed": 1}
    assert members[4].spec.name == "wd-1_seed-1" and members[4].spec.seed == 1


def test_zip_moves_axes_in_step(family):
    path = family("""\
        vary:
          zip:
            optimizer.lr: [0.001, 0.01]
            seed: [3, 4]
        """)
    members = expand(path)
    assert [(m.spec.optimizer.lr, m.spec.seed) for m in members] == [(0.001, 3), (0.01, 4)]
    assert [m.name for m in members] == ["lr-1e-3_seed-3", "lr-0p01_seed-4"]


def test_zip_of_unequal_lengths_is_an_error_at_the_short_axis(family):
    path = family("""\
        vary:
          zip:
            optimizer.lr: [0.001, 0.01]
            seed: [3]
        """)
    with pytest.raises(clockspec.SpecError) as info:
        clockspec.load(path)
    (diag,) = info.value.diagnostics
    assert (diag.line, diag.col) == (7, 11)
    assert "'seed' has 1 values, 'optimizer.lr' has 2" in diag.message


def test_one_at_a_time_has_the_base_once_and_each_factor_alone(family):
    path = family("""\
        vary:
          one_at_a_time:
            regularizers.weight_decay: [null]
            model.activation: [gelu, quadratic]
            task.train_fraction: [0.4]
        """)
    members = expand(path)
    assert [m.name for m in members] == ["base", "wd-off", "act-gelu", "act-quadratic", "frac-0p4"]
    base, no_wd, gelu = members[:3]
    assert base.assignment == {} and base.spec.model.activation == "relu"
    assert no_wd.spec.regularizers.weight_decay is None and no_wd.spec.model.activation == "relu"
    assert gelu.spec.regularizers.weight_decay.strength == 0.1 and gelu.spec.task.train_fraction == 0.5


def test_a_factor_equal_to_the_base_merges_into_the_base(family):
    path = family("""\
        vary:
          one_at_a_time:
            model.activation: [relu, gelu]
        """)
    exp = expand_family(path)
    assert [m.name for m in exp.members] == ["base", "act-gelu"]
    assert exp.merged == {"base": ["act=relu"]}


def test_random_draws_are_seeded_in_range_and_deterministic(family):
    body = """\
        vary:
          random:
            n: 20
            seed: {seed}
            params:
              optimizer.lr: {{kind: loguniform, low: 1.0e-4, high: 1.0e-1}}
              seed: {{kind: int, low: 0, high: 3}}
              model.activation: {{kind: choice, values: [relu, gelu]}}
              task.train_fraction: {{kind: uniform, low: 0.3, high: 0.6}}
        """
    first = expand(family(body.format(seed=7)))
    again = expand(family(body.format(seed=7)))
    other = expand(family(body.format(seed=8)))
    assert len(first) == 20 and [m.spec for m in first] == [m.spec for m in again]
    assert [m.spec.optimizer.lr for m in first] != [m.spec.optimizer.lr for m in other]
    assert all(1e-4 <= m.spec.optimizer.lr <= 1e-1 for m in first)
    assert {m.spec.seed for m in first} == {0, 1, 2, 3}
    assert {m.spec.model.activation for m in first} == {"relu", "gelu"}
    assert all(0.3 <= m.spec.task.train_fraction <= 0.6 for m in first)
    assert len({m.name for m in first}) == 20


def test_compositions_multiply_in_the_documented_order(family):
    path = family("""\
        vary:
          grid:
            seed: [0, 1]
          zip:
            optimizer.lr: [0.001, 0.01]
            task.train_fraction: [0.3, 0.4]
          one_at_a_time:
            model.activation: [gelu]
        """)
    members = expand(path)
    # (base + 1 factor) x 2 zipped x 2 seeds; one_at_a_time slowest, grid fastest.
    assert len(members) == 8
    assert [m.label for m in members[:4]] == [
        "lr=1e-3,frac=0.3,seed=0", "lr=1e-3,frac=0.3,seed=1",
        "lr=0.01,frac=0.4,seed=0", "lr=0.01,frac=0.4,seed=1"]
    assert members[4].label == "act=gelu,lr=1e-3,frac=0.3,seed=0"


def test_exclusions_drop_members_before_validation(family):
    path = family("""\
        vary:
          grid:
            model: [{kind: embed_mlp, embed_dim: 8}, {kind: deep_linear, depth: 2}]
            model.activation: [relu, gelu]
          grid_note: ignored
        """)
    with pytest.raises(clockspec.SpecError, match="unknown key 'grid_note'"):
        expand(path)
    path = family("""\
        vary:
          grid:
            model: [{kind: embed_mlp, embed_dim: 8}, {kind: mlp, hidden: [4]}]
            model.activation: [relu, gelu]
            seed: [0, 1]
        exclude:
          - "model.kind == mlp and model.activation == gelu"
          - seed == 1 and not model.kind in [embed_mlp]
        """)
    exp = expand_family(path)
    assert [m.label for m in exp.members] == [
        "model=embed_mlp,act=relu,seed=0", "model=embed_mlp,act=relu,seed=1",
        "model=embed_mlp,act=gelu,seed=0", "model=embed_mlp,act=gelu,seed=1",
        "model=mlp,act=relu,seed=0"]
    assert exp.excluded == ["model=mlp,act=relu,seed=1", "model=mlp,act=gelu,seed=0",
                            "model=mlp,act=gelu,seed=1"]


def test_null_removes_a_part_and_wins_over_values_inside_it(family):
    path = family("""\
        vary:
          one_at_a_time:
            regularizers.weight_decay: [null]
            clocks.generalize: [null]
          grid:
            regularizers.weight_decay.strength: [0.1, 1.0]
        exclude: ["clocks.generalize == null and regularizers.weight_decay == null"]
        """)
    with pytest.raises(clockspec.SpecError) as info:
        expand(path)
    diag = info.value.diagnostics[0]
    assert "stop.after names unknown clock 'generalize'" in diag.message
    assert (diag.line, diag.col) == (7, 25)  # the null that removed the clock
    path = family("""\
        vary:
          one_at_a_time:
            regularizers.weight_decay: [null]
          grid:
            regularizers.weight_decay.strength: [0.1, 1.0]
        """)
    exp = expand_family(path)
    assert [m.name for m in exp.members] == ["wd_strength-0p1", "wd_strength-1", "wd-off"]
    assert exp.members[2].assignment == {"regularizers.weight_decay": None}
    assert exp.merged == {"wd-off": ["wd=off"]}


def test_setting_inside_an_absent_part_creates_it_with_defaults(family, tmp_path):
    (tmp_path / "plain.yaml").write_text(BASE.replace("  weight_decay: {strength: 0.1}\n", "  {}\n"))
    path = family("""\
        vary:
          grid:
            regularizers.weight_decay.per_layer: [[0.1, 0.2, 0.3]]
            clocks.fit.value: [0.5]
            probes.metrics: [[weight_norm]]
        """, base="plain.yaml")
    (member,) = expand(path)
    assert member.spec.regularizers.weight_decay.per_layer == [0.1, 0.2, 0.3]
    assert member.spec.regularizers.weight_decay.strength == 0.01  # the default, filled in
    assert member.spec.clocks["fit"].text() == "first train_acc >= 0.5"
    assert member.name == "per_layer-0p1x0p2x0p3_value-0p5_metrics-weight_norm"


def test_compiler_checks_run_on_every_member(family):
    path = family("""\
        vary:
          grid:
            seed: [0, 1]
            regularizers.schatten.strength: [0.01]
        """)
    with pytest.raises(clockspec.SpecError) as info:
        expand(path)
    (diag,) = info.value.diagnostics
    assert (diag.line, diag.col) == (7, 38)
    assert diag.message.startswith("2 members (first seed=0,schatten=0.01): the schatten regularizer needs")


def test_inline_base_and_name_template(tmp_path):
    fam = tmp_path / "fam.yaml"
    base = textwrap.indent(BASE, "  ")
    fam.write_text(f"family: inline\nbase:\n{base}vary:\n  grid:\n    seed: [0, 1]\n"
                   "    optimizer.lr: [0.001]\nname_template: 's{seed}-lr{lr:.1e}'\n")
    assert names(fam) == ["s0-lr1p0e-03", "s1-lr1p0e-03"]


def test_a_template_that_merges_names_gets_hashes(tmp_path, family):
    path = family("""\
        vary:
          grid:
            seed: [0, 1]
        name_template: "run{task.modulus}"
        """)
    got = names(path)
    assert len(set(got)) == 2 and all(n.startswith("run11-") and len(n) == 12 for n in got)


@pytest.mark.parametrize("body, where, message", [
    ("vary:\n  grid:\n    regularizers.weight_decay.strenght: [1]\n", (6, 41),
     "regularizers.weight_decay has no field 'strenght'"),
    ("vary:\n  grid:\n    seed: [0]\nexclude: ['seed == 1 or sed == 2']\n", (7, 25),
     "an experiment has no field 'sed'"),
    ("vary:\n  grid:\n    seed: [0]\nname_template: 'x.{seed}'\n", (7, 18), "'.' cannot be in a name"),
    ("vary:\n  grid:\n    name: [a]\n", (6, 11), "'name' cannot be varied"),
    ("vary:\n  grid:\n    seed: [0]\n  zip:\n    seed: [1]\n", (6, 11), "'seed' is varied twice (also in vary.zip)"),
    ("vary:\n  grid:\n    model.hidden: [[8], [0]]\n", (6, 26), "model.hidden[0]: expected a whole number >= 1; got 0"),
    ("vary:\n  grid:\n    model.depth: [2]\n", (6, 19), "unknown key 'depth' in model"),
])
def test_errors_point_at_the_family_value(family, body, where, message):
    path = family(body)
    with pytest.raises(clockspec.SpecError) as info:
        expand(path)
    (diag,) = info.value.diagnostics
    assert diag.file == str(path) and (diag.line, diag.col) == where and message in diag.message


def test_missing_base_names_the_family_line(family):
    path = family("vary:\n  grid:\n    seed: [0]\n", base="nope.yaml")
    with pytest.raises(clockspec.SpecError) as info:
        expand(path)
    (diag,) = info.value.diagnostics
    assert (diag.file, diag.line, diag.col) == (str(path), 3, 7) and "base 'nope.yaml' not found" in diag.message


def test_base_resolves_against_the_family_file_not_the_cwd(family, tmp_path, monkeypatch):
    path = family("vary:\n  grid:\n    seed: [0]\n")
    monkeypatch.chdir("/")
    assert len(expand(clockspec.load(path))) == 1


def test_a_thousand_members(family):
    path = family("""\
        vary:
          grid:
            regularizers.weight_decay.strength: [0.01, 0.03, 0.1, 0.3, 1.0]
            optimizer.lr: [0.001, 0.003, 0.01, 0.03, 0.1]
            task.train_fraction: [0.3, 0.4, 0.5, 0.6]
            seed: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
        """)
    members = expand(path)
    assert len(members) == 1000 and len({m.name for m in members}) == 1000


values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**9, 10**9) | st.floats(allow_nan=False)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=6)


@given(values)
def test_safe_names_stay_in_the_name_alphabet(value):
    assert naming.NAME_RE.match("k" + naming.safe(value))


@given(st.integers(-5, 5), st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), st.integers(-5, 5))
def test_predicate_comparisons_mean_what_python_means(left, op, right):
    import operator

    fn = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
          ">": operator.gt, ">=": operator.ge}[op]
    assert parse_predicate(f"seed {op} {right}")({"seed": left}) == fn(left, right)
