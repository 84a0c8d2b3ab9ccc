"""The malformed-spec corpus: each file gets exactly the diagnostics in its golden file.

tests/corpus/errors/NAME.yaml is a broken spec; NAME.expected beside it lists every
diagnostic as `line:col: message` (and `  hint: ...`), in the order the CLI prints them.
"""
from pathlib import Path

import pytest

import clockspec
from clockspec.commands.main import main

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "errors"
CASES = sorted(CORPUS.glob("*.yaml"))


def render(diagnostics) -> str:
    lines = []
    for d in diagnostics:
        lines.append(f"{d.line}:{d.col}: {d.message}")
        if d.hint:
            lines.append(f"  hint: {d.hint}")
    return "\n".join(lines) + "\n"


def test_corpus_is_large_enough():
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_error_case(case, golden):
    with pytest.raises(clockspec.SpecError) as info:
        clockspec.load(case)
    diags = info.value.diagnostics
    assert diags and all(d.file == str(case) for d in diags)
    golden(case.with_suffix(".expected"), render(diags))


def test_cli_prints_every_error_with_path_and_exits_2(capsys):
    case = CORPUS / "three_mistakes_and_clocks.yaml"
    assert main(["check", str(case)]) == 2
    err = capsys.readouterr().err
    expected = [line for line in (case.with_suffix(".expected")).read_text().splitlines() if not line.startswith(" ")]
    printed = [line for line in err.splitlines() if not line.startswith(" ")]
    assert printed == [f"{case}:{line.split(': ', 1)[0]}: error: {line.split(': ', 1)[1]}" for line in expected]
    assert len(printed) == 5 and "Traceback" not in err
