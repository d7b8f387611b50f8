"""Activation patterns: an orientation and a gap per unit, their active sets, and where a point lies."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence

import numpy as np
import sympy as sp

from .data import Dataset
from .errors import InputError, KinkError, ParameterError, SizeError
from .params import Network, Spline

#: Default refusal threshold for building objects with one piece per pattern.
MAX_PATTERNS = 20_000


class Pattern:
    """Orientation s_i and gap k_i of every unit, for data with ``n`` points (docs/theory.md §0).

    Unit i is active on the 0-based sample indices ``range(k_i, n)`` when s_i = +1 and
    ``range(0, k_i)`` when s_i = -1, i.e. A_i = {n > k_i} or {n <= k_i} in 1-based indexing.

    The one interval-pattern type of the library: the exact engine reads the tuples ``s`` and
    ``k``, the float64 kernels the arrays ``s_array`` and ``k_array``. A pattern built from arrays
    (:meth:`from_arrays`, as :func:`locate` does for float input) keeps them and makes the tuples
    only when asked, so H = 10^4 units cost no per-unit Python work. Immutable, hashable, equal
    when (s, k, n) are equal.
    """

    __slots__ = ("_s", "_k", "n", "_s_arr", "_k_arr")

    def __init__(self, s: Sequence[int], k: Sequence[int], n: int) -> None:
        s, k = tuple(s), tuple(k)
        if len(s) != len(k):
            raise InputError(f"pattern has {len(s)} orientations but {len(k)} gaps")
        for i, (si, ki) in enumerate(zip(s, k, strict=True)):
            if si not in (1, -1):
                raise InputError(f"orientation of unit {i + 1} must be +1 or -1, got {si}")
            if not 0 <= ki <= n:
                raise InputError(f"gap of unit {i + 1} must be in 0..{n}, got {ki}")
        for name, value in (("_s", s), ("_k", k), ("n", n), ("_s_arr", None), ("_k_arr", None)):
            object.__setattr__(self, name, value)

    @classmethod
    def from_arrays(cls, s: np.ndarray, k: np.ndarray, n: int) -> Pattern:
        """A pattern from integer arrays of orientations (+1/-1) and gaps (0..n), checked at once."""
        s_arr = np.array(s, dtype=np.intp)  # copies: the pattern owns (and freezes) its arrays
        k_arr = np.array(k, dtype=np.intp)
        if s_arr.ndim != 1 or s_arr.shape != k_arr.shape:
            raise InputError(f"pattern has {s_arr.size} orientations but {k_arr.size} gaps")
        bad_s = (s_arr != 1) & (s_arr != -1)
        bad_k = (k_arr < 0) | (k_arr > n)
        if bad_s.any() or bad_k.any():
            cls(s_arr.tolist(), k_arr.tolist(), n)  # raises with the first bad unit named
        return cls._trusted(s_arr, k_arr, n)

    @classmethod
    def _trusted(cls, s_arr: np.ndarray, k_arr: np.ndarray, n: int) -> Pattern:
        # For arrays valid by construction (locate): no checks, no copies.
        out = object.__new__(cls)
        for name, value in (("_s", None), ("_k", None), ("n", int(n)), ("_s_arr", s_arr),
                            ("_k_arr", k_arr)):
            object.__setattr__(out, name, value)
        s_arr.setflags(write=False)
        k_arr.setflags(write=False)
        return out

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Pattern is immutable: cannot set {name}")

    @property
    def s(self) -> tuple[int, ...]:
        """Orientations s_i in {+1, -1}."""
        if self._s is None:
            object.__setattr__(self, "_s", tuple(self._s_arr.tolist()))
        return self._s

    @property
    def k(self) -> tuple[int, ...]:
        """Gaps k_i in 0..n: the number of samples left of unit i's breakpoint."""
        if self._k is None:
            object.__setattr__(self, "_k", tuple(self._k_arr.tolist()))
        return self._k

    @property
    def s_array(self) -> np.ndarray:
        """Orientations as a read-only integer array."""
        if self._s_arr is None:
            arr = np.array(self._s, dtype=np.intp)
            arr.setflags(write=False)
            object.__setattr__(self, "_s_arr", arr)
        return self._s_arr

    @property
    def k_array(self) -> np.ndarray:
        """Gaps as a read-only integer array."""
        if self._k_arr is None:
            arr = np.array(self._k, dtype=np.intp)
            arr.setflags(write=False)
            object.__setattr__(self, "_k_arr", arr)
        return self._k_arr

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Pattern):
            return NotImplemented
        return self.n == other.n and self.s == other.s and self.k == other.k

    def __hash__(self) -> int:
        return hash((self.s, self.k, self.n))

    def __repr__(self) -> str:
        return f"Pattern(s={self.s!r}, k={self.k!r}, n={self.n!r})"

    def __reduce__(self) -> tuple:
        return (Pattern, (self.s, self.k, self.n))

    @property
    def H(self) -> int:
        """Number of units."""
        return len(self._s) if self._s is not None else int(self._s_arr.shape[0])

    def active(self, i: int) -> range:
        """0-based indices of the samples on which unit i is active."""
        return range(self.k[i], self.n) if self.s[i] > 0 else range(0, self.k[i])

    def active_bounds(self, i: int) -> tuple[int, int]:
        """Half-open index interval [lo, hi) of the active set of unit i."""
        r = self.active(i)
        return r.start, r.stop

    def bounds_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Arrays lo, hi of every unit's active interval [lo_i, hi_i) (vectorised active_bounds)."""
        up = self.s_array > 0
        k = self.k_array
        return np.where(up, k, 0), np.where(up, self.n, k)

    def is_dead(self, i: int) -> bool:
        """True when unit i is active on no sample."""
        return len(self.active(i)) == 0

    def indicator(self, i: int, n: int) -> bool:
        """Whether 0-based sample n is in the active set of unit i."""
        return n in self.active(i)

    def neighbours(self) -> Iterator[tuple[int, Pattern]]:
        """Patterns reached by moving one breakpoint one gap to the right: (unit, pattern)."""
        for i in range(self.H):
            if self.k[i] < self.n:
                k = list(self.k)
                k[i] += 1
                yield i, Pattern(self.s, tuple(k), self.n)

    def __str__(self) -> str:
        units = ", ".join(f"{'+' if si > 0 else '-'}{ki}" for si, ki in zip(self.s, self.k,
                                                                           strict=True))
        return f"Pattern[{units}]"

    def _repr_latex_(self) -> str:
        parts = [rf"s_{{{i + 1}}}={si:+d},\ k_{{{i + 1}}}={ki}"
                 for i, (si, ki) in enumerate(zip(self.s, self.k, strict=True))]
        return "$" + r";\quad ".join(parts) + "$"


def pattern_count(H: int, n: int, *, fixed_orientation: bool = False) -> int:
    """Number of patterns: (N+1)^H with orientations fixed, (2(N+1))^H otherwise."""
    per_unit = (n + 1) * (1 if fixed_orientation else 2)
    return per_unit**H


def check_size(count: int, limit: int, what: str) -> None:
    """Refuse symbolic work with more than ``limit`` pieces, naming the size."""
    if count > limit:
        raise SizeError(
            f"{what} has {count} patterns, more than the limit of {limit}; "
            "use a smaller width or fewer samples, or work on one pattern at a time"
        )


def patterns(H: int, n: int, s: Sequence[int] | None = None, *,
             limit: int | None = MAX_PATTERNS) -> Iterator[Pattern]:
    """Enumerate every pattern for width H and n samples (all orientations unless ``s`` is given).

    Raises
    ------
    SizeError
        If the count exceeds ``limit`` (pass ``limit=None`` to iterate regardless).
    """
    if H < 1 or n < 1:
        raise InputError(f"need H >= 1 and N >= 1, got H={H}, N={n}")
    count = pattern_count(H, n, fixed_orientation=s is not None)
    if limit is not None:
        check_size(count, limit, f"width {H} on {n} samples")
    orients: Sequence[tuple[int, ...]]
    if s is None:
        orients = list(itertools.product((1, -1), repeat=H))
    else:
        if len(s) != H:
            raise InputError(f"expected {H} orientations, got {len(s)}")
        orients = [tuple(int(si) for si in s)]
    for so in orients:
        for k in itertools.product(range(n + 1), repeat=H):
            yield Pattern(so, k, n)


def kinks(params: Network | Spline, data: Dataset) -> list[tuple[int, int]]:
    """Pairs (unit, sample) where a breakpoint lies exactly on a data point (0-based).

    Raises
    ------
    DegenerateUnitError
        For a network unit with w_i = 0 (its breakpoint is at infinity).
    """
    _require_numeric(params, data)
    betas, _ = params.knots()  # in the parameters' own kind, rounded once below if need be
    if params.kind != data.kind:
        betas, data = np.asarray(betas, dtype=np.float64), data.as_float()
    out = []
    for i, beta in enumerate(betas):
        k = data.gap_of(beta)
        if k < data.n and data.x[k] == beta:
            out.append((i, k))
    return out


#: Relative distance below which a float breakpoint counts as "near" a data point.
NEAR_KINK_RTOL = 1e-9


def near_kinks(params: Network | Spline, data: Dataset, *,
               rtol: float = NEAR_KINK_RTOL) -> list[tuple[int, int, float]]:
    """(unit, sample, distance) where a float breakpoint is within rtol max(1, |x_m|) of x_m, but off it.

    Derivatives there are exact for the pattern the point is in, but a perturbation of the size of
    float rounding in the parameters could move the breakpoint across x_m, where the derivative in
    beta jumps by (1 - alpha) mu r_m / N (theory §2.3): such results deserve a flag. Exact input
    has no such ambiguity and returns [].
    """
    if params.kind != "float" and data.kind != "float":
        return []
    if params.kind == "symbolic" or data.kind == "symbolic":
        return []
    p, d = params.as_float(), data.as_float()
    beta, _, flat = _knots(p)
    if flat is not None:
        beta = np.where(flat, np.inf, beta)
    out = []
    k = np.searchsorted(d.x, beta)
    for i, b in enumerate(beta):
        if not np.isfinite(b):
            continue
        for m in (k[i] - 1, k[i]):
            if 0 <= m < d.n:
                dist = abs(b - d.x[m])
                if 0 < dist <= rtol * max(1.0, abs(d.x[m])):
                    out.append((i, int(m), float(dist)))
    return out


def locate(params: Network | Spline, data: Dataset, *, side: str | None = None) -> Pattern:
    """The pattern of a numeric point (its orientations and the gap of every breakpoint).

    A breakpoint exactly on a data point x_m belongs to two patterns; the loss is continuous
    there but not differentiable (theory §2.3). With ``side=None`` that raises :class:`KinkError`;
    ``side="left"`` takes the pattern reached as beta_i -> x_m from below, ``side="right"`` the
    one reached from above. A network unit with w_i = 0 is constant on the data: it is placed in
    the all-active pattern (s = +1, k = 0) when b_i > 0 and the dead one (s = +1, k = N) when
    b_i < 0, as in :func:`region_conditions`; w_i = b_i = 0 puts every sample on its kink.
    When several units sit on kinks, the error names the one with the lowest index.

    Float input (parameters and data both float64) is located in a few vectorised NumPy calls
    (O(H log N), no per-unit Python work) and gives a pattern that keeps its arrays
    (:meth:`Pattern.from_arrays`); exact input is decided unit by unit in exact arithmetic.
    The two routes implement the same rules (tests/test_kernels_models.py compares them).

    Raises
    ------
    KinkError
        If a breakpoint lies on a data point and no side is given.
    """
    if side not in (None, "left", "right"):
        raise InputError(f"side must be 'left' or 'right', got {side!r}")
    if params.kind == "symbolic" or data.kind == "symbolic":
        raise ParameterError("locating a pattern needs numeric parameters and data")
    params, data = _same_kind(params, data)
    if params.kind == "float":
        return _locate_float(params, data, side)
    betas, ss_, flat = _knots(params)
    ss, ks = [], []
    for i in range(params.H):
        if flat is not None and flat[i]:
            b = params.b[i]  # only network units are flat (w_i = 0)
            ss.append(1)
            if b == 0:
                if side is None:
                    raise KinkError(i, 0, data.x[0])
                ks.append(0 if side == "right" else data.n)
            else:
                ks.append(0 if b > 0 else data.n)
            continue
        s_i, beta = int(ss_[i]), betas[i]
        k = data.gap_of(beta)  # number of samples strictly left of beta
        if k < data.n and data.x[k] == beta:
            if side is None:
                raise KinkError(i, k, data.x[k])
            k = k if side == "left" else k + 1
        ss.append(s_i)
        ks.append(k)
    return Pattern(tuple(ss), tuple(ks), data.n)


def _knots(params: Network | Spline) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(beta, s, flat) of numeric parameters in their own kind, vectorised: breakpoints and
    orientations (+1/-1 integers), and for networks with some w_i = 0 the mask of those units
    (their beta is a placeholder and s = +1; None when there are none).

    Unlike ``Network.knots`` this handles w_i = 0 (placed by the rules of :func:`locate`) and
    takes no per-unit Python loop for float networks.
    """
    if isinstance(params, Network):
        w = params.w
        flat = w == 0 if params.kind == "float" else np.array([wi == 0 for wi in w], dtype=bool)
        pos = w > 0 if params.kind == "float" else np.array([bool(wi > 0) for wi in w], dtype=bool)
        s = np.where(pos | flat, 1, -1)
        if flat.any():
            return -params.b / np.where(flat, 1, w), s, flat
        return -params.b / w, s, None
    return params.beta, np.asarray(params.s, dtype=np.intp), None


def _locate_float(params: Network | Spline, data: Dataset, side: str | None) -> Pattern:
    """:func:`locate` for float64 parameters and data, in vectorised NumPy (same rules)."""
    beta, s, flat = _knots(params)
    x = data.x
    n = data.n
    # gap_of: the number of samples strictly left of beta (np.searchsorted, side="left")
    k = np.searchsorted(x, beta, side="left")
    on = (k < n) & (x[np.minimum(k, n - 1)] == beta)
    kink: tuple[int, int] | None = None
    if flat is not None:
        on &= ~flat
        b = params.b
        both_zero = flat & (b == 0)
        k = np.where(flat, np.where(b > 0, 0, n), k)
        if both_zero.any():
            if side is None:
                kink = (int(np.flatnonzero(both_zero)[0]), 0)
            else:
                k = np.where(both_zero, 0 if side == "right" else n, k)
    if on.any():
        if side is None:
            j = int(np.flatnonzero(on)[0])
            if kink is None or j < kink[0]:
                kink = (j, int(k[j]))
        elif side == "right":
            k = k + on
    if kink is not None:
        raise KinkError(kink[0], kink[1], float(x[kink[1]]))
    return Pattern._trusted(np.asarray(s, dtype=np.intp), k.astype(np.intp, copy=False), n)


def region_conditions(pattern: Pattern, params: Network | Spline, data: Dataset) -> sp.Boolean:
    """The set of parameters in ``pattern`` as a SymPy condition (boundaries assigned half-open).

    Spline: x_{k_i} < beta_i <= x_{k_i+1}. Network (no division by w): for s_i = +1,
    w_i >= 0 and w_i x_{k_i} + b_i <= 0 < w_i x_{k_i+1} + b_i; for s_i = -1, w_i < 0 and
    w_i x_{k_i} + b_i > 0 >= w_i x_{k_i+1} + b_i. With w_i = 0 this sends b_i > 0 to the
    all-active pattern (s = +1, k = 0) and b_i <= 0 to the dead one (s = +1, k = N), so the
    conditions of all patterns partition the whole parameter space.
    """
    conds = []
    x = data.x
    for i in range(pattern.H):
        k, s = pattern.k[i], pattern.s[i]
        lo = x[k - 1] if k > 0 else None
        hi = x[k] if k < data.n else None
        if isinstance(params, Spline):
            if params.s[i] != s:
                return sp.false
            beta = params.beta[i]
            if lo is not None:
                conds.append(sp.StrictLessThan(lo, beta))
            if hi is not None:
                conds.append(sp.LessThan(beta, hi))
        else:
            w, b = params.w[i], params.b[i]
            conds.append(w >= 0 if s > 0 else w < 0)
            if s > 0:
                if lo is not None:
                    conds.append(sp.LessThan(w * lo + b, 0))
                if hi is not None:
                    conds.append(sp.StrictGreaterThan(w * hi + b, 0))
            else:
                if lo is not None:
                    conds.append(sp.StrictGreaterThan(w * lo + b, 0))
                if hi is not None:
                    conds.append(sp.LessThan(w * hi + b, 0))
    return sp.And(*conds)


def _same_kind(params: Network | Spline, data: Dataset) -> tuple[Network | Spline, Dataset]:
    # Exact and float values compare unreliably in SymPy (Integer(1) != 1.0): decide in float.
    if params.kind == data.kind:
        return params, data
    return params.as_float(), data.as_float()


def _require_numeric(params: Network | Spline, data: Dataset) -> None:
    if params.kind == "symbolic" or data.kind == "symbolic":
        raise ParameterError("locating kinks needs numeric parameters and data")
