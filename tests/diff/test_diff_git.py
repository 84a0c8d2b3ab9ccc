"""clockspec diff with git, in a real temporary repository: REV:path, textconv, difftool."""
from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

ROOT = Path(__file__).resolve().parents[2]
BASE = (ROOT / "tests" / "fixtures" / "diff" / "base.yaml").read_text()
REFORMATTED = (ROOT / "tests" / "fixtures" / "diff" / "reformatted.yaml").read_text()
# The canonical text keeps clocks in the order they are listed (`clockspec diff` ignores it).
LISTED = ["  fit: first train_loss <= 0.01\n", "  generalize: first test_acc >= 0.99\n",
          "  simplify: settle weight_norm within 1%\n"]
SAME_CLOCK_ORDER = REFORMATTED.replace("".join(reversed(LISTED)), "".join(LISTED))
CLOCKSPEC = f"{shlex.quote(sys.executable)} -m clockspec.commands.main"


@pytest.fixture
def repo(tmp_path):
    """A git repository with spec.yaml committed; git sees no user or system config."""
    env = {**os.environ, "HOME": str(tmp_path), "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org", "PYTHONPATH": str(ROOT)}
    work = tmp_path / "repo"
    work.mkdir()

    def git(*args: str, cwd: Path = work) -> subprocess.CompletedProcess:
        return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)

    def clockspec(*args: str, cwd: Path = work) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "clockspec.commands.main", *args], cwd=cwd, env=env,
                              capture_output=True, text=True, check=False)

    assert git("init", "-q").returncode == 0
    (work / "spec.yaml").write_text(BASE)
    git("add", "spec.yaml")
    assert git("commit", "-qm", "spec").returncode == 0
    return work, git, clockspec


def test_revision_against_the_working_tree(repo):
    work, git, clockspec = repo
    (work / "spec.yaml").write_text(BASE.replace("first train_loss <= 1e-2", "first train_loss <= 1e-3"))
    done = clockspec("diff", "HEAD:spec.yaml", "spec.yaml")
    assert done.returncode == 1, done.stderr
    assert done.stdout.splitlines()[:3] == [
        "--- HEAD:spec.yaml", "+++ spec.yaml",
        '~ clocks.fit: "first train_loss <= 0.01" -> "first train_loss <= 1e-3"']
    assert done.stdout.rstrip().endswith("1 change; re-evaluate: clock fit (+1 downstream)")


def test_reformatting_the_file_is_no_change(repo):
    work, git, clockspec = repo
    (work / "spec.yaml").write_text(REFORMATTED)
    done = clockspec("diff", "HEAD:spec.yaml", "spec.yaml")
    assert (done.returncode, done.stdout.splitlines()[-1]) == (0, "no changes")


def test_two_revisions_and_a_path_from_a_subfolder(repo):
    work, git, clockspec = repo
    (work / "spec.yaml").write_text(BASE.replace("seed: 0\n", "").replace("tags: [grokking]", "tags: [grokking]\nseed: 1"))
    git("commit", "-qam", "seed 1")
    (work / "sub").mkdir()
    done = clockspec("diff", "HEAD~1:./../spec.yaml", "HEAD:spec.yaml", cwd=work / "sub")
    assert done.returncode == 1, done.stderr
    assert "~ seed: 0 -> 1" in done.stdout


@pytest.mark.parametrize("arg,message", [
    ("HEAD:missing.yaml", "HEAD:missing.yaml:1:1: error: git: path 'missing.yaml' does not exist in 'HEAD'"),
    ("nosuchrev:spec.yaml", "nosuchrev:spec.yaml:1:1: error: git: invalid object name 'nosuchrev'."),
])
def test_a_bad_revision_or_path_is_a_clean_error(repo, arg, message):
    work, git, clockspec = repo
    done = clockspec("diff", arg, "spec.yaml")
    assert done.returncode == 2
    assert done.stderr.strip() == message
    assert "Traceback" not in done.stderr


def test_a_bad_spec_at_a_revision_is_positioned_there(repo):
    work, git, clockspec = repo
    (work / "spec.yaml").write_text(BASE.replace("op: add", "op: ad"))
    git("commit", "-qam", "typo")
    done = clockspec("diff", "HEAD:spec.yaml", "HEAD~1:spec.yaml")
    assert done.returncode == 2
    assert done.stderr.startswith("HEAD:spec.yaml:6:"), done.stderr
    assert "did you mean 'add'?" in done.stderr


def test_textconv_driver_makes_git_diff_semantic(repo):
    work, git, clockspec = repo
    (work / ".gitattributes").write_text("*.yaml diff=clockspec\n*.clk diff=clockspec\n")
    driver = f"diff.clockspec.textconv={CLOCKSPEC} convert --canonical"
    assert SAME_CLOCK_ORDER != REFORMATTED
    (work / "spec.yaml").write_text(SAME_CLOCK_ORDER)
    assert git("diff", "--stat").stdout.strip()  # plain git sees a rewrite ...
    assert git("-c", driver, "diff").stdout == ""  # ... the canonical text is the same
    (work / "spec.yaml").write_text(SAME_CLOCK_ORDER.replace("hidden: [256]", "hidden: [256, 256]"))
    shown = git("-c", driver, "diff").stdout
    changed = [line for line in shown.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert changed == ["-  hidden: [256]", "+  hidden: [256, 256]"], shown


def test_difftool_runs_clockspec_diff(repo):
    work, git, clockspec = repo
    (work / "spec.yaml").write_text(REFORMATTED.replace("strength: 1.0", "strength: 0.1"))
    done = git("difftool", "--no-prompt", "-x", f"{CLOCKSPEC} diff", "HEAD", "--", "spec.yaml")
    assert done.returncode == 0, done.stderr  # difftool ignores the tool's status unless --trust-exit-code
    assert "~ regularizers.weight_decay.strength: 1.0 -> 0.1" in done.stdout
    assert "retrains: objective" in done.stdout


def test_a_family_at_a_revision_expands_with_the_base_of_that_revision(repo):
    work, git, clockspec = repo
    (work / "sweeps").mkdir()
    (work / "sweeps" / "wd.yaml").write_text(
        "family: wd\nbase: ../spec.yaml\nvary:\n  grid:\n    regularizers.weight_decay.strength: [0.1, 1.0]\n")
    git("add", "sweeps/wd.yaml")
    git("commit", "-qm", "sweep")
    (work / "spec.yaml").write_text(BASE.replace("hidden: [256]", "hidden: [512]"))
    done = clockspec("diff", "HEAD:sweeps/wd.yaml", "sweeps/wd.yaml")
    assert done.returncode == 1, done.stderr
    assert "  base (../spec.yaml):\n    ~ model.hidden: [256] -> [512]" in done.stdout
    assert "members: 0 added, 0 removed, 2 retrain" in done.stdout


# ---- git's own ways of calling: textconv over a broken history, difftool, the 7-argument driver ----

WD_FAMILY = "family: wd\nbase: ../spec.yaml\nvary:\n  grid:\n    regularizers.weight_decay.strength: [{}]\n"
TEXTCONV = f"diff.clockspec.textconv={CLOCKSPEC} convert --canonical"
DRIVER = f"diff.clockspec.command={CLOCKSPEC} diff"


def family_history(work, git):
    """sweeps/wd.yaml on ../spec.yaml, committed; then the family and its base both edited."""
    (work / ".gitattributes").write_text("*.yaml diff=clockspec\n")
    (work / "sweeps").mkdir()
    (work / "sweeps" / "wd.yaml").write_text(WD_FAMILY.format("0.1, 1.0"))
    git("add", ".gitattributes", "sweeps/wd.yaml")
    git("commit", "-qm", "sweep")
    (work / "spec.yaml").write_text(BASE.replace("hidden: [256]", "hidden: [512]"))
    (work / "sweeps" / "wd.yaml").write_text(WD_FAMILY.format("0.1, 1.0, 3.0"))


def test_git_log_p_survives_an_invalid_spec_in_history(repo):
    work, git, clockspec = repo
    (work / ".gitattributes").write_text("*.yaml diff=clockspec\n")
    (work / "spec.yaml").write_text(BASE.replace("op: add", "op: ad"))
    git("add", ".gitattributes", "spec.yaml")
    git("commit", "-qm", "typo")
    (work / "spec.yaml").write_text(BASE.replace("hidden: [256]", "hidden: [64]"))
    git("commit", "-qam", "fixed")
    done = git("-c", TEXTCONV, "log", "-p")
    assert done.returncode == 0, done.stderr
    assert "+# clockspec: not a valid spec, shown as written (6:" in done.stdout
    assert "+task: {kind: modular, op: ad," in done.stdout  # the raw text ...
    assert "+  hidden: [64]" in done.stdout  # ... and the canonical one once it is valid


def test_difftool_on_a_family_reads_the_old_base_from_the_revision(repo):
    work, git, clockspec = repo
    family_history(work, git)
    (work / "sub").mkdir()
    done = git("difftool", "--no-prompt", "--trust-exit-code", "-x", f"{CLOCKSPEC} diff", "HEAD", "--",
               "../sweeps/wd.yaml", cwd=work / "sub")
    assert done.returncode == 0, done.stderr  # 0 for git, even with --trust-exit-code
    assert done.stdout.startswith("--- a/sweeps/wd.yaml\n+++ b/sweeps/wd.yaml\n"), done.stdout
    assert "  base (../spec.yaml):\n    ~ model.hidden: [256] -> [512]" in done.stdout
    assert "regularizers.weight_decay.strength" in done.stdout and "1 added" in done.stdout


def test_the_seven_argument_driver_compares_two_revisions_of_a_family(repo):
    work, git, clockspec = repo
    family_history(work, git)
    git("commit", "-qam", "wider, one more strength")
    done = git("-c", DRIVER, "diff", "HEAD~1", "HEAD", "--", "sweeps/wd.yaml")
    assert done.returncode == 0, done.stderr
    assert "--- a/sweeps/wd.yaml\n+++ b/sweeps/wd.yaml\n" in done.stdout
    assert "  base (../spec.yaml):\n    ~ model.hidden: [256] -> [512]" in done.stdout
    both = git("-c", DRIVER, "log", "-p", "--ext-diff", "--", "sweeps/wd.yaml")  # each commit, an added file too
    assert both.returncode == 0 and "clockspec diff: sweeps/wd.yaml: added" in both.stdout, both.stderr


def test_the_driver_shows_an_invalid_side_as_a_text_diff_and_exits_0(repo):
    work, git, clockspec = repo
    (work / ".gitattributes").write_text("*.yaml diff=clockspec\n")
    git("add", ".gitattributes")
    git("commit", "-qm", "attributes")
    (work / "spec.yaml").write_text(BASE.replace("op: add", "op: ad"))
    done = git("-c", DRIVER, "diff")
    assert done.returncode == 0, done.stderr
    marker, *rest = done.stdout.splitlines()
    assert marker.startswith("# clockspec diff: spec.yaml: not comparable as specs (")
    assert marker.endswith("the text diff follows") and rest[:2] == ["--- a/spec.yaml", "+++ b/spec.yaml"]
    assert "-task: {kind: modular, op: add, modulus: 97, train_fraction: 0.3}" in rest
    assert "+task: {kind: modular, op: ad, modulus: 97, train_fraction: 0.3}" in rest


def test_diff_refuses_a_third_argument_that_is_not_gits_seven(repo):
    work, git, clockspec = repo
    done = clockspec("diff", "spec.yaml", "spec.yaml", "spec.yaml")
    assert done.returncode == 2 and "7 arguments" in done.stderr and "Traceback" not in done.stderr
