"""Animations of learning dynamics in the spline view (matplotlib.animation; GIF via Pillow)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from ..data import Dataset
from ..errors import InputError
from ..io import atomic_path
from .integrate import FlowResult


def frame_rows(result: FlowResult, data: Dataset, frames: int, by: str = "time") -> np.ndarray:
    """Row indices of ``result`` for ``frames`` frames, evenly spaced in time or in loss."""
    from .. import kernels

    n = result.t.size
    if by == "time":
        targets = np.linspace(result.t[0], result.t[-1], frames)
        return np.unique(np.searchsorted(result.t, targets).clip(0, n - 1))
    if by == "loss":
        losses = np.array([kernels.loss(result.params_at(k), data) for k in range(n)])
        targets = np.linspace(losses[0], losses[-1], frames)
        # loss decreases along gradient flow: the first row at or below each level
        return np.unique([int(np.argmax(losses <= tv + 1e-300)) for tv in targets])
    raise InputError(f"frames are sampled by 'time' or 'loss', got {by!r}")


def animate(result: FlowResult, data: Dataset, path: str | Path, *, frames: int = 60,
            by: str = "time", fps: int = 12) -> Path:
    """Write an animation: data, current f, breakpoints sized by |mu| and coloured by
    orientation (captured ones ringed), and the loss against time in a side panel.

    ``.gif`` uses Pillow; ``.mp4`` needs ffmpeg on PATH (InputError otherwise).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.animation import FFMpegWriter, FuncAnimation, PillowWriter

    from .. import kernels

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".gif", ".mp4"):
        raise InputError(f"animation must be .gif or .mp4, got {path.name}")
    if suffix == ".mp4" and shutil.which("ffmpeg") is None:
        raise InputError("writing .mp4 needs ffmpeg on PATH; use a .gif instead")
    d = data.as_float()
    rows = frame_rows(result, d, frames, by)
    losses = np.array([kernels.loss(result.params_at(k), d) for k in range(result.t.size)])
    span = d.x[-1] - d.x[0]
    grid = np.linspace(d.x[0] - 0.15 * span, d.x[-1] + 0.15 * span, 400)
    caps = [(e.t, e.kind, e.unit) for e in result.events if e.kind in ("capture", "release")]
    fig, (ax, axl) = plt.subplots(1, 2, figsize=(9, 3.6), gridspec_kw={"width_ratios": [2, 1]})
    ax.scatter(d.x, d.y, color="k", s=14, zorder=3, label="data")
    (line,) = ax.plot([], [], color="tab:blue", lw=1.5, label="f")
    pts = ax.scatter([], [], s=[], zorder=4)
    ax.set_xlim(grid[0], grid[-1])
    lo, hi = float(d.y.min()), float(d.y.max())
    ax.set_ylim(lo - 0.3 * (hi - lo + 1e-9), hi + 0.3 * (hi - lo + 1e-9))
    ax.legend(loc="upper left", fontsize=7)
    axl.semilogy(result.t, np.maximum(losses, 1e-300), color="tab:gray")
    (mark,) = axl.plot([], [], "o", color="tab:red")
    axl.set_xlabel("t")
    axl.set_title("loss", fontsize=9)
    mu_max = max(1e-12, float(max(np.max(np.abs(result.spline_at(k).mu)) for k in rows)))

    def draw(j: int) -> tuple:
        k = int(rows[j])
        spl = result.spline_at(k)
        line.set_data(grid, spl(grid))
        held = {u for (tc, kind, u) in caps if tc <= result.t[k]} - {
            u for (tc, kind, u) in caps if kind == "release" and tc <= result.t[k]}
        pts.set_offsets(np.column_stack([spl.beta, spl(spl.beta)]))
        pts.set_sizes(8 + 120 * np.abs(spl.mu) / mu_max)
        pts.set_facecolors(["tab:orange" if s > 0 else "tab:green" for s in spl.s])
        pts.set_edgecolors(["red" if i in held else "none" for i in range(spl.H)])
        mark.set_data([result.t[k]], [max(losses[k], 1e-300)])
        ax.set_title(f"t = {result.t[k]:.3g}   (orange s=+1, green s=-1, red ring: captured)",
                     fontsize=8)
        return line, pts, mark

    anim = FuncAnimation(fig, draw, frames=len(rows), blit=False)
    writer = PillowWriter(fps=fps) if suffix == ".gif" else FFMpegWriter(fps=fps)
    try:
        with atomic_path(path) as tmp:
            inter = tmp.with_suffix(suffix)  # writers pick the format from the file suffix
            try:
                anim.save(str(inter), writer=writer)
                inter.replace(tmp)
            finally:
                if inter.exists():
                    inter.unlink()
    finally:
        plt.close(fig)
    return path
