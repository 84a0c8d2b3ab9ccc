"""`clockspec compile PATH`: the hashed plan of an experiment, as a table or as JSON."""
from __future__ import annotations

import sys

from clockspec.commands.overrides import add_set


def register(sub) -> None:
    p = sub.add_parser("compile", help="compile an experiment into its hashed pipeline plan")
    p.add_argument("path", metavar="PATH")
    p.add_argument("--format", choices=("text", "json"), default="text")
    add_memory_limit(p)
    add_set(p)
    p.set_defaults(func=run)


def add_memory_limit(parser) -> None:
    """--memory-limit, and --set beside it: every command that compiles takes both."""
    parser.add_argument("--memory-limit", metavar="SIZE", default=None,
                        help="refuse plans whose memory estimate exceeds SIZE (e.g. 8G; env CLOCKSPEC_MEMORY_LIMIT)")


def compile_path(args):
    """Load PATH and compile it, printing the passes' warnings to stderr."""
    from clockspec.commands.overrides import load_overridden
    from clockspec.compiler.passes import parse_bytes
    from clockspec.compiler.plan import compile
    from clockspec.core.errors import SpecError, argument_error
    from clockspec.ir.spec import Experiment

    spec = load_overridden(args.path, args)
    if not isinstance(spec, Experiment):
        raise SpecError([argument_error(args.path, f"a family has no single plan: `clockspec {args.command}` takes "
                                        "an experiment", hint=f"clockspec expand {args.path} -o DIR writes its "
                                        f"members as specs; {args.command} one of them")])
    limit = None
    if args.memory_limit is not None:
        try:
            limit = parse_bytes(args.memory_limit)
        except ValueError as exc:
            raise SpecError([argument_error("--memory-limit", str(exc))]) from None
    plan = compile(spec, memory_limit=limit)
    for diag in plan.diagnostics:
        print(diag.format(), file=sys.stderr)
    return plan


def run(args) -> int:
    import json

    plan = compile_path(args)
    if args.format == "json":
        print(json.dumps(plan.to_json(), indent=2))
    else:
        print(render_text(plan), end="")
    return 0


def render_text(plan) -> str:
    from clockspec.compiler.drawing import gist

    d = plan.derived
    width = max(len(n) for n in plan.nodes)
    out = [f"experiment {plan.spec.name}   train hash {plan.train_hash}", ""]
    for node in plan.nodes.values():
        summary = "; ".join(gist(node, width=10**6))
        out.append(f"  {node.id:<{width}}  {node.hash[:12]}  {summary}".rstrip())
    steps = plan.probe_steps()
    shown = ", ".join(map(str, steps[:4])) + (", ..., " + str(steps[-1]) if len(steps) > 4 else "")
    out += ["", f"records    {', '.join(plan.metrics)}",
            f"probes     {len(steps):,} at steps {shown}",
            f"sizes      input {d['input_dim']}, output {d['output_dim']}, {d['n_train']:,} train / {d['n_test']:,} test",
            f"params     {d['n_params']:,}",
            f"cost       {d['flops_per_step']:.3g} FLOP/step, {d['flops_total']:.3g} FLOP in all, "
            f"~{d['memory_bytes'] / 2**20:.3g} MiB peak"]
    pen = d.get("induced_penalty")
    if pen:
        out.append(f"penalty    {pen['formula']}  (induced on the end-to-end map)")
    return "\n".join(out) + "\n"
