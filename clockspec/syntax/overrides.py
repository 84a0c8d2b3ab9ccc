"""Command-line overrides: `--set PATH=VALUE` edits a loaded spec, `--grid PATH=V1,V2` makes
an ad-hoc family of it.

PATH is a dotted IR path, as a family varies it; VALUE is read as one YAML flow value with the
spec's own scalar rules (`1e-3` a number, `[256, 256]` a list, `null` removes the part). The
overrides are applied to the spec's IR data in order, as successive edits of the file, then the
result is validated as a whole: an override equals the edited file, hash and all. Every problem
is reported at the argument: `--set:N:COL` is the N-th `--set` option, column COL of its text.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clockspec.core.errors import Diagnostic, SpecError
from clockspec.ir import paths
from clockspec.ir.spec import Experiment
from clockspec.syntax.source import RawDoc
from clockspec.syntax.validate import validate
from clockspec.syntax.yaml_front import parse_yaml

SET, GRID = "--set", "--grid"


@dataclass(frozen=True)
class Override:
    """One `PATH=VALUE` argument, read: where it sits on the command line, and its value's
    source map (parts of the value -> positions in the argument)."""

    option: str
    index: int  # 1-based among the arguments of the same option
    text: str
    path: str
    value: Any
    value_positions: dict[tuple, tuple[int, int]]

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(self.path.split("."))

    def key_position(self, depth: int) -> tuple[int, int]:
        """Where the path's `depth`-th part starts in the argument."""
        return self.index, 1 + sum(len(p) + 1 for p in self.parts[:depth])


def _error(option: str, index: int, col: int, message: str, hint: str | None = None) -> SpecError:
    return SpecError([Diagnostic(message, option, index, col, hint)])


def parse_override(text: str, index: int = 1, option: str = SET) -> Override:
    """`PATH=VALUE` -> Override; `--grid` reads VALUE as the comma-separated list of values."""
    path, eq, value_text = text.partition("=")
    if not eq or not path:
        raise _error(option, index, 1, f"expected PATH=VALUE, got {text!r}",
                     "a dotted IR path, e.g. optimizer.lr=1e-3; PATH=null removes a part")
    if "\n" in text or "\r" in text:
        raise _error(option, index, 1, "an override is one line; it holds a line break")
    if not value_text.strip():
        raise _error(option, index, len(path) + 2, f"'{path}' has no value",
                     "write PATH=null to remove a part or return a field to its default")
    check_path(path, option, index)
    shown = f"[{value_text}]" if option == GRID else value_text
    shift = len(path) + 1 - (1 if option == GRID else 0)
    try:
        doc = parse_yaml(shown, option)
    except SpecError as exc:
        raise SpecError([Diagnostic(d.message, option, index, d.col + shift, d.hint)
                         for d in exc.diagnostics]) from None
    positions = {p: (index, col + shift) for p, (_, col) in doc.positions.items()}
    positions.update({("#key",) + p: (index, col + shift) for p, (_, col) in doc.key_positions.items()})
    if option == GRID and not isinstance(doc.data, list):
        raise _error(option, index, len(path) + 2, f"'{path}' needs a list of values, V1,V2,...")
    return Override(option, index, text, path, doc.data, positions)


def check_path(path: str, option: str = SET, index: int = 1) -> None:
    """SpecError at the first part of `path` that names nothing in the IR."""
    problem = None if path == "name" else paths.path_problem(path)
    if problem:
        at = _bad_part(path)
        raise _error(option, index, 1 + len(".".join(path.split(".")[:at])) + (1 if at else 0), *problem)


def from_python(option: str, path: str, value: Any) -> Override:
    """An override given in Python (`clockspec.run(set={path: value})`): errors name
    `set[path]` without a position."""
    where = f"{option}[{path}]"
    check_path(path, where, 0)
    return Override(where, 0, f"{path}={value!r}", path, value, {})


def _bad_part(path: str) -> int:
    """The index of the first part of `path` that names nothing (for the error's column)."""
    parts = path.split(".")
    for depth in range(1, len(parts) + 1):
        if paths.path_problem(".".join(parts[:depth])):
            return depth - 1
    return 0


def parse_all(texts: list[str] | None, option: str = SET) -> list[Override]:
    """Every argument of one option, read; a path given twice is refused (which would win?)."""
    out: list[Override] = []
    for i, text in enumerate(texts or [], start=1):
        found = parse_override(text, i, option)
        twice = next((o for o in out if o.path == found.path), None)
        if twice:
            raise _error(option, i, 1, f"'{found.path}' is given twice (also {option} number {twice.index})",
                         "give each path once")
        out.append(found)
    return out


def refuse_overlap(sets: list[Override], grids: list[Override]) -> None:
    """A --grid axis that replaces what a --set wrote would silently drop the --set: refused."""
    for grid in grids:
        for one in sets:
            if one.path == grid.path or one.path.startswith(grid.path + "."):
                raise _error(GRID, grid.index, 1, f"'{grid.path}' is varied by this --grid and also set by "
                             f"--set {one.text} (--set number {one.index}), which the grid would replace",
                             "give the path once: drop the --set, or the value from the grid")


def plain(spec: Experiment) -> dict:
    """An experiment as plain data, clocks as their fields so that paths can reach inside them."""
    data = spec.model_dump(mode="json")
    data["clocks"] = {name: clock.model_dump(mode="json") for name, clock in spec.clocks.items()}
    return data


def apply_overrides(spec: Experiment, overrides: list[Override]) -> Experiment:
    """The experiment with every override applied, validated; errors point at the arguments.
    No overrides: the spec itself. (A family's base: see clockspec.families.adhoc.)"""
    if not overrides:
        return spec
    data = plain(spec)
    doc = RawDoc(data, file=overrides[0].option)
    doc.positions[()] = (overrides[0].index, 1)
    for o in overrides:
        try:
            data = paths.assign(data, o.parts, o.value)
        except ValueError as exc:
            raise _error(o.option, o.index, 1, f"'{o.path}': {exc}") from None
        _locate(doc, o)
    doc.data = data
    out = validate(doc)
    origin = spec.task.origin()
    if origin is not None:  # its data files are where the spec's are, not in the working directory
        out.task.anchor(origin)
    return out


def _locate(doc: RawDoc, o: Override) -> None:
    """Send every diagnostic about the overridden part to its argument."""
    for depth in range(1, len(o.parts) + 1):
        doc.key_positions[o.parts[:depth]] = o.key_position(depth - 1)
        doc.positions.setdefault(o.parts[:depth], o.key_position(depth - 1))
    for sub, where in o.value_positions.items():
        if sub[:1] == ("#key",):
            doc.key_positions[o.parts + sub[1:]] = where
        else:
            doc.positions[o.parts + sub] = where
