"""Exercises of lesson 03 (backpropagation)."""
import numpy as np

from .. import mlp, neurons
from ..checks import Case, Exercise, Mistake
from ..data import logic_gate, make_moons


def _derivative_cases():
    return [
        Case((0.0,), label="zero"),
        Case((np.array([-3.0, -0.5, 0.5, 3.0]),), label="a small array"),
        Case((np.linspace(-4, 4, 6).reshape(2, 3),), label="a 2-D array keeps its shape"),
        Case((np.array([-1000.0, 1000.0]),), label="very large |z|"),
        Case((np.array([np.nan, 1.0]),), label="NaN passes through as NaN"),
    ]


def _dense_backward_cases():
    rng = np.random.default_rng(7)
    return [
        Case((rng.normal(size=(5, 3)), rng.normal(size=(4, 3)), rng.normal(size=(5, 4))), label="batch 5, 3 in, 4 out"),
        Case((rng.normal(size=(1, 2)), rng.normal(size=(3, 2)), rng.normal(size=(1, 3))), label="a batch of one"),
        Case((1e3 * rng.normal(size=(3, 2)), 1e3 * rng.normal(size=(2, 2)), rng.normal(size=(3, 2))),
             label="large values"),
        Case((rng.normal(size=(5, 3)), rng.normal(size=(4, 3)), rng.normal(size=(5, 2))),
             label="dZ has 2 columns but the layer has 4 neurons"),
    ]


def _softmax_ce_grad_reference(Z, y):
    return mlp.output_loss_and_delta(np.asarray(Z, dtype=float), y, "softmax")[1]


def _softmax_ce_grad_cases():
    rng = np.random.default_rng(8)
    return [
        Case((np.array([[2.0, 1.0, 0.1], [0.5, 0.5, 3.0]]), np.array([0, 2])), label="two examples"),
        Case((rng.normal(size=(6, 4)), rng.integers(0, 4, 6)), label="six examples, four classes"),
        Case((np.array([[1000.0, -1000.0, 0.0]]), np.array([1])), label="a batch of one with very large logits"),
        Case((rng.normal(size=(4, 3)), np.array([0, 1, 2])), label="3 labels for 4 examples"),
    ]


def _mlp_backward_reference(X, y, W1, b1, W2, b2):
    params = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
    _, grads = mlp.loss_and_grads(params, X, y, hidden="tanh", output="sigmoid")
    return grads["W1"], grads["b1"], grads["W2"], grads["b2"]


def _mlp_backward_cases():
    rng = np.random.default_rng(9)
    X_xor, y_xor = logic_gate("XOR")
    def net(n_in, n_hidden, scale=1.0):
        return (scale * rng.normal(size=(n_hidden, n_in)), rng.normal(size=n_hidden),
                rng.normal(size=(1, n_hidden)), rng.normal(size=1))
    return [
        Case((X_xor, y_xor, *net(2, 3)), label="XOR, 2 -> 3 -> 1"),
        Case((rng.normal(size=(7, 4)), rng.integers(0, 2, 7), *net(4, 5)), label="7 examples, 4 -> 5 -> 1"),
        Case((rng.normal(size=(1, 2)), np.array([1]), *net(2, 4)), label="a batch of one"),
        Case((10 * rng.normal(size=(5, 3)), rng.integers(0, 2, 5), *net(3, 4, scale=10.0)),
             label="large inputs (saturated hidden units)"),
        Case((rng.normal(size=(5, 3)), rng.integers(0, 2, 5), *net(2, 4)), label="X has 3 features but W1 expects 2"),
    ]


PARAM_NAMES = ("W1", "b1", "W2", "b2")


def _train_mlp_reference(X, y, params, lr, epochs, ascend=False, in_place=False, loss_after=False, biases=True):
    """Full-batch gradient descent on the tanh -> sigmoid MLP; the flags build the catalogued mistakes."""
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr}")
    params = params if in_place else {k: np.array(v, dtype=float) for k, v in params.items()}
    losses = []
    for _ in range(epochs):
        if not loss_after:
            losses.append(mlp.binary_cross_entropy(y, mlp.forward(params, X)[0]))
        grads = _mlp_backward_reference(X, y, *(params[k] for k in PARAM_NAMES))
        for name, g in zip(PARAM_NAMES, grads):
            if biases or name.startswith("W"):
                params[name] -= (-lr if ascend else lr) * g
        if loss_after:
            losses.append(mlp.binary_cross_entropy(y, mlp.forward(params, X)[0]))
    return params, np.array(losses)


def _run_training(answer, case):
    """Train, and also report whether the caller's params were left untouched."""
    X, y, params, lr, epochs = case.args
    before = {k: np.array(v, copy=True) for k, v in params.items()}
    new_params, losses = answer(X, y, params, lr, epochs)
    untouched = all(np.array_equal(before[k], params[k]) for k in before)
    return (*(np.asarray(new_params[k]) for k in PARAM_NAMES), np.asarray(losses, dtype=float), float(untouched))


def _train_mlp_cases():
    X_xor, y_xor = logic_gate("XOR")
    X_moons, y_moons = make_moons(40, noise=0.2, seed=3)
    return [
        Case((X_xor, y_xor, mlp.init_params([2, 3, 1], seed=0), 1.0, 20), label="XOR, 2 -> 3 -> 1, 20 steps"),
        Case((X_moons, y_moons, mlp.init_params([2, 5, 1], seed=1), 0.5, 10), label="40 moons, 2 -> 5 -> 1"),
        Case((X_xor, y_xor, mlp.init_params([2, 2, 1], seed=2), 0.1, 0), label="zero steps"),
        Case((X_xor, y_xor, mlp.init_params([2, 2, 1], seed=2), 0.0, 5), label="lr = 0", raises=ValueError),
    ]


EXERCISES = {
    "sigmoid_derivative": Exercise(
        reference=neurons.sigmoid_derivative,
        cases=_derivative_cases,
        hint="s = sigmoid(z) (the stable one), then s * (1 - s). Computing exp(-z) yourself overflows for z = -1000.",
    ),
    "dense_backward": Exercise(
        reference=mlp.dense_backward,
        cases=_dense_backward_cases,
        hint="Return (dZ @ W, dZ.T @ X, dZ.sum(axis=0)). Check the shapes first: dZ must be (n, n_out) with n = "
        "len(X) and n_out = len(W), and X must have W.shape[1] columns; raise ValueError otherwise.",
    ),
    "softmax_ce_grad": Exercise(
        reference=_softmax_ce_grad_reference,
        cases=_softmax_ce_grad_cases,
        hint="The gradient of the mean cross-entropy is (softmax(Z) - one_hot(y)) / n, with a stable softmax. "
        "np.eye(k)[y] is a one-hot matrix; subtracting shapes that do not fit raises the ValueError for you.",
    ),
    "mlp_backward": Exercise(
        reference=_mlp_backward_reference,
        cases=_mlp_backward_cases,
        hint="Forward: Z1 = X @ W1.T + b1, H = tanh(Z1), Z2 = H @ W2.T + b2. Backward: dZ2 = (sigmoid(Z2) - y[:, None]) "
        "/ n; dW2 = dZ2.T @ H; db2 = dZ2.sum(0); dH = dZ2 @ W2; dZ1 = dH * (1 - H**2); dW1 = dZ1.T @ X; db1 = dZ1.sum(0).",
    ),
    "train_mlp": Exercise(
        reference=_train_mlp_reference,
        cases=_train_mlp_cases,
        run=_run_training,
        hint="Copy the params first ({k: v.copy() ...}). Then, epochs times: record the loss of the current params, "
        "get the four gradients from mlp_backward, and set each param to param - lr * grad (weights AND biases). "
        "Raise ValueError if lr <= 0.",
        mistakes=(
            Mistake("gradient ascent", lambda *a: _train_mlp_reference(*a, ascend=True),
                    "The update adds the gradient: w + lr * grad climbs uphill; step against it, w - lr * grad."),
            Mistake("changes the caller's params", lambda *a: _train_mlp_reference(*a, in_place=True),
                    "Your loop updates the arrays it was given (params[k] -= ...): copy them first."),
            Mistake("loss recorded after the step", lambda *a: _train_mlp_reference(*a, loss_after=True),
                    "losses[i] must be the loss before update i: record it before you change the weights."),
            Mistake("biases never updated", lambda *a: _train_mlp_reference(*a, biases=False),
                    "Only the weights move: the biases b1 and b2 need their gradient step too."),
        ),
    ),
}

