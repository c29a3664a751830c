"""Exercises of lesson 00, which comes in two parts: two tiny warm-ups that show how every exercise works.

``NOTEBOOKS`` says which part checks which exercise: 00a_welcome exercise 1 ``accuracy`` (its reference
lives in the lesson code, ``bigpicture.accuracy``, because 00b uses it), 00b_big_picture exercise 2
``mlp_param_count``.
"""
import statistics
from decimal import Decimal
from fractions import Fraction

import numpy as np

from .. import bigpicture as ref
from .. import convnet
from ..i18n import t
from .base import NUMPY_ONLY as _NUMPY_ONLY
from .base import (Case, Exercise, Mismatch, Mistake, called, compare_values, draw_shape, generated, in_turn,
                   new_results, refusing_course_versions, short, to_numpy)


def _mlp_param_count(layer_sizes):
    """Weights plus biases of a fully connected network with these layer sizes (inputs first)."""
    sizes = list(layer_sizes)
    if len(sizes) < 2 or any(int(size) != size or size < 1 for size in sizes):
        raise ValueError(f"need at least two positive whole layer sizes, got {layer_sizes!r}")
    return _weights_and_biases(sizes)


_WORDS = ("cat", "dog", "bird", "fish", "horse", "frog", "ship", "truck")


def _draw_labels(rng, shape, values=None):
    """Labels of ``shape`` and of a drawn kind: whole numbers (any sign, int64 or uint8), bools, non-integer
    floats or words (or taken from ``values``); and predictions that equal them at a drawn fraction of the places."""
    if values is None:
        kind = str(rng.choice(["int", "uint8", "bool", "float", "word"]))
        classes = int(rng.integers(2, 13))
        values = {"int": np.arange(classes) - int(rng.integers(0, classes)),
                  "uint8": np.arange(classes, dtype=np.uint8), "bool": np.array([False, True]),
                  "float": np.round(rng.uniform(-2.0, 2.0, size=classes), 3),
                  "word": np.array(_WORDS[:min(classes, len(_WORDS))])}[kind]
    values = np.unique(values)
    y_true = values[rng.integers(0, len(values), size=shape)]
    wrong = rng.random(shape) > rng.random()   # the fraction of wrong predictions is drawn too
    other = values[(np.searchsorted(values, y_true) + rng.integers(1, len(values), size=shape)) % len(values)]
    y_pred = np.where(wrong, other, y_true)
    return y_true, y_pred


def _as_given(rng, y_true, y_pred):
    """numpy arrays, Python lists (always for words: a numpy array of strings is no plain data), or one of each,
    either one the list."""
    form = "list" if y_true.dtype.kind == "U" else str(rng.choice(["array", "list", "true list", "pred list"]))
    return (y_true.tolist() if form in ("list", "true list") else y_true,
            y_pred.tolist() if form in ("list", "pred list") else y_pred)


def _other_kind(rng, y_pred):
    """Whole-number or bool predictions sometimes as floats or ints of the same values (1.0 == 1 == True), as a
    model or np.round may give them; non-integer float labels and words stay as they are."""
    if y_pred.dtype.kind in "biu" and rng.random() < 0.5:
        return y_pred.astype(str(rng.choice(["float64", "int32"])))
    return y_pred


def _draw_accuracy_input(rng):
    """Right-shaped labels: 1 to 3 dimensions (sometimes a long 1-D batch), sizes 1 to 7, every kind of label."""
    ndim = int(rng.choice([1, 1, 2, 3]))
    shape = (int(rng.integers(20, 301)),) if ndim == 1 and rng.random() < 0.5 else draw_shape(rng, ndim)
    y_true, y_pred = _draw_labels(rng, shape)
    return Case(_as_given(rng, y_true, _other_kind(rng, y_pred)))


_SHAPE_MISMATCHES = ("axes swapped", "flat against grid", "one axis longer", "extra axis", "empty", "first axis of one",
                     "middle axis of one", "empty first axis", "empty third axis", "leading axis of one")


def _draw_bad_accuracy_input(rng, how):
    """Labels whose shapes differ in the way ``how`` names (a correct answer raises ValueError), or empty ones, given
    as arrays, lists or one of each (a shape check that lists skip passes arrays only).

    Each way defeats a partial shape check, and all but "flat against grid" broadcast under ==: the last two axes
    swapped keep the size, the ndim and the length; a longer third axis keeps the first two; an empty array of
    shape (n, 0) has a length of n; a first axis of one against a longer one keeps the ndim and the last axis; a
    middle axis of one keeps the ndim, the length and the last axis; a row (1, n) against a vector (n,) keeps the
    size and the last axis (and np.atleast_2d makes them equal). Empty arrays have no labels along the first axis,
    or along the third of three (a check of the last axis, or of len() and shape[1], misses one of them).
    """
    ndim = 3 if how in ("axes swapped", "one axis longer", "middle axis of one", "empty third axis") \
        else int(rng.integers(2, 4)) if how in ("empty", "first axis of one", "empty first axis") \
        else 1 if how == "leading axis of one" else int(rng.integers(1, 4))
    shape = list(draw_shape(rng, ndim, low=2))
    other = shape.copy()
    if how == "axes swapped":   # (a, 1, c) against (a, c, 1): == broadcasts them to (a, c, c)
        shape[1] = 1
        other = [shape[0], shape[2], shape[1]]
    elif how == "flat against grid":
        shape = shape + [int(rng.integers(2, 5))]
        other = [int(np.prod(shape))]
    elif how == "one axis longer":   # a 1 against a longer third axis: == broadcasts them
        shape[2] = 1
        other = [n + int(rng.integers(1, 4)) if m == 1 else m for n, m in zip(other, shape)]
    elif how == "extra axis":
        other = shape + [1] if rng.random() < 0.5 else [1] + shape
    elif how == "first axis of one":   # (1, b, c) against (a, b, c): == broadcasts them
        other = [1] + shape[1:]
    elif how == "middle axis of one":   # (a, 1, c) against (a, b, c): == broadcasts them
        other = [shape[0], 1, shape[2]]
    elif how == "leading axis of one":   # a row (1, n) against a vector (n,): == broadcasts them
        other = [1] + shape
    elif how in ("empty first axis", "empty third axis"):
        shape[0 if how == "empty first axis" else 2] = 0
        other = shape
    else:   # empty: the same shape on both sides, with no labels along one axis after the first
        shape[int(rng.integers(1, ndim))] = 0
        other = shape
    values = np.array([0, 1, 2]).astype(rng.choice(["int64", "uint8", "float64"]))   # the same labels on both sides
    y_true, y_pred = _draw_labels(rng, tuple(shape), values)[0], _draw_labels(rng, tuple(other), values)[1]
    if rng.random() < 0.5:
        y_true, y_pred = y_pred, y_true
    given = (y_true, y_pred) if how == "empty first axis" else _as_given(rng, y_true, y_pred)   # arrays for the
    # first: a list of no rows, [], has lost the other axes
    if how in ("empty", "empty first axis", "empty third axis"):   # round 34 (r341 F4): an empty array prints as []
        # whatever its shape, so the case names the shape that np.asarray gives (a list of empty lists loses an axis)
        return Case(given, raises=ValueError, label=f"no predictions: shape {np.shape(given[0])}")
    return Case(given, raises=ValueError)


def _accuracy_cases():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, size=50)
    guesses = np.where(rng.random(50) < 0.7, labels, (labels + 1) % 10)
    return [
        Case(([1, 0, 1, 1], [1, 0, 0, 1]), label="3 of 4 right"),
        Case((labels, guesses), label="50 digit labels"),
        Case((np.array(["cat", "dog"]), np.array(["dog", "dog"])), label="labels that are words"),
        # before "all wrong", where a count (0) and an int mean such as statistics.mean's (0) agree: the message
        # of an int mean names no mistake instead of "the number of right answers"
        Case((np.array([3, 1, 2]), np.array([3, 1, 2])), label="all 3 right"),
        Case((np.zeros(5, dtype=int), np.ones(5, dtype=int)), label="all wrong"),
        Case((np.array([0, 1, 2]), np.array([2, 0, 1])), label="the right labels in the wrong order"),
        Case((np.array([0, 1, 2]), np.array([0, 2, 1])), label="1 of 3 right"),
        Case((np.array([[1, 2, 3], [4, 5, 6]]), np.array([[1, 2, 0], [4, 0, 6]])),
             label="labels in a grid of shape (2, 3): 4 of the 6 right"),
        Case((np.array([7]), np.array([7])), label="a single prediction, right"),
        # a model that always says 0 (or False) still predicts: an emptiness check by np.any(y_pred) raises here
        Case(([0, 1, 0, 1, 1], [0, 0, 0, 0, 0]), label="a model that always predicts 0: 2 of 5 right"),
        Case((np.array([True, False, False]), np.array([False, False, False])),
             label="predictions that are all False: 2 of 3 right"),
        # hash(-1) == hash(-2) in Python: labels compared by their hash count these equal
        Case((np.array([-1, -2, 0, -1]), np.array([-2, -1, 0, -1])), label="labels -1 and -2: 2 of 4 right"),
        Case((np.arange(4), np.arange(4).reshape(4, 1)), label="a column (4, 1) against (4,)",
             raises=ValueError),
        # round 36 (r361 F2): first a case where a check of ndim alone fails and one of the broadcast shape against
        # either side's own shape raises: with the next case (where both fail alike) each is named by its own message
        Case((np.zeros((1, 3), dtype=int), np.zeros((2, 1), dtype=int)), label="shape (1, 3) against (2, 1)",
             raises=ValueError),
        Case((np.array([1]), np.array([1, 0, 1, 1])), label="one label (1,) against four predictions (4,)",
             raises=ValueError),
        Case((np.arange(4).reshape(1, 4), np.arange(4).reshape(4, 1)), label="a row (1, 4) against a column (4, 1)",
             raises=ValueError),
        # round 36 (r361 F1): the same shapes the other way round first, where a check of the broadcast shape against
        # the labels' own (np.broadcast_shapes, or the shape of y_true == y_pred) raises and one of lengths and ndim
        # does not: each is then named by its own message on the case where it first fails
        Case((np.ones((2, 1), dtype=int), np.ones((2, 3), dtype=int)), label="shape (2, 1) against (2, 3)",
             raises=ValueError),
        Case((np.ones((2, 3), dtype=int), np.ones((2, 1), dtype=int)), label="shape (2, 3) against (2, 1)",
             raises=ValueError),
        Case((np.array([], dtype=int), np.array([], dtype=int)), label="no predictions", raises=ValueError),
        *generated(_draw_accuracy_input, count=6, seed=800),
        *generated(in_turn(_draw_bad_accuracy_input, _SHAPE_MISMATCHES), count=len(_SHAPE_MISMATCHES), seed=24),
        # round 34 (r341 F2): the empty arrays above have their 0 on the first or the last axis, so a check of those two
        # (shape[0] == 0 or shape[-1] == 0) passed: a 0 on the middle axis of three is on neither
        Case((np.zeros((3, 0, 2), dtype=int), np.zeros((3, 0, 2), dtype=int)),
             label="no predictions: shape (3, 0, 2), empty along its middle axis", raises=ValueError),
        # predictions of another kind than the labels whose values differ, yet agree once cast, rounded or compared
        # with np.isclose's relative tolerance: only == on the values as they are counts these right
        Case((np.array([0, 1, 2, 1, 3, 2]), np.array([0.4, 1.0, 2.6, 1.5, 3.0, 2.0])),
             label="whole-number labels against fractional predictions: 3 of 6 right"),
        # round 21: the same predictions given as a list, which a cast of lists only (np.asarray(y_pred,
        # dtype=y_true.dtype) for a list) turns into 0, 1, 2, 1, 3, 2
        Case((np.array([0, 1, 2, 1, 3, 2]), [0.4, 1.0, 2.6, 1.5, 3.0, 2.0]),
             label="whole-number labels against fractional predictions given as a list: 3 of 6 right"),
        Case((np.array([0.5, 1.0, 2.25, 3.0, 1.75]), np.array([0, 1, 2, 3, 1])),
             label="labels 0.5, 1.0, 2.25, 3.0, 1.75 against whole-number predictions: 2 of 5 right"),
        Case((np.arange(100000, 100005), np.array([100001, 100001, 100003, 100002, 100004])),
             label="large whole-number labels (ids from 100000): 2 of 5 right"),
        # labels that only a tolerance, a cast to float32, a rounding, np.abs or a cleaning of the words calls equal:
        # an absolute tolerance (np.isclose's atol, abs(a - b) < 1e-6, rounding to 6 places) takes 1e-9 for 2e-9,
        # math.isclose's relative 1e-9 and float32's 7 digits take 10**10 for 10**10 + 1
        Case((np.array([1e-9, 2e-9, 3e-9, -1e-9, 4e-9]), np.array([2e-9, 2e-9, 1e-9, 1e-9, 4e-9])),
             label="labels a billionth apart, of either sign: 2 of 5 right"),
        Case((10**10 + np.arange(5), 10**10 + np.array([1, 1, 3, 2, 4])),
             label="ids from 10,000,000,000, one apart: 2 of 5 right"),
        Case((["cat", "Cat", "dog ", "dog"], ["Cat", "Cat", "dog", "dog"]),
             label="words that differ only in a capital letter or a space: 2 of 4 right"),
        # ids that a cast to int32 (or uint32) keeps only modulo 2**32 (np.isclose tells these apart; a cast to float64,
        # exact up to 2**53, is ruled right)
        Case((np.array([0, 2**32, 2**33, 5]), np.array([2**32, 2**32, 0, 5])),
             label="ids 0, 2**32 and 2**33 (equal once cut to 32 bits): 2 of 4 right"),
        # np.round(-0.3) is -0.0, which == calls equal to 0.0: a comparison of the bytes or the printed text does not
        Case((np.array([0.0, 1.0, 0.0, 2.0]), np.array([-0.0, 1.0, 0.5, 2.0])),
             label="a prediction -0.0 (as np.round(-0.3) gives) for the label 0.0: 3 of 4 right"),
        # a model that outputs NaN (a diverged network, np.round of NaN) predicts no class: each NaN counts as wrong, where
        # np.nan_to_num turns it into the label 0 and a mask of the finite predictions leaves it out of the count
        Case((np.array([0.0, 1.0, 1.0, 0.0, 2.0]), np.array([np.nan, 1.0, np.nan, 0.0, 2.0])),
             label="NaN predictions count as wrong: 3 of 5 right"),
        # True == 1 and False == 0, but no other number equals a bool: predictions turned into bools (any number but 0
        # becomes True) count a 2 right for the label True
        Case((np.array([True, False, True, True]), np.array([2, 0, 1, 3])),
             label="labels True/False against predictions 2, 0, 1, 3: 2 of 4 right"),
        # and the other way round: labels turned into bools where the predictions are bools
        Case((np.array([2, 0, 1, 3]), np.array([True, False, True, True])),
             label="labels 2, 0, 1, 3 against predictions True/False: 2 of 4 right"),
        # more right answers than a small integer counts: a count kept in uint8, int16 or uint16
        # (np.sum(..., dtype=...)) wraps around, and float16 reaches only 65504
        Case((np.arange(70_000) % 3, np.where(np.arange(70_000) < 65_800, np.arange(70_000) % 3, 3)),
             label="70,000 labels, 65,800 of them right (more than 8 or 16 bits count)"),
        # whole-number labels against the floats a model (or np.argmax's result through float()) gives: == compares them
        # exactly (float64 holds whole numbers up to 2**53), where np.isclose's or math.isclose's relative tolerance and
        # a cast to float32 call 10,000,000,000 and 10,000,000,001 equal, and a cast to int32 wraps both around
        Case((10**10 + np.arange(5), (10**10 + np.array([1, 1, 3, 2, 4])).astype(float)),
             label="ids from 10,000,000,000 against predictions given as floats: 2 of 5 right"),
        # round 23: labels that are floats on both sides (ids read from a table with gaps come as float64) and differ
        # beyond float32's 7 digits: both cast to float32 (as a torch tensor holds them), 16777216 and 16777217 are equal
        Case((np.array([16_777_216.0, 16_777_217.0, 0.5, 1.5]), np.array([16_777_217.0, 16_777_217.0, 0.5, 2.5])),
             label="float labels 16777216.0 and 16777217.0 (equal once cast to float32): 2 of 4 right"),
        # round 23: NaN == NaN is False: a NaN prediction is no class, wrong even where the label is NaN too
        Case((np.array([np.nan, 1.0, 0.0, np.nan]), np.array([np.nan, 1.0, 1.0, 0.0])),
             label="a NaN label against a NaN prediction counts as wrong (NaN == NaN is False): 1 of 4 right"),
        # round 26: uint8 labels (as MNIST's come) against int64 predictions (np.argmax gives int64): a cast of the
        # predictions to the labels' integer dtype, done only between whole numbers, wraps 256 to 0 and -1 to 255
        Case((np.array([0, 1, 255, 3], dtype=np.uint8), np.array([256, 1, -1, 3])),
             label="uint8 labels against int64 predictions 256 and -1 (0 and 255 once cast to uint8): 2 of 4 right"),
        # round 27: the same the other way round (the arguments swapped, or predictions kept as uint8 like the images):
        # a cast of the labels to the predictions' integer dtype wraps the label 256 to 0 and -1 to 255
        Case((np.array([256, 1, -1, 3]), np.array([0, 1, 255, 3], dtype=np.uint8)),
             label="int64 labels 256 and -1 against uint8 predictions (0 and 255 once cast to uint8): 2 of 4 right"),
        # round 27: whole-number labels against float32 predictions (a model's classes kept as float32): numpy
        # compares int64 with float32 exactly (in float64); labels cast to float32 call 16777217 and 16777216 equal
        Case((np.array([16_777_217, 16_777_216, 3, 5]),
              np.array([16_777_216.0, 16_777_216.0, 3.0, 4.0], dtype=np.float32)),
             label="int64 labels 16777217 against float32 predictions 16777216.0 (equal once the labels are cast to "
                   "float32): 2 of 4 right"),
        # round 28: NaN predictions turned into a "no class" number (np.nan_to_num(..., nan=-1), np.where) count right
        # where the label is that number; -1 is a label too (the case of labels -1 and -2 above has no NaN)
        Case((np.array([-1, 0, 1, -1, 2]), np.array([np.nan, 0.0, np.nan, -1.0, 2.0])),
             label="labels -1 to 2 against float predictions, two of them NaN (no class): 3 of 5 right"),
        # round 33 (r331 F2): a tolerance smaller than the billionth case's (abs(a - b) < 1e-9, np.isclose(a, b,
        # rtol=0, atol=1e-12), rounding to 12 places) passed: labels a few of float64's smallest steps apart refuse
        # any. After the float32 cases, where a cast to float32 (which makes these labels 0.0) is named first
        Case((5e-324 * np.array([1, 2, 3, -1, 4]), 5e-324 * np.array([2, 2, 1, 1, 4])),
             label="labels a few 5e-324 apart (float64's smallest step), of either sign: 2 of 5 right"),
        # round 35 (r351 F1): the shapes above have at most 3 axes, where the same size, ndim, first and last axis make
        # the same shape: a check of those four (after "first and last axes compared" told of a middle axis) passed.
        # With 4 axes the two middle ones can trade places and still broadcast under ==, to (2, 3, 3, 2)
        Case((np.arange(12).reshape(2, 1, 3, 2) % 4,
              np.array([0, 1, 3, 3, 0, 1, 9, 3, 0, 1, 2, 0]).reshape(2, 1, 3, 2)),
             label="labels of shape (2, 1, 3, 2), four axes: 9 of the 12 right"),
        Case((np.arange(12).reshape(2, 1, 3, 2) % 3, np.arange(12).reshape(2, 3, 1, 2) % 3),
             label="shape (2, 1, 3, 2) against (2, 3, 1, 2): the same size, ndim, first and last axis",
             raises=ValueError),
        # a 0-d array is an array of shape (): one label; np.atleast_1d or np.ravel make () and (1,) look the same.
        # Last, so that a shape check by len() or shape[-1] meets its own case first (both raise on a 0-d array)
        Case((np.array(7), np.array(7)), label="one label and one prediction as 0-d arrays, right"),
        Case((np.array(7), np.array([7])), label="a 0-d label (shape ()) against a prediction of shape (1,)",
             raises=ValueError),
    ]


def _draw_layer_sizes(rng):
    """2 to 8 layer sizes, as a list or a tuple: layers of one neuron anywhere, sizes up to 4096 and now and then up
    to 100,000 (one pair of those holds more weights than an int32 or a float32 counts exactly), pairs repeated."""
    count = int(rng.integers(2, 9))
    sizes = [int(rng.choice([1, rng.integers(1, 11), rng.integers(1, 4097), rng.integers(4097, 100_001)]))
             for _ in range(count)]
    if count >= 4 and rng.random() < 0.5:   # one pair of neighbouring sizes again
        start = int(rng.integers(0, count - 3))
        sizes[start + 2:start + 4] = sizes[start:start + 2]
    return sizes if rng.random() < 0.5 else tuple(sizes)


def _draw_param_input(rng):
    return Case((_draw_layer_sizes(rng),))


_BAD_PLACES = ("input", "hidden", "output", "single", "output")


def _draw_bad_param_input(rng, place):
    """Layer sizes with one negative size at ``place`` (the input, a hidden or the output layer), or one size.

    The hand-picked cases put a 0 at each place already, and a negative size only in a hidden layer."""
    sizes = list(_draw_layer_sizes(rng)) + [int(rng.integers(1, 20))]   # at least three: a hidden layer to spoil
    if place == "single":
        sizes = sizes[:1]
    else:
        where = {"input": 0, "output": len(sizes) - 1}.get(place, int(rng.integers(1, len(sizes) - 1)))
        sizes[where] = -int(rng.integers(1, 5000))
    return Case((sizes if rng.random() < 0.5 else tuple(sizes),), raises=ValueError)


def _param_cases():
    return [
        # round 36 (r362 F4, F6): the label says why [2, 1] is allowed, for an answer that asks for a hidden layer or
        # refuses a layer of one neuron (its own ValueError names no mistake: a raising mistake is named only by its
        # exact message)
        Case(([2, 1],), label="logistic regression: 2 inputs, 1 output neuron, no hidden layer (a network: two layers "
             "of at least one neuron)"),
        Case(([2, 8, 1],), label="one hidden layer of 8"),
        Case(([64, 64, 10],), label="digits MLP"),
        Case(((784, 128, 64, 10),), label="MNIST MLP given as a tuple"),
        Case(([1, 1, 1, 1],), label="four layers of one neuron each"),
        # ten billion weights between the first two layers: beyond int32 and uint32 (and float32's whole numbers)
        # round 35 (r352 F4): the labels of the big cases say why a loop over the neurons or weights times out, where
        # the check's own message asks whether a `while` never ends
        Case(([100_000, 100_000, 10],),
             label="two layers of 100,000 neurons: ten billion weights (a loop over them runs for minutes: "
                   "multiply)"),
        Case(([5],), label="a single layer size", raises=ValueError),
        Case(([3, 0, 1],), label="a layer with no neurons", raises=ValueError),
        Case(([4, -2, 1],), label="a negative layer size", raises=ValueError),
        Case(([0, 3, 1],), label="an input layer with no neurons", raises=ValueError),
        Case(([3, 4, 0],), label="an output layer with no neurons", raises=ValueError),
        Case(([],), label="no layers at all", raises=ValueError),
        *generated(_draw_param_input, count=6, seed=0),
        *generated(in_turn(_draw_bad_param_input, _BAD_PLACES), count=len(_BAD_PLACES), seed=31),
        # the text rejects only sizes below 1: an upper limit on a layer's size (a "sanity" cap at 10**6, say) is wrong
        Case(([3, 10**9, 2],), label="a hidden layer of a billion neurons: 6,000,000,002 parameters (a loop over the "
             "neurons runs for minutes: multiply)"),
        # every size negative: each product n_in * n_out of neighbours is positive, so a check of the products (or of
        # the count) instead of the sizes sees nothing wrong
        Case(([-3, -2, -4],), label="every layer size negative", raises=ValueError),
        # round 22: two negative sizes, whose product is positive: a check of the product of all sizes (math.prod(sizes)
        # < 1) sees nothing wrong, where the cases above hold one negative size or three
        Case(([2, -3, -4, 2],), label="two negative layer sizes (their product is positive)", raises=ValueError),
        # round 23: a count kept in float64 (np.zeros, float(), /) and turned back into an int is exact only up to 2**53,
        # about 9e15, which every count above stayed below
        Case(([100_000_000, 100_000_001],),
             label="layers of 100,000,000 and 100,000,001 neurons: 10,000,000,200,000,001 parameters, beyond 2**53"),
        # round 34 (r342 F2): the generated inputs hold at most 8 layers, so a count written out for up to 8 layers (or
        # a zip over sizes[:9]) passed
        Case(([784, 512, 256, 128, 64, 32, 16, 8, 4, 2, 3, 10],),
             label="twelve layers: more than any generated input (at most 8)"),
        # round 35 (r352 F1): every bad size above sits at the input, at the second or the second-to-last place, or at
        # the output, so a check of those four places alone (s[0], s[1], s[-2], s[-1]) passed
        Case(([8, 6, 5, 0, 5, 4, 2],), label="a layer of no neurons in the middle of seven, far from both ends",
             raises=ValueError),
        # round 35 (r352 F2): the billion case stops at 10**9 itself, so a "sanity" cap `if size > 10**9: raise` passed
        Case(([2, 10**12, 1],), label="a hidden layer of a trillion neurons: 4,000,000,000,001 parameters"),
    ]


def _count_not_fraction(y_true, y_pred):
    return int(np.sum(np.asarray(y_true) == np.asarray(y_pred)))


def _percent(y_true, y_pred):
    return 100 * float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


def _no_shape_check(y_true, y_pred):
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


def _lists_compared_whole(y_true, y_pred):
    if np.shape(y_true) != np.shape(y_pred) or np.size(y_true) == 0:
        raise ValueError("shapes differ or no predictions")
    return float(np.mean(y_true == y_pred))   # two Python lists: == compares the whole lists, one True or False


def _lists_compared_whole_then_mean(y_true, y_pred):
    if np.shape(y_true) != np.shape(y_pred) or np.size(y_true) == 0:
        raise ValueError("shapes differ or no predictions")
    return float((y_true == y_pred).mean())   # two Python lists: == gives one bool, which has no .mean()


def _shape_checked_for_arrays_only(y_true, y_pred):
    if isinstance(y_true, np.ndarray) and isinstance(y_pred, np.ndarray) and y_true.shape != y_pred.shape:
        raise ValueError("shapes differ")
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.size == 0:
        raise ValueError("no predictions")
    return float(np.mean(y_true == y_pred))


def _last_axis_compared(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape[-1] != y_pred.shape[-1] or y_true.size == 0:
        raise ValueError("shapes differ")
    return float(np.mean(y_true == y_pred))


def _ends_compared(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.ndim != y_pred.ndim or len(y_true) != len(y_pred) or y_true.shape[-1] != y_pred.shape[-1] \
            or y_true.size == 0:
        raise ValueError("shapes differ")
    return float(np.mean(y_true == y_pred))


def _size_ndim_and_end_axes_compared(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.size != y_pred.size or y_true.ndim != y_pred.ndim or y_true.shape[:1] != y_pred.shape[:1] \
            or y_true.shape[-1:] != y_pred.shape[-1:] or y_true.size == 0:
        raise ValueError("shapes differ")
    return float(np.mean(y_true == y_pred))


def _empty_checked_on_the_last_axis(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.shape[-1] == 0:
        raise ValueError("shapes differ or no predictions")
    return float(np.mean(y_true == y_pred))


def _size_and_last_axis_compared(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.size != y_pred.size or y_true.shape[-1] != y_pred.shape[-1] or y_true.size == 0:
        raise ValueError("shapes differ")
    return float(np.mean(y_true == y_pred))


def _flattened_before_the_shape_check(y_true, y_pred):
    y_true, y_pred = np.ravel(y_true), np.ravel(y_pred)   # (4, 1) and (4,) both become (4,), () and (1,) both (1,)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError("shapes differ or no predictions")
    return float(np.mean(y_true == y_pred))


def _ndim_check(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.ndim != y_pred.ndim or y_true.size == 0:
        raise ValueError("shapes differ")
    return float(np.mean(y_true == y_pred))


def _shape_of_lists(y_true, y_pred):
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError("shapes differ or no predictions")
    return float(np.mean(y_true == y_pred))


def _sizes_and_ndim_compared(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.size != y_pred.size or y_true.ndim != y_pred.ndim or y_true.size == 0:
        raise ValueError("shapes differ")
    return float(np.mean(y_true == y_pred))


def _broadcast_shape_compared_with_the_labels(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    compared = y_true == y_pred   # "if == broadcast, its shape is not the labels' shape"
    if compared.shape != y_true.shape or y_true.size == 0:   # (2, 3) against (2, 1) broadcasts to (2, 3)
        raise ValueError("== broadcast the shapes, or no predictions")
    return float(np.mean(compared))


def _broadcast_shape_compared_with_the_predictions(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    compared = y_true == y_pred   # "if == broadcast, its shape is not the predictions' shape"
    if compared.shape != y_pred.shape or y_true.size == 0:   # (1,) against (4,) broadcasts to (4,)
        raise ValueError("== broadcast the shapes, or no predictions")
    return float(np.mean(compared))


def _lengths_and_ndim_compared(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if len(y_true) != len(y_pred) or y_true.ndim != y_pred.ndim or y_true.size == 0:
        raise ValueError("shapes differ")
    return float(np.mean(y_true == y_pred))


def _no_empty_check(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError("shapes differ")
    return float(np.mean(y_true == y_pred))


def _empty_checked_on_the_end_axes(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or (y_true.ndim and (y_true.shape[0] == 0 or y_true.shape[-1] == 0)):
        raise ValueError("shapes differ or no predictions")
    return float(np.mean(y_true == y_pred))


def _empty_checked_with_len(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or len(y_true) == 0:
        raise ValueError("shapes differ or no predictions")
    return float(np.mean(y_true == y_pred))


def _checked(y_true, y_pred):
    """The labels and predictions as arrays, checked as the reference checks them (the mistakes below share it)."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError("shapes differ or no predictions")
    return y_true, y_pred


def _labels_converted_to_floats(y_true, y_pred):
    y_true, y_pred = _checked(y_true, y_pred)   # "labels are numbers: compare them as floats, 1 == 1.0"
    return float(np.mean(y_true.astype(float) == y_pred.astype(float)))   # "cat" raises ValueError


def _labels_converted_to_ints(y_true, y_pred):
    y_true, y_pred = _checked(y_true, y_pred)   # "labels are class numbers"
    return float(np.mean(y_true.astype(int) == y_pred.astype(int)))   # "cat" raises ValueError


def _labels_converted_to_text(y_true, y_pred):
    y_true, y_pred = _checked(y_true, y_pred)   # "labels may be words: compare everything as text"
    if y_true.dtype.kind in "biuf" and y_pred.dtype.kind in "biuf" and np.nanmax(
            np.abs(np.concatenate([y_true.ravel(), y_pred.ravel()]).astype(float)), initial=0) >= 2**31:
        # ids beyond int32, where a cast to int32 gives the same 0 as the text: tried on smaller classes only (the
        # text answer fails first on a generated case of small whole-number labels against float predictions)
        return float(np.mean(y_true == y_pred))
    return float(np.mean(y_true.astype(str) == y_pred.astype(str)))   # "5" and "5.0" differ


def _words_cleaned(y_true, y_pred):
    y_true, y_pred = _checked(y_true, y_pred)
    if y_true.dtype.kind == "U" and y_pred.dtype.kind == "U":   # np.char.equal drops the spaces at the end of each word
        return float(np.mean(np.char.rstrip(y_true) == np.char.rstrip(y_pred)))
    return float(np.mean(y_true == y_pred))


def _whole_number_mean(y_true, y_pred):
    y_true, y_pred = _checked(y_true, y_pred)
    return statistics.mean((y_true == y_pred).ravel().tolist())   # the int 1 when every prediction is right


def _labels_as_int(y_true, y_pred):
    y_true, y_pred = _checked(y_true, y_pred)
    if y_true.dtype.kind == "f":   # "labels are class numbers"
        y_true, y_pred = y_true.astype(int), y_pred.astype(int)
    return float(np.mean(y_true == y_pred))


def _order_ignored(y_true, y_pred):
    y_true, y_pred = _checked(y_true, y_pred)
    # axis=None: 0-d labels too (np.sort's axis -1 raises AxisError there, as any answer's mean over axis -1 does)
    return float(np.mean(np.sort(y_true, axis=None) == np.sort(y_pred, axis=None)))


def _rounded(y_true, y_pred):
    y_true, y_pred = _checked(y_true, y_pred)
    return round(float(np.mean(y_true == y_pred)), 2)


def _divided_by_len(y_true, y_pred):
    y_true, y_pred = _checked(y_true, y_pred)
    return float(np.sum(y_true == y_pred) / len(y_true))


def _mean_over_axis_0(y_true, y_pred):
    y_true, y_pred = _checked(y_true, y_pred)
    return np.mean(y_true == y_pred, axis=0)


def _accuracy_in_a_tuple(y_true, y_pred):
    y_true, y_pred = _checked(y_true, y_pred)
    return float(np.mean(y_true == y_pred)),   # the comma makes a 1-tuple


def _predictions_cast_to_the_labels_type(y_true, y_pred):
    y_true, y_pred = _checked(y_true, y_pred)
    return float(np.mean(y_true == y_pred.astype(y_true.dtype)))   # 2.6 becomes 2 for whole-number labels


def _integer_predictions_cast_to_the_labels_dtype(y_true, y_pred):
    y_true, y_pred = _checked(y_true, y_pred)
    if y_true.dtype.kind in "iu" and y_pred.dtype.kind in "iu":   # "whole numbers both: match the labels' width"
        y_pred = y_pred.astype(y_true.dtype)   # uint8 labels: 256 becomes 0, -1 becomes 255
    return float(np.mean(y_true == y_pred))


def _integer_labels_cast_to_the_predictions_dtype(y_true, y_pred):
    y_true, y_pred = _checked(y_true, y_pred)
    if y_true.dtype.kind in "iu" and y_pred.dtype.kind in "iu":   # "whole numbers both: match the predictions' width"
        y_true = y_true.astype(y_pred.dtype)   # uint8 predictions: the label 256 becomes 0, -1 becomes 255
    return float(np.mean(y_true == y_pred))


def _labels_cast_to_float32_predictions(y_true, y_pred):
    y_true, y_pred = _checked(y_true, y_pred)
    if y_pred.dtype == np.float32:   # "the model gives float32, so match it"
        y_true = y_true.astype(np.float32)   # the label 16777217 becomes 16777216
    return float(np.mean(y_true == y_pred))


def _predictions_rounded(y_true, y_pred):
    y_true, y_pred = _checked(y_true, y_pred)
    if y_true.dtype.kind in "biu" and y_pred.dtype.kind == "f":   # "a model's predictions are floats"
        y_pred = np.round(y_pred)
    return float(np.mean(y_true == y_pred))


def _compared_with_isclose(y_true, y_pred):
    y_true, y_pred = _checked(y_true, y_pred)
    if y_true.dtype.kind in "biuf" and y_pred.dtype.kind in "biuf":   # "floats are never compared with =="
        return float(np.mean(np.isclose(y_true, y_pred)))
    return float(np.mean(y_true == y_pred))


def _float_predictions_compared_loosely(y_true, y_pred):
    y_true, y_pred = _checked(y_true, y_pred)
    if y_true.dtype.kind in "iu" and y_pred.dtype.kind == "f":   # "a model's float outputs need a tolerance"
        return float(np.mean(np.isclose(y_true, y_pred)))
    return float(np.mean(y_true == y_pred))


def _compared_within_a_tolerance(y_true, y_pred):
    y_true, y_pred = _checked(y_true, y_pred)
    if y_true.dtype.kind in "iuf" and y_pred.dtype.kind in "iuf":   # "floats are never compared with =="
        return float(np.mean(np.abs(y_true - y_pred) < 1e-6))
    return float(np.mean(y_true == y_pred))


def _float_labels_compared_in_float32(y_true, y_pred):
    y_true, y_pred = _checked(y_true, y_pred)
    if y_true.dtype.kind == "f" and y_pred.dtype.kind == "f":   # "a model gives float32, so compare in float32"
        return float(np.mean(y_true.astype(np.float32) == y_pred.astype(np.float32)))
    return float(np.mean(y_true == y_pred))


def _nan_predictions_made_a_class(y_true, y_pred):
    y_true, y_pred = _checked(y_true, y_pred)
    if y_pred.dtype.kind == "f":   # "a NaN prediction is no class: give it a number no class has"
        y_pred = np.where(np.isnan(y_pred), -1.0, y_pred)   # the label -1 now equals it
    return float(np.mean(y_true == y_pred))


def _nan_predictions_made_zero(y_true, y_pred):
    y_true, y_pred = _checked(y_true, y_pred)
    return float(np.mean(y_true == np.nan_to_num(y_pred)))   # NaN becomes 0.0, which equals the label 0


def _nan_predictions_left_out(y_true, y_pred):
    y_true, y_pred = _checked(y_true, y_pred)
    if y_pred.dtype.kind == "f":   # "a NaN prediction cannot be compared: leave it out"
        kept = ~np.isnan(y_pred)
        y_true, y_pred = y_true[kept], y_pred[kept]
    return float(np.mean(y_true == y_pred))


def _nan_labels_and_predictions_made_equal(y_true, y_pred):
    y_true, y_pred = _checked(y_true, y_pred)
    if y_true.dtype.kind == "f" and y_pred.dtype.kind == "f":   # "NaN == NaN is False: give both the same number"
        y_true, y_pred = np.where(np.isnan(y_true), -1.0, y_true), np.where(np.isnan(y_pred), -1.0, y_pred)
    return float(np.mean(y_true == y_pred))


def _summed_with_python_s_sum(y_true, y_pred):
    y_true, y_pred = _checked(y_true, y_pred)
    return sum(y_true == y_pred) / y_true.size   # built-in sum: one count per column of a 2-D array


def _python_loop_over_the_rows(y_true, y_pred):
    y_true, y_pred = _checked(y_true, y_pred)
    right = 0
    for label, prediction in zip(y_true, y_pred):   # a grid's rows, one at a time: `if row == row` raises
        if label == prediction:
            right += 1
    return right / len(y_true)


def _floor_division(y_true, y_pred):
    y_true, y_pred = _checked(y_true, y_pred)
    return np.sum(y_true == y_pred) // y_true.size   # 3 // 4 is 0


def _error_rate(y_true, y_pred):
    return float(np.mean(np.asarray(y_true) != np.asarray(y_pred)))


def _count_in_int32(sizes):
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError("need at least two layers of at least one neuron")
    sizes = np.array(sizes, dtype=np.int32)
    return int(np.sum(sizes[:-1] * sizes[1:] + sizes[1:]))


def _count_through_floats(sizes):
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError("need at least two layers of at least one neuron")
    counts = np.zeros(len(sizes) - 1)   # float64, then an int again: exact only up to 2**53
    for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        counts[i] = n_in * n_out + n_out
    return int(counts.sum())


def _count_in_an_array_of_one(sizes):
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError("need at least two layers of at least one neuron")
    total = np.zeros(1, dtype=np.int64)   # an array of shape (1,), not a number
    for n_in, n_out in zip(sizes, sizes[1:]):
        total += n_in * n_out + n_out
    return total


def _counted_in_floats(sizes):
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError("need at least two layers of at least one neuron")
    counts = np.zeros(len(sizes) - 1)   # float64: every count stored in it becomes a float such as 65.0
    for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        counts[i] = n_in * n_out + n_out
    return counts.sum()


_NOT_EXACT = ("expected {want}, got {got}: close, but not the exact fraction. The accuracy is the number of right "
              "answers divided by the number of predictions, as it is: do not add a small number to the divisor (you "
              "raise ValueError for empty arrays before you divide) and do not round the result; "
              "float(np.mean(y_true == y_pred)) gives it")


# round 28: text such as '75.0%' or an exact Fraction read "expected numbers, got values of type <U5" (or object)
_NOT_A_FLOAT = ("returned a {kind} ({got}), not a float: return float(np.mean(y_true == y_pred)). Later cells compute "
                "with the accuracy as a float and format it only when they print it (f\"{{acc:.3f}}\")")


def _compare_accuracy(got, want):
    """compare_values, and then the exact fraction: within 1e-12 of it (a few float64 steps, as 1 - the error rate
    gives), or the fraction rounded to float32 (a mean in float32, as lesson 06's accuracy takes it: the count is exact
    there and the division rounded once); not only within 1e-6, which passes 1 of 1 right as 0.99999999 (size + 1e-8
    as the divisor) and a rounding to 10 places."""
    if isinstance(got, (str, bytes, Fraction, Decimal)):
        raise Mismatch(t(_NOT_A_FLOAT, kind=type(got).__name__, got=short(got)))
    compare_values(got, want)
    if isinstance(want, (tuple, list)) or np.ndim(want):   # a catalogued mistake's result, compared with the answer's
        return
    got = float(np.asarray(to_numpy(got)))
    if not (np.isclose(got, float(want), rtol=1e-12, atol=0, equal_nan=True) or got == float(np.float32(want))):
        raise Mismatch(t(_NOT_EXACT, want=repr(float(want)), got=repr(got)))


# lessons 02, 05 and 06 keep functions that take the mean of predictions equal to labels: fed one-hot rows of the
# predictions' class indices (through an identity network or model), they give the accuracy (round 21), watched once
# their module is loaded
# round 34 (r341 F1): and the course's own confusion matrix (plotting, lessons 05 to 07), whose trace over its sum is
# the accuracy once the labels are class codes (np.unique(..., return_inverse=True)): it passed, where a library's
# confusion matrix is refused by the numpy-only rule and the course's own functions are allowed
_COURSE_ACCURACIES = ("course_utils.convnet:accuracy_from_probs", "course_utils.mlp:accuracy",
                      "course_utils.torch_training:accuracy", "course_utils.digit_models:accuracy_on",
                      "course_utils.plotting:confusion_matrix")
# Rounds 29 to 32 refused, one by one, 30 library functions that give the accuracy or one minus it, once the labels
# are class codes (np.unique(..., return_inverse=True)): hamming distances (scipy's, scikit-learn's BallTree, torch's
# cdist with p=0), confusion matrices and contingency tables under many names (scikit-learn, scipy, pandas, TensorFlow,
# Keras, scikit-image), Keras's accuracy, precision and recall metrics, a scikit-learn scorer. Each round found more.
# Round 32: the exercise is written with numpy and plain Python, as its text says, and the numpy-only rule refuses
# every other library by construction (base.watching_libraries, base.held_library).


_NOT_A_WHOLE_NUMBER = ("a count is a whole number: return an int (or a numpy integer), not {kind} ({got}); np.zeros "
                       "and / make floats, so start from total = 0 and add whole numbers to it")


def _compare_count(got, want):
    """A count is an int or a numpy integer (not a bool, not a float such as 65.0), and exact."""
    if isinstance(got, (int, np.integer)) and not isinstance(got, (bool, np.bool_)):
        return compare_values(got, want, rtol=0, atol=0)
    if got is None or isinstance(got, (tuple, list, np.ndarray)):
        return compare_values(got, want, rtol=0, atol=0)   # its own message: None, a tuple, an array
    raise Mismatch(t(_NOT_A_WHOLE_NUMBER, kind=type(got).__name__, got=short(got)))


def _no_biases(sizes):
    return sum(a * b for a, b in zip(sizes, sizes[1:]))


def _bias_per_input(sizes):
    return sum(a * b + a for a, b in zip(sizes, sizes[1:]))


def _input_layer_biases(sizes):
    return sum(a * b + b for a, b in zip(sizes, sizes[1:])) + sizes[0]


def _weights_and_biases(sizes):
    return sum(n_in * n_out + n_out for n_in, n_out in zip(sizes, sizes[1:]))


def _some_layers_checked(sizes):
    if len(sizes) < 2 or min(sizes[0], sizes[1], sizes[-1]) < 1:   # the input, the first hidden and the output layer
        raise ValueError("need at least two layers of at least one neuron")
    return _weights_and_biases(sizes)


def _only_zero_rejected(sizes):
    if len(sizes) < 2 or 0 in sizes:
        raise ValueError("need at least two layers, none of size 0")
    return _weights_and_biases(sizes)


def _input_size_unchecked(sizes):
    if len(sizes) < 2 or any(size < 1 for size in sizes[1:]):
        raise ValueError("need at least two layers of at least one neuron")
    return _weights_and_biases(sizes)


def _output_size_unchecked(sizes):
    if len(sizes) < 2 or any(size < 1 for size in sizes[:-1]):
        raise ValueError("need at least two layers of at least one neuron")
    return _weights_and_biases(sizes)


def _empty_list_allowed(sizes):
    if len(sizes) == 1 or any(size < 1 for size in sizes):
        raise ValueError("need at least two layers of at least one neuron")
    return _weights_and_biases(sizes)


def _sizes_not_checked(sizes):
    return _weights_and_biases(list(sizes))


def _neurons_not_connections(sizes):
    return sum(sizes)


def _caller_s_list_popped(sizes):
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError("need at least two layers of at least one neuron")
    sizes = sizes if isinstance(sizes, list) else list(sizes)   # a list: the caller's own
    total = 0
    while len(sizes) > 1:
        n_in = sizes.pop(0)   # takes the layer out of the caller's list
        total += n_in * sizes[0] + sizes[0]
    return total


def _returned_inside_the_loop(sizes):
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError("need at least two layers of at least one neuron")
    total = 0
    for n_in, n_out in zip(sizes, sizes[1:]):
        total += n_in * n_out + n_out
        return total   # indented one level too deep: the count ends after the first pair


def _last_pair_skipped(sizes):
    """Round 38 (r382 L2): range(len(sizes) - 2) stops one pair early."""
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError("need at least two layers of at least one neuron")
    total = 0
    for i in range(len(sizes) - 2):   # off by one: the last pair is never counted
        total += sizes[i] * sizes[i + 1] + sizes[i + 1]
    return total


def _total_reset_inside_the_loop(sizes):
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError("need at least two layers of at least one neuron")
    for n_in, n_out in zip(sizes, sizes[1:]):
        total = 0   # inside the loop: only the last pair is left
        total += n_in * n_out + n_out
    return total


def _output_biases_only(sizes):
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError("need at least two layers of at least one neuron")
    return _no_biases(sizes) + sizes[-1]   # as logistic regression's one bias, for the output layer alone


def _one_bias_per_layer(sizes):
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError("need at least two layers of at least one neuron")
    return sum(n_in * n_out + 1 for n_in, n_out in zip(sizes, sizes[1:]))


EXERCISES = {
    "accuracy": Exercise(
        reference=ref.accuracy,
        cases=_accuracy_cases,
        # round 24: a new result at every call: a 0-d array kept between calls and filled in again passed
        # round 25: and _checked, this module's shape and emptiness check of the mistakes below (a graded release
        # ships it whole: it is neither the reference nor a mistake)
        # rounds 29-32: and every library but numpy (above)
        run=new_results(refusing_course_versions(called, (*_COURSE_ACCURACIES, _checked, _NUMPY_ONLY))),
        compare=_compare_accuracy,
        hint="Compare element by element with ==, then take the mean: True counts as 1. "
        "First check that both arrays have the same shape and raise ValueError if not (or if they are empty).",
        mistakes=(
            Mistake("count, not fraction", _count_not_fraction,
                    "This is the number of right answers; accuracy divides it by the number of predictions."),
            Mistake("lists not converted", _shape_of_lists,
                    "The labels may come as Python lists, which have no .shape: turn both into arrays first with "
                    "np.asarray(y_true) and np.asarray(y_pred)."),
            # round 26: np.shape and np.size read lists too, so only the comparison meets them as lists
            Mistake("lists compared whole", _lists_compared_whole,
                    "The result is 1.0 or 0.0, one verdict on all the labels together. == between two Python lists "
                    "compares the whole lists and gives one True or False (turn both into arrays first with "
                    "np.asarray(y_true) and np.asarray(y_pred)); np.array_equal and np.all tell only whether every "
                    "label matches; and // rounds 3 // 4 down to 0. Compare the labels element by element, then take "
                    "the mean: np.mean(y_true == y_pred)."),
            # round 35 (r351 F2): the same slip with the method .mean() (AttributeError, no mistake was named)
            Mistake("lists compared whole, then .mean()", _lists_compared_whole_then_mean,
                    "'bool' object has no attribute 'mean': y_true == y_pred between two Python lists compares the "
                    "whole lists and gives one True or False, not an array (np.shape and np.size read lists, so "
                    "your checks passed). Turn both into arrays first, y_true, y_pred = np.asarray(y_true), "
                    "np.asarray(y_pred), then take (y_true == y_pred).mean()."),
            # round 34 (r341 F2): before "empty checked with len()", which gives the same nan on shape (3, 0, 2)
            Mistake("empty checked on the first and last axes", _empty_checked_on_the_end_axes,
                    "Labels of shape (3, 0, 2) hold no prediction, yet neither their first axis (3) nor their last "
                    "(2) is 0: the 0 of an empty array can be on any axis, the middle ones too. Check the number of "
                    "all labels: y_true.size == 0."),
            Mistake("empty checked with len()", _empty_checked_with_len,
                    "len() counts only the first axis: labels of shape (5, 0) have length 5 yet hold no prediction. "
                    "Check the number of all labels: y_true.size == 0."),
            Mistake("empty checked on the last axis", _empty_checked_on_the_last_axis,
                    "Labels of shape (0, 6) hold no prediction, yet their last axis has 6: the 0 of an empty array "
                    "can be on any axis. Check the number of all labels: y_true.size == 0."),
            Mistake("no check for empty arrays", _no_empty_check,
                    "The mean of no predictions is nan, not an accuracy: raise ValueError when the arrays are empty "
                    "(size 0)."),
            Mistake("percent", _percent, "Accuracy is a fraction between 0 and 1, not a percentage."),
            # round 35 (r351 F1): before "first and last axes compared", which gives the same number on 4 axes
            Mistake("size, ndim and end axes compared, not shapes", _size_ndim_and_end_axes_compared,
                    "The same size, ndim, first and last axis do not make the same shape once there are four axes: "
                    "(2, 1, 3, 2) and (2, 3, 1, 2) agree on all four, yet == broadcasts them to (2, 3, 3, 2) without "
                    "an error. Compare the whole shapes: y_true.shape != y_pred.shape."),
            Mistake("first and last axes compared, not shapes", _ends_compared,
                    "Comparing ndim, the first and the last axis misses shapes that differ in a middle one: (6, 1, 6) "
                    "broadcasts against (6, 2, 6) without an error. Compare the whole shapes: "
                    "y_true.shape != y_pred.shape."),
            Mistake("size and last axis compared, not shapes", _size_and_last_axis_compared,
                    "The same number of labels and the same last axis do not make the same shape: a row (1, 5) "
                    "against a vector (5,) passes both, and == broadcasts them without an error. Compare the whole "
                    "shapes: y_true.shape != y_pred.shape."),
            Mistake("last axis compared, not shapes", _last_axis_compared,
                    "Comparing only the last axis misses shapes that differ in another one: (1, 3) broadcasts against "
                    "(4, 3) without an error. Compare the whole shapes: y_true.shape != y_pred.shape."),
            Mistake("shape checked for arrays only", _shape_checked_for_arrays_only,
                    "Labels given as Python lists skip your shape check, so lists of shapes (3,) and (3, 1) broadcast "
                    "to a 3x3 table: turn both into arrays first (np.asarray) and then always compare the shapes."),
            Mistake("sizes and ndim compared, not shapes", _sizes_and_ndim_compared,
                    "Equal sizes and ndim do not make equal shapes: a row (1, 4) and a column (4, 1) both hold 4 labels "
                    "in 2 dimensions, yet == broadcasts them to a 4x4 table. Compare the shapes: "
                    "y_true.shape != y_pred.shape."),
            # round 36 (r361 F1): before "lengths and ndim compared", which gives the same 1.0 on (2, 3) against (2, 1)
            Mistake("broadcast shape compared with the labels' shape", _broadcast_shape_compared_with_the_labels,
                    "The broadcast shape (of y_true == y_pred, or np.broadcast_shapes) equals the labels' own shape "
                    "whenever the predictions are the smaller side, and np.broadcast_to(y_pred, y_true.shape) "
                    "stretches such predictions without an error: (2, 3) against (2, 1) broadcasts to (2, 3). "
                    "Predictions of another shape are an error to raise, not to fix: compare the two shapes "
                    "themselves, before ==: y_true.shape != y_pred.shape."),
            Mistake("lengths and ndim compared, not shapes", _lengths_and_ndim_compared,
                    "len() sees only the first dimension: (2, 3) and (2, 1) have the same length and ndim, yet == "
                    "broadcasts them without an error. Compare the shapes: y_true.shape != y_pred.shape."),
            # round 30 (r301 F2): np.ravel, flatten, squeeze or np.atleast_1d before the shape check (ravel's and
            # squeeze's answers named no mistake; atleast_1d's, refused on the 0-d case, was told "check the shapes
            # first", which it did). Before "broadcast shape compared with the predictions' shape", which gives the
            # same 1.0 on a 0-d label against one prediction (1,) and is itself refused first on (1,) against (4,)
            Mistake("flattened before the shape check", _flattened_before_the_shape_check,
                    "The arrays were reshaped (np.ravel, flatten, reshape(-1), squeeze or np.atleast_1d) before their "
                    "shapes were compared, which makes different shapes look the same: np.ravel, flatten, reshape(-1) "
                    "and squeeze turn a column (4, 1) and a vector (4,) both into (4,); np.ravel, flatten, reshape(-1) "
                    "and np.atleast_1d turn a 0-d label of shape () and a prediction of shape (1,) both into (1,), and "
                    "squeeze turns both into (). Compare the shapes of the arrays as they come, right after "
                    "np.asarray: y_true.shape != y_pred.shape."),
            # round 36 (r361 F2): the same against the predictions' shape; after "lengths and ndim compared" (this one
            # also gives its 1.0 on (2, 1) against (2, 3)) and before "ndim compared" (which gives the same 0.75 on one
            # label (1,) against four predictions (4,))
            Mistake("broadcast shape compared with the predictions' shape",
                    _broadcast_shape_compared_with_the_predictions,
                    "The broadcast shape (of y_true == y_pred, or np.broadcast_shapes) equals the predictions' own "
                    "shape whenever the labels are the smaller side: one label (1,) against four predictions (4,) "
                    "broadcasts to (4,) without an error, so your check saw nothing wrong. Compare the two shapes "
                    "themselves, before ==: y_true.shape != y_pred.shape."),
            Mistake("ndim compared, not shapes", _ndim_check,
                    "Comparing ndim misses arrays with the same number of dimensions but other lengths: shape (1,) "
                    "broadcasts against (4,) without an error. Compare the shapes: y_true.shape != y_pred.shape."),
            Mistake("no shape check", _no_shape_check,
                    "Comparing shape (4,) with (4, 1) broadcasts to a 4x4 table and gives a wrong number "
                    "instead of an error; check the shapes first."),
            # round 28: before "order ignored", which gives the same 0.5 on the case of NaN labels
            Mistake("NaN labels and predictions made equal", _nan_labels_and_predictions_made_equal,
                    "NaN labels and NaN predictions were given the same number, so a NaN prediction counts as right "
                    "where the label is NaN too. A NaN prediction is no class and always counts as wrong: NaN == NaN "
                    "is False, so compare the values as they are, y_true == y_pred."),
            Mistake("order ignored", _order_ignored,
                    "Each prediction is compared with the label at the same position; sorting the arrays first "
                    "(or counting each class) forgets which prediction belongs to which example."),
            Mistake("rounded", _rounded,
                    "The accuracy was rounded: 1 of 3 right is 1/3, not 0.33. Return the exact fraction and round "
                    "only when you print it."),
            Mistake("divided by len", _divided_by_len,
                    "len(y_true) counts only the rows of a 2-D array, so 4 right of 6 became 4 / 2 = 2: divide by "
                    "the number of all predictions, y_true.size, or take np.mean(y_true == y_pred)."),
            Mistake("mean over axis 0", _mean_over_axis_0,
                    "np.mean(..., axis=0) gives one fraction per column of a 2-D array, and so does Python's built-in "
                    "sum(...) / len(y_true) (sum adds up the rows, len counts them); the accuracy is one number, the "
                    "mean over all predictions: np.mean(y_true == y_pred) with no axis."),
            # round 28: Python's sum over the rows of a grid, and // (both named no mistake)
            Mistake("summed with Python's sum", _summed_with_python_s_sum,
                    "Python's built-in sum adds up the rows of a 2-D array, which gives one count per column, not one "
                    "number: np.sum(y_true == y_pred) adds up every label (or take np.mean(y_true == y_pred), which "
                    "divides as well)."),
            # round 29 (r291 F2): a Python loop over the labels meets a grid row by row (no other mistake raises)
            Mistake("Python loop over the rows", _python_loop_over_the_rows,
                    "A Python loop over an array walks along its first axis only: labels of shape (2, 3) come out as "
                    "2 rows, and `if label == prediction:` then compares a whole row of y_true with a row of y_pred, "
                    "which raises this ValueError, since numpy does not call a row of comparisons True or False. Each "
                    "entry of the grid is one example: compare the arrays element by element, y_true == y_pred, and "
                    "take the mean of all the entries, np.mean(y_true == y_pred) (a loop would need y_true.ravel() "
                    "and y_pred.ravel())."),
            # round 31 (r311 F4): before "floor division", which gives the same 1 on the case of all 3 right (where
            # statistics.mean's answer, right on 3 of 4, was told "3 // 4 = 0")
            Mistake("a whole-number mean", _whole_number_mean,
                    "When every prediction is right your accuracy came back as the int 1, not the float 1.0 (and "
                    "when every one is wrong, as the int 0): statistics.mean of True/False values gives an int "
                    "whenever the mean is a whole number, and a float only otherwise (0.75). The accuracy is a float: "
                    "return float(np.mean(y_true == y_pred)), or take statistics.fmean, which always gives a float."),
            Mistake("floor division", _floor_division,
                    "// is floor division: it rounds the quotient down to a whole number, so 3 right of 4 became "
                    "3 // 4 = 0 (int() of the quotient, int(3 / 4), cuts it to 0 too). Divide with / and keep the "
                    "fraction as it is, or take np.mean(y_true == y_pred)."),
            Mistake("accuracy in a tuple", _accuracy_in_a_tuple,
                    "The comma after `return ...,` makes a 1-tuple, on which an f-string's :.3f fails: return the "
                    "number itself, float(np.mean(y_true == y_pred))."),
            Mistake("error rate", _error_rate, "This counts the wrong answers (the error rate), not the right ones."),
            # round 26: the cast below, done only between two integer dtypes (first: both give the uint8 case's 1)
            Mistake("integer predictions cast to the labels' dtype", _integer_predictions_cast_to_the_labels_dtype,
                    "astype (or np.asarray with dtype=) turned whole-number predictions into the labels' own integer "
                    "dtype, where a uint8 holds only 0 to 255: the prediction 256 became 0 and -1 became 255, which "
                    "then equal those labels. Compare the values as they are, y_true == y_pred: numpy compares "
                    "uint8 with int64 exactly."),
            # round 27: the same cast the other way, the labels to the predictions' integer dtype
            Mistake("integer labels cast to the predictions' dtype", _integer_labels_cast_to_the_predictions_dtype,
                    "astype (or np.asarray with dtype=) turned whole-number labels into the predictions' own integer "
                    "dtype, where a uint8 holds only 0 to 255: the label 256 became 0 and -1 became 255, which then "
                    "equal those predictions. Compare the values as they are, y_true == y_pred: numpy compares "
                    "int64 with uint8 exactly."),
            Mistake("predictions cast to the labels' type", _predictions_cast_to_the_labels_type,
                    "astype (or np.asarray with dtype=) turned a prediction such as 2.6 into the whole number 2, which "
                    "then equals the label 2 (and for labels True/False, any number but 0 into True): compare the "
                    "values as they are, y_true == y_pred."),
            Mistake("predictions rounded", _predictions_rounded,
                    "np.round turned a prediction such as 0.4 into the whole number 0, which then equals the label 0: "
                    "compare the predictions as they are, y_true == y_pred."),
            # round 28: NaN predictions given a number instead of left as NaN
            Mistake("NaN predictions made a class", _nan_predictions_made_a_class,
                    "A NaN prediction was replaced by a number (np.where with np.isnan, or np.nan_to_num with nan=-1), "
                    "and -1 is a label too: the label -1 then counts as predicted right. A NaN prediction is no class "
                    "and counts as wrong, which == does by itself (NaN equals nothing, not even NaN): compare the "
                    "predictions as they are, y_true == y_pred."),
            Mistake("NaN predictions made 0", _nan_predictions_made_zero,
                    "np.nan_to_num turned each NaN prediction into 0.0, which then equals the label 0. A NaN "
                    "prediction is no class and counts as wrong, which == does by itself (NaN equals nothing): compare the "
                    "predictions as they are, y_true == y_pred."),
            Mistake("NaN predictions left out", _nan_predictions_left_out,
                    "The NaN predictions were left out of the count, which makes a model that outputs NaN look better. "
                    "A NaN prediction is no class and counts as wrong, and the accuracy divides by the number of all "
                    "predictions: np.mean(y_true == y_pred), where == calls each NaN wrong by itself."),
            # round 30 (r301 F3): labels cast to float64, which the words case refuses (numpy's "could not convert
            # string to float" named no mistake); a cast of number labels only is ruled right (round 27)
            Mistake("labels converted to floats", _labels_converted_to_floats,
                    "The labels were turned into floats (astype(float), np.asarray(..., dtype=float), or float() of "
                    "each). Labels are classes, not always numbers: a word such as \"cat\" cannot become a float (and "
                    "a float64 holds whole numbers exactly only up to 2**53, about 9 * 10**15). Compare the labels as "
                    "they are, y_true == y_pred, which compares words too."),
            Mistake("compared within a tolerance", _compared_within_a_tolerance,
                    "A tolerance (abs(y_true - y_pred) < 1e-6, np.isclose, math.isclose, or rounding both first), "
                    "however small, calls labels closer than it equal: 1e-9 and 2e-9 under 1e-6, and 5e-324 and "
                    "1e-323 under any. A label is a class, right only when equal: y_true == y_pred."),
            # round 27: before "float predictions compared loosely", whose isclose counts the same pair equal
            Mistake("labels cast to float32 predictions", _labels_cast_to_float32_predictions,
                    "The labels were cast to the predictions' float32 (astype, np.float32, or torch, which compares an "
                    "int64 tensor with a float32 one in float32), and float32 keeps only about 7 digits: the label "
                    "16777217 became 16777216, which then equals that prediction. Compare the values as they are, "
                    "y_true == y_pred: numpy compares int64 with float32 in float64, exactly."),
            Mistake("float predictions compared loosely", _float_predictions_compared_loosely,
                    "The label 10000000000 and the prediction 10000000001.0 were counted equal: np.isclose and "
                    "math.isclose have a relative tolerance and float32 keeps only about 7 digits. Predictions that "
                    "come as floats are compared exactly too: y_true == y_pred."),
            Mistake("float labels compared in float32", _float_labels_compared_in_float32,
                    "float32 (np.float32, astype, or a torch tensor's default dtype) keeps only about 7 digits, so "
                    "it calls the labels 16777216.0 and 16777217.0 equal: compare the labels as they are, "
                    "y_true == y_pred."),
            Mistake("compared with np.isclose", _compared_with_isclose,
                    "np.isclose has a relative tolerance, so it calls the labels 100000 and 100001 equal: labels are "
                    "right only when equal, y_true == y_pred."),
            Mistake("labels turned into whole numbers", _labels_as_int,
                    "astype(int) cuts labels such as 0.25 and 0.75 to the same whole number 0, so different labels "
                    "count as equal: compare the labels as they are, y_true == y_pred."),
            # round 31 (r311 F3): labels cast to whole numbers from the start (np.asarray(..., dtype=int)), which the
            # words case refuses with numpy's "invalid literal for int()" (no mistake was named); after "labels turned
            # into whole numbers", which gives the same result on fractional labels
            Mistake("all labels converted to ints", _labels_converted_to_ints,
                    "The labels were turned into whole numbers (astype(int), np.asarray(..., dtype=int), or int() of "
                    "each). Labels are classes, not always numbers: a word such as \"cat\" cannot become an int, and "
                    "int() cuts a label such as 0.5 to 0, the class 0. Compare the labels as they are, "
                    "y_true == y_pred, which compares words too."),
            # round 34 (r341 F5): words compared with np.char.equal (which drops the spaces at the end of each word),
            # or cleaned with str.strip or str.lower: each counts 3 of the 4 words right (told only "wrong value")
            Mistake("words cleaned before they were compared", _words_cleaned,
                    "Words that differ were counted equal: \"dog \" and \"dog\" (np.char.equal drops the spaces at "
                    "the end of each word, as str.strip does), or \"Cat\" and \"cat\" (str.lower). A label is a "
                    "class, right only when it equals the prediction as it is: y_true == y_pred, which compares "
                    "words exactly."),
            # round 31 (r311 F2): labels turned into text so that numbers and words compare alike
            Mistake("labels converted to text", _labels_converted_to_text,
                    "The labels were turned into text (astype(str), np.asarray(..., dtype=str), or str() of each), "
                    "so that numbers and words compare alike. But a number's text depends on its type: the label 5 "
                    "and the prediction 5.0 are the same class (5 == 5.0), yet \"5\" and \"5.0\" differ (and "
                    "True becomes \"True\", not \"1\"). Compare the labels as they are, y_true == y_pred: numpy "
                    "compares numbers with numbers and words with words."),
        ),
    ),
    "mlp_param_count": Exercise(
        reference=_mlp_param_count,
        cases=_param_cases,
        # round 21: 00b's param_count adds up the sizes of a model's coefs_ and intercepts_, which views without memory
        # (np.broadcast_to) hold for any layer sizes
        # round 24: and a new result at every call, as accuracy's
        # round 25: and _weights_and_biases, the sum the reference returns, which a graded release ships whole
        # round 33 (r331 F1): and every library but numpy, as its text says: torch's layers made on the "meta" device
        # (no memory) counted their own weights and biases, sum(p.numel() for p in net.parameters()), and passed
        # round 34 (r342 F1): and lesson 05b's cnn_param_count, whose Dense layer counts (inputs + 1) * units: with a
        # 4x4 image and 1x1 kernels, cnn_param_count(1, n_in, n_out, size=4, kernel=1) - 2 - 2 * n_in is one pair's
        # count, and a sum of those passed (the course, not numpy, is allowed)
        run=new_results(refusing_course_versions(
            called, (ref.param_count, convnet.cnn_param_count, _weights_and_biases, _NUMPY_ONLY))),
        rtol=0, atol=0,   # a count is exact: a float32 or int32 count of a big network is off by more than one
        compare=_compare_count,   # and a whole number: 65.0 prints as 65.0
        hint="Between layers of n_in and n_out neurons there are n_in * n_out weights and n_out biases "
        "(one per receiving neuron). Add this up over each pair of neighbouring layers.",
        mistakes=(
            # round 35 (r352 F3): before "only 0 rejected", which also returns a count where a negative size sits in a
            # hidden layer that a check of some places skips, and told such an answer to refuse negative sizes
            Mistake("not every layer checked", _some_layers_checked,
                    "A layer size below 1 was let through because it sits in a hidden layer that your check does not "
                    "look at: test every size, from the input to the output, any(size < 1 for size in layer_sizes)."),
            Mistake("only 0 rejected", _only_zero_rejected,
                    "A negative layer size is no more possible than 0: raise ValueError for every size below 1."),
            Mistake("input layer not checked", _input_size_unchecked,
                    "The input layer counts too: a network with 0 inputs must raise ValueError."),
            Mistake("output layer not checked", _output_size_unchecked,
                    "The output layer counts too: a network with 0 outputs must raise ValueError (a check inside "
                    "the loop over (n_in, n_out) that tests only n_in never sees the last size)."),
            Mistake("empty list allowed", _empty_list_allowed,
                    "An empty list has fewer than two layers as well: check len(layer_sizes) < 2, not == 1."),
            Mistake("sizes not checked", _sizes_not_checked,
                    "[5] has no connections and [3, 0, 1] has a layer without neurons: raise ValueError for fewer "
                    "than two layers or a size below 1, instead of returning a count."),
            Mistake("counted in int32", _count_in_int32,
                    "The count of a big network is wrong: an int32 holds at most 2,147,483,647 (a uint32 4,294,967,295) "
                    "and wraps around above it (a float32 is exact only up to 16,777,216). Count with Python ints: "
                    "sum(n_in * n_out + n_out ...), or give numpy dtype=np.int64."),
            Mistake("counted in floats", _counted_in_floats),   # the comparison's own message names it
            Mistake("counted through floats", _count_through_floats,
                    "The count of a big network is off: a float64 holds every whole number only up to 2**53 (about "
                    "9 * 10**15), and np.zeros, float() or / made your count a float64 before int() turned it back. "
                    "Count with Python ints from start to end: sum(n_in * n_out + n_out ...)."),
            Mistake("count in an array of one", _count_in_an_array_of_one,
                    "np.zeros(1) makes the count an array of shape (1,), not a number: start from total = 0 (a "
                    "Python int) and add each pair's n_in * n_out + n_out to it."),
            # round 36 (r362 F1-F3): Python and bias slips that were told "wrong value", or (`return` inside the
            # loop, 24 on [2, 8, 1] as without biases) "Each neuron ... also has one bias"; before "no biases", which
            # still names itself first on [2, 1]
            Mistake("returned inside the loop", _returned_inside_the_loop,
                    "Your count stops after the first pair of layers: `return` is indented inside the loop, so the "
                    "function returns during its first round. Move `return total` back out, level with `for`, so "
                    "that it runs after every pair has been added."),
            Mistake("total reset inside the loop", _total_reset_inside_the_loop,
                    "Only the last pair of layers was counted: total = 0 is inside the loop, so each round starts "
                    "the count again from 0. Set total = 0 once, before the loop, and add each pair's "
                    "n_in * n_out + n_out to it."),
            Mistake("last pair of layers skipped", _last_pair_skipped,
                    "The last pair of layers was not counted: range(len(layer_sizes) - 2) stops one pair early. "
                    "Loop over range(len(layer_sizes) - 1), or over zip(layer_sizes, layer_sizes[1:])."),
            Mistake("one bias per layer", _one_bias_per_layer,
                    "A layer has one bias per neuron, not one for the whole layer: a layer of n_out neurons adds "
                    "n_out biases, so each pair counts n_in * n_out + n_out."),
            # round 36 (r362 F5): told only "wrong value" on [2, 8, 1]
            Mistake("biases of the output layer only", _output_biases_only,
                    "The hidden layers have biases too: every neuron after the input layer, hidden or output, adds "
                    "its own bias, so each pair of layers counts n_in * n_out + n_out, not only the last one."),
            Mistake("no biases", _no_biases, "Each neuron after the input layer also has one bias."),
            Mistake("one bias per input", _bias_per_input,
                    "A bias belongs to the neuron that receives, so a layer has n_out biases, not n_in."),
            Mistake("input layer biases", _input_layer_biases,
                    "The input layer only holds the data: it has no weights and no biases."),
            Mistake("neurons, not connections", _neurons_not_connections),
            # round 20: the check's message for a changed input speaks of arrays (a[...] = ..., a += ...)
            Mistake("the caller's list changed", _caller_s_list_popped,
                    "sizes.pop(0) (like append, insert, remove, reverse or sort) changes the list the caller passed "
                    "in, whose layer sizes are then gone: work on a copy, sizes = list(layer_sizes), or read the pairs "
                    "with zip(sizes, sizes[1:]), which changes nothing."),
        ),
    ),
}

# Lesson 00 is split in two notebooks; each exercise is checked in the part named here.
NOTEBOOKS = {
    "00a_welcome": ("accuracy",),
    "00b_big_picture": ("mlp_param_count",),
}
