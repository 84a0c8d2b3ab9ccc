"""`clockspec compile | graph | explain` (and the passes inside `check`), in process."""
import json
import shutil
import subprocess

import networkx as nx
import pytest
import yaml

from clockspec.commands.main import main


@pytest.fixture
def spec_file(tmp_path, grokking):
    path = tmp_path / "grok.yaml"
    path.write_text(yaml.safe_dump(grokking, sort_keys=False))
    return path


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_compile_text_lists_every_node_with_its_hash(capsys, spec_file):
    code, out, _ = run(capsys, "compile", spec_file)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("experiment modadd-relu   train hash ")
    for node in ("data", "split", "model", "init", "objective", "optimizer", "train", "probe:test_acc",
                 "clock:generalize", "report"):
        assert any(line.split()[:1] == [node] for line in lines), node
    assert "params     103,137" in out


def test_compile_json_is_the_plan(capsys, spec_file):
    from clockspec import Plan, load

    code, out, _ = run(capsys, "compile", spec_file, "--format", "json")
    assert code == 0
    assert Plan.from_json(out) == load(spec_file).compile()


def test_graph_json_is_node_link(capsys, spec_file):
    code, out, _ = run(capsys, "graph", spec_file, "--format", "json")
    graph = nx.node_link_graph(json.loads(out), edges="links")
    assert code == 0 and nx.is_directed_acyclic_graph(graph) and "train" in graph
    assert graph.nodes["train"]["hash"] == json.loads(out)["nodes"][6]["hash"]


def test_graph_mermaid_escapes_comparisons(capsys, spec_file):
    code, out, _ = run(capsys, "graph", spec_file, "--format", "mermaid")
    assert code == 0 and out.startswith("flowchart LR\n")
    assert "first train_loss #lt;= 0.01" in out and "<=" not in out
    assert out.count(" --> ") == sum(1 for line in out.splitlines() if "-->" in line) >= 20


def test_graph_dot_renders(capsys, spec_file, tmp_path):
    code, out, _ = run(capsys, "graph", spec_file, "--format", "dot")
    assert code == 0 and out.startswith('digraph "modadd-relu" {') and '"train" -> "probe:test_acc";' in out
    if shutil.which("dot") is None:
        pytest.skip("graphviz not installed")
    png = subprocess.run(["dot", "-Tpng"], input=out.encode(), capture_output=True, check=True).stdout
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_explain_reads_as_a_page(capsys, spec_file):
    code, out, _ = run(capsys, "explain", spec_file)
    assert code == 0
    for phrase in ("`(a + b) mod 97` over all 9,409 pairs", "2,823) are the training set",
                   "token embeddings (97 x 128", "adamw at lr 1e-3, betas (0.9, 0.98)",
                   "**generalize** = `first test_acc >= 0.99`: the first probe step at which `test_acc` is at least 0.99",
                   "stays within 1% of its final value", "The run stops early once `generalize` has fired and 1000 more",
                   "parameters: 103,137", "runs/modadd-relu-"):
        assert phrase in out, phrase


def test_explain_states_the_induced_penalty(capsys, tmp_path, deep_linear):
    path = tmp_path / "dl.yaml"
    path.write_text(yaml.safe_dump(deep_linear))
    code, out, _ = run(capsys, "explain", path)
    assert code == 0
    assert "`0.01 * 3 * sum_k sigma_k(W)^(2/3)`" in out and "L = 3, q = 2/L = 0.6667" in out


def test_pass_errors_exit_2_with_positions(capsys, tmp_path, grokking):
    grokking["clocks"]["bal"] = "first balance <= 0.1"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(grokking, sort_keys=False))
    for command in ("compile", "graph", "explain", "check"):
        code, out, err = run(capsys, command, path)
        assert code == 2 and out == ""
        assert f"{path}:33:14: error: clock 'bal' watches 'balance'" in err, (command, err)


def test_memory_limit_option(capsys, spec_file):
    code, _, err = run(capsys, "compile", spec_file, "--memory-limit", "1M")
    assert code == 2 and "exceeds the limit of 1 MiB" in err
    code, _, err = run(capsys, "compile", spec_file, "--memory-limit", "huge")
    assert code == 2 and err == "--memory-limit: error: not a size: 'huge' (e.g. 8G, 512M, 1000000)\n"


def test_a_family_has_no_single_plan(capsys, tmp_path):
    path = tmp_path / "fam.yaml"
    path.write_text("family: f\nbase: grok.yaml\n")
    code, _, err = run(capsys, "compile", path)
    assert code == 2 and err.startswith(f"{path}: error: a family has no single plan: `clockspec compile` takes")


@pytest.mark.parametrize("command", ["graph"])
def test_graph_of_a_family_names_the_file_and_says_what_to_do(capsys, command):
    from shipped import SPECS_DIR

    family = SPECS_DIR / "wd_family.yaml"
    code, out, err = run(capsys, command, family)
    assert code == 2 and out == ""
    assert err == (f"{family}: error: a family has no single plan: `clockspec {command}` takes an experiment\n"
                   f"  hint: clockspec expand {family} -o DIR writes its members as specs; {command} one of them\n")


def test_explain_of_a_family_says_how_its_members_will_run(capsys):
    # issue 32: the strategy of each group that may share a stack, and why, before anything runs
    from shipped import SPECS_DIR

    code, out, _ = run(capsys, "explain", SPECS_DIR / "paper" / "dln-depth-wd.yaml", "--jobs", "2")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "family dln-depth-wd: 6 members in 3 group(s) that may share a stack, on 2 slot(s) (--jobs)"
    assert lines[1].startswith("  group 1: 2 member(s) (depth-2_wd-0, depth-2_wd-2e-3) on 1 slot(s): stacks of 2")
    assert "(the plan's cost model)" in lines[2] and "as fast as one by one" in lines[2]
    assert lines[3].startswith("    at run time: no calibration: it would hold up all 2 slot(s) ~")  # a tiny model
    code, out, _ = run(capsys, "explain", SPECS_DIR / "quickstart_wd.yaml", "--jobs", "1")
    assert "on 1 slot(s)" in out and "a calibration on every slot at once" in out


def test_graph_png_needs_no_graphviz(capsys, spec_file, tmp_path, monkeypatch):
    import matplotlib.image

    monkeypatch.setenv("PATH", str(tmp_path / "no-binaries"))  # no `dot` to fall back on
    out_file = tmp_path / "plan.png"
    code, out, _ = run(capsys, "graph", spec_file, "--format", "png", "-o", out_file)
    assert (code, out) == (0, "")
    data = out_file.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = matplotlib.image.imread(out_file)
    height, width = pixels.shape[:2]
    assert width > 600 and height > 400 and pixels.std() > 0.05  # a drawing, not a blank page


def test_graph_png_layers_every_node_below_its_inputs(spec_file):
    from clockspec import load
    from clockspec.report.plan_figure import PER_ROW, rows

    plan = load(spec_file).compile()
    row = rows(plan)
    assert set(row) == set(plan.nodes)
    assert all(row[src] < row[n.id] for n in plan.nodes.values() for src in n.inputs)
    assert max(list(row.values()).count(r) for r in set(row.values())) <= PER_ROW
    assert row["data"] == row["model"] == 0 and row["report"] == max(row.values())


def test_graph_png_without_a_file_is_a_usage_error(capsys, spec_file):
    code, out, err = run(capsys, "graph", spec_file, "--format", "png")
    assert (code, out, err) == (2, "", "--format png: error: a PNG is written to a file: add -o FILE\n")


def test_graph_text_to_a_file_is_what_stdout_gets(capsys, spec_file, tmp_path):
    _, out, _ = run(capsys, "graph", spec_file, "--format", "mermaid")
    code, printed, _ = run(capsys, "graph", spec_file, "--format", "mermaid", "-o", tmp_path / "plan.mmd")
    assert (code, printed) == (0, "") and (tmp_path / "plan.mmd").read_text() == out
