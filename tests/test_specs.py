"""Every example under specs/ passes `clockspec check`; YAML ones are canonical fixed points."""
from pathlib import Path

import clockspec
from clockspec.cli import main

SPECS = Path(__file__).resolve().parent.parent / "specs"


def test_every_example_checks(capsys):
    files = sorted(p for p in SPECS.rglob("*") if p.is_file())
    assert {"modadd.yaml", "deep_linear.yaml", "wd_family.yaml"} <= {p.name for p in files}
    assert main(["check", *map(str, files)]) == 0, capsys.readouterr().err


def test_yaml_examples_are_canonical_fixed_points():
    for path in sorted(SPECS.rglob("*.y*ml")):
        spec = clockspec.load(path)
        text = clockspec.dumps(spec)
        again = clockspec.loads(text)
        assert again == spec, path
        assert clockspec.dumps(again) == text, path


def test_family_base_is_an_example():
    family = clockspec.load(SPECS / "wd_family.yaml")
    assert (SPECS / family.base).is_file()
    assert clockspec.load(SPECS / family.base).name == "modadd-relu"
