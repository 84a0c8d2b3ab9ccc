"""What every tracker is told of a run (clockspec/report/tracking.py), without a tracker:
the tracker run id, the probe times read back from disk, clocks as numbers."""
from __future__ import annotations

from pathlib import Path

import pytest

from clockspec.report.tracking import clock_values, read_times, run_key, with_metadata
from clockspec.store.index import RunRecord


def record(**changes) -> RunRecord:
    base = dict(path=Path("r"), name="x", status="complete", step=40, steps=40, train_hash="ab" * 32, wall_s=1.0,
                date="2026-01-01T00:00:00Z", git="", tags=["spec", "mine"],
                clocks={"fit": {"step": 30, "reached": True}, "grok": {"step": None, "reached": False}},
                spec={"clocks.fit": "first train_acc >= 0.5", "clocks.grok": "first test_acc >= 1", "tags": ["spec"]})
    return RunRecord(**{**base, **changes})


def test_the_tracker_run_id_follows_the_train_hash_and_the_clock_set_only():
    key = run_key(record())
    assert run_key(record(status="diverged", path=Path("elsewhere"))) == key
    assert run_key(record(train_hash="cd" * 32)) != key
    assert run_key(record(spec={**record().spec, "clocks.grok": "first test_acc >= 0.9"})) != key


def test_a_censored_clock_is_a_number_too():
    assert clock_values(record()) == {"clock.fit": 30.0, "clock.grok.censored_at": 40.0}


def test_probe_times_from_disk_skip_what_is_not_a_time(tmp_path):
    (tmp_path / "times.jsonl").write_text('{"step": 0, "time": 1.5}\nnot json\n{"step": "1", "time": 2}\n'
                                          '{"step": 10, "time": NaN}\n{"step": 0, "time": 3.5}\n{"step": 20, "ti')
    assert read_times(tmp_path) == {0: 3.5}  # the last line for a step wins (a resume records it again)


def test_the_spec_as_it_is_now_refreshes_tags_and_description_and_keeps_tags_added_later():
    now = with_metadata(record(), {"tags": ["new"], "description": "after"})
    assert now.tags == ["new", "mine"] and now.spec["description"] == "after"


def test_tensorboard_does_not_write_through_a_link_below_the_store(tmp_path):
    from clockspec.report.tracker_tensorboard import _fresh

    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "store").mkdir()
    (tmp_path / "store" / "tensorboard").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(OSError, match="symbolic link"):
        _fresh(tmp_path / "store" / "tensorboard" / "run", tmp_path / "store")
    assert list((tmp_path / "elsewhere").iterdir()) == []


def test_the_log_option_offers_every_tracker():
    from clockspec.commands.log_export import CHOICES
    from clockspec.report.tracking import TRACKERS

    assert tuple(TRACKERS) == CHOICES
