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

The active sets come from one :class:`symspline.regions.Pattern` (the library's one interval-pattern
type): :meth:`Layout.build` reads its orientation and gap arrays. With the leaky ReLU
(``negative_slope`` = alpha > 0) a unit also contributes alpha times its line off its active set,
so every sum over an active set becomes the *gained* sum (1 - alpha) sum_{A_i} + alpha sum_all, and
every sum over the units present on a segment becomes (1 - alpha) sum_{i active} + alpha sum_i
(docs/kernels.md, "Leaky ReLU"). The layout applies that transform itself, so the kernels built on
it need no model-specific code.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..data import Dataset
from ..regions import Pattern


@dataclass(frozen=True, eq=False)
class Layout:
    """Active sets of all units as prefixes/suffixes of the sorted data, with segment moments.

    Attributes
    ----------
    pattern : Pattern
        The activation pattern the layout was built from (orientations s_i and gaps k_i).
    alpha : float
        The gain of a unit off its active set: the leaky-ReLU ``negative_slope`` (0 for the ReLU).
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

    pattern: Pattern
    alpha: float
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
    def build(cls, data: Dataset, pattern: Pattern, alpha: float = 0.0) -> Layout:
        """Segments of float ``data`` for the active sets of ``pattern`` (O(N + H log H)).

        ``alpha`` in [0, 1) is the gain off the active sets (the leaky slope; 0 for the ReLU).
        """
        x = data.x
        n = int(x.shape[0])
        t = float(x[0])
        xs = x - t
        k = pattern.k_array
        # np.unique sorts the H gaps: the only super-linear step in H.
        bounds, inverse = np.unique(np.concatenate(([0, n], k)), return_inverse=True)
        rank = inverse[2:]
        m0 = np.diff(bounds).astype(np.float64)
        return cls(pattern, float(alpha), n, t, xs, data.y, pattern.s_array > 0, k, bounds, rank,
                   m0)
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
        so no large total is formed and then cancelled by a subtraction. With the leaky gain
        alpha > 0 the result is the gained sum (1 - alpha) sum_{A_i} + alpha sum_all.
        """
        prefix = np.zeros(seg.shape[0] + 1)
        np.cumsum(seg, out=prefix[1:])
        suffix = np.zeros(seg.shape[0] + 1)
        np.cumsum(seg[::-1], out=suffix[1:])
        suffix = suffix[::-1]  # suffix[j] = sum_{l >= j} seg[l]
        return self.gained(np.where(self.suffix, suffix[self.rank], prefix[self.rank]),
                           prefix[-1])

    # ------------------------------------------------------------------ units -> segments
    def segment_totals(self, values: np.ndarray) -> np.ndarray:
        """Sum of ``values`` (shape (H,)) over the units active on each segment (shape (m,)).

        The sweep: a suffix unit joins at its rank and stays; a prefix unit is present on every
        segment before its rank. Two accumulations (left to right for suffix units, right to left
        for prefix units) avoid adding a unit and later subtracting it again. With the leaky gain
        alpha > 0 every unit is present off its active set with weight alpha:
        (1 - alpha) sum_{i active} values_i + alpha sum_i values_i.
        """
        m = self.m
        up = np.bincount(self.rank, weights=np.where(self.suffix, values, 0.0), minlength=m + 1)
        down = np.bincount(self.rank, weights=np.where(self.suffix, 0.0, values), minlength=m + 1)
        left = np.cumsum(up[:m])
        right = np.cumsum(down[::-1])[::-1]  # right[j] = sum_{r >= j} down[r]
        out = left + right[1:]
        return self.gained(out, float(np.sum(values))) if self.alpha else out

    def gain_offsets(self, diag: np.ndarray, total: float) -> np.ndarray:
        """Per-unit offsets o_i = alpha(1-alpha) D_i + alpha^2 T / 2 for :meth:`gain`."""
        a = self.alpha
        return a * (1.0 - a) * diag + 0.5 * a * a * total

    def gain(self, inside: np.ndarray, off_i: np.ndarray, off_j: np.ndarray,
             scratch: np.ndarray) -> None:
        """In place: interval-intersection sums S_ij -> sum_n g_i(n) g_j(n) h(n) (leaky gains).

        With g = 1 on the active set and alpha off it, g_i g_j = (1-a)^2 1_{A_i cap A_j}
        + a(1-a)(1_{A_i} + 1_{A_j}) + a^2, so S_ij -> (1-a)^2 S_ij + a(1-a)(D_i + D_j) + a^2 T
        = (1-a)^2 S_ij + o_i + o_j with D_i = sum_{A_i} h, T = sum_all h and the offsets
        o = :meth:`gain_offsets` (three passes over the block). ``off_i`` (column) and ``off_j``
        (row) broadcast against ``inside``; ``scratch`` has its shape. No-op for alpha = 0.
        """
        a = self.alpha
        if not a:
            return
        inside *= (1.0 - a) ** 2
        np.add(off_i, off_j, out=scratch)
        inside += scratch

    def gained(self, diag: np.ndarray, total: float) -> np.ndarray:
        """Gained own-set sums (1 - alpha) D_i + alpha T (``diag`` unchanged for alpha = 0)."""
        if not self.alpha:
            return diag
        return (1.0 - self.alpha) * diag + self.alpha * total

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
