"""Population loss (theory §7.3): exact integrals against quadrature, samples and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from scipy.integrate import quad

from symspline.data import Dataset
from symspline.errors import InputError, ParseError
from symspline.kernels import loss as sample_loss
from symspline.params import Network, Spline
from symspline.population import Population, X, parse_population

R = sp.Rational
SPEC = "uniform:-1,1; target: x**2 on [-1,0], 1 - x on [0,1]"


@pytest.fixture(scope="module")
def pop() -> Population:
    return parse_population(SPEC)


@pytest.fixture(scope="module")
def spline() -> Spline:
    return Spline([R(-1, 3), R(1, 2), R(2)], [1, -2, R(1, 2)], (1, -1, 1), R(1, 5))


def _quad(pop: Population, params: Network | Spline) -> float:
    p = params.as_float()
    bps = [float(b) for b in (p.beta if isinstance(p, Spline) else -p.b / p.w)]
    a, b = float(pop.a), float(pop.b)
    pts = sorted({*bps, *[float(t) for t in pop.knots]} & set(np.clip(bps + [0.0], a, b)))
    val, _ = quad(lambda x: 0.5 * (p(x) - pop.g(x)[0]) ** 2 * pop.p(x)[0], a, b,
                  points=[t for t in pts if a < t < b], epsabs=1e-13, epsrel=1e-13, limit=200)
    return val


def test_parse_and_structure(pop: Population) -> None:
    assert pop.knots == (-1, 0, 1)
    assert pop.density == (R(1, 2), R(1, 2))
    assert pop.target == (X**2, 1 - X)
    dens = parse_population("density: 1 on [0,1], 3 on [1,2]; target: x")
    assert dens.density == (R(1, 4), R(3, 4))  # normalized to mass 1
    assert sum(d * (b - a) for d, a, b in zip(dens.density, dens.knots, dens.knots[1:], strict=False)) == 1


@pytest.mark.parametrize("spec", [
    "uniform:-1,1", "uniform:1,-1;target:x", "uniform:-1,1;target:abs(x)",
    "uniform:-1,1;target:__import__('os')", "uniform:-1,1;target:x.real", "foo:1;target:x",
    "uniform:-1,1;target:x on [-1,0]", "density:-1 on [0,1];target:x",
    "uniform:0,1;density:1 on [0,1];target:x", "target:x on [0,1], x on [1/2,2]",
])
def test_bad_specs_are_refused(spec: str) -> None:
    with pytest.raises((ParseError, InputError)):
        parse_population(spec)


def test_exact_loss_matches_quadrature_and_gauss_legendre(pop: Population, spline: Spline) -> None:
    exact = pop.loss(spline)
    assert isinstance(exact, sp.Rational)
    assert float(exact) == pytest.approx(_quad(pop, spline), rel=1e-11)
    assert pop.loss(spline.as_float()) == pytest.approx(float(exact), rel=1e-13)
    rng = np.random.default_rng(3)
    for _ in range(5):
        s = Spline(rng.uniform(-1.5, 1.5, 3), rng.normal(size=3), (1, -1, -1), rng.normal())
        assert pop.loss(s) == pytest.approx(_quad(pop, s), rel=1e-10, abs=1e-13)


def test_network_and_spline_agree_exactly(pop: Population, spline: Spline) -> None:
    net = spline.to_network(balance=0)  # algebraic entries: the exact path must rationalize
    assert sp.simplify(pop.loss(net) - pop.loss(spline)) == 0


def test_limit_of_sample_loss(pop: Population, spline: Spline) -> None:
    exact = float(pop.loss(spline))
    x = pop.sample(100_000)  # stratified: a midpoint Riemann sum of the integral
    data = Dataset.from_arrays(x, pop.g(x))
    assert sample_loss(spline.as_float(), data) == pytest.approx(exact, rel=1e-6)
    rng = np.random.default_rng(0)
    xs = pop.sample(40_000, rng)
    sq = 0.5 * (spline.as_float()(xs) - pop.g(xs)) ** 2
    assert abs(sq.mean() - exact) < 5 * sq.std() / np.sqrt(xs.size)


def test_wrong_normalization_is_refuted(pop: Population, spline: Spline) -> None:
    # A false statement: "L_pop = (1/2) int (f - g)^2 dx" (no density) -- off by the factor 2 here.
    p = spline.as_float()
    val, _ = quad(lambda x: 0.5 * (p(x) - pop.g(x)[0]) ** 2, -1, 1, points=[-1 / 3, 0, 0.5])
    assert abs(val - float(pop.loss(spline))) > 0.5


def _fd_grad(fun, theta: np.ndarray, h: float = 1e-6) -> np.ndarray:
    out = np.zeros_like(theta)
    for a in range(theta.size):
        e = np.zeros_like(theta)
        e[a] = h
        out[a] = (fun(theta + e) - fun(theta - e)) / (2 * h)
    return out


@pytest.mark.parametrize("param", ["spline", "network"])
def test_gradient_and_hessian_against_finite_differences(pop: Population, spline: Spline,
                                                         param: str) -> None:
    p = spline.as_float() if param == "spline" else spline.as_float().to_network(-0.5)
    theta = p.vector

    def rebuild(th: np.ndarray) -> Network | Spline:
        return Spline.from_vector(th, p.s) if param == "spline" else Network.from_vector(th, p.H)

    g = pop.gradient(p)
    fd = _fd_grad(lambda th: pop.loss_quadrature(rebuild(th)), theta)
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-8)
    Hm = pop.hessian(p)
    fdh = np.array([_fd_grad(lambda th, a=a: pop.gradient(rebuild(th))[a], theta, 1e-5)
                    for a in range(theta.size)])
    np.testing.assert_allclose(Hm, fdh, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(Hm, Hm.T, atol=1e-12)


def test_c1_and_hessian_jump_at_density_knot() -> None:
    pop = parse_population("density: 1 on [-1,0], 3 on [0,1]; target: x**2")
    s = Spline([0], [R(3, 2)], (1,), R(1, 3))  # breakpoint exactly on the density jump at 0
    gl = pop.gradient(s)
    # C^1: the gradient is the same from both cells (the sample loss would jump here).
    sr = Spline([R(1, 10**9)], [R(3, 2)], (1,), R(1, 3))
    assert max(abs(float(u - v)) for u, v in zip(gl, pop.gradient(sr), strict=True)) < 1e-8
    hl, hr = pop.hessian(s, side="left"), pop.hessian(s, side="right")
    # d2L/dbeta2 contains mu r(beta) p(beta): it jumps by mu r(0) (p(0+) - p(0-)).
    r0 = s.c - 0
    expected = R(3, 2) * r0 * (R(3, 4) - R(1, 4))
    assert hr[0, 0] - hl[0, 0] == expected
    assert hr[0, 0] != hl[0, 0]


def test_exact_critical_point_and_equations() -> None:
    pop = parse_population("uniform:-1,1; target: x")
    s = Spline([-2], [1], (1,), -2)  # f(x) = x on the support: a global minimum
    assert pop.loss(s) == 0
    assert list(pop.gradient(s)) == [0, 0, 0]
    theta, eqs = pop.critical_equations(pop.locate(s))
    assert [str(t) for t in theta] == ["beta1", "mu1", "c"]
    assert all(e.subs(dict(zip(theta, [-2, 1, -2], strict=True))) == 0 for e in eqs)
    wrong = dict(zip(theta, [-2, 1, -1], strict=True))
    assert any(e.subs(wrong) != 0 for e in eqs)


def test_global_piecewise_is_continuous() -> None:
    pop = parse_population("uniform:0,1; target: x**2")
    sym = Spline.symbols(1, (1,))
    pw = pop.piecewise(sym)
    b, m, c = sym.vector
    # Pieces meet continuously at the support edges beta = 0 and beta = 1.
    left, inside, right = (a.expr for a in pw.args)
    assert sp.expand(left.subs(b, 0) - inside.subs(b, 0)) == 0
    assert sp.expand(inside.subs(b, 1) - right.subs(b, 1)) == 0
    assert pw.subs({b: R(1, 2), m: 2, c: 0}) == pop.loss(Spline([R(1, 2)], [2], (1,), 0))


def test_cli_loss_with_population(tmp_path, capsys) -> None:
    import json

    from symspline.cli import main
    from symspline.io import write_params

    p = tmp_path / "p.json"
    s = Spline([R(-1, 3), R(1, 2), R(2)], [1, -2, R(1, 2)], (1, -1, 1), R(1, 5))
    write_params(p, s)
    assert main(["loss", "--params", str(p), "--population", SPEC, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["loss_exact"] == str(parse_population(SPEC).loss(s))
    spec_file = tmp_path / "pop.txt"
    spec_file.write_text(SPEC)
    assert main(["loss", "--params", str(p), "--population", f"@{spec_file}"]) == 0
    assert str(parse_population(SPEC).loss(s)) in capsys.readouterr().out
    assert main(["loss", "--params", str(p)]) == 2
    assert "exactly one of" in capsys.readouterr().err
    assert main(["loss", "--params", str(p), "--population", "uniform:0,1;target:open(x)"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown function" in err


def test_population_critical_points_of_one_hinge() -> None:
    from symspline.population import population_critical_points

    pop = parse_population("uniform:-1,1; target: x**2")
    pts = population_critical_points(pop, 1)
    isolated = [p for p in pts if not p.family]
    assert isolated
    for p in isolated:
        s = Spline([p.values[0]], [p.values[1]], p.pattern.s, p.values[2])
        side = "left" if p.pattern.slot[0] <= pop.locate(s).slot[0] else "right"
        assert all(sp.simplify(g) == 0 for g in pop.gradient(s))
        assert pop.locate(s, side=side) == p.pattern or p.values[0] in pop.knots
    best = min(isolated, key=lambda p: float(p.loss))
    assert sp.simplify(best.values[0] ** 2 - (sp.sqrt(13) - 2) ** 2 / 9) == 0
    assert float(best.loss) < float(R(2, 45))  # beats the best constant, Var(x^2)/2 = 2/45
    assert min(best.eigenvalues) > 0
    # Families: the best constant c = 1/3 with a dead or flat unit.
    assert all(p.values[2] == R(1, 3) for p in pts if p.family)


# ---------------------------------------------------------------------- complete critical sets (issue 13)
AFFINE = "uniform:-1,1; target: 2*x + 1/2"
QUADRATIC = "uniform:-1,1; target: x**2"
_GL_X, _GL_W = np.polynomial.legendre.leggauss(8)


def _risk(theta: np.ndarray, s: tuple[int, ...], g: np.ndarray, grad: bool = False) -> object:
    """Independent population risk on U[-1, 1] (density 1/2): Gauss-Legendre on the cells cut at
    the breakpoints (exact for the piecewise-polynomial integrand); g = polynomial coefficients.
    With ``grad``: also dL/dc = E[r], dL/dmu_i = E[phi_i r], dL/dbeta_i = -s_i mu_i E[1_{A_i} r]."""
    H = len(s)
    beta, mu, c = theta[:H], theta[H:2 * H], theta[-1]
    cuts = np.sort(np.concatenate([[-1.0, 1.0], np.clip(beta, -1.0, 1.0)]))
    lo, hi = cuts[:-1, None], cuts[1:, None]
    x = 0.5 * (hi - lo) * _GL_X[None, :] + 0.5 * (hi + lo)          # (cells, nodes)
    w = 0.25 * (hi - lo) * _GL_W[None, :]                           # quadrature weight x density
    z = np.asarray(s, float)[:, None, None] * (x[None] - beta[:, None, None])
    phi = np.maximum(z, 0.0)
    r = c + np.einsum("i,icn->cn", mu, phi) - np.polyval(g, x)
    val = 0.5 * float(np.sum(w * r * r))
    if not grad:
        return val
    gb = -np.asarray(s, float) * mu * np.sum(w[None] * (z > 0) * r[None], axis=(1, 2))
    gm = np.sum(w[None] * phi * r[None], axis=(1, 2))
    return val, np.concatenate([gb, gm, [np.sum(w * r)]])


def _fd_grad_risk(theta: np.ndarray, s: tuple, g: np.ndarray, h: float = 1e-6) -> np.ndarray:
    return np.array([(_risk(theta + h * e, s, g) - _risk(theta - h * e, s, g)) / (2 * h)
                     for e in np.eye(theta.size)])


def _fd_hess_risk(theta: np.ndarray, s: tuple, g: np.ndarray, h: float = 1e-4) -> np.ndarray:
    n = theta.size
    out = np.zeros((n, n))
    for i, ei in enumerate(np.eye(n)):
        out[i] = (_fd_grad_risk(theta + h * ei, s, g) - _fd_grad_risk(theta - h * ei, s, g)) / (2 * h)
    return 0.5 * (out + out.T)


def _multistart_minima(H: int, g: np.ndarray, starts: int, seed: int) -> list[float]:
    """Risk values at the stationary end points of L-BFGS-B from random starts (spline params,
    random orientations); end points that are not stationary (drifting to infinity) are dropped."""
    from scipy.optimize import minimize

    rng = np.random.default_rng(seed)
    found = []
    for _ in range(starts):
        s = tuple(int(v) for v in rng.choice([-1, 1], H))
        th0 = np.concatenate([rng.uniform(-1.3, 1.3, H), rng.normal(0, 2, H), rng.normal(0, 1, 1)])
        res = minimize(_risk, th0, args=(s, g, True), jac=True, method="L-BFGS-B",
                       options={"ftol": 1e-14, "gtol": 1e-9, "maxiter": 800})
        if np.linalg.norm(_fd_grad_risk(res.x, s, g)) < 1e-5:
            found.append(float(res.fun))
    return found


def _unlisted(found: list[float], listed: list[float], tol: float = 1e-6) -> list[float]:
    return sorted({round(v, 9) for v in found if min(abs(v - w) for w in listed) > tol})


@pytest.fixture(scope="module")
def affine_set():
    from symspline.population_critical import population_critical_set

    return parse_population(AFFINE), population_critical_set(parse_population(AFFINE), 2)


@pytest.fixture(scope="module")
def quadratic_set():
    from symspline.population_critical import population_critical_set

    return parse_population(QUADRATIC), population_critical_set(parse_population(QUADRATIC), 2)


def _spline(item) -> Spline:
    H = len(item.s)
    return Spline(list(item.point[:H]), list(item.point[H:2 * H]), item.s, item.point[-1])


@pytest.mark.parametrize("which", ["affine_set", "quadratic_set"])
def test_population_critical_set_is_complete_and_stationary(which: str, request) -> None:
    pop, rep = request.getfixturevalue(which)
    assert rep.complete and not rep.undecided
    assert rep.items
    for item in rep.items:
        # every representative has a zero gradient: exactly, evaluated at 50 digits
        grad = pop.gradient(_spline(item))
        assert max(abs(sp.N(v, 50)) for v in grad) < 1e-12, item.config
        # the exact loss is the loss of the representative
        assert abs(sp.N(pop.loss(_spline(item)) - item.loss, 50)) < 1e-12
        assert item.kind != "local maximum"
        assert all(q.kind != "undecided" for q in item.pieces)


@pytest.mark.parametrize("which, g", [("affine_set", [2.0, 0.5]), ("quadratic_set", [1.0, 0, 0])])
def test_multistart_finds_no_unlisted_minimum(which: str, g: list, request) -> None:
    pop, rep = request.getfixturevalue(which)
    th = np.array([0.3, -0.2, 1.5, -0.7, 0.1])
    np.testing.assert_allclose(_risk(th, (1, -1), np.array(g), True)[1],
                               _fd_grad_risk(th, (1, -1), np.array(g)), atol=1e-8)
    found = _multistart_minima(2, np.array(g), starts=100, seed=13)
    assert len(found) > 50  # most runs end at stationary points
    listed = [it.loss_float for it in rep.items]
    assert _unlisted(found, listed) == []
    # the levels multistart reaches are minima in the list (a piece of a min kind)
    mins = [it.loss_float for it in rep.items if any(q.kind in
            ("global minimum", "strict local minimum", "non-strict local minimum") for q in it.pieces)]
    assert min(found) == pytest.approx(min(mins), abs=1e-9)
    # the checker can fail: drop the global level from the list and it is reported missing
    best = min(listed)
    assert _unlisted(found, [v for v in listed if abs(v - best) > 1e-9])


def test_quadratic_known_values_and_tie_rule(quadratic_set) -> None:
    pop, rep = quadratic_set
    g = np.array([1.0, 0, 0])
    # the best two-knot fit of x^2: knots -1/3, 1/3 (L = 2/3645), a strict local minimum
    best = min(rep.items, key=lambda it: it.loss_float)
    assert best.loss == R(2, 3645) and best.kind == "strict local minimum"
    assert sorted(best.point[:2]) == [R(-1, 3), R(1, 3)]
    # independent check of strict minima and saddles among isolated points (numeric Hessian)
    for it in rep.items:
        if it.family:
            continue
        th = np.array(it.point_float)
        ev = np.linalg.eigvalsh(_fd_hess_risk(th, it.s, g))
        if it.kind == "strict local minimum":
            assert ev.min() > 1e-6, it.config
        elif it.kind == "saddle":
            assert ev.min() < -1e-6, it.config
    # tie of two '+' units at the best single hinge: saddle where m1 m2 > 0, minimum where < 0
    tie = next(it for it in rep.items if it.config == "[++ in cell 1]")
    kinds = {q.conditions[-1]: q.kind for q in tie.pieces}
    assert kinds["m1*m2 > 0"] == "saddle" and kinds["m1*m2 < 0"] == "non-strict local minimum"
    b, M, c = tie.point_float[0], tie.point_float[2] + tie.point_float[3], tie.point_float[4]
    ev_same = np.linalg.eigvalsh(_fd_hess_risk(np.array([b, b, M / 2, M / 2, c]), (1, 1), g))
    assert ev_same.min() < -1e-4
    th_opp = np.array([b, b, 3.0, M - 3.0, c])
    ev_opp = np.linalg.eigvalsh(_fd_hess_risk(th_opp, (1, 1), g))
    assert ev_opp.min() > -1e-5  # PSD up to differencing error (one flat family direction)
    rng = np.random.default_rng(5)
    L0 = _risk(th_opp, (1, 1), g)
    for _ in range(300):
        d = rng.normal(size=5)
        assert _risk(th_opp + 1e-3 * d / np.linalg.norm(d), (1, 1), g) >= L0 - 1e-13


def test_affine_classification_cheridito_jentzen_rossmannek(affine_set) -> None:
    pop, rep = affine_set
    assert min(it.loss for it in rep.items) == 0
    for it in rep.items:
        for q in it.pieces:
            if q.kind in ("strict local minimum", "non-strict local minimum") and it.loss != 0:
                assert it.dead_units >= 1, it.config
    # the family of the issue: beta = 1, mu free, c = 1/2 -- saddles for mu > 0 on the end
    fam = next(it for it in rep.items if it.config == "no interior unit; dead units ++")
    assert fam.loss == R(2, 3) and fam.dimension == 4
    assert {q.kind for q in fam.pieces} == {"non-strict local minimum", "saddle"}
    # a dead unit on the end with mu > 0: moving beta into the support lowers L (independently)
    g = np.array([2.0, 0.5])
    th = np.array([1.0, 3.0, 0.5, 0.0, 0.5])
    assert _risk(th - np.array([0.05, 0, 0, 0, 0]), (1, 1), g) < _risk(th, (1, 1), g)
    th = np.array([1.0, 3.0, -0.5, 0.0, 0.5])  # mu < 0: r(1) = -2, mu r > 0: no descent
    assert _risk(th - np.array([0.05, 0, 0, 0, 0]), (1, 1), g) > _risk(th, (1, 1), g)


def test_population_critical_set_bad_input() -> None:
    from symspline.errors import SizeError
    from symspline.population_critical import population_critical_set

    pop = parse_population(AFFINE)
    with pytest.raises(SizeError):
        population_critical_set(pop, 4)
    with pytest.raises(InputError):
        population_critical_set(pop, 0)
    with pytest.raises(InputError):
        population_critical_set(parse_population("density: 1 on [0,1], 0 on [1,2]; target: x"), 1)
    with pytest.raises(SizeError, match="degree"):
        population_critical_set(parse_population("uniform:-1,1; target: x**9"), 1)


def test_cli_critical_population_json_schema(capsys) -> None:
    import json
    from pathlib import Path

    import jsonschema

    from symspline.cli import main

    schema = json.loads((Path(__file__).resolve().parents[1] / "docs" / "schemas"
                         / "critical_population.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    assert main(["critical", "--population", AFFINE, "--width", "1", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    jsonschema.validate(doc, schema)
    assert doc["ok"] and doc["complete"] and doc["command"] == "critical"
    assert {it["loss_exact"] for it in doc["items"]} == {"0", "2/3"}
    bad = dict(doc, items=[dict(doc["items"][0], loss="nan")])
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)
    assert main(["critical", "--population", AFFINE, "--width", "1"]) == 0
    out = capsys.readouterr().out
    assert "global minimum" in out and "saddle where beta1 = 1" in out
    assert main(["critical", "--population", AFFINE, "--width", "4"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "width 3" in err


def test_population_critical_set_piecewise_density_width_one() -> None:
    """Interior knots (density jump and target change at 0): complete, every point stationary."""
    from symspline.population_critical import population_critical_set

    pop = parse_population("density: 1 on [-1,0], 3 on [0,1]; target: x**2 on [-1,0], 1 - x on [0,1]")
    rep = population_critical_set(pop, 1)
    assert rep.complete
    for item in rep.items:
        assert max(abs(sp.N(v, 50)) for v in pop.gradient(_spline(item))) < 1e-12, item.config
    # an independent scan of the single hinge over beta finds the best interior critical value
    best = min(it.loss_float for it in rep.items)
    grid = np.linspace(-0.999, 0.999, 801)
    scan = []
    for s in (1, -1):
        for b in grid:
            # for fixed beta the best (mu, c) is a linear least-squares problem: quadrature in x
            x = np.linspace(-1, 1, 4001)
            w = np.where(x < 0, 0.25, 0.75) * (x[1] - x[0])
            A = np.stack([np.ones_like(x), np.maximum(s * (x - b), 0)], axis=1)
            y = pop.g(x)
            coef = np.linalg.lstsq(A * np.sqrt(w)[:, None], y * np.sqrt(w), rcond=None)[0]
            scan.append(0.5 * float(np.sum(w * (A @ coef - y) ** 2)))
    assert min(scan) >= best - 1e-3
    assert min(scan) == pytest.approx(best, abs=2e-3)


def test_width_three_mixed_hinges_decided_empty_by_saturation() -> None:
    """The core of three interior hinges (+, +, -) without an affine part: its reduced system is
    positive-dimensional, but every complex solution has det G = 0 or lies on the region's
    boundary, so saturating by det G and the boundary factors leaves the unit ideal (no
    critical point in the open region). Independently: least squares from random starts on the
    reduced polynomials finds real zeros only outside the open ordered region or on its boundary,
    where the test's own Gauss-Legendre Gram matrix of (1, hinges) is singular."""
    from scipy.optimize import least_squares

    from symspline.population_critical import Core, Group, _build_core, _solve

    pop = parse_population(AFFINE)
    o = (1, 1, -1)
    alg = _build_core(pop, Core(False, tuple(Group(("cell", 0), ((s, True),)) for s in o)))
    assert _solve(alg, pop) == ([], [])  # no solution and nothing undecided
    B = alg.betas
    polys = [max((f for f, _ in sp.factor_list(e)[1]), key=lambda f: sp.Poly(f, *B).total_degree())
             for e in alg.eqs]
    fn = sp.lambdify([B], polys, "numpy")

    def gram_min(b: np.ndarray) -> float:
        cuts = np.sort(np.concatenate([[-1.0, 1.0], np.clip(b, -1.0, 1.0)]))
        lo, hi = cuts[:-1, None], cuts[1:, None]
        x = 0.5 * (hi - lo) * _GL_X[None, :] + 0.5 * (hi + lo)
        w = 0.25 * (hi - lo) * _GL_W[None, :]
        feats = [np.ones_like(x)] + [np.maximum(s * (x - bb), 0.0) for s, bb in zip(o, b, strict=True)]
        return float(np.linalg.eigvalsh([[np.sum(w * f * g) for g in feats] for f in feats])[0])

    rng = np.random.default_rng(1)
    zeros = 0
    for _ in range(30):
        res = least_squares(lambda b: np.array(fn(b), float), np.sort(rng.uniform(-1, 1, 3)),
                            xtol=1e-15, ftol=1e-15, gtol=1e-15)
        if np.max(np.abs(res.fun)) > 1e-10:
            continue
        zeros += 1
        b = res.x
        inside = -1 + 1e-6 < b[0] < b[1] - 1e-6 and b[1] < b[2] - 1e-6 and b[2] < 1 - 1e-6
        assert not inside, b
        if -1 <= b[0] <= b[1] <= b[2] <= 1:  # on the closed region: a singular Gram matrix
            assert gram_min(b) < 1e-8, b
    assert zeros >= 10  # the positive-dimensional component is real: the check is not vacuous


def test_large_number_fields_are_refused_and_reported_undecided() -> None:
    """A piecewise core whose back-substitution needs a primitive element of degree 20 (it ran
    for minutes): refused and reported undecided with its degree, never dropped silently."""
    from symspline.population_critical import (
        MAX_PRIMITIVE_DEGREE,
        Core,
        Group,
        _build_core,
        _solve,
    )

    pop = parse_population("density: 1 on [-1,0], 3 on [0,1]; target: x**2 on [-1,0], 1 - x on [0,1]")
    core = Core(False, (Group(("cell", 0), ((1, False),)), Group(("cell", 1), ((-1, True),))))
    sols, und = _solve(_build_core(pop, core), pop)
    assert und and all("not attempted" in u for u in und)
    assert any(f"degree up to 20 (root of degree 5, gcd of degree 4) > {MAX_PRIMITIVE_DEGREE}" in u
               for u in und)
