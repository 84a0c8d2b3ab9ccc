"""Class 1 of issue 20: integer literals too long for `int()`, and seeds past what `run` can use.

Every case is a positioned SpecError (CLI: exit 2, no traceback) and no message echoes more
than a short excerpt of the digits.
"""
import numpy as np
import pytest

import clockspec
from clockspec.commands.main import main
from clockspec.ir.tasks import MAX_SEED
from clockspec.syntax.literals import MAX_DIGITS

CLK = "experiment x {{\n  seed = {n}\n  task modular {{}}\n  model embed_mlp {{}}\n}}\n"
YAML = "name: x\nseed: {n}\ntask: {{kind: modular}}\nmodel: {{kind: embed_mlp}}\n"


@pytest.mark.parametrize("syntax,template", [("yaml", YAML), ("clk", CLK)])
@pytest.mark.parametrize("digits", [MAX_DIGITS + 1, 5_000, 100_000])
def test_a_huge_integer_is_refused_at_its_position_with_a_short_echo(syntax, template, digits):
    with pytest.raises(clockspec.SpecError) as info:
        clockspec.loads(template.format(n="7" * digits), syntax)
    (diag,) = info.value.diagnostics
    assert (diag.line, diag.col) == ((2, 7) if syntax == "yaml" else (2, 10))
    assert f"{digits:,} digits" in diag.message and f"at most {MAX_DIGITS}" in diag.message
    assert diag.message.count("7") < 40


@pytest.mark.parametrize("literal", ["-" + "1" * 5000, "0x" + "f" * 5000, "1" * 5000 + ".5"])
def test_signed_hex_and_float_literals_are_bounded_too(literal):
    with pytest.raises(clockspec.SpecError, match="digits"):
        clockspec.loads(YAML.format(n=literal), "yaml")


def test_long_digit_runs_in_text_are_still_text():
    spec = clockspec.loads(YAML.format(n=0) + "description: " + "1" * 5000 + " apples\n", "yaml")
    assert spec.description.endswith("apples")


def test_the_cli_exits_2_without_a_traceback(tmp_path, capsys):
    path = tmp_path / "huge.clk"
    path.write_text(CLK.format(n="9" * 5000))
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{path}:2:10: error: ") and "Traceback" not in err and len(err) < 300


def _task(field: str, value: int, kind: str) -> str:
    extra = "{kind: teacher}" if kind == "teacher" else "{kind: modular}"
    return YAML.format(n=0).replace("{kind: modular}", extra[:-1] + f", {field}: {value}}}")


@pytest.mark.parametrize("field,kind", [("split_seed", "modular"), ("data_seed", "teacher")])
def test_task_seeds_are_bounded_at_what_torch_and_numpy_accept(field, kind):
    clockspec.loads(_task(field, MAX_SEED, kind), "yaml")
    with pytest.raises(clockspec.SpecError, match=f"{field}: expected a whole number in \\[0, {MAX_SEED}\\]"):
        clockspec.loads(_task(field, MAX_SEED + 1, kind), "yaml")


def test_the_seed_bound_is_what_the_generators_take():
    torch = pytest.importorskip("torch")
    torch.Generator().manual_seed(MAX_SEED)
    np.random.SeedSequence(MAX_SEED)
    with pytest.raises((OverflowError, RuntimeError, ValueError)):
        torch.Generator().manual_seed(MAX_SEED + 1)


def test_random_draw_seed_is_bounded_too():
    family = ("family: f\nbase: {name: b, task: {kind: modular}, model: {kind: embed_mlp}}\n"
              f"vary:\n  random:\n    n: 2\n    seed: {MAX_SEED + 1}\n"
              "    params: {optimizer.lr: {kind: loguniform, low: 1e-4, high: 1e-2}}\n")
    with pytest.raises(clockspec.SpecError, match="vary.random.seed"):
        clockspec.loads(family, "yaml")
