"""The canonical YAML printer: golden output, parse(print(x)) == x, idempotence, comments."""
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import clockspec
import shipped
from clockspec.syntax.loading import load_doc
from clockspec.syntax.source import END_OF_FILE, START_OF_FILE, TRAILING
from clockspec.syntax.validate import validate
from clockspec.syntax.yaml_front import parse_yaml
from clockspec.syntax.yaml_printer import dump_yaml

ROOT = Path(__file__).resolve().parents[2]
SPECS = shipped.top(".yaml")
GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "yaml_printer"

BASE = {
    "name": "t",
    "task": {"kind": "modular", "modulus": 7},
    "model": {"kind": "mlp", "hidden": [8]},
}


def reread(text: str):
    doc = parse_yaml(text)
    return validate(doc), doc


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.name)
def test_example_canonical_golden_and_fixed_point(path, golden):
    spec = clockspec.load(path)
    text = dump_yaml(spec)
    golden(GOLDEN / path.name, text)
    again, _ = reread(text)
    assert again == spec
    assert dump_yaml(again) == text


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.name)
def test_example_formatted_golden_keeps_every_comment(path, golden):
    doc = load_doc(path)
    text = dump_yaml(validate(doc), doc.comments)
    golden(GOLDEN / path.name.replace(".yaml", ".fmt.yaml"), text)
    source_comments = sorted(c for lines in doc.comments.values() for c in lines)
    again, doc2 = reread(text)
    assert sorted(c for lines in doc2.comments.values() for c in lines) == source_comments
    assert dump_yaml(again, doc2.comments) == text


def test_layout_rules():
    spec = clockspec.load(ROOT / "specs" / "modadd.yaml")
    text = dump_yaml(spec, full=True)
    assert text.startswith("clockspec: 1\nname: modadd-relu\n")
    assert "  betas: [0.9, 0.98]\n" in text and "  hidden: [256]\n" in text
    assert "  lr: 1e-3\n" in text and "  strength: 1.0\n" in text
    assert "optimizer:\n  kind: adamw\n  lr:" in text  # kind first, then IR order
    assert "  fit: first train_loss <= 0.01\n" in text  # clocks as plain expression text
    assert "null" not in text and "per_layer" not in text  # None is left out
    assert "schatten:" not in text


def test_quotes_only_where_yaml_needs_them():
    spec = clockspec.Experiment.model_validate(
        {**BASE, "tags": ["yes", "1e-3", "a: b", "plain words", "null", "x #y", "- z", ""],
         "description": "100%"})
    text = dump_yaml(spec)
    assert 'tags: ["yes", "1e-3", "a: b", plain words, "null", "x #y", "- z", ""]' in text
    assert "description: 100%\n" in text
    assert reread(text)[0] == spec


def test_multiline_description_is_a_literal_block():
    spec = clockspec.Experiment.model_validate({**BASE, "description": "line one\n  indented\n\nlast\n"})
    text = dump_yaml(spec)
    assert "description: |\n  line one\n    indented\n\n  last\ntask:" in text
    assert reread(text)[0] == spec


def test_family_with_inline_base_and_structured_values():
    family = clockspec.Family.model_validate({
        "family": "f",
        "base": BASE,
        "vary": {"grid": {"regularizers.weight_decay": [None, {"strength": 0.1, "decoupled": False}],
                          "model.hidden": [[64], [128, 128]]}},
        "exclude": ["seed == 1"],
    })
    text = dump_yaml(family)
    assert "base:\n  clockspec: 1\n  name: t\n" in text
    assert "    regularizers.weight_decay:\n      - null\n      - strength: 0.1\n        decoupled: false\n" in text
    assert "    model.hidden:\n      - [64]\n      - [128, 128]\n" in text
    assert reread(text)[0] == family


def test_comments_follow_their_entries():
    text = (
        "# file header\n\n"
        "# the run's name\n"
        "name: t  # short\n"
        "task: {kind: modular,  # the task\n"
        "       modulus: 7}\n"
        "model:\n  kind: mlp\n  hidden:\n    - 8  # one layer\n"
        "regularizers:\n  schatten: null  # off\n"
        "# the end\n"
    )
    spec, doc = reread(text)
    assert doc.comments[START_OF_FILE] == [" file header"]
    assert doc.comments[("name",)] == [" the run's name"]
    assert doc.comments[("name", TRAILING)] == [" short"]
    assert doc.comments[("task", TRAILING)] == [" the task"]
    assert doc.comments[("model", "hidden", 0, TRAILING)] == [" one layer"]
    assert doc.comments[END_OF_FILE] == [" the end"]
    out = dump_yaml(spec, doc.comments, full=True)
    assert out.startswith("# file header\n\nclockspec: 1\n\n# the run's name\nname: t  # short\n")
    assert "task:  # the task\n  kind: modular\n" in out
    # an item of a flow list and a key the canonical form drops: above the nearest printed entry
    assert "  # one layer\n  hidden: [8]\n" in out
    assert "\n# off\nregularizers: {}\n" in out
    assert out.endswith("stop:\n  after: []\n  patience: 0\n# the end\n")
    spec2, doc2 = reread(out)
    assert dump_yaml(spec2, doc2.comments, full=True) == out
    # The short form leaves the default `regularizers` out: its comment goes to the top.
    short = dump_yaml(spec, doc.comments)
    assert short == ("# file header\n\n# off\nclockspec: 1\n\n# the run's name\nname: t  # short\n"
                     "task:  # the task\n  kind: modular\n  modulus: 7\n"
                     "model:\n  kind: mlp\n  # one layer\n  hidden: [8]\n# the end\n")
    spec3, doc3 = reread(short)
    assert spec3 == spec and dump_yaml(spec3, doc3.comments) == short


# ---- properties of the scalar layer: any text, any number, any family value -------------

EXAMPLES = int(os.environ.get("CLOCKSPEC_EXAMPLES", "80"))  # raise it for a thorough run
texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
floats = st.floats(allow_nan=False)
leaves = st.none() | st.booleans() | st.integers(-10**12, 10**12) | floats | texts
values = st.recursive(leaves, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.from_regex(r"[a-z_]{1,8}", fullmatch=True), inner, max_size=3),
                      max_leaves=12)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(description=texts, tags=st.lists(st.text(max_size=20), max_size=5),
       lr=st.floats(min_value=1e-12, max_value=1e3, exclude_min=True), scale=st.floats(min_value=1e-300, allow_infinity=False))
def test_any_text_and_number_round_trips(description, tags, lr, scale):
    spec = clockspec.Experiment.model_validate({
        **BASE, "description": description, "tags": tags,
        "optimizer": {"kind": "sgd", "lr": lr}, "model": {"kind": "mlp", "init_scale": scale}})
    text = dump_yaml(spec)
    again, _ = reread(text)
    assert again == spec
    assert dump_yaml(again) == text


@settings(max_examples=EXAMPLES // 2, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grid=st.dictionaries(  # real IR paths, each with values: what a valid family varies
    st.sampled_from(["seed", "description", "model.hidden", "train.steps", "regularizers.weight_decay.strength"]),
    st.lists(values, min_size=1, max_size=4), min_size=1, max_size=3))
def test_any_family_values_round_trip(grid):
    family = clockspec.Family.model_validate({"family": "f", "base": "b.yaml", "vary": {"grid": grid}})
    text = dump_yaml(family)
    again, _ = reread(text)
    assert again.vary.grid == family.vary.grid
    assert dump_yaml(again) == text
