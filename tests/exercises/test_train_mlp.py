"""Lesson 03's training-loop exercise: the reference passes and lr is validated (its catalogue: test_exercises)."""
import pytest

from course_utils import check
from course_utils.exercises import get_exercise
from course_utils.checks import ExerciseFailed
from references import reference_copy

EXERCISE = get_exercise("train_mlp")
REFERENCE = reference_copy("train_mlp")


def test_the_reference_passes_strictly(capsys):
    assert check("train_mlp", REFERENCE, strict=True) is REFERENCE


def test_a_loop_that_ignores_lr_validation_is_rejected(capsys):
    def no_validation(X, y, params, lr, epochs):
        return REFERENCE(X, y, params, abs(lr) or 1e-3, epochs)
    with pytest.raises(ExerciseFailed):
        check("train_mlp", no_validation, strict=True)


def test_the_confidently_wrong_start_separates_the_two_losses():
    """The case the check adds for "computed from the logits": there the loss from the (clipped) probabilities
    is far from the loss from the logits, so a loop that uses the probabilities fails."""
    import numpy as np

    from course_utils import mlp

    case = next(c for c in EXERCISE.cases() if "confidently wrong" in c.label)
    X, y, params, _, _ = case.args
    out, cache = mlp.forward(params, X)
    assert np.abs(cache["Z2"]).max() > 50
    from_logits = mlp.binary_cross_entropy(y, cache["Z2"], from_logits=True)
    from_probabilities = mlp.binary_cross_entropy(y, out)
    assert from_logits > 20 and from_logits - from_probabilities > 5


def test_a_loop_that_takes_the_loss_from_the_probabilities_is_rejected(capsys):
    wrong = next(m.answer for m in EXERCISE.mistakes if m.name == "loss from the probabilities")
    with pytest.raises(ExerciseFailed) as failed:
        check("train_mlp", wrong, strict=True)
    assert "confidently wrong start" in str(failed.value)
