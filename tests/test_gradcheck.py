"""Tests of course_utils.gradcheck: it must pass right gradients and catch and locate wrong ones."""
import numpy as np
import pytest

from course_utils import mlp
from course_utils.gradcheck import GradientCheckError, check_gradients, numerical_gradient, relative_error


def _quadratic(p):
    return float(np.sum(p["A"] ** 2 * p["c"]) + np.sum(np.sin(p["v"])))


@pytest.fixture
def problem():
    rng = np.random.default_rng(0)
    params = {"A": rng.normal(size=(3, 4)), "c": rng.normal(size=(3, 4)), "v": rng.normal(size=5)}
    grads = {"A": 2 * params["A"] * params["c"], "c": params["A"] ** 2, "v": np.cos(params["v"])}
    return params, grads


def test_numerical_gradient_matches_known_gradient(problem):
    params, grads = problem
    numeric = numerical_gradient(_quadratic, params)
    for key in params:
        np.testing.assert_allclose(numeric[key], grads[key], rtol=1e-7, atol=1e-9)


def test_correct_gradients_pass_with_tiny_error(problem):
    params, grads = problem
    result = check_gradients(_quadratic, params, grads)
    assert result.ok and result.max_rel_error < 1e-7 and set(result.errors) == set(params)


def test_catches_a_wrong_entry_and_names_it(problem):
    params, grads = problem
    wrong = {k: v.copy() for k, v in grads.items()}
    wrong["A"][2, 1] += 0.5
    with pytest.raises(GradientCheckError) as info:
        check_gradients(_quadratic, params, wrong)
    message = str(info.value)
    assert "grads['A'][2, 1]" in message and "1 of 12 entries" in message
    assert "'c'" not in message and "'v'" not in message


def test_catches_a_wrong_sign_and_reports_without_raising(problem):
    params, grads = problem
    wrong = dict(grads, v=-grads["v"])
    result = check_gradients(_quadratic, params, wrong, raise_on_error=False)
    assert not result.ok and result.worst[0] == "v" and result.errors["v"] > 0.5 and result.errors["A"] < 1e-6


def test_catches_a_deliberately_wrong_mlp_gradient():
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(6, 3)), rng.integers(0, 2, 6)
    params = mlp.init_params([3, 4, 1], seed=0)
    _, grads = mlp.loss_and_grads(params, X, y)
    wrong = dict(grads, b1=grads["b1"] * 2)           # e.g. a forgotten 1/2
    with pytest.raises(GradientCheckError, match=r"grads\['b1'\]"):
        check_gradients(lambda p: mlp.loss_and_grads(p, X, y)[0], params, wrong)


def test_single_arrays_are_accepted():
    x = np.array([1.0, -2.0, 0.5])
    result = check_gradients(lambda v: np.sum(v ** 3), x, 3 * x ** 2)
    assert result.ok and result.worst[0] == "x"
    with pytest.raises(GradientCheckError, match=r"grads\['x'\]\[1\]"):
        check_gradients(lambda v: np.sum(v ** 3), x, np.array([3.0, 10.0, 0.75]))


def test_tiny_gradients_pass_within_atol():
    x = np.array([0.0, 1.0])                 # d/dx x^3 at 0 is exactly 0; numerically about 1e-12
    assert check_gradients(lambda v: np.sum(v ** 3), x, np.array([0.0, 3.0])).ok


def test_does_not_change_params(problem):
    params, grads = problem
    before = {k: v.copy() for k, v in params.items()}
    check_gradients(_quadratic, params, grads)
    for key in params:
        np.testing.assert_array_equal(params[key], before[key])


@pytest.mark.parametrize("bad, error, match", [
    ({"A": np.zeros((3, 4)), "c": np.zeros((3, 4))}, ValueError, "same keys"),
    ({"A": np.zeros((4, 3)), "c": np.zeros((3, 4)), "v": np.zeros(5)}, ValueError, r"shape \(4, 3\)"),
    ({"A": np.full((3, 4), np.nan), "c": np.zeros((3, 4)), "v": np.zeros(5)}, ValueError, "NaN"),
    ("not a gradient", TypeError, "dict of arrays"),
])
def test_bad_grads_raise_clear_errors(problem, bad, error, match):
    params, _ = problem
    with pytest.raises(error, match=match):
        check_gradients(_quadratic, params, bad)


def test_bad_params_and_losses_raise_clear_errors(problem):
    params, grads = problem
    with pytest.raises(ValueError, match="NaN or infinite"):
        check_gradients(_quadratic, dict(params, v=np.array([np.inf, 0, 0, 0, 0.0])), grads)
    with pytest.raises(ValueError, match="finite loss"):
        check_gradients(lambda p: float("nan"), params, grads)
    with pytest.raises(TypeError, match="one real number"):
        check_gradients(lambda p: p["A"], params, grads)
    with pytest.raises(TypeError, match="function"):
        numerical_gradient("loss", params)
    with pytest.raises(ValueError, match="eps"):
        numerical_gradient(_quadratic, params, eps=0.0)


def test_relative_error():
    np.testing.assert_allclose(relative_error([1.0, 2.0, 0.0], [1.0, 1.0, 0.0]), [0.0, 0.5, 0.0])
    with pytest.raises(ValueError, match="shapes differ"):
        relative_error(np.zeros(2), np.zeros(3))
