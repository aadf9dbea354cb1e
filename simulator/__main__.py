"""``python3 -m simulator``: build (or advance) the simulated department databases by hand.

The main CLI (``citybrain demo``) calls :func:`simulator.create` with its own flags; this
entry exists for poking at one department system on its own.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime
from pathlib import Path

from citybrain.errors import ConfigError
from citybrain.settings import load_settings
from simulator import DEPARTMENTS, advance, create


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m simulator", description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, help="city config (default: $CITYBRAIN_CONFIG or the Xuchang demo)")
    parser.add_argument("--target-url", help="put all five departments' tables in this one database")
    parser.add_argument("--days", type=int, help="days of history (default: the config's demo.days)")
    parser.add_argument("--seed", type=int, help="random seed (default: the config's demo.seed)")
    parser.add_argument("--end", help="end of history, ISO 8601 with offset (default: now)")
    parser.add_argument("--department", action="append", choices=DEPARTMENTS, help="only these (repeatable)")
    parser.add_argument("--advance", action="store_true", help="append what became due instead of recreating")
    args = parser.parse_args(argv)
    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    end = datetime.fromisoformat(args.end) if args.end else None
    started = time.monotonic()
    if args.advance:
        rows = advance(settings, target_url=args.target_url, until=end, seed=args.seed, departments=args.department)
    else:
        def progress(dept: str, done: int, total: int) -> None:
            print(f"\r{dept:<12} {done}/{total}", end="", file=sys.stderr, flush=True)

        rows = create(settings, target_url=args.target_url, end=end, days=args.days, seed=args.seed,
                      departments=args.department, progress=progress)
        print(file=sys.stderr)
    for table, n in rows.items():
        print(f"{table:<18} {n:>10,}")
    print(f"{time.monotonic() - started:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
