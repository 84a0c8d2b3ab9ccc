"""Reading a local data file (`.npz` or `.csv`) into checked arrays, and its content hash.

A file holds either a train and a test set (`x_train`, `y_train`, `x_test`, `y_test`) or one
set (`x`, `y`) that the task splits. A `.csv` is one set: numeric columns, the label last;
whether its first line is a header is said by the task's `header` field, never guessed from
how the line looks (`0x10,2,0` is a row with a bad number, not a header); a UTF-8 byte-order
mark (Excel's "CSV UTF-8") is skipped. Inputs are numbers of any shape per example
(flattened: an image set of shape (n, h, w) reads as n rows of h*w), at least one, each
finite in float32 (the training dtype: 1e308 is finite in float64 but infinite there);
labels are whole numbers in [0, MAX_CLASSES), one per example.

A file is read under the rules a spec is (docs/hardening.md): a `.npz` archive's members are
looked at before anything is decompressed (each must be a `.npy` array, its shape header
within MAX_ARRAY_BYTES once widened to float64), so a zip bomb costs nothing; a `.csv` is at
most MAX_CSV_BYTES. Every problem is a `DataFileError` whose one-line message says what was
expected and never echoes the file's contents; nothing in a file is executed (`np.load`
with `allow_pickle=False`).
"""
from __future__ import annotations

import hashlib
import io
import math
import re
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from clockspec.core.errors import printable

if TYPE_CHECKING:
    import numpy as np

SUFFIXES = (".npz", ".csv")
MAX_FILE_BYTES = 1024**3
MAX_CSV_BYTES = 128 * 1024**2  # a parsed cell takes 8 bytes for its >= 2 in the file: <= 512 MiB of float64
MAX_ARRAY_BYTES = 1024**3  # all of a .npz's arrays as float64 (what checking them costs), from their headers
MAX_CLASSES = 65_536  # as the other tasks' class counts
FLOAT32_MAX = 3.4028234663852886e38
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


def read_data_file(path: Path, header: bool = False) -> DataFile:
    """The checked arrays of `path` (cached on its real path, size and modification time);
    `header`: a `.csv`'s first line names the columns."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise DataFileError("no such file") from None
    except OSError as exc:
        raise DataFileError(f"cannot read: {exc.strerror}") from None
    if not path.is_file():
        raise DataFileError("is not a regular file")
    csv = path.suffix.lower() == ".csv"
    limit = MAX_CSV_BYTES if csv else MAX_FILE_BYTES
    if stat.st_size > limit:
        raise DataFileError(f"is {stat.st_size:,} bytes, above the limit of {limit:,}")
    return _read(str(path.resolve()), stat.st_size, stat.st_mtime_ns, header and csv)


@lru_cache(maxsize=16)
def _read(real: str, size: int, mtime_ns: int, header: bool) -> DataFile:
    try:
        raw = Path(real).read_bytes()
    except OSError as exc:
        raise DataFileError(f"cannot read: {exc.strerror}") from None
    arrays = _npz(raw) if real.lower().endswith(".npz") else _csv(raw, header)
    return DataFile(hashlib.sha256(raw).hexdigest(), _sets(arrays))


NPY_MAGIC = b"\x93NUMPY"


def _npz(raw: bytes) -> dict[str, np.ndarray]:
    np = _numpy()
    if raw.startswith(NPY_MAGIC):
        raise DataFileError("is a single .npy array, not a .npz archive; save the arrays with "
                            "numpy.savez(path, x=..., y=...)")
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
        raise DataFileError("is not a readable .npz archive (not a zip file, or a truncated one); save the arrays with "
                            "numpy.savez(path, x=..., y=...)") from None
    with archive:
        _check_headers(np, archive)
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
            return {key: npz[key] for key in npz.files}
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, zlib.error, NotImplementedError):
        raise DataFileError("is not a readable .npz archive (truncated or damaged)") from None


def _check_headers(np, archive: zipfile.ZipFile) -> None:
    """Every member a .npy array of plain numbers whose float64 size, read from its header
    (nothing else is decompressed), keeps the total within MAX_ARRAY_BYTES."""
    from numpy.lib import format as npy

    readers = {(1, 0): npy.read_array_header_1_0, (2, 0): npy.read_array_header_2_0}
    total = 0
    for info in archive.infolist():
        name = printable(info.filename)[:60]
        if not info.filename.endswith(".npy"):
            raise DataFileError(f"holds '{name}', which is not a .npy array (a .npz holds only those)")
        try:
            with archive.open(info) as member:
                read_header = readers.get(npy.read_magic(member))
                if read_header is None:
                    raise ValueError("a .npy version this numpy does not read")
                shape, _, dtype = read_header(member, max_header_size=10_000)
        except (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError):
            raise DataFileError(f"holds '{name}', whose .npy header cannot be read (truncated or damaged)") from None
        if dtype.hasobject:
            raise DataFileError(f"array '{name}' holds Python objects, which numpy cannot read without unpickling; "
                                "store plain numbers")
        total += math.prod(shape) * max(dtype.itemsize, 8)
        if total > MAX_ARRAY_BYTES:
            raise DataFileError(f"array '{name}' of shape {list(shape)} takes the arrays past "
                                f"{MAX_ARRAY_BYTES:,} bytes as float64 (the limit)")


def _csv(raw: bytes, header: bool) -> dict[str, np.ndarray]:
    np = _numpy()
    text = io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8-sig")  # read as parsed: no second copy of the file
    try:
        with warnings.catch_warnings():  # "input contained no data": said below, as an error
            warnings.simplefilter("ignore", UserWarning)
            table = np.loadtxt(text, delimiter=",", skiprows=int(header), ndmin=2, dtype=np.float64)
    except UnicodeDecodeError:
        raise DataFileError("is not UTF-8 text") from None
    except ValueError as exc:
        raise DataFileError(f"is not a table of numbers separated by commas: {_where(str(exc), header)}") from None
    if table.shape[0] == 0 or table.shape[1] < 2:
        raise DataFileError("needs at least one row of two columns: inputs, then the label last")
    return {"x": table[:, :-1], "y": table[:, -1]}


def _where(message: str, header: bool) -> str:
    """numpy's complaint without the cell it quotes (a file's contents are never echoed)."""
    bad = re.search(r"at row (\d+), column (\d+)", message)
    if bad:
        return f"data row {int(bad[1]) + 1:,}, column {bad[2]} is not a decimal number" + (
            "" if header else " (if the first line names the columns, say header: true)")
    changed = re.search(r"columns changed from (\d+) to (\d+) at row (\d+)", message)
    if changed:
        return f"data row {int(changed[3]):,} has {changed[2]} columns where the rows before have {changed[1]}"
    return "a row cannot be read"


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
    with np.errstate(all="ignore"):  # NaN labels, float16 limits: refused below, not warned about
        if y.dtype.kind not in "iuf" or (y.dtype.kind == "f" and not np.all(np.mod(y, 1) == 0)):
            raise DataFileError(f"{y_key} must be whole-number class labels; got {y.dtype}")
        if len(y) == 0 or float(y.min()) < 0 or float(y.max()) >= MAX_CLASSES:
            raise DataFileError(f"{y_key} must hold at least one label, each a class in 0..{MAX_CLASSES - 1}")
    flat = x.reshape(len(x), -1).astype(np.float64, copy=False)
    if flat.shape[1] == 0:
        raise DataFileError(f"{x_key} has no inputs per example (shape {list(x.shape)}); at least one is needed")
    if not np.all(np.isfinite(flat)) or np.abs(flat).max() > FLOAT32_MAX:
        raise DataFileError(f"{x_key} holds a NaN, an infinity or a value beyond float32's range (±3.4e38), "
                            "which trains as one")
    return flat, y.astype(np.int64)
