"""Issue 30: checking a large family costs what its members' checks cost, not what keeping
them does. `check_family` keeps no member (flat memory), and a member's blocks that it
shares with the base are not validated again: both must leave every member, and every
error, exactly as the full expansion has them."""
from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

import clockspec.families.expand as expand_module
from clockspec.core.errors import SpecError
from clockspec.families.expand import check_family, expand_family
from clockspec.syntax.loading import loads

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted(p for p in [*ROOT.glob("specs/*.yaml"), *ROOT.glob("specs/*.clk"), *ROOT.glob("specs/*/*.yaml")]
                 if p.read_text().lstrip().startswith(("family", "#")) and "family" in p.read_text()[:2000])

GRID = """\
family: g
base:
  name: b
  task: {{kind: modular, modulus: 11}}
  model: {{kind: embed_mlp, embed_dim: 8, hidden: [16]}}
  optimizer: {{kind: adamw, lr: 0.01}}
  train: {{steps: 100}}
  probes: {{every: 10}}
  clocks:
    fit: first train_loss <= 0.1
vary:
  grid:
    optimizer.lr: [{lrs}]
    seed: [{seeds}]
"""


def grid(n: int, m: int, lr: str = "0.001"):
    return loads(GRID.format(lrs=", ".join([lr] + [f"0.0{i + 1}" for i in range(n - 1)]),
                             seeds=", ".join(str(i) for i in range(m))))


def families() -> list:
    out = []
    for path in SHIPPED:
        try:
            out.append(pytest.param(path, id=path.name))
        except SpecError:
            continue
    return out


@pytest.mark.parametrize("path", families())
def test_reused_blocks_give_the_members_that_validating_everything_gives(path, monkeypatch):
    from clockspec.compiler.plan import compile as compile_plan
    from clockspec.syntax.loading import load

    spec = load(path)
    if not hasattr(spec, "family") or spec.vary.refine is not None:
        pytest.skip("not a plain family")
    fast = expand_family(spec, path.parent).members
    monkeypatch.setattr(expand_module, "_reusing", lambda data, *_: data)  # every block validated from data
    slow = expand_family(spec, path.parent).members
    assert [m.spec.model_dump_json() for m in fast] == [m.spec.model_dump_json() for m in slow]
    assert [compile_plan(m.spec).train_hash for m in fast[:3]] == [compile_plan(m.spec).train_hash for m in slow[:3]]


def test_check_family_counts_what_expansion_generates():
    family = grid(3, 4)
    assert check_family(family) == expand_family(family).generated == 12


@pytest.mark.parametrize("change", [
    lambda t: t.replace("lr: [", "lr: [-1, "),  # a bad value: refused once, before any member
    lambda t: t.replace("hidden: [16]}", "hidden: [16]}\n  probes: {every: 10, metrics: [attention_entropy]}")
              .replace("  probes: {every: 10}\n", "", 1),  # every member fails a compiler pass
    lambda t: t.replace("family: g\n", "family: g\nname_template: '{seed}x'\n"),  # names from a bad template
])
def test_check_family_fails_exactly_as_expansion_does(change):
    text = change(GRID.format(lrs="0.001, 0.01", seeds="0, 1"))
    with pytest.raises(SpecError) as by_expansion:
        expand_family(loads(text))
    with pytest.raises(SpecError) as by_check:
        check_family(loads(text))
    assert [d.format() for d in by_check.value.diagnostics] == [d.format() for d in by_expansion.value.diagnostics]


def peak(run) -> int:
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_checking_keeps_no_member():
    small, large = grid(5, 20), grid(5, 200)  # 100 and 1,000 members
    check_family(small)  # caches and imports warmed before measuring
    checking = peak(lambda: check_family(large)) - peak(lambda: check_family(small))
    expanding = peak(lambda: expand_family(large)) - peak(lambda: expand_family(small))
    assert checking * 10 < expanding  # what a member leaves behind: its name, against its IR and source map
