"""`clockspec report FAMILY_DIR`: a part switched off reads `off` in report.md and a part present
`on`, as in family.csv (markdown escapes the underscore)."""
import json

from clockspec.commands.main import main

SPEC = """clockspec: 1
name: {name}
task: {{kind: teacher}}
model: {{kind: deep_linear, depth: 2}}
optimizer: {{kind: sgd, lr: 0.05}}
{regularizers}clocks: {{fit: settle train_loss within 1e-3}}
"""


def write_member(fam, i, wd):
    run = fam / f"m{i}-abc"
    run.mkdir(parents=True)
    regs = "" if wd is None else f"regularizers: {{weight_decay: {{strength: {wd}}}}}\n"
    (run / "spec.lock.yaml").write_text(SPEC.format(name=f"m{i}", regularizers=regs))
    rows = [{"step": t, "train_loss": 0.1 + 1 / (t + 1)} for t in range(0, 2000, 50)]
    (run / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (run / "status.json").write_text(json.dumps({"status": "complete", "step": 1950, "train_hash": f"h{i}"}))
    value = None if wd is None else {"strength": wd}
    return {"name": f"m{i}", "label": f"m{i}", "assignment": {"regularizers.weight_decay": value},
            "train_hash": f"h{i}", "run_dir": run.name,
            "spec": {"regularizers": {} if wd is None else {"weight_decay": value}}}


def test_a_switched_off_part_reads_off_in_the_family_report(tmp_path):
    fam = tmp_path / "fam"
    members = [write_member(fam, 0, None), write_member(fam, 1, 0.01)]
    (fam / "family.lock.json").write_text(json.dumps({
        "family": "fam", "source": "fam.yaml", "varied": ["regularizers.weight_decay"],
        "keys": {"regularizers.weight_decay": "wd"}, "members": members}))
    assert main(["report", "--no-plots", "-q", str(fam)]) == 0
    text = (fam / "report.md").read_text()
    assert "| [m0](m0-abc/report.md) | weight\\_decay=off |" in text and "None" not in text
    assert "| [m1](m1-abc/report.md) | weight\\_decay=on |" in text
    assert (fam / "family.csv").read_text().splitlines()[1:] == ["m0,m0,off,complete,1950", "m1,m1,on,complete,1950"]


def test_a_running_member_no_process_holds_reads_died_in_family_csv(tmp_path):
    """A worker killed, a pool or a cluster lost: the member's status stays `running`; the
    family table says `died` (run the family again to resume it) unless a process holds it."""
    from clockspec.store.lock import claim

    fam = tmp_path / "fam"
    members = [write_member(fam, 0, None), write_member(fam, 1, 0.01)]
    (fam / "m1-abc" / "status.json").write_text(json.dumps({"status": "running", "step": 700, "train_hash": "h1"}))
    (fam / "family.lock.json").write_text(json.dumps({
        "family": "fam", "source": "fam.yaml", "varied": ["regularizers.weight_decay"],
        "keys": {"regularizers.weight_decay": "wd"}, "members": members}))
    assert main(["report", "--no-plots", "-q", str(fam)]) == 0
    assert (fam / "family.csv").read_text().splitlines()[2] == "m1,m1,on,died,700"
    with claim(fam / "m1-abc"):  # still training, in some process
        assert main(["report", "--no-plots", "-q", str(fam)]) == 0
        assert (fam / "family.csv").read_text().splitlines()[2] == "m1,m1,on,running,700"
