"""bench/barak.py's arithmetic: per-n medians over the seeds that solved (censored seeds left
out and counted), and the least-squares exponent of steps ~ a n^b."""
import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "barak.py"


def bench():
    spec = importlib.util.spec_from_file_location("barak_bench", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_medians_leave_censored_seeds_out_and_the_exponent_is_the_power_laws(tmp_path):
    barak = bench()
    table = tmp_path / "family.csv"
    rows = ["member,label,bits,seed,status,step,solve,solve_censored",
            "a,x,20,0,complete,100,100,0", "b,x,20,1,complete,900,,1",
            "c,x,40,0,complete,400,400,0", "d,x,40,1,complete,800,800,0", "e,x,60,0,complete,900,,1"]
    table.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert barak.medians(table) == {20: (100, 1, 2), 40: (600, 2, 2), 60: (None, 0, 1)}
    assert barak.exponent({10: 3 * 10**2.5, 20: 3 * 20**2.5, 40: 3 * 40**2.5}) == pytest.approx(2.5)
