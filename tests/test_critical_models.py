"""Critical points and slices for the two new models: leaky ReLU and weight decay.

Every check here is against an independent float reference built in this file from NumPy alone:
the loss (1/2N) sum (f(x_n) - y_n)^2 with f = c + sum_i v_i max(z, alpha z) (or the spline form),
central finite differences for gradients and Hessians, and SciPy local searches from random
starts. The data sets are drawn here with their own seeds, never seen by the implementation.
"""

from __future__ import annotations

import json
import math

import jsonschema
import numpy as np
import pytest
import sympy as sp
from scipy.optimize import minimize

from symspline.critical import (
    KIND_MIN,
    KIND_SADDLE,
    KIND_STRICT_MIN,
    critical_points,
    decay_critical_points,
    decay_dual,
)
from symspline.data import Dataset
from symspline.errors import ParameterError
from symspline.landscape import hessian_directions, line_slice, plane_slice
from symspline.params import Network, Spline

R = sp.Rational


# ------------------------------------------------------------------ independent float references
def _spline_loss(x: np.ndarray, y: np.ndarray, s: tuple, alpha: float):
    s_arr = np.array(s, dtype=float)

    def L(th: np.ndarray) -> float:
        H = len(s)
        beta, mu, c = th[:H], th[H:2 * H], th[2 * H]
        z = s_arr * (x[:, None] - beta)
        f = c + np.maximum(z, alpha * z) @ mu
        return float(((f - y) ** 2).sum() / (2 * len(x)))
    return L


def _net_objective(x: np.ndarray, y: np.ndarray, H: int, alpha: float, lam: float):
    def F(th: np.ndarray) -> float:
        w, b, v, c = th[:H], th[H:2 * H], th[2 * H:3 * H], th[3 * H]
        z = np.outer(x, w) + b
        f = c + np.maximum(z, alpha * z) @ v
        return float(((f - y) ** 2).sum() / (2 * len(x)) + lam * (th @ th) / 2)
    return F


def _fd_grad(f, th: np.ndarray, h: float = 1e-6) -> np.ndarray:
    E = np.eye(th.size)
    return np.array([(f(th + h * E[a]) - f(th - h * E[a])) / (2 * h) for a in range(th.size)])


def _fd_hess(f, th: np.ndarray, h: float = 1e-4) -> np.ndarray:
    E = np.eye(th.size)
    P = th.size
    Hm = np.empty((P, P))
    for a in range(P):
        for b in range(P):
            Hm[a, b] = (f(th + h * E[a] + h * E[b]) - f(th + h * E[a] - h * E[b])
                        - f(th - h * E[a] + h * E[b]) + f(th - h * E[a] - h * E[b])) / (4 * h * h)
    return 0.5 * (Hm + Hm.T)


def _data(seed: int, N: int) -> Dataset:
    rng = np.random.default_rng(seed)
    xs = sorted(rng.choice(np.arange(-9, 10), size=N, replace=False))
    ys = rng.integers(-6, 7, size=N)
    return Dataset.from_arrays([R(int(v), 2) for v in xs], [R(int(v), 3) for v in ys])


def _floats(data: Dataset) -> tuple[np.ndarray, np.ndarray]:
    return (np.array([float(v) for v in data.x]), np.array([float(v) for v in data.y]))


# ------------------------------------------------------------------ leaky ReLU, exact enumeration
CASES = [(101, 5, 1, R(1, 5)), (202, 6, 1, R(1, 3)), (303, 5, 2, R(1, 10))]


@pytest.fixture(scope="module", params=CASES, ids=lambda c: f"seed{c[0]}-N{c[1]}-H{c[2]}")
def leaky_case(request):
    seed, N, H, alpha = request.param
    data = _data(seed, N)
    return data, H, alpha, critical_points(data, H, negative_slope=alpha)


def test_leaky_interior_families_are_critical_with_the_right_curvature(leaky_case) -> None:
    data, H, alpha, rep = leaky_case
    x, y = _floats(data)
    assert rep.points and not rep.undecided
    assert rep.negative_slope == alpha
    for p in rep.points:
        L = _spline_loss(x, y, p.s, float(alpha))
        th = np.array([float(v) for v in p.spline.vector])
        assert L(th) == pytest.approx(float(p.loss), abs=1e-12)
        assert np.max(np.abs(_fd_grad(L, th))) < 1e-8
        ev = np.linalg.eigvalsh(_fd_hess(L, th))
        scale = max(1.0, np.max(np.abs(ev)))
        if p.kind == KIND_SADDLE:
            assert ev[0] < -1e-4 * scale  # theory §3.2 with gains: a negative eigenvalue
            d = np.array([float(v) for v in p.negative_direction])
            assert L(th + 1e-3 * d) < L(th)
        else:
            assert ev[0] > -1e-5 * scale  # a local minimum has a PSD Hessian


def test_leaky_kink_families_descend_or_hold(leaky_case) -> None:
    data, H, alpha, rep = leaky_case
    x, y = _floats(data)
    rng = np.random.default_rng(7)
    for p in rep.kinks:
        L = _spline_loss(x, y, p.s, float(alpha))
        th = np.array([float(v) for v in p.spline.vector])
        assert L(th) == pytest.approx(float(p.loss), abs=1e-12)
        if p.kind == KIND_SADDLE:
            d = np.array([float(v) for v in p.negative_direction])
            assert min(L(th + t * d) for t in (1e-3, 1e-4)) < L(th) - 1e-14
        elif p.kind == KIND_STRICT_MIN:
            for _ in range(40):
                d = rng.standard_normal(th.size)
                assert L(th + 1e-5 * d / np.linalg.norm(d)) >= L(th) - 1e-13


def test_every_minimum_found_by_local_search_is_certified(leaky_case) -> None:
    """Independent direction: BFGS from random starts on the NumPy loss; every converged point
    inside a pattern (FD gradient ~ 0) has the loss of a certified local-minimum family."""
    data, H, alpha, rep = leaky_case
    x, y = _floats(data)
    certified = [float(p.loss) for p in rep.families if p.kind in (KIND_MIN, KIND_STRICT_MIN)]
    rng = np.random.default_rng(11)
    checked = 0
    for _ in range(25):
        s = tuple(int(v) for v in rng.choice([-1, 1], size=H))
        L = _spline_loss(x, y, s, float(alpha))
        th0 = np.r_[rng.uniform(x.min() - 1, x.max() + 1, H), rng.standard_normal(H + 1)]
        res = minimize(L, th0, method="BFGS", options={"gtol": 1e-10})
        beta = res.x[:H]
        if np.min(np.abs(np.subtract.outer(beta, x))) < 1e-4:
            continue  # at a kink: compared with the kink families by loss below anyway
        if np.max(np.abs(_fd_grad(L, res.x))) > 1e-6:
            continue
        checked += 1
        assert min(abs(res.fun - c) for c in certified) < 1e-7
    assert checked >= 3


def test_leaky_gains_matter_the_checker_rejects_wrong_points() -> None:
    """The same families are not critical for the ReLU loss, and a perturbed point is rejected."""
    data = _data(101, 5)
    x, y = _floats(data)
    rep = critical_points(data, 1, negative_slope=R(1, 5))
    rejected = 0
    for p in rep.points:
        th = np.array([float(v) for v in p.spline.vector])
        relu = _spline_loss(x, y, p.s, 0.0)
        leaky = _spline_loss(x, y, p.s, 0.2)
        if np.max(np.abs(_fd_grad(relu, th))) > 1e-4:
            rejected += 1
        bumped = th + np.r_[np.zeros(th.size - 1), 1e-3]
        assert np.max(np.abs(_fd_grad(leaky, bumped))) > 1e-4
    assert rejected >= 1


def test_alpha_zero_is_the_relu_enumeration() -> None:
    data = _data(404, 5)
    a, b = critical_points(data, 1), critical_points(data, 1, negative_slope=0)
    assert [(p.label, p.loss, p.kind) for p in a.families] == \
        [(p.label, p.loss, p.kind) for p in b.families]


def test_leaky_slope_must_be_exact() -> None:
    with pytest.raises(ParameterError):
        critical_points(_data(1, 4), 1, negative_slope=0.2)
    with pytest.raises(ParameterError):
        critical_points(_data(1, 4), 1, negative_slope=R(3, 2))


# ------------------------------------------------------------------ weight decay
def test_decay_dual_against_a_fine_angle_grid() -> None:
    rng = np.random.default_rng(5)
    x = np.sort(rng.uniform(-3, 3, 7))
    r = rng.standard_normal(7)
    for alpha in (0.0, 0.3):
        M, u = decay_dual(list(x), list(r), alpha)
        ang = np.linspace(0, 2 * np.pi, 200_001)
        z = np.outer(x, np.cos(ang)) + np.sin(ang)
        h = r @ np.maximum(z, alpha * z)
        assert np.max(h ** 2) <= M * (1 + 1e-12)
        assert np.max(h ** 2) >= M * (1 - 1e-4)  # grid step 3e-5 rad, max may sit on a kink
        hu = r @ np.maximum(u[0] * x + u[1], alpha * (u[0] * x + u[1]))
        assert hu ** 2 / (u[0] ** 2 + u[1] ** 2) == pytest.approx(M, rel=1e-12)


@pytest.mark.parametrize("lam", [R(1, 50), R(5)])
def test_zero_network_decided_exactly(lam) -> None:
    data = _data(606, 5)
    x, y = _floats(data)
    rep = decay_critical_points(data, 2, lam, negative_slope=R(1, 4), starts=0)
    o = rep.points[0]
    assert o.level == "proved" and o.zero_units == 2
    F = _net_objective(x, y, 2, 0.25, float(lam))
    th = np.array([float(v) for v in o.network.vector])
    assert F(th) == pytest.approx(float(o.objective), abs=1e-14)
    # dF/dc = 0 (the unit parameters have zero generalized gradient at 0)
    e = np.zeros(th.size)
    e[-1] = 1e-6
    assert abs(F(th + e) - F(th - e)) / 2e-6 < 1e-8
    if o.kind == KIND_SADDLE:
        d = np.array([float(v) for v in o.descent_direction])
        assert F(th + 1e-3 * d) < F(th)
    else:
        assert o.kind == KIND_STRICT_MIN
        rng = np.random.default_rng(2)
        for _ in range(200):
            d = rng.standard_normal(th.size)
            assert F(th + 1e-3 * d / np.linalg.norm(d)) > F(th)
    assert not rep.complete and rep.undecided


@pytest.mark.parametrize("alpha", [0.0, 0.2])
def test_decay_points_are_balanced_and_stationary(alpha) -> None:
    data = _data(707, 5)
    x, y = _floats(data)
    lam = 0.05
    H = 2
    rep = decay_critical_points(data, H, lam, negative_slope=alpha, starts=8, seed=3)
    F = _net_objective(x, y, H, alpha, lam)
    tested = rep.points[1:]  # points[0]: the zero network
    assert len(tested) >= 2
    for p in tested:
        net = p.network if p.level == "tested" else p.network.as_float()
        th = np.asarray(net.vector, dtype=float)
        assert F(th) == pytest.approx(float(p.objective), rel=1e-12)
        nz = [i for i in range(H) if abs(net.v[i]) > 0]
        bal = net.v ** 2 - net.w ** 2 - net.b ** 2
        assert np.max(np.abs(bal[nz])) < 1e-8  # v^2 = w^2 + b^2 on non-zero units
        for i in set(range(H)) - set(nz):
            assert net.w[i] == net.b[i] == net.v[i] == 0
        # stationarity by finite differences, along directions that keep every breakpoint on
        # its data point (F is smooth there) -- all coordinates when no breakpoint is on one
        dirs = []
        for i in nz:
            beta = -net.b[i] / net.w[i]
            on = np.min(np.abs(x - beta)) < 1e-9
            for a in (i, H + i, 2 * H + i):
                e = np.zeros(th.size)
                e[a] = 1.0
                dirs.append(e)
            if on:
                dirs = dirs[:-3]
                e = np.zeros(th.size)
                e[i], e[H + i] = 1.0, -beta  # (w, b) along the constraint w beta + b = 0
                dirs.append(e)
                e = np.zeros(th.size)
                e[2 * H + i] = 1.0
                dirs.append(e)
        e = np.zeros(th.size)
        e[-1] = 1.0
        dirs.append(e)
        h = 1e-6
        for d in dirs:
            assert abs(F(th + h * d) - F(th - h * d)) / (2 * h) < 1e-7
        if p.kind == KIND_SADDLE:
            d = np.asarray(p.descent_direction, dtype=float)
            assert min(F(th + t * d) for t in (1e-3, 1e-4)) < F(th)
        if p.gradient_bound is not None:
            assert p.gradient_bound < 1e-9


def test_decay_checker_rejects_a_perturbed_point() -> None:
    data = _data(707, 5)
    x, y = _floats(data)
    rep = decay_critical_points(data, 1, 0.05, starts=6, seed=1)
    p = next(p for p in rep.points[1:] if p.level == "tested")
    F = _net_objective(x, y, 1, 0.0, 0.05)
    th = np.asarray(p.network.vector, dtype=float).copy()
    th[2] *= 1.01  # v off balance
    g = abs(F(th + np.r_[0, 0, 1e-6, 0]) - F(th - np.r_[0, 0, 1e-6, 0])) / 2e-6
    assert g > 1e-4
    assert abs(th[2] ** 2 - th[0] ** 2 - th[1] ** 2) > 1e-4


# ------------------------------------------------------------------ landscape
def test_leaky_slice_matches_direct_evaluation_and_jumps() -> None:
    data = _data(808, 6)
    net = Network([R(1), R(-2, 3)], [R(1, 2), R(1)], [R(3, 2), R(-1)], R(1, 5),
                  negative_slope=R(1, 4))
    d = [R(1, 3), R(1, 2), R(-1), R(1, 5), R(1, 7), R(1, 2), R(-1, 3)]
    S = line_slice(net, data, d)
    assert S.kind == "exact" and S.kinks
    x, y = _floats(data)
    F = _net_objective(x, y, 2, 0.25, 0.0)
    th, df = np.asarray(net.vector, dtype=float), np.array([float(v) for v in d])
    for t in (R(-5, 2), R(1, 3), R(7, 4), *S.breaks):
        assert float(S(t)) == pytest.approx(F(th + float(t) * df), rel=1e-12, abs=1e-12)
    for t in S.breaks:
        jump = S.derivative(t, "right") - S.derivative(t, "left")
        assert jump == sum(k.jump for k in S.kinks if k.t == t)
        # one-sided derivatives by second-order one-sided differences
        h, tf = 1e-4, float(t)

        def g(u: float) -> float:
            return F(th + u * df)
        right = (-3 * g(tf) + 4 * g(tf + h) - g(tf + 2 * h)) / (2 * h)
        left = (3 * g(tf) - 4 * g(tf - h) + g(tf - 2 * h)) / (2 * h)
        assert float(jump) == pytest.approx(right - left, rel=1e-5, abs=1e-6)


def test_decay_slice_adds_the_penalty_and_spline_refused() -> None:
    data = _data(909, 5)
    net = Network([1.0, -0.5], [0.3, 0.8], [1.2, -0.7], 0.1, negative_slope=0.1)
    x, y = _floats(data)
    lam = 0.3
    ev, V = hessian_directions(net, data, 1, weight_decay=lam)
    F = _net_objective(x, y, 2, 0.1, lam)
    th = np.asarray(net.vector, dtype=float)
    Hfd = _fd_hess(F, th)
    assert V[:, 0] @ Hfd @ V[:, 0] == pytest.approx(ev[0], rel=1e-5)
    S = line_slice(net, data, V[:, 0], weight_decay=lam)
    for t in np.linspace(-2, 2, 17):
        assert S(float(t)) == pytest.approx(F(th + t * V[:, 0]), abs=1e-12)
    P = plane_slice(net, data, V[:, 0], np.eye(7)[0], [-0.5, 0.0, 0.5], [-0.5, 0.5],
                    weight_decay=lam)
    assert P.values[0, 2] == pytest.approx(F(th + 0.5 * V[:, 0] - 0.5 * np.eye(7)[0]), abs=1e-12)
    with pytest.raises(ParameterError):
        line_slice(net.to_spline(), data, np.ones(5), weight_decay=lam)


# ------------------------------------------------------------------ command line
def test_cli_critical_models(tmp_path, capsys) -> None:
    from pathlib import Path

    from symspline.cli import main
    from symspline.io import write_data

    d = tmp_path / "d.csv"
    write_data(d, _data(101, 5))
    schemas = Path(__file__).resolve().parents[1] / "docs" / "schemas"
    assert main(["critical", "--data", str(d), "--width", "1", "--negative-slope", "1/5",
                 "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    jsonschema.validate(doc, json.loads((schemas / "critical.json").read_text()))
    assert doc["negative_slope_exact"] == "1/5"
    assert main(["critical", "--data", str(d), "--width", "1", "--weight-decay", "0.05",
                 "--starts", "4", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    jsonschema.validate(doc, json.loads((schemas / "critical_decay.json").read_text()))
    assert doc["weight_decay_exact"] == "1/20" and doc["points"][0]["level"] == "proved"
    assert doc["complete"] and doc["undecided"] == []  # width 1, exact input: all decided
    assert main(["critical", "--data", str(d), "--width", "1", "--negative-slope", "1"]) == 2
    assert "negative" in capsys.readouterr().err
    assert math.isfinite(doc["points"][0]["dual"])


def test_kink_points_proved_exactly_and_the_exact_checker_can_fail() -> None:
    from symspline.critical import _REJECT, _certify_kink_point

    data = Dataset.from_arrays([-2, -1, 0, 1, 3], [1, -1, 2, 0, 1])
    x, y = _floats(data)
    lam = R(1, 10)
    rep = decay_critical_points(data, 1, lam, starts=30, seed=0)
    def on_data(p) -> bool:
        net = p.network.as_float()
        return bool(np.min(np.abs(x + net.b[0] / net.w[0])) < 1e-9)
    proved = [p for p in rep.points[1:] if p.level == "proved" and on_data(p)]
    assert proved
    F = _net_objective(x, y, 1, 0.0, 0.1)
    rng = np.random.default_rng(4)
    for p in proved:
        net = p.network.as_float()
        th = np.asarray(net.vector, dtype=float)
        assert F(th) == pytest.approx(float(p.objective), rel=1e-13)
        assert net.v[0] ** 2 == pytest.approx(net.w[0] ** 2 + net.b[0] ** 2, rel=1e-13)
        beta = -net.b[0] / net.w[0]
        assert np.min(np.abs(x - beta)) < 1e-12  # on a data point
        if p.kind == KIND_STRICT_MIN:
            for _ in range(300):
                d = rng.standard_normal(th.size)
                assert F(th + 1e-4 * d / np.linalg.norm(d)) > F(th)
        else:
            assert p.kind == KIND_SADDLE
            d = np.asarray(p.descent_direction, dtype=float)
            assert all(F(th + t * d) < F(th) for t in (1e-3, 1e-4, 1e-5))
        # the exact checker rejects the same cell with the opposite sign of mu
        m = int(np.argmin(np.abs(x - beta)))
        s = (1 if net.w[0] > 0 else -1,)
        sigma = (1 if net.v[0] > 0 else -1,)
        ok = _certify_kink_point(data, lam, 0, s, (m,), sigma, 1)
        assert ok is not None and ok[0] == p.kind
        assert sum(q.kind == KIND_SADDLE for q in proved) >= 1  # a kink of maximum type
        bad = _certify_kink_point(data, lam, 0, s, (m,), (-sigma[0],), 1)
        assert bad is None or bad[0] == _REJECT


@pytest.mark.parametrize("alpha", [0, R(1, 5)])
def test_width_one_decay_is_complete_and_matches_an_independent_search(alpha) -> None:
    """Width 1 with rational input: every critical point proved; an independent derivative-free
    search (Powell) on the NumPy objective only ever stops at a listed local minimum."""
    data = _data(1234, 5)
    x, y = _floats(data)
    lam = R(1, 10)
    rep = decay_critical_points(data, 1, lam, negative_slope=alpha, starts=6, seed=2)
    assert rep.complete and not rep.undecided
    assert all(p.level == "proved" for p in rep.points)
    minima = [float(p.objective) for p in rep.points if p.kind == KIND_STRICT_MIN]
    assert minima
    F = _net_objective(x, y, 1, float(alpha), 0.1)
    rng = np.random.default_rng(99)
    hits = 0
    for _ in range(12):
        res = minimize(F, rng.standard_normal(4) * 2, method="Powell",
                       options={"xtol": 1e-12, "ftol": 1e-15, "maxfev": 40000})
        res = minimize(F, res.x, method="Powell", options={"xtol": 1e-12, "ftol": 1e-15})
        gap = min(abs(res.fun - m) for m in minima)
        hits += gap < 1e-7
        assert res.fun > min(minima) - 1e-9  # nothing below the listed global minimum
    assert hits >= 6
    for p in rep.points:
        th = np.asarray(p.network.as_float().vector, dtype=float)
        assert F(th) == pytest.approx(float(p.objective), rel=1e-12)


def test_leaky_spline_slice_jump_is_one_minus_alpha_theory_2_3() -> None:
    """Spline slice with the leaky ReLU: values against the NumPy loss, and each crossing's slope
    jump is (1 - alpha) mu_i r_m |d beta_i| / N (theory §2.3 with the leaky factor)."""
    data = Dataset.from_arrays([-3, -1, R(1, 2), 2, 4], [1, -2, R(1, 3), 2, -1])
    alpha = R(1, 3)
    spl = Spline([R(-2), R(1)], [R(3, 2), R(-1)], (1, -1), R(1, 5), negative_slope=alpha)
    d = [R(1), R(-1, 2), R(1, 3), R(2), R(-1, 4)]
    S = line_slice(spl, data, d)
    x, y = _floats(data)
    L = _spline_loss(x, y, (1, -1), 1 / 3)
    th, df = np.array([float(v) for v in spl.vector]), np.array([float(v) for v in d])
    for t in (R(-3), R(1, 7), R(5, 2), *S.breaks):
        assert float(S(t)) == pytest.approx(L(th + float(t) * df), rel=1e-12, abs=1e-12)
    assert S.kinks
    for k in S.kinks:
        moved = spl.with_vector(spl.vector + np.array(d, dtype=object) * k.t)
        r = moved(data.x[k.point]) - data.y[k.point]
        assert k.jump == (1 - alpha) * moved.mu[k.unit] * r * abs(d[k.unit]) / data.n
    relu = line_slice(Spline(spl.beta, spl.mu, spl.s, spl.c), data, d)
    assert [k.jump for k in relu.kinks] != [k.jump for k in S.kinks]  # the factor is seen
