"""`symspline flow`: gradient flow in both parameterizations, with events and animations."""

from __future__ import annotations

import argparse

import numpy as np

from ..errors import InputError
from ..io import params_to_dict
from ._common import add_data, add_json, add_params, emit_json, load_data, load_params


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "flow", help="gradient flow theta' = -grad L to time T, with crossings and captures",
        description="Integrate gradient flow from the given parameters to time T in the network "
        "parameterization (w, b, v, c) or the quotient (beta, mu, c; balances). Breakpoint "
        "crossings are located as events; captures (both one-sided velocities push a breakpoint "
        "onto a sample) are continued as sliding (Filippov) solutions and released when the "
        "sliding condition fails. Reports parameters in both parameterizations at start and end, "
        "balances v^2 - w^2 - b^2, losses and events.")
    add_data(p)
    add_params(p)
    p.add_argument("--time", type=float, required=True, metavar="T", help="final time T")
    p.add_argument("--param", choices=("network", "spline"), default=None,
                   help="parameterization to integrate in (default: that of --params)")
    p.add_argument("--balance", type=float, default=-1.0,
                   help="balance v^2 - w^2 - b^2 of every unit when a spline is given (default -1)")
    p.add_argument("--rtol", type=float, default=1e-9, help="relative tolerance (default 1e-9)")
    p.add_argument("--atol", type=float, default=1e-11, help="absolute tolerance (default 1e-11)")
    p.add_argument("--method", default="DOP853", choices=("RK45", "DOP853", "RK23", "RKC"),
                   help="integrator inside each pattern: an explicit Runge-Kutta pair, or RKC, "
                        "the stabilized Runge-Kutta-Chebyshev method for long stiff runs "
                        "(default DOP853)")
    p.add_argument("--crossings", choices=("carry", "cut"), default=None,
                   help="carry crossings, captures and releases through a step with an "
                        "error-controlled jump correction (RK23/RK45/RKC), or cut the step at every "
                        "event (default: carry for RK23/RK45/RKC, cut for DOP853)")
    p.add_argument("--animate", metavar="FILE", default=None,
                   help="write an animation (.gif; .mp4 when ffmpeg is installed)")
    p.add_argument("--frames", type=int, default=60, help="animation frames (default 60)")
    p.add_argument("--frames-by", choices=("time", "loss"), default="time",
                   help="sample frames evenly in time or in loss (default time)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    add_json(p)
    p.set_defaults(handler=run)


def _both(params: object, balance: np.ndarray) -> dict:
    from ..params import Network

    if isinstance(params, Network):
        net = params
        try:
            spl = params.to_spline()
            spline = params_to_dict(spl)
        except InputError as exc:
            spline = {"error": str(exc)}
    else:
        spl = params
        spline = params_to_dict(spl)
        from ..flow.quotient import to_network

        net = to_network(spl, balance)
    return {"network": params_to_dict(net), "spline": spline}


def run(args: argparse.Namespace) -> int:
    from .. import kernels
    from ..flow import flow
    from ..params import Network

    if not np.isfinite(args.time) or args.time < 0:
        raise InputError(f"--time must be a finite number >= 0, got {args.time}")
    if not (0 < args.rtol < 1) or not (0 < args.atol < 1):
        raise InputError("--rtol and --atol must lie in (0, 1)")
    if args.crossings == "carry" and args.method not in ("RK23", "RK45", "RKC"):
        raise InputError(f"--crossings carry needs --method RK23, RK45 or RKC, not {args.method}")
    if args.crossings == "cut" and args.method == "RKC":
        raise InputError("--method RKC runs with --crossings carry only")
    if args.frames < 2:
        raise InputError("--frames must be at least 2")
    if args.animate and not args.animate.lower().endswith((".gif", ".mp4")):
        raise InputError(f"--animate needs a .gif or .mp4 file name, got {args.animate}")
    data = load_data(args)
    params = load_params(args)
    bar = None
    callback = None
    if not args.no_progress and not args.json:
        from tqdm import tqdm

        bar = tqdm(total=float(args.time), unit="t", leave=False, bar_format="{l_bar}{bar}| "
                   "t={n:.4g}/{total:.4g} [{elapsed}]")

        def callback(t: float) -> None:
            bar.update(t - bar.n)

    try:
        res = flow(params, data, args.time, param=args.param, balance=args.balance,
                   method=args.method, rtol=args.rtol, atol=args.atol, callback=callback,
                   crossings=args.crossings)
    finally:
        if bar is not None:
            bar.close()
    first, last = res.params_at(0), res.params_at(-1)
    if isinstance(first, Network):
        bal0, bal1 = first.balance, last.balance
    else:
        bal0 = bal1 = res.balance
    payload = {
        "param": res.param, "N": data.n, "H": first.H, "time": float(args.time),
        "initial": _both(first, res.balance), "final": _both(last, res.balance),
        "balance_initial": [float(v) for v in bal0], "balance_final": [float(v) for v in bal1],
        "loss_initial": kernels.loss(first, data), "loss_final": kernels.loss(last, data),
        "crossings": [e.as_dict() for e in res.events],
        "captured_final": {str(i + 1): m + 1 for i, m in res.captured_final.items()},
        "rhs_evaluations": res.rhs_evals,
    }
    if args.animate:
        from ..flow.animate import animate

        animate(res, data, args.animate, frames=args.frames, by=args.frames_by)
        payload["animation"] = args.animate
    if args.json:
        emit_json(payload)
        return 0
    print(f"gradient flow ({res.param}), N = {data.n}, H = {first.H}, t: 0 -> {args.time:g}")
    print(f"loss: {payload['loss_initial']:.6g} -> {payload['loss_final']:.6g}")
    drift = float(np.max(np.abs(np.asarray(bal1) - np.asarray(bal0))))
    print(f"balances v^2 - w^2 - b^2: max drift {drift:.2e}")
    kinds = [e.kind for e in res.events]
    print(f"events: {kinds.count('cross')} crossings, {kinds.count('capture')} captures, "
          f"{kinds.count('release')} releases")
    for e in res.events[:20]:
        print(f"  t = {e.t:.6g}: {e.kind} unit {e.unit + 1} at x{e.point + 1} = {e.x:.6g} "
              f"({e.direction})")
    if len(res.events) > 20:
        print(f"  ... {len(res.events) - 20} more (use --json)")
    fin = _both(last, res.balance)
    for name in ("network", "spline"):
        print(f"final {name}: {fin[name]}")
    if args.animate:
        print(f"animation written to {args.animate}")
    return 0
