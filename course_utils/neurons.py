"""Reference numpy implementations for lesson 01: activations, a neuron, a layer."""
from __future__ import annotations

import numpy as np


def sigmoid(z):
    """Logistic function 1 / (1 + e^-z), finite for any real z (no overflow)."""
    z = np.asarray(z, dtype=float)
    # e^-|z| is at most 1, so nothing overflows; pick the algebraically equal form by sign.
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_derivative(z):
    """d sigmoid / dz = sigmoid(z) * (1 - sigmoid(z))."""
    s = sigmoid(z)
    return s * (1.0 - s)


def tanh(z):
    """Hyperbolic tangent, a zero-centred sigmoid: tanh(z) = 2 sigmoid(2z) - 1."""
    return np.tanh(np.asarray(z, dtype=float))


def tanh_derivative(z):
    """d tanh / dz = 1 - tanh(z)^2."""
    return 1.0 - np.tanh(np.asarray(z, dtype=float)) ** 2


def relu(z):
    """Rectified linear unit max(0, z)."""
    return np.maximum(0.0, np.asarray(z, dtype=float))


def relu_derivative(z):
    """d relu / dz: 1 where z > 0, else 0 (we take 0 at z = 0, as the frameworks do)."""
    return (np.asarray(z, dtype=float) > 0).astype(float)


def identity(z):
    """The 'linear' activation: output = input."""
    return np.asarray(z, dtype=float)


ACTIVATIONS = {"sigmoid": sigmoid, "tanh": tanh, "relu": relu, "linear": identity}
DERIVATIVES = {
    "sigmoid": sigmoid_derivative,
    "tanh": tanh_derivative,
    "relu": relu_derivative,
    "linear": np.ones_like,
}


def get_activation(name: str):
    """Look up an activation function by name ('sigmoid', 'tanh', 'relu', 'linear')."""
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {sorted(ACTIVATIONS)}")
    return ACTIVATIONS[name]


def neuron(x, w, b, activation=sigmoid):
    """One neuron: y = f(w . x + b) for one input vector x."""
    x, w = np.asarray(x, dtype=float), np.asarray(w, dtype=float)
    if x.ndim != 1 or w.shape != x.shape:
        raise ValueError(f"x and w must be vectors of the same length, got shapes {x.shape} and {w.shape}")
    return activation(np.dot(w, x) + b)


def dense_layer(X, W, b, activation=sigmoid):
    """A layer of neurons on a batch: f(X W^T + b).

    X: (batch, n_in), one example per row. W: (n_out, n_in), one neuron per row.
    b: (n_out,). Returns (batch, n_out).
    """
    X, W, b = (np.asarray(a, dtype=float) for a in (X, W, b))
    if X.ndim != 2 or W.ndim != 2 or b.shape != (W.shape[0],):
        raise ValueError(f"expected X (batch, n_in), W (n_out, n_in), b (n_out,); got {X.shape}, {W.shape}, {b.shape}")
    if X.shape[1] != W.shape[1]:
        raise ValueError(f"X has {X.shape[1]} features per example but W expects {W.shape[1]}")
    return activation(X @ W.T + b)
