"""The hostile-input matrix of issue 15: every case is refused with exit 2 (1 for a computation
that failed on valid input), exactly one line on stderr, no traceback, nothing on stdout, nothing
left behind, within a bounded time. Cases are tagged with the issue's ten kinds of failure (and
"option" for an absurd value of a command-line option); a test checks every kind is covered.

Kinds: 1 uncaught exceptions, 2 exact results too long to print, 3 --json with a non-finite
float, 4 nested powers in population expressions, 5 silently wrong numbers, 6 memory
estimates, 7 exit codes, 8 all-or-nothing outputs, 9 messages, 10 unbounded runs.
"""

from __future__ import annotations

import io
import json
import os
import random
import signal
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

GOOD_CSV = "x,y\n-1,1\n0,0\n1/2,1/4\n2,1\n"
FLOAT_CSV = "x,y\n-1.0,1\n0,0\n0.5,0.25\n2,1\n"
GOOD_NET = '{"w": [1, -2], "b": ["1/3", "3/2"], "v": [2, -1], "c": 0}'
FLOAT_NET = '{"w": [1.5, -2.0], "b": [0.3, 1.5], "v": [2.0, -1.0], "c": 0.1}'
#: Seconds a single case may take before it counts as a hang (not a speed requirement: the
#: slowest case takes a few seconds on a shared 2-core machine).
HANG = 120


def _inputs(root: Path) -> None:
    """Write every input file once (the matrix only reads them)."""
    text = {
        "good.csv": GOOD_CSV, "float.csv": FLOAT_CSV, "good.json": GOOD_NET,
        "float.json": FLOAT_NET,
        "spline.json": '{"beta": ["-1/3", "3/4"], "mu": [2, -2], "s": [1, -1], "c": 0}',
        "labels.csv": "x,y,label\n-1,1,a\n0,0,b\n1/2,1/4,a\n2,1,b\n",
        "bigcell.csv": "x,y\n" + "1" * 200_000 + ",1\n",
        "nulbyte.csv": "x,y\n1,\x002\n",
        "deep.json": "[" * 100_000 + "]" * 100_000,
        "deepobj.json": '{"w": ' + "[" * 100_000 + "]" * 100_000 + ', "b": [1], "v": [1], "c": 0}',
        "extra.json": '{"w": [1], "b": [1], "v": [1], "c": 0, "extra": 1}',
        "typo.json": '{"w": [1], "b": [1], "vv": [1], "c": 0}',
        "overflow.json": '{"w": [1e200, -2.0], "b": [3e200, 1.5], "v": [1e200, -1.0], "c": 0.1}',
        "hugeint.json": '{"w": [1' + "0" * 5000 + '], "b": [1], "v": [1], "c": 0}',
        "bool.json": '{"w": [true], "b": [1], "v": [1], "c": 0}',
        "nested_c.json": '{"w": [1], "b": [1], "v": [1], "c": [[0]]}',
        "dir_short.json": '["1", "2"]',
        "dir_text.json": '["1", "x", "0", "0", "0", "0", "0"]',
        "pop_tower.txt": "uniform:-1,1; target: (((999999**8)**8)**8)*x",
        "empty.csv": "",
        # valid input on which the RKC integrator blows up (found by a random search): the
        # field overflows near t = 3.3e5
        "rkc.csv": "x,y\n-2.090485078128588,0.837719384899064\n-0.4822840867730822,"
                   "1.0832531556913447\n0.13469181881788084,1.0393506903088359\n"
                   "0.856858944523106,0.15510669107825276\n1.6952075589596332,"
                   "1.6096626830183138\n",
        "rkc.json": '{"w": [-0.2829742272161367, -0.14098191307078672], "b": '
                    '[0.7993511888940862, -0.5513724079804637], "v": [2.160906258701247, '
                    '1.019206565354622], "c": 0.0}',
    }
    for name, t in text.items():
        (root / name).write_text(t)
    (root / "notutf8.txt").write_bytes(b"uniform:-1,1; target: x\xff\xfe")
    (root / "notutf8.json").write_bytes(b'{"w": [1], "b": [1], "v": [1], "c": "\xff"}')
    buf = io.BytesIO()
    np.savez(buf, x=np.arange(4.0), y=np.zeros(4))
    (root / "trunc.npz").write_bytes(buf.getvalue()[:100])
    (root / "text.npz").write_text("not a zip archive\n")
    buf = io.BytesIO()
    np.savez(buf, x=np.array([object()], dtype=object), y=np.zeros(1))
    (root / "pickled.npz").write_bytes(buf.getvalue())
    with zipfile.ZipFile(root / "nox.npz", "w") as z:  # a zip without the arrays
        z.writestr("readme.txt", "hello")
    np.savez(root / "million.npz", x=np.linspace(-1.0, 1.0, 10**6), y=np.zeros(10**6))
    H = 20_000
    rng = np.random.default_rng(0)
    (root / "mid.json").write_text(json.dumps({
        "w": rng.normal(size=300).tolist(), "b": rng.normal(size=300).tolist(),
        "v": rng.normal(size=300).tolist(), "c": 0.0}))
    (root / "wide.json").write_text(json.dumps({
        "w": rng.normal(size=H).tolist(), "b": rng.normal(size=H).tolist(),
        "v": rng.normal(size=H).tolist(), "c": 0.0}))
    # exact data whose loss has a denominator of about 120,000 digits (the print limit is
    # 100,000): 30 samples with distinct 2000-digit denominators
    r = random.Random(1)
    rows = ["x,y"] + [f"{i},{r.getrandbits(6000)}/{r.getrandbits(6600) | 1}" for i in range(30)]
    (root / "longexact.csv").write_text("\n".join(rows) + "\n")
    (root / "adir").mkdir()
    (root / "H_residual.npy").mkdir()  # in the way of hessian --parts --out H.npy


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("inputs")
    _inputs(root)
    return root


def _listing(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in root.rglob("*")}


D, P = "{in}/good.csv", "{in}/good.json"
FD, FP = "{in}/float.csv", "{in}/float.json"
POP = "uniform:-1,1; target: x**2"

# (kinds, argv, exit code, fragment of the one stderr line)
CASES = [
    # ---- 1: exceptions that used to escape as tracebacks
    ({1}, ["loss", "--data", "{in}/bigcell.csv", "--params", P], 2, "not a readable CSV"),
    ({1}, ["loss", "--data", "{in}/nulbyte.csv", "--params", P], 2, "line 2"),
    ({1}, ["loss", "--data", "{in}/trunc.npz", "--params", P], 2, "not a readable .npz"),
    ({1}, ["loss", "--data", "{in}/text.npz", "--params", P], 2, "not a readable .npz"),
    ({1}, ["loss", "--data", "{in}/pickled.npz", "--params", P], 2, "not a readable .npz"),
    ({1}, ["loss", "--data", "{in}/nox.npz", "--params", P], 2, "must hold arrays"),
    ({1}, ["loss", "--data", D, "--params", "{in}/deep.json"], 2, "nested too deeply"),
    ({1}, ["loss", "--data", D, "--params", "{in}/deepobj.json"], 2, "nested too deeply"),
    ({1}, ["loss", "--data", D, "--params", "{in}/hugeint.json"], 2, "digits"),
    ({1}, ["loss", "--data", D, "--params", "{in}/notutf8.json"], 2, "not UTF-8"),
    ({1}, ["loss", "--population", "@{in}/notutf8.txt", "--params", P], 2, "not UTF-8"),
    ({1}, ["--time-limit", "1e300", "list"], 2, "at most"),
    ({1}, ["landscape", "--data", D, "--params", P, "--direction", "random", "--seed", "-1"], 2,
     "--seed"),
    ({1}, ["init", "--scheme", "gaussian(1e999,1,1)"], 2, "beyond the range"),
    ({1}, ["init", "--scheme", "uniform(1,1,1e-999)"], 2, "scale av"),
    ({1}, ["landscape", "--data", D, "--params", P, "--direction", "{in}/deep.json"], 2,
     "nested too deeply"),
    ({1}, ["loss", "--population", "@{in}/adir", "--params", P], 2, "is a directory"),
    # ---- 2: exact results too long to print
    ({2}, ["loss", "--data", "{in}/longexact.csv", "--params", P], 2, "digits, more than"),
    ({2, 3}, ["loss", "--data", "{in}/longexact.csv", "--params", P, "--json"], 2,
     "digits, more than"),
    # ---- 3: --json with a non-finite float
    ({3, 5}, ["loss", "--data", FD, "--params", "{in}/overflow.json", "--json"], 2,
     "is inf in float64"),
    ({3, 5}, ["grad", "--data", FD, "--params", "{in}/overflow.json", "--json"], 2,
     "in float64"),
    ({3, 5}, ["hessian", "--data", FD, "--params", "{in}/overflow.json", "--json"], 2,
     "in float64"),
    ({3, 5}, ["landscape", "--data", FD, "--params", "{in}/overflow.json", "--json"], 2, ""),
    ({3, 5}, ["spectra", "--data", FD, "--params", "{in}/overflow.json", "--json"], 2,
     "in float64"),
    # ---- 4: nested powers in the population expression
    ({4}, ["loss", "--population", "uniform:-1,1; target: ((x+1)**64)**64", "--params", P], 2,
     "degree up to 4096"),
    ({4}, ["loss", "--population", "@{in}/pop_tower.txt", "--params", P], 2, "digits"),
    ({4}, ["grad", "--population", "uniform:-1,1; target: (x**8)**9", "--params", P], 2,
     "degree up to 72"),
    ({4}, ["hessian", "--population", "uniform:-1,1; target: (x+1)**40*(x-1)**40",
           "--params", P], 2, "degree up to 80"),
    ({4}, ["loss", "--population", "uniform:-1,1; target: x**99999999", "--params", P], 2,
     "exponent"),
    ({4}, ["loss", "--population", "uniform:-1,1; target: 9**9**9**9", "--params", P], 2,
     "exponent"),
    # ---- 5: silently wrong numbers (now refused)
    ({5}, ["loss", "--data", FD, "--params", "{in}/overflow.json"], 2, "is inf in float64"),
    ({5}, ["init", "--scheme", "pytorch", "--at=1e999"], 2, "bad point"),
    ({5}, ["init", "--scheme", "pytorch", "--at=-1e60"], 2, "bad point"),
    ({5}, ["init", "--scheme", "pytorch", "--interval", "-1e999", "1"], 2, "interval end"),
    ({5}, ["landscape", "--data", D, "--params", P, "--range", "nan"], 2, "finite"),
    ({5}, ["landscape", "--data", D, "--params", P, "--range", "inf"], 2, "finite"),
    ({5}, ["landscape", "--data", D, "--params", P, "--range", "1e300"], 2, "--range"),
    ({5}, ["convert", "--params", "{in}/spline.json", "--to", "network", "--balance", "nan"], 2,
     "--balance"),
    ({5}, ["spectra", "--data", D, "--params", P, "--edges", "1e999"], 2, "finite"),
    # ---- 6: memory estimated before allocating
    ({6}, ["hessian", "--data", "{in}/million.npz", "--params", "{in}/wide.json"], 2,
     "of memory (estimate), more than the limit"),
    ({6, 8}, ["hessian", "--data", "{in}/million.npz", "--params", "{in}/wide.json", "--out",
              "W.npy"], 2, "of memory (estimate)"),
    ({6}, ["check", "--data", "{in}/million.npz", "--params", "{in}/wide.json"], 2,
     "of memory (estimate)"),
    ({6}, ["init", "--scheme", "pytorch", "--width", "1000000000"], 2, "of memory (estimate)"),
    ({6}, ["init", "--scheme", "pytorch", "--samples", "1000000000000"], 2,
     "of memory (estimate)"),
    ({6}, ["landscape", "--data", D, "--params", P, "--points", "10000000000", "--out",
           "L.png"], 2, "of memory (estimate)"),
    ({6}, ["spectra", "--data", D, "--params", P, "--flow", "1", "--steps", "1000000000"], 2,
     "of memory (estimate)"),
    ({6}, ["spectra", "--data", "{in}/million.npz", "--params", "{in}/wide.json"], 2,
     "of memory (estimate)"),
    ({6}, ["flow", "--data", D, "--params", P, "--time", "1", "--animate", "A.gif", "--frames",
           "1000000000"], 2, "of memory (estimate)"),
    # ---- 7: exit codes
    ({7}, ["check", "--data", D, "--params", P, "--rtol", "-1"], 2, "--rtol must be > 0"),
    ({7}, ["check", "--data", D, "--params", P, "--rtol", "nan"], 2, "finite"),
    ({7}, ["check", "--data", D, "--params", P, "--rtol", "0"], 2, "--rtol must be > 0"),
    ({7}, ["check", "--data", D, "--params", P, "--rtol", "inf"], 2, "finite"),
    ({7}, ["check", "--data", D, "--params", P, "--rtol", "abc"], 2, "must be a number"),
    ({7}, ["check", "--data", FD, "--params", FP, "--rtol", "1e-300"], 1,
     "closed forms disagree"),
    ({7, 10}, ["flow", "--data", "{in}/rkc.csv", "--params", "{in}/rkc.json", "--time", "1e12",
               "--method", "RKC"], 1, "check failed: integration failed"),
    # ---- 8: all or nothing
    ({8}, ["hessian", "--data", D, "--params", P, "--parts", "--out", "{in}/H.npy"], 2,
     "is a directory"),
    ({8}, ["convert", "--params", "{in}/float.json", "--to", "spline", "--out", "{in}/adir"], 2,
     "is a directory"),
    ({8}, ["convert", "--params", "{in}/overflow.json", "--to", "spline", "--out", "S.json"], 2,
     ""),
    ({8}, ["hessian", "--data", FD, "--params", "{in}/overflow.json", "--out", "O.npy",
           "--parts"], 2, "in float64"),
    # ---- 9: messages
    ({9}, ["loss", "--data", D, "--params", "{in}/extra.json"], 2, "unknown keys extra"),
    ({9}, ["loss", "--data", D, "--params", "{in}/typo.json"], 2, "unknown keys vv"),
    ({9}, ["loss", "--data", "{in}/adir", "--params", P], 2, "is a directory"),
    ({9}, ["loss", "--data", "", "--params", P], 2, "empty file name"),
    ({9}, ["loss", "--data", D, "--params", ""], 2, "empty file name"),
    ({9}, ["loss", "--data", D, "--params", "{in}/bool.json"], 2, "must be a number"),
    ({9}, ["loss", "--data", D, "--params", "{in}/nested_c.json"], 2, "c must be a number"),
    ({9}, ["loss", "--data", "{in}/nope.csv", "--params", P], 2, "data file not found"),
    ({9}, ["convert", "--params", "{in}/good.json", "--to", "spline", "--out",
           "/proc/no/such/dir/x.json"], 2, "cannot write /proc/no/such/dir/x.json"),
    # ---- 10: unbounded runs
    ({10}, ["flow", "--data", D, "--params", P, "--time", "1e12"], 2,
     "field evaluations"),
    ({10}, ["flow", "--data", D, "--params", P, "--time", "1e12", "--method", "RK45"], 2,
     "field evaluations"),
    ({10}, ["spectra", "--data", D, "--params", P, "--flow", "1e12"], 2, "field evaluations"),
    ({10}, ["check", "--data", "{in}/million.npz", "--params", "{in}/mid.json"], 2,
     "operations, more than"),
    ({10}, ["init", "--scheme", "pytorch", "--width", "100000", "--samples", "200000"], 2,
     "a run may draw"),
    # ---- absurd option values, command by command
    ({"option"}, ["--time-limit", "-1", "list"], 2, "positive"),
    ({"option"}, ["--time-limit", "0", "list"], 2, "positive"),
    ({"option"}, ["--time-limit", "nan", "list"], 2, "positive"),
    ({"option"}, ["--time-limit", "inf", "list"], 2, "positive"),
    ({"option"}, ["--time-limit", "soon", "list"], 2, "not a number"),
    ({"option"}, ["loss", "--data", D], 2, "required"),
    ({"option"}, ["loss", "--params", P], 2, "exactly one of --data"),
    ({"option"}, ["loss", "--population", "", "--params", P], 2, ""),
    ({"option"}, ["loss", "--population", "@", "--params", P], 2, "empty file name"),
    ({"option"}, ["loss", "--population", "@{in}/none.txt", "--params", P], 2, "not found"),
    ({"option"}, ["convert", "--params", P, "--to", "line"], 2, "invalid choice"),
    ({"option"}, ["convert", "--params", "{in}/spline.json", "--to", "network", "--balance",
                  "two"], 2, "--balance"),
    ({"option"}, ["convert", "--params", "{in}/spline.json", "--to", "network", "--balance",
                  ""], 2, "--balance"),
    ({"option"}, ["grad", "--data", D, "--params", P, "--param", "tree"], 2, "invalid choice"),
    ({"option"}, ["grad", "--data", D, "--params", P, "--side", "up"], 2, "invalid choice"),
    ({"option"}, ["grad", "--data", D, "--params", "{in}/spline.json", "--param", "network",
                  "--balance", "x"], 2, "not a number"),
    ({"option"}, ["hessian", "--data", D, "--params", P, "--out", "H.txt"], 2, ".npy"),
    ({"option"}, ["hessian", "--data", D, "--params", P, "--out", ""], 2, ".npy"),
    ({"option"}, ["hessian", "--population", POP, "--params", P, "--parts"], 2,
     "not available with --population"),
    ({"option"}, ["check", "--population", POP, "--params", P], 2, "use --data"),
    ({"option"}, ["init", "--scheme", ""], 2, "unknown"),
    ({"option"}, ["init", "--scheme", "gaussian(1,1)"], 2, "3 or 4"),
    ({"option"}, ["init", "--scheme", "uniform(-1,1,1)"], 2, ""),
    ({"option"}, ["init", "--scheme", "pytorch", "--width", "-1"], 2, "width"),
    ({"option"}, ["init", "--scheme", "pytorch", "--width", "0"], 2, "width"),
    ({"option"}, ["init", "--scheme", "pytorch", "--width", "2.5"], 2, "width"),
    ({"option"}, ["init", "--scheme", "pytorch", "--width", "10^9"], 2, "width"),
    ({"option"}, ["init", "--scheme", "pytorch", "--width", ""], 2, "width"),
    ({"option"}, ["init", "--scheme", "pytorch", "--samples", "1"], 2, "samples"),
    ({"option"}, ["init", "--scheme", "pytorch", "--samples", "-5"], 2, "samples"),
    ({"option"}, ["init", "--scheme", "pytorch", "--samples", "1e12"], 2, "samples"),
    ({"option"}, ["init", "--scheme", "pytorch", "--interval", "1", "1"], 2, "interval"),
    ({"option"}, ["init", "--scheme", "pytorch", "--interval", "nan", "1"], 2, "interval end"),
    ({"option"}, ["init", "--scheme", "pytorch", "--at", ""], 2, "at least one"),
    ({"option"}, ["init", "--scheme", "pytorch", "--at", "nan"], 2, "bad point"),
    ({"option"}, ["flow", "--data", D, "--params", P, "--time", "-1"], 2, "--time"),
    ({"option"}, ["flow", "--data", D, "--params", P, "--time", "nan"], 2, "finite"),
    ({"option"}, ["flow", "--data", D, "--params", P, "--time", "inf"], 2, "finite"),
    ({"option"}, ["flow", "--data", D, "--params", P, "--time", "soon"], 2, "a number"),
    ({"option"}, ["flow", "--data", D, "--params", P, "--time", "1", "--rtol", "0"], 2,
     "--rtol"),
    ({"option"}, ["flow", "--data", D, "--params", P, "--time", "1", "--rtol", "2"], 2,
     "(0, 1)"),
    ({"option"}, ["flow", "--data", D, "--params", P, "--time", "1", "--atol", "-1"], 2,
     "--atol"),
    ({"option"}, ["flow", "--data", D, "--params", P, "--time", "1", "--balance", "inf"], 2,
     "finite"),
    ({"option"}, ["flow", "--data", D, "--params", P, "--time", "1", "--method", "Euler"], 2,
     "invalid choice"),
    ({"option"}, ["flow", "--data", D, "--params", P, "--time", "1", "--frames", "1",
                  "--animate", "A.gif"], 2, "--frames"),
    ({"option"}, ["flow", "--data", D, "--params", P, "--time", "1", "--frames", "-3"], 2,
     "--frames"),
    ({"option"}, ["flow", "--data", D, "--params", P, "--time", "1", "--animate", "A.avi"], 2,
     ".gif or .mp4"),
    ({"option"}, ["flow", "--data", D, "--params", P, "--time", "1", "--crossings", "carry"],
     2, "needs --method"),
    ({"option"}, ["flow", "--data", D, "--params", P, "--time", "1", "--method", "RKC",
                  "--crossings", "cut"], 2, "carry only"),
    ({"option"}, ["landscape", "--data", D, "--params", P, "--range", "0"], 2, "--range"),
    ({"option"}, ["landscape", "--data", D, "--params", P, "--range", "-2"], 2, "--range"),
    ({"option"}, ["landscape", "--data", D, "--params", P, "--points", "2"], 2, "--points"),
    ({"option"}, ["landscape", "--data", D, "--params", P, "--points", "-1"], 2, "--points"),
    ({"option"}, ["landscape", "--data", D, "--params", P, "--seed", "abc"], 2, "--seed"),
    ({"option"}, ["landscape", "--data", D, "--params", P, "--seed", str(2**64)], 2, "--seed"),
    ({"option"}, ["landscape", "--data", D, "--params", P, "--index", "0"], 2, "--index"),
    ({"option"}, ["landscape", "--data", D, "--params", P, "--index", "99"], 2, "--index"),
    ({"option"}, ["landscape", "--data", D, "--params", P, "--direction", "sideways"], 2,
     "--direction"),
    ({"option"}, ["landscape", "--data", D, "--params", P, "--direction", ""], 2,
     "--direction"),
    ({"option"}, ["landscape", "--data", D, "--params", P, "--direction",
                  "{in}/dir_short.json"], 2, "needs 7 entries"),
    ({"option"}, ["landscape", "--data", D, "--params", P, "--direction",
                  "{in}/dir_text.json"], 2, "not a number"),
    ({"option"}, ["spectra", "--data", D, "--params", P, "--flow", "0"], 2, "--flow"),
    ({"option"}, ["spectra", "--data", D, "--params", P, "--flow", "nan"], 2, "finite"),
    ({"option"}, ["spectra", "--data", D, "--params", P, "--flow", "1", "--steps", "1"], 2,
     "--steps"),
    ({"option"}, ["spectra", "--data", D, "--params", P, "--flow", "1", "--steps", "1e9"], 2,
     "--steps"),
    ({"option"}, ["spectra", "--data", D, "--params", P, "--edges", "zero"], 2, "--edges"),
    ({"option"}, ["spectra", "--data", "{in}/million.npz", "--params", P, "--by-label"], 2,
     "label"),
    ({"option"}, ["latex", ""], 2, "unknown derivation or theorem"),
    ({"option"}, ["latex"], 2, "required"),
    ({"option"}, ["list", "--all"], 2, "unrecognized"),
    ({"option"}, ["nosuchcommand"], 2, "invalid choice"),
    ({"option"}, ["critical", "--data", D, "--width", "0"], 2, "width"),
    ({"option"}, ["critical", "--data", D, "--width", "abc"], 2, "--width must be an integer"),
    ({"option"}, ["prove", "2.2", "--trials", "0"], 2, "--trials"),
    ({"option"}, ["prove", "2.2", "--jobs", "0"], 2, "--jobs"),
    ({"option"}, ["derive", "nothing", "--no-pdf", "--out", "G"], 2, "unknown derivation"),
]


def _argv(case_argv: list[str], inputs: Path) -> list[str]:
    return [a.replace("{in}", str(inputs)) for a in case_argv]


class _Hang(Exception):
    pass


@pytest.mark.parametrize("kinds, argv, code, fragment", CASES,
                         ids=[f"{i}-{' '.join(a[:1] + [x for x in a[1:] if x.startswith('--')])}"
                              for i, (_, a, _, _) in enumerate(CASES)])
def test_hostile_input_is_refused_in_one_line(inputs, tmp_path, monkeypatch, cli, kinds, argv,
                                              code, fragment):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    before = _listing(inputs)

    def hang(signum, frame):
        raise _Hang(f"no answer within {HANG} s")

    old = signal.signal(signal.SIGALRM, hang)
    signal.alarm(HANG)
    try:
        res = cli(*_argv(argv, inputs))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    err = res.stderr.strip()
    assert res.returncode == code, (res.stdout[-500:], err[-500:])
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err[-2000:]
    assert err.startswith("symspline: ") and len(err) < 2000, err[:300]
    assert fragment.lower() in err.lower(), err
    assert ".tmp" not in err  # no temporary file names in messages
    if code == 2:  # (a failed check, exit 1, still prints its report)
        assert res.stdout == ""
    assert list(work.iterdir()) == []  # nothing left in the working directory
    assert _listing(inputs) == before  # nor beside the inputs or at the output paths


def test_the_matrix_covers_every_kind_and_is_large():
    assert len(CASES) >= 100
    assert len({tuple(a) for _, a, _, _ in CASES}) == len(CASES)
    covered = set().union(*(k for k, _, _, _ in CASES))
    assert covered == {*range(1, 11), "option"}


# ------------------------------------------------------------------ the other side: what works
def test_exact_results_past_pythons_digit_guard_are_printed_in_full(tmp_path, cli,
                                                                     monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d.csv").write_text(GOOD_CSV)
    big = 10**3000
    (tmp_path / "p.json").write_text(json.dumps({"w": ["1e1000", -2], "b": [0, 1],
                                                 "v": [str(big), -1], "c": 0}))
    with_guard = sys.get_int_max_str_digits()
    res = cli("loss", "--data", "d.csv", "--params", "p.json")
    assert res.returncode == 0, res.stderr
    assert sys.get_int_max_str_digits() == with_guard  # the guard is restored afterwards
    text = res.stdout.split("=", 1)[1].split("(")[0].strip()
    sys.set_int_max_str_digits(0)  # this test reads the long digits back itself
    try:
        num, den = (int(t) for t in text.split("/"))
    finally:
        sys.set_int_max_str_digits(with_guard)
    # Independently: f(x) = 10^4000 [x]_+ - [1 - 2x]_+ on the four samples, y as given.
    from fractions import Fraction as F

    xs, ys = [F(-1), F(0), F(1, 2), F(2)], [F(1), F(0), F(1, 4), F(1)]
    w1 = 10**1000 * big

    def f(x):
        return w1 * max(x, 0) - max(1 - 2 * x, 0)

    loss = sum((f(x) - y) ** 2 for x, y in zip(xs, ys, strict=True)) / 8
    assert F(num, den) == loss and len(text) > 8000


def test_hessian_parts_failure_leaves_none_of_the_three_files(tmp_path, cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d.csv").write_text(GOOD_CSV)
    (tmp_path / "p.json").write_text(GOOD_NET)
    (tmp_path / "H_residual.npy").mkdir()
    res = cli("hessian", "--data", "d.csv", "--params", "p.json", "--parts", "--out", "H.npy")
    assert res.returncode == 2 and "H_residual.npy" in res.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["H_residual.npy", "d.csv", "p.json"]
    (tmp_path / "H_residual.npy").rmdir()
    res = cli("hessian", "--data", "d.csv", "--params", "p.json", "--parts", "--out", "H.npy")
    assert res.returncode == 0, res.stderr
    H, G, R = (np.load(tmp_path / n) for n in ("H.npy", "H_gauss_newton.npy", "H_residual.npy"))
    np.testing.assert_allclose(H, G + R, rtol=0, atol=1e-13)  # theory §3.1: H = GN + R


def test_written_files_follow_the_umask(tmp_path, cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.json").write_text(GOOD_NET)
    old = os.umask(0o022)
    try:
        assert cli("convert", "--params", "p.json", "--to", "spline", "--out",
                   "s.json").returncode == 0
        os.umask(0o077)
        assert cli("convert", "--params", "p.json", "--to", "spline", "--out",
                   "t.json").returncode == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "s.json").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "t.json").stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.json", "s.json", "t.json"]


def test_latex_leaves_no_temporary_directory(tmp_path, cli, monkeypatch):
    import tempfile

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    res = cli("latex", "reparameterization")
    assert res.returncode == 0 and r"\section{" in res.stdout
    assert list(scratch.iterdir()) == []


def test_integrator_failure_on_valid_input_exits_1_without_warnings(tmp_path, cli,
                                                                   monkeypatch):
    import warnings

    import symspline.flow as flow_pkg
    from symspline.errors import IntegrationError

    def failing(*args, **kwargs):
        warnings.warn("overflow encountered in multiply", RuntimeWarning, stacklevel=1)
        np.ones(2) / np.zeros(2)  # a floating-point warning as an integrator would raise
        raise IntegrationError("integration failed at t = 3.2e+05: step size underflow")

    monkeypatch.setattr(flow_pkg, "flow", failing)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d.csv").write_text(GOOD_CSV)
    (tmp_path / "p.json").write_text(GOOD_NET)
    with warnings.catch_warnings():
        warnings.simplefilter("default")  # warnings would print, were they not silenced
        res = cli("flow", "--data", "d.csv", "--params", "p.json", "--time", "10",
                  "--method", "RKC", "--no-progress")
    assert res.returncode == 1 and res.stdout == ""
    assert res.stderr.strip() == ("symspline: check failed: integration failed at t = 3.2e+05: "
                                  "step size underflow")


def test_flow_runs_are_bounded_in_steps(tmp_path, cli, monkeypatch):
    import symspline.cli.flow as flow_cli

    monkeypatch.setattr(flow_cli, "MAX_STEPS", 5)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d.csv").write_text(GOOD_CSV)
    (tmp_path / "p.json").write_text(GOOD_NET)
    res = cli("flow", "--data", "d.csv", "--params", "p.json", "--time", "1000", "--method",
              "RKC", "--no-progress")
    assert res.returncode == 2 and "after 5 steps" in res.stderr and res.stdout == ""


def test_memory_limit_can_be_set_and_is_checked(tmp_path, cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d.csv").write_text(GOOD_CSV)
    (tmp_path / "p.json").write_text(GOOD_NET)
    monkeypatch.setenv("SYMSPLINE_MEMORY_LIMIT", "1K")  # a 7 x 7 Hessian needs more than 1 KiB
    res = cli("hessian", "--data", "d.csv", "--params", "p.json")
    assert res.returncode == 2 and "more than the limit of 1 KiB" in res.stderr
    monkeypatch.setenv("SYMSPLINE_MEMORY_LIMIT", "lots")
    res = cli("hessian", "--data", "d.csv", "--params", "p.json")
    assert res.returncode == 2 and "SYMSPLINE_MEMORY_LIMIT must be a size" in res.stderr
    monkeypatch.setenv("SYMSPLINE_MEMORY_LIMIT", "64M")
    assert cli("hessian", "--data", "d.csv", "--params", "p.json").returncode == 0


def test_stdin_and_other_streams_are_read(tmp_path):
    (tmp_path / "p.json").write_text(GOOD_NET)
    proc = subprocess.run([sys.executable, "-m", "symspline", "loss", "--data", "/dev/stdin",
                           "--params", str(tmp_path / "p.json"), "--json"], input=GOOD_CSV,
                          capture_output=True, text=True, timeout=HANG, check=False)
    assert proc.returncode == 0, proc.stderr
    # by hand: f = [x + 1/3]_+ * 2 - [3/2 - 2x]_+ on x = -1, 0, 1/2, 2 against y = 1, 0, 1/4, 1
    from fractions import Fraction as F

    f = [F(0) - F(7, 2), F(2, 3) - F(3, 2), F(5, 3) - F(1, 2), F(14, 3)]
    y = [F(1), F(0), F(1, 4), F(1)]
    assert F(json.loads(proc.stdout)["loss_exact"]) == sum((a - b) ** 2 for a, b in
                                                            zip(f, y, strict=True)) / 8


def test_sigint_during_a_long_command_is_one_line(tmp_path):
    # The child says when its imports are done (an interrupt during Python's own start-up is
    # not the command's to handle), then runs a Monte-Carlo run long enough to be interrupted.
    code = ("import sys, symspline.cli as c; print('ready', file=sys.stderr, flush=True); "
            "sys.exit(c.main(['init', '--scheme', 'pytorch', '--samples', '100000000', "
            "'--width', '50']))")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stderr.readline().strip() == "ready"
    import time

    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=HANG)
    assert proc.returncode == 130 and out == ""
    assert err.strip() == "symspline: interrupted"
    assert list(tmp_path.iterdir()) == []
