"""Reading a local data file (`.npz` or `.csv`) into checked arrays, and its content hash.

A file holds either a train and a test set (`x_train`, `y_train`, `x_test`, `y_test`) or one
set (`x`, `y`) that the task splits. A `.csv` is one set: numeric columns, the label last,
an optional header line. Inputs are numbers of any shape per example (flattened: an image
set of shape (n, h, w) reads as n rows of h*w); labels are whole numbers >= 0, one per
example. Every problem is a `DataFileError` whose message says what was expected; nothing
in a file is executed (`np.load` with `allow_pickle=False`).
"""
from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

SUFFIXES = (".npz", ".csv")
MAX_FILE_BYTES = 1024**3
SPLIT_KEYS = ("x_train", "y_train", "x_test", "y_test")
ONE_SET_KEYS = ("x", "y")


class DataFileError(ValueError):
    """A data file that cannot be used; the message says why."""


def _numpy():
    """numpy, imported when a file is read: loading and checking other specs never needs it
    (the pre-commit hooks install no numpy)."""
    try:
        import numpy
    except ImportError:
        raise DataFileError("reading a data file needs numpy, which is not installed here; "
                            "install it with: pip install 'clockspec[run]'") from None
    return numpy


@dataclass(frozen=True)
class DataFile:
    """A checked file: `sets` maps 'train'/'test' (or 'all') to (inputs 2-D float64, labels int64)."""

    sha256: str
    sets: dict[str, tuple[np.ndarray, np.ndarray]]

    @property
    def split(self) -> bool:
        return "train" in self.sets

    @property
    def features(self) -> int:
        return next(iter(self.sets.values()))[0].shape[1]

    @property
    def classes(self) -> int:
        return int(max(int(y.max(initial=0)) for _, y in self.sets.values())) + 1


def read_data_file(path: Path) -> DataFile:
    """The checked arrays of `path` (cached on its real path, size and modification time)."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise DataFileError("no such file") from None
    except OSError as exc:
        raise DataFileError(f"cannot read: {exc.strerror}") from None
    if not path.is_file():
        raise DataFileError("is not a regular file")
    if stat.st_size > MAX_FILE_BYTES:
        raise DataFileError(f"is {stat.st_size:,} bytes, above the limit of {MAX_FILE_BYTES:,}")
    return _read(str(path.resolve()), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=16)
def _read(real: str, size: int, mtime_ns: int) -> DataFile:
    try:
        raw = Path(real).read_bytes()
    except OSError as exc:
        raise DataFileError(f"cannot read: {exc.strerror}") from None
    arrays = _npz(raw) if real.lower().endswith(".npz") else _csv(raw)
    return DataFile(hashlib.sha256(raw).hexdigest(), _sets(arrays))


def _npz(raw: bytes) -> dict[str, np.ndarray]:
    np = _numpy()
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
            return {key: npz[key] for key in npz.files}
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise DataFileError(f"is not a readable .npz archive (truncated or not made by numpy.savez?): {exc}") from None
    except ValueError as exc:  # an object array: numpy refuses to unpickle it
        raise DataFileError(f"holds an array numpy cannot read without unpickling ({exc}); store plain numbers") \
            from None


def _csv(raw: bytes) -> dict[str, np.ndarray]:
    np = _numpy()
    text = raw.decode("utf-8", "replace").splitlines()
    header = 1 if text and not _numbers(text[0]) else 0
    try:
        table = np.loadtxt(text, delimiter=",", skiprows=header, ndmin=2, dtype=np.float64)
    except ValueError as exc:
        raise DataFileError(f"is not a table of numbers separated by commas: {exc}") from None
    if table.shape[0] == 0 or table.shape[1] < 2:
        raise DataFileError("needs at least one row of two columns: inputs, then the label last")
    return {"x": table[:, :-1], "y": table[:, -1]}


def _numbers(line: str) -> bool:
    try:
        [float(v) for v in line.split(",")]
    except ValueError:
        return False
    return True


def _sets(arrays: dict[str, np.ndarray]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    found = ", ".join(sorted(arrays)) or "no arrays"
    if all(k in arrays for k in SPLIT_KEYS):
        sets = {"train": _pair(arrays, "x_train", "y_train"), "test": _pair(arrays, "x_test", "y_test")}
        if sets["train"][0].shape[1] != sets["test"][0].shape[1]:
            raise DataFileError(f"x_train has {sets['train'][0].shape[1]} inputs per example but x_test has "
                                f"{sets['test'][0].shape[1]}")
        return sets
    if all(k in arrays for k in ONE_SET_KEYS):
        return {"all": _pair(arrays, "x", "y")}
    raise DataFileError(f"has {found}; expected arrays {', '.join(SPLIT_KEYS)} (a train and a test set) "
                        f"or {', '.join(ONE_SET_KEYS)} (one set to split)")


def _pair(arrays: dict[str, np.ndarray], x_key: str, y_key: str) -> tuple[np.ndarray, np.ndarray]:
    np = _numpy()
    x, y = arrays[x_key], arrays[y_key]
    if x.dtype.kind not in "iuf" or x.ndim < 2:
        raise DataFileError(f"{x_key} must be numbers, one row (or image) per example; got {x.dtype} of shape "
                            f"{list(x.shape)}")
    if y.ndim != 1 or len(y) != len(x):
        raise DataFileError(f"{y_key} must hold one label per example of {x_key} ({len(x)}); got shape {list(y.shape)}")
    if y.dtype.kind not in "iuf" or (y.dtype.kind == "f" and not np.all(np.mod(y, 1) == 0)):
        raise DataFileError(f"{y_key} must be whole-number class labels; got {y.dtype}")
    if len(y) == 0 or y.min() < 0:
        raise DataFileError(f"{y_key} must hold at least one label, each >= 0")
    flat = x.reshape(len(x), -1).astype(np.float64)
    if not np.all(np.isfinite(flat)):
        raise DataFileError(f"{x_key} holds a NaN or an infinity")
    return flat, y.astype(np.int64)
