"""Hostile inputs: each is refused with a clean, positioned SpecError and nothing else.

How long each takes is measured by bench/hostile_inputs.py, not asserted here.
"""
import pytest

import clockspec
from clockspec.commands.main import main
from clockspec.syntax.loading import parse
from clockspec.syntax.validate import validate


def _billion_laughs() -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def _big_file() -> bytes:
    line = b"description: " + b"x" * 1000 + b"\n"
    return b"name: big\n" + line * (10 * 1024)  # about 10 MB


HOSTILE = {
    "python_object_tag": lambda: b"name: !!python/object/apply:os.system ['echo pwned']\n",
    "python_name_tag": lambda: b"name: x\ntask: !!python/name:os.system\n",
    "billion_laughs": lambda: _billion_laughs().encode(),
    "ten_megabytes": _big_file,
    "nested_flow_lists": lambda: b"name: " + b"[" * 10_000 + b"]" * 10_000 + b"\n",
    "nested_flow_mappings": lambda: b"a: " + b"{a: " * 10_000 + b"1" + b"}" * 10_000 + b"\n",
    "nested_block_lists": lambda: b"".join(b" " * i + b"-\n" for i in range(0, 700, 2)),
    "nested_block_mappings": lambda: b"".join(b" " * i + b"a:\n" for i in range(500)),
    "invalid_utf8": lambda: b"name: caf\xc3\x28\n",
    "lone_surrogate_utf8": lambda: b"name: \xed\xa0\x80\n",
    "nul_byte": lambda: b"name: a\x00b\n",
    "control_character": lambda: b"name: a\x1bb\n",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_refused_cleanly_with_a_position(name):
    data = HOSTILE[name]()
    with pytest.raises(clockspec.SpecError) as info:
        validate(parse(data, f"{name}.yaml", "yaml"))
    diags = info.value.diagnostics
    assert diags and all(d.file == f"{name}.yaml" and d.line >= 1 and d.col >= 1 for d in diags)


@pytest.mark.parametrize("name", ["billion_laughs", "nested_flow_lists", "invalid_utf8", "nul_byte"])
def test_cli_reports_without_traceback(name, tmp_path, capsys):
    path = tmp_path / f"{name}.yaml"
    path.write_bytes(HOSTILE[name]())
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{path}:") and ": error: " in err and "Traceback" not in err


def test_text_input_is_limited_too():
    with pytest.raises(clockspec.SpecError, match="at most"):
        clockspec.loads(_big_file().decode())
