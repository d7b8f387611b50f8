"""Population loss (THEORY 7.3): exact integrals against quadrature, samples and finite differences."""

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
