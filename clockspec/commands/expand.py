"""`clockspec expand FAMILY [-o DIR] [--to yaml|clk] [--list]`: show (or write) a family's
members, in order, with what varies; nothing is run."""
from __future__ import annotations

import sys


def register(sub) -> None:
    p = sub.add_parser("expand", help="list a family's members and what varies; nothing is run")
    p.add_argument("family", metavar="FAMILY")
    p.add_argument("-o", "--out", metavar="DIR", help="write each member as a spec file into DIR")
    p.add_argument("--to", choices=("yaml", "clk"), default="yaml", help="syntax of the written members")
    p.add_argument("--list", action="store_true", help="print only the member names, one a line")
    p.set_defaults(func=run)


def run(args) -> int:
    from pathlib import Path

    from clockspec.families.expand import expand_family
    from clockspec.families.table import member_table, summary

    exp = expand_family(Path(args.family))
    if args.list:
        for m in exp.members:
            print(m.name)
        return 0
    refined = refine_plan(Path(args.family))
    if refined:
        print(refined + "\nits first round:")
    print(summary(exp))
    if exp.members:
        print()
        print(member_table(exp))
    if args.out:
        written = write_members(exp, Path(args.out), args.to)
        print(f"\nwrote {written} member specs to {args.out}/", file=sys.stderr)
    return 0


def refine_plan(path) -> str | None:
    """What a refine family will do (its members are chosen as it runs), or None."""
    from clockspec.families.lattice import describe
    from clockspec.ir.spec import Family
    from clockspec.syntax.loading import load

    spec = load(path)
    return describe(spec) if isinstance(spec, Family) and spec.vary.refine is not None else None


def write_members(exp, out, syntax: str) -> int:
    """Each member as `<name>.<syntax>` in `out`, in the canonical form of that syntax."""
    import clockspec
    from clockspec.core.fileio import write_atomic

    for m in exp.members:
        write_atomic(out / f"{m.name}.{syntax}", clockspec.dumps(m.spec, syntax=syntax))
    return len(exp.members)
