"""Every round's attacks on the exercise checks of lessons 00 and 01 (the welcome, neurons): right answers written
another way still pass, and the mistakes the catalogues name are caught for the reason they name. `make test-wide`
runs them, as CI does (`wide`); `make test` runs each exercise's catalogue (test_registry.py)."""
from __future__ import annotations

import functools
import math

import numpy as np
import pytest

from course_utils import exercises as registry
from course_utils.checks import ExerciseFailed, check, judge, PASSED, WRONG
from mistakes_shared import friendly  # noqa: F401, an autouse fixture
from mistakes_shared import sigmoid, _passes, _refused_as_the_course_s_own, catalogued
from references import mistake_copy, reference_copy
from test_mistakes_02_03 import _into_buffers_used_in_turn, _r23_sigmoid, _read_only

pytestmark = pytest.mark.wide
torch = pytest.importorskip("torch")


def _accuracy_comparing_ndim(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.ndim != y_pred.ndim or y_true.size == 0:
        raise ValueError("shapes differ")
    return float(np.mean(y_true == y_pred))


def test_accuracy_comparing_ndim_is_rejected():
    """Shape (1,) against (4,) has the same ndim and broadcasts without an error."""
    with pytest.raises(ExerciseFailed):
        check("accuracy", _accuracy_comparing_ndim, strict=True)


def _weights_and_biases(sizes):
    return sum(n_in * n_out + n_out for n_in, n_out in zip(sizes, sizes[1:]))


def _only_zero_rejected(layer_sizes):
    if len(layer_sizes) < 2 or 0 in layer_sizes:
        raise ValueError("bad layer sizes")
    return _weights_and_biases(layer_sizes)


def _input_layer_unchecked(layer_sizes):
    if len(layer_sizes) < 2 or any(size < 1 for size in layer_sizes[1:]):
        raise ValueError("bad layer sizes")
    return _weights_and_biases(layer_sizes)


def _empty_list_allowed(layer_sizes):
    if len(layer_sizes) == 1 or any(size < 1 for size in layer_sizes):
        raise ValueError("bad layer sizes")
    return _weights_and_biases(layer_sizes)


@pytest.mark.parametrize("answer", [_only_zero_rejected, _input_layer_unchecked, _empty_list_allowed])
def test_mlp_param_count_wants_every_size_and_length_checked(answer):
    """The text asks for ValueError for fewer than two layers or any layer with fewer than one neuron."""
    with pytest.raises(ExerciseFailed):
        check("mlp_param_count", answer, strict=True)


def _in_place_sigmoid(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    z[...] = np.where(z >= 0, 1 / (1 + e), e / (1 + e))
    return z


def test_a_sigmoid_that_overwrites_its_input_is_rejected():
    with pytest.raises(ExerciseFailed):
        check("sigmoid", _in_place_sigmoid, strict=True)


def _sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


@pytest.mark.parametrize("answer", [
    lambda x, w, b: _sigmoid(np.sum(np.asarray(w) * np.asarray(x)) + b),
    lambda x, w, b: _sigmoid(np.einsum("i,i", np.asarray(w), np.asarray(x)) + b),
    lambda x, w, b: 1 / (1 + np.exp(-(np.dot(w, x) + b))),
], ids=["sum-of-products", "einsum", "naive-sigmoid"])
def test_neuron_wants_lengths_checked_and_no_overflow(answer):
    """w * x broadcasts an x of length 1; the naive sigmoid overflows for a very negative weighted sum."""
    with pytest.raises(ExerciseFailed):
        check("neuron", answer, strict=True)


def test_dense_layer_with_the_naive_sigmoid_is_rejected():
    with pytest.raises(ExerciseFailed):
        check("dense_layer", lambda X, W, b: 1 / (1 + np.exp(-(X @ W.T + b))), strict=True)


def test_right_answers_written_another_way_still_pass():
    _passes("neuron", lambda x, w, b: _sigmoid(np.asarray(x) @ np.asarray(w) + b))
    _passes("dense_layer", lambda X, W, b: _sigmoid((W @ X.T).T + b))
    _passes("sigmoid", lambda z: 0.5 * (1 + np.tanh(np.asarray(z, dtype=float) / 2)))


def _accuracy_without_asarray(y_true, y_pred):
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError("shapes differ or no predictions")
    return float(np.mean(y_true == y_pred))




def _accuracy_of_sorted_labels(y_true, y_pred):
    y_true, y_pred = np.sort(y_true), np.sort(y_pred)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError("shapes differ or no predictions")
    return float(np.mean(y_true == y_pred))


@pytest.mark.parametrize("answer, reason", [
    (_accuracy_without_asarray, "The labels may come as Python lists"),
    (catalogued("accuracy", "no check for empty arrays"), "The mean of no predictions is nan"),
    (_accuracy_of_sorted_labels, "Each prediction is compared with the label at the same position"),
], ids=["lists", "empty", "sorted"])
def test_accuracy_names_lists_an_empty_check_and_the_order(answer, reason, capsys):
    """Without the empty check the answer was told it returned a percentage; sorted labels passed."""
    check("accuracy", answer)
    assert f"Likely mistake: {reason}" in capsys.readouterr().out


@pytest.mark.parametrize("answer", [
    lambda sizes: sum(n_in * n_out + n_out for n_in, n_out in zip(sizes, sizes[1:])),
    lambda sizes: _weights_and_biases(sizes) if all(size >= 1 for size in sizes) else 1 / 0,
], ids=["nothing-checked", "length-not-checked"])
def test_mlp_param_count_without_checks_is_told_to_check_not_to_add_biases(answer, capsys):
    check("mlp_param_count", answer)
    printed = capsys.readouterr().out
    assert "raise ValueError for fewer than two layers" in printed and "one bias" not in printed


@pytest.mark.parametrize("bias", [0.0, -1.0])
def test_or_weights_reject_an_input_on_the_boundary(bias, capsys):
    """With w = (1, 1), b = 0 puts (0, 0) and b = -1 puts (0, 1) and (1, 0) where the sigmoid outputs 0.5."""
    with pytest.raises(ExerciseFailed):
        check("or_weights", lambda: (np.array([1.0, 1.0]), bias), strict=True)
    check("or_weights", lambda: (np.array([1.0, 1.0]), bias))
    assert "Likely mistake: an input lies exactly on your boundary" in capsys.readouterr().out
    _passes("or_weights", lambda: ([2, 2], -1))


def _accuracy_rounded(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError("shapes differ or no predictions")
    return round(float(np.mean(y_true == y_pred)), 2)


def _param_count_checking_n_in_only(layer_sizes):
    if len(layer_sizes) < 2:
        raise ValueError("need two layers")
    total = 0
    for n_in, n_out in zip(layer_sizes, layer_sizes[1:]):
        if n_in < 1:
            raise ValueError("a layer without neurons")
        total += n_in * n_out + n_out
    return total


@pytest.mark.parametrize("name, answer, reason", [
    ("accuracy", _accuracy_rounded, "The accuracy was rounded"),
    ("mlp_param_count", _param_count_checking_n_in_only, "The output layer counts too"),
], ids=["accuracy-rounded", "output-layer-unchecked"])
def test_a_rounded_accuracy_and_an_unchecked_output_layer_are_rejected(name, answer, reason, capsys):
    """Every accuracy of the old cases had two decimals; no old case had an output layer of size 0."""
    with pytest.raises(ExerciseFailed):
        check(name, answer, strict=True)
    check(name, answer)
    assert f"Likely mistake: {reason}" in capsys.readouterr().out


def _sigmoid_by_masks(z, *, first, second):
    z = np.asarray(z) if first is np.zeros_like else np.asarray(z, dtype=float)
    out = first(z)
    pos, neg = z >= 0, (z < 0 if second == "z < 0" else ~(z >= 0))
    out[pos] = 1 / (1 + np.exp(-z[pos]))
    out[neg] = np.exp(z[neg]) / (1 + np.exp(z[neg]))
    return out


@pytest.mark.parametrize("first, second, reason", [
    (np.empty_like, "z < 0", "NaN >= 0 and NaN < 0 are both False"),
    (np.zeros_like, "~(z >= 0)", "for whole-number input, np.zeros_like(z)"),
], ids=["empty-like-skips-nan", "integer-zeros-like"])
def test_a_sigmoid_by_masks_must_fill_nan_and_return_floats(first, second, reason, capsys):
    """np.empty_like could hand back a freed buffer that already held NaN there; no old case had whole numbers."""
    def answer(z):
        return _sigmoid_by_masks(z, first=first, second=second)
    with pytest.raises(ExerciseFailed):
        check("sigmoid", answer, strict=True)
    check("sigmoid", answer)
    assert f"Likely mistake: {reason}" in capsys.readouterr().out
    _passes("sigmoid", lambda z: _sigmoid_by_masks(z, first=np.empty_like, second="~(z >= 0)"))


def _accuracy_from(count):
    def accuracy(y_true, y_pred):
        y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
        if y_true.shape != y_pred.shape or y_true.size == 0:
            raise ValueError("shapes differ or no predictions")
        return count(y_true == y_pred)
    return accuracy


@pytest.mark.parametrize("answer, reason", [
    (_accuracy_from(lambda right: float(np.sum(right) / len(right))), "len(y_true) counts only the rows"),
    (_accuracy_from(lambda right: np.sum(right) / right.shape[0]), "len(y_true) counts only the rows"),
    (_accuracy_from(lambda right: np.mean(right, axis=0)), "np.mean(..., axis=0) gives one fraction per column"),
], ids=["sum-over-len", "sum-over-shape-0", "mean-axis-0"])
def test_accuracy_is_tried_on_labels_in_two_dimensions(answer, reason, capsys):
    """Every old case was 1-D, where dividing by len(y_true) or averaging over axis 0 is right."""
    with pytest.raises(ExerciseFailed):
        check("accuracy", answer, strict=True)
    check("accuracy", answer)
    assert f"Likely mistake: {reason}" in capsys.readouterr().out
    _passes("accuracy", _accuracy_from(lambda right: np.count_nonzero(right) / right.size))


@pytest.mark.parametrize("answer, reason", [
    (lambda: None, "Did you forget `return`?"),
    (lambda: np.array([1.0, 1.0]), "return a pair (w, b)"),
    (lambda: (-0.5, np.array([1.0, 1.0])), "return a pair (w, b)"),
], ids=["no-return", "weights-only", "bias-first"])
def test_or_weights_says_what_to_return(answer, reason, capsys):
    """A missing return was reported as "cannot unpack non-iterable NoneType", a wrong pair as a matmul error."""
    with pytest.raises(ExerciseFailed):
        check("or_weights", answer, strict=True)
    check("or_weights", answer)
    assert reason in capsys.readouterr().out



def _accuracy_checking(shapes_differ):
    def accuracy(y_true, y_pred):
        y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
        if shapes_differ(y_true, y_pred) or y_true.size == 0:
            raise ValueError("shapes differ or no predictions")
        return float(np.mean(y_true == y_pred))
    return accuracy


@pytest.mark.parametrize("answer, reason", [
    (_accuracy_checking(lambda t, p: t.size != p.size or t.ndim != p.ndim), "Equal sizes and ndim"),
    (_accuracy_checking(lambda t, p: len(t) != len(p) or t.ndim != p.ndim), "len() sees only the first dimension"),
    (_accuracy_checking(lambda t, p: t.shape[0] != p.shape[0] or t.ndim != p.ndim), "len() sees only the first"),
    (_accuracy_checking(lambda t, p: t.shape != p.shape or t.size < 2), "on input a single prediction, right"),
], ids=["size-and-ndim", "len-and-ndim", "shape0-and-ndim", "one-prediction-rejected"])
def test_accuracy_wants_whole_shapes_compared_and_takes_one_prediction(answer, reason, capsys):
    """No old case had two shapes of the same ndim and the same size or length, nor a single prediction."""
    with pytest.raises(ExerciseFailed):
        check("accuracy", answer, strict=True)
    check("accuracy", answer)
    assert reason in capsys.readouterr().out
    _passes("accuracy", _accuracy_checking(lambda t, p: t.shape != p.shape))


def _param_count_over_distinct_pairs(layer_sizes):
    if len(layer_sizes) < 2 or min(layer_sizes) < 1:
        raise ValueError("bad layer sizes")
    return sum(n_in * n_out + n_out for n_in, n_out in set(zip(layer_sizes, layer_sizes[1:])))


def _param_count_rejecting_hidden_layers_of_one(layer_sizes):
    if len(layer_sizes) < 2 or min(layer_sizes) < 1 or min(layer_sizes[1:-1], default=2) < 2:
        raise ValueError("bad layer sizes")
    return _weights_and_biases(layer_sizes)


@pytest.mark.parametrize("answer", [_param_count_over_distinct_pairs, _param_count_rejecting_hidden_layers_of_one],
                         ids=["distinct-pairs", "hidden-of-one-rejected"])
def test_mlp_param_count_is_tried_on_repeated_pairs_and_layers_of_one(answer):
    """No old case repeated a pair of neighbouring sizes or had a layer of one neuron before the output."""
    with pytest.raises(ExerciseFailed):
        check("mlp_param_count", answer, strict=True)


def _param_count_of_at_most_four_layers(layer_sizes):
    sizes = list(layer_sizes)
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError("bad layer sizes")
    s = sizes + [0, 0]
    return s[0] * s[1] + s[1] + s[1] * s[2] + s[2] + s[2] * s[3] + s[3]


def _param_count_checking_negatives_in_hidden_layers_only(layer_sizes):
    if len(layer_sizes) < 2 or 0 in layer_sizes or min(layer_sizes[1:-1], default=1) < 0:
        raise ValueError("bad layer sizes")
    return _weights_and_biases(layer_sizes)


def _neuron_refusing_one_input(x, w, b):
    if len(x) != len(w) or len(x) < 2:
        raise ValueError("need two inputs or more")
    return sigmoid(np.dot(w, x) + b)


@pytest.mark.parametrize("name, answer, reason", [
    ("accuracy", catalogued("accuracy", "empty checked with len()"), "len() counts only the first axis"),
    ("accuracy", catalogued("accuracy", "labels turned into whole numbers"), "astype(int) cuts labels"),
    ("accuracy", _accuracy_checking(lambda t, p: t.size != p.size or len(t) != len(p) or t.ndim != p.ndim),
     "Equal sizes and ndim do not make equal shapes"),
    ("mlp_param_count", _param_count_of_at_most_four_layers, "a generated input"),
    ("mlp_param_count", _param_count_checking_negatives_in_hidden_layers_only, "should raise ValueError"),
    ("neuron", catalogued("neuron", "products in an array like x"), "np.zeros_like(x) (or np.empty_like) takes x's"),
    ("neuron", _neuron_refusing_one_input, "raised ValueError: need two inputs or more"),
    ("dense_layer", catalogued("dense_layer", "bias added in place"), "z += b writes the bias into z"),
    ("dense_layer", catalogued("dense_layer", "output array like X"), "np.zeros(..., dtype=X.dtype) holds integers"),
], ids=["accuracy-empty-by-len", "accuracy-int-labels", "accuracy-size-len-ndim", "params-four-layers",
        "params-negatives-in-hidden-only", "neuron-zeros-like-x", "neuron-one-input-refused", "layer-z-plus-equals-b",
        "layer-output-like-X"])
def test_lessons_00_and_01_reject_answers_fitted_to_the_hand_picked_cases(name, answer, reason, capsys):
    """Generated inputs: empty (n, 0, m) labels, non-integer float labels, shapes alike in size, length and ndim,
    5 layers or more with a negative size at the input or output, whole-number x, X and W, a neuron with one input."""
    with pytest.raises(ExerciseFailed):
        check(name, answer, strict=True)
    check(name, answer)
    assert reason in capsys.readouterr().out


def _accuracy_by_a_loop(y_true, y_pred):
    if np.shape(y_true) != np.shape(y_pred) or np.size(y_true) == 0:
        raise ValueError("shapes differ or no predictions")
    pairs = zip(np.ravel(y_true).tolist(), np.ravel(y_pred).tolist())
    return sum(a == b for a, b in pairs) / np.size(y_true)


def _param_count_in_numpy(layer_sizes):
    sizes = np.array(layer_sizes)
    if sizes.size < 2 or sizes.min() < 1:
        raise ValueError("bad layer sizes")
    return int(np.sum(sizes[:-1] * sizes[1:] + sizes[1:]))


def _neuron_by_fsum(x, w, b):
    if len(x) != len(w):
        raise ValueError("x and w differ in length")
    return sigmoid(__import__("math").fsum(float(a) * float(c) for a, c in zip(w, x)) + b)


def _layer_by_einsum_with_a_feature_check(X, W, b):
    if np.shape(X)[1] != np.shape(W)[1]:
        raise ValueError("X and W disagree on the number of features")
    return sigmoid(np.einsum("bi,oi->bo", X, W) + b)


@pytest.mark.parametrize("name, answer", [
    ("accuracy", _accuracy_by_a_loop),
    ("mlp_param_count", _param_count_in_numpy),
    ("neuron", _neuron_by_fsum),
    ("dense_layer", _layer_by_einsum_with_a_feature_check),
    ("dense_layer", lambda X, W, b: sigmoid(np.asarray(X, np.float32) @ np.asarray(W, np.float32).T + b)),
], ids=["accuracy-loop", "params-numpy", "neuron-fsum", "layer-einsum", "layer-float32-inside"])
def test_lessons_00_and_01_take_right_answers_in_other_styles_on_generated_inputs(name, answer):
    _passes(name, answer)


def _accuracy_checking_arrays_only(y_true, y_pred):
    if isinstance(y_true, np.ndarray) and isinstance(y_pred, np.ndarray) and y_true.shape != y_pred.shape:
        raise ValueError("shapes differ")
    return _accuracy_checking(lambda t, p: False)(y_true, y_pred)


def _accuracy_converting_when_y_true_is_a_list(y_true, y_pred):
    if isinstance(y_true, list):
        y_true, y_pred = np.array(y_true), np.array(y_pred)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError("shapes differ or no predictions")
    return float(np.mean(y_true == y_pred))


def _accuracy_wanting_one_dtype(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.dtype != y_pred.dtype:
        raise ValueError("labels and predictions of different types")
    return _accuracy_checking(lambda t, p: t.shape != p.shape)(y_true, y_pred)


def _param_count_in(dtype):
    def mlp_param_count(layer_sizes):
        if len(layer_sizes) < 2 or min(layer_sizes) < 1:
            raise ValueError("bad layer sizes")
        sizes = np.array(layer_sizes, dtype=dtype)
        return int(np.sum(sizes[:-1] * sizes[1:] + sizes[1:]))   # int, not float: a float count is a mistake too
    return mlp_param_count


def _param_count_off_by_one_for_big_networks(layer_sizes):
    total = _weights_and_biases(list(layer_sizes)) if len(layer_sizes) > 1 and min(layer_sizes) > 0 else None
    if total is None:
        raise ValueError("bad layer sizes")
    return total + (total > 10_000_000)


def _layer_by_broadcast_product(X, W, b):
    return sigmoid((np.asarray(X)[:, None, :] * np.asarray(W)).sum(axis=-1) + b)


@pytest.mark.parametrize("name, answer, reason", [
    ("accuracy", _accuracy_checking_arrays_only, "Labels given as Python lists skip your shape check"),
    ("accuracy", _accuracy_converting_when_y_true_is_a_list, "The labels may come as Python lists, which have no"),
    ("accuracy", _accuracy_wanting_one_dtype, "raised ValueError: labels and predictions of different types"),
    ("mlp_param_count", _param_count_in(np.int32), "an int32 holds at most 2,147,483,647"),
    ("mlp_param_count", _param_count_in(np.float32), "wrong value"),
    ("mlp_param_count", _param_count_off_by_one_for_big_networks, "wrong value"),
    ("dense_layer", _layer_by_broadcast_product, "stretch an axis of length 1"),
    ("dense_layer", lambda X, W, b: sigmoid(np.einsum("bi,oi->bo", X, W) + b), "stretch an axis of length 1"),
], ids=["accuracy-shape-checked-for-arrays-only", "accuracy-converted-by-y_true-only", "accuracy-one-dtype-wanted",
        "params-int32", "params-float32", "params-off-by-one-when-big", "layer-broadcast-product", "layer-einsum"])
def test_lessons_00_and_01_try_lists_on_either_side_big_networks_and_a_single_feature(name, answer, reason, capsys):
    """Generated inputs: mismatched labels as lists, a list of predictions against an array of labels, whole-number
    labels against float predictions; networks of more than 2**31 parameters, compared exactly; X or W with one
    feature against several."""
    with pytest.raises(ExerciseFailed):
        check(name, answer, strict=True)
    check(name, answer)
    assert reason in capsys.readouterr().out


def _accuracy_comparing_the_last_axis(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape[-1] != y_pred.shape[-1] or y_true.size == 0:
        raise ValueError("shapes differ or no predictions")
    return float(np.mean(y_true == y_pred))


def _sigmoid_clipped_at(limit):
    def sigmoid_(z):
        z = np.asarray(z)   # float32 stays float32
        return 1 / (1 + np.exp(-np.clip(z, -limit, limit)))
    return sigmoid_


def _sigmoid_with_a_threshold_at_minus_700(z):
    z = np.asarray(z)
    return np.where(z < -700, 0.0, 1 / (1 + np.exp(-np.maximum(z, -700))))


_FAR_FLOAT32 = "np.exp overflows on float32 values above 88.7"


@pytest.mark.parametrize("name, answer, reason", [
    ("accuracy", _accuracy_comparing_the_last_axis, "Comparing only the last axis misses shapes"),
    ("sigmoid", _sigmoid_clipped_at(500), _FAR_FLOAT32),
    ("sigmoid", _sigmoid_with_a_threshold_at_minus_700, _FAR_FLOAT32),
    ("neuron", lambda x, w, b: _sigmoid_clipped_at(500)(np.dot(w, x) + b), _FAR_FLOAT32),
    ("dense_layer", lambda X, W, b: _sigmoid_clipped_at(500)(X @ W.T + b), _FAR_FLOAT32),
], ids=["accuracy-last-axis", "sigmoid-clip-500", "sigmoid-threshold-700", "neuron-clip-500", "layer-clip-500"])
def test_lessons_00_and_01_try_a_first_axis_of_one_and_float32_far_from_zero(name, answer, reason, capsys):
    """Generated inputs: labels of shapes (1, b, c) against (a, b, c), which agree in ndim and the last axis;
    float32 z, or float32 weighted sums, beyond 88.7 in size, where np.exp overflows in float32 (below 709.8 in
    float64, so a clip at 500 guards float64 only)."""
    with pytest.raises(ExerciseFailed):
        check(name, answer, strict=True)
    check(name, answer)
    assert f"Likely mistake: {reason}" in capsys.readouterr().out


def _sigmoid_keeping_float32(z):
    z = np.asarray(z)
    z = z if z.dtype == np.float32 else z.astype(float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


@pytest.mark.parametrize("name, answer", [
    ("sigmoid", _sigmoid_keeping_float32),
    ("sigmoid", lambda z: _sigmoid_clipped_at(500)(np.asarray(z, dtype=float))),
    ("neuron", lambda x, w, b: _sigmoid_keeping_float32(np.dot(np.asarray(w, np.float32), np.asarray(x, np.float32))
                                                        + np.float32(b))),
    ("dense_layer", lambda X, W, b: _sigmoid_keeping_float32(np.asarray(X, np.float32) @ np.asarray(W, np.float32).T
                                                             + np.asarray(b, np.float32))),
], ids=["sigmoid-float32-kept", "sigmoid-clip-after-float64", "neuron-float32", "layer-float32"])
def test_lessons_00_and_01_take_float32_far_from_zero_when_nothing_overflows(name, answer):
    _passes(name, answer)


def _accuracy_comparing_ndim_and_the_end_axes(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.ndim != y_pred.ndim or len(y_true) != len(y_pred) or y_true.shape[-1] != y_pred.shape[-1] \
            or y_true.size == 0:
        raise ValueError("shapes differ or no predictions")
    return float(np.mean(y_true == y_pred))


def _accuracy_checking_empty(where):
    def accuracy(y_true, y_pred):
        y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
        empty = y_true.shape[-1] == 0 if where == "last axis" else \
            len(y_true) == 0 or (y_true.ndim > 1 and y_true.shape[1] == 0)
        if y_true.shape != y_pred.shape or empty:
            raise ValueError("shapes differ or no predictions")
        return float(np.mean(y_true == y_pred))
    return accuracy


def _shapes_checked(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if np.shape(y_true) != np.shape(y_pred) or not y_true.size:
        raise ValueError("shapes differ or no predictions")
    return y_true == y_pred


def _sigmoid_in_the_input_dtype(z):
    e = np.exp(-np.abs(z))   # no cast to float: float16 for int8 or uint8 z
    return np.where(np.asarray(z) >= 0, 1 / (1 + e), e / (1 + e))


def _sigmoid_casting_int64_only(z):
    z = np.asarray(z)
    return _sigmoid_in_the_input_dtype(z.astype(float) if z.dtype == np.int64 else z)


@pytest.mark.parametrize("name, answer, reason", [
    ("accuracy", _accuracy_comparing_ndim_and_the_end_axes,
     "Likely mistake: Comparing ndim, the first and the last axis misses"),
    ("accuracy", _accuracy_checking_empty("last axis"), "Likely mistake: Labels of shape (0, 6) hold no prediction"),
    ("accuracy", _accuracy_checking_empty("len and shape[1]"), "should raise ValueError for this input"),
    ("sigmoid", _sigmoid_in_the_input_dtype, "Likely mistake: np.exp of int8 or uint8 numbers computes in float16"),
    ("sigmoid", _sigmoid_casting_int64_only, "Likely mistake: np.exp of int8 or uint8 numbers computes in float16"),
    ("sigmoid", lambda z: np.exp(-np.logaddexp(np.float32(0), -np.asarray(z))), "whole numbers as uint8"),
], ids=["accuracy-ends-and-ndim", "accuracy-empty-last-axis", "accuracy-empty-len-or-shape1", "sigmoid-int8-float16",
        "sigmoid-int64-only-cast", "sigmoid-uint8-negated"])
def test_lessons_00_and_01_try_a_middle_axis_empty_first_or_third_axes_and_small_integer_dtypes(name, answer, reason,
                                                                                                 capsys):
    """Generated inputs: labels of shapes (a, 1, c) against (a, b, c), which agree in ndim, length and the last axis;
    empty labels of shape (0, n) and (a, b, 0); sigmoid inputs of int8 and uint8, where np.exp computes in float16
    and -z of uint8 wraps around (the whole numbers drawn before were all int64)."""
    with pytest.raises(ExerciseFailed):
        check(name, answer, strict=True)
    check(name, answer)
    assert reason in capsys.readouterr().out


@pytest.mark.parametrize("name, answer", [
    ("accuracy", lambda y_true, y_pred: np.count_nonzero(_shapes_checked(y_true, y_pred)) / np.size(y_true)),
    ("sigmoid", lambda z: _sigmoid_in_the_input_dtype(np.asarray(z, dtype=np.float32))),
    ("sigmoid", lambda z: _sigmoid_in_the_input_dtype(np.asarray(z).astype(float))),
], ids=["accuracy-size-checked", "sigmoid-float32-cast", "sigmoid-astype-float"])
def test_lessons_00_and_01_take_small_integer_dtypes_cast_to_float(name, answer):
    _passes(name, answer)


def _accuracy_in_a_list(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError("shapes differ or no predictions")
    return [float(np.mean(y_true == y_pred))]


def _param_count_in_a_tuple(layer_sizes):
    sizes = list(layer_sizes)
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError("need two layers of at least one neuron")
    return sum(n_in * n_out + n_out for n_in, n_out in zip(sizes, sizes[1:])),   # the comma makes a 1-tuple


def _sigmoid_ndmin_1(z):
    z = np.array(z, dtype=float, ndmin=1)   # a number becomes shape (1,)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


_ONE_VALUE = "expected a single number, got one value in a"


@pytest.mark.parametrize("name, answer, reason", [
    ("accuracy", catalogued("accuracy", "accuracy in a tuple"), "Likely mistake: The comma after `return ...,`"),
    ("accuracy", _accuracy_in_a_list, _ONE_VALUE + " list of shape (1,)"),
    ("mlp_param_count", catalogued("mlp_param_count", "count in an array of one"), "Likely mistake: np.zeros(1)"),
    ("mlp_param_count", _param_count_in_a_tuple, _ONE_VALUE + " tuple of shape (1,)"),
    ("sigmoid", _sigmoid_ndmin_1, "Likely mistake: a number must give a number of shape ()"),
    ("relu", catalogued("relu", "np.atleast_1d"), "Likely mistake: a number must give a number of shape ()"),
    ("neuron", catalogued("neuron", "w as a row"), "Likely mistake: a row of weights"),
    ("neuron", lambda x, w, b: _sigmoid(np.asarray(x)[None, :] @ np.asarray(w)[:, None] + b),
     _ONE_VALUE + " ndarray of shape (1, 1)"),
], ids=["accuracy-1-tuple", "accuracy-list", "mlp-zeros-1", "mlp-1-tuple", "sigmoid-ndmin-1", "relu-atleast-1d",
        "neuron-w-row", "neuron-1x1"])
def test_lessons_00_and_01_want_a_number_not_one_value_in_a_tuple_list_or_array(name, answer, reason, capsys):
    """A result of size one was compared as the number it holds, so a 1-tuple (a comma after return), a list or an
    array of shape (1,) passed, though an f-string's :.3f, == 65 and lesson 01b's neuron(...) > 0.5 table fail on
    it, and sigmoid and relu promise a number for a number."""
    with pytest.raises(ExerciseFailed):
        check(name, answer, strict=True)
    check(name, answer)
    assert reason in capsys.readouterr().out


@pytest.mark.parametrize("name, answer", [
    ("accuracy", lambda y_true, y_pred: np.asarray(np.mean(_shapes_checked(y_true, y_pred)))),
    ("mlp_param_count", lambda sizes: np.int64(_param_count_in_a_tuple(sizes)[0])),
    ("sigmoid", lambda z: sigmoid(z)[()]),
    ("neuron", lambda x, w, b: float(_sigmoid(np.dot(w, x) + b))),
], ids=["accuracy-0-d-array", "mlp-numpy-int", "sigmoid-numpy-scalar", "neuron-python-float"])
def test_lessons_00_and_01_take_a_number_in_any_form_of_shape_0(name, answer):
    _passes(name, answer)


def _accuracy_of_atleast_2d(y_true, y_pred):
    compared = mistake_copy("accuracy", "size and last axis compared, not shapes")
    return compared(np.atleast_2d(y_true), np.atleast_2d(y_pred))


def _one_stable_sigmoid(v):
    e = np.exp(-abs(float(v)))
    return 1 / (1 + e) if v >= 0 else e / (1 + e)


def _sigmoid_by_the_smallest_value(z):
    z = np.asarray(z, dtype=float)
    if z.min() >= 0:   # raises on an empty array
        return 1 / (1 + np.exp(-z))
    return _sigmoid(z)


def _sigmoid_written_into_z(z):
    if not isinstance(z, np.ndarray) or z.dtype.kind != "f":
        return _sigmoid(z)
    z.flags.writeable = True
    z[...] = _sigmoid(z)
    return z


def _neuron_scaling_x_in_place(x, w, b):
    if len(x) != len(w):
        raise ValueError("x and w differ in length")
    if x.dtype != np.result_type(x, w):
        return _sigmoid(np.dot(w, x) + b)
    x.setflags(write=True)
    x *= w
    return _sigmoid(x.sum() + b)


def _layer_with_b_reshaped_in_place(X, W, b):
    b.shape = (1, -1)
    return _sigmoid(X @ W.T + b)


def _layer_along_the_rows(X, W, b):
    if X.shape[1] != W.shape[1]:
        raise ValueError("X and W differ in the number of features")
    return np.apply_along_axis(lambda x: _sigmoid(W @ x + b), 1, X)


@pytest.mark.parametrize("name, answer, reason", [
    ("accuracy", catalogued("accuracy", "size and last axis compared, not shapes"),
     "Likely mistake: The same number of labels and the same last axis"),
    ("accuracy", _accuracy_of_atleast_2d, "Likely mistake: The same number of labels and the same last axis"),
    ("sigmoid", lambda z: np.vectorize(_one_stable_sigmoid)(z), "Likely mistake: np.vectorize without otypes="),
    ("sigmoid", _sigmoid_by_the_smallest_value, "zero-size array"),
    ("relu", lambda z: np.vectorize(lambda v: max(0.0, v))(z), "Likely mistake: np.vectorize without otypes="),
    ("sigmoid", _sigmoid_written_into_z, "Likely mistake: switching the read-only flag off"),
    ("neuron", _neuron_scaling_x_in_place, "your function changed its input array in place"),
    ("dense_layer", _layer_with_b_reshaped_in_place, "Likely mistake: switching the read-only flag off"),
    ("dense_layer", _layer_along_the_rows, "Likely mistake: np.apply_along_axis"),
], ids=["accuracy-size-and-last-axis", "accuracy-atleast-2d", "sigmoid-vectorize", "sigmoid-min", "relu-vectorize",
        "sigmoid-flag-off", "neuron-flag-off", "dense-layer-b-shape", "dense-layer-apply-along-axis"])
def test_lessons_00_and_01_try_a_row_against_a_vector_empty_arrays_and_see_the_callers_arrays(name, answer, reason,
                                                                                            capsys):
    """A shape mismatch by a leading axis of one, (1, n) against (n,), was never drawn (a size and last-axis check
    passed); no activation got an empty array and no layer an empty batch (np.vectorize without otypes=, z.min() and
    np.apply_along_axis raise there); and an answer that switched the read-only flag back on, or set b.shape, changed
    the caller's array unseen (the runner passed read-only views and compared nothing after the call)."""
    with pytest.raises(ExerciseFailed):
        check(name, answer, strict=True)
    check(name, answer)
    assert reason in capsys.readouterr().out


@pytest.mark.parametrize("name, answer", [
    ("sigmoid", lambda z: np.vectorize(_one_stable_sigmoid, otypes=[float])(z)),
    ("relu", lambda z: np.where(np.asarray(z) > 0, z, 0.0)),
    ("neuron", lambda x, w, b: _sigmoid((np.reshape(x, (1, -1)) @ w)[0] + b)),
    ("dense_layer", lambda X, W, b: _sigmoid((W @ X.T).T + b.reshape(1, -1))),
], ids=["sigmoid-vectorize-otypes", "relu-where", "neuron-reshaped-copy", "dense-layer-transposed"])
def test_lessons_00_and_01_take_empty_arrays_and_reshaped_copies(name, answer):
    _passes(name, answer)


def _sigmoid_with_a_path_for_one_number(exp):
    def sigmoid_(z):
        if np.ndim(z) == 0:
            return 1 / (1 + exp(-z))
        return _sigmoid(np.asarray(z, dtype=float))
    return sigmoid_


@pytest.mark.parametrize("exp, reason", [
    (__import__("math").exp, "a single number takes another path in your code"),
    (np.exp, "np.exp overflowed"),
], ids=["math.exp", "np.exp"])
def test_sigmoid_is_tried_on_single_large_numbers(exp, reason, capsys):
    """The only single number of the old cases was 0.0, so a naive formula for numbers passed."""
    with pytest.raises(ExerciseFailed):
        check("sigmoid", _sigmoid_with_a_path_for_one_number(exp), strict=True)
    check("sigmoid", _sigmoid_with_a_path_for_one_number(exp))
    assert f"Likely mistake: {reason}" in capsys.readouterr().out


def test_relu_is_tried_on_a_single_negative_number():
    def relu(z):
        return abs(z) if np.ndim(z) == 0 else np.maximum(0.0, z)
    with pytest.raises(ExerciseFailed):
        check("relu", relu, strict=True)
    _passes("relu", lambda z: z * 1.0 if np.ndim(z) == 0 and z > 0 else np.maximum(0.0, z))


def _accuracy_comparing(convert):
    def accuracy(y_true, y_pred):
        y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
        if y_true.shape != y_pred.shape or y_true.size == 0:
            raise ValueError("shapes differ or no predictions")
        return float(np.mean(convert(y_true, y_pred)))
    return accuracy


def _numbers_isclose(y_true, y_pred):
    if y_true.dtype.kind in "biuf" and y_pred.dtype.kind in "biuf":
        return np.isclose(y_true, y_pred)
    return y_true == y_pred


@pytest.mark.parametrize("name, answer, reason", [
    ("accuracy", _accuracy_comparing(lambda t, p: t == p.astype(t.dtype)), "Likely mistake: astype (or np.asarray"),
    ("accuracy", _accuracy_comparing(lambda t, p: t == np.asarray(p, dtype=int) if t.dtype.kind in "iu" else t == p),
     "Likely mistake: astype (or np.asarray"),
    ("accuracy", _accuracy_comparing(lambda t, p: t == (np.round(p) if p.dtype.kind == "f" and t.dtype.kind in "biu"
                                                        else p)), "Likely mistake: np.round turned a prediction"),
    ("accuracy", _accuracy_comparing(_numbers_isclose), "Likely mistake: np.isclose has a relative tolerance"),
    ("accuracy", _accuracy_comparing(lambda t, p: t.astype(p.dtype) == p), "Likely mistake: astype(int) cuts labels"),
    ("sigmoid", lambda z: 1 / (1 + np.exp(-np.asarray(z, dtype=np.longdouble))), "Likely mistake: np.longdouble"),
    ("neuron", lambda x, w, b: 1 / (1 + np.exp(-np.longdouble(np.dot(w, x) + b))),
     "Likely mistake: 1 / (1 + np.exp(-z)) overflows for a very negative weighted sum"),
    ("relu", lambda z: np.where(np.asarray(z) > 0.01, z, 0.0), "on input values close to zero"),
], ids=["accuracy-astype-labels-dtype", "accuracy-asarray-int", "accuracy-round", "accuracy-isclose",
        "accuracy-labels-astype-preds-dtype", "sigmoid-long-double", "neuron-long-double", "relu-threshold-0.01"])
def test_lessons_00_and_01_try_predictions_that_agree_only_once_converted_and_z_beyond_long_double(name, answer,
                                                                                                   reason, capsys):
    """Every prediction of a kind other than its labels' held the same values (1.0 for 1), so casting, rounding or
    np.isclose passed; no |z| was beyond 11356, where np.exp overflows in x86's 80-bit np.longdouble (a naive formula
    computed in it passed on Linux); no value of relu's inputs lay between 0 and 0.01."""
    with pytest.raises(ExerciseFailed):
        check(name, answer, strict=True)
    check(name, answer)
    assert reason in capsys.readouterr().out


@pytest.mark.parametrize("name, answer", [
    ("accuracy", _accuracy_comparing(np.equal)),
    ("accuracy", lambda y_true, y_pred: 1 - _accuracy_comparing(np.not_equal)(y_true, y_pred)),
    ("sigmoid", lambda z: _sigmoid(np.asarray(z, dtype=np.longdouble))),
    ("sigmoid", lambda z: np.exp(-np.logaddexp(0.0, -np.asarray(z, dtype=float)))),
    ("relu", lambda z: z * (np.asarray(z) > 0)),
    ("neuron", lambda x, w, b: _sigmoid(np.inner(x, w) + b)),
], ids=["accuracy-np-equal", "accuracy-one-minus-error", "sigmoid-stable-long-double", "sigmoid-logaddexp",
        "relu-times-mask", "neuron-inner"])
def test_lessons_00_and_01_take_exact_comparisons_and_stable_forms_in_any_precision(name, answer):
    _passes(name, answer)

def test_torch_train_step_must_leave_the_model_in_training_mode():
    with pytest.raises(ExerciseFailed, match="eval"):
        check("torch_train_step", catalogued("torch_train_step", "eval mode inside the step"), strict=True)


def _silencing_overflow(z):
    np.seterr(over="ignore")   # stays in force after the call
    return 1 / (1 + np.exp(-np.asarray(z, dtype=float)))


def test_a_naive_sigmoid_that_silences_overflow_with_seterr_is_rejected():
    """np.seterr inside the answer overrode the check's own overflow trap, so the naive form passed."""
    before = np.geterr()
    try:
        verdict = judge(registry.get_exercise("sigmoid"), _silencing_overflow)
    finally:
        np.seterr(**before)
    assert verdict.kind != PASSED and "np.seterr" in verdict.text, verdict.text


def test_predict_one_image_gets_a_fresh_model_after_an_answer_that_changed_it_and_raised():
    """Naming the mistake of an answer that takes an RGB image runs the catalogued "dropout switched off" on it,
    which sets the rate to 0 and then raises: the check's model stayed changed, so the next answer that set the
    Dropout rate to 0 passed."""
    pytest.importorskip("keras")

    def first_channel(model, image):
        image = np.asarray(image)
        image = image[..., :1] if image.ndim == 3 else image
        return reference_copy("predict_one_image")(model, image)
    judge(registry.get_exercise("predict_one_image"), first_channel)
    verdict = judge(registry.get_exercise("predict_one_image"), catalogued("predict_one_image", "dropout switched off"))
    assert verdict.mistake == "dropout switched off", verdict.text


@pytest.mark.parametrize("weights, shown", [
    ((np.array([1e-17, 1e-17]), -5e-18), "rounds to exactly 0.5"),
    ((np.array([2e-16, 2e-16]), -1e-16), "OR says yes .*, but your neuron's .* says neither"),   # round 25: named
    ((np.array([40.0, 40.0]), -20.0), None),
    (([1e-3, 1e-3], -5e-4), None)],
    ids=["all four on 0.5", "two on 0.5", "large weights (right)", "small weights in a list (right)"])
def test_or_weights_are_run_through_the_sigmoid(weights, shown):
    """The check took the sign of w.x + b, so weights too small for float64 passed although the sigmoid neuron the
    exercise describes outputs exactly 0.5 (neither yes nor no) on the inputs."""
    if shown is None:
        _passes("or_weights", lambda: weights)
        return
    with pytest.raises(ExerciseFailed, match=shown):
        check("or_weights", lambda: weights, strict=True)


@pytest.mark.parametrize("weights, shown", [
    ((np.array([1.0, 1.0]), np.array([-0.5])), "b must be one real number"),
    ((np.array([1.0, 1.0]), [-0.5]), "b must be one real number"),
    ((np.array([1.0, 1.0]), (-0.5,)), "b must be one real number"),
    ((np.array([1.0, 1.0]), -0.5 + 0.5j), "b must be one real number"),
    ((np.array(["1", "1"]), -0.5), "w must hold two real numbers"),
    ((np.array([1.0 + 0j, 1.0]), -0.5), "w must hold two real numbers"),
    (([2, 3], np.float32(-1.0)), None),
    (((1.0, 1.0), np.array(-0.5)), None),
    ((np.array([1, 1], dtype=np.int64), -0.5), None)],
    ids=["b shape (1,)", "b in a list", "b in a 1-tuple", "b complex", "w strings", "w complex",
         "w a list, b np.float32 (right)", "w a tuple, b a 0-d array (right)", "w integers (right)"])
def test_or_weights_want_b_as_one_real_number(weights, shown):
    """They passed: the check took any b of size 1 (np.array([-0.5]), as the lesson writes a layer's biases) and
    cast w to float, complex and string values included, although the exercise asks for b as a number."""
    if shown is None:
        _passes("or_weights", lambda: weights)
        return
    with pytest.raises(ExerciseFailed, match=shown):
        check("or_weights", lambda: weights, strict=True)


@pytest.mark.parametrize("answer", [
    lambda X, W, b: 1 / (1 + np.exp(-np.asarray(np.asarray(X) @ np.asarray(W).T + b, dtype=np.longdouble))),
    lambda X, W, b: np.exp(-np.logaddexp(0, -(np.asarray(X, np.longdouble) @ W.T + b))).astype(float)],
    ids=["naive in long double (wrong)", "exp(-logaddexp) (right)"])
def test_dense_layer_tries_weighted_sums_beyond_np_exp_s_range_in_long_double(answer):
    """The naive sigmoid in np.longdouble passed on x86 Linux: no weighted sum went beyond about 11356 in size."""
    if "logaddexp" in answer.__code__.co_names:
        _passes("dense_layer", answer)
        return
    verdict = judge(registry.get_exercise("dense_layer"), answer)
    assert verdict.kind == WRONG and verdict.mistake == "naive sigmoid in np.longdouble", verdict.text


# round 12 (a1201): labels that only a tolerance, float32, np.abs or cleaned words call equal; a count as a float; a
# naive sigmoid inside np.errstate(over="ignore") or between np.seterr and its undoing
def _accuracy_checked(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError("shapes differ or no predictions")
    return y_true, y_pred


def _accuracy_within_atol(y_true, y_pred):
    y_true, y_pred = _accuracy_checked(y_true, y_pred)
    if y_true.dtype.kind in "biuf" and y_pred.dtype.kind in "biuf":
        return float(np.mean(np.isclose(y_true, y_pred, rtol=0)))   # atol=1e-8 still
    return float(np.mean(y_true == y_pred))


def _accuracy_by_difference(y_true, y_pred):
    y_true, y_pred = _accuracy_checked(y_true, y_pred)
    if y_true.dtype.kind in "iuf" and y_pred.dtype.kind in "iuf":
        return float(np.mean(np.abs(y_true - y_pred) < 1e-6))
    return float(np.mean(y_true == y_pred))


def _accuracy_math_isclose(y_true, y_pred):
    import math

    y_true, y_pred = _accuracy_checked(y_true, y_pred)
    if y_true.dtype.kind in "iuf" and y_pred.dtype.kind in "iuf":
        pairs = zip(y_true.ravel().tolist(), y_pred.ravel().tolist())
        return float(np.mean([math.isclose(a, b) for a, b in pairs]))   # relative 1e-9
    return float(np.mean(y_true == y_pred))


def _accuracy_in_float32(y_true, y_pred):
    y_true, y_pred = _accuracy_checked(y_true, y_pred)
    if y_true.dtype.kind in "biuf" and y_pred.dtype.kind in "biuf":
        y_true, y_pred = y_true.astype(np.float32), y_pred.astype(np.float32)
    return float(np.mean(y_true == y_pred))


def _accuracy_rounded_to_6(y_true, y_pred):
    y_true, y_pred = _accuracy_checked(y_true, y_pred)
    if "f" in (y_true.dtype.kind, y_pred.dtype.kind):
        y_true, y_pred = np.round(y_true.astype(float), 6), np.round(y_pred.astype(float), 6)
    return float(np.mean(y_true == y_pred))


def _accuracy_of_magnitudes(y_true, y_pred):
    y_true, y_pred = _accuracy_checked(y_true, y_pred)
    if y_true.dtype.kind in "if" and y_pred.dtype.kind in "if":
        y_true, y_pred = np.abs(y_true), np.abs(y_pred)
    return float(np.mean(y_true == y_pred))


def _accuracy_of_cleaned_words(y_true, y_pred):
    y_true, y_pred = _accuracy_checked(y_true, y_pred)
    if y_true.dtype.kind == "U":
        y_true, y_pred = np.char.lower(np.char.strip(y_true)), np.char.lower(np.char.strip(y_pred))
    return float(np.mean(y_true == y_pred))


def _count_as_float(sizes):
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError("need at least two layers of at least one neuron")
    return float(sum(n_in * n_out + n_out for n_in, n_out in zip(sizes, sizes[1:])))


def _count_in_a_float_array(sizes):
    sizes = np.array(sizes, dtype=float)
    if sizes.size < 2 or sizes.min() < 1:
        raise ValueError("need at least two layers of at least one neuron")
    return np.sum(sizes[:-1] * sizes[1:] + sizes[1:])


def _count_in_np_zeros(sizes):
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError("need at least two layers of at least one neuron")
    counts = np.zeros(len(sizes) - 1)   # float64
    for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        counts[i] = n_in * n_out + n_out
    return counts.sum()


def _naive_sigmoid_in_errstate(z):
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-np.asarray(z, dtype=float)))


def _naive_where_in_errstate_all(z):
    z = np.asarray(z, dtype=float)
    with np.errstate(all="ignore"):
        return np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z)))


def _naive_sigmoid_between_seterr_calls(z):
    old = np.seterr(all="ignore")
    try:
        return 1 / (1 + np.exp(-np.asarray(z, dtype=float)))
    finally:
        np.seterr(**old)


def _naive_neuron_in_errstate(x, w, b):
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-(np.dot(w, x) + b)))


@pytest.mark.parametrize("name, answer, reason", [
    ("accuracy", _accuracy_within_atol, "1e-9 and 2e-9"),
    ("accuracy", _accuracy_by_difference, "1e-9 and 2e-9"),
    ("accuracy", _accuracy_rounded_to_6, "1e-9 and 2e-9"),
    ("accuracy", _accuracy_math_isclose, "np.isclose has a relative tolerance"),
    ("accuracy", _accuracy_in_float32, "100000 and 100001"),
    ("accuracy", _accuracy_of_magnitudes, "a billionth apart"),
    ("accuracy", _accuracy_of_cleaned_words, "a capital letter or a space"),
    ("mlp_param_count", _count_as_float, "a count is a whole number"),
    ("mlp_param_count", _count_in_a_float_array, "a count is a whole number"),
    ("mlp_param_count", _count_in_np_zeros, "a count is a whole number"),
    ("sigmoid", _naive_sigmoid_in_errstate, "hid the overflow"),
    ("sigmoid", _naive_where_in_errstate_all, "hid the overflow"),
    ("sigmoid", _naive_sigmoid_between_seterr_calls, "hid the overflow"),
    ("neuron", _naive_neuron_in_errstate, "hid the overflow"),
], ids=["accuracy-isclose-atol", "accuracy-difference", "accuracy-rounded", "accuracy-math-isclose",
        "accuracy-float32", "accuracy-abs", "accuracy-cleaned-words", "count-float", "count-float-array",
        "count-np-zeros", "sigmoid-errstate", "sigmoid-where-errstate-all", "sigmoid-seterr-undone", "neuron-errstate"])
def test_lessons_00_and_01_reject_tolerances_float_counts_and_overflow_hidden_in_errstate(name, answer, reason):
    """Each passed before: no labels were closer than 0.001 or beyond float32's and math.isclose's resolution, no
    label was the negative of another, no words differed only in case or a space, a count of 65.0 equalled 65, and
    np.errstate inside the answer overrode the check's own overflow trap."""
    real_errstate, real_seterr, before = np.errstate, np.seterr, np.geterr()
    with pytest.raises(ExerciseFailed) as failed:
        check(name, answer, strict=True)
    assert np.geterr() == before and np.errstate is real_errstate and np.seterr is real_seterr
    assert reason in str(failed.value), str(failed.value)


def _stable_sigmoid_in_errstate(z):
    with np.errstate(all="ignore"):   # nothing overflows: only a habit, not a hidden overflow
        return sigmoid(z)


def _stable_sigmoid_between_seterr_calls(z):
    old = np.seterr(under="ignore")
    try:
        return sigmoid(z)
    finally:
        np.seterr(**old)


def _count_as_numpy_int(sizes):
    sizes = np.array(sizes, dtype=np.int64)
    if sizes.size < 2 or sizes.min() < 1:
        raise ValueError("need at least two layers of at least one neuron")
    return np.sum(sizes[:-1] * sizes[1:] + sizes[1:])


def _accuracy_in_float64(y_true, y_pred):
    y_true, y_pred = _accuracy_checked(y_true, y_pred)
    if y_true.dtype.kind in "biuf" and y_pred.dtype.kind in "biuf":   # exact for whole numbers up to 2**53
        y_true, y_pred = y_true.astype(float), y_pred.astype(float)
    return float(np.mean(y_true == y_pred))


@pytest.mark.parametrize("name, answer", [
    ("sigmoid", _stable_sigmoid_in_errstate),
    ("sigmoid", _stable_sigmoid_between_seterr_calls),
    ("sigmoid", lambda z: 0.5 * (1 + np.tanh(np.asarray(z, dtype=float) / 2))),
    ("neuron", lambda x, w, b: 0.5 * (1 + np.tanh((np.dot(w, x) + b) / 2))),
    ("mlp_param_count", _count_as_numpy_int),
    ("accuracy", _accuracy_in_float64),
], ids=["sigmoid-stable-errstate", "sigmoid-stable-seterr-undone", "sigmoid-tanh", "neuron-tanh", "count-int64",
        "accuracy-float64"])
def test_lessons_00_and_01_take_errstate_around_a_stable_sigmoid_and_numpy_integer_counts(name, answer):
    _passes(name, answer)


# round 13 (a1301): predictions all 0 or all False, 0-d labels, labels compared by hash, ±inf into sigmoid, float32
# near its largest value into ReLU, and an int mean that the count's message used to claim
def _accuracy_empty_checked_with_any(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or (y_pred.dtype.kind != "U" and not y_pred.any()):   # "no predictions"
        raise ValueError("shapes differ or no predictions")
    return float(np.mean(y_true == y_pred))


def _accuracy_at_least_1d(y_true, y_pred):
    return _accuracy_as_given(np.atleast_1d(y_true), np.atleast_1d(y_pred))


def _accuracy_as_given(y_true, y_pred):
    y_true, y_pred = _accuracy_checked(y_true, y_pred)
    return float(np.mean(y_true == y_pred))


def _accuracy_as_a_statistics_mean(y_true, y_pred):
    import statistics

    y_true, y_pred = _accuracy_checked(y_true, y_pred)
    return statistics.mean((y_true == y_pred).ravel().tolist())   # the int 1 when all are right


def _accuracy_by_tolist(y_true, y_pred):
    y_true, y_pred = _accuracy_checked(y_true, y_pred)
    return float(np.mean([a == b for a, b in zip(y_true.ravel().tolist(), y_pred.ravel().tolist())]))


def _accuracy_by_average(y_true, y_pred):
    y_true, y_pred = _accuracy_checked(y_true, y_pred)
    return float(np.average(np.equal(y_true, y_pred)))


def _count_by_dot(sizes):
    _count_as_numpy_int(sizes)   # its checks
    sizes = list(sizes)
    return int(np.dot(sizes[:-1], sizes[1:]) + sum(sizes[1:]))


def _count_with_one_more_input(sizes):
    _count_as_numpy_int(sizes)
    return sum((n_in + 1) * n_out for n_in, n_out in zip(sizes, list(sizes)[1:]))


def _accuracy_refusing_0d(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.size == 0 or y_true.ndim == 0:
        raise ValueError("shapes differ or no predictions")
    return float(np.mean(y_true == y_pred))


def _accuracy_by_hash(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError("shapes differ or no predictions")
    return float(np.mean([hash(a) == hash(b) for a, b in zip(y_true.ravel().tolist(), y_pred.ravel().tolist())]))


def _sigmoid_max_shift(z):
    z = np.asarray(z, dtype=float)
    m = np.maximum(z, 0)
    return np.exp(z - m) / (np.exp(-m) + np.exp(z - m))


def _sigmoid_exp_of_min(z):
    z = np.asarray(z, dtype=float)
    return np.exp(np.minimum(z, 0)) / (1 + np.exp(-np.abs(z)))


def _relu_halved(z):
    z = np.asarray(z)
    return (np.abs(z) + z) / 2


@pytest.mark.parametrize("name, answer, reason", [
    ("accuracy", _accuracy_empty_checked_with_any, "always predicts 0"),
    ("accuracy", _accuracy_at_least_1d, "0-d label"),
    ("accuracy", _accuracy_refusing_0d, "0-d arrays"),
    ("accuracy", _accuracy_by_hash, "labels -1 and -2"),
    ("sigmoid", _sigmoid_max_shift, "inf - inf = nan"),
    ("relu", _relu_halved, "3e38"),
    ("relu", lambda z: 0.5 * (np.asarray(z) + np.sqrt(np.square(np.asarray(z)))), "3e38"),
], ids=["accuracy-any", "accuracy-atleast-1d", "accuracy-0d-refused", "accuracy-hash", "sigmoid-max-shift",
        "relu-abs-plus-z", "relu-root-of-square"])
def test_lessons_00_and_01_try_all_zero_predictions_0d_labels_and_infinities(name, answer, reason, capsys):
    with pytest.raises(ExerciseFailed):
        check(name, answer, strict=True)
    check(name, answer)
    assert reason in capsys.readouterr().out


def test_accuracy_as_an_int_mean_is_not_called_a_count(capsys):
    """statistics.mean of bools gives the int 1 when all are right: the message says floats are wanted, and does
    not claim the answer is the number of right answers (a count and an int mean agree only when all are wrong)."""
    check("accuracy", _accuracy_as_a_statistics_mean)
    out = capsys.readouterr().out
    assert "all 3 right" in out and "number of right answers" not in out


@pytest.mark.parametrize("name, answer", [
    ("accuracy", lambda y_true, y_pred: np.count_nonzero(_shapes_checked(y_true, y_pred)) / np.size(y_true)),
    ("accuracy", _accuracy_by_average),
    ("accuracy", _accuracy_by_tolist),
    ("sigmoid", _sigmoid_exp_of_min),
    ("sigmoid", lambda z: np.clip(_sigmoid_exp_of_min(z), 0, 1)),
    ("relu", lambda z: np.where(np.asarray(z, dtype=float) < 0, 0.0, np.asarray(z, dtype=float))),
    ("relu", lambda z: np.clip(np.asarray(z, dtype=float), 0, None)),
    ("relu", lambda z: np.fmax(0.0, np.asarray(z, dtype=float))),
    ("neuron", lambda x, w, b: sigmoid(np.vdot(w, x) + b)),
    ("neuron", lambda x, w, b: sigmoid(np.tensordot(w, x, axes=1) + b)),
    ("neuron", lambda x, w, b: sigmoid(np.inner(x, w) + b)),
    ("mlp_param_count", lambda sizes: _count_as_numpy_int(sizes) * 1),
    ("mlp_param_count", _count_by_dot),
    ("mlp_param_count", _count_with_one_more_input),
], ids=["accuracy-count-nonzero", "accuracy-average-equal", "accuracy-tolist", "sigmoid-exp-min", "sigmoid-clipped",
        "relu-where-lt", "relu-clip", "relu-fmax", "neuron-vdot", "neuron-tensordot", "neuron-inner", "mlp-int64",
        "mlp-dot", "mlp-n-in-plus-one"])
def test_lessons_00_and_01_take_right_answers_on_0d_labels_and_infinities(name, answer):
    _passes(name, answer)


# lesson 01b (round 14): outputs far below 1, compared to their own scale
@pytest.mark.parametrize("answer", [
    lambda X, W, b: sigmoid(np.clip(X @ W.T + b, -30, 30)),
    lambda X, W, b: np.round(sigmoid(X @ W.T + b), 8),
    lambda X, W, b: np.maximum(sigmoid(X @ W.T + b), 1e-12),
], ids=["logits clipped at 30", "rounded to 8 decimals", "floored at 1e-12"])
def test_dense_layer_compares_outputs_far_below_1_to_their_own_scale(answer):
    """No weighted sum lay between -18 and -100 in float64, so outputs rounded to 8 decimals, floored at 1e-12 or
    computed from logits clipped at 30 passed within the atol of 1e-8."""
    with pytest.raises(ExerciseFailed, match="far below 1 must come out right"):
        check("dense_layer", answer, strict=True)


@pytest.mark.parametrize("answer", [
    lambda X, W, b: 0.5 + 0.5 * np.tanh((X @ W.T + b) / 2),
    lambda X, W, b: sigmoid(np.asarray(X, np.float32) @ np.asarray(W, np.float32).T + b).astype(np.float32),
], ids=["0.5 + 0.5 tanh(z / 2)", "float32"])
def test_dense_layer_outputs_right_to_1e_15_pass(answer):
    _passes("dense_layer", answer)


# Round 14 (a1401), lessons 00a/00b/01a: counts kept in a small integer type, labels cast to int32 or uint32, a
# parameter count in uint32, ReLU with a tolerance around 0, and a neuron with no inputs
def _accuracy_counted_in(dtype):
    def accuracy(y_true, y_pred):
        y_true, y_pred = _accuracy_checked(y_true, y_pred)
        return float(np.sum(y_true == y_pred, dtype=dtype) / y_true.size)   # wraps around above the dtype's largest
    return accuracy


def _accuracy_labels_cast_to(dtype):
    def accuracy(y_true, y_pred):
        y_true, y_pred = _accuracy_checked(y_true, y_pred)
        if y_true.dtype.kind in "biu" and y_pred.dtype.kind in "biu":   # "numbers of one kind before comparing"
            y_true, y_pred = y_true.astype(dtype), y_pred.astype(dtype)
        return float(np.mean(y_true == y_pred))
    return accuracy


def _accuracy_by_bytes(y_true, y_pred):
    y_true, y_pred = _accuracy_checked(y_true, y_pred)
    return float(np.mean([a.tobytes() == b.tobytes() for a, b in zip(y_true.ravel(), y_pred.ravel())])
                 if y_true.dtype == y_pred.dtype else np.mean(y_true == y_pred))   # -0.0 and 0.0 differ in bytes


def _accuracy_as_text(y_true, y_pred):
    y_true, y_pred = _accuracy_checked(y_true, y_pred)
    if y_true.dtype != y_pred.dtype:
        return float(np.mean(y_true == y_pred))
    return float(np.mean(y_true.astype(str) == y_pred.astype(str)))   # "compare words and numbers alike": "-0.0"


def _count_in_uint32(sizes):
    sizes = list(sizes)
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError("need at least two layers of at least one neuron")
    sizes = np.array(sizes, dtype=np.uint32)   # "sizes are never negative"
    return int(np.sum(sizes[:-1] * sizes[1:] + sizes[1:]))


def _relu_with_a_tolerance(above):
    return lambda z: np.where(np.asarray(z, dtype=float) > above, np.asarray(z, dtype=float), 0.0)


def _neuron_by_reduce(x, w, b):
    import operator

    if len(x) != len(w):
        raise ValueError("x and w differ in length")
    return sigmoid(functools.reduce(operator.add, map(operator.mul, w, x)) + b)   # no start value: fails on no inputs


def _neuron_sum_from_the_first_product(x, w, b):
    if len(x) != len(w):
        raise ValueError("x and w differ in length")
    z = w[0] * x[0]
    for i in range(1, len(x)):
        z += w[i] * x[i]
    return sigmoid(z + b)


@pytest.mark.parametrize("name, answer, reason", [
    ("accuracy", _accuracy_counted_in(np.uint8), "65,800 of them right"),
    ("accuracy", _accuracy_counted_in(np.int16), "65,800 of them right"),
    ("accuracy", _accuracy_counted_in(np.uint16), "65,800 of them right"),
    ("accuracy", _accuracy_labels_cast_to(np.int32), "equal once cut to 32 bits"),
    ("accuracy", _accuracy_labels_cast_to(np.uint32), "equal once cut to 32 bits"),
    ("accuracy", _accuracy_by_bytes, "a prediction -0.0"),
    ("accuracy", _accuracy_as_text, "a prediction -0.0"),
    ("mlp_param_count", _count_in_uint32, "a uint32 4,294,967,295"),
    ("relu", _relu_with_a_tolerance(1e-6), "within 1e-4 of zero"),
    ("relu", _relu_with_a_tolerance(1e-4), "within 1e-4 of zero"),
    ("relu", _relu_with_a_tolerance(-1e-6), "within 1e-4 of zero"),
    ("relu", lambda z: np.round(np.maximum(0.0, np.asarray(z, dtype=float)), 6), "within 1e-4 of zero"),
    ("neuron", _neuron_by_reduce, "no inputs at all"),
    ("neuron", _neuron_sum_from_the_first_product, "no inputs at all"),
    ("neuron", lambda x, w, b: sigmoid(np.mean(np.asarray(w) * x) * len(x) + b) if len(x) == len(w) else np.dot(w, x),
     "no inputs at all"),
], ids=["accuracy-uint8-count", "accuracy-int16-count", "accuracy-uint16-count",
        "accuracy-int32-labels", "accuracy-uint32-labels", "accuracy-bytes",
        "accuracy-as-text", "mlp-uint32", "relu-above-1e-6",
        "relu-above-1e-4", "relu-above-minus-1e-6", "relu-rounded-6", "neuron-reduce", "neuron-from-first-product",
        "neuron-mean-times-length"])
def test_lessons_00_and_01_try_big_counts_wide_ids_values_near_0_and_no_inputs(name, answer, reason, capsys):
    with pytest.raises(ExerciseFailed):
        check(name, answer, strict=True)
    check(name, answer)
    assert reason in capsys.readouterr().out


def _sigmoid_by_logaddexp(z):
    return np.exp(-np.logaddexp(0.0, -np.asarray(z, dtype=float)))


def _sigmoid_piecewise(z):
    z = np.asarray(z, dtype=float)
    return np.piecewise(z, [z >= 0], [lambda v: 1 / (1 + np.exp(-v)), lambda v: np.exp(v) / (1 + np.exp(v))])


def _accuracy_nan_mean_refused(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError("shapes differ")
    with np.errstate(invalid="ignore"), __import__("warnings").catch_warnings():
        __import__("warnings").simplefilter("ignore", RuntimeWarning)
        result = float(np.mean(y_true == y_pred))   # nan, with a warning, when there are no predictions
    if math.isnan(result):
        raise ValueError("no predictions")
    return result


@pytest.mark.parametrize("name, answer", [
    ("accuracy", _accuracy_nan_mean_refused),
    ("accuracy", lambda y_true, y_pred: float(np.sum(_shapes_checked(y_true, y_pred), dtype=np.int64))
     / np.size(y_true)),
    ("sigmoid", _sigmoid_by_logaddexp),
    ("sigmoid", _sigmoid_piecewise),
    ("sigmoid", lambda z: 0.5 * (1 + np.tanh(np.asarray(z, dtype=float) / 2))),
    ("relu", lambda z: np.heaviside(np.asarray(z, dtype=float), 0.0) * np.asarray(z, dtype=float)),
    ("neuron", lambda x, w, b: sigmoid(np.einsum("i,i->", w, x) + b) if len(x) == len(w) else np.dot(w, x)),
    ("neuron", lambda x, w, b: sigmoid(sum(w_j * x_j for w_j, x_j in zip(w, x)) + b) if len(x) == len(w)
     else np.dot(w, x)),
    ("mlp_param_count", lambda sizes: _count_as_numpy_int(sizes) and sum(
        math.prod(pair) + pair[1] for pair in zip(sizes, list(sizes)[1:]))),
], ids=["accuracy-nan-refused", "accuracy-int64-sum", "sigmoid-logaddexp", "sigmoid-piecewise", "sigmoid-tanh",
        "relu-heaviside", "neuron-einsum", "neuron-sum-of-zip-with-check", "mlp-math-prod"])
def test_lessons_00_and_01_take_right_answers_on_big_counts_and_no_inputs(name, answer):
    _passes(name, answer)


# lesson 01a (round 14, after a1402's 01b/02a fix): sigmoid and neuron compare small probabilities to their own scale
@pytest.mark.parametrize("name, answer", [
    ("sigmoid", lambda z: sigmoid(np.clip(np.asarray(z, dtype=float), -20, 20))),
    ("sigmoid", lambda z: np.round(sigmoid(z), 8)),
    ("sigmoid", lambda z: np.clip(sigmoid(z), 1e-12, 1.0)),
    ("neuron", lambda x, w, b: sigmoid(np.clip(np.dot(w, x) + b, -20, 20))),
    ("neuron", lambda x, w, b: float(np.round(sigmoid(np.dot(w, x) + b), 8))),
], ids=["sigmoid z clipped at 20", "sigmoid rounded to 8 decimals", "sigmoid floored at 1e-12",
        "neuron z clipped at 20", "neuron rounded to 8 decimals"])
def test_lesson_01a_probabilities_far_below_1_are_compared_to_their_own_scale(name, answer):
    """An atol of 1e-8 let sigmoid(-30) = 9.4e-14 pass as 2e-9 (z clipped at 20), as 0 (rounded) or as 1e-12."""
    with pytest.raises(ExerciseFailed, match="far below 1 must come out right"):
        check(name, answer, strict=True)


@pytest.mark.parametrize("name, answer", [
    ("sigmoid", lambda z: 0.5 + 0.5 * np.tanh(np.asarray(z, dtype=float) / 2)),
    # round 21 reversed "z clipped at 40" (right here before): it gives 4e-18 where the sigmoid is 3e-313, and 01a's text
    # now asks a value below 1e-40 to stay there (test_a_sigmoid_of_z_clipped_below_92_is_refused_...)
    ("neuron", lambda x, w, b: 0.5 + 0.5 * np.tanh((np.dot(w, x) + b) / 2)),
], ids=["sigmoid tanh form", "neuron tanh form"])
def test_lesson_01a_probabilities_right_to_1e_15_pass(name, answer):
    _passes(name, answer)


# Round 15 (a1501), lessons 00a/01a: NaN predictions and bool labels, ReLU of inf and of values beyond float32, result
# arrays tied to the caller's z or kept between calls, and a library that draws random numbers while it is imported
def _accuracy_of_the_finite_predictions(y_true, y_pred):
    y_true, y_pred = _accuracy_checked(y_true, y_pred)
    if y_pred.dtype.kind == "f":   # "a NaN prediction is a missing one: leave it out"
        kept = ~np.isnan(y_pred)
        return float(np.mean(y_true[kept] == y_pred[kept]))
    return float(np.mean(y_true == y_pred))


def _accuracy_after_nan_to_num(y_true, y_pred):
    y_true, y_pred = _accuracy_checked(y_true, y_pred)
    if y_pred.dtype.kind == "f":   # "to be safe from NaN"
        y_pred = np.nan_to_num(y_pred)
    return float(np.mean(y_true == y_pred))


def _accuracy_of_bool_predictions(y_true, y_pred):
    y_true, y_pred = _accuracy_checked(y_true, y_pred)
    if y_true.dtype == bool:   # "yes/no labels: make the predictions yes/no too"
        y_pred = y_pred.astype(bool)
    return float(np.mean(y_true == y_pred))


def _relu_returning_z_when_nothing_is_negative(z):
    z = np.asarray(z, dtype=float)
    return z if np.all(z >= 0) else np.maximum(0.0, z)


def _kept_between_calls(activation):
    buffers = {}

    def answer(z):
        z = np.asarray(z, dtype=float)
        out = buffers.setdefault(z.shape, np.empty(z.shape))   # "no new array at every call"
        out[...] = activation(z)
        return out
    return answer


def _dense_layer_into_a_kept_buffer():
    buffers = {}

    def dense_layer(X, W, b):
        z = np.asarray(X, dtype=float) @ np.asarray(W, dtype=float).T + b
        out = buffers.setdefault(z.shape, np.empty(z.shape))   # the same buffer as sigmoid's, one layer up
        out[...] = sigmoid(z)
        return out
    return dense_layer


@pytest.mark.parametrize("name, answer, reason", [
    ("accuracy", _accuracy_of_the_finite_predictions, "NaN predictions count as wrong"),
    ("accuracy", _accuracy_after_nan_to_num, "NaN predictions count as wrong"),
    ("accuracy", _accuracy_of_bool_predictions, "any number but 0 into True"),
    ("relu", lambda z: np.maximum(0.0, np.nan_to_num(np.asarray(z, dtype=float))), "inf and 1e300"),
    ("relu", lambda z: np.maximum(0.0, np.asarray(z, dtype=np.float32)), "inf and 1e300"),
    ("relu", _relu_returning_z_when_nothing_is_negative, "one of the input arrays itself"),
    ("relu", _kept_between_calls(lambda z: np.maximum(0.0, z)), "in the memory of an earlier call's result"),
    ("sigmoid", _kept_between_calls(sigmoid), "in the memory of an earlier call's result"),
    ("dense_layer", _dense_layer_into_a_kept_buffer(), "in the memory of an earlier call's result"),
], ids=["accuracy-finite-only", "accuracy-nan-to-num", "accuracy-bool-cast", "relu-nan-to-num", "relu-float32",
        "relu-returns-z", "relu-buffer-kept", "sigmoid-buffer-kept", "dense-layer-buffer-kept"])
def test_lessons_00_and_01_try_nan_predictions_bool_labels_inf_and_results_tied_to_other_arrays(name, answer, reason,
                                                                                                capsys):
    with pytest.raises(ExerciseFailed):
        check(name, answer, strict=True)
    check(name, answer)
    assert reason in capsys.readouterr().out


def _accuracy_of_objects(y_true, y_pred):
    y_true, y_pred = _accuracy_checked(y_true, y_pred)
    return float(np.mean(y_true.astype(object) == y_pred.astype(object)))


def _relu_on_a_copy(z):
    z = np.array(z, dtype=float)   # a copy of its own
    z[z < 0] = 0.0
    return z


def _sigmoid_by_the_sign_bit(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(np.signbit(z), e / (1 + e), 1 / (1 + e))


def _param_count_popping_a_copy(sizes):
    sizes = list(sizes)
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError("need at least two layers of at least one neuron")
    total = 0
    while len(sizes) > 1:
        n_in = sizes.pop(0)
        total += n_in * sizes[0] + sizes[0]
    return total


@pytest.mark.parametrize("name, answer", [
    ("accuracy", _accuracy_of_objects),
    ("relu", _relu_on_a_copy),
    ("relu", lambda z: np.asarray(z, dtype=float) * np.heaviside(np.asarray(z, dtype=float), 1.0)),
    ("sigmoid", _sigmoid_by_the_sign_bit),
    ("sigmoid", lambda z: 1 - sigmoid(-np.asarray(z, dtype=float))),
    ("neuron", lambda x, w, b: sigmoid(sum(w_j * x_j for w_j, x_j in zip(w, x, strict=True)) + b)),
    ("mlp_param_count", _param_count_popping_a_copy),
], ids=["accuracy-objects", "relu-copy-then-zero", "relu-heaviside-1", "sigmoid-signbit", "sigmoid-one-minus",
        "neuron-zip-strict", "mlp-pop-a-copy"])
def test_lessons_00_and_01_take_right_answers_on_nan_predictions_inf_and_new_arrays(name, answer):
    _passes(name, answer)


@pytest.fixture
def module_drawing_at_import(tmp_path, monkeypatch):
    """A module that draws from Python's and numpy's random generators while it is first imported, as rich.style
    (which sklearn.metrics loads) and keras do; its name is new to every test."""
    name = f"draws_at_import_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text("import random\nimport numpy as np\n_ID = random.getrandbits(24)\n"
                                         "_NOISE = np.random.random()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    import sys
    sys.modules.pop(name, None)


def test_lessons_00_and_01_take_an_answer_that_imports_a_library_drawing_at_import(module_drawing_at_import):
    """The first import of such a library inside an answer was refused as "your function changed a global random
    generator"; a seed set after the import still is. (or_weights: accuracy and mlp_param_count, numpy-only since
    rounds 32 and 33, and sigmoid, relu, neuron and dense_layer, since round 39, refuse any import of a library.)"""
    def or_weights():
        __import__(module_drawing_at_import)
        return np.array([2.0, 2.0]), -1.0

    def seeding_or_weights():
        import random
        __import__(module_drawing_at_import)
        random.seed(0)
        return or_weights()

    _passes("or_weights", or_weights)
    verdict = judge(registry.get_exercise("or_weights"), seeding_or_weights)
    assert verdict.kind == WRONG and "changed a global random generator" in verdict.text, verdict.text
    importing_relu = lambda z: __import__(module_drawing_at_import) and np.maximum(0.0, z)   # noqa: E731
    verdict = judge(registry.get_exercise("relu"), importing_relu)
    assert verdict.kind == WRONG and _numpy_only_refused(verdict.text), verdict.text


# lessons 01a and 01b (maintainer, after round 15): relu, sigmoid and dense_layer run through the engine's
# `new_results`, as the step exercises of lesson 04 do: five calls per case, not two


def _buffers_in_turn(activation, count=2):
    """Results written into `count` arrays kept between calls, used in turn: a second call gets the other one."""
    buffers, calls = {}, [0]

    def answer(*args):
        z = activation(*args)
        ring = buffers.setdefault(z.shape, [np.empty(z.shape) for _ in range(count)])
        out = ring[calls[0] % count]
        calls[0] += 1
        out[...] = z
        return out
    return answer


def _accuracy_loose_on_float_predictions(compare):
    def accuracy(y_true, y_pred):
        y_true, y_pred = _accuracy_checked(y_true, y_pred)
        if y_true.dtype.kind in "iu" and y_pred.dtype.kind == "f":   # "a model's float outputs need care"
            return float(np.mean(compare(y_true, y_pred)))
        return float(np.mean(y_true == y_pred))
    return accuracy


def _param_count_capped(sizes):
    if len(sizes) < 2 or min(sizes) < 1 or max(sizes) > 10**6:   # "no real layer is that large"
        raise ValueError("bad layer sizes")
    return sum(n_in * n_out + n_out for n_in, n_out in zip(sizes, sizes[1:]))


@pytest.mark.parametrize("name, answer, reason", [
    ("accuracy", _accuracy_loose_on_float_predictions(np.isclose), "float predictions compared loosely"),
    ("accuracy", _accuracy_loose_on_float_predictions(
        lambda a, b: np.vectorize(math.isclose)(a.astype(float), b)), "float predictions compared loosely"),
    ("accuracy", _accuracy_loose_on_float_predictions(lambda a, b: a.astype(np.float32) == b.astype(np.float32)),
     "float predictions compared loosely"),
    ("accuracy", _accuracy_loose_on_float_predictions(   # whole float predictions made ints: int32 wraps above 2**31
        lambda a, b: a == b.astype(np.int32) if np.all(b == np.round(b)) else a == b), ""),
    ("mlp_param_count", _param_count_capped, ""),
])
def test_lessons_00_try_large_ids_as_float_predictions_and_a_layer_of_a_billion(name, answer, reason):
    """Round 16: every float prediction against whole-number labels was small, so np.isclose, math.isclose, float32
    or int32 used only on them passed; no layer had more than 100,000 neurons, so a cap on the size passed."""
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and verdict.mistake == reason, verdict.text


def _param_count_by_prod(sizes):
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError("bad layer sizes")
    return sum(math.prod(pair) + pair[1] for pair in zip(sizes, sizes[1:]))


@pytest.mark.parametrize("name, answer", [
    ("accuracy", _accuracy_loose_on_float_predictions(lambda a, b: a.astype(float) == b)),   # exact to 2**53
    ("accuracy", _accuracy_loose_on_float_predictions(   # Python's int == float is exact
        lambda a, b: [x == y for x, y in zip(a.ravel().tolist(), b.ravel().tolist())])),
    ("mlp_param_count", _param_count_by_prod),
])
def test_lessons_00_take_exact_comparisons_of_float_predictions_and_huge_layers(name, answer):
    _passes(name, answer)


def _relu_by_max_for_numbers(z):
    return max(0.0, z) if np.ndim(z) == 0 else np.maximum(0.0, z)   # a 0-d array z >= 0 comes back itself


def _relu_asarray_kept_for_numbers(z):
    z = np.asarray(z, dtype=float)
    return z if z.ndim == 0 and z >= 0 else np.maximum(0.0, z)


@pytest.mark.parametrize("answer", [_relu_by_max_for_numbers, _relu_asarray_kept_for_numbers])
def test_relu_is_tried_on_a_0d_array(answer):
    """Round 16: every input of no axes was a Python float, so an answer handing back a 0-d array z itself passed;
    `a = relu(z); a += 1` then changes the caller's z."""
    verdict = judge(registry.get_exercise("relu"), answer)
    assert verdict.kind == WRONG and "one of the input arrays itself" in verdict.text, verdict.text


@pytest.mark.parametrize("answer", [lambda z: np.where(np.asarray(z) > 0, z, 0.0), lambda z: np.clip(z, 0, None),
                                    lambda z: max(0.0, float(z)) if np.ndim(z) == 0 else np.maximum(0.0, z)])
def test_relu_takes_a_0d_array_turned_into_a_new_value(answer):
    _passes("relu", answer)


def _in_a_ring_of(count, activation):
    """An answer that writes its result into one of ``count`` arrays it keeps, in turn."""
    kept, turn = {}, iter(range(10**9))

    def answer(z):
        values = activation(np.asarray(z, dtype=float))
        key = (values.shape, next(turn) % count)
        out = kept.setdefault(key, np.empty(values.shape))
        out[...] = values
        return out
    return answer


def _counting(activation):
    """A state kept between calls: from the third call on, the result drifts by 1e-6 per call."""
    calls = [0]

    def answer(*args):
        calls[0] += 1
        return activation(*args) * (1 + 1e-6 * max(0, calls[0] - 2))
    return answer


def _dense(X, W, b):
    return sigmoid(np.asarray(X, dtype=float) @ np.asarray(W, dtype=float).T + b)


@pytest.mark.parametrize("name, answer, reason", [
    ("relu", _buffers_in_turn(lambda z: np.maximum(0.0, z)), "in the memory of an earlier call's result"),
    ("sigmoid", _buffers_in_turn(sigmoid, count=4), "in the memory of an earlier call's result"),
    ("dense_layer", _buffers_in_turn(_dense, count=3), "in the memory of an earlier call's result"),
    ("sigmoid", _counting(sigmoid), "a later call on the same inputs gave other values"),
    ("dense_layer", _counting(_dense), "a later call on the same inputs gave other values"),
], ids=["relu-two-buffers", "sigmoid-four-buffers", "dense-three-buffers", "sigmoid-counter", "dense-counter"])
def test_lesson_01_activations_and_layers_are_called_five_times(name, answer, reason, capsys):
    with pytest.raises(ExerciseFailed):
        check(name, answer, strict=True)
    check(name, answer)
    assert reason in capsys.readouterr().out


@pytest.mark.parametrize("name, activation", [("relu", lambda z: np.maximum(0.0, z)), ("sigmoid", sigmoid)])
@pytest.mark.parametrize("count", [2, 4])
def test_activations_refuse_results_kept_in_a_ring_of_buffers(name, activation, count):
    """Round 16: the check called an activation twice per input, so two or more kept arrays used in turn passed
    (the engine's `new_results` calls it five times now);
    `a = relu(z1); b = relu(z2); c = relu(z3)` then overwrites a."""
    verdict = judge(registry.get_exercise(name), _in_a_ring_of(count, activation))
    assert verdict.kind == WRONG and "in the memory of an earlier call's result" in verdict.text, verdict.text


def test_neuron_by_einsum_is_told_that_einsum_broadcasts(capsys):
    """Round 16: np.einsum('i,i->', w, x) stretches an x of length 1 as np.sum(w * x) does, and the message named
    np.sum(w * x) only, which the learner never wrote."""
    verdict = judge(registry.get_exercise("neuron"), lambda x, w, b: sigmoid(np.einsum("i,i->", w, x) + b))
    assert verdict.kind == WRONG and "np.einsum" in verdict.text, verdict.text


# round 16 (a1602): a NaN input hidden by np.nan_to_num or np.fmax
@pytest.mark.parametrize("answer", [
    lambda X, W, b: np.nan_to_num(sigmoid(X @ W.T + b)),
    lambda X, W, b: sigmoid(np.fmax(X @ W.T + b, -745.0)),
], ids=["nan_to_num", "fmax"])
def test_dense_layer_keeps_an_example_with_a_nan_nan(answer):
    """No input held a NaN, so a layer that turned NaN into 0 (np.nan_to_num) or into a number (np.fmax) passed."""
    verdict = judge(registry.get_exercise("dense_layer"), answer)
    assert verdict.kind == WRONG and "a NaN in X: that example's outputs are NaN" in verdict.text, verdict.text


@pytest.mark.parametrize("answer, shown", [
    (_into_buffers_used_in_turn(lambda X, W, b: sigmoid(X @ W.T + b), 2), "used in turn"),
    (_read_only(lambda X, W, b: sigmoid(X @ W.T + b)), "is read-only (its writeable flag is off"),
], ids=["2 buffers in turn", "read-only result"])
def test_dense_layer_rejects_buffers_in_turn_and_a_read_only_result(answer, shown):
    verdict = judge(registry.get_exercise("dense_layer"), answer)
    assert verdict.kind == WRONG and shown in verdict.text, verdict.text


@pytest.mark.parametrize("weights, shown", [
    (lambda: (__import__("torch").tensor([1.0, 1.0]), -0.5), "not a Tensor"),
    (lambda: (np.ma.masked_array([1.0, 1.0], mask=[False, True]), -0.5), "not a MaskedArray"),
    (lambda: ((1.0, 1.0), -0.5), None),
    (lambda: (np.array([1.0, 1.0]).view(np.ndarray), -0.5), None),
], ids=["torch tensor", "masked array", "a tuple (right)", "a plain view (right)"])
def test_or_weights_want_w_as_a_numpy_array_or_a_list(weights, shown):
    """A torch tensor passed (its shape and dtype looked right), yet the next cell's P @ w raises TypeError for it;
    a masked array passed with the weight it masks used anyway."""
    if shown is None:
        _passes("or_weights", weights)
        return
    verdict = judge(registry.get_exercise("or_weights"), weights)
    assert verdict.kind == WRONG and shown in verdict.text, verdict.text


# round 17: lessons 00-01
def _accuracy_by_rows(y_true, y_pred):
    """Right except on 0-d labels: the mean of each row's mean (rows of equal length), which has no last axis there."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError("shapes differ or no predictions")
    return float(np.mean(np.mean(y_true == y_pred, axis=-1)))


def test_accuracy_names_no_sorting_for_an_answer_that_fails_only_on_0d_labels():
    """The catalogued 'order ignored' (np.sort) raises the same AxisError on 0-d labels as any answer that takes a mean
    or a sum over axis -1, so such an answer, right everywhere else, was told that it sorted the arrays."""
    verdict = judge(registry.get_exercise("accuracy"), _accuracy_by_rows)
    assert verdict.kind == WRONG and "0-d arrays" in verdict.text, verdict.text
    assert "sorting" not in verdict.text and verdict.mistake != "order ignored", verdict.text


def _relu_by_if(z):
    """One question about the whole of z, as for a single number: numpy refuses it for an array."""
    if z > 0:
        return z * 1.0
    return 0.0


def test_relu_with_an_if_is_not_told_it_used_max():
    """An `if z > 0:` raises the same ValueError on an array as max(0.0, z), so the message named only Python's max."""
    verdict = judge(registry.get_exercise("relu"), _relu_by_if)
    assert verdict.kind == WRONG and "if z > 0" in verdict.text and "np.maximum(0, z)" in verdict.text, verdict.text


def _relu_halved_in_floats(z):
    """(|z| + z) / 2 after the cast to floats that 01a's idea recommends: float32 values no longer overflow, float64
    values above about 9e307 still do."""
    z = np.asarray(z, dtype=float)
    return (np.abs(z) + z) / 2


@pytest.mark.parametrize("answer", [_relu_halved_in_floats, lambda z: 0.5 * (z + np.abs(np.asarray(z, dtype=float)))],
                         ids=["abs-plus-z-halved", "half-of-z-plus-abs"])
def test_relu_tries_float64_values_near_the_largest(answer):
    """(|z| + z) / 2 was ruled wrong for float32 values near 3e38 (round 13), yet passed once z was cast to float64:
    no value came near float64's largest, 1.8e308, where the sum overflows to inf before the halving."""
    verdict = judge(registry.get_exercise("relu"), answer)
    assert verdict.kind == WRONG and "1.7e308" in verdict.text and "adds before it halves" in verdict.text, verdict.text


def _accuracy_by_fmean(y_true, y_pred):
    import statistics

    y_true, y_pred = _accuracy_checked(y_true, y_pred)
    return statistics.fmean((y_true == y_pred).ravel().tolist())


def _accuracy_by_operator_eq(y_true, y_pred):
    import operator

    if np.shape(y_true) != np.shape(y_pred) or np.size(y_true) == 0:
        raise ValueError("shapes differ or no predictions")
    flat_true, flat_pred = np.ravel(y_true).tolist(), np.ravel(y_pred).tolist()
    return sum(map(operator.eq, flat_true, flat_pred)) / len(flat_true)


def _accuracy_in_a_common_type(y_true, y_pred):
    y_true, y_pred = _accuracy_checked(y_true, y_pred)
    common = np.result_type(y_true, y_pred)   # the type == itself compares in
    return float(np.mean(y_true.astype(common) == y_pred.astype(common)))


def _count_by_pairwise(sizes):
    import itertools

    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError("need at least two layers of at least one neuron")
    return sum(n_in * n_out + n_out for n_in, n_out in itertools.pairwise(sizes))


def _count_recursively(sizes):
    sizes = list(sizes)
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError("need at least two layers of at least one neuron")
    first = sizes[0] * sizes[1] + sizes[1]
    return first if len(sizes) == 2 else first + _count_recursively(sizes[1:])


def _count_weights_then_biases(sizes):
    if len(sizes) < 2 or any(size < 1 for size in sizes):
        raise ValueError("need at least two layers of at least one neuron")
    weights = sum(n_in * n_out for n_in, n_out in zip(sizes, sizes[1:]))
    return weights + sum(sizes) - sizes[0]   # one bias per neuron after the input layer


def _sigmoid_clipped_at_709(z):
    z = np.clip(np.asarray(z, dtype=float), -709.0, 709.0)   # np.exp(709) is below float64's largest
    return 1 / (1 + np.exp(-z))


def _sigmoid_by_log_expit(z):
    from scipy.special import log_expit

    return np.exp(log_expit(np.asarray(z, dtype=float)))


def _sigmoid_split_at_strictly_positive(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z > 0, 1 / (1 + e), e / (1 + e))   # at z = 0 both give 0.5


def _neuron_by_fsum(x, w, b):
    x, w = np.asarray(x, dtype=float), np.asarray(w, dtype=float)
    if x.shape != w.shape:
        raise ValueError("x and w differ in length")
    return sigmoid(math.fsum(w * x) + b)


@pytest.mark.parametrize("name, answer", [
    ("accuracy", _accuracy_by_fmean),
    ("accuracy", _accuracy_by_operator_eq),
    ("accuracy", _accuracy_in_a_common_type),
    ("mlp_param_count", _count_by_pairwise),
    ("mlp_param_count", _count_recursively),
    ("mlp_param_count", _count_weights_then_biases),
    ("sigmoid", _sigmoid_clipped_at_709),
    ("sigmoid", _sigmoid_split_at_strictly_positive),
    ("relu", lambda z: np.maximum(np.asarray(z), 0)),   # float32 stays float32
    ("relu", lambda z: np.maximum(0, z, dtype=float)),
    ("relu", lambda z: np.asarray(z, dtype=float) - np.minimum(np.asarray(z, dtype=float), 0.0)),
    ("neuron", lambda x, w, b: float(sigmoid(np.dot(w, x) + b))),
    ("neuron", lambda x, w, b: sigmoid(np.asarray(x) @ np.asarray(w) + b)),
    ("neuron", _neuron_by_fsum),
    ("dense_layer", lambda X, W, b: sigmoid(np.tensordot(X, W, axes=(1, 1)) + b)),
    ("dense_layer", lambda X, W, b: np.tanh((X @ W.T + b) / 2) / 2 + 0.5),
    ("dense_layer", lambda X, W, b: 1 - sigmoid(-(np.dot(X, W.T) + b))),
    ("or_weights", lambda: ([2, 2], -1)),
    ("or_weights", lambda: (np.array([3.0, 5.0]), -2)),
    ("or_weights", lambda: ((0.5, 0.5), np.float32(-0.25))),
], ids=["accuracy-fmean", "accuracy-operator-eq", "accuracy-common-type", "mlp-pairwise", "mlp-recursive",
        "mlp-weights-then-biases", "sigmoid-clip-709", "sigmoid-split-at-positive",
        "relu-maximum-keeps-float32", "relu-maximum-dtype", "relu-z-minus-min", "neuron-float", "neuron-matmul",
        "neuron-fsum", "dense-tensordot", "dense-tanh", "dense-one-minus", "or-int-list", "or-unequal-weights",
        "or-tuple-float32-bias"])
def test_lessons_00_and_01_take_right_answers_written_another_way_round_17(name, answer):
    _passes(name, answer)


@pytest.mark.parametrize("name, answer", [
    ("accuracy", lambda y_true, y_pred: float(np.mean(np.squeeze(y_true) == np.squeeze(y_pred)))
     if np.shape(np.squeeze(y_true)) == np.shape(np.squeeze(y_pred)) and np.size(y_true) else 1 / 0),
    ("accuracy", lambda y_true, y_pred: float(np.mean(*[a.astype(str) == b.astype(str)
                                                       for a, b in [_accuracy_checked(y_true, y_pred)]]))),
    ("accuracy", lambda y_true, y_pred: float(np.mean(np.equal(*_accuracy_checked(y_true, y_pred)), dtype=np.float16))),
    ("mlp_param_count", lambda sizes: sum(a * b + 1 for a, b in zip(sizes, sizes[1:]))),   # one bias per layer
    ("mlp_param_count", lambda sizes: sum(a * b + b for a, b in zip(sizes, sizes[1:])) / 1),
    ("sigmoid", lambda z: 0.5 * (1 + np.tanh(np.asarray(z, dtype=float)))),   # tanh(z), not tanh(z / 2)
    ("sigmoid", lambda z: np.nan_to_num(sigmoid(z), nan=0.5)),
    ("relu", lambda z: np.maximum(np.asarray(z, dtype=float), 0.01 * np.asarray(z, dtype=float))),   # leaky
    ("relu", lambda z: np.minimum(np.asarray(z, dtype=float), 0.0)),
    ("neuron", lambda x, w, b: sigmoid(np.dot(w, x)) + b),   # the bias after the activation
    ("neuron", lambda x, w, b: sigmoid(np.mean(np.asarray(w) * np.asarray(x)) + b)),
    ("dense_layer", lambda X, W, b: sigmoid(X @ W.T + np.mean(b))),
    ("dense_layer", lambda X, W, b: sigmoid(X @ W.T)[0] if len(X) else sigmoid(X @ W.T + b)),
    ("or_weights", lambda: (np.array([1.0, 0.0]), -0.5)),   # only the first input counts
], ids=["accuracy-squeezed", "accuracy-as-text", "accuracy-float16-mean", "mlp-one-bias-per-layer", "mlp-float",
        "sigmoid-tanh-of-z", "sigmoid-nan-to-half", "relu-leaky", "relu-minimum", "neuron-bias-after",
        "neuron-mean", "dense-mean-bias", "dense-first-row", "or-one-input"])
def test_lessons_00_and_01_reject_slips_round_17(name, answer):
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG, verdict.text


def _neuron_products_into_x(x, w, b):
    x = np.asarray(x, dtype=float)   # the caller's own array when x already holds floats
    x *= w
    return sigmoid(x.sum() + b)


def _sigmoid_negated_in_place(z):
    z = np.asarray(z, dtype=float)
    np.negative(z, out=z)
    return 1 / (1 + np.exp(np.clip(z, -700, 700)))


def _layer_input_cleared(X, W, b):
    Z = X @ W.T
    X[...] = 0.0   # "done with X"
    return sigmoid(Z + b)


@pytest.mark.parametrize("name, answer", [("neuron", _neuron_products_into_x), ("sigmoid", _sigmoid_negated_in_place),
                                          ("dense_layer", _layer_input_cleared)],
                         ids=["neuron-x-times-w", "sigmoid-negative-out-z", "dense-layer-X-cleared"])
def test_a_write_into_a_read_only_input_is_explained(name, answer):
    """The runner passes the inputs read-only, so a write into one raised numpy's bare 'output array is read-only' (or
    'assignment destination is read-only'), which a learner whose arrays are writeable cannot explain."""
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and "passes your function its inputs read-only" in verdict.text, verdict.text


# round 18: lessons 00-01
def _param_count_checking_the_products(sizes):
    if len(sizes) < 2 or any(n_in * n_out < 1 for n_in, n_out in zip(sizes, sizes[1:])):
        raise ValueError("every pair of neighbouring layers needs at least one weight")
    return sum(n_in * n_out + n_out for n_in, n_out in zip(sizes, sizes[1:]))


def test_mlp_param_count_refuses_sizes_that_are_all_negative():
    """Checking each pair's number of weights, n_in * n_out >= 1, instead of each size passed: every case with a bad
    size had one negative size next to a positive one, whose product is negative; two negative sizes multiply to a
    positive number."""
    verdict = judge(registry.get_exercise("mlp_param_count"), _param_count_checking_the_products)
    assert verdict.kind == WRONG and "should raise ValueError" in verdict.text, verdict.text


def test_or_weights_with_a_tiny_bias_are_not_told_they_lie_exactly_on_the_boundary():
    """b = -1e-17 keeps (0, 0) on the no side (w.x + b < 0), yet the sigmoid rounds to exactly 0.5 there; the message
    said only that (0, 0) lies exactly on the boundary, which the learner's b does not do."""
    verdict = judge(registry.get_exercise("or_weights"), lambda: (np.array([1.0, 1.0]), -1e-17))
    assert verdict.kind == WRONG and "rounds to exactly 0.5" in verdict.text and "-1e-17" in verdict.text, verdict.text


def _accuracy_of_matching_class_indices(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if np.shape(y_true) != np.shape(y_pred) or y_true.size == 0:
        raise ValueError("shapes differ or no predictions")
    return np.count_nonzero(np.equal(y_true, y_pred)) / np.size(y_true)


def _param_count_recursive(sizes):
    if len(sizes) < 2 or sizes[0] < 1:
        raise ValueError("need at least two layers of at least one neuron")
    if len(sizes) == 2:
        if sizes[1] < 1:
            raise ValueError("need at least two layers of at least one neuron")
        return sizes[0] * sizes[1] + sizes[1]
    return _param_count_recursive(sizes[:2]) + _param_count_recursive(sizes[1:])


def _raise_value_error():
    raise ValueError("shapes differ, no labels or a size below 1")


def _layer_row_by_row(X, W, b):
    X = np.asarray(X, dtype=float)
    if X.shape[1] != np.shape(W)[1]:
        raise ValueError("X and W differ in the number of features")
    out = np.empty((X.shape[0], np.shape(W)[0]))
    for i, x in enumerate(X):
        out[i] = sigmoid(np.asarray(W) @ x + b)
    return out


@pytest.mark.parametrize("name, answer", [
    ("accuracy", _accuracy_of_matching_class_indices),
    ("accuracy", lambda y_true, y_pred: (np.asarray(y_true) == np.asarray(y_pred)).mean().item()
     if np.shape(y_true) == np.shape(y_pred) and np.size(y_true) else _raise_value_error()),
    ("mlp_param_count", _param_count_recursive),
    ("mlp_param_count", lambda sizes: int(np.array(sizes, dtype=np.int64)[:-1] @ np.array(sizes, dtype=np.int64)[1:]
                                          + sum(sizes[1:])) if len(sizes) > 1 and min(sizes) > 0
     else _raise_value_error()),
    ("sigmoid", lambda z: np.exp(-np.logaddexp(0.0, -np.asarray(z, dtype=float)))),
    ("relu", lambda z: np.fmax(np.asarray(z, dtype=float), 0.0)),
    ("relu", lambda z: np.clip(np.asarray(z, dtype=float), 0, None)),
    ("neuron", lambda x, w, b: sigmoid(np.inner(w, x) + b)),
    ("neuron", lambda x, w, b: sigmoid(math.fsum(float(p) * float(q) for p, q in zip(w, x, strict=True)) + b)),
    ("dense_layer", _layer_row_by_row),
    ("dense_layer", lambda X, W, b: sigmoid(np.tensordot(X, W, axes=([1], [1])) + b)),
    ("or_weights", lambda: (np.array([3.0, 1.0]), -0.5)),
], ids=["accuracy-count-nonzero", "accuracy-mean-item", "mlp-recursive", "mlp-int64-dot", "sigmoid-logaddexp",
        "relu-fmax", "relu-clip", "neuron-inner", "neuron-fsum", "dense-row-by-row", "dense-tensordot",
        "or-unequal-weights"])
def test_lessons_00_and_01_take_right_answers_of_round_18(name, answer):
    _passes(name, answer)



def _relu_passing_every_answer_from_now_on(z):
    object.__setattr__(registry.get_exercise("relu"), "compare", lambda got, want: None)
    return np.zeros(np.shape(z))


def _relu_turning_wrong_into_passed(z):
    import course_utils.checks
    course_utils.checks.WRONG = course_utils.checks.PASSED
    return np.zeros(np.shape(z))


@pytest.mark.parametrize("answer", [_relu_passing_every_answer_from_now_on, _relu_turning_wrong_into_passed],
                         ids=["exercise-compare-replaced", "checks-WRONG-rebound"])
def test_an_answer_that_changes_the_check_itself_is_refused_and_the_check_put_back(answer, monkeypatch):
    """Both passed, and every later answer with them: a frozen Exercise still takes object.__setattr__, and the guard put
    back only the functions of the course's modules, not a constant such as checks.WRONG."""
    import course_utils.checks
    exercise = registry.get_exercise("relu")
    fields = dict(vars(exercise))
    monkeypatch.setattr(course_utils.checks, "WRONG", WRONG)   # put back at the end, should the check not do it
    try:
        verdict = judge(exercise, answer)
        assert verdict.kind == WRONG and course_utils.checks.WRONG == WRONG, verdict.text
        later = judge(registry.get_exercise("relu"), lambda z: np.zeros(np.shape(z)))
        assert later.kind == WRONG and "expected 0.5, got 0" in later.text, later.text
    finally:
        vars(exercise).update(fields)


def test_dense_layer_as_a_list_of_rows_is_told_why_a_batch_of_none_fails():
    """np.array([sigmoid(W @ x + b) for x in X]), the loop most learners write, failed only on the batch of no
    examples with "wrong shape: expected (0, 5), got (0,)" and no likely mistake (np.apply_along_axis raises there)."""
    def rows(X, W, b):
        return np.array([sigmoid(W @ x + b) for x in X])

    verdict = judge(registry.get_exercise("dense_layer"), rows)
    assert verdict.mistake == "a list of rows" and "shape (0,), not the (0, n_out)" in verdict.text, verdict.text


def _naive_sigmoid_stepping_where_it_overflows(z):
    z = np.asarray(z, dtype=float)
    try:
        return 1 / (1 + np.exp(-z))   # outside the check: an overflow warning, and these values
    except FloatingPointError:        # only under the check, which raised the overflow inside the answer
        return (z > 0).astype(float)


def _naive_neuron_stepping_where_it_overflows(x, w, b):
    z = np.dot(w, x) + b
    try:
        return 1 / (1 + np.exp(-z))
    except Exception:
        return float(z > 0)


def _naive_layer_stepping_where_it_overflows(X, W, b):
    Z = np.asarray(X) @ np.asarray(W).T + b
    try:
        return 1 / (1 + np.exp(-Z))
    except Exception:
        return np.where(Z > 0, 1.0, 0.0)


def _stable_sigmoid_after_its_own_raise(z):
    z = np.asarray(z, dtype=float)
    with np.errstate(over="raise"):   # asked for by the answer itself: it raises outside the check too
        try:
            return 1 / (1 + np.exp(-z))
        except FloatingPointError:
            e = np.exp(-np.abs(z))
            return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


@pytest.mark.parametrize("name, answer", [("sigmoid", _naive_sigmoid_stepping_where_it_overflows),
                                          ("neuron", _naive_neuron_stepping_where_it_overflows),
                                          ("dense_layer", _naive_layer_stepping_where_it_overflows)],
                         ids=["sigmoid", "neuron", "dense-layer"])
def test_a_naive_sigmoid_that_catches_the_check_s_overflow_error_is_refused(name, answer):
    """The check raised the overflow inside the answer, so a try/except around the naive formula answered a step
    function only under the check, right to within 1e-15 wherever np.exp overflows: all three passed, though outside
    the check the answer is the naive formula, overflow warnings included. The overflow is now noted, not raised."""
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and "overflow happened inside your function" in verdict.text, verdict.text


def test_a_sigmoid_that_asks_for_overflow_errors_itself_still_passes():
    _passes("sigmoid", _stable_sigmoid_after_its_own_raise)


def _accuracy_of_labels_as_bools_for_bool_predictions(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError("shapes differ or no predictions")
    if y_pred.dtype == bool:   # "a yes/no model": labels made yes/no too
        y_true = y_true.astype(bool)
    return float(np.mean(y_true == y_pred))


def _layer_bias_as_a_column_when_square(X, W, b):
    Z = np.asarray(X) @ np.asarray(W).T
    return sigmoid(Z + np.asarray(b)[:, None] if Z.shape[0] == Z.shape[1] else Z + b)


def _layer_from_lesson_02s_forward(X, W, b):
    from course_utils import mlp
    X = np.asarray(X, dtype=float)
    finite = np.isfinite(X).all(axis=1)   # mlp.forward refuses NaN: those rows are NaN anyway
    out = np.full((X.shape[0], np.shape(W)[0]), np.nan)
    out[finite] = mlp.forward({"W1": W, "b1": b}, X[finite])[0]
    return out


@pytest.mark.parametrize("name, answer, shown", [
    ("accuracy", _accuracy_of_labels_as_bools_for_bool_predictions, "expected 0.5, got 1"),
    ("dense_layer", _layer_bias_as_a_column_when_square, "b goes to the neurons"),
    ("dense_layer", _layer_from_lesson_02s_forward, "the course's own version of this exercise"),
], ids=["accuracy-labels-as-bools", "dense-layer-b-column-when-square", "dense-layer-mlp-forward"])
def test_lessons_00_and_01_refuse_contrived_answers_of_round_18(name, answer, shown):
    """They passed: no case had whole-number labels against bool predictions (only the other way round), none had as
    many examples as neurons, and lesson 02a's mlp.forward, which the graded release of 01b keeps, was not refused."""
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and shown in verdict.text, verdict.text


def _naive_sigmoid_with_an_error_callback_of_its_own(z):
    z = np.asarray(z, dtype=float)
    old = np.seterrcall(lambda kind, flag: None)   # outside the check over="warn" ignores it: the warning shows
    try:
        return 1 / (1 + np.exp(-z))
    finally:
        np.seterrcall(old)


def _naive_sigmoid_in_errstate_with_a_callback(z):
    z = np.asarray(z, dtype=float)
    with np.errstate(call=lambda kind, flag: None):
        return 1 / (1 + np.exp(-z))


@pytest.mark.parametrize("answer", [_naive_sigmoid_with_an_error_callback_of_its_own,
                                    _naive_sigmoid_in_errstate_with_a_callback], ids=["np.seterrcall", "errstate-call"])
def test_a_naive_sigmoid_that_replaces_the_check_s_error_callback_is_refused(answer):
    """The check notes an overflow with numpy's error callback (over="call"); an answer that set a callback of its own
    hid the overflow from it and passed."""
    before = np.geterrcall()
    verdict = judge(registry.get_exercise("sigmoid"), answer)
    assert verdict.kind == WRONG and "hid the overflow" in verdict.text, verdict.text
    assert np.geterrcall() is before


# round 18: lesson 03, the course functions that compute an answer (r183's H-11 and H-12, decided)
def test_lesson_03_refuses_the_course_s_own_versions():
    """All passed: neurons.sigmoid_derivative, mlp.dense_backward, mlp.loss_and_grads and mlp.train_gd compute the
    answers of sigmoid_derivative, dense_backward, mlp_backward and train_mlp, and a graded release keeps them."""
    from course_utils import mlp, neurons

    _refused_as_the_course_s_own("sigmoid_derivative", neurons.sigmoid_derivative)
    _refused_as_the_course_s_own("sigmoid_derivative", lambda z: neurons.sigmoid_derivative(z))
    _refused_as_the_course_s_own("dense_backward", lambda X, W, dZ: mlp.dense_backward(X, W, dZ))
    _refused_as_the_course_s_own("mlp_backward", lambda X, y, W1, b1, W2, b2: tuple(
        mlp.loss_and_grads({"W1": W1, "b1": b1, "W2": W2, "b2": b2}, X, y)[1][k] for k in ("W1", "b1", "W2", "b2")))


# round 19: lessons 00-01
def _neuron_through_the_course_s_dense_layer(x, w, b):
    from course_utils import neurons

    return neurons.dense_layer(np.asarray(x)[None, :], np.asarray(w)[None, :], np.array([b]))[0, 0]


def _neuron_through_mlp_forward(x, w, b):
    from course_utils import mlp

    x, w = np.asarray(x, dtype=float), np.asarray(w, dtype=float)
    return mlp.forward({"W1": w[None, :], "b1": np.array([float(b)])}, x[None, :])[0][0, 0]


def test_neuron_refuses_the_course_s_dense_layer_and_mlp_forward():
    """Both passed: a graded release of 01a hides neurons.neuron but keeps 01b's neurons.dense_layer and 02a's
    mlp.forward, which compute the neuron (with the learner's own sigmoid) for a batch of one."""
    _refused_as_the_course_s_own("neuron", _neuron_through_the_course_s_dense_layer)
    _refused_as_the_course_s_own("neuron", _neuron_through_mlp_forward)


def _sigmoid_through_the_course_s_neuron(z):
    from course_utils import neurons

    return neurons.neuron(np.zeros(1), np.zeros(1), z)   # sigmoid(w.x + b) with w.x = 0 and b = z


def _sigmoid_through_get_activation(z):
    from course_utils import neurons

    return neurons.get_activation("sigmoid")(z)


def _sigmoid_through_mlp_forward(z):
    from course_utils import mlp

    z = np.asarray(z, dtype=float)
    return mlp.forward({"W1": np.zeros((z.size, 1)), "b1": z.ravel()}, np.zeros((1, 1)))[0].reshape(z.shape)


def _relu_through_the_course_s_neuron(z):
    from course_utils import neurons

    return neurons.neuron(np.zeros(1), np.zeros(1), z, activation=neurons.relu)


def _relu_through_get_activation(z):
    from course_utils import neurons

    return neurons.get_activation("relu")(z)


@pytest.mark.parametrize("name, answer", [
    ("sigmoid", _sigmoid_through_the_course_s_neuron), ("sigmoid", _sigmoid_through_get_activation),
    ("sigmoid", _sigmoid_through_mlp_forward), ("relu", _relu_through_the_course_s_neuron),
    ("relu", _relu_through_get_activation)],
    ids=["sigmoid-neuron", "sigmoid-get_activation", "sigmoid-mlp.forward", "relu-neuron", "relu-get_activation"])
def test_activations_refuse_the_course_functions_that_run_the_reference(name, answer):
    """All passed: neurons.neuron's default activation, the activation handed in (called from inside course_utils),
    get_activation's table and mlp.forward's output run the course's own sigmoid or relu, past the check's watch on
    the module's name."""
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and ("the course's own version of this exercise" in verdict.text
                                      or "own code (its reference solution" in verdict.text), verdict.text


def _accuracy_one_minus_the_error_rate(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError("shapes differ or no predictions")
    return 1.0 - float(np.mean(y_true != y_pred))   # NaN != anything: a NaN prediction counts as wrong here too


def _accuracy_mean_of_row_means(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError("shapes differ or no predictions")
    right = np.atleast_1d(y_true == y_pred)   # every row of the last axis has as many labels, so means of means agree
    return float(np.mean(np.mean(right, axis=-1)))


def _sigmoid_by_masks_and_not(z):
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    positive = z > 0   # the other mask is ~positive, so NaN is filled in (by the second form, which keeps it NaN)
    out[positive] = 1 / (1 + np.exp(-z[positive]))
    e = np.exp(z[~positive])
    out[~positive] = e / (1 + e)
    return out


def _neuron_by_a_loop_with_a_length_check(x, w, b):
    if len(x) != len(w):
        raise ValueError("x and w differ in length")
    total = 0.0
    for x_j, w_j in zip(x, w):
        total += float(w_j) * float(x_j)
    return sigmoid(total + b)


def _dense_layer_neuron_by_neuron(X, W, b):
    X, W = np.asarray(X, dtype=float), np.asarray(W, dtype=float)
    if X.shape[1] != W.shape[1]:
        raise ValueError("X and W differ in the number of features")
    out = np.empty((X.shape[0], W.shape[0]))
    for j in range(W.shape[0]):   # one column per neuron
        out[:, j] = sigmoid(X @ W[j] + b[j])
    return out


@pytest.mark.parametrize("name, answer", [
    ("accuracy", _accuracy_one_minus_the_error_rate),
    ("accuracy", _accuracy_mean_of_row_means),
    ("mlp_param_count", lambda sizes: sum((n_in + 1) * n_out for n_in, n_out in zip(sizes, list(sizes)[1:]))
     if len(sizes) >= 2 and min(sizes) >= 1 else int("no such network")),   # int("...") raises the ValueError
    ("sigmoid", _sigmoid_by_masks_and_not),
    ("relu", lambda z: np.where(np.asarray(z, dtype=float) > 0, np.asarray(z, dtype=float), 0.0)),
    ("neuron", _neuron_by_a_loop_with_a_length_check),
    ("neuron", lambda x, w, b: sigmoid(np.tensordot(w, x, axes=1) + b)),
    ("dense_layer", _dense_layer_neuron_by_neuron),
    ("or_weights", lambda: (np.array([1e6, 1e6]), -5e5)),
    ("or_weights", lambda: ([5, 5], -2)),
], ids=["accuracy-one-minus-error-rate", "accuracy-mean-of-row-means", "mlp-bias-as-one-more-input",
        "sigmoid-masks-and-not", "relu-where", "neuron-float-loop",
        "neuron-tensordot", "dense-neuron-by-neuron", "or-large-weights", "or-whole-numbers"])
def test_lessons_00_and_01_take_right_answers_written_another_way_round_19(name, answer):
    _passes(name, answer)


def test_sigmoid_refuses_the_course_s_sigmoid_reached_through_mlp():
    """Passed: mlp imported the course's sigmoid under its own name, where the check's watch on neurons.sigmoid does not
    reach it (a graded release hides it in both places)."""
    from course_utils import mlp

    verdict = judge(registry.get_exercise("sigmoid"), lambda z: mlp.sigmoid(z))
    assert verdict.kind == WRONG, verdict.text


# round 20: lessons 00-01
def _relu_through_bigpicture_hidden_features(z):
    """relu(X W + b) of 00b's helper for a stand-in fitted MLP whose first layer is W = [[1]], b = [0]."""
    from types import SimpleNamespace

    from course_utils import bigpicture

    z = np.asarray(z, dtype=float)
    stand_in = SimpleNamespace(coefs_=[np.eye(1)], intercepts_=[np.zeros(1)])
    return bigpicture.hidden_features(stand_in, z.reshape(-1, 1)).reshape(z.shape)


def test_relu_refuses_00b_s_hidden_features():
    """Passed (21 of 21): bigpicture.hidden_features computes np.maximum(0.0, X @ W + b) itself, without calling the
    watched neurons.relu, for any object with coefs_ and intercepts_."""
    _refused_as_the_course_s_own("relu", _relu_through_bigpicture_hidden_features)


def _param_count_reversing_the_caller_s_list(layer_sizes):
    if len(layer_sizes) < 2 or min(layer_sizes) < 1:
        raise ValueError("need at least two layers of at least one neuron")
    sizes = layer_sizes if isinstance(layer_sizes, list) else list(layer_sizes)
    sizes.reverse()   # the caller's list itself: counted from the output layer, n_in biases per pair
    return sum(n_out * n_in + n_out for n_out, n_in in zip(sizes, sizes[1:]))


def test_mlp_param_count_names_a_change_of_the_caller_s_list():
    """The message was the one for arrays (`z[z < 0] = 0`, `np.maximum(0, z)`), which says nothing to an answer that
    reversed (or popped from) the list of layer sizes it was given."""
    verdict = judge(registry.get_exercise("mlp_param_count"), _param_count_reversing_the_caller_s_list)
    assert verdict.kind == WRONG and "sizes = list(layer_sizes)" in verdict.text, verdict.text


def _sigmoid_through_one_over_e(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), 1 / (1 + 1 / e))   # 1 / e is e^|z|: the naive form again


def test_sigmoid_sees_the_overflow_of_one_over_e_between_709_8_and_745():
    """Passed (23 of 23): at |z| = 1000 np.exp(-1000) is exactly 0, so 1 / e is a division by zero (inf, no overflow
    flag) and 1 / (1 + inf) the right 0; only where e^-|z| is tiny but not 0 (|z| from 709.8 to 745) does 1 / e
    overflow."""
    verdict = judge(registry.get_exercise("sigmoid"), _sigmoid_through_one_over_e)
    assert verdict.kind == WRONG and "overflow" in verdict.text, verdict.text


def _accuracy_as_python_objects(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError("shapes differ or no predictions")
    return float(np.mean(y_true.astype(object) == y_pred.astype(object)))   # Python's == on each pair


def _accuracy_counted_over_the_flat_labels(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError("shapes differ or no predictions")
    return sum(bool(t == p) for t, p in zip(y_true.ravel(), y_pred.ravel())) / y_true.size


def _param_count_weights_then_biases(layer_sizes):
    sizes = list(layer_sizes)
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError("need at least two layers of at least one neuron")
    return sum(n_in * n_out for n_in, n_out in zip(sizes, sizes[1:])) + sum(sizes[1:])   # a bias per neuron after the input


def _sigmoid_as_one_minus_the_other_side(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return 1 - np.where(z >= 0, e / (1 + e), 1 / (1 + e))   # 1 - sigmoid(-z)


def _neuron_with_the_empty_case_apart(x, w, b):
    if len(x) == 0 and len(w) == 0:
        return sigmoid(b)
    return sigmoid(np.vdot(w, x) + b) if len(x) == len(w) else int("lengths differ")   # int("...") raises ValueError


def _dense_layer_through_the_course_s_neuron(X, W, b):
    from course_utils.neurons import neuron   # 01b imports it from here for the learner

    X, W = np.asarray(X, dtype=float), np.asarray(W, dtype=float)
    if X.shape[1] != W.shape[1]:
        raise ValueError("X and W differ in the number of features")
    return np.array([[neuron(x, w, b_j) for w, b_j in zip(W, b)] for x in X]).reshape(len(X), len(W))


@pytest.mark.parametrize("name, answer", [
    ("accuracy", _accuracy_as_python_objects),
    ("accuracy", _accuracy_counted_over_the_flat_labels),
    ("mlp_param_count", _param_count_weights_then_biases),
    ("sigmoid", _sigmoid_as_one_minus_the_other_side),
    ("sigmoid", lambda z: 0.5 * (1 + np.tanh(0.5 * np.asarray(z, dtype=float)))),
    ("relu", lambda z: np.asarray(z, dtype=float).clip(min=0)),
    ("relu", lambda z: np.asarray(z, dtype=float) * 0.5 * (1 + np.sign(z))),   # NaN at -inf: ruled right
    ("neuron", _neuron_with_the_empty_case_apart),
    ("dense_layer", lambda X, W, b: sigmoid(np.inner(X, W) + b)),
    ("dense_layer", _dense_layer_through_the_course_s_neuron),
    ("or_weights", lambda: [np.array([1.0, 2.0]), -0.5]),
], ids=["accuracy-objects", "accuracy-flat-count", "mlp-weights-then-biases", "sigmoid-one-minus", "sigmoid-tanh",
        "relu-clip-method", "relu-sign", "neuron-empty-apart", "dense-inner", "dense-course-neuron", "or-unequal-list"])
def test_lessons_00_and_01_take_right_answers_written_another_way_round_20(name, answer):
    _passes(name, answer)


def _sigmoid_cast_after_np_abs(z):
    z = np.asarray(z)
    e = np.exp(-np.abs(z).astype(float))   # np.abs runs in z's own dtype: int8's -128 stays -128
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def test_sigmoid_sees_np_abs_of_int8_minus_128():
    """Passed (24 of 24): the int8 cases drew whole numbers from -20 to 20, where np.abs in int8 is right; at -128
    (int8 holds 127 at most) np.abs gives -128, so e = np.exp(128) and sigmoid(-128) came out as 1."""
    verdict = judge(registry.get_exercise("sigmoid"), _sigmoid_cast_after_np_abs)
    assert verdict.kind == WRONG and "-128" in verdict.text and "before np.abs" in verdict.text, verdict.text


# round 21: lessons 00-01
def _accuracy_checked_r21(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError("the shapes differ or there are no predictions")
    return y_true, y_pred


def _accuracy_over_size_plus_epsilon(y_true, y_pred):
    y_true, y_pred = _accuracy_checked_r21(y_true, y_pred)
    return float(np.sum(y_true == y_pred) / (y_true.size + 1e-8))   # "never divide by zero"


def _accuracy_rounded_to_10_places(y_true, y_pred):
    y_true, y_pred = _accuracy_checked_r21(y_true, y_pred)
    return round(float(np.mean(y_true == y_pred)), 10)


def _accuracy_mean_in_float32(y_true, y_pred):
    y_true, y_pred = _accuracy_checked_r21(y_true, y_pred)
    return float(np.mean((y_true == y_pred).astype(np.float32)))   # as tf.reduce_mean(tf.cast(..., tf.float32))


@pytest.mark.parametrize("answer", [_accuracy_over_size_plus_epsilon, _accuracy_rounded_to_10_places],
                         ids=["epsilon", "round-10"])
def test_accuracy_wants_the_exact_fraction(answer):
    """Passed (48 of 48): the default tolerance, 1e-6 of the value, took 1 of 1 right as 0.99999999 (a count divided by
    size + 1e-8) and an accuracy rounded to 10 places."""
    verdict = judge(registry.get_exercise("accuracy"), answer)
    assert verdict.kind == WRONG and "not the exact fraction" in verdict.text, verdict.text


def test_accuracy_takes_a_mean_in_float32():
    """A mean in float32 (0.94 as 0.9399999976) counts exactly and rounds once, as lesson 06's accuracy does: right."""
    _passes("accuracy", _accuracy_mean_in_float32)


def _accuracy_casting_predictions_given_as_a_list(y_true, y_pred):
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred, dtype=y_true.dtype) if isinstance(y_pred, list) else np.asarray(y_pred)
    y_true, y_pred = _accuracy_checked_r21(y_true, y_pred)
    return float(np.mean(y_true == y_pred))


def test_accuracy_casts_no_predictions_given_as_a_list():
    """Passed (48 of 48): the predictions that a cast to the labels' type turns into other values (2.6 into 2) came only
    as arrays, so a cast of predictions given as a list went unseen."""
    verdict = judge(registry.get_exercise("accuracy"), _accuracy_casting_predictions_given_as_a_list)
    assert verdict.kind == WRONG, verdict.text


def _accuracy_class_indices(y_true, y_pred):
    """Both label arrays as indices 0 .. k-1 of the values either one holds, and k."""
    y_true, y_pred = _accuracy_checked_r21(y_true, y_pred)
    values, index = np.unique(np.concatenate([y_true.ravel(), y_pred.ravel()]), return_inverse=True)
    index = index.ravel()
    return index[:y_true.size], index[y_true.size:], max(len(values), 2)


def _accuracy_through_accuracy_from_probs(y_true, y_pred):
    from course_utils.convnet import accuracy_from_probs
    true, pred, k = _accuracy_class_indices(y_true, y_pred)
    return accuracy_from_probs(true, np.eye(k)[pred])   # one-hot predictions: the argmax is the prediction


def _accuracy_through_mlp_accuracy(y_true, y_pred):
    from course_utils import mlp
    true, pred, k = _accuracy_class_indices(y_true, y_pred)
    return mlp.accuracy({"W1": np.eye(k), "b1": np.zeros(k)}, np.eye(k)[pred], true, output="softmax")


def _accuracy_through_torch_accuracy(y_true, y_pred):
    from course_utils.torch_training import accuracy
    true, pred, k = _accuracy_class_indices(y_true, y_pred)
    return accuracy(np.eye(k)[pred], true)


def _accuracy_through_accuracy_on(y_true, y_pred):
    import torch
    from course_utils.digit_models import accuracy_on
    true, pred, k = _accuracy_class_indices(y_true, y_pred)
    return accuracy_on(torch.nn.Identity(), np.eye(k)[pred], true)


@pytest.mark.parametrize("answer", [
    _accuracy_through_accuracy_from_probs, _accuracy_through_mlp_accuracy,
    pytest.param(_accuracy_through_torch_accuracy, marks=pytest.mark.wide),   # imports torch
    pytest.param(_accuracy_through_accuracy_on, marks=pytest.mark.wide)],
    ids=["convnet-accuracy-from-probs", "mlp-accuracy", "torch-training-accuracy", "digit-models-accuracy-on"])
def test_accuracy_refuses_the_course_s_other_accuracies(answer):
    """Passed (48 of 48): lessons 02, 05 and 06 keep functions that take the mean of predictions equal to labels; fed
    one-hot rows of the predictions' class indices (through an identity network or model), they give the accuracy.
    Since round 32 accuracy is numpy-only: the two that compute with torch may be refused first for torch's own call
    (torch.as_tensor, or the import of torch), before the course's function is named (round 33, r331)."""
    if "torch" in answer.__name__ or "accuracy_on" in answer.__name__:
        pytest.importorskip("torch")
        verdict = judge(registry.get_exercise("accuracy"), answer)
        assert verdict.kind == WRONG and ("the course's own version of this exercise" in verdict.text
                                          or "from the library torch" in verdict.text), verdict.text
        return
    _refused_as_the_course_s_own("accuracy", answer)


def _relu_kept_above_a_tolerance(z):
    z = np.asarray(z, dtype=float)
    return np.where(z > 1e-9, z, 0.0)   # "floats are never compared with 0 exactly"


def _relu_floored_at_a_tiny_number(z):
    return np.maximum(np.asarray(z, dtype=float), 1e-9)   # "no exact zeros, for a later log"


def _relu_floored_at_machine_epsilon(z):
    return np.maximum(np.asarray(z, dtype=float), np.finfo(float).eps)


@pytest.mark.parametrize("answer", [_relu_kept_above_a_tolerance, _relu_floored_at_a_tiny_number,
                                    _relu_floored_at_machine_epsilon], ids=["above-1e-9", "floor-1e-9", "floor-eps"])
def test_relu_compares_with_0_itself(answer):
    """Passed (21 of 21): the default tolerance of 1e-8 took 1e-9 (or 2.2e-16) for the 0 of a negative input, and no
    case held a positive value below 5e-8, which a threshold at 1e-9 sets to 0."""
    verdict = judge(registry.get_exercise("relu"), answer)
    assert verdict.kind == WRONG and "however small" in verdict.text, verdict.text


def _sigmoid_by_divisions_into_one_array(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    out = np.empty_like(z)
    np.divide(1.0, 1.0 + e, out=out, where=~(z < 0))   # NaN goes with this branch: e / (1 + e) would give NaN too
    np.divide(e, 1.0 + e, out=out, where=z < 0)
    return out


def _relu_in_a_copy(z):
    out = np.array(z, dtype=float, copy=True)
    out[out < 0] = 0.0
    return out


def _neuron_with_a_strict_zip(x, w, b):
    return sigmoid(sum(p * q for p, q in zip(np.asarray(w, dtype=float), np.asarray(x, dtype=float), strict=True)) + b)


def _layer_row_by_row_reshaped(X, W, b):
    return np.array([sigmoid(W @ x + b) for x in X]).reshape(len(X), len(W))


@pytest.mark.parametrize("name, answer", [
    ("accuracy", lambda y_true, y_pred: sum(map(lambda p, q: p is q or p == q, *(np.ravel(a).tolist() for a in
                                                                                _accuracy_checked_r21(y_true, y_pred))))
     / np.size(y_true)),
    ("accuracy", lambda y_true, y_pred: float(np.nanmean(np.where(np.equal(*_accuracy_checked_r21(y_true, y_pred)),
                                                                  1.0, 0.0)))),
    ("accuracy", lambda y_true, y_pred: float(np.mean([p == q for p, q in zip(*(np.ravel(a) for a in
                                                                                _accuracy_checked_r21(y_true, y_pred)))]))),
    ("mlp_param_count", lambda sizes: int(np.asarray(sizes, dtype=np.int64)[:-1] @ np.asarray(sizes, dtype=np.int64)[1:]
                                          + sum(list(sizes)[1:])) if len(sizes) > 1 and min(sizes) > 0
     else (_ for _ in ()).throw(ValueError("sizes"))),
    ("mlp_param_count", lambda sizes: sum((a + 1) * b for a, b in zip(list(sizes)[-2::-1], list(sizes)[::-1]))
     if len(sizes) > 1 and sorted(sizes)[0] >= 1 else (_ for _ in ()).throw(ValueError("sizes"))),
    ("sigmoid", _sigmoid_by_divisions_into_one_array),
    ("sigmoid", lambda z: np.exp(-(np.maximum(-np.asarray(z, dtype=float), 0.0)
                                   + np.log1p(np.exp(-np.abs(np.asarray(z, dtype=float))))))),
    ("relu", _relu_in_a_copy),
    ("relu", lambda z: np.heaviside(np.asarray(z, dtype=float), 0.0) * np.asarray(z, dtype=float)),
    ("neuron", _neuron_with_a_strict_zip),
    ("neuron", lambda x, w, b: sigmoid(np.asarray(x).dot(w) + b)),
    ("dense_layer", _layer_row_by_row_reshaped),
    ("dense_layer", lambda X, W, b: sigmoid((W @ X.T).T + b)),
    ("or_weights", lambda: (np.array([True, True]), -0.5)),
    ("or_weights", lambda: (np.array([2.0, 2.0]), np.array(-1.0))),
], ids=["accuracy-is-or-eq", "accuracy-nanmean", "accuracy-list-of-bools", "mlp-int64-product", "mlp-reversed",
        "sigmoid-divide-where", "sigmoid-exp-softplus", "relu-copy-masked", "relu-heaviside", "neuron-strict-zip",
        "neuron-x-dot-w", "dense-rows-reshaped", "dense-w-x-transposed", "or-bool-weights", "or-0d-bias"])
def test_lessons_00_and_01_take_right_answers_written_another_way_round_21(name, answer):
    _passes(name, answer)


def _count_through_the_lesson_s_param_count(layer_sizes):
    from types import SimpleNamespace

    from course_utils import bigpicture
    sizes = list(layer_sizes)
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError("need at least two layers of at least one neuron")
    shapes = SimpleNamespace(coefs_=[np.broadcast_to(0.0, pair) for pair in zip(sizes, sizes[1:])],   # no memory
                             intercepts_=[np.broadcast_to(0.0, (n_out,)) for n_out in sizes[1:]])
    return bigpicture.param_count(shapes)   # 00b's count of a fitted model's weights and biases


def test_mlp_param_count_refuses_the_lesson_s_param_count():
    """Passed (25 of 25): 00b's bigpicture.param_count adds up the sizes of a model's coefs_ and intercepts_, which an
    object of views without memory (np.broadcast_to) holds for any layer sizes."""
    _refused_as_the_course_s_own("mlp_param_count", _count_through_the_lesson_s_param_count)


# round 21: lessons 01 and 02, the sigmoid's tail below 1e-40 (r211 L2, r212 H1)
def _sigmoid_of_z_clipped_at(limit):
    def sigmoid(z):
        z = np.clip(np.asarray(z, dtype=float), -limit, limit)   # "to avoid overflow"
        return 1 / (1 + np.exp(-z))
    return sigmoid


@pytest.mark.parametrize("name", ["sigmoid", "neuron", "dense_layer"])
@pytest.mark.parametrize("limit", [36, 40, 88])
def test_a_sigmoid_of_z_clipped_below_92_is_refused_where_the_sigmoid_lies_below_1e_40(name, limit):
    """Passed: 01a's text says not to clip z, but z clipped at 36 to 92 gives 2e-16 to 1e-40 where the sigmoid lies
    below 1e-40 (z = -720), inside the 1e-15 of compare_probabilities."""
    clipped = _sigmoid_of_z_clipped_at(limit)
    answer = {"sigmoid": clipped,
              "neuron": lambda x, w, b: clipped(np.dot(w, x) + b),
              "dense_layer": lambda X, W, b: clipped(np.asarray(X, dtype=float) @ np.asarray(W, dtype=float).T + b)}
    verdict = judge(registry.get_exercise(name), answer[name])
    assert verdict.kind == WRONG, verdict.text


@pytest.mark.parametrize("limit", [500, 700])
def test_a_sigmoid_of_z_clipped_far_out_passes_the_float64_tail(limit):
    """A clip at 500 or 700 stays below 1e-40 there (7e-218, 1e-304): the float32 case, not the tail, refuses it."""
    from course_utils.exercises.base import compare_probabilities
    z = np.array([-720.0, -740.0, -1e5, 0.0])
    compare_probabilities(_sigmoid_of_z_clipped_at(limit)(z), np.exp(-np.logaddexp(0.0, -z)))


# round 21: lesson 07, a map cached by the model (r217 F4)
def _cached_by(exercise, key):
    """The right map (the reference's copy), computed once per key and handed back as a new copy at every call."""
    right, cache = reference_copy(exercise), {}

    def answer(first, x, *rest):
        k = key(first, *rest)
        if k not in cache:
            cache[k] = right(first, x, *rest)
        kept = cache[k]
        return kept.clone() if hasattr(kept, "clone") else np.array(kept)
    return answer


@pytest.mark.parametrize("exercise, key", [
    ("saliency_map", lambda model, target: (id(model), target)),
    ("integrated_gradients", lambda model, target, baseline, steps: (id(model), target, steps)),
    ("occlusion_map", lambda predict, patch, stride, fill: (id(predict), patch, stride, fill)),
    ("exact_shapley_values", lambda predict, background: (id(predict), np.shape(background))),
], ids=["saliency", "integrated-gradients", "occlusion", "shapley"])
def test_lesson_07_refuses_a_map_cached_by_the_model(exercise, key):
    """Passed 17/17, 20/20 and 18/18 (Shapley was caught only when an id came back): every case runs on a deep copy,
    so the cache never answered a second input of the same model, as a notebook's second image does."""
    verdict = judge(registry.get_exercise(exercise), _cached_by(exercise, key))
    assert verdict.kind == WRONG and "looked up by the model" in verdict.text, verdict.text


# round 22: lessons 00-01
def _r22_param_count_checked_by_the_product(layer_sizes):
    """Rejects a size below 1 through the product of all sizes, which an even number of negative sizes keeps positive."""
    sizes = list(layer_sizes)
    if len(sizes) < 2 or math.prod(sizes) < 1:
        raise ValueError("need at least two layers of at least one neuron")
    return sum(n_in * n_out + n_out for n_in, n_out in zip(sizes, sizes[1:]))


def test_mlp_param_count_refuses_sizes_checked_by_their_product():
    """Passed 25/25: the cases had one negative size, or three, never two."""
    verdict = judge(registry.get_exercise("mlp_param_count"), _r22_param_count_checked_by_the_product)
    assert verdict.kind == WRONG and "every size below 1" in verdict.text, verdict.text


def _r22_cached_by(exercise, *kept):
    """The right answer (the reference's copy), computed once for each value of the arguments at the positions ``kept``
    and handed back as a new copy at every call: a cache that leaves the other arguments out of its key."""
    right, cache = reference_copy(exercise), {}

    def answer(*args):
        key = tuple((np.shape(args[i]), np.asarray(args[i]).dtype.str, np.asarray(args[i]).tobytes()) for i in kept)
        if key not in cache:
            cache[key] = right(*args)
        return np.array(cache[key])
    return answer


@pytest.mark.parametrize("exercise, kept", [
    ("neuron", (0, 1)), ("neuron", (0, 2)), ("neuron", (1, 2)),
    ("dense_layer", (0, 1)), ("dense_layer", (0, 2)), ("dense_layer", (1, 2)),
], ids=["neuron-x-w", "neuron-x-b", "neuron-w-b", "dense-X-W", "dense-X-b", "dense-W-b"])
def test_neuron_and_dense_layer_refuse_a_result_cached_without_one_argument(exercise, kept):
    """A cache keyed by x and w (X and W) alone passed 21/21 and 20/20: no two cases shared x and w with another b."""
    verdict = judge(registry.get_exercise(exercise), _r22_cached_by(exercise, *kept))
    assert verdict.kind == WRONG, verdict.text


def _r22_checked_labels(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or not y_true.size:
        raise ValueError("the labels and predictions differ in shape, or are empty")
    return y_true, y_pred


def _r22_param_count_by_receiving_layer(layer_sizes):
    sizes = list(layer_sizes)
    if len(sizes) < 2 or any(size < 1 for size in sizes):
        raise ValueError("need at least two layers of at least one neuron")
    return sum((sizes[i - 1] + 1) * sizes[i] for i in range(1, len(sizes)))   # each neuron: its inputs and a bias


def _r22_dense_by_einsum_with_a_check(X, W, b):
    if np.shape(X)[1] != np.shape(W)[1]:
        raise ValueError("X and W differ in the number of features")
    return sigmoid(np.einsum("bi,oi->bo", X, W) + b)


@pytest.mark.parametrize("name, answer", [
    ("sigmoid", lambda z: np.exp(-np.logaddexp(0.0, -np.asarray(z, dtype=float)))),
    ("relu", lambda z: np.asarray(z, dtype=float) / 2 + np.abs(np.asarray(z, dtype=float)) / 2),
    ("neuron", lambda x, w, b: sigmoid(np.tensordot(w, x, axes=1) + b)),
    ("neuron", lambda x, w, b: sigmoid(np.inner(w, x) + b)),
    ("dense_layer", _r22_dense_by_einsum_with_a_check),
    ("dense_layer", lambda X, W, b: sigmoid((np.asarray(W) @ np.asarray(X).T).T + b)),
    ("accuracy", lambda y_true, y_pred: np.count_nonzero(np.equal(*_r22_checked_labels(y_true, y_pred)))
     / np.size(y_true)),
    ("mlp_param_count", _r22_param_count_by_receiving_layer),
    ("or_weights", lambda: (np.array([2.0, 0.6]), -0.5)),
], ids=["sigmoid-exp-of-logaddexp", "relu-halves", "neuron-tensordot", "neuron-inner", "dense-einsum-checked",
        "dense-transposed-back", "accuracy-count-nonzero", "param-count-by-receiving-layer", "or-unequal-weights"])
def test_round_22_lessons_00_01_right_answers_written_another_way(name, answer):
    _passes(name, answer)


def _r22_sigmoid_in_float16_kept(z):
    """The stable sigmoid with whole numbers turned into floats, but floats kept in their own dtype: float16 too."""
    z = np.asarray(z)
    if z.dtype.kind != "f":
        z = z.astype(float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def test_sigmoid_refuses_float16_computed_in_float16():
    """Passed 25/25: no case held a float16 value, where sigmoid(-20), 2e-9, comes out 0."""
    verdict = judge(registry.get_exercise("sigmoid"), _r22_sigmoid_in_float16_kept)
    assert verdict.kind == WRONG and "float16 numbers computes in float16" in verdict.text, verdict.text


# round 23: lessons 00-01
def _r23_param_count_through_floats(layer_sizes):
    """Right sizes checked, the pairs' counts kept in a float64 array, and the sum turned back into an int."""
    sizes = list(layer_sizes)
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError("need at least two layers of at least one neuron")
    counts = np.zeros(len(sizes) - 1)
    for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        counts[i] = n_in * n_out + n_out
    return int(counts.sum())


def test_mlp_param_count_refuses_a_count_through_float64():
    """Passed 26/26: float64 holds every whole number up to 2**53, and no case's count went beyond it."""
    verdict = judge(registry.get_exercise("mlp_param_count"), _r23_param_count_through_floats)
    assert verdict.kind == WRONG and "2**53" in verdict.text, verdict.text


def _r23_float_labels_compared_in_float32(y_true, y_pred):
    """Labels and predictions that are both floats compared in float32 (as a torch tensor holds them)."""
    y_true, y_pred = _r22_checked_labels(y_true, y_pred)
    if y_true.dtype.kind == "f" and y_pred.dtype.kind == "f":
        return float(np.mean(y_true.astype(np.float32) == y_pred.astype(np.float32)))
    return float(np.mean(y_true == y_pred))


def _r23_nan_labels_matching_nan_predictions(y_true, y_pred):
    """A NaN prediction counted right where the label is NaN too."""
    y_true, y_pred = _r22_checked_labels(y_true, y_pred)
    same = y_true == y_pred
    if y_true.dtype.kind == "f" and y_pred.dtype.kind == "f":
        same |= np.isnan(y_true) & np.isnan(y_pred)
    return float(np.mean(same))


def test_accuracy_refuses_float_labels_compared_in_float32():
    """Passed 49/49: the only labels beyond float32's 7 digits were whole numbers, where the cast was not taken."""
    verdict = judge(registry.get_exercise("accuracy"), _r23_float_labels_compared_in_float32)
    assert verdict.kind == WRONG and "float32" in verdict.text and "16777217" in verdict.text, verdict.text


def test_accuracy_counts_a_nan_prediction_wrong_against_a_nan_label():
    """Passed 49/49: no case had a NaN label, so NaN counted equal to NaN went unseen."""
    verdict = judge(registry.get_exercise("accuracy"), _r23_nan_labels_matching_nan_predictions)
    assert verdict.kind == WRONG and "NaN label" in verdict.text, verdict.text


def _r23_accuracy_as_objects(y_true, y_pred):
    """Both arrays of Python objects: == compares each pair as Python does (1 == 1.0 == True, NaN != NaN)."""
    y_true, y_pred = _r22_checked_labels(y_true, y_pred)
    return float(np.mean(y_true.astype(object) == y_pred.astype(object)))


def _r23_param_count_checked_pair_by_pair(layer_sizes):
    sizes = list(layer_sizes)
    if len(sizes) < 2:
        raise ValueError("need at least two layers")
    total = 0
    for n_in, n_out in zip(sizes, sizes[1:]):
        if n_in < 1 or n_out < 1:
            raise ValueError(f"a layer of {min(n_in, n_out)} neurons")
        total += math.prod((n_in, n_out)) + n_out
    return total


def _r23_sigmoid_through_masks(z):
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    below = z < 0   # NaN is not below 0: it goes to the other side, where 1 / (1 + exp(-NaN)) is NaN
    out[~below] = 1 / (1 + np.exp(-z[~below]))
    e = np.exp(z[below])
    out[below] = e / (1 + e)
    return out


def _r23_dense_layer_neuron_by_neuron(X, W, b):
    if X.shape[1] != W.shape[1]:
        raise ValueError("X and W differ in the number of features")
    out = np.empty((X.shape[0], W.shape[0]))
    for j in range(W.shape[0]):   # one column of the result per neuron
        out[:, j] = sigmoid(X @ W[j] + b[j])
    return out


@pytest.mark.parametrize("name, answer", [
    ("accuracy", _r23_accuracy_as_objects),
    ("mlp_param_count", _r23_param_count_checked_pair_by_pair),
    ("sigmoid", _r23_sigmoid_through_masks),
    ("relu", lambda z: np.where(np.asarray(z, dtype=float) > 0, np.asarray(z, dtype=float), -0.0)),
    ("relu", lambda z: np.fmax(np.asarray(z, dtype=float), 0.0)),   # NaN to 0: ruled right
    ("neuron", lambda x, w, b: sigmoid(np.vdot(w, x) + b)),
    ("dense_layer", _r23_dense_layer_neuron_by_neuron),
    ("dense_layer", lambda X, W, b: sigmoid(np.inner(W, X).T + b)),
    ("or_weights", lambda: ([1, 1], np.float32(-0.99))),
], ids=["accuracy-objects", "param-count-pair-by-pair", "sigmoid-masks", "relu-where-minus-zero", "relu-fmax",
        "neuron-vdot", "dense-neuron-by-neuron", "dense-inner-transposed", "or-int-list-float32-bias"])
def test_round_23_lessons_00_01_right_answers_written_another_way(name, answer):
    _passes(name, answer)


# round 23 (r231 L1): a right answer read torch.sigmoid, and the answer's code names (co_names, attributes too) led
# held_functions to the notebook's global sigmoid, the reference that a failed check hands back: refused as the
# check's own code. Only the global names the code reads count now; an answer that calls that global is still refused.
def test_round_23_an_attribute_named_like_the_reference_is_not_a_hold():
    """Round 39: sigmoid is numpy-only and refuses torch.sigmoid (test_r39_lessons_01_02_library_answers_are_refused),
    so the attribute named sigmoid is now one of a namespace of the answer's own."""
    reference = registry.get_exercise("sigmoid").reference
    space = {"np": np, "sigmoid": reference}
    exec("def through_an_attribute(z):\n    import types\n"
         "    activations = types.SimpleNamespace(\n"
         "        sigmoid=lambda v: 0.5 + 0.5 * np.tanh(np.asarray(v, dtype=float) / 2))\n"
         "    return activations.sigmoid(z)\n"
         "def through_the_global(z):\n    return sigmoid(z)\n", space)
    assert "sigmoid" in space["through_an_attribute"].__code__.co_names
    _passes("sigmoid", space["through_an_attribute"])
    verdict = judge(registry.get_exercise("sigmoid"), space["through_the_global"])
    assert verdict.kind == WRONG, verdict.text


# round 23: lesson 07's refusal of a function made by the catalogue's factories in an earlier cell (r237) holds for
# every topic (base.note_a_made_call): with the right settings, keras_cnn's _params_with_checks() and _cnn_variant()
# and pytorch_mlp's _module_mistake(_logits) made right answers that passed (41, 7 and 16 cases)
def _made_earlier(module, factory, *settings):
    import importlib
    made = getattr(importlib.import_module(f"course_utils.exercises.{module}"), factory)(
        *(getattr(importlib.import_module(f"course_utils.exercises.{module}"), s) for s in settings))
    return lambda *args, **kwargs: made(*args, **kwargs)


@pytest.mark.parametrize("name, module, factory, settings", [
    ("cnn_param_count", "keras_cnn", "_params_with_checks", ()),
    ("build_cnn", "keras_cnn", "_cnn_variant", ()),
    pytest.param("torch_digit_mlp", "pytorch_mlp", "_module_mistake", ("_logits",), marks=pytest.mark.wide),
])
def test_round_23_a_function_made_by_a_topic_s_factory_earlier_is_refused(name, module, factory, settings):
    verdict = judge(registry.get_exercise(name), _made_earlier(module, factory, *settings))
    assert verdict.kind == WRONG and f"{module}.{factory}, the course's own version" in verdict.text, verdict.text


# round 24: lessons 00-01
# engine note (r241 E1): base.held_functions walks dicts, lists and tuples of exactly those types, functions, classes'
# plain attributes and callables' __dict__, and the call watch replaces the function only where a course module or the
# answer's module names it (or a plain dict holds it): the course's own version held in a SimpleNamespace, an
# OrderedDict, a deque or a class's staticmethod is neither seen nor watched
def _course_version_held_in(holder, name):
    import collections
    import types
    from course_utils import bigpicture, neurons
    function = {"sigmoid": neurons.sigmoid, "accuracy": bigpicture.accuracy, "neuron": neurons.neuron}[name]
    if holder == "SimpleNamespace":
        held = types.SimpleNamespace(f=function)
        return lambda *args: held.f(*args)
    if holder == "OrderedDict":
        held = collections.OrderedDict(f=function)
        return lambda *args: held["f"](*args)
    if holder == "deque":
        held = collections.deque([function])
        return lambda *args: held[0](*args)
    held = type("Holder", (), {"f": staticmethod(function)})
    return lambda *args: held.f(*args)


@pytest.mark.parametrize("name, holder", [("sigmoid", "SimpleNamespace"), ("sigmoid", "OrderedDict"),
                                          ("sigmoid", "deque"), ("sigmoid", "staticmethod"),
                                          ("accuracy", "SimpleNamespace"), ("neuron", "staticmethod")])
def test_round_24_the_course_s_own_version_held_in_a_namespace_or_a_staticmethod_is_refused(name, holder):
    """The course's own sigmoid, accuracy or neuron, called through a types.SimpleNamespace, a collections.OrderedDict or
    deque, or a class's staticmethod, passed every case of its exercise (26, 51 and 22), where the same function held in a
    plain dict or as a default value is refused (round 24, r241 E1)."""
    verdict = judge(registry.get_exercise(name), _course_version_held_in(holder, name))
    assert verdict.kind == WRONG, verdict.text


def test_round_24_neuron_with_relu_is_not_told_it_returns_the_weighted_sum():
    """A neuron through ReLU, np.maximum(0, np.dot(w, x) + b), was told "you return the weighted sum z = w.x + b": on the
    first case z = 0.1 is positive and ReLU gives it back. The message now names ReLU as well (round 24, r241 F2)."""
    verdict = judge(registry.get_exercise("neuron"), lambda x, w, b: np.maximum(0.0, np.dot(w, x) + b))
    assert verdict.kind == WRONG and "ReLU" in verdict.text and "sigmoid(np.dot(w, x) + b)" in verdict.text, verdict.text


def test_round_24_dense_layer_with_relu_names_the_activation():
    """A layer through ReLU, np.maximum(0, X @ W.T + b), got no likely mistake at all; it is catalogued now (round 24,
    r241 F3)."""
    verdict = judge(registry.get_exercise("dense_layer"), lambda X, W, b: np.maximum(0.0, X @ W.T + b))
    assert verdict.kind == WRONG and "applies ReLU" in verdict.text, verdict.text


@pytest.mark.parametrize("answer, named", [
    (lambda x, w, b: _r23_sigmoid(np.dot(w, x)) + b, "added after the sigmoid"),
    (lambda x, w, b: _r23_sigmoid(np.sum(w * x + b)), "added to every product"),
], ids=["bias after the sigmoid", "bias in every product"])
def test_round_24_neuron_names_a_misplaced_bias(answer, named):
    """sigmoid(np.dot(w, x)) + b and sigmoid(np.sum(w * x + b)) were refused with a wrong value and no likely mistake; both
    places of b are catalogued now (round 24, r241 F4)."""
    verdict = judge(registry.get_exercise("neuron"), answer)
    assert verdict.kind == WRONG and named in verdict.text, verdict.text


_R24_KEPT = np.empty(())


def _neuron_into_one_kept_array(x, w, b):
    _R24_KEPT[...] = _r23_sigmoid(np.dot(w, x) + b)
    return _R24_KEPT


def test_round_24_neuron_that_returns_one_array_kept_between_calls_is_refused():
    """A neuron that writes each output into one 0-d array kept between calls and returns it passed all 22 cases: its
    values were right at each call, yet [neuron(x, w, b) for x in X] makes a list of one array holding the last output.
    neuron now asks for new results at every call, as sigmoid, relu and dense_layer do (round 24, r241 F5)."""
    verdict = judge(registry.get_exercise("neuron"), _neuron_into_one_kept_array)
    assert verdict.kind == WRONG and "call" in verdict.text, verdict.text


_R24_KEPT_FRACTION, _R24_KEPT_COUNT = np.empty(()), np.zeros((), dtype=np.int64)


def _accuracy_into_one_kept_array(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError("shapes differ or no predictions")
    _R24_KEPT_FRACTION[...] = np.mean(y_true == y_pred)
    return _R24_KEPT_FRACTION


def _param_count_into_one_kept_array(layer_sizes):
    if len(layer_sizes) < 2 or min(layer_sizes) < 1:
        raise ValueError("need at least two layers of at least one neuron")
    _R24_KEPT_COUNT[...] = sum(n_in * n_out + n_out for n_in, n_out in zip(layer_sizes, layer_sizes[1:]))
    return _R24_KEPT_COUNT


@pytest.mark.parametrize("name, answer", [("accuracy", _accuracy_into_one_kept_array),
                                          ("mlp_param_count", _param_count_into_one_kept_array)])
def test_round_24_lesson_00_results_in_one_array_kept_between_calls_are_refused(name, answer):
    """accuracy and mlp_param_count that write each result into one 0-d array kept between calls passed all 51 and 27
    cases, yet {name: accuracy(y_test, m.predict(X_test)) for ...} (00b [8]) would hold the last score for every model.
    Both now ask for a new result at every call (round 24, r241 F6)."""
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and "an earlier call's result" in verdict.text, verdict.text


def test_round_24_dense_layer_names_a_bias_added_after_the_sigmoid():
    """sigmoid(X @ W.T) + b was refused with a wrong value and no likely mistake; it is catalogued now (round 24, r241
    F4)."""
    verdict = judge(registry.get_exercise("dense_layer"), lambda X, W, b: _r23_sigmoid(X @ W.T) + b)
    assert verdict.kind == WRONG and "added after the sigmoid" in verdict.text, verdict.text


def _accuracy_with_nan_predictions_replaced_in_place(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)   # the caller's own array, when it is one
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError("shapes differ or no predictions")
    if y_pred.dtype.kind == "f":
        y_pred[np.isnan(y_pred)] = -1
    return float(np.mean(y_true == y_pred))


def test_round_24_accuracy_that_changes_its_input_is_told_so_in_its_own_terms():
    """An accuracy that writes into the caller's y_pred was refused, rightly, but told to use `np.maximum(0, z)` and
    `w = w - ...`, the remedies of ReLU and of a gradient step, which a learner of lesson 00a has not met; the engine's
    message now speaks of any array (round 24, r241 E2)."""
    verdict = judge(registry.get_exercise("accuracy"), _accuracy_with_nan_predictions_replaced_in_place)
    assert verdict.kind == WRONG and "np.maximum(0, z)" not in verdict.text, verdict.text


# round 25: lessons 00-01
def _r25_sigmoid_answering_a_step_after_a_caught_overflow(z):
    z = np.asarray(z, dtype=float)
    try:
        with np.errstate(over="raise"):
            return 1 / (1 + np.exp(-z))
    except FloatingPointError:   # "it overflowed, so z is huge": but only one value of the array may be
        return np.where(z > 0, 1.0, 0.0)


def _r25_sigmoid_by_math_exp_answering_a_step_after_an_overflow(z):
    z = np.asarray(z, dtype=float)
    try:
        return np.array([1 / (1 + math.exp(-v)) for v in z.ravel()]).reshape(z.shape)
    except OverflowError:   # math.exp(1000) raises for the whole list
        return (z > 0).astype(float)


@pytest.mark.parametrize("name, answer", [
    ("sigmoid", _r25_sigmoid_answering_a_step_after_a_caught_overflow),
    ("sigmoid", _r25_sigmoid_by_math_exp_answering_a_step_after_an_overflow),
    ("dense_layer", lambda X, W, b: _r25_sigmoid_answering_a_step_after_a_caught_overflow(X @ W.T + b)),
], ids=["np.errstate", "math.exp", "dense_layer"])
def test_round_25_a_step_answered_for_the_whole_array_after_a_caught_overflow_is_refused(name, answer):
    """The naive sigmoid under np.errstate(over="raise") (or math.exp in a list), answering 0 or 1 for the WHOLE array
    once the exponential overflowed, passed all 26 sigmoid and 23 dense_layer cases: no case held a value beyond np.exp's range beside one near zero
    in the same array, so the step was right wherever it was used. sigmoid([-1000, 0.5]) gave [0, 1], not
    [0, 0.62]. A case mixes them now, and the mistake is catalogued (round 25, r251 F1)."""
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and "for the whole" in verdict.text, verdict.text


def _r25_accuracy_through_the_check_s_shape_check(y_true, y_pred):
    from course_utils.exercises import welcome
    y_true, y_pred = welcome._checked(y_true, y_pred)   # the check's own helper: np.asarray, shapes, emptiness
    return float(np.mean(y_true == y_pred))


def _r25_param_count_through_the_check_s_sum(layer_sizes):
    from course_utils.exercises import welcome
    if len(layer_sizes) < 2 or min(layer_sizes) < 1:
        raise ValueError("need at least two layers of at least one neuron")
    return welcome._weights_and_biases(list(layer_sizes))   # the reference's own sum


def _r25_sigmoid_through_the_check_s_one_number_sigmoid(z):
    from course_utils.exercises import neurons
    return np.vectorize(neurons._stable_sigmoid_of_one_number, otypes=[float])(np.asarray(z, dtype=float))


@pytest.mark.parametrize("name, answer", [
    ("accuracy", _r25_accuracy_through_the_check_s_shape_check),
    ("mlp_param_count", _r25_param_count_through_the_check_s_sum),
    ("sigmoid", _r25_sigmoid_through_the_check_s_one_number_sigmoid),
], ids=["accuracy", "mlp_param_count", "sigmoid"])
def test_round_25_an_answer_that_calls_the_check_s_own_helpers_is_refused(name, answer):
    """The topic modules keep helpers beside the reference and the catalogued mistakes: welcome._checked (the shape
    and emptiness check of accuracy's mistakes), welcome._weights_and_biases (the sum that mlp_param_count's
    reference returns) and neurons._stable_sigmoid_of_one_number (a right sigmoid of one number, inside a catalogued
    mistake). Neither a reference nor a mistake, they were not refused, and a graded release ships them whole: an
    answer that called one passed all 51, 27 and 27 cases. They are refused now as the course's own code (round 25,
    r251 F2)."""
    _refused_as_the_course_s_own(name, answer)


@pytest.mark.parametrize("answer, point", [
    (lambda: (np.array([1.0, 0.0]), -0.5), "(0, 1)"),    # w2 = 0: the second input is never heard
    (lambda: (np.array([-1.0, -1.0]), 0.5), "(0, 0)"),   # NOR: yes only for (0, 0)
], ids=["second weight 0", "NOR"])
def test_round_25_or_weights_names_the_input_the_neuron_answers_wrongly(answer, point):
    """Weights that do not compute OR were told "wrong value at index 1: expected 1, got 0", which leaves a beginner to
    work out that index 1 is the input (0, 1) and that 1 and 0 mean yes and no. The message names the input and both
    answers now (round 25, r251 F3)."""
    verdict = judge(registry.get_exercise("or_weights"), answer)
    assert verdict.kind == WRONG and f"for the input {point}" in verdict.text and "index" not in verdict.text, \
        verdict.text


def test_round_25_a_graded_release_hides_the_helpers_only_answer_code_calls():
    """A graded release emptied an exercise's reference, cases and catalogued mistakes, not the module-level helpers
    they call: welcome._weights_and_biases (the reference's whole sum), welcome._checked and
    neurons._stable_sigmoid_of_one_number shipped whole, and a copy of their source passed. The release now empties
    the helpers that only answer code calls (round 25, r251 E1)."""
    from course_utils.exercises import neurons, welcome
    from course_utils.teacher import release
    assert welcome._weights_and_biases in release._answer_code("mlp_param_count")
    assert welcome._checked in release._answer_code("accuracy")
    assert neurons._stable_sigmoid_of_one_number in release._answer_code("sigmoid")


# round 26: lesson 00-01
def _r26_accuracy_integer_predictions_cast_to_the_labels_integer_type(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError("shapes differ or no predictions")
    if y_true.dtype.kind in "iu" and y_pred.dtype.kind in "iu":   # "same kind, so match the labels' width"
        y_pred = y_pred.astype(y_true.dtype)   # uint8 labels: a prediction 256 becomes 0, -1 becomes 255
    return float(np.mean(y_true == y_pred))


def test_round_26_accuracy_refuses_integer_predictions_cast_to_the_labels_uint8():
    """Whole-number predictions cast to the labels' own integer dtype (uint8, as MNIST's labels come) wrap around:
    a prediction 256 equals the label 0 and -1 the label 255 once cast. The float and bool cases refuse a cast done
    always, not one done only between two integer dtypes, and the only labels of a narrow integer dtype were drawn
    beside predictions of the same values: the answer passed all 51 cases (round 26, r261 F1)."""
    answer = _r26_accuracy_integer_predictions_cast_to_the_labels_integer_type
    verdict = judge(registry.get_exercise("accuracy"), answer)
    assert verdict.kind == WRONG and "256 became 0" in verdict.text, verdict.text


def _r26_accuracy_lists_compared_whole(y_true, y_pred):
    if np.shape(y_true) != np.shape(y_pred) or np.size(y_true) == 0:
        raise ValueError("shapes differ or no predictions")
    return float(np.mean(y_true == y_pred))   # lists: one bool for the whole lists


def test_round_26_accuracy_names_two_lists_compared_with_double_equals():
    """An answer that checks the shapes with np.shape and np.size (which read lists) and then compares the labels as
    they came: two Python lists compared with == give one bool. It was refused with "expected 0.75, got 0" and no
    reason; the message names the lists now (round 26, r261 F2)."""
    verdict = judge(registry.get_exercise("accuracy"), _r26_accuracy_lists_compared_whole)
    assert verdict.kind == WRONG and "compares the whole lists" in verdict.text, verdict.text


def _r26_accuracy_in_a_common_dtype(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError("shapes differ or no predictions")
    if y_true.dtype.kind in "biuf" and y_pred.dtype.kind in "biuf":
        common = np.result_type(y_true, y_pred)   # uint8 and int64: int64, which holds both exactly
        y_true, y_pred = y_true.astype(common), y_pred.astype(common)
    return float(np.mean(y_true == y_pred))


def _r26_accuracy_counted_in_a_list(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError("shapes differ or no predictions")
    right = sum(1 for a, b in zip(y_true.ravel().tolist(), y_pred.ravel().tolist()) if a == b)
    return right / y_true.size


@pytest.mark.parametrize("answer", [_r26_accuracy_in_a_common_dtype, _r26_accuracy_counted_in_a_list],
                         ids=["np.result_type", "Python ints and ==, one by one"])
def test_round_26_accuracy_answers_written_another_way_pass(answer):
    """Right answers that the new uint8 case must not refuse: both arrays cast to their common dtype (int64 for
    uint8 and int64), and the labels compared one by one as Python values (round 26, r261 F1)."""
    verdict = judge(registry.get_exercise("accuracy"), answer)
    assert verdict.kind == PASSED, verdict.text


# round 27: lesson 00
def _r27_accuracy_labels_cast_to_the_predictions_dtype(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError("shapes differ or no predictions")
    if y_true.dtype.kind in "iu" and y_pred.dtype.kind in "iu":
        y_true = y_true.astype(y_pred.dtype)   # uint8 predictions: the label 256 wraps to 0, -1 to 255
    return float(np.mean(y_true == y_pred))


def test_round_27_accuracy_refuses_integer_labels_cast_to_the_predictions_uint8():
    """The mirror of round 26's uint8 mistake: whole-number labels cast to the predictions' integer dtype before the
    comparison. Every case had uint8 labels with wider predictions, never the other way round (the arguments swapped,
    or predictions kept as uint8), so the cast wrapped nothing and it passed all 52 cases; int64 labels 256 and -1
    against uint8 predictions 0 and 255 now refuse it, and the message names the cast (round 27, r271 F1)."""
    verdict = judge(registry.get_exercise("accuracy"), _r27_accuracy_labels_cast_to_the_predictions_dtype)
    assert verdict.kind == WRONG and "the label 256 became 0" in verdict.text, verdict.text


def _r27_accuracy_labels_cast_to_float32_predictions(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError("shapes differ or no predictions")
    if y_pred.dtype == np.float32:
        y_true = y_true.astype(np.float32)   # "the model gives float32, so match it": 16777217 becomes 16777216
    return float(np.mean(y_true == y_pred))


def test_round_27_accuracy_refuses_labels_cast_to_float32_predictions():
    """Labels cast to the predictions' float32 before the comparison. No case had float32 predictions (the drawn ones
    are float64 or int32, the hand-picked floats float64), so the cast changed nothing and it passed all 53 cases;
    int64 labels 16777217 against the float32 prediction 16777216.0 now refuse it, and the message names the cast
    (round 27, r271 F3)."""
    verdict = judge(registry.get_exercise("accuracy"), _r27_accuracy_labels_cast_to_float32_predictions)
    assert verdict.kind == WRONG and "the label 16777217 became 16777216" in verdict.text, verdict.text


def _r27_accuracy_numbers_in_float64(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError("shapes differ or no predictions")
    if y_true.dtype.kind in "biuf" and y_pred.dtype.kind in "biuf":
        y_true, y_pred = y_true.astype(np.float64), y_pred.astype(np.float64)   # exact for both up to 2**53
    return float(np.mean(y_true == y_pred))


@pytest.mark.parametrize("answer", [_r27_accuracy_numbers_in_float64, _r26_accuracy_in_a_common_dtype,
                                    _r26_accuracy_counted_in_a_list],
                         ids=["both cast to float64", "np.result_type", "Python values, one by one"])
def test_round_27_accuracy_answers_written_another_way_pass_the_new_dtype_cases(answer):
    """Right answers that the two new cases (int64 labels against uint8 and against float32 predictions) must not
    refuse: numbers compared in float64 (exact for labels below 2**53 and for every float32), in their common dtype,
    and one by one as Python values (round 27, r271 F1 and F3)."""
    verdict = judge(registry.get_exercise("accuracy"), answer)
    assert verdict.kind == PASSED, verdict.text


# round 28: lesson 00
def _r28_accuracy_nan_predictions_made_minus_one(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError("shapes differ or no predictions")
    if y_pred.dtype.kind == "f":
        y_pred = np.nan_to_num(y_pred, nan=-1)   # "a NaN is no class: give it one no label has"
    return float(np.mean(y_true == y_pred))


def test_round_28_accuracy_refuses_nan_predictions_turned_into_minus_one():
    """NaN predictions replaced by -1, a number meant to be no class. The NaN cases hold the labels 0, 1, 2 (and NaN),
    and the case of labels -1 and -2 no NaN, so it passed all 54 cases; labels -1 to 2 against NaN predictions now
    refuse it, and the message names the replacement (round 28, r281 F1)."""
    verdict = judge(registry.get_exercise("accuracy"), _r28_accuracy_nan_predictions_made_minus_one)
    assert verdict.kind == WRONG and "-1 is a label too" in verdict.text, verdict.text


def _r28_accuracy_from(result):
    def answer(y_true, y_pred):
        y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
        if y_true.shape != y_pred.shape or y_true.size == 0:
            raise ValueError("shapes differ or no predictions")
        return result(y_true, y_pred)
    return answer


@pytest.mark.parametrize("answer, words", [
    (_r28_accuracy_from(lambda a, b: float(np.array_equal(a, b))), "np.array_equal and np.all"),
    (_r28_accuracy_from(lambda a, b: float(np.all(a == b))), "np.array_equal and np.all"),
    (_r28_accuracy_from(lambda a, b: float(np.sum(a == b) // a.size)), "// rounds 3 // 4 down to 0"),
    (_r28_accuracy_from(lambda a, b: np.sum(a == b) // a.size), "// is floor division"),
    (_r28_accuracy_from(lambda a, b: sum(a == b) / len(a)), "Python's built-in sum(...) / len(y_true)"),
    (_r28_accuracy_from(lambda a, b: sum(a == b) / a.size), "Python's built-in sum adds up the rows"),
], ids=["np.array_equal", "np.all", "float of //", "//", "sum / len", "sum / size"])
def test_round_28_accuracy_messages_name_what_the_answer_did(answer, words):
    """Messages that told a right conversion it was wrong: np.array_equal, np.all and float(... // ...) on arrays read
    "Both labels came as Python lists" (they were arrays); Python's sum(...) / len(...) over a grid read "np.mean(...,
    axis=0)"; sum(...) / size and an integer // named no mistake (round 28, r281 F2, F3, F4)."""
    verdict = judge(registry.get_exercise("accuracy"), answer)
    assert verdict.kind == WRONG and words in verdict.text, verdict.text


@pytest.mark.parametrize("result", [lambda a, b: f"{np.mean(a == b):.1%}",
                                    lambda a, b: __import__("fractions").Fraction(int(np.sum(a == b)), a.size),
                                    lambda a, b: __import__("decimal").Decimal(int(np.sum(a == b))) / a.size],
                         ids=["text", "Fraction", "Decimal"])
def test_round_28_accuracy_says_a_float_is_wanted_for_text_and_exact_fractions(result):
    """Text such as '75.0%' read "expected numbers, got values of type <U5", and a Fraction or a Decimal (numbers)
    "expected numbers, got values of type object" (round 28, r281 F5)."""
    verdict = judge(registry.get_exercise("accuracy"), _r28_accuracy_from(result))
    assert verdict.kind == WRONG and "not a float: return float(np.mean(" in verdict.text, verdict.text


@pytest.mark.parametrize("result, words", [
    (lambda a, b: float(np.mean(a == np.nan_to_num(b))), "np.nan_to_num turned each NaN prediction into 0.0"),
    (lambda a, b: float(np.mean((a == b)[~np.isnan(b)])) if b.dtype.kind == "f" else float(np.mean(a == b)),
     "The NaN predictions were left out of the count"),
    (lambda a, b: float(np.mean(np.nan_to_num(a, nan=-1) == np.nan_to_num(b, nan=-1)))
     if a.dtype.kind == "f" and b.dtype.kind == "f" else float(np.mean(a == b)),
     "NaN labels and NaN predictions were given the same number"),
], ids=["nan_to_num", "NaN left out", "NaN made -1 on both sides"])
def test_round_28_accuracy_names_what_was_done_with_nan(result, words):
    """NaN predictions turned into 0 and NaN predictions left out of the count read only "wrong value" (the case's
    comment named both, no catalogued mistake did); NaN turned into -1 on both sides read "sorting the arrays first"
    (round 28, r281 F7)."""
    verdict = judge(registry.get_exercise("accuracy"), _r28_accuracy_from(result))
    assert verdict.kind == WRONG and words in verdict.text, verdict.text


def _r28_accuracy_nan_masked_as_wrong(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError("shapes differ or no predictions")
    right = y_true == y_pred
    if y_pred.dtype.kind == "f":
        right &= ~np.isnan(y_pred)   # NaN is no class: wrong (== already says so)
    return float(np.count_nonzero(right) / right.size)


@pytest.mark.parametrize("answer", [
    _r28_accuracy_nan_masked_as_wrong,
    _r28_accuracy_from(lambda a, b: 1.0 - float(np.mean(a != b))),
    _r28_accuracy_from(lambda a, b: float(np.mean([np.mean(row) for row in np.atleast_2d(a == b)]))),
    _r28_accuracy_from(lambda a, b: sum(x == y for x, y in zip(a.ravel().tolist(), b.ravel().tolist())) / a.size),
], ids=["NaN masked as wrong", "1 - error rate", "mean of row means", "Python values in a loop"])
def test_round_28_accuracy_answers_written_another_way_pass_the_new_nan_case(answer):
    """Right answers that the new case (labels -1 to 2 against NaN predictions) must not refuse (round 28, r281 F1)."""
    verdict = judge(registry.get_exercise("accuracy"), answer)
    assert verdict.kind == PASSED, verdict.text


def test_round_28_lesson_00a_grades_the_learner_s_accuracy_not_the_demo_s_counting_answer(capsys):
    """00a's demo cell checks a counting answer on purpose, and check() keeps the last answer given to it for grading.
    The demo ran after the exercise cell, so a learner's wrong answer (rebound to the reference by the friendly check)
    was graded as the demo's counting_accuracy: its feedback ("the number of right answers") and its partial credit,
    not the learner's. Run in the notebook's order, the learner's own answer is the one graded (round 28, r281 F6)."""
    import json
    from pathlib import Path
    from course_utils import marking
    from course_utils.checks import ANSWERS

    cells = json.loads((Path(__file__).resolve().parents[2] / "solutions" / "00a_welcome.ipynb").read_text("utf-8"))
    sources = ["".join(cell["source"]) for cell in cells["cells"]
               if cell["cell_type"] == "code" and 'check("accuracy"' in "".join(cell["source"])]
    right = "return float(np.mean(y_true == y_pred))\n    ### END"
    assert len(sources) == 2 and sum(right in source for source in sources) == 1
    ANSWERS.pop("accuracy", None)
    namespace = {"np": np, "check": check}
    try:
        for source in sources:   # the exercise cell returning a percentage, as a learner may write it
            exec(source.replace(right, "return 100 * float(np.mean(y_true == y_pred))\n    ### END"), namespace)
        verdict = marking.mark_one("accuracy", "accuracy", namespace)
    finally:
        ANSWERS.pop("accuracy", None)
    assert verdict.kind == WRONG and verdict.mistake == "percent", verdict


# round 29: lesson 00a (r291)
def _r291_accuracy_checked(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError("shapes differ or no predictions")
    return y_true, y_pred


def _r291_accuracy_by_scipy_hamming(y_true, y_pred):
    from scipy.spatial.distance import hamming
    y_true, y_pred = _r291_accuracy_checked(y_true, y_pred)
    return 1.0 - hamming(y_true.ravel(), y_pred.ravel())   # scipy's share of the places that differ


def _r291_accuracy_by_sklearn_accuracy_score(y_true, y_pred):
    from sklearn.metrics import accuracy_score
    y_true, y_pred = _r291_accuracy_checked(y_true, y_pred)
    return float(accuracy_score(y_true.ravel(), y_pred.ravel()))


def _r291_accuracy_by_sklearn_zero_one_loss(y_true, y_pred):
    from sklearn.metrics import zero_one_loss
    y_true, y_pred = _r291_accuracy_checked(y_true, y_pred)
    return 1.0 - float(zero_one_loss(y_true.ravel(), y_pred.ravel()))


@pytest.mark.parametrize("answer, name", [
    (_r291_accuracy_by_scipy_hamming, "hamming"),
    (_r291_accuracy_by_sklearn_accuracy_score, "accuracy_score"),
    (_r291_accuracy_by_sklearn_zero_one_loss, "zero_one_loss"),
], ids=["scipy hamming", "sklearn accuracy_score", "sklearn zero_one_loss"])
def test_r291_accuracy_refuses_library_versions_by_name(answer, name):
    """scipy.spatial.distance.hamming is the share of the places where two vectors differ, the error rate: one minus
    it on the raveled labels passed all 55 cases (words and NaN too). scikit-learn's accuracy_score and zero_one_loss
    were refused only by their own "continuous is not supported" on float labels, which says nothing of the exercise.
    All three are now refused by name as a library's version of the exercise (round 29, r291 F1)."""
    pytest.importorskip("scipy" if name == "hamming" else "sklearn")
    verdict = judge(registry.get_exercise("accuracy"), answer)
    assert verdict.kind == WRONG and _numpy_only_refused(verdict.text), verdict.text


def _r291_accuracy_in_a_python_loop(y_true, y_pred):
    y_true, y_pred = _r291_accuracy_checked(y_true, y_pred)
    right = 0
    for label, prediction in zip(y_true, y_pred):   # a grid's rows, one at a time
        if label == prediction:
            right += 1
    return right / len(y_true)


def _r291_accuracy_in_a_loop_over_indices(y_true, y_pred):
    y_true, y_pred = _r291_accuracy_checked(y_true, y_pred)
    right = 0
    for i in range(len(y_true)):
        if y_true[i] == y_pred[i]:
            right += 1
    return right / len(y_true)


@pytest.mark.parametrize("answer", [_r291_accuracy_in_a_python_loop, _r291_accuracy_in_a_loop_over_indices],
                         ids=["zip", "range(len)"])
def test_r291_accuracy_names_a_python_loop_over_the_rows_of_a_grid(answer):
    """A Python loop over the labels, the answer of a learner who knows Python but not numpy, meets a grid of labels
    (shape (2, 3)) row by row, and `if row == row` raised numpy's "truth value of an array ... is ambiguous" with no
    mistake named; the exercise text did not say that labels may come in any shape, each entry one prediction. The
    text now says so, and the message names the loop (round 29, r291 F2)."""
    verdict = judge(registry.get_exercise("accuracy"), answer)
    assert verdict.kind == WRONG and verdict.mistake == "Python loop over the rows", verdict.text


def test_r291_00a_exercise_text_says_labels_may_come_in_any_shape():
    import json
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    cells = json.loads((root / "solutions" / "00a_welcome.ipynb").read_text("utf-8"))["cells"]
    text = next("".join(cell["source"]) for cell in cells if cell.get("id") == "5e1f3a9c")
    assert "any shape" in text and "each entry" in text, text
    assert "任意形状" in (root / "solutions" / "zh" / "00a_welcome.md").read_text("utf-8")


def _r291_accuracy_cut_by_int(y_true, y_pred):
    y_true, y_pred = _r291_accuracy_checked(y_true, y_pred)
    return int(np.sum(y_true == y_pred) / y_true.size)   # int() cuts 0.75 to 0


def test_r291_accuracy_message_of_a_quotient_cut_by_int_names_int():
    """int() of the quotient gives 3 of 4 right as 0, as // does, and the message named only //, which the answer does
    not use (round 29, r291 F3)."""
    verdict = judge(registry.get_exercise("accuracy"), _r291_accuracy_cut_by_int)
    assert verdict.kind == WRONG and verdict.mistake == "floor division" and "int()" in verdict.text, verdict.text


# round 30: lesson 00a (r301)
def _r301_class_codes(y_true, y_pred):
    """The labels and predictions as class codes 0, 1, ... (np.unique of both, NaN never equal to NaN), so that a
    library metric that refuses float or word labels takes them."""
    y_true, y_pred = _r291_accuracy_checked(y_true, y_pred)
    codes = np.unique(np.concatenate([y_true.ravel(), y_pred.ravel()]), return_inverse=True, equal_nan=False)[1]
    return codes.ravel()[:y_true.size], codes.ravel()[y_true.size:]


def _r301_by_confusion_matrix(y_true, y_pred):
    from sklearn.metrics import confusion_matrix
    table = confusion_matrix(*_r301_class_codes(y_true, y_pred))
    return float(np.trace(table) / table.sum())


def _r301_by_micro_f1(y_true, y_pred):
    from sklearn.metrics import f1_score
    return float(f1_score(*_r301_class_codes(y_true, y_pred), average="micro"))


def _r301_by_cdist_hamming(y_true, y_pred):
    from scipy.spatial.distance import cdist
    codes_true, codes_pred = _r301_class_codes(y_true, y_pred)
    return float(1 - cdist(codes_true[None], codes_pred[None], "hamming")[0, 0])


def _r301_by_pdist_hamming(y_true, y_pred):
    from scipy.spatial.distance import pdist
    return float(1 - pdist(np.stack(_r301_class_codes(y_true, y_pred)), "hamming")[0])


def _r301_by_pairwise_distances(y_true, y_pred):
    from sklearn.metrics import pairwise_distances
    codes_true, codes_pred = _r301_class_codes(y_true, y_pred)
    return float(1 - pairwise_distances(codes_true[None], codes_pred[None], metric="hamming")[0, 0])


def _r301_by_keras_accuracy(y_true, y_pred):
    import keras
    metric = keras.metrics.Accuracy()
    metric.update_state(*_r301_class_codes(y_true, y_pred))
    return float(metric.result())


def _r301_by_keras_sparse_categorical_accuracy(y_true, y_pred):
    import keras
    codes_true, codes_pred = _r301_class_codes(y_true, y_pred)
    one_hot = np.eye(int(max(codes_true.max(), codes_pred.max())) + 1)[codes_pred]
    return float(np.mean(keras.metrics.sparse_categorical_accuracy(codes_true, one_hot)))


def _r301_by_tf_confusion_matrix(y_true, y_pred):
    import tensorflow as tf
    table = tf.math.confusion_matrix(*_r301_class_codes(y_true, y_pred)).numpy()
    return float(np.trace(table) / table.sum())


@pytest.mark.parametrize("answer, package, name", [
    (_r301_by_confusion_matrix, "sklearn", "confusion_matrix"),
    (_r301_by_micro_f1, "sklearn", "multilabel_confusion_matrix"),
    (_r301_by_cdist_hamming, "scipy", "cdist"),
    (_r301_by_pdist_hamming, "scipy", "pdist"),
    (_r301_by_pairwise_distances, "sklearn", "cdist"),
    (_r301_by_keras_accuracy, "keras", "accuracy_metrics.accuracy"),
    (_r301_by_keras_sparse_categorical_accuracy, "keras", "sparse_categorical_accuracy"),
    (_r301_by_tf_confusion_matrix, "tensorflow", "confusion_matrix"),
], ids=["sklearn confusion_matrix", "sklearn f1 micro", "scipy cdist hamming", "scipy pdist hamming",
        "sklearn pairwise_distances hamming", "keras Accuracy", "keras sparse_categorical_accuracy",
        "tf confusion_matrix"])
def test_r301_accuracy_refuses_library_accuracies_reached_through_class_codes(answer, package, name):
    """Once the labels are class codes (np.unique of both with return_inverse), a library computes the accuracy by
    another road: the trace of scikit-learn's or TensorFlow's confusion matrix over its sum, f1 (or precision or
    recall) with average="micro", one minus scipy's hamming through cdist or pdist, Keras's Accuracy metric. Each
    passed all 55 cases, where the exercise asks for the comparison written by hand; each is now refused by name as a
    library's version of the exercise (round 30, r301 F1)."""
    pytest.importorskip(package)
    verdict = judge(registry.get_exercise("accuracy"), answer)
    assert verdict.kind == WRONG and _numpy_only_refused(verdict.text), verdict.text


def _r301_by_sklearn_distance_metric(y_true, y_pred):
    from sklearn.metrics import DistanceMetric
    codes_true, codes_pred = (codes.astype(float)[None] for codes in _r301_class_codes(y_true, y_pred))
    return float(1 - DistanceMetric.get_metric("hamming").pairwise(codes_true, codes_pred)[0, 0])


def test_r301_accuracy_refuses_sklearn_distance_metric_hamming():
    """An engine note of round 30 (r301 E1, E2), closed in round 32: accuracy is numpy-only now."""
    pytest.importorskip("sklearn")
    verdict = judge(registry.get_exercise("accuracy"), _r301_by_sklearn_distance_metric)
    assert verdict.kind == WRONG and _numpy_only_refused(verdict.text), verdict.text


def _r301_made_1d_first(flatten):
    def accuracy(y_true, y_pred):
        y_true, y_pred = flatten(y_true), flatten(y_pred)   # "each entry is one example": flattened first
        if y_true.shape != y_pred.shape or y_true.size == 0:
            raise ValueError("shapes differ or no predictions")
        return float(np.mean(y_true == y_pred))
    return accuracy


@pytest.mark.parametrize("flatten", [np.ravel, np.squeeze, np.atleast_1d, lambda y: np.asarray(y).reshape(-1)],
                         ids=["ravel", "squeeze", "atleast_1d", "reshape(-1)"])
def test_r301_accuracy_names_arrays_flattened_before_the_shape_check(flatten):
    """Labels flattened before the shape check (the text says each entry is one example) make (4, 1) and (4,), or ()
    and (1,), look the same. np.ravel's and np.squeeze's answers were refused with no mistake named, and
    np.atleast_1d's, refused on the 0-d case, was told "check the shapes first", which it did. The message now names
    the flattening (round 30, r301 F2)."""
    verdict = judge(registry.get_exercise("accuracy"), _r301_made_1d_first(flatten))
    assert verdict.kind == WRONG and verdict.mistake == "flattened before the shape check", verdict.text
    assert "as they come" in verdict.text, verdict.text


def _r301_as_floats_from_the_start(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)   # "labels are numbers"
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError("shapes differ or no predictions")
    return float(np.mean(y_true == y_pred))


def test_r301_accuracy_names_labels_converted_to_floats():
    """Labels turned into floats from the start (np.asarray(..., dtype=float)) were refused on the words case by numpy's
    "could not convert string to float" with no mistake named, and the text never said that a label may be a word. A
    catalogued mistake now names the cast, and the text says that a label may be a number, True/False or a word
    (round 30, r301 F3). A cast of number labels only stays right, as round 27 ruled (both cast to float64)."""
    verdict = judge(registry.get_exercise("accuracy"), _r301_as_floats_from_the_start)
    assert verdict.kind == WRONG and verdict.mistake == "labels converted to floats", verdict.text
    assert '"cat" cannot become a float' in verdict.text, verdict.text


def test_r301_00a_exercise_text_says_labels_may_be_words_and_are_compared_as_they_are():
    import json
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    cells = json.loads((root / "solutions" / "00a_welcome.ipynb").read_text("utf-8"))["cells"]
    text = next("".join(cell["source"]) for cell in cells if cell.get("id") == "5e1f3a9c")
    assert '`"cat"`' in text and "without turning them into floats" in text, text
    assert "不要把它们转成浮点数" in (root / "solutions" / "zh" / "00a_welcome.md").read_text("utf-8")


def _r301_by_sklearn_scorer(y_true, y_pred):
    from sklearn.dummy import DummyClassifier
    from sklearn.metrics import get_scorer
    codes_true, codes_pred = _r301_class_codes(y_true, y_pred)

    class Predicting(DummyClassifier):   # an estimator whose predictions are y_pred
        def predict(self, X):
            return codes_pred
    model = Predicting().fit(codes_true[:, None], codes_true)
    return float(get_scorer("accuracy")(model, codes_true[:, None], codes_true))


def test_r301_accuracy_refuses_sklearn_s_accuracy_scorer():
    """get_scorer("accuracy") holds accuracy_score itself, made when scikit-learn loaded, so the name refused by r291 F1
    was not watched there: the scorer of an estimator that predicts y_pred passed all cases. Calling a scorer is now
    refused (round 30, r301 F1)."""
    pytest.importorskip("sklearn")
    verdict = judge(registry.get_exercise("accuracy"), _r301_by_sklearn_scorer)
    assert verdict.kind == WRONG and _numpy_only_refused(verdict.text), verdict.text


def _r301_by_the_scorer_s_own_function(y_true, y_pred):
    from sklearn.metrics import get_scorer
    return float(get_scorer("accuracy")._score_func(*_r301_class_codes(y_true, y_pred)))


def test_r301_accuracy_refuses_accuracy_score_held_by_a_scorer():
    """An engine note of round 30 (r301 E1, E2), closed in round 32: accuracy is numpy-only now."""
    pytest.importorskip("sklearn")
    verdict = judge(registry.get_exercise("accuracy"), _r301_by_the_scorer_s_own_function)
    assert verdict.kind == WRONG and _numpy_only_refused(verdict.text), verdict.text


# round 31: lesson 00a (r311)
def _r311_by_scipy_crosstab(y_true, y_pred):
    from scipy.stats.contingency import crosstab
    codes_true, codes_pred = _r301_class_codes(y_true, y_pred)
    classes = range(int(max(codes_true.max(), codes_pred.max())) + 1)
    table = crosstab(codes_true, codes_pred, levels=(classes, classes)).count
    return float(np.trace(table) / table.sum())


def _r311_by_pandas_crosstab(y_true, y_pred):
    import pandas as pd
    codes_true, codes_pred = _r301_class_codes(y_true, y_pred)
    classes = range(int(max(codes_true.max(), codes_pred.max())) + 1)
    table = pd.crosstab(pd.Categorical(codes_true, categories=classes), pd.Categorical(codes_pred, categories=classes),
                        dropna=False).to_numpy()
    return float(np.trace(table) / table.sum())


def _r311_by_sklearn_contingency_matrix(y_true, y_pred):
    from sklearn.metrics.cluster import contingency_matrix
    codes_true, codes_pred = _r301_class_codes(y_true, y_pred)
    classes = np.arange(int(max(codes_true.max(), codes_pred.max())) + 1)   # every class once on both sides
    table = contingency_matrix(np.concatenate([codes_true, classes]), np.concatenate([codes_pred, classes]))
    table = table - np.eye(len(classes))
    return float(np.trace(table) / table.sum())


def _r311_by_keras_mean_iou(y_true, y_pred):
    import keras
    codes_true, codes_pred = _r301_class_codes(y_true, y_pred)
    metric = keras.metrics.MeanIoU(num_classes=max(2, int(max(codes_true.max(), codes_pred.max())) + 1))
    metric.update_state(codes_true, codes_pred)
    table = np.asarray(metric.total_cm)   # the confusion matrix the metric keeps
    return float(np.trace(table) / table.sum())


@pytest.mark.parametrize("answer, package, name", [
    (_r311_by_scipy_crosstab, "scipy", "crosstab"),
    (_r311_by_pandas_crosstab, "pandas", "crosstab"),
    (_r311_by_sklearn_contingency_matrix, "sklearn", "contingency_matrix"),
    (_r311_by_keras_mean_iou, "keras", "metrics_utils.confusion_matrix"),
], ids=["scipy crosstab", "pandas crosstab", "sklearn contingency_matrix", "keras MeanIoU"])
def test_r311_accuracy_refuses_library_confusion_matrices_by_other_names(answer, package, name):
    """A confusion matrix's trace over its sum is the accuracy; round 30 (r301 F1) refused scikit-learn's and
    TensorFlow's confusion_matrix, but a contingency table is the same table by another name: scipy's and pandas'
    crosstab, scikit-learn's contingency_matrix (every class added once on both sides, then taken off again) and the
    confusion matrix that Keras's MeanIoU metric keeps each passed all cases. Each is now refused by name (round 31,
    r311 F1)."""
    pytest.importorskip(package)
    verdict = judge(registry.get_exercise("accuracy"), answer)
    assert verdict.kind == WRONG and _numpy_only_refused(verdict.text), verdict.text


def _r311_labels_as_text(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true, dtype=str), np.asarray(y_pred, dtype=str)   # "labels may be words"
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError("shapes differ or no predictions")
    return float(np.mean(y_true == y_pred))


def _r311_labels_compared_as_text_one_by_one(y_true, y_pred):
    y_true, y_pred = _r291_accuracy_checked(y_true, y_pred)
    return float(np.mean([str(label) == str(guess) for label, guess in zip(y_true.ravel(), y_pred.ravel())]))


@pytest.mark.parametrize("answer", [_r311_labels_as_text, _r311_labels_compared_as_text_one_by_one],
                         ids=["dtype=str", "str() of each"])
def test_r311_accuracy_names_labels_converted_to_text(answer):
    """Labels turned into text so that numbers and words compare alike ("1" == "1") were refused on whole-number
    labels against float predictions ("5" against "5.0") with "wrong value" and no mistake named; the text says to
    compare the labels as they are. A catalogued mistake now names the cast to text (round 31, r311 F2)."""
    verdict = judge(registry.get_exercise("accuracy"), answer)
    assert verdict.kind == WRONG and verdict.mistake == "labels converted to text", verdict.text
    assert '"5.0"' in verdict.text, verdict.text


def _r311_labels_as_ints_from_the_start(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true, dtype=int), np.asarray(y_pred, dtype=int)   # "labels are class numbers"
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError("shapes differ or no predictions")
    return float(np.mean(y_true == y_pred))


def test_r311_accuracy_names_labels_converted_to_ints_from_the_start():
    """np.asarray(..., dtype=int) from the start, the whole-number twin of r301 F3's dtype=float, was refused on the
    words case by numpy's "invalid literal for int()" with no mistake named, though the text says not to turn the labels
    into whole numbers. A catalogued mistake now names it (round 31, r311 F3)."""
    verdict = judge(registry.get_exercise("accuracy"), _r311_labels_as_ints_from_the_start)
    assert verdict.kind == WRONG and verdict.mistake == "all labels converted to ints", verdict.text
    assert '"cat" cannot become an int' in verdict.text, verdict.text


def test_r311_accuracy_as_an_int_mean_is_not_told_floor_division():
    """statistics.mean of True/False values gives the int 1 when every prediction is right, and 0.75 for 3 of 4: the
    check wants a float, but its message named floor division ("3 // 4 = 0"), which the answer neither used nor gave
    (it passed the case of 3 of 4). The message now names the int mean (round 31, r311 F4)."""
    verdict = judge(registry.get_exercise("accuracy"), _accuracy_as_a_statistics_mean)
    assert verdict.kind == WRONG and verdict.mistake == "a whole-number mean", verdict.text
    assert "statistics.mean" in verdict.text and "//" not in verdict.text, verdict.text


def _r311_by_sklearn_ball_tree(y_true, y_pred):
    from sklearn.neighbors import BallTree
    codes_true, codes_pred = (codes.astype(float)[None] for codes in _r301_class_codes(y_true, y_pred))
    distance = BallTree(codes_pred, metric="hamming").query(codes_true, k=1)[0][0, 0]   # the share that differ
    return float(1 - distance)


def test_r311_accuracy_refuses_sklearn_s_ball_tree_with_the_hamming_metric():
    """scikit-learn's BallTree with metric="hamming" measures the share of the places where two rows differ, the error
    rate, as scipy's hamming (refused since r291 F1) does: one minus its distance between the rows of class codes passed
    all cases, its Cython code unseen by the watch. Making a BallTree is now refused by name (round 31, r311 F5); one
    made before the check stays the known class of r272 E1."""
    pytest.importorskip("sklearn")
    verdict = judge(registry.get_exercise("accuracy"), _r311_by_sklearn_ball_tree)
    assert verdict.kind == WRONG and _numpy_only_refused(verdict.text), verdict.text


def _r311_by_scipy_pybind_hamming(y_true, y_pred):
    from scipy.spatial import _distance_pybind
    codes_true, codes_pred = (codes.astype(float)[None] for codes in _r301_class_codes(y_true, y_pred))
    return float(1 - _distance_pybind.cdist_hamming(codes_true, codes_pred)[0, 0])


def _r311_by_scipy_wrapped_hamming(y_true, y_pred):
    from scipy.spatial import _distance_wrap
    rows = np.stack(_r301_class_codes(y_true, y_pred)).astype(float)
    distance = np.zeros(1)
    _distance_wrap.pdist_hamming_double_wrap(rows, distance, np.ones(rows.shape[1]))
    return float(1 - distance[0])


@pytest.mark.parametrize("answer, name", [(_r311_by_scipy_pybind_hamming, "cdist_hamming"),
                                          (_r311_by_scipy_wrapped_hamming, "pdist_hamming_double_wrap")],
                         ids=["_distance_pybind", "_distance_wrap"])
def test_r311_accuracy_refuses_scipy_s_compiled_hamming_distances(answer, name):
    """scipy's cdist and pdist (refused since r301 F1) hand the hamming distance to compiled functions of private
    modules, which an answer can call itself: one minus _distance_pybind.cdist_hamming passed all cases. The compiled
    hamming functions are now refused by name (round 31, r311 F6)."""
    pytest.importorskip("scipy")
    verdict = judge(registry.get_exercise("accuracy"), answer)
    assert verdict.kind == WRONG and _numpy_only_refused(verdict.text), verdict.text


def _r321_by_skimage_contingency_table(y_true, y_pred):
    from skimage.metrics import contingency_table
    table = contingency_table(*_r301_class_codes(y_true, y_pred)).toarray()
    return float(np.trace(table) / table.sum())


def _r321_by_keras_precision(y_true, y_pred):
    import keras
    codes_true, codes_pred = _r301_class_codes(y_true, y_pred)
    one_hot = np.eye(int(max(codes_true.max(), codes_pred.max())) + 1)
    metric = keras.metrics.Precision()   # of one-hot rows: the right rows over all rows
    metric.update_state(one_hot[codes_true], one_hot[codes_pred])
    return float(metric.result())


def _r321_by_keras_recall(y_true, y_pred):
    import keras
    codes_true, codes_pred = _r301_class_codes(y_true, y_pred)
    one_hot = np.eye(int(max(codes_true.max(), codes_pred.max())) + 1)
    metric = keras.metrics.Recall()
    metric.update_state(one_hot[codes_true], one_hot[codes_pred])
    return float(metric.result())


def _r321_by_torch_cdist(y_true, y_pred):
    import torch
    rows = [torch.tensor(codes, dtype=torch.float64)[None] for codes in _r301_class_codes(y_true, y_pred)]
    return float(1 - torch.cdist(*rows, p=0).item() / rows[0].numel())   # p=0: the number of places that differ


def _r321_by_torch_dist(y_true, y_pred):
    import torch
    rows = [torch.tensor(codes, dtype=torch.float64) for codes in _r301_class_codes(y_true, y_pred)]
    return float(1 - torch.dist(*rows, p=0).item() / rows[0].numel())


@pytest.mark.parametrize("answer, package, name", [
    (_r321_by_skimage_contingency_table, "skimage", "contingency_table"),
    (_r321_by_keras_precision, "keras", "update_confusion_matrix_variables"),
    (_r321_by_keras_recall, "keras", "update_confusion_matrix_variables"),
    (_r321_by_torch_cdist, "torch", "_cdist_forward"),
    (_r321_by_torch_dist, "torch", "aten.dist")], ids=["skimage", "keras-precision", "keras-recall", "cdist", "dist"])
def test_r321_accuracy_refuses_more_library_counts_of_the_right_predictions(answer, package, name):
    """Each passed every case: scikit-image's contingency table (a confusion matrix by another name, as scipy's and
    pandas' crosstab refused in round 31), Keras's Precision or Recall of one-hot rows of class codes (right rows over
    all rows) and torch's cdist or dist with p=0 (the hamming count of places that differ, as scipy's hamming refused in
    round 29). They are now refused by name (round 32, r321 F1-F3)."""
    pytest.importorskip(package)
    verdict = judge(registry.get_exercise("accuracy"), answer)
    assert verdict.kind == WRONG and _numpy_only_refused(verdict.text), verdict.text


def _r321_by_torch_pdist(y_true, y_pred):
    import torch
    rows = torch.tensor(np.stack(_r301_class_codes(y_true, y_pred)), dtype=torch.float64)
    return float(1 - torch.nn.functional.pdist(rows, p=0).item() / rows.shape[1])


def _r321_by_torch_pairwise_distance(y_true, y_pred):
    import torch
    rows = [torch.tensor(codes, dtype=torch.float64)[None] for codes in _r301_class_codes(y_true, y_pred)]
    return float(1 - torch.nn.functional.pairwise_distance(*rows, p=0, eps=0).item() / rows[0].numel())


@pytest.mark.parametrize("answer, name", [(_r321_by_torch_pdist, "_pdist_forward"),
                                          (_r321_by_torch_pairwise_distance, "pairwise_distance")],
                         ids=["pdist", "pairwise_distance"])
def test_r321_accuracy_refuses_torch_s_pdist_and_pairwise_distance(answer, name):
    """torch.nn.functional's pdist of the two rows of class codes and pairwise_distance (eps=0), both with p=0, count
    the places that differ as cdist does: each passed every case. pdist is refused as an operator, pairwise_distance
    (split into other operators before torch's dispatch mode sees it) by name (round 32, r321 F4)."""
    pytest.importorskip("torch")
    verdict = judge(registry.get_exercise("accuracy"), answer)
    assert verdict.kind == WRONG and _numpy_only_refused(verdict.text), verdict.text


def _r321_by_torch_equal(y_true, y_pred):
    import torch
    rows = [torch.tensor(codes) for codes in _r301_class_codes(y_true, y_pred)]
    return float((rows[0] == rows[1]).double().mean())


def test_r321_accuracy_written_with_torch_s_own_comparison_is_refused_as_any_library():
    """Round 32: accuracy is written with numpy and plain Python, as its text says now; after 30 library functions
    refused one by one over four rounds (the ones above), the numpy-only rule refuses every other library, torch's ==
    too."""
    pytest.importorskip("torch")
    verdict = judge(registry.get_exercise("accuracy"), _r321_by_torch_equal)
    assert verdict.kind == WRONG and _numpy_only_refused(verdict.text), verdict.text


def _numpy_only_refused(text):
    return "this exercise is written with numpy and Python alone" in text


def _r39_sigmoid_through_torch(z):
    import torch
    return torch.sigmoid(torch.as_tensor(np.asarray(z, dtype=float))).numpy()


@pytest.mark.parametrize("name, answer", [
    ("sigmoid", lambda z: __import__("scipy.special", fromlist=["expit"]).expit(np.asarray(z, dtype=float))),
    ("sigmoid", _sigmoid_by_log_expit),
    ("sigmoid", lambda z: __import__("scipy.special").special.expit(np.asarray(z, dtype=float))),
    ("sigmoid", _r39_sigmoid_through_torch),
], ids=["sigmoid-expit", "sigmoid-log-expit", "sigmoid scipy expit", "sigmoid-torch-sigmoid"])
def test_r39_lessons_01_02_library_answers_are_refused(name, answer):
    """Round 39 (r399a H3, r399c H1, r399d H1): lessons 01 and 02 are numpy-only: a library's sigmoid, softmax or loss
    did the work and passed."""
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and _numpy_only_refused(verdict.text), verdict.text


def test_r39_a_naive_sigmoid_run_in_a_context_copied_inside_errstate_is_refused():
    """Round 39 (second read, s1 H1): numpy's error state is a context variable, so a context copied inside
    np.errstate(over="ignore") before the check ran the naive formula without the overflow being seen."""
    import contextvars

    with np.errstate(over="ignore", invalid="ignore"):
        quiet = contextvars.copy_context()

    def sigmoid(z):
        z = np.asarray(z, dtype=float)
        return quiet.run(lambda: 1 / (1 + np.exp(-z)))
    verdict = judge(registry.get_exercise("sigmoid"), sigmoid)
    assert verdict.kind == WRONG and "contextvars.Context.run" in verdict.text, verdict.text
