"""`symspline critical --data D --width H`: exact enumeration and classification of critical points."""

from __future__ import annotations

import argparse

from ..errors import CheckFailed
from ._common import add_data, add_json, add_population, data_or_population, emit_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "critical", help="exact critical points of a small network, classified",
        description="Enumerate every critical point of the loss of a width-H network on exact "
        "data (H <= 3, N <= 8), pattern by pattern, by exact linear algebra (THEORY 2.4), "
        "including positive-dimensional families; classify each by the inertia of the exact "
        "Hessian in spline and network coordinates (THEORY 3.2-3.4). Exit 1 if a strict saddle "
        "lacks the negative direction of 3.2 or the inertias violate 3.4.")
    add_data(p, required=False)
    add_population(p)
    p.add_argument("--width", type=int, required=True, metavar="H", help="number of hidden units")
    p.add_argument("--all", action="store_true", help="list every point (default: first 40)")
    add_json(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ..critical import critical_points

    data, pop = data_or_population(args)
    if pop is not None:
        return _run_population(args, pop)
    bar = None
    progress = None
    if not args.json:
        from tqdm import tqdm

        bar = tqdm(total=0, desc="patterns", leave=False, disable=None)

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.n = done
            bar.refresh()
    try:
        rep = critical_points(data, args.width, progress=progress)
    finally:
        if bar is not None:
            bar.close()
    if args.json:
        emit_json(rep.as_dict())
    else:
        counts = ", ".join(f"{v} {k}" for k, v in sorted(rep.counts().items()))
        print(f"width {rep.H} on {rep.N} exact samples: {len(rep.points)} critical points or "
              f"families in {rep.patterns_visited} patterns (up to unit permutation): {counts}")
        shown = rep.points if args.all else rep.points[:40]
        for p in shown:
            beta = ", ".join(str(b) for b in p.spline.beta)
            mu = ", ".join(str(m) for m in p.spline.mu)
            fam = f" [{p.family}]" if p.family else ""
            print(f"  {p.pattern}  L = {p.loss}  beta = ({beta})  mu = ({mu})  c = {p.spline.c}"
                  f"{fam}")
            print(f"      {p.kind}: inertia spline (+,-,0) = {p.inertia_spline.as_tuple()}, "
                  f"network = {p.inertia_network.as_tuple()}; {p.explanation}")
        if len(shown) < len(rep.points):
            print(f"  ... {len(rep.points) - len(shown)} more (use --all or --json)")
        print(f"THEORY 3.4 (same inertia up to {rep.H} zeros): "
              + ("holds at every point" if rep.sylvester_ok else "VIOLATED"))
        print("THEORY 3.2 (every strict saddle has a mu_i = 0, rho_i != 0 direction): "
              + ("holds" if rep.saddles_explained else "VIOLATED"))
        print(f"THEORY 3.3 (can PSD critical points be saddles?): {rep.answer_3_3()}")
        for n in rep.notes:
            print(f"note: {n}")
    if not (rep.sylvester_ok and rep.saddles_explained):
        raise CheckFailed("a critical point violates THEORY 3.2 or 3.4 (see the output)")
    return 0


def _run_population(args: argparse.Namespace, pop: object) -> int:
    """Critical points of the population loss (THEORY 7.3), exact, width <= 2."""
    from ..population import population_critical_points

    H = args.width
    names = [f"beta{i}" for i in range(1, H + 1)] + [f"mu{i}" for i in range(1, H + 1)] + ["c"]
    pts = population_critical_points(pop, H)
    if args.json:
        emit_json({"population": True, "H": H, "points": [p.as_dict(names) for p in pts]})
        return 0
    print(f"width {H} on the population: {len(pts)} critical points or families")
    for p in pts:
        vals = ", ".join(f"{n} = {v}" for n, v in zip(names, p.values, strict=True))
        kind = ("family where " + str(p.condition)) if p.family else (
            "eigenvalues " + ", ".join(f"{e:.4g}" for e in p.eigenvalues))
        print(f"  {p.pattern}  L = {p.loss}  {vals}  [{kind}]")
    return 0
