"""Lesson 04c's widgets: the learning-rate lab and the optimizer race."""
from __future__ import annotations

import ipywidgets as widgets
import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from .. import mlp
from ..data import make_moons
from ..optimizers import OPTIMIZERS, SURFACES, make_optimizer, minibatches, trajectory
from ..i18n import t
from ..plotting import label
from .explorer import Explorer

LAB_LRS = 10.0 ** np.linspace(-3, 2, 26)  # the slider's grid: 5 steps per decade
LAB_LOSS_RANGE = (0.02, 20.0)             # fixed log-scale loss axis; values are clipped to it
REGIMES = ("too small", "good", "too large", "diverged")


def _stacked(params: dict, copies: int) -> dict:
    """``copies`` identical copies of an MLP's parameters, stacked on a new first axis (b as (k, 1, n))."""
    return {key: np.repeat(np.reshape(value, (1, 1, -1) if key.startswith("b") else (1, *np.shape(value))),
                           copies, axis=0) for key, value in params.items()}


def stacked_loss_and_grads(params: dict, X, y) -> tuple[np.ndarray, dict]:
    """Loss (k,) and gradients of k stacked tanh/sigmoid MLPs (one hidden layer), as mlp.loss_and_grads."""
    Z1 = X @ params["W1"].transpose(0, 2, 1) + params["b1"]
    A1 = np.tanh(Z1)
    Z2 = A1 @ params["W2"].transpose(0, 2, 1) + params["b2"]  # logits (k, n, 1)
    loss = np.mean(np.maximum(Z2, 0) - y * Z2 + np.log1p(np.exp(-np.abs(Z2))), axis=(1, 2))
    dZ2 = (1 / (1 + np.exp(-Z2)) - y) / len(X)
    dZ1 = (dZ2 @ params["W2"]) * (1 - A1 ** 2)
    grads = {"W1": dZ1.transpose(0, 2, 1) @ X, "b1": dZ1.sum(axis=1, keepdims=True),
             "W2": dZ2.transpose(0, 2, 1) @ A1, "b2": dZ2.sum(axis=1, keepdims=True)}
    return loss, grads


def lr_sweep(X, y, batch_size: int, lrs=LAB_LRS, epochs: int = 40, hidden: int = 16, seed: int = 0) -> dict:
    """Train one MLP per (optimizer, learning rate), all at once; return {optimizer: losses (len(lrs), epochs+1)}.

    Every run starts from the same ``mlp.init_params([2, hidden, 1], seed)`` and sees the same
    mini-batches. losses[:, 0] is the starting loss, losses[:, e] the mean batch loss of epoch e.
    A run that blows up gives inf or NaN, never an exception. For speed, all the networks'
    parameters live in one array theta (one row per network) that the optimizers update.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float).reshape(-1, 1)
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or not 1 <= batch_size <= len(X):
        raise ValueError(f"batch size must be a whole number from 1 to {len(X)}, got {batch_size!r}")
    lrs = np.atleast_1d(np.asarray(lrs, dtype=float))
    if not np.all(np.isfinite(lrs)) or np.any(lrs <= 0):
        raise ValueError(f"learning rates must be positive numbers, got {lrs}")
    k, names = len(lrs), list(OPTIMIZERS)
    stacked = _stacked(mlp.init_params([X.shape[1], hidden, 1], seed=seed), k * len(names))
    theta = np.concatenate([value.reshape(k * len(names), -1) for value in stacked.values()], axis=1)
    sizes = [value[0].size for value in stacked.values()]
    ends = np.cumsum(sizes)
    def views(flat):
        return {key: flat[:, end - size:end].reshape(value.shape)
                for (key, value), size, end in zip(stacked.items(), sizes, ends)}
    optimizers = [make_optimizer(name, lrs[:, None]) for name in names]
    rng, losses = np.random.default_rng(seed), np.zeros((len(names) * k, epochs + 1))
    with np.errstate(all="ignore"):
        losses[:, 0] = stacked_loss_and_grads(views(theta), X, y)[0]
        for epoch in range(1, epochs + 1):
            for idx in minibatches(len(X), int(batch_size), rng):
                loss, grads = stacked_loss_and_grads(views(theta), X[idx], y[idx])
                losses[:, epoch] += loss * len(idx) / len(X)
                flat = np.concatenate([grads[key].reshape(len(theta), -1) for key in stacked], axis=1)
                for i, optimizer in enumerate(optimizers):
                    rows = slice(i * k, (i + 1) * k)
                    theta[rows] = optimizer.step({"theta": theta[rows]}, {"theta": flat[rows]})["theta"]
    return {name: losses[i * k:(i + 1) * k] for i, name in enumerate(names)}


def classify_runs(losses) -> list[str]:
    """Name the regime of each run (rows of ``losses``): too small, good, too large or diverged.

    diverged: inf/NaN or the final loss is above the starting loss; good: final loss within
    1.5x of the best final loss in the sweep; otherwise too small (left of the best) or too large.
    """
    losses = np.asarray(losses, dtype=float)
    final, start = losses[:, -1], losses[:, 0]
    diverged = ~np.all(np.isfinite(losses), axis=1) | (final > start)
    if diverged.all():
        return ["diverged"] * len(losses)
    best = int(np.argmin(np.where(diverged, np.inf, final)))
    return ["diverged" if diverged[i] else "good" if final[i] <= 1.5 * final[best]
            else "too small" if i < best else "too large" for i in range(len(losses))]


def nearest_index(grid, value: float) -> int:
    """Index of the grid value closest to ``value`` on a log scale (value must be positive)."""
    if not np.isscalar(value) or not np.isfinite(value) or value <= 0:
        raise ValueError(f"the learning rate must be a positive number, got {value!r}")
    return int(np.argmin(np.abs(np.log10(grid) - np.log10(value))))


class LearningRateLab(Explorer):
    """Learning rate (log slider), batch size and optimizer -> the loss curve of a small MLP on moons.

    Every (optimizer, batch size, learning rate) run is computed when the lab is built
    (``lr_sweep``), so a move is a cache lookup and a blit.
    """

    def __init__(self, lr: float = 0.1, batch_size: int = 40, optimizer: str = "GD",
                 batch_sizes=(200, 40, 10), epochs: int = 40, data=None):
        if batch_size not in batch_sizes:
            raise ValueError(f"batch size must be one of {tuple(batch_sizes)} (the precomputed ones), "
                             f"got {batch_size!r}")
        if optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {optimizer!r}; choose one of {', '.join(OPTIMIZERS)}")
        start = LAB_LRS[nearest_index(LAB_LRS, lr)]
        X, y = data if data is not None else make_moons(200, noise=0.2, seed=0)
        self.curves = {b: lr_sweep(X, y, b, epochs=epochs) for b in batch_sizes}
        self.regimes = {(b, name): classify_runs(c) for b, sweep in self.curves.items() for name, c in sweep.items()}
        lo, hi = np.log10(LAB_LRS[[0, -1]])
        self.lr = widgets.FloatLogSlider(value=start, base=10, min=lo, max=hi, step=(hi - lo) / (len(LAB_LRS) - 1),
                                         description=t("learning rate"), readout_format=".3g", continuous_update=True,
                                         style={"description_width": "initial"})
        self.batch_size = widgets.Dropdown(options=[(f"{b} (full batch)" if b == len(X) else str(b), b)
                                                    for b in batch_sizes], value=batch_size, description=t("batch size"))
        self.optimizer = widgets.Dropdown(options=list(OPTIMIZERS), value=optimizer, description=t("optimizer"))
        figure = Figure(figsize=(9.6, 3.8), dpi=80)
        self.ax, self.ax_lr = figure.subplots(1, 2)
        self.ax.set(yscale="log", ylim=LAB_LOSS_RANGE, xlim=(0, epochs), xlabel=label("epoch"),
                    ylabel=label("training loss (BCE)"))
        self.ax_lr.set(xscale="log", yscale="log", ylim=LAB_LOSS_RANGE, xlim=LAB_LRS[[0, -1]], xlabel=label("learning rate"),
                       ylabel=label("loss after {epochs} epochs", epochs=epochs),
                       title=label("Final loss for every learning rate"))
        self.line, = self.ax.plot([], [], lw=2.2, color="C0", label=label("this run"))
        self.blowup, = self.ax.plot([], [], "rx", ms=12, mew=3, label="inf / NaN")
        self.ax.legend(loc="lower left", fontsize="small")
        self.sweep_line, = self.ax_lr.plot([], [], "-", color="0.5", lw=1.5)
        self.sweep_points = [self.ax_lr.plot([], [], "o", ms=5, color=c, label=r)[0]
                             for r, c in zip(REGIMES, ("C1", "C2", "C4", "C3"))]
        self.marker, = self.ax_lr.plot([], [], "o", ms=13, mfc="none", mec="k", mew=2, label=label("this run"))
        self.ax_lr.legend(loc="upper left", fontsize="small", ncol=2)
        self.ax.set_title(" ")
        self.note = self.ax.text(0.97, 0.95, "", transform=self.ax.transAxes, ha="right", va="top", fontsize="medium",
                                 bbox=dict(boxstyle="round", fc="white", ec="0.7"))
        figure.tight_layout()
        dynamic = [self.line, self.blowup, self.sweep_line, *self.sweep_points, self.marker, self.note, self.ax.title]
        super().__init__([self.lr, self.batch_size, self.optimizer], figure, dynamic)
        self._on_change()

    def current(self) -> tuple[np.ndarray, str]:
        """The loss curve and regime for the controls' current values."""
        i = nearest_index(LAB_LRS, self.lr.value)
        key = (self.batch_size.value, self.optimizer.value)
        return self.curves[key[0]][key[1]][i], self.regimes[key][i]

    def update(self) -> bool:
        lo, hi = LAB_LOSS_RANGE
        sweep = self.curves[self.batch_size.value][self.optimizer.value]
        regimes = self.regimes[(self.batch_size.value, self.optimizer.value)]
        i = nearest_index(LAB_LRS, self.lr.value)
        losses, regime = sweep[i], regimes[i]
        finite = np.isfinite(losses)
        last = len(losses) if finite.all() else int(np.argmin(finite))
        self.line.set_data(np.arange(last), np.clip(losses[:last], lo, hi))
        self.blowup.set_data(([last], [hi / 1.3]) if last < len(losses) else ([], []))
        final = np.where(np.isfinite(sweep[:, -1]), np.clip(sweep[:, -1], lo, hi), hi)
        self.sweep_line.set_data(LAB_LRS, final)
        for name, points in zip(REGIMES, self.sweep_points):
            chosen = [j for j, r in enumerate(regimes) if r == name]
            points.set_data(LAB_LRS[chosen], final[chosen])
        self.marker.set_data([LAB_LRS[i]], [final[i]])
        if last < len(losses):
            text = f"diverged: loss became inf/NaN at epoch {last}"
        elif regime == "diverged":
            text = f"diverged: loss ended above its start ({losses[-1]:.3g})"
        else:
            text = f"{regime}: final loss {losses[-1]:.3f}"
        self.note.set_text(text)
        self.note.set_color("C3" if regime == "diverged" else "black")
        self.ax.set_title(label("{optimizer}, batch {size}, lr = {lr:.3g}", optimizer=self.optimizer.value,
                                size=self.batch_size.value, lr=LAB_LRS[i]),
                          fontsize="medium")
        return False


class OptimizerRace(Explorer):
    """GD, momentum, RMSprop and Adam from the same start on a 2-D loss surface, with shared controls."""

    COLORS = {"GD": "k", "momentum": "C0", "RMSprop": "C2", "Adam": "C3"}

    def __init__(self, surface: str = "narrow valley", lr: float | None = None, steps: int = 200):
        if surface not in SURFACES:
            raise ValueError(f"unknown surface {surface!r}; choose one of {', '.join(SURFACES)}")
        lr = SURFACES[surface].lr if lr is None else lr
        if not np.isscalar(lr) or not np.isfinite(lr) or lr <= 0:
            raise ValueError(f"the learning rate must be a positive number, got {lr!r}")
        self.surface = widgets.Dropdown(options=list(SURFACES), value=surface, description=t("surface"))
        self.lr = widgets.FloatLogSlider(value=lr, base=10, min=-4, max=0, step=0.05, description=t("learning rate"),
                                         readout_format=".3g", style={"description_width": "initial"})
        self.steps = widgets.IntSlider(value=steps, min=0, max=500, step=10, description=t("steps"))
        figure = Figure(figsize=(6.4, 4.6), dpi=80)
        self.ax = figure.add_subplot()
        self.lines = {name: self.ax.plot([], [], ".-", ms=3, lw=1.3, color=c, label=name)[0]
                      for name, c in self.COLORS.items()}
        self.ends = {name: self.ax.plot([], [], "o", ms=8, color=c, mec="w")[0] for name, c in self.COLORS.items()}
        self.start, = self.ax.plot([], [], "*", ms=16, color="gold", mec="k", label=label("start"))
        self.legend = self.ax.legend(loc="lower right", fontsize="small", framealpha=0.9)
        self._contour, self._shown = None, None
        self.ax.set(title=" ", xlabel="$w_1$", ylabel="$w_2$")
        figure.tight_layout()
        self.trajectories: dict[str, np.ndarray] = {}
        self.surface.observe(self._new_surface, names="value")
        self.scores = self.ax.text(0.02, 0.98, "", transform=self.ax.transAxes, va="top", fontsize="small",
                                   family="monospace", bbox=dict(boxstyle="round", fc="white", ec="0.7", alpha=0.9))
        dynamic = [*self.lines.values(), *self.ends.values(), self.ax.title, self.scores]
        super().__init__([self.surface, self.lr, self.steps], figure, dynamic)
        self._on_change()

    def _new_surface(self, change) -> None:
        self.lr.value = SURFACES[change["new"]].lr  # each surface starts at a learning rate that suits it

    def update(self) -> bool:
        surface = SURFACES[self.surface.value]
        full = self._shown != surface.name
        if full:
            self._draw_surface(surface)
        scores = []
        for name in self.COLORS:
            path = trajectory(make_optimizer(name, self.lr.value), surface, self.steps.value)
            self.trajectories[name] = path
            self.lines[name].set_data(path[:, 0], path[:, 1])
            self.ends[name].set_data(path[-1:, 0], path[-1:, 1])
            with np.errstate(over="ignore", invalid="ignore"):
                f_end = surface.f(*path[-1])
            if len(path) < self.steps.value + 1 or not np.isfinite(f_end):
                scores.append(f"{name}: diverged (inf/NaN)")
            elif f_end > surface.f(*surface.start):
                scores.append(f"{name}: diverged (loss grew to {f_end:.2g})")
            else:
                scores.append(f"{name}: loss {f_end:.3g}")
        self.scores.set_text("\n".join(scores))
        self.ax.set_title(label("{surface}: {steps} steps, lr = {lr:.3g}", surface=surface.name,
                                steps=self.steps.value, lr=self.lr.value), fontsize="medium")
        return full

    def _draw_surface(self, surface) -> None:
        if self._contour is not None:
            self._contour.remove()
        xx, yy = np.meshgrid(np.linspace(*surface.xlim, 200), np.linspace(*surface.ylim, 200))
        zz = surface.f(xx, yy)
        self._contour = self.ax.contour(xx, yy, zz, levels=surface.levels, cmap="viridis", linewidths=0.8,
                                        norm=None if zz.min() < 0 else LogNorm())
        self.start.set_data([surface.start[0]], [surface.start[1]])
        self.ax.set(xlim=surface.xlim, ylim=surface.ylim, xlabel="$w_1$", ylabel="$w_2$")
        self._shown = surface.name
