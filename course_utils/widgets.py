"""Interactive figures: a pure function computes, a thin ipywidgets layer controls.

Each explorer keeps one matplotlib Figure, updates its artists in place and shows
it as a PNG, so a slider move redraws quickly. Where no widget front end exists
(GitHub, nbconvert), the explorer still shows its first figure as a static image.
"""
from __future__ import annotations

import io
import time

import ipywidgets as widgets
import numpy as np
import PIL.Image
from IPython.display import Image, display
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .data import logic_gate
from .neurons import get_activation
from .plotting import CLASS_CMAP, CLASS_COLORS

OUTPUT_RANGE = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0), "relu": (0.0, 3.0), "linear": (-3.0, 3.0)}


def neuron_surface(w1: float, w2: float, b: float, activation: str, xx, yy) -> np.ndarray:
    """The neuron's output f(w1*x1 + w2*x2 + b) at every point of the mesh (xx, yy)."""
    for name, value in (("w1", w1), ("w2", w2), ("b", b)):
        if not np.isfinite(value):
            raise ValueError(f"{name} must be a finite number, got {value!r}")
    return get_activation(activation)(w1 * np.asarray(xx) + w2 * np.asarray(yy) + b)


def boundary_line(w1: float, w2: float, b: float, x1_range) -> tuple[np.ndarray, np.ndarray]:
    """Points of the line w1*x1 + w2*x2 + b = 0 across x1_range (empty when w1 = w2 = 0)."""
    x1 = np.asarray(x1_range, dtype=float)
    if abs(w2) > 1e-9:
        return x1, -(w1 * x1 + b) / w2
    if abs(w1) > 1e-9:  # a vertical line x1 = -b / w1
        return np.full(2, -b / w1), np.array([-1e3, 1e3])
    return np.array([]), np.array([])


class Explorer(widgets.VBox):
    """Base for explorers: controls above, the figure below, shown as a PNG.

    Subclasses draw everything that never changes once, and list the artists
    that do change in ``dynamic``; a redraw blits only those onto the saved
    background (a full draw takes about 100 ms here, a blit a few). ``update``
    returns True when the static part changed too (an axis range, a colorbar).
    """

    def __init__(self, controls, figure: Figure, dynamic):
        self.figure, self.dynamic = figure, list(dynamic)
        self.canvas = FigureCanvasAgg(figure)
        for artist in self.dynamic:
            artist.set_animated(True)
        self.output = widgets.Output()
        self.png = b""
        self.redraw_seconds: list[float] = []
        self._background = None
        super().__init__([widgets.HBox(controls, layout=widgets.Layout(flex_flow="row wrap")), self.output])
        for control in controls:
            control.observe(self._on_change, names="value")

    def _on_change(self, _change=None) -> None:
        start = time.perf_counter()
        full = self.update() or self._background is None
        self.png = self.render(full)
        with self.output:
            self.output.clear_output(wait=True)
            display(Image(data=self.png))
        self.redraw_seconds.append(time.perf_counter() - start)

    def render(self, full: bool = True) -> bytes:
        """Draw the figure (all of it, or only the dynamic artists) and return it as PNG bytes."""
        if full:
            self.canvas.draw()  # animated artists are skipped here
            self._background = self.canvas.copy_from_bbox(self.figure.bbox)
        else:
            self.canvas.restore_region(self._background)
        for artist in self.dynamic:
            (artist.axes or self.figure).draw_artist(artist)
        buffer = io.BytesIO()
        PIL.Image.frombuffer("RGBA", self.canvas.get_width_height(), self.canvas.buffer_rgba()).save(
            buffer, format="png", compress_level=1)
        return buffer.getvalue()

    def update(self) -> bool:
        """Bring the figure's artists up to date with the controls; True if a full redraw is needed."""
        raise NotImplementedError

    def _repr_mimebundle_(self, **kwargs):
        """The widget where widgets render, and the current figure as a PNG everywhere else."""
        bundle = super()._repr_mimebundle_(**kwargs)
        bundle["image/png"] = self.png
        return bundle


class NeuronExplorer(Explorer):
    """Sliders for w1, w2, b and an activation menu over a logic gate's four points."""

    def __init__(self, gate: str = "AND", w1: float = 1.0, w2: float = 1.0, b: float = -1.5,
                 activation: str = "sigmoid"):
        slider = dict(min=-5.0, max=5.0, step=0.1, continuous_update=True, readout_format=".1f")
        self.w1 = widgets.FloatSlider(value=w1, description="w1", **slider)
        self.w2 = widgets.FloatSlider(value=w2, description="w2", **slider)
        self.b = widgets.FloatSlider(value=b, description="b", **slider)
        self.activation = widgets.Dropdown(options=list(OUTPUT_RANGE), value=activation, description="f")
        self.gate = widgets.Dropdown(options=["AND", "OR", "NAND", "XOR"], value=gate.upper(), description="data")
        figure = Figure(figsize=(5.6, 4.2), dpi=80)
        self.ax = figure.add_subplot()
        self.xx, self.yy = np.meshgrid(np.linspace(-0.5, 1.5, 80), np.linspace(-0.5, 1.5, 80))
        self.image = self.ax.imshow(np.zeros_like(self.xx), extent=(-0.5, 1.5, -0.5, 1.5), origin="lower",
                                    cmap=CLASS_CMAP, alpha=0.6)
        figure.colorbar(self.image, ax=self.ax, label="neuron output y")
        self.line, = self.ax.plot([], [], "k-", lw=2, label="boundary $w_1x_1 + w_2x_2 + b = 0$")
        inputs, _ = logic_gate("AND")
        self.points = self.ax.scatter(inputs[:, 0], inputs[:, 1], s=140, edgecolor="k", zorder=3)
        for label in (0, 1):
            self.ax.plot([], [], "o", color=CLASS_COLORS[label], mec="k", label=f"target {label}")
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
        self.points.set_facecolor([CLASS_COLORS[label] for label in y])
        correct = int((((w1 * X[:, 0] + w2 * X[:, 1] + b) > 0) == y).sum())
        self.ax.set_title(f"{self.gate.value}: the neuron gets {correct}/4 right", fontsize="medium")
        return full
