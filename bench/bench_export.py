"""Benchmark: the export's render of a plan with 100 answered and reviewed check-ins.

Run: `.venv/bin/python -m bench.bench_export [--runs 15] [--profile pdf|all] [--warm-up]`.

It builds the plan `bench_scale` exports (three goals, 100 check-ins, each answered and
reviewed with private notes) in a throw-away SQLite file, then times in this process what
`/pip export` does after reading the plan: the record (read in a session of its own, as
each request in the bot is), the HTML, the Markdown and the PDF (as the manager, who sees
the private notes). It prints p50 and p99 in ms per step and for the whole render, after
one warm-up run, and the CPU time's p50, which other work on a shared machine disturbs less
than the wall clock. The first export in a process also loads the templates and the fonts,
unless `--warm-up` calls `warm_up()` first as the bot's start-up does; that run is printed
on its own. What it built is then frozen out of the garbage collector's reach
(`gc.freeze()`), as in the bot. It asserts nothing.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.bench_scale import LONG_PLAN, _long_plan
from bench.harness import summary_ms
from db import make_engine, make_session_factory, migrate
from services.access import Actor
from services.export import plan_record, render_html, render_markdown, warm_up
from services.export_pdf import render_pdf

MANAGER = "UMBENCH"
STEPS = ("record", "HTML", "Markdown", "PDF")


def _export(read: Callable[[], Any]) -> dict[str, tuple[float, float]]:
    """One export's render, step by step: (wall, CPU) seconds each."""
    times: dict[str, tuple[float, float]] = {}

    def timed(step: str, work: Callable[[], Any]) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        result = work()
        times[step] = (time.perf_counter() - wall, time.process_time() - cpu)
        return result

    record = timed("record", read)
    timed("HTML", lambda: render_html(record))
    timed("Markdown", lambda: render_markdown(record))
    timed("PDF", lambda: render_pdf(record, org_name="Acme Logistics GmbH"))
    walls, cpus = zip(*times.values(), strict=True)
    times["whole render"] = (sum(walls), sum(cpus))
    return times


def main() -> None:
    """Build the plan, time the export's render, print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--profile", choices=("pdf", "all"), help="print a cProfile instead")
    parser.add_argument(
        "--warm-up", action="store_true", help="call warm_up() first, as the bot's start-up does"
    )
    args = parser.parse_args()
    if args.warm_up:
        started = time.perf_counter()
        warm_up(org_name="Acme Logistics GmbH")
        print(f"warm_up() took {(time.perf_counter() - started) * 1000:.0f} ms")
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'export.db'}")
        migrate(engine)
        sessions = make_session_factory(engine)
        with sessions() as db:
            _long_plan(db, MANAGER, datetime.now(UTC).date())

        def read() -> Any:
            # A session of its own, as each request in the bot has.
            with sessions() as db:
                return plan_record(db, Actor(MANAGER), LONG_PLAN, datetime.now(UTC))

        first = _export(read)
        # As the bot's start-up does once it has built everything (and warmed the export):
        # the fonts' parse, thousands of objects, is no longer walked by every full
        # collection (which otherwise adds about 0.1 s to some runs).
        gc.freeze()
        if args.profile:
            record = read()
            profiler = cProfile.Profile()
            profiler.enable()
            if args.profile == "all":
                _export(read)
            else:
                render_pdf(record, org_name="Acme Logistics GmbH")
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
            return
        runs = [_export(read) for _ in range(args.runs)]
        engine.dispose()
    print(f"Export render, plan with 100 check-ins ({args.runs} runs after 1 warm-up)")
    print("| step | first run ms | p50 ms | p99 ms | CPU p50 ms |\n| --- | --- | --- | --- | --- |")
    for step in (*STEPS, "whole render"):
        p50, p99 = summary_ms([run[step][0] for run in runs])
        cpu = statistics.median(run[step][1] for run in runs) * 1000
        print(f"| {step} | {first[step][0] * 1000:.1f} | {p50:.1f} | {p99:.1f} | {cpu:.1f} |")


if __name__ == "__main__":
    main()
