"""Exercises of lesson 01 (neurons), which comes in two parts.

One module serves both notebooks; ``NOTEBOOKS`` says which part checks which exercise:
- 01a_neurons_and_activations: exercise 1 ``sigmoid``, exercise 2 ``relu``, exercise 3 ``neuron``;
- 01b_boundaries_and_xor: exercise 4 ``or_weights``, exercise 5 ``dense_layer`` (it imports ``sigmoid``,
  ``relu`` and ``neuron`` from ``course_utils.neurons``, so it runs without 01a).
"""
import contextlib
import warnings

import numpy as np
from numpy._core import _ufunc_config

from .. import mlp
from .. import neurons as ref
from ..i18n import t
from .base import (Case, Exercise, Mismatch, Mistake, called, compare_probabilities, compare_values, draw_floats,
                   draw_shape, generated, in_turn, input_changed, new_results, refusing_course_versions, same_arrays,
                   short, to_numpy)
from ..data import logic_gate
from .base import CHECK_CODES as _CHECK_CODES, NUMPY_ONLY as _NUMPY_ONLY


def _hand_picked_activation_cases():
    return [
        Case((0.0,), label="zero"),
        Case((np.array([-2.0, -0.5, 0.5, 2.0]),), label="a small array"),
        Case((np.linspace(-5, 5, 12).reshape(3, 4),), label="a 2-D array keeps its shape"),
        Case((np.array([-1000.0, 1000.0]),), label="very large |z|"),
        Case((-1000.0,), label="a single number far below zero"),
        Case((1000.0,), label="a single number far above zero"),
    ]


def _draw_activation_input(rng, kinds=("float64", "float32")):
    """One number or an array of 1 to 3 dimensions, of one of ``kinds`` ("int": whole numbers), at any scale; an
    array has a value above 0, so that its ReLU is never all zeros (which a constant answer would get right)."""
    ndim = int(rng.integers(0, 4))
    z = draw_floats(rng, draw_shape(rng, ndim), scale=float(rng.choice([0.5, 5.0, 50.0])))
    if ndim and (z <= 0).all():
        z.flat[0] = -z.flat[0] or 1.0
    kind = rng.choice(kinds)
    z = z.astype(np.float32) if kind == "float32" else np.round(z).astype(np.int64) if kind == "int" else z
    return Case((z.item() if ndim == 0 else z,))


def _draw_empty_activation_input(rng, kinds=("float64", "float32")):
    """An array of 1 to 3 dimensions with no values, one of its axes of length 0, of one of ``kinds``: still "a numpy
    array of any shape", on which np.vectorize without otypes= and a z.min() or z.max() raise."""
    shape = list(draw_shape(rng, int(rng.integers(1, 4))))
    shape[int(rng.integers(0, len(shape)))] = 0
    kind = str(rng.choice(kinds))
    return Case((np.zeros(shape, dtype=np.int64 if kind == "int" else kind),), label="an empty array",
                points=0)   # an empty result, which any answer of the right shape gets: a pass needs it, no credit


def _activation_cases():
    return [*_hand_picked_activation_cases(), *generated(_draw_activation_input, count=6, seed=11),
            *generated(_draw_empty_activation_input, count=2, seed=3),
            Case((np.array([-0.02, -0.004, 0.001, 0.003, 0.008, 0.02]),),   # a threshold above 0 (z > 0.01) shows
                 label="values close to zero, small positive ones kept"),
            # a tolerance kept around 0 (z > 1e-6, z > -1e-4, ...) shows only on values that close to 0
            Case((np.array([-1e-4, -1e-6, -5e-8, 5e-8, 1e-6, 1e-4]),),
                 label="values within 1e-4 of zero: the positive ones kept, the negative ones 0"),
            # (np.abs(z) + z) / 2 overflows to inf in float32 above 1.7e38, before the halving
            Case((np.array([3e38, -3e38, 1.0], dtype=np.float32),), label="float32 values near the largest, 3e38"),
            # np.nan_to_num turns inf into 1.8e308, and a computation in float32 turns 1e300 into inf
            Case((np.array([np.inf, 1e300, -1e300, 2.0]),), label="inf and 1e300 stay as they are (beyond float32)"),
            # an answer that returns z itself when nothing is negative ties its result to the caller's array
            Case((np.array([0.0, 0.5, 3.0]),), label="no negative values: the same values, in a new array"),
            # a 0-d array is an array too: max(0.0, z) for "a number" (np.ndim(z) == 0) hands back z itself when z >= 0
            Case((np.array(2.5),), label="a 0-d array above zero: its value, not the caller's array itself"),
            # (np.abs(z) + z) / 2 after np.asarray(z, dtype=float) passes the float32 case above, yet the sum overflows
            # in float64 too, above about 9e307
            Case((np.array([1.7e308, -1.7e308, 1.0]),), label="float64 values near the largest, 1.7e308"),
            # round 21: a threshold or a floor far below 1e-8 (z > 1e-9, np.maximum(z, np.finfo(float).eps)) shows only
            # on values this close to 0, compared with no absolute tolerance (_compare_relu); last, so that the cases
            # above still show the mistakes they were made for first
            Case((np.array([-1e-300, 1e-300, -1e-30, 1e-30, -1e-12, 1e-12]),),
                 label="values as close to zero as floats get: the positive ones kept, however small")]


def _draw_far_float32(rng):
    """float32 values 89 to 700 in size, of either sign: np.exp overflows in float32 above 88.7, so an overflow guard
    sized for float64 (a clip at 500, a threshold at -700) shows; an array of 1 to 3 dimensions or one np.float32."""
    ndim = int(rng.integers(0, 4))
    shape = draw_shape(rng, ndim)
    z = (rng.choice([-1.0, 1.0], size=shape) * rng.uniform(89, 700, size=shape)).astype(np.float32)
    return Case((z[()] if ndim == 0 else z,))


def _draw_small_ints(rng, dtype):
    """Whole numbers up to 20 in size (none below 0 for uint8) in a small integer ``dtype``: np.exp of int8 or uint8
    computes in float16 (about 3 digits), and -np.abs of uint8 wraps around, so only a cast to float is right; an
    array of 1 to 3 dimensions or one numpy integer."""
    ndim = int(rng.integers(0, 4))
    z = rng.integers(0 if dtype == "uint8" else -20, 21, size=draw_shape(rng, ndim)).astype(dtype)
    label = "whole numbers as int8" if dtype == "int8" else "whole numbers as uint8 (none below 0)"
    return Case((z[()] if ndim == 0 else z,), label=label)


def _sigmoid_cases():
    shared = _hand_picked_activation_cases()   # the very large values stay in the hidden second half of a release
    drawn = generated(lambda rng: _draw_activation_input(rng, ("float64", "float32", "int")), count=6, seed=11)
    return [*shared[:3], Case((np.array([-3, 0, 2]),), label="whole numbers give floats"), *drawn, *shared[3:],
            Case((np.array([np.nan, 1.0]),), label="NaN passes through as NaN"),
            *generated(_draw_far_float32, count=2, seed=5),
            *generated(in_turn(_draw_small_ints, ("int8", "uint8")), count=2, seed=8),
            *generated(lambda rng: _draw_empty_activation_input(rng, ("float64", "float32", "int")), count=2, seed=3),
            Case((np.array([-1e5, 1e5]),), label=_BEYOND_LONG_DOUBLE),
            # the shift by m = max(z, 0) of a stable softmax over (0, z) gives inf - inf = nan at z = inf
            Case((np.array([-np.inf, -2.0, 0.0, np.inf]),), label="-inf and inf give 0 and 1"),
            # sigmoid(-30) is 9.4e-14: rounding, a floor, an added epsilon or z clipped at +-20 changes it by far more
            Case((np.array([-30.0, -25.0, -21.0, 21.0]),), label="probabilities far below 1, to within 0.1 %"),
            # round 20: np.exp(-1000) is exactly 0, so 1 / e (e = np.exp(-np.abs(z))) divides by zero there instead of
            # overflowing; between 709.8 and 745, e is tiny but not 0 and 1 / e, the naive e^|z|, overflows
            Case((np.array([-720.0, -740.0, 720.0]),), label="|z| between 709.8 and 745, where e^-|z| is tiny but not 0"),
            # round 20: the drawn int8 numbers lie within 20 of 0; np.abs in int8 keeps -128 (int8 holds 127 at most)
            Case((np.array([-128, -100, 0, 127], dtype=np.int8),), label="int8 from -128 to 127"),
            # round 22: a float16 number, which an answer that turns only whole numbers into floats computes in float16
            # (about 3 digits, nothing below 6e-8): sigmoid(-20) = 2e-9 comes out 0. A number, not an array: the check
            # fills freed buffers of an array's dtype with -123456.789, which overflows float16 with a warning
            Case((np.float16(-20.0),), label="a float16 number, -20: computed in float64, not in float16's 3 digits"),
            # round 25: an answer that catches np.exp's overflow and then gives a step (0 or 1) for the whole array is
            # right on every array above, whose values are all far from 0 once one of them overflows
            Case((np.array([-1000.0, -1.0, 0.5, 1000.0]),),
                 label="values beyond np.exp's range and values near zero in one array"),
            # round 39 (r399a H4): 1e5 was the largest |z|, and the naive formula in Python's decimal numbers (whose
            # exponent reaches about 1e6 digits) passed; it raises decimal.Overflow here (1e7 still fits float32)
            Case((np.array([-1e7, 1e7]),), label="|z| = 1e7, beyond the default exponent of Python's decimal numbers too")]


# np.exp overflows in np.longdouble (80-bit extended on x86 Linux) above about 11356, and np.longdouble is float64 on
# Windows and Apple silicon: a naive sigmoid computed in it passes |z| = 1000 on x86 Linux only
_BEYOND_LONG_DOUBLE = "|z| = 100000, beyond np.exp's range even in np.longdouble"


def _draw_values(rng, shape, kind, scale):
    """Values of ``shape``: "float64" normal at ``scale``; "float32" eighths up to 2 in size and "int" whole numbers
    up to 4, both exact, so that sums of products come out the same whether computed in float32, int64 or float64."""
    if kind == "float32":
        return (rng.integers(-16, 17, size=shape) / 8).astype(np.float32)
    if kind == "int":
        return rng.integers(-4, 5, size=shape)
    return draw_floats(rng, shape, scale)


def _draw_number(rng, kind, scale):
    """A number b of ``kind``: a Python float, a numpy float64 or float32, or a Python int."""
    b = _draw_values(rng, (), kind, scale)
    return float(b) if kind == "float64" and rng.random() < 0.5 else int(b) if kind == "int" else b[()]


_KINDS = ("float64", "float64", "float32", "int")


def _draw_neuron_input(rng):
    """x, w of a drawn length (one included), each of its own kind, b of its own kind (the hand-picked cases try
    weighted sums far beyond the sigmoid's bend; these stay mostly within it, where wrong values show)."""
    n = int(rng.choice([1, rng.integers(2, 8), rng.integers(8, 40)]))
    scale = float(rng.choice([0.1, 0.5, 2.0]))
    x, w = (_draw_values(rng, (n,), str(rng.choice(_KINDS)), scale) for _ in range(2))
    return Case((x, w, _draw_number(rng, str(rng.choice(_KINDS)), scale)))


def _draw_bad_neuron_input(rng):
    """x and w of different drawn lengths, either one the longer."""
    n, m = rng.choice(np.arange(1, 10), size=2, replace=False)
    return Case((draw_floats(rng, (int(n),)), draw_floats(rng, (int(m),)), float(rng.normal())), raises=ValueError)


def _draw_far_neuron_input(rng):
    """float32 x, w and b whose weighted sum lies 100 or more from zero, of a drawn sign (whole numbers and eighths:
    exact in float32): np.exp overflows in float32 above 88.7, so an overflow guard sized for float64 shows."""
    n = int(rng.integers(4, 9))
    x = rng.integers(5, 21, size=n).astype(np.float32)
    w = (float(rng.choice([-1.0, 1.0])) * rng.integers(5, 21, size=n)).astype(np.float32)
    b = _draw_values(rng, (), "float32", 1.0)
    return Case((x, w, float(b) if rng.random() < 0.5 else b[()]))


def _neuron_cases():
    rng = np.random.default_rng(1)
    return [
        Case((np.array([1.0, 2.0]), np.array([0.5, -0.25]), 0.1), label="two inputs"),
        Case((np.zeros(3), np.ones(3), 0.0), label="zero input: only the bias counts"),
        Case((rng.normal(size=5), rng.normal(size=5), -1.5), label="five random inputs"),
        Case((np.array([300.0, 400.0]), np.array([2.0, 3.0]), 0.0), label="very large weighted sum"),
        Case((np.array([300.0, 400.0]), np.array([-2.0, -3.0]), 0.0), label="very negative weighted sum"),
        Case((np.ones(3), np.ones(2), 0.0), label="x and w of different lengths", raises=ValueError),
        Case((np.ones(1), np.ones(3), 0.0), label="x of length 1 and w of length 3", raises=ValueError),
        # a neuron with no inputs: np.dot gives 0, so only the bias counts (a sum started from the first product, or
        # functools.reduce without a start value, raises)
        Case((np.zeros(0), np.zeros(0), 0.75), label="no inputs at all (x and w empty): only the bias counts"),
        *generated(_draw_neuron_input, count=6, seed=69),
        *generated(_draw_bad_neuron_input, count=2, seed=41),
        *generated(_draw_far_neuron_input, count=2, seed=2),
        Case((np.array([3000.0, 4000.0]), np.array([-20.0, -30.0]), 0.0), label="a weighted sum of -180000"),
        Case((np.array([3000.0, 4000.0]), np.array([20.0, 30.0]), 0.0), label="a weighted sum of 180000"),
        Case((np.array([1.0, 2.0]), np.array([-10.0, -10.0]), 0.0), label="a weighted sum of -30: 9.4e-14, to within 0.1 %"),
        # round 22: the first case's x and w again with another b: a result kept between calls and looked up by x and w
        # alone (a cache that leaves b out of its key) passed every case above
        Case((np.array([1.0, 2.0]), np.array([0.5, -0.25]), -2.0),
             label="the x and w of \"two inputs\" with another b: computed again, not kept from that call"),
    ]


def _draw_layer_input(rng):
    """X, W, b with drawn batch, n_in and n_out (one included, square or not), each of its own kind and scale."""
    batch, n_in, n_out = (int(rng.choice([1, rng.integers(2, 10), rng.integers(2, 10)])) for _ in range(3))
    scale = float(rng.choice([0.1, 0.5, 2.0]))
    X, W, b = (_draw_values(rng, shape, str(rng.choice(_KINDS)), scale)
               for shape in ((batch, n_in), (n_out, n_in), (n_out,)))
    return Case((X, W, b))


def _draw_bad_layer_input(rng):
    """X with n features and W expecting k (1 to 7, different), n_out drawn: sometimes n, so that X @ W works.

    One feature on either side is a mismatch too: np.einsum or a broadcast product X[:, None, :] * W would stretch
    it silently, where X @ W.T raises."""
    batch, n, k = int(rng.integers(1, 6)), *(int(v) for v in rng.choice(np.arange(1, 8), size=2, replace=False))
    n_out = n if rng.random() < 0.5 else int(rng.integers(1, 8))
    return Case((draw_floats(rng, (batch, n)), draw_floats(rng, (n_out, k)), draw_floats(rng, (n_out,))),
                raises=ValueError)


def _draw_far_layer_input(rng):
    """float32 X, W and b whose weighted sums lie 100 or more from zero, some neurons far below and the others far
    above (whole numbers and eighths: exact in float32): np.exp overflows in float32 above 88.7."""
    batch, n_in, n_out = int(rng.integers(1, 6)), int(rng.integers(4, 9)), int(rng.integers(2, 6))
    X = rng.integers(5, 21, size=(batch, n_in)).astype(np.float32)
    signs = rng.permutation(np.resize([-1.0, 1.0], n_out))[:, None]
    W = (signs * rng.integers(5, 21, size=(n_out, n_in))).astype(np.float32)
    return Case((X, W, _draw_values(rng, (n_out,), "float32", 1.0)))


def _draw_empty_layer_input(rng, axis):
    """A batch of no examples, X of shape (0, n_in), or examples of no features, X (batch, 0) and W (n_out, 0): X @ W.T
    gives (0, n_out) or zeros, where np.apply_along_axis (or a loop over the rows of X) raises or loses the shape."""
    batch, n_in, n_out = (int(n) for n in rng.integers(1, 6, size=3))
    batch, n_in = (0, n_in) if axis == "batch" else (batch, 0)
    return Case((draw_floats(rng, (batch, n_in)), draw_floats(rng, (n_out, n_in)), draw_floats(rng, (n_out,))),
                label="a batch of no examples" if axis == "batch" else "examples with no features",
                points=0 if axis == "batch" else 1)   # an empty result: a pass needs it, it gives no partial credit


def _layer_cases():
    rng = np.random.default_rng(2)
    return [
        Case((rng.normal(size=(4, 3)), rng.normal(size=(2, 3)), rng.normal(size=2)), label="batch of 4, 3 in, 2 out"),
        Case((rng.normal(size=(1, 5)), rng.normal(size=(7, 5)), np.zeros(7)), label="a batch of one"),
        Case((100 * rng.normal(size=(3, 2)), 100 * rng.normal(size=(3, 2)), np.ones(3)), label="large inputs"),
        Case((rng.normal(size=(3, 2)), rng.normal(size=(4, 5)), np.zeros(4)), label="mismatched shapes", raises=ValueError),
        *generated(_draw_layer_input, count=6, seed=124),
        *generated(_draw_bad_layer_input, count=3, seed=26),
        *generated(_draw_far_layer_input, count=1, seed=0),
        *generated(in_turn(_draw_empty_layer_input, ("batch", "features")), count=2, seed=9),
        Case((np.array([[300.0, 400.0]]), np.array([[-200.0, -300.0], [200.0, 300.0]]), np.zeros(2)),
             label="weighted sums of -180000 and 180000, beyond np.exp's range even in np.longdouble"),
        # outputs from 1e-28 to 1e-11, which the tolerance of 1e-8 alone would pass as 0 (rounded to 8 decimals) or
        # as sigmoid(-30) (logits clipped at 30); the values are exact in float32
        Case((np.array([[1.0, 2.0], [3.0, -1.0]]), np.array([[-10.0, -5.0], [7.0, 9.0], [-8.5, -12.25]]),
              np.array([-5.5, -75.0, 3.0])),
             label="weighted sums from -10 to -63: outputs far below 1e-6, compared to their own scale"),
        # a NaN in one example makes that example's outputs NaN and leaves the others alone (np.nan_to_num or np.fmax
        # hides it)
        Case((np.array([[np.nan, 1.0], [0.5, -1.0]]), np.array([[1.0, -2.0], [0.5, 0.25], [-1.0, 1.5]]),
              np.array([0.1, -0.2, 0.3])), label="a NaN in X: that example's outputs are NaN, the other example's are not"),
        # as many examples as neurons: b added as a column (b[:, None]), or W @ X.T not transposed back, keeps the shape
        Case((np.array([[1.0, -2.0], [0.5, 3.0], [-1.5, 0.25]]), np.array([[0.5, 1.0], [-1.0, 0.75], [2.0, -0.5]]),
              np.array([-1.0, 0.5, 2.0])), label="3 examples through 3 neurons: b goes to the neurons, not the examples"),
        # round 25: one weighted sum beyond np.exp's range (-1800) beside small ones in the same batch: an answer that
        # catches the overflow and gives a step for the whole batch was right on every case above
        Case((np.array([[300.0, 400.0], [0.5, -1.0]]), np.array([[-2.0, -3.0], [0.005, -0.0025]]),
              np.array([0.0, 0.5])),
             label="a weighted sum of -1800 beside small ones in the same batch"),
        # round 22: the case above again with one of X, W and b changed: a result kept between calls and looked up by two
        # of them alone (a cache that leaves the third out of its key) passed every case above
        *(Case(args, label=label) for args, label in _one_argument_changed(
            np.array([[1.0, -2.0], [0.5, 3.0], [-1.5, 0.25]]), np.array([[0.5, 1.0], [-1.0, 0.75], [2.0, -0.5]]),
            np.array([-1.0, 0.5, 2.0]))),
    ]


def _one_argument_changed(X, W, b):
    """(X, W, b) three times, each time with one of them replaced by other values of the same shape."""
    return [((X, W, np.array([0.5, -1.5, 0.25])),
             "the X and W of \"3 examples through 3 neurons\" with another b: computed again, not kept from that call"),
            ((X, np.array([[1.0, -0.5], [0.25, 2.0], [-1.5, 1.0]]), b),
             "the X and b of \"3 examples through 3 neurons\" with another W: computed again, not kept from that call"),
            ((np.array([[2.0, 1.0], [-0.5, -1.0], [0.75, 1.5]]), W, b),
             "the W and b of \"3 examples through 3 neurons\" with another X: computed again, not kept from that call")]


def _read_only(value):
    """The check's own copy of an input array, locked: a write into it raises."""
    if isinstance(value, np.ndarray):
        value.flags.writeable = False
    return value


def _unchanged(arrays, before):
    return all(a.shape == shape and a.dtype == dtype and same_arrays(a, old)
               for a, (shape, dtype, old) in zip(arrays, before))


_SETERR = ("your function changed numpy's error handling (np.seterr) for the rest of the notebook, so that overflows "
           "pass unseen: leave np.seterr alone and compute without overflowing (the stable sigmoid never overflows)")


_SILENCED = ("np.errstate (or np.seterr) inside your function hid the overflow, it did not prevent it: np.exp still "
             "overflowed to inf. Compute without overflowing: e = np.exp(-np.abs(z)) is never above 1, and both "
             "branches built from it are safe")

_WROTE_INTO_AN_INPUT = ("raised ValueError: {error}. The check passes your function its inputs read-only, so that a "
                        "write into one of them (z *= ..., x[...] = ..., np.negative(z, out=z)) raises instead of "
                        "changing the caller's array: compute a new array (z = z * ..., np.negative(z))")

_SETERR_NAMES = ("all", "divide", "over", "under", "invalid")


@contextlib.contextmanager
def _overflow_kept_an_error(settings):
    """While the answer runs, np.errstate, np.seterr and np.seterrcall keep overflow noted whatever the answer asks.

    A naive sigmoid inside ``with np.errstate(over="ignore"):`` (or between np.seterr and its undoing, or with an error
    callback of its own) hides the overflow instead of avoiding it, and its values are right: only the overflow shows
    it. Round 18: the overflow is noted (numpy's over="call"), not raised inside the answer, which could catch the
    FloatingPointError and answer something else (a step function) only under the check; an answer that asks for
    over="raise" itself gets it, as it would outside the check. Yields a record: whether the answer asked to silence
    overflow, and the settings np.seterr would have left (compared after the call, so that a global np.seterr the
    answer does not undo is still caught)."""
    real_errstate, real_seterr, real_seterrcall = np.errstate, np.seterr, np.seterrcall
    asked = {"silenced": False, "settings": dict(settings), "call": np.geterrcall()}

    def kept(kwargs):
        over = kwargs.get("over") or kwargs.get("all")
        if "call" in kwargs:   # the check's own callback stays: it notes the overflow
            asked["silenced"] = True
            kwargs = {key: value for key, value in kwargs.items() if key != "call"}
        if over is not None and over != "raise":
            asked["silenced"] = True
            return {**kwargs, "over": "call"}
        return kwargs

    def errstate(*args, **kwargs):
        return real_errstate(*args, **kept(kwargs))

    def seterr(*args, **kwargs):
        kwargs = {**dict(zip(_SETERR_NAMES, args)), **kwargs}
        old = dict(asked["settings"])
        wanted = {key: kwargs.get(key) or kwargs.get("all") or old[key] for key in _SETERR_NAMES[1:]}
        asked["settings"] = wanted
        real_seterr(**kept(kwargs))
        return old

    def seterrcall(func):
        asked["silenced"] = True
        old, asked["call"] = asked["call"], func
        return old

    def make_extobj(*args, **kwargs):   # round 39 (r399a H1): what every errstate, seterr and seterrcall runs, also
        return real_make_extobj(*args, **kept(kwargs))   # one made before the check (@np.errstate(...) on the def)
        # or imported by name (from numpy import errstate)

    real_make_extobj = _ufunc_config._make_extobj
    np.errstate, np.seterr, np.seterrcall = errstate, seterr, seterrcall
    _ufunc_config._make_extobj = make_extobj
    try:
        yield asked
    finally:
        np.errstate, np.seterr, np.seterrcall = real_errstate, real_seterr, real_seterrcall
        _ufunc_config._make_extobj = real_make_extobj


def _inner_codes(function) -> set:
    """The code of the functions defined inside ``function``, at any depth."""
    codes, found = [function.__code__], set()
    while codes:
        inner = [c for c in codes.pop().co_consts if isinstance(c, type(function.__code__))]
        found.update(inner)
        codes += inner
    return found


def _call_without_overflow(f, case):
    """Call f, treating a floating-point overflow as an error (the naive sigmoid overflows), and an np.seterr
    call that silences it as one too: it would stay in force for the rest of the notebook.

    The arrays are passed read-only, so an answer that writes into its input raises ValueError; one that switches the
    flag back on and writes, or sets z.shape, changes the caller's array all the same, which
    is compared after the call.
    """
    writeable = [(a, a.flags.writeable) for a in (*case.args, *case.kwargs.values()) if isinstance(a, np.ndarray)]
    try:
        return _locked_call(f, case)
    finally:   # unlocked again: the caller's arrays keep their flags
        for a, flag in writeable:
            a.flags.writeable = flag


def _locked_call(f, case):
    """The call of ``_call_without_overflow``, on the case's arrays made read-only."""
    args, kwargs = tuple(map(_read_only, case.args)), {name: _read_only(value) for name, value in case.kwargs.items()}
    arrays = [a for a in (*args, *kwargs.values()) if isinstance(a, np.ndarray)]
    before = [(a.shape, a.dtype, a.copy()) for a in arrays]
    noted = []   # the guard passes every numpy error to a function that drops it: this one notes an overflow
    with np.errstate(over="call", call=lambda kind, flag: noted.append(kind) if kind == "overflow" else None):
        settings = np.geterr()
        with _overflow_kept_an_error(settings) as asked:
            try:
                with warnings.catch_warnings(record=True) as warned:   # round 39 (r399a H2): numpy's error state
                    warnings.simplefilter("always")   # is per context, so a fresh one (contextvars.Context().run, a
                    result = f(*args, **kwargs)   # thread) warns of an overflow instead of calling the check
                noted += ["overflow" for w in warned if issubclass(w.category, RuntimeWarning)
                          and "overflow" in str(w.message)]
            except FloatingPointError:   # the answer's own np.errstate(over="raise")
                if asked["silenced"]:
                    raise Mismatch(t(_SILENCED)) from None
                raise
            except ValueError as error:   # numpy's own words do not say why the learner's array was read-only
                if "read-only" not in str(error):
                    raise
                raise Mismatch(t(_WROTE_INTO_AN_INPUT, error=error)) from None
        if noted:
            raise Mismatch(t(_SILENCED)) if asked["silenced"] else FloatingPointError(f"{noted[0]} encountered")
        if np.geterr() != settings or asked["settings"] != settings:
            raise Mismatch(t(_SETERR))
    if not _unchanged(arrays, before):
        raise input_changed()
    return result


# round 39: the numpy-only watch of lessons 01 and 02 sees numpy call these for the answer (np.errstate, its error
# callback): they are the check's own code, not a helper the answer reached
_CHECK_CODES.update(_inner_codes(_overflow_kept_an_error.__wrapped__) | _inner_codes(_locked_call))


def _gate_answers(weights_fn, case):
    """Run a (w, b)-returning function; the sigmoid neuron's answer on each of the gate's inputs: 1 yes (output above
    0.5), 0 no (below 0.5), and 0.5 where the sigmoid outputs exactly 0.5, neither yes nor no: on the boundary
    w.x + b = 0, and wherever |w.x + b| is so small (below about 2e-16) that sigmoid(w.x + b) rounds to 0.5."""
    answer = weights_fn()
    if answer is None:
        raise Mismatch(t("the function returned None. Did you forget `return`?"))
    if not isinstance(answer, (tuple, list)) or len(answer) != 2 or np.shape(answer[0]) != (2,) \
            or np.size(answer[1]) != 1:
        raise Mismatch(t("return a pair (w, b): w an array of two weights, b one number; got {got}",
                         got=short(answer)))
    w, b = answer
    if not isinstance(w, (list, tuple, np.ndarray)) or isinstance(w, (np.matrix, np.ma.MaskedArray)):
        raise Mismatch(t(_W_PLAIN, kind=type(w).__name__))   # round 16: a torch tensor breaks the next cell's P @ w
    if np.ndim(b) != 0 or np.asarray(b).dtype.kind not in "biuf":
        raise Mismatch(t(_B_ONE_NUMBER, got=short(b)))
    if np.asarray(w).dtype.kind not in "biuf":
        raise Mismatch(t(_W_REAL_NUMBERS, got=short(w)))
    X, _ = logic_gate(case.args[0])
    return (np.sign(ref.sigmoid(X @ np.asarray(w, dtype=float) + b) - 0.5) + 1) / 2   # NaN stays NaN


_GATE_SAYS = {0.0: "no (below 0.5)", 0.5: "neither (exactly 0.5, on the boundary)", 1.0: "yes (above 0.5)"}
_GATE_WRONG = ("for the input {point}, OR says {want}, but your neuron's output sigmoid(w.x + b) says {got}: the "
               "inputs are (0, 0), (0, 1), (1, 0) and (1, 1), and OR says yes for every one but (0, 0)")


def _compare_gate(got, want):
    """compare_values, after naming the first of the four inputs where the neuron's answer (0 no, 0.5 on the boundary,
    1 yes, NaN none) differs from the gate's (round 25: "wrong value at index 1: expected 1, got 0" left a beginner to
    work out which input index 1 is, and what 1 and 0 mean)."""
    g, w = (np.asarray(to_numpy(v), dtype=float) if np.shape(v) == (4,) else None for v in (got, want))
    if g is not None and w is not None:
        inputs, _ = logic_gate("OR")
        for point, mine, right in zip(inputs, g, w):
            if not mine == right:
                raise Mismatch(t(_GATE_WRONG, point=f"({point[0]:.0f}, {point[1]:.0f})", want=t(_GATE_SAYS[right]),
                                 got=t(_GATE_SAYS.get(mine, "nothing (NaN)"))))
    compare_values(got, want)


def _or_weights():
    return np.array([10.0, 10.0]), -5.0


# ----------------------------------------------------------------------------- catalogued mistakes
def _naive_sigmoid(z):
    return 1 / (1 + np.exp(-np.asarray(z, dtype=float)))


def _where_both_naive(z):
    z = np.asarray(z, dtype=float)
    return np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z)))


def _clipped_for_float64(z):
    z = np.asarray(z)   # float32 stays float32
    return 1 / (1 + np.exp(-np.clip(z, -500, 500)))


def _exp_in_the_input_dtype(z):
    decay = np.exp(-np.abs(z))   # float16 for int8 or uint8 z
    return np.where(np.asarray(z) >= 0, 1 / (1 + decay), decay / (1 + decay))


def _float16_kept(z):
    z = np.asarray(z)
    z = z if z.dtype.kind == "f" else z.astype(float)   # whole numbers become floats, float16 stays float16
    tail = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + tail), tail / (1 + tail))


def _abs_in_the_input_dtype(z):
    z = np.asarray(z)
    e = np.exp(-np.abs(z).astype(float))   # np.abs in int8 keeps -128 as -128, so e = np.exp(128)
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def _naive_in_long_double(z):
    return 1 / (1 + np.exp(-np.asarray(z, dtype=np.longdouble)))   # overflows above about 11356 instead of 709


def _math_exp_sigmoid(z):
    import math

    return 1 / (1 + math.exp(-z))


def _math_exp_for_one_number(z):
    import math

    if np.ndim(z) == 0:
        return 1 / (1 + math.exp(-z))
    return ref.sigmoid(z)   # the stable form for arrays


def _step_after_a_caught_overflow(z):
    z = np.asarray(z, dtype=float)
    try:
        with np.errstate(over="raise"):
            return 1 / (1 + np.exp(-z))
    except FloatingPointError:   # one value beyond np.exp's range makes the whole array a step
        return np.where(z > 0, 1.0, 0.0)


def _layer_step_after_a_caught_overflow(X, W, b):
    return _step_after_a_caught_overflow(np.asarray(X) @ np.asarray(W).T + b)


def _sign_flipped_sigmoid(z):
    e = np.exp(-np.abs(np.asarray(z, dtype=float)))
    return np.where(np.asarray(z) >= 0, e / (1 + e), 1 / (1 + e))


def _in_place_sigmoid(z):
    z = np.asarray(z, dtype=float)  # the same array when z already holds floats
    small = np.exp(-np.abs(z))
    z[...] = np.where(z >= 0, 1 / (1 + small), small / (1 + small))
    return z


def _masks_skip_nan(z, allocate=np.zeros_like):
    z = np.asarray(z, dtype=float)
    out = allocate(z)   # np.empty_like: the check leaves a value there that no right answer gives
    pos, neg = z >= 0, z < 0   # a NaN is in neither
    out[pos] = 1 / (1 + np.exp(-z[pos]))
    out[neg] = np.exp(z[neg]) / (1 + np.exp(z[neg]))
    return out


def _masks_skip_nan_in_empty_like(z):
    return _masks_skip_nan(z, np.empty_like)


def _integer_zeros_like(z):
    z = np.asarray(z)
    out = np.zeros_like(z)   # an integer array when z holds whole numbers
    pos = z >= 0
    out[pos] = 1 / (1 + np.exp(-z[pos]))
    out[~pos] = np.exp(z[~pos]) / (1 + np.exp(z[~pos]))
    return out


def _stable_sigmoid_of_one_number(v):
    import math

    e = math.exp(-abs(float(v)))
    return 1 / (1 + e) if v >= 0 else e / (1 + e)


def _vectorized_sigmoid(z):
    return np.vectorize(_stable_sigmoid_of_one_number)(z)   # no otypes=: raises on an empty array


def _in_place_with_the_flag_switched_off(z):
    if not isinstance(z, np.ndarray) or z.dtype.kind != "f":
        return ref.sigmoid(z)
    z.flags.writeable = True   # the caller's array, written below
    z[...] = ref.sigmoid(z)
    return z


def _sigmoid_at_least_1d(z):
    return ref.sigmoid(np.atleast_1d(z))   # a number becomes an array of shape (1,)


def _relu_at_least_1d(z):
    return np.maximum(0.0, np.atleast_1d(np.asarray(z, dtype=float)))


def _vectorized_relu(z):
    return np.vectorize(lambda v: max(0.0, v))(z)   # no otypes=: raises on an empty array


def _sigmoid_shifted_by_max(z):
    z = np.asarray(z, dtype=float)
    m = np.maximum(z, 0)   # the shift of a stable softmax over (0, z): inf - inf is nan at z = inf
    return np.exp(z - m) / (np.exp(-m) + np.exp(z - m))


def _python_max_relu(z):
    return max(0, z)


def _in_place_relu(z):
    z = np.asarray(z, dtype=float)  # the same array when z already holds floats
    z[z < 0] = 0
    return z


def _abs_relu(z):
    return np.abs(np.asarray(z, dtype=float))


def _relu_halved(z):
    z = np.asarray(z)   # the sum overflows above about 1.7e38 in float32, above about 9e307 in float64
    return (np.abs(z) + z) / 2


def _relu_derivative_instead(z):
    return (np.asarray(z, dtype=float) > 0).astype(float)


def _neuron_without_activation(x, w, b):
    return np.dot(w, x) + b


def _neuron_without_bias(x, w, b):
    return ref.sigmoid(np.dot(w, x))


def _neuron_bias_after_the_sigmoid(x, w, b):
    return ref.sigmoid(np.dot(w, x)) + b


def _neuron_bias_in_every_product(x, w, b):
    return ref.sigmoid(np.sum(w * x + b))


def _neuron_elementwise(x, w, b):
    return ref.sigmoid(np.asarray(w) * np.asarray(x) + b)


def _neuron_zip(x, w, b):
    return ref.sigmoid(sum(w_j * x_j for w_j, x_j in zip(w, x)) + b)


def _neuron_sum_of_products(x, w, b):
    return ref.sigmoid(np.sum(np.asarray(w) * np.asarray(x)) + b)


def _neuron_products_like_x(x, w, b):
    if len(x) != len(w):
        raise ValueError("x and w differ in length")
    products = np.zeros_like(x)   # an integer array when x holds whole numbers
    for i in range(len(x)):
        products[i] = w[i] * x[i]
    return ref.sigmoid(products.sum() + b)


def _neuron_with_w_as_a_row(x, w, b):
    return ref.sigmoid(np.atleast_2d(w) @ x + b)   # (1, n) @ (n,): an array of shape (1,)


def _neuron_clipped_for_float64(x, w, b):
    return _clipped_for_float64(np.dot(w, x) + b)


def _neuron_naive_sigmoid(x, w, b):
    return 1 / (1 + np.exp(-(np.dot(w, x) + b)))


def _layer_clipped_for_float64(X, W, b):
    return _clipped_for_float64(np.asarray(X) @ np.asarray(W).T + b)


def _layer_naive_sigmoid(X, W, b):
    return 1 / (1 + np.exp(-(np.asarray(X) @ np.asarray(W).T + b)))


def _layer_naive_in_long_double(X, W, b):
    return 1 / (1 + np.exp(-(np.asarray(X, dtype=np.longdouble) @ np.asarray(W).T + b)))


def _layer_untransposed(X, W, b):
    return ref.sigmoid(np.asarray(X) @ np.asarray(W) + b)


def _layer_neurons_as_rows(X, W, b):
    return ref.sigmoid(np.asarray(W) @ np.asarray(X).T + np.asarray(b)[:, None])


def _layer_bias_added_in_place(X, W, b):
    weighted = np.asarray(X) @ np.asarray(W).T   # an integer array when X and W hold whole numbers
    weighted += b
    return ref.sigmoid(weighted)


def _layer_output_like_X(X, W, b):
    X = np.asarray(X)
    out = np.zeros((X.shape[0], np.shape(W)[0]), dtype=X.dtype)   # integers when X holds whole numbers
    out[...] = X @ np.asarray(W).T + b
    return ref.sigmoid(out)


def _layer_by_broadcasting(X, W, b):
    products = np.asarray(X)[:, None, :] * np.asarray(W)[None, :, :]   # (batch, n_out, n_in), no matrix product
    return ref.sigmoid(products.sum(axis=2) + b)


def _layer_along_axis(X, W, b):
    if np.shape(X)[1] != np.shape(W)[1]:
        raise ValueError("X and W differ in the number of features")
    return np.apply_along_axis(lambda x: ref.sigmoid(np.asarray(W) @ x + b), 1, X)   # raises for a batch of none


def _layer_row_by_row_in_a_list(X, W, b):
    if np.shape(X)[1] != np.shape(W)[1]:
        raise ValueError("X and W differ in the number of features")
    return np.array([ref.sigmoid(np.asarray(W) @ x + b) for x in X])   # shape (0,) for a batch of none


def _layer_bias_reshaped_in_place(X, W, b):
    b.shape = (1, -1)   # the caller's b becomes a row
    return ref.sigmoid(np.asarray(X) @ np.asarray(W).T + b)


def _layer_without_activation(X, W, b):
    return np.asarray(X) @ np.asarray(W).T + b


def _layer_bias_after_the_sigmoid(X, W, b):
    return ref.sigmoid(np.asarray(X) @ np.asarray(W).T) + b


def _layer_with_relu(X, W, b):
    return np.maximum(0.0, np.asarray(X) @ np.asarray(W).T + b)


def _and_weights():
    return np.array([1.0, 1.0]), -1.5


def _positive_bias():
    return np.array([1.0, 1.0]), 0.5


def _bias_outweighs():
    return np.array([0.2, 0.2]), -0.5


def _nand_weights():
    return np.array([-1.0, -1.0]), 1.5


def _zero_bias():
    return np.array([1.0, 1.0]), 0.0


def _bias_minus_weight():
    return np.array([1.0, 1.0]), -1.0


def _weights_too_small():
    return np.array([1e-17, 1e-17]), -5e-18   # the right signs, but sigmoid(w.x + b) rounds to 0.5 everywhere


_OVERFLOW = ("np.exp overflowed. 1 / (1 + np.exp(-z)) overflows for large negative z and np.exp(z) / (1 + np.exp(z)) "
            "for large positive z, and np.where(cond, a, b) computes BOTH a and b for every element before choosing, "
            "so a naive branch overflows even where it is not used. Compute e = np.exp(-np.abs(z)) once "
            "(never above 1) and build both branches from it")


_CAUGHT_OVERFLOW = ("one value of the {0} lies beyond the exponential's range (np.exp or math.exp overflows there), "
                    "and your function then answered 0 or 1 for the whole {0}, so the values near zero in it came out "
                    "0 or 1 too (sigmoid(0.5) is 0.62, not 1). Do not catch the overflow or test for it, avoid it: ")


_AT_LEAST_1D = ("a number must give a number of shape (), as z has: np.atleast_1d, np.array(z, ndmin=1) and np.ravel "
                "turn it into an array of shape (1,); np.asarray(z, dtype=float) keeps it 0-d")


_VECTORIZE = ("np.vectorize without otypes= calls your function on the first value to learn the result's type, so it "
              "raises ValueError on an empty array (a 0 in its shape), which is still an array: give "
              "np.vectorize(..., otypes=[float]), or compute on the whole array at once")


_CALLERS_ARRAY = ("switching the read-only flag off (.flags.writeable = True, .setflags(write=True)) or setting "
                  ".shape acts on the caller's array itself, which the check passes read-only to show this: leave the "
                  "inputs as they are and compute new arrays (b.reshape(1, -1) instead of b.shape = ..., "
                  "np.where(...) instead of writing into z)")


_ZERO_ITSELF = ("expected {want}, got {got}: ReLU compares with 0 itself, so a positive value, however small (1e-300), "
                "is kept as it is, and a negative one, however close to 0, becomes exactly 0. Keep no tolerance around 0 "
                "(z > 1e-9) and no floor (np.maximum(z, 1e-9), np.finfo(float).eps): np.maximum(0, z)")


def _compare_relu(got, want):
    """compare_values, and then each value with no absolute tolerance (round 21): 1e-8 took the 1e-9 of a floor for the
    0 of a negative input, and the 0 of a threshold at 1e-9 for a positive value below it."""
    compare_values(got, want)
    g, w = np.asarray(to_numpy(got), dtype=float), np.asarray(want, dtype=float)
    off = ~np.isclose(g, w, rtol=1e-6, atol=0, equal_nan=True)
    if off.any():
        raise Mismatch(t(_ZERO_ITSELF, want=f"{w[off].flat[0]:g}", got=f"{g[off].flat[0]:g}"))


_BIAS_AFTER = ("b was added after the sigmoid, so the output can leave (0, 1); the bias belongs to the weighted sum, "
               "inside the activation: sigmoid(np.dot(w, x) + b)")


_NEURON_WITHOUT_SIGMOID = ("your neuron's output is the weighted sum z = w.x + b itself (no activation, or ReLU, which "
                           "gives a positive z back as it is); this neuron's output is sigmoid(z): "
                           "sigmoid(np.dot(w, x) + b)")


_CLIPPED_FOR_FLOAT64 = ("np.exp overflows on float32 values above 88.7 (float32 reaches only about 3.4e38), so a clip "
                        "or threshold sized for float64 (500, 700) does not prevent it: ")


_B_ONE_NUMBER = ("b must be one real number, such as -0.5, not one value in a list, a tuple or an array (np.array([-0.5]) "
                 "has shape (1,)) and not a complex number; got b = {got}")
_W_PLAIN = ("w must be a plain numpy array (or a list) of two numbers, not a {kind}: the next cell computes P @ w with "
            "a numpy array P, which fails for a torch tensor, and a masked array hides the weights it masks")
_W_REAL_NUMBERS = "w must hold two real numbers (floats or integers), not strings or complex numbers; got w = {got}"

_LONG_DOUBLE = ("np.longdouble (float128) only moves the overflow of np.exp further out, to about 11356, and on Windows it "
                "is plain float64: ")


_ON_THE_LINE = ("an input lies exactly on your boundary w.x + b = 0 (shown as 0.5), or so close to it (|w.x + b| below "
                "about 1e-16) that the sigmoid rounds to exactly 0.5 there, neither yes nor no. Keep (0, 0) clearly on "
                "the no side (w.x + b < 0) and the other three inputs clearly on the yes side: a negative bias, less "
                "negative than each weight, and not a tiny one such as -1e-17")


# course functions that run the course's own activation given to them or held as a default (neuron's activation=sigmoid,
# get_activation's table, mlp.forward's layers), where the check watches only the name in the neurons module; round 20:
# 00b's bigpicture.hidden_features computes np.maximum(0.0, X @ W + b) itself, a ReLU for W = [[1]] and b = [0]
_RUN_THE_ACTIVATIONS = (ref.neuron, ref.dense_layer, ref.get_activation, mlp.forward,
                        "course_utils.widgets.neuron:neuron_surface",   # 01b's explorer, watched once loaded
                        "course_utils.bigpicture:hidden_features")


EXERCISES = {
    "sigmoid": Exercise(
        reference=ref.sigmoid,
        cases=_sigmoid_cases,
        # round 19: neurons.neuron's default activation, get_activation's table and mlp.forward's output run the
        # course's sigmoid past the check's watch on neurons.sigmoid
        # round 25: and _stable_sigmoid_of_one_number, a right sigmoid of one number inside a catalogued mistake,
        # which a graded release ships whole
        run=new_results(refusing_course_versions(_call_without_overflow,
                                                 (*_RUN_THE_ACTIVATIONS, _stable_sigmoid_of_one_number, _NUMPY_ONLY))),
        compare=compare_probabilities,
        hint="1 / (1 + np.exp(-z)) is right for moderate z; for z = -1000 np.exp(1000) overflows. "
        "Use e = np.exp(-np.abs(z)) and pick 1 / (1 + e) or e / (1 + e) by the sign of z with np.where "
        "(np.where computes both branches everywhere, so neither may overflow).",
        mistakes=(
            Mistake("naive formula in np.longdouble", _naive_in_long_double, "np.longdouble (float128) only moves the "
                    "overflow further out, to |z| above about 11356, and on Windows it is plain float64: use "
                    "e = np.exp(-np.abs(z)), which never overflows in any dtype"),
            Mistake("naive formula", _naive_sigmoid, _OVERFLOW),
            Mistake("np.where with the naive branches", _where_both_naive),
            Mistake("clip sized for float64", _clipped_for_float64,
                    _CLIPPED_FOR_FLOAT64 + "use e = np.exp(-np.abs(z)), which never overflows in any dtype"),
            Mistake("a naive formula for one number", _math_exp_for_one_number, "a single number takes another path "
                    "in your code, and there math.exp(1000) overflows (OverflowError): use the stable formula for "
                    "single numbers too; np.exp(-np.abs(z)) and np.where work on a number as well as on an array"),
            Mistake("math.exp", _math_exp_sigmoid, "math.exp works on one number only; use np.exp, which works "
                    "element by element on arrays"),
            Mistake("changes z in place", _in_place_sigmoid, "writing the result into z (z[...] = ...) overwrites "
                    "the caller's array; the check passes read-only arrays, so this raises. Return a new array: "
                    "np.where(z >= 0, 1 / (1 + e), e / (1 + e))"),
            Mistake("read-only flag switched off", _in_place_with_the_flag_switched_off, _CALLERS_ARRAY),
            Mistake("float16 kept", _float16_kept, "np.exp of float16 numbers computes in float16, which keeps about 3 "
                    "digits and nothing below 6e-8, so sigmoid(-20), 2e-9, came out 0: turn z into float64 first with "
                    "np.asarray(z, dtype=float), whatever its dtype"),
            Mistake("integer result", _integer_zeros_like, "for whole-number input, np.zeros_like(z) (or np.empty_like) "
                    "is an integer array and every value written into it is cut to a whole number: turn z into floats "
                    "first with np.asarray(z, dtype=float)"),
            *(Mistake(name, answer, "NaN >= 0 and NaN < 0 are both False, so with two masks "
                      "z >= 0 and z < 0 a NaN position is never filled in: take the second mask as ~(z >= 0), or use "
                      "np.where(z >= 0, ..., ...)")
              for name, answer in [("masks skip NaN", _masks_skip_nan),
                                   ("masks skip NaN in np.empty_like", _masks_skip_nan_in_empty_like)]),
            Mistake("computed in the input's integer dtype", _exp_in_the_input_dtype, "np.exp of int8 or uint8 "
                    "numbers computes in float16, which keeps about 3 digits (and -np.abs of uint8 numbers wraps around "
                    "to large positive ones): turn z into floats first with np.asarray(z, dtype=float)"),
            Mistake("np.abs in the input's integer dtype", _abs_in_the_input_dtype, "np.abs ran in z's own integer "
                    "dtype, where int8's -128 has no positive partner (int8 holds 127 at most) and stays -128, so "
                    "e = np.exp(128) is huge and sigmoid(-128) came out near 1: turn z into floats before np.abs, "
                    "with np.asarray(z, dtype=float)"),
            Mistake("np.atleast_1d", _sigmoid_at_least_1d, _AT_LEAST_1D),
            Mistake("np.vectorize without otypes", _vectorized_sigmoid, _VECTORIZE),
            Mistake("shifted by max(z, 0)", _sigmoid_shifted_by_max, "at z = inf the shift z - np.maximum(z, 0) "
                    "is inf - inf = nan, yet sigmoid(inf) is 1: build both branches from e = np.exp(-np.abs(z)), "
                    "which is 0 at z = inf and at z = -inf"),
            Mistake("a step after a caught overflow", _step_after_a_caught_overflow,
                    _CAUGHT_OVERFLOW.format("array") + "e = np.exp(-np.abs(z)) is never above 1, and both branches "
                    "built from it are safe"),
            Mistake("branches swapped", _sign_flipped_sigmoid, "the two branches are swapped: for z >= 0 use "
                    "1 / (1 + e), for z < 0 use e / (1 + e), with e = np.exp(-np.abs(z))"),
        ),
    ),
    "relu": Exercise(
        reference=ref.relu,
        cases=_activation_cases,
        run=new_results(refusing_course_versions(called, (*_RUN_THE_ACTIVATIONS, _NUMPY_ONLY))),   # round 19: as sigmoid's
        compare=_compare_relu,
        hint="ReLU is max(0, z) element by element: np.maximum(0, z) (not Python's max, which takes one number).",
        mistakes=(
            Mistake("Python's max", _python_max_relu, "Python's max(0, z), like an `if z > 0:`, asks one question "
                    "about the whole of z: on an array numpy refuses it (the truth value is ambiguous), and max keeps the "
                    "int 0. np.maximum(0, z) works element by element"),
            Mistake("changes z in place", _in_place_relu, "z[z < 0] = 0 overwrites the caller's array. "
                    "Return a new array: np.maximum(0, z)"),
            Mistake("absolute value", _abs_relu, "np.abs turns negative inputs positive; ReLU sets them to 0"),
            Mistake("(|z| + z) / 2", _relu_halved, "(np.abs(z) + z) / 2 adds before it halves, and the sum of two values "
                    "near the largest float (about 1.8e308 in float64, 3.4e38 in float32) overflows to inf: "
                    "np.maximum(0, z) never computes anything larger than z"),
            Mistake("np.atleast_1d", _relu_at_least_1d, _AT_LEAST_1D),
            Mistake("np.vectorize without otypes", _vectorized_relu, _VECTORIZE),
            Mistake("the derivative", _relu_derivative_instead),
        ),
    ),
    "neuron": Exercise(
        reference=ref.neuron,
        cases=_neuron_cases,
        # round 19: a graded release of 01a keeps 01b's dense_layer and 02a's mlp.forward, which compute the neuron
        # for a batch of one
        # round 24: and new results, as sigmoid's: a 0-d array kept between calls and filled in again passed
        run=new_results(refusing_course_versions(_call_without_overflow, (ref.dense_layer, mlp.forward, _NUMPY_ONLY))),
        compare=compare_probabilities,
        hint="Weighted sum first, then the activation: sigmoid(np.dot(w, x) + b). "
        "np.dot raises a ValueError by itself when the lengths differ.",
        mistakes=(
            # round 24: ReLU (exercise 2) gives the weighted sum back where it is positive, as on the first case
            Mistake("no activation", _neuron_without_activation, _NEURON_WITHOUT_SIGMOID),
            Mistake("no bias", _neuron_without_bias, "the bias b is missing: sigmoid(np.dot(w, x) + b)"),
            # round 24: two places for b that a beginner tries
            Mistake("bias after the sigmoid", _neuron_bias_after_the_sigmoid, _BIAS_AFTER),
            Mistake("element-wise product", _neuron_elementwise, "w * x multiplies element by element and gives an "
                    "array; the weighted sum adds those products up: np.dot(w, x)"),
            Mistake("sum of w * x", _neuron_sum_of_products, "np.sum(w * x) (like np.einsum('i,i->', w, x)) broadcasts "
                    "an x of length 1 over every weight instead of raising ValueError; np.dot(w, x) checks the lengths "
                    "for you"),
            # after it: both broadcast an x of length 1, where b = 0 makes them equal
            Mistake("bias in every product", _neuron_bias_in_every_product, "b was added to every product w[i] * x[i], "
                    "so it counts once per input; the neuron has one bias, added once to the weighted sum: "
                    "sigmoid(np.dot(w, x) + b)"),
            Mistake("clip sized for float64", _neuron_clipped_for_float64, _CLIPPED_FOR_FLOAT64 + "call your sigmoid, "
                    "which never overflows: sigmoid(np.dot(w, x) + b)"),
            Mistake("naive sigmoid", _neuron_naive_sigmoid, "1 / (1 + np.exp(-z)) overflows for a very negative "
                    "weighted sum; call your sigmoid, which never overflows: sigmoid(np.dot(w, x) + b)"),
            Mistake("w as a row", _neuron_with_w_as_a_row, "a row of weights (np.atleast_2d(w), w[None, :] or "
                    "w.reshape(1, -1)) gives an array of shape (1,) instead of one number: use the vector itself, "
                    "sigmoid(np.dot(w, x) + b)"),
            Mistake("zip", _neuron_zip, "zip stops at the shorter input, so inputs of different lengths go "
                    "unnoticed; np.dot(w, x) raises the ValueError for you"),
            Mistake("products in an array like x", _neuron_products_like_x, "np.zeros_like(x) (or np.empty_like) "
                    "takes x's dtype: for whole-number inputs every product w[i] * x[i] written into it is cut to a "
                    "whole number. Let np.dot(w, x) add up the products"),
        ),
    ),
    "dense_layer": Exercise(
        reference=ref.dense_layer,
        cases=_layer_cases,
        # round 18: lesson 02a's mlp.forward({"W1": W, "b1": b}, X)[0] is this layer, and the graded release of 01b
        # keeps it
        run=new_results(refusing_course_versions(_call_without_overflow, (mlp.forward, _NUMPY_ONLY))),
        compare=compare_probabilities,
        points=2,   # a whole layer in matrix form: worth two of the single-function exercises
        # round 39 (r399b M1): the hint gave the reference's own line, which passed when pasted
        hint="Each row of W is one neuron, each row of X one example: one matrix product pairs every example with "
        "every neuron's weights (which of X and W must be transposed for the shapes to fit?), then add the biases "
        "and apply your sigmoid. The result has one row per example and one column per neuron.",
        mistakes=(
            Mistake("W not transposed", _layer_untransposed, "W has one ROW per neuron, so multiply by its "
                    "transpose: X @ W.T"),
            Mistake("one row per neuron", _layer_neurons_as_rows, "the result is transposed: it must have one row "
                    "per example, shape (batch, n_out). Use X @ W.T + b"),
            Mistake("no activation", _layer_without_activation, "the layer's outputs go through the sigmoid: "
                    "sigmoid(X @ W.T + b)"),
            Mistake("bias after the sigmoid", _layer_bias_after_the_sigmoid, "b was added after the sigmoid, so the "
                    "outputs can leave (0, 1); the biases belong to the weighted sums, inside the activation: "
                    "sigmoid(X @ W.T + b)"),
            Mistake("ReLU, not the sigmoid", _layer_with_relu, "your layer applies ReLU, max(0, z), to the weighted sums; "
                    "this layer's neurons are sigmoid neurons, with outputs between 0 and 1: sigmoid(X @ W.T + b)"),
            Mistake("clip sized for float64", _layer_clipped_for_float64, _CLIPPED_FOR_FLOAT64 + "call your sigmoid, "
                    "which never overflows: sigmoid(X @ W.T + b)"),
            Mistake("naive sigmoid in np.longdouble", _layer_naive_in_long_double, _LONG_DOUBLE + "call your "
                    "sigmoid, which never overflows in any dtype: sigmoid(X @ W.T + b)"),
            Mistake("naive sigmoid", _layer_naive_sigmoid, "1 / (1 + np.exp(-z)) overflows for very negative "
                    "weighted sums; call your sigmoid, which never overflows: sigmoid(X @ W.T + b)"),
            Mistake("bias added in place", _layer_bias_added_in_place, "z += b writes the bias into z, which holds "
                    "integers when X and W hold whole numbers, so numpy refuses to store a float bias there: write "
                    "z = X @ W.T + b, a new array"),
            Mistake("a feature axis of one stretched", _layer_by_broadcasting, "X and W disagree on the number of "
                    "features, one of them having a single one, yet your layer returned values: np.einsum and a "
                    "broadcast product such as X[:, None, :] * W stretch an axis of length 1 instead of raising. Use "
                    "X @ W.T, which raises the ValueError"),
            Mistake("np.apply_along_axis", _layer_along_axis, "np.apply_along_axis (like a loop over the rows of X) "
                    "cannot handle a batch of no examples, X of shape (0, n_in), where X @ W.T gives the empty result "
                    "of shape (0, n_out): compute the whole batch at once, sigmoid(X @ W.T + b)"),
            Mistake("a list of rows", _layer_row_by_row_in_a_list, "np.array([... for x in X]) of a batch of no "
                    "examples, X of shape (0, n_in), is an empty array of shape (0,), not the (0, n_out) that "
                    "X @ W.T gives: compute the whole batch at once, sigmoid(X @ W.T + b)"),
            Mistake("b reshaped in place", _layer_bias_reshaped_in_place, _CALLERS_ARRAY),
            Mistake("a step after a caught overflow", _layer_step_after_a_caught_overflow,
                    _CAUGHT_OVERFLOW.format("batch") + "call your sigmoid, which never overflows: sigmoid(X @ W.T + b)"),
            Mistake("output array like X", _layer_output_like_X, "np.zeros(..., dtype=X.dtype) holds integers when X "
                    "holds whole numbers, so every weighted sum written into it is cut to a whole number: compute "
                    "sigmoid(X @ W.T + b) directly"),
        ),
    ),
    "or_weights": Exercise(
        reference=_or_weights,
        cases=lambda: [Case(("OR",), label="the OR truth table")],
        run=_gate_answers,
        compare=_compare_gate,   # round 25: names the input
        hint="OR must fire when at least one input is 1: give both inputs the same positive weight, "
        "and a bias that keeps the output below 0.5 only when both inputs are 0.",
        mistakes=(
            Mistake("AND", _and_weights, "these weights compute AND: the neuron fires only when both inputs are 1. "
                    "Make the bias less negative than one weight"),
            Mistake("positive bias", _positive_bias, "with a positive bias the neuron already fires for (0, 0); "
                    "the bias must be negative"),
            Mistake("bias outweighs the weights", _bias_outweighs, "the neuron never fires: one input of 1 must "
                    "lift w.x + b above 0, so each weight must be larger than -b"),
            Mistake("(0, 0) on the boundary", _zero_bias, _ON_THE_LINE),
            Mistake("(0, 1) and (1, 0) on the boundary", _bias_minus_weight, _ON_THE_LINE),
            Mistake("NAND", _nand_weights),
            Mistake("weights too small for the sigmoid", _weights_too_small, "your weights are so small that "
                    "sigmoid(w.x + b) rounds to exactly 0.5 (neither yes nor no) on the inputs shown as 0.5: near "
                    "z = 0 the sigmoid is about 0.5 + z / 4, and float64 cannot tell 0.5 + 1e-17 from 0.5. Multiply w "
                    "and b by the same large factor: the boundary stays where it is"),
        ),
    ),
}

NOTEBOOKS = {
    "01a_neurons_and_activations": ("sigmoid", "relu", "neuron"),
    "01b_boundaries_and_xor": ("or_weights", "dense_layer"),
}
