"""Patterns, the exact piecewise loss, its continuity, and agreement of exact, float and symbolic."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import sympy as sp

import symspline as ss
from symspline import Dataset, KinkError, Network, Pattern, SizeError, Spline
from symspline.piecewise import PiecewiseLoss, pattern_loss
from symspline.regions import pattern_count, patterns

R = sp.Rational


def test_pattern_enumeration_counts():
    assert len(list(patterns(2, 3))) == pattern_count(2, 3) == 64
    assert len(list(patterns(2, 3, s=(1, -1)))) == 16
    assert len(set(patterns(3, 2))) == 216


def test_active_sets_match_relu_activity(rng):
    for _ in range(30):
        H, N = int(rng.integers(1, 5)), int(rng.integers(1, 9))
        d = Dataset.from_arrays(rng.normal(size=N), rng.normal(size=N))
        n = Network(rng.normal(size=H), rng.normal(size=H), rng.normal(size=H), 0.0)
        p = ss.locate(n, d)
        for i in range(H):
            direct = {m for m in range(N) if n.w[i] * d.x[m] + n.b[i] > 0}
            assert set(p.active(i)) == direct


def test_kink_detection_and_sides():
    d = Dataset.from_arrays([0, 1, 2], [1, 0, 1])
    s = Spline([1, R(1, 2)], [2, -1], (1, -1), 0)
    assert ss.kinks(s, d) == [(0, 1)]
    with pytest.raises(KinkError, match="unit 1 lies exactly on data point 2"):
        ss.locate(s, d)
    left, right = ss.locate(s, d, side="left"), ss.locate(s, d, side="right")
    assert left.k[0] == 1 and right.k[0] == 2
    sym = Spline.symbols(2, (1, -1))
    sub = dict(zip(sym.vector, s.vector, strict=True))
    # continuity: both one-sided pieces agree with the loss at the kink
    assert pattern_loss(left, sym, d).subs(sub) == pattern_loss(right, sym, d).subs(sub) == ss.loss(s, d)


def test_network_degenerate_units_are_located():
    d = Dataset.from_arrays([0, 1, 2], [1, 0, 1])
    n = Network([0, 0], [1, -1], [1, 1], 0)
    p = ss.locate(n, d)
    assert p.active(0) == range(0, 3) and p.active(1) == range(3, 3)


def test_exact_float_symbolic_agree(net, data):
    exact = ss.loss(net, data)
    assert isinstance(exact, sp.Rational)
    assert abs(ss.loss(net.as_float(), data.as_float()) - float(exact)) <= 1e-12 * float(exact)
    for params, sym in ((net, Network.symbols(net.H)),
                        (net.to_spline(), Spline.symbols(net.H, net.to_spline().s))):
        p = ss.locate(params, data)
        poly = ss.loss(sym, data, pattern=p)
        assert poly.subs(dict(zip(sym.vector, params.vector, strict=True))) == exact


def test_exact_loss_matches_hand_computation():
    # f(x) = 2 [x - 1]_+ + 1 on x = 0, 1, 2 with y = 1, 1, 1: residuals 0, 0, 2 -> L = 4/6
    d = Dataset.from_arrays([0, 1, 2], [1, 1, 1])
    assert ss.loss(Spline([1], [2], (1,), 1), d) == R(2, 3)
    assert ss.loss(Network([1], [-1], [2], 1), d) == R(2, 3)


def _boundary_differences(params, data, perturb=False):
    """L_P - L_P' on the boundary between pattern P and its right neighbour, per unit."""
    H, N = params.H, data.n
    for p in patterns(H, N, getattr(params, "s", None)):
        for i, q in p.neighbours():
            xb = data.x[p.k[i]]
            if perturb and i == 0:
                xb = xb + 1
            if isinstance(params, Spline):
                sub = {params.beta[i]: xb}
            else:
                sub = {params.b[i]: -params.w[i] * xb}
            yield p, i, sp.expand(pattern_loss(p, params, data).subs(sub)
                                  - pattern_loss(q, params, data).subs(sub))


@pytest.mark.parametrize("H, N", [(1, 1), (1, 3), (2, 2), (2, 3)])
def test_continuity_across_every_boundary_symbolic(H, N):
    data = Dataset.symbols(N)
    for s in itertools.product((1, -1), repeat=H):
        diffs = list(_boundary_differences(Spline.symbols(H, s), data))
        assert diffs and all(dlt == 0 for _, _, dlt in diffs)
    diffs = list(_boundary_differences(Network.symbols(H), data))
    assert diffs and all(dlt == 0 for _, _, dlt in diffs)


def test_continuity_checker_detects_a_wrong_boundary():
    data = Dataset.symbols(2)
    diffs = list(_boundary_differences(Spline.symbols(1, (1,)), data, perturb=True))
    assert any(dlt != 0 for _, _, dlt in diffs)


def test_network_orientation_flip_is_continuous():
    # at w = 0 the all-active patterns (s=+1,k=0) and (s=-1,k=N) coincide, and so do the dead ones
    data = Dataset.symbols(3)
    n = Network.symbols(1)
    w = n.w[0]
    for (s1, k1), (s2, k2) in (((1, 0), (-1, 3)), ((1, 3), (-1, 0))):
        a = pattern_loss(Pattern((s1,), (k1,), 3), n, data).subs(w, 0)
        b = pattern_loss(Pattern((s2,), (k2,), 3), n, data).subs(w, 0)
        assert sp.expand(a - b) == 0


def test_piecewise_evaluates_to_direct_loss(rng):
    d = Dataset.from_arrays([R(-1), R(0), R(3, 2)], [R(1), R(-1, 2), R(2)])
    for params in (Network.symbols(1), Spline.symbols(2, (1, -1))):
        pw = ss.loss(params, d)
        assert isinstance(pw, sp.Piecewise)
        for _ in range(10):
            vals = [R(int(v), 4) for v in rng.integers(-12, 12, size=len(params.vector))]
            concrete = type(params).from_vector(vals, *(
                (params.H,) if isinstance(params, Network) else (params.s,)))
            assert pw.subs(dict(zip(params.vector, vals, strict=True))) == ss.loss(concrete, d)


def test_piecewise_regions_partition_network_space(rng):
    d = Dataset.from_arrays([-1, 0, 2], [0, 1, 0])
    n = Network.symbols(2)
    pl = PiecewiseLoss(n, d)
    for _ in range(25):
        vals = [R(int(v), 3) for v in rng.integers(-6, 7, size=7)]
        sub = dict(zip(n.vector, vals, strict=True))
        hits = [p for p in pl.patterns() if bool(pl.condition(p).subs(sub))]
        assert len(hits) == 1


def test_size_guard_refuses_absurd_piecewise():
    data = Dataset.from_arrays(list(range(60)), [0] * 60)
    with pytest.raises(SizeError, match="patterns, more than the limit"):
        ss.loss(Spline.symbols(4, (1, 1, 1, 1)), data)


def test_float_loss_on_large_data(rng):
    x = rng.uniform(-3, 3, 200_000)
    d = Dataset.from_arrays(x, np.sin(x))
    n = Network(rng.normal(size=64), rng.normal(size=64), rng.normal(size=64) / 8, 0.1)
    direct = np.maximum(0, np.outer(d.x, n.w) + n.b) @ n.v + n.c - d.y
    assert ss.loss(n, d) == pytest.approx(direct @ direct / (2 * d.n), rel=1e-12)
