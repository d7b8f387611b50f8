"""The weight-decay penalty's structured Hessian: entries, dense form, in-place sum and products."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from symspline import Network, Spline


def _points():
    rng = np.random.default_rng(3)
    H = 4
    net = Network(rng.normal(size=H), rng.normal(size=H), rng.normal(size=H), 0.3)
    yield net
    yield net.to_spline()
    yield Network([1, -2], [sp.Rational(1, 3), 1], [2, -1], sp.Rational(1, 5))
    yield Spline([sp.Rational(1, 2), -1], [1, -3], (1, -1), 2)


@pytest.mark.parametrize("params", list(_points()), ids=lambda p: f"{type(p).__name__}-{p.kind}")
def test_structured_hessian_matches_differences_of_the_gradient(params):
    lam = 0.25 if params.kind == "float" else sp.Rational(1, 4)
    dec = params.decay(lam)
    dense = np.asarray(dec.hessian, dtype=float)
    assert np.array_equal(dense, dense.T)
    fl = params.as_float()
    th, e = fl.vector, 1e-6
    fd = np.array([(fl.with_vector(th + e * u).decay(0.25).gradient
                    - fl.with_vector(th - e * u).decay(0.25).gradient) / (2 * e)
                   for u in np.eye(th.size)])
    assert np.max(np.abs(dense - fd)) < 1e-8
    d = np.linspace(-1, 1, th.size)
    assert np.allclose(dec.hvp(d), dense @ d, rtol=0, atol=1e-14)
    base = np.arange(th.size**2, dtype=float).reshape(th.size, th.size)
    assert np.array_equal(dec.add_to(base.copy()) if dec.kind == "float"
                          else np.asarray(dec.add_to(base.astype(object)), dtype=float),
                          base + dense)
    # the checker can fail: a wrong lambda gives a different Hessian
    assert np.max(np.abs(np.asarray(params.decay(2 * lam).hessian, dtype=float) - dense)) > 0.1


def test_network_penalty_is_stored_in_linear_memory():
    H = 10_000
    net = Network(np.ones(H), np.zeros(H), np.ones(H), 0.0)
    dec = net.decay(1e-3)
    assert dec.entries.shape == (3 * H + 1,) and dec.value == pytest.approx(1e-3 * 2 * H / 2)
