"""`clockspec plugins`: the installed plugins (docs/extending.md, "As a plugin"), each with its
version and kinds, whether each kind has its runtime piece (and so trains, batched, on the
stacked step) where torch is installed, how it is compiled (from where its family runs in the
step and, for a model, the saving its kind declares), and why a refused plugin was refused."""
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
            print(printable(f"  {family} {kind}: {_trains(plugin, kind, runtime)}; {_compiles(family, kind)}"))
    return 0


# Where each family's kinds run in a training step (runtime/compiled.py compiles the forward,
# the loss and the penalties; the update and the probes run eagerly after it).
OUTSIDE_THE_COMPILED_STEP = {
    "task": "its data is built once, before the step",
    "optimizer": "its update runs eagerly after the compiled step",
    "metric": "it is measured eagerly at probes, outside the step",
}
INSIDE_THE_COMPILED_STEP = {"loss": "it is compiled with the step", "regularizer": "its penalty is compiled with the step"}


def _compiles(family: str, kind: str) -> str:
    if family == "model":
        from clockspec.ir.models import MODELS

        saving = MODELS[kind].compile_saving
        if saving > 0:
            return f"compiled with the step; train.compile: auto compiles it on long runs (it declares a {saving:.0%} saving)"
        return "compiled with the step under train.compile: true; auto leaves it eager (it declares no saving)"
    return (INSIDE_THE_COMPILED_STEP | OUTSIDE_THE_COMPILED_STEP).get(family, "")


def _trains(plugin, kind: str, runtime: bool) -> str:
    if not runtime:
        return "runtime not checked (torch is not installed here)"
    if kind in plugin.runtime_problems:
        return f"refused at run: {plugin.runtime_problems[kind]}"
    return "trains on the stacked step (batched like clockspec's own kinds)"
