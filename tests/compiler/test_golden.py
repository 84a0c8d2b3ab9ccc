"""Golden plans: each example spec (specs/) and compiler fixture compiles to exactly the
recorded plan JSON, hashes included, so a change of hashing or of a derived fact shows up
in review. Regenerate after a deliberate change with:

    CLOCKSPEC_REGEN=1 python -m pytest -q tests/compiler/test_golden.py

A `.yaml` and a `.clk` of the same name share one golden file (they must mean the same).
"""
import json
import os
from pathlib import Path

import pytest

import clockspec
import shipped

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden" / "compiler"
FIXTURES = ROOT / "tests" / "fixtures" / "compiler"


def experiments() -> list[Path]:
    """The shipped top-level experiments (a fixed list: a user's own spec needs no golden) and
    every compiler fixture."""
    shipped_specs = [p for p in shipped.ALL if p.parent == shipped.SPECS_DIR]
    fixtures = sorted(p for p in FIXTURES.glob("*") if p.suffix in (".yaml", ".yml", ".clk"))
    return [p for p in shipped_specs + fixtures if not shipped.is_family(p)]


def golden_path(spec: Path) -> Path:
    origin = "specs" if spec.parent.name == "specs" else "fixture"
    return GOLDEN / f"{origin}-{spec.stem}.plan.json"


@pytest.mark.parametrize("spec", experiments(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_plan_matches_golden(spec):
    text = json.dumps(clockspec.load(spec).compile().to_json(), indent=2, sort_keys=True) + "\n"
    golden = golden_path(spec)
    if os.environ.get("CLOCKSPEC_REGEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"no golden plan for {spec}; run CLOCKSPEC_REGEN=1 pytest {Path(__file__).name}"
    assert text == golden.read_text(encoding="utf-8")


def test_every_fixture_has_a_golden_and_no_golden_is_stale():
    expected = {golden_path(p).name for p in experiments()}
    assert len(expected) >= 4
    assert {p.name for p in GOLDEN.glob("*.plan.json")} == expected
