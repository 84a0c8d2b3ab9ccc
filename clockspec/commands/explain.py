"""`clockspec explain PATH`: a plain-language page about an experiment, for a reviewer."""
from __future__ import annotations


def register(sub) -> None:
    from clockspec.commands.argtypes import positive
    from clockspec.commands.compile import add_memory_limit
    from clockspec.commands.overrides import add_set

    p = sub.add_parser("explain", help="say in plain language what an experiment trains, measures and costs "
                       "(a family: how its members will run)")
    p.add_argument("path", metavar="PATH")
    p.add_argument("--jobs", type=positive, metavar="N", help="a family's slots, as `clockspec run --jobs` "
                   "(default: one per core)")
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
    family = _family(args)
    if family is not None:
        print(family, end="")
        return 0
    print(explain(compile_path(args)), end="")
    return 0


def _family(args) -> str | None:
    """A family's strategy (clockspec/orchestrate/strategy.py), or None for an experiment."""
    from clockspec.commands.overrides import load_overridden
    from clockspec.ir.spec import Family

    spec = load_overridden(args.path, args)
    if not isinstance(spec, Family):
        return None
    from clockspec.families.expand import expand_family
    from clockspec.orchestrate import execute, strategy

    return strategy.explain(expand_family(spec), args.jobs or execute.default_jobs())
