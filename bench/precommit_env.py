"""Size and time of the real pre-commit hook environment of this checkout's hooks.

Makes a throwaway git repository holding the shipped specs, points its
.pre-commit-config.yaml at this checkout (at HEAD, so commit first), and times
`pre-commit install-hooks` (building the hooks' virtualenv from scratch, in a fresh
PRE_COMMIT_HOME) and `pre-commit run --all-files`. Prints the figures; asserts nothing.

    python bench/precommit_env.py        # needs `pip install pre-commit` and the network (or a pip mirror)
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = """repos:
  - repo: {repo}
    rev: {rev}
    hooks: [{{id: clockspec-check}}, {{id: clockspec-fmt}}]
"""


def sh(*cmd: str, cwd: Path, env: dict | None = None) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return time.perf_counter() - start


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def main() -> None:
    import os

    rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    with tempfile.TemporaryDirectory() as tmp:
        repo, home = Path(tmp) / "repo", Path(tmp) / "home"
        shutil.copytree(ROOT / "specs", repo / "specs")
        (repo / ".pre-commit-config.yaml").write_text(CONFIG.format(repo=ROOT, rev=rev))
        env = {**os.environ, "PRE_COMMIT_HOME": str(home)}
        sh("git", "init", "-q", cwd=repo)
        sh("git", "add", "-A", cwd=repo)
        install_s = sh("pre-commit", "install-hooks", cwd=repo, env=env)
        run_s = sh("pre-commit", "run", "--all-files", cwd=repo, env=env)
        envs = [p for p in home.glob("repo*/py_env-*") if p.is_dir()]
        size = sum(folder_bytes(p) for p in envs)
        tops = [p for e in envs for p in e.glob("lib/python*/site-packages/*") if p.is_dir() and "." not in p.name]
        largest = sorted(((folder_bytes(p), p.name) for p in tops), reverse=True)[:6]
    print(f"hook environment: {size / 2**20:.1f} MiB in {len(envs)} virtualenv(s); largest: "
          + ", ".join(f"{name} {n / 2**20:.1f}" for n, name in largest))
    print(f"pre-commit install-hooks: {install_s:.1f} s; pre-commit run --all-files on {len(list((ROOT / 'specs').rglob('*.*')))} "
          f"specs: {run_s:.1f} s")


if __name__ == "__main__":
    main()
