"""`clockspec check PATH...`: validate specs (and run the compiler passes on experiments);
report every error with its position. A PATH that is a directory stands for the spec files
below it."""
from __future__ import annotations

import sys

from clockspec.core.errors import Diagnostic, SpecError, printable


def register(sub) -> None:
    p = sub.add_parser("check", help="validate specs; print every error as path:line:col")
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="spec files, or directories: every *.yaml, *.yml, *.clk below them")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing when a file is valid")
    from clockspec.commands.overrides import add_set

    add_set(p, "every spec checked")
    p.add_argument("--dependents", action="store_true",
                   help="also check the families below the current directory whose base is one of PATHs "
                        "(the pre-commit hook passes only the changed files)")
    p.set_defaults(func=run)


def run(args) -> int:
    from clockspec.commands.overrides import overridden
    from clockspec.commands.paths import spec_paths
    from clockspec.ir import plugins
    from clockspec.syntax.loading import load

    paths, errors = spec_paths(args.paths)
    for warning in plugins.warnings():  # a spec that uses a refused plugin's kind fails with its reason
        print(printable(warning), file=sys.stderr)
    if args.dependents:
        from clockspec.commands.dependents import families_based_on

        paths += [f for f in families_based_on(paths) if f not in paths]
    for diag in errors:
        print(diag.format(), file=sys.stderr)
    failed = len(errors)
    shown: set[tuple] = set()  # a base's errors, printed once however many families share it
    for path in paths:
        try:
            spec = overridden(load(path_arg(path)), args)
        except SpecError as exc:
            failed += 1
            report(exc.diagnostics, path, shown)
            continue
        if compile_errors(spec, path, shown):
            failed += 1
            continue
        if not args.quiet:
            what = "family" if hasattr(spec, "family") else "experiment"
            print(f"{printable(path)}: ok ({what} {getattr(spec, 'family', None) or spec.name})")
    return 2 if failed else 0


def report(diagnostics, path: str, shown: set[tuple]) -> None:
    """Print `diagnostics` of the spec at `path`; those of another file (its base) that were
    printed already, by whatever path it was reached, become one line naming this spec."""
    import os

    repeated = []
    for diag in diagnostics:
        key = (os.path.realpath(diag.file), diag.line, diag.col, diag.message, diag.hint)
        if key in shown and diag.file != path:
            repeated.append(os.path.normpath(diag.file))
            continue
        shown.add(key)
        print(diag.format(), file=sys.stderr)
    for base in dict.fromkeys(repeated):
        print(Diagnostic(f"fails through its base {base}, whose errors are above", path, line=0).format(),
              file=sys.stderr)


def compile_errors(spec, path: str = "", shown: set[tuple] | None = None) -> bool:
    """Run the compiler passes on an experiment, or on every member of a family (a member
    too big to run is as wrong as a bad base); print what they find; True on errors."""
    from clockspec.compiler.passes import run_passes
    from clockspec.families.expand import check_family
    from clockspec.ir.spec import Experiment

    try:
        if not isinstance(spec, Experiment):
            check_family(spec)  # keeps no member: flat memory for a family of any size
            return False
        _, diagnostics = run_passes(spec)
    except SpecError as exc:  # a failing member, a malformed CLOCKSPEC_MEMORY_LIMIT
        diagnostics = exc.diagnostics
    report(diagnostics, path, set() if shown is None else shown)
    return any(d.severity == "error" for d in diagnostics)


def path_arg(path: str):
    """Command-line paths are always files, never spec text."""
    from pathlib import Path

    return Path(path)
