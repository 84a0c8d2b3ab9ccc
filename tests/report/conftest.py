"""A family folder as `clockspec run specs/quickstart_wd.yaml` leaves it, made by hand: weight
decay off and at three strengths, three seeds each, with known clock steps; without weight
decay `generalize` never fires (censored at the run's last step)."""
import json
import math

import pytest

SEEDS = (0, 1, 2)
FIT = {None: (300, 320, 280), 0.3: (300, 340, 310), 1.0: (300, 290, 330), 3.0: (260, 300, 280)}
GENERALIZE = {None: (None, None, None), 0.3: (4100, None, 3900), 1.0: (1800, 2100, 1700), 3.0: (900, 1000, 850)}
LAST = 6000
SPEC = """clockspec: 1
name: {name}
task: {{kind: teacher}}
model: {{kind: deep_linear, depth: 2}}
optimizer: {{kind: sgd, lr: 0.05}}
clocks: {{fit: first train_loss <= 1e-2, generalize: first test_loss <= 1e-2}}
"""


def _clock(step, metric):
    return {"step": step, "reached": step is not None, "value": 0.0, "metric": metric}


def _rows(fit, gen):
    steps = range(0, LAST + 1, 100)
    return [{"step": t, "train_loss": math.exp(-t / (fit / 4.6)) + 1e-3,
             "test_loss": math.exp(-t / ((gen or 10 ** 6) / 4.6)) + 1e-3} for t in steps]


def write_wd_family(folder, with_rows=True):
    """The folder, its lock naming 12 members; each member's status.json and clocks.json."""
    members = []
    for wd, fits in FIT.items():
        for seed, fit, gen in zip(SEEDS, fits, GENERALIZE[wd]):
            name = f"wd-off_seed-{seed}" if wd is None else f"wd_strength-{wd:g}_seed-{seed}".replace(".", "p")
            run = folder / f"{name}-abc"
            run.mkdir(parents=True)
            (run / "status.json").write_text(json.dumps({"status": "complete", "step": LAST, "train_hash": name}))
            (run / "clocks.json").write_text(json.dumps(
                {"clocks": {"fit": _clock(fit, "train_loss"), "generalize": _clock(gen, "test_loss")}}))
            if with_rows:
                (run / "spec.lock.yaml").write_text(SPEC.format(name=name))
                (run / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in _rows(fit, gen)))
            wd_part = None if wd is None else {"strength": wd}
            spec = {"seed": seed, "regularizers": {"weight_decay": wd_part},
                    "clocks": {"fit": "first train_loss <= 1e-2", "generalize": "first test_loss <= 1e-2"}}
            members.append({"name": name, "label": name, "train_hash": name, "run_dir": run.name, "spec": spec,
                            "assignment": {"regularizers.weight_decay": wd_part,
                                           "regularizers.weight_decay.strength": wd, "seed": seed}})
    (folder / "family.lock.json").write_text(json.dumps({
        "family": "quickstart-wd", "source": "quickstart_wd.yaml",
        "varied": ["regularizers.weight_decay", "regularizers.weight_decay.strength", "seed"],
        "keys": {"regularizers.weight_decay": "wd", "regularizers.weight_decay.strength": "wd_strength",
                 "seed": "seed"}, "members": members}))
    return folder


@pytest.fixture
def wd_family():
    """`write_wd_family` for tests that build such a folder."""
    return write_wd_family
