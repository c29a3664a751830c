"""Lesson 07's attribution explorer: pick an image, a method and a model; the attribution map redraws.

Every map is computed when the explorer is built (``attribution_maps``), for the trained model and
for a copy with random weights, so a move is a lookup and a blit.
"""
from __future__ import annotations

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from .. import attribution
from ..i18n import t
from ..plotting import label
from .explorer import Explorer

ATTRIBUTION_METHODS = ("gradient", "gradient × input", "integrated gradients", "occlusion", "edge detector (no model)")
ATTRIBUTION_MODELS = ("trained", "random weights")


def attribution_maps(model, images, targets, steps: int = 32, patch: int = 4, stride: int = 2) -> dict:
    """{method: maps (n, H, W)} for every method in ATTRIBUTION_METHODS, each image explained for its target class."""
    images = np.asarray(images, dtype=np.float32)
    targets = [int(t) for t in np.atleast_1d(targets)]
    if images.ndim != 3 or len(images) != len(targets) or len(images) == 0:
        raise ValueError(f"need images (n, H, W) and n targets, got shapes {images.shape} and {len(targets)}")
    per_image = {
        "gradient": lambda x, t: attribution.gradient(model, x, t),
        "gradient × input": lambda x, t: attribution.gradient_times_input(model, x, t),
        "integrated gradients": lambda x, t: attribution.integrated_gradients(model, x, t, steps=steps),
        "occlusion": lambda x, t: attribution.occlusion(attribution.scores_of(model, t), x, patch, stride),
        "edge detector (no model)": lambda x, t: attribution.edge_map(x),
    }
    return {name: np.stack([method(x, t) for x, t in zip(images, targets)]) for name, method in per_image.items()}


def scaled(map_) -> np.ndarray:
    """A map divided by its largest absolute value, so that it spans [-1, 1] (an all-zero map stays 0)."""
    map_ = np.asarray(map_, dtype=float)
    top = np.abs(map_).max()
    return map_ / top if top > 0 else map_


class AttributionExplorer(Explorer):
    """Menus for the image, the attribution method and the model (trained or random weights)."""

    def __init__(self, model, images, labels, class_names=None, method: str = "gradient", image: int = 0,
                 randomized=None, steps: int = 32):
        if method not in ATTRIBUTION_METHODS:
            raise ValueError(f"unknown method {method!r}; choose one of {', '.join(ATTRIBUTION_METHODS)}")
        images = np.asarray(images, dtype=np.float32)
        labels = np.asarray(labels).astype(int)
        if not 0 <= image < len(images):
            raise ValueError(f"image must be an index from 0 to {len(images) - 1}, got {image!r}")
        names = list(class_names) if class_names is not None else [str(k) for k in range(int(labels.max()) + 1)]
        randomized = attribution.randomized_copy(model) if randomized is None else randomized
        self.images, self.labels, self.names = images, labels, names
        self.maps = {ATTRIBUTION_MODELS[0]: attribution_maps(model, images, labels, steps=steps),
                     ATTRIBUTION_MODELS[1]: attribution_maps(randomized, images, labels, steps=steps)}
        self.scores = {name: self._scores(m) for name, m in zip(ATTRIBUTION_MODELS, (model, randomized))}
        self.image = widgets.Dropdown(options=[(f"#{i}: {names[y]}", i) for i, y in enumerate(labels)], value=image,
                                      description=t("image"))
        self.method = widgets.Dropdown(options=list(ATTRIBUTION_METHODS), value=method, description=t("method"))
        self.model = widgets.Dropdown(options=list(ATTRIBUTION_MODELS), value=ATTRIBUTION_MODELS[0],
                                      description=t("model"))
        figure = Figure(figsize=(8.4, 3.9), dpi=80)
        self.ax_image, self.ax_map = figure.subplots(1, 2)
        self.picture = self.ax_image.imshow(images[image], cmap="gray_r", vmin=0, vmax=1)
        self.ax_image.set(xticks=[], yticks=[], xlabel=label("pixel column"), ylabel=label("pixel row"))
        self.heat = self.ax_map.imshow(np.zeros_like(images[0]), cmap="RdBu_r", vmin=-1, vmax=1)
        self.ax_map.set(xticks=[], yticks=[], xlabel=label("pixel column"), ylabel=label("pixel row"))
        figure.colorbar(self.heat, ax=self.ax_map, label=label("attribution / its largest |value|"))
        self.outline = self.ax_map.contour(images[image], levels=[0.5], colors="0.35", linewidths=0.8)
        self.ax_map.plot([], [], color="0.35", lw=0.8, label=label("outline of the digit"))
        legend = self.ax_map.legend(loc="lower left", fontsize="x-small", framealpha=0.8)
        self.ax_image.set_title(" ")
        self.ax_map.set_title(" \n ")                   # room for the two-line title
        figure.tight_layout()
        self._shown_image = image
        dynamic = [self.picture, self.heat, self.outline, legend, self.ax_image.title, self.ax_map.title]
        super().__init__([self.image, self.method, self.model], figure, dynamic)
        self._on_change()

    def _scores(self, model) -> np.ndarray:
        """The score (logit) of each image's own class."""
        return np.array([attribution.scores_of(model, y)(x[None])[0] for x, y in zip(self.images, self.labels)])

    def current(self) -> np.ndarray:
        """The attribution map for the controls' current values, before scaling."""
        return self.maps[self.model.value][self.method.value][self.image.value]

    def update(self) -> bool:
        i, model = self.image.value, self.model.value
        self.picture.set_data(self.images[i])
        self.heat.set_data(scaled(self.current()))
        self.ax_image.set_title(label("image #{i}, class {name}", i=i, name=self.names[self.labels[i]]),
                                fontsize="medium")
        score = self.scores[model][i]
        self.ax_map.set_title(f"{self.method.value}\n" + label("{model} model, score {score:.2f}", model=model,
                                                                 score=score), fontsize="medium")
        if i != self._shown_image:  # a new digit, a new outline: swap it among the dynamic artists
            slot = self.dynamic.index(self.outline)
            self.outline.remove()
            self.outline = self.ax_map.contour(self.images[i], levels=[0.5], colors="0.35", linewidths=0.8)
            self.outline.set_animated(True)
            self.dynamic[slot], self._shown_image = self.outline, i
        return False


def demo_explorer(n_images: int = 8, epochs: int = 2, seed: int = 0) -> AttributionExplorer:
    """An explorer over the offline digits with lesson 05's CNN trained for a few seconds (for benchmarks)."""
    from ..data import load_images
    from ..digit_models import digit_cnn, train_quickly

    (x_train, y_train), (x_test, y_test) = load_images("mnist", offline=True, verbose=False)
    model = digit_cnn()
    train_quickly(model, x_train / 255.0, y_train, epochs=epochs, seed=seed)
    return AttributionExplorer(model, x_test[:n_images] / 255.0, y_test[:n_images])
