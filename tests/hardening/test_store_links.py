"""Issue 30, rule 1: no store file is read through a symbolic link. A status, rows, figure,
checkpoint or record that is a link is a damaged file (named, exit status 2) or left out;
its target's content is never shown, copied or loaded; walks do not descend into links."""
from __future__ import annotations

import json
import shutil

import pytest

from clockspec.commands.main import main
from clockspec.core.fileio import read_json
from clockspec.core.records import DamagedFile, read_record
from clockspec.core.safepaths import UnsafePath, read_no_follow
from clockspec.report.family_folder import read_family_folder
from clockspec.store.objects import data_dir
from tiny import tiny_spec

SECRET = b"root:$6$saltsalt$verylonghashvalue0123456789\n"


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    folder = tmp_path_factory.mktemp("links")
    (folder / "t.yaml").write_text(tiny_spec("ln-tiny", steps=20))
    assert main(["run", str(folder / "t.yaml"), "--out", str(folder / "runs"), "-q"]) == 0
    return folder


@pytest.fixture
def store(made, tmp_path):
    """(spec, store, view, object) of a finished run, and an outside folder to link to."""
    root = tmp_path / "s"
    shutil.copytree(made, root)
    (view,) = (root / "runs").glob("ln-tiny-*")
    (tmp_path / "outside").mkdir()
    return root / "t.yaml", root / "runs", view, data_dir(view)


def linked(path, target, content: bytes) -> None:
    """`path` replaced by a link to `target`, which holds `content`."""
    target.write_bytes(content)
    path.unlink(missing_ok=True)
    path.symlink_to(target)


def test_read_no_follow_refuses_a_link_a_pipe_and_a_folder(tmp_path):
    import os

    (tmp_path / "real").write_bytes(b"x")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    os.mkfifo(tmp_path / "pipe")
    assert read_no_follow(tmp_path / "real") == b"x"
    for name in ("link", "pipe"):
        with pytest.raises(UnsafePath):
            read_no_follow(tmp_path / name)  # a pipe would block an ordinary read forever
    with pytest.raises(IsADirectoryError):
        read_no_follow(tmp_path)
    assert read_json(tmp_path / "link") is None
    with pytest.raises(DamagedFile, match="symbolic link"):
        read_record(tmp_path / "link", {})


def test_a_linked_status_is_refused_by_run_and_left_out_by_runs(store, tmp_path, capsys):
    spec, out, view, obj = store
    status = json.loads((obj / "status.json").read_text())
    linked(obj / "status.json", tmp_path / "outside" / "s.json",
           json.dumps({**status, "host": "OUTSIDE-MARK"}).encode())
    assert main(["runs", "--out", str(out), "--format", "json"]) == 1  # its only run left out
    captured = capsys.readouterr()
    assert "OUTSIDE-MARK" not in captured.out + captured.err
    assert f"{obj / 'status.json'}: warning: status: not a status record" in captured.err
    assert main(["run", str(spec), "--out", str(out), "-q"]) == 2
    assert f"{obj / 'status.json'}: error: (the file): expected a regular file" in capsys.readouterr().err


def test_linked_rows_are_refused_by_report(store, tmp_path, capsys):
    spec, out, view, obj = store
    rows = (obj / "metrics.jsonl").read_bytes()
    linked(obj / "metrics.jsonl", tmp_path / "outside" / "m.jsonl", rows)
    assert main(["report", str(view)]) == 2
    assert f"{obj / 'metrics.jsonl'}: error: (the file): expected a regular file" in capsys.readouterr().err


def test_a_linked_figure_is_not_copied_into_the_view(store, tmp_path, capsys):
    spec, out, view, obj = store
    linked(obj / "curves.png", tmp_path / "outside" / "secret", SECRET)
    assert main(["run", str(spec), "--out", str(out), "-q"]) == 2  # reuses the run: shows its figure
    assert f"{obj / 'curves.png'}: error: (the file)" in capsys.readouterr().err
    assert (view / "curves.png").read_bytes() != SECRET


def test_a_linked_checkpoint_is_not_loaded_on_resume(store, tmp_path, capsys):
    spec, out, view, obj = store
    status = json.loads((obj / "status.json").read_text())
    (obj / "status.json").write_text(json.dumps({**status, "status": "interrupted", "step": 10}))
    linked(obj / "checkpoint.pt", tmp_path / "outside" / "c.pt", b"anything")
    assert main(["run", str(spec), "--out", str(out), "-q", "--resume"]) == 2
    assert f"{obj / 'checkpoint.pt'}: error: (the file): expected a regular file" in capsys.readouterr().err
    after = json.loads((obj / "status.json").read_text())
    assert (after["status"], after["step"]) == ("failed", 10)  # a final state, at its step


def test_a_family_folder_walk_does_not_descend_into_a_link(store, tmp_path):
    spec, out, view, obj = store
    folder = tmp_path / "fam"
    folder.mkdir()
    (folder / "linked").symlink_to(obj)
    shutil.copytree(obj, folder / "real")
    assert [m.name for m in read_family_folder(folder).members] == ["real"]
