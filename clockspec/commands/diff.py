"""`clockspec diff A B [--format text|json|md]`: what changed between two specs, and what must rerun.

A or B may be `REV:path` (read with `git show`), so `clockspec diff HEAD:spec.yaml spec.yaml`
reviews uncommitted edits. Under git it is also a difftool (`git difftool -x 'clockspec diff'`:
two files, the path in BASE and GIT_DIFFTOOL_EXTCMD set) and an external diff driver (`diff.clockspec.command`:
seven arguments); there it reads family bases from the revision (`clockspec.diff.gitsides`),
and exits 0 whatever it found, since git stops on any other status; a side that is no valid
spec is then shown as a plain text diff after a one-line marker.
Exit status otherwise: 0 no change, 1 changes, 2 error.
"""
from __future__ import annotations

import argparse
import os
import sys

DRIVER_ARGS = 5  # after A (the path) and B (the old file): old-hex old-mode new-file new-hex new-mode


def register(sub) -> None:
    p = sub.add_parser("diff", help="semantic diff of two specs (files or REV:path), with the plan nodes it invalidates")
    p.add_argument("a", metavar="A", help="old spec: a file, or REV:path from git")
    p.add_argument("b", metavar="B", nargs="?", help="new spec: a file, or REV:path from git (default: A, so "
                   "that `diff A --set PATH=VALUE` shows what an override changes and invalidates)")
    p.add_argument("git_driver", nargs="*", help=argparse.SUPPRESS)  # git's 7-argument external diff call
    p.add_argument("--format", choices=("text", "json", "md"), default="text",
                   help="text (terminal), json (tools) or md (a review comment)")
    p.add_argument("--no-impact", action="store_true", help="list the changes only; do not compile")
    from clockspec.commands.overrides import add_set

    add_set(p, "B")
    p.set_defaults(func=run)


def run(args) -> int:
    from clockspec.core.errors import SpecError, argument_error

    if args.git_driver and len(args.git_driver) != DRIVER_ARGS:
        raise SpecError([argument_error("diff", "takes two specs A B (or, from git, the 7 arguments of an "
                                                 "external diff driver)")])
    git_sides = _git_sides(args)
    if git_sides is None:
        return _diff_paths(args)
    try:
        return _diff_git(args, *git_sides)
    except SpecError as exc:
        sys.stdout.write(_text_diff(git_sides, exc))
        return 0


def _git_sides(args) -> tuple[str, tuple[str, str | None], tuple[str, str | None]] | None:
    """(repo path, (old file, blob), (new file, blob)) when git called, else None."""
    if args.git_driver:
        old_hex, _, new_file, new_hex, _ = args.git_driver
        return args.a, (args.b, old_hex), (new_file, new_hex)
    env = os.environ
    if env.get("GIT_DIFFTOOL_EXTCMD") and env.get("BASE"):  # git difftool -x: BASE is the path in the repository
        return env["BASE"], (args.a, None), (args.b, None)
    return None


def _diff_paths(args) -> int:
    import tempfile
    from pathlib import Path

    from clockspec.commands.overrides import overridden
    from clockspec.diff.gitrev import load_revision, split_revision
    from clockspec.syntax.loading import load

    with tempfile.TemporaryDirectory(prefix="clockspec-diff-") as scratch:
        sides = []
        b = args.b if args.b is not None else args.a
        for i, arg in enumerate((args.a, b)):
            rev = split_revision(arg)
            if rev is None:
                sides.append((load(Path(arg)), Path(arg).parent))
            else:
                sides.append(load_revision(*rev, Path(scratch) / str(i)))
        (old, dir_a), (new, dir_b) = sides
        label = b if not args.overrides else f"{b} " + " ".join(f"--set {o}" for o in args.overrides)
        return _report(args, [(old, dir_a), (overridden(new, args), dir_b)], (args.a, label), exit_on_change=1)


def _diff_git(args, path: str, old: tuple[str, str | None], new: tuple[str, str | None]) -> int:
    import tempfile
    from pathlib import Path

    from clockspec.diff.gitsides import ABSENT, load_side

    if ABSENT in (old[0], new[0]):
        print(f"clockspec diff: {path}: {'added' if old[0] == ABSENT else 'deleted'}")
        return 0
    with tempfile.TemporaryDirectory(prefix="clockspec-diff-") as scratch:
        sides = [load_side(file, path, blob, Path(scratch) / str(i)) for i, (file, blob) in enumerate((old, new))]
        return _report(args, sides, (f"a/{path}", f"b/{path}"), exit_on_change=0)


def _report(args, sides, labels: tuple[str, str], exit_on_change: int) -> int:
    from clockspec.diff.spec_diff import diff

    (a, dir_a), (b, dir_b) = sides
    result = diff(a, b, base_dir=(dir_a, dir_b), impact=not args.no_impact)
    result.labels = labels
    sys.stdout.write(result.format(args.format))
    return exit_on_change if result else 0


def _text_diff(git_sides, exc) -> str:
    """A side git handed over that is no valid spec: one marker line, then the raw text diff."""
    import difflib

    from clockspec.core.errors import printable

    path, (old, _), (new, _) = git_sides
    first = exc.diagnostics[0]
    marker = (f"# clockspec diff: {printable(path)}: not comparable as specs ({printable(first.format().splitlines()[0])});"
              " the text diff follows\n")
    texts = [_read(f) for f in (old, new)]
    return marker + "".join(difflib.unified_diff(*texts, f"a/{path}", f"b/{path}"))


def _read(file: str) -> list[str]:
    from clockspec.diff.gitsides import ABSENT

    if file == ABSENT:
        return []
    with open(file, encoding="utf-8", errors="replace") as f:
        return f.readlines()
