"""Population risk for the leaky ReLU and with weight decay, against quadrature and differences."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from scipy.integrate import quad

from symspline import Network, Spline
from symspline.population import Population, X


def _leaky_quad(beta, mu, s, c, alpha, a=-1.0, b=1.0):
    """(1/2) int_a^b (f - x^2)^2 dx/(b - a), f evaluated directly, split at the breakpoints."""

    def f(x):
        z = np.array(s) * (x - np.array(beta))
        return c + float(np.dot(mu, np.maximum(z, alpha * z)))

    cuts = sorted({a, b, *[t for t in beta if a < t < b]})
    total = sum(quad(lambda x: (f(x) - x * x) ** 2, u, v, epsabs=1e-14, epsrel=1e-13)[0]
                for u, v in zip(cuts[:-1], cuts[1:], strict=True))
    return 0.5 * total / (b - a)


@pytest.mark.parametrize("alpha", [0, sp.Rational(1, 5), sp.Rational(2, 3)])
def test_exact_leaky_population_loss_matches_quadrature(alpha):
    pop = Population.uniform(-1, 1, X**2)
    spl = Spline([sp.Rational(1, 3), sp.Rational(-1, 2)], [1, 2], (1, -1), sp.Rational(1, 4),
                 negative_slope=alpha)
    exact = float(pop.loss(spl))
    ref = _leaky_quad([1 / 3, -1 / 2], [1.0, 2.0], (1, -1), 0.25, float(alpha))
    assert exact == pytest.approx(ref, rel=1e-11)
    # the checker can fail: the ReLU value differs from the leaky one
    if alpha != 0:
        assert abs(ref - _leaky_quad([1 / 3, -1 / 2], [1.0, 2.0], (1, -1), 0.25, 0.0)) > 1e-3


@pytest.mark.parametrize("lam", [0.0, 0.1])
def test_population_gradient_with_leaky_and_decay_matches_differences(lam):
    pop = Population.uniform(-1, 1, X**2)
    net = Network([1.1, -0.7], [0.2, 0.15], [0.5, 1.3], 0.1, negative_slope=0.05)
    g = np.asarray(pop.gradient(net, weight_decay=lam), dtype=float).ravel()
    th, e = net.vector, 1e-6
    fd = np.array([(pop.loss(net.with_vector(th + e * u), weight_decay=lam)
                    - pop.loss(net.with_vector(th - e * u), weight_decay=lam)) / (2 * e)
                   for u in np.eye(th.size)])
    assert np.max(np.abs(g - fd)) < 1e-8
    h = np.asarray(pop.hessian(net, weight_decay=lam), dtype=float)
    fdh = np.array([(np.asarray(pop.gradient(net.with_vector(th + e * u), weight_decay=lam))
                     - np.asarray(pop.gradient(net.with_vector(th - e * u), weight_decay=lam)))
                    / (2 * e) for u in np.eye(th.size)])
    assert np.max(np.abs(h - fdh)) < 1e-7


def test_reduced_decay_equals_network_decay_at_the_balanced_representative():
    pop = Population.uniform(-1, 1, X**2)
    spl = Spline([sp.Rational(1, 3), sp.Rational(-1, 2)], [1, -2], (1, -1), sp.Rational(1, 4),
                 negative_slope=sp.Rational(1, 10))
    lam = sp.Rational(1, 7)
    reduced = pop.loss(spl, weight_decay=lam)
    balanced = pop.loss(spl.balanced(), weight_decay=lam)
    assert sp.simplify(reduced - balanced) == 0
    # any other point of the orbit pays more decay
    other = spl.balanced().rescale(2)
    assert float(pop.loss(other, weight_decay=lam)) > float(reduced) + 1e-3
