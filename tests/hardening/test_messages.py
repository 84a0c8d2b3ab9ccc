"""Class 7 of issue 20: messages say what is wrong with the token that is wrong.

Also: the size limits the docs state are the code's (read from the modules).
"""
from pathlib import Path

import pytest

import clockspec
from clockspec.syntax import clk_front, loading, yaml_front

DOCS = Path(__file__).resolve().parents[2] / "docs"
YAML = "name: a\ntask: {{kind: modular, modulus: {m}}}\nmodel: {{kind: embed_mlp}}\ntrain: {{steps: {s}}}\n"
CLK = "experiment a {{\n  task modular {{\n    modulus = {m}\n  }}\n  model embed_mlp {{}}\n  train {{ steps = {s} }}\n}}\n"


def first(text, syntax="yaml"):
    with pytest.raises(clockspec.SpecError) as info:
        clockspec.loads(text, syntax)
    return info.value.diagnostics[0]


def test_an_underscore_number_gets_no_remove_the_quotes_hint():
    d = first(YAML.format(m=97, s="1_000"))
    assert (d.line, d.col) == (4, 16) and "quotes" not in d.hint
    assert d.hint == "write 1000: a number is written without '_' separators"


def test_a_quoted_number_still_gets_remove_the_quotes():
    d = first(YAML.format(m=97, s='"1000"'))
    assert d.hint == "remove the quotes: '1000' is text, 1000 is a number"


def test_yaml_follows_the_documented_core_schema_for_hex_and_octal():
    spec = clockspec.loads(YAML.format(m="0x61", s="0o17"))
    assert (spec.task.modulus, spec.train.steps) == (97, 15)
    assert "`0x1F` and `0o17` are numbers" in (DOCS / "language.md").read_text()


@pytest.mark.parametrize("m,s,at,message,hint", [
    ("0x1F", 10, (3, 15), "'0x1F' is not a .clk number: numbers are decimal", "write 31"),
    ("0o17", 10, (3, 15), "'0o17' is not a .clk number: numbers are decimal", "write 15"),
    (97, "1_000", (6, 19), "'1_000' is not a number", "write 1000: a number is written without '_' separators"),
    ("12abc", 10, (3, 15), "'12abc' is not a number", None),
])
def test_clk_blames_the_number_itself(m, s, at, message, hint):
    d = first(CLK.format(m=m, s=s), "clk")
    assert ((d.line, d.col), d.message, d.hint) == (at, message, hint)


@pytest.mark.parametrize("syntax,template", [("yaml", YAML), ("clk", CLK)])
def test_long_numbers_are_echoed_cut(syntax, template):
    d = first(template.format(m="9" * 39, s=10), syntax)
    assert "expected a whole number in [2, 4096]" in d.message and len(d.message) < 120
    d = first(template.format(m="9" * 1000, s=10), syntax)
    assert "1,000 digits" in d.message and d.message.count("9") < 30


def test_every_doc_states_the_codes_size_limits():
    yaml_limit, clk_limit = f"{yaml_front.MAX_BYTES:,}", f"{clk_front.MAX_BYTES:,}"
    assert max(yaml_front.MAX_BYTES, clk_front.MAX_BYTES) == loading.MAX_READ
    for doc in ("language.md", "hardening.md", "clk.md"):
        text = (DOCS / doc).read_text()
        assert f"{yaml_limit} bytes" in text and f"{clk_limit} bytes" in text, doc
        assert f"{clk_front.MAX_TOKENS:,} tokens" in text, doc


def test_the_size_message_names_the_syntax_and_the_limit():
    d = first(b"name: a\n" + b"#" * yaml_front.MAX_BYTES)  # bytes, as a file is read
    assert d.message.endswith(f"a YAML spec may be at most {yaml_front.MAX_BYTES:,}")
