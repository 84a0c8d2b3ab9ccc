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

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden" / "compiler"
SOURCES = [ROOT / "specs", ROOT / "tests" / "fixtures" / "compiler"]


def experiments() -> list[Path]:
    found = []
    for folder in SOURCES:
        for path in sorted(folder.glob("*")) if folder.is_dir() else []:
            if path.suffix in (".yaml", ".yml", ".clk") and not _is_family(path):
                found.append(path)
    return found


def _is_family(path: Path) -> bool:
    head = path.read_text(encoding="utf-8")
    return any(line.startswith(("family:", "family ")) for line in head.splitlines())


def golden_path(spec: Path) -> Path:
    origin = "specs" if spec.parent.name == "specs" else "fixture"
    return GOLDEN / f"{origin}-{spec.stem}.plan.json"


@pytest.mark.parametrize("spec", experiments(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_plan_matches_golden(spec):
    if spec.suffix == ".clk":
        pytest.importorskip("clockspec.frontends.clk_front")
    text = json.dumps(clockspec.load(spec).compile().to_json(), indent=2, sort_keys=True) + "\n"
    golden = golden_path(spec)
    if os.environ.get("CLOCKSPEC_REGEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"no golden plan for {spec}; run CLOCKSPEC_REGEN=1 pytest {Path(__file__).name}"
    assert text == golden.read_text(encoding="utf-8")


def test_every_fixture_has_a_golden_and_no_golden_is_stale():
    expected = {golden_path(p).name for p in experiments()}
    assert len(expected) >= 4
    assert {p.name for p in GOLDEN.glob("*.plan.json")} == expected
