"""The short canonical form: `fmt` leaves out every value equal to its default, and the text
still reads back to the same IR and the same hashes; `spec.lock.yaml` stays fully spelled out."""
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

import clockspec
import shipped
from clockspec.commands.main import main
from clockspec.compiler.hashing import canonical_json
from clockspec.core.errors import SpecError
from clockspec.syntax.canonical import canonical_data, same_value
from clockspec.syntax.clk_front import parse_clk
from clockspec.syntax.loading import load_doc
from clockspec.syntax.printing import dumps
from clockspec.syntax.validate import validate
from clockspec.syntax.yaml_front import parse_yaml
from strategies import experiments, families

PARSERS = {"yaml": parse_yaml, "clk": parse_clk}
ROUND_TRIP = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MINIMAL = "clockspec: 1\nname: t\ntask:\n  kind: modular\nmodel:\n  kind: mlp\n"


def spec_hashes(spec) -> tuple[str, ...]:
    """What the hashes see of a spec: its canonical JSON (floats by repr, 1 apart from 1.0 and
    true), and for an experiment that compiles, every plan node's hash."""
    hashes = (canonical_json(spec.model_dump(mode="json")),)
    if isinstance(spec, clockspec.Experiment):
        try:
            plan = spec.compile()
        except SpecError:
            return hashes
        hashes += tuple(node.hash for node in plan.nodes.values())
    return hashes


@ROUND_TRIP
@given(experiments() | families())
def test_short_text_reads_back_to_the_same_ir_and_hashes(spec):
    for syntax, parse in PARSERS.items():
        text = dumps(spec, syntax)
        back = validate(parse(text))
        assert back == spec, syntax
        assert spec_hashes(back) == spec_hashes(spec), syntax
        assert dumps(back, syntax) == text, syntax  # idempotent


@ROUND_TRIP
@given(experiments() | families())
def test_full_text_spells_out_what_the_short_one_leaves_out(spec):
    full, short = dumps(spec, "yaml", full=True), dumps(spec, "yaml")
    assert validate(parse_yaml(full)) == spec
    assert len(short) <= len(full)
    assert_within(canonical_data(spec), canonical_data(spec, full=True))


def assert_within(short, full) -> None:
    """Every entry of the short data is in the full data with the same value."""
    if isinstance(short, dict) and isinstance(full, dict):
        assert list(short) == [k for k in full if k in short]
        for key, value in short.items():
            assert_within(value, full[key])
    else:
        assert short == full


def test_a_spec_of_defaults_prints_only_what_has_none():
    spec = clockspec.loads(MINIMAL + "seed: 0\ndevice: auto\ntrain: {steps: 10000, batch: full}\n"
                           "optimizer: {kind: adamw}\nregularizers: {}\nclocks: {}\n")
    assert dumps(spec, "yaml") == MINIMAL
    assert dumps(spec, "clk") == "experiment t {\n  clockspec = 1\n  task modular {}\n  model mlp {}\n}\n"


def test_a_regularizer_of_defaults_stays_on():
    spec = clockspec.loads(MINIMAL + "regularizers: {weight_decay: {strength: 0.01}}\n")
    assert dumps(spec, "yaml").endswith("regularizers:\n  weight_decay: {}\n")
    assert clockspec.loads(dumps(spec, "yaml")) == spec


@pytest.mark.parametrize(("a", "b", "same"), [
    (0, False, False), (1, 1.0, False), (0.0, -0.0, False), (0.5, 0.5, True),
    ([1, 2], [1, 2], True), ([1], [1.0], False), ({"a": 1, "b": 2}, {"b": 2, "a": 1}, False),
])
def test_same_value_tells_alike_from_equal(a, b, same):
    assert same_value(a, b) is same


def test_lock_file_is_fully_spelled_out():
    from clockspec.runtime.results import spec_text  # what writes spec.lock.yaml

    spec = clockspec.load(shipped.SPECS_DIR / "quickstart.yaml")
    text = spec_text(spec)
    assert text == dumps(spec, "yaml", full=True)
    assert "device: auto\n" in text and "seed: 0\n" in text and "  loss: cross_entropy\n" in text


@pytest.mark.parametrize("path", shipped.ALL, ids=lambda p: str(p.relative_to(shipped.SPECS_DIR)))
def test_shipped_spec_is_in_short_canonical_form(path):
    doc = load_doc(path)
    assert dumps(validate(doc), doc.syntax, comments=doc.comments) == path.read_text(encoding="utf-8")


def test_every_spec_under_specs_passes_fmt_check(capsys):
    assert main(["fmt", "--check", str(shipped.SPECS_DIR)]) == 0, capsys.readouterr().out
    assert {Path(p).resolve() for p in shipped.ALL} <= set(shipped.SPECS_DIR.rglob("*.*"))


def test_convert_full_spells_out_the_defaults(capsys):
    path = shipped.SPECS_DIR / "quickstart.yaml"
    assert main(["convert", "--full", "--to", "yaml", str(path)]) == 0
    assert capsys.readouterr().out == dumps(clockspec.load(path), "yaml", full=True)
