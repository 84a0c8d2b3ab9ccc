"""Expansion: a family -> its members, each a full, validated experiment with a name.

Order is deterministic: the combinators present compose by product in the order
one_at_a_time, zip, random, grid (the first varies slowest); inside a grid the last axis
varies fastest. Members excluded by a condition are dropped before validation (so an
exclusion can remove a combination that would be invalid); members whose canonical IR is
the same (apart from the name) are merged into the first. A member that fails validation
is reported at the family value that produced it.
"""
from __future__ import annotations

import itertools
import os
import random as _random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

from pydantic import BaseModel, ValidationError

from clockspec.core.errors import Diagnostic, SpecError
from clockspec.families import lattice
from clockspec.ir import paths
from clockspec.ir.spec import Experiment, Family
from clockspec.syntax import naming
from clockspec.syntax.family_rules import Rules, combinator_axes, compile_rules, member_count
from clockspec.syntax.overrides import plain
from clockspec.syntax.provenance import remember_source, source_of
from clockspec.syntax.source import RawDoc

# A base is an experiment file; any other file (a key, a password file) is not read at all.
BASE_SUFFIXES = (".yaml", ".yml", ".clk")
TREE_RULE = ("a base, every link followed, lies in the family's folder, or in the folder that its "
             "leading '../' climb to")
# One varied value: (dotted path, value, where the value is written in the family).
Setting = tuple[str, Any, tuple]


@dataclass(frozen=True)
class Member:
    name: str  # safe: the experiment's IR name and its run directory's name
    spec: Experiment
    assignment: dict[str, Any]  # varied path -> the value set (None: the part removed)
    label: str = ""  # readable: `wd=0.1,seed=2`


@dataclass
class Expansion:
    """Everything `clockspec expand` shows: members and what happened on the way."""

    family: Family
    base: Experiment
    members: list[Member]
    varied: list[str]  # varied paths in composition order
    keys: dict[str, str]  # varied path -> short key (the label's column names)
    excluded: list[str] = field(default_factory=list)  # labels of excluded combinations
    merged: dict[str, list[str]] = field(default_factory=dict)  # member name -> labels merged in
    checked: int = 0  # members checked and not kept (`check_family`)

    @property
    def generated(self) -> int:
        return len(self.members) + self.checked + len(self.excluded) + sum(len(v) for v in self.merged.values())


def expand(family: Union[Family, str, os.PathLike], base_dir: Union[str, os.PathLike, None] = None) -> list[Member]:
    """The members of a family (a Family, or the path of a family file), in order."""
    return expand_family(family, base_dir).members


def expand_family(family: Union[Family, str, os.PathLike],
                  base_dir: Union[str, os.PathLike, None] = None) -> Expansion:
    """The members of a family and what happened on the way (exclusions, merges); every
    failing member is reported at the family value that produced it, grouped by failure."""
    return _expand(_as_family(family), base_dir, keep=True)


def check_family(family: Union[Family, str, os.PathLike], base_dir: Union[str, os.PathLike, None] = None) -> int:
    """Every member validated and checked by the compiler passes, as `expand_family` does
    (the same SpecError), keeping none: memory stays flat however many members there are
    (`clockspec check`). The number of members checked."""
    return _expand(_as_family(family), base_dir, keep=False).generated


def _expand(family: Family, base_dir: Union[str, os.PathLike, None], keep: bool) -> Expansion:
    doc, file, pos = _located(family)
    if family.vary.refine is not None:  # its first round: the coarse grid (clockspec.families.refine)
        return _coarse(family, doc, file, pos, base_dir, keep)
    rules, problems = compile_rules(family)
    if problems:
        raise SpecError([Diagnostic(msg, file, *_shift(pos(p), off), hint) for p, msg, hint, off in problems])
    assert rules is not None
    base = _resolve_base(family, doc, file, pos, base_dir)
    if family.phases is not None:
        lattice.check_clocks(family, base, file, pos(("phases",)))
    base_data = plain(base)
    bad = [] if rules.exclude else _bad_values(family, rules, base_data, doc, file)
    if bad:  # a value no member can take: refused once, not once per member that has it
        raise SpecError(bad)
    found_members = _Members(rules, doc, file, _origin(base, file), base, base_data, keep)
    for settings in _points(family, rules):
        found_members.add(*_apply(base_data, settings))
    if found_members.errors:
        raise SpecError([_counted(group) for group in found_members.errors.values()])
    where = pos(("name_template",)) if family.name_template else pos(("vary",))
    if not keep:
        if (wrong := found_members.misnamed) is not None:  # said as the expansion says it (with its hash, if shared)
            _unique_names([wrong] * min(found_members.names[wrong.name], 2), file, where)
        return Expansion(family, base, [], rules.varied, rules.keys, found_members.excluded, found_members.merged,
                         found_members.checked)
    members = _unique_names(found_members.members, file, where)
    for member, member_doc in zip(members, found_members.docs):
        remember_source(member.spec, member_doc)  # compiling it later points into the family
    return Expansion(family, base, members, rules.varied, rules.keys, found_members.excluded, found_members.merged)


def _coarse(family: Family, doc: RawDoc | None, file: str, pos, base_dir, keep: bool) -> Expansion:
    _, problems = compile_rules(family)
    if problems:
        raise SpecError([Diagnostic(msg, file, *_shift(pos(p), off), hint) for p, msg, hint, off in problems])
    lumpy = lattice.distinct_values(family.vary.refine)
    if lumpy:
        raise SpecError([Diagnostic(lumpy, file, *pos(("vary", "refine", "levels")))])
    base = _resolve_base(family, doc, file, pos, base_dir)
    lattice.check_clocks(family, base, file, pos(("phases",) if family.phases is not None else ("vary", "refine")))
    return _expand(lattice.points_family(family, lattice.coarse(family.vary.refine), base), None, keep)


def _origin(base: Experiment, file: str) -> Path | None:
    """Where the members' files are: the base's folder (its file's, or the family's when the
    base is written inline), None for a family that came from no file."""
    if base.task.origin() is not None:
        return base.task.origin()
    return None if file.startswith("<") else Path(file).resolve().parent


@dataclass
class _Members:
    """The combinations as they are excluded, fail, merge into an equal member or become one."""

    rules: Rules
    doc: RawDoc | None
    file: str
    origin: Path | None  # the folder the members' files are read from: the base's
    base: Experiment
    base_data: dict  # `plain(base)`, which every member's data is a copy of along its varied paths
    keep: bool  # False: check each member and keep none (`check_family`)
    members: list[Member] = field(default_factory=list)
    docs: list[RawDoc] = field(default_factory=list)  # each member's source map into the family
    excluded: list[str] = field(default_factory=list)
    merged: dict[str, list[str]] = field(default_factory=dict)
    errors: dict[tuple, list] = field(default_factory=dict)  # (file, line, col, message) -> [(label, diag)]
    by_ir: dict[str, int] = field(default_factory=dict)  # canonical IR less the name -> member index
    token_cache: dict[int, tuple[str, str]] = field(default_factory=dict)
    checked: int = 0  # members checked and not kept
    names: Counter = field(default_factory=Counter)  # not kept: each name's count
    misnamed: Member | None = None  # not kept: the first member whose name is no name

    def add(self, data: dict, applied: list[Setting]) -> None:
        # the base itself (of a one_at_a_time ablation, with nothing else varied) is `base`
        label = ",".join(self.tokens(s)[0] for s in applied) or "base"
        if any(pred(data) for pred in self.rules.exclude):
            self.excluded.append(label)
            return
        data["name"] = "member"
        spec = self.validated(data, applied, label)
        if spec is None:
            return
        if not self.keep:
            self.checked += 1
            name = self.name(spec, applied)
            self.names[name] += 1
            if self.misnamed is None and not naming.NAME_RE.match(name):  # a hash suffix would not mend it
                self.misnamed = Member(name, spec, {}, label)
            return
        key = spec.model_dump_json(exclude={"name"})
        if key in self.by_ir:
            self.merged.setdefault(self.members[self.by_ir[key]].name, []).append(label)
            return
        self.by_ir[key] = len(self.members)
        self.members.append(Member(self.name(spec, applied), spec, {p: v for p, v, _ in applied}, label))
        self.docs.append(_member_doc(data, applied, self.doc, self.file))

    def validated(self, data: dict, applied: list[Setting], label: str) -> Experiment | None:
        """The member's experiment, or None with its errors recorded. Its source map into
        the family is made only to place an error."""
        try:  # cross-field checks: the compiler passes below
            spec = Experiment.model_validate(_reusing(data, self.base_data, self.base))
        except ValidationError:
            spec = None
        if spec is not None and self.origin is not None:
            spec.task.anchor(self.origin)  # a member reads the base's data files, not the working directory's
        if spec is None:
            problems = _member_errors(_member_doc(data, applied, self.doc, self.file))
        else:
            problems = _compile_errors(spec)
            if problems:
                problems = _compile_errors(spec, _member_doc(data, applied, self.doc, self.file))
        for diag in problems:
            self.errors.setdefault((diag.file, diag.line, diag.col, diag.message), []).append((label, diag))
        return None if problems else spec

    def name(self, spec: Experiment, applied: list[Setting]) -> str:
        if self.rules.template is not None:
            return naming.fit(self.rules.template.render(spec.model_dump(mode="json")))
        return naming.fit("_".join(self.tokens(s)[1] for s in applied) or "base")

    def tokens(self, setting: Setting) -> tuple[str, str]:
        """(`key=value`, `key-value`) of a setting; a setting object is shared by every
        member that has it (random draws excepted), so each is formatted once."""
        got = self.token_cache.get(id(setting))
        if got is None:
            key = self.rules.keys[setting[0]]
            got = self.token_cache[id(setting)] = (f"{key}={naming.readable(setting[1])}",
                                                   f"{key}-{naming.safe(setting[1])}")
        return got


def _as_family(family: Any) -> Family:
    if isinstance(family, Family):
        return family
    if isinstance(family, Experiment):
        raise SpecError(f"'{family.name}' is an experiment, not a family")
    from clockspec.syntax.loading import load

    spec = load(Path(family) if not isinstance(family, os.PathLike) else family)
    if not isinstance(spec, Family):
        raise SpecError([Diagnostic("expected a family (a spec with 'family:' and 'vary:'), "
                                    f"found the experiment '{spec.name}'", str(family))])
    return spec


def _shift(where: tuple[int, int], offset: int) -> tuple[int, int]:
    return where[0], where[1] + offset


def _located(family: Family) -> tuple[RawDoc | None, str, Callable[[tuple], tuple[int, int]]]:
    """The family's source map (None for one built in Python), its file, and a position finder."""
    found = source_of(family)
    doc: RawDoc | None = found[0] if found else None

    def pos(path: tuple) -> tuple[int, int]:
        return doc.pos(path) if doc else (1, 1)

    return doc, doc.file if doc else f"<family {family.family}>", pos


def resolve_base(family: Family, base_dir: Union[str, os.PathLike, None] = None) -> Experiment:
    """The family's base experiment, read from its file if it names one."""
    doc, file, pos = _located(family)
    return _resolve_base(family, doc, file, pos, base_dir)


def _resolve_base(family: Family, doc: RawDoc | None, file: str, pos, base_dir) -> Experiment:
    if isinstance(family.base, Experiment):
        return family.base
    if base_dir is None:
        real = doc is not None and os.path.isfile(doc.file)
        base_dir = Path(doc.file).parent if real else Path.cwd()
    where = (file, *pos(("base",)))
    if os.path.isabs(family.base):
        raise SpecError([Diagnostic(f"base '{family.base}' is an absolute path; a base is relative to the family "
                                    "file, so that the pair can move together", *where)])
    if Path(family.base).suffix.lower() not in BASE_SUFFIXES:
        raise SpecError([Diagnostic(f"base '{family.base}' is not a spec file; a base ends in "
                                    f"{', '.join(BASE_SUFFIXES)}", *where)])
    target = Path(base_dir) / family.base
    _inside_its_tree(family.base, Path(base_dir), target, where)
    if not target.exists():
        raise SpecError([Diagnostic(f"base '{family.base}' not found (looked for {target})", file,
                                    *pos(("base",)), "a base path is relative to the family file")])
    from clockspec.syntax.loading import load

    spec = load(target)
    if not isinstance(spec, Experiment):
        raise SpecError([Diagnostic(f"base '{family.base}' is a family; a base must be an experiment",
                                    file, *pos(("base",)))])
    return spec


def _inside_its_tree(written: str, base_dir: Path, target: Path, where: tuple) -> None:
    """A base, every link followed, must be a spec file inside the folder its written path
    names: the family's folder, or the folder its leading `../`s climb to (`../common/b.yaml`
    may use anything under `..`). A link (git stores them) cannot reach past that, so a pull
    request cannot make CI read `/etc/shadow` through `base: x.yaml`."""
    climbs = Path(os.path.normpath(written)).parts
    root = (base_dir.joinpath(*[p for p in climbs if p == ".."])).resolve()
    real = target.resolve()
    if not real.is_relative_to(root):
        raise SpecError([Diagnostic(f"base '{written}' is a link to a file outside the folder tree a base may "
                                    "come from", *where, TREE_RULE)])
    if real.suffix.lower() not in BASE_SUFFIXES:
        raise SpecError([Diagnostic(f"base '{written}' is a link to a file that is not a spec; a base, "
                                    f"links followed, ends in {', '.join(BASE_SUFFIXES)}", *where)])


def _points(family: Family, rules: Rules) -> Iterator[list[Setting]]:
    """Every combination of settings, in order."""
    factors: list[list[list[Setting]]] = []
    for comb, axes in combinator_axes(family):
        where = ("vary", comb)
        if comb == "grid":  # each axis its own factor: the points are made one at a time, never all kept
            factors += [[[(p, v, where + (p, i))] for i, v in enumerate(vals)] for p, vals in axes.items()]
        elif comb == "zip":
            length = len(next(iter(axes.values())))
            factors.append([[(p, vals[i], where + (p, i)) for p, vals in axes.items()] for i in range(length)])
        elif comb == "one_at_a_time":
            factors.append([[]] + [[(p, v, where + (p, i))] for p, vals in axes.items() for i, v in enumerate(vals)])
        else:
            factors.append(_draws(family))
    for combo in itertools.product(*factors):
        yield [s for settings in combo for s in settings]


# pydantic's own checks of one field's value: no other field (so no other axis) can change them.
_FIELD_ONLY = {"greater_than", "greater_than_equal", "less_than", "less_than_equal", "int_type", "float_type",
               "string_type", "bool_type", "int_from_float", "literal_error", "finite_number", "too_long",
               "too_short", "string_too_long", "string_too_short", "string_pattern_mismatch", "multiple_of"}


def _bad_values(family: Family, rules: Rules, base: dict, doc: RawDoc | None, file: str) -> list[Diagnostic]:
    """Each distinct axis value validated once on the base, alone: one that breaks its own
    field's bounds breaks every member that has it. Without this a grid of 100,000 members
    with one bad value validates (and keeps) every member before it can say so. Only values
    whose path no other axis reaches into or above are judged here; the rest, with every
    cross-field check, are judged per member."""
    varied = [p for _, axes in combinator_axes(family) for p in axes]
    total = member_count(family)
    out: list[Diagnostic] = []
    for comb, axes in combinator_axes(family):
        if comb == "random":
            continue
        share = sum(len(v) for v in axes.values()) + 1 if comb == "one_at_a_time" else None
        for path, values in axes.items():
            if any(o != path and (o.startswith(path + ".") or path.startswith(o + ".")) for o in varied):
                continue
            first: dict[str, int] = {}  # each distinct value -> where it is first written
            times: Counter = Counter()
            for i, value in enumerate(values):
                first.setdefault(repr(value), i)
                times[repr(value)] += 1
            for key, i in first.items():
                members = times[key] * total // (share or len(values))
                out += _bad_alone(base, (path, values[i], ("vary", comb, path, i)), rules, members, doc, file)
    return out


def _bad_alone(base: dict, setting: Setting, rules: Rules, members: int, doc: RawDoc | None,
               file: str) -> list[Diagnostic]:
    data, applied = _apply(base, [setting])
    if not applied:
        return []
    data["name"] = "member"
    try:
        Experiment.model_validate(data)
        return []
    except ValidationError as exc:
        parts = tuple(setting[0].split("."))
        if not all(e["type"] in _FIELD_ONLY and _at_or_under(e["loc"], parts) for e in exc.errors()):
            return []
    label = f"{rules.keys[setting[0]]}={naming.readable(setting[1])}"
    who = f"member {label}" if members == 1 else f"{members:,} members with {label}"
    return [Diagnostic(f"{who}: {d.message}", d.file, d.line, d.col, d.hint)
            for d in _member_errors(_member_doc(data, applied, doc, file))]


def _at_or_under(loc: tuple, parts: tuple) -> bool:
    """Whether pydantic's `loc` (with union tags between the keys) lies at or under `parts`."""
    want = list(parts)
    for part in loc:
        if want and part == want[0]:
            want.pop(0)
        elif want and not isinstance(part, str):
            return False
    return not want


def _draws(family: Family) -> list[list[Setting]]:
    """n draws of every random param, in the order written, from one seeded generator."""
    draws = family.vary.random
    rng = _random.Random(draws.seed)
    out = []
    for _ in range(draws.n):
        row = []
        for path, dist in draws.params.items():
            row.append((path, dist.draw(rng), ("vary", "random", "params", path)))
        out.append(row)
    return out


def _apply(base: dict, settings: list[Setting]) -> tuple[dict, list[Setting]]:
    """Set each value on a copy of the base, shallow paths first; a null on a part wins
    over values set inside it (those settings are dropped from the member)."""
    data = base
    removed: list[str] = []
    applied: list[Setting] = []
    for setting in sorted(settings, key=lambda s: s[0].count(".")):
        path, value, _ = setting
        if any(path.startswith(r + ".") for r in removed):
            continue
        try:
            data = paths.assign(data, tuple(path.split(".")), value)
        except ValueError:
            continue  # the member is invalid; validation says why at this value
        if value is None:
            removed.append(path)
        applied.append(setting)
    order = {id(s): i for i, s in enumerate(settings)}
    applied.sort(key=lambda s: order[id(s)])
    return data, applied


def _reusing(data: dict, base_data: dict, base: Experiment) -> dict:
    """The member's data with each block it shares with the base (the same object: `_apply`
    copies only along the varied paths) given as the base's validated block, which pydantic
    takes as it is instead of validating it again: the member is the same, its cost is that
    of its varied blocks and the cross-field checks."""
    out = dict(data)
    for key, value in data.items():
        block = getattr(base, key, None)
        if value is base_data.get(key) and isinstance(block, BaseModel):
            out[key] = block
    return out


def _member_doc(data: dict, applied: list[Setting], doc: RawDoc | None, file: str) -> RawDoc:
    """The member as a document whose source map sends every varied value back to where
    the family writes it (and everything else to the value most likely to blame)."""
    member = RawDoc(data, file=file)
    # A cross-field error (a removed clock that `stop` still names) is blamed on a removal
    # if the member has one, else on its first varied value.
    blamed = [s for s in applied if s[1] is None] + applied
    fallback = (doc.pos(blamed[0][2] if blamed else ("vary",))) if doc else (1, 1)
    member.positions[()] = fallback
    for path, value, src in applied:
        parts = tuple(path.split("."))
        here = doc.pos(src) if doc else fallback
        member.positions[parts] = member.key_positions[parts] = here
        for sub, _ in _walk(value):
            if doc and src + sub in doc.positions:
                member.positions[parts + sub] = doc.positions[src + sub]
        for i in range(1, len(parts)):
            member.positions.setdefault(parts[:i], here)
    return member


def _member_errors(member: RawDoc) -> list[Diagnostic]:
    """Why a member is invalid, positioned in the family (through `validate`)."""
    from clockspec.syntax.validate import validate

    try:
        validate(member)
    except SpecError as exc:
        return exc.diagnostics
    return [Diagnostic("a varied path runs through a value that has no fields", member.file,
                       *member.positions[()])]


def _compile_errors(spec: Experiment, member: RawDoc | None = None) -> list[Diagnostic]:
    """The compiler's checks (a metric the member's model cannot produce, ...), placed in
    the family by `member` (None: by IR path, enough to know whether there are any)."""
    from clockspec.compiler.passes import run_passes

    _, diagnostics = run_passes(spec, source=(member, ()) if member is not None else None)
    return [d for d in diagnostics if d.severity == "error"]


def _walk(value: Any, prefix: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield prefix + (k,), v
            yield from _walk(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield prefix + (i,), v
            yield from _walk(v, prefix + (i,))


def _counted(group: list[tuple[str, Diagnostic]]) -> Diagnostic:
    """One diagnostic for every member that failed the same way at the same value."""
    label, first = group[0]
    who = f"member {label}" if len(group) == 1 else f"{len(group)} members (first {label})"
    return Diagnostic(f"{who}: {first.message}", first.file, first.line, first.col, first.hint)


def _unique_names(members: list[Member], file: str, where: tuple[int, int]) -> list[Member]:
    """Distinct members that got the same name (a template that omits a varied value,
    rounded random draws) are told apart by a short hash of their IR."""
    counts: dict[str, int] = {}
    for m in members:
        counts[m.name] = counts.get(m.name, 0) + 1
    out = []
    for m in members:
        name = m.name
        if counts[name] > 1:
            name = naming.fit(f"{name[:73]}-{naming.short_hash(m.spec.model_dump(mode='json', exclude={'name'}))}")
        if not naming.NAME_RE.match(name):
            raise SpecError([Diagnostic(f"member {m.label}: name '{name}' must start with a letter",
                                        file, *where, "start the name_template with a letter")])
        out.append(Member(name, m.spec.model_copy(update={"name": name}), m.assignment, m.label))
    return out
