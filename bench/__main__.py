"""`python -m bench [NAME ...]`: run the benchmarks, print the table, write the docs.

Without names every benchmark runs and docs/benchmarks.md is rewritten; with names only
those run and the docs are left alone unless --write is given.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import time
import traceback
from datetime import UTC
from datetime import datetime

from bench.common import ROOT
from bench.common import Section
from bench.report import command_line
from bench.report import load_average
from bench.report import markdown
from bench.report import table

# name -> module under bench/ with run(quick) -> Section, in the order of the docs.
BENCHMARKS = {
    "engine": "bench.engine",
    "growth": "bench.growth",
    "inbox": "bench.inbox",
    "http": "bench.http",
    "worker": "bench.worker",
    "memory": "bench.memory",
}
DOCS = ROOT / "docs" / "benchmarks.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", choices=[*BENCHMARKS, []], metavar="NAME")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (smoke run)")
    parser.add_argument("--write", action="store_true", help="write docs/benchmarks.md")
    parser.add_argument("--no-write", action="store_true", help="do not write the docs")
    args = parser.parse_args(argv)
    names = args.names or list(BENCHMARKS)
    write = (args.write or not args.names) and not args.no_write
    logging.basicConfig(level=logging.ERROR)

    started = datetime.now(UTC)
    load_at_start = load_average()
    t0 = time.perf_counter()
    sections: list[Section] = []
    failed = False
    for name in names:
        print(f"== {name} ...", file=sys.stderr, flush=True)
        t_section = time.perf_counter()
        try:
            module = importlib.import_module(BENCHMARKS[name])
            section = module.run(quick=args.quick)
        except Exception as exc:
            failed = True
            traceback.print_exc()
            section = Section(name)
            section.remarks.append(f"{name}: the benchmark failed: {type(exc).__name__}: {exc}")
        sections.append(section)
        print(f"   {name} took {time.perf_counter() - t_section:.0f} s", file=sys.stderr)
    seconds = time.perf_counter() - t0

    print()
    print("\n".join(table(sections)))
    remarks = [text for s in sections for text in s.remarks]
    if remarks:
        print()
        print("\n".join(f"- {text}" for text in remarks))
    if write:
        loads = (load_at_start, load_average())
        DOCS.write_text(
            markdown(sections, command_line(), started, seconds, loads), encoding="utf-8"
        )
        print(f"\nwritten to {DOCS.relative_to(ROOT)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
