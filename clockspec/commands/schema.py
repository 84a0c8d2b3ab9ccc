"""`clockspec schema [-o FILE] [--markdown]`: the JSON Schema of specs, for editors.

With yaml-language-server (VS Code's YAML extension and others), put
`# yaml-language-server: $schema=PATH/TO/clockspec.schema.json` at the top of a spec.
"""
from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("schema", help="print the JSON Schema of experiments and families")
    p.add_argument("-o", "--output", metavar="FILE", help="write here (atomically) instead of stdout")
    p.add_argument("--markdown", action="store_true",
                   help="print the key reference (every key, its type, default and meaning) instead")
    p.set_defaults(func=run)


def run(args) -> int:
    import json

    from clockspec.commands.output import emit
    from clockspec.syntax.schema import json_schema

    if args.markdown:
        from clockspec.syntax.reference import key_reference

        text = key_reference()
    else:
        text = json.dumps(json_schema(), indent=2) + "\n"
    emit(text, args.output)
    return 0
