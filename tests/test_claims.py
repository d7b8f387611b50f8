"""User claims: the guide's examples, false claims refuted inside their pattern (re-checked here with
the public API), honest levels, the decision procedures against independent ones, JSON, bad input."""

from __future__ import annotations

import itertools
import json
import re
import shlex
from pathlib import Path

import jsonschema
import numpy as np
import pytest
import sympy as sp

import symspline
from symspline.claims import claim, parse_claim
from symspline.data import Dataset
from symspline.errors import ParseError, SizeError
from symspline.params import Network, Spline
from symspline.parsing import parse_expression
from symspline.regions import Pattern, locate
from symspline.render.report import PROOF_LEVELS, Claim, Derivation
from symspline.theorems.catalogue import THEORY_INEQUALITIES
from symspline.theorems.core import symbolic_instances
from symspline.theorems.decide import region_of

DOCS = Path(__file__).resolve().parents[1] / "docs"
R = sp.Rational
MOTZKIN = "mu1**4*c**2 + mu1**2*c**4 - 3*mu1**2*c**2 + 1 >= 0"


# ====================================================================== independent helpers
def _psd_exact(M: sp.Matrix) -> bool:
    """PSD by all principal minors >= 0 (exact; independent of the checker's LDL^T)."""
    n = M.rows
    return all(M.extract(list(idx), list(idx)).det() >= 0
               for k in range(1, n + 1) for idx in itertools.combinations(range(n), k))


def _objects(res):
    """(pattern, parameters, data) of a counterexample, rebuilt from its exact strings."""
    cex = res.counterexample
    data = Dataset.from_arrays([R(v) for v in cex.data_x], [R(v) for v in cex.data_y])
    units = re.fullmatch(r"Pattern\[(.*)\]", cex.pattern).group(1).split(", ")
    pat = Pattern(tuple(1 if u[0] == "+" else -1 for u in units), tuple(int(u[1:]) for u in units),
                  data.n)
    p = {k: R(v) for k, v in cex.params.items()}
    H = pat.H
    if "beta1" in p:
        params = Spline([p[f"beta{i}"] for i in range(1, H + 1)],
                        [p[f"mu{i}"] for i in range(1, H + 1)], pat.s, p["c"])
    else:
        params = Network([p[f"w{i}"] for i in range(1, H + 1)], [p[f"b{i}"] for i in range(1, H + 1)],
                         [p[f"v{i}"] for i in range(1, H + 1)], p["c"])
    return pat, params, data


def _active(spl: Spline, data: Dataset, i: int) -> list[int]:
    return [n for n in range(data.n) if spl.s[i] * (data.x[n] - spl.beta[i]) > 0]


def _resid(params, data) -> list:
    return [f - y for f, y in zip(params(data.x), data.y, strict=True)]


def _S(terms) -> sp.Expr:
    """An exact sum (SymPy 0 when empty: 0/N must not become the float 0.0)."""
    return sp.Add(*terms)


def _grad(params, data, name):
    return symspline.gradient(params, data)[params.names.index(name)]


# Each false claim: (text, H, N, param, hypotheses, holds(params, data) computed independently).
FALSE_CLAIMS = [
    # bounds that fail only at large magnitudes
    ("mu1**2 <= 100", 1, 3, "spline", (), lambda p, d: p.mu[0] ** 2 <= 100),
    ("L <= 10**5", 1, 3, "spline", (), lambda p, d: symspline.loss(p, d) <= 10**5),
    ("L <= 10**5", 2, 3, "network", (), lambda p, d: symspline.loss(p, d) <= 10**5),
    ("L >= mu1**2/100", 1, 3, "spline", (), lambda p, d: symspline.loss(p, d) >= p.mu[0] ** 2 / 100),
    # matrix claims
    ("R is PSD", 1, 3, "spline", (),
     lambda p, d: _psd_exact(symspline.hessian(p, d, parts=True)[2])),
    ("L convex in (beta, mu, c)", 1, 3, "spline", (),
     lambda p, d: _psd_exact(symspline.hessian(p, d))),
    ("hess is PSD", 2, 2, "spline", ("mu1 = 0",),
     lambda p, d: p.mu[0] != 0 or _psd_exact(symspline.hessian(p, d))),
    # identities off by a factor, with a sign slip, with s_i missing
    ("dL_dmu1 = 2*s1*sumA(1, r_n*(x_n - beta1))/N", 1, 3, "spline", (),
     lambda p, d: _grad(p, d, "mu1") == 2 * p.s[0] * _S(
         _resid(p, d)[n] * (d.x[n] - p.beta[0]) for n in _active(p, d, 0)) / d.n),
    ("dL_dbeta1 = s1*mu1*sumA(1, r_n)/N", 1, 3, "spline", (),
     lambda p, d: _grad(p, d, "beta1") == p.s[0] * p.mu[0] * _S(
         _resid(p, d)[n] for n in _active(p, d, 0)) / d.n),
    ("dL_dmu1 = sumA(1, r_n*(x_n - beta1))/N", 1, 3, "spline", (),
     lambda p, d: _grad(p, d, "mu1") == _S(
         _resid(p, d)[n] * (d.x[n] - p.beta[0]) for n in _active(p, d, 0)) / d.n),
    ("dL_dw1 = v1*sumA(1, r_n)/N", 1, 3, "network", (),
     lambda p, d: _grad(p, d, "w1") == p.v[0] * _S(
         _resid(p, d)[n] for n in _active(p.to_spline(), d, 0)) / d.n),
    ("mu1 = v1*w1", 1, 2, "network", (), lambda p, d: p.to_spline().mu[0] == p.v[0] * p.w[0]),
    # bounds that fail only near a face of the pattern
    ("(x1 - beta1)**2 >= 10**-8", 1, 1, "spline", ("unit 1 alive",),
     lambda p, d: not _active(p, d, 0) or (d.x[0] - p.beta[0]) ** 2 >= R(1, 10**8)),
    ("(x2 - x1)*(1 + mu1**2) >= 10**-9", 1, 2, "spline", (),
     lambda p, d: (d.x[1] - d.x[0]) * (1 + p.mu[0] ** 2) >= R(1, 10**9)),
    ("hess[mu1, beta1] <= 0", 1, 3, "spline", (),
     lambda p, d: symspline.hessian(p, d)[1, 0] <= 0),
    # quadratics in free quantities, refuted exactly (a ray; a minimizer)
    ("mu1*c <= 10", 1, 2, "spline", (), lambda p, d: p.mu[0] * p.c <= 10),
    ("(mu1 - c)**2 >= mu1 - c", 1, 1, "spline", (),
     lambda p, d: (p.mu[0] - p.c) ** 2 >= p.mu[0] - p.c),
    # one-coordinate claims, decided by exact real-root isolation
    ("mu1**4 - 3*mu1**2 + 2 >= 0", 1, 2, "spline", (),
     lambda p, d: p.mu[0] ** 4 - 3 * p.mu[0] ** 2 + 2 >= 0),
    ("x2 - x1 >= 1/10", 1, 2, "spline", (), lambda p, d: d.x[1] - d.x[0] >= R(1, 10)),
    # a strict inequality that fails on the dead patterns
    ("nA1 > 0", 1, 2, "spline", (), lambda p, d: len(_active(p, d, 0)) > 0),
]


@pytest.mark.parametrize("text,H,N,param,assume,holds", FALSE_CLAIMS,
                         ids=[f"{c[0]} ({c[3]}, H={c[1]})" for c in FALSE_CLAIMS])
def test_false_claims_refuted_inside_their_pattern(text, H, N, param, assume, holds):
    res = claim(text, H, N, param=param, assume=assume)
    assert res.level == "refuted" and res.refuted and not res.proved, res.detail
    pat, params, data = _objects(res)
    # Strictly inside the pattern it names: locate raises KinkError on a pattern boundary.
    assert locate(params, data) == pat
    assert data.kind == "exact" and params.kind == "exact"
    assert not holds(params, data)


def test_false_claims_are_not_catalogue_entries():
    from symspline.theorems import catalogue

    statements = {t.statement for t in catalogue().values()}
    assert len(FALSE_CLAIMS) >= 10
    assert not statements & {c[0] for c in FALSE_CLAIMS}


def _small_points(H: int, N: int, param: str, rng: np.random.Generator, k: int = 30):
    """Exact points in the unit box, off the kinks (for the evaluators' own check)."""
    out = []
    while len(out) < k:
        xs = sorted(R(int(v), 2) for v in rng.choice(np.arange(-6, 7), N, replace=False))
        data = Dataset.from_arrays(xs, [R(int(v), 3) for v in rng.integers(-4, 5, N)])
        rat = [R(int(v), 5) for v in rng.integers(-9, 10, 3 * H + 1)]
        s = tuple(int(v) for v in rng.choice([-1, 1], H))
        if param == "spline":
            # Breakpoints over [-9/2, 9/2], beyond the data at times: dead units occur too.
            params = Spline([5 * b / 2 for b in rat[:H]], rat[H:2 * H], s, rat[-1])
        else:
            params = Network([si * (abs(w) + 1) for si, w in zip(s, rat[:H], strict=True)],
                             rat[H:2 * H], rat[2 * H:3 * H], rat[-1])
        if not symspline.kinks(params, data):
            out.append((params, data))
    return out


def test_the_independent_checks_can_fail():
    # Each evaluator above says "holds" somewhere (with mu1 = 0 where that is a hypothesis), so a
    # refutation is its verdict at the counterexample, not a constant.
    rng = np.random.default_rng(11)
    for text, H, N, param, assume, holds in FALSE_CLAIMS:
        pts = _small_points(H, N, param, rng)
        if "mu1 = 0" in assume:
            pts = [(Spline(p.beta, [0, *p.mu[1:]], p.s, p.c), d) for p, d in pts]
        verdicts = {bool(holds(p, d)) for p, d in pts}
        assert True in verdicts, text
    assert not _psd_exact(sp.Matrix([[0, 1], [1, 0]])) and _psd_exact(sp.Matrix([[1, 1], [1, 1]]))


# ====================================================================== true claims, levels
TRUE_CLAIMS = [
    ("GN is PSD", 2, 3, "spline", ()),
    ("L convex in (mu, c)", 1, 3, "spline", ()),
    ("dL_dbeta1 = mu1*rho1/N", 2, 2, "spline", ()),
    ("dL_db1 = v1*sumA(1, r_n)/N", 1, 3, "network", ()),
    ("mu1 = s1*v1*w1", 2, 2, "network", ()),
    ("hess[beta1,beta1] = mu1**2*nA1/N", 1, 3, "spline", ()),
    ("L >= 0", 2, 2, "network", ()),
    ("dL_dbeta1 = 0", 2, 2, "spline", ("unit 1 dead",)),
    ("sumA(1, (x_n - beta1)*s1) >= 0", 2, 3, "spline", ()),
    ("L >= 0", 1, 3, "spline", ("mu1 > 0", "c = 1/2")),
    ("mu1**4 - mu1 + 1 >= 0", 1, 2, "spline", ()),
    ("mu1**6 - 6*mu1**4 + 9*mu1**2 >= 0", 1, 1, "spline", ()),
]


@pytest.mark.parametrize("text,H,N,param,assume", TRUE_CLAIMS, ids=[c[0] for c in TRUE_CLAIMS])
def test_true_claims_proved_exhaustively(text, H, N, param, assume):
    res = claim(text, H, N, param=param, assume=assume, general=False)
    assert res.level == "exhaustive" and res.proved and res.counterexample is None, res.detail
    assert res.label == f"proved (exhaustive, H={H}, N={N})" and res.certificates


def test_proved_claims_hold_at_points_the_prover_never_saw():
    # Independent evaluation with the public API at random exact points (any pattern).
    rng = np.random.default_rng(5)
    for p, d in _small_points(2, 3, "spline", rng, k=12):
        Hs, GN, _ = symspline.hessian(p, d, parts=True)
        assert _psd_exact(GN)
        assert _psd_exact(Hs.extract([2, 3, 4], [2, 3, 4]))  # L convex in (mu, c)
        r = _resid(p, d)
        rho1 = -p.s[0] * _S(r[n] for n in _active(p, d, 0))
        assert _grad(p, d, "beta1") == p.mu[0] * rho1 / d.n
        assert Hs[0, 0] == p.mu[0] ** 2 * len(_active(p, d, 0)) / d.n


def test_quadratic_certificates_name_minimizer_and_ray():
    res = claim("mu1**2 + c**2 - 2*mu1 - 2*c + 1 >= 0", 1, 1)
    assert res.refuted and "exact minimizer (mu1, c) = (1, 1), minimum of the numerator -1" in \
        res.detail
    res = claim("L >= 10**-3", 1, 2)  # quadratic in (mu, c, y) with data-dependent coefficients
    assert res.refuted and "exact minimizer" in res.detail
    res = claim("mu1*c <= 10", 1, 1)
    assert res.refuted and "unbounded below along a ray" in res.detail
    res = claim("mu1**2 - 2*mu1*c + c**2 + 3 > 0", 1, 1)
    assert res.proved and any("exact minimum 3" in c for c in res.certificates)


GENERAL = [("dL_dbeta1 = mu1*rho1/N", "spline", ()),
           ("dL_db1 = v1*sumA(1, r_n)/N", "network", ()),
           ("mu2 = s2*v2*w2", "network", ()),
           ("hess[mu2,beta1] = GN[mu2,beta1]", "spline", ()),
           ("R[mu1,beta1] = rho1/N", "spline", ()),
           ("L = sumN(r_n**2)/(2*N)", "network", ()),
           ("dL_dbeta1 = 0", "spline", ("unit 1 dead",)),
           ("dL_dbeta1 = 0", "spline", ("mu1 = 0",))]


@pytest.mark.parametrize("text,param,assume", GENERAL, ids=[g[0] for g in GENERAL])
def test_identities_proved_for_every_width_agree_with_patterns(text, param, assume):
    res = claim(text, 2, 3, param=param, assume=assume)
    assert res.level == "general" and res.proved and res.label == "proved (general)"
    # Cross-check on every pattern at two sizes, by the independent per-pattern route.
    for H, N in ((1, 3), (2, 2)):
        if "2" in text and H == 1:
            continue
        assert claim(text, H, N, param=param, assume=assume, general=False).level == "exhaustive"


def test_false_identities_are_never_proved_in_general():
    for text, H, N, param, assume, _ in FALSE_CLAIMS:
        if "=" in text and not any(op in text for op in ("<=", ">=")):
            from symspline.claims import general_identity, parse_claim, parse_hypotheses

            ok, _why = general_identity(parse_claim(text, H, N, param),
                                        parse_hypotheses(assume, H, N, param), param)
            assert not ok, text


def test_hypotheses_restrict_patterns():
    assert claim("c >= 0", 2, 2).level == "refuted"
    assert claim("c >= 0", 2, 2, assume=["c > 0"]).level == "exhaustive"
    assert claim("s1 = 1", 2, 2).level == "refuted"
    res = claim("s1 = 1", 2, 2, assume=["s1 = +1", "unit 2 alive"], general=False)
    assert res.level == "exhaustive" and res.patterns == 2 * 3 * 2  # s2 free, k1 free, k2 < 2
    assert claim("s1 = 1", 2, 2, assume=["s1 = +1"]).level == "general"
    assert claim("nA1 = 0", 1, 2, assume=["unit 1 dead"]).patterns == 2


def test_tested_claim_is_not_a_proof(cli):
    res = claim(MOTZKIN, 1, 2)
    assert res.level == "tested" and res.ok and not res.proved and res.points > 1000
    assert res.label == f"tested ({res.points} points, no counterexample)"
    # The report counts it as tested, never among proofs.
    d = Derivation("d", "t", "3", "s", claims=(Claim("a", "s", res.level),
                                                 Claim("b", "s", "general")))
    assert d.level_counts == {"general": 1, "tested": 1}
    assert sum(n for lv, n in d.level_counts.items() if lv in PROOF_LEVELS) == 1
    assert d.level_summary == "1 proved (general), 1 tested"
    code, out, _ = cli("prove", "--claim", MOTZKIN, "--N", "2", "--json")
    js = json.loads(out)
    assert code == 1 and js["ok"] is False and js["proved"] is False and js["level"] == "tested"
    code, out, _ = cli("prove", "--claim", MOTZKIN, "--N", "2", "--require", "not-refuted")
    assert code == 0 and "level: tested (" in out and "certificate:" not in out


def test_derive_summary_counts_levels_separately():
    from symspline.cli.derive import _level_totals

    ds = [Derivation("a", "t", "2", "s", claims=(Claim("x", "s", "general"),
                                                 Claim("y", "s", "tested"),
                                                 Claim("z", "s", "numeric"))),
          Derivation("b", "t", "3", "s", claims=(Claim("u", "s", "exhaustive"),
                                                 Claim("w", "s", "refuted", expected_false=True)))]
    assert _level_totals(ds) == ("1 proved (general), 1 proved (exhaustive), 1 tested, "
                                 "1 tested (numeric), 1 refuted")


def test_require_any_and_refutation(cli):
    assert cli("prove", "--claim", "mu1**2 <= 100", "--require", "any")[0] == 0
    assert cli("prove", "--claim", "mu1**2 <= 100", "--require", "not-refuted")[0] == 1
    assert cli("prove", "--claim", "c**2 >= 0", "--require", "refutation")[0] == 1
    assert cli("prove", "2.2", "--level", "tested", "--trials", "2")[0] == 1  # tested, not proof


def test_quadratic_claims_against_principal_minors():
    # The checker's LDL^T certificate and its search, against an independent exact criterion:
    # q(mu1, c) >= 0 everywhere iff the homogenized matrix Q is PSD (cases the code never saw).
    rng = np.random.default_rng(20260601)
    seen = set()
    for _ in range(12):
        B = sp.Matrix(3, 3, [int(v) for v in rng.integers(-2, 3, 9)])
        Q = B.T * B if rng.random() < 0.5 else sp.Matrix(3, 3, lambda i, j: 0) + (
            lambda A: A + A.T)(sp.Matrix(3, 3, [int(v) for v in rng.integers(-3, 4, 9)]))
        text = (f"({Q[0, 0]})*mu1**2 + ({2 * Q[0, 1]})*mu1*c + ({Q[1, 1]})*c**2 + "
                f"({2 * Q[0, 2]})*mu1 + ({2 * Q[1, 2]})*c + ({Q[2, 2]}) >= 0")
        psd = _psd_exact(Q)
        seen.add(psd)
        res = claim(text, 1, 1, points=128)
        assert res.level == ("exhaustive" if psd else "refuted"), (text, res.detail)
        if not psd:
            _, spl, _ = _objects(res)
            z = sp.Matrix([spl.mu[0], spl.c, 1])
            assert (z.T * Q * z)[0, 0] < 0
    assert seen == {True, False}


def test_univariate_claims_against_numpy_minimum():
    # Exact real-root isolation against an independent float minimum of random quartics in mu1
    # (critical points from numpy.roots); cases too close to 0 to call in floats are skipped.
    rng = np.random.default_rng(314)
    decided = set()
    for trial in range(40):
        a = [int(v) for v in rng.integers(-6, 7, 5)]
        a[0] = abs(a[0]) + 1  # positive leading coefficient: bounded below
        crit = [z.real for z in np.roots(np.polyder(np.array(a, dtype=float)))
                if abs(z.imag) < 1e-9]
        low = min(np.polyval(a, crit))
        if abs(low) < 1e-6:
            continue
        text = " + ".join(f"({c})*mu1**{4 - k}" for k, c in enumerate(a)) + " >= 0"
        res = claim(text, 1, 1, points=64)
        assert res.level == ("exhaustive" if low > 0 else "refuted"), (text, low, res.detail)
        decided.add(res.level)
        if res.refuted:
            _, spl, _ = _objects(res)
            assert sum(c * spl.mu[0] ** (4 - k) for k, c in enumerate(a)) < 0
        if len(decided) == 2 and trial > 16:
            break
    assert decided == {"exhaustive", "refuted"}


def test_two_variable_claims_against_scipy_minimum():
    # Critical values by elimination (a proof) against an independent float minimization of
    # random coercive quartics in (mu1, c): a proof only when the float minimum is >= 0, a
    # refutation only when it is < 0, checked at the exact counterexample.
    from scipy.optimize import minimize

    rng = np.random.default_rng(2718)
    levels = []
    for _ in range(6):
        a, b, k = (int(v) for v in rng.integers(1, 4, 3))
        lo = [int(v) for v in rng.integers(-4, 5, 6)]
        def p(m, c, lo=lo, a=a, b=b, k=k):
            return (a * m**4 + b * c**4 + k * m**2 * c**2 + lo[0] * m * c + lo[1] * m**2
                    + lo[2] * c**2 + lo[3] * m + lo[4] * c + lo[5])
        best = min(minimize(lambda z: p(*z), rng.normal(0, 2, 2), method="BFGS").fun
                   for _ in range(20))
        if abs(best) < 1e-6:
            continue
        text = (f"{a}*mu1**4 + {b}*c**4 + {k}*mu1**2*c**2 + ({lo[0]})*mu1*c + ({lo[1]})*mu1**2 "
                f"+ ({lo[2]})*c**2 + ({lo[3]})*mu1 + ({lo[4]})*c + ({lo[5]}) >= 0")
        res = claim(text, 1, 1, points=64)
        levels.append(res.level)
        if best > 0:
            assert res.level in ("exhaustive", "tested"), (text, best, res.detail)
        else:
            assert res.level == "refuted", (text, best)
            _, spl, _ = _objects(res)
            assert p(spl.mu[0], spl.c) < 0
    assert "exhaustive" in levels and "refuted" in levels


def test_region_points_lie_strictly_inside_their_pattern():
    rng = np.random.default_rng(7)
    for param in ("spline", "network"):
        for inst in symbolic_instances(param, 2, 3)[::5]:
            reg = region_of(inst)
            coords = [R(int(rng.integers(1, 50)), int(rng.integers(1, 9))) for _ in reg.positive]
            coords += [R(int(rng.integers(-9, 10)), 3) for _ in reg.free]
            vals = reg.point(coords)
            data = Dataset.from_arrays([vals[x] for x in inst.data.x], [vals[y] for y in inst.data.y])
            p = inst.params
            point = (Spline([vals[b] for b in p.beta], [vals[m] for m in p.mu], inst.pattern.s,
                            vals[p.c]) if param == "spline" else
                     Network([vals[w] for w in p.w], [vals[b] for b in p.b],
                             [vals[v] for v in p.v], vals[p.c]))
            assert locate(point, data) == inst.pattern


def test_theory_inequalities_reach_a_proof_level():
    for ref, _, text, hyp, H, N, how in THEORY_INEQUALITIES:
        if text:
            res = claim(text, H, N, assume=hyp)
            assert res.proved, (ref, text, res.detail)
        else:
            assert "proved (general)" in how or "identity of" in how


# ====================================================================== the guide
def _doc_examples() -> list[tuple[list[str], str]]:
    text = (DOCS / "claims.md").read_text()
    out = []
    for block in re.findall(r"```console\n(.*?)```", text, flags=re.S):
        lines = block.splitlines()
        assert lines[0].startswith("$ symspline prove ")
        label = next(ln for ln in lines if ln.startswith("level: "))[7:].rsplit("  (", 1)[0]
        out.append((shlex.split(lines[0][2:])[1:], label))
    return out


def test_guide_has_three_true_and_three_false_claims():
    labels = [lab for _, lab in _doc_examples()]
    assert sum(lab.startswith("proved") for lab in labels) >= 3
    assert sum(lab.startswith("refuted") for lab in labels) >= 3
    assert "claims.md" in (DOCS / "guide.md").read_text()


@pytest.mark.parametrize("args,label", _doc_examples(), ids=[" ".join(a[:2]) for a, _ in
                                                             _doc_examples()])
def test_guide_claims_print_their_outcome(cli, args, label):
    code, out, err = cli(*args)
    assert f"level: {label}  (" in out, out + err
    assert code == (0 if label.startswith("proved") else 1)
    if label.startswith("refuted"):
        code, _, _ = cli(*args, "--require", "refutation")
        assert code == 0


def test_claims_doc_python_runs():
    blocks = re.findall(r"```python\n(.*?)```", (DOCS / "claims.md").read_text(), flags=re.S)
    assert blocks
    for b in blocks:
        exec(compile(b, "claims.md", "exec"), {})  # noqa: S102 - our own documentation


# ====================================================================== JSON
def test_prove_json_validates_against_its_schema(cli):
    schema = json.loads((DOCS / "schemas" / "prove.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    runs = [(("prove", "--claim", "R is PSD", "--json"), 1, "refuted"),
            (("prove", "--claim", "GN is PSD", "--N", "2", "--json"), 0, "exhaustive"),
            (("prove", "--claim", "mu1 = v1*w1", "--param", "network", "--N", "2", "--json",
              "--require", "refutation"), 0, "refuted"),
            (("prove", "1.2", "--json"), 0, "general"),
            (("prove", "false.R-psd", "--json"), 0, "refuted")]
    docs = []
    for args, code_expected, level in runs:
        code, out, _ = cli(*args)
        js = json.loads(out)
        validator.validate(js)
        assert code == code_expected and js["ok"] == (code == 0) and js["level"] == level
        docs.append(js)
    cex = docs[0]["counterexample"]
    assert cex["order"] == ["beta1", "mu1", "c"] and len(cex["params_exact"]) == 3
    assert [float(R(v)) for v in cex["data"]["x_exact"]] == pytest.approx(cex["data"]["x"])
    # The schema can fail: a tested outcome that calls itself proved is rejected.
    bad = dict(docs[1], level="tested", label="tested (5 points, no counterexample)")
    assert not validator.is_valid(bad)
    assert not validator.is_valid(dict(docs[0], counterexample=None))


# ====================================================================== bad input
@pytest.mark.parametrize("args,needle", [
    (("--claim", "mu1 <="), "not a valid claim"),
    (("--claim", "__import__('os').system('true') <= 1"), "function"),
    (("--claim", "open('x').read() <= 1"), "function"),
    (("--claim", "[1][0] <= 1"), "subscripts"),
    (("--claim", "mu9 <= 1"), "unknown name"),
    (("--claim", "x_n <= 1"), "only inside sumA"),
    (("--claim", "mu1 < 1 < 2"), "a claim is"),
    (("--claim", "hess[beta1] >= 0"), "two parameters"),
    (("--claim", "mu1**100 >= 0"), "exponent"),
    (("--claim", "sumA(3, r_n) = 0"), "unit number"),
    (("--claim", "hess on (gamma) is PSD"), "unknown parameter"),
    (("--claim", "c >= 0", "--assume", "beta1 = 0"), "fixes one of"),
    (("--claim", "c >= 0", "--assume", "unit 5 dead"), "does not exist"),
    (("--claim", "c >= 0", "--assume", "mu1 maybe"), "unknown hypothesis"),
    (("--claim", "c >= 0", "--H", "9"), "H <= 4"),
    (("--claim", "c >= 0", "--N", "0"), "--N must be an integer in [1,"),
    (("3.1", "--claim", "c >= 0"), "exactly one"),
    ((), "exactly one"),
    (("--claim", "c >= 0", "--level", "general"), "--level applies"),
])
def test_bad_claims_exit_2_with_one_line(cli, args, needle):
    code, out, err = cli("prove", *args)
    assert code == 2 and out == "" and needle in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_library_errors_are_symspline_errors():
    with pytest.raises(ParseError):
        parse_claim("L <=", 1, 2)
    with pytest.raises(SizeError):
        claim("c >= 0", H=5, N=2)
    with pytest.raises(ParseError, match="subscript"):
        parse_expression("a[1]", {"a": sp.Symbol("a")})
    got = parse_expression("2*g[a, b]", {"a": sp.Symbol("a"), "b": sp.Symbol("b")},
                           subscripts={"g": lambda idx: sp.Symbol("g_" + "".join(map(str, idx)))})
    assert got == 2 * sp.Symbol("g_ab")
