"""The `clockspec` command: a thin layer over library calls.

Each subcommand lives in `clockspec.commands.<name>` and exposes `register(subparsers)`,
which adds its parser and sets `func(args) -> int`. Registration must stay cheap: heavy
imports (torch above all) happen inside `func`, never at module import.
Exit status: 0 success, 1 a negative answer that is not an error, 2 invalid input or usage,
3 the environment failed (a write, the disk, memory), 75 busy (another process holds the run),
130 interrupted; docs/reliability.md has the whole table.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from clockspec.commands.extras import missing_extra, missing_module
from clockspec.core.errors import RunError, SpecError, printable

COMMANDS = ("check", "fmt", "convert", "schema", "compile", "graph", "explain", "run", "expand", "ablate",
            "diff", "report", "runs", "compare", "gc", "migrate", "plugins")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="clockspec",
        description="Declare, compile, run and compare training-dynamics experiments.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    parser.add_argument("--version", action="version", version=version_text(),
                        help="print the versions of clockspec, python and torch, then exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(f"clockspec.commands.{name}").register(sub)
    return parser


def version_text() -> str:
    """`clockspec 0.1.0 (python 3.11.9, torch 2.13.0)`: torch's version read from its metadata, not imported."""
    import platform
    from importlib import metadata

    from clockspec.core.version import __version__

    try:
        torch = metadata.version("torch")
    except metadata.PackageNotFoundError:
        torch = "not installed"
    return f"clockspec {__version__} (python {platform.python_version()}, torch {torch})"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = ["clockspec", *(sys.argv[1:] if argv is None else argv)]  # for the runs' provenance
    try:
        return int(args.func(args) or 0)
    except SpecError as exc:
        if args.debug:
            raise
        for diag in exc.diagnostics:
            print(diag.format(), file=sys.stderr)
        return 2
    except RunError as exc:
        if args.debug:
            raise
        print(exc.format(), file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except ModuleNotFoundError as exc:  # an optional dependency that a `require` did not foresee
        module = missing_module(exc)
        if module is None or args.debug:
            raise
        print(missing_extra(args.command, [module]).format(), file=sys.stderr)
        return 2
    except OSError as exc:  # reading or writing a file the command was pointed at
        if args.debug:
            raise
        print(f"{printable(str(exc.filename or 'clockspec'))}: error: {printable(str(exc.strerror or exc))}",
              file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
