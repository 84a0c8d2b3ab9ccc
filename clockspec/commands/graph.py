"""`clockspec graph PATH --format dot|mermaid|json|png [-o FILE]`: draw an experiment's pipeline
plan. `png` is drawn by networkx and matplotlib (no Graphviz needed) and goes to a file."""
from __future__ import annotations

TEXT_FORMATS = ("dot", "mermaid", "json")


def register(sub) -> None:
    from clockspec.commands.compile import add_memory_limit
    from clockspec.commands.overrides import add_set

    p = sub.add_parser("graph", help="draw the plan: Graphviz dot, Mermaid (for a pull request), JSON or a PNG")
    p.add_argument("path", metavar="PATH")
    p.add_argument("--format", choices=(*TEXT_FORMATS, "png"), default="dot")
    p.add_argument("-o", "--out", metavar="FILE", help="write to FILE (atomically) instead of stdout; needed for png")
    add_memory_limit(p)
    add_set(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from clockspec.commands.compile import compile_path
    from clockspec.commands.extras import require
    from clockspec.commands.output import emit
    from clockspec.core.errors import SpecError, argument_error

    if args.format == "png" and not args.out:
        raise SpecError([argument_error("--format png", "a PNG is written to a file: add -o FILE")])
    if args.format == "png":
        require("graph --format png", "matplotlib")
    plan = compile_path(args)
    if args.format == "png":
        from clockspec.core.fileio import write_atomic
        from clockspec.report.plan_figure import plan_png

        write_atomic(args.out, plan_png(plan))
    else:
        from clockspec.compiler.drawing import FORMATS

        emit(FORMATS[args.format](plan), args.out)
    return 0
