"""`clockspec diff A B [--format text|json|md]`: what changed between two specs, and what must rerun.

A or B may be `REV:path` (read with `git show`), so `clockspec diff HEAD:spec.yaml spec.yaml`
reviews uncommitted edits; as `git difftool -x 'clockspec diff'` it gets two files.
Exit status: 0 no change, 1 changes, 2 error.
"""
from __future__ import annotations

import sys


def register(sub) -> None:
    p = sub.add_parser("diff", help="semantic diff of two specs (files or REV:path), with the plan nodes it invalidates")
    p.add_argument("a", metavar="A", help="old spec: a file, or REV:path from git")
    p.add_argument("b", metavar="B", nargs="?", help="new spec: a file, or REV:path from git (default: A, so "
                   "that `diff A --set PATH=VALUE` shows what an override changes and invalidates)")
    p.add_argument("--format", choices=("text", "json", "md"), default="text",
                   help="text (terminal), json (tools) or md (a review comment)")
    p.add_argument("--no-impact", action="store_true", help="list the changes only; do not compile")
    from clockspec.commands.overrides import add_set

    add_set(p, "B")
    p.set_defaults(func=run)


def run(args) -> int:
    import tempfile
    from pathlib import Path

    from clockspec.commands.overrides import overridden
    from clockspec.diff.gitrev import load_revision, split_revision
    from clockspec.diff.spec_diff import diff
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
        result = diff(old, overridden(new, args), base_dir=(dir_a, dir_b), impact=not args.no_impact)
    result.labels = (args.a, b if not args.overrides else f"{b} " + " ".join(f"--set {o}" for o in args.overrides))
    sys.stdout.write(result.format(args.format))
    return 1 if result else 0
