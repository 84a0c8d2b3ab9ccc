"""`clockspec plugins`: the installed plugins (docs/extending.md, "As a plugin"), each with its
version and kinds, whether each kind has its runtime piece (and so trains, batched, on the
stacked step) where torch is installed, and why a refused plugin was refused."""
from __future__ import annotations

from importlib.util import find_spec

from clockspec.core.errors import printable


def register(sub) -> None:
    p = sub.add_parser("plugins", help="list the installed plugins, their versions and kinds")
    p.set_defaults(func=run)


def run(args) -> int:
    import clockspec.ir.spec  # noqa: F401 - loads the plugins' IR side
    from clockspec.ir.plugins import IR_GROUP, PLUGINS

    if not PLUGINS:
        print(f"no plugins installed (none has an entry point in the group '{IR_GROUP}')")
        return 0
    runtime = find_spec("torch") is not None
    if runtime:
        from clockspec.runtime.kinds import refuse_plugin_kinds_without_pieces

        refuse_plugin_kinds_without_pieces()
    for plugin in PLUGINS:
        print(printable(f"{plugin.dist} {plugin.version}" + (f": refused: {plugin.problem}" if plugin.problem else "")))
        for kind, family in plugin.kinds.items() if plugin.problem is None else ():
            print(printable(f"  {family} {kind}: {_trains(plugin, kind, runtime)}"))
    return 0


def _trains(plugin, kind: str, runtime: bool) -> str:
    if not runtime:
        return "runtime not checked (torch is not installed here)"
    if kind in plugin.runtime_problems:
        return f"refused at run: {plugin.runtime_problems[kind]}"
    return "trains on the stacked step (batched like clockspec's own kinds)"
