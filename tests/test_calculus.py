"""Closed-form gradients/Hessians (theory §2.2, 2.3, 3.1, 3.4) against independent computations.

The reference is a small forward-mode hyper-dual-number evaluator of the loss written here from the
definition of f (no closed forms, no SymPy), plus exact SymPy differentiation of pattern polynomials.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import sympy as sp

import symspline
from symspline import calculus, reparam
from symspline.data import Dataset
from symspline.errors import KinkError, SizeError
from symspline.params import Network, Spline
from symspline.piecewise import pattern_loss
from symspline.regions import Pattern, locate

R = sp.Rational


# ---------------------------------------------------------------- independent hyper-dual autodiff
class HD:
    """a + b e1 + c e2 + d e1 e2 with e1^2 = e2^2 = 0 (componentwise over NumPy arrays)."""

    __array_ufunc__ = None  # make NumPy defer to the reflected operators below

    def __init__(self, a, b=0.0, c=0.0, d=0.0):
        self.a, self.b, self.c, self.d = a, b, c, d

    def __add__(self, o):
        o = o if isinstance(o, HD) else HD(o)
        return HD(self.a + o.a, self.b + o.b, self.c + o.c, self.d + o.d)

    __radd__ = __add__

    def __sub__(self, o):
        o = o if isinstance(o, HD) else HD(o)
        return HD(self.a - o.a, self.b - o.b, self.c - o.c, self.d - o.d)

    def __rsub__(self, o):
        return HD(o) - self

    def __mul__(self, o):
        o = o if isinstance(o, HD) else HD(o)
        return HD(self.a * o.a, self.a * o.b + self.b * o.a, self.a * o.c + self.c * o.a,
                  self.a * o.d + self.b * o.c + self.c * o.b + self.d * o.a)

    __rmul__ = __mul__

    def relu(self):
        m = (np.asarray(self.a) > 0).astype(float)  # relu'' = 0 away from the kink
        return HD(self.a * m, self.b * m, self.c * m, self.d * m)

    def sum(self):
        return HD(*(np.sum(np.broadcast_to(v, np.shape(self.a))) for v in
                    (self.a, self.b, self.c, self.d)))


def hd_loss(theta, kind, H, s, x, y, j=None, k=None):
    """Loss at theta with e1 seeded on parameter j and e2 on parameter k."""
    P = len(theta)
    ps = []
    for p in range(P):
        ps.append(HD(theta[p], 1.0 if p == j else 0.0, 1.0 if p == k else 0.0, 0.0))
    X = x[:, None]
    if kind == "network":
        w = _stack(ps[:H]); b = _stack(ps[H:2 * H]); v = _stack(ps[2 * H:3 * H])  # noqa: E702
        z = (w * X + b).relu()
        f = (z * v).sum_axis1() + ps[-1]
    else:
        beta = _stack(ps[:H]); mu = _stack(ps[H:2 * H])  # noqa: E702
        z = ((X - beta) * s[None, :]).relu()
        f = (z * mu).sum_axis1() + ps[-1]
    r = f - y
    return (r * r).sum() * (1.0 / (2 * len(x)))


def _stack(items):
    return HD(*(np.array([getattr(t, f) for t in items])[None, :] for f in "abcd"))


def _sum_axis1(self):
    return HD(*(np.sum(np.broadcast_to(v, np.shape(self.a)), axis=1) for v in
                (self.a, self.b, self.c, self.d)))


HD.sum_axis1 = _sum_axis1


def hd_gradient(params, data):
    kind = "network" if isinstance(params, Network) else "spline"
    s = np.asarray(getattr(params, "s", ()), dtype=float)
    th = np.asarray(params.vector, dtype=float)
    return np.array([hd_loss(th, kind, params.H, s, data.x, data.y, j=j).b for j in
                     range(len(th))])


def hd_hessian_entries(params, data, pairs):
    kind = "network" if isinstance(params, Network) else "spline"
    s = np.asarray(getattr(params, "s", ()), dtype=float)
    th = np.asarray(params.vector, dtype=float)
    return np.array([hd_loss(th, kind, params.H, s, data.x, data.y, j=j, k=k).d
                     for j, k in pairs])


def random_problem(rng, H, N, kind):
    x = np.sort(rng.uniform(-3, 3, N))
    y = np.sin(2 * x) + 0.3 * rng.standard_normal(N)
    data = Dataset.from_arrays(x, y)
    if kind == "network":
        p = Network(rng.standard_normal(H), rng.standard_normal(H), rng.standard_normal(H),
                    float(rng.standard_normal()))
    else:
        p = Spline(rng.uniform(-3.5, 3.5, H), rng.standard_normal(H),
                   tuple(int(v) for v in rng.choice([-1, 1], H)), float(rng.standard_normal()))
    return p, data


def relerr(a, b):
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))) / np.max(np.abs(b)))


# ---------------------------------------------------------------- agreement with autodiff
@pytest.mark.parametrize("kind", ["network", "spline"])
@pytest.mark.parametrize("H,N", [(3, 7), (50, 500)])
def test_closed_forms_match_hyperdual_autodiff(kind, H, N):
    rng = np.random.default_rng(H * 1000 + N + (kind == "spline"))
    params, data = random_problem(rng, H, N, kind)
    g = calculus.gradient(params, data)
    g_ref = hd_gradient(params, data)
    assert relerr(g, g_ref) < 1e-10
    assert relerr(symspline.gradient(params, data), g_ref) < 1e-10  # public API (fast kernels)
    hess = calculus.hessian(params, data)
    assert relerr(symspline.hessian(params, data), hess) < 1e-12
    P = len(params.vector)
    if P <= 12:
        pairs = [(j, k) for j in range(P) for k in range(P)]
    else:
        # All same-unit pairs (where R lives) plus random cross pairs and the c row.
        pairs = [(u + a * H, u + b * H) for u in range(H)
                 for a in range(P // H) for b in range(P // H)]
        pairs += [(int(a), int(b)) for a, b in rng.integers(0, P, size=(200, 2))]
        pairs += [(P - 1, j) for j in range(0, P, 5)]
    ref = hd_hessian_entries(params, data, pairs)
    got = np.array([hess[j, k] for j, k in pairs])
    assert np.max(np.abs(got - ref)) <= 1e-10 * np.max(np.abs(hess))
    assert np.allclose(hess, hess.T, rtol=0, atol=0)


def test_wrong_residual_sign_is_detected():
    rng = np.random.default_rng(7)
    params, data = random_problem(rng, 4, 30, "spline")
    hess, gn, res = calculus.hessian(params, data, parts=True)
    wrong = gn - res
    P = len(params.vector)
    pairs = [(j, k) for j in range(P) for k in range(P)]
    ref = hd_hessian_entries(params, data, pairs).reshape(P, P)
    assert relerr(hess, ref) < 1e-10
    assert relerr(wrong, ref) > 1e-3


# ---------------------------------------------------------------- exact closed forms vs SymPy
@pytest.mark.parametrize("kind", ["network", "spline"])
def test_exact_closed_forms_equal_sympy_derivatives(kind):
    data = Dataset.from_arrays([-2, R(-1, 2), 0, R(1, 3), 2], [1, R(-1, 4), 0, R(1, 2), -1])
    net = Network([2, -1, R(3, 2)], [R(3, 2), R(1, 4), R(-6, 5)], [R(1, 2), -1, R(2, 3)], R(1, 5))
    params = net if kind == "network" else net.to_spline()
    pat = locate(params, data)
    sym = Network.symbols(3) if kind == "network" else Spline.symbols(3, params.s)
    L = pattern_loss(pat, sym, data)
    th = list(sym.vector)
    at = dict(zip(th, params.vector, strict=True))
    g_ref = sp.Matrix([sp.diff(L, t) for t in th]).subs(at)
    h_ref = sp.hessian(L, th).subs(at)
    g = symspline.gradient(params, data)
    h, gn, res = symspline.hessian(params, data, parts=True)
    assert isinstance(g, sp.MatrixBase) and all(v.is_Rational for v in g)
    assert g == g_ref
    assert h == h_ref
    assert h == gn + res
    # Symbolic parameters on the pattern: identical polynomials.
    hs = symspline.hessian(sym, data, pattern=pat)
    assert (hs - sp.hessian(L, th)).applyfunc(sp.expand) == sp.zeros(len(th))
    assert float(symspline.loss(params, data)) == pytest.approx(
        symspline.loss(params.as_float(), data.as_float()), rel=1e-14)


def test_spline_residual_part_structure():
    data = Dataset.from_arrays([-1, 0, 1, 2], [0, 1, -1, R(1, 2)])
    spl = Spline([R(-1, 2), R(3, 2)], [2, -1], (1, -1), R(1, 3))
    _, _, res = symspline.hessian(spl, data, parts=True)
    H, N = 2, 4
    nz = {(a, b) for a in range(5) for b in range(5) if res[a, b] != 0}
    assert nz <= {(0, 2), (2, 0), (1, 3), (3, 1)}
    r = [fn - yn for fn, yn in zip(spl(data.x), data.y, strict=True)]
    pat = locate(spl, data)
    for i in range(H):
        rho = -spl.s[i] * sum(r[n] for n in pat.active(i))
        assert res[H + i, i] == rho / N
    assert res.trace() == 0


def test_symbolic_without_pattern_is_piecewise_and_guarded(monkeypatch):
    data = Dataset.from_arrays([0, 1], [1, 0])
    sym = Spline.symbols(1, (1,))
    g = symspline.gradient(sym, data)
    assert isinstance(g[0], sp.Piecewise) and len(g[0].args) == 3
    # Evaluate the Piecewise at a point of gap 1 and compare with the exact gradient there.
    at = {sym.beta[0]: R(1, 2), sym.mu[0]: 2, sym.c: R(1, 3)}
    exact = symspline.gradient(Spline([R(1, 2)], [2], (1,), R(1, 3)), data)
    assert g.subs(at) == exact
    monkeypatch.setattr(calculus, "MAX_SYMBOLIC_TERMS", 10)
    with pytest.raises(SizeError):
        calculus.pattern_hessian(Pattern((1,) * 3, (0,) * 3, 4), Spline.symbols(3, (1,) * 3),
                                 Dataset.symbols(4))


# ---------------------------------------------------------------- kinks (theory §2.3)
def test_kink_error_and_one_sided_jump():
    data = Dataset.from_arrays([-2, R(-3, 2), -1, 1], [R(1, 2), 1, R(1, 4), 0])
    for s in (1, -1):
        spl = Spline([R(-3, 2), R(1, 2)], [R(3, 2), -1], (s, -1), R(1, 5))
        with pytest.raises(KinkError) as exc:
            symspline.gradient(spl, data)
        assert exc.value.unit == 0 and exc.value.point == 1
        assert "unit 1" in str(exc.value) and "data point 2" in str(exc.value)
        gl = symspline.gradient(spl, data, side="left")
        gr = symspline.gradient(spl, data, side="right")
        r_m = spl(data.x[1]) - data.y[1]
        assert gr[0] - gl[0] == spl.mu[0] * r_m / data.n  # right minus left, either orientation
        assert r_m != 0
        assert all(gr[a] == gl[a] for a in range(1, 5))  # every other partial is continuous
        # The one-sided values are derivatives of the neighbouring pattern polynomials.
        for side, g in (("left", gl), ("right", gr)):
            pat = locate(spl, data, side=side)
            sym = Spline.symbols(2, (s, -1))
            L = pattern_loss(pat, sym, data)
            ref = sp.diff(L, sym.beta[0]).subs(dict(zip(sym.vector, spl.vector, strict=True)))
            assert g[0] == ref
        # Float path agrees with the exact one-sided values.
        gf = symspline.gradient(spl.as_float(), data.as_float(), side="right")
        assert np.allclose(gf, np.array(gr, dtype=float).ravel(), rtol=1e-13, atol=1e-14)


def test_degenerate_network_unit_is_differentiable():
    rng = np.random.default_rng(3)
    x = np.sort(rng.uniform(-2, 2, 20))
    data = Dataset.from_arrays(x, np.cos(x))
    net = Network([0.0, 1.3, -0.7], [0.8, -0.2, 0.4], [1.1, -0.5, 0.9], 0.3)  # w1 = 0, b1 > 0
    assert relerr(calculus.gradient(net, data), hd_gradient(net, data)) < 1e-12


# ---------------------------------------------------------------- reparameterization (1.2, 3.4)
def test_jacobian_kernel_and_chain_rules_exact_and_float():
    data = Dataset.from_arrays([-2, -1, 0, R(1, 2), 2], [0, 1, -1, R(1, 3), 2])
    net = Network([2, -1, R(3, 2)], [R(3, 2), R(1, 4), R(-6, 5)], [R(1, 2), -1, R(2, 3)], R(1, 5))
    P, K = reparam.jacobian(net), reparam.kernel_generators(net)
    assert P.shape == (7, 10) and P.rank() == 7 and (P * K).is_zero_matrix
    assert (K.T * symspline.gradient(net, data)).is_zero_matrix  # theory §1.3
    g_net, h_net = reparam.network_derivatives(net, data)
    assert g_net == symspline.gradient(net, data)
    assert (h_net - symspline.hessian(net, data)).is_zero_matrix
    rng = np.random.default_rng(11)
    fnet, fdata = random_problem(rng, 20, 100, "network")
    g2, h2 = reparam.network_derivatives(fnet, fdata)
    assert relerr(g2, calculus.gradient(fnet, fdata)) < 1e-12
    assert relerr(h2, calculus.hessian(fnet, fdata)) < 1e-12


# ---------------------------------------------------------------- command line
@pytest.fixture()
def files(tmp_path):
    d = tmp_path / "d.csv"
    d.write_text("x,y\n-2,1/2\n-3/2,1\n-1,1/4\n1/4,0\n1,3/4\n")
    p = tmp_path / "p.json"
    p.write_text(json.dumps({"w": [2, -1], "b": ["5/2", "1/2"], "v": ["1/2", -1], "c": "1/10"}))
    k = tmp_path / "k.json"
    k.write_text(json.dumps({"beta": ["-3/2", "1/2"], "mu": [1, "-1/2"], "s": [1, -1], "c": 0}))
    return d, p, k


def test_cli_grad_hessian_check(files, tmp_path, cli):
    d, p, k = files
    out = cli("grad", "--data", str(d), "--params", str(p), "--json")
    assert out.returncode == 0, out.stderr
    js = json.loads(out.stdout)
    assert js["param"] == "network" and js["order"] == ["w1", "w2", "b1", "b2", "v1", "v2", "c"]
    data = symspline.read_data(d)
    net = symspline.read_params(p)
    assert np.allclose(js["gradient"], np.array(symspline.gradient(net, data), dtype=float).ravel())
    npy = tmp_path / "H.npy"
    out = cli("hessian", "--data", str(d), "--params", str(p), "--param", "spline", "--parts",
               "--eig", "--json")
    assert out.returncode == 0, out.stderr
    js = json.loads(out.stdout)
    assert js["order"] == ["beta1", "beta2", "mu1", "mu2", "c"]
    Hm = np.array(js["hessian"])
    assert np.allclose(Hm, np.array(js["gauss_newton"]) + np.array(js["residual"]), atol=1e-14)
    assert np.allclose(js["eigenvalues"], np.linalg.eigvalsh(Hm))
    out = cli("hessian", "--data", str(d), "--params", str(p), "--param", "spline", "--parts",
               "--out", str(npy), "--json")
    assert out.returncode == 0, out.stderr
    js = json.loads(out.stdout)
    assert "hessian" not in js and js["hessian_file"] == str(npy) and js["shape"] == [5, 5]
    gn, res = np.load(tmp_path / "H_gauss_newton.npy"), np.load(tmp_path / "H_residual.npy")
    assert np.allclose(np.load(npy), Hm) and np.allclose(gn + res, Hm, atol=1e-14)
    out = cli("check", "--data", str(d), "--params", str(p), "--json")
    assert out.returncode == 0, out.stderr
    js = json.loads(out.stdout)
    assert js["ok"] and {c["precision"] for c in js["checks"]} == {"float64", "mpmath"}
    out = cli("grad", "--data", str(d), "--params", str(k))
    assert out.returncode == 2 and "unit 1" in out.stderr and "Traceback" not in out.stderr
    out = cli("check", "--data", str(d), "--params", str(k), "--side", "left")
    assert out.returncode == 0, out.stderr + out.stdout
