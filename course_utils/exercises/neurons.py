"""Exercises of lesson 01 (neurons)."""
import numpy as np

from .. import neurons as ref
from ..checks import Case, Exercise
from ..data import logic_gate


def _activation_cases():
    return [
        Case((0.0,), label="zero"),
        Case((np.array([-2.0, -0.5, 0.5, 2.0]),), label="a small array"),
        Case((np.linspace(-5, 5, 12).reshape(3, 4),), label="a 2-D array keeps its shape"),
        Case((np.array([-1000.0, 1000.0]),), label="very large |z|"),
        Case((np.array([np.nan, 1.0]),), label="NaN passes through as NaN"),
    ]


def _neuron_cases():
    rng = np.random.default_rng(1)
    return [
        Case((np.array([1.0, 2.0]), np.array([0.5, -0.25]), 0.1), label="two inputs"),
        Case((np.zeros(3), np.ones(3), 0.0), label="zero input: only the bias counts"),
        Case((rng.normal(size=5), rng.normal(size=5), -1.5), label="five random inputs"),
        Case((np.array([300.0, 400.0]), np.array([2.0, 3.0]), 0.0), label="very large weighted sum"),
        Case((np.ones(3), np.ones(2), 0.0), label="x and w of different lengths"),
    ]


def _layer_cases():
    rng = np.random.default_rng(2)
    return [
        Case((rng.normal(size=(4, 3)), rng.normal(size=(2, 3)), rng.normal(size=2)), label="batch of 4, 3 in, 2 out"),
        Case((rng.normal(size=(1, 5)), rng.normal(size=(7, 5)), np.zeros(7)), label="a batch of one"),
        Case((100 * rng.normal(size=(3, 2)), 100 * rng.normal(size=(3, 2)), np.ones(3)), label="large inputs"),
        Case((rng.normal(size=(3, 2)), rng.normal(size=(4, 5)), np.zeros(4)), label="mismatched shapes"),
    ]


def _call_without_overflow(f, case):
    """Call f, treating a floating-point overflow as an error (the naive sigmoid overflows)."""
    with np.errstate(over="raise"):
        return f(*case.args, **case.kwargs)


def _gate_predictions(weights_fn, case):
    """Run a (w, b)-returning function and return the neuron's 0/1 outputs on the gate's inputs."""
    w, b = weights_fn()
    X, _ = logic_gate(case.args[0])
    return (ref.sigmoid(X @ np.asarray(w, dtype=float) + b) > 0.5).astype(int)


def _or_weights():
    return np.array([10.0, 10.0]), -5.0


EXERCISES = {
    "sigmoid": Exercise(
        reference=ref.sigmoid,
        cases=_activation_cases,
        run=_call_without_overflow,
        hint="1 / (1 + np.exp(-z)) is right for moderate z; for z = -1000 np.exp(1000) overflows. "
        "Use e = np.exp(-np.abs(z)) and pick 1 / (1 + e) or e / (1 + e) by the sign of z with np.where "
        "(np.where computes both branches everywhere, so neither may overflow).",
    ),
    "relu": Exercise(
        reference=ref.relu,
        cases=_activation_cases,
        hint="ReLU is max(0, z) element by element: np.maximum(0, z) (not Python's max, which takes one number).",
    ),
    "neuron": Exercise(
        reference=ref.neuron,
        cases=_neuron_cases,
        hint="Weighted sum first, then the activation: sigmoid(np.dot(w, x) + b). "
        "np.dot raises a ValueError by itself when the lengths differ.",
    ),
    "dense_layer": Exercise(
        reference=ref.dense_layer,
        cases=_layer_cases,
        hint="Each row of W is one neuron, each row of X one example: sigmoid(X @ W.T + b). "
        "The result has one row per example and one column per neuron.",
    ),
    "or_weights": Exercise(
        reference=_or_weights,
        cases=lambda: [Case(("OR",), label="the OR truth table")],
        run=_gate_predictions,
        hint="OR must fire when at least one input is 1: give both inputs the same positive weight, "
        "and a bias that keeps the output below 0.5 only when both inputs are 0.",
    ),
}
