"""Property-based tests (hypothesis) over random networks and data sets."""

from __future__ import annotations

import numpy as np
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symspline as ss
from symspline import Dataset, Network, Spline
from symspline.piecewise import pattern_outputs

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


# ---------------------------------------------------------------- derivatives, kernels, spectra
from symspline import kernels  # noqa: E402
from symspline.checks import compare, fd_gradient, fd_hessian  # noqa: E402
from symspline.critical import critical_points  # noqa: E402


@st.composite
def exact_problems(draw, max_h=3, max_n=6):
    n = draw(st.integers(1, max_n))
    xs = draw(st.lists(small_rational, min_size=n, max_size=n, unique=True))
    ys = draw(st.lists(small_rational, min_size=n, max_size=n))
    H = draw(st.integers(1, max_h))
    if draw(st.booleans()):
        vals = draw(st.lists(small_rational, min_size=3 * H + 1, max_size=3 * H + 1))
        params = Network.from_vector(vals, H)
    else:
        vals = draw(st.lists(small_rational, min_size=2 * H + 1, max_size=2 * H + 1))
        s = draw(st.lists(st.sampled_from([1, -1]), min_size=H, max_size=H))
        params = Spline.from_vector(vals, s)
    return params, Dataset.from_arrays(xs, ys)


@SETTINGS
@given(exact_problems())
def test_kernels_equal_the_exact_engine(problem):
    params, data = problem
    degenerate = isinstance(params, Network) and any(w == 0 for w in params.w)
    if degenerate or ss.kinks(params, data):
        return  # kinks and w = 0 units have their own tests in test_kernels.py
    g_exact = np.array([float(v) for v in ss.gradient(params, data)])
    h_exact = np.array(ss.hessian(params, data).evalf(20).tolist(), dtype=float)
    fp, fd = params.as_float(), data.as_float()
    assert compare(kernels.gradient(fp, fd), g_exact, rtol=1e-12, atol=1e-12).ok
    assert compare(kernels.hessian(fp, fd), h_exact, rtol=1e-12, atol=1e-12).ok


@SETTINGS
@given(networks(max_h=5), datasets(max_n=10))
def test_residual_part_has_a_symmetric_spectrum(net, data):
    try:
        spl = net.to_spline()
        _, _, R = ss.hessian(spl, data, parts=True)
    except ss.KinkError:
        return
    ev = np.linalg.eigvalsh(R)
    scale = 1 + np.abs(ev).max()
    assert np.allclose(np.sort(ev), np.sort(-ev), atol=1e-10 * scale)
    assert abs(np.trace(R)) <= 1e-10 * scale


@st.composite
def grid_datasets(draw, max_n=8):
    # x on a 1/16 grid: finite differences need room between data points
    ks = draw(st.lists(st.integers(-64, 64), min_size=1, max_size=max_n, unique=True))
    ys = draw(st.lists(finite, min_size=len(ks), max_size=len(ks)))
    return Dataset.from_arrays(np.array(ks) / 16.0, np.array(ys))


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(networks(max_h=3), grid_datasets(), st.booleans())
def test_gradient_and_hessian_match_finite_differences(net, data, spline):
    from symspline.regions import near_kinks

    params = net.to_spline() if spline else net
    if near_kinks(params, data, rtol=1e-6):
        return  # no stencil fits beside a breakpoint this close to a data point
    try:
        g, h = ss.gradient(params, data), ss.hessian(params, data)
    except ss.KinkError:
        return
    assert compare(g, fd_gradient(params, data).values, rtol=1e-6, atol=1e-9).ok
    assert compare(h, fd_hessian(params, data).values, rtol=1e-4, atol=1e-6).ok


def _float_inertia(M: np.ndarray) -> tuple[int, int, int]:
    # float64 eigenvalues are accurate to a few eps * ||M||: 1e-12 relative leaves a margin of
    # ~1000 for the zeros and still sees the small positive eigenvalue of an ill-conditioned
    # critical point (a fresh Hypothesis run found 1.6e-5 next to 7.4e5, lost at 1e-9)
    ev = np.linalg.eigvalsh(0.5 * (M + M.T))
    tol = 1e-12 * max(1.0, np.abs(ev).max())
    return int((ev > tol).sum()), int((ev < -tol).sum()), int((np.abs(ev) <= tol).sum())


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.integers(2, 4).flatmap(lambda n: st.tuples(
    st.lists(small_rational, min_size=n, max_size=n, unique=True),
    st.lists(small_rational, min_size=n, max_size=n))))
def test_inertia_relation_at_computed_critical_points(xy):
    data = Dataset.from_arrays(*xy)
    report = critical_points(data, 1)
    for cp in report.points:
        spl = cp.spline.as_float()
        net = spl.to_network(balance=-1.0)
        s_in = _float_inertia(kernels.hessian(spl, data.as_float()))
        n_in = _float_inertia(kernels.hessian(net, data.as_float()))
        assert s_in == cp.inertia_spline.as_tuple()
        assert n_in == (s_in[0], s_in[1], s_in[2] + 1)  # theory §3.4: H extra zeros
