"""Every fast path against the path it shortcuts: validation, small sizes, the CSV reader, SLQ.

Speed is measured in benchmarks/ (bench_end_to_end.py, bench_csv.py, bench_density.py), never
here; these tests hold the fast paths to the same answers and the same errors.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import symspline as ss
import symspline.kernels as K
from symspline import Dataset, KinkError, Network, Spline
from symspline.csvfloat import read_float_csv
from symspline.data import PACKED_SORT_MIN, _sort_order
from symspline.errors import DataError, SymsplineError
from symspline.io import parse_csv, read_data
from symspline.kernels import small

R = sp.Rational


def rel(a: np.ndarray, b: np.ndarray) -> float:
    """Normwise relative difference max|a - b| / max|b|."""
    return float(np.max(np.abs(np.asarray(a) - b)) / max(np.max(np.abs(b)), 1e-300))


# ---------------------------------------------------------------------------- goal 1: validation
def test_packed_sort_is_a_sorting_permutation(rng):
    n = PACKED_SORT_MIN + 1001
    for x in (rng.uniform(-2, 2, n), rng.standard_normal(n) * 1e-300,
              np.concatenate([-np.logspace(-300, 300, n // 2), np.logspace(-300, 300, n // 2)])):
        rng.shuffle(x)
        order, xs = _sort_order(x)
        assert np.array_equal(np.sort(order), np.arange(x.size))
        assert np.array_equal(xs, np.sort(x))
        assert np.array_equal(x[order], xs)


def test_packed_sort_repairs_keys_equal_in_their_top_bits(rng):
    # Neighbours one ulp apart share every key bit above the index: the repair must order them.
    n = PACKED_SORT_MIN + 17
    base = rng.uniform(1, 2, n // 4)
    x = np.concatenate([base, np.nextafter(base, 3), np.nextafter(np.nextafter(base, 3), 3),
                        np.nextafter(base, 0)])[:n]
    x = np.unique(x)
    rng.shuffle(x)
    order, xs = _sort_order(x)
    assert np.array_equal(xs, np.sort(x)) and np.array_equal(x[order], xs)


@pytest.mark.parametrize("n", [5, PACKED_SORT_MIN + 5])
def test_fast_validation_matches_sorting_and_keeps_every_check(rng, n):
    x = rng.uniform(-3, 3, n)
    y = rng.standard_normal(n)
    d = Dataset.from_arrays(x, y)
    order = np.argsort(x)
    assert np.array_equal(d.x, x[order]) and np.array_equal(d.y, y[order])
    assert not d.x.flags.writeable and not d.y.flags.writeable
    x2 = x.copy()
    x2[n // 2] = x2[n // 3]
    with pytest.raises(DataError, match=f"duplicate x value {x2[n // 3]}"):
        Dataset.from_arrays(x2, y)
    x3 = x.copy()
    x3[n - 2], x3[n - 1] = -0.0, 0.0  # equal as numbers: a duplicate
    with pytest.raises(DataError, match="duplicate x value"):
        Dataset.from_arrays(x3, y)
    for bad in (np.nan, np.inf, -np.inf):
        y2 = y.copy()
        y2[n - 1] = bad
        with pytest.raises(DataError, match=f"sample {n} is not finite"):
            Dataset.from_arrays(x, y2)
    with pytest.raises(DataError, match=f"x has {n} values but y has {n - 1}"):
        Dataset.from_arrays(x, y[:-1])
    with pytest.raises(DataError, match="one-dimensional"):
        Dataset.from_arrays(x.reshape(1, -1), y.reshape(1, -1))
    with pytest.raises(DataError, match="empty"):
        Dataset.from_arrays(np.array([]), np.array([]))


def test_sorted_input_and_float_lists_take_the_fast_path(rng):
    x = np.linspace(-1, 1, 50)
    d = Dataset.from_arrays(x, np.sin(x))
    assert np.array_equal(d.x, x) and np.array_equal(d._order, np.arange(50))
    x[0] = 5.0  # the caller's array changes: the data set does not
    assert d.x[0] == -1.0
    lst = Dataset.from_arrays([0.5, -1.0, 2.0], [1, 2, 3])
    assert lst.kind == "float" and lst.x.tolist() == [-1.0, 0.5, 2.0]
    assert lst.y.tolist() == [2.0, 1.0, 3.0]
    with pytest.raises(SymsplineError, match="not a number: True"):
        Dataset.from_arrays([1.0, True], [1, 2])
    exact = Dataset.from_arrays([1, R(1, 2)], [0, 1])
    assert exact.kind == "exact"
    assert exact.as_float() is exact.as_float()  # converted once


def test_shifted_prefix_moments(rng):
    d = Dataset.from_arrays(rng.uniform(-2, 2, 30), rng.standard_normal(30))
    xs = d.x - d.x[0]
    assert np.array_equal(d.shifted_x, xs)
    q = d.shifted_prefix
    assert q.shape == (3, 31) and not q.flags.writeable
    np.testing.assert_allclose(q[:, 7] - q[:, 3], [4, xs[3:7].sum(), (xs[3:7] ** 2).sum()],
                               rtol=1e-13)


# ---------------------------------------------------------------------------- goal 2: small sizes
def exact_problem(H: int, N: int, seed: int) -> tuple[Network, Dataset]:
    """A rational network and data set with breakpoints strictly between samples."""
    rng = np.random.default_rng(seed)
    xs = sorted({R(int(v), 97) for v in rng.integers(-300, 300, 3 * N)})[:N]
    ys = [R(int(v), 13) for v in rng.integers(-20, 20, N)]
    w = [R(int(v), 7) or R(1) for v in rng.integers(-9, 9, H)]
    b = [R(int(v), 11) for v in rng.integers(-30, 30, H)]
    v = [R(int(v), 5) for v in rng.integers(-9, 9, H)]
    net = Network(w, b, v, R(1, 3))
    data = Dataset.from_arrays(xs, ys)
    assert all(-bi / wi not in set(xs) for wi, bi in zip(w, b, strict=True))
    return net, data


@pytest.mark.parametrize("H, N, seed", [(1, 3, 0), (3, 12, 1), (6, 40, 2), (12, 90, 3)])
def test_small_path_agrees_with_the_exact_engine(H, N, seed):
    net, data = exact_problem(H, N, seed)
    fnet, fdata = net.as_float(), data.as_float()
    # tiny (J^T J) and moment (C^T M C) routes both run: force the latter with TINY_WORK = 0
    for tiny in (small.TINY_WORK, 0):
        old = small.TINY_WORK
        small.TINY_WORK = tiny
        try:
            for params in (fnet, fnet.to_spline()):
                ex = params if params is fnet else net.to_spline()
                exact_p = net if params is fnet else ex
                g = np.array(ss.gradient(exact_p, data), dtype=float).ravel()
                h = np.array(ss.hessian(exact_p, data), dtype=float)
                assert small.hessian(params, fdata) is not None
                assert rel(small.gradient(params, fdata), g) < 1e-12
                assert rel(small.hessian(params, fdata), h) < 1e-12
                hh, gn, res = small.hessian(params, fdata, parts=True)
                assert np.array_equal(hh, gn + res)
                assert rel(hh, h) < 1e-12
                assert abs(small.loss(params, fdata) / float(ss.loss(exact_p, data)) - 1) < 1e-12
        finally:
            small.TINY_WORK = old


def test_small_path_equals_general_kernel(rng):
    for H, N in ((4, 50), (16, 200), (32, 1000)):
        x = rng.uniform(-2, 2, N)
        data = Dataset.from_arrays(x, np.sin(2 * x))
        w = rng.standard_normal(H)
        net = Network(w, -w * rng.uniform(-2.5, 2.5, H), rng.standard_normal(H), 0.3)
        for params in (net, net.to_spline()):
            kern = K.kernel(params, data)
            assert rel(K.hessian(params, data), kern.hessian()) < 1e-13
            assert rel(K.gradient(params, data), kern.gradient()) < 1e-13
            assert abs(K.loss(params, data) / kern.loss - 1) < 1e-13


def test_small_path_defers_kinks_zero_weights_and_sides():
    data = Dataset.from_arrays([0.0, 1.0, 2.0], [1.0, 0.0, 1.0])
    on_kink = Network([1.0, -1.0], [-1.0, 0.5], [1.0, 2.0], 0.0)  # beta_1 = 1 = x_2
    assert small.hessian(on_kink, data) is None
    with pytest.raises(KinkError):
        K.hessian(on_kink, data)
    right = K.hessian(on_kink, data, side="right")
    assert right.shape == (7, 7)
    flat = Network([0.0, 1.0], [1.0, -0.5], [1.0, 2.0], 0.0)
    assert small.gradient(flat, data) is None
    assert K.gradient(flat, data).shape == (7,)
    with pytest.raises(SymsplineError, match="side must be"):
        K.hessian(Network([1.0], [0.25], [1.0], 0.0), data, side="up")
    with pytest.raises(SymsplineError, match="params must be"):
        K.hessian("net", data)
    with pytest.raises(SymsplineError, match="data must be"):
        K.gradient(Network([1.0], [0.25], [1.0], 0.0), [0.0, 1.0])
    spl = Spline([0.5, 1.5], [1.0, -2.0], (1, -1), 0.0)
    assert rel(K.hessian(spl, data), K.kernel(spl, data).hessian()) < 1e-14


# ---------------------------------------------------------------------------- goal 3: CSV reader
def write(path, text: str):
    path.write_text(text, encoding="utf-8", newline="")
    return path


def float_csv(rng, n: int, header: str = "x,y") -> str:
    x = rng.uniform(-2, 2, n)
    y = np.sin(x) + rng.standard_normal(n)
    rows = zip(x.tolist(), y.tolist(), strict=True)
    return header + "\n" + "".join(f"{a!r},{b!r}\n" for a, b in rows)


def test_float_csv_agrees_with_the_general_parser(tmp_path, rng):
    text = float_csv(rng, 500)
    text = text.replace("\n", "\n\n", 3) + "1,2\n-3.5e-1,4E2\n  7.25 , -0.0\n"
    p = write(tmp_path / "d.csv", text)
    fast = read_float_csv(p, min_bytes=0)
    ref = parse_csv(text)
    assert fast is not None and fast.kind == "float"
    assert np.array_equal(fast.x, ref.x) and np.array_equal(fast.y, ref.y)
    swapped = write(tmp_path / "s.csv", "Y , X\r\n1.5,2\r\n3,4.25\r\n")
    d = read_float_csv(swapped, min_bytes=0)
    assert d.x.tolist() == [2.0, 4.25] and d.y.tolist() == [1.5, 3.0]


@pytest.mark.parametrize("text", [
    "x,y\n1,2\n3,4\n",                # integers only: exact data
    "x,y\n1/2,0.5\n3,4\n",           # a p/q cell: exact or mixed, the general parser decides
    'x,y\n"1.5",2\n',                 # quoting
    "x,y,z\n1.5,2,3\n",               # other columns
    "a,b\n1.5,2\n",                   # no x,y header: the general parser's message
    "x,y\n",                          # no rows
])
def test_float_csv_leaves_other_files_to_the_general_parser(tmp_path, text):
    assert read_float_csv(write(tmp_path / "d.csv", text), min_bytes=0) is None


@pytest.mark.parametrize("line, message", [
    ("3.5,4,5", "line 5 has 3 cells, expected 2"),
    ("3.5", "line 5 has 1 cells, expected 2"),
    ("3.5,abc", "line 5: not a number: 'abc'"),
    ("nan,1.0", "line 5: not a number: 'nan'"),
    ("1.0,inf", "line 5: not a number: 'inf'"),
    ("1e999,1.0", "line 5: number '1e999' overflows a float"),
    ("0x1p3,1.0", "line 5: not a number: '0x1p3'"),
    ("2.5,", "line 5: not a number: ''"),
])
def test_float_csv_names_the_malformed_line(tmp_path, line, message):
    text = "x,y\n0.5,1\n1.5,2\n\n2.5,3\n" + line + "\n4.5,5\n" * 3
    p = write(tmp_path / "d.csv", text)
    with pytest.raises(DataError, match=message) as fast:
        read_float_csv(p, min_bytes=0)
    with pytest.raises(DataError) as general:
        parse_csv(text, source=str(p))
    assert str(fast.value) == str(general.value)


def test_read_data_uses_the_float_reader_for_large_files(tmp_path, rng, monkeypatch):
    import symspline.csvfloat as cf

    text = float_csv(rng, 2_000)
    p = write(tmp_path / "big.csv", text)
    monkeypatch.setattr(cf, "MIN_BYTES", 4096)
    assert p.stat().st_size > cf.MIN_BYTES
    calls = []
    real = cf.read_float_csv
    monkeypatch.setattr(cf, "read_float_csv", lambda *a, **k: calls.append(1) or real(*a, **k))
    d = read_data(p)
    assert calls and d.n == 2_000
    ref = parse_csv(text)
    assert np.array_equal(d.x, ref.x) and np.array_equal(d.y, ref.y)
    exact = read_data(p, exact_decimals=True)  # exact mode stays exact (and slower)
    assert exact.kind == "exact"


# ---------------------------------------------------------------------------- goal 4: SLQ
def slq_problem(rng, H: int = 20, N: int = 300) -> tuple[Network, Dataset]:
    x = rng.uniform(-2, 2, N)
    data = Dataset.from_arrays(x, np.sin(2 * x) + 0.1 * rng.standard_normal(N))
    w = rng.standard_normal(H)
    return Network(w, -w * rng.uniform(-2, 2, H), rng.standard_normal(H) / np.sqrt(H), 0.1), data


def test_slq_quadrature_reproduces_the_probe_moments(rng):
    # m Lanczos steps are an m-point Gauss quadrature of the probe's spectral measure:
    # sum_k tau_k theta_k^j = v^T Hess^j v for every j <= 2m - 1.
    net, data = slq_problem(rng)
    hess = K.hessian(net, data)
    P, steps, seed = hess.shape[0], 8, 7
    res = K.spectral_density(net, data, steps=steps, probes=3, seed=seed)
    probe_rng = np.random.default_rng(seed)
    norm = np.linalg.norm(hess, 2)
    for theta, tau in zip(res.nodes, res.weights, strict=True):
        v = probe_rng.choice((-1.0, 1.0), P) / np.sqrt(P)
        assert theta.shape == (steps,) and abs(tau.sum() - 1) < 1e-13
        u = v.copy()
        for j in range(2 * steps):
            exact = v @ u  # v^T Hess^j v
            assert abs(np.sum(tau * theta ** j) - exact) <= 1e-10 * norm ** j, j
            u = hess @ u


def test_slq_with_full_steps_finds_the_eigenvalues_and_estimates_the_spectrum(rng):
    net, data = slq_problem(rng, H=6, N=80)
    ev = np.linalg.eigvalsh(K.hessian(net, data))
    res = K.spectral_density(net, data, steps=100, probes=40, seed=1)  # steps > P: P at most
    for theta, tau in zip(res.nodes, res.weights, strict=True):
        # every Ritz value with weight is an eigenvalue once the Krylov space is invariant
        big = theta[tau > 1e-8]
        assert np.min(np.abs(big[:, None] - ev[None, :]), axis=1).max() < 1e-8 * abs(ev).max()
    # the probe average is an unbiased estimate of trace(Hess^j) / P: within a few std errors
    for j in (1, 2):
        per_probe = [np.sum(t * th ** j) for th, t in zip(res.nodes, res.weights, strict=True)]
        se = np.std(per_probe) / np.sqrt(len(per_probe))
        assert abs(np.mean(per_probe) - np.mean(ev ** j)) < 5 * se + 1e-12
    pts, wts = res.measure()
    assert abs(wts.sum() - 1) < 1e-12
    w1 = K.wasserstein1(pts, wts, ev, np.full(ev.size, 1 / ev.size))
    assert w1 < 0.05 * (ev.max() - ev.min())
    dens = res.density(np.linspace(ev.min() - 1, ev.max() + 1, 4001))
    assert abs(np.trapezoid(dens, np.linspace(ev.min() - 1, ev.max() + 1, 4001)) - 1) < 1e-3


def test_wasserstein1_and_slq_inputs():
    assert K.wasserstein1([0.0], [1.0], [1.0], [1.0]) == pytest.approx(1.0)
    assert K.wasserstein1([0.0, 2.0], [1, 1], [1.0], [1]) == pytest.approx(1.0)
    net = Network([1.0], [0.25], [1.0], 0.0)
    data = Dataset.from_arrays([0.0, 1.0], [0.0, 1.0])
    for bad in ({"steps": 0}, {"probes": -1}, {"steps": 2.5}):
        with pytest.raises(SymsplineError, match="must be a positive integer"):
            K.spectral_density(net, data, **bad)


def test_plot_spectral_density(rng, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    net, data = slq_problem(rng, H=5, N=60)
    res = K.spectral_density(net, data, steps=10, probes=2)
    axes = K.plot_spectral_density(res, np.linalg.eigvalsh(K.hessian(net, data)), title="t")
    axes[0].figure.savefig(tmp_path / "d.png")
    assert (tmp_path / "d.png").stat().st_size > 1000


# ---------------------------------------------------------------------------- goal 5: derive cache
def test_derive_cache_serves_identical_results_and_invalidates_on_change(tmp_path, monkeypatch):
    import types

    from symspline import cache
    from symspline.render.report import Claim, Derivation, Figure

    calls = []

    def run(ctx):  # noqa: ANN001, ANN202
        calls.append(ctx.out_dir)
        fig = ctx.out_dir / "figures" / "f.png"
        fig.parent.mkdir(parents=True, exist_ok=True)
        fig.write_bytes(b"png bytes")
        fig.with_suffix(".pdf").write_bytes(b"pdf bytes")
        ok = "general" if not ctx.quick else "failed"
        return Derivation(name="fake", title="Fake", section="0", summary="s",
                          claims=(Claim("c", "statement", ok),),
                          figures=(Figure("figures/f.png", "caption"),))

    mod = types.SimpleNamespace(run=run)
    root = tmp_path / "cache"
    ctx1 = types.SimpleNamespace(out_dir=tmp_path / "a", quick=False, seed=1)
    ctx2 = types.SimpleNamespace(out_dir=tmp_path / "b", quick=False, seed=1)
    first = cache.run_cached(mod, ctx1, "fake", root)
    second = cache.run_cached(mod, ctx2, "fake", root)
    assert len(calls) == 1 and second == first
    assert (tmp_path / "b" / "figures" / "f.png").read_bytes() == b"png bytes"
    assert (tmp_path / "b" / "figures" / "f.pdf").read_bytes() == b"pdf bytes"
    # any input or source change is a different key; failed results are never stored
    keys = {cache.cache_key("fake", q, s) for q in (False, True) for s in (1, 2)}
    assert len(keys) == 4
    before = cache.cache_key("fake", False, 1)
    monkeypatch.setattr(cache, "source_digest", lambda: "edited formula")
    assert cache.cache_key("fake", False, 1) != before
    cache.run_cached(mod, ctx2, "fake", root)
    assert len(calls) == 2  # the edited source missed the cache
    quick = types.SimpleNamespace(out_dir=tmp_path / "c", quick=True, seed=1)
    cache.run_cached(mod, quick, "fake", root)
    cache.run_cached(mod, quick, "fake", root)
    assert len(calls) == 4  # a failed check runs again
    (root / f"{cache.cache_key('fake', False, 1)}.pkl").write_bytes(b"garbage")
    cache.run_cached(mod, ctx2, "fake", root)
    assert len(calls) == 5  # an unreadable entry is a miss, not an error
