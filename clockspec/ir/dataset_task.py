"""The `dataset` task: a local `.npz` or `.csv` file, never downloaded.

Its `path` is relative to the spec file's folder (the loader tells the task where that is:
`anchor`) and stays inside it: no `..` part, no absolute path, and every link followed, the
file lies in that folder (unlike a family's `base`, a data file is no shared spec text: a
`../` would make any `.csv` or `.npz` on the machine readable, and echoed by a parse error). The file is read and checked when the experiment compiles, so a
missing, unreadable or wrongly shaped file is a positioned error at `path` before anything
trains, and its SHA-256 is part of the plan's data node: a changed file invalidates the run.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Optional

from pydantic import Field, PrivateAttr

from clockspec.core.datafiles import SUFFIXES, DataFile, DataFileError, read_data_file
from clockspec.ir.base import Axis
from clockspec.ir.tasks import MAX_SEED, TASKS, Classes


@TASKS.register
class DatasetTask(Classes):
    """Examples and class labels read from a local file, split by the file or by a seed."""

    kind: Literal["dataset"]
    path: Annotated[str, Field(min_length=1, max_length=4096)]
    """The `.npz` or `.csv` file, relative to the spec's folder (see docs/zoo.md for its layout)."""
    test_fraction: float = Field(0.2, gt=0.0, lt=1.0)
    """Share held out for testing when the file holds one set (`x`, `y`) rather than a train and a test set."""
    split_seed: int = Field(0, ge=0, le=MAX_SEED)
    """Seed of that split and of the training subset."""
    train_subset: Optional[int] = Field(None, ge=1, le=10_000_000)
    """Train on this many seeded training examples only (absent: all of them)."""
    header: Optional[bool] = None
    """For a `.csv` (required there): whether its first line names the columns; never guessed from its look."""

    split_fields: ClassVar[tuple[str, ...]] = ("test_fraction", "split_seed", "train_subset", "label_noise")
    per_member_fields: ClassVar[tuple[str, ...]] = ("split_seed",)
    token_inputs: ClassVar[bool] = False
    dense_inputs: ClassVar[str] = ""
    _folder: Optional[Path] = PrivateAttr(None)

    def __eq__(self, other: object) -> bool:  # where the spec was read from is no part of what it says
        return type(other) is type(self) and self.model_dump() == other.model_dump()  # type: ignore[union-attr]

    def __hash__(self) -> int:
        return hash(self.model_dump_json())

    def anchor(self, folder: Path) -> None:
        self._folder = Path(folder)

    def origin(self) -> Path | None:
        return self._folder

    @property
    def folder(self) -> Path:
        """The spec's folder; the working directory for a spec that came from no file."""
        return self._folder if self._folder is not None else Path.cwd()

    def file(self) -> Path:
        return self.folder / self.path

    def data(self) -> DataFile:
        """The checked file (raises DataFileError)."""
        self._inside_tree()
        return read_data_file(self.file(), header=bool(self.header))

    def _inside_tree(self) -> None:
        if "\0" in self.path:
            raise DataFileError("holds a NUL character, which no file name can")
        if Path(self.path).suffix.lower() not in SUFFIXES:
            raise DataFileError(f"is not a data file; a dataset path ends in {' or '.join(SUFFIXES)}")
        if Path(self.path).is_absolute() or ".." in Path(self.path).parts:
            raise DataFileError("leads outside the spec's folder; a dataset path is relative to it, without '..' "
                                "(copy or link the file into the spec's folder)")
        if not self.file().resolve().is_relative_to(self.folder.resolve()):
            raise DataFileError("leads outside the spec's folder through a link (links followed)")
        real = self.file().resolve()
        if real.suffix.lower() not in SUFFIXES:
            raise DataFileError(f"is a link to a file that is not {' or '.join(SUFFIXES)}")

    def reads_file(self) -> bool:
        return True

    def data_problems(self) -> list[str]:
        csv = Path(self.path).suffix.lower() == ".csv"
        if csv and self.header is None:
            return [f"dataset '{self.path}' is a .csv: say whether its first line names the columns "
                    "(header: true or header: false); it is never guessed"]
        if not csv and self.header is not None:
            return [f"dataset '{self.path}': header is for a .csv file only"]
        try:
            data = self.data()
        except DataFileError as exc:
            return [f"dataset '{self.path}': {exc}"]
        if not data.split and len(data.sets["all"][1]) < 2:
            return [f"dataset '{self.path}' has one example: nothing to split into a train and a test set"]
        n_train = self._split_sizes(data)[0]
        if self.train_subset is not None and self.train_subset > n_train:
            return [f"train_subset = {self.train_subset} exceeds the {n_train} training examples of '{self.path}'"]
        return []

    def content(self) -> dict[str, Any]:
        return {"sha256": self.data().sha256}

    def _split_sizes(self, data: DataFile) -> tuple[int, int]:
        if data.split:
            return len(data.sets["train"][1]), len(data.sets["test"][1])
        n = len(data.sets["all"][1])
        n_train = min(max(round((1.0 - self.test_fraction) * n), 1), n - 1)  # as the runtime splits
        return n_train, n - n_train

    def sizes(self) -> dict[str, int]:
        data = self.data()
        n_train, n_test = self._split_sizes(data)
        if self.train_subset is not None:
            n_train = min(n_train, self.train_subset)
        return {"input_dim": data.features, "output_dim": data.classes, "n_train": n_train, "n_test": n_test}

    def example_bytes(self, dtype_bytes: int) -> int:
        return self.sizes()["input_dim"] * dtype_bytes

    def describe(self, sizes: Mapping[str, int]) -> str:
        subset = f" (a seeded subset of {self.train_subset:,})" if self.train_subset else ""
        return (f"examples of {sizes['input_dim']:,} inputs and {sizes['output_dim']} classes read from "
                f"'{self.path}' (content-hashed); {sizes['n_train']:,} training{subset} and {sizes['n_test']:,} test "
                f"examples (split seed {self.split_seed})." + self.noise_words(sizes["n_train"]))

    def summary(self) -> str:
        return f"dataset {Path(self.path).name}"

    def ablation_axes(self) -> list[Axis]:
        if self.train_subset is None:
            return []
        return [Axis("train_subset", [max(1, self.train_subset // 2)], "halved")]
