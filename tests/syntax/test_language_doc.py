"""docs/language.md embeds the key reference generated from the IR; they must not drift."""
import os
import re
from pathlib import Path

from clockspec.syntax.reference import field_docs, key_reference, sections

DOC = Path(__file__).resolve().parents[2] / "docs" / "language.md"
BLOCK = re.compile(r"(<!-- key-reference:begin -->\n)(.*?)(<!-- key-reference:end -->)", re.S)


def test_doc_embeds_the_generated_reference():
    text = DOC.read_text(encoding="utf-8")
    assert BLOCK.search(text), "docs/language.md lost its key-reference markers"
    if os.environ.get("CLOCKSPEC_REGEN") == "1":
        text = BLOCK.sub(lambda m: m.group(1) + key_reference() + m.group(3), text)
        DOC.write_text(text, encoding="utf-8")
    assert BLOCK.search(text).group(2) == key_reference(), "CLOCKSPEC_REGEN=1 rewrites the reference"


def test_every_key_has_a_meaning():
    missing = [f"{model.__name__}.{name}" for _heading, model in sections()
               for name, field in model.model_fields.items() if name != "kind" and name not in field_docs(model)]
    assert not missing, f"add a docstring under these IR fields: {missing}"
