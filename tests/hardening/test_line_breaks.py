"""Class 6 of issue 20: both front ends count lines as editors do (`\\n`, `\\r\\n`, `\\r`).

PyYAML also breaks lines at U+2028, U+2029 and U+0085; its marks are mapped back through
their character offset, so an error after one points at the line an editor shows.
"""
import pytest

import clockspec

SPEC = "name: a\ntask: {kind: modular}\nmodel: {kind: embed_mlp}\n"
CLK = "experiment a {\n  task modular {}\n  model embed_mlp {}\n}\n"


def where(text, syntax="yaml"):
    with pytest.raises(clockspec.SpecError) as info:
        clockspec.loads(text, syntax)
    d = info.value.diagnostics[0]
    return d.line, d.col


@pytest.mark.parametrize("char", ["\u2028", "\u2029", "\x85"])
@pytest.mark.parametrize("bad,at", [("seed: -1\n", (3, 7)), ("seed: [\n", None), ("a: b: c\n", (3, 5)),
                                    ("seed: 1\x1b\n", (3, 8)), ("seed: &x 1\n", (3, 7))])
def test_yaml_errors_after_a_unicode_break_point_at_the_editors_line(char, bad, at):
    text = f"name: a\ndescription: \"one{char}two\"\n" + bad + "task: {kind: modular}\nmodel: {kind: embed_mlp}\n"
    assert where(text) == where(text.replace(char, " "))  # where it is without the character
    assert at is None or where(text) == at


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_yaml_counts_every_editor_line_break(newline):
    text = SPEC.replace("\n", newline) + f"seed: -1{newline}"
    assert where(text) == (4, 7)
    assert where(f"name: a{newline}{newline}seed: 1\x1b{newline}") == (3, 8)  # the control-character error


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_clk_counts_every_editor_line_break(newline):
    text = CLK.replace("}\n}", "}\n  seed = -1\n}").replace("\n", newline)
    assert where(text, "clk") == (4, 10)
    assert where(f"experiment a {{{newline}{newline}  seed = ;{newline}}}", "clk") == (3, 10)


def test_clk_does_not_break_lines_at_unicode_separators():
    text = "experiment a {\n  description = \"one\u2028two\"\n  seed = -1\n  task modular {}\n  model embed_mlp {}\n}\n"
    assert where(text, "clk") == (3, 10)


def test_comments_after_a_unicode_break_stay_with_their_entries():
    doc = clockspec.syntax.loading.parse('name: "a\u2028b" # n\nseed: 1 # s\n', "c.yaml", "yaml")
    assert doc.comments == {("name", "#eol"): [" n"], ("seed", "#eol"): [" s"]}
    assert doc.key_positions[("seed",)] == (2, 1)


def test_invalid_utf8_after_a_lone_cr_points_at_the_editors_line():
    with pytest.raises(clockspec.SpecError) as info:
        clockspec.syntax.loading.parse(b"name: a\rseed: 1\r  x: caf\xc3\x28\r", "u.yaml", "yaml")
    d = info.value.diagnostics[0]
    assert (d.line, d.col) == (3, 9)
