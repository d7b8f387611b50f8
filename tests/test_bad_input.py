"""The bad-input matrix: every malformed input gets exit 2 and one line naming the problem (CLI), or a
typed SymsplineError (API), and leaves no partial output file behind."""

from __future__ import annotations

import numpy as np
import pytest

import symspline as ss
from symspline.cli import main
from symspline.defaults import default_dataset, default_network

GOOD_CSV = "x,y\n-1,1\n0,0\n1/2,1/4\n2,1\n"
GOOD_NET = '{"w": [1, -2], "b": ["1/3", 1], "v": [2, -1], "c": 0}'
KINK_NET = '{"w": [1, -2], "b": [0, 1], "v": [2, -1], "c": 0}'  # beta_1 = 0 is a data point

FILES = {
    "good.csv": GOOD_CSV,
    "empty.csv": "",
    "header.csv": "a,b\n1,2\n",
    "ragged.csv": "x,y\n1,2\n3\n",
    "word.csv": "x,y\n1,two\n",
    "dup.csv": "x,y\n1,2\n1,3\n",
    "nan.csv": "x,y\n1,nan\n2,3\n",
    "inf.csv": "x,y\n1,inf\n",
    "huge.csv": "x,y\n1,1e400\n",
    "zero_den.csv": "x,y\n1/0,1\n",
    "code.csv": "x,y\n__import__('os'),1\n",
    "notutf8.csv": None,
    "good.json": GOOD_NET,
    "kink.json": KINK_NET,
    "list.json": "[1, 2, 3]",
    "unknown.json": '{"w": [1], "b": [1], "v": [1], "c": 0, "gamma": 1}',
    "mixed.json": '{"w": [1], "b": [1], "mu": [1], "c": 0}',
    "lengths.json": '{"w": [1, 2], "b": [1], "v": [1, 2], "c": 0}',
    "zero_w.json": '{"w": [0, 1], "b": [1, 1], "v": [1, 1], "c": 0}',
    "orient.json": '{"beta": [0], "mu": [1], "s": [2], "c": 0}',
    "bad_den.json": '{"w": [1], "b": ["1/0"], "v": [1], "c": 0}',
    "nan.json": '{"w": [NaN], "b": [1], "v": [1], "c": 0}',
    "broken.json": '{"w": [1, ',
    "string.json": '{"w": [1], "b": ["exp(1)"], "v": [1], "c": 0}',
    "empty_w.json": '{"w": [], "b": [], "v": [], "c": 0}',
    "slope_one.json": '{"w": [1], "b": [1], "v": [1], "c": 0, "negative_slope": 1}',
    "slope_text.json": '{"w": [1], "b": [1], "v": [1], "c": 0, "negative_slope": "leaky"}',
    "slope_list.json": '{"beta": [0], "mu": [1], "s": [1], "c": 0, "negative_slope": [0.1]}',
    "leaky.json": '{"w": [1, -2], "b": ["1/3", 1], "v": [2, -1], "c": 0, "negative_slope": "1/5"}',
    "mu_zero.json": '{"beta": ["1/3"], "mu": [0], "s": [1], "c": 0}',
}

CASES = [  # (argv with FILE placeholders, fragment of the message)
    (["loss", "--data", "missing.csv", "--params", "good.json"], "not found"),
    (["loss", "--data", "empty.csv", "--params", "good.json"], "empty file"),
    (["loss", "--data", "header.csv", "--params", "good.json"], "header"),
    (["loss", "--data", "ragged.csv", "--params", "good.json"], "cells"),
    (["loss", "--data", "word.csv", "--params", "good.json"], "not a number"),
    (["loss", "--data", "dup.csv", "--params", "good.json"], "duplicate x"),
    (["loss", "--data", "nan.csv", "--params", "good.json"], "not a number"),
    (["loss", "--data", "inf.csv", "--params", "good.json"], "not a number"),
    (["loss", "--data", "huge.csv", "--params", "good.json"], "overflows"),
    (["loss", "--data", "zero_den.csv", "--params", "good.json"], "zero denominator"),
    (["loss", "--data", "code.csv", "--params", "good.json"], "not a number"),
    (["loss", "--data", "notutf8.csv", "--params", "good.json"], "UTF-8"),
    (["loss", "--data", "good.csv", "--params", "list.json"], "JSON object"),
    (["loss", "--data", "good.csv", "--params", "unknown.json"], "unknown keys"),
    (["loss", "--data", "good.csv", "--params", "mixed.json"], "mix"),
    (["loss", "--data", "good.csv", "--params", "lengths.json"], "equal lengths"),
    (["loss", "--data", "good.csv", "--params", "orient.json"], "orientation"),
    (["loss", "--data", "good.csv", "--params", "bad_den.json"], "zero denominator"),
    (["loss", "--data", "good.csv", "--params", "nan.json"], "not a valid number"),
    (["loss", "--data", "good.csv", "--params", "broken.json"], "not valid JSON"),
    (["loss", "--data", "good.csv", "--params", "string.json"], "not a number"),
    (["loss", "--data", "good.csv", "--params", "empty_w.json"], "at least one"),
    (["convert", "--params", "zero_w.json", "--to", "spline", "--out", "OUT.json"], "w = 0"),
    (["grad", "--data", "good.csv", "--params", "zero_w.json", "--param", "spline"], "w = 0"),
    (["grad", "--data", "good.csv", "--params", "kink.json"], "lies exactly on data point"),
    (["hessian", "--data", "good.csv", "--params", "kink.json", "--out", "OUT.npy"],
     "lies exactly on data point"),
    (["check", "--data", "good.csv", "--params", "kink.json"], "lies exactly on data point"),
    (["critical", "--data", "good.csv", "--width", "-1"], "--width must be an integer in [1, 1000]"),
    (["critical", "--data", "good.csv", "--width", "0"], "--width must be an integer in [1, 1000]"),
    (["critical", "--data", "good.csv", "--width", "40"], "enumerated for H <= 3"),
    (["prove", "no.such.theorem"], "unknown theorem"),
    (["derive", "no_such_derivation", "--out", "OUTDIR"], "unknown derivation"),
    (["latex", "no_such_thing"], "unknown"),
    (["init", "--scheme", "no_such_scheme"], "unknown"),
    (["init", "--scheme", "gaussian(0,1,1)"], "must be > 0"),
    (["init", "--scheme", "pytorch", "--interval", "1", "1"], "interval"),
    (["init", "--scheme", "pytorch", "--width", "0"], "width"),
    (["loss", "--population", "uniform:-1,1; target: __import__('os')", "--params", "good.json"],
     "unknown function '__import__'"),
    (["loss", "--data", "good.csv", "--population", "uniform:-1,1; target: x", "--params",
      "good.json"], "exactly one"),
    (["grad", "--data", "good.csv", "--params", "good.json", "--side", "up"], "invalid choice"),
    # the two models of issue 17: slopes in files and options, weight decay
    (["loss", "--data", "good.csv", "--params", "slope_one.json"], "negative_slope must be in"),
    (["loss", "--data", "good.csv", "--params", "slope_text.json"], "negative_slope: not a"),
    (["grad", "--data", "good.csv", "--params", "slope_list.json"], "negative_slope must be a"),
    (["loss", "--data", "good.csv", "--params", "good.json", "--negative-slope", "1"],
     "--negative-slope must be in [0, 1)"),
    (["hessian", "--data", "good.csv", "--params", "good.json", "--negative-slope", "-1/2",
      "--out", "OUT.npy"], "--negative-slope must be in [0, 1)"),
    (["convert", "--params", "good.json", "--to", "spline", "--negative-slope", "x", "--out",
      "OUT.json"], "--negative-slope: not a number"),
    (["loss", "--data", "good.csv", "--params", "leaky.json", "--negative-slope", "0.3"],
     "contradicts negative_slope = 1/5"),
    (["loss", "--data", "good.csv", "--params", "good.json", "--weight-decay", "-1"],
     "--weight-decay must be a finite number >= 0"),
    (["loss", "--data", "good.csv", "--params", "good.json", "--weight-decay", "inf"],
     "--weight-decay"),
    (["check", "--data", "good.csv", "--params", "good.json", "--weight-decay", "nan"],
     "--weight-decay"),
    (["hessian", "--data", "good.csv", "--params", "mu_zero.json", "--weight-decay", "1",
      "--parts", "--out", "OUT.npy"], "not differentiable at mu1 = 0"),
]


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    for name, text in FILES.items():
        if text is None:
            (tmp_path / name).write_bytes(b"x,y\n\xff\xfe,1\n")
        else:
            (tmp_path / name).write_text(text)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("argv, fragment", CASES, ids=[" ".join(a[:3]) + f" #{i}"
                                                       for i, (a, _) in enumerate(CASES)])
def test_cli_bad_input(workdir, capsys, argv, fragment):
    before = {p.name for p in workdir.iterdir()}
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 2, (out, err)
    assert fragment.lower() in err.lower(), err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    after = {p.name for p in workdir.iterdir()}
    assert after == before, after - before  # no partial output file, no temporary left over


def test_matrix_is_large_and_distinct():
    assert len(CASES) >= 30
    assert len({tuple(a) for a, _ in CASES}) == len(CASES)


def _raises(exc, fn, *args, **kwargs):
    with pytest.raises(exc) as info:
        fn(*args, **kwargs)
    assert isinstance(info.value, ss.SymsplineError)
    assert "\n" not in str(info.value)
    return str(info.value)


def test_api_bad_input_is_typed():
    data, net = default_dataset(), default_network()
    kink = ss.Spline([data.x[2], 1], [1, 1], (1, -1), 0)
    assert "unit 1" in _raises(ss.KinkError, ss.gradient, kink, data)
    assert "unit 1" in _raises(ss.KinkError, ss.hessian, kink, data)
    assert "unit 1" in _raises(ss.KinkError, ss.gradient, kink.as_float(), data.as_float())
    _raises(ss.DegenerateUnitError, ss.Network([0.0], [1.0], [1.0], 0.0).to_spline)
    _raises(ss.SizeError, ss.loss, ss.Spline.symbols(4, (1, 1, 1, 1)),
            ss.Dataset.from_arrays(list(range(40)), [0] * 40))
    _raises(ss.InputError, ss.loss, net, [1, 2, 3])
    _raises(ss.DataError, ss.Dataset.from_arrays, [1, 2], [1])
    _raises(ss.ParameterError, ss.Spline, [0.0], [1.0], (0,), 0.0)
    _raises(ss.ParameterError, ss.Network.symbols, 0)
    _raises(ss.InputError, ss.gradient, kink, data, side="middle")
    big = ss.Dataset.from_arrays(np.arange(5.0), np.zeros(5))
    _raises(ss.InputError, ss.loss, ss.Network([1.0], [0.0], [1.0], 0.0), big, pattern=ss.Pattern(
        (1,), (0,), 4))


def test_api_rejects_text_as_numbers():
    _raises(ss.ParameterError, ss.Network, ["1"], [1], [1], 0)
    _raises(ss.DataError, ss.Dataset.from_arrays, "123", "456")


def test_results_near_a_kink_are_flagged(tmp_path, capsys):
    from symspline.regions import near_kinks

    data = ss.Dataset.from_arrays([0.0, 1.0, 2.0, 3.0], [1.0, -1.0, 2.0, 0.0])
    near = ss.Spline([1.0 + 1e-13, 2.5], [3.0, -2.0], (1, -1), 0.5)
    far = ss.Spline([1.0 + 1e-6, 2.5], [3.0, -2.0], (1, -1), 0.5)
    assert [(i, m) for i, m, _ in near_kinks(near, data)] == [(0, 1)]
    assert near_kinks(far, data) == [] and near_kinks(ss.Spline([1, 2], [1, 1], (1, 1), 0),
                                                      ss.Dataset.from_arrays([1, 3], [0, 0])) == []
    (tmp_path / "d.csv").write_text("x,y\n0,1\n1,-1\n2,2\n3,0\n")
    (tmp_path / "p.json").write_text('{"beta": [1.0000000000001, 2.5], "mu": [3, -2], '
                                     '"s": [1, -1], "c": 0.5}')
    code = main(["grad", "--data", str(tmp_path / "d.csv"), "--params", str(tmp_path / "p.json"),
                 "--json"])
    out, err = capsys.readouterr()
    assert code == 0 and "a rounding-size change would cross a kink" in err
    import json

    assert json.loads(out)["near_kinks"][0]["unit"] == 1


def test_time_limit_stops_symbolic_work_with_one_line(capsys):
    code = main(["--time-limit", "0.3", "prove", "3.4", "--H", "3", "--N", "4"])
    _, err = capsys.readouterr()
    assert code == 2 and "time limit of 0.3 s" in err and len(err.strip().splitlines()) == 1
    assert main(["--time-limit", "-1", "list"]) == 2
    assert "positive number" in capsys.readouterr().err


# ------------------------------------------------------------------ size guards (issue 15)
def test_nested_powers_are_bounded_by_the_expanded_degree_and_integer_size():
    import sympy as sp

    from symspline.parsing import MAX_DEGREE, parse_expression

    x = sp.Symbol("x")
    assert "degree up to 4096" in _raises(ss.ParseError, parse_expression, "((x+1)**64)**64",
                                          {"x": x})
    assert "digits" in _raises(ss.ParseError, parse_expression, "((999999**8)**8)**8", {"x": x})
    assert "degree up to 65" in _raises(ss.ParseError, parse_expression, "x*(x**8)**8",
                                        {"x": x})
    assert "degree up to 66" in _raises(ss.ParseError, parse_expression, "sin(x**33)**2",
                                        {"x": x})
    # at the bound: accepted, and the expansion is what it should be (binomial coefficients)
    e = sp.Poly(sp.expand(parse_expression("(x+1)**64", {"x": x})), x)
    assert e.degree() == MAX_DEGREE and e.coeff_monomial(x**32) == sp.binomial(64, 32)
    assert parse_expression("(999999**8)**8", {"x": x}) == sp.Integer(999999) ** 64
    assert parse_expression("(x**8)**8", {"x": x}) == x**64


def test_memory_estimates_refuse_in_one_line(monkeypatch):
    from symspline.limits import format_bytes, memory_limit, require_memory

    assert "Dataset.symbols(100000000) needs about" in _raises(ss.SizeError,
                                                               ss.Dataset.symbols, 10**8)
    monkeypatch.setenv("SYMSPLINE_MEMORY_LIMIT", "2M")
    assert memory_limit() == 2 * 1024**2
    assert "needs about 3 MiB of memory (estimate), more than the limit of 2 MiB" in _raises(
        ss.SizeError, require_memory, 3 * 1024**2, "it")
    require_memory(1024**2, "it")  # below the limit: nothing happens
    assert format_bytes(1536) == "1.5 KiB" and format_bytes(12) == "12 bytes"
    monkeypatch.setenv("SYMSPLINE_MEMORY_LIMIT", "-4G")
    _raises(ss.SizeError, memory_limit)


def test_input_files_are_read_from_streams_and_bounded(tmp_path, monkeypatch):
    from symspline import io as sio

    fifo = tmp_path / "pipe"
    _raises(ss.DataError, sio.read_data, tmp_path)  # a directory
    _raises(ss.DataError, sio.read_data, "")
    monkeypatch.setattr(sio, "MAX_FILE_BYTES", 10)
    (tmp_path / "d.csv").write_text(GOOD_CSV)
    assert "more than the limit of 10 bytes" in _raises(ss.DataError, sio.read_data,
                                                         tmp_path / "d.csv")
    import os

    os.mkfifo(fifo)  # a stream without a size: read up to the limit, then refused
    import threading

    writer = threading.Thread(target=lambda: fifo.write_text(GOOD_CSV * 10))
    writer.start()
    msg = _raises(ss.DataError, sio.read_data, fifo)
    writer.join()
    assert "larger than the limit of 10 bytes" in msg
