"""Lesson 01b's neuron explorer: sliders for w1, w2, b over a logic gate's four points."""
from __future__ import annotations

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from ..data import logic_gate
from ..neurons import get_activation
from ..i18n import t
from ..plotting import CLASS_CMAP, CLASS_COLORS, label
from .explorer import Explorer

GATES = ["AND", "OR", "NAND", "XOR"]
OUTPUT_RANGE = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0), "relu": (0.0, 3.0), "linear": (-3.0, 3.0)}
# The neuron says "yes" when its output is above the middle of its range (ReLU: above 0; "linear" = no
# activation, y = z). Every one of these thresholds is crossed exactly where z = 0, so the boundary does not move.
YES_THRESHOLD = {"sigmoid": 0.5, "tanh": 0.0, "relu": 0.0, "linear": 0.0}


def _choice(name: str, value, options) -> None:
    if value not in options:
        raise ValueError(f"unknown {name} {value!r}; choose one of {', '.join(map(str, options))}")


def _finite_weights(w1: float, w2: float, b: float) -> None:
    for name, value in (("w1", w1), ("w2", w2), ("b", b)):
        if not np.isfinite(value):
            raise ValueError(f"{name} must be a finite number, got {value!r}")


def neuron_surface(w1: float, w2: float, b: float, activation: str, xx, yy) -> np.ndarray:
    """The neuron's output f(w1*x1 + w2*x2 + b) at every point of the mesh (xx, yy)."""
    _finite_weights(w1, w2, b)
    return get_activation(activation)(w1 * np.asarray(xx) + w2 * np.asarray(yy) + b)


def boundary_line(w1: float, w2: float, b: float, x1_range) -> tuple[np.ndarray, np.ndarray]:
    """Points of the line w1*x1 + w2*x2 + b = 0 across x1_range (empty when w1 = w2 = 0)."""
    _finite_weights(w1, w2, b)
    x1 = np.asarray(x1_range, dtype=float)
    if abs(w2) > 1e-9:
        return x1, -(w1 * x1 + b) / w2
    if abs(w1) > 1e-9:  # a vertical line x1 = -b / w1
        return np.full(2, -b / w1), np.array([-1e3, 1e3])
    return np.array([]), np.array([])


class NeuronExplorer(Explorer):
    """Sliders for w1, w2, b and an activation menu over a logic gate's four points."""

    def __init__(self, gate: str = "AND", w1: float = 1.0, w2: float = 1.0, b: float = -1.5,
                 activation: str = "sigmoid"):
        _choice("gate", gate.upper() if isinstance(gate, str) else gate, GATES)
        _choice("activation", activation, list(OUTPUT_RANGE))
        slider = dict(min=-5.0, max=5.0, step=0.1, continuous_update=True, readout_format=".1f")
        self.w1 = widgets.FloatSlider(value=w1, description="w1", **slider)
        self.w2 = widgets.FloatSlider(value=w2, description="w2", **slider)
        self.b = widgets.FloatSlider(value=b, description="b", **slider)
        self.activation = widgets.Dropdown(options=list(OUTPUT_RANGE), value=activation, description="f")
        self.gate = widgets.Dropdown(options=GATES, value=gate.upper(), description=t("data"))
        figure = Figure(figsize=(5.6, 4.2), dpi=80)
        self.ax = figure.add_subplot()
        self.xx, self.yy = np.meshgrid(np.linspace(-0.5, 1.5, 80), np.linspace(-0.5, 1.5, 80))
        self.image = self.ax.imshow(np.zeros_like(self.xx), extent=(-0.5, 1.5, -0.5, 1.5), origin="lower",
                                    cmap=CLASS_CMAP, alpha=0.6)
        figure.colorbar(self.image, ax=self.ax, label=label("neuron output y"))
        self.line, = self.ax.plot([], [], "k-", lw=2, label=label("boundary $w_1x_1 + w_2x_2 + b = 0$"))
        inputs, _ = logic_gate("AND")
        self.points = self.ax.scatter(inputs[:, 0], inputs[:, 1], s=140, edgecolor="k", zorder=3)
        for target in (0, 1):
            self.ax.plot([], [], "o", color=CLASS_COLORS[target], mec="k", label=label("target {value}", value=target))
        legend = self.ax.legend(loc="upper left", fontsize="small", framealpha=0.8)
        self.ax.set(xlim=(-0.5, 1.5), ylim=(-0.5, 1.5), xlabel="$x_1$", ylabel="$x_2$")
        figure.tight_layout()
        self._clim = None
        dynamic = [self.image, self.line, self.points, legend, self.ax.title]
        super().__init__([self.w1, self.w2, self.b, self.activation, self.gate], figure, dynamic)
        self._on_change()

    def update(self) -> bool:
        w1, w2, b, f = self.w1.value, self.w2.value, self.b.value, self.activation.value
        self.image.set_data(neuron_surface(w1, w2, b, f, self.xx, self.yy))
        full, self._clim = self._clim != OUTPUT_RANGE[f], OUTPUT_RANGE[f]
        self.image.set_clim(*self._clim)  # a new range redraws the colorbar too
        self.line.set_data(*boundary_line(w1, w2, b, [-0.5, 1.5]))
        X, y = logic_gate(self.gate.value)
        self.points.set_facecolor([CLASS_COLORS[target] for target in y])
        answers = neuron_surface(w1, w2, b, f, X[:, 0], X[:, 1]) > YES_THRESHOLD[f]
        correct = int((answers == y).sum())
        self.ax.set_title(label("{gate}: the neuron gets {correct}/4 right", gate=self.gate.value, correct=correct),
                          fontsize="medium")
        return full
