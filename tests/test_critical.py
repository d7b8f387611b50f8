"""Exact, complete critical points (issue 13): the example, exactness, classification, refusals, CLI.

The independent multistart check lives in tests/test_critical_independent.py.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from scipy.optimize import linprog as scipy_linprog

import symspline
from symspline.critical import critical_points, inertia, inertia_exact, simplex_max
from symspline.data import Dataset
from symspline.errors import DataError, ParameterError, SizeError
from symspline.params import Spline
from symspline.regions import locate

R = sp.Rational
#: The example of issue 13.
EX = Dataset.from_arrays([-2, -1, 0, 1, R(3, 2)], [0, 1, -1, R(1, 2), 2])
DATA4 = Dataset.from_arrays([-1, 0, R(1, 2), 2], [1, 0, R(1, 2), -1])
#: A data set with strict minima at H = 1 (inside a pattern and at a kink).
DATA5 = Dataset.from_arrays([-2, -1, 0, 1, 2], [1, -1, 2, 0, R(3, 2)])
SCHEMA = Path(__file__).resolve().parents[1] / "docs" / "schemas" / "critical.json"


@pytest.fixture(scope="module")
def ex2():
    return critical_points(EX, 2)


@pytest.fixture(scope="module")
def ex1():
    return critical_points(EX, 1)


def _satisfies(fam, spline: Spline) -> bool:
    """Whether a spline point satisfies a family's printed equalities and strict inequalities.

    Parses the library's own output strings (never user text) and substitutes the point.
    """
    H = len(fam.s)
    if tuple(spline.s) != tuple(fam.s):
        return False
    env = {f"beta{i + 1}": spline.beta[i] for i in range(H)}
    env.update({f"mu{i + 1}": spline.mu[i] for i in range(H)})
    env["c"] = spline.c
    syms = {k: sp.Symbol(k) for k in env}
    sub = {syms[k]: v for k, v in env.items()}
    for e in fam.equalities:
        lhs, rhs = e.split(" = ")
        if sp.sympify(lhs, locals=syms).subs(sub) != sp.sympify(rhs):
            return False
    for ineq in fam.inequalities:
        op = ">" if " > " in ineq else "<"
        lhs, rhs = ineq.split(f" {op} ")
        v = sp.sympify(lhs, locals=syms).subs(sub) - sp.sympify(rhs)
        if not (v > 0 if op == ">" else v < 0):
            return False
    return True


# ------------------------------------------------------------------ exact building blocks
def test_inertia_exact_and_charpoly_agree_with_numpy():
    assert inertia(sp.Matrix([[2, 1, 0], [1, 2, 0], [0, 0, 0]])).as_tuple() == (2, 0, 1)
    assert inertia_exact([[0, 3], [3, 0]]).as_tuple() == (1, 1, 0)
    rng = np.random.default_rng(0)
    for trial in range(40):
        n = int(rng.integers(2, 7))
        A = rng.integers(-3, 4, size=(n, n))
        S = A + A.T
        if trial % 3 == 0:
            np.fill_diagonal(S, 0)  # exercises the 2x2 pivots
        if trial % 4 == 0:
            S[:, 0] = S[0, :] = 0  # a zero eigenvalue
        ev = np.linalg.eigvalsh(S.astype(float))
        want = (int((ev > 1e-9).sum()), int((ev < -1e-9).sum()), int((abs(ev) <= 1e-9).sum()))
        assert inertia_exact(S.tolist()).as_tuple() == want
        assert inertia(sp.Matrix(S)).as_tuple() == want


def test_exact_simplex_matches_scipy_highs():
    rng = np.random.default_rng(1)
    seen = set()
    for _ in range(60):
        m, n = int(rng.integers(2, 6)), int(rng.integers(1, 4))
        A = rng.integers(-4, 5, size=(m, n))
        b = rng.integers(-3, 6, size=m)
        c = rng.integers(-3, 4, size=n)
        status, val, z = simplex_max([Fraction(int(v)) for v in c],
                                     [[Fraction(int(v)) for v in row] for row in A],
                                     [Fraction(int(v)) for v in b])
        ref = scipy_linprog(-c, A_ub=A, b_ub=b, bounds=[(0, None)] * n, method="highs")
        expect = {0: "optimal", 2: "infeasible", 3: "unbounded"}[ref.status]
        assert status == expect
        seen.add(status)
        if status == "optimal":
            assert float(val) == pytest.approx(-ref.fun, abs=1e-9)
            zf = np.array([float(v) for v in z])
            assert np.all(zf >= 0) and np.all(A @ zf <= b + 1e-12)
    assert seen == {"optimal", "infeasible", "unbounded"}


# ------------------------------------------------------------------ the example of issue 13
def test_issue_example_width_two(ex2):
    losses = {p.loss for p in ex2.families}
    assert R(1, 20) in losses and R(13, 60) in losses
    assert ex2.global_minimum == R(1, 20)
    # the issue's point lies in a listed local-minimum family (some order of the units)
    pt = Spline([R(-9, 10), R(9, 28)], [R(-5, 3), R(14, 3)], (1, 1), R(1, 2))
    hits = [f for f in ex2.points for q in (pt, Spline(pt.beta[::-1], pt.mu[::-1], (1, 1), pt.c))
            if _satisfies(f, q)]
    assert len(hits) == 1 and hits[0].loss == R(1, 20) and hits[0].kind.endswith("local minimum")
    assert hits[0].dimension == 1 and hits[0].multiplicity == 2
    assert symspline.loss(pt, EX) == R(1, 20)
    assert not ex2.undecided and ex2.answer_3_3().startswith("no")
    # a point of a different family does not satisfy it (the membership test can fail)
    assert not _satisfies(hits[0], Spline(pt.beta, [R(-5, 3), R(5)], (1, 1), pt.c))


def test_issue_example_width_one(ex1):
    pt = Spline([R(5, 4)], [R(15, 2)], (1,), R(1, 8))
    fam = [f for f in ex1.points if _satisfies(f, pt)]
    assert len(fam) == 1 and fam[0].loss == R(7, 32) and fam[0].dimension == 1
    assert ex1.global_minimum == min(p.loss for p in ex1.families
                                     if p.kind.endswith("local minimum"))


# ------------------------------------------------------------------ exactness of every family
def test_every_interior_point_is_exactly_critical(ex2):
    assert ex2.sylvester_ok and ex2.saddles_explained
    for p in ex2.points:
        assert locate(p.spline, EX) == p.pattern
        assert symspline.gradient(p.spline, EX).is_zero_matrix
        assert symspline.loss(p.spline, EX) == p.loss
        Hs = symspline.hessian(p.spline, EX)
        assert inertia(Hs).as_tuple() == p.inertia_spline.as_tuple()
        assert _satisfies(p, p.spline)
        if p.kind == "saddle":
            d = sp.Matrix(p.negative_direction)
            assert (d.T * Hs * d)[0] < 0


def test_every_kink_point_has_the_stated_one_sided_derivatives(ex2):
    assert len(ex2.kinks) > 0
    for p in ex2.kinks:
        g_left = symspline.gradient(p.spline, EX, side="left")
        g_right = symspline.gradient(p.spline, EX, side="right")
        H = len(p.s)
        kink_units = {i for i, pl in enumerate(p.place) if pl[0] == "point"}
        for a in range(2 * H + 1):
            if a not in kink_units:  # every other partial derivative vanishes on both sides
                assert g_left[a] == 0 and g_right[a] == 0
        for i, dl, dr in p.one_sided:
            assert (g_left[i], g_right[i]) == (dl, dr)
            assert min(dl, dr) <= 0 <= max(dl, dr)  # 0 in the Clarke subdifferential
            if p.kind.endswith("local minimum"):
                assert dl <= 0 <= dr
        assert symspline.loss(p.spline, EX) == p.loss
        assert _satisfies(p, p.spline)


def test_saddle_directions_lower_the_loss_and_minima_are_not_lowered(ex2):
    rng = np.random.default_rng(2)
    for p in ex2.families:
        theta = list(p.spline.vector)
        if p.kind == "saddle":
            d = list(p.negative_direction)
            t = R(1, 10**4)
            q = Spline.from_vector([a + t * b for a, b in zip(theta, d, strict=True)], p.s)
            assert symspline.loss(q, EX) < p.loss
        else:
            for _ in range(6):  # random exact perturbations never lower a local minimum
                delta = [R(int(v), 10**6) for v in rng.integers(-9, 10, len(theta))]
                q = Spline.from_vector([a + b for a, b in zip(theta, delta, strict=True)], p.s)
                if p.kind == "strict local minimum" and any(delta):
                    assert symspline.loss(q, EX) > p.loss
                else:
                    assert symspline.loss(q, EX) >= p.loss


def test_non_strict_kink_minima_come_with_an_equal_loss_witness(ex2):
    wit = [p for p in ex2.kinks if p.witness is not None]
    assert wit and all(p.kind == "non-strict local minimum" and p.dimension == 0 for p in wit)
    for p in wit:
        assert list(p.witness.vector) != list(p.spline.vector)
        assert symspline.loss(p.witness, EX) == p.loss
        # the midpoint in (mu, nu = mu beta, c) keeps the loss too (the segment is flat)
        H = len(p.s)
        mu = [(a + b) / 2 for a, b in zip(p.spline.mu, p.witness.mu, strict=True)]
        nu = [(a * b + c * d) / 2 for a, b, c, d in zip(p.spline.mu, p.spline.beta, p.witness.mu,
                                                          p.witness.beta, strict=True)]
        mid = Spline([nu[i] / mu[i] for i in range(H)], mu, p.s, (p.spline.c + p.witness.c) / 2)
        assert symspline.loss(mid, EX) == p.loss
    # strict ones have none, and moving the witness off the segment changes the loss
    assert all(p.witness is None for p in ex2.families if p.kind != "non-strict local minimum")
    q = wit[0].witness
    assert symspline.loss(Spline(q.beta, q.mu, q.s, q.c + R(1, 10)), EX) != wit[0].loss


def test_the_perturbation_probe_can_fail(ex2):
    """The probe above does see descent: it lowers the loss at every interior saddle."""
    saddle = next(p for p in ex2.points if p.kind == "saddle")
    d = list(saddle.negative_direction)
    theta = list(saddle.spline.vector)
    q = Spline.from_vector([a + R(1, 10**4) * b for a, b in zip(theta, d, strict=True)],
                           saddle.s)
    assert symspline.loss(q, EX) < saddle.loss
    # and a non-critical point of a family's pattern has a non-zero gradient
    moved = Spline.from_vector([theta[0] + R(1, 100)] + theta[1:], saddle.s)
    assert not symspline.gradient(moved, EX).is_zero_matrix


def test_multiplicities_and_showcase():
    rep = critical_points(DATA4, 2)
    for p in rep.families:
        states = {(s, pl, g) for s, pl, g in zip(p.s, p.place, p.signs, strict=True)}
        assert p.multiplicity == (1 if len(states) == 1 else 2)
    assert rep.answer_3_3().startswith("no") and rep.sylvester_ok and rep.saddles_explained
    assert rep.counts().get("saddle", 0) >= 1


@pytest.mark.parametrize("data", [DATA5, EX])
def test_strict_minima_rise_in_every_probed_direction(data):
    """Strict minima at kinks (DATA5) and inside a pattern (EX): exact probes strictly rise."""
    rep = critical_points(data, 1)
    strict = [p for p in rep.families if p.kind == "strict local minimum"]
    assert strict and any(p.at_kink for p in strict) == (data is DATA5)
    rng = np.random.default_rng(3)
    for p in strict:
        theta = list(p.spline.vector)
        for _ in range(10):
            delta = [R(int(v), 10**6) for v in rng.integers(-9, 10, len(theta))]
            if any(delta):
                q = Spline.from_vector([a + b for a, b in zip(theta, delta, strict=True)], p.s)
                assert symspline.loss(q, data) > p.loss


def test_progress_callback_counts_cells():
    calls = []
    rep = critical_points(DATA4, 1, progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (rep.cells, rep.cells)
    assert [d for d, _ in calls] == list(range(1, rep.cells + 1))


# ------------------------------------------------------------------ refusals
def test_refuses_float_data_bad_width_and_large_cases():
    with pytest.raises(DataError):
        critical_points(EX.as_float(), 2)
    with pytest.raises(ParameterError):
        critical_points(EX, 0)
    with pytest.raises(SizeError, match=r"about \d+ s"):
        critical_points(Dataset.from_arrays(list(range(9)), [0] * 9), 2)
    with pytest.raises(SizeError, match="patterns"):
        critical_points(Dataset.from_arrays(list(range(6)), [0] * 6), 3)
    with pytest.raises(SizeError):
        critical_points(EX, 4)


# ------------------------------------------------------------------ CLI
def test_cli_critical_json_follows_its_schema(tmp_path, capsys):
    import jsonschema

    from symspline.cli import main

    d = tmp_path / "d.csv"
    d.write_text("x,y\n-2,0\n-1,1\n0,-1\n1,1/2\n3/2,2\n")
    assert main(["critical", "--data", str(d), "--width", "2", "--json"]) == 0
    js = json.loads(capsys.readouterr().out)
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(js)
    assert js["ok"] and js["command"] == "critical" and js["global_minimum_exact"] == "1/20"
    assert {"1/20", "13/60"} <= {f["loss_exact"] for f in js["families"]}
    assert js["kinks"] and js["complete"]

    def walk(v: object) -> None:  # docs/json.md: twins, nulls with reasons, counting from 1
        if isinstance(v, dict):
            for k, u in v.items():
                assert u is not None or f"{k}_reason" in v, k
                assert not k.endswith("_exact") or k[:-6] in v, k
                assert k not in ("unit", "point") or (isinstance(u, int) and u >= 1), (k, u)
                walk(u)
        elif isinstance(v, list):
            for u in v:
                walk(u)

    walk(js)
    bad = dict(js, families=[dict(js["families"][0], loss="1/20")])
    with pytest.raises(jsonschema.ValidationError):  # the schema can fail
        jsonschema.Draft202012Validator(schema).validate(bad)
    assert main(["critical", "--data", str(d), "--width", "2"]) == 0
    out = capsys.readouterr().out
    assert "global minimum L = 1/20" in out and "theory §3.3" in out and "undecided: nothing" in out
    f = tmp_path / "f.csv"
    f.write_text("x,y\n0.5,1\n1.5,2\n")
    assert main(["critical", "--data", str(f), "--width", "1"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_cli_exits_one_with_ok_false_when_a_check_fails(tmp_path, capsys, monkeypatch):
    import symspline.critical as crit
    from symspline.cli import main

    d = tmp_path / "d.csv"
    d.write_text("x,y\n-1,1\n0,0\n1/2,1/2\n2,-1\n")
    monkeypatch.setattr(crit.CriticalReport, "sylvester_ok", property(lambda self: False))
    assert main(["critical", "--data", str(d), "--width", "1", "--json"]) == 1
    js = json.loads(capsys.readouterr().out)
    assert js["ok"] is False and js["sylvester_ok"] is False
    assert main(["critical", "--data", str(d), "--width", "1"]) == 1
    assert "VIOLATED" in capsys.readouterr().out
