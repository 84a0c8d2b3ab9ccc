"""What a person says about a run after it ran: tags and a note (`runs --tag/--untag/--note`),
kept in the run directory's `annotations.json`, apart from the spec (which names the run's
computation: a tag added later changes no hash) and kept when the run is retrained; and
removing a run directory (`runs --rm`)."""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from clockspec.core.fileio import read_json, write_atomic
from clockspec.store.lock import held
from clockspec.store.objects import VIEW, data_dir
from clockspec.store.rundir import STATUS

ANNOTATIONS = "annotations.json"
MAX_TAG, MAX_NOTE = 80, 10_000  # as a spec's tags and description


@dataclass
class Annotations:
    tags: list[str] = field(default_factory=list)
    note: str = ""


def read_annotations(run_dir: Path) -> Annotations:
    """The run's annotations; none when the file is missing or not what this module writes."""
    data = read_json(run_dir / ANNOTATIONS)
    if not isinstance(data, dict):
        return Annotations()
    tags = [t for t in data.get("tags", []) if isinstance(t, str) and 0 < len(t) <= MAX_TAG]
    note = data.get("note") if isinstance(data.get("note"), str) else ""
    return Annotations(list(dict.fromkeys(tags)), note[:MAX_NOTE])


def annotate(run_dir: Path, add: list[str] = (), remove: list[str] = (), note: str | None = None) -> Annotations:
    """Add and remove tags, set (or, with "", clear) the note; written atomically."""
    for tag in add:
        if not tag or len(tag) > MAX_TAG or not tag.isprintable():
            raise ValueError(f"a tag is 1 to {MAX_TAG} printable characters, not {tag!r}")
    if note is not None and len(note) > MAX_NOTE:
        raise ValueError(f"a note is at most {MAX_NOTE:,} characters")
    now = read_annotations(run_dir)
    tags = [t for t in dict.fromkeys([*now.tags, *add]) if t not in remove]
    out = Annotations(tags, now.note if note is None else note)
    write_atomic(run_dir / ANNOTATIONS, json.dumps({"tags": out.tags, "note": out.note}, indent=1) + "\n")
    return out


def remove_run(run_dir: Path) -> None:
    """Delete a run's name: its folder, a view (the program it shows stays in the store until
    `clockspec gc` finds no name needs it) or a run directory of the previous layout; only a
    real one (no symbolic link) whose program no process holds."""
    if run_dir.is_symlink() or not ((run_dir / VIEW).is_file() or (run_dir / STATUS).is_file()):
        raise ValueError(f"{run_dir}: not a run directory")
    if held(data_dir(run_dir)) or held(run_dir):
        raise ValueError(f"{run_dir}: a process is running it")
    shutil.rmtree(run_dir)
