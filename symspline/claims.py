"""The user's own claims about the loss on every activation pattern: parsed safely, decided exactly
where a certificate exists, searched adversarially otherwise.

A claim is text (never evaluated as code; read by :mod:`symspline.parsing`'s AST whitelist):

- a scalar relation ``A <= B``, ``A >= B``, ``A < B``, ``A > B`` or ``A = B`` (also ``==``),
  normalized to ``E >= 0``, ``E > 0`` or ``E = 0``;
- a matrix statement ``M is PSD`` (or ``M on (p, q, ...) is PSD``) for ``M`` one of ``hess``,
  ``GN`` (the Gauss-Newton part J^T J / N), ``R`` (the residual part, Hess - GN), and
  ``L convex in (beta, mu, c)`` (= the Hessian block on those parameters is PSD; ``concave``
  asks for negative semidefinite).

The vocabulary (units i = 1..H, samples n = 1..N; see docs/claims.md):

=====================  =====================================================================
``beta1, mu1, s1, c``   spline parameters and orientations (also in the network view)
``w1, b1, v1``          network parameters (``param="network"`` only)
``x1, y1, N, H``        data and sizes
``f1, r1``              f(x_n) and the residual r_n = f(x_n) - y_n
``L``                   the loss (1/2N) sum_n r_n^2
``rho1``, ``nA1``       rho_i = -s_i sum_{A_i} r_n, and |A_i|
``dL_dbeta1``           gradient entries (also ``grad[beta1]``)
``hess[p, q]``          Hessian entries; ``GN[p, q]`` and ``R[p, q]`` its two parts
``sumA(i, e)``          sum over n in A_i of e, written with ``x_n, y_n, f_n, r_n``
``sumN(e)``             sum over all samples n of e
=====================  =====================================================================

Hypotheses (``assume``): ``mu2 = 0`` (any of mu_i, c, v_i, y_n fixed to an expression),
``mu1 > 0`` / ``c < 0`` (a sign), ``s1 = -1`` (an orientation), ``unit 2 dead`` /
``unit 2 alive`` (its active set empty / not empty).

User claims are decided at the given (H, N), over every admissible pattern with symbolic ordered
data; general proofs for every width exist only for the built-in catalogue.
"""

from __future__ import annotations

import ast
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import sympy as sp

from .errors import InputError, ParseError, SizeError
from .numbers import to_sympy
from .parsing import FUNCTIONS, parse_expression
from .theorems.core import Counterexample, Instance, ProofResult, is_zero, symbolic_instances

#: Most activation patterns a user claim visits.
MAX_CLAIM_PATTERNS = 512
#: Largest width and sample count for a user claim.
MAX_H, MAX_N = 4, 8
#: Largest total degree of a claim in its named quantities.
MAX_DEGREE = 12

_SumA = sp.Function("sumA")
_SumN = sp.Function("sumN")
_PER_SAMPLE = {k: sp.Symbol(k, real=True) for k in ("x_n", "y_n", "f_n", "r_n")}
_MATRIX_RE = re.compile(r"^(hess|hessian|GN|R)\s*(?:on\s*\(([^()]*)\)\s*)?is\s+(PSD|NSD)$",
                        re.IGNORECASE)
_CONVEX_RE = re.compile(r"^(?:L|the loss)\s+(?:is\s+)?(convex|concave)"
                        r"(?:\s+in\s*\(([^()]*)\))?$", re.IGNORECASE)


@dataclass(frozen=True)
class ParsedClaim:
    """A claim normalized to ``expr`` (placeholders) with ``kind`` "zero", "nonneg" or "pos", or a
    matrix statement (``kind`` "psd": ``sign * matrix`` restricted to ``block`` is PSD)."""

    text: str
    kind: str
    expr: sp.Expr | None
    matrix: str = ""
    block: tuple[str, ...] = ()
    sign: int = 1


@dataclass(frozen=True)
class Hypotheses:
    """Parsed hypotheses: fixed values, signs, orientations, dead and alive units (1-based)."""

    fixed: tuple[tuple[str, sp.Expr], ...] = ()
    signs: tuple[tuple[str, int], ...] = ()
    orient: tuple[tuple[int, int], ...] = ()
    dead: tuple[int, ...] = ()
    alive: tuple[int, ...] = ()
    texts: tuple[str, ...] = ()


# ====================================================================== vocabulary
def _theta_names(param: str, H: int) -> list[str]:
    if param == "spline":
        return [f"beta{i}" for i in range(1, H + 1)] + [f"mu{i}" for i in range(1, H + 1)] + ["c"]
    return [f"{p}{i}" for p in "wbv" for i in range(1, H + 1)] + ["c"]


def vocabulary(H: int, N: int, param: str) -> list[str]:
    """Every name a claim may use at width H on N samples (besides hess/GN/R[...] and sums)."""
    names = _theta_names(param, H)
    extra = [f"{p}{i}" for p in ("beta", "mu", "s", "rho", "nA") for i in range(1, H + 1)]
    names += [n for n in extra if n not in names]
    names += [f"{p}{n}" for p in "xyfr" for n in range(1, N + 1)]
    names += ["L"] + [f"dL_d{t}" for t in _theta_names(param, H)]
    return names


def _check_sizes(H: object, N: object, param: str) -> None:
    if not isinstance(H, int) or not isinstance(N, int) or isinstance(H, bool) or \
            isinstance(N, bool) or H < 1 or N < 1:
        raise InputError(f"need positive integers H and N, got H={H!r}, N={N!r}")
    if H > MAX_H or N > MAX_N:
        raise SizeError(f"user claims are decided for H <= {MAX_H} and N <= {MAX_N}, "
                        f"got H={H}, N={N}")
    if param not in ("spline", "network"):
        raise InputError(f"param must be 'spline' or 'network', got {param!r}")


def parse_claim(text: str, H: int, N: int, param: str = "spline") -> ParsedClaim:
    """Parse claim text (see the module docstring) for width H on N samples.

    Raises
    ------
    ParseError
        For text outside the claim language, naming the problem.
    """
    _check_sizes(H, N, param)
    if not isinstance(text, str) or not text.strip():
        raise ParseError("empty claim")
    t = " ".join(text.split())
    theta = _theta_names(param, H)
    m = _MATRIX_RE.match(t)
    if m:
        mat = {"hessian": "hess", "hess": "hess", "gn": "GN", "r": "R"}[m.group(1).lower()]
        block = _block(m.group(2), theta) if m.group(2) else tuple(theta)
        return ParsedClaim(t, "psd", None, mat, block, 1 if m.group(3).upper() == "PSD" else -1)
    m = _CONVEX_RE.match(t)
    if m:
        block = _block(m.group(2), theta) if m.group(2) else tuple(theta)
        return ParsedClaim(t, "psd", None, "hess", block,
                           1 if m.group(1).lower() == "convex" else -1)
    # A lone '=' is an equation; Python's AST wants '=='.
    src = re.sub(r"(?<![<>=!])=(?!=)", "==", t)
    try:
        tree = ast.parse(src, mode="eval")
    except SyntaxError as exc:
        raise ParseError(f"not a valid claim: {exc.msg}") from None
    body = tree.body
    if not isinstance(body, ast.Compare) or len(body.ops) != 1:
        raise ParseError("a claim is 'A <= B', 'A >= B', 'A < B', 'A > B', 'A = B', "
                         "'M is PSD' (M = hess, GN, R) or 'L convex in (beta, mu, c)'")
    op = body.ops[0]
    parts = [ast.get_source_segment(src, body.left), ast.get_source_segment(src, body.comparators[0])]
    lhs, rhs = (_parse_side(p or "", H, N, param) for p in parts)
    if isinstance(op, ast.GtE):
        kind, expr = "nonneg", lhs - rhs
    elif isinstance(op, ast.LtE):
        kind, expr = "nonneg", rhs - lhs
    elif isinstance(op, ast.Gt):
        kind, expr = "pos", lhs - rhs
    elif isinstance(op, ast.Lt):
        kind, expr = "pos", rhs - lhs
    elif isinstance(op, ast.Eq):
        kind, expr = "zero", lhs - rhs
    else:
        raise ParseError(f"relation {type(op).__name__} is not allowed in a claim")
    return ParsedClaim(t, kind, sp.expand(expr) if not expr.has(_SumA, _SumN) else expr)


def _block(text: str, theta: list[str]) -> tuple[str, ...]:
    out: list[str] = []
    for item in (p.strip() for p in text.split(",")):
        if not item:
            continue
        group = [t for t in theta if re.fullmatch(re.escape(item) + r"\d+", t)] if \
            item in ("beta", "mu", "w", "b", "v") else ([item] if item in theta else [])
        if not group:
            raise ParseError(f"unknown parameter {item!r} in the block (parameters: "
                             f"{', '.join(theta)}; or a group: beta, mu, w, b, v)")
        out += [g for g in group if g not in out]
    if not out:
        raise ParseError("empty parameter block")
    return tuple(sorted(out, key=theta.index))


def _parse_side(text: str, H: int, N: int, param: str) -> sp.Expr:
    names = {n: sp.Symbol(n, real=True) for n in vocabulary(H, N, param)}
    # N and H stay names until a pattern gives them values: a general proof keeps N symbolic.
    names["N"], names["H"] = sp.Symbol("N", positive=True), sp.Symbol("H", positive=True)
    theta = _theta_names(param, H)

    def entry(mat: str, k: int) -> Callable[[list], sp.Expr]:
        def f(idx: list) -> sp.Expr:
            if len(idx) != k or not all(isinstance(a, sp.Symbol) and str(a) in theta for a in idx):
                want = "one parameter" if k == 1 else "two parameters"
                raise ParseError(f"{mat}[...] takes {want} of {', '.join(theta)}")
            return sp.Symbol(f"{mat}[{','.join(str(a) for a in idx)}]", real=True)
        return f

    def sum_a(i: sp.Expr, e: sp.Expr) -> sp.Expr:
        if not (i.is_Integer and 1 <= int(i) <= H):
            raise ParseError(f"sumA(i, e) needs a unit number i in 1..{H}, got {i}")
        return _SumA(i, e)

    funcs = dict(FUNCTIONS)
    funcs["sumA"] = (sum_a, 2)
    funcs["sumN"] = (lambda e: _SumN(e), 1)
    names.update(_PER_SAMPLE)
    subs = {"grad": entry("grad", 1), "hess": entry("hess", 2), "GN": entry("GN", 2),
            "R": entry("R", 2)}
    expr = parse_expression(text, names, functions=funcs, subscripts=subs)
    outside = expr.replace(lambda e: isinstance(e, _SumA | _SumN), lambda e: sp.Integer(0))
    loose = sorted(str(s) for s in outside.free_symbols if s in _PER_SAMPLE.values())
    if loose:
        raise ParseError(f"{', '.join(loose)} may appear only inside sumA(i, ...) or sumN(...)")
    plain = expr.replace(lambda e: isinstance(e, _SumA | _SumN), lambda e: sp.Symbol("_sum"))
    if plain.is_polynomial(*plain.free_symbols) and plain.free_symbols:
        deg = sp.Poly(plain, *plain.free_symbols).total_degree()
        if deg > MAX_DEGREE:
            raise ParseError(f"claim of degree {deg} in its quantities exceeds {MAX_DEGREE}")
    return expr


def parse_hypotheses(texts: Sequence[str], H: int, N: int, param: str) -> Hypotheses:
    """Parse ``assume`` strings (see the module docstring)."""
    fixed, signs, orient, dead, alive = [], [], [], [], []
    free = ([f"mu{i}" for i in range(1, H + 1)] if param == "spline" else
            [f"v{i}" for i in range(1, H + 1)]) + ["c"] + [f"y{n}" for n in range(1, N + 1)]
    values = {n: sp.Symbol(n, real=True) for n in _theta_names(param, H)}
    values.update({f"{p}{n}": sp.Symbol(f"{p}{n}", real=True) for p in "xy"
                   for n in range(1, N + 1)})
    for raw in texts:
        if not isinstance(raw, str):
            raise InputError(f"a hypothesis is text, got {type(raw).__name__}")
        t = " ".join(raw.split())
        m = re.fullmatch(r"s(\d+)\s*==?\s*([+-]?)\s*1", t)
        if m:
            orient.append((_unit(m.group(1), H), -1 if m.group(2) == "-" else 1))
            continue
        m = re.fullmatch(r"(?:unit\s+(\d+)\s+(?:is\s+)?(dead|alive|active))|(dead|alive)\((\d+)\)",
                         t, re.IGNORECASE)
        if m:
            i = _unit(m.group(1) or m.group(4), H)
            (dead if (m.group(2) or m.group(3)).lower() == "dead" else alive).append(i)
            continue
        m = re.fullmatch(r"(\w+)\s*([<>])\s*0", t)
        if m:
            if m.group(1) not in free:
                raise ParseError(f"a sign hypothesis takes one of {', '.join(free)}, "
                                 f"got {m.group(1)!r}")
            signs.append((m.group(1), 1 if m.group(2) == ">" else -1))
            continue
        m = re.fullmatch(r"(\w+)\s*==?\s*(.+)", t)
        if m:
            if m.group(1) not in free:
                raise ParseError(f"a hypothesis NAME = VALUE fixes one of {', '.join(free)}, "
                                 f"got {m.group(1)!r}")
            fixed.append((m.group(1), parse_expression(m.group(2), values)))
            continue
        raise ParseError(f"unknown hypothesis {t!r}: use 'mu2 = 0', 'mu1 > 0', 's1 = -1', "
                         "'unit 2 dead' or 'unit 2 alive'")
    names = [n for n, _ in fixed]
    if len(set(names)) != len(names) or set(names) & {n for n, _ in signs}:
        raise InputError("each quantity may be fixed or signed by one hypothesis only")
    return Hypotheses(tuple(fixed), tuple(signs), tuple(orient), tuple(dead), tuple(alive),
                      tuple(" ".join(t.split()) for t in texts))


def _unit(text: str, H: int) -> int:
    i = int(text)
    if not 1 <= i <= H:
        raise ParseError(f"unit {i} does not exist at width {H}")
    return i


# ====================================================================== per-pattern quantities
def _quantities(inst: Instance, expr: sp.Expr, param: str) -> sp.Expr:
    """Replace every placeholder of ``expr`` by its value on the symbolic instance."""
    from .theorems.catalogue import _jac_f

    p, pat, data = inst.params, inst.pattern, inst.data
    theta = _theta_names(param, inst.H)
    cache: dict = {}

    def gn() -> sp.Matrix:
        if "gn" not in cache:
            J = _jac_f(inst)
            cache["gn"] = J.T * J / inst.N
        return cache["gn"]

    def value(name: str) -> sp.Expr:
        m = re.fullmatch(r"(grad|hess|GN|R)\[(.*)\]", name)
        if m:
            idx = [theta.index(a) for a in m.group(2).split(",")]
            if m.group(1) == "grad":
                return inst.grad_diff[idx[0]]
            a, b = idx
            if m.group(1) == "hess":
                return inst.hess_diff[a, b]
            if m.group(1) == "GN":
                return gn()[a, b]
            return inst.hess_diff[a, b] - gn()[a, b]
        if name in ("N", "H"):
            return sp.Integer(inst.N if name == "N" else inst.H)
        if name == "L":
            # As a sum of squares (not expanded), so that structure stays visible to certificates.
            return sp.Add(*[r**2 for r in inst.residuals]) / (2 * inst.N)
        if name.startswith("dL_d"):
            return inst.grad_diff[theta.index(name[4:])]
        m = re.fullmatch(r"([a-zA-Z]+)(\d+)", name)
        base, j = m.group(1), int(m.group(2)) - 1  # type: ignore[union-attr]
        if base in ("x", "y"):
            return (data.x if base == "x" else data.y)[j]
        if base == "f":
            return inst.residuals[j] + data.y[j]
        if base == "r":
            return inst.residuals[j]
        if base == "s":
            return sp.Integer(pat.s[j])
        if base == "nA":
            return sp.Integer(len(pat.active(j)))
        if base == "rho":
            return -pat.s[j] * inst.active_sum(j)
        if param == "spline":
            return {"beta": p.beta, "mu": p.mu}[base][j] if base != "c" else p.c
        if base in ("w", "b", "v"):
            return {"w": p.w, "b": p.b, "v": p.v}[base][j]
        if base == "beta":
            return -p.b[j] / p.w[j]
        return pat.s[j] * p.v[j] * p.w[j]  # mu = v |w| = s v w

    sub = {}
    for s in expr.free_symbols:
        if s in _PER_SAMPLE.values():
            continue
        sub[s] = p.c if str(s) == "c" else value(str(s))

    def per_sample(e: sp.Expr, n: int) -> sp.Expr:
        r = inst.residuals[n]
        return e.xreplace({_PER_SAMPLE["x_n"]: data.x[n], _PER_SAMPLE["y_n"]: data.y[n],
                           _PER_SAMPLE["f_n"]: r + data.y[n], _PER_SAMPLE["r_n"]: r})

    def do_sums(e: sp.Expr) -> sp.Expr:
        if isinstance(e, _SumA):
            i, body = int(e.args[0]) - 1, e.args[1]
            return sp.Add(*[per_sample(body, n) for n in pat.active(i)])
        if isinstance(e, _SumN):
            return sp.Add(*[per_sample(e.args[0], n) for n in range(inst.N)])
        return e

    out = expr.replace(lambda e: isinstance(e, _SumA | _SumN), do_sums)
    return out.xreplace(sub)


def _fixed_map(inst: Instance, hyp: Hypotheses, param: str) -> dict:
    """Instance symbol -> value for the hypotheses NAME = VALUE."""
    by_name = {str(s): s for s in list(inst.theta) + list(inst.data.x) + list(inst.data.y)}
    out = {}
    for name, val in hyp.fixed:
        v = val.xreplace({sp.Symbol(str(s), real=True): by_name[str(s)] for s in val.free_symbols})
        out[by_name[name]] = v
    return out


# ====================================================================== the decision
def claim(text: str, H: int = 1, N: int = 3, *, param: str = "spline",
          assume: Sequence[str] = (), seed: int = 0, points: int | None = None,
          general: bool = True,
          progress: Callable[[int, int], None] | None = None) -> ProofResult:
    """Decide a user's claim on every activation pattern of width H on N symbolic ordered samples.

    On each pattern (restricted by the orientation and dead/alive hypotheses) the claim becomes,
    exactly, a rational function of the data and the parameters: an identity ``E = 0`` is decided
    by expansion; ``E >= 0`` by an exact certificate in region coordinates (positive terms, or a
    symbolic LDL^T of a quadratic form with certified pivots); a PSD claim by the Gram identity
    M = J^T J / N or a certified LDL^T. Without a certificate an adversarial search (scale-free
    points, local minimization) looks for a violation and confirms it exactly at a rational point
    strictly inside the pattern.

    Parameters
    ----------
    text : str
        The claim (vocabulary in the module docstring and docs/claims.md).
    H, N : int
        Width and number of samples (H <= 4, N <= 8, at most 512 patterns).
    param : {"spline", "network"}
        The parameterization the claim is written in.
    assume : sequence of str
        Hypotheses: ``"mu2 = 0"``, ``"mu1 > 0"``, ``"s1 = -1"``, ``"unit 2 dead"``.
    seed : int
        Seed of the search.
    general : bool
        First try a proof for every width and symbolic N (identities about units 1 and 2 written
        with parameters, sums, L and its derivatives; see :func:`general_identity`).
    points : int, optional
        Scale-free search points per pattern (default :data:`decide.SEARCH_POINTS`).

    Returns
    -------
    ProofResult
        ``level`` "general" (an identity proved for every width and N), "exhaustive" (proved on
        every pattern, with certificates), "refuted" (exact
        counterexample inside its pattern), "tested" (search found nothing on some pattern:
        *not* a proof) or "failed" (an identity could not be decided).
    """
    from .regions import locate
    from .theorems import decide

    pc = parse_claim(text, H, N, param)
    hyp = parse_hypotheses(assume, H, N, param)
    npts = decide.SEARCH_POINTS if points is None else int(points)
    if npts < 1:
        raise InputError(f"points must be positive, got {points}")
    insts = [inst for inst in _all_instances(param, H, N)
             if all(inst.pattern.s[i - 1] == s for i, s in hyp.orient)
             and all(inst.pattern.is_dead(i - 1) for i in hyp.dead)
             and not any(inst.pattern.is_dead(i - 1) for i in hyp.alive)]
    name = text if not hyp.texts else f"{text} [assuming {'; '.join(hyp.texts)}]"
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    certs: dict[str, int] = {}
    proved_once: dict = {}
    tested = undecided = 0
    evaluated = 0

    def result(level: str, detail: str, cex: Counterexample | None = None) -> ProofResult:
        cl = tuple(f"{c} ({n} pattern{'s' if n != 1 else ''})" for c, n in certs.items())
        return ProofResult(name, level, cex, detail, H, N, attempts=(("decision", detail),),
                           seconds=time.perf_counter() - t0, certificates=cl, points=evaluated,
                           patterns=len(insts), param=param)

    if not insts:
        return result("failed", "no activation pattern satisfies the hypotheses")
    if general and pc.kind == "zero":
        done, why = general_identity(pc, hyp, param)
        if done:
            return result("general", why)
    for j, inst in enumerate(insts):
        fixed = _fixed_map(inst, hyp, param)
        signs = {s: sg for s in inst.theta + list(inst.data.y) for n, sg in hyp.signs
                 if str(s) == n}
        region = decide.region_of(inst, signs)
        outcome: tuple[str, object]
        if pc.kind == "psd":
            outcome = _decide_psd(pc, inst, region, fixed, rng, npts, param)
        else:
            e = _quantities(inst, pc.expr, param).xreplace(fixed)
            # A claim in free quantities only (mu, c, y, ...) is the same on every pattern:
            # its proof is found once.
            key = (pc.kind, e) if e.free_symbols <= set(region.free) else None
            if key is not None and key in proved_once:
                outcome = ("proved", proved_once[key])
            else:
                outcome = _decide_scalar(pc.kind, e, region, rng, npts)
                if key is not None and outcome[0] == "proved":
                    proved_once[key] = outcome[1]
        kind, info = outcome
        if kind == "proved":
            certs[str(info)] = certs.get(str(info), 0) + 1
        elif kind == "refuted":
            viol, n_eval = info  # type: ignore[misc]
            evaluated += n_eval
            cex = _counterexample(name, inst, viol, fixed, param)
            if locate(_point_params(inst, viol.values, fixed, param),
                      _point_data(inst, viol.values)) != inst.pattern:
                # By construction this cannot happen; refuse to report a point outside.
                undecided += 1
                continue
            return result("refuted", f"counterexample on {inst.pattern}: {viol.detail}", cex)
        elif kind == "tested":
            tested += 1
            evaluated += int(info)  # type: ignore[arg-type]
        else:
            undecided += 1
        if progress is not None:
            progress(j + 1, len(insts))
    if not tested and not undecided:
        return result("exhaustive", f"proved on all {len(insts)} patterns of width {H} on {N} "
                      "symbolic ordered samples, each with an exact certificate")
    if undecided:
        return result("failed", f"{undecided} of {len(insts)} patterns undecided "
                      "(an identity that is not 0 but no exact non-zero point was found)")
    return result("tested", f"{tested} of {len(insts)} patterns without an exact certificate; "
                  f"{evaluated} adversarial points there found no counterexample "
                  "(tested, not proved)")


def general_identity(pc: ParsedClaim, hyp: Hypotheses, param: str) -> tuple[bool, str]:
    """Try to prove an identity claim for symbolic N and every width (unit-locality, theory §2).

    The claim is rewritten on the two-unit template of :mod:`symspline.theorems.general`
    (f_n = c + u_1(n) chi_1[n] + u_2(n) chi_2[n] + g[n], arbitrary 0/1 indicators chi and an
    arbitrary rest g[n] standing for every other unit), for each orientation pair allowed by the
    hypotheses, and reduced to one summand that must vanish. Samples named individually (x1, f2),
    H, units beyond 2 or products of sums leave it to the per-pattern decision: (False, reason).
    """
    from .theorems import general as g

    text_names = {str(s) for s in pc.expr.free_symbols}  # type: ignore[union-attr]
    if any(re.fullmatch(r"[xyfr]\d+|H|\w*[3-9]\d*", n) for n in text_names - set(_PER_SAMPLE)):
        return False, "names a sample, H, or a unit beyond 2"
    orients = [s for s in g.orientations()
               if all(s[i - 1] == sg for i, sg in hyp.orient if i <= 2)]
    if any(i > 2 for i, _ in hyp.orient) or any(i > 2 for i in hyp.dead):
        return False, "a hypothesis on a unit beyond 2"
    for s in orients:
        t = g.Template(param, s)
        try:
            e = _on_template(pc.expr, t, hyp, param)  # type: ignore[arg-type]
            ok = g.identity(e, 0)
        except (ValueError, KeyError, TypeError, AttributeError, sp.PolynomialError):
            return False, "not a linear combination of single sums over n"
        if not ok:
            return False, f"the template identity fails for orientations {s}"
    return True, ("identity proved for symbolic N and every width H >= the units it names: on "
                  "the two-unit template "
                  "(arbitrary active sets, every other unit in an arbitrary rest term) it reduces "
                  f"to a zero summand for the orientations {', '.join(map(str, orients))}")


def _on_template(expr: sp.Expr, t: object, hyp: Hypotheses, param: str) -> sp.Expr:
    from .theorems import general as g

    tags = {"1": "i", "2": "j"}
    theta = {str(p).replace("_i", "1").replace("_j", "2"): p for p in t.theta}  # type: ignore
    n, X, Y = g.n, g.X, g.Y

    def unit_sym(base: str, k: str) -> sp.Expr:
        tag = tags[k]
        if f"{base}_{tag}" in t.sym:  # type: ignore[attr-defined]
            return t[f"{base}_{tag}"]  # type: ignore[index]
        u = int(k) - 1
        if base == "beta":  # network view
            return -t[f"b_{tag}"] / t[f"w_{tag}"]  # type: ignore[index]
        if base == "mu":
            return t.s[u] * t[f"v_{tag}"] * t[f"w_{tag}"]  # type: ignore
        raise KeyError(base)

    cols = {}

    def col(name: str) -> sp.Expr:
        if name not in cols:
            cols[name] = t.column(theta[name])  # type: ignore[attr-defined]
        return cols[name]

    def value(name: str) -> sp.Expr:
        m = re.fullmatch(r"(grad|hess|GN|R)\[(.*)\]", name)
        if m:
            idx = m.group(2).split(",")
            if m.group(1) == "grad":
                return t.d(theta[idx[0]])  # type: ignore[attr-defined]
            a, b = idx
            gn = g.S(col(a) * col(b)) / g.N
            if m.group(1) == "GN":
                return gn
            hs = t.d(theta[a], theta[b])  # type: ignore[attr-defined]
            return hs if m.group(1) == "hess" else hs - gn
        if name == "L":
            return t.loss  # type: ignore[attr-defined]
        if name == "c":
            return t["c"]  # type: ignore[index]
        if name == "N":
            return g.N
        if name.startswith("dL_d"):
            return t.d(theta[name[4:]])  # type: ignore[attr-defined]
        m = re.fullmatch(r"([a-zA-Z]+)([12])", name)
        base, k = m.group(1), m.group(2)  # type: ignore[union-attr]
        u = int(k) - 1
        if base == "s":
            return sp.Integer(t.s[u])  # type: ignore[attr-defined]
        if base == "rho":
            return g.rho(t, u)
        if base == "nA":
            return g.S(g.CHI[u][n])
        return unit_sym(base, k)

    per = {_PER_SAMPLE["x_n"]: X[n], _PER_SAMPLE["y_n"]: Y[n],
           _PER_SAMPLE["f_n"]: t.f, _PER_SAMPLE["r_n"]: t.r}  # type: ignore[attr-defined]

    def do_sums(e: sp.Expr) -> sp.Expr:
        if isinstance(e, _SumA):
            u = int(e.args[0]) - 1
            if u > 1:
                raise KeyError("unit beyond 2")
            return g.S(e.args[1].xreplace(per) * g.CHI[u][n])
        if isinstance(e, _SumN):
            return g.S(e.args[0].xreplace(per))
        return e

    sub = {s_: value(str(s_)) for s_ in expr.free_symbols if s_ not in _PER_SAMPLE.values()}
    out = expr.replace(lambda e: isinstance(e, _SumA | _SumN), do_sums).xreplace(sub)
    # Hypotheses: fixed values on the template symbols, dead units as chi = 0.
    fixed = {}
    for nm, val in hyp.fixed:
        if nm == "c" or re.fullmatch(r"(mu|v)[12]", nm):
            fixed[value(nm)] = val.xreplace({sp.Symbol(str(v), real=True): value(str(v))
                                             for v in val.free_symbols})
        else:
            raise KeyError(nm)
    out = out.xreplace(fixed) if fixed else out
    for i in hyp.dead:
        out = out.xreplace({g.CHI[i - 1][n]: 0})
    return out


def _all_instances(param: str, H: int, N: int) -> list[Instance]:
    count = (2 * (N + 1)) ** H
    if count > MAX_CLAIM_PATTERNS:
        raise SizeError(f"a claim at H={H}, N={N} visits {count} patterns, more than "
                        f"{MAX_CLAIM_PATTERNS}")
    return symbolic_instances(param, H, N)


def _decide_scalar(kind: str, e: sp.Expr, region: object, rng: np.random.Generator,
                   npts: int) -> tuple[str, object]:
    from .theorems import decide

    if kind == "zero":
        if is_zero(e):
            return "proved", "identity: the difference expands to 0"
        v = decide.find_nonzero(e, region, rng)  # type: ignore[arg-type]
        return ("refuted", (v, 0)) if v is not None else ("undecided", None)
    strict = kind == "pos"
    cert = decide.certify_nonneg(e, region, strict=strict)  # type: ignore[arg-type]
    if cert is not None:
        return "proved", cert
    quad = decide.decide_quadratic(e, region, strict)  # type: ignore[arg-type]
    if quad is not None:
        return ("proved", quad[1]) if quad[0] == "proved" else ("refuted", (quad[1], 0))
    uni = decide.decide_univariate(e, region, strict)  # type: ignore[arg-type]
    if uni is not None:
        return ("proved", uni[1]) if uni[0] == "proved" else ("refuted", (uni[1], 0))
    crit = decide.decide_critical_2d(e, region, strict)  # type: ignore[arg-type]
    if crit is not None:
        return "proved", crit
    viol = decide.refute_quadratic_slice(e, region, rng, strict)  # type: ignore[arg-type]
    if viol is not None:
        return "refuted", (viol, 0)
    score = decide.scalar_score(e, region, strict)  # type: ignore[arg-type]
    v, n = decide.search(region, rng, score=score,  # type: ignore[arg-type]
                         confirm=decide.scalar_confirm(e, strict), points=npts)
    return ("refuted", (v, n)) if v is not None else ("tested", n)


def _decide_psd(pc: ParsedClaim, inst: Instance, region: object, fixed: dict,
                rng: np.random.Generator, npts: int, param: str) -> tuple[str, object]:
    from .theorems import decide
    from .theorems.catalogue import _jac_f

    theta = _theta_names(param, inst.H)
    idx = [theta.index(b) for b in pc.block]
    J = _jac_f(inst)
    gn = (J.T * J / inst.N).extract(idx, idx)
    hess = inst.hess_diff.extract(idx, idx)
    M = {"hess": hess, "GN": gn, "R": hess - gn}[pc.matrix] * pc.sign
    M = M.applyfunc(lambda e: sp.expand(e.xreplace(fixed)))
    gram = gn.applyfunc(lambda e: sp.expand(e.xreplace(fixed))) if pc.sign > 0 else None
    cert = decide.certify_psd(M, region, gram)  # type: ignore[arg-type]
    if cert is not None:
        return "proved", cert
    v, n = decide.search(region, rng, score=decide.matrix_score(M, region),  # type: ignore
                         confirm=decide.psd_confirm(M), points=max(16, npts // 4))
    return ("refuted", (v, n)) if v is not None else ("tested", n)


def _point_data(inst: Instance, values: dict) -> object:
    from .data import Dataset

    return Dataset.from_arrays([values[x] for x in inst.data.x], [values[y] for y in inst.data.y])


def _point_params(inst: Instance, values: dict, fixed: dict, param: str) -> object:
    from .params import Network, Spline

    vals = dict(values)
    for sym, v in fixed.items():
        vals[sym] = to_sympy(v).xreplace(values)
    p = inst.params
    alpha = p.negative_slope
    if isinstance(alpha, sp.Basic):
        alpha = alpha.xreplace(vals)  # a symbolic leaky slope is a variable of the claim too
    if param == "spline":
        return Spline([vals[b] for b in p.beta], [vals[m] for m in p.mu], inst.pattern.s, vals[p.c],
                      alpha)
    return Network([vals[w] for w in p.w], [vals[b] for b in p.b], [vals[v] for v in p.v],
                   vals[p.c], alpha)


def _counterexample(name: str, inst: Instance, viol: object, fixed: dict,
                    param: str) -> Counterexample:
    point = _point_params(inst, viol.values, fixed, param)  # type: ignore[attr-defined]
    data = _point_data(inst, viol.values)  # type: ignore[attr-defined]
    return Counterexample(name, str(inst.pattern),
                          {n: str(v) for n, v in zip(point.names, point.vector, strict=True)},
                          tuple(str(v) for v in data.x), tuple(str(v) for v in data.y),
                          viol.detail)  # type: ignore[attr-defined]
