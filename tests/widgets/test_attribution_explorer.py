"""Lesson 07's attribution explorer, headless: set a control's value as a menu choice would, look at what was drawn."""
from __future__ import annotations

import io

import numpy as np
import PIL.Image
import pytest

torch = pytest.importorskip("torch")

from course_utils import attribution as A  # noqa: E402
from course_utils.widgets import (ATTRIBUTION_METHODS, ATTRIBUTION_MODELS, AttributionExplorer,  # noqa: E402
                                  attribution_maps, scaled)

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def small_cnn(seed=0):
    torch.manual_seed(seed)
    nn = torch.nn
    return nn.Sequential(nn.Unflatten(1, (1, 12)), nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(4 * 5 * 5, 3)).eval()


@pytest.fixture(scope="module")
def digits():
    """Four of scikit-learn's 8x8 digits (classes 0, 1, 2, 0), scaled to [0, 1] and padded to 12x12."""
    from sklearn.datasets import load_digits

    bundle = load_digits(n_class=3)
    images = np.pad(bundle.images[:4] / 16.0, ((0, 0), (2, 2), (2, 2))).astype(np.float32)
    return images, bundle.target[:4]


@pytest.fixture(scope="module")
def model():
    return small_cnn(seed=5)          # not 0: randomized_copy(model) re-initializes with seed 0


@pytest.fixture(scope="module")
def shared(model, digits):
    return AttributionExplorer(model, *digits, class_names=["zero", "one", "two"])


@pytest.fixture
def explorer(shared):
    """The shared explorer back at its first state, with no redraws recorded."""
    shared.image.value, shared.method.value, shared.model.value = 0, "gradient", "trained"
    shared.redraw_seconds.clear()
    return shared


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(PIL.Image.open(io.BytesIO(png)).convert("RGBA"))


# ---------------------------------------------------------------- pure functions

def test_attribution_maps_hold_every_method_computed_from_scratch(model, digits):
    images, labels = digits
    maps = attribution_maps(model, images, labels, steps=8)
    assert list(maps) == list(ATTRIBUTION_METHODS)
    assert all(values.shape == images.shape for values in maps.values())
    for k in (0, 3):
        x, t = images[k], int(labels[k])
        np.testing.assert_allclose(maps["gradient"][k], A.gradient(model, x, t))
        np.testing.assert_allclose(maps["gradient × input"][k], A.gradient_times_input(model, x, t))
        np.testing.assert_allclose(maps["integrated gradients"][k], A.integrated_gradients(model, x, t, steps=8))
        np.testing.assert_allclose(maps["occlusion"][k], A.occlusion(A.scores_of(model, t), x, 4, 2))
        np.testing.assert_allclose(maps["edge detector (no model)"][k], A.edge_map(x))


@pytest.mark.parametrize("images, targets", [(np.zeros((3, 12, 12)), [0, 1]), (np.zeros((12, 12)), [0]),
                                             (np.zeros((0, 12, 12)), [])], ids=["2 targets for 3", "one 2-D image", "none"])
def test_attribution_maps_reject_mismatched_inputs(model, images, targets):
    with pytest.raises(ValueError, match="need images"):
        attribution_maps(model, images, targets)


def test_scaled_spans_minus_one_to_one():
    values = np.array([[-4.0, 1.0], [2.0, 0.0]])
    np.testing.assert_allclose(scaled(values), values / 4)
    assert np.abs(scaled(-values)).max() == 1.0
    np.testing.assert_array_equal(scaled(np.zeros((2, 2))), np.zeros((2, 2)))


# ---------------------------------------------------------------- the explorer

def test_a_new_explorer_shows_its_first_figure(shared, model, digits):
    images, labels = digits
    fresh = AttributionExplorer(model, images, labels, method="occlusion", image=2)
    assert fresh.png.startswith(b"\x89PNG") and len(fresh.redraw_seconds) == 1
    np.testing.assert_allclose(fresh.heat.get_array(), scaled(A.occlusion(A.scores_of(model, 2), images[2], 4, 2)))
    assert fresh.ax_image.get_title() == "image #2, class 2"
    assert fresh.ax_map.get_title().startswith("occlusion\ntrained model, score ")


@pytest.mark.parametrize("control, value", [("image", 3), ("method", "integrated gradients"),
                                            ("method", "edge detector (no model)"), ("model", "random weights")])
def test_each_control_redraws_the_right_map(explorer, control, value):
    before = explorer.png
    getattr(explorer, control).value = value
    assert explorer.png != before and len(explorer.redraw_seconds) == 1
    expected = explorer.maps[explorer.model.value][explorer.method.value][explorer.image.value]
    np.testing.assert_array_equal(explorer.current(), expected)
    np.testing.assert_allclose(explorer.heat.get_array(), scaled(expected))
    np.testing.assert_array_equal(explorer.picture.get_array(), explorer.images[explorer.image.value])


def test_the_random_model_changes_gradients_but_not_the_edge_detector(explorer):
    trained, randomized = (explorer.maps[name] for name in ATTRIBUTION_MODELS)
    assert not np.allclose(trained["gradient"], randomized["gradient"])
    np.testing.assert_array_equal(trained["edge detector (no model)"], randomized["edge detector (no model)"])


def test_the_default_random_model_is_a_randomized_copy(shared, model):
    copy = A.randomized_copy(model)
    np.testing.assert_allclose(shared.maps["random weights"]["gradient"][1],
                               A.gradient(copy, shared.images[1], int(shared.labels[1])), rtol=1e-6)


def test_the_titles_name_the_class_method_model_and_score(explorer, model):
    explorer.image.value = 1
    explorer.model.value = "random weights"
    assert explorer.ax_image.get_title() == "image #1, class one"
    score = A.scores_of(A.randomized_copy(model), 1)(explorer.images[1][None])[0]
    assert explorer.ax_map.get_title() == f"gradient\nrandom weights model, score {score:.2f}"


@pytest.mark.parametrize("changes", [
    [("method", "occlusion")],
    [("image", 2), ("method", "gradient × input")],       # the outline of the digit is swapped on a new image
    [("model", "random weights"), ("image", 1)],
], ids=["method", "image then method", "model then image"])
def test_a_quick_redraw_shows_the_same_picture_as_a_full_one(explorer, changes):
    for control, value in changes:
        getattr(explorer, control).value = value
    np.testing.assert_array_equal(pixels(explorer.png), pixels(explorer.render(full=True)))


def test_a_new_image_gets_a_new_outline(explorer):
    first = explorer.outline
    explorer.image.value = 2
    assert explorer.outline is not first and explorer.outline in explorer.dynamic and first not in explorer.dynamic
    assert first.axes is None                             # removed from the figure


def test_no_change_no_redraw(explorer):
    explorer.method.value = "gradient"
    assert explorer.redraw_seconds == []


def test_mimebundle_has_the_widget_and_a_static_png(explorer):
    bundle = explorer._repr_mimebundle_()
    assert WIDGET_VIEW in bundle and bundle["image/png"] == explorer.png
    explorer.method.value = "occlusion"
    assert explorer._repr_mimebundle_()["image/png"] == explorer.png != bundle["image/png"]


@pytest.mark.parametrize("kwargs, match", [({"method": "shap"}, "unknown method"), ({"image": 4}, "image must be"),
                                           ({"image": -1}, "image must be")])
def test_bad_arguments_are_value_errors(model, digits, kwargs, match):
    with pytest.raises(ValueError, match=match):
        AttributionExplorer(model, *digits, **kwargs)
