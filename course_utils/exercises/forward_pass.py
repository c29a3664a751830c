"""Exercises of lesson 02 (forward pass)."""
import numpy as np

from .. import mlp
from ..checks import Case, Exercise


def _softmax_cases():
    rng = np.random.default_rng(3)
    return [
        Case((np.array([1.0, 2.0, 3.0]),), label="one vector of logits"),
        Case((rng.normal(size=(4, 3)),), label="a batch of 4 examples, 3 classes"),
        Case((np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1001.0, -1002.0]]),), label="very large logits"),
        Case((rng.normal(size=(1, 5)),), label="a batch of one"),
        Case((np.array([[np.nan, 1.0, 2.0], [0.0, 1.0, 2.0]]),), label="NaN in the first row"),
    ]


def _mlp_forward_reference(X, W1, b1, W2, b2):
    out, _ = mlp.forward({"W1": W1, "b1": b1, "W2": W2, "b2": b2}, X, hidden="tanh", output="sigmoid")
    return out


def _mlp_forward_cases():
    rng = np.random.default_rng(4)
    def net(n_in, n_hidden, n_out, scale=1.0):
        return (scale * rng.normal(size=(n_hidden, n_in)), rng.normal(size=n_hidden),
                scale * rng.normal(size=(n_out, n_hidden)), rng.normal(size=n_out))
    return [
        Case((rng.normal(size=(5, 3)), *net(3, 4, 1)), label="5 examples, 3 -> 4 -> 1"),
        Case((rng.normal(size=(1, 2)), *net(2, 6, 3)), label="a batch of one, 2 -> 6 -> 3"),
        Case((100 * rng.normal(size=(4, 2)), *net(2, 3, 1, scale=100.0)), label="very large inputs and weights"),
        Case((rng.normal(size=(4, 3)), *net(2, 3, 1)), label="X has 3 features but W1 expects 2", raises=ValueError),
    ]


def _bce_reference(y, z):
    return mlp.binary_cross_entropy(y, z, from_logits=True)


def _bce_cases():
    rng = np.random.default_rng(5)
    return [
        Case((np.array([0.0, 1.0, 1.0, 0.0]), np.array([-2.0, 0.5, 3.0, 0.1])), label="four examples"),
        Case((rng.integers(0, 2, 10).astype(float), rng.normal(size=10)), label="ten random examples"),
        Case((np.array([1.0, 0.0, 1.0, 0.0]), np.array([-1000.0, 1000.0, 1000.0, -1000.0])),
             label="very large logits (two very wrong, two very right)"),
        Case((np.array([1.0]), np.array([0.3])), label="a batch of one"),
        Case((np.array([1.0, 0.0]), np.array([0.5, 0.2, 0.1])), label="y and z of different lengths", raises=ValueError),
    ]


def _cce_reference(y, Z):
    return mlp.categorical_cross_entropy(y, Z, from_logits=True)


def _cce_cases():
    rng = np.random.default_rng(6)
    return [
        Case((np.array([0, 2, 1]), np.array([[2.0, 1.0, 0.1], [0.5, 0.5, 3.0], [1.0, 1.0, 1.0]])), label="three examples"),
        Case((rng.integers(0, 4, 8), rng.normal(size=(8, 4))), label="eight examples, four classes"),
        Case((np.array([0, 1]), np.array([[1000.0, -1000.0], [1000.0, -1000.0]])),
             label="very large logits (one right, one very wrong)"),
        Case((np.array([1]), np.array([[0.2, 0.3, -0.1]])), label="a batch of one"),
        Case((np.array([0, 1, 1]), rng.normal(size=(4, 3))), label="3 labels for 4 examples", raises=ValueError),
    ]


EXERCISES = {
    "softmax_stable": Exercise(
        reference=mlp.softmax,
        cases=_softmax_cases,
        hint="Subtract each row's maximum first: e = np.exp(z - z.max(axis=-1, keepdims=True)), then divide by "
        "e.sum(axis=-1, keepdims=True). keepdims=True keeps the shapes broadcastable.",
    ),
    "mlp_forward": Exercise(
        reference=_mlp_forward_reference,
        cases=_mlp_forward_cases,
        hint="Two layers, each X @ W.T + b: H = np.tanh(X @ W1.T + b1), then sigmoid(H @ W2.T + b2). "
        "numpy's @ raises the ValueError for mismatched shapes by itself.",
    ),
    "bce_from_logits": Exercise(
        reference=_bce_reference,
        cases=_bce_cases,
        hint="-[y log s(z) + (1-y) log(1-s(z))] simplifies to max(z, 0) - y*z + log(1 + exp(-|z|)); use np.log1p "
        "and take the mean. Check that y and z have the same shape and raise ValueError if not.",
    ),
    "cce_from_logits": Exercise(
        reference=_cce_reference,
        cases=_cce_cases,
        hint="-log softmax(Z)[y] = logsumexp(Z) - Z[y]. Compute logsumexp stably: m = Z.max(axis=1), "
        "m + log(sum(exp(Z - m[:, None]), axis=1)); pick Z[np.arange(n), y]; raise ValueError if len(y) != len(Z).",
    ),
}
