"""Issue 30, output injection: free text from a spec (description, tags) is escaped for where
it is printed: terminal escapes shown, never sent; no CSV cell a formula; no `|` splitting a
Markdown cell."""
from __future__ import annotations

import csv
import io

import pytest

from clockspec.commands.main import main
from tiny import tiny_spec

HEAD = 'description: "\\e]0;pwned\\a\\e[2Jcleared\\nsecond line"\ntags: ["=HYPERLINK(1)", "\\e[31mred", "a|b"]\n'


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("esc")
    spec = folder / "tiny.yaml"
    spec.write_text(tiny_spec("esc-tiny", steps=10, head=HEAD))
    assert main(["run", str(spec), "--out", str(folder / "runs"), "-q"]) == 0
    return spec, folder / "runs"


def test_explain_shows_a_descriptions_escapes_and_sends_none(store, capsys):
    assert main(["explain", str(store[0])]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "\\x1b]0;pwned\\x07\\x1b[2Jcleared\nsecond line" in out


def test_runs_table_sends_no_escape(store, capsys):
    assert main(["runs", "--out", str(store[1])]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\\x1b[31mred" in out


def test_runs_csv_has_no_formula_cell(store, capsys):
    assert main(["runs", "--out", str(store[1]), "--format", "csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    cells = [cell for row in rows for cell in row]
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
    assert any("HYPERLINK" in cell for cell in cells)


def test_runs_markdown_keeps_a_pipe_in_its_cell(store, capsys):
    assert main(["runs", "--out", str(store[1]), "--format", "md"]) == 0
    lines = capsys.readouterr().out.splitlines()
    header, row = lines[0], lines[2]
    assert row.count("|") - row.count("\\|") == header.count("|")


@pytest.mark.parametrize("text", ["\x1b[2J", "\x9b31m", "a\nb", "\u202eevil", "\x00", "\r"])
def test_terminal_text_never_holds_a_control_character(text):
    from clockspec.core.escape import terminal, terminal_lines

    assert terminal(text).isprintable()
    assert all(line.isprintable() for line in terminal_lines(text + "\nok").split("\n"))


@pytest.mark.parametrize(("value", "cell"), [("=1+1", "'=1+1"), ("-x", "'-x"), ("@a", "'@a"),
                                             ("\tx", "'\tx"), ("ok", "ok"), (3, 3),
                                             ("-0.5", "-0.5"), ("+1e-3", "+1e-3"), ("-1+2", "'-1+2"),
                                             ("-inf", "'-inf")])
def test_csv_cells_are_never_formulas(value, cell):
    from clockspec.core.escape import csv_cell

    assert csv_cell(value) == cell
