"""Both new models against torch autodiff in float64 (issue 17, "done when").

The references are built in torch independently of symspline's formulas:

- a leaky network is an ``nn.Sequential(Linear(1, H), LeakyReLU(alpha), Linear(H, 1))`` in float64,
  its loss (1/2N) sum_n (f(x_n) - y_n)^2 written with torch operations, and weight decay
  (lambda/2) ||theta||^2 over all 3H + 1 parameters (c included, as torch.optim does);
- a leaky spline is the torch function c + sum_i mu_i leaky_relu(s_i (x - beta_i), alpha) of
  (beta, mu, c), and its weight decay is the orbit-reduced penalty
  lambda sum_i |mu_i| sqrt(1 + beta_i^2) + lambda c^2 / 2 written in torch.

Gradients come from ``torch.autograd.grad`` and Hessians from ``torch.autograd.functional.hessian``;
symspline is asked through its public API (``symspline.loss``/``gradient``/``hessian`` with
``weight_decay=``, and ``symspline.evaluate``), with float and with exact input (exact answers
are rounded to float for the comparison; torch sees the same numbers rounded once). Agreement is
required to 1e-12 relative to the size of the quantity (its largest entry), and a check with the
wrong slope or without the penalty shows the comparison can fail.

Skips only when torch is not installed (``pip install torch==2.13.0``).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

import symspline
from symspline import Network, Spline
from symspline.data import Dataset

torch = pytest.importorskip("torch")

TOL = 1e-12
F64 = torch.float64


# ------------------------------------------------------------------ random problems
def _exact(rng: np.random.Generator, size: int, den: int = 7) -> list[sp.Rational]:
    return [sp.Rational(int(rng.integers(-24, 25)), int(rng.integers(1, den + 1)))
            for _ in range(size)]


def _nonzero_exact(rng: np.random.Generator, size: int) -> list[sp.Rational]:
    out = _exact(rng, size)
    return [v if v != 0 else sp.Rational(1, 3) for v in out]


def _problem(seed: int, *, exact: bool, param: str):
    """(params, data, alpha, lam) with H in 1..6, N in 3..12 and no breakpoint on a sample.

    alpha is 0 (ReLU) for a quarter of the seeds and in (0, 1) otherwise; lambda is 0 for a
    quarter and positive otherwise, so every combination of the two models occurs.
    """
    rng = np.random.default_rng(1000 + seed)
    H, N = int(rng.integers(1, 7)), int(rng.integers(3, 13))
    for _ in range(100):
        if exact:
            alpha = sp.Integer(0) if seed % 4 == 0 else sp.Rational(int(rng.integers(1, 10)),
                                                                    int(rng.integers(10, 21)))
            lam = sp.Integer(0) if seed % 4 == 1 else sp.Rational(int(rng.integers(1, 9)), 13)
            x = sorted(set(_exact(rng, N, den=5)))
            y = _exact(rng, len(x))
            if param == "network":
                w, b, v = _nonzero_exact(rng, H), _exact(rng, H), _exact(rng, H)
                c = _exact(rng, 1)[0]
                params = Network(w, b, v, c, negative_slope=alpha)
            else:
                beta, mu, c = _exact(rng, H), _nonzero_exact(rng, H), _exact(rng, 1)[0]
                s = tuple(int(v) for v in rng.choice([-1, 1], size=H))
                params = Spline(beta, mu, s, c, negative_slope=alpha)
            data = Dataset.from_arrays(x, y)
        else:
            alpha = 0.0 if seed % 4 == 0 else float(rng.uniform(0.01, 0.9))
            lam = 0.0 if seed % 4 == 1 else float(rng.uniform(0.01, 2.0))
            x = np.sort(rng.normal(size=N) * 2.0)
            y = rng.normal(size=N)
            if param == "network":
                w, b, v = rng.normal(size=(3, H))
                params = Network(w, b, v, float(rng.normal()), negative_slope=alpha)
            else:
                beta, mu = rng.normal(size=H) * 1.5, rng.normal(size=H)
                s = tuple(int(v) for v in rng.choice([-1, 1], size=H))
                params = Spline(beta, mu, s, float(rng.normal()), negative_slope=alpha)
            data = Dataset.from_arrays(x, y)
        beta = params.knots()[0] if param == "spline" else \
            [-bi / wi for wi, bi in zip(params.w, params.b, strict=True)]
        gap = min(abs(float(bt) - float(xn)) for bt in beta for xn in data.x)
        if gap > (0 if exact else 1e-6):  # exact: not on a sample; float: clearly off one
            return params, data, alpha, lam
    raise AssertionError("no kink-free problem drawn")


# ------------------------------------------------------------------ torch references
def _t(values: object) -> torch.Tensor:
    return torch.tensor([float(v) for v in np.ravel(np.asarray(values, dtype=object))],
                        dtype=F64)


def _network_objective(net: Network, data: Dataset, alpha: float, lam: float):
    """theta -> (1/2N) sum (f - y)^2 + (lam/2)||theta||^2 with f an nn.Sequential with
    nn.LeakyReLU(alpha) (nn.ReLU for alpha = 0), parameters loaded from theta."""
    H = net.H
    act = torch.nn.LeakyReLU(alpha) if alpha else torch.nn.ReLU()
    model = torch.nn.Sequential(torch.nn.Linear(1, H), act, torch.nn.Linear(H, 1)).to(F64)
    x, y = _t(data.x)[:, None], _t(data.y)
    n = x.shape[0]

    def objective(theta: torch.Tensor) -> torch.Tensor:
        weights = {"0.weight": theta[:H].reshape(H, 1), "0.bias": theta[H:2 * H],
                   "2.weight": theta[2 * H:3 * H].reshape(1, H), "2.bias": theta[3 * H:]}
        f = torch.func.functional_call(model, weights, (x,))[:, 0]
        return ((f - y) ** 2).sum() / (2 * n) + lam / 2 * (theta ** 2).sum()

    def outputs(theta: torch.Tensor) -> torch.Tensor:  # f(x_n) - y_n, for the Gauss-Newton part
        weights = {"0.weight": theta[:H].reshape(H, 1), "0.bias": theta[H:2 * H],
                   "2.weight": theta[2 * H:3 * H].reshape(1, H), "2.bias": theta[3 * H:]}
        return torch.func.functional_call(model, weights, (x,))[:, 0] - y

    return objective, outputs, _t(net.vector)


def _spline_objective(spl: Spline, data: Dataset, alpha: float, lam: float):
    """(beta, mu, c) -> (1/2N) sum (f - y)^2 + lam sum |mu_i| sqrt(1 + beta_i^2) + lam c^2/2,
    f(x) = c + sum_i mu_i leaky_relu(s_i (x - beta_i), alpha), written in torch."""
    H = spl.H
    s = torch.tensor(spl.s, dtype=F64)
    x, y = _t(data.x), _t(data.y)
    n = x.shape[0]

    def outputs(theta: torch.Tensor) -> torch.Tensor:
        beta, mu, c = theta[:H], theta[H:2 * H], theta[2 * H]
        z = s[None, :] * (x[:, None] - beta[None, :])
        return c + torch.nn.functional.leaky_relu(z, alpha) @ mu - y

    def objective(theta: torch.Tensor) -> torch.Tensor:
        beta, mu, c = theta[:H], theta[H:2 * H], theta[2 * H]
        penalty = lam * (mu.abs() * torch.sqrt(1 + beta ** 2)).sum() + lam * c ** 2 / 2
        return (outputs(theta) ** 2).sum() / (2 * n) + penalty

    return objective, outputs, _t(spl.vector)


def _reference(params, data, alpha: float, lam: float):
    build = _network_objective if isinstance(params, Network) else _spline_objective
    objective, outputs, theta = build(params, data, alpha, lam)
    t = theta.clone().requires_grad_(True)
    value = objective(t)
    (grad,) = torch.autograd.grad(value, t)
    hess = torch.autograd.functional.hessian(objective, theta)
    jac = torch.autograd.functional.jacobian(outputs, theta)  # N x P
    gn = jac.T @ jac / data.n
    return (float(value.detach()), grad.numpy(), hess.numpy(), gn.numpy())


def _floats(value: object) -> np.ndarray:
    if isinstance(value, sp.MatrixBase):
        return np.array(value.evalf(20).tolist(), dtype=np.float64)
    return np.asarray(value, dtype=np.float64)


def _disagreement(ours: object, ref: object) -> float:
    """max |ours - ref| relative to the size of the quantity (its largest |entry|, at least
    the smallest normal float so an all-zero reference still compares absolutely)."""
    a, b = _floats(ours), np.asarray(ref, dtype=np.float64)
    assert a.shape == b.reshape(a.shape).shape
    scale = max(float(np.max(np.abs(b))), np.finfo(float).tiny)
    return float(np.max(np.abs(a - b.reshape(a.shape)))) / scale


def _assert_agree(params, data, alpha, lam) -> dict[str, float]:
    ref_loss, ref_grad, ref_hess, ref_gn = _reference(params, data, float(alpha), float(lam))
    kinds = {"float": float, "exact": sp.Basic}
    loss = symspline.loss(params, data, weight_decay=lam)
    grad = symspline.gradient(params, data, weight_decay=lam)
    hess = symspline.hessian(params, data, weight_decay=lam)
    assert isinstance(loss, kinds[params.kind])
    out = {"loss": _disagreement(loss, ref_loss), "gradient": _disagreement(grad, ref_grad),
           "hessian": _disagreement(hess, ref_hess)}
    # the one evaluation gives the same numbers, and its parts add up to torch's Hessian
    ev = symspline.evaluate(params, data, weight_decay=lam)
    parts = ev.parts
    out["evaluate"] = max(_disagreement(ev.loss, ref_loss), _disagreement(ev.gradient, ref_grad),
                          _disagreement(ev.hessian, ref_hess))
    out["gauss_newton"] = _disagreement(parts.gauss_newton, ref_gn)
    pen = np.zeros_like(ref_hess) if parts.penalty is None else _floats(parts.penalty)
    assert (parts.penalty is None) == (lam == 0)
    out["parts"] = _disagreement(_floats(parts.gauss_newton) + _floats(parts.residual) + pen,
                                 ref_hess)
    bad = {k: v for k, v in out.items() if not v <= TOL}
    assert not bad, (bad, params.kind, type(params).__name__, params.H, data.n, alpha, lam)
    return out


# ------------------------------------------------------------------ the agreement
@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("param", ["network", "spline"])
def test_float_models_agree_with_torch_autodiff(seed, param):
    params, data, alpha, lam = _problem(seed, exact=False, param=param)
    assert params.kind == "float" and params.negative_slope == alpha
    _assert_agree(params, data, alpha, lam)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("param", ["network", "spline"])
def test_exact_models_agree_with_torch_autodiff(seed, param):
    params, data, alpha, lam = _problem(seed, exact=True, param=param)
    assert params.kind == "exact" and data.kind == "exact"
    _assert_agree(params, data, alpha, lam)


def test_every_model_combination_is_covered():
    # The seeds above draw leaky and ReLU, with and without weight decay, at several sizes.
    seen = set()
    for seed in range(12):
        params, data, alpha, lam = _problem(seed, exact=False, param="network")
        seen.add((alpha > 0, lam > 0))
        assert 1 <= params.H <= 6 and 3 <= data.n <= 12
    assert seen == {(True, True), (True, False), (False, True)}
    sizes = {(_problem(seed, exact=False, param="spline")[0].H) for seed in range(12)}
    assert len(sizes) >= 3


def test_a_model_read_from_torch_differentiates_like_its_module():
    # nn.LeakyReLU(alpha) in a module -> from_torch -> the same loss, gradient and Hessian as
    # torch autodiff through that module itself (its own parameters, not a rebuilt copy).
    torch.manual_seed(3)
    H, alpha, lam = 5, 0.15, 0.3
    model = torch.nn.Sequential(torch.nn.Linear(1, H), torch.nn.LeakyReLU(alpha),
                                torch.nn.Linear(H, 1)).to(F64)
    net = symspline.from_torch(model)
    assert net.negative_slope == alpha
    rng = np.random.default_rng(4)
    x, y = np.sort(rng.normal(size=9)), rng.normal(size=9)
    data = Dataset.from_arrays(x, y)
    xt, yt = torch.tensor(x, dtype=F64)[:, None], torch.tensor(y, dtype=F64)
    loss = ((model(xt)[:, 0] - yt) ** 2).sum() / (2 * len(x))
    loss = loss + lam / 2 * sum((p ** 2).sum() for p in model.parameters())
    grads = torch.autograd.grad(loss, list(model.parameters()))
    # torch's parameter order (W1, b1, W2, b2) is symspline's (w, b, v, c)
    ref = np.concatenate([g.detach().numpy().ravel() for g in grads])
    assert _disagreement(symspline.gradient(net, data, weight_decay=lam), ref) <= TOL
    assert _disagreement(symspline.loss(net, data, weight_decay=lam), float(loss.detach())) <= TOL


# ------------------------------------------------------------------ the check can fail
def test_a_wrong_slope_or_a_missing_penalty_is_seen():
    params, data, alpha, lam = _problem(2, exact=False, param="network")
    assert alpha > 0 and lam > 0
    ref_loss, ref_grad, ref_hess, _ = _reference(params, data, alpha, lam)
    other = Network(params.w, params.b, params.v, params.c, negative_slope=alpha / 2)
    worst = max(_disagreement(symspline.loss(other, data, weight_decay=lam), ref_loss),
                _disagreement(symspline.gradient(other, data, weight_decay=lam), ref_grad))
    assert worst > 1e-6  # half the slope: far outside the tolerance
    relu = Network(params.w, params.b, params.v, params.c)  # the slope dropped (the old bug)
    assert _disagreement(symspline.gradient(relu, data, weight_decay=lam), ref_grad) > 1e-6
    assert _disagreement(symspline.hessian(params, data), ref_hess) > 1e-6  # no penalty
    spl, sdata, salpha, slam = _problem(3, exact=False, param="spline")
    assert slam > 0
    _, ref_g, _, _ = _reference(spl, sdata, salpha, slam)
    # the full network penalty (not reduced over the orbit) in spline coordinates is different
    _, net_g, _, _ = _reference(spl, sdata, salpha, 0.0)
    assert _disagreement(symspline.gradient(spl, sdata), ref_g) > 1e-6
    assert _disagreement(net_g, ref_g) > 1e-6


def test_exact_and_float_answers_are_the_same_numbers():
    # The exact closed forms rounded once equal the float kernels on the rounded input.
    params, data, alpha, lam = _problem(6, exact=True, param="network")
    exact = _floats(symspline.hessian(params, data, weight_decay=lam))
    approx = symspline.hessian(params.as_float(), data.as_float(), weight_decay=float(lam))
    assert _disagreement(approx, exact) <= TOL
    assert Fraction(str(params.negative_slope)) == Fraction(str(alpha))


@pytest.mark.parametrize("param", ["network", "spline"])
def test_the_command_line_agrees_with_torch(cli, tmp_path, param):
    # `symspline hessian --negative-slope --weight-decay --json` end to end: file in, JSON out
    import json

    from symspline.io import write_data, write_params

    params, data, alpha, lam = _problem(7, exact=True, param=param)
    assert alpha > 0 and lam > 0
    write_params(tmp_path / "p.json", params.with_vector(params.vector))  # slope in the file
    write_data(tmp_path / "d.csv", data)
    res = cli("hessian", "--data", tmp_path / "d.csv", "--params", tmp_path / "p.json",
              "--weight-decay", str(lam), "--parts", "--json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["negative_slope_exact"] == str(alpha) and doc["weight_decay_exact"] == str(lam)
    ref_loss, ref_grad, ref_hess, ref_gn = _reference(params, data, float(alpha), float(lam))
    assert _disagreement(doc["loss"], ref_loss) <= TOL
    assert _disagreement(doc["gradient"], ref_grad) <= TOL
    assert _disagreement(doc["hessian"], ref_hess) <= TOL
    assert _disagreement(doc["gauss_newton"], ref_gn) <= TOL
    # the same file read as the ReLU (slope removed) disagrees with torch's leaky model
    plain = {k: v for k, v in json.loads((tmp_path / "p.json").read_text()).items()
             if k != "negative_slope"}
    (tmp_path / "relu.json").write_text(json.dumps(plain))
    res = cli("hessian", "--data", tmp_path / "d.csv", "--params", tmp_path / "relu.json",
              "--weight-decay", str(lam), "--json")
    assert _disagreement(json.loads(res.stdout)["gradient"], ref_grad) > 1e-6
