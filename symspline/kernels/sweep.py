"""The sweep over sorted breakpoints: data segments between breakpoints and sums over active sets.

Every unit of a shallow univariate ReLU network is active on a *prefix* or a *suffix* of the sorted
samples (docs/theory.md §0): A_i = {n >= k_i} when s_i = +1 and A_i = {n < k_i} when s_i = -1 (0-based). The
distinct gaps 0 = B_0 < B_1 < ... < B_m = N cut the data into m <= H + 1 non-empty *segments* on
which the set of active units is constant. Everything the kernels compute is then

* a per-segment sum of a data moment (one pass over the data with ``np.add.reduceat``), or
* a per-segment sum over units (a sweep: sort the events once, accumulate), or
* a per-unit sum over segments (a prefix or a suffix sum over the m segment values).

so a loss, gradient or Hessian-vector product costs O(N + H log H) and memory O(N + H), and no
N x H array is ever formed.

Coordinates are shifted, x' = x - t with t = x_1 (the smallest sample), for two reasons: sums of
x' and x'^2 are prefix sums of non-negative numbers, hence monotone (the Hessian kernels rely on
that to build interval-intersection sums with ``minimum``/``maximum`` instead of gathers), and
differences x - beta are formed as x' - beta' without cancelling large offsets.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..data import Dataset
from ..errors import InputError, KinkError
from ..params import Network, Spline

SIDES = (None, "left", "right")


@dataclass(frozen=True, eq=False)
class Layout:
    """Active sets of all units as prefixes/suffixes of the sorted data, with segment moments.

    Attributes
    ----------
    n : int
        Number of samples N.
    t : float
        Shift of the coordinates, t = x_1; ``xs`` holds x' = x - t >= 0.
    xs, y : ndarray, shape (N,)
        Shifted sorted inputs and the matching targets.
    suffix : ndarray of bool, shape (H,)
        True when A_i = {n >= k_i} (s_i = +1), False when A_i = {n < k_i} (s_i = -1).
    k : ndarray of int, shape (H,)
        Gap of every unit (number of samples left of its breakpoint).
    bounds : ndarray of int, shape (m + 1,)
        Distinct segment boundaries 0 = B_0 < ... < B_m = N.
    rank : ndarray of int, shape (H,)
        Position of k_i in ``bounds``: unit i is active on segments [rank_i, m) or [0, rank_i).
    m0 : ndarray, shape (m,)
        Per-segment sample counts (``m1``, ``m2``: sums of x' and x'^2, computed on demand).
    """

    n: int
    t: float
    xs: np.ndarray
    y: np.ndarray
    suffix: np.ndarray
    k: np.ndarray
    bounds: np.ndarray
    rank: np.ndarray
    m0: np.ndarray

    @classmethod
    def build(cls, data: Dataset, suffix: np.ndarray, k: np.ndarray) -> Layout:
        """Segments for units with active sets given by ``suffix`` and gaps ``k`` (O(N + H log H))."""
        x = data.x
        n = int(x.shape[0])
        t = float(x[0])
        xs = x - t
        # np.unique sorts the H gaps: the only super-linear step in H.
        bounds, inverse = np.unique(np.concatenate(([0, n], k)), return_inverse=True)
        rank = inverse[2:]
        m0 = np.diff(bounds).astype(np.float64)
        return cls(n, t, xs, data.y, suffix, k, bounds, rank, m0)

    # Segment moments of x' and x'^2 are needed for second derivatives only: computed on demand.
    @cached_property
    def m1(self) -> np.ndarray:
        """Per-segment sums of x' (shape (m,))."""
        return self.segment_sums(self.xs)

    @cached_property
    def m2(self) -> np.ndarray:
        """Per-segment sums of x'^2 (shape (m,))."""
        return self.segment_sums(self.xs * self.xs)

    @property
    def H(self) -> int:
        """Number of units."""
        return int(self.k.shape[0])

    @property
    def m(self) -> int:
        """Number of non-empty segments."""
        return int(self.m0.shape[0])

    # ------------------------------------------------------------------ segments -> units
    def active_sums(self, seg: np.ndarray) -> np.ndarray:
        """Sum over every unit's active set of per-segment values ``seg`` (shape (m,) -> (H,)).

        A suffix set takes a suffix sum, a prefix set a prefix sum: both are plain accumulations,
        so no large total is formed and then cancelled by a subtraction.
        """
        prefix = np.zeros(seg.shape[0] + 1)
        np.cumsum(seg, out=prefix[1:])
        suffix = np.zeros(seg.shape[0] + 1)
        np.cumsum(seg[::-1], out=suffix[1:])
        suffix = suffix[::-1]  # suffix[j] = sum_{l >= j} seg[l]
        return np.where(self.suffix, suffix[self.rank], prefix[self.rank])

    # ------------------------------------------------------------------ units -> segments
    def segment_totals(self, values: np.ndarray) -> np.ndarray:
        """Sum of ``values`` (shape (H,)) over the units active on each segment (shape (m,)).

        The sweep: a suffix unit joins at its rank and stays; a prefix unit is present on every
        segment before its rank. Two accumulations (left to right for suffix units, right to left
        for prefix units) avoid adding a unit and later subtracting it again.
        """
        m = self.m
        up = np.bincount(self.rank, weights=np.where(self.suffix, values, 0.0), minlength=m + 1)
        down = np.bincount(self.rank, weights=np.where(self.suffix, 0.0, values), minlength=m + 1)
        left = np.cumsum(up[:m])
        right = np.cumsum(down[::-1])[::-1]  # right[j] = sum_{r >= j} down[r]
        return left + right[1:]

    # ------------------------------------------------------------------ segments -> samples
    def expand(self, seg: np.ndarray) -> np.ndarray:
        """Per-sample array holding each segment's value on its samples (shape (m,) -> (N,))."""
        return np.repeat(seg, np.diff(self.bounds))

    def segment_sums(self, values: np.ndarray) -> np.ndarray:
        """Per-segment sums of a per-sample array (shape (N,) -> (m,))."""
        return np.add.reduceat(values, self.bounds[:-1])

    # ------------------------------------------------------------------ prefix moments
    def prefix(self, seg: np.ndarray) -> np.ndarray:
        """Prefix sums over segments, P[0] = 0, P[j] = sum_{l < j} seg[l] (shape (m + 1,))."""
        out = np.zeros(seg.shape[0] + 1)
        np.cumsum(seg, out=out[1:])
        return out


def check_side(side: str | None) -> None:
    """Reject anything but None, "left" and "right"."""
    if side not in SIDES:
        raise InputError(f"side must be 'left' or 'right', got {side!r}")


def breakpoint_gaps(beta: np.ndarray, x: np.ndarray, side: str | None,
                    units: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Gaps k_i = #{n : x_n < beta_i} and the first kink, with :func:`symspline.locate` semantics.

    A breakpoint exactly on a sample x_m is a kink. With ``side="left"`` it is given the gap it has
    when approached from below (m samples on its left), with ``side="right"`` the one from above
    (m + 1). Returns the gaps and, when ``side`` is None and there is a kink, the (unit, sample)
    pair of the first one (lowest unit index) so that the caller can raise.
    """
    n = x.shape[0]
    k = np.searchsorted(x, beta, side="left")
    on = (k < n) & (x[np.minimum(k, n - 1)] == beta)
    kink = None
    if on.any():
        j = int(np.flatnonzero(on)[0])
        if side is None:
            unit = int(units[j]) if units is not None else j
            kink = np.array([unit, int(k[j])])
        elif side == "right":
            k = k + on
    return k.astype(np.intp), kink


def network_layout(net: Network, data: Dataset, side: str | None,
                   strict: bool) -> Layout:
    """Active sets of a float network; a kink raises :class:`KinkError` only when ``strict``.

    Unit i with w_i != 0 has s_i = sign(w_i) and breakpoint -b_i / w_i. A unit with w_i = 0 is the
    constant v_i [b_i]_+: active everywhere (a suffix from 0) when b_i > 0, nowhere (a suffix from
    N) when b_i < 0. With w_i = b_i = 0 every sample is on its kink; as in
    :func:`symspline.locate`, "right" makes it active everywhere and "left" dead.
    """
    check_side(side)
    w, b = net.w, net.b
    n = data.n
    live = w != 0
    idx = np.flatnonzero(live)
    beta = -b[idx] / w[idx]
    k = np.empty(net.H, dtype=np.intp)
    eff = side if side is not None else ("left" if not strict else None)
    k_live, kink = breakpoint_gaps(beta, data.x, eff, idx)
    k[idx] = k_live
    suffix = np.ones(net.H, dtype=bool)
    suffix[idx] = w[idx] > 0
    flat = ~live
    if flat.any():
        bf = b[flat]
        both_zero = bf == 0
        kz = np.where(bf > 0, 0, n)
        if both_zero.any():
            if eff is None:
                first = int(np.flatnonzero(flat)[np.flatnonzero(both_zero)[0]])
                if kink is None or first < kink[0]:
                    kink = np.array([first, 0])
            kz = np.where(both_zero, 0 if eff == "right" else n, kz)
        k[flat] = kz
    if kink is not None:
        unit, point = int(kink[0]), int(kink[1])
        raise KinkError(unit, point, float(data.x[point]))
    return Layout.build(data, suffix, k)


def spline_layout(spl: Spline, data: Dataset, side: str | None, strict: bool) -> Layout:
    """Active sets of a float spline; a kink raises :class:`KinkError` only when ``strict``."""
    check_side(side)
    eff = side if side is not None else ("left" if not strict else None)
    k, kink = breakpoint_gaps(spl.beta, data.x, eff)
    if kink is not None:
        unit, point = int(kink[0]), int(kink[1])
        raise KinkError(unit, point, float(data.x[point]))
    suffix = np.asarray(spl.s) > 0
    return Layout.build(data, suffix, k)
