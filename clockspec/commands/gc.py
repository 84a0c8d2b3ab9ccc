"""`clockspec gc`: list what in the run store no name needs (objects no view points at, the
checkpoints of finished runs, clock records no view shows), with sizes; `--yes` removes it.
Delete a name with `rm -r runs/NAME-HASH/`; gc then frees its program if no other name
points at it."""
from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("gc", help="list (dry run) or remove, with --yes, what no name in the run store needs")
    p.add_argument("--out", metavar="DIR", help="the run store (default: $CLOCKSPEC_RUNS, else [tool.clockspec] "
                   "runs in the nearest pyproject.toml, else runs/)")
    p.add_argument("--yes", "--delete", dest="yes", action="store_true", help="remove it (default: only list it)")
    p.set_defaults(func=run)


def run(args) -> int:
    from clockspec.report.runs_table import human_size as _size
    from clockspec.store.gc import collect, remove
    from clockspec.store.location import store_location

    store = store_location(args.out)
    found = collect(store)
    freed = 0
    for item in found:
        if args.yes and not remove(store, item):
            print(f"kept     {_size(item.bytes):>9}  {item.path} (taken by a process or a name meanwhile)")
            continue
        freed += item.bytes
        print(f"{'removed' if args.yes else 'garbage'}  {_size(item.bytes):>9}  {item.path} ({item.why})")
    if not found:
        print(f"nothing to remove in {store}")
    elif args.yes:
        print(f"freed {_size(freed)}")
    else:
        print(f"{_size(freed)} in {len(found)} items; remove with clockspec gc --yes")
    return 0


