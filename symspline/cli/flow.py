"""`symspline flow`: gradient flow in both parameterizations, with events and animations."""

from __future__ import annotations

import argparse

import numpy as np

from ..errors import CheckFailed, InputError, IntegrationError, KinkError, SizeError
from ..limits import require_memory
from ._common import (
    add_data,
    add_json,
    add_params,
    add_weight_decay,
    emit_json,
    exact_fields,
    float_option,
    int_option,
    load_data,
    load_params,
    payload_head,
    require_finite,
    require_finite_loss,
    weight_decay_arg,
)

#: Field evaluations a run may be estimated to need before it is refused (explicit methods
#: need about 2 T lambda_max of them: their step is bounded by stability, not accuracy).
MAX_EVALUATIONS = 10**7
#: Steps a run may take before it is stopped (RKC's cost is hard to estimate beforehand).
MAX_STEPS = 100_000
#: Bytes per animation frame held by the writer (a 900 x 360 RGBA image, twice).
FRAME_BYTES = 2 * 900 * 360 * 4


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "flow", help="gradient flow theta' = -grad L to time T, with crossings and captures",
        description="Integrate gradient flow from the given parameters to time T in the network "
        "parameterization (w, b, v, c) or the quotient (beta, mu, c; balances). Breakpoint "
        "crossings are located as events; captures (both one-sided velocities push a breakpoint "
        "onto a sample) are continued as sliding (Filippov) solutions and released when the "
        "sliding condition fails. Reports parameters in both parameterizations at start and end, "
        "balances v^2 - w^2 - b^2, losses and events. With --weight-decay LAMBDA the flow is "
        "theta' = -grad L - LAMBDA theta and the balances decay as exp(-2 LAMBDA t); "
        "--negative-slope ALPHA selects the leaky ReLU.")
    add_data(p)
    add_params(p)
    add_weight_decay(p)
    p.add_argument("--time", type=float_option("--time", minimum=0.0), required=True,
                   metavar="T", help="final time T")
    p.add_argument("--param", choices=("network", "spline"), default=None,
                   help="parameterization to integrate in (default: that of --params)")
    p.add_argument("--balance", type=float_option("--balance"), default=-1.0,
                   help="balance v^2 - w^2 - b^2 of every unit when a spline is given (default -1)")
    p.add_argument("--rtol", type=float_option("--rtol", minimum=0.0, strict_minimum=True),
                   default=1e-9, help="relative tolerance in (0, 1) (default 1e-9)")
    p.add_argument("--atol", type=float_option("--atol", minimum=0.0, strict_minimum=True),
                   default=1e-11, help="absolute tolerance in (0, 1) (default 1e-11)")
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
    p.add_argument("--frames", type=int_option("--frames", 2, 10**12), default=60,
                   help="animation frames (default 60)")
    p.add_argument("--frames-by", choices=("time", "loss"), default="time",
                   help="sample frames evenly in time or in loss (default time)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    add_json(p)
    p.set_defaults(handler=run)


def _both(params: object, balance: np.ndarray) -> dict:
    """(``balance``: the balances of a spline's network representative at that time.)"""
    """The parameters in both views; a spline view that does not exist is null with a reason."""
    from ..params import Network
    from .convert import params_fields

    if isinstance(params, Network):
        net = params
        try:
            spline: dict | None = params_fields(params.to_spline())
            reason = None
        except InputError as exc:  # a unit with w = 0 has no breakpoint
            spline, reason = None, str(exc)
    else:
        spline, reason = params_fields(params), None
        from ..flow.quotient import to_network

        net = to_network(params, balance)
    out = {"network": params_fields(net), "spline": spline}
    if reason is not None:
        out["spline_reason"] = reason
    return out


def _estimate(params: object, data: object, args: argparse.Namespace,
              advice: str = "use --method RKC or a shorter --time", weight_decay: float = 0.0
              ) -> None:
    """Refuse a run whose stability-bound cost (about 2 T lambda_max evaluations) is too large
    (the decay adds lambda to every eigenvalue of the Hessian)."""
    if args.method == "RKC" or args.time == 0:
        return  # RKC's cost grows like sqrt(T lambda): bounded by MAX_STEPS while it runs
    from .. import kernels

    try:
        lam = float(kernels.extreme_eigenvalues(params, data, 1, side="right")["largest"][0])
    except (InputError, KinkError, ValueError, ArithmeticError):
        return  # no estimate (e.g. a w = 0 unit): the step bound still applies
    if not np.isfinite(lam) or lam <= 0:
        return
    need = 2.0 * args.time * (lam + weight_decay)
    if need > MAX_EVALUATIONS:
        raise SizeError(f"flow to t = {args.time:g} with {args.method} needs about {need:.2g} "
                        f"field evaluations (2 T lambda_max, lambda_max = {lam:.3g} at the "
                        f"start), more than the {MAX_EVALUATIONS:.0e} allowed; {advice}")


def run(args: argparse.Namespace) -> int:
    from .. import kernels
    from ..flow import flow

    if not (0 < args.rtol < 1) or not (0 < args.atol < 1):
        raise InputError("--rtol and --atol must lie in (0, 1)")
    if args.crossings == "carry" and args.method not in ("RK23", "RK45", "RKC"):
        raise InputError(f"--crossings carry needs --method RK23, RK45 or RKC, not {args.method}")
    if args.crossings == "cut" and args.method == "RKC":
        raise InputError("--method RKC runs with --crossings carry only")
    if args.animate and not args.animate.lower().endswith((".gif", ".mp4")):
        raise InputError(f"--animate needs a .gif or .mp4 file name, got {args.animate}")
    if args.animate:
        require_memory(float(args.frames) * FRAME_BYTES, f"an animation of {args.frames} frames")
    data = load_data(args)
    params = load_params(args)
    decay = float(weight_decay_arg(args, "float"))
    require_finite_loss(params, data)
    _estimate(params, data, args, weight_decay=decay)
    bar = None
    if not args.no_progress and not args.json:
        from tqdm import tqdm

        # disable=None: no bar unless stderr is a terminal, so a log holds only the messages
        bar = tqdm(total=float(args.time), unit="t", leave=False, disable=None,
                   bar_format="{l_bar}{bar}| t={n:.4g}/{total:.4g} [{elapsed}]")
    steps = 0

    def callback(t: float) -> None:
        nonlocal steps
        steps += 1
        if steps > MAX_STEPS:
            raise SizeError(f"flow stopped at t = {t:.6g} of {args.time:g} after {MAX_STEPS} "
                            "steps, the most a run may take; use a shorter --time (or "
                            "--method RKC)")
        if bar is not None:
            bar.update(t - bar.n)

    try:
        res = flow(params, data, args.time, param=args.param, balance=args.balance,
                   method=args.method, rtol=args.rtol, atol=args.atol, callback=callback,
                   crossings=args.crossings, weight_decay=decay)
    except IntegrationError as exc:
        # The input was valid and the integrator failed on it: a failed computation (exit 1).
        if args.json:
            emit_json({**payload_head(args, ok=False), "failure": str(exc)})
        raise CheckFailed(str(exc)) from None
    finally:
        if bar is not None:
            bar.close()
    first, last = res.params_at(0), res.params_at(-1)
    bal0, bal1 = res.balance_at(0), res.balance_at(-1)
    loss0, loss1 = kernels.loss(first, data), kernels.loss(last, data)
    # the penalty of the network state (for a spline: of its representative with these balances)
    pen0 = res.network_at(0).decay(decay).value if decay else 0.0
    pen1 = res.network_at(-1).decay(decay).value if decay else 0.0
    payload = payload_head(args)
    payload.update({
        "param": res.param, "N": data.n, "H": first.H, "time": float(args.time),
        "method": args.method,
        "negative_slope": float(res.negative_slope), "weight_decay": decay,
        "initial": _both(first, bal0), "final": _both(last, bal1),
        "balance_initial": [float(v) for v in bal0], "balance_final": [float(v) for v in bal1],
        **exact_fields("loss_initial", loss0),
        **exact_fields("loss_final", loss1),
        "objective_initial": float(loss0) + float(pen0),
        "objective_final": float(loss1) + float(pen1),
        "events": [e.as_dict() for e in res.events],
        "captured_final": [{"unit": i + 1, "point": m + 1}
                           for i, m in sorted(res.captured_final.items())],
        "rhs_evaluations": int(res.rhs_evals),
    })
    require_finite(payload)
    if args.animate:
        from ..flow.animate import animate

        animate(res, data, args.animate, frames=args.frames, by=args.frames_by)
        payload["animation"] = args.animate
    if args.json:
        emit_json(payload)
        return 0
    model = "" if not res.negative_slope else f", leaky ReLU alpha = {res.negative_slope:g}"
    print(f"gradient flow ({res.param}{model}), N = {data.n}, H = {first.H}, "
          f"t: 0 -> {args.time:g}")
    print(f"loss: {payload['loss_initial']:.6g} -> {payload['loss_final']:.6g}")
    if decay:
        print(f"objective L + (lambda/2)|theta|^2, lambda = {decay:g}: "
              f"{payload['objective_initial']:.6g} -> {payload['objective_final']:.6g}")
        law = np.asarray(bal0) * np.exp(-2.0 * decay * float(args.time))
        drift = float(np.max(np.abs(np.asarray(bal1) - law)))
        print(f"balances v^2 - w^2 - b^2: max |delta(T) - delta(0) exp(-2 lambda T)| {drift:.2e}")
    else:
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
    fin = payload["final"]
    for name in ("network", "spline"):
        view = fin[name]
        shown = fin.get(f"{name}_reason") if view is None else {
            k: v for k, v in view.items() if not k.endswith("_exact")}
        print(f"final {name}: {shown}")
    if args.animate:
        print(f"animation written to {args.animate}")
    return 0
