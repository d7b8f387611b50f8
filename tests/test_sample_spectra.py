"""Per-sample gradient matrix and group spectra (theory §7.2)."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from symspline import kernels
from symspline.calculus import gradient as exact_gradient
from symspline.data import Dataset
from symspline.defaults import default_dataset, default_network
from symspline.errors import DataError, KinkError
from symspline.params import Network
from symspline.sample_spectra import (
    gradient_matrix,
    group_spectra,
    groups_by_edges,
    groups_by_labels,
    jacobian,
    read_labels,
    spectra_along,
)


def test_column_sums_are_n_times_gradient_exactly() -> None:
    data, net = default_dataset(), default_network()
    G = gradient_matrix(net, data)
    assert isinstance(G, sp.MatrixBase)
    diff = (sp.ones(1, data.n) * G) / data.n - exact_gradient(net, data).T
    assert all(sp.simplify(e) == 0 for e in diff)
    sp1 = net.to_spline()
    Gs = gradient_matrix(sp1, data)
    assert all(sp.simplify(e) == 0
               for e in (sp.ones(1, data.n) * Gs) / data.n - exact_gradient(sp1, data).T)


def test_jacobian_against_finite_differences() -> None:
    data, net = default_dataset().as_float(), default_network().as_float()
    J = jacobian(net, data)
    th, h = net.vector, 1e-6
    for a in range(th.size):
        e = np.zeros_like(th)
        e[a] = h
        fd = (Network.from_vector(th + e, net.H)(data.x)
              - Network.from_vector(th - e, net.H)(data.x)) / (2 * h)
        np.testing.assert_allclose(J[:, a], fd, atol=1e-8)


def test_groups_partition_the_frobenius_norm() -> None:
    data, net = default_dataset(), default_network()
    groups = groups_by_edges(data, [-1, 1])
    assert sorted(i for g in groups for i in g.index) == list(range(data.n))
    sv = group_spectra(net, data, groups)
    G = gradient_matrix(net.as_float(), data.as_float())
    total = sum(float((v**2).sum()) for v in sv.values())
    assert total == pytest.approx(float(np.sum(G**2)), rel=1e-12)
    # A false claim: "the spectrum of the whole equals the union of the group spectra".
    whole = np.linalg.svd(G, compute_uv=False)
    union = np.sort(np.concatenate(list(sv.values())))[::-1][: whole.size]
    assert np.max(np.abs(whole - union)) > 1e-3


def test_labels_from_csv(tmp_path) -> None:
    f = tmp_path / "d.csv"
    f.write_text("x,y,label\n1,0,b\n-1,1,a\n0,2,a\n2,1/2,b\n")
    labels = read_labels(f)
    assert labels == ["a", "a", "b", "b"]
    groups = groups_by_labels(labels)
    assert [(g.name, g.index) for g in groups] == [("a", (0, 1)), ("b", (2, 3))]
    bad = tmp_path / "e.csv"
    bad.write_text("x,y\n1,2\n")
    with pytest.raises(DataError):
        read_labels(bad)


def test_kink_is_reported_and_trajectory_shapes() -> None:
    data = Dataset.from_arrays([-1.0, 0.0, 1.0], [0.0, 1.0, 0.0])
    on_kink = Network([1.0], [0.0], [1.0], 0.0)  # breakpoint at x = 0
    with pytest.raises(KinkError):
        gradient_matrix(on_kink, data)
    snaps = [Network([1.0], [b], [1.0], 0.0) for b in (0.5, 0.0, -0.5)]
    tr = spectra_along(snaps, data, groups_by_edges(data, [0.0]))
    assert tr.values["x < 0"].shape == (3, 1)
    assert tr.values["x >= 0"].shape == (3, 2)
    np.testing.assert_allclose(tr.losses, [kernels.loss(s, data) for s in snaps])


def test_cli_spectra(tmp_path, capsys) -> None:
    import json

    from symspline.cli import main
    from symspline.io import write_params

    d, p = tmp_path / "d.csv", tmp_path / "p.json"
    d.write_text("x,y,label\n-2,1/2,a\n-1,1/4,b\n0,0,a\n1,3/4,b\n2,-1/2,a\n")
    write_params(p, default_network())
    assert main(["spectra", "--data", str(d), "--params", str(p), "--by-label", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {k: v["size"] for k, v in out["groups"].items()} == {"a": 3, "b": 2}
    data = Dataset.from_arrays([-2, -1, 0, 1, 2], [sp.Rational(1, 2), sp.Rational(1, 4), 0,
                                                   sp.Rational(3, 4), sp.Rational(-1, 2)])
    G = gradient_matrix(default_network().as_float(), data.as_float())
    total = sum(sum(x * x for x in v["singular_values"]) for v in out["groups"].values())
    assert total == pytest.approx(float(np.sum(G**2)), rel=1e-12)
    assert main(["spectra", "--data", str(d), "--params", str(p), "--edges", "0", "--flow", "1",
                 "--steps", "3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["times"]) == 3 and out["losses"][-1] < out["losses"][0]
    assert main(["spectra", "--data", str(d), "--params", str(p), "--edges", "zero"]) == 2
