"""Where a run came from, for its `status.json`: the git commit (and whether the tree was
dirty) of the spec's repository, the command line and its overrides.

The command that launches runs works this out once (`declare`) and leaves it in the
environment (CLOCKSPEC_PROVENANCE), so that every worker process of a family, which inherits
the environment, records the same launch; a run started from Python without a command
records the interpreter's own command line and the repository of the current folder.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ENV = "CLOCKSPEC_PROVENANCE"


def git_state(folder: str | os.PathLike) -> dict[str, Any] | None:
    """{"commit", "dirty", "root"} of the repository holding `folder`; None outside one (or without git)."""
    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, timeout=10,
                                  check=False)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return None
    changes = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit.strip(), "dirty": bool(changes and changes.strip()),
            "root": (git("rev-parse", "--show-toplevel") or "").strip()}


def describe_launch(spec_path: str | os.PathLike | None, argv: list[str], overrides: list[str]) -> dict[str, Any]:
    folder = Path(spec_path).resolve().parent if spec_path and Path(spec_path).exists() else Path.cwd()
    return {"command": argv, "overrides": overrides, "spec_file": str(spec_path) if spec_path else None,
            "git": git_state(folder)}


@contextmanager
def declared(spec_path: str | os.PathLike | None, argv: list[str], overrides: list[str]) -> Iterator[None]:
    """This command's launch, recorded by the runs it (and its workers) start inside the block."""
    before = os.environ.get(ENV)
    os.environ[ENV] = json.dumps(describe_launch(spec_path, argv, overrides))
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = before


def launch() -> dict[str, Any]:
    """The launch declared by the command, else this interpreter's."""
    try:
        found = json.loads(os.environ.get(ENV) or "null")
    except ValueError:
        found = None
    if isinstance(found, dict):
        return found
    return describe_launch(None, list(sys.argv), [])
