"""`clockspec migrate`: convert a run store of the previous layout (each run directory holding
its own training files) into this one, once: each run moves into the object of its train
hash and its folder becomes a view onto it; a duplicate of a program already stored keeps
only its name. Nothing is retrained. (`clockspec run` converts the one folder it needs.)"""
from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("migrate", help="convert a run store of the previous layout (nothing is retrained)")
    p.add_argument("--out", metavar="DIR", help="the run store (default: $CLOCKSPEC_RUNS, else [tool.clockspec] "
                   "runs in the nearest pyproject.toml, else runs/)")
    p.set_defaults(func=run)


def run(args) -> int:
    from clockspec.store.location import store_location
    from clockspec.store.migrate import adopt, legacy_runs

    store = store_location(args.out)
    found = legacy_runs(store) if store.is_dir() else []
    for folder in found:
        said = adopt(folder, store)
        print(said or f"{folder}: left as it is (its status.json names no train hash)")
    print(f"{len(found)} run directories of the previous layout in {store}" if found else f"nothing to migrate in {store}")
    return 0
