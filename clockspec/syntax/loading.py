"""Reading specs: path or text -> front end -> validated IR."""
from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Union

from clockspec.core.errors import Diagnostic, SpecError
from clockspec.ir.spec import Experiment, Family
from clockspec.syntax.source import RawDoc
from clockspec.syntax.validate import validate

SYNTAXES = ("yaml", "clk")


def syntax_of(path: str | os.PathLike, text: str | None = None) -> str:
    suffix = Path(path).suffix.lower()
    if suffix == ".clk":
        return "clk"
    if suffix in (".yaml", ".yml", ".json"):
        return "yaml"
    if text is not None and text.lstrip().startswith(("experiment", "family")):
        return "clk"
    return "yaml"


# git's conflict markers: the opening one, then (later) the closing one, each at a line's start.
CONFLICT = re.compile(rb"^<{7}(?: |$).*?^>{7}(?: |$)", re.MULTILINE | re.DOTALL)


def refuse_conflict(text: str | bytes, file: str) -> None:
    """A file left mid-merge is said to be one, not reported as a syntax error at its marker."""
    data = text.encode("utf-8", "replace") if isinstance(text, str) else text
    found = CONFLICT.search(data)
    if found:
        line = data.count(b"\n", 0, found.start()) + 1
        raise SpecError([Diagnostic("unresolved merge conflict: git's conflict markers (<<<<<<<, =======, >>>>>>>) "
                                    "are in the file", file, line, 1,
                                    hint="keep the side you want, delete the marker lines, then check again")])


def parse(text: str | bytes, file: str = "<string>", syntax: str | None = None) -> RawDoc:
    """Text -> RawDoc, with the front end chosen by `syntax` (or guessed from the text)."""
    refuse_conflict(text, file)
    if syntax is None:
        sample = text if isinstance(text, str) else text[:200].decode("utf-8", "replace")
        syntax = syntax_of(file, sample)
    if syntax == "clk":
        from clockspec.syntax.clk_front import parse_clk

        return parse_clk(text, file)
    if syntax == "yaml":
        from clockspec.syntax.yaml_front import parse_yaml

        return parse_yaml(text, file)
    raise SpecError(f"unknown syntax '{syntax}'; expected one of {', '.join(SYNTAXES)}")


MAX_READ = 1_000_000  # the larger front-end limit (.clk's; YAML's is 128 KiB): no file is read past it


def read_file(path: str | os.PathLike) -> bytes:
    """A spec file's bytes. Only a regular file is read: it is opened without blocking (a FIFO
    would wait for a writer forever) and checked before a byte is read, and no more than the
    size limit + 1 bytes are read."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise SpecError([Diagnostic("no such file", str(path))]) from None
    except OSError as exc:
        raise SpecError([Diagnostic(f"cannot read: {exc.strerror}", str(path))]) from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise SpecError([Diagnostic(f"is {_kind_of(mode)}, not a regular file; a spec is read only from a "
                                    "regular file", str(path))])
    with os.fdopen(fd, "rb") as f:
        try:
            data = f.read(MAX_READ + 1)
        except OSError as exc:
            raise SpecError([Diagnostic(f"cannot read: {exc.strerror}", str(path))]) from None
    if len(data) > MAX_READ:
        raise SpecError([Diagnostic(f"file is larger than {MAX_READ:,} bytes, the most a spec may be", str(path))])
    return data


def _kind_of(mode: int) -> str:
    kinds = [(stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a device"),
             (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket")]
    return next((what for test, what in kinds if test(mode)), "a special file")


def load_doc(source: Union[str, os.PathLike], syntax: str | None = None) -> RawDoc:
    """A path (if it names a file) or spec text -> RawDoc."""
    if isinstance(source, os.PathLike) or ("\n" not in str(source) and _looks_like_path(str(source))):
        return parse(read_file(source), str(source), syntax or syntax_of(source))
    return parse(str(source), "<string>", syntax)


def _looks_like_path(text: str) -> bool:
    return Path(text).suffix.lower() in (".yaml", ".yml", ".clk", ".json") or os.path.exists(text)


def load(source: Union[str, os.PathLike], syntax: str | None = None) -> Experiment | Family:
    """Load and validate an experiment or a family from a path or from spec text."""
    return validate(load_doc(source, syntax))


def loads(text: str, syntax: str = "yaml", file: str = "<string>") -> Experiment | Family:
    """Validate spec text in the given syntax."""
    return validate(parse(text, file, syntax))
