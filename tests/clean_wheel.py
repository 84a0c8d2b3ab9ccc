"""The packaging tests' wheel and venv: clockspec's wheel built from a clean copy of the checkout
(a stale build/ folder in it would hide a package missing from the wheel), and an empty venv
without pip, which sees nothing of the base interpreter."""
from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def wheel_and_venv(tmp: Path, call: Callable[..., object]) -> tuple[Path, Path]:
    """(the wheel, the venv's folder), made under `tmp` with `call(*command)`."""
    clean = tmp / "src"
    shutil.copytree(ROOT, clean, ignore=shutil.ignore_patterns(
        "build", "dist", ".venv", "*.egg-info", "__pycache__", ".git", ".hypothesis", ".pytest_cache", "runs"))
    call(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", tmp / "dist", clean)
    wheel, = (tmp / "dist").glob("clockspec-*.whl")
    venv = tmp / "venv"
    call(sys.executable, "-m", "venv", "--without-pip", venv)
    return wheel, venv
