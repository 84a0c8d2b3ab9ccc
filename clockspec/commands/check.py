"""`clockspec check PATH...`: validate specs and report every error with its position."""
from __future__ import annotations

import sys

from ..errors import SpecError


def register(sub) -> None:
    p = sub.add_parser("check", help="validate specs; print every error as path:line:col")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing when a file is valid")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..loading import load

    failed = 0
    for path in args.paths:
        try:
            spec = load(path_arg(path))
        except SpecError as exc:
            failed += 1
            for diag in exc.diagnostics:
                print(diag.format(), file=sys.stderr)
            continue
        if not args.quiet:
            what = "family" if hasattr(spec, "family") else "experiment"
            print(f"{path}: ok ({what} {getattr(spec, 'family', None) or spec.name})")
    return 2 if failed else 0


def path_arg(path: str):
    """Command-line paths are always files, never spec text."""
    from pathlib import Path

    return Path(path)
