"""`symspline prove THEOREM`: prove (general / exhaustive / numeric) or refute one catalogue theorem."""

from __future__ import annotations

import argparse

from ..errors import CheckFailed
from ._common import add_json, emit_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "prove", help="prove or refute a theorem; prints the level reached",
        description="Try, in order: a general proof (symbolic N, every H by unit-locality), an "
        "exhaustive proof over every activation pattern at width H on N symbolic ordered "
        "samples, and randomized exact testing. Prints the highest level reached or a concrete "
        "counterexample. Exit 0 when the outcome is the expected one (a deliberately false "
        "statement must be refuted), 1 otherwise. See `symspline list` for names.")
    p.add_argument("theorem", metavar="THEOREM", help="theorem name, e.g. 2.2 or false.R-psd")
    p.add_argument("--H", type=int, default=2, help="width for the exhaustive level (default 2)")
    p.add_argument("--N", type=int, default=3,
                   help="number of samples for the exhaustive level (default 3)")
    p.add_argument("--level", choices=("general", "exhaustive", "numeric"), action="append",
                   help="only try these strategies (repeatable; default: all, in order)")
    p.add_argument("--trials", type=int, default=40, help="random points (default 40)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random points (default 0)")
    p.add_argument("--jobs", type=int, default=1,
                   help="worker processes for the exhaustive level (default 1: serial)")
    add_json(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ..errors import InputError
    from ..theorems import get, prove

    th = get(args.theorem)
    if args.H < 1 or args.N < 1:
        raise InputError(f"--H and --N must be positive, got {args.H} and {args.N}")
    if args.trials < 1:
        raise InputError(f"--trials must be positive, got {args.trials}")
    progress = None
    bar = None
    if not args.json:
        try:
            from tqdm import tqdm

            bar = tqdm(total=0, desc="patterns", leave=False, disable=None)

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.n = done
                bar.refresh()
        except ImportError:  # pragma: no cover - tqdm is a dependency
            progress = None
    if args.jobs < 1:
        raise InputError(f"--jobs must be positive, got {args.jobs}")
    pool = None
    if args.jobs > 1:
        from concurrent.futures import ProcessPoolExecutor

        pool = ProcessPoolExecutor(max_workers=args.jobs)
    try:
        res = prove(th, args.H, args.N, strategies=tuple(args.level) if args.level else None,
                    trials=args.trials, seed=args.seed, progress=progress, executor=pool)
    finally:
        if bar is not None:
            bar.close()
        if pool is not None:
            pool.shutdown()
    if args.json:
        payload = res.as_dict()
        payload["statement"] = th.statement
        emit_json(payload)
    else:
        tag = " (deliberately false)" if th.expected_false else ""
        print(f"theorem {th.name}{tag}: {th.statement}")
        for strategy, outcome in res.attempts:
            print(f"  {strategy}: {outcome}")
        print(f"level: {res.level}  ({res.seconds:.2f} s)")
        if res.counterexample is not None:
            print(f"counterexample: {res.counterexample}")
    if not res.ok:
        if args.json:
            return 1
        raise CheckFailed(f"theorem {th.name} reached level {res.level!r}"
                          + (" but it was expected to be refuted" if th.expected_false else ""))
    return 0
