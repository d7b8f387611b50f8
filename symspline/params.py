"""The two parameterizations of a one-input ReLU network: ``Network`` (w, b, v, c) and ``Spline``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import sympy as sp

from . import reprs
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


def _activation(z: object, kind: Kind, alpha: object) -> object:
    """sigma_alpha(z) = z for z > 0 and alpha z otherwise (alpha = 0: the ReLU)."""
    if kind == "symbolic":
        return sp.Max(0, z) + alpha * sp.Min(0, z) if alpha != 0 else sp.Max(0, z)
    return z if z > 0 else alpha * z if alpha != 0 else sp.Integer(0)


def _model_scalar(value: object, name: str, rule: str, holds: Callable[[object], bool],
                  why: str = "") -> object:
    """One model number (a slope, a decay strength): float, exact, or a SymPy symbol kept as is."""
    if isinstance(value, bool) or isinstance(value, list | tuple | np.ndarray | str | bytes):
        raise ParameterError(f"{name} must be one number {rule}, got {value!r}")
    kind = kind_of(value)
    if kind == "symbolic":
        return to_sympy(value)
    number = float(value) if kind == "float" else to_sympy(value)
    if not holds(number):
        raise ParameterError(f"{name} must be {why or rule}, got {value}")
    return number


def _negative_slope(alpha: object) -> object:
    """Validate the leaky-ReLU slope alpha: a number in [0, 1) or a SymPy symbol."""
    return _model_scalar(alpha, "negative_slope", "in [0, 1)", lambda a: 0 <= a < 1,
                         "in [0, 1) (0 is the ReLU, 1 would make every unit linear)")


@dataclass(frozen=True, eq=False)
class Decay:
    """A weight-decay penalty: its value, gradient and Hessian in the parameters' number kind.

    The Hessian is stored by its non-zero entries (``rows``, ``cols``, ``entries``, each pair
    listed once with rows <= cols): lambda I for a network, a diagonal plus one (beta_i, mu_i)
    pair per unit for a spline, so O(P) memory; :attr:`hessian` builds the dense matrix on demand.
    """

    value: object
    gradient: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    entries: np.ndarray
    kind: Kind

    @property
    def size(self) -> int:
        """Number of parameters P."""
        return int(self.gradient.shape[0])

    @property
    def hessian(self) -> np.ndarray:
        """The dense (P, P) Hessian (float64, or objects for exact and symbolic parameters)."""
        out = _zeros((self.size, self.size), self.kind)
        self.add_to(out)
        return out

    def add_to(self, matrix: np.ndarray) -> np.ndarray:
        """Add the Hessian into ``matrix`` in place (O(P)) and return it."""
        if self.kind == "float":
            matrix[self.rows, self.cols] += self.entries
            off = self.rows != self.cols
            matrix[self.cols[off], self.rows[off]] += self.entries[off]
            return matrix
        for a, b, e in zip(self.rows, self.cols, self.entries, strict=True):
            matrix[a, b] += e
            if a != b:
                matrix[b, a] += e
        return matrix

    def hvp(self, d: np.ndarray) -> np.ndarray:
        """Hessian times a float vector in O(P)."""
        out = np.zeros(self.size)
        e = np.asarray(self.entries, dtype=np.float64)
        np.add.at(out, self.rows, e * d[self.cols])
        off = self.rows != self.cols
        np.add.at(out, self.cols[off], e[off] * d[self.rows[off]])
        return out


def _decay_strength(weight_decay: object, kind: Kind) -> tuple[object, Kind]:
    """lambda validated, as a float for float parameters, with the kind of the penalty."""
    lam = weight_decay_value(weight_decay)
    symbolic = kind_of(lam) == "symbolic"
    if kind == "float":
        if symbolic:
            raise ParameterError("a symbolic weight_decay needs exact or symbolic parameters")
        return float(lam), "float"
    return lam, "symbolic" if symbolic else kind


def _zeros(shape: tuple[int, ...], kind: Kind) -> np.ndarray:
    if kind == "float":
        return np.zeros(shape)
    return np.full(shape, sp.Integer(0), dtype=object)


def weight_decay_value(lam: object) -> object:
    """Validate the weight-decay strength lambda: a finite number >= 0 or a SymPy expression."""
    return _model_scalar(lam, "weight_decay", ">= 0", lambda v: v >= 0 and bool(np.isfinite(
        float(v))), "a finite number >= 0")


@dataclass(frozen=True, eq=False)
class Network:
    """f(x) = sum_i v_i sigma(w_i x + b_i) + c, parameter order (w_1..w_H, b_1..b_H, v_1..v_H, c).

    sigma is the ReLU [z]_+, or with ``negative_slope`` = alpha in [0, 1) the leaky ReLU
    sigma(z) = max(z, alpha z) = alpha z + (1 - alpha) [z]_+ (torch's ``nn.LeakyReLU``).

    Parameters are float64 arrays, exact SymPy rationals, or SymPy symbols; the ``kind`` of the
    whole network is the combination (symbolic > float > exact). Immutable.
    """

    w: np.ndarray
    b: np.ndarray
    v: np.ndarray
    c: object = 0
    negative_slope: object = 0
    kind: Kind = field(init=False)

    #: The name of the parameterization, as the CLI and JSON write it.
    parameterization: ClassVar[str] = "network"
    #: Orientations fixed by the parameters themselves (None: each w_i's sign decides).
    fixed_orientations: ClassVar[None] = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "negative_slope", _negative_slope(self.negative_slope))
        w, b, v = _vector(self.w, "w"), _vector(self.b, "b"), _vector(self.v, "v")
        if not (len(w) == len(b) == len(v)):
            raise ParameterError(
                f"w, b, v must have equal lengths, got {len(w)}, {len(b)}, {len(v)}"
            )
        if len(w) == 0:
            raise ParameterError("a network needs at least one hidden unit (width H >= 1)")
        if isinstance(self.c, list | tuple | np.ndarray):
            raise ParameterError("c must be a single number")
        kind = _kind([*w, *b, *v, self.c, self.negative_slope])
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "negative_slope", scalar_as_kind(self.negative_slope, kind))
        for name, vals in (("w", w), ("b", b), ("v", v)):
            arr = as_kind(vals, kind)
            _check_finite(arr, name)
            object.__setattr__(self, name, arr)
        c = scalar_as_kind(self.c, kind)
        if kind == "float" and not np.isfinite(c):
            raise ParameterError(f"c is not finite ({c})")
        object.__setattr__(self, "c", c)

    @classmethod
    def symbols(cls, H: int, s: Sequence[int] | None = None, *,
                negative_slope: object = 0) -> Network:
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
        return cls(ws, bs, vs, sp.Symbol("c", real=True), negative_slope)

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
    def from_vector(cls, theta: Sequence | np.ndarray, H: int, *,
                    negative_slope: object = 0) -> Network:
        """Inverse of :attr:`vector`."""
        theta = _vector(theta, "theta")
        if len(theta) != 3 * H + 1:
            raise ParameterError(f"a width-{H} network has {3 * H + 1} parameters, got {len(theta)}")
        return cls(theta[:H], theta[H : 2 * H], theta[2 * H : 3 * H], theta[3 * H],
                   negative_slope)

    # ------------------------------------------------------------------ the model protocol
    @property
    def size(self) -> int:
        """Number of continuous parameters P = 3H + 1."""
        return 3 * self.H + 1

    def with_vector(self, theta: Sequence | np.ndarray) -> Network:
        """A network of the same width and activation with parameters ``theta``."""
        return Network.from_vector(theta, self.H, negative_slope=self.negative_slope)

    def unit_lines(self) -> tuple[np.ndarray, np.ndarray]:
        """(P_i, Q_i): unit i contributes P_i + Q_i x on its active side, alpha times that off it.

        Network: P_i = v_i b_i, Q_i = v_i w_i.
        """
        return self.v * self.b, self.v * self.w

    def line_derivatives(self) -> list[tuple[int | None, object, object]]:
        """For every parameter a (fixed order): (unit, p_a, q_a) with d(P + Q x)/d theta_a = p_a + q_a x.

        The unit is None for c, whose column is 1 on every sample. Network: d/dw_i = x v_i,
        d/db_i = v_i, d/dv_i = b_i + w_i x.
        """
        zero, one = _zero_one(self.kind)
        H = self.H
        out: list[tuple[int | None, object, object]] = []
        out += [(i, zero, self.v[i]) for i in range(H)]
        out += [(i, self.v[i], zero) for i in range(H)]
        out += [(i, self.b[i], self.w[i]) for i in range(H)]
        out.append((None, one, zero))
        return out

    def line_second_derivatives(self) -> list[tuple[int, int, int, object, object]]:
        """Non-zero d^2(P_i + Q_i x)/d theta_a d theta_b = alpha_ab + gamma_ab x, a < b:
        (a, b, unit, alpha_ab, gamma_ab). Network: (w_i, v_i) -> x, (b_i, v_i) -> 1."""
        zero, one = _zero_one(self.kind)
        H = self.H
        out = []
        for i in range(H):
            out.append((i, 2 * H + i, i, zero, one))
            out.append((H + i, 2 * H + i, i, one, zero))
        return out

    def decay(self, weight_decay: object) -> Decay:
        """(lambda/2) ||theta||^2 over all 3H + 1 parameters (torch.optim's weight_decay), its
        gradient lambda theta and Hessian lambda I (stored as its diagonal)."""
        lam, kind = _decay_strength(weight_decay, self.kind)
        theta = self.vector
        diag = np.arange(self.size)
        if kind == "float":
            return Decay(float(lam * (theta @ theta) / 2), lam * theta, diag, diag,
                         np.full(self.size, lam), "float")
        value = lam * sp.Add(*[t * t for t in theta]) / 2
        grad = np.array([lam * t for t in theta], dtype=object)
        return Decay(value, grad, diag, diag, np.array([lam] * self.size, dtype=object), kind)

    def knots(self) -> tuple[np.ndarray, tuple[int, ...]]:
        """Breakpoints beta_i = -b_i / w_i and orientations s_i = sign(w_i) (theory §1.1).

        Raises
        ------
        DegenerateUnitError
            If some w_i = 0.
        """
        sp_ = self.to_spline()
        return sp_.beta, sp_.s

    def __repr__(self) -> str:
        return reprs.text(self)  # symspline.render registers the renderings

    def _repr_latex_(self) -> str | None:
        return reprs.render(self, "latex")

    def _repr_html_(self) -> str | None:
        """A table of the units for numeric networks (None for symbolic: the LaTeX is shown)."""
        if self.kind == "symbolic":
            return None
        return reprs.render(self, "html")

    def __call__(self, x: object) -> object:
        """Evaluate f at a scalar or an array of points (float arrays for float networks)."""
        if self.kind == "float":
            return _eval_float(x, self.w, self.b, self.v, float(self.c), self.negative_slope)
        xs = np.atleast_1d(np.asarray(x, dtype=object))
        a = self.negative_slope
        out = [
            self.c + sum(vi * _activation(wi * xv + bi, self.kind, a) for wi, bi, vi in
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
        return Network(self.w * a_arr, self.b * a_arr, self.v / a_arr, self.c, self.negative_slope)

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
        return Spline(-self.b / self.w, self.v * abs_w, s, self.c, self.negative_slope)

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
        return Network(self.w[order], self.b[order], self.v[order], self.c, self.negative_slope)

    def as_float(self) -> Network:
        """The network in float64 (exact values rounded once)."""
        if self.kind == "symbolic":
            raise ParameterError("a symbolic network has no float values")
        return Network(
            self.w.astype(np.float64), self.b.astype(np.float64), self.v.astype(np.float64),
            float(self.c), float(self.negative_slope),
        )


@dataclass(frozen=True, eq=False)
class Spline:
    """f(x) = c + sum_i mu_i sigma(s_i (x - beta_i)) (theory §1.1): breakpoints, amplitudes, orientations.

    With the ReLU (``negative_slope`` = 0) mu_i is the delta-slope at beta_i. With the leaky ReLU
    (alpha in [0, 1)) mu_i = v_i |w_i| still, unit i adds alpha mu_i s_i (x - beta_i) to a global
    linear part and the slope of f jumps by (1 - alpha) mu_i at beta_i (:attr:`delta_slopes`).

    Continuous parameter order (beta_1..beta_H, mu_1..mu_H, c); ``s`` holds discrete labels +-1.
    """

    beta: np.ndarray
    mu: np.ndarray
    s: tuple[int, ...]
    c: object = 0
    negative_slope: object = 0
    kind: Kind = field(init=False)

    #: The name of the parameterization, as the CLI and JSON write it.
    parameterization: ClassVar[str] = "spline"

    def __post_init__(self) -> None:
        object.__setattr__(self, "negative_slope", _negative_slope(self.negative_slope))
        beta, mu = _vector(self.beta, "beta"), _vector(self.mu, "mu")
        if len(beta) != len(mu):
            raise ParameterError(f"beta and mu must have equal lengths, got {len(beta)}, {len(mu)}")
        if len(beta) == 0:
            raise ParameterError("a spline needs at least one breakpoint (width H >= 1)")
        s = _orientations(self.s, len(beta))
        if isinstance(self.c, list | tuple | np.ndarray):
            raise ParameterError("c must be a single number")
        kind = _kind([*beta, *mu, self.c, self.negative_slope])
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "negative_slope", scalar_as_kind(self.negative_slope, kind))
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
    def symbols(cls, H: int, s: Sequence[int], *, negative_slope: object = 0) -> Spline:
        """Symbolic spline with real symbols beta_i, mu_i, c and the given orientations."""
        H = _width(H)
        betas = sp.symbols(f"beta1:{H + 1}", real=True)
        mus = sp.symbols(f"mu1:{H + 1}", real=True)
        return cls(betas, mus, tuple(s), sp.Symbol("c", real=True), negative_slope)

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
    def from_vector(cls, theta: Sequence | np.ndarray, s: Sequence[int], *,
                    negative_slope: object = 0) -> Spline:
        """Inverse of :attr:`vector`, with the orientations given separately."""
        theta = _vector(theta, "theta")
        H = len(s)
        if len(theta) != 2 * H + 1:
            raise ParameterError(f"a width-{H} spline has {2 * H + 1} parameters, got {len(theta)}")
        return cls(theta[:H], theta[H : 2 * H], tuple(s), theta[2 * H], negative_slope)

    # ------------------------------------------------------------------ the model protocol
    @property
    def size(self) -> int:
        """Number of continuous parameters P = 2H + 1."""
        return 2 * self.H + 1

    def with_vector(self, theta: Sequence | np.ndarray) -> Spline:
        """A spline of the same orientations and activation with parameters ``theta``."""
        return Spline.from_vector(theta, self.s, negative_slope=self.negative_slope)

    def unit_lines(self) -> tuple[np.ndarray, np.ndarray]:
        """(P_i, Q_i): unit i contributes P_i + Q_i x on its active side, alpha times that off it.

        Spline: P_i = -s_i mu_i beta_i, Q_i = s_i mu_i.
        """
        s = self.s_array
        m = s * self.mu
        return -m * self.beta, m

    def line_derivatives(self) -> list[tuple[int | None, object, object]]:
        """For every parameter a (fixed order): (unit, p_a, q_a) with d(P + Q x)/d theta_a = p_a + q_a x.

        The unit is None for c. Spline: d/dbeta_i = -s_i mu_i, d/dmu_i = s_i (x - beta_i).
        """
        zero, one = _zero_one(self.kind)
        s = self.s_array
        H = self.H
        out: list[tuple[int | None, object, object]] = []
        out += [(i, -s[i] * self.mu[i], zero) for i in range(H)]
        out += [(i, -s[i] * self.beta[i], s[i]) for i in range(H)]
        out.append((None, one, zero))
        return out

    def line_second_derivatives(self) -> list[tuple[int, int, int, object, object]]:
        """Non-zero d^2(P_i + Q_i x)/d theta_a d theta_b = alpha_ab + gamma_ab x, a < b:
        (a, b, unit, alpha_ab, gamma_ab). Spline: (beta_i, mu_i) -> -s_i."""
        zero, _ = _zero_one(self.kind)
        s = self.s_array
        return [(i, self.H + i, i, -s[i], zero) for i in range(self.H)]

    def knots(self) -> tuple[np.ndarray, tuple[int, ...]]:
        """Breakpoints beta_i and orientations s_i."""
        return self.beta, self.s

    def decay(self, weight_decay: object) -> Decay:
        """The weight-decay penalty reduced over the scale orbits (theory §1.5):

        min_{a > 0} (lambda/2)(a^2 (w^2 + b^2) + v^2 / a^2) = lambda |mu| sqrt(1 + beta^2) per unit,
        attained at the balanced representative v^2 = w^2 + b^2, plus lambda c^2 / 2. Gradient:
        lambda |mu_i| beta_i / sqrt(1 + beta_i^2) in beta_i, lambda sign(mu_i) sqrt(1 + beta_i^2) in
        mu_i, lambda c in c; Hessian: lambda |mu_i| / (1 + beta_i^2)^(3/2) on (beta_i, beta_i),
        lambda sign(mu_i) beta_i / sqrt(1 + beta_i^2) on (beta_i, mu_i), lambda on (c, c).

        Raises
        ------
        ParameterError
            When lambda > 0 and some numeric mu_i = 0, where |mu_i| has a kink and the reduced
            penalty has no derivative.
        """
        lam, kind = _decay_strength(weight_decay, self.kind)
        H = self.H
        i = np.arange(H)
        rows = np.concatenate([i, i, [2 * H]])
        cols = np.concatenate([i, H + i, [2 * H]])
        if kind == "float":
            root = np.sqrt(1.0 + self.beta * self.beta)
            absmu = np.abs(self.mu)
            value = float(lam * (absmu @ root + self.c * self.c / 2))
            if lam != 0:
                _require_nonzero_mu(self.mu)
            sign = np.sign(self.mu)
            grad = np.concatenate([lam * absmu * self.beta / root, lam * sign * root,
                                   [lam * self.c]])
            entries = np.concatenate([lam * absmu / root**3, lam * sign * self.beta / root, [lam]])
            return Decay(value, grad, rows, cols, entries, "float")
        root = [sp.sqrt(1 + b**2) for b in self.beta]
        value = lam * (sp.Add(*[sp.Abs(m) * r for m, r in zip(self.mu, root, strict=True)])
                       + self.c**2 / 2)
        if lam != 0 and kind != "symbolic":
            _require_nonzero_mu(self.mu)
        grad = np.empty(self.size, dtype=object)
        entries = np.empty(2 * H + 1, dtype=object)
        for u in range(H):
            b, m, r = self.beta[u], self.mu[u], root[u]
            grad[u] = lam * sp.Abs(m) * b / r
            grad[H + u] = lam * sp.sign(m) * r
            entries[u] = lam * sp.Abs(m) / r**3
            entries[H + u] = lam * sp.sign(m) * b / r
        grad[-1] = lam * self.c
        entries[-1] = lam
        return Decay(value, grad, rows, cols, entries, kind)

    def balanced(self) -> Network:
        """The network on this spline's orbit with every balance v_i^2 - w_i^2 - b_i^2 = 0: the
        representative where weight decay is smallest (theory §1.5)."""
        return self.to_network(0)

    @property
    def fixed_orientations(self) -> tuple[int, ...]:
        """The orientations s_i: discrete labels of a spline, fixed on every pattern."""
        return self.s

    def to_spline(self) -> Spline:
        """The spline itself (the protocol's common view: ``params.to_spline()`` for either)."""
        return self

    @property
    def delta_slopes(self) -> np.ndarray:
        """The jumps of f' at the breakpoints, (1 - alpha) mu_i (right minus left; theory §1.1)."""
        return (1 - self.negative_slope) * self.mu

    @property
    def s_array(self) -> np.ndarray:
        """Orientations as an array of the spline's kind (float64 or SymPy integers)."""
        if self.kind == "float":
            return np.array(self.s, dtype=np.float64)
        return np.array([sp.Integer(si) for si in self.s], dtype=object)

    def __repr__(self) -> str:
        return reprs.text(self)  # symspline.render registers the renderings

    def _repr_latex_(self) -> str | None:
        return reprs.render(self, "latex")

    def _repr_html_(self) -> str | None:
        """A table of the breakpoints for numeric splines (None for symbolic: the LaTeX is shown)."""
        if self.kind == "symbolic":
            return None
        return reprs.render(self, "html")

    def __call__(self, x: object) -> object:
        """Evaluate f at a scalar or an array of points."""
        if self.kind == "float":
            s = self.s_array
            return _eval_float(x, s, -s * self.beta, self.mu, float(self.c), self.negative_slope)
        xs = np.atleast_1d(np.asarray(x, dtype=object))
        a = self.negative_slope
        out = [
            self.c + sum(mi * _activation(si * (xv - bi), self.kind, a)
                         for bi, mi, si in zip(self.beta, self.mu, self.s, strict=True))
            for xv in xs
        ]
        return out[0] if np.ndim(x) == 0 else np.array(out, dtype=object)

    def slopes(self) -> tuple[object, object]:
        """Slopes of f left of every breakpoint and right of every breakpoint (theory §1.1).

        Left: alpha sum_{s_i=+1} mu_i - sum_{s_i=-1} mu_i; right: sum_{s_i=+1} mu_i -
        alpha sum_{s_i=-1} mu_i (alpha = 0 for the ReLU).
        """
        a = self.negative_slope
        plus = sum(mi for mi, si in zip(self.mu, self.s, strict=True) if si > 0)
        minus = sum(mi for mi, si in zip(self.mu, self.s, strict=True) if si < 0)
        if a == 0:
            return -minus, plus
        return a * plus - minus, plus - a * minus

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
        sc = self if kind == self.kind else self.as_float()
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
        return Network(ws, bs, vs, sc.c, sc.negative_slope)

    def canonical(self) -> Spline:
        """Units sorted by (breakpoint, orientation, delta-slope)."""
        if self.kind == "symbolic":
            raise ParameterError("symbolic splines have no canonical order")
        order = sorted(range(self.H), key=lambda i: (self.beta[i], self.s[i], self.mu[i]))
        return Spline(self.beta[order], self.mu[order], tuple(self.s[i] for i in order), self.c,
                      self.negative_slope)

    def as_float(self) -> Spline:
        """The spline in float64."""
        if self.kind == "symbolic":
            raise ParameterError("a symbolic spline has no float values")
        return Spline(self.beta.astype(np.float64), self.mu.astype(np.float64), self.s,
                      float(self.c), float(self.negative_slope))


def require_relu(params: Network | Spline, what: str) -> None:
    """Refuse a leaky network in an engine derived for the ReLU only, naming the engine."""
    if params.negative_slope != 0:
        raise ParameterError(
            f"{what} is derived for the ReLU; negative_slope = {params.negative_slope} is not "
            "supported there")


def _require_nonzero_mu(mu: np.ndarray) -> None:
    if mu.dtype == np.float64:
        if np.all(mu != 0):
            return  # the common case, without a Python loop
    for i, m in enumerate(mu):
        if m == 0:
            raise ParameterError(
                f"the reduced weight decay lambda |mu{i + 1}| sqrt(1 + beta{i + 1}^2) is not "
                f"differentiable at mu{i + 1} = 0; differentiate in network parameters instead")


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


def _zero_one(kind: Kind) -> tuple[object, object]:
    return (0.0, 1.0) if kind == "float" else (sp.Integer(0), sp.Integer(1))


def _eval_float(x: object, w: np.ndarray, b: np.ndarray, v: np.ndarray, c: float,
                alpha: float = 0.0) -> object:
    xs = np.asarray(x, dtype=np.float64)
    flat = np.atleast_1d(xs).ravel()
    out = np.full(flat.shape, c, dtype=np.float64)
    step = max(1, _CHUNK // max(1, w.shape[0]))
    for lo in range(0, flat.shape[0], step):
        z = np.multiply.outer(flat[lo : lo + step], w) + b
        # max(z, alpha z) is the leaky ReLU for alpha in [0, 1), the ReLU for alpha = 0
        np.maximum(z, alpha * z if alpha else 0.0, out=z)
        out[lo : lo + step] += z @ v
    return float(out[0]) if xs.ndim == 0 else out.reshape(xs.shape)
