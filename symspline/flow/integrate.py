"""Event-driven integration of gradient flow: smooth inside a pattern, exact at its walls.

``solve_ivp`` integrates the polynomial field of one fixed pattern (so it never sees a
discontinuity) with two terminal events: a *wall* event, the minimum over units of the signed
distance h_i(x_m) of the breakpoint to the samples bounding its gap (O(H) per call), and a
*release* event, the minimum over captured units of the two sliding margins. At a wall the
one-sided normal velocities decide (theory §5.4): both pointing at the sample -> capture (the unit
slides on h_i(x_m) = 0 with the Filippov combination); otherwise the breakpoint crosses into the
neighbouring pattern. A release leaves the sample on the side whose velocity stopped pointing at it.
This is why the integrator never grinds at a capture, unlike a plain adaptive Runge-Kutta run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy.integrate import BDF, DOP853, LSODA, RK23, RK45, DenseOutput, Radau
from scipy.optimize import brentq

from ..data import Dataset
from ..errors import InputError, IntegrationError, ParameterError
from ..params import Network, Spline
from .carry import Carried, Chebyshev, Dense, Tableau, carry
from .vector_field import FlowPattern, NetworkSystem, QuotientSystem, System, pattern_from_lines

#: Normalized sliding margin below which a captured unit is released (see ``release``).
RELEASE_TOL = 1e-9
#: The state is taken to be within NOISE * (rtol |y| + atol) of the exact trajectory when deciding
#: events (see ``System.residual_noise``).
NOISE = 1.0
#: Hard cap on pattern changes: far beyond any real run, it turns a Zeno-like cascade into an error.
MAX_EVENTS = 200_000
#: Events in a row at one time before the carrying loop gives up (a safety net, never seen).
MAX_STALL = 10_000
#: A step whose carried correction is too inaccurate is redone shorter, or taken up to its first
#: crossing (exactly) when that advances at least this fraction of the shorter step: measured on
#: a few-crossings problem (60 units, 30 points: 4,065 field evaluations against 5,585 when always
#: shortening) and on the benchmark's crowded start (unchanged, 7,343 against 10,745 when always
#: cutting).
FIRST_CUT = 0.3


@dataclass(frozen=True)
class Event:
    """A crossing, capture or release: unit and sample are 0-based, ``x`` the sample's value."""

    kind: str  # "cross", "capture", "release", "flip" (held unit's w passes 0)
    t: float
    unit: int
    point: int
    x: float
    direction: str  # "in" (sample became active), "out" (inactive), or "hold"

    def as_dict(self) -> dict:
        return {"kind": self.kind, "t": self.t, "unit": self.unit + 1, "point": self.point + 1,
                "x": self.x, "direction": self.direction}


@dataclass(frozen=True)
class FlowResult:
    """A trajectory: states at ``t`` (rows of ``y``), the events, and how to read a state.

    ``param`` is "network" (rows are (w, b, v, c)) or "spline" (rows are (beta, mu, c) with fixed
    orientations ``s`` and initial balances ``balance``). ``rhs_evals`` counts field evaluations.
    ``negative_slope`` is the activation's alpha (0: ReLU) and ``weight_decay`` the lambda of the
    objective L + (lambda/2) ||theta||^2; with lambda > 0 the balances decay,
    delta_i(t) = delta_i(0) exp(-2 lambda t) (:meth:`balance_at`).
    """

    param: str
    t: np.ndarray
    y: np.ndarray
    events: tuple[Event, ...]
    s: tuple[int, ...]
    balance: np.ndarray
    rhs_evals: int
    captured_final: dict[int, int]
    negative_slope: float = 0.0
    weight_decay: float = 0.0

    def params_at(self, k: int = -1) -> Network | Spline:
        """The parameters of row ``k`` (a Network or a Spline, as integrated, with its
        activation)."""
        row = self.y[k]
        H = len(self.s)
        if self.param == "network":
            return Network.from_vector(row, H, negative_slope=self.negative_slope)
        return Spline.from_vector(row[:2 * H + 1], self.s, negative_slope=self.negative_slope)

    def balance_at(self, k: int = -1) -> np.ndarray:
        """delta_i at row ``k``: read off the network state, or delta_i(0) exp(-2 lambda t_k)
        for the quotient flow (the law it integrates with)."""
        if self.param == "network":
            return np.asarray(self.params_at(k).balance, dtype=float)
        return self.balance * np.exp(-2.0 * self.weight_decay * float(self.t[k]))

    def spline_at(self, k: int = -1) -> Spline:
        p = self.params_at(k)
        return p if isinstance(p, Spline) else p.to_spline()

    def network_at(self, k: int = -1) -> Network:
        from .quotient import to_network

        p = self.params_at(k)
        return p if isinstance(p, Network) else to_network(p, self.balance_at(k))

    @property
    def crossings(self) -> list[Event]:
        return [e for e in self.events if e.kind == "cross"]

    @property
    def captures(self) -> list[Event]:
        return [e for e in self.events if e.kind == "capture"]


_SOLVERS = {"RK23": RK23, "RK45": RK45, "DOP853": DOP853, "Radau": Radau, "BDF": BDF,
            "LSODA": LSODA}
_EPS = float(np.finfo(float).eps)


def _components(sol: DenseOutput, idx: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """The dense output of one step restricted to the components ``idx`` (any shape), evaluated
    at an array of times: the result has shape ``idx.shape + t.shape``.

    Locating a wall needs only the one or two coordinates its line depends on, so the
    interpolant is evaluated on those alone (SciPy's ``sol(t)`` forms the whole state).
    """
    t0, h = sol.t_old, sol.t - sol.t_old
    name = type(sol).__name__
    if name == "RkDenseOutput" and hasattr(sol, "Q"):  # y_old + h Q [x, x^2, ...]
        q, y0 = sol.Q[idx], sol.y_old[idx]

        powers = np.arange(1, q.shape[-1] + 1)

        def rk(t: np.ndarray) -> np.ndarray:
            x = (np.asarray(t, dtype=float) - t0) / h
            if x.ndim == 0:
                return y0 + h * (q @ x ** powers)
            return y0[..., None] + h * (q @ x[None, :] ** powers[:, None])
        return rk
    if name == "Dop853DenseOutput" and hasattr(sol, "F"):  # nested in x and 1 - x
        f, y0 = sol.F[:, idx], sol.y_old[idx]

        def dop(t: np.ndarray) -> np.ndarray:
            x = (np.asarray(t, dtype=float) - t0) / h
            ex = (...,) + (None,) * x.ndim
            y = np.zeros(idx.shape + x.shape)
            for k, fk in enumerate(f[::-1]):
                y = (y + fk[ex]) * (x if k % 2 == 0 else 1.0 - x)
            return y + y0[ex]
        return dop

    def generic(t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=float)
        vals = np.asarray(sol(t.ravel()))  # (n,) or (n, k)
        return vals[idx].reshape(idx.shape + t.shape)
    return generic


@dataclass
class _Segment:
    """The walls and the release condition of one pattern, checked after every accepted step.

    ``wall_values`` are sign * h_i(x_m) for every constraint pair (positive inside the pattern).
    Pairs that start the segment on their wall (just crossed, released or grazed) get a tiny
    offset: otherwise they would read as a crossing at the segment start, an endless loop. The
    offset (1e-12 of the size of the line) only delays the detection of a re-crossing of the
    same pair by that much.
    """

    system: System
    pat: FlowPattern
    pairs: tuple[np.ndarray, np.ndarray, np.ndarray]
    offset: np.ndarray

    @classmethod
    def make(cls, system: System, pat: FlowPattern, y0: np.ndarray,
             fresh: set[tuple[int, int]], pairs: tuple | None = None) -> _Segment:
        pairs = system.wall_pairs(pat) if pairs is None else pairs
        offset = np.zeros(pairs[0].size)
        if fresh and pairs[0].size:
            a, g = system.wall(y0)
            n = system.x.shape[0]
            keys = np.array([i * n + m for i, m in fresh], dtype=np.int64)
            sel = np.isin(pairs[0].astype(np.int64) * n + pairs[1], keys)
            u, m = pairs[0][sel], pairs[1][sel]
            offset[sel] = (1e-12 * (np.abs(a[u]) * (1.0 + np.abs(system.x[m])) + np.abs(g[u]))
                           + 1e-300)
        return cls(system, pat, pairs, offset)

    def wall_values(self, y: np.ndarray) -> np.ndarray:
        return self.system.pair_values(y, self.pairs) + self.offset

    def margins(self, y: np.ndarray) -> np.ndarray:
        """Per held unit (key order): the smaller sliding margin plus the release threshold."""
        if not self.pat.captured:
            return np.zeros(0)
        return release_margins(self.system, y, self.pat)

    def release_value(self, y: np.ndarray) -> float:
        low = self.margins(y)
        return float(low.min()) if low.size else 1.0

    def first_event(self, sol_of: Callable[[], DenseOutput], t_old: float, t_new: float,
                    g_old: np.ndarray, g_new: np.ndarray, r_old: float, r_new: float
                    ) -> tuple[float, int] | None:
        """Earliest (time, kind) in [t_old, t_new] with kind 0 = wall, 1 = release, or None.

        A wall event is a pair whose value goes from >= 0 to < 0 over the step. With many
        breakpoints in flight a step can change the sign of hundreds of pairs, but only the
        earliest matters: all of them are sampled together on a grid of the step's interpolant
        (restricted to their own coordinates), and only those whose first sign change lies in the
        earliest grid cell are located exactly (Brent, to 4 ulp like SciPy's event location).
        """
        hit = np.flatnonzero((g_old >= 0.0) & (g_new < 0.0))
        released = r_old >= 0.0 and r_new < 0.0
        if hit.size == 0 and not released:
            return None
        sol = sol_of()
        best: tuple[float, int] | None = None
        if hit.size:
            sys_ = self.system
            units, pts, sg = self.pairs[0][hit], self.pairs[1][hit], self.pairs[2][hit]
            xm, off = sys_.x[pts], self.offset[hit]

            def gvals(t: np.ndarray, sel: np.ndarray) -> np.ndarray:
                u = units[sel]
                a, g = sys_.wall_from(u, _components(sol, sys_.wall_index(u))(t))
                return sg[sel][:, None] * (a * xm[sel][:, None] + g) + off[sel][:, None]

            # refine the earliest sign change of all candidates together, 64 cells at a time
            lo, hi = t_old, t_new
            g_lo, g_hi = g_old[hit], g_new[hit]
            cand = np.arange(hit.size)
            while True:
                grid = np.linspace(lo, hi, 65)
                vals = np.empty((cand.size, 65))
                vals[:, 1:-1] = gvals(grid[1:-1], cand)
                vals[:, 0], vals[:, -1] = g_lo, g_hi
                neg = vals < 0.0
                first = np.argmax(neg, axis=1)  # first grid point with a negative value
                cell = int(first.min())
                keep = first == cell
                cand = cand[keep]
                g_lo, g_hi = vals[keep, cell - 1], vals[keep, cell]
                lo, hi = float(grid[cell - 1]), float(grid[cell])
                if hi - lo <= 1e-12 * (t_new - t_old) + 4 * _EPS * abs(hi):
                    break
            # the root of the earliest candidate's value on the last (tiny) cell, by the secant
            # (its error is of the order of the squared cell width: below rounding here)
            k = int(np.argmin(lo + (hi - lo) * g_lo / (g_lo - g_hi)))
            tr = lo + (hi - lo) * float(g_lo[k] / (g_lo[k] - g_hi[k]))
            best = (min(max(tr, lo), hi), 0)
        if released:
            hi = t_new if best is None else best[0]

            def rval(t: float) -> float:
                return self.release_value(sol(t))

            if hi == t_new or rval(hi) < 0.0:
                tr = brentq(rval, t_old, hi, xtol=4 * _EPS, rtol=4 * _EPS) if hi > t_old else t_old
                if best is None or tr < best[0]:
                    best = (tr, 1)
        return best


def integrate(system: System, y0: np.ndarray, t_end: float, *, t_eval: Sequence[float] | None = None,
              method: str = "DOP853", rtol: float = 1e-9, atol: float = 1e-11,
              callback: Callable[[float], None] | None = None,
              pattern: FlowPattern | None = None, crossings: str | None = None
              ) -> tuple[np.ndarray, np.ndarray, list[Event], int, FlowPattern]:
    """Integrate ``system`` from ``y0`` over [0, t_end], handling walls, captures and releases.

    ``crossings`` is "carry" or "cut" (default: "carry" for the explicit pairs "RK23" and
    "RK45", "cut" for the others). With "carry" a built-in Runge-Kutta stepper (SciPy's
    coefficients) carries simple crossings through a step with an error-controlled jump
    correction (:mod:`symspline.flow.carry`) and stops only at captures, releases, flips and
    ambiguous crossings; with "cut" every event ends a step, as follows.

    ``method="RKC"`` is the second-order Runge-Kutta-Chebyshev method (carrying only), stable on
    [-0.65 s^2 / h, 0] with s stages: for the stiff late phase of long runs.

    One SciPy ``OdeSolver`` (``method``: "RK23", "RK45", "DOP853", or the stiff "Radau", "BDF",
    "LSODA") is stepped by hand on the polynomial field of the current pattern. After every
    accepted step the O(H) wall values and the release margin are compared with their values
    at the step start; a sign change is located on the step's interpolant, the state is taken
    there, the pattern is updated and the solver restarts from the event with the step size it
    had reached (no initial-step search). Returns ``(t, Y, events, rhs_evals, final_pattern)``:
    rows of Y are the states at the times in ``t_eval`` (default: 201 evenly spaced times).
    """
    if not np.isfinite(t_end) or t_end < 0:
        raise InputError(f"time must be a finite non-negative number, got {t_end}")
    if method not in _SOLVERS and method != "RKC":
        raise InputError(f"unknown method {method!r}; use one of {', '.join(_SOLVERS)}, RKC")
    times = np.linspace(0.0, t_end, 201) if t_eval is None else np.asarray(t_eval, dtype=float)
    if times.ndim != 1 or np.any(np.diff(times) <= 0) or (times.size and
                                                          (times[0] < 0 or times[-1] > t_end)):
        raise InputError("t_eval must be strictly increasing times in [0, time]")
    if times.size == 0 or times[-1] < t_end:  # the last row is always the final state
        times = np.append(times, t_end)
    if crossings is None:
        crossings = "carry" if method in ("RK23", "RK45", "RKC") else "cut"
    if crossings not in ("carry", "cut"):
        raise InputError(f"crossings must be 'carry' or 'cut', got {crossings!r}")
    if crossings == "carry" and method not in ("RK23", "RK45", "RKC"):
        raise InputError(f"crossings='carry' needs method RK23, RK45 or RKC, not {method}")
    if method == "RKC" and crossings != "carry":
        raise InputError("method 'RKC' (Runge-Kutta-Chebyshev) runs with crossings='carry' only")
    y = np.asarray(y0, dtype=np.float64).copy()
    # event decisions respect the accuracy the integrator is asked for (System.residual_noise)
    system = replace(system, noise_rel=NOISE * rtol, noise_abs=NOISE * atol)
    pat = system.initial_pattern(y) if pattern is None else pattern
    if crossings == "carry":
        return _integrate_carry(system, y, t_end, times, method, rtol, atol, callback, pat)
    out_t: list[float] = []
    out_y: list[np.ndarray] = []
    events: list[Event] = []
    evals = 0
    t = 0.0
    k_eval = 0
    while k_eval < times.size and times[k_eval] <= t:
        out_t.append(float(times[k_eval]))
        out_y.append(y.copy())
        k_eval += 1
    n_events = 0
    fresh: set[tuple[int, int]] = set()
    h_next: float | None = None
    pairs: tuple | None = None
    solver_cls = _SOLVERS[method]
    while t < t_end:
        y, pat, rel, seg = _release_overdue(system, y, pat, t, fresh, pairs)
        events.extend(_ordered(rel))
        cur = pat

        def f(_t: float, yy: np.ndarray, cur: FlowPattern = cur) -> np.ndarray:
            nonlocal evals
            evals += 1
            return system.rhs(yy, cur)

        extra: dict = {}
        if method in ("BDF", "Radau", "LSODA"):  # stiff solvers: the exact in-pattern Hessian
            extra["jac"] = lambda _t, yy: system.jacobian(yy)
        if h_next is not None:
            extra["first_step"] = min(h_next, t_end - t)
        solver = solver_cls(f, t, y, t_end, rtol=rtol, atol=atol, **extra)
        g_old, r_old = seg.wall_values(y), seg.release_value(y)
        hit: tuple[float, int] | None = None
        while hit is None:
            msg = solver.step()
            if solver.status == "failed":
                raise IntegrationError(f"integration failed at t = {solver.t:.6g}: {msg}"
                                     + system.diagnose(solver.y))
            t_old, t_new = float(solver.t_old), float(solver.t)
            g_new, r_new = seg.wall_values(solver.y), seg.release_value(solver.y)
            dense: list[DenseOutput] = []

            def sol_of(solver=solver, dense=dense) -> DenseOutput:
                if not dense:
                    dense.append(solver.dense_output())
                return dense[0]

            hit = seg.first_event(sol_of, t_old, t_new, g_old, g_new, r_old, r_new)
            t_stop = t_new if hit is None else hit[0]
            while k_eval < times.size and times[k_eval] <= t_stop:
                tk = float(times[k_eval])
                out_t.append(tk)
                out_y.append(solver.y.copy() if tk == t_new else sol_of()(tk))
                k_eval += 1
            g_old, r_old = g_new, r_new
            if hit is None and solver.status == "finished":
                t, y = t_new, solver.y.copy()
                break
        if hit is None:
            break
        # an event: take the state there, update the pattern, restart
        # (LSODA keeps its step inside Fortran: no h_abs; its last step size stands in)
        h_last = getattr(solver, "h_abs", None) or solver.step_size
        h_next = float(h_last) if h_last else None
        t = hit[0]
        y = np.asarray(sol_of()(t), dtype=np.float64).copy()
        n_events += 1
        if n_events > MAX_EVENTS:
            raise IntegrationError(f"more than {MAX_EVENTS} pattern changes before t = {t_end}")
        if hit[1] == 0:
            pat, new, fresh = _at_wall(system, y, cur, t, seg.pairs)
        else:
            pat, new = _at_release(system, y, cur, t)
            fresh = {(e.unit, e.point) for e in new}
        for ev in new:
            # put the unit exactly on its wall, so the new pattern's wall event starts at 0
            # (the move is of the size of the event-location error)
            if ev.kind != "flip":
                y = system.project(y, ev.unit, ev.point)
        pat, pairs = _consistent(system, y, pat)
        events.extend(_ordered(new))
        if callback is not None:
            callback(t)
    return np.array(out_t), np.array(out_y), events, evals, pat


def _integrate_carry(system: System, y: np.ndarray, t_end: float, times: np.ndarray,
                     method: str, rtol: float, atol: float,
                     callback: Callable[[float], None] | None, pat: FlowPattern
                     ) -> tuple[np.ndarray, np.ndarray, list[Event], int, FlowPattern]:
    """The "carry" loop of :func:`integrate` (see :mod:`symspline.flow.carry`)."""
    tab = Chebyshev() if method == "RKC" else Tableau.of(method)
    grow = -1.0 / (tab.order + 1)
    evals = 0

    def f(yy: np.ndarray) -> np.ndarray:
        nonlocal evals
        evals += 1
        return system.rhs(yy, cur)

    out_t: list[float] = [0.0] if times[0] == 0.0 else []
    out_y: list[np.ndarray] = [y.copy()] if times[0] == 0.0 else []
    k_eval = len(out_t)
    events: list[Event] = []
    t = 0.0
    pat, pairs = _consistent(system, y, pat)
    seg = _Segment.make(system, pat, y, set(), pairs)
    cur = pat
    fy = f(y)
    g0, low0 = seg.wall_values(y), seg.margins(y)
    scale0 = atol + rtol * np.abs(y)
    h = 0.01 * float(np.sqrt(np.mean((y / scale0) ** 2)) / max(
        np.sqrt(np.mean((fy / scale0) ** 2)), 1e-300)) or 1e-6
    h = min(max(h, 1e-12), t_end) if t_end > 0 else 0.0
    stalled = 0
    sticky: set[tuple[int, int]] = set()
    while t < t_end:
        h = min(h, t_end - t)
        y1, f1, err, dense = tab.step(f, y, fy, h)
        sc = atol + rtol * np.maximum(np.abs(y), np.abs(y1))
        n_rk = float(np.sqrt(np.mean((err / sc) ** 2)))
        if not np.isfinite(n_rk):
            raise IntegrationError(f"integration failed at t = {t:.6g}: the field is not finite")
        if n_rk > 1.0:
            h *= max(0.2, 0.9 * n_rk ** grow)
            if t + h == t:
                raise IntegrationError(f"integration failed at t = {t:.6g}: step size underflow"
                                     + system.diagnose(y))
            continue
        # releases seen at the end of the step (margins read with the held units on their walls)
        rel = _Releases.of(system, pat, y1, low0)
        y1 = _settle(system, y1, pat, rel.pos, rel.active)
        g1 = seg.wall_values(y1)
        hit = np.flatnonzero((g0 >= 0.0) & (g1 < 0.0))
        stop = rel.first_rough(seg, dense)
        if hit.size == 0 and stop is None:
            done, jumps = Carried(1.0, [], y1, pat, np.zeros_like(y), None), np.zeros((0, 1))
            n_c = 0.0
        else:
            done, jumps = carry(system, pat, seg.pairs, dense, y1, hit, stop, seg.offset)
            n_c = float(np.max(np.abs(done.error) / sc))
        if n_c > 1.0 and done.events:
            # the correction is not accurate enough: either a shorter step or, when that would
            # advance less, this step up to its first event with that event taken exactly
            shrink = max(0.2, min(0.9 * max(n_rk, 1e-10) ** grow, 0.9 / np.sqrt(n_c)))
            i, m, code, th = done.events[0]
            if th < shrink * FIRST_CUT:
                h *= shrink
                continue
            sg = -1.0 if code > 0 or pat.lo[i] > m or pat.hi[i] <= m else 1.0
            done = Carried(th, [], dense(th), pat, np.zeros_like(y), ("wall", i, m, sg))
            jumps, n_c = jumps[:0], 0.0
        t_stop = t + done.theta * h if done.theta < 1.0 else t + h
        stalled = stalled + 1 if t_stop == t else 0
        if stalled > MAX_STALL:
            raise IntegrationError(f"integration stalled at t = {t:.6g}: {MAX_STALL} events without "
                                 "progress (please report the data and parameters)")
        while k_eval < times.size and times[k_eval] <= t_stop:
            tk = float(times[k_eval])
            out_t.append(tk)
            out_y.append(done.y.copy() if tk >= t_stop else
                         done.state_at(dense, (tk - t) / h, system, jumps))
            k_eval += 1
        y, pat = done.y, done.pattern
        new = [Event("capture" if c == 0 else "cross", float(t + h * th), i, m, float(system.x[m]),
                     "hold" if c == 0 else "in" if c > 0 else "out")
               for i, m, c, th in done.events]
        fresh = {(i, m) for i, m, _, _ in done.events}
        if stalled:  # events at one time: every pair met there keeps its start offset (duplicated
            fresh |= sticky  # breakpoints grazing one sample would otherwise take turns for ever)
        rel = rel.before(done.theta)  # later ones: still held
        if pat.captured:  # (new holds are appended: the positions of the old ones stand)
            y = _settle(system, y, pat, rel.pos, rel.active)
        units = list(pat.captured)
        for j, active, th in zip(rel.pos, rel.active, rel.theta, strict=True):
            i = units[j]
            m = pat.captured[i]
            pat = pat.release(i, bool(active))
            fresh.add((i, m))
            new.append(Event("release", float(t + h * th), i, m, float(system.x[m]),
                             "in" if active else "out"))
        if done.cut is not None and done.cut[0] == "wall":
            _, i, m, sg = done.cut
            pat, ev = at_pair(system, y, pat, t_stop, i, m, sg)
            fresh.add((i, m))
            if ev is not None:
                new.append(ev)
                if ev.kind == "flip":
                    fresh |= {(i, q) for q in range(system.x.shape[0])}
                else:
                    y = system.project(y, i, m)
        elif done.cut is not None:  # a release that the clipped weight does not carry
            _, i, active = done.cut
            m = pat.captured[i]
            y = system.project(y, i, m)
            pat = pat.release(i, active)
            fresh.add((i, m))
            new.append(Event("release", t_stop, i, m, float(system.x[m]), "in" if active else "out"))
        sticky = fresh
        events.extend(_ordered(new))
        if len(events) > MAX_EVENTS:
            raise IntegrationError(f"more than {MAX_EVENTS} pattern changes before t = {t_end}")
        t = t_stop
        if new or done.cut is not None:  # (a graze too: its pair gets the fresh offset)
            pat, pairs = _consistent(system, y, pat)
            y, pat, rel, seg = _release_overdue(system, y, pat, t, fresh, pairs)
            events.extend(_ordered(rel))
        g0, low0 = seg.wall_values(y), seg.margins(y)
        if new or cur is not pat or done.theta < 1.0:
            cur = pat
            fy = f(y)
        else:
            fy = f1
        if done.theta >= 1.0:
            h *= min(10.0, max(0.2, 0.9 * (max(n_rk, n_c) ** grow if max(n_rk, n_c) > 0
                                           else 10.0)))
        if callback is not None:
            callback(t)
    return np.array(out_t), np.array(out_y), events, evals, pat


def _ordered(events: list[Event]) -> list[Event]:
    """Events in time order, simultaneous ones by unit: the order in which simultaneous events
    were handled follows values equal up to rounding (wall values, capture order), and must not
    show in the result."""
    return sorted(events, key=lambda e: (e.t, e.unit))


@dataclass(frozen=True)
class _Releases:
    """Held units released during a step: positions in the starting pattern's key order, the side
    that becomes theirs (``active``: sample m joins the active set), the fraction of the step where
    the margin, linear over the step, crosses the threshold, and whether the clipped Filippov
    weight of the step already is the released field (``smooth``: mu_i r_m > 0, so lam left
    [0, 1] through 0 or 1). A unit held with lam = 0 (S_- = 0) is released when mu_i r_m changes
    sign instead; the weight stays 0 while the released unit's is 1: such a release stops the
    step."""

    pos: np.ndarray
    active: np.ndarray
    theta: np.ndarray
    smooth: np.ndarray
    units: np.ndarray

    @classmethod
    def of(cls, system: System, pat: FlowPattern, y1: np.ndarray,
           low0: np.ndarray) -> _Releases:
        none = np.zeros(0, dtype=np.intp)
        if not pat.captured:
            return cls(none, none.astype(bool), none.astype(float), none.astype(bool), none)
        cu, cm = pat.captured_arrays
        # the normalized margins -mu S_- and mu S_+ (as _Segment.margins, read on the walls);
        # their sum is mu r_m (1 + x_m^2) over a positive scale, the sign that makes a release smooth
        on_walls = system.project(y1, cu, cm)
        a, b = system.sliding_margins(on_walls, pat)
        low1 = release_margins(system, on_walls, pat, (a, b))
        pos = np.flatnonzero(low1 < 0.0)
        drop = low0[pos] - low1[pos]
        theta = np.where(drop > 0, low0[pos] / np.where(drop > 0, drop, 1.0), 1.0)
        return cls(pos, b[pos] <= a[pos], np.clip(theta, 0.0, 1.0), (a + b)[pos] > 0, cu[pos])

    def first_rough(self, seg: _Segment, dense: Dense) -> tuple[float, int, bool] | None:
        """(theta, unit, active) of the earliest release that must stop the step, or None; its
        time is located on the step's interpolant (Brent), its side is read at the end."""
        if not (~self.smooth).any():
            return None
        k = int(np.argmin(np.where(self.smooth, np.inf, self.theta)))
        j = int(self.pos[k])

        def margin(th: float) -> float:
            return float(seg.margins(dense(th))[j])

        theta = float(self.theta[k])
        if margin(0.0) >= 0.0 > margin(1.0):
            theta = brentq(margin, 0.0, 1.0, xtol=4 * _EPS, rtol=4 * _EPS)
        return theta, int(self.units[k]), bool(self.active[k])

    def before(self, theta: float) -> _Releases:
        """The smooth releases strictly before ``theta`` (the ones carried by the step)."""
        k = self.smooth & (self.theta < theta)
        return _Releases(self.pos[k], self.active[k], self.theta[k], self.smooth[k],
                         self.units[k])


def _settle(system: System, y: np.ndarray, pat: FlowPattern, gone: np.ndarray,
            active: np.ndarray | None) -> np.ndarray:
    """Held units of ``pat`` put exactly on their walls, except the ``gone`` ones (positions in
    key order) released during the step: those keep their departure (second order, from a zero
    normal velocity) and are put back only when their drift while held left them on the wrong
    side, which is the state a cut at the release would have produced."""
    units, pts = pat.captured_arrays
    keep = np.ones(units.size, dtype=bool)
    if gone.size:
        a, g = system.wall(y)
        val = a[units[gone]] * system.x[pts[gone]] + g[units[gone]]
        keep[gone] = np.where(active, val < 0.0, val > 0.0)
    return system.project(y, units[keep], pts[keep]) if keep.any() else y


def _release_overdue(system: System, y: np.ndarray, pat: FlowPattern, t: float,
                     fresh: set[tuple[int, int]], pairs: tuple | None
                     ) -> tuple[np.ndarray, FlowPattern, list[Event], _Segment]:
    """Release every held unit whose margin is already past the threshold at a segment start.

    Releases are seen as sign changes of the smallest margin over a step; a margin that is
    already negative when a segment starts (a duplicated breakpoint a rounding error behind the
    one just released, or an event located late in a step) would never be seen again. Updates
    ``fresh`` in place; returns the state, pattern, releases and the new segment.
    """
    out: list[Event] = []
    seg = _Segment.make(system, pat, y, fresh, pairs)
    while (low := seg.margins(y)).size and low.min() < 0.0:
        held = pat.captured_arrays
        pat, rel = _at_release(system, y, pat, t)
        y = system.project(y, *held)  # released units start from their walls, as at any release
        out.extend(rel)
        fresh |= {(e.unit, e.point) for e in rel}
        pat, pairs = _consistent(system, y, pat)
        seg = _Segment.make(system, pat, y, fresh, pairs)
    return y, pat, out, seg


def _at_wall(system: System, y: np.ndarray, pat: FlowPattern, t: float,
             pairs: tuple | None = None) -> tuple[FlowPattern, list[Event], set[tuple[int, int]]]:
    pairs = system.wall_pairs(pat) if pairs is None else pairs
    vals = system.pair_values(y, pairs)
    scale = max(1.0, float(np.max(np.abs(vals)))) if vals.size else 1.0
    hit = np.flatnonzero(vals <= max(1e-9 * scale, float(vals.min()) + 1e-12 * scale))
    new: list[Event] = []
    done: set[int] = set()
    fresh = {(int(pairs[0][j]), int(pairs[1][j])) for j in hit}
    for j in hit[np.argsort(vals[hit])]:
        i, m, sg = int(pairs[0][j]), int(pairs[1][j]), float(pairs[2][j])
        if i in done:
            continue
        done.add(i)
        pat, ev = at_pair(system, y, pat, t, i, m, sg)
        if ev is not None:
            new.append(ev)
            if ev.kind == "flip":
                fresh |= {(i, q) for q in range(system.x.shape[0])}
    return pat, new, fresh


def at_pair(system: System, y: np.ndarray, pat: FlowPattern, t: float, i: int, m: int,
            sg: float) -> tuple[FlowPattern, Event | None]:
    """Unit i meets sample m (``sg`` < 0: from the inactive side): cross, capture or flip.

    A unit that leaves its only active sample is captured with lam = 0 (its rates vanish on the
    inactive side, so it stays on x_m) and is released into the active side when the flow there
    turns back: the branch that a smoothed ReLU selects as the smoothing vanishes (declaring such
    a unit dead instead stops the adaptive regime of theory §6.2 from converging). Returns the new
    pattern and the event (None when no side's velocity carries the unit on).
    """
    xm = float(system.x[m])
    if i in pat.captured:
        # A unit held on x_k can only meet another sample when its line h_i = w_i (x - x_k)
        # rotates through w_i = 0: every other sample changes side at once (the breakpoint
        # stays on x_k, the orientation flips).
        k = pat.captured[i]
        n = system.x.shape[0]
        lo, hi = pat.lo.copy(), pat.hi.copy()
        if lo[i] < hi[i] and lo[i] > k:
            lo[i], hi[i] = 0, k
        elif lo[i] < hi[i]:
            lo[i], hi[i] = k + 1, n
        elif k > 0:  # empty: the side that was inactive becomes active
            lo[i], hi[i] = (0, k) if sg < 0 and m < k else (k + 1, n)
        return (FlowPattern.from_intervals(lo, hi, n, pat.captured),
                Event("flip", t, i, k, float(system.x[k]), "hold"))
    vm, vp = system.one_sided(y, pat, i, m)  # h' on the inactive / active side
    # A side's velocity decides only when it exceeds its uncertainty (the integrator's error
    # moves the residual sums by nm, np_); an unresolved one cannot carry the unit on, so the
    # unit is held (Filippov sliding) until a margin is clearly negative (release_margins).
    nm, np_ = system.one_sided_noise(y, pat, i, m)
    if sg < 0:  # arriving from the inactive side
        if vp > np_:
            return pat.with_point(i, m, True), Event("cross", t, i, m, xm, "in")
        if vm > -nm:
            return pat.capture(i, m), Event("capture", t, i, m, xm, "hold")
    else:  # arriving from the active side
        if vm < -nm:
            return pat.with_point(i, m, False), Event("cross", t, i, m, xm, "out")
        if vp < np_:
            return pat.capture(i, m), Event("capture", t, i, m, xm, "hold")
    return pat, None


def _consistent(system: System, y: np.ndarray, pat: FlowPattern) -> tuple[FlowPattern, tuple]:
    """Rebuild the interval of any free unit whose line contradicts the pattern.

    A safety net for simultaneous or degenerate events: every constraint sign * h_i(x_m) of a
    unit that is not captured must be >= 0 up to rounding after an event; where it is clearly
    negative the unit's interval is recomputed from the signs of its line. Returns the pattern
    and its wall pairs.
    """
    pairs = system.wall_pairs(pat)
    if pairs[0].size == 0:
        return pat, pairs
    a, g = system.wall(y)
    vals = system.pair_values(y, pairs)
    size = np.abs(a[pairs[0]]) * (1.0 + np.abs(system.x[pairs[1]])) + np.abs(g[pairs[0]])
    bad = np.unique(pairs[0][vals < -1e-7 * size])
    bad = [int(i) for i in bad if int(i) not in pat.captured]
    if not bad:
        return pat, pairs
    fixed = pattern_from_lines(a[bad], g[bad], system.x)
    lo, hi = pat.lo.copy(), pat.hi.copy()
    lo[bad], hi[bad] = fixed.lo, fixed.hi
    out = FlowPattern.from_intervals(lo, hi, system.x.shape[0], pat.captured)
    return out, system.wall_pairs(out)


def release_margins(system: System, y: np.ndarray, pat: FlowPattern,
                    margins: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Per held unit (key order): the smaller sliding margin plus its release threshold; a unit
    is released when this turns negative.

    Hysteresis: a margin must be clearly negative, by ``RELEASE_TOL`` and by its own
    uncertainty (``System.sliding_noise``: what the integrator's error can do to the residual
    sums), so that the released unit leaves its sample with a resolved normal velocity. A
    release on a margin within that uncertainty of zero is decided by the last bits of the
    state: such a unit grazes its sample and is recaptured at once, and near convergence, where
    all residuals are of that size, the flow chattered between captures and releases
    (hundreds of events whose number changed with a 1-ulp change of the start).

    Parameters
    ----------
    system
        The system, with its ``noise_rel`` and ``noise_abs`` (zero: the plain threshold).
    y
        The state.
    pat
        The pattern; its held units are the ones measured.
    margins
        ``system.sliding_margins(y, pat)`` when the caller already has them.

    Returns
    -------
    numpy.ndarray
        One value per held unit, in the key order of ``pat.captured``.
    """
    a, b = system.sliding_margins(y, pat) if margins is None else margins
    na, nb = system.sliding_noise(y, pat)
    return np.minimum(a + na, b + nb) + RELEASE_TOL


def _at_release(system: System, y: np.ndarray, pat: FlowPattern, t: float
                ) -> tuple[FlowPattern, list[Event]]:
    a, b = system.sliding_margins(y, pat)  # normalized margins
    units = list(pat.captured)
    low = release_margins(system, y, pat, (a, b))
    # units past the threshold, and units sharing a sample and an active set (duplicated
    # breakpoints, equal margins up to rounding), are released together; a tolerance of the size
    # of the threshold itself wrongly took along units held with lam = 0, whose margin is 0
    chosen = np.flatnonzero(low <= max(low.min() + 1e-12, 0.0)).tolist()
    # Duplicates share S_- and S_+, so their margins fail at the same instant; but the margins
    # are proportional to mu_i, so the threshold is passed at times that depend on |mu_i| (and on
    # the last bits when S_+- pass 0 slowly). A held unit on the same sample, with the same
    # active set and the same failing side, goes with the first one.
    cu, cm = pat.captured_arrays
    for j in list(chosen):
        side = b[j] <= a[j]
        same = ((cm == cm[j]) & (pat.lo[cu] == pat.lo[cu[j]]) & (pat.hi[cu] == pat.hi[cu[j]])
                & (np.where(side, b, a) < 0.0))
        chosen += [k for k in np.flatnonzero(same).tolist() if k not in chosen]
    chosen.sort()
    new: list[Event] = []
    x = system.x
    for j in chosen:
        i = units[j]
        m = pat.captured[i]
        active = bool(b[j] <= a[j])  # the active-side velocity stopped pointing at the sample
        pat = pat.release(i, active)
        new.append(Event("release", t, i, m, float(x[m]), "in" if active else "out"))
    return pat, new


def snap_breakpoints(params: Network | Spline, x: np.ndarray, tol: float = 1e-9,
                     side: str = "left") -> Network | Spline:
    """``params`` (float) with every breakpoint within ``tol (1 + |x_m|)`` of a sample x_m put
    exactly on it.

    A unit held by a sample (Filippov sliding) sits on it only up to rounding and the
    integrator's drift, so whether the sample counts as active for it -- and with it every
    quantity that is one-sided at a kink, such as the per-sample gradient matrix -- would
    be decided by the last bits of the state. On the sample, ``locate(..., side=...)`` decides
    by the side asked for instead. Network units keep w_i and get the b_i with -b_i / w_i = x_m
    in float64, or, where the quotients of neighbouring floats step over x_m, the b_i whose
    breakpoint is the nearest float on ``side`` of x_m (the same pattern for ``locate``).

    Parameters
    ----------
    params
        A float Network or Spline.
    x
        The sorted samples.
    tol
        Relative distance below which a breakpoint is taken to be on a sample.
    side
        "left" or "right": the side ``locate`` will be asked for (network units only).

    Returns
    -------
    Network or Spline
        The same kind of object, snapped.
    """
    xs = np.asarray(x, dtype=np.float64)
    if isinstance(params, Spline):
        beta = np.asarray(params.beta, dtype=np.float64).copy()
        for i, bi in enumerate(beta):
            m = int(np.argmin(np.abs(xs - bi)))
            if abs(bi - xs[m]) <= tol * (1.0 + abs(xs[m])):
                beta[i] = xs[m]
        return Spline(beta, params.mu, params.s, params.c, params.negative_slope)
    w = np.asarray(params.w, dtype=np.float64)
    b = np.asarray(params.b, dtype=np.float64).copy()
    for i in np.flatnonzero(w != 0.0):
        beta = -b[i] / w[i]
        m = int(np.argmin(np.abs(xs - beta)))
        if abs(beta - xs[m]) > tol * (1.0 + abs(xs[m])):
            continue
        b[i] = _on_sample(float(w[i]), float(b[i]), float(xs[m]), side)
    return Network(w, b, params.v, params.c, params.negative_slope)


def _on_sample(w: float, b: float, xm: float, side: str) -> float:
    """A b with -b / w == xm in float64 when one exists, else with -b / w the float just on
    ``side`` of xm: either way no sample lies between the breakpoint and xm, and
    ``locate(..., side=side)`` gives the pattern of the exact kink."""
    c = -w * xm
    for d in (c, np.nextafter(c, np.inf), np.nextafter(c, -np.inf)):
        if -d / w == xm:
            return float(d)
    # -d / w decreases as d grows when w > 0: step towards the requested side
    up = (w > 0) == (side == "left")
    for _ in range(8):
        if (-c / w < xm) if side == "left" else (-c / w > xm):
            return float(c)
        c = np.nextafter(c, np.inf if up else -np.inf)
    return float(b)  # (not seen: the unit keeps its position)


def _float_data(data: Dataset) -> Dataset:
    if not isinstance(data, Dataset):
        raise InputError(f"data must be a Dataset, got {type(data).__name__}")
    return data.as_float()


def _decay(weight_decay: object) -> float:
    """lambda as a float >= 0 (``params.weight_decay_value`` validates; symbols are refused)."""
    from ..params import weight_decay_value

    lam = weight_decay_value(weight_decay)
    try:
        out = float(lam)
    except (TypeError, ValueError):
        raise ParameterError(f"weight_decay must be a number for the flow, got {lam}") from None
    return out


def flow_network(net: Network, data: Dataset, time: float, *, weight_decay: object = 0.0,
                 **kwargs: object) -> FlowResult:
    """Gradient flow theta' = -grad L - lambda theta of a network (w, b, v, c) up to ``time``.

    The objective is L + (lambda/2) ||theta||^2 (``weight_decay`` = lambda >= 0, every
    parameter including c, as torch.optim); the activation is the network's (``negative_slope``
    alpha: the leaky ReLU max(z, alpha z)). Each balance obeys
    delta_i' = -2 lambda delta_i (conserved when lambda = 0). Keyword arguments go to
    :func:`integrate` (``t_eval``, ``method``, ``rtol``, ``atol``, ``callback``,
    ``crossings``); ``method="RKC"`` (stabilized Runge-Kutta-Chebyshev, carrying events) suits
    long runs of many units. Returns a :class:`FlowResult` with ``param="network"``.

    Raises
    ------
    ParameterError
        If ``weight_decay`` is negative, not finite or symbolic.
    """
    if not isinstance(net, Network):
        raise InputError(f"expected a Network, got {type(net).__name__}")
    lam = _decay(weight_decay)
    net = net.as_float() if net.kind != "float" else net
    d = _float_data(data)
    alpha = float(net.negative_slope)
    system = NetworkSystem(d, net.H, alpha=alpha, weight_decay=lam)
    t, Y, events, evals, pat = integrate(system, net.vector, float(time), **kwargs)
    s = tuple(int(v) for v in np.where(net.w >= 0, 1, -1))
    return FlowResult("network", t, Y, tuple(events), s, net.balance.copy(), evals,
                      dict(pat.captured), alpha, lam)


def flow_spline(spline: Spline, data: Dataset, time: float,
                balance: float | np.ndarray = -1.0, *, weight_decay: object = 0.0,
                **kwargs: object) -> FlowResult:
    """The induced quotient flow on (beta, mu, c) with fixed orientations (theory §5.2).

    ``balance`` holds delta_i = v_i^2 - w_i^2 - b_i^2 at t = 0 (scalar or per unit); it is the
    only information beyond the function that the dynamics need. With ``weight_decay`` =
    lambda > 0 it is the image of the network flow theta' = -grad L - lambda theta:
    beta' as without decay, mu' and c' gain -2 lambda mu and -lambda c, and the metric M_i is
    taken at delta_i(t) = delta_i(0) exp(-2 lambda t) (docs/flow.md, "Weight decay and leaky
    ReLU"). The activation is the spline's (``negative_slope``).
    """
    if not isinstance(spline, Spline):
        raise InputError(f"expected a Spline, got {type(spline).__name__}")
    lam = _decay(weight_decay)
    sp_ = spline.as_float() if spline.kind != "float" else spline
    d = _float_data(data)
    delta = np.broadcast_to(np.asarray(balance, dtype=np.float64), (sp_.H,)).copy()
    if not np.all(np.isfinite(delta)):
        raise ParameterError("balances must be finite")
    alpha = float(sp_.negative_slope)
    system = QuotientSystem(d, sp_.H, alpha=alpha, weight_decay=lam,
                            s=np.asarray(sp_.s, dtype=np.float64), delta=delta)
    system.w2(sp_.beta, sp_.mu)  # validates: raises when some unit has no representative
    y0 = sp_.vector if not system.clock else np.append(sp_.vector, 0.0)
    t, Y, events, evals, pat = integrate(system, y0, float(time), **kwargs)
    Y = Y[:, :2 * sp_.H + 1]  # (without the clock: rows are (beta, mu, c))
    return FlowResult("spline", t, Y, tuple(events), sp_.s, delta, evals, dict(pat.captured),
                      alpha, lam)


def flow(params: Network | Spline, data: Dataset, time: float, *, param: str | None = None,
         balance: float | np.ndarray | None = None, weight_decay: object = 0.0,
         **kwargs: object) -> FlowResult:
    """Gradient flow of L + (lambda/2) ||theta||^2 (``weight_decay`` = lambda, default 0) in the
    ``param`` parameterization ("network" or "spline", default: that of ``params``), with the
    activation of ``params`` (``negative_slope``). A network integrated as a spline keeps its
    own balances; a spline integrated as a network uses the representative with balance
    ``balance`` (default -1)."""
    param = param or params.parameterization
    if param not in ("network", "spline"):
        raise InputError(f"param must be 'network' or 'spline', got {param!r}")
    if param == "network":
        net = params if isinstance(params, Network) else params.to_network(
            -1.0 if balance is None else balance)
        return flow_network(net, data, time, weight_decay=weight_decay, **kwargs)
    if isinstance(params, Network):
        netf = params.as_float() if params.kind != "float" else params
        return flow_spline(netf.to_spline(), data, time, balance=netf.balance,
                           weight_decay=weight_decay, **kwargs)
    return flow_spline(params, data, time, balance=-1.0 if balance is None else balance,
                       weight_decay=weight_decay, **kwargs)
