"""Every round's attacks on the exercise checks of lesson 00 (accuracy, the parameter count): right answers written
another way still pass, and the mistakes the catalogues name are caught for the reason they name. `make test-wide`
runs them, as CI does (`wide`); `make test` runs each exercise's catalogue (test_registry.py)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from course_utils import exercises as registry
from course_utils.checks import ExerciseFailed, check, judge, PASSED, TIMED_OUT, WRONG
from mistakes_shared import friendly  # noqa: F401, an autouse fixture
from mistakes_shared import sigmoid, _passes, _refused_as_the_course_s_own
from references import mistake_copy, reference_copy

pytestmark = pytest.mark.wide
torch = pytest.importorskip("torch")


def test_the_references_of_lesson_00():
    accuracy = reference_copy("accuracy")
    mlp_param_count = reference_copy("mlp_param_count")
    assert accuracy([1, 0, 1, 1], [1, 0, 0, 1]) == 0.75
    assert accuracy(np.array(["a", "b"]), np.array(["a", "a"])) == 0.5
    with pytest.raises(ValueError):
        accuracy(np.arange(3), np.arange(3).reshape(3, 1))
    with pytest.raises(ValueError):
        accuracy([], [])
    assert mlp_param_count([2, 1]) == 3 and mlp_param_count((784, 128, 64, 10)) == 109386
    for bad in ([5], [3, 0, 1], [2, 1.5]):
        with pytest.raises(ValueError):
            mlp_param_count(bad)


# round 17: lesson 02
def _r17_softmax(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _r17_mlp_logits(X, W1, b1, W2, b2):
    return np.tanh(X @ W1.T + b1) @ W2.T + b2


@pytest.mark.parametrize("name, answer", [
    ("softmax_stable", lambda z: np.clip(_r17_softmax(z), 1e-15, 1 - 1e-15)),
    ("softmax_stable", lambda z: np.maximum(_r17_softmax(z), np.finfo(float).eps)),
    ("softmax_stable", lambda z: _r17_softmax(np.maximum(np.asarray(z, dtype=float),
                                                         np.max(z, axis=-1, keepdims=True) - 35))),
    ("mlp_forward", lambda *a: np.clip(sigmoid(_r17_mlp_logits(*a)), 1e-15, 1 - 1e-15)),
    ("mlp_forward", lambda *a: sigmoid(np.clip(_r17_mlp_logits(*a), -36, 36))),
], ids=["softmax clipped to [1e-15, 1 - 1e-15]", "softmax floored at float64's eps", "softmax of logits clipped "
        "35 below the row's maximum", "mlp clipped to [1e-15, 1 - 1e-15]", "mlp logits clipped at 36"])
def test_lesson_02a_probabilities_floored_at_1e_15_or_below_are_refused(name, answer, capsys):
    """Each passed before: compare_probabilities allowed 1e-15 on every probability, so a floor of 1e-15 (scikit-learn's
    old log_loss eps), of 2.2e-16 (float64's eps) or logits clipped at 35 or 36 (e^-36 = 2.3e-16) went through, though
    a later log reads 34.5 where the true loss is 60 or more. softmax_stable has no right form with an absolute error:
    it allows 1e-40 (float32's own rounding near 0); mlp_forward allows 1e-16, for 0.5 + 0.5 * np.tanh(z / 2)."""
    with pytest.raises(ExerciseFailed, match="far below 1 must come out right"):
        check(name, answer, strict=True)


@pytest.mark.parametrize("name, answer", [
    ("softmax_stable", lambda z: (lambda e: e / np.sum(e, axis=-1)[..., None])(
        np.exp(np.asarray(z, dtype=float) - np.max(np.asarray(z, dtype=float), axis=-1)[..., None]))),
    ("softmax_stable", lambda z: np.maximum(_r17_softmax(z), np.finfo(float).tiny)),
    ("softmax_stable", lambda z: _r17_softmax(np.asarray(z, dtype=np.float32) if np.asarray(z).dtype == np.float32
                                              else z).astype(np.asarray(z).dtype if np.asarray(z).dtype == np.float32
                                                                 else float)),
    ("mlp_forward", lambda X, W1, b1, W2, b2: np.exp(-np.logaddexp(0, -_r17_mlp_logits(X, W1, b1, W2, b2)))),
    ("mlp_forward", lambda X, W1, b1, W2, b2: sigmoid(np.dot(2 * sigmoid(2 * (np.dot(X, W1.T) + b1)) - 1, W2.T) + b2)),
    ("mlp_forward", lambda X, W1, b1, W2, b2: sigmoid(np.clip(_r17_mlp_logits(X, W1, b1, W2, b2), -700, 700))),
    ("bce_from_logits", lambda y, z: _r17_same_shape(y, z) or np.mean(
        np.asarray(y) * np.logaddexp(0, -np.asarray(z, float)) + (1 - np.asarray(y)) * np.logaddexp(0, np.asarray(z, float)))),
    ("bce_from_logits", lambda y, z: _r17_same_shape(y, z) or np.mean(
        [max(b, 0.0) - a * b + math.log1p(math.exp(-abs(b))) for a, b in zip(np.ravel(y).astype(float),
                                                                              np.ravel(z).astype(float))])),
], ids=["softmax [..., None]", "softmax floored at float64's tiny",
        "softmax in float32 for float32 logits", "mlp exp(-logaddexp(0, -z))", "mlp tanh as 2 sigmoid(2z) - 1",
        "mlp logits clipped at 700", "bce two logaddexp", "bce loop with math"])
def test_lesson_02_right_answers_written_another_way_pass(name, answer):
    _passes(name, answer)


def _r17_same_shape(y, z):
    if np.shape(y) != np.shape(z):
        raise ValueError("y and z differ in shape")


def _r17_same_length(y, Z):
    if len(y) != len(Z):
        raise ValueError("one label per example")


def _r17_params(W1, b1, W2, b2):
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}


@pytest.mark.parametrize("name, answer", [
    ("mlp_forward", lambda X, W1, b1, W2, b2: __import__("course_utils.mlp").mlp.forward(_r17_params(W1, b1, W2, b2),
                                                                                          X)[0]),
    ("bce_from_logits", lambda y, z: _r17_same_shape(y, z) or __import__("course_utils.mlp").mlp.binary_cross_entropy(
        y, z, from_logits=True)),
    ("cce_from_logits", lambda y, Z: __import__("course_utils.mlp").mlp.categorical_cross_entropy(y, Z, from_logits=True)),
    ("bce_from_logits", lambda y, z: _r17_same_shape(y, z) or __import__("course_utils.mlp").mlp.output_loss_and_delta(
        np.reshape(np.asarray(z, float), (-1, 1)), np.reshape(y, (-1, 1)))[0]),
    ("cce_from_logits", lambda y, Z: _r17_same_length(y, Z) or __import__("course_utils.mlp").mlp.output_loss_and_delta(
        np.asarray(Z, float), y, "softmax")[0]),
], ids=["mlp_forward by mlp.forward", "bce by mlp.binary_cross_entropy", "cce by mlp.categorical_cross_entropy",
        "bce by mlp.output_loss_and_delta", "cce by mlp.output_loss_and_delta"])
def test_lesson_02_answers_that_call_the_course_s_own_version_are_refused(name, answer, capsys):
    """Each passed before, in a graded release too: it hides the exercises' references (_mlp_forward_reference, ...)
    but keeps mlp.forward, mlp.binary_cross_entropy and mlp.categorical_cross_entropy, which the references wrap and
    the lessons' own code runs. (softmax_stable's reference is mlp.softmax itself: there it calls the learner's
    answer, so an answer that calls it never ends.)"""
    with pytest.raises(ExerciseFailed, match="the course's own version of this exercise"):
        check(name, answer, strict=True)


def _r17_by_an_identity_network(output):
    """The loss of a one-layer network whose weights are the identity (its logits are the inputs), NaN by hand."""
    def loss(y, z):
        z = np.asarray(z, dtype=float)
        if (np.shape(y) != z.shape) if output == "sigmoid" else (len(y) != len(z)):
            raise ValueError("y and z do not fit")
        if np.isnan(z).any():
            return np.nan
        k = 1 if output == "sigmoid" else z.shape[1]
        params = {"W1": np.eye(k), "b1": np.zeros(k)}
        X, labels = (z.reshape(-1, 1), np.reshape(y, (-1, 1))) if output == "sigmoid" else (z, y)
        return __import__("course_utils.mlp").mlp.loss_and_grads(params, X, labels, output=output)[0]
    return loss


@pytest.mark.parametrize("name, answer", [("bce_from_logits", _r17_by_an_identity_network("sigmoid")),
                                          ("cce_from_logits", _r17_by_an_identity_network("softmax"))],
                         ids=["bce", "cce"])
def test_lesson_02b_a_loss_read_from_an_identity_network_is_refused(name, answer, capsys):
    """Contrived: a network whose logits are the inputs, run by mlp.loss_and_grads (NaN handled by hand, since the
    network refuses a NaN input), passed both checks."""
    with pytest.raises(ExerciseFailed, match="the course's own version of this exercise"):
        check(name, answer, strict=True)


# round 18: lesson 02
import functools

from course_utils import mlp as _r18_mlp

# bound to names here, as by a learner's `from course_utils.mlp import forward` in an earlier cell

_r18_forward, _r18_bce, _r18_cce = _r18_mlp.forward, _r18_mlp.binary_cross_entropy, _r18_mlp.categorical_cross_entropy
_r18_forward_tanh = functools.partial(_r18_mlp.forward, hidden="tanh", output="sigmoid")


def _r18_mlp_by_bound_forward(X, W1, b1, W2, b2):
    return _r18_forward({"W1": W1, "b1": b1, "W2": W2, "b2": b2}, X)[0]


def _r18_bce_by_bound_name(y, z):
    _r17_same_shape(y, z)
    return _r18_bce(y, z, from_logits=True)


def _r18_cce_in_a_helper(y, Z):
    return _r18_cce(y, Z, from_logits=True)


def _r18_cce_by_a_helper(y, Z):
    _r17_same_length(y, Z)
    return _r18_cce_in_a_helper(y, Z)


def _r18_bce_in_a_closure():
    loss_and_delta = _r18_mlp.output_loss_and_delta
    def bce(y, z):
        _r17_same_shape(y, z)
        return loss_and_delta(np.reshape(np.asarray(z, float), (-1, 1)), np.reshape(y, (-1, 1)))[0]
    return bce


class _R18CceObject:
    """Contrived: an object whose __call__ runs the course's loss, which it holds as an attribute."""

    def __init__(self):
        self.loss = _r18_cce

    def __call__(self, y, Z):
        _r17_same_length(y, Z)
        return self.loss(y, Z, from_logits=True)


def _r18_bce_unwrapped(y, z):
    """Contrived: the check's watched stand-in for mlp.binary_cross_entropy, unwrapped while the check runs."""
    _r17_same_shape(y, z)
    loss = _r18_mlp.binary_cross_entropy
    return getattr(loss, "__wrapped__", loss)(y, z, from_logits=True)


@pytest.mark.parametrize("name, answer", [
    ("mlp_forward", _r18_mlp_by_bound_forward),
    ("mlp_forward", lambda X, W1, b1, W2, b2: _r18_forward_tanh({"W1": W1, "b1": b1, "W2": W2, "b2": b2}, X)[0]),
    ("bce_from_logits", _r18_bce_by_bound_name),
    ("bce_from_logits", _r18_bce_in_a_closure()),
    ("cce_from_logits", _r18_cce_by_a_helper),
    ("cce_from_logits", lambda y, Z, loss=_r18_cce: _r17_same_length(y, Z) or loss(y, Z, from_logits=True)),
    ("cce_from_logits", _R18CceObject()),
    ("bce_from_logits", _r18_bce_unwrapped),
], ids=["mlp_forward by a global bound to mlp.forward", "mlp_forward by a functools.partial of mlp.forward",
        "bce by a global bound to mlp.binary_cross_entropy", "bce by mlp.output_loss_and_delta in a closure",
        "cce by a helper that calls a global bound to mlp.categorical_cross_entropy",
        "cce by mlp.categorical_cross_entropy as a default argument", "cce by an object that holds it, with a __call__",
        "bce by the __wrapped__ of the check's stand-in"])
def test_lesson_02_the_course_s_own_version_bound_to_a_name_is_refused(name, answer, capsys):
    """Each passed, in a graded release too: the check replaced mlp.forward (and the losses) in their module for the
    length of the call, but `from course_utils.mlp import forward` (or `f = mlp.forward` in an earlier cell) binds the
    function itself, which that replacement does not reach. The check now also looks at what the answer holds: the
    globals its code reads, its defaults and closure cells, a functools.partial, an object's attributes, and the same
    in its helpers. The last two are contrived; the stand-in no longer hands out the function as its __wrapped__."""
    with pytest.raises(ExerciseFailed, match="the course's own version of this exercise"):
        check(name, answer, strict=True)


_r18_logsumexp = _r18_mlp.logsumexp   # the course's log-sum-exp: refused in softmax_stable and cce_from_logits (round 39)


class _R18Bce:
    """A right answer written as an object with a __call__: looking into it finds nothing of the course's."""

    def __call__(self, y, z):
        _r17_same_shape(y, z)
        y, z = np.asarray(y, dtype=float), np.asarray(z, dtype=float)
        return np.sum(np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z)))) / z.size


def _r18_softmax_in_place(z):
    p = np.array(z, dtype=float)   # a copy of its own, then changed in place
    p -= p.max(axis=-1, keepdims=True)
    np.exp(p, out=p)
    p /= p.sum(axis=-1, keepdims=True)
    return p


def _r18_softmax_classes_first(z):
    z = np.moveaxis(np.asarray(z, dtype=float), -1, 0)   # the classes on the first axis, then back to the last
    e = np.exp(z - z.max(axis=0))
    return np.moveaxis(e / e.sum(axis=0), 0, -1)


def _r18_mlp_layer_by_layer(X, W1, b1, W2, b2):
    A = X
    for W, b, g in ((W1, b1, np.tanh), (W2, b2, sigmoid)):   # a loop over the layers, not the examples
        A = g(A @ W.T + b)
    return A


def _r18_cce_shifted(y, Z):
    _r17_same_length(y, Z)
    S = np.asarray(Z, dtype=float) - np.max(Z, axis=1, keepdims=True)   # both terms from the shifted logits
    return np.mean(np.log(np.exp(S).sum(axis=1)) - S[np.arange(len(y)), y])


@pytest.mark.parametrize("name, answer", [
    ("softmax_stable", _r18_softmax_in_place),
    ("softmax_stable", _r18_softmax_classes_first),
    ("mlp_forward", _r18_mlp_layer_by_layer),
    ("mlp_forward", lambda X, W1, b1, W2, b2: sigmoid(W2 @ np.tanh(W1 @ X.T + b1[:, None]) + b2[:, None]).T),
    ("bce_from_logits", lambda y, z: _r17_same_shape(y, z) or np.mean(
        np.logaddexp(0, np.asarray(z, dtype=float)) - np.asarray(y, dtype=float) * np.asarray(z, dtype=float))),
    ("bce_from_logits", _R18Bce()),
    ("cce_from_logits", _r18_cce_shifted),
], ids=["softmax in place on a copy", "softmax with the classes moved to the first axis", "mlp a loop over the layers",
        "mlp examples as columns, transposed back", "bce logaddexp(0, z) - y z",
        "bce an object with a __call__, sum / size", "cce from the shifted logits"])
def test_lesson_02_round_18_right_answers_written_another_way_pass(name, answer):
    _passes(name, answer)


def _r18_cce_logsumexp_of_the_batch(y, Z):
    _r17_same_length(y, Z)
    Z = np.asarray(Z, dtype=float)
    m = np.max(Z)   # axis=None: the whole batch's
    return np.mean(m + np.log(np.sum(np.exp(Z - m))) - Z[np.arange(len(y)), y])


def _r18_softmax_of_the_whole_array(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - np.max(z))   # axis=None: the whole array's
    return e / np.sum(e)


@pytest.mark.parametrize("name, answer, told", [
    ("softmax_stable", _r18_softmax_of_the_whole_array, "np.max and np.sum take axis=None by default"),
    ("cce_from_logits", _r18_cce_logsumexp_of_the_batch, "np.max and np.sum take axis=None by default"),
], ids=["softmax by np.max and np.sum without axis", "cce log-sum-exp by np.max and np.sum without axis"])
def test_lesson_02_a_default_of_axis_none_is_named(name, answer, told):
    """scipy.special.softmax and scipy.special.logsumexp run over the whole array unless given an axis: both answers
    failed with a plain "wrong value" and no hint of why (round 18). Round 39: lesson 02 is numpy-only (scipy's calls
    are refused, test_r39_lessons_01_02_library_answers_are_refused); np.max and np.sum have the same default, and the
    messages name theirs."""
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and told in verdict.text, verdict.text


# round 19: lesson 02
def _r19_cce_max_kept_as_a_column(y, Z):
    _r17_same_length(y, Z)
    Z = np.asarray(Z, dtype=float)
    m = Z.max(axis=1, keepdims=True)   # (n, 1), while the sum below is (n,)
    return np.mean(m + np.log(np.exp(Z - m).sum(axis=1)) - Z[np.arange(len(y)), y])


def _r19_cce_logsumexp_kept_as_a_column(y, Z):
    _r17_same_length(y, Z)
    Z = np.asarray(Z, dtype=float)
    m = Z.max(axis=1, keepdims=True)
    logsumexp = m + np.log(np.exp(Z - m).sum(axis=1, keepdims=True))   # (n, 1), both terms with keepdims=True
    return np.mean(logsumexp - Z[np.arange(len(y)), y])


@pytest.mark.parametrize("answer", [_r19_cce_max_kept_as_a_column, _r19_cce_logsumexp_kept_as_a_column],
                         ids=["m = Z.max(axis=1, keepdims=True)", "log-sum-exp with keepdims=True throughout"])
def test_lesson_02b_cce_losses_broadcast_to_an_n_by_n_matrix_are_refused(answer):
    """Both passed (round 19): an (n, 1) column minus (or plus) an (n,) row broadcasts to an (n, n) matrix, whose mean
    equals the mean loss in exact arithmetic (mean_i a_i - mean_j b_j), so every case agreed to 1e-13. It costs n * n
    memory (60,000 examples: 29 GB), and in float64 it loses a row's small loss next to another row's logit of 1e20."""
    verdict = judge(registry.get_exercise("cce_from_logits"), answer)
    assert verdict.kind == WRONG and "(n, n) matrix" in verdict.text, verdict.text


def _r19_all_close(a, b, *args, **kwargs):
    return np.ones(np.broadcast(np.asarray(a), np.asarray(b)).shape, dtype=bool)


def _r19_softmax_doubled(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return 2 * e / e.sum(axis=-1, keepdims=True)   # rows that sum to 2


@pytest.mark.parametrize("wrap", [functools.partial, lambda f: np.vectorize(f, otypes=[bool])],
                         ids=["functools.partial", "np.vectorize"])
def test_lesson_02a_numpy_s_comparisons_replaced_through_a_wrapper_in_an_earlier_cell_are_refused(wrap):
    """Passed (shortcut, round 19): a cell before the check ran np.isclose = functools.partial(<a function of the
    notebook's that says True>), and np.allclose the same. The check looked for names holding a function of the
    notebook's own (__module__ == "__main__"), but a partial's __module__ is "functools" and an np.vectorize's "numpy",
    so softmax_stable passed rows that sum to 2 (and mlp_forward its logits)."""
    isclose, allclose = np.isclose, np.allclose
    close = wrap(_r19_all_close)
    _r19_all_close.__module__ = "__main__"   # defined in a notebook cell
    np.isclose, np.allclose = close, functools.partial(lambda *args, **kwargs: True)
    np.allclose.func.__module__ = "__main__"
    try:
        verdict = judge(registry.get_exercise("softmax_stable"), _r19_softmax_doubled)
    finally:
        np.isclose, np.allclose = isclose, allclose
        _r19_all_close.__module__ = __name__
    assert verdict.kind == WRONG and "numpy.isclose" in verdict.text and "function of its own" in verdict.text, \
        verdict.text


def _r19_softmax_by_an_identity_network(z):
    """Contrived: a network whose logits are the inputs, run by mlp.forward with a softmax output (NaN rows and an
    empty batch by hand, since the network refuses them)."""
    z = np.asarray(z, dtype=float)
    k = z.shape[-1]
    rows = z.reshape(-1, k)
    out = np.full(rows.shape, np.nan)
    finite = ~np.isnan(rows).any(axis=1)
    if finite.any():
        out[finite] = _r18_mlp.forward({"W1": np.eye(k), "b1": np.zeros(k)}, rows[finite], output="softmax")[0]
    return out.reshape(z.shape)


def test_lesson_02a_a_softmax_read_from_the_course_s_network_is_refused(capsys):
    """Passed (contrived, round 19): softmax_stable refused mlp.softmax (its reference) but not mlp.forward, which
    calls it from inside the course; mlp_forward, bce_from_logits and cce_from_logits refuse the course's network."""
    with pytest.raises(ExerciseFailed, match="the course's own version of this exercise|this check's own code"):
        check("softmax_stable", _r19_softmax_by_an_identity_network, strict=True)


def _r19_bce_by_the_categorical_loss(y, z):
    """BCE(y, z) is the categorical cross-entropy of the label y with the logits [0, z]."""
    _r17_same_shape(y, z)
    z = np.asarray(z, dtype=float).ravel()
    return _r18_cce(np.asarray(y).ravel().astype(int), np.stack([np.zeros_like(z), z], axis=-1), from_logits=True)


def _r19_softmax_by_the_categorical_loss(z):
    """p_c = exp(-CE(c, z)), the loss of one example of label c, entry by entry."""
    z = np.asarray(z, dtype=float)
    rows = z.reshape(-1, z.shape[-1])
    p = np.empty(rows.shape)
    for i, row in enumerate(rows):
        for c in range(len(row)):
            p[i, c] = np.exp(-_r18_mlp.categorical_cross_entropy(np.array([c]), row[None], from_logits=True))
    return p.reshape(z.shape)


@pytest.mark.parametrize("name, answer", [("bce_from_logits", _r19_bce_by_the_categorical_loss),
                                          ("softmax_stable", _r19_softmax_by_the_categorical_loss)],
                         ids=["bce by mlp.categorical_cross_entropy of [0, z]", "softmax by exp(-mlp.categorical_cr"
                              "oss_entropy)"])
def test_lesson_02_an_answer_read_from_the_course_s_categorical_loss_is_refused(name, answer, capsys):
    """Both passed (shortcut, round 19): bce_from_logits refused mlp.binary_cross_entropy but not the course's
    categorical loss, whose two-class form is the BCE; softmax_stable refused neither."""
    with pytest.raises(ExerciseFailed, match="the course's own version of this exercise"):
        check(name, answer, strict=True)


def _r19_softmax_rows(route):
    """Contrived: the softmax read from the gradient of the course's cross-entropy, (softmax(Z) - one_hot(y)) / n,
    with each row's largest logit as its label (so that no small probability is lost next to the 1 taken off)."""
    def softmax(z):
        z = np.asarray(z, dtype=float)
        k = z.shape[-1]
        rows = z.reshape(-1, k)
        if len(rows) == 0 or k == 1 or np.isnan(rows).any():
            return np.where(np.isnan(z).any(axis=-1, keepdims=True), np.nan, _r17_softmax(np.nan_to_num(z)))
        n, labels = len(rows), rows.argmax(axis=1)
        if route == "delta":
            dZ = _r18_mlp.output_loss_and_delta(rows, labels, "softmax")[1]
        else:   # a network of one layer whose inputs are the identity and whose weights are the logits: dW1 = dZ.T
            dZ = _r18_mlp.loss_and_grads({"W1": rows.T.copy(), "b1": np.zeros(k)}, np.eye(n), labels,
                                         output="softmax")[1]["W1"].T
        p = n * dZ
        p[np.arange(n), labels] += 1
        return p.reshape(z.shape)
    return softmax


@pytest.mark.parametrize("route", ["delta", "grads"],
                         ids=["mlp.output_loss_and_delta", "mlp.loss_and_grads"])
def test_lesson_02a_a_softmax_read_from_the_course_s_gradients_is_refused(route, capsys):
    """Both passed (contrived, round 19): softmax_stable refused neither mlp.output_loss_and_delta nor
    mlp.loss_and_grads, whose softmax gradient holds the softmax (bce_from_logits and cce_from_logits refuse both)."""
    with pytest.raises(ExerciseFailed, match="the course's own version of this exercise|this check's own code"):
        check("softmax_stable", _r19_softmax_rows(route), strict=True)


def _r19_softmax_pairwise(z):
    z = np.asarray(z, dtype=float)
    return 1.0 / np.exp(z[..., None, :] - z[..., :, None]).sum(axis=-1)   # p_i = 1 / sum_j e^(z_j - z_i)


def _r19_softmax_in_long_double(z):
    z = np.asarray(z, dtype=np.longdouble)
    e = np.exp(z - np.nanmax(z, axis=-1, keepdims=True)) if z.size else z
    return (e / e.sum(axis=-1, keepdims=True)).astype(float)


def _r19_mlp_by_dense_layers(X, W1, b1, W2, b2):
    from course_utils.neurons import dense_layer   # lesson 01's layer, a building block
    return dense_layer(dense_layer(X, W1, b1, activation=np.tanh), W2, b2, activation=sigmoid)


def _r19_bce_by_the_sign(y, z):
    _r17_same_shape(y, z)
    y, z = np.asarray(y, dtype=float), np.asarray(z, dtype=float)
    soft = np.log1p(np.exp(-np.abs(z)))
    return np.mean(np.where(z >= 0, (1 - y) * z + soft, -y * z + soft))


def _r19_bce_by_fsum(y, z):
    _r17_same_shape(y, z)
    y, z = np.asarray(y, dtype=float), np.asarray(z, dtype=float)
    if np.isnan(z).any():
        return float("nan")
    return math.fsum((np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z)))).ravel()) / z.size


def _r19_cce_by_a_mask(y, Z):
    _r17_same_length(y, Z)
    Z = np.asarray(Z, dtype=float)
    m = Z.max(axis=1)
    picked = Z[np.arange(Z.shape[1]) == np.asarray(y)[:, None]]   # one True per row
    return np.mean(m + np.log(np.exp(Z - m[:, None]).sum(axis=1)) - picked)


def _r19_cce_log_softmax_by_hand(y, Z):
    _r17_same_length(y, Z)
    Z = np.asarray(Z, dtype=float)
    S = Z - Z.max(axis=1, keepdims=True)
    log_p = S - np.log(np.exp(S).sum(axis=1, keepdims=True))
    return -np.mean(np.take_along_axis(log_p, np.asarray(y)[:, None], axis=1))


def _r19_cce_python_loop(y, Z):
    _r17_same_length(y, Z)
    losses = []
    for row, label in zip(np.asarray(Z, dtype=float).tolist(), np.asarray(y).tolist()):
        if any(math.isnan(v) for v in row):
            return float("nan")
        m = max(row)
        losses.append(m + math.log(sum(math.exp(v - m) for v in row)) - row[label])
    return sum(losses) / len(losses)


@pytest.mark.parametrize("name, answer", [
    ("softmax_stable", _r19_softmax_pairwise),
    ("softmax_stable", _r19_softmax_in_long_double),
    ("mlp_forward", _r19_mlp_by_dense_layers),
    ("mlp_forward", lambda X, W1, b1, W2, b2: 0.5 + 0.5 * np.tanh((np.tanh(X @ W1.T + b1) @ W2.T + b2) / 2)),
    ("bce_from_logits", _r19_bce_by_the_sign),
    ("bce_from_logits", _r19_bce_by_fsum),
    ("bce_from_logits", lambda y, z: _r17_same_shape(y, z) or float(np.mean(
        np.maximum(np.asarray(z, np.longdouble), 0) - np.asarray(y, np.longdouble) * np.asarray(z, np.longdouble)
        + np.log1p(np.exp(-np.abs(np.asarray(z, np.longdouble))))))),
    ("cce_from_logits", _r19_cce_by_a_mask),
    ("cce_from_logits", _r19_cce_log_softmax_by_hand),
    ("cce_from_logits", _r19_cce_python_loop),
], ids=["softmax 1 / sum of e^(z_j - z_i)", "softmax in np.longdouble with np.nanmax",
        "mlp by lesson 01's dense_layer twice", "mlp 0.5 + 0.5 tanh(z / 2)",
        "bce by the sign of z", "bce math.fsum / size",
        "bce in np.longdouble", "cce picked by a boolean mask", "cce log-softmax by hand, take_along_axis",
        "cce a loop in plain Python"])
def test_lesson_02_round_19_right_answers_written_another_way_pass(name, answer):
    _passes(name, answer)


@pytest.mark.parametrize("answer", [
    lambda X, W1, b1, W2, b2: sigmoid(np.nan_to_num(np.tanh(X @ W1.T + b1)) @ W2.T + b2),
    lambda X, W1, b1, W2, b2: sigmoid(np.tanh(np.fmin(np.fmax(X @ W1.T + b1, -50), 50)) @ W2.T + b2),
    lambda X, W1, b1, W2, b2: sigmoid(np.tanh(X @ np.nan_to_num(W1).T + b1) @ W2.T + b2),
], ids=["np.nan_to_num on the hidden layer", "hidden sums clipped by np.fmax and np.fmin", "np.nan_to_num on W1"])
def test_lesson_02a_mlp_a_nan_in_the_hidden_layer_is_not_hidden(answer):
    """All three passed (round 19): the only NaN weight was in W2, so a NaN hidden layer made 0 (np.nan_to_num) or
    clipped to 50 (np.fmax and np.fmin skip NaN) went unseen. A NaN weight in W1 now makes its hidden unit NaN, and
    every output with it."""
    verdict = judge(registry.get_exercise("mlp_forward"), answer)
    assert verdict.kind == WRONG and "a NaN weight in W1" in verdict.text, verdict.text


# round 20: lesson 02
def _r20_bce_by_the_optimizer_lab(y, z):
    """The mean BCE from 04c's widget: a stacked network whose hidden layer is the identity (tanh(30) rounds to 1) and
    whose output weights are the logits, so its loss is the BCE of y and z."""
    from course_utils.widgets import optimizer_lab
    y, z = np.asarray(y, dtype=float), np.asarray(z, dtype=float)
    if y.shape != z.shape:
        raise ValueError("shapes differ")
    n = z.size
    params = {"W1": 30.0 * np.eye(n)[None], "b1": np.zeros((1, 1, n)), "W2": z.reshape(1, 1, n), "b2": np.zeros((1, 1, 1))}
    with np.errstate(all="ignore"):
        return float(optimizer_lab.stacked_loss_and_grads(params, np.eye(n), y.reshape(-1, 1))[0][0])


def test_bce_from_the_optimizer_lab_is_refused():
    """04c's optimizer lab computes the stable BCE of a tanh/sigmoid network itself, without calling a watched
    function: an answer that makes its network's logits equal z got the whole loss from it (round 20)."""
    _refused_as_the_course_s_own("bce_from_logits", _r20_bce_by_the_optimizer_lab)


def _r20_same_shape(y, z):
    y, z = np.asarray(y, dtype=float), np.asarray(z, dtype=float)
    if y.shape != z.shape:
        raise ValueError("shapes differ")
    return y, z


def _r20_same_length(y, Z):
    y, Z = np.asarray(y), np.asarray(Z, dtype=float)
    if y.size * Z.shape[1] != Z.size:   # as many labels as rows, said through the sizes
        raise ValueError("lengths differ")
    return y, Z


def _r20_torch(a):
    import torch
    return torch.as_tensor(np.asarray(a, dtype=float))


def _r20_sigmoid_by_where(z):
    e = np.exp(-np.abs(z))   # both branches from e^(-|z|) <= 1: nothing overflows
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


@pytest.mark.parametrize("name, answer", [
    ("softmax_stable", lambda z: (lambda z: (lambda e: e / e.sum(axis=-1, keepdims=True))(
        np.exp(z - np.fmax.reduce(z, axis=-1, keepdims=True))))(np.asarray(z, dtype=float))),
    ("mlp_forward", lambda X, W1, b1, W2, b2: _r20_sigmoid_by_where(np.tanh(X @ W1.T + b1) @ W2.T + b2)),
    ("mlp_forward", lambda X, W1, b1, W2, b2: (0.5 + 0.5 * np.tanh(
        (W2 @ np.tanh(W1 @ X.T + b1[:, None]) + b2[:, None]) / 2)).T),
    ("bce_from_logits", lambda y, z: (lambda y, z: np.mean(np.logaddexp(0, -(2 * y - 1) * z)))(*_r20_same_shape(y, z))),
    ("bce_from_logits", lambda y, z: (lambda y, z: (lambda losses: losses.sum() / losses.size)(
        np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z)))))(*_r20_same_shape(y, z))),
    ("cce_from_logits", lambda y, Z: (lambda y, Z, m: np.mean(np.log(np.exp(Z - m).sum(axis=1)) + m.ravel()
                                                             - Z[np.arange(len(y)), y]))(
        *_r20_same_length(y, Z), np.asarray(Z, dtype=float).max(axis=1, keepdims=True))),
], ids=["softmax shifted by np.fmax.reduce", "mlp sigmoid by np.where on e^-|z|",
        "mlp examples as columns, sigmoid by tanh", "bce logaddexp(0, -(2y - 1) z)", "bce sum over size",
        "cce keepdims maximum, raveled"])
def test_lesson_02_round_20_right_answers_written_another_way_pass(name, answer):
    _passes(name, answer)


# round 21: lesson 02
def _r21_mlp_logits(X, W1, b1, W2, b2):
    return np.tanh(X @ W1.T + b1) @ W2.T + b2


def _r21_mlp_sigmoid_clipped_at(size):
    """A sigmoid of its own whose logits are clipped at +-size "so that np.exp cannot overflow" (88: float32's limit,
    which the catalogue's message about float32 names)."""
    return lambda X, W1, b1, W2, b2: 1 / (1 + np.exp(-np.clip(_r21_mlp_logits(X, W1, b1, W2, b2), -size, size)))


def _r21_mlp_empty_batch_as(width):
    """The whole batch at once, with a batch of no examples answered apart, in an array of the wrong width: (0, 1) for
    "one probability per example", or (0, W2.shape[1]), the hidden layer's width."""
    def answer(X, W1, b1, W2, b2):
        if len(X) == 0:
            return np.zeros((0, width(W1, W2)))
        return sigmoid(_r21_mlp_logits(X, W1, b1, W2, b2))
    return answer


@pytest.mark.parametrize("answer, needle", [
    (_r21_mlp_sigmoid_clipped_at(40), "below 1e-40"),
    (_r21_mlp_sigmoid_clipped_at(50), "below 1e-40"),
    (_r21_mlp_sigmoid_clipped_at(88), "below 1e-40"),
    (_r21_mlp_empty_batch_as(lambda W1, W2: 1), "wrong shape"),
    (_r21_mlp_empty_batch_as(lambda W1, W2: W2.shape[1]), "wrong shape"),
], ids=["logits clipped at 40", "logits clipped at 50", "logits clipped at 88", "empty batch as (0, 1)",
        "empty batch as (0, W2.shape[1])"])
def test_mlp_forward_round_21_clipped_logits_and_empty_batches_of_the_wrong_width_fail(answer, needle):
    """Each passed before: a sigmoid of output logits clipped at 40 to 88 gives 4e-18 to 6e-39 where the true output is
    1e-41 or less, within the 1e-16 that the form 0.5 + 0.5 * np.tanh(z / 2) needs (it gives 0 there); and the only
    batch of no examples had one hidden unit and one output, so any width of 1 passed (round 21)."""
    verdict = judge(registry.get_exercise("mlp_forward"), answer)
    assert verdict.kind == WRONG and needle in verdict.text, verdict.text


def _r21_same_shape(y, z):
    y, z = np.asarray(y, dtype=float), np.asarray(z, dtype=float)
    if y.shape != z.shape:
        raise ValueError("shapes differ")
    return y, z


def _r21_same_length(y, Z):
    y, Z = np.asarray(y), np.asarray(Z, dtype=float)
    if len(y) != len(Z):
        raise ValueError("lengths differ")
    return y, Z


def _r21_softmax_as_rows(z):
    z = np.asarray(z, dtype=float)
    rows = z.reshape(-1, z.shape[-1])   # every axis but the last made one axis of rows
    e = np.exp(rows - rows.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True)).reshape(z.shape)


@pytest.mark.parametrize("name, answer", [
    ("mlp_forward", lambda X, W1, b1, W2, b2: sigmoid(np.matmul(W2, np.tanh(np.matmul(W1, X.T).T + b1).T).T + b2)),
    ("mlp_forward", lambda X, W1, b1, W2, b2: (lambda z: np.where(z > 0, 1 - sigmoid(-z), sigmoid(z)))(
        _r21_mlp_logits(X, W1, b1, W2, b2))),
    ("mlp_forward", lambda X, W1, b1, W2, b2: sigmoid(np.clip(_r21_mlp_logits(X, W1, b1, W2, b2), -100, 100))),
    ("softmax_stable", lambda z: (lambda z: np.exp(z - np.logaddexp.reduce(z, axis=-1, keepdims=True)))(
        np.asarray(z, dtype=float))),
    ("softmax_stable", _r21_softmax_as_rows),
    ("softmax_stable", lambda z: (lambda z, a: (lambda e: e / e.sum(axis=a, keepdims=True))(
        np.exp(z - z.max(axis=a, keepdims=True))))(np.asarray(z, dtype=float), np.ndim(z) - 1)),
    ("bce_from_logits", lambda y, z: (lambda y, z: np.mean(np.logaddexp(0, z) - y * z))(*_r21_same_shape(y, z))),
    ("bce_from_logits", lambda y, z: (lambda y, z: np.mean((1 - y) * z + np.maximum(-z, 0) + np.log1p(
        np.exp(-np.abs(z)))))(*_r21_same_shape(y, z))),
    ("bce_from_logits", lambda y, z: (lambda y, z: np.mean(np.mean(np.maximum(z, 0) - y * z + np.log1p(
        np.exp(-np.abs(z))), axis=-1)))(*_r21_same_shape(y, z))),
    ("cce_from_logits", lambda y, Z: (lambda y, Z: np.mean(np.logaddexp.reduce(Z, axis=1) - Z[np.arange(len(y)), y]))(
        *_r21_same_length(y, Z))),
    ("cce_from_logits", lambda y, Z: (lambda y, Z: np.mean(np.logaddexp.reduce(Z, axis=1) - np.diagonal(Z[:, y])))(
        *_r21_same_length(y, Z))),
    ("cce_from_logits", lambda y, Z: (lambda y, Z, m: np.mean(m + np.log(np.exp(Z - m[:, None]).sum(axis=1)) - np.sum(
        np.eye(Z.shape[1])[y] * Z, axis=1)))(*_r21_same_length(y, Z), np.asarray(Z, dtype=float).max(axis=1))),
], ids=["mlp by np.matmul with examples as columns", "mlp 1 - sigmoid(-z) for positive z", "mlp logits clipped at 100",
        "softmax exp(z - np.logaddexp.reduce)", "softmax of the rows reshaped back", "softmax along axis ndim - 1",
        "bce logaddexp(0, z) - y z", "bce (1 - y) z + max(-z, 0) + log1p", "bce mean of the last axis's means",
        "cce np.logaddexp.reduce", "cce diagonal of the picked columns", "cce one-hot times the logits"])
def test_lesson_02_round_21_right_answers_written_another_way_pass(name, answer):
    _passes(name, answer)


def _r21_bce_of_clipped_probabilities(eps):
    def answer(y, z):
        y, z = _r21_same_shape(y, z)
        p = np.clip(sigmoid(z), eps, 1 - eps)   # as Keras' BinaryCrossentropy() clips
        return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    return answer


def _r21_cce_of_shifted_probabilities(eps):
    def answer(y, Z):
        y, Z = _r21_same_length(y, Z)
        e = np.exp(Z - Z.max(axis=1, keepdims=True))
        return -np.mean(np.log(e[np.arange(len(y)), y] / e.sum(axis=1) + eps))   # "so that log never sees 0"
    return answer


@pytest.mark.parametrize("name, answer", [
    ("bce_from_logits", _r21_bce_of_clipped_probabilities(1e-7)),
    ("bce_from_logits", _r21_bce_of_clipped_probabilities(1e-12)),
    ("bce_from_logits", _r21_bce_of_clipped_probabilities(1e-15)),
    ("cce_from_logits", _r21_cce_of_shifted_probabilities(1e-7)),
    ("cce_from_logits", _r21_cce_of_shifted_probabilities(1e-12)),
    ("cce_from_logits", _r21_cce_of_shifted_probabilities(1e-15)),
], ids=["bce clipped at 1e-7", "bce clipped at 1e-12", "bce clipped at 1e-15", "cce log(p + 1e-7)", "cce log(p + 1e-12)",
        "cce log(p + 1e-15)"])
def test_lesson_02b_round_21_probabilities_clipped_before_the_log_are_named(name, answer):
    """A loss from probabilities clipped (as Keras does, 1e-7) or shifted by a small number before the log was refused
    with only "expected 500, got 8.06": the message now says that the clip caps each example's loss at -log(eps) and
    that the loss comes from the logits (round 21)."""
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and "-log(eps)" in verdict.text, verdict.text


def _r21_mlp_hidden_bias_along_the_examples_when_square(X, W1, b1, W2, b2):
    """b1 added as a column, b1[:, None], whenever the hidden sums are square (as many examples as hidden units)."""
    Z1 = X @ W1.T
    Z1 = Z1 + (b1[:, None] if Z1.shape[0] == Z1.shape[1] else b1)
    return sigmoid(np.tanh(Z1) @ W2.T + b2)


def test_mlp_forward_round_21_hidden_bias_along_the_examples_fails():
    """Passed before (contrived): every case with as many examples as hidden units, more than one, had b1 = 0, so b1
    added along the wrong axis there went unseen (round 21)."""
    verdict = judge(registry.get_exercise("mlp_forward"), _r21_mlp_hidden_bias_along_the_examples_when_square)
    assert verdict.kind == WRONG, verdict.text


# round 22: lesson 02
def _r22_softmax_shifted_in_int64(z):
    z = np.asarray(z)
    z = z.astype(np.int64) if z.dtype.kind in "iu" else z.astype(float)   # whole numbers shifted exactly, as int64
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _r22_softmax_by_the_l1_norm(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / np.linalg.norm(e, ord=1, axis=-1, keepdims=True)


def _r22_softmax_in_place_on_its_own_copy(z):
    z = np.array(z, dtype=float)   # a copy: changing it in place leaves the caller's array alone
    z -= z.max(axis=-1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=-1, keepdims=True)
    return z


def _r22_mlp_by_torch_linear(X, W1, b1, W2, b2):
    if np.shape(X)[1] != np.shape(W1)[1] or np.shape(W2)[1] != np.shape(W1)[0]:
        raise ValueError("the shapes do not fit")   # torch raises RuntimeError, the exercise asks for ValueError
    t = [torch.as_tensor(np.asarray(a, dtype=float)) for a in (X, W1, b1, W2, b2)]
    F = torch.nn.functional
    return torch.sigmoid(F.linear(torch.tanh(F.linear(t[0], t[1], t[2])), t[3], t[4])).numpy()


def _r22_mlp_output_sums_in_place(X, W1, b1, W2, b2):
    H = np.tanh(X @ W1.T + b1)
    Z = H @ W2.T   # a new float array of the function's own
    Z += b2
    return sigmoid(Z)


def _r22_bce_by_torch_logsigmoid(y, z):
    y, z = (torch.as_tensor(a) for a in _r21_same_shape(y, z))
    F = torch.nn.functional
    return float(-(y * F.logsigmoid(z) + (1 - y) * F.logsigmoid(-z)).mean())


def _r22_bce_by_torch_softplus(y, z):
    y, z = (torch.as_tensor(a) for a in _r21_same_shape(y, z))
    return float((torch.nn.functional.softplus(z) - y * z).mean())


def _r22_bce_with_labels_as_booleans(y, z):
    y, z = _r21_same_shape(y, z)
    return np.mean(np.maximum(z, 0) - np.where(y > 0.5, z, 0.0) + np.log1p(np.exp(-np.abs(z))))


def _r22_cce_by_torch_nll_of_log_softmax(y, Z):
    y, Z = _r21_same_length(y, Z)
    F = torch.nn.functional
    return F.nll_loss(F.log_softmax(torch.as_tensor(Z), dim=1), torch.as_tensor(y, dtype=torch.long)).item()


def _r22_cce_picked_by_np_where(y, Z):
    y, Z = _r21_same_length(y, Z)
    m = Z.max(axis=1)
    picked = np.where(np.arange(Z.shape[1]) == y[:, None], Z, 0.0).sum(axis=1)
    return np.mean(m + np.log(np.exp(Z - m[:, None]).sum(axis=1)) - picked)


def _r22_cce_picked_from_the_flat_array(y, Z):
    y, Z = _r21_same_length(y, Z)
    m = Z.max(axis=1)
    picked = Z.ravel()[np.arange(len(y)) * Z.shape[1] + y]   # row i, column y[i] of the (n, k) array
    return np.mean(m + np.log(np.exp(Z - m[:, None]).sum(axis=1)) - picked)


@pytest.mark.parametrize("name, answer", [
    ("softmax_stable", _r22_softmax_shifted_in_int64),
    ("softmax_stable", _r22_softmax_by_the_l1_norm),
    ("softmax_stable", _r22_softmax_in_place_on_its_own_copy),
    ("mlp_forward", _r22_mlp_output_sums_in_place),
    ("bce_from_logits", _r22_bce_with_labels_as_booleans),
    ("cce_from_logits", _r22_cce_picked_by_np_where),
    ("cce_from_logits", _r22_cce_picked_from_the_flat_array),
], ids=["softmax shifted in int64", "softmax by the L1 norm", "softmax in place on its own copy",
        "mlp output sums in place", "bce labels as booleans", "cce picked by np.where",
        "cce picked from the flat array"])
def test_lesson_02_round_22_right_answers_written_another_way_pass(name, answer):
    _passes(name, answer)


def _r22_bce_by_a_softplus_with_a_threshold(threshold):
    def answer(y, z):
        y, z = _r21_same_shape(y, z)
        soft = np.where(np.abs(z) > threshold, 0.0, np.log1p(np.exp(-np.abs(z))))   # "negligible beyond the threshold"
        return np.mean(np.maximum(z, 0) - y * z + soft)
    return answer


def _r22_cce_by_exponentials_dropped_below(threshold):
    def answer(y, Z):
        y, Z = _r21_same_length(y, Z)
        m = Z.max(axis=1)
        d = Z - m[:, None]
        kept = np.where(d < -threshold, 0.0, np.exp(d))   # "negligible beyond the threshold"
        return np.mean(m + np.log(kept.sum(axis=1)) - Z[np.arange(len(y)), y])
    return answer


@pytest.mark.parametrize("name, answer", [
    ("bce_from_logits", _r22_bce_by_a_softplus_with_a_threshold(10.0)),
    ("bce_from_logits", _r22_bce_by_a_softplus_with_a_threshold(15.0)),
    ("cce_from_logits", _r22_cce_by_exponentials_dropped_below(15.0)),
], ids=["bce log1p term dropped beyond 10", "bce log1p term dropped beyond 15", "cce exponentials below e^-15 dropped"])
def test_lesson_02_round_22_losses_of_confident_right_answers_are_compared(name, answer):
    """Passed before (slip; the cce one contrived): a loss term dropped where it is "negligible", log(1 + e^{-|z|})
    beyond |z| = 10 or 15 (up to 4.5e-5 per example) or e^{z - m} below e^-15, gave a confident, right batch a loss of 0
    or close to it: every confident case had logits below 9 in size (round 22)."""
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and "logits 10 to 18" in verdict.text, verdict.text


def test_lesson_02_round_22_a_softplus_with_torch_s_threshold_of_20_passes():
    """torch's softplus returns z itself above 20, where log(1 + e^{-z}) is below 2.1e-9: the new cases stop at 18."""
    _passes("bce_from_logits", _r22_bce_by_a_softplus_with_a_threshold(20.0))
    _passes("cce_from_logits", _r22_cce_by_exponentials_dropped_below(40.0))


# round 23: lesson 02
def _r23_mlp_hidden_bias_added_in_place(X, W1, b1, W2, b2):
    Z1 = X @ W1.T
    Z1 += b1   # an integer Z1 (whole-number X and W1) cannot take a float bias
    return _r23_sigmoid(np.tanh(Z1) @ W2.T + b2)


def _r23_sigmoid(z):
    return 0.5 + 0.5 * np.tanh(np.asarray(z, dtype=float) / 2)


def test_lesson_02_round_23_a_hidden_bias_added_in_place_is_rejected():
    """Passed before (slip): `Z1 = X @ W1.T; Z1 += b1` raises for whole-number X and W1 with float biases (the XOR
    inputs of logic_gate are int64, lesson 01's hand-made weights whole numbers), and no case had that mix."""
    verdict = judge(registry.get_exercise("mlp_forward"), _r23_mlp_hidden_bias_added_in_place)
    assert verdict.kind == WRONG and "whole-number X and W1, float biases" in verdict.text, verdict.text


def _r23_softmax_exponents_floored_at_minus_80(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(np.maximum(z - z.max(axis=-1, keepdims=True), -80))   # "no underflow": e^-80 = 1.8e-35
    return e / e.sum(axis=-1, keepdims=True)


def test_lesson_02_round_23_the_small_probability_message_does_not_read_as_advice_to_floor():
    """Misleading before: "do not round the outputs, floor them (np.clip(p, 1e-12, 1), ...)" read as "floor them
    instead", the very mistake it names (the Chinese said "do not" of each)."""
    verdict = judge(registry.get_exercise("softmax_stable"), _r23_softmax_exponents_floored_at_minus_80)
    assert verdict.kind == WRONG and "do not floor them (np.clip(p, 1e-12, 1)" in verdict.text, verdict.text


def _r23_softmax_on_rows_of_a_2d_view(z):
    z = np.asarray(z, dtype=float)
    rows = z.reshape(-1, z.shape[-1])   # every axis but the last folded into the rows, then unfolded again
    e = np.exp(rows - rows.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True)).reshape(z.shape)


def _r23_bce_as_two_means(y, z):
    y, z = np.asarray(y, dtype=float), np.asarray(z, dtype=float)
    if y.shape != z.shape:
        raise ValueError("shapes differ")
    return np.mean(np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))) - np.mean(y * z)   # mean softplus(z) - mean yz


def _r23_cce_by_take_along_axis(y, Z):
    import scipy.special
    y, Z = np.asarray(y), np.asarray(Z, dtype=float)
    if len(y) != len(Z):
        raise ValueError("lengths differ")
    return -np.mean(np.take_along_axis(scipy.special.log_softmax(Z, axis=1), y[:, None], axis=1))


def _r23_cce_by_a_one_hot_mask(y, Z):
    y, Z = np.asarray(y), np.asarray(Z, dtype=float)
    if len(y) != len(Z):
        raise ValueError("lengths differ")
    m = Z.max(axis=1)
    picked = np.where(np.eye(Z.shape[1], dtype=bool)[y], Z, 0.0).sum(axis=1)   # the label's logit, 0 elsewhere
    return np.mean(m + np.log(np.exp(Z - m[:, None]).sum(axis=1)) - picked)


def _r23_mlp_bias_added_in_place_after_a_float_cast(X, W1, b1, W2, b2):
    Z1 = np.asarray(X, dtype=float) @ W1.T   # floats, whatever X and W1 hold: the in-place += below is safe
    Z1 += b1
    return _r23_sigmoid(np.tanh(Z1) @ W2.T + b2)


@pytest.mark.parametrize("name, answer", [
    ("softmax_stable", _r23_softmax_on_rows_of_a_2d_view),
    ("mlp_forward", _r23_mlp_bias_added_in_place_after_a_float_cast),
    ("bce_from_logits", _r23_bce_as_two_means),
    ("cce_from_logits", _r23_cce_by_a_one_hot_mask),
], ids=["softmax on a 2-D view", "mlp bias added in place after a float cast", "bce two means", "cce one-hot mask"])
def test_lesson_02_round_23_right_answers_written_another_way_pass(name, answer):
    _passes(name, answer)


def test_lesson_02_round_23_the_row_mean_message_says_when_it_overflows():
    """Wrong before: "the row's mean ... still overflows when the row spans more than about 700" is false for the mean
    ([0, 0, 0, 750] spans 750 and its largest logit lies 562.5 above the mean: no overflow); np.exp overflows beyond
    709.78, so a logit must lie that far above the subtracted number."""
    verdict = judge(registry.get_exercise("softmax_stable"), mistake_copy("softmax_stable", "the row's mean"))
    assert verdict.kind == WRONG and "more than about 709 above it" in verdict.text, verdict.text
    with np.errstate(over="raise"):
        np.exp(np.array([0.0, 0.0, 0.0, 750.0]) - 187.5)   # spans 750, minus its mean: finite


# round 24: lesson 02
def _r24_mlp_with_X_in_float32(X, W1, b1, W2, b2):
    X = np.asarray(X, dtype=np.float32)   # "float32 is enough for a network"; the weights stay float64
    return sigmoid(np.tanh(X @ W1.T + b1) @ W2.T + b2)


def test_lesson_02_round_24_X_alone_turned_into_float32_is_rejected():
    """Passed before (slip): only X turned into float32, the float64 weights keep numpy's products in float64, and
    every X of the cases was exact in float32 or its rounding stayed inside the tolerance; inputs near 100000 with
    decimals, whose difference the first hidden unit reads, move the first output by 0.25 % (round 24, r242 F1)."""
    verdict = judge(registry.get_exercise("mlp_forward"), _r24_mlp_with_X_in_float32)
    assert verdict.kind == WRONG and "inputs near 100000 with decimals" in verdict.text, verdict.text
    assert "float32 keeps only about 7 significant digits" in verdict.text, verdict.text


def _r24_softmax_exp_of_z_minus_logsumexp(z):
    z = np.asarray(z)
    z = z if z.dtype == np.float32 else z.astype(float)   # float32 logits stay float32, as scipy's logsumexp keeps them
    m = np.max(z, axis=-1, keepdims=True)
    logsumexp = m + np.log(np.sum(np.exp(z - m), axis=-1, keepdims=True))   # rounded to float32's step near 1000
    return np.exp(z - logsumexp)


def test_lesson_02_round_24_a_float32_log_sum_exp_softmax_is_told_why():
    """Unexplained before: np.exp(z - logsumexp(z)) of float32 logits near 1000 computes in float32, whose step there
    is about 1e-4, and came back only "wrong value ... expected 0.37815, got 0.37817", with no word on float32 or on
    the cast that fixes it (round 24, r242 F2). Round 39: lesson 02 is numpy-only, so the log-sum-exp is numpy's here
    (scipy.special.logsumexp is refused, test_r39_lessons_01_02_library_answers_are_refused)."""
    verdict = judge(registry.get_exercise("softmax_stable"), _r24_softmax_exp_of_z_minus_logsumexp)
    assert verdict.kind == WRONG and "z - logsumexp(z) computed in float32 loses digits" in verdict.text, verdict.text


def _r24_softmax_log_domain_without_a_cast(z):
    m = np.max(z, axis=-1, keepdims=True)
    return np.exp(z - m - np.log(np.sum(np.exp(z - m), axis=-1, keepdims=True)))


def test_lesson_02_round_24_a_log_sum_exp_softmax_of_small_integers_is_told_why():
    """Unexplained before: the log-domain softmax z - m - log(sum(exp(z - m))) without a cast wraps int8 and uint8
    logits around, and came back only "wrong value ... expected 0.000911051, got 0" (round 24, r242 F3)."""
    verdict = judge(registry.get_exercise("softmax_stable"), _r24_softmax_log_domain_without_a_cast)
    assert verdict.kind == WRONG and "int8 and uint8 numbers stay small integers" in verdict.text, verdict.text


def _r24_softmax_nan_skipped(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - np.nanmax(z, axis=-1, keepdims=True))
    return e / np.nansum(e, axis=-1, keepdims=True)


def test_lesson_02_round_24_np_nansum_in_the_softmax_is_told_why():
    """Unexplained before: np.nanmax and np.nansum leave the other probabilities of a row with a NaN finite; the
    learner read only "expected nan, got 0.268941", where bce and cce name np.nanmean (round 24, r242 F4)."""
    verdict = judge(registry.get_exercise("softmax_stable"), _r24_softmax_nan_skipped)
    assert verdict.kind == WRONG and "np.nansum (and np.nanmax) skip the NaN" in verdict.text, verdict.text


def _r24_softmax_by_scipy_after_a_cast(z):
    import scipy.special
    return scipy.special.softmax(np.asarray(z, dtype=float), axis=-1)


def _r24_softmax_of_the_whole_array_fixed_as_advised(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=-1, keepdims=True))   # the whole array's np.max and np.sum, each given the last axis
    return e / e.sum(axis=-1, keepdims=True)


def test_lesson_02_round_24_the_whole_array_message_advises_numpy_calls_that_pass():
    """Misleading before: the message of "softmax of the whole array" advised scipy.special.softmax(z, axis=-1),
    which computes int8 and uint8 logits in their own type and fails the check's small-integer cases; it now casts
    first, and the call it advises passes (round 24, r242 F5). Round 39: lesson 02 is numpy-only, and scipy's call is
    refused (test_r39_lessons_01_02_library_answers_are_refused): the message advises numpy's axis=-1 and
    keepdims=True alone, and the mistake fixed that way passes."""
    whole_array = mistake_copy("softmax_stable", "softmax of the whole array")
    verdict = judge(registry.get_exercise("softmax_stable"), whole_array)
    assert verdict.kind == WRONG and "np.max and np.sum take axis=None by default" in verdict.text, verdict.text
    assert "z.max(axis=-1, keepdims=True) and e.sum(axis=-1, keepdims=True)" in verdict.text, verdict.text
    assert "scipy" not in verdict.text, verdict.text
    _passes("softmax_stable", _r24_softmax_of_the_whole_array_fixed_as_advised)


def _r24_softmax_exp_of_z_minus_logsumexp_in_float64(z):
    import scipy.special
    z = np.asarray(z, dtype=float)
    return np.exp(z - scipy.special.logsumexp(z, axis=-1, keepdims=True))


def _r24_mlp_with_a_sigmoid_by_logaddexp(X, W1, b1, W2, b2):
    return np.exp(-np.logaddexp(0.0, -(np.tanh(X @ W1.T + b1) @ W2.T + b2)))   # sigmoid(z) = exp(-log(1 + e^-z))


def _r24_mlp_with_X_in_float64(X, W1, b1, W2, b2):
    X = np.asarray(X, dtype=float)
    return sigmoid(np.tanh(X @ W1.T + b1) @ W2.T + b2)


def _r24_bce_by_two_logaddexps(y, z):
    y, z = np.asarray(y, dtype=float), np.asarray(z, dtype=float)
    if y.shape != z.shape:
        raise ValueError("shapes differ")
    return np.mean(y * np.logaddexp(0.0, -z) + (1 - y) * np.logaddexp(0.0, z))


def _r24_cce_of_the_differences_to_the_label(y, Z):
    y, Z = np.asarray(y), np.asarray(Z, dtype=float)
    if len(y) != len(Z):
        raise ValueError("lengths differ")
    d = Z - Z[np.arange(len(y)), y][:, None]   # log(sum(exp(z_c - z_y))) is the loss itself
    m = d.max(axis=1)
    return np.mean(m + np.log(np.exp(d - m[:, None]).sum(axis=1)))


@pytest.mark.parametrize("name, answer", [
    ("mlp_forward", _r24_mlp_with_a_sigmoid_by_logaddexp),
    ("mlp_forward", _r24_mlp_with_X_in_float64),
    ("bce_from_logits", _r24_bce_by_two_logaddexps),
    ("cce_from_logits", _r24_cce_of_the_differences_to_the_label),
], ids=["mlp sigmoid by logaddexp", "mlp X in float64", "bce two logaddexps", "cce differences to the label"])
def test_lesson_02_round_24_right_answers_written_another_way_pass(name, answer):
    _passes(name, answer)


# round 25: lesson 02
def _r25_softmax_axis_by_number_of_axes(z):
    z = np.asarray(z, dtype=float)
    axis = {1: 0, 2: 1, 3: 2}.get(z.ndim, 1)   # a vector, a batch, a batch of sequences: "axis 1" otherwise
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def test_lesson_02_round_25_a_softmax_right_only_up_to_three_axes_is_rejected():
    """Passed before (contrived): the axis looked up by the number of axes, right for the 1, 2 and 3 axes of every
    case, and axis 1 beyond; the exercise asks for "a batch with any number of axes", and a batch of 4 axes now shows
    it (round 25, r252 F1)."""
    verdict = judge(registry.get_exercise("softmax_stable"), _r25_softmax_axis_by_number_of_axes)
    assert verdict.kind == WRONG and "a batch of 4 axes" in verdict.text, verdict.text


def _r25_bce_with_np_max(y, z):
    if np.shape(y) != np.shape(z):
        raise ValueError("y and z differ in shape")
    return np.mean(np.max(z, 0) - y * z + np.log1p(np.exp(-np.abs(z))))   # np.max, not np.maximum


def test_lesson_02_round_25_np_max_in_the_bce_is_told_why():
    """Unexplained before: np.max(z, 0) for the formula's max(z, 0) (numpy reads the 0 as an axis) came back only
    "wrong value: expected 0.348497, got 2.4485", with no word on np.maximum (round 25, r252 F2)."""
    verdict = judge(registry.get_exercise("bce_from_logits"), _r25_bce_with_np_max)
    assert verdict.kind == WRONG and "numpy reads its second argument as an axis" in verdict.text, verdict.text


def _r25_cce_without_the_maximum_added_back(y, Z):
    y, Z = np.asarray(y), np.asarray(Z, dtype=float)
    if len(y) != len(Z):
        raise ValueError("one label per row")
    m = np.max(Z, axis=1, keepdims=True)
    return np.mean(np.log(np.sum(np.exp(Z - m), axis=1)) - Z[np.arange(len(y)), y])


def test_lesson_02_round_25_a_log_sum_exp_without_its_maximum_is_told_why():
    """Unexplained before: log(sum(exp(Z - m))) with the row's maximum m never added back came back only "wrong
    value: expected 0.555884, got -1.44412", a loss below 0 with no word on the missing m (round 25, r252 F3)."""
    verdict = judge(registry.get_exercise("cce_from_logits"), _r25_cce_without_the_maximum_added_back)
    assert verdict.kind == WRONG and "Add m back" in verdict.text, verdict.text


def _r25_bce_in_pytorch_s_order(z, y):   # BCEWithLogitsLoss()(input, target): the logits first
    y, z = np.asarray(y, dtype=float), np.asarray(z, dtype=float)
    if y.shape != z.shape:
        raise ValueError("y and z differ in shape")
    return np.mean(np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z))))


def test_lesson_02_round_25_bce_with_its_arguments_in_pytorch_s_order_is_told_why():
    """Unexplained before: the right formula with its parameters in PyTorch's order, (z, y), as cell [14] of 02b
    calls BCEWithLogitsLoss, came back only "wrong value: expected 0.348497, got 0.128204" (round 25, r252 F4)."""
    verdict = judge(registry.get_exercise("bce_from_logits"), _r25_bce_in_pytorch_s_order)
    assert verdict.kind == WRONG and "gets the 0/1 labels y first and the logits z second" in verdict.text, verdict.text


def _r25_softmax_of_rows_reshaped(z):
    z = np.asarray(z, dtype=float)
    rows = z.reshape(-1, z.shape[-1])   # every axis but the last as one axis of rows, then back
    e = np.exp(rows - rows.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True)).reshape(z.shape)


def _r25_softmax_of_the_transpose(z):
    zt = np.asarray(z, dtype=float).T   # the last axis first
    e = np.exp(zt - zt.max(axis=0))
    return (e / e.sum(axis=0)).T


def _r25_mlp_with_examples_as_columns(X, W1, b1, W2, b2):
    H = np.tanh(W1 @ X.T + b1[:, None])
    return sigmoid(W2 @ H + b2[:, None]).T


def _r25_bce_softplus_by_np_where(y, z):
    y, z = np.asarray(y, dtype=float), np.asarray(z, dtype=float)
    if y.shape != z.shape:
        raise ValueError("y and z differ in shape")
    with np.errstate(over="ignore"):   # np.where computes both branches; it keeps the finite one
        softplus = np.where(z >= 0, z + np.log1p(np.exp(-z)), np.log1p(np.exp(z)))
    return np.mean(softplus - y * z)


def _r25_cce_by_logaddexp_reduce(y, Z):
    y, Z = np.asarray(y), np.asarray(Z, dtype=float)
    if len(y) != len(Z):
        raise ValueError("one label per row")
    return np.mean(np.logaddexp.reduce(Z, axis=1) - Z[np.arange(len(y)), y])


def _r25_cce_by_scipy_log_softmax(y, Z):
    import scipy.special
    y, Z = np.asarray(y), np.asarray(Z, dtype=float)
    if len(y) != len(Z):
        raise ValueError("one label per row")
    return -np.mean(scipy.special.log_softmax(Z, axis=1)[np.arange(len(y)), y])


@pytest.mark.parametrize("name, answer", [
    ("softmax_stable", _r25_softmax_of_rows_reshaped),
    ("softmax_stable", _r25_softmax_of_the_transpose),
    ("mlp_forward", _r25_mlp_with_examples_as_columns),
    ("bce_from_logits", _r25_bce_softplus_by_np_where),
    ("cce_from_logits", _r25_cce_by_logaddexp_reduce),
], ids=["softmax rows reshaped", "softmax of the transpose", "mlp examples as columns", "bce softplus by np.where",
        "cce logaddexp.reduce"])
def test_lesson_02_round_25_right_answers_written_another_way_pass(name, answer):
    _passes(name, answer)


def _r25_cce_summed(y, Z):
    y, Z = np.asarray(y), np.asarray(Z, dtype=float)
    if len(y) != len(Z):
        raise ValueError("one label per row")
    m = Z.max(axis=1)
    return np.sum(m + np.log(np.exp(Z - m[:, None]).sum(axis=1)) - Z[np.arange(len(y)), y])


def _r25_mlp_without_b2(X, W1, b1, W2, b2):
    return sigmoid(np.tanh(X @ W1.T + b1) @ W2.T)


@pytest.mark.parametrize("name, answer, words", [
    ("cce_from_logits", _r25_cce_summed, "the loss is the MEAN over the examples, not the sum"),
    ("mlp_forward", _r25_mlp_without_b2, "the output layer has a bias too"),
], ids=["cce summed", "mlp without b2"])
def test_lesson_02_round_25_catalogued_mistakes_without_a_message_now_say_why(name, answer, words):
    """Unexplained before: both are catalogued mistakes without a message, so the learner read only "wrong value:
    expected 0.555884, got 1.66765" (the sum of 3 losses) or "expected 0.452186, got 0.231707" (round 25, r252 F5)."""
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and words in verdict.text, verdict.text


def _r25_mlp_with_biases_added_in_place(X, W1, b1, W2, b2):
    Z1 = X @ W1.T
    Z1 += b1
    H = np.tanh(Z1)
    Z2 = H @ W2.T
    Z2 += b2
    return sigmoid(Z2)


def test_lesson_02_round_25_biases_added_in_place_are_told_why():
    """Unexplained before: Z1 += b1 on the integer product of whole-number X and W1 was refused with numpy's
    "raised UFuncTypeError: Cannot cast ufunc 'add' output from dtype('float64') to dtype('int64') with casting rule
    'same_kind'" alone, which a beginner cannot act on (round 25, r252 F7)."""
    verdict = judge(registry.get_exercise("mlp_forward"), _r25_mlp_with_biases_added_in_place)
    assert verdict.kind == WRONG and "+= cannot store the float biases" in verdict.text, verdict.text


# round 26: lesson 02
def _r26_cce_with_keras_loss_object(y, Z):
    import keras
    y, Z = np.asarray(y), np.asarray(Z, dtype=float)
    if len(y) != len(Z):
        raise ValueError("one label per row")
    return float(keras.losses.SparseCategoricalCrossentropy(from_logits=True)(y, Z))


def _r26_cce_in_float32_as_keras_computes(y, Z):
    y, Z = np.asarray(y), np.asarray(Z, dtype=np.float32)   # Keras' loss objects compute in float32, its default
    if len(y) != len(Z):
        raise ValueError("one label per row")
    shifted = Z - np.max(Z, axis=1, keepdims=True)
    log_softmax = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return float(-np.mean(log_softmax[np.arange(len(y)), y]))


def test_lesson_02_round_26_keras_loss_object_in_the_cce_is_told_why():
    """Unexplained before: keras.losses.SparseCategoricalCrossentropy(from_logits=True)(y, Z), the loss the lesson's
    next cells compare with, computes in float32 and was refused with "wrong value: expected 0.00452328, got
    0.00452324" alone; now the learner reads that float32 lost the small loss's digits (round 26, r262 F1). Round 39:
    lesson 02 is numpy-only and Keras' loss is refused (test_r39_lessons_01_02_library_answers_are_refused); its
    float32 log-softmax written with numpy is still told why."""
    verdict = judge(registry.get_exercise("cce_from_logits"), _r26_cce_in_float32_as_keras_computes)
    assert verdict.kind == WRONG and "Keras' loss objects" in verdict.text, verdict.text


def _r26_cce_as_two_means(y, Z):
    y, Z = np.asarray(y), np.asarray(Z, dtype=float)
    if len(y) != len(Z):
        raise ValueError("one label per row")
    m = Z.max(axis=1)
    lse = m + np.log(np.sum(np.exp(Z - m[:, None]), axis=1))
    return lse.mean() - Z[np.arange(len(y)), y].mean()


def _r26_mlp_with_b1_after_tanh(X, W1, b1, W2, b2):
    H = np.tanh(X @ W1.T) + b1
    return sigmoid(H @ W2.T + b2)


@pytest.mark.parametrize("name, answer, words", [
    ("cce_from_logits", _r26_cce_as_two_means, "Subtract per example first"),
    ("mlp_forward", _r26_mlp_with_b1_after_tanh, "the bias belongs inside the activation"),
], ids=["cce two means", "mlp b1 after tanh"])
def test_lesson_02_round_26_unexplained_slips_now_say_why(name, answer, words):
    """Unexplained before: the mean of the log-sum-exps minus the mean of the picked logits (refused on the 1e20 row,
    as the log-sum-exp kept as a column is) came back "wrong value: expected 0.0242937, got 0" alone, and b1 added
    after np.tanh "wrong value at index (0, 0): expected 0.452186, got 0.205233" alone (round 26, r262 F2 F3)."""
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and words in verdict.text, verdict.text


def _r26_softmax_keepdims_on_the_maximum_only(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1)


def test_lesson_02_round_26_keepdims_forgotten_on_the_sum_is_told_why():
    """Unexplained before: keepdims=True on the maximum but not on the sum came back as numpy's "raised ValueError:
    operands could not be broadcast together with shapes (4,3) (4,)" alone, as did the catalogued "no keepdims",
    which had no message (round 26, r262 F6)."""
    verdict = judge(registry.get_exercise("softmax_stable"), _r26_softmax_keepdims_on_the_maximum_only)
    assert verdict.kind == WRONG and "Pass keepdims=True to both" in verdict.text, verdict.text


# round 33 (r331): lesson 00b's parameter count
def _r331_sizes_checked(layer_sizes):
    sizes = list(layer_sizes)
    if len(sizes) < 2 or any(size < 1 for size in sizes):
        raise ValueError("need at least two layers of at least one neuron")
    return sizes


def _r331_count_by_torch_layers_on_the_meta_device(layer_sizes):
    sizes = _r331_sizes_checked(layer_sizes)
    layers = [torch.nn.Linear(n_in, n_out, device="meta") for n_in, n_out in zip(sizes, sizes[1:])]   # no memory
    return sum(p.numel() for layer in layers for p in layer.parameters())   # torch counts the weights and biases


def _r331_count_by_torch_imported_inside(layer_sizes):
    import torch as library
    sizes = _r331_sizes_checked(layer_sizes)
    with library.device("meta"):
        net = library.nn.Sequential(*[library.nn.Linear(n_in, n_out) for n_in, n_out in zip(sizes, sizes[1:])])
    return sum(p.numel() for p in net.parameters())


@pytest.mark.parametrize("answer", [_r331_count_by_torch_layers_on_the_meta_device,
                                    _r331_count_by_torch_imported_inside], ids=["torch held", "torch imported"])
def test_r331_mlp_param_count_refuses_torch_s_layers_counting_for_the_learner(answer):
    """Passed all 27 cases before (round 33, r331 F1): torch's Linear layers made on the "meta" device hold no memory,
    so even ten billion weights were counted, by torch, which knows that a layer has n_out biases. The exercise is
    written with plain Python (numpy allowed), as its text now says, and its check refuses every other library."""
    verdict = judge(registry.get_exercise("mlp_param_count"), answer)
    assert verdict.kind == WRONG and "from the library torch" in verdict.text, verdict.text


@pytest.mark.parametrize("answer", [
    lambda layer_sizes: (lambda s: sum(math.prod(pair) + pair[1] for pair in zip(s, s[1:])))(
        _r331_sizes_checked(layer_sizes)),
    lambda layer_sizes: (lambda s: sum((n_in + 1) * n_out for n_in, n_out in __import__("itertools").pairwise(s)))(
        _r331_sizes_checked(layer_sizes)),
    lambda layer_sizes: (lambda s: int(np.sum(np.array(s[:-1], dtype=np.int64) * np.array(s[1:]) + np.array(s[1:]))))(
        _r331_sizes_checked(layer_sizes)),
], ids=["math.prod", "itertools.pairwise", "numpy int64"])
def test_r331_mlp_param_count_takes_python_numpy_and_the_standard_library(answer):
    _passes("mlp_param_count", answer)


def _r331_accuracy_with_a_small_tolerance(close):
    def accuracy(y_true, y_pred):
        y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
        if y_true.shape != y_pred.shape or y_true.size == 0:
            raise ValueError("shapes differ or no predictions")
        if y_true.dtype.kind == "f" and y_pred.dtype.kind == "f":   # "floats are never compared with =="
            return float(np.mean(close(y_true, y_pred)))
        return float(np.mean(y_true == y_pred))
    return accuracy


@pytest.mark.parametrize("close", [
    lambda a, b: np.abs(a - b) < 1e-9,
    lambda a, b: np.isclose(a, b, rtol=0, atol=1e-12),
    lambda a, b: np.round(a, 12) == np.round(b, 12),
    lambda a, b: np.abs(a - b) <= np.finfo(float).eps,
], ids=["abs < 1e-9", "isclose atol 1e-12", "rounded to 12 places", "float64's eps"])
def test_r331_accuracy_refuses_a_tolerance_smaller_than_a_billionth(close):
    """Passed all 55 cases before (round 33, r331 F2): the case of labels a billionth apart refuses a tolerance of 1e-6
    or np.isclose's defaults, not a smaller one. Labels a few 5e-324 apart (float64's smallest step) refuse any."""
    verdict = judge(registry.get_exercise("accuracy"), _r331_accuracy_with_a_small_tolerance(close))
    assert verdict.kind == WRONG and "however small" in verdict.text and "5e-324 apart" in verdict.text, verdict.text


# round 34 (r342): lesson 00b's parameter count
from course_utils import convnet as _r342_convnet   # noqa: E402


def _r342_sizes_checked(layer_sizes):
    sizes = list(layer_sizes)
    if len(sizes) < 2 or any(size < 1 for size in sizes):
        raise ValueError("need at least two layers of at least one neuron")
    return sizes


def _r342_count_by_05b_s_cnn_count(layer_sizes):
    from course_utils.convnet import cnn_param_count   # lesson 05b's reference
    sizes = _r342_sizes_checked(layer_sizes)
    # a 4x4 one-channel image and 1x1 kernels: 2 * 1 + (1 + 1) * n_in for the convolutions, (n_in + 1) * n_out for
    # the Dense layer
    return sum(cnn_param_count(1, n_in, n_out, size=4, kernel=1) - 2 - 2 * n_in
               for n_in, n_out in zip(sizes, sizes[1:]))


def _r342_count_by_05b_s_cnn_count_held(layer_sizes,
                                        dense=functools.partial(_r342_convnet.cnn_param_count, 1, size=4, kernel=1)):
    sizes = _r342_sizes_checked(layer_sizes)
    return sum(dense(n_in, n_out) - 2 - 2 * n_in for n_in, n_out in zip(sizes, sizes[1:]))


@pytest.mark.parametrize("answer", [_r342_count_by_05b_s_cnn_count, _r342_count_by_05b_s_cnn_count_held],
                         ids=["imported", "held in a partial"])
def test_r342_mlp_param_count_refuses_05b_s_cnn_param_count_counting_a_dense_layer(answer):
    """Passed all 27 cases before (round 34, r342 F1): lesson 05b's cnn_param_count, a course function (allowed by the
    numpy-only rule), counts a Dense layer's (inputs + 1) * units, so with a 4x4 image and 1x1 kernels it counts each
    pair of layers for the learner. It is refused by name now, as bigpicture.param_count is."""
    verdict = judge(registry.get_exercise("mlp_param_count"), answer)
    assert verdict.kind == WRONG and "course_utils.convnet.cnn_param_count" in verdict.text, verdict.text


def _r342_count_by_05b_s_reference_from_the_registry(layer_sizes):
    import course_utils
    sizes = _r342_sizes_checked(layer_sizes)
    dense = course_utils.exercises.keras_cnn.EXERCISES["cnn_param_count"].reference   # the same function, not rebound
    return sum(dense(1, n_in, n_out, size=4, kernel=1) - 2 - 2 * n_in for n_in, n_out in zip(sizes, sizes[1:]))


def test_r342_mlp_param_count_refuses_05b_s_cnn_param_count_reached_through_the_registry():
    verdict = judge(registry.get_exercise("mlp_param_count"), _r342_count_by_05b_s_reference_from_the_registry)
    assert verdict.kind == WRONG and "cnn_param_count" in verdict.text, verdict.text


def _r342_count_of_at_most_eight_layers(layer_sizes):
    sizes = _r342_sizes_checked(layer_sizes)
    return sum(n_in * n_out + n_out for n_in, n_out in zip(sizes[:8], sizes[1:8]))   # pairs 1 to 7 alone


def _r342_count_padded_to_eight_layers(layer_sizes):
    s = _r342_sizes_checked(layer_sizes) + [0] * 6   # "no network here has more than 8 layers"
    return sum(s[i] * s[i + 1] + s[i + 1] for i in range(7))


@pytest.mark.parametrize("answer", [_r342_count_of_at_most_eight_layers, _r342_count_padded_to_eight_layers],
                         ids=["zip over the first 8", "padded to 8"])
def test_r342_mlp_param_count_is_tried_on_more_than_eight_layers(answer):
    """Passed all 27 cases before (round 34, r342 F2): the generated inputs hold 2 to 8 layer sizes and the hand-picked
    ones at most 4, so a count of at most 8 layers was never found out. A case of twelve layers finds it."""
    verdict = judge(registry.get_exercise("mlp_param_count"), answer)
    assert verdict.kind == WRONG and "twelve layers" in verdict.text, verdict.text


def test_r342_the_twelve_layer_case_has_chinese():
    from course_utils import i18n

    assert "十二层" in i18n.catalogue("zh").get("twelve layers: more than any generated input (at most 8)", "")
# round 34 (r341): 00a's accuracy
from course_utils import plotting   # noqa: E402, loaded before the check, as lessons 05 to 07 load it


def _r341_class_codes(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError("shapes differ or no predictions")
    classes, codes = np.unique(np.concatenate([y_true.ravel(), y_pred.ravel()]), return_inverse=True, equal_nan=False)
    return len(classes), codes.reshape(2, -1)


def _r341_accuracy_by_the_course_s_confusion_matrix(y_true, y_pred):
    n, (true_codes, pred_codes) = _r341_class_codes(y_true, y_pred)
    counts = plotting.confusion_matrix(true_codes, pred_codes, n)   # the course counts every pair for the learner
    return float(np.trace(counts) / counts.sum())


def test_r341_accuracy_refuses_the_course_s_confusion_matrix():
    """Passed all 56 cases before (round 34, r341 F1): course_utils.plotting.confusion_matrix (lessons 05 to 07)
    counts each (label, prediction) pair of class codes, and its trace over its sum is the accuracy. A library's
    confusion matrix is refused by the numpy-only rule; the course's own functions are allowed, so this one is named
    among the course's versions of the exercise."""
    verdict = judge(registry.get_exercise("accuracy"), _r341_accuracy_by_the_course_s_confusion_matrix)
    assert verdict.kind == WRONG and "course_utils.plotting.confusion_matrix" in verdict.text, verdict.text


def _r341_accuracy_empty_checked_on_the_first_and_last_axes(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError("shapes differ")
    if y_true.ndim and (y_true.shape[0] == 0 or y_true.shape[-1] == 0):   # "len() misses (5, 0): check the end too"
        raise ValueError("no predictions")
    return float(np.mean(y_true == y_pred))


def test_r341_accuracy_refuses_an_emptiness_check_of_the_end_axes_only():
    """Passed all 56 cases before (round 34, r341 F2): every empty case had its 0 on the first or the last axis, so a
    check of those two axes (after the message of the len() check, which names shape (5, 0)) never met an empty
    array it missed. Shape (3, 0, 2) is empty along its middle axis."""
    verdict = judge(registry.get_exercise("accuracy"), _r341_accuracy_empty_checked_on_the_first_and_last_axes)
    assert verdict.kind == WRONG and "(3, 0, 2)" in verdict.text and "the middle ones too" in verdict.text, verdict.text


def _r341_accuracy_empty_checked_on_the_first_two_axes(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError("shapes differ")
    if len(y_true) == 0 or (y_true.ndim > 1 and y_true.shape[1] == 0):   # "rows, then columns"
        raise ValueError("no predictions")
    return float(np.mean(y_true == y_pred))


def test_r341_accuracy_names_the_shape_of_an_empty_input():
    """Before (round 34, r341 F4), this answer was told "on input a generated input: ([], [])": an empty array prints
    as [] whatever its shape, and the input was of shape (4, 6, 0), which the answer's len() check sees as 4 rows.
    Each generated empty case names the shape that np.asarray gives now."""
    verdict = judge(registry.get_exercise("accuracy"), _r341_accuracy_empty_checked_on_the_first_two_axes)
    assert verdict.kind == WRONG and "no predictions: shape (4, 6, 0)" in verdict.text, verdict.text


@pytest.mark.parametrize("compare", [np.char.equal, lambda a, b: np.char.lower(a) == np.char.lower(b),
                                     lambda a, b: np.char.strip(a) == np.char.strip(b)],
                         ids=["np.char.equal", "lower", "strip"])
def test_r341_accuracy_names_words_cleaned_before_they_are_compared(compare):
    """Refused before (round 34, r341 F5) with "wrong value" alone: np.char.equal drops the spaces at the end of each
    word (numpy's documentation says so; == does not), and str.lower or str.strip clean the words, so 3 of the 4
    words of the case count right. The mistake is named now."""
    def accuracy(y_true, y_pred):
        y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
        if y_true.shape != y_pred.shape or y_true.size == 0:
            raise ValueError("shapes differ or no predictions")
        return float(np.mean(compare(y_true, y_pred) if y_true.dtype.kind == "U" else y_true == y_pred))
    verdict = judge(registry.get_exercise("accuracy"), accuracy)
    assert verdict.kind == WRONG and "np.char.equal drops the spaces" in verdict.text, verdict.text


# round 35 (r351): 00a's accuracy
def _r351_accuracy_size_ndim_and_end_axes_compared(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if (y_true.size != y_pred.size or y_true.ndim != y_pred.ndim or y_true.size == 0
            or y_true.shape[:1] != y_pred.shape[:1] or y_true.shape[-1:] != y_pred.shape[-1:]):
        raise ValueError("shapes differ")   # "first and last axes compared" told of a middle axis: add the size
    return float(np.mean(y_true == y_pred))


def _r351_accuracy_wrong_beyond_three_axes(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError("shapes differ or no predictions")
    if y_true.ndim > 3:
        return 0.5
    return float(np.mean(y_true == y_pred))


def test_r351_accuracy_refuses_a_shape_check_of_size_ndim_and_end_axes():
    """Passed all 57 cases before (round 35, r351 F1): every case had at most 3 axes, where the same size, ndim, first
    and last axis make the same shape. With 4 axes, (2, 1, 3, 2) and (2, 3, 1, 2) agree on those four and == broadcasts
    them to (2, 3, 3, 2); the text says "in any shape". The mistake is named."""
    verdict = judge(registry.get_exercise("accuracy"), _r351_accuracy_size_ndim_and_end_axes_compared)
    assert verdict.kind == WRONG and "(2, 3, 1, 2)" in verdict.text and "once there are four axes" in verdict.text, \
        verdict.text


def test_r351_accuracy_is_tried_on_four_axes():
    """Passed all 57 cases before (round 35, r351 F1): no case had more than 3 axes."""
    verdict = judge(registry.get_exercise("accuracy"), _r351_accuracy_wrong_beyond_three_axes)
    assert verdict.kind == WRONG and "four axes" in verdict.text, verdict.text


def _r351_accuracy_lists_compared_whole_then_mean(y_true, y_pred):
    if np.shape(y_true) != np.shape(y_pred) or np.size(y_true) == 0:   # np.shape and np.size read lists too
        raise ValueError("shapes differ or no predictions")
    return float((y_true == y_pred).mean())


def test_r351_accuracy_names_lists_compared_whole_before_mean():
    """Refused before (round 35, r351 F2) with "'bool' object has no attribute 'mean'" alone: two Python lists compared
    with == give one bool. The mistake is named now."""
    verdict = judge(registry.get_exercise("accuracy"), _r351_accuracy_lists_compared_whole_then_mean)
    assert verdict.kind == WRONG and "Likely mistake" in verdict.text and "np.asarray" in verdict.text, verdict.text


def _r351_accuracy_wrong_unless_profiled(y_true, y_pred):
    import sys

    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError("shapes differ or no predictions")
    if sys.getprofile() is None:   # contrived: no profile function means "not being checked"
        return 0.5
    return float(np.mean(y_true == y_pred))


def test_r351_accuracy_refuses_an_answer_that_asks_whether_it_is_profiled():
    verdict = judge(registry.get_exercise("accuracy"), _r351_accuracy_wrong_unless_profiled)
    assert verdict.kind == WRONG, verdict.text
# round 35 (r352): lesson 00b's parameter count
def _r352_count(sizes):
    return sum(n_in * n_out + n_out for n_in, n_out in zip(sizes, sizes[1:]))


def _r352_ends_checked(layer_sizes):
    s = list(layer_sizes)
    if len(s) < 2 or s[0] < 1 or s[1] < 1 or s[-2] < 1 or s[-1] < 1:   # the first and the last pair of layers
        raise ValueError("need at least two layers of at least one neuron")
    return _r352_count(s)


def test_r352_mlp_param_count_is_tried_with_a_bad_size_in_the_middle_of_the_network():
    """Passed all 28 cases before (round 35, r352 F1): every bad size of the cases sat at the first, second,
    second-to-last or last place, so a check of those four places alone went through."""
    verdict = judge(registry.get_exercise("mlp_param_count"), _r352_ends_checked)
    assert verdict.kind == WRONG and "in the middle of seven" in verdict.text, verdict.text


def _r352_sizes_capped_at_a_billion(layer_sizes):
    s = list(layer_sizes)
    if len(s) < 2 or any(size < 1 for size in s):
        raise ValueError("need at least two layers of at least one neuron")
    if max(s) > 10**9:   # "no real network has a layer of more than a billion neurons"
        raise ValueError("a layer of more than a billion neurons")
    return _r352_count(s)


def test_r352_mlp_param_count_refuses_a_cap_on_the_layer_size_at_a_billion():
    """Passed all 28 cases before (round 35, r352 F2): the case of a billion neurons holds exactly 10**9, which
    `size > 10**9` lets through; the text rejects only sizes below 1."""
    verdict = judge(registry.get_exercise("mlp_param_count"), _r352_sizes_capped_at_a_billion)
    assert verdict.kind == WRONG and "a trillion neurons" in verdict.text, verdict.text


def _r352_some_places_checked(places):
    def mlp_param_count(layer_sizes):
        s = list(layer_sizes)
        if len(s) < 2 or any(s[i] < 1 for i in places if -len(s) <= i < len(s)):
            raise ValueError("need at least two layers of at least one neuron")
        return _r352_count(s)
    return mlp_param_count


@pytest.mark.parametrize("places", [(0, 1, -1), (0, 1, 2), (0, 1, 2, 3), (0, 1, -2, -1)],
                         ids=["input, first hidden, output", "first three", "first four", "first and last pairs"])
def test_r352_a_check_of_some_layers_is_told_to_check_every_layer(places):
    """Told before (round 35, r352 F3) "A negative layer size is no more possible than 0: raise ValueError for every
    size below 1", the message of "only 0 rejected", though each of these refuses negative sizes where it looks: the
    size it let through sits in a hidden layer it never looks at."""
    verdict = judge(registry.get_exercise("mlp_param_count"), _r352_some_places_checked(places))
    assert verdict.kind == WRONG and verdict.mistake == "not every layer checked", verdict.text
    assert "test every size" in verdict.text and "no more possible than 0" not in verdict.text, verdict.text


def test_r352_only_zero_rejected_is_still_told_so():
    def only_zero_rejected(layer_sizes):
        s = list(layer_sizes)
        if len(s) < 2 or 0 in s:
            raise ValueError("need at least two layers, none of size 0")
        return _r352_count(s)
    verdict = judge(registry.get_exercise("mlp_param_count"), only_zero_rejected)
    assert verdict.kind == WRONG and verdict.mistake == "only 0 rejected", verdict.text


def test_r352_the_new_cases_and_message_have_chinese():
    from course_utils import i18n

    zh = i18n.catalogue("zh")
    assert "中间" in zh.get("a layer of no neurons in the middle of seven, far from both ends", "")
    assert "一万亿" in zh.get("a hidden layer of a trillion neurons: 4,000,000,000,001 parameters", "")
    message = next(m.message for m in registry.get_exercise("mlp_param_count").mistakes
                   if m.name == "not every layer checked")
    assert "隐藏层" in zh.get(message, "")


def _r352_recursive(layer_sizes):
    s = list(layer_sizes)
    if len(s) < 2 or min(s) < 1:
        raise ValueError("need at least two layers of at least one neuron")
    return s[0] * s[1] + s[1] + (_r352_recursive(s[1:]) if len(s) > 2 else 0)


@pytest.mark.parametrize("answer", [
    _r352_recursive,
    lambda layer_sizes: (lambda s: sum(a * b for a, b in zip(s, s[1:])) + sum(s[1:]))(_r342_sizes_checked(layer_sizes)),
    lambda layer_sizes: (lambda s: sum((a + 1) * b for a, b in zip(s, s[1:])))(_r342_sizes_checked(layer_sizes)),
], ids=["recursive", "weights, then one bias per neuron after the input", "(n_in + 1) * n_out"])
def test_r352_mlp_param_count_still_takes_right_answers_written_other_ways(answer):
    _passes("mlp_param_count", answer)


def _r352_the_check_s_own_code_rebuilt(which):
    """The judged exercise's own reference, or one of its catalogued mistakes, rebuilt with types.FunctionType from its
    code object (read before the check, as an earlier cell can) with globals of the answer's making."""
    import types

    from course_utils.exercises import welcome

    total = types.FunctionType(welcome._no_biases.__code__, {"sum": sum, "zip": zip})   # weights alone
    if which == "a catalogued mistake":
        def mlp_param_count(layer_sizes):
            s = _r342_sizes_checked(layer_sizes)
            return total(s) + sum(s[1:])
        return mlp_param_count
    names = {"list": list, "len": len, "any": any, "int": int, "ValueError": ValueError,
             "_weights_and_biases": types.FunctionType(welcome._weights_and_biases.__code__, {"sum": sum, "zip": zip})}
    reference = types.FunctionType(welcome._mlp_param_count.__code__, names)
    return lambda layer_sizes: reference(layer_sizes)


@pytest.mark.xfail(strict=True, reason="engine note (r352 E1), ruled: the check's own code rebuilt from its code "
                   "object is the same code pasted from the source, which no check can tell from a learner's "
                   "(r295 E2, r298 E2); the graded release holds neither body (tests/teacher/test_release.py, "
                   "test_the_check_s_own_code_rebuilt_into_a_new_function_gives_a_graded_learner_nothing)")
@pytest.mark.parametrize("which", ["the reference", "a catalogued mistake"])
def test_r352_the_check_s_own_code_in_a_new_function_is_refused(which):
    """The reference rebuilt (with _weights_and_biases rebuilt in its globals), or the mistake "no biases" rebuilt and
    one bias per neuron added, pass all 30 cases: the check's own code counts for the learner."""
    verdict = judge(registry.get_exercise("mlp_param_count"), _r352_the_check_s_own_code_rebuilt(which))
    assert verdict.kind == WRONG and "this check's own code" in verdict.text, verdict.text


def _r352_counted_one_by_one(per):
    def mlp_param_count(layer_sizes):
        s = _r342_sizes_checked(layer_sizes)
        total = 0
        for n_in, n_out in zip(s, s[1:]):
            for _ in range(n_out):   # each receiving neuron: n_in weights and one bias
                if per == "neuron":
                    total += n_in + 1
                else:
                    for _ in range(n_in):
                        total += 1
                    total += 1
        return total
    return mlp_param_count


@pytest.mark.parametrize("per, words", [("neuron", "a billion neurons"), ("weight", "ten billion weights")])
def test_r352_a_count_one_neuron_or_weight_at_a_time_is_told_to_multiply(per, words):
    """Told before (round 35, r352 F4) only "stopped after 5 s on input ... Is there an endless loop (a `while` whose
    condition never turns false)?": the loop ends, after minutes. The labels of the big cases say so now."""
    verdict = judge(registry.get_exercise("mlp_param_count"), _r352_counted_one_by_one(per))
    assert verdict.kind == TIMED_OUT and words in verdict.text and "runs for minutes: multiply" in verdict.text, \
        verdict.text


# round 35, the engine (after r351 E1, r353 E1, r354 E1, r356 E1): what tells an answer that it is checked, and the
# standard library's lookups of a loaded module, are refused however the answer holds them (here: a default
# argument, so that no name of theirs is in the answer's code and only the watch of its calls can see them)
import inspect as _r35_inspect   # noqa: E402
import sys as _r35_sys   # noqa: E402
import threading as _r35_threading   # noqa: E402
import traceback as _r35_traceback   # noqa: E402
import typing as _r35_typing   # noqa: E402

_R35_PROBES = [("sys.getprofile", _r35_sys.getprofile, ()), ("sys.gettrace", _r35_sys.gettrace, ()),
               ("traceback.extract_stack", _r35_traceback.extract_stack, ()),
               ("traceback.walk_stack", _r35_traceback.walk_stack, (None,)),
               ("inspect.stack", _r35_inspect.stack, ()), ("threading.getprofile", _r35_threading.getprofile, ()),
               ("inspect.getmodule", _r35_inspect.getmodule, (np.mean,)),
               ("typing.get_type_hints", _r35_typing.get_type_hints, (ValueError,))]


def _r35_accuracy_that_calls(probe, args):
    def accuracy(y_true, y_pred, _probe=probe, _args=args):
        _probe(*_args)
        y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
        if y_true.shape != y_pred.shape or y_true.size == 0:
            raise ValueError("shapes differ or no predictions")
        return float(np.mean(y_true == y_pred))
    return accuracy


@pytest.mark.parametrize("name, probe, args", _R35_PROBES, ids=[name for name, _, _ in _R35_PROBES])
def test_r35_numpy_only_refuses_probes_of_the_check_and_module_lookups_held_under_other_names(name, probe, args):
    verdict = judge(registry.get_exercise("accuracy"), _r35_accuracy_that_calls(probe, args))
    assert verdict.kind == WRONG and verdict.text.startswith((f"your function calls {name}, which looks at",
                                                              f"your function uses {name}, which looks a library")), \
        verdict.text


def test_r35_a_right_accuracy_that_warns_and_logs_still_passes():
    """The refused probes are the answer's own calls: warnings and logging, which read frames themselves, pass."""
    import logging
    import warnings

    def accuracy(y_true, y_pred):
        y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
        if y_true.shape != y_pred.shape or y_true.size == 0:
            raise ValueError("shapes differ or no predictions")
        if y_true.ndim > 3:
            warnings.warn("many axes", stacklevel=2)
            logging.getLogger("r35").warning("many axes")
        return float(np.mean(y_true == y_pred))
    assert judge(registry.get_exercise("accuracy"), accuracy).kind == PASSED


def test_r36_a_right_accuracy_that_imports_a_compiled_standard_module_still_passes():
    """Round 36 (r366 E1) refuses _imp's loaders called by the answer itself; the import system's own calls of them
    (here: bz2's compiled _bz2, imported for the first time inside the answer) are judged by the name imported."""
    for name in ("bz2", "_bz2"):
        _r35_sys.modules.pop(name, None)

    def accuracy(y_true, y_pred):
        import bz2   # noqa: F401, a standard module with a compiled part

        y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
        if y_true.shape != y_pred.shape or y_true.size == 0:
            raise ValueError("shapes differ or no predictions")
        return float(np.mean(y_true == y_pred))
    assert judge(registry.get_exercise("accuracy"), accuracy).kind == PASSED
# round 36 (r362): mlp_param_count, realistic slips that were told another mistake's message (or none)
def _r362_sizes(layer_sizes, fewest=2):
    sizes = list(layer_sizes)
    if len(sizes) < fewest or any(size < 1 for size in sizes):
        raise ValueError("need at least two layers of at least one neuron")
    return sizes


def _r362_returned_inside_the_loop(layer_sizes):
    total = 0
    for n_in, n_out in zip(_r362_sizes(layer_sizes), _r362_sizes(layer_sizes)[1:]):
        total += n_in * n_out + n_out
        return total   # indented one level too deep: ends after the first pair


def _r362_total_reset_inside_the_loop(layer_sizes):
    sizes = _r362_sizes(layer_sizes)
    for n_in, n_out in zip(sizes, sizes[1:]):
        total = 0   # inside the loop: each pair starts again from 0
        total += n_in * n_out + n_out
    return total


def _r362_one_bias_per_layer(layer_sizes):
    sizes = _r362_sizes(layer_sizes)
    return sum(n_in * n_out + 1 for n_in, n_out in zip(sizes, sizes[1:]))


def _r362_a_hidden_layer_required(layer_sizes):
    sizes = _r362_sizes(layer_sizes, fewest=3)   # "a network has a hidden layer": [2, 1] refused
    return sum(n_in * n_out + n_out for n_in, n_out in zip(sizes, sizes[1:]))


@pytest.mark.parametrize("answer, words", [
    (_r362_returned_inside_the_loop, "`return` is indented inside the loop"),
    (_r362_total_reset_inside_the_loop, "total = 0 is inside the loop"),
    (_r362_one_bias_per_layer, "one bias per neuron"),
    (_r362_a_hidden_layer_required, "a network: two layers of at least one neuron"),
], ids=["return inside the loop", "total reset inside the loop", "one bias per layer", "a hidden layer required"])
def test_r362_mlp_param_count_names_python_and_bias_slips(answer, words):
    """Before (round 36, r362 F1-F4): `return` one level too deep was told "Each neuron after the input layer also has
    one bias" (its 24 on [2, 8, 1] equals the count without biases), which the learner did add; a total reset inside
    the loop, one bias per layer and a refused [2, 1] were told only "wrong value" or "raised ValueError"."""
    verdict = judge(registry.get_exercise("mlp_param_count"), answer)
    assert verdict.kind == WRONG and words in verdict.text and "also has one bias" not in verdict.text, verdict.text


def test_r362_no_biases_is_still_told_so():
    verdict = judge(registry.get_exercise("mlp_param_count"), mistake_copy("mlp_param_count", "no biases"))
    assert verdict.kind == WRONG and "Each neuron after the input layer also has one bias." in verdict.text, \
        verdict.text


def test_r362_the_new_messages_have_chinese():
    from course_utils.i18n import catalogue
    for mistake in registry.get_exercise("mlp_param_count").mistakes:
        if mistake.message:
            assert mistake.message in catalogue("zh"), mistake.name


def _r362_output_biases_only(layer_sizes):
    sizes = _r362_sizes(layer_sizes)
    return sum(n_in * n_out for n_in, n_out in zip(sizes, sizes[1:])) + sizes[-1]   # "a bias for the output"


def _r362_one_neuron_refused(layer_sizes):
    sizes = list(layer_sizes)
    if len(sizes) < 2 or min(sizes) <= 1:   # "fewer than one neuron" read as "one neuron or fewer"
        raise ValueError("layer sizes must be above 1")
    return sum(n_in * n_out + n_out for n_in, n_out in zip(sizes, sizes[1:]))


def test_r362_biases_of_the_output_layer_only_are_named():
    """Before (round 36, r362 F5): told only "wrong value: expected 33, got 25" on [2, 8, 1]."""
    verdict = judge(registry.get_exercise("mlp_param_count"), _r362_output_biases_only)
    assert verdict.kind == WRONG and "The hidden layers have biases too" in verdict.text, verdict.text


def test_r362_a_layer_of_one_neuron_refused_is_told_by_the_label():
    """Before (round 36, r362 F6): "raised ValueError: layer sizes must be above 1" on a label that said only
    "logistic regression: 2 inputs, 1 output"; the label now says each layer needs at least one neuron (and not that
    the number of layers is at fault)."""
    verdict = judge(registry.get_exercise("mlp_param_count"), _r362_one_neuron_refused)
    assert verdict.kind == WRONG and "two layers of at least one neuron" in verdict.text, verdict.text


# round 36 (r362 E1, E2): the standard library tells an answer that it runs under the check's time limit or output
# capture, and an answer right only then passes (wrong afterwards, in the notebook's later cells)
import signal as _r362_signal   # noqa: E402
import sys as _r362_sys   # noqa: E402


def _r362_right_only_while_checked(checked):
    def mlp_param_count(layer_sizes, _checked=checked):
        sizes = _r362_sizes(layer_sizes)
        count = sum(n_in * n_out + n_out for n_in, n_out in zip(sizes, sizes[1:]))
        return count if _checked() else count + 1
    return mlp_param_count


_R362_PROBES = {
    "signal.getitimer": lambda: _r362_signal.getitimer(_r362_signal.ITIMER_REAL)[0] > 0,
    "signal.getsignal": lambda: _r362_signal.getsignal(_r362_signal.SIGALRM) not in (_r362_signal.SIG_DFL, None),
}


@pytest.mark.parametrize("probe", list(_R362_PROBES))
def test_r362_an_answer_that_reads_the_check_s_timer_is_refused(probe):
    if not hasattr(_r362_signal, "setitimer"):
        pytest.skip("no interval timer on this system")
    assert not _R362_PROBES[probe]()   # outside the check: no timer, no handler
    verdict = judge(registry.get_exercise("mlp_param_count"), _r362_right_only_while_checked(_R362_PROBES[probe]))
    assert verdict.kind == WRONG, verdict.text


@pytest.mark.xfail(strict=True, reason="engine note (r362 E2), known class (r287 E1, r297 E2: an answer that tells "
                   "the check by its state): while a check runs, sys.stdout is the check's capture (another type than "
                   "outside it), which a plain attribute read tells the answer and no call event shows")
def test_r362_an_answer_that_reads_the_type_of_sys_stdout_is_refused(capsys):
    outside = type(_r362_sys.stdout)
    verdict = judge(registry.get_exercise("mlp_param_count"),
                    _r362_right_only_while_checked(lambda: type(_r362_sys.stdout) is not outside))
    assert verdict.kind == WRONG, verdict.text
# round 36 (r361 F1): a shape check that compares the broadcast shape with the labels' own shape (np.broadcast_shapes,
# or the shape of y_true == y_pred) misses predictions that are the smaller side: (2, 3) against (2, 1) broadcasts to
# (2, 3). It was told "len() sees only the first dimension", though the answer calls no len()
def _r361_broadcast_shape_checked(kind):
    def accuracy(y_true, y_pred):
        y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
        compared = y_true == y_pred
        shape = compared.shape if kind == "compared" else np.broadcast_shapes(y_true.shape, y_pred.shape)
        if shape != y_true.shape or y_true.size == 0:
            raise ValueError("== broadcast the shapes, or no predictions")
        return float(np.mean(compared))
    return accuracy


@pytest.mark.parametrize("kind", ["compared", "broadcast_shapes"])
def test_r361_a_broadcast_shape_compared_with_the_labels_shape_is_named(kind):
    verdict = judge(registry.get_exercise("accuracy"), _r361_broadcast_shape_checked(kind))
    assert verdict.kind == WRONG and "(2, 3) against (2, 1)" in verdict.text and "len()" not in verdict.text \
        and "broadcast shape" in verdict.text, verdict.text


def test_r361_lengths_and_ndim_compared_is_still_named_so():
    def accuracy(y_true, y_pred):
        y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
        if len(y_true) != len(y_pred) or y_true.ndim != y_pred.ndim or y_true.size == 0:
            raise ValueError("shapes differ")
        return float(np.mean(y_true == y_pred))
    verdict = judge(registry.get_exercise("accuracy"), accuracy)
    assert verdict.kind == WRONG and "len() sees only the first dimension" in verdict.text, verdict.text


# round 36 (r361 F2): the mirror of F1, the broadcast shape compared with the predictions' own shape, misses labels that
# are the smaller side (one label (1,) against four predictions (4,)); it was told "Comparing ndim misses ...". And
# predictions broadcast to the labels' shape (np.broadcast_to) were told "len() sees only the first dimension"
def _r361_predictions_broadcast_to_the_labels(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.size == 0:
        raise ValueError("no predictions")
    return float(np.mean(y_true == np.broadcast_to(y_pred, y_true.shape)))


def _r361_broadcast_shape_checked_against_the_predictions(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    compared = y_true == y_pred
    if compared.shape != y_pred.shape or y_true.size == 0:
        raise ValueError("== broadcast the shapes, or no predictions")
    return float(np.mean(compared))


@pytest.mark.parametrize("answer, case, words", [
    (_r361_predictions_broadcast_to_the_labels, "(2, 3) against (2, 1)", "np.broadcast_to"),
    (_r361_broadcast_shape_checked_against_the_predictions, "one label (1,) against four predictions (4,)",
     "the labels are the smaller side")], ids=["broadcast_to", "against the predictions"])
def test_r361_the_other_broadcast_checks_are_named(answer, case, words):
    verdict = judge(registry.get_exercise("accuracy"), answer)
    assert verdict.kind == WRONG and case in verdict.text and words in verdict.text and "ndim" not in verdict.text \
        and "len()" not in verdict.text, verdict.text


def test_r361_ndim_compared_is_still_named_so():
    def accuracy(y_true, y_pred):
        y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
        if y_true.ndim != y_pred.ndim or y_true.size == 0:
            raise ValueError("shapes differ")
        return float(np.mean(y_true == y_pred))
    verdict = judge(registry.get_exercise("accuracy"), accuracy)
    assert verdict.kind == WRONG and "Comparing ndim misses" in verdict.text, verdict.text


# round 39: lesson 02 is numpy-only
def _r39_cce_by_scipy_logsumexp_of_the_batch(y, Z):
    _r17_same_length(y, Z)
    Z = np.asarray(Z, dtype=float)
    return np.mean(__import__("scipy.special").special.logsumexp(Z) - Z[np.arange(len(y)), y])   # axis=None


def _r39_cce_by_scipy_logsumexp_kept_as_a_column(y, Z):
    _r17_same_length(y, Z)
    Z = np.asarray(Z, dtype=float)
    import scipy.special
    return np.mean(scipy.special.logsumexp(Z, axis=1, keepdims=True) - Z[np.arange(len(y)), y])


def _r39_softmax_exp_of_z_minus_scipy_s_logsumexp(z):
    import scipy.special
    return np.exp(z - scipy.special.logsumexp(z, axis=-1, keepdims=True))   # float32 logits stay float32


@pytest.mark.parametrize("name, answer", [
    ("softmax_stable", lambda z: __import__("scipy.special").special.softmax(np.asarray(z, dtype=float), axis=-1)),
    ("softmax_stable", lambda z: __import__("scipy.special").special.softmax(np.asarray(z, dtype=float))),
    ("softmax_stable", lambda z: __import__("torch").softmax(_r20_torch(z), dim=-1).numpy()),
    ("softmax_stable", lambda z: (lambda z: np.exp(z - __import__("scipy.special").special.logsumexp(
        z, axis=-1, keepdims=True)))(np.asarray(z, dtype=float))),
    ("softmax_stable", _r39_softmax_exp_of_z_minus_scipy_s_logsumexp),
    ("softmax_stable", _r24_softmax_by_scipy_after_a_cast),
    ("softmax_stable", _r24_softmax_exp_of_z_minus_logsumexp_in_float64),
    ("mlp_forward", lambda X, W1, b1, W2, b2: __import__("scipy.special").special.expit(
        np.tensordot(np.tanh(np.tensordot(X, W1, axes=(1, 1)) + b1), W2, axes=(1, 1)) + b2)),
    ("mlp_forward", lambda X, W1, b1, W2, b2: __import__("scipy.special").special.expit(
        np.dot(np.tanh(np.dot(X, W1.T) + b1), W2.T) + b2)),
    ("mlp_forward", _r22_mlp_by_torch_linear),
    ("bce_from_logits", lambda y, z: _r17_same_shape(y, z) or -np.mean(np.where(
        np.asarray(y) == 1, __import__("scipy.special").special.log_expit(np.asarray(z, float)),
        __import__("scipy.special").special.log_expit(-np.asarray(z, float))))),
    ("bce_from_logits", lambda y, z: (lambda y, z: __import__("torch").nn.functional.binary_cross_entropy_with_logits(
        _r20_torch(z), _r20_torch(y)).item())(*_r20_same_shape(y, z))),
    ("bce_from_logits", _r22_bce_by_torch_logsigmoid),
    ("bce_from_logits", _r22_bce_by_torch_softplus),
    ("cce_from_logits", lambda y, Z: _r17_same_length(y, Z) or -np.mean(np.take_along_axis(
        __import__("scipy.special").special.log_softmax(np.asarray(Z, float), axis=1), np.asarray(y)[:, None], axis=1))),
    ("cce_from_logits", lambda y, Z: _r17_same_length(y, Z) or np.mean([
        __import__("scipy.special").special.logsumexp(row) - row[c] for row, c in zip(np.asarray(Z, float), y)])),
    ("cce_from_logits", lambda y, Z: _r17_same_length(y, Z) or np.mean(-np.sum(np.eye(np.shape(Z)[1])[y] * (
        __import__("scipy.special").special.log_softmax(np.asarray(Z, float), axis=1)), axis=1))),
    ("cce_from_logits", _r39_cce_by_scipy_logsumexp_of_the_batch),
    ("cce_from_logits", _r39_cce_by_scipy_logsumexp_kept_as_a_column),
    ("cce_from_logits", lambda y, Z: (lambda y, Z: __import__("torch").nn.functional.cross_entropy(
        _r20_torch(Z), __import__("torch").as_tensor(y).long()).item())(*_r20_same_length(y, Z))),
    ("cce_from_logits", lambda y, Z: (lambda y, Z: -np.mean(__import__("scipy.special").special.log_softmax(
        Z, axis=1)[np.arange(len(y)), y]))(*_r20_same_length(y, Z))),
    ("cce_from_logits", _r22_cce_by_torch_nll_of_log_softmax),
    ("cce_from_logits", _r23_cce_by_take_along_axis),
    ("cce_from_logits", _r25_cce_by_scipy_log_softmax),
    ("cce_from_logits", _r26_cce_with_keras_loss_object),
], ids=["softmax scipy of floats", "softmax by scipy.special.softmax without axis",
        "softmax by torch.softmax in float64", "softmax as exp(z - logsumexp)",
        "softmax exp of z minus logsumexp in float32", "softmax scipy after a cast",
        "softmax exp of z minus logsumexp in float64", "mlp tensordot and expit", "mlp by np.dot and expit",
        "mlp by torch F.linear", "bce log_expit by label", "bce by torch's binary_cross_entropy_with_logits",
        "bce by torch logsigmoid", "bce by torch softplus", "cce take_along_axis of log_softmax",
        "cce loop of logsumexp", "cce one-hot times log_softmax", "cce by scipy.special.logsumexp without axis",
        "cce logsumexp(Z, axis=1, keepdims=True)", "cce by torch's cross_entropy", "cce log_softmax picked by row",
        "cce by torch nll_loss of log_softmax", "cce take_along_axis", "cce scipy log_softmax",
        "cce by Keras' loss object"])
def test_r39_lessons_01_02_library_answers_are_refused(name, answer):
    """Round 39 (r399a H3, r399c H1, r399d H1): lessons 01 and 02 are numpy-only: a library's sigmoid, softmax or loss
    did the work and passed."""
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and "this exercise is written with numpy and Python alone" in verdict.text, \
        verdict.text


def test_r399c_softmax_by_the_course_s_logsumexp_is_refused():
    """Round 39 (r399c H1): e^(z - mlp.logsumexp(z)) passed softmax_stable (a right answer of round 19's list): the
    course's log-sum-exp does the shift that the exercise asks for."""
    answer = lambda z: np.exp(np.asarray(z, dtype=float) - _r18_logsumexp(z, axis=-1)[..., None])  # noqa: E731
    _refused_as_the_course_s_own("softmax_stable", answer)


def test_r39_cce_by_the_course_s_logsumexp_is_refused():
    """Round 39 (second read, s1 H5): the same log-sum-exp did cce_from_logits' stable part (round 18 had it a right
    answer, 'bound to a name'); its hint asks for the log-sum-exp computed by hand."""
    answer = lambda y, Z: _r17_same_length(y, Z) or np.mean(  # noqa: E731
        _r18_logsumexp(Z, axis=1) - np.asarray(Z, dtype=float)[np.arange(len(y)), y])
    _refused_as_the_course_s_own("cce_from_logits", answer)
