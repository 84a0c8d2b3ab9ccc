"""`clockspec convert PATH --to yaml|clk`: a spec's canonical text in either syntax.

`--canonical` prints the canonical text in the file's own syntax, without comments: what
`git diff` should compare (`git config diff.clockspec.textconv "clockspec convert --canonical --full"`).
A file that is no valid spec (an old revision, a broken commit) is then printed as it is,
after a one-line marker, with exit 0: a textconv that fails makes `git log -p` die.
"""
from __future__ import annotations

import sys

from clockspec.core.errors import SpecError


def register(sub) -> None:
    p = sub.add_parser("convert", help="print a spec in canonical form, in either syntax")
    p.add_argument("path", metavar="PATH")
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--to", choices=("yaml", "clk"), help="the syntax to print")
    target.add_argument("--canonical", action="store_true", help="the file's own syntax (for git textconv)")
    p.add_argument("-o", "--output", metavar="OUT", help="write here (atomically) instead of stdout")
    p.add_argument("--keep-comments", action="store_true", help="carry the comments over too")
    p.add_argument("--full", action="store_true",
                   help="spell out every value, defaults too (as spec.lock.yaml does); by default they are left out")
    p.set_defaults(func=run)


def run(args) -> int:
    from clockspec.commands.output import emit
    from clockspec.syntax.loading import parse, read_file, syntax_of
    from clockspec.syntax.printing import dumps
    from clockspec.syntax.validate import validate

    raw = read_file(args.path)  # a file that cannot be read is an error, textconv or not
    try:
        doc = parse(raw, args.path, syntax_of(args.path))
        text = dumps(validate(doc), args.to or doc.syntax, comments=doc.comments if args.keep_comments else None,
                     full=args.full)
    except SpecError as exc:
        if not args.canonical or args.output:
            raise
        sys.stdout.write(raw_with_marker(raw, exc))
        return 0
    emit(text, args.output)
    return 0


def raw_with_marker(raw: bytes, exc: SpecError) -> str:
    """The file as written, after one line saying why it is not canonical text."""
    from clockspec.core.errors import printable

    first = exc.diagnostics[0]
    where = f"{first.line}:{first.col}: " if first.line else ""
    return (f"# clockspec: not a valid spec, shown as written ({where}{printable(first.message)})\n"
            + raw.decode("utf-8", "replace"))
