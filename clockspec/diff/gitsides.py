"""The two sides of a diff that git hands over as files: `git difftool -x 'clockspec diff'`
(the two files as arguments, the path in the repository in env BASE) and the 7-argument external diff driver (`diff.<driver>.command`,
GIT_EXTERNAL_DIFF: path old-file old-hex old-mode new-file new-hex new-mode).

git copies an old version to a temporary folder, where a family's relative `base:` is
missing. A side that is the working-tree file itself keeps its folder; any other side is
read at the newest commit of HEAD's history that holds this very blob at this path (HEAD
when it does), its base from that commit as `REV:path` does; a blob HEAD's history never
held (another branch, the index) takes its base from the working tree.
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

from clockspec.diff.gitrev import load_revision
from clockspec.ir.spec import Experiment, Family

ABSENT = "/dev/null"


def load_side(file: str, repo_path: str, blob: str | None, scratch: Path) -> tuple[Experiment | Family, Path]:
    """One side's spec and the folder its family base is read from."""
    from clockspec.syntax.loading import load

    if os.path.exists(repo_path) and os.path.samefile(file, repo_path):
        return load(Path(file)), Path(repo_path).parent
    rev = revision_holding(repo_path, blob if blob and blob.strip("0.") else _git("hash-object", "--", file))
    if rev is not None:
        return load_revision(rev, repo_path, scratch)
    return load(Path(file)), Path(repo_path).parent


def revision_holding(path: str, blob: str | None) -> str | None:
    """The newest commit of HEAD's history whose `path` is `blob`, or None."""
    if not blob:
        return None
    if _git("rev-parse", "--verify", "-q", f"HEAD:{path}") == blob:
        return "HEAD"
    event = _git("log", "-1", "--format=%H", f"--find-object={blob}", "HEAD", "--", path)  # it came or went here
    for rev in (event, f"{event}^") if event else ():
        if _git("rev-parse", "--verify", "-q", f"{rev}:{path}") == blob:
            return rev
    return None


def _git(*args: str) -> str | None:
    """git's one-line answer, or None when it has none."""
    try:
        done = subprocess.run(["git", *args], capture_output=True, text=True, check=False)
    except FileNotFoundError:
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None
