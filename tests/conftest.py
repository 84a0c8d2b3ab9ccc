"""Shared test fixtures.

Golden files live under tests/golden/<area>/ (and beside the error corpus); after
reviewing an intended change, regenerate them with `CLOCKSPEC_REGEN=1 python -m pytest -q`.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# CI replays the same examples every run (a red main must mean a change broke something, not
# that a random draw found an old bug); locally, property tests explore afresh each run.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


def _check_golden(path: Path, actual: str) -> None:
    if os.environ.get("CLOCKSPEC_REGEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    assert path.exists(), f"missing golden file {path}; run with CLOCKSPEC_REGEN=1 to create it"
    assert actual == path.read_text(encoding="utf-8"), f"{path} differs (CLOCKSPEC_REGEN=1 rewrites it)"


@pytest.fixture
def golden():
    """`golden(path, text)`: assert text equals the golden file (or rewrite it when regenerating)."""
    return _check_golden
