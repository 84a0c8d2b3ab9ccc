"""Class 4 of issue 20: no argument of `clockspec diff` reaches git as an option.

In a real temporary repository: `--output=PATH:a.yaml` made `git show` write PATH.
"""
import shutil
import subprocess

import pytest

import clockspec
from clockspec.commands.main import main
from clockspec.diff.gitrev import git_show

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
SPEC = "name: a\ntask: {kind: modular}\nmodel: {kind: embed_mlp}\n"


@pytest.fixture
def repo(tmp_path, monkeypatch):
    root = tmp_path / "repo"
    root.mkdir()
    monkeypatch.chdir(root)
    env = ["-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", "init", "-q"], check=True)
    (root / "a.yaml").write_text(SPEC)
    subprocess.run(["git", "add", "a.yaml"], check=True)
    subprocess.run(["git", *env, "commit", "-qm", "a"], check=True)
    return root


@pytest.mark.parametrize("rev", ["--output={out}", "-o{out}", "--textconv", "-p"])
def test_an_option_like_revision_is_refused_and_git_writes_nothing(repo, tmp_path, capsys, rev):
    out = tmp_path / "pwned"
    arg = rev.format(out=out) + ":a.yaml"
    assert main(["diff", "--", arg, "a.yaml"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{arg}:1:1: error: revision '") and "starts with '-'" in err and "Traceback" not in err
    assert not out.exists()


def test_a_real_revision_still_reads(repo, capsys):
    (repo / "a.yaml").write_text(SPEC.replace("name: a", "name: b"))
    assert main(["diff", "--no-impact", "HEAD:a.yaml", "a.yaml"]) == 1
    assert "name" in capsys.readouterr().out


def test_git_is_told_where_options_end(repo, monkeypatch):
    seen = []
    real_run = subprocess.run

    def spy(cmd, *args, **kwargs):
        seen.append(cmd)
        return real_run(cmd, *args, **kwargs)

    monkeypatch.setattr(subprocess, "run", spy)
    assert git_show("HEAD", "a.yaml") == SPEC.encode()
    assert seen[-1][:3] == ["git", "show", "--end-of-options"]


def test_git_errors_are_escaped(repo):
    with pytest.raises(clockspec.SpecError) as info:
        git_show("HEAD", "no\nsuch.yaml")
    assert "\n" not in info.value.diagnostics[0].file and "\n" not in info.value.diagnostics[0].message
