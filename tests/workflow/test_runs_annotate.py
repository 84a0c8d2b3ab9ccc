"""`clockspec runs --tag/--untag/--note/--rm`: annotations kept beside a run (no hash changes,
kept through a retrain), seen by `runs` listings and the trackers; removal only with --yes."""
from __future__ import annotations

import json

import pytest

from clockspec.commands.main import main
from clockspec.store.index import find_runs
from clockspec.store.objects import data_dir
from tiny import tiny_spec


@pytest.fixture
def store(tmp_path):
    spec = tmp_path / "tiny.yaml"
    spec.write_text(tiny_spec("note-tiny", steps=20, tail="tags: [spec-tag]\n"))
    assert main(["run", str(spec), "--out", str(tmp_path / "runs"), "-q"]) == 0
    return tmp_path / "runs"


def test_tags_and_a_note_are_kept_beside_the_run_and_listed(store, capsys):
    assert main(["runs", str(store), "--tag", "paper", "--tag", "fig-2", "--note", "the one in figure 2"]) == 0
    assert "tags paper, fig-2; note: the one in figure 2" in capsys.readouterr().out
    (record,) = find_runs([store])
    assert record.tags == ["spec-tag", "paper", "fig-2"] and record.note == "the one in figure 2"
    status = (data_dir(record.path) / "status.json").read_text()
    assert main(["runs", str(store), "--untag", "fig-2", "--note", ""]) == 0
    (record,) = find_runs([store])
    assert record.tags == ["spec-tag", "paper"] and record.note == ""
    assert (data_dir(record.path) / "status.json").read_text() == status  # the run itself untouched
    capsys.readouterr()
    assert main(["runs", str(store), "--format", "json"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert listed["tags"] == ["spec-tag", "paper"]


def test_a_tag_must_be_printable(store, capsys):
    assert main(["runs", str(store), "--tag", "a\x1b[2Jb"]) == 2
    assert "a tag is 1 to 80 printable characters" in capsys.readouterr().err


def test_rm_lists_without_yes_and_removes_with_it(store, capsys):
    (record,) = find_runs([store])
    assert main(["runs", str(store), "--rm"]) == 2
    out, err = capsys.readouterr()
    assert f"would remove {record.path}" in out and "add --yes" in err and record.path.is_dir()
    assert main(["runs", str(store), "--rm", "--yes"]) == 0
    assert not record.path.exists()
