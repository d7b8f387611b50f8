"""Exact critical points and their classification (THEORY 2.4, 3.2, 3.3, 3.4)."""

from __future__ import annotations

import json
import zlib

import numpy as np
import pytest
import sympy as sp

import symspline
from symspline.critical import critical_points, inertia
from symspline.data import Dataset
from symspline.errors import DataError
from symspline.loss import pattern_loss
from symspline.params import Spline
from symspline.regions import locate, patterns

R = sp.Rational
DATA4 = Dataset.from_arrays([-1, 0, R(1, 2), 2], [1, 0, R(1, 2), -1])


@pytest.fixture(scope="module")
def report():
    return critical_points(DATA4, 2)


def test_inertia_exact():
    M = sp.Matrix([[2, 1, 0], [1, 2, 0], [0, 0, 0]])
    assert inertia(M).as_tuple() == (2, 0, 1)
    M = sp.Matrix([[0, 3], [3, 0]])
    assert inertia(M).as_tuple() == (1, 1, 0)
    rng = np.random.default_rng(0)
    A = rng.integers(-3, 4, size=(5, 5))
    S = sp.Matrix(A + A.T)
    ev = np.linalg.eigvalsh(np.array(S, dtype=float))
    assert inertia(S).as_tuple() == (int((ev > 1e-9).sum()), int((ev < -1e-9).sum()),
                                     int((abs(ev) <= 1e-9).sum()))


def test_every_point_is_an_exact_critical_point_inside_its_pattern(report):
    assert len(report.points) > 10
    for p in report.points:
        assert locate(p.spline, DATA4) == p.pattern  # breakpoints strictly inside the gaps
        g = symspline.gradient(p.spline, DATA4)
        assert g.is_zero_matrix
        assert symspline.loss(p.spline, DATA4) == p.loss


def test_classification_confirms_3_2_and_3_4(report):
    counts = report.counts()
    assert counts.get("strict saddle", 0) >= 1
    assert report.sylvester_ok and report.saddles_explained
    for p in report.points:
        Hs = symspline.hessian(p.spline, DATA4)
        if p.kind == "strict saddle":
            d = sp.Matrix(p.negative_direction)
            assert (d.T * Hs * d)[0] < 0
            i = next(i for i in range(2) if p.spline.mu[i] == 0 and p.rho[i] != 0)
            assert i in p.zero_units
            # Moving along the direction lowers the loss (exact, small step, same pattern).
            for t in (R(1, 10**3), R(-1, 10**3)):
                q = Spline.from_vector(list(sp.Matrix(p.spline.vector.tolist()) + t * d),
                                       p.spline.s)
                if locate(q, DATA4) == p.pattern:
                    assert pattern_loss(p.pattern, q, DATA4) < p.loss
        else:
            assert p.inertia_spline.neg == 0
            # 3.3 settled: no PSD point is a saddle; probe random exact perturbations.
            rng = np.random.default_rng(zlib.crc32(str(p.pattern).encode()))
            for _ in range(5):
                delta = [R(int(v), 10**4) for v in rng.integers(-9, 10, 5)]
                q = Spline.from_vector([a + b for a, b in zip(p.spline.vector, delta,
                                                                strict=True)], p.spline.s)
                if locate(q, DATA4) == p.pattern:
                    assert pattern_loss(p.pattern, q, DATA4) >= p.loss
    assert report.answer_3_3().startswith("no")


def test_width_one_matches_independent_solver():
    data = Dataset.from_arrays([-1, 0, 2], [1, -1, R(1, 2)])
    rep = critical_points(data, 1)
    found = {(str(p.pattern), tuple(p.spline.vector)) for p in rep.points if p.dimension == 0}
    # Independent: SymPy's polynomial solver on the pattern gradients.
    expected = set()
    for pat in patterns(1, data.n):
        sym = Spline.symbols(1, pat.s)
        L = pattern_loss(pat, sym, data)
        th = list(sym.vector)
        for sol in sp.solve([sp.diff(L, t) for t in th], th, dict=True):
            if len(sol) < 3 or any(v.free_symbols for v in sol.values()):
                continue  # families are compared by count below
            pt = Spline([sol[th[0]]], [sol[th[1]]], pat.s, sol[th[2]])
            lo, hi = data.gap(pat.k[0])
            if lo < pt.beta[0] < hi:
                expected.add((str(pat), tuple(pt.vector)))
    assert found and found == expected


def test_refuses_float_data_and_large_cases():
    with pytest.raises(DataError):
        critical_points(DATA4.as_float(), 2)
    with pytest.raises(symspline.SizeError):
        critical_points(Dataset.from_arrays(list(range(9)), [0] * 9), 2)


def test_cli_critical(tmp_path, capsys):
    from symspline.cli import main

    d = tmp_path / "d.csv"
    d.write_text("x,y\n-1,1\n0,0\n1/2,1/2\n2,-1\n")
    assert main(["critical", "--data", str(d), "--width", "2", "--json"]) == 0
    js = json.loads(capsys.readouterr().out)
    assert js["sylvester_ok"] and js["saddles_explained"] and js["H"] == 2 and js["N"] == 4
    kinds = {p["kind"] for p in js["points"]}
    assert "strict saddle" in kinds
    assert main(["critical", "--data", str(d), "--width", "2"]) == 0
    out = capsys.readouterr().out
    assert "THEORY 3.3" in out and "strict saddle" in out
    f = tmp_path / "f.csv"
    f.write_text("x,y\n0.5,1\n1.5,2\n")
    assert main(["critical", "--data", str(f), "--width", "1"]) == 2
