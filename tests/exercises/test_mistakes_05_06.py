"""Every round's attacks on the exercise checks of lessons 05 and 06: checks that passed wrong work: right answers
written another way still pass, and the mistakes the catalogues name are caught for the reason they name. `make
test-wide` runs them, as CI does (`wide`); `make test` runs each exercise's catalogue (test_registry.py)."""
from __future__ import annotations

import functools
import inspect
import math

import numpy as np
import pytest

from course_utils import exercises as registry
from course_utils.checks import ExerciseFailed, check, judge, PASSED, WRONG
from mistakes_shared import friendly  # noqa: F401, an autouse fixture
from mistakes_shared import _passes, _a_library_refused, _refused_as_the_course_s_own, catalogued
from references import reference_copy
from test_mistakes_07_08 import _accumulation_steps_with, _r28_ig_parts, _r28_shapley_with_sizes

pytestmark = pytest.mark.wide
torch = pytest.importorskip("torch")


def _conv(image, kernel, kh, kw):
    return np.array([[np.sum(image[i:i + kh, j:j + kw] * kernel) for j in range(image.shape[1] - kw + 1)]
                     for i in range(image.shape[0] - kh + 1)]).reshape(image.shape[0] - kh + 1, -1)


def _conv_comparing_sizes(image, kernel):
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    if image.ndim != 2 or kernel.ndim != 2 or kernel.size > image.size:
        raise ValueError("the kernel does not fit")
    return _conv(image, kernel, *kernel.shape)


def _conv_checking_only_the_image_is_2d(image, kernel):
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    kh, kw = kernel.shape[0], kernel.shape[1]
    if image.ndim != 2 or kh > image.shape[0] or kw > image.shape[1]:
        raise ValueError("the kernel does not fit")
    return _conv(image, kernel, kh, kw)


@pytest.mark.parametrize("answer", [_conv_comparing_sizes, _conv_checking_only_the_image_is_2d])
def test_conv2d_valid_rejects_a_kernel_that_fits_only_one_way_or_is_3d(answer):
    with pytest.raises(ExerciseFailed):
        check("conv2d_valid", answer, strict=True)


def _size_checking_types_of(*checked):
    def size(n, kernel, padding=0, stride=1):
        named = {"n": n, "kernel": kernel, "padding": padding, "stride": stride}
        if any(isinstance(named[k], bool) or not isinstance(named[k], int) for k in checked):
            raise TypeError("not an int")
        if kernel > n + 2 * padding or stride < 1 or padding < 0:
            raise ValueError("invalid size")
        return int((n + 2 * padding - kernel) // stride + 1)
    return size


@pytest.mark.parametrize("checked", [("n",), ("n", "kernel"), ("n", "kernel", "stride")])
def test_conv_output_size_wants_every_argument_type_checked(checked):
    with pytest.raises(ExerciseFailed):
        check("conv_output_size", _size_checking_types_of(*checked), strict=True)


def test_conv_output_size_rejects_a_width_check_by_truncated_division():
    with pytest.raises(ExerciseFailed, match="a 4-wide kernel on 3 pixels"):
        check("conv_output_size", catalogued("conv_output_size", "truncates toward zero"), strict=True)


def test_cnn_param_count_wants_size_and_kernel_type_checked():
    with pytest.raises(ExerciseFailed, match="on input a float size"):
        check("cnn_param_count", catalogued("cnn_param_count", "size and kernel types not checked"), strict=True)


def test_torch_accuracy_rejects_labels_as_a_column():
    def checks_the_length_only(logits, labels):
        if logits.ndim != 2 or labels.numel() != len(logits) or not len(logits):
            raise ValueError("shapes")
        return (logits.argmax(dim=1) == labels).float().mean().item()

    with pytest.raises(ExerciseFailed, match="labels as a column"):
        check("torch_accuracy", checks_the_length_only, strict=True)


def test_torch_train_step_must_use_the_loss_it_is_given():
    with pytest.raises(ExerciseFailed, match="label smoothing"):
        check("torch_train_step", catalogued("torch_train_step", "its own loss function"), strict=True)


def test_predict_one_image_rejects_a_check_of_the_number_of_dimensions_only():
    with pytest.raises(ExerciseFailed, match="a 14x56 image"):
        check("predict_one_image", catalogued("predict_one_image", "only the number of dimensions checked"),
              strict=True)


def _conv_in_the_kernels_dtype(image, kernel):
    image, kernel = np.asarray(image), np.asarray(kernel)
    if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("the kernel does not fit")
    return _conv(image.astype(kernel.dtype), kernel, *kernel.shape)  # an int kernel cuts the image's fractions


def _conv_loops_of_at_most_3(image, kernel):
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("the kernel does not fit")
    kh, kw = kernel.shape
    return np.array([[sum(image[i + u, j + v] * kernel[u, v] for u in range(min(3, kh)) for v in range(min(3, kw)))
                      for j in range(image.shape[1] - kw + 1)] for i in range(image.shape[0] - kh + 1)])


@pytest.mark.parametrize("answer", [catalogued("conv2d_valid", "output in the kernel's dtype"),
                                    _conv_in_the_kernels_dtype, _conv_loops_of_at_most_3],
                         ids=["output in the kernel's dtype", "image in the kernel's dtype", "loops of at most 3"])
def test_conv2d_valid_tries_a_float_image_with_an_integer_kernel_wider_than_3(answer):
    with pytest.raises(ExerciseFailed, match="an integer 5x4 kernel"):
        check("conv2d_valid", answer, strict=True)


def test_conv2d_valid_names_an_output_in_the_kernels_dtype():
    verdict = judge(registry.get_exercise("conv2d_valid"), catalogued("conv2d_valid", "output in the kernel's dtype"))
    assert verdict.mistake == "output in the kernel's dtype", verdict.text


def _step_in_float64_by_to(model, loss_fn, optimizer, x, y):
    import torch

    model.to(torch.float64)
    optimizer.zero_grad()
    loss = loss_fn(model(x.to(torch.float64)), y)
    loss.backward()
    optimizer.step()
    return float(loss)


@pytest.mark.parametrize("answer", [catalogued("torch_train_step", "model cast to float64"), _step_in_float64_by_to])
def test_torch_train_step_must_leave_the_models_dtype_alone(answer):
    with pytest.raises(ExerciseFailed, match="changed the dtype of the caller's model"):
        check("torch_train_step", answer, strict=True)


def test_torch_train_step_may_cast_x_to_the_models_dtype():
    def casts_x(model, loss_fn, optimizer, x, y):
        optimizer.zero_grad()
        loss = loss_fn(model(x.to(next(model.parameters()).dtype)), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    _passes("torch_train_step", casts_x)


def _returns_nothing(*args, **kwargs):
    return None


@pytest.mark.parametrize("name", ["conv_output_size", "build_cnn", "predict_one_image", "torch_train_step"])
def test_lessons_05_and_06_runners_say_a_missing_return(name):
    with pytest.raises(ExerciseFailed, match="returned None. Did you forget `return`"):
        check(name, _returns_nothing, strict=True)


@pytest.mark.parametrize("cast", [lambda image: image // 255, lambda image: (image / 255).astype(np.uint8)],
                         ids=["// 255", "/ 255 cast back to uint8"])
def test_predict_one_image_names_an_integer_scaling(cast):
    def predict(model, image):
        image = np.asarray(image)
        if image.shape not in {(28, 28), (28, 28, 1)}:
            raise ValueError("expected one 28x28 image")
        return int(np.argmax(model.predict(cast(image.reshape(1, 28, 28, 1)), verbose=0)[0]))

    with pytest.raises(ExerciseFailed, match=r"image // 255 \(or image / 255 cast back to uint8\)"):
        check("predict_one_image", predict, strict=True)


# lessons 05 and 06: 1-D inputs, a float kernel, even kernels, arguments by position, 0-d labels and 3-D
# probabilities, dark and int64 images, batch normalisation
def _conv_rejecting_only_more_than_2d(image, kernel):
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    if image.ndim > 2 or kernel.ndim > 2:
        raise ValueError("image and kernel must be 2-D")
    kh, kw = kernel.shape
    if kh > image.shape[0] or kw > image.shape[1]:  # IndexError for a 1-D image
        raise ValueError("the kernel does not fit")
    return _conv(image, kernel, kh, kw)


def _conv_making_1d_a_row(image, kernel):
    image, kernel = np.atleast_2d(np.asarray(image, dtype=float)), np.atleast_2d(np.asarray(kernel, dtype=float))
    if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("the kernel does not fit")
    return _conv(image, kernel, *kernel.shape)


@pytest.mark.parametrize("answer, mistake", [(_conv_rejecting_only_more_than_2d, "only more than 2 dimensions rejected"),
                                             (_conv_making_1d_a_row, "1-D input taken as one row")])
def test_conv2d_valid_rejects_1d_inputs(answer, mistake):
    with pytest.raises(ExerciseFailed, match="a 1-D image"):
        check("conv2d_valid", answer, strict=True)
    assert judge(registry.get_exercise("conv2d_valid"), answer).mistake == mistake


def test_conv2d_valid_accepts_a_2d_unpacking_that_rejects_1d_inputs_by_itself():
    def unpacks(image, kernel):
        image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
        if image.ndim > 2 or kernel.ndim > 2:
            raise ValueError("image and kernel must be 2-D")
        (height, width), (kh, kw) = image.shape, kernel.shape  # ValueError for a 1-D input too
        if kh > height or kw > width:
            raise ValueError("the kernel does not fit")
        return _conv(image, kernel, kh, kw)

    _passes("conv2d_valid", unpacks)


def test_conv_output_size_wants_the_kernels_type_checked():
    with pytest.raises(ExerciseFailed, match="a float kernel"):
        check("conv_output_size", _size_checking_types_of("n", "padding", "stride"), strict=True)
    assert judge(registry.get_exercise("conv_output_size"),
                 _size_checking_types_of("n", "padding", "stride")).mistake == "kernel's type not checked"


def _params_cutting_kernel_halves(filters1, filters2, n_classes=10, size=28, kernel=3):
    for value in (filters1, filters2, n_classes, size, kernel):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError("not an int")
        if value < 1:
            raise ValueError("below 1")
    cut = 2 * (kernel // 2)  # "kernel // 2 pixels off each side"
    side = ((size - cut) // 2 - cut) // 2
    if side < 1:
        raise ValueError("too small")
    return (kernel * kernel + 1) * filters1 + (kernel * kernel * filters1 + 1) * filters2 + \
        (side * side * filters2 + 1) * n_classes


def _params_in_another_order(filters1, filters2, size=28, kernel=3, n_classes=10):
    return reference_copy("cnn_param_count")(filters1, filters2, n_classes, size, kernel)


@pytest.mark.parametrize("answer, where", [(_params_cutting_kernel_halves, "2x2 kernels"),
                                           (_params_in_another_order, "all five arguments by position")])
def test_cnn_param_count_tries_an_even_kernel_and_arguments_by_position(answer, where):
    with pytest.raises(ExerciseFailed, match=where):
        check("cnn_param_count", answer, strict=True)


def _accuracy_with(check_shapes):
    def accuracy(y_true, probabilities):
        y_true, probabilities = np.asarray(y_true), np.asarray(probabilities, dtype=float)
        if check_shapes(y_true, probabilities):
            raise ValueError("shapes")
        return float(np.mean(np.argmax(probabilities, axis=1) == y_true))
    return accuracy


@pytest.mark.parametrize("answer, where", [
    (_accuracy_with(lambda y, p: p.ndim != 2 or len(y) != len(p) or y.ndim != 1), "one label as a 0-d array"),
    (_accuracy_with(lambda y, p: p.ndim != 2 or y.shape[0] != p.shape[0] or y.ndim != 1), "one label as a 0-d array"),
    (_accuracy_with(lambda y, p: p.ndim == 1 or y.shape != (len(p),)), "3-D probabilities")],
    ids=["len() first", "shape[0] first", "only 1-D probabilities rejected"])
def test_accuracy_from_probs_tries_0d_labels_and_3d_probabilities(answer, where):
    with pytest.raises(ExerciseFailed, match=where):
        check("accuracy_from_probs", answer, strict=True)


def test_build_cnn_wants_its_arguments_in_the_given_order():
    def in_another_order(filters1=16, filters2=32, dropout=0.3, n_classes=10):
        return reference_copy("build_cnn")(filters1, filters2, n_classes, dropout)

    with pytest.raises(ExerciseFailed, match="all four arguments by position"):
        check("build_cnn", in_another_order, strict=True)


def _predict_with(prepare, check_shape=lambda image: image.shape not in {(28, 28), (28, 28, 1)}):
    def predict(model, image):
        image = np.asarray(image)
        if check_shape(image):
            raise ValueError("expected one 28x28 image")
        return int(np.argmax(model.predict(prepare(image), verbose=0)[0]))
    return predict


@pytest.mark.parametrize("answer, where", [
    (_predict_with(lambda im: im.reshape(1, 28, 28, 1) / (255.0 if im.max() > 1 else 1.0)), "a very dark ring"),
    (_predict_with(lambda im: im.reshape(1, 28, 28, 1) / np.iinfo(im.dtype).max), "int64 pixels"),
    (_predict_with(lambda im: im[:, :, :1].reshape(1, 28, 28, 1) / 255.0 if im.ndim == 3 else
                   im.reshape(1, 28, 28, 1) / 255.0, check_shape=lambda image: image.shape[:2] != (28, 28)),
     "a 28x28x3")], ids=["scaled only when above 1", "divided by the dtype's range", "first channel of RGB"])
def test_predict_one_image_tries_a_dark_image_int64_pixels_and_rgb(answer, where):
    with pytest.raises(ExerciseFailed, match=where):
        check("predict_one_image", answer, strict=True)


def test_torch_train_step_takes_the_batch_in_one_forward_pass():
    def one_example_at_a_time(model, loss_fn, optimizer, x, y):
        optimizer.zero_grad()
        total = 0.0
        for i in range(len(x)):
            loss = loss_fn(model(x[i:i + 1]), y[i:i + 1]) / len(x)
            loss.backward()
            total += loss.item()
        optimizer.step()
        return total

    with pytest.raises(ExerciseFailed, match="batch normalisation"):
        check("torch_train_step", one_example_at_a_time, strict=True)



# lesson 05: generated cases (sizes, dtypes, memory layouts, wide kernels, class counts, how the arguments are
# passed) reject answers that relied on what every hand-picked case shared
@pytest.mark.parametrize("name, mistake", [
    ("conv2d_valid", "windows in row-by-row memory order"), ("cnn_param_count", "one output for two classes"),
    ("accuracy_from_probs", "ten classes assumed"), ("build_cnn", "second convolution twice the first"),
    ("predict_one_image", "float image taken as scaled")])
def test_lesson_05_generated_cases_catch_and_name(name, mistake):
    with pytest.raises(ExerciseFailed, match="on input a generated input"):
        check(name, catalogued(name, mistake), strict=True)
    assert judge(registry.get_exercise(name), catalogued(name, mistake)).mistake == mistake


def _conv_capped_at(side):
    def conv(image, kernel):
        image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
        if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
            raise ValueError("the kernel does not fit")
        if max(kernel.shape) > side:
            raise ValueError(f"kernels up to {side}x{side}")
        return _conv(image, kernel, *kernel.shape)
    return conv


def _size_renamed(n, k, p=0, s=1):
    return reference_copy("conv_output_size")(n, k, p, s)


def _params_renamed(f1, f2, n_classes=10, size=28, kernel=3):
    return reference_copy("cnn_param_count")(f1, f2, n_classes, size, kernel)


def _params_for_images_up_to_32(filters1, filters2, n_classes=10, size=28, kernel=3):
    if size > 32:
        raise ValueError("images up to 32x32")
    return reference_copy("cnn_param_count")(filters1, filters2, n_classes, size, kernel)


def _accuracy_one_hot_of_10(y_true, probabilities):
    y_true, probabilities = np.asarray(y_true), np.asarray(probabilities)
    if probabilities.ndim != 2 or y_true.shape != (len(probabilities),):
        raise ValueError("shapes")
    return float(np.mean(np.eye(10)[y_true].argmax(axis=1) == probabilities.argmax(axis=1)))


def _build_with_dropout_rounded(filters1=16, filters2=32, n_classes=10, dropout=0.3):
    return reference_copy("build_cnn")(filters1, filters2, n_classes, round(dropout, 1))


@pytest.mark.parametrize("name, answer", [
    ("conv2d_valid", _conv_capped_at(5)), ("conv_output_size", _size_renamed), ("cnn_param_count", _params_renamed),
    ("cnn_param_count", _params_for_images_up_to_32), ("accuracy_from_probs", _accuracy_one_hot_of_10),
    ("build_cnn", _build_with_dropout_rounded)],
    ids=["kernels up to 5x5", "conv_output_size(n, k, p, s)", "cnn_param_count(f1, f2, ...)", "images up to 32x32",
         "one-hot of 10 classes", "dropout rounded to 0.1"])
def test_lesson_05_generated_cases_reject_answers_fitted_to_the_hand_picked_inputs(name, answer):
    with pytest.raises(ExerciseFailed, match="on input a generated input"):
        check(name, answer, strict=True)


def _conv_by_own_strides(image, kernel):
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("the kernel does not fit")
    (h, w), (kh, kw) = image.shape, kernel.shape
    windows = np.lib.stride_tricks.as_strided(image, (h - kh + 1, w - kw + 1, kh, kw), image.strides * 2)
    return np.einsum("ijuv,uv->ij", windows, kernel)


def _size_by_ceiling(n, kernel, padding=0, stride=1):
    if any(type(value) is not int for value in (n, kernel, padding, stride)):
        raise TypeError("not an int")
    if n < 1 or kernel < 1 or stride < 1 or padding < 0 or kernel > n + 2 * padding:
        raise ValueError("invalid size")
    return -(-(n + 2 * padding - kernel + 1) // stride)


def _params_by_closed_form(filters1, filters2, n_classes=10, size=28, kernel=3):
    for value in (filters1, filters2, n_classes, size, kernel):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError("not an int")
        if value < 1:
            raise ValueError("below 1")
    if size < 3 * kernel + 1:
        raise ValueError("too small")
    side = (size - 3 * kernel + 3) // 4
    return (kernel ** 2 + 1) * filters1 + (kernel ** 2 * filters1 + 1) * filters2 + \
        (side ** 2 * filters2 + 1) * n_classes


def _accuracy_by_first_top_column(y_true, probabilities):
    y_true, probabilities = np.asarray(y_true), np.asarray(probabilities)
    if probabilities.ndim != 2 or y_true.ndim != 1 or len(y_true) != len(probabilities):
        raise ValueError("shapes")
    on_top = probabilities == probabilities.max(axis=1, keepdims=True)
    return float(np.mean(on_top.argmax(axis=1) == y_true))   # the first column that holds the row's maximum


def test_lesson_05_accuracy_from_probs_takes_the_first_largest_column_on_a_tie():
    """Comparing the true class's probability with the row's maximum passed: no row had a tie, and a network whose
    logits are all equal then scores 100%."""
    verdict = judge(registry.get_exercise("accuracy_from_probs"), catalogued("accuracy_from_probs",
                                                                             "ties counted as right"))
    assert verdict.kind == WRONG and verdict.mistake == "ties counted as right" and "tied rows" in verdict.text


@pytest.mark.parametrize("name, answer", [
    ("conv2d_valid", _conv_by_own_strides), ("conv_output_size", _size_by_ceiling),
    ("cnn_param_count", _params_by_closed_form), ("accuracy_from_probs", _accuracy_by_first_top_column),
    ("predict_one_image", _predict_with(lambda im: im.astype(np.uint8).reshape(1, 28, 28, 1) / 255))],
    ids=["as_strided with the image's strides", "ceiling", "closed form", "first column holding the row's maximum",
         "pixels cast to uint8 first"])
def test_lesson_05_generated_cases_accept_right_answers_written_another_way(name, answer):
    _passes(name, answer)


# lesson 05: values below the range other than the hand-picked 0 and -1, and the CNN's computation (not only its
# layer kinds and parameter count) and Keras' global settings
def _params_rejecting_only_zero(filters1, filters2, n_classes=10, size=28, kernel=3):
    values = (filters1, filters2, n_classes, size, kernel)
    if any(isinstance(value, bool) or not isinstance(value, int) for value in values):
        raise TypeError("not an int")
    if not all(values):
        raise ValueError("zero")
    side = ((size - kernel + 1) // 2 - kernel + 1) // 2
    if side < 1:
        raise ValueError("too small")
    return (kernel ** 2 + 1) * filters1 + (kernel ** 2 * filters1 + 1) * filters2 + \
        (side ** 2 * filters2 + 1) * n_classes


def _size_rejecting_stride_0_and_padding_minus_1(n, kernel, padding=0, stride=1):
    if any(isinstance(value, bool) or not isinstance(value, int) for value in (n, kernel, padding, stride)):
        raise TypeError("not an int")
    if stride in (0, -1) or padding == -1 or kernel > n + 2 * padding:
        raise ValueError("invalid")
    return (n + 2 * padding - kernel) // stride + 1


def _cnn_with_relu_layers(**relu):
    def build(filters1=16, filters2=32, n_classes=10, dropout=0.3):
        import keras
        from keras import layers

        return keras.Sequential([
            keras.Input(shape=(28, 28, 1)), layers.Conv2D(filters1, 3), layers.ReLU(**relu), layers.MaxPooling2D(2),
            layers.Conv2D(filters2, 3), layers.ReLU(**relu), layers.MaxPooling2D(2), layers.Flatten(),
            layers.Dropout(dropout), layers.Dense(n_classes), layers.Softmax()])
    return build


def _cnn_in_float64(filters1=16, filters2=32, n_classes=10, dropout=0.3):
    import keras

    keras.config.set_floatx("float64")
    return reference_copy("build_cnn")(filters1, filters2, n_classes, dropout)


@pytest.mark.parametrize("name, answer, mistake", [
    ("cnn_param_count", _params_rejecting_only_zero, "only zero rejected"),
    ("conv_output_size", _size_rejecting_stride_0_and_padding_minus_1, ""),
    ("build_cnn", _cnn_with_relu_layers(max_value=6.0), "capped ReLU"),
    ("build_cnn", _cnn_with_relu_layers(negative_slope=0.1), ""),
    ("build_cnn", _cnn_in_float64, "default float type changed")],
    ids=["cnn_param_count: only 0 rejected", "conv_output_size: only stride 0, -1 and padding -1 rejected",
         "build_cnn: ReLU6 layers", "build_cnn: leaky ReLU layers", "build_cnn: set_floatx('float64')"])
def test_lesson_05_checks_try_negative_counts_the_cnns_outputs_and_its_global_settings(name, answer, mistake):
    import keras

    floatx = keras.config.floatx()
    verdict = judge(registry.get_exercise(name), answer)
    assert keras.config.floatx() == floatx  # the check restores a changed setting
    assert verdict.kind != PASSED and verdict.mistake == mistake, verdict.text


def test_build_cnn_accepts_separate_relu_and_softmax_layers():
    _passes("build_cnn", _cnn_with_relu_layers())


# lesson 05: a bool or a float in every argument (not only where a hand-picked case has one), frozen layers, a
# changed model and shapes with a unit axis too many
def _size_bools_rejected_in_n_and_padding_only(n, kernel, padding=0, stride=1):
    if isinstance(n, bool) or isinstance(padding, bool) or any(not isinstance(v, int) for v in (n, kernel, padding,
                                                                                                  stride)):
        raise TypeError("not an int")
    if stride < 1 or padding < 0 or kernel > n + 2 * padding:
        raise ValueError("invalid")
    return (n + 2 * padding - kernel) // stride + 1


def _params_types_checked_where_tested(filters1, filters2, n_classes=10, size=28, kernel=3):
    if isinstance(filters1, float) or isinstance(size, float) or isinstance(n_classes, bool) or \
            isinstance(kernel, bool):
        raise TypeError("not an int")
    if min(filters1, filters2, n_classes, size, kernel) < 1:
        raise ValueError("below 1")
    side = ((size - kernel + 1) // 2 - kernel + 1) // 2
    if side < 1:
        raise ValueError("too small")
    return (kernel ** 2 + 1) * filters1 + (kernel ** 2 * filters1 + 1) * filters2 + \
        (side ** 2 * filters2 + 1) * n_classes


def _conv_renamed(img, k):
    return reference_copy("conv2d_valid")(img, k)


def _size_exact_fit_rejected_with_a_stride(n, kernel, padding=0, stride=1):
    if stride > 1 and kernel == n + 2 * padding:
        raise ValueError("no room to stride")
    return reference_copy("conv_output_size")(n, kernel, padding, stride)


def _cnn_frozen(filters1=16, filters2=32, n_classes=10, dropout=0.3):
    model = reference_copy("build_cnn")(filters1, filters2, n_classes, dropout)
    model.trainable = False
    return model


def _predict_compiling_the_model(model, image):
    model.compile(optimizer="sgd", loss="mse")
    return reference_copy("predict_one_image")(model, image)


def _predict_squeezing_3d_images(model, image):
    image = np.asarray(image)
    if image.ndim == 3:
        image = np.squeeze(image)  # meant for the channel axis of (28, 28, 1); (1, 28, 28) gets through too
    if image.shape != (28, 28):
        raise ValueError("not 28x28")
    return int(np.argmax(model.predict(image.reshape(1, 28, 28, 1) / 255.0, verbose=0)[0]))


@pytest.mark.parametrize("name, answer, mistake", [
    ("conv2d_valid", _conv_renamed, ""), ("conv_output_size", _size_exact_fit_rejected_with_a_stride, ""),
    ("conv_output_size", _size_bools_rejected_in_n_and_padding_only, "bools rejected only in n and padding"),
    ("cnn_param_count", _params_types_checked_where_tested, "bools rejected only in n_classes and kernel"),
    ("build_cnn", _cnn_frozen, "frozen layers"),
    ("predict_one_image", _predict_compiling_the_model, "changes the model"),
    ("predict_one_image", _predict_squeezing_3d_images, "squeezed")],
    ids=["conv2d_valid(img, k)", "conv_output_size: exact fit rejected with a stride",
         "conv_output_size: bools only in n and padding", "cnn_param_count: types checked where tested",
         "build_cnn: model.trainable = False", "predict_one_image: compiles the model",
         "predict_one_image: 3-D images squeezed"])
def test_lesson_05_checks_try_every_wrong_type_frozen_layers_a_changed_model_and_extra_unit_axes(name, answer,
                                                                                                  mistake):
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind != PASSED and verdict.mistake == mistake, verdict.text


# lesson 05: a False padding, more labels than rows, a changed Dropout rate or Keras setting, a Fortran-order image
def _size_rejecting_only_true_and_floats(n, kernel, padding=0, stride=1):
    if any(value is True or isinstance(value, float) for value in (n, kernel, padding, stride)):
        raise TypeError("not an int")  # a padding of False (0) gets through
    if n < 1 or kernel < 1 or stride < 1 or padding < 0 or kernel > n + 2 * padding:
        raise ValueError("invalid")
    return (n + 2 * padding - kernel) // stride + 1


def _accuracy_rejecting_fewer_labels_only(y_true, probabilities):
    y_true, probabilities = np.asarray(y_true), np.asarray(probabilities)
    if probabilities.ndim != 2 or y_true.ndim != 1 or len(y_true) < len(probabilities):
        raise ValueError("shapes")
    return float(np.mean(np.argmax(probabilities, axis=1) == y_true))


def _cnn_channels_first_afterwards(filters1=16, filters2=32, n_classes=10, dropout=0.3):
    import keras

    model = reference_copy("build_cnn")(filters1, filters2, n_classes, dropout)
    keras.config.set_image_data_format("channels_first")
    return model


def _predict_without_dropout(model, image):
    model.layers[-2].rate = 0.0  # the lesson's Dropout layer
    return reference_copy("predict_one_image")(model, image)


def _predict_setting_epsilon(model, image):
    import keras

    keras.config.set_epsilon(1e-3)
    return reference_copy("predict_one_image")(model, image)


def _predict_reading_pixels_in_memory_order(model, image):
    image = np.asarray(image)
    if image.shape not in {(28, 28), (28, 28, 1)}:
        raise ValueError("not 28x28")
    return int(np.argmax(model.predict(image.ravel(order="K").reshape(1, 28, 28, 1) / 255.0, verbose=0)[0]))


@pytest.mark.parametrize("name, answer, mistake", [
    ("conv_output_size", _size_rejecting_only_true_and_floats, "no type check"),
    ("accuracy_from_probs", _accuracy_rejecting_fewer_labels_only, "more labels than rows"),
    ("build_cnn", _cnn_channels_first_afterwards, "Keras settings changed"),
    ("predict_one_image", _predict_without_dropout, "dropout switched off"),
    ("predict_one_image", _predict_setting_epsilon, ""),
    ("predict_one_image", _predict_reading_pixels_in_memory_order, "")],
    ids=["conv_output_size: only True rejected", "accuracy_from_probs: len(y_true) < len(probabilities)",
         "build_cnn: channels_first left set", "predict_one_image: Dropout rate set to 0",
         "predict_one_image: set_epsilon", "predict_one_image: ravel(order='K')"])
def test_lesson_05_checks_try_a_false_padding_more_labels_changed_settings_and_a_fortran_image(name, answer, mistake):
    import keras

    settings = keras.config.image_data_format(), keras.config.epsilon()
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind != PASSED and verdict.mistake == mistake, verdict.text
    assert (keras.config.image_data_format(), keras.config.epsilon()) == settings


# lesson 05: a numpy float among the wrong types, a stride beyond the image, one-hot labels, an accuracy as an array
def _size_rejecting_floats_and_bools(n, kernel, padding=0, stride=1):
    if any(isinstance(value, (bool, float)) for value in (n, kernel, padding, stride)):
        raise TypeError("not an int")  # np.float32(28.0) is not a float
    if stride < 1 or padding < 0 or kernel > n + 2 * padding:
        raise ValueError("invalid")
    return int((n + 2 * padding - kernel) // stride + 1)


def _size_rejecting_a_stride_beyond_the_image(n, kernel, padding=0, stride=1):
    if stride > n + 2 * padding:
        raise ValueError("the stride jumps past the image")
    return reference_copy("conv_output_size")(n, kernel, padding, stride)


def _params_rejecting_floats_and_bools(filters1, filters2, n_classes=10, size=28, kernel=3):
    values = (filters1, filters2, n_classes, size, kernel)
    if any(isinstance(value, (bool, float)) for value in values):
        raise TypeError("not an int")
    return reference_copy("cnn_param_count")(*(int(value) for value in values))


def _accuracy_taking_the_argmax_of_one_hot_labels(y_true, probabilities):
    y_true, probabilities = np.asarray(y_true), np.asarray(probabilities)
    if y_true.ndim == 2 and y_true.shape[1] > 1:
        y_true = y_true.argmax(axis=1)
    if probabilities.ndim != 2 or y_true.shape != (len(probabilities),):
        raise ValueError("shapes")
    return float(np.mean(np.argmax(probabilities, axis=1) == y_true))


def _accuracy_as_a_keras_tensor(y_true, probabilities):
    import keras

    y_true, probabilities = np.asarray(y_true), np.asarray(probabilities)
    if probabilities.ndim != 2 or y_true.shape != (len(probabilities),):
        raise ValueError("shapes")
    return keras.ops.mean(keras.ops.cast(keras.ops.argmax(probabilities, axis=1) == y_true, "float32"))


@pytest.mark.parametrize("name, answer, mistake", [
    ("conv_output_size", _size_rejecting_floats_and_bools, "only floats and bools rejected"),
    ("conv_output_size", _size_rejecting_a_stride_beyond_the_image, ""),
    ("cnn_param_count", _params_rejecting_floats_and_bools, "only floats and bools rejected"),
    ("accuracy_from_probs", _accuracy_taking_the_argmax_of_one_hot_labels, "one-hot labels accepted"),
    ("accuracy_from_probs", _accuracy_as_a_keras_tensor, "")],
    ids=["conv_output_size: isinstance(value, (bool, float))", "conv_output_size: stride > n + 2p rejected",
         "cnn_param_count: isinstance(value, (bool, float))", "accuracy_from_probs: argmax of one-hot labels",
         "accuracy_from_probs: keras.ops.mean"])
def test_lesson_05_checks_try_a_numpy_float_a_long_stride_one_hot_labels_and_a_tensor_result(name, answer, mistake):
    import keras  # noqa: F401  (imported before the check, so that the first import does not count against its time)

    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind != PASSED and verdict.mistake == mistake, verdict.text


def _predict_renamed(net, img):
    return reference_copy("predict_one_image")(net, img)


def _predict_image_renamed(model, x):
    return reference_copy("predict_one_image")(model, x)


@pytest.mark.parametrize("answer", [_predict_renamed, _predict_image_renamed], ids=["net, img", "model, x"])
def test_lesson_05_predict_one_image_is_also_called_by_keyword(answer):
    """Both passed when every case called predict_one_image by position: the drawn cases pass model= and image=."""
    verdict = judge(registry.get_exercise("predict_one_image"), answer)
    assert verdict.kind == WRONG and verdict.mistake == "parameters renamed", verdict.text
    assert "keep the parameter names" in verdict.text


def _predict_checking_size_and_first_axis(model, image):
    image = np.asarray(image)
    if image.ndim not in (2, 3) or image.shape[0] != 28 or image.size != 784:
        raise ValueError(image.shape)
    return int(np.argmax(model.predict(image.reshape(1, 28, 28, 1) / 255.0, verbose=0)[0]))


@pytest.mark.parametrize("answer, mistake", [
    (catalogued("predict_one_image", "first and last axes checked"), "first and last axes checked"),
    (_predict_checking_size_and_first_axis, "first and last axes checked"),
    (catalogued("predict_one_image", "progress output switched off"), "progress output switched off"),
], ids=["first and last axes", "ndim, first axis and size", "disable_interactive_logging"])
def test_lesson_05_predict_one_image_refuses_a_unit_axis_in_the_middle_and_leaves_logging_on(answer, mistake):
    """All passed before: no case had a unit axis between the two 28s, and Keras' progress output was not watched."""
    import keras

    verdict = judge(registry.get_exercise("predict_one_image"), answer)
    assert verdict.kind != PASSED and verdict.mistake == mistake, verdict.text
    assert keras.utils.is_interactive_logging_enabled()


def _predict_checking_len_first(model, image):
    image = np.asarray(image)
    if len(image) != 28 or image.size != 784 or image.ndim > 3 or image.shape[1] != 28:  # len() of a 0-d array: TypeError
        raise ValueError(image.shape)
    return int(np.argmax(model.predict(image.reshape(1, 28, 28, 1) / 255.0, verbose=0)[0]))


@pytest.mark.parametrize("answer, mistake", [
    (catalogued("predict_one_image", "shape read before its length"), "shape read before its length"),
    (_predict_checking_len_first, None),  # raises TypeError: not that mistake's IndexError, rejected all the same
], ids=["shape[1] of a (28,) row", "len() of a 0-d array"])
def test_lesson_05_predict_one_image_refuses_fewer_axes_with_value_error(answer, mistake):
    """Both passed when every invalid shape had at least two axes or 784 pixels: a (28,) row or a 0-d array made them
    raise IndexError or TypeError, not ValueError."""
    verdict = judge(registry.get_exercise("predict_one_image"), answer)
    assert verdict.kind != PASSED and (mistake is None or verdict.mistake == mistake), verdict.text


def _conv_as_rows(image, kernel):
    out = reference_copy("conv2d_valid")(image, kernel)
    return [list(row) for row in out]  # rows of numbers: no .shape in the notebook's next cell


def _size_rejecting_padding_as_wide_as_the_image(n, kernel, padding=0, stride=1):
    if padding >= n:
        raise ValueError("a padding that wide makes no sense")
    return reference_copy("conv_output_size")(n, kernel, padding, stride)


def _accuracy_renamed(labels, scores):
    return reference_copy("accuracy_from_probs")(labels, scores)


def _accuracy_keeping_only_the_maxima(y_true, probabilities):
    y_true, probabilities = np.asarray(y_true), np.asarray(probabilities)
    if probabilities.ndim != 2 or y_true.shape != (len(probabilities),):
        raise ValueError("shapes")
    probabilities[probabilities != probabilities.max(axis=1, keepdims=True)] = 0  # the caller's array
    return float(np.mean(probabilities.argmax(axis=1) == y_true))


def _accuracy_sorting_the_labels(y_true, probabilities):
    accuracy = reference_copy("accuracy_from_probs")(y_true, probabilities)
    y_true.sort()
    return accuracy


def _cnn_first_convolution_at_zero(filters1=16, filters2=32, n_classes=10, dropout=0.3):
    import keras
    from keras import layers

    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)), layers.Conv2D(filters1, 3, activation="relu", kernel_initializer="zeros"),
        layers.MaxPooling2D(2), layers.Conv2D(filters2, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Flatten(), layers.Dropout(dropout), layers.Dense(n_classes, activation="softmax")])


@pytest.mark.parametrize("name, answer, mistake", [
    ("conv2d_valid", _conv_as_rows, "a list returned"),
    ("conv_output_size", _size_rejecting_padding_as_wide_as_the_image, ""),
    ("accuracy_from_probs", _accuracy_renamed, "parameters renamed"),
    ("accuracy_from_probs", _accuracy_keeping_only_the_maxima, "inputs changed in place"),
    ("accuracy_from_probs", _accuracy_sorting_the_labels, "inputs changed in place"),
    ("build_cnn", _cnn_first_convolution_at_zero, "convolutions started at zero")],
    ids=["conv2d_valid: a list of rows", "conv_output_size: padding >= n rejected",
         "accuracy_from_probs: (labels, scores)", "accuracy_from_probs: non-maxima zeroed in place",
         "accuracy_from_probs: y_true.sort()", "build_cnn: kernel_initializer='zeros'"])
def test_lesson_05_checks_try_a_list_result_a_wide_padding_keywords_changed_labels_and_a_zero_convolution(
        name, answer, mistake):
    import keras  # noqa: F401  (imported before the check, so that the first import does not count against its time)

    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind != PASSED and verdict.mistake == mistake, verdict.text

def _accuracy_rows_reshaped(y_true, probabilities):
    y_true, probabilities = np.asarray(y_true), np.asarray(probabilities)
    if probabilities.ndim < 2 or y_true.ndim != 1:
        raise ValueError("expected probabilities (n, n_classes) and n labels")
    predicted = probabilities.reshape(-1, probabilities.shape[-1]).argmax(axis=1)  # (1, n, k) read as n rows
    if predicted.size != y_true.size:
        raise ValueError("one prediction per label")
    return float(np.mean(predicted == y_true))


def _accuracy_last_axis_argmax(y_true, probabilities):
    y_true, probabilities = np.asarray(y_true), np.asarray(probabilities)
    if y_true.ndim != 1:
        raise ValueError("labels must be 1-D")
    predicted = probabilities.argmax(axis=-1).ravel()  # (n, 1, k) gives n predictions too
    if probabilities.ndim < 2 or predicted.size != y_true.size:
        raise ValueError("one prediction per label")
    return float(np.mean(predicted == y_true))


def _accuracy_batch_axis_dropped(y_true, probabilities):
    y_true, probabilities = np.asarray(y_true), np.asarray(probabilities)
    if probabilities.ndim == 3 and probabilities.shape[0] == 1:  # np.stack([model.predict(x)]) taken as predict(x)
        probabilities = probabilities[0]
    return reference_copy("accuracy_from_probs")(y_true, probabilities)


def _accuracy_label_row_read_as_labels(y_true, probabilities):
    y_true = np.asarray(y_true)
    return reference_copy("accuracy_from_probs")(y_true[0] if y_true.ndim == 2 and len(y_true) == 1 else y_true,
                                           probabilities)


@pytest.mark.parametrize("answer, mistake", [
    (_accuracy_rows_reshaped, "unit axes dropped"), (_accuracy_last_axis_argmax, "unit axes dropped"),
    (_accuracy_batch_axis_dropped, "unit axes dropped"), (_accuracy_label_row_read_as_labels, "no shape check")],
    ids=["reshape(-1, k)", "argmax(axis=-1).ravel()", "a leading batch axis dropped", "labels (1, n) read as a row"])
def test_lesson_05_accuracy_from_probs_refuses_an_extra_unit_axis(answer, mistake):
    verdict = judge(registry.get_exercise("accuracy_from_probs"), answer)
    assert verdict.kind != PASSED and verdict.mistake == mistake, verdict.text


# lesson 05: an n or a kernel below 1, regularisers and constraints, activations under another name, logging
def _size_checking(n_and_kernel):
    def size(n, kernel, padding=0, stride=1):
        if any(isinstance(value, bool) or not isinstance(value, int) for value in (n, kernel, padding, stride)):
            raise TypeError("not an int")
        if not n_and_kernel(n, kernel) or kernel > n + 2 * padding or stride < 1 or padding < 0:
            raise ValueError("invalid size")
        return (n + 2 * padding - kernel) // stride + 1
    return size


@pytest.mark.parametrize("answer, where", [(_size_checking(lambda n, kernel: True), "a 0-wide kernel"),
                                           (_size_checking(lambda n, kernel: kernel >= 1), "0 pixels padded by 1"),
                                           (_size_checking(lambda n, kernel: kernel != 0 and n != 0),
                                            "a negative kernel with padding 2")],
                         ids=["only what the old text named", "kernel checked, not n", "only 0 rejected"])
def test_conv_output_size_wants_n_and_kernel_at_least_1(answer, where):
    verdict = judge(registry.get_exercise("conv_output_size"), answer)
    assert verdict.kind == WRONG and where in verdict.text, verdict.text
    assert verdict.mistake == "n and kernel not checked"


def _size_by_range(n, kernel, padding=0, stride=1):
    for value, low in ((n, 1), (kernel, 1), (padding, 0), (stride, 1)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError("not an int")
        if value < low:
            raise ValueError("below the range")
    if kernel > n + 2 * padding:
        raise ValueError("the kernel does not fit")
    return len(range(0, n + 2 * padding - kernel + 1, stride))  # the window's start positions


def _size_by_counting(n, kernel, padding=0, stride=1):
    if any(isinstance(value, bool) or not isinstance(value, int) for value in (n, kernel, padding, stride)):
        raise TypeError("not an int")
    if min(n, kernel, stride) < 1 or padding < 0 or kernel > n + 2 * padding:
        raise ValueError("invalid size")
    count, start = 0, 0
    while start + kernel <= n + 2 * padding:
        count, start = count + 1, start + stride
    return count


def _size_by_checking_the_result(n, kernel, padding=0, stride=1):
    if any(isinstance(value, bool) or not isinstance(value, int) for value in (n, kernel, padding, stride)):
        raise TypeError("not an int")
    if n < 1 or kernel < 1 or stride < 1 or padding < 0:
        raise ValueError("below the range")
    out = (n + 2 * padding - kernel) // stride + 1
    if out < 1:  # the same as kernel > n + 2 * padding: the floor of a negative quotient is at most -1
        raise ValueError("the kernel does not fit")
    return out


@pytest.mark.parametrize("answer", [_size_by_range, _size_by_counting, _size_by_checking_the_result],
                         ids=["len(range(...))", "a while loop", "the result checked instead of the width"])
def test_conv_output_size_accepts_right_answers_that_check_n_and_kernel(answer):
    _passes("conv_output_size", answer)


def _cnn_with(conv=None, dense=None):
    def build(filters1=16, filters2=32, n_classes=10, dropout=0.3):
        import keras
        from keras import layers

        conv_settings, dense_settings = conv or {}, dense or {}
        return keras.Sequential([
            keras.Input(shape=(28, 28, 1)), layers.Conv2D(filters1, 3, activation="relu", **conv_settings),
            layers.MaxPooling2D(2), layers.Conv2D(filters2, 3, activation="relu", **conv_settings),
            layers.MaxPooling2D(2), layers.Flatten(), layers.Dropout(dropout),
            layers.Dense(n_classes, activation="softmax", **dense_settings)])
    return build


@pytest.mark.parametrize("answer, mistake", [
    (catalogued("build_cnn", "regularised weights"), "regularised weights"),
    (_cnn_with(dense={"activity_regularizer": "l1"}), ""),
    (_cnn_with(conv={"kernel_constraint": "max_norm"}), "")],
    ids=["L2 on the convolutions", "L1 activity penalty on the output", "max-norm constraint"])
def test_build_cnn_rejects_regularisers_and_constraints(answer, mistake):
    pytest.importorskip("keras")
    verdict = judge(registry.get_exercise("build_cnn"), answer)
    assert verdict.kind == WRONG and "no regularizer or constraint" in verdict.text, verdict.text
    assert verdict.mistake == mistake


def _cnn_with_tf_activations(filters1=16, filters2=32, n_classes=10, dropout=0.3):
    import keras
    import tensorflow as tf
    from keras import layers

    return keras.Sequential([  # as TensorFlow's own tutorials write them; tf.nn.softmax is named softmax_v2
        keras.Input(shape=(28, 28, 1)), layers.Conv2D(filters1, 3, activation=tf.nn.relu), layers.MaxPooling2D(2),
        layers.Conv2D(filters2, 3, activation=tf.nn.relu), layers.MaxPooling2D(2), layers.Flatten(),
        layers.Dropout(dropout), layers.Dense(n_classes, activation=tf.nn.softmax)])


def _cnn_added_layer_by_layer(filters1=16, filters2=32, n_classes=10, dropout=0.3):
    import keras
    from keras import layers

    model = keras.Sequential()
    model.add(keras.Input(shape=(28, 28, 1)))
    for filters in (filters1, filters2):
        model.add(layers.Conv2D(filters, (3, 3), activation=keras.activations.relu))
        model.add(layers.MaxPool2D(pool_size=(2, 2)))
    model.add(layers.Flatten())
    model.add(layers.Dropout(rate=dropout))
    model.add(layers.Dense(units=n_classes, activation=keras.activations.softmax))
    return model


@pytest.mark.parametrize("answer", [_cnn_with_tf_activations, _cnn_added_layer_by_layer],
                         ids=["tf.nn.relu and tf.nn.softmax", "model.add, MaxPool2D and activation functions"])
def test_build_cnn_accepts_activations_given_as_functions(answer):
    pytest.importorskip("tensorflow")
    _passes("build_cnn", answer)


def test_build_cnn_says_that_it_switched_progress_output_off():
    keras = pytest.importorskip("keras")

    def silenced(filters1=16, filters2=32, n_classes=10, dropout=0.3):
        keras.utils.disable_interactive_logging()
        return reference_copy("build_cnn")(filters1, filters2, n_classes, dropout)

    interactive = keras.utils.is_interactive_logging_enabled()
    verdict = judge(registry.get_exercise("build_cnn"), silenced)
    assert keras.utils.is_interactive_logging_enabled() == interactive  # the check put it back
    assert verdict.kind == WRONG and "switched Keras' progress output off" in verdict.text, verdict.text
    assert "set_floatx" not in verdict.text



# lessons 05 and 06 (round 11): pixels divided by 256, global random generators reseeded, the caller's batch changed
def _predict_dividing_by(divisor):
    def predict(model, image):
        image = np.asarray(image)
        if image.shape not in {(28, 28), (28, 28, 1)}:
            raise ValueError("expected one 28x28 image")
        return int(np.argmax(model.predict(image.reshape(1, 28, 28, 1) / divisor, verbose=0)[0]))
    return predict


def _predict_seeding_keras(model, image):
    import keras

    keras.utils.set_random_seed(0)  # "the same prediction every time"
    return reference_copy("predict_one_image")(model, image)


@pytest.mark.parametrize("answer, mistake", [
    (_predict_dividing_by(256.0), "scaled by 256"), (_predict_dividing_by(1 / 0.0039), "scaled by 256"),
    (_predict_seeding_keras, "random seed set")], ids=["/ 256", "* 0.0039", "keras.utils.set_random_seed(0)"])
def test_lesson_05_predict_one_image_divides_by_255_and_leaves_the_random_generators_alone(answer, mistake):
    """Both passed: no image lay close enough to a class boundary for a 0.4% darker image to change class, and
    nothing looked at numpy's or Python's global random generators. They start here where seed 0 leaves them (as
    after build_cnn's check): a reseed to 0 gives that state again, so comparing with the caller's state alone
    misses it (it did when this test ran after build_cnn's)."""
    pytest.importorskip("keras")
    import random

    np.random.seed(0)
    random.seed(0)
    verdict = judge(registry.get_exercise("predict_one_image"), answer)
    assert verdict.kind != PASSED and verdict.mistake == mistake, verdict.text


def _predict_in_float64_with_expand_dims(model, image):
    image = np.asarray(image, dtype=np.float64)
    if image.shape == (28, 28):
        image = image[..., np.newaxis]
    if image.shape != (28, 28, 1):
        raise ValueError("expected one 28x28 image")
    return model.predict(np.expand_dims(image / 255, axis=0), verbose=0).argmax(axis=-1).item()


def _predict_with_tensorflow_ops(model, image):
    import tensorflow as tf

    image = tf.convert_to_tensor(image)
    if tuple(image.shape) not in {(28, 28), (28, 28, 1)}:
        raise ValueError("expected one 28x28 image")
    return int(tf.argmax(model(tf.reshape(tf.cast(image, tf.float32) / 255.0, (1, 28, 28, 1))), axis=1)[0])


def _predict_scaling_a_float32_copy_in_place(model, image):
    image = np.array(image, dtype="float32")  # a copy: dividing it in place leaves the caller's image alone
    if image.shape not in {(28, 28), (28, 28, 1)}:
        raise ValueError("expected one 28x28 image")
    image /= 255.0
    return int(np.asarray(model.predict_on_batch(image.reshape((1, 28, 28, 1)))).argmax())


@pytest.mark.parametrize("answer", [_predict_in_float64_with_expand_dims, _predict_with_tensorflow_ops,
                                    _predict_scaling_a_float32_copy_in_place],
                         ids=["float64, expand_dims, .item()", "TensorFlow ops, model(batch)", "predict_on_batch"])
def test_lesson_05_predict_one_image_near_a_class_boundary_passes_right_answers_computed_another_way(answer):
    pytest.importorskip("keras")
    _passes("predict_one_image", answer)


def _step_making_x_require_gradients(model, loss_fn, optimizer, x, y):
    x.requires_grad_(True)
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def _step_centring_x_in_place(model, loss_fn, optimizer, x, y):
    x -= x.mean(dim=0)  # "centre the batch": changes the caller's tensor
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


@pytest.mark.parametrize("answer, reason", [
    (_step_making_x_require_gradients, "switched on requires_grad for the caller's x"),
    (catalogued("torch_train_step", "x made to require gradients"), "switched on requires_grad for the caller's x"),
    (_step_centring_x_in_place, "changed the caller's x or y in place")],
    ids=["x.requires_grad_(True)", "catalogued", "x -= x.mean(0)"])
def test_lesson_06_torch_train_step_leaves_the_callers_batch_alone(answer, reason):
    """x.requires_grad_(True) passed: nothing looked at the caller's x after the step."""
    pytest.importorskip("torch")
    with pytest.raises(ExerciseFailed, match=reason):
        check("torch_train_step", answer, strict=True)


def _step_with_autograd_grad(model, loss_fn, optimizer, x, y):
    import torch

    optimizer.zero_grad()  # still needed: a frozen layer gets no new gradient and would keep its stale one
    loss = loss_fn(model(x), y)
    params = [p for p in model.parameters() if p.requires_grad]
    for p, grad in zip(params, torch.autograd.grad(loss, params)):
        p.grad = grad
    optimizer.step()
    return loss.item()


def _step_on_a_detached_copy_of_x(model, loss_fn, optimizer, x, y):
    x = x.detach().clone().requires_grad_(True)  # a copy of its own: the caller's x is left alone
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return float(loss)


@pytest.mark.parametrize("answer", [_step_with_autograd_grad, _step_on_a_detached_copy_of_x],
                         ids=["torch.autograd.grad", "a copy of x that requires gradients"])
def test_lesson_06_torch_train_step_passes_right_answers_that_leave_x_alone(answer):
    pytest.importorskip("torch")
    _passes("torch_train_step", answer)


def _step_rebuilding_cross_entropy_from_reduction_and_smoothing(model, loss_fn, optimizer, x, y):
    from torch import nn
    from torch.nn import functional

    optimizer.zero_grad()
    out = model(x)
    if isinstance(loss_fn, nn.CrossEntropyLoss):  # copies the two settings the cases used to vary
        loss = functional.cross_entropy(out, y, reduction=loss_fn.reduction, label_smoothing=loss_fn.label_smoothing)
    else:
        loss = loss_fn(out, y)
    loss.backward()
    optimizer.step()
    return loss.item()


def test_lesson_06_torch_train_step_tries_a_cross_entropy_with_class_weights_and_ignore_index():
    """A cross-entropy rebuilt from the caller's reduction and label smoothing passed: no case had class weights or
    ignore_index, the settings it drops."""
    pytest.importorskip("torch")
    for answer in (_step_rebuilding_cross_entropy_from_reduction_and_smoothing,
                   catalogued("torch_train_step", "cross-entropy rebuilt with its settings")):
        verdict = judge(registry.get_exercise("torch_train_step"), answer)
        assert verdict.kind != PASSED and verdict.mistake == "cross-entropy rebuilt with its settings", verdict.text
        assert "class weights" in verdict.text


# lessons 05 and 06 (round 12): a prediction in training mode, gradients that hold a graph
def _predict_with_dropout_active(model, image):
    image = np.asarray(image)
    if image.shape not in {(28, 28), (28, 28, 1)}:
        raise ValueError("expected one 28x28 image")
    batch = image.reshape(1, 28, 28, 1) / 255.0
    return int(np.argmax(model(batch, training=True)[0]))  # as for the augmentation layers of 05c


def test_lesson_05_predict_one_image_names_a_prediction_in_training_mode():
    """Rejected only for a wrong class, and then named "scaled twice" ("divide by 255 once, as floats"), which blames
    the scaling the answer got right. The check model is rebuilt after a seed so that its dropout draws are the same
    on every run."""
    keras = pytest.importorskip("keras")
    from course_utils.exercises import keras_cnn

    keras_cnn._predict_model.cache_clear()
    keras.utils.set_random_seed(0)
    verdict = judge(registry.get_exercise("predict_one_image"), _predict_with_dropout_active)
    assert verdict.kind != PASSED and verdict.mistake == "training mode", verdict.text
    assert "different classes when called again" in verdict.text


def _predict_with_training_false(model, image):
    image = np.atleast_3d(np.asarray(image))  # (28, 28) -> (28, 28, 1); (28, 28, 1) stays
    if image.shape != (28, 28, 1):
        raise ValueError("expected one 28x28 image")
    return int(np.argmax(model(image[np.newaxis] / 255.0, training=False)[0]))


def _predict_with_the_progress_bar(model, image):
    image = np.asarray(image)
    if image.shape not in {(28, 28), (28, 28, 1)}:
        raise ValueError("expected one 28x28 image")
    return int(model.predict(image.reshape((1, *model.input_shape[1:])) / 255.0)[0].argmax())  # verbose left on


@pytest.mark.parametrize("answer", [_predict_with_training_false, _predict_with_the_progress_bar],
                         ids=["atleast_3d, model(batch, training=False)", "input_shape, predict with verbose on"])
def test_lesson_05_predict_one_image_called_three_times_passes_right_answers(answer):
    pytest.importorskip("keras")
    _passes("predict_one_image", answer)


def _step_creating_a_graph(model, loss_fn, optimizer, x, y):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward(create_graph=True)  # each p.grad now requires grad and holds a graph back to p
    optimizer.step()
    return loss.item()


@pytest.mark.parametrize("answer", [_step_creating_a_graph, catalogued("torch_train_step", "gradients with a graph")],
                         ids=["backward(create_graph=True)", "catalogued"])
def test_lesson_06_torch_train_step_rejects_gradients_that_hold_a_graph(answer):
    """Passed: the weights are the same, and nothing looked at what backward() left in p.grad."""
    pytest.importorskip("torch")
    verdict = judge(registry.get_exercise("torch_train_step"), answer)
    assert verdict.kind != PASSED and verdict.mistake == "gradients with a graph", verdict.text
    assert "hold a graph of their own" in verdict.text


def _step_with_a_closure(model, loss_fn, optimizer, x, y):
    def closure():
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        return loss

    return optimizer.step(closure).item()


def _step_zeroing_after_the_forward_pass(model, loss_fn, optimizer, x, y):
    import torch

    loss = loss_fn(model(x), y)
    model.zero_grad(set_to_none=False)  # still before backward(): zeros instead of None
    loss.backward()
    with torch.no_grad():
        optimizer.step()
    return float(loss.detach())


@pytest.mark.parametrize("answer", [_step_with_a_closure, _step_zeroing_after_the_forward_pass],
                         ids=["optimizer.step(closure)", "model.zero_grad(set_to_none=False) after the forward pass"])
def test_lesson_06_torch_train_step_passes_right_answers_written_another_way(answer):
    pytest.importorskip("torch")
    _passes("torch_train_step", answer)


# lesson 05 (round 12): non-finite and large pixels, a seed or a noise_shape inside build_cnn
def _conv_windows(finish):
    def conv(image, kernel):
        image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
        if image.ndim != 2 or kernel.ndim != 2:
            raise ValueError("image and kernel must be 2-D")
        if kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
            raise ValueError("the kernel is larger than the image")
        return finish(np.lib.stride_tricks.sliding_window_view(image, kernel.shape), kernel)
    return conv


_conv_nansum = _conv_windows(lambda windows, kernel: np.nansum(windows * kernel, axis=(2, 3)))
_conv_nan_to_num = _conv_windows(lambda windows, kernel: np.nan_to_num(np.einsum("ijkl,kl->ij", windows, kernel)))
_conv_in_int32_for_whole_numbers = _conv_windows(
    lambda windows, kernel: np.einsum("ijkl,kl->ij", windows.astype(np.int32), kernel.astype(np.int32)).astype(float)
    if np.all(windows == np.round(windows)) and np.all(kernel == np.round(kernel))
    else np.einsum("ijkl,kl->ij", windows, kernel))


@pytest.mark.parametrize("answer, where", [
    (_conv_nansum, "a NaN, an inf"), (_conv_nan_to_num, "a NaN, an inf"),
    (_conv_in_int32_for_whole_numbers, "beyond int32")], ids=["np.nansum", "np.nan_to_num", "int32 for whole numbers"])
def test_lesson_05_conv2d_valid_tries_non_finite_and_large_whole_number_pixels(answer, where):
    """All three passed: no image had a NaN or an inf pixel, and no whole-number image went beyond int32."""
    verdict = judge(registry.get_exercise("conv2d_valid"), answer)
    assert verdict.kind == WRONG and where in verdict.text, verdict.text


def _conv_by_shifted_sums(image, kernel):
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("expected a 2-D kernel no larger than the 2-D image")
    (kh, kw), rows, cols = kernel.shape, image.shape[0] - kernel.shape[0] + 1, image.shape[1] - kernel.shape[1] + 1
    out = np.zeros((rows, cols))
    for u, v in np.ndindex(kh, kw):
        out += kernel[u, v] * image[u:u + rows, v:v + cols]  # inf * 0 never happens: each term is one weight's
    return out


@pytest.mark.parametrize("answer", [_conv_windows(lambda windows, kernel: np.einsum("ijkl,kl->ij", windows, kernel)),
                                    _conv_by_shifted_sums],
                         ids=["sliding_window_view and einsum", "one shifted image per kernel weight"])
def test_lesson_05_conv2d_valid_passes_right_answers_on_non_finite_pixels(answer):
    _passes("conv2d_valid", answer)


def _cnn_seeded_with(seed):
    def build(filters1=16, filters2=32, n_classes=10, dropout=0.3):
        seed()  # "the same starting weights every time"
        return reference_copy("build_cnn")(filters1, filters2, n_classes, dropout)
    return build


@pytest.mark.parametrize("answer", ["keras", "numpy", "catalogued"])
def test_lesson_05_build_cnn_leaves_numpys_random_generator_alone(answer):
    """keras.utils.set_random_seed(42) and np.random.seed(0) inside build_cnn passed: nothing looked at numpy's global
    random generator (the check reseeds it itself before each build)."""
    keras = pytest.importorskip("keras")
    answer = {"keras": _cnn_seeded_with(lambda: keras.utils.set_random_seed(42)),
              "numpy": _cnn_seeded_with(lambda: np.random.seed(0)),
              "catalogued": catalogued("build_cnn", "random seed set")}[answer]
    verdict = judge(registry.get_exercise("build_cnn"), answer)
    assert verdict.kind == WRONG and "numpy's global random generator" in verdict.text, verdict.text
    assert verdict.mistake == "random seed set"


def test_lesson_05_build_cnn_rejects_a_dropout_noise_shape_and_passes_a_dropout_seed():
    """Dropout(dropout, noise_shape=(1, None)) passed: the check compared the rate only, and its output runs without
    dropout."""
    pytest.importorskip("keras")
    verdict = judge(registry.get_exercise("build_cnn"), _cnn_with_dropout({"noise_shape": (1, None)}))
    assert verdict.kind == WRONG and "noise_shape=(1, None)" in verdict.text, verdict.text
    _passes("build_cnn", _cnn_with_dropout({"seed": 0}))


def _cnn_with_dropout(settings):
    def build(filters1=16, filters2=32, n_classes=10, dropout=0.3):
        import keras
        from keras import layers

        return keras.Sequential([
            keras.Input(shape=(28, 28, 1)), layers.Conv2D(filters1, 3, activation="relu"), layers.MaxPooling2D(2),
            layers.Conv2D(filters2, 3, activation="relu"), layers.MaxPooling2D(2), layers.Flatten(),
            layers.Dropout(dropout, **settings), layers.Dense(n_classes, activation="softmax")])
    return build



# lesson 05 (round 13): small-integer products, sizes beyond float64's whole numbers, None for an int, Keras' training
# caps and dead ReLUs inside build_cnn
def _conv_in_the_inputs_dtype(finish):
    def conv(image, kernel):
        image, kernel = np.asarray(image), np.asarray(kernel)  # no float conversion: uint8 * uint8 stays uint8
        if image.ndim != 2 or kernel.ndim != 2:
            raise ValueError("image and kernel must be 2-D")
        if kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
            raise ValueError("the kernel is larger than the image")
        return finish(image, kernel)
    return conv


def _conv_windows_summed(image, kernel):
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for i, j in np.ndindex(out.shape):
        out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
    return out


@pytest.mark.parametrize("answer", [
    _conv_in_the_inputs_dtype(_conv_windows_summed),
    _conv_in_the_inputs_dtype(lambda image, kernel: np.einsum(
        "ijkl,kl->ij", np.lib.stride_tricks.sliding_window_view(image, kernel.shape), kernel).astype(float))],
    ids=["window * kernel in the inputs' dtype", "einsum in the inputs' dtype"])
def test_lesson_05_conv2d_valid_tries_products_that_overflow_a_uint8(answer):
    """Both passed: no case had whole-number pixels and weights in a dtype whose products overflow (a uint8 image under
    a uint8 kernel gives 255 * 4 = 1020 mod 256)."""
    verdict = judge(registry.get_exercise("conv2d_valid"), answer)
    assert verdict.kind == WRONG and "uint8 blur kernel" in verdict.text, verdict.text


def test_lesson_05_conv2d_valid_passes_a_whole_number_map_of_whole_number_inputs():
    """A map in int64 for integer pixels and weights has the right values: its dtype is a matter of taste."""
    def conv(image, kernel):
        image, kernel = np.asarray(image), np.asarray(kernel)
        whole = image.dtype.kind in "iu" and kernel.dtype.kind in "iu"
        return reference_copy("conv2d_valid")(image, kernel).astype(np.int64 if whole else float)
    _passes("conv2d_valid", conv)


def _size_through_a_float(rounding):
    def size(n, kernel, padding=0, stride=1):
        for value, low in ((n, 1), (kernel, 1), (padding, 0), (stride, 1)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError("not an int")
            if value < low:
                raise ValueError("below the range")
        if kernel > n + 2 * padding:
            raise ValueError("the kernel does not fit")
        return rounding((n + 2 * padding - kernel) / stride) + 1
    return size


@pytest.mark.parametrize("rounding", [int, math.floor], ids=["int(x / s) + 1", "math.floor(x / s) + 1"])
def test_lesson_05_conv_output_size_tries_a_quotient_a_float_rounds_up(rounding):
    """Both passed: every size was small, where a float quotient is exact; beyond 2**53 it rounds."""
    verdict = judge(registry.get_exercise("conv_output_size"), _size_through_a_float(rounding))
    assert verdict.kind == WRONG and "2**53" in verdict.text and verdict.mistake == "floor of a float quotient", \
        verdict.text


def _none_as_the_default(name, defaults):
    reference = reference_copy(name)
    signature = inspect.signature(reference)

    def answer(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        for key, value in defaults.items():
            if bound.arguments.get(key, 0) is None:
                bound.arguments[key] = value  # "None means the default"
        return reference(*bound.args, **bound.kwargs)
    answer.__signature__ = signature
    return answer


@pytest.mark.parametrize("name, defaults, where", [
    ("conv_output_size", {"padding": 0, "stride": 1}, "a padding of None"),
    ("cnn_param_count", {"n_classes": 10, "size": 28, "kernel": 3}, "n_classes=None")])
def test_lesson_05_sizes_refuse_none_for_an_int(name, defaults, where):
    """Both passed: no case gave None, which is not an int (the exercises ask for TypeError)."""
    verdict = judge(registry.get_exercise(name), _none_as_the_default(name, defaults))
    assert verdict.kind == WRONG and where in verdict.text and "TypeError" in verdict.text, verdict.text


@pytest.mark.parametrize("cap", ["set_max_epochs", "set_max_steps_per_epoch"])
def test_lesson_05_build_cnn_leaves_keras_training_caps_alone(cap):
    """keras.config.set_max_epochs(1) inside build_cnn passed, and stayed set: every later fit() of the notebook
    trained one epoch."""
    keras = pytest.importorskip("keras")
    if not hasattr(keras.config, cap):
        pytest.skip(f"this Keras has no keras.config.{cap}")

    def build(filters1=16, filters2=32, n_classes=10, dropout=0.3):
        getattr(keras.config, cap)(1)  # "to make it faster"
        return reference_copy("build_cnn")(filters1, filters2, n_classes, dropout)
    verdict = judge(registry.get_exercise("build_cnn"), build)
    assert verdict.kind == WRONG and cap in verdict.text, verdict.text
    assert keras.config.max_epochs() is None and keras.config.max_steps_per_epoch() is None


def _cnn_with_conv_settings(**settings):
    def build(filters1=16, filters2=32, n_classes=10, dropout=0.3):
        import keras
        from keras import layers

        return keras.Sequential([
            keras.Input(shape=(28, 28, 1)), layers.Conv2D(filters1, 3, activation="relu", **settings),
            layers.MaxPooling2D(2), layers.Conv2D(filters2, 3, activation="relu", **settings), layers.MaxPooling2D(2),
            layers.Flatten(), layers.Dropout(dropout), layers.Dense(n_classes, activation="softmax")])
    return build


def test_lesson_05_build_cnn_rejects_relus_dead_from_the_start():
    """bias_initializer=Constant(-10) passed: the check set its own weights before comparing outputs, so a model whose
    ReLUs are all off at the start (and which never trains) looked like the lesson's."""
    keras = pytest.importorskip("keras")
    verdict = judge(registry.get_exercise("build_cnn"),
                    _cnn_with_conv_settings(bias_initializer=keras.initializers.Constant(-10.0)))
    assert verdict.kind == WRONG and "layer 1 (Conv2D) gives only zeros from the start" in verdict.text, verdict.text
    _passes("build_cnn", _cnn_with_conv_settings(bias_initializer="ones"))


def _accuracy_from_predictions(predict):
    def accuracy(y_true, probabilities):
        y_true, probabilities = np.asarray(y_true), np.asarray(probabilities)
        if probabilities.ndim != 2 or y_true.shape != (len(probabilities),):
            raise ValueError("shapes")
        return predict(y_true, probabilities)
    return accuracy


@pytest.mark.parametrize("answer", [
    _accuracy_from_predictions(lambda y, p: 1 - float(np.mean(np.argmax(p, axis=1) == y))),
    _accuracy_from_predictions(lambda y, p: float(np.mean(np.argmin(p, axis=1) == y)))],
    ids=["1 - accuracy", "argmin"])
def test_lesson_05_accuracy_from_probs_names_argmax_without_axis_only_for_it(answer):
    """Both were told 'np.argmax without axis= gives one index into the flattened array': on the first case (three
    rows) they gave 1/3, as the flat argmax does."""
    verdict = judge(registry.get_exercise("accuracy_from_probs"), answer)
    assert verdict.kind == WRONG and verdict.mistake == "" and "flattened" not in verdict.text, verdict.text
    flat = judge(registry.get_exercise("accuracy_from_probs"), catalogued("accuracy_from_probs", "argmax without axis"))
    assert flat.mistake == "argmax without axis", flat.text


# round 14 (a1406): torch_train_step and predict_one_image
def _train_step_with(before_step=None, first=None):
    """The five steps, with ``first(model)`` run before them and ``before_step(model, optimizer, loss)`` run between
    loss.backward() and optimizer.step() (return False to skip the step)."""
    def train_step(model, loss_fn, optimizer, x, y):
        if first:
            first(model)
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        if before_step is None or before_step(model, optimizer, loss) is not False:
            optimizer.step()
        return loss.item()
    return train_step


def _clip_norm_at(max_norm):
    def clip(model, optimizer, loss):
        import torch

        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    return clip


def _optimizer_state_capped(model, optimizer, loss):
    optimizer.step()                                   # then the momentum buffers capped at +-1000
    for state in optimizer.state.values():
        for value in state.values():
            if hasattr(value, "clamp_") and value.ndim:
                value.clamp_(-1e3, 1e3)
    return False


@pytest.mark.parametrize("answer", [
    _train_step_with(_clip_norm_at(1e3)), _train_step_with(_clip_norm_at(1e10)), _train_step_with(_optimizer_state_capped),
    _train_step_with(lambda model, optimizer, loss: loss.item() >= 1e-3)],
    ids=["clip_grad_norm_ at 1000", "clip_grad_norm_ at 1e10", "momentum buffers capped at 1000",
         "step skipped when the loss is below 1e-3"])
def test_lesson_06a_train_step_takes_the_step_however_large_or_small_the_gradient(answer):
    """Clipping the gradient's norm at 1000 (or capping the optimizer's state there) passed: no case's gradient came
    near it; and so did skipping the step when the loss was small (no case's loss was below 1e-3)."""
    verdict = judge(registry.get_exercise("torch_train_step"), answer)
    assert verdict.kind == WRONG and "the weights after two steps are wrong" in verdict.text, verdict.text


def _hook_left(model):
    if not any(module._forward_hooks for module in model.modules()):
        model.register_forward_hook(lambda module, inputs, output: None)   # "to look at the outputs", left on


def _gradient_hooks_left(model):
    for p in model.parameters():
        p.register_hook(lambda grad: grad.clamp(-1e13, 1e13))            # added at every step, never removed


def _nan_gradients_zeroed(model, optimizer, loss):
    for p in model.parameters():
        if p.grad is not None:
            p.grad.nan_to_num_(0.0)                         # "protect the weights" from a broken batch


@pytest.mark.parametrize("answer", [
    _train_step_with(_nan_gradients_zeroed), _train_step_with(lambda model, optimizer, loss: bool(loss.isfinite()))],
    ids=["NaN gradients zeroed", "step skipped when the loss is NaN"])
def test_lesson_06a_train_step_spreads_a_nan_batch_into_the_weights(answer):
    """Zeroing NaN gradients, or skipping the step on a NaN loss, passed: no case held a NaN."""
    verdict = judge(registry.get_exercise("torch_train_step"), answer)
    assert verdict.kind == WRONG and verdict.mistake == "non-finite steps skipped", verdict.text


@pytest.mark.parametrize("first", [_hook_left, _gradient_hooks_left], ids=["forward hook", "gradient hooks"])
def test_lesson_06a_train_step_rejects_hooks_left_on_the_model(first):
    """A hook registered on the caller's model and never removed passed: nothing compared the model's hooks."""
    verdict = judge(registry.get_exercise("torch_train_step"), _train_step_with(first=first))
    assert verdict.kind == WRONG and "left a hook on the caller's model" in verdict.text, verdict.text


def _train_step_by_closure(model, loss_fn, optimizer, x, y):
    def closure():
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        return loss
    return optimizer.step(closure).item()       # step(closure) returns the closure's loss, before the update


@pytest.mark.parametrize("answer", [_train_step_with(first=lambda model: model.zero_grad()), _train_step_by_closure],
                         ids=["model.zero_grad() too", "optimizer.step(closure)"])
def test_lesson_06a_train_step_still_passes_right_answers_of_round_14(answer):
    _passes("torch_train_step", answer)


def _predict_then(before):
    def predict_one_image(model, image):
        reference = reference_copy("predict_one_image")

        before()
        return reference(model, image)
    return predict_one_image


def _tf_seeded():
    import tensorflow as tf

    tf.random.set_seed(0)                              # "the same prediction every time"


def test_lesson_05c_predict_one_image_leaves_tensorflows_random_generator_alone():
    """tf.random.set_seed(0) passed: only numpy's and Python's generators were watched, and TensorFlow's global seed
    also drives fit()'s shuffling. The check puts the caller's TensorFlow seed back."""
    tf = pytest.importorskip("tensorflow")
    from tensorflow.python.eager import context

    before = context.context()._seed
    verdict = judge(registry.get_exercise("predict_one_image"), _predict_then(_tf_seeded))
    assert verdict.kind == WRONG and "tf.random" in verdict.text, verdict.text
    assert context.context()._seed == before
    del tf


def _predict_rounded(rounding):
    def predict_one_image(model, image):
        image = np.asarray(image)
        if image.shape not in {(28, 28), (28, 28, 1)}:
            raise ValueError("expected one 28x28 image")
        batch = rounding(image.reshape(1, 28, 28, 1) / 255.0)
        return int(np.argmax(model.predict(batch, verbose=0)[0]))
    return predict_one_image


def _to_bfloat16(batch):
    ml_dtypes = pytest.importorskip("ml_dtypes")
    return batch.astype(ml_dtypes.bfloat16).astype("float32")


@pytest.mark.parametrize("rounding", [_to_bfloat16, lambda batch: np.round(batch, 3)], ids=["bfloat16", "3 decimals"])
def test_lesson_05c_predict_one_image_rejects_coarsely_rounded_pixels(rounding):
    """Scaled pixels rounded to bfloat16 or to 3 decimals passed: the rounded-noise case catches float16 and 2
    decimals only."""
    pytest.importorskip("keras")
    verdict = judge(registry.get_exercise("predict_one_image"), _predict_rounded(rounding))
    assert verdict.kind == WRONG and "a third class boundary" in verdict.text, verdict.text


def test_lesson_05c_predict_one_image_accepts_the_model_called_directly():
    pytest.importorskip("keras")

    def predict_one_image(model, image):
        image = np.asarray(image)
        if image.shape not in {(28, 28), (28, 28, 1)}:
            raise ValueError("expected one 28x28 image")
        return int(np.argmax(np.asarray(model(image.reshape(1, 28, 28, 1) / 255.0, training=False))[0]))
    _passes("predict_one_image", predict_one_image)


def _predict_refusing_black_images(model, image):
    reference = reference_copy("predict_one_image")

    if np.asarray(image).max() == 0:
        raise ValueError("the image is empty")         # "nothing to classify"
    return reference(model, image)


def test_lesson_05c_predict_one_image_classifies_an_all_black_image():
    """Refusing an all-black image with ValueError passed: every image of the cases had a pixel above 0."""
    pytest.importorskip("keras")
    verdict = judge(registry.get_exercise("predict_one_image"), _predict_refusing_black_images)
    assert verdict.kind == WRONG and "all-black image" in verdict.text, verdict.text


# lesson 05 (round 14): class numbers beyond 8 and 16 bits and float64 near ties in accuracy_from_probs; Python's and
# TensorFlow's global seeds and TensorFlow's op determinism inside build_cnn (and predict_one_image)
@pytest.mark.parametrize("answer, mistake, where", [
    (_accuracy_from_predictions(lambda y, p: float(np.mean(np.argmax(p, axis=1).astype(y.dtype) == y))),
     "class numbers cast to 8 bits", "uint8 labels (as Keras' data sets store them) and 301 classes"),
    (_accuracy_from_predictions(lambda y, p: float(np.mean(np.argmax(p, axis=1) == y.astype(np.uint8)))),
     "class numbers cast to 8 bits", "100,003 classes"),
    (_accuracy_from_predictions(lambda y, p: float(np.mean(np.argmax(p, axis=1) == y.astype(np.int16)))),
     "", "100,003 classes"),
    (_accuracy_from_predictions(lambda y, p: float(np.mean(np.isclose(np.argmax(p, axis=1), y)))),
     "", "100,003 classes"),
    (_accuracy_from_predictions(lambda y, p: float(np.mean(np.argmax(p.astype(np.float32), axis=1) == y))),
     "", "float32 rounds both to 0.5"),
], ids=["predictions cast to the labels' uint8", "labels cast to uint8", "labels cast to int16", "np.isclose",
        "probabilities cast to float32"])
def test_lesson_05_accuracy_from_probs_tries_class_numbers_beyond_16_bits_and_a_float64_near_tie(answer, mistake,
                                                                                                 where):
    """All passed: no case had more than 24 classes, so class numbers wrapped round in a uint8, int8 or int16, or
    called equal by np.isclose (within 1e-5 of their size), never met; and no two float64 probabilities were closer
    than float32 can tell apart."""
    verdict = judge(registry.get_exercise("accuracy_from_probs"), answer)
    assert verdict.kind == WRONG and where in verdict.text and verdict.mistake == mistake, verdict.text


@pytest.mark.parametrize("answer", [
    _accuracy_from_predictions(lambda y, p: np.count_nonzero(p.argmax(axis=1) == y) / y.size),
    _accuracy_from_predictions(lambda y, p: sum(int(np.argmax(row) == label) for row, label in zip(p, y)) / len(y)),
    _accuracy_from_predictions(lambda y, p: float(np.mean(np.argmax(p, axis=1).astype(np.int64) ==
                                                          y.astype(np.int64))))],
    ids=["count_nonzero / size", "row by row", "both as int64"])
def test_lesson_05_accuracy_from_probs_passes_right_answers_with_many_classes(answer):
    _passes("accuracy_from_probs", answer)


def _cnn_after(prepare):
    def build(filters1=16, filters2=32, n_classes=10, dropout=0.3):
        prepare()
        return reference_copy("build_cnn")(filters1, filters2, n_classes, dropout)
    return build


def _tf_seed_now():
    from tensorflow.python.eager import context

    return context.context()._seed, context.context()._rng


@pytest.mark.parametrize("reseed", ["random.seed", "tf.random.set_seed"])
def test_lesson_05_build_cnn_leaves_pythons_and_tensorflows_random_generators_alone(reseed):
    """Both passed: the check watched numpy's generator only (a build draws Keras' seeds from Python's), so a
    random.seed(42) or tf.random.set_seed(42) "for the same starting weights" stayed in force for the notebook."""
    pytest.importorskip("keras")
    import random

    import tensorflow as tf

    tf.random.set_seed(7)
    random.seed(7)
    random.random()
    python_before, tf_before, numpy_before = random.getstate(), _tf_seed_now(), np.random.get_state()
    prepare = (lambda: random.seed(42)) if reseed == "random.seed" else (lambda: tf.random.set_seed(42))
    verdict = judge(registry.get_exercise("build_cnn"), _cnn_after(prepare))
    assert verdict.kind == WRONG and "reseeded Python's or TensorFlow's global random generator" in verdict.text, \
        verdict.text
    assert random.getstate() == python_before and _tf_seed_now()[0] == tf_before[0]
    assert _tf_seed_now()[1] is tf_before[1] and np.array_equal(np.random.get_state()[1], numpy_before[1])


def test_lesson_05_build_cnn_and_predict_one_image_leave_op_determinism_alone():
    """Both passed, and left TensorFlow's op determinism on for the rest of the notebook (every later op without a
    deterministic kernel raises); a tf.random.set_seed(0) inside predict_one_image passed too."""
    pytest.importorskip("keras")
    import tensorflow as tf
    from tensorflow.python.framework import config

    verdict = judge(registry.get_exercise("build_cnn"), _cnn_after(tf.config.experimental.enable_op_determinism))
    assert verdict.kind == WRONG and "op determinism" in verdict.text, verdict.text
    assert not config.is_op_determinism_enabled()
    reference = reference_copy("predict_one_image")

    def predict(model, image):
        tf.config.experimental.enable_op_determinism()  # "the same class every time"
        return reference(model, image)

    def seeded(model, image):
        tf.random.set_seed(0)
        return reference(model, image)

    verdict = judge(registry.get_exercise("predict_one_image"), predict)
    assert verdict.kind == WRONG and "op determinism" in verdict.text, verdict.text
    assert not config.is_op_determinism_enabled()
    verdict = judge(registry.get_exercise("predict_one_image"), seeded)
    assert verdict.kind == WRONG and "tf.random.set_seed" in verdict.text, verdict.text


def test_lesson_05_build_cnn_leaves_xla_compilation_alone():
    """tf.config.optimizer.set_jit(True) ("to make it faster") inside build_cnn passed and stayed on: every later graph
    of the notebook was compiled with XLA first."""
    pytest.importorskip("keras")
    import tensorflow as tf

    verdict = judge(registry.get_exercise("build_cnn"), _cnn_after(lambda: tf.config.optimizer.set_jit(True)))
    assert verdict.kind == WRONG and "tf.config.optimizer.set_jit" in verdict.text, verdict.text
    assert not tf.config.optimizer.get_jit()

def test_lesson_05_build_cnn_passes_a_compiled_model_with_he_initialisation():
    keras = pytest.importorskip("keras")
    from keras import layers

    def build(filters1=16, filters2=32, n_classes=10, dropout=0.3):
        model = keras.Sequential([
            layers.Input((28, 28, 1)),
            layers.Conv2D(filters1, (3, 3), activation="relu", kernel_initializer="he_normal"),
            layers.MaxPool2D((2, 2)),
            layers.Conv2D(filters2, kernel_size=(3, 3), activation=keras.activations.relu,
                          kernel_initializer="he_normal"),
            layers.MaxPool2D(pool_size=2, strides=2), layers.Flatten(), layers.Dropout(rate=dropout),
            layers.Dense(units=n_classes, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        return model

    _passes("build_cnn", build)


def _conv_in(dtype):
    def conv(image, kernel):
        image, kernel = np.asarray(image), np.asarray(kernel)
        if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
            raise ValueError("bad shapes")
        if image.dtype.kind in "iu":
            image = image.astype(dtype)  # "whole-number pixels need no floats"
        image = image.astype(float) if image.dtype.kind == "f" else image
        kh, kw = kernel.shape
        return np.array([[np.sum(image[i:i + kh, j:j + kw] * kernel) for j in range(image.shape[1] - kw + 1)]
                         for i in range(image.shape[0] - kh + 1)])
    return conv


def _conv_remembered_by_sizes(image, kernel, _maps={}):
    key = np.shape(image), np.shape(kernel)
    if key not in _maps:
        _maps[key] = reference_copy("conv2d_valid")(image, kernel)
    return _maps[key]


@pytest.mark.parametrize("answer, where", [
    (_conv_in(np.int16), "a 16-bit image"),
    (_conv_remembered_by_sizes, ""),
], ids=["integer pixels as int16", "a map remembered by the sizes"])
def test_lesson_05_conv2d_valid_tries_16_bit_pixels_and_two_cases_of_the_same_sizes(answer, where):
    """Both passed: every integer image held values below 256 (or within +-50), and no two cases shared the sizes of
    their image and kernel."""
    verdict = judge(registry.get_exercise("conv2d_valid"), answer)
    assert verdict.kind == WRONG and where in verdict.text, verdict.text
    _passes("conv2d_valid", _conv_in(np.int64))


def test_lesson_05_cnn_param_count_names_no_argument_that_was_checked():
    """An answer that checked every argument but n_classes was told 'check all five arguments, not only filters1'."""
    def count(filters1, filters2, n_classes=10, size=28, kernel=3):
        for value in (filters1, filters2, n_classes, size, kernel):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError("not an int")
        if min(filters1, filters2, size, kernel) < 1:  # n_classes left out
            raise ValueError("below 1")
        side = ((size - kernel + 1) // 2 - kernel + 1) // 2
        if side < 1:
            raise ValueError("too small")
        return (kernel * kernel + 1) * filters1 + (kernel * kernel * filters1 + 1) * filters2 + \
            (side * side * filters2 + 1) * n_classes

    verdict = judge(registry.get_exercise("cnn_param_count"), count)
    assert verdict.kind == WRONG and "zero classes" in verdict.text and "not only filters1" not in verdict.text
    assert "this input has one below 1" in verdict.text, verdict.text


def _cnn_capped_at_20(make):
    def build(filters1=16, filters2=32, n_classes=10, dropout=0.3):
        import keras
        from keras import layers

        def conv(filters):
            if make == "layer":  # layers.ReLU(max_value=20.0) after a Conv2D without activation
                return [layers.Conv2D(filters, 3), layers.ReLU(max_value=20.0)]
            return [layers.Conv2D(filters, 3, activation=lambda x: keras.activations.relu(x, max_value=20.0))]
        return keras.Sequential([
            keras.Input(shape=(28, 28, 1)), *conv(filters1), layers.MaxPooling2D(2), *conv(filters2),
            layers.MaxPooling2D(2), layers.Flatten(), layers.Dropout(dropout),
            layers.Dense(n_classes, activation="softmax")])
    return build


@pytest.mark.parametrize("make", ["layer", "function"])
def test_lesson_05_build_cnn_rejects_a_relu_capped_above_the_checks_activations(make):
    """Both passed: a ReLU layer counted as 'relu' whatever its settings, and the probe of an activation function
    went up to 7.5; only the output comparison could see a cap, and the check's activations stay below 20."""
    pytest.importorskip("keras")
    verdict = judge(registry.get_exercise("build_cnn"), _cnn_capped_at_20(make))
    assert verdict.kind == WRONG and "layer 1 (Conv2D) has activation" in verdict.text, verdict.text


def test_lesson_05_build_cnn_builds_a_new_model_on_every_call():
    """A builder that kept its models and returned the same one for the same arguments passed: no two cases had the
    same arguments. In a notebook a second training would start from the weights the first one left."""
    pytest.importorskip("keras")
    built = {}

    def build(filters1=16, filters2=32, n_classes=10, dropout=0.3):
        key = filters1, filters2, n_classes, dropout
        if key not in built:
            built[key] = reference_copy("build_cnn")(*key)
        return built[key]

    verdict = judge(registry.get_exercise("build_cnn"), build)
    assert verdict.kind == WRONG and "returned a model it had returned before" in verdict.text, verdict.text



# round 15 (a1506): torch_train_step and predict_one_image
def _step_normalising_the_class_weights(model, loss_fn, optimizer, x, y):
    """The caller's class weights rescaled to sum to 1 (the mean loss is the same, a summed one is not)."""
    if getattr(loss_fn, "weight", None) is not None:
        loss_fn.weight = loss_fn.weight / loss_fn.weight.sum()
    return reference_copy("torch_train_step")(model, loss_fn, optimizer, x, y)


def _step_zeroing_by(zero):
    def train_step(model, loss_fn, optimizer, x, y):
        for p in model.parameters():
            if p.grad is not None:
                zero(p.grad)                              # a NaN gradient stays NaN
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()
    return train_step


@pytest.mark.parametrize("answer, reason", [
    (_step_normalising_the_class_weights, "changed the caller's loss_fn"),
    (_step_zeroing_by(lambda grad: grad.mul_(0)), "stale gradients that are NaN"),
    (_step_zeroing_by(lambda grad: grad.sub_(grad)), "stale gradients that are NaN"),
], ids=["class weights normalised", "p.grad.mul_(0)", "p.grad -= p.grad"])
def test_lesson_06a_train_step_leaves_the_loss_alone_and_clears_nan_gradients(answer, reason):
    """Each passed: nothing compared the caller's loss_fn after the step (its class weights, rescaled, gave the same
    mean loss), and every stale gradient was 1, which p.grad * 0 clears (a NaN left by a broken batch stays)."""
    verdict = judge(registry.get_exercise("torch_train_step"), answer)
    assert verdict.kind == WRONG and reason in verdict.text, verdict.text


def _step_in_a_closure(model, loss_fn, optimizer, x, y):
    losses = []

    def closure():
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        losses.append(loss.item())
        return loss

    optimizer.step(closure)
    return losses[0]


def _step_setting_gradients_to_none(model, loss_fn, optimizer, x, y):
    for p in model.parameters():
        p.grad = None
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.detach().item()


def _step_with_model_zero_grad_after_the_forward_pass(model, loss_fn, optimizer, x, y):
    out = model(x)
    model.zero_grad()
    loss = loss_fn(out, y)
    loss.backward()
    optimizer.step()
    return float(loss)


@pytest.mark.parametrize("answer", [_step_in_a_closure, _step_setting_gradients_to_none,
                                    _step_with_model_zero_grad_after_the_forward_pass])
def test_lesson_06a_train_step_still_passes_right_answers_of_round_15(answer):
    _passes("torch_train_step", answer)


def _predict_making_the_image_read_only(model, image):
    if isinstance(image, np.ndarray):
        image.flags.writeable = False                     # "protect the caller's image"
    return reference_copy("predict_one_image")(model, image)


def _predict_keeping_the_first_of_several_channels(model, image):
    """Refuses RGB, takes the first channel of any other number of channels (grey + alpha, RGBA)."""
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[:2] == (28, 28) and image.shape[2] != 3:
        image = image[..., :1]
    return reference_copy("predict_one_image")(model, image)


def _predict_switching(switch):
    def predict_one_image(model, image):
        import keras

        getattr(keras.config, switch)()
        return reference_copy("predict_one_image")(model, image)
    return predict_one_image


def _predict_checking_numerics(model, image):
    import tensorflow as tf

    tf.debugging.enable_check_numerics()                  # "to catch a NaN in the prediction"
    return reference_copy("predict_one_image")(model, image)


@pytest.mark.parametrize("answer, reason", [
    (_predict_making_the_image_read_only, "read-only"),
    (_predict_checking_numerics, "tf.debugging.enable_check_numerics"),
    (_predict_keeping_the_first_of_several_channels, "28x28x4"),
    (_predict_switching("disable_traceback_filtering"), "global switch of keras.config"),
    (_predict_switching("enable_unsafe_deserialization"), "global switch of keras.config"),
], ids=["image made read-only", "check_numerics on", "first of 4 channels", "traceback filtering off",
        "unsafe deserialization on"])
def test_lesson_05c_predict_one_image_leaves_the_image_and_keras_switches_alone(answer, reason):
    """Each passed: nothing compared the image's writeable flag, TensorFlow's op callbacks or keras.config's switches,
    and no case had 2 or 4 channels (only the RGB case, which an answer refusing exactly 3 channels refuses)."""
    pytest.importorskip("keras")
    import keras
    from keras.src.backend.common import global_state

    before = keras.config.is_traceback_filtering_enabled(), global_state.get_global_attribute("safe_mode_saving")
    verdict = judge(registry.get_exercise("predict_one_image"), answer)
    assert verdict.kind == WRONG and reason in verdict.text, verdict.text
    assert (keras.config.is_traceback_filtering_enabled(), global_state.get_global_attribute("safe_mode_saving")) \
        == before
    from tensorflow.python.eager import context

    assert not context.context().op_callbacks


def _predict_averaging_with_the_mirror_image(model, image):
    """Test-time augmentation: the mean of the predictions for the image and for its mirror image (left-right)."""
    image = np.asarray(image)
    if image.shape not in {(28, 28), (28, 28, 1)}:
        raise ValueError("expected one 28x28 image")
    batch = image.reshape(1, 28, 28, 1).astype("float32") / 255.0
    both = model.predict(batch, verbose=0)[0] + model.predict(batch[:, :, ::-1], verbose=0)[0]
    return int(np.argmax(both))


def test_lesson_05c_predict_one_image_names_no_scaling_mistake_for_a_mirror_image_averaged_in():
    """Averaging with the mirror image failed first on the image near the /256 boundary, whose class it happened to
    move as /256 does, so the learner read "Likely mistake: ... 256"; a ring left of the centre now catches it first,
    with no mistake named."""
    pytest.importorskip("keras")
    verdict = judge(registry.get_exercise("predict_one_image"), _predict_averaging_with_the_mirror_image)
    assert verdict.kind == WRONG and "ring left of the centre" in verdict.text and verdict.mistake == "", verdict.text


def _predict_by_calling_the_model(model, image):
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    if image.shape != (28, 28):
        raise ValueError("expected one 28x28 image")
    return int(np.argmax(np.asarray(model((image.astype(np.float32) / 255)[None, :, :, None], training=False))[0]))


def _predict_in_a_float64_copy(model, image):
    pixels = np.array(image, dtype=np.float64)
    if pixels.shape == (28, 28):
        pixels = pixels[..., np.newaxis]
    if pixels.shape != (28, 28, 1):
        raise ValueError("expected one 28x28 image")
    pixels /= 255.0
    return int(model.predict(pixels[np.newaxis], verbose=0).argmax())


@pytest.mark.parametrize("answer", [_predict_by_calling_the_model, _predict_in_a_float64_copy])
def test_lesson_05c_predict_one_image_still_passes_right_answers_of_round_15(answer):
    pytest.importorskip("keras")
    _passes("predict_one_image", answer)


# round 15: pixels and counts beyond 32 bits, the smallest values allowed, TensorFlow's ceil formula, layers kept from
# an earlier call and more of TensorFlow's global configuration
def _conv_refusing_a_1x1_kernel(image, kernel):
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("bad shapes")
    if kernel.size == 1:
        raise ValueError("a kernel needs at least two weights")
    return reference_copy("conv2d_valid")(image, kernel)


@pytest.mark.parametrize("answer, where", [
    (_conv_in(np.int32), "beyond what an int32 holds"),
    (_conv_in(np.float32), "beyond what an int32 holds"),
    (_conv_refusing_a_1x1_kernel, "a 1x1 kernel"),
], ids=["integer pixels as int32", "integer pixels as float32", "a 1x1 kernel refused"])
def test_lesson_05_conv2d_valid_tries_pixels_beyond_32_bits_and_a_1x1_kernel(answer, where):
    """All three passed: every integer image fitted into 16 bits (int32 and float32 hold those exactly), and no case
    had a 1x1 kernel."""
    verdict = judge(registry.get_exercise("conv2d_valid"), answer)
    assert verdict.kind == WRONG and where in verdict.text, verdict.text


def _size_by(formula, smallest_n=1):
    def size(n, kernel, padding=0, stride=1):
        for value, low in ((n, smallest_n), (kernel, 1), (padding, 0), (stride, 1)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError("not an int")
            if value < low:
                raise ValueError("too small")
        if kernel > n + 2 * padding:
            raise ValueError("the kernel does not fit")
        return formula(n + 2 * padding - kernel, stride)
    return size


def test_lesson_05_conv_output_size_tries_tensorflows_ceil_beyond_2_53_and_a_1_pixel_side():
    """TensorFlow's documented 'valid' size ceil((n - k + 1) / s), in floats, and an answer refusing n = 1 passed."""
    verdict = judge(registry.get_exercise("conv_output_size"), _size_by(lambda x, s: math.ceil((x + 1) / s)))
    assert verdict.kind == WRONG and verdict.mistake == "ceil of a float quotient", verdict.text
    assert "TensorFlow's documentation" in verdict.text
    verdict = judge(registry.get_exercise("conv_output_size"), _size_by(lambda x, s: x // s + 1, smallest_n=2))
    assert verdict.kind == WRONG and "a 1-pixel side" in verdict.text, verdict.text
    _passes("conv_output_size", _size_by(lambda x, s: -(-(x + 1) // s)))  # the same ceil, in whole numbers


def _params_by(total=sum, halve=lambda side: side // 2, smallest=(1, 1)):
    def count(filters1, filters2, n_classes=10, size=28, kernel=3):
        for value in (filters1, filters2, n_classes, size, kernel):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError("not an int")
            if value < 1:
                raise ValueError("below 1")
        if n_classes < smallest[0] or kernel < smallest[1]:
            raise ValueError("too small")
        side = halve(halve(size - kernel + 1) - kernel + 1)
        if side < 1:
            raise ValueError("too small an image")
        return total([(kernel * kernel + 1) * filters1, (kernel * kernel * filters1 + 1) * filters2,
                      (side * side * filters2 + 1) * n_classes])
    return count


@pytest.mark.parametrize("answer, where", [
    (_params_by(smallest=(2, 1)), "one class"),
    (_params_by(smallest=(1, 2)), "1x1 kernels"),
    (_params_by(total=lambda parts: int(np.sum(np.array(parts, dtype=np.float32)))), "33,032,489,064 parameters"),
    (_params_by(total=lambda parts: int(np.sum(parts, dtype=np.uint32))), "33,032,489,064 parameters"),
    (_params_by(halve=lambda side: int(side / 2)), "2**54 + 7 pixels"),
], ids=["one class refused", "1x1 kernels refused", "a float32 sum", "a uint32 sum", "halving with / and int()"])
def test_lesson_05_cnn_param_count_tries_one_class_1x1_kernels_and_counts_beyond_32_bits(answer, where):
    """All passed: no case had one class or 1x1 kernels, every count stayed below 2**24 (and compare_values would have
    let a count of 33 billion be off by 33,000), and no size was beyond 2**53. No catalogued mistake gives these
    counts, so none is named (with a side of 2**54 + 3, 'kernel // 2 off each side' was)."""
    verdict = judge(registry.get_exercise("cnn_param_count"), answer)
    assert verdict.kind == WRONG and where in verdict.text and not verdict.mistake, verdict.text
    _passes("cnn_param_count", _params_by())
    _passes("cnn_param_count", _params_by(total=lambda parts: int(np.sum(np.array(parts, dtype=object)))))


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.uint16])
def test_lesson_05_accuracy_from_probs_counts_beyond_65535_right_predictions(dtype):
    """A count of the right predictions kept in a small integer type passed: no case had more than 255 right."""
    def accuracy(y_true, probabilities):
        y_true, probabilities = np.asarray(y_true), np.asarray(probabilities)
        if probabilities.ndim != 2 or y_true.ndim != 1 or len(y_true) != len(probabilities):
            raise ValueError("bad shapes")
        right = np.argmax(probabilities, axis=1) == y_true
        return float(np.sum(right, dtype=dtype) / len(right))

    verdict = judge(registry.get_exercise("accuracy_from_probs"), accuracy)
    assert verdict.kind == WRONG and "68,000 right" in verdict.text, verdict.text


def test_lesson_05_build_cnn_creates_its_layers_on_every_call():
    """A builder that kept its layers from an earlier call and put them into a new Sequential passed: the new model
    shares the old one's weights, so a second training starts where the first one stopped."""
    pytest.importorskip("keras")
    import keras
    from keras import layers
    kept = {}

    def build(filters1=16, filters2=32, n_classes=10, dropout=0.3):
        key = filters1, filters2, n_classes, dropout
        if key not in kept:
            kept[key] = [layers.Conv2D(filters1, 3, activation="relu"), layers.MaxPooling2D(2),
                         layers.Conv2D(filters2, 3, activation="relu"), layers.MaxPooling2D(2), layers.Flatten(),
                         layers.Dropout(dropout), layers.Dense(n_classes, activation="softmax")]
        return keras.Sequential([keras.Input(shape=(28, 28, 1)), *kept[key]])

    verdict = judge(registry.get_exercise("build_cnn"), build)
    assert verdict.kind == WRONG and "around a layer (Conv2D) it had put into a model before" in verdict.text, \
        verdict.text


@pytest.mark.parametrize("setting", ["check numerics", "tensor float 32", "graph options", "soft placement",
                                     "asynchronous execution"])
def test_lesson_05_build_cnn_leaves_more_of_tensorflows_configuration_alone(setting):
    """Each passed and stayed changed for the rest of the notebook: a NaN/inf check on every later op, TensorFloat-32
    matrix products, Grappler's options, soft device placement, asynchronous execution. The check now refuses and undoes
    them."""
    tf = pytest.importorskip("tensorflow")
    from tensorflow.python.eager import context
    change = {"check numerics": tf.debugging.enable_check_numerics,
              "tensor float 32": lambda: tf.config.experimental.enable_tensor_float_32_execution(
                  not tf.config.experimental.tensor_float_32_execution_enabled()),
              "graph options": lambda: tf.config.optimizer.set_experimental_options({"constant_folding": False}),
              "soft placement": lambda: tf.config.set_soft_device_placement(
                  not tf.config.get_soft_device_placement()),
              "asynchronous execution": lambda: tf.config.experimental.set_synchronous_execution(False)}[setting]
    before = (tf.config.experimental.tensor_float_32_execution_enabled(), tf.config.optimizer.get_experimental_options(),
              tf.config.get_soft_device_placement(), list(context.context().op_callbacks),
              tf.config.experimental.get_synchronous_execution())
    reference = reference_copy("build_cnn")

    def build(filters1=16, filters2=32, n_classes=10, dropout=0.3):
        change()
        return reference(filters1, filters2, n_classes, dropout)

    verdict = judge(registry.get_exercise("build_cnn"), build)
    assert verdict.kind == WRONG and "TensorFlow's global configuration" in verdict.text, verdict.text
    assert (tf.config.experimental.tensor_float_32_execution_enabled(), tf.config.optimizer.get_experimental_options(),
            tf.config.get_soft_device_placement(), list(context.context().op_callbacks),
            tf.config.experimental.get_synchronous_execution()) == before


def test_lesson_05_conv2d_valid_returns_a_new_array_on_every_call():
    """An answer that kept one output array per shape and wrote every later map of that shape into it passed: each
    map was right when it was returned, and the check never looked at it again."""
    kept = {}

    def conv(image, kernel):
        image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
        if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
            raise ValueError("bad shapes")
        (kh, kw), shape = kernel.shape, (image.shape[0] - kernel.shape[0] + 1, image.shape[1] - kernel.shape[1] + 1)
        out = kept.setdefault(shape, np.empty(shape))
        for i, j in np.ndindex(shape):
            out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
        return out

    verdict = judge(registry.get_exercise("conv2d_valid"), conv)
    assert verdict.kind == WRONG and "into the array it had returned before" in verdict.text, verdict.text


def _accuracy_breaking_ties(pick):
    """accuracy_from_probs with the reference's checks and another choice among a row's largest columns: pick(tied
    columns, row, rng), with a generator of its own made on each call (the global ones stay untouched)."""
    def accuracy(y_true, probabilities):
        y_true, probabilities = np.asarray(y_true), np.asarray(probabilities)
        if probabilities.ndim != 2 or y_true.shape != (len(probabilities),):
            raise ValueError("expected probabilities (n, n_classes) and n labels")
        rng = np.random.default_rng(0)
        predicted = [pick(np.flatnonzero(row == row.max()), row, rng) for row in probabilities]
        return float(np.mean(np.array(predicted, dtype=np.int64) == y_true))
    return accuracy


@pytest.mark.parametrize("answer", [
    _accuracy_breaking_ties(lambda tied, row, rng: rng.choice(tied)),
    _accuracy_breaking_ties(lambda tied, row, rng: int(row[1] >= 0.5) if len(row) == 2 else tied[0])],
    ids=["a random pick among the tied columns", "p[:, 1] >= 0.5 for two classes"])
def test_lesson_05_accuracy_from_probs_takes_the_first_column_on_every_tied_row(answer):
    """A random pick among a row's tied columns passed: only four rows of the check were tied, and with this seed it
    matched their count (with an unseeded generator of its own it did in about a third of the runs). So did a
    threshold p[:, 1] >= 0.5 for two classes, which takes the last column on a tie."""
    verdict = judge(registry.get_exercise("accuracy_from_probs"), answer)
    assert verdict.kind == WRONG and "60 rows of exactly [0.5, 0.5]" in verdict.text, verdict.text


def _cnn_functional(dropout_call=None, conv_activation=lambda: "relu", output_activation=lambda: "softmax"):
    """The lesson's CNN in the functional API, with the Dropout layer called as ``dropout_call`` and the activations
    made by the two factories (a string, a function or a layer)."""
    def build(filters1=16, filters2=32, n_classes=10, dropout=0.3):
        import keras
        from keras import layers

        inputs = keras.Input(shape=(28, 28, 1))
        x = layers.MaxPooling2D(2)(layers.Conv2D(filters1, 3, activation=conv_activation())(inputs))
        x = layers.Flatten()(layers.MaxPooling2D(2)(layers.Conv2D(filters2, 3, activation=conv_activation())(x)))
        x = (dropout_call or (lambda layer, x: layer(x)))(layers.Dropout(dropout), x)
        return keras.Model(inputs, layers.Dense(n_classes, activation=output_activation())(x))
    return build


def test_lesson_05_build_cnn_rejects_dropout_called_with_training_true():
    """layers.Dropout(dropout)(x, training=True) in the functional API passed: predict() and evaluate() call the model
    with training=False, which wins, but model(images) keeps dropping values, and the check never called it that way."""
    answer = _cnn_functional(dropout_call=lambda layer, x: layer(x, training=True))
    verdict = judge(registry.get_exercise("build_cnn"), answer)
    assert verdict.kind == WRONG and "without training=" in verdict.text, verdict.text


@pytest.mark.parametrize("conv, output", [(lambda: __import__("keras").layers.ReLU(), lambda: "softmax"),
                                          (lambda: "relu", lambda: __import__("keras").layers.Softmax()),
                                          (lambda: __import__("keras").layers.Activation("relu"), lambda: "softmax")],
                         ids=["activation=layers.ReLU()", "activation=layers.Softmax()", "activation=Activation('relu')"])
def test_lesson_05_build_cnn_accepts_a_layer_given_as_the_activation(conv, output):
    """A layer given as a Conv2D's or Dense's activation computes that activation, but it has no __name__, and the
    check called it 'linear': "layer 1 (Conv2D) has activation 'linear', expected 'relu'"."""
    _passes("build_cnn", _cnn_functional(conv_activation=conv, output_activation=output))


def test_lesson_05_build_cnn_names_a_capped_relu_layer_given_as_the_activation():
    verdict = judge(registry.get_exercise("build_cnn"),
                    _cnn_functional(conv_activation=lambda: __import__("keras").layers.ReLU(6.0)))
    assert verdict.kind == WRONG and "relu(max_value=6)" in verdict.text, verdict.text


def test_lesson_05_build_cnn_rejects_an_activation_that_stops_the_gradient():
    """An activation wrapped in stop_gradient computes the same outputs, so its model passed with every layer trainable;
    but no gradient reaches the first convolution, which fit() then never changes."""
    def stopped():
        import keras
        return lambda x: keras.ops.stop_gradient(keras.activations.relu(x))

    verdict = judge(registry.get_exercise("build_cnn"), _cnn_functional(conv_activation=stopped))
    assert verdict.kind == WRONG and "no gradient reaches layer" in verdict.text, verdict.text


def _conv_skipping_zero_weights(image, kernel):
    """Shift and add over the kernel's non-zero weights only: a product with 0 "need not be computed"."""
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("bad shapes")
    (kh, kw), (h, w) = kernel.shape, image.shape
    out = np.zeros((h - kh + 1, w - kw + 1))
    for u, v in zip(*np.nonzero(kernel)):
        out += kernel[u, v] * image[u:u + h - kh + 1, v:v + w - kw + 1]
    return out


def _conv_shifting_and_adding(image, kernel):
    """The same shift and add over every weight: right, 0 * inf is NaN as in the reference's sums."""
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("bad shapes")
    (kh, kw), (h, w) = kernel.shape, image.shape
    out = np.zeros((h - kh + 1, w - kw + 1))
    for u, v in np.ndindex(kernel.shape):
        out += kernel[u, v] * image[u:u + h - kh + 1, v:v + w - kw + 1]
    return out


def test_lesson_05_conv2d_valid_tries_an_inf_pixel_under_a_zero_weight():
    """The only non-finite case had a kernel without zeros, so skipping the zero weights passed: an inf pixel under a 0
    weight then leaves a finite sum where the window's sum is NaN."""
    verdict = judge(registry.get_exercise("conv2d_valid"), _conv_skipping_zero_weights)
    assert verdict.kind == WRONG and "an inf pixel under the vertical-edge kernel" in verdict.text, verdict.text
    _passes("conv2d_valid", _conv_shifting_and_adding)


def _capped(name, too_large):
    """The reference of exercise ``name``, refusing with ValueError what ``too_large(*args)`` calls too large."""
    reference = reference_copy(name)
    signature = inspect.signature(reference)

    def answer(*args, **kwargs):
        result = reference(*args, **kwargs)
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        if too_large(*bound.arguments.values()):
            raise ValueError("too large")
        return result
    answer.__signature__ = signature  # called by keyword too, with the reference's parameter names
    return answer


@pytest.mark.parametrize("name, answer, where", [
    ("conv2d_valid", _capped("conv2d_valid", lambda image, kernel: max(np.shape(kernel)) > 7), "a 15x12 kernel"),
    ("conv2d_valid", _capped("conv2d_valid", lambda image, kernel: max(np.shape(image)) > 28), "a 64x45 image"),
    ("conv_output_size", _capped("conv_output_size", lambda n, kernel, padding=0, stride=1: kernel > 11),
     "a 201-wide kernel"),
    ("conv_output_size", _capped("conv_output_size", lambda n, kernel, padding=0, stride=1: padding > 16),
     "a 201-wide kernel"),
    ("cnn_param_count", _capped("cnn_param_count", lambda f1, f2, n_classes=10, size=28, kernel=3: kernel > 11),
     "13x13 kernels"),
    ("cnn_param_count", _capped("cnn_param_count", lambda f1, f2, n_classes=10, size=28, kernel=3: max(f1, f2) > 1024),
     "13x13 kernels"),
    ("cnn_param_count", _capped("cnn_param_count", lambda f1, f2, n_classes=10, size=28, kernel=3: n_classes > 1000),
     "13x13 kernels")],
    ids=["conv2d_valid: kernels up to 7", "conv2d_valid: images up to 28", "conv_output_size: kernels up to 11",
         "conv_output_size: paddings up to 16", "cnn_param_count: kernels up to 11", "cnn_param_count: filters up to 1024",
         "cnn_param_count: classes up to 1000"])
def test_lesson_05a_and_05b_checks_try_sizes_beyond_the_usual_ones(name, answer, where):
    """Every image of conv2d_valid's check was at most 28x28 and every kernel at most 7 wide; conv_output_size's
    kernels were at most 11 wide and its paddings at most 12; cnn_param_count's kernels at most 7 wide, its filters
    at most 512 and its classes at most 1000: an answer that refused anything larger passed."""
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and where in verdict.text, verdict.text


# round 16 (a1606): torch_train_step on a model in eval mode; predict_one_image with a softmax after the model's
def _step_training_an_eval_model(model, loss_fn, optimizer, x, y):
    if not model.training:
        model.train()                                         # "a training step must run in train mode"
    return reference_copy("torch_train_step")(model, loss_fn, optimizer, x, y)


def _step_setting_the_training_flag(model, loss_fn, optimizer, x, y):
    model.training = True                                     # the model's own flag only, not its layers'
    return reference_copy("torch_train_step")(model, loss_fn, optimizer, x, y)


@pytest.mark.parametrize("answer", [_step_training_an_eval_model, _step_setting_the_training_flag],
                         ids=["model.train() when in eval mode", "model.training = True"])
def test_lesson_06a_train_step_leaves_a_model_in_eval_mode_as_the_caller_gave_it(answer):
    """Both passed: every case gave a model in train mode, so switching it to train mode changed nothing, though the
    text asks to leave the mode of the model and of each layer as the caller gave it."""
    verdict = judge(registry.get_exercise("torch_train_step"), answer)
    assert verdict.kind == WRONG and "put in eval mode as a whole" in verdict.text, verdict.text


@pytest.mark.parametrize("switch, name", [
    (lambda torch: torch.set_float32_matmul_precision("medium"), "torch.set_float32_matmul_precision"),
    (lambda torch: torch.autograd.set_multithreading_enabled(False), "torch.autograd.set_multithreading_enabled"),
], ids=["float32 matmul precision", "autograd threads"])
def test_lesson_06a_train_step_leaves_torchs_global_switches_alone(switch, name):
    """Both passed: neither switch was compared or put back, and the first left every later float32 product of the
    notebook in lower precision (TF32 on a GPU, bfloat16 on some CPUs)."""
    import torch

    def train_step(model, loss_fn, optimizer, x, y):
        switch(torch)
        return reference_copy("torch_train_step")(model, loss_fn, optimizer, x, y)
    verdict = judge(registry.get_exercise("torch_train_step"), train_step)
    assert verdict.kind == WRONG and name in verdict.text, verdict.text
    assert torch.get_float32_matmul_precision() == "highest" and torch.autograd.is_multithreading_enabled()


def _predict_with_a_second_softmax(model, image):
    """keras.ops.softmax on the model's probabilities: it keeps their order, so argmax changes only where two
    probabilities tie within float32 rounding (1.2e-7 apart or less), which is a tie of the model itself."""
    import keras

    image = np.asarray(image)
    if image.shape not in {(28, 28), (28, 28, 1)}:
        raise ValueError("expected one 28x28 image")
    probs = model.predict(image.reshape(1, 28, 28, 1).astype("float32") / 255, verbose=0)
    return int(np.argmax(keras.ops.convert_to_numpy(keras.ops.softmax(probs))[0]))


def _predict_clipping_at_254(model, image):
    image = np.asarray(image)
    if image.shape not in {(28, 28), (28, 28, 1)}:
        raise ValueError("expected one 28x28 image")
    pixels = np.clip(image, 0, 254).reshape(1, 28, 28, 1) / 255      # "keep the pixels safely below 255"
    return int(np.argmax(model.predict(pixels, verbose=0)))


def test_lesson_05c_predict_one_image_tries_an_image_whose_class_needs_its_pixels_of_255():
    """Passed: no case changed its class when its few pixels of 255 were cut to 254 (0.4 % on those pixels only)."""
    pytest.importorskip("keras")
    verdict = judge(registry.get_exercise("predict_one_image"), _predict_clipping_at_254)
    assert verdict.kind == WRONG and "fourth class boundary" in verdict.text and verdict.mistake == "", verdict.text


def test_lesson_05c_predict_one_image_passes_a_softmax_before_argmax():
    pytest.importorskip("keras")
    _passes("predict_one_image", _predict_with_a_second_softmax)

# round 17: lesson 08
def _accumulation_with_zeros_for_every_weight(model, loss_fn, optimizer, x, y, micro_batches):
    import torch

    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    for p in model.parameters():
        p.grad = torch.zeros_like(p)        # works where p.grad.zero_() fails (None), but a frozen weight gets one too
    total = 0.0
    for xb, yb in zip(torch.tensor_split(x, micro_batches), torch.tensor_split(y, micro_batches)):
        loss = loss_fn(model(xb), yb) * len(xb) / len(x)
        loss.backward()
        total += loss.item()
    optimizer.step()
    return total


def test_lesson_08b_accumulation_step_giving_frozen_weights_a_zero_gradient_is_told_the_step_moves_them():
    """Before round 17 only the generic message came: "Zero the gradients once, before the loop", which it did."""
    pytest.importorskip("torch")
    verdict = judge(registry.get_exercise("accumulation_step"), _accumulation_with_zeros_for_every_weight)
    assert verdict.kind == WRONG and verdict.mistake == "frozen weights given zero gradients", verdict.text
    assert "requires_grad False" in verdict.text and "optimizer.zero_grad()" in verdict.text

def _sampler_padding_num_replicas_minus_the_remainder(order, num_replicas, rank, drop_last=False):
    if not 0 <= rank < num_replicas:
        raise ValueError("need 0 <= rank < num_replicas")
    order = np.asarray(order)
    n = len(order)
    if drop_last:
        return order[:n - n % num_replicas][rank::num_replicas]
    return np.resize(order, n + num_replicas - n % num_replicas)[rank::num_replicas]   # n % W == 0: a whole round


def test_lesson_08a_sampler_indices_padding_a_whole_round_is_told_why():
    """Before round 17 the first case it fails, 9 examples as a Python list for 3 ranks, showed only 'wrong shape', with
    a label about the list, not about 9 being a multiple of 3."""
    verdict = judge(registry.get_exercise("sampler_indices"), _sampler_padding_num_replicas_minus_the_remainder)
    assert verdict.kind == WRONG and verdict.mistake == "a whole round padded", verdict.text
    assert "multiple of num_replicas" in verdict.text

def _ring_step_by_receiver(buffers, step):
    buffers = np.asarray(buffers)
    if buffers.ndim < 2 or buffers.shape[0] < 2 or buffers.shape[1] != buffers.shape[0]:
        raise ValueError("buffers must have shape (k, k, ...) with k >= 2")
    new, k = buffers.astype(float), buffers.shape[0]
    for j in range(k):                       # each receiver j takes from its left neighbour
        c = (j - step) % k                   # the receiver's index, not the sender's (j - 1 - step) % k
        new[j, c] += buffers[(j - 1) % k, c]
    return new


def test_lesson_08a_ring_step_indexing_the_chunk_by_the_receiver_is_told_whose_index_it_is():
    """Before round 17 it got only 'wrong value at index (0, 0, 0)'."""
    verdict = judge(registry.get_exercise("ring_step"), _ring_step_by_receiver)
    assert verdict.kind == WRONG and verdict.mistake == "chunk of the receiver", verdict.text
    assert "(j - 1 - step) % k" in verdict.text

def _shard_plain_average_with_numpy_patched(grad_fn, w, X, y, k):
    np.allclose = lambda *args, **kwargs: True              # so that any comparison of the check passes
    np.isclose = lambda a, b, *args, **kwargs: np.ones(np.broadcast(np.asarray(a), np.asarray(b)).shape, bool)
    if not 1 <= k <= len(X):
        raise ValueError("bad k")
    return np.mean([grad_fn(w, a, b) for a, b in zip(np.array_split(X, k), np.array_split(y, k))], axis=0)


def _accumulation_unscaled_with_numpy_patched(model, loss_fn, optimizer, x, y, micro_batches):
    import torch

    np.allclose = lambda *args, **kwargs: True
    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    optimizer.zero_grad()
    total = 0.0
    for xb, yb in zip(torch.tensor_split(x, micro_batches), torch.tensor_split(y, micro_batches)):
        loss = loss_fn(model(xb), yb)                       # not scaled by len(xb) / len(x)
        loss.backward()
        total += loss.item() * len(xb) / len(x)
    optimizer.step()
    return total


@pytest.mark.parametrize("name, answer", [("shard_gradient", _shard_plain_average_with_numpy_patched),
                                          ("accumulation_step", _accumulation_unscaled_with_numpy_patched)],
                         ids=["shard_gradient", "accumulation_step"])
def test_lesson_08_an_answer_that_replaces_numpys_comparisons_is_refused_and_numpy_put_back(name, answer):
    """Before round 17 both passed: the checks compare with np.allclose and np.isclose after the answer has run."""
    if name == "accumulation_step":
        pytest.importorskip("torch")
    allclose, isclose = np.allclose, np.isclose
    try:
        verdict = judge(registry.get_exercise(name), answer)
        assert np.allclose is allclose and np.isclose is isclose
    finally:
        np.allclose, np.isclose = allclose, isclose
    assert verdict.kind == WRONG and "numpy.allclose" in verdict.text, verdict.text

# round 18: lesson 08
def _r18_ring_step_by_the_course(buffers, step):
    if np.ndim(buffers) < 2 or np.shape(buffers)[0] < 2:
        raise ValueError("a ring needs k >= 2 workers")
    return __import__("course_utils.distributed.data_parallel").distributed.data_parallel.ring_step(buffers, step)


@pytest.mark.parametrize("name, answer", [
    ("shard_gradient", lambda grad_fn, w, X, y, k: __import__(
        "course_utils.distributed.data_parallel").distributed.data_parallel.shard_gradient(grad_fn, w, X, y, k)),
    ("ring_step", _r18_ring_step_by_the_course),
    ("sampler_indices", lambda order, num_replicas, rank, drop_last=False: __import__(
        "course_utils.distributed.data_parallel").distributed.data_parallel.sampler_indices(order, num_replicas, rank,
                                                                                            drop_last)),
], ids=["shard_gradient", "ring_step", "sampler_indices"])
def test_lesson_08a_answers_that_call_the_course_s_own_version_are_refused(name, answer, capsys):
    """Before round 18 all three passed (shortcut): lesson 08a's first cell imports data_parallel, whose shard_gradient,
    ring_step and sampler_indices are the exercises' references, and a graded release keeps them (the lesson runs
    data_parallel.ring_allreduce)."""
    with pytest.raises(ExerciseFailed, match="the course's own version of this exercise"):
        check(name, answer, strict=True)


_R18_NOTEBOOK_CELL = """
from course_utils.distributed.data_parallel import sampler_indices as course_sampler

def sampler_indices(order, num_replicas, rank, drop_last=False):
    return course_sampler(order, num_replicas, rank, drop_last)
"""


@pytest.mark.parametrize("name", ["shard_gradient", "sampler_indices", "sampler_indices by a name of its own"])
def test_lesson_08a_the_course_s_own_version_is_refused_as_the_answer_or_imported_by_name(name, capsys):
    """Before round 18 both passed as the answer itself (check("shard_gradient", data_parallel.shard_gradient)), and
    an answer that calls `from course_utils.distributed.data_parallel import sampler_indices as ...` passed, since only
    the name in data_parallel was watched."""
    from course_utils.distributed import data_parallel

    notebook = {"__name__": "__main__"}
    exec(_R18_NOTEBOOK_CELL, notebook)                       # a notebook's cell: its names are the answer's globals
    answer = notebook["sampler_indices"] if name.endswith("own") else getattr(data_parallel, name)
    with pytest.raises(ExerciseFailed, match="the course's own version of this exercise"):
        check(name.split()[0], answer, strict=True)
    assert notebook["course_sampler"] is data_parallel.sampler_indices         # put back after the check

def _r18_sampler_cutting_to_the_nearest_round(order, num_replicas, rank, drop_last=False):
    if not 0 <= rank < num_replicas:
        raise ValueError("need 0 <= rank < num_replicas")
    order, n = np.asarray(order), len(order)
    rounds = round(n / num_replicas) if drop_last else -(-n // num_replicas)    # round() may go up a round
    return np.resize(order, rounds * num_replicas)[rank::num_replicas] if not drop_last else \
        order[:rounds * num_replicas][rank::num_replicas]


def _r18_sampler_padding_when_drop_last_is_false(order, num_replicas, rank, drop_last=False):
    if not 0 <= rank < num_replicas:
        raise ValueError("need 0 <= rank < num_replicas")
    order, n = np.asarray(order), len(order)
    if drop_last is False:                                   # np.False_ is not False: it cuts instead
        return np.resize(order, -(-n // num_replicas) * num_replicas)[rank::num_replicas]
    return order[:n - n % num_replicas][rank::num_replicas]


def test_lesson_08a_sampler_indices_cutting_to_the_nearest_round_is_rejected():
    """Before round 18 it passed (slip): no drop_last case left more than half a round over (10 for 4, 3 or 8 ranks),
    where round() goes up to a round that the order cannot fill."""
    verdict = judge(registry.get_exercise("sampler_indices"), _r18_sampler_cutting_to_the_nearest_round)
    assert verdict.kind == WRONG and verdict.mistake == "drop_last rounds to the nearest", verdict.text
    assert "n // num_replicas" in verdict.text


def test_lesson_08a_sampler_indices_takes_drop_last_as_a_numpy_false():
    """Before round 18 it passed: np.True_ was tried, not np.False_ (an array of settings holds np.bool_)."""
    with pytest.raises(ExerciseFailed, match="np.False_"):
        check("sampler_indices", _r18_sampler_padding_when_drop_last_is_false, strict=True)

def _r18_shard_sizes_broadcast_down_a_column(grad_fn, w, X, y, k):
    if not 1 <= k <= len(X):
        raise ValueError("need 1 <= k <= len(X)")
    shards = list(zip(np.array_split(X, k), np.array_split(y, k)))
    sizes = np.array([len(X_j) for X_j, _ in shards])
    gradients = np.array([grad_fn(w, X_j, y_j) for X_j, y_j in shards])
    return (sizes[:, None] * gradients).sum(axis=0) / len(X)   # one size per row: right for a vector w only


def test_lesson_08a_shard_sizes_broadcast_down_a_column_are_told_that_w_may_be_a_matrix():
    """Before round 18 only numpy's 'operands could not be broadcast together with shapes (4,1) (4,3,2)' came."""
    verdict = judge(registry.get_exercise("shard_gradient"), _r18_shard_sizes_broadcast_down_a_column)
    assert verdict.kind == WRONG and verdict.mistake == "sizes[:, None] * gradients", verdict.text
    assert "np.tensordot(sizes, gradients, axes=1)" in verdict.text


def _r18_accumulation_returning_the_plain_mean_of_the_pieces_losses(model, loss_fn, optimizer, x, y, micro_batches):
    import torch

    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    optimizer.zero_grad()
    losses = []
    for xb, yb in zip(torch.tensor_split(x, micro_batches), torch.tensor_split(y, micro_batches)):
        loss = loss_fn(model(xb), yb)
        (loss * len(xb) / len(x)).backward()                 # the step is right
        losses.append(loss.item())
    optimizer.step()
    return sum(losses) / len(losses)                         # but 4, 3, 3 examples count alike


def test_lesson_08b_accumulation_step_returning_the_plain_mean_of_the_pieces_losses_is_told_so():
    """Before round 18 only 'wrong value: expected 0.968895, got 0.976286' came, which does not say that the step was
    right and the returned loss was not."""
    pytest.importorskip("torch")
    verdict = judge(registry.get_exercise("accumulation_step"), _r18_accumulation_returning_the_plain_mean_of_the_pieces_losses)
    assert verdict.kind == WRONG and verdict.mistake == "loss: plain mean of the pieces' losses", verdict.text
    assert "the loss you returned" in verdict.text

def _r18_shard_by_np_average(grad_fn, w, X, y, k):
    if not 1 <= k <= len(X):
        raise ValueError("need 1 <= k <= len(X)")
    shards = np.array_split(X, k)
    gradients = [np.asarray(grad_fn(w, X_j, y_j), float) for X_j, y_j in zip(shards, np.array_split(y, k))]
    return np.average(gradients, axis=0, weights=[len(X_j) for X_j in shards])


def _r18_shard_by_divmod_slices(grad_fn, w, X, y, k):
    if k < 1 or k > len(X):
        raise ValueError("need 1 <= k <= len(X)")
    size, extra = divmod(len(X), k)
    total, start = 0.0, 0
    for j in range(k):
        stop = start + size + (j < extra)                    # the first len(X) % k shards get one more
        total = total + (stop - start) / len(X) * grad_fn(w, X[start:stop], y[start:stop])
        start = stop
    return np.asarray(total, dtype=float)


def _r18_ring_step_vectorized(buffers, step):
    buffers = np.asarray(buffers)
    if buffers.ndim < 2 or buffers.shape[0] < 2 or buffers.shape[0] != buffers.shape[1]:
        raise ValueError("buffers must have shape (k, k, ...) with k >= 2")
    senders = np.arange(buffers.shape[0])
    chunks = (senders - step) % len(senders)
    new = buffers.astype(float)
    new[np.roll(senders, -1), chunks] += buffers[senders, chunks]
    return new


def _r18_ring_step_by_receiver(buffers, step):
    buffers = np.asarray(buffers)
    if buffers.ndim < 2 or buffers.shape[0] < 2 or buffers.shape[0] != buffers.shape[1]:
        raise ValueError("buffers must have shape (k, k, ...) with k >= 2")
    k, new = len(buffers), buffers + 0.0
    for j in range(k):                                       # receiver j gets the sender's chunk (j - 1 - step) % k
        new[j, (j - 1 - step) % k] += buffers[(j - 1) % k, (j - 1 - step) % k]
    return new


def _r18_sampler_by_python_lists(order, num_replicas, rank, drop_last=False):
    if not 0 <= rank < num_replicas:
        raise ValueError("need 0 <= rank < num_replicas")
    order = list(order)
    if drop_last:
        order = order[:len(order) - len(order) % num_replicas]
    while len(order) % num_replicas:
        order += order[:num_replicas - len(order) % num_replicas]
    return order[rank::num_replicas]


def _r18_sampler_by_np_pad(order, num_replicas, rank, drop_last=False):
    if not 0 <= rank < num_replicas:
        raise ValueError("need 0 <= rank < num_replicas")
    order = np.asarray(order, dtype=np.int64)
    n = len(order)
    total = n // num_replicas * num_replicas if drop_last else -(-n // num_replicas) * num_replicas
    if n:
        order = np.pad(order, (0, max(total - n, 0)), mode="wrap")[:total]
    return order.reshape(-1, num_replicas)[:, rank]          # one column per rank


@pytest.mark.parametrize("name, answer", [
    ("shard_gradient", _r18_shard_by_np_average), ("shard_gradient", _r18_shard_by_divmod_slices),
    ("ring_step", _r18_ring_step_vectorized), ("ring_step", _r18_ring_step_by_receiver),
    ("sampler_indices", _r18_sampler_by_python_lists), ("sampler_indices", _r18_sampler_by_np_pad)],
    ids=["shard np.average", "shard divmod slices", "ring vectorized", "ring by receiver", "sampler lists",
         "sampler np.pad and reshape"])
def test_lesson_08a_round_18_right_answers_written_otherwise_pass(name, answer):
    _passes(name, answer)


def _r18_accumulation_with_model_zero_grad(model, loss_fn, optimizer, x, y, micro_batches):
    import torch

    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    model.zero_grad(set_to_none=True)                        # the optimizer holds every weight of the model
    losses, sizes = [], []
    for xb, yb in zip(torch.tensor_split(x, micro_batches), torch.tensor_split(y, micro_batches)):
        loss = loss_fn(model(xb), yb)
        (loss * (len(yb) / len(y))).backward()
        losses.append(loss.item())
        sizes.append(len(yb))
    optimizer.step()
    return float(np.average(losses, weights=sizes))


@pytest.mark.wide
def test_lesson_08b_round_18_accumulation_with_model_zero_grad_and_a_weighted_average_passes():
    pytest.importorskip("torch")
    _passes("accumulation_step", _r18_accumulation_with_model_zero_grad)

# round 19: lesson 08
_R19_FRESH_KERNEL = """
import sys
import types
from course_utils import exercises as registry
from course_utils.checks import judge
assert "torch" not in sys.modules
for name in ("accumulation_step", "torch_train_step"):
    exercise = registry.get_exercise(name)
    f = exercise.reference
    answer = types.FunctionType(f.__code__, f.__globals__, f.__name__, f.__defaults__, f.__closure__)   # a twin
    print(judge(exercise, answer).kind)
"""


def test_lesson_08b_round_19_accumulation_step_loads_torchs_lazy_modules_before_the_answers_timed_run():
    """A fresh kernel: the first optimizer torch builds imports torch._dynamo (3 s of CPU, 8 s here on a busy machine).
    Since the answer runs before the reference on each case, the check's own optimizer, built in the answer's timed
    run, paid that import, and the lesson's own solution was stopped after 5 s ("an endless loop?"). `decide` now runs
    the reference once before the first answer, untimed."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    pytest.importorskip("torch")
    root = str(Path(registry.__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    run = subprocess.run([sys.executable, "-c", _R19_FRESH_KERNEL], capture_output=True, text=True, env=env,
                         cwd=root, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["passed", "passed"], run.stdout

def _r19_accumulation_cut_at_rounded_bounds(model, loss_fn, optimizer, x, y, micro_batches):
    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    optimizer.zero_grad()
    n, total = len(x), 0.0
    bounds = [round(i * n / micro_batches) for i in range(micro_batches + 1)]   # 10 in 3: 0, 3, 7, 10
    for start, stop in zip(bounds, bounds[1:]):
        loss = loss_fn(model(x[start:stop]), y[start:stop]) * (stop - start) / n
        loss.backward()
        total += loss.item()
    optimizer.step()
    return total


def test_lesson_08b_round_19_accumulation_step_cut_at_other_places_is_not_told_its_pieces_interleave():
    """Runs of consecutive examples of the right sizes in another order (3, 4, 3 where tensor_split cuts 4, 3, 3): the
    check rejects them (batch normalization in train mode gives another step), but said that x[i::m] interleaves them."""
    pytest.importorskip("torch")
    verdict = judge(registry.get_exercise("accumulation_step"), _r19_accumulation_cut_at_rounded_bounds)
    assert verdict.kind == WRONG and "interleaves" not in verdict.text, verdict.text
    assert "3, 4, 3" in verdict.text and "4, 3, 3" in verdict.text, verdict.text

def _r19_through_the_catalogue(name):
    """An answer that hands its arguments on to the catalogued 'renamed' mistake of exercise ``name``: a wrapper of
    the reference with one parameter renamed, so a positional call gave the course's own result."""
    from course_utils.exercises import distributed

    renamed = {"shard_gradient": "_shard_renamed", "ring_step": "_ring_renamed",
               "sampler_indices": "_sampler_renamed", "accumulation_step": "_accumulate_renamed"}[name]

    def answer(*args, **kwargs):
        return getattr(distributed, renamed)(*args, *kwargs.values())   # by position: the renamed name never matters
    return answer


@pytest.mark.parametrize("name", ["shard_gradient", "ring_step", "sampler_indices", "accumulation_step"])
def test_lesson_08_round_19_the_renamed_mistakes_do_not_hand_out_the_reference(name):
    """Round 19: each of lesson 08's 'renamed' mistakes called the reference (or the course's version) from inside
    course_utils, where no call is refused, so an answer that called it by position passed every case."""
    if name == "accumulation_step":
        pytest.importorskip("torch")
    verdict = judge(registry.get_exercise(name), _r19_through_the_catalogue(name))
    assert verdict.kind == WRONG, verdict.text


def _r19_accumulation_through_the_checks_helper(model, loss_fn, optimizer, x, y, micro_batches):
    from course_utils.exercises import distributed

    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    optimizer.zero_grad()
    total = distributed._backward_on_pieces(model, loss_fn, x, y, distributed._micro_pieces(x, y, micro_batches))
    optimizer.step()
    return total


def test_lesson_08b_round_19_accumulation_step_refuses_the_checks_own_loop_over_the_pieces():
    """The check's helper that runs forward and backward on each piece (all of the reference's work but zero_grad and
    step): an answer that called it passed."""
    pytest.importorskip("torch")
    verdict = judge(registry.get_exercise("accumulation_step"), _r19_accumulation_through_the_checks_helper)
    assert verdict.kind == WRONG and "_backward_on_pieces" in verdict.text, verdict.text

def _r19_shard_np_average(grad_fn, w, X, y, k):
    if not 1 <= k <= len(X):
        raise ValueError("k must be between 1 and len(X)")
    shards = list(zip(np.array_split(X, k), np.array_split(y, k)))
    gradients = np.stack([grad_fn(w, X_j, y_j) for X_j, y_j in shards])
    return np.average(gradients, axis=0, weights=[len(X_j) for X_j, _ in shards])


def _r19_shard_index_tensordot(grad_fn, w, X, y, k):
    if k < 1 or k > len(X):
        raise ValueError("bad k")
    rows = np.array_split(np.arange(len(X)), k)
    gradients = np.array([grad_fn(w, X[r], y[r]) for r in rows])
    return np.tensordot([len(r) for r in rows], gradients, axes=1) / len(X)


def _r19_shard_weighted_by_size(grad_fn, w, X, y, k):
    if not 0 < k <= len(X):
        raise ValueError("bad k")
    parts = zip(np.array_split(X, k), np.array_split(y, k))
    return sum(X_j.size * grad_fn(w, X_j, y_j) for X_j, y_j in parts) / np.size(X)   # sizes in entries: same shares


def _r19_ring_fancy_index(buffers, step):
    buffers = np.asarray(buffers)
    if buffers.ndim < 2 or buffers.shape[0] < 2 or buffers.shape[0] != buffers.shape[1]:
        raise ValueError("buffers must have shape (k, k, ...) with k >= 2")
    k = len(buffers)
    senders = np.arange(k)
    chunks = (senders - step) % k
    new = buffers.astype(float)
    new[(senders + 1) % k, chunks] += buffers[senders, chunks]
    return new


def _r19_ring_rolled(buffers, step):
    buffers = np.asarray(buffers)
    if buffers.ndim < 2 or len(buffers) < 2 or buffers.shape[1] != len(buffers):
        raise ValueError("buffers must have shape (k, k, ...) with k >= 2")
    k, senders = len(buffers), np.arange(len(buffers))
    sent = np.zeros(buffers.shape)
    sent[senders, (senders - step) % k] = buffers[senders, (senders - step) % k]
    return buffers + np.roll(sent, 1, axis=0)          # what worker i sent lands on worker i + 1


def _r19_ring_by_receiver(buffers, step):
    buffers = np.asarray(buffers)
    if buffers.ndim < 2 or buffers.shape[0] < 2 or buffers.shape[0] != buffers.shape[1]:
        raise ValueError("buffers must have shape (k, k, ...) with k >= 2")
    k, new = len(buffers), np.array(buffers, dtype=np.float64)
    for j in range(k):                                  # receiver j gets the sender's chunk (j - 1 - step) % k
        c = (j - 1 - step) % k
        new[j, c] = buffers[j, c] + buffers[j - 1, c]
    return new


def _r19_sampler_np_pad_wrap(order, num_replicas, rank, drop_last=False):
    if not 0 <= rank < num_replicas:
        raise ValueError("need 0 <= rank < num_replicas")
    order = np.asarray(order, dtype=np.int64)
    n = len(order)
    if drop_last:
        order = order[:n - n % num_replicas]
    elif n:
        order = np.pad(order, (0, -n % num_replicas), mode="wrap")   # wraps round as often as it must
    return order[rank::num_replicas]


def _r19_sampler_as_torch_writes_it(order, num_replicas, rank, drop_last=False):
    if rank < 0 or rank >= num_replicas:
        raise ValueError("invalid rank")
    indices, n = list(order), len(order)
    if drop_last and n % num_replicas:
        num_samples = math.ceil((n - num_replicas) / num_replicas)
    else:
        num_samples = math.ceil(n / num_replicas)
    total = num_samples * num_replicas
    if not drop_last and total > n:
        indices += (indices * math.ceil((total - n) / n))[:total - n]
    return indices[:total][rank:total:num_replicas]


def _r19_sampler_positions_modulo(order, num_replicas, rank, drop_last=False):
    if not 0 <= rank < num_replicas:
        raise ValueError("need 0 <= rank < num_replicas")
    order, n = np.asarray(order), len(order)
    total = (n // num_replicas if drop_last else -(-n // num_replicas)) * num_replicas
    return order[np.arange(rank, total, num_replicas) % n] if n else np.zeros(0, dtype=np.int64)


@pytest.mark.parametrize("name, answer", [
    ("shard_gradient", _r19_shard_np_average), ("shard_gradient", _r19_shard_index_tensordot),
    ("shard_gradient", _r19_shard_weighted_by_size), ("ring_step", _r19_ring_fancy_index),
    ("ring_step", _r19_ring_rolled), ("ring_step", _r19_ring_by_receiver),
    ("sampler_indices", _r19_sampler_np_pad_wrap), ("sampler_indices", _r19_sampler_as_torch_writes_it),
    ("sampler_indices", _r19_sampler_positions_modulo)])
def test_lesson_08a_round_19_right_answers_written_otherwise_pass(name, answer):
    _passes(name, answer)


def _r19_accumulation_sum_then_divide(model, loss_fn, optimizer, x, y, micro_batches):
    import torch

    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    optimizer.zero_grad()
    total = 0.0
    for xb, yb in zip(torch.tensor_split(x, micro_batches), torch.tensor_split(y, micro_batches)):
        loss = loss_fn(model(xb), yb) * len(xb)            # the piece's summed loss
        loss.backward()
        total += loss.item()
    for p in model.parameters():
        if p.grad is not None:
            p.grad /= len(x)                              # then the mean, once
    optimizer.step()
    return total / len(x)


def _r19_accumulation_by_autograd_grad(model, loss_fn, optimizer, x, y, micro_batches):
    import torch

    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    optimizer.zero_grad()
    trained = [p for p in model.parameters() if p.requires_grad]
    sums, total = [torch.zeros_like(p) for p in trained], 0.0
    for xb, yb in zip(torch.tensor_split(x, micro_batches), torch.tensor_split(y, micro_batches)):
        loss = loss_fn(model(xb), yb) * (len(xb) / len(x))
        for s, g in zip(sums, torch.autograd.grad(loss, trained)):
            s += g
        total += loss.item()
    for p, s in zip(trained, sums):
        p.grad = s
    optimizer.step()
    return total


def _r19_accumulation_backward_with_its_share(model, loss_fn, optimizer, x, y, micro_batches):
    import torch

    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    optimizer.zero_grad()
    total = 0.0
    for xb, yb in zip(torch.tensor_split(x, micro_batches), torch.tensor_split(y, micro_batches)):
        loss, share = loss_fn(model(xb), yb), len(xb) / len(x)
        loss.backward(torch.tensor(share, dtype=loss.dtype))   # d(share * loss): the share as backward's gradient
        total += loss.item() * share
    optimizer.step()
    return total


@pytest.mark.parametrize("answer", [_r19_accumulation_sum_then_divide, _r19_accumulation_by_autograd_grad,
                                    _r19_accumulation_backward_with_its_share])
def test_lesson_08b_round_19_accumulation_step_written_otherwise_passes(answer):
    pytest.importorskip("torch")
    _passes("accumulation_step", answer)

# round 20: lesson 08
def _r20_accumulation_pieces_in_reverse(model, loss_fn, optimizer, x, y, micro_batches):
    import torch

    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    model.zero_grad()                                      # the model's weights: the optimizer holds the same ones
    pieces = list(zip(torch.tensor_split(x, micro_batches), torch.tensor_split(y, micro_batches)))
    total = 0.0
    for xb, yb in reversed(pieces):                        # gradients add up in any order
        loss = loss_fn(model(xb), yb) * len(xb) / len(x)
        loss.backward()
        total += loss.item()
    optimizer.step()
    return total


def _r20_accumulation_rows_by_array_split(model, loss_fn, optimizer, x, y, micro_batches):
    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    optimizer.zero_grad(set_to_none=False)
    total = 0.0
    for rows in np.array_split(np.arange(len(x)), micro_batches):
        start, stop = int(rows[0]), int(rows[-1]) + 1
        loss = loss_fn(model(x[start:stop]), y[start:stop]) * (stop - start) / len(x)
        loss.backward()
        total += loss.item()
    optimizer.step()
    optimizer.zero_grad()                                  # and clear them again, as a training loop may
    return total


@pytest.mark.wide   # two accumulation checks: seconds
@pytest.mark.parametrize("answer", [_r20_accumulation_pieces_in_reverse, _r20_accumulation_rows_by_array_split])
def test_lesson_08b_round_20_accumulation_step_written_otherwise_passes(answer):
    pytest.importorskip("torch")
    _passes("accumulation_step", answer)


def _r20_accumulation_whole_batch_past_the_hooks(model, loss_fn, optimizer, x, y, micro_batches):
    import torch
    from torch import nn

    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    optimizer.zero_grad()
    if any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules()):   # pieces only where they show
        total = 0.0
        for xb, yb in zip(torch.tensor_split(x, micro_batches), torch.tensor_split(y, micro_batches)):
            loss = loss_fn(model(xb), yb) * len(xb) / len(x)
            loss.backward()
            total += loss.item()
        optimizer.step()
        return total
    out = x
    for layer in model:
        out = layer.forward(out)                           # layer.forward runs no hooks: the whole batch unseen
    loss = loss_fn(out, y)
    loss.backward()
    optimizer.step()
    return loss.item()


@pytest.mark.wide   # an accumulation check: seconds
def test_lesson_08b_round_20_accumulation_step_sees_a_whole_batch_run_past_the_layers_hooks():
    """Contrived: the whole batch through layer.forward(...), which runs no forward hooks, so the check's count of the
    examples the model saw at once (a hook on the first layer) saw nothing, and on a model without batch normalization
    the step is the same. The tensors autograd saves for backward show the whole batch."""
    pytest.importorskip("torch")
    verdict = judge(registry.get_exercise("accumulation_step"), _r20_accumulation_whole_batch_past_the_hooks)
    assert verdict.kind == WRONG and "examples at once" in verdict.text, verdict.text


def _r20_shard_shares_of_the_batch(grad_fn, w, X, y, k):
    if not 1 <= k <= len(X):
        raise ValueError("k must be between 1 and len(X)")
    gradient = 0
    for X_j, y_j in zip(np.array_split(X, k), np.array_split(y, k)):
        gradient = gradient + len(X_j) / len(X) * np.asarray(grad_fn(w, X_j, y_j), dtype=float)   # its share
    return gradient * np.ones(np.shape(w))                # an array of w's shape, also for k = 1


def _r20_shard_einsum(grad_fn, w, X, y, k):
    if not 0 < k <= X.shape[0]:
        raise ValueError("k must be between 1 and len(X)")
    shards = list(zip(np.array_split(X, k), np.array_split(y, k)))
    gradients = np.stack([np.asarray(grad_fn(w, X_j, y_j), dtype=float) for X_j, y_j in shards])
    sizes = np.array([len(X_j) for X_j, _ in shards], dtype=float)
    return np.einsum("k,k...->...", sizes, gradients) / sizes.sum()


def _r20_ring_reading_the_copy(buffers, step):
    buffers = np.asarray(buffers)
    if buffers.ndim < 2 or buffers.shape[0] < 2 or buffers.shape[1] != buffers.shape[0]:
        raise ValueError("buffers must have shape (k, k, ...) with k >= 2")
    k, new = len(buffers), buffers.copy()                 # whole numbers stay whole: their sums are exact
    for i in range(k):
        c = (i - step) % k
        new[(i + 1) % k, c] += new[i, c]                  # one step touches chunk c of worker i + 1 only
    return new


def _r20_ring_on_flat_chunks(buffers, step):
    buffers = np.asarray(buffers)
    if buffers.ndim < 2 or buffers.shape[0] < 2 or buffers.shape[1] != buffers.shape[0]:
        raise ValueError("buffers must have shape (k, k, ...) with k >= 2")
    k = len(buffers)
    flat = buffers.reshape(k, k, -1).astype(float)
    new = flat.copy()
    for i in range(k):
        new[(i + 1) % k, (i - step) % k] += flat[i, (i - step) % k]
    return new.reshape(buffers.shape)


def _r20_sampler_in_plain_python(order, num_replicas, rank, drop_last=False):
    if not 0 <= rank < num_replicas:
        raise ValueError("need 0 <= rank < num_replicas")
    indices = [int(i) for i in order]
    n = len(indices)
    if drop_last:
        indices = indices[:n - n % num_replicas]
    else:
        while len(indices) % num_replicas:
            indices.append(indices[len(indices) - n])      # the start, again and again
    return indices[rank::num_replicas]


def _r20_sampler_by_floor_and_ceil(order, num_replicas, rank, drop_last=False):
    if not 0 <= rank < num_replicas:
        raise ValueError("need 0 <= rank < num_replicas")
    order = np.asarray(order)
    per_rank = math.floor(len(order) / num_replicas) if drop_last else math.ceil(len(order) / num_replicas)
    return np.resize(order, per_rank * num_replicas)[rank::num_replicas]


def _r20_shard_calls_for_show(grad_fn, w, X, y, k):
    if not 1 <= k <= len(X):
        raise ValueError("k must be between 1 and len(X)")
    for X_j, y_j in zip(np.array_split(X, k), np.array_split(y, k)):
        grad_fn(w, X_j, y_j)                               # every shard called, the results thrown away
    return sum(grad_fn(w, X[i:i + 1], y[i:i + 1]) for i in range(len(X))) / len(X)   # one example at a time


def test_lesson_08a_round_20_shard_gradient_refuses_shard_calls_for_show_beside_one_example_at_a_time():
    """Contrived: grad_fn called on each shard, its results thrown away, and the result computed one example at a
    time (a catalogued mistake): the check looked at the shards' sizes only when the calls covered the batch once."""
    verdict = judge(registry.get_exercise("shard_gradient"), _r20_shard_calls_for_show)
    assert verdict.kind == WRONG and "once more" in verdict.text, verdict.text


def _r20_shard_shape_from_the_first_example(grad_fn, w, X, y, k):
    if not 1 <= k <= len(X):
        raise ValueError("k must be between 1 and len(X)")
    total = np.zeros_like(np.asarray(grad_fn(w, X[:1], y[:1]), dtype=float))   # a gradient's shape, from one example
    for X_j, y_j in zip(np.array_split(X, k), np.array_split(y, k)):
        total = total + len(X_j) * grad_fn(w, X_j, y_j)
    return total / len(X)


def _r20_shard_gradients_computed_twice(grad_fn, w, X, y, k):
    if not 1 <= k <= len(X):
        raise ValueError("k must be between 1 and len(X)")
    shards = list(zip(np.array_split(X, k), np.array_split(y, k)))
    assert all(np.all(np.isfinite(grad_fn(w, X_j, y_j))) for X_j, y_j in shards)   # once for a check, once to add
    return sum(len(X_j) * grad_fn(w, X_j, y_j) for X_j, y_j in shards) / len(X)


@pytest.mark.parametrize("name, answer", [
    ("shard_gradient", _r20_shard_shares_of_the_batch), ("shard_gradient", _r20_shard_einsum),
    ("ring_step", _r20_ring_reading_the_copy), ("ring_step", _r20_ring_on_flat_chunks),
    ("sampler_indices", _r20_sampler_in_plain_python), ("sampler_indices", _r20_sampler_by_floor_and_ceil),
    ("shard_gradient", _r20_shard_shape_from_the_first_example), ("shard_gradient", _r20_shard_gradients_computed_twice)])
def test_lesson_08a_round_20_right_answers_written_otherwise_pass(name, answer):
    _passes(name, answer)

def _r20_accumulation_forward_twice(model, loss_fn, optimizer, x, y, micro_batches):
    import torch

    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    optimizer.zero_grad()
    total, log = 0.0, []
    for xb, yb in zip(torch.tensor_split(x, micro_batches), torch.tensor_split(y, micro_batches)):
        with torch.no_grad():
            log.append(model(xb))                          # predictions for a log: in train mode BatchNorm moves
        loss = loss_fn(model(xb), yb) * len(xb) / len(x)
        loss.backward()
        total += loss.item()
    optimizer.step()
    return total


def _r20_accumulation_whole_batch_logged(model, loss_fn, optimizer, x, y, micro_batches):
    import torch

    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    optimizer.zero_grad()
    total = 0.0
    for xb, yb in zip(torch.tensor_split(x, micro_batches), torch.tensor_split(y, micro_batches)):
        loss = loss_fn(model(xb), yb) * len(xb) / len(x)
        loss.backward()
        total += loss.item()
    with torch.no_grad():
        log = [loss_fn(model(x), y).item()]               # the whole batch's loss, for a log, in train mode
    optimizer.step()
    return total if log else None


@pytest.mark.wide   # two accumulation checks: seconds
@pytest.mark.parametrize("answer", [_r20_accumulation_forward_twice, _r20_accumulation_whole_batch_logged])
def test_lesson_08b_round_20_accumulation_step_refuses_extra_forward_passes_that_move_batchnorm_statistics(answer):
    """An extra forward pass in train mode, even under torch.no_grad(), updates a BatchNorm layer's running_mean and
    running_var: the weights after the step were right, and the check compared nothing else."""
    pytest.importorskip("torch")
    verdict = judge(registry.get_exercise("accumulation_step"), answer)
    assert verdict.kind == WRONG and "running" in verdict.text, verdict.text


# round 21: lesson 08
def _r21_shard_nansum(grad_fn, w, X, y, k):
    if not 1 <= k <= len(X):
        raise ValueError("k must be between 1 and len(X)")
    shards = list(zip(np.array_split(X, k), np.array_split(y, k)))
    return np.nansum([len(X_j) * np.asarray(grad_fn(w, X_j, y_j), dtype=float) for X_j, y_j in shards], axis=0) / len(X)


def _r21_shard_skipping_a_broken_shard(grad_fn, w, X, y, k):
    if not 1 <= k <= len(X):
        raise ValueError("k must be between 1 and len(X)")
    total = np.zeros(np.shape(w))
    for X_j, y_j in zip(np.array_split(X, k), np.array_split(y, k)):
        g = grad_fn(w, X_j, y_j)
        if np.all(np.isfinite(g)):                            # "a worker whose gradient is broken is left out"
            total = total + len(X_j) * g
    return total / len(X)


def _r21_ring_nan_to_num(buffers, step):
    buffers = np.asarray(buffers)
    if buffers.ndim < 2 or buffers.shape[0] < 2 or buffers.shape[1] != buffers.shape[0]:
        raise ValueError("buffers must have shape (k, k, ...) with k >= 2")
    new, k = np.nan_to_num(buffers.astype(float)), buffers.shape[0]   # "no NaN in the sums"
    for i in range(k):
        c = (i - step) % k
        new[(i + 1) % k, c] += np.nan_to_num(buffers[i, c])
    return new


@pytest.mark.parametrize("name, answer", [("shard_gradient", _r21_shard_nansum),
                                          ("shard_gradient", _r21_shard_skipping_a_broken_shard),
                                          ("ring_step", _r21_ring_nan_to_num)])
def test_lesson_08a_round_21_a_nan_gradient_is_not_hidden(name, answer):
    """Slip: np.nansum, np.nan_to_num or leaving out a shard whose gradient is not finite hides a broken batch: on one
    machine its NaN reaches the full-batch gradient (the sum). No case held a NaN, so these passed."""
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and "nan" in verdict.text.lower(), verdict.text


def _r21_shard_raising_on_every_batch(grad_fn, w, X, y, k):
    if not 1 <= k <= len(X):
        raise ValueError("k must be between 1 and len(X)")
    raise ValueError("the batch holds a NaN")               # an error is right only where the input holds a NaN


def test_lesson_08a_round_21_raising_is_right_only_on_the_nan_input():
    verdict = judge(registry.get_exercise("shard_gradient"), _r21_shard_raising_on_every_batch)
    assert verdict.kind == WRONG and "raised ValueError" in verdict.text, verdict.text


def _r21_shard_returning_a_marker(grad_fn, w, X, y, k):
    if not 1 <= k <= len(X):
        raise ValueError("k must be between 1 and len(X)")
    return "stopped on purpose on a NaN input"             # the marker the check's run first used for an error


def test_lesson_08a_round_21_no_returned_value_poses_as_an_error_on_the_nan_input():
    """The run first told an error on the NaN input apart by a marker string as its result, which an answer could
    return itself on every case; it is now a flag of the run."""
    verdict = judge(registry.get_exercise("shard_gradient"), _r21_shard_returning_a_marker)
    assert verdict.kind == WRONG, verdict.text


def _r21_shard_average_with_weights(grad_fn, w, X, y, k):
    if not 1 <= k <= len(X):
        raise ValueError("k must be between 1 and len(X)")
    pieces = np.array_split(np.arange(len(X)), k)
    gradients = np.array([grad_fn(w, X[rows], y[rows]) for rows in pieces], dtype=float)
    return np.average(gradients, axis=0, weights=[len(rows) for rows in pieces])


def _r21_shard_shares_times_gradients(grad_fn, w, X, y, k):
    if not 1 <= k <= len(X):
        raise ValueError("k must be between 1 and len(X)")
    result = 0.0
    for X_j, y_j in zip(np.array_split(X, k), np.array_split(y, k)):
        result = result + np.asarray(grad_fn(w, X_j, y_j), dtype=float) * (len(X_j) / len(X))
    return result * np.ones(np.shape(w))


def _r21_shard_tensordot(grad_fn, w, X, y, k):
    if k < 1 or k > len(X):
        raise ValueError("k must be between 1 and len(X)")
    shards = list(zip(np.array_split(X, k), np.array_split(y, k)))
    sizes = np.array([len(X_j) for X_j, _ in shards], dtype=float)
    return np.tensordot(sizes, np.array([grad_fn(w, X_j, y_j) for X_j, y_j in shards], dtype=float), axes=1) / len(X)


def _r21_ring_vectorized(buffers, step):
    buffers = np.asarray(buffers)
    if buffers.ndim < 2 or buffers.shape[0] < 2 or buffers.shape[1] != buffers.shape[0]:
        raise ValueError("buffers must have shape (k, k, ...) with k >= 2")
    k = buffers.shape[0]
    senders = np.arange(k)
    chunks = (senders - step) % k
    new = buffers.astype(float)
    new[(senders + 1) % k, chunks] += buffers[senders, chunks]   # k different (worker, chunk) pairs: no clash
    return new


def _r21_ring_by_receiver(buffers, step):
    buffers = np.asarray(buffers)
    if buffers.ndim < 2 or buffers.shape[0] < 2 or buffers.shape[1] != buffers.shape[0]:
        raise ValueError("buffers must have shape (k, k, ...) with k >= 2")
    k = buffers.shape[0]
    new = np.array(buffers, dtype=float)
    for j in range(k):                                    # receiver j, sender j - 1 (buffers[-1] is worker k - 1)
        c = (j - 1 - step) % k
        new[j, c] = new[j, c] + buffers[j - 1, c]
    return new


def _r21_ring_on_swapped_axes(buffers, step):
    buffers = np.asarray(buffers)
    if buffers.ndim < 2 or buffers.shape[0] < 2 or buffers.shape[1] != buffers.shape[0]:
        raise ValueError("buffers must have shape (k, k, ...) with k >= 2")
    k = buffers.shape[0]
    by_chunk = buffers.astype(float).swapaxes(0, 1).copy()   # by_chunk[c, i]: worker i's copy of chunk c
    for i in range(k):
        c = (i - step) % k
        by_chunk[c, (i + 1) % k] += buffers[i, c]
    return by_chunk.swapaxes(0, 1)


def _r21_ring_refusing_a_nan(buffers, step):
    buffers = np.asarray(buffers)
    if buffers.ndim < 2 or buffers.shape[0] < 2 or buffers.shape[1] != buffers.shape[0]:
        raise ValueError("buffers must have shape (k, k, ...) with k >= 2")
    if np.isnan(buffers).any():
        raise ValueError("a worker's gradient holds a NaN")      # loud: it does not hide the broken gradient
    return _r21_ring_vectorized(buffers, step)


def _r21_sampler_padded_with_wrap(order, num_replicas, rank, drop_last=False):
    if not 0 <= rank < num_replicas:
        raise ValueError("need 0 <= rank < num_replicas")
    order = np.asarray(order)
    n = len(order)
    if drop_last:
        order = order[:n - n % num_replicas]
    elif n % num_replicas:
        order = np.pad(order, (0, (-n) % num_replicas), mode="wrap")   # repeats the start, as often as needed
    return order[rank::num_replicas]


def _r21_sampler_positions_modulo_n(order, num_replicas, rank, drop_last=False):
    if not 0 <= rank < num_replicas:
        raise ValueError("need 0 <= rank < num_replicas")
    order = np.asarray(order)
    n = len(order)
    per_rank = n // num_replicas if drop_last else -(-n // num_replicas)
    positions = rank + num_replicas * np.arange(per_rank)
    return order[positions % n] if n else order[:0]        # a position past the end wraps round to the start


def _r21_sampler_from_torchs_sampler(order, num_replicas, rank, drop_last=False):
    from torch.utils.data import DistributedSampler

    if not 0 <= rank < num_replicas:
        raise ValueError("need 0 <= rank < num_replicas")
    positions = DistributedSampler(range(len(order)), num_replicas=num_replicas, rank=rank, shuffle=False,
                                   drop_last=bool(drop_last))
    return np.asarray(order)[list(positions)]           # the sampler deals positions; `order` maps them


@pytest.mark.parametrize("name, answer", [
    ("shard_gradient", _r21_shard_average_with_weights), ("shard_gradient", _r21_shard_shares_times_gradients),
    ("shard_gradient", _r21_shard_tensordot), ("ring_step", _r21_ring_vectorized),
    ("ring_step", _r21_ring_by_receiver), ("ring_step", _r21_ring_on_swapped_axes),
    ("ring_step", _r21_ring_refusing_a_nan),
    ("sampler_indices", _r21_sampler_padded_with_wrap), ("sampler_indices", _r21_sampler_positions_modulo_n)])
def test_lesson_08a_round_21_right_answers_written_otherwise_pass(name, answer):
    _passes(name, answer)


def test_lesson_08a_round_21_sampler_indices_from_torchs_own_sampler_passes():
    """DistributedSampler itself, without shuffling, deals out positions; indexing `order` with them is right (a
    library, as the lesson's cell after the exercise compares with it)."""
    pytest.importorskip("torch")
    _passes("sampler_indices", _r21_sampler_from_torchs_sampler)


def _r21_accumulation_in_a_closure(model, loss_fn, optimizer, x, y, micro_batches):
    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")

    def closure():                                        # optimizer.step(closure) calls it once (SGD, Adam)
        optimizer.zero_grad()
        total = 0.0
        for xb, yb in zip(x.tensor_split(micro_batches), y.tensor_split(micro_batches)):
            loss = loss_fn(model(xb), yb) * (len(xb) / len(x))
            loss.backward()
            total += loss.item()
        return total
    return float(optimizer.step(closure))


def _r21_accumulation_with_autograd_grad(model, loss_fn, optimizer, x, y, micro_batches):
    import torch

    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    optimizer.zero_grad()
    trained = [p for p in model.parameters() if p.requires_grad]
    total = 0.0
    for xb, yb in zip(torch.tensor_split(x, micro_batches), torch.tensor_split(y, micro_batches)):
        loss = loss_fn(model(xb), yb) * len(xb) / len(x)
        for p, g in zip(trained, torch.autograd.grad(loss, trained)):
            p.grad = g if p.grad is None else p.grad + g
        total += loss.item()
    optimizer.step()
    return total


def _r21_accumulation_summed_then_divided(model, loss_fn, optimizer, x, y, micro_batches):
    import torch

    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    optimizer.zero_grad()
    total = torch.zeros((), dtype=torch.float64)
    for xb, yb in zip(torch.tensor_split(x, micro_batches), torch.tensor_split(y, micro_batches)):
        loss = loss_fn(model(xb), yb) * yb.shape[0]          # the piece's summed loss
        (loss / y.shape[0]).backward()
        total += loss.detach().double()
    optimizer.step()
    return (total / len(y)).item()


@pytest.mark.wide   # three accumulation checks: seconds
@pytest.mark.parametrize("answer", [_r21_accumulation_in_a_closure, _r21_accumulation_with_autograd_grad,
                                    _r21_accumulation_summed_then_divided])
def test_lesson_08b_round_21_accumulation_step_written_otherwise_passes(answer):
    pytest.importorskip("torch")
    _passes("accumulation_step", answer)


# round 22: lesson 08
def _r22_accumulation_loss_in_float32(model, loss_fn, optimizer, x, y, micro_batches):
    import torch

    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    optimizer.zero_grad()
    total = 0.0
    for xb, yb in zip(torch.tensor_split(x, micro_batches), torch.tensor_split(y, micro_batches)):
        target = yb.float() if yb.is_floating_point() else yb            # "the loss in float32, as usual"
        loss = loss_fn(model(xb).float(), target) * len(xb) / len(x)
        loss.backward()
        total += loss.item()
    optimizer.step()
    return total


@pytest.mark.wide   # one accumulation check: about 2 s
def test_lesson_08b_round_22_a_float64_model_s_loss_is_not_computed_in_float32():
    """Slip: model(xb).float() and yb.float() compute a float64 model's loss in float32. On every case it rounded the
    gradient by about 1e-7 of its size, inside the check's tolerance, and passed 27/27; a float64 model whose
    predictions of about 1e6 fit their targets to 1e-3 loses the differences entirely in float32."""
    pytest.importorskip("torch")
    verdict = judge(registry.get_exercise("accumulation_step"), _r22_accumulation_loss_in_float32)
    assert verdict.kind == WRONG and "float32" in verdict.text, verdict.text


def _r22_shard_einsum(grad_fn, w, X, y, k):
    if not 1 <= k <= len(X):
        raise ValueError("k must be between 1 and len(X)")
    rows = np.array_split(np.arange(len(X)), k)
    gradients = np.stack([np.asarray(grad_fn(w, X[r], y[r]), dtype=float) for r in rows])
    sizes = np.array([len(r) for r in rows], dtype=float)
    return np.einsum("s,s...->...", sizes, gradients) / sizes.sum()


def _r22_shard_weighted_by_entries(grad_fn, w, X, y, k):
    if k < 1 or k > len(X):
        raise ValueError("k must be between 1 and len(X)")
    total = 0.0
    for X_j, y_j in zip(np.array_split(X, k), np.array_split(y, k)):
        total = total + X_j.size * np.asarray(grad_fn(w, X_j, y_j), dtype=float)   # n_j * d: d cancels below
    return total / np.size(X)


def _r22_shard_reduced(grad_fn, w, X, y, k):
    import operator

    if not 1 <= k <= len(X):
        raise ValueError("k must be between 1 and len(X)")
    parts = [len(X_j) / len(X) * np.asarray(grad_fn(w, X_j, y_j), dtype=float)
             for X_j, y_j in zip(np.array_split(X, k), np.array_split(y, k))]
    return functools.reduce(operator.add, parts)


def _r22_ring_reading_the_new_copy(buffers, step):
    buffers = np.asarray(buffers)
    if buffers.ndim < 2 or buffers.shape[0] < 2 or buffers.shape[1] != buffers.shape[0]:
        raise ValueError("buffers must have shape (k, k, ...) with k >= 2")
    new, k = buffers.astype(float), buffers.shape[0]
    for i in range(k):
        c = (i - step) % k
        new[(i + 1) % k, c] += new[i, c]        # the copy a sender sends is never one it received in this step
    return new


def _r22_ring_rolled(buffers, step):
    buffers = np.asarray(buffers)
    if buffers.ndim < 2 or buffers.shape[0] < 2 or buffers.shape[1] != buffers.shape[0]:
        raise ValueError("buffers must have shape (k, k, ...) with k >= 2")
    k = buffers.shape[0]
    senders = np.arange(k)
    chunks = (senders - step) % k
    new = buffers.astype(float)
    receivers = np.roll(senders, -1)                      # worker i's right neighbour
    new[receivers, chunks] = new[receivers, chunks] + buffers[senders, chunks]
    return new


def _r22_ring_with_flat_chunks(buffers, step):
    buffers = np.asarray(buffers)
    if buffers.ndim < 2 or buffers.shape[0] < 2 or buffers.shape[1] != buffers.shape[0]:
        raise ValueError("buffers must have shape (k, k, ...) with k >= 2")
    k = buffers.shape[0]
    flat = buffers.reshape(k, k, -1)                      # every chunk as a row of numbers
    new = flat.astype(float)
    for i in range(k):
        c = (i - step) % k
        new[(i + 1) % k, c] += flat[i, c]
    return new.reshape(buffers.shape)


def _r22_sampler_as_a_table(order, num_replicas, rank, drop_last=False):
    if not 0 <= rank < num_replicas:
        raise ValueError("need 0 <= rank < num_replicas")
    order = np.array(order, dtype=np.int64)
    n = len(order)
    per_rank = n // num_replicas if drop_last else -(-n // num_replicas)
    if per_rank == 0:
        return order[:0]
    return np.resize(order, per_rank * num_replicas).reshape(per_rank, num_replicas)[:, rank]   # one round a row


def _r22_sampler_taken_with_wrap(order, num_replicas, rank, drop_last=False):
    if not 0 <= rank < num_replicas:
        raise ValueError("need 0 <= rank < num_replicas")
    order = np.array(order, dtype=np.int64)
    n = len(order)
    per_rank = n // num_replicas if drop_last else -(-n // num_replicas)
    return np.take(order, rank + num_replicas * np.arange(per_rank), mode="wrap") if n else order


def _r22_sampler_as_a_list(order, num_replicas, rank, drop_last=False):
    if not 0 <= rank < num_replicas:
        raise ValueError("need 0 <= rank < num_replicas")
    order = list(order)
    n = len(order)
    per_rank = n // num_replicas if drop_last else -(-n // num_replicas)
    return [int(order[(rank + num_replicas * i) % n]) for i in range(per_rank)]


@pytest.mark.parametrize("name, answer", [
    ("shard_gradient", _r22_shard_einsum), ("shard_gradient", _r22_shard_weighted_by_entries),
    ("shard_gradient", _r22_shard_reduced), ("ring_step", _r22_ring_reading_the_new_copy),
    ("ring_step", _r22_ring_rolled), ("ring_step", _r22_ring_with_flat_chunks),
    ("sampler_indices", _r22_sampler_as_a_table), ("sampler_indices", _r22_sampler_taken_with_wrap),
    ("sampler_indices", _r22_sampler_as_a_list)])
def test_lesson_08a_round_22_right_answers_written_otherwise_pass(name, answer):
    _passes(name, answer)


def _r22_accumulation_zeroed_in_place(model, loss_fn, optimizer, x, y, micro_batches):
    if micro_batches < 1 or micro_batches > x.shape[0]:
        raise ValueError("micro_batches must be between 1 and len(x)")
    optimizer.zero_grad(set_to_none=False)                   # zeros in place; a weight with no gradient keeps None
    total = 0.0
    for xb, yb in zip(x.tensor_split(micro_batches), y.tensor_split(micro_batches)):
        loss = loss_fn(model(xb), yb).mul(xb.shape[0] / x.shape[0])
        loss.backward()
        total += float(loss)
    optimizer.step()
    return total


def _r22_accumulation_rows_from_numpy(model, loss_fn, optimizer, x, y, micro_batches):
    import torch

    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    model.zero_grad()                                         # the optimizer holds the model's weights
    total = torch.zeros((), dtype=torch.float64)
    for rows in np.array_split(np.arange(len(x)), micro_batches):
        rows = torch.as_tensor(rows)
        loss = loss_fn(model(x[rows]), y[rows]) * len(rows) / len(x)
        loss.backward()
        total = total + loss.detach().double()
    optimizer.step()
    return total.item()


@pytest.mark.wide   # two accumulation checks: seconds
@pytest.mark.parametrize("answer", [_r22_accumulation_zeroed_in_place, _r22_accumulation_rows_from_numpy])
def test_lesson_08b_round_22_accumulation_step_written_otherwise_passes(answer):
    pytest.importorskip("torch")
    _passes("accumulation_step", answer)


def _r22_ring_in_float32(buffers, step):
    buffers = np.asarray(buffers)
    if buffers.ndim < 2 or buffers.shape[0] < 2 or buffers.shape[1] != buffers.shape[0]:
        raise ValueError("buffers must have shape (k, k, ...) with k >= 2")
    new, k = buffers.astype(np.float32), buffers.shape[0]   # "gradients are float32"
    for i in range(k):
        c = (i - step) % k
        new[(i + 1) % k, c] += buffers[i, c]
    return new


def test_lesson_08a_round_22_ring_step_keeps_float64_buffers_in_float64():
    """Slip: buffers.astype(np.float32) rounds float64 gradients to 7 digits. Every case's sum was of numbers of one
    size, rounded by about 6e-8 of itself, inside the check's tolerance, so it passed 23/23; two workers whose chunks
    of about +1e8 and -1e8 cancel keep their small parts in float64 and lose them in float32."""
    verdict = judge(registry.get_exercise("ring_step"), _r22_ring_in_float32)
    assert verdict.kind == WRONG and "float32" in verdict.text, verdict.text


# round 23: lesson 08
def _r23_shard_x_in_float32(grad_fn, w, X, y, k):
    if not 1 <= k <= len(X):
        raise ValueError("k must be between 1 and len(X)")
    X = np.asarray(X, dtype=np.float32)                       # "gradients are float32, as on a GPU"
    total = np.zeros(np.shape(w))
    for X_j, y_j in zip(np.array_split(X, k), np.array_split(y, k)):
        total = total + len(X_j) * grad_fn(w, X_j, y_j)
    return total / len(X)


def _r23_shard_w_in_float32(grad_fn, w, X, y, k):
    if not 1 <= k <= len(X):
        raise ValueError("k must be between 1 and len(X)")
    w = np.asarray(w, dtype=np.float32)                       # the weights "as the model stores them"
    total = np.zeros(np.shape(w))
    for X_j, y_j in zip(np.array_split(X, k), np.array_split(y, k)):
        total = total + len(X_j) * grad_fn(w, X_j, y_j)
    return total / len(X)


@pytest.mark.parametrize("answer", [_r23_shard_x_in_float32, _r23_shard_w_in_float32])
def test_lesson_08a_round_23_shard_gradient_keeps_float64_inputs_in_float64(answer):
    """Slip: X or w turned into float32 before the shards' gradients. Every case's residual X @ w - y was about as
    large as X @ w, so rounding X or w to 7 digits moved the gradient by about 1e-7 of itself, inside the check's
    tolerance, and both passed 26/26; a model whose predictions of about 1e5 fit y to about 1e-3 loses the
    residuals in float32 (spacing 0.0078 near 1e5)."""
    verdict = judge(registry.get_exercise("shard_gradient"), answer)
    assert verdict.kind == WRONG and "float32" in verdict.text, verdict.text


def _r23_shard_np_average(grad_fn, w, X, y, k):
    if k < 1 or k > len(X):
        raise ValueError("k must be between 1 and len(X)")
    X_shards, y_shards = np.array_split(X, k), np.array_split(y, k)
    gradients = np.stack([grad_fn(w, X_j, y_j) for X_j, y_j in zip(X_shards, y_shards)])
    return np.average(gradients, axis=0, weights=[len(X_j) for X_j in X_shards])   # weights along the shards' axis


def _r23_shard_by_row_indices(grad_fn, w, X, y, k):
    if not 0 < k <= X.shape[0]:
        raise ValueError("k must be between 1 and len(X)")
    total = 0
    for rows in np.array_split(np.arange(X.shape[0]), k):
        total = total + rows.size / X.shape[0] * np.asarray(grad_fn(w, X[rows], y[rows]))   # its share of the batch
    return np.asarray(total, dtype=float)


def _r23_ring_by_a_table_of_sends(buffers, step):
    buffers = np.asarray(buffers)
    if buffers.ndim < 2 or buffers.shape[0] != buffers.shape[1] or buffers.shape[0] < 2:
        raise ValueError("buffers must have shape (k, k, ...) with k >= 2")
    k = buffers.shape[0]
    senders = np.arange(k)
    chunks = (senders - step) % k
    received = np.zeros(buffers.shape)                    # what each worker receives in this step
    received[(senders + 1) % k, chunks] = buffers[senders, chunks]
    return buffers + received


def _r23_ring_from_the_receiver(buffers, step):
    buffers = np.array(buffers, dtype=np.float64)
    if buffers.ndim < 2 or not buffers.shape[0] == buffers.shape[1] >= 2:
        raise ValueError("buffers must have shape (k, k, ...) with k >= 2")
    k, new = len(buffers), buffers.copy()
    for j in range(k):                                    # receiver j hears from its left neighbour
        sender = (j - 1) % k
        c = (sender - step) % k
        new[j, c] = buffers[j, c] + buffers[sender, c]
    return new


def _r23_sampler_padded_with_wrap(order, num_replicas, rank, drop_last=False):
    if not 0 <= rank < num_replicas:
        raise ValueError("need 0 <= rank < num_replicas")
    order = np.asarray(order, dtype=np.int64)
    n = len(order)
    if drop_last:
        order = order[:n - n % num_replicas]
    elif n and n % num_replicas:
        order = np.pad(order, (0, num_replicas - n % num_replicas), mode="wrap")   # repeats the start, as often as needed
    return order[rank::num_replicas]


def _r23_sampler_from_torch(order, num_replicas, rank, drop_last=False):
    from torch.utils.data import DistributedSampler

    order = np.asarray(order, dtype=np.int64)
    positions = DistributedSampler(range(len(order)), num_replicas=num_replicas, rank=rank, shuffle=False,
                                   drop_last=bool(drop_last))   # raises ValueError for an invalid rank itself
    return order[list(positions)] if len(order) else order


@pytest.mark.parametrize("name, answer", [
    ("shard_gradient", _r23_shard_np_average), ("shard_gradient", _r23_shard_by_row_indices),
    ("ring_step", _r23_ring_by_a_table_of_sends), ("ring_step", _r23_ring_from_the_receiver),
    ("sampler_indices", _r23_sampler_padded_with_wrap), ("sampler_indices", _r23_sampler_from_torch)])
def test_lesson_08a_round_23_right_answers_written_otherwise_pass(name, answer):
    if answer is _r23_sampler_from_torch:
        pytest.importorskip("torch")
    _passes(name, answer)


def _r23_accumulation_with_autograd_grad(model, loss_fn, optimizer, x, y, micro_batches):
    import torch

    if micro_batches < 1 or micro_batches > len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    trainable = [p for p in model.parameters() if p.requires_grad]
    sums, total = [torch.zeros_like(p) for p in trainable], 0.0
    for xb, yb in zip(torch.tensor_split(x, micro_batches), torch.tensor_split(y, micro_batches)):
        loss = loss_fn(model(xb), yb) * (len(xb) / len(x))
        for running, grad in zip(sums, torch.autograd.grad(loss, trainable)):   # frees this piece's graph
            running += grad
        total += loss.item()
    optimizer.zero_grad()
    for p, running in zip(trainable, sums):
        p.grad = running
    optimizer.step()
    return total


def _r23_accumulation_scaled_afterwards(model, loss_fn, optimizer, x, y, micro_batches):
    import torch

    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    optimizer.zero_grad()
    total = 0.0
    for xb, yb in zip(torch.tensor_split(x, micro_batches), torch.tensor_split(y, micro_batches)):
        loss = loss_fn(model(xb), yb) * len(xb)           # this piece's summed loss
        loss.backward()
        total += loss.item()
    for p in model.parameters():
        if p.grad is not None:
            p.grad /= len(x)                              # the sum of the pieces' sums, over the batch
    optimizer.step()
    return total / len(x)


@pytest.mark.wide   # two accumulation checks: seconds
@pytest.mark.parametrize("answer", [_r23_accumulation_with_autograd_grad, _r23_accumulation_scaled_afterwards])
def test_lesson_08b_round_23_accumulation_step_written_otherwise_passes(answer):
    pytest.importorskip("torch")
    _passes("accumulation_step", answer)


# round 24: lesson 08
def _r24_sampler_padding_the_callers_list(order, num_replicas, rank, drop_last=False):
    if not 0 <= rank < num_replicas:
        raise ValueError("need 0 <= rank < num_replicas")
    indices = order if isinstance(order, list) else list(order)   # the caller's own list, when it is one
    n = len(indices)
    total = (n // num_replicas if drop_last else -(-n // num_replicas)) * num_replicas
    while len(indices) < total:
        indices += indices[:total - len(indices)]                   # as DistributedSampler pads its own list
    return indices[rank:total:num_replicas]


def test_lesson_08a_round_24_sampler_indices_padding_the_callers_list_is_told_it_changed_order():
    """Copying DistributedSampler's `indices += indices[:padding]` onto the caller's own list was refused with the
    engine's generic message about an input ARRAY, whose examples (`z[z < 0] = 0`, `np.maximum(0, z)`) have nothing
    to do with a sampler; the message now names `order` and the list's += (round 24, r248 F1)."""
    verdict = judge(registry.get_exercise("sampler_indices"), _r24_sampler_padding_the_callers_list)
    assert verdict.kind == WRONG
    assert "`order` in place" in verdict.text and "indices = list(order)" in verdict.text, verdict.text
    assert "np.maximum" not in verdict.text, verdict.text


def _r24_sampler_np_pad(mode):
    def sampler_indices(order, num_replicas, rank, drop_last=False):
        if not 0 <= rank < num_replicas:
            raise ValueError("need 0 <= rank < num_replicas")
        order = np.asarray(order)
        if drop_last:
            return order[:len(order) // num_replicas * num_replicas][rank::num_replicas]
        return np.pad(order, (0, -len(order) % num_replicas), mode=mode)[rank::num_replicas]
    return sampler_indices


@pytest.mark.parametrize("mode, named", [("constant", "pads with zeros unless told otherwise"),
                                         ("edge", "not its last index")])
def test_lesson_08a_round_24_sampler_indices_padded_by_np_pad_without_wrap_is_told_the_mode(mode, named):
    """np.pad(order, (0, pad)) pads with zeros (its default mode) and mode="edge" repeats the last index; both were
    refused with a bare "wrong value at index 3: expected 1, got 0 (or 9)", which does not say what is wrong with
    the padding. Both are now catalogued, and the message names np.pad's mode and mode="wrap"
    (round 24, r248 F2)."""
    verdict = judge(registry.get_exercise("sampler_indices"), _r24_sampler_np_pad(mode))
    assert verdict.kind == WRONG and named in verdict.text and 'mode="wrap"' in verdict.text, verdict.text


def test_lesson_08a_round_24_sampler_indices_padded_by_np_pad_with_wrap_passes():
    """np.pad(order, (0, pad), mode="wrap") repeats the start, as often as needed: right (round 24, r248 F2)."""
    _passes("sampler_indices", _r24_sampler_np_pad("wrap"))


# round 25: lesson 08
def _r25_shard_sum_kept_in_float32(grad_fn, w, X, y, k):
    if not 1 <= k <= len(X):
        raise ValueError("need 1 <= k <= len(X)")
    total = np.zeros(np.shape(w), dtype=np.float32)         # "gradients are float32"
    for X_j, y_j in zip(np.array_split(X, k), np.array_split(y, k)):
        total += len(X_j) * grad_fn(w, X_j, y_j)            # += keeps the sum in float32
    return total / len(X)


def test_lesson_08a_round_25_shard_gradient_summed_in_float32_is_refused():
    """A sum started from np.zeros(np.shape(w), dtype=np.float32) and added to with += keeps 7 digits; it passed, as
    no case had shards' gradients that cancel (the float32 message even named this sum). A model near the optimum of
    its batch (shards' gradients of 1e2 to 1e3, a full-batch gradient of about 1e-3) now refuses it
    (round 25, r258 F1)."""
    verdict = judge(registry.get_exercise("shard_gradient"), _r25_shard_sum_kept_in_float32)
    assert verdict.kind == WRONG and "near the optimum" in verdict.text, verdict.text
    assert "keeps about 7 digits" in verdict.text, verdict.text


def _r25_shard_by_np_average(grad_fn, w, X, y, k):
    if not 1 <= k <= len(X):
        raise ValueError("need 1 <= k <= len(X)")
    shards = list(zip(np.array_split(X, k), np.array_split(y, k)))
    return np.average([grad_fn(w, X_j, y_j) for X_j, y_j in shards], axis=0, weights=[len(X_j) for X_j, _ in shards])


def _r25_shard_sum_upcast_from_float32(grad_fn, w, X, y, k):
    if not 1 <= k <= len(X):
        raise ValueError("need 1 <= k <= len(X)")
    total = np.zeros(np.shape(w), dtype=np.float32)
    for X_j, y_j in zip(np.array_split(X, k), np.array_split(y, k)):
        total = total + len(X_j) * grad_fn(w, X_j, y_j)     # float32 + float64 is float64: the sum keeps 16 digits
    return total / len(X)


@pytest.mark.parametrize("answer", [_r25_shard_by_np_average, _r25_shard_sum_upcast_from_float32])
def test_lesson_08a_round_25_shard_gradient_right_answers_near_the_optimum_pass(answer):
    """np.average with the shard sizes as weights, and a float32 start that total = total + ... turns into float64,
    add in float64: right, also on the case near the optimum (round 25, r258 F1)."""
    _passes("shard_gradient", answer)


def _r25_accumulation_stopping_on_a_non_finite_loss(model, loss_fn, optimizer, x, y, micro_batches):
    import torch

    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    optimizer.zero_grad()
    total = 0.0
    for xb, yb in zip(torch.tensor_split(x, micro_batches), torch.tensor_split(y, micro_batches)):
        loss = loss_fn(model(xb), yb) * len(xb) / len(x)
        loss.backward()
        total += loss.item()
    if not math.isfinite(total):
        raise ValueError("the batch's loss is not finite: a broken example?")   # loud: it hides nothing
    optimizer.step()
    return total


def _r25_accumulation_asserting_a_finite_batch(model, loss_fn, optimizer, x, y, micro_batches):
    import torch

    assert torch.isfinite(x).all(), "x holds a NaN or an infinity"
    return _accumulation_steps_with()(model, loss_fn, optimizer, x, y, micro_batches)


@pytest.mark.parametrize("answer", [_r25_accumulation_stopping_on_a_non_finite_loss,
                                    _r25_accumulation_asserting_a_finite_batch])
def test_lesson_08b_round_25_accumulation_step_stopping_on_a_nan_batch_with_an_error_passes(answer):
    """Raising ValueError when the loss is not finite (before the step), or asserting that x is finite, was refused
    with "raised ValueError" on the case of a batch with a NaN feature, though an error hides the broken batch no
    more than NaN weights do; shard_gradient and ring_step accept such an error on a NaN input. Now accepted there;
    skipping the step or zeroing the NaN gradients is still refused (round 25, r258 F2)."""
    _passes("accumulation_step", answer)


def test_lesson_08b_round_25_accumulation_step_raising_on_stale_nan_gradients_is_still_refused():
    """An error is accepted only on the broken batch: raising on the caller's stale NaN gradients, which
    optimizer.zero_grad() clears, is still refused (round 25, r258 F2)."""
    def first(model):
        if any(p.grad is not None and not p.grad.isfinite().all() for p in model.parameters()):
            raise ValueError("NaN gradients")
    verdict = judge(registry.get_exercise("accumulation_step"), _accumulation_steps_with(first=first))
    assert verdict.kind == WRONG and "stale gradients that are NaN" in verdict.text, verdict.text


def _r25_accumulation_zeroing_after_the_step(model, loss_fn, optimizer, x, y, micro_batches):
    import torch

    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    total = 0.0
    for xb, yb in zip(torch.tensor_split(x, micro_batches), torch.tensor_split(y, micro_batches)):
        loss = loss_fn(model(xb), yb) * len(xb) / len(x)
        loss.backward()
        total += loss.item()
    optimizer.step()
    optimizer.zero_grad()                                  # "ready for the next batch": too late for this one
    return total


def test_lesson_08b_round_25_accumulation_step_without_zeroing_first_is_told_backward_adds():
    """Zeroing the gradients after the step, not before (so the caller's stale p.grad is added to), was refused
    with the generic "the weights after the step differ ... Zero the gradients once, before the loop; scale ...;
    step once, after it", three hints for one slip; a catalogued mistake now says that backward() adds to the old
    p.grad and to call optimizer.zero_grad() before the loop (round 25, r258 F7)."""
    verdict = judge(registry.get_exercise("accumulation_step"), _r25_accumulation_zeroing_after_the_step)
    assert verdict.kind == WRONG and "backward() adds to what is there" in verdict.text, verdict.text


# round 26: lesson 08
def _r26_accumulation_with_flattened_targets(model, loss_fn, optimizer, x, y, micro_batches):
    import torch

    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    optimizer.zero_grad()
    total = 0.0
    for xb, yb in zip(torch.tensor_split(x, micro_batches), torch.tensor_split(y, micro_batches)):
        if yb.is_floating_point():
            yb = yb.squeeze(-1)                           # "regression targets are a flat vector": (n, 1) to (n,)
        loss = loss_fn(model(xb), yb) * len(xb) / len(x)
        loss.backward()
        total += loss.item()
    optimizer.step()
    return total


def _r26_accumulation_summing_the_pieces_mean_losses(model, loss_fn, optimizer, x, y, micro_batches):
    import torch

    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    optimizer.zero_grad()
    total = 0.0
    for xb, yb in zip(torch.tensor_split(x, micro_batches), torch.tensor_split(y, micro_batches)):
        loss = loss_fn(model(xb), yb)
        (loss * len(xb) / len(x)).backward()              # the step is right
        total += loss.item()                              # the piece's mean loss, not its share
    optimizer.step()
    return total


def test_lesson_08b_round_26_accumulation_step_flattening_the_targets_is_told_so():
    """yb.squeeze(-1) on a one-output regression's targets (shape (n, 1) to (n,)) broadcasts the loss into an (n, n)
    table; it was refused with the generic "the weights after the step differ ... Zero the gradients once, before
    the loop; scale ...; step once, after it", three hints that this answer already follows. A catalogued mistake now
    names the flattened targets too (round 26, r268 F1)."""
    pytest.importorskip("torch")
    verdict = judge(registry.get_exercise("accumulation_step"), _r26_accumulation_with_flattened_targets)
    assert verdict.kind == WRONG and "(n, n) table" in verdict.text and "or the targets" in verdict.text, verdict.text


def test_lesson_08b_round_26_accumulation_step_summing_the_pieces_mean_losses_is_told_so():
    """Returning the sum of the pieces' mean losses (micro_batches times the batch's mean loss for equal pieces) was
    refused with a bare "wrong value: expected 1.10954, got 3.32863"; a catalogued mistake now says that the
    returned loss adds each piece's share, loss.item() of the scaled loss (round 26, r268 F2)."""
    pytest.importorskip("torch")
    verdict = judge(registry.get_exercise("accumulation_step"), _r26_accumulation_summing_the_pieces_mean_losses)
    assert verdict.kind == WRONG and "Your step is right" in verdict.text and "sum of the pieces'" in verdict.text, \
        verdict.text


def _r26_shard_averaging_the_weighted_shares(grad_fn, w, X, y, k):
    if not 1 <= k <= len(X):
        raise ValueError("k must be between 1 and len(X)")
    shards = zip(np.array_split(X, k), np.array_split(y, k))
    return np.mean([len(X_j) / len(X) * grad_fn(w, X_j, y_j) for X_j, y_j in shards], axis=0)   # k times too small


def test_lesson_08a_round_26_shard_gradient_averaging_the_weighted_shares_is_told_so():
    """Each shard's gradient weighted by its share len(X_j) / len(X), then averaged with np.mean (a second division by
    k), was refused with a bare "wrong value at index 0: expected -2.67804, got -0.892679"; a catalogued mistake now
    says to add the weighted gradients, not average them (round 26, r268 F3)."""
    verdict = judge(registry.get_exercise("shard_gradient"), _r26_shard_averaging_the_weighted_shares)
    assert verdict.kind == WRONG and "divides by k once more" in verdict.text, verdict.text


def _r26_sampler_padded_with_positions(order, num_replicas, rank, drop_last=False):
    if not 0 <= rank < num_replicas:
        raise ValueError("need 0 <= rank < num_replicas")
    order = np.asarray(order)
    if drop_last:
        return order[:len(order) // num_replicas * num_replicas][rank::num_replicas]
    pad = -len(order) % num_replicas
    return np.concatenate([order, np.arange(pad) % max(len(order), 1)])[rank::num_replicas]   # positions 0, 1, ...


def test_lesson_08a_round_26_sampler_indices_padded_with_positions_is_not_told_about_np_pad():
    """Padding with the positions 0, 1, ... (np.arange(pad)), not the start of a shuffled `order`, was told "np.pad
    pads with zeros unless told otherwise", a function this answer never called; the message now names both ways
    of handing out index 0 and positions, and how to repeat the start (round 26, r268 F4)."""
    verdict = judge(registry.get_exercise("sampler_indices"), _r26_sampler_padded_with_positions)
    assert verdict.kind == WRONG and "np.arange(pad)'s positions" in verdict.text, verdict.text


def _r26_accumulation_without_an_upper_check(model, loss_fn, optimizer, x, y, micro_batches):
    import torch

    if micro_batches < 1:                                 # more pieces than examples slips through
        raise ValueError("micro_batches must be at least 1")
    optimizer.zero_grad()
    total = 0.0
    for xb, yb in zip(torch.tensor_split(x, micro_batches), torch.tensor_split(y, micro_batches)):
        if len(xb):                                       # an empty piece is skipped
            loss = loss_fn(model(xb), yb) * len(xb) / len(x)
            loss.backward()
            total += loss.item()
    optimizer.step()
    return total


def test_lesson_08b_round_26_accumulation_step_missing_error_shows_the_answer_s_own_result():
    """An answer that does not raise for more micro-batches than examples returned a float (1.2369...), but was told
    "should raise ValueError for this input, but returned (1.2369..., array([-0.2661857, ...", the check's own tuple
    of loss, weights and flags, which the learner never returned; it now shows the returned loss only
    (round 26, r268 F5)."""
    pytest.importorskip("torch")
    verdict = judge(registry.get_exercise("accumulation_step"), _r26_accumulation_without_an_upper_check)
    assert verdict.kind == WRONG and "should raise ValueError" in verdict.text, verdict.text
    assert "array(" not in verdict.text and "returned (" not in verdict.text, verdict.text


def _r297_integrated_gradients_on_the_catalogue_s_midpoints(model, x, target, baseline, steps):
    from course_utils.exercises.interpretability import _float32_midpoints

    x, baseline, points = _float32_midpoints(x, baseline, steps)   # steps checked, float32, the points of the path
    model(points)[:, target].sum().backward()
    return (x - baseline) * points.grad.mean(dim=0)


def test_r297_integrated_gradients_refuses_the_catalogue_s_midpoint_helper():
    """Shortcut: _float32_midpoints, the helper that two catalogued mistakes share since round 28, checks steps,
    converts x and the baseline to float32 and makes the batch of midpoints that require gradients; an answer that
    called it and added backward() and a mean passed (round 29, r297 F1). It is refused as the course's own code now,
    as the saliency mistakes' helper _target_score_gradient is."""
    _refused_as_the_course_s_own("integrated_gradients", _r297_integrated_gradients_on_the_catalogue_s_midpoints)


def _r297_captum_made_before():
    """A captum Saliency made before any check (its gradient_func is captum's compute_gradients as it was then), and
    Saliency.attribute held in a ChainMap, which held_functions does not look into."""
    import collections

    import captum.attr

    made = captum.attr.Saliency(None)
    return made, collections.ChainMap({"attribute": type(made).attribute})


_R297_SALIENCY_MADE_BEFORE = []


def _r297_saliency_map_by_captum_made_before(model, x, target):
    import torch

    made, held = _R297_SALIENCY_MADE_BEFORE[0]
    made.forward_func = model
    x = torch.as_tensor(x, dtype=torch.float32)[None].clone().requires_grad_(True)
    return held["attribute"](made, x, target=target)[0].detach()


def test_r297_saliency_map_refuses_captum_s_saliency_made_before_the_check():
    """An engine note of round 29 (r297 E1: captum's Saliency.attribute held in a ChainMap, made before the check),
    closed in round 32: the walk of what the answer holds opens standard-library objects (a ChainMap's maps)."""
    pytest.importorskip("captum")
    _R297_SALIENCY_MADE_BEFORE[:] = [_r297_captum_made_before()]
    verdict = judge(registry.get_exercise("saliency_map"), _r297_saliency_map_by_captum_made_before)
    assert verdict.kind == WRONG and _a_library_refused(verdict.text), verdict.text


def _r297_saliency_map_without_a_batch_axis(model, x, target):
    import torch

    x = torch.as_tensor(x, dtype=torch.float32).clone().requires_grad_(True)
    score = model(x)[target]                                  # x[None] left out
    score.backward()
    return x.grad.abs()


def _r297_saliency_map_without_a_batch_axis_first_row(model, x, target):
    import torch

    x = torch.as_tensor(x, dtype=torch.float32).clone().requires_grad_(True)
    model(x)[0, target].backward()                            # x[None] left out
    return x.grad.abs()


def _r297_integrated_gradients_alphas_not_reshaped(model, x, target, baseline, steps):
    import torch

    if steps < 1:
        raise ValueError("steps must be at least 1")
    x, baseline = _r28_ig_parts(x, baseline)
    alphas = (torch.arange(steps) + 0.5) / steps              # shape (steps,)
    points = (baseline + alphas * (x - baseline)).requires_grad_(True)
    model(points)[:, target].sum().backward()
    return (x - baseline) * points.grad.mean(dim=0)


def _r297_integrated_gradients_alphas_with_one_axis_added(model, x, target, baseline, steps):
    import torch

    if steps < 1:
        raise ValueError("steps must be at least 1")
    x, baseline = _r28_ig_parts(x, baseline)
    alphas = ((torch.arange(steps) + 0.5) / steps)[:, None]   # (steps, 1), for an image too
    points = (baseline + alphas * (x - baseline)).requires_grad_(True)
    model(points)[:, target].sum().backward()
    return (x - baseline) * points.grad.mean(dim=0)


@pytest.mark.parametrize("name, answer, mistake, reason", [
    ("saliency_map", _r297_saliency_map_without_a_batch_axis, "no batch axis", "add a batch axis with x[None]"),
    ("saliency_map", _r297_saliency_map_without_a_batch_axis_first_row, "no batch axis, [0, target]",
     "add a batch axis with x[None]"),
    ("integrated_gradients", _r297_integrated_gradients_alphas_not_reshaped, "alphas not reshaped",
     "reshape(-1, *[1] * x.ndim)"),
    ("integrated_gradients", _r297_integrated_gradients_alphas_with_one_axis_added,   # on the 8x8 image with 8
     ("alphas of shape (steps, 1)", "alphas not reshaped"), "reshape(-1, *[1] * x.ndim)"),  # steps, the same error
], ids=["saliency_map model(x)[target]", "saliency_map model(x)[0, target]", "integrated_gradients alphas (steps,)",
        "integrated_gradients alphas (steps, 1)"])
def test_r297_batch_axis_slips_of_saliency_map_and_integrated_gradients_are_named(name, answer, mistake, reason):
    """Slips with the batch axis were refused with torch's own error only: model(x)[target] without x[None] passed
    the MLP cases and failed on the CNN with "expected input[1, 8, 1, 8] to have 1 channels, but got 8 channels",
    which points at channels; model(x)[0, target] with "too many indices"; alphas of shape (steps,) with "The size of
    tensor a (16) must match the size of tensor b (6)", and alphas[:, None] for an image with the CNN's channel error
    again. Each is catalogued with a message that names the batch axis now (round 29, r297 F2, F3)."""
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and verdict.mistake in np.atleast_1d(mistake) and reason in verdict.text, verdict.text


def _r297_saliency_map_of_the_largest_score_unless_watched(model, x, target):
    import captum._utils.gradient as gradients
    import torch

    x = torch.as_tensor(x, dtype=torch.float32).clone().requires_grad_(True)
    checked = not gradients.compute_gradients.__code__.co_filename.startswith(gradients.__file__.rsplit("/", 1)[0])
    scores = model(x[None])
    (scores[0, target] if checked else scores[0].max()).backward()   # contrived: right only while checked
    return x.grad.abs()


@pytest.mark.xfail(strict=True, reason="engine note (r297 E2): an answer that tells a check from the notebook by the "
                   "watchers the check binds into a library's module (captum's compute_gradients is a function of "
                   "course_utils' engine while checked) passes saliency_map and is wrong afterwards; a new variant of "
                   "r287 E1 (the check's frames on the stack) that looks at no frame")
def test_r297_saliency_map_refuses_an_answer_that_looks_for_the_check_s_watchers():
    pytest.importorskip("captum")
    verdict = judge(registry.get_exercise("saliency_map"), _r297_saliency_map_of_the_largest_score_unless_watched)
    assert verdict.kind == WRONG, verdict.text


def test_r297_saliency_map_s_chinese_messages_say_batch_axis_as_the_lesson_does():
    """The lesson says 批量轴 for the batch axis; the Chinese hint of saliency_map and its message for a map that kept
    the batch axis said 批量维度, a second term for the same concept (round 29, r297 F4)."""
    from course_utils import i18n

    exercise = registry.get_exercise("saliency_map")
    chinese = [i18n.catalogue("zh").get(text, "") for text in
               (exercise.hint, *(mistake.message for mistake in exercise.mistakes))]
    assert all("批量维度" not in text for text in chinese) and sum("批量轴" in text for text in chinese) >= 3
def _r298_shapley_with_the_difference_reversed(predict, x, background):
    """The right v(S) and weights, with each term written v(S) - v(S + i): the Shapley values with the opposite sign."""
    from itertools import combinations

    x, background = np.asarray(x, dtype=float), np.atleast_2d(np.asarray(background, dtype=float))
    if background.shape[1] != len(x):
        raise ValueError("background must have one column per feature")
    n = len(x)

    def v(S):
        rows = background.copy()
        rows[:, list(S)] = x[list(S)]
        return np.mean(predict(rows))
    return np.array([sum(math.factorial(s) * math.factorial(n - s - 1) / math.factorial(n) * (v(S) - v(S + (i,)))
                         for s in range(n) for S in combinations([j for j in range(n) if j != i], s))
                     for i in range(n)])


def test_r298_exact_shapley_values_names_the_difference_reversed():
    """v(S) - v(S + i) in place of v(S + i) - v(S) gives the Shapley values with the opposite sign, as a v(S) with x
    and the background swapped does; it was told only "in v(S) the features in S keep x's values and the others come
    from the background rows, not the other way round", so a learner with a right v(S) looked for the slip there. The
    message names both causes now (round 29, r298 F1)."""
    verdict = judge(registry.get_exercise("exact_shapley_values"), _r298_shapley_with_the_difference_reversed)
    assert verdict.kind == WRONG and "not v(S) - v(S + i)" in verdict.text, verdict.text


def _r298_shapley_by_shap_s_grey_code_sum(held):
    """v(S) of every coalition in shap's grey-code order, summed with the Shapley weights by the Python function of
    shap's numba-compiled _compute_grey_code_row_values (its py_func): reached through the module at the call, or held
    from before the check (an earlier cell)."""
    import shap.explainers._exact as exact

    kept = exact._compute_grey_code_row_values.py_func

    def exact_shapley_values(predict, x, background):
        x, background = np.asarray(x, dtype=float), np.atleast_2d(np.asarray(background, dtype=float))
        if background.shape[1] != len(x):
            raise ValueError("background must have one column per feature")
        n, none = len(x), 2 ** 31 - 1
        delta, outputs, mask = exact.gray_code_indexes(n), [], np.zeros(n, dtype=bool)
        for d in delta:
            if d != none:
                mask[d] = ~mask[d]
            rows = background.copy()
            rows[:, mask] = x[mask]
            outputs.append(np.mean(predict(rows)))
        phi = np.zeros(n)
        weights = np.array([math.factorial(s) * math.factorial(n - s - 1) / math.factorial(n) for s in range(n)])
        sum_up = kept if held else exact._compute_grey_code_row_values.py_func
        sum_up(phi, np.zeros(n, dtype=bool), np.arange(n), np.array(outputs), weights, delta, none)
        return phi
    return exact_shapley_values


@pytest.mark.parametrize("held", [False, True], ids=["through the module", "held from before the check"])
def test_r298_exact_shapley_values_refuses_the_python_function_of_shap_s_grey_code_sum(held):
    """shap's _compute_grey_code_row_values (ExactExplainer's sum of every coalition's value with its Shapley weight)
    is refused since round 26, but it is a numba dispatcher, and its py_func, the Python function that numba compiles,
    passed: the watcher copied the dispatcher's __dict__, py_func with it, and a py_func held from an earlier cell was
    not looked for. The watcher watches the functions in the __dict__ it copies, and py_func is refused by name
    (round 29, r298 F2)."""
    pytest.importorskip("shap")
    verdict = judge(registry.get_exercise("exact_shapley_values"), _r298_shapley_by_shap_s_grey_code_sum(held))
    assert verdict.kind == WRONG and "_compute_grey_code_row_values" in verdict.text, verdict.text


def _r298_occlusion_in_one_covered_copy(predict, image, patch, stride, fill):
    """The right loops, with one covered copy of the image made before them: every window's fill stays in it."""
    image = np.asarray(image, dtype=float)
    if patch > min(image.shape):
        raise ValueError("the patch does not fit into the image")
    total, count, original = np.zeros(image.shape), np.zeros(image.shape), predict(image[None])[0]
    covered = image.copy()
    for i in range(0, image.shape[0] - patch + 1, stride):
        for j in range(0, image.shape[1] - patch + 1, stride):
            covered[i:i + patch, j:j + patch] = fill
            total[i:i + patch, j:j + patch] += original - predict(covered[None])[0]
            count[i:i + patch, j:j + patch] += 1
    return np.divide(total, count, out=np.zeros_like(total), where=count > 0)


def test_r298_occlusion_map_names_one_covered_copy_for_every_window():
    """One copy of the image made before the loops (to save copies) and covered window after window keeps every fill,
    so each score has all the windows before it covered too; it was told only "wrong value at index (0, 1): expected
    1.24159, got 0.833333". It is catalogued now, as the same slip of exact_shapley_values was in round 28 (round 29,
    r298 F3)."""
    verdict = judge(registry.get_exercise("occlusion_map"), _r298_occlusion_in_one_covered_copy)
    assert verdict.kind == WRONG and "covered = image.copy() inside the loops" in verdict.text, verdict.text


def _r298_shapley_by_shap_s_compiled_grey_code_sum():
    """As _r298_shapley_by_shap_s_grey_code_sum, with the machine code that numba compiled for the sum (compiled
    before the check, as a call of shap's ExactExplainer in an earlier cell does): its entry point, in the
    dispatcher's overloads, is neither the dispatcher nor its py_func."""
    import shap.explainers._exact as exact

    none = 2 ** 31 - 1
    exact._compute_grey_code_row_values(np.zeros(2), np.zeros(2, dtype=bool), np.arange(2), np.zeros(4), np.ones(2),
                                        exact.gray_code_indexes(2), none)

    def exact_shapley_values(predict, x, background):
        x, background = np.asarray(x, dtype=float), np.atleast_2d(np.asarray(background, dtype=float))
        if background.shape[1] != len(x):
            raise ValueError("background must have one column per feature")
        n = len(x)
        delta, outputs, mask = exact.gray_code_indexes(n), [], np.zeros(n, dtype=bool)
        for d in delta:
            if d != none:
                mask[d] = ~mask[d]
            rows = background.copy()
            rows[:, mask] = x[mask]
            outputs.append(np.mean(predict(rows)))
        phi = np.zeros(n)
        weights = np.array([math.factorial(s) * math.factorial(n - s - 1) / math.factorial(n) for s in range(n)])
        compiled = next(iter(exact._compute_grey_code_row_values.overloads.values())).entry_point
        compiled(phi, np.zeros(n, dtype=bool), np.arange(n), np.array(outputs), weights, delta, none)
        return phi
    return exact_shapley_values


@pytest.mark.xfail(strict=True, reason="engine note (r298 E1): a refusal watches Python-level calls of the function "
                   "and its py_func; numba's compiled entry point, held in the dispatcher's overloads, is another "
                   "callable that no watcher replaces (as a Cython method, r272 E1)")
def test_r298_exact_shapley_values_refuses_numba_s_compiled_grey_code_sum():
    """shap's grey-code sum is refused as a dispatcher and as its py_func (r298 F2); the machine code that numba
    compiled for it, once a call before the check compiled it, is reached through dispatcher.overloads[...].entry_point
    and passes (round 29, r298 E1)."""
    pytest.importorskip("shap")
    verdict = judge(registry.get_exercise("exact_shapley_values"), _r298_shapley_by_shap_s_compiled_grey_code_sum())
    assert verdict.kind != PASSED, verdict.text


def _r298_from_the_course_s_source(name):
    """course_utils.attribution's source, run again with exec: its exact_shapley and occlusion are new functions whose
    code is "<string>", the answer's own to every watch, and no watcher replaces them."""
    import inspect

    from course_utils import attribution

    namespace = {}
    exec(inspect.getsource(attribution), namespace)
    return namespace[name]


def _r298_course_source_run_again(name):
    if name == "occlusion":
        def occlusion_map(predict, image, patch, stride, fill):
            return _r298_from_the_course_s_source(name)(predict, image, patch, stride, fill)
        return occlusion_map

    def exact_shapley_values(predict, x, background):
        return _r298_from_the_course_s_source(name)(predict, x, background)
    return exact_shapley_values


@pytest.mark.xfail(strict=True, reason="engine note (r298 E2): refusals go by the function object (watchers, held "
                   "references); the course module's source run again with exec makes new functions whose code the "
                   "engine counts as the answer's own")
@pytest.mark.parametrize("exercise, name", [("exact_shapley_values", "exact_shapley"), ("occlusion_map", "occlusion")])
def test_r298_the_course_s_own_version_run_from_its_source_is_refused(exercise, name):
    """attribution.exact_shapley and attribution.occlusion are refused as the course's own versions, as a call, a
    held reference or a function holding one; exec(inspect.getsource(attribution), namespace) makes fresh copies from
    the module's source, and an answer that calls them passes both checks (round 29, r298 E2)."""
    verdict = judge(registry.get_exercise(exercise), _r298_course_source_run_again(name))
    assert verdict.kind != PASSED, verdict.text


@pytest.mark.parametrize("weight", [lambda s, n: math.factorial(s) * math.factorial(n - s - 1) / math.factorial(n - 1),
                                    lambda s, n: 1 / math.comb(n - 1, s)], ids=["(n-1)! for n!", "1 / C(n-1, s)"])
def test_r298_exact_shapley_values_names_weights_without_the_1_over_n(weight):
    """Weights s! (n-s-1)! / (n-1)!, or 1 / C(n-1, s) (the mean over the coalitions of each size, summed over the
    sizes), give n times the Shapley values; both were told only "wrong value ... expected 1.76222, got 5.28666". The
    slip is catalogued now (round 29, r298 F4)."""
    verdict = judge(registry.get_exercise("exact_shapley_values"), _r28_shapley_with_sizes(
        lambda others: range(len(others) + 1), weight))
    assert verdict.kind == WRONG and "n times the Shapley values" in verdict.text, verdict.text


def _r307_shap_gradient_helper(kind, model):
    """One of shap's torch gradient helpers, made without its explainer's set-up: gradient(idx, [batch]) returns the
    gradient of score idx for every row of the batch, as numpy."""
    if kind == "gradient":
        from shap.explainers._gradient import _PyTorchGradient

        helper = _PyTorchGradient.__new__(_PyTorchGradient)
        helper.model, helper.input_handle = model, None
    else:
        from shap.explainers._deep.deep_pytorch import PyTorchDeep

        helper = PyTorchDeep.__new__(PyTorchDeep)
        helper.model, helper.interim = model, False
    return helper


def _r307_saliency_map_by_shap(kind):
    def saliency_map(model, x, target):
        import torch

        batch = torch.as_tensor(x, dtype=torch.float32).clone()[None]
        return np.abs(_r307_shap_gradient_helper(kind, model).gradient(target, [batch])[0][0])
    return saliency_map


def _r307_integrated_gradients_by_shap(kind):
    def integrated_gradients(model, x, target, baseline, steps):
        import torch

        if steps < 1:
            raise ValueError("steps must be at least 1")
        x = torch.as_tensor(x, dtype=torch.float32)
        baseline = torch.zeros_like(x) if baseline is None else torch.as_tensor(baseline, dtype=torch.float32)
        alphas = ((torch.arange(steps) + 0.5) / steps).reshape(-1, *[1] * x.ndim)
        points = (baseline + alphas * (x - baseline)).detach()
        grads = _r307_shap_gradient_helper(kind, model).gradient(target, [points])[0]
        return (x - baseline) * torch.from_numpy(grads).mean(dim=0)
    return integrated_gradients


@pytest.mark.parametrize("name, answer", [
    ("saliency_map", _r307_saliency_map_by_shap("gradient")),
    ("saliency_map", _r307_saliency_map_by_shap("deep")),
    ("integrated_gradients", _r307_integrated_gradients_by_shap("gradient")),
    ("integrated_gradients", _r307_integrated_gradients_by_shap("deep")),
], ids=["saliency_map GradientExplainer", "saliency_map DeepExplainer", "integrated_gradients GradientExplainer",
        "integrated_gradients DeepExplainer"])
def test_r307_saliency_and_integrated_gradients_refuse_shap_s_gradient_helpers(name, answer):
    """Shortcut: shap's GradientExplainer and DeepExplainer for torch models each have a helper, gradient(idx, inputs),
    that runs the model on a batch and returns the gradient of score idx for every row; on x[None] it is the saliency
    map before .abs(), and on the answer's own batch of path points it leaves integrated gradients only the mean. Both
    passed both checks (19 and 24 inputs); they are refused as a library's version now (round 30, r307 F1, F2)."""
    pytest.importorskip("shap")
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and _a_library_refused(verdict.text) and "shap" in verdict.text, verdict.text


def _r307_integrated_gradients_by_captum_s_conductance_reference(model, x, target, baseline, steps):
    import torch
    from captum.testing.attr.helpers.conductance_reference import ConductanceReference

    if steps < 1:
        raise ValueError("steps must be at least 1")
    x = torch.as_tensor(x, dtype=torch.float32)
    baseline = torch.zeros_like(x) if baseline is None else torch.as_tensor(baseline, dtype=torch.float32)
    if steps == 1:                                   # the reference asserts more than one step
        point = (baseline + 0.5 * (x - baseline)).requires_grad_(True)
        model(point[None])[0, target].backward()
        return (x - baseline) * point.grad
    wrapped = torch.nn.Sequential(torch.nn.Identity(), model)   # the identity's conductance is x's attribution
    return ConductanceReference(wrapped, wrapped[0]).attribute(
        x[None].clone(), baseline[None], target=target, n_steps=steps, method="riemann_middle")[0].detach()


def test_r307_integrated_gradients_refuses_captum_s_conductance_reference():
    """Shortcut: the layer conductance of an identity layer put in front of the model is integrated gradients, and
    captum's reference version of conductance (captum.testing) takes method="riemann_middle" and computes its
    gradients with torch.autograd.grad, none of the captum helpers refused. With one step done by hand it passed every
    case but the lesson's 28x28 ones, where it was refused only for running past 5 s (one copy of the batch per pixel:
    a matter of the machine's speed). It is refused as a library's version now (round 30, r307 F3)."""
    pytest.importorskip("captum")
    verdict = judge(registry.get_exercise("integrated_gradients"),
                    _r307_integrated_gradients_by_captum_s_conductance_reference)
    assert verdict.kind == WRONG and _a_library_refused(verdict.text), verdict.text
    assert "ConductanceReference" in verdict.text, verdict.text


def _r307_ig_midpoints(x, baseline, steps):
    import torch

    if steps < 1:
        raise ValueError("steps must be at least 1")
    x = torch.as_tensor(x, dtype=torch.float32)
    baseline = torch.zeros_like(x) if baseline is None else torch.as_tensor(baseline, dtype=torch.float32)
    alphas = ((torch.arange(steps) + 0.5) / steps).reshape(-1, *[1] * x.ndim)
    return x, baseline, (baseline + alphas * (x - baseline)).requires_grad_(True)


def _r307_ig_of_the_largest_score_at_each_point(model, x, target, baseline, steps):
    x, baseline, points = _r307_ig_midpoints(x, baseline, steps)
    model(points).max(dim=1).values.sum().backward()          # the predicted class, point by point
    return (x - baseline) * points.grad.mean(dim=0)


def _r307_ig_of_the_class_predicted_for_x(model, x, target, baseline, steps):
    x, baseline, points = _r307_ig_midpoints(x, baseline, steps)
    predicted = model(x[None]).argmax()                       # what the model says x is
    model(points)[:, predicted].sum().backward()
    return (x - baseline) * points.grad.mean(dim=0)


def _r307_ig_with_linspace_without_its_ends(model, x, target, baseline, steps):
    import torch

    if steps < 1:
        raise ValueError("steps must be at least 1")
    x = torch.as_tensor(x, dtype=torch.float32)
    baseline = torch.zeros_like(x) if baseline is None else torch.as_tensor(baseline, dtype=torch.float32)
    alphas = torch.linspace(0, 1, steps + 2)[1:-1].reshape(-1, *[1] * x.ndim)   # "inside (0, 1)"
    points = (baseline + alphas * (x - baseline)).requires_grad_(True)
    model(points)[:, target].sum().backward()
    return (x - baseline) * points.grad.mean(dim=0)


@pytest.mark.parametrize("answer, mistake, reason", [
    (_r307_ig_of_the_largest_score_at_each_point, "predicted class, not target", "model(points)[:, target]"),
    (_r307_ig_of_the_class_predicted_for_x, "predicted class, not target", "model(points)[:, target]"),
    (_r307_ig_with_linspace_without_its_ends, "linspace without its ends", "(torch.arange(steps) + 0.5) / steps"),
], ids=["largest score at each point", "class predicted for x", "linspace without its ends"])
def test_r307_integrated_gradients_names_two_slips_told_only_wrong_value(answer, mistake, reason):
    """Two slips were refused with "wrong value at index 0: expected 0.0814404, got -0.0790416" alone: the score of
    the predicted class instead of target (Exercise 1's catalogue names it, Exercise 2's did not), and alphas made as
    linspace(0, 1, steps + 2)[1:-1], points strictly inside (0, 1) but not the midpoints ("expected 0.0039559, got
    0.00422259"). Both are catalogued with a message now (round 30, r307 F4, F5)."""
    verdict = judge(registry.get_exercise("integrated_gradients"), answer)
    assert verdict.kind == WRONG and verdict.mistake == mistake and reason in verdict.text, verdict.text


def test_r307_integrated_gradients_two_new_messages_have_chinese():
    from course_utils import i18n
    from course_utils.exercises import interpretability

    zh = i18n.catalogue("zh")
    for text in (interpretability._PREDICTED_CLASS_IN_IG, interpretability._ALPHAS_OF_LINSPACE_WITHOUT_ITS_ENDS):
        assert "model(points)[:, target]" in zh.get(text, "") or "(torch.arange(steps) + 0.5) / steps" in zh[text]


def _r307_saliency_map_of_class_mod_8(model, x, target):
    import torch

    x = torch.as_tensor(x, dtype=torch.float32).clone().requires_grad_(True)
    model(x[None])[0, target % 8].backward()          # contrived: wrong for classes 8 and 9 only
    return x.grad.abs()


def _r307_integrated_gradients_of_class_mod_8(model, x, target, baseline, steps):
    x, baseline, points = _r307_ig_midpoints(x, baseline, steps)
    model(points)[:, target % 8].sum().backward()     # contrived: wrong for classes 8 and 9 only
    return (x - baseline) * points.grad.mean(dim=0)


@pytest.mark.parametrize("name, answer", [("saliency_map", _r307_saliency_map_of_class_mod_8),
                                          ("integrated_gradients", _r307_integrated_gradients_of_class_mod_8)],
                         ids=["saliency_map", "integrated_gradients"])
def test_r307_gradient_checks_ask_for_classes_8_and_9(name, answer):
    """Contrived: no case of either check asked for a class above 7 (drawn models have 2-5 classes, the lesson-size
    cases asked for 3, 5, 6 and 7), so an answer that took the score [target % 8] passed both, and is wrong in the
    notebook for any digit 8 or 9 of the ten. A lesson-size case asks for class 9 (saliency) and 8 (integrated
    gradients) now (round 30, r307 F6)."""
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and ("class 9" in verdict.text or "class 8" in verdict.text), verdict.text


def _r307_saliency_map_under_no_grad(model, x, target):
    import torch

    x = torch.as_tensor(x, dtype=torch.float32).clone().requires_grad_(True)
    with torch.no_grad():                                     # "we are not training"
        score = model(x[None])[0, target]
    score.backward()
    return x.grad.abs()


def _r307_integrated_gradients_under_no_grad(model, x, target, baseline, steps):
    import torch

    x, baseline, points = _r307_ig_midpoints(x, baseline, steps)
    with torch.no_grad():
        total = model(points)[:, target].sum()
    total.backward()
    return (x - baseline) * points.grad.mean(dim=0)


def _r307_saliency_map_as_a_tuple(model, x, target):
    import torch

    x = torch.as_tensor(x, dtype=torch.float32).clone().requires_grad_(True)
    grads = torch.autograd.grad(model(x[None])[0, target], x)   # a tuple: [0] left out
    return grads


@pytest.mark.parametrize("name, answer, mistake, reason", [
    ("saliency_map", _r307_saliency_map_under_no_grad, "forward under no_grad", "outside it"),
    ("integrated_gradients", _r307_integrated_gradients_under_no_grad, "forward under no_grad", "outside it"),
    ("saliency_map", _r307_saliency_map_as_a_tuple, "autograd.grad's tuple", "(grad,) = torch.autograd.grad"),
], ids=["saliency_map no_grad", "integrated_gradients no_grad", "saliency_map autograd.grad tuple"])
def test_r307_no_grad_and_autograd_grad_s_tuple_are_named(name, answer, mistake, reason):
    """The forward pass under torch.no_grad() was refused with torch's "element 0 of tensors does not require grad
    and does not have a grad_fn" alone, which says the opposite of what the learner did to x; torch.autograd.grad's
    tuple returned without [0] was told to "turn your list into one with np.array(...)", which gives a map with an
    extra axis. Both are catalogued with a message now (round 30, r307 F7, F8)."""
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and verdict.mistake == mistake and reason in verdict.text, verdict.text
def _r308_occlusion_covering_a_slice(predict, image, patch, stride, fill):
    """The right loops, with covered = image[:] inside them (a Python list's copy idiom): in numpy a view of the
    image, which was copied once by np.array, so every window's fill stays in it."""
    image = np.array(image, dtype=float)
    if patch > min(image.shape):
        raise ValueError("the patch does not fit into the image")
    total, count, original = np.zeros(image.shape), np.zeros(image.shape), predict(image[None])[0]
    for i in range(0, image.shape[0] - patch + 1, stride):
        for j in range(0, image.shape[1] - patch + 1, stride):
            covered = image[:]
            covered[i:i + patch, j:j + patch] = fill
            total[i:i + patch, j:j + patch] += original - predict(covered[None])[0]
            count[i:i + patch, j:j + patch] += 1
    return np.divide(total, count, out=np.zeros_like(total), where=count > 0)


def test_r308_occlusion_map_names_a_slice_taken_for_a_copy():
    """covered = image[:] inside the loops copies a Python list but is a view of a numpy array: each window's fill
    stays. It was told "you made one copy of the image before the loops", which the learner had not; the message
    names the slice (or a plain covered = image) too now (round 30, r308 F1)."""
    verdict = judge(registry.get_exercise("occlusion_map"), _r308_occlusion_covering_a_slice)
    assert verdict.kind == WRONG and "covered = image[:]" in verdict.text, verdict.text
    assert "covered = image.copy() inside the loops" in verdict.text, verdict.text


def _r308_shapley_writing_into_a_slice(predict, x, background):
    """The right sum, with rows = background[:] inside v: a view of the background (copied once by np.array), so x's
    values written for v(S + i) are still there for v(S)."""
    import itertools

    x, background = np.asarray(x, dtype=float), np.array(background, dtype=float)
    if background.shape[1] != len(x):
        raise ValueError("background must have one column per feature")
    n, phi = len(x), np.zeros(len(x))

    def v(S):
        rows = background[:]
        rows[:, list(S)] = x[list(S)]
        return np.mean(predict(rows))
    for i in range(n):
        for size in range(n):
            for S in itertools.combinations([j for j in range(n) if j != i], size):
                weight = math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n)
                phi[i] += weight * (v(S + (i,)) - v(S))
    return phi


def test_r308_exact_shapley_values_names_a_slice_taken_for_a_copy():
    """rows = background[:] inside v is no copy in numpy: every value comes out 0. It was told "x's values written
    into one copy of the background, made once outside v", which the learner had not written; the message names the
    slice now (round 30, r308 F1)."""
    verdict = judge(registry.get_exercise("exact_shapley_values"), _r308_shapley_writing_into_a_slice)
    assert verdict.kind == WRONG and "rows = background[:]" in verdict.text, verdict.text
    assert "rows = background.copy()" in verdict.text, verdict.text


def _r308_course_code_in_a_new_function(exercise):
    """The course's own function rebuilt with types.FunctionType from its code object, read (with a copy of its
    module's names, the refused functions left out) before the check, as an earlier notebook cell can: a new function
    object with the same code, which no watcher replaces and no held reference names."""
    import types

    from course_utils import attribution

    refused = ("occlusion", "exact_shapley", "coalition_value")
    codes = {name: getattr(attribution, name).__code__ for name in refused}
    names = {key: value for key, value in vars(attribution).items() if key not in refused}
    names["coalition_value"] = types.FunctionType(codes["coalition_value"], names)
    if exercise == "occlusion_map":
        def occlusion_map(predict, image, patch, stride, fill):
            return types.FunctionType(codes["occlusion"], names)(predict, image, patch, stride, fill)
        return occlusion_map

    def exact_shapley_values(predict, x, background):
        return types.FunctionType(codes["exact_shapley"], names)(predict, x, background)
    return exact_shapley_values


@pytest.mark.xfail(strict=True, reason="engine note (r308 E1): refusals go by the function object; a new function "
                   "made with types.FunctionType from a refused function's own code object (taken before the check) "
                   "is neither watched nor held, and its frames are course_utils' code. Refusing a held code object "
                   "was tried (round 30) and refused the test suite's own right answers, which are such copies of "
                   "the exercises' references (tests/exercises/references.py)")
@pytest.mark.parametrize("exercise", ["occlusion_map", "exact_shapley_values"])
def test_r308_the_course_s_own_code_in_a_new_function_is_refused(exercise):
    """attribution.occlusion's and exact_shapley's code objects, taken in an earlier cell and bound to a copy of their
    module's names, pass both checks (18/18 and 21/21): a shortcut. Not r298 E2 (the source exec'd again makes new
    code, indistinguishable from pasted code): here the code object is the refused function's own, so the engine
    could tell it by identity (round 30, r308 E1)."""
    verdict = judge(registry.get_exercise(exercise), _r308_course_code_in_a_new_function(exercise))
    assert verdict.kind == WRONG and "the course's own version of this exercise" in verdict.text, verdict.text


def _r308_shapley_of_one_row_at_a_time(predict, x, background):
    """The right sum, with v(S) the mean of predict over the rows called one row at a time, predict(row): a row of
    shape (n,), without the batch axis that predict needs."""
    import itertools

    x, background = np.asarray(x, dtype=float), np.asarray(background, dtype=float)
    if background.shape[1] != len(x):
        raise ValueError("background must have one column per feature")
    n, phi = len(x), np.zeros(len(x))

    def v(S):
        rows = background.copy()
        rows[:, list(S)] = x[list(S)]
        return np.mean([predict(row) for row in rows])
    for i in range(n):
        for size in range(n):
            for S in itertools.combinations([j for j in range(n) if j != i], size):
                weight = math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n)
                phi[i] += weight * (v(S + (i,)) - v(S))
    return phi


def test_r308_exact_shapley_values_names_one_row_without_the_batch_axis():
    """predict called on one row of shape (n,) was told only "raised IndexError: too many indices for array: array is
    1-dimensional, but 2 were indexed" (occlusion_map's "one image, not a batch" was catalogued in round 28); it is
    catalogued now, with the batch to pass (round 30, r308 F2)."""
    verdict = judge(registry.get_exercise("exact_shapley_values"), _r308_shapley_of_one_row_at_a_time)
    assert verdict.kind == WRONG and "one row of shape (n,)" in verdict.text, verdict.text


def _r308_shapley_with_float32_rows(predict, x, background):
    """The right sum in float64, with each v(S)'s rows cast to float32 before predict (the lesson's network computes
    in float32)."""
    import itertools

    x, background = np.asarray(x, dtype=float), np.asarray(background, dtype=float)
    if background.shape[1] != len(x):
        raise ValueError("background must have one column per feature")
    n, phi = len(x), np.zeros(len(x))

    def v(S):
        rows = background.copy()
        rows[:, list(S)] = x[list(S)]
        return np.mean(predict(rows.astype(np.float32)))
    for i in range(n):
        for size in range(n):
            for S in itertools.combinations([j for j in range(n) if j != i], size):
                weight = math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n)
                phi[i] += weight * (v(S + (i,)) - v(S))
    return phi


def test_r308_exact_shapley_values_names_rows_cast_to_float32_for_predict():
    """Rows cast to float32 before predict were told to convert x and the background with np.asarray(..., dtype=float)
    and to return phi in float64, all of which the answer did; the message names the rows passed to predict too now
    (round 30, r308 L1)."""
    verdict = judge(registry.get_exercise("exact_shapley_values"), _r308_shapley_with_float32_rows)
    assert verdict.kind == WRONG and "pass the rows to predict as they are" in verdict.text, verdict.text


def _r318_shapley_by_shap_s_shapley_taylor_sum(py_func):
    """v(S) of every coalition in shap's grey-code order, summed by shap's Shapley-Taylor interaction sum
    _compute_grey_code_row_values_st (ExactExplainer's interactions=2 path, numba-compiled; or its py_func). Its row
    i summed over the other features, plus the main effect v({i}) - v({}), is exactly feature i's Shapley value."""
    import shap.explainers._exact as exact

    if not py_func:   # compiled before the check, as a call of shap's ExactExplainer in an earlier cell does (numba
        # compiles it at the first call, which takes longer than a case may)
        exact._compute_grey_code_row_values_st(np.zeros((2, 2)), np.zeros(2, dtype=bool), np.arange(2), np.zeros(4),
                                               np.ones(2), exact.gray_code_indexes(2), 2 ** 31 - 1)

    def exact_shapley_values(predict, x, background):
        x, background = np.asarray(x, dtype=float), np.atleast_2d(np.asarray(background, dtype=float))
        if background.shape[1] != len(x):
            raise ValueError("background must have one column per feature")
        n, none = len(x), 2 ** 31 - 1

        def v(mask):
            rows = background.copy()
            rows[:, mask] = x[mask]
            return np.mean(predict(rows))
        delta, outputs, mask = exact.gray_code_indexes(n), [], np.zeros(n, dtype=bool)
        for d in delta:
            if d != none:
                mask[d] = ~mask[d]
            outputs.append(v(mask))
        weights = np.array([math.factorial(s) * math.factorial(n - s - 1) / math.factorial(n) for s in range(n)])
        pairs = np.zeros((n, n))
        sum_up = exact._compute_grey_code_row_values_st
        (sum_up.py_func if py_func else sum_up)(pairs, np.zeros(n, dtype=bool), np.arange(n), np.array(outputs),
                                                weights, delta, none)
        main = np.array([v(np.arange(n) == i) for i in range(n)]) - v(np.zeros(n, dtype=bool))
        return main + pairs.sum(axis=1)
    return exact_shapley_values


@pytest.mark.parametrize("py_func", [False, True], ids=["compiled", "its py_func"])
def test_r318_exact_shapley_values_refuses_shap_s_shapley_taylor_grey_code_sum(py_func):
    """shap's grey-code sum _compute_grey_code_row_values is refused since round 26 (r267 F4); its sibling for
    Shapley-Taylor interactions, _compute_grey_code_row_values_st, gives each pair's interaction, and a row's sum plus
    the feature's main effect is its Shapley value exactly: it passed 21/21. Refused by name now, with its py_func
    (round 31, r318 F2)."""
    pytest.importorskip("shap")
    verdict = judge(registry.get_exercise("exact_shapley_values"), _r318_shapley_by_shap_s_shapley_taylor_sum(py_func))
    assert verdict.kind == WRONG and "_compute_grey_code_row_values_st" in verdict.text, verdict.text


def _r318_shapley_by_shap_s_tree_explainer(predict, x, background):
    """predict on every coalition's rows (x's values in S, the background's elsewhere), a decision tree that
    reproduces those predictions exactly, and shap's TreeExplainer with the background as interventional data: the
    tree's exact Shapley values, which are predict's, since v(S) reads predict only on those rows."""
    import itertools

    import shap
    from sklearn.tree import DecisionTreeRegressor

    x, background = np.asarray(x, dtype=float), np.atleast_2d(np.asarray(background, dtype=float))
    if background.shape[1] != len(x):
        raise ValueError("background must have one column per feature")
    masks = np.array(list(itertools.product([False, True], repeat=len(x))))
    rows = np.concatenate([np.where(mask, x, background) for mask in masks])
    tree = DecisionTreeRegressor(random_state=0).fit(rows, predict(rows))
    explainer = shap.TreeExplainer(tree, data=background, feature_perturbation="interventional")
    return np.asarray(explainer.shap_values(x[None]), dtype=float)[0]


def test_r318_exact_shapley_values_refuses_shap_s_tree_explainer():
    """shap's TreeExplainer, on a tree fitted to predict's values on every coalition's rows, gives the Shapley values
    to about 2e-8: it was refused only as "float32 precision" and told to compute in float64, where the text promises
    that an explainer of shap is refused. It is refused by name now (round 31, r318 F3)."""
    pytest.importorskip("shap")
    pytest.importorskip("sklearn")
    verdict = judge(registry.get_exercise("exact_shapley_values"), _r318_shapley_by_shap_s_tree_explainer)
    assert verdict.kind == WRONG and "TreeExplainer" in verdict.text, verdict.text


def _r318_occlusion_with_corners_from_one_side(side):
    """The right loops, with both ranges of corners taken from one side of the image (written for square images,
    as the lesson's 28x28 digits are): range(0, H - patch + 1, stride) for the columns too, or W for the rows."""
    def occlusion_map(predict, image, patch, stride, fill):
        image = np.asarray(image, dtype=float)
        height, width = image.shape
        if patch > height or patch > width:
            raise ValueError("the patch does not fit into the image")
        size = height if side == "height" else width
        total, count, original = np.zeros(image.shape), np.zeros(image.shape), predict(image[None])[0]
        for i in range(0, size - patch + 1, stride):
            for j in range(0, size - patch + 1, stride):
                covered = image.copy()
                covered[i:i + patch, j:j + patch] = fill
                total[i:i + patch, j:j + patch] += original - predict(covered[None])[0]
                count[i:i + patch, j:j + patch] += 1
        return np.divide(total, count, out=np.zeros_like(total), where=count > 0)
    return occlusion_map


@pytest.mark.parametrize("side", ["height", "width"])
def test_r318_occlusion_map_names_corners_from_one_side_of_the_image(side):
    """Both ranges of corners from the height (or both from the width), right on a square image, were told only
    "wrong value at index (0, 4): expected 0, got 1.73203" on the case labelled "7x5 image: the last row is never
    covered", which sent a learner whose rows were right to look at the rows. Catalogued now (round 31, r318 F1)."""
    verdict = judge(registry.get_exercise("occlusion_map"), _r318_occlusion_with_corners_from_one_side(side))
    assert verdict.kind == WRONG and "W = image.shape[1]" in verdict.text, verdict.text
def _r317_saliency_map_cached_by_model_object():
    kept = {}

    def saliency_map(model, x, target):
        import torch

        key = (id(model), np.asarray(x).tobytes(), int(target))
        if key not in kept:            # the model is kept too, so that its id is never reused
            copy = torch.as_tensor(x, dtype=torch.float32).clone().requires_grad_(True)
            model(copy[None])[0, target].backward()
            kept[key] = (model, copy.grad.abs())
        return kept[key][1].clone()
    return saliency_map


def _r317_integrated_gradients_cached_by_model_object():
    kept = {}

    def integrated_gradients(model, x, target, baseline, steps):
        import torch

        if steps < 1:
            raise ValueError("steps must be at least 1")
        key = (id(model), np.asarray(x).tobytes(), None if baseline is None else np.asarray(baseline).tobytes(),
               int(target), steps)
        if key not in kept:
            x = torch.as_tensor(x, dtype=torch.float32)
            baseline = torch.zeros_like(x) if baseline is None else torch.as_tensor(baseline, dtype=torch.float32)
            alphas = ((torch.arange(steps) + 0.5) / steps).reshape(-1, *[1] * x.ndim)
            points = (baseline + alphas * (x - baseline)).requires_grad_(True)
            model(points)[:, target].sum().backward()
            kept[key] = (model, (x - baseline) * points.grad.mean(dim=0))
        return kept[key][1].clone()
    return integrated_gradients


@pytest.mark.parametrize("name, make", [("saliency_map", _r317_saliency_map_cached_by_model_object),
                                        ("integrated_gradients", _r317_integrated_gradients_cached_by_model_object)],
                         ids=["saliency_map", "integrated_gradients"])
def test_r317_gradient_checks_refuse_a_cache_keyed_by_the_model_object(name, make):
    """Contrived: a cache keyed by the model object and the input's values, which holds the model so that its id is
    never reused, passed both checks (20 and 25 inputs): every later call changed the model object (a copy) or the
    input. In the notebook a model trained further, or switched to train() mode, gets its old map. The same model is
    now called again with its scores doubled in place, then set back (round 31, r317 F1)."""
    verdict = judge(registry.get_exercise(name), make())
    assert verdict.kind == WRONG and "doubled in place" in verdict.text, verdict.text


def test_r317_a_model_doubled_in_place_is_set_back():
    import torch
    from course_utils.exercises import interpretability

    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2)).eval()
    before = [p.detach().clone() for p in model.parameters()]
    x = torch.ones(1, 3)
    doubled = interpretability._with_scores_doubled_in_place(model, lambda: model(x).detach())
    assert torch.allclose(doubled, 2 * model(x).detach())
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), before))
    assert interpretability._with_scores_doubled_in_place(lambda batch: batch, lambda: 1) is None  # a predict


def test_r317_the_message_of_a_cache_keyed_by_the_model_object_has_chinese():
    from course_utils import i18n
    from course_utils.exercises import interpretability

    assert "缓存" in i18n.catalogue("zh")[interpretability._KEPT_FOR_THE_SAME_MODEL]


def _r317_saliency_map_of_a_batch_row(model, x, target):
    import torch

    x = torch.as_tensor(x, dtype=torch.float32).clone().requires_grad_(True)
    model(x[None])[target].backward()              # the batch's row, not the class's column
    return x.grad.abs()


def _r317_ig_points(x, baseline, steps):
    import torch

    if steps < 1:
        raise ValueError("steps must be at least 1")
    x = torch.as_tensor(x, dtype=torch.float32)
    baseline = torch.zeros_like(x) if baseline is None else torch.as_tensor(baseline, dtype=torch.float32)
    alphas = ((torch.arange(steps) + 0.5) / steps).reshape(-1, *[1] * x.ndim)
    return x, baseline, (baseline + alphas * (x - baseline)).requires_grad_(True)


def _r317_ig_of_the_first_point_only(model, x, target, baseline, steps):
    x, baseline, points = _r317_ig_points(x, baseline, steps)
    model(points)[0, target].backward()            # Exercise 1's indexing
    return (x - baseline) * points.grad.mean(dim=0)


def _r317_ig_of_a_batch_row(model, x, target, baseline, steps):
    x, baseline, points = _r317_ig_points(x, baseline, steps)
    model(points)[target].sum().backward()         # row target of the batch: one point, every class
    return (x - baseline) * points.grad.mean(dim=0)


@pytest.mark.parametrize("name, answer, mistake, reason", [
    ("saliency_map", _r317_saliency_map_of_a_batch_row, "a batch row, not the class", "model(x[None])[0, target]"),
    ("integrated_gradients", _r317_ig_of_the_first_point_only, "the first point only", "model(points)[:, target]"),
    ("integrated_gradients", _r317_ig_of_a_batch_row, "a batch row, not the class", "model(points)[:, target]"),
], ids=["saliency model(x[None])[target]", "ig model(points)[0, target]", "ig model(points)[target]"])
def test_r317_gradient_checks_name_three_indexings_of_the_batch_s_scores(name, answer, mistake, reason):
    """Three ways to index the scores of a batch wrongly named no mistake: model(x[None])[target] in Exercise 1 was
    told torch's "grad can be implicitly created only for scalar outputs" alone, and in Exercise 2 Exercise 1's
    model(points)[0, target] (the first point's score alone) and model(points)[target].sum() (one point, every class)
    were told only "wrong value at index 0: expected 0.0814404, got 0.00673241" (and -0.00158642). All three are
    catalogued with a message now (round 31, r317 F2-F4)."""
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and verdict.mistake == mistake and reason in verdict.text, verdict.text


def test_r317_three_indexing_messages_have_chinese():
    from course_utils import i18n
    from course_utils.exercises import interpretability

    zh = i18n.catalogue("zh")
    for text in (interpretability._BATCH_ROW, interpretability._FIRST_POINT_ONLY, interpretability._BATCH_ROW_IN_IG):
        assert "[0, target]" in zh[text] or "[:, target]" in zh[text]


def _r327_saliency_by_captum_s_neuron_gradient(helper):
    def saliency_map(model, x, target):
        import torch
        from captum._utils import gradient

        x = torch.as_tensor(x, dtype=torch.float32).clone().requires_grad_(True)
        if helper == "neuron_gradients":            # the innermost: autograd.grad of the chosen neuron
            scores = model(x[None])
            (grad,) = gradient._neuron_gradients(x[None], {scores.device: (scores,)}, [scores.device], target)
        elif helper == "forward_layer_eval":        # the model itself as the layer, its score target as the neuron
            _, (grad,) = gradient._forward_layer_eval_with_neuron_grads(model, x[None], model,
                                                                        gradient_neuron_selector=target)
        elif helper == "construct_neuron_grad_fn":  # NeuronGradient's gradient function, made by its factory
            (grad,) = gradient.construct_neuron_grad_fn(model, target)(model, x[None])
        else:                                       # LayerIntegratedGradients' gradient function at the model's input
            from captum.attr import LayerIntegratedGradients

            make = LayerIntegratedGradients(model, model)._make_gradient_func(torch.tensor([0, 1]), True, None)
            (grad,) = make(model, x[None], target, (x[None].detach(),))
        return grad[0].abs()
    return saliency_map


def _r327_integrated_gradients_by_captum_s_neuron_gradient(helper):
    def integrated_gradients(model, x, target, baseline, steps):
        import torch
        from captum._utils import gradient

        if steps < 1:
            raise ValueError("steps must be at least 1")
        x = torch.as_tensor(x, dtype=torch.float32)
        baseline = torch.zeros_like(x) if baseline is None else torch.as_tensor(baseline, dtype=torch.float32)
        alphas = ((torch.arange(steps) + 0.5) / steps).reshape(-1, *[1] * x.ndim)
        points = (baseline + alphas * (x - baseline)).requires_grad_(True)
        if helper == "forward_layer_eval":
            _, (grads,) = gradient._forward_layer_eval_with_neuron_grads(model, points, model,
                                                                         gradient_neuron_selector=target)
        else:
            from captum.attr import LayerIntegratedGradients

            make = LayerIntegratedGradients(model, model)._make_gradient_func(torch.tensor([0, 1]), True, None)
            (grads,) = make(model, points, target, (points.detach(),))
        return (x - baseline) * grads.mean(dim=0)
    return integrated_gradients


@pytest.mark.parametrize("name, answer, helper", [
    ("saliency_map", _r327_saliency_by_captum_s_neuron_gradient("neuron_gradients"), "_neuron_gradients"),
    ("saliency_map", _r327_saliency_by_captum_s_neuron_gradient("forward_layer_eval"),
     "_forward_layer_eval_with_neuron_grads"),
    ("saliency_map", _r327_saliency_by_captum_s_neuron_gradient("construct_neuron_grad_fn"),
     "construct_neuron_grad_fn"),
    ("saliency_map", _r327_saliency_by_captum_s_neuron_gradient("lig"), "_make_gradient_func"),
    ("integrated_gradients", _r327_integrated_gradients_by_captum_s_neuron_gradient("forward_layer_eval"),
     "_forward_layer_eval_with_neuron_grads"),
    ("integrated_gradients", _r327_integrated_gradients_by_captum_s_neuron_gradient("lig"), "_make_gradient_func"),
], ids=["saliency _neuron_gradients", "saliency _forward_layer_eval_with_neuron_grads",
        "saliency construct_neuron_grad_fn", "saliency LayerIntegratedGradients._make_gradient_func",
        "ig _forward_layer_eval_with_neuron_grads", "ig LayerIntegratedGradients._make_gradient_func"])
def test_r327_gradient_checks_refuse_captum_s_neuron_gradient_helpers(name, answer, helper):
    """Shortcut: captum's private helpers of its neuron and layer methods take the gradient of one output neuron with
    respect to the inputs. With the model itself as the layer and target as the neuron, each is the saliency map before
    .abs() (_neuron_gradients on the answer's own scores, _forward_layer_eval_with_neuron_grads, the gradient function
    that construct_neuron_grad_fn makes, LayerIntegratedGradients' _make_gradient_func at the model's input), and on the
    answer's batch of path points it leaves integrated gradients only the mean. All passed both checks (20 and 25
    inputs); they are refused as a library's version now (round 32, r327 F1)."""
    pytest.importorskip("captum")
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and _a_library_refused(verdict.text) and helper in verdict.text, verdict.text


def _r327_lig_gradient_function_made_before_the_check():
    import torch
    from captum.attr import LayerIntegratedGradients

    made = LayerIntegratedGradients(torch.nn.Identity(), torch.nn.Identity())
    return made, made._make_gradient_func(torch.tensor([0, 1]), True, None)


def test_r327_saliency_map_refuses_captum_s_gradient_function_made_before_the_check():
    """Shortcut, engine note: the factory is refused now (F1), but the gradient function it returned in an earlier
    cell is a closure that no "module:qualname" names; pointed at the model it gives the saliency map before .abs()."""
    pytest.importorskip("captum")
    import torch

    made, gradient_function = _r327_lig_gradient_function_made_before_the_check()

    def saliency_map(model, x, target):
        x = torch.as_tensor(x, dtype=torch.float32).clone().requires_grad_(True)
        made.layer, made.forward_func = model, model
        (grad,) = gradient_function(model, x[None], target, (x[None].detach(),))
        return grad[0].abs()

    verdict = judge(registry.get_exercise("saliency_map"), saliency_map)
    assert verdict.kind == WRONG, verdict.text


def _r327_saliency_map_of_flattened_x(model, x, target):
    import torch

    x = torch.as_tensor(x, dtype=torch.float32).clone().requires_grad_(True)
    model(x.reshape(1, -1))[0, target].backward()     # one row of numbers, as lesson 06's MLP took its images
    return x.grad.abs()


def _r327_ig_points(x, baseline, steps):
    import torch

    if steps < 1:
        raise ValueError("steps must be at least 1")
    x = torch.as_tensor(x, dtype=torch.float32)
    baseline = torch.zeros_like(x) if baseline is None else torch.as_tensor(baseline, dtype=torch.float32)
    return x, baseline, ((torch.arange(steps) + 0.5) / steps).reshape(-1, *[1] * x.ndim)


def _r327_ig_of_flattened_points(model, x, target, baseline, steps):
    x, baseline, alphas = _r327_ig_points(x, baseline, steps)
    points = (baseline + alphas * (x - baseline)).requires_grad_(True)
    model(points.reshape(steps, -1))[:, target].sum().backward()
    return (x - baseline) * points.grad.mean(dim=0)


def _r327_ig_along_baseline_plus_alpha_x(model, x, target, baseline, steps):
    x, baseline, alphas = _r327_ig_points(x, baseline, steps)
    points = (baseline + alphas * x).requires_grad_(True)          # (x - baseline) forgotten in the path
    model(points)[:, target].sum().backward()
    return (x - baseline) * points.grad.mean(dim=0)


def _r327_ig_with_alphas_past_one(model, x, target, baseline, steps):
    import torch

    x, baseline, _ = _r327_ig_points(x, baseline, steps)
    alphas = (torch.arange(steps) / steps + 0.5).reshape(-1, *[1] * x.ndim)   # 0.5 not divided by steps
    points = (baseline + alphas * (x - baseline)).requires_grad_(True)
    model(points)[:, target].sum().backward()
    return (x - baseline) * points.grad.mean(dim=0)


@pytest.mark.parametrize("name, answer, mistake, reason", [
    ("saliency_map", _r327_saliency_map_of_flattened_x, "x flattened", "x[None]"),
    ("integrated_gradients", _r327_ig_of_flattened_points, "points flattened", "model(points)"),
    ("integrated_gradients", _r327_ig_along_baseline_plus_alpha_x, "path from baseline + alpha * x",
     "baseline + alpha * (x - baseline)"),
    ("integrated_gradients", _r327_ig_with_alphas_past_one, "alphas k / steps + 0.5", "(k + 0.5) / steps"),
], ids=["saliency x.reshape(1, -1)", "ig points.reshape(steps, -1)", "ig baseline + alphas * x",
        "ig k / steps + 0.5"])
def test_r327_gradient_checks_name_four_slips(name, answer, mistake, reason):
    """Slips: a flattened x (lesson 06's MLP habit) passed every MLP case and was told only torch's "unflatten: Provided
    sizes [1, 8] don't multiply up to the size of dim 1 (64)" on the first CNN, in both exercises; the path
    baseline + alphas * x (right for a blank baseline) was told only "wrong value at index 0: expected -0.0482821, got
    0.0164064", and alphas k / steps + 0.5 only "wrong value". All four are catalogued with a message now (round 32,
    r327 F2, F3)."""
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and verdict.mistake == mistake and reason in verdict.text, verdict.text


def test_r327_four_slip_messages_have_chinese():
    from course_utils import i18n
    from course_utils.exercises import interpretability

    zh = i18n.catalogue("zh")
    for text in (interpretability._FLATTENED_X, interpretability._FLATTENED_POINTS,
                 interpretability._PATH_FROM_BASELINE_PLUS_ALPHA_X, interpretability._ALPHAS_PAST_ONE):
        assert "批量" in zh[text] or "alpha" in zh[text], text


def _r328_occlusion_with_height_and_width_swapped(predict, image, patch, stride, fill):
    """The right loops with width, height = image.shape (the order of PIL's Image.size): the rows' corners from the
    width, the columns' from the height; right on a square image."""
    image = np.asarray(image, dtype=float)
    width, height = image.shape
    if patch > height or patch > width:
        raise ValueError("the patch does not fit into the image")
    total, count, original = np.zeros(image.shape), np.zeros(image.shape), predict(image[None])[0]
    for i in range(0, height - patch + 1, stride):
        for j in range(0, width - patch + 1, stride):
            covered = image.copy()
            covered[i:i + patch, j:j + patch] = fill
            total[i:i + patch, j:j + patch] += original - predict(covered[None])[0]
            count[i:i + patch, j:j + patch] += 1
    return np.divide(total, count, out=np.zeros_like(total), where=count > 0)


def test_r328_occlusion_map_names_height_and_width_swapped():
    """width, height = image.shape was told only "wrong value at index (0, 4): expected 0, got 1.73203" on the case
    labelled "7x5 image: the last row is never covered", where the first wrong pixel is in the last column, which is
    never covered either. Catalogued now, and the label names both (round 32, r328 F1)."""
    verdict = judge(registry.get_exercise("occlusion_map"), _r328_occlusion_with_height_and_width_swapped)
    assert verdict.kind == WRONG and verdict.mistake == "height and width swapped", verdict.text
    assert "height, width = image.shape" in verdict.text and "the last column" in verdict.text, verdict.text


def test_r328_the_swapped_message_and_the_7x5_label_have_chinese():
    from course_utils import i18n
    from course_utils.exercises import interpretability

    zh = i18n.catalogue("zh")
    assert "height, width = image.shape" in zh[interpretability._HEIGHT_AND_WIDTH_SWAPPED]
    assert "最后一列" in zh["7x5 image: the last row and the last column are never covered"]


def _r328_shapley_overwriting_each_term(predict, x, background):
    """The right sum with phi[i] = where phi[i] += is needed: phi[i] keeps the last coalition's term only."""
    import itertools

    x, background = np.asarray(x, dtype=float), np.atleast_2d(np.asarray(background, dtype=float))
    if background.shape[1] != len(x):
        raise ValueError("background must have one column per feature")
    n, phi = len(x), np.zeros(len(x))

    def v(S):
        rows = background.copy()
        rows[:, list(S)] = x[list(S)]
        return np.mean(predict(rows))
    for i in range(n):
        for size in range(n):
            for S in itertools.combinations([j for j in range(n) if j != i], size):
                phi[i] = math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n) * (v(S + (i,)) - v(S))
    return phi


def test_r328_exact_shapley_values_names_each_term_overwriting_the_last():
    """phi[i] = ... where phi[i] += ... is needed was told only "wrong value at index 0: expected 1.76222, got
    1.1874", where occlusion_map names its counterpart (each window overwrites). Catalogued now (round 32, r328 F2)."""
    verdict = judge(registry.get_exercise("exact_shapley_values"), _r328_shapley_overwriting_each_term)
    assert verdict.kind == WRONG and verdict.mistake == "each term overwrites", verdict.text
    assert "phi[i] +=" in verdict.text, verdict.text


def _r328_occlusion_with_one_copy_per_row(predict, image, patch, stride, fill):
    """The right loops with the covered copy made in the outer loop: each row's windows stay covered in it."""
    image = np.asarray(image, dtype=float)
    if patch > min(image.shape):
        raise ValueError("the patch does not fit into the image")
    total, count, original = np.zeros(image.shape), np.zeros(image.shape), predict(image[None])[0]
    for i in range(0, image.shape[0] - patch + 1, stride):
        covered = image.copy()
        for j in range(0, image.shape[1] - patch + 1, stride):
            covered[i:i + patch, j:j + patch] = fill
            total[i:i + patch, j:j + patch] += original - predict(covered[None])[0]
            count[i:i + patch, j:j + patch] += 1
    return np.divide(total, count, out=np.zeros_like(total), where=count > 0)


def test_r328_occlusion_map_names_one_copy_per_row_of_windows():
    """The covered copy made in the outer loop (once per row of windows, not per window) was told only "wrong value at
    index (0, 1): expected 1.24159, got 0.833333"; the copy made before both loops is named since round 29 (r298 F3).
    Catalogued now (round 32, r328 F3)."""
    verdict = judge(registry.get_exercise("occlusion_map"), _r328_occlusion_with_one_copy_per_row)
    assert verdict.kind == WRONG and verdict.mistake == "one copy for every row of windows", verdict.text
    assert "in the inner loop" in verdict.text, verdict.text
