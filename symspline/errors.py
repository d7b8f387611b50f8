"""One exception hierarchy for everything symspline refuses to do."""

from __future__ import annotations


class SymsplineError(Exception):
    """Base class: a problem with the user's request, reported in one line (CLI exit code 2)."""


class InputError(SymsplineError, ValueError):
    """Malformed or inconsistent input: files, arrays, parameters, names."""


class DataError(InputError):
    """A data set that cannot be used: duplicate x, non-finite values, mismatched lengths, empty."""


class ParameterError(InputError):
    """Parameters that cannot be used: wrong shapes, bad orientations, non-finite values."""


class DegenerateUnitError(ParameterError):
    """A unit with w_i = 0 where its breakpoint -b_i/w_i is needed (docs/theory.md §1.4)."""

    def __init__(self, unit: int, detail: str = "") -> None:
        self.unit = unit
        msg = f"unit {unit + 1} has w = 0: its breakpoint -b/w is at infinity"
        super().__init__(msg + (f"; {detail}" if detail else ""))


class KinkError(SymsplineError, ValueError):
    """A derivative requested where a breakpoint lies exactly on a data point (theory §2.3)."""

    def __init__(self, unit: int, point: int, x: object) -> None:
        self.unit = unit
        self.point = point
        self.x = x
        super().__init__(
            f"breakpoint of unit {unit + 1} lies exactly on data point {point + 1} (x = {x}): "
            "the loss has a kink there; ask for a one-sided derivative with side='left' or 'right'"
        )


class SizeError(SymsplineError, ValueError):
    """A symbolic problem too large to build in reasonable time and memory."""


class TimeLimitError(SymsplineError):
    """Work stopped because it ran past the time limit the user set."""


class ParseError(InputError):
    """Text that is not a number or expression of the accepted form."""


class UnknownNameError(InputError, KeyError):
    """An unknown derivation, theorem, scheme or other named object."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class IntegrationError(ParameterError):
    """The integrator failed on valid input (non-finite field, step underflow, a stall, too many
    pattern changes): a failed computation, which the CLI reports with exit code 1, not 2.

    It stays a ParameterError for callers of the library that caught that before.
    """


class CheckFailed(Exception):
    """A proof or numeric check that ran and failed (CLI exit code 1); not an input problem."""
