"""Every shipped example under specs/ passes `clockspec check`; YAML ones are canonical fixed points."""
import clockspec
import shipped
from clockspec.commands.main import main


def test_every_shipped_example_exists_and_checks(capsys):
    missing = [str(p) for p in shipped.ALL if not p.is_file()]
    assert not missing, f"tests/shipped.py names specs that are gone: {missing}"
    assert main(["check", *map(str, shipped.ALL)]) == 0, capsys.readouterr().err


def test_yaml_examples_are_canonical_fixed_points():
    for path in (p for p in shipped.ALL if p.suffix == ".yaml"):
        spec = clockspec.load(path)
        text = clockspec.dumps(spec)
        again = clockspec.loads(text)
        assert again == spec, path
        assert clockspec.dumps(again) == text, path


def test_family_base_is_an_example():
    family = clockspec.load(shipped.SPECS_DIR / "wd_family.yaml")
    assert (shipped.SPECS_DIR / family.base).is_file()
    assert clockspec.load(shipped.SPECS_DIR / family.base).name == "modadd-relu"
