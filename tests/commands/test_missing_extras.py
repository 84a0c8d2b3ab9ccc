"""A command whose optional dependency is missing says in one line what to install (exit 2),
before anything is written; the slow tests/test_extras.py checks it in a venv without torch."""
import importlib.util

import pytest

import shipped
from clockspec.commands import extras
from clockspec.commands.main import main


@pytest.fixture
def without(monkeypatch):
    """Make find_spec report the given modules as not installed."""
    def hide(*modules):
        real = importlib.util.find_spec
        monkeypatch.setattr(extras, "find_spec", lambda name: None if name in modules else real(name))
    return hide


def test_run_without_torch_names_the_extra_and_writes_nothing(without, tmp_path, capsys):
    without("torch")
    assert main(["run", str(shipped.SPECS_DIR / "quickstart.yaml"), "--out", str(tmp_path / "runs")]) == 2
    out, err = capsys.readouterr()
    assert (out, err) == ("", "clockspec run: error: needs torch, not installed here; "
                              "install it with: pip install 'clockspec[run]'\n")
    assert not (tmp_path / "runs").exists()


def test_several_missing_modules_are_named_together():
    error = extras.missing_extra("run", ["torch", "matplotlib", "ray"])
    assert error.format() == ("clockspec run: error: needs torch, matplotlib and ray, not installed here; "
                              "install them with: pip install 'clockspec[ray,run]'")
    assert error.exit_status == 2


def test_an_unforeseen_import_of_an_optional_module_is_caught_by_main(monkeypatch, capsys):
    from clockspec.commands import explain

    def fail(args):
        raise ModuleNotFoundError("No module named 'matplotlib.pyplot'", name="matplotlib.pyplot")
    monkeypatch.setattr(explain, "run", fail)
    assert main(["explain", str(shipped.SPECS_DIR / "modadd.yaml")]) == 2
    assert capsys.readouterr().err.startswith("clockspec explain: error: needs matplotlib, not installed here;")


def test_a_missing_module_that_is_no_extra_stays_a_bug(monkeypatch):
    from clockspec.commands import explain

    def fail(args):
        raise ModuleNotFoundError("No module named 'nonexistent'", name="nonexistent")
    monkeypatch.setattr(explain, "run", fail)
    with pytest.raises(ModuleNotFoundError):
        main(["explain", str(shipped.SPECS_DIR / "modadd.yaml")])
