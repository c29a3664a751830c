"""Lesson 00's big-picture helpers and its two warm-up exercises with their catalogued mistakes."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_circles

from course_utils import bigpicture as bp


@pytest.fixture(scope="module")
def circles():
    return make_circles(200, noise=0.1, factor=0.5, random_state=0)


def test_make_model_knows_three_models():
    assert [type(bp.make_model(n)).__name__ for n in bp.MODEL_NAMES] == [
        "LogisticRegression", "DecisionTreeClassifier", "MLPClassifier"]
    with pytest.raises(ValueError, match="unknown model"):
        bp.make_model("svm")


def test_param_counts_match_the_models(circles):
    X, y = circles
    models = {n: bp.fit_quietly(bp.make_model(n, hidden=(5, 3)), X, y) for n in bp.MODEL_NAMES}
    assert bp.param_count(models["logistic regression"]) == 2 + 1          # two weights and a bias
    assert bp.param_count(models["MLP"]) == (2 * 5 + 5) + (5 * 3 + 3) + (3 + 1)
    assert bp.param_count(models["decision tree"]) == models["decision tree"].tree_.node_count


def test_hidden_features_reproduce_the_mlp(circles):
    X, y = circles
    mlp = bp.fit_quietly(bp.make_model("MLP"), X, y)
    hidden = bp.hidden_features(mlp, X)
    logits = hidden @ mlp.coefs_[1] + mlp.intercepts_[1]
    assert hidden.shape == (200, 16) and hidden.min() >= 0
    assert np.allclose(1 / (1 + np.exp(-logits.ravel())), mlp.predict_proba(X)[:, 1])


def test_untrained_layers_are_drawn_as_scikit_learn_starts_an_mlp():
    layers = bp.untrained_layers(2, 16, seed=3, count=4)
    bound = np.sqrt(6 / 18)
    assert len(layers) == 4 and all(W.shape == (2, 16) and b.shape == (16,) for W, b in layers)
    assert all(np.abs(W).max() <= bound and np.abs(b).max() <= bound for W, b in layers)
    assert not np.allclose(layers[0][0], layers[1][0])   # four different layers
    assert all(np.array_equal(a[0], c[0]) for a, c in zip(layers, bp.untrained_layers(2, 16, seed=3, count=4)))
    W, b = layers[0]
    assert np.array_equal(bp.relu_features([[1.0, -1.0]], W, b), np.maximum(0, np.array([[1.0, -1.0]]) @ W + b))


def test_the_readout_ignores_the_size_of_the_features(circles):
    """Scaled first, features multiplied by 1000 or by 1/1000 give the same accuracy (round 38, r382 H1: unscaled,
    the default penalty made a layer's larger numbers score higher)."""
    X, y = circles
    W, b = bp.untrained_layers(2, 16, seed=0, count=1)[0]
    F = bp.relu_features(X, W, b)
    scores = {bp.readout_accuracy(F * k, y, F * k, y) for k in (1e-3, 1.0, 1e3)}
    assert len(scores) == 1 and 0.5 < scores.pop() <= 1
    mean = bp.untrained_accuracy(X, y, X, y, n_hidden=16, seed=0, count=3)
    assert mean == pytest.approx(np.mean([bp.readout_accuracy(bp.relu_features(X, W, b), y, bp.relu_features(X, W, b), y)
                                          for W, b in bp.untrained_layers(2, 16, seed=0, count=3)]))


def test_the_radius_feature():
    assert np.allclose(bp.with_radius([[3.0, 4.0]]), [[3.0, 4.0, 25.0]])


def test_leaves_are_rectangles_for_a_tree_but_not_for_other_partitions(circles):
    X, y = circles
    tree = bp.fit_quietly(bp.make_model("decision tree"), X, y)
    grid = np.random.default_rng(0).uniform(-1.5, 1.5, size=(2000, 2))
    assert bp.leaves_are_rectangles(tree, grid)

    class RingLeaves:  # a fake "tree" whose leaves are rings: not boxes
        @staticmethod
        def apply(points):
            return (np.linalg.norm(points, axis=1) < 0.8).astype(int)
    assert not bp.leaves_are_rectangles(RingLeaves(), grid)


def test_learning_curves_shape_and_range(circles):
    X, y = circles
    curves = bp.learning_curves(X[:150], y[:150], X[150:], y[150:], sizes=(20, 80), seeds=(0,),
                                hidden=(8,))
    assert set(curves) == set(bp.MODEL_NAMES)
    for curve in curves.values():
        assert curve.shape == (2, 2) and ((0 <= curve) & (curve <= 1)).all()
    fig = bp.plot_learning_curves(curves, (20, 80))
    ax = fig.axes[0]
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel() and len(ax.get_lines()) == 6
    assert ax.get_legend() is not None


def test_accuracy_is_the_answer_that_00a_checks_and_00b_imports():
    from course_utils.exercises import get_exercise

    assert get_exercise("accuracy").reference is bp.accuracy
    assert bp.accuracy([1, 0, 1, 1], [1, 0, 0, 1]) == 0.75
    with pytest.raises(ValueError, match="shape"):
        bp.accuracy(np.arange(4), np.arange(4).reshape(4, 1))
