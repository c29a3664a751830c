"""Tests for course_utils.neurons: activations, their derivatives, a neuron and a dense layer."""
from __future__ import annotations

import contextlib
import warnings

import numpy as np
import pytest

from course_utils import neurons
from course_utils.neurons import ACTIVATIONS, DERIVATIVES, dense_layer, get_activation, neuron, sigmoid

NAMES = sorted(ACTIVATIONS)


@contextlib.contextmanager
def no_float_trouble():
    """Any warning is an error, and so is overflow, division by zero or an invalid operation.

    Underflow stays allowed: e^-1000 rounding to 0 is the exact float answer, not a problem.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            yield


def test_the_activation_tables_agree():
    assert set(ACTIVATIONS) == set(DERIVATIVES) == {"sigmoid", "tanh", "relu", "linear"}


@pytest.mark.parametrize("name", NAMES)
def test_derivatives_match_finite_differences(name):
    f, df = ACTIVATIONS[name], DERIVATIVES[name]
    z, h = np.linspace(-6, 6, 121), 1e-5
    z = z[np.abs(z) > 1e-3]          # ReLU has no derivative at its kink
    numeric = (f(z + h) - f(z - h)) / (2 * h)
    np.testing.assert_allclose(df(z), numeric, atol=1e-7)


@pytest.mark.parametrize("name, z, expected", [
    ("sigmoid", [-np.log(3), 0.0, np.log(3)], [0.25, 0.5, 0.75]),
    ("tanh", [0.0, np.log(2)], [0.0, 0.6]),
    ("relu", [-2.0, 0.0, 3.0], [0.0, 0.0, 3.0]),
    ("linear", [-2.0, 0.0, 3.0], [-2.0, 0.0, 3.0]),
])
def test_activation_values(name, z, expected):
    np.testing.assert_allclose(get_activation(name)(np.array(z)), expected, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_activations_keep_shape_and_give_floats(name):
    z = np.arange(-3, 3).reshape(2, 3)   # ints in, floats out
    out = ACTIVATIONS[name](z)
    assert out.shape == (2, 3) and out.dtype == np.float64
    assert DERIVATIVES[name](z.astype(float)).shape == (2, 3)


def test_relu_derivative_is_zero_at_the_kink():
    np.testing.assert_array_equal(neurons.relu_derivative([-1.0, 0.0, 1e-9]), [0.0, 0.0, 1.0])


def test_sigmoid_is_exact_at_large_inputs_without_warnings():
    z = np.array([-1000.0, -745.0, -40.0, 40.0, 745.0, 1000.0])
    with no_float_trouble():
        s, ds = sigmoid(z), neurons.sigmoid_derivative(z)
        scalar = sigmoid(-1000.0), sigmoid(1000.0)
    assert np.isfinite(s).all() and np.isfinite(ds).all()
    assert s[0] == 0.0 and s[-1] == 1.0 and scalar == (0.0, 1.0)
    assert s[1] > 0 and s[2] > 0      # tiny, yet not rounded to 0 (the stable form keeps them)
    np.testing.assert_allclose(s[:3] + s[:2:-1], 1.0)   # sigmoid(-z) = 1 - sigmoid(z)
    assert ds[0] == ds[-1] == 0.0


def test_sigmoid_passes_nan_through():
    out = sigmoid(np.array([np.nan, 0.0]))
    assert np.isnan(out[0]) and out[1] == 0.5


# ---------------------------------------------------------------- a neuron and a layer

def test_neuron_value():
    x, w, b = np.array([1.0, 2.0]), np.array([0.5, -0.25]), 0.1
    assert neuron(x, w, b) == pytest.approx(1 / (1 + np.exp(-0.1)))
    assert neuron([1.0, 2.0], [3.0, -1.0], -2.0, activation=neurons.relu) == 0.0
    assert np.ndim(neuron(x, w, b)) == 0


@pytest.mark.parametrize("x, w", [
    (np.ones(3), np.ones(2)),
    (np.ones((1, 3)), np.ones(3)),
    (np.ones(3), np.ones((3, 1))),
    (1.0, 1.0),
], ids=["lengths differ", "x is 2-D", "w is 2-D", "scalars"])
def test_neuron_rejects_bad_shapes(x, w):
    with pytest.raises(ValueError, match="x and w must be vectors of the same length"):
        neuron(x, w, 0.0)


def test_dense_layer_shape_and_values():
    rng = np.random.default_rng(0)
    X, W, b = rng.normal(size=(4, 3)), rng.normal(size=(2, 3)), rng.normal(size=2)
    out = dense_layer(X, W, b)
    assert out.shape == (4, 2)
    expected = [[neuron(x, w, bj) for w, bj in zip(W, b)] for x in X]   # one neuron at a time
    np.testing.assert_allclose(out, expected)
    np.testing.assert_allclose(dense_layer(X, W, b, activation=neurons.identity), X @ W.T + b)


@pytest.mark.parametrize("X, W, b, message", [
    (np.ones(3), np.ones((2, 3)), np.ones(2), "expected X"),
    (np.ones((4, 3)), np.ones(3), np.ones(2), "expected X"),
    (np.ones((4, 3)), np.ones((2, 3)), np.ones(3), "expected X"),
    (np.ones((4, 3)), np.ones((2, 3)), np.ones((1, 2)), "expected X"),
    (np.ones((4, 5)), np.ones((2, 3)), np.ones(2), "X has 5 features per example but W expects 3"),
], ids=["X 1-D", "W 1-D", "b wrong length", "b 2-D", "features differ"])
def test_dense_layer_rejects_bad_shapes(X, W, b, message):
    with pytest.raises(ValueError, match=message):
        dense_layer(X, W, b)


@pytest.mark.parametrize("name", NAMES)
def test_get_activation_by_name(name):
    assert get_activation(name) is ACTIVATIONS[name]


@pytest.mark.parametrize("name", ["softmax", "Sigmoid", "", None, sigmoid])
def test_get_activation_rejects_unknown_names(name):
    choices = r"choose one of \['linear', 'relu', 'sigmoid', 'tanh'\]"
    with pytest.raises(ValueError, match=rf"unknown activation .*{choices}"):
        get_activation(name)
