"""Animations of learning dynamics in the spline view (matplotlib.animation; GIF via Pillow)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from ..data import Dataset
from ..errors import InputError
from ..io import atomic_path
from .integrate import FlowResult


def objectives(result: FlowResult, data: Dataset) -> np.ndarray:
    """The objective at every row: L, plus (lambda/2)||theta||^2 of the network state with
    weight decay (for a quotient flow: of its representative with delta(t)). It is what
    decreases along the flow; the loss alone need not under weight decay."""
    from .. import kernels

    lam = result.weight_decay
    return np.array([float(kernels.loss(result.params_at(k), data))
                     + (float(result.network_at(k).decay(lam).value) if lam else 0.0)
                     for k in range(result.t.size)])


def frame_rows(result: FlowResult, data: Dataset, frames: int, by: str = "time") -> np.ndarray:
    """Row indices of ``result`` for ``frames`` frames, evenly spaced in time or in the
    objective (``by="loss"``: the loss, plus the penalty with weight decay)."""
    n = result.t.size
    if by == "time":
        targets = np.linspace(result.t[0], result.t[-1], frames)
        return np.unique(np.searchsorted(result.t, targets).clip(0, n - 1))
    if by == "loss":
        losses = objectives(result, data)
        targets = np.linspace(losses[0], losses[-1], frames)
        # the objective decreases along gradient flow: the first row at or below each level
        return np.unique([int(np.argmax(losses <= tv + 1e-300)) for tv in targets])
    raise InputError(f"frames are sampled by 'time' or 'loss', got {by!r}")


def distinct_rows(result: FlowResult, rows: np.ndarray, grid: np.ndarray, tol: float) -> np.ndarray:
    """``rows`` without the frames that repeat the previous kept one: through a plateau f does
    not move (by more than ``tol`` on ``grid``), and identical frames only slow the animation.
    The first and last rows are always kept."""
    if len(rows) <= 2:
        return rows
    keep = [int(rows[0])]
    last = result.params_at(keep[0])(grid)
    for k in rows[1:-1]:
        cur = result.params_at(int(k))(grid)
        if float(np.max(np.abs(cur - last))) > tol:
            keep.append(int(k))
            last = cur
    keep.append(int(rows[-1]))
    return np.array(keep)


def animate(result: FlowResult, data: Dataset, path: str | Path, *, frames: int = 60,
            by: str = "time", fps: int = 12) -> Path:
    """Write an animation: data, current f, breakpoints sized by |mu| and coloured by
    orientation (captured ones ringed), and the loss against time in a side panel.

    Frames where f has not moved since the previous frame (plateaus) are dropped.

    ``.gif`` uses Pillow; ``.mp4`` needs ffmpeg on PATH (InputError otherwise).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.animation import FFMpegWriter, FuncAnimation, PillowWriter

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".gif", ".mp4"):
        raise InputError(f"animation must be .gif or .mp4, got {path.name}")
    if suffix == ".mp4" and shutil.which("ffmpeg") is None:
        raise InputError("writing .mp4 needs ffmpeg on PATH; use a .gif instead")
    from ..render.report import FIGURE_STYLE

    d = data.as_float()
    span = d.x[-1] - d.x[0]
    grid = np.linspace(d.x[0] - 0.15 * span, d.x[-1] + 0.15 * span, 400)
    rows = distinct_rows(result, frame_rows(result, d, frames, by), grid,
                         1e-3 * float(np.ptp(d.y) or 1.0))
    losses = objectives(result, d)
    caps = [(e.t, e.kind, e.unit) for e in result.events if e.kind in ("capture", "release")]
    with matplotlib.rc_context(FIGURE_STYLE):
        fig, (ax, axl) = plt.subplots(1, 2, figsize=(8, 3.4),
                                      gridspec_kw={"width_ratios": [2, 1]})
        ax.scatter(d.x, d.y, color="k", s=14, zorder=3, label="data")
        (line,) = ax.plot([], [], color="tab:blue", lw=1.5, label="$f$")
        pts = ax.scatter([], [], s=[], zorder=4)
        for color, lab in (("tab:orange", "$s_i = +1$"), ("tab:green", "$s_i = -1$")):
            ax.scatter([], [], s=30, color=color, label=lab)
        ax.scatter([], [], s=30, facecolors="none", edgecolors="red", label="captured")
        ax.set_xlim(grid[0], grid[-1])
        lo, hi = float(d.y.min()), float(d.y.max())
        ax.set_ylim(lo - 0.3 * (hi - lo + 1e-9), hi + 0.3 * (hi - lo + 1e-9))
        ax.set_xlabel("$x$")
        ax.set_ylabel(r"$f(x)$; breakpoints $\beta_i$ sized by $|\mu_i|$")
        # below the axes: inside, a legend would cover samples for part of the animation
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=5, fontsize=8,
                  frameon=False, handletextpad=0.3, columnspacing=1.0)
        axl.semilogy(result.t, np.maximum(losses, 1e-300), color="tab:gray")
        (mark,) = axl.plot([], [], "o", color="tab:red")
        axl.set_xlabel("time $t$")
        axl.set_ylabel(r"$L + \frac{\lambda}{2}\|\theta\|^2$" if result.weight_decay
                       else "loss $L$")
        title = fig.suptitle(" ", fontsize=11)
        # tight margins: the saved frames are the figure canvas, so no empty border is wanted
        fig.tight_layout()
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
        title.set_text(f"gradient flow in the spline view, $t = {result.t[k]:.3g}$")
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
