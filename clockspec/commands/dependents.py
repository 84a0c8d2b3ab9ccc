"""The families whose `base:` is one of some changed files: pre-commit passes `check` only the
files a commit changes, and a change to a base can break a family that was not touched."""
from __future__ import annotations

import os
from collections.abc import Iterable

from clockspec.commands.paths import files_below
from clockspec.core.errors import SpecError


def families_based_on(changed: Iterable[str], root: str = ".") -> list[str]:
    """Family files below `root` (sorted, hidden folders skipped) whose base file is one of
    `changed`, the changed files themselves left out (they are checked as they are)."""
    targets = {os.path.realpath(p) for p in changed if p != "-" and os.path.isfile(p)}
    found = []
    for path in files_below(root):
        base = _base_of(path)
        if base is None or os.path.realpath(path) in targets:
            continue
        if os.path.realpath(os.path.join(os.path.dirname(path), base)) in targets:
            found.append(os.path.normpath(path))
    return found


def _base_of(path: str) -> str | None:
    """The `base:` path a family file names, or None: not a family, an inline base, or a
    file that does not parse (not this check's business unless it was changed itself)."""
    from clockspec.syntax.loading import parse, read_file, syntax_of

    try:
        raw = read_file(path)
        if b"family" not in raw or b"base" not in raw:  # most files: no parse needed
            return None
        data = parse(raw, path, syntax_of(path)).data
    except (SpecError, OSError):
        return None
    if isinstance(data, dict) and "family" in data and isinstance(data.get("base"), str):
        return data["base"]
    return None
