"""Issue 30, every damaged store file is a clean error naming the file and the field, and
`runs`/`report`/`compare` keep working on the other runs; and the argument messages."""
from __future__ import annotations

import json
import shutil

import pytest

from clockspec.commands.main import main
from clockspec.store.objects import data_dir
from tiny import tiny_spec


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """Three finished runs of one spec (seeds 0, 5 and 7), each a 10-step run of two probe rows."""
    folder = tmp_path_factory.mktemp("dmg")
    spec = folder / "tiny.yaml"
    spec.write_text(tiny_spec("dmg-tiny", steps=10))
    assert main(["run", str(spec), "--out", str(folder / "runs"), "-q"]) == 0
    assert main(["run", str(spec), "--out", str(folder / "runs"), "-q", "--set", "seed=5"]) == 0
    assert main(["run", str(spec), "--out", str(folder / "runs"), "-q", "--set", "seed=7"]) == 0
    return folder


@pytest.fixture
def store(made, tmp_path):
    shutil.copytree(made, tmp_path / "s")
    root = tmp_path / "s"
    runs = sorted((root / "runs").glob("dmg-tiny-*"))
    plain = next(r for r in runs if json.loads((data_dir(r) / "status.json").read_text())["overrides"] == [])
    return root / "tiny.yaml", root / "runs", plain, next(r for r in runs if r != plain)


def edit(path, change):
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


DAMAGE = {
    "status bad utf-8": ("status.json", "(the file)", lambda p: p.write_bytes(b"\xff\xfe{")),
    "status a list": ("status.json", "(the file)", lambda p: p.write_text("[1, 2]")),
    "status step text": ("status.json", "step", lambda p: edit(p, lambda d: d.update(step="ten"))),
    "status wall list": ("status.json", "wall_s", lambda p: edit(p, lambda d: d.update(wall_s=[1]))),
    "clocks a list": ("clocks.json", "(the file)", lambda p: p.write_text("[1]")),
    "clocks not a mapping": ("clocks.json", "clocks", lambda p: edit(p, lambda d: d.update(clocks=5))),
    "clock step text": ("clocks.json", "clocks.memorize",
                        lambda p: edit(p, lambda d: d["clocks"].update(memorize={"reached": True, "step": "x"}))),
}


@pytest.mark.parametrize("case", DAMAGE)
def test_a_damaged_file_is_named_with_its_field_and_the_other_runs_still_list(store, case, capsys):
    spec, out, plain, other = store
    name, field, damage = DAMAGE[case]
    stored = data_dir(plain) / name  # the trained program's file (run reads it)
    shown = plain / name if name == "clocks.json" else stored  # what the name shows (runs and report read it)
    damage(stored)
    if shown != stored:
        damage(shown)
    assert main(["runs", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert other.name[-12:] in captured.out and f"{shown}: warning:" in captured.err
    assert main(["run", str(spec), "--out", str(out), "-q"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{stored}: error: {field}: expected") and "--force" in err
    if field != "clocks.memorize":  # the report reads clocks itself, per clock
        assert main(["report", str(plain), "--no-plots"]) == 2
        assert f"{shown}: error: {field}: expected" in capsys.readouterr().err
    others = [str(r) for r in sorted(out.glob("dmg-tiny-*")) if r != plain]
    assert main(["compare", *others, "-o", str(out / "compare.png")]) == 0  # not into the working directory


def test_a_damaged_snapshot_index_is_left_out(store, capsys):
    _, out, plain, _ = store
    (data_dir(plain) / "snapshots").mkdir(exist_ok=True)
    (data_dir(plain) / "snapshots" / "index.json").write_text('[{"step": "x", "file": 3}, 5, {"step": 1, "file": "../x.pt"}]')
    capsys.readouterr()
    assert main(["runs", "--out", str(out), "--format", "json"]) == 0
    assert [r["snapshots"] for r in json.loads(capsys.readouterr().out)] == [[], [], []]


def test_a_damaged_family_lock_is_named_with_its_field(tmp_path, capsys):
    (tmp_path / "fam").mkdir()
    (tmp_path / "fam" / "family.lock.json").write_text(json.dumps({"members": [{"name": 3}]}))
    assert main(["report", str(tmp_path / "fam")]) == 2
    assert "family.lock.json: error: members[0].name: expected str" in capsys.readouterr().err
    (tmp_path / "fam" / "family.lock.json").write_text(json.dumps({"members": "all"}))
    assert main(["runs", "--out", str(tmp_path)]) == 1  # no runs found, and the damaged field named
    assert "family.lock.json: warning: members: expected a list" in capsys.readouterr().err


def test_report_on_a_run_of_two_probe_rows_draws_its_figures(store):
    _, _, plain, _ = store
    assert main(["report", str(plain)]) == 0
    assert (plain / "clock_curves.png").stat().st_size > 0


def test_a_5000_digit_number_in_where_is_refused_at_its_column(store, capsys):
    _, out, _, _ = store
    assert main(["runs", "--out", str(out), "--where", "step == " + "9" * 5000]) == 2
    assert "--where:1:9: error: the number" in capsys.readouterr().err


@pytest.mark.parametrize("condition", ["name.__class__ == 1", "status.x == 1", "tags.__len__ > 0"])
def test_a_part_of_a_run_field_is_refused_as_such(store, condition, capsys):
    _, out, _, _ = store
    assert main(["runs", "--out", str(out), "--where", condition]) == 2
    err = capsys.readouterr().err
    assert "is a run field, a single value with no parts" in err and "famil" not in err


def test_clockspec_runs_naming_a_file_is_reported_as_the_variable(tmp_path, monkeypatch, capsys):
    (tmp_path / "afile").write_text("x")
    monkeypatch.setenv("CLOCKSPEC_RUNS", str(tmp_path / "afile"))
    assert main(["runs"]) == 2
    assert capsys.readouterr().err.startswith("CLOCKSPEC_RUNS: error: names")


def test_a_missing_out_folder_is_named_as_the_argument(tmp_path, capsys):
    assert main(["runs", "--out", str(tmp_path / "none")]) == 2
    assert capsys.readouterr().err.startswith(f"{tmp_path / 'none'}: error: no such folder")


@pytest.mark.parametrize(("sets", "grid"), [("seed=3", "seed=0,1"), ("optimizer.lr=0.1", "optimizer={kind: sgd}")])
def test_a_set_that_a_grid_would_replace_is_refused(tmp_path, sets, grid, capsys):
    spec = tmp_path / "t.yaml"
    spec.write_text(tiny_spec("sg-tiny"))
    assert main(["run", str(spec), "--out", str(tmp_path / "runs"), "--set", sets, "--grid", grid]) == 2
    assert "also set by --set" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


def test_a_damaged_member_status_stops_a_family_run_with_the_file_named(tmp_path, monkeypatch, capsys):
    from clockspec.orchestrate import execute
    from thread_backend import ThreadBackend

    monkeypatch.setattr(execute, "LocalBackend", lambda jobs, threads: ThreadBackend(1))
    spec = tmp_path / "t.yaml"
    spec.write_text(tiny_spec("fd-tiny", steps=10))
    args = ["run", str(spec), "--out", str(tmp_path / "runs"), "-q", "--grid", "seed=1,2"]
    assert main(args) == 0
    (member,) = (tmp_path / "runs" / "fd-tiny-grid-seed").glob("seed-1-*")
    (data_dir(member) / "status.json").write_text("[1]")
    (member.parent / "attempts.json").write_text('{"seed-1": 3, "seed-2": {"failed": "x"}}')
    capsys.readouterr()
    assert main(args) == 2
    assert f"{data_dir(member) / 'status.json'}: error: (the file): expected a JSON object" in capsys.readouterr().err


def test_a_malformed_ray_address_is_named_as_the_variable(monkeypatch):
    from clockspec.core.errors import RunError
    from clockspec.orchestrate.ray_cluster import connect

    class FakeRay:
        def is_initialized(self):
            return False

        def init(self, address=None, **_):
            raise ValueError("Invalid address format: garbage::")

    monkeypatch.setenv("RAY_ADDRESS", "garbage::")
    with pytest.raises(RunError) as info:
        connect(FakeRay(), 1, 1, None)
    assert info.value.diagnostic.file == "RAY_ADDRESS" and info.value.exit_status == 2
    with pytest.raises(RunError) as info:
        connect(FakeRay(), 1, 1, "x::")
    assert info.value.diagnostic.file == "--address"


def test_a_run_that_diverges_at_step_0_draws_its_curves_and_records_diverged(tmp_path):
    spec = tmp_path / "t.yaml"
    spec.write_text(tiny_spec("dv-tiny", steps=10))
    main(["run", str(spec), "--out", str(tmp_path / "runs"), "-q", "--set", "model.init_scale=1e30"])
    (view,) = (tmp_path / "runs").glob("dv-tiny-*")
    doc = json.loads((data_dir(view) / "status.json").read_text())
    assert (doc["status"], doc["step"]) == ("diverged", 0)
    assert (view / "curves.png").stat().st_size > 0


@pytest.mark.parametrize(("text", "field"), [("[1]", "(the file)"), ('{"members": 3}', "members"),
                                             ('{"members": [{"name": 5, "spec": 3}]}', "members[0]")])
def test_a_damaged_family_lock_stops_a_family_run_with_the_field_named(tmp_path, text, field, capsys):
    folder = tmp_path / "runs" / "fl-tiny-grid-seed"
    folder.mkdir(parents=True)
    (folder / "family.lock.json").write_text(text)
    spec = tmp_path / "t.yaml"
    spec.write_text(tiny_spec("fl-tiny", steps=10))
    assert main(["run", str(spec), "--out", str(tmp_path / "runs"), "-q", "--grid", "seed=1,2"]) == 2
    assert capsys.readouterr().err.startswith(f"{folder / 'family.lock.json'}: error: {field}: expected")
