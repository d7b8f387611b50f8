"""Gradient flow of the two new models: the leaky ReLU (negative_slope = alpha) and weight decay
(objective L + (lambda/2)||theta||^2), in the network and the quotient parameterization.

Laws checked (docs/flow.md, "Weight decay and leaky ReLU"):
* the field is -grad (L + (lambda/2)||theta||^2), against torch autodiff of nn.LeakyReLU and against
  scipy's integrator on an independently written numpy gradient;
* balances delta_i = v_i^2 - w_i^2 - b_i^2 are conserved for the leaky ReLU and decay as
  delta_i(0) exp(-2 lambda t) with weight decay (and the rate exp(-lambda t) is refuted);
* the quotient flow (beta, mu, c; delta(t)) gives the same function as the network flow;
* the objective is non-increasing along both flows.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from symspline.data import Dataset
from symspline.defaults import default_dataset, default_network
from symspline.errors import ParameterError
from symspline.flow import NetworkSystem, QuotientSystem, flow
from symspline.flow.proofs import numeric_balance_decay, prove_models
from symspline.params import Network

ALPHA, LAM = 0.2, 0.05
TOL = {"rtol": 1e-10, "atol": 1e-12}
GRID = np.linspace(-4.0, 4.0, 401)


def _objective(theta: np.ndarray, x: np.ndarray, y: np.ndarray, H: int, alpha: float,
               lam: float) -> float:
    """(1/2N) sum (c + sum_i v_i max(z, alpha z) - y)^2 + (lam/2)||theta||^2, z = w x + b,
    written here independently of the library."""
    w, b, v, c = theta[:H], theta[H:2 * H], theta[2 * H:3 * H], theta[3 * H]
    z = np.outer(x, w) + b
    f = c + (np.maximum(z, alpha * z) * v).sum(axis=1)
    return 0.5 * float(np.mean((f - y) ** 2)) + 0.5 * lam * float(theta @ theta)


def _gradient(theta: np.ndarray, x: np.ndarray, y: np.ndarray, H: int, alpha: float,
              lam: float) -> np.ndarray:
    """Its gradient by hand (sigma'(z) = 1 for z > 0, alpha otherwise)."""
    w, b, v, c = theta[:H], theta[H:2 * H], theta[2 * H:3 * H], theta[3 * H]
    z = np.outer(x, w) + b
    r = c + (np.maximum(z, alpha * z) * v).sum(axis=1) - y
    gain = np.where(z > 0, 1.0, alpha)
    n = x.size
    gw = v * ((r[:, None] * gain * x[:, None]).sum(axis=0)) / n
    gb = v * ((r[:, None] * gain).sum(axis=0)) / n
    gv = (r[:, None] * np.maximum(z, alpha * z)).sum(axis=0) / n
    return np.concatenate([gw, gb, gv, [r.sum() / n]]) + lam * theta


def _default(alpha: float) -> tuple[Dataset, Network]:
    n0 = default_network().as_float()
    return default_dataset().as_float(), Network(n0.w, n0.b, n0.v, n0.c, alpha)


def _random(seed: int, H: int = 4, n: int = 7, alpha: float = ALPHA) -> tuple[Dataset, Network]:
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-2, 2, n))
    return (Dataset.from_arrays(x, np.sin(2 * x)),
            Network(rng.normal(size=H), rng.normal(size=H), rng.normal(size=H), 0.0, alpha))


# ------------------------------------------------------------------------------- the field
def test_field_matches_torch_autodiff() -> None:
    """theta' = -grad(L + lam/2 |theta|^2) of torch's nn.LeakyReLU network (float64) to 1e-12
    relative, in both parameterizations (the quotient field against the chain rule of the
    network one, (beta, mu)' = d(beta, mu)/d theta . theta', relative to 1 + |rate|)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(17)
    H, n = 5, 9
    x = np.sort(rng.uniform(-2, 2, n))
    y = rng.normal(size=n)
    data = Dataset.from_arrays(x, y)
    xt, yt = torch.tensor(x)[:, None], torch.tensor(y)
    act = torch.nn.LeakyReLU(ALPHA)

    def objective(th):  # noqa: ANN001, ANN202
        w, b, v, c = th[:H], th[H:2 * H], th[2 * H:3 * H], th[3 * H]
        f = c + (act(xt * w + b) * v).sum(dim=1)
        return 0.5 * ((f - yt) ** 2).mean() + 0.5 * LAM * (th * th).sum()

    def knots(th):  # noqa: ANN001, ANN202
        w, b, v = th[:H], th[H:2 * H], th[2 * H:3 * H]
        return torch.cat([-b / w, v * w.abs(), th[3 * H:]])

    worst_net = worst_quot = 0.0
    for _ in range(4):
        theta = rng.normal(size=3 * H + 1)
        th = torch.tensor(theta, requires_grad=True)
        grad = torch.autograd.grad(objective(th), th)[0].numpy()
        system = NetworkSystem(data, H, alpha=ALPHA, weight_decay=LAM)
        field = system.rhs(theta, system.initial_pattern(theta))
        worst_net = max(worst_net, float(np.max(np.abs(field + grad)) / np.max(np.abs(grad))))
        jac = torch.autograd.functional.jacobian(knots, torch.tensor(theta)).numpy()
        want = jac @ (-grad)  # (beta, mu, c)'
        net = Network.from_vector(theta, H, negative_slope=ALPHA)
        sp_ = net.to_spline()
        q = QuotientSystem(data, H, alpha=ALPHA, weight_decay=LAM,
                           s=np.asarray(sp_.s, dtype=float), delta=net.balance)
        yq = np.append(sp_.vector, 0.0)  # (the clock t = 0)
        got = q.rhs(yq, q.initial_pattern(yq))
        assert got[-1] == 1.0  # the clock
        worst_quot = max(worst_quot, float(np.max(np.abs(got[:-1] - want) / (1 + np.abs(want)))))
        # the flow's lines are the protocol's (P_i + Q_i x): Network.unit_lines
        P, Q = net.unit_lines()
        a, g, _ = system.lines(theta)
        assert np.array_equal(a, Q) and np.array_equal(g, P)
        P, Q = sp_.unit_lines()
        a, g, _ = q.lines(yq)
        assert np.allclose(a, Q, rtol=1e-15, atol=0) and np.allclose(g, P, rtol=1e-14, atol=0)
        # the checker can fail: the ReLU field is not the leaky one
        relu = NetworkSystem(data, H, weight_decay=LAM)
        assert np.max(np.abs(relu.rhs(theta, relu.initial_pattern(theta)) + grad)) > 1e-3
    assert worst_net < 1e-12
    assert worst_quot < 1e-12  # (relative to 1 + |rate|)


def test_against_an_independent_integrator() -> None:
    """Three crossings, no capture (alpha = 0.2, lambda = 0.1, t = 4): the event-driven flow
    ends where scipy's DOP853 on the hand-written discontinuous gradient ends (1e-9; the
    reference steps over each kink with its own error control)."""
    data, net = _random(11)
    T, lam = 4.0, 0.1
    res = flow(net, data, T, weight_decay=lam, **TOL)
    assert [e.kind for e in res.events] == ["cross"] * 3
    ref = solve_ivp(lambda _t, th: -_gradient(th, data.x, data.y, net.H, ALPHA, lam), (0, T),
                    net.vector, method="DOP853", rtol=1e-12, atol=1e-14)
    assert ref.success
    assert np.max(np.abs(res.y[-1] - ref.y[:, -1])) < 1e-9
    # the checker can fail: the ReLU reference ends elsewhere
    bad = solve_ivp(lambda _t, th: -_gradient(th, data.x, data.y, net.H, 0.0, lam), (0, T),
                    net.vector, method="DOP853", rtol=1e-10, atol=1e-12)
    assert np.max(np.abs(res.y[-1] - bad.y[:, -1])) > 1e-3


# -------------------------------------------------------------------------- leaky balances
def test_leaky_flow_conserves_balances_and_quotient_agrees() -> None:
    """alpha = 0.2 on the default problem to t = 30 (a crossing and a capture): balances drift
    < 1e-8, and the quotient flow gives the same function (< 1e-8 on a grid) and network."""
    data, net = _default(ALPHA)
    rn = flow(net, data, 30.0, **TOL)
    rq = flow(net, data, 30.0, param="spline", **TOL)
    assert any(e.kind == "capture" for e in rn.events)
    assert rn.params_at().negative_slope == ALPHA and rq.params_at().negative_slope == ALPHA
    drift = numeric_balance_decay(rn)  # lambda = 0: relative drift from delta(0)
    assert drift < 1e-8
    assert np.max(np.abs(rn.params_at()(GRID) - rq.params_at()(GRID))) < 1e-8
    assert np.max(np.abs(rn.network_at().vector - rq.network_at().vector)) < 1e-7
    assert [e.kind for e in rn.events] == [e.kind for e in rq.events]


# ------------------------------------------------------------------------------- decay law
@pytest.mark.parametrize("alpha", [0.0, ALPHA])
def test_decay_law_of_the_balances(alpha: float) -> None:
    """delta_i(t) = delta_i(0) exp(-2 lambda t) along the network flow to 1e-8 relative (t = 30,
    captures and a release included); exp(-lambda t) is refuted by far more than that."""
    data, net = _default(alpha)
    res = flow(net, data, 30.0, weight_decay=LAM, t_eval=np.linspace(0, 30, 61), **TOL)
    assert res.weight_decay == LAM
    err = numeric_balance_decay(res)
    assert err < 1e-8
    d = np.array([res.params_at(k).balance for k in range(res.t.size)])
    wrong = d[0] * np.exp(-LAM * res.t)[:, None]
    assert np.max(np.abs(d - wrong) / np.maximum(np.abs(d[0]), 1.0)) > 1e4 * max(err, 1e-12)
    # balance_at reads the state (network) / applies the law (quotient): the same numbers
    rq = flow(net, data, 30.0, param="spline", weight_decay=LAM, **TOL)
    assert np.max(np.abs(res.balance_at(-1) - rq.balance_at(-1))) < 1e-8


def test_quotient_flow_with_decay_agrees() -> None:
    """alpha = 0.2, lambda = 0.05 (three captures, a release): network and quotient flows agree
    in function space (< 1e-8) and as networks (< 1e-7) at t = 30 with DOP853 (cut at every
    event, rtol 1e-10), and with the carrying RK45 (rtol 1e-9: < 1e-8) and RKC (rtol 1e-7:
    < 1e-5), with the same events."""
    data, net = _default(ALPHA)
    rn = flow(net, data, 30.0, weight_decay=LAM, **TOL)
    kinds = [e.kind for e in rn.events]
    assert "capture" in kinds and "release" in kinds
    rq = flow(net, data, 30.0, param="spline", weight_decay=LAM, **TOL)
    assert np.max(np.abs(rn.params_at()(GRID) - rq.params_at()(GRID))) < 1e-8
    assert np.max(np.abs(rn.network_at().vector - rq.network_at().vector)) < 1e-7
    for method, tol, bound in (("RK45", 1e-9, 1e-8), ("RKC", 1e-7, 1e-5)):
        for param in ("network", "spline"):
            r = flow(net, data, 30.0, param=param, weight_decay=LAM, method=method,
                     rtol=tol, atol=1e-2 * tol)
            assert [e.kind for e in r.events] == kinds
            assert np.max(np.abs(rn.params_at()(GRID) - r.params_at()(GRID))) < bound
    # the checker can fail: the quotient flow without decay ends elsewhere
    r0 = flow(net, data, 30.0, param="spline", **TOL)
    assert np.max(np.abs(rn.params_at()(GRID) - r0.params_at()(GRID))) > 1e-2


@pytest.mark.parametrize("method", ["Radau", "BDF", "LSODA"])
def test_stiff_solvers_with_both_models(method: str) -> None:
    """SciPy's stiff solvers (Newton steps with the Jacobian -(Hess L + lambda I) of the leaky
    model for the network, differences for the quotient) give the DOP853 function to 1e-7 at
    rtol 1e-8 (measured 7e-11 .. 9e-9), with the same events. (LSODA failed at its first event
    before: it has no ``h_abs``.)"""
    data, net = _default(ALPHA)
    ref = flow(net, data, 30.0, weight_decay=LAM, **TOL)
    for param in ("network", "spline"):
        r = flow(net, data, 30.0, param=param, weight_decay=LAM, method=method, rtol=1e-8,
                 atol=1e-10)
        assert [e.kind for e in r.events] == [e.kind for e in ref.events]
        assert np.max(np.abs(ref.params_at()(GRID) - r.params_at()(GRID))) < 1e-7


# --------------------------------------------------------------------------- Lyapunov
@pytest.mark.parametrize("param", ["network", "spline"])
def test_objective_is_non_increasing(param: str) -> None:
    """L + (lambda/2)||theta||^2 (the independent numpy objective, at the network state; for the
    quotient flow at its representative with delta(t)) never rises by more than 1e-12 relative
    between 121 output times, through captures and releases, and falls overall."""
    data, net = _default(ALPHA)
    res = flow(net, data, 30.0, param=param, weight_decay=LAM,
               t_eval=np.linspace(0, 30, 121), **TOL)
    obj = np.array([_objective(res.network_at(k).vector, data.x, data.y, net.H, ALPHA, LAM)
                    for k in range(res.t.size)])
    assert np.max(np.diff(obj)) <= 1e-12 * obj[0]
    assert obj[-1] < 0.5 * obj[0]
    # the animation's objective (frames "by loss") is the same quantity
    from symspline.flow.animate import frame_rows, objectives

    assert np.max(np.abs(objectives(res, data) - obj)) < 1e-12 * obj[0]
    rows = frame_rows(res, data, 6, by="loss")
    assert rows[0] == 0 and np.all(np.diff(rows) > 0)
    # the checker can fail: with the penalty's sign flipped the same states are not monotone
    up = np.array([_objective(res.network_at(k).vector, data.x, data.y, net.H, ALPHA, -LAM)
                   for k in range(res.t.size)])
    assert np.max(np.diff(up)) > 0


# ------------------------------------------------------------------------------- symbolic
def test_symbolic_laws() -> None:
    """prove_models: the decay law and the quotient flow with decay are general; the rate
    lambda (instead of 2 lambda) is refuted."""
    law, quot, wrong = prove_models()
    assert law.level == "general" and quot.level == "general"
    assert wrong.level == "refuted" and wrong.expected_false


def test_bad_weight_decay_is_refused() -> None:
    data, net = _default(ALPHA)
    for bad in (-0.1, float("nan"), float("inf")):
        with pytest.raises(ParameterError):
            flow(net, data, 1.0, weight_decay=bad)


# ------------------------------------------------------------------------------------ CLI
def test_cli_weight_decay_and_negative_slope(tmp_path, cli, monkeypatch) -> None:  # noqa: ANN001
    from symspline.io import write_data, write_params

    data, net = _default(0.0)
    write_data(tmp_path / "d.csv", data)
    write_params(tmp_path / "p.json", net)
    monkeypatch.chdir(tmp_path)
    base = ["flow", "--data", "d.csv", "--params", "p.json", "--time", "5", "--no-progress"]
    for param in ("network", "spline"):
        ok = cli(*base, "--weight-decay", "0.1", "--negative-slope", "0.2", "--param", param,
                 "--json")
        assert ok.returncode == 0, ok.stderr
        js = json.loads(ok.stdout)
        assert js["negative_slope"] == 0.2 and js["weight_decay"] == 0.1
        assert js["final"]["network"]["negative_slope"] == 0.2
        law = np.asarray(js["balance_initial"]) * np.exp(-2 * 0.1 * 5)
        assert np.allclose(js["balance_final"], law, rtol=1e-7, atol=1e-9)
        assert js["objective_final"] < js["objective_initial"]
    text = cli(*base, "--weight-decay", "0.1", "--negative-slope", "0.2")
    assert text.returncode == 0 and "exp(-2 lambda T)" in text.stdout and "alpha = 0.2" in text.stdout
    for flag, value in (("--weight-decay", "-1"), ("--weight-decay", "abc"),
                        ("--negative-slope", "1"), ("--negative-slope", "-0.5")):
        bad = cli(*base, flag, value)
        assert bad.returncode == 2, (flag, value, bad.stderr)
        assert bad.stderr.count("\n") == 1 and flag in bad.stderr, bad.stderr
    # one subprocess: the installed entry point takes the options
    sub = subprocess.run([sys.executable, "-m", "symspline", *base, "--weight-decay", "0.1",
                          "--negative-slope", "0.2", "--json"], capture_output=True, text=True,
                         cwd=tmp_path)
    assert sub.returncode == 0, sub.stderr
    assert json.loads(sub.stdout)["weight_decay"] == 0.1
