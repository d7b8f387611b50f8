"""The command line as a user runs it: outputs, JSON, exit codes, one-line errors, reproducibility."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from symspline.cli import main
from symspline.defaults import default_dataset, default_network
from symspline.io import write_data, write_params


@pytest.fixture
def files(tmp_path):
    d, p = tmp_path / "data.csv", tmp_path / "net.json"
    write_data(d, default_dataset())
    write_params(p, default_network())
    return tmp_path, d, p


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_loss_exact_and_float_agree(files, capsys):
    tmp, d, p = files
    code, out, _ = run(capsys, "loss", "--data", d, "--params", p, "--json")
    assert code == 0
    payload = json.loads(out)
    num, den = map(int, payload["loss_exact"].split("/"))
    assert abs(payload["loss"] - num / den) <= 1e-15 * payload["loss"]
    floats = tmp / "f.json"
    net = json.loads(p.read_text())
    floats.write_text(json.dumps({k: ([eval_frac(x) for x in v] if isinstance(v, list)
                                      else eval_frac(v)) for k, v in net.items()}))
    code, out, _ = run(capsys, "loss", "--data", d, "--params", floats, "--json")
    assert code == 0 and "loss_exact" not in json.loads(out)
    assert abs(json.loads(out)["loss"] - num / den) <= 1e-12 * (num / den)


def eval_frac(v):
    if isinstance(v, str):
        a, b = v.split("/")
        return int(a) / int(b)
    return float(v)


def test_convert_round_trip(files, capsys):
    tmp, d, p = files
    spl = tmp / "spline.json"
    assert run(capsys, "convert", "--params", p, "--to", "spline", "--out", spl)[0] == 0
    code, out, _ = run(capsys, "convert", "--params", spl, "--to", "network", "--balance", "-1",
                       "--json")
    assert code == 0
    back = json.loads(out)
    assert back["ok"] is True and back["command"] == "convert" and back["param"] == "network"
    for i in range(3):
        w, b, v = (back["params"][k][i] for k in "wbv")
        assert abs(v * v - w * w - b * b + 1) < 1e-12
    code, out1, _ = run(capsys, "loss", "--data", d, "--params", p, "--json")
    code, out2, _ = run(capsys, "loss", "--data", d, "--params", spl, "--json")
    assert json.loads(out1)["loss_exact"] == json.loads(out2)["loss_exact"]


def test_list_and_latex(capsys):
    code, out, _ = run(capsys, "list", "--json")
    assert code == 0 and "reparameterization" in [d["name"] for d in json.loads(out)["derivations"]]
    code, out, _ = run(capsys, "latex", "reparameterization")
    assert code == 0 and r"\section{" in out and r"\beta_i = -\frac{b_i}{w_i}" in out


@pytest.mark.parametrize("make_args, msg", [
    (lambda t, d, p: ["loss", "--data", t / "missing.csv", "--params", p], "data file not found"),
    (lambda t, d, p: ["loss", "--data", _write(t, "dup.csv", "x,y\n1,2\n1,3\n"), "--params", p],
     "duplicate x"),
    (lambda t, d, p: ["loss", "--data", _write(t, "nan.csv", "x,y\n1,nan\n"), "--params", p],
     "not a number"),
    (lambda t, d, p: ["loss", "--data", _write(t, "e.csv", ""), "--params", p], "empty file"),
    (lambda t, d, p: ["loss", "--data", d, "--params", _write(t, "b.json", "{")], "not valid JSON"),
    (lambda t, d, p: ["loss", "--data", d, "--params",
                      _write(t, "m.json", '{"w":[1,2],"b":[1],"v":[1,2],"c":0}')], "equal lengths"),
    (lambda t, d, p: ["convert", "--params",
                      _write(t, "z.json", '{"w":[0],"b":[1],"v":[1],"c":0}'), "--to", "spline"],
     "w = 0"),
    (lambda t, d, p: ["convert", "--params", p, "--to", "network"], "already in network form"),
    (lambda t, d, p: ["latex", "no-such-thing"], "unknown derivation or theorem"),
    (lambda t, d, p: ["derive", "nope", "--out", t / "o"], "unknown derivation"),
    (lambda t, d, p: ["loss", "--data", d], "required"),
])
def test_bad_input_exit_2_one_line(files, capsys, make_args, msg):
    tmp, d, p = files
    code, out, err = run(capsys, *make_args(tmp, d, p))
    assert code == 2
    assert msg in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def _write(tmp, name, text):
    path = tmp / name
    path.write_text(text)
    return path


def test_derive_quick_is_reproducible(tmp_path):
    outs = []
    for k in range(2):
        out = tmp_path / f"gen{k}"
        proc = subprocess.run([sys.executable, "-m", "symspline.cli", "derive", "reparameterization",
                               "--quick", "--no-pdf", "--out", str(out)], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        assert "reparameterization" in proc.stdout and "all checks passed" in proc.stdout
        outs.append(out)
    files0 = sorted(p.relative_to(outs[0]) for p in outs[0].rglob("*") if p.is_file())
    files1 = sorted(p.relative_to(outs[1]) for p in outs[1].rglob("*") if p.is_file())
    assert files0 == files1 and files0
    for rel in files0:
        assert (outs[0] / rel).read_bytes() == (outs[1] / rel).read_bytes(), rel
    tex = (outs[0] / "reparameterization.tex").read_text()
    assert tex.startswith("\\documentclass") and tex.rstrip().endswith("\\end{document}")
    assert not list(outs[0].glob(".*.tmp"))


def test_init_text_is_readable_unicode_math_with_floats_beside_exact(capsys):
    """Issue 16 item 5: no raw LaTeX, simplified conditions, one compact table of values."""
    code, out, _ = run(capsys, "init", "--scheme", "pytorch", "--width", "4", "--samples", "2000")
    assert code == 0
    assert "$" not in out and "\\" not in out  # no LaTeX
    assert "∨" not in out and "x ≤ 1" in out  # x ≤ 0 ∨ x ≤ 1 simplified
    assert "p(β) = ⎨" in out and "Var f′(x) = 1/18" in out
    cells = [re.split(r"\s{2,}", ln) for ln in out.splitlines()
             if ln.startswith(("p(β)", "Var f(x)"))]
    rows = {tuple(c[:3]): c for c in cells}
    # exact value, then its float, beside the Monte-Carlo estimate: (H (x^2 + 1) + 6)/(18 H)
    assert rows[("p(β)", "-2", "1/16")][3] == "0.0625"
    assert rows[("Var f(x)", "0.5", "11/72")][3] == f"{11 / 72:.6g}"
    head = [ln for ln in out.splitlines() if ln.startswith("quantity")][0]
    assert head.split()[:4] == ["quantity", "x", "exact", "≈"]


def test_convert_text_is_simplified_with_floats_beside(tmp_path, capsys):
    spl = tmp_path / "spline.json"
    spl.write_text(json.dumps({"beta": ["1/3", "-1/2", "2"], "mu": ["1", "-2", "1/2"],
                               "s": [1, -1, 1], "c": "1/5"}))
    code, out, _ = run(capsys, "convert", "--params", spl, "--to", "network", "--balance", "-1")
    assert code == 0
    assert "sqrt" not in out and "√6/2 ≈ 1.22474" in out and out.rstrip().endswith("c = 1/5 ≈ 0.2")
    code, js, _ = run(capsys, "convert", "--params", spl, "--to", "network", "--balance", "-1",
                      "--json")
    params = json.loads(js)["params"]
    lines = out.splitlines()
    assert lines[0].split() == ["unit", "w", "b", "v"]
    for i, line in enumerate(lines[2:5]):
        cells = [c for c in line.split("  ") if c.strip()][1:]
        for name, cell in zip("wbv", cells, strict=True):
            exact, approx = cell.strip().split(" ≈ ")
            assert float(approx) == pytest.approx(params[name][i], rel=1e-5), (name, i, exact)


def test_derive_summary_table_shows_plain_text_statements(tmp_path, capsys):
    code, out, _ = run(capsys, "derive", "reparameterization", "--quick", "--no-pdf", "--no-cache",
                       "--no-progress", "--out", tmp_path / "o")
    assert code == 0
    row = [ln for ln in out.splitlines() if ln.startswith("reparameterization")][0]
    assert "each unit is a hinge" in row and "$" not in row and "\\" not in row
    from derivations import hessian
    from symspline.cli.derive import _print_table

    _print_table([{"derivation": "hessian", "section": "3", "statement": hessian.SUMMARY,
                   "level_summary": "-", "agreement": None, "seconds": 1.0, "ok": True,
                   "failed": []}])
    row = capsys.readouterr().out.splitlines()[2]
    assert "∇² L = (Jᵀ J + R)/N with R a sum of" in row and "$" not in row and "\\" not in row
    code, js, _ = run(capsys, "derive", "reparameterization", "--quick", "--no-pdf",
                      "--no-progress", "--out", tmp_path / "o", "--json")
    assert "$\\nabla L$" in json.loads(js)["derivations"][0]["statement"]  # JSON unchanged


def test_every_command_that_reads_parameters_takes_negative_slope():
    # issue 17: the leaky ReLU wherever parameters are read; weight decay on the loss commands
    import argparse

    from symspline.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    readers = {name for name, p in sub.choices.items()
               if any("--params" in a.option_strings for a in p._actions)}
    assert {"loss", "grad", "hessian", "check", "convert", "spectra"} <= readers
    for name in readers:
        options = {o for a in sub.choices[name]._actions for o in a.option_strings}
        assert "--negative-slope" in options, name
    for name in ("loss", "grad", "hessian", "check"):
        options = {o for a in sub.choices[name]._actions for o in a.option_strings}
        assert "--weight-decay" in options, name
