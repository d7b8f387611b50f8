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
    """Samples (x_n, y_n), n = 1..N, sorted by x (THEORY 0).

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
        return Dataset.from_arrays(list(self.x), list(y))

    def as_float(self) -> Dataset:
        """The data set in float64."""
        if self.kind == "float":
            return self
        if self.kind == "symbolic":
            raise DataError("symbolic data has no float values")
        return Dataset(
            _readonly(self.x.astype(np.float64)),
            _readonly(self.y.astype(np.float64)),
            "float",
            self._order,
        )

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
    # Large float arrays skip the per-element kind detection.
    if not (isinstance(x, np.ndarray) or isinstance(y, np.ndarray)):
        return None
    xa, ya = np.asarray(x), np.asarray(y)
    if not (xa.dtype.kind == "f" or ya.dtype.kind == "f"):
        return None
    if xa.dtype.kind not in "fiu" or ya.dtype.kind not in "fiu":
        return None
    if xa.ndim != 1 or ya.ndim != 1:
        raise DataError(f"x and y must be one-dimensional, got shapes {xa.shape} and {ya.shape}")
    if xa.shape != ya.shape:
        raise DataError(f"x has {xa.shape[0]} values but y has {ya.shape[0]}")
    if xa.size == 0:
        raise DataError("the data set is empty")
    xa = xa.astype(np.float64)
    ya = ya.astype(np.float64)
    bad = ~np.isfinite(xa) | ~np.isfinite(ya)
    if bad.any():
        n = int(np.flatnonzero(bad)[0])
        raise DataError(f"sample {n + 1} is not finite (x = {xa[n]}, y = {ya[n]})")
    order = np.argsort(xa, kind="stable")
    xs, ys = xa[order], ya[order]
    same = xs[1:] == xs[:-1]
    if same.any():
        j = int(np.flatnonzero(same)[0])
        raise DataError(f"duplicate x value {xs[j]} (samples must have distinct x)")
    for a in (xs, ys, order):
        a.setflags(write=False)
    return Dataset(xs, ys, "float", order)


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
