"""Where the run store is: `--out`, else $CLOCKSPEC_RUNS, else `runs` under `[tool.clockspec]`
in the nearest pyproject.toml (relative to that file), else `runs/`.

The nearest pyproject.toml is looked for from the spec's folder up (for `run`), so the same
spec run from another working folder finds its finished run instead of retraining; commands
that read the store (`runs`, `compare`) look from the current folder up.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from clockspec.core.errors import Diagnostic, SpecError, argument_error

ENV = "CLOCKSPEC_RUNS"
DEFAULT = "runs"

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - python 3.10
    import tomli as tomllib


def store_location(out: str | os.PathLike | None = None, start: str | os.PathLike | None = None) -> Path:
    if out:
        return Path(out)
    if os.environ.get(ENV):
        path = Path(os.environ[ENV])
        if path.exists() and not path.is_dir():
            raise SpecError([argument_error(ENV, f"names {path}, which is not a folder",
                                            hint="set it to the run store's folder, or unset it")])
        return path
    configured = _configured(Path(start).resolve() if start else Path.cwd())
    return configured if configured is not None else Path(DEFAULT)


def _configured(folder: Path) -> Path | None:
    """`[tool.clockspec] runs` of the nearest pyproject.toml at or above `folder`."""
    for here in [folder, *folder.parents]:
        project = here / "pyproject.toml"
        if not project.is_file():
            continue
        try:
            table = tomllib.loads(project.read_text(encoding="utf-8")).get("tool", {}).get("clockspec", {})
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise SpecError([Diagnostic(f"cannot read [tool.clockspec]: {exc}", str(project))]) from None
        runs = table.get("runs")
        if runs is None:
            return None  # the nearest project decides, even by saying nothing
        if not isinstance(runs, str) or not runs:
            raise SpecError([Diagnostic("[tool.clockspec] runs must be a folder name (a string)", str(project))])
        return here / runs
    return None
