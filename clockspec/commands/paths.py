"""Command-line PATH arguments that may name a directory: `check` and `fmt` take every spec
file below it, so a pre-commit hook or a CI job can point them at `specs/`."""
from __future__ import annotations

import os
from collections.abc import Iterable

from clockspec.core.errors import Diagnostic, argument_error

SPEC_SUFFIXES = (".yaml", ".yml", ".clk")


def spec_paths(args: Iterable[str]) -> tuple[list[str], list[Diagnostic]]:
    """Each argument as itself, or a directory as the spec files below it (sorted, recursive,
    hidden folders skipped); a directory holding none is an error of its own, not silence."""
    paths: list[str] = []
    errors: list[Diagnostic] = []
    for arg in args:
        if arg == "-" or not os.path.isdir(arg):
            paths.append(arg)
            continue
        found = files_below(arg)
        if not found:
            errors.append(argument_error(arg, f"no spec files ({', '.join('*' + s for s in SPEC_SUFFIXES)}) "
                                              "in this directory or below it"))
        paths.extend(found)
    return paths, errors


def files_below(folder: str) -> list[str]:
    """The spec files under `folder`, sorted; symlinked folders are not followed (no loops)."""
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found += [os.path.join(root, f) for f in files if f.lower().endswith(SPEC_SUFFIXES)]
    return sorted(found)
