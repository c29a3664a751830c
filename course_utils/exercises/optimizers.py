"""Exercises of lesson 04 (optimizers)."""
import numpy as np

from .. import optimizers as ref
from ..checks import Case, Exercise, Mismatch, compare_values


def _sgd_cases():
    rng = np.random.default_rng(4)
    return [
        Case((np.array([1.0, -2.0]), np.array([0.5, 0.5]), 0.1), label="two weights"),
        Case((rng.normal(size=(3, 4)), rng.normal(size=(3, 4)), 0.01), label="a weight matrix"),
        Case((np.array([0.3]), np.array([-2.0]), 1.0), label="a single weight"),
        Case((np.ones(2), np.array([1e8, -1e8]), 1e-3), label="huge gradients"),
        Case((np.ones(2), np.array([np.nan, 1.0]), 0.1), label="a NaN gradient stays NaN"),
        Case((np.ones(3), np.ones(1), 0.1), label="gradient of the wrong shape", raises=ValueError),
        Case((np.ones(2), np.ones(2), -0.1), label="negative learning rate", raises=ValueError),
    ]


def _momentum_cases():
    rng = np.random.default_rng(5)
    w, g = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    return [
        Case((np.array([1.0, -1.0]), np.array([0.2, -0.4]), np.zeros(2), 0.1, 0.9), label="first step (v = 0)"),
        Case((w, g, rng.normal(size=(2, 3)), 0.05, 0.9), label="a matrix with some velocity"),
        Case((np.array([2.0]), np.array([1.0]), np.array([3.0]), 0.5, 0.0), label="mu = 0 is plain SGD"),
        Case((np.ones(2), np.array([1e6, 1e6]), np.array([1e6, -1e6]), 1e-4, 0.99), label="large values"),
        Case((np.ones(2), np.ones(2), np.ones(3), 0.1, 0.9), label="velocity of the wrong shape", raises=ValueError),
        Case((np.ones(2), np.ones(2), np.zeros(2), 0.1, 1.5), label="mu = 1.5 (must be in [0, 1))", raises=ValueError),
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
        Case((np.ones(2), np.ones(2), np.zeros(2), np.zeros(3), 1), {"lr": 0.1}, label="v of the wrong shape", raises=ValueError),
        Case((np.ones(2), np.ones(2), np.zeros(2), np.zeros(2), 0), {"lr": 0.1}, label="t = 0 (t counts from 1)", raises=ValueError),
    ]


def _batches_summary(answer, case):
    """Run the learner's iterator and summarise what must hold for any correct shuffle."""
    n, batch_size = case.args
    batches = [np.asarray(b) for b in answer(n, batch_size, np.random.default_rng(0))]
    if not batches or any(b.ndim != 1 for b in batches):
        raise Mismatch(f"expected a list of 1-D index arrays, got {len(batches)} batches")
    together = np.concatenate(batches)
    sizes = [len(b) for b in batches]
    shuffled = n < 10 or not np.array_equal(together, np.arange(n))
    return np.sort(together), np.array(sizes), float(shuffled)


def _compare_batches(got, want):
    indices, sizes, shuffled = got
    if len(indices) != len(want[0]) or not np.array_equal(indices, want[0]):
        missing = sorted(set(want[0].tolist()) - set(indices.tolist()))
        raise Mismatch(f"the batches together hold {len(indices)} indices, expected each of 0..{len(want[0]) - 1} "
                       f"exactly once" + (f" (missing e.g. {missing[:3]})" if missing else " (some repeat)"))
    if not np.array_equal(sizes, want[1]):
        raise Mismatch(f"batch sizes {sizes.tolist()[:6]}..., expected {want[1].tolist()[:6]}... "
                       "(full batches first, a smaller last one)")
    if not shuffled:
        raise Mismatch("the indices come out in order 0, 1, 2, ...: shuffle them with rng.permutation(n)")
    compare_values(shuffled, want[2])


EXERCISES = {
    "sgd_step": Exercise(
        reference=ref.sgd_step,
        cases=_sgd_cases,
        hint="w - lr * grad. Check first that grad has the same shape as w (numpy would silently broadcast "
        "a gradient of shape (1,)) and that lr > 0; raise ValueError otherwise.",
    ),
    "momentum_step": Exercise(
        reference=ref.momentum_step,
        cases=_momentum_cases,
        hint="velocity = mu * velocity + grad, then w - lr * velocity; return (new_w, new_velocity). "
        "Raise ValueError for shapes that differ, lr <= 0 or mu outside [0, 1).",
    ),
    "adam_step": Exercise(
        reference=ref.adam_step,
        cases=_adam_cases,
        hint="m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g**2; m_hat = m/(1-b1**t); v_hat = v/(1-b2**t); "
        "w - lr*m_hat/(sqrt(v_hat)+eps). Return (w, m, v) with the UNcorrected m and v. "
        "Raise ValueError for t < 1 or shapes that differ.",
    ),
    "minibatch_indices": Exercise(
        reference=ref.minibatches,
        cases=lambda: [Case((10, 3), label="10 examples, batches of 3"), Case((100, 10), label="100 in 10s"),
                       Case((7, 7), label="one full batch"), Case((1, 1), label="a batch of one"),
                       Case((5, 50), label="batch larger than the data"), Case((53, 1), label="pure SGD"),
                       Case((10, 0), label="batch size 0", raises=ValueError)],
        run=_batches_summary,
        compare=_compare_batches,
        hint="order = rng.permutation(n); return [order[i:i + batch_size] for i in range(0, n, batch_size)]. "
        "Raise ValueError when batch_size < 1.",
    ),
}
