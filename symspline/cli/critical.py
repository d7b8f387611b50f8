"""`symspline critical --data D --width H`: exact enumeration and classification of critical points."""

from __future__ import annotations

import argparse

from ..errors import CheckFailed
from ._common import add_data, add_json, add_population, data_or_population, emit_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "critical", help="every stationary point of a small network, exactly, classified",
        description="Enumerate every Clarke-stationary point of the loss of a width-H network on "
        "exact data (H = 1: N <= 40; H = 2: N <= 8; H = 3: N <= 5) as relatively open "
        "polyhedral families decided by exact linear programming, inside patterns and with "
        "breakpoints on data points (kinks); classify each family (strict or non-strict local "
        "minimum, saddle) with its argument, and check THEORY 3.2 and 3.4 on the interior "
        "families. Exit 1 if a check fails.")
    add_data(p, required=False)
    add_population(p)
    p.add_argument("--width", type=int, required=True, metavar="H", help="number of hidden units")
    p.add_argument("--all", action="store_true", help="list every family (default: first 40)")
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

        bar = tqdm(total=0, desc="cells", leave=False, disable=None)

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.n = done
            if done == total or done % 25 == 0:
                bar.refresh()
    try:
        rep = critical_points(data, args.width, progress=progress)
    finally:
        if bar is not None:
            bar.close()
    ok = rep.sylvester_ok and rep.saddles_explained
    if args.json:
        emit_json({"ok": ok, "command": "critical", **rep.as_dict()})
    else:
        _print_text(rep, args.all)
    if not ok:
        raise CheckFailed("an interior family violates THEORY 3.2 or 3.4 (see the output)")
    return 0


def _print_text(rep: object, show_all: bool) -> None:
    """Compact table: one line per family, then the verdicts and anything left undecided."""
    fams = rep.families
    n_mult = sum(p.multiplicity for p in fams)

    def fmt(counts: dict) -> str:
        return ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) or "none"

    print(f"width {rep.H} on {rep.N} exact samples: {len(rep.points)} families inside patterns "
          f"({fmt(rep.counts())}) and {len(rep.kinks)} at kinks ({fmt(rep.kink_counts())}); "
          f"{n_mult} counting permutations; {rep.cells} cells, {rep.lps} exact LPs")
    gm = rep.global_minimum
    print(f"global minimum L = {gm} ({float(gm):.6g}) on "
          + ", ".join(p.label for p in rep.global_minimizers()))
    print(f"  {'units':<22} {'dim':>3} {'mult':>4}  {'loss':<26} type: reason")
    shown = fams if show_all else fams[:40]
    for p in shown:
        loss = f"{p.loss} ({float(p.loss):.6g})"
        reason = p.short_reason
        signs = ",".join("free" if g is None else {1: "+", -1: "-", 0: "0"}[g] for g in p.signs)
        print(f"  {p.label + ' mu:' + signs:<22} {p.dimension:>3} {p.multiplicity:>4}  "
              f"{loss:<26} {p.kind}: {reason}")
    if len(shown) < len(fams):
        print(f"  ... {len(fams) - len(shown)} more (use --all or --json)")
    print(f"THEORY 3.4 (same inertia up to {rep.H} zeros, every interior family): "
          + ("holds" if rep.sylvester_ok else "VIOLATED"))
    print("THEORY 3.2 (every interior saddle has a mu_i = 0, rho_i != 0 direction; every "
          "interior minimum a PSD Hessian): " + ("holds" if rep.saddles_explained else "VIOLATED"))
    print(f"THEORY 3.3 (can PSD critical points be saddles?): {rep.answer_3_3()}")
    print("undecided: " + ("nothing (enumeration and classification complete)" if not
                           rep.undecided else "; ".join(rep.undecided)))
    for n in rep.notes:
        print(f"note: {n}")


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
