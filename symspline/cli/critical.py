"""`symspline critical --data D --width H`: exact enumeration and classification of critical points."""

from __future__ import annotations

import argparse

from ..errors import CheckFailed, InputError, ParseError
from ._common import (
    add_data,
    add_json,
    add_negative_slope,
    add_population,
    add_weight_decay,
    data_or_population,
    emit_json,
    exact_fields,
    int_option,
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "critical", help="every stationary point of a small network, exactly, classified",
        description="Enumerate every Clarke-stationary point of the loss of a width-H network on "
        "exact data (H = 1: N <= 40; H = 2: N <= 8; H = 3: N <= 5) as relatively open "
        "polyhedral families decided by exact linear programming, inside patterns and with "
        "breakpoints on data points (kinks); classify each family (strict or non-strict local "
        "minimum, saddle) with its argument, and check theory §3.2 and 3.4 on the interior "
        "families. Exit 1 if a check fails. --negative-slope A decides the same for the leaky "
        "ReLU max(z, A z) (exact rational A in [0, 1)). --weight-decay L (L > 0) studies "
        "L + (L/2)||theta||^2 instead: the zero network decided exactly, other critical points "
        "found by a multistart search and classified in float (reported as tested, never "
        "complete).")
    add_data(p, required=False)
    add_population(p)
    p.add_argument("--width", type=int_option("--width", 1, 1000), required=True, metavar="H",
                   help="number of hidden units")
    add_negative_slope(p)
    add_weight_decay(p)
    p.add_argument("--starts", type=int_option("--starts", 0, 100_000), default=60,
                   help="with --weight-decay: multistart size per number of non-zero units and "
                   "method (default 60)")
    p.add_argument("--seed", type=int_option("--seed", 0, 2**63 - 1), default=0,
                   help="with --weight-decay: seed of the multistart (default 0)")
    p.add_argument("--all", action="store_true", help="list every family (default: first 40)")
    add_json(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ..critical import critical_points

    data, pop = data_or_population(args)
    alpha = _exact_option(args.negative_slope, "--negative-slope")
    lam = _exact_option(args.weight_decay, "--weight-decay")
    if lam < 0:
        raise InputError(f"--weight-decay must be a finite number >= 0, got {args.weight_decay}")
    if pop is not None:
        if alpha != 0 or lam != 0:
            raise InputError("--negative-slope and --weight-decay are for --data, not "
                             "--population")
        return _run_population(args, pop)
    if lam != 0:
        return _run_decay(args, data, alpha, lam)
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
        rep = critical_points(data, args.width, negative_slope=alpha, progress=progress)
    finally:
        if bar is not None:
            bar.close()
    ok = rep.sylvester_ok and rep.saddles_explained
    if args.json:
        emit_json({"ok": ok, "command": "critical", **rep.as_dict()})
    else:
        _print_text(rep, args.all)
    if not ok:
        raise CheckFailed("an interior family violates theory §3.2 or 3.4 (see the output)")
    return 0


def _exact_option(text: str | None, name: str) -> object:
    """A number option read exactly (decimals as their written rational, 0.1 -> 1/10; None: 0)."""
    from ..numbers import parse_number

    if text is None:
        return 0
    try:
        return parse_number(text, exact_decimals=True)
    except ParseError as exc:
        raise InputError(f"{name}: {exc}") from None


def _run_decay(args: argparse.Namespace, data: object, alpha: object, lam: object) -> int:
    """Critical points of L + (lambda/2)||theta||^2: proved / tested / undecided, one line each."""
    from ..critical import decay_critical_points

    rep = decay_critical_points(data, args.width, lam, negative_slope=alpha, starts=args.starts,
                                seed=args.seed)
    if args.json:
        emit_json({"ok": True, "command": "critical", "weight_decay_mode": True, **rep.as_dict()})
        return 0
    counts = ", ".join(f"{v} {k}" for k, v in sorted(rep.counts().items()))
    print(f"width {rep.H} on {rep.N} samples, objective L + (lambda/2)||theta||^2 with lambda = "
          f"{rep.weight_decay}" + (f", leaky slope {rep.negative_slope}" if alpha != 0 else "")
          + f": {len(rep.points)} critical points ({counts})")
    print(f"  {'F = L + penalty':<22} {'L':<12} {'zero units':>10}  type [level]: reason")
    shown = rep.points if args.all else rep.points[:40]
    for p in shown:
        print(f"  {float(p.objective):<22.12g} {float(p.loss):<12.6g} {p.zero_units:>10}  "
              f"{p.kind} [{p.level}]: {p.reason}")
        if p.level == "tested" and p.zero_units < rep.H:
            gb = "n/a (a breakpoint on a data point)" if p.gradient_bound is None else \
                f"{p.gradient_bound:.3g}"
            print("      balances v^2 - w^2 - b^2: "
                  + ", ".join(f"{b:.2g}" for b in p.balances)
                  + f"; exact max |grad F| at the stored point: {gb}; reached from "
                  f"{p.found} start(s)")
    if len(shown) < len(rep.points):
        print(f"  ... {len(rep.points) - len(shown)} more (use --all or --json)")
    if rep.complete:
        print("complete: every critical point is decided exactly (level proved)")
    for u in rep.undecided:
        print(f"undecided: {u}")
    for n in rep.notes:
        print(f"note: {n}")
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
    print(f"theory §3.4 (same inertia up to {rep.H} zeros, every interior family): "
          + ("holds" if rep.sylvester_ok else "VIOLATED"))
    print("theory §3.2 (every interior saddle has a mu_i = 0, rho_i != 0 direction; every "
          "interior minimum a PSD Hessian): " + ("holds" if rep.saddles_explained else "VIOLATED"))
    print(f"theory §3.3 (can PSD critical points be saddles?): {rep.answer_3_3()}")
    print("undecided: " + ("nothing (enumeration and classification complete)" if not
                           rep.undecided else "; ".join(rep.undecided)))
    for n in rep.notes:
        print(f"note: {n}")


def _run_population(args: argparse.Namespace, pop: object) -> int:
    """Critical points and families of the population risk (theory §7.3), exact, classified.

    One line per point or family: exact loss (float), type, dimension, the representative point,
    and the reason; families list their pieces where the type changes. ``--json`` follows
    docs/json.md (schema: docs/schemas/critical_population.json).
    """
    from ..population_critical import population_critical_set

    H = args.width
    bar = None
    progress = None
    if not args.json:
        from tqdm import tqdm

        bar = tqdm(total=0, desc="configurations", leave=False, disable=None)

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.n = done
            bar.refresh()
    try:
        rep = population_critical_set(pop, H, progress=progress)
    finally:
        if bar is not None:
            bar.close()
    names = [f"beta{i}" for i in range(1, H + 1)] + [f"mu{i}" for i in range(1, H + 1)] + ["c"]
    if args.json:
        items = []
        for p in rep.items:
            d = {"config": p.config, "s": list(p.s), "dimension": p.dimension,
                 "family": p.family, "order": names}
            d.update(exact_fields("point", list(p.point)))
            d.update(exact_fields("loss", p.loss))
            d.update({"equalities": list(p.equalities), "inequalities": list(p.inequalities),
                      "kind": p.kind, "reason": p.reason, "dead_units": p.dead_units,
                      "pieces": [{"conditions": list(q.conditions), "kind": q.kind,
                                  "reason": q.reason} for q in p.pieces]})
            items.append(d)
        emit_json({"ok": True, "command": "critical", "population": True, "H": H,
                   "complete": rep.complete, "undecided": list(rep.undecided),
                   "configurations": rep.configurations, "counts": rep.counts(),
                   "items": items})
        return 0
    counts = ", ".join(f"{v} {k}" for k, v in sorted(rep.counts().items()))
    print(f"width {H} on the population: {len(rep.items)} critical points or families in "
          f"{rep.configurations} configurations (up to unit permutation): {counts}")
    for p in rep.items:
        pt = ", ".join(f"{n}={float(v):.4g}" for n, v in zip(names, p.point_float, strict=True))
        fam = f"family dim {p.dimension}" if p.family else "point"
        print(f"  L = {p.loss} ({p.loss_float:.6g})  {p.kind}  [{fam}]  {p.config}  ({pt})")
        if p.family:
            print(f"      where {'; '.join(p.equalities + p.inequalities)}")
        for q in p.pieces:
            cond = " and ".join(q.conditions) if q.conditions else "everywhere"
            print(f"      {q.kind} {'on the family' if not q.conditions else 'where ' + cond}: "
                  f"{q.reason}")
    for u in rep.undecided:
        print(f"undecided: {u}")
    print("complete: every component solved and classified" if rep.complete else
          "NOT complete: see the undecided components and pieces above")
    return 0
