"""Float64 gradient-flow vector fields on a fixed activation pattern, with Filippov sliding.

Inside one activation pattern the field theta' = -grad L is a polynomial (theory §2.2); it is
discontinuous only where a breakpoint meets a sample (theory §2.3, 5.4). Each unit's active set is a
contiguous index interval [lo_i, hi_i) of the sorted samples (a prefix or a suffix, possibly empty
or everything), so every sum over an active set is a difference of prefix sums: one field
evaluation costs O(N + H) time and memory, no N x H array is formed.

A *captured* unit i sits on the wall h_i(x_m) = 0 at sample m, where h_i(x) = w_i x + b_i (network)
or s_i (x - beta_i) (quotient): both are positive exactly on the active side. With
S_- = sum_{n in A_i \\ {m}} r_n (1 + x_m x_n) and S_+ = S_- + r_m (1 + x_m^2), the normal velocity
of the wall is h_i' = -(mu_i / N) S_-/+ times a positive factor (|w_i|^2 for the network, 1 for the
quotient up to |w_i|) on the inactive (-) and active (+) side. The flow slides when
h'_- > 0 > h'_+, i.e. -mu_i S_- > 0 and mu_i S_+ > 0; the Filippov field is then
(1 - lam) F_- + lam F_+ with lam = -S_- / (r_m (1 + x_m^2)) in (0, 1), which is the field obtained by
counting sample m in unit i's active sums with weight lam (f itself is continuous there because
unit i vanishes at x_m).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ..data import Dataset
from ..errors import ParameterError
from ..params import Network, Spline
from ..regions import Pattern

_EPS = float(np.finfo(float).eps)


@dataclass(frozen=True, eq=False)
class FlowPattern:
    """The flow's activation state: a :class:`symspline.regions.Pattern` (the library's one
    interval-pattern type: orientation s_i and gap k_i per unit) and the units held on a sample.

    Unit i is active on the samples [lo[i], hi[i]) (``Pattern.bounds_arrays``). ``captured`` maps
    a unit to the sample it is held on (Filippov sliding); that sample is *not* in the unit's
    interval, it enters the sums with the Filippov weight. The event code edits intervals as
    index arrays (:func:`move_point`) and builds the next state with :meth:`from_intervals`.
    """

    pattern: Pattern
    captured: dict[int, int] = field(default_factory=dict)

    @classmethod
    def from_intervals(cls, lo: np.ndarray, hi: np.ndarray, n: int,
                       captured: dict[int, int] | None = None) -> FlowPattern:
        """The state whose unit i is active on [lo_i, hi_i) of n sorted samples.

        A suffix [k, n) is s = +1, gap k; a prefix [0, k) is s = -1, gap k (an interval that is
        both, full or empty, is read as a suffix; an empty one anywhere is the suffix [n, n)).

        Raises
        ------
        ParameterError
            If some interval is neither a prefix nor a suffix (no line has that sign pattern).
        """
        lo = np.asarray(lo, dtype=np.intp)
        hi = np.asarray(hi, dtype=np.intp)
        suffix = (hi == n) | (lo >= hi)
        bad = ~suffix & (lo != 0)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ParameterError(f"unit {i + 1}: active set [{lo[i]}, {hi[i]}) of {n} samples "
                                 "is not a prefix or a suffix")
        s = np.where(suffix, 1, -1)
        k = np.where(suffix, np.where(lo >= hi, n, lo), hi)
        return cls(Pattern.from_arrays(s, k, n), {} if captured is None else dict(captured))

    @cached_property
    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = self.pattern.bounds_arrays()
        return lo.astype(np.intp, copy=False), hi.astype(np.intp, copy=False)

    @property
    def lo(self) -> np.ndarray:
        """First active sample of every unit (0-based)."""
        return self.bounds[0]

    @property
    def hi(self) -> np.ndarray:
        """One past the last active sample of every unit."""
        return self.bounds[1]

    @property
    def n(self) -> int:
        return self.pattern.n

    def ends(self, n: int) -> np.ndarray:
        """[lo, hi, lo + n + 1, hi + n + 1]: bincount indices of the two difference arrays of
        length n + 1 (slope and intercept), cached per pattern."""
        cache = self.__dict__.setdefault("_ends", {})
        if n not in cache:
            cache[n] = np.concatenate([self.lo, self.hi, self.lo + n + 1, self.hi + n + 1])
        return cache[n]

    @cached_property
    def captured_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Captured units and their samples as index arrays, in key order (computed once)."""
        k = len(self.captured)
        return (np.fromiter(self.captured.keys(), dtype=np.intp, count=k),
                np.fromiter(self.captured.values(), dtype=np.intp, count=k))

    def with_point(self, i: int, m: int, active: bool) -> FlowPattern:
        """The pattern with sample m moved into (``active``) or out of unit i's interval."""
        lo, hi = self.lo.copy(), self.hi.copy()
        move_point(lo, hi, i, m, active)
        cap = {k: v for k, v in self.captured.items() if k != i}
        return FlowPattern.from_intervals(lo, hi, self.n, cap)

    def capture(self, i: int, m: int) -> FlowPattern:
        """Unit i held on sample m: m leaves the interval and becomes the sliding point."""
        p = self.with_point(i, m, False)
        return FlowPattern(p.pattern, {**self.captured, i: m})

    def release(self, i: int, active: bool) -> FlowPattern:
        """End the sliding of unit i, leaving its point inactive or making it active."""
        m = self.captured[i]
        p = FlowPattern(self.pattern, {k: v for k, v in self.captured.items() if k != i})
        return p.with_point(i, m, True) if active else p

    def with_captured(self, captured: dict[int, int]) -> FlowPattern:
        """The same intervals with other held units."""
        return FlowPattern(self.pattern, dict(captured))


def move_point(lo: np.ndarray, hi: np.ndarray, i: int, m: int, enter: bool) -> None:
    """Sample m enters or leaves unit i's interval [lo_i, hi_i), in place (m is next to it)."""
    if enter:
        if lo[i] >= hi[i]:
            lo[i], hi[i] = m, m + 1
        else:
            lo[i], hi[i] = min(lo[i], m), max(hi[i], m + 1)
    elif m == lo[i]:
        lo[i] += 1
    elif m == hi[i] - 1:
        hi[i] -= 1


def filippov_weight(s_minus: np.ndarray, jump: np.ndarray) -> np.ndarray:
    """The sliding weight lam = -S_- / (r_m (1 + x_m^2)) of the held sample, clipped to [0, 1]
    (0 where the jump vanishes)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        lam = np.where(jump != 0.0, -s_minus / jump, 0.0)
    return np.clip(lam, 0.0, 1.0)


def pattern_from_lines(h_slope: np.ndarray, h_icpt: np.ndarray, x: np.ndarray) -> FlowPattern:
    """Intervals where h_i(x_n) = h_slope_i x_n + h_icpt_i > 0 (ties count as inactive).

    A linear function is positive on a prefix or a suffix of sorted samples, so the interval is
    found by a binary search of the root; the sign at the ends decides prefix or suffix.
    """
    n = x.shape[0]
    H = h_slope.shape[0]
    lo = np.zeros(H, dtype=np.intp)
    hi = np.zeros(H, dtype=np.intp)
    for i in range(H):
        pos = h_slope[i] * x + h_icpt[i] > 0
        idx = np.flatnonzero(pos)
        if idx.size == 0:
            lo[i] = hi[i] = n
        else:
            lo[i], hi[i] = idx[0], idx[-1] + 1
            if idx.size != hi[i] - lo[i]:  # cannot happen for a line; guards rounding
                raise ParameterError(f"unit {i + 1}: active set is not an interval")
    return FlowPattern.from_intervals(lo, hi, n)


def interval_pairs(lo: np.ndarray, hi: np.ndarray, units: np.ndarray, n: int
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(unit, sample, sign) of the constraints of ``units`` with active intervals [lo, hi) on n
    sorted samples: the active ends (sign +1) and the ends of the inactive complement (-1)."""
    lo, hi = lo[units].astype(np.intp), hi[units].astype(np.intp)
    full = hi > lo
    left = full & (lo > 0)
    right = full & (hi < n) & ~left
    empty = ~full
    uf, ul, ur, ue = units[full], units[left], units[right], units[empty]
    out_u = np.concatenate([uf, uf, ul, ul, ur, ur, ue, ue])
    out_p = np.concatenate([lo[full], hi[full] - 1, lo[left] - 1, np.zeros(ul.size, np.intp),
                            hi[right], np.full(ur.size, n - 1, np.intp),
                            np.zeros(ue.size, np.intp), np.full(ue.size, n - 1, np.intp)])
    signs = np.concatenate([np.ones(2 * uf.size), -np.ones(out_u.size - 2 * uf.size)])
    return out_u, out_p, signs


def _interval_sums(prefix: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    return prefix[hi] - prefix[lo]


def _prefix(values: np.ndarray) -> np.ndarray:
    out = np.zeros(values.shape[0] + 1)
    np.cumsum(values, out=out[1:])
    return out


@dataclass(frozen=True, eq=False)
class System:
    """Gradient flow of L = (1/2N) sum r_n^2 in one parameterization, float64.

    Subclasses implement :meth:`lines` (per-unit slope and intercept of f on its active set),
    :meth:`wall` (h_i(x) as slope and intercept, positive on the active side), :meth:`velocity`
    (the field from the per-unit residual sums) and :meth:`project` (put a unit exactly on a wall).
    """

    data: Dataset
    H: int
    #: How accurately the state is known: relative (``rtol``) and absolute (``atol``) error of
    #: the integrator. Residual sums smaller than what this error can move are not trusted to
    #: decide an event (see :meth:`residual_noise`); 0 means exact decisions.
    noise_rel: float = 0.0
    noise_abs: float = 0.0
    #: The leaky-ReLU slope alpha in [0, 1) (``negative_slope``; 0 is the ReLU): unit i adds
    #: alpha times its line off its active set, so every active-set sum of the field becomes the
    #: gained sum (1 - alpha) sum_{A_i} + alpha sum_all (:meth:`gained`).
    alpha: float = 0.0
    #: The weight decay lambda >= 0: the field is -grad (L + (lambda/2) ||theta||^2) in network
    #: parameters, and its image in the quotient (:meth:`decay_rate`).
    weight_decay: float = 0.0

    @property
    def x(self) -> np.ndarray:
        return self.data.x

    @property
    def gain(self) -> float:
        """1 - alpha: the weight of the active side's extra part (1 for the ReLU)."""
        return 1.0 - self.alpha

    def gained(self, sr: np.ndarray, srx: np.ndarray, total: float, total_x: float
               ) -> tuple[np.ndarray, np.ndarray]:
        """The per-unit sums of the field, (1 - alpha) S(A_i) + alpha S(all), from the active-set
        sums (sr, srx) = sum_{A_i} (r_n, r_n x_n) and the totals over all samples."""
        if self.alpha == 0.0:
            return sr, srx
        a = self.alpha
        return (1.0 - a) * sr + a * total, (1.0 - a) * srx + a * total_x

    def set_sums(self, prefix: np.ndarray, lo: np.ndarray, hi: np.ndarray, xm: np.ndarray
                 ) -> np.ndarray:
        """Gained sums over [lo, hi) of r_n (1 + x_m x_n): (1 - alpha) sum_{[lo, hi)} + alpha
        sum_all, from the prefix sums (rows: r, r x) of :meth:`_prefixes`."""
        s = (prefix[0, hi] - prefix[0, lo]) + xm * (prefix[1, hi] - prefix[1, lo])
        if self.alpha == 0.0:
            return s
        a = self.alpha
        return (1.0 - a) * s + a * (prefix[0, -1] + xm * prefix[1, -1])

    def params(self, y: np.ndarray) -> object:
        """The state as the model's parameter object (Network or Spline, with its activation)."""
        raise NotImplementedError

    def decay_rate(self, y: np.ndarray) -> np.ndarray | None:
        """The weight-decay part of the field (None when lambda = 0); smooth in y."""
        raise NotImplementedError

    def field(self, y: np.ndarray, sr: np.ndarray, srx: np.ndarray, total: float,
              total_x: float, pat: FlowPattern) -> np.ndarray:
        """The loss part of the field, linear in the residual sums: :meth:`velocity` of the
        gained sums (sr, srx over the active sets; totals over all samples)."""
        sr, srx = self.gained(sr, srx, total, total_x)
        return self.velocity(y, sr, srx, total, pat)

    @property
    def size(self) -> int:
        raise NotImplementedError

    def lines(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        raise NotImplementedError

    def wall(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def velocity(self, y: np.ndarray, sr: np.ndarray, srx: np.ndarray,
                 total: float, pat: FlowPattern) -> np.ndarray:
        raise NotImplementedError

    def unit_index(self, units: np.ndarray) -> np.ndarray:
        """Indices (d, k) of all coordinates of y that belong to ``units`` (the wall's first)."""
        raise NotImplementedError

    def unit_velocity(self, units: np.ndarray, comp: np.ndarray, sr: np.ndarray,
                      srx: np.ndarray) -> np.ndarray:
        """Rates (d, k) of the coordinates ``comp = y[unit_index(units)]`` given each unit's sums
        sr = sum_A r_n and srx = sum_A r_n x_n. Linear in (sr, srx): with the sums of one sample
        (r_m, r_m x_m) it is the jump of the unit's rates when m enters its active set."""
        raise NotImplementedError

    def project(self, y: np.ndarray, i: int | np.ndarray, m: int | np.ndarray) -> np.ndarray:
        """y with units i put exactly on their walls h_i(x_m) = 0 (scalars or index arrays)."""
        raise NotImplementedError

    def delta_slope(self, y: np.ndarray) -> np.ndarray:
        """mu_i (its sign decides the sliding condition)."""
        raise NotImplementedError

    def unit_mu(self, units: np.ndarray, comp: np.ndarray) -> np.ndarray:
        """mu_i of ``units`` from their coordinates ``comp = y[unit_index(units)]``."""
        raise NotImplementedError

    def wall_index(self, units: np.ndarray) -> np.ndarray:
        """Indices (d, k) of the coordinates of y that the walls h_i of ``units`` depend on."""
        raise NotImplementedError

    def wall_from(self, units: np.ndarray, comp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(slope, intercept) of h_i for ``units`` from ``comp = y[wall_index(units)]`` (shape
        (d, k, ...) when the coordinates are sampled at several times)."""
        raise NotImplementedError

    def diagnose(self, y: np.ndarray) -> str:
        """Why an integration may have failed at y ("" if nothing is known)."""
        return ""

    # ------------------------------------------------------------------ shared
    def initial_pattern(self, y: np.ndarray) -> FlowPattern:
        a, g = self.wall(y)
        return pattern_from_lines(a, g, self.x)

    def residuals(self, y: np.ndarray, pat: FlowPattern) -> np.ndarray:
        """r_n = f(x_n) - y_n with f continued polynomially on the pattern (O(N + H)).

        f(x_n) = c + (1 - alpha) sum_{i: n in A_i} (a_i x_n + g_i) + alpha sum_i (a_i x_n + g_i)."""
        a, g, c = self.lines(y)
        n = self.x.shape[0]
        # difference arrays: unit i adds a_i x + g_i on [lo_i, hi_i); both in one bincount over
        # the pattern's cached indices
        d = np.bincount(pat.ends(n), np.concatenate([a, -a, g, -g]), 2 * n + 2)
        sl = np.cumsum(d.reshape(2, n + 1)[:, :n], axis=1)
        if self.alpha == 0.0:
            return sl[0] * self.x + sl[1] + (c - self.data.y)
        k = self.alpha
        return ((1.0 - k) * (sl[0] * self.x + sl[1]) + k * (a.sum() * self.x + g.sum())
                + (c - self.data.y))

    def sliding_sums(self, r: np.ndarray, pat: FlowPattern,
                     prefix: np.ndarray | None = None) -> tuple[
            np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """For captured units (in key order): units, points, S_- and the jump (1 - alpha) r_m
        (1 + x_m^2) of S when m joins the active set (S_-: the gained sum of
        r_n (1 + x_m x_n) with m inactive, :meth:`set_sums`).

        ``prefix`` may pass the prefix sums of (r, r x) (rows) when the caller has them."""
        units, pts = pat.captured_arrays
        x = self.x
        if prefix is None:
            prefix = self._prefixes(r)
        xm = x[pts]
        return (units, pts, self.set_sums(prefix, pat.lo[units], pat.hi[units], xm),
                self.gain * r[pts] * (1.0 + xm * xm))

    def _prefixes(self, r: np.ndarray) -> np.ndarray:
        """Rows: prefix sums (with a leading 0) of r and of r x."""
        out = np.zeros((2, r.shape[0] + 1))
        np.cumsum(r, out=out[0, 1:])
        np.cumsum(r * self.x, out=out[1, 1:])
        return out

    def rhs(self, y: np.ndarray, pat: FlowPattern) -> np.ndarray:
        """The (Filippov) field on ``pat``: -grad (L + penalty), with captured samples weighted
        by lam. The decay part is smooth and vanishes on every wall's normal (it scales
        h_i(x_m) by a positive factor), so it changes no event's kind."""
        r = self.residuals(y, pat)
        x = self.x
        p = self._prefixes(r)
        s = p.take(pat.hi, axis=1) - p.take(pat.lo, axis=1)  # (take: 5x faster than p[:, hi])
        sr, srx = s[0], s[1]
        if pat.captured:
            units, pts, s_minus, jump = self.sliding_sums(r, pat, p)
            lam = filippov_weight(s_minus, jump)
            sr[units] += lam * r[pts]
            srx[units] += lam * r[pts] * x[pts]
        out = self.field(y, sr, srx, float(p[0, -1]), float(p[1, -1]), pat)
        if self.weight_decay:
            out += self.decay_rate(y)
        return out

    def sliding_margins(self, y: np.ndarray, pat: FlowPattern) -> tuple[np.ndarray, np.ndarray]:
        """(-mu_i S_-, mu_i S_+) per captured unit, divided by sum_n |r_n| (1 + |x_m x_n|):
        sliding holds while both are positive.

        The scale must not contain |mu_i|: the margins change sign with mu_i (the kink vanishes
        at mu_i = 0), and dividing by |mu_i| would turn that continuous sign change into a jump
        that no root finder can locate."""
        r = self.residuals(y, pat)
        units, pts, s_minus, jump = self.sliding_sums(r, pat)
        mu = self.delta_slope(y)[units]
        ar = np.abs(r)
        scale = ar.sum() + np.abs(self.x[pts]) * float(ar @ np.abs(self.x))
        scale = np.where(scale > 0, scale, 1.0)
        return -mu * s_minus / scale, mu * (s_minus + jump) / scale

    def residual_noise(self, y: np.ndarray, pat: FlowPattern) -> np.ndarray:
        """eps_n >= 0: how far r_n may be from the residual of the exact trajectory.

        The integrator keeps each parameter within about ``noise_rel`` (relative) and
        ``noise_abs`` (absolute) of the exact flow, so each term v_i h_i(x_n) of f(x_n) is
        uncertain by about ``noise_rel`` times its size: eps_n = noise_rel (sum over the active
        units of |v_i h_i(x_n)| + |c|) + noise_abs, plus 16 ulp of the same sum for rounding.
        Continuous in y inside a pattern (|v_i h_i| is linear on the active side), so a margin
        shifted by it can still be located by a root finder.
        """
        a, g, c = self.lines(y)
        wa, _ = self.wall(y)
        sgn = np.sign(a * wa)  # unit term = sgn (a x + g) > 0 on the active side, h_i > 0 there
        n = self.x.shape[0]
        d = np.bincount(pat.ends(n), np.concatenate([sgn * a, -sgn * a, sgn * g, -sgn * g]),
                        minlength=2 * n + 2)
        sl = np.cumsum(d.reshape(2, n + 1)[:, :n], axis=1)
        size = np.abs(sl[0] * self.x + sl[1])
        if self.alpha:  # (the off-side terms alpha |v_i h_i|, up to cancellation)
            k = self.alpha
            size = (1.0 - k) * size + k * np.abs(float(np.sum(sgn * a)) * self.x
                                                 + float(np.sum(sgn * g)))
        size = size + abs(c)
        return (self.noise_rel + 16.0 * _EPS) * size + self.noise_abs

    def sum_noise(self, eps: np.ndarray, lo: np.ndarray, hi: np.ndarray, pts: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
        """Uncertainty of S_- (the gained sum over [lo, hi) of r_n (1 + x_m x_n)) and of the jump
        (1 - alpha) r_m (1 + x_m^2), from the residual uncertainties ``eps`` (per unit, arrays)."""
        x = self.x
        p0, p1 = _prefix(eps), _prefix(eps * np.abs(x))
        xm = x[pts]
        s = (p0[hi] - p0[lo]) + np.abs(xm) * (p1[hi] - p1[lo])
        if self.alpha:
            s = self.gain * s + self.alpha * (p0[-1] + np.abs(xm) * p1[-1])
        return s, self.gain * eps[pts] * (1.0 + xm * xm)

    def sliding_noise(self, y: np.ndarray, pat: FlowPattern) -> tuple[np.ndarray, np.ndarray]:
        """Uncertainties of the two normalized margins of :meth:`sliding_margins` (same order
        and scale): |mu_i| times the uncertainty of S_- and of S_+."""
        units, pts = pat.captured_arrays
        if units.size == 0 or (self.noise_rel == 0.0 and self.noise_abs == 0.0):
            z = np.zeros(units.size)
            return z, z
        r = self.residuals(y, pat)
        eps = self.residual_noise(y, pat)
        s_minus, jump = self.sum_noise(eps, pat.lo[units], pat.hi[units], pts)
        mu = np.abs(self.delta_slope(y)[units])
        ar = np.abs(r)
        scale = ar.sum() + np.abs(self.x[pts]) * float(ar @ np.abs(self.x))
        scale = np.where(scale > 0, scale, 1.0)
        return mu * s_minus / scale, mu * (s_minus + jump) / scale

    def one_sided(self, y: np.ndarray, pat: FlowPattern, i: int, m: int) -> tuple[float, float]:
        """(-mu_i S_-, -mu_i S_+): signs of h_i' at x_m on the inactive and the active side."""
        trial = pat.with_captured({**pat.captured, i: m})
        if pat.lo[i] <= m < pat.hi[i]:
            trial = pat.with_point(i, m, False).with_captured(trial.captured)
        r = self.residuals(y, trial)
        units, _, s_minus, jump = self.sliding_sums(r, trial)
        k = int(np.flatnonzero(units == i)[0])
        mu = float(self.delta_slope(y)[i])
        return -mu * float(s_minus[k]), -mu * float(s_minus[k] + jump[k])

    def one_sided_noise(self, y: np.ndarray, pat: FlowPattern, i: int, m: int
                        ) -> tuple[float, float]:
        """Uncertainties of the two values of :meth:`one_sided` (|mu_i| times those of S_-
        and S_+); zeros when ``noise_rel`` and ``noise_abs`` are 0."""
        if self.noise_rel == 0.0 and self.noise_abs == 0.0:
            return 0.0, 0.0
        lo, hi = pat.lo.copy(), pat.hi.copy()
        if lo[i] <= m < hi[i]:
            move_point(lo, hi, i, m, False)
        eps = self.residual_noise(y, FlowPattern.from_intervals(lo, hi, self.x.shape[0]))
        s_minus, jump = self.sum_noise(eps, lo[[i]], hi[[i]], np.array([m]))
        mu = abs(float(self.delta_slope(y)[i]))
        return mu * float(s_minus[0]), mu * float(s_minus[0] + jump[0])

    def wall_pairs(self, pat: FlowPattern) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(unit, sample, sign) of every constraint keeping the pattern valid: sign * h_i(x_m) > 0.

        For an interval [lo, hi) the line h_i must be positive at x_lo and x_{hi-1} and negative at
        both ends of the complement; by linearity these four points suffice. Captured units keep
        only their other constraints.
        """
        units, pts, signs = interval_pairs(pat.lo, pat.hi, np.arange(self.H, dtype=np.intp),
                                           self.x.shape[0])
        if pat.captured:
            cap = np.full(self.H, -1, dtype=np.intp)
            cap[list(pat.captured)] = list(pat.captured.values())
            keep = cap[units] != pts
            units, pts, signs = units[keep], pts[keep], signs[keep]
        return units, pts, signs

    def pair_values(self, y: np.ndarray, pairs: tuple[np.ndarray, np.ndarray, np.ndarray]
                    ) -> np.ndarray:
        """sign * h_i(x_m) for the constraint pairs (all positive inside the pattern)."""
        a, g = self.wall(y)
        u, m, sg = pairs
        return sg * (a[u] * self.x[m] + g[u])


@dataclass(frozen=True, eq=False)
class NetworkSystem(System):
    """theta = (w, b, v, c): w' = -(v/N) S_rx, b' = -(v/N) S_r, v' = -(w S_rx + b S_r)/N."""

    @property
    def size(self) -> int:
        return 3 * self.H + 1

    def split(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        H = self.H
        return y[:H], y[H:2 * H], y[2 * H:3 * H], float(y[3 * H])

    def lines(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        """(Q_i, P_i, c): the slopes and intercepts of ``Network.unit_lines`` (v w, v b)."""
        w, b, v, c = self.split(y)
        return v * w, v * b, c

    def params(self, y: np.ndarray) -> Network:
        return Network.from_vector(y, self.H, negative_slope=self.alpha)

    def decay_rate(self, y: np.ndarray) -> np.ndarray | None:
        """-lambda theta: the gradient of (lambda/2) ||theta||^2 (``Network.decay``), negated."""
        return -self.weight_decay * y if self.weight_decay else None

    def wall(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        w, b, _, _ = self.split(y)
        return w, b

    def delta_slope(self, y: np.ndarray) -> np.ndarray:
        w, _, v, _ = self.split(y)
        return v * np.abs(w)

    def unit_mu(self, units: np.ndarray, comp: np.ndarray) -> np.ndarray:
        return comp[2] * np.abs(comp[0])

    def velocity(self, y: np.ndarray, sr: np.ndarray, srx: np.ndarray,
                 total: float, pat: FlowPattern) -> np.ndarray:
        H = self.H
        out = np.empty(3 * H + 1)
        out[:3 * H] = self.unit_velocity(None, y[:3 * H].reshape(3, H), sr, srx).ravel()
        out[3 * H] = -total / self.x.shape[0]
        return out

    def unit_index(self, units: np.ndarray) -> np.ndarray:
        return np.stack([units, self.H + units, 2 * self.H + units])

    def unit_velocity(self, units: np.ndarray | None, comp: np.ndarray, sr: np.ndarray,
                      srx: np.ndarray) -> np.ndarray:
        w, b, v = comp
        out = np.empty((3,) + np.shape(w))
        np.multiply(v, srx, out=out[0])
        np.multiply(v, sr, out=out[1])
        np.add(w * srx, b * sr, out=out[2])
        out *= -1.0 / self.x.shape[0]
        return out

    def wall_index(self, units: np.ndarray) -> np.ndarray:
        return np.stack([units, self.H + units])

    def wall_from(self, units: np.ndarray, comp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return comp[0], comp[1]

    def jacobian(self, y: np.ndarray) -> np.ndarray:
        """-Hess (L + penalty) of the pattern reached from the right (stiff solvers' Newton
        steps): the float kernel's Hessian of the model, minus lambda I."""
        from .. import kernels

        out = -np.asarray(kernels.hessian(self.params(y), self.data, side="right"), dtype=float)
        if self.weight_decay:
            out -= self.weight_decay * np.eye(y.size)
        return out

    def project(self, y: np.ndarray, i: int | np.ndarray, m: int | np.ndarray) -> np.ndarray:
        # rotate (w_i, b_i) onto the wall w x_m + b = 0 keeping w_i^2 + b_i^2, so the balance
        # delta_i = v_i^2 - w_i^2 - b_i^2 is unchanged (moving b_i alone broke it by the size of
        # the off-wall error, which a captured unit accumulates over a long slide); the move is
        # of integrator-tolerance size. w x_m + b = w x_m - w x_m = 0 holds exactly.
        out = y.copy()
        i = np.atleast_1d(np.asarray(i, dtype=np.intp))
        xm = self.x[np.atleast_1d(np.asarray(m, dtype=np.intp))]
        w, b = out[i], out[self.H + i]
        w = np.where(w != 0.0, np.copysign(np.hypot(w, b) / np.sqrt(1.0 + xm * xm), w), w)
        out[i] = w
        out[self.H + i] = -w * xm
        return out


@dataclass(frozen=True, eq=False)
class QuotientSystem(System):
    """(beta, mu, c) with orientations s and balances delta (theory §5.2).

    (beta_i', mu_i') = -M_i grad_(beta_i, mu_i) L, M_i = [[(1 + beta^2)/w^2, -beta mu / w^2],
    [-beta mu / w^2, mu^2 / w^2 + w^2]], with w^2 the positive root of
    (1 + beta^2) w^4 + delta w^2 - mu^2 = 0.

    With weight decay lambda > 0 the network field gains -lambda theta, whose image under
    P_i = d(beta_i, mu_i)/d(w_i, b_i, v_i) is P_i theta_i = (0, 2 mu_i) (Euler: beta_i is
    homogeneous of degree 0, mu_i of degree 2), so beta_i' is unchanged, mu_i' gains
    -2 lambda mu_i and c' gains -lambda c; the balances decay, delta_i(t) = delta_i(0)
    exp(-2 lambda t), and M_i is taken with delta_i(t). The state then carries the time as a
    last coordinate (``clock``, rate 1) so that the field stays autonomous.
    """

    s: np.ndarray = field(default=None)
    delta: np.ndarray = field(default=None)

    @property
    def clock(self) -> bool:
        """Whether y ends with the time t (only with weight decay: delta depends on t)."""
        return bool(self.weight_decay)

    @property
    def size(self) -> int:
        return 2 * self.H + 1 + int(self.clock)

    def split(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        H = self.H
        return y[:H], y[H:2 * H], float(y[2 * H])

    def params(self, y: np.ndarray) -> Spline:
        return Spline.from_vector(y[:2 * self.H + 1], tuple(int(v) for v in self.s),
                                  negative_slope=self.alpha)

    def delta_at(self, t: float | np.ndarray) -> np.ndarray:
        """delta_i(t) = delta_i(0) exp(-2 lambda t) (delta_i(0) when lambda = 0)."""
        if not self.clock:
            return self.delta
        return self.delta * np.exp(-2.0 * self.weight_decay * np.asarray(t, dtype=float))

    def decay_rate(self, y: np.ndarray) -> np.ndarray | None:
        """(beta', mu', c', t') of the decay: (0, -2 lambda mu, -lambda c, 1)."""
        if not self.weight_decay:
            return None
        H, lam = self.H, self.weight_decay
        out = np.zeros(y.size)
        out[H:2 * H] = -2.0 * lam * y[H:2 * H]
        out[2 * H] = -lam * y[2 * H]
        out[2 * H + 1] = 1.0
        return out

    def w2(self, beta: np.ndarray, mu: np.ndarray, t: float = 0.0) -> np.ndarray:
        """Positive root w^2 of (1 + beta^2) w^4 + delta(t) w^2 - mu^2 = 0 (no cancellation)."""
        from .quotient import abs_w_squared

        try:
            return abs_w_squared(beta, mu, self.delta_at(t))
        except ParameterError as exc:
            raise ParameterError(f"{exc}: the quotient flow is undefined there; integrate in "
                                 "the network parameterization") from None

    def lines(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        beta, mu, c = self.split(y)
        a = mu * self.s
        return a, -a * beta, c

    def wall(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        beta, _, _ = self.split(y)
        return self.s.copy(), -self.s * beta

    def delta_slope(self, y: np.ndarray) -> np.ndarray:
        return self.split(y)[1]

    def unit_mu(self, units: np.ndarray, comp: np.ndarray) -> np.ndarray:
        return comp[1]

    def velocity(self, y: np.ndarray, sr: np.ndarray, srx: np.ndarray,
                 total: float, pat: FlowPattern) -> np.ndarray:
        H = self.H
        out = np.zeros(y.size)
        # (a held unit's beta' is zero through lam, up to rounding; once lam is clipped at 0 or 1
        # the same formula is the field of the released unit, as in the network view)
        idx = self.unit_index(np.arange(H))
        out[idx] = self.unit_velocity(None, y[idx], sr, srx)
        out[2 * H] = -total / self.x.shape[0]
        return out

    def unit_index(self, units: np.ndarray) -> np.ndarray:
        """Rows beta_i, mu_i (and the clock, shared, with weight decay)."""
        if self.clock:
            return np.stack([units, self.H + units, np.full_like(units, 2 * self.H + 1)])
        return np.stack([units, self.H + units])

    def diagnose(self, y: np.ndarray) -> str:
        beta, mu, _ = self.split(y)
        w2 = self.w2(beta, mu, float(y[-1]) if self.clock else 0.0)
        i = int(np.argmin(w2 / (1.0 + np.abs(mu))))
        if w2[i] < 1e-8 * (1.0 + abs(mu[i])):
            return (f" (unit {i + 1}: w^2 = {w2[i]:.3g}, beta = {beta[i]:.6g}: the breakpoint "
                    "escapes to infinity, where the quotient chart is singular; integrate in the "
                    "network parameterization)")
        return ""

    def unit_velocity(self, units: np.ndarray | None, comp: np.ndarray, sr: np.ndarray,
                      srx: np.ndarray) -> np.ndarray:
        from .quotient import abs_w_squared

        beta, mu = comp[0], comp[1]
        s = self.s if units is None else self.s[units]
        n = self.x.shape[0]
        g_beta = -s * mu * sr / n
        g_mu = s * (srx - beta * sr) / n
        delta = self.delta if units is None else self.delta[units]
        if self.clock:
            delta = delta * np.exp(-2.0 * self.weight_decay * comp[2])
        if units is None:
            try:
                w2 = abs_w_squared(beta, mu, delta)
            except ParameterError as exc:
                raise ParameterError(f"{exc}: the quotient flow is undefined there; integrate "
                                     "in the network parameterization") from None
        else:
            w2 = abs_w_squared(beta, mu, delta)
        m00 = (1.0 + beta * beta) / w2
        m01 = -beta * mu / w2
        m11 = mu * mu / w2 + w2
        rates = [-(m00 * g_beta + m01 * g_mu), -(m01 * g_beta + m11 * g_mu)]
        if self.clock:  # (the clock's rate is in decay_rate: this part is linear in the sums)
            rates.append(np.zeros_like(rates[0]))
        return np.stack(rates)

    def wall_index(self, units: np.ndarray) -> np.ndarray:
        return units[None]

    def wall_from(self, units: np.ndarray, comp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s = self.s[units].reshape(units.shape + (1,) * (comp.ndim - 1 - units.ndim))
        return s, -s * comp[0]

    def jacobian(self, y: np.ndarray) -> np.ndarray:
        """Finite-difference Jacobian of the quotient field (stiff solvers only; O(H) fields)."""
        pat = self.initial_pattern(y)
        f0 = self.rhs(y, pat)
        out = np.empty((y.size, y.size))
        for k in range(y.size):
            e = 1e-7 * max(1.0, abs(y[k]))
            yy = y.copy()
            yy[k] += e
            out[:, k] = (self.rhs(yy, pat) - f0) / e
        return out

    def project(self, y: np.ndarray, i: int | np.ndarray, m: int | np.ndarray) -> np.ndarray:
        out = y.copy()
        out[np.asarray(i, dtype=np.intp)] = self.x[np.asarray(m, dtype=np.intp)]
        return out
