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
    from clockspec.commands.expand import refine_plan
    from clockspec.compiler.explain import explain

    refined = refine_plan(args.path) if str(args.path).endswith((".yaml", ".yml", ".clk")) else None
    if refined:  # a refine family: what its rounds will do
        print(refined)
        return 0

    print(explain(compile_path(args)), end="")
    return 0
