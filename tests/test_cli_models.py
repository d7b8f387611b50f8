"""The two models through parameter files and the command line: ``negative_slope`` in files and
``--negative-slope``, ``--weight-decay`` on loss/grad/hessian/check, and one evaluation per command.

References are independent of symspline: the objective written with Python ``Fraction`` (exact)
or NumPy (float) from the definitions, f(x) = c + sum_i v_i max(z_i, alpha z_i), z_i = w_i x + b_i,
L = (1/2N) sum (f - y)^2, penalty (lambda/2) ||theta||^2 over all 3H + 1 parameters; gradients
and Hessians against central differences of that NumPy objective.
"""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

from symspline import Network, Spline
from symspline.errors import ParameterError
from symspline.io import params_from_dict, params_to_dict, parse_params, read_params, write_params

# breakpoints -1/3 and 3/4: no sample is a kink
EXACT_CSV = "x,y\n-1,1\n0,0\n1/2,1/4\n2,1\n"
FLOAT_CSV = "x,y\n-1.0,1\n0,0\n0.5,0.25\n2,1\n"
NET = {"w": [1, -2], "b": ["1/3", "3/2"], "v": [2, -1], "c": "1/10"}


# ------------------------------------------------------------------ independent references
def _f_exact(net: dict, alpha: Fraction, x: Fraction) -> Fraction:
    w, b, v = ([Fraction(str(t)) for t in net[k]] for k in "wbv")
    out = Fraction(str(net["c"]))
    for wi, bi, vi in zip(w, b, v, strict=True):
        z = wi * x + bi
        out += vi * max(z, alpha * z)
    return out


def _objective_exact(net: dict, alpha: Fraction, lam: Fraction, data: list) -> Fraction:
    loss = sum((_f_exact(net, alpha, x) - y) ** 2 for x, y in data) / (2 * len(data))
    theta = [Fraction(str(t)) for k in "wbv" for t in net[k]] + [Fraction(str(net["c"]))]
    return loss + lam / 2 * sum(t * t for t in theta)


def _objective_float(theta: np.ndarray, H: int, alpha: float, lam: float, x: np.ndarray,
                     y: np.ndarray) -> float:
    w, b, v, c = theta[:H], theta[H:2 * H], theta[2 * H:3 * H], theta[3 * H]
    z = np.outer(x, w) + b
    f = np.maximum(z, alpha * z) @ v + c
    return float(np.sum((f - y) ** 2) / (2 * len(x)) + lam / 2 * theta @ theta)


def _central(fun, theta: np.ndarray, h: float = 1e-5) -> tuple[np.ndarray, np.ndarray]:
    P = theta.shape[0]
    e = np.eye(P) * h
    g = np.array([(fun(theta + e[a]) - fun(theta - e[a])) / (2 * h) for a in range(P)])
    hess = np.array([[(fun(theta + e[a] + e[b]) - fun(theta + e[a] - e[b])
                       - fun(theta - e[a] + e[b]) + fun(theta - e[a] - e[b])) / (4 * h * h)
                      for b in range(P)] for a in range(P)])
    return g, hess


DATA = [(Fraction(-1), Fraction(1)), (Fraction(0), Fraction(0)), (Fraction(1, 2), Fraction(1, 4)),
        (Fraction(2), Fraction(1))]


@pytest.fixture
def files(tmp_path, monkeypatch):
    (tmp_path / "e.csv").write_text(EXACT_CSV)
    (tmp_path / "f.csv").write_text(FLOAT_CSV)
    (tmp_path / "net.json").write_text(json.dumps(NET))
    (tmp_path / "leaky.json").write_text(json.dumps({**NET, "negative_slope": "1/5"}))
    fl = {k: ([float(Fraction(t)) for t in v] if isinstance(v, list) else float(Fraction(v)))
          for k, v in NET.items()}
    (tmp_path / "fnet.json").write_text(json.dumps(fl))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _json(cli, *argv, code: int = 0) -> dict:
    res = cli(*argv, "--json")
    assert res.returncode == code, res.stderr
    return json.loads(res.stdout)


# ------------------------------------------------------------------ parameter files
@pytest.mark.parametrize("alpha", [sp.Rational(1, 7), sp.Rational(3, 10), 0.01, 0.123456789012345])
@pytest.mark.parametrize("form", ["network", "spline"])
def test_parameter_files_round_trip_the_slope_exactly(tmp_path, alpha, form):
    exact = isinstance(alpha, sp.Basic)
    vals = [sp.Rational(2, 3), sp.Rational(-5, 4)] if exact else [0.75, -1.25]
    params = (Network(vals, vals[::-1], vals, vals[0], negative_slope=alpha) if form == "network"
              else Spline(vals, vals, (1, -1), vals[1], negative_slope=alpha))
    path = tmp_path / "p.json"
    write_params(path, params)
    raw = json.loads(path.read_text())
    # exact slopes as "p/q" strings, floats as JSON numbers that read back bit for bit
    assert raw["negative_slope"] == (str(alpha) if exact else alpha)
    back = read_params(path)
    assert type(back) is type(params) and back.kind == params.kind
    assert back.negative_slope == alpha and type(back.negative_slope) is type(params.negative_slope)
    assert all(a == b for a, b in zip(back.vector, params.vector, strict=True))


def test_relu_files_keep_their_four_keys_and_read_as_alpha_zero(tmp_path):
    net = Network([1, 2], [0, 1], [3, -1], 0)
    assert set(params_to_dict(net)) == {"w", "b", "v", "c"}
    assert params_from_dict({"w": [1], "b": [0], "v": [1], "c": 0}).negative_slope == 0
    spl = params_from_dict({"beta": [0.5], "mu": [1.0], "s": [-1], "c": 0.0,
                            "negative_slope": 0.25})
    assert spl.kind == "float" and spl.negative_slope == 0.25
    # an exact file with a float slope becomes float as a whole (a float alpha is float input)
    mixed = params_from_dict({"w": [1], "b": [0], "v": [1], "c": 0, "negative_slope": 0.5})
    assert mixed.kind == "float"
    # a decimal string is read exactly, like every other parameter string
    assert params_from_dict({**NET, "negative_slope": "0.01"}).negative_slope == sp.Rational(1, 100)


@pytest.mark.parametrize("value, msg", [
    (1, "must be in [0, 1)"), ("-1/10", "must be in [0, 1)"), (1.5, "must be in [0, 1)"),
    ("abc", "negative_slope: not a number"), ([0.1], "negative_slope must be a number"),
    (True, "negative_slope must be a number"), (None, "negative_slope must be a number"),
    ("1/0", "negative_slope"),
])
def test_malformed_slopes_are_refused_in_one_line(value, msg):
    text = json.dumps({**NET, "negative_slope": value})
    with pytest.raises(ParameterError) as err:
        parse_params(text, source="p.json")
    assert msg in str(err.value) and str(err.value).startswith("p.json")
    assert "\n" not in str(err.value)


def test_a_slope_alone_or_a_stray_key_is_refused():
    with pytest.raises(ParameterError, match="no parameters"):
        parse_params('{"negative_slope": 0.1}')
    with pytest.raises(ParameterError, match="unknown keys weight_decay"):
        parse_params(json.dumps({**NET, "weight_decay": 0.1}))


# ------------------------------------------------------------------ the command line
def test_loss_with_slope_and_decay_matches_fractions(cli, files):
    alpha, lam = Fraction(1, 5), Fraction(3, 7)
    doc = _json(cli, "loss", "--data", "e.csv", "--params", "net.json", "--negative-slope",
                "1/5", "--weight-decay", "3/7")
    assert Fraction(doc["loss_exact"]) == _objective_exact(NET, alpha, lam, DATA)
    assert doc["negative_slope_exact"] == "1/5" and doc["weight_decay_exact"] == "3/7"
    assert doc["negative_slope"] == 0.2 and doc["weight_decay"] == pytest.approx(3 / 7)
    # the slope from the file, and decimals read exactly for exact input
    doc2 = _json(cli, "loss", "--data", "e.csv", "--params", "leaky.json", "--weight-decay",
                 "0.5")
    assert Fraction(doc2["loss_exact"]) == _objective_exact(NET, alpha, Fraction(1, 2), DATA)
    # without the options: the plain ReLU loss, and both fields say so
    plain = _json(cli, "loss", "--data", "e.csv", "--params", "net.json")
    assert Fraction(plain["loss_exact"]) == _objective_exact(NET, Fraction(0), Fraction(0), DATA)
    assert plain["negative_slope"] == 0 and plain["weight_decay"] == 0
    # the checker can fail: the leaky objective is not the ReLU one
    assert Fraction(doc2["loss_exact"]) != _objective_exact(NET, Fraction(0), Fraction(1, 2), DATA)
    res = cli("loss", "--data", "e.csv", "--params", "net.json", "--negative-slope", "1/5",
              "--weight-decay", "3/7")
    assert res.returncode == 0 and "leaky ReLU, negative_slope = 1/5" in res.stdout
    assert "weight decay lambda = 3/7" in res.stdout


def test_float_grad_and_hessian_match_differences(cli, files):
    alpha, lam = 0.2, 0.3
    g = _json(cli, "grad", "--data", "f.csv", "--params", "fnet.json", "--negative-slope", "0.2",
              "--weight-decay", "0.3")
    assert "gradient_exact" not in g and "negative_slope_exact" not in g
    assert "weight_decay_exact" not in g  # float input: floats only (docs/json.md rule 3)
    h = _json(cli, "hessian", "--data", "f.csv", "--params", "fnet.json", "--negative-slope",
              "0.2", "--weight-decay", "0.3", "--parts")
    x = np.array([-1.0, 0.0, 0.5, 2.0])
    y = np.array([1.0, 0.0, 0.25, 1.0])
    theta = np.array([float(Fraction(str(t))) for k in "wbv" for t in NET[k]]
                     + [float(Fraction(NET["c"]))])
    fun = lambda t: _objective_float(t, 2, alpha, lam, x, y)  # noqa: E731
    ref_g, ref_h = _central(fun, theta)
    assert g["loss"] == pytest.approx(fun(theta), rel=1e-14)
    np.testing.assert_allclose(g["gradient"], ref_g, atol=1e-8)
    np.testing.assert_allclose(h["hessian"], ref_h, atol=1e-5)
    # hessian = gauss_newton + residual + penalty, and the penalty of (lambda/2)||theta||^2 is
    # lambda I
    parts = sum(np.array(h[k]) for k in ("gauss_newton", "residual", "penalty"))
    np.testing.assert_allclose(parts, h["hessian"], atol=1e-14)
    np.testing.assert_allclose(h["penalty"], lam * np.eye(7), atol=0)
    # the same differences tell the ReLU objective apart (the reference can fail)
    relu_g, _ = _central(lambda t: _objective_float(t, 2, 0.0, lam, x, y), theta)
    assert np.max(np.abs(np.array(g["gradient"]) - relu_g)) > 1e-3


def test_exact_hessian_parts_and_files(cli, files):
    h = _json(cli, "hessian", "--data", "e.csv", "--params", "leaky.json", "--weight-decay",
              "1/4", "--parts", "--out", "H.npy")
    assert h["penalty_file"] == "H_penalty.npy" and (files / "H_penalty.npy").is_file()
    full = np.load(files / "H.npy")
    pieces = sum(np.load(files / f"H_{k}.npy") for k in ("gauss_newton", "residual", "penalty"))
    np.testing.assert_allclose(pieces, full, atol=1e-14)
    np.testing.assert_array_equal(np.load(files / "H_penalty.npy"), 0.25 * np.eye(7))
    # spline coordinates: the reduced penalty's Hessian is not lambda I (theory §1.5)
    s = _json(cli, "hessian", "--data", "e.csv", "--params", "leaky.json", "--weight-decay",
              "1/4", "--parts", "--param", "spline")
    pen = np.array(s["penalty"])
    assert pen[-1, -1] == 0.25 and pen[0, 0] != 0.25 and "penalty_exact" in s


def test_check_validates_the_penalty_and_can_fail(cli, files):
    doc = _json(cli, "check", "--data", "e.csv", "--params", "leaky.json", "--weight-decay",
                "1/3")
    whats = [r["what"] for r in doc["checks"]]
    assert whats.count("penalty_gradient") == 1 and whats.count("penalty_hessian") == 1
    assert doc["ok"] is True and doc["negative_slope_exact"] == "1/5"
    spl = _json(cli, "check", "--data", "f.csv", "--params", "fnet.json", "--param", "spline",
                "--negative-slope", "0.3", "--weight-decay", "0.5")
    assert spl["ok"] is True and len(spl["checks"]) == 4
    bad = _json(cli, "check", "--data", "f.csv", "--params", "fnet.json", "--weight-decay", "0.5",
                "--rtol", "1e-300", code=1)
    assert bad["ok"] is False


def test_convert_keeps_the_slope(cli, files):
    doc = _json(cli, "convert", "--params", "leaky.json", "--to", "spline", "--out", "s.json")
    assert doc["params"]["negative_slope_exact"] == "1/5"
    back = read_params(files / "s.json")
    assert isinstance(back, Spline) and back.negative_slope == sp.Rational(1, 5)
    relu = _json(cli, "convert", "--params", "net.json", "--to", "spline")
    assert "negative_slope" not in relu["params"]
    res = cli("convert", "--params", "net.json", "--to", "spline", "--negative-slope", "0.1")
    assert res.returncode == 0 and "negative_slope = 1/10" in res.stdout


@pytest.mark.parametrize("argv, msg", [
    (("--negative-slope", "1"), "--negative-slope must be in [0, 1)"),
    (("--negative-slope", "-0.1"), "--negative-slope must be in [0, 1)"),
    (("--negative-slope", "abc"), "--negative-slope: not a number"),
    (("--negative-slope", "nan"), "--negative-slope"),
    (("--weight-decay", "-1"), "--weight-decay must be a finite number >= 0"),
    (("--weight-decay", "inf"), "--weight-decay"),
    (("--weight-decay", "1/0"), "--weight-decay"),
    (("--weight-decay", "x"), "--weight-decay: not a number"),
])
@pytest.mark.parametrize("command", ["loss", "grad", "hessian", "check"])
def test_bad_values_exit_2_in_one_line(cli, files, argv, msg, command):
    for data, params in (("e.csv", "net.json"), ("f.csv", "fnet.json")):
        res = cli(command, "--data", data, "--params", params, *argv)
        assert res.returncode == 2 and res.stdout == ""
        assert len(res.stderr.strip().splitlines()) == 1 and msg in res.stderr, res.stderr


def test_a_contradicting_slope_is_refused(cli, files):
    res = cli("loss", "--data", "e.csv", "--params", "leaky.json", "--negative-slope", "0.3")
    assert res.returncode == 2 and "contradicts negative_slope = 1/5" in res.stderr
    same = cli("loss", "--data", "e.csv", "--params", "leaky.json", "--negative-slope", "0.2")
    assert same.returncode == 0  # 0.2 is read exactly as 1/5 for an exact file


def test_the_spline_decay_refuses_mu_zero_in_one_line(cli, files):
    (files / "z.json").write_text(json.dumps({"beta": ["1/3"], "mu": [0], "s": [1], "c": 0}))
    res = cli("grad", "--data", "e.csv", "--params", "z.json", "--weight-decay", "1")
    assert res.returncode == 2 and "not differentiable at mu1 = 0" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_hessian_evaluates_once(cli, files, monkeypatch):
    # issue 17 point 2: loss, gradient and Hessian of one command come from one evaluation
    import symspline.api as api
    import symspline.cli.derivatives as derivatives

    calls = []
    real = derivatives.evaluate

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    def forbidden(*args, **kwargs):
        raise AssertionError("the command called the api separately")

    monkeypatch.setattr(derivatives, "evaluate", counting)
    for name in ("loss", "gradient", "hessian"):
        monkeypatch.setattr(api, name, forbidden)
    for argv in (("hessian", "--parts", "--eig"), ("grad",), ("check",)):
        calls.clear()
        for data, params in (("e.csv", "leaky.json"), ("f.csv", "fnet.json")):
            res = cli(*argv, "--data", data, "--params", params, "--weight-decay", "1/2")
            assert res.returncode == 0, res.stderr
        assert len(calls) == 2, argv
