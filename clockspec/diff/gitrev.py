"""Specs read from a git revision (`REV:path`), for `clockspec diff HEAD:spec.yaml spec.yaml`.

The path follows git's rules: relative to the repository root, or to the current folder
when written `./path`. A family's `base:` file is read from the same revision and laid into
a scratch folder at its place in the tree, so the family expands as it did at that revision.
"""
from __future__ import annotations

import os
import posixpath
import subprocess
from pathlib import Path
from typing import Union

from clockspec.core.errors import Diagnostic, SpecError, excerpt, printable
from clockspec.ir.spec import Experiment, Family


def split_revision(arg: str) -> tuple[str, str] | None:
    """`REV:path` -> (rev, path); None for an existing file or anything without a rev."""
    if os.path.exists(arg) or ":" not in arg:
        return None
    rev, _, path = arg.partition(":")
    if not rev or not path or (len(rev) == 1 and rev.isalpha() and path.startswith(("\\", "/"))):
        return None  # `C:\specs\x.yaml` is a Windows path, not a revision
    return rev, path


def git_show(rev: str, path: str, label: str | None = None) -> bytes:
    """The bytes of `path` at `rev`; SpecError with git's own words when it is not there."""
    label = label or f"{rev}:{path}"
    if rev.startswith("-"):  # `--output=/x:a.yaml` would make git write a file
        raise SpecError([Diagnostic(f"revision {excerpt(rev)} starts with '-'; a revision is never an option "
                                    "to git", printable(label))])
    try:
        done = subprocess.run(["git", "show", "--end-of-options", f"{rev}:{path}"], capture_output=True, check=False)
    except FileNotFoundError:
        raise SpecError([Diagnostic("git is not installed; cannot read a revision", label)]) from None
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
        message = reason[0] if reason else f"git show failed with status {done.returncode}"
        if message.startswith("fatal: "):
            message = message[len("fatal: "):]
        raise SpecError([Diagnostic(f"git: {printable(message)}", printable(label))])
    return done.stdout


def load_revision(rev: str, path: str, scratch: Union[str, os.PathLike]) -> tuple[Experiment | Family, Path]:
    """The spec at `rev:path`, and the folder its family base (if a path) was laid into."""
    from clockspec.syntax.loading import parse, syntax_of
    from clockspec.syntax.validate import validate

    label = f"{rev}:{path}"
    data = git_show(rev, path, label)
    spec = validate(parse(data, label, syntax_of(path)))
    repo_path = _repo_relative(path)
    folder = Path(scratch) / posixpath.dirname(repo_path)
    folder.mkdir(parents=True, exist_ok=True)
    if isinstance(spec, Family) and isinstance(spec.base, str):
        base = posixpath.normpath(posixpath.join(posixpath.dirname(repo_path), spec.base))
        if base.startswith("../") or posixpath.isabs(base):
            raise SpecError([Diagnostic(f"base '{spec.base}' lies outside the repository", label)])
        target = Path(scratch) / base
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(git_show(rev, base))
    return spec, folder


def _repo_relative(path: str) -> str:
    """A git path as written after `REV:` -> its path from the repository root."""
    if not path.startswith(("./", "../")):
        return posixpath.normpath(path)
    done = subprocess.run(["git", "rev-parse", "--show-prefix"], capture_output=True, text=True, check=False)
    prefix = done.stdout.strip() if done.returncode == 0 else ""
    return posixpath.normpath(posixpath.join(prefix, path))
