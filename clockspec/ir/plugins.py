"""Plugins: task, model, optimizer, loss, regularizer and metric kinds from installed
distributions, without a fork.

A plugin is an installed package. Its entry points in the group `clockspec.kinds` are named
after the kinds it provides and point at the module that registers their IR classes
(torch-free: check, fmt, explain and diff need nothing else); its entry points in
`clockspec.runtime_kinds`, under the same names, at the module that registers their runtime
pieces, imported only by the training step (`clockspec.runtime.kinds`). A spec names a kind,
never a Python path: which code provides it is decided by what is installed, and the plugin's
distribution and version enter the hash of the plan nodes its kinds compute
(`compiler/plan.py`), so upgrading a plugin retrains exactly what it touches.

A plugin that fails to import, registers a name already taken, or registers fewer kinds than
its entry points name is refused as a whole: its partial registrations are taken back, and
each kind it names is recorded as refused in every registry (`Registry.refuse`), so a spec
that names one is told which plugin and why, and every other spec is unaffected.
"""
from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from clockspec.core.registry import Registry

IR_GROUP = "clockspec.kinds"
RUNTIME_GROUP = "clockspec.runtime_kinds"
# A kind's name: plain, or namespaced by its lab (`mylab.res_mlp`) where plain names would
# collide. Metric and regularizer names are keys and dotted paths in a spec
# (`regularizers.NAME.strength`, a metric's parts as `NAME.part`): those stay plain.
KIND_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?")
PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
PLAIN_FAMILIES = ("metric", "regularizer")


@dataclass
class Plugin:
    """One installed distribution's kinds, as one entry-point group found them."""

    dist: str
    version: str
    kinds: dict[str, str]
    """Kind name -> its family ("model", ...); "" for a kind a refused plugin names."""
    problem: str | None = None
    """Why the plugin was refused (None: loaded)."""
    source: str | None = None
    """For an editable install, a hash of its package's .py files: its code changes with no new version."""
    runtime_problems: dict[str, str] = field(default_factory=dict)
    """Kind -> why its runtime piece is missing (filled by the training step's check)."""

    @property
    def identity(self) -> str:
        """`name==version`: what the plan's hashes hold and explain and diff print."""
        return f"{self.dist}=={self.version}" + (f"+source.{self.source}" if self.source else "")


PLUGINS: list[Plugin] = []  # the IR side's, loaded once by clockspec.ir.spec


def load(group: str, registries: Mapping[str, Registry]) -> list[Plugin]:
    """Import every distribution's entry points of `group`, one plugin per distribution."""
    by_dist: dict[tuple[str, str], list[metadata.EntryPoint]] = {}
    for point in metadata.entry_points(group=group):
        dist = point.dist
        by_dist.setdefault((dist.name, dist.version) if dist else (point.module, "unknown"), []).append(point)
    return [_load_one(dist, version, points, registries) for (dist, version), points in sorted(by_dist.items())]


def editable_source(dist: metadata.Distribution | None, points: list[metadata.EntryPoint]) -> str | None:
    """A hash of the .py files of the packages an editable install's entry points name (their
    relative paths and bytes); None for a regular install, whose version names its code."""
    try:
        url = json.loads((dist.read_text("direct_url.json") if dist else None) or "{}")
    except ValueError:
        return None
    if not (isinstance(url, dict) and isinstance(url.get("dir_info"), dict) and url["dir_info"].get("editable")):
        return None
    digest = hashlib.sha256()
    for top in sorted({point.module.split(".")[0] for point in points}):
        found = importlib.util.find_spec(top)
        folders = list(found.submodule_search_locations or []) if found else []
        files = [(Path(folder), path) for folder in folders for path in sorted(Path(folder).rglob("*.py"))]
        if found and not folders and found.origin:  # a single-module plugin
            files = [(Path(found.origin).parent, Path(found.origin))]
        for folder, path in files:
            digest.update(f"{top}/{path.relative_to(folder).as_posix()}".encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def _load_one(dist: str, version: str, points: list[metadata.EntryPoint],
              registries: Mapping[str, Registry]) -> Plugin:
    declared = sorted({point.name for point in points})
    before = {family: set(registry) for family, registry in registries.items()}
    problem = None
    try:
        for module in dict.fromkeys(point.module for point in points):
            importlib.import_module(module)
    except Exception as exc:  # the plugin's own code: whatever it raises refuses it, never clockspec
        problem = f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0]}"
        if str(exc).endswith("registered twice"):  # Registry.add's: the name is taken
            problem += " (a name another kind has: a plugin namespaces its kinds, mylab.name)"
    source = None
    try:
        source = editable_source(points[0].dist, points) if problem is None else None
    except OSError as exc:
        problem = f"its source files cannot be read ({exc.strerror})"
    added = {name: family for family, registry in registries.items() for name in set(registry) - before[family]}
    unregistered = [name for name in declared if name not in added]
    if problem is None and unregistered:
        problem = f"its entry points name {', '.join(unregistered)}, which it does not register"
    if problem is None:
        problem = next(filter(None, (_name_problem(name, family) for name, family in added.items())), None)
    plugin = Plugin(dist, version, {name: added.get(name, "") for name in sorted({*declared, *added})}, problem, source)
    if problem is not None:
        for name, family in added.items():
            registries[family].remove(name)
        for registry in registries.values():
            for name in plugin.kinds:
                registry.refuse(name, f"it comes from the plugin {plugin.identity}, which was refused ({problem})")
    return plugin


def requirement_problem(text: str) -> str | None:
    """Why a spec's `plugins` entry (`clockspec-resmlp==0.1.0`, as pip names a distribution) is
    not met here, with the pip command that meets it; None when the installed one matches."""
    from packaging.requirements import InvalidRequirement, Requirement  # ~17 ms: only for a spec that lists some

    try:
        req = Requirement(text)
    except InvalidRequirement:
        return f"{text!r} is not a distribution and its versions (NAME or NAME==VERSION, as pip writes them)"
    if req.url or req.marker or req.extras:
        return f"{text!r} names more than a distribution and its versions (no URL, extras or markers)"
    try:
        installed = metadata.version(req.name)
    except metadata.PackageNotFoundError:
        return f"the plugin {text} is not installed: pip install '{text}'"
    if not req.specifier.contains(installed, prereleases=True):
        return f"{req.name} {installed} is installed, not {req.specifier}: pip install '{text}'"
    return None


def _name_problem(name: str, family: str) -> str | None:
    """Why a plugin may not register this name, or None."""
    if family in PLAIN_FAMILIES and not PLAIN_NAME.fullmatch(name):
        return (f"its {family} {name!r} is not a plain name (letters, digits, _): a {family}'s name is a key and a "
                "part of dotted paths in a spec; only task, model, optimizer and loss kinds take a namespace (mylab.name)")
    if not KIND_NAME.fullmatch(name):
        return f"its {family} {name!r} is not a kind name (letters, digits, _, and one '.' after a namespace: mylab.name)"
    return None


def load_ir(registries: Mapping[str, Registry]) -> bool:
    """Load the IR side's plugins (once); whether any kind was added (the unions need rebuilding)."""
    PLUGINS[:] = load(IR_GROUP, registries)
    return any(plugin.problem is None and plugin.kinds for plugin in PLUGINS)


def provider(family: str, kind: str) -> Plugin | None:
    """The loaded plugin that provides a kind of a family; None for clockspec's own."""
    return next((p for p in PLUGINS if p.problem is None and p.kinds.get(kind) == family), None)


def identity(family: str, kind: str) -> dict[str, str]:
    """What a plan node computed by a kind adds to its hashed data: nothing for clockspec's own
    kinds (every existing hash stays as it was), `{"plugin": "name==version"}` for a plugin's."""
    plugin = provider(family, kind)
    return {"plugin": plugin.identity} if plugin is not None else {}


def warnings() -> list[str]:
    """One line per refused plugin, for commands to print on stderr."""
    return [f"warning: plugin {p.identity} refused: {p.problem}" for p in PLUGINS if p.problem is not None]


def used_by(spec: object) -> list[str]:
    """`model res_mlp from clockspec-resmlp==0.1.0` for each plugin kind an experiment uses
    (what explain and diff print); none for a family or a spec of clockspec's own kinds."""
    out = []
    for family, kind in _kinds_used(spec):
        plugin = provider(family, kind)
        if plugin is not None:
            out.append(f"{family} {kind} from {plugin.identity}")
    return out


def _kinds_used(spec: object) -> list[tuple[str, str]]:
    """(family, kind) of every kind an experiment names: its task, model and optimizer, its
    loss and regularizers, the metrics it records and its clocks watch."""
    if not hasattr(spec, "probes"):  # a family: its members are experiments
        return []
    used = [(family, getattr(spec, family).kind) for family in ("task", "model", "optimizer")]
    used.append(("loss", spec.train.loss))
    used += [("regularizer", name) for name, reg in spec.regularizers if reg is not None]
    metrics = [*spec.probes.metrics, *(clock.metric for clock in spec.clocks.values())]
    return used + [("metric", name) for name in dict.fromkeys(metrics)]
