"""Small problems: loss, gradient and Hessian in a handful of vectorized NumPy calls.

At (H, N) = (16, 200) the general kernels spend about 130 us per Hessian, almost all of it fixed
cost: a frozen dataclass per call, the segment layout (``np.unique``, bincounts, cumulative sums),
64-row chunks, ``np.add.at``; each NumPy call costs about 1 us whatever its size. A dense NumPy
Jacobian J^T J takes about 50 us there. This module computes the same quantities for small
problems with as few calls as possible:

* the residuals from the dense N x H pre-activations (N H <= :data:`MAX_WORK` numbers);
* the sums over active sets A_i (index intervals [lo_i, hi_i) of the sorted data, theory §0) of
  r and r x' from prefix sums of r and r x' taken at lo_i and hi_i;
* the Gauss-Newton matrix as C^T M C with BLAS: every column of J is a_p x' + g_p on the active
  set of one unit u_p (the constant c is a unit active everywhere), so with the (H+1) x (H+1)
  interval-intersection sums S_q[i, j] = sum_{A_i cap A_j} x'^q the matrix
  M = [[S_2, S_1], [S_1, S_0]] and the (2H+2) x P coefficient matrix C (one a_p and one g_p per
  column) give J^T J = C^T M C exactly. S_q comes from the cached prefix moments of the data set
  (:attr:`symspline.Dataset.shifted_prefix`): an intersection is [max lo, min hi), O(1) each.

With the leaky ReLU (``negative_slope`` = alpha > 0) the activations are sigma(z) = g z with the
gain g = 1 on the active set and alpha off it: the sums over active sets become gain-weighted
products, and C gets, for every unit column, (1 - alpha) times its coefficients on the unit's
interval plus alpha times them on the all-samples interval (that of c), so M is unchanged.

Every quantity equals the general kernels' (tests/test_perf_paths.py: rel 1e-12 against the exact
engine; tests/test_kernels_models.py for the leaky ReLU). The functions return None when the
problem is not small, when some w_i = 0, or when a breakpoint sits on a sample (a kink): the
general path then answers, raising or taking a side exactly as before.
"""

from __future__ import annotations

import numpy as np

from ..data import Dataset
from ..params import Network, Spline

#: Largest H for the small path. C^T M C costs O(P H^2) flops: at H = 32 it still beat the
#: general path (benchmarks/bench_end_to_end.py measures the crossover); beyond, the general
#: kernel's O(H^2) fill wins.
MAX_H = 32
#: Largest N H for the dense pre-activations (the general sweep is O(N + H log H)).
MAX_WORK = 1 << 15
#: Up to this many Jacobian entries N P the Gauss-Newton matrix is J^T J itself (one BLAS call
#: beats the moment route's dozen small calls).
TINY_WORK = 1 << 10


def _float_inputs(params: object, data: object, side: object
                  ) -> tuple[Network | Spline, Dataset] | None:
    # Only float parameters on an unambiguous pattern; everything else (including every input
    # error, which the general path reports) goes the general way.
    if side is not None or type(data) is not Dataset:
        return None
    tp = type(params)
    if tp is not Network and tp is not Spline:
        return None
    if params.kind != "float":
        if params.kind != "exact":
            return None
        params = params.as_float()  # as the general path does, so both give the same floats
    H = params.beta.shape[0] if tp is Spline else params.w.shape[0]
    if H > MAX_H or H * data.x.shape[0] > MAX_WORK:
        return None
    if data.kind != "float":
        if data.kind != "exact":
            return None
        data = data.as_float()  # cached on the data set
    return params, data


def _setup(params: Network | Spline, data: Dataset) -> tuple | None:
    """Activations and residuals on the current pattern in nine vectorized calls.

    Returns ``(z, r, g)``: the activations z[n, i] = sigma(w_i x_n + b_i) (network) or
    sigma(s_i (x_n - beta_i)) (spline), N x H, the residuals r, and the gains g[n, i] (1 on the
    active set, alpha off it) for the leaky ReLU, None for the ReLU (whose gains are sign(z)).
    None on a kink or a network unit with w_i = 0.

    Activity is decided by the sign of x_n - beta_i, which floating-point subtraction gets
    exactly right (it is zero only when x_n = beta_i), so the active sets are those of
    :func:`symspline.locate` and of the general kernels, not the rounded sign of w_i x_n + b_i;
    multiplying by w_i (network) or s_i keeps that sign.
    """
    if type(params) is Network:
        w = params.w
        if np.count_nonzero(w) != w.shape[0]:  # count_nonzero: 0.2 us, ndarray.all: 0.9 us
            return None
        # x - beta with beta = -b / w: sign exact (broadcasting: 0.1 us less than ufunc.outer)
        z = data.x[:, None] + params.b / w
        if np.count_nonzero(z) != z.size:
            return None  # x_n = beta_i: a kink, answered (raised or one-sided) by the general path
        z *= w  # w (x - beta) = w x + b up to rounding, same sign as s (x - beta)
        out = params.v
    else:
        z = data.x[:, None] - params.beta
        if np.count_nonzero(z) != z.size:
            return None
        z *= np.asarray(params.s, dtype=np.float64)
        out = params.mu
    alpha = params.negative_slope
    if alpha:
        g = np.where(z > 0, 1.0, alpha)  # the pattern's gains: sigma(z) = g z
        z *= g
    else:
        g = None
        np.maximum(z, 0.0, out=z)
    r = z @ out
    r += params.c
    r -= data.y
    return z, r, g


def _prepared(params: object, data: object, side: object) -> tuple | None:
    """(params, data, z, r, gains) ready for the small path, or None when it does not apply."""
    got = _float_inputs(params, data, side)
    if got is None:
        return None
    st = _setup(*got)
    return None if st is None else (*got, *st)


def loss(params: object, data: object) -> float | None:
    """L = r.r / (2N), or None when the small path does not apply."""
    got = _float_inputs(params, data, None)
    if got is None:
        return None
    p, d = got
    x = d.x
    if type(p) is Network:
        # The loss is continuous across patterns, so the plain ReLU form is exact here.
        z = x[:, None] * p.w
        z += p.b
        _activate(z, p.negative_slope)
        r = z @ p.v
    else:
        z = x[:, None] - p.beta
        z *= np.asarray(p.s, dtype=np.float64)
        _activate(z, p.negative_slope)
        r = z @ p.mu
    r += p.c
    r -= d.y
    return float(r @ r) / (2 * x.shape[0])


def _activate(z: np.ndarray, alpha: float) -> None:
    """In place: z -> sigma(z) = max(z, alpha z), the (leaky) ReLU."""
    np.maximum(z, alpha * z if alpha else 0.0, out=z)


def gradient(params: object, data: object, side: object = None) -> np.ndarray | None:
    """grad L = J^T r / N, or None when the small path does not apply."""
    got = _prepared(params, data, side)
    if got is None:
        return None
    p, d, z, r, g = got
    n, H = z.shape
    # (sum_n g_i(n) r x, sum_n g_i(n) r) in one product with the cached columns [x, 1]
    sums = (d.x_one * r) @ (np.sign(z) if g is None else g)
    if type(p) is Network:
        # dL/dw = v sum r x, dL/db = v sum r, dL/dv = sum r [w x + b]_+ = r @ z
        out = np.empty(3 * H + 1)
        np.multiply(sums, p.v, out=out[:2 * H].reshape(2, H))
    else:
        # dL/dbeta = -s mu sum r, dL/dmu = sum r [s (x - beta)]_+ = r @ z
        out = np.empty(2 * H + 1)
        np.multiply(sums[1], np.asarray(p.s) * -p.mu, out=out[:H])
    np.matmul(r, z, out=out[-H - 1:-1])
    out[-1] = r.sum()
    out += 0.0  # -0.0 of dead units -> +0.0, as the general path
    out /= n
    return out


#: Per (H, kind): flat positions in C (shape (2H+2, P)) of the coefficients, built once.
_C_INDEX: dict[tuple[int, bool], np.ndarray] = {}
#: Per (H, kind): flat positions of the residual-curvature entries, both triangles.
_R_INDEX: dict[tuple[int, bool], np.ndarray] = {}


def _indices(H: int, network: bool) -> tuple[np.ndarray, np.ndarray]:
    key = (H, network)
    if key not in _C_INDEX:
        H1 = H + 1
        i = np.arange(H)
        if network:
            P = 3 * H + 1
            rows = [i, H1 + i, H1 + i, i, H1 + i]
            cols = [i, i, H + i, 2 * H + i, 2 * H + i]
            rr, rc = np.concatenate((i, H + i)), np.concatenate((2 * H + i, 2 * H + i))
        else:
            P = 2 * H + 1
            rows = [H1 + i, i, H1 + i]
            cols = [i, H + i, H + i]
            rr, rc = i, H + i
        _C_INDEX[key] = (np.concatenate(rows + [[2 * H1 - 1]]) * P
                         + np.concatenate(cols + [[P - 1]]))
        _R_INDEX[key] = np.concatenate((rr * P + rc, rc * P + rr))
    return _C_INDEX[key], _R_INDEX[key]


def hessian(params: object, data: object, parts: bool = False, side: object = None
            ) -> np.ndarray | tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(J^T J + R) / N (or its parts), or None when the small path does not apply."""
    got = _prepared(params, data, side)
    if got is None:
        return None
    p, d, z, r, g = got
    n, H = z.shape
    network = type(p) is Network
    P = 3 * H + 1 if network else 2 * H + 1
    act = np.sign(z) if g is None else g  # the gains: 1 on the active set, alpha (or 0) off it
    x = d.x
    if n * P <= TINY_WORK:
        # Few samples: J itself (N x P) and one BLAS product; no moment combinations, so no
        # cancellation either.
        J = np.empty((n, P))
        if network:
            np.multiply(act, p.v, out=J[:, H:2 * H])
            np.multiply(J[:, H:2 * H], x[:, None], out=J[:, :H])
        else:
            np.multiply(act, np.asarray(p.s) * -p.mu, out=J[:, :H])
        J[:, -H - 1:-1] = z
        J[:, -1] = 1.0
        gn = J.T @ J
    else:
        gn = _gauss_newton(p, d, network)
    # Residual curvature: R[w_i, v_i] = sum_n g_i r x, R[b_i, v_i] = sum_n g_i r (network);
    # R[beta_i, mu_i] = -s_i sum_n g_i r (spline).
    _, ridx = _indices(H, network)
    sums = (d.x_one * r) @ act  # (sum_{A_i} r x, sum_{A_i} r)
    if network:
        vals = np.concatenate((sums.ravel(), sums.ravel()))
    else:
        vals = sums[1] * -np.asarray(p.s, dtype=np.float64)
        vals = np.concatenate((vals, vals))
    if not parts:
        gn.ravel()[ridx] += vals
        gn *= 1.0 / n
        return gn
    gn *= 1.0 / n
    res = np.zeros_like(gn)
    res.ravel()[ridx] = vals / n
    return gn + res, gn, res


def _gauss_newton(p: Network | Spline, d: Dataset, network: bool) -> np.ndarray:
    """J^T J = C^T M C from interval-intersection moments, O(H^2) after the cached prefix sums."""
    x = d.x
    n = x.shape[0]
    t = x[0]
    if network:
        beta = -p.b / p.w
        s = np.sign(p.w)
    else:
        beta = p.beta
        s = np.asarray(p.s, dtype=np.float64)
    H = beta.shape[0]
    H1 = H + 1
    k = np.searchsorted(x, beta)
    up = s > 0
    lo = np.zeros(H1, dtype=np.intp)
    hi = np.full(H1, n, dtype=np.intp)
    np.multiply(k, up, out=lo[:H])
    hi[:H] = np.where(up, n, k)
    # Intersections of the H + 1 active intervals: [max lo, min hi), empty when max lo >= min hi.
    LO = np.maximum(lo[:, None], lo)
    HI = np.minimum(hi[:, None], hi)
    np.maximum(HI, LO, out=HI)
    Q = d.shifted_prefix
    M = np.empty((2 * H1, 2 * H1))
    np.subtract(Q[2].take(HI), Q[2].take(LO), out=M[:H1, :H1])
    np.subtract(Q[1].take(HI), Q[1].take(LO), out=M[:H1, H1:])
    M[H1:, :H1] = M[:H1, H1:]
    np.subtract(HI, LO, out=M[H1:, H1:])
    # Coefficients (a_p, g_p) of every column of J, a_p x' + g_p on the active set of its unit.
    if network:
        P = 3 * H + 1
        v = p.v
        vals = np.concatenate((v, v * t, v, p.w, p.b + p.w * t, [1.0]))
    else:
        P = 2 * H + 1
        vals = np.concatenate((-s * p.mu, s, s * (t - beta), [1.0]))
    C = np.zeros((2 * H1, P))
    idx = _indices(H, network)[0]
    alpha = p.negative_slope
    if alpha:
        # Leaky gain g = (1 - alpha) 1_A + alpha: every unit column is (1 - alpha) times itself on
        # its active set plus alpha times itself on all samples (the rows of "unit" H, the
        # interval of c), so M stays the plain interval moments.
        full = _full_rows(H, network)
        C.put(full, alpha * vals[:-1])
        vals = vals * np.concatenate((np.full(vals.shape[0] - 1, 1.0 - alpha), [1.0]))
    C.put(idx, vals)
    return C.T @ (M @ C)


#: Per (H, kind): flat positions in C of the all-samples rows of every unit column (leaky gains).
_FULL_INDEX: dict[tuple[int, bool], np.ndarray] = {}


def _full_rows(H: int, network: bool) -> np.ndarray:
    key = (H, network)
    if key not in _FULL_INDEX:
        idx = _indices(H, network)[0][:-1]  # every coefficient but c's
        P = 3 * H + 1 if network else 2 * H + 1
        rows, cols = np.divmod(idx, P)
        H1 = H + 1
        _FULL_INDEX[key] = ((rows // H1) * H1 + H) * P + cols
    return _FULL_INDEX[key]
