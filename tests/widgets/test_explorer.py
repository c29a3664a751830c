"""The Explorer base shows its figure in a widgets.Image, never through widgets.Output (which stalls Voila)."""
import ipywidgets as widgets
from matplotlib.figure import Figure

from course_utils.widgets import Explorer, NeuronExplorer


class Dot(Explorer):
    """The smallest explorer: one slider moves one point."""

    def __init__(self):
        self.x = widgets.FloatSlider(value=0.0, min=-1, max=1, description="x")
        figure = Figure(figsize=(2, 2))
        ax = figure.add_subplot()
        ax.set(xlim=(-1, 1), ylim=(-1, 1))
        (self.point,) = ax.plot([0.0], [0.0], "o")
        super().__init__([self.x], figure, [self.point])
        self._on_change()

    def update(self) -> bool:
        self.point.set_data([self.x.value], [0.0])
        return False


def descendants(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from descendants(child)


def test_the_picture_is_a_png_image_widget_holding_the_latest_redraw():
    dot = Dot()
    assert isinstance(dot.png_view, widgets.Image) and dot.png_view.format == "png"
    assert dot.png_view in dot.children and dot.png_view.value == dot.png and dot.png.startswith(b"\x89PNG")
    first = dot.png
    dot.x.value = 0.5
    assert dot.png != first and dot.png_view.value == dot.png


def test_no_explorer_uses_an_output_widget():
    for explorer in (Dot(), NeuronExplorer()):
        kinds = {type(w).__name__ for w in descendants(explorer)}
        assert "Output" not in kinds, f"{type(explorer).__name__} contains a widgets.Output"


def test_the_static_fallback_is_the_same_png():
    dot = Dot()
    bundle = dot._repr_mimebundle_()
    assert bundle["image/png"] == dot.png == dot.png_view.value
