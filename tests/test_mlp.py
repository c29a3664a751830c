"""Tests of course_utils.mlp: shapes, bad input, gradients vs finite differences, stability, training."""
import numpy as np
import pytest

from course_utils import mlp
from course_utils.data import logic_gate, make_moons
from course_utils.gradcheck import check_gradients

HIDDEN = ["sigmoid", "tanh", "relu"]
OUTPUTS = ["sigmoid", "softmax", "linear"]


def _targets(output, n, rng, k=3):
    return {"sigmoid": rng.integers(0, 2, n), "softmax": rng.integers(0, k, n), "linear": rng.normal(size=(n, k))}[output]


@pytest.mark.parametrize("init", ["xavier", "he", "normal"])
def test_init_params_shapes_dtype_and_scale(init):
    params = mlp.init_params([4, 300, 200, 2], seed=3, init=init)
    assert list(params) == ["W1", "b1", "W2", "b2", "W3", "b3"]
    assert params["W1"].shape == (300, 4) and params["b1"].shape == (300,) and params["W3"].shape == (2, 200)
    assert all(v.dtype == np.float64 for v in params.values()) and not params["b2"].any()
    expected = {"xavier": np.sqrt(2 / 500), "he": np.sqrt(2 / 300), "normal": 1.0}[init]
    assert abs(params["W2"].std() / expected - 1) < 0.05


def test_init_params_is_seeded():
    a, b, c = (mlp.init_params([2, 3, 1], seed=s) for s in (0, 0, 1))
    assert np.array_equal(a["W1"], b["W1"]) and not np.array_equal(a["W1"], c["W1"])


@pytest.mark.parametrize("sizes, init", [([3], "xavier"), ([3, 0, 1], "xavier"), ([3, 2.5, 1], "he"),
                                         ([3, 2], "glorot")])
def test_init_params_rejects_bad_input(sizes, init):
    with pytest.raises(ValueError):
        mlp.init_params(sizes, init=init)


@pytest.mark.parametrize("output", OUTPUTS)
def test_forward_shapes_and_cache(output):
    params = mlp.init_params([3, 5, 4, 2], seed=0)
    X = np.random.default_rng(0).normal(size=(7, 3))
    out, cache = mlp.forward(params, X, hidden="relu", output=output)
    assert out.shape == (7, 2) and cache["A0"] is not None and cache["Z3"].shape == (7, 2)
    assert cache["A1"].shape == (7, 5) and cache["A2"].shape == (7, 4)
    if output == "softmax":
        np.testing.assert_allclose(out.sum(axis=1), 1.0)
    if output == "linear":
        np.testing.assert_array_equal(out, cache["Z3"])


def test_forward_matches_neurons_dense_layer():
    from course_utils.neurons import dense_layer
    params = mlp.init_params([2, 3, 1], seed=0)
    X = np.random.default_rng(1).normal(size=(4, 2))
    expected = dense_layer(np.tanh(X @ params["W1"].T + params["b1"]), params["W2"], params["b2"])
    np.testing.assert_allclose(mlp.forward(params, X)[0], expected)


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("output", OUTPUTS)
def test_gradients_match_finite_differences(hidden, output):
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(6, 3)), _targets(output, 6, rng)
    params = mlp.init_params([3, 4, 5, 1 if output == "sigmoid" else 3], seed=4)
    loss, grads = mlp.loss_and_grads(params, X, y, hidden, output)
    assert isinstance(loss, float) and all(grads[k].shape == params[k].shape for k in params)
    result = check_gradients(lambda p: mlp.loss_and_grads(p, X, y, hidden, output)[0], params, grads, rtol=1e-6)
    assert result.max_rel_error < 1e-6


def test_sigmoid_labels_may_be_a_column():
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(5, 2)), rng.integers(0, 2, 5)
    params = mlp.init_params([2, 3, 1])
    a, b = mlp.loss_and_grads(params, X, y), mlp.loss_and_grads(params, X, y[:, None])
    assert a[0] == b[0] and all(np.array_equal(a[1][k], b[1][k]) for k in params)


def test_losses_match_their_formulas():
    rng = np.random.default_rng(4)
    y, z = rng.integers(0, 2, 8), rng.normal(size=8)
    p = 1 / (1 + np.exp(-z))
    bce = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert np.isclose(mlp.binary_cross_entropy(y, z, from_logits=True), bce)
    assert np.isclose(mlp.binary_cross_entropy(y, p), bce)
    yc, Z = rng.integers(0, 3, 8), rng.normal(size=(8, 3))
    P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    cce = -np.mean(np.log(P[np.arange(8), yc]))
    assert np.isclose(mlp.categorical_cross_entropy(yc, Z, from_logits=True), cce)
    assert np.isclose(mlp.categorical_cross_entropy(yc, P), cce)
    assert np.isclose(mlp.mse(z, p), np.mean((z - p) ** 2))


def test_stable_for_large_logits():
    Z = np.array([[1000.0, 0.0, -1000.0], [-1000.0, 1000.0, 999.0]])
    np.testing.assert_allclose(mlp.softmax(Z), [[1, 0, 0], [0, 1 / (1 + np.exp(-1)), 1 / (1 + np.e)]])
    assert np.isclose(mlp.categorical_cross_entropy([2, 0], Z, from_logits=True), 2000 + np.log1p(np.exp(-1)) / 2)
    assert np.isclose(mlp.binary_cross_entropy([1.0, 0.0], [-800.0, 800.0], from_logits=True), 800.0)
    assert np.isclose(mlp.logsumexp(np.array([1000.0, 1000.0])), 1000 + np.log(2))
    params = mlp.init_params([2, 3, 2], init="normal")
    params["W2"] *= 1e4                                          # huge logits
    X = np.random.default_rng(5).normal(size=(4, 2))
    for output, y in [("softmax", np.array([0, 1, 0, 1])), ("sigmoid", None)]:
        if output == "sigmoid":
            params = dict(params, W2=params["W2"][:1], b2=params["b2"][:1]); y = np.array([0, 1, 0, 1])
        loss, grads = mlp.loss_and_grads(params, X, y, output=output)
        assert np.isfinite(loss) and loss > 10 and all(np.isfinite(g).all() for g in grads.values())


@pytest.mark.parametrize("call, match", [
    (lambda p: mlp.forward(p, np.zeros((4, 3))), "3 features"),
    (lambda p: mlp.forward(p, np.zeros(2)), "shape"),
    (lambda p: mlp.forward(p, np.array([[np.nan, 0.0]])), "NaN"),
    (lambda p: mlp.forward(p, np.zeros((1, 2)), hidden="softmax"), "hidden activation"),
    (lambda p: mlp.forward(p, np.zeros((1, 2)), output="relu"), "unknown output"),
    (lambda p: mlp.forward({"W1": p["W1"]}, np.zeros((1, 2))), "keys"),
    (lambda p: mlp.forward(dict(p, W2=np.zeros((1, 5))), np.zeros((1, 2))), "expects 5 inputs"),
    (lambda p: mlp.loss_and_grads(p, np.zeros((4, 2)), np.zeros(3)), "4 entries"),
    (lambda p: mlp.loss_and_grads(p, np.zeros((2, 2)), np.array([0.0, 0.5])), "0/1 labels"),
    (lambda p: mlp.loss_and_grads(p, np.zeros((2, 2)), np.array([0, 1]), output="softmax"), "at least 2"),
    (lambda p: mlp.train_gd(p, np.zeros((2, 2)), np.array([0, 1]), lr=-1.0, epochs=3), "lr"),
    (lambda p: mlp.train_gd(p, np.zeros((2, 2)), np.array([0, 1]), lr=0.1, epochs=2.5), "epochs"),
])
def test_bad_input_raises_clear_value_errors(call, match):
    params = mlp.init_params([2, 4, 1])
    with pytest.raises(ValueError, match=match):
        call(params)


def test_softmax_labels_are_validated():
    params = mlp.init_params([2, 4, 3])
    with pytest.raises(ValueError, match="0 .. 2"):
        mlp.loss_and_grads(params, np.zeros((2, 2)), np.array([0, 3]), output="softmax")
    with pytest.raises(ValueError, match="whole numbers"):
        mlp.loss_and_grads(params, np.zeros((2, 2)), np.array([0, 1.5]), output="softmax")
    with pytest.raises(TypeError):
        mlp.forward([1, 2], np.zeros((1, 2)))


def test_dense_backward_shapes_and_errors():
    rng = np.random.default_rng(6)
    dA, dW, db = mlp.dense_backward(rng.normal(size=(5, 3)), rng.normal(size=(4, 3)), rng.normal(size=(5, 4)))
    assert dA.shape == (5, 3) and dW.shape == (4, 3) and db.shape == (4,)
    with pytest.raises(ValueError, match="do not fit"):
        mlp.dense_backward(np.zeros((5, 3)), np.zeros((4, 3)), np.zeros((5, 2)))


def test_predict_and_accuracy():
    params = mlp.init_params([2, 3, 4], seed=0)
    X = np.random.default_rng(7).normal(size=(6, 2))
    pred = mlp.predict(params, X, output="softmax")
    assert pred.shape == (6,) and np.array_equal(pred, mlp.forward(params, X, output="softmax")[0].argmax(1))
    assert mlp.accuracy(params, X, pred, output="softmax") == 1.0


def test_train_gd_solves_xor_without_mutating_input():
    X, y = logic_gate("XOR")
    params = mlp.init_params([2, 4, 1], seed=0)
    before = {k: v.copy() for k, v in params.items()}
    new, losses = mlp.train_gd(params, X, y, lr=1.0, epochs=2000)
    assert losses.shape == (2000,) and losses[-1] < losses[0] / 10
    assert mlp.accuracy(new, X, y) == 1.0
    assert all(np.array_equal(params[k], before[k]) for k in params)
    same, none = mlp.train_gd(params, X, y, lr=1.0, epochs=0)
    assert none.shape == (0,) and all(np.array_equal(same[k], params[k]) for k in params)


def test_train_gd_generalizes_on_moons():
    X, y = make_moons(400, noise=0.2, seed=0)
    params, _ = mlp.train_gd(mlp.init_params([2, 8, 1], seed=0), X[:300], y[:300], lr=1.0, epochs=3000)
    assert mlp.accuracy(params, X[300:], y[300:]) >= 0.95


def test_linear_output_fits_a_line():
    x = np.linspace(-1, 1, 20)[:, None]
    params, losses = mlp.train_gd(mlp.init_params([1, 1], seed=0), x, 3 * x - 1, lr=0.5, epochs=300, output="linear")
    assert losses[-1] < 1e-8 and np.isclose(params["W1"][0, 0], 3) and np.isclose(params["b1"][0], -1)
