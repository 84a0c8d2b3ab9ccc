"""`clockspec graph PATH --format dot|mermaid|json`: draw an experiment's pipeline plan."""
from __future__ import annotations


def register(sub) -> None:
    from clockspec.commands.compile import add_memory_limit

    p = sub.add_parser("graph", help="draw the plan: Graphviz dot, Mermaid (for a pull request) or JSON")
    p.add_argument("path", metavar="PATH")
    p.add_argument("--format", choices=("dot", "mermaid", "json"), default="dot")
    add_memory_limit(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from clockspec.commands.compile import compile_path
    from clockspec.compiler.drawing import FORMATS

    print(FORMATS[args.format](compile_path(args)), end="")
    return 0
