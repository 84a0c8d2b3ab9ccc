"""`clockspec fmt [--check] PATH...`: rewrite specs canonically, keeping their comments; a PATH
that is a directory stands for the spec files below it."""
from __future__ import annotations

import sys


def register(sub) -> None:
    p = sub.add_parser("fmt", help="rewrite specs in canonical form, in their own syntax, keeping comments")
    p.add_argument("paths", nargs="+", metavar="PATH", help="spec files or directories (every *.yaml, *.yml, *.clk below them); '-' formats stdin to stdout")
    p.add_argument("--check", action="store_true",
                   help="change nothing; list the files that would change and exit 1 if any")
    p.add_argument("--syntax", choices=("yaml", "clk"), default="yaml", help="syntax of stdin (default yaml)")
    p.set_defaults(func=run)


def run(args) -> int:
    from clockspec.commands.paths import spec_paths
    from clockspec.core.errors import SpecError
    from clockspec.core.fileio import write_atomic
    from clockspec.syntax.loading import parse, read_file, syntax_of
    from clockspec.syntax.printing import dumps
    from clockspec.syntax.validate import validate

    paths, errors = spec_paths(args.paths)
    for diag in errors:
        print(diag.format(), file=sys.stderr)
    status = 2 if errors else 0
    for path in paths:
        try:
            if path == "-":
                raw, syntax = sys.stdin.buffer.read(), args.syntax
            else:
                raw, syntax = read_file(path), syntax_of(path)
            doc = parse(raw, "<stdin>" if path == "-" else path, syntax)
            text = dumps(validate(doc), doc.syntax, comments=doc.comments)
        except SpecError as exc:
            for diag in exc.diagnostics:
                print(diag.format(), file=sys.stderr)
            status = 2
            continue
        if path == "-":
            sys.stdout.write(text)
        elif text != raw.decode("utf-8"):
            if args.check:
                print(f"would reformat {path}")
                status = max(status, 1)
            else:
                write_atomic(path, text)
                print(f"reformatted {path}")
    return status
