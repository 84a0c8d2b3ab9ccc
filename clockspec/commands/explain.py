"""`clockspec explain PATH`: a plain-language page about an experiment, for a reviewer."""
from __future__ import annotations


def register(sub) -> None:
    from clockspec.commands.compile import add_memory_limit
    from clockspec.commands.overrides import add_set

    p = sub.add_parser("explain", help="say in plain language what an experiment trains, measures and costs")
    p.add_argument("path", metavar="PATH")
    add_memory_limit(p)
    add_set(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from clockspec.commands.compile import compile_path
    from clockspec.compiler.explain import explain

    print(explain(compile_path(args)), end="")
    return 0
