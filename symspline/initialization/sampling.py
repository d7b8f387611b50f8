r"""Monte-Carlo twin of the schemes: sample networks, estimate every quantity of
docs/theory.md §4.5 with its standard error.

Every estimator is a sample mean of i.i.d. draws, so its standard error is the sample standard
deviation over sqrt(n). Var f(x) and Var f'(x) are estimated as the mean of f(x)^2 and f'(x)^2
(the means are exactly 0, see :mod:`.roughness`), which keeps the estimator unbiased. Densities
are estimated on bins [x - h, x + h]: the estimate p_hat / (2h) is compared with the exact bin
average (1/2h) int p, which removes the binning bias from the comparison.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import sympy as sp
from scipy import integrate

from ..errors import ParameterError
from .schemes import Gaussian, Uniform

_CHUNK_ELEMENTS = 1 << 21  # n * H elements drawn at once (bounded memory at 1e6 samples)


def float_scales(scheme: Gaussian | Uniform) -> tuple[float, float, float, float]:
    """The four scales as floats (the scheme must not involve symbols)."""
    try:
        return tuple(float(s) for s in scheme.scales)  # type: ignore[return-value]
    except TypeError as exc:
        raise ParameterError(f"scheme {scheme.name} has symbolic scales: fix the width") from exc


def _draw(family: str, scale: float, size: tuple[int, ...], rng: np.random.Generator
          ) -> np.ndarray:
    if scale == 0.0:
        return np.zeros(size)
    if family == "gaussian":
        return rng.normal(0.0, scale, size)
    return rng.uniform(-scale, scale, size)


def sample_parameters(scheme: Gaussian | Uniform, H: int, n: int, rng: np.random.Generator
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """n independent networks: arrays w, b, v of shape (n, H) and c of shape (n,)."""
    H, n = _check_width(H), _check_samples(n)
    sw, sb, sv, sc = float_scales(scheme)
    fam = scheme.family
    w = _draw(fam, sw, (n, H), rng)
    b = _draw(fam, sb, (n, H), rng)
    v = _draw(fam, sv, (n, H), rng)
    c = _draw(fam, sc, (n,), rng)
    return w, b, v, c


def sample_units(scheme: Gaussian | Uniform, n: int, rng: np.random.Generator
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n independent units as (beta, mu, s) = (-b/w, v|w|, sign w)."""
    w, b, v, _ = sample_parameters(scheme, 1, n, rng)
    w, b, v = w[:, 0], b[:, 0], v[:, 0]
    return -b / w, v * np.abs(w), np.sign(w)


@dataclass(frozen=True)
class Estimate:
    """A Monte-Carlo estimate with its standard error."""

    value: float
    se: float

    def z(self, exact: float) -> float:
        """(estimate - exact) / se: the deviation in standard errors."""
        return (self.value - exact) / self.se if self.se > 0 else (
            0.0 if self.value == exact else float("inf"))


def density_estimates(samples: np.ndarray, points: Sequence[float], h: float
                      ) -> list[Estimate]:
    """Bin-average density estimates p_hat/(2h) on [x - h, x + h] with binomial standard errors."""
    n = samples.size
    out = []
    for x in points:
        p = float(np.count_nonzero((samples >= x - h) & (samples <= x + h))) / n
        out.append(Estimate(p / (2 * h), np.sqrt(p * (1 - p) / n) / (2 * h)))
    return out


def bin_average(density: sp.Expr, var: sp.Symbol, x: float, h: float) -> float:
    """(1/2h) int_{x-h}^{x+h} density d var, by adaptive quadrature of the exact density."""
    f = sp.lambdify(var, density, modules=["scipy", "numpy"])
    lo, hi = x - h, x + h
    pts = [0.0] if lo < 0 < hi else None  # log singularity of p(mu) at 0
    val, _ = integrate.quad(lambda t: float(f(t)), lo, hi, points=pts, limit=200,
                            epsabs=1e-13, epsrel=1e-11)
    return val / (2 * h)


@dataclass(frozen=True)
class FunctionStats:
    """Monte-Carlo estimates of theory §4.5 for one scheme, width, interval and points."""

    n: int
    expected_breakpoints: Estimate
    expected_roughness: Estimate
    var_f: tuple[Estimate, ...]
    var_fprime: tuple[Estimate, ...]


class _Moments:
    """Running sums of a quantity and its square (float64; n <= 1e7 keeps them accurate)."""

    def __init__(self, shape: tuple[int, ...] = ()) -> None:
        self.s = np.zeros(shape)
        self.s2 = np.zeros(shape)
        self.n = 0

    def add(self, values: np.ndarray) -> None:
        self.s += values.sum(axis=0)
        self.s2 += (values * values).sum(axis=0)
        self.n += values.shape[0]

    def estimates(self) -> list[Estimate]:
        mean = self.s / self.n
        var = np.maximum(self.s2 / self.n - mean * mean, 0.0) * self.n / max(self.n - 1, 1)
        se = np.sqrt(var / self.n)
        return [Estimate(float(m), float(e)) for m, e in zip(np.atleast_1d(mean),
                                                               np.atleast_1d(se), strict=True)]


def function_stats(scheme: Gaussian | Uniform, H: int, n: int, rng: np.random.Generator,
                   a: float, b: float, xs: Sequence[float],
                   progress: Callable[[Iterable], Iterable] | None = None) -> FunctionStats:
    """Sample n width-H networks and estimate breakpoint counts and roughness on [a, b] and
    Var f(x), Var f'(x) at the points xs (in chunks, so memory stays bounded)."""
    H, n = _check_width(H), _check_samples(n)
    if not a < b:
        raise ParameterError(f"empty interval [{a}, {b}]: need a < b")
    xs_arr = np.asarray(list(xs), dtype=np.float64)
    per = max(1, _CHUNK_ELEMENTS // max(H * max(len(xs_arr), 1), 1))
    sizes = [min(per, n - i) for i in range(0, n, per)]
    counts, rough = _Moments(), _Moments()
    f2, fp2 = _Moments((len(xs_arr),)), _Moments((len(xs_arr),))
    chunks: Iterable[int] = progress(sizes) if progress is not None else sizes
    for m in chunks:
        w, bb, v, c = sample_parameters(scheme, H, m, rng)
        beta = -bb / w
        inside = (beta >= a) & (beta <= b)
        counts.add(inside.sum(axis=1).astype(np.float64))
        vw = v * w
        rough.add(np.where(inside, vw * vw, 0.0).sum(axis=1))
        if len(xs_arr):
            f, fp = _sums_over_units(w, bb, v, vw, c, xs_arr)
            f2.add(f * f)
            fp2.add(fp * fp)
    return FunctionStats(n, counts.estimates()[0], rough.estimates()[0],
                         tuple(f2.estimates()) if len(xs_arr) else (),
                         tuple(fp2.estimates()) if len(xs_arr) else ())


def _sums_over_units(w: np.ndarray, b: np.ndarray, v: np.ndarray, vw: np.ndarray,
                     c: np.ndarray, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """f(x) = sum_i v_i (w_i x + b_i)_+ + c and f'(x) = sum_i v_i w_i 1{w_i x + b_i > 0} at the
    points xs for m networks (rows of the (m, H) arrays): two (m, k) arrays.

    The units are summed one after the other (the order of numpy's reduction over a middle
    axis), on (k, H, m) arrays whose rows are contiguous: the same floating-point operations in
    the same order as summing (m, H, k) arrays over H, several times faster.
    """
    wt, bt, vt = (np.ascontiguousarray(z.T) for z in (w, b, v))
    pre = wt[None, :, :] * xs[:, None, None]            # (k, H, m): w x, then + b
    pre += bt[None, :, :]
    active = pre > 0
    np.maximum(pre, 0.0, out=pre)                       # (w x + b)_+ (the sign of 0 is immaterial)
    pre *= vt[None, :, :]
    f = np.ascontiguousarray(pre.sum(axis=1).T)        # C order: the moments sum over rows
    f += c[:, None]
    fp = np.ascontiguousarray((active * np.ascontiguousarray(vw.T)[None, :, :]).sum(axis=1).T)
    return f, fp


def sample_functions(scheme: Gaussian | Uniform, H: int, count: int, grid: Sequence[float],
                     rng: np.random.Generator) -> np.ndarray:
    """Values of ``count`` sampled initial functions on a grid, shape (count, len(grid))."""
    w, b, v, c = sample_parameters(scheme, H, count, rng)
    g = np.asarray(grid, dtype=np.float64)
    pre = w[:, :, None] * g[None, None, :] + b[:, :, None]
    return (v[:, :, None] * np.maximum(pre, 0.0)).sum(axis=1) + c[:, None]


def _check_width(H: object) -> int:
    if isinstance(H, bool) or not isinstance(H, int | np.integer | sp.Integer) or int(H) < 1:
        raise ParameterError(f"width must be an integer >= 1, got {H!r}")
    return int(H)


def _check_samples(n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or int(n) < 1:
        raise ParameterError(f"number of samples must be an integer >= 1, got {n!r}")
    return int(n)
