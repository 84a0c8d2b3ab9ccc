"""The `.clk` syntax: front end, canonical printer, round trips, comments, errors.

Golden files live in tests/golden/clk/; regenerate them with `CLOCKSPEC_REGEN=1 pytest
tests/syntax/test_clk.py` and review the diff.
"""
from __future__ import annotations

import math
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import clockspec
import shipped
from clockspec.syntax.clk_front import parse_clk
from clockspec.syntax.clk_printer import dump_clk, format_float
from clockspec.syntax.loading import load_doc
from clockspec.syntax.source import END_OF_FILE, START_OF_FILE, TRAILING
from clockspec.syntax.validate import PLUGIN_HINT, validate
from clockspec.syntax.yaml_front import parse_yaml
from clockspec.syntax.yaml_printer import dump_yaml
from strategies import experiments, families

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "clk"
REGEN = os.environ.get("CLOCKSPEC_REGEN") == "1"
# Round-trip properties: enough examples to reach every kind and combinator, fast enough
# for the default suite; deadline off because the machine is shared.
ROUND_TRIP = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def golden(path: Path, actual: str) -> None:
    if REGEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; run with CLOCKSPEC_REGEN=1"
    assert actual == path.read_text(encoding="utf-8")


def fmt(path: Path) -> str:
    """What `clockspec fmt` does to a .clk file: canonical text, comments kept."""
    doc = load_doc(path)
    return dump_clk(validate(doc), doc.comments)


def errors_of(text: str | bytes, file: str = "x.clk") -> list[tuple[int, int, str]]:
    with pytest.raises(clockspec.SpecError) as info:
        validate(parse_clk(text, file))
    return [(d.line, d.col, d.message) for d in info.value.diagnostics]


DESIGN_SPEC = """\
experiment modadd-relu {
  seed = 0
  task modular { op = add  modulus = 97  train_fraction = 0.3 }
  model embed_mlp { embed_dim = 128  hidden = [256]  activation = relu }
  regularizer weight_decay { strength = 1.0 }
  optimizer adamw { lr = 1e-3  betas = [0.9, 0.98] }
  train { steps = 30000  batch = full }
  probes { every = 50 }
  clock fit        = first train_loss <= 1e-2
  clock generalize = first test_acc >= 0.99
  clock simplify   = settle weight_norm within 1%
  clock freeze     = first pattern_flips <= 1e-3 for 500 steps
  stop { after = [generalize, simplify] }
}
"""

DESIGN_YAML = """\
clockspec: 1
name: modadd-relu
seed: 0
task:        {kind: modular, op: add, modulus: 97, train_fraction: 0.3}
model:       {kind: embed_mlp, embed_dim: 128, hidden: [256], activation: relu}
regularizers:
  weight_decay: {strength: 1.0}
optimizer:   {kind: adamw, lr: 1.0e-3, betas: [0.9, 0.98]}
train:       {steps: 30000, batch: full}
probes:      {every: 50}
clocks:
  fit:        first train_loss <= 1e-2
  generalize: first test_acc >= 0.99
  simplify:   settle weight_norm within 1%
  freeze:     first pattern_flips <= 1e-3 for 500 steps
stop:        {after: [generalize, simplify]}
"""


# ---- the front end ----------------------------------------------------------------------

def test_same_raw_tree_as_the_yaml_front_end():
    clk = parse_clk(DESIGN_SPEC).data
    yaml = parse_yaml(DESIGN_YAML).data
    yaml.pop("clockspec")
    assert clk == yaml
    assert clockspec.loads(DESIGN_SPEC, syntax="clk") == clockspec.loads(DESIGN_YAML)


def test_positions_of_keys_values_labels_and_clock_text():
    doc = parse_clk(DESIGN_SPEC)
    assert doc.positions[("name",)] == (1, 12)
    assert doc.key_positions[("task",)] == (3, 3) and doc.positions[("task", "kind")] == (3, 8)
    assert doc.key_positions[("task", "modulus")] == (3, 28) and doc.positions[("task", "modulus")] == (3, 38)
    assert doc.key_positions[("regularizers", "weight_decay")] == (5, 15)
    assert doc.positions[("optimizer", "betas")] == (6, 40) and doc.positions[("optimizer", "betas", 1)] == (6, 46)
    assert doc.key_positions[("clocks", "fit")] == (9, 9) and doc.positions[("clocks", "fit")] == (9, 22)


def test_three_mistakes_three_positions():
    bad = (DESIGN_SPEC.replace("modulus = 97", "modulos = 97").replace("embed_mlp", "emb_mlp")
           .replace("first train_loss", "first train_los"))
    with pytest.raises(clockspec.SpecError) as info:
        clockspec.loads(bad, syntax="clk", file="bad.clk")
    got = [(d.line, d.col, d.message, d.hint) for d in info.value.diagnostics]
    assert got == [
        (3, 28, "unknown key 'modulos' in task", "did you mean 'modulus'?"),
        (4, 9, "unknown model kind 'emb_mlp'", f"did you mean 'embed_mlp'? {PLUGIN_HINT}"),
        (9, 28, "clocks.fit: unknown metric 'train_los'", "did you mean 'train_loss'?"),
    ]


def test_values_words_numbers_strings_and_null():
    doc = parse_clk('family f { base = "a b.yaml"  vary grid { x = [true, false, null, "null", word, -3, 2.5e-3, inf, -inf, 1.0] } }')
    values = doc.data["vary"]["grid"]["x"]
    assert values[:6] == [True, False, None, "null", "word", -3]
    assert values[6] == 2.5e-3 and values[7] == math.inf and values[8] == -math.inf
    assert isinstance(values[9], float) and isinstance(values[5], int)
    assert doc.data["base"] == "a b.yaml"


def test_nan_reads_as_a_float():
    value = parse_clk("family f { vary grid { x = [nan] } }").data["vary"]["grid"]["x"][0]
    assert isinstance(value, float) and math.isnan(value)


def test_load_dispatches_on_the_clk_suffix(tmp_path):
    path = tmp_path / "spec.clk"
    path.write_text(DESIGN_SPEC)
    assert clockspec.load(str(path)) == clockspec.loads(DESIGN_YAML)


# ---- hostile input ----------------------------------------------------------------------

def test_invalid_utf8_points_at_the_byte():
    assert errors_of(b"experiment x {\n  description = \"caf\xe9\"\n}") == [(2, 21, "file is not valid UTF-8")]


def test_huge_file_is_refused_before_parsing():
    text = b"# " + b"x" * 10_000_000
    [(line, col, message)] = errors_of(text)
    assert message.startswith("file is 10,000,002 bytes; a .clk spec may be at most 1,000,000")


@pytest.mark.parametrize("opener", ["[", "{", "("])
def test_absurd_nesting_is_refused(opener):
    [(line, col, message)] = errors_of("family f { vary grid { x = " + opener * 10_000)
    assert message == "nesting is too deep (a spec nests at most 64 levels)" and (line, col) == (1, 90)  # the 65th open bracket


def test_deeply_nested_blocks_are_refused():
    [(line, col, message)] = errors_of("experiment x {" + " a {" * 10_000)
    assert message.startswith("nesting is too deep")


def test_too_many_tokens_are_refused_before_parsing():
    [(line, col, message)] = errors_of("family f { vary grid { x = [" + "1, " * 20_000 + "1] } }")
    assert message == "a spec may hold at most 20000 words, numbers and symbols"


def test_a_bracket_inside_a_clock_expression_or_string_is_not_nesting():
    doc = parse_clk('experiment x { description = "' + "[" * 100 + '"  clock c = first margin > 0 }\n}')
    assert doc.data["description"] == "[" * 100


# ---- the printer ------------------------------------------------------------------------

@pytest.mark.parametrize("x", [0.001, 0.0025, 0.01, 0.3, 1e-8, 1.0, 3e4, 1e16, -0.0, 1.2345e-4, 5e-324,
                               1.7976931348623157e308, 0.1 + 0.2, 1234567.0, math.inf, -math.inf])
def test_floats_read_back_exactly_and_as_floats(x):
    text = format_float(x)
    value = parse_clk(f"family f {{ vary grid {{ x = [{text}] }} }}").data["vary"]["grid"]["x"][0]
    assert isinstance(value, float) and value == x and math.copysign(1, value) == math.copysign(1, x)


def test_float_style():
    assert [format_float(x) for x in (1e-3, 0.01, 1.0, 1e6, 2.5e-4)] == ["1e-3", "0.01", "1.0", "1e6", "2.5e-4"]


def test_strings_that_are_not_plain_words_are_quoted():
    spec = clockspec.loads(DESIGN_YAML).model_copy(update={
        "tags": ["plain", "true", "null", "inf", "two words", "", "quote\"back\\slash", "\x00\u2028\U0001f600é"]})
    text = dump_clk(spec)
    assert 'tags = [plain, "true", "null", "inf", "two words", "", "quote\\"back\\\\slash", "\\u0000\\u2028😀é"]' in text
    assert validate(parse_clk(text)) == spec


@pytest.mark.parametrize("name", sorted(p.name for p in shipped.top(".clk")))
def test_golden_canonical_specs(name):
    golden(GOLDEN / "canonical" / name, fmt(ROOT / "specs" / name))


@pytest.mark.parametrize("name", sorted(p.name for p in (GOLDEN / "inputs").iterdir()))
def test_golden_canonical_inputs(name):
    golden(GOLDEN / "canonical" / (Path(name).stem + ".clk"), fmt(GOLDEN / "inputs" / name))


@pytest.mark.parametrize("name", sorted(p.name for p in (GOLDEN / "canonical").glob("*.clk")))
def test_canonical_text_is_a_fixed_point(name):
    path = GOLDEN / "canonical" / name
    assert fmt(path) == path.read_text(encoding="utf-8")


# ---- comments ---------------------------------------------------------------------------

def test_comments_go_with_the_entries_they_annotate():
    comments = parse_clk((GOLDEN / "inputs" / "comments.clk").read_text()).comments
    assert comments == {
        START_OF_FILE: [" A header block of notes, set apart from the spec by a blank line."],
        ("name",): [" The experiment itself."],
        ("name", TRAILING): [" trailing on the header"],
        ("seed", TRAILING): [" seeds 0-2 were flaky"],
        ("task",): [" an own-line note about the task"],
        ("task", TRAILING): [" after a one-line block"],
        ("model", "hidden", TRAILING): [" wide first layer"],
        ("model", "hidden"): [" a note before the closing brace"],
        ("clocks", "fit", TRAILING): [" strict"],
        ("clocks", "fit"): [" the last entry of the document"],
        END_OF_FILE: [" after the document"],
    }


def test_fmt_keeps_every_comment_and_is_idempotent(tmp_path):
    source = (GOLDEN / "inputs" / "comments.clk").read_text()
    once = fmt(GOLDEN / "inputs" / "comments.clk")
    notes = [line.split("#", 1)[1].strip() for line in source.splitlines() if "#" in line]
    assert all(note in once for note in notes)
    path = tmp_path / "again.clk"
    path.write_text(once)
    assert fmt(path) == once


def test_comments_of_entries_not_printed_go_with_their_nearest_printed_ancestor():
    spec = clockspec.loads(DESIGN_YAML)
    text = dump_clk(spec, {("task", "kind"): [" kind note"], ("model", "hidden", 0, TRAILING): [" width"],
                           ("regularizers", "schatten"): [" no schatten"], ("nowhere",): [" lost?"]})
    assert "  # kind note\n  task modular {" in text
    assert "    hidden = [256]  # width" in text
    assert "  # no schatten\n  regularizer weight_decay {" in text
    assert text.startswith("# lost?\nexperiment modadd-relu {")


# ---- round trips ------------------------------------------------------------------------

def _round_trip_clk(spec) -> None:
    text = dump_clk(spec)
    back = validate(parse_clk(text))
    assert back == spec
    assert dump_clk(back) == text


@ROUND_TRIP
@given(experiments())
def test_experiment_print_parse_round_trip(spec):
    _round_trip_clk(spec)


@ROUND_TRIP
@given(families())
def test_family_print_parse_round_trip(spec):
    _round_trip_clk(spec)


@ROUND_TRIP
@given(experiments() | families())
def test_yaml_print_parse_round_trip(spec):
    text = dump_yaml(spec)
    assert validate(parse_yaml(text)) == spec
    assert dump_yaml(validate(parse_yaml(text))) == text


@ROUND_TRIP
@given(experiments() | families())
def test_yaml_to_clk_to_yaml_is_lossless(spec):
    yaml_text = dump_yaml(spec)
    clk_text = dump_clk(validate(parse_yaml(yaml_text)))
    assert dump_yaml(validate(parse_clk(clk_text))) == yaml_text


@pytest.mark.parametrize("name", ["comments.clk"])
def test_comments_survive_clk_to_yaml_to_clk(name):
    doc = parse_clk((GOLDEN / "inputs" / name).read_text())
    yaml_text = dump_yaml(validate(doc), doc.comments)
    back = parse_yaml(yaml_text)
    assert dump_clk(validate(back), back.comments) == dump_clk(validate(doc), doc.comments)


@pytest.mark.parametrize("name", sorted(p.name for p in shipped.top(".clk")))
def test_each_clk_example_equals_its_yaml_twin(name):
    twin = ROOT / "specs" / (Path(name).stem + ".yaml")
    assert clockspec.load(str(ROOT / "specs" / name)) == clockspec.load(str(twin))


# ---- errors -----------------------------------------------------------------------------

def test_golden_error_corpus():
    cases = sorted((GOLDEN / "errors").glob("*.clk"))
    assert len(cases) >= 15
    out = []
    for path in cases:
        with pytest.raises(clockspec.SpecError) as info:
            validate(parse_clk(path.read_bytes(), f"errors/{path.name}"))
        out += [d.format() for d in info.value.diagnostics]
    golden(GOLDEN / "errors.txt", "\n".join(out) + "\n")


def test_duplicate_map_keys_and_unknown_blocks_are_all_reported():
    got = errors_of("experiment x {\n  a = { k = 1  k = 2 }\n  trian x {}\n  vary {}\n}")
    assert got == [
        (2, 16, "duplicate key 'k' (first at line 2)"),
        (3, 3, "unknown block 'trian'"),
        (4, 3, "expected one name after 'vary': vary NAME { ... }"),
    ]


def test_a_comment_right_after_the_closing_brace_is_the_files_last():
    assert parse_clk("experiment x {}# end").comments == {END_OF_FILE: [" end"]}


# ---- a plugin's namespaced kind (`mylab.res_mlp`): dotted names in .clk -----------------------

_IDENT = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True)


@given(st.lists(_IDENT, min_size=2, max_size=3).map(".".join))
def test_a_dotted_name_is_a_blocks_label_and_a_bare_value(name):
    value = name if name.split(".")[0] not in ("inf", "nan") else f'"{name}"'  # `inf` alone lexes as a number
    doc = parse_clk(f"experiment e {{\n  model {name} {{\n    hidden = [8]\n  }}\n  train {{\n    loss = {value}\n  }}\n}}\n")
    assert doc.data["model"] == {"kind": name, "hidden": [8]} and doc.data["train"]["loss"] == name


def test_a_namespaced_kind_prints_parses_and_converts_back():
    """A scratch `mylab.mlp` model (as a plugin registers it): the spec prints `model mylab.mlp {`,
    which parses back to the same IR, in both syntaxes."""
    from typing import Literal

    from clockspec.ir.models import MLP, MODELS
    from clockspec.ir.spec import refresh_kinds

    class LabMLP(MLP):
        kind: Literal["mylab.mlp"]

    MODELS.register(LabMLP)
    refresh_kinds()
    try:
        spec = clockspec.loads("name: e\ntask: {kind: teacher, inputs: 4, classes: 2}\nmodel: {kind: mylab.mlp, hidden: [8]}\n")
        assert "\n  model mylab.mlp {\n    hidden = [8]\n  }\n" in dump_clk(spec)
        _round_trip_clk(spec)
        assert validate(parse_yaml(dump_yaml(spec))) == spec
    finally:
        MODELS.remove("mylab.mlp")
        refresh_kinds()
