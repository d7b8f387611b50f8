# ruff: noqa: B018, E402  (notebook twin: bare expressions display, imports sit in their cells)
# %% [markdown]
# # symspline in a notebook: from a trained network to its spline form
#
# Script twin of `docs/example.ipynb` (same cells; `# %%` marks a cell). Run it with
# `python docs/example.py`, or open the notebook: every symbolic object renders as LaTeX and
# numeric results as tables. Training uses PyTorch when it is installed, NumPy otherwise.

# %%
import numpy as np
import sympy as sp

import symspline
from symspline.display import matrix_table, params_table, vector_table
from symspline.numeric import compare, fd_gradient, fd_hessian

# %% [markdown]
# ## 1. Train a small network elsewhere
# `Linear(1, 8) -> ReLU -> Linear(8, 1)` on 40 samples of sin(2x).

# %%
H = 8
x = np.linspace(-2.0, 2.0, 40)
y = np.sin(2.0 * x)
try:
    import torch

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(1, H), torch.nn.ReLU(), torch.nn.Linear(H, 1))
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    xt, yt = torch.tensor(x, dtype=torch.float32)[:, None], torch.tensor(y, dtype=torch.float32)[:, None]
    for _ in range(300):
        opt.zero_grad()
        ((model(xt) - yt) ** 2).mean().backward()
        opt.step()
    net = symspline.from_torch(model)
except ImportError:  # no PyTorch: a few hundred plain gradient steps with symspline itself
    rng = np.random.default_rng(0)
    net = symspline.from_arrays(rng.normal(size=H), rng.normal(size=H), rng.normal(size=H) / H, 0.0)
    data0 = symspline.Dataset.from_arrays(x, y)
    for _ in range(300):
        net = symspline.Network.from_vector(net.vector - 0.05 * symspline.gradient(net, data0), H)
data = symspline.Dataset.from_arrays(x, y)
net

# %% [markdown]
# ## 2. Its spline form: breakpoints beta, delta-slopes mu, orientations s (THEORY 1.1)

# %%
spline = net.to_spline()
assert np.allclose(spline(x), net(x), rtol=1e-12, atol=1e-12)  # same function
params_table(spline)

# %% [markdown]
# ## 3. Loss, gradient and Hessian in closed form, checked against finite differences

# %%
L = symspline.loss(net, data)
g = symspline.gradient(net, data)
Hess = symspline.hessian(net, data)
fd = fd_gradient(net, data)
agree_g = compare(g, fd.values, rtol=1e-6)
agree_H = compare(Hess, fd_hessian(net, data).values, rtol=1e-5)
assert agree_g.ok and agree_H.ok, (agree_g, agree_H)
vector_table(g, net.names, title="closed form", reference=fd.values, ref_title="finite differences")

# %%
matrix_table(Hess[:4, :4], net.names[:4], caption="Hessian block of w1..w4")

# %% [markdown]
# ## 4. Exact and symbolic answers from the same functions
# Exact rationals in, exact rationals out; symbols in, formulas out.

# %%
exact = symspline.Network([2, -1], [sp.Rational(1, 2), 1], [1, sp.Rational(1, 3)], 0)
small = symspline.Dataset.from_arrays([-1, 0, 1], [0, 1, 0])
print("exact loss:", symspline.loss(exact, small))
sym = symspline.Spline.symbols(1, (1,))
symspline.PiecewiseLoss(sym, small)

# %% [markdown]
# ## 5. A figure

# %%
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(6, 3.5))
grid = np.linspace(-2.2, 2.2, 400)
ax.plot(x, y, "o", ms=3, label="data")
ax.plot(grid, net(grid), label="trained network")
inside = spline.beta[np.abs(spline.beta) <= 2.2]  # breakpoints outside the data do not bend f there
ax.plot(inside, spline(inside), "k|", ms=12, label="breakpoints")
ax.set_xlabel("x")
ax.legend()
fig.savefig("example_fit.png", dpi=80)
print(f"loss {L:.3e}; gradient agrees with FD to {agree_g.max_rel:.1e}, Hessian to {agree_H.max_rel:.1e}")
