"""Issue 30, data files read under the spec rules: each attack is a clean one-line error at
`task.path` naming the file and the reason, found at `check` (before anything trains), and
never echoing the file's contents."""
from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest

import clockspec
from clockspec.commands.main import main
from clockspec.core import datafiles
from clockspec.core.errors import SpecError

SPEC = """name: ds
task:
  kind: dataset
  path: {path}{extra}
model: {{kind: mlp, hidden: [8]}}
train: {{steps: 10}}
probes: {{every: 10}}
"""


def spec_at(folder, path="data.npz", extra=""):
    spec = folder / "spec.yaml"
    spec.write_text(SPEC.format(path=path, extra=extra))
    return spec


def error(spec) -> str:
    with pytest.raises(SpecError) as info:
        clockspec.load(spec).compile()
    message = str(info.value)
    assert "spec.yaml:4:9: error: dataset" in message and "Traceback" not in message
    return message


def npy_bytes(array) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()


def zipped(path, members: dict[str, bytes], compress=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(path, "w", compress) as z:
        for name, data in members.items():
            z.writestr(name, data)


def fake_header(shape, dtype="<f8") -> bytes:
    header = f"{{'descr': '{dtype}', 'fortran_order': False, 'shape': {shape}, }}".encode()
    header += b" " * (63 - (len(header) + 10) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header


def test_a_path_with_dotdot_is_refused_and_nothing_outside_is_read(tmp_path):
    (tmp_path / "secret.csv").write_text("a,b\n1,hunter2\n")
    (tmp_path / "specs").mkdir()
    for path in ("../secret.csv", "../../../../../" + str(tmp_path)[1:] + "/secret.csv", "x/../../secret.csv"):
        message = error(spec_at(tmp_path / "specs", path, "\n  header: true"))
        assert "leads outside the spec's folder" in message and "hunter2" not in message


def test_a_parse_error_does_not_echo_a_cell(tmp_path):
    (tmp_path / "d.csv").write_text("1,2,0\n3,hunter2,1\n")
    message = error(spec_at(tmp_path, "d.csv", "\n  header: false"))
    assert "hunter2" not in message and "data row 2, column 2 is not a decimal number" in message


def test_a_csv_must_say_whether_it_has_a_header(tmp_path):
    (tmp_path / "d.csv").write_text("0x10,2,0\n1,2,1\n")
    assert "header: true or header: false" in error(spec_at(tmp_path, "d.csv"))
    assert "data row 1, column 1 is not a decimal number" in error(spec_at(tmp_path, "d.csv", "\n  header: false"))
    np.savez(tmp_path / "data.npz", x=np.zeros((4, 2)), y=np.arange(4) % 2)
    assert "header is for a .csv file only" in error(spec_at(tmp_path, extra="\n  header: false"))


def test_a_csv_with_a_byte_order_mark_keeps_its_first_row(tmp_path):
    rows = "".join(f"{i},{i % 3}\n" for i in range(10))
    (tmp_path / "d.csv").write_bytes(b"\xef\xbb\xbf" + rows.encode())
    plan = clockspec.load(spec_at(tmp_path, "d.csv", "\n  header: false\n  test_fraction: 0.5")).compile()
    assert plan.derived["n_train"] + plan.derived["n_test"] == 10
    (tmp_path / "d.csv").write_bytes(b"\xef\xbb\xbfa,label\n" + rows.encode())
    plan = clockspec.load(spec_at(tmp_path, "d.csv", "\n  header: true\n  test_fraction: 0.5")).compile()
    assert plan.derived["n_train"] + plan.derived["n_test"] == 10


def test_the_header_field_is_part_of_the_hash(tmp_path):
    (tmp_path / "d.csv").write_text("".join(f"{i},{i % 2}\n" for i in range(10)))
    no = clockspec.load(spec_at(tmp_path, "d.csv", "\n  header: false")).compile()
    yes = clockspec.load(spec_at(tmp_path, "d.csv", "\n  header: true")).compile()
    assert no.train_hash != yes.train_hash and no.derived["n_train"] + no.derived["n_test"] == 10


@pytest.mark.parametrize(("make", "expected"), [
    (lambda p: p.write_bytes(npy_bytes(np.zeros((4, 2)))), "is a single .npy array, not a .npz archive"),
    (lambda p: zipped(p, {"x.txt": b"1,2", "y.npy": npy_bytes(np.zeros(4))}), "holds 'x.txt', which is not a .npy"),
    (lambda p: zipped(p, {"x.npy": fake_header((10**7, 10**7)), "y.npy": npy_bytes(np.zeros(4))}),
     "of shape [10000000, 10000000] takes the arrays past"),
    (lambda p: zipped(p, {"x.npy": b"not an array", "y.npy": npy_bytes(np.zeros(4))}), "header cannot be read"),
    (lambda p: p.write_text("x,y\n1,2\n"), "is not a readable .npz archive (not a zip file"),
    (lambda p: np.savez(p, x=np.zeros((4, 0)), y=np.zeros(4, int)), "no inputs per example"),
    (lambda p: np.savez(p, x=np.zeros((4, 2)), y=np.array([0, 1, 2**64 - 1, 0], np.uint64)), "a class in 0..65535"),
    (lambda p: np.savez(p, x=np.zeros((4, 2)), y=np.array([0, 1, 1e20, 0])), "a class in 0..65535"),
    (lambda p: np.savez(p, x=np.zeros((4, 2)), y=np.array([0, 1, 10**6, 0])), "a class in 0..65535"),
    (lambda p: np.savez(p, x=np.full((4, 2), 1e308), y=np.zeros(4, int)), "beyond float32's range"),
    (lambda p: np.savez(p, x=np.full((4, 2), np.nan), y=np.zeros(4, int)), "a NaN"),
])
def test_a_hostile_npz_is_one_clean_line(tmp_path, make, expected):
    make(tmp_path / "data.npz")
    message = error(spec_at(tmp_path))
    assert expected in message and len(message.splitlines()) == 2  # the error and its hint


def test_a_zip_bomb_is_refused_from_its_headers_before_decompression(tmp_path, monkeypatch):
    big = np.zeros((200_000_000,), np.uint8)  # 200 MB of zeros: ~200 KB deflated, 1.6 GB as float64
    with zipfile.ZipFile(tmp_path / "data.npz", "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("x.npy", "w", force_zip64=True) as member:
            np.lib.format.write_array(member, big.reshape(-1, 1000))
        z.writestr("y.npy", npy_bytes(np.zeros(200_000, int)))
    del big
    loaded = []
    real_load = np.load
    monkeypatch.setattr(np, "load", lambda *a, **k: loaded.append(a) or real_load(*a, **k))
    assert "takes the arrays past 1,073,741,824 bytes" in error(spec_at(tmp_path))
    assert loaded == []  # numpy never decompressed an array


def test_a_big_csv_is_refused_by_its_size(tmp_path, monkeypatch):
    monkeypatch.setattr(datafiles, "MAX_CSV_BYTES", 100)
    (tmp_path / "d.csv").write_text("".join(f"{i},{i % 2}\n" for i in range(100)))
    assert "above the limit of 100" in error(spec_at(tmp_path, "d.csv", "\n  header: false"))


def test_check_reports_a_bad_data_file_with_exit_status_2(tmp_path, capsys):
    (tmp_path / "data.npz").write_bytes(npy_bytes(np.zeros((4, 2))))
    assert main(["check", str(spec_at(tmp_path))]) == 2
    err = capsys.readouterr().err
    assert "data.npz" in err and "single .npy array" in err and "Traceback" not in err


def test_load_model_works_on_a_dataset_run(tmp_path, monkeypatch):
    from clockspec.runtime import load_model

    np.savez(tmp_path / "data.npz", x=np.random.default_rng(0).normal(size=(20, 3)), y=np.arange(20) % 4)
    spec = spec_at(tmp_path, extra="")
    text = spec.read_text() + "snapshots: {every: 10}\n"
    spec.write_text(text)
    assert main(["run", str(spec), "--out", str(tmp_path / "runs"), "-q"]) == 0
    (run_dir,) = [p for p in (tmp_path / "runs").iterdir() if p.is_dir() and not p.name.startswith(".")]
    monkeypatch.chdir(tmp_path / "runs")
    model = load_model(run_dir)
    assert sum(p.numel() for p in model.parameters()) == 3 * 8 + 8 + 8 * 4 + 4


def test_a_data_file_changed_after_compiling_trains_nothing(tmp_path):
    from clockspec.core.errors import RunError
    from clockspec.runtime import run

    np.savez(tmp_path / "data.npz", x=np.zeros((10, 2)), y=np.arange(10) % 2)
    plan = clockspec.load(spec_at(tmp_path)).compile()
    np.savez(tmp_path / "data.npz", x=np.ones((10, 2)), y=np.arange(10) % 2)  # as if edited while a family runs
    with pytest.raises(RunError, match="changed since this experiment was compiled"):
        run(plan, out=tmp_path / "runs", progress=False)
    assert not list((tmp_path / "runs").rglob("*.json"))  # nothing half-written (no `running` status left)
