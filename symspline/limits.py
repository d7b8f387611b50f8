"""Resource limits: estimate the memory a request needs and refuse it in one line, before allocating.

The limit is ``min(8 GiB, available memory)``; the environment variable
``SYMSPLINE_MEMORY_LIMIT`` (bytes, or a number with a K, M, G or T suffix) replaces the 8 GiB.
Estimates count the large arrays a computation holds at once; they are meant to be within a
small factor of the truth, which is enough to turn a raw allocation failure (or the machine
swapping for minutes) into a one-line :class:`~symspline.errors.SizeError`.
"""

from __future__ import annotations

import os
import re

from .errors import SizeError

#: Default ceiling in bytes when the environment variable is not set.
DEFAULT_MEMORY_LIMIT = 8 * 1024**3
_SUFFIX = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


def available_memory() -> int | None:
    """Bytes of memory available to new allocations (Linux ``MemAvailable``), or None if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def memory_limit() -> int:
    """The memory limit in bytes: min(SYMSPLINE_MEMORY_LIMIT or 8 GiB, available memory).

    Raises
    ------
    SizeError
        When ``SYMSPLINE_MEMORY_LIMIT`` is set but is not a positive size.
    """
    text = os.environ.get("SYMSPLINE_MEMORY_LIMIT", "").strip()
    limit = DEFAULT_MEMORY_LIMIT
    if text:
        m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?", text, flags=re.IGNORECASE)
        if not m or float(m.group(1)) <= 0:
            raise SizeError(f"SYMSPLINE_MEMORY_LIMIT must be a size such as 4G or 500M, "
                            f"got {text[:40]!r}")
        limit = int(float(m.group(1)) * _SUFFIX[m.group(2).upper()])
    avail = available_memory()
    return limit if avail is None else min(limit, avail)


def format_bytes(n: float) -> str:
    """A byte count for messages: '9.6 GB' style with binary units (KiB, MiB, GiB, TiB)."""
    for unit, size in (("TiB", 1024**4), ("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{int(n)} bytes"


def require_memory(nbytes: float, what: str) -> None:
    """Refuse a computation whose estimated memory exceeds :func:`memory_limit`.

    Parameters
    ----------
    nbytes : float
        The estimate in bytes (a float, so that huge requests cannot overflow).
    what : str
        The request in words, e.g. ``"the Hessian at H = 20000"``.

    Raises
    ------
    SizeError
        ``"<what> needs about 28.8 GiB of memory (estimate), more than the limit of 8 GiB ..."``.
    """
    limit = memory_limit()
    if nbytes > limit:
        raise SizeError(f"{what} needs about {format_bytes(nbytes)} of memory (estimate), more "
                        f"than the limit of {format_bytes(limit)} (min(8 GiB, available memory); "
                        "SYMSPLINE_MEMORY_LIMIT sets the first)")


__all__ = ["DEFAULT_MEMORY_LIMIT", "available_memory", "format_bytes", "memory_limit",
           "require_memory"]
