"""Exercises of lesson 04 (optimizers), which comes in three parts.

One module serves the notebooks; ``NOTEBOOKS`` says which part checks which exercise:
- 04a_gradient_descent: exercise 1 ``sgd_step``, exercise 2 ``minibatch_indices``;
- 04b_momentum_rmsprop_adam: exercise 3 ``momentum_step``, exercise 4 ``adam_step``;
- 04c_optimizers_in_practice checks none (it imports the references from ``course_utils.optimizers``,
  so it runs without 04a and 04b).

The references live in the lesson code, ``course_utils.optimizers``.
"""
import copy
import inspect
import math
import random
import secrets

import numpy as np

from .. import optimizers as ref
from ..i18n import t
from .base import NUMPY_ONLY as _NUMPY_ONLY
from .base import KEPT_RESULT as _KEPT_RESULT, RING_SIZE as _RING_SIZE
from .base import (KERNEL as _ATEN, RING_CALLS as _RING_CALLS, Case, Exercise, Mismatch, Mistake, called,
                   compare_values, copied, draw_call, draw_floats, draw_shape, generated, in_turn, memory_overlaps,
                   new_results, reference_of, refusing_course_versions, reused_later, same_numpy_state,
                   share_memory_between_calls, short, still_held)


_KERNEL = np.linspace(-1.5, 1.75, 24).reshape(2, 3, 2, 2)  # a convolution's weights: 2 filters of 3 channels, 2 x 2


def _held_later(run):
    """``run``, and then, once per case whose arrays hold more than ``RING_SIZE`` elements (the engine's own test of
    buffers used in turn covers the smaller ones), one more call whose result nobody keeps: if the answer still holds
    it, up to ``HELD_CALLS`` more calls look for its memory (``reused_later``). A step that holds nothing of what it
    returned (``w - lr * grad``) is called once more only.

    Round 35 (r354 F2): the engine's test of a ring of buffers runs only on cases of at most 2 elements per array, so
    an answer that wrote its new weights into a ring of 6 buffers kept per shape for larger arrays passed sgd_step;
    the caller's weights of 6 steps back were overwritten. The engine runs each case several times on copies of it,
    one after the other: the copies of the case last looked at are not looked at again."""
    last = [None]

    def runner(answer, case):
        result = run(answer, case)
        arrays = _case_arrays(case)
        key = (case.label, repr(case.kwargs.keys()), *((a.shape, a.dtype.str, a.tobytes()) for a in arrays),
               *(repr(v) for v in (*case.args, *case.kwargs.values()) if not isinstance(v, np.ndarray)))
        if max((a.size for a in arrays), default=0) > _RING_SIZE and key != last[0]:
            last[0] = key

            def call_again():
                return run(answer, copied(case))
            if reused_later(still_held(call_again()), call_again):
                raise Mismatch(t(_KEPT_RESULT))
        return result
    return runner


def _case_arrays(case):
    return [a for a in (*case.args, *case.kwargs.values()) if isinstance(a, np.ndarray)]


def _sgd_cases():
    rng = np.random.default_rng(4)
    return [
        Case((np.array([1.0, -2.0]), np.array([0.5, 0.5]), 0.1), label="two weights"),
        Case((rng.normal(size=(3, 4)), rng.normal(size=(3, 4)), 0.01), label="a weight matrix"),
        Case((np.array([0.3]), np.array([-2.0]), 1.0), label="a single weight"),
        Case((np.ones(2), np.array([1e8, -1e8]), 1e-3), label="huge gradients"),
        # round 34 (r344 F1): a learner's own third safety check (ValueError for a NaN or infinite gradient) was told
        # only "a NaN gradient stays NaN"; the labels say now that the two checks asked for are the only ones
        Case((np.ones(2), np.array([np.nan, 1.0]), 0.1),
             label="a NaN gradient stays NaN (raise ValueError only for a wrong shape or an lr not in 0 < lr < inf)"),
        Case((np.ones(3), np.ones(1), 0.1), label="gradient of the wrong shape", raises=ValueError),
        Case((np.ones(3), np.ones((3, 1)), 0.1), label="a column gradient (3, 1) for weights of shape (3,)",
             raises=ValueError),
        Case((np.ones(2), np.ones(2), -0.1), label="negative learning rate", raises=ValueError),
        Case((np.ones(2), np.ones(2), 0.0), label="learning rate 0", raises=ValueError),
        Case((np.ones(2), np.array([0.5, -0.5]), 2.0), label="lr = 2 (large, but positive)"),
        Case((np.array([1, -2, 3]), np.array([0.5, 0.25, -1.0]), 0.1), label="integer weights"),
        Case((np.array([0.5, -1.0]), np.array([2, -3]), 0.1), label="an integer gradient"),
        *generated(_draw_sgd, count=6, seed=41),
        *generated(in_turn(_draw_bad_sgd, ("a size of 1 inside", "transposed", "lr",
                                                      "a size of 1 in the middle", "the last two sizes swapped",
                                                      "the first axis dropped", "an extra first axis")),
                   count=7, seed=42),
        *generated(lambda rng: _draw_sgd(rng, "0-d arrays"), count=2, seed=43),  # last: older mistakes keep names
        Case((np.array(0.5), np.array([2.0]), 0.1), label="a weight of shape () with a gradient of shape (1,)",
             raises=ValueError),
        Case((np.array([3, 200], dtype=np.uint8), np.array([5, 100], dtype=np.uint8), 2),
             label="uint8 weights and gradient, lr = 2 (a whole number)"),
        Case((np.ones(2), np.ones(2), float("nan")), label="lr = NaN (not positive either)", raises=ValueError),
        Case((np.array([0.5, -0.25]), np.array([1e-3, 2e-3]), 1000.0),
             label="lr = 1000 (any positive finite learning rate is allowed)"),
        Case((np.array([0.5, -0.25]), np.array([1e-33, 2e-33]), 1e30),  # round 22: a cap just above 1000 passed
             label="lr = 1e30 (any positive finite learning rate is allowed)"),
        # round 13: every lr was a Python int or float, every gradient below 1e9 and every result above 1e-6
        Case((np.array([0.5, -1.0]), np.array([0.2, 0.4]), np.float32(0.25)), label="lr as np.float32(0.25)"),
        Case((np.array([0.5, -1.0]), np.array([0.2, 0.4]), np.int64(2)),
             label="lr as np.int64(2) (as np.arange gives)"),
        Case((np.array([1.0, -1.0]), np.array([1e30, -1e30]), 1e-3), label="gradients of 1e30"),  # float32 holds them
        Case((np.array([3e-9, -2e-9]), np.array([1e-9, 4e-9]), 2.0), label="weights and gradients of 1e-9"),
        # round 14: no gradient was infinite or all zero, and no 2-D weight had an axis of size 1 (a bias row)
        Case((np.array([1.0, -1.0, 0.5]), np.array([np.inf, -np.inf, 2.0]), 0.1),
             label="infinite gradients give infinite weights (raise ValueError only for a wrong shape or an lr not in "
             "0 < lr < inf)"),
        Case((np.array([0.5, -1.0, 2.0]), np.zeros(3), 0.1), label="a zero gradient (the weights stay, in a new array)"),
        Case((np.array([[0.5, -1.0, 2.0, 0.25]]), np.array([[1.0, 2.0, -3.0, 0.5]]), 0.1),
             label="a bias row of shape (1, 4)"),
        Case((np.array([[0.5], [-1.0], [2.0], [0.25]]), np.array([[1.0], [2.0], [-3.0], [0.5]]), 0.1),
             label="a column of shape (4, 1)"),
        # round 15: a gradient of shape () came only with a weight of shape (), and every array was in C order
        Case((np.ones(3), np.array(0.5), 0.1), label="a gradient of shape () for weights of shape (3,)",
             raises=ValueError),
        Case((np.array([0.5]), np.array(2.0), 0.1), label="a gradient of shape () for a weight of shape (1,)",
             raises=ValueError),
        Case((np.asfortranarray(np.arange(6.0).reshape(2, 3)), np.arange(3.0, 9.0).reshape(3, 2).T, 0.1),
             label="weights in Fortran order and a transposed gradient (as (dZ.T @ X).T gives)"),
        Case((np.array([0.5, -1.0]), np.array([200, 3], dtype=np.uint8), 2),
             label="float weights with a uint8 gradient, lr = 2 (2 * 200 does not fit in uint8)"),
        Case((np.array([np.nan, 1.0]), np.array([0.5, 0.5]), 0.1), label="a NaN weight stays NaN"),
        # round 16: no weight had more than 3 axes or no element
        Case((_KERNEL.copy(), _KERNEL[::-1] / 4, 0.1), label="a convolution kernel of shape (2, 3, 2, 2) (4 axes)"),
        Case((np.zeros((0, 3)), np.zeros((0, 3)), 0.1), label="weights of shape (0, 3) (no element: an empty result)",
             points=0),  # any result of that shape is right: no partial credit for it
        # round 18: every tiny value was a round number of 1e-9, so np.round(w - lr * grad, 10) passed
        Case((np.array([3.3e-11, -7.7e-12]), np.array([1.1e-11, 2.2e-12]), 0.5),
             label="weights and gradients of 1e-11 (np.round(..., 10) would make them 0)"),
        # round 23: no step went past the largest float from finite gradients, so keeping the weights there passed
        Case((np.array([1.0, -1.0, 0.5]), np.array([-1e300, 1e300, 2.0]), 1e10),
             label="a step that overflows to inf (lr * grad = 1e310): the new weights are inf"),
        # round 27 (r274 F5): no lr was below 1e-4, so an answer that refused a tiny positive lr (lr > 1e-6) passed
        Case((np.array([0.5, -0.25]), np.array([1e11, -2e11]), 1e-12),
             label="lr = 1e-12 with gradients of 1e11 (any positive learning rate is allowed, however small)"),
        # round 28 (r284 F2): every lr of 1 or more was a whole number, so `int(lr)` for lr >= 1 passed
        Case((np.array([0.5, -0.25]), np.array([0.1, -0.4]), 2.5), label="lr = 2.5 (above 1, not a whole number)"),
        # round 33 (r334 F1): the smallest values were of 1e-11, so np.round(w - lr * grad, 13) (or tiny values set to
        # 0) passed; 1e-36 still holds in float32 (its smallest normal number is 1.2e-38)
        Case((np.array([3.3e-36, -7.7e-37]), np.array([1.1e-36, 2.2e-37]), 0.5),
             label="weights and gradients of 1e-36 (np.round(..., 13) would make them 0)"),
        # round 36 (r364 F1): as momentum_step's and adam_step's (r355 F1), no array was float16, so an answer that
        # converted only integer arrays took a float16 step in float16 and passed; float32 arithmetic stays within 1e-7
        Case(_float16(([1000.0, -0.5, 2.0], [0.25, 300.0, -0.001])) + (0.1,),
             label="float16 weights and gradient (convert them to float64 too: in float16, 1000 - 0.025 stays 1000)"),
        # round 38 (r381 F2): the smallest lr was 1e-12, so refusing lr below machine epsilon passed (momentum's 1e-30)
        Case((np.array([3.3e-20, -7.7e-21]), np.array([1.1e10, 2.2e9]), 1e-30),
             label="lr = 1e-30 with gradients of 1e10 (any positive learning rate is allowed, however small)"),
        # round 37 (r373 F2): no lr was infinite, and the text said only `not lr > 0`, while the course's own step
        # refuses inf; the text asks for 0 < lr < inf now. Last, so that no other catalogued mistake is named by them
        Case((np.ones(2), np.array([0.5, -0.25]), float("inf")),
             label="lr = inf (raise ValueError: w - inf * grad is no step, it gives infinite or NaN weights)",
             raises=ValueError),
        Case((np.ones(2), np.array([0.5, -0.25]), -float("inf")), label="lr = -inf (not positive either)",
             raises=ValueError),
    ]


def _momentum_cases():
    rng = np.random.default_rng(5)
    w, g = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    return [
        # round 28 (r285 F1): lr was 0.1 = 1 - mu, so lr * grad and (1 - mu) * grad gave the same numbers and a velocity
        # kept as a moving average (w - v) was told it held lr * grad, lr taken twice that it was a moving average
        Case((np.array([1.0, -1.0]), np.array([0.2, -0.4]), np.zeros(2), 0.05, 0.9), label="first step (v = 0)"),
        Case((w, g, rng.normal(size=(2, 3)), 0.05, 0.9), label="a matrix with some velocity"),
        Case((np.array([2.0]), np.array([1.0]), np.array([3.0]), 0.5, 0.0), label="mu = 0 is plain SGD"),
        Case((np.ones(2), np.array([1e6, 1e6]), np.array([1e6, -1e6]), 1e-4, 0.99), label="large values"),
        Case((np.ones(3), np.ones(1), np.zeros(3), 0.1, 0.9), label="gradient of the wrong shape", raises=ValueError),
        Case((np.ones(2), np.ones(2), np.ones(1), 0.1, 0.9), label="velocity of the wrong shape", raises=ValueError),
        Case((np.ones(3), np.ones(1), np.zeros(1), 0.1, 0.9), label="w of another shape than grad and velocity",
             raises=ValueError),
        Case((np.ones(3), np.ones((3, 1)), np.zeros(3), 0.1, 0.9),
             label="a column gradient (3, 1) for weights of shape (3,)", raises=ValueError),
        Case((np.ones(2), np.ones(2), np.zeros(2), 0.1, 1.5), label="mu = 1.5 (must be in [0, 1))", raises=ValueError),
        Case((np.ones(2), np.ones(2), np.zeros(2), 0.1, 1.0), label="mu = 1 (must be in [0, 1))", raises=ValueError),
        Case((np.ones(2), np.ones(2), np.zeros(2), 0.1, -0.5), label="mu = -0.5 (must be in [0, 1))", raises=ValueError),
        Case((np.ones(2), np.ones(2), np.zeros(2), 0.0, 0.9), label="learning rate 0", raises=ValueError),
        Case((np.ones(2), np.ones(2), np.zeros(2), -0.1, 0.9), label="negative learning rate", raises=ValueError),
        Case((np.ones(2), np.array([0.5, -0.5]), np.array([1.0, 1.0]), 2.0, 0.5), label="lr = 2 (large, but positive)"),
        Case((np.array([1, -2]), np.array([0.5, 0.25]), np.array([1, 0]), 0.1, 0.9),
             label="integer weights and an integer velocity"),
        *generated(in_turn(_draw_momentum, ("default mu", "position", "keyword", "mixed", "default mu",
                                                        "mixed", "mu = 0, a whole number", "whole-number arrays",
                                                        "three axes")), count=9, seed=51),
        *generated(in_turn(_draw_bad_momentum, ("velocity: a size of 1 inside", "grad: a size of 1 inside",
                                                            "velocity: transposed", "mu",
                                                            "grad: a size of 1 in the middle", "grad: transposed",
                                                            "velocity: a column", "grad: the last two sizes swapped",
                                                            "velocity: the last two sizes swapped",
                                                            "grad: the first axis dropped",
                                                            "velocity: the first axis dropped",
                                                            "grad: an extra first axis",
                                                            "velocity: an extra first axis")),
                   count=13, seed=52),
        Case((np.ones(2), np.ones(2), np.zeros(()), 0.1, 0.9), label="velocity of shape () (a 0-d array, as np.zeros(()))",
             raises=ValueError),
        *generated(lambda rng: _draw_momentum(rng, "0-d arrays"), count=2, seed=53),  # last: as in _sgd_cases
        Case((np.array(0.5), np.array([2.0]), np.array([0.0]), 0.1, 0.9),
             label="a weight of shape () with a gradient and a velocity of shape (1,)", raises=ValueError),
        # round 35 (r355 F2): as sgd_step's (r344 F1), a learner's own ValueError for a NaN or infinite array was told
        # only the label; the labels of the NaN and inf cases say now which checks are asked for (here and in Adam's)
        Case((np.ones(2), np.array([np.nan, 1.0]), np.zeros(2), 0.1, 0.9), label="a NaN gradient stays NaN"
             " (raise ValueError only for a wrong shape, an lr not in 0 < lr < inf, or mu not in 0 <= mu < 1)"),
        Case((np.ones(2), np.ones(2), np.zeros(2), float("nan"), 0.9), label="lr = NaN (not positive either)",
             raises=ValueError),
        Case((np.ones(2), np.ones(2), np.zeros(2), 0.1, float("nan")), label="mu = NaN (not in [0, 1) either)",
             raises=ValueError),
        Case((np.array([0.5, -0.25]), np.array([1e-3, 2e-3]), np.array([1e-3, 0.0]), 1000.0, 0.5),
             label="lr = 1000 (any positive finite learning rate is allowed)"),
        Case((np.array([0.5, -0.25]), np.array([0.1, -0.2]), np.array([3.0, -1.0]), 0.01, 0.999999),
             label="mu = 0.999999 (any mu below 1 is allowed)"),  # the drawn mu stop at 0.9999
        Case((np.array([1.0, -1.0]), np.array([3e12, -1e12]), np.array([2e12, 5e11]), 1e-14, 0.9),
             label="gradients and velocity of 1e12"),  # the other inputs stay below 1e7: a clipped velocity passed
        # round 13: lr and mu were always Python numbers, the velocity never NaN, the largest values 3e12, mu at most
        # 0.999999 and no result below 1e-6
        Case((np.array([0.5, -1.0]), np.array([0.2, 0.4]), np.array([1.0, -2.0]), np.float32(0.25), np.float32(0.5)),
             label="lr and mu as np.float32 (0.25 and 0.5)"),
        Case((np.array([0.5, -1.0]), np.array([0.2, 0.4]), np.array([1.0, -2.0]), np.int64(2), np.int64(0)),
             label="lr and mu as np.int64 (2 and 0)"),
        Case((np.ones(2), np.array([0.5, 1.0]), np.array([np.nan, 0.0]), 0.1, 0.9), label="a NaN velocity stays NaN"
             " (raise ValueError only for a wrong shape, an lr not in 0 < lr < inf, or mu not in 0 <= mu < 1)"),
        Case((np.array([1.0, -1.0]), np.array([1e30, -1e30]), np.array([5e29, 1e29]), 1e-3, 0.5),
             label="gradients and velocity of 1e30"),
        Case((np.array([0.5, -0.25]), np.array([0.1, -0.2]), np.array([3.0, -1.0]), 0.01,
              float(np.nextafter(1.0, 0.0))), label="mu = 1 - 2**-53 (the largest float below 1)"),
        Case((np.array([3e-9, -2e-9]), np.array([1e-9, 4e-9]), np.array([2e-9, -1e-9]), 2.0, 0.5),
             label="weights, gradients and velocity of 1e-9"),
        # round 14: no gradient or velocity was infinite, and no 2-D weight had an axis of size 1
        Case((np.array([1.0, -1.0, 0.5]), np.array([np.inf, 1.0, 2.0]), np.array([0.5, -np.inf, 1.0]), 0.1, 0.9),
             label="an infinite gradient and an infinite velocity"
             " (raise ValueError only for a wrong shape, an lr not in 0 < lr < inf, or mu not in 0 <= mu < 1)"),
        Case((np.array([[0.5], [-1.0], [2.0], [0.25]]), np.array([[1.0], [2.0], [-3.0], [0.5]]),
              np.array([[0.5], [0.0], [1.0], [-1.0]]), 0.1, 0.9), label="a column of shape (4, 1)"),
        # round 15: no case had a zero gradient with a zero velocity (a step that changes nothing), no gradient of
        # shape () came with weights of another shape, and every array was in C order
        Case((np.array([0.5, -1.0, 2.0]), np.zeros(3), np.zeros(3), 0.1, 0.9),
             label="a zero gradient and a zero velocity (the weights stay, in new arrays)"),
        Case((np.ones(3), np.array(0.5), np.zeros(3), 0.1, 0.9), label="a gradient of shape () for weights of shape (3,)",
             raises=ValueError),
        Case((np.asfortranarray(np.arange(6.0).reshape(2, 3)), np.arange(3.0, 9.0).reshape(3, 2).T,
              np.asfortranarray(np.array([[1.0, 0.0, -1.0], [0.5, 2.0, 0.25]])), 0.1, 0.9),
             label="weights and velocity in Fortran order and a transposed gradient (as (dZ.T @ X).T gives)"),
        Case((np.array([0.5, -1.0]), np.array([200, 3], dtype=np.uint8), np.array([100, 1], dtype=np.uint8), 2, 0),
             label="float weights with a uint8 gradient and velocity, lr = 2, mu = 0 (2 * 200 does not fit in uint8)"),
        Case((np.array([np.nan, 1.0]), np.array([0.5, 0.5]), np.zeros(2), 0.1, 0.9), label="a NaN weight stays NaN"
             " (raise ValueError only for a wrong shape, an lr not in 0 < lr < inf, or mu not in 0 <= mu < 1)"),
        # round 16: no weight had more than 3 axes or no element, and every mu refused lay in [-1, 1.5]
        Case((_KERNEL.copy(), _KERNEL[::-1] / 4, _KERNEL[:, ::-1] / 8, 0.1, 0.9),
             label="a convolution kernel of shape (2, 3, 2, 2) (4 axes)"),
        Case((np.zeros((0, 3)), np.zeros((0, 3)), np.zeros((0, 3)), 0.1, 0.9),
             label="weights of shape (0, 3) (no element: empty results)", points=0),
        Case((np.ones(2), np.ones(2), np.zeros(2), 0.1, 2.0), label="mu = 2 (must be in [0, 1))", raises=ValueError),
        Case((np.ones(2), np.ones(2), np.zeros(2), 0.1, float("inf")), label="mu = inf (must be in [0, 1))",
             raises=ValueError),
        Case((np.ones(2), np.ones(2), np.zeros(2), 0.1, -0.001), label="mu = -0.001 (must be in [0, 1))",
             raises=ValueError),
        # round 18: as in _sgd_cases
        Case((np.array([3.3e-11, -7.7e-12]), np.array([1.1e-11, 2.2e-12]), np.array([-4.4e-11, 1.3e-12]), 0.5, 0.9),
             label="weights, gradients and velocity of 1e-11 (np.round(..., 10) would make them 0)"),
        # round 20: the only zero gradient came with a zero velocity, so an answer that skips the step there passed
        Case((np.array([0.5, -1.0]), np.zeros(2), np.array([1.0, -2.0]), 0.1, 0.9),
             label="a zero gradient with some velocity (the weights keep moving)"),
        # round 22: the largest lr was 1000, so a cap just above it passed
        Case((np.array([0.5, -0.25]), np.array([1e-33, 2e-33]), np.array([1e-33, 0.0]), 1e30, 0.5),
             label="lr = 1e30 (any positive finite learning rate is allowed)"),
        # round 23: as in sgd_step, a step that overflows from finite values (each of them held by float32, whose
        # right answers pass, and lr * velocity finite, as a right answer in Keras' form divides by lr)
        Case((np.array([1.7e308, -1.7e308]), np.array([-1e30, 1e30]), np.zeros(2), 1e278, 0.5),
             label="weights of 1.7e308 and a step of 1e308: w - lr * velocity overflows to inf"),
        # round 34 (r345 F1, F2): as sgd_step's 1e-36 (r334 F1), the smallest weights were of 1e-11 and the smallest lr
        # 1e-14, so np.round(w - lr * velocity, 13) and a refusal of lr below 1e-15 passed; float32 holds every value
        Case((np.array([3.3e-36, -7.7e-37]), np.array([1.1e-36, 2.2e-37]), np.array([-4.4e-36, 1.3e-37]), 0.5, 0.9),
             label="weights, gradients and velocity of 1e-36 (np.round(..., 13) would make the weights 0)"),
        Case((np.array([3.3e-20, -7.7e-21]), np.array([1.1e10, 2.2e9]), np.array([-4.4e10, 1.3e9]), 1e-30, 0.9),
             label="lr = 1e-30 with gradients of 1e10 (any positive learning rate is allowed, however small)"),
        # round 35 (r355 F1): no array was float16, so an answer that converted only integer arrays (and computed in
        # float16, about 3 significant digits, for float16 ones) passed; float32 arithmetic stays within 1e-7 here
        Case(_float16(([1000.0, -0.5, 2.0], [0.25, 300.0, -0.001], [0.5, 100.0, 0.0])) + (0.1, 0.9),
             label="float16 arrays (convert them to float64 too: in float16, 1000 - 0.07 stays 1000)"),
        # round 37 (r373 F2): as sgd_step's, no lr was infinite; last, so that no other catalogued mistake is named
        # by them
        Case((np.ones(2), np.array([0.5, -0.25]), np.array([1.0, -1.0]), float("inf"), 0.9),
             label="lr = inf (raise ValueError: w - inf * velocity is no step, it gives infinite or NaN weights)",
             raises=ValueError),
        Case((np.ones(2), np.array([0.5, -0.25]), np.array([1.0, -1.0]), -float("inf"), 0.9),
             label="lr = -inf (not positive either)", raises=ValueError),
    ]


def _adam_cases():
    rng = np.random.default_rng(6)
    shape = (3, 2)
    return [
        Case((np.array([1.0, -1.0]), np.array([0.5, -2.0]), np.zeros(2), np.zeros(2), 1),
             {"lr": 0.1}, label="first step: every weight moves by lr"),
        Case((rng.normal(size=shape), rng.normal(size=shape), 0.1 * rng.normal(size=shape),
              rng.uniform(0.01, 1, size=shape), 7), {"lr": 0.01}, label="step 7 of a matrix"),
        Case((np.array([0.5]), np.array([1e-9]), np.zeros(1), np.zeros(1), 1), {"lr": 0.1},
             label="a tiny gradient (eps matters)"),
        Case((np.ones(2), np.array([1e8, -1e8]), np.zeros(2), np.zeros(2), 1), {"lr": 1e-3}, label="huge gradients"),
        Case((np.ones(2), np.ones(2), np.zeros(2), np.ones(2), 3),
             {"lr": 0.1, "beta1": 0.5, "beta2": 0.75, "eps": 1e-3}, label="other hyper-parameters"),
        Case((np.ones(3), np.ones(1), np.zeros(3), np.zeros(3), 1), {"lr": 0.1}, label="gradient of the wrong shape",
             raises=ValueError),
        Case((np.ones(2), np.ones(2), np.zeros(2), np.zeros(1), 1), {"lr": 0.1}, label="v of the wrong shape", raises=ValueError),
        Case((np.ones(2), np.ones(2), np.zeros(1), np.zeros(2), 1), {"lr": 0.1}, label="m of the wrong shape", raises=ValueError),
        Case((np.ones(2), np.ones(2), np.zeros(1), np.zeros(1), 1), {"lr": 0.1},
             label="m and v of the same wrong shape", raises=ValueError),
        Case((np.ones(3), np.ones(1), np.zeros(1), np.zeros(1), 1), {"lr": 0.1},
             label="w of another shape than grad, m and v", raises=ValueError),
        Case((np.ones(3), np.ones((3, 1)), np.zeros(3), np.zeros(3), 1), {"lr": 0.1},
             label="a column gradient (3, 1) for weights of shape (3,)", raises=ValueError),
        Case((np.ones(2), np.ones(2), np.zeros(2), np.zeros(2), 0), {"lr": 0.1}, label="t = 0 (t counts from 1)", raises=ValueError),
        Case((np.ones(2), np.ones(2), np.zeros(2), np.zeros(2), -1), {"lr": 0.1}, label="t = -1 (t counts from 1)",
             raises=ValueError),
        Case((np.ones(2), np.array([0.5, -2.0]), np.zeros(2), np.zeros(2), 1), {"lr": 2.0},
             label="lr = 2 (large, but positive)"),
        Case((np.array([1, -2]), np.array([0.5, 0.25]), np.array([1, 0]), np.array([1, 2]), 2), {"lr": 0.1},
             label="integer weights and integer moments"),
        *generated(in_turn(_draw_adam, zip((*_ADAM_PASSING, "mixed", "beta1 = 0, a whole number",
                                                       "whole-number arrays", "beta2 = 0, a whole number"),
                                                      ((10, 61), (1, 2), (2, 10), (100, 5001), (10, 61), (1, 10),
                                                       (1, 61), (1, 61), (1, 61)))),
                   count=9, seed=61),
        *generated(in_turn(_draw_bad_adam, ("m: a size of 1 inside", "v: transposed",
                                                       "grad: a size of 1 inside", "v: an extra axis",
                                                       "m: a size of 1 in the middle", "grad: transposed",
                                                       "m: transposed", "v: a size of 1 in the middle", "t",
                                                       "m: a column", "grad: the last two sizes swapped",
                                                       "m: the last two sizes swapped",
                                                       "v: the last two sizes swapped", "grad: the first axis dropped",
                                                       "m: the first axis dropped", "v: the first axis dropped",
                                                       "grad: an extra first axis", "m: an extra first axis",
                                                       "v: an extra first axis")),
                   count=19, seed=62),
        Case((np.ones(2), np.ones(2), np.zeros(()), np.zeros(()), 1), {"lr": 0.1},
             label="m and v of shape () (0-d arrays, as np.zeros(()))", raises=ValueError),
        *generated(lambda rng: _draw_adam(rng, ("0-d arrays", (1, 61))), count=2, seed=63),  # last: as in _sgd_cases
        Case((np.array(0.5), np.array([2.0]), np.array([0.0]), np.array([0.0]), 1), {"lr": 0.1},
             label="a weight of shape () with a gradient, m and v of shape (1,)", raises=ValueError),
        Case((np.ones(2), np.array([np.nan, 1.0]), np.zeros(2), np.zeros(2), 1), {"lr": 0.1},
             label="a NaN gradient stays NaN (raise ValueError only for a wrong shape or t < 1)"),
        Case((np.ones(3), np.array([100, -50, 3], dtype=np.int8), np.zeros(3), np.zeros(3), 1), {"lr": 0.1},
             label="an int8 gradient with values up to 100"),  # grad ** 2 of int8 wraps around (100 ** 2 gives 16)
        Case((np.array([0.5, -0.25]), np.array([1e-3, -2e-3]), np.zeros(2), np.zeros(2), 1), {"lr": 1000.0},
             label="lr = 1000 (any positive finite learning rate is allowed)"),
        # beta2 = 0.999 needs thousands of steps before 1 - beta2**t reaches 1 (0.26 at t = 300, 0.99995 at
        # t = 10,000); the drawn steps beyond 100 come with drawn betas, so a correction dropped late passed
        Case((np.array([0.5, -0.25, 1.0]), np.array([0.3, -0.1, 2.0]), np.array([0.2, -0.05, 0.5]),
              np.array([0.02, 0.01, 0.3]), 300), label="step 300 with the default betas"),
        Case((np.array([0.5, -0.25, 1.0]), np.array([0.3, -0.1, 2.0]), np.array([0.2, -0.05, 0.5]),
              np.array([0.02, 0.01, 0.3]), 10_000), {"lr": 0.01}, label="step 10,000 with the default betas"),
        # m_hat / sqrt(v_hat) stays below 10 on every other input, and eps never goes below 1e-8 there
        Case((np.array([0.5, -0.5]), np.zeros(2), np.array([5.0, -0.2]), np.array([1e-4, 1e-6]), 1), {"lr": 1e-3},
             label="a large m with a small v: a step over 100 times lr"),
        Case((np.array([0.5]), np.array([1e-13]), np.zeros(1), np.zeros(1), 1), {"lr": 0.1, "eps": 1e-15},
             label="eps = 1e-15 with a gradient of 1e-13"),
        # round 13: t was always a Python int and the settings Python numbers, m and v never NaN, and every gradient
        # below 1e9
        Case((np.array([0.5, -0.25]), np.array([0.3, -0.1]), np.array([0.2, -0.05]), np.array([0.02, 0.01]),
              np.int64(3)), {"lr": 0.1}, label="t as np.int64(3) (as `for t in np.arange(1, 101)` gives)"),
        Case((np.array([0.5, -0.25]), np.array([0.3, -0.1]), np.array([0.2, -0.05]), np.array([0.02, 0.01]), 3),
             {"lr": np.float32(0.25), "beta1": np.float32(0.5), "beta2": np.float32(0.75)},
             label="lr, beta1 and beta2 as np.float32 (0.25, 0.5 and 0.75)"),
        Case((np.ones(2), np.array([0.5, 1.0]), np.array([np.nan, 0.0]), np.array([0.0, np.nan]), 2), {"lr": 0.1},
             label="a NaN in m and in v stays NaN (raise ValueError only for a wrong shape or t < 1)"),
        Case((np.array([1.0, -1.0]), np.array([1e15, -1e15]), np.array([1e14, 0.0]), np.array([1e28, 0.0]), 2),
             {"lr": 1e-3}, label="gradients of 1e15"),  # their squares, 1e30, float32 holds
        # round 14: no gradient was infinite or all zero, beta1 = 0 came only with whole-number arrays, no 2-D weight
        # had an axis of size 1, and no beta2 was so close to 1 that the correction still mattered after 100,000 steps
        Case((np.array([1.0, -1.0, 0.5]), np.array([np.inf, -np.inf, 2.0]), np.zeros(3), np.zeros(3), 1), {"lr": 0.1},
             label="infinite gradients: inf / inf gives NaN (raise ValueError only for a wrong shape or t < 1)"),
        Case((np.array([0.5, -1.0]), np.zeros(2), np.zeros(2), np.zeros(2), 1), {"lr": 0.1},
             label="a zero gradient with m = v = 0 (the weights stay, in new arrays)"),
        Case((np.array([0.5, -0.25]), np.array([0.3, -0.1]), np.array([0.2, -0.05]), np.array([0.02, 0.01]), 4),
             {"lr": 0.1, "beta1": 0.0}, label="beta1 = 0 with float arrays (m is then a copy of grad)"),
        Case((np.array([[0.5, -1.0, 2.0]]), np.array([[0.3, -0.1, 2.0]]), np.array([[0.2, -0.05, 0.5]]),
              np.array([[0.02, 0.01, 0.3]]), 5), {"lr": 0.01}, label="a bias row of shape (1, 3)"),
        Case((np.array([0.5, -0.25]), np.array([0.3, -0.1]), np.array([0.2, -0.05]), np.array([0.02, 0.01]),
              1_000_000), {"lr": 0.01, "beta2": 1 - 1e-7},
             label="step 1,000,000 with beta2 = 1 - 1e-7 (1 - beta2**t is 0.095)"),
        # round 15: an array of shape () came only with a weight of shape () or with m and v both of shape (), and
        # every array was in C order
        Case((np.ones(3), np.array(0.5), np.zeros(3), np.zeros(3), 1), {"lr": 0.1},
             label="a gradient of shape () for weights of shape (3,)", raises=ValueError),
        Case((np.ones(3), np.ones(3), np.zeros(3), np.zeros(()), 1), {"lr": 0.1},
             label="v of shape () with m of the weights' shape (3,)", raises=ValueError),
        Case((np.ones(3), np.ones(3), np.zeros(()), np.zeros(3), 1), {"lr": 0.1},
             label="m of shape () with v of the weights' shape (3,)", raises=ValueError),
        Case((np.asfortranarray(np.arange(6.0).reshape(2, 3)), np.arange(3.0, 9.0).reshape(3, 2).T,
              np.asfortranarray(np.array([[1.0, 0.0, -1.0], [0.5, 2.0, 0.25]])),
              np.asfortranarray(np.array([[0.5, 0.1, 2.0], [0.25, 1.0, 0.0]])), 3), {"lr": 0.1},
             label="weights, m and v in Fortran order and a transposed gradient (as (dZ.T @ X).T gives)"),
        Case((np.array([np.nan, 1.0]), np.array([0.5, 0.5]), np.zeros(2), np.zeros(2), 1), {"lr": 0.1},
             label="a NaN weight stays NaN (raise ValueError only for a wrong shape or t < 1)"),
        # round 16: no weight had more than 3 axes or no element, and every beta1 of a step beyond 300 was at most 0.99,
        # so that 1 - beta1**t was 1 within 1e-6 after 1,400 steps (a correction of m dropped late passed)
        Case((_KERNEL.copy(), _KERNEL[::-1] / 4, _KERNEL[:, ::-1] / 8, np.abs(_KERNEL[..., ::-1]) / 16, 5), {"lr": 0.1},
             label="a convolution kernel of shape (2, 3, 2, 2) (4 axes)"),
        Case((np.zeros((0, 3)), np.zeros((0, 3)), np.zeros((0, 3)), np.zeros((0, 3)), 1), {"lr": 0.1},
             label="weights of shape (0, 3) (no element: empty results)", points=0),
        Case((np.array([0.5, -0.25]), np.array([0.3, -0.1]), np.array([0.2, -0.05]), np.array([0.02, 0.01]),
              1_000_000), {"lr": 0.01, "beta1": 1 - 1e-6},
             label="step 1,000,000 with beta1 = 1 - 1e-6 (1 - beta1**t is 0.63)"),
        # round 16: no t was above 1,000,000, so an upper limit on t passed
        Case((np.array([0.5, -0.25]), np.array([0.3, -0.1]), np.array([0.2, -0.05]), np.array([0.02, 0.01]), 2 ** 62),
             {"lr": 0.01}, label="step 2**62 (any t >= 1 is allowed; both corrections are 1)"),
        # round 18: as in _sgd_cases (the first step moves each weight by lr)
        Case((np.array([3.3e-11, -7.7e-12]), np.array([0.5, -2.0]), np.zeros(2), np.zeros(2), 1), {"lr": 1e-11},
             label="weights of 1e-11 and lr = 1e-11 (np.round(..., 10) would make them 0)"),
        # round 22: the largest t whose correction mattered was 1,000,000, so a correction dropped (or t capped) after
        # 10,000,000 steps passed; with beta2 the largest float below 1 it matters up to t = 2**53 and beyond
        Case((np.array([0.5, -0.25]), np.array([0.3, -0.1]), np.array([0.2, -0.05]), np.array([0.02, 0.01]), 2 ** 53),
             {"lr": 0.01, "beta2": float(np.nextafter(1.0, 0.0))},
             label="step 2**53 with beta2 = 1 - 2**-53 (the largest float below 1; 1 - beta2**t is 0.63)"),
        # round 34 (r345 F1, F2): the smallest weights were of 1e-11 and the smallest lr 1e-11, so np.round(new_w, 13)
        # and a refusal of lr below 1e-12 passed (the first step moves each weight by lr; float32 holds 1e-36)
        Case((np.array([3.3e-36, -7.7e-37]), np.array([0.5, -2.0]), np.zeros(2), np.zeros(2), 1), {"lr": 1e-36},
             label="weights of 1e-36 and lr = 1e-36 (np.round(..., 13) would make them 0)"),
        # round 35 (r355 F1): as in _momentum_cases (float16 holds 3 significant digits, and 300 ** 2 overflows it)
        Case(_float16(([1000.0, -0.5, 2.0], [300.0, 0.25, -0.001], [10.0, 0.0, 0.0], [1000.0, 0.5, 0.0])) + (5,),
             {"lr": 0.1}, label=("float16 arrays (convert them to float64 too: in float16, 300 ** 2 overflows to inf "
                                 "and eps = 1e-8 rounds to 0)")),
    ]


# ---------------------------------------------------------------- generated inputs (steps)
# The hand-picked cases share accidents (arrays of 1-2 dimensions, never float32, lr and mu always passed by
# position and never whole, Adam's lr always by keyword and its defaults never used alone, a wrong shape of
# w's length only ever in grad); the drawn ones vary them.
_SAFE32 = dict(rtol=2.5e-7, atol=2.5e-9)  # inputs are drawn where float32 arithmetic stays this close (1/4 of rtol)


def _float16(arrays):
    """The arrays as float16 (round 35, r355 F1)."""
    return tuple(np.array(a, dtype=np.float16) for a in arrays)


def _draw_array(rng, shape, kind, scale=None, positive=False):
    """float64, float32 or whole-number ("int") values of ``shape``; ``positive``: >= 0 (a mean of squares)."""
    if kind == "int":
        x = rng.integers(0 if positive else -9, 10, size=shape)
        return x.astype(np.int64)
    x = draw_floats(rng, shape, scale)
    x = np.abs(x) if positive else x
    return np.asarray(x.astype(np.float32) if kind == "float32" else x)  # 0-d too: np.abs gives a scalar


def _draw_lr(rng):
    """A learning rate from 1e-4 to 5, sometimes a whole number (1 to 3)."""
    if rng.random() < 0.2:
        return int(rng.integers(1, 4))
    return float(np.exp(rng.uniform(np.log(1e-4), np.log(5.0))))


def _holds_in_float32(formula, arrays, *scalars):
    """Whether ``formula`` computed in float32 (the arrays cast to it; numpy keeps float32 with Python scalars)
    stays within _SAFE32 of float64: otherwise a right answer that computes in float32 could fail."""
    low = formula(*(a.astype(np.float32) for a in arrays), *scalars)
    high = formula(*(a.astype(float) for a in arrays), *scalars)
    one = lambda r: (r,) if isinstance(r, (np.ndarray, np.generic)) else r  # 0-d inputs give numpy scalars
    low, high = one(low), one(high)
    return all(np.allclose(a, b, **_SAFE32) for a, b in zip(low, high))


def _draw_state(rng, names, positive=(), formula=None, scalars=(), shape=None, scale=None, whole=False):
    """Arrays of one drawn shape (1 to 3 dimensions, sizes 1 to 7, unless ``shape`` is given: () too), each of its
    own dtype.

    The arrays are redrawn until float32 arithmetic of ``formula`` holds the check's tolerance
    (cancellation in w - lr * grad would otherwise reject a right answer that computes in float32), whatever
    the drawn dtypes. ``whole``: every array holds whole numbers (int64).
    """
    shape = draw_shape(rng, int(rng.integers(1, 4))) if shape is None else shape
    while True:
        kinds = ["int"] * len(names) if whole else rng.choice(["float64", "float32", "int"], size=len(names),
                                                                p=[0.5, 0.3, 0.2])
        arrays = [_draw_array(rng, shape, str(k), scale=scale, positive=name in positive)
                  for name, k in zip(names, kinds)]
        if formula is None or _holds_in_float32(formula, arrays, *scalars):
            return arrays


def _passed(rng, names, values):
    """A Case with ``values`` passed as a learner might: by position, by keyword or both."""
    return Case(*draw_call(rng, names, values))


def _wrong_shape(rng, shape, kind):
    """Another shape than ``shape`` that numpy would broadcast against it or that has its size and length.

    "a size of 1 inside" keeps the number of dimensions and the length (len() and .ndim agree); "transposed"
    keeps the size and the number of dimensions; "a size of 1 in the middle" also keeps the first and the last
    size (of 3 dimensions); "the last two sizes swapped" keeps the number of dimensions, the length and the size
    (of 3 dimensions); "the first axis dropped" ((k,) for (1, k)) broadcasts to w's shape and keeps the size;
    "a column" ((k, 1) for (k,)) and "an extra axis" add a last axis of size 1, any other kind ("an extra
    first axis": (1, k) for (k,), which ends in w's shape) a first one.
    """
    if kind == "a size of 1 in the middle":
        return shape[:1] + (1,) * (len(shape) - 2) + shape[-1:]
    if kind == "a size of 1 inside":
        i = int(rng.integers(1, len(shape)))
        return shape[:i] + (1,) + shape[i + 1:]
    if kind == "transposed":
        return shape[::-1]
    if kind == "the last two sizes swapped":
        return shape[:-2] + shape[:-3:-1]
    if kind == "the first axis dropped":
        return shape[1:]
    return shape + (1,) if kind in ("an extra axis", "a column") else (1,) + shape


def _shape_for(rng, kind):
    """A shape (1 to 3 dimensions) on which ``kind`` of wrong shape differs and still broadcasts or has its size."""
    if kind == "transposed":  # (1, ..., k) against (k, ..., 1): the same size, and numpy broadcasts them
        return (1, *draw_shape(rng, int(rng.integers(1, 3)), low=2))
    if kind == "a size of 1 in the middle":  # only a middle size differs: the first and last sizes agree
        return draw_shape(rng, 3, low=2)
    if kind == "the last two sizes swapped":  # (a, 1, c) against (a, c, 1): ndim, len() and size agree
        a, c = draw_shape(rng, 2, low=2)
        return (a, 1, c)
    if kind == "the first axis dropped":  # (k,) against (1, k): numpy broadcasts it to w's shape, the size agrees
        return (1, *draw_shape(rng, 1, low=2))
    if kind == "a column":  # (k,) against (k, 1): len() and size agree
        return draw_shape(rng, 1, low=2)
    if kind == "an extra first axis":  # (1, *shape) against shape: it ends in w's shape, and the size agrees
        return draw_shape(rng, int(rng.integers(1, 3)), low=2)
    while True:
        shape = draw_shape(rng, int(rng.integers(2, 4)), low=2)
        if shape[::-1] != shape:
            return shape


def _draw_sgd(rng, kind=None):
    """``kind``: None, or "0-d arrays" (a single weight of shape (), as a bias or a temperature can be)."""
    lr = _draw_lr(rng)
    w, grad = _draw_state(rng, ("w", "grad"), formula=ref._sgd, scalars=(lr,),
                          shape=() if kind == "0-d arrays" else None)
    return _passed(rng, ("w", "grad", "lr"), (w, grad, lr))


def _draw_bad_sgd(rng, problem):
    """An input a right answer rejects: ``problem`` is a kind of wrong shape for grad (see _wrong_shape) or "lr"."""
    lr = _draw_lr(rng)
    w, grad = _draw_state(rng, ("w", "grad"), shape=_shape_for(rng, problem))
    if problem == "lr":
        lr = float(rng.choice([0.0, -lr]))
    else:
        grad = _draw_array(rng, _wrong_shape(rng, w.shape, problem), "float64")
    case = _passed(rng, ("w", "grad", "lr"), (w, grad, lr))
    return Case(case.args, case.kwargs, raises=ValueError)


def _draw_mu(rng):
    """0, the default 0.9, anything in [0, 1), or close below 1."""
    return float(rng.choice([0.0, 0.9, rng.uniform(0, 1), 1 - 10 ** rng.uniform(-4, -1)]))


def _draw_momentum(rng, passing):
    """``passing``: "default mu" leaves mu out (0.9); otherwise all passed, as ``_passed`` draws ("mu = 0, a
    whole number": the int 0; "whole-number arrays": int64 arrays with a fractional lr and mu, whose result is
    not whole; "three axes": arrays of 3 dimensions; "0-d arrays": of shape ())."""
    lr, mu = _draw_lr(rng), 0.9 if passing == "default mu" else _draw_mu(rng)
    mu = 0 if passing == "mu = 0, a whole number" else mu
    whole = passing == "whole-number arrays"
    if whole:
        lr, mu = float(rng.uniform(0.01, 0.99)), float(rng.uniform(0.05, 0.95))
    shape = draw_shape(rng, 3) if passing == "three axes" else () if passing == "0-d arrays" else None
    w, grad, velocity = _draw_state(rng, ("w", "grad", "velocity"), formula=ref._momentum, scalars=(lr, mu),
                                    shape=shape, whole=whole)
    names, values = ["w", "grad", "velocity", "lr", "mu"], [w, grad, velocity, lr, mu]
    if passing == "default mu":
        names, values = names[:-1], values[:-1]
    return _passed(rng, names, values)


def _draw_bad_momentum(rng, problem):
    """An input a right answer rejects: ``problem`` is "grad: <kind>", "velocity: <kind>", "lr" or "mu"."""
    lr, mu = _draw_lr(rng), _draw_mu(rng)
    kind = problem.split(": ")[-1]
    w, grad, velocity = _draw_state(rng, ("w", "grad", "velocity"), shape=_shape_for(rng, kind))
    if problem.startswith("grad"):
        grad = _draw_array(rng, _wrong_shape(rng, w.shape, kind), "float64")
    elif problem.startswith("velocity"):
        velocity = _draw_array(rng, _wrong_shape(rng, w.shape, kind), "float64")
    elif problem == "lr":
        lr = float(rng.choice([0.0, -lr]))
    else:
        mu = float(rng.choice([1.0, 1.0 + rng.uniform(0, 0.5), -rng.uniform(0.01, 1)]))
    case = _passed(rng, ("w", "grad", "velocity", "lr", "mu"), (w, grad, velocity, lr, mu))
    return Case(case.args, case.kwargs, raises=ValueError)


_OLD_MOMENTS_STEP = ("update m and v first, then step with the NEW ones: w moved with the m and v you were given "
                     "lags one gradient behind (a first step from m = v = 0 does not move at all), the order that "
                     "04b §3 corrects in source 001's Adam")

_ADAM_NAMES = ("w", "grad", "m", "v", "t", "lr", "beta1", "beta2", "eps")
_ADAM_DEFAULTS = (1e-3, 0.9, 0.999, 1e-8)


def _draw_adam_settings(rng):
    """lr, beta1, beta2 and eps: the defaults, or drawn (beta1 in [0, 0.99], beta2 up to 0.9999, eps 1e-8 to 1e-3)."""
    if rng.random() < 0.25:
        return _ADAM_DEFAULTS
    return (_draw_lr(rng), float(rng.choice([rng.uniform(0, 0.99), 0.9])),
            float(1 - np.exp(rng.uniform(np.log(1e-4), np.log(0.5)))),
            float(np.exp(rng.uniform(np.log(1e-8), np.log(1e-3)))))


def _adam_formula(w, g, m, v, t, lr, beta1, beta2, eps):
    return ref._adam(w, g, m, v, t, lr, beta1, beta2, eps, "torch")


_ADAM_PASSING = ("defaults", "lr only", "position", "keyword", "mixed")


def _adam_case(rng, arrays, t, settings, passing):
    """The arguments passed as ``passing`` says: "defaults" leaves out lr, the betas and eps (the drawn ones
    are then the defaults), "lr only" leaves out the betas and eps, or as ``_passed`` draws."""
    if passing == "defaults":
        return Case((*arrays, t))
    if passing == "lr only":
        return Case((*arrays, t), {"lr": settings[0]}) if rng.random() < 0.5 else Case((*arrays, t, settings[0]))
    if passing == "position":
        return Case((*arrays, t, *settings))
    return _passed(rng, _ADAM_NAMES, [*arrays, t, *settings])


def _draw_adam(rng, passing_and_steps):
    """Arguments passed as ``passing`` says, a step t from ``steps`` (low, high); gradients and v now and then
    tiny, so that eps matters ("0-d arrays": every array of shape ())."""
    passing, steps = passing_and_steps
    t = int(rng.integers(*steps))
    settings = _draw_adam_settings(rng)
    if passing == "defaults":
        settings = _ADAM_DEFAULTS
    elif passing == "lr only":
        settings = (_draw_lr(rng), *_ADAM_DEFAULTS[1:])
    elif passing == "beta1 = 0, a whole number":  # allowed (0 <= beta1 < 1): m is then this step's gradient
        settings = (settings[0], 0, *settings[2:])
    elif passing == "beta2 = 0, a whole number":  # allowed (0 <= beta2 < 1): v is then this step's g**2
        settings = (settings[0], settings[1], 0, settings[3])
    whole = passing == "whole-number arrays"  # int64 arrays: the new w, m and v are not whole
    if whole:
        settings = (settings[0], float(rng.uniform(0.05, 0.95)), *settings[2:])
    scale = float(10 ** rng.uniform(-7, -4)) if rng.random() < 0.3 and not whole else None
    shape = () if passing == "0-d arrays" else draw_shape(rng, int(rng.integers(1, 4)))
    w = _draw_state(rng, ("w",), shape=shape, whole=whole)[0]
    grad, m, v = _draw_state(rng, ("grad", "m", "v"), positive=("v",), shape=shape, scale=scale, whole=whole)
    while not _holds_in_float32(_adam_formula, [w, grad, m, v], t, *settings):
        w = _draw_state(rng, ("w",), shape=shape, whole=whole)[0]
        grad, m, v = _draw_state(rng, ("grad", "m", "v"), positive=("v",), shape=shape, scale=scale, whole=whole)
    return _adam_case(rng, [w, grad, m, v], t, settings, passing)


def _draw_bad_adam(rng, problem):
    """An input a right answer rejects: ``problem`` is "grad: <kind>", "m: <kind>", "v: <kind>" or "t"."""
    t = int(rng.integers(1, 100))
    settings = _draw_adam_settings(rng)
    kind = problem.split(": ")[-1]
    arrays = _draw_state(rng, ("w", "grad", "m", "v"), positive=("v",), shape=_shape_for(rng, kind))
    if problem == "t":
        t = -int(rng.integers(2, 10))  # 0 and -1 are hand-picked
    else:
        which = ("grad", "m", "v").index(problem.split(":")[0]) + 1
        arrays[which] = _draw_array(rng, _wrong_shape(rng, arrays[0].shape, kind), "float64", positive=which == 3)
    case = _adam_case(rng, arrays, t, settings, str(rng.choice(_ADAM_PASSING[2:])))
    return Case(case.args, case.kwargs, raises=ValueError)


# round 31 (r314 F1): the comparison runs after the answer's run, outside the numpy-only watch, and reads the result's
# attributes (hasattr(got, "detach"), a tuple's items): a subclass of numpy's array (or of tuple) of the answer's own,
# returned holding zeros, wrote torch's step into itself from its __getattr__ there and passed. Only results of exact
# kinds are read (a plain list is named by the comparison): their attributes and items run no code of the answer's
_RESULT_KINDS = tuple({np.ndarray, np.matrix, np.ma.MaskedArray, tuple, list, float, int, type(None),
                       *np.sctypeDict.values()})
_OWN_KIND = ("a result came back as a {kind}, not a plain numpy array: the check and the lesson's next cells use what "
             "your function returns as plain numpy arrays (np.ndarray itself, not a dict, a map, a class of your own "
             "or another subclass of numpy's array, tuple or list). Return plain numpy arrays, as `w - lr * grad` "
             "gives (several results in a plain tuple)")


def _own_kind(got, want):
    """The name of a class of the answer's own that ``got`` or one of its items is, else None (read by type only)."""
    items = [got]
    if isinstance(want, tuple) and (type(got) is tuple or type(got) is list):
        items = list(got)
    own = [type(item) for item in items if not any(type(item) is kind for kind in _RESULT_KINDS)]   # is: a metaclass
    # of the answer's could make its class compare equal to np.ndarray
    return type.__getattribute__(own[0], "__name__") if own else None


def _arrays_compared(got, want):
    """compare_values, and then each new array must come back as a numpy array: the lesson's next cells use
    .shape and numpy arithmetic on it, which a Python list (of a loop over w, or of .tolist()) lacks."""
    own = _own_kind(got, want)
    if own is not None:
        raise Mismatch(t(_OWN_KIND, kind=own))
    compare_values(got, want)
    pairs = list(zip(got, want) if isinstance(want, tuple) else [(got, want)])
    for number, (g, w) in enumerate(pairs, 1):
        # compare_values' atol of 1e-8 would let any array whose values all lie below 1e-6 pass as zeros, rounded to 8
        # decimals or floored: there the tolerance scales with the array (float32 arithmetic stays far inside it)
        scale = np.max(np.abs(w), initial=0.0, where=np.isfinite(w)) if isinstance(w, (np.ndarray, np.generic)) else 0
        if 0 < scale < 1e-6:
            try:
                compare_values(g, w, atol=1e-2 * scale)
            except Mismatch as mismatch:
                raise Mismatch(t("result #{number}: {problem}", number=number, problem=mismatch)
                               if len(pairs) > 1 else str(mismatch)) from None
    for g, w in pairs:
        # compare_values lets an array of shape (1,) stand for the number a weight of shape () gives
        if isinstance(w, (np.ndarray, np.generic)) and np.shape(g) != np.shape(w):
            raise Mismatch(t("a new array has shape {got}, but w has shape {want}: return arrays of w's own shape "
                             "(np.atleast_1d or a reshape turns a weight of shape () into one of shape (1,))",
                             got=np.shape(g), want=np.shape(w)))
        if isinstance(w, np.ndarray) and not isinstance(g, np.ndarray):
            raise Mismatch(t("a new array came back as a {kind}, not a numpy array: the lesson's next cells use "
                             "its .shape and numpy arithmetic (1000 * a list repeats it). Return the numpy "
                             "array itself, as `w - lr * grad` gives", kind=type(g).__name__))


# ---------------------------------------------------------------- mini-batches: is the order rng.permutation's?
_RING_N = 12  # round 16: the _RING_CALLS more calls (a ring of buffers) go to the cases of at most 12 indices
_RUN_SEED, _OTHER_SEED = 2026, 7   # not 0 or 42: a learner's hard-coded seed must not happen to match
_ORDER_PROBLEMS = {
    "not reproducible": "the same rng seed gave a different order on a second call: shuffle with this call's `rng` "
                        "argument (rng.permutation(n)), not with np.random or a generator kept from an earlier call",
    "in order": "the indices come out in order 0, 1, 2, ...: shuffle them with rng.permutation(n)",
    "reversed": "the indices come out in reverse order n-1, ..., 0: that is not a shuffle; use rng.permutation(n)",
    "rotated": "the order is 0..n-1 rotated (as np.roll gives): every example keeps its neighbours; "
               "use rng.permutation(n)",
    "blocks": "each batch holds consecutive indices (only the order of the batches is random): shuffle the "
              "indices themselves with rng.permutation(n), then cut",
    "within blocks": "each batch holds the same consecutive indices in every epoch, only shuffled inside the "
                     "batch: shuffle all the indices with rng.permutation(n), then cut",
    "partly in order": "more than a quarter of the indices stay at their own place (order[i] == i): shuffle all "
                       "of them with rng.permutation(n)",
    "ignores rng": "two different rng seeds gave the same order: shuffle with the `rng` argument, not a fixed "
                   "seed of your own",
    "same every epoch": "a second call with the same rng gave the same order again, so every epoch of the training "
                        "loop sees one order: shuffle with the rng itself (rng.permutation(n)), not with a copy of it "
                        "or a new generator made from it",
    "never in place": "in 64 shuffles with different seeds no index ever stayed at its own place (order[i] == i), "
                      "which a fair shuffle does in about 2 shuffles of 3: a loop of your own must draw j from 0 to i "
                      "inclusive (rng.integers(0, i + 1)); simpler, use rng.permutation(n)",
    "unmixed": "some indices never left their half of the order in 64 shuffles with different seeds (a part kept "
               "apart, such as the last, smaller batch, or each half shuffled on its own): shuffle all of 0..n-1 "
               "together with rng.permutation(n), then cut",
    "few orders": "256 shuffles with different seeds gave the same order more than once, which a fair shuffle of "
                  "100 or more indices practically never does: your function picks from only a few orders (a "
                  "generator seeded with a small number, such as np.random.default_rng(rng.integers(1000)), or one "
                  "fixed order rotated). Shuffle with the rng itself: rng.permutation(n)",
    "fixed points": "over 256 shuffles with different seeds the indices stayed at their own place (order[i] == i) "
                    "far more or far less often than the once per shuffle of a fair shuffle: the order is not "
                    "uniformly random (a shuffled order shuffled again by itself, order[order], is one way). Shuffle "
                    "once with rng.permutation(n)",
    "neighbours kept": "over 256 shuffles with different seeds an index was followed by the next one (i, then i + 1) "
                       "far more often than the about once per shuffle of a fair shuffle: groups of neighbours stay "
                       "together. Shuffle all the indices one by one with rng.permutation(n), then cut",
    "pairs in order": "over 256 shuffles with different seeds, two neighbouring places of the order held their "
                      "indices in increasing order far more or far less often than in half of the shuffles, as a fair "
                      "shuffle does: part of the order was put in order after the shuffle (a pair or a batch sorted, "
                      "or swapped into place). Shuffle once with rng.permutation(n) and leave the order as it is",
    "batches sorted": "a batch held its indices in increasing order in almost every one of 256 shuffles with different "
                      "seeds: it was sorted after the shuffle (np.sort, sorted(...)), and a fair shuffle leaves a batch of "
                      "3 or more in increasing order in at most 1 shuffle of 6. Keep the order rng.permutation(n) gives, "
                      "then cut, and leave each batch as it is",
    "ties kept in order": "neighbouring places of the order held increasing indices far more (or far less) often "
                          "than in half of the places, as a fair shuffle of many indices does: random sort keys from a "
                          "fixed range (such as rng.integers(0, 1000, n)) tie more and more often as n grows, and a "
                          "stable sort (sorted(...), np.argsort(..., kind=\"stable\")) keeps tied indices in "
                          "increasing order. Shuffle with rng.permutation(n)",
    "biased": "the shuffle is biased: over 256 shuffles with different seeds the indices kept a trace of their "
              "starting order (an index and its new position are correlated; in a fair shuffle they are not). A loop "
              "of your own must swap order[i] with order[j] for j drawn from 0..i (Fisher-Yates), not from all of "
              "0..n-1, and random sort keys must not tie; simpler, use rng.permutation(n)",
}
_MIX_RUNS = 64  # a shuffle of all n indices leaves a given index in one half 64 times with chance about 2**-64
_BIAS_RUNS, _BIAS_FROM = 256, 100  # the bias test: how many shuffles, and from which n on
_LARGE_N = 1000  # round 33 (r334 F2): above it, the rises of a few orders are judged (_ties_kept), not 320 shuffles


def _order_problem(answer, n, batch_size, order):
    """'' when ``order`` is rng.permutation's (or another rng-driven shuffle), else a key of ORDER_PROBLEMS."""
    # round 27 (r274 F1): an order equal to rng.permutation's for the run seed skipped every test of the rng but two
    # calls in a row, so an answer that ignored its rng (a generator of its own, unseeded) and returned the run
    # seed's order at its first call for each input passed; two calls with a seed that no answer can know must agree
    seed = secrets.randbits(63)
    if not np.array_equal(*(np.concatenate([np.asarray(b) for b in answer(n, batch_size, np.random.default_rng(seed))])
                            for _ in range(2))):
        return "not reproducible"
    if np.array_equal(order, np.random.default_rng(_RUN_SEED).permutation(n)):
        # round 28 (r284 F6): the tests of the order drawn with other seeds were skipped here, so an answer that gave
        # rng.permutation's order at its first call for each input and a biased shuffle at every later call (every
        # later epoch of a training loop) passed; they run here too (for rng.permutation's orders they find nothing)
        return _shuffle_statistics(answer, n, batch_size, order) or ("" if n > _LARGE_N else
                                                                   _uneven(answer, n, batch_size))
    again = np.concatenate([np.asarray(b) for b in answer(n, batch_size, np.random.default_rng(_RUN_SEED))])
    if not np.array_equal(order, again):
        return "not reproducible"
    if n < 10:  # too few orders to judge the rest without false alarms; few enough to count each order (n <= 4)
        return _uneven(answer, n, batch_size)
    start = np.arange(n)
    if np.array_equal(order, start):
        return "in order"
    if np.array_equal(order, start[::-1]):
        return "reversed"
    if np.array_equal(order, np.roll(start, -int(order[0]))):
        return "rotated"
    several = 1 < batch_size < n  # one batch of all n indices is always a block of consecutive ones
    if several and all(np.all(np.diff(np.asarray(b)) == 1) for b in _cut(order, batch_size)):
        return "blocks"
    if several and all(np.ptp(b) == len(b) - 1 for b in _cut(order, batch_size)):
        return "within blocks"
    if n >= 50 and np.sum(order == start) > n // 4:  # a real shuffle leaves about 1 in place
        return "partly in order"
    other = np.concatenate([np.asarray(b) for b in answer(n, batch_size, np.random.default_rng(_OTHER_SEED))])
    if np.array_equal(order, other):
        return "ignores rng"
    return _shuffle_statistics(answer, n, batch_size, order)


def _shuffle_statistics(answer, n, batch_size, order):
    """The tests of many shuffles (mixing, bias, the same order twice); above _LARGE_N, the rises of a few orders."""
    if n > _LARGE_N:
        return _ties_kept(answer, n, batch_size, order) or _same_twice(answer, n, batch_size, order)
    mixing = _mixing(answer, n, batch_size) if n >= 50 else ""
    bias = "" if mixing or n < _BIAS_FROM else _bias(answer, n, batch_size)
    return mixing or bias or _same_twice(answer, n, batch_size, order)


def _ties_kept(answer, n, batch_size, order):
    """"ties kept in order" when ``order``, or the order of a generator's first or second call with other seeds, has
    far more or far fewer rises (order[i] < order[i + 1]) than a fair shuffle: their number has mean (n - 1)/2 and
    standard deviation sqrt((n + 1)/12), and leaves 6 of them with a chance of 2e-9.

    Round 33 (r334 F2): random sort keys from a fixed range (np.argsort(rng.integers(0, 1000, n), kind="stable"),
    sorted(range(n), key=lambda i: rng.integers(1000))) tie more often as n grows, and a stable sort keeps tied indices
    in increasing order; up to 300 indices the ties were too few for the other tests, and the shuffle passed. 10,000
    indices in keys of 0..999 rise in about 3/4 of the places (75 standard deviations); the other tests, 320 shuffles,
    would take a loop of the learner's own too long there."""
    rng = np.random.default_rng(_OTHER_SEED + 100)
    orders = [order, *(np.concatenate([np.asarray(b) for b in answer(n, batch_size, rng)]) for _ in range(2))]
    for one in orders:
        if len(one) == n and abs(np.sum(np.diff(one.astype(np.int64)) > 0) - (n - 1) / 2) > 6 * np.sqrt((n + 1) / 12):
            return "ties kept in order"
    return ""


def _same_twice(answer, n, batch_size, order):
    """"same every epoch" when a second call with the same rng gives ``order`` again: the caller's rng did not move
    on (a copy of it was used), so every epoch of a training loop sees the same order. Judged from n = 10 on."""
    if n < 10:
        return ""
    rng = np.random.default_rng(_RUN_SEED)
    first, second = ([np.asarray(b) for b in answer(n, batch_size, rng)] for _ in range(2))  # a generator runs too
    return "same every epoch" if np.array_equal(order, np.concatenate(second)) else ""


def _mixing(answer, n, batch_size):
    """Over _MIX_RUNS differently seeded calls: "unmixed" when some index stays in the same half of the order,
    "never in place" when no index ever stays at its own place (a fair shuffle leaves none with chance about
    1/e each time, as Sattolo's off-by-one Fisher-Yates always does), else ''."""
    seen_first, seen_second = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    in_place = False
    for seed in range(_MIX_RUNS):
        rng = np.random.default_rng(_RUN_SEED + 1 + seed)
        order = np.concatenate([np.asarray(b) for b in answer(n, batch_size, rng)])
        if len(order) != n or not np.array_equal(np.sort(order), np.arange(n)):
            continue  # judged on the run seed's order only
        seen_first[order[:n // 2]] = True
        seen_second[order[n // 2:]] = True
        in_place = in_place or bool(np.any(order == np.arange(n)))
    return "unmixed" if not (seen_first.all() and seen_second.all()) else "" if in_place else "never in place"


def _bias(answer, n, batch_size):
    """"biased" when, over _BIAS_RUNS differently seeded calls, an index and its new position are correlated.

    In a fair shuffle of n indices that correlation has mean 0 and standard deviation 1/sqrt(n - 1) per shuffle, so
    its mean over the runs stays below 5/sqrt(runs * (n - 1)) (0.031 for n = 100) but with a chance under 1e-6. The
    naive loop that swaps order[i] with any order[j], j drawn from all of 0..n-1, keeps about 0.055 of it whatever n
    (it favours the n**n draw sequences that move an index little), and so do random sort keys that tie (a stable
    sort keeps tied indices in their first order).

    The same runs also give "few orders" when an order comes twice (a fair shuffle of n >= 100 indices repeats one
    of its n! orders in 256 runs with a chance under 1e-150), and "neighbours kept" or "fixed points" when the
    indices followed by the next one (i, then i + 1), or the indices left in place (order[i] == i), are not about
    one per shuffle: in a fair shuffle both counts are close to Poisson(1), so their mean over the runs leaves
    1 +- 5/sqrt(runs) with a chance under 1e-6 (a shuffled order indexed by itself leaves 2 in place, a shuffle of
    pairs keeps n/2 neighbours). And "pairs in order" when two neighbouring places hold increasing indices in far
    more or far fewer than half of the runs: each count is Binomial(runs, 1/2), which leaves runs/2 +- 6 standard
    deviations with a chance of 2e-9, under 3e-7 for all n - 1 < 150 pairs (a pair sorted after the shuffle always
    increases). Before all of these (round 17), "batches sorted" when a batch of 3 or more indices increases in over
    90 % of the runs: in a fair shuffle each does so with a chance of 1/6 at most, and a batch sorted after the shuffle
    always does (it was named "biased" or "neighbours kept" before).
    """
    start, total, in_place, followed, seen = np.arange(n), 0.0, 0, 0, set()
    rising = np.zeros(n - 1, dtype=np.int64)  # per pair of neighbouring places: in how many runs they increase
    starts = np.arange(0, n, max(int(batch_size), 1))  # round 17: per batch of 3 or more, in how many runs its
    ends = np.minimum(starts + batch_size, n)            # indices increase
    starts, ends = starts[ends - starts > 2], ends[ends - starts > 2]
    sorted_runs = np.zeros(len(starts), dtype=np.int64)
    for seed in range(_BIAS_RUNS):
        rng = np.random.default_rng(_RUN_SEED + 1000 + seed)
        # round 28 (r284 F7): every other run judges a generator's second call, as a training loop uses its rng for
        # one epoch after another; judged at first calls only, an answer that shuffled fairly at a generator's first
        # call and with a biased loop at its later calls (every epoch after the first) passed
        if seed % 2:
            list(answer(n, batch_size, rng))
        order = np.concatenate([np.asarray(b) for b in answer(n, batch_size, rng)])
        if len(order) != n or not np.array_equal(np.sort(order), start):
            return ""  # judged on the run seed's order only
        order = order.astype(np.int64)
        total += np.corrcoef(start, np.argsort(order))[0, 1]
        in_place += int(np.sum(order == start))
        followed += int(np.sum(np.diff(order) == 1))
        rising += np.diff(order) > 0
        falls = np.concatenate([[0], np.cumsum(np.diff(order) <= 0)])  # falls[i]: decreases among places 0..i
        sorted_runs += falls[ends - 1] == falls[starts]
        seen.add(order.tobytes())
    if np.max(sorted_runs, initial=0) > 0.9 * _BIAS_RUNS:  # a fair shuffle: Binomial(runs, 1/6) at most, never near 90 %
        return "batches sorted"
    if len(seen) < _BIAS_RUNS:
        return "few orders"
    if abs(total / _BIAS_RUNS) > 5 / np.sqrt(_BIAS_RUNS * (n - 1)):
        return "biased"
    if abs(followed / _BIAS_RUNS - 1) > 5 / np.sqrt(_BIAS_RUNS):  # first: a shuffle of pairs leaves 2 in place too
        return "neighbours kept"
    if abs(in_place / _BIAS_RUNS - 1) > 5 / np.sqrt(_BIAS_RUNS):
        return "fixed points"
    # round 14: two neighbouring places whose indices increase far more or less often than in half of the runs
    return "pairs in order" if np.max(np.abs(rising - _BIAS_RUNS / 2)) > 6 * np.sqrt(_BIAS_RUNS / 4) else ""


_UNEVEN = ("in {runs} shuffles of {n} indices with different seeds, {seen} of the {orders} possible orders came out, "
           "and not about equally often, as a fair shuffle gives them: a loop of your own must swap at every place, "
           "the last one too (Fisher-Yates: for i from n - 1 down to 1, swap order[i] with order[j], j drawn from "
           "0..i), and random sort keys must not tie (np.argsort(rng.integers(0, n, n)) ties some); simpler, use "
           "rng.permutation(n)")
_EVEN_RUNS = 100   # shuffles per possible order in the test of a few indices (2,400 for 4 indices)
_EVEN_LIMITS = {2: 37.3, 3: 50.7, 4: 89.1}  # chi-square with n! - 1 degrees of freedom that a fair shuffle exceeds with
# a chance of 1e-9 (scipy.stats.chi2.isf(1e-9, n! - 1))


def _uneven(answer, n, batch_size):
    """"uneven:<number of orders seen>" when, for n from 2 to 4, some of the n! orders never come out in
    _EVEN_RUNS * n! differently seeded calls, or the counts of the orders are far from even (a chi-square test),
    else ''.

    The tests of larger n look at one statistic at a time, and a shuffle can pass each of them yet reach only some
    orders: the backward Fisher-Yates loop that stops at i = 2 instead of 1 never swaps the last two places, so it
    reaches only half of the orders (12 of the 24 of 4 indices). A fair shuffle leaves one of the 24 orders out of
    2,400 runs with a chance of 24 * (23/24)**2400, about 1e-43."""
    if not 2 <= n <= max(_EVEN_LIMITS):
        return ""
    orders = math.factorial(n)
    runs = _EVEN_RUNS * orders
    counts = {}
    for seed in range(runs):
        rng = np.random.default_rng(_RUN_SEED + 5000 + seed)
        order = tuple(int(i) for b in answer(n, batch_size, rng) for i in np.asarray(b))
        if len(order) != n or sorted(order) != list(range(n)):
            return ""  # judged on the run seed's order only
        counts[order] = counts.get(order, 0) + 1
    expected = runs / orders
    spread = sum((c - expected) ** 2 / expected for c in counts.values()) + (orders - len(counts)) * expected
    return f"uneven:{len(counts)}" if len(counts) < orders or spread > _EVEN_LIMITS[n] else ""


def _cut(order, batch_size):
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]


def _batches_summary(answer, case):
    """Run the learner's function with a seeded rng and summarise what must hold for a correct shuffle."""
    n, batch_size = case.args
    global_state, python_state = np.random.get_state(), random.getstate()
    try:
        np.random.random()  # a state that no np.random.seed(...) gives, so that re-seeding shows as a change
        random.random()     # the same for Python's own random module and random.seed(...)
        marker, python_marker = np.random.get_state(), random.getstate()
        returned = answer(n, batch_size, np.random.default_rng(_RUN_SEED))
        # round 28 (r284 F1): a generator (yield) runs only when listed; listed after this test, its np.random.seed
        # was told by the engine that "this function needs no random numbers"
        result = None if returned is None else list(returned)  # a generator's own ValueError is raised here
        global_changed = not same_numpy_state(marker, np.random.get_state())
        python_changed = random.getstate() != python_marker
    finally:
        np.random.set_state(global_state)
        random.setstate(python_state)
    if result is None:
        raise Mismatch(t("the function returned None. Did you forget `return`?"))
    if global_changed:
        raise Mismatch(t("your function changed numpy's global random state (np.random.seed, np.random.shuffle, "
                         "np.random.permutation, ...): the rest of the program draws other numbers after each call. Use only the `rng` "
                         "argument: rng.permutation(n)"))
    if python_changed:
        raise Mismatch(t("your function changed the global state of Python's random module (random.seed, "
                         "random.shuffle, ...): the rest of the program draws other numbers after each call. Use only "
                         "the `rng` argument: rng.permutation(n)"))
    if case.raises:  # round 18: judged by the engine ("should raise ValueError ..., but returned []"), not as batches
        return result
    if any(isinstance(b, tuple) for b in result):
        raise Mismatch(t("a batch is a tuple, but X[idx] reads a tuple as one index per axis (X[(3, 7)] is a single "
                         "element, and 3 or more raise IndexError): return index arrays, such as "
                         "order[i:i + batch_size] of order = rng.permutation(n)"))
    batches = [np.asarray(b) for b in result]
    if batches and all(b.ndim == 0 for b in batches):  # round 18: the order itself, not cut ("got 10 batches" before)
        raise Mismatch(t("the function returned {count} single numbers, not batches: cut the shuffled order into index "
                         "arrays, [order[i:i + batch_size] for i in range(0, n, batch_size)]", count=len(batches)))
    if not batches or any(b.ndim != 1 for b in batches):
        raise Mismatch(t("expected a list of 1-D index arrays, got {count} batches", count=len(batches)))
    floats = [b.dtype for b in batches if b.size and b.dtype.kind not in "iu"]
    if floats:
        raise Mismatch(t("the batches hold values of type {dtype}: index arrays must hold integers, as "
                         "rng.permutation(n) gives", dtype=floats[0]))
    narrow = [b.dtype for b in batches if b.size and b.dtype.kind in "iu" and np.iinfo(b.dtype).max < 2 ** 31 - 1]
    if narrow:  # only n above their largest number would show it (uint8 is caught by n = 300 too)
        raise Mismatch(t("the batches hold indices of type {dtype}, which holds numbers up to {top} only: for a larger "
                         "data set (ImageNet trains on 1.28 million images) the indices wrap around. Return the "
                         "integers of rng.permutation(n) as they are", dtype=narrow[0], top=np.iinfo(narrow[0]).max))
    returned_again = answer(n, batch_size, np.random.default_rng(_OTHER_SEED))
    if returned_again is returned and not isinstance(returned, (tuple, str, bytes)):  # round 28 (r284 F3)
        raise Mismatch(t(_LIST_KEPT))
    again = [np.asarray(b) for b in returned_again]
    if any(np.shares_memory(b, c) for b in batches for c in again if b.size and c.size):
        raise Mismatch(t("a second call returned batches in the same memory as the first call's: your function writes "
                         "the order into one array kept between calls, so the batches of an epoch that the caller kept "
                         "are overwritten by the next epoch's. Return new arrays at every call (rng.permutation(n) "
                         "makes one)"))
    calls = [batches, again] + [[np.asarray(b) for b in answer(n, batch_size, np.random.default_rng(_OTHER_SEED + k))]
                                for k in range(1, 4)]  # round 15: arrays used in turn, five calls in all
    for k in range(_RING_CALLS if n <= _RING_N else 0):  # round 16: a ring of 5 to 64 arrays reuses the memory of the
        seed = _OTHER_SEED + 4 + k                       # first call's batches in one of these calls
        calls.append([np.asarray(b) for b in answer(n, batch_size, np.random.default_rng(seed))])
    if share_memory_between_calls(calls[:5]) or any(memory_overlaps(batches, later) for later in calls[2:]):
        raise Mismatch(t(_BATCHES_IN_TURN))

    def call_again():
        return [np.asarray(b) for b in answer(n, batch_size, np.random.default_rng(_OTHER_SEED))]
    # round 22: a ring of 65 to 500 arrays; round 35 (r354 F1): of any n, not only up to _RING_N (a ring of 6 arrays
    # used only above 12 indices passed, and the notebook keeps 40 epochs of batches). A function that holds nothing
    # of its result (rng.permutation's order, cut) is called no more times
    if reused_later(still_held(call_again()), call_again):
        raise Mismatch(t(_BATCHES_IN_TURN))
    together = np.concatenate(batches)
    sizes = np.array([len(b) for b in batches])
    complete = len(together) == n and np.array_equal(np.sort(together), np.arange(n))
    problem = _order_problem(answer, n, batch_size, together) if complete else ""
    return np.sort(together), sizes, problem


# round 28 (r284 F3): a list made outside the function and cleared and refilled at every call passed (the caller's list
# of an epoch's batches became the next epoch's), and one appended to without clearing (or a default argument
# batches=[]) was told that it wrote the order into one array kept between calls, though its arrays were new
_LIST_KEPT = ("a second call returned the very same list as the first call: your function keeps its list of batches "
              "between calls (a list made outside the function, or a default argument such as batches=[]), so the list "
              "of an epoch that the caller kept is changed by the next call (appended to, or emptied and refilled). "
              "Make a new list inside the function at every call, as [order[i:i + batch_size] for i in range(0, n, "
              "batch_size)] does")
_BATCHES_IN_TURN = ("a later call returned batches in the memory of an earlier call's: your function writes the order "
                    "into arrays kept between calls, used in turn, so the batches of an epoch that the caller kept are "
                    "overwritten. Return new arrays at every call (rng.permutation(n) makes one)")


def _compare_batches(got, want):
    indices, sizes, problem = got
    if len(indices) != len(want[0]) or not np.array_equal(indices, want[0]):
        missing = sorted(set(want[0].tolist()) - set(indices.tolist()))
        outside = sorted(set(indices.tolist()) - set(want[0].tolist()))  # round 21: "(some repeat)" named them before
        raise Mismatch(t("the batches together hold {count} indices, expected each of 0..{last} exactly once",
                         count=len(indices), last=len(want[0]) - 1)
                       + (t(" (some lie outside 0..{last}, e.g. {some})", last=len(want[0]) - 1, some=outside[:3])
                          if outside else t(" (missing e.g. {some})", some=missing[:3])
                          # round 36 (r364 F2): n indices, all in range, some missing: others repeat, as drawn with
                          # replacement (a 1-based permutation, also n indices, has one outside: told so above)
                          + (t("; others repeat, as a draw with replacement gives (rng.choice(n, n), whose default "
                               "is replace=True, or rng.integers(0, n, n)), or a swap that copies one index over "
                               "another: rng.permutation(n) holds each index once") if len(indices) == len(want[0])
                             else "") if missing else t(" (some repeat)")))
    if not np.array_equal(sizes, want[1]):
        raise Mismatch(t("{count} batches of sizes {got}, expected {want_count} of sizes {want} (full batches "
                         "first, a smaller last one)", count=len(sizes), got=short(sizes), want_count=len(want[1]),
                         want=short(want[1])))
    if problem != want[2] and problem.startswith("uneven:"):  # the number of orders seen: a mistake that reaches
        n = len(want[0])                                       # another number is not named for it
        raise Mismatch(t(_UNEVEN, runs=f"{_EVEN_RUNS * math.factorial(n):,}", n=n, seen=problem.split(":")[1],
                         orders=math.factorial(n)))
    if problem != want[2]:
        raise Mismatch(t(_ORDER_PROBLEMS.get(problem, "the order is not the one rng.permutation(n) gives")))


def _minibatch_cases():
    return [Case((10, 3), label="10 examples, batches of 3"), Case((100, 10), label="100 in 10s"),
            Case((7, 7), label="one full batch"), Case((1, 1), label="a batch of one"),
            Case((5, 50), label="batch larger than the data"), Case((53, 1), label="pure SGD"),
            Case((53, 10), label="53 in 10s (a last batch of 3)"),
            Case((10, 0), label="batch size 0", raises=ValueError),
            Case((10, -2), label="negative batch size", raises=ValueError),
            *generated(in_turn(_draw_batches, ("remainder", "divides", "small remainder", "above", "one",
                                                          "below 1", "remainder")), count=7, seed=71),
            Case((300, 32), label="300 in 32s (more indices than uint8 holds)"),
            # round 16: every test of the order looked at one statistic at a time, and judged 10 indices or more only
            Case((4, 3), label="4 in 3s (each of the 24 orders of 4 indices must come out about equally often)"),
            # round 14: n and batch_size were always Python ints
            Case((np.int64(60), np.int64(8)), label="n and batch_size as np.int64 (as np.sum of a mask or "
                 "2 ** np.arange(6) gives)"),
            # round 33 (r334 F2): n was at most 300, where random sort keys of a fixed range (0..999) rarely tie
            Case((10_000, 64), label="10,000 in 64s (random sort keys of a fixed range tie in a data set this large)")]


def _small_remainder(rng, n):
    """A batch size that leaves a last batch under a fifth of a full one (a batch size of n - 1 if none does)."""
    sizes = [b for b in range(5, n) if 0 < n % b <= b // 5]
    return int(rng.choice(sizes)) if sizes else n - 1


def _draw_batches(rng, kind):
    """n from 2 to 150 and a batch size as ``kind`` says: one that divides n, leaves a remainder (small or
    large), 1, n, above n, or below 1."""
    n = int(rng.integers(40 if kind == "small remainder" else 2, 151))
    divisors = [b for b in range(2, n) if n % b == 0] or [n]
    batch_size = {"divides": int(rng.choice(divisors)), "small remainder": _small_remainder(rng, n),
                  "remainder": int(rng.integers(2, n + 1)), "one": 1, "all": n,
                  "above": n + int(rng.integers(1, n + 1)),
                  "below 1": -int(rng.integers(0, 5))}[kind]
    return Case((n, batch_size), raises=ValueError if batch_size < 1 else None)

# ---------------------------------------------------------------- catalogued mistakes: sgd_step
def _sgd_plus_sign(w, grad, lr):
    w, grad = np.asarray(w, dtype=float), np.asarray(grad, dtype=float)
    if grad.shape != w.shape or not lr > 0:
        raise ValueError("bad input")
    return w + lr * grad


def _sgd_in_place(w, grad, lr):
    if np.shape(grad) != np.shape(w) or not lr > 0:
        raise ValueError("bad input")
    w -= lr * grad
    return w


def _sgd_no_shape_check(w, grad, lr):
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr}")
    return w - lr * grad


def _sgd_lengths_compared(w, grad, lr):
    if len(grad) != len(w) or not lr > 0:
        raise ValueError("bad input")
    return np.asarray(w, dtype=float) - lr * np.asarray(grad, dtype=float)


def _sgd_no_lr_check(w, grad, lr):
    w, grad = np.asarray(w, dtype=float), np.asarray(grad, dtype=float)
    if grad.shape != w.shape:
        raise ValueError("shapes differ")
    return w - lr * grad


def _sgd_assert(w, grad, lr):
    w, grad = np.asarray(w, dtype=float), np.asarray(grad, dtype=float)
    assert grad.shape == w.shape, "shapes differ"
    assert lr > 0, "lr must be positive"
    return w - lr * grad


def _sgd_tiny_lr_rejected(w, grad, lr):
    if not lr > 1e-6:
        raise ValueError(f"lr must be positive (above 1e-6), got {lr}")
    return ref.sgd_step(w, grad, lr)


def _sgd_lr_above_1_rejected(w, grad, lr):
    if lr > 1:
        raise ValueError(f"lr must be at most 1, got {lr}")
    return ref.sgd_step(w, grad, lr)


def _sgd_copy_then_subtract(w, grad, lr):
    if np.shape(grad) != np.shape(w) or not lr > 0:
        raise ValueError("bad input")
    new_w = np.copy(w)
    new_w -= lr * np.asarray(grad)
    return new_w


def _sgd_into_zeros_like_grad(w, grad, lr):
    w, grad = np.asarray(w), np.asarray(grad)
    if grad.shape != w.shape or not lr > 0:
        raise ValueError("bad input")
    new_w = np.zeros_like(grad)
    new_w[...] = w - lr * grad
    return new_w


def _sgd_end_sizes_compared(w, grad, lr):
    w, grad = np.asarray(w, dtype=float), np.asarray(grad, dtype=float)
    if grad.ndim != w.ndim or grad.shape[0] != w.shape[0] or grad.shape[-1] != w.shape[-1] or not lr > 0:
        raise ValueError("bad input")
    return w - lr * grad


def _sgd_returns_step(w, grad, lr):
    w, grad = np.asarray(w, dtype=float), np.asarray(grad, dtype=float)
    if grad.shape != w.shape or not lr > 0:
        raise ValueError("bad input")
    return -lr * grad



def _sgd_lr_float_only(w, grad, lr):
    if not isinstance(lr, float):
        raise ValueError(f"lr must be a float, got {lr!r}")
    return ref.sgd_step(w, grad, lr)


def _sgd_lr_python_number_only(w, grad, lr):
    """isinstance(lr, (int, float)): np.float32 and np.int64 are neither (np.float64 is a float)."""
    if not isinstance(lr, (int, float)):
        raise ValueError(f"lr must be a number, got {lr!r}")
    return ref.sgd_step(w, grad, lr)


def _ndim_len_size_differ(w, *arrays):
    """The learner's check: the number of axes, len() and .size, not the whole shape."""
    w = np.asarray(w)
    return any(np.ndim(a) != w.ndim or np.size(a) != w.size or (w.ndim and len(a) != len(w)) for a in arrays)


def _sgd_ndim_len_size(w, grad, lr):
    if _ndim_len_size_differ(w, grad) or not lr > 0:
        raise ValueError("bad input")
    return np.asarray(w, dtype=float) - lr * np.asarray(grad, dtype=float)


def _broadcast_size_differ(w, *arrays):
    """The learner's check: each array broadcasts to w's shape and has w's size (not the whole shape)."""
    w = np.asarray(w)
    return any(np.size(a) != w.size or np.broadcast_shapes(np.shape(a), w.shape) != w.shape for a in arrays)


def _sgd_broadcast_size(w, grad, lr):
    if _broadcast_size_differ(w, grad) or not lr > 0:
        raise ValueError("bad input")
    return np.asarray(w, dtype=float) - lr * np.asarray(grad, dtype=float)


def _sgd_loop_over_rows(w, grad, lr):
    w, grad = np.asarray(w, dtype=float), np.asarray(grad, dtype=float)
    if grad.shape != w.shape or not lr > 0:
        raise ValueError("bad input")
    return [w_row - lr * grad_row for w_row, grad_row in zip(w, grad)]


def _sgd_sizes_then_reshaped(w, grad, lr):
    w, grad = np.asarray(w, dtype=float), np.asarray(grad, dtype=float)
    if grad.size != w.size or grad.ndim != w.ndim or not lr > 0:
        raise ValueError("bad input")
    return w - lr * grad.reshape(w.shape)


def _last_sizes_differ(w, *arrays):
    """The learner's check: each array ends in w's shape (numpy aligns shapes from the right)."""
    w = np.asarray(w)
    return any(np.shape(a)[np.ndim(a) - w.ndim:] != w.shape for a in arrays)


def _sgd_last_sizes(w, grad, lr):
    if _last_sizes_differ(w, grad) or not lr > 0:
        raise ValueError("bad input")
    return np.asarray(w, dtype=float) - lr * np.asarray(grad, dtype=float)


def _sgd_made_1_d(w, grad, lr):
    """np.atleast_1d, so that a single weight can be indexed: its shape () becomes (1,)."""
    w, grad = np.atleast_1d(np.asarray(w, dtype=float), np.asarray(grad, dtype=float))
    if grad.shape != w.shape or not lr > 0:
        raise ValueError("bad input")
    return w - lr * grad


def _sgd_no_float_cast(w, grad, lr):
    w, grad = np.asarray(w), np.asarray(grad)
    if grad.shape != w.shape or not lr > 0:
        raise ValueError("bad input")
    return w - lr * grad

def _sgd_only_integers_converted(w, grad, lr):
    """Only integer arrays converted to float (round 36, r364 F1): float16 arrays stay float16."""
    w, grad = _only_integers_converted(w, grad)
    if grad.shape != w.shape or not lr > 0:
        raise ValueError("bad input")
    return w - lr * grad


def _sgd_nan_lr_let_through(w, grad, lr):
    """`lr <= 0` as the learning-rate check: False for lr = NaN, which is not positive either."""
    w, grad = np.asarray(w, dtype=float), np.asarray(grad, dtype=float)
    if grad.shape != w.shape or lr <= 0:
        raise ValueError("bad input")
    return w - lr * grad

def _sgd_infinite_lr_let_through(w, grad, lr):
    """`not lr > 0` as the learning-rate check (round 37, r373 F2): True for NaN, but False for lr = inf."""
    w, grad = np.asarray(w, dtype=float), np.asarray(grad, dtype=float)
    if grad.shape != w.shape or not lr > 0:
        raise ValueError("bad input")
    return w - lr * grad

def _sgd_unchanged_w_returned(w, grad, lr):
    """"Nothing to do" when the gradient is 0: the caller's w itself comes back as the new weights."""
    w, grad = np.asarray(w, dtype=float), np.asarray(grad, dtype=float)
    if grad.shape != w.shape or not lr > 0:
        raise ValueError("bad input")
    return w if not grad.any() else w - lr * grad

# ---------------------------------------------------------------- catalogued mistakes: momentum_step
def _momentum_checked(w, grad, velocity, lr, mu, shapes=("grad", "velocity"), lr_check=True, mu_floor=0.0,
                      mu_one=False):
    """The learner's input checks, with some of them left out (``mu_one``: mu = 1 let through)."""
    w, grad, velocity = (np.asarray(a, dtype=float) for a in (w, grad, velocity))
    for name, array in (("grad", grad), ("velocity", velocity)):
        if name in shapes and array.shape != w.shape:
            raise ValueError(f"{name} has the wrong shape")
    if (lr_check and not lr > 0) or not (mu_floor <= mu < 1 or (mu_one and mu == 1)):
        raise ValueError("bad lr or mu")
    return w, grad, velocity


def _momentum_other_convention(w, grad, velocity, lr, mu=0.9):
    w, grad, velocity = _momentum_checked(w, grad, velocity, lr, mu)
    velocity = mu * velocity - lr * grad
    return w + velocity, velocity


def _momentum_old_velocity(w, grad, velocity, lr, mu=0.9):
    w, grad, velocity = _momentum_checked(w, grad, velocity, lr, mu)
    return w - lr * velocity, mu * velocity + grad


def _momentum_moving_average(w, grad, velocity, lr, mu=0.9):
    w, grad, velocity = _momentum_checked(w, grad, velocity, lr, mu)
    velocity = mu * velocity + (1 - mu) * grad
    return w - lr * velocity, velocity


def _momentum_returns_only_w(w, grad, velocity, lr, mu=0.9):
    w, grad, velocity = _momentum_checked(w, grad, velocity, lr, mu)
    return w - lr * (mu * velocity + grad)


def _momentum_in_place(w, grad, velocity, lr, mu=0.9):
    _momentum_checked(w, grad, velocity, lr, mu)
    velocity *= mu
    velocity += grad
    return w - lr * velocity, velocity


def _momentum_no_grad_shape_check(w, grad, velocity, lr, mu=0.9):
    w, grad, velocity = _momentum_checked(w, grad, velocity, lr, mu, shapes=("velocity",))
    velocity = mu * velocity + grad
    return w - lr * velocity, velocity


def _momentum_lengths_compared(w, grad, velocity, lr, mu=0.9):
    if len(grad) != len(w) or len(velocity) != len(w):
        raise ValueError("lengths differ")
    w, grad, velocity = _momentum_checked(w, grad, velocity, lr, mu, shapes=())
    velocity = mu * velocity + grad
    return w - lr * velocity, velocity


def _momentum_no_velocity_shape_check(w, grad, velocity, lr, mu=0.9):
    w, grad, velocity = _momentum_checked(w, grad, velocity, lr, mu, shapes=("grad",))
    velocity = mu * velocity + grad
    return w - lr * velocity, velocity


def _momentum_mu_one_allowed(w, grad, velocity, lr, mu=0.9):
    w, grad, velocity = _momentum_checked(w, grad, velocity, lr, mu, mu_one=True)
    velocity = mu * velocity + grad
    return w - lr * velocity, velocity


def _momentum_no_lr_check(w, grad, velocity, lr, mu=0.9):
    w, grad, velocity = _momentum_checked(w, grad, velocity, lr, mu, lr_check=False)
    velocity = mu * velocity + grad
    return w - lr * velocity, velocity


def _momentum_no_negative_mu_check(w, grad, velocity, lr, mu=0.9):
    w, grad, velocity = _momentum_checked(w, grad, velocity, lr, mu, mu_floor=-np.inf)
    velocity = mu * velocity + grad
    return w - lr * velocity, velocity


def _momentum_lr_above_1_rejected(w, grad, velocity, lr, mu=0.9):
    if lr > 1:
        raise ValueError(f"lr must be at most 1, got {lr}")
    return ref.momentum_step(w, grad, velocity, lr, mu)


def _momentum_copied_state(w, grad, velocity, lr, mu=0.9):
    _momentum_checked(w, grad, velocity, lr, mu)
    new_w, new_v = np.copy(w), np.copy(velocity)
    new_v *= mu
    new_v += grad
    new_w -= lr * new_v
    return new_w, new_v



def _momentum_nan_replaced(w, grad, velocity, lr, mu=0.9):
    return ref.momentum_step(w, np.nan_to_num(np.asarray(grad, dtype=float)), velocity, lr, mu)


def _momentum_other_default_mu(w, grad, velocity, lr, mu=0.5):
    return ref.momentum_step(w, grad, velocity, lr, mu)


def _momentum_grad_end_sizes_compared(w, grad, velocity, lr, mu=0.9):
    if np.ndim(grad) != np.ndim(w) or np.shape(grad)[-1] != np.shape(w)[-1]:
        raise ValueError("the gradient does not fit w")
    w, grad, velocity = _momentum_checked(w, grad, velocity, lr, mu, shapes=("velocity",))
    velocity = mu * velocity + grad
    return w - lr * velocity, velocity


def _momentum_sizes_then_reshaped(w, grad, velocity, lr, mu=0.9):
    w, grad, velocity = (np.asarray(a, dtype=float) for a in (w, grad, velocity))
    if any(a.size != w.size or a.ndim != w.ndim for a in (grad, velocity)):
        raise ValueError("sizes differ")
    return ref.momentum_step(w, grad.reshape(w.shape), velocity.reshape(w.shape), lr, mu)


def _momentum_mu_float_only(w, grad, velocity, lr, mu=0.9):
    if not isinstance(mu, float):
        raise ValueError(f"mu must be a float, got {mu!r}")
    return ref.momentum_step(w, grad, velocity, lr, mu)


def _momentum_velocity_is_grad(w, grad, velocity, lr, mu=0.9):
    """The first step (velocity 0) as `velocity = grad`: the caller's gradient array comes back as the velocity."""
    w, grad, velocity = _momentum_checked(w, grad, velocity, lr, mu)
    velocity = grad if not velocity.any() else mu * velocity + grad
    return w - lr * velocity, velocity


def _momentum_old_velocity_returned(w, grad, velocity, lr, mu=0.9):
    """The new velocity computed and w moved with it, but the velocity given (a copy) returned (round 24)."""
    w, grad, velocity = _momentum_checked(w, grad, velocity, lr, mu)
    new_velocity = mu * velocity + grad
    return w - lr * new_velocity, velocity.copy()


def _momentum_results_swapped(w, grad, velocity, lr, mu=0.9):
    """The right arrays, returned as (velocity, w) (round 24)."""
    new_w, new_velocity = ref.momentum_step(w, grad, velocity, lr, mu)
    return new_velocity, new_w


def _momentum_nothing_to_do(w, grad, velocity, lr, mu=0.9):
    """"Nothing to do" when the gradient and the velocity are 0: the caller's w and velocity themselves come back."""
    w, grad, velocity = _momentum_checked(w, grad, velocity, lr, mu)
    if not grad.any() and not velocity.any():
        return w, velocity
    velocity = mu * velocity + grad
    return w - lr * velocity, velocity


def _momentum_python_numbers_only(w, grad, velocity, lr, mu=0.9):
    """isinstance(..., (int, float)) for lr and mu: np.float32 and np.int64 are neither."""
    if not isinstance(lr, (int, float)) or not isinstance(mu, (int, float)):
        raise ValueError(f"lr and mu must be numbers, got {lr!r} and {mu!r}")
    return ref.momentum_step(w, grad, velocity, lr, mu)


def _momentum_velocity_length_compared(w, grad, velocity, lr, mu=0.9):
    if len(velocity) != len(w):
        raise ValueError("lengths differ")
    w, grad, velocity = _momentum_checked(w, grad, velocity, lr, mu, shapes=("grad",))
    velocity = mu * velocity + grad
    return w - lr * velocity, velocity

def _momentum_ndim_len_size(w, grad, velocity, lr, mu=0.9):
    if _ndim_len_size_differ(w, grad, velocity):
        raise ValueError("shapes differ")
    w, grad, velocity = _momentum_checked(w, grad, velocity, lr, mu, shapes=())
    velocity = mu * velocity + grad
    return w - lr * velocity, velocity


def _momentum_velocity_length_and_size(w, grad, velocity, lr, mu=0.9):
    if len(velocity) != len(w) or np.size(velocity) != np.size(w):
        raise ValueError("velocity does not fit w")
    w, grad, velocity = _momentum_checked(w, grad, velocity, lr, mu, shapes=("grad",))
    velocity = mu * velocity + grad
    return w - lr * velocity, velocity


def _momentum_inputs_dtype(w, grad, velocity, lr, mu=0.9):
    new_w, new_velocity = ref.momentum_step(w, grad, velocity, lr, mu)
    dtype = np.result_type(np.asarray(w), np.asarray(grad), np.asarray(velocity))
    return new_w.astype(dtype), new_velocity.astype(dtype)


def _momentum_broadcast_size(w, grad, velocity, lr, mu=0.9):
    if _broadcast_size_differ(w, grad, velocity):
        raise ValueError("bad input")
    new_w, new_velocity = ref.momentum_step(w, np.broadcast_to(grad, np.shape(w)),
                                            np.broadcast_to(velocity, np.shape(w)), lr, mu)
    return new_w, new_velocity


def _sgd_scalar_gradient(w, grad, lr):
    grad = np.zeros(np.shape(w)) + grad if np.ndim(grad) == 0 else grad
    return ref.sgd_step(w, grad, lr)


def _momentum_scalar_gradient(w, grad, velocity, lr, mu=0.9):
    grad = np.zeros(np.shape(w)) + grad if np.ndim(grad) == 0 else grad
    return ref.momentum_step(w, grad, velocity, lr, mu)


def _adam_scalar_gradient(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    grad = np.zeros(np.shape(w)) + grad if np.ndim(grad) == 0 else grad
    return ref.adam_step(w, grad, m, v, t, lr, beta1, beta2, eps)


def _momentum_w_only_float(w, grad, velocity, lr, mu=0.9):
    """Only the weights converted to float: a uint8 gradient and velocity stay uint8 with a whole lr and mu."""
    w, grad, velocity = np.asarray(w, dtype=float), np.asarray(grad), np.asarray(velocity)
    if grad.shape != w.shape or velocity.shape != w.shape or not lr > 0 or not 0 <= mu < 1:
        raise ValueError("bad input")
    velocity = mu * velocity + grad
    return w - lr * velocity, velocity


def _momentum_scalar_velocity(w, grad, velocity, lr, mu=0.9):
    velocity = np.zeros(np.shape(w)) + velocity if np.ndim(velocity) == 0 else velocity
    return ref.momentum_step(w, grad, velocity, lr, mu)


def _momentum_three_axes_rejected(w, grad, velocity, lr, mu=0.9):
    if np.ndim(w) > 2:
        raise ValueError("w must be a vector or a matrix")
    return ref.momentum_step(w, grad, velocity, lr, mu)


def _momentum_last_sizes(w, grad, velocity, lr, mu=0.9):
    if _last_sizes_differ(w, grad, velocity) or not lr > 0 or not 0 <= mu < 1:
        raise ValueError("bad input")
    velocity = mu * np.asarray(velocity, dtype=float) + np.asarray(grad, dtype=float)
    return np.asarray(w, dtype=float) - lr * velocity, velocity


def _momentum_made_1_d(w, grad, velocity, lr, mu=0.9):
    return ref.momentum_step(*np.atleast_1d(*(np.asarray(a, dtype=float) for a in (w, grad, velocity))), lr, mu)


def _momentum_nan_lr_let_through(w, grad, velocity, lr, mu=0.9):
    """`lr <= 0` as the learning-rate check: False for lr = NaN."""
    w, grad, velocity = _momentum_checked(w, grad, velocity, lr, mu, lr_check=False)
    if lr <= 0:
        raise ValueError("lr must be positive")
    velocity = mu * velocity + grad
    return w - lr * velocity, velocity


def _momentum_infinite_lr_let_through(w, grad, velocity, lr, mu=0.9):
    """`not lr > 0` as the learning-rate check (round 37, r373 F2), as sgd_step's."""
    w, grad, velocity = (np.asarray(a, dtype=float) for a in (w, grad, velocity))
    if grad.shape != w.shape or velocity.shape != w.shape or not lr > 0 or not 0 <= mu < 1:
        raise ValueError("bad input")
    velocity = mu * velocity + grad
    return w - lr * velocity, velocity


def _momentum_nan_mu_let_through(w, grad, velocity, lr, mu=0.9):
    """`mu < 0 or mu >= 1` as the check of mu: False for mu = NaN."""
    w, grad, velocity = (np.asarray(a, dtype=float) for a in (w, grad, velocity))
    if grad.shape != w.shape or velocity.shape != w.shape or not lr > 0 or mu < 0 or mu >= 1:
        raise ValueError("bad input")
    velocity = mu * velocity + grad
    return w - lr * velocity, velocity


def _momentum_zero_gradient_skipped(w, grad, velocity, lr, mu=0.9):
    """"No gradient, no step": the weights and the velocity come back unchanged when grad is all zeros."""
    w, grad, velocity = _momentum_checked(w, grad, velocity, lr, mu)
    if not np.any(grad):
        return w.copy(), velocity.copy()
    velocity = mu * velocity + grad
    return w - lr * velocity, velocity


def _momentum_lr_in_velocity(w, grad, velocity, lr, mu=0.9):
    """A third convention: the velocity holds lr * grad (v = mu*v + lr*grad), and w moves by v."""
    w, grad, velocity = _momentum_checked(w, grad, velocity, lr, mu)
    velocity = mu * velocity + lr * grad
    return w - velocity, velocity

def _only_integers_converted(*arrays):
    """np.asarray, and float only for arrays of whole numbers or booleans: a float16 array stays float16."""
    arrays = [np.asarray(a) for a in arrays]
    return [a.astype(float) if a.dtype.kind in "iub" else a for a in arrays]


def _momentum_only_integers_converted(w, grad, velocity, lr, mu=0.9):
    """Only integer arrays converted to float (round 35, r355 F1): float16 arrays stay float16."""
    w, grad, velocity = _only_integers_converted(w, grad, velocity)
    if grad.shape != w.shape or velocity.shape != w.shape or not lr > 0 or not 0 <= mu < 1:
        raise ValueError("bad input")
    velocity = mu * velocity + grad
    return w - lr * velocity, velocity


# ---------------------------------------------------------------- catalogued mistakes: adam_step
def _adam_moments(w, grad, m, v, t, beta1, beta2, check_t=True, like_w=("grad", "m", "v")):
    """The moments after the learner's checks; ``like_w`` names the arrays compared with w's shape."""
    w, grad, m, v = (np.asarray(a, dtype=float) for a in (w, grad, m, v))
    shapes = [a for name, a in (("grad", grad), ("m", m), ("v", v)) if name in like_w]
    if any(a.shape != w.shape for a in shapes) or (check_t and t < 1):
        raise ValueError("bad input")
    return w, grad, beta1 * m + (1 - beta1) * grad, beta2 * v + (1 - beta2) * grad ** 2


def _adam_sizes_then_reshaped(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    w, grad, m, v = (np.asarray(a, dtype=float) for a in (w, grad, m, v))
    if any(a.size != w.size or a.ndim != w.ndim for a in (grad, m, v)):
        raise ValueError("sizes differ")
    return ref.adam_step(w, *(a.reshape(w.shape) for a in (grad, m, v)), t, lr, beta1, beta2, eps)


def _adam_beta1_zero_rejected(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    if not 0 < beta1 < 1:
        raise ValueError(f"beta1 must lie in (0, 1), got {beta1!r}")
    return ref.adam_step(w, grad, m, v, t, lr, beta1, beta2, eps)


def _adam_beta2_zero_rejected(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    if not 0 < beta2 < 1:
        raise ValueError(f"beta2 must lie in (0, 1), got {beta2!r}")
    return ref.adam_step(w, grad, m, v, t, lr, beta1, beta2, eps)


def _adam_ndim_len_size(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    if _ndim_len_size_differ(w, grad, m, v):
        raise ValueError("shapes differ")
    w, grad, m, v = _adam_moments(w, grad, m, v, t, beta1, beta2, like_w=())
    return _adam_corrected_step(w, m, v, t, lr, beta1, beta2, eps)


def _adam_m_length_and_size(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    if len(m) != len(w) or np.size(m) != np.size(w):
        raise ValueError("m does not fit w")
    w, grad, m, v = _adam_moments(w, grad, m, v, t, beta1, beta2, like_w=("grad", "v"))
    return _adam_corrected_step(w, m, v, t, lr, beta1, beta2, eps)


def _adam_broadcast_size(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    if _broadcast_size_differ(w, grad, m, v):
        raise ValueError("bad input")
    return ref.adam_step(w, *(np.broadcast_to(a, np.shape(w)) for a in (grad, m, v)), t, lr, beta1, beta2, eps)


def _adam_scalar_moments(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m, v = (np.zeros(np.shape(w)) + a if np.ndim(a) == 0 else a for a in (m, v))
    return ref.adam_step(w, grad, m, v, t, lr, beta1, beta2, eps)


def _adam_inputs_dtype(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    dtype = np.result_type(*(np.asarray(a) for a in (w, grad, m, v)))
    return tuple(a.astype(dtype) for a in ref.adam_step(w, grad, m, v, t, lr, beta1, beta2, eps))


def _adam_last_sizes(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    if _last_sizes_differ(w, grad, m, v) or t < 1:
        raise ValueError("bad input")
    w, grad, m, v = (np.asarray(a, dtype=float) for a in (w, grad, m, v))
    m, v = beta1 * m + (1 - beta1) * grad, beta2 * v + (1 - beta2) * grad ** 2
    return _adam_corrected_step(w, m, v, t, lr, beta1, beta2, eps)


def _adam_made_1_d(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    return ref.adam_step(*np.atleast_1d(*(np.asarray(a, dtype=float) for a in (w, grad, m, v))), t, lr, beta1,
                         beta2, eps)


def _adam_no_float_cast(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """The formula on the arrays as given: grad ** 2 of an int8 gradient stays int8 and wraps around."""
    if not np.shape(grad) == np.shape(m) == np.shape(v) == np.shape(w) or t < 1:
        raise ValueError("bad input")
    m, v = beta1 * m + (1 - beta1) * grad, beta2 * v + (1 - beta2) * grad ** 2
    return _adam_corrected_step(w, m, v, t, lr, beta1, beta2, eps)


def _adam_nan_replaced(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    return ref.adam_step(w, np.nan_to_num(np.asarray(grad, dtype=float)), m, v, t, lr, beta1, beta2, eps)


def _adam_corrected_step(w, m, v, t, lr, beta1, beta2, eps):
    """The right step from the new moments, as (w, m, v): for mistakes made only in the checks."""
    return w - lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps), m, v


def _adam_correction_only_early(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """The bias correction kept for the first 100 steps only ("it matters early on"), then dropped."""
    if t <= 100:
        return ref.adam_step(w, grad, m, v, t, lr, beta1, beta2, eps)
    return _adam_no_bias_correction(w, grad, m, v, t, lr, beta1, beta2, eps)


def _adam_no_bias_correction(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    w, grad, m, v = _adam_moments(w, grad, m, v, t, beta1, beta2)
    return w - lr * m / (np.sqrt(v) + eps), m, v


def _adam_t_from_zero(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """The corrections of step t + 1, as a loop `for t in range(steps)` that counts from 0 writes them."""
    w, grad, m, v = _adam_moments(w, grad, m, v, t, beta1, beta2)
    return _adam_corrected_step(w, m, v, t + 1, lr, beta1, beta2, eps)



def _adam_power_of_one_minus_beta(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """The corrections written with the power outside the brackets: (1 - beta1) ** t and (1 - beta2) ** t."""
    w, grad, m, v = _adam_moments(w, grad, m, v, t, beta1, beta2)
    with np.errstate(all="ignore"):
        return w - lr * (m / (1 - beta1) ** t) / (np.sqrt(v / (1 - beta2) ** t) + eps), m, v

def _adam_like_source_001(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    w, grad, m, v = _adam_moments(w, grad, m, v, t, beta1, beta2)
    return w - lr * grad, m, v


def _adam_no_sqrt(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    w, grad, m, v = _adam_moments(w, grad, m, v, t, beta1, beta2)
    return w - lr * (m / (1 - beta1 ** t)) / (v / (1 - beta2 ** t) + eps), m, v


def _adam_fixed_eps(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """The denominator written with the number 1e-8, np.sqrt(v_hat) + 1e-8: the eps argument is never used."""
    w, grad, m, v = _adam_moments(w, grad, m, v, t, beta1, beta2)
    return _adam_corrected_step(w, m, v, t, lr, beta1, beta2, 1e-8)


def _adam_eps_as_a_floor(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """eps as a floor under the denominator, np.maximum(np.sqrt(v_hat), eps), not added to it."""
    w, grad, m, v = _adam_moments(w, grad, m, v, t, beta1, beta2)
    return w - lr * (m / (1 - beta1 ** t)) / np.maximum(np.sqrt(v / (1 - beta2 ** t)), eps), m, v


def _adam_eps_inside_sqrt(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    w, grad, m, v = _adam_moments(w, grad, m, v, t, beta1, beta2)
    return w - lr * (m / (1 - beta1 ** t)) / np.sqrt(v / (1 - beta2 ** t) + eps), m, v


def _adam_returns_corrected_moments(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    w, grad, m, v = _adam_moments(w, grad, m, v, t, beta1, beta2)
    m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m_hat, v_hat


def _adam_only_grad_shape_checked(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    w, grad, m, v = _adam_moments(w, grad, m, v, t, beta1, beta2, like_w=("grad",))
    return _adam_corrected_step(w, m, v, t, lr, beta1, beta2, eps)


def _adam_lengths_compared(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    if not len(grad) == len(m) == len(v) == len(w):
        raise ValueError("lengths differ")
    w, grad, m, v = _adam_moments(w, grad, m, v, t, beta1, beta2, like_w=())
    return _adam_corrected_step(w, m, v, t, lr, beta1, beta2, eps)


def _adam_w_not_compared(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    if not np.shape(grad) == np.shape(m) == np.shape(v):
        raise ValueError("shapes differ")
    w, grad, m, v = _adam_moments(w, grad, m, v, t, beta1, beta2, like_w=())
    return _adam_corrected_step(w, m, v, t, lr, beta1, beta2, eps)


def _adam_m_compared_with_v(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    if np.shape(m) != np.shape(v):
        raise ValueError("shapes differ")
    w, grad, m, v = _adam_moments(w, grad, m, v, t, beta1, beta2, like_w=("grad",))
    return _adam_corrected_step(w, m, v, t, lr, beta1, beta2, eps)


def _adam_only_t_zero_rejected(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    if t == 0:
        raise ValueError("t counts from 1")
    return _adam_no_t_check(w, grad, m, v, t, lr, beta1, beta2, eps)


def _adam_no_t_check(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    w, grad, m, v = _adam_moments(w, grad, m, v, t, beta1, beta2, check_t=False)
    return _adam_corrected_step(w, m, v, t, lr, beta1, beta2, eps)


def _adam_old_moments_returned(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """The new m and v computed and w moved with them, but the m and v given (copies) returned (round 24)."""
    w, grad, m, v = (np.asarray(a, dtype=float) for a in (w, grad, m, v))
    if not grad.shape == m.shape == v.shape == w.shape or t < 1:
        raise ValueError("a shape differs, or t < 1")
    new_m, new_v = beta1 * m + (1 - beta1) * grad, beta2 * v + (1 - beta2) * grad ** 2
    step = lr * (new_m / (1 - beta1 ** t)) / (np.sqrt(new_v / (1 - beta2 ** t)) + eps)
    return w - step, m.copy(), v.copy()


def _adam_step_with_old_moments(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """w moved with the m and v given (bias-corrected), and the new m and v computed after: source 001's order, with
    its averages used (round 33, r335 F2: told only "wrong value at index 0", on a first step that did not move)."""
    w, grad, m, v = (np.asarray(a, dtype=float) for a in (w, grad, m, v))
    if not grad.shape == m.shape == v.shape == w.shape or t < 1:
        raise ValueError("a shape differs, or t < 1")
    with np.errstate(all="ignore"):
        new_w = w - lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps)
    return new_w, beta1 * m + (1 - beta1) * grad, beta2 * v + (1 - beta2) * grad ** 2


def _adam_only_integers_converted(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """Only integer arrays converted to float (round 35, r355 F1): float16 arrays stay float16."""
    w, grad, m, v = _only_integers_converted(w, grad, m, v)
    if not grad.shape == m.shape == v.shape == w.shape or t < 1:
        raise ValueError("a shape differs, or t < 1")
    m, v = beta1 * m + (1 - beta1) * grad, beta2 * v + (1 - beta2) * grad ** 2
    return _adam_corrected_step(w, m, v, t, lr, beta1, beta2, eps)


def _adam_shapes_chained_with_not_equal(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """The right check negated link by link: a != b != c != d is (a != b) and (b != c) and (c != d) (round 24)."""
    w, grad, m, v = (np.asarray(a, dtype=float) for a in (w, grad, m, v))
    if grad.shape != w.shape != m.shape != v.shape:
        raise ValueError("shapes differ")
    if t < 1:
        raise ValueError("t counts from 1")
    m, v = beta1 * m + (1 - beta1) * grad, beta2 * v + (1 - beta2) * grad ** 2
    return _adam_corrected_step(w, m, v, t, lr, beta1, beta2, eps)


def _adam_moments_swapped(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """The right arrays, returned as (w, v, m) (round 24)."""
    new_w, new_m, new_v = ref.adam_step(w, grad, m, v, t, lr, beta1, beta2, eps)
    return new_w, new_v, new_m


def _adam_t_python_int_only(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """isinstance(t, int): False for np.int64, the step counter that `for t in np.arange(1, 101)` gives."""
    if not isinstance(t, int) or t < 1:
        raise ValueError(f"t must be an integer from 1 on, got {t!r}")
    return ref.adam_step(w, grad, m, v, t, lr, beta1, beta2, eps)


def _adam_lr_above_1_rejected(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    if lr > 1:
        raise ValueError(f"lr must be at most 1, got {lr}")
    return ref.adam_step(w, grad, m, v, t, lr, beta1, beta2, eps)


def _adam_moments_into_zeros_like(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    w, grad, m_new, v_new = _adam_moments(w, grad, m, v, t, beta1, beta2)
    m, v = np.zeros_like(m), np.zeros_like(v)
    m[...], v[...] = m_new, v_new
    return _adam_corrected_step(w, m, v, t, lr, beta1, beta2, eps)



def _adam_other_default_lr(w, grad, m, v, t, lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8):
    return ref.adam_step(w, grad, m, v, t, lr, beta1, beta2, eps)


def _adam_keras_default_eps(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-7):
    """Keras' default epsilon (04b §4 lists it) copied into the signature (round 17)."""
    return ref.adam_step(w, grad, m, v, t, lr, beta1, beta2, eps)


def _adam_betas_swapped_in_signature(w, grad, m, v, t, lr=1e-3, beta2=0.999, beta1=0.9, eps=1e-8):
    return ref.adam_step(w, grad, m, v, t, lr, beta1, beta2, eps)


def _adam_end_sizes_compared(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    for shape in (np.shape(grad), np.shape(m), np.shape(v)):
        if len(shape) != np.ndim(w) or shape[0] != np.shape(w)[0] or shape[-1] != np.shape(w)[-1]:
            raise ValueError("an array does not fit w")
    w, grad, m, v = _adam_moments(w, grad, m, v, t, beta1, beta2, like_w=())
    return _adam_corrected_step(w, m, v, t, lr, beta1, beta2, eps)


def _adam_keras_epsilon(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """Keras' form (04b §4): eps added to the uncorrected sqrt(v), the corrections folded into the rate."""
    w, grad, m, v = _adam_moments(w, grad, m, v, t, beta1, beta2)
    return w - lr * np.sqrt(1 - beta2 ** t) / (1 - beta1 ** t) * m / (np.sqrt(v) + eps), m, v


def _adam_moment_lengths_compared(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    if len(m) != len(w) or len(v) != len(w):
        raise ValueError("lengths differ")
    w, grad, m, v = _adam_moments(w, grad, m, v, t, beta1, beta2, like_w=("grad",))
    return _adam_corrected_step(w, m, v, t, lr, beta1, beta2, eps)

# ---------------------------------------------------------------- catalogued mistakes: minibatch_indices
def _checked_batch_size(batch_size):
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")


def _batches_in_order(n, batch_size, rng):
    _checked_batch_size(batch_size)
    return _cut(np.arange(n), batch_size)


def _batches_reversed(n, batch_size, rng):
    _checked_batch_size(batch_size)
    return _cut(np.arange(n)[::-1], batch_size)


def _batches_rolled(n, batch_size, rng):
    _checked_batch_size(batch_size)
    return _cut(np.roll(np.arange(n), int(rng.integers(1, n)) if n > 1 else 0), batch_size)


def _batches_shuffled_blocks(n, batch_size, rng):
    """The full batches of 0..n-1 in a random order, the smaller one kept last (moved, it is the next mistake)."""
    _checked_batch_size(batch_size)
    blocks = _cut(np.arange(n), batch_size)
    full = len(blocks) - (n % batch_size > 0)
    return [blocks[i] for i in rng.permutation(full)] + blocks[full:]


def _batches_smaller_first(n, batch_size, rng):
    """The remainder cut off first: order[:n % batch_size], then the full batches."""
    _checked_batch_size(batch_size)
    order, extra = rng.permutation(n), n % batch_size
    return ([order[:extra]] if extra else []) + _cut(order[extra:], batch_size)


def _batches_shuffled_within(n, batch_size, rng):
    _checked_batch_size(batch_size)
    return [rng.permutation(block) for block in _cut(np.arange(n), batch_size)]


def _batches_half_shuffled(n, batch_size, rng):
    _checked_batch_size(batch_size)
    order = np.arange(n)
    order[:n // 2] = rng.permutation(n // 2)
    return _cut(order, batch_size)


def _batches_remainder_kept(n, batch_size, rng):
    _checked_batch_size(batch_size)
    full = n // batch_size * batch_size
    return _cut(np.concatenate([rng.permutation(full), np.arange(full, n)]), batch_size)


def _batches_global_random(n, batch_size, rng):
    _checked_batch_size(batch_size)
    return _cut(np.random.permutation(n), batch_size)


def _batches_fixed_seed(n, batch_size, rng):
    _checked_batch_size(batch_size)
    return _cut(np.random.default_rng(42).permutation(n), batch_size)


def _batches_drop_last(n, batch_size, rng):
    _checked_batch_size(batch_size)
    order = rng.permutation(n)
    return [order[i:i + batch_size] for i in range(0, n - batch_size + 1, batch_size)]


def _batches_float(n, batch_size, rng):
    _checked_batch_size(batch_size)
    order = np.zeros(n)
    order[:] = rng.permutation(n)
    return _cut(order, batch_size)


def _batches_global_seed(n, batch_size, rng):
    _checked_batch_size(batch_size)
    np.random.seed(0)
    return _cut(rng.permutation(n), batch_size)


def _batches_as_tuples(n, batch_size, rng):
    _checked_batch_size(batch_size)
    return [tuple(batch.tolist()) for batch in _cut(rng.permutation(n), batch_size)]  # as itertools.batched gives


def _batches_no_size_check(n, batch_size, rng):
    order = rng.permutation(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]



def _batches_sattolo(n, batch_size, rng):
    """A Fisher-Yates loop of one's own, off by one: j < i, so no index ever stays in place (Sattolo's shuffle)."""
    _checked_batch_size(batch_size)
    order = np.arange(n)
    for i in range(n - 1, 0, -1):
        j = int(rng.integers(0, i))
        order[i], order[j] = order[j], order[i]
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def _batches_rng_copied(n, batch_size, rng):
    """The caller's rng copied before use: it never moves on, so every epoch gets the same order."""
    _checked_batch_size(batch_size)
    order = copy.deepcopy(rng).permutation(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def _batches_small_last_merged(n, batch_size, rng):
    _checked_batch_size(batch_size)
    batches = _cut(rng.permutation(n), batch_size)
    if len(batches) > 1 and len(batches[-1]) <= batch_size // 4:
        batches[-2:] = [np.concatenate(batches[-2:])]
    return batches


def _batches_uint8(n, batch_size, rng):
    """The indices stored as uint8, which holds 0..255 only: from n = 257 on, some wrap around and repeat."""
    _checked_batch_size(batch_size)
    return _cut(rng.permutation(n).astype(np.uint8), batch_size)


def _batches_python_random(n, batch_size, rng):
    """Python's random module, seeded from the rng: reproducible, but it reseeds the program's global generator."""
    _checked_batch_size(batch_size)
    random.seed(int(rng.integers(2 ** 32)))
    order = list(range(n))
    random.shuffle(order)
    return _cut(np.array(order, dtype=int), batch_size)


def _batches_naive_swap(n, batch_size, rng):
    """A shuffle loop of one's own that swaps order[i] with any order[j], j from all of 0..n-1: n**n equally likely
    draws spread unevenly over the n! orders, so the orders that move an index little come out too often."""
    _checked_batch_size(batch_size)
    order = np.arange(n)
    for i in range(n):
        j = int(rng.integers(0, n))
        order[i], order[j] = order[j], order[i]
    return _cut(order, batch_size)


def _batches_seeded_small(n, batch_size, rng):
    """A new generator seeded from the rng, with a small seed: only 1000 different orders can come out."""
    _checked_batch_size(batch_size)
    order = np.random.default_rng(int(rng.integers(1000))).permutation(n)
    return _cut(order, batch_size)


def _batches_shuffled_twice(n, batch_size, rng):
    """A shuffled order indexed by itself (order[order]): the square of a permutation is not uniform."""
    _checked_batch_size(batch_size)
    order = rng.permutation(n)
    order = order[order]
    return _cut(order, batch_size)


def _batches_pairs_shuffled(n, batch_size, rng):
    """Pairs of neighbours (2i, 2i + 1) shuffled as units: every pair stays together in every epoch."""
    _checked_batch_size(batch_size)
    order = np.concatenate([np.arange(2 * p, min(2 * p + 2, n)) for p in rng.permutation((n + 1) // 2)])
    return _cut(order, batch_size)


_MOMENTUM_SHAPE_CHECK = ("check {name}'s shape too, in a test of its own: numpy broadcast a {kind} of shape (1,) over "
                         "every weight. A chain of != does not do it: `a != b != c` means (a != b) and (b != c), so "
                         "it raises only when both pairs differ. Raise when grad.shape != w.shape or velocity.shape "
                         "!= w.shape")
_NAN_LR = ("lr = NaN is not positive either, yet `lr <= 0` is False for it: check `not 0 < lr < np.inf`, which refuses "
           "NaN too")
_INF_LR = ("`not lr > 0` lets lr = inf through, and an infinite step gives infinite or NaN weights: check "
           "`not 0 < lr < np.inf`, which refuses inf, NaN, 0 and negative rates")
_LR_ABOVE_1 = ("A learning rate above 1 is allowed (lr = 2 can be a good choice): raise ValueError only when lr is not "
               "in 0 < lr < inf.")
_END_SIZES = ("compare whole shapes (grad.shape != w.shape), not the number of axes and the first or last size: "
              "a gradient of shape (4, 1, 5) has those of weights of shape (4, 3, 5), but numpy broadcasts it")
_WHOLE_LR = ("lr may be any positive finite number, a whole number such as 2 too: check 0 < lr < np.inf, not "
             "isinstance(lr, float)")
_WHOLE_MU = "mu may be any number in [0, 1), a whole 0 too: check 0 <= mu < 1, not isinstance(mu, float)"
_NUMPY_NUMBERS = ("numpy numbers are numbers too (np.float32(0.25), or np.int64(2) from np.arange), yet neither is an "
                  "int or a float for isinstance: check the values (0 < lr < np.inf, 0 <= mu < 1), not their Python type")
_NDIM_LEN_SIZE = ("compare whole shapes (grad.shape != w.shape), not the number of axes, len() and .size: an array "
                  "of shape (2, 5, 1) has all three of weights of shape (2, 1, 5), but numpy broadcasts the two to "
                  "(2, 5, 5)")
_NAN_KEPT = ("a NaN gradient must give NaN weights, as the formula does: it shows that training diverged. Do not "
             "replace it (np.nan_to_num, np.where)")
_INPUTS_DTYPE = ("the new arrays are fractional even when every input array holds whole numbers: do not cast them "
                 "to the inputs' dtype (np.result_type of int64 arrays is int64), return them as computed")
_BROADCAST_SIZE = ("compare each array's shape with w.shape, not whether numpy broadcasts it to w's shape with w's size: "
                   "a gradient of shape (5,) does that for weights of shape (1, 5), yet its shape differs")
_SCALAR_STATE = ("a 0-d array (shape (), as np.zeros(()) or a number) does not have w's shape either: numpy broadcasts "
                 "it silently, so raise ValueError; start the state with np.zeros_like(w)")
_SIZES_RESHAPED = ("compare each array's shape with w.shape and raise ValueError: an array of w's size and number of "
                   "axes but another shape (such as (4, 1) for weights of shape (1, 4)) is the caller's mistake; numpy "
                   "broadcasts it, and reshaping it hides it")
_LAST_SIZES = ("compare whole shapes (grad.shape != w.shape), not only the last sizes: a gradient of shape (1, 5) "
               "ends in the shape of weights of shape (5,), but numpy broadcasts the new weights to (1, 5)")
_SCALAR_GRAD = ("a gradient of shape () (one number, as np.mean(...) or a Python float gives) does not have w's shape "
                "either: numpy broadcasts it over every weight, so raise ValueError whenever grad.shape != w.shape, for "
                "a 0-d gradient too")
_FLOAT16 = ("convert every array with np.asarray(..., dtype=float), float ones too, not only the integer ones: a "
            "float16 array (as half-precision weights or gradients are) stays float16, which holds about 3 significant "
            "digits (a small step from 1000 is lost: 1000 - 0.07 gives 1000), whose largest number is 65504 (300 ** 2 "
            "gives inf) and whose smallest is about 6e-8 (eps = 1e-8 gives 0)")
_ZERO_D_W = ("a weight of shape () (one number, as np.array(0.5)) is an array too, and its new value has shape () "
             "as well: do not make it 1-D with np.atleast_1d, or loop over a first axis it does not have")


# round 18: the course's own step (the lessons' optimizers, and what a graded release keeps of them: it hides only the
# exercises' references) computed the answer; an answer that calls one of them is refused
def _refusing(*functions, allowed=(), run=called):
    # round 19: with the course's argument checks too (_arrays: the shapes, _positive: lr, _fraction: mu), which left
    # only the formula to the learner
    return refusing_course_versions(_copied_while_watched(new_results(run)), (
        *functions, ref.Optimizer.step, ref._arrays, ref._positive, ref._fraction, *_FRAMEWORK_STEPS, _NUMPY_ONLY),
        allowed)


def _copied_while_watched(run):
    """``run``, returning a copy of the result made while the numpy-only watch is still on.

    Round 31 (r314 F2): the watch ends with the run, and the copy of the case that the engine passed to the answer's
    first call is freed only after it: an answer that returned zeros and set weakref.finalize on that input array
    wrote torch's step into its results there, unwatched, before the comparison read them, and passed. The comparison
    reads this copy, which nothing the answer left behind can write into."""
    def runner(answer, case):
        return copied(run(answer, case))
    return runner


# round 25 (r254 F1-F3): 04b writes the steps from scratch and proves them equal to torch.optim's and Keras'; an answer
# that set a torch optimizer's state to the given velocity (or m, v and t - 1) and called its step() passed all three
# checks. The frameworks' step functions are watched as the course's own versions are, once loaded, and named as a
# library's version (the optimizers' classes are not: building one computes nothing)
_TF_KINDS = (("", ""), ("Resource", "resource_"), ("Sparse", "sparse_"), ("ResourceSparse", "resource_sparse_"))
_TF_OPS = (("AdaMax", "ada_max"), ("Adadelta", "adadelta"), ("Adagrad", "adagrad"), ("AdagradDA", "adagrad_da"),
           ("AdagradV2", "adagrad_v2"), ("Adam", "adam"), ("AdamWithAmsgrad", "adam_with_amsgrad"),
           ("AddSign", "add_sign"), ("CenteredRMSProp", "centered_rms_prop"), ("Ftrl", "ftrl"), ("FtrlV2", "ftrl_v2"),
           ("GradientDescent", "gradient_descent"), ("KerasMomentum", "keras_momentum"), ("Momentum", "momentum"),
           ("PowerSign", "power_sign"), ("ProximalAdagrad", "proximal_adagrad"),
           ("ProximalGradientDescent", "proximal_gradient_descent"), ("RMSProp", "rms_prop"))
_FRAMEWORK_STEPS = (*(f"torch.optim.{module}:{prefix}{module}" for module in (
                        "adadelta", "adagrad", "adam", "adamax", "adamw", "asgd", "nadam", "radam", "rmsprop", "rprop",
                        "sgd") for prefix in ("", "_single_tensor_", "_multi_tensor_", "_fused_")),
                    "torch.optim._functional:sparse_adam",   # every torch.optim step: ASGD with lambd=0 is SGD's
                    # round 27 (r274 F3): and L-BFGS', whose first iteration steps by -min(1, 1/|g|_1) lr g: with the
                    # gradient scaled to |g|_1 <= 1 and both tolerances -1 it is SGD's step (it passed)
                    "torch.optim.lbfgs:LBFGS._add_grad",
                    *(f"keras.src.optimizers.{module}:{name}.update_step" for module, name in (
                        ("sgd", "SGD"), ("adam", "Adam"), ("adamw", "AdamW"), ("rmsprop", "RMSprop"),
                        ("adadelta", "Adadelta"), ("adafactor", "Adafactor"), ("adagrad", "Adagrad"),
                        ("adamax", "Adamax"), ("ftrl", "Ftrl"), ("lamb", "Lamb"), ("lion", "Lion"),
                        ("nadam", "Nadam"), ("muon", "Muon"), ("schedule_free_adamw", "ScheduleFreeAdamW"))),
                    # round 27 (r275 F1, F2; r274 F4): Keras' Muon steps a weight of other than 2 axes with Keras' Adam
                    # (_adamw_update_step; its betas given as np.float64, eps scaled by sqrt(1 - beta2**t), weight
                    # decay off), and under Keras' torch backend (KERAS_BACKEND=torch) its optimizers are the
                    # backend's subclasses, whose _parallel_update_step (torch._foreach_*) replaces update_step (a
                    # fake optimizer object runs it under any backend): Keras' SGD and Adam passed with every mark
                    *(f"keras.src.optimizers.muon:Muon.{name}" for name in ("_adamw_update_step",
                                                                             "_muon_update_step")),
                    *(f"keras.src.backend.torch.optimizers.torch_{module}:{name}._parallel_update_step"
                      for module, name in (("adadelta", "Adadelta"), ("adagrad", "Adagrad"), ("adam", "Adam"),
                                           ("adamax", "Adamax"), ("lion", "Lion"), ("nadam", "Nadam"),
                                           ("rmsprop", "RMSprop"), ("sgd", "SGD"))),
                    # and TensorFlow's optimizer ops (r254 F3), which tf.raw_ops holds (``base._named_aliases``)
                    # round 26 (r264 F2, F3): every training op, in tf.raw_ops (CamelCase) and where it is defined
                    # (gen_training_ops, snake_case; tf.raw_ops holds copies, so gen_training_ops' own functions and
                    # the v1 optimizers that call them were not watched): ResourceApplyProximalGradientDescent with
                    # l1 = l2 = 0 is SGD, resource_apply_adam with eps scaled by sqrt(1 - beta2**t) the paper's Adam
                    *(f"tensorflow._api.v2.raw_ops:{kind}Apply{name}" for kind, _ in _TF_KINDS for name, _ in _TF_OPS),
                    *(f"tensorflow.python.ops.gen_training_ops:{kind}apply_{name}" for _, kind in _TF_KINDS
                      for _, name in _TF_OPS),
                    # round 26 (r264 F1): scikit-learn's MLP optimizers, plain numpy: AdamOptimizer with its state set
                    # to m, v and t - 1 and SGDOptimizer (momentum) passed all three checks
                    *(f"sklearn.neural_network._stochastic_optimizers:{name}._get_updates"
                      for name in ("SGDOptimizer", "AdamOptimizer")),
                    # round 26 (r264 F4): torch.optim's fused steps are kernels of torch itself
                    # (torch._fused_adam_(params, grads, m, v, ..., steps) updates its lists of tensors in place);
                    # called by hand they passed all three checks
                    *(f"torch:{name}" for name in ("_fused_sgd_", "_fused_adam_", "_fused_adamw_", "_fused_adagrad_")),
                    # round 27 (r264 F5, an engine note): the same kernels through torch.ops.aten or
                    # torch._C._VariableFunctions, whose names cannot be rebound: seen by a torch dispatch mode
                    *(f"{_ATEN}_fused_{name}*" for name in ("sgd", "adam", "adagrad")))   # adam*: adamw too


_OLD_STATE = ("the {name} you returned is the caller's own {name} array, with the values it came in with: return the "
              "NEW {name}, {formula}, computed in this step (the caller passes it back at the next step)")


def _state_returned_as_given(reference, states):
    """``called``, and then a state array (momentum's velocity, Adam's m and v) that comes back as the caller's own
    array with the values it came in with, where ``reference``'s step changes them, is named as such. ``states``:
    (position in the result, the argument's name, its new value in words).

    Round 24: `return w - lr * v, velocity` (the new velocity v computed, the old one returned) was told that a result
    shares an input's memory, which says the values are right, and was named `velocity = grad`; Adam's old m and v
    the same (a copy of them came back as a wrong value only)."""
    signature = inspect.signature(reference)

    def run(answer, case):
        try:
            given = signature.bind(*case.args, **case.kwargs).arguments
            before = {name: np.array(given[name], copy=True) for _, name, _ in states
                      if isinstance(given[name], np.ndarray)}
            with np.errstate(all="ignore"):
                after = reference(*copy.deepcopy(case.args), **copy.deepcopy(case.kwargs))
        except Exception:  # inputs a right answer refuses: judged by the case alone
            before = {}
        result = called(answer, case)
        for position, name, formula in states:
            if name not in before or not isinstance(result, tuple) or len(result) <= position:
                continue
            back, new = result[position], np.asarray(after[position], dtype=float)
            if (isinstance(back, np.ndarray) and np.shares_memory(back, given[name])
                    and back.shape == before[name].shape and np.array_equal(back, before[name], equal_nan=True)
                    and new.shape == back.shape and not np.array_equal(new, back, equal_nan=True)):
                raise Mismatch(t(_OLD_STATE, name=name, formula=formula))
        return result
    return run


EXERCISES = {
    "sgd_step": Exercise(
        reference=reference_of(ref.sgd_step),
        cases=_sgd_cases,
        # round 19: momentum with mu = 0 is the same step, so the course's momentum is refused here too; round 20: and
        # RMSprop's formula, whose rho = 1 and eps = 0 (unchecked there) make it w - lr * g; round 21: and Adam's, whose
        # m with beta1 = 1/2, m = 2 w and the gradient -2 lr grad is w - lr * grad
        run=_refusing(ref.sgd_step, ref._sgd, ref.SGD.update, ref.momentum_step, ref._momentum, ref.Momentum.update,
                      ref._rmsprop, ref._adam, ref.Adam.update, run=_held_later(called)),
        compare=_arrays_compared,
        hint="w - lr * grad. Check first that grad has the same shape as w (numpy would silently broadcast "
        "a gradient of shape (1,)) and that 0 < lr < np.inf; raise ValueError otherwise.",
        mistakes=(
            # first: every answer that checks `not lr > 0` gives its outcome on the lr = inf case (the last)
            Mistake("infinite learning rate let through", _sgd_infinite_lr_let_through, _INF_LR),
            Mistake("plus sign", _sgd_plus_sign, "gradient descent steps AGAINST the gradient: w - lr * grad, "
                    "not w + lr * grad (that climbs uphill)"),
            Mistake("only integer arrays converted", _sgd_only_integers_converted, _FLOAT16),
            Mistake("no float conversion", _sgd_no_float_cast, "numpy keeps a small integer dtype such as uint8 "
                    "when lr is a whole number, so lr * grad and the subtraction wrap around (3 - 2 * 5 gives 249): "
                    "convert w and grad with np.asarray(..., dtype=float) first"),
            Mistake("copy, then -=", _sgd_copy_then_subtract, "np.copy(w) keeps w's dtype: for integer weights "
                    "`new_w -= lr * grad` cannot store the float result (numpy raises a casting error). Compute a new "
                    "array: `w - lr * grad`"),
            Mistake("stored in np.zeros_like(grad)", _sgd_into_zeros_like_grad, "np.zeros_like(grad) takes grad's "
                    "dtype: for an integer gradient it holds integers, and the new weights stored in it are cut to "
                    "whole numbers. Return `w - lr * grad` itself"),
            Mistake("unchanged w returned", _sgd_unchanged_w_returned, "a zero gradient must give new weights "
                    "all the same: return `w - lr * grad`, not the caller's w itself, which a later `w -= ...` would "
                    "change in both places"),
            # round 27 (r274 F2): `grad *= lr` first was told it had written `w -= lr * grad`
            Mistake("in place", _sgd_in_place, "an in-place operator on an argument (-= on w, or *= on grad before the "
                    "step) writes into the caller's array; compute new arrays instead: `w - lr * grad`"),
            Mistake("end sizes compared", _sgd_end_sizes_compared, _END_SIZES),
            Mistake("ndim, length and size compared", _sgd_ndim_len_size, _NDIM_LEN_SIZE),
            Mistake("broadcast and size compared", _sgd_broadcast_size, _BROADCAST_SIZE),
            Mistake("a list of rows returned", _sgd_loop_over_rows, ""),  # the check's own text names it
            Mistake("last sizes compared", _sgd_last_sizes, _LAST_SIZES),
            Mistake("a single weight made 1-D", _sgd_made_1_d, _ZERO_D_W),
            Mistake("lengths compared, not shapes", _sgd_lengths_compared, "compare grad.shape with w.shape as "
                    "they are, not len(), .size or the shapes after np.squeeze: a gradient of shape (3, 1) has the "
                    "length and size of weights of shape (3,), and np.squeeze turns it into their shape (3,), but numpy "
                    "broadcasts it to (3, 3)"),
            Mistake("0-d gradient allowed", _sgd_scalar_gradient, _SCALAR_GRAD),
            Mistake("no shape check", _sgd_no_shape_check, "numpy broadcast a gradient of the wrong shape over "
                    "the weights; compare grad.shape with w.shape and raise ValueError"),
            Mistake("NaN learning rate let through", _sgd_nan_lr_let_through, _NAN_LR),
            Mistake("no learning-rate check", _sgd_no_lr_check, "a learning rate <= 0 must raise ValueError: "
                    "with lr = 0 nothing moves, with lr < 0 the step climbs"),
            Mistake("assert instead of raise", _sgd_assert, "`assert` raises AssertionError (and is skipped "
                    "under python -O); write `raise ValueError(...)`"),
            Mistake("lr above 1 rejected", _sgd_lr_above_1_rejected, _LR_ABOVE_1),
            Mistake("tiny lr rejected", _sgd_tiny_lr_rejected, "any positive learning rate is allowed, however small "
                    "(1e-12 times a gradient of 1e11 still moves a weight by 0.1): raise ValueError only when lr "
                    "is not in 0 < lr < inf, not below a threshold of your own"),
            Mistake("lr must be a float", _sgd_lr_float_only, _WHOLE_LR),
            Mistake("lr must be a Python number", _sgd_lr_python_number_only, _NUMPY_NUMBERS),
            Mistake("sizes compared, then reshaped", _sgd_sizes_then_reshaped, "compare grad.shape with w.shape and "
                    "raise ValueError: a gradient of w's size but another shape (such as (4, 1) for weights of shape "
                    "(1, 4)) is the caller's mistake, and reshaping it hides it"),
            Mistake("returns the step", _sgd_returns_step, ""),
        ),
    ),
    "momentum_step": Exercise(
        reference=reference_of(ref.momentum_step),
        cases=_momentum_cases,
        # round 20: and RMSprop's formula, whose rho = 1 and eps = 0 make its step w - lr * v; round 21: and Adam's,
        # whose m with beta1 = mu and the gradient grad / (1 - mu) is the velocity mu * v + grad
        # round 31 (r315 F1): _momentum_checked (this module's helper of the catalogued mistakes) makes every check the
        # exercise asks for, and _adam_moments with beta1 = mu and the gradient grad / (1 - mu) gives the velocity:
        # every helper of the checks' modules is refused by the engine (base._check_helper)
        # round 33 (r335 F1): 04a's sgd_step was allowed (everything run inside it went unwatched), and an answer ran
        # the course's momentum_step inside it: from the __array__ of an object it passed (a partial of next over a map,
        # so that no code of the answer's ran there) or from a finalizer that a collection ran there. sgd_step now calls
        # none of the refused helpers (it writes out their checks), so nothing needs allowing, and what runs inside it
        # is the answer's doing
        # round 36 (r365 F1): as sgd_step's (r354 F2), a ring of 6 buffers per shape for the new weights of more than 2
        # elements passed (the engine's test of buffers used in turn looks at cases of at most 2 elements per array)
        run=_refusing(ref.momentum_step, ref._momentum, ref.Momentum.update, ref._rmsprop, ref._adam, ref.Adam.update,
                      run=_held_later(_state_returned_as_given(ref.momentum_step, (
                          (1, "velocity", "mu * velocity + grad"),)))),
        compare=_arrays_compared,
        hint="velocity = mu * velocity + grad, then w - lr * velocity; return (new_w, new_velocity). "
        "Raise ValueError when grad or velocity has another shape than w (compare shapes, not len()), and test "
        "the numbers as not 0 < lr < np.inf and not 0 <= mu < 1: written this way, both tests refuse NaN too.",
        mistakes=(
            # first: every answer that checks `not lr > 0` gives its outcome on the lr = inf case (the last)
            Mistake("infinite learning rate let through", _momentum_infinite_lr_let_through, _INF_LR),
            Mistake("other convention", _momentum_other_convention, "that is the other momentum convention "
                    "(v = mu*v - lr*grad, w + v); the lesson's velocity sums gradients: v = mu*v + grad, "
                    "then w - lr*v"),
            Mistake("old velocity", _momentum_old_velocity, "update the velocity first, then move w with the "
                    "NEW velocity"),
            Mistake("moving average", _momentum_moving_average, "v = mu*v + (1 - mu)*grad is a moving average "
                    "(as in Adam); heavy-ball momentum adds the whole gradient: v = mu*v + grad"),
            Mistake("returns only w", _momentum_returns_only_w, "return both arrays: (new_w, new_velocity)"),
            Mistake("only w converted to float", _momentum_w_only_float, "numpy keeps a small integer dtype such as "
                    "uint8 when lr and mu are whole numbers, so mu * velocity + grad and lr * velocity wrap around "
                    "(2 * 200 gives 144 in uint8): convert grad and velocity with np.asarray(..., dtype=float) too"),
            Mistake("only integer arrays converted", _momentum_only_integers_converted, _FLOAT16),
            Mistake("copies updated in place", _momentum_copied_state, "np.copy keeps the dtype: for an integer "
                    "velocity (np.zeros_like of integer weights gives one) `v *= mu` cannot store floats (numpy "
                    "raises a casting error). Compute new arrays: `velocity = mu * velocity + grad`, then "
                    "`w - lr * velocity`"),
            Mistake("unchanged w and velocity returned", _momentum_nothing_to_do, "a zero gradient with a zero "
                    "velocity must give new arrays all the same: return `w - lr * velocity` and the new velocity, not "
                    "the caller's w and velocity themselves, which a later `w -= ...` would change in both places"),
            Mistake("velocity is the caller's grad", _momentum_velocity_is_grad, "`velocity = grad` (for a first "
                    "step, or mu = 0) returns the caller's gradient array itself as the velocity, so a gradient "
                    "buffer filled in place later changes the velocity too: compute `mu * velocity + grad`, a new "
                    "array, at every step (torch's SGD clones the gradient on its first step for this reason)"),
            Mistake("velocity in place", _momentum_in_place, "an in-place operator on an argument (`velocity *= mu`, "
                    "`velocity += grad`, or `w -= lr * velocity`) changes the caller's array: np.asarray(a, "
                    "dtype=float) gives a float array back as it is, not a copy. Compute new arrays: "
                    "`velocity = mu * velocity + grad`, then `w - lr * velocity`"),
            Mistake("gradient's end sizes compared", _momentum_grad_end_sizes_compared, _END_SIZES),
            Mistake("ndim, length and size compared", _momentum_ndim_len_size, _NDIM_LEN_SIZE),
            Mistake("broadcast and size compared", _momentum_broadcast_size, _BROADCAST_SIZE),
            Mistake("0-d velocity allowed", _momentum_scalar_velocity, _SCALAR_STATE),
            Mistake("last sizes compared", _momentum_last_sizes, _LAST_SIZES),
            Mistake("a single weight made 1-D", _momentum_made_1_d, _ZERO_D_W),
            Mistake("velocity's length and size compared", _momentum_velocity_length_and_size, "compare velocity.shape "
                    "with w.shape, not len() and .size: a velocity of shape (3, 1) has both of weights of shape (3,), "
                    "but numpy broadcasts it to (3, 3)"),
            Mistake("velocity's length compared", _momentum_velocity_length_compared, "compare velocity.shape "
                    "with w.shape, not len(): a velocity of shape (6, 1) has the length of weights of shape (6, 5), "
                    "but numpy broadcasts it"),
            Mistake("lengths compared, not shapes", _momentum_lengths_compared, "compare the shapes of grad and "
                    "velocity with w.shape, not len() or .size: a gradient of shape (3, 1) has the length of "
                    "weights of shape (3,), but numpy broadcasts it to (3, 3)"),
            Mistake("0-d gradient allowed", _momentum_scalar_gradient, _SCALAR_GRAD),
            # round 27 (r275 F3): `if grad.shape != w.shape != velocity.shape` (a chain of !=, (grad != w) and
            # (w != velocity)) lets a wrong grad or a wrong velocity through alone and was told to check grad's shape
            # "too", which it thought it did; the messages now name the chain
            Mistake("no gradient shape check", _momentum_no_grad_shape_check, _MOMENTUM_SHAPE_CHECK.format(
                name="grad", kind="gradient")),
            Mistake("no velocity shape check", _momentum_no_velocity_shape_check, _MOMENTUM_SHAPE_CHECK.format(
                name="velocity", kind="velocity")),
            Mistake("NaN learning rate let through", _momentum_nan_lr_let_through, _NAN_LR),
            Mistake("NaN mu let through", _momentum_nan_mu_let_through, "mu = NaN is not in [0, 1) either, yet "
                    "`mu < 0 or mu >= 1` is False for it: check `not 0 <= mu < 1`, which refuses NaN too"),
            Mistake("no learning-rate check", _momentum_no_lr_check, "a learning rate <= 0 must raise ValueError"),
            Mistake("no check of a negative mu", _momentum_no_negative_mu_check, "mu must lie in [0, 1): "
                    "a negative mu must raise ValueError too"),
            Mistake("mu = 1 allowed", _momentum_mu_one_allowed, "mu must be below 1 (0 <= mu < 1): with mu = 1 "
                    "the velocity never forgets a gradient"),
            Mistake("lr above 1 rejected", _momentum_lr_above_1_rejected, _LR_ABOVE_1),
            Mistake("sizes compared, then reshaped", _momentum_sizes_then_reshaped, _SIZES_RESHAPED),
            Mistake("mu must be a float", _momentum_mu_float_only, _WHOLE_MU),
            Mistake("lr and mu must be Python numbers", _momentum_python_numbers_only, _NUMPY_NUMBERS),
            Mistake("inputs' dtype kept", _momentum_inputs_dtype, _INPUTS_DTYPE),
            Mistake("3 axes rejected", _momentum_three_axes_rejected, "w may have any number of axes (a "
                    "convolution's weights have 4): the step is elementwise, so raise ValueError only for the listed "
                    "problems"),
            Mistake("NaN gradient replaced", _momentum_nan_replaced, _NAN_KEPT),
            Mistake("another default for mu", _momentum_other_default_mu, "keep the signature's default mu=0.9: "
                    "a call without mu uses it"),
            Mistake("lr folded into the velocity", _momentum_lr_in_velocity, "that velocity holds lr * grad "
                    "(v = mu*v + lr*grad, then w - v); the lesson's velocity sums the gradients themselves: "
                    "v = mu*v + grad, then w - lr*v"),
            Mistake("old velocity returned", _momentum_old_velocity_returned, "return the NEW velocity, "
                    "mu * velocity + grad (the one w moved with), not the velocity you were given: the caller passes "
                    "it back at the next step"),
            Mistake("results in another order", _momentum_results_swapped, "return the two arrays in the "
                    "order the exercise gives, (new_w, new_velocity): the caller unpacks them as "
                    "`w, velocity = momentum_step(...)`"),
            Mistake("zero gradient skipped", _momentum_zero_gradient_skipped, "a zero gradient does not stop "
                    "momentum: the weights keep moving with the velocity (v = mu*v + 0, then w - lr*v), so take the "
                    "step for every gradient"),
        ),
    ),
    "adam_step": Exercise(
        reference=reference_of(ref.adam_step),
        cases=_adam_cases,
        # round 19: and RMSprop's formula, which with rho = 1 (unchecked there) is Adam's last line
        # round 20: and momentum's formula, whose velocity with mu = beta1 and the gradient (1 - beta1) * g is Adam's m,
        # and SGD's, w - lr * g, which takes Adam's last line as _rmsprop did
        # round 24: 04b hands out 04a's sgd_step (its set-up cell imports it), as momentum_step's check allows it; an
        # Adam whose last line was sgd_step(w, m_hat / (sqrt(v_hat) + eps), lr) was refused for the _arrays inside it
        # round 31 (r315 F1): _adam_moments (the checks and the new m and v) followed by _adam_corrected_step (the
        # corrected step), helpers of the catalogued mistakes, is a whole Adam step: refused by base._check_helper
        # round 33 (r335 F1): as momentum_step's, sgd_step is no longer allowed: it calls none of these
        # round 36 (r365 F1): as momentum_step's, a ring of buffers for arrays of more than 2 elements passed
        run=_refusing(ref.adam_step, ref._adam, ref.Adam.update, ref._rmsprop, ref._momentum, ref._sgd,
                      run=_held_later(_state_returned_as_given(ref.adam_step, (
                          (1, "m", "beta1 * m + (1 - beta1) * grad"),
                          (2, "v", "beta2 * v + (1 - beta2) * grad ** 2"))))),
        compare=_arrays_compared,
        hint="m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g**2; m_hat = m/(1-b1**t); v_hat = v/(1-b2**t); "
        "w - lr*m_hat/(sqrt(v_hat)+eps). Return (w, m, v) with the UNcorrected m and v. "
        "Raise ValueError for t < 1 or when grad, m or v has another shape than w (compare shapes, not len()).",
        mistakes=(
            Mistake("bias correction dropped after the first steps", _adam_correction_only_early, "keep the bias "
                    "correction at every step: with beta2 = 0.999, 1 - beta2**t is still far from 1 after hundreds "
                    "of steps (0.26 at t = 300), so m / (1 - beta1**t) and v / (1 - beta2**t) at every t"),
            Mistake("no bias correction", _adam_no_bias_correction, "divide m by (1 - beta1**t) and v by "
                    "(1 - beta2**t) before the step: without the bias correction early steps are wrong"),
            Mistake("source 001's Adam", _adam_like_source_001, "that is source 001's Adam (section 3.5): it "
                    "steps with the plain gradient and never uses m and v; step with lr * m_hat / "
                    "(sqrt(v_hat) + eps)"),
            # round 30 (r305 F2): before "eps as a floor", which gives the same step where sqrt(v_hat) is far above eps
            # (eps = 1e-3 with v_hat near 1): `+ 1e-8` (the eps argument unused) was told to add eps, not floor it
            Mistake("eps argument unused", _adam_fixed_eps, "use the eps you are given: np.sqrt(v_hat) + eps, not "
                    "+ 1e-8 written as a number (a call may pass another eps, such as eps=1e-3)"),
            # before "no square root": on "a tiny gradient" both give the same step (round 16)
            Mistake("eps as a floor", _adam_eps_as_a_floor, "add eps to the square root, do not use it as a floor: "
                    "np.sqrt(v_hat) + eps, not np.maximum(np.sqrt(v_hat), eps) (the two differ where sqrt(v_hat) is "
                    "near eps, for tiny gradients)"),
            Mistake("no square root", _adam_no_sqrt, "divide by the square root of v_hat: "
                    "lr * m_hat / (np.sqrt(v_hat) + eps)"),
            Mistake("t counted from 0", _adam_t_from_zero, "t is the step number itself and counts from 1 (the first "
                    "step is t = 1): divide by 1 - beta1**t and 1 - beta2**t with the t you are given, not t + 1"),
            Mistake("eps inside the square root", _adam_eps_inside_sqrt, "eps goes outside the square root: "
                    "np.sqrt(v_hat) + eps, not np.sqrt(v_hat + eps)"),
            Mistake("returns corrected moments", _adam_returns_corrected_moments, "return the UNcorrected m and "
                    "v; m_hat and v_hat are recomputed from them at every step"),
            Mistake("0-d m and v allowed", _adam_scalar_moments, _SCALAR_STATE),
            Mistake("0-d gradient allowed", _adam_scalar_gradient, _SCALAR_GRAD),
            Mistake("last sizes compared", _adam_last_sizes, _LAST_SIZES),
            Mistake("a single weight made 1-D", _adam_made_1_d, _ZERO_D_W),
            Mistake("m compared with v, not with w", _adam_m_compared_with_v, "compare the shapes of m and v "
                    "with w.shape, not only with each other: numpy broadcast an m and v of shape (1,) over "
                    "every weight"),
            Mistake("end sizes compared", _adam_end_sizes_compared, _END_SIZES),
            Mistake("ndim, length and size compared", _adam_ndim_len_size, _NDIM_LEN_SIZE),
            Mistake("broadcast and size compared", _adam_broadcast_size, _BROADCAST_SIZE),
            Mistake("m's length and size compared", _adam_m_length_and_size, "compare m.shape with w.shape, not len() "
                    "and .size: an m of shape (3, 1) has both of weights of shape (3,), but numpy broadcasts it to "
                    "(3, 3)"),
            Mistake("moments' lengths compared", _adam_moment_lengths_compared, "compare the shapes of m and v "
                    "with w.shape, not len(): an m of shape (5, 1) has the length of weights of shape (5, 7), but "
                    "numpy broadcasts it"),
            Mistake("only the gradient's shape checked", _adam_only_grad_shape_checked, "check the shapes of m "
                    "and v too: numpy broadcast an m or v of shape (1,) over every weight"),
            Mistake("w not compared", _adam_w_not_compared, "compare grad, m and v with w.shape, not only with "
                    "each other: numpy broadcast them over weights of another shape"),
            Mistake("lengths compared, not shapes", _adam_lengths_compared, "compare the shapes of grad, m and v "
                    "with w.shape, not len() or .size: a gradient of shape (3, 1) has the length of weights of "
                    "shape (3,), but numpy broadcasts it to (3, 3)"),
            Mistake("only t = 0 rejected", _adam_only_t_zero_rejected, "t counts from 1: every t < 1 must "
                    "raise ValueError, a negative t too (check t < 1, not t == 0)"),
            Mistake("lr above 1 rejected", _adam_lr_above_1_rejected, _LR_ABOVE_1),
            Mistake("sizes compared, then reshaped", _adam_sizes_then_reshaped, _SIZES_RESHAPED),
            Mistake("beta1 = 0 rejected", _adam_beta1_zero_rejected, "beta1 = 0 is allowed (0 <= beta1 < 1; m is "
                    "then the step's own gradient): raise ValueError only when t < 1 or a shape differs"),
            Mistake("beta2 = 0 rejected", _adam_beta2_zero_rejected, "beta2 = 0 is allowed (0 <= beta2 < 1; v is "
                    "then the step's own grad**2): raise ValueError only when t < 1 or a shape differs"),
            Mistake("inputs' dtype kept", _adam_inputs_dtype, _INPUTS_DTYPE),
            Mistake("another default for lr", _adam_other_default_lr, "keep the signature's defaults (lr=1e-3, "
                    "beta1=0.9, beta2=0.999, eps=1e-8): a call without them uses them"),
            Mistake("Keras' default epsilon", _adam_keras_default_eps, "keep the signature's default eps=1e-8, the "
                    "paper's and PyTorch's: 1e-7 is Keras' default (04b §4), and a call without eps uses yours"),
            Mistake("betas in another order", _adam_betas_swapped_in_signature, "keep the signature's order "
                    "(w, grad, m, v, t, lr, beta1, beta2, eps): a call may pass beta1 and beta2 by position"),
            Mistake("moments stored in np.zeros_like", _adam_moments_into_zeros_like, "np.zeros_like(m) takes m's "
                    "dtype: for integer moments (np.zeros_like of integer weights gives them) the new m and v are cut "
                    "to whole numbers. Compute new arrays: `m = beta1 * m + (1 - beta1) * grad`"),
            Mistake("only integer arrays converted", _adam_only_integers_converted, _FLOAT16),
            Mistake("no float conversion", _adam_no_float_cast, "grad ** 2 of a small integer dtype such as int8 "
                    "stays int8 and wraps around (100 ** 2 gives 16): convert the arrays with np.asarray(..., "
                    "dtype=float) first"),
            Mistake("NaN gradient replaced", _adam_nan_replaced, _NAN_KEPT),
            Mistake("Keras' epsilon", _adam_keras_epsilon, "that is Keras' form (04b §4), which adds eps to the "
                    "uncorrected sqrt(v); the exercise asks for the paper's: lr * m_hat / (np.sqrt(v_hat) + eps)"),
            Mistake("no t check", _adam_no_t_check, ""),
            Mistake("shapes compared in a chain of !=", _adam_shapes_chained_with_not_equal, "a chain of != does not "
                    "negate a chain of ==: `a != b != c` means (a != b) and (b != c), so it raises only when every "
                    "neighbouring pair differs, and a gradient of shape (1,) beside an m of w's shape went through. "
                    "Raise when not (grad.shape == m.shape == v.shape == w.shape)"),
            Mistake("m and v in another order", _adam_moments_swapped, "return the three arrays in the order the "
                    "exercise gives, (new_w, new_m, new_v): the caller unpacks them as `w, m, v = adam_step(...)`"),
            Mistake("old m and v returned", _adam_old_moments_returned, "return the NEW m and v of this step "
                    "(beta1 * m + (1 - beta1) * grad and beta2 * v + (1 - beta2) * grad ** 2, uncorrected), not the m "
                    "and v you were given: the caller passes them back at the next step"),
            Mistake("step taken with the old m and v", _adam_step_with_old_moments, _OLD_MOMENTS_STEP),
            # round 28 (r285 F5): told only "wrong value" (at t = 1 both forms agree, so the first step looked right)
            Mistake("power of 1 - beta", _adam_power_of_one_minus_beta, "raise beta itself to the power t: the "
                    "corrections are 1 - beta1**t and 1 - beta2**t, not (1 - beta1)**t and (1 - beta2)**t (the two "
                    "agree only at t = 1, so the first step looked right)"),
            Mistake("t must be a Python int", _adam_t_python_int_only, "t may be a numpy integer (np.int64, as "
                    "`for t in np.arange(1, 101)` gives), which isinstance(t, int) refuses: check t < 1 only"),
        ),
    ),
    "minibatch_indices": Exercise(
        reference=reference_of(ref.minibatches),
        cases=_minibatch_cases,
        run=refusing_course_versions(_batches_summary, (ref.minibatches, _NUMPY_ONLY)),
        compare=_compare_batches,
        hint="order = rng.permutation(n); return [order[i:i + batch_size] for i in range(0, n, batch_size)]. "
        "Raise ValueError when batch_size < 1.",
        mistakes=(
            Mistake("in order", _batches_in_order, "the batches are not shuffled: order = rng.permutation(n)"),
            Mistake("reversed", _batches_reversed, "reversing 0..n-1 is not shuffling: use rng.permutation(n)"),
            Mistake("rolled", _batches_rolled, "np.roll only rotates 0..n-1; use rng.permutation(n)"),
            Mistake("smaller batch first", _batches_smaller_first, "the smaller batch must come last: cut "
                    "order[i:i + batch_size] for i in range(0, n, batch_size), so that only the last batch is short "
                    "(a shuffled list of batches moves it too)"),
            Mistake("shuffled blocks", _batches_shuffled_blocks, "shuffling the order of the batches keeps "
                    "neighbours together; shuffle the indices (rng.permutation(n)), then cut"),
            Mistake("shuffled within batches", _batches_shuffled_within, "shuffling inside each batch keeps the "
                    "same examples together in every epoch; shuffle all the indices (rng.permutation(n)), then cut"),
            Mistake("half shuffled", _batches_half_shuffled, "only part of the indices was shuffled; shuffle all "
                    "of 0..n-1 with rng.permutation(n)"),
            Mistake("last batch never shuffled", _batches_remainder_kept, "only the full batches were shuffled, so "
                    "the last, smaller batch holds the same indices in every epoch; shuffle all of 0..n-1 with "
                    "rng.permutation(n), then cut"),
            Mistake("global np.random", _batches_global_random, "use the `rng` you are given "
                    "(rng.permutation(n)), not np.random: only then is the run reproducible"),
            Mistake("fixed seed", _batches_fixed_seed, "a seed of your own ignores the `rng` argument, so "
                    "every epoch has the same order; use rng.permutation(n)"),
            Mistake("last batch dropped", _batches_drop_last, "the last, smaller batch was dropped: "
                    "range(0, n, batch_size) goes up to n"),
            Mistake("small last batch merged", _batches_small_last_merged, "keep a small last batch as a batch of "
                    "its own: every batch has batch_size indices except the last, however small it is"),
            Mistake("float indices", _batches_float, "the indices are floats (np.zeros and np.empty make "
                    "floats), and numpy refuses floats as indices: X[idx] raises IndexError; return the "
                    "integers of rng.permutation(n)"),
            Mistake("own shuffle off by one", _batches_sattolo, ""),  # the check's own text names it
            Mistake("rng copied", _batches_rng_copied, ""),  # the check's own text names it
            Mistake("np.random.seed", _batches_global_seed, ""),  # the check's own text names it
            Mistake("batches as tuples", _batches_as_tuples, ""),  # the check's own text names it
            Mistake("no batch-size check", _batches_no_size_check, ""),
            Mistake("uint8 indices", _batches_uint8, "the indices were stored as uint8, which holds 0..255 only, so "
                    "larger ones wrapped around: return the integers of rng.permutation(n) as they are"),
            Mistake("Python's random seeded", _batches_python_random, ""),  # the check's own text names it
            Mistake("naive swap shuffle", _batches_naive_swap, ""),  # the check's own text names it
            Mistake("few orders", _batches_seeded_small, ""),  # the check's own text names it
            Mistake("shuffled twice by indexing", _batches_shuffled_twice, ""),  # the check's own text names it
            Mistake("pairs of neighbours shuffled", _batches_pairs_shuffled, ""),  # the check's own text names it
        ),
    ),
}

# Lesson 04 is split in three notebooks; each exercise is checked in the part named here.
NOTEBOOKS = {
    "04a_gradient_descent": ("sgd_step", "minibatch_indices"),
    "04b_momentum_rmsprop_adam": ("momentum_step", "adam_step"),
}
