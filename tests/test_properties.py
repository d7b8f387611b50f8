"""Property-based tests (hypothesis) over random networks and data sets."""

from __future__ import annotations

import numpy as np
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symspline as ss
from symspline import Dataset, Network, Spline
from symspline.loss import pattern_outputs

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

finite = st.floats(min_value=-5, max_value=5, allow_nan=False, allow_infinity=False)
nonzero = finite.filter(lambda t: abs(t) > 1e-3)
# Subnormal magnitudes have no balanced representative in float64 (a = mu / sqrt(d) underflows).
representable = finite.filter(lambda t: t == 0 or abs(t) > 1e-150)
small_rational = st.builds(lambda p, q: sp.Rational(p, q), st.integers(-12, 12), st.integers(1, 6))


@st.composite
def networks(draw, max_h=6):
    H = draw(st.integers(1, max_h))
    w = draw(st.lists(nonzero, min_size=H, max_size=H))
    b = draw(st.lists(finite, min_size=H, max_size=H))
    v = draw(st.lists(representable, min_size=H, max_size=H))
    return Network(w, b, v, draw(finite))


@st.composite
def datasets(draw, max_n=12):
    xs = draw(st.lists(st.floats(-4, 4, allow_nan=False), min_size=1, max_size=max_n,
                       unique=True))
    ys = draw(st.lists(finite, min_size=len(xs), max_size=len(xs)))
    return Dataset.from_arrays(np.array(xs), np.array(ys))


@SETTINGS
@given(networks(), st.lists(st.floats(-6, 6, allow_nan=False), min_size=1, max_size=20))
def test_network_and_spline_are_the_same_function(net, xs):
    xs = np.array(xs)
    scale = 1 + np.abs(net.v).sum() * (np.abs(net.w).max() * 6 + np.abs(net.b).max()) + abs(net.c)
    assert np.abs(net(xs) - net.to_spline()(xs)).max() <= 1e-12 * scale


@SETTINGS
@given(networks(), st.floats(-3, 3, allow_nan=False))
def test_round_trip_through_any_balance(net, d):
    spl = net.to_spline()
    if np.any(spl.mu == 0) and d >= 0:
        return
    back = spl.to_network(balance=d)
    np.testing.assert_allclose(back.balance, d, atol=1e-9 * (1 + abs(d) + np.abs(spl.mu).max() ** 2))
    np.testing.assert_allclose(back.to_spline().vector, spl.vector, rtol=1e-9, atol=1e-12)
    assert back.to_spline().s == spl.s


@SETTINGS
@given(networks(max_h=4), datasets(), st.floats(0.2, 5))
def test_scale_orbit_keeps_the_loss(net, data, a):
    assert abs(ss.loss(net.rescale(a), data) - ss.loss(net, data)) <= 1e-10 * (1 + ss.loss(net, data))


@SETTINGS
@given(st.integers(1, 3), st.data())
def test_exact_and_float_losses_agree(H, draw):
    n = draw.draw(st.integers(1, 6))
    xs = draw.draw(st.lists(small_rational, min_size=n, max_size=n, unique=True))
    ys = draw.draw(st.lists(small_rational, min_size=n, max_size=n))
    data = Dataset.from_arrays(xs, ys)
    vals = draw.draw(st.lists(small_rational, min_size=3 * H + 1, max_size=3 * H + 1))
    net = Network.from_vector(vals, H)
    exact = ss.loss(net, data)
    assert isinstance(exact, sp.Rational)
    assert abs(ss.loss(net.as_float(), data.as_float()) - float(exact)) <= 1e-12 * (1 + float(exact))


@SETTINGS
@given(datasets(max_n=8), st.data())
def test_loss_is_continuous_across_data_points(data, draw):
    H = draw.draw(st.integers(1, 3))
    s = tuple(draw.draw(st.lists(st.sampled_from([1, -1]), min_size=H, max_size=H)))
    mu = draw.draw(st.lists(finite, min_size=H, max_size=H))
    beta = draw.draw(st.lists(st.floats(-4, 4, allow_nan=False), min_size=H, max_size=H))
    m = draw.draw(st.integers(0, data.n - 1))
    beta[0] = float(data.x[m])
    eps = 1e-7
    lo = Spline([beta[0] - eps, *beta[1:]], mu, s, 0.3)
    hi = Spline([beta[0] + eps, *beta[1:]], mu, s, 0.3)
    # |dL/dbeta| <= |mu| * sum|r| / N: the two sides differ by O(eps), not O(1)
    bound = 2 * eps * (abs(mu[0]) + 1) * (1 + np.abs(lo(data.x) - data.y).sum()) * (1 + abs(mu[0]))
    assert abs(ss.loss(lo, data) - ss.loss(hi, data)) <= bound


@SETTINGS
@given(networks(max_h=4), datasets(max_n=10))
def test_located_pattern_reproduces_the_loss(net, data):
    try:
        p = ss.locate(net, data)
    except ss.KinkError:
        return
    f = np.array([float(v) for v in pattern_outputs(p, net, data)])
    np.testing.assert_allclose(f, net(data.x), rtol=1e-10, atol=1e-10)
