"""Exact values beside Monte-Carlo estimates for one scheme: the payload of `symspline init`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import sympy as sp

from ..errors import ParameterError
from . import roughness as R
from .laws import BETA, MU
from .sampling import (
    Estimate,
    bin_average,
    density_estimates,
    float_scales,
    function_stats,
    sample_units,
)
from .schemes import get_scheme

#: Bin half-width of density estimates, relative to the law's scale.
BIN_FRACTION = 0.05


@dataclass(frozen=True)
class Row:
    """One comparison: exact value (``None`` where infinite), Monte-Carlo estimate, z-score.

    For densities ``exact_bin`` is the exact bin average the estimate is compared with.
    """

    quantity: str
    x: float | None
    exact: sp.Expr
    estimate: Estimate
    exact_bin: float | None = None
    null_se: float = 0.0

    @property
    def reference(self) -> float:
        return float(self.exact_bin if self.exact_bin is not None else self.exact)

    @property
    def z(self) -> float:
        # For bin counts the binomial standard error under the exact law (null_se) is used when
        # larger: with few counts the sample standard error understates the spread (0 counts
        # would give se = 0).
        se = max(self.estimate.se, self.null_se)
        return Estimate(self.estimate.value, se).z(self.reference)


class _FormulaLatex(Mapping):
    """The LaTeX formulas of a scheme, derived on first access (the Monte-Carlo comparison
    itself needs only the values, so callers that never read the formulas do not pay for the
    simplifications behind them)."""

    def __init__(self, scheme: object) -> None:
        self._scheme = scheme
        self._forms: dict[str, str] | None = None

    def _get(self) -> dict[str, str]:
        if self._forms is None:
            self._forms = {k: f.latex for k, f in R.formulas(self._scheme).items()}
        return self._forms

    def __getitem__(self, key: str) -> str:
        return self._get()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())

    def __repr__(self) -> str:
        return repr(self._get())


@dataclass(frozen=True)
class InitReport:
    """Formulas (LaTeX), exact values and Monte-Carlo estimates of the six quantities."""

    scheme: str
    family: str
    scales: tuple[sp.Expr, ...]
    width: int
    interval: tuple[sp.Expr, sp.Expr]
    points: tuple[sp.Expr, ...]
    samples: int
    latex: Mapping[str, str]
    rows: tuple[Row, ...]
    bin_halfwidth: dict[str, float]

    def by_quantity(self, name: str) -> list[Row]:
        return [r for r in self.rows if r.quantity == name]

    @property
    def worst_z(self) -> float:
        return max(abs(r.z) for r in self.rows)


def evaluate(spec: str, H: int, a: object, b: object, points: Sequence[object], n: int,
             rng: np.random.Generator,
             progress: Callable[[Iterable], Iterable] | None = None) -> InitReport:
    """Evaluate every formula for scheme ``spec`` at width H and compare with n Monte-Carlo draws.

    Densities are evaluated at beta = x and mu = x for each point x.
    """
    if isinstance(H, bool) or not isinstance(H, int) or H < 1:
        raise ParameterError(f"width must be an integer >= 1, got {H!r}")
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        raise ParameterError(f"number of samples must be an integer >= 2, got {n!r}")
    scheme = get_scheme(spec, H)
    general = get_scheme(spec, R.H_SYM)
    a_, b_ = R.check_interval(a, b)
    pts = tuple(R._num(p, "point") for p in points)
    rows: list[Row] = []
    sw, sb, sv, sc = float_scales(scheme)
    fa, fb, fx = float(a_), float(b_), [float(p) for p in pts]

    beta_s, mu_s, _ = sample_units(scheme, n, rng)
    h_beta = BIN_FRACTION * sb / sw
    fam, sub = R._subs(scheme)
    h_mu = BIN_FRACTION * float(sp.sqrt(fam.mean_mu2.subs(sub)))
    p_beta = R.breakpoint_density(scheme).at(BETA)
    p_mu = R.delta_slope_density(scheme)
    for x, est in zip(pts, density_estimates(beta_s, fx, h_beta), strict=True):
        avg = bin_average(p_beta, BETA, float(x), h_beta)
        rows.append(Row("breakpoint_density", float(x), R.breakpoint_density_at(scheme, x), est,
                        avg, _null_se(avg, h_beta, n)))
    for x, est in zip(pts, density_estimates(mu_s, fx, h_mu), strict=True):
        avg = bin_average(p_mu, MU, float(x), h_mu)
        rows.append(Row("delta_slope_density", float(x), R.delta_slope_density_at(scheme, x), est,
                        avg, _null_se(avg, h_mu, n)))

    st = function_stats(scheme, H, n, rng, fa, fb, fx, progress=progress)
    rows.append(Row("expected_breakpoints", None, R.expected_breakpoints(scheme, H, a_, b_),
                    st.expected_breakpoints))
    rows.append(Row("expected_roughness", None, R.expected_roughness(scheme, H, a_, b_),
                    st.expected_roughness))
    for x, est in zip(pts, st.var_f, strict=True):
        rows.append(Row("var_f", float(x), R.var_f(scheme, H, x), est))
    for x, est in zip(pts, st.var_fprime, strict=True):
        rows.append(Row("var_fprime", float(x), R.var_fprime(scheme, H, x), est))
    return InitReport(
        scheme=scheme.name, family=scheme.family, scales=scheme.scales, width=H,
        interval=(a_, b_), points=pts, samples=n,
        latex=_FormulaLatex(general), rows=tuple(rows),
        bin_halfwidth={"breakpoint_density": h_beta, "delta_slope_density": h_mu},
    )


def _null_se(avg: float, h: float, n: int) -> float:
    p0 = min(max(avg * 2 * h, 0.0), 1.0)
    return float(np.sqrt(p0 * (1 - p0) / n) / (2 * h))


def _value(e: sp.Expr) -> float | None:
    return None if e in (sp.oo, -sp.oo, sp.zoo) else float(e)


def to_payload(rep: InitReport) -> dict:
    """The JSON layout of `symspline init --json` (see docs/initialization.md)."""
    out: dict = {
        "scheme": {"name": rep.scheme, "family": rep.family,
                   "scales": dict(zip(("w", "b", "v", "c"), (str(s) for s in rep.scales),
                                      strict=True))},
        "width": rep.width, "interval": [float(rep.interval[0]), float(rep.interval[1])],
        "at": [float(p) for p in rep.points], "samples": rep.samples,
    }
    for q in R.QUANTITIES:
        rows = rep.by_quantity(q)
        item: dict = {"latex": rep.latex[q]}
        if rows and rows[0].x is None:
            r = rows[0]
            item["value"] = _value(r.exact)
            item["exact"] = str(r.exact)
            item["monte_carlo"] = [r.estimate.value, r.estimate.se]
        else:
            item["at"] = [[r.x, _value(r.exact)] for r in rows]
            item["exact"] = [str(r.exact) for r in rows]
            item["monte_carlo"] = [[r.x, r.estimate.value, r.estimate.se] for r in rows]
            if q in rep.bin_halfwidth:
                item["bin_halfwidth"] = rep.bin_halfwidth[q]
                item["bin_average"] = [[r.x, r.exact_bin] for r in rows]
        out[q] = item
    return out
