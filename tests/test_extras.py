"""Without the `run` extra (torch, matplotlib, tqdm, numpy), every spec-review command works and the
others refuse in one line that says what to install; tested in a venv that holds only the core
dependencies, as the pre-commit hooks' environment does.

The venv sees nothing of the base interpreter; the core dependencies (and theirs) are linked in
from the environment running the tests, found through their installed metadata, so no network
is needed and torch, matplotlib and tqdm are truly absent.
"""
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from clean_wheel import wheel_and_venv

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
NEEDS_RUN = ("clockspec run: error: needs torch, matplotlib, tqdm and numpy, not installed here; "
             "install them with: pip install 'clockspec[run]'\n")


def core_distributions() -> set[str]:
    """clockspec's required dependencies and theirs, as installed here (extras left out)."""
    seen: set[str] = set()
    todo = [r for r in metadata.requires("clockspec") or [] if "extra ==" not in r]
    while todo:
        name = re.match(r"[A-Za-z0-9_.-]+", todo.pop()).group(0)
        key = name.lower().replace("_", "-")
        if key in seen:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:  # left out by its marker on this Python
            continue
        seen.add(key)
        todo += [r for r in dist.requires or [] if "extra ==" not in r]
    return seen


def link_distributions(names: set[str], into: Path) -> None:
    """Symlink each distribution's top-level modules and folders into `into`."""
    into.mkdir()
    for name in names:
        dist = metadata.distribution(name)
        for top in {f.parts[0] for f in dist.files or [] if f.parts[0] != ".."}:
            source = Path(dist.locate_file(top))
            if source.exists() and not (into / top).exists():
                (into / top).symlink_to(source)


@pytest.fixture(scope="module")
def core_venv(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("core")
    wheel, venv = wheel_and_venv(tmp, call)
    python = venv / "bin" / "python"
    names = core_distributions()
    assert {"pydantic", "pyyaml", "lark", "networkx"} <= names and not names & {"torch", "matplotlib", "tqdm", "numpy"}
    link_distributions(names, tmp / "core")
    site = call(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))").stdout.strip()
    Path(site, "core-deps.pth").write_text(f"{tmp / 'core'}\n")
    call(sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", wheel)
    call(sys.executable, "-m", "pip", "--python", python, "check")  # the core dependencies are complete
    work = tmp / "work"
    shutil.copytree(SPECS, work / "specs")
    shutil.copytree(SPECS, work / "no-data" / "specs", ignore=shutil.ignore_patterns(*DATASET_SPECS))
    return venv / "bin" / "clockspec", python, work


def call(*cmd, cwd=None, status=0):
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, cwd=cwd)
    assert done.returncode == status, f"{cmd}: {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


DATASET_SPECS = ("omnigrok_large_init.yaml", "omnigrok_constrained.yaml",  # task: dataset, read with numpy
                 "synthetic_strokes_large_init.yaml", "synthetic_strokes_constrained.yaml")
REVIEW = [
    ("check", "specs"), ("fmt", "--check", "specs"), ("convert", "specs/quickstart.yaml", "--to", "clk"),
    ("schema",), ("compile", "specs/modadd.yaml"), ("graph", "specs/modadd.yaml", "--format", "dot"),
    ("graph", "specs/modadd.clk", "--format", "mermaid"), ("graph", "specs/modadd.yaml", "--format", "json"),
    ("explain", "specs/deep_linear.yaml"), ("expand", "specs/wd_family.yaml"),
    ("expand", "specs/wd_family.clk", "-o", "members"), ("diff", "specs/modadd.yaml", "specs/modadd.clk"),
    ("ablate", "specs/modadd.yaml"), ("check", "--dependents", "specs/quickstart.yaml"),
]


@pytest.mark.slow
def test_spec_review_commands_work_without_torch_or_matplotlib(core_venv):
    cli, python, work = core_venv
    for module in ("torch", "matplotlib", "tqdm", "numpy"):
        call(python, "-c", f"import {module}", status=1)
    for argv in REVIEW:
        call(cli, *argv, cwd=work / ("no-data" if argv == ("check", "specs") else ""))
    changed = call(cli, "diff", "specs/quickstart.yaml", "specs/modadd.yaml", cwd=work, status=1)
    assert "task.modulus" in changed.stdout


@pytest.mark.slow
def test_a_dataset_spec_needs_numpy_to_be_checked_and_says_so(core_venv):
    """A data file's arrays (sizes, classes) are read with numpy, which the core lacks: the
    check names the field and the extra instead of passing a file it could not read."""
    cli, _, work = core_venv
    for name in DATASET_SPECS:
        done = call(cli, "check", f"specs/zoo/{name}", cwd=work, status=2)
        assert f"specs/zoo/{name}:" in done.stderr and "pip install 'clockspec[run]'" in done.stderr
        assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_commands_that_need_the_run_extra_say_how_to_install_it(core_venv):
    cli, _, work = core_venv
    before = sorted(p.name for p in work.iterdir())
    done = call(cli, "run", "specs/quickstart.yaml", cwd=work, status=2)
    assert (done.stdout, done.stderr) == ("", NEEDS_RUN)
    done = call(cli, "run", "specs/wd_family.yaml", "--out", "fam", cwd=work, status=2)
    assert (done.stdout, done.stderr) == ("", NEEDS_RUN)
    done = call(cli, "graph", "specs/modadd.yaml", "--format", "png", "-o", "plan.png", cwd=work, status=2)
    assert done.stderr == ("clockspec graph --format png: error: needs matplotlib, not installed here; "
                           "install it with: pip install 'clockspec[run]'\n")
    done = call(cli, "report", "specs", cwd=work, status=2)
    assert done.stderr.startswith("clockspec report: error: needs numpy and matplotlib,") and done.stderr.count("\n") == 1
    assert sorted(p.name for p in work.iterdir()) == before  # nothing written
    (work / "bad.yaml").write_text("clockspec: 1\nname: bad\ntask: {kind: modular}\nmodel: {kind: emb_mlp}\n")
    done = call(cli, "run", "bad.yaml", cwd=work, status=2)  # a bad spec is still named as such
    assert done.stderr.startswith("bad.yaml:4:") and "embed_mlp" in done.stderr
    (work / "bad.yaml").unlink()
