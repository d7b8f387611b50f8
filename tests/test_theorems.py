"""The theorem checker: general and exhaustive proofs, and refutation of deliberately false statements."""

from __future__ import annotations

import json

import numpy as np
import pytest
import sympy as sp

import symspline
from symspline.data import Dataset
from symspline.errors import UnknownNameError
from symspline.params import Spline
from symspline.theorems import catalogue, get, prove
from symspline.theorems import general as g

TRUE = ["1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "2.4", "3.1", "3.2", "3.3", "3.4"]
FALSE = ["false.kink-sign", "false.R-psd", "false.dbeta-factor"]


def test_catalogue_contents():
    cat = catalogue()
    assert set(TRUE + FALSE) <= set(cat)
    for name, th in cat.items():
        assert th.name == name and th.statement and th.latex
        assert "\n" not in th.statement
        assert th.expected_false == name.startswith("false.")
    with pytest.raises(UnknownNameError):
        get("9.9")


@pytest.mark.parametrize("name", TRUE)
def test_general_level(name):
    res = prove(get(name))
    assert res.level == "general" and res.ok and res.counterexample is None


@pytest.mark.parametrize("name", TRUE)
def test_exhaustive_level_at_H2_N3(name):
    res = prove(get(name), 2, 3, strategies=("exhaustive",))
    assert res.level == "exhaustive", res.attempts
    assert "64 patterns" in res.detail


def test_general_machinery_rejects_a_false_identity():
    # dL/dbeta without the orientation factor is true for s = +1 only: the template must notice.
    ok, detail = get("false.dbeta-factor").general()
    assert not ok and "s = " in detail
    t = g.Template("spline", (1, 1))
    assert g.identity(t.d(t["c"]), g.S(t.r) / g.N)
    assert not g.identity(t.d(t["c"]), 2 * g.S(t.r) / g.N)
    assert g.kink_jump(1, 1) == (True, True) and g.kink_jump(-1, 1) == (True, True)
    assert not g.kink_jump(1, -1)[0] and not g.kink_jump(-1, -1)[0]
    ok, _ = get("false.kink-sign").general()
    assert not ok


def _data(cex):
    return Dataset.from_arrays([sp.Rational(v) for v in cex.data_x],
                               [sp.Rational(v) for v in cex.data_y])


def _spline(cex):
    p = cex.params
    H = sum(1 for k in p if k.startswith("beta"))
    s = tuple(-1 if part.startswith("-") else 1 for part in cex.pattern[8:-1].split(", "))
    return Spline([sp.Rational(p[f"beta{i}"]) for i in range(1, H + 1)],
                  [sp.Rational(p[f"mu{i}"]) for i in range(1, H + 1)], s, sp.Rational(p["c"]))


@pytest.mark.parametrize("name", FALSE)
def test_false_statements_are_refuted_with_checked_counterexamples(name):
    res = prove(get(name), 2, 3)
    assert res.level == "refuted" and res.ok and res.counterexample is not None
    cex = res.counterexample
    data, spl = _data(cex), _spline(cex)
    N, H = data.n, spl.H
    # Re-check the counterexample independently of the prover, with the public API.
    if name == "false.R-psd":
        _, _, R = symspline.hessian(spl, data, parts=True)
        assert min(np.linalg.eigvalsh(np.array(R, dtype=float))) < 0
    elif name == "false.dbeta-factor":
        grad = symspline.gradient(spl, data)
        r = [f - y for f, y in zip(spl(data.x), data.y, strict=True)]
        pat = symspline.locate(spl, data)
        claims = [-spl.mu[i] * sum(r[n] for n in pat.active(i)) / N for i in range(H)]
        assert any(grad[i] != claims[i] for i in range(H))
    else:
        # Move the failing unit's breakpoint onto the data point named in the detail.
        i = int(cex.detail.split("dL/dbeta")[1][0]) - 1
        m = int(cex.detail.split(" at x")[1].split(" ")[0]) - 1
        beta = list(spl.beta)
        beta[i] = data.x[m]
        on = Spline(beta, spl.mu, spl.s, spl.c)
        jump = (symspline.gradient(on, data, side="right")[i]
                - symspline.gradient(on, data, side="left")[i])
        r_m = on(data.x[m]) - data.y[m]
        assert jump == on.mu[i] * r_m / N != -on.mu[i] * r_m / N


def test_exhaustive_with_an_executor():
    from concurrent.futures import ThreadPoolExecutor

    seen = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        res = prove(get("3.2"), 2, 2, strategies=("exhaustive",), executor=pool,
                    progress=lambda done, total: seen.append((done, total)))
        assert res.level == "exhaustive" and seen[-1] == (36, 36)
        bad = prove(get("false.dbeta-factor"), 2, 2, strategies=("exhaustive",), executor=pool)
        assert bad.level == "refuted" and bad.counterexample is not None


def test_tested_level_is_not_a_proof():
    res = prove(get("3.2"), 2, 4, strategies=("numeric",), trials=8, seed=3)
    # A sampled check is "tested": ok (not contradicted), never proved, never labelled a proof.
    assert res.level == "tested" and res.ok and not res.proved
    assert res.label == "tested (8 points, no counterexample)" and "proved" not in res.label
    d = res.as_dict()
    assert d["level"] == "tested" and d["proved"] is False and d["counterexample"] is None
    assert d["H"] == 2 and d["points"] == 8
    assert prove(get("3.2"), 2, 4, strategies=("tested",), trials=2).level == "tested"
    res = prove(get("false.R-psd"), 2, 3, strategies=("numeric",), trials=20)
    assert res.level == "refuted" and res.as_dict()["counterexample"]["params"]


def test_cli_prove(cli):
    code, out, _ = cli("prove", "3.1", "--json")
    assert code == 0 and json.loads(out)["level"] == "general"
    code, out, _ = cli("prove", "false.kink-sign")
    assert code == 0 and "refuted" in out and "counterexample" in out
    code, out, _ = cli("prove", "2.3", "--H", "1", "--N", "2", "--level", "exhaustive", "--json")
    js = json.loads(out)
    assert code == 0 and js["level"] == "exhaustive" and js["H"] == 1 and js["N"] == 2
    code, _, err = cli("prove", "nope")
    assert code == 2 and "unknown theorem" in err
    code, _, err = cli("prove", "2.2", "--H", "0")
    assert code == 2
    # A deliberately false statement restricted to a strategy that cannot refute it fails (1).
    code, _, err = cli("prove", "false.R-psd", "--level", "general")
    assert code == 1 and "check failed" in err


def test_user_theorem_inequalities_decided_not_sampled():
    # The examples through the Theorem API: a bound that fails only outside the box of
    # the small random points (|mu| <= 3) is refuted, a true inequality is certified exactly.
    from symspline.theorems import Obligation, Theorem

    def bound(inst):
        return [Obligation("100 - mu1^2", 100 - inst.params.mu[0] ** 2, "nonneg")]

    def loss_nonneg(inst):
        return [Obligation("L", inst.loss, "nonneg")]

    def check(point):
        return None if point.params.mu[0] ** 2 <= 100 else f"mu1^2 = {point.params.mu[0] ** 2}"

    bad = prove(Theorem("user.bound", "mu1^2 <= 100", "", obligations=bound, check=check), 1, 3)
    assert bad.level == "refuted" and bad.counterexample is not None
    assert sp.Rational(bad.counterexample.params["mu1"]) ** 2 > 100
    good = prove(Theorem("user.L", "L >= 0", "", obligations=loss_nonneg), 1, 3)
    assert good.level == "exhaustive" and good.proved
    # The tested level alone rescales half of its points: it refutes the bound too.
    only = prove(Theorem("user.bound", "mu1^2 <= 100", "", check=check), 2, 3, trials=20)
    assert only.level == "refuted"
