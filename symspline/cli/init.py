"""`symspline init`: initial-function statistics of a scheme, exact (docs/theory.md §4) beside Monte-Carlo."""

from __future__ import annotations

import argparse
import hashlib
import math
import re
import sys

import numpy as np
import sympy as sp

from ..defaults import DEFAULT_SEED
from ..errors import ParameterError, ParseError, SizeError
from ..limits import require_memory
from ..numbers import parse_number
from ._common import add_json, emit_json, exact_fields, payload_head, require_finite

#: Monte-Carlo work bound: samples x width values drawn (about a minute of NumPy at 1e10).
MAX_DRAWS = 10**10
#: Largest |x| of a point or interval end (Monte-Carlo moments of x^4 stay within float64).
MAX_POINT = 1e50

_DEFAULT_WIDTH = 16
_DEFAULT_SAMPLES = 100_000


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "init", help="breakpoint/delta-slope laws, roughness, Var f, Var f' of an initialization",
        description="Exact laws of the breakpoints beta = -b/w and delta-slopes mu = v|w| of an "
        "initialization scheme (theory §4), the expected number of breakpoints and roughness "
        "sum mu_i^2 on [a, b], Var f(x) and Var f'(x), with Monte-Carlo estimates and standard "
        "errors beside them. Schemes: pytorch, glorot_normal, glorot_uniform, he_normal, "
        "he_uniform, lecun_normal, gaussian, uniform, or gaussian(sw,sb,sv[,sc]) / "
        "uniform(aw,ab,av[,ac]) with explicit scales.")
    p.add_argument("--scheme", required=True, metavar="NAME", help="initialization scheme")
    p.add_argument("--width", default=str(_DEFAULT_WIDTH), metavar="H",
                   help=f"number of hidden units (default {_DEFAULT_WIDTH})")
    p.add_argument("--interval", nargs=2, default=["-2", "2"], metavar=("a", "b"),
                   help="data interval [a, b] for breakpoint counts and roughness (default -2 2)")
    p.add_argument("--at", default=None, metavar="x1,x2,...",
                   help="points for densities (beta = x and mu = x), Var f and Var f' "
                   "(default: a, (3a+5b)/8, b); decimals are read exactly (0.1 = 1/10)")
    p.add_argument("--samples", default=str(_DEFAULT_SAMPLES), metavar="n",
                   help=f"Monte-Carlo sample size (default {_DEFAULT_SAMPLES})")
    add_json(p)
    # Let values such as -1/2 or -1,0.5 follow --interval / --at without '=': argparse only
    # recognises plain negative decimals as values by default.
    p._negative_number_matcher = re.compile(r"^-\.?\d")
    p.set_defaults(handler=run)


def _int(text: str, what: str, minimum: int) -> int:
    shown = text if len(text) <= 40 else text[:37] + "..."
    try:
        value = parse_number(text)
    except ParseError as exc:
        raise ParameterError(f"{what} must be an integer >= {minimum}, got {shown!r}") from exc
    if isinstance(value, float) or not value.is_Integer or int(value) < minimum:
        raise ParameterError(f"{what} must be an integer >= {minimum}, got {shown!r}")
    return int(value)


def _exact(text: str, what: str) -> object:
    try:
        value = parse_number(text, exact_decimals=True)
    except ParseError as exc:
        raise ParameterError(f"bad {what}: {exc}") from exc
    # Exact, but the Monte-Carlo side works in float64: 1e999 would become inf there.
    # (Var f grows like x^2 and its standard error like x^4: |x| <= 1e50 keeps both finite.)
    if not math.isfinite(float(value)) or abs(float(value)) > MAX_POINT:
        raise ParameterError(f"bad {what}: {text[:40]!r} is beyond the range the Monte-Carlo "
                             f"estimates can use (|x| <= {MAX_POINT:.0e})")
    return value


def _check_scheme(spec: str, H: int, n: int, npoints: int) -> None:
    """Scales usable in float64, and a Monte-Carlo run of bounded memory and work."""
    from ..initialization.schemes import get_scheme

    scheme = get_scheme(spec, H)
    for name, scale in zip("wbvc", scheme.scales, strict=True):
        value = float(scale)
        if not math.isfinite(value) or (value != 0 and not 1e-50 < abs(value) < 1e50):
            raise ParameterError(f"scale of {name} in {spec.strip()[:60]!r} is "
                                 f"{sp.N(scale, 3)}, beyond the range the float64 Monte-Carlo "
                                 "draws can use (1e-50 to 1e50)")
    # n single units at once (about ten float64 arrays), and the largest chunk of networks:
    # at least one network of H units, with four arrays per evaluation point.
    from ..initialization.sampling import _CHUNK_ELEMENTS

    chunk = max(float(H) * max(npoints, 1), float(_CHUNK_ELEMENTS)) * (8 + 4 * npoints) / \
        max(npoints, 1)
    require_memory(80.0 * n + 8.0 * chunk, f"the Monte-Carlo run (--samples {n}, --width {H})")
    if float(n) * H > MAX_DRAWS:
        raise SizeError(f"--samples {n} at --width {H} draws {float(n) * H:.3g} values, more "
                        f"than the {MAX_DRAWS:.0e} a run may draw; lower --samples or --width")


def _rng(salt: str) -> np.random.Generator:
    digest = hashlib.sha256(f"{DEFAULT_SEED}:{salt}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def run(args: argparse.Namespace) -> int:
    from ..initialization.validation import evaluate  # SymPy work only when used

    H = _int(args.width, "width", 1)
    n = _int(args.samples, "samples", 2)
    a, b = (_exact(t, "interval end") for t in args.interval)
    if not a < b:
        raise ParameterError(f"empty interval [{a}, {b}]: need a < b")
    if args.at is None:
        pts = [a, (3 * a + 5 * b) / 8, b]
    else:
        items = [s for s in args.at.split(",") if s.strip()]
        if not items:
            raise ParameterError("--at needs at least one point")
        pts = [_exact(s, "point") for s in items]
    progress = None
    if not args.json and sys.stderr.isatty():
        from tqdm import tqdm

        def progress(it):  # noqa: ANN001, ANN202 - thin wrapper for a progress bar on stderr
            return tqdm(it, desc="Monte-Carlo", unit="chunk", file=sys.stderr, leave=False)

    _check_scheme(args.scheme, H, n, len(pts))
    rep = evaluate(args.scheme, H, a, b, pts, n, _rng(f"init:{args.scheme}:{H}"),
                   progress=progress)
    payload = _payload(args, rep)
    require_finite(payload)
    if args.json:
        emit_json(payload)
        return 0
    print(_text(args.scheme, rep))
    return 0


#: How each quantity reads in the terminal: a heading over its formula, its left-hand side, and
#: its short name in the table of values.
_LABELS = {
    "breakpoint_density": ("breakpoint density", "p(β)", "p(β)"),
    "delta_slope_density": ("delta-slope density", "p(μ)", "p(μ)"),
    "expected_breakpoints": ("expected number of breakpoints in [a, b]: "
                             "E #{i: βᵢ ∈ [a, b]} = H (F(b) − F(a)) with", "F(x)",
                             "E #breakpoints"),
    "expected_roughness": ("expected roughness on [a, b]: E Σ μᵢ² over βᵢ ∈ [a, b] "
                           "= H (G(b) − G(a)) with", "G(x)", "E roughness"),
    "var_f": ("variance of the initial function", "Var f(x)", "Var f(x)"),
    "var_fprime": ("variance of its slope", "Var f′(x)", "Var f′(x)"),
}


def _formula_exprs(spec: str) -> dict[str, sp.Expr]:
    """The six formulas as SymPy expressions in the width H (the --json output carries their
    LaTeX): the same objects the report's formulas come from, read from the cached laws."""
    from ..initialization import roughness as R
    from ..initialization.laws import BETA, X, laws
    from ..initialization.schemes import get_scheme

    general = get_scheme(spec, R.H_SYM)
    fam = laws(general.family)
    sub = dict(zip(fam.scales, general.scales, strict=True))
    forms = R.formulas(general)
    return {
        "breakpoint_density": R.breakpoint_density(general).at(BETA),
        "delta_slope_density": forms["delta_slope_density"].expr,
        "expected_breakpoints": fam.beta_density.antiderivative(X).subs(sub),
        "expected_roughness": fam.roughness_density.antiderivative(X).subs(sub),
        "var_f": forms["var_f"].expr,
        "var_fprime": forms["var_fprime"].expr,
    }


def _tidy(expr: sp.Expr) -> sp.Expr:
    """Cheap readability fixes (no full simplify: seconds on Gaussian laws): a Piecewise condition
    that is a union of half-lines in one variable becomes one relation (``x ≤ 0 ∨ x ≤ 1`` is
    ``x ≤ 1``), logarithms of products and powers are expanded."""
    if isinstance(expr, sp.Piecewise):
        args = []
        for e, cond in expr.args:
            if isinstance(cond, sp.Or) and len(cond.free_symbols) == 1:
                cond = cond.as_set().as_relational(next(iter(cond.free_symbols)))
            args.append((_tidy(e), cond))
        return sp.Piecewise(*args)
    if expr.has(sp.log):
        return sp.expand_log(expr, force=True)
    return min((expr, sp.factor(expr), sp.cancel(expr)), key=sp.count_ops)  # 2/(π(2β² + 2)) is 1/(π(β² + 1))


def _with_lhs(lhs: str, expr: sp.Expr, indent: str = "  ") -> str:
    """``lhs = expr`` pretty-printed, ``lhs`` on the expression's baseline (SymPy aligns it)."""
    block = sp.pretty(sp.Eq(sp.Symbol(lhs), expr, evaluate=False), use_unicode=True)
    return "\n".join((indent + ln).rstrip() for ln in block.split("\n"))


def _text(spec: str, rep: object) -> str:
    """The terminal view: the formulas in unicode math, then one compact table of values, exact
    (simplified, the float beside it) against Monte-Carlo."""
    from ..render.display import Table, inline, number_text

    scales = ", ".join(f"{k} {inline(v)}" for k, v in zip("wbvc", rep.scales, strict=True))
    a, b = rep.interval
    out = [f"scheme {rep.scheme} ({rep.family}; scales {scales}), width H = {rep.width}, "
           f"interval [{inline(a)}, {inline(b)}], {rep.samples} Monte-Carlo samples", "",
           "formulas (in general width H):"]
    exprs = _formula_exprs(spec)
    for q, (head, lhs, _) in _LABELS.items():
        out += ["", f"{head}:", _with_lhs(lhs, _tidy(exprs[q]))]
    rows = []
    for q, (_, _, short) in _LABELS.items():
        for r in rep.by_quantity(q):
            exact = inline(r.exact)
            approx = "" if r.exact in (sp.oo, -sp.oo, sp.zoo) else number_text(float(r.exact))
            rows.append((short, "" if r.x is None else f"{r.x:g}", exact,
                         "" if approx == exact else approx,
                         "" if r.exact_bin is None else f"{r.exact_bin:.6g}",
                         f"{r.estimate.value:.6g}", f"{r.estimate.se:.2g}",
                         f"{r.z:+.2f}" if math.isfinite(r.z) else "-"))
    table = Table(("quantity", "x", "exact", "≈", "bin average", "Monte-Carlo", "± s.e.", "z"),
                  tuple(rows))
    out += ["", f"values at H = {rep.width} (densities at β = x and μ = x; counts on "
            f"[{inline(a)}, {inline(b)}]):", str(table)]
    return "\n".join(out)


def _payload(args: argparse.Namespace, rep: object) -> dict:
    """`init --json` under the JSON contract (docs/json.md, docs/schemas/init.json)."""
    from ..initialization import roughness as R

    out = payload_head(args)
    # the scales of w, b, v, c by name: {"w": .., "b": .., ...} and the same for the twin
    scales = {k: dict(zip("wbvc", v, strict=True)) if isinstance(v, list) else v
              for k, v in exact_fields("scales", list(rep.scales)).items()}
    out["scheme"] = {"name": rep.scheme, "family": rep.family, **scales}
    out.update({"H": rep.width, **exact_fields("interval", list(rep.interval)),
                **exact_fields("at", list(rep.points)), "samples": rep.samples,
                "seed": DEFAULT_SEED})
    quantities: dict = {}
    for q in R.QUANTITIES:
        rows = rep.by_quantity(q)
        item: dict = {"latex": rep.latex[q]}
        if rows and rows[0].x is None:
            item.update(_row(rows[0]))
        else:
            item["points"] = [{**exact_fields("x", p), **_row(r)}
                              for p, r in zip(rep.points, rows, strict=True)]
            if q in rep.bin_halfwidth:
                item["bin_halfwidth"] = rep.bin_halfwidth[q]
        quantities[q] = item
    out["quantities"] = quantities
    return out


def _row(r: object) -> dict:
    if r.exact in (sp.oo, -sp.oo, sp.zoo):
        # A density that is unbounded at this point (rule 4: null with the reason beside it).
        item: dict = {"value": None, "value_reason": "unbounded: the density is infinite here"}
    else:
        item = exact_fields("value", r.exact)
    item["monte_carlo"] = {"estimate": float(r.estimate.value), "se": float(r.estimate.se)}
    if r.exact_bin is not None:
        item["bin_average"] = float(r.exact_bin)
    z = float(r.z)
    item.update({"z": z} if math.isfinite(z) else {"z": None, "z_reason": "not finite"})
    return item
