"""An answer may not use the code of the course's own checks: a helper of a check's catalogue (``_adam_corrected_step``)
or another exercise's catalogued mistake, whether it holds it (a global, a default) or imports it while it runs.
Round 31 (r315): the helpers of adam_step's mistakes passed adam_step, momentum_step and sgd_step; each was refused
by name, exercise by exercise, until the engine refused them all (``base._check_helper``)."""
from __future__ import annotations

import numpy as np

from course_utils import exercises as registry
from course_utils.checks import judge, PASSED, WRONG
from course_utils.exercises.optimizers import _adam_corrected_step
from course_utils.exercises.welcome import _weights_and_biases


def _checked(w, grad, lr):
    w, grad = np.asarray(w, dtype=float), np.asarray(grad, dtype=float)
    if grad.shape != w.shape:
        raise ValueError("grad must have the shape of w")
    if not 0 < lr < np.inf:
        raise ValueError("lr must be a positive finite number")
    return w, grad


def _sgd_step_by_adam_s_helper(w, grad, lr):
    """w - lr * grad, as Adam's corrected step with beta1 = beta2 = 0, v = 1 and eps = 0 (r315 F2)."""
    w, grad = _checked(w, grad, lr)
    return _adam_corrected_step(w, grad, np.ones_like(grad), 1, lr, 0.0, 0.0, 0.0)[0]


def _sgd_step_by_adam_s_helper_imported_inside(w, grad, lr):
    from course_utils.exercises import optimizers as checks
    w, grad = _checked(w, grad, lr)
    return checks._adam_corrected_step(w, grad, np.ones_like(grad), 1, lr, 0.0, 0.0, 0.0)[0]


def _sgd_step_by_adam_s_helper_as_a_default(w, grad, lr, step=_adam_corrected_step):
    w, grad = _checked(w, grad, lr)
    return step(w, grad, np.ones_like(grad), 1, lr, 0.0, 0.0, 0.0)[0]


def _sgd_step(w, grad, lr):
    w, grad = _checked(w, grad, lr)
    return w - lr * grad


def test_a_right_step_written_by_hand_passes():
    verdict = judge(registry.get_exercise("sgd_step"), _sgd_step)
    assert verdict.kind == PASSED, verdict.text


def test_a_check_s_helper_held_is_refused_before_it_runs():
    for answer in (_sgd_step_by_adam_s_helper, _sgd_step_by_adam_s_helper_as_a_default):
        verdict = judge(registry.get_exercise("sgd_step"), answer)
        assert verdict.kind == WRONG and "_adam_corrected_step, from the code of the course's own checks" in verdict.text, \
            verdict.text


def test_a_check_s_helper_imported_while_the_answer_runs_is_refused():
    """No name shows it before the run: the numpy-only watch sees the call into a check's module."""
    verdict = judge(registry.get_exercise("sgd_step"), _sgd_step_by_adam_s_helper_imported_inside)
    assert verdict.kind == WRONG and "_adam_corrected_step, from the code of the course's own checks" in verdict.text, \
        verdict.text


def _param_count_by_a_helper_of_another_check(layer_sizes):
    return _weights_and_biases(list(layer_sizes))


def test_a_check_s_helper_is_refused_in_an_exercise_that_is_not_numpy_only():
    """accuracy (00a) may use any library; the code of the course's checks it may not (welcome's helper of
    mlp_param_count, held by an answer to accuracy: refused before it runs, whatever it computes)."""
    def accuracy(y_true, y_pred):
        _param_count_by_a_helper_of_another_check([1, 1])
        return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))
    verdict = judge(registry.get_exercise("accuracy"), accuracy)
    assert verdict.kind == WRONG and "_weights_and_biases" in verdict.text, verdict.text


def test_the_check_s_own_catalogued_mistakes_are_still_named():
    exercise = registry.get_exercise("adam_step")
    mistake = exercise.mistakes[0]
    verdict = judge(exercise, mistake.answer)
    assert verdict.kind == WRONG and verdict.mistake == mistake.name, verdict.text
