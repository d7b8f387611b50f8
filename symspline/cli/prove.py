"""`symspline prove`: prove or refute a catalogue theorem, or the user's own claim (`--claim`)."""

from __future__ import annotations

import argparse

from ..errors import CheckFailed
from ._common import add_json, emit_json, exact_fields, int_option

#: What `--require` accepts and which levels satisfy it.
REQUIRE = {
    "proof": ("general", "exhaustive"),
    "refutation": ("refuted",),
    "not-refuted": ("general", "exhaustive", "tested"),
    "any": ("general", "exhaustive", "tested", "refuted", "failed"),
}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "prove", help="prove or refute a theorem or your own claim; prints the level reached",
        description="Catalogue theorem (NAME): a general proof (symbolic N, every H by "
        "unit-locality), then an exhaustive proof over every activation pattern at width H on N "
        "symbolic ordered samples, then randomized exact testing. Own claim (--claim TEXT): "
        "decided on every pattern at (H, N) by exact certificates, else an adversarial search "
        "with exact confirmation (docs/claims.md). Levels: proved (general), proved (exhaustive, "
        "H, N), tested (K points, no counterexample; not a proof), refuted (exact "
        "counterexample), undecided. Exit 0 only on the outcome --require asks for (default: a "
        "proof; a refutation for the deliberately false catalogue statements), 1 otherwise, "
        "2 for bad input.")
    p.add_argument("theorem", metavar="THEOREM", nargs="?", default=None,
                   help="catalogue theorem name, e.g. 2.2 or false.R-psd (or use --claim)")
    p.add_argument("--claim", metavar="TEXT", default=None,
                   help="your own claim, e.g. 'mu1**2 <= 100', 'R is PSD', "
                   "'dL_dbeta1 = mu1*rho1/N' (see docs/claims.md)")
    p.add_argument("--assume", metavar="HYP", action="append", default=[],
                   help="hypothesis of --claim (repeatable): 'mu2 = 0', 'mu1 > 0', 's1 = -1', "
                   "'unit 2 dead', 'unit 2 alive'")
    p.add_argument("--param", choices=("spline", "network"), default="spline",
                   help="parameterization of --claim (default spline)")
    p.add_argument("--require", choices=tuple(REQUIRE), default=None,
                   help="outcome that exits 0: proof (general or exhaustive; the default), "
                   "refutation (default for deliberately false catalogue statements), "
                   "not-refuted (proved or tested), any")
    p.add_argument("--H", type=int_option("--H", 1, 64), default=None,
                   help="width (default 2 for theorems, 1 for --claim)")
    p.add_argument("--N", type=int_option("--N", 1, 10_000), default=3, help="number of samples (default 3)")
    p.add_argument("--level", choices=("general", "exhaustive", "numeric", "tested"),
                   action="append",
                   help="catalogue only: try only these strategies (repeatable; default: all)")
    p.add_argument("--trials", type=int_option("--trials", 1, 100_000), default=40,
                   help="random points of the tested level of a theorem (default 40, at most "
                   "100000)")
    p.add_argument("--no-general", action="store_true",
                   help="--claim: skip the every-width attempt for identities; decide per pattern")
    p.add_argument("--points", type=int_option("--points", 1, 100_000), default=None,
                   help="--claim: scale-free search points per pattern (default 256, at most "
                   "100000)")
    p.add_argument("--seed", type=int_option("--seed", 0, 2**32 - 1), default=0,
                   help="seed of the random points (default 0)")
    p.add_argument("--jobs", type=int_option("--jobs", 1, 256), default=1,
                   help="worker processes for the exhaustive level (default 1: serial)")
    add_json(p)
    p.set_defaults(handler=run)


def _bar(args: argparse.Namespace, desc: str) -> tuple[object, object]:
    if args.json:
        return None, None
    from tqdm import tqdm

    bar = tqdm(total=0, desc=desc, leave=False, disable=None)

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    return bar, progress


def run(args: argparse.Namespace) -> int:
    from ..errors import InputError

    if (args.theorem is None) == (args.claim is None):
        raise InputError("give exactly one of a theorem NAME and --claim TEXT")
    if args.N < 1 or (args.H is not None and args.H < 1):
        raise InputError(f"--H and --N must be positive, got {args.H} and {args.N}")
    if args.trials < 1:
        raise InputError(f"--trials must be positive, got {args.trials}")
    if args.points is not None and args.points < 1:
        raise InputError(f"--points must be positive, got {args.points}")
    if args.jobs < 1:
        raise InputError(f"--jobs must be positive, got {args.jobs}")
    if args.claim is not None:
        if args.level:
            raise InputError("--level applies to catalogue theorems, not to --claim")
        return _run_claim(args)
    if args.assume:
        raise InputError("--assume applies to --claim; catalogue theorems carry their hypotheses")
    return _run_theorem(args)


def _run_claim(args: argparse.Namespace) -> int:
    from ..claims import claim

    bar, progress = _bar(args, "patterns")
    try:
        res = claim(args.claim, 1 if args.H is None else args.H, args.N, param=args.param,
                    assume=args.assume, seed=args.seed, points=args.points,
                    general=not args.no_general, progress=progress)  # type: ignore[arg-type]
    finally:
        if bar is not None:
            bar.close()  # type: ignore[attr-defined]
    require = args.require or "proof"
    return _finish(args, res, require, statement=args.claim, tag="claim",
                   hypotheses=list(args.assume))


def _run_theorem(args: argparse.Namespace) -> int:
    from ..theorems import get, prove

    th = get(args.theorem)
    bar, progress = _bar(args, "patterns")
    pool = None
    if args.jobs > 1:
        from concurrent.futures import ProcessPoolExecutor

        pool = ProcessPoolExecutor(max_workers=args.jobs)
    try:
        res = prove(th, 2 if args.H is None else args.H, args.N,
                    strategies=tuple(args.level) if args.level else None, trials=args.trials,
                    seed=args.seed, progress=progress, executor=pool)  # type: ignore[arg-type]
    finally:
        if bar is not None:
            bar.close()  # type: ignore[attr-defined]
        if pool is not None:
            pool.shutdown()
    require = args.require or ("refutation" if th.expected_false else "proof")
    tag = "theorem" + (" (deliberately false)" if th.expected_false else "")
    return _finish(args, res, require, statement=th.statement, tag=tag,
                   hypotheses=list(th.hypotheses))


def _finish(args: argparse.Namespace, res: object, require: str, *, statement: str, tag: str,
            hypotheses: list[str]) -> int:
    met = res.level in REQUIRE[require]  # type: ignore[attr-defined]
    if args.json:
        payload = {"command": "prove", **res.as_dict(), "ok": met,  # type: ignore[attr-defined]
                   "require": require, "statement": statement, "hypotheses": hypotheses,
                   "kind": "claim" if tag == "claim" else "theorem"}
        payload["counterexample"] = _cex_json(res.counterexample)  # type: ignore[attr-defined]
        emit_json(payload)
        return 0 if met else 1
    print(f"{tag} {res.theorem}: {statement}" if tag != "claim"  # type: ignore[attr-defined]
          else f"claim: {res.theorem}")  # type: ignore[attr-defined]
    for strategy, outcome in res.attempts:  # type: ignore[attr-defined]
        print(f"  {strategy}: {outcome}")
    if res.proved:  # type: ignore[attr-defined]
        for cert in res.certificates:  # type: ignore[attr-defined]
            print(f"  certificate: {cert}")
    print(f"level: {res.label}  ({res.seconds:.2f} s)")  # type: ignore[attr-defined]
    if res.counterexample is not None:  # type: ignore[attr-defined]
        print(f"counterexample: {res.counterexample}")  # type: ignore[attr-defined]
    if not met:
        raise CheckFailed(f"{res.label}, but --require {require} was asked for")  # type: ignore
    return 0


def _cex_json(cex: object) -> dict | None:
    """The counterexample under the JSON contract: floats with exact ``_exact`` twins."""
    if cex is None:
        return None
    from ..numbers import parse_number

    def exact(v: str) -> object:
        return parse_number(v, exact_decimals=True)

    params = {k: exact(v) for k, v in cex.params.items()}  # type: ignore[attr-defined]
    data = {**exact_fields("x", [exact(v) for v in cex.data_x]),  # type: ignore[attr-defined]
            **exact_fields("y", [exact(v) for v in cex.data_y])}  # type: ignore[attr-defined]
    return {"theorem": cex.theorem, "pattern": cex.pattern,  # type: ignore[attr-defined]
            "order": list(params), **exact_fields("params", list(params.values())),
            "data": data, "detail": cex.detail}  # type: ignore[attr-defined]
