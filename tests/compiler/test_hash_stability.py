"""The hashes are a property of what the spec means, not of how or where it was written."""
import json
import os
import subprocess
import sys

import pytest
import yaml

import clockspec
import shipped
from clockspec.syntax.clk_front import parse_clk
from clockspec.syntax.clk_printer import dump_clk
from clockspec.syntax.validate import validate


def all_hashes(spec) -> dict[str, str]:
    return {n: node.hash for n, node in clockspec.compile(spec).nodes.items()}


def reversed_keys(value):
    if isinstance(value, dict):
        return {k: reversed_keys(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [reversed_keys(v) for v in value]
    return value


@pytest.mark.parametrize("seed", ["0", "1", "4242"])
def test_same_hashes_in_another_process_with_another_hash_seed(spec_tools, grokking, seed):
    text = yaml.safe_dump(grokking)
    code = ("import json, clockspec; p = clockspec.loads(" + repr(text) + ").compile(); "
            "print(json.dumps({n: x.hash for n, x in p.nodes.items()}))")
    env = dict(os.environ, PYTHONHASHSEED=seed)
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True)
    assert json.loads(out.stdout) == spec_tools.hashes(grokking)


def test_key_order_does_not_matter(spec_tools, grokking, deep_linear):
    for data in (grokking, deep_linear):
        assert spec_tools.hashes(reversed_keys(data)) == spec_tools.hashes(data)


def test_defaults_written_explicitly_do_not_matter(spec_tools, grokking, deep_linear):
    for data in (grokking, deep_linear):
        full = spec_tools.load_data(data).model_dump(mode="json")  # every default spelled out
        assert len(yaml.safe_dump(full)) > len(yaml.safe_dump(data))
        assert spec_tools.hashes(full) == spec_tools.hashes(data)


def test_number_spelling_does_not_matter(spec_tools, grokking):
    text = yaml.safe_dump(grokking)
    respelled = text.replace("strength: 1.0", "strength: 1").replace("lr: 0.001", "lr: 1.0e-03")
    assert respelled != text
    assert all_hashes(clockspec.loads(respelled)) == spec_tools.hashes(grokking)


def test_yaml_and_clk_of_the_same_spec_hash_the_same(spec_tools, grokking, deep_linear):
    for data in (grokking, deep_linear):
        spec = spec_tools.load_data(data)
        clk_text = dump_clk(spec)
        assert all_hashes(validate(parse_clk(clk_text, "x.clk"))) == all_hashes(spec)


def _example_pairs():
    """Shipped experiments written in both syntaxes (families are compared member by member in
    the family tests)."""
    return [p for p in shipped.top(".clk") if p.with_suffix(".yaml") in shipped.ALL and not shipped.is_family(p)]


@pytest.mark.parametrize("clk", _example_pairs(), ids=lambda p: p.stem)
def test_example_spec_in_both_syntaxes_hashes_the_same(clk):
    a, b = clockspec.load(clk), clockspec.load(clk.with_suffix(".yaml"))
    assert all_hashes(a) == all_hashes(b)
