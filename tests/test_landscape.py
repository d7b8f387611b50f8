"""Exact 1-D loss slices (theory §7.1): pieces, kinks and jumps against direct evaluation."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from symspline.defaults import default_dataset, default_network
from symspline.kernels import hessian as khess
from symspline.kernels import loss as kloss
from symspline.landscape import (
    compare_parameterizations,
    hessian_directions,
    line_slice,
    plane_slice,
    random_direction,
)
from symspline.params import Network, Spline
from symspline.piecewise import loss_exact

R = sp.Rational
DIR = [1, R(-1, 2), R(1, 3), R(1, 4), 0, -1, 2, R(1, 2), R(-1, 3), R(1, 7)]


def test_exact_slice_matches_exact_loss_everywhere() -> None:
    data, net = default_dataset(), default_network()
    S = line_slice(net, data, DIR)
    assert S.kind == "exact"
    d = np.array(DIR, dtype=object)
    ts = [R(-7, 2), R(1, 3), R(9, 4), *S.breaks[::5]]
    for t in ts:
        assert S(t) == loss_exact(Network.from_vector(net.vector + d * t, net.H), data)


def test_kinks_are_exact_crossings_with_the_predicted_jump() -> None:
    data, net = default_dataset(), default_network()
    S = line_slice(net, data, DIR)
    d = np.array(DIR, dtype=object)
    assert len(S.kinks) > 0
    for k in S.kinks:
        th = net.vector + d * k.t
        w, b = th[k.unit], th[net.H + k.unit]
        assert w * data.x[k.point] + b == 0  # the breakpoint sits exactly on x_m
    # Slope jumps: the sum of the per-crossing predictions at each break.
    for t in S.breaks:
        predicted = sum(k.jump for k in S.kinks if k.t == t)
        assert S.derivative(t, "right") - S.derivative(t, "left") == predicted
    # Between breaks the loss is smooth: no jump at a generic t.
    t = (S.breaks[0] + S.breaks[1]) / 2
    assert S.derivative(t, "right") == S.derivative(t, "left")


def test_spline_jump_is_theory_2_3() -> None:
    # Moving beta_1 alone at unit speed: the jump at x_m is mu_1 r_m / N (theory §2.3).
    data = default_dataset()
    sp1 = default_network().to_spline()
    d = [1, 0, 0, 0, 0, 0, 0]
    S = line_slice(sp1, data, d)
    for k in S.kinks:
        moved = Spline.from_vector(sp1.vector + np.array(d, dtype=object) * k.t, sp1.s)
        r_m = moved(data.x[k.point]) - data.y[k.point]
        assert k.jump == sp1.mu[0] * r_m / data.n


def test_float_slice_curvature_is_hessian_eigenvalue() -> None:
    data = default_dataset().as_float()
    for params in (default_network().to_spline().as_float(), default_network().as_float()):
        ev, V = hessian_directions(params, data, 2)
        assert ev[0] >= ev[1]
        S = line_slice(params, data, V[:, 0])
        q = S.coeffs[S.piece(0.0)]
        assert 2 * q[2] == pytest.approx(ev[0], rel=1e-10)
        ts = np.linspace(-2, 2, 41)
        direct = [kloss(params.__class__.from_vector(params.vector + t * V[:, 0],
                                                     *( (params.H,) if isinstance(params, Network)
                                                        else (params.s,))), data) for t in ts]
        np.testing.assert_allclose(S(ts), direct, rtol=1e-10, atol=1e-12)
        Hm = khess(params, data)
        assert V[:, 0] @ Hm @ V[:, 0] == pytest.approx(ev[0], rel=1e-12)


def test_pictures_depend_on_parameterization() -> None:
    data = default_dataset()
    cmp = compare_parameterizations(default_network(), data, balances=(-1.0, 1.0))
    curv = {k: 2 * s.coeffs[s.piece(0.0)][2] for k, s in cmp.items()}
    values0 = {k: s(0.0) for k, s in cmp.items()}
    # Same function at t = 0 ...
    assert max(values0.values()) - min(values0.values()) < 1e-12
    # ... but a false claim "sharpness is parameterization-invariant" is refuted.
    assert abs(curv["network d=-1"] - curv["network d=1"]) > 1e-3
    assert abs(curv["spline"] - curv["network d=1"]) > 1e-3


def test_random_filter_direction_and_plane() -> None:
    net = default_network().as_float()
    rng = np.random.default_rng(1)
    d = random_direction(net, rng)
    H = net.H
    for i in range(H):
        assert np.hypot(d[i], d[H + i]) == pytest.approx(np.hypot(net.w[i], net.b[i]))
    assert np.linalg.norm(d[2 * H:3 * H]) == pytest.approx(np.linalg.norm(net.v))
    assert d[-1] == 0
    d2 = random_direction(net, rng)
    data = default_dataset()
    P = plane_slice(net, data, d, d2, np.linspace(-1, 1, 3), np.linspace(-1, 1, 3))
    assert P.values[1, 1] == pytest.approx(kloss(net, data))
    # Every kink line passes through the points where a breakpoint meets a data point.
    l0, l1, l2 = P.lines[0]
    i, n = P.labels[0]
    t1 = -l0 / l1 if l1 != 0 else 0.0
    t2 = 0.0 if l1 != 0 else -l0 / l2
    th = net.vector + t1 * d + t2 * d2
    assert th[i] * data.as_float().x[n] + th[H + i] == pytest.approx(0, abs=1e-12)


def test_cli_landscape(tmp_path, capsys) -> None:
    import json

    from symspline.cli import main
    from symspline.io import write_data, write_params

    d, p, q = tmp_path / "d.csv", tmp_path / "p.json", tmp_path / "dir.json"
    write_data(d, default_dataset())
    write_params(p, default_network())
    q.write_text(json.dumps([str(v) for v in DIR]))
    assert main(["landscape", "--data", str(d), "--params", str(p), "--direction", str(q),
                 "--range", "10", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    S = line_slice(default_network(), default_dataset(), DIR)
    assert out["kind"] == "exact"
    assert [k["t_exact"] for k in out["kinks"]] == [str(k.t) for k in S.kinks if abs(k.t) <= 10]
    fig = tmp_path / "s.png"
    assert main(["landscape", "--data", str(d), "--params", str(p), "--out", str(fig)]) == 0
    assert fig.read_bytes()[:4] == b"\x89PNG"
    assert main(["landscape", "--data", str(d), "--params", str(p), "--direction", "nope"]) == 2
    assert "--direction" in capsys.readouterr().err
    assert main(["landscape", "--data", str(d), "--params", str(p), "--compare", "--json"]) == 0
    assert "network d=0" in json.loads(capsys.readouterr().out)["compare"]
