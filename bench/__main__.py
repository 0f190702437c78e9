"""`python -m bench [--smoke] [--questions N] [--json PATH] ...`: run, print a table, write JSON."""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench.config import BenchConfig, smoke_config
from bench.modes import BOTH, STREAM_MODES, render_side_by_side, with_mode
from bench.run import run_bench, run_scenarios
from bench.scenarios import BY_NAME, Scenario, render_scenario
from bench.table import render_table, write_json

DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "latest.json"
_PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="a few small questions (seconds)")
    parser.add_argument("--questions", type=int, help="burst size: questions in flight at once")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write the result")
    parser.add_argument("--steady", type=int, help="questions in the steady phase")
    parser.add_argument("--first-chunk", type=float, help="GitBook's time to first chunk, s")
    parser.add_argument("--chunks", type=int, help="snapshots per answer")
    parser.add_argument("--chunk-gap", type=float, help="seconds between two snapshots")
    parser.add_argument("--answer-chars", type=int, help="size of each answer")
    parser.add_argument("--ramp", type=float, help="the burst arrives over this many seconds")
    parser.add_argument("--retry-after", type=int, help="Retry-After of chat.update 429s, s")
    parser.add_argument("--redis-url", help="use this Redis for the bot's store (key-prefixed)")
    parser.add_argument(
        "--env",
        action="append",
        type=_variable,
        default=[],
        metavar="NAME=VALUE",
        help="more environment for the bot, e.g. STREAM_MODE=edit (repeatable)",
    )
    parser.add_argument(
        "--stream-mode",
        choices=STREAM_MODES,
        help="the bot's STREAM_MODE; 'both' runs native then edit and compares them",
    )
    parser.add_argument("--profile", type=Path, help="write cProfile stats here, print the top")
    parser.add_argument(
        "--scenarios",
        help="comma-separated load scenarios to run after the phases, 'all' (the default "
        f"without --smoke) or 'none' (the default with it): {', '.join(BY_NAME)}",
    )
    parser.add_argument(
        "--only-scenarios", action="store_true", help="skip the phases, run the scenarios only"
    )
    return parser.parse_args(argv)


def chosen_scenarios(args: argparse.Namespace) -> list[Scenario]:
    """The scenarios the flags ask for (ValueError for an unknown name)."""
    names = args.scenarios or ("none" if args.smoke else "all")
    if names == "none":
        return []
    if names == "all":
        return list(BY_NAME.values())
    unknown = [n for n in names.split(",") if n not in BY_NAME]
    if unknown:
        raise ValueError(f"unknown scenarios {unknown}; known: {', '.join(BY_NAME)}")
    return [BY_NAME[n] for n in names.split(",")]


def build_config(args: argparse.Namespace) -> BenchConfig:
    """The default or smoke configuration, with the flags given applied."""
    config = smoke_config() if args.smoke else BenchConfig()
    shape = _given(
        first_chunk_s=args.first_chunk,
        chunks=args.chunks,
        chunk_gap_s=args.chunk_gap,
        answer_chars=args.answer_chars,
    )
    return replace(
        config,
        shape=replace(config.shape, **shape),
        **_given(
            scale_questions=args.questions,
            steady_questions=args.steady,
            scale_ramp_s=args.ramp,
            retry_after_s=args.retry_after,
            redis_url=args.redis_url,
            bot_env=tuple(args.env) or None,
        ),
    )


def _variable(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name, value


def _given(**values: Any) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not None}


def run(config: BenchConfig, profile: Path | None) -> dict[str, Any]:
    """Run the benchmark, under cProfile when asked (the main thread only: the bot's)."""
    if profile is None:
        return asyncio.run(run_bench(config))
    profiler = cProfile.Profile()
    result = profiler.runcall(asyncio.run, run_bench(config))
    profiler.dump_stats(profile)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    return result


def main(argv: list[str]) -> int:
    """Run, print the table and write the JSON; exit 1 past the deadline, 2 on bad flags."""
    args = parse_args(argv)
    try:
        config = build_config(args)
        scenarios = chosen_scenarios(args)
    except ValueError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    for name in _PROXY_VARIABLES:  # every request goes to 127.0.0.1, never through a proxy
        os.environ.pop(name, None)
        os.environ.pop(name.lower(), None)
    if args.stream_mode == "both":
        return _run_both(config, args)
    if args.stream_mode is not None:
        config = with_mode(config, args.stream_mode)
    result: dict[str, Any] = {}
    if not args.only_scenarios:
        try:
            result = run(config, args.profile)
        except TimeoutError:
            print(
                f"bench: the run did not finish within {config.deadline_s:.0f} s", file=sys.stderr
            )
            return 1
        print(render_table(result))
    if scenarios:
        result["scenarios"] = asyncio.run(run_scenarios(config, scenarios))
        for scenario in result["scenarios"]:
            print(f"\n{render_scenario(scenario)}")
    write_json(result, args.json)
    print(f"\nwrote {args.json}")
    return 0


def _run_both(config: BenchConfig, args: argparse.Namespace) -> int:
    """Run once per streaming mode, print each table, then the modes side by side."""
    results: dict[str, dict[str, Any]] = {}
    for mode in BOTH:
        try:
            results[mode] = run(with_mode(config, mode), args.profile)
        except TimeoutError:
            print(
                f"bench: the {mode} run did not finish in {config.deadline_s:.0f} s",
                file=sys.stderr,
            )
            return 1
        print(f"\n== STREAM_MODE={mode}\n{render_table(results[mode])}")
    print(f"\n== side by side\n{render_side_by_side(results)}")
    write_json({"stream_modes": results}, args.json)
    print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
