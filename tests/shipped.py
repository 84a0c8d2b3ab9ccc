"""The example specs the project ships, by name.

Tests that read `specs/` take their list from here, not from a glob: a researcher who adds a
spec of their own to `specs/` (as the README's `ablate -o specs/...` does) must not turn the
suite red with "missing golden file". A shipped spec is added here with its golden files.
"""
from pathlib import Path

SPECS_DIR = Path(__file__).resolve().parent.parent / "specs"

NAMES = (
    "deep_linear.clk", "deep_linear.yaml", "deep_linear_depth.yaml", "init_scale.yaml",
    "modadd.clk", "modadd.yaml", "quickstart.yaml", "quickstart_wd.yaml", "train_fraction.yaml",
    "wd_family.clk", "wd_family.yaml",
    "paper/dln-depth-wd.yaml", "paper/dln-teacher.yaml", "paper/modadd-init-scale.yaml",
    "paper/modadd-relu.yaml", "paper/modadd-seeds.yaml", "paper/modadd-train-fraction.yaml",
    "paper/modadd-wd.yaml",
    "paper/nanda-cpu.yaml", "paper/nanda-cpu-wd.yaml", "paper/nanda-2023.yaml", "paper/nanda-2023-wd.yaml",
    "paper/power-2022.yaml", "paper/kumar-alpha.yaml", "paper/lyu-init.yaml",
    "paper/liu-2022-base.yaml", "paper/liu-2022-phases.yaml", "paper/liu-2022-phases-dense.yaml",
    "paper/barak-2022.yaml", "paper/prieto-2025.yaml", "paper/grokfast-2024.yaml",
    "paper/power-2022-s5.yaml", "paper/kumar-2024.yaml",
    "zoo/sparse_parity.yaml", "zoo/s5_grokking.yaml", "zoo/omnigrok_large_init.yaml",
    "zoo/omnigrok_constrained.yaml", "zoo/label_noise.yaml", "zoo/stablemax.yaml",
    "zoo/synthetic_strokes_large_init.yaml", "zoo/synthetic_strokes_constrained.yaml",
)

ALL = tuple(SPECS_DIR / name for name in NAMES)


def top(suffix: str) -> list[Path]:
    """Shipped specs directly in specs/ (not specs/paper/) with this suffix."""
    return [p for p in ALL if p.parent == SPECS_DIR and p.suffix == suffix]


def is_family(path: Path) -> bool:
    return any(line.startswith(("family:", "family ")) for line in path.read_text(encoding="utf-8").splitlines())
