"""`clockspec convert PATH --to yaml|clk`: a spec's canonical text in either syntax.

`--canonical` prints the canonical text in the file's own syntax, without comments: what
`git diff` should compare (`git config diff.clockspec.textconv "clockspec convert --canonical"`).
"""
from __future__ import annotations


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
    from clockspec.commands.check import path_arg
    from clockspec.commands.output import emit
    from clockspec.syntax.loading import load_doc
    from clockspec.syntax.printing import dumps
    from clockspec.syntax.validate import validate

    doc = load_doc(path_arg(args.path))
    text = dumps(validate(doc), args.to or doc.syntax, comments=doc.comments if args.keep_comments else None,
                 full=args.full)
    emit(text, args.output)
    return 0
