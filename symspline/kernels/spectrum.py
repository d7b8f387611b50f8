"""Hessian-vector products as a SciPy ``LinearOperator`` and extreme eigenvalues by Lanczos."""

from __future__ import annotations

import numpy as np
from scipy.sparse.linalg import ArpackNoConvergence, LinearOperator, eigsh

from ..errors import InputError, SizeError
from .base import Kernel

#: Up to this many parameters "auto" uses the dense Hessian and LAPACK instead of Lanczos.
DENSE_MAX = 400
#: Default Lanczos basis size (measured at H = 1000: 60-100 need 3-5x fewer products than 20).
NCV = 96
#: Seed of the Lanczos start vector: ARPACK draws a random one otherwise (irreproducible).
START_SEED = 20_081_772


def operator(kernel: Kernel) -> LinearOperator:
    """The Hessian of ``kernel`` as a symmetric LinearOperator; each product costs O(H)."""
    P = kernel.size

    def matvec(d: np.ndarray) -> np.ndarray:
        return kernel.hvp(np.asarray(d, dtype=np.float64).reshape(P))

    return LinearOperator((P, P), matvec=matvec, rmatvec=matvec, dtype=np.float64)


def extremes(kernel: Kernel, k: int, method: str, tol: float, maxiter: int | None,
             ncv: int | None = None) -> dict[str, np.ndarray]:
    """The k largest (descending) and k smallest (ascending) Hessian eigenvalues."""
    P = kernel.size
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or not 1 <= k <= P:
        raise InputError(f"k must be an integer in 1..{P} (the number of parameters), got {k!r}")
    if method not in ("auto", "dense", "lanczos"):
        raise InputError(f"method must be 'auto', 'dense' or 'lanczos', got {method!r}")
    # ARPACK needs k < P; a dense solve is also cheaper than Lanczos for small P.
    dense = method == "dense" or (method == "auto" and P <= DENSE_MAX) or k >= P - 1
    if dense:
        ev = np.linalg.eigvalsh(kernel.hessian())
        return {"largest": ev[::-1][:k].copy(), "smallest": ev[:k].copy()}
    op = operator(kernel)
    v0 = np.random.default_rng(START_SEED).standard_normal(P)
    if ncv is None:
        # The small end of a loss Hessian is often tightly clustered (near-flat directions):
        # a wider Krylov basis than ARPACK's default max(2k + 1, 20) cuts the products 3-5 fold,
        # while much wider ones cost more in re-orthogonalization than they save.
        ncv = min(P - 1, max(2 * int(k) + 1, NCV))
    out = {}
    for key, which in (("largest", "LA"), ("smallest", "SA")):
        try:
            vals = eigsh(op, k=int(k), which=which, v0=v0, tol=tol, maxiter=maxiter, ncv=ncv,
                         return_eigenvectors=False)
        except ArpackNoConvergence as exc:
            raise SizeError(
                f"Lanczos did not converge to the {k} {key} eigenvalues of a {P} x {P} Hessian; "
                "raise maxiter or tol, or use method='dense'") from exc
        vals = np.sort(vals)
        out[key] = vals[::-1].copy() if key == "largest" else vals
    return out
