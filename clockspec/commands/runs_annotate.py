"""`clockspec runs ... --tag/--untag/--note/--rm`: annotate or remove the runs a listing
selects (its DIRs and --where), instead of listing them (clockspec.store.annotations)."""
from __future__ import annotations

import argparse
import sys

from clockspec.core.errors import SpecError, argument_error, printable


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--tag", action="append", default=[], metavar="TAG",
                   help="add a tag to each selected run (repeatable; kept in its annotations.json, no hash changes)")
    p.add_argument("--untag", action="append", default=[], metavar="TAG", help="remove a tag added with --tag")
    p.add_argument("--note", metavar="TEXT", help="set each selected run's note (\"\" clears it)")
    p.add_argument("--rm", action="store_true", help="delete the selected run directories (with --yes)")
    p.add_argument("--yes", action="store_true", help="with --rm: do delete (without it, --rm lists what it would)")


def wanted(args) -> bool:
    return bool(args.tag or args.untag or args.note is not None or args.rm)


def apply(args, records: list) -> int:
    """Annotate or remove `records`; one line per run saying what it now is."""
    from clockspec.store.annotations import annotate, remove_run

    if args.rm and (args.tag or args.untag or args.note is not None):
        raise SpecError([argument_error("--rm", "removes runs: it goes with no --tag, --untag or --note")])
    if args.rm and not args.yes:
        for r in records:
            print(f"would remove {printable(str(r.path))}")
        raise SpecError([argument_error("--rm", f"{len(records)} run{'s' if len(records) != 1 else ''} selected; "
                                        "nothing removed", "add --yes to remove them")])
    for r in records:
        try:
            if args.rm:
                remove_run(r.path)
                print(f"removed {printable(str(r.path))}")
                continue
            said = annotate(r.path, args.tag, args.untag, args.note)
        except ValueError as exc:
            raise SpecError([argument_error("--rm" if args.rm else "--tag/--note", str(exc))]) from exc
        note = f"; note: {printable(said.note[:60])}" if said.note else ""
        print(f"{printable(str(r.path))}: tags {printable(', '.join(said.tags)) or '(none)'}{note}", file=sys.stdout)
    return 0
