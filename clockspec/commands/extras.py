"""The optional dependencies some commands need, and the one line that says how to get them.

check, fmt, convert, schema, compile, graph (text formats), explain, expand, ablate and diff
need none of them: a spec can be reviewed, linted and diffed (the pre-commit hooks) where
torch, matplotlib and numpy were never installed. `run` needs torch, matplotlib, tqdm and
numpy (the `run` extra), `report` numpy and matplotlib, `graph --format png` matplotlib,
`--executor ray` ray.
"""
from __future__ import annotations

from importlib.util import find_spec

from clockspec.core.errors import RunError

EXTRA_OF = {"torch": "run", "matplotlib": "run", "tqdm": "run", "numpy": "run", "ray": "ray", "lifelines": "stats"}


def require(command: str, *modules: str) -> None:
    """Refuse `command` up front, before anything is written, when a module it needs is missing."""
    missing = [m for m in modules if find_spec(m) is None]
    if missing:
        raise missing_extra(command, missing)


def missing_extra(command: str, modules: list[str]) -> RunError:
    """`clockspec run: error: needs torch, not installed here; install it with: pip install 'clockspec[run]'`."""
    extras = ",".join(sorted({EXTRA_OF[m] for m in modules}))
    them = "it" if len(modules) == 1 else "them"
    names = modules[0] if len(modules) == 1 else f"{', '.join(modules[:-1])} and {modules[-1]}"
    return RunError(f"needs {names}, not installed here; install {them} with: "
                    f"pip install 'clockspec[{extras}]'", f"clockspec {command}", exit_status=2)


def missing_module(exc: ModuleNotFoundError) -> str | None:
    """The optional dependency an import failed on, or None when it is not one of ours."""
    root = (exc.name or "").split(".")[0]
    return root if root in EXTRA_OF else None
