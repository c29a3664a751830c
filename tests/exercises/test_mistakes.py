"""Targeted checks of lessons 00-06's exercises: right answers written another way still pass,
and the mistakes the catalogues name are caught for the reason they name."""
from __future__ import annotations

import numpy as np
import pytest

from course_utils import exercises as registry
from course_utils.checks import ExerciseFailed, check, judge, PASSED


@pytest.fixture(autouse=True)
def friendly(monkeypatch, tmp_path):
    monkeypatch.delenv("COURSE_STRICT", raising=False)
    monkeypatch.chdir(tmp_path)


def _passes(name, answer):
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == PASSED, verdict.text


# ---------------------------------------------------------------- lesson 04
def _cut(order, batch_size):
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]


def test_other_shuffles_driven_by_rng_pass():
    def shuffled_in_place(n, batch_size, rng):
        order = np.arange(n)
        rng.shuffle(order)
        return _cut(order, batch_size)

    _passes("minibatch_indices", lambda n, b, rng: _cut(rng.choice(n, size=n, replace=False), b))
    _passes("minibatch_indices", shuffled_in_place)
    _passes("minibatch_indices", lambda n, b, rng: _cut(rng.permutation(n).tolist(), b))


@pytest.mark.parametrize("seed", [0, 1, 42, 123])
def test_a_hard_coded_seed_is_caught_whatever_the_seed(seed):
    with pytest.raises(ExerciseFailed, match="different rng seeds gave the same order"):
        check("minibatch_indices", lambda n, b, rng: _cut(np.random.default_rng(seed).permutation(n), b),
              strict=True)


def test_a_zero_learning_rate_and_a_wrong_gradient_shape_are_tried():
    labels = [c.label for c in registry.get_exercise("momentum_step").cases()]
    assert "learning rate 0" in labels and "gradient of the wrong shape" in labels


def test_momentum_rejects_weights_shaped_unlike_grad_and_velocity():
    def compares_grad_with_velocity(w, grad, velocity, lr, mu=0.9):
        w, grad, velocity = (np.asarray(a, dtype=float) for a in (w, grad, velocity))
        if grad.shape != velocity.shape or not lr > 0 or not 0 <= mu < 1:
            raise ValueError("bad input")
        velocity = mu * velocity + grad
        return w - lr * velocity, velocity

    with pytest.raises(ExerciseFailed, match="w of another shape than grad and velocity"):
        check("momentum_step", compares_grad_with_velocity, strict=True)


@pytest.mark.parametrize("name, shapes", [("momentum_step", ("velocity",)), ("adam_step", ("m", "v"))])
def test_a_state_array_of_shape_one_is_tried(name, shapes):
    """A state of shape (1,) broadcasts silently; one of shape (3,) against (2,) would fail in numpy anyway."""
    cases = {c.label: c for c in registry.get_exercise(name).cases()}
    for state in shapes:
        args = cases[f"{state} of the wrong shape"].args
        assert args[{"velocity": 2, "m": 2, "v": 3}[state]].shape == (1,) and args[0].shape == (2,)


def _same_lengths(*arrays):
    """A shape check written with len(): every array as long as the first passes it."""
    if any(len(a) != len(arrays[0]) for a in arrays):
        raise ValueError("lengths differ")


def _sgd_by_length(w, grad, lr):
    _same_lengths(w, grad)
    if not lr > 0:
        raise ValueError("lr must be positive")
    return np.asarray(w) - lr * np.asarray(grad)


def _momentum_by_length(w, grad, velocity, lr, mu=0.9):
    _same_lengths(w, grad, velocity)
    if not lr > 0 or not 0 <= mu < 1:
        raise ValueError("bad lr or mu")
    velocity = mu * np.asarray(velocity) + np.asarray(grad)
    return np.asarray(w) - lr * velocity, velocity


def _adam_by_length(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    _same_lengths(w, grad, m, v)
    if t < 1:
        raise ValueError("t counts from 1")
    m = beta1 * np.asarray(m) + (1 - beta1) * np.asarray(grad)
    v = beta2 * np.asarray(v) + (1 - beta2) * np.asarray(grad) ** 2
    return w - lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps), m, v


@pytest.mark.parametrize("name", ["sgd_step", "momentum_step", "adam_step"])
def test_a_shape_check_written_with_len_is_rejected(name):
    """A gradient of shape (3, 1) has the length of weights of shape (3,) but broadcasts to (3, 3)."""
    with pytest.raises(ExerciseFailed, match=r"a column gradient \(3, 1\)"):
        check(name, {"sgd_step": _sgd_by_length, "momentum_step": _momentum_by_length,
                     "adam_step": _adam_by_length}[name], strict=True)


@pytest.mark.parametrize("compared", [("grad", "w"), ("m", "v")], ids=["w never compared", "m with v"])
def test_adam_rejects_state_shapes_compared_among_themselves(compared):
    def answer(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        shapes = {"w": np.shape(w), "grad": np.shape(grad), "m": np.shape(m), "v": np.shape(v)}
        others = [shapes[k] for k in ("grad", "m", "v")] if compared == ("grad", "w") else [shapes["m"], shapes["v"]]
        if len(set(others)) > 1 or (compared == ("m", "v") and shapes["grad"] != shapes["w"]) or t < 1:
            raise ValueError("shapes differ")
        m = beta1 * np.asarray(m) + (1 - beta1) * np.asarray(grad)
        v = beta2 * np.asarray(v) + (1 - beta2) * np.asarray(grad) ** 2
        return w - lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps), m, v

    with pytest.raises(ExerciseFailed, match="of the same wrong shape|w of another shape than grad, m and v"):
        check("adam_step", answer, strict=True)


def test_adam_rejects_a_negative_step_number():
    def rejects_only_zero(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        if not np.shape(grad) == np.shape(m) == np.shape(v) == np.shape(w) or t == 0:
            raise ValueError("bad input")
        m, v = beta1 * m + (1 - beta1) * grad, beta2 * v + (1 - beta2) * grad ** 2
        return w - lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps), m, v

    with pytest.raises(ExerciseFailed, match=r"t = -1"):
        check("adam_step", rejects_only_zero, strict=True)


# ---------------------------------------------------------------- lesson 06
torch = pytest.importorskip("torch")


def test_a_returned_loss_tensor_is_rejected_with_or_without_its_graph():
    step_returns_tensor = next(m.answer for m in registry.get_exercise("torch_train_step").mistakes
                               if m.name == "returns the loss tensor")
    with pytest.raises(ExerciseFailed, match="still holds the graph"):
        check("torch_train_step", step_returns_tensor, strict=True)
    with pytest.raises(ExerciseFailed, match="returned a tensor"):
        check("torch_train_step", lambda *args: step_returns_tensor(*args).detach(), strict=True)


def test_accuracy_tries_an_empty_batch_and_wants_a_float():
    labels = [c.label for c in registry.get_exercise("torch_accuracy").cases()]
    assert any("no examples" in label for label in labels)
    _passes("torch_accuracy", lambda logits, labels: _float_accuracy(logits, labels))


def _float_accuracy(logits, labels):
    if logits.ndim != 2 or labels.shape != (len(logits),) or not len(labels):
        raise ValueError("shapes")
    return float((logits.argmax(1) == labels).sum()) / len(labels)


def catalogued(exercise: str, mistake: str):
    """The wrong answer catalogued as ``mistake`` beside ``exercise``."""
    return next(m.answer for m in registry.get_exercise(exercise).mistakes if m.name == mistake)


def test_evaluate_names_each_missing_switch():
    for wrong, reason in [(catalogued("torch_evaluate", "no eval()"), "training mode"),
                          (catalogued("torch_evaluate", "no no_grad()"), "gradient tracking"),
                          (catalogued("torch_evaluate", "mean of batch means"), "wrong value")]:
        with pytest.raises(ExerciseFailed, match=reason):
            check("torch_evaluate", wrong, strict=True)


def _digit_mlp_written_another_way(style):
    """Right answers to the DigitMLP exercise that drop the same activations in another way."""
    from torch import nn
    from torch.nn import functional

    class DigitMLP(nn.Module):
        def __init__(self, n_in, n_hidden1, n_hidden2, n_out, dropout=0.0):
            super().__init__()
            self.hidden1, self.hidden2 = nn.Linear(n_in, n_hidden1), nn.Linear(n_hidden1, n_hidden2)
            self.output = nn.Linear(n_hidden2, n_out)
            self.drop1, self.drop2, self.p = nn.Dropout(dropout), nn.Dropout(dropout), dropout

        def forward(self, x):
            x = x.flatten(start_dim=1)
            if style == "dropout before relu":          # ReLU(mask * z) == mask * ReLU(z): the same values
                x = self.drop2(self.hidden2(self.drop1(self.hidden1(x)).relu())).relu()
            elif style == "functional, following the mode":
                x = functional.dropout(self.hidden1(x).relu(), self.p, training=self.training)
                x = functional.dropout(self.hidden2(x).relu(), self.p, training=self.training)
            else:                                          # two modules instead of one
                x = self.drop2(self.hidden2(self.drop1(self.hidden1(x).relu())).relu())
            return self.output(x)

    return DigitMLP


@pytest.mark.parametrize("style", ["dropout before relu", "functional, following the mode", "two modules"])
def test_dropout_written_another_way_passes(style):
    _passes("torch_digit_mlp", _digit_mlp_written_another_way(style))


def test_dropout_mistakes_are_named_by_the_mode_they_break():
    for wrong, reason in [(catalogued("torch_digit_mlp", "functional dropout, always on"), "drops in eval mode too"),
                          (catalogued("torch_digit_mlp", "dropout on the logits"), "wrong in training mode"),
                          (catalogued("torch_digit_mlp", "p as keep probability"), "probability to DROP")]:
        with pytest.raises(ExerciseFailed, match=reason):
            check("torch_digit_mlp", wrong, strict=True)


# ---------------------------------------------------------------- lesson 00 (welcome)
def test_the_references_of_lesson_00():
    accuracy = registry.get_exercise("accuracy").reference
    mlp_param_count = registry.get_exercise("mlp_param_count").reference
    assert accuracy([1, 0, 1, 1], [1, 0, 0, 1]) == 0.75
    assert accuracy(np.array(["a", "b"]), np.array(["a", "a"])) == 0.5
    with pytest.raises(ValueError):
        accuracy(np.arange(3), np.arange(3).reshape(3, 1))
    with pytest.raises(ValueError):
        accuracy([], [])
    assert mlp_param_count([2, 1]) == 3 and mlp_param_count((784, 128, 64, 10)) == 109386
    for bad in ([5], [3, 0, 1], [2, 1.5]):
        with pytest.raises(ValueError):
            mlp_param_count(bad)


# ---------------------------------------------------------------- lesson 05 (Keras)
def test_the_prediction_test_model_has_biases_that_make_scaling_matter():
    pytest.importorskip("keras")
    from course_utils.exercises import keras_cnn  # the check's own test model, a private part of the check

    exercise = registry.get_exercise("predict_one_image")
    without_scaling = next(m.answer for m in exercise.mistakes if m.name == "no scaling")
    model = keras_cnn._predict_model()
    biases = [layer.get_weights()[1] for layer in model.layers if layer.weights]
    assert len(biases) == 3 and all(np.abs(b).min() > 0 for b in biases)
    cases = [c for c in exercise.cases() if c.raises is None]
    right = [exercise.reference(model, *c.args) for c in cases]
    unscaled = [without_scaling(model, *c.args) for c in cases]
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


# ---------------------------------------------------------------- lessons 00-01
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
