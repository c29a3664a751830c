"""The base of every interactive figure: controls above, one matplotlib Figure below.

A pure function computes, a thin ipywidgets layer controls. Each explorer keeps one
Figure, updates its artists in place and shows it as PNG bytes in a ``widgets.Image``:
a redraw is one widget state update. (Redrawing through ``widgets.Output`` and
``clear_output`` stalled Voila in 9 of 25 loads of lesson 04.) Where no widget front
end exists (GitHub, nbconvert), the explorer still shows its figure as a static image.
"""
from __future__ import annotations

import io
import time

import ipywidgets as widgets
import PIL.Image
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


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
        self.png_view = widgets.Image(format="png", layout=widgets.Layout(max_width="100%", height="auto"))
        self.png = b""
        self.redraw_seconds: list[float] = []
        self._background = None
        super().__init__([widgets.HBox(controls, layout=widgets.Layout(flex_flow="row wrap")), self.png_view])
        for control in controls:
            control.observe(self._on_change, names="value")

    def _on_change(self, _change=None) -> None:
        start = time.perf_counter()
        full = self.update() or self._background is None
        self.png = self.render(full)
        self.png_view.value = self.png  # one state update; front ends swap the picture in place
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
