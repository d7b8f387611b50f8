"""The structured float64 kernels against the exact engine, finite differences and dense algebra."""

from __future__ import annotations

import dataclasses
import tracemalloc

import numpy as np
import pytest
import sympy as sp

import symspline.kernels as K
from symspline import Dataset, KinkError, Network, Spline, locate, pattern_loss
from symspline.defaults import default_dataset, default_network
from symspline.errors import InputError, ParameterError
from symspline.kernels.spline import SplineKernel

R = sp.Rational


# ---------------------------------------------------------------------------- reference engines
def exact_derivatives(params: Network | Spline, data: Dataset, side: str | None = None
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Gradient and Hessian of the exact pattern polynomial (SymPy), evaluated exactly, then float.

    The pattern is the one :func:`symspline.locate` gives (with ``side`` on a kink): on it the loss
    is a polynomial, whose derivatives are the (one-sided) derivatives of L.
    """
    pattern = locate(params, data, side=side)
    if isinstance(params, Network):
        sym = Network.symbols(params.H)
    else:
        sym = Spline.symbols(params.H, params.s)
    names = list(sym.vector)
    poly = sp.expand(pattern_loss(pattern, sym, data))
    values = dict(zip(names, params.vector, strict=True))
    grad = [sp.diff(poly, a) for a in names]
    g = np.array([float(e.subs(values)) for e in grad])
    h = np.array([[float(sp.diff(ga, b).subs(values)) for b in names] for ga in grad])
    return g, h


def dense_jacobian(params: Network | Spline, x: np.ndarray) -> np.ndarray:
    """J[n, :] = grad_theta f(x_n) from the definitions, one row per sample (O(N P) memory)."""
    if isinstance(params, Network):
        w, b, v = params.w, params.b, params.v
        act = (np.outer(x, w) + b > 0).astype(float)
        cols = [act * v * x[:, None], act * v, act * (np.outer(x, w) + b)]
    else:
        s = np.asarray(params.s, dtype=float)
        act = (s * (x[:, None] - params.beta) > 0).astype(float)
        cols = [-act * s * params.mu, act * s * (x[:, None] - params.beta)]
    return np.hstack(cols + [np.ones((x.shape[0], 1))])


def rel(a: np.ndarray, b: np.ndarray) -> float:
    """Normwise relative difference max|a - b| / max|b|."""
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def rebuild(params: Network | Spline, theta: np.ndarray) -> Network | Spline:
    if isinstance(params, Network):
        return Network.from_vector(theta, params.H)
    return Spline.from_vector(theta, params.s)


def fd_gradient(params: Network | Spline, data: Dataset, h: float = 1e-6) -> np.ndarray:
    th = params.vector.astype(float)
    out = np.empty_like(th)
    for j in range(th.shape[0]):
        e = np.zeros_like(th)
        e[j] = h
        out[j] = (K.loss(rebuild(params, th + e), data) - K.loss(rebuild(params, th - e), data)) / (2 * h)
    return out


def fd_hessian(params: Network | Spline, data: Dataset, h: float = 1e-6) -> np.ndarray:
    th = params.vector.astype(float)
    cols = []
    for j in range(th.shape[0]):
        e = np.zeros_like(th)
        e[j] = h
        cols.append((K.gradient(rebuild(params, th + e), data)
                     - K.gradient(rebuild(params, th - e), data)) / (2 * h))
    return np.array(cols).T


def random_problem(rng: np.random.Generator, N: int, H: int, offset: float = 0.0,
                   spread: float = 2.5) -> tuple[Network, Dataset]:
    x = rng.uniform(-2, 2, N) + offset
    data = Dataset.from_arrays(x, np.sin(2 * x) + 0.1 * rng.standard_normal(N))
    w = rng.standard_normal(H)
    # breakpoints uniform on [-spread, spread]: spread > 2 puts some beyond the data
    b = -w * (rng.uniform(-spread, spread, H) + offset)
    return Network(w, b, rng.standard_normal(H), 0.2), data


# ---------------------------------------------------------------------------- exact problems
def exact_data() -> Dataset:
    x = [-2, R(-3, 2), -1, R(-1, 3), R(1, 4), 1, R(3, 2)]
    y = [R(1, 2), 1, R(1, 4), R(-1, 2), 0, R(3, 4), R(1, 4)]
    return Dataset.from_arrays(x, y)


EXACT_SPLINES = {
    # repeated breakpoints (units 1, 2 and 3 share 1/2, with both orientations)
    "repeated": Spline([R(1, 2), R(1, 2), R(1, 2), R(-4, 3)], [R(3, 2), -1, R(2, 5), R(1, 3)],
                       (1, -1, 1, -1), R(1, 7)),
    # breakpoints outside the data, active everywhere (unit 1) or dead (units 2, 3)
    "outside": Spline([-5, 3, -7, R(2, 3)], [R(1, 2), 2, R(-3, 4), R(5, 3)], (1, 1, -1, -1),
                      R(-1, 5)),
}


@pytest.mark.parametrize("name", sorted(EXACT_SPLINES))
def test_spline_matches_exact_engine(name: str) -> None:
    spl, data = EXACT_SPLINES[name], exact_data()
    g, h = exact_derivatives(spl, data)
    assert rel(K.gradient(spl, data), g) < 1e-13
    assert rel(K.hessian(spl, data), h) < 1e-13
    assert K.loss(spl, data) == pytest.approx(float(_exact_loss(spl, data)),
                                              rel=1e-14)


def _exact_loss(params: Network | Spline, data: Dataset) -> sp.Rational:
    return pattern_loss(locate(params, data, side="left"), params, data)


def test_dead_units_have_exactly_flat_directions() -> None:
    spl, data = EXACT_SPLINES["outside"], exact_data()
    hess = K.hessian(spl, data)
    # units 2 (s=+1, beta=3 > all x) and 3 (s=-1, beta=-7 < all x) are dead: rows vanish exactly
    for i in (1, 2):
        assert not hess[i].any() and not hess[spl.H + i].any()
    assert not K.gradient(spl, data)[[1, 2, spl.H + 1, spl.H + 2]].any()


EXACT_NETWORKS = {
    "default": default_network(),
    # w = 0 units: b > 0 (constant, active everywhere) and b < 0 (dead); a repeated breakpoint;
    # a breakpoint left of the data
    "degenerate": Network([0, 0, 2, -1, 3], [R(1, 2), R(-2, 3), -1, R(1, 2), 9],
                          [R(3, 4), 2, R(-1, 2), R(5, 4), R(1, 3)], R(1, 10)),
}


@pytest.mark.parametrize("name", sorted(EXACT_NETWORKS))
def test_network_matches_exact_engine(name: str) -> None:
    net, data = EXACT_NETWORKS[name], exact_data()
    g, h = exact_derivatives(net, data)
    assert rel(K.gradient(net, data), g) < 1e-13
    assert rel(K.hessian(net, data), h) < 1e-13
    assert rel(K.residuals(net, data), (net(data.x) - data.y).astype(float)) < 1e-14


def test_default_problem_loss_and_exact_input() -> None:
    net, data = default_network(), default_dataset()
    exact = _exact_loss(net, data)
    assert K.loss(net, data) == pytest.approx(float(exact), rel=1e-14)
    # exact input is converted: same numbers as float input
    assert np.array_equal(K.hessian(net, data), K.hessian(net.as_float(), data.as_float()))


# ---------------------------------------------------------------------------- finite differences
@pytest.mark.parametrize("offset", [0.0, 40.0])
def test_finite_differences_both_parameterizations(offset: float) -> None:
    rng = np.random.default_rng(11)
    net, data = random_problem(rng, 60, 7, offset)
    for params in (net, net.to_spline()):
        g = K.gradient(params, data)
        assert rel(g, fd_gradient(params, data)) < 1e-7
        h = K.hessian(params, data)
        assert rel(h, fd_hessian(params, data)) < 1e-6
        assert np.array_equal(h, h.T) or rel(h, h.T) < 1e-15


def test_gauss_newton_matches_dense_jacobian_across_row_chunks() -> None:
    # H = 150 > ROW_CHUNK: several chunks; x offset makes the shift t = x_1 matter
    rng = np.random.default_rng(5)
    net, data = random_problem(rng, 500, 150, offset=3.0)
    for params in (net, net.to_spline()):
        J = dense_jacobian(params, data.x)
        hess, gn, res = K.hessian(params, data, parts=True)
        assert rel(gn, J.T @ J / data.n) < 1e-12
        r = K.residuals(params, data)
        assert rel(K.gradient(params, data), J.T @ r / data.n) < 1e-12
        assert np.array_equal(hess, gn + res)


# ---------------------------------------------------------------------------- structure (theory §3)
def test_residual_part_structure_and_false_claim_refuted() -> None:
    rng = np.random.default_rng(3)
    net, data = random_problem(rng, 80, 6)
    spl = net.to_spline()
    hess, gn, res = K.hessian(spl, data, parts=True)
    # R is a direct sum of [[0, rho], [rho, 0]] blocks: zero trace, symmetric spectrum
    ev = np.linalg.eigvalsh(res)
    assert abs(np.trace(res)) == 0.0
    assert np.allclose(ev, -ev[::-1], atol=1e-14)
    # dL/dbeta_i = mu_i rho_i / N (theory §3.1 note)
    H = spl.H
    rho = res[np.arange(H), H + np.arange(H)]
    assert rel(K.gradient(spl, data)[:H], spl.mu * rho) < 1e-13
    assert np.linalg.eigvalsh(gn).min() > -1e-12 * np.abs(gn).max()
    # the false claim "Hess L = J^T J / N" is refuted away from critical points
    assert rel(gn, fd_hessian(spl, data)) > 1e-3


def test_wrong_sign_of_residual_part_is_detected() -> None:
    spl, data = EXACT_SPLINES["repeated"], exact_data()
    _, h_exact = exact_derivatives(spl, data)
    good = K.kernel(spl, data)

    class WrongSign(SplineKernel):
        def residual_part(self):  # type: ignore[no-untyped-def]
            rows, cols, vals = super().residual_part()
            return rows, cols, -vals

    bad = WrongSign(good.layout, good.c, beta=good.beta, mu=good.mu, s=good.s)
    assert rel(good.hessian(), h_exact) < 1e-13
    assert rel(bad.hessian(), h_exact) > 1e-2


def test_network_gradient_orthogonal_to_scale_orbits() -> None:
    rng = np.random.default_rng(8)
    net, data = random_problem(rng, 200, 9)
    g = K.gradient(net, data)
    H = net.H
    # theory §1.3: <grad, (w_i, b_i, -v_i)> = 0 for every unit
    dots = g[:H] * net.w + g[H:2 * H] * net.b - g[2 * H:3 * H] * net.v
    assert np.max(np.abs(dots)) < 1e-14 * max(1.0, np.abs(g).max())


# ---------------------------------------------------------------------------- kinks
def test_kink_raises_and_one_sided_values_match_exact_patterns() -> None:
    data = exact_data()
    # unit 2's breakpoint sits on the sample x = -1 (0-based index 2)
    spl = Spline([R(1, 2), -1, R(1, 3)], [R(3, 2), R(2, 3), -1], (1, -1, 1), R(1, 2))
    for fn in (K.gradient, K.hessian, K.hessian_operator):
        with pytest.raises(KinkError) as info:
            fn(spl, data)
        assert (info.value.unit, info.value.point) == (1, 2)
    with pytest.raises(KinkError):
        K.hvp(spl, data, np.ones(7))
    K.loss(spl, data)  # L is continuous: no error
    grads = {}
    for side in ("left", "right"):
        g, h = exact_derivatives(spl, data, side=side)
        grads[side] = K.gradient(spl, data, side=side)
        assert rel(grads[side], g) < 1e-13
        assert rel(K.hessian(spl, data, side=side), h) < 1e-13
    # theory §2.3: the one-sided dL/dbeta_i differ by mu_i r_m / N (right minus left)
    r_m = K.residuals(spl, data)[2]
    jump = grads["right"][1] - grads["left"][1]
    assert jump == pytest.approx(2 / 3 * r_m / data.n, rel=1e-13)
    assert abs(jump) > 1e-3
    # and they are the limits from the neighbouring patterns
    for side, step in (("left", -1e-7), ("right", 1e-7)):
        near = Spline(spl.beta.astype(float) + np.array([0, step, 0]), spl.mu.astype(float),
                      spl.s, 0.5)
        assert rel(K.gradient(near, data), grads[side]) < 1e-5


def test_network_kinks_including_w_zero_b_zero() -> None:
    data = exact_data()
    net = Network([2, 0], [2, 0], [1, R(1, 2)], 0)  # unit 1: -b/w = -1 on a sample; unit 2: w=b=0
    with pytest.raises(KinkError) as info:
        K.gradient(net, data)
    assert info.value.unit == 0
    for side in ("left", "right"):
        g, h = exact_derivatives(net, data, side=side)
        assert rel(K.gradient(net, data, side=side), g) < 1e-13
        assert rel(K.hessian(net, data, side=side), h) < 1e-13
    with pytest.raises(InputError):
        K.gradient(net, data, side="up")


# ---------------------------------------------------------------------------- HVP and spectrum
def test_hvp_operator_and_eigenvalues() -> None:
    rng = np.random.default_rng(21)
    # breakpoints inside the data: distinct active sets, a spectrum without repeated eigenvalues
    net, data = random_problem(rng, 400, 100, spread=1.9)
    for params in (net, net.to_spline()):
        hess = K.hessian(params, data)
        P = hess.shape[0]
        V = rng.standard_normal((P, 3))
        for j in range(3):
            assert rel(K.hvp(params, data, V[:, j]), hess @ V[:, j]) < 1e-13
        op = K.hessian_operator(params, data)
        assert rel(op @ V, hess @ V) < 1e-13
        ev = np.linalg.eigvalsh(hess)
        got = K.extreme_eigenvalues(params, data, k=3, method="lanczos")
        scale = np.abs(ev).max()
        assert np.allclose(got["largest"], ev[::-1][:3], rtol=0, atol=1e-9 * scale)
        assert np.allclose(got["smallest"], ev[:3], rtol=0, atol=1e-9 * scale)
        dense = K.extreme_eigenvalues(params, data, k=2, method="dense")
        assert np.allclose(dense["smallest"], ev[:2], rtol=0, atol=1e-12 * scale)
        # a wrong operator (Gauss-Newton only) is told apart by the smallest eigenvalue
        assert ev[0] < -1e-3 * scale
        assert np.linalg.eigvalsh(K.hessian(params, data, parts=True)[1])[0] > -1e-12 * scale
    with pytest.raises(ParameterError):
        K.hvp(net, data, np.ones(5))
    with pytest.raises(InputError):
        K.extreme_eigenvalues(net, data, k=0)


def test_hvp_is_the_derivative_of_the_pattern_gradient_at_scale() -> None:
    # On a fixed pattern the gradient is a cubic polynomial along a line: two central differences
    # combined by Richardson give its derivative exactly up to rounding, in any direction (even
    # ones that would move breakpoints across samples, where plain differences break down).
    rng = np.random.default_rng(9)
    net, data = random_problem(rng, 20_000, 500)
    for params in (net, net.to_spline()):
        kern = K.kernel(params, data)
        P = kern.size
        d = rng.standard_normal(P)
        th = params.vector
        H = params.H

        def grad_at(step: float, kern=kern, th=th, d=d, H=H) -> np.ndarray:
            t = th + step * d
            if isinstance(kern, K.NetworkKernel):
                moved = dataclasses.replace(kern, c=t[-1], w=t[:H], b=t[H:2 * H], v=t[2 * H:-1])
            else:
                moved = dataclasses.replace(kern, c=t[-1], beta=t[:H], mu=t[H:2 * H])
            return moved.gradient()

        def central(e: float) -> np.ndarray:
            return (grad_at(e) - grad_at(-e)) / (2 * e)

        exact = (4 * central(1e-3) - central(2e-3)) / 3
        assert rel(kern.hvp(d), exact) < 1e-9
        # the uncorrected central difference is measurably worse: the check has resolution
        assert rel(central(1e-2), exact) > 10 * rel(kern.hvp(d), exact)


def test_extreme_eigenvalues_with_repeated_eigenvalues() -> None:
    # units beyond the data share an active set (all or nothing): their blocks repeat, so the
    # Hessian has multiple eigenvalues; Lanczos still finds the extreme values themselves
    rng = np.random.default_rng(21)
    net, data = random_problem(rng, 400, 100, spread=2.5)
    ev = np.linalg.eigvalsh(K.hessian(net, data))
    got = K.extreme_eigenvalues(net, data, k=1, method="lanczos")
    scale = np.abs(ev).max()
    assert abs(got["smallest"][0] - ev[0]) < 1e-9 * scale
    assert abs(got["largest"][0] - ev[-1]) < 1e-9 * scale


# ---------------------------------------------------------------------------- scale and memory
def test_residuals_by_sweep_at_scale_without_n_by_h_memory() -> None:
    rng = np.random.default_rng(2)
    N, H = 200_000, 3_000  # an N x H float array would take 4.8 GB
    net, data = random_problem(rng, N, H)
    tracemalloc.start()
    try:
        r = K.residuals(net, data)
        g = K.gradient(net, data)
        K.hvp(net, data, np.ones(3 * H + 1))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 12 * 8 * N  # O(N + H): a few length-N work arrays
    idx = rng.choice(N, 300, replace=False)
    direct = net(data.x[idx]) - data.y[idx]
    assert rel(r[idx], direct) < 1e-12
    assert g.shape == (3 * H + 1,) and np.all(np.isfinite(g))


def test_hessian_memory_is_order_h_squared() -> None:
    rng = np.random.default_rng(4)
    N, H = 100_000, 400
    net, data = random_problem(rng, N, H)
    P = 3 * H + 1
    tracemalloc.start()
    try:
        K.hessian(net, data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * P * P + 12 * 8 * N + 16 * 64 * 8 * H
