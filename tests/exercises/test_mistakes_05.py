"""Every round's attacks on the exercise checks of lesson 05 (Keras, convolution, the CNN): right answers written
another way still pass, and the mistakes the catalogues name are caught for the reason they name. `make test-wide`
runs them, as CI does (`wide`); `make test` runs each exercise's catalogue (test_registry.py)."""
from __future__ import annotations

import functools
import math
import re

import numpy as np
import pytest

from course_utils import exercises as registry
from course_utils.checks import ExerciseFailed, check, judge, WRONG
from mistakes_shared import friendly  # noqa: F401, an autouse fixture
from mistakes_shared import _passes, _a_library_refused, catalogued
from references import reference_copy

pytestmark = pytest.mark.wide
torch = pytest.importorskip("torch")


def test_the_prediction_test_model_has_biases_that_make_scaling_matter():
    pytest.importorskip("keras")
    from course_utils.exercises import keras_cnn  # the check's own test model, a private part of the check

    exercise = registry.get_exercise("predict_one_image")
    without_scaling = next(m.answer for m in exercise.mistakes if m.name == "no scaling")
    model = keras_cnn._predict_model()
    biases = [layer.get_weights()[1] for layer in model.layers if layer.weights]
    assert len(biases) == 3 and all(np.abs(b).min() > 0 for b in biases)
    cases = [c for c in exercise.cases() if c.raises is None][:8]  # the hand-picked images come first
    right = [exercise.reference(model, *c.args, **c.kwargs) for c in cases]
    unscaled = [without_scaling(model, *c.args, **c.kwargs) for c in cases]
    assert len(set(right)) >= 3, "the test images should not all get the same class"
    assert right[0] != unscaled[0], "forgetting / 255 must already fail on the first image"
    assert sum(r != u for r, u in zip(right, unscaled)) >= 3


def test_relu_and_softmax_written_as_their_own_layers_pass():
    keras = pytest.importorskip("keras")
    from keras import layers

    def build(filters1=16, filters2=32, n_classes=10, dropout=0.3):
        return keras.Sequential([
            keras.Input(shape=(28, 28, 1)), layers.Conv2D(filters1, 3), layers.ReLU(), layers.MaxPooling2D(2),
            layers.Conv2D(filters2, 3), layers.Activation("relu"), layers.MaxPooling2D(2), layers.Flatten(),
            layers.Dropout(dropout), layers.Dense(n_classes), layers.Softmax()])

    _passes("build_cnn", build)


@pytest.mark.parametrize("mistake, reason", [
    ("tanh convolutions", "layer 1 (Conv2D) has activation 'tanh', expected 'relu'"),
    ("no activation in the convolutions", "layer 1 (Conv2D) has activation 'linear', expected 'relu'"),
    ("dropout first", "the layers are Dropout -> Conv2D"),
    ("fixed dropout rate", "layer 6 (Dropout) has rate '0.3', expected '0.5'"),
])
def test_build_cnn_says_which_layer_is_wrong(mistake, reason):
    pytest.importorskip("keras")
    with pytest.raises(ExerciseFailed) as failed:
        check("build_cnn", catalogued("build_cnn", mistake), strict=True)
    assert reason in str(failed.value)


def _count_checking_only_filters1(filters1, filters2, n_classes=10, size=28, kernel=3):
    """A reviewer's answer: no type check, a range check on filters1 only, and the image-size check."""
    if filters1 < 1:
        raise ValueError("filters1 must be at least 1")
    side = ((size - kernel + 1) // 2 - kernel + 1) // 2
    if side < 1:
        raise ValueError("the image is too small")
    return (kernel * kernel + 1) * filters1 + (kernel * kernel * filters1 + 1) * filters2 + \
        (side * side * filters2 + 1) * n_classes


def test_cnn_param_count_wants_every_argument_checked():
    assert _count_checking_only_filters1(16.0, 32) == 12810.0      # what the check used to accept
    with pytest.raises(ExerciseFailed):
        check("cnn_param_count", _count_checking_only_filters1, strict=True)
    labels = {c.label: c.raises for c in registry.get_exercise("cnn_param_count").cases()}
    assert labels["a float filters1"] is TypeError and labels["a bool n_classes"] is TypeError
    for label in ("zero filters", "zero filters in the second convolution", "zero classes", "a 0x0 kernel"):
        assert labels[label] is ValueError


@pytest.mark.parametrize("mistake, reason", [
    ("no type check", "should raise TypeError for this input, but returned 12810.0"),
    ("kernel not checked", "on input a 0x0 kernel"),
    ("only filters1 checked", "on input zero filters in the second convolution"),
])
def test_cnn_param_count_names_the_missing_check(mistake, reason, capsys):
    with pytest.raises(ExerciseFailed) as failed:
        check("cnn_param_count", catalogued("cnn_param_count", mistake), strict=True)
    assert reason in str(failed.value)


def _conv_without_ndim_checks(image, kernel):
    """Unpacking kernel.shape raises for a 3-D kernel by accident; a (6, 6, 1) image goes through."""
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    kh, kw = kernel.shape
    if kh > image.shape[0] or kw > image.shape[1]:
        raise ValueError("the kernel is larger than the image")
    return np.array([[np.sum(image[i:i + kh, j:j + kw] * kernel) for j in range(image.shape[1] - kw + 1)]
                     for i in range(image.shape[0] - kh + 1)])


def _conv_in_float32(image, kernel):
    image, kernel = np.asarray(image, dtype=np.float32), np.asarray(kernel, dtype=np.float32)
    if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("bad shapes")
    out = np.zeros((image.shape[0] - kernel.shape[0] + 1, image.shape[1] - kernel.shape[1] + 1), np.float32)
    for i, j in np.ndindex(out.shape):
        out[i, j] = np.sum(image[i:i + kernel.shape[0], j:j + kernel.shape[1]] * kernel)
    return out


@pytest.mark.parametrize("answer, reason", [
    (_conv_without_ndim_checks, "check that the image is 2-D too"),
    (_conv_in_float32, "compute in float64"),
])
def test_conv2d_valid_rejects_an_unchecked_image_axis_and_float32(answer, reason):
    with pytest.raises(ExerciseFailed, match=reason):
        check("conv2d_valid", answer, strict=True)


def test_conv_output_size_accepts_value_checks_before_type_checks():
    def values_first(n, kernel, padding=0, stride=1):
        if n < 1 or kernel < 1 or stride < 1 or padding < 0 or kernel > n + 2 * padding:
            raise ValueError("invalid size")
        if any(isinstance(v, bool) or not isinstance(v, int) for v in (n, kernel, padding, stride)):
            raise TypeError("not an int")
        return (n + 2 * padding - kernel) // stride + 1

    _passes("conv_output_size", values_first)


def _count_checking_that_each_convolution_fits(filters1, filters2, n_classes=10, size=28, kernel=3):
    """Checks that both convolutions fit, not that the second pool leaves a pixel (8 -> 6 -> 3 -> 1 -> 0)."""
    if any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in (filters1, filters2, n_classes, size,
                                                                          kernel)):
        raise ValueError("bad argument")
    if kernel > size or kernel > (size - kernel + 1) // 2:
        raise ValueError("a convolution does not fit")
    side = ((size - kernel + 1) // 2 - kernel + 1) // 2
    return (kernel * kernel + 1) * filters1 + (kernel * kernel * filters1 + 1) * filters2 + \
        (side * side * filters2 + 1) * n_classes


@pytest.mark.parametrize("answer, reason", [
    (_count_checking_that_each_convolution_fits, "on input 8x8 images"),
    (catalogued("cnn_param_count", "1x1 maps rejected"), "on input 10x10 images"),
])
def test_cnn_param_count_tries_both_sides_of_the_size_check(answer, reason):
    with pytest.raises(ExerciseFailed, match=reason):
        check("cnn_param_count", answer, strict=True)


def _predict_reshaping_the_caller_s_image(model, image):
    image = np.asarray(image)
    if image.shape not in {(28, 28), (28, 28, 1)}:
        raise ValueError("not one image")
    image.shape = (1, 28, 28, 1)
    return int(np.argmax(model.predict(image / 255.0, verbose=0)[0]))


@pytest.mark.parametrize("answer, reason", [
    (_predict_reshaping_the_caller_s_image, "changed the image it was given"),
    (catalogued("predict_one_image", "squeezed"), "a batch of one image"),
    (catalogued("predict_one_image", "binarised"), "a ring with soft edges"),
])
def test_predict_one_image_rejects_a_changed_input_a_squeezed_batch_and_binarised_pixels(answer, reason):
    pytest.importorskip("keras")
    with pytest.raises(ExerciseFailed, match=reason):
        check("predict_one_image", answer, strict=True)


def _conv_into_zeros_like(image, kernel):
    """Fills np.zeros_like(...) of the image: uint8 for raw pixels, so 127.4 is stored as 127."""
    image, kernel = np.asarray(image), np.asarray(kernel)
    if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("bad shapes")
    kh, kw = kernel.shape
    out = np.zeros_like(image[:image.shape[0] - kh + 1, :image.shape[1] - kw + 1])
    for i, j in np.ndindex(out.shape):
        out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
    return out


def _size_flooring_the_padding_apart(n, kernel, padding=0, stride=1):
    if any(isinstance(v, bool) or not isinstance(v, int) for v in (n, kernel, padding, stride)):
        raise TypeError("not an int")
    if stride < 1 or padding < 0 or kernel > n + 2 * padding:
        raise ValueError("invalid size")
    return (n - kernel) // stride + 1 + 2 * padding // stride  # floor(a/s) + floor(b/s) is not floor((a+b)/s)


@pytest.mark.parametrize("name, answer, reason", [
    ("conv2d_valid", _conv_into_zeros_like, "make the output a float array"),
    ("conv_output_size", _size_flooring_the_padding_apart, "on input 10 pixels, padding 1, stride 3"),
    ("cnn_param_count", catalogued("cnn_param_count", "size limit of 3x3 kernels"), "the smallest image depends on "
     "the kernel"),
    ("accuracy_from_probs", catalogued("accuracy_from_probs", "labels flattened"), "raise ValueError for labels "
     "that are not 1-D"),
])
def test_lesson_05_checks_try_raw_pixels_a_stride_3_with_padding_5x5_kernels_and_flattened_labels(name, answer,
                                                                                                  reason):
    with pytest.raises(ExerciseFailed, match=reason):
        check(name, answer, strict=True)


def test_build_cnn_accepts_the_functional_api():
    keras = pytest.importorskip("keras")
    from keras import layers

    def functional(filters1=16, filters2=32, n_classes=10, dropout=0.3):
        inputs = keras.Input(shape=(28, 28, 1))
        x = layers.MaxPooling2D(2)(layers.Conv2D(filters1, 3, activation="relu")(inputs))
        x = layers.MaxPooling2D(2)(layers.Conv2D(filters2, 3, activation="relu")(x))
        x = layers.Dropout(dropout)(layers.Flatten()(x))
        return keras.Model(inputs, layers.Dense(n_classes, activation="softmax")(x))

    _passes("build_cnn", functional)


def _predict_checked(image):
    image = np.asarray(image)
    if image.shape not in {(28, 28), (28, 28, 1)}:
        raise ValueError("expected one 28x28 image")
    return image.reshape(1, 28, 28, 1)


def _predict_in_float16(model, image):
    batch = _predict_checked(image).astype("float16") / 255  # "half precision saves memory": about 3 digits left
    return int(np.argmax(model.predict(batch, verbose=0)[0]))


def _predict_rounded_to_2_decimals(model, image):
    batch = np.round(_predict_checked(image) / 255.0, 2)
    return int(np.argmax(model.predict(batch, verbose=0)[0]))


def _predict_ten_outputs_reshaped(model, image):
    probabilities = model.predict(_predict_checked(image) / 255.0, verbose=0).reshape(10)  # "10 classes"
    return int(np.argmax(probabilities))


def _predict_setting_run_eagerly(model, image):
    model.run_eagerly = True  # "to see numbers while debugging": every later fit() of the caller's model runs op by op
    return reference_copy("predict_one_image")(model, image)


def _predict_running_functions_eagerly(model, image):
    import tensorflow as tf

    tf.config.run_functions_eagerly(True)  # for the rest of the notebook, in every model's fit() and predict()
    return reference_copy("predict_one_image")(model, image)


@pytest.mark.parametrize("answer, reason", [
    (_predict_in_float16, "when the scaled pixels are rounded"),
    (_predict_rounded_to_2_decimals, "when the scaled pixels are rounded"),
    (catalogued("predict_one_image", "ten classes assumed"), "take the number of classes from the model's output"),
    (_predict_ten_outputs_reshaped, "a model with 5 classes"),
    (_predict_setting_run_eagerly, "changed the model it was given"),
    (_predict_running_functions_eagerly, "op by op"),
], ids=["float16", "np.round(.., 2)", "range(10)", "reshape(10)", "model.run_eagerly", "tf run_functions_eagerly"])
def test_lesson_05c_predict_one_image_rounding_ten_classes_and_eager_execution_are_caught(answer, reason):
    """All passed: the check's one boundary image changed class for a systematic / 256 but not for pixels rounded
    to float16 or 2 decimals, its model always had 10 outputs, and neither the model's run_eagerly nor TensorFlow's
    run_functions_eagerly was looked at."""
    pytest.importorskip("keras")
    import tensorflow as tf

    with pytest.raises(ExerciseFailed, match=reason):
        check("predict_one_image", answer, strict=True)
    assert not tf.config.functions_run_eagerly()


def _predict_with_a_rescaling_layer(model, image):
    import keras

    image = np.asarray(image)
    image = image[..., None] if image.ndim == 2 else image
    if image.shape != (28, 28, 1):
        raise ValueError("expected one 28x28 image")
    batch = keras.layers.Rescaling(1 / 255)(image[None].astype("float32"))
    return int(keras.ops.argmax(model(batch, training=False)[0]))


def _predict_by_list_index(model, image):
    image = np.array(image)
    if not (image.shape == (28, 28) or image.shape == (28, 28, 1)):
        raise ValueError("expected one 28x28 image")
    probabilities = list(model.predict(image.reshape(-1, 28, 28, 1) / 255, verbose=0)[0])
    return probabilities.index(max(probabilities))


@pytest.mark.parametrize("answer", [_predict_with_a_rescaling_layer, _predict_by_list_index],
                         ids=["Rescaling layer, model(batch, training=False)", "list.index(max(...))"])
def test_lesson_05c_predict_one_image_passes_right_answers_for_any_number_of_classes(answer):
    pytest.importorskip("keras")
    _passes("predict_one_image", answer)


# round 17: lesson 05
def _r17_conv_loops(image, kernel, response=lambda value: value):
    """conv2d_valid with two loops and the lesson's checks; ``response`` is applied to each window's sum."""
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    if image.ndim != 2 or kernel.ndim != 2:
        raise ValueError("image and kernel must be 2-D")
    kh, kw = kernel.shape
    if kh > image.shape[0] or kw > image.shape[1]:
        raise ValueError("the kernel is taller or wider than the image")
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = response(np.sum(image[i:i + kh, j:j + kw] * kernel))
    return out


def test_lesson_05a_conv2d_valid_names_no_flipped_kernel_for_an_absolute_value():
    """The first case's ramp image gave -6 in every window, so an answer that took each window's absolute value (an
    'edge strength') gave +6 everywhere, what the flipped kernel gives, and was told not to flip the kernel."""
    verdict = judge(registry.get_exercise("conv2d_valid"), lambda image, kernel: _r17_conv_loops(image, kernel, abs))
    assert verdict.kind == WRONG and verdict.mistake != "flipped kernel" and "flip" not in verdict.text


def _r17_size_by_divmod(n, kernel, padding=0, stride=1):
    if any(type(value) is not int for value in (n, kernel, padding, stride)):
        raise TypeError("expected ints")
    if min(n, kernel, stride) < 1 or padding < 0 or kernel > n + 2 * padding:
        raise ValueError("out of range")
    whole_steps, _ = divmod(n + 2 * padding - kernel, stride)
    return whole_steps + 1


def _r17_count_layer_by_layer(filters1, filters2, n_classes=10, size=28, kernel=3):
    for value in (filters1, filters2, n_classes, size, kernel):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError("expected ints")
        if value < 1:
            raise ValueError("expected at least 1")
    side, channels, total = size, 1, 0
    for filters in (filters1, filters2):
        side = (side - kernel + 1) // 2
        if side < 1:
            raise ValueError("the image is too small")
        total, channels = total + (kernel * kernel * channels + 1) * filters, filters
    return total + (side * side * channels + 1) * n_classes


def _r17_accuracy_checked(y_true, probabilities):
    y_true, probabilities = np.asarray(y_true), np.asarray(probabilities)
    if probabilities.ndim != 2 or y_true.ndim != 1 or len(y_true) != len(probabilities):
        raise ValueError("expected probabilities (n, k) and n labels")
    return y_true, probabilities


def _r17_accuracy_by_sklearn(y_true, probabilities):
    from sklearn.metrics import accuracy_score

    y_true, probabilities = _r17_accuracy_checked(y_true, probabilities)
    return float(accuracy_score(y_true, probabilities.argmax(axis=1)))


def _r17_accuracy_by_a_stable_sort(y_true, probabilities):
    y_true, probabilities = _r17_accuracy_checked(y_true, probabilities)
    return float(np.mean(np.argsort(-probabilities, axis=1, kind="stable")[:, 0] == y_true))


@pytest.mark.parametrize("name, answer", [
    ("conv2d_valid", _r17_conv_loops),
    ("conv2d_valid", lambda image, kernel: _r17_conv_loops(image, kernel, float)),
    ("conv_output_size", _r17_size_by_divmod),
    ("cnn_param_count", _r17_count_layer_by_layer),
    ("accuracy_from_probs", _r17_accuracy_by_sklearn),
    ("accuracy_from_probs", _r17_accuracy_by_a_stable_sort),
], ids=["two loops", "two loops, each sum as a float", "divmod, type() is int",
        "layer by layer", "sklearn accuracy_score", "first column of a stable descending sort"])
def test_lesson_05_right_answers_of_round_17_pass(name, answer):
    pytest.importorskip("scipy")
    pytest.importorskip("sklearn")
    _passes(name, answer)


def _r17_cnn_without_input(filters1=16, filters2=32, n_classes=10, dropout=0.3):
    import keras
    from keras import layers

    return keras.Sequential([layers.Conv2D(filters1, 3, activation="relu"), layers.MaxPooling2D(2),  # no keras.Input
                             layers.Conv2D(filters2, 3, activation="relu"), layers.MaxPooling2D(2), layers.Flatten(),
                             layers.Dropout(dropout), layers.Dense(n_classes, activation="softmax")])


def test_lesson_05b_build_cnn_names_a_model_without_its_input():
    """Without keras.Input the Sequential has no weights until its first call, and the check's first look at a
    kernel failed with Keras' own AttributeError, shown as if build_cnn had raised it ("You must build the layer
    before accessing `kernel`")."""
    pytest.importorskip("keras")
    verdict = judge(registry.get_exercise("build_cnn"), _r17_cnn_without_input)
    assert verdict.kind == WRONG and "keras.Input(shape=(28, 28, 1))" in verdict.text
    assert "raised" not in verdict.text


def _r17_predict_upside_down(model, image):
    image = np.asarray(image)
    if image.shape not in {(28, 28), (28, 28, 1)}:
        raise ValueError("expected one 28x28 image")
    batch = image.reshape(1, 28, 28, 1)[:, ::-1].astype("float32") / 255.0  # rows in reverse order
    return int(np.argmax(model.predict(batch, verbose=0)[0]))


def test_lesson_05c_predict_one_image_tries_an_image_that_is_not_symmetric_top_to_bottom():
    """Every image before the boundary noise was symmetric top to bottom (or gave the same class upside down), so an
    answer that turned the image upside down failed only there, and was told it had divided by 256."""
    pytest.importorskip("keras")
    verdict = judge(registry.get_exercise("predict_one_image"), _r17_predict_upside_down)
    assert verdict.kind == WRONG and "256" not in verdict.text and "above the centre" in verdict.text


# round 18: lesson 05
def _r18_accuracy_by_torch_training(y_true, probabilities):
    from course_utils import torch_training

    return torch_training.accuracy(probabilities, y_true)


@pytest.mark.parametrize("loaded", [True, False], ids=["module loaded before", "module loaded by the answer"])
def test_lesson_05b_accuracy_from_probs_refuses_torch_training_accuracy(loaded, monkeypatch):
    """torch_training.accuracy (lesson 06's accuracy of logits: the argmax of each row against the labels, with the same
    shape checks) passed as an answer: a graded release hides accuracy_from_probs, not lesson 06's helper."""
    pytest.importorskip("torch")
    import sys

    import course_utils
    import course_utils.torch_training  # noqa: F401

    if not loaded:  # the answer's import loads it again, during the check
        monkeypatch.delitem(sys.modules, "course_utils.torch_training")
        monkeypatch.delattr(course_utils, "torch_training")
    verdict = judge(registry.get_exercise("accuracy_from_probs"), _r18_accuracy_by_torch_training)
    assert verdict.kind == WRONG and "torch_training.accuracy, the course's own version" in verdict.text


def _r18_cnn_by_the_recipe(filters1=16, filters2=32, n_classes=10, dropout=0.3):
    from course_utils.recipes import CnnRecipe, build_recipe_cnn

    return build_recipe_cnn(CnnRecipe("mine", filters1, filters2, dropout=dropout), n_classes)


def test_lesson_05b_build_cnn_refuses_the_full_run_recipe():
    """recipes.build_recipe_cnn (05c's full run) builds the lesson's CNN from a recipe with no hidden dense layer, the
    same layers as build_cnn: it passed, in a graded release too (which hides build_cnn only)."""
    pytest.importorskip("keras")
    verdict = judge(registry.get_exercise("build_cnn"), _r18_cnn_by_the_recipe)
    assert verdict.kind == WRONG and "build_recipe_cnn, the course's own version" in verdict.text


def _r18_predict_scaled_unless_float_and_dark(model, image):
    image = np.asarray(image)
    if image.shape not in {(28, 28), (28, 28, 1)}:
        raise ValueError("expected one 28x28 image")
    batch = image.reshape(1, 28, 28, 1).astype("float32")
    if image.dtype == np.uint8 or batch.max() > 1:  # "a float image may be scaled already"
        batch = batch / 255.0
    return int(np.argmax(model.predict(batch, verbose=0)[0]))


def test_lesson_05c_predict_one_image_scales_a_dark_image_stored_as_floats():
    """The only very dark image (pixels 0 and 1) was uint8, and every float or int64 image had pixels far above 1: an
    answer that always scaled uint8 images but took any other image whose pixels are at most 1 as scaled already
    passed."""
    pytest.importorskip("keras")
    verdict = judge(registry.get_exercise("predict_one_image"), _r18_predict_scaled_unless_float_and_dark)
    assert verdict.kind == WRONG and verdict.mistake == "scaled only when above 1"


def _r18_notebook_answer(source):
    """The function ``answer`` that ``source`` defines in a namespace of its own, as a notebook cell defines it."""
    namespace = {"np": np}
    exec(source, namespace)
    return namespace["answer"]


@pytest.mark.parametrize("name, source", [
    ("accuracy_from_probs", "from course_utils.torch_training import accuracy\n"
                            "def answer(y_true, probabilities):\n"
                            "    return accuracy(probabilities, y_true)\n"),
    ("mlp_forward", "from course_utils.mlp import forward\n"
                    "def answer(X, W1, b1, W2, b2):\n"
                    "    return forward({'W1': W1, 'b1': b1, 'W2': W2, 'b2': b2}, X)[0]\n"),
    ("build_cnn", "from course_utils.recipes import CnnRecipe, build_recipe_cnn\n"
                  "def answer(filters1=16, filters2=32, n_classes=10, dropout=0.3):\n"
                  "    return build_recipe_cnn(CnnRecipe('mine', filters1, filters2, dropout=dropout), n_classes)\n"),
], ids=["accuracy_from_probs by torch_training.accuracy", "mlp_forward by mlp.forward", "build_cnn by the recipe"])
def test_a_course_version_imported_by_its_name_before_the_check_is_refused(name, source):
    """The course's own version was watched in its module only: imported by its name at the top of the notebook
    (from course_utils.mlp import forward), the answer called the unwatched function, and passed."""
    pytest.importorskip("torch" if name == "accuracy_from_probs" else "numpy")
    pytest.importorskip("keras" if name == "build_cnn" else "numpy")
    verdict = judge(registry.get_exercise(name), _r18_notebook_answer(source))
    assert verdict.kind == WRONG and "the course's own version of this exercise" in verdict.text


# round 19: lesson 05
def _r19_accuracy_made_one_row(y_true, probabilities):
    y_true, probabilities = np.asarray(y_true), np.atleast_2d(np.asarray(probabilities, dtype=float))
    if probabilities.ndim != 2 or y_true.shape != (len(probabilities),):
        raise ValueError("expected probabilities (n, n_classes) and n labels")
    return float(np.mean(np.argmax(probabilities, axis=1) == y_true))


def test_lesson_05b_accuracy_from_probs_refuses_1d_probabilities_made_one_row():
    """np.atleast_2d (or probabilities[None]) turns 1-D probabilities into one row: the only 1-D case had 3 labels, so
    the length check refused it anyway, and the answer passed though the exercise wants a ValueError for them."""
    verdict = judge(registry.get_exercise("accuracy_from_probs"), _r19_accuracy_made_one_row)
    assert verdict.kind == WRONG and verdict.mistake == "1-D probabilities made one row", verdict.text


def _r19_accuracy_swapping_the_arguments(y_true, probabilities):
    y_true, probabilities = np.asarray(y_true), np.asarray(probabilities, dtype=float)
    if y_true.ndim == 2 and probabilities.ndim == 1:  # "the caller passed them the other way round"
        y_true, probabilities = probabilities, y_true
    if probabilities.ndim != 2 or y_true.shape != (len(probabilities),):
        raise ValueError("expected probabilities (n, n_classes) and n labels")
    return float(np.mean(np.argmax(probabilities, axis=1) == y_true))


def test_lesson_05b_accuracy_from_probs_refuses_arguments_in_the_other_order():
    """Probabilities passed as y_true and labels as probabilities: an answer that swapped them back passed, as no
    case passed 2-D labels with 1-D probabilities."""
    verdict = judge(registry.get_exercise("accuracy_from_probs"), _r19_accuracy_swapping_the_arguments)
    assert verdict.kind == WRONG and "the arguments in the other order" in verdict.text, verdict.text


def _r19_size_with_keras_padding_words(n, kernel, padding=0, stride=1):
    if isinstance(padding, str):  # Keras' Conv2D(padding="same" / "valid")
        if padding == "same":
            return -(-n // stride)
        padding = 0
    return reference_copy("conv_output_size")(n, kernel, padding, stride)


def test_lesson_05a_conv_output_size_refuses_keras_padding_words():
    """padding="same" or "valid" (Keras' words) is not an int, so TypeError: an answer that took them as Keras does
    passed, as no case passed a string."""
    verdict = judge(registry.get_exercise("conv_output_size"), _r19_size_with_keras_padding_words)
    assert verdict.kind == WRONG and verdict.mistake == "Keras' padding words accepted", verdict.text


def _r19_conv_by_shifted_sums(image, kernel):
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    if image.ndim != 2 or kernel.ndim != 2:
        raise ValueError("image and kernel must be 2-D")
    (kh, kw), (h, w) = kernel.shape, image.shape
    if kh > h or kw > w:
        raise ValueError("the kernel is larger than the image")
    out = np.zeros((h - kh + 1, w - kw + 1))
    for u, v in np.ndindex(kernel.shape):  # one pass per kernel weight, over every output position at once
        out += kernel[u, v] * image[u:u + h - kh + 1, v:v + w - kw + 1]
    return out


def _r19_conv_by_windows(image, kernel):
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("expected a 2-D kernel no larger than the 2-D image")
    windows = np.lib.stride_tricks.sliding_window_view(image, kernel.shape)
    return np.einsum("ijuv,uv->ij", windows, kernel)


def _r19_size_by_operator_index(n, kernel, padding=0, stride=1):
    import operator

    values = []
    for value in (n, kernel, padding, stride):
        if isinstance(value, bool):
            raise TypeError("a bool is not a size")
        values.append(operator.index(value))  # TypeError for floats, strings, None
    n, kernel, padding, stride = values
    if n < 1 or kernel < 1 or padding < 0 or stride < 1 or kernel > n + 2 * padding:
        raise ValueError("invalid sizes")
    return (n + 2 * padding - kernel) // stride + 1


def _r19_size_by_counting_positions(n, kernel, padding=0, stride=1):
    for value, low in ((n, 1), (kernel, 1), (padding, 0), (stride, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"expected an int, got {value!r}")
        if value < low:
            raise ValueError(f"expected at least {low}, got {value}")
    if kernel > n + 2 * padding:
        raise ValueError("the kernel does not fit")
    return len(range(0, int(n) + 2 * int(padding) - int(kernel) + 1, int(stride)))  # the window's first columns


def _r19_params_layer_by_layer(filters1, filters2, n_classes=10, size=28, kernel=3):
    for value in (filters1, filters2, n_classes, size, kernel):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"expected an int, got {value!r}")
        if value < 1:
            raise ValueError(f"expected at least 1, got {value}")
    side = int(size)
    for _ in range(2):  # conv, then pool
        side = (side - kernel + 1) // 2
        if side < 1:
            raise ValueError("the image is too small")
    total = sum((kernel * kernel * c_in + 1) * c_out for c_in, c_out in ((1, filters1), (filters1, filters2)))
    return int(total + (side * side * filters2 + 1) * n_classes)


def _r19_params_in_python_ints(filters1, filters2, n_classes=10, size=28, kernel=3):
    for value in (filters1, filters2, n_classes, size, kernel):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"expected an int, got {value!r}")
        if value < 1:
            raise ValueError(f"expected at least 1, got {value}")
    f1, f2, classes, s, k = (int(value) for value in (filters1, filters2, n_classes, size, kernel))
    side = ((s - k + 1) // 2 - k + 1) // 2
    if side < 1:
        raise ValueError("the image is too small")
    return k * k * f1 + f1 + k * k * f1 * f2 + f2 + side * side * f2 * classes + classes


def _r19_accuracy_by_counting(y_true, probabilities):
    y_true, probabilities = np.asarray(y_true), np.asarray(probabilities, dtype=float)
    if probabilities.ndim != 2 or y_true.ndim != 1 or len(y_true) != len(probabilities):
        raise ValueError("expected probabilities (n, n_classes) and n labels")
    return (probabilities.argmax(axis=1) == y_true).sum() / len(y_true)


def _r19_accuracy_row_by_row(y_true, probabilities):
    y_true, probabilities = np.asarray(y_true), np.asarray(probabilities, dtype=float)
    if probabilities.ndim != 2 or y_true.shape != (probabilities.shape[0],):
        raise ValueError("expected probabilities (n, n_classes) and n labels")
    right = sum(int(np.argmax(row) == label) for row, label in zip(probabilities, y_true))
    return right / len(y_true)


@pytest.mark.parametrize("name, answer", [
    ("conv2d_valid", _r19_conv_by_shifted_sums), ("conv2d_valid", _r19_conv_by_windows),
    ("conv_output_size", _r19_size_by_operator_index), ("conv_output_size", _r19_size_by_counting_positions),
    ("cnn_param_count", _r19_params_layer_by_layer), ("cnn_param_count", _r19_params_in_python_ints),
    ("accuracy_from_probs", _r19_accuracy_by_counting), ("accuracy_from_probs", _r19_accuracy_row_by_row),
], ids=["conv by shifted sums", "conv by sliding windows", "size by operator.index", "size by counting positions",
        "params layer by layer", "params in Python ints", "accuracy by counting", "accuracy row by row"])
def test_lesson_05_right_answers_written_otherwise_pass(name, answer):
    _passes(name, answer)


def _r19_cnn_by_the_functional_api(filters1=16, filters2=32, n_classes=10, dropout=0.3):
    import keras
    from keras import layers

    inputs = keras.Input(shape=(28, 28, 1))
    x = layers.MaxPooling2D((2, 2))(layers.Conv2D(filters1, (3, 3), activation="relu")(inputs))
    x = layers.MaxPooling2D(pool_size=(2, 2))(layers.Conv2D(filters2, (3, 3), activation="relu")(x))
    x = layers.Dropout(dropout)(layers.Flatten()(x))
    return keras.Model(inputs, layers.Dense(n_classes, activation="softmax")(x))


def _r19_cnn_with_activation_layers(filters1=16, filters2=32, n_classes=10, dropout=0.3):
    import keras
    from keras import layers

    model = keras.Sequential()
    model.add(keras.Input(shape=(28, 28, 1)))
    for filters, activation in ((filters1, layers.ReLU()), (filters2, layers.Activation("relu"))):
        model.add(layers.Conv2D(filters, 3))
        model.add(activation)
        model.add(layers.MaxPooling2D())
    model.add(layers.Flatten())
    model.add(layers.Dropout(rate=dropout))
    model.add(layers.Dense(n_classes))
    model.add(layers.Softmax())
    return model


@pytest.mark.parametrize("answer", [_r19_cnn_by_the_functional_api, _r19_cnn_with_activation_layers],
                         ids=["functional API", "activations as layers"])
def test_lesson_05b_build_cnn_written_otherwise_passes(answer):
    pytest.importorskip("keras")
    _passes("build_cnn", answer)


def _r19_cnn_with_a_seeded_initializer(filters1=16, filters2=32, n_classes=10, dropout=0.3):
    import keras
    from keras import layers

    start = keras.initializers.GlorotUniform(seed=42)  # "for repeatable runs"
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(filters1, 3, activation="relu", kernel_initializer=start), layers.MaxPooling2D(2),
        layers.Conv2D(filters2, 3, activation="relu"), layers.MaxPooling2D(2), layers.Flatten(),
        layers.Dropout(dropout), layers.Dense(n_classes, activation="softmax"),
    ])


def test_lesson_05b_build_cnn_refuses_a_seeded_initializer():
    """kernel_initializer=GlorotUniform(seed=42) makes every call start from the same weights whatever seed the
    notebook sets: the check's case "each call builds a new model, with new starting weights" did not look at the
    weights, and the answer passed. (A Dropout seed stays allowed, as round 12 ruled.)"""
    pytest.importorskip("keras")
    verdict = judge(registry.get_exercise("build_cnn"), _r19_cnn_with_a_seeded_initializer)
    assert verdict.kind == WRONG and "initializer with a fixed seed (kernel_initializer)" in verdict.text, verdict.text


def _r19_predict_with_tensorflow_ops(model, image):
    import tensorflow as tf

    image = np.asarray(image)
    if image.shape not in {(28, 28), (28, 28, 1)}:
        raise ValueError("expected one 28x28 image")
    scaled = tf.cast(tf.reshape(tf.convert_to_tensor(image), (28, 28, 1)), tf.float32) / 255.0
    return int(tf.argmax(model.predict_on_batch(tf.expand_dims(scaled, 0))[0]))


def _r19_predict_in_float64(model, image):
    image = np.asarray(image)
    if image.shape not in {(28, 28), (28, 28, 1)}:
        raise ValueError("expected one 28x28 image")
    scaled = image / 255.0  # float64, Keras casts the batch to the model's float32
    return int(model.predict(scaled.reshape(1, 28, 28, 1), verbose=0).argmax())


@pytest.mark.parametrize("answer", [_r19_predict_with_tensorflow_ops, _r19_predict_in_float64],
                         ids=["TensorFlow ops", "float64 pixels"])
def test_lesson_05c_predict_one_image_written_otherwise_passes(answer):
    pytest.importorskip("keras")
    _passes("predict_one_image", answer)


# round 20: lesson 05
def _r20_cnn_with_batch_normalization(filters1=16, filters2=32, n_classes=10, dropout=0.3):
    import keras
    from keras import layers

    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(filters1, 3, activation="relu"), layers.BatchNormalization(), layers.MaxPooling2D(2),
        layers.Conv2D(filters2, 3, activation="relu"), layers.MaxPooling2D(2), layers.Flatten(),
        layers.Dropout(dropout), layers.Dense(n_classes, activation="softmax"),
    ])


@pytest.mark.wide
def test_lesson_05b_build_cnn_names_an_extra_batch_normalization_layer():
    """A BatchNormalization layer keeps its moving mean and variance as non-trainable weights by design: the check
    told the answer that it had frozen weights (trainable = False), which it had not; the extra layer is the
    mistake, and the layer comparison names it."""
    pytest.importorskip("keras")
    verdict = judge(registry.get_exercise("build_cnn"), _r20_cnn_with_batch_normalization)
    assert verdict.kind == WRONG and "BatchNormalization" in verdict.text and "frozen" not in verdict.text, verdict.text


def _r20_accuracy_predictions_in_16_bits(y_true, probabilities):
    y_true, probabilities = np.asarray(y_true), np.asarray(probabilities, dtype=float)
    if probabilities.ndim != 2 or y_true.shape != (len(probabilities),):
        raise ValueError("expected probabilities (n, n_classes) and n labels")
    predicted = np.argmax(probabilities, axis=1).astype(np.int16)  # "class numbers are small"
    return float(np.mean(predicted == y_true))


def test_lesson_05b_accuracy_from_probs_refuses_predictions_cast_to_16_bits():
    """Predicted classes cast to int16 (or uint16) wrap round beyond 32,767 (65,535): the many-class case had only a
    small class predicted right, so the cast changed only wrong predictions and the answer passed."""
    verdict = judge(registry.get_exercise("accuracy_from_probs"), _r20_accuracy_predictions_in_16_bits)
    assert verdict.kind == WRONG and "70,000" in verdict.text, verdict.text


def _r20_checked_conv_inputs(image, kernel):
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("expected a 2-D kernel no larger than the 2-D image")
    return image, kernel


def _r20_conv_by_tensordot(image, kernel):
    image, kernel = _r20_checked_conv_inputs(image, kernel)
    windows = np.lib.stride_tricks.sliding_window_view(image, kernel.shape)
    return np.tensordot(windows, kernel, axes=([2, 3], [0, 1]))


def _r20_checked_sizes(n, kernel, padding, stride):
    for value, low in ((n, 1), (kernel, 1), (padding, 0), (stride, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"expected an int, got {value!r}")
        if value < low:
            raise ValueError(f"expected at least {low}, got {value}")
    if kernel > n + 2 * padding:
        raise ValueError("the kernel does not fit")
    return int(n), int(kernel), int(padding), int(stride)   # a numpy integer keeps its own size (round 30, r306 F1)


def _r20_size_by_ceiling(n, kernel, padding=0, stride=1):
    n, kernel, padding, stride = _r20_checked_sizes(n, kernel, padding, stride)
    return -(-(n + 2 * padding - kernel + 1) // stride)  # ceil((free positions) / stride), in integers


def _r20_size_by_divmod(n, kernel, padding=0, stride=1):
    n, kernel, padding, stride = _r20_checked_sizes(n, kernel, padding, stride)
    steps, _ = divmod(n + 2 * padding - kernel, stride)
    return steps + 1


def _r20_size_by_walking(n, kernel, padding=0, stride=1):
    n, kernel, padding, stride = _r20_checked_sizes(n, kernel, padding, stride)
    count, start = 0, 0
    while start + kernel <= n + 2 * padding:
        count, start = count + 1, start + stride
    return count


def _r20_params_weights_then_biases(filters1, filters2, n_classes=10, size=28, kernel=3):
    for value in (filters1, filters2, n_classes, size, kernel):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"expected an int, got {value!r}")
        if value < 1:
            raise ValueError(f"expected at least 1, got {value}")
    side = size
    for _ in range(2):
        side = (side - kernel + 1) // 2
    if side < 1:
        raise ValueError("the image is too small")
    weights = kernel ** 2 * filters1 + kernel ** 2 * filters1 * filters2 + side * side * filters2 * n_classes
    return int(weights + filters1 + filters2 + n_classes)


def _r20_accuracy_by_count_nonzero(y_true, probabilities):
    y_true, probabilities = np.asarray(y_true), np.asarray(probabilities)
    if probabilities.ndim != 2 or y_true.ndim != 1 or len(y_true) != len(probabilities):
        raise ValueError("expected probabilities (n, n_classes) and n labels")
    return np.count_nonzero(probabilities.argmax(axis=-1) == y_true) / y_true.size


def _r20_accuracy_by_torch(y_true, probabilities):
    import torch

    y_true, probabilities = np.asarray(y_true), np.asarray(probabilities)
    if probabilities.ndim != 2 or y_true.ndim != 1 or len(y_true) != len(probabilities):
        raise ValueError("expected probabilities (n, n_classes) and n labels")
    right = torch.as_tensor(probabilities).argmax(dim=1).eq(torch.as_tensor(y_true))
    return right.double().mean().item()


@pytest.mark.parametrize("name, answer", [
    ("conv2d_valid", _r20_conv_by_tensordot),
    ("conv_output_size", _r20_size_by_ceiling), ("conv_output_size", _r20_size_by_divmod),
    ("conv_output_size", _r20_size_by_walking), ("cnn_param_count", _r20_params_weights_then_biases),
    ("accuracy_from_probs", _r20_accuracy_by_count_nonzero), ("accuracy_from_probs", _r20_accuracy_by_torch),
], ids=["conv by tensordot of windows", "size by an integer ceiling",
        "size by divmod", "size by walking the window", "params weights then biases", "accuracy by count_nonzero",
        "accuracy in torch"])
def test_lesson_05_round_20_right_answers_written_otherwise_pass(name, answer):
    if name == "accuracy_from_probs" and answer is _r20_accuracy_by_torch:
        pytest.importorskip("torch")
    _passes(name, answer)


def _r20_cnn_added_layer_by_layer(filters1=16, filters2=32, n_classes=10, dropout=0.3):
    import keras
    from keras import layers

    model = keras.Sequential()
    model.add(keras.Input((28, 28, 1)))
    for filters in (filters1, filters2):
        model.add(layers.Conv2D(filters, (3, 3), strides=1, padding="valid", activation=keras.activations.relu,
                                kernel_initializer="he_normal"))
        model.add(layers.MaxPool2D((2, 2)))
    model.add(layers.Flatten())
    model.add(layers.Dropout(dropout))
    model.add(layers.Dense(n_classes))
    model.add(layers.Activation("softmax"))
    return model


def _r20_predict_on_batch(model, image):
    image = np.asarray(image)
    if image.shape not in {(28, 28), (28, 28, 1)}:
        raise ValueError("expected one 28x28 image")
    batch = np.expand_dims(image.reshape(28, 28, 1) / np.float32(255), 0)
    return int(model.predict_on_batch(batch).argmax(axis=-1)[0])


@pytest.mark.wide
@pytest.mark.parametrize("name, answer", [("build_cnn", _r20_cnn_added_layer_by_layer),
                                          ("predict_one_image", _r20_predict_on_batch)],
                         ids=["build_cnn added layer by layer, He initialisation", "predict_one_image on a batch"])
def test_lesson_05_round_20_keras_answers_written_otherwise_pass(name, answer):
    pytest.importorskip("keras")
    _passes(name, answer)


def _r20_accuracy_by_an_identity_network(y_true, probabilities):
    from course_utils import mlp
    probabilities, y_true = np.asarray(probabilities), np.asarray(y_true)
    if probabilities.ndim != 2 or y_true.ndim != 1 or len(probabilities) != len(y_true):
        raise ValueError("probabilities must be 2-D and y_true 1-D, of the same length")
    k = probabilities.shape[1]
    return mlp.accuracy({"W1": np.eye(k), "b1": np.zeros(k)}, probabilities, y_true, output="linear")


def test_lesson_05b_accuracy_from_probs_refuses_lesson_02_s_accuracy():
    """Round 20 (r205 N3): mlp.accuracy of an identity network is the whole result; it was refused only because one
    case asks for an identity matrix too large for memory."""
    verdict = judge(registry.get_exercise("accuracy_from_probs"), _r20_accuracy_by_an_identity_network)
    assert verdict.kind == WRONG and "course's own version" in verdict.text, verdict.text


# round 21: lesson 05
_r21_classes_seen = {}


def _r21_predict_remembering_classes(model, image):
    image = np.asarray(image)
    if image.shape not in {(28, 28), (28, 28, 1)}:
        raise ValueError("expected one 28x28 image")
    key = (id(model), image.shape, image.dtype.str, image.tobytes())  # "no need to predict the same image twice"
    if key not in _r21_classes_seen:
        batch = image.reshape(1, 28, 28, 1).astype("float32") / 255.0
        _r21_classes_seen[key] = int(np.argmax(model.predict(batch, verbose=0)[0]))
    return _r21_classes_seen[key]


def test_lesson_05c_predict_one_image_refuses_a_class_remembered_from_an_earlier_call():
    """A class remembered per model and image (a memo keyed by id(model) and the pixels) passed: every case used the
    check's model with the same weights, so a remembered class was never stale. After another fit() (or any change of
    the weights) the caller's model gives the image another class."""
    pytest.importorskip("keras")
    _r21_classes_seen.clear()
    verdict = judge(registry.get_exercise("predict_one_image"), _r21_predict_remembering_classes)
    assert verdict.kind == WRONG and "weights changed" in verdict.text, verdict.text


# round 22: lesson 05
def _r22_conv_with_the_kernel_upside_down(image, kernel):
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    if image.ndim != 2 or kernel.ndim != 2:
        raise ValueError("image and kernel must be 2-D")
    if kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("the kernel is taller or wider than the image")
    kernel = kernel[::-1]   # "the kernel is flipped" remembered for one axis only
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for i, j in np.ndindex(out.shape):
        out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
    return out


def test_lesson_05a_conv2d_valid_names_a_kernel_turned_upside_down():
    """A kernel flipped upside down only (kernel[::-1], np.flipud) gives the lesson's vertical-edge kernel unchanged,
    so it first fails on the non-square case, where the whole flip gives other values: it was refused with a bare
    "wrong value at index (0, 0)" and no hint that the kernel was flipped."""
    verdict = judge(registry.get_exercise("conv2d_valid"), _r22_conv_with_the_kernel_upside_down)
    assert verdict.kind == WRONG and "not even upside down" in verdict.text, verdict.text


def _r22_checked_conv(image, kernel):
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    if image.ndim != 2 or kernel.ndim != 2:
        raise ValueError("image and kernel must be 2-D")
    if kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("the kernel is taller or wider than the image")
    return image, kernel


def _r22_conv_of_the_transposes(image, kernel):
    image, kernel = _r22_checked_conv(image, kernel)   # the map of the transposes, transposed back
    kw, kh = kernel.shape[1], kernel.shape[0]
    out = np.zeros((image.shape[1] - kw + 1, image.shape[0] - kh + 1))
    for i, j in np.ndindex(out.shape):
        out[i, j] = np.sum(image.T[i:i + kw, j:j + kh] * kernel.T)
    return out.T.copy()


def _r22_conv_by_flat_dot_products(image, kernel):
    image, kernel = _r22_checked_conv(image, kernel)
    kh, kw = kernel.shape
    rows, cols = image.shape[0] - kh + 1, image.shape[1] - kw + 1
    flat = kernel.ravel()
    return np.array([image[i:i + kh, j:j + kw].ravel() @ flat for i in range(rows) for j in range(cols)]).reshape(
        rows, cols)


def _r22_size_by_a_fraction(n, kernel, padding=0, stride=1):
    from fractions import Fraction
    for value in (n, kernel, padding, stride):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"expected an int, got {value!r}")
    if n < 1 or kernel < 1 or stride < 1 or padding < 0 or kernel > n + 2 * padding:
        raise ValueError("no window fits")
    return math.floor(Fraction(int(n) + 2 * int(padding) - int(kernel), int(stride))) + 1   # exact, no float


def _r22_params_layer_by_layer(filters1, filters2, n_classes=10, size=28, kernel=3):
    for value in (filters1, filters2, n_classes, size, kernel):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"expected an int, got {value!r}")
        if value < 1:
            raise ValueError(f"expected at least 1, got {value}")
    total, side, channels = 0, size, 1
    for filters in (filters1, filters2):   # conv (valid) then a 2x2 pool, twice
        side = (side - (kernel - 1)) // 2
        if side < 1:
            raise ValueError("the image is too small for two convolutions and pools")
        total += (kernel * kernel * channels + 1) * filters
        channels = filters
    return total + (side * side * channels + 1) * n_classes


def _r22_accuracy_row_by_row(y_true, probabilities):
    y_true, probabilities = np.asarray(y_true), np.asarray(probabilities)
    if probabilities.ndim != 2 or y_true.shape != probabilities.shape[:1]:
        raise ValueError("expected probabilities (n, n_classes) and n labels")
    hits = [int(np.argmax(row)) == label for row, label in zip(probabilities, y_true)]
    return sum(hits) / len(hits) if hits else float("nan")


@pytest.mark.parametrize("name, answer", [
    ("conv2d_valid", _r22_conv_of_the_transposes), ("conv2d_valid", _r22_conv_by_flat_dot_products),
    ("conv_output_size", _r22_size_by_a_fraction), ("cnn_param_count", _r22_params_layer_by_layer),
    ("accuracy_from_probs", _r22_accuracy_row_by_row),
], ids=["conv of the transposes", "conv by flat dot products", "size by an exact fraction", "params layer by layer",
        "accuracy row by row"])
def test_lesson_05_accepts_right_answers_written_another_way_round_22(name, answer):
    _passes(name, answer)


def test_lesson_05_course_counts_take_numpy_integers_as_python_integers():
    """convnet's conv_output_size and cnn_param_count (and the solutions' copies) accept numpy integers and computed in
    their type: np.int8 arguments gave 42 pixels for 298 and 10 parameters for 12,810, wrapping around silently
    (round 22, r225 F2). They now turn each argument into a Python int after checking it."""
    from course_utils import convnet
    assert convnet.conv_output_size(np.int8(100), np.int8(3), np.int8(100), np.int8(1)) == 298
    assert convnet.cnn_param_count(np.int8(16), np.int8(32)) == 12_810
    assert convnet.cnn_param_count(np.int16(64), np.int16(128), np.int16(100)) == 394_596


# round 23: lesson 05
def _r23_accuracy_checked(y_true, probabilities):
    y_true, probabilities = np.asarray(y_true), np.asarray(probabilities)
    if probabilities.ndim != 2 or y_true.ndim != 1 or len(y_true) != len(probabilities):
        raise ValueError("expected probabilities (n, n_classes) and n labels")
    return y_true, probabilities


def test_lesson_05b_accuracy_from_probs_names_a_count_kept_between_calls():
    """A running count kept outside the function (as a Keras metric object made once, whose update_state adds every
    call's examples to the last ones', gives it) was refused with a bare "wrong value: expected 0.666667, got
    0.714286" on the second case, though the function gives 0.666667 on that input alone (round 23, r235 F2)."""
    seen = {"right": 0, "all": 0}

    def running_count(y_true, probabilities):
        y_true, probabilities = _r23_accuracy_checked(y_true, probabilities)
        seen["right"] += int(np.sum(np.argmax(probabilities, axis=1) == y_true))
        seen["all"] += len(y_true)
        return seen["right"] / seen["all"]

    verdict = judge(registry.get_exercise("accuracy_from_probs"), running_count)
    assert verdict.kind == WRONG and "called again with the same input" in verdict.text, verdict.text


def test_lesson_05b_accuracy_from_probs_refuses_a_result_kept_by_the_labels():
    """An accuracy kept from an earlier call with the same labels (or of the same shape) passed: no two cases had the
    same labels, or the same shapes and dtypes (round 23, r235 F1)."""
    kept = {}

    def kept_by_the_labels(y_true, probabilities):
        y_true, probabilities = _r23_accuracy_checked(y_true, probabilities)
        key = (y_true.tobytes(), y_true.dtype.str)
        if key not in kept:
            kept[key] = float(np.mean(np.argmax(probabilities, axis=1) == y_true))
        return kept[key]

    kept_by_shape = {}

    def kept_by_the_shape(y_true, probabilities):
        y_true, probabilities = _r23_accuracy_checked(y_true, probabilities)
        key = (probabilities.shape, probabilities.dtype.str, y_true.dtype.str)
        if key not in kept_by_shape:
            kept_by_shape[key] = float(np.mean(np.argmax(probabilities, axis=1) == y_true))
        return kept_by_shape[key]

    for answer in (kept_by_the_labels, kept_by_the_shape):
        verdict = judge(registry.get_exercise("accuracy_from_probs"), answer)
        assert verdict.kind == WRONG, verdict.text


def test_lesson_05a_conv_output_size_refuses_a_fit_check_short_of_both_paddings():
    """A fit check that allowed the kernel n + padding + 1 pixels (both paddings counted only as one pixel more) passed:
    the only cases whose kernel was wider than that had a padding of 1, where the two agree (round 23, r235 F3)."""
    def short_fit_check(n, kernel, padding=0, stride=1):
        _r23_size_checked(n, kernel, padding, stride)
        if kernel > n + padding + (padding > 0):
            raise ValueError("the kernel is wider than the padded image")
        return (n + 2 * padding - kernel) // stride + 1

    verdict = judge(registry.get_exercise("conv_output_size"), short_fit_check)
    assert verdict.kind == WRONG, verdict.text


def _r23_size_checked(n, kernel, padding, stride):
    for value, low in ((n, 1), (kernel, 1), (padding, 0), (stride, 1)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"expected an int, got {value!r}")
        if value < low:
            raise ValueError(f"expected at least {low}, got {value}")
    if kernel > n + 2 * padding:
        raise ValueError("the kernel is wider than the padded image")


def _r23_size_by_walking_the_kernel(n, kernel, padding=0, stride=1):
    _r23_size_checked(n, kernel, padding, stride)
    positions = start = 0
    while start + kernel <= n + 2 * padding:
        positions, start = positions + 1, start + stride
    return positions


def _r23_size_as_a_range(n, kernel, padding=0, stride=1):
    _r23_size_checked(n, kernel, padding, stride)
    return len(range(0, n + 2 * padding - kernel + 1, stride))


def _r23_params_by_shifts(filters1, filters2, n_classes=10, size=28, kernel=3):
    for value in (filters1, filters2, n_classes, size, kernel):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"expected an int, got {value!r}")
        if value < 1:
            raise ValueError(f"expected at least 1, got {value}")
    side = ((size - kernel + 1) >> 1) - kernel + 1
    side = side >> 1 if side > 0 else 0
    if side < 1:
        raise ValueError("the image is too small for two convolutions and pools")
    return filters1 * (kernel ** 2 + 1) + filters2 * (kernel ** 2 * filters1 + 1) + n_classes * (side ** 2 * filters2 + 1)


def _r23_conv_by_shifted_slices(image, kernel):
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("expected a 2-D image and a 2-D kernel that fits into it")
    out = np.zeros((image.shape[0] - kernel.shape[0] + 1, image.shape[1] - kernel.shape[1] + 1))
    for u, v in np.ndindex(kernel.shape):   # one weight at a time, over every window at once
        out += kernel[u, v] * image[u:u + out.shape[0], v:v + out.shape[1]]
    return out


def _r23_accuracy_by_count_nonzero(y_true, probabilities):
    y_true, probabilities = _r23_accuracy_checked(y_true, probabilities)
    return np.count_nonzero(probabilities.argmax(axis=-1) == y_true) / y_true.size


@pytest.mark.parametrize("name, answer", [
    ("conv_output_size", _r23_size_by_walking_the_kernel), ("conv_output_size", _r23_size_as_a_range),
    ("cnn_param_count", _r23_params_by_shifts), ("conv2d_valid", _r23_conv_by_shifted_slices),
    ("accuracy_from_probs", _r23_accuracy_by_count_nonzero),
], ids=["size by walking the kernel", "size as a range", "params by shifts", "conv by shifted slices",
        "accuracy by count_nonzero"])
def test_lesson_05_accepts_right_answers_written_another_way_round_23(name, answer):
    _passes(name, answer)


# round 24: lesson 05
def _r24_one_image(image):
    image = np.asarray(image)
    if image.shape not in ((28, 28), (28, 28, 1)):
        raise ValueError(f"expected one 28x28 image, got shape {image.shape}")
    return image.reshape(1, 28, 28, 1)


def test_lesson_05c_predict_one_image_refuses_1_over_255_rounded_to_3_digits():
    """Multiplying the pixels by 0.00392 (1/255 rounded to 3 significant digits, every pixel 0.04% darker) passed: the
    boundary images lay 0.4% (/ 256) or a rounding to 2 or 3 digits from their class boundaries; it is now refused
    and named (round 24, r245 F1)."""
    def rounded_constant(model, image):
        return int(np.argmax(model.predict(_r24_one_image(image) * 0.00392, verbose=0)[0]))

    verdict = judge(registry.get_exercise("predict_one_image"), rounded_constant)
    assert verdict.kind == WRONG and "0.00392 makes every pixel 0.04% darker" in verdict.text, verdict.text


@pytest.mark.parametrize("policy", ["bfloat16", "mixed_float16"])
def test_lesson_05b_build_cnn_says_the_layers_compute_in_16_bits(policy):
    """Layers built with dtype='bfloat16' were told "softmax rows summing to 1: expected numbers, got values of type
    bfloat16", and with dtype='mixed_float16' only "output with the check's weights: wrong value ... expected
    0.0445163, got 0.0445862": neither said that the layers compute in 16-bit floats (round 24, r245 F2)."""
    import keras
    from keras import layers

    def half_precision_cnn(filters1=16, filters2=32, n_classes=10, dropout=0.3):
        return keras.Sequential([
            keras.Input(shape=(28, 28, 1)), layers.Conv2D(filters1, 3, activation="relu", dtype=policy),
            layers.MaxPooling2D(2, dtype=policy), layers.Conv2D(filters2, 3, activation="relu", dtype=policy),
            layers.MaxPooling2D(2, dtype=policy), layers.Flatten(dtype=policy), layers.Dropout(dropout, dtype=policy),
            layers.Dense(n_classes, activation="softmax", dtype=policy)])

    verdict = judge(registry.get_exercise("build_cnn"), half_precision_cnn)
    assert verdict.kind == WRONG and "computes in" in verdict.text and "Leave dtype= out" in verdict.text, verdict.text


# round 25: lesson 05
def _r25_one_image(image):
    image = np.asarray(image)
    if image.shape not in ((28, 28), (28, 28, 1)):
        raise ValueError(f"expected one 28x28 image, got shape {image.shape}")
    return image.reshape(1, 28, 28, 1).astype("float32")


def _r25_min_max_with_epsilon(model, image):
    x = _r25_one_image(image)
    return int(np.argmax(model.predict((x - x.min()) / (x.max() - x.min() + 1e-8), verbose=0)[0]))


def _r25_min_max_by_sklearn(model, image):
    from sklearn.preprocessing import minmax_scale

    x = _r25_one_image(image)
    return int(np.argmax(model.predict(minmax_scale(x.reshape(-1)).reshape(x.shape), verbose=0)[0]))


def _r25_minimum_taken_off(model, image):
    x = _r25_one_image(image)
    return int(np.argmax(model.predict((x - x.min()) / 255.0, verbose=0)[0]))


@pytest.mark.parametrize("answer", [_r25_min_max_with_epsilon, _r25_min_max_by_sklearn, _r25_minimum_taken_off],
                         ids=["(x - min) / (max - min + 1e-8)", "sklearn minmax_scale", "(x - min) / 255"])
def test_lesson_05c_predict_one_image_names_min_max_scaling_not_integer_division(answer):
    """Min-max scaling of each image, (x - x.min()) / (x.max() - x.min()) (with a guard against 0, or sklearn's
    minmax_scale), was refused on the all-white image but told "divide by 255 once, as floats ... image // 255 (or
    image / 255 cast back to uint8) turns every pixel below 255 into 0", a mistake the answer did not make; it is now
    named as min-max scaling (round 25, r255 F1)."""
    verdict = judge(registry.get_exercise("predict_one_image"), answer)
    assert verdict.kind == WRONG and "min-max scaling" in verdict.text and "image // 255" not in verdict.text, \
        verdict.text


def _r25_centred(model, image):
    return int(np.argmax(model.predict((_r25_one_image(image) - 127.5) / 127.5, verbose=0)[0]))


def _r25_standardised(model, image):
    x = _r25_one_image(image)
    return int(np.argmax(model.predict((x - x.mean()) / (x.std() + 1e-8), verbose=0)[0]))


@pytest.mark.parametrize("answer", [_r25_centred, _r25_standardised], ids=["centred to -1..1", "standardised"])
def test_lesson_05c_predict_one_image_says_why_centred_or_standardised_pixels_are_wrong(answer):
    """Pixels centred to -1..1 ((x - 127.5) / 127.5, as some pretrained models' preprocess_input does) or standardised
    per image ((x - mean) / std) were refused with only "wrong value: expected 7, got 2" on the stroke: no word on
    what was wrong with the scaling; both are now told to scale like the training data, / 255 and nothing more (round
    25, r255 F2)."""
    verdict = judge(registry.get_exercise("predict_one_image"), answer)
    assert verdict.kind == WRONG and "image / 255 (0 for black, 1 for white), and nothing more" in verdict.text, \
        verdict.text


def _r25_conv_checked(image, kernel):
    image, kernel = np.asarray(image), np.asarray(kernel)   # not converted to floats
    if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("expected a 2-D image and a 2-D kernel that fits into it")
    return image, kernel


def _r25_conv_float_output_integer_products(image, kernel):
    image, kernel = _r25_conv_checked(image, kernel)
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
    return out


def test_lesson_05a_conv2d_valid_names_products_wrapped_round_in_uint8():
    """The two loops into a float64 output, np.zeros(shape) as the hint says, with the image and kernel left as given:
    a uint8 window times a uint8 kernel wraps round in uint8 before the sum (1407 for 2687). It was refused with only
    "wrong value", no word on why; it is now told to convert the inputs to floats before multiplying (round 25, r255
    F3)."""
    verdict = judge(registry.get_exercise("conv2d_valid"), _r25_conv_float_output_integer_products)
    assert verdict.kind == WRONG and "convert the image and the kernel to floats before you multiply" in verdict.text, \
        verdict.text


def _r25_conv_by_einsum_on_the_inputs(image, kernel):
    image, kernel = _r25_conv_checked(image, kernel)
    return np.einsum("ijuv,uv->ij", np.lib.stride_tricks.sliding_window_view(image, kernel.shape), kernel)


def test_lesson_05a_conv2d_valid_tells_einsum_on_uint8_inputs_to_convert_them():
    """np.einsum over sliding_window_view on uint8 inputs sums in uint8 (127 for 2687): it was told only "make the
    output a float array ... such as np.zeros_like(image)", which it has not got, and a float copy of its result
    (.astype(float)) would still be 127; the message now says to convert the inputs, as einsum and correlate2d compute
    in their dtype (round 25, r255 F4)."""
    verdict = judge(registry.get_exercise("conv2d_valid"), _r25_conv_by_einsum_on_the_inputs)
    assert verdict.kind == WRONG and "np.einsum or np.tensordot on uint8" in verdict.text, verdict.text


# round 27: lesson 05
def _r27_conv_inputs(image, kernel):
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    if image.ndim != 2 or kernel.ndim != 2:
        raise ValueError("image and kernel must be 2-D")
    if kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("the kernel is taller or wider than the image")
    return image, kernel


def _r27_conv_by_scipy_correlate2d(image, kernel):
    import scipy.signal

    return scipy.signal.correlate2d(*_r27_conv_inputs(image, kernel), mode="valid")


def _r27_conv_by_scipy_convolve_of_the_flipped_kernel(image, kernel):
    import scipy.signal

    image, kernel = _r27_conv_inputs(image, kernel)
    return scipy.signal.convolve(image, kernel[::-1, ::-1], mode="valid")


def _r27_conv_by_scipy_fftconvolve(image, kernel):
    import scipy.signal

    image, kernel = _r27_conv_inputs(image, kernel)
    return scipy.signal.fftconvolve(image, kernel[::-1, ::-1], mode="valid")


def _r27_conv_by_ndimage_correlate(image, kernel):
    import scipy.ndimage

    image, kernel = _r27_conv_inputs(image, kernel)
    (kh, kw), (h, w) = kernel.shape, image.shape
    full = scipy.ndimage.correlate(image, kernel, mode="constant", origin=(-(kh // 2), -(kw // 2)))
    return full[:h - kh + 1, :w - kw + 1]


def _r27_conv_by_scipy_c_kernel(image, kernel):
    from scipy.signal import _sigtools

    return _sigtools._convolve2d(*_r27_conv_inputs(image, kernel), 0, 0, 0, 0)   # what correlate2d calls


def _r27_conv_by_skimage_with_the_zero_weights_put_back(image, kernel):
    from skimage.filters import correlate_sparse

    image, kernel = _r27_conv_inputs(image, kernel)   # correlate_sparse skips zero weights (0 * inf is NaN)
    zeros = (kernel == 0).astype(float)
    return correlate_sparse(image, kernel + zeros, mode="valid") - correlate_sparse(image, zeros, mode="valid")


def _r27_conv_by_keras_ops(image, kernel):
    import keras

    image, kernel = _r27_conv_inputs(image, kernel)
    return np.asarray(keras.ops.conv(image[None, :, :, None], kernel[:, :, None, None]))[0, :, :, 0].astype(float)


def _r27_conv_by_a_keras_layer(image, kernel):
    import keras

    image, kernel = _r27_conv_inputs(image, kernel)
    conv = keras.layers.Conv2D(1, kernel.shape, use_bias=False, dtype="float64")
    conv.build((None, *image.shape, 1))
    conv.set_weights([kernel[:, :, None, None]])
    return np.asarray(conv(image[None, :, :, None]))[0, :, :, 0]


def _r27_conv_by_tf_nn(image, kernel):
    import tensorflow as tf

    image, kernel = _r27_conv_inputs(image, kernel)
    return tf.nn.conv2d(image[None, :, :, None], kernel[:, :, None, None], 1, "VALID").numpy()[0, :, :, 0]


def _r27_conv_by_tf_raw_op(image, kernel):
    import tensorflow as tf

    image, kernel = _r27_conv_inputs(image, kernel)
    return tf.raw_ops.Conv2D(input=image[None, :, :, None], filter=kernel[:, :, None, None], strides=[1, 1, 1, 1],
                             padding="VALID").numpy()[0, :, :, 0]


def _r27_conv_by_torch(image, kernel):
    import torch

    image, kernel = _r27_conv_inputs(image, kernel)
    return torch.nn.functional.conv2d(torch.tensor(image)[None, None], torch.tensor(kernel)[None, None])[0, 0].numpy()


def _r27_conv_by_torch_convolution(image, kernel):
    import torch

    image, kernel = map(torch.tensor, _r27_conv_inputs(image, kernel))
    return torch.convolution(image[None, None], kernel[None, None], None, [1, 1], [0, 0], [1, 1], False, [0, 0],
                             1)[0, 0].numpy()


@pytest.mark.parametrize("answer", [
    _r27_conv_by_scipy_correlate2d, _r27_conv_by_scipy_convolve_of_the_flipped_kernel, _r27_conv_by_scipy_fftconvolve,
    _r27_conv_by_ndimage_correlate, _r27_conv_by_scipy_c_kernel, _r27_conv_by_skimage_with_the_zero_weights_put_back,
    _r27_conv_by_keras_ops, _r27_conv_by_a_keras_layer,
    _r27_conv_by_tf_nn, _r27_conv_by_tf_raw_op, _r27_conv_by_torch, _r27_conv_by_torch_convolution,
], ids=["scipy.signal.correlate2d", "scipy.signal.convolve, kernel flipped", "scipy.signal.fftconvolve",
        "scipy.ndimage.correlate", "scipy's C kernel _convolve2d", "skimage correlate_sparse", "keras.ops.conv",
        "a keras Conv2D layer",
        "tf.nn.conv2d", "tf.raw_ops.Conv2D", "torch.nn.functional.conv2d", "torch.convolution"])
def test_lesson_05a_conv2d_valid_refuses_a_library_convolution(answer):
    """Exercise 1 is written in numpy (05a: "you write one in numpy and match Keras' Conv2D exactly"); each of these
    library convolutions passed (scikit-image's correlate_sparse, which skips zero weights, failed only on the inf and
    NaN pixels), and 05a's proof that the answer is what Keras does then compared Keras with Keras. They are now
    refused as a library function that computes the result (round 27, r276 F0, the maintainer's ruling)."""
    if "torch" in answer.__name__:
        pytest.importorskip("torch")
    if "skimage" in answer.__name__:
        pytest.importorskip("skimage")
    verdict = judge(registry.get_exercise("conv2d_valid"), answer)
    assert verdict.kind == WRONG and _a_library_refused(verdict.text), verdict.text   # round 28: numpy alone


def _r27_conv_by_row_correlations(image, kernel):
    image, kernel = _r27_conv_inputs(image, kernel)
    kh = kernel.shape[0]
    return np.array([sum(np.correlate(image[i + u], kernel[u], mode="valid") for u in range(kh))
                     for i in range(image.shape[0] - kh + 1)])


def _r27_conv_by_window_einsum(image, kernel):
    image, kernel = _r27_conv_inputs(image, kernel)
    return np.einsum("ijuv,uv->ij", np.lib.stride_tricks.sliding_window_view(image, kernel.shape), kernel)


def _r27_conv_by_window_tensordot(image, kernel):
    image, kernel = _r27_conv_inputs(image, kernel)
    return np.tensordot(np.lib.stride_tricks.sliding_window_view(image, kernel.shape), kernel, axes=2)


def _r27_conv_by_shifted_slices(image, kernel):
    image, kernel = _r27_conv_inputs(image, kernel)
    (h, w), (kh, kw) = image.shape, kernel.shape
    out = np.zeros((h - kh + 1, w - kw + 1))
    for u, v in np.ndindex(kernel.shape):
        out += kernel[u, v] * image[u:u + h - kh + 1, v:v + w - kw + 1]
    return out


@pytest.mark.parametrize("answer", [_r27_conv_by_row_correlations, _r27_conv_by_window_einsum,
                                    _r27_conv_by_window_tensordot, _r27_conv_by_shifted_slices],
                         ids=["np.correlate of rows", "einsum of sliding windows", "tensordot of sliding windows",
                              "sum of shifted slices"])
def test_lesson_05a_conv2d_valid_numpy_answers_written_otherwise_passes(answer):
    """numpy's own tools stay allowed when a library's convolution is refused: np.correlate of each row with the
    kernel's row, einsum or tensordot over sliding_window_view, and a sum of shifted slices (round 27, r276 F0)."""
    _passes("conv2d_valid", answer)


def test_lesson_05a_conv2d_valid_messages_suggest_no_refused_library():
    """The catalogue told a uint8 answer that "np.einsum or scipy's correlate2d on uint8 inputs" wraps round, naming a
    convolution the exercise now refuses; no message or hint of the exercise names scipy's convolution now (round 27,
    r276 F0)."""
    exercise = registry.get_exercise("conv2d_valid")
    texts = [m.message for m in exercise.mistakes]
    assert not [text for text in texts if re.search(r"correlate2d|scipy|ops\.conv|conv2d\(", text)], texts
    assert "refused" in exercise.hint and "numpy" in exercise.hint



def _r27_accuracy_by_00b_accuracy(y_true, probabilities):
    from course_utils import bigpicture

    return bigpicture.accuracy(y_true, np.argmax(probabilities, axis=1))   # its shape check refuses bad labels


def test_lesson_05b_accuracy_from_probs_refuses_00b_accuracy():
    """bigpicture.accuracy(y_true, np.argmax(probabilities, axis=1)), 00b's accuracy (the course's own), passed all the
    cases: its shape check stood in for exercise 5's label checks. Lesson 06 refuses it for its accuracy; now so does
    exercise 5 (round 27, r276 F1)."""
    verdict = judge(registry.get_exercise("accuracy_from_probs"), _r27_accuracy_by_00b_accuracy)
    assert verdict.kind == WRONG and "course_utils.bigpicture.accuracy" in verdict.text, verdict.text


def _r27_conv_by_row_convolutions(image, kernel):
    image, kernel = _r27_conv_inputs(image, kernel)
    kh = kernel.shape[0]
    return np.array([sum(np.convolve(image[i + u], kernel[u], mode="valid") for u in range(kh))
                     for i in range(image.shape[0] - kh + 1)])


def test_lesson_05a_conv2d_valid_names_np_convolve_for_rows_convolved():
    """np.convolve of each row with the kernel's row, the twin of the allowed np.correlate, reverses every kernel row;
    it was told only "do not flip the kernel", which it had not done itself. The message now says that np.convolve
    reverses its second argument and np.correlate does not (round 27, r276 F2)."""
    verdict = judge(registry.get_exercise("conv2d_valid"), _r27_conv_by_row_convolutions)
    assert verdict.kind == WRONG and "np.convolve reverses its second argument" in verdict.text, verdict.text


def _r27_params_both_convolutions_first(filters1, filters2, n_classes=10, size=28, kernel=3):
    values = (filters1, filters2, n_classes, size, kernel)
    if any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) for v in values):
        raise TypeError("expected ints")
    if min(values) < 1:
        raise ValueError("expected at least 1")
    filters1, filters2, n_classes, size, kernel = (int(v) for v in values)
    side = (size - 2 * (kernel - 1)) // 4   # both convolutions' pixels off the full image, then two halvings
    if side < 1:
        raise ValueError("the image is too small")
    return (kernel * kernel + 1) * filters1 + (kernel * kernel * filters1 + 1) * filters2 + \
        (side * side * filters2 + 1) * n_classes


def test_lesson_05b_cnn_param_count_names_the_layers_order_for_both_convolutions_first():
    """side = (size - 2 * (kernel - 1)) // 4 gives 6 for 28 pixels, as a pool that rounds up does; it was told only
    "a 2x2 pool rounds DOWN", though it rounds down. The message now also says to follow the side in the layers' order
    (round 27, r276 F3)."""
    verdict = judge(registry.get_exercise("cnn_param_count"), _r27_params_both_convolutions_first)
    assert verdict.kind == WRONG and "in the layers' order" in verdict.text, verdict.text


def _r27_cnn_with(conv=None, pool=None):
    """build_cnn with extra settings for its convolutions and pools."""
    def build_cnn(filters1=16, filters2=32, n_classes=10, dropout=0.3):
        import keras
        from keras import layers

        return keras.Sequential([
            keras.Input(shape=(28, 28, 1)), layers.Conv2D(filters1, 3, activation="relu", **(conv or {})),
            layers.MaxPooling2D(2, **(pool or {})), layers.Conv2D(filters2, 3, activation="relu", **(conv or {})),
            layers.MaxPooling2D(2, **(pool or {})), layers.Flatten(), layers.Dropout(dropout),
            layers.Dense(n_classes, activation="softmax")])
    return build_cnn


@pytest.mark.parametrize("answer", [_r27_cnn_with(pool={"padding": "same"}), _r27_cnn_with(conv={"padding": "same"})],
                         ids=["pools with padding='same'", "convolutions with padding='same'"])
def test_lesson_05b_build_cnn_names_padding_same(answer):
    """padding="same" in the pools (11 -> 6) or in the convolutions (28 -> 28) was told only "parameter count: wrong
    value: expected 12810, got 16330"; it is now told which layer is set with padding='same' and how the lesson's side
    goes (round 27, r276 F4)."""
    verdict = judge(registry.get_exercise("build_cnn"), answer)
    assert verdict.kind == WRONG and "is set with padding='same'" in verdict.text, verdict.text


@pytest.mark.parametrize("answer", [_r27_cnn_with(pool={"strides": (2, 2), "padding": "valid"}),
                                    _r27_cnn_with(conv={"strides": 1, "padding": "valid", "dilation_rate": (1, 1)})],
                         ids=["pools with their defaults spelt out", "convolutions with their defaults spelt out"])
def test_lesson_05b_build_cnn_layer_defaults_spelt_out_passes(answer):
    """Convolutions and pools with the lesson's sizes, strides and padding spelt out are right (round 27, r276 F4)."""
    _passes("build_cnn", answer)


# round 28: lesson 05
def _r28_conv_by_torch_aten_conv2d(image, kernel):
    import torch

    image, kernel = _r27_conv_inputs(image, kernel)
    return torch.ops.aten.conv2d(torch.from_numpy(image)[None, None],
                                 torch.from_numpy(np.ascontiguousarray(kernel))[None, None])[0, 0].numpy()


def _r28_conv_by_torch_variable_functions(image, kernel):
    import torch

    image, kernel = _r27_conv_inputs(image, kernel)
    return torch._C._VariableFunctions.conv2d(torch.from_numpy(image)[None, None],
                                              torch.from_numpy(np.ascontiguousarray(kernel))[None, None])[0, 0].numpy()


def _r28_conv_by_torch_thnn_conv2d(image, kernel):
    import torch

    image, kernel = _r27_conv_inputs(image, kernel)
    return torch._C._nn.thnn_conv2d(torch.from_numpy(image)[None, None],
                                    torch.from_numpy(np.ascontiguousarray(kernel))[None, None],
                                    list(kernel.shape))[0, 0].numpy()


def _r28_conv_by_rows(filter_rows):
    """A valid correlation made of one 1-D library filter per kernel row (``filter_rows(rows, kernel_row)`` gives the
    full or same-size result along axis 1, cut here to the valid part)."""
    def conv2d_valid(image, kernel):
        image, kernel = _r27_conv_inputs(image, kernel)
        (kh, kw), (h, w) = kernel.shape, image.shape
        out = np.zeros((h - kh + 1, w - kw + 1))
        for u in range(kh):
            out += filter_rows(image[u:u + h - kh + 1], kernel[u])[:, kw - 1:w] if filter_rows.full else \
                filter_rows(image[u:u + h - kh + 1], kernel[u])[:, :w - kw + 1]
        return out
    return conv2d_valid


def _r28_ndimage_correlate1d(rows, weights):
    import scipy.ndimage

    return scipy.ndimage.correlate1d(rows, weights, axis=1, mode="constant", origin=-(len(weights) // 2))


def _r28_lfilter(rows, weights):
    import scipy.signal

    return scipy.signal.lfilter(weights[::-1], [1.0], rows, axis=1)


def _r28_upfirdn(rows, weights):
    import scipy.signal

    return scipy.signal.upfirdn(weights[::-1], rows, axis=1)


_r28_ndimage_correlate1d.full, _r28_lfilter.full, _r28_upfirdn.full = False, True, True


@pytest.mark.parametrize("answer", [
    _r28_conv_by_torch_aten_conv2d, _r28_conv_by_torch_variable_functions, _r28_conv_by_torch_thnn_conv2d,
    _r28_conv_by_rows(_r28_ndimage_correlate1d), _r28_conv_by_rows(_r28_lfilter), _r28_conv_by_rows(_r28_upfirdn)],
    ids=["torch.ops.aten.conv2d", "torch._C._VariableFunctions.conv2d", "torch._C._nn.thnn_conv2d",
         "scipy.ndimage.correlate1d of the rows", "scipy.signal.lfilter of the rows",
         "scipy.signal.upfirdn of the rows"])
def test_lesson_05a_conv2d_valid_refuses_torch_operators_and_scipy_row_filters(answer):
    """torch's convolution reached below its Python names (torch.ops.aten.conv2d, torch._C._VariableFunctions.conv2d,
    torch._C._nn.thnn_conv2d) and scipy's 1-D convolutions and FIR filters applied row by row and summed
    (scipy.ndimage.correlate1d, scipy.signal.lfilter, scipy.signal.upfirdn) passed: library convolutions, which the
    ruling refuses; torch's convolution operators are now watched as aten patterns, scipy's 1-D filters by name
    (round 28, r286 F2, F3)."""
    verdict = judge(registry.get_exercise("conv2d_valid"), answer)
    assert verdict.kind == WRONG and _a_library_refused(verdict.text), verdict.text   # round 28: numpy alone


def _r28_conv_by_windows(windows):
    def conv2d_valid(image, kernel):
        image, kernel = _r27_conv_inputs(image, kernel)
        (kh, kw), (h, w) = kernel.shape, image.shape
        return windows(image, kernel).reshape(h - kh + 1, w - kw + 1, kh * kw) @ kernel.ravel()
    return conv2d_valid


def _r28_torch_unfold(image, kernel):
    import torch

    cols = torch.nn.functional.unfold(torch.from_numpy(image)[None, None], kernel.shape)[0]   # (kh * kw, positions)
    return cols.T.numpy()


def _r28_shifted_slices(image, kernel):
    (kh, kw), (h, w) = kernel.shape, image.shape
    return np.stack([image[u:u + h - kh + 1, v:v + w - kw + 1] for u in range(kh) for v in range(kw)], axis=-1)


def test_lesson_05a_conv2d_valid_windows_by_shifted_slices_then_a_product_pass():
    """A stack of shifted slices and the products summed by the answer is not a library convolution (round 28, r286
    F2); torch's unfold, which only cuts the windows out, is a call into torch, which the numpy-only rule refuses."""
    _passes("conv2d_valid", _r28_conv_by_windows(_r28_shifted_slices))
    pytest.importorskip("torch")
    verdict = judge(registry.get_exercise("conv2d_valid"), _r28_conv_by_windows(_r28_torch_unfold))
    assert verdict.kind == WRONG and "from the library torch" in verdict.text, verdict.text


def _r28_cnn_param_count_checking(flattened):
    def cnn_param_count(filters1, filters2, n_classes=10, size=28, kernel=3):
        for value in (filters1, filters2, n_classes, size, kernel):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise TypeError(f"expected an int, got {value!r}")
            if value < 1:
                raise ValueError(f"expected at least 1, got {value}")
        side = ((size - kernel + 1) // 2 - kernel + 1) // 2
        if (side * side * filters2 < 1) if flattened else side == 0:
            raise ValueError("the image is too small")
        return (kernel * kernel + 1) * filters1 + (kernel * kernel * filters1 + 1) * filters2 + \
            (side * side * filters2 + 1) * n_classes
    return cnn_param_count


@pytest.mark.parametrize("flattened", [True, False], ids=["side * side * filters2 < 1", "side == 0"])
def test_lesson_05b_cnn_param_count_names_a_negative_side_let_through(flattened):
    """An image-size check made on the flattened length (side * side * filters2 < 1) or as side == 0 lets the 5x5
    images through (side -1, squared 1) and was told "each 2x2 pool halves the side length", the message of an answer
    without pooling, which gives the same count there; it is now told to raise for every side below 1, negative too
    (round 28, r286 F1)."""
    verdict = judge(registry.get_exercise("cnn_param_count"), _r28_cnn_param_count_checking(flattened))
    assert verdict.kind == WRONG and "negative too" in verdict.text and "halves" not in verdict.text, verdict.text


def _r28_conv_with_relu(image, kernel):
    image, kernel = _r27_conv_inputs(image, kernel)
    (kh, kw), (h, w) = kernel.shape, image.shape
    out = np.zeros((h - kh + 1, w - kw + 1))
    for i, j in np.ndindex(out.shape):
        out[i, j] = max(0.0, np.sum(image[i:i + kh, j:j + kw] * kernel))   # as Conv2D(..., activation="relu")
    return out


def test_lesson_05a_conv2d_valid_names_a_relu_taken_into_the_convolution():
    """max(0, window sum), the lesson's Conv2D activation taken into the convolution, was told only "expected -66,
    got 0"; it is now told that ReLU is the layer's activation, not part of the convolution (round 28, r286 F4)."""
    verdict = judge(registry.get_exercise("conv2d_valid"), _r28_conv_with_relu)
    assert verdict.kind == WRONG and "ReLU is the activation" in verdict.text, verdict.text


def _r28_cnn_with_keep_probability(filters1=16, filters2=32, n_classes=10, dropout=0.3):
    import keras
    from keras import layers

    return keras.Sequential([keras.Input(shape=(28, 28, 1)), layers.Conv2D(filters1, 3, activation="relu"),
                             layers.MaxPooling2D(2), layers.Conv2D(filters2, 3, activation="relu"),
                             layers.MaxPooling2D(2), layers.Flatten(), layers.Dropout(1 - dropout),
                             layers.Dense(n_classes, activation="softmax")])


def test_lesson_05b_build_cnn_names_a_keep_probability_given_as_the_rate():
    """Dropout(1 - dropout), TensorFlow 1's keep_prob given as Keras' rate, was told only "layer 6 (Dropout) has rate
    '0.7', expected '0.3'"; it is now told that the rate is the fraction set to zero (round 28, r286 F5)."""
    verdict = judge(registry.get_exercise("build_cnn"), _r28_cnn_with_keep_probability)
    assert verdict.kind == WRONG and "fraction of values set to zero" in verdict.text, verdict.text


def _r28_conv_by_tensorflow_op_executed_by_name(image, kernel):
    import tensorflow as tf
    from tensorflow.python.eager import context, execute

    image, kernel = _r27_conv_inputs(image, kernel)
    x, w = tf.constant(image[None, :, :, None]), tf.constant(kernel[:, :, None, None])
    attrs = ("T", x.dtype.as_datatype_enum, "strides", [1, 1, 1, 1], "use_cudnn_on_gpu", True, "padding", "VALID",
             "explicit_paddings", [], "data_format", "NHWC", "dilations", [1, 1, 1, 1])
    return execute.execute(b"Conv2D", 1, inputs=[x, w], attrs=attrs, ctx=context.context())[0].numpy()[0, :, :, 0]


def test_lesson_05a_conv2d_valid_refuses_tensorflows_conv2d_op_executed_by_name():
    """TensorFlow's Conv2D op run by name through its eager executor (tensorflow.python.eager.execute.execute, what
    gen_nn_ops.conv2d falls back to) passed: the topic watched TensorFlow's Python functions only (contrived; round
    28, r286 E1). conv2d_valid is written with numpy alone now, and every call into another library is refused."""
    pytest.importorskip("tensorflow")
    _r28_conv_by_tensorflow_op_executed_by_name(np.ones((3, 3)), np.ones((2, 2)))   # TensorFlow's first import
    verdict = judge(registry.get_exercise("conv2d_valid"), _r28_conv_by_tensorflow_op_executed_by_name)
    assert verdict.kind == WRONG and "from the library tensorflow" in verdict.text, verdict.text


def _r28_conv_by_the_checks_windows(image, kernel):
    from course_utils.exercises import keras_cnn

    image, kernel = _r27_conv_inputs(image, kernel)
    (kh, kw), (h, w) = kernel.shape, image.shape
    return keras_cnn._windows(image, kernel, h - kh + 1, w - kw + 1)


def _r28_conv_with_the_checks_argument_checks(image, kernel):
    from course_utils.exercises import keras_cnn

    image, kernel = keras_cnn._checked_2d(image, kernel)
    (kh, kw), (h, w) = kernel.shape, image.shape
    out = np.zeros((h - kh + 1, w - kw + 1))
    for i, j in np.ndindex(out.shape):
        out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
    return out


def _r28_count_by_the_checks_param_count(filters1, filters2, n_classes=10, size=28, kernel=3):
    from course_utils.exercises import keras_cnn

    for value in (filters1, filters2, n_classes, size, kernel):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"expected an int, got {value!r}")
        if value < 1:
            raise ValueError(f"expected at least 1, got {value}")
    if ((size - kernel + 1) // 2 - kernel + 1) // 2 < 1:
        raise ValueError("the image is too small")
    return keras_cnn._param_count(filters1, filters2, n_classes, size, kernel)


def _r28_count_with_the_checks_argument_checks(filters1, filters2, n_classes=10, size=28, kernel=3):
    from course_utils.exercises import keras_cnn

    keras_cnn._checked_counts(filters1, filters2, n_classes, size, kernel)
    side = ((size - kernel + 1) // 2 - kernel + 1) // 2
    if side < 1:
        raise ValueError("the image is too small")
    return (kernel * kernel + 1) * filters1 + (kernel * kernel * filters1 + 1) * filters2 + \
        (side * side * filters2 + 1) * n_classes


def _r28_accuracy_with_the_checks_argument_checks(y_true, probabilities):
    from course_utils.exercises import keras_cnn

    y_true, probabilities = keras_cnn._checked_probs(y_true, probabilities)
    return float(np.mean(np.argmax(probabilities, axis=1) == y_true))


def _r28_predict_with_the_checks_one_image(model, image):
    from course_utils.exercises import keras_cnn

    return int(np.argmax(model.predict(keras_cnn._one_image(image) / 255.0, verbose=0)[0]))


@pytest.mark.parametrize("name, answer", [
    ("predict_one_image", _r28_predict_with_the_checks_one_image),
    ("conv2d_valid", _r28_conv_by_the_checks_windows), ("conv2d_valid", _r28_conv_with_the_checks_argument_checks),
    ("cnn_param_count", _r28_count_by_the_checks_param_count),
    ("cnn_param_count", _r28_count_with_the_checks_argument_checks),
    ("accuracy_from_probs", _r28_accuracy_with_the_checks_argument_checks)],
    ids=["predict_one_image with keras_cnn._one_image (05c)", "conv2d_valid by keras_cnn._windows",
         "conv2d_valid with keras_cnn._checked_2d",
         "cnn_param_count by keras_cnn._param_count", "cnn_param_count with keras_cnn._checked_counts",
         "accuracy_from_probs with keras_cnn._checked_probs"])
def test_lesson_05_refuses_the_checks_own_helpers(name, answer):
    """The check module's helpers behind its catalogued mistakes passed when an answer called them: _windows with the
    valid map's rows and columns is the whole convolution, _param_count with its defaults the whole count (the answer
    adding the image-size check), and _checked_2d, _checked_counts and _checked_probs do the exercise's argument
    checks; each notes a call from an answer now, as the catalogue's factories do (round 28, r286 F7)."""
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and "the course's own version of this exercise" in verdict.text, verdict.text


# round 29 (r296): lesson 05a, conv2d_valid's numpy-only rule
_R296_TORCH_ANSWER = '''
def conv2d_valid(image, kernel):
    import torch

    image, kernel = _r27_conv_inputs(image, kernel)
    (kh, kw), (h, w) = kernel.shape, image.shape
    windows = torch.nn.functional.unfold(torch.from_numpy(image)[None, None], kernel.shape)[0].T.numpy()
    return windows.reshape(h - kh + 1, w - kw + 1, kh * kw) @ kernel.ravel()
'''
_R296_NUMPY_ANSWER = _R296_TORCH_ANSWER.replace("    import torch\n\n", "").replace(
    "torch.nn.functional.unfold(torch.from_numpy(image)[None, None], kernel.shape)[0].T.numpy()",
    "_r28_shifted_slices(image, kernel)")


def _r296_compiled_from_a_string(filename):
    """The torch answer typed where its code gets a file name in angle brackets: a plain Python prompt ("<stdin>"),
    IPython's terminal ("<ipython-input-...>") or exec of a string ("<string>")."""
    namespace = {"np": np, "_r27_conv_inputs": _r27_conv_inputs}
    exec(compile(_R296_TORCH_ANSWER, filename, "exec"), namespace)
    return namespace["conv2d_valid"]


@pytest.mark.parametrize("filename", ["<stdin>", "<ipython-input-3-0123456789ab>", "<string>"])
def test_r296_conv2d_valid_typed_at_a_prompt_may_not_call_torch(filename):
    """Passed 32 of 32 (shortcut): the numpy-only rule took code whose file name starts with "<" for code a library
    made (a dataclass' __init__) and went on up the stack to the check's own frames, so an answer typed into a plain
    Python prompt, IPython's terminal or exec'd from a string was never the answer's own code, and its calls into
    torch (or any library) were not refused. Such code is the answer's now when it runs in the answer's globals or
    the notebook's (round 29, r296 F1)."""
    pytest.importorskip("torch")
    answer = _r296_compiled_from_a_string(filename)
    verdict = judge(registry.get_exercise("conv2d_valid"), answer)
    assert verdict.kind == WRONG and "from the library torch" in verdict.text, verdict.text
    _passes("conv2d_valid", _r296_compiled_from_a_string_numpy(filename))


def test_r296_conv2d_valid_from_a_string_wrapped_in_a_partial_may_not_call_torch():
    """Passed 32 of 32 after the fix above: functools.partial of the same answer has no __globals__, so its code was
    again taken for a library's; the rule now looks through partials and bound methods (round 29, r296 F2)."""
    pytest.importorskip("torch")
    answer = functools.partial(_r296_compiled_from_a_string("<string>"))
    verdict = judge(registry.get_exercise("conv2d_valid"), answer)
    assert verdict.kind == WRONG and "from the library torch" in verdict.text, verdict.text


def _r296_compiled_from_a_string_numpy(filename):
    """The right numpy answer, compiled the same way: still passes."""
    namespace = {"np": np, "_r27_conv_inputs": _r27_conv_inputs, "_r28_shifted_slices": _r28_shifted_slices}
    exec(compile(_R296_NUMPY_ANSWER, filename, "exec"), namespace)
    return namespace["conv2d_valid"]


def _r296_conv_in_a_raw_thread(image, kernel):
    """The torch answer run in a thread started by _thread.start_new_thread, which threading.setprofile never sees."""
    import _thread

    image, kernel = _r27_conv_inputs(image, kernel)
    done, box = _thread.allocate_lock(), []
    done.acquire()

    def work():
        try:
            (kh, kw), (h, w) = kernel.shape, image.shape
            box.append(_r28_torch_unfold(image, kernel).reshape(h - kh + 1, w - kw + 1, kh * kw) @ kernel.ravel())
        finally:
            done.release()
    _thread.start_new_thread(work, ())
    done.acquire()
    return box[0]


_R296_POOLS = {}


def _r296_conv_in_a_pool_made_before(kind):
    """The torch answer (or, for a process, scipy's correlate2d) run by a pool whose worker started before the check."""
    def conv2d_valid(image, kernel):
        image, kernel = _r27_conv_inputs(image, kernel)
        return _R296_POOLS[kind].submit(_r296_library_conv if kind == "process" else _r296_torch_conv,
                                        image, kernel).result()
    return conv2d_valid


def _r296_torch_conv(image, kernel):
    (kh, kw), (h, w) = kernel.shape, image.shape
    return _r28_torch_unfold(image, kernel).reshape(h - kh + 1, w - kw + 1, kh * kw) @ kernel.ravel()


def _r296_library_conv(image, kernel):
    import scipy.signal

    return scipy.signal.correlate2d(image, kernel, mode="valid")


@pytest.mark.parametrize("how", ["_thread.start_new_thread", pytest.param(
    "ThreadPoolExecutor made before", marks=pytest.mark.xfail(strict=True, reason=(
        "engine note (r296 E1): the numpy-only rule watches the answer's thread and the threads that threading starts "
        "while the check runs (threading.setprofile); a pool's worker started before the check runs without the "
        "profile, and its calls into torch are not seen")))])   # a raw thread is refused since round 29
def test_r296_conv2d_valid_in_a_thread_the_profile_does_not_see(how):
    pytest.importorskip("torch")
    import concurrent.futures

    if how == "_thread.start_new_thread":
        answer = _r296_conv_in_a_raw_thread
    else:
        _R296_POOLS["thread"] = concurrent.futures.ThreadPoolExecutor(1)
        _R296_POOLS["thread"].submit(int, 1).result()   # its worker starts now
        answer = _r296_conv_in_a_pool_made_before("thread")
    try:
        verdict = judge(registry.get_exercise("conv2d_valid"), answer)
    finally:
        if "thread" in _R296_POOLS:
            _R296_POOLS.pop("thread").shutdown()
    assert verdict.kind == WRONG, verdict.text


@pytest.mark.xfail(strict=True, reason=(
    "engine note (r296 E2): a check refuses a process started while it runs (guard's audit hook), not a process "
    "pool's worker started before it: the worker's calls into scipy run in another process, which no profile sees"))
def test_r296_conv2d_valid_in_a_process_pool_made_before():
    pytest.importorskip("scipy")
    import concurrent.futures
    import multiprocessing

    _R296_POOLS["process"] = concurrent.futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
    try:
        _R296_POOLS["process"].submit(int, 1).result()   # its worker starts now
        verdict = judge(registry.get_exercise("conv2d_valid"), _r296_conv_in_a_pool_made_before("process"))
    finally:
        _R296_POOLS.pop("process").shutdown()
    assert verdict.kind == WRONG, verdict.text


# round 30 (r306): lesson 05a, conv_output_size's n below 1 and numpy integers
def _r306_size(n_rejected, types=(int, np.integer), convert=True):
    """conv_output_size with the exercise's checks, n refused where ``n_rejected(n)``, the types in ``types`` taken
    as ints, converted to Python ints before the arithmetic or not."""
    def conv_output_size(n, kernel, padding=0, stride=1):
        for value in (n, kernel, padding, stride):
            if isinstance(value, bool) or not isinstance(value, types):
                raise TypeError(f"expected an int, got {value!r}")
        if n_rejected(n) or kernel < 1 or padding < 0 or stride < 1:
            raise ValueError("a size below its range")
        if convert:
            n, kernel, padding, stride = int(n), int(kernel), int(padding), int(stride)
        if kernel > n + 2 * padding:
            raise ValueError("the kernel is wider than the padded image")
        return (n + 2 * padding - kernel) // stride + 1
    return conv_output_size


@pytest.mark.parametrize("n_rejected", [lambda n: n == 0, lambda n: not n], ids=["n == 0", "not n"])
def test_r306_conv_output_size_tries_a_negative_n_that_padding_makes_fit(n_rejected):
    """Passed 51 of 51 (contrived): the only n below 1 the check tried was 0, so an answer that refused n == 0 (or a
    falsy n) alone passed, and gave conv_output_size(-2, 3, 4) == 4 positions for an image of -2 pixels: the padded
    width -2 + 8 = 6 fits the kernel. A negative n with a wide padding is tried now (round 30, r306 F2)."""
    verdict = judge(registry.get_exercise("conv_output_size"), _r306_size(n_rejected))
    assert verdict.kind == WRONG and verdict.mistake == "n and kernel not checked", verdict.text
    _passes("conv_output_size", _r306_size(lambda n: n < 1))
    _passes("conv_output_size", _r306_size(lambda n: n <= 0))


def test_r306_conv_output_size_tries_small_numpy_integers():
    """Passed 51 of 51 (contrived): no case passed a numpy integer, so an answer that took np.integer values as ints
    but did its arithmetic on them as they came passed; with np.uint8 sizes, 200 + 2 * 100 wraps round to 144 in 8
    bits and the count comes out 140 instead of 396. The solution converts them with int(), the reference too; the
    check now tries np.uint8 sizes, where the right count and a TypeError (a numpy integer is not a Python int, as
    the text may be read) both pass (round 30, r306 F1)."""
    verdict = judge(registry.get_exercise("conv_output_size"), _r306_size(lambda n: n < 1, convert=False))
    assert verdict.kind == WRONG and verdict.mistake == "numpy integers not converted", verdict.text
    assert "np.uint8" in verdict.text, verdict.text
    _passes("conv_output_size", _r306_size(lambda n: n < 1))   # converted
    _passes("conv_output_size", _r306_size(lambda n: n < 1, types=int, convert=False))   # numpy integers refused



def _r306_size_checked(n, kernel, padding, stride):
    for value, low in ((n, 1), (kernel, 1), (padding, 0), (stride, 1)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"expected an int, got {value!r}")
        if value < low:
            raise ValueError(f"expected at least {low}, got {value}")
    if kernel > n + 2 * padding:
        raise ValueError("the kernel is wider than the padded image")


def _r306_size_by_tensorflow(n, kernel, padding=0, stride=1):
    from tensorflow.python.keras.utils import conv_utils

    _r306_size_checked(n, kernel, padding, stride)
    return conv_utils.conv_output_length(n + 2 * padding, kernel, "valid", stride)


def _r306_size_by_torch_on_meta_tensors(n, kernel, padding=0, stride=1):
    import torch

    _r306_size_checked(n, kernel, padding, stride)
    image = torch.empty(1, 1, n, device="meta")   # a shape without memory: 9 * 2**50 pixels cost nothing
    return torch.nn.functional.conv1d(image, torch.empty(1, 1, kernel, device="meta"), stride=stride,
                                      padding=padding).shape[-1]


def _r306_size_by_torch_pooling_on_meta_tensors(n, kernel, padding=0, stride=1):
    import torch

    _r306_size_checked(n, kernel, padding, stride)
    return torch.nn.functional.avg_pool1d(torch.empty(1, 1, n + 2 * padding, device="meta"), kernel,
                                          stride=stride).shape[-1]


@pytest.mark.parametrize("answer, library", [(_r306_size_by_tensorflow, "tensorflow"),
                                             (_r306_size_by_torch_on_meta_tensors, "torch"),
                                             (_r306_size_by_torch_pooling_on_meta_tensors, "torch")],
                         ids=["tensorflow's conv_output_length", "torch's conv1d on meta tensors",
                              "torch's avg_pool1d on meta tensors"])
def test_r306_conv_output_size_refuses_a_library_s_shape_arithmetic(answer, library):
    """Passed 53 of 53 (shortcut): TensorFlow's conv_utils.conv_output_length counts the positions in whole numbers,
    and torch's convolution or pooling on meta tensors (shapes without memory) works out the output's shape exactly,
    so an answer that added the argument checks passed and the cell after it compared Keras with another framework's
    count. conv_output_size is written with Python's integer arithmetic now, as conv2d_valid is with numpy: a call
    into any library but numpy is refused (round 30, r306 F3)."""
    pytest.importorskip(library)
    verdict = judge(registry.get_exercise("conv_output_size"), answer)
    assert verdict.kind == WRONG and f"from the library {library}" in verdict.text, verdict.text
    _passes("conv_output_size", _r306_size(lambda n: n < 1))


def _r306_conv_by_torch_through(trampoline):
    """conv2d_valid whose windows torch's unfold cuts out (not a convolution by name), every call into torch made
    through ``trampoline(function, *args)``; the products and sums are numpy's."""
    import operator

    import torch

    def conv2d_valid(image, kernel):
        image, kernel = _r27_conv_inputs(image, kernel)
        (kh, kw), (h, w) = kernel.shape, image.shape
        batch = trampoline(torch.from_numpy, np.ascontiguousarray(image).reshape(1, 1, h, w))
        columns = trampoline(operator.methodcaller("numpy"), trampoline(torch.nn.functional.unfold, batch, (kh, kw)))
        return columns[0].T.reshape(h - kh + 1, w - kw + 1, kh * kw) @ kernel.ravel()
    return conv2d_valid


_R306_TRAMPOLINE = "def trampoline(function, *args):\n    return function(*args)\n"


def _r306_trampoline_compiled_as_the_import_system():
    """The answer's own two-line helper, compiled under the import system's file name in a namespace of its own."""
    namespace = {}
    exec(compile(_R306_TRAMPOLINE, "<frozen importlib._bootstrap>", "exec"), namespace)
    return namespace["trampoline"]


@pytest.mark.parametrize("how", ["importlib._bootstrap._call_with_frames_removed",
                                 "a helper compiled as '<frozen importlib._bootstrap>'"])
def test_r306_conv2d_valid_refuses_torch_called_through_the_import_system(how):
    """Passed (round 30, r306 E1): torch's from_numpy, unfold and Tensor.numpy, each called through the import
    system's _call_with_frames_removed (a function of the standard library that calls its first argument), passed
    conv2d_valid's 32 cases; called directly they are refused ('from the library torch'). The numpy-only rule's walk
    up the stack ended at any '<frozen importlib' frame; it ends at an import's _find_and_load now."""
    pytest.importorskip("torch")
    import importlib._bootstrap

    trampoline = (importlib._bootstrap._call_with_frames_removed if how.startswith("importlib")
                  else _r306_trampoline_compiled_as_the_import_system())
    verdict = judge(registry.get_exercise("conv2d_valid"), _r306_conv_by_torch_through(trampoline))
    assert verdict.kind == WRONG, verdict.text


def test_r306_conv2d_valid_refuses_torch_called_through_an_engine_function():
    """Passed (round 30, r306 E2): the same torch calls made through base.refusing_made_calls passed conv2d_valid's
    32 cases: the walk ended at the engine's frames; it goes on past them now."""
    pytest.importorskip("torch")
    from course_utils.exercises import base

    def trampoline(function, *args):
        return base.refusing_made_calls(functools.partial(function, *args))
    verdict = judge(registry.get_exercise("conv2d_valid"), _r306_conv_by_torch_through(trampoline))
    assert verdict.kind == WRONG, verdict.text


def test_r306_conv2d_valid_refuses_torch_called_through_a_helper_of_the_answer():
    """The same torch calls through the answer's own helper (not disguised) are refused: the two engine notes above
    are about where the walk up the stack ends, not about the calls (round 30, r306)."""
    pytest.importorskip("torch")
    verdict = judge(registry.get_exercise("conv2d_valid"), _r306_conv_by_torch_through(lambda f, *args: f(*args)))
    assert verdict.kind == WRONG and "from the library torch" in verdict.text, verdict.text


def _r316_conv_with_floats_made_by_times_one(image, kernel):
    """The lesson's checks and two loops; the inputs made floats with * 1.0, which leaves a float32 image float32."""
    image, kernel = np.asarray(image) * 1.0, np.asarray(kernel) * 1.0
    if image.ndim != 2 or kernel.ndim != 2:
        raise ValueError("image and kernel must be 2-D")
    kh, kw = kernel.shape
    if kh > image.shape[0] or kw > image.shape[1]:
        raise ValueError("the kernel is larger than the image")
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for i, j in np.ndindex(out.shape):
        out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
    return out


def _r316_conv_converting_integer_inputs_only(image, kernel):
    """Integer inputs (uint8 pixels) converted to float64, float ones kept as they come, the map in their dtype."""
    image, kernel = (np.asarray(a) for a in (image, kernel))
    image, kernel = (a if a.dtype.kind == "f" else a.astype(float) for a in (image, kernel))
    if image.ndim != 2 or kernel.ndim != 2:
        raise ValueError("image and kernel must be 2-D")
    kh, kw = kernel.shape
    if kh > image.shape[0] or kw > image.shape[1]:
        raise ValueError("the kernel is larger than the image")
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1), dtype=np.result_type(image, kernel))
    for i, j in np.ndindex(out.shape):
        out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
    return out


@pytest.mark.parametrize("answer", [_r316_conv_with_floats_made_by_times_one,
                                    _r316_conv_converting_integer_inputs_only])
def test_r316_conv2d_valid_refuses_float32_sums_of_float32_inputs(answer):
    """Passed (round 31, r316 F1): no case gave float32 inputs, which the notebook gives conv2d_valid (x_test's digit,
    Keras' weights in the channels cell), so an answer that summed float32 products passed all 32 cases, against the
    text's "Convert both to float64 first". A float32 image and kernel are tried now, and the answer is told to
    compute in float64 (not to make a float64 output a float array)."""
    verdict = judge(registry.get_exercise("conv2d_valid"), answer)
    assert verdict.kind == WRONG and "compute in float64" in verdict.text and "make the output" not in verdict.text, (
        verdict.text)


# round 32 (r326): lesson 05a, conv2d_valid's numpy-only rule and TensorFlow's op runner looked up while the check runs
_R326_CONV2D_ATTRS = ("strides", [1, 1, 1, 1], "use_cudnn_on_gpu", True, "padding", "VALID", "explicit_paddings", [],
                      "data_format", "NHWC", "dilations", [1, 1, 1, 1])


def _r326_conv_by_tensorflow_looked_up_in_sys_modules(how):
    """conv2d_valid run by TensorFlow's Conv2D op: its fast-path op runner (a pybind11 function) and the eager context
    read from sys.modules while the answer runs (attribute reads, no call: nothing held before the check), then called
    by C, through a functools.partial made inside the answer or itertools.starmap."""
    import itertools
    import sys

    def conv2d_valid(image, kernel):
        image, kernel = _r27_conv_inputs(image, kernel)
        run = sys.modules["tensorflow.python.pywrap_tfe"].TFE_Py_FastPathExecute
        arguments = (sys.modules["tensorflow.python.eager.context"]._context, "Conv2D", None,
                     image[None, :, :, None], kernel[:, :, None, None], *_R326_CONV2D_ATTRS)
        if how == "functools.partial":
            result = functools.partial(run, *arguments)()
        elif how == "itertools.starmap":
            result = next(itertools.starmap(run, [arguments]))
        else:
            result = run(*arguments)
        return np.array(result)[0, :, :, 0]
    return conv2d_valid


@pytest.mark.parametrize("how", ["directly", "functools.partial", "itertools.starmap"])
def test_r326_conv2d_valid_refuses_tensorflow_s_op_runner_looked_up_while_checked(how):
    """Passed before round 32's engine changes conv2d_valid's 33 cases (round 32, r326 E1): TensorFlow is loaded in the notebook (Keras' backend) and
    its eager context made by any earlier Keras cell; the same function called directly by the answer is refused
    ('TFE_Py_FastPathExecute, from the library tensorflow'), and r292 E3's partial made before the check is refused
    since round 31 (held by the answer), but a lookup inside the answer holds nothing before it runs."""
    tf = pytest.importorskip("tensorflow")
    answer = _r326_conv_by_tensorflow_looked_up_in_sys_modules(how)
    tf.constant(1.0) + 1   # the eager context, as after the notebook's first Keras cell
    answer(np.ones((4, 4)), np.ones((2, 2)))   # as in an earlier cell: TensorFlow's first Conv2D imports more of it
    verdict = judge(registry.get_exercise("conv2d_valid"), answer)
    assert verdict.kind == WRONG, verdict.text


def test_r326_conv2d_valid_s_chinese_messages_call_the_notebook_by_one_term():
    """The two Chinese messages that ask conv2d_valid for a numpy array called the notebook 'notebook' in the middle of
    Chinese, where the lesson and the other messages of 05a say 笔记本 (round 32, r326 F3)."""
    from course_utils import i18n

    zh = i18n.catalogue("zh")
    messages = [mistake.message for mistake in registry.get_exercise("conv2d_valid").mistakes
                if mistake.name == "a list returned"]
    messages += [text for text in zh if text.startswith("return the feature map as a numpy array")]
    assert len(messages) == 2, messages
    for english in messages:
        assert "笔记本" in zh[english] and "notebook" not in zh[english], zh[english]


def test_r326_conv2d_valid_s_hint_says_taller_or_wider_as_the_exercise_text():
    """The hint asked for a ValueError for 'a kernel larger than the image', which a learner may read as kernel.size >
    image.size (a 2x3 kernel is not larger than a 5x2 image, but it is wider); the exercise's text and the check say
    taller or wider (round 32, r326 F4)."""
    from course_utils import i18n

    hint = registry.get_exercise("conv2d_valid").hint
    assert "a kernel taller or wider than the image" in hint and "larger" not in hint, hint
    assert "卷积核比图像高或比图像宽" in i18n.catalogue("zh")[hint]


# round 33 (r336): lesson 05a, conv2d_valid's numpy-only rule and TensorFlow's op runner found through the class registry
def _r336_conv_by_tensorflow_found_through_object_s_subclasses(how):
    """conv2d_valid run by TensorFlow's Conv2D op, its fast-path op runner (a pybind11 function) and eager context
    found while the answer runs without sys.modules or gc: object.__subclasses__() lists every loaded class, among
    them TensorFlow's eager Context, whose methods' __globals__ are its module's namespace (pywrap_tfe, _context).
    Reading them is no call; the runner is then called by C, through a functools.partial made inside the answer."""
    def conv2d_valid(image, kernel):
        image, kernel = _r27_conv_inputs(image, kernel)
        space = None
        for kind in object.__subclasses__():
            if getattr(kind, "__module__", "") == "tensorflow.python.eager.context" and kind.__name__ == "Context":
                space = next(value.__globals__ for value in vars(kind).values() if hasattr(value, "__globals__"))
        run = space["pywrap_tfe"].TFE_Py_FastPathExecute
        arguments = (space["_context"], "Conv2D", None, image[None, :, :, None], kernel[:, :, None, None],
                     *_R326_CONV2D_ATTRS)
        result = functools.partial(run, *arguments)() if how == "functools.partial" else run(*arguments)
        return np.array(result)[0, :, :, 0]
    return conv2d_valid


@pytest.mark.parametrize("how", ["directly", "functools.partial"])
def test_r336_conv2d_valid_refuses_tensorflow_found_through_object_s_subclasses(how):
    """Passes conv2d_valid's 33 cases with TensorFlow's Conv2D (round 33, r336 E1) when TensorFlow is loaded (Keras'
    backend in 05a) and has run a Conv2D once (any earlier Keras conv cell): the round-32 rule that refuses an answer
    naming sys.modules or gc's object lists does not cover the class registry, object.__subclasses__(). Called
    directly, the runner is refused by name."""
    tf = pytest.importorskip("tensorflow")
    answer = _r336_conv_by_tensorflow_found_through_object_s_subclasses(how)
    tf.constant(1.0) + 1   # the eager context, as after the notebook's first Keras cell
    answer(np.ones((4, 4)), np.ones((2, 2)))   # as in an earlier cell: TensorFlow's first Conv2D imports more of it
    verdict = judge(registry.get_exercise("conv2d_valid"), answer)
    assert verdict.kind == WRONG, verdict.text


def _r336_size_in_64_bit_integers(n, kernel, padding=0, stride=1):
    """The lesson's checks, then the sizes made numpy int64 (wide enough for any image, and no uint8 wrap-round)."""
    for value in (n, kernel, padding, stride):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"expected an int, got {value!r}")
    n, kernel, padding, stride = (np.int64(value) for value in (n, kernel, padding, stride))
    if n < 1 or kernel < 1 or padding < 0 or stride < 1:
        raise ValueError("a size below its range")
    if kernel > n + 2 * padding:
        raise ValueError("the kernel is wider than the padded image")
    return int((n + 2 * padding - kernel) // stride + 1)


def test_r336_conv_output_size_tries_a_padded_width_beyond_64_bits():
    """Passed all 53 cases (round 33, r336 F1): every padded width fitted into 64 bits (the largest, 9 * 2**50), so an
    answer that made its sizes numpy int64 counted right; beyond 2**63 - 1, 2 * padding wraps round (a RuntimeWarning
    at most) and it counts 3 positions where a Python int gives 11. It is told to use Python ints, in English and
    Chinese."""
    from course_utils import i18n

    with np.errstate(over="ignore"):
        verdict = judge(registry.get_exercise("conv_output_size"), _r336_size_in_64_bit_integers)
    assert verdict.kind == WRONG and "expected 11, got 3" in verdict.text, verdict.text
    assert "a numpy int64 holds whole numbers only up to 2**63 - 1" in verdict.text, verdict.text
    message = next(m.message for m in registry.get_exercise("conv_output_size").mistakes
                   if m.name == "sizes in 64-bit numpy integers")
    assert "int64" in i18n.catalogue("zh")[message]


_R336_NOTEBOOK_CELL = '''
def conv2d_valid(image, kernel):
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    if image.ndim != 2 or kernel.ndim != 2:
        raise ValueError("image and kernel must be 2-D")
    if kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("the kernel is taller or wider than the image")
    tf = globals()["keras"].src.backend.tensorflow.core.tf
    space = vars(tf.constant.__globals__["constant_op"].context)
    run = space["pywrap_tfe"].TFE_Py_FastPathExecute
    arguments = (space["_context"], "Conv2D", None, image[None, :, :, None], kernel[:, :, None, None], *ATTRS)
    result = functools.partial(run, *arguments)() if HOW == "functools.partial" else run(*arguments)
    return np.array(result)[0, :, :, 0]
'''


@pytest.mark.parametrize("how", ["directly", "functools.partial"])
def test_r336_conv2d_valid_refuses_keras_read_from_the_notebook_s_globals_by_a_string(how):
    """Passes conv2d_valid's 33 cases with TensorFlow's Conv2D (round 33, r336 E2): the notebook imports keras (cell
    [4]); an answer that names `keras` is refused before it runs (round 31), but one that reads globals()["keras"]
    holds no library, names neither sys.modules nor gc, and reaches the op runner through attributes and a function's
    __globals__ (no call). Called directly, the runner is refused by name."""
    keras = pytest.importorskip("keras")
    namespace = {"np": np, "functools": functools, "keras": keras, "ATTRS": _R326_CONV2D_ATTRS, "HOW": how}
    exec(compile(_R336_NOTEBOOK_CELL, "<ipython-input-34-r336>", "exec"), namespace)   # a notebook cell
    answer = namespace["conv2d_valid"]
    keras.layers.Conv2D(1, 3)(np.ones((1, 5, 5, 1), "float32"))   # an earlier Keras conv cell
    answer(np.ones((4, 4)), np.ones((2, 2)))
    verdict = judge(registry.get_exercise("conv2d_valid"), answer)
    assert verdict.kind == WRONG, verdict.text


def _r336_conv(image, kernel, window=np.sum, scale_integers=False):
    """The lesson's answer, with each window reduced by ``window`` and integer pixels divided by 255 if asked."""
    image = np.asarray(image)
    if scale_integers and image.dtype.kind in "ui":
        image = image / 255
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    if image.ndim != 2 or kernel.ndim != 2:
        raise ValueError("image and kernel must be 2-D")
    kh, kw = kernel.shape
    if kh > image.shape[0] or kw > image.shape[1]:
        raise ValueError("the kernel is taller or wider than the image")
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for i, j in np.ndindex(out.shape):
        out[i, j] = window(image[i:i + kh, j:j + kw] * kernel)
    return out


@pytest.mark.parametrize("answer, named", [
    (functools.partial(_r336_conv, window=np.mean), "do not average them (np.mean)"),
    (functools.partial(_r336_conv, scale_integers=True), "convert the pixels to floats without scaling them"),
], ids=["np.mean of each window", "uint8 pixels divided by 255"])
def test_r336_conv2d_valid_names_a_window_mean_and_scaled_pixels(answer, named):
    """Both were refused with "wrong value" alone (round 33, r336 F2): a mean of each window's products (np.mean where
    the formula sums), and raw uint8 pixels divided by 255 as the notebook's section 4 scales its images."""
    def conv2d_valid(image, kernel):
        return answer(image, kernel)

    verdict = judge(registry.get_exercise("conv2d_valid"), conv2d_valid)
    assert verdict.kind == WRONG and named in verdict.text, verdict.text


# round 34 (r346): lesson 05a, conv2d_valid's numpy-only rule and the notebook's namespace read from a caller's frame
_R346_NOTEBOOK_CELL = '''
def conv2d_valid(image, kernel):
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    if image.ndim != 2 or kernel.ndim != 2:
        raise ValueError("image and kernel must be 2-D")
    if kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("the kernel is taller or wider than the image")
    frame = sys._getframe()
    while "keras" not in frame.f_locals:   # up to the cell that called check(...): its locals are the notebook's
        frame = frame.f_back
    tf = frame.f_locals["keras"].src.backend.tensorflow.core.tf
    space = vars(inspect.getmodule(tf.constant).context)
    run = space["pywrap_tfe"].TFE_Py_FastPathExecute
    arguments = (space["_context"], "Conv2D", None, image[None, :, :, None], kernel[:, :, None, None], *ATTRS)
    return np.array(functools.partial(run, *arguments)() if HOW == "functools.partial" else run(*arguments))[0, :, :, 0]

conv2d_valid(np.ones((4, 4)), np.ones((2, 2)))   # TensorFlow's first Conv2D imports more of it
verdict = judge(registry.get_exercise("conv2d_valid"), conv2d_valid)   # called at the cell's top level, as check is
'''


@pytest.mark.parametrize("how", ["directly", "functools.partial"])
def test_r346_conv2d_valid_refuses_keras_read_from_a_caller_frame_s_locals(how):
    """Passes conv2d_valid's 33 cases with TensorFlow's Conv2D (round 34, r346 E1): round 33 refuses an answer that
    names globals(), __globals__, f_globals or user_ns, but a frame's f_locals at the notebook's top level is the same
    namespace. Called directly, the runner is refused by name."""
    keras = pytest.importorskip("keras")
    import inspect
    import sys

    namespace = {"np": np, "functools": functools, "inspect": inspect, "sys": sys, "keras": keras, "judge": judge,
                 "registry": registry, "ATTRS": _R326_CONV2D_ATTRS, "HOW": how}
    keras.layers.Conv2D(1, 3)(np.ones((1, 5, 5, 1), "float32"))   # an earlier Keras conv cell
    exec(compile(_R346_NOTEBOOK_CELL, "<ipython-input-34-r346>", "exec"), namespace)   # a notebook cell
    verdict = namespace["verdict"]
    assert verdict.kind == WRONG, verdict.text


def _r346_conv_by_tensorflow_named_to_a_standard_library_function(how):
    """conv2d_valid run by TensorFlow's Conv2D op, its op runner and eager context found by a module name given as a
    constant string to a function of the standard library that reads sys.modules itself: inspect.getmodule of an
    object whose __module__ names the module, or typing.get_type_hints of a class made with that __module__ and string
    annotations (evaluated in that module's namespace). No import runs (the modules are loaded), the answer's code
    names neither sys.modules nor a namespace, and the runner is called by C, through a functools.partial."""
    import inspect
    import types
    import typing

    def conv2d_valid(image, kernel):
        image, kernel = _r27_conv_inputs(image, kernel)
        if how == "inspect.getmodule":
            run = inspect.getmodule(types.SimpleNamespace(__module__="tensorflow.python.pywrap_tfe"))
            run = run.TFE_Py_FastPathExecute
            context = inspect.getmodule(types.SimpleNamespace(__module__="tensorflow.python.eager.context"))._context
        else:
            names = {"run": "pywrap_tfe.TFE_Py_FastPathExecute", "context": "_context"}   # read in the module
            hints = typing.get_type_hints(type("Hints", (), {"__module__": "tensorflow.python.eager.context",
                                                             "__annotations__": names}))
            run, context = hints["run"], hints["context"]
        arguments = (context, "Conv2D", None, image[None, :, :, None], kernel[:, :, None, None], *_R326_CONV2D_ATTRS)
        return np.array(functools.partial(run, *arguments)())[0, :, :, 0]
    return conv2d_valid


@pytest.mark.parametrize("how", ["inspect.getmodule", "typing.get_type_hints"])
def test_r346_conv2d_valid_refuses_tensorflow_named_to_a_standard_library_function(how):
    """Passes conv2d_valid's 33 cases with TensorFlow's Conv2D (round 34, r346 E2), needing only that TensorFlow is
    loaded and has run one Conv2D (any earlier Keras conv cell of 05a): no frame, no namespace, no sys.modules in the
    answer's code. Refused since round 34 by the engine's watch of TensorFlow's op runners (an op callback)."""
    keras = pytest.importorskip("keras")
    answer = _r346_conv_by_tensorflow_named_to_a_standard_library_function(how)
    keras.layers.Conv2D(1, 3)(np.ones((1, 5, 5, 1), "float32"))   # an earlier Keras conv cell
    answer(np.ones((4, 4)), np.ones((2, 2)))   # as in an earlier cell: TensorFlow's first Conv2D imports more of it
    verdict = judge(registry.get_exercise("conv2d_valid"), answer)
    assert verdict.kind == WRONG, verdict.text


def _r346_size_with_types_checked_except(unchecked):
    """The lesson's answer with its type check left out for one argument."""
    def conv_output_size(n, kernel, padding=0, stride=1):
        for name, value in (("n", n), ("kernel", kernel), ("padding", padding), ("stride", stride)):
            if name != unchecked and (isinstance(value, bool) or not isinstance(value, int)):
                raise TypeError(f"expected an int, got {value!r}")
        if n < 1 or kernel < 1 or padding < 0 or stride < 1:
            raise ValueError("a size below its range")
        if kernel > n + 2 * padding:
            raise ValueError("the kernel is wider than the padded image")
        return (n + 2 * padding - kernel) // stride + 1
    return conv_output_size


@pytest.mark.parametrize("unchecked, case", [("stride", "a float stride: (28, 3, 0, 2.0)"),
                                             ("kernel", "a float kernel: (28, 3.0)"),
                                             ("n", "a float size: (28.0, 3)")])
def test_r346_conv_output_size_tells_a_float_count_to_raise_type_error(unchecked, case):
    """A float argument whose type was not checked gives a float count, e.g. (28 - 3) // 2.0 + 1 = 13.0; the case must
    raise TypeError, but the answer was told "return the size as an int (use //), got 13.0", though it had used //
    (round 34, r346 F1). Now it is told that the input must raise TypeError."""
    verdict = judge(registry.get_exercise("conv_output_size"), _r346_size_with_types_checked_except(unchecked))
    assert verdict.kind == WRONG and case in verdict.text, verdict.text
    assert "should raise TypeError for this input, but returned" in verdict.text, verdict.text
    assert "use //" not in verdict.text, verdict.text


def _r356_right_only_while_checked(exercise, way):
    """The lesson's answer, off by one wherever it cannot see the check: by the profile function the numpy-only rule
    sets (sys.getprofile), or by the check's own run function on the stack, read with a standard-library helper
    (traceback.extract_stack, traceback.walk_stack) whose name round 34's list of frame words does not hold.
    inspect.stack passes too while torch is not loaded (the 05a notebook); torch patches inspect.getfile, which it
    calls, and the rule refuses that patch."""
    import sys
    import traceback

    reference = reference_copy(exercise)
    run = {"conv2d_valid": "_conv_run", "conv_output_size": "_size_run"}[exercise]

    def checked():
        if way == "sys.getprofile":
            return sys.getprofile() is not None
        if way == "traceback.extract_stack":
            return any(entry.name == run for entry in traceback.extract_stack())
        return any(frame.f_code.co_name == run for frame, _ in traceback.walk_stack(None))

    def answer(*args, **kwargs):
        result = reference(*args, **kwargs)
        return result if checked() else result + 1   # contrived: right only while checked
    return answer


@pytest.mark.parametrize("exercise", ["conv2d_valid", "conv_output_size"])
@pytest.mark.parametrize("way", ["sys.getprofile", "traceback.extract_stack", "traceback.walk_stack"])
def test_r356_numpy_only_checks_refuse_an_answer_right_only_while_checked(exercise, way):
    answer = _r356_right_only_while_checked(exercise, way)
    first = registry.get_exercise(exercise).cases()[0]
    assert np.all(answer(*first.args, **first.kwargs) != registry.get_exercise(exercise).reference(
        *first.args, **first.kwargs)), "the answer is wrong outside the check"
    verdict = judge(registry.get_exercise(exercise), answer)
    assert verdict.kind == WRONG, verdict.text


def _r356_conv_with_the_kernel_read_from_memory_row_by_row(image, kernel):
    """The windows from the image's own strides (right for any layout), the kernel's numbers read from memory with
    strides computed from its shape, as if it lay row by row."""
    image, kernel = _r27_conv_inputs(image, kernel)
    (kh, kw) = kernel.shape
    windows = np.lib.stride_tricks.sliding_window_view(image, (kh, kw))
    flat = np.lib.stride_tricks.as_strided(kernel, (kh * kw,), (kernel.itemsize,))
    return windows.reshape(*windows.shape[:2], kh * kw) @ flat


def test_r356_conv2d_valid_refuses_a_kernel_read_from_memory_row_by_row():
    """Every kernel of the check was a row-by-row float64 array or an integer one (which np.asarray(kernel,
    dtype=float) copies row by row), so an answer that read the kernel from memory with strides computed from its
    shape passed all 33 cases; it is wrong for a transposed kernel or a float64 view such as weights[:, :, c, f]
    (round 35, r356 F1). A transposed float64 kernel is tried now, and the mistake is named."""
    weights = np.random.default_rng(0).normal(size=(3, 3, 3, 2))
    image = np.random.default_rng(1).normal(size=(8, 8))
    right = registry.get_exercise("conv2d_valid").reference(image, weights[:, :, 1, 0])
    assert not np.allclose(_r356_conv_with_the_kernel_read_from_memory_row_by_row(image, weights[:, :, 1, 0]), right)
    verdict = judge(registry.get_exercise("conv2d_valid"), _r356_conv_with_the_kernel_read_from_memory_row_by_row)
    assert verdict.kind == WRONG and verdict.mistake == "kernel in row-by-row memory order", verdict.text
    assert "a float64 3x4 kernel given as the transpose" in verdict.text, verdict.text


def _r356_conv_with_windows_for_c_or_fortran_order_only(image, kernel):
    """Windows taken with strides computed from the shape, after a Fortran-order image is made row by row: right for
    both orders, wrong for a view with gaps (every other column of a larger array, rgb[0, :, :, c] in float64)."""
    image, kernel = _r27_conv_inputs(image, kernel)
    if image.flags.f_contiguous and not image.flags.c_contiguous:
        image = np.ascontiguousarray(image)
    (h, w), (kh, kw), size = image.shape, kernel.shape, image.itemsize
    windows = np.lib.stride_tricks.as_strided(image, (h - kh + 1, w - kw + 1, kh, kw), (w * size, size, w * size, size))
    return np.einsum("ijuv,uv->ij", windows, kernel)


def test_r356_conv2d_valid_refuses_windows_right_for_c_and_fortran_order_only():
    channels = np.random.default_rng(2).normal(size=(8, 8, 3))
    view = channels[:, :, 1]   # a float64 view with gaps, as the notebook's rgb[0, :, :, c]
    kernel = np.random.default_rng(3).normal(size=(3, 3))
    right = registry.get_exercise("conv2d_valid").reference(view, kernel)
    assert not np.allclose(_r356_conv_with_windows_for_c_or_fortran_order_only(view, kernel), right)
    verdict = judge(registry.get_exercise("conv2d_valid"), _r356_conv_with_windows_for_c_or_fortran_order_only)
    assert verdict.kind == WRONG, verdict.text


def _r366_size_refusing_padding_wider_than_half_the_kernel(n, kernel, padding=0, stride=1):
    """The lesson's answer plus torch's rule for pooling layers ("pad should be at most half of effective kernel
    size"), which a convolution does not have."""
    for value in (n, kernel, padding, stride):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"expected an int, got {value!r}")
    if n < 1 or kernel < 1 or padding < 0 or stride < 1 or padding > kernel // 2:
        raise ValueError("a size out of its range")
    if kernel > n + 2 * padding:
        raise ValueError("the kernel is wider than the padded image")
    return (n + 2 * padding - kernel) // stride + 1


def test_r366_conv_output_size_names_the_padding_where_a_padding_wider_than_half_the_kernel_is_refused():
    """The first case this answer fails, (28, 1, 1, 2), was labelled "(a stride larger than the kernel)" alone: an
    answer that refused a padding wider than half the kernel (torch's rule for pooling) was pointed at its stride
    (round 36, r366 F1). The label names both: each is allowed."""
    verdict = judge(registry.get_exercise("conv_output_size"), _r366_size_refusing_padding_wider_than_half_the_kernel)
    assert verdict.kind == WRONG and "(28, 1, 1, 2)" in verdict.text, verdict.text
    assert "a padding wider than half of it" in verdict.text, verdict.text


def _r366_conv_by_an_extension_made_by(how):
    """conv2d_valid whose window sums are scipy's BLAS ddot (an f2py object, whose calls make no profile event), from
    scipy's compiled module made inside the answer from its file, past the import system: by _imp.create_dynamic or
    by importlib's ExtensionFileLoader.create_module (which calls it). No import statement, no __import__, no
    importlib.import_module, no sys.modules, and scipy need not be loaded before."""
    def conv2d_valid(image, kernel):
        import _imp
        import glob
        import importlib.machinery
        import os
        import types

        image, kernel = _r27_conv_inputs(image, kernel)
        origin = glob.glob(os.path.join(os.path.dirname(os.path.dirname(np.__file__)), "scipy", "linalg",
                                        "_fblas.*.so"))[0]
        spec = types.SimpleNamespace(name="scipy.linalg._fblas", origin=origin)
        fblas = (_imp.create_dynamic(spec) if how == "_imp.create_dynamic"
                 else importlib.machinery.ExtensionFileLoader(spec.name, origin).create_module(spec))
        (kh, kw), flat = kernel.shape, kernel.ravel()
        out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
        for i, j in np.ndindex(out.shape):
            out[i, j] = fblas.ddot(np.ascontiguousarray(image[i:i + kh, j:j + kw]).ravel(), flat)
        return out
    return conv2d_valid


@pytest.mark.parametrize("how", ["_imp.create_dynamic", "ExtensionFileLoader.create_module"])
def test_r366_conv2d_valid_refuses_scipy_s_blas_made_from_its_file_past_the_import_system(how):
    pytest.importorskip("scipy")
    answer = _r366_conv_by_an_extension_made_by(how)
    image, kernel = np.random.default_rng(4).normal(size=(6, 5)), np.random.default_rng(5).normal(size=(3, 2))
    assert np.allclose(answer(image, kernel), registry.get_exercise("conv2d_valid").reference(image, kernel))
    verdict = judge(registry.get_exercise("conv2d_valid"), answer)
    assert verdict.kind == WRONG and _a_library_refused(verdict.text), verdict.text
