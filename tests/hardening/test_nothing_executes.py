"""Nothing in a spec executes, and absurd values are refused (docs/hardening.md).

Hostile text in every place a spec can put it: YAML tags, Python-, shell- and
template-looking strings, format strings, path traversal, quoted and non-finite numbers,
and sizes whose product no machine holds. Each is refused with a positioned error or kept
as inert text, and nothing runs.
"""
from __future__ import annotations

import builtins
import os
import re
import subprocess

import pytest

import clockspec
from clockspec.commands.main import main
from clockspec.compiler import limits
from clockspec.core.markdown_escape import code, text
from clockspec.diff.render import markdown
from clockspec.syntax.naming import NAME_RE

BASE = "name: t\ntask: {kind: modular, modulus: 7}\nmodel: {kind: mlp, hidden: [4]}\ntrain: {steps: 100}\nprobes: {every: 10}\n"
CLK = "experiment t {\n  task modular { modulus = 7 }\n  model mlp { hidden = [4] }\n  %s\n}\n"


def diags(text_: str, syntax: str = "yaml"):
    with pytest.raises(clockspec.SpecError) as info:
        spec = clockspec.loads(text_, syntax=syntax, file="x")
        clockspec.expand(spec) if hasattr(spec, "family") else clockspec.compile(spec)
    return info.value.diagnostics


def at(text_: str, needle: str, nth: int = 0) -> tuple[int, int]:
    """1-based (line, col) of the nth occurrence of needle in text_."""
    pos = -1
    for _ in range(nth + 1):
        pos = text_.index(needle, pos + 1)
    return text_.count("\n", 0, pos) + 1, pos - (text_.rfind("\n", 0, pos) + 1) + 1


# ---- a quoted value is text, a boolean is not a number ---------------------------------

@pytest.mark.parametrize("line, value, expected", [
    ("train: {steps: \"5\"}", '"5"', "train.steps: expected a whole number; got '5'"),
    ("optimizer: {kind: adamw, lr: \"1e-3\"}", '"1e-3"', "optimizer.lr: expected a number; got '1e-3'"),
    ("seed: '3'", "'3'", "seed: expected a whole number; got '3'"),
    ("train: {batch: \"8\"}", '"8"', "train.batch: expected 'full' or a whole number; got '8'"),
    ("optimizer: {kind: adam, betas: [\"0.9\", 0.99]}", '"0.9"', "optimizer.betas[0]: expected a number; got '0.9'"),
    ("regularizers: {weight_decay: {per_layer: [1, \"2\"]}}", '"2"',
     "regularizers.weight_decay.per_layer[1]: expected a number; got '2'"),
])
def test_quoted_numbers_are_text_and_refused_with_a_hint(line, value, expected):
    spec = BASE.replace("train: {steps: 100}\n", "") + line + "\n"
    (d,) = diags(spec)
    assert (d.line, d.col) == at(spec, value[1:]) and d.message == expected
    assert d.hint.startswith("remove the quotes")


def test_quoted_numbers_in_clk_are_refused_too():
    spec = CLK % 'train { steps = "5" }'
    (d,) = diags(spec, "clk")
    assert (d.line, d.col, d.message) == (*at(spec, "5"), "train.steps: expected a whole number; got '5'")


def test_quoted_numbers_in_a_family_axis_are_refused_at_the_value():
    spec = "family: f\nbase:\n" + "".join("  " + ln + "\n" for ln in BASE.splitlines()) + \
        "vary: {grid: {train.steps: [\"50\", 60]}}\n"
    (d,) = diags(spec)
    assert (d.line, d.col) == at(spec, "50") and "member steps=50: train.steps: expected a whole number" in d.message


@pytest.mark.parametrize("line, expected", [
    ("train: {steps: true}", "train.steps: expected a whole number; got true"),
    ("optimizer: {kind: adamw, lr: false}", "optimizer.lr: expected a number; got false"),
    ("model: {kind: mlp, bias: \"yes\"}", "model.bias: expected true or false; got 'yes'"),
    ("model: {kind: mlp, bias: 1}", "model.bias: expected true or false; got 1"),
])
def test_booleans_and_numbers_do_not_stand_in_for_each_other(line, expected):
    spec = BASE.replace("train: {steps: 100}\n", "").replace("model: {kind: mlp, hidden: [4]}\n", "") + line + "\n"
    if not line.startswith("model"):
        spec += "model: {kind: mlp}\n"
    assert [d.message for d in diags(spec)] == [expected]


def test_a_whole_number_written_as_a_float_is_still_a_whole_number():
    spec = clockspec.loads(BASE.replace("steps: 100", "steps: 1e3"), syntax="yaml")
    assert spec.train.steps == 1000 and type(spec.train.steps) is int


# ---- no infinities, no NaN --------------------------------------------------------------

@pytest.mark.parametrize("line, needle, path", [
    ("regularizers: {weight_decay: {strength: .inf}}", ".inf", "regularizers.weight_decay.strength"),
    ("optimizer: {kind: sgd, lr: .nan}", ".nan", "optimizer.lr"),
    ("probes: {every: 10, flip_band: .inf}", ".inf", "probes.flip_band"),
    ("regularizers: {weight_decay: {per_layer: [-.inf, 1]}}", "-.inf", "regularizers.weight_decay.per_layer[0]"),
    ("regularizers: {schatten: {q: 1e400}}", "1e400", "regularizers.schatten.q"),
    ("clocks: {c: {kind: first, metric: train_loss, op: '<=', value: .nan}}", ".nan", "clocks.c.value"),
])
def test_non_finite_numbers_are_refused_where_written(line, needle, path):
    spec = BASE.replace("probes: {every: 10}\n", "") + line + "\n"
    if "probes" not in line:
        spec += "probes: {every: 10}\n"
    got = diags(spec)
    assert [(d.line, d.col) for d in got] == [at(spec, needle)]
    assert got[0].message.startswith(f"{path}: expected a finite number") and "infinity and NaN" in got[0].hint


@pytest.mark.parametrize("clock", ["first train_loss <= 1e400", "settle train_loss within 1e999%"])
def test_a_clock_threshold_must_be_finite(clock):
    spec = BASE + f"clocks: {{c: {clock}}}\n"
    (d,) = diags(spec)
    assert (d.line, d.col) == at(spec, "1e") and "is too large: a clock compares with a finite number" in d.message


@pytest.mark.parametrize("word", ["inf", "nan", "-inf"])
def test_clk_inf_and_nan_are_refused(word):
    spec = CLK % f"regularizer weight_decay {{ strength = {word} }}"
    (d,) = diags(spec, "clk")
    assert (d.line, d.col) == at(spec, word) and "expected a finite number" in d.message


def test_non_finite_in_family_values_and_conditions_is_refused():
    fam = "family: f\nbase:\n" + "".join("  " + ln + "\n" for ln in BASE.splitlines())
    spec = fam + "vary: {random: {n: 2, params: {optimizer.lr: {kind: uniform, low: 0.1, high: .inf}}}}\n"
    (d,) = diags(spec)
    assert (d.line, d.col) == at(spec, ".inf") and "expected a finite number" in d.message
    spec = fam + "vary: {grid: {seed: [1, 2]}}\nexclude: ['seed == 1e400']\n"
    (d,) = diags(spec)
    assert (d.line, d.col) == at(spec, "1e400") and "is too large" in d.message


# ---- sizes whose product no machine holds -------------------------------------------------

def test_a_model_over_the_parameter_limit_is_refused_at_the_field_to_shrink():
    spec = BASE.replace("modulus: 7", "modulus: 4096").replace(
        "{kind: mlp, hidden: [4]}", "{kind: embed_mlp, embed_dim: 64, hidden: [65536, 65536]}")
    got = diags(spec)
    assert [d.message for d in got] == [
        f"the model would have 4,572,188,672 parameters, above the limit of {limits.MAX_PARAMS:,}"]
    assert (got[0].line, got[0].col) in (at(spec, "65536"), at(spec, "65536", 1))  # the 65536 x 65536 layer


def test_deep_linear_depth_times_width_is_blamed_on_the_width():
    spec = BASE.replace("{kind: mlp, hidden: [4]}", "{kind: deep_linear, depth: 64, width: 65536}")
    (d,) = diags(spec)
    assert (d.line, d.col) == at(spec, "65536") and "parameters, above the limit" in d.message


def test_a_dataset_over_the_limit_is_blamed_on_the_task_field_that_makes_it_big():
    spec = BASE.replace("{kind: modular, modulus: 7}", "{kind: teacher, inputs: 65536, train_size: 10000000}") \
        .replace("{kind: mlp, hidden: [4]}", "{kind: deep_linear, width: 2}")
    (d,) = diags(spec)
    assert d.message == ("the dataset would take 2.38 TiB (10,001,024 examples of 65,536 inputs), "
                         "above the limit of 4 GiB")
    assert (d.line, d.col) == at(spec, "65536")
    small = spec.replace("65536", "16")  # 1e7 examples of 16 inputs is fine
    clockspec.compile(clockspec.loads(small, syntax="yaml"))


def test_probe_rows_are_limited():
    spec = BASE.replace("steps: 100", "steps: 100000000").replace("every: 10", "every: 1")
    (d,) = diags(spec)
    line, col = at(spec, "every: 1")
    assert (d.line, d.col) == (line, col + len("every: "))
    assert d.message == "probes every 1 steps over 100,000,000 steps would record 100,000,001 rows, above the limit of 100,000"
    hinted = int(re.search(r"probe every (\d+)", d.hint).group(1))
    clockspec.compile(clockspec.loads(spec.replace("every: 1}", f"every: {hinted}}}"), syntax="yaml"))


def test_a_family_member_too_big_is_an_error_naming_the_member(tmp_path, capsys):
    fam = ("family: f\nbase:\n" + "".join("  " + ln + "\n" for ln in BASE.splitlines())
           + "vary: {grid: {model.hidden: [[4], [65536, 65536]]}}\n")
    (d,) = diags(fam)
    assert (d.line, d.col) == at(fam, "65536") and d.message.startswith("member hidden=[65536,65536]: the model would have")
    path = tmp_path / "f.yaml"
    path.write_text(fam)
    assert main(["check", str(path)]) == 2  # check expands families, so CI sees it
    assert "member hidden=[65536,65536]" in capsys.readouterr().err


def test_a_file_over_the_size_limit_is_not_read_whole(tmp_path):
    big = tmp_path / "big.yaml"
    with open(big, "wb") as f:
        f.truncate(50 * 1024**2)  # sparse: reading it whole would allocate 50 MB
    with pytest.raises(clockspec.SpecError, match="larger than 1,000,000 bytes"):
        clockspec.load(big)


# ---- YAML tags never construct anything ----------------------------------------------------

@pytest.mark.parametrize("tagged", [
    "!!python/object/apply:os.system ['touch {marker}']",
    "!!python/object/apply:subprocess.check_call [[touch, {marker}]]",
    "!!python/name:os.system",
    "!!python/object/new:pathlib.Path ['{marker}']",
    "!touch '{marker}'",
    "!!str '{marker}'",
])
@pytest.mark.parametrize("where", ["description: {v}", "clocks:\n  c: {v}", "task:\n  kind: modular\n  modulus: {v}"])
def test_yaml_tags_are_refused_and_nothing_runs(tmp_path, tagged, where):
    marker = tmp_path / "ran"
    value = tagged.format(marker=marker)
    spec = BASE.replace("task: {kind: modular, modulus: 7}\n", "") + where.format(v=value) + "\n"
    if not where.startswith("task"):
        spec += "task: {kind: modular, modulus: 7}\n"
    got = diags(spec)
    assert [(d.line, d.col) for d in got] == [at(spec, "!")]
    assert got[0].message.startswith("YAML tag '!") and "nothing in a spec is ever constructed or run" in got[0].message
    assert not marker.exists()


# ---- strings that look like code stay text ----------------------------------------------------

HOSTILE = [
    "__import__('os').system('touch {marker}')",
    "eval(open('{marker}', 'w').write('x'))",
    "${{oc.env:HOME}}",
    "{{{{ lipsum.__globals__.os.popen('touch {marker}') }}}}",
    "$(touch {marker})",
    "`touch {marker}`",
    "{{0.__class__.__mro__}}",
    "%(x)s %s {{!r}}",
]


@pytest.fixture
def no_eval(monkeypatch):
    """Fails the test if text it names reaches eval/exec, or anything starts a process.

    Returns the list to put that text in. (eval/exec run code of their own too: module
    imports, dataclass constructors; only spec text in them would be a breach.)
    """
    watched: list[str] = []

    def refusing(real):
        def call(*args, **kwargs):
            source = args[0] if args else ""
            if real is None or (isinstance(source, str) and any(w in source for w in watched)):
                raise AssertionError(f"something tried to execute {source!r}")
            return real(*args, **kwargs)
        return call

    for mod, name, real in ((builtins, "eval", builtins.eval), (builtins, "exec", builtins.exec),
                            (os, "system", None), (os, "popen", None), (subprocess, "Popen", None),
                            (subprocess, "run", None)):
        monkeypatch.setattr(mod, name, refusing(real))
    return watched


@pytest.mark.parametrize("hostile", HOSTILE)
def test_free_text_fields_keep_code_looking_strings_as_inert_text(tmp_path, hostile, no_eval):
    marker = tmp_path / "ran"
    value = hostile.format(marker=marker)
    no_eval.append(value[:20])
    spec = clockspec.loads(BASE + f"description: {_quoted(value)}\ntags: [{_quoted(value[:80])}]\n", syntax="yaml")
    assert spec.description == value and spec.tags == [value[:80]]
    plan = clockspec.compile(spec)
    for syntax in ("yaml", "clk"):
        assert clockspec.loads(clockspec.dumps(spec, syntax), syntax=syntax) == spec
    from clockspec.compiler.drawing import FORMATS
    from clockspec.compiler.explain import explain

    explain(plan)
    for draw in FORMATS.values():
        draw(plan)
    clockspec.diff(spec, clockspec.loads(BASE, syntax="yaml"))
    assert not marker.exists()


@pytest.mark.parametrize("hostile", HOSTILE)
@pytest.mark.parametrize("field", ["name", "clock", "exclude", "device", "name_template", "kind", "metric"])
def test_code_looking_strings_in_structured_fields_are_refused_with_a_position(tmp_path, hostile, field, no_eval):
    marker = tmp_path / "ran"
    value = _quoted(hostile.format(marker=marker))
    no_eval.append(hostile.format(marker=marker)[:20])
    fam = "family: f\nbase:\n" + "".join("  " + ln + "\n" for ln in BASE.splitlines()) + "vary: {grid: {seed: [1, 2]}}\n"
    spec = {
        "name": BASE.replace("name: t", f"name: {value}"),
        "clock": BASE + f"clocks: {{c: {value}}}\n",
        "exclude": fam + f"exclude: [{value}]\n",
        "device": BASE + f"device: {value}\n",
        "name_template": fam + f"name_template: {value}\n",
        "kind": BASE.replace("kind: mlp", f"kind: {value}"),
        "metric": BASE.replace("probes: {every: 10}", f"probes: {{every: 10, metrics: [{value}]}}"),
    }[field]
    got = diags(spec)
    assert got and all(d.line >= 1 and d.col >= 1 for d in got)
    assert got[0].line == at(spec, value)[0]
    assert not marker.exists()


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


# ---- name templates are not Python format strings ----------------------------------------

@pytest.mark.parametrize("template, message", [
    ("{0.__class__}", "'0.__class__' is not a field name"),
    ("x{seed.__class__}", "seed is a value, it has no part '__class__'"),
    ("x{x.__init__.__globals__}", "an experiment has no field 'x'"),
    ("x{__class__}", "an experiment has no field '__class__'"),
    ("x{seed!r}", "'seed!r' is not a field name"),
    ("x{seed[0]}", "'seed[0]' is not a field name"),
    ("x{seed:{seed}}", "'{' cannot be in a name"),
    ("x{seed:>999999999}", "format '>999999999' is not .N followed by f, g or e"),
    ("../x{seed}", "'../' cannot be in a name"),
    ("x{{seed}}", "'{' cannot be in a name"),
])
def test_name_template_refuses_attribute_index_conversion_and_nested_formats(template, message):
    fam = ("family: f\nbase:\n" + "".join("  " + ln + "\n" for ln in BASE.splitlines())
           + f"vary: {{grid: {{seed: [1, 2]}}}}\nname_template: '{template}'\n")
    (d,) = diags(fam)
    assert d.line == at(fam, "name_template")[0] and message in d.message


# ---- names and paths never leave their directory ------------------------------------------------

@pytest.mark.parametrize("name", ["../../etc", "/etc/passwd", "a/b", "..", ".hidden", "x y", "x\\y", "-rf", "a" * 81])
def test_names_that_could_escape_a_directory_are_refused(name):
    spec = BASE.replace("name: t", f"name: {_quoted(name)}")
    (d,) = diags(spec)
    line, col = at(spec, "name: ")
    assert (d.line, d.col) == (line, col + len('name: "'))
    assert "is not a name" in d.message or "at most 80 characters" in d.message


@pytest.mark.parametrize("value", ["../../etc", "/abs/path", "a\\b", "..", "$(rm -rf ~)", "\u202e evil", "CON"])
def test_member_names_made_from_values_are_safe_directory_names(value):
    fam = ("family: f\nbase:\n" + "".join("  " + ln + "\n" for ln in BASE.splitlines())
           + f"vary: {{grid: {{description: [{_quoted(value)}, ok], tags: [[{_quoted(value)}]]}}}}\n")
    members = clockspec.expand(clockspec.loads(fam, syntax="yaml"))
    assert len(members) == 2
    for m in members:
        assert NAME_RE.match(m.name) and ".." not in m.name and "/" not in m.name


@pytest.mark.parametrize("base, message", [
    ("/etc/passwd", "is an absolute path"),
    ("../../../../../../etc/passwd", "is not a spec file"),
    ("../secret/key.pem", "is not a spec file"),
])
def test_a_family_base_is_a_relative_spec_file(tmp_path, base, message):
    (tmp_path / "specs").mkdir()
    fam = tmp_path / "specs" / "f.yaml"
    fam.write_text(f"family: f\nbase: {base}\nvary: {{grid: {{seed: [1, 2]}}}}\n")
    with pytest.raises(clockspec.SpecError) as info:
        clockspec.expand(fam)
    (d,) = info.value.diagnostics
    assert (d.file, d.line, d.col) == (str(fam), 2, 7) and message in d.message


def test_a_relative_base_outside_the_family_folder_still_works(tmp_path):
    (tmp_path / "common").mkdir()
    (tmp_path / "specs").mkdir()
    (tmp_path / "common" / "base.yaml").write_text(BASE)
    fam = tmp_path / "specs" / "f.yaml"
    fam.write_text("family: f\nbase: ../common/base.yaml\nvary: {grid: {seed: [1, 2]}}\n")
    assert [m.spec.seed for m in clockspec.expand(fam)] == [1, 2]


def test_a_base_that_is_not_a_spec_does_not_echo_its_contents(tmp_path):
    (tmp_path / "specs").mkdir()
    (tmp_path / "secret.yaml").write_text("api_key: sk-0123456789abcdef\npassword: hunter2\n")
    fam = tmp_path / "specs" / "f.yaml"
    fam.write_text("family: f\nbase: ../secret.yaml\nvary: {grid: {seed: [1, 2]}}\n")
    with pytest.raises(clockspec.SpecError) as info:
        clockspec.expand(fam)
    shown = "\n".join(d.format() for d in info.value.diagnostics)
    assert "unknown key 'api_key'" in shown and "sk-0123" not in shown and "hunter2" not in shown


# ---- outputs that carry spec text --------------------------------------------------------------

def test_diff_markdown_keeps_hostile_text_inside_its_cell():
    evil = "`` | </td><img src=x onerror=alert(1)> ``\n# heading | [link](http://x)"
    a = clockspec.loads(BASE, syntax="yaml")
    b = clockspec.loads(BASE + f"description: {_quoted(evil)}\n", syntax="yaml")
    md = markdown(clockspec.diff(a, b))
    (row,) = [line for line in md.splitlines() if line.startswith("| ") and "description" in line]
    assert len(re.split(r"(?<!\\)\|", row)) == 6  # | op | path | before | after |: the value did not add cells
    assert not any(line.startswith("# heading") for line in md.splitlines())
    assert "```" in row  # a fence longer than the value's longest run of backticks


@pytest.mark.parametrize("value", ["a`b", "``", "x``` y", "|", "<b>", "\n\n", "`start", "end`", ""])
def test_code_spans_cannot_be_closed_from_inside(value):
    out = code(value)
    fence = re.match(r"`+", out).group(0)
    inner = out[len(fence):-len(fence)]
    assert out.endswith(fence) and "\n" not in out
    assert all(len(run) != len(fence) for run in re.findall(r"`+", inner))
    assert "|" not in inner.replace("\\|", "")


def test_table_text_escapes_every_markdown_mark():
    out = text("[x](javascript:alert(1)) | <img> *b* _i_ `c` # h\n!")
    assert "\n" not in out and re.search(r"(?<!\\)[\[\]()|<>*_`#!]", out) is None


def test_graphs_never_show_free_text():
    evil = 'x"]; evil -> report; ["\n<script>'
    plan = clockspec.compile(clockspec.loads(BASE + f"description: {_quoted(evil)}\ntags: [{_quoted(evil)}]\n",
                                             syntax="yaml"))
    from clockspec.compiler.drawing import to_dot, to_mermaid

    for out in (to_dot(plan), to_mermaid(plan)):
        assert "evil" not in out and "<script>" not in out


@pytest.mark.parametrize("value, cell", [
    ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'), ("+1+cmd", "'+1+cmd"), ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"), ("plain = text", "plain = text"), (-2, -2), (0.5, 0.5),
    (None, "off")])
def test_family_csv_cells_are_never_spreadsheet_formulas(value, cell):
    from clockspec.report.family_table import _cell

    assert _cell(value) == cell
