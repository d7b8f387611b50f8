"""`symspline landscape`: the exact loss along a direction (Hessian eigenvector, random or given)."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from ..errors import InputError, ParseError
from ..io import load_json_text, read_input_text
from ..limits import require_memory
from ..numbers import parse_number
from ..params import Network, Spline
from ._common import (
    add_data,
    add_json,
    add_param_choice,
    add_params,
    add_weight_decay,
    emit_json,
    exact_fields,
    exact_text,
    float_option,
    int_option,
    load_data,
    load_params_as_requested,
    model_fields,
    payload_head,
    require_finite,
    require_finite_loss,
    weight_decay_arg,
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "landscape", help="exact loss slice along a Hessian eigenvector, random or given direction",
        description="The loss along theta(t) = theta0 + t d is a quartic in t between kinks, the "
        "values of t where a breakpoint crosses a data point; every kink is located exactly "
        "(exact for exact parameters, data and direction) with its slope jump. --compare slices "
        "the same function along the top Hessian eigenvector of the spline and of network "
        "representatives with several balances (theory §7.1). --negative-slope gives the leaky "
        "ReLU; --weight-decay adds (lambda/2)||theta_0 + t d||^2 to every piece (network "
        "parameters; a spline slice with weight decay is refused, its orbit penalty not being "
        "polynomial in t).")
    add_data(p)
    add_params(p)
    add_weight_decay(p)
    add_param_choice(p, "the slice")
    p.add_argument("--direction", default="eig", metavar="DIR",
                   help="'eig' (Hessian eigenvector, default), 'eig-bottom', 'random' "
                   "(filter-normalized), or a JSON file holding a list of numbers (p/q allowed)")
    p.add_argument("--direction2", default=None, metavar="DIR",
                   help="second direction: draw a 2-D plane with its kink lines (needs --out)")
    p.add_argument("--index", type=int_option("--index", 1, 10**9), default=1, metavar="K",
                   help="which eigenvector: K-th from the top (or bottom), default 1")
    p.add_argument("--range", type=float_option("--range", minimum=0.0, strict_minimum=True,
                                                 maximum=1e100),
                   default=2.0, metavar="T", help="t in [-T, T] (default 2)")
    p.add_argument("--points", type=int_option("--points", 3, 10**15), default=201,
                   help="grid points for figures (default 201)")
    p.add_argument("--seed", type=int_option("--seed", 0, 2**63 - 1), default=0,
                   help="seed of random directions (an integer >= 0)")
    p.add_argument("--compare", action="store_true",
                   help="compare spline and network (balances -1, 0, 1) eigen-slices")
    p.add_argument("--side", choices=("left", "right"), default=None,
                   help="pattern for the Hessian when a breakpoint sits on a data point")
    p.add_argument("--out", metavar="FIG.png", default=None, help="write a figure")
    add_json(p)
    p.set_defaults(handler=run)


def _direction(spec: str, params: Network | Spline, data: object, args: argparse.Namespace,
               salt: int) -> tuple[object, float | None]:
    from ..landscape import hessian_directions, random_direction

    if spec in ("eig", "eig-bottom"):
        if args.index < 1 or args.index > params.vector.shape[0]:
            raise InputError(f"--index must be in 1..{params.vector.shape[0]}")
        ev, V = hessian_directions(params, data, args.index,
                                   which="top" if spec == "eig" else "bottom", side=args.side,
                                   weight_decay=args.lam)
        return V[:, args.index - 1], float(ev[args.index - 1])
    if spec == "random":
        return random_direction(params, np.random.default_rng(args.seed + salt)), None
    path = Path(spec)
    if not spec.strip() or not path.exists():
        raise InputError(f"--direction must be eig, eig-bottom, random or a JSON file; "
                         f"{spec[:60]!r} is none of these")
    vals = load_json_text(read_input_text(path, "direction file"), str(path))
    if not isinstance(vals, list):
        raise InputError(f"{path}: a direction is a JSON list of numbers")
    out = []
    for v in vals:
        if isinstance(v, bool) or not isinstance(v, int | float | str):
            raise InputError(f"{path}: direction entries must be numbers or 'p/q' strings")
        try:
            out.append(parse_number(v) if isinstance(v, str) else (
                parse_number(str(v)) if isinstance(v, int) else float(v)))
        except (ParseError, ValueError) as exc:  # ValueError: an integer of over 4300 digits
            raise InputError(f"{path}: {exc}") from None
    if len(out) != params.vector.shape[0]:
        raise InputError(f"{path}: a direction needs {params.vector.shape[0]} entries (one per "
                         f"parameter), got {len(out)}")
    return out, None


def run(args: argparse.Namespace) -> int:
    from ..landscape import compare_parameterizations, line_slice, plane_slice

    data = load_data(args)
    params = load_params_as_requested(args)
    require_finite_loss(params, data)
    exact_in = params.kind == "exact" and data.kind == "exact"
    args.lam = weight_decay_arg(args, "exact" if exact_in else "float")
    if args.lam != 0 and isinstance(params, Spline) and not args.compare:
        raise InputError("--weight-decay slices network parameters: the spline objective's "
                         "penalty lambda |mu_i| sqrt(1 + beta_i^2) is not polynomial along a "
                         "line; add --param network")
    T = args.range
    if args.out:
        # the grid, the loss on it and matplotlib's copies (the plane grid is at most 61 x 61)
        require_memory(80.0 * args.points, f"a figure with --points {args.points}")
    ts = np.linspace(-T, T, args.points if args.out else 3)
    head = payload_head(args)
    head.update({"param": params.parameterization,
                 "order": list(params.names), "H": params.H, "N": data.n, "range": float(T)})
    if args.compare:
        head.update(model_fields(params, args.lam))
        slices = compare_parameterizations(params, data, weight_decay=args.lam)
        payload = {**head, "compare": {
            k: {"curvature_at_0": float(2 * s.coeffs[s.piece(0.0)][2]),
                "loss_at_0": float(s(0.0)),
                "kinks_in_range": sum(1 for b in s.breaks if -T <= b <= T)}
            for k, s in slices.items()}}
        require_finite(payload)
        if args.out:
            _figure_compare(slices, ts, args.out)
        if args.json:
            emit_json(payload)
        else:
            for k, v in payload["compare"].items():
                print(f"{k:>16}: L(0) = {v['loss_at_0']:.10g}, L''(0) = "
                      f"{v['curvature_at_0']:.10g}, {v['kinks_in_range']} kinks in [-{T:g}, {T:g}]")
        return 0
    d, eig = _direction(args.direction, params, data, args, 0)
    S = line_slice(params, data, d, weight_decay=args.lam)
    kinks = [k for k in S.kinks if -T <= float(k.t) <= T]
    payload = {**head, **model_fields(params, args.lam, exact=S.kind == "exact"),
               "kind": S.kind,
               **exact_fields("direction", list(np.ravel(np.asarray(S.direction, dtype=object))))}
    if eig is not None:
        payload["eigenvalue"] = float(eig)
    payload.update(exact_fields("loss_at_0", S(0) if S.kind == "exact" else float(S(0.0))))
    payload["kinks"] = [{**exact_fields("t", k.t), "unit": k.unit + 1, "point": k.point + 1,
                         **exact_fields("slope_jump", k.jump)} for k in kinks]
    payload["pieces"] = [_piece(S, j) for j in range(len(S.coeffs))]
    require_finite(payload)
    if args.out:
        if args.direction2:
            d2, _ = _direction(args.direction2, params, data, args, 1)
            grid = np.linspace(-T, T, min(args.points, 61))
            _figure_plane(plane_slice(params, data, d, d2, grid, grid, weight_decay=args.lam),
                          args.out)
        else:
            _figure_line(S, ts, args.out)
    if args.json:
        emit_json(payload)
        return 0
    if args.lam != 0:
        print(f"objective L + (lambda/2)||theta||^2 with lambda = {exact_text(args.lam)}")
    print(f"slice in {S.param} coordinates ({S.kind}); {'L' if args.lam == 0 else 'F'}(0) = "
          f"{exact_text(S(0) if S.kind == 'exact' else float(S(0.0)))}"
          + (f"; Hessian eigenvalue {eig:.10g}" if eig is not None else ""))
    print(f"{len(kinks)} kinks with |t| <= {T:g} ({len(S.breaks)} on the whole line):")
    for k in kinks:
        print(f"  t = {exact_text(k.t)}  unit {k.unit + 1} crosses x_{k.point + 1}, "
              f"slope jump L'(t+) - L'(t-) = {exact_text(k.jump)}")
    if args.out:
        print(f"wrote {args.out}")
    return 0


def _piece(S: object, j: int) -> dict:
    """Piece j of the slice: its ends (null with a reason where unbounded) and coefficients."""
    out: dict = {}
    if j > 0:
        out.update(exact_fields("from", S.breaks[j - 1]))
    else:
        out.update({"from": None, "from_reason": "unbounded: the first piece extends to -inf"})
    if j < len(S.breaks):
        out.update(exact_fields("to", S.breaks[j]))
    else:
        out.update({"to": None, "to_reason": "unbounded: the last piece extends to +inf"})
    out.update(exact_fields("coefficients", list(S.coeffs[j])))
    return out


def _figure_line(S: object, ts: np.ndarray, out: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..render.report import figure_style, save_figure

    with figure_style():
        fig, ax = plt.subplots(figsize=(6, 3.5))
        ax.plot(ts, S(ts), lw=1.5)
        kt = np.array([float(b) for b in S.breaks if ts[0] <= float(b) <= ts[-1]])
        if kt.size:
            ax.plot(kt, S(kt), "o", ms=3, color="C3", label="kinks")
            ax.legend()
        ax.set_xlabel("$t$")
        ax.set_ylabel(r"$L(\theta_0 + t d)$")
        save_figure(fig, out)
    plt.close(fig)


def _figure_compare(slices: dict, ts: np.ndarray, out: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..render.report import figure_style, save_figure, slice_label

    with figure_style():
        fig, ax = plt.subplots(figsize=(6, 3.5))
        for k, s in slices.items():
            ax.plot(ts, s(ts), lw=1.3, label=slice_label(k))
        ax.set_xlabel(r"$t$ along the unit top Hessian eigenvector $d$")
        ax.set_ylabel(r"$L(\theta_0 + t d)$")
        ax.legend(loc="best", framealpha=0.9)
        save_figure(fig, out)
    plt.close(fig)


def _figure_plane(P: object, out: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..render.report import figure_style, save_figure

    with figure_style():
        fig, ax = plt.subplots(figsize=(5, 4.2))
        cs = ax.contourf(P.t1, P.t2, np.log10(P.values + 1e-12), levels=30)
        fig.colorbar(cs, ax=ax, label=r"$\log_{10} L(\theta_0 + t_1 d_1 + t_2 d_2)$")
        _kink_lines(ax, P)
        ax.set_xlim(P.t1[0], P.t1[-1])
        ax.set_ylim(P.t2[0], P.t2[-1])
        ax.set_xlabel("$t_1$")
        ax.set_ylabel("$t_2$")
        save_figure(fig, out)
    plt.close(fig)


def _kink_lines(ax: object, P: object) -> None:
    u = np.array([P.t1[0], P.t1[-1]])
    for l0, l1, l2 in P.lines:
        if abs(l2) > 1e-14:
            ax.plot(u, -(l0 + l1 * u) / l2, color="w", lw=0.5, alpha=0.7)
        elif abs(l1) > 1e-14:
            ax.axvline(-l0 / l1, color="w", lw=0.5, alpha=0.7)
