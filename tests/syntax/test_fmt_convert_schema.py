"""`clockspec fmt`, `convert` and `schema`: canonical rewriting that keeps comments, exit codes."""
import json
import os
import stat
from pathlib import Path

import jsonschema
import pytest

import clockspec
import shipped
from clockspec.commands.main import main
from clockspec.syntax.schema import json_schema
from clockspec.syntax.yaml_front import parse_yaml

ROOT = Path(__file__).resolve().parents[2]
SPECS = shipped.top(".yaml")
MESSY = """\
# header note

name:    messy   # the name
model: {kind: mlp,
        hidden: [16, 16]}   # two layers
task: {kind: modular, modulus: 11}
clocks:
  # when the loss fits
  fit: "first train_loss <=   1E-2"
# end note
"""


def comments_of(text: str) -> list[str]:
    return sorted(c for lines in parse_yaml(text).comments.values() for c in lines)


def test_fmt_rewrites_keeps_comments_and_is_idempotent(tmp_path, capsys):
    path = tmp_path / "messy.yaml"
    path.write_text(MESSY)
    path.chmod(0o640)
    assert main(["fmt", "--check", str(path)]) == 1
    assert capsys.readouterr().out == f"would reformat {path}\n"
    assert path.read_text() == MESSY  # --check changes nothing
    assert main(["fmt", str(path)]) == 0
    once = path.read_text()
    assert once == clockspec.dumps(clockspec.load(path), comments=parse_yaml(MESSY).comments)
    assert comments_of(once) == comments_of(MESSY)
    assert "  fit: first train_loss <= 0.01\n" in once  # the quoted, oddly spaced clock, canonical
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert os.listdir(tmp_path) == ["messy.yaml"]  # no temp file left behind
    assert main(["fmt", str(path)]) == 0 and path.read_text() == once
    assert main(["fmt", "--check", str(path)]) == 0


def test_fmt_leaves_an_invalid_file_alone_and_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nmodel: {kind: emb_mlp}\n")
    good = tmp_path / "good.yaml"
    good.write_text(MESSY)
    assert main(["fmt", str(bad), str(good)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:2:15: error: unknown model kind 'emb_mlp'" in err
    assert bad.read_text() == "name: x\nmodel: {kind: emb_mlp}\n"
    assert good.read_text() != MESSY  # the other files are still formatted


def test_fmt_stdin_to_stdout(monkeypatch, capsys):
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(MESSY.encode())))
    assert main(["fmt", "-"]) == 0
    assert comments_of(capsys.readouterr().out) == comments_of(MESSY)


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.name)
def test_fmt_check_flags_then_accepts_examples(path, tmp_path):
    copy = tmp_path / path.name
    copy.write_bytes(path.read_bytes())
    main(["fmt", str(copy)])
    assert main(["fmt", "--check", str(copy)]) == 0
    assert comments_of(copy.read_text()) == comments_of(path.read_text())


def test_convert_canonical_and_output_file(tmp_path, capsys):
    path = tmp_path / "messy.yaml"
    path.write_text(MESSY)
    assert main(["convert", str(path), "--canonical"]) == 0
    out = capsys.readouterr().out
    assert out == clockspec.dumps(clockspec.load(path)) and "#" not in out
    assert main(["convert", str(path), "--to", "yaml", "--keep-comments", "-o", str(tmp_path / "o.yaml")]) == 0
    assert comments_of((tmp_path / "o.yaml").read_text()) == comments_of(MESSY)


def test_convert_usage_errors_exit_2(tmp_path, capsys):
    path = tmp_path / "messy.yaml"
    path.write_text(MESSY)
    with pytest.raises(SystemExit) as info:
        main(["convert", str(path)])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["convert", str(path), "--to", "yaml", "--canonical"])
    assert info.value.code == 2
    assert main(["convert", str(tmp_path / "missing.yaml"), "--canonical"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_canonical_shows_an_invalid_spec_as_written_after_one_marker_line(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_bytes(b"name: x\ntask: {kind: modulr}\nmodel: {kind: mlp}\n\xff\n")
    assert main(["convert", str(path), "--canonical"]) == 0  # textconv: git log -p must go on
    out = capsys.readouterr().out
    marker, rest = out.split("\n", 1)
    assert marker.startswith("# clockspec: not a valid spec, shown as written (4:1: ")
    assert rest == "name: x\ntask: {kind: modulr}\nmodel: {kind: mlp}\n\ufffd\n"
    assert main(["convert", str(path), "--to", "clk"]) == 2  # anywhere else it is an error


def test_schema_is_draft7_and_accepts_exactly_the_specs(capsys):
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema == json_schema()
    validator = jsonschema.Draft7Validator(schema)
    validator.check_schema(schema)
    for path in SPECS:
        raw = parse_yaml(path.read_text()).data
        assert not list(validator.iter_errors(raw)), path
        canonical = parse_yaml(clockspec.dumps(clockspec.load(path))).data
        assert not list(validator.iter_errors(canonical)), path
    bad = parse_yaml("name: x\ntask: {kind: modular, modulos: 7}\nmodel: {kind: mlp}\n").data
    assert list(validator.iter_errors(bad))
    both = parse_yaml("name: x\nfamily: f\nbase: a.yaml\ntask: {kind: modular}\nmodel: {kind: mlp}\n").data
    assert list(validator.iter_errors(both))


def test_checked_in_schema_is_current(golden):
    golden(ROOT / "docs" / "clockspec.schema.json", json.dumps(json_schema(), indent=2) + "\n")


def test_schema_to_file(tmp_path):
    out = tmp_path / "s.json"
    assert main(["schema", "-o", str(out)]) == 0
    assert json.loads(out.read_text()) == json_schema()
