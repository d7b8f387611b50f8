"""Region-aware finite differences against exact derivatives of the pattern polynomial."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import symspline as ss
from symspline import Dataset, KinkError, Network, Spline
from symspline.checks import compare, fd_gradient, fd_hessian, lambdify

R = sp.Rational


def _exact_derivatives(params, data, side=None):
    sym = Network.symbols(params.H) if isinstance(params, Network) else Spline.symbols(params.H, params.s)
    L = ss.loss(sym, data, pattern=ss.locate(params, data, side=side))
    theta = list(sym.vector)
    sub = dict(zip(theta, params.vector, strict=True))
    g = [sp.diff(L, t).subs(sub) for t in theta]
    h = sp.hessian(L, theta).subs(sub)
    return np.array(g, dtype=object), np.array(h.tolist(), dtype=object)


@pytest.mark.parametrize("param", ["network", "spline"])
def test_fd_matches_exact_derivatives(net, data, param):
    params = net if param == "network" else net.to_spline()
    g, h = _exact_derivatives(params, data)
    assert compare(fd_gradient(params, data).values, g, rtol=1e-8).ok
    assert compare(fd_hessian(params, data).values, h, rtol=1e-6).ok
    mp_g = compare(fd_gradient(params, data, precision="mpmath").values, g)
    mp_h = compare(fd_hessian(params, data, precision="mpmath").values, h)
    assert mp_g.max_rel < 1e-30 and mp_h.max_rel < 1e-20


def test_fd_near_a_kink_never_crosses_it():
    d = Dataset.from_arrays([0, 1, 2, 3], [1, -1, 2, 0])
    s = Spline([1 + R(1, 10**9), R(5, 2)], [3, -2], (1, -1), R(1, 2))
    g, h = _exact_derivatives(s, d)
    res = fd_gradient(s, d)
    assert compare(res.values, g, rtol=1e-7).ok
    assert compare(fd_hessian(s, d).values, h, rtol=1e-5).ok


@pytest.mark.parametrize("side", ["left", "right"])
def test_fd_one_sided_at_a_kink(side):
    d = Dataset.from_arrays([0, 1, 2, 3], [1, -1, 2, 0])
    s = Spline([1, R(5, 2)], [3, -2], (1, -1), R(1, 2))
    with pytest.raises(KinkError):
        fd_gradient(s, d)
    g, h = _exact_derivatives(s, d, side=side)
    res = fd_gradient(s, d, side=side, precision="mpmath")
    assert res.one_sided[0] and not res.one_sided[2]
    assert compare(res.values, g).max_rel < 1e-25
    assert compare(fd_hessian(s, d, side=side).values, h, rtol=1e-5).ok


def test_kink_sides_differ_by_the_predicted_jump():
    # theory §2.3: dL/dbeta right minus left equals mu r_m / N
    d = Dataset.from_arrays([0, 1, 2, 3], [1, -1, 2, 0])
    s = Spline([1, R(5, 2)], [3, -2], (1, -1), R(1, 2))
    gl, _ = _exact_derivatives(s, d, side="left")
    gr, _ = _exact_derivatives(s, d, side="right")
    r_m = s(1) - (-1)
    assert gr[0] - gl[0] == 3 * r_m / 4


def test_compare_detects_a_wrong_gradient(net, data):
    g, _ = _exact_derivatives(net, data)
    wrong = g.copy()
    wrong[0] = wrong[0] * R(101, 100)
    assert not compare(fd_gradient(net, data, precision="mpmath").values, wrong, rtol=1e-10).ok


def test_lambdify_with_cse():
    a, b = sp.symbols("a b")
    f = lambdify([a, b], [(a + b) ** 2, sp.sin(a + b)])
    out = f(np.array([1.0, 2.0]), 0.5)
    np.testing.assert_allclose(out[0], [2.25, 6.25])
