"""Exercises of lesson 08 (distributed training), which comes in two parts.

One module serves both notebooks; ``NOTEBOOKS`` says which part checks which exercise:
- 08a_data_parallelism: exercise 1 ``shard_gradient``, exercise 2 ``ring_step``, exercise 3 ``sampler_indices``;
- 08b_distributed_in_practice: exercise 4 ``accumulation_step``.

The references of exercises 1-3 live in the lesson code (``course_utils.distributed.data_parallel``); torch is
imported inside the functions only.
"""
import copy
import weakref
from collections import Counter
from collections.abc import Iterator

import numpy as np

from ..i18n import t
from .base import (Case, Exercise, InputChanged, Mismatch, Mistake, compare_values, draw_floats, draw_shape,
                   generated, kept_between_calls, reference_of, refuse_a_missing_error, refusing_course_versions,
                   same_arrays, to_numpy)
from ..distributed.data_parallel import ring_step, sampler_indices, shard_gradient


# ---------------------------------------------------------------- exercise 1: shard gradients
def _squared_error_grad(w, X, y):
    """Gradient of the MEAN squared error of a linear model: (2/n) X^T (Xw - y)."""
    return 2.0 / len(X) * X.T @ (X @ w - y)


def _absolute_error_grad(w, X, y):
    """Gradient of the MEAN absolute error of a linear model: (1/n) X^T sign(Xw - y)."""
    return X.T @ np.sign(X @ w - y) / len(X)


def _shard_cases():
    rng = np.random.default_rng(8)
    X, y, w = rng.normal(size=(12, 3)), rng.normal(size=12), rng.normal(size=3)
    other = np.random.default_rng(80)            # its own generator: the cases above keep their values
    wide_X, wide_y, wide_w = other.normal(size=(9, 4)), other.normal(size=9), other.normal(size=4)
    int_X = other.integers(-3, 4, size=(10, 3))
    return [
        Case((_squared_error_grad, w, X, y, 3), label="12 examples in 3 equal shards"),
        Case((_squared_error_grad, w, X[:10], y[:10], 3), label="10 examples in 3 shards of 4, 3, 3"),
        Case((_squared_error_grad, w, X[:7], y[:7], 2), label="7 examples in 2 shards of 4, 3"),
        Case((_squared_error_grad, w, X, y, 1), label="one shard"),
        Case((_squared_error_grad, w, X[:5], y[:5], 5), label="one example per shard"),
        Case((_absolute_error_grad, w, X[:10], y[:10], 3), label="another loss (mean absolute error), 3 shards"),
        Case((_squared_error_grad, np.array([1, 0, -2]), X[:10], y[:10], 3), label="integer weights w"),
        Case((_squared_error_grad, wide_w, wide_X, wide_y, 2), label="9 examples with 4 features (w has 4 entries), "
             "2 shards"),
        Case((_squared_error_grad, w, int_X, y[:10], 3), label="integer features X"),
        Case((_squared_error_grad_with_bias, np.array([0.5, -1.0, 2.0, 0.3]), X[:10], y[:10], 3),
             label="a model with a bias: w has 4 entries for 3 features"),
        Case((_squared_error_grad, w, X[:4], y[:4], 5), label="more shards than examples", raises=ValueError),
        Case((_squared_error_grad, w, X, y, 0), label="zero shards", raises=ValueError),
        *generated(_draw_shard_input, count=6, seed=171),
        *generated(_draw_biased_shard_input, count=2, seed=172),
        Case((_squared_error_grad, other.normal(size=(3, 2)), X[:10], other.normal(size=(10, 2)), 4),
             label="a model with 2 outputs: w is a (3, 2) matrix and y has 2 columns, 4 shards"),
        *generated(_draw_multi_output_shard_input, count=3, seed=173),
        Case((_squared_error_grad, w, X[:10], y[:10], np.int64(3)), label="k as a numpy integer (np.int64(3), as a "
             "loop over np.arange(1, 5) gives it)"),
        Case((_squared_error_grad, w, _with_a_nan(X[:10]), y[:10], 3), label="a batch with one NaN feature (a broken "
             "example): its shard's gradient is NaN, and so is the full-batch gradient, as on one machine"),
        Case((_squared_error_grad, *_fitted_at_scale(), 3), label="a model that fits its batch almost exactly: "
             "predictions of about 1e5 fit y to about 1e-3; float64 keeps the residuals X @ w - y, float32 (spacing "
             "0.0078 near 1e5) loses them"),
        Case((_squared_error_grad, *_near_the_optimum(), 3), label="a model near the optimum of its batch: the shards' "
             "gradients, of 1e2 to 1e3, cancel to a full-batch gradient of about 1e-3; float64 keeps the sum, a "
             "float32 sum (7 digits) loses it"),
    ]


def _fitted_at_scale():
    """w, X, y of 10 examples: weights of about 1e5 whose predictions fit y to about 1e-3 (its own generator, so that
    the other cases keep their values)."""
    rng = np.random.default_rng(81)
    X, w = rng.normal(size=(10, 3)), rng.normal(size=3) * 1e5
    return w, X, X @ w + 1e-3 * rng.normal(size=10)


def _near_the_optimum():
    """w, X, y of 10 examples: w is the least-squares fit of y (about 1e3) plus about 1e-3, so that each shard's
    gradient is 1e2 to 1e3 and the full-batch gradient about 1e-3 (its own generator, so that the other cases keep their
    values). Round 25 (r258 F1): an accumulator started from np.zeros(..., dtype=np.float32) with += passed."""
    rng = np.random.default_rng(82)
    X, y = rng.normal(size=(10, 3)), 1e3 * rng.normal(size=10)
    return np.linalg.lstsq(X, y, rcond=None)[0] + 1e-3 * rng.normal(size=3), X, y


def _with_a_nan(X):
    """A copy of X whose first example has a NaN feature: a broken example, which no step may hide."""
    X = np.array(X, dtype=float)
    X[0, 0] = np.nan
    return X


_LOUD_ERRORS = (AssertionError, ArithmeticError, ValueError)   # assert np.isfinite(...), np.errstate(invalid="raise")


def _stopped_on_a_nan(case, data):
    """Whether an error of ``_LOUD_ERRORS`` that the answer raised on ``data`` stops on a broken input (a NaN) in a case
    that must not raise: that does not hide the NaN, as np.nansum would."""
    return not case.raises and bool(np.isnan(np.asarray(data, dtype=float)).any())


def _half_squared_error_grad(w, X, y):
    """Gradient of the MEAN of (x.w - y)^2 / 2 of a linear model: X^T (Xw - y) / n."""
    return X.T @ (X @ w - y) / len(X)


def _logistic_grad(w, X, y):
    """Gradient of the MEAN logistic (cross-entropy) loss of a linear model, labels y in {0, 1}."""
    return X.T @ ((1 + np.tanh(X @ w / 2)) / 2 - y) / len(X)   # tanh: no overflow for large |X @ w|


def _squared_error_grad_with_bias(w, X, y):
    """Gradient of the MEAN squared error of a linear model with a bias, X @ w[:-1] + w[-1]: w has one entry
    more than X has features."""
    return _squared_error_grad(w, np.column_stack([X, np.ones(len(X))]), y)


def _logistic_grad_with_bias(w, X, y):
    """Gradient of the MEAN logistic loss of a linear model with a bias (w has one entry more than X has
    features), labels y in {0, 1}."""
    return _logistic_grad(w, np.column_stack([X, np.ones(len(X))]), y)


def _draw_whole_or_float(rng, shape, scale):
    """Floats at ``scale``, or whole numbers (int64) of about that size (at least -2..2)."""
    values = draw_floats(rng, shape, scale)
    return np.round(values * max(1.0, 2.0 / scale)).astype(np.int64) if rng.random() < 0.35 else values


def _draw_shard_input(rng):
    """A batch of 1 to 15 examples with 1 to 5 features, at any scale, float or whole-number X, w and y, cut into
    any k from 1 to n shards, with one of four mean-loss gradients."""
    n, d = int(rng.integers(1, 16)), int(rng.integers(1, 6))
    scale = float(rng.choice([0.05, 1.0, 20.0]))
    X, w = _draw_whole_or_float(rng, (n, d), scale), _draw_whole_or_float(rng, d, 1.0 / scale)
    grad_fn = [_squared_error_grad, _absolute_error_grad, _half_squared_error_grad, _logistic_grad][rng.integers(4)]
    y = (rng.random(n) < 0.5).astype(np.int64) if grad_fn is _logistic_grad else _draw_whole_or_float(rng, n, scale)
    return Case((grad_fn, w, X, y, int(rng.integers(1, n + 1))))


def _draw_biased_shard_input(rng):
    """As ``_draw_shard_input``, for a model with a bias: w has one entry more than X has features (drawn as a
    group of its own, so that the cases of ``_draw_shard_input`` stay as they were)."""
    grad_fn, w, X, y, k = _draw_shard_input(rng).args
    bias = draw_floats(rng, 1, 1.0)
    w = np.append(w, np.round(bias).astype(w.dtype) if w.dtype.kind == "i" else bias)
    return Case((_logistic_grad_with_bias if grad_fn is _logistic_grad else _squared_error_grad_with_bias, w, X, y,
                 k))


def _draw_multi_output_shard_input(rng):
    """As ``_draw_shard_input``, for a linear model with 2 or 3 outputs: w is a (features, outputs) matrix, y has one
    column per output, and the gradient has w's shape; k passed positionally or by keyword (a group of its own, so
    that the other drawn cases stay as they were)."""
    n, d, m = int(rng.integers(1, 16)), int(rng.integers(1, 6)), int(rng.integers(2, 4))
    scale = float(rng.choice([0.05, 1.0, 20.0]))
    X, w = _draw_whole_or_float(rng, (n, d), scale), _draw_whole_or_float(rng, (d, m), 1.0 / scale)
    grad_fn = [_squared_error_grad, _absolute_error_grad, _half_squared_error_grad, _logistic_grad][rng.integers(4)]
    y = ((rng.random((n, m)) < 0.5).astype(np.int64) if grad_fn is _logistic_grad else
         _draw_whole_or_float(rng, (n, m), scale))
    k = int(rng.integers(1, n + 1))
    return Case((grad_fn, w, X, y), {"k": k}) if rng.random() < 0.5 else Case((grad_fn, w, X, y, k))


def _run_shard(answer, case):
    """Call the answer with a grad_fn that notes the size of each call; return its result, the sizes of the
    calls, whether it left w, X and y alone and whether it stopped on a NaN input with an error (a flag of the run,
    which no returned value can set)."""
    grad_fn, *rest = case.args
    before = [np.array(a) for a in rest[:3]]
    again = copy.deepcopy(case)
    sizes = []

    def noted(w, X, y):   # the parameter names of the lesson's grad_fn: a caller may pass X=..., y=... by keyword
        sizes.append(len(X))
        return grad_fn(w, X, y)
    try:
        result = answer(noted, *rest, **case.kwargs)
    except _LOUD_ERRORS:
        if not _stopped_on_a_nan(case, rest[1]):
            raise
        return None, sizes, True, True
    refuse_a_missing_error(case, result)
    unchanged = all(np.array_equal(a, b, equal_nan=True) for a, b in zip(rest[:3], before))   # a NaN case
    if unchanged and kept_between_calls(result, lambda: answer(*again.args, **again.kwargs)):
        raise Mismatch(t(_KEPT_BETWEEN_CALLS))
    return result, sizes, unchanged, False


_KEPT_BETWEEN_CALLS = ("a second call returned its result in the same memory as the first call's: your function writes "
                       "into an array it keeps between calls (a buffer, out=...), so each call overwrites the result of "
                       "the one before, and results kept in a list all show the last one. Return a new array at every "
                       "call")


def _compare_shard(got, want):
    if got[3]:                                    # an error on a NaN input: as loud as a NaN in the result
        return
    if got[2] != want[2]:
        raise Mismatch(t("your function changed w, X or y in place; the caller's arrays must stay as they were: "
                         "work on copies (X[perm], not rng.shuffle(X))"))
    if want[1] and not got[1]:
        raise Mismatch(t("your function never called grad_fn: compute each shard's gradient with grad_fn(w, X_j, "
                         "y_j), not with a formula of your own (the caller may pass any loss's gradient)"))
    most, wanted = max(got[1], default=0), max(want[1], default=0)
    cut_otherwise = sum(got[1]) == sum(want[1]) and len(got[1]) == len(want[1])   # k pieces, the whole batch
    if most > wanted and not cut_otherwise:
        raise Mismatch(t("grad_fn was called on {got} examples at once, but no shard has more than {want}: call it "
                         "on each shard, as each worker would", got=most, want=wanted))
    if sum(got[1]) == sum(want[1]) and len(got[1]) != len(want[1]):   # the whole batch, cut into another count
        raise Mismatch(t("grad_fn was called on {got} pieces of the batch, but there are k = {k} shards, one per "
                         "worker: cut with np.array_split(X, k) and call grad_fn once on each shard",
                         got=len(got[1]), k=len(want[1])))
    if sum(got[1]) == sum(want[1]) and sorted(got[1]) != sorted(want[1]):
        raise Mismatch(t("grad_fn was called on shards of {got} examples, but np.array_split(X, k) cuts shards of "
                         "{want}: cut with np.array_split, so that no worker gets more than its share",
                         got=", ".join(map(str, got[1])), want=", ".join(map(str, want[1]))))
    extra = Counter(got[1]) - Counter(want[1])                 # the calls beyond one on each shard
    if not Counter(want[1]) - Counter(got[1]) and sum(extra.elements()) >= sum(want[1]) and set(extra) - set(want[1]):
        raise Mismatch(t("grad_fn was called on each shard, and on the batch once more in {count} other pieces (of "
                         "{sizes} examples): combine the k shards' gradients, one call of grad_fn on each shard, as "
                         "the k workers compute them", count=sum(extra.values()),
                         sizes=", ".join(map(str, sorted(extra.elements())))))
    compare_values(got[0], want[0])


def _whole_batch(grad_fn, w, X, y, k):
    _shards(X, y, k)
    return grad_fn(w, X, y)


def _shards(X, y, k):
    if k < 1 or k > len(X):
        raise ValueError("bad k")
    return list(zip(np.array_split(X, k), np.array_split(y, k)))


def _plain_average(grad_fn, w, X, y, k):
    return np.mean([grad_fn(w, Xs, ys) for Xs, ys in _shards(X, y, k)], axis=0)


def _plain_sum(grad_fn, w, X, y, k):
    return np.sum([grad_fn(w, Xs, ys) for Xs, ys in _shards(X, y, k)], axis=0)


def _weighted_over_k(grad_fn, w, X, y, k):
    return np.sum([len(Xs) * grad_fn(w, Xs, ys) for Xs, ys in _shards(X, y, k)], axis=0) / k


def _first_shard_only(grad_fn, w, X, y, k):
    Xs, ys = _shards(X, y, k)[0]
    return grad_fn(w, Xs, ys)


def _one_example_at_a_time(grad_fn, w, X, y, k):
    _shards(X, y, k)
    return sum(grad_fn(w, X[i:i + 1], y[i:i + 1]) for i in range(len(X))) / len(X)


def _shard_own_formula(grad_fn, w, X, y, k):
    return sum(len(Xs) * 2.0 / len(Xs) * Xs.T @ (Xs @ w - ys) for Xs, ys in _shards(X, y, k)) / len(X)


def _shard_accumulator_like_w(grad_fn, w, X, y, k):
    total = np.zeros_like(w)
    for Xs, ys in _shards(X, y, k):
        total += len(Xs) * grad_fn(w, Xs, ys)
    return total / len(X)


def _shard_ceil_sized(grad_fn, w, X, y, k):
    _shards(X, y, k)
    size = -(-len(X) // k)
    return sum(len(X[i:i + size]) * grad_fn(w, X[i:i + size], y[i:i + size]) for i in range(0, len(X), size)) / len(X)


def _shard_accumulator_of_three(grad_fn, w, X, y, k):
    total = np.zeros(3)                                      # the lesson's w_now has 3 entries
    for Xs, ys in _shards(X, y, k):
        total += len(Xs) * grad_fn(w, Xs, ys)
    return total / len(X)


def _shard_accumulator_like_a_row(grad_fn, w, X, y, k):
    total = np.zeros_like(X[0])                              # integers when X holds integers
    for Xs, ys in _shards(X, y, k):
        total += len(Xs) * grad_fn(w, Xs, ys)
    return total / len(X)


def _shard_accumulator_like_y(grad_fn, w, X, y, k):
    total = np.zeros(np.shape(w), dtype=np.asarray(y).dtype)    # integers when y holds whole numbers (0/1 labels)
    for Xs, ys in _shards(X, y, k):
        total += len(Xs) * grad_fn(w, Xs, ys)
    return total / len(X)


def _shard_accumulator_per_feature(grad_fn, w, X, y, k):
    total = np.zeros(np.shape(X)[1])                         # one entry per feature: w may have one more (a bias)
    for Xs, ys in _shards(X, y, k):
        total += len(Xs) * grad_fn(w, Xs, ys)
    return total / len(X)


def _shard_squeezed(grad_fn, w, X, y, k):
    return sum(len(Xs) * np.squeeze(grad_fn(w, Xs, ys)) for Xs, ys in _shards(X, y, k)) / len(X)


def _shard_sizes_times_gradients(grad_fn, w, X, y, k):
    shards = _shards(X, y, k)
    sizes = np.array([len(Xs) for Xs, ys in shards])
    return sizes @ np.array([grad_fn(w, Xs, ys) for Xs, ys in shards]) / len(X)   # a matrix w: the wrong axis


def _shard_sizes_down_a_column(grad_fn, w, X, y, k):
    shards = _shards(X, y, k)
    sizes = np.array([len(Xs) for Xs, ys in shards])
    return (sizes[:, None] * np.array([grad_fn(w, Xs, ys) for Xs, ys in shards])).sum(axis=0) / len(X)   # vector w only


def _shard_over_the_size_of_y(grad_fn, w, X, y, k):
    return sum(len(Xs) * grad_fn(w, Xs, ys) for Xs, ys in _shards(X, y, k)) / np.size(y)


def _shard_shares_averaged(grad_fn, w, X, y, k):
    return np.mean([len(Xs) / len(X) * grad_fn(w, Xs, ys) for Xs, ys in _shards(X, y, k)], axis=0)   # / k again


def _shard_nan_dropped(grad_fn, w, X, y, k):
    return np.nansum([len(Xs) * grad_fn(w, Xs, ys) for Xs, ys in _shards(X, y, k)], axis=0) / len(X)


def _shard_x_in_float32(grad_fn, w, X, y, k):
    return shard_gradient(grad_fn, w, np.asarray(X, dtype=np.float32), y, k)    # "gradients are float32"


def _shard_w_in_float32(grad_fn, w, X, y, k):
    return shard_gradient(grad_fn, np.asarray(w, dtype=np.float32), X, y, k)    # "as the model stores them"


_IN_FLOAT32 = ("float32 (X.astype(np.float32), the same for w, or a sum started from np.zeros(..., dtype=np.float32)) "
               "keeps about 7 digits: a model that fits its batch almost exactly loses its small residuals X @ w - y (X or "
               "w in float32), or the sum the last digits of the shards' gradients. Pass w, X and y to grad_fn as "
               "they are, and add the shards' gradients in float64.")


def _shard_accumulator_in_float32(grad_fn, w, X, y, k):
    total = np.zeros(np.shape(w), dtype=np.float32)         # "gradients are float32": += keeps the sum in float32
    for Xs, ys in _shards(X, y, k):
        total += len(Xs) * grad_fn(w, Xs, ys)
    return total / len(X)


def _shard_shuffled_in_place(grad_fn, w, X, y, k):
    perm = np.random.default_rng(0).permutation(len(X))
    X[:], y[:] = X[perm], y[perm]
    return shard_gradient(grad_fn, w, X, y, k)


# The "renamed" mistakes: a call with the parameter by keyword raises Python's TypeError before the body runs, and
# that error is all the catalogue compares. The body raises the same error: a body that called the reference handed
# the course's result to an answer that called the mistake by position (round 19).
_RENAMED_CALLED = "{}() got an unexpected keyword argument '{}'"


# ---------------------------------------------------------------- exercise 2: one ring step
def _ring_cases():
    rng = np.random.default_rng(9)
    three, four = rng.normal(size=(3, 3, 2)), rng.normal(size=(4, 4, 5))
    return [
        Case((three, 0), label="3 workers, step 0"),
        Case((three, 1), label="3 workers, step 1"),
        Case((four, 2), label="4 workers, step 2"),
        Case((rng.normal(size=(2, 2, 1)), 0), label="2 workers, chunks of one number"),
        Case((np.random.default_rng(90).normal(size=(3, 3, 2, 2)), 1),
             label="3 workers, chunks that are 2x2 matrices (shape (k, k, ...) is allowed)"),
        Case((np.random.default_rng(91).normal(size=(3, 3)), 2),
             label="3 workers, chunks of one number stored without a chunk axis: shape (3, 3) is (k, k, ...); step 2, "
             "which is k - 1: the chunk index (i - step) % k wraps round"),
        Case((np.asfortranarray(np.random.default_rng(93).normal(size=(3, 3, 2, 2))), 1),
             label="3 workers, 2x2 chunks, buffers in Fortran order (np.asfortranarray: a transposed array's layout)"),
        Case((rng.normal(size=(1, 1, 3)), 0), label="a single worker (no ring)", raises=ValueError),
        Case((rng.normal(size=(3, 2, 2)), 0), label="3 workers but 2 chunks", raises=ValueError),
        Case((rng.normal(size=3), 0), label="one number per worker, no chunks", raises=ValueError),
        Case((np.random.default_rng(92).normal(size=(2, 3, 2)), 0), label="2 workers but 3 chunks",
             raises=ValueError),
        Case((np.zeros((0, 0, 2)), 0), label="no workers at all: shape (0, 0, 2), k = 0", raises=ValueError),
        Case((np.random.default_rng(94).normal(size=(3, 3, 2)),), {"step": 1},
             label="3 workers, the step passed by keyword (step=1)"),
        *generated(_draw_ring_input, count=6, seed=111),
        Case((np.random.default_rng(95).normal(size=(4, 4, 2)), np.int64(1)), label="4 workers, the step as a numpy "
             "integer (np.int64(1), as a loop over np.arange(k - 1) gives it)"),
        Case((np.random.default_rng(96).normal(size=(3, 3, 2)), -1), label="3 workers, step -1, which is step k - 1 = 2: "
             "any whole number is a valid step"),
        Case((np.random.default_rng(97).normal(size=(3, 3, 2)), 7), label="3 workers, step 7, which is step 1: the chunk "
             "index needs % k (a negative index such as 0 - 7 does not wrap round by itself)"),
        Case((_cancelling_buffers(), 0), label="2 workers whose chunks of about +1e8 and -1e8 cancel: float64 keeps "
             "the small parts of their sums, float32 (spacing 8 near 1e8) loses them"),
        Case((_with_a_nan(np.random.default_rng(98).normal(size=(3, 3, 2))), 0), label="3 workers, step 0, worker 0's "
             "chunk 0 holds a NaN (a broken gradient): the copy it is added into holds a NaN too"),
    ]


def _cancelling_buffers():
    """2 workers, 2 chunks of 3: worker 0's numbers are about +1e8, worker 1's about -1e8, so that each sum of a step
    is a small number that only float64 keeps."""
    small = np.random.default_rng(99).normal(size=(2, 2, 3))
    return small + np.array([1e8, -1e8])[:, None, None]


def _draw_ring_input(rng):
    """2 to 7 workers with chunks of 0 to 3 axes of sizes 1 to 3, float64, float32 or whole numbers at any scale, at any
    reduce-scatter step 0 .. k - 2."""
    k = int(rng.integers(2, 8))
    buffers = draw_floats(rng, (k, k, *draw_shape(rng, int(rng.integers(0, 4)), high=3)))
    kind = rng.choice(["float64", "float32", "int"])
    buffers = (buffers.astype(np.float32) if kind == "float32" else
               np.round(buffers * 3).astype(np.int64) if kind == "int" else buffers)
    return Case((buffers, int(rng.integers(0, k - 1))))


def _ring_reference(buffers, step):
    if np.shape(buffers)[0] < 2:
        raise ValueError("a ring needs at least 2 workers")
    return ring_step(buffers, step)


def _run_ring(answer, case):
    """Call the answer on a copy; return its result, whether it left the input alone, the result's type ("" for a
    numpy array or None) and whether it stopped on a NaN input with an error (a flag of the run)."""
    buffers = np.array(case.args[0])
    # the step positionally, or as step=...
    try:
        result = answer(buffers, *case.args[1:], **case.kwargs)
    except _LOUD_ERRORS:
        if not _stopped_on_a_nan(case, case.args[0]):
            raise
        return None, True, "", True
    refuse_a_missing_error(case, result)
    unchanged = bool(np.array_equal(buffers, case.args[0], equal_nan=True))   # a NaN case
    if unchanged and kept_between_calls(result, lambda: answer(np.array(case.args[0]), *case.args[1:], **case.kwargs)):
        raise Mismatch(t(_KEPT_BETWEEN_CALLS))
    kind = "" if result is None or type(result) is np.ndarray else type(result).__name__
    return (None if result is None else np.asarray(result, dtype=float)), unchanged, kind, False


def _compare_ring(got, want):
    if got[3]:                                    # an error on a NaN input: as loud as a NaN in the result
        return
    if got[1] != want[1]:
        raise Mismatch(t("your function changed its input `buffers`: work on a copy (buffers.copy()), since every "
                         "worker sends what it held BEFORE the step"))
    if got[2] and got[0] is not None:
        raise Mismatch(t("your function returned a {kind}, not a numpy array: the cells after it index the result "
                         "as state[j, c] and call state.copy(). Return the array itself (new, not new.tolist())",
                         kind=got[2]))
    compare_values(got[0], want[0])


def _ring_shape(buffers):
    if buffers.ndim < 2 or buffers.shape[0] < 2 or buffers.shape[1] != buffers.shape[0]:
        raise ValueError("buffers must have shape (k, k, ...) with k >= 2")


def _ring_in_place(buffers, step):
    _ring_shape(buffers)
    k = buffers.shape[0]
    for i in range(k):
        c = (i - step) % k
        buffers[(i + 1) % k, c] += buffers[i, c]
    return buffers


def _ring_in_float32(buffers, step):
    _ring_shape(buffers)
    new, k = buffers.astype(np.float32), buffers.shape[0]     # "gradients are float32": rounds float64 to 7 digits
    for i in range(k):
        c = (i - step) % k
        new[(i + 1) % k, c] += buffers[i, c]
    return new


def _ring_single_worker_only(buffers, step):
    if buffers.ndim < 2 or buffers.shape[0] == 1 or buffers.shape[1] != buffers.shape[0]:   # k = 0 slips through
        raise ValueError("buffers must have shape (k, k, ...) with more than one worker")
    return ring_step(buffers, step)


def _ring_renamed(buffers, s):
    raise TypeError(_RENAMED_CALLED.format("ring_step", "step"))   # see _RENAMED_CALLED


def _ring_one_worker_allowed(buffers, step):
    if buffers.ndim < 2 or buffers.shape[1] != buffers.shape[0]:   # (1, 1, ...) passes: a "ring" of one worker
        raise ValueError("buffers must have shape (k, k, ...)")
    return ring_step(buffers, step)


_ring_renamed.__qualname__ = "ring_step"   # as the learner's is: Python's TypeError names the function


def _ring_three_dims_only(buffers, step):
    if buffers.ndim != 3:
        raise ValueError("buffers must have shape (k, k, chunk_size)")
    return _ring_reference(buffers, step)


def _ring_with_a_chunk_axis(buffers, step):
    if buffers.ndim < 3:
        raise ValueError("buffers must have shape (k, k, chunk_size)")
    return _ring_reference(buffers, step)


def _ring_more_chunks_allowed(buffers, step):
    if buffers.ndim < 2 or buffers.shape[0] < 2 or buffers.shape[1] < buffers.shape[0]:
        raise ValueError("buffers needs at least k chunks for k workers")
    new, k = buffers.astype(float), buffers.shape[0]
    for i in range(k):
        c = (i - step) % k
        new[(i + 1) % k, c] += buffers[i, c]
    return new


def _ring_as_lists(buffers, step):
    return _ring_reference(buffers, step).tolist()


def _ring_wrong_direction(buffers, step):
    _ring_shape(buffers)
    new, k = buffers.astype(float), buffers.shape[0]
    for i in range(k):
        c = (i - step) % k
        new[(i - 1) % k, c] += buffers[i, c]
    return new


def _ring_wrong_chunk(buffers, step):
    _ring_shape(buffers)
    new, k = buffers.astype(float), buffers.shape[0]
    for i in range(k):
        c = (i + step) % k
        new[(i + 1) % k, c] += buffers[i, c]
    return new


def _ring_chunk_of_the_receiver(buffers, step):
    _ring_shape(buffers)
    new, k = buffers.astype(float), buffers.shape[0]
    for j in range(k):                                        # receiver j, sender j - 1
        c = (j - step) % k                                    # the receiver's index: the sender's is (j - 1 - step) % k
        new[j, c] += buffers[(j - 1) % k, c]
    return new


def _ring_overwrite(buffers, step):
    _ring_shape(buffers)
    new, k = buffers.astype(float), buffers.shape[0]
    for i in range(k):
        c = (i - step) % k
        new[(i + 1) % k, c] = buffers[i, c]
    return new


# ---------------------------------------------------------------- exercise 3: DistributedSampler's indices
def _sampler_cases():
    perm = np.random.default_rng(10).permutation(10)
    return [
        Case((np.arange(10), 3, 0), label="10 examples, 3 ranks, rank 0 (padded to 12)"),
        Case((np.arange(10), 3, 2), label="10 examples, 3 ranks, rank 2 (padded to 12)"),
        Case((perm, 4, 1), label="a shuffled order, 4 ranks, rank 1"),
        Case((perm, 4, 2), label="a shuffled order, 4 ranks, rank 2 (its last index is padding)"),
        Case((perm, 4, 3), {"drop_last": True}, label="drop_last: cut to 8"),
        Case((perm[:8], 4, 1), {"drop_last": True}, label="drop_last with 8 examples for 4 ranks (nothing to cut)"),
        Case((perm, 3, 2), {"drop_last": True}, label="drop_last with 3 ranks: cut to 9"),
        Case((np.array([5, 7, 9]), 8, 2), {"drop_last": True},
             label="drop_last with 3 examples for 8 ranks (nothing is left for any rank)"),
        Case(([int(i) for i in perm[:9]], 3, 1),
             label="the order as a Python list (as torch.randperm(9).tolist() gives), 3 ranks"),
        Case((range(10), 3, 1), label="the order as range(10) (no shuffling), 3 ranks (padded to 12)"),
        Case((perm, 1, 0), label="a single rank gets everything"),
        Case((np.array([5, 7]), 4, 3), label="2 examples for 4 ranks (padding repeats the start)"),
        Case((np.arange(6), 2, 2), label="rank 2 of 2 ranks", raises=ValueError),
        Case((np.arange(6), 2, -1), label="rank -1", raises=ValueError),
        Case((np.array([5, 7, 9]), 8, 7), label="3 examples for 8 ranks (the start is repeated more than once)"),
        Case((range(0), 3, 1), label="an empty order (a dataset of no examples), 3 ranks: every rank gets nothing",
             points=0),
        Case((np.array([], dtype=np.int64), 2, 0, True), label="an empty order with drop_last, 2 ranks", points=0),
        Case((np.arange(6), 0, 0), label="no ranks at all (num_replicas 0): no rank is valid", raises=ValueError),
        *generated(_draw_sampler_input, count=8, seed=103),
        Case((perm, np.int64(4), np.int64(2), np.True_), label="num_replicas, rank and drop_last as numpy values "
             "(np.int64(4), np.int64(2), np.True_), as read from an array of settings"),
        Case((np.array([1_281_166, 70_000, 40_000, 3, 65_535, 32_768, 1_000_000]), 3, 1),
             label="7 indices of a large dataset (ImageNet's 1,281,167 images), 3 ranks, rank 1: indices beyond 16 bits "
             "(int16 and uint16 wrap round)"),
        Case((np.array([12, 5_849_999_999, 3_000_000_001, 7, 2_147_483_648, 16_777_217, 4_294_967_295]), 3, 1),
             label="7 indices of a dataset of 5.85 billion examples (LAION-5B), 3 ranks, rank 1: indices beyond 32 bits "
             "(int32 and uint32 wrap round, float32 rounds them)"),
        Case((perm, 6, 0), {"drop_last": True}, label="drop_last with 10 examples for 6 ranks: cut to 6 (4 are left "
             "over, more than half a round)"),
        Case((perm, np.int64(3), np.int64(1), np.False_), label="drop_last as np.False_ (as read from an array of "
             "settings): pad to 12"),
    ]


def _draw_sampler_input(rng):
    """1 to 30 examples, in order or shuffled, or a shuffled subset of a larger dataset (indices up to 999), as an
    int64 or int32 array or a Python list (an order that is not shuffled: a range), for 1 to 9 ranks and any rank;
    drop_last left out, or passed positionally, or by keyword (num_replicas and rank then too), True or False."""
    n, world = int(rng.integers(1, 31)), int(rng.integers(1, 10))
    kind = rng.choice(["range", "shuffled", "subset"])
    order = (np.arange(n) if kind == "range" else rng.permutation(n) if kind == "shuffled" else
             rng.choice(1000, size=n, replace=False))
    container = rng.choice(["int64", "int32", "list"])
    order = ((range(n) if kind == "range" else [int(i) for i in order]) if container == "list" else
             order.astype(container))
    args = (order, world, int(rng.integers(0, world)))
    passed = rng.choice(["default", "keyword", "positional"])
    if passed == "default":
        return Case(args)
    drop_last = bool(rng.random() < 0.6)
    if passed == "positional":
        return Case((*args, drop_last))
    return Case(args[:1], {"num_replicas": args[1], "rank": args[2], "drop_last": drop_last})


def _sampler_rank(num_replicas, rank):
    if not 0 <= rank < num_replicas:
        raise ValueError("need 0 <= rank < num_replicas")


def _run_sampler(answer, case):
    """Call the answer as the engine does (a changed input is an error), and refuse a result array that a second call
    on copies of the same inputs returns in the same memory."""
    again = copy.deepcopy(case)
    result = answer(*case.args, **case.kwargs)
    if not same_arrays(case, again):
        raise InputChanged(t(_ORDER_CHANGED))
    if kept_between_calls(result, lambda: answer(*again.args, **again.kwargs)):
        raise Mismatch(t(_KEPT_BETWEEN_CALLS))
    return result


_ORDER_CHANGED = ("your function changed the caller's `order` in place (a list's += or .extend(), or an array written "
                  "into): the caller still needs the epoch's order as it was, and every rank reads the same one. Pad "
                  "or cut a copy: indices = list(order) before indices += ..., or np.resize(order, total), which "
                  "returns a new array")


def _compare_sampler(got, want):
    if got is None:
        compare_values(got, want)                  # says: did you forget `return`?
    if isinstance(got, Iterator):                  # an iterator, a generator, a map: np.asarray makes one object of it
        raise Mismatch(t("your function returned a {kind}, which can be read only once and has no len(): "
                         "DistributedSampler's __iter__ hands its indices out that way, but the exercise asks for "
                         "the indices themselves. Return a list or a numpy array (list(...) of your iterator)",
                         kind=type(got).__name__))
    indices = np.asarray(to_numpy(got))
    dtype = indices.dtype
    if dtype.kind not in "iu" and indices.size:             # an empty list has no dtype of its own (float64)
        raise Mismatch(t("the indices have dtype {dtype}; a sampler hands out integers (a dataset cannot be "
                         "indexed with 3.0): keep the integer dtype of `order`", dtype=dtype))
    compare_values(indices if indices.size else indices.astype(int), want)   # a list is fine: torch's sampler gives one


def _sampler_contiguous(order, num_replicas, rank, drop_last=False):
    _sampler_rank(num_replicas, rank)
    per = -(-len(order) // num_replicas)
    return np.asarray(order)[rank * per:(rank + 1) * per]


def _sampler_no_padding(order, num_replicas, rank, drop_last=False):
    _sampler_rank(num_replicas, rank)
    return np.asarray(order)[rank::num_replicas]


def _sampler_positions(order, num_replicas, rank, drop_last=False):
    return sampler_indices(np.arange(len(order)), num_replicas, rank, drop_last)


def _sampler_ignores_drop_last(order, num_replicas, rank, drop_last=False):
    return sampler_indices(order, num_replicas, rank)


def _sampler_negative_rank(order, num_replicas, rank, drop_last=False):
    if rank >= num_replicas:
        raise ValueError("rank too large")
    n = len(order)
    total = (n // num_replicas if drop_last else -(-n // num_replicas)) * num_replicas
    return np.resize(order, total)[rank::num_replicas]            # order[-1::W] for rank -1


def _sampler_start_once(order, num_replicas, rank, drop_last=False):
    if drop_last:
        return sampler_indices(order, num_replicas, rank, drop_last)
    _sampler_rank(num_replicas, rank)
    order = np.asarray(order)
    total = -(-len(order) // num_replicas) * num_replicas
    return np.concatenate([order, order[:total - len(order)]])[rank::num_replicas]


def _sampler_cut_by_negative_slice(order, num_replicas, rank, drop_last=False):
    if not drop_last:
        return sampler_indices(order, num_replicas, rank)
    _sampler_rank(num_replicas, rank)
    return np.asarray(order)[:-(len(order) % num_replicas)][rank::num_replicas]   # [:-0] is empty


def _sampler_needs_an_array(order, num_replicas, rank, drop_last=False):
    _sampler_rank(num_replicas, rank)
    n = order.size                                            # a list or a range has no .size
    total = (n // num_replicas if drop_last else -(-n // num_replicas)) * num_replicas
    return np.resize(order, total)[rank::num_replicas]


def _sampler_cuts_the_padding(order, num_replicas, rank, drop_last=False):
    if not drop_last:
        return sampler_indices(order, num_replicas, rank)
    _sampler_rank(num_replicas, rank)
    order = np.asarray(order)
    pad = -len(order) % num_replicas                          # what padding would add, not what must go
    return order[:len(order) - pad][rank::num_replicas]


def _sampler_drop_last_truncates_toward_zero(order, num_replicas, rank, drop_last=False):
    if not drop_last:
        return sampler_indices(order, num_replicas, rank)
    _sampler_rank(num_replicas, rank)
    per_rank = int((len(order) - num_replicas) / num_replicas) + 1   # int() rounds -0.6 up to 0
    return np.asarray(order)[:per_rank * num_replicas][rank::num_replicas]


def _sampler_drop_last_rounds_to_the_nearest(order, num_replicas, rank, drop_last=False):
    if not drop_last:
        return sampler_indices(order, num_replicas, rank)
    _sampler_rank(num_replicas, rank)
    return np.asarray(order)[:round(len(order) / num_replicas) * num_replicas][rank::num_replicas]   # may go up


def _sampler_keyword_only(order, num_replicas, rank, *, drop_last=False):
    return sampler_indices(order, num_replicas, rank, drop_last)


_sampler_keyword_only.__qualname__ = "sampler_indices"   # as the learner's is: Python's TypeError names the function


def _sampler_copies_with_a_method(order, num_replicas, rank, drop_last=False):
    _sampler_rank(num_replicas, rank)
    order = order.copy()                                      # a range has no .copy()
    n = len(order)
    total = (n // num_replicas if drop_last else -(-n // num_replicas)) * num_replicas
    return np.resize(order, total)[rank::num_replicas]


def _sampler_tiled(order, num_replicas, rank, drop_last=False):
    _sampler_rank(num_replicas, rank)
    order = np.asarray(order)
    n = len(order)
    total = (n // num_replicas if drop_last else -(-n // num_replicas)) * num_replicas
    return np.tile(order, -(-total // n))[:total][rank::num_replicas]    # divides by n = 0 for an empty order


def _sampler_pads_a_whole_round(order, num_replicas, rank, drop_last=False):
    if drop_last:
        return sampler_indices(order, num_replicas, rank, drop_last)
    _sampler_rank(num_replicas, rank)
    order = np.asarray(order)
    pad = num_replicas - len(order) % num_replicas            # a whole round when n is a multiple of num_replicas
    return np.resize(order, len(order) + pad)[rank::num_replicas]


def _sampler_divides_before_checking(order, num_replicas, rank, drop_last=False):
    n = len(order)
    total = (n // num_replicas if drop_last else -(-n // num_replicas)) * num_replicas   # num_replicas 0: divides by 0
    _sampler_rank(num_replicas, rank)
    return np.resize(np.asarray(order), total)[rank::num_replicas]


def _sampler_renamed(order, world_size, rank, drop_last=False):
    raise TypeError(_RENAMED_CALLED.format("sampler_indices", "num_replicas"))   # see _RENAMED_CALLED


_sampler_renamed.__qualname__ = "sampler_indices"   # as the learner's is: Python's TypeError names the function


def _shard_renamed(grad_fn, w, X, y, num_shards):
    raise TypeError(_RENAMED_CALLED.format("shard_gradient", "k"))   # see _RENAMED_CALLED


_shard_renamed.__qualname__ = "shard_gradient"


def _sampler_float(order, num_replicas, rank, drop_last=False):
    return sampler_indices(order, num_replicas, rank, drop_last).astype(float)


def _sampler_padded_with_zeros(order, num_replicas, rank, drop_last=False):
    if drop_last:
        return sampler_indices(order, num_replicas, rank, drop_last)
    _sampler_rank(num_replicas, rank)
    pad = -len(order) % num_replicas
    return np.pad(np.asarray(order), (0, pad))[rank::num_replicas]             # mode="constant": index 0


def _sampler_padded_with_the_last(order, num_replicas, rank, drop_last=False):
    if drop_last:
        return sampler_indices(order, num_replicas, rank, drop_last)
    _sampler_rank(num_replicas, rank)
    pad = -len(order) % num_replicas
    return np.pad(np.asarray(order), (0, pad), mode="edge")[rank::num_replicas]   # the last index, repeated


# ---------------------------------------------------------------- exercise 4: gradient accumulation
def _accumulation_step(model, loss_fn, optimizer, x, y, micro_batches):
    """Reference: one optimizer step on the batch (x, y), computed in ``micro_batches`` pieces."""
    _check_micro(x, micro_batches)
    optimizer.zero_grad()
    total = _backward_on_pieces(model, loss_fn, x, y, _micro_pieces(x, y, micro_batches))
    optimizer.step()
    return total


def _micro_pieces(x, y, micro_batches):
    """The batch cut into ``micro_batches`` pieces of (xb, yb), as even as they can be."""
    import torch

    return zip(torch.tensor_split(x, micro_batches), torch.tensor_split(y, micro_batches))


def _backward_on_pieces(model, loss_fn, x, y, pieces):
    """Forward and backward on each (xb, yb) of ``pieces``; the gradients add up in p.grad. The summed loss."""
    total = 0.0
    for xb, yb in pieces:
        loss = loss_fn(model(xb), yb) * len(xb) / len(x)   # this piece's share of the batch's mean loss
        loss.backward()
        total += loss.item()
    return total


def _check_micro(x, micro_batches):
    if not 1 <= micro_batches <= len(x):
        raise ValueError(f"micro_batches must be between 1 and {len(x)}, got {micro_batches}")


def _accumulation_cases():
    return [
        Case((12, 3), label="12 examples in 3 micro-batches of 4"),
        Case((10, 3), label="10 examples in micro-batches of 4, 3, 3"),
        Case((8, 1), label="one micro-batch (an ordinary step)"),
        Case((8, 8), label="one example per micro-batch"),
        Case((10, 3), {"loss": "label smoothing"}, label="another loss (cross-entropy with label smoothing 0.2)"),
        Case((10, 3), {"optimizer": "Adam"}, label="another optimizer (Adam, lr 0.01)"),
        Case((10, 3), {"optimizer": "momentum"}, label="an optimizer that has already taken a step (SGD with "
             "momentum 0.9: its momentum buffers carry over)"),
        Case((10, 4), {"stale": False}, label="a fresh model: p.grad is None until its first backward pass (as for "
             "the lesson's model in the next cell)"),
        Case((10, 3), {"loss": "mse", "scale": 20.0}, label="a large gradient (mean squared error on targets of "
             "about 20): the step of the whole batch, whatever the gradient's norm"),
        Case((10, 3), {"loss": "mse", "outputs": 1}, label="a model with one output (a regression: predictions and "
             "y of shape (10, 1))"),
        Case((10, 3), {"frozen": True}, label="fine-tuning: the first layer frozen (requires_grad False), the "
             "optimizer holds every weight"),
        Case((8, 0), label="zero micro-batches", raises=ValueError),
        Case((8, -1), label="a negative number of micro-batches", raises=ValueError),
        Case((8, 9), label="more micro-batches than examples", raises=ValueError),
        *generated(_draw_accumulation_input, count=2, seed=215),
        *generated(_draw_fresh_accumulation_input, count=1, seed=216),
        *generated(_draw_one_output_accumulation_input, count=1, seed=217),
        Case((10, 3), {"groups": True, "optimizer": "momentum"}, label="an optimizer with two parameter groups (the "
             "first layer with lr 0.05, the last with lr 0.5, SGD with momentum 0.9): zero every group's gradients"),
        Case((10, 3), {"frozen_norm": True}, label="fine-tuning: a BatchNorm layer the caller put in eval mode (its "
             "statistics frozen, so each example is normalized on its own and the pieces add up to the whole batch's "
             "step), the rest in train mode"),
        Case((10, 3), {"loss": "mse", "scale": 1e12, "dtype": "float64", "lr": 1e-9}, label="a huge gradient (float64, "
             "targets of about 1e12: a gradient norm of about 8e11, lr 1e-9): the step of the whole batch, however "
             "large the gradient"),
        Case((10, 3), {"loss": "mse", "fitted": True}, label="a model that already fits the batch almost exactly "
             "(a loss of about 1e-6): the step is small, but it is still taken"),
        Case((10, 3), {"loss": "mse", "fitted": True, "dtype": "float64", "offset": 1e6}, label="a float64 model "
             "whose predictions of about 1e6 fit their targets to about 1e-3: float32 (spacing 0.0625 near 1e6) "
             "cannot tell them apart, float64 can"),
        Case((10, 3), {"nan_feature": True}, label="a batch with one NaN feature: the loss is NaN, and the step spreads "
             "it into the weights (zeroing or skipping NaN gradients would hide the broken batch)"),
        Case((10, 3), {"stale_value": float("nan")}, label="stale gradients that are NaN, left by a broken earlier "
             "batch (p.grad * 0 is still NaN): optimizer.zero_grad() clears them"),
        Case((10, 3), {"batch_norm": True}, label="a BatchNorm layer in train mode (each micro-batch is normalized "
             "with its own statistics, so the step is the one of the pieces torch.tensor_split cuts)"),
        Case((10, 3), {"batch_norm": True, "eval_model": True}, label="a model the caller put in eval mode as a whole "
             "(its BatchNorm statistics frozen): the step trains it in that mode and leaves it there"),
        # plain SGD: a gradient zeroed in place (zero_grad(set_to_none=False)) neither moves a weight nor gives it
        # optimizer state, as one set to None does not; weight decay, momentum or Adam's averages would
        Case((10, 3), {"frozen": True, "frozen_stale": True, "optimizer": "plain SGD"},
             label="fine-tuning after training: the first layer frozen (requires_grad False), its weights still "
             "holding the gradients of their last step, which optimizer.zero_grad() clears too (a step with them "
             "would move the frozen layer)"),
    ]


def _draw_accumulation_input(rng):
    """A batch of 2 to 16 examples in any number of micro-batches, for a model of other sizes (1 to 7 features, 2 to
    5 outputs, 2 to 8 hidden units) in float32 or float64, with one of three losses (cross-entropy, with label
    smoothing, mean squared error on float targets) and one of five optimizers (fresh or having stepped), with
    micro_batches passed positionally or by keyword. The runner reads the settings from the keywords."""
    n = int(rng.integers(2, 17))
    settings = {"features": int(rng.integers(1, 8)), "outputs": int(rng.integers(2, 6)),
                "hidden": int(rng.integers(2, 9)), "dtype": str(rng.choice(["float32", "float64"])),
                "loss": str(rng.choice(["cross-entropy", "label smoothing", "mse"])),
                "optimizer": str(rng.choice(["SGD", "momentum", "Adam", "AdamW", "RMSprop"])),
                "lr": float(np.round(np.exp(rng.uniform(np.log(1e-3), np.log(0.5))), 4)),
                "stepped": bool(rng.random() < 0.5), "keyword": bool(rng.random() < 0.5)}
    return Case((n, int(rng.integers(1, n + 1))), settings)


def _draw_fresh_accumulation_input(rng):
    """As ``_draw_accumulation_input``, on a fresh model: p.grad is None, as before its first backward pass."""
    case = _draw_accumulation_input(rng)
    return Case(case.args, {**case.kwargs, "stale": False})


def _draw_one_output_accumulation_input(rng):
    """As ``_draw_accumulation_input``, for a model with one output (a regression: mean squared error on y of shape
    (n, 1)); a group of its own, so that the other drawn cases stay as they were."""
    case = _draw_accumulation_input(rng)
    return Case(case.args, {**case.kwargs, "outputs": 1, "loss": "mse"})


def _run_accumulation(step_fn, case):
    """One step on a seeded model that starts with stale gradients (or with none: "stale" False); returns (loss,
    weights after, the largest number of examples the model saw at once with gradients on, whether x and y are
    unchanged, whether the model is still in train mode, the largest number of examples whose graphs were kept at
    once (forward passes whose tensors saved for backward are still alive), what the answer left changed in the
    caller's model, loss function or optimizer ("" when nothing), whether it returned a tensor that still requires
    grad, the sizes of the pieces the model ran on with gradients on (sorted), whether every such forward pass
    ran in train mode, the gradients of one plain backward pass on the model after the step, what the optimizer
    carries to its next step, whether it left a hook on the model, whether every layer is in the mode the caller set,
    whether every such forward pass ran each layer in that mode, the kind of the returned loss ("float",
    "tensor", ...), where the pieces lie in x, and the number of forward passes the model's BatchNorm layers counted
    in train mode (num_batches_tracked: each one moved their running statistics, with gradients on or off); the
    global random generators are watched by every check)."""
    import torch
    from torch import nn

    n, micro = case.args
    kw = case.kwargs
    features, outputs, hidden = kw.get("features", 5), kw.get("outputs", 3), kw.get("hidden", 6)
    dtype = torch.float64 if kw.get("dtype") == "float64" else torch.float32
    gen = torch.Generator().manual_seed(11)
    x = torch.randn(n, features, generator=gen, dtype=dtype)
    if kw.get("nan_feature"):
        x[0, 0] = float("nan")                   # a broken example: the step must not hide it
    y = (torch.randn(n, outputs, generator=gen, dtype=dtype) * kw.get("scale", 1.0) if kw.get("loss") == "mse" else
         torch.randint(0, outputs, (n,), generator=gen))
    with torch.random.fork_rng(devices=[]):   # the caller's random numbers are left as they were
        torch.manual_seed(11)
        norm = [nn.BatchNorm1d(hidden)] if kw.get("frozen_norm") or kw.get("batch_norm") else []
        model = nn.Sequential(nn.Linear(features, hidden), *norm, nn.Tanh(), nn.Linear(hidden, outputs)).to(dtype)
    if kw.get("frozen_norm"):   # fine-tuning: the BatchNorm layer keeps its pretrained statistics (eval mode), the rest trains
        with torch.no_grad():
            norm[0].running_mean.uniform_(-1.0, 1.0, generator=gen)
            norm[0].running_var.uniform_(0.5, 2.0, generator=gen)
        norm[0].eval()
    if kw.get("eval_model"):   # the caller trains with every layer in eval mode (frozen statistics)
        model.eval()
    if kw.get("offset"):   # predictions of about the offset: float32 keeps 7 digits of them, float64 16
        with torch.no_grad():
            model[-1].bias.add_(kw["offset"])
    if kw.get("fitted"):   # targets the model already fits almost exactly: a loss of about 1e-6
        with torch.no_grad():
            y = model(x) + 1e-3 * torch.randn(n, outputs, generator=gen, dtype=dtype)
    for p in model.parameters():
        p.grad = torch.full_like(p, kw.get("stale_value", 1.0))   # left over from an earlier step
    if kw.get("frozen"):                         # fine-tuning: the first layer is frozen, the optimizer holds it too
        model[0].requires_grad_(False)
        for p in model[0].parameters():
            if not kw.get("frozen_stale"):       # frozen after training: its last gradients are still there
                p.grad = None                    # a frozen weight never had a gradient
    kind = kw.get("optimizer", "SGD")
    if kw.get("groups"):                         # two parameter groups, as in fine-tuning: a smaller lr for the body
        optimizer = torch.optim.SGD([{"params": model[0].parameters(), "lr": 0.05},
                                     {"params": model[2].parameters()}], lr=0.5, momentum=0.9)
    elif kind in ("Adam", "AdamW", "RMSprop"):
        optimizer = getattr(torch.optim, kind)(model.parameters(), lr=kw.get("lr", 0.01))
    elif kind == "momentum":
        optimizer = torch.optim.SGD(model.parameters(), lr=kw.get("lr", 0.1), momentum=0.9)
    elif kind == "plain SGD":                    # p -= lr * grad, nothing else
        optimizer = torch.optim.SGD(model.parameters(), lr=kw.get("lr", 0.5))
    else:
        # weight decay: step() is more than p -= lr * grad
        optimizer = torch.optim.SGD(model.parameters(), lr=kw.get("lr", 0.5), weight_decay=0.1)
    if kw.get("stepped", kind == "momentum"):
        optimizer.step()                         # on the stale gradients: its state (momentum buffers) is not empty
    if not kw.get("stale", True):
        for p in model.parameters():
            p.grad = None                        # a fresh model: no gradients until its first backward pass
    loss_fn = (nn.MSELoss() if kw.get("loss") == "mse" else
               nn.CrossEntropyLoss(label_smoothing=0.2 if kw.get("loss") == "label smoothing" else 0.0))
    settings = _accumulation_settings(model, loss_fn, optimizer)
    seen, modes, held, kept, pieces = [], [], {}, [0], []   # held: forward pass -> its tensors saved for backward
    watching = [True]

    def forward(module, inputs):
        if watching[0] and torch.is_grad_enabled():   # a forward pass under no_grad keeps no activations
            seen.append(len(inputs[0]))
            pieces.append(inputs[0].detach().clone())
            modes.append((module.training, tuple(layer.training for layer in model.modules())))

    storages = {p.data_ptr() for p in model.parameters()}   # a weight saved for backward is no batch
    rows = [0]                                   # the most examples in one tensor saved for backward

    def pack(tensor):                            # autograd saves a tensor of the latest forward pass for backward
        if tensor.ndim and tensor.shape[1:] == x.shape[1:] and tensor.data_ptr() not in storages:
            rows[0] = max(rows[0], len(tensor))  # a batch's inputs: seen even when a forward skips the layers' hooks
        saved, now = _Saved(tensor.detach()), len(seen)
        held[now] = held.get(now, 0) + 1
        weakref.finalize(saved, _let_go, held, now)   # freed with its graph: by backward, or when the graph is dropped
        kept[0] = max(kept[0], sum(seen[i - 1] for i, count in held.items() if count and i))
        return saved

    # on the first layer, not on the Sequential: model.forward(x) skips the Sequential's own hooks, not its layers'
    model[0].register_forward_pre_hook(forward)
    x_before, y_before, flags = x.clone(), y.clone(), (x.requires_grad, y.requires_grad)
    hooks, layer_modes = _hook_counts(model), [module.training for module in model.modules()]
    try:
        with torch.autograd.graph.saved_tensors_hooks(pack, lambda saved: saved.tensor):
            loss = (step_fn(model, loss_fn, optimizer, x, y, micro_batches=micro) if kw.get("keyword")
                    else step_fn(model, loss_fn, optimizer, x, y, micro))
    except _LOUD_ERRORS:
        if not kw.get("nan_feature") or case.raises:   # an error that stops on the batch's NaN hides nothing
            raise
        return _STOPPED_ON_A_NAN
    # round 26 (r268 F5): a missing ValueError showed this run's own tuple (loss, weights, flags), not the loss returned
    refuse_a_missing_error(case, loss)
    graph = isinstance(loss, torch.Tensor) and loss.requires_grad     # a loss that still holds the graph
    kind = ("none" if loss is None else "tensor" if isinstance(loss, torch.Tensor) else
            "float" if isinstance(loss, (float, np.floating)) else type(loss).__name__)
    if kind in ("tensor", "float"):   # any other kind is refused by the comparison, which names it
        loss = float(loss.detach()) if isinstance(loss, torch.Tensor) else float(loss)
    after = _accumulation_settings(model, loss_fn, optimizer)
    changed = next((name for name, a, b in zip(("dtype", "requires_grad", "loss_fn", "optimizer"), settings, after)
                    if a != b), "")
    if changed == "requires_grad" and any(b and not a for a, b in zip(settings[1], after[1])):
        changed = "requires_grad on"             # a frozen weight made trainable
    weights = torch.cat([p.detach().flatten() for p in model.parameters()]).numpy().copy()
    passes = sum(int(b) for name, b in model.named_buffers() if name.endswith("num_batches_tracked"))
    unchanged = (x.shape == x_before.shape and y.shape == y_before.shape and _same_values(x, x_before)
                 and _same_values(y, y_before) and (x.requires_grad, y.requires_grad) == flags)
    watching[0] = False                          # the check's own backward pass below is not the answer's work
    state, hooks_left = _optimizer_state(model, optimizer), _hook_counts(model) != hooks
    modes_kept = [module.training for module in model.modules()] == layer_modes
    return (loss, weights, max(*seen, rows[0], 0), unchanged, model.training, kept[0], changed, graph,
            tuple(sorted(seen)), all(first for first, _ in modes), _later_gradients(model, loss_fn, x_before, y_before),
            state, hooks_left, modes_kept, all(layers == tuple(layer_modes) for _, layers in modes), kind,
            _spans(pieces, x_before), passes)


def _spans(pieces, x):
    """Where each piece the model ran on lies in x, as sorted (start, length), or (-1, length) for a piece that is not
    a run of consecutive examples of x (as x[i::m] is)."""
    spans = []
    for piece in pieces:
        starts = [s for s in range(len(x) - len(piece) + 1) if piece.shape[1:] == x.shape[1:] and
                  _same_values(x[s:s + len(piece)], piece)]
        spans.append((starts[0] if starts else -1, len(piece)))
    return tuple(sorted(spans))


def _same_values(a, b):
    """Whether two tensors of one shape hold the same values, a NaN equal to a NaN (a batch may hold one)."""
    return bool(((a == b) | (a != a) & (b != b)).all())


def _hook_counts(model):
    """The number of hooks on each module of the model (forward, forward-pre, backward) and on each weight."""
    counts = [len(getattr(module, name, None) or {}) for module in model.modules() for name in
              ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks")]
    return counts + [len(p._backward_hooks or {}) for p in model.parameters()]


def _optimizer_state(model, optimizer):
    """What the optimizer carries to its next step, weight by weight: the names of its state entries (momentum_buffer,
    exp_avg, step, ...) and their values, flattened."""
    import torch

    state = []
    for p in model.parameters():
        entries = optimizer.state.get(p, {})
        names = tuple(sorted(entries))
        values = [torch.zeros(0, dtype=torch.float64) if entries[name] is None else
                  torch.as_tensor(entries[name]).detach().double().flatten() for name in names]
        state.append((names, torch.cat(values).numpy() if values else np.zeros(0)))
    return state


def _later_gradients(model, loss_fn, x, y):
    """The gradients of one plain backward pass on the model after the step (None if it fails): a hook that an
    answer left on the caller's model (tensor.register_hook, a module hook) changes them."""
    import torch

    try:
        for p in model.parameters():
            p.grad = None
        with torch.enable_grad():
            loss_fn(model(x), y).backward()
        return torch.cat([(torch.zeros_like(p) if p.grad is None else p.grad).flatten()   # None: a frozen weight
                          for p in model.parameters()]).numpy()
    except Exception:                            # a model the answer changed otherwise: reported before this
        return None


class _Saved:
    """A tensor that autograd saved for the backward pass: it lives as long as the graph that holds it."""
    __slots__ = ("tensor", "__weakref__")

    def __init__(self, tensor):
        self.tensor = tensor


def _let_go(held, forward_pass):
    held[forward_pass] -= 1


def _accumulation_settings(model, loss_fn, optimizer):
    """What a training step must leave as it found it: the weights' dtypes, their requires_grad, the loss
    function's settings (and buffers, such as class weights) and the optimizer's (all but its parameters)."""
    return ([str(p.dtype) for p in model.parameters()], [p.requires_grad for p in model.parameters()],
            ({k: v for k, v in vars(loss_fn).items() if not k.startswith("_") and k != "training"},
             {k: v.tolist() for k, v in loss_fn.named_buffers()}),
            [{k: v for k, v in group.items() if k != "params"} for group in optimizer.param_groups])


# round 25 (r258 F2): an answer that raised ValueError (or an assert) on the NaN loss of a broken batch was refused
# ("raised ValueError"), though it hides nothing, as shard_gradient and ring_step accept
_STOPPED_ON_A_NAN = "stopped on the NaN loss of a broken batch with an error"


def _compare_accumulation(got, want):
    if isinstance(got, str) and got == _STOPPED_ON_A_NAN:   # an error on a NaN batch: as loud as NaN weights
        return
    if got[3] != want[3]:
        raise Mismatch(t("your function changed x or y in place; the caller's tensors must stay as they were"))
    if want[4] and not got[4]:
        raise Mismatch(t("the model is in eval mode after your step: a training step runs in train mode (dropout "
                         "and batch normalization act differently in eval mode). Do not call model.eval() here"))
    if got[13] != want[13]:
        raise Mismatch(t("your function changed the mode of some of the caller's layers (model.train() or "
                         "model.eval() inside the step): the caller may keep a layer in eval mode on purpose, as a "
                         "BatchNorm layer with frozen statistics when fine-tuning. Leave the modes as they were"))
    if want[9] and not got[9]:
        raise Mismatch(t("your function ran the model's forward pass in eval mode (model.eval()) and switched it "
                         "back to train mode afterwards: a training step runs in train mode, where dropout and batch "
                         "normalization act as in training. Do not call model.eval() here"))
    if got[14] != want[14]:
        raise Mismatch(t("your function ran some of the caller's layers in another mode than the caller set (a "
                         "layer's .eval() or .train() during the step, switched back afterwards): run each layer in "
                         "the mode the caller gave it. A BatchNorm layer in train mode normalizes each micro-batch with "
                         "its own statistics; that is what accumulation computes, not something for the step to undo"))
    if got[6] != want[6]:
        raise Mismatch(t(_CHANGED[got[6]]))
    if got[7] != want[7]:
        raise Mismatch(t("your function returned the loss as a tensor that still requires grad, so it keeps the "
                         "autograd graph of every piece alive for as long as the caller keeps the loss: return a "
                         "float, adding loss.item() of each piece"))
    if got[2] > want[2]:
        raise Mismatch(t("the model saw {got} examples at once, but no micro-batch has more than {want}: run the "
                         "forward and backward pass on each piece, not on the whole batch", got=got[2], want=want[2]))
    if sum(got[8]) == sum(want[8]) and got[8] != want[8]:     # the whole batch, cut into other pieces
        raise Mismatch(t("the model ran on pieces of {got} examples, but micro_batches = {m} pieces, as even as they "
                         "can be, have {want}: cut exactly micro_batches pieces with torch.tensor_split(x, "
                         "micro_batches)", got=", ".join(map(str, got[8])), m=len(want[8]),
                         want=", ".join(map(str, want[8]))))
    if got[8] == want[8] and got[16] != want[16] and all(start >= 0 for start, _ in got[16]):   # cut elsewhere
        raise Mismatch(t("the model ran on runs of consecutive examples of the right sizes, but cut at other places: "
                         "pieces of {got}, in this order, where torch.tensor_split(x, micro_batches) cuts {want} (the "
                         "longer pieces first): with batch normalization in train mode, other pieces give another "
                         "step. Cut the pieces with torch.tensor_split", got=", ".join(str(n) for _, n in got[16]),
                         want=", ".join(str(n) for _, n in want[16])))
    if got[8] == want[8] and got[16] != want[16]:     # pieces of the right sizes, made of other examples
        raise Mismatch(t("the model ran on pieces of the right sizes, but not on the runs of consecutive examples that "
                         "torch.tensor_split(x, micro_batches) cuts (x[i::micro_batches] interleaves them): with "
                         "batch normalization in train mode, other pieces give another step. Cut the pieces with "
                         "torch.tensor_split"))
    if got[5] > want[5]:
        raise Mismatch(t("the graphs of {got} examples were kept at once, but no micro-batch has more than {want}: "
                         "call loss.backward() on each piece's loss before the next piece's forward pass (backward "
                         "frees the graph), not once on the sum of the pieces' losses", got=got[5], want=want[5]))
    if not np.allclose(got[1], want[1], rtol=1e-5, atol=1e-6, equal_nan=True):
        raise Mismatch(t("the weights after the step differ from one step on the whole batch. Zero the gradients "
                         "once, before the loop; scale each piece's loss by len(piece) / len(x); step once, after it"))
    if got[17] != want[17]:
        raise Mismatch(t("the weights after your step are right, but the model's BatchNorm layers counted {got} "
                         "forward passes in train mode, where one pass over the pieces counts {want}: every forward "
                         "pass in train mode updates their running statistics (running_mean, running_var), even under "
                         "torch.no_grad(). Run the model once on each piece, and on nothing else", got=got[17],
                         want=want[17]))
    if [names for names, _ in got[11]] != [names for names, _ in want[11]] or not all(
            a.shape == b.shape and np.allclose(a, b, rtol=1e-4, atol=1e-8, equal_nan=True)
            for (_, a), (_, b) in zip(got[11], want[11])):
        raise Mismatch(t("the weights after your step are right, but the optimizer's state is not what one ordinary "
                         "step leaves (optimizer.state: SGD's momentum buffers, Adam's running averages): the next "
                         "step would start from other values. Step once with optimizer.step() and leave "
                         "optimizer.state as it is"))
    if got[10] is None or not np.allclose(got[10], want[10], rtol=1e-4, atol=1e-6, equal_nan=True):
        raise Mismatch(t("after your step, a plain backward pass on the model gives other gradients than after one "
                         "ordinary step: your function left something on the caller's model that changes every later "
                         "backward pass (a hook from register_hook?). Remove what you add before returning"))
    if got[12] != want[12]:
        raise Mismatch(t("your function left a hook on the caller's model (register_forward_hook, "
                         "register_full_backward_hook or a weight's register_hook): it runs in every later forward or "
                         "backward pass, at every later step. Keep the handle it returns and call handle.remove() "
                         "before returning"))
    if got[15] != want[15] and got[15] != "none":
        raise Mismatch(t("your function returned the loss as a {kind}: return a Python float, adding loss.item() of "
                         "each piece", kind=got[15]))
    compare_values(got[0], want[0], rtol=1e-5, atol=1e-6)


_CHANGED = {
    "dtype": "your function changed the dtype of the model's weights (e.g. model.double()): the caller's model must "
             "keep its float32 weights, or every later cell that feeds it float32 inputs fails",
    "requires_grad on": "your function switched requires_grad on for weights the caller had frozen "
                        "(model.requires_grad_(True)), so this step and every later one trains them: leave "
                        "requires_grad as it was, backward() needs no more than that",
    "requires_grad": "your function switched off requires_grad for some of the model's weights, so no later step "
                     "could train them: leave requires_grad as it was",
    "loss_fn": "your function changed the settings of the loss function it was given (e.g. loss_fn.reduction); "
               "the caller's loss_fn must stay as it was: scale each piece's loss instead (* len(xb) / len(x))",
    "optimizer": "your function changed the optimizer's settings (its learning rate or another entry of "
                 "optimizer.param_groups); the caller's optimizer must stay as it was: scale each piece's loss instead",
}


def _accumulate_unscaled(model, loss_fn, optimizer, x, y, micro_batches):
    _check_micro(x, micro_batches)
    optimizer.zero_grad()
    losses = []
    for xb, yb in _micro_pieces(x, y, micro_batches):
        loss = loss_fn(model(xb), yb)
        loss.backward()
        losses.append(loss.item())
    optimizer.step()
    return float(np.mean(losses))


def _accumulate_loss_plain_mean(model, loss_fn, optimizer, x, y, micro_batches):
    _check_micro(x, micro_batches)
    optimizer.zero_grad()
    losses = []
    for xb, yb in _micro_pieces(x, y, micro_batches):
        loss = loss_fn(model(xb), yb)
        (loss * len(xb) / len(x)).backward()                  # the step is right
        losses.append(loss.item())
    optimizer.step()
    return float(np.mean(losses))                             # but pieces of unequal sizes count alike


def _accumulate_over_count(model, loss_fn, optimizer, x, y, micro_batches):
    _check_micro(x, micro_batches)
    optimizer.zero_grad()
    total = 0.0
    for xb, yb in _micro_pieces(x, y, micro_batches):
        loss = loss_fn(model(xb), yb) / micro_batches
        loss.backward()
        total += loss.item()
    optimizer.step()
    return total


def _accumulate_step_each(model, loss_fn, optimizer, x, y, micro_batches):
    _check_micro(x, micro_batches)
    total = 0.0
    for xb, yb in _micro_pieces(x, y, micro_batches):
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb) * len(xb) / len(x)
        loss.backward()
        optimizer.step()
        total += loss.item()
    return total


def _accumulate_pieces_of_size(model, loss_fn, optimizer, x, y, micro_batches):
    import torch

    _check_micro(x, micro_batches)
    optimizer.zero_grad()
    pieces = zip(torch.split(x, micro_batches), torch.split(y, micro_batches))
    total = _backward_on_pieces(model, loss_fn, x, y, pieces)
    optimizer.step()
    return total


def _accumulate_in_eval_mode(model, loss_fn, optimizer, x, y, micro_batches):
    model.eval()
    return _accumulation_step(model, loss_fn, optimizer, x, y, micro_batches)


def _accumulate_one_backward(model, loss_fn, optimizer, x, y, micro_batches):
    _check_micro(x, micro_batches)
    optimizer.zero_grad()
    total = 0
    for xb, yb in _micro_pieces(x, y, micro_batches):
        total = total + loss_fn(model(xb), yb) * len(xb) / len(x)
    total.backward()
    optimizer.step()
    return total.item()


def _accumulate_by_hand(model, loss_fn, optimizer, x, y, micro_batches):
    import torch

    _check_micro(x, micro_batches)
    optimizer.zero_grad()
    total = _backward_on_pieces(model, loss_fn, x, y, _micro_pieces(x, y, micro_batches))
    with torch.no_grad():
        for p in model.parameters():
            p -= optimizer.param_groups[0]["lr"] * p.grad
    return total


def _accumulate_leaving_grad_off(model, loss_fn, optimizer, x, y, micro_batches):
    import torch

    total = _accumulation_step(model, loss_fn, optimizer, x, y, micro_batches)
    torch.set_grad_enabled(False)
    return total


def _accumulate_whole_batch(model, loss_fn, optimizer, x, y, micro_batches):
    _check_micro(x, micro_batches)
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def _accumulate_own_loss(model, loss_fn, optimizer, x, y, micro_batches):
    from torch import nn

    return _accumulation_step(model, nn.CrossEntropyLoss(), optimizer, x, y, micro_batches)


def _accumulate_own_sgd(model, loss_fn, optimizer, x, y, micro_batches):
    import torch

    group = optimizer.param_groups[0]
    own = torch.optim.SGD(model.parameters(), lr=group["lr"], weight_decay=group.get("weight_decay", 0))
    return _accumulation_step(model, loss_fn, own, x, y, micro_batches)


def _accumulate_sum_reduction(model, loss_fn, optimizer, x, y, micro_batches):
    _check_micro(x, micro_batches)
    loss_fn.reduction = "sum"
    optimizer.zero_grad()
    total = 0.0
    for xb, yb in _micro_pieces(x, y, micro_batches):
        loss = loss_fn(model(xb), yb) / len(x)
        loss.backward()
        total += loss.item()
    optimizer.step()
    return total


def _accumulate_in_double(model, loss_fn, optimizer, x, y, micro_batches):
    _check_micro(x, micro_batches)
    return _accumulation_step(model.double(), loss_fn, optimizer, x.double(), y, micro_batches)


def _accumulate_freezing(model, loss_fn, optimizer, x, y, micro_batches):
    total = _accumulation_step(model, loss_fn, optimizer, x, y, micro_batches)
    for p in model.parameters():
        p.requires_grad_(False)
    return total


def _accumulate_zero_only(model, loss_fn, optimizer, x, y, micro_batches):
    if micro_batches == 0 or micro_batches > len(x):        # -1 slips through to tensor_split's RuntimeError
        raise ValueError(f"micro_batches must be between 1 and {len(x)}, got {micro_batches}")
    optimizer.zero_grad()
    total = _backward_on_pieces(model, loss_fn, x, y, _micro_pieces(x, y, micro_batches))
    optimizer.step()
    return total


def _accumulate_returning_the_graph(model, loss_fn, optimizer, x, y, micro_batches):
    _check_micro(x, micro_batches)
    optimizer.zero_grad()
    total = 0
    for xb, yb in _micro_pieces(x, y, micro_batches):
        loss = loss_fn(model(xb), yb) * len(xb) / len(x)
        loss.backward()
        total = total + loss                                  # not loss.item(): the sum still requires grad
    optimizer.step()
    return total


def _accumulate_in_float32(model, loss_fn, optimizer, x, y, micro_batches):
    return _accumulation_step(model, loss_fn, optimizer, x.float(), y, micro_batches)


def _accumulate_loss_in_float32(model, loss_fn, optimizer, x, y, micro_batches):
    _check_micro(x, micro_batches)
    optimizer.zero_grad()
    total = 0.0
    for xb, yb in _micro_pieces(x, y, micro_batches):
        target = yb.float() if yb.is_floating_point() else yb           # class indices stay integers
        loss = loss_fn(model(xb).float(), target) * len(xb) / len(x)    # a float64 model's loss in float32
        loss.backward()
        total += loss.item()
    optimizer.step()
    return total


def _accumulate_class_targets(model, loss_fn, optimizer, x, y, micro_batches):
    return _accumulation_step(model, loss_fn, optimizer, x, y.long(), micro_batches)


def _accumulate_zeroing_first_group(model, loss_fn, optimizer, x, y, micro_batches):
    _check_micro(x, micro_batches)
    for p in optimizer.param_groups[0]["params"]:  # the optimizer's parameters, by hand: its first group only
        p.grad = None
    total = _backward_on_pieces(model, loss_fn, x, y, _micro_pieces(x, y, micro_batches))
    optimizer.step()
    return total


def _accumulate_zeroing_trainable_only(model, loss_fn, optimizer, x, y, micro_batches):
    _check_micro(x, micro_batches)
    for p in model.parameters():
        if p.requires_grad:                                   # "a frozen weight has no gradient to clear"
            p.grad = None
    total = _backward_on_pieces(model, loss_fn, x, y, _micro_pieces(x, y, micro_batches))
    optimizer.step()
    return total


def _accumulate_renamed(model, loss_fn, optimizer, x, y, pieces):
    raise TypeError(_RENAMED_CALLED.format("accumulation_step", "micro_batches"))   # see _RENAMED_CALLED


_accumulate_renamed.__qualname__ = "accumulation_step"   # as the learner's is: Python's TypeError names the function


def _accumulate_fresh_optimizer(model, loss_fn, optimizer, x, y, micro_batches):
    settings = {k: v for k, v in optimizer.param_groups[0].items() if k != "params"}
    fresh = type(optimizer)(model.parameters(), **settings)  # same settings, but none of the optimizer's state
    return _accumulation_step(model, loss_fn, fresh, x, y, micro_batches)


def _accumulate_retaining_graphs(model, loss_fn, optimizer, x, y, micro_batches):
    _check_micro(x, micro_batches)
    optimizer.zero_grad()
    total = 0.0
    for xb, yb in _micro_pieces(x, y, micro_batches):
        loss = loss_fn(model(xb), yb) * len(xb) / len(x)     # its graph lives on until `loss` is rebound
        loss.backward(retain_graph=True)
        total += loss.item()
    optimizer.step()
    return total


def _accumulate_grads_zeroed_by_hand(model, loss_fn, optimizer, x, y, micro_batches):
    _check_micro(x, micro_batches)
    for p in model.parameters():
        p.grad.zero_()                                        # p.grad is None on a fresh model
    total = _backward_on_pieces(model, loss_fn, x, y, _micro_pieces(x, y, micro_batches))
    optimizer.step()
    return total


def _accumulate_grads_set_to_zeros(model, loss_fn, optimizer, x, y, micro_batches):
    import torch

    _check_micro(x, micro_batches)
    for p in model.parameters():
        p.grad = torch.zeros_like(p)                          # a frozen weight's None becomes zeros, which step() uses
    total = _backward_on_pieces(model, loss_fn, x, y, _micro_pieces(x, y, micro_batches))
    optimizer.step()
    return total


def _accumulate_hooks_left(model, loss_fn, optimizer, x, y, micro_batches):
    _check_micro(x, micro_batches)
    optimizer.zero_grad()
    share = [1.0]
    for p in model.parameters():
        p.register_hook(lambda grad: grad * share[0])        # never removed: it scales every later backward pass too
    total = 0.0
    for xb, yb in _micro_pieces(x, y, micro_batches):
        share[0] = len(xb) / len(x)
        loss = loss_fn(model(xb), yb)
        loss.backward()
        total += loss.item() * share[0]
    optimizer.step()
    return total


def _accumulate_x_requiring_grad(model, loss_fn, optimizer, x, y, micro_batches):
    x.requires_grad_(True)                                   # the caller's x, not a copy
    return _accumulation_step(model, loss_fn, optimizer, x, y, micro_batches)


def _accumulate_clipped(model, loss_fn, optimizer, x, y, micro_batches):
    import torch

    _check_micro(x, micro_batches)
    optimizer.zero_grad()
    total = _backward_on_pieces(model, loss_fn, x, y, _micro_pieces(x, y, micro_batches))
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)   # changes the step when the norm is above 1
    optimizer.step()
    return total


def _accumulate_squeezed(model, loss_fn, optimizer, x, y, micro_batches):
    _check_micro(x, micro_batches)
    optimizer.zero_grad()
    total = 0.0
    for xb, yb in _micro_pieces(x, y, micro_batches):
        loss = loss_fn(model(xb).squeeze(-1), yb) * len(xb) / len(x)   # one output: (n,) against y's (n, 1)
        loss.backward()
        total += loss.item()
    optimizer.step()
    return total


def _accumulate_chunked(model, loss_fn, optimizer, x, y, micro_batches):
    import torch

    _check_micro(x, micro_batches)
    optimizer.zero_grad()
    pieces = zip(torch.chunk(x, micro_batches), torch.chunk(y, micro_batches))   # 10 in 4: 3, 3, 3, 1
    total = _backward_on_pieces(model, loss_fn, x, y, pieces)
    optimizer.step()
    return total


def _accumulate_pieces_of_the_floor(model, loss_fn, optimizer, x, y, micro_batches):
    import torch

    _check_micro(x, micro_batches)
    optimizer.zero_grad()
    size = len(x) // micro_batches                           # 10 in 3: pieces 3, 3, 3, 1
    total = _backward_on_pieces(model, loss_fn, x, y, zip(torch.split(x, size), torch.split(y, size)))
    optimizer.step()
    return total


def _accumulate_forward_in_eval_mode(model, loss_fn, optimizer, x, y, micro_batches):
    model.eval()
    total = _accumulation_step(model, loss_fn, optimizer, x, y, micro_batches)
    model.train()
    return total


def _accumulate_without_zeroing(model, loss_fn, optimizer, x, y, micro_batches):
    _check_micro(x, micro_batches)
    total = _backward_on_pieces(model, loss_fn, x, y, _micro_pieces(x, y, micro_batches))   # onto the old p.grad
    optimizer.step()
    return total


def _accumulate_zero_inside(model, loss_fn, optimizer, x, y, micro_batches):
    _check_micro(x, micro_batches)
    total = 0.0
    for xb, yb in _micro_pieces(x, y, micro_batches):
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb) * len(xb) / len(x)
        loss.backward()
        total += loss.item()
    optimizer.step()
    return total


def _accumulate_loss_summed_means(model, loss_fn, optimizer, x, y, micro_batches):
    _check_micro(x, micro_batches)
    optimizer.zero_grad()
    total = 0.0
    for xb, yb in _micro_pieces(x, y, micro_batches):
        loss = loss_fn(model(xb), yb)
        (loss * len(xb) / len(x)).backward()                  # the step is right
        total += loss.item()                                  # but each piece's mean loss counts in full
    optimizer.step()
    return total


EXERCISES = {
    "shard_gradient": Exercise(
        reference=reference_of(shard_gradient),
        cases=_shard_cases,
        run=refusing_course_versions(_run_shard, (shard_gradient,)),
        compare=_compare_shard,
        hint="Split with np.array_split(X, k) and np.array_split(y, k). Each grad_fn(w, X_i, y_i) is a MEAN over "
        "n_i examples, so add n_i * grad_i over the shards and divide by n = len(X). Raise ValueError unless "
        "1 <= k <= len(X).",
        mistakes=(
            Mistake("plain average", _plain_average, "You averaged the shard gradients; that is right only when all "
                    "shards have the same size. Weight each by its number of examples."),
            Mistake("weighted shares averaged", _shard_shares_averaged, "You weighted each shard's gradient by "
                    "its share len(X_j) / len(X), then averaged the weighted gradients (np.mean): that divides by k "
                    "once more. The shares already sum to 1: add the weighted gradients (np.sum)."),
            Mistake("sum of shard gradients", _plain_sum, "You added the shard gradients without dividing: k times "
                    "too large for equal shards."),
            Mistake("divided by k", _weighted_over_k, "You weighted by shard size but divided by k, not by the "
                    "number of examples."),
            Mistake("whole batch at once", _whole_batch, "You called grad_fn once on the whole batch: that is the "
                    "answer, but not data parallelism. Call it on each shard and combine the shard gradients."),
            Mistake("first shard only", _first_shard_only),
            Mistake("one example at a time", _one_example_at_a_time, "You called grad_fn on every example "
                    "separately: the sum is right, but that is one worker per example, not k workers. Call it once "
                    "on each of the k shards."),
            Mistake("shuffles its input", _shard_shuffled_in_place),
            Mistake("own gradient formula", _shard_own_formula),
            Mistake("accumulator with w's dtype", _shard_accumulator_like_w, "np.zeros_like(w) has the dtype of w: "
                    "for integer weights it is an integer array, and `+=` of float gradients fails. Start from "
                    "np.zeros(np.shape(w)), or write total = total + ..."),
            Mistake("shards of ceil(n / k)", _shard_ceil_sized),
            Mistake("accumulator with one entry per feature", _shard_accumulator_per_feature, "You started the sum "
                    "from one entry per feature (np.zeros(X.shape[1])), but the gradient has w's shape, and w may have "
                    "more entries than X has features (a bias): start from np.zeros(np.shape(w))."),
            Mistake("accumulator of three entries", _shard_accumulator_of_three, "You started the sum from "
                    "np.zeros(3), the size of the lesson's w: the gradient has as many entries as w, whatever the "
                    "number of features. Start from np.zeros(np.shape(w))."),
            Mistake("accumulator like y", _shard_accumulator_like_y, "An accumulator with the dtype of y is an "
                    "integer array for whole-number targets (0/1 labels), and `+=` of float gradients fails. Start "
                    "from np.zeros(np.shape(w)), or write total = total + ..."),
            Mistake("accumulator like a row of X", _shard_accumulator_like_a_row, "np.zeros_like(X[0]) has the "
                    "dtype of X: for integer features it is an integer array, and `+=` of float gradients fails. "
                    "Start from np.zeros(np.shape(w)), or write total = total + ..."),
            Mistake("sizes @ gradients", _shard_sizes_times_gradients, "sizes @ gradients (or np.dot) sums over the "
                    "gradients' second-to-last axis, which is the shards' axis only when w is a vector; w may be a "
                    "matrix (a model with several outputs): add len(X_j) * grad_fn(w, X_j, y_j) shard by shard, or "
                    "use np.tensordot(sizes, gradients, axes=1)."),
            Mistake("sizes[:, None] * gradients", _shard_sizes_down_a_column, "sizes[:, None] lines one size up "
                    "with each row of the gradients only when each gradient is a vector; w may be a matrix (a model "
                    "with several outputs), and then each gradient has two axes: add len(X_j) * grad_fn(w, X_j, y_j) "
                    "shard by shard, or use np.tensordot(sizes, gradients, axes=1)."),
            Mistake("divided by y.size", _shard_over_the_size_of_y, "y.size counts every entry of y, and y may have "
                    "one column per output: divide by the number of examples, len(X)."),
            Mistake("k renamed", _shard_renamed, "Keep the parameter names of the signature shard_gradient(grad_fn, "
                    "w, X, y, k): a caller may pass k=... by keyword."),
            Mistake("NaN gradients dropped", _shard_nan_dropped, "np.nansum (or leaving out a shard whose gradient "
                    "is not finite) hides a broken batch: on one machine a NaN in one example's gradient makes the "
                    "full-batch gradient NaN. Add the shards' gradients with + or np.sum."),
            Mistake("X turned into float32", _shard_x_in_float32, _IN_FLOAT32),
            Mistake("w turned into float32", _shard_w_in_float32, _IN_FLOAT32),
            Mistake("sum kept in float32", _shard_accumulator_in_float32, _IN_FLOAT32),
            Mistake("gradients squeezed", _shard_squeezed, "np.squeeze turns the gradient of a model with one "
                    "feature (shape (1,)) into a single number: return an array of w's shape, and leave "
                    "grad_fn's result as it is."),
        ),
    ),
    "ring_step": Exercise(
        reference=_ring_reference,
        cases=_ring_cases,
        run=refusing_course_versions(_run_ring, (ring_step,)),
        compare=_compare_ring,
        hint="new = buffers.astype(float) (a copy). For every worker i: c = (i - step) % k, then "
        "new[(i + 1) % k, c] += buffers[i, c]. Raise ValueError unless buffers has shape (k, k, ...) with k >= 2.",
        mistakes=(
            Mistake("changes its input", _ring_in_place, "You updated `buffers` in place; the caller's array must "
                    "stay as it was. Work on a copy."),
            Mistake("wrong direction", _ring_wrong_direction, "You sent to the left neighbour (i - 1); the ring "
                    "sends to the right, (i + 1) % k."),
            Mistake("wrong chunk", _ring_wrong_chunk, "Worker i sends chunk (i - step) % k, not (i + step) % k."),
            Mistake("chunk of the receiver", _ring_chunk_of_the_receiver, "The chunk index belongs to the sender: "
                    "worker i sends its chunk (i - step) % k, so the worker j = i + 1 receives chunk (j - 1 - step) % k, "
                    "not (j - step) % k."),
            Mistake("overwrite instead of add", _ring_overwrite),
            Mistake("buffers turned into float32", _ring_in_float32, "buffers.astype(np.float32) rounds float64 "
                    "gradients to about 7 digits, and a sum of two large numbers that nearly cancel loses what is "
                    "left: copy with buffers.astype(float), which keeps float64."),
            Mistake("three dimensions only", _ring_three_dims_only),
            Mistake("returns a list", _ring_as_lists),
            Mistake("chunk axis required", _ring_with_a_chunk_axis, "Shape (k, k, ...) includes (k, k): chunks of one "
                    "number each, with no chunk axis. Check buffers.ndim >= 2, and index with buffers[i, c], not "
                    "buffers[i, c, :]."),
            Mistake("more chunks than workers allowed", _ring_more_chunks_allowed, "The ring cuts every gradient "
                    "into exactly k chunks, one per worker: raise ValueError unless buffers.shape[1] == "
                    "buffers.shape[0], also when there are more chunks than workers."),
            Mistake("only one worker rejected", _ring_single_worker_only, "A ring needs k >= 2 workers, so "
                    "buffers with no workers at all (k = 0) must raise ValueError too: check buffers.shape[0] < 2, "
                    "not buffers.shape[0] == 1."),
            Mistake("one worker allowed", _ring_one_worker_allowed, "A ring needs k >= 2 workers: raise ValueError "
                    "for buffers of shape (1, 1, ...) too (check buffers.shape[0] < 2), not only when the first two "
                    "sizes differ."),
            Mistake("step renamed", _ring_renamed, "Keep the parameter names of the signature ring_step(buffers, "
                    "step): a caller may pass step=... by keyword."),
        ),
    ),
    "sampler_indices": Exercise(
        reference=reference_of(sampler_indices),
        cases=_sampler_cases,
        run=refusing_course_versions(_run_sampler, (sampler_indices,)),
        compare=_compare_sampler,
        hint="order = np.asarray(order). With drop_last, cut it to a multiple of num_replicas; otherwise pad it "
        "to the next multiple by repeating its start. Then return order[rank::num_replicas]. Raise ValueError "
        "unless 0 <= rank < num_replicas.",
        mistakes=(
            Mistake("drop_last keeps a round it cannot fill", _sampler_drop_last_truncates_toward_zero, "With "
                    "drop_last and fewer examples than ranks, no rank gets anything: keep "
                    "(n // num_replicas) * num_replicas examples (// rounds down; int() of a negative fraction "
                    "rounds up)."),
            Mistake("drop_last rounds to the nearest", _sampler_drop_last_rounds_to_the_nearest, "With drop_last, "
                    "cut down: round(n / num_replicas) goes up a round when more than half a round is left over, and "
                    "the order cannot fill it. Keep (n // num_replicas) * num_replicas examples."),
            Mistake("start repeated once only", _sampler_start_once, "With fewer examples than the padding needs, "
                    "the start must be repeated several times (np.resize(order, total) does that)."),
            Mistake("contiguous blocks", _sampler_contiguous, "DistributedSampler deals the indices out like cards "
                    "(rank, rank + W, ...), not in contiguous blocks."),
            Mistake("no padding", _sampler_no_padding, "Without padding, ranks get different numbers of examples and "
                    "the ranks fall out of step. Pad by repeating the start of the order."),
            Mistake("positions, not the order", _sampler_positions, "You returned positions 0, 1, 2, ... instead of "
                    "the values of `order` at those positions (the shuffled indices)."),
            Mistake("negative rank allowed", _sampler_negative_rank, "Raise ValueError for a negative rank too: "
                    "order[-1::W] would quietly hand out the last index. Check 0 <= rank < num_replicas."),
            Mistake("ignores drop_last", _sampler_ignores_drop_last),
            Mistake("float indices", _sampler_float),
            Mistake("drop_last keyword-only", _sampler_keyword_only, "The signature is sampler_indices(order, "
                    "num_replicas, rank, drop_last=False), so drop_last may come as the fourth positional argument: "
                    "do not put it after a `*`."),
            Mistake("order assumed to be an array", _sampler_needs_an_array, "`order` may be a Python list or a "
                    "range (torch.randperm(n).tolist(), range(n)), which have no .size, .shape or .astype: start "
                    "with order = np.asarray(order), or use len(order)."),
            Mistake("num_replicas renamed", _sampler_renamed, "Keep the parameter names of the signature "
                    "sampler_indices(order, num_replicas, rank, drop_last=False): a caller may pass num_replicas=... "
                    "and rank=... by keyword, as DistributedSampler takes them."),
            Mistake("order tiled ceil(total / n) times", _sampler_tiled, "An empty order (a dataset of no examples) "
                    "gives every rank nothing, but ceil(total / n) divides by n = 0 there: pad with "
                    "np.resize(order, total), which repeats the start without dividing, or handle n = 0 first."),
            Mistake("order copied with order.copy()", _sampler_copies_with_a_method, "`order` may be a range "
                    "(range(n), the order without shuffling), which has no .copy(): copy with "
                    "order = np.array(order), which works for a range, a list and an array."),
            Mistake("drop_last cuts the padding's length", _sampler_cuts_the_padding, "With drop_last, cut the n % "
                    "num_replicas examples that do not fill a round, not the (-n) % num_replicas that padding "
                    "would add: keep order[:n - n % num_replicas]."),
            Mistake("drop_last cuts with [:-(n % W)]", _sampler_cut_by_negative_slice, "order[:-(n % num_replicas)] "
                    "is empty when n is a multiple of num_replicas ([:-0] is [:0]). Cut with "
                    "order[:n - n % num_replicas] or order[:(n // num_replicas) * num_replicas]."),
            Mistake("a whole round padded", _sampler_pads_a_whole_round, "When len(order) is already a multiple "
                    "of num_replicas there is nothing to pad, but num_replicas - n % num_replicas pads a whole round "
                    "more: pad (-n) % num_replicas examples, or take the total -(-n // num_replicas) * num_replicas."),
            # round 26 (r268 F4): padding with the positions np.arange(pad) hands out index 0 at the same place,
            # so this message names both ways
            Mistake("padded with zeros", _sampler_padded_with_zeros, "The padding hands out the numbers 0 (np.pad's "
                    "zeros: it pads with zeros unless told otherwise, mode=\"constant\") or 0, 1, ... "
                    "(np.arange(pad)'s positions), not the start of `order`. "
                    "DistributedSampler repeats the first indices of the epoch's order: pad with np.pad(order, (0, "
                    "pad), mode=\"wrap\"), or take np.resize(order, total)."),
            Mistake("padded with the last index", _sampler_padded_with_the_last, "The padding repeats the start "
                    "of `order`, not its last index (np.pad's mode=\"edge\"): DistributedSampler pads with "
                    "order[:pad], its first indices. Pad with mode=\"wrap\", or take np.resize(order, total)."),
            Mistake("divides before checking the rank", _sampler_divides_before_checking, "With num_replicas = 0 no "
                    "rank is valid, but n // num_replicas raises ZeroDivisionError before your check: check "
                    "0 <= rank < num_replicas first, so that every invalid input raises ValueError."),
        ),
    ),
    "accumulation_step": Exercise(
        reference=_accumulation_step,
        cases=_accumulation_cases,
        run=refusing_course_versions(_run_accumulation, (_backward_on_pieces,)),   # the reference's loop
        compare=_compare_accumulation,
        hint="optimizer.zero_grad() once; for xb, yb in zip(torch.tensor_split(x, micro_batches), "
        "torch.tensor_split(y, micro_batches)): loss = loss_fn(model(xb), yb) * len(xb) / len(x); loss.backward(); "
        "add loss.item(). Then optimizer.step() once and return the total. Raise ValueError unless "
        "1 <= micro_batches <= len(x).",
        mistakes=(
            Mistake("unscaled losses", _accumulate_unscaled, "Each micro-batch's mean loss was backpropagated as it "
                    "is, so the gradients add up to micro_batches times too much. Scale each by len(xb) / len(x)."),
            Mistake("loss: plain mean of the pieces' losses", _accumulate_loss_plain_mean, "Your step is right, but "
                    "the loss you returned is the plain mean of the pieces' losses, and pieces of unequal sizes (4, 3, "
                    "3) do not count alike: add loss.item() of each scaled loss, loss_fn(model(xb), yb) * len(xb) / "
                    "len(x)."),
            Mistake("divided by the count", _accumulate_over_count, "Dividing by micro_batches is right only for "
                    "equal pieces; scale by len(xb) / len(x)."),
            Mistake("step every micro-batch", _accumulate_step_each, "You stepped after every micro-batch: that is "
                    "several small-batch steps, not one large-batch step."),
            Mistake("pieces of len(x) // micro_batches", _accumulate_pieces_of_the_floor, "torch.split(x, len(x) // "
                    "micro_batches) cuts more pieces than micro_batches when len(x) is not a multiple of it (10 in 3: "
                    "3, 3, 3, 1): torch.tensor_split(x, micro_batches) cuts exactly micro_batches pieces."),
            Mistake("pieces of size micro_batches", _accumulate_pieces_of_size, "micro_batches is the number of "
                    "pieces, not their size: torch.split(x, m) cuts pieces of m examples, torch.tensor_split(x, m) "
                    "cuts m pieces."),
            Mistake("pieces from torch.chunk", _accumulate_chunked, "torch.chunk(x, m) cuts pieces of ceil(n / m) "
                    "examples, so it may cut fewer or other pieces than m (10 in 4: 3, 3, 3, 1): "
                    "torch.tensor_split(x, micro_batches) cuts exactly micro_batches pieces, as even as they can be."),
            Mistake("graphs retained", _accumulate_retaining_graphs, "backward(retain_graph=True) keeps each "
                    "piece's graph (its saved activations) until the next piece's loss replaces it, so two pieces' "
                    "graphs are in memory at once: call loss.backward() without retain_graph."),
            Mistake("one backward for all pieces", _accumulate_one_backward, "You called backward() once, on the "
                    "sum of the pieces' losses: every piece's graph stays in memory until then, as much as for the "
                    "whole batch. Call loss.backward() on each piece inside the loop."),
            Mistake("whole batch at once", _accumulate_whole_batch, "You ran the whole batch through the model at "
                    "once: the point of accumulation is that only one micro-batch is in memory at a time."),
            Mistake("optimizer of its own", _accumulate_own_sgd, "You stepped with an optimizer (or an update) of "
                    "your own, not the optimizer you were given (the caller may pass Adam or SGD with momentum). "
                    "Call optimizer.step() once, after the loop."),
            Mistake("fresh copy of the optimizer", _accumulate_fresh_optimizer, "The caller's optimizer was left "
                    "without the state one step gives it (momentum buffers, Adam's running averages), as when you step "
                    "with a fresh copy of it (type(optimizer)(...)) or clear optimizer.state: call optimizer.step() on "
                    "the optimizer you were given, and leave its state as it is."),
            Mistake("weights updated by hand", _accumulate_by_hand, "You changed the weights yourself instead of "
                    "calling optimizer.step(): an optimizer does more than p -= lr * p.grad (weight decay, "
                    "momentum, Adam's scaling). Call optimizer.step() once, after the loop."),
            Mistake("grad mode left off", _accumulate_leaving_grad_off),
            Mistake("gradients never zeroed", _accumulate_without_zeroing, "the caller's model still held old "
                    "gradients in p.grad, and backward() adds to what is there, so your step used the old gradients "
                    "plus this batch's: zero them first, once, with optimizer.zero_grad() before the loop."),
            Mistake("zero_grad inside the loop", _accumulate_zero_inside),
            Mistake("gradients zeroed by hand", _accumulate_grads_zeroed_by_hand, "p.grad is None on a model that "
                    "has not run backward() yet (like the lesson's model in the next cell), so p.grad.zero_() fails: "
                    "call optimizer.zero_grad(), which handles both."),
            Mistake("frozen weights given zero gradients", _accumulate_grads_set_to_zeros, "p.grad = "
                    "torch.zeros_like(p) gives a frozen weight (requires_grad False, whose p.grad is None) a gradient "
                    "of zeros, and optimizer.step() then moves it all the same (weight decay, momentum): call "
                    "optimizer.zero_grad(), which sets every gradient to None."),
            Mistake("gradients clipped", _accumulate_clipped, "You clipped the gradients "
                    "(clip_grad_norm_): that shrinks the step whenever their norm is above max_norm, so it is no "
                    "longer the step of the whole batch. Accumulate and step without clipping."),
            Mistake("hooks left on the model", _accumulate_hooks_left, "You scaled the gradients with hooks "
                    "(p.register_hook) and left them on the caller's model, so they scale every later backward pass "
                    "too: scale each piece's loss (* len(xb) / len(x)) instead, or remove each hook (handle.remove()) "
                    "before returning."),
            Mistake("x set to require grad", _accumulate_x_requiring_grad, "x.requires_grad_() changes the caller's "
                    "x, so everything later computed from it builds an autograd graph: the step needs gradients of "
                    "the weights only; leave x as it is."),
            Mistake("eval mode", _accumulate_in_eval_mode),
            Mistake("forward in eval mode", _accumulate_forward_in_eval_mode),
            Mistake("loss function of its own", _accumulate_own_loss, "You computed the loss with a loss function of "
                    "your own, not the loss_fn you were given (the caller may pass another loss, here one with label "
                    "smoothing). Call loss_fn(model(xb), yb)."),
            Mistake("loss_fn.reduction changed", _accumulate_sum_reduction),
            Mistake("model left in float64", _accumulate_in_double),
            Mistake("requires_grad switched off", _accumulate_freezing),
            Mistake("only zero micro-batches rejected", _accumulate_zero_only, "A negative micro_batches must raise "
                    "ValueError too (torch.tensor_split raises a RuntimeError of its own): check "
                    "1 <= micro_batches <= len(x)."),
            Mistake("loss returned with its graph", _accumulate_returning_the_graph),
            Mistake("x turned into float32", _accumulate_in_float32, "x may be float64, for a float64 model: pass x "
                    "to the model as it is, without x.float()."),
            Mistake("loss computed in float32", _accumulate_loss_in_float32, "model(xb).float() (or yb.float()) "
                    "computes a float64 model's loss in float32, which keeps about 7 digits: predictions of about 1e6 "
                    "that differ from their targets by 1e-3 become equal. Pass model(xb) and yb to loss_fn as they "
                    "are."),
            Mistake("targets turned into class indices", _accumulate_class_targets, "y may hold float targets (here "
                    "for a mean squared error): pass y to loss_fn as it is, without y.long()."),
            Mistake("micro_batches renamed", _accumulate_renamed, "Keep the parameter names of the signature "
                    "accumulation_step(model, loss_fn, optimizer, x, y, micro_batches): a caller may pass "
                    "micro_batches=... by keyword."),
            Mistake("first parameter group only", _accumulate_zeroing_first_group, "call optimizer.zero_grad(): it "
                    "clears every parameter group, and param_groups[0] alone leaves stale gradients in the others"),
            Mistake("trainable weights zeroed only", _accumulate_zeroing_trainable_only, "call "
                    "optimizer.zero_grad(): it also clears a frozen weight that still holds the gradient of its last "
                    "step, which optimizer.step() would otherwise apply, moving the frozen layer"),
            Mistake("loss: sum of the pieces' mean losses", _accumulate_loss_summed_means, "Your step is right, "
                    "but the loss you returned is the sum of the pieces' mean losses, about micro_batches times the "
                    "batch's mean loss: add loss.item() of each scaled loss, loss_fn(model(xb), yb) * len(xb) / "
                    "len(x)."),
            # round 26 (r268 F1): flattening the targets instead (yb.squeeze(-1)) gives the same (n, n) table and
            # the same step, so this one message names both
            Mistake("predictions squeezed", _accumulate_squeezed, "flattening a one-output model's predictions or "
                    "the targets (squeeze(-1), view(-1), flatten(), reshape(-1)) turns shape (n, 1) into shape (n,), "
                    "and the loss then broadcasts (n,) against (n, 1) "
                    "into an (n, n) table: pass model(xb) and yb to loss_fn as they are, both of shape (n, 1)."),
        ),
    ),
}


NOTEBOOKS = {
    "08a_data_parallelism": ("shard_gradient", "ring_step", "sampler_indices"),
    "08b_distributed_in_practice": ("accumulation_step",),
}
