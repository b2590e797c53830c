"""The `causeway` command line: one entry point, one subcommand per job.

Each subcommand lives in the module that owns the work; this file only wires them up.
A module named in ``EXTERNAL_COMMANDS`` exposes ``add_arguments(parser)`` and
``run(args) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from collections.abc import Sequence

# (group, name, module, help): harnesses that live beside the library they measure.
EXTERNAL_COMMANDS: list[tuple[str, str, str, str]] = [
    ("bench", "optw", "causeway.recommender.evaluation.optw_bench",
     "run the itinerary planner on published orienteering-with-time-windows instances"),
    ("eval", "recommender", "causeway.recommender.evaluation.flickr_recsys",
     "evaluate the recommender on Flickr user-POI visits (lim/ format)"),
    ("eval", "trajectories", "causeway.recommender.evaluation.flickr_traj",
     "evaluate trajectory recommendation on Flickr CIKM'16 data"),
]


def _add_external(subparsers: dict[str, argparse._SubParsersAction]) -> None:
    for group, name, module, help_text in EXTERNAL_COMMANDS:
        if importlib.util.find_spec(module) is None:
            continue
        mod = importlib.import_module(module)
        p = subparsers[group].add_parser(name, help=help_text, description=help_text)
        mod.add_arguments(p)
        p.set_defaults(func=mod.run)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="causeway", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    groups = {
        "bench": sub.add_parser("bench", help="benchmark harnesses").add_subparsers(
            dest="bench_command", required=True),
        "eval": sub.add_parser("eval", help="evaluation harnesses").add_subparsers(
            dest="eval_command", required=True),
    }
    _add_external(groups)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
