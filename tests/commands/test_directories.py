"""`clockspec check DIR` and `clockspec fmt DIR`: a directory stands for the spec files below it."""
import shutil

import pytest

import shipped
from clockspec.commands.main import main
from clockspec.commands.paths import files_below

GOOD = shipped.SPECS_DIR / "quickstart.yaml"


@pytest.fixture
def tree(tmp_path):
    """specs: a.yaml (valid), sub/b.clk (valid, a default spelled out), sub/c.yml (invalid), notes.txt, .hidden/d.yaml."""
    (tmp_path / "sub").mkdir()
    (tmp_path / ".hidden").mkdir()
    shutil.copy(GOOD, tmp_path / "a.yaml")
    clk = (shipped.SPECS_DIR / "modadd.clk").read_text()
    (tmp_path / "sub" / "b.clk").write_text(clk.replace("  task modular {}", "  seed = 0\n  task modular {}", 1))
    (tmp_path / "sub" / "c.yml").write_text("name: bad\nsteps: [\n")
    (tmp_path / "notes.txt").write_text("not a spec")
    (tmp_path / ".hidden" / "d.yaml").write_text("not: [valid\n")
    return tmp_path


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_files_below_is_sorted_recursive_and_skips_hidden_folders(tree):
    assert files_below(str(tree)) == [str(tree / "a.yaml"), str(tree / "sub" / "b.clk"), str(tree / "sub" / "c.yml")]


def test_check_directory_reports_each_file(capsys, tree):
    code, out, err = run(capsys, "check", tree)
    assert code == 2
    assert f"{tree / 'a.yaml'}: ok (experiment" in out and f"{tree / 'sub' / 'b.clk'}: ok (experiment" in out
    assert err.startswith(f"{tree / 'sub' / 'c.yml'}:3:1: error: YAML syntax") and ".hidden" not in out + err


def test_check_valid_directory_exits_0(capsys, tree):
    (tree / "sub" / "c.yml").unlink()
    code, out, _ = run(capsys, "check", "-q", tree)
    assert (code, out) == (0, "")


def test_check_shipped_specs_directory(capsys):
    """Every shipped spec is found and ok; a spec of the user's own there (the README's
    `ablate -o specs/...`) is checked too, and does not change what this asserts."""
    code, out, _ = run(capsys, "check", shipped.SPECS_DIR)
    assert code == 0
    ok = {line.split(": ok (")[0] for line in out.splitlines() if ": ok (" in line}
    assert {str(p) for p in shipped.ALL} <= ok


@pytest.mark.parametrize("command", [["check"], ["fmt"], ["fmt", "--check"]])
def test_empty_directory_is_an_error(capsys, tmp_path, command):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.yaml").write_text("name: x\n")
    code, out, err = run(capsys, *command, tmp_path)
    assert code == 2 and out == ""
    assert err == f"{tmp_path}: error: no spec files (*.yaml, *.yml, *.clk) in this directory or below it\n"


def test_empty_directory_does_not_hide_the_other_paths(capsys, tmp_path):
    (tmp_path / "empty").mkdir()
    code, out, _ = run(capsys, "check", tmp_path / "empty", GOOD)
    assert code == 2 and f"{GOOD}: ok" in out


def test_fmt_check_directory_lists_files_that_would_change(capsys, tree):
    (tree / "sub" / "c.yml").unlink()
    main(["fmt", str(tree / "a.yaml")])
    capsys.readouterr()
    code, out, _ = run(capsys, "fmt", "--check", tree)
    assert (code, out) == (1, f"would reformat {tree / 'sub' / 'b.clk'}\n")


def test_fmt_directory_rewrites_every_file_and_reports_bad_ones(capsys, tree):
    code, out, err = run(capsys, "fmt", tree)
    assert code == 2 and f"{tree / 'sub' / 'c.yml'}:3:1: error: YAML syntax" in err
    assert "reformatted" in out and (tree / ".hidden" / "d.yaml").read_text() == "not: [valid\n"
    code, out, err = run(capsys, "fmt", "--check", tree / "a.yaml", tree / "sub" / "b.clk")
    assert (code, out, err) == (0, "", "")
