"""Lesson 03's training-loop exercise: the reference passes and lr is validated (its catalogue: test_exercises)."""
import pytest

from course_utils import check
from course_utils.exercises import get_exercise
from course_utils.checks import ExerciseFailed

EXERCISE = get_exercise("train_mlp")


def test_the_reference_passes_strictly(capsys):
    assert check("train_mlp", EXERCISE.reference, strict=True) is EXERCISE.reference


def test_a_loop_that_ignores_lr_validation_is_rejected(capsys):
    def no_validation(X, y, params, lr, epochs):
        return EXERCISE.reference(X, y, params, abs(lr) or 1e-3, epochs)
    with pytest.raises(ExerciseFailed):
        check("train_mlp", no_validation, strict=True)
