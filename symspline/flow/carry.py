"""Runge-Kutta steps that carry simple breakpoint crossings through, with an error-controlled jump
correction: the fast path of :func:`symspline.flow.integrate.integrate`.

When a breakpoint crosses sample m at time t_k and the flow on the far side points on, the field
jumps, but only in the crossing unit's own rates: sample m joins (or leaves) its active sums, so
its coordinates' rates change by D_k = +-unit_velocity(r_m, r_m x_m); every other rate changes
continuously, through the residual r_m, which the unit's contribution v_i h_i(x_m) (zero at t_k)
moves. A step of the smooth field of the starting pattern, y_hat, is therefore corrected by

    y(t) = y_hat(t) + sum_k int_{t_k}^t [F_{P(s)} - F_{P_0}](y(s)) ds,

which is (t - t_k) D_k to first order (``rect``). The trapezoid rule on the same integrals, with the
direct jumps and the coupling through r_m re-evaluated at the corrected end state, is second order;
their difference is the error estimate of the correction, added to the Runge-Kutta one: a step
whose combined error exceeds the tolerance is rejected and retried shorter, exactly like a step
with too large a truncation error. Crossings are located per unit on the step's interpolant plus
the unit's own correction, so a unit may cross several samples in one step.

A capture (both sides push the breakpoint onto the sample) is carried the same way: from t_k
on the unit's sums count sample m with the Filippov weight lam instead of 0 or 1, so its rates
jump by (lam - weight) times the crossing's jump, and at the end of the step it is put exactly on
its wall. A release needs no correction at all: the held unit's weight lam reaches 0 or 1 there,
so the field is continuous, and the clipped weight of the starting pattern already is the field of
the released unit (the integration loop releases it at the end of the step instead of putting it
back on its wall).

Everything else stops the step at its time and is handled exactly there: a flip of a held unit,
and any event whose classification differs between the two ends of the step (ambiguous).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.integrate import RK23, RK45

from .vector_field import FlowPattern, System, filippov_weight, interval_pairs, move_point


@dataclass(frozen=True)
class Tableau:
    """An explicit embedded Runge-Kutta pair with its dense output (SciPy's coefficients)."""

    a: np.ndarray
    b: np.ndarray
    c: np.ndarray
    e: np.ndarray
    p: np.ndarray
    order: int  # of the error estimator

    @classmethod
    def of(cls, method: str) -> Tableau:
        k = {"RK23": RK23, "RK45": RK45}[method]
        return cls(k.A, k.B, k.C, k.E, k.P, k.error_estimator_order)

    def step(self, f: Callable[[np.ndarray], np.ndarray], y: np.ndarray, fy: np.ndarray,
             h: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, Dense]:
        """One step of size h: (y_new, f(y_new), error estimate, interpolant)."""
        s = self.b.size
        k = np.empty((s + 1, y.size))
        k[0] = fy
        for j in range(1, s):
            k[j] = f(y + h * (self.a[j, :j] @ k[:j]))
        y_new = y + h * (self.b @ k[:s])
        k[s] = f(y_new)
        return y_new, k[s], h * (self.e @ k), Dense(y, h, k.T @ self.p)


@dataclass
class Chebyshev:
    """The second-order Runge-Kutta-Chebyshev method (Sommeijer, Shampine and Verwer 1997,
    damping 2/13) for stiff gradient flows: s stages keep it stable on [-0.65 s^2 / h, 0], so a
    step costs about sqrt(h rho) field evaluations instead of the h rho of an explicit pair
    (rho: the spectral radius of the field's Jacobian, here the top Hessian eigenvalue, estimated
    by a power iteration on field differences and refreshed every ``refresh`` steps). Its error
    estimate is 0.8 (y0 - y1) + 0.4 h (f0 + f1); its interpolant is the cubic Hermite one."""

    order: int = 2
    rho: float = 0.0
    age: int = 0
    refresh: int = 25

    def spectral_radius(self, f: Callable[[np.ndarray], np.ndarray], y: np.ndarray,
                        fy: np.ndarray) -> float:
        scale = float(np.linalg.norm(y))
        eps = np.sqrt(np.finfo(float).eps) * max(scale, 1.0)
        v = fy if np.any(fy) else np.ones_like(y)
        rho = 0.0
        for _ in range(30):
            z = y + eps * v / np.linalg.norm(v)
            v = f(z) - fy
            nv = float(np.linalg.norm(v))
            if nv == 0.0:
                return rho
            new = nv / eps
            if abs(new - rho) <= 0.01 * new:
                return 1.2 * new
            rho = new
        return 1.2 * rho

    def step(self, f: Callable[[np.ndarray], np.ndarray], y: np.ndarray, fy: np.ndarray,
             h: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, Dense]:
        if self.age % self.refresh == 0:
            self.rho = self.spectral_radius(f, y, fy)
        self.age += 1
        s = max(2, 1 + int(np.sqrt(1.0 + 1.54 * h * self.rho)))
        w0 = 1.0 + (2.0 / 13.0) / (s * s)
        t = np.zeros(s + 1)
        dt = np.zeros(s + 1)
        ddt = np.zeros(s + 1)
        t[0], t[1], dt[1] = 1.0, w0, 1.0
        for j in range(2, s + 1):
            t[j] = 2.0 * w0 * t[j - 1] - t[j - 2]
            dt[j] = 2.0 * t[j - 1] + 2.0 * w0 * dt[j - 1] - dt[j - 2]
            ddt[j] = 4.0 * dt[j - 1] + 2.0 * w0 * ddt[j - 1] - ddt[j - 2]
        w1 = dt[s] / ddt[s]
        b = np.empty(s + 1)
        b[2:] = ddt[2:] / dt[2:] ** 2
        b[0] = b[1] = b[2]
        # the stages as increments Y_j - y: a coordinate with zero rate stays exactly put (the
        # textbook form (1 - mu - nu) y + mu Y_{j-1} + nu Y_{j-2} moves it by rounding, which
        # makes a unit resting on a sample flicker across it)
        d_prev2, d_prev = np.zeros_like(y), (b[1] * w1) * h * fy
        for j in range(2, s + 1):
            mu, nu = 2.0 * b[j] * w0 / b[j - 1], -b[j] / b[j - 2]
            mut = 2.0 * b[j] * w1 / b[j - 1]
            gam = -(1.0 - b[j - 1] * t[j - 1]) * mut
            d_j = mu * d_prev + nu * d_prev2 + (mut * h) * f(y + d_prev) + (gam * h) * fy
            d_prev2, d_prev = d_prev, d_j
        y1 = y + d_prev
        f1 = f(y1)
        err = -0.8 * d_prev + 0.4 * h * (fy + f1)
        delta = d_prev / h
        q = np.stack([fy, 3.0 * delta - 2.0 * fy - f1, fy + f1 - 2.0 * delta], axis=1)
        return y1, f1, err, Dense(y, h, q)


@dataclass(frozen=True)
class Dense:
    """The step's interpolant y0 + h sum_j q_j theta^(j+1), theta in [0, 1]."""

    y0: np.ndarray
    h: float
    q: np.ndarray  # (n, p)

    def __call__(self, theta: float) -> np.ndarray:
        return self.y0 + self.h * (self.q @ theta ** np.arange(1, self.q.shape[1] + 1))

    def coefficients(self, idx: np.ndarray) -> np.ndarray:
        """Polynomial coefficients in theta (idx.shape + (p + 1,)) of the coordinates idx."""
        return np.concatenate([self.y0[idx][..., None], self.h * self.q[idx]], axis=-1)


def _horner(coef: np.ndarray, th: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Values and derivatives of polynomials coef (k, p + 1) at th (k, ...)."""
    extra = (slice(None),) + (None,) * (th.ndim - 1)
    val = np.zeros_like(th)
    der = np.zeros_like(th)
    for j in range(coef.shape[1] - 1, -1, -1):
        der = der * th + val
        val = val * th + coef[:, j][extra]
    return val, der


def first_roots(coef: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """For each polynomial, the first theta in (lo, hi] where it turns negative (NaN if none).

    The polynomials are sampled on 32 cells; in the first cell with a negative value the root is
    polished by Newton steps safeguarded by bisection (quadratic convergence, 8 iterations). As
    with any sampled event location, a dip below zero and back within one cell is not seen.
    """
    u = np.linspace(0.0, 1.0, 33)[1:]
    th = lo[:, None] + (hi - lo)[:, None] * u
    vals, _ = _horner(coef, th)
    neg = vals < 0.0
    found = neg.any(axis=1)
    out = np.full(lo.shape, np.nan)
    if not found.any():
        return out
    rows = np.flatnonzero(found)
    first = np.argmax(neg[rows], axis=1)
    b = th[rows, first]
    a = np.where(first > 0, th[rows, np.maximum(first - 1, 0)], lo[rows])
    c = coef[rows]
    fa, _ = _horner(c, a)
    fb = vals[rows, first]
    with np.errstate(divide="ignore", invalid="ignore"):
        x = np.where(fa > fb, a + (b - a) * fa / (fa - fb), 0.5 * (a + b))
        for _ in range(8):
            fx, dx = _horner(c, x)
            negx = fx <= 0.0  # (an exact zero is the root)
            b = np.where(negx, x, b)
            a = np.where(negx, a, x)
            nx = x - fx / dx
            x = np.where((nx >= a) & (nx <= b), nx, 0.5 * (a + b))
    out[rows] = np.clip(x, a, b)
    return out


@dataclass(frozen=True)
class Carried:
    """What a step with crossings amounts to: stop at ``theta`` (1 unless cut), the carried events
    (unit, sample, code, theta) with code +1 a crossing in, -1 a crossing out, 0 a capture, the
    corrected state and pattern, the correction's error estimate, and the event that cut the
    step (or None): ("wall", unit, sample, sign) or ("release", unit, active)."""

    theta: float
    events: list[tuple[int, int, int, float]]
    y: np.ndarray
    pattern: FlowPattern
    error: np.ndarray
    cut: tuple | None

    def state_at(self, dense: Dense, theta: float, system: System,
                 jumps: np.ndarray) -> np.ndarray:
        """The first-order corrected state at ``theta`` <= self.theta (for outputs)."""
        y = dense(theta)
        for (i, _, _, tk), d in zip(self.events, jumps, strict=True):
            if tk < theta:
                y[system.unit_index(np.array([i]))[:, 0]] += dense.h * (theta - tk) * d
        return y


def carry(system: System, pat: FlowPattern, pairs: tuple, dense: Dense, y1: np.ndarray,
          hit: np.ndarray, release: tuple[float, int, bool] | None = None,
          offset: np.ndarray | None = None) -> tuple[Carried, np.ndarray]:
    """Carry the crossings and captures of one accepted step (``hit``: indices of ``pairs`` that
    changed sign between y0 and y1) up to the step's end or to ``release`` = (theta, unit,
    active), a release that must be taken exactly. Returns the outcome and the direct jumps D_k (rows, per
    carried event). ``offset`` holds the segment's offsets of ``pairs``
    (pairs that start on their wall), so that they are not met again at theta = 0.

    A capture changes the weight of sample m in unit i's sums from 0 (arriving from the inactive
    side) or 1 to the Filippov lam = -S_- / (r_m (1 + x_m^2)); its jump is (lam - weight) times
    the crossing's, and the held unit's own contribution at x_m stays 0.
    """
    x = system.x
    n = x.shape[0]
    h = dense.h
    y0 = dense.y0
    r0, r1 = system.residuals(y0, pat), system.residuals(y1, pat)
    pr0, pr1 = system._prefixes(r0), system._prefixes(r1)
    if system.noise_rel or system.noise_abs:
        eps0, eps1 = system.residual_noise(y0, pat), system.residual_noise(y1, pat)
    else:
        eps0 = eps1 = np.zeros(n)
    lo, hi = pat.lo.copy(), pat.hi.copy()
    H = system.H
    d_unit = system.unit_index(np.zeros(1, dtype=np.intp)).shape[0]
    corr0 = np.zeros((d_unit, H))
    corr1 = np.zeros((d_unit, H))
    start = np.zeros(H)
    theta_cut, cut = (1.0, None) if release is None else (release[0], ("release",) + release[1:])
    found: list[tuple[int, int, int, float, float]] = []  # (..., weight before)
    jumps: list[np.ndarray] = []
    units = np.unique(pairs[0][hit])
    shift: dict[tuple[int, int], float] = {}
    if offset is not None:
        for j in np.flatnonzero(offset):
            shift[(int(pairs[0][j]), int(pairs[1][j]))] = float(offset[j])
    while units.size:
        pu, pm, ps = interval_pairs(lo, hi, units, n)
        if pat.captured:
            keep = np.array([pat.captured.get(int(u), -1) != m
                             for u, m in zip(pu, pm, strict=True)], dtype=bool)
            pu, pm, ps = pu[keep], pm[keep], ps[keep]
        uidx = system.unit_index(pu)
        coef = dense.coefficients(uidx)  # (d, k, p + 1)
        coef[:, :, 0] += corr0[:, pu]
        coef[:, :, 1] += corr1[:, pu]
        wall = system.wall_index(pu).shape[0]
        a0, g0 = system.wall_from(pu, coef[:wall, :, 0])
        z = np.zeros_like(coef[:wall, :, 1:])
        az, gz = system.wall_from(pu, z)
        a1, g1 = system.wall_from(pu, coef[:wall, :, 1:])
        xm = x[pm]
        poly = np.concatenate([(ps * (a0 * xm + g0))[:, None],
                               ps[:, None] * ((a1 - az) * xm[:, None] + (g1 - gz))], axis=1)
        if shift:
            poly[:, 0] += [shift.get((int(u), int(m)), 0.0) for u, m in zip(pu, pm, strict=True)]
        roots = first_roots(poly, start[pu], np.full(pu.size, theta_cut))
        ok = np.isfinite(roots)
        if not ok.any():
            break
        pu, pm, ps, roots, uidx, coef = pu[ok], pm[ok], ps[ok], roots[ok], uidx[:, ok], coef[:, ok]
        # the earliest pair of each unit
        order = np.lexsort((roots, pu))
        firsts = order[np.r_[True, pu[order][1:] != pu[order][:-1]]]
        pu, pm, ps, th = pu[firsts], pm[firsts], ps[firsts], roots[firsts]
        powers = th[:, None] ** np.arange(coef.shape[2])
        comp = np.einsum("dkj,kj->dk", coef[:, firsts], powers)
        mu = system.unit_mu(pu, comp)
        xm = x[pm]
        leaving = ps > 0
        ulo, uhi = lo[pu], hi[pu]
        vm, vp, sm = [], [], []  # one-sided normal velocities (signs) at both ends, and S_-
        nm, np_ = [], []  # their uncertainties (System.residual_noise; zero without noise)
        for pr, r, eps in ((pr0, r0, eps0), (pr1, r1, eps1)):
            s_minus = system.set_sums(pr, ulo, uhi, xm)  # gained sums (leaky ReLU)
            jump = system.gain * r[pm] * (1.0 + xm * xm)
            s_minus = np.where(leaving, s_minus - jump, s_minus)
            sm.append(s_minus)
            vm.append(-mu * s_minus)
            vp.append(-mu * (s_minus + jump))
            sig, sig_jump = system.sum_noise(eps, ulo, uhi, pm)  # (over-estimated when leaving)
            nm.append(np.abs(mu) * sig)
            np_.append(np.abs(mu) * (sig + sig_jump))
        # carried only when the decision is the same at both ends of the step: crossing when
        # the far side clearly (beyond its uncertainty) passes the breakpoint on, capture when
        # neither side clearly carries it away from x_m (as at_pair; a unit leaving its only
        # sample has S_- = 0: a capture with lam = 0)
        last = leaving & (uhi - ulo == 1)
        ends = [(np.where(leaving, vm[k] < -nm[k], vp[k] > np_[k]) & ~last,  # crosses
                 np.where(leaving, vp[k] < np_[k], vm[k] > -nm[k])) for k in (0, 1)]  # held
        cross = ends[0][0] & ends[1][0]
        capture = ~ends[0][0] & ends[0][1] & ~ends[1][0] & ends[1][1]
        held = np.array([int(u) in pat.captured for u in pu], dtype=bool)
        simple = ~held & (cross | capture)
        if (~simple).any():
            j = int(np.flatnonzero(~simple)[np.argmin(th[~simple])])
            if th[j] < theta_cut:
                theta_cut, cut = float(th[j]), ("wall", int(pu[j]), int(pm[j]), float(ps[j]))
        keep = simple & (th < theta_cut)
        if not keep.any():
            break
        pu, pm, th, comp = pu[keep], pm[keep], th[keep], comp[:, keep]
        leaving, cross = leaving[keep], cross[keep]
        rm = (1.0 - th) * r0[pm] + th * r1[pm]
        before = leaving.astype(float)  # weight of sample m in the unit's sums before
        lam = filippov_weight((1.0 - th) * sm[0][keep] + th * sm[1][keep],
                              system.gain * rm * (1.0 + x[pm] ** 2))
        after = np.where(cross, 1.0 - before, lam)
        # (sample m's weight in the gained sums changes by (1 - alpha) (after - before))
        d = (system.gain * (after - before)) * system.unit_velocity(pu, comp, rm, rm * x[pm])
        corr0[:, pu] -= h * th * d
        corr1[:, pu] += h * d
        start[pu] = th
        code = np.where(cross, np.where(leaving, -1, 1), 0)
        for j in range(pu.size):
            i, m = int(pu[j]), int(pm[j])
            found.append((i, m, int(code[j]), float(th[j]), float(before[j])))
            jumps.append(d[:, j])
            if code[j] != 0 or before[j] == 1.0:
                move_point(lo, hi, i, m, code[j] > 0)
        units = pu[cross]  # a captured unit is held: no further walls in this step
    # keep what happens before the cut, in time order; rebuild the intervals from the start
    sel = sorted((k for k, e in enumerate(found) if e[3] < theta_cut), key=lambda k: found[k][3])
    kept = [found[k] for k in sel]
    D = np.array([jumps[k] for k in sel]).reshape(len(sel), d_unit)
    lo, hi = pat.lo.copy(), pat.hi.copy()
    held = dict(pat.captured)
    for i, m, code, _, before in kept:
        if code != 0 or before == 1.0:
            move_point(lo, hi, i, m, code > 0)
        if code == 0:
            held[i] = m
    stop = FlowPattern.from_intervals(lo, hi, n, held)
    y_rect = dense(theta_cut)
    events = [e[:4] for e in kept]
    if not kept:
        return Carried(theta_cut, [], y_rect, stop, np.zeros_like(y_rect), cut), D
    cu = np.array([e[0] for e in kept], dtype=np.intp)
    cm = np.array([e[1] for e in kept], dtype=np.intp)
    code = np.array([e[2] for e in kept])
    before = np.array([e[4] for e in kept])
    tau = h * (theta_cut - np.array([e[3] for e in kept]))
    idx = system.unit_index(cu)
    np.add.at(y_rect, idx, tau * D.T)
    # trapezoid: the direct jumps and the coupling through r_m again at the corrected end
    rs = system.residuals(y_rect, stop)
    prs = system._prefixes(rs)
    comp = y_rect[idx]
    xm = x[cm]
    jump_m = system.gain * rs[cm] * (1.0 + xm * xm)
    s_minus = system.set_sums(prs, stop.lo[cu], stop.hi[cu], xm)
    lam = filippov_weight(s_minus, jump_m)
    after = np.where(code != 0, (code > 0).astype(float), lam)
    ds = (system.gain * (after - before)) * system.unit_velocity(cu, comp, rs[cm], rs[cm] * xm)
    a, g, _ = system.lines(y_rect)
    # change of unit i's term in f(x_m): (1 - alpha) times its line per unit of weight
    contribution = system.gain * np.where(code != 0, code, -before)
    delta = np.zeros(n)
    np.add.at(delta, cm, 0.5 * tau * contribution * (a[cu] * xm + g[cu]))
    pd = system._prefixes(delta)
    # (over the starting pattern's sets: the crossing unit's own sample is in its direct jump;
    # the loss part of the field only: the decay part does not depend on the residuals)
    coupling = system.field(y_rect, pd[0].take(pat.hi) - pd[0].take(pat.lo),
                            pd[1].take(pat.hi) - pd[1].take(pat.lo), float(pd[0, -1]),
                            float(pd[1, -1]), pat)
    error = coupling.copy()
    np.add.at(error, idx, 0.5 * tau * (ds - D.T))
    return Carried(theta_cut, events, y_rect + error, stop, error, cut), D
