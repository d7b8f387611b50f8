"""The `symspline` command: a thin shell over the library; every module here adds subcommands.

A module ``symspline/cli/NAME.py`` (not starting with ``_``) that defines
``register(subparsers)`` is discovered automatically; each parser it adds sets
``handler=func`` where ``func(args) -> int`` returns the exit code.
Exit codes: 0 success, 1 a check or proof failed, 2 bad input (one line on stderr, no traceback).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import pkgutil
import signal
import sys
import warnings
from collections.abc import Iterator, Sequence

from ..errors import CheckFailed, SymsplineError, TimeLimitError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, as for every other bad input
        self.exit(2, f"symspline: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every discovered subcommand."""
    parser = _Parser(
        prog="symspline",
        description="Symbolic-analytic derivation engine for shallow univariate ReLU networks "
        "read as continuous piecewise-linear splines.",
    )
    from .. import __version__

    parser.add_argument("--version", action="version", version=f"symspline {__version__}")
    parser.add_argument("--time-limit", type=_seconds, default=None, metavar="SECONDS",
                        help="stop any command that runs longer than this (exit 2); symbolic "
                        "proofs and enumerations can grow fast with the width")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(mod, "register", None)
        if register is not None:
            register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors end here
        return int(exc.code or 0)
    if getattr(args, "handler", None) is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        with _time_limit(args.time_limit), _quiet_numerics():
            return int(args.handler(args) or 0)
    except CheckFailed as exc:
        print(f"symspline: check failed: {_one_line(str(exc))}", file=sys.stderr)
        return 1
    except SymsplineError as exc:
        print(f"symspline: error: {_one_line(str(exc))}", file=sys.stderr)
        return 2
    except OSError as exc:
        # The OS message without file names: they may name our temporary files.
        what = exc.strerror or type(exc).__name__
        where = f": {exc.filename}" if exc.filename and ".tmp" not in str(exc.filename) else ""
        print(f"symspline: error: {_one_line(what)}{where}", file=sys.stderr)
        return 2
    except RecursionError:  # last resort: inputs are bounded before this can happen
        print("symspline: error: the input is nested too deeply to process", file=sys.stderr)
        return 2
    except MemoryError:  # last resort: large requests are estimated and refused beforehand
        print("symspline: error: ran out of memory; the request is too large for this machine",
              file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("symspline: interrupted", file=sys.stderr)
        return 130


#: The longest --time-limit accepted (a year): setitimer overflows far above it.
MAX_TIME_LIMIT = 365 * 24 * 3600.0


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text[:40]!r}") from None
    if not value > 0 or value != value or value == float("inf"):
        raise argparse.ArgumentTypeError(f"the time limit must be a positive number, got {text!r}")
    if value > MAX_TIME_LIMIT:
        raise argparse.ArgumentTypeError(f"the time limit must be at most {MAX_TIME_LIMIT:.0f} s "
                                         f"(a year), got {text!r}")
    return value


@contextlib.contextmanager
def _quiet_numerics() -> Iterator[None]:
    # NumPy and SciPy report overflow and integrator trouble as RuntimeWarning lines on stderr;
    # the commands check their results for finiteness instead and say what went wrong in one
    # line (symspline.cli._common.require_finite), so the warnings would only be noise.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        import numpy as np

        with np.errstate(all="ignore"):
            yield


@contextlib.contextmanager
def _time_limit(seconds: float | None) -> Iterator[None]:
    # SIGALRM interrupts pure-Python SymPy work between bytecodes: the command stops cleanly.
    if seconds is None or not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise TimeLimitError(f"stopped after the time limit of {seconds:g} s (--time-limit)")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _one_line(text: str) -> str:
    return " ".join(text.split())


