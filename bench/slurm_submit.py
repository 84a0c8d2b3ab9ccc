"""The SLURM launcher's own overhead for an N-member family, on a real (local) cluster: expand
and compile, submit every member as one held job array (nothing runs), look at the queue once,
then cancel. Prints seconds per phase, the submitit files' size per member, and squeue's cost.

    SLURM_CONF=/tmp/clockspec-slurm/slurm.conf python bench/slurm_submit.py -n 1000
"""
from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from pathlib import Path

from clockspec.families.expand import expand_family
from clockspec.orchestrate import worker
from clockspec.orchestrate.execute import prepare
from clockspec.orchestrate.slurm import SlurmBackend, _queue_states

BASE = """name: tiny
task: {kind: modular, modulus: 11, train_fraction: 0.7}
model: {kind: embed_mlp, embed_dim: 8, hidden: [16]}
optimizer: {kind: adamw, lr: 0.02}
train: {steps: 40}
probes: {every: 10}
clocks: {memorize: first train_acc >= 0.5}
"""


def size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=1000)
    n = parser.parse_args().n
    home = Path(tempfile.mkdtemp(prefix="slurm-bench-"))
    (home / "base.yaml").write_text(BASE)
    (home / "fam.yaml").write_text(f"family: big\nbase: base.yaml\nvary:\n  grid:\n    seed: {list(range(n))}\n")
    began = time.perf_counter()
    exp = expand_family(home / "fam.yaml")
    folder, plans, entries = prepare(exp, home / "runs", False, "fam.yaml")
    prepared = time.perf_counter()
    backend = SlurmBackend(16, 1, folder, {"additional_parameters": {"requeue": True, "hold": True}})
    handles = [backend.submit([worker.payload(m.spec)], str(folder), 1) for m in exp.members]
    backend._send()
    sent = time.perf_counter()
    states = _queue_states()
    polled = time.perf_counter()
    held = sum(1 for h in handles if states.get(h.job.job_id) == "PENDING")
    array = handles[0].job.job_id.split("_")[0]
    subprocess.run(["scancel", array], check=True)
    print(f"{n} members: expand + compile + family.lock {prepared - began:.2f} s; "
          f"submit (pickles + one sbatch per 1,000 tasks) {sent - prepared:.2f} s = {(sent - prepared) / n * 1e3:.2f} ms/member; "
          f"one squeue of {held} held tasks {polled - sent:.2f} s")
    print(f"submitit files {size(folder / 'slurm') / n / 1024:.1f} KiB/member; family.lock.json "
          f"{(folder / 'family.lock.json').stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
