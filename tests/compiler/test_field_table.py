"""The field -> stage table: complete over the IR, and the same in code and in the docs."""
import re
from pathlib import Path

from clockspec.compiler.plan import FIELD_STAGES
from clockspec.ir.spec import Experiment, Probes, Stop, Train

DOC = Path(__file__).resolve().parents[2] / "docs" / "compiler.md"
# Sections hashed field by field; the others (task, model, ...) are hashed whole, so a new
# field there is covered without an edit here.
BY_FIELD = {"train": Train, "probes": Probes, "stop": Stop}


def test_every_ir_field_has_its_stages():
    fields = set()
    for name in Experiment.model_fields:
        if name in BY_FIELD:
            fields |= {f"{name}.{sub}" for sub in BY_FIELD[name].model_fields}
        else:
            fields.add(name)
    assert set(FIELD_STAGES) == fields


def test_docs_table_is_the_code_table():
    section = DOC.read_text().split("## Which stages read which part of the spec")[1].split("\n## ")[0]
    rows = re.findall(r"^\| `([a-z_.]+)` \| ([a-z, -]+) \|", section, flags=re.M)
    in_docs = {path: tuple(s.strip() for s in stages.split(",")) if stages.strip() != "-" else ()
               for path, stages in rows}
    assert in_docs == FIELD_STAGES
