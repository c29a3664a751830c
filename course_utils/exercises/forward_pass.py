"""Exercises of lesson 02 (forward pass), which comes in two parts.

One module serves both notebooks; ``NOTEBOOKS`` says which part checks which exercise:
- 02a_layers_and_mlp: exercise 1 ``mlp_forward``, exercise 2 ``softmax_stable``;
- 02b_losses_and_xor: exercise 3 ``bce_from_logits``, exercise 4 ``cce_from_logits``.
"""
import functools

import numpy as np

from .. import mlp
from .base import (Case, Exercise, Mismatch, Mistake, called, compare_probabilities, draw_floats, draw_shape, generated,
                   in_turn, input_changed, new_results, refusing_course_versions, same_arrays)
from ..i18n import t
from ..neurons import sigmoid
from .neurons import _LONG_DOUBLE, _call_without_overflow
from .base import NUMPY_ONLY as _NUMPY_ONLY


def _as_kind(rng, values, kinds):
    """``values`` (float64) as one of ``kinds``: "float64", "float32" or "int" (rounded to whole numbers)."""
    kind = rng.choice(kinds)
    if kind == "float32":
        return values.astype(np.float32)
    return np.round(values).astype(np.int64) if kind == "int" else values


def _draw_logits(rng, shape):
    """Logits of ``shape`` at a scale from 0.5 to 500, each row (last axis) shifted by 0 or about +-1000 on its own:
    the maximum sits anywhere in its row, and rows can lie far apart."""
    z = draw_floats(rng, shape, scale=float(rng.choice([0.5, 5.0, 50.0, 500.0])))
    offsets = rng.choice([0.0, 1000.0, -1000.0], size=shape[:-1] + (1,)) * rng.uniform(0.5, 1.5, size=shape[:-1] + (1,))
    return z + offsets


def _draw_softmax_input(rng):
    """A vector or a batch (the exercise's inputs) of any size, float64, float32 or whole numbers; a vector's entries
    can lie about 2000 apart, as a batch's rows can."""
    shape = draw_shape(rng, int(rng.choice([1, 2, 2])))
    z = _draw_logits(rng, shape)
    if len(shape) == 1:   # one row: its entries themselves lie 0 or about +-1000 apart, the maximum anywhere
        z = z + rng.choice([0.0, 1000.0, -1000.0], size=shape)
    return Case((_as_kind(rng, z, ("float64", "float32", "int")),))


def _draw_small_int_logits(rng, dtype, shape):
    """Whole-number logits of ``shape`` in a small integer ``dtype``: int8 from -100 to 100 (two of them can lie 200
    apart, beyond int8's range), uint8 from 0 to 255. np.exp of int8 or uint8 computes in float16 (about 3 digits) and
    z - z.max() of uint8 wraps around, so only a cast to float is right."""
    low, high = (0, 255) if dtype == "uint8" else (-100, 100)
    z = rng.integers(low, high + 1, size=shape)
    z.flat[int(rng.integers(z.size))] = int(rng.choice([low, high]))   # one entry at an end of the range
    return z.astype(dtype)


def _draw_small_int_softmax_input(rng, dtype):
    """A vector or a batch of whole-number logits as int8 or uint8."""
    z = _draw_small_int_logits(rng, dtype, draw_shape(rng, int(rng.integers(1, 3)), low=2))
    return Case((z,), label="whole-number logits as int8" if dtype == "int8" else "whole-number logits as uint8")


def _draw_one_class_batch(rng):
    """A batch of 2 to 7 examples with one class each, shape (n, 1): every probability is 1."""
    z = _draw_logits(rng, (int(rng.integers(2, 8)), 1))
    return Case((_as_kind(rng, z, ("float64", "float32", "int")),), label="a batch with one class: shape (n, 1)")


def _draw_batch_of_sequences(rng):
    """A batch of 3 axes, (n, t, k), each 2 to 5 long, float64, float32 or whole numbers: the softmax runs along the
    last axis, which axis=1 (the last axis of a 2-D batch only) is not; every row (last axis) is shifted on its own."""
    z = _draw_logits(rng, draw_shape(rng, 3, low=2, high=5))
    return Case((_as_kind(rng, z, ("float64", "float32", "int")),),
                label="a batch of 3 axes, shape (n, t, k): the softmax runs along the last axis")


def _softmax_run(answer, case):
    """Call the answer, report a change to its input, and refuse a result that is not a numpy array: the cells
    after the exercise call p.round(4) and p.sum(axis=-1) on it."""
    before = [np.array(a, copy=True) for a in case.args]
    result = answer(*case.args, **case.kwargs)
    if not same_arrays(list(case.args), before):
        raise input_changed()
    if result is not None and not isinstance(result, np.ndarray):
        raise Mismatch(t("your function returned a {kind}, not a numpy array: the cells after it call p.round(4) and "
                         "p.sum(axis=-1) on the result. Return one array (np.array(rows), or better the whole batch "
                         "at once with axis=-1)", kind=type(result).__name__))
    return result


# np.exp overflows in np.longdouble (80-bit extended on x86 Linux) above about 11356, and np.longdouble is float64 on
# Windows and Apple silicon: a naive formula computed in it passes logits near 1000 on x86 Linux only
_BEYOND_LONG_DOUBLE = "logits of 100000 in size, beyond np.exp's range even in np.longdouble"


def _softmax_cases():
    rng = np.random.default_rng(3)
    return [
        Case((np.array([1.0, 2.0, 3.0]),), label="one vector of logits"),
        Case((rng.normal(size=(4, 3)),), label="a batch of 4 examples, 3 classes"),
        Case((np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1001.0, -1002.0]]),), label="very large logits"),
        Case((np.array([[-1000.0, 0.0, 1000.0], [1.0, 2.0, 3.0]]),), label="a row that spans 2000"),
        Case((rng.normal(size=(1, 5)),), label="a batch of one"),
        Case((np.array([[np.nan, 1.0, 2.0], [0.0, 1.0, 2.0]]),), label="NaN in the first row"),
        Case((np.array([[1, 2, 3], [0, 0, 5]]),), label="whole-number logits give floats"),
        Case((np.array([[0.0, 1000.0, -1000.0], [3.0, 1.0, 2.0]]),),
             label="large logits whose maximum is neither first nor last"),
        Case((np.array([3.0, 1000.0, -1000.0, 999.5]),), label="one vector of logits that spans 2000"),
        Case((np.array([[2.0], [-1000.0], [7.5]]),), label="a batch of 3 examples with one class each (shape (3, 1))"),
        *generated(_draw_softmax_input, count=8, seed=13),
        *generated(_draw_one_class_batch, count=1, seed=4),
        *generated(in_turn(_draw_small_int_softmax_input, ("int8", "uint8")), count=2, seed=9),
        Case((np.array([[1e5, 0.0, -1e5], [2.0, 1.0, 3.0]]),), label=_BEYOND_LONG_DOUBLE),
        Case((np.zeros((0, 4)),), label="a batch of no examples, shape (0, 4): the result has the same shape",
             points=0),   # an empty result: a pass needs it, it gives no partial credit
        *generated(_draw_batch_of_sequences, count=3, seed=28),
        # "any number of axes": an axis picked by the number of axes (1, 2 or 3, as in every other case) passed
        # (round 25)
        Case((_draw_logits(np.random.default_rng(25), (2, 3, 2, 4)),),
             label="a batch of 4 axes, shape (2, 3, 2, 4): the softmax runs along the last axis"),
        Case((np.array([[0.0, -20.0, -40.0, -60.0], [5.0, 5.0, -30.0, 5.0]]),),
             label="probabilities from 1e-26 to 2e-9, compared to their own scale"),
        # a vector is a row too: its NaN makes the whole vector NaN (a path of its own for vectors, or np.nan_to_num,
        # showed nowhere); so does the NaN of a one-class row, where a shortcut np.ones_like(z) gives 1
        Case((np.array([0.5, np.nan, 2.0]),), label="NaN in one vector of logits: the whole vector is NaN"),
        Case((np.array([[2.0], [np.nan], [-1.0]]),), label="a batch with one class and a NaN logit: that row is NaN"),
        # the softmax needs no clip: a clip of z at any size below 1e8 (1e4, 1e5) makes the logits of a row equal. They
        # are exact in float32 (whose step near 1e8 is 8), and exp(z - logsumexp(z)) stays within 1e-8 of the softmax
        Case((np.array([[1e8, 1e8 + 8.0, 1e8 - 8.0], [-1e8, -1e8 - 8.0, -1e8 + 16.0]]),),
             label="logits near 1e8 and -1e8, 8 to 24 apart: a clip of z changes their probabilities"),
        # whole numbers beyond int16 and int32 (z cast to a smaller integer type wraps them around)
        Case((np.array([[3_000_000_000, 3_000_000_001, -3_000_000_000], [40_000, 40_002, 0]]),),
             label="whole-number logits beyond int16 and int32, as int64"),
    ]


def _mlp_forward_reference(X, W1, b1, W2, b2):
    out, _ = mlp.forward({"W1": W1, "b1": b1, "W2": W2, "b2": b2}, X, hidden="tanh", output="sigmoid")
    return out


def _draw_mlp_input(rng):
    """A network of any sizes (1 to 7 inputs, hidden units, outputs; 1 to 9 examples; W1 or W2 sometimes square, where
    an untransposed product runs without an error), weights at a scale from 0.1 to 100 (so the output logits reach
    both far ends of the sigmoid), X of float64, float32 or whole numbers, and sometimes whole-number weights. A
    float32 X always meets float64 or whole-number weights, so numpy computes in float64: an all-float32 network would
    lose digits the tolerance does not allow."""
    _, n_in, n_h, n_out = draw_shape(rng, 4, high=7)
    n_h = n_in if rng.random() < 0.25 else n_h
    n_out = n_h if rng.random() < 0.35 else n_out
    n = int(rng.integers(1, 10))
    scale = float(rng.choice([0.1, 1.0, 10.0, 100.0]))
    X = _as_kind(rng, draw_floats(rng, (n, n_in), scale=float(rng.choice([0.5, 3.0]))), ("float64", "float32", "int"))
    weights = [draw_floats(rng, (n_h, n_in), scale), draw_floats(rng, n_h), draw_floats(rng, (n_out, n_h), scale),
               draw_floats(rng, n_out)]
    if rng.random() < 0.3:
        weights = [np.round(w).astype(np.int64) for w in weights]
    return Case((X, *weights))


def _draw_empty_mlp_input(rng):
    """A batch of no examples, X of shape (0, n_in), with a network of drawn sizes: the two matrix products give the
    empty result of shape (0, n_out), where a loop over the rows of X (which the exercise rules out) gives shape (0,)
    and np.apply_along_axis raises."""
    n_in, n_h, n_out = (int(v) for v in rng.integers(1, 6, size=3))
    return Case((np.zeros((0, n_in)), draw_floats(rng, (n_h, n_in)), draw_floats(rng, n_h),
                 draw_floats(rng, (n_out, n_h)), draw_floats(rng, n_out)), label="a batch of no examples",
                points=0)   # an empty result: a pass needs it, it gives no partial credit


def _draw_far_float32_mlp_input(rng):
    """A network all in float32 whose output logits lie 100 to 300 from zero, of either sign: np.exp overflows in
    float32 above 88.7, so a sigmoid clipped or guarded for float64 (at 500 or 700) shows. The outputs lie within
    1e-43 of 0 or 1, so computing in float32 (the inputs' own precision) stays within the tolerance."""
    n, n_in, n_h, n_out = (int(v) for v in rng.integers(1, 6, size=4))
    X = draw_floats(rng, (n, n_in), scale=2.0).astype(np.float32)
    W1, b1 = draw_floats(rng, (n_h, n_in), scale=2.0).astype(np.float32), draw_floats(rng, n_h).astype(np.float32)
    W2 = rng.uniform(-1, 1, size=(n_out, n_h)).astype(np.float32) / n_h   # |H @ W2.T| <= 1, since |tanh| <= 1
    b2 = (rng.choice([-1.0, 1.0], size=n_out) * rng.uniform(101, 299, size=n_out)).astype(np.float32)
    return Case((X, W1, b1, W2, b2), label="float32 throughout, output logits 100 or more from zero")


def _draw_mlp_mismatch_of_one(rng, where):
    """X and W1 ("input") or the hidden layer and W2 ("hidden") disagreeing in size, one side of size 1 and the other
    of 2 to 5: X @ W1.T and H @ W2.T raise, where np.einsum and a broadcast product X[:, None, :] * W1 stretch the
    axis of one silently."""
    n, n_out, k = int(rng.integers(1, 6)), int(rng.integers(1, 4)), int(rng.integers(2, 6))
    left, right = (1, k) if rng.random() < 0.5 else (k, 1)
    if where == "input":
        n_in, w1_in, n_h, w2_in = left, right, *[int(rng.integers(1, 6))] * 2
    else:
        n_in, n_h, w2_in = int(rng.integers(1, 6)), left, right
        w1_in = n_in
    return Case((draw_floats(rng, (n, n_in)), draw_floats(rng, (n_h, w1_in)), draw_floats(rng, n_h),
                 draw_floats(rng, (n_out, w2_in)), draw_floats(rng, n_out)), raises=(ValueError, AssertionError),
                label="X and W1 disagree, one of them with a single feature" if where == "input"
                else "W2 does not fit the hidden layer, one of them with a single unit")


def _mlp_forward_cases():
    rng = np.random.default_rng(4)
    def net(n_in, n_hidden, n_out, scale=1.0):
        return (scale * rng.normal(size=(n_hidden, n_in)), rng.normal(size=n_hidden),
                scale * rng.normal(size=(n_out, n_hidden)), rng.normal(size=n_out))
    return [
        Case((rng.normal(size=(5, 3)), *net(3, 4, 1)), label="5 examples, 3 -> 4 -> 1"),
        Case((rng.normal(size=(1, 2)), *net(2, 6, 3)), label="a batch of one, 2 -> 6 -> 3"),
        Case((100 * rng.normal(size=(4, 2)), *net(2, 3, 1, scale=100.0)), label="very large inputs and weights"),
        Case((np.array([[5.0, 5.0], [-5.0, -5.0]]), np.ones((2, 2)), np.zeros(2), np.full((1, 2), 500.0), np.zeros(1)),
             label="output logits near +1000 and -1000"),
        Case((rng.normal(size=(4, 3)), *net(2, 3, 1)), label="X has 3 features but W1 expects 2",
             raises=(ValueError, AssertionError)),   # numpy's own ValueError, or the learner's assert
        Case((rng.normal(size=(3, 2)), *net(2, 4, 3)), label="as many examples as outputs, 3 examples, 2 -> 4 -> 3"),
        # every other case with as many examples as hidden units (more than one) has b1 = 0 (round 21)
        Case((np.array([[0.5, -1.0], [1.5, 0.25], [-0.75, 2.0]]), np.array([[1.0, -0.5], [0.25, 1.0], [-1.0, 0.5]]),
              np.array([0.5, -1.0, 2.0]), np.array([[1.0, -2.0, 0.5]]), np.array([0.25])),
             label="as many examples as hidden units, 3 examples, 2 -> 3 -> 1"),
        *generated(_draw_mlp_input, count=6, seed=61),
        *generated(_draw_far_float32_mlp_input, count=2, seed=7),
        *generated(_draw_empty_mlp_input, count=1, seed=3),
        # the drawn batch of no examples has one hidden unit and one output: here each size differs, and the output
        # has more than one unit (an empty result of width 1, or of the hidden layer's width, passed; round 21)
        Case((np.zeros((0, 3)), *(np.random.default_rng(21).normal(size=shape) for shape in [(4, 3), 4, (2, 4), 2])),
             label="a batch of no examples, 3 -> 4 -> 2: the result has shape (0, 2)", points=0),
        *generated(in_turn(_draw_mlp_mismatch_of_one, ("input", "input", "hidden", "hidden")), count=4, seed=12),
        Case((np.array([[5.0, 5.0], [-5.0, -5.0]]), np.ones((2, 2)), np.zeros(2), np.full((1, 2), 5e4), np.zeros(1)),
             label="output logits near +100000 and -100000, beyond np.exp's range even in np.longdouble"),
        Case((np.array([[1.0, -1.0], [0.5, 2.0]]), np.eye(2), np.zeros(2), np.array([[-30.0, 30.0], [-15.0, 15.0]]),
              np.array([0.0, -20.0])), label="output logits of -46 and -43: outputs far below 1e-6, compared to their "
                                             "own scale"),
        Case((rng.normal(size=(2, 3)), *net(2, 4, 1)), label="X of shape (2, 3) but W1 expects 2 features (X.T would "
                                                             "fit: the rows of X are the examples)",
             raises=(ValueError, AssertionError)),
        # W1 of shape (3, 1), a network of 1 input and 3 hidden units: W1.T, (1, 3), fits X's 3 features, and X @ W1 of
        # shape (2, 1) broadcasts against b1 of shape (3,), so W1 "transposed when it does not fit" returned values
        Case((np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]), np.array([[1.0], [-2.0], [0.5]]),
              np.array([0.1, -0.2, 0.3]), np.array([[1.0, -1.0, 2.0]]), np.array([0.5])),
             label="X of shape (2, 3) but W1 of shape (3, 1) expects 1 feature (W1.T would fit: each row of W1 is one "
                   "neuron)", raises=(ValueError, AssertionError)),
        # a NaN weight (a network whose training diverged) makes its output NaN for every example and leaves the other
        # output alone: np.nan_to_num or np.fmax on the logits or the outputs hides it (X itself must be finite: the
        # course's network refuses NaN in X)
        Case((np.array([[0.3, 1.0], [0.5, -1.0]]), np.array([[1.0, -2.0], [0.5, 0.25], [-1.0, 1.5]]),
              np.array([0.1, -0.2, 0.3]), np.array([[1.0, -1.0, 2.0], [0.5, np.nan, -0.5]]), np.array([0.5, -0.25])),
             label="a NaN weight in W2: that output is NaN for every example, the other output is not"),
        # a NaN weight in W1 makes its hidden unit NaN, and every output reads it: np.nan_to_num on the hidden layer
        # or on W1, or hidden sums clipped by np.fmax and np.fmin (which skip NaN), hid it (round 19)
        Case((np.array([[0.3, 1.0], [0.5, -1.0]]), np.array([[1.0, -2.0], [np.nan, 0.25], [-1.0, 1.5]]),
              np.array([0.1, -0.2, 0.3]), np.array([[1.0, -1.0, 2.0], [0.5, 0.75, -0.5]]), np.array([0.5, -0.25])),
             label="a NaN weight in W1: the hidden unit it feeds is NaN for every example, and so is every output"),
        # hidden sums of 9, 12 and -9.5, where tanh lies within 1e-7 of +-1, and output weights of 1000 that cancel to an
        # output logit near 0: a tanh clipped at 1 - 1e-7, or a hidden sum clipped at 10, moves the output by 1e-6 or more
        Case((np.array([[1.0]]), np.array([[9.0], [12.0], [-9.5]]), np.zeros(3), np.array([[1000.0, 1000.0, 1000.0]]),
              np.array([-1000.0])),
             label="hidden sums of 9 to 12 in size (tanh within 1e-7 of 1 or -1), output weights of 1000, an output near "
                   "0.5"),
        # whole-number X and weights with float biases, as the XOR inputs (int64) meet lesson 01's hand-made weights:
        # X @ W1.T holds integers, so `Z1 += b1` raises; the drawn networks had whole-number biases with whole-number
        # weights only (round 23)
        Case((np.array([[0, 0], [0, 1], [1, 0], [1, 1]]), np.array([[2, 2], [-2, -2]]), np.array([-1.0, 3.0]),
              np.array([[2, 2]]), np.array([-2.5])), label="whole-number X and W1, float biases"),
        # inputs of 100000 with decimals (raw, unscaled features) whose difference is what the first hidden unit reads:
        # X alone turned into float32 (whose step near 100000 is 0.008) moves that difference by 0.005 and the first
        # output by 0.25 %, while float64 weights kept numpy's result in float64; every other X was exact in float32
        # or its rounding did not reach the outputs (round 24)
        Case((np.array([[100000.3, 100000.1], [-25000.7, -25000.45]]), np.array([[5.0, -5.0], [-2.0, 2.0]]),
              np.array([0.0, -0.5]), np.array([[3.0, -2.0]]), np.array([-1.0])),
             label="inputs near 100000 with decimals, whose differences count: float32 (about 7 digits) rounds them"),
    ]


def _bce_reference(y, z):
    y, z = np.asarray(y, dtype=float), np.asarray(z, dtype=float)
    if y.shape != z.shape:
        raise ValueError(f"y and z must have the same shape, got {y.shape} and {z.shape}")
    return mlp.binary_cross_entropy(y, z, from_logits=True)


def _draw_bce_input(rng):
    """0/1 labels (floats or whole numbers) and logits of the same shape, 1 to 3 dimensions, at a scale from 0.5 to
    1000 (float64, float32 or whole numbers), sometimes confident and right (a small loss); one draw in three gives y
    or z another shape (reversed, an extra axis of size 1 in front or at the end, or both with an axis of size 1 in
    different places), which must raise."""
    shape = draw_shape(rng, int(rng.choice([1, 1, 2, 2, 3])))
    y = rng.integers(0, 2, size=shape)
    y = y.astype(float) if rng.random() < 0.5 else y
    z = draw_floats(rng, shape, scale=float(rng.choice([0.5, 5.0, 50.0, 1000.0])))
    if rng.random() < 0.3:   # confident and right: the sign of z agrees with the label
        z = np.where(y == 1, 1, -1) * rng.uniform(3, 9, size=shape)
    z = _as_kind(rng, z, ("float64", "float32", "int"))
    if rng.random() < 1 / 3:
        i, j = (int(k) for k in rng.choice(len(shape) + 1, size=2, replace=False))
        if rng.random() < 0.3 and np.expand_dims(y, i).shape != np.expand_dims(z, j).shape:
            # an axis of size 1 in other places: same size, length or last axis and ndim, and they still broadcast
            return Case((np.expand_dims(y, i), np.expand_dims(z, j)), raises=ValueError)
        other = (shape[::-1] if shape[::-1] != shape and rng.random() < 0.5
                 else (1,) + shape if rng.random() < 0.5 else shape + (1,))
        pair = (y.reshape(other), z) if rng.random() < 0.5 else (y, z.reshape(other))
        return Case(pair, raises=ValueError)
    return Case((y, z))


def _draw_small_int_bce_input(rng, dtype):
    """0/1 labels as uint8 (as labels often come) and whole-number logits of the same shape as int8 or uint8."""
    shape = draw_shape(rng, int(rng.integers(1, 3)), low=2)
    y = rng.integers(0, 2, size=shape).astype(np.uint8)
    y.flat[0], y.flat[-1] = 0, 1
    return Case((y, _draw_small_int_logits(rng, dtype, shape)),
                label="uint8 labels, logits as int8" if dtype == "int8" else "uint8 labels, logits as uint8")


def _bce_cases():
    rng = np.random.default_rng(5)
    return [
        Case((np.array([0.0, 1.0, 1.0, 0.0]), np.array([-2.0, 0.5, 3.0, 0.1])), label="four examples"),
        Case((rng.integers(0, 2, 10).astype(float), rng.normal(size=10)), label="ten random examples"),
        Case((np.array([1.0, 0.0, 1.0, 0.0]), np.array([-1000.0, 1000.0, 1000.0, -1000.0])),
             label="very large logits (two very wrong, two very right)"),
        Case((np.array([1.0]), np.array([0.3])), label="a batch of one"),
        Case((np.array([[1.0, 0.0], [0.0, 0.0], [1.0, 1.0]]), np.array([[2.0, -1.0], [0.5, -3.0], [-0.2, 4.0]])),
             label="y and z of shape (3, 2), two labels per example: the mean of all 6 entries"),
        Case((np.array([1.0, 0.0]), np.array([0.5, 0.2, 0.1])), label="y and z of different lengths", raises=ValueError),
        Case((np.array([0.0, 1.0, 1.0, 0.0]), np.array([[-2.0], [0.5], [3.0], [0.1]])),
             label="y of shape (4,) but z of shape (4, 1)", raises=ValueError),
        Case((np.array([[0.0], [1.0], [1.0], [0.0]]), np.array([-2.0, 0.5, 3.0, 0.1])),
             label="y of shape (4, 1) but z of shape (4,)", raises=ValueError),
        Case((np.array([[0.0, 1.0, 1.0, 0.0]]), np.array([-2.0, 0.5, 3.0, 0.1])),
             label="y of shape (1, 4) but z of shape (4,)", raises=ValueError),
        Case((np.array([0.0, 1.0, 1.0, 0.0]), np.array([[-2.0, 0.5, 3.0, 0.1]])),
             label="y of shape (4,) but z of shape (1, 4)", raises=ValueError),
        Case((np.array([1.0]), np.array([0.5, -0.2, 0.1])), label="one label for three logits", raises=ValueError),
        Case((np.array([1, 0, 1, 0]), np.array([2, -1, 0, 3])), label="integer labels and integer logits"),
        Case((np.array([1.0, 0.0, 1.0]), np.array([6.0, -5.5, 4.2])), label="confident and right: a small loss"),
        Case((np.array([[1.0, 0.0, 1.0]]), np.array([[0.5], [-1.0], [2.0]])),
             label="y of shape (1, 3) but z of shape (3, 1): same size, other shape", raises=ValueError),
        Case((np.array([[1.0], [0.0]]), np.array([[0.5, -1.0, 2.0], [0.3, 0.2, -0.4]])),
             label="y of shape (2, 1) but z of shape (2, 3): same length, other shape", raises=ValueError),
        Case((rng.integers(0, 2, (2, 1, 3)), rng.normal(size=(2, 3, 1))),
             label="y of shape (2, 1, 3) but z of shape (2, 3, 1): same length, size and number of dimensions",
             raises=ValueError),
        Case((rng.integers(0, 2, (1, 2, 3)), rng.normal(size=(2, 1, 3))),
             label="y of shape (1, 2, 3) but z of shape (2, 1, 3): same last axis, size and number of dimensions",
             raises=ValueError),
        *generated(_draw_bce_input, count=12, seed=123),
        *generated(in_turn(_draw_small_int_bce_input, ("int8", "uint8")), count=2, seed=5),
        Case((np.array([1.0, 0.0, 1.0, 0.0]), np.array([-1e5, 1e5, 1e5, -1e5])), label=_BEYOND_LONG_DOUBLE),
        Case((np.array([1.0, 0.0, 1.0]), np.array([0.5, np.nan, -2.0])), label="a NaN logit gives a NaN loss"),
        # the formula needs no clip: a clip of z at any size below 1e38 (500, 1e4, 1e6) shows here; 1e38 stays within
        # float32's range, so an answer computed in float32 (accepted) still passes
        Case((np.array([1.0, 0.0, 0.0]), np.array([-1e38, 1e38, -1e38])), label=_HUGE_BCE_LOGITS),
        # every other confident case has logits below 9 in size: a softplus with a threshold (log(1 + e^{-|z|}) dropped
        # beyond |z| = 10 or 15, up to 4.5e-5 per example) passed; torch's threshold of 20 stays exact here (round 22)
        Case((np.array([1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0]),
              np.array([10.5, -11.25, 12.75, 14.0, -15.5, -16.25, 17.5, -13.0])),
             label="confident and right, logits 10 to 18 in size: a loss of 5.9e-6, all of it from log(1 + e^{-|z|})"),
    ]


_HUGE_BCE_LOGITS = "logits of 1e38 in size, two of them very wrong: a loss of 6.7e37, which a clip of z makes smaller"
_HUGE_CCE_LOGITS = "logits of 1e300 in size, one row very wrong: a loss of 1e300, which a clip of Z makes smaller"


def _cce_reference(y, Z):
    return mlp.categorical_cross_entropy(y, Z, from_logits=True)


def _draw_cce_input(rng):
    """1 to 9 examples, 2 to 8 classes, labels anywhere in 0 .. k-1 and logits drawn as softmax's (any scale, rows far
    apart, the maximum anywhere), float64 or whole numbers (not float32: a right answer computed in float32 loses the
    small losses to rounding); sometimes confident and right (a small loss)."""
    n, k = int(rng.integers(1, 10)), int(rng.integers(2, 9))
    y = rng.integers(0, k, size=n)
    Z = _draw_logits(rng, (n, k))
    if rng.random() < 0.3:   # confident and right: each label's logit lies 5 or more above the rest of its row
        Z[np.arange(n), y] = Z.max(axis=1) + rng.uniform(5, 10, size=n)
    return Case((y, _as_kind(rng, Z, ("float64", "int"))))


def _draw_small_int_cce_input(rng, dtype):
    """2 to 7 examples and classes, logits as int8 or uint8."""
    n, k = (int(v) for v in rng.integers(2, 8, size=2))
    return Case((rng.integers(0, k, size=n), _draw_small_int_logits(rng, dtype, (n, k))),
                label="whole-number logits as int8" if dtype == "int8" else "whole-number logits as uint8")


def _cce_cases():
    rng = np.random.default_rng(6)
    return [
        Case((np.array([0, 2, 1]), np.array([[2.0, 1.0, 0.1], [0.5, 0.5, 3.0], [1.0, 1.0, 1.0]])), label="three examples"),
        Case((rng.integers(0, 4, 8), rng.normal(size=(8, 4))), label="eight examples, four classes"),
        Case((np.array([0, 1]), np.array([[1000.0, -1000.0], [1000.0, -1000.0]])),
             label="very large logits (one right, one very wrong)"),
        Case((np.array([0, 1]), np.array([[1000.0, 999.0], [-1000.0, -1001.0]])),
             label="one row near 1000, one near -1000"),
        Case((np.array([1]), np.array([[0.2, 0.3, -0.1]])), label="a batch of one"),
        Case((np.array([0, 1, 1]), rng.normal(size=(4, 3))), label="3 labels for 4 examples", raises=ValueError),
        Case((np.array([1]), rng.normal(size=(4, 3))), label="one label for 4 examples", raises=ValueError),
        Case((np.array([0, 1, 2, 0, 1]), rng.normal(size=(4, 3))), label="5 labels for 4 examples", raises=ValueError),
        Case((np.array([2, 0]), np.array([[0.0, 999.0, 1000.0], [-1001.0, -1000.0, -1002.0]])),
             label="large logits whose maximum is not in the first column"),
        Case((np.array([2, 0, 1]), np.array([[1, 0, 3], [2, 2, -1], [0, 4, 1]])), label="integer logits"),
        Case((np.array([0, 2]), np.array([[6.0, -1.0, 0.5], [-2.0, 0.3, 5.9]])),
             label="confident and right: a small loss"),
        Case((np.array([2, 0, 1]), np.array([[1000.3, 999.7, 1001.1], [-999.45, -1000.2, -1000.05],
                                              [0.25, 1000.6, -999.9]])),
             label="logits near 1000 and -1000 with decimals"),
        *generated(_draw_cce_input, count=8, seed=24),
        *generated(in_turn(_draw_small_int_cce_input, ("int8", "uint8")), count=2, seed=6),
        Case((np.array([0, 1]), np.array([[1e5, -1e5], [1e5, -1e5]])), label=_BEYOND_LONG_DOUBLE),
        Case((np.array([299, 0, 256]), np.random.default_rng(10).normal(size=(3, 300))),
             label="300 classes, labels above 255 (beyond int8 and uint8)"),
        Case((np.array([0, 2, 1]), np.array([[0.5, np.nan, -1.0], [2.0, 1.0, 0.0], [0.3, -0.2, 1.5]])),
             label="a NaN logit gives a NaN loss"),
        # log-sum-exp needs no clip: a clip of Z at any size below 1e300 (500, 1e4, 1e6) shows here
        Case((np.array([0, 1]), np.array([[-1e300, 1e300], [-1e300, 1e300]])), label=_HUGE_CCE_LOGITS),
        # a log-sum-exp kept as a column, (n, 1), minus the picked logits, (n,), broadcasts to an (n, n) matrix whose
        # mean is the loss in exact arithmetic: in float64 the second row's loss of 0.049 is lost next to 1e20 (round 19)
        Case((np.array([1, 0]), np.array([[0.0, 1e20], [2.0, -1.0]])),
             label="one row right and sure, its logits 1e20 apart (a loss of 0), one row of small logits"),
        # the right logit 10 to 18 above the others: exponentials below e^-15 dropped as "negligible" passed (round 22)
        Case((np.array([0, 1, 2, 2]), np.array([[12.0, 0.0, -1.0], [-3.0, 8.0, -5.5], [0.5, 1.0, 16.0],
                                                 [2.0, 1.5, 19.5]])),
             label="confident and right, logits 10 to 18 above the rest of their row: a loss of 6.8e-6"),
    ]


# ----------------------------------------------------------------------------- catalogued mistakes
def _naive_softmax(z):
    e = np.exp(np.asarray(z, dtype=float))
    return e / e.sum(axis=-1, keepdims=True)


def _softmax_whole_batch(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum()


def _softmax_of_the_whole_array(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max())   # scipy.special.softmax(z) with its default axis=None
    return e / e.sum()


def _softmax_axis0(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=0))
    return e / e.sum(axis=0)


def _softmax_no_keepdims(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=-1))
    return e / e.sum(axis=-1)


def _softmax_global_max(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max())
    return e / e.sum(axis=-1, keepdims=True)


def _softmax_row_mean(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.mean(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _softmax_minus_first_logit(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z[..., :1])
    return e / e.sum(axis=-1, keepdims=True)


def _softmax_minus_last_logit(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z[..., -1:])
    return e / e.sum(axis=-1, keepdims=True)


def _softmax_vector_minus_first_logit(z):
    z = np.asarray(z, dtype=float)
    m = z.max(axis=1, keepdims=True) if z.ndim == 2 else z[0]   # a vector handled on its own, shifted by its first
    e = np.exp(z - m)
    return e / e.sum(axis=-1, keepdims=True)


def _softmax_squeezed(z):
    z = np.asarray(z, dtype=float)
    s = np.squeeze(z)   # "a batch of one becomes a vector", but (n, 1) becomes a vector of n logits too
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return (e / e.sum(axis=-1, keepdims=True)).reshape(z.shape)


def _softmax_list_of_rows(z):
    z = np.asarray(z, dtype=float)
    if z.ndim == 1:
        return _softmax_reference_rows(z)
    return [_softmax_reference_rows(row) for row in z]   # a list of arrays, not one array


def _softmax_rows_stacked(z):
    z = np.asarray(z, dtype=float)
    if z.ndim == 1:
        return _softmax_reference_rows(z)
    return np.array([_softmax_reference_rows(row) for row in z])   # shape (0,) for a batch of none


def _softmax_along_axis(z):
    return np.apply_along_axis(_softmax_reference_rows, -1, np.asarray(z, dtype=float))   # raises for a batch of none


def _softmax_axis1(z):
    z = np.asarray(z, dtype=float)
    batch = np.atleast_2d(z)   # a vector becomes a batch of one, so that axis=1 is its last axis
    e = np.exp(batch - batch.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    return p[0] if z.ndim == 1 else p


def _softmax_reference_rows(row):
    e = np.exp(row - row.max())
    return e / e.sum()


def _softmax_in_the_input_dtype(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))   # no cast: int8 and uint8 stay small integers
    return e / e.sum(axis=-1, keepdims=True)


def _softmax_into_zeros_like(z):
    z = np.asarray(z)
    out = np.zeros_like(z)   # an integer array when z holds whole numbers
    for row in np.ndindex(z.shape[:-1]):
        e = np.exp(z[row] - z[row].max())
        out[row] = e / e.sum()
    return out


def _softmax_log_domain_in_float32(z):
    z = np.asarray(z)
    z = z if z.dtype == np.float32 else z.astype(float)   # float32 logits stay float32
    m = z.max(axis=-1, keepdims=True)
    return np.exp(z - (m + np.log(np.exp(z - m).sum(axis=-1, keepdims=True))))   # scipy.special.logsumexp does this


def _softmax_log_domain_in_the_input_dtype(z):
    m = np.max(z, axis=-1, keepdims=True)   # no cast: int8 and uint8 stay small integers
    return np.exp(z - m - np.log(np.sum(np.exp(z - m), axis=-1, keepdims=True)))


def _softmax_nan_skipped(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - np.nanmax(z, axis=-1, keepdims=True))   # "safe" against NaN: skips it
    return e / np.nansum(e, axis=-1, keepdims=True)


def _softmax_in_float32(z):
    z = np.asarray(z, dtype=np.float32)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _mlp_clipped_for_float64(X, W1, b1, W2, b2):
    H = np.tanh(X @ W1.T + b1)
    return 1 / (1 + np.exp(-np.clip(H @ W2.T + b2, -500, 500)))   # float32 logits stay float32


def _mlp_row_by_row(X, W1, b1, W2, b2):
    return np.array([sigmoid(W2 @ np.tanh(W1 @ x + b1) + b2) for x in X])   # shape (0,) for a batch of none


def _mlp_hidden_into_zeros_like(X, W1, b1, W2, b2):
    Z1 = X @ W1.T + b1
    H = np.zeros_like(Z1)   # an integer array when X, W1 and b1 all hold whole numbers
    H[...] = np.tanh(Z1)
    return sigmoid(H @ W2.T + b2)


def _mlp_X_in_float32(X, W1, b1, W2, b2):
    X = np.asarray(X, dtype=np.float32)   # only X: the float64 weights keep the products in float64
    return sigmoid(np.tanh(X @ W1.T + b1) @ W2.T + b2)


def _mlp_in_float32(X, W1, b1, W2, b2):
    X, W1, b1, W2, b2 = (np.asarray(a, dtype=np.float32) for a in (X, W1, b1, W2, b2))
    return sigmoid(np.tanh(X @ W1.T + b1) @ W2.T + b2)


def _mlp_naive_sigmoid(X, W1, b1, W2, b2):
    return 1 / (1 + np.exp(-(np.tanh(X @ W1.T + b1) @ W2.T + b2)))


def _mlp_naive_in_long_double(X, W1, b1, W2, b2):
    return 1 / (1 + np.exp(-(np.tanh(X @ W1.T + b1) @ W2.T + b2).astype(np.longdouble)))


def _mlp_by_einsum(X, W1, b1, W2, b2):
    return sigmoid(np.einsum("nh,oh->no", np.tanh(np.einsum("ni,hi->nh", X, W1) + b1), W2) + b2)


def _mlp_sigmoid_hidden(X, W1, b1, W2, b2):
    return sigmoid(sigmoid(X @ W1.T + b1) @ W2.T + b2)


def _mlp_logits(X, W1, b1, W2, b2):
    return np.tanh(X @ W1.T + b1) @ W2.T + b2


def _mlp_untransposed(X, W1, b1, W2, b2):
    return sigmoid(np.tanh(X @ W1 + b1) @ W2 + b2)


def _mlp_output_oriented_by_shape(X, W1, b1, W2, b2):
    H = np.tanh(X @ W1.T + b1)
    W = W2 if W2.shape[0] == H.shape[1] else W2.T   # transposed "only when the shapes need it"
    return sigmoid(H @ W + b2)


def _mlp_output_transposed_when_its_shape_is_off(X, W1, b1, W2, b2):
    out = sigmoid(W2 @ np.tanh(W1 @ X.T + b1[:, None]) + b2[:, None])   # (n_out, n): examples as columns
    return out if out.shape[0] == len(X) else out.T   # transposed "only when the shape is off"


def _mlp_naive_sigmoid_silenced(X, W1, b1, W2, b2):
    np.seterr(over="ignore")   # hides the overflow warning, in this call and every later one
    return 1 / (1 + np.exp(-(np.tanh(X @ W1.T + b1) @ W2.T + b2)))


def _mlp_X_turned_to_fit(X, W1, b1, W2, b2):
    X = X if X.shape[1] == W1.shape[1] else X.T   # "fixed" when its columns do not fit W1
    return sigmoid(np.tanh(X @ W1.T + b1) @ W2.T + b2)


def _mlp_W1_turned_to_fit(X, W1, b1, W2, b2):
    W1 = W1 if W1.shape[1] == X.shape[1] else W1.T   # "fixed" when it does not fit X's features
    return sigmoid(np.tanh(X @ W1.T + b1) @ W2.T + b2)


def _mlp_hidden_bias_after_tanh(X, W1, b1, W2, b2):
    return sigmoid((np.tanh(X @ W1.T) + b1) @ W2.T + b2)   # b1 added after the activation


def _mlp_no_output_bias(X, W1, b1, W2, b2):
    return sigmoid(np.tanh(X @ W1.T + b1) @ W2.T)


def _bce_of_clipped_probabilities(y, z, eps):
    y, z = np.asarray(y, dtype=float), np.asarray(z, dtype=float)
    if y.shape != z.shape:
        raise ValueError("shapes differ")
    p = np.clip(sigmoid(z), eps, 1 - eps)   # as Keras' BinaryCrossentropy() clips (eps = 1e-7)
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def _cce_of_shifted_probabilities(y, Z, eps):
    y, Z = np.asarray(y), np.asarray(Z, dtype=float)
    if len(y) != len(Z):
        raise ValueError("lengths differ")
    return -np.mean(np.log(mlp.softmax(Z)[np.arange(len(y)), y] + eps))   # np.clip(p, eps, 1) gives the same


def _bce_via_probabilities(y, z):
    y, z = np.asarray(y, dtype=float), np.asarray(z, dtype=float)
    if y.shape != z.shape:
        raise ValueError("shapes differ")
    p = sigmoid(z)
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def _bce_sum(y, z):
    return len(np.atleast_1d(z)) * _bce_reference(y, z)


def _bce_without_abs(y, z):
    y, z = np.asarray(y, dtype=float), np.asarray(z, dtype=float)
    if y.shape != z.shape:
        raise ValueError("shapes differ")
    return np.mean(np.maximum(z, 0) - y * z + np.log1p(np.exp(-z)))


def _bce_sum_over_len(y, z):
    y, z = np.asarray(y, dtype=float), np.asarray(z, dtype=float)
    if y.shape != z.shape:
        raise ValueError("shapes differ")
    return np.sum(np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z)))) / len(y)


def _bce_sum_over_rows_times_columns(y, z):
    y, z = np.asarray(y, dtype=float), np.asarray(z, dtype=float)
    if y.shape != z.shape:
        raise ValueError("shapes differ")
    losses = np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z)))
    return np.sum(losses) / (losses.shape[0] * (losses.shape[1] if losses.ndim > 1 else 1))


def _bce_mean_over_axis_0(y, z):
    y, z = np.asarray(y, dtype=float), np.asarray(z, dtype=float)
    if y.shape != z.shape:
        raise ValueError("shapes differ")
    return np.mean(np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z))), axis=0)


def _bce_exact_unstable(y, z):
    y, z = np.asarray(y, dtype=float), np.asarray(z, dtype=float)
    if y.shape != z.shape:
        raise ValueError("shapes differ")
    return np.mean((1 - y) * z + np.log1p(np.exp(-z)))


def _bce_exact_in_long_double(y, z):
    y, z = np.asarray(y, dtype=float), np.asarray(z, dtype=np.longdouble)
    if y.shape != z.shape:
        raise ValueError("shapes differ")
    return float(np.mean((1 - y) * z + np.log1p(np.exp(-z))))


def _bce_ndim_check(y, z):
    y, z = np.asarray(y, dtype=float), np.asarray(z, dtype=float)
    if y.ndim != z.ndim:
        raise ValueError("dimensions differ")
    return np.mean(np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z))))


def _bce_into_zeros_like(y, z):
    y, z = np.asarray(y), np.asarray(z)
    if y.shape != z.shape:
        raise ValueError("shapes differ")
    losses = np.zeros_like(z)
    losses[...] = np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z)))
    return np.mean(losses)


def _bce_rounded(y, z):
    return round(_bce_reference(y, z), 4)


def _bce_sizes_compared(y, z):
    y, z = np.asarray(y, dtype=float), np.asarray(z, dtype=float)
    if y.size != z.size or y.ndim != z.ndim:
        raise ValueError("sizes differ")
    return np.mean(np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z))))


def _bce_lengths_compared(y, z):
    y, z = np.asarray(y, dtype=float), np.asarray(z, dtype=float)
    if len(y) != len(z) or y.ndim != z.ndim:
        raise ValueError("lengths differ")
    return np.mean(np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z))))


def _bce_label_column_flattened(y, z):
    y, z = np.asarray(y, dtype=float), np.asarray(z, dtype=float)
    if y.ndim == z.ndim + 1 and y.shape[-1] == 1:   # labels as a column, the way Keras keeps them
        y = y[..., 0]
    if y.shape != z.shape:
        raise ValueError("shapes differ")
    return np.mean(np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z))))


def _bce_atleast_2d(y, z):
    y, z = np.atleast_2d(np.asarray(y, dtype=float)), np.atleast_2d(np.asarray(z, dtype=float))   # (n,) becomes (1, n)
    if y.shape != z.shape:
        raise ValueError("shapes differ")
    return np.mean(np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z))))


def _bce_logits_row_flattened(y, z):
    y, z = np.asarray(y, dtype=float), np.asarray(z, dtype=float)
    if z.ndim == y.ndim + 1 and z.shape[0] == 1:   # the outputs of a batch of one, (1, n): the leading axis dropped
        z = z[0]
    if y.shape != z.shape:
        raise ValueError("shapes differ")
    return np.mean(np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z))))


def _bce_length_size_ndim_compared(y, z):
    y, z = np.asarray(y, dtype=float), np.asarray(z, dtype=float)
    if len(y) != len(z) or y.size != z.size or y.ndim != z.ndim:
        raise ValueError("shapes differ")
    return np.mean(np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z))))


def _bce_last_axis_size_ndim_compared(y, z):
    y, z = np.asarray(y, dtype=float), np.asarray(z, dtype=float)
    if y.shape[-1] != z.shape[-1] or y.size != z.size or y.ndim != z.ndim:
        raise ValueError("shapes differ")
    return np.mean(np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z))))


def _bce_in_the_input_dtype(y, z):
    y, z = np.asarray(y), np.asarray(z)   # no cast: uint8 labels and int8 or uint8 logits stay small integers
    if y.shape != z.shape:
        raise ValueError("shapes differ")
    return np.mean(-y * z + np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z))))


def _bce_no_shape_check(y, z):
    y, z = np.asarray(y, dtype=float), np.asarray(z, dtype=float)
    return np.mean(np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z))))


def _cce_via_probabilities(y, Z):
    y, Z = np.asarray(y), np.asarray(Z, dtype=float)
    if len(y) != len(Z):
        raise ValueError("lengths differ")
    return -np.mean(np.log(_naive_softmax(Z)[np.arange(len(y)), y]))


def _cce_naive_in_long_double(y, Z):
    y, Z = np.asarray(y), np.asarray(Z, dtype=np.longdouble)
    if len(y) != len(Z):
        raise ValueError("lengths differ")
    return float(np.mean(np.log(np.exp(Z).sum(axis=1)) - Z[np.arange(len(y)), y]))


def _cce_log_of_softmax_in_long_double(y, Z):
    y, Z = np.asarray(y), np.asarray(Z, dtype=np.longdouble)
    if len(y) != len(Z):
        raise ValueError("lengths differ")
    e = np.exp(Z)   # the probabilities stay in np.longdouble, so they round to 0 only beyond about 11356
    return float(-np.mean(np.log((e / e.sum(axis=1, keepdims=True))[np.arange(len(y)), y])))


def _softmax_naive_in_long_double(z):
    e = np.exp(np.asarray(z, dtype=np.longdouble))
    return (e / e.sum(axis=-1, keepdims=True)).astype(float)


def _cce_log_of_stable_softmax(y, Z):
    y, Z = np.asarray(y), np.asarray(Z, dtype=float)
    if len(y) != len(Z):
        raise ValueError("lengths differ")
    return -np.mean(np.log(mlp.softmax(Z)[np.arange(len(y)), y]))


def _cce_columns(y, Z):
    y, Z = np.asarray(y), np.asarray(Z, dtype=float)
    if len(y) != len(Z):
        raise ValueError("lengths differ")
    return np.mean(mlp.logsumexp(Z, axis=1) - Z[:, y])


def _cce_no_length_check(y, Z):
    y, Z = np.asarray(y), np.asarray(Z, dtype=float)
    return np.mean(mlp.logsumexp(Z, axis=1) - Z[np.arange(len(y)), y])


def _cce_global_max(y, Z):
    y, Z = np.asarray(y), np.asarray(Z, dtype=float)
    if len(y) != len(Z):
        raise ValueError("lengths differ")
    m = Z.max()
    return np.mean(m + np.log(np.exp(Z - m).sum(axis=1)) - Z[np.arange(len(y)), y])


def _cce_logsumexp_of_the_batch(y, Z):
    y, Z = np.asarray(y), np.asarray(Z, dtype=float)
    if len(y) != len(Z):
        raise ValueError("lengths differ")
    m = Z.max()   # scipy.special.logsumexp(Z) with its default axis=None: one number for the whole batch
    return np.mean(m + np.log(np.exp(Z - m).sum()) - Z[np.arange(len(y)), y])


def _cce_fewer_labels_only(y, Z):
    y, Z = np.asarray(y), np.asarray(Z, dtype=float)
    if len(y) < len(Z):
        raise ValueError("too few labels")
    return np.mean(mlp.logsumexp(Z, axis=1) - Z[np.arange(len(y)), y])


def _cce_logsumexp_kept_as_a_column(y, Z):
    y, Z = np.asarray(y), np.asarray(Z, dtype=float)
    if len(y) != len(Z):
        raise ValueError("lengths differ")
    m = Z.max(axis=1, keepdims=True)   # (n, 1), and the sum below (n,): together an (n, n) matrix
    return np.mean(m + np.log(np.exp(Z - m).sum(axis=1)) - Z[np.arange(len(y)), y])


def _cce_first_column_shift(y, Z):
    y, Z = np.asarray(y), np.asarray(Z, dtype=float)
    if len(y) != len(Z):
        raise ValueError("lengths differ")
    m = Z[:, 0]
    return np.mean(m + np.log(np.exp(Z - m[:, None]).sum(axis=1)) - Z[np.arange(len(y)), y])


def _cce_loop_into_zeros_like(y, Z):
    y, Z = np.asarray(y), np.asarray(Z)
    if len(y) != len(Z):
        raise ValueError("lengths differ")
    losses = np.zeros_like(Z[:, 0])
    for i in range(len(y)):
        m = Z[i].max()
        losses[i] = m + np.log(np.exp(Z[i] - m).sum()) - Z[i, y[i]]
    return np.mean(losses)


def _cce_in_the_input_dtype(y, Z):
    y, Z = np.asarray(y), np.asarray(Z)   # no cast: int8 and uint8 logits stay small integers
    if len(y) != len(Z):
        raise ValueError("lengths differ")
    m = Z.max(axis=1)
    return np.mean(m + np.log(np.exp(Z - m[:, None]).sum(axis=1)) - Z[np.arange(len(y)), y])


def _cce_in_float32(y, Z):
    y, Z = np.asarray(y), np.asarray(Z, dtype=np.float32)
    if len(y) != len(Z):
        raise ValueError("lengths differ")
    m = Z.max(axis=1)
    return np.mean(m + np.log(np.exp(Z - m[:, None]).sum(axis=1)) - Z[np.arange(len(y)), y])


def _cce_log_softmax_in_float32(y, Z):
    y, Z = np.asarray(y), np.asarray(Z, dtype=np.float32)   # as Keras' losses cast to float32, its default
    if len(y) != len(Z):
        raise ValueError("lengths differ")
    shifted = Z - Z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))   # a log near 0 loses its digits
    return float(-np.mean(log_p[np.arange(len(y)), y]))


def _cce_two_means_subtracted(y, Z):
    y, Z = np.asarray(y), np.asarray(Z, dtype=float)
    if len(y) != len(Z):
        raise ValueError("lengths differ")
    m = Z.max(axis=1)
    logsumexp = m + np.log(np.exp(Z - m[:, None]).sum(axis=1))
    return np.mean(logsumexp) - np.mean(Z[np.arange(len(y)), y])   # two means, then their difference


def _cce_float32_result(y, Z):
    return np.float32(_cce_reference(y, Z))   # a loss of 1e300 becomes inf


def _cce_rounded(y, Z):
    return round(_cce_reference(y, Z), 4)


def _bce_clipped_logits(y, z):
    y, z = np.asarray(y, dtype=float), np.clip(np.asarray(z, dtype=float), -500, 500)   # "no overflow in np.exp"
    if y.shape != z.shape:
        raise ValueError("shapes differ")
    return np.mean(np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z))))


def _cce_clipped_logits(y, Z):
    y, Z = np.asarray(y), np.clip(np.asarray(Z, dtype=float), -500, 500)   # "no overflow in np.exp"
    if len(y) != len(Z):
        raise ValueError("lengths differ")
    return np.mean(mlp.logsumexp(Z, axis=1) - Z[np.arange(len(y)), y])


def _bce_nanmean(y, z):
    y, z = np.asarray(y, dtype=float), np.asarray(z, dtype=float)
    if y.shape != z.shape:
        raise ValueError("shapes differ")
    return np.nanmean(np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z))))   # skips a NaN loss


def _cce_nanmean(y, Z):
    y, Z = np.asarray(y), np.asarray(Z, dtype=float)
    if len(y) != len(Z):
        raise ValueError("lengths differ")
    return np.nanmean(mlp.logsumexp(Z, axis=1) - Z[np.arange(len(y)), y])   # skips a NaN loss


def _cce_sum(y, Z):
    return len(Z) * _cce_reference(y, Z)


def _bce_max_along_axis_0(y, z):
    y, z = np.asarray(y, dtype=float), np.asarray(z, dtype=float)
    if y.shape != z.shape:
        raise ValueError("shapes differ")
    return np.mean(np.max(z, 0) - y * z + np.log1p(np.exp(-np.abs(z))))   # np.max's 0 is an axis


def _mlp_biases_added_in_place(X, W1, b1, W2, b2):
    Z1 = X @ W1.T
    Z1 += b1   # an integer array when X and W1 hold whole numbers: float biases cannot be stored in it
    Z2 = np.tanh(Z1) @ W2.T
    Z2 += b2
    return sigmoid(Z2)


def _bce_arguments_swapped(y, z):
    logits, labels = np.asarray(y, dtype=float), np.asarray(z, dtype=float)   # PyTorch's order: input, then target
    if logits.shape != labels.shape:
        raise ValueError("shapes differ")
    return np.mean(np.maximum(logits, 0) - labels * logits + np.log1p(np.exp(-np.abs(logits))))


def _cce_shift_not_added_back(y, Z):
    y, Z = np.asarray(y), np.asarray(Z, dtype=float)
    if len(y) != len(Z):
        raise ValueError("lengths differ")
    m = np.max(Z, axis=1)
    return np.mean(np.log(np.exp(Z - m[:, None]).sum(axis=1)) - Z[np.arange(len(y)), y])   # m never added back


_BCE_WHOLE_SHAPES = ("compare the whole shapes, y.shape != z.shape: arrays of the same size, length and number of "
                     "dimensions can still differ in shape, and then broadcast without any error (y of shape (1, 3) "
                     "against z of shape (3, 1) gives a (3, 3) array)")
_NANMEAN = ("np.nanmean skips the NaN losses, so a broken logit (NaN) goes unseen and the loss looks normal: take "
            "np.mean, which gives NaN as soon as one loss is NaN")
_CLIPPED_BEFORE_THE_LOG = ("a very wrong example's loss came out far too small: probabilities clipped (np.clip(p, eps, "
                           "1 - eps), as Keras' BinaryCrossentropy() does) or shifted (np.log(p + eps)) before the log "
                           "cap each example's loss at -log(eps), 27.6 for eps = 1e-12, while the true loss grows without "
                           "bound with the logits (1000 or more for logits of size 1000). Compute the loss from the "
                           "logits: ")
_CCE_KERAS_FLOAT32 = ("a small loss came out wrong in its last digits (about 1e-5 of its value): it was computed in "
                      "float32, which keeps about 7 digits. Keras' loss objects "
                      "(keras.losses.SparseCategoricalCrossentropy(from_logits=True)) turn their inputs into float32, "
                      "Keras' default, as do np.float32 and torch's float32 tensors: the log of a sum near 1 then "
                      "loses its last digits, which a loss near 0 cannot spare. The lesson compares with Keras only to"
                      " float32 precision; this check wants float64's digits: write the log-sum-exp with numpy, m = "
                      "Z.max(axis=1) and m + np.log(np.exp(Z - m[:, None]).sum(axis=1)), subtract Z[np.arange(n), y] "
                      "and take the mean")
_NOT_ROUNDED = "do not round the loss: return the mean as it is (round only what you print)"
_FLOAT32_LOSS = ("a float32 number reaches only about 3.4e38, so the loss of 1e300 came out as inf when it was turned into "
                 "float32 (np.float32(...), .astype(np.float32) or np.mean(..., dtype=np.float32)): return the float64 "
                 "mean itself")
_BCE_MEAN_OF_ALL = ("for y and z of shape (n, k) the loss is the mean of all n * k entries: np.mean(losses) with no "
                    "axis; np.sum(losses) / len(y) and np.mean(losses, axis=0) are right only for 1-D arrays")


_IN_FLOAT32 = ("float32 keeps only about 7 significant digits: large inputs lose their decimals, and the result comes "
               "out wrong from the 6th digit on. Compute in float64, numpy's default (np.asarray(z, dtype=float))")


_LOG_DOMAIN_IN_FLOAT32 = ("these logits are float32, and z - logsumexp(z) computed in float32 loses digits: near 1000, "
                          "float32's numbers lie 6e-5 apart, so the log-sum-exp is rounded by up to 3e-5 and every probability "
                          "np.exp gives back is off by as much, relative to itself. Turn z into float64 first, "
                          "np.asarray(z, dtype=float), or divide instead: e = np.exp(z - z.max(axis=-1, "
                          "keepdims=True)), then e / e.sum(axis=-1, keepdims=True), whose float32 error stays below "
                          "1e-6")


_SMALL_INTS = ("int8 and uint8 numbers stay small integers: z - z.max() of uint8 wraps around to large positive "
               "numbers (0 - 5 = 251), int8 wraps beyond 127, and np.exp of either computes in float16, which keeps "
               "about 3 digits. Turn the input into floats first: np.asarray(z, dtype=float)")


_SOFTMAX_ROWS = ("a loop over the rows (np.array([... for row in z]) or np.apply_along_axis) cannot handle a batch of "
                 "no examples, shape (0, k), where the softmax along the last axis gives the empty result of the same "
                 "shape: compute the whole batch at once, e = np.exp(z - z.max(axis=-1, keepdims=True))")


_ONE_LOGIT_SHIFT = ("subtract each row's own maximum, z.max(axis=-1, keepdims=True): any other logit of the row (the "
                    "first, the last, the smallest) can lie 1000 below the maximum, and then np.exp overflows to inf")


def _compare_softmax(got, want):
    """Probabilities within 0.1 % or 1e-40: a softmax has no right form with an error of its own near 0 (e / e.sum()
    and np.exp(z - logsumexp(z)) are right to 0.1 % down to 1e-300), and float32's rounding near 0 stays below 1e-44.
    So a floor or a clip of 1e-15 (scikit-learn's old log_loss eps), 2.2e-16 (float64's eps) or logits clipped 35
    below the maximum (e^-35 = 6e-16) shows: each passed the 1e-15 of the other checks (round 17)."""
    compare_probabilities(got, want, atol=1e-40)


def _compare_sigmoid_outputs(got, want):
    """Probabilities within 0.1 % or 1e-16: 0.5 + 0.5 * np.tanh(z / 2) (right) stays within 5e-17 of the sigmoid
    where it is below 1e-3, while a floor or a clip of 1e-15 or of 2.2e-16 (float64's eps), or output logits clipped
    at 36 (sigmoid(-36) = 2.3e-16), passed the 1e-15 of the other checks (round 17)."""
    compare_probabilities(got, want, atol=1e-16)


EXERCISES = {
    "softmax_stable": Exercise(
        reference=mlp.softmax,
        cases=_softmax_cases,
        # its reference is mlp.softmax: a graded release has it call the answer; mlp.forward reaches it from inside
        # round 39 (r399c H1): and mlp.logsumexp, whose exp(z - logsumexp(z)) skips the exercise's shift
        run=new_results(refusing_course_versions(_softmax_run, (mlp.forward, mlp.output_loss_and_delta,
                                                                mlp.loss_and_grads, mlp.train_gd,
                                                                mlp.categorical_cross_entropy, mlp.logsumexp,
                                                                _NUMPY_ONLY))),
        compare=_compare_softmax,
        hint="Subtract each row's maximum first: e = np.exp(z - z.max(axis=-1, keepdims=True)), then divide by "
        "e.sum(axis=-1, keepdims=True). keepdims=True keeps the shapes broadcastable.",
        mistakes=(
            Mistake("naive in np.longdouble", _softmax_naive_in_long_double, _LONG_DOUBLE + "subtract each row's "
                    "maximum before np.exp, e = np.exp(z - z.max(axis=-1, keepdims=True))"),
            Mistake("a vector shifted by its first logit", _softmax_vector_minus_first_logit, _ONE_LOGIT_SHIFT),
            Mistake("the row's mean", _softmax_row_mean, "subtracting the row's mean (or minimum) still overflows as "
                    "soon as a logit lies more than about 709 above it (np.exp(710) is inf), as in a row that spans "
                    "2000. Subtract the row's maximum, so the largest exponent is e^0 = 1"),
            Mistake("naive", _naive_softmax, "np.exp(1000) overflows to inf, and inf / inf is NaN: subtract each "
                    "row's maximum before np.exp"),
            Mistake("sum over the whole batch", _softmax_whole_batch, "e.sum() adds up the whole batch, so the rows "
                    "no longer sum to 1 each: sum along the last axis, e.sum(axis=-1, keepdims=True)"),
            Mistake("squeezed before the softmax", _softmax_squeezed, "np.squeeze turns a batch of n examples with "
                    "one class each, shape (n, 1), into a vector of n logits, and the softmax then runs across the "
                    "examples: keep the shape as it is and take the softmax along the last axis (each such row gives "
                    "1)"),
            # after "squeezed before the softmax", which gives the same on a batch of shape (n, 1)
            Mistake("softmax of the whole array", _softmax_of_the_whole_array, "the probabilities of the whole batch "
                    "sum to 1 together, not each row's: np.max and np.sum take axis=None by default. Take the softmax "
                    "along the last axis: z.max(axis=-1, keepdims=True) and e.sum(axis=-1, keepdims=True)"),
            Mistake("axis 0", _softmax_axis0, "axis=0 normalises each column over the batch; softmax normalises "
                    "each row (each example): use axis=-1"),
            # round 26: numpy's broadcast error alone, also for keepdims=True on the maximum but not on the sum
            Mistake("no keepdims", _softmax_no_keepdims, "z.max(axis=-1) or e.sum(axis=-1) without keepdims=True "
                    "drops the last axis: for a batch of shape (n, k) it has shape (n,), which numpy lines up with "
                    "the k columns, not with the n rows, so it raises (or, when n == k, uses the wrong entries). "
                    "Pass keepdims=True to both the maximum and the sum: a shape (n, 1) lines up with the rows, so "
                    "each row loses its own maximum and is divided by its own sum"),
            Mistake("the batch's maximum", _softmax_global_max, "subtracting the maximum of the whole batch is not "
                    "enough: a row far below it underflows to 0 / 0. Subtract each row's own maximum"),
            Mistake("shifted by the first logit", _softmax_minus_first_logit, _ONE_LOGIT_SHIFT),
            Mistake("shifted by the last logit", _softmax_minus_last_logit, _ONE_LOGIT_SHIFT),
            Mistake("integer result", _softmax_into_zeros_like, "for whole-number logits, np.zeros_like(z) (or "
                    "np.empty_like) is an integer array and every probability written into it is cut to 0 or 1: "
                    "turn z into floats first with np.asarray(z, dtype=float)"),
            Mistake("computed in float32", _softmax_in_float32, _IN_FLOAT32),
            Mistake("log-sum-exp of float32 logits", _softmax_log_domain_in_float32, _LOG_DOMAIN_IN_FLOAT32),
            Mistake("np.nanmax and np.nansum", _softmax_nan_skipped, "np.nansum (and np.nanmax) skip the NaN, so "
                    "the other probabilities of its row come out finite and the broken logit goes unseen: a row that "
                    "holds a NaN must be NaN throughout. Use z.max and e.sum, which give NaN as soon as one entry is "
                    "NaN"),
            Mistake("log-sum-exp in the input's integer dtype", _softmax_log_domain_in_the_input_dtype, _SMALL_INTS),
            Mistake("a list of rows", _softmax_list_of_rows),
            Mistake("axis 1", _softmax_axis1, "axis=1 is the last axis only of a 2-D batch: for a batch of shape "
                    "(n, t, k) it runs across the t rows of each example. Take the softmax along the last axis, "
                    "z.max(axis=-1, keepdims=True) and e.sum(axis=-1, keepdims=True), whatever the number of axes"),
            *(Mistake(name, answer, _SOFTMAX_ROWS) for name, answer in [("rows stacked", _softmax_rows_stacked),
                                                                        ("np.apply_along_axis", _softmax_along_axis)]),
            Mistake("computed in the input's integer dtype", _softmax_in_the_input_dtype, _SMALL_INTS),
        ),
    ),
    "mlp_forward": Exercise(
        reference=_mlp_forward_reference,
        cases=_mlp_forward_cases,
        run=new_results(refusing_course_versions(_call_without_overflow, (mlp.forward, _NUMPY_ONLY))),
        compare=_compare_sigmoid_outputs,
        hint="Two layers, each a dense layer as in lesson 01b (a matrix product with the weights, plus the biases): "
        "tanh of the first gives the hidden values H, and the stable sigmoid of the second, computed from H, the "
        "output. numpy's @ raises the ValueError for mismatched shapes by itself.",
        mistakes=(
            Mistake("sigmoid in the hidden layer", _mlp_sigmoid_hidden, "the hidden layer uses tanh here: "
                    "H = np.tanh(X @ W1.T + b1)"),
            Mistake("no output activation", _mlp_logits, "you return the output layer's logits: put them through "
                    "the sigmoid"),
            Mistake("W not transposed", _mlp_untransposed, "each row of W is one neuron, so a layer computes "
                    "X @ W.T + b"),
            Mistake("clip sized for float64", _mlp_clipped_for_float64, "np.exp overflows on float32 values above "
                    "88.7 (float32 reaches only about 3.4e38), so a clip or threshold sized for float64 (500, 700) "
                    "does not prevent it: use the stable sigmoid imported above, sigmoid(H @ W2.T + b2)"),
            Mistake("naive sigmoid in np.longdouble", _mlp_naive_in_long_double, _LONG_DOUBLE + "use the stable "
                    "sigmoid imported above, which never overflows in any dtype: sigmoid(H @ W2.T + b2)"),
            Mistake("naive sigmoid", _mlp_naive_sigmoid, "1 / (1 + np.exp(-z)) overflows for very negative output "
                    "logits (and np.exp(z) / (1 + np.exp(z)) for very positive ones): use the stable sigmoid imported "
                    "above, sigmoid(H @ W2.T + b2)"),
            Mistake("output layer transposed only when the shapes need it", _mlp_output_oriented_by_shape,
                    "H @ W2 runs without an error when W2 is square (as many outputs as hidden units), but it takes "
                    "W2's columns for neurons: each row of W2 is one neuron, so always compute H @ W2.T + b2"),
            Mistake("output as (n_out, n), transposed only when its shape is off",
                    _mlp_output_transposed_when_its_shape_is_off, "W2 @ H.T + b2[:, None] puts the examples in "
                    "columns, (n_out, n): with as many examples as outputs the shape looks right but the values are "
                    "transposed. Compute H @ W2.T + b2, which gives (n, n_out) for every n"),
            Mistake("naive sigmoid, overflow silenced with np.seterr", _mlp_naive_sigmoid_silenced),
            Mistake("an axis of one stretched", _mlp_by_einsum, "X and W1 (or the hidden layer and W2) disagree in "
                    "size, one of them being 1, yet your network returned values: np.einsum and a broadcast product "
                    "such as X[:, None, :] * W1 stretch an axis of length 1 instead of raising. Use X @ W1.T and "
                    "H @ W2.T, which raise the ValueError"),
            # round 25: numpy's UFuncTypeError ("Cannot cast ufunc 'add' output ...") alone did not say why
            Mistake("biases added in place", _mlp_biases_added_in_place, "X @ W1.T of whole-number X and W1 is an "
                    "array of integers, and += cannot store the float biases in it (numpy raises UFuncTypeError, "
                    "'Cannot cast ufunc add output'). Add them into a new array instead: X @ W1.T + b1, and "
                    "H @ W2.T + b2"),
            # round 26: a bracket closed too early came back as "wrong value" alone
            Mistake("hidden bias added after tanh", _mlp_hidden_bias_after_tanh, "the bias belongs inside the "
                    "activation: each hidden neuron adds its entry of b1 to its weighted sum and then takes tanh of "
                    "the total, H = np.tanh(X @ W1.T + b1); adding b1 after np.tanh shifts outputs that should lie "
                    "between -1 and 1"),
            Mistake("no output bias", _mlp_no_output_bias, "the output layer has a bias too: each output neuron adds "
                    "its entry of b2 to its weighted sum before the sigmoid, sigmoid(H @ W2.T + b2)"),
            Mistake("X transposed to fit W1", _mlp_X_turned_to_fit, "X has one example per row: when its number of "
                    "columns differs from W1's, the shapes do not match and X @ W1.T raises the ValueError. Transposing "
                    "X to make it fit turns its features into examples"),
            Mistake("W1 transposed to fit X", _mlp_W1_turned_to_fit, "each row of W1 is one hidden neuron, with one "
                    "weight per feature of X: when W1's number of columns differs from X's, the shapes do not match and "
                    "X @ W1.T raises the ValueError. Transposing W1 to make it fit turns its neurons into inputs"),
            Mistake("computed in float32", _mlp_in_float32, _IN_FLOAT32),
            Mistake("X turned into float32", _mlp_X_in_float32, _IN_FLOAT32),
            Mistake("hidden layer stored in np.zeros_like", _mlp_hidden_into_zeros_like, "np.zeros_like(Z1) takes "
                    "Z1's dtype: when X, W1 and b1 all hold whole numbers it is an integer array, and every tanh "
                    "value stored in it is cut to -1, 0 or 1. Use the result itself: H = np.tanh(X @ W1.T + b1)"),
            Mistake("a loop over the examples", _mlp_row_by_row, "a loop over the rows of X (or np.apply_along_axis) "
                    "cannot handle a batch of no examples, X of shape (0, n_in), where the matrix products give the "
                    "empty result of shape (0, n_out): compute the whole batch at once, as the exercise asks, "
                    "sigmoid(np.tanh(X @ W1.T + b1) @ W2.T + b2)"),
        ),
    ),
    "bce_from_logits": Exercise(
        reference=_bce_reference,
        cases=_bce_cases,
        # 04c's optimizer lab computes the stable BCE of its stacked networks itself (round 20)
        run=new_results(refusing_course_versions(called, (mlp.binary_cross_entropy, mlp.output_loss_and_delta,
                                                                    mlp.loss_and_grads, mlp.train_gd,
                                                                    mlp.categorical_cross_entropy,
                                                                    "course_utils.widgets.optimizer_lab:"
                                                                    "stacked_loss_and_grads", _NUMPY_ONLY))),
        hint="-[y log s(z) + (1-y) log(1-s(z))] simplifies to max(z, 0) - y*z + log(1 + exp(-|z|)); use np.log1p "
        "and take the mean. Check that y and z have the same shape and raise ValueError if not.",
        mistakes=(
            Mistake("exact form in np.longdouble", _bce_exact_in_long_double, _LONG_DOUBLE + "use max(z, 0) - y z + "
                    "log(1 + e^{-|z|}), which never overflows in any dtype"),
            Mistake("sigmoid, then log", _bce_via_probabilities, "sigmoid(z) rounds to exactly 0 or 1 for large |z|, "
                    "and log(0) is -inf: compute the loss from the logits with the formula above"),
            # round 21: Keras' clip (1e-7), the course's probability form (1e-12) and scikit-learn's old eps (1e-15)
            *(Mistake(f"probabilities clipped at {eps:g}", functools.partial(_bce_of_clipped_probabilities, eps=eps),
                      _CLIPPED_BEFORE_THE_LOG + "max(z, 0) - y z + log(1 + e^{-|z|})") for eps in (1e-7, 1e-12, 1e-15)),
            Mistake("sum instead of mean", _bce_sum, "the loss is the MEAN over the examples, not the sum"),
            Mistake("sum divided by len(y)", _bce_sum_over_len, _BCE_MEAN_OF_ALL),
            Mistake("mean over axis 0", _bce_mean_over_axis_0, _BCE_MEAN_OF_ALL),
            Mistake("sum divided by rows times columns", _bce_sum_over_rows_times_columns, _BCE_MEAN_OF_ALL),
            Mistake("exact form, overflows", _bce_exact_unstable, "(1 - y) z + log(1 + e^{-z}) is exact, but e^{-z} "
                    "overflows to inf for very negative z: use max(z, 0) - y z + log(1 + e^{-|z|}), which never "
                    "overflows"),
            # round 25: numpy's max of two arguments reads the second as an axis
            Mistake("np.max instead of np.maximum", _bce_max_along_axis_0, "np.max(z, 0) is not the max(z, 0) of the "
                    "formula: numpy reads its second argument as an axis, so it gives the largest logit along axis 0 "
                    "(one number for a vector of logits), the same for every example. Compare each logit with 0 "
                    "entry by entry: np.maximum(z, 0)"),
            Mistake("logits and labels swapped", _bce_arguments_swapped, "your function takes its first argument "
                    "for the logits and its second for the labels, as PyTorch's BCEWithLogitsLoss()(z, y) does: "
                    "bce_from_logits(y, z) gets the 0/1 labels y first and the logits z second, the order of Keras' "
                    "losses and of the formula above"),
            Mistake("no absolute value", _bce_without_abs, "the last term is log(1 + e^{-|z|}), with the absolute "
                    "value: with e^{-z} it is wrong for negative z (and overflows)"),
            Mistake("sizes compared, not shapes", _bce_sizes_compared, _BCE_WHOLE_SHAPES),
            Mistake("lengths compared, not shapes", _bce_lengths_compared, _BCE_WHOLE_SHAPES),
            Mistake("length, size and ndim compared, not shapes", _bce_length_size_ndim_compared, _BCE_WHOLE_SHAPES),
            Mistake("last axis, size and ndim compared, not shapes", _bce_last_axis_size_ndim_compared,
                    _BCE_WHOLE_SHAPES),
            Mistake("ndim compared, not shapes", _bce_ndim_check, "y of shape (1,) broadcasts against z of shape (n,) "
                    "without any error: compare the whole shapes, y.shape != z.shape"),
            Mistake("a column of labels flattened", _bce_label_column_flattened, "y of shape (n, 1) against z of "
                    "shape (n,) must raise ValueError too: compare the shapes as they are given, y.shape != z.shape, "
                    "without flattening either first"),
            Mistake("a row of logits flattened", _bce_logits_row_flattened, "z of shape (1, n) against y of shape (n,) "
                    "must raise ValueError too: compare the shapes as they are given, y.shape != z.shape, without "
                    "dropping an axis of either first"),
            Mistake("shapes compared after np.atleast_2d", _bce_atleast_2d, "np.atleast_2d turns z of shape (n,) "
                    "into (1, n), so y of shape (1, n) against z of shape (n,) no longer raises: compare the shapes as "
                    "they are given, y.shape != z.shape"),
            Mistake("no shape check", _bce_no_shape_check, "y of shape (n,) and z of shape (n, 1) broadcast to an "
                    "(n, n) matrix without any error: raise ValueError when y.shape != z.shape"),
            Mistake("losses stored in np.zeros_like(z)", _bce_into_zeros_like, "np.zeros_like(z) takes z's dtype: for "
                    "integer logits it holds integers, and every loss stored in it is cut to a whole number. Take the "
                    "mean of the formula's array itself (or start from np.zeros(z.shape), which holds floats)"),
            Mistake("rounded", _bce_rounded, _NOT_ROUNDED),
            Mistake("np.nanmean", _bce_nanmean, _NANMEAN),
            Mistake("logits clipped", _bce_clipped_logits, "you clipped the logits: max(z, 0) - y z + log(1 + e^{-|z|}) "
                    "never overflows, so it needs no clip, and a clipped logit gives a smaller loss than the real one "
                    "(a logit of -1000 with the label 1 costs 1000, not 500)"),
            Mistake("computed in the inputs' integer dtypes", _bce_in_the_input_dtype, "uint8 labels and int8 or "
                    "uint8 logits stay small integers: -y of a uint8 label 1 wraps around to 255, -np.abs(z) of uint8 "
                    "logits wraps too, and np.exp of int8 or uint8 computes in float16 (about 3 digits). Turn both "
                    "into floats first: np.asarray(y, dtype=float), np.asarray(z, dtype=float)"),
        ),
    ),
    "cce_from_logits": Exercise(
        reference=_cce_reference,
        cases=_cce_cases,
        run=new_results(refusing_course_versions(called, (mlp.categorical_cross_entropy, mlp.output_loss_and_delta,
                                                                    mlp.loss_and_grads, mlp.train_gd, mlp.logsumexp,
                                                                    _NUMPY_ONLY))),   # round 39 (s1 H5): as softmax's
        hint="-log softmax(Z)[y] = logsumexp(Z) - Z[y]. Compute logsumexp stably: m = Z.max(axis=1), "
        "m + log(sum(exp(Z - m[:, None]), axis=1)); pick Z[np.arange(n), y]; raise ValueError if len(y) != len(Z).",
        mistakes=(
            Mistake("loss returned in float32", _cce_float32_result, _FLOAT32_LOSS),
            *(Mistake(name, answer, _LONG_DOUBLE + "subtract each row's maximum inside the exp: m + log(sum(exp(Z - "
                      "m[:, None]), axis=1)), with m = Z.max(axis=1)")
              for name, answer in [("naive log-sum-exp in np.longdouble", _cce_naive_in_long_double),
                                   ("log of a naive softmax in np.longdouble", _cce_log_of_softmax_in_long_double)]),
            Mistake("softmax, then log", _cce_via_probabilities, "np.exp of large logits overflows, and the log of a "
                    "probability that rounded to 0 is -inf: use the log-sum-exp form"),
            Mistake("stable softmax, then log", _cce_log_of_stable_softmax, "the loss came out inf: a probability "
                    "rounded to 0 before its log (even the stable softmax does that), or np.exp overflowed. Compute "
                    "logsumexp(Z) - Z[y] with each row's maximum subtracted inside the exp"),
            *(Mistake(f"probabilities shifted by {eps:g}", functools.partial(_cce_of_shifted_probabilities, eps=eps),
                      _CLIPPED_BEFORE_THE_LOG + "logsumexp(Z) - Z[y], with each row's maximum subtracted inside the "
                      "exp") for eps in (1e-7, 1e-12, 1e-15)),
            Mistake("whole columns", _cce_columns, "Z[:, y] picks whole columns (an n x n matrix); "
                    "Z[np.arange(n), y] picks one entry per row"),
            Mistake("only too few labels rejected", _cce_fewer_labels_only, "more labels than rows must raise "
                    "ValueError too: test len(y) != len(Z), not only len(y) < len(Z)"),
            Mistake("no length check", _cce_no_length_check, "a single label broadcasts against all n rows without "
                    "any error: raise ValueError when len(y) != len(Z)"),
            Mistake("log-sum-exp of the whole batch", _cce_logsumexp_of_the_batch, "your log-sum-exp ran over the "
                    "whole batch at once, one number for all rows: np.max and np.sum take axis=None by default. Take "
                    "it along each row: m = Z.max(axis=1) and np.exp(Z - m[:, None]).sum(axis=1)"),
            Mistake("the batch's maximum", _cce_global_max, "m = Z.max() is the maximum of the whole batch: for a row "
                    "far below it every exponential underflows to 0, and log(0) is -inf. Use each row's maximum, "
                    "Z.max(axis=1)"),
            Mistake("log-sum-exp kept as a column", _cce_logsumexp_kept_as_a_column, "your log-sum-exp (or its "
                    "maximum m) has shape (n, 1), from keepdims=True, and Z[np.arange(n), y] has shape (n,): together "
                    "they broadcast to an (n, n) matrix, whose mean equals the loss only in exact arithmetic (and "
                    "which holds n * n numbers). Keep every per-example array of shape (n,): m = Z.max(axis=1), "
                    "np.exp(Z - m[:, None]).sum(axis=1), or logsumexp(Z, axis=1) without keepdims"),
            # round 25: the shift taken out inside the exp and never put back (a loss below 0)
            Mistake("the row's maximum not added back", _cce_shift_not_added_back, "your loss is off by the mean of "
                    "the rows' maxima m (it can even come out below 0, which a cross-entropy never is): "
                    "log(sum(exp(Z - m))) is the log-sum-exp of the shifted logits, m less than log(sum(exp(Z))). Add "
                    "m back, m + np.log(np.exp(Z - m[:, None]).sum(axis=1)), before you subtract the picked logit "
                    "Z[np.arange(n), y]"),
            Mistake("shifted by the first column", _cce_first_column_shift, "shift each row by its own maximum, "
                    "Z.max(axis=1): another entry (here the first column) can lie far below it, and then np.exp "
                    "overflows to inf"),
            Mistake("losses stored in np.zeros_like", _cce_loop_into_zeros_like, "np.zeros_like(Z[:, 0]) takes Z's "
                    "dtype: for integer logits it holds integers, and every loss stored in it is cut to a whole "
                    "number. Compute the losses as one array (logsumexp - Z[np.arange(n), y]), or start from "
                    "np.zeros(n), which holds floats"),
            Mistake("rounded", _cce_rounded, _NOT_ROUNDED),
            Mistake("np.nanmean", _cce_nanmean, _NANMEAN),
            Mistake("logits clipped", _cce_clipped_logits, "you clipped the logits: log-sum-exp with each row's maximum "
                    "subtracted never overflows, so it needs no clip, and a clipped logit gives a smaller loss than the "
                    "real one (a right class 2000 below the row's maximum costs 2000, not 1000)"),
            Mistake("computed in float32", _cce_in_float32, _IN_FLOAT32),
            # round 26: keras.losses.SparseCategoricalCrossentropy, which the lesson's next cells compare with, computes
            # in float32 and was refused with "wrong value" alone, 1e-5 off on the small loss of a confident batch
            Mistake("log-softmax in float32 (Keras' loss)", _cce_log_softmax_in_float32, _CCE_KERAS_FLOAT32),
            # round 26: the mean of the differences written as the difference of the means, refused as the column
            # above is (the 1e20 row), came back as "wrong value: expected 0.0242937, got 0" alone
            Mistake("two means subtracted", _cce_two_means_subtracted, "you took the mean of the log-sum-exps and "
                    "the mean of the picked logits, then subtracted them: equal to the loss in exact arithmetic, but "
                    "when one row's logits are huge (here 1e20) both means are huge, and their difference loses the "
                    "other rows' losses to rounding. Subtract per example first, one loss per row of shape (n,), then "
                    "take the mean of those losses"),
            Mistake("sum instead of mean", _cce_sum, "the loss is the MEAN over the examples, not the sum"),
            Mistake("computed in the input's integer dtype", _cce_in_the_input_dtype, "int8 and uint8 logits stay "
                    "small integers: Z - m of uint8 wraps around to large positive numbers (0 - 5 = 251), int8 wraps "
                    "beyond 127, and np.exp of either computes in float16, which keeps about 3 digits. Turn Z into "
                    "floats first: np.asarray(Z, dtype=float)"),
        ),
    ),
}

# Lesson 02 is split in two notebooks; each exercise is checked in the part named here.
NOTEBOOKS = {
    "02a_layers_and_mlp": ("mlp_forward", "softmax_stable"),
    "02b_losses_and_xor": ("bce_from_logits", "cce_from_logits"),
}
