"""`symspline grad`, `symspline hessian`, `symspline check`: closed-form derivatives and their validation."""

from __future__ import annotations

import argparse
import sys

import numpy as np
import sympy as sp

from ..data import Dataset
from ..errors import CheckFailed, InputError, SizeError
from ..evaluation import Evaluation, evaluate
from ..io import atomic_paths
from ..limits import require_memory
from ..numbers import combine_kinds
from ..params import Network, Spline
from ._common import (
    add_data,
    add_json,
    add_param_choice,
    add_params,
    add_population,
    add_weight_decay,
    data_or_population,
    emit_json,
    exact_fields,
    exact_text,
    float_option,
    load_params_as_requested,
    model_fields,
    payload_head,
    require_finite,
    require_finite_loss,
    weight_decay_arg,
)

#: Work bound of `check` (operations of its finite differences, about 4 P^2 (N + H)).
MAX_CHECK_WORK = 2e9


def _common(p: argparse.ArgumentParser) -> None:
    add_data(p, required=False)
    add_population(p)
    add_params(p)
    add_param_choice(p, "the derivatives")
    add_weight_decay(p)
    p.add_argument("--side", choices=("left", "right"), default=None,
                   help="at a kink (breakpoint on a data point) give the one-sided derivative "
                   "from below (left) or above (right) instead of failing")
    add_json(p)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "grad", help="closed-form gradient of the loss (exact when the input is exact)",
        description="Gradient of L = (1/2N) sum_n (f(x_n) - y_n)^2 in network (w, b, v, c) or "
        "spline (beta, mu, c) coordinates, from the closed forms of theory §2.2 (plus the "
        "weight-decay penalty with --weight-decay; the leaky ReLU with --negative-slope or a "
        "file's negative_slope). On a kink it exits 2 naming the unit and the data point unless "
        "--side is given.")
    _common(p)
    p.set_defaults(handler=run_grad)

    p = sub.add_parser(
        "hessian", help="closed-form Hessian, optionally split into Gauss-Newton and residual",
        description="Hessian of the loss, (J^T J + R)/N (theory §3.1), plus the Hessian of the "
        "penalty with --weight-decay. --parts adds the Gauss-Newton part J^T J/N and the residual "
        "part R/N (and the penalty part with --weight-decay); --eig adds eigenvalues; --out "
        "writes the Hessian as a float64 .npy file.")
    _common(p)
    p.add_argument("--parts", action="store_true", help="also give gauss_newton and residual")
    p.add_argument("--eig", action="store_true", help="also give the eigenvalues (ascending)")
    p.add_argument("--out", metavar="H.npy",
                   help="write the Hessian to this .npy file (float64) instead of printing it; "
                   "with --parts also H_gauss_newton.npy and H_residual.npy (and H_penalty.npy "
                   "with --weight-decay); the JSON then names "
                   "the file (hessian_file) instead of holding the matrix")
    p.set_defaults(handler=run_hessian)

    p = sub.add_parser(
        "check", help="validate gradient and Hessian against finite differences (region-aware)",
        description="Compare the closed-form gradient and Hessian with finite differences whose "
        "stencils never cross a kink (float64, and mpmath high precision for exact input). "
        "Exit 1 if they disagree.")
    _common(p)
    p.add_argument("--rtol", type=float_option("--rtol", minimum=0.0, strict_minimum=True),
                   default=None,
                   help="norm-wise relative tolerance (default 1e-6 float64, 1e-20 mpmath)")
    p.set_defaults(handler=run_check)


# ------------------------------------------------------------------ shared
def _params_in(args: argparse.Namespace) -> tuple[Network | Spline, Dataset | None, object]:
    data, pop = data_or_population(args)
    return load_params_as_requested(args), data, pop


def _input_kind(params: Network | Spline, data: Dataset | None) -> str:
    """The number kind of the answer without the penalty: parameters and data combined (a
    population's answers have the parameters' kind)."""
    return params.kind if data is None else combine_kinds([params.kind, data.kind])


def _objective(args: argparse.Namespace, params: Network | Spline, data: Dataset | None,
               pop: object) -> tuple[Evaluation | None, object]:
    """The one evaluation of the objective for sample data (None for a population) and lambda.

    Validation, the pattern and the float kernel are built once inside it, however many of
    loss, gradient, Hessian and parts the command asks for (symspline.evaluation).
    """
    lam = weight_decay_arg(args, _input_kind(params, data))
    if pop is not None:
        return None, lam
    return evaluate(params, data, weight_decay=lam, side=getattr(args, "side", None)), lam


def _head(args: argparse.Namespace, params: Network | Spline, data: Dataset | None,
          pop: object, weight_decay: object = 0) -> dict:
    """``ok``, ``command``, ``param``, ``order``, ``H``, ``N`` (or ``population``), and the model:
    ``negative_slope`` and ``weight_decay``."""
    payload = payload_head(args)
    payload.update({"param": _param_name(params), "order": list(params.names), "H": params.H})
    payload.update(model_fields(params, weight_decay,
                                exact=_input_kind(params, data) == "exact"))
    if pop is None:
        payload["N"] = data.n
    else:
        payload["population"] = {**exact_fields("support", [pop.a, pop.b]),
                                 **exact_fields("knots", list(pop.knots))}
    if getattr(args, "side", None):
        payload["side"] = args.side
    return payload


def _require_hessian_memory(params: Network | Spline, data: Dataset | None, *, parts: bool,
                            eig: bool, printed: bool) -> None:
    """Estimate the memory of the Hessian request before any P x P array exists."""
    P = float(len(params.names))
    exact = params.kind != "float" or (data is not None and data.kind != "float")
    # float64 matrices held at once: the Hessian (and its float copy), the parts, eigvalsh's
    # symmetrized copy and workspace; printed or JSON output holds every entry again as a Python
    # float in a list (about 32 bytes) and as text (about 25 bytes). Exact entries are SymPy
    # numbers of a few hundred bytes each.
    copies = 2 + (2 if parts else 0) + (3 if eig else 0)
    per_entry = 8 * copies
    if printed:
        per_entry += (32 + 25) * (3 if parts else 1)
    if exact:
        per_entry += 400 * (3 if parts else 1)
    require_memory(P * P * per_entry, f"the {int(P)} x {int(P)} Hessian (H = {params.H}"
                   + (", with --parts" if parts else "") + ")")


def _flag_near_kinks(params: Network | Spline, data: Dataset | None, payload: dict) -> None:
    """Add ``near_kinks`` to the payload and say so on stderr: results there are fragile."""
    if data is None:
        return
    from ..regions import near_kinks

    near = near_kinks(params, data)
    if near:
        payload["near_kinks"] = [{"unit": i + 1, "point": m + 1, "distance": dist}
                                 for i, m, dist in near]
        for i, m, dist in near:
            print(f"symspline: note: breakpoint of unit {i + 1} is {dist:.1e} from data point "
                  f"{m + 1}; a rounding-size change would cross a kink", file=sys.stderr)


def _param_name(params: Network | Spline) -> str:
    return params.parameterization


def _as_float_array(value: object) -> np.ndarray:
    if isinstance(value, sp.MatrixBase):
        return np.array(value.evalf(17).tolist(), dtype=np.float64)
    return np.asarray(value, dtype=np.float64)


def _is_exact(value: object) -> bool:
    return isinstance(value, sp.MatrixBase)


def _fmt_vector(names: list[str], values: object) -> list[str]:
    if _is_exact(values):
        vals = list(values)
        return [f"  {n:>8} = {exact_text(v)}" + (f"  (~ {float(v):.12g})" if not v.is_Integer
                                                   else "") for n, v in zip(names, vals,
                                                                             strict=True)]
    return [f"  {n:>8} = {float(v):.17g}" for n, v in zip(names, np.ravel(values), strict=True)]


# ------------------------------------------------------------------ grad
def run_grad(args: argparse.Namespace) -> int:
    params, data, pop = _params_in(args)
    ev, lam = _objective(args, params, data, pop)
    if ev is None:  # population loss (theory §7.3): C^1, so no side is needed
        grad, loss = pop.gradient(params, weight_decay=lam), pop.loss(params, weight_decay=lam)
    else:
        grad, loss = ev.gradient, ev.loss
    payload = _head(args, params, data, pop, lam)
    payload.update(exact_fields("loss", loss))
    payload.update(exact_fields("gradient", _vector(grad)))
    require_finite(payload)
    _flag_near_kinks(params, data, payload)
    if args.json:
        emit_json(payload)
        return 0
    print(_objective_line(loss, params, lam))
    print(f"gradient ({payload['param']} coordinates"
          + (f", one-sided from the {args.side}" if args.side else "") + "):")
    print("\n".join(_fmt_vector(params.names, grad)))
    return 0


def _objective_line(loss: object, params: Network | Spline, lam: object) -> str:
    """``loss = ...`` and, for a leaky ReLU or weight decay, what the objective is."""
    notes = []
    if params.negative_slope != 0:
        notes.append(f"leaky ReLU, negative_slope = {exact_text(params.negative_slope)}")
    if lam != 0:
        notes.append(f"with weight decay lambda = {exact_text(lam)}")
    return f"loss = {exact_text(loss)}" + (f"  ({'; '.join(notes)})" if notes else "")


def _vector(v: object) -> list:
    return list(v) if _is_exact(v) else np.ravel(v).tolist()


def _matrix(m: object) -> list:
    if _is_exact(m):
        return [list(m.row(i)) for i in range(m.rows)]
    return np.asarray(m, dtype=np.float64).tolist()


# ------------------------------------------------------------------ hessian
def run_hessian(args: argparse.Namespace) -> int:
    params, data, pop = _params_in(args)
    if args.out is not None and not str(args.out).endswith(".npy"):
        raise InputError(f"--out must name a .npy file, got {args.out!r}")
    if pop is not None and args.parts:
        raise InputError("--parts is not available with --population")
    _require_hessian_memory(params, data, parts=args.parts, eig=args.eig,
                            printed=args.out is None)
    ev, lam = _objective(args, params, data, pop)
    pen = None
    if ev is None:
        hess = pop.hessian(params, side=args.side or "left", weight_decay=lam)
        gn = res = None
        loss, grad = pop.loss(params, weight_decay=lam), pop.gradient(params, weight_decay=lam)
    else:
        # one evaluation: the pattern and the kernel serve the loss, gradient and Hessian
        parts = ev.parts
        hess, gn, res, pen = parts.hessian, parts.gauss_newton, parts.residual, parts.penalty
        loss, grad = ev.loss, ev.gradient
    if not args.parts:
        gn = res = pen = None
    hf = _as_float_array(hess)
    # With --out the matrix goes to the .npy file only: a 3001 x 3001 Hessian is no JSON or
    # terminal material.
    payload = _head(args, params, data, pop, lam)
    payload.update(exact_fields("loss", loss))
    payload.update(exact_fields("gradient", _vector(grad)))
    named = [("gauss_newton", gn), ("residual", res), ("penalty", pen)]
    named = [(k, m) for k, m in named if m is not None]
    if args.out is None:
        payload.update(exact_fields("hessian", _matrix(hess)))
        for key, m in named:
            payload.update(exact_fields(key, _matrix(m)))
    else:
        require_finite({"hessian": hf})
        stem = str(args.out)[:-4]
        payload["hessian_file"] = str(args.out)
        for key, _ in named:
            payload[f"{key}_file"] = f"{stem}_{key}.npy"
        payload["shape"] = list(hf.shape)
    if args.eig:
        require_finite({"hessian": hf})
        payload["eigenvalues"] = np.linalg.eigvalsh(0.5 * (hf + hf.T)).tolist()
    require_finite(payload)
    _flag_near_kinks(params, data, payload)
    if args.out is not None:
        arrays = [hf] + [_as_float_array(m) for _, m in named]
        require_finite({"hessian parts": arrays})
        names = [payload["hessian_file"]] + [payload[f"{key}_file"] for key, _ in named]
        # All files or none: each goes to a temporary first, and they are renamed together.
        with atomic_paths(names) as tmps:
            for tmp, arr in zip(tmps, arrays, strict=True):
                with open(tmp, "wb") as fh:
                    np.save(fh, arr)
    if args.json:
        emit_json(payload)
        return 0
    names = params.names
    if args.out is None:
        print(f"Hessian ({payload['param']} coordinates, order {', '.join(names)}):")
        _print_matrix(hess)
        titles = {"gauss_newton": "Gauss-Newton part J^T J / N:",
                  "residual": "residual part R / N:",
                  "penalty": f"weight-decay part (lambda = {exact_text(lam)}):"}
        for key, m in named:
            print(titles[key])
            _print_matrix(m)
    else:
        beside = ", ".join(f"_{key}.npy" for key, _ in named)
        print(f"{_objective_line(loss, params, lam)}; Hessian {hf.shape[0]} x {hf.shape[1]} "
              f"({payload['param']} coordinates) written to {args.out}"
              + (f" with {beside} beside it" if named else ""))
    if args.eig:
        ev = payload["eigenvalues"]
        print("eigenvalues: " + ", ".join(f"{e:.10g}" for e in ev))
    return 0


def _print_matrix(m: object) -> None:
    if _is_exact(m):
        rows = [[exact_text(v) for v in m.row(i)] for i in range(m.rows)]
    else:
        rows = [[f"{v:.10g}" for v in row] for row in np.asarray(m, dtype=np.float64)]
    width = max(len(c) for r in rows for c in r)
    for r in rows:
        print("  " + " ".join(c.rjust(width) for c in r))


# ------------------------------------------------------------------ check
def run_check(args: argparse.Namespace) -> int:
    from ..checks import compare, fd_gradient, fd_hessian

    params, data, pop = _params_in(args)
    if pop is not None:
        raise InputError("check validates the sample loss: use --data (population derivatives "
                         "are checked by `symspline derive population`)")
    if params.kind == "symbolic" or data.kind == "symbolic":
        raise InputError("check needs numeric parameters and data")
    # the finite-difference Hessian is a second P x P matrix
    _require_hessian_memory(params, data, parts=True, eig=False, printed=False)
    require_finite_loss(params, data)
    # Finite differences evaluate the loss (O(N + H) each) at about 4 P^2 stencil points: at
    # H = 40, N = 2000 that is 1.2e8 operations, about 20 s on a shared 2-core machine.
    P = float(len(params.names))
    work = 4.0 * P * P * (data.n + params.H)
    if params.kind == "exact" and data.kind == "exact":
        work *= 100.0  # the 60-digit mpmath differences cost about a hundred float ones
    if work > MAX_CHECK_WORK:
        raise SizeError(f"check at H = {params.H}, N = {data.n} needs about {4 * P * P:.2g} loss "
                        f"evaluations over the data ({work:.2g} operations, more than the "
                        f"{MAX_CHECK_WORK:.0e} allowed, minutes of work); check a smaller "
                        "problem, or compare `symspline hessian` with your own differences")
    exact = params.kind == "exact" and data.kind == "exact"
    ev, lam = _objective(args, params, data, None)
    # The data term L is checked against differences of the loss, the penalty against
    # differences of its own value: the objective's closed forms are their sums.
    ge, he = _data_term(ev)
    g = _as_float_array(ge).ravel()
    h = _as_float_array(he)
    rows = []
    precisions = ["float64"] + (["mpmath"] if exact else [])
    for prec in precisions:
        rtol = args.rtol if args.rtol is not None else (1e-6 if prec == "float64" else 1e-20)
        if prec == "mpmath":
            # Compare the exact closed forms against high-precision differences.
            gref = fd_gradient(params, data, precision=prec, side=args.side).values
            href = fd_hessian(params, data, precision=prec, side=args.side).values
            ag = compare(np.array(list(ge), dtype=object), gref, rtol=rtol)
            ah = compare(np.array(he.tolist(), dtype=object), href, rtol=rtol)
        else:
            fd_g = fd_gradient(params, data, precision=prec, side=args.side)
            fd_h = fd_hessian(params, data, precision=prec, side=args.side)
            ag = compare(g, fd_g.values, rtol=rtol)
            ah = compare(h, fd_h.values, rtol=rtol)
        rows.append({"precision": prec, "what": "gradient", "max_abs": ag.max_abs,
                     "max_rel": ag.max_rel, "rtol": rtol, "ok": bool(ag.ok)})
        rows.append({"precision": prec, "what": "hessian", "max_abs": ah.max_abs,
                     "max_rel": ah.max_rel, "rtol": rtol, "ok": bool(ah.ok)})
    if ev.penalty is not None:
        rtol = args.rtol if args.rtol is not None else 1e-6
        for what, agreement in _penalty_agreements(ev, rtol):
            rows.append({"precision": "float64", "what": what, "max_abs": agreement.max_abs,
                         "max_rel": agreement.max_rel, "rtol": rtol, "ok": bool(agreement.ok)})
    for r in rows:
        for key in ("max_abs", "max_rel"):
            if not np.isfinite(r[key]):
                # Differences that are not finite fail the check; JSON holds no NaN (rule 4).
                r[key], r[key + "_reason"], r["ok"] = None, f"not finite ({r[key]})", False
    ok = all(r["ok"] for r in rows)
    payload = _head(args, params, data, None, lam)
    payload.update({"ok": ok, "checks": rows})
    _flag_near_kinks(params, data, payload)
    if args.json:
        emit_json(payload)
    else:
        for r in rows:
            shown = {k: "not finite" if r[k] is None else f"{r[k]:.3e}"
                     for k in ("max_abs", "max_rel")}
            print(f"{r['what']:>8} vs finite differences ({r['precision']}): max abs "
                  f"{shown['max_abs']}, max rel {shown['max_rel']} (rtol {r['rtol']:.0e}) "
                  + ("ok" if r["ok"] else "FAILED"))
    if not ok:
        bad = [f"{r['what']} ({r['precision']})" for r in rows if not r["ok"]]
        raise CheckFailed("closed forms disagree with finite differences: " + ", ".join(bad))
    return 0


def _data_term(ev: Evaluation) -> tuple[object, object]:
    """Gradient and Hessian of the data term L alone, from the one evaluation (objective minus
    penalty; the Hessian as Gauss-Newton + residual)."""
    parts = ev.parts
    if ev.penalty is None:
        return ev.gradient, parts.hessian
    if isinstance(parts.hessian, sp.MatrixBase):
        return ev.gradient - sp.Matrix(ev.penalty.gradient), parts.gauss_newton + parts.residual
    return ev.gradient - ev.penalty.gradient, parts.gauss_newton + parts.residual


def _penalty_agreements(ev: Evaluation, rtol: float) -> list[tuple[str, object]]:
    """The penalty's closed-form gradient and Hessian against float64 central differences of
    its value (``params.decay(lambda).value`` at shifted parameters; the penalty is smooth:
    quadratic for a network, and for a spline away from mu_i = 0, where it is refused)."""
    from ..checks import compare

    pf = ev.params.as_float()
    lam = float(ev.weight_decay)
    theta = np.asarray(pf.vector, dtype=np.float64)
    P = theta.shape[0]

    def value(t: np.ndarray) -> float:
        return float(pf.with_vector(t).decay(lam).value)

    h1 = np.finfo(float).eps ** (1 / 3) * np.maximum(1.0, np.abs(theta))
    h2 = np.finfo(float).eps ** (1 / 4) * np.maximum(1.0, np.abs(theta))
    eye = np.eye(P)
    grad = np.array([(value(theta + h1[a] * eye[a]) - value(theta - h1[a] * eye[a]))
                     / (2 * h1[a]) for a in range(P)])
    hess = np.empty((P, P))
    for a in range(P):
        for b in range(a, P):
            da, db = h2[a] * eye[a], h2[b] * eye[b]
            hess[a, b] = hess[b, a] = (value(theta + da + db) - value(theta + da - db)
                                       - value(theta - da + db) + value(theta - da - db)) / (
                4 * h2[a] * h2[b])
    pen = ev.penalty
    return [("penalty_gradient", compare(np.asarray(pen.gradient, dtype=np.float64), grad,
                                         rtol=rtol)),
            ("penalty_hessian", compare(np.asarray(pen.hessian, dtype=np.float64), hess,
                                        rtol=rtol))]
