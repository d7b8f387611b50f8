"""The two parameterizations of a one-input ReLU network: ``Network`` (w, b, v, c) and ``Spline``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from .errors import DegenerateUnitError, ParameterError
from .numbers import Kind, as_kind, combine_kinds, kind_of, scalar_as_kind, to_sympy

_CHUNK = 1 << 22  # elements of an N x H block evaluated at once


def _vector(values: object, name: str) -> list:
    if isinstance(values, str | bytes):
        raise ParameterError(f"{name} must be a sequence of numbers, not text")
    if isinstance(values, np.ndarray):
        if values.ndim != 1:
            raise ParameterError(f"{name} must be one-dimensional, got shape {values.shape}")
        return values.tolist() if values.dtype.kind in "fiu" else list(values)
    try:
        out = list(values)  # type: ignore[call-overload]
    except TypeError as exc:
        raise ParameterError(f"{name} must be a sequence of numbers") from exc
    for v in out:
        if isinstance(v, list | tuple | np.ndarray):
            raise ParameterError(f"{name} must be a flat sequence of numbers")
    return out


def _check_finite(arr: np.ndarray, name: str) -> None:
    if arr.dtype == np.float64 and not np.all(np.isfinite(arr)):
        i = int(np.flatnonzero(~np.isfinite(arr))[0])
        raise ParameterError(f"{name}{i + 1} is not finite ({arr[i]})")


def _kind(values: Sequence[object]) -> Kind:
    kinds = []
    for v in values:
        if isinstance(v, str):
            raise ParameterError(f"parameter given as text {v!r}: parse it first (symspline.io)")
        kinds.append(kind_of(v))
    return combine_kinds(kinds)


def _relu(z: object, kind: Kind) -> object:
    if kind == "symbolic":
        return sp.Max(0, z)
    return z if z > 0 else sp.Integer(0)


@dataclass(frozen=True, eq=False)
class Network:
    """f(x) = sum_i v_i [w_i x + b_i]_+ + c, parameter order (w_1..w_H, b_1..b_H, v_1..v_H, c).

    Parameters are float64 arrays, exact SymPy rationals, or SymPy symbols; the ``kind`` of the
    whole network is the combination (symbolic > float > exact). Immutable.
    """

    w: np.ndarray
    b: np.ndarray
    v: np.ndarray
    c: object = 0
    kind: Kind = field(init=False)

    def __post_init__(self) -> None:
        w, b, v = _vector(self.w, "w"), _vector(self.b, "b"), _vector(self.v, "v")
        if not (len(w) == len(b) == len(v)):
            raise ParameterError(
                f"w, b, v must have equal lengths, got {len(w)}, {len(b)}, {len(v)}"
            )
        if len(w) == 0:
            raise ParameterError("a network needs at least one hidden unit (width H >= 1)")
        if isinstance(self.c, list | tuple | np.ndarray):
            raise ParameterError("c must be a single number")
        kind = _kind([*w, *b, *v, self.c])
        object.__setattr__(self, "kind", kind)
        for name, vals in (("w", w), ("b", b), ("v", v)):
            arr = as_kind(vals, kind)
            _check_finite(arr, name)
            object.__setattr__(self, name, arr)
        c = scalar_as_kind(self.c, kind)
        if kind == "float" and not np.isfinite(c):
            raise ParameterError(f"c is not finite ({c})")
        object.__setattr__(self, "c", c)

    @classmethod
    def symbols(cls, H: int, s: Sequence[int] | None = None) -> Network:
        """Symbolic network with real symbols w_i, b_i, v_i, c.

        With orientations ``s`` given, w_i is declared positive (s_i = +1) or negative (s_i = -1),
        so that the spline map sign(w_i), |w_i| is exact.
        """
        H = _width(H)
        orient = _orientations(s, H) if s is not None else None
        ws = []
        for i in range(H):
            if orient is None:
                ws.append(sp.Symbol(f"w{i + 1}", real=True))
            elif orient[i] > 0:
                ws.append(sp.Symbol(f"w{i + 1}", positive=True))
            else:
                ws.append(sp.Symbol(f"w{i + 1}", negative=True))
        bs = sp.symbols(f"b1:{H + 1}", real=True)
        vs = sp.symbols(f"v1:{H + 1}", real=True)
        return cls(ws, bs, vs, sp.Symbol("c", real=True))

    @property
    def H(self) -> int:
        """Width: the number of hidden units."""
        return int(self.w.shape[0])

    @property
    def names(self) -> list[str]:
        """Parameter names in the fixed order w1..wH, b1..bH, v1..vH, c."""
        H = self.H
        return [f"{p}{i}" for p in "wbv" for i in range(1, H + 1)] + ["c"]

    @property
    def vector(self) -> np.ndarray:
        """All parameters as one array in the fixed order (w, b, v, c)."""
        dtype = np.float64 if self.kind == "float" else object
        return np.concatenate([self.w, self.b, self.v, np.array([self.c], dtype=dtype)])

    @classmethod
    def from_vector(cls, theta: Sequence | np.ndarray, H: int) -> Network:
        """Inverse of :attr:`vector`."""
        theta = _vector(theta, "theta")
        if len(theta) != 3 * H + 1:
            raise ParameterError(f"a width-{H} network has {3 * H + 1} parameters, got {len(theta)}")
        return cls(theta[:H], theta[H : 2 * H], theta[2 * H : 3 * H], theta[3 * H])

    def __repr__(self) -> str:
        from .display import params_repr  # lazy, like the other renderings

        return params_repr(self)

    def _repr_latex_(self) -> str:
        from .display import network_latex  # lazy: display imports params for type hints only

        return network_latex(self)

    def _repr_html_(self) -> str | None:
        """A table of the units for numeric networks (None for symbolic: the LaTeX is shown)."""
        if self.kind == "symbolic":
            return None
        from .display import params_html

        return params_html(self)

    def __call__(self, x: object) -> object:
        """Evaluate f at a scalar or an array of points (float arrays for float networks)."""
        if self.kind == "float":
            return _eval_float(x, self.w, self.b, self.v, float(self.c))
        xs = np.atleast_1d(np.asarray(x, dtype=object))
        out = [
            self.c + sum(vi * _relu(wi * xv + bi, self.kind) for wi, bi, vi in
                         zip(self.w, self.b, self.v, strict=True))
            for xv in xs
        ]
        return out[0] if np.ndim(x) == 0 else np.array(out, dtype=object)

    @property
    def balance(self) -> np.ndarray:
        """Per-unit balance delta_i = v_i^2 - w_i^2 - b_i^2 (conserved by gradient flow)."""
        return self.v * self.v - self.w * self.w - self.b * self.b

    def rescale(self, a: object) -> Network:
        """The scale-orbit action (a w_i, a b_i, v_i / a), a > 0 scalar or per-unit (docs/theory.md §1.2)."""
        a_arr = np.broadcast_to(np.asarray(a, dtype=object if self.kind != "float" else float),
                                (self.H,))
        for i, ai in enumerate(a_arr):
            if kind_of(ai) != "symbolic" and not ai > 0:
                raise ParameterError(f"scale factor for unit {i + 1} must be positive, got {ai}")
        return Network(self.w * a_arr, self.b * a_arr, self.v / a_arr, self.c)

    def orientations(self) -> tuple[int, ...]:
        """s_i = sign(w_i); raises for w_i = 0 or a sign SymPy cannot decide."""
        out = []
        for i, wi in enumerate(self.w):
            if self.kind == "symbolic" and not (wi.is_positive or wi.is_negative):
                if wi.is_zero:
                    raise DegenerateUnitError(i)
                raise ParameterError(
                    f"the sign of w{i + 1} = {wi} is undetermined; use Network.symbols(H, s=...)"
                )
            if wi == 0:
                raise DegenerateUnitError(i)
            out.append(1 if wi > 0 else -1)
        return tuple(out)

    def to_spline(self) -> Spline:
        """beta_i = -b_i/w_i, mu_i = v_i |w_i|, s_i = sign(w_i) (theory §1.1).

        Raises
        ------
        DegenerateUnitError
            If some w_i = 0: its breakpoint is at infinity and the spline map is undefined (1.4).
        """
        s = self.orientations()
        s_arr = np.array(s, dtype=np.float64 if self.kind == "float" else object)
        abs_w = self.w * s_arr
        return Spline(-self.b / self.w, self.v * abs_w, s, self.c)

    def canonical(self) -> Network:
        """Units sorted by (breakpoint, orientation, delta-slope); degenerate units (w = 0) last."""
        keys = []
        for i in range(self.H):
            if self.w[i] == 0:
                keys.append((1, 0, 0, 0, i))
            else:
                si = 1 if self.w[i] > 0 else -1
                keys.append((0, -self.b[i] / self.w[i], si, self.v[i] * si * self.w[i], i))
        if self.kind == "symbolic":
            raise ParameterError("symbolic networks have no canonical order")
        order = [k[-1] for k in sorted(keys)]
        return Network(self.w[order], self.b[order], self.v[order], self.c)

    def as_float(self) -> Network:
        """The network in float64 (exact values rounded once)."""
        if self.kind == "symbolic":
            raise ParameterError("a symbolic network has no float values")
        return Network(
            self.w.astype(np.float64), self.b.astype(np.float64), self.v.astype(np.float64),
            float(self.c),
        )


@dataclass(frozen=True, eq=False)
class Spline:
    """f(x) = c + sum_i mu_i [s_i (x - beta_i)]_+ (theory §1.1): breakpoints, delta-slopes, orientations.

    Continuous parameter order (beta_1..beta_H, mu_1..mu_H, c); ``s`` holds discrete labels +-1.
    """

    beta: np.ndarray
    mu: np.ndarray
    s: tuple[int, ...]
    c: object = 0
    kind: Kind = field(init=False)

    def __post_init__(self) -> None:
        beta, mu = _vector(self.beta, "beta"), _vector(self.mu, "mu")
        if len(beta) != len(mu):
            raise ParameterError(f"beta and mu must have equal lengths, got {len(beta)}, {len(mu)}")
        if len(beta) == 0:
            raise ParameterError("a spline needs at least one breakpoint (width H >= 1)")
        s = _orientations(self.s, len(beta))
        if isinstance(self.c, list | tuple | np.ndarray):
            raise ParameterError("c must be a single number")
        kind = _kind([*beta, *mu, self.c])
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "s", s)
        for name, vals in (("beta", beta), ("mu", mu)):
            arr = as_kind(vals, kind)
            _check_finite(arr, name)
            object.__setattr__(self, name, arr)
        c = scalar_as_kind(self.c, kind)
        if kind == "float" and not np.isfinite(c):
            raise ParameterError(f"c is not finite ({c})")
        object.__setattr__(self, "c", c)

    @classmethod
    def symbols(cls, H: int, s: Sequence[int]) -> Spline:
        """Symbolic spline with real symbols beta_i, mu_i, c and the given orientations."""
        H = _width(H)
        betas = sp.symbols(f"beta1:{H + 1}", real=True)
        mus = sp.symbols(f"mu1:{H + 1}", real=True)
        return cls(betas, mus, tuple(s), sp.Symbol("c", real=True))

    @property
    def H(self) -> int:
        """Width: the number of breakpoints."""
        return int(self.beta.shape[0])

    @property
    def names(self) -> list[str]:
        """Parameter names in the fixed order beta1..betaH, mu1..muH, c."""
        H = self.H
        return [f"beta{i}" for i in range(1, H + 1)] + [f"mu{i}" for i in range(1, H + 1)] + ["c"]

    @property
    def vector(self) -> np.ndarray:
        """Continuous parameters as one array in the fixed order (beta, mu, c)."""
        dtype = np.float64 if self.kind == "float" else object
        return np.concatenate([self.beta, self.mu, np.array([self.c], dtype=dtype)])

    @classmethod
    def from_vector(cls, theta: Sequence | np.ndarray, s: Sequence[int]) -> Spline:
        """Inverse of :attr:`vector`, with the orientations given separately."""
        theta = _vector(theta, "theta")
        H = len(s)
        if len(theta) != 2 * H + 1:
            raise ParameterError(f"a width-{H} spline has {2 * H + 1} parameters, got {len(theta)}")
        return cls(theta[:H], theta[H : 2 * H], tuple(s), theta[2 * H])

    @property
    def s_array(self) -> np.ndarray:
        """Orientations as an array of the spline's kind (float64 or SymPy integers)."""
        if self.kind == "float":
            return np.array(self.s, dtype=np.float64)
        return np.array([sp.Integer(si) for si in self.s], dtype=object)

    def __repr__(self) -> str:
        from .display import params_repr

        return params_repr(self)

    def _repr_latex_(self) -> str:
        from .display import spline_latex

        return spline_latex(self)

    def _repr_html_(self) -> str | None:
        """A table of the breakpoints for numeric splines (None for symbolic: the LaTeX is shown)."""
        if self.kind == "symbolic":
            return None
        from .display import params_html

        return params_html(self)

    def __call__(self, x: object) -> object:
        """Evaluate f at a scalar or an array of points."""
        if self.kind == "float":
            s = self.s_array
            return _eval_float(x, s, -s * self.beta, self.mu, float(self.c))
        xs = np.atleast_1d(np.asarray(x, dtype=object))
        out = [
            self.c + sum(mi * _relu(si * (xv - bi), self.kind)
                         for bi, mi, si in zip(self.beta, self.mu, self.s, strict=True))
            for xv in xs
        ]
        return out[0] if np.ndim(x) == 0 else np.array(out, dtype=object)

    def slopes(self) -> tuple[object, object]:
        """Slopes of f left of every breakpoint and right of every breakpoint (theory §1.1)."""
        left = -sum(mi for mi, si in zip(self.mu, self.s, strict=True) if si < 0)
        right = sum(mi for mi, si in zip(self.mu, self.s, strict=True) if si > 0)
        return left, right

    def to_network(self, balance: object = 0) -> Network:
        """The representative (w, b, v, c) whose per-unit balance v_i^2 - w_i^2 - b_i^2 is ``balance``.

        ``balance`` is one number for every unit, or one per unit.

        With a = |w_i| > 0, w_i = s_i a, b_i = -s_i a beta_i, v_i = mu_i / a; the balance condition is
        (1 + beta_i^2) a^4 + d a^2 - mu_i^2 = 0, whose positive root in a^2 is unique. It exists
        unless mu_i = 0 and d >= 0. In float64 the root is computed without cancellation or
        underflow of mu_i^2; only for subnormal |mu_i| (below about 1e-308), where a itself is not
        representable, does the balance come out inexact.

        Raises
        ------
        ParameterError
            If ``balance`` is not finite, or a unit with mu_i = 0 has no representative.
        """
        d_vals = _vector(balance, "balance") if np.ndim(balance) else [balance]
        if len(d_vals) not in (1, self.H):
            raise ParameterError(f"balance must be one number or {self.H} numbers, got {len(d_vals)}")
        kind = combine_kinds([self.kind, *(kind_of(d) for d in d_vals)])
        sc = self if kind == self.kind else Spline(
            self.beta.astype(np.float64), self.mu.astype(np.float64), self.s, float(self.c))
        d_arr = np.broadcast_to(np.asarray(d_vals, dtype=np.float64 if kind == "float" else object),
                                (self.H,))
        ws, bs, vs = [], [], []
        for i in range(self.H):
            beta, mu, d, s = sc.beta[i], sc.mu[i], d_arr[i], sc.s[i]
            if kind == "float":
                if not np.isfinite(d):
                    raise ParameterError(f"balance must be finite, got {d}")
                if mu == 0 and d >= 0:
                    raise ParameterError(
                        f"unit {i + 1} has mu = 0: no network with balance {d} >= 0 represents it; "
                        "use a negative balance")
                q = 1.0 + beta * beta
                # hypot avoids the underflow of mu^2 for tiny mu; for d > 0 the conjugate form
                # avoids the cancellation in -d + sqrt(d^2 + ...).
                root = np.hypot(d, 2.0 * np.sqrt(q) * mu)
                if d > 0:
                    a = abs(mu) * np.sqrt(2.0 / (d + root))
                else:
                    a = np.sqrt((-d + root) / (2.0 * q))
            else:
                d = to_sympy(d)
                if kind != "symbolic" and mu == 0 and d >= 0:
                    raise ParameterError(
                        f"unit {i + 1} has mu = 0: no network with balance {d} >= 0 represents it; "
                        "use a negative balance")
                q = 1 + beta**2
                t = (-d + sp.sqrt(d**2 + 4 * q * mu**2)) / (2 * q)
                a = sp.sqrt(sp.radsimp(t)) if kind == "exact" else sp.sqrt(t)
            ws.append(s * a)
            bs.append(-s * a * beta)
            vs.append(mu / a)
        return Network(ws, bs, vs, sc.c)

    def canonical(self) -> Spline:
        """Units sorted by (breakpoint, orientation, delta-slope)."""
        if self.kind == "symbolic":
            raise ParameterError("symbolic splines have no canonical order")
        order = sorted(range(self.H), key=lambda i: (self.beta[i], self.s[i], self.mu[i]))
        return Spline(self.beta[order], self.mu[order], tuple(self.s[i] for i in order), self.c)

    def as_float(self) -> Spline:
        """The spline in float64."""
        if self.kind == "symbolic":
            raise ParameterError("a symbolic spline has no float values")
        return Spline(self.beta.astype(np.float64), self.mu.astype(np.float64), self.s,
                      float(self.c))


def _width(H: object) -> int:
    if isinstance(H, bool) or not isinstance(H, int | np.integer) or H < 1:
        raise ParameterError(f"width H must be a positive integer, got {H!r}")
    return int(H)


def _orientations(s: object, H: int) -> tuple[int, ...]:
    try:
        vals = list(s)  # type: ignore[call-overload]
    except TypeError as exc:
        raise ParameterError("orientations s must be a sequence of +1 and -1") from exc
    if len(vals) != H:
        raise ParameterError(f"expected {H} orientations, got {len(vals)}")
    out = []
    for i, si in enumerate(vals):
        if isinstance(si, bool) or si not in (1, -1):
            raise ParameterError(f"orientation s{i + 1} must be +1 or -1, got {si!r}")
        out.append(int(si))
    return tuple(out)


def _eval_float(x: object, w: np.ndarray, b: np.ndarray, v: np.ndarray, c: float) -> object:
    xs = np.asarray(x, dtype=np.float64)
    flat = np.atleast_1d(xs).ravel()
    out = np.full(flat.shape, c, dtype=np.float64)
    step = max(1, _CHUNK // max(1, w.shape[0]))
    for lo in range(0, flat.shape[0], step):
        z = np.multiply.outer(flat[lo : lo + step], w) + b
        np.maximum(z, 0.0, out=z)
        out[lo : lo + step] += z @ v
    return float(out[0]) if xs.ndim == 0 else out.reshape(xs.shape)
