"""Where a command's text goes: into the file it was given (written atomically, so a reader
never sees half of it), else to stdout."""
from __future__ import annotations

import os
import sys

from clockspec.core.fileio import write_atomic


def emit(text: str, path: str | os.PathLike | None) -> None:
    if path:
        write_atomic(path, text)
    else:
        sys.stdout.write(text)
