"""Paths built from untrusted text, kept inside the folder they belong to.

Everything the store reads back (an index naming files, a lock naming run directories, a
member label) may have been edited by anyone: a path read from a store file is used only
if it resolves inside the store, a label becomes a folder name only through `component`,
nothing is written or deleted through a symbolic link (`refuse_link`, `open_no_follow`),
and no store file is read through one (`read_no_follow`).
"""
from __future__ import annotations

import errno
import hashlib
import os
import stat
from pathlib import Path
from urllib.parse import quote

from clockspec.core.errors import printable

MAX_COMPONENT = 120  # bytes of a folder name made from a label (file systems allow 255)


class UnsafePath(ValueError):
    """A path that would leave its folder, or a link where a file or folder must be; the
    message says which and why."""


def component(text: str) -> str:
    """`text` as one folder name: readable characters kept, every other one (`/`, `\\`, `%`,
    control characters, a leading `.`) percent-encoded, so distinct labels stay distinct
    and none is `..`, hidden or absolute; a long one is cut and given a hash of the whole."""
    name = quote(text, safe="=,_-+@", errors="surrogatepass")  # a lone surrogate (JSON "\ud800") too
    if name.startswith("."):
        name = "%2E" + name[1:]
    if len(name) > MAX_COMPONENT:
        name = name[:MAX_COMPONENT - 17] + "-" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return name or "%00"


def inside(root: str | os.PathLike, relative: object) -> Path:
    """`root / relative` for a path read from a file under `root`: it must be relative text
    without `..`, and lead (links followed) to a place inside `root`. Raises UnsafePath."""
    if not isinstance(relative, str) or not relative or "\0" in relative or not _encodable(relative):
        raise UnsafePath(f"expected a relative path inside {root}; got {_show(relative)}")
    parts = Path(relative).parts
    if Path(relative).is_absolute() or ".." in parts or relative.startswith("~"):
        raise UnsafePath(f"{_show(relative)} leads outside {root}")
    if any(len(os.fsencode(part)) > 255 for part in parts):
        raise UnsafePath(f"{_show(relative[:40])}... has a part longer than a file name can be")
    base = Path(root)
    path = base.joinpath(*parts)
    try:
        real = path.resolve()
    except (OSError, RuntimeError):  # a link loop, a name the file system refuses
        raise UnsafePath(f"{_show(relative)} cannot be resolved (a link loop?)") from None
    if not real.is_relative_to(base.resolve()):
        raise UnsafePath(f"{_show(relative)} leads outside {root} through a link")
    return path


def refuse_link(path: str | os.PathLike) -> None:
    """Raise UnsafePath if `path` is a symbolic link (a missing path is fine: it is made)."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if stat.S_ISLNK(mode):
        raise UnsafePath(f"{path} is a symbolic link; clockspec writes into no link in its store "
                         "(remove the link, or point --out at the real folder)")


def open_no_follow(path: str | os.PathLike, flags: int, mode: int = 0o666) -> int:
    """`os.open` that refuses a link at `path` itself (O_NOFOLLOW) with UnsafePath."""
    try:
        return os.open(path, flags | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
    except OSError as exc:
        if os.path.islink(path):
            raise UnsafePath(f"{path} is a symbolic link; clockspec writes into no link in its store") from None
        raise exc


def read_no_follow(path: str | os.PathLike) -> bytes:
    """The bytes of the regular file `path`, never read through a link at `path` itself nor
    from a pipe or device (which may never end): either is UnsafePath. A missing file or a
    folder raise the usual OSError."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno == errno.ELOOP and os.path.islink(path):
            raise UnsafePath(f"{path} is a symbolic link; clockspec reads no link in its store") from None
        raise
    with os.fdopen(fd, "rb") as fh:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, "Is a directory", str(path))
        if not stat.S_ISREG(mode):
            raise UnsafePath(f"{path} is not a regular file")
        return fh.read()


def is_real_dir(path: Path) -> bool:
    """A folder that is not a link to one: what a walk of the store descends into."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: no file name
        return False
    return True


def _show(value: object) -> str:
    return repr(printable(value)) if isinstance(value, str) else type(value).__name__
