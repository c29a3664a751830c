"""A from-scratch multilayer perceptron in numpy: init, forward, losses, backprop, gradient descent.

Conventions (same as lesson 01 and torch): W_k has shape (n_out, n_in), one neuron per row;
b_k has shape (n_out,); a batch X has one example per row; layer k computes
Z_k = A_{k-1} @ W_k.T + b_k and A_k = g(Z_k). Parameters live in a dict
{"W1", "b1", "W2", "b2", ...} of float64 arrays.
"""
from __future__ import annotations

import numpy as np

from . import neurons
from .neurons import ACTIVATIONS, DERIVATIVES   # neurons.sigmoid looked up at each call: no second name for
# the course's sigmoid here, which lesson 01a's check would not watch (round 19)

HIDDEN = ("sigmoid", "tanh", "relu")
OUTPUTS = ("sigmoid", "softmax", "linear")
INITS = ("xavier", "he", "normal")


# ---------------------------------------------------------------- stable building blocks
def logsumexp(z, axis=-1):
    """log(sum(exp(z))) along ``axis`` without overflow (shift by the maximum first)."""
    z = np.asarray(z, dtype=float)
    m = np.max(z, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    return np.squeeze(m, axis=axis) + np.log(np.sum(np.exp(z - m), axis=axis))


def softmax(z, axis=-1):
    """Softmax along ``axis``; subtracting the maximum keeps it finite for any finite logits."""
    z = np.asarray(z, dtype=float)
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _check_same_length(y, p):
    if y.shape[0] != p.shape[0]:
        raise ValueError(f"y has {y.shape[0]} examples but the predictions have {p.shape[0]}")


def binary_cross_entropy(y, p, from_logits=False):
    """Mean binary cross-entropy -[y log p + (1-y) log(1-p)].

    y: 0/1 labels, p: probabilities (or logits if ``from_logits``), same shape after
    flattening a trailing axis of size 1. From logits it uses the stable form
    max(z, 0) - y z + log(1 + e^-|z|), finite for any z.
    """
    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    y = y.reshape(-1) if y.ndim == 2 and y.shape[1] == 1 else y
    p = p.reshape(-1) if p.ndim == 2 and p.shape[1] == 1 else p
    if y.shape != p.shape:
        raise ValueError(f"y and p must have the same shape, got {y.shape} and {p.shape}")
    if y.size == 0:
        raise ValueError("binary_cross_entropy needs at least one example")
    if from_logits:
        z = p
        return float(np.mean(np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z)))))
    if np.any((p < 0) | (p > 1)):
        raise ValueError("probabilities must lie in [0, 1]; pass from_logits=True for raw scores")
    eps = 1e-12  # log(0) would be -inf: clip probabilities that rounded to exactly 0 or 1
    p = np.clip(p, eps, 1 - eps)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def categorical_cross_entropy(y, p, from_logits=False):
    """Mean categorical cross-entropy -log p[y] for integer labels y (n,) and p (n, k).

    From logits it computes logsumexp(z) - z[y], finite for any finite z.
    """
    y, p = np.asarray(y), np.asarray(p, dtype=float)
    if p.ndim != 2:
        raise ValueError(f"p must have shape (n, k), got {p.shape}")
    y = _as_labels(y, p.shape[1])
    _check_same_length(y, p)
    rows = np.arange(len(y))
    if from_logits:
        return float(np.mean(logsumexp(p, axis=1) - p[rows, y]))
    return float(-np.mean(np.log(np.clip(p[rows, y], 1e-12, 1.0))))


def mse(y, yhat):
    """Mean squared error: mean over all entries of (yhat - y)^2."""
    y, yhat = np.asarray(y, dtype=float), np.asarray(yhat, dtype=float)
    y = y.reshape(-1, 1) if y.ndim == 1 else y
    yhat = yhat.reshape(-1, 1) if yhat.ndim == 1 else yhat
    if y.shape != yhat.shape:
        raise ValueError(f"y and yhat must have the same shape, got {y.shape} and {yhat.shape}")
    return float(np.mean((yhat - y) ** 2))


def one_hot(y, k):
    """Integer labels (n,) -> one-hot matrix (n, k)."""
    y = _as_labels(y, k)
    out = np.zeros((len(y), k))
    out[np.arange(len(y)), y] = 1.0
    return out


def _as_labels(y, k):
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"integer labels must have shape (n,), got {y.shape}")
    if y.size and (not np.all(np.isfinite(y.astype(float))) or np.any(y != np.round(y))):
        raise ValueError("labels must be whole numbers 0 .. k-1")
    y = y.astype(int)
    if y.size and (y.min() < 0 or y.max() >= k):
        raise ValueError(f"labels must lie in 0 .. {k - 1}, got values from {y.min()} to {y.max()}")
    return y


# ---------------------------------------------------------------- parameters
def init_params(layer_sizes, seed=0, init="xavier"):
    """Random weights and zero biases for a network with the given layer sizes.

    layer_sizes: e.g. [2, 8, 1] = 2 inputs, one hidden layer of 8, 1 output.
    init: "xavier" (std sqrt(2 / (n_in + n_out)), for tanh; too small for sigmoid, lesson 03b §5), "he" (std sqrt(2 / n_in),
    for ReLU) or "normal" (std 1, the naive choice).
    """
    sizes = list(layer_sizes)
    if len(sizes) < 2 or any(not isinstance(s, (int, np.integer)) or isinstance(s, bool) or s < 1 for s in sizes):
        raise ValueError(f"layer_sizes must be at least two positive integers, got {layer_sizes!r}")
    if init not in INITS:
        raise ValueError(f"unknown init {init!r}; choose one of {INITS}")
    rng = np.random.default_rng(seed)
    params = {}
    for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        std = {"xavier": np.sqrt(2.0 / (n_in + n_out)), "he": np.sqrt(2.0 / n_in), "normal": 1.0}[init]
        params[f"W{k}"] = rng.normal(0.0, std, size=(n_out, n_in))
        params[f"b{k}"] = np.zeros(n_out)
    return params


def n_layers(params):
    """Number of layers (W/b pairs) in ``params``; checks that the shapes chain."""
    if not isinstance(params, dict):
        raise TypeError(f"params must be a dict like {{'W1': ..., 'b1': ...}}, got {type(params).__name__}")
    L = sum(1 for key in params if key.startswith("W"))
    expected = {f"{p}{k}" for k in range(1, L + 1) for p in "Wb"}
    if L == 0 or set(params) != expected:
        raise ValueError(f"params must have keys W1, b1, ..., WL, bL; got {sorted(params)}")
    for k in range(1, L + 1):
        W, b = np.asarray(params[f"W{k}"]), np.asarray(params[f"b{k}"])
        if W.ndim != 2 or b.shape != (W.shape[0],):
            raise ValueError(f"W{k} must be (n_out, n_in) and b{k} (n_out,); got {W.shape} and {b.shape}")
        if k > 1 and W.shape[1] != params[f"W{k - 1}"].shape[0]:
            raise ValueError(f"W{k} expects {W.shape[1]} inputs but layer {k - 1} has {params[f'W{k - 1}'].shape[0]} outputs")
    return L


def _check_X(params, X):
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise ValueError(f"X must have shape (n_examples, n_features), got {X.shape}")
    if X.shape[1] != params["W1"].shape[1]:
        raise ValueError(f"X has {X.shape[1]} features but W1 expects {params['W1'].shape[1]}")
    if not np.all(np.isfinite(X)):
        raise ValueError("X contains NaN or infinite values")
    return X


def _check_names(hidden, output):
    if hidden not in HIDDEN:
        raise ValueError(f"unknown hidden activation {hidden!r}; choose one of {HIDDEN}")
    if output not in OUTPUTS:
        raise ValueError(f"unknown output {output!r}; choose one of {OUTPUTS}")


# ---------------------------------------------------------------- forward and backward
def forward(params, X, hidden="tanh", output="sigmoid"):
    """Forward pass. Returns (out, cache).

    out: (n, n_out) probabilities (sigmoid/softmax) or values (linear).
    cache: {"A0": X, "Z1": ..., "A1": ..., ..., "ZL": logits, "AL": out}, used by backward().
    """
    _check_names(hidden, output)
    L = n_layers(params)
    A = _check_X(params, X)
    cache = {"A0": A}
    g = ACTIVATIONS[hidden]
    for k in range(1, L + 1):
        Z = A @ params[f"W{k}"].T + params[f"b{k}"]
        if k < L:
            A = g(Z)
        else:
            A = {"sigmoid": neurons.sigmoid, "softmax": softmax, "linear": lambda z: z}[output](Z)
        cache[f"Z{k}"], cache[f"A{k}"] = Z, A
    return A, cache


def _targets(y, n, n_out, output):
    """Check labels and return what the output's gradient needs (same shape as the logits)."""
    y = np.asarray(y)
    if y.shape[:1] != (n,):
        raise ValueError(f"y must have {n} entries (one per example), got shape {y.shape}")
    if output == "softmax":
        if n_out < 2:
            raise ValueError("a softmax output needs at least 2 units")
        return one_hot(y, n_out)
    y = y.astype(float)
    if not np.all(np.isfinite(y)):
        raise ValueError("y contains NaN or infinite values")
    if y.ndim == 1:
        y = y[:, None]
    if y.shape != (n, n_out):
        raise ValueError(f"y must have shape ({n},) or ({n}, {n_out}) for {n_out} output unit(s), got {y.shape}")
    if output == "sigmoid" and np.any((y != 0) & (y != 1)):
        raise ValueError("a sigmoid output needs 0/1 labels")
    return y


def output_loss_and_delta(Z, y, output="sigmoid"):
    """Loss from the logits Z (n, n_out) and dLoss/dZ, for the three output types."""
    n, n_out = Z.shape
    T = _targets(y, n, n_out, output)
    if output == "sigmoid":  # mean BCE over all entries; dL/dZ = (sigmoid(Z) - y) / size
        loss = binary_cross_entropy(T.ravel(), Z.ravel(), from_logits=True)
        return loss, (neurons.sigmoid(Z) - T) / T.size
    if output == "softmax":  # mean CE over examples; dL/dZ = (softmax(Z) - onehot) / n
        loss = float(np.mean(logsumexp(Z, axis=1) - np.sum(T * Z, axis=1)))
        return loss, (softmax(Z) - T) / n
    return mse(T, Z), 2.0 * (Z - T) / T.size  # linear: MSE


def dense_backward(A_prev, W, dZ):
    """Backward pass of one dense layer Z = A_prev @ W.T + b. Returns (dA_prev, dW, db).

    A_prev: (n, n_in), W: (n_out, n_in), dZ = dLoss/dZ: (n, n_out).
    dA_prev = dZ @ W (each input feeds every neuron: the sum over neurons j is the matrix product),
    dW = dZ.T @ A_prev (sums over the batch), db = dZ summed over the batch.
    """
    A_prev, W, dZ = (np.asarray(a, dtype=float) for a in (A_prev, W, dZ))
    if A_prev.ndim != 2 or W.ndim != 2 or dZ.ndim != 2:
        raise ValueError(f"expected 2-D arrays, got shapes {A_prev.shape}, {W.shape}, {dZ.shape}")
    if A_prev.shape[1] != W.shape[1] or dZ.shape != (A_prev.shape[0], W.shape[0]):
        raise ValueError(f"shapes do not fit: A_prev {A_prev.shape}, W {W.shape} (n_out, n_in), "
                         f"dZ {dZ.shape} (expected {(A_prev.shape[0], W.shape[0])})")
    return dZ @ W, dZ.T @ A_prev, dZ.sum(axis=0)


def backward(params, cache, dZ, hidden="tanh"):
    """Backpropagate dLoss/dZ_L through the layers. Returns (grads, dA).

    grads has the keys and shapes of params; dA[k] = dLoss/dA_k for k = 0 .. L-1.
    Per layer: dW_k = dZ_k^T A_{k-1}, db_k = sum over the batch of dZ_k,
    dA_{k-1} = dZ_k W_k, dZ_{k-1} = dA_{k-1} * g'(Z_{k-1}).
    """
    L = n_layers(params)
    gprime = DERIVATIVES[hidden]
    grads, dA = {}, {}
    for k in range(L, 0, -1):
        dA[k - 1], grads[f"W{k}"], grads[f"b{k}"] = dense_backward(cache[f"A{k - 1}"], params[f"W{k}"], dZ)
        if k > 1:
            dZ = dA[k - 1] * gprime(cache[f"Z{k - 1}"])
    return {key: grads[key] for key in params}, dA


def loss_and_grads(params, X, y, hidden="tanh", output="sigmoid"):
    """Mean loss and its gradient with respect to every parameter.

    sigmoid: binary cross-entropy, y (n,) or (n, 1) of 0/1. softmax: categorical
    cross-entropy, integer y (n,). linear: mean squared error. Losses come from the logits.
    """
    _, cache = forward(params, X, hidden, output)
    L = n_layers(params)
    loss, dZ = output_loss_and_delta(cache[f"Z{L}"], y, output)
    grads, _ = backward(params, cache, dZ, hidden)
    return loss, grads


def predict(params, X, hidden="tanh", output="sigmoid"):
    """Class labels (n,): threshold 0.5 for one output unit (sigmoid or linear), else argmax."""
    out, _ = forward(params, X, hidden, output)
    if out.shape[1] == 1:
        return (out[:, 0] > 0.5).astype(int)
    return np.argmax(out, axis=1)


def accuracy(params, X, y, hidden="tanh", output="sigmoid"):
    """Fraction of examples whose predicted class equals y."""
    y = np.asarray(y).reshape(-1)
    pred = predict(params, X, hidden, output)
    _check_same_length(y, pred)
    return float(np.mean(pred == y))


def train_gd(params, X, y, lr, epochs, hidden="tanh", output="sigmoid"):
    """Plain full-batch gradient descent. Returns (new params, losses) and leaves ``params`` unchanged.

    losses[i] is the loss before update i (length ``epochs``).
    """
    if not np.isscalar(lr) or not np.isfinite(lr) or lr <= 0:
        raise ValueError(f"lr must be a positive finite number, got {lr!r}")
    if not isinstance(epochs, (int, np.integer)) or isinstance(epochs, bool) or epochs < 0:
        raise ValueError(f"epochs must be a non-negative integer, got {epochs!r}")
    n_layers(params)
    params = {key: np.array(value, dtype=float) for key, value in params.items()}
    losses = np.empty(epochs)
    for i in range(epochs):
        losses[i], grads = loss_and_grads(params, X, y, hidden, output)
        for key in params:
            params[key] -= lr * grads[key]
    return params, losses
