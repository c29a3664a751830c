"""Targeted checks of lessons 04-06's exercises: right answers written another way still pass,
and the mistakes the catalogues name are caught for the reason they name."""
from __future__ import annotations

import numpy as np
import pytest

from course_utils import exercises as registry
from course_utils.checks import ExerciseFailed, check, judge, PASSED


@pytest.fixture(autouse=True)
def friendly(monkeypatch, tmp_path):
    monkeypatch.delenv("COURSE_STRICT", raising=False)
    monkeypatch.chdir(tmp_path)


def _passes(name, answer):
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == PASSED, verdict.text


# ---------------------------------------------------------------- lesson 04
def _cut(order, batch_size):
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]


def test_other_shuffles_driven_by_rng_pass():
    def shuffled_in_place(n, batch_size, rng):
        order = np.arange(n)
        rng.shuffle(order)
        return _cut(order, batch_size)

    _passes("minibatch_indices", lambda n, b, rng: _cut(rng.choice(n, size=n, replace=False), b))
    _passes("minibatch_indices", shuffled_in_place)
    _passes("minibatch_indices", lambda n, b, rng: _cut(rng.permutation(n).tolist(), b))


@pytest.mark.parametrize("seed", [0, 1, 42, 123])
def test_a_hard_coded_seed_is_caught_whatever_the_seed(seed):
    with pytest.raises(ExerciseFailed, match="different rng seeds gave the same order"):
        check("minibatch_indices", lambda n, b, rng: _cut(np.random.default_rng(seed).permutation(n), b),
              strict=True)


def test_a_zero_learning_rate_and_a_wrong_gradient_shape_are_tried():
    labels = [c.label for c in registry.get_exercise("momentum_step").cases()]
    assert "learning rate 0" in labels and "gradient of the wrong shape" in labels


# ---------------------------------------------------------------- lesson 06
torch = pytest.importorskip("torch")


def test_a_returned_loss_tensor_is_rejected_with_or_without_its_graph():
    from course_utils.exercises.pytorch_mlp import step_returns_tensor

    with pytest.raises(ExerciseFailed, match="still holds the graph"):
        check("torch_train_step", step_returns_tensor, strict=True)
    with pytest.raises(ExerciseFailed, match="returned a tensor"):
        check("torch_train_step", lambda *args: step_returns_tensor(*args).detach(), strict=True)


def test_accuracy_tries_an_empty_batch_and_wants_a_float():
    labels = [c.label for c in registry.get_exercise("torch_accuracy").cases()]
    assert any("no examples" in label for label in labels)
    _passes("torch_accuracy", lambda logits, labels: _float_accuracy(logits, labels))


def _float_accuracy(logits, labels):
    if logits.ndim != 2 or labels.shape != (len(logits),) or not len(labels):
        raise ValueError("shapes")
    return float((logits.argmax(1) == labels).sum()) / len(labels)


def test_evaluate_names_each_missing_switch():
    from course_utils.exercises import pytorch_mlp as mlp

    for wrong, reason in [(mlp.evaluate_without_eval, "training mode"),
                          (mlp.evaluate_without_no_grad, "gradient tracking"),
                          (mlp.evaluate_mean_of_batches, "wrong value")]:
        with pytest.raises(ExerciseFailed, match=reason):
            check("torch_evaluate", wrong, strict=True)
