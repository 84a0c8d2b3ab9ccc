"""The JSON Schema in strict validators: standard draft-07 keywords only (no OpenAPI
`discriminator`), accepted by check-jsonschema and by ajv with --strict=true, and errors that
belong to the branch the document means: the family's when it has `family:`, else the
experiment's; within a kind union, the named kind's alone."""
import json
import os
import shutil
import subprocess
import sys

import jsonschema
import pytest
from jsonschema.exceptions import best_match

import shipped
from clockspec.syntax.schema import json_schema
from clockspec.syntax.yaml_front import parse_yaml

YAML_SPECS = [p for p in shipped.ALL if p.suffix == ".yaml"]
BAD_FAMILY = "clockspec: 1\nfamily: f\nbase: x.yaml\nvary: {grid: {seed: 3}}\n"
BAD_EXPERIMENT = "clockspec: 1\nname: e\ntask: {kind: modular, modulus: -1}\nmodel: {kind: mlp}\n"
ANNOTATIONS = {"$schema", "$id", "$ref", "$comment", "title", "description", "default", "examples", "readOnly",
               "writeOnly", "format"}
VALIDATION = {"type", "enum", "const", "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum",
              "maxLength", "minLength", "pattern", "items", "additionalItems", "maxItems", "minItems", "uniqueItems",
              "contains", "maxProperties", "minProperties", "required", "properties", "patternProperties",
              "additionalProperties", "dependencies", "propertyNames", "if", "then", "else", "allOf", "anyOf",
              "oneOf", "not", "definitions"}


def subschemas(schema: dict):
    """Every schema object inside `schema` (draft-07's applicator keywords), itself first."""
    yield schema
    for key in ("properties", "patternProperties", "definitions", "dependencies"):
        for sub in schema.get(key, {}).values():
            if isinstance(sub, dict):
                yield from subschemas(sub)
    for key in ("allOf", "anyOf", "oneOf", "items"):
        if isinstance(schema.get(key), list):
            for sub in schema[key]:
                yield from subschemas(sub)
    for key in ("not", "if", "then", "else", "items", "additionalProperties", "additionalItems", "contains",
                "propertyNames"):
        if isinstance(schema.get(key), dict):
            yield from subschemas(schema[key])


def test_every_keyword_is_draft07():
    schema = json_schema()
    unknown = {key for sub in subschemas(schema) for key in sub} - ANNOTATIONS - VALIDATION
    assert not unknown
    assert "discriminator" not in json.dumps(schema)


def errors_of(text: str) -> list:
    return list(jsonschema.Draft7Validator(json_schema()).iter_errors(parse_yaml(text).data))


@pytest.mark.parametrize(("text", "branch", "where"), [
    (BAD_FAMILY, "then", "$.vary.grid.seed"),
    (BAD_EXPERIMENT, "else", "$.task.modulus"),
    (BAD_EXPERIMENT.replace("modular, modulus: -1", "teacher, rank: 0"), "else", "$.task.rank"),
    (BAD_EXPERIMENT.replace("kind: mlp", "kind: emb_mlp").replace("modulus: -1", "modulus: 7"), "else", "$.model.kind"),
])
def test_errors_belong_to_the_branch_the_document_means(text, branch, where):
    errors = errors_of(text)
    assert errors and all(e.schema_path[0] == branch for e in errors)
    match = best_match(errors)
    while match.context:
        match = best_match(match.context)
    assert match.json_path == where


def test_an_error_in_a_kind_is_that_kinds_alone():
    errors = errors_of(BAD_EXPERIMENT.replace("model: {kind: mlp}", "model: {kind: mlp, hidden: [0]}")
                       .replace("modulus: -1", "modulus: 7"))
    assert [e.json_path for e in errors] == ["$.model.hidden[0]"]  # nothing about the other kinds
    path = list(errors[0].absolute_schema_path)
    kinds = json_schema()["definitions"]["Experiment"]["properties"]["model"]["properties"]["kind"]["enum"]
    assert path[:6] == ["else", "properties", "model", "allOf", kinds.index("mlp"), "then"]


def test_check_jsonschema_accepts_the_shipped_specs_and_locates_errors(tmp_path):
    cli = shutil.which("check-jsonschema", path=os.path.dirname(sys.executable))
    if cli is None:
        pytest.skip("check-jsonschema is not installed (it comes with the test extra)")
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps(json_schema()))
    done = subprocess.run([cli, "--schemafile", schema, *YAML_SPECS], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    (tmp_path / "fam.yaml").write_text(BAD_FAMILY)
    (tmp_path / "exp.yaml").write_text(BAD_EXPERIMENT)
    done = subprocess.run([cli, "--schemafile", schema, tmp_path / "fam.yaml", tmp_path / "exp.yaml"],
                          capture_output=True, text=True)
    assert done.returncode == 1
    assert "fam.yaml::$.vary.grid" in done.stdout and "exp.yaml::$.task.modulus: -1 is less than the minimum of 2" \
        in done.stdout


@pytest.fixture(scope="module")
def ajv(tmp_path_factory):
    """ajv-cli from npm, in a scratch folder; the test skips without node, npm or the registry."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are not installed")
    folder = tmp_path_factory.mktemp("ajv")
    try:
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent", "ajv-cli@5", "ajv@8"], cwd=folder,
                       capture_output=True, text=True, timeout=240, check=True)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"npm could not install ajv-cli: {exc}")
    return folder / "node_modules" / ".bin" / "ajv"


@pytest.mark.slow
def test_ajv_strict_accepts_the_schema_and_the_shipped_specs(ajv, tmp_path):
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps(json_schema()))
    done = subprocess.run([ajv, "compile", "--strict=true", "-s", schema], capture_output=True, text=True)
    assert done.returncode == 0 and "is valid" in done.stdout + done.stderr, done.stdout + done.stderr
    args = [a for path in YAML_SPECS for a in ("-d", path)]
    done = subprocess.run([ajv, "validate", "--strict=true", "-s", schema, *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    for name, text, branch in (("fam.yaml", BAD_FAMILY, '"then"'), ("exp.yaml", BAD_EXPERIMENT, '"else"')):
        (tmp_path / name).write_text(text)
        done = subprocess.run([ajv, "validate", "--strict=true", "--errors=text", "-s", schema, "-d", tmp_path / name],
                              capture_output=True, text=True)
        assert done.returncode == 1 and f"data must match {branch} schema" in done.stdout + done.stderr
