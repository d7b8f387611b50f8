"""Measured errors stated as bounds, so that generated text does not print rounding noise.

A numeric cross-check measures an error (a relative difference, a residual, a distance). Its
leading digits below about 1e-12 are rounding noise: they change with the CPU's SIMD width, the
BLAS, the summation order, and they did change from one machine to another (3.0e-16 against
7.1e-16 for the same check). Generated text therefore never prints such a number; it states the
smallest power of ten strictly above the measurement, and never less than :data:`FLOOR`:

====================  ==============
measured              printed
====================  ==============
0, 3.0e-16, 7.1e-16   ``< 1e-12``
4.7e-11               ``< 1e-10``
2.0e-08               ``< 1e-7``
1.0e-04               ``< 1e-3``
====================  ==============

An error limited by an integrator's tolerance varies between machines by factors of order one
(the step sequence follows the last bits); :func:`limited_by` states it no finer than 100 times
the tolerance.

Above the floor a measurement is dominated by truncation (finite-difference step, tolerance of
an integrator, width of a discretization), which is the same on every machine to far better
than a factor of ten; only a value within rounding of a power of ten could print differently,
and none of the generated checks sits there.
"""

from __future__ import annotations

import math

#: Every measured error below this is stated as "< 1e-12": rounding noise, whatever its digits.
FLOOR_EXPONENT = -12
FLOOR = 10.0 ** FLOOR_EXPONENT


def ceiling_exponent(value: float, floor: int = FLOOR_EXPONENT) -> int:
    """The smallest k >= ``floor`` with ``|value| < 10**k``.

    Parameters
    ----------
    value
        A finite measured error (its sign is ignored).
    floor
        The smallest exponent stated. Lower it only for errors computed in software
        arithmetic that is the same on every machine (mpmath at 60 digits), never for float64.

    Returns
    -------
    int
        The exponent of the stated bound.
    """
    v = abs(float(value))
    if not math.isfinite(v):
        raise ValueError(f"a bound needs a finite value, got {value!r}")
    if v < 10.0 ** floor:
        return floor
    k = math.floor(math.log10(v)) + 1
    # log10 rounds: make 10**k strictly above v and 10**(k-1) not above it
    while 10.0 ** k <= v:
        k += 1
    while k - 1 > floor and 10.0 ** (k - 1) > v:
        k -= 1
    return max(k, floor)


def limited_by(value: float, rtol: float, factor: float = 100.0) -> float:
    """A measured error of a run at relative tolerance ``rtol``, made no finer than
    ``factor * rtol`` once stated by :func:`bound`.

    Such an error (an integrator's distance to a limit, the gap between two integrations) is
    decided by the step sequence, and a step accepted on one machine can be rejected on another
    when the error estimate differs in its last bits: the value moves by factors of order one
    (measured: 7.2e-11 to 7.6e-11 after a 1-ulp change of the start, and 9.1e-10 to 1.04e-9,
    across a power of ten). Returns ``max(|value|, factor * rtol / 10)``, which :func:`bound`
    prints as ``< factor * rtol`` (rounded up to a power of ten) when the value is smaller.

    Parameters
    ----------
    value
        The measured error.
    rtol
        The run's relative tolerance.
    factor
        How far above ``rtol`` the stated bound starts.

    Returns
    -------
    float
        The value to state (and to record as the claim's agreement).

    Examples
    --------
    >>> bound(limited_by(6.6e-13, 1e-10)), bound(limited_by(3e-6, 1e-10))
    ('< 1e-8', '< 1e-5')
    """
    return max(abs(float(value)), factor * float(rtol) / 10.0)


def _power(k: int) -> str:
    return "1" if k == 0 else f"1e{k}"


def bound(value: float | None, none: str = "-", *, floor: int = FLOOR_EXPONENT) -> str:
    """A measured error as plain text: ``"< 1e-12"``, ``"< 1e-7"``, ... (``none`` for None).

    Non-finite values are printed as they are ("inf", "nan"): they are failures, not noise.

    Parameters
    ----------
    value
        The measured error, or None when nothing was measured.
    none
        The text for None.
    floor
        The smallest exponent stated (see :func:`ceiling_exponent`).

    Returns
    -------
    str
        The bound as text.

    Examples
    --------
    >>> bound(7.1e-16), bound(4.7e-11), bound(2.0e-8), bound(None)
    ('< 1e-12', '< 1e-10', '< 1e-7', '-')
    """
    if value is None:
        return none
    if not math.isfinite(float(value)):
        return str(float(value))
    return f"< {_power(ceiling_exponent(value, floor))}"


def bound_latex(value: float | None, none: str = "--") -> str:
    """The same bound as LaTeX math: ``$< 10^{-12}$`` (``none`` for None).

    Parameters
    ----------
    value
        The measured error, or None when nothing was measured.
    none
        The text for None.

    Returns
    -------
    str
        The bound as inline math.
    """
    if value is None:
        return none
    if not math.isfinite(float(value)):
        return rf"${float(value)}$".replace("inf", r"\infty")
    k = ceiling_exponent(value)
    return "$< 1$" if k == 0 else rf"$< 10^{{{k}}}$"
