"""Dataset, Network, Spline, JSON/CSV files: construction, exactness, conversions, bad input."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

from symspline import (
    DataError,
    Dataset,
    DegenerateUnitError,
    Network,
    ParameterError,
    Spline,
    read_data,
    read_params,
    write_data,
    write_params,
)
from symspline.io import parse_csv, parse_params

R = sp.Rational


def test_dataset_sorts_and_keeps_exact():
    d = Dataset.from_arrays([1, R(1, 3), -2], [R(5, 7), 1, Fraction(2, 3)])
    assert d.kind == "exact"
    assert list(d.x) == [-2, R(1, 3), 1]
    assert list(d.y) == [R(2, 3), 1, R(5, 7)]
    assert all(isinstance(v, sp.Rational) for v in d.y)


def test_any_float_makes_float_data():
    d = Dataset.from_arrays([1, 0.5], [R(1, 3), 2])
    assert d.kind == "float" and d.x.dtype == np.float64
    assert d.y[1] == pytest.approx(1 / 3)


def test_gaps_and_gap_of():
    d = Dataset.from_arrays([0, 1, 2], [0, 0, 0])
    assert d.n_gaps == 4
    assert d.gap(0) == (-sp.oo, 0) and d.gap(3) == (2, sp.oo)
    assert d.gap_of(R(1, 2)) == 1 and d.gap_of(1) == 1 and d.gap_of(R(3)) == 3


def test_prefix_moments_match_direct_sums(rng):
    x, y = rng.normal(size=50), rng.normal(size=50)
    d = Dataset.from_arrays(x, y)
    xs, ys = np.sort(x), y[np.argsort(x)]
    for lo, hi in [(0, 50), (3, 17), (10, 10), (49, 50)]:
        assert d.interval_sum("xy", lo, hi) == pytest.approx((xs * ys)[lo:hi].sum(), abs=1e-12)
        assert d.interval_sum("xx", lo, hi) == pytest.approx((xs**2)[lo:hi].sum(), abs=1e-12)
    de = Dataset.from_arrays([R(1, 2), R(1, 3), 2], [1, 2, 3])
    assert de.interval_sum("xy", 0, 3) == R(1, 3) * 2 + R(1, 2) * 1 + 2 * 3


@pytest.mark.parametrize("x, y, msg", [
    ([1, 2, 1], [0, 0, 0], "duplicate x"),
    ([1.0, float("nan")], [0, 0], "not finite"),
    ([1.0, 2.0], [0, float("inf")], "not finite"),
    ([1, 2, 3], [0, 0], "x has 3 values but y has 2"),
    ([], [], "empty"),
    ("12", "34", "not text"),
    (np.array([1.0, 1.0]), np.array([0.0, 1.0]), "duplicate x"),
    (np.ones((2, 2)), np.ones((2, 2)), "one-dimensional"),
])
def test_bad_data(x, y, msg):
    with pytest.raises(DataError, match=msg):
        Dataset.from_arrays(x, y)


def test_network_to_spline_exact(net):
    s = net.to_spline()
    assert s.kind == "exact"
    for i in range(net.H):
        assert s.beta[i] == -net.b[i] / net.w[i]
        assert s.mu[i] == net.v[i] * abs(net.w[i])
        assert s.s[i] == (1 if net.w[i] > 0 else -1)


def test_network_and_spline_evaluate_the_same_function(net):
    s = net.to_spline()
    xs = [R(k, 7) for k in range(-20, 21)]
    assert all(net(x) == s(x) for x in xs)


@pytest.mark.parametrize("d", [0, R(3, 2), R(-5, 4)])
def test_to_network_balance_exact(net, d):
    s = net.to_spline()
    back = s.to_network(balance=d)
    for i in range(net.H):
        assert sp.simplify(back.balance[i] - d) == 0
    s2 = back.to_spline()
    for i in range(net.H):
        assert sp.simplify(s2.beta[i] - s.beta[i]) == 0
        assert sp.simplify(s2.mu[i] - s.mu[i]) == 0
    assert s2.s == s.s


def test_to_network_float_balance_and_round_trip(rng):
    for _ in range(20):
        H = int(rng.integers(1, 6))
        s = Spline(rng.normal(size=H), rng.normal(size=H), tuple(rng.choice([-1, 1], H)), 0.5)
        d = float(rng.normal() * 3)
        n = s.to_network(balance=d)
        np.testing.assert_allclose(n.balance, d, atol=1e-12 * (1 + abs(d)))
        np.testing.assert_allclose(n.to_spline().vector, s.vector, rtol=1e-12, atol=1e-14)


def test_to_network_refuses_mu_zero_nonnegative_balance():
    s = Spline([1.0], [0.0], (1,), 0.0)
    with pytest.raises(ParameterError, match="mu = 0"):
        s.to_network(balance=0.0)
    n = s.to_network(balance=-1.0)
    assert n.v[0] == 0 and n.w[0] ** 2 + n.b[0] ** 2 == pytest.approx(1.0)


def test_scale_orbit_leaves_function_and_spline_unchanged(net):
    scaled = net.rescale([R(2), R(1, 3), R(7, 5)])
    s1, s2 = net.to_spline(), scaled.to_spline()
    assert list(s1.beta) == list(s2.beta) and list(s1.mu) == list(s2.mu) and s1.s == s2.s
    with pytest.raises(ParameterError, match="positive"):
        net.rescale(-1)


def test_canonical_order_sorts_breakpoints(net):
    perm = Network(net.w[::-1], net.b[::-1], net.v[::-1], net.c)
    c1, c2 = net.canonical().to_spline(), perm.canonical().to_spline()
    assert list(c1.beta) == sorted(c1.beta) and list(c1.beta) == list(c2.beta)


def test_symbolic_network_to_spline():
    n = Network.symbols(2, s=[1, -1])
    s = n.to_spline()
    w1, w2 = n.w
    assert sp.simplify(s.mu[0] - n.v[0] * w1) == 0
    assert sp.simplify(s.mu[1] + n.v[1] * w2) == 0
    with pytest.raises(ParameterError, match="undetermined"):
        Network.symbols(2).to_spline()


def test_degenerate_unit_refused():
    n = Network([1.0, 0.0], [0.0, 1.0], [1.0, 1.0], 0.0)
    with pytest.raises(DegenerateUnitError, match="unit 2 has w = 0"):
        n.to_spline()


@pytest.mark.parametrize("make, msg", [
    (lambda: Network([1, 2], [1], [1, 2], 0), "equal lengths"),
    (lambda: Network([], [], [], 0), "at least one"),
    (lambda: Network([float("nan")], [1.0], [1.0], 0), "not finite"),
    (lambda: Spline([0.0], [1.0], (2,), 0), "orientation"),
    (lambda: Spline([0.0, 1.0], [1.0, 1.0], (1,), 0), "expected 2 orientations"),
    (lambda: Network.symbols(0), "positive integer"),
    (lambda: Network.symbols(-3), "positive integer"),
    (lambda: Network([1], [1], [1], [1, 2]), "single number"),
])
def test_bad_parameters(make, msg):
    with pytest.raises(ParameterError, match=msg):
        make()


def test_csv_exact_and_float(tmp_path):
    d = parse_csv("x,y\n1/3,2\n-1,0.5\n")
    assert d.kind == "float"
    d = parse_csv("x,y\n1/3,2\n-1,-7/2\n")
    assert d.kind == "exact" and list(d.x) == [-1, R(1, 3)]
    d = parse_csv("x,y\n0.1,2\n", exact_decimals=True)
    assert d.x[0] == R(1, 10)
    p = tmp_path / "d.csv"
    write_data(p, d)
    assert list(read_data(p).x) == [R(1, 10)]


def test_npz_round_trip(tmp_path, rng):
    p = tmp_path / "big.npz"
    np.savez(p, x=rng.normal(size=1000), y=rng.normal(size=1000))
    d = read_data(p)
    assert d.n == 1000 and d.kind == "float" and np.all(np.diff(d.x) > 0)


@pytest.mark.parametrize("text, msg", [
    ("", "empty"),
    ("a,b\n1,2\n", "header"),
    ("x,y\n1,2\n3\n", "line 3 has 1 cells"),
    ("x,y\n1,abc\n", "not a number"),
    ("x,y\n1,2/0\n", "zero denominator"),
    ("x,y\n1,nan\n", "not a number"),
    ("x,y\n1,2\n1,3\n", "duplicate x"),
    ("x,y\n", "no data rows"),
    ("x,y\n1,__import__('os')\n", "not a number"),
])
def test_bad_csv(text, msg):
    with pytest.raises(DataError, match=msg):
        parse_csv(text)


def test_json_round_trip_exact(tmp_path, net):
    p = tmp_path / "net.json"
    write_params(p, net)
    back = read_params(p)
    assert back.kind == "exact"
    assert list(back.vector) == list(net.vector)
    spl = net.to_spline()
    write_params(p, spl)
    back = read_params(p)
    assert isinstance(back, Spline) and back.s == spl.s and list(back.beta) == list(spl.beta)


@pytest.mark.parametrize("text, msg", [
    ("[1, 2]", "expected a JSON object"),
    ('{"w": [1], "b": [1], "v": [1]}', "missing c"),
    ('{"w": [1], "b": [1], "v": [1], "c": 0, "bogus": 1}', "unknown keys bogus"),
    ('{"w": [1], "b": [1], "v": [1], "c": "1/0"}', "zero denominator"),
    ('{"w": [1], "b": [1], "v": [1], "c": "sin(1)"}', "not a number"),
    ('{"w": [1], "b": [1], "v": [1], "c": NaN}', "not a valid number"),
    ('{"w": 1, "b": [1], "v": [1], "c": 0}', "must be a list"),
    ('{"beta": [1], "mu": [1], "s": [0], "c": 0}', "orientation"),
    ('{"w": [1], "b": [1], "v": [1], "c": true}', "must be a number"),
    ('{"w": [1,', "not valid JSON"),
])
def test_bad_json(text, msg):
    with pytest.raises(ParameterError, match=msg):
        parse_params(text)


def test_json_numbers_exactness():
    p = parse_params(json.dumps({"w": [1, "2/7"], "b": ["0.5", -1], "v": [1, 1], "c": 0}))
    assert p.kind == "exact" and p.w[1] == R(2, 7) and p.b[0] == R(1, 2)
    p = parse_params(json.dumps({"w": [1.5], "b": [1], "v": [1], "c": 0}))
    assert p.kind == "float"


def test_to_network_per_unit_balances():
    s = Spline([0.5, -1.0, 2.0], [1.0, 2.0, -0.5], (1, -1, 1), 0.25)
    d = np.array([0.5, -2.0, 0.0])
    n = s.to_network(d)
    np.testing.assert_allclose(n.balance, d, atol=1e-12)
    np.testing.assert_allclose(n.to_spline().vector, s.vector, rtol=1e-12)
    with pytest.raises(ParameterError, match="one number or 3 numbers"):
        s.to_network([1.0, 2.0])
