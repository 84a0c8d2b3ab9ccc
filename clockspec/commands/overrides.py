"""`--set PATH=VALUE` (run, check, compile, explain, graph, diff) and `--grid PATH=V1,V2` (run):
the options and the one place that applies them to a loaded spec (clockspec.syntax.overrides
says how a value is read)."""
from __future__ import annotations

import argparse


def add_set(p: argparse.ArgumentParser, what: str = "the spec") -> None:
    p.add_argument("--set", action="append", dest="overrides", metavar="PATH=VALUE",
                   help=f"override a value of {what} at a dotted IR path (repeatable; as a family varies it: "
                        "optimizer.lr=1e-3, model.hidden=[256,256]; PATH=null removes a part)")


def add_grid(p: argparse.ArgumentParser) -> None:
    p.add_argument("--grid", action="append", dest="grids", metavar="PATH=V1,V2,...",
                   help="run a grid over these values (repeatable: the product of the axes), as an ad-hoc family "
                        "named after the spec and the axes")


def overridden(spec, args):
    """The spec with the command's --set (and, for run, --grid) applied; errors name the argument."""
    from clockspec.families.adhoc import grid_family, with_overrides
    from clockspec.syntax.overrides import GRID, SET, parse_all, refuse_overlap

    sets = parse_all(getattr(args, "overrides", None), SET)
    grids = parse_all(getattr(args, "grids", None), GRID)
    refuse_overlap(sets, grids)
    spec = with_overrides(spec, sets)
    return grid_family(spec, grids) if grids else spec


def load_overridden(path: str, args):
    from pathlib import Path

    from clockspec.syntax.loading import load

    return overridden(load(Path(path)), args)
