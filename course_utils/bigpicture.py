"""Lesson 00's big-picture experiments: classic machine learning models against a small neural network.

Three scikit-learn models stand for three ideas: logistic regression (a straight boundary on the
features you give it), a decision tree (axis-aligned rules), and a multi-layer perceptron (features
it learns itself). Everything here is small enough to run in a few seconds on a CPU. ``accuracy`` is the
reference answer of lesson 00a's exercise 1, which 00b uses.
"""
from __future__ import annotations

import warnings

import numpy as np

MODEL_NAMES = ("logistic regression", "decision tree", "MLP")


def accuracy(y_true, y_pred) -> float:
    """The fraction of predictions equal to the true labels; both must have the same shape."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has shape {y_true.shape} but y_pred has shape {y_pred.shape}")
    if y_true.size == 0:
        raise ValueError("accuracy of zero predictions is undefined")
    return float(np.mean(y_true == y_pred))


def make_model(name: str, seed: int = 0, hidden: tuple[int, ...] = (16,)):
    """A fresh, untrained model called ``name`` (one of MODEL_NAMES)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier
    from sklearn.tree import DecisionTreeClassifier

    if name == "logistic regression":
        return LogisticRegression(max_iter=1000)
    if name == "decision tree":
        return DecisionTreeClassifier(random_state=seed)
    if name == "MLP":
        return MLPClassifier(hidden, activation="relu", solver="lbfgs", alpha=1e-4, max_iter=500,
                             random_state=seed)
    raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODEL_NAMES)}")


def fit_quietly(model, X, y):
    """Fit ``model``; an optimizer that stops at its iteration limit is fine here, so no warning."""
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


def with_radius(X) -> np.ndarray:
    """A hand-made feature for circles: the points plus their squared distance from the centre."""
    X = np.asarray(X, dtype=float)
    return np.column_stack([X, (X ** 2).sum(axis=1)])


def relu_features(X, W, b) -> np.ndarray:
    """What a hidden layer of ReLUs with weights ``W`` and biases ``b`` computes from X: relu(X W + b)."""
    return np.maximum(0.0, np.asarray(X, dtype=float) @ W + b)


def hidden_features(mlp, X) -> np.ndarray:
    """What a fitted sklearn MLP's first hidden layer computes from X."""
    return relu_features(X, mlp.coefs_[0], mlp.intercepts_[0])


def readout_accuracy(features_train, y_train, features_test, y_test) -> float:
    """Test accuracy of a logistic regression trained on features scaled to mean 0 and standard deviation 1 (by the training
    set's numbers). Unscaled, scikit-learn's default penalty on large weights would favour features of large size:
    a comparison of two feature sets would measure their size, not how well they separate the classes."""
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(features_train)
    model = fit_quietly(make_model("logistic regression"), scaler.transform(features_train), y_train)
    return accuracy(y_test, model.predict(scaler.transform(features_test)))


def untrained_accuracy(X_train, y_train, X_test, y_test, n_hidden: int, seed: int, count: int = 20) -> float:
    """The mean ``readout_accuracy`` of ``count`` untrained layers of ``n_hidden`` ReLUs with random weights."""
    layers = untrained_layers(np.shape(X_train)[1], n_hidden, seed, count)
    return float(np.mean([readout_accuracy(relu_features(X_train, W, b), y_train, relu_features(X_test, W, b), y_test)
                          for W, b in layers]))


def untrained_layers(n_in: int, n_hidden: int, seed: int, count: int = 20) -> list[tuple[np.ndarray, np.ndarray]]:
    """``count`` hidden layers (W, b) with random weights, drawn as scikit-learn draws an MLP's starting weights for
    ReLUs: uniform in +-sqrt(6 / (n_in + n_hidden)). What training starts from, and nothing learned."""
    rng = np.random.default_rng(seed)
    bound = np.sqrt(6 / (n_in + n_hidden))
    return [(rng.uniform(-bound, bound, (n_in, n_hidden)), rng.uniform(-bound, bound, n_hidden))
            for _ in range(count)]


def param_count(model) -> int:
    """Numbers learned from data: weights and biases, or for a tree one threshold per split and one class per leaf."""
    if hasattr(model, "coefs_"):
        return int(sum(w.size for w in model.coefs_) + sum(b.size for b in model.intercepts_))
    if hasattr(model, "tree_"):
        return int(model.tree_.node_count)
    return int(model.coef_.size + model.intercept_.size)


def leaves_are_rectangles(tree, points) -> bool:
    """True if every leaf of a fitted tree owns an axis-aligned box: no other leaf's point lies in its box."""
    points = np.asarray(points, dtype=float)
    leaf = tree.apply(points)
    for leaf_id in np.unique(leaf):
        mine = points[leaf == leaf_id]
        lo, hi = mine.min(axis=0), mine.max(axis=0)
        inside = np.all((points >= lo) & (points <= hi), axis=1)
        if np.any(leaf[inside] != leaf_id):
            return False
    return True


def learning_curves(X_pool, y_pool, X_test, y_test, sizes, seeds=(0, 1, 2),
                    names=MODEL_NAMES, hidden=(64,)) -> dict[str, np.ndarray]:
    """Mean (train, test) accuracy of each model trained on the first n of a shuffled pool, per size n.

    Returns {name: array of shape (len(sizes), 2)}, averaged over ``seeds`` (each seed shuffles the pool).
    """
    curves = {name: np.zeros((len(sizes), 2)) for name in names}
    for seed in seeds:
        order = np.random.default_rng(seed).permutation(len(X_pool))
        for i, n in enumerate(sizes):
            X, y = X_pool[order[:n]], y_pool[order[:n]]
            for name in names:
                model = fit_quietly(make_model(name, seed, hidden), X, y)
                curves[name][i] += (model.score(X, y), model.score(X_test, y_test))
    return {name: curve / len(seeds) for name, curve in curves.items()}


def plot_learning_curves(curves: dict[str, np.ndarray], sizes, title: str = "Accuracy against training-set size"):
    """Test accuracy (solid) and training accuracy (dashed) of each model against the number of examples."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for (name, curve), colour in zip(curves.items(), ("C0", "C1", "C2", "C3")):
        ax.plot(sizes, curve[:, 1], "o-", color=colour, label=f"{name} (test)")
        ax.plot(sizes, curve[:, 0], "--", color=colour, alpha=0.6, label=f"{name} (training)")
    ax.set(xscale="log", xlabel="training examples (log scale)", ylabel="accuracy", title=title, ylim=(0, 1.02))
    ax.set_xticks(list(sizes), [str(n) for n in sizes])
    ax.minorticks_off()
    ax.legend(fontsize=8, ncols=2, loc="lower right")
    return fig
