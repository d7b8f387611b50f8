"""Event-driven integration of gradient flow: smooth inside a pattern, exact at its walls.

``solve_ivp`` integrates the polynomial field of one fixed pattern (so it never sees a
discontinuity) with two terminal events: a *wall* event, the minimum over units of the signed
distance h_i(x_m) of the breakpoint to the samples bounding its gap (O(H) per call), and a
*release* event, the minimum over captured units of the two sliding margins. At a wall the
one-sided normal velocities decide (THEORY 5.4): both pointing at the sample -> capture (the unit
slides on h_i(x_m) = 0 with the Filippov combination); otherwise the breakpoint crosses into the
neighbouring pattern. A release leaves the sample on the side whose velocity stopped pointing at it.
This is why the integrator never grinds at a capture, unlike a plain adaptive Runge-Kutta run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp

from ..data import Dataset
from ..errors import InputError, ParameterError
from ..params import Network, Spline
from .vector_field import FlowPattern, NetworkSystem, QuotientSystem, System, pattern_from_lines

#: Normalized sliding margin below which a captured unit is released (see ``release``).
RELEASE_TOL = 1e-9
#: Hard cap on pattern changes: far beyond any real run, it turns a Zeno-like cascade into an error.
MAX_EVENTS = 200_000


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
    orientations ``s`` and balances ``balance``). ``rhs_evals`` counts field evaluations.
    """

    param: str
    t: np.ndarray
    y: np.ndarray
    events: tuple[Event, ...]
    s: tuple[int, ...]
    balance: np.ndarray
    rhs_evals: int
    captured_final: dict[int, int]

    def params_at(self, k: int = -1) -> Network | Spline:
        """The parameters of row ``k`` (a Network or a Spline, as integrated)."""
        row = self.y[k]
        H = len(self.s)
        if self.param == "network":
            return Network.from_vector(row, H)
        return Spline.from_vector(row, self.s)

    def spline_at(self, k: int = -1) -> Spline:
        p = self.params_at(k)
        return p if isinstance(p, Spline) else p.to_spline()

    def network_at(self, k: int = -1) -> Network:
        from .quotient import to_network

        p = self.params_at(k)
        return p if isinstance(p, Network) else to_network(p, self.balance)

    @property
    def crossings(self) -> list[Event]:
        return [e for e in self.events if e.kind == "cross"]

    @property
    def captures(self) -> list[Event]:
        return [e for e in self.events if e.kind == "capture"]


def _events_for(system: System, pat: FlowPattern, y0: np.ndarray,
                fresh: set[tuple[int, int]]) -> tuple[Callable, Callable]:
    pairs = system.wall_pairs(pat)
    # Pairs that start the segment on their wall (just crossed, released or grazed) get a tiny
    # offset: otherwise the minimum is 0 at the segment start and the root finder would return
    # the start point for any later event, an endless loop. The offset (1e-12 of the size of
    # the line) only delays the detection of a re-crossing of the same pair by that much.
    offset = np.zeros(pairs[0].size)
    if fresh and pairs[0].size:
        a, g = system.wall(y0)
        n = system.x.shape[0]
        keys = np.array([i * n + m for i, m in fresh], dtype=np.int64)
        sel = np.isin(pairs[0].astype(np.int64) * n + pairs[1], keys)
        u, m = pairs[0][sel], pairs[1][sel]
        offset[sel] = 1e-12 * (np.abs(a[u]) * (1.0 + np.abs(system.x[m])) + np.abs(g[u])) + 1e-300

    def wall(t: float, y: np.ndarray) -> float:
        if pairs[0].size == 0:
            return 1.0
        return float(np.min(system.pair_values(y, pairs) + offset))

    def release(t: float, y: np.ndarray) -> float:
        if not pat.captured:
            return 1.0
        a, b = system.sliding_margins(y, pat)
        # hysteresis: release only once a margin is clearly negative, so the released unit
        # leaves its sample with a non-zero normal velocity instead of grazing it (a grazing
        # release would be recaptured at once: an endless capture/release loop)
        return float(min(a.min(), b.min())) + RELEASE_TOL

    for ev in (wall, release):
        ev.terminal = True  # type: ignore[attr-defined]
        ev.direction = -1.0  # type: ignore[attr-defined]
    return wall, release


def integrate(system: System, y0: np.ndarray, t_end: float, *, t_eval: Sequence[float] | None = None,
              method: str = "DOP853", rtol: float = 1e-9, atol: float = 1e-11,
              callback: Callable[[float], None] | None = None,
              pattern: FlowPattern | None = None) -> tuple[np.ndarray, np.ndarray, list[Event],
                                                          int, FlowPattern]:
    """Integrate ``system`` from ``y0`` over [0, t_end], handling walls, captures and releases.

    Returns ``(t, Y, events, rhs_evals, final_pattern)``: rows of Y are the states at the times in
    ``t_eval`` (default: 201 evenly spaced times).
    """
    if not np.isfinite(t_end) or t_end < 0:
        raise InputError(f"time must be a finite non-negative number, got {t_end}")
    times = np.linspace(0.0, t_end, 201) if t_eval is None else np.asarray(t_eval, dtype=float)
    if times.ndim != 1 or np.any(np.diff(times) <= 0) or (times.size and
                                                          (times[0] < 0 or times[-1] > t_end)):
        raise InputError("t_eval must be strictly increasing times in [0, time]")
    if times.size == 0 or times[-1] < t_end:  # the last row is always the final state
        times = np.append(times, t_end)
    y = np.asarray(y0, dtype=np.float64).copy()
    pat = system.initial_pattern(y) if pattern is None else pattern
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
    while t < t_end:
        cur = pat

        def f(_t: float, yy: np.ndarray, cur: FlowPattern = cur) -> np.ndarray:
            return system.rhs(yy, cur)

        wall, release = _events_for(system, cur, y, fresh)
        sub = times[k_eval:]
        extra = {}
        if method in ("BDF", "Radau", "LSODA"):  # stiff solvers: the exact in-pattern Hessian
            extra["jac"] = lambda _t, yy: system.jacobian(yy)
        sol = solve_ivp(f, (t, t_end), y, method=method, rtol=rtol, atol=atol,
                        events=(wall, release), t_eval=sub, **extra)
        evals += int(sol.nfev)
        if sol.status == -1:
            raise ParameterError(f"integration failed at t = {t:.6g}: {sol.message}")
        if len(sol.t):  # (SciPy returns an empty list, not an array, when none was reached)
            for tt, yy in zip(sol.t, np.asarray(sol.y).T, strict=True):
                out_t.append(float(tt))
                out_y.append(yy.copy())
            k_eval += len(sol.t)
        if sol.status == 0:
            break
        # a terminal event: find which, update the pattern, restart
        n_events += 1
        if n_events > MAX_EVENTS:
            raise ParameterError(f"more than {MAX_EVENTS} pattern changes before t = {t_end}")
        if sol.t_events[0].size:
            t = float(sol.t_events[0][0])
            y = sol.y_events[0][0].copy()
            pat, new, fresh = _at_wall(system, y, cur, t)
        else:
            t = float(sol.t_events[1][0])
            y = sol.y_events[1][0].copy()
            pat, new = _at_release(system, y, cur, t)
            fresh = {(e.unit, e.point) for e in new}
        for ev in new:
            # put the unit exactly on its wall, so the new pattern's wall event starts at 0
            # (the move is of the size of the event-location error)
            if ev.kind != "flip":
                y = system.project(y, ev.unit, ev.point)
        pat = _consistent(system, y, pat)
        events.extend(new)
        if callback is not None:
            callback(t)
    return np.array(out_t), np.array(out_y), events, evals, pat


def _at_wall(system: System, y: np.ndarray, pat: FlowPattern, t: float
             ) -> tuple[FlowPattern, list[Event], set[tuple[int, int]]]:
    pairs = system.wall_pairs(pat)
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
            pat = FlowPattern(lo, hi, dict(pat.captured))
            new.append(Event("flip", t, i, k, float(system.x[k]), "hold"))
            fresh |= {(i, q) for q in range(n)}
            continue
        vm, vp = system.one_sided(y, pat, i, m)  # h' on the inactive / active side
        xm = float(system.x[m])
        if sg < 0:  # arriving from the inactive side
            if vp > 0:
                pat = pat.with_point(i, m, True)
                new.append(Event("cross", t, i, m, xm, "in"))
            elif vm > 0:
                pat = pat.capture(i, m)
                new.append(Event("capture", t, i, m, xm, "hold"))
        else:  # arriving from the active side
            if vm < 0:
                pat = pat.with_point(i, m, False)
                new.append(Event("cross", t, i, m, xm, "out"))
            elif vp < 0:
                pat = pat.capture(i, m)
                new.append(Event("capture", t, i, m, xm, "hold"))
    return pat, new, fresh


def _consistent(system: System, y: np.ndarray, pat: FlowPattern) -> FlowPattern:
    """Rebuild the interval of any free unit whose line contradicts the pattern.

    A safety net for simultaneous or degenerate events: every constraint sign * h_i(x_m) of a
    unit that is not captured must be >= 0 up to rounding after an event; where it is clearly
    negative the unit's interval is recomputed from the signs of its line.
    """
    pairs = system.wall_pairs(pat)
    if pairs[0].size == 0:
        return pat
    a, g = system.wall(y)
    vals = system.pair_values(y, pairs)
    size = np.abs(a[pairs[0]]) * (1.0 + np.abs(system.x[pairs[1]])) + np.abs(g[pairs[0]])
    bad = np.unique(pairs[0][vals < -1e-7 * size])
    bad = [int(i) for i in bad if int(i) not in pat.captured]
    if not bad:
        return pat
    fixed = pattern_from_lines(a[bad], g[bad], system.x)
    lo, hi = pat.lo.copy(), pat.hi.copy()
    lo[bad], hi[bad] = fixed.lo, fixed.hi
    return FlowPattern(lo, hi, dict(pat.captured))


def _at_release(system: System, y: np.ndarray, pat: FlowPattern, t: float
                ) -> tuple[FlowPattern, list[Event]]:
    a, b = system.sliding_margins(y, pat)  # normalized margins
    units = list(pat.captured)
    low = np.minimum(a, b)
    # units sharing a sample and an active set (duplicated breakpoints) reach the threshold
    # together and are released together
    chosen = np.flatnonzero(low <= low.min() + RELEASE_TOL).tolist()
    new: list[Event] = []
    x = system.x
    for j in chosen:
        i = units[j]
        m = pat.captured[i]
        active = bool(b[j] <= a[j])  # the active-side velocity stopped pointing at the sample
        pat = pat.release(i, active)
        new.append(Event("release", t, i, m, float(x[m]), "in" if active else "out"))
    return pat, new


def _float_data(data: Dataset) -> Dataset:
    if not isinstance(data, Dataset):
        raise InputError(f"data must be a Dataset, got {type(data).__name__}")
    return data.as_float()


def flow_network(net: Network, data: Dataset, time: float, **kwargs: object) -> FlowResult:
    """Gradient flow theta' = -grad L of a network (w, b, v, c) up to ``time``.

    Keyword arguments go to :func:`integrate` (``t_eval``, ``method``, ``rtol``, ``atol``,
    ``callback``). Returns a :class:`FlowResult` with ``param="network"``.
    """
    if not isinstance(net, Network):
        raise InputError(f"expected a Network, got {type(net).__name__}")
    net = net.as_float() if net.kind != "float" else net
    d = _float_data(data)
    system = NetworkSystem(d, net.H)
    t, Y, events, evals, pat = integrate(system, net.vector, float(time), **kwargs)
    s = tuple(int(v) for v in np.where(net.w >= 0, 1, -1))
    return FlowResult("network", t, Y, tuple(events), s, net.balance.copy(), evals,
                      dict(pat.captured))


def flow_spline(spline: Spline, data: Dataset, time: float,
                balance: float | np.ndarray = -1.0, **kwargs: object) -> FlowResult:
    """The induced quotient flow on (beta, mu, c) with fixed orientations and balances (THEORY 5.2).

    ``balance`` holds delta_i = v_i^2 - w_i^2 - b_i^2 (scalar or per unit); it is the only
    information beyond the function that the dynamics need.
    """
    if not isinstance(spline, Spline):
        raise InputError(f"expected a Spline, got {type(spline).__name__}")
    sp_ = spline.as_float() if spline.kind != "float" else spline
    d = _float_data(data)
    delta = np.broadcast_to(np.asarray(balance, dtype=np.float64), (sp_.H,)).copy()
    if not np.all(np.isfinite(delta)):
        raise ParameterError("balances must be finite")
    system = QuotientSystem(d, sp_.H, s=np.asarray(sp_.s, dtype=np.float64), delta=delta)
    system.w2(sp_.beta, sp_.mu)  # validates: raises when some unit has no representative
    t, Y, events, evals, pat = integrate(system, sp_.vector, float(time), **kwargs)
    return FlowResult("spline", t, Y, tuple(events), sp_.s, delta, evals, dict(pat.captured))


def flow(params: Network | Spline, data: Dataset, time: float, *, param: str | None = None,
         balance: float | np.ndarray | None = None, **kwargs: object) -> FlowResult:
    """Gradient flow in the ``param`` parameterization ("network" or "spline", default: that of
    ``params``). A network integrated as a spline keeps its own balances; a spline integrated as
    a network uses the representative with balance ``balance`` (default -1)."""
    param = param or ("network" if isinstance(params, Network) else "spline")
    if param not in ("network", "spline"):
        raise InputError(f"param must be 'network' or 'spline', got {param!r}")
    if param == "network":
        net = params if isinstance(params, Network) else params.to_network(
            -1.0 if balance is None else balance)
        return flow_network(net, data, time, **kwargs)
    if isinstance(params, Network):
        netf = params.as_float() if params.kind != "float" else params
        return flow_spline(netf.to_spline(), data, time, balance=netf.balance, **kwargs)
    return flow_spline(params, data, time, balance=-1.0 if balance is None else balance, **kwargs)
