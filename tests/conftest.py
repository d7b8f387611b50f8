"""Shared fixtures: the built-in exact example and small random problems."""

from __future__ import annotations

import os
from typing import NamedTuple

import numpy as np
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")
# derive's result cache stays out of the tests: every run recomputes (tests of the cache pass
# --cache DIR explicitly)
os.environ["SYMSPLINE_CACHE"] = "off"

from symspline.defaults import default_dataset, default_network  # noqa: E402


@pytest.fixture
def data():
    return default_dataset()


@pytest.fixture
def net():
    return default_network()


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


class CliRun(NamedTuple):
    """Outcome of one in-process command: attribute access or tuple unpacking both work."""

    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(capsys):
    """Run the command line in-process (a subprocess would re-import SymPy every time)."""
    from symspline.cli import main

    def run(*args):
        capsys.readouterr()
        code = main([str(a) for a in args])
        out = capsys.readouterr()
        return CliRun(code, out.out, out.err)

    return run
