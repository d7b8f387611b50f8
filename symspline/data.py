"""Sorted one-dimensional samples with their gaps (knot regions) and prefix moments."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import sympy as sp

from .errors import DataError
from .numbers import Kind, as_kind, combine_kinds, kind_of


@dataclass(frozen=True, eq=False)
class Dataset:
    """Samples (x_n, y_n), n = 1..N, sorted by x (docs/theory.md §0).

    ``x`` and ``y`` are read-only arrays: float64 for float data, SymPy objects (exact rationals, or
    symbols taken to be in increasing order) otherwise. Gap k, k = 0..N, is the open interval
    (x_k, x_{k+1}) with x_0 = -inf and x_{N+1} = +inf; a breakpoint in gap k leaves k points on its
    left. Build with :meth:`from_arrays`, :meth:`symbols` or the readers in :mod:`symspline.io`.
    """

    x: np.ndarray
    y: np.ndarray
    kind: Kind
    _order: np.ndarray = field(repr=False, default=None)  # permutation that sorted the input

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_arrays(cls, x: Sequence | np.ndarray, y: Sequence | np.ndarray) -> Dataset:
        """Samples from two sequences of numbers (floats, ints, Fractions or SymPy rationals).

        Exact inputs stay exact; any float makes the whole data set float (floats are never
        rationalized). Samples are sorted by x.

        Raises
        ------
        DataError
            On empty or mismatched inputs, NaN or infinite values, or duplicate x values.
        """
        fast = _float_fast_path(x, y)
        if fast is not None:
            return fast
        xs = _as_list(x, "x")
        ys = _as_list(y, "y")
        if len(xs) != len(ys):
            raise DataError(f"x has {len(xs)} values but y has {len(ys)}")
        if not xs:
            raise DataError("the data set is empty")
        kinds = [kind_of(v) for v in xs + ys]
        kind = combine_kinds(kinds)
        if kind == "symbolic":
            raise DataError("symbolic data must come from Dataset.symbols(N)")
        xa = as_kind(xs, kind)
        ya = as_kind(ys, kind)
        if kind == "float":
            bad = ~np.isfinite(xa) | ~np.isfinite(ya)
            if bad.any():
                n = int(np.flatnonzero(bad)[0])
                raise DataError(f"sample {n + 1} is not finite (x = {xa[n]}, y = {ya[n]})")
            order = np.argsort(xa, kind="stable")
        else:
            order = np.array(sorted(range(len(xs)), key=lambda i: xa[i]), dtype=np.intp)
        xs_sorted = _readonly(xa[order])
        ys_sorted = _readonly(ya[order])
        if len(xs_sorted) > 1:
            same = xs_sorted[1:] == xs_sorted[:-1]
            if np.any(same):
                j = int(np.flatnonzero(same)[0])
                raise DataError(
                    f"duplicate x value {xs_sorted[j]} (samples must have distinct x)"
                )
        return cls(xs_sorted, ys_sorted, kind, _readonly(order))

    @classmethod
    def symbols(cls, n: int, *, x: str = "x", y: str = "y") -> Dataset:
        """Symbolic data x_1 < ... < x_N (order assumed, not checked), y_1..y_N real."""
        if not isinstance(n, int | np.integer) or n < 1:
            raise DataError(f"the number of samples must be a positive integer, got {n!r}")
        from .limits import require_memory

        # about 700 bytes per real SymPy symbol (measured), two symbols per sample
        require_memory(1500.0 * float(n), f"Dataset.symbols({n})")
        xs = sp.symbols(f"{x}1:{n + 1}", real=True)
        ys = sp.symbols(f"{y}1:{n + 1}", real=True)
        xa = np.empty(n, dtype=object)
        xa[:] = xs
        ya = np.empty(n, dtype=object)
        ya[:] = ys
        return cls(_readonly(xa), _readonly(ya), "symbolic", _readonly(np.arange(n)))

    # ------------------------------------------------------------------ basic facts
    @property
    def n(self) -> int:
        """Number of samples N."""
        return int(self.x.shape[0])

    def __len__(self) -> int:
        return self.n

    def __repr__(self) -> str:
        return f"Dataset(N={self.n}, kind={self.kind!r})"

    @property
    def n_gaps(self) -> int:
        """Number of gaps (knot regions), N + 1."""
        return self.n + 1

    def gap(self, k: int) -> tuple[object, object]:
        """Bounds (x_k, x_{k+1}) of gap k, with -oo and +oo at the ends (SymPy for non-float)."""
        if not 0 <= k <= self.n:
            raise DataError(f"gap index {k} outside 0..{self.n}")
        inf = np.inf if self.kind == "float" else sp.oo
        lo = self.x[k - 1] if k > 0 else -inf
        hi = self.x[k] if k < self.n else inf
        return lo, hi

    def gap_of(self, t: object) -> int:
        """Index of the gap holding t, counting a point equal to x_k as in gap k (left-closed)."""
        if self.kind == "float":
            return int(np.searchsorted(self.x, float(t), side="left"))
        return sum(1 for xv in self.x if bool(xv < t))

    def with_y(self, y: Sequence | np.ndarray) -> Dataset:
        """The same x with new targets (in the sorted order of x)."""
        if self.kind == "float" and isinstance(y, np.ndarray):
            return Dataset.from_arrays(self.x, y)  # float arrays: the O(N) path, no lists
        return Dataset.from_arrays(list(self.x), list(y))

    def as_float(self) -> Dataset:
        """The data set in float64."""
        if self.kind == "float":
            return self
        if self.kind == "symbolic":
            raise DataError("symbolic data has no float values")
        return self._float_twin

    @cached_property
    def _float_twin(self) -> Dataset:
        # Converted once: the kernels call as_float on every call, and converting SymPy objects
        # costs O(N) Python work.
        return Dataset(
            _readonly(self.x.astype(np.float64)),
            _readonly(self.y.astype(np.float64)),
            "float",
            self._order,
        )

    # ------------------------------------------------------------------ float kernel caches
    @cached_property
    def shifted_x(self) -> np.ndarray:
        """x' = x - x_1 >= 0 in float64 (cached: the kernels' coordinates, see kernels/sweep.py)."""
        x = self.as_float().x
        out = x - x[0]
        out.setflags(write=False)
        return out

    @cached_property
    def x_one(self) -> np.ndarray:
        """Rows [x, 1] in float64, shape (2, N) (cached: sums of r x and r in one product)."""
        out = np.ones((2, self.n))
        out[0] = self.as_float().x
        out.setflags(write=False)
        return out

    @cached_property
    def shifted_prefix(self) -> np.ndarray:
        """Prefix sums of 1, x', x'^2 in float64, shape (3, N + 1), column 0 zero (cached).

        Monotone in their second index because x' >= 0; the small-size Hessian path reads its
        interval sums from them.
        """
        xs = self.shifted_x
        out = np.zeros((3, xs.shape[0] + 1))
        out[0, 1:] = np.arange(1, xs.shape[0] + 1)
        np.cumsum(xs, out=out[1, 1:])
        np.cumsum(xs * xs, out=out[2, 1:])
        out.setflags(write=False)
        return out

    # ------------------------------------------------------------------ prefix moments
    @cached_property
    def moments(self) -> PrefixMoments:
        """Prefix sums of 1, x, x^2, y, x y, y^2 for O(1) sums over index intervals."""
        return PrefixMoments.of(self)

    def interval_sum(self, name: str, lo: int, hi: int) -> object:
        """Sum over samples with 0-based index in [lo, hi) of the moment ``name``."""
        return self.moments.interval(name, lo, hi)


@dataclass(frozen=True)
class PrefixMoments:
    """Arrays P with P[0] = 0 and P[k] = sum_{n<k} m(x_n, y_n) for each moment m."""

    one: np.ndarray
    x: np.ndarray
    xx: np.ndarray
    y: np.ndarray
    xy: np.ndarray
    yy: np.ndarray

    @classmethod
    def of(cls, data: Dataset) -> PrefixMoments:
        x, y = data.x, data.y
        zero = 0.0 if data.kind == "float" else sp.Integer(0)

        def prefix(values: np.ndarray) -> np.ndarray:
            out = np.empty(len(values) + 1, dtype=values.dtype)
            out[0] = zero
            np.cumsum(values, out=out[1:])
            out.setflags(write=False)
            return out

        ones = np.ones(data.n) if data.kind == "float" else np.full(data.n, sp.Integer(1))
        return cls(prefix(ones), prefix(x), prefix(x * x), prefix(y), prefix(x * y), prefix(y * y))

    def interval(self, name: str, lo: int, hi: int) -> object:
        p = getattr(self, name)
        return p[hi] - p[lo]


def _float_fast_path(x: object, y: object) -> Dataset | None:
    """Float data in O(N) vectorized passes plus one argsort, or None if the input is not float.

    Arrays (and lists that NumPy reads as a float array) skip the per-element kind detection:
    float data is never converted element-wise or through Python objects. Every check of the
    general path is kept: shapes, emptiness, finiteness (one ``isfinite`` pass per array) and
    duplicates (found after the sort as equal neighbours).

    Measured at N = 10^6 on the 2-core benchmark machine (benchmarks/bench_end_to_end.py): the
    stable argsort used before took 225 ms against 34 ms for NumPy's default introsort (since
    duplicates are refused, stability buys nothing), and :func:`_sort_order` does better still.
    Already sorted input (linspace grids, files written by symspline) is recognized in one
    comparison pass and not sorted at all.
    """
    xa, ya = _numeric_array(x), _numeric_array(y)
    if xa is None or ya is None:
        return None
    if not (xa.dtype.kind == "f" or ya.dtype.kind == "f"):
        return None  # integers only: exact data
    if xa.dtype.kind not in "fiu" or ya.dtype.kind not in "fiu":
        return None
    if xa.ndim != 1 or ya.ndim != 1:
        raise DataError(f"x and y must be one-dimensional, got shapes {xa.shape} and {ya.shape}")
    if xa.shape != ya.shape:
        raise DataError(f"x has {xa.shape[0]} values but y has {ya.shape[0]}")
    if xa.size == 0:
        raise DataError("the data set is empty")
    # Contiguous float64 (no copy when it already is): strided columns, e.g. of an (N, 2) array
    # read from a file, made the sort 1.6x slower in CPU time at N = 10^7.
    xa = np.ascontiguousarray(xa, dtype=np.float64)
    ya = np.ascontiguousarray(ya, dtype=np.float64)
    if not (np.isfinite(xa).all() and np.isfinite(ya).all()):
        bad = ~np.isfinite(xa) | ~np.isfinite(ya)
        n = int(np.flatnonzero(bad)[0])
        raise DataError(f"sample {n + 1} is not finite (x = {xa[n]}, y = {ya[n]})")
    if xa.size == 1 or bool((xa[1:] > xa[:-1]).all()):
        # Strictly increasing already: no sort, no duplicates; copies so that the caller's
        # arrays can change without changing the data set.
        order = np.arange(xa.size)
        xs, ys = xa.copy(), ya.copy()
    else:
        order, xs = _sort_order(xa)
        ys = ya.take(order)
        same = xs[1:] == xs[:-1]
        if same.any():
            j = int(np.flatnonzero(same)[0])
            raise DataError(f"duplicate x value {xs[j]} (samples must have distinct x)")
    for a in (xs, ys, order):
        a.setflags(write=False)
    return Dataset(xs, ys, "float", order)


#: From this many samples on, sort packed keys instead of calling argsort (below, the few extra
#: passes cost more than they save).
PACKED_SORT_MIN = 1 << 15
_SIGN = np.uint64(1 << 63)


def _sort_order(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The permutation sorting finite float64 ``x`` and ``x`` sorted: (order, x.take(order)).

    For large N the order comes from sorting one uint64 array instead of an argsort: each key
    holds the top bits of x's order-preserving integer image (sign bit flipped for x >= 0, all
    bits flipped for x < 0) with the sample index in the low ceil(log2 N) bits. NumPy sorts
    uint64 with SIMD (x86-simd-sort), so at N = 10^6 the packed sort plus the gather took
    18-22 ms against 27 ms for argsort plus the gather (benchmarks/bench_end_to_end.py,
    2-core AMD EPYC). Samples whose keys agree in the top bits (closer than about
    2^(ceil(log2 N) - 52) relative) come out in index order, possibly misordered: a monotonicity
    pass detects that, and a stable argsort of the nearly sorted result (timsort, O(N) on sorted
    runs) repairs it. Equal x always share a key prefix, so duplicates end up adjacent.
    """
    n = x.shape[0]
    if n < PACKED_SORT_MIN:
        order = np.argsort(x)
        return order, x.take(order)  # take: twice as fast as fancy indexing
    bits = int(n - 1).bit_length()
    low = np.uint64((1 << bits) - 1)
    key = (x.view(np.int64) >> 63).view(np.uint64)  # all ones where x < 0 (arithmetic shift)
    key |= _SIGN
    key ^= x.view(np.uint64)
    key &= ~low
    key |= np.arange(n, dtype=np.uint64)
    key.sort()
    key &= low
    order = key.view(np.int64)
    xs = x.take(order)
    if not bool((xs[1:] >= xs[:-1]).all()):
        fix = np.argsort(xs, kind="stable")
        order, xs = order.take(fix), xs.take(fix)
    return order, xs


def _numeric_array(values: object) -> np.ndarray | None:
    """``values`` as an ndarray if it is one, or a flat list/tuple NumPy reads as numbers."""
    if isinstance(values, np.ndarray):
        return values
    if not isinstance(values, list | tuple) or not values:
        return None
    # Only Python floats (possibly mixed with ints) take the fast route; anything else (exact
    # Fractions, SymPy numbers, text, ragged lists) is classified element by element.
    if not isinstance(values[0], float) or not set(map(type, values)) <= {float, int}:
        return None  # bools, NumPy scalars and the like get the general path's messages
    try:
        arr = np.asarray(values)
    except (ValueError, TypeError, OverflowError):
        return None
    return arr if arr.dtype.kind in "fiu" and arr.ndim == 1 else None


def _as_list(values: Sequence | np.ndarray, name: str) -> list:
    if isinstance(values, str | bytes):
        raise DataError(f"{name} must be a sequence of numbers, not text")
    try:
        arr = np.asarray(values, dtype=object) if not isinstance(values, np.ndarray) else values
    except Exception as exc:  # ragged nested sequences
        raise DataError(f"{name} is not a flat sequence of numbers") from exc
    if arr.ndim != 1:
        raise DataError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.dtype.kind in "fiu":
        return arr.tolist()
    return list(arr)


def _readonly(a: np.ndarray) -> np.ndarray:
    a = np.array(a, copy=True)
    a.setflags(write=False)
    return a
