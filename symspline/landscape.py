"""Exact loss slices theta(t) = theta_0 + t d (and planes) in either parameterization, kinks located exactly.

Along a line every pre-activation is affine in t: z_{in}(t) = w_i(t) x_n + b_i(t) (network) or
s_i (x_n - beta_i(t)) (spline), and every unit's amplitude a_i(t) (v_i or mu_i) and c(t) are affine.
So between the zeros t*_{in} = -z_{in}(0) / z'_{in} the active sets are fixed, every residual
r_n(t) is a quadratic in t and L(t) = (1/2N) sum_n r_n(t)^2 is a quartic. At t*_{in} the slope of
L jumps by (1/N) r_n(t*) a_i(t*) |z'_{in}| (right minus left) -- theory §2.3 (docs/theory.md) when d moves one
breakpoint at unit speed. In a plane theta_0 + t_1 d_1 + t_2 d_2 the kinks are the lines
z_{in}(t_1, t_2) = 0, also given exactly.

The sweep updates one residual per kink, so a slice with M = N H kinks costs O(N H log(N H)).
Exact input (rationals) gives exact kink positions and exact quartic coefficients.

Both models of the parameters serve here unchanged. The leaky ReLU (``negative_slope`` = alpha): a
unit contributes g (a_i z_in) with g = 1 on its active side and alpha off it, so a crossing changes
r_n by (1 - alpha) a_i z_in and the slope jump carries the factor (1 - alpha). Weight decay
(``weight_decay`` = lambda, network parameters): the penalty (lambda/2)||theta_0 + t d||^2 is a
quadratic in t and is added to every piece. The spline objective's penalty (the orbit minimum
lambda sum_i |mu_i| sqrt(1 + beta_i^2) + lambda c^2/2) is not a polynomial along a line, so spline
slices with weight decay are refused (slice the network representative instead); float grids
(:func:`plane_slice`) and Hessian directions take it through :func:`symspline.evaluation.evaluate`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import sympy as sp

from .data import Dataset
from .errors import InputError, ParameterError
from .evaluation import evaluate
from .numbers import combine_kinds, kind_of, to_sympy
from .params import Network, Spline, weight_decay_value


@dataclass(frozen=True)
class Kink:
    """A point of the slice where unit ``unit``'s breakpoint crosses sample ``point`` (0-based)."""

    t: object
    unit: int
    point: int
    jump: object  # L'(t+) - L'(t-) contributed by this crossing


@dataclass(frozen=True, eq=False)
class Slice:
    """L(theta_0 + t d): sorted ``breaks`` t_1 < ... < t_M and quartics on the M + 1 intervals.

    ``coeffs[j]`` holds the ascending coefficients (q_0..q_4) of L on (t_j, t_{j+1}) (t_0 = -inf,
    t_{M+1} = +inf) in the variable t itself. ``kinks`` lists every crossing with its slope jump.
    """

    param: str
    kind: str
    breaks: tuple
    coeffs: tuple
    kinks: tuple[Kink, ...]
    direction: np.ndarray
    weight_decay: object = 0

    def piece(self, t: object) -> int:
        """Index of the interval holding t (a break belongs to the interval on its left)."""
        return sum(1 for b in self.breaks if b < t)

    def __call__(self, t: object) -> object:
        """L at t (scalar: exact for exact slices; array: float64)."""
        if np.ndim(t) == 0:
            q = self.coeffs[self.piece(t)]
            return sum(q[k] * t**k for k in range(5))
        ts = np.asarray(t, dtype=np.float64)
        br = np.array([float(b) for b in self.breaks])
        idx = np.searchsorted(br, ts, side="left")
        C = np.array([[float(c) for c in q] for q in self.coeffs])[idx]
        return sum(C[..., k] * ts**k for k in range(5))

    def derivative(self, t: object, side: str = "right") -> object:
        """One-sided dL/dt at t."""
        j = self.piece(t) + (1 if side == "right" and t in self.breaks else 0)
        q = self.coeffs[j]
        return sum(k * q[k] * t ** (k - 1) for k in range(1, 5))

    def polynomial(self, j: int) -> sp.Expr:
        """The quartic of interval j as a SymPy polynomial in ``t``."""
        t = sp.Symbol("t", real=True)
        return sp.Add(*[to_sympy(q) * t**k for k, q in enumerate(self.coeffs[j])])


def _lines(params: Network | Spline, data: Dataset, d: np.ndarray, exact: bool):
    """Per unit amplitude (a0, a1), pre-activations Z0, Z1 (N x H), c0, c1."""
    H = params.H
    dt = object if exact else np.float64
    x = np.asarray(data.x, dtype=dt)
    if isinstance(params, Network):
        w, b, v, c = params.w, params.b, params.v, params.c
        dw, db, dv, dc = d[:H], d[H:2 * H], d[2 * H:3 * H], d[3 * H]
        Z0 = np.multiply.outer(x, w) + b
        Z1 = np.multiply.outer(x, dw) + db
        return np.asarray(v, dtype=dt), np.asarray(dv, dtype=dt), Z0, Z1, c, dc
    s = np.array([sp.Integer(si) if exact else float(si) for si in params.s], dtype=dt)
    dbeta, dmu, dc = d[:H], d[H:2 * H], d[2 * H]
    Z0 = (np.subtract.outer(x, params.beta)) * s
    Z1 = np.zeros_like(Z0) - np.asarray(dbeta * s, dtype=dt)
    return np.asarray(params.mu, dtype=dt), np.asarray(dmu, dtype=dt), Z0, Z1, params.c, dc


def _sq(r: Sequence) -> list:
    r0, r1, r2 = r
    return [r0 * r0, 2 * r0 * r1, r1 * r1 + 2 * r0 * r2, 2 * r1 * r2, r2 * r2]


def line_slice(params: Network | Spline, data: Dataset, direction: object, *,
               weight_decay: object = 0) -> Slice:
    """The exact loss along theta_0 + t d, with every kink and its slope jump.

    With the leaky ReLU (``params.negative_slope`` = alpha) a unit contributes alpha times its
    line off its active side, and each crossing's slope jump is (1 - alpha) r_n a_i |z'_in| / N.
    With ``weight_decay`` = lambda (network parameters only) every piece gains
    (lambda/2)(|theta_0|^2 + 2 t theta_0 . d + t^2 |d|^2).

    Parameters
    ----------
    params : Network or Spline
        theta_0 (float or exact; spline orientations stay fixed along the line).
    data : Dataset
        Float or exact samples.
    direction : array of shape (P,)
        d in the parameter order of ``params``; exact numbers keep the slice exact.
    weight_decay : number, optional
        lambda >= 0 (0: the plain loss). Network parameters only.

    Returns
    -------
    Slice
        Breaks t*_{in} = -z_{in}(0)/z'_{in} (sorted, merged when equal) and the quartic on each
        interval; exact when params, data and direction are all exact.
    """
    if not isinstance(params, Network | Spline):
        raise InputError(f"params must be a Network or a Spline, got {type(params).__name__}")
    if params.kind == "symbolic" or data.kind == "symbolic":
        raise ParameterError("slices need numeric parameters and data")
    lam = weight_decay_value(weight_decay)
    if kind_of(lam) == "symbolic":
        raise ParameterError("slices need a numeric weight decay")
    if lam != 0 and isinstance(params, Spline):
        raise ParameterError(
            "a spline slice with weight decay is not piecewise polynomial (the penalty "
            "lambda |mu_i| sqrt(1 + beta_i^2) of the orbit minimum); slice the network instead")
    d_list = list(np.ravel(np.asarray(direction, dtype=object)))
    P = params.vector.shape[0]
    if len(d_list) != P:
        raise ParameterError(f"the direction must have {P} entries, got {len(d_list)}")
    dkind = combine_kinds([kind_of(v) for v in d_list])
    lkind = "exact" if lam == 0 or not isinstance(lam, float) else "float"
    exact = combine_kinds([params.kind, data.kind, dkind, lkind]) == "exact"
    if exact:
        d = np.array([sp.nsimplify(v) for v in d_list], dtype=object)
    else:
        d = np.asarray([float(v) for v in d_list], dtype=np.float64)
        if not np.all(np.isfinite(d)):
            raise ParameterError("the direction has non-finite entries")
        params, data = (params.as_float() if params.kind != "float" else params), data.as_float()
        lam = float(lam)
    alpha = params.negative_slope
    a0, a1, Z0, Z1, c0, c1 = _lines(params, data, d, exact)
    N, H = Z0.shape
    y = np.asarray(data.y, dtype=object if exact else np.float64)
    zero = sp.Integer(0) if exact else 0.0
    # Active at t -> -inf: z(t) = z0 + t z1 > 0 eventually iff z1 < 0 (or z1 = 0 and z0 > 0).
    act = np.array([[bool(Z1[n, i] < 0) or (Z1[n, i] == 0 and bool(Z0[n, i] > 0))
                     for i in range(H)] for n in range(N)], dtype=bool)
    R = [[c0 - y[n], c1, zero] for n in range(N)]

    def contrib(n: int, i: int) -> list:
        return [a0[i] * Z0[n, i], a0[i] * Z1[n, i] + a1[i] * Z0[n, i], a1[i] * Z1[n, i]]

    for n in range(N):
        for i in range(H):
            if act[n, i]:
                R[n] = [u + v for u, v in zip(R[n], contrib(n, i), strict=True)]
            elif alpha != 0:  # leaky: alpha times the unit's line off its active side
                R[n] = [u + alpha * v for u, v in zip(R[n], contrib(n, i), strict=True)]
    inv2n = sp.Rational(1, 2 * N) if exact else 1.0 / (2 * N)
    Q = [zero] * 5
    for n in range(N):
        Q = [u + v for u, v in zip(Q, _sq(R[n]), strict=True)]
    theta0 = params.vector
    # (lambda/2)|theta_0 + t d|^2 = pen[0] + pen[1] t + pen[2] t^2, added to every piece
    pen = (lam * sum(v * v for v in theta0) / 2, lam * sum(u * v for u, v in zip(theta0, d, strict=True)),
           lam * sum(v * v for v in d) / 2) if lam != 0 else (zero, zero, zero)

    def piece(Q: list) -> tuple:
        q = [v * inv2n for v in Q]
        return tuple(q[j] + pen[j] if j < 3 else q[j] for j in range(5))

    events = []
    for n in range(N):
        for i in range(H):
            if Z1[n, i] != 0:
                events.append((-Z0[n, i] / Z1[n, i], i, n))
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    breaks, coeffs, kinks = [], [piece(Q)], []
    j = 0
    while j < len(events):
        t = events[j][0]
        group = []
        while j < len(events) and events[j][0] == t:
            group.append(events[j])
            j += 1
        for _, i, n in group:
            old = R[n]
            sign = -(1 - alpha) if act[n, i] else (1 - alpha)
            new = [u + sign * v for u, v in zip(old, contrib(n, i), strict=True)]
            Q = [q - u + v for q, u, v in zip(Q, _sq(old), _sq(new), strict=True)]
            R[n] = new
            act[n, i] = not act[n, i]
            # Slope jump of r_n^2/(2N) at t: r_n(t) * (jump of r_n') / N with r_n continuous.
            rn = old[0] + old[1] * t + old[2] * t * t
            amp = a0[i] + a1[i] * t
            kinks.append(Kink(t, i, n, (1 - alpha) * rn * amp * abs(Z1[n, i]) * 2 * inv2n))
        breaks.append(t)
        coeffs.append(piece(Q))
    if not exact:
        breaks = [float(b) for b in breaks]
    return Slice(params.parameterization,
                 "exact" if exact else "float", tuple(breaks), tuple(coeffs), tuple(kinks), d, lam)


@dataclass(frozen=True, eq=False)
class Plane:
    """L on a grid of theta_0 + t_1 d_1 + t_2 d_2, with the kink lines l0 + l1 t_1 + l2 t_2 = 0."""

    param: str
    t1: np.ndarray
    t2: np.ndarray
    values: np.ndarray  # shape (len(t2), len(t1))
    lines: np.ndarray   # shape (M, 3): coefficients (l0, l1, l2); unit/point in ``labels``
    labels: tuple[tuple[int, int], ...]


def plane_slice(params: Network | Spline, data: Dataset, d1: object, d2: object,
                t1: Sequence[float], t2: Sequence[float], *, weight_decay: object = 0) -> Plane:
    """Objective on a 2-D grid (float64, :func:`~symspline.evaluation.evaluate`: leaky slope from
    ``params``, plus the weight-decay penalty of ``weight_decay``) and the kink lines of the plane."""
    lam = float(weight_decay_value(weight_decay))
    p = params.as_float() if params.kind != "float" else params
    df = data.as_float()
    P = p.vector.shape[0]
    D1 = np.asarray(d1, dtype=np.float64).ravel()
    D2 = np.asarray(d2, dtype=np.float64).ravel()
    if D1.shape != (P,) or D2.shape != (P,):
        raise ParameterError(f"directions must have {P} entries")
    T1, T2 = np.asarray(t1, dtype=np.float64), np.asarray(t2, dtype=np.float64)
    theta0 = p.vector
    vals = np.empty((T2.size, T1.size))
    for a, u2 in enumerate(T2):
        for b, u1 in enumerate(T1):
            vals[a, b] = evaluate(p.with_vector(theta0 + u1 * D1 + u2 * D2), df,
                                  weight_decay=lam).loss
    _, _, Z0, Z1, _, _ = _lines(p, df, D1, False)
    _, _, _, Z2, _, _ = _lines(p, df, D2, False)
    lines, labels = [], []
    for n in range(df.n):
        for i in range(p.H):
            if Z1[n, i] != 0 or Z2[n, i] != 0:
                lines.append((Z0[n, i], Z1[n, i], Z2[n, i]))
                labels.append((i, n))
    return Plane(p.parameterization, T1, T2, vals,
                 np.array(lines, dtype=np.float64).reshape(-1, 3), tuple(labels))


# ---------------------------------------------------------------------- directions
def hessian_directions(params: Network | Spline, data: Dataset, k: int = 1, *,
                       which: str = "top", side: str | None = None, weight_decay: object = 0
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues and unit eigenvectors (columns) of the float Hessian of the objective
    (:func:`~symspline.evaluation.evaluate`, so leaky slopes and weight decay count) + ``eigh``.

    ``which="top"`` gives the ``k`` largest (descending), ``"bottom"`` the ``k`` smallest.
    Eigenvector signs are fixed so that the largest-magnitude entry is positive (reproducible).
    """
    if which not in ("top", "bottom"):
        raise InputError(f"which must be 'top' or 'bottom', got {which!r}")
    p = params.as_float() if params.kind != "float" else params
    lam = float(weight_decay_value(weight_decay))
    Hm = np.asarray(evaluate(p, data.as_float(), weight_decay=lam, side=side).hessian,
                    dtype=np.float64)
    evals, evecs = np.linalg.eigh(0.5 * (Hm + Hm.T))
    order = np.argsort(evals)[::-1] if which == "top" else np.argsort(evals)
    order = order[: max(1, int(k))]
    vecs = evecs[:, order]
    for j in range(vecs.shape[1]):
        m = int(np.argmax(np.abs(vecs[:, j])))
        if vecs[m, j] < 0:
            vecs[:, j] = -vecs[:, j]
    return evals[order], vecs


def random_direction(params: Network | Spline, rng: np.random.Generator, *,
                     normalize: str = "filter") -> np.ndarray:
    """A Gaussian direction, filter-normalized (Li et al. 2018) or scaled to unit norm.

    Filter normalization: network -- each hidden unit's incoming filter (w_i, b_i) is rescaled to
    the norm of (w_i, b_i), the output filter (v_1..v_H) to the norm of v, and the output bias
    direction is zero (biases of the output layer are not perturbed, as in Li et al.). Spline --
    each scalar group (beta_i), (mu_i) is rescaled to |beta_i|, |mu_i|; c is not perturbed.
    ``normalize="unit"`` returns d / ||d||.
    """
    p = params.as_float() if params.kind != "float" else params
    P = p.vector.shape[0]
    d = rng.standard_normal(P)
    if normalize == "unit":
        return d / np.linalg.norm(d)
    if normalize != "filter":
        raise InputError(f"normalize must be 'filter' or 'unit', got {normalize!r}")
    H = p.H
    out = np.zeros(P)
    if isinstance(p, Network):
        for i in range(H):
            idx = [i, H + i]
            th = np.array([p.w[i], p.b[i]])
            out[idx] = d[idx] / np.linalg.norm(d[idx]) * np.linalg.norm(th)
        vi = slice(2 * H, 3 * H)
        out[vi] = d[vi] / np.linalg.norm(d[vi]) * np.linalg.norm(p.v)
    else:
        th = p.vector
        out[: 2 * H] = np.sign(d[: 2 * H]) * np.abs(th[: 2 * H])
    return out


def compare_parameterizations(params: Network | Spline, data: Dataset,
                              balances: Sequence[float] = (-1.0, 0.0, 1.0), *,
                              weight_decay: object = 0) -> dict[str, Slice]:
    """Slices through the same function along the top Hessian eigenvector of each parameterization.

    Returns ``{"spline": slice, "network d=...": slice, ...}``: the function at t = 0 is the same,
    the pictures are not (the network Hessian depends on the representative of the scale orbit).
    With ``weight_decay`` > 0 the objective includes (lambda/2)||theta||^2, which differs between
    representatives; the spline slice is left out then (its penalty is not polynomial in t).
    """
    lam = weight_decay_value(weight_decay)
    spline = params.to_spline()
    out = {}
    if lam == 0:
        _, v = hessian_directions(spline, data, 1)
        out["spline"] = line_slice(spline.as_float(), data.as_float(), v[:, 0])
    for dlt in balances:
        net = spline.as_float().to_network(balance=float(dlt))
        _, v = hessian_directions(net, data, 1, weight_decay=lam)
        out[f"network d={dlt:g}"] = line_slice(net, data.as_float(), v[:, 0],
                                               weight_decay=float(lam))
    return out
