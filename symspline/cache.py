"""A content-addressed cache of derivation results for ``symspline derive --cache DIR``.

A derivation's result depends on its inputs (name, ``--quick``, ``--seed``, the built-in data),
on the code that computes it, and on the libraries that do the arithmetic. The cache key is a
SHA-256 over all of them: the derivation's name, quick, seed, the versions of SymPy, NumPy,
SciPy, mpmath and Matplotlib, and the bytes of *every* source file of the ``symspline`` and
``derivations`` packages. Any edit to any formula, derivation, renderer or default therefore
invalidates every entry: coarse, but a stale result can never be served, and it needs no
dependency tracking that could miss an import.

An entry holds the pickled :class:`~symspline.records.Derivation` and the bytes of the figure files
it wrote (the PNG and its vector PDF twin); a hit writes the figures back into the output
directory and returns the result, so the files ``derive`` writes are byte-identical to a fresh
run's. Only results whose every claim is ok are stored (a failed check runs again next time).
Entries are written atomically (temporary file, then rename), so concurrent runs are safe. The
directory must be the user's own: entries are pickles.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import importlib.util
import os
import pickle
import tempfile
from pathlib import Path
from types import ModuleType

from .errors import InputError

#: Bumped when the entry layout changes.
FORMAT = 1
_LIBRARIES = ("sympy", "numpy", "scipy", "mpmath", "matplotlib")


@functools.lru_cache(maxsize=1)
def source_digest() -> str:
    """SHA-256 of every .py file of the symspline and derivations packages (path and bytes).

    The derivations package is located, not imported: the library imports it only through the
    ``derive`` entry point (:func:`symspline.cli.derive.derivations_package`).
    """
    spec = importlib.util.find_spec("derivations")
    if spec is None or spec.origin is None:
        raise InputError("the derivations package is not installed beside symspline")
    h = hashlib.sha256()
    for init in (Path(__file__), Path(spec.origin)):
        root = init.resolve().parent
        for path in sorted(root.rglob("*.py")):
            h.update(str(path.relative_to(root.parent)).encode())
            h.update(b"\0")
            h.update(path.read_bytes())
            h.update(b"\0")
    return h.hexdigest()


def cache_key(name: str, quick: bool, seed: int) -> str:
    """The key of one derivation run: inputs, library versions and the source digest."""
    versions = []
    for lib in _LIBRARIES:
        try:
            versions.append(f"{lib}={importlib.import_module(lib).__version__}")
        except ImportError:
            versions.append(f"{lib}=absent")
    text = "\n".join([f"format={FORMAT}", f"name={name}", f"quick={bool(quick)}",
                      f"seed={int(seed)}", *versions, f"source={source_digest()}"])
    return hashlib.sha256(text.encode()).hexdigest()


def _figure_files(result: object) -> list[str]:
    """Paths (relative to the output directory) of the files behind the result's figures."""
    files = []
    for fig in getattr(result, "figures", ()):
        png = Path(fig.path)
        files.append(str(png))
        files.append(str(png.with_suffix(".pdf")))
    return files


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def load(root: Path, key: str, out_dir: Path) -> object | None:
    """The cached result for ``key`` with its figures written into ``out_dir``, or None."""
    entry = Path(root) / f"{key}.pkl"
    try:
        blob = entry.read_bytes()
        fmt, result, files = pickle.loads(blob)  # noqa: S301 - the user's own cache directory
    except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError,
            ImportError):
        return None
    if fmt != FORMAT:
        return None
    for rel, data in files.items():
        _atomic_write(Path(out_dir) / rel, data)
    return result


def store(root: Path, key: str, result: object, out_dir: Path) -> bool:
    """Store an all-ok result and its figure files; False when it is not cacheable."""
    if not getattr(result, "ok", False):
        return False
    files = {}
    for rel in _figure_files(result):
        p = Path(out_dir) / rel
        if p.is_file():
            files[rel] = p.read_bytes()
    try:
        blob = pickle.dumps((FORMAT, result, files), protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError):
        return False
    _atomic_write(Path(root) / f"{key}.pkl", blob)
    return True


def run_cached(mod: ModuleType, ctx: object, name: str, root: str | os.PathLike) -> object:
    """``mod.run(ctx)``, served from the cache under ``root`` when its key is there."""
    key = cache_key(name, ctx.quick, ctx.seed)
    hit = load(Path(root), key, ctx.out_dir)
    if hit is not None:
        return hit
    result = mod.run(ctx)
    try:
        store(Path(root), key, result, ctx.out_dir)
    except OSError:  # an unwritable cache costs speed next time, never the result
        pass
    return result


def default_root() -> Path | None:
    """The cache directory ``derive`` uses unless told otherwise, or None when caching is off.

    ``SYMSPLINE_CACHE`` names it (``off`` turns caching off); otherwise
    ``$XDG_CACHE_HOME/symspline/derive``, falling back to ``~/.cache/symspline/derive``. Entries
    are pickles, so the directory must be the user's own: the default lies in the home directory.
    """
    env = os.environ.get("SYMSPLINE_CACHE")
    if env is not None:
        return None if env.strip().lower() in ("", "off", "0", "no", "none") else Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "symspline" / "derive"
