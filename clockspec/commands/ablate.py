"""`clockspec ablate SPEC [-o FAMILY] [--seeds N] [--only PATHS]`: write the one-at-a-time
ablation family of an experiment (see clockspec/families/ablate.py for the axes)."""
from __future__ import annotations

import sys


def register(sub) -> None:
    p = sub.add_parser("ablate", help="write a one-at-a-time ablation family around an experiment")
    p.add_argument("spec", metavar="SPEC", help="the experiment to ablate")
    p.add_argument("-o", "--out", metavar="FAMILY",
                   help="the family file to write (.yaml or .clk); default: print it")
    p.add_argument("--seeds", type=int, default=3, metavar="N", help="seeds crossed with every axis (default 3)")
    p.add_argument("--only", metavar="PATHS",
                   help="comma-separated paths (or prefixes, e.g. regularizers,optimizer.lr) to vary")
    p.set_defaults(func=run)


def run(args) -> int:
    import os
    from pathlib import Path

    import clockspec
    from clockspec.commands.output import emit
    from clockspec.core.errors import Diagnostic, SpecError
    from clockspec.families.ablate import ablation
    from clockspec.families.expand import expand
    from clockspec.ir.spec import Experiment
    from clockspec.syntax.source import RawDoc
    from clockspec.syntax.validate import validate

    spec = clockspec.load(Path(args.spec))
    if not isinstance(spec, Experiment):
        raise SpecError([Diagnostic("ablate takes an experiment, not a family", args.spec)])
    if args.seeds < 1:
        raise SpecError([Diagnostic("--seeds must be at least 1", "--seeds")])
    out = Path(args.out) if args.out else None
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
    base_ref = os.path.relpath(Path(args.spec).resolve(), (out.parent if out else Path.cwd()).resolve())
    only = [p.strip() for p in args.only.split(",") if p.strip()] if args.only else None
    data, comments = ablation(spec, Path(base_ref).as_posix(), args.seeds, only)
    family = validate(RawDoc(data, file=str(out or "<ablation>")))
    members = expand(family, base_dir=out.parent if out else Path.cwd())
    syntax = "clk" if out is not None and out.suffix == ".clk" else "yaml"
    text = clockspec.dumps(family, syntax, comments)
    emit(text, out)
    print(f"{family.family}: {len(members)} members; review with `clockspec expand {out or 'FAMILY'}`",
          file=sys.stderr)
    return 0
