"""Class 3 of issue 20: a base that is a link may not lead out of the family's folder tree.

The rule: a base, every link followed, lies in the family's folder, or in the folder its
leading `../` climb to. Nothing outside is opened: `opened` records every path handed to
`open` and `os.open` while a family is checked.
"""
import builtins
import os

import pytest

import clockspec
from clockspec.commands.main import main

BASE = "name: b\ntask: {kind: modular}\nmodel: {kind: embed_mlp}\n"
FAMILY = "family: f\nbase: {base}\nvary: {{grid: {{seed: [1, 2]}}}}\n"
SECRET = "root: $6$saltsalt$verylonghashvalue0123456789\nbin: '*'\n"


@pytest.fixture
def opened(monkeypatch):
    """Every path opened (by `open` or `os.open`) while the test runs, as real paths."""
    seen: list[str] = []
    real_open, real_os_open = builtins.open, os.open

    def spy_open(file, *args, **kwargs):
        if isinstance(file, (str, bytes, os.PathLike)):
            seen.append(os.path.realpath(file))
        return real_open(file, *args, **kwargs)

    def spy_os_open(path, *args, **kwargs):
        seen.append(os.path.realpath(path))
        return real_os_open(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", spy_open)
    monkeypatch.setattr(os, "open", spy_os_open)
    return seen


def tree(tmp_path, link_target, written="x.yaml"):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "shadow").write_text(SECRET)
    (outside / "base.yaml").write_text(BASE)
    fam_dir = tmp_path / "repo" / "specs"
    fam_dir.mkdir(parents=True)
    (fam_dir / written).symlink_to(link_target if os.path.isabs(str(link_target)) else outside / link_target)
    fam = fam_dir / "f.yaml"
    fam.write_text(FAMILY.format(base=written))
    return fam, outside


@pytest.mark.parametrize("target", ["shadow", "base.yaml"])
def test_a_link_out_of_the_folder_is_refused_and_its_target_never_opened(tmp_path, target, opened, capsys):
    fam, outside = tree(tmp_path, target)
    assert main(["check", str(fam)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{fam}:2:7: error: base 'x.yaml' is a link to a file outside the folder tree")
    assert "every link followed" in err and "saltsalt" not in err and "root:" not in err
    assert not [p for p in opened if p.startswith(str(outside))]


def test_a_link_to_a_file_that_is_not_a_spec_is_refused_by_its_target_suffix(tmp_path, opened):
    fam_dir = tmp_path / "specs"
    fam_dir.mkdir()
    (fam_dir / "key.pem").write_text(SECRET)
    (fam_dir / "x.yaml").symlink_to(fam_dir / "key.pem")
    (fam_dir / "f.yaml").write_text(FAMILY.format(base="x.yaml"))
    with pytest.raises(clockspec.SpecError, match="is a link to a file that is not a spec"):
        clockspec.expand(fam_dir / "f.yaml")
    assert str(fam_dir / "key.pem") not in opened


def test_a_link_through_a_linked_folder_is_caught_too(tmp_path, opened):
    fam_dir = tmp_path / "repo"
    fam_dir.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "b.yaml").write_text(BASE)
    (fam_dir / "d").symlink_to(tmp_path / "elsewhere")
    (fam_dir / "f.yaml").write_text(FAMILY.format(base="d/b.yaml"))
    with pytest.raises(clockspec.SpecError, match="outside the folder tree"):
        clockspec.expand(fam_dir / "f.yaml")
    assert str(tmp_path / "elsewhere" / "b.yaml") not in opened


def test_links_inside_the_tree_and_climbing_bases_still_work(tmp_path):
    (tmp_path / "common").mkdir()
    (tmp_path / "specs").mkdir()
    (tmp_path / "common" / "real.yaml").write_text(BASE)
    (tmp_path / "common" / "link.yaml").symlink_to("real.yaml")
    (tmp_path / "specs" / "here.yaml").symlink_to("../common/real.yaml")
    for written in ("../common/link.yaml", "../common/real.yaml"):
        (tmp_path / "specs" / "f.yaml").write_text(FAMILY.format(base=written))
        assert len(clockspec.expand(tmp_path / "specs" / "f.yaml")) == 2
    (tmp_path / "specs" / "f.yaml").write_text(FAMILY.format(base="here.yaml"))
    with pytest.raises(clockspec.SpecError, match="outside the folder tree"):  # climbs only by a link
        clockspec.expand(tmp_path / "specs" / "f.yaml")


def test_a_base_with_long_foreign_keys_echoes_only_an_excerpt(tmp_path):
    (tmp_path / "specs").mkdir()
    secret = "k" + "s3cr3t" * 15
    (tmp_path / "specs" / "b.yaml").write_text(f"{secret}: 1\n")
    (tmp_path / "specs" / "f.yaml").write_text(FAMILY.format(base="b.yaml"))
    with pytest.raises(clockspec.SpecError) as info:
        clockspec.expand(tmp_path / "specs" / "f.yaml")
    shown = str(info.value)
    assert "unknown key 'ks3cr3t" in shown and secret not in shown
