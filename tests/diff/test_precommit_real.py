"""The hooks of .pre-commit-hooks.yaml under the real pre-commit, in a temporary git repository:
a commit that changes only a base, breaking a family that uses it, is stopped.

The hooks are the file's own (id, entry, files), run as `language: system` with this
environment's `clockspec` on PATH, so pre-commit builds no environment (bench/precommit_env.py
measures that one) and no network is needed.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import shipped

ROOT = Path(__file__).resolve().parents[2]


def local_config() -> str:
    hooks = [{**hook, "language": "system"} for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())]
    return yaml.safe_dump({"repos": [{"repo": "local", "hooks": hooks}]})


@pytest.fixture
def repo(tmp_path):
    if shutil.which("pre-commit", path=os.path.dirname(sys.executable)) is None:
        pytest.skip("pre-commit is not installed in this environment (it comes with the test extra)")
    repo = tmp_path / "repo"
    (repo / "specs").mkdir(parents=True)
    for name in ("quickstart.yaml", "train_fraction.yaml", "modadd.yaml", "wd_family.yaml"):
        shutil.copy(shipped.SPECS_DIR / name, repo / "specs" / name)
    (repo / ".pre-commit-config.yaml").write_text(local_config())
    env = {**os.environ, "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"],
           "PRE_COMMIT_HOME": str(tmp_path / "cache"), "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}

    def git(*args, status=0):
        done = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True)
        assert done.returncode == status, f"git {args}: {done.returncode}\n{done.stdout}\n{done.stderr}"
        return done.stdout + done.stderr

    git("init", "-q")
    git("add", "-A")
    subprocess.run(["pre-commit", "install"], cwd=repo, env=env, check=True, capture_output=True)
    git("commit", "-q", "-m", "specs")  # the hooks pass on the shipped specs
    return repo, git


@pytest.mark.slow
def test_a_commit_of_a_base_that_breaks_an_untouched_family_is_stopped(repo):
    path, git = repo
    shutil.copy(shipped.SPECS_DIR / "deep_linear.yaml", path / "specs" / "quickstart.yaml")  # valid on its own
    git("add", "specs/quickstart.yaml")
    out = git("commit", "-m", "swap the base", status=1)
    assert "specs/train_fraction.yaml:9:27: error: 2 members (first frac=0.3,seed=0): unknown key 'train_fraction'" in out
    assert "wd_family" not in out  # a family on another base is not checked
    assert git("log", "--format=%s") == "specs\n"


@pytest.mark.slow
def test_a_commit_of_a_base_that_keeps_its_family_valid_passes(repo):
    path, git = repo
    base = path / "specs" / "modadd.yaml"
    base.write_text(base.read_text().replace("steps: 30000", "steps: 20000"))
    git("add", "specs/modadd.yaml")
    git("commit", "-q", "-m", "shorter")
    assert git("log", "--format=%s") == "shorter\nspecs\n"
