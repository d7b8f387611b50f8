"""The float64 kernels serve the leaky ReLU through the model protocol (issue 17).

Every float kernel path (the small dense path, the sweep kernel, HVPs, the operator, extreme
eigenvalues, SLQ) is checked against references that share no code with it:

* torch autodiff (float64) of the loss written directly with ``torch.nn.functional.leaky_relu``;
  at a kink the pattern's gains are fixed by the side rule (left: the breakpoint approached from
  below, so x_m is on the unit's right), giving the one-sided derivative of the pattern polynomial;
* :func:`symspline.calculus.float_hessian` / ``pattern_hessian`` (the exact engine's formulas);
* finite differences of the ``params(x)``-based loss (float64 and mpmath, symspline.checks).

Also: one interval-pattern type (the kernels' layout is built from ``regions.Pattern``; float
``locate`` is vectorised with the exact route's rules) and the leaky Jacobian of ``spectra``.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import sympy as sp

import symspline.kernels as K
from symspline import Dataset, KinkError, Network, Spline, calculus, locate
from symspline.checks import compare, fd_gradient, fd_hessian, loss_function
from symspline.errors import InputError, ParameterError
from symspline.kernels import small
from symspline.regions import Pattern
from symspline.sample_spectra import gradient_matrix, jacobian

R = sp.Rational
ALPHAS = (0.01, 0.3)
TOL = 1e-12


def rel(a: np.ndarray, b: np.ndarray) -> float:
    """Normwise relative difference max|a - b| / max|b|."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


# ---------------------------------------------------------------------------- problems
def grid_problem(seed: int, alpha: float, kinks: bool = False) -> tuple[Network, Dataset]:
    """A random width and sample size; breakpoints inside and beyond the data (empty and full
    active sets), both orientations; with ``kinks``, some breakpoints exactly on samples.

    Samples are multiples of 1/256 so that -b/w = x_m holds exactly for w = +-2, +-0.5.
    """
    rng = np.random.default_rng([17, seed])
    H = int(rng.integers(3, 45))
    N = int(rng.integers(6, 400))
    x = np.sort(rng.choice(np.arange(-640, 641), N, replace=False)) / 256.0
    y = np.sin(2 * x) + 0.1 * rng.standard_normal(N)
    w = rng.standard_normal(H)
    beta = rng.uniform(-4.0, 4.0, H)  # |x| <= 2.5: some units active everywhere or nowhere
    beta[0], beta[1] = -3.7, 3.3       # certainly beyond the data on both sides
    if kinks:
        for i in (2, 3):
            w[i] = (2.0, -0.5)[i - 2]
            beta[i] = x[int(rng.integers(0, N))]
    b = -w * beta
    return Network(w, b, rng.standard_normal(H), 0.3, negative_slope=alpha), \
        Dataset.from_arrays(x, y)


def torch_reference(params: Network | Spline, data: Dataset, side: str | None = None,
                    alpha: float | None = None) -> tuple[float, np.ndarray, np.ndarray]:
    """Loss, gradient and Hessian by torch autodiff in float64 (leaky_relu written out by torch).

    At a pre-activation exactly 0 (a kink) the unit's gain is fixed by the side rule instead:
    side="left" puts x_m right of the breakpoint (active iff s = +1), "right" left of it.
    """
    torch = pytest.importorskip("torch", exc_type=ImportError)
    a = params.negative_slope if alpha is None else alpha
    x = torch.tensor(data.x, dtype=torch.float64)[:, None]
    y = torch.tensor(data.y, dtype=torch.float64)
    H = params.H
    network = isinstance(params, Network)
    s = torch.tensor(np.sign(params.w) if network else np.asarray(params.s, dtype=float),
                     dtype=torch.float64)

    def loss(theta: torch.Tensor) -> torch.Tensor:
        if network:
            z = x * theta[:H] + theta[H:2 * H]
            out = theta[2 * H:3 * H]
        else:
            z = s * (x - theta[:H])
            out = theta[H:2 * H]
        act = torch.nn.functional.leaky_relu(z, negative_slope=a)
        if side is not None:
            on_kink = (z == 0).detach()
            if bool(on_kink.any()):
                active = (s > 0) if side == "left" else (s < 0)
                one = torch.ones(H, dtype=torch.float64)
                gain = torch.where(active, one, a * one).expand_as(z)  # float64 throughout
                act = torch.where(on_kink, gain * z, act)
        r = act @ out + theta[-1] - y
        return (r * r).sum() / (2 * x.shape[0])

    theta = torch.tensor(np.asarray(params.vector, dtype=float), dtype=torch.float64)
    t = theta.clone().requires_grad_(True)
    L = loss(t)
    (g,) = torch.autograd.grad(L, t)
    h = torch.autograd.functional.hessian(loss, theta)
    return float(L.detach()), g.numpy(), h.numpy()


# ---------------------------------------------------------------------------- torch autodiff
@pytest.mark.parametrize("alpha", ALPHAS)
@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("param", ["network", "spline"])
def test_kernels_match_torch_autodiff(alpha: float, seed: int, param: str) -> None:
    net, data = grid_problem(seed, alpha)
    p = net if param == "network" else net.to_spline()
    L, g, h = torch_reference(p, data)
    kern = K.kernel(p, data)  # the sweep kernel, whatever the size
    for got_loss, got_g, got_h in ((K.loss(p, data), K.gradient(p, data), K.hessian(p, data)),
                                   (kern.loss, kern.gradient(), kern.hessian())):
        assert abs(got_loss - L) <= TOL * abs(L)
        assert rel(got_g, g) < TOL
        assert rel(got_h, h) < TOL
    d = np.random.default_rng(seed).standard_normal(h.shape[0])
    assert rel(K.hvp(p, data, d), h @ d) < TOL
    assert rel(K.hessian_operator(p, data) @ d, h @ d) < TOL
    assert rel(K.residuals(p, data), p(data.x) - data.y) < TOL


@pytest.mark.parametrize("alpha", ALPHAS)
@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("param", ["network", "spline"])
def test_one_sided_derivatives_at_kinks_match_torch(alpha: float, side: str, param: str) -> None:
    net, data = grid_problem(7, alpha, kinks=True)
    p = net if param == "network" else net.to_spline()
    with pytest.raises(KinkError) as info:
        K.gradient(p, data)
    assert info.value.unit == 2  # the lowest unit on a kink
    L, g, h = torch_reference(p, data, side=side)
    assert abs(K.loss(p, data) - L) <= TOL * abs(L)
    assert rel(K.gradient(p, data, side=side), g) < TOL
    assert rel(K.hessian(p, data, side=side), h) < TOL
    # the two sides really differ (the jump (1 - alpha) mu r_m / N of theory §2.3, gained)
    other = "right" if side == "left" else "left"
    assert rel(K.gradient(p, data, side=other), g) > 1e-6


def test_a_wrong_negative_slope_is_detected() -> None:
    net, data = grid_problem(3, 0.3)
    _, g, h = torch_reference(net, data)
    _, g_wrong, h_wrong = torch_reference(net, data, alpha=0.31)
    assert rel(g_wrong, g) > 1e-4 and rel(h_wrong, h) > 1e-4  # the checker can fail
    relu = dataclasses.replace(net, negative_slope=0)
    assert rel(K.gradient(relu, data), g) > 1e-2  # dropping the gain is caught
    assert rel(K.hessian(relu, data), h) > 1e-2


# ---------------------------------------------------------------------------- exact engine
@pytest.mark.parametrize("alpha", ALPHAS)
@pytest.mark.parametrize("param", ["network", "spline"])
def test_parts_match_the_calculus_closed_forms(alpha: float, param: str) -> None:
    net, data = grid_problem(11, alpha)
    p = net if param == "network" else net.to_spline()
    pat = locate(p, data)
    ref = calculus.float_hessian(pat, p, data, parts=True)
    assert rel(K.gradient(p, data), calculus.float_gradient(pat, p, data)) < TOL
    for kernel_parts in (K.hessian(p, data, parts=True), K.kernel(p, data).hessian(parts=True)):
        for got, want in zip(kernel_parts, ref, strict=True):
            assert rel(got, want) < TOL
    # the residual part has the protocol's sparsity and is not zero for alpha > 0
    _, _, res = K.hessian(p, data, parts=True)
    nz = {(a, b) for a, b, *_ in p.line_second_derivatives()}
    mask = np.zeros_like(res, dtype=bool)
    for a, b in nz:
        mask[a, b] = mask[b, a] = True
    assert np.all(res[~mask] == 0) and np.any(res[mask] != 0)


def test_exact_leaky_spline_against_the_exact_pattern_hessian() -> None:
    x = [-2, R(-3, 2), -1, R(-1, 3), R(1, 4), 1, R(3, 2)]
    data = Dataset.from_arrays(x, [R(1, 2), 1, R(1, 4), R(-1, 2), 0, R(3, 4), R(1, 4)])
    # repeated breakpoints, one beyond the data on each side (empty and full active sets)
    spl = Spline([R(1, 2), R(1, 2), -5, 3, R(-4, 3)], [R(3, 2), -1, R(2, 5), R(1, 3), 2],
                 (1, -1, 1, 1, -1), R(1, 7), negative_slope=R(1, 4))
    pat = locate(spl, data)
    hp = calculus.pattern_hessian(pat, spl, data, parts=True)
    gk = K.gradient(spl, data)
    assert rel(gk, np.array(calculus.pattern_gradient(pat, spl, data), dtype=float).ravel()) < 1e-14
    for got, want in zip(K.hessian(spl, data, parts=True), hp, strict=True):
        assert rel(got, np.array(want, dtype=float)) < 1e-14


# ---------------------------------------------------------------------------- finite differences
@pytest.mark.parametrize("param", ["network", "spline"])
def test_finite_differences_of_the_leaky_loss(param: str) -> None:
    x = [-2, R(-3, 2), -1, R(-1, 3), R(1, 4), 1, R(3, 2)]
    data = Dataset.from_arrays(x, [R(1, 2), 1, R(1, 4), R(-1, 2), 0, R(3, 4), R(1, 4)])
    net = Network([1, R(-3, 2), R(1, 2)], [R(1, 5), R(1, 2), 2], [R(1, 2), -1, R(3, 2)], R(1, 5),
                  negative_slope=R(3, 10))
    p = net if param == "network" else net.to_spline()
    pf = p.as_float()
    # mpmath differences at 60 digits against the kernels (float64: rounding of the kernels)
    mg = fd_gradient(p, data, precision="mpmath").values
    mh = fd_hessian(p, data, precision="mpmath").values
    assert compare(K.gradient(pf, data), mg).max_rel < 1e-14
    assert compare(K.hessian(pf, data), mh).max_rel < 1e-14
    # and against the exact pattern Hessian: the mpmath loss evaluates sigma itself
    exact = calculus.hessian(p, data)
    assert compare(mh, np.array(exact.tolist(), dtype=object)).max_rel < 1e-20
    assert compare(fd_hessian(pf, data).values, K.hessian(pf, data), rtol=1e-6).ok
    # the float64 reference loss is params(x)-based, leaky-aware
    Lf = loss_function(pf, data)(pf.vector)
    assert abs(Lf - K.loss(pf, data)) <= 1e-14 * Lf
    relu = loss_function(dataclasses.replace(pf, negative_slope=0.0), data)(pf.vector)
    assert abs(relu - Lf) > 1e-3 * Lf


# ---------------------------------------------------------------------------- paths and spectrum
@pytest.mark.parametrize("alpha", ALPHAS)
def test_small_path_answers_leaky_problems_like_the_sweep(alpha: float) -> None:
    rng = np.random.default_rng(5)
    for H, N in ((3, 20), (16, 200), (30, 1000)):  # tiny J^T J, C^T M C
        x = rng.uniform(-2, 2, N)
        data = Dataset.from_arrays(x, np.cos(x))
        w = rng.standard_normal(H)
        net = Network(w, -w * rng.uniform(-2.5, 2.5, H), rng.standard_normal(H), 0.1,
                      negative_slope=alpha)
        for p in (net, net.to_spline()):
            kern = K.kernel(p, data)
            assert small.hessian(p, data) is not None
            assert abs(small.loss(p, data) - kern.loss) <= TOL * kern.loss
            assert rel(small.gradient(p, data), kern.gradient()) < TOL
            for a, b in zip(small.hessian(p, data, True), kern.hessian(parts=True), strict=True):
                assert rel(a, b) < TOL


def test_extreme_eigenvalues_and_spectral_density_of_a_leaky_network() -> None:
    net, data = grid_problem(2, 0.3)
    _, _, h = torch_reference(net, data)
    ev = np.linalg.eigvalsh(h)
    k = K.extreme_eigenvalues(net, data, k=2, method="lanczos", tol=1e-13)
    scale = np.max(np.abs(ev))
    assert np.max(np.abs(k["largest"] - ev[::-1][:2])) < 1e-9 * scale
    assert np.max(np.abs(k["smallest"] - ev[:2])) < 1e-9 * scale
    sd = K.spectral_density(net, data, steps=h.shape[0], probes=1)
    pts, _ = sd.measure()
    assert pts[-1] == pytest.approx(ev[-1], rel=1e-9)
    assert pts[0] >= ev[0] - 1e-9 * scale


# ---------------------------------------------------------------------------- one pattern type
def _exact(p: Network | Spline) -> Network | Spline:
    """The exact twin (every float as its exact binary rational, the slope too)."""
    theta = [R(*float(v).as_integer_ratio()) for v in p.vector]
    alpha = R(*float(p.negative_slope).as_integer_ratio())
    if isinstance(p, Network):
        out = Network.from_vector(theta, p.H, negative_slope=alpha)
    else:
        out = Spline.from_vector(theta, p.s, negative_slope=alpha)
    assert out.kind == "exact"
    return out


def test_vectorised_locate_follows_the_exact_rules() -> None:
    x = np.arange(-8, 9) / 4.0
    data = Dataset.from_arrays(x, np.zeros_like(x))
    exact_data = Dataset.from_arrays([R(int(v * 4), 4) for v in x], [0] * x.size)
    # units: ordinary, beyond the data both sides, w = 0 with b > 0 / b < 0, kinks on samples
    w = [1.5, -0.7, 2.0, 0.0, 0.0, 2.0, -0.5, 1.0]
    b = [0.3, 5.0, 9.0, 1.0, -1.0, -1.0, -0.25, 0.0]
    net = Network(w, b, [1.0] * 8, 0.0, negative_slope=0.2)
    ex = Network([R(*float(v).as_integer_ratio()) for v in w],
                 [R(*float(v).as_integer_ratio()) for v in b], [1] * 8, 0)
    with pytest.raises(KinkError) as fi:
        locate(net, data)
    with pytest.raises(KinkError) as ei:
        locate(ex, exact_data)
    assert (fi.value.unit, fi.value.point) == (ei.value.unit, ei.value.point) == (5, 10)
    for side in ("left", "right"):
        got, want = locate(net, data, side=side), locate(ex, exact_data, side=side)
        assert got == want and hash(got) == hash(want)
        assert got.s == want.s and got.k == want.k
        assert np.array_equal(got.k_array, want.k)
    # w = b = 0: every sample on the kink; right = active everywhere, left = dead
    z = Network([1.0, 0.0], [0.1, 0.0], [1.0, 1.0])
    with pytest.raises(KinkError) as info:
        locate(z, data)
    assert (info.value.unit, info.value.point) == (1, 0)
    assert locate(z, data, side="right").k[1] == 0 and locate(z, data, side="left").k[1] == x.size
    # splines: the same on random float problems away from kinks
    rng = np.random.default_rng(9)
    for _ in range(5):
        spl = Spline(rng.uniform(-3, 3, 12), rng.standard_normal(12),
                     tuple(rng.choice([-1, 1], 12)), 0.0)
        assert locate(spl, data) == locate(_exact(spl), exact_data)


@pytest.mark.parametrize("seed", range(3))
def test_vectorised_locate_matches_the_exact_route_on_random_networks(seed: int) -> None:
    rng = np.random.default_rng([23, seed])
    x = np.sort(rng.choice(np.arange(-640, 641), 60, replace=False)) / 256.0
    data = Dataset.from_arrays(x, np.zeros_like(x))
    exact_data = Dataset.from_arrays([R(*v.as_integer_ratio()) for v in x], [0] * x.size)
    H = 30
    w = rng.choice([-2.0, -0.5, 0.0, 0.5, 2.0, 1.3, -0.7], H)
    # some breakpoints exactly on samples, where -b/w is exact in float too (w a power of 2);
    # with w = 1.3 the float and the exact quotient may legitimately fall on different sides
    on = (rng.random(H) < 0.4) & (np.abs(np.log2(np.abs(w) + (w == 0))) % 1 == 0) & (w != 0)
    beta = np.where(on, rng.choice(x, H), rng.uniform(-3, 3, H))
    b = np.where(w == 0, rng.choice([-1.0, 0.0, 1.0], H), -w * beta)
    net = Network(w, b, np.ones(H), 0.0, negative_slope=0.3)
    ex = _exact(net)
    for side in (None, "left", "right"):
        try:
            want = locate(ex, exact_data, side=side)
        except KinkError as err:
            with pytest.raises(KinkError) as got:
                locate(net, data, side=side)
            assert (got.value.unit, got.value.point) == (err.unit, err.point)
            continue
        assert locate(net, data, side=side) == want


def test_pattern_built_from_arrays_is_the_same_value() -> None:
    a = Pattern.from_arrays(np.array([1, -1, 1]), np.array([0, 3, 5]), 5)
    b = Pattern((1, -1, 1), (0, 3, 5), 5)
    assert a == b and hash(a) == hash(b) and repr(a) == repr(b) == "Pattern(s=(1, -1, 1), k=(0, 3, 5), n=5)"
    assert str(a) == "Pattern[+0, -3, +5]" and a.H == 3 and list(a.active(1)) == [0, 1, 2]
    lo, hi = a.bounds_arrays()
    assert [a.active_bounds(i) for i in range(3)] == list(zip(lo.tolist(), hi.tolist(), strict=True))
    with pytest.raises(InputError, match="orientation of unit 2"):
        Pattern.from_arrays(np.array([1, 0]), np.array([0, 1]), 3)
    with pytest.raises(InputError, match="gap of unit 1"):
        Pattern.from_arrays(np.array([1]), np.array([4]), 3)
    with pytest.raises(AttributeError):
        a.n = 4  # type: ignore[misc]
    with pytest.raises(ValueError):
        a.k_array[0] = 1


def test_the_kernel_layout_is_a_regions_pattern() -> None:
    net, data = grid_problem(4, 0.3, kinks=True)
    pat = locate(net, data, side="right")
    kern = K.kernel(net, data, side="right")
    assert kern.layout.pattern == pat and kern.layout.alpha == 0.3
    given = K.kernel(net, data, pattern=pat)  # a located pattern is reused as is
    assert rel(given.hessian(), kern.hessian()) == 0
    spl = net.to_spline()
    with pytest.raises(ParameterError, match="orientations"):
        K.kernel(spl, data, pattern=Pattern(tuple(-s for s in spl.s), pat.k, pat.n))
    with pytest.raises(ParameterError, match="units"):
        K.kernel(net, data, pattern=Pattern(pat.s[:-1], pat.k[:-1], pat.n))
    with pytest.raises(InputError):
        K.kernel(net, data, pattern=(pat.s, pat.k))


# ---------------------------------------------------------------------------- spectra
def test_leaky_jacobian_of_spectra() -> None:
    x = [-2, R(-3, 2), -1, R(-1, 3), R(1, 4), 1, R(3, 2)]
    data = Dataset.from_arrays(x, [R(1, 2), 1, R(1, 4), R(-1, 2), 0, R(3, 4), R(1, 4)])
    net = Network([1, R(-3, 2), R(1, 2)], [R(1, 5), R(1, 2), 2], [R(1, 2), -1, R(3, 2)], R(1, 5),
                  negative_slope=R(3, 10))
    for p in (net, net.to_spline()):
        G = gradient_matrix(p, data)
        assert isinstance(G, sp.MatrixBase)
        # column sums are N grad L, exactly
        diff = (sp.ones(1, data.n) * G) / data.n - calculus.gradient(p, data).T
        assert all(sp.simplify(e) == 0 for e in diff)
        # float Jacobian against central differences of f = params(x)
        pf, df = p.as_float(), data.as_float()
        J = jacobian(pf, df)
        th, h = pf.vector, 1e-6
        for a in range(th.size):
            e = np.zeros_like(th)
            e[a] = h
            fd = (pf.with_vector(th + e)(df.x) - pf.with_vector(th - e)(df.x)) / (2 * h)
            np.testing.assert_allclose(J[:, a], fd, atol=1e-8)
        assert np.allclose(np.array(G, dtype=float), gradient_matrix(pf, df), rtol=1e-13, atol=0)
