"""Issue 30's fuzzed surfaces: data files, store files, `runs --where`, `--set`/`--grid`.

Each input must give a result or a clean error of the kind that surface promises (a
`DataFileError` of one line; a store record, a warning or a `DamagedFile`/`SpecError`
naming the file; a `SpecError` at the argument), never another exception.
"""
from __future__ import annotations

import contextlib
import io
import json
import random
import tempfile
import warnings
import zipfile
from functools import cache
from pathlib import Path

import numpy as np

from clockspec.core import datafiles
from clockspec.core.errors import RunError, SpecError
from clockspec.core.records import read_record
from clockspec.store.rundir import CLOCKS, CLOCKS_FIELDS, STATUS, STATUS_FIELDS

from . import generate, mutators
from .checks import expect

# ---- data files --------------------------------------------------------------------------

CSV, NPZ = b"CSV\n", b"NPZ\n"  # an input is its kind, then the file's bytes


def _npz(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return NPZ + buf.getvalue()


def _npy(array) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()


@cache
def data_seeds() -> tuple[bytes, ...]:
    rng = np.random.default_rng(0)
    return (
        _npz(x=rng.normal(size=(12, 3)), y=np.arange(12) % 3),
        _npz(x_train=rng.normal(size=(8, 2, 2)), y_train=np.arange(8) % 2, x_test=np.zeros((4, 2, 2)),
             y_test=np.arange(4) % 2),
        _npz(x=np.zeros((4, 2), np.float32), y=np.array([0, 1, 2**40, 0])),
        _npz(x=np.full((3, 1), 1e308), y=np.zeros(3, np.uint8)),
        _npz(x=np.zeros((5, 0)), y=np.zeros(5, int)),
        NPZ + _npy(np.zeros((4, 2))),
        CSV + b"1,2,0\n3,4,1\n5,6,0\n",
        CSV + b"\xef\xbb\xbfa,b,label\n1,2,0\n3,4,1\n",
        CSV + b"0x10,2,0\n1,2,1\n",
        CSV + b"1,hunter2,0\n",
        CSV + b"1e308,1,0\n-3,2,1\n",
    )


HEADER_WORDS = [b"'shape': (", b"10000000, ", b"), ", b"'<f8'", b"'|O'", b"'<U9'", b"True", b"-1", b"\x00", b"\xff"]


def _byte_mutate(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.random()
        at = rng.randrange(len(out) + 1)
        if op < 0.3 and out:
            out[min(at, len(out) - 1)] = rng.randrange(256)
        elif op < 0.5:
            del out[at:at + rng.randint(1, 64)]
        elif op < 0.7:
            out[at:at] = rng.choice(HEADER_WORDS)
        elif op < 0.85:
            out = out[:at]
        else:
            out[at:at] = out[rng.randrange(len(out) + 1):][:rng.randint(1, 32)]
    return bytes(out)


def _fake_member(rng: random.Random) -> tuple[str, bytes]:
    shape = tuple(rng.choice([0, 1, 3, 10**rng.randint(1, 12)]) for _ in range(rng.randint(0, 3)))
    dtype = rng.choice(["<f8", "<i8", "|u1", "<U3", "|b1", "<c16", "|V4", "<f2"])
    header = f"{{'descr': '{dtype}', 'fortran_order': {rng.choice(['False', 'True'])}, 'shape': {shape}, }}".encode()
    header += b" " * (63 - (len(header) + 10) % 64) + b"\n"
    body = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + bytes(rng.randrange(64))
    return rng.choice(["x.npy", "y.npy", "x_train.npy", "notes.txt", "../x.npy", "y"]), body


def make_data(rng: random.Random) -> bytes:
    if rng.random() < 0.25:  # a zip of hand-made members: shapes, dtypes, names
        buf = io.BytesIO()
        with warnings.catch_warnings(), zipfile.ZipFile(buf, "w", rng.choice([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])) as z:
            warnings.simplefilter("ignore", UserWarning)  # a duplicate member name: wanted
            for _ in range(rng.randint(1, 3)):
                z.writestr(*_fake_member(rng))
        return NPZ + buf.getvalue()
    seed = rng.choice(data_seeds())
    kind, body = seed[:4], seed[4:]
    return kind + (_byte_mutate(body, rng) if rng.random() < 0.9 else body)


def check_data(data: str | bytes) -> str:
    raw = data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")
    kind, body = raw[:4], raw[4:]
    try:
        arrays = datafiles._csv(body, header=body[:1].isalpha()) if kind == CSV else datafiles._npz(body)
        sets = datafiles._sets(arrays)
    except datafiles.DataFileError as exc:
        message = str(exc)
        expect(message and "\n" not in message and message.isprintable(), f"not one printable line: {message!r}")
        expect(b"hunter2" not in body or "hunter2" not in message, "the message echoes the file")
        return "error"
    for x, y in sets.values():
        expect(x.ndim == 2 and x.shape[1] >= 1 and np.all(np.abs(x) <= datafiles.FLOAT32_MAX), "bad inputs passed")
        expect(y.dtype == np.int64 and y.min() >= 0 and y.max() < datafiles.MAX_CLASSES, "bad labels passed")
    return "ok"


# ---- store files -------------------------------------------------------------------------

def _status() -> dict:
    return {"status": "complete", "step": 40, "steps": 40, "train_hash": "ab" * 32, "wall_s": 1.5,
            "started": "2026-01-01T00:00:00Z", "git": {"commit": "abc", "dirty": False}, "overrides": []}


STORE_FILES = {
    "status": (STATUS, json.dumps(_status())),
    "clocks": (CLOCKS, json.dumps({"clocks": {"fit": {"step": 10, "reached": True, "value": 0.1, "metric": "m"},
                                              "late": {"step": None, "reached": False}},
                                   "clock_hashes": {"fit": "x"}, "status": "complete"})),
    "index": ("snapshots/index.json", json.dumps([{"step": 10, "file": "step-00000010.pt", "bytes": 5,
                                                   "reasons": ["every"], "clock_steps": {"fit": 10}}])),
    "lock": ("family.lock.json", json.dumps({"family": "f", "members": [
        {"name": "a", "label": "seed=1", "assignment": {"seed": 1}, "spec": {}, "train_hash": "ab",
         "run_dir": "a-abababababab"}]})),
}
STORE_WORDS = ['"../x"', '"/etc/passwd"', "[]", "{}", "null", "true", '"ten"', "1e999", "-1", "9" * 60, '"\\u0000"',
               '"a/../../b"', '"\\u001b[2J"', "[[[[[[", '"step-1.pt"', '"."', '"run_dir"', '"members"', '"step"']


def store_seeds() -> tuple[str, ...]:
    damaged = ("status\n[1, 2]", 'status\n{"status": "complete", "step": "ten"}', 'lock\n{"members": 5}',
               'index\n[{"step": 1, "file": "../../x.pt"}]', 'clocks\n{"clocks": {"fit": {"reached": true}}}',
               'lock\n{"members": [{"run_dir": "../../elsewhere"}]}')
    return tuple(f"{kind}\n{text}" for kind, (_, text) in STORE_FILES.items()) + damaged


def make_store(rng: random.Random) -> str:
    text = rng.choice(store_seeds())
    kind, body = text.split("\n", 1)
    body = mutators.mutate(body, rng, [t.split("\n", 1)[1] for t in store_seeds()], STORE_WORDS)
    return f"{kind}\n{body}"


@cache
def _scratch() -> Path:
    return Path(tempfile.mkdtemp(prefix="clockspec-fuzz-store-"))


def check_store(data: str | bytes) -> str:
    from clockspec.report.family_folder import read_family_folder
    from clockspec.store.index import find_runs
    from clockspec.store.snapshots import list_snapshots

    text = data if isinstance(data, str) else data.decode("utf-8", "surrogateescape")
    kind, _, body = text.partition("\n")
    if kind not in STORE_FILES:
        return "error"
    root = _scratch()
    family, run_dir = root / "fam", root / "fam" / "a-abababababab"
    (run_dir / "snapshots").mkdir(parents=True, exist_ok=True)
    for name, (path, seed) in STORE_FILES.items():
        target = (family if name == "lock" else run_dir) / path
        target.write_bytes((body if name == kind else seed).encode("utf-8", "surrogatepass"))
    outcome = "ok"
    with contextlib.redirect_stderr(io.StringIO()) as warned:
        records = find_runs([root])
        for snap in list_snapshots(run_dir):
            expect(snap.path(run_dir).parent == run_dir / "snapshots", f"snapshot outside its folder: {snap.file}")
        for path, fields in ((run_dir / STATUS, STATUS_FIELDS), (run_dir / CLOCKS, CLOCKS_FIELDS)):
            try:
                read_record(path, fields)
            except RunError as exc:
                expect(exc.exit_status == 2 and exc.diagnostic.file == str(path), f"unnamed damage: {exc}")
                outcome = "error"
        try:
            folder = read_family_folder(family)
            for m in folder.members:
                expect(m.run_dir.resolve().is_relative_to(family.resolve()), f"member outside: {m.run_dir}")
        except SpecError as exc:
            expect(all(d.file.endswith("family.lock.json") for d in exc.diagnostics), f"unnamed: {exc}")
            outcome = "error"
    for r in records:
        expect(r.path.resolve().is_relative_to(root.resolve()), f"record outside the store: {r.path}")
        expect(isinstance(r.step, int) and all(isinstance(s, int) for s in r.snapshots), "bad record types")
        r.fields()
    return "error" if warned.getvalue() else outcome


# ---- runs --where ------------------------------------------------------------------------

RUN_WORDS = ["name", "status", "step", "steps", "hash", "wall", "family", "label", "tags", "snapshots",
             "clocks.fit", "clocks.nope", "name.__class__", "__class__", "9" * 50, "1e400", "'x'"]


@cache
def _record_fields() -> list[dict]:
    fields = {"name": "r", "status": "complete", "step": 40, "steps": 40, "hash": "abc", "wall": 1.0, "date": "d",
              "git": "", "family": "", "label": "", "tags": ["a"], "snapshots": [10], "clocks": {"fit": 10},
              "seed": 0, "optimizer": {"lr": 0.01, "kind": "adamw"}, "train": {"steps": 40}}
    return [fields, {**fields, "wall": None, "clocks": {"fit": None}, "optimizer": None}]


def make_where(rng: random.Random) -> str:
    text = generate.predicate(rng) if rng.random() < 0.5 else rng.choice(where_seeds())
    return mutators.mutate(text, rng, list(where_seeds()), RUN_WORDS + list(generate.WORDS)) \
        if rng.random() < 0.7 else text


def where_seeds() -> tuple[str, ...]:
    return ("step > 10", "status == 'complete' and clocks.fit < 20", "optimizer.lr in [0.01, 0.1]",
            "not (wall > 1)", "name.__class__ == 1", "step == " + "9" * 5000, "clocks.fit == null", "seed >= 0",
            "tags == 'a'", "step >")


def check_where(data: str | bytes) -> str:
    from clockspec.report.runs_table import where

    text = data if isinstance(data, str) else data.decode("utf-8", "replace")
    try:
        test = where(text)
    except SpecError as exc:
        expect(all(d.file == "--where" and d.line == 1 and 1 <= d.col <= len(text) + 1 for d in exc.diagnostics),
               f"error not at the argument: {exc}")
        return "error"
    for fields in _record_fields():
        test(fields)
    return "ok"


# ---- --set / --grid ----------------------------------------------------------------------

SET_WORDS = ["seed=", "optimizer.lr=", "train.steps=", "model.hidden=", "task.modulus=", "description=",
             "--set ", "--grid ", ",", "[", "]", "{", "}", "1e30", "-1", "9" * 50, "null", "../../x", "\x1b[2J",
             "optimizer={kind: sgd}", "=", "clocks.fit.threshold="]
BASE = "name: o\ntask: {kind: modular, modulus: 11}\nmodel: {kind: embed_mlp, embed_dim: 8, hidden: [16]}\n" \
       "train: {steps: 40}\nclocks:\n  fit: first train_acc >= 0.5\n"


def override_seeds() -> tuple[str, ...]:
    return ("--set seed=3", "--grid seed=0,1", "--set seed=3\n--grid seed=0,1", "--set optimizer.lr=0.1\n--grid "
            "optimizer={kind: sgd}", "--grid description=../../../../x,/tmp/y", "--set model.init_scale=1e30",
            "--set train.steps=10\n--grid optimizer.lr=0.01,0.1\n--grid seed=1,2", "--set nope=1", "--grid seed=",
            "--set seed=" + "9" * 5000)


def make_override(rng: random.Random) -> str:
    return mutators.mutate(rng.choice(override_seeds()), rng, list(override_seeds()), SET_WORDS)


@cache
def _base():
    import clockspec

    return clockspec.loads(BASE)


def check_override(data: str | bytes) -> str:
    from clockspec.commands.overrides import overridden

    text = data if isinstance(data, str) else data.decode("utf-8", "replace")
    sets, grids = [], []
    for line in text.split("\n"):
        option, _, value = line.partition(" ")
        (grids if option == "--grid" else sets).append(value if option in ("--set", "--grid") else line)
    args = type("Args", (), {"overrides": sets, "grids": grids})()
    try:
        spec = overridden(_base(), args)
        if grids:
            import clockspec

            clockspec.expand(spec)
    except SpecError as exc:
        expect(all(d.file in ("--set", "--grid") or d.file.startswith("<") for d in exc.diagnostics),
               f"error not at an argument: {exc}")
        return "error"
    return "ok"
