"""Families made on the command line: `--set` on a family edits its base (so every member has
the override), `--grid PATH=V1,V2` turns an experiment into a grid family named after the
spec and the axes (`modadd-grid-lr-seed`)."""
from __future__ import annotations

from clockspec.core.errors import Diagnostic, SpecError
from clockspec.families.expand import resolve_base
from clockspec.ir.spec import Experiment, Family
from clockspec.syntax import naming
from clockspec.syntax.overrides import Override, apply_overrides, plain
from clockspec.syntax.provenance import remember_source, source_of
from clockspec.syntax.source import RawDoc
from clockspec.syntax.validate import validate


def with_overrides(spec: Experiment | Family, overrides: list[Override]) -> Experiment | Family:
    """The spec with `--set` applied: an experiment edited, a family's base edited."""
    if not overrides or isinstance(spec, Experiment):
        return apply_overrides(spec, overrides) if isinstance(spec, Experiment) else spec
    base = apply_overrides(resolve_base(spec), overrides)
    edited = spec.model_copy(update={"base": base})
    found = source_of(spec)
    if found:
        remember_source(edited, found[0])  # the family's own values still point into its file
    return edited


def grid_family(spec: Experiment | Family, grids: list[Override]) -> Family:
    """The ad-hoc family of `--grid` axes over an experiment (validated; a bad value is
    reported at its argument when the family expands)."""
    if isinstance(spec, Family):
        raise SpecError([Diagnostic(f"--grid makes a family of an experiment; '{spec.family}' is a family already",
                                    grids[0].option, grids[0].index, 1, "add the axis to the family's vary.grid")])
    keys = naming.short_keys([g.path for g in grids])
    name = naming.fit(f"{spec.name}-grid-" + "-".join(naming.safe(None, k) for k in keys.values()))
    data = {"clockspec": 1, "family": name, "base": plain(spec), "vary": {"grid": {g.path: g.value for g in grids}}}
    doc = RawDoc(data, file=grids[0].option)
    doc.positions[()] = (grids[0].index, 1)
    for g in grids:
        doc.positions[("vary", "grid", g.path)] = doc.key_positions[("vary", "grid", g.path)] = g.key_position(0)
        for sub, where in g.value_positions.items():
            if sub[:1] != ("#key",):
                doc.positions[("vary", "grid", g.path) + sub] = where
    family = validate(doc)
    origin = spec.task.origin()
    if origin is not None:  # the members read the experiment's data files, where it was read from
        family.base.task.anchor(origin)
    return family
