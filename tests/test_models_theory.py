"""Theory §1.5, §7.4 and §7.5 (docs/theory.md): the leaky ReLU and weight decay, checked against
references built here (NumPy max(z, alpha z), SymPy differentiation of expressions written out
in the test, central finite differences, SciPy integration, torch autodiff when installed), plus
statements that must be refuted, so that the checkers are seen to fail."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from scipy.integrate import solve_ivp
from scipy.optimize import minimize_scalar

from derivations import models
from symspline.calculus import pattern_gradient, pattern_hessian
from symspline.data import Dataset
from symspline.evaluation import evaluate
from symspline.params import Network, Spline
from symspline.regions import locate

RNG = np.random.default_rng(20260)


# ---------------------------------------------------------------- independent references
def leaky(z: np.ndarray, alpha: float) -> np.ndarray:
    return np.maximum(z, alpha * z)


def net_f(theta: np.ndarray, x: np.ndarray, H: int, alpha: float) -> np.ndarray:
    w, b, v, c = theta[:H], theta[H:2 * H], theta[2 * H:3 * H], theta[3 * H]
    return leaky(np.outer(x, w) + b, alpha) @ v + c


def objective(theta: np.ndarray, x: np.ndarray, y: np.ndarray, H: int, alpha: float,
              lam: float) -> float:
    r = net_f(theta, x, H, alpha) - y
    return float(r @ r / (2 * len(x)) + lam / 2 * theta @ theta)


def objective_grad(theta: np.ndarray, x: np.ndarray, y: np.ndarray, H: int, alpha: float,
                   lam: float) -> np.ndarray:
    """Hand-written backpropagation (no symspline code): sigma'(z) = 1 if z > 0 else alpha."""
    w, b, v = theta[:H], theta[H:2 * H], theta[2 * H:3 * H]
    z = np.outer(x, w) + b
    r = net_f(theta, x, H, alpha) - y
    gain = np.where(z > 0, 1.0, alpha)
    N = len(x)
    gw = (r[:, None] * gain * v * x[:, None]).sum(0) / N
    gb = (r[:, None] * gain * v).sum(0) / N
    gv = (r[:, None] * leaky(z, alpha)).sum(0) / N
    gc = r.sum() / N
    return np.concatenate([gw, gb, gv, [gc]]) + lam * theta


def fd_grad(fun, theta: np.ndarray, h: float = 1e-6) -> np.ndarray:
    out = np.zeros_like(theta)
    for a in range(len(theta)):
        e = np.zeros_like(theta)
        e[a] = h
        out[a] = (fun(theta + e) - fun(theta - e)) / (2 * h)
    return out


def _problem(H: int = 3, N: int = 9) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = np.sort(RNG.uniform(-2, 2, N))
    y = RNG.normal(size=N)
    theta = RNG.normal(size=3 * H + 1)
    return x, y, theta


# ---------------------------------------------------------------- leaky ReLU, theory §7.4
@pytest.mark.parametrize("alpha", [0.0, 0.1, 0.5])
def test_leaky_network_is_line_plus_hinges(alpha):
    """f = c + alpha sum s mu (x - beta) + (1 - alpha) sum mu [s (x - beta)]_+, evaluated against
    NumPy's max(z, alpha z); slope jumps (1 - alpha) mu by one-sided differences."""
    H = 4
    x, _, theta = _problem(H)
    net = Network.from_vector(theta, H, negative_slope=alpha)
    spl = net.to_spline()
    xs = np.linspace(-3, 3, 101)
    ref = net_f(theta, xs, H, alpha)
    assert np.allclose(net(xs), ref, rtol=0, atol=1e-12)
    s, beta, mu = np.array(spl.s), spl.beta, spl.mu
    line = spl.c + alpha * ((s * mu) * (xs[:, None] - beta)).sum(1)
    hinge = (1 - alpha) * (mu * np.maximum(s * (xs[:, None] - beta), 0)).sum(1)
    assert np.allclose(line + hinge, ref, rtol=0, atol=1e-12)
    h = 1e-7
    for i in range(H):
        right = (net_f(theta, np.array([beta[i] + 2 * h]), H, alpha)
                 - net_f(theta, np.array([beta[i] + h]), H, alpha)) / h
        left = (net_f(theta, np.array([beta[i] - h]), H, alpha)
                - net_f(theta, np.array([beta[i] - 2 * h]), H, alpha)) / h
        assert abs((right - left)[0] - (1 - alpha) * mu[i]) < 1e-6
        assert abs(spl.delta_slopes[i] - (1 - alpha) * mu[i]) < 1e-15


def test_leaky_pattern_derivatives_match_sympy_of_max():
    """Gradient and Hessian of the engine (calculus, exact, alpha = 1/3) against SymPy's
    derivatives of a loss written with Max(z, alpha z) and evaluated at the point."""
    alpha = sp.Rational(1, 3)
    data = Dataset.from_arrays([-2, -1, 0, 1, 3], [1, 0, -1, 2, 1])
    H = 2
    ws = sp.symbols("w1:3", real=True)
    bs = sp.symbols("b1:3", real=True)
    vs = sp.symbols("v1:3", real=True)
    c = sp.Symbol("c", real=True)
    theta = [*ws, *bs, *vs, c]
    L = sum((sum(vs[i] * sp.Max(ws[i] * xn + bs[i], alpha * (ws[i] * xn + bs[i]))
                 for i in range(H)) + c - yn) ** 2 for xn, yn in zip(data.x, data.y, strict=True)) / 10
    point = [sp.Rational(3, 2), sp.Rational(-1, 2), sp.Rational(1, 4), sp.Rational(3, 4),
             sp.Rational(-2), sp.Rational(5, 3), sp.Rational(1, 7)]
    at = dict(zip(theta, point, strict=True))
    net = Network(point[:2], point[2:4], point[4:6], point[6], alpha)
    pat = locate(net, data)
    g = pattern_gradient(pat, net, data)
    Hm = pattern_hessian(pat, net, data)
    grads = [sp.diff(L, ta) for ta in theta]
    for a, ga in enumerate(grads):
        assert ga.subs(at) == g[a]
        for b, tb in enumerate(theta):
            assert sp.diff(ga, tb).subs(at) == Hm[a, b]
    # the same point with the ReLU has another gradient: the comparison can fail
    relu = Network(point[:2], point[2:4], point[4:6], point[6])
    assert list(pattern_gradient(locate(relu, data), relu, data)) != list(g)


def test_leaky_kink_jump_and_the_relu_statement_is_refuted():
    """theory §7.4 row 2.3: right minus left dL/dbeta_i at beta_i = x_m is (1-alpha) mu r_m / N,
    by one-sided finite differences of an independently written loss; the ReLU's mu r_m / N is
    off by the factor, so the same check refutes it."""
    alpha = 0.25
    x = np.array([-1.0, 0.0, 0.5, 2.0])
    y = np.array([0.3, -1.0, 0.7, 0.2])
    mu, c, s = 1.7, 0.4, 1

    def L(beta: float) -> float:
        f = c + mu * leaky(s * (x - beta), alpha)
        r = f - y
        return float(r @ r / (2 * len(x)))

    m, h = 1, 1e-6
    right = (L(x[m] + h) - L(x[m])) / h
    left = (L(x[m]) - L(x[m] - h)) / h
    r_m = c - y[m]  # the unit's line vanishes at beta = x_m
    leaky_jump = (1 - alpha) * mu * r_m / len(x)
    relu_jump = mu * r_m / len(x)
    assert abs((right - left) - leaky_jump) < 1e-5
    assert abs((right - left) - relu_jump) > 1e-2  # the unchanged statement fails


def test_dead_leaky_unit_is_not_flat():
    """A unit active on no sample still moves the loss when alpha > 0 (it is a line), and has
    exactly one flat direction: beta_i against c."""
    alpha = 0.5
    x = np.array([-1.0, 0.0, 1.0])
    y = np.array([1.0, -1.0, 2.0])

    def L(beta: float, mu: float, c: float, a: float = alpha) -> float:
        r = c + mu * leaky(x - beta, a) - y
        return float(r @ r / 6)

    d_mu = (L(2.0, 1.0 + 1e-6, 0.0) - L(2.0, 1.0 - 1e-6, 0.0)) / 2e-6
    assert abs(d_mu) > 0.1
    relu_d_mu = (L(2.0, 1.0 + 1e-6, 0.0, 0.0) - L(2.0, 1.0 - 1e-6, 0.0, 0.0)) / 2e-6
    assert abs(relu_d_mu) < 1e-12
    # moving beta by t and c by -alpha mu t leaves f on the data unchanged
    t = 0.3
    assert abs(L(2.0 + t, 1.0, alpha * 1.0 * t) - L(2.0, 1.0, 0.0)) < 1e-14


def test_derivation_refutes_relu_forms_and_proves_leaky_forms():
    """The derivation's own proofs: the leaky kink identity holds for symbolic N and alpha, the
    ReLU one does not (the template checker can fail), and the three counterexamples hold."""
    assert all(models.kink(s)[0] and models.kink(s)[1] for s in (1, -1))
    assert not any(models.kink(s, sp.Integer(1))[0] for s in (1, -1))
    assert models.kink(1, sp.Integer(1))[0] is False
    for fn in (models.refute_relu_jump, models.refute_dead_flat, models.refute_relu_slope_jump):
        ok, detail = fn()
        assert ok, detail
    ok, _ = models.general_1_1()
    assert ok


def test_exhaustive_leaky_checks_find_a_planted_error(monkeypatch):
    """The exhaustive pass proves every row at a small size, and flags a wrong closed form: the
    gain-weighted rho replaced by the ReLU's active-set rho."""
    out = models.exhaustive(((1, 2),))
    assert all(ok for ok, _ in out.values()), out
    monkeypatch.setattr(models.LeakyCase, "gsum", models.LeakyCase.asum)
    bad = models.exhaustive(((1, 2),))
    assert not bad["3.1"][0] and not bad["2.2"][0]


# ---------------------------------------------------------------- weight decay, §1.5 and §7.5
@pytest.mark.parametrize("alpha", [0.0, 0.2])
def test_orbit_minimum_is_the_balanced_representative(alpha):
    """min_a (lam/2)(a^2 (w^2+b^2) + v^2/a^2) by SciPy equals lam |mu| sqrt(1+beta^2), at
    v^2 = w^2 + b^2; Spline.decay and Network.decay agree at Spline.balanced()."""
    lam = 0.37
    H = 3
    x, _, theta = _problem(H)
    net = Network.from_vector(theta, H, negative_slope=alpha)
    spl = net.to_spline()
    for i in range(H):
        w, b, v = net.w[i], net.b[i], net.v[i]
        q, v2 = w * w + b * b, v * v
        res = minimize_scalar(lambda la, q=q, v2=v2: lam / 2 * (np.exp(2 * la) * q
                                                                + v2 * np.exp(-2 * la)),
                              bracket=(-2, 2), tol=1e-12)
        closed = lam * abs(spl.mu[i]) * np.sqrt(1 + spl.beta[i] ** 2)
        assert abs(res.fun - closed) < 1e-10 * (1 + closed)
        a = np.exp(res.x)
        assert abs((v / a) ** 2 - (a * w) ** 2 - (a * b) ** 2) < 1e-5 * (1 + v * v)
    bal = spl.balanced()
    assert np.allclose(bal.balance, 0, atol=1e-12)
    assert bal.negative_slope == alpha
    assert abs(bal.decay(lam).value - spl.decay(lam).value) < 1e-12 * (1 + spl.decay(lam).value)
    # an unbalanced representative pays more
    assert net.decay(lam).value >= spl.decay(lam).value - 1e-12
    # and the reduced penalty, evaluated independently
    ref = lam * (np.abs(spl.mu) @ np.sqrt(1 + spl.beta**2) + spl.c**2 / 2)
    assert abs(spl.decay(lam).value - ref) < 1e-12 * (1 + ref)


def test_spline_decay_derivatives_by_finite_differences():
    lam = 0.8
    spl = Spline([-0.5, 1.2], [0.9, -1.4], (1, -1), 0.3, 0.1)
    d = spl.decay(lam)

    def value(th: np.ndarray) -> float:
        return spl.with_vector(th).decay(lam).value

    def grad(th: np.ndarray) -> np.ndarray:
        return spl.with_vector(th).decay(lam).gradient

    th = spl.vector
    assert np.allclose(d.gradient, fd_grad(value, th), rtol=0, atol=1e-8)
    fd_h = np.array([fd_grad(lambda t, a=a: grad(t)[a], th) for a in range(len(th))])
    assert np.allclose(d.hessian, fd_h, rtol=0, atol=1e-7)


@pytest.mark.parametrize("alpha", [0.0, 0.3])
def test_decay_orbit_identity_and_flow_law(alpha):
    """<grad(L + lam/2 |theta|^2), (w_i, b_i, -v_i)> = -lam delta_i (finite differences of an
    independent objective), and along the flow delta_i(t) = delta_i(0) exp(-2 lam t)."""
    H, lam = 3, 0.5
    x, y, theta = _problem(H)
    fun = lambda th: objective(th, x, y, H, alpha, lam)  # noqa: E731
    g = fd_grad(fun, theta)
    assert np.allclose(g, objective_grad(theta, x, y, H, alpha, lam), atol=1e-7)
    for i in range(H):
        gen = np.zeros_like(theta)
        gen[i], gen[H + i], gen[2 * H + i] = theta[i], theta[H + i], -theta[2 * H + i]
        delta = theta[2 * H + i] ** 2 - theta[i] ** 2 - theta[H + i] ** 2
        assert abs(g @ gen + lam * delta) < 1e-7
        # the unchanged 1.3 (= 0) fails with decay: the check can fail
        assert abs(g @ gen) > 1e-3 or abs(delta) < 1e-3
    T = 2.0
    sol = solve_ivp(lambda t, th: -objective_grad(th, x, y, H, alpha, lam), (0, T), theta,
                    rtol=1e-11, atol=1e-12)
    end = sol.y[:, -1]
    d0 = theta[2 * H:3 * H] ** 2 - theta[:H] ** 2 - theta[H:2 * H] ** 2
    dT = end[2 * H:3 * H] ** 2 - end[:H] ** 2 - end[H:2 * H] ** 2
    assert np.allclose(dT, d0 * np.exp(-2 * lam * T), atol=1e-7)
    assert not np.allclose(dT, d0, atol=1e-3)  # not conserved


def test_decay_and_leaky_against_torch():
    torch = pytest.importorskip("torch")
    H, alpha, lam = 4, 0.15, 0.3
    x, y, theta = _problem(H)
    t = torch.tensor(theta, dtype=torch.float64, requires_grad=True)
    xt, yt = torch.tensor(x), torch.tensor(y)
    z = xt[:, None] * t[:H] + t[H:2 * H]
    f = torch.nn.functional.leaky_relu(z, alpha) @ t[2 * H:3 * H] + t[3 * H]
    E = ((f - yt) ** 2).sum() / (2 * len(x)) + lam / 2 * (t * t).sum()
    (g,) = torch.autograd.grad(E, t)
    assert np.allclose(g.numpy(), objective_grad(theta, x, y, H, alpha, lam), atol=1e-12)
    net = Network.from_vector(theta, H, negative_slope=alpha)
    assert np.allclose(net.decay(lam).gradient, lam * theta, atol=0)
    for i in range(H):
        gen = np.zeros_like(theta)
        gen[i], gen[H + i], gen[2 * H + i] = theta[i], theta[H + i], -theta[2 * H + i]
        assert abs(g.numpy() @ gen + lam * net.balance[i]) < 1e-12


def test_decay_orbit_minimum_symbolic():
    ok, detail = models.decay_orbit()
    assert ok, detail
    ok, detail = models.decay_chain()
    assert ok, detail


@pytest.mark.parametrize("alpha", [0.0, 0.25])
def test_evaluate_with_weight_decay_keeps_the_derived_laws(alpha):
    """The engine's one evaluation (symspline.evaluation) against the hand-written objective:
    network gradient of L + decay, the decay identity on it, and the spline objective equal to
    the network one at the balanced representative (a deliberately unbalanced one is larger)."""
    H, lam = 3, 0.4
    x, y, theta = _problem(H)
    data = Dataset.from_arrays(x, y)
    net = Network.from_vector(theta, H, negative_slope=alpha)
    ev = evaluate(net, data, weight_decay=lam)
    ref = objective_grad(theta, x, y, H, alpha, lam)
    assert np.allclose(np.asarray(ev.gradient, dtype=float), ref, rtol=0, atol=1e-12)
    assert abs(float(ev.loss) - objective(theta, x, y, H, alpha, lam)) < 1e-12
    g = np.asarray(ev.gradient, dtype=float)
    for i in range(H):
        gen = np.zeros_like(theta)
        gen[i], gen[H + i], gen[2 * H + i] = theta[i], theta[H + i], -theta[2 * H + i]
        assert abs(g @ gen + lam * net.balance[i]) < 1e-12
    spl = net.to_spline()
    bal = spl.balanced()
    e_spl = float(evaluate(spl, data, weight_decay=lam).loss)
    e_bal = float(evaluate(bal, data, weight_decay=lam).loss)
    assert abs(e_spl - e_bal) < 1e-12 * (1 + abs(e_spl))
    e_off = float(evaluate(spl.to_network(1.0), data, weight_decay=lam).loss)
    assert e_off > e_spl + 1e-6


# ---------------------------------------------------------------- catalogue variants
@pytest.mark.parametrize("name", ["leaky.2.3", "leaky.3.1", "decay.1.3"])
def test_catalogue_variants_are_proved(name):
    from symspline.theorems import get, prove

    th = get(name)
    assert prove(th).level == "general"
    res = prove(th, 1, 3, strategies=("exhaustive",))
    assert res.level == "exhaustive" and "8 patterns" in res.detail


def test_catalogue_false_leaky_kink_is_refuted_and_the_counterexample_checks_out():
    """The ReLU kink jump read for alpha = 1/2: the prover's exact counterexample, re-checked by
    one-sided finite differences of a loss written here with max(z, z/2)."""
    import re

    from symspline.theorems import get, prove

    res = prove(get("false.leaky-kink"), 1, 3)
    assert res.level == "refuted" and res.ok
    cex = res.counterexample
    i, m = (int(v) - 1 for v in re.search(r"dL/dbeta(\d+) at x(\d+)", cex.detail).groups())
    s = -1 if cex.pattern.startswith("Pattern[-") else 1
    x = np.array([float(sp.Rational(v)) for v in cex.data_x])
    y = np.array([float(sp.Rational(v)) for v in cex.data_y])
    mu, c = float(sp.Rational(cex.params["mu1"])), float(sp.Rational(cex.params["c"]))
    assert i == 0

    def L(beta: float) -> float:
        r = c + mu * leaky(s * (x - beta), 0.5) - y
        return float(r @ r / (2 * len(x)))

    h = 1e-6
    jump = (L(x[m] + h) - L(x[m])) / h - (L(x[m]) - L(x[m] - h)) / h
    r_m = c - y[m]
    assert abs(jump - 0.5 * mu * r_m / len(x)) < 1e-4
    assert abs(jump - mu * r_m / len(x)) > 1e-3
