"""Issue 30, writes, deletes and reads outside the store: each attack tried on a real store.

Everything the store reads back is untrusted: a label is never a path component without
`core.safepaths.component`, a path read from a store file is used only inside the store, no
link is followed when writing or deleting, and walks do not follow links.
"""
from __future__ import annotations

import json
import os
import shutil

import pytest

from clockspec.commands.main import main
from clockspec.orchestrate import execute
from clockspec.store.objects import data_dir
from thread_backend import ThreadBackend
from tiny import tiny_spec


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A spec and a store holding its finished run (trained once for the module)."""
    folder = tmp_path_factory.mktemp("store")
    spec = folder / "tiny.yaml"
    spec.write_text(tiny_spec("atk-tiny", steps=20, tail="snapshots: {every: 10}\n"))
    assert main(["run", str(spec), "--out", str(folder / "runs"), "-q"]) == 0
    return folder


@pytest.fixture
def store(made, tmp_path):
    shutil.copytree(made, tmp_path / "s", symlinks=True)
    root = tmp_path / "s"
    (run_dir,) = (root / "runs").glob("atk-tiny-*")
    return root / "tiny.yaml", root / "runs", run_dir


@pytest.mark.parametrize("label", ["../../../../x", "/etc/x", "..", ".", ".hidden", "a/b\\c", "x\x1b[2J",
                                   "%2F", "", "é" * 300, "\ud800"])
def test_a_label_is_one_safe_folder_name(label):
    from clockspec.core.safepaths import component

    name = component(label)
    assert "/" not in name and "\\" not in name and name not in ("", ".", "..") and not name.startswith(".")
    assert name.isprintable() and len(name) <= 120


def test_distinct_labels_stay_distinct_folder_names():
    from clockspec.core.safepaths import component

    labels = ["a/b", "a%2Fb", "a_b", "a-b", "..", "%2E%2E", "x" * 300, "x" * 301]
    assert len({component(x) for x in labels}) == len(labels)


def test_a_varied_description_writes_no_tensorboard_events_outside_the_store(tmp_path, monkeypatch):
    pytest.importorskip("tensorboard")
    monkeypatch.setattr(execute, "LocalBackend", lambda jobs, threads: ThreadBackend(1))
    spec = tmp_path / "deep" / "er" / "tiny.yaml"
    spec.parent.mkdir(parents=True)
    spec.write_text(tiny_spec("tb-tiny", steps=10))
    out = tmp_path / "deep" / "er" / "runs"
    assert main(["run", str(spec), "--out", str(out), "-q", "--grid", "description=../../../../../x,/tmp/y",
                 "--log", "tensorboard"]) == 0
    written = {p for p in tmp_path.rglob("*") if p.is_file() and "tfevents" in p.name}
    family = out / "tensorboard" / "tb-tiny-grid-description"
    assert len([p for p in written if p.parent != family]) == 2  # one per member (the family's declares hparams)
    assert all((out / "tensorboard").resolve() in p.resolve().parents for p in written)


def test_run_force_deletes_only_snapshots_inside_the_run(store, tmp_path):
    spec, out, view = store
    run_dir = data_dir(view)  # the stored program, which holds the snapshots
    victims = [tmp_path / "victim.txt", run_dir.parent / "sibling.pt", run_dir / "spec-copy.pt"]
    for v in victims:
        v.write_text("keep me")
    index = run_dir / "snapshots" / "index.json"
    entries = json.loads(index.read_text())
    entries += [{"step": 7, "file": str(victims[0]), "bytes": 1}, {"step": 8, "file": "../../sibling.pt", "bytes": 1},
                {"step": 9, "file": "../spec-copy.pt", "bytes": 1}]
    index.write_text(json.dumps(entries))
    assert main(["run", str(spec), "--out", str(out), "-q", "--force"]) == 0
    assert all(v.read_text() == "keep me" for v in victims)


def test_a_linked_snapshots_folder_is_not_cleared(store, tmp_path):
    spec, out, view = store
    run_dir = data_dir(view)
    elsewhere = tmp_path / "elsewhere"
    shutil.move(run_dir / "snapshots", elsewhere)
    (run_dir / "snapshots").symlink_to(elsewhere)
    before = sorted(p.name for p in elsewhere.iterdir())
    assert main(["run", str(spec), "--out", str(out), "-q", "--force"]) == 2
    assert sorted(p.name for p in elsewhere.iterdir()) == before


def test_a_lock_file_that_is_a_link_is_not_followed(store, tmp_path, capsys):
    spec, out, view = store
    run_dir = data_dir(view)  # the lock is the stored program's
    target = tmp_path / "precious.txt"
    target.write_text("precious")
    lock = run_dir.parent / f".{run_dir.name}.lock"
    lock.unlink(missing_ok=True)
    lock.symlink_to(target)
    assert main(["run", str(spec), "--out", str(out), "-q"]) == 2  # even a run that only reuses its result
    assert target.read_text() == "precious"
    assert "symbolic link" in capsys.readouterr().err


@pytest.mark.parametrize("which", ["view", "object"])
def test_a_run_directory_that_is_a_link_is_not_written_into(store, tmp_path, capsys, which):
    spec, out, view = store
    run_dir = view if which == "view" else data_dir(view)
    target = tmp_path / "target"
    target.mkdir()
    shutil.rmtree(run_dir)
    run_dir.symlink_to(target)
    assert main(["run", str(spec), "--out", str(out), "-q"]) == 2
    assert list(target.iterdir()) == []
    assert "symbolic link" in capsys.readouterr().err


def test_metrics_appended_through_a_link_is_refused(tmp_path):
    from clockspec.core.safepaths import UnsafePath
    from clockspec.store.rundir import METRICS, RunDir

    target = tmp_path / "t.txt"
    target.write_text("x")
    (tmp_path / "rd").mkdir()
    (tmp_path / "rd" / METRICS).symlink_to(target)
    with pytest.raises(UnsafePath):
        RunDir(tmp_path / "rd").append_rows()
    assert target.read_text() == "x"


def test_family_lock_run_dir_outside_the_folder_is_refused_by_report(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(execute, "LocalBackend", lambda jobs, threads: ThreadBackend(1))
    spec = tmp_path / "tiny.yaml"
    spec.write_text(tiny_spec("fam-tiny", steps=10))
    out = tmp_path / "runs"
    assert main(["run", str(spec), "--out", str(out), "-q", "--grid", "seed=1,2"]) == 0
    (family,) = [p for p in out.iterdir() if (p / "family.lock.json").exists()]
    lock = json.loads((family / "family.lock.json").read_text())
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(family / lock["members"][0]["run_dir"], elsewhere)
    before = sorted(p.name for p in elsewhere.iterdir())
    lock["members"][0]["run_dir"] = "../../elsewhere"
    (family / "family.lock.json").write_text(json.dumps(lock))
    capsys.readouterr()
    assert main(["report", str(family)]) == 2
    err = capsys.readouterr().err
    assert "family.lock.json" in err and "members[0].run_dir" in err and "Traceback" not in err
    assert sorted(p.name for p in elsewhere.iterdir()) == before
    assert main(["runs", "--out", str(out)]) == 0  # the index lists the other member and names the field
    captured = capsys.readouterr()
    assert "members[0].run_dir" in captured.err and "seed-2" in captured.out
    assert "warning: git" not in captured.err


def test_runs_does_not_follow_links_that_loop(store, capsys):
    _, out, run_dir = store
    (out / "a").symlink_to(".")
    (out / "b").symlink_to(out)
    assert main(["runs", "--out", str(out)]) == 0
    assert capsys.readouterr().out.count(run_dir.name[-12:]) == 1  # one row: the program, found once


def test_inside_refuses_what_leaves_the_root(tmp_path):
    from clockspec.core.safepaths import UnsafePath, inside

    (tmp_path / "in").mkdir()
    (tmp_path / "link").symlink_to("/")
    assert inside(tmp_path, "in/x") == tmp_path / "in" / "x"
    for bad in ["../x", "/etc/passwd", "in/../../x", "link/etc", "~root", "", None, 3, ["x"], "a\0b", "\ud800"]:
        with pytest.raises(UnsafePath):
            inside(tmp_path, bad)


def test_no_follow_primitives_refuse_links(tmp_path):
    from clockspec.core.safepaths import UnsafePath, open_no_follow, refuse_link

    (tmp_path / "t").write_text("t")
    (tmp_path / "l").symlink_to(tmp_path / "t")
    with pytest.raises(UnsafePath):
        refuse_link(tmp_path / "l")
    with pytest.raises(UnsafePath):
        open_no_follow(tmp_path / "l", os.O_WRONLY)
    refuse_link(tmp_path / "missing")
    os.close(open_no_follow(tmp_path / "t", os.O_RDONLY))
