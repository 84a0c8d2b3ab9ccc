"""NodeId: the one type that builds plan node ids and reads them back."""
import json

import clockspec
from clockspec.compiler.node_id import NodeId


def test_constructors_and_parts():
    assert (NodeId.of("train"), NodeId.probe("train_loss"), NodeId.clock("fit")) == (
        "train", "probe:train_loss", "clock:fit")
    assert (NodeId.clock("fit").stage, NodeId.clock("fit").name, NodeId.clock("fit").label) == ("clock", "fit", "clock fit")
    assert (NodeId.of("train").stage, NodeId.of("train").name, NodeId.of("train").label) == ("train", None, "train")


def test_every_plan_id_is_a_node_id_of_its_own_stage(spec_tools, grokking):
    plan = clockspec.compile(spec_tools.load_data(grokking))
    for node_id, node in plan.nodes.items():
        assert isinstance(node_id, NodeId) and node_id == node.id and node_id.stage == node.stage
        assert all(isinstance(src, NodeId) and src in plan.nodes for src in node.inputs)
    assert plan.nodes[NodeId.clock("fit")].inputs == (NodeId.probe("train_loss"),)
    assert {n.name for n in plan.nodes if n.stage == "clock"} == set(grokking["clocks"])


def test_ids_serialize_as_plain_strings_and_read_back_as_node_ids(spec_tools, grokking):
    plan = clockspec.compile(spec_tools.load_data(grokking))
    text = json.dumps(plan.to_json())
    assert '"id": "probe:train_loss"' in text and '"inputs": ["probe:train_loss"]' in text
    again = clockspec.Plan.from_json(text)
    assert again == plan and all(isinstance(n, NodeId) and n.stage == again.nodes[n].stage for n in again.nodes)
    assert json.dumps(again.to_json()) == text
