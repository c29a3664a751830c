"""Targeted checks of lessons 00-08's exercises: right answers written another way still pass,
and the mistakes the catalogues name are caught for the reason they name."""
from __future__ import annotations

import inspect
import math
import re

import numpy as np
import pytest

from course_utils import exercises as registry
from course_utils.checks import ExerciseFailed, check, judge, PASSED, WRONG
from references import mistake_copy, reference_copy

sigmoid = reference_copy("sigmoid")   # the course's sigmoid: a copy, as the sigmoid check refuses the function itself


@pytest.fixture(autouse=True)
def friendly(monkeypatch, tmp_path):
    monkeypatch.delenv("COURSE_STRICT", raising=False)
    monkeypatch.chdir(tmp_path)


def _passes(name, answer):
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == PASSED, verdict.text


def _refused_as_the_course_s_own(name, answer):
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and "the course's own version of this exercise" in verdict.text, verdict.text


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



def test_minibatch_indices_wants_integer_indices():
    """Float indices hold each of 0..n-1 once, but X[idx] refuses them."""
    with pytest.raises(ExerciseFailed, match="index arrays must hold integers"):
        check("minibatch_indices", lambda n, b, rng: _cut(rng.permutation(n).astype(float), b), strict=True)


def test_an_extra_empty_batch_is_shown_by_the_number_of_batches():
    def one_batch_too_many(n, batch_size, rng):
        order = rng.permutation(n)
        return _cut(order, batch_size) + ([order[n:]] if n % batch_size == 0 else [])

    with pytest.raises(ExerciseFailed, match=r"11 batches of sizes .* expected 10 of sizes"):
        check("minibatch_indices", one_batch_too_many, strict=True)


def test_a_shuffle_inside_each_batch_is_named():
    """The same examples share a batch in every epoch; only their order inside it changes."""
    def shuffled_inside(n, batch_size, rng):
        return [rng.permutation(block) for block in _cut(np.arange(n), batch_size)]

    verdict = judge(registry.get_exercise("minibatch_indices"), shuffled_inside)
    assert verdict.mistake == "shuffled within batches" and "only shuffled inside the batch" in verdict.text


def test_a_partial_shuffle_is_rejected():
    def first_half_shuffled(n, batch_size, rng):
        order = np.arange(n)
        order[:n // 2] = rng.permutation(n // 2)
        return _cut(order, batch_size)

    with pytest.raises(ExerciseFailed, match=r"more than a quarter of the indices stay at their own place"):
        check("minibatch_indices", first_half_shuffled, strict=True)


def _last_batch_kept(n, batch_size, rng):
    full = n // batch_size * batch_size
    return _cut(np.concatenate([rng.permutation(full), np.arange(full, n)]), batch_size)


def _halves_shuffled_apart(n, batch_size, rng):
    return _cut(np.concatenate([rng.permutation(n // 2), n // 2 + rng.permutation(n - n // 2)]), batch_size)


@pytest.mark.parametrize("answer", [_last_batch_kept, _halves_shuffled_apart], ids=["last batch kept", "halves"])
def test_a_shuffle_that_keeps_a_part_apart_is_rejected(answer):
    """Few indices stay in place, yet some never leave their half of the order, whatever the seed."""
    with pytest.raises(ExerciseFailed, match="never left their half of the order"):
        check("minibatch_indices", answer, strict=True)


@pytest.mark.parametrize("seed", [0, 1, 42, 123])
def test_a_hard_coded_seed_is_caught_whatever_the_seed(seed):
    with pytest.raises(ExerciseFailed, match="different rng seeds gave the same order"):
        check("minibatch_indices", lambda n, b, rng: _cut(np.random.default_rng(seed).permutation(n), b),
              strict=True)


def test_a_zero_learning_rate_and_a_wrong_gradient_shape_are_tried():
    labels = [c.label for c in registry.get_exercise("momentum_step").cases()]
    assert "learning rate 0" in labels and "gradient of the wrong shape" in labels


def test_momentum_rejects_weights_shaped_unlike_grad_and_velocity():
    def compares_grad_with_velocity(w, grad, velocity, lr, mu=0.9):
        w, grad, velocity = (np.asarray(a, dtype=float) for a in (w, grad, velocity))
        if grad.shape != velocity.shape or not lr > 0 or not 0 <= mu < 1:
            raise ValueError("bad input")
        velocity = mu * velocity + grad
        return w - lr * velocity, velocity

    with pytest.raises(ExerciseFailed, match="w of another shape than grad and velocity"):
        check("momentum_step", compares_grad_with_velocity, strict=True)


@pytest.mark.parametrize("name, shapes", [("momentum_step", ("velocity",)), ("adam_step", ("m", "v"))])
def test_a_state_array_of_shape_one_is_tried(name, shapes):
    """A state of shape (1,) broadcasts silently; one of shape (3,) against (2,) would fail in numpy anyway."""
    cases = {c.label: c for c in registry.get_exercise(name).cases()}
    for state in shapes:
        args = cases[f"{state} of the wrong shape"].args
        assert args[{"velocity": 2, "m": 2, "v": 3}[state]].shape == (1,) and args[0].shape == (2,)


def _same_lengths(*arrays):
    """A shape check written with len(): every array as long as the first passes it."""
    if any(len(a) != len(arrays[0]) for a in arrays):
        raise ValueError("lengths differ")


def _sgd_by_length(w, grad, lr):
    _same_lengths(w, grad)
    if not lr > 0:
        raise ValueError("lr must be positive")
    return np.asarray(w) - lr * np.asarray(grad)


def _momentum_by_length(w, grad, velocity, lr, mu=0.9):
    _same_lengths(w, grad, velocity)
    if not lr > 0 or not 0 <= mu < 1:
        raise ValueError("bad lr or mu")
    velocity = mu * np.asarray(velocity) + np.asarray(grad)
    return np.asarray(w) - lr * velocity, velocity


def _adam_by_length(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    _same_lengths(w, grad, m, v)
    if t < 1:
        raise ValueError("t counts from 1")
    m = beta1 * np.asarray(m) + (1 - beta1) * np.asarray(grad)
    v = beta2 * np.asarray(v) + (1 - beta2) * np.asarray(grad) ** 2
    return w - lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps), m, v


@pytest.mark.parametrize("name", ["sgd_step", "momentum_step", "adam_step"])
def test_a_shape_check_written_with_len_is_rejected(name):
    """A gradient of shape (3, 1) has the length of weights of shape (3,) but broadcasts to (3, 3)."""
    with pytest.raises(ExerciseFailed, match=r"a column gradient \(3, 1\)"):
        check(name, {"sgd_step": _sgd_by_length, "momentum_step": _momentum_by_length,
                     "adam_step": _adam_by_length}[name], strict=True)


@pytest.mark.parametrize("compared", [("grad", "w"), ("m", "v")], ids=["w never compared", "m with v"])
def test_adam_rejects_state_shapes_compared_among_themselves(compared):
    def answer(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        shapes = {"w": np.shape(w), "grad": np.shape(grad), "m": np.shape(m), "v": np.shape(v)}
        others = [shapes[k] for k in ("grad", "m", "v")] if compared == ("grad", "w") else [shapes["m"], shapes["v"]]
        if len(set(others)) > 1 or (compared == ("m", "v") and shapes["grad"] != shapes["w"]) or t < 1:
            raise ValueError("shapes differ")
        m = beta1 * np.asarray(m) + (1 - beta1) * np.asarray(grad)
        v = beta2 * np.asarray(v) + (1 - beta2) * np.asarray(grad) ** 2
        return w - lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps), m, v

    with pytest.raises(ExerciseFailed, match="of the same wrong shape|w of another shape than grad, m and v"):
        check("adam_step", answer, strict=True)


def test_adam_rejects_a_negative_step_number():
    def rejects_only_zero(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        if not np.shape(grad) == np.shape(m) == np.shape(v) == np.shape(w) or t == 0:
            raise ValueError("bad input")
        m, v = beta1 * m + (1 - beta1) * grad, beta2 * v + (1 - beta2) * grad ** 2
        return w - lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps), m, v

    with pytest.raises(ExerciseFailed, match=r"t = -1"):
        check("adam_step", rejects_only_zero, strict=True)


def _rejecting_lr_above_1(step):
    def answer(*args, **kwargs):
        lr = kwargs.get("lr", args[{"sgd_step": 2, "momentum_step": 3, "adam_step": 5}[step]]
                        if len(args) > {"sgd_step": 2, "momentum_step": 3, "adam_step": 5}[step] else 1e-3)
        if lr > 1:
            raise ValueError("lr must be at most 1")
        return reference_copy(step)(*args, **kwargs)
    return answer


@pytest.mark.parametrize("name", ["sgd_step", "momentum_step", "adam_step"])
def test_optimizer_steps_allow_a_learning_rate_above_one(name):
    with pytest.raises(ExerciseFailed, match="lr = 2"):
        check(name, _rejecting_lr_above_1(name), strict=True)


def _sgd_copy_then_subtract(w, grad, lr):
    if np.shape(grad) != np.shape(w) or not lr > 0:
        raise ValueError("bad input")
    new_w = w.copy()
    new_w -= lr * grad
    return new_w


def _momentum_into_zeros_like(w, grad, velocity, lr, mu=0.9):
    w, grad = np.asarray(w), np.asarray(grad)
    if grad.shape != w.shape or np.shape(velocity) != w.shape or not lr > 0 or not 0 <= mu < 1:
        raise ValueError("bad input")
    new_v = np.zeros_like(velocity)
    new_v[...] = mu * velocity + grad
    return w - lr * new_v, new_v


def _adam_into_zeros_like(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    if not np.shape(grad) == np.shape(m) == np.shape(v) == np.shape(w) or t < 1:
        raise ValueError("bad input")
    new_m, new_v = np.zeros_like(m), np.zeros_like(v)
    new_m[...] = beta1 * m + (1 - beta1) * grad
    new_v[...] = beta2 * v + (1 - beta2) * grad ** 2
    return w - lr * (new_m / (1 - beta1 ** t)) / (np.sqrt(new_v / (1 - beta2 ** t)) + eps), new_m, new_v


@pytest.mark.parametrize("name, answer", [("sgd_step", _sgd_copy_then_subtract),
                                          ("momentum_step", _momentum_into_zeros_like),
                                          ("adam_step", _adam_into_zeros_like)])
def test_optimizer_steps_are_tried_on_integer_weights_and_state(name, answer):
    """np.zeros_like of integer weights gives an integer velocity or moments: a copy keeps that dtype."""
    with pytest.raises(ExerciseFailed, match="integer weights"):
        check(name, answer, strict=True)


def test_minibatch_indices_names_a_missing_return_and_leaves_numpys_random_state_alone():
    def no_return(n, batch_size, rng):
        _cut(rng.permutation(n), batch_size)
    with pytest.raises(ExerciseFailed, match="Did you forget `return`"):
        check("minibatch_indices", no_return, strict=True)

    def reseeds(n, batch_size, rng):
        np.random.seed(0)
        return _cut(rng.permutation(n), batch_size)
    np.random.seed(0)  # a notebook that seeded numpy with the same seed and drew nothing since
    before = np.random.get_state()
    with pytest.raises(ExerciseFailed, match="global random state"):
        check("minibatch_indices", reseeds, strict=True)
    assert all(np.array_equal(a, b) for a, b in zip(before, np.random.get_state()))
    _passes("minibatch_indices", lambda n, batch_size, rng: _cut(rng.permutation(n), batch_size))



def test_sgd_step_is_tried_on_an_integer_gradient():
    """np.zeros_like(grad) of an integer gradient holds integers, and the new weights stored in it are cut."""
    with pytest.raises(ExerciseFailed, match="an integer gradient"):
        check("sgd_step", catalogued("sgd_step", "stored in np.zeros_like(grad)"), strict=True)



@pytest.mark.parametrize("name, mistake", [
    ("sgd_step", "lr must be a float"), ("sgd_step", "sizes compared, then reshaped"),
    ("momentum_step", "velocity's length compared"), ("momentum_step", "another default for mu"),
    ("adam_step", "moments' lengths compared"), ("adam_step", "another default for lr"),
    ("adam_step", "betas in another order"), ("minibatch_indices", "small last batch merged"),
])
def test_lesson_04_generated_inputs_catch_what_every_hand_picked_case_shares(name, mistake):
    """Whole-number lr, wrong shapes of w's length or size, defaults left out, betas by position, a small
    remainder: no hand-picked case has them, so only the generated inputs reject these answers."""
    with pytest.raises(ExerciseFailed, match="a generated input"):
        check(name, catalogued(name, mistake), strict=True)


def _same_end_sizes(w, *arrays):
    """A shape check that compares the number of axes and the first and last sizes, never a middle one."""
    for a in arrays:
        if np.ndim(a) != np.ndim(w) or np.shape(a)[0] != np.shape(w)[0] or np.shape(a)[-1] != np.shape(w)[-1]:
            raise ValueError("shapes differ")


def _sgd_by_end_sizes(w, grad, lr):
    _same_end_sizes(w, grad)
    if not lr > 0:
        raise ValueError("lr must be positive")
    return np.asarray(w, dtype=float) - lr * np.asarray(grad, dtype=float)


def _momentum_by_end_sizes(w, grad, velocity, lr, mu=0.9):
    _same_end_sizes(w, grad)
    if np.shape(velocity) != np.shape(w) or not lr > 0 or not 0 <= mu < 1:
        raise ValueError("bad velocity, lr or mu")
    velocity = mu * np.asarray(velocity, dtype=float) + np.asarray(grad, dtype=float)
    return np.asarray(w, dtype=float) - lr * velocity, velocity


def _adam_by_end_sizes(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    _same_end_sizes(w, grad, m, v)
    if t < 1:
        raise ValueError("t counts from 1")
    m = beta1 * np.asarray(m, dtype=float) + (1 - beta1) * np.asarray(grad, dtype=float)
    v = beta2 * np.asarray(v, dtype=float) + (1 - beta2) * np.asarray(grad, dtype=float) ** 2
    return np.asarray(w, dtype=float) - lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps), m, v


@pytest.mark.parametrize("name, answer", [("sgd_step", _sgd_by_end_sizes), ("momentum_step", _momentum_by_end_sizes),
                                          ("adam_step", _adam_by_end_sizes)])
def test_lesson_04_a_shape_check_of_the_end_sizes_only_is_rejected(name, answer):
    """Every other wrong shape differs in the number of axes, the first size or the last; (a, 1, c) against
    (a, b, c) differs only in a middle size, and numpy broadcasts it."""
    with pytest.raises(ExerciseFailed, match="compare whole shapes"):
        check(name, answer, strict=True)


def _one_array_by_size(arrays, lax):
    """The arrays after a check that compares whole shapes with w's (arrays[0]), except for ``lax``, which is only
    compared by size and number of axes and then reshaped to w's shape."""
    w = np.asarray(arrays[0], dtype=float)
    out = [w]
    for name, a in arrays[1:]:
        a = np.asarray(a, dtype=float)
        if (a.size != w.size or a.ndim != w.ndim) if name == lax else a.shape != w.shape:
            raise ValueError(f"{name} does not fit w")
        out.append(a.reshape(w.shape))
    return out


def _momentum_grad_by_size(w, grad, velocity, lr, mu=0.9):
    w, grad, velocity = _one_array_by_size([w, ("grad", grad), ("velocity", velocity)], "grad")
    return reference_copy("momentum_step")(w, grad, velocity, lr, mu)


def _adam_by_size(lax):
    def answer(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        arrays = _one_array_by_size([w, ("grad", grad), ("m", m), ("v", v)], lax)
        return reference_copy("adam_step")(*arrays, t, lr, beta1, beta2, eps)
    return answer


def _adam_v_by_end_sizes(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    _same_end_sizes(w, v)
    return reference_copy("adam_step")(w, grad, m, np.broadcast_to(v, np.shape(w)), t, lr, beta1,
                                                        beta2, eps)


def _adam_rejects_0_and_minus_1(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    if t in (0, -1):
        raise ValueError("t counts from 1")
    return reference_copy("adam_step")(w, grad, m, v, max(t, 1), lr, beta1, beta2, eps)


@pytest.mark.parametrize("name, answer", [
    ("momentum_step", _momentum_grad_by_size), ("momentum_step", "mu must be a float"),
    ("adam_step", _adam_by_size("grad")), ("adam_step", _adam_by_size("m")), ("adam_step", _adam_v_by_end_sizes),
    ("adam_step", _adam_rejects_0_and_minus_1), ("adam_step", "beta1 = 0 rejected"),
], ids=["momentum grad by size", "mu a float", "adam grad by size", "adam m by size", "adam v by end sizes",
        "t in (0, -1)", "beta1 = 0"])
def test_lesson_04_every_array_meets_every_kind_of_wrong_shape(name, answer):
    """Each array's wrong shapes once kept only some kinds (grad never transposed, v never with a size of 1 in the
    middle), t < 1 was only 0 or -1, mu and beta1 never whole or 0: an answer lax on one of them passed."""
    answer = catalogued(name, answer) if isinstance(answer, str) else answer
    with pytest.raises(ExerciseFailed, match="a generated input"):
        check(name, answer, strict=True)

def _fits(w, *arrays):
    """The learner's shape check: the number of axes, len() and .size agree (not the whole shape)."""
    w = np.asarray(w)
    return all(np.ndim(a) == w.ndim and np.size(a) == w.size and (not w.ndim or len(a) == len(w)) for a in arrays)


def _as_floats(*arrays):
    return [np.asarray(a, dtype=float) for a in arrays]


def _sgd_by_ndim_len_size(w, grad, lr):
    if not _fits(w, grad) or not lr > 0:
        raise ValueError("grad does not fit w")
    w, grad = _as_floats(w, grad)
    return w - lr * grad


def _momentum_by_ndim_len_size(w, grad, velocity, lr, mu=0.9):
    if not _fits(w, grad, velocity) or not lr > 0 or not 0 <= mu < 1:
        raise ValueError("bad input")
    w, grad, velocity = _as_floats(w, grad, velocity)
    velocity = mu * velocity + grad
    return w - lr * velocity, velocity


def _momentum_velocity_by_length_and_size(w, grad, velocity, lr, mu=0.9):
    if np.shape(grad) != np.shape(w) or len(velocity) != len(w) or np.size(velocity) != np.size(w):
        raise ValueError("bad input")
    return _momentum_by_ndim_len_size(w, grad, np.reshape(velocity, np.shape(w)), lr, mu)


def _momentum_in_the_inputs_dtype(w, grad, velocity, lr, mu=0.9):
    dtype = np.result_type(np.asarray(w), np.asarray(grad), np.asarray(velocity))
    return tuple(np.asarray(a).astype(dtype) for a in _momentum_by_ndim_len_size(w, grad, velocity, lr, mu))


def _momentum_for_vectors_and_matrices(w, grad, velocity, lr, mu=0.9):
    if np.ndim(w) > 2:
        raise ValueError("w must be a vector or a matrix")
    return _momentum_by_ndim_len_size(w, grad, velocity, lr, mu)


def _adam_by(check):
    def answer(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        if not check(w, grad, m, v, beta2) or t < 1:
            raise ValueError("bad input")
        w, grad, m, v = _as_floats(w, grad, m, v)
        m, v = beta1 * m + (1 - beta1) * grad, beta2 * v + (1 - beta2) * grad ** 2
        return w - lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps), m, v
    return answer


def _adam_in_the_inputs_dtype(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    dtype = np.result_type(*(np.asarray(a) for a in (w, grad, m, v)))
    return tuple(a.astype(dtype) for a in _adam_by(lambda w, g, m, v, b2: _fits(w, g, m, v))(
        w, grad, m, v, t, lr, beta1, beta2, eps))


@pytest.mark.parametrize("name, answer", [
    ("sgd_step", _sgd_by_ndim_len_size), ("momentum_step", _momentum_by_ndim_len_size),
    ("momentum_step", _momentum_velocity_by_length_and_size), ("momentum_step", _momentum_in_the_inputs_dtype),
    ("momentum_step", _momentum_for_vectors_and_matrices),
    ("adam_step", _adam_by(lambda w, g, m, v, b2: _fits(w, g, m, v))),
    ("adam_step", _adam_by(lambda w, g, m, v, b2: np.shape(g) == np.shape(w) == np.shape(v) and len(m) == len(w)
                           and np.size(m) == np.size(w))),
    ("adam_step", _adam_by(lambda w, g, m, v, b2: _fits(w, g, m, v) and 0 < b2 < 1)),
    ("adam_step", _adam_in_the_inputs_dtype),
], ids=["sgd ndim+len+size", "momentum ndim+len+size", "velocity by len+size", "momentum inputs' dtype",
        "momentum rejects 3 axes", "adam ndim+len+size", "m by len+size", "beta2 = 0", "adam inputs' dtype"])
def test_lesson_04_generated_inputs_vary_what_was_still_fixed(name, answer):
    """No wrong shape kept ndim, len() and size while numpy broadcast it, velocity and m were never columns, no
    arrays were all whole numbers, momentum never had 3 axes and beta2 was never 0: an answer relying on one
    of these passed."""
    with pytest.raises(ExerciseFailed, match="a generated input"):
        check(name, answer, strict=True)


def _broadcast_with_w_size(w, *arrays):
    """The learner's shape check: numpy broadcasts each array to w's shape, and its size is w's."""
    return all(np.size(a) == np.size(w) and np.broadcast_shapes(np.shape(a), np.shape(w)) == np.shape(w)
               for a in arrays)


def _sgd_by_broadcast(w, grad, lr):
    if not _broadcast_with_w_size(w, grad) or not lr > 0:
        raise ValueError("grad does not fit w")
    w, grad = _as_floats(w, grad)
    return w - lr * grad


def _momentum_by_broadcast(w, grad, velocity, lr, mu=0.9):
    if not _broadcast_with_w_size(w, grad, velocity):
        raise ValueError("bad input")
    return _momentum_by_ndim_len_size(w, *(np.broadcast_to(a, np.shape(w)) for a in (grad, velocity)), lr, mu)


def _momentum_velocity_may_be_0_d(w, grad, velocity, lr, mu=0.9):
    """The learner starts the velocity at 0 (a number) and lets that through."""
    if np.ndim(velocity) == 0:
        velocity = np.full(np.shape(w), float(velocity))
    if np.shape(grad) != np.shape(w) or np.shape(velocity) != np.shape(w):
        raise ValueError("shapes differ")
    return _momentum_by_ndim_len_size(w, grad, velocity, lr, mu)


def _adam_moments_may_be_0_d(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m, v = (np.full(np.shape(w), float(a)) if np.ndim(a) == 0 else a for a in (m, v))
    same_shapes = lambda w, g, m, v, b2: np.shape(g) == np.shape(m) == np.shape(v) == np.shape(w)
    return _adam_by(same_shapes)(w, grad, m, v, t, lr, beta1, beta2, eps)


def _batches_as_tuples(n, batch_size, rng):
    """As itertools.batched (Python 3.12) gives them: X[batch] then reads one index per axis."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    order = rng.permutation(n).tolist()
    return [tuple(order[i:i + batch_size]) for i in range(0, n, batch_size)]


def _sgd_row_by_row(w, grad, lr):
    """A loop over the first axis gives a Python list, which the lesson's next cells cannot use as weights."""
    if np.shape(grad) != np.shape(w) or not lr > 0:
        raise ValueError("bad input")
    return [w_row - lr * grad_row for w_row, grad_row in zip(*_as_floats(w, grad))]


def _momentum_row_by_row(w, grad, velocity, lr, mu=0.9):
    new_w, new_velocity = _momentum_velocity_may_be_0_d(w, grad, velocity, lr, mu)
    return new_w.tolist(), new_velocity


@pytest.mark.parametrize("name, answer, match", [
    ("sgd_step", _sgd_by_broadcast, "a generated input"),
    ("momentum_step", _momentum_by_broadcast, "a generated input"),
    ("adam_step", _adam_by(lambda w, g, m, v, b2: _broadcast_with_w_size(w, g, m, v)), "a generated input"),
    ("momentum_step", _momentum_velocity_may_be_0_d, r"shape \(\)"),
    ("adam_step", _adam_moments_may_be_0_d, r"shape \(\)"),
    ("minibatch_indices", _batches_as_tuples, "a batch is a tuple"),
    ("sgd_step", _sgd_row_by_row, "not a numpy array"),
    ("momentum_step", _momentum_row_by_row, "not a numpy array"),
], ids=["sgd broadcast+size", "momentum broadcast+size", "adam broadcast+size", "0-d velocity", "0-d m and v",
        "tuple batches", "sgd a list of rows", "momentum a list of rows"])
def test_lesson_04_wrong_shapes_with_fewer_axes_0_d_state_tuple_batches_and_lists_are_rejected(name, answer, match):
    """No wrong shape had fewer axes than w (a gradient of shape (5,) for weights of shape (1, 5) broadcasts and
    has w's size), no state was 0-d, a batch could be a tuple, which X[batch] reads as one index per axis, and
    new weights could come back as a Python list, which has no .shape."""
    with pytest.raises(ExerciseFailed, match=match):
        check(name, answer, strict=True)


def _ends_in_w_shape(w, *arrays):
    """The learner's check: each array ends in w's shape (numpy aligns shapes from the right)."""
    return all(np.shape(a)[np.ndim(a) - np.ndim(w):] == np.shape(w) for a in arrays)


def _sgd_by_last_sizes(w, grad, lr):
    if not _ends_in_w_shape(w, grad) or not lr > 0:
        raise ValueError("grad does not fit w")
    w, grad = _as_floats(w, grad)
    return w - lr * grad


def _momentum_by_last_sizes(w, grad, velocity, lr, mu=0.9):
    if not _ends_in_w_shape(w, grad, velocity) or not lr > 0 or not 0 <= mu < 1:
        raise ValueError("bad input")
    w, grad, velocity = _as_floats(w, grad, velocity)
    velocity = mu * velocity + grad
    return w - lr * velocity, velocity


def _sgd_made_1_d(w, grad, lr):
    """np.atleast_1d, so that a single weight can be indexed: its shape () becomes (1,)."""
    w, grad = np.atleast_1d(*_as_floats(w, grad))
    if grad.shape != w.shape or not lr > 0:
        raise ValueError("grad does not fit w")
    return w - lr * grad


def _momentum_row_loop(w, grad, velocity, lr, mu=0.9):
    """A loop over the first axis into new arrays: a weight of shape () has none (len() raises TypeError)."""
    w, grad, velocity = _as_floats(w, grad, velocity)
    if grad.shape != w.shape or velocity.shape != w.shape or not lr > 0 or not 0 <= mu < 1:
        raise ValueError("bad input")
    new_w, new_velocity = np.empty_like(w), np.empty_like(w)
    for i in range(len(w)):
        new_velocity[i] = mu * velocity[i] + grad[i]
        new_w[i] = w[i] - lr * new_velocity[i]
    return new_w, new_velocity


def _adam_made_1_d(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    arrays = np.atleast_1d(*_as_floats(w, grad, m, v))
    return reference_copy("adam_step")(*arrays, t, lr, beta1, beta2, eps)


def _sgd_without_float_conversion(w, grad, lr):
    """The hint's w - lr * grad on the arrays as given: uint8 stays uint8 with a whole lr and wraps around."""
    w, grad = np.asarray(w), np.asarray(grad)
    if grad.shape != w.shape or not lr > 0:
        raise ValueError("grad does not fit w")
    return w - lr * grad


@pytest.mark.parametrize("name, answer", [
    ("sgd_step", _sgd_by_last_sizes), ("momentum_step", _momentum_by_last_sizes),
    ("adam_step", _adam_by(lambda w, g, m, v, b2: _ends_in_w_shape(w, g, m, v))),
    ("sgd_step", _sgd_made_1_d), ("momentum_step", _momentum_row_loop), ("adam_step", _adam_made_1_d),
    ("sgd_step", _sgd_without_float_conversion),
], ids=["sgd last sizes", "momentum last sizes", "adam last sizes", "sgd atleast_1d", "momentum row loop",
        "adam atleast_1d", "sgd uint8 without float conversion"])
def test_lesson_04_an_extra_first_axis_a_0_d_weight_and_uint8_arrays_are_met(name, answer):
    """No wrong shape had an extra first axis (a gradient of shape (1, 5) ends in the shape of weights of shape
    (5,)), no weight was 0-d (np.atleast_1d or a loop over the first axis fails on one), and no array was of a
    small integer dtype (w - lr * grad keeps uint8 with a whole lr, and wraps around)."""
    with pytest.raises(ExerciseFailed):
        check(name, answer, strict=True)

def _momentum_nan_to_num(w, grad, velocity, lr, mu=0.9):
    """A NaN in the gradient "cleaned" to 0: the weights stay finite and hide that training diverged."""
    grad = np.nan_to_num(np.asarray(grad, dtype=float))
    return reference_copy("momentum_step")(w, grad, velocity, lr, mu)


def _adam_nan_to_num(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    grad = np.nan_to_num(np.asarray(grad, dtype=float))
    return reference_copy("adam_step")(w, grad, m, v, t, lr, beta1, beta2, eps)


def _adam_without_float_conversion(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """The formula on the arrays as given: np.square of an int8 gradient stays int8 and wraps around."""
    if not np.shape(grad) == np.shape(m) == np.shape(v) == np.shape(w) or t < 1:
        raise ValueError("bad input")
    m = beta1 * np.asarray(m, dtype=float) + (1 - beta1) * np.asarray(grad, dtype=float)
    v = beta2 * np.asarray(v, dtype=float) + (1 - beta2) * np.square(grad)
    return w - lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps), m, v


def _batches_own_fisher_yates_off_by_one(n, batch_size, rng):
    """j drawn from 0..i-1 instead of 0..i: no index ever stays in place (Sattolo's shuffle)."""
    if batch_size < 1:
        raise ValueError("batch_size")
    order = list(range(n))
    for i in reversed(range(1, n)):
        j = int(rng.integers(i))
        order[i], order[j] = order[j], order[i]
    order = np.array(order)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def _batches_from_a_copy_of_rng(n, batch_size, rng):
    """A new generator with the caller's state: the caller's rng never moves on, so every epoch has one order."""
    if batch_size < 1:
        raise ValueError("batch_size")
    own = np.random.Generator(type(rng.bit_generator)())
    own.bit_generator.state = rng.bit_generator.state
    order = own.permutation(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


@pytest.mark.parametrize("name, answer", [
    ("momentum_step", _momentum_nan_to_num), ("adam_step", _adam_nan_to_num),
    ("adam_step", _adam_without_float_conversion), ("minibatch_indices", _batches_own_fisher_yates_off_by_one),
    ("minibatch_indices", _batches_from_a_copy_of_rng),
], ids=["momentum nan_to_num", "adam nan_to_num", "adam int8 grad squared", "minibatch Sattolo shuffle",
        "minibatch copy of rng"])
def test_lesson_04_nan_gradients_int8_squares_and_shuffles_without_fixed_points_or_a_moving_rng_are_rejected(
        name, answer):
    """Only sgd_step met a NaN gradient, no Adam gradient was of a small integer dtype (grad ** 2 of int8 wraps
    around), a shuffle that never leaves an index in place passed as random, and so did one that leaves the
    caller's rng where it was (every epoch the same order): the check never called twice with one rng."""
    with pytest.raises(ExerciseFailed):
        check(name, answer, strict=True)

def _sgd_lr_not_above_0(w, grad, lr):
    """The learning-rate check most learners write first: `lr <= 0` is False for lr = NaN."""
    w, grad = _as_floats(w, grad)
    if grad.shape != w.shape or lr <= 0:
        raise ValueError("bad input")
    return w - lr * grad


def _momentum_checks_by_comparison(lr_check, mu_check):
    def answer(w, grad, velocity, lr, mu=0.9):
        w, grad, velocity = _as_floats(w, grad, velocity)
        if grad.shape != w.shape or velocity.shape != w.shape or lr_check(lr) or mu_check(mu):
            raise ValueError("bad input")
        velocity = mu * velocity + grad
        return w - lr * velocity, velocity
    return answer


@pytest.mark.parametrize("name, answer, mistake", [
    ("sgd_step", _sgd_lr_not_above_0, "NaN learning rate let through"),
    ("momentum_step", _momentum_checks_by_comparison(lambda lr: lr <= 0, lambda mu: not 0 <= mu < 1),
     "NaN learning rate let through"),
    ("momentum_step", _momentum_checks_by_comparison(lambda lr: not lr > 0, lambda mu: mu < 0 or mu >= 1),
     "NaN mu let through"),
], ids=["sgd lr <= 0", "momentum lr <= 0", "momentum mu < 0 or mu >= 1"])
def test_lesson_04_a_nan_learning_rate_or_mu_is_refused(name, answer, mistake):
    """lr = NaN is not positive and mu = NaN not in [0, 1), as the exercises ask, yet `lr <= 0` and `mu < 0 or
    mu >= 1` are False for NaN: no input was NaN, so these checks passed."""
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and verdict.mistake == mistake and "= NaN" in verdict.text, verdict.text


def _capped_at_5(name):
    position = {"sgd_step": 2, "momentum_step": 3, "adam_step": 5}[name]

    def answer(*args, **kwargs):
        lr = kwargs.get("lr", args[position] if len(args) > position else 1e-3)
        if lr > 5:
            raise ValueError("lr must be at most 5")
        return reference_copy(name)(*args, **kwargs)
    return answer


@pytest.mark.parametrize("name", ["sgd_step", "momentum_step", "adam_step"])
def test_lesson_04_steps_allow_any_positive_learning_rate(name):
    """The drawn learning rates stop at 5 and the hand-picked ones at 2: an upper bound above 2 passed."""
    with pytest.raises(ExerciseFailed, match=r"lr = 1000 \(any positive learning rate is allowed\)"):
        check(name, _capped_at_5(name), strict=True)


def _batches_in_uint8(n, batch_size, rng):
    return _cut(rng.permutation(n).astype(np.uint8), batch_size)


def _batches_by_python_random(n, batch_size, rng):
    """Python's random module, seeded from the rng: reproducible and driven by the rng, but it reseeds the
    program's own global generator."""
    import random
    random.seed(int(rng.integers(2 ** 32)))
    order = list(range(n))
    random.shuffle(order)
    return _cut(np.array(order), batch_size)


def _batches_by_naive_swaps(n, batch_size, rng):
    """order[i] swapped with order[j] for j from all of 0..n-1: every order can come out, not equally often."""
    order = np.arange(n)
    for i in range(n):
        j = int(rng.integers(0, n))
        order[i], order[j] = order[j], order[i]
    return _cut(order, batch_size)


@pytest.mark.parametrize("answer, match", [
    (_batches_in_uint8, "uint8"),
    (_batches_by_python_random, "Python's random module"),
    (_batches_by_naive_swaps, "the shuffle is biased"),
    (lambda n, b, rng: _cut(np.argsort(rng.integers(0, 10, size=n), kind="stable"), b), "the shuffle is biased"),
], ids=["uint8 indices", "random.seed", "naive swaps", "tied sort keys"])
def test_lesson_04_minibatches_in_uint8_by_pythons_random_or_from_a_biased_shuffle_are_rejected(answer, match):
    """n never exceeded 150 (uint8 holds 0..255), only numpy's global random state was watched, and a shuffle that
    is driven by the rng but favours orders that move an index little passed as random."""
    import random
    random.seed(5)
    before = random.getstate()
    with pytest.raises(ExerciseFailed, match=match):
        check("minibatch_indices", answer, strict=True)
    assert random.getstate() == before


def _batches_by_own_fisher_yates(n, batch_size, rng):
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    order = np.arange(n)
    for i in range(n - 1, 0, -1):
        j = int(rng.integers(0, i + 1))
        order[i], order[j] = order[j], order[i]
    return [order[k * batch_size:(k + 1) * batch_size] for k in range(-(-n // batch_size))]


def _sgd_nan_lr_as_negative(w, grad, lr):
    """`lr <= 0`, with NaN told apart first (NaN is the one number not equal to itself)."""
    return _sgd_lr_not_above_0(w, grad, -1.0 if lr != lr else lr)


def _momentum_in_keras_form(w, grad, velocity, lr, mu=0.9):
    """Keras' velocity (-lr times the lesson's) computed, then turned back into the lesson's."""
    w, grad, velocity = _as_floats(w, grad, velocity)
    if grad.shape != w.shape or velocity.shape != w.shape or not lr > 0 or not 0 <= mu < 1:
        raise ValueError("bad input")
    keras_velocity = mu * (-lr * velocity) - lr * grad
    return w + keras_velocity, -keras_velocity / lr


def _adam_as_in_the_paper_section_2(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """Kingma & Ba's faster form: the corrections folded into the rate, and eps scaled to match."""
    w, grad, m, v = _as_floats(w, grad, m, v)
    if not grad.shape == m.shape == v.shape == w.shape or t < 1:
        raise ValueError("bad input")
    m, v = m + (1 - beta1) * (grad - m), v + (1 - beta2) * (grad * grad - v)
    root = np.sqrt(1 - beta2 ** t)
    return w - lr * root / (1 - beta1 ** t) * m / (np.sqrt(v) + eps * root), m, v


@pytest.mark.parametrize("name, answer", [
    ("sgd_step", _sgd_nan_lr_as_negative),
    ("momentum_step", _momentum_in_keras_form),
    ("adam_step", _adam_as_in_the_paper_section_2),
    ("minibatch_indices", _batches_by_own_fisher_yates),
    ("minibatch_indices", lambda n, b, rng: _cut(np.argsort(rng.random(n)), b)),
    ("minibatch_indices", lambda n, b, rng: np.array_split(rng.permutation(n), range(max(b, 1), n, max(b, 1)))
     if b >= 1 else _cut([], b)),
], ids=["sgd NaN as -1", "momentum via keras", "adam folded corrections", "own Fisher-Yates", "argsort of random",
        "array_split"])
def test_lesson_04_right_answers_written_otherwise_still_pass(name, answer):
    _passes(name, answer)


@pytest.mark.parametrize("name, mistake, match", [
    ("momentum_step", "lr folded into the velocity", "that velocity holds lr \\* grad"),
    ("adam_step", "Keras' epsilon", "that is Keras' form"),
])
def test_lesson_04_other_conventions_are_named(name, mistake, match):
    verdict = judge(registry.get_exercise(name), catalogued(name, mistake))
    assert verdict.mistake == mistake and re.search(match, verdict.text), verdict.text

def _batches_from_a_small_seed(n, batch_size, rng):
    """A child generator seeded with rng.integers(1000): driven by the rng, but only 1000 orders can come out."""
    return _cut(np.random.default_rng(int(rng.integers(1000))).permutation(n), batch_size)


def _batches_fixed_order_rotated(n, batch_size, rng):
    """One fixed shuffle, rotated by a random amount: n orders only, and neighbours stay neighbours."""
    return _cut(np.roll(np.random.default_rng(0).permutation(n), int(rng.integers(n))), batch_size)


def _batches_self_indexed(n, batch_size, rng):
    order = rng.permutation(n)
    return _cut(order[order], batch_size)


def _batches_in_pairs(n, batch_size, rng):
    """Pairs (2i, 2i + 1) shuffled as units."""
    return _cut(np.concatenate([np.arange(2 * p, min(2 * p + 2, n)) for p in rng.permutation((n + 1) // 2)]),
                batch_size)


@pytest.mark.parametrize("answer, match", [
    (_batches_from_a_small_seed, "gave the same order more than once"),
    (_batches_fixed_order_rotated, "gave the same order more than once"),
    (_batches_self_indexed, r"stayed at their own place \(order\[i\] == i\) far more or far less often"),
    (_batches_in_pairs, r"followed by the next one \(i, then i \+ 1\)"),
], ids=["default_rng(rng.integers(1000))", "fixed order rotated", "order[order]", "pairs shuffled"])
def test_lesson_04_minibatches_from_few_orders_self_indexed_or_in_pairs_are_rejected(answer, match):
    """Each of these is driven by the rng, moves it, leaves about one index in place or none in its half, and keeps no
    correlation between an index and its place, so every earlier test let it through; yet the orders are few (a
    small seed), not uniform (a permutation squared leaves 2 in place on average) or keep neighbours together."""
    with pytest.raises(ExerciseFailed, match=match):
        check("minibatch_indices", answer, strict=True)


def _momentum_mu_up_to(top):
    def answer(w, grad, velocity, lr, mu=0.9):
        if not 0 <= mu <= top:
            raise ValueError("mu out of range")
        return reference_copy("momentum_step")(w, grad, velocity, lr, mu)
    return answer


def test_lesson_04_momentum_allows_any_mu_below_1():
    """The drawn mu stop at 0.9999, so an upper bound of 0.9999 in place of `mu < 1` passed."""
    with pytest.raises(ExerciseFailed, match=r"mu = 0.999999 \(any mu below 1 is allowed\)"):
        check("momentum_step", _momentum_mu_up_to(0.9999), strict=True)


def _adam_correction_until(last, cap_t=False):
    """The bias correction used up to step ``last`` only, or (``cap_t``) with t capped at ``last``."""
    def answer(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        w, grad, m, v = _as_floats(w, grad, m, v)
        if not grad.shape == m.shape == v.shape == w.shape or t < 1:
            raise ValueError("bad input")
        m, v = beta1 * m + (1 - beta1) * grad, beta2 * v + (1 - beta2) * grad ** 2
        if t > last and not cap_t:
            return w - lr * m / (np.sqrt(v) + eps), m, v
        k = min(t, last)
        return w - lr * (m / (1 - beta1 ** k)) / (np.sqrt(v / (1 - beta2 ** k)) + eps), m, v
    return answer


def test_lesson_04_adam_keeps_its_bias_correction_at_large_steps():
    """No step beyond 100 came with beta2 near 1, so a correction dropped after 100 steps ("it matters early on")
    passed, and so did t capped at 2000."""
    verdict = judge(registry.get_exercise("adam_step"), _adam_correction_until(100))
    assert verdict.kind == WRONG and verdict.mistake == "bias correction dropped after the first steps", verdict.text
    assert "step 300 with the default betas" in verdict.text
    with pytest.raises(ExerciseFailed, match="step 10,000 with the default betas"):
        check("adam_step", _adam_correction_until(2000, cap_t=True), strict=True)


def _momentum_velocity_clipped(w, grad, velocity, lr, mu=0.9):
    """The velocity clipped at +-1e7 "against explosions": no other input has a velocity that large."""
    w, grad, velocity = _as_floats(w, grad, velocity)
    if grad.shape != w.shape or velocity.shape != w.shape or not lr > 0 or not 0 <= mu < 1:
        raise ValueError("bad input")
    velocity = np.clip(mu * velocity + grad, -1e7, 1e7)
    return w - lr * velocity, velocity


def _adam_with(step_clip=np.inf, eps_floor=0.0):
    """Adam with its normalized step m_hat / (sqrt(v_hat) + eps) clipped at +-step_clip, or eps floored."""
    def answer(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        w, grad, m, v = _as_floats(w, grad, m, v)
        if not grad.shape == m.shape == v.shape == w.shape or t < 1:
            raise ValueError("bad input")
        m, v = beta1 * m + (1 - beta1) * grad, beta2 * v + (1 - beta2) * grad ** 2
        step = (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + max(eps, eps_floor))
        return w - lr * np.clip(step, -step_clip, step_clip), m, v
    return answer


@pytest.mark.parametrize("name, answer, match", [
    ("momentum_step", _momentum_velocity_clipped, "gradients and velocity of 1e12"),
    ("adam_step", _adam_with(step_clip=10), "a large m with a small v"),
    ("adam_step", _adam_with(eps_floor=1e-12), "eps = 1e-15 with a gradient of 1e-13"),
], ids=["momentum velocity clipped at 1e7", "adam step clipped at 10", "adam eps floored at 1e-12"])
def test_lesson_04_clipped_steps_and_a_floored_eps_are_rejected(name, answer, match):
    """Every input kept the velocity below 1e7, Adam's normalized step below 10 and eps at 1e-8 or more, so a clip or
    a floor beyond those passed."""
    with pytest.raises(ExerciseFailed, match=match):
        check(name, answer, strict=True)


def _batches_as_rows(n, batch_size, rng):
    """A 2-D array of rows when batch_size divides n: each row is one batch."""
    order = rng.permutation(n)
    return order.reshape(-1, batch_size) if batch_size >= 1 and n % batch_size == 0 else _cut(order, batch_size)


def _momentum_from_rest_as_grad(w, grad, velocity, lr, mu=0.9):
    """From a velocity of all zeros, mu * 0 + grad is grad itself: a copy of it, and a plain step."""
    w, grad, velocity = _as_floats(w, grad, velocity)
    if grad.shape != w.shape or velocity.shape != w.shape or not lr > 0 or not 0 <= mu < 1:
        raise ValueError("bad input")
    velocity = grad.copy() if not np.any(velocity) else mu * velocity + grad
    return w - lr * velocity, velocity


@pytest.mark.parametrize("name, answer", [
    ("minibatch_indices", lambda n, b, rng: [list(x) for x in _cut(rng.permutation(n), b)]),
    ("minibatch_indices", _batches_as_rows),
    ("minibatch_indices", lambda n, b, rng: tuple(_cut(rng.permutation(n), b))),
    ("minibatch_indices", lambda n, b, rng: _cut(rng.permutation(n)[np.random.default_rng(0).permutation(n)], b)),
    ("minibatch_indices", lambda n, b, rng: _cut(np.random.default_rng(int(rng.integers(2 ** 63))).permutation(n), b)),
    ("momentum_step", _momentum_from_rest_as_grad),
], ids=["lists of ints", "rows of a 2-D array", "a tuple of arrays", "a fixed permutation of a random one",
        "a child generator with a 63-bit seed", "momentum from v = 0 as grad"])
def test_lesson_04_right_answers_of_round_12_pass(name, answer):
    _passes(name, answer)


# round 13 (a1304): numpy numbers for lr, mu and t, gradients above 1e9, a NaN state, mu within 1e-8 of 1, results
# below 1e-6 (compare_values' atol of 1e-8 hid them) and index arrays of int16 or uint16
def _sgd_reference(w, grad, lr):
    return reference_copy("sgd_step")(w, grad, lr)


def _momentum_reference(w, grad, velocity, lr, mu=0.9):
    return reference_copy("momentum_step")(w, grad, velocity, lr, mu)


def _adam_reference(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    return reference_copy("adam_step")(w, grad, m, v, t, lr, beta1, beta2, eps)


def _sgd_lr_int_or_float(w, grad, lr):
    if not isinstance(lr, (int, float)):
        raise ValueError("lr must be a number")
    return _sgd_reference(w, grad, lr)


def _momentum_lr_mu_int_or_float(w, grad, velocity, lr, mu=0.9):
    if not isinstance(lr, (int, float)) or not isinstance(mu, (int, float)):
        raise ValueError("lr and mu must be numbers")
    return _momentum_reference(w, grad, velocity, lr, mu)


def _adam_t_int(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    if not isinstance(t, int) or t < 1:
        raise ValueError("t must be an int from 1 on")
    return _adam_reference(w, grad, m, v, t, lr, beta1, beta2, eps)


@pytest.mark.parametrize("name, answer, mistake, match", [
    ("sgd_step", _sgd_lr_int_or_float, "lr must be a Python number", r"lr as np.float32\(0.25\)"),
    ("momentum_step", _momentum_lr_mu_int_or_float, "lr and mu must be Python numbers", "lr and mu as np.float32"),
    ("adam_step", _adam_t_int, "t must be a Python int", r"t as np.int64\(3\)"),
], ids=["sgd isinstance(lr, (int, float))", "momentum isinstance(mu, (int, float))", "adam isinstance(t, int)"])
def test_lesson_04_numpy_numbers_for_lr_mu_and_t_are_allowed(name, answer, mistake, match):
    """lr, mu and t were always Python numbers, so a type check that refuses np.float32 or np.int64 (the step counter
    of `for t in np.arange(1, 101)`) passed."""
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and re.search(match, verdict.text), verdict.text
    named = judge(registry.get_exercise(name), catalogued(name, mistake))
    assert named.mistake == mistake and re.search(match, named.text), named.text


def _sgd_grad_clipped(w, grad, lr):
    return _sgd_reference(w, np.clip(np.asarray(grad, dtype=float), -1e9, 1e9), lr)


def _momentum_grad_clipped(w, grad, velocity, lr, mu=0.9):
    return _momentum_reference(w, np.clip(np.asarray(grad, dtype=float), -1e13, 1e13), velocity, lr, mu)


def _adam_grad_clipped(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    return _adam_reference(w, np.clip(np.asarray(grad, dtype=float), -1e9, 1e9), m, v, t, lr, beta1, beta2, eps)


def _momentum_velocity_nan_to_num(w, grad, velocity, lr, mu=0.9):
    return _momentum_reference(w, grad, np.nan_to_num(np.asarray(velocity, dtype=float)), lr, mu)


def _adam_moments_nan_to_num(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m, v = (np.nan_to_num(np.asarray(a, dtype=float)) for a in (m, v))
    return _adam_reference(w, grad, m, v, t, lr, beta1, beta2, eps)


def _momentum_mu_below(top):
    def answer(w, grad, velocity, lr, mu=0.9):
        if mu > top:
            raise ValueError("mu too close to 1")
        return _momentum_reference(w, grad, velocity, lr, mu)
    return answer


@pytest.mark.parametrize("name, answer, match", [
    ("sgd_step", _sgd_grad_clipped, "gradients of 1e30"),
    ("momentum_step", _momentum_grad_clipped, "gradients and velocity of 1e30"),
    ("adam_step", _adam_grad_clipped, "gradients of 1e15"),
    ("momentum_step", _momentum_velocity_nan_to_num, "a NaN velocity stays NaN"),
    ("adam_step", _adam_moments_nan_to_num, "a NaN in m and in v stays NaN"),
    ("momentum_step", _momentum_mu_below(1 - 1e-8), r"mu = 1 - 2\*\*-53"),
], ids=["sgd grad clipped at 1e9", "momentum grad clipped at 1e13",
        "adam grad clipped at 1e9", "momentum nan_to_num(velocity)", "adam nan_to_num(m, v)", "mu <= 1 - 1e-8"])
def test_lesson_04_large_gradients_a_nan_state_and_mu_next_to_1_are_met(name, answer, match):
    """No gradient went above 1e8 in sgd_step and adam_step (3e12 in momentum_step), no velocity, m or v held a NaN,
    and mu stopped at 0.999999: a clip at 1e9, a NaN state cleaned to 0 and a bound of 1 - 1e-8 passed."""
    with pytest.raises(ExerciseFailed, match=match):
        check(name, answer, strict=True)


def _sgd_rounded(w, grad, lr):
    return np.round(_sgd_reference(w, grad, lr), 8)


def _sgd_skips_a_gradient_close_to_0(w, grad, lr):
    """np.allclose(grad, 0) as "nothing to do": its atol of 1e-8 skips every gradient below 1e-8."""
    w, grad = _as_floats(w, grad)
    if grad.shape == w.shape and lr > 0 and np.allclose(grad, 0):
        return w.copy()
    return _sgd_reference(w, grad, lr)


def _momentum_rounded(w, grad, velocity, lr, mu=0.9):
    return tuple(np.round(a, 8) for a in _momentum_reference(w, grad, velocity, lr, mu))


def _adam_rounded(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    return tuple(np.round(a, 8) for a in _adam_reference(w, grad, m, v, t, lr, beta1, beta2, eps))


def _adam_v_floored(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """The new v floored at 1e-12 "so that its square root is never 0", after the step."""
    new_w, new_m, new_v = _adam_reference(w, grad, m, v, t, lr, beta1, beta2, eps)
    return new_w, new_m, np.maximum(new_v, 1e-12)


@pytest.mark.parametrize("name, answer", [
    ("sgd_step", _sgd_rounded), ("sgd_step", _sgd_skips_a_gradient_close_to_0), ("momentum_step", _momentum_rounded),
    ("adam_step", _adam_rounded), ("adam_step", _adam_v_floored),
], ids=["sgd rounded to 8 decimals", "sgd skips np.allclose(grad, 0)", "momentum rounded to 8 decimals",
        "adam rounded to 8 decimals", "adam v floored at 1e-12"])
def test_lesson_04_results_below_1e_6_are_compared_to_their_own_scale(name, answer):
    """compare_values' atol of 1e-8 let any result whose values all lie below 1e-6 pass as zeros, rounded or floored."""
    with pytest.raises(ExerciseFailed):
        check(name, answer, strict=True)


@pytest.mark.parametrize("dtype", [np.int16, np.uint16])
def test_lesson_04_minibatch_indices_in_16_bits_are_rejected(dtype):
    """n stopped at 300, which int16 and uint16 hold, so indices stored in them passed; they wrap around from 32,768
    and 65,536 on."""
    with pytest.raises(ExerciseFailed, match="which holds numbers up to"):
        check("minibatch_indices", lambda n, b, rng: _cut(rng.permutation(n).astype(dtype), b), strict=True)


def _sgd_by_np_subtract(w, grad, lr):
    w, grad = np.array(w, dtype=np.float64), np.array(grad, dtype=np.float64)
    if np.shape(grad) != np.shape(w) or lr <= 0 or np.isnan(lr):
        raise ValueError("bad input")
    return np.subtract(w, np.multiply(lr, grad))


def _sgd_by_copy_then_subtract_floats(w, grad, lr):
    w, grad = _as_floats(w, grad)
    if w.shape != grad.shape or not np.greater(lr, 0):
        raise ValueError("bad input")
    new_w = w.copy()
    new_w -= lr * grad
    return new_w


def _sgd_computed_in_float32(w, grad, lr):
    w, grad = np.asarray(w), np.asarray(grad)
    if grad.shape != w.shape or not lr > 0:
        raise ValueError("bad input")
    return w.astype(np.float32) - np.float32(lr) * grad.astype(np.float32)


def _momentum_through_sgd_step(w, grad, velocity, lr, mu=0.9):
    w, grad, velocity = _as_floats(w, grad, velocity)
    if {grad.shape, velocity.shape} != {w.shape} or not lr > 0 or not (0 <= mu and mu < 1):
        raise ValueError("bad input")
    velocity = grad + mu * velocity
    return _sgd_reference(w, velocity, lr), velocity


def _momentum_as_a_list(w, grad, velocity, lr, mu=0.9):
    return list(_momentum_reference(w, grad, velocity, lr, mu))


def _momentum_computed_in_float32(w, grad, velocity, lr, mu=0.9):
    w, grad, velocity = (np.asarray(a).astype(np.float32) for a in (w, grad, velocity))
    if grad.shape != w.shape or velocity.shape != w.shape or not lr > 0 or not 0 <= mu < 1:
        raise ValueError("bad input")
    velocity = np.float32(mu) * velocity + grad
    return w - np.float32(lr) * velocity, velocity


def _adam_with_powers(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    w, grad, m, v = _as_floats(w, grad, m, v)
    if any(np.shape(a) != w.shape for a in (grad, m, v)) or not t >= 1:
        raise ValueError("bad input")
    m, v = m + (1 - beta1) * (grad - m), v * beta2 + np.square(grad) * (1 - beta2)
    return w - lr * (m / (1 - beta1 ** t)) / (np.power(v / (1 - beta2 ** t), 0.5) + eps), m, v


def _adam_correction_split(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    import operator
    t = operator.index(t)   # any integer, numpy's too; a float t raises TypeError
    w, grad, m, v = _as_floats(w, grad, m, v)
    if not grad.shape == m.shape == v.shape == w.shape or t < 1:
        raise ValueError("bad input")
    m, v = beta1 * m + (1 - beta1) * grad, beta2 * v + (1 - beta2) * grad * grad
    return w - (lr / (1 - beta1 ** t)) * m / (np.sqrt(v) / np.sqrt(1 - beta2 ** t) + eps), m, v


def _batches_yielded(n, batch_size, rng):
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    order = rng.permutation(n)
    return (order[i:i + batch_size] for i in range(0, n, batch_size))


@pytest.mark.parametrize("name, answer", [
    ("sgd_step", _sgd_by_np_subtract), ("sgd_step", _sgd_by_copy_then_subtract_floats),
    ("sgd_step", _sgd_computed_in_float32),
    ("momentum_step", _momentum_through_sgd_step), ("momentum_step", _momentum_as_a_list),
    ("momentum_step", _momentum_computed_in_float32),
    ("adam_step", _adam_with_powers), ("adam_step", _adam_correction_split),
    ("minibatch_indices", lambda n, b, rng: _cut(rng.choice(n, size=n, replace=False), b)),
    ("minibatch_indices", lambda n, b, rng: _cut(rng.permuted(np.arange(n)), b)),
    ("minibatch_indices", lambda n, b, rng: _cut(rng.permutation(n)[::-1], b)),
    ("minibatch_indices", lambda n, b, rng: _cut(np.random.RandomState(int(rng.integers(2 ** 32))).permutation(n), b)),
    ("minibatch_indices", lambda n, b, rng: _cut(rng.spawn(1)[0].permutation(n), b)),
    ("minibatch_indices", lambda n, b, rng: _cut(rng.permutation(n).astype(np.int32), b)),
    ("minibatch_indices", _batches_yielded),
], ids=["sgd np.subtract", "sgd copy of floats, then -=", "sgd in float32", "momentum through sgd_step",
        "momentum as a list", "momentum in float32", "adam m + (1-b1)(g-m), power 0.5", "adam corrections split",
        "rng.choice", "rng.permuted", "permutation reversed", "RandomState seeded from rng", "rng.spawn", "int32",
        "a generator"])
def test_lesson_04_right_answers_of_round_13_pass(name, answer):
    _passes(name, answer)



def _batches_last_moved_first(n, batch_size, rng):
    """The batches of rng.permutation(n), the smaller last one moved to the front."""
    batches = _cut(rng.permutation(n), batch_size)
    return batches[-1:] + batches[:-1]


def test_lesson_04_a_smaller_first_batch_is_not_blamed_on_shuffled_blocks():
    """Its sizes [1, 3, 3, 3] were the outcome of the catalogued block shuffle, whose message ("shuffling the order of
    the batches keeps neighbours together") blamed a shuffle this answer does not do."""
    verdict = judge(registry.get_exercise("minibatch_indices"), _batches_last_moved_first)
    assert verdict.mistake == "smaller batch first" and "must come last" in verdict.text, verdict.text
    assert "keeps neighbours together" not in verdict.text


# round 14 (a1404): results tied to an input or to the previous call's result, read-only results, infinite gradients,
# weights with an axis of size 1, beta2 so close to 1 that the correction still matters after 100,000 steps, beta1 = 0
# with float arrays, and n or batch_size as numpy integers
def _checked_floats(w, *arrays, lr=1.0, t=1):
    w, *arrays = _as_floats(w, *arrays)
    if any(a.shape != w.shape for a in arrays) or not lr > 0 or t < 1:
        raise ValueError("bad input")
    return (w, *arrays)


def _sgd_zero_gradient_returns_w(w, grad, lr):
    """"Nothing to do" for a zero gradient: the caller's w itself comes back."""
    w, grad = _checked_floats(w, grad, lr=lr)
    return w if not grad.any() else w - lr * grad


_BUFFERS = {}


def _sgd_into_a_kept_buffer(w, grad, lr):
    """The result written into a buffer kept between calls (np.subtract(..., out=...)), for speed."""
    w, grad = _checked_floats(w, grad, lr=lr)
    out = _BUFFERS.setdefault(("sgd", w.shape), np.empty(w.shape))
    np.subtract(w, lr * grad, out=out)
    return out


def _sgd_read_only(w, grad, lr):
    new_w = np.asarray(_sgd_reference(w, grad, lr))
    new_w.flags.writeable = False
    return new_w


def _sgd_broadcast_view(w, grad, lr):
    new_w = _sgd_reference(w, grad, lr)
    return np.broadcast_to(new_w, np.shape(new_w))


def _momentum_first_velocity_is_grad(w, grad, velocity, lr, mu=0.9):
    """The first step (velocity 0) as `velocity = grad`: the caller's gradient comes back as the velocity."""
    w, grad, velocity = _checked_floats(w, grad, velocity, lr=lr)
    if not 0 <= mu < 1:
        raise ValueError("bad mu")
    velocity = grad if not velocity.any() else mu * velocity + grad
    return w - lr * velocity, velocity


def _momentum_mu_0_velocity_is_grad(w, grad, velocity, lr, mu=0.9):
    w, grad, velocity = _checked_floats(w, grad, velocity, lr=lr)
    if not 0 <= mu < 1:
        raise ValueError("bad mu")
    velocity = grad if mu == 0 else mu * velocity + grad
    return w - lr * velocity, velocity


def _momentum_into_kept_buffers(w, grad, velocity, lr, mu=0.9):
    w, grad, velocity = _checked_floats(w, grad, velocity, lr=lr)
    if not 0 <= mu < 1:
        raise ValueError("bad mu")
    new_v = _BUFFERS.setdefault(("v", w.shape), np.empty(w.shape))
    new_w = _BUFFERS.setdefault(("w", w.shape), np.empty(w.shape))
    np.multiply(mu, velocity, out=new_v)
    new_v += grad
    np.subtract(w, lr * new_v, out=new_w)
    return new_w, new_v


def _momentum_read_only(w, grad, velocity, lr, mu=0.9):
    new_w, new_v = (np.asarray(a) for a in _momentum_reference(w, grad, velocity, lr, mu))
    new_w.flags.writeable = new_v.flags.writeable = False
    return new_w, new_v


def _adam_m_is_grad_for_beta1_0(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    w, grad, m, v = _checked_floats(w, grad, m, v, t=t)
    m = grad if beta1 == 0 else beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad ** 2
    return w - lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps), m, v


def _adam_nothing_to_do(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """A zero gradient with zero moments skipped: the caller's w, m and v come back."""
    w, grad, m, v = _checked_floats(w, grad, m, v, t=t)
    if not grad.any() and not m.any() and not v.any():
        return w, m, v
    return _adam_reference(w, grad, m, v, t, lr, beta1, beta2, eps)


@pytest.mark.parametrize("name, answer, match, mistake", [
    ("sgd_step", _sgd_zero_gradient_returns_w, "one of the input arrays itself", "unchanged w returned"),
    ("sgd_step", _sgd_into_a_kept_buffer, "in the memory of an earlier call's result", ""),
    ("sgd_step", _sgd_read_only, "read-only", ""),
    ("sgd_step", _sgd_broadcast_view, "read-only", ""),
    ("momentum_step", _momentum_first_velocity_is_grad, "one of the input arrays itself", "velocity is the caller's grad"),
    ("momentum_step", _momentum_mu_0_velocity_is_grad, "one of the input arrays itself", ""),
    ("momentum_step", _momentum_into_kept_buffers, "in the memory of an earlier call's result", ""),
    ("momentum_step", _momentum_read_only, "read-only", ""),
    ("adam_step", _adam_m_is_grad_for_beta1_0, "one of the input arrays itself", ""),
    ("adam_step", _adam_nothing_to_do, "one of the input arrays itself", ""),
], ids=["sgd zero gradient returns w", "sgd kept buffer", "sgd read-only", "sgd np.broadcast_to", "momentum first "
        "velocity is grad", "momentum mu = 0 velocity is grad", "momentum kept buffers", "momentum read-only",
        "adam m is grad for beta1 = 0", "adam zero step returns the inputs"])
def test_lesson_04_results_tied_to_an_input_or_to_the_previous_call_are_rejected(name, answer, match, mistake):
    """The values were right, so every case passed; but the result was the caller's own array (a later write into one
    changes the other), the same array at every call (the weights kept from one step overwritten by the next) or
    read-only (the caller's `w -= ...` raises)."""
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and match in verdict.text, verdict.text
    if mistake:
        assert verdict.mistake == mistake, verdict.mistake


def _sgd_infinite_gradient_refused(w, grad, lr):
    if np.isinf(np.asarray(grad, dtype=float)).any():
        raise ValueError("the gradient is infinite")
    return _sgd_reference(w, grad, lr)


def _sgd_infinity_made_finite(w, grad, lr):
    """np.nan_to_num with nan=np.nan keeps NaN (as the check asks) but turns inf into 1.8e308."""
    return np.nan_to_num(_sgd_reference(w, grad, lr), nan=np.nan)


def _sgd_norm_clipped_at_1e35(w, grad, lr):
    w, grad = _checked_floats(w, grad, lr=lr)
    norm = np.linalg.norm(grad)
    return w - lr * (grad * (1e35 / norm) if norm > 1e35 else grad)


def _sgd_flattened_when_an_axis_is_1(w, grad, lr):
    new_w = _sgd_reference(w, grad, lr)
    return new_w.ravel() if np.ndim(new_w) == 2 and 1 in np.shape(new_w) else new_w


def _momentum_infinity_refused(w, grad, velocity, lr, mu=0.9):
    if np.isinf(np.asarray(grad, dtype=float)).any() or np.isinf(np.asarray(velocity, dtype=float)).any():
        raise ValueError("infinite")
    return _momentum_reference(w, grad, velocity, lr, mu)


def _adam_infinity_refused(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    if np.isinf(np.asarray(grad, dtype=float)).any():
        raise ValueError("infinite")
    return _adam_reference(w, grad, m, v, t, lr, beta1, beta2, eps)


def _adam_t_capped(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """"After 100,000 steps the corrections are 1": true for beta2 = 0.999, not for a beta2 closer to 1."""
    return _adam_reference(w, grad, m, v, min(t, 100_000), lr, beta1, beta2, eps)


def _batches_python_int_batch_size(n, batch_size, rng):
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError("batch_size must be a positive int")
    return _cut(rng.permutation(n), batch_size)


def _batches_python_int_n(n, batch_size, rng):
    if not isinstance(n, int):
        raise TypeError("n must be an int")
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    return _cut(rng.permutation(n), batch_size)


@pytest.mark.parametrize("name, answer", [
    ("sgd_step", _sgd_infinite_gradient_refused), ("sgd_step", _sgd_infinity_made_finite),
    ("sgd_step", _sgd_norm_clipped_at_1e35), ("sgd_step", _sgd_flattened_when_an_axis_is_1),
    ("momentum_step", _momentum_infinity_refused), ("adam_step", _adam_infinity_refused),
    ("adam_step", _adam_t_capped), ("minibatch_indices", _batches_python_int_batch_size),
    ("minibatch_indices", _batches_python_int_n),
], ids=["sgd inf refused", "sgd nan_to_num(nan=nan)", "sgd norm clipped at 1e35", "sgd raveled (1, k)",
        "momentum inf refused", "adam inf refused", "adam t capped at 1e5", "isinstance(batch_size, int)",
        "isinstance(n, int)"])
def test_lesson_04_infinite_gradients_size_1_axes_late_corrections_and_numpy_batch_sizes_are_met(name, answer):
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG, verdict.text


def _sgd_fortran_order(w, grad, lr):
    new_w = _sgd_reference(w, grad, lr)
    return np.asfortranarray(new_w) if np.ndim(new_w) else new_w


def _momentum_copies_then_in_place(w, grad, velocity, lr, mu=0.9):
    w, grad, velocity = _checked_floats(w, grad, velocity, lr=lr)
    if not 0 <= mu < 1:
        raise ValueError("bad mu")
    new_v = velocity.copy()
    new_v *= mu
    new_v += grad
    new_w = w.copy()
    new_w -= lr * new_v
    return new_w, new_v


def _momentum_first_velocity_copied(w, grad, velocity, lr, mu=0.9):
    """torch's way: the first velocity is a copy of the gradient."""
    w, grad, velocity = _checked_floats(w, grad, velocity, lr=lr)
    if not 0 <= mu < 1:
        raise ValueError("bad mu")
    velocity = grad.copy() if not velocity.any() else mu * velocity + grad
    return w - lr * velocity, velocity


def _adam_papers_efficient_form(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """Kingma & Ba's section 2 form: lr_t = lr * sqrt(1 - beta2**t) / (1 - beta1**t), eps scaled to match."""
    w, grad, m, v = _checked_floats(w, grad, m, v, t=t)
    m, v = beta1 * m + (1 - beta1) * grad, beta2 * v + (1 - beta2) * grad ** 2
    root = math.sqrt(1 - beta2 ** t)
    return w - lr * root / (1 - beta1 ** t) * m / (np.sqrt(v) + eps * root), m, v


def _adam_corrections_by_expm1(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    w, grad, m, v = _checked_floats(w, grad, m, v, t=t)
    m, v = beta1 * m + (1 - beta1) * grad, beta2 * v + (1 - beta2) * grad ** 2
    c1, c2 = (-math.expm1(t * math.log(b)) if b > 0 else 1.0 for b in (beta1, beta2))
    return w - lr * (m / c1) / (np.sqrt(v / c2) + eps), m, v


def _batches_by_np_split(n, batch_size, rng):
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    return np.split(rng.permutation(n), range(batch_size, n, batch_size))


@pytest.mark.parametrize("name, answer", [
    ("sgd_step", _sgd_fortran_order), ("momentum_step", _momentum_copies_then_in_place),
    ("momentum_step", _momentum_first_velocity_copied), ("adam_step", _adam_papers_efficient_form),
    ("adam_step", _adam_corrections_by_expm1),
    ("minibatch_indices", lambda n, b, rng: _cut(np.argsort(rng.random(n)), b)),
    ("minibatch_indices", _batches_by_np_split),
    ("minibatch_indices", lambda n, b, rng: [list(x) for x in _cut(rng.permutation(n).tolist(), b)]),
], ids=["sgd Fortran order", "momentum copies, then in place", "momentum first velocity copied", "adam the paper's "
        "efficient form", "adam corrections by expm1", "argsort of random keys", "np.split", "lists of ints"])
def test_lesson_04_right_answers_of_round_14_pass(name, answer):
    _passes(name, answer)


_ORDERS = {}


def _batches_in_a_kept_array(n, batch_size, rng):
    """The order written into one array per n, kept between calls (to save allocations): the next epoch's call
    overwrites the batches of the last one."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    order = _ORDERS.setdefault(n, np.empty(n, dtype=np.int64))
    order[:] = rng.permutation(n)
    return _cut(order, batch_size)


def _batches_first_pair_sorted(n, batch_size, rng):
    """A fair shuffle, then its first two places put in increasing order."""
    order = rng.permutation(n)
    if n >= 2 and order[0] > order[1]:
        order[[0, 1]] = order[[1, 0]]
    return _cut(order, batch_size)


@pytest.mark.parametrize("answer, match", [
    (_batches_in_a_kept_array, "same memory as the first call's"),
    (_batches_first_pair_sorted, "two neighbouring places of the order held their indices in increasing order"),
], ids=["an array kept between calls", "the first pair sorted"])
def test_lesson_04_minibatches_kept_between_calls_or_partly_sorted_are_rejected(answer, match):
    verdict = judge(registry.get_exercise("minibatch_indices"), answer)
    assert verdict.kind == WRONG and match in verdict.text, verdict.text


# round 15 (a1504): buffers used in turn (a ring of two), inputs made read-only, arrays in Fortran order, a gradient of
# shape () over weights of another shape, a zero gradient with a zero velocity, a uint8 gradient under a float w, NaN
# weights, and a state kept between calls or written into afterwards
def _r15_checked(w, *arrays, lr=1.0, t=1, mu=0.5):
    w, *arrays = _as_floats(w, *arrays)
    if any(a.shape != w.shape for a in arrays) or not lr > 0 or t < 1 or not 0 <= mu < 1:
        raise ValueError("bad input")
    return (w, *arrays)


_R15_RINGS = {}


def _r15_ring(key, shape, count):
    """``count`` buffers of ``shape`` used in turn, one per call (a ring of two: the next call gets the other one)."""
    ring = _R15_RINGS.setdefault((key, shape), [[np.empty(shape) for _ in range(count)] for _ in range(2)] + [0])
    turn = ring[2]
    ring[2] = 1 - turn
    return ring[turn]


def _sgd_two_buffers_in_turn(w, grad, lr):
    w, grad = _r15_checked(w, grad, lr=lr)
    (out,) = _r15_ring("sgd", w.shape, 1)
    np.subtract(w, lr * grad, out=out)
    return out if w.ndim else out[()]


def _momentum_two_buffers_in_turn(w, grad, velocity, lr, mu=0.9):
    w, grad, velocity = _r15_checked(w, grad, velocity, lr=lr, mu=mu)
    new_w, new_v = _r15_ring("momentum", w.shape, 2)
    np.add(mu * velocity, grad, out=new_v)
    np.subtract(w, lr * new_v, out=new_w)
    return (new_w, new_v) if w.ndim else (new_w[()], new_v[()])


def _adam_two_buffers_in_turn(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    result = _adam_reference(w, grad, m, v, t, lr, beta1, beta2, eps)
    if not np.ndim(result[0]):
        return result
    buffers = _r15_ring("adam", np.shape(result[0]), 3)
    for buffer, value in zip(buffers, result):
        buffer[...] = value
    return tuple(buffers)


def _batches_two_arrays_in_turn(n, batch_size, rng):
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    ring = _R15_RINGS.setdefault(("batches", n), [np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64), 0])
    ring[2] = 1 - ring[2]
    ring[ring[2]][:] = rng.permutation(n)
    return _cut(ring[ring[2]], batch_size)


def _sgd_makes_w_read_only(w, grad, lr):
    """A "protection" of the caller's weights: they cannot be changed in place any more."""
    new_w = _sgd_reference(w, grad, lr)
    if isinstance(w, np.ndarray):
        w.flags.writeable = False
    return new_w


def _momentum_makes_velocity_read_only(w, grad, velocity, lr, mu=0.9):
    result = _momentum_reference(w, grad, velocity, lr, mu)
    if isinstance(velocity, np.ndarray):
        velocity.setflags(write=False)
    return result


def _sgd_by_memory_order(w, grad, lr):
    """Both arrays read in memory order (ravel(order="K")), the result laid out in C order."""
    w, grad = _r15_checked(w, grad, lr=lr)
    return (w.ravel(order="K") - lr * grad.ravel(order="K")).reshape(w.shape)


def _sgd_nditer_loop(w, grad, lr):
    w, grad = _r15_checked(w, grad, lr=lr)
    new_w = np.empty(w.size)
    for i, (a, g) in enumerate(np.nditer([w, grad])):  # nditer walks the arrays in memory order
        new_w[i] = a - lr * g
    return new_w.reshape(w.shape)


def _momentum_nditer_loop(w, grad, velocity, lr, mu=0.9):
    w, grad, velocity = _r15_checked(w, grad, velocity, lr=lr, mu=mu)
    new_w, new_v = np.empty(w.size), np.empty(w.size)
    for i, (a, g, v) in enumerate(np.nditer([w, grad, velocity])):
        new_v[i] = mu * v + g
        new_w[i] = a - lr * new_v[i]
    return new_w.reshape(w.shape), new_v.reshape(w.shape)


def _adam_nditer_loop(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    w, grad, m, v = _r15_checked(w, grad, m, v, t=t)
    out = [np.empty(w.size) for _ in range(3)]
    for i, (a, g, m_i, v_i) in enumerate(np.nditer([w, grad, m, v])):
        out[1][i], out[2][i] = beta1 * m_i + (1 - beta1) * g, beta2 * v_i + (1 - beta2) * g * g
        out[0][i] = a - lr * (out[1][i] / (1 - beta1 ** t)) / (np.sqrt(out[2][i] / (1 - beta2 ** t)) + eps)
    return tuple(o.reshape(w.shape) for o in out)


def _sgd_scalar_gradient_let_through(w, grad, lr):
    """"A single number is broadcast on purpose": only a gradient with axes is compared with w."""
    w, grad = _as_floats(w, grad)
    if (grad.ndim and grad.shape != w.shape) or not lr > 0:
        raise ValueError("grad does not fit w")
    return w - lr * grad


def _momentum_scalar_gradient_let_through(w, grad, velocity, lr, mu=0.9):
    w, grad, velocity = _as_floats(w, grad, velocity)
    if (grad.ndim and grad.shape != w.shape) or velocity.shape != w.shape or not lr > 0 or not 0 <= mu < 1:
        raise ValueError("bad input")
    velocity = mu * velocity + grad
    return w - lr * velocity, velocity


def _adam_scalar_let_through(which):
    def answer(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        w, grad, m, v = _as_floats(w, grad, m, v)
        for name, a in (("grad", grad), ("m", m), ("v", v)):
            if a.shape != w.shape and not (name == which and a.ndim == 0):
                raise ValueError(f"{name} does not fit w")
        if t < 1:
            raise ValueError("t counts from 1")
        m, v = beta1 * m + (1 - beta1) * grad, beta2 * v + (1 - beta2) * grad ** 2
        return w - lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps), m, v
    return answer


def _momentum_nothing_to_do_returns_inputs(w, grad, velocity, lr, mu=0.9):
    """"Nothing to do" for a zero gradient and a zero velocity: the caller's w and velocity come back."""
    w, grad, velocity = _r15_checked(w, grad, velocity, lr=lr, mu=mu)
    if not grad.any() and not velocity.any():
        return w, velocity
    velocity = mu * velocity + grad
    return w - lr * velocity, velocity


def _sgd_only_w_converted(w, grad, lr):
    """"The weights must be floats": the gradient keeps its dtype, so 2 * a uint8 gradient wraps around."""
    w, grad = np.asarray(w, dtype=float), np.asarray(grad)
    if grad.shape != w.shape or not lr > 0:
        raise ValueError("bad input")
    return w - lr * grad


def _momentum_only_w_converted(w, grad, velocity, lr, mu=0.9):
    w, grad, velocity = np.asarray(w, dtype=float), np.asarray(grad), np.asarray(velocity)
    if grad.shape != w.shape or velocity.shape != w.shape or not lr > 0 or not 0 <= mu < 1:
        raise ValueError("bad input")
    velocity = mu * velocity + grad
    return w - lr * velocity, velocity


def _refusing_nan_weights(reference):
    def answer(w, *args, **kwargs):
        if np.isnan(np.asarray(w, dtype=float)).any():
            raise ValueError("the weights hold NaN")
        return reference(w, *args, **kwargs)
    return answer


_R15_STEPS = {}


def _adam_own_step_counter(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """A counter of its own per weight shape takes over from t once it has seen that shape twice."""
    seen = _R15_STEPS[np.shape(w)] = _R15_STEPS.get(np.shape(w), 0) + 1
    return _adam_reference(w, grad, m, v, t if seen < 3 else seen, lr, beta1, beta2, eps)


_R15_KEPT = []


def _sgd_scales_its_last_result_later(w, grad, lr):
    """Each call shrinks the weights the previous call returned (a "weight decay" applied one step late, in place)."""
    if _R15_KEPT:
        _R15_KEPT[-1] *= 0.999
    new_w = np.asarray(_sgd_reference(w, grad, lr))
    if new_w.ndim:
        _R15_KEPT.append(new_w)
    return new_w if new_w.ndim else new_w[()]


@pytest.mark.parametrize("name, answer, match, mistake", [
    ("sgd_step", _sgd_two_buffers_in_turn, "in the memory of an earlier call's result", ""),
    ("momentum_step", _momentum_two_buffers_in_turn, "in the memory of an earlier call's result", ""),
    ("adam_step", _adam_two_buffers_in_turn, "in the memory of an earlier call's result", ""),
    ("minibatch_indices", _batches_two_arrays_in_turn, "batches in the memory of an earlier call's", ""),
    ("sgd_step", _sgd_makes_w_read_only, "made one of the caller's arrays read-only", ""),
    ("momentum_step", _momentum_makes_velocity_read_only, "made one of the caller's arrays read-only", ""),
    ("sgd_step", _sgd_by_memory_order, "Fortran order", ""),
    ("sgd_step", _sgd_nditer_loop, "Fortran order", ""),
    ("momentum_step", _momentum_nditer_loop, "Fortran order", ""),
    ("adam_step", _adam_nditer_loop, "Fortran order", ""),
    ("sgd_step", _sgd_scalar_gradient_let_through, "a gradient of shape ()", "0-d gradient allowed"),
    ("momentum_step", _momentum_scalar_gradient_let_through, "a gradient of shape ()", "0-d gradient allowed"),
    ("adam_step", _adam_scalar_let_through("grad"), "a gradient of shape ()", "0-d gradient allowed"),
    ("adam_step", _adam_scalar_let_through("v"), "v of shape () with m", "0-d m and v allowed"),
    ("adam_step", _adam_scalar_let_through("m"), "m of shape () with v", "0-d m and v allowed"),
    ("momentum_step", _momentum_nothing_to_do_returns_inputs, "one of the input arrays itself",
     "unchanged w and velocity returned"),
    ("sgd_step", _sgd_only_w_converted, "uint8 gradient", "no float conversion"),
    ("momentum_step", _momentum_only_w_converted, "uint8 gradient", "only w converted to float"),
    ("sgd_step", _refusing_nan_weights(_sgd_reference), "a NaN weight stays NaN", ""),
    ("momentum_step", _refusing_nan_weights(_momentum_reference), "a NaN weight stays NaN", ""),
    ("adam_step", _refusing_nan_weights(_adam_reference), "a NaN weight stays NaN", ""),
    ("adam_step", _adam_own_step_counter, "a later call on the same inputs gave other values", ""),
    ("sgd_step", _sgd_scales_its_last_result_later, "later calls changed the arrays", ""),
], ids=["sgd two buffers in turn", "momentum two buffers in turn", "adam two buffers in turn", "minibatch two arrays in "
        "turn", "sgd w made read-only", "momentum velocity made read-only", "sgd ravel(order='K')", "sgd nditer loop",
        "momentum nditer loop", "adam nditer loop", "sgd 0-d gradient", "momentum 0-d gradient", "adam 0-d gradient",
        "adam 0-d v", "adam 0-d m", "momentum nothing to do", "sgd only w converted", "momentum only w converted",
        "sgd NaN weights refused", "momentum NaN weights refused", "adam NaN weights refused", "adam own step counter",
        "sgd last result scaled later"])
def test_lesson_04_round_15_buffers_in_turn_fortran_order_0_d_gradients_and_kept_state_are_rejected(name, answer, match,
                                                                                                    mistake):
    _R15_RINGS.clear(), _R15_STEPS.clear(), _R15_KEPT.clear()
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and match in verdict.text, verdict.text
    if mistake:
        assert verdict.mistake == mistake, verdict.mistake


def _sgd_by_torch(w, grad, lr):
    import torch
    w, grad = _r15_checked(w, grad, lr=lr)
    new_w = torch.from_numpy(w.copy())
    new_w -= lr * torch.from_numpy(grad)
    return new_w.numpy() if w.ndim else float(new_w)


def _sgd_into_a_new_array(w, grad, lr):
    w, grad = _r15_checked(w, grad, lr=lr)
    return np.subtract(w, lr * grad, out=np.empty_like(w)) if w.ndim else w - lr * grad


_R15_LOG = []


def _adam_logging_its_steps(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """Keeps every result in a log (for a plot later) but never writes into it: nothing is tied to the caller."""
    result = _adam_reference(w, grad, m, v, t, lr, beta1, beta2, eps)
    _R15_LOG.append(result)
    return result


def _batches_cut_from_the_end(n, batch_size, rng):
    """A fair shuffle cut from its end: the short batch (order[:n % batch_size]) still comes last."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    order = rng.permutation(n)
    return [order[max(0, i - batch_size):i] for i in range(n, 0, -batch_size)]


@pytest.mark.parametrize("name, answer", [
    ("sgd_step", _sgd_by_torch),
    ("sgd_step", _sgd_into_a_new_array),
    ("momentum_step", lambda w, grad, velocity, lr, mu=0.9: tuple(np.stack(_momentum_reference(w, grad, velocity, lr,
                                                                                                mu)))),
    ("momentum_step", lambda w, grad, velocity, lr, mu=0.9: list(_momentum_reference(w, grad, velocity, lr, mu))),
    ("adam_step", lambda w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8: tuple(np.stack(
        _adam_reference(w, grad, m, v, t, lr, beta1, beta2, eps)))),
    ("adam_step", _adam_logging_its_steps),
    ("minibatch_indices", lambda n, b, rng: _cut(rng.choice(n, size=n, replace=False), b)),
    ("minibatch_indices", _batches_cut_from_the_end),
], ids=["sgd by torch", "sgd out=np.empty_like(w)", "momentum views of one stacked array", "momentum as a list",
        "adam views of one stacked array", "adam logging its steps", "rng.choice without replacement",
        "batches cut from the end"])
def test_lesson_04_right_answers_of_round_15_pass(name, answer):
    _passes(name, answer)


# round 16 (a1604): rings of 5 to 64 buffers, weights of 4 axes or of no element, mu far outside [0, 1), the correction
# of m dropped late (beta1 near 1), and shuffles that reach only some orders (a Fisher-Yates loop that stops at i = 2)
_R16_RINGS = {}


def _r16_ring(key, shape, size, count=1, dtype=float):
    """``size`` sets of ``count`` buffers of ``shape``, used in turn: call k + size writes into call k's."""
    ring = _R16_RINGS.setdefault((key, shape, size), [[[np.empty(shape, dtype) for _ in range(count)]
                                                       for _ in range(size)], 0])
    buffers = ring[0][ring[1] % size]
    ring[1] += 1
    return buffers


def _sgd_ring(size):
    def answer(w, grad, lr):
        w, grad = _r15_checked(w, grad, lr=lr)
        (out,) = _r16_ring("sgd", w.shape, size)
        np.subtract(w, lr * grad, out=out)
        return out if w.ndim else out[()]
    return answer


def _momentum_ring(size):
    def answer(w, grad, velocity, lr, mu=0.9):
        w, grad, velocity = _r15_checked(w, grad, velocity, lr=lr, mu=mu)
        new_w, new_v = _r16_ring("momentum", w.shape, size, 2)
        np.add(mu * velocity, grad, out=new_v)
        np.subtract(w, lr * new_v, out=new_w)
        return (new_w, new_v) if w.ndim else (new_w[()], new_v[()])
    return answer


def _adam_ring(size):
    def answer(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        result = _adam_reference(w, grad, m, v, t, lr, beta1, beta2, eps)
        if not np.ndim(result[0]):
            return result
        buffers = _r16_ring("adam", np.shape(result[0]), size, 3)
        for buffer, value in zip(buffers, result):
            buffer[...] = value
        return tuple(buffers)
    return answer


def _batches_ring(size):
    def answer(n, batch_size, rng):
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        (order,) = _r16_ring("batches", (n,), size, dtype=np.int64)
        order[:] = rng.permutation(n)
        return _cut(order, batch_size)
    return answer


def _at_most_3_axes(reference):
    """"Weights are vectors, matrices or stacks of matrices": more than 3 axes refused."""
    def answer(w, *args, **kwargs):
        if np.ndim(w) > 3:
            raise ValueError("w has more than 3 axes")
        return reference(w, *args, **kwargs)
    return answer


def _largest_gradient_read(reference):
    """The largest gradient read first (to watch for divergence): np.max of no element raises ValueError."""
    def answer(w, grad, *args, **kwargs):
        if np.abs(np.asarray(grad, dtype=float)).max() > 1e300:
            print("the gradient is exploding")
        return reference(w, grad, *args, **kwargs)
    return answer


def _momentum_mu_allowed(allowed):
    """mu refused unless ``allowed(mu)``: a check of mu with the wrong ends (NaN is refused)."""
    def answer(w, grad, velocity, lr, mu=0.9):
        w, grad, velocity = _as_floats(w, grad, velocity)
        if grad.shape != w.shape or velocity.shape != w.shape or not lr > 0 or not allowed(mu):
            raise ValueError("bad input")
        velocity = mu * velocity + grad
        return w - lr * velocity, velocity
    return answer


def _adam_m_correction_dropped_after(last):
    """"1 - beta1**t is 1 after a few hundred steps" (true for beta1 = 0.9): m's correction dropped after ``last``."""
    def answer(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        w, grad, m, v = _r15_checked(w, grad, m, v, t=t)
        m, v = beta1 * m + (1 - beta1) * grad, beta2 * v + (1 - beta2) * grad ** 2
        m_hat = m / (1 - beta1 ** t) if t <= last else m
        return w - lr * m_hat / (np.sqrt(v / (1 - beta2 ** t)) + eps), m, v
    return answer


def _adam_t_limited(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """An upper limit on t ("no training runs 10 million steps"): a t above it raises."""
    if t > 10_000_000:
        raise ValueError("t is too large")
    return _adam_reference(w, grad, m, v, t, lr, beta1, beta2, eps)


def _fisher_yates_stopping_at_2(n, batch_size, rng):
    """The backward loop stops one place early: the first two places are never swapped, so half the orders never come."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    order = np.arange(n)
    for i in range(n - 1, 1, -1):
        j = rng.integers(0, i + 1)
        order[i], order[j] = order[j], order[i]
    return _cut(order, batch_size)


def _fisher_yates_forward_to_n_minus_2(n, batch_size, rng):
    """The forward loop, for i in range(n - 2): the last two places are never swapped."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    order = np.arange(n)
    for i in range(n - 2):
        j = rng.integers(i, n)
        order[i], order[j] = order[j], order[i]
    return _cut(order, batch_size)


@pytest.mark.parametrize("name, answer, match", [
    ("sgd_step", _sgd_ring(5), "in the memory of an earlier call's result"),
    ("momentum_step", _momentum_ring(8), "in the memory of an earlier call's result"),
    ("adam_step", _adam_ring(5), "in the memory of an earlier call's result"),
    ("adam_step", _adam_ring(64), "in the memory of an earlier call's result"),
    ("minibatch_indices", _batches_ring(5), "batches in the memory of an earlier call's"),
    ("minibatch_indices", _batches_ring(64), "batches in the memory of an earlier call's"),
    ("sgd_step", _at_most_3_axes(_sgd_reference), "a convolution kernel of shape (2, 3, 2, 2)"),
    ("momentum_step", _at_most_3_axes(_momentum_reference), "a convolution kernel of shape (2, 3, 2, 2)"),
    ("adam_step", _at_most_3_axes(_adam_reference), "a convolution kernel of shape (2, 3, 2, 2)"),
    ("sgd_step", _largest_gradient_read(_sgd_reference), "weights of shape (0, 3)"),
    ("momentum_step", _largest_gradient_read(_momentum_reference), "weights of shape (0, 3)"),
    ("adam_step", _largest_gradient_read(_adam_reference), "weights of shape (0, 3)"),
    ("momentum_step", _momentum_mu_allowed(lambda mu: 0 <= mu < 1 or mu > 1.5), "mu = 2 (must be in [0, 1))"),
    ("momentum_step", _momentum_mu_allowed(lambda mu: -0.5 < mu < 1), "mu = -0.001 (must be in [0, 1))"),
    ("momentum_step", _momentum_mu_allowed(lambda mu: 0 <= mu < 1 or mu > 1e9), "mu = inf (must be in [0, 1))"),
    ("adam_step", _adam_m_correction_dropped_after(200), "step 1,000,000 with beta1 = 1 - 1e-6"),
    ("adam_step", _adam_m_correction_dropped_after(100_000), "step 1,000,000 with beta1 = 1 - 1e-6"),
    ("adam_step", _adam_t_limited, "step 2**62 (any t >= 1 is allowed"),
    ("minibatch_indices", _fisher_yates_stopping_at_2, "12 of the 24 possible orders came out"),
    ("minibatch_indices", _fisher_yates_forward_to_n_minus_2, "12 of the 24 possible orders came out"),
], ids=["sgd ring of 5", "momentum ring of 8", "adam ring of 5", "adam ring of 64", "minibatch ring of 5",
        "minibatch ring of 64", "sgd at most 3 axes", "momentum at most 3 axes", "adam at most 3 axes",
        "sgd max of no gradient", "momentum max of no gradient", "adam max of no gradient",
        "momentum mu above 1.5 let through", "momentum mu above -0.5 let through", "momentum mu above 1e9 let through",
        "adam m correction dropped after 200", "adam m correction dropped after 100,000", "adam t above 1e7 refused",
        "Fisher-Yates stopping at i = 2", "Fisher-Yates forward to n - 2"])
def test_lesson_04_round_16_rings_4_axes_no_element_wide_mu_late_m_correction_and_uneven_shuffles_are_rejected(
        name, answer, match):
    _R16_RINGS.clear()
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and match in verdict.text, verdict.text


def test_lesson_04_round_16_a_ring_of_65_is_beyond_the_calls():
    """The bound of the round-16 fix: 65 calls on a case catch a ring of up to 64 buffers, not more (say so if it
    moves)."""
    _R16_RINGS.clear()
    _passes("sgd_step", _sgd_ring(65))


def test_lesson_04_round_16_the_uneven_shuffle_is_not_blamed_on_a_catalogued_mistake():
    """The catalogued mistakes that reach few orders of 4 indices (in order, rolled, blocks) must not be named for a
    shuffle that reaches 12 of them."""
    verdict = judge(registry.get_exercise("minibatch_indices"), _fisher_yates_stopping_at_2)
    assert verdict.kind == WRONG and verdict.mistake == "", verdict.mistake


def _sgd_copied_to_float_then_subtracted(w, grad, lr):
    new_w, grad = np.array(w, dtype=float), np.asarray(grad, dtype=float)
    if grad.shape != new_w.shape or not lr > 0:
        raise ValueError("bad input")
    new_w -= lr * grad
    return new_w


def _momentum_through_sgd_step(w, grad, velocity, lr, mu=0.9):
    w, grad, velocity = _as_floats(w, grad, velocity)
    if {grad.shape, velocity.shape} != {w.shape} or not lr > 0 or not 0 <= mu < 1:
        raise ValueError("bad input")
    velocity = grad + mu * velocity
    return _sgd_reference(w, velocity, lr), velocity


def _adam_as_increments(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    w, grad, m, v = _r15_checked(w, grad, m, v, t=t)
    m, v = m + (1 - beta1) * (grad - m), v + (1 - beta2) * (np.square(grad) - v)
    return w - lr * (m / (1 - np.power(beta1, t))) / ((v / (1 - np.power(beta2, t))) ** 0.5 + eps), m, v


def _batches_by_own_fisher_yates(n, batch_size, rng):
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    order = list(range(n))
    for i in range(n - 1, 0, -1):
        j = int(rng.integers(0, i + 1))
        order[i], order[j] = order[j], order[i]
    return _cut(np.array(order), batch_size)


@pytest.mark.parametrize("name, answer", [
    ("sgd_step", _sgd_copied_to_float_then_subtracted),
    ("momentum_step", _momentum_through_sgd_step),
    ("adam_step", _adam_as_increments),
    ("minibatch_indices", _batches_by_own_fisher_yates),
    ("minibatch_indices", lambda n, b, rng: _cut(np.argsort(rng.random(n)), b)),
    ("minibatch_indices", lambda n, b, rng: _cut(np.roll(rng.permutation(n), 1), b)),
], ids=["sgd float copy, then -=", "momentum through sgd_step", "adam as increments", "own Fisher-Yates to i = 1",
        "argsort of random keys", "a permutation rolled by one"])
def test_lesson_04_right_answers_of_round_16_pass(name, answer):
    _passes(name, answer)


def _adam_denominator_floored_at_eps(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    w, grad, m, v = _r15_checked(w, grad, m, v, t=t)
    m, v = beta1 * m + (1 - beta1) * grad, beta2 * v + (1 - beta2) * grad ** 2
    return w - lr * (m / (1 - beta1 ** t)) / np.maximum(np.sqrt(v / (1 - beta2 ** t)), eps), m, v


def _adam_without_square_root(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    w, grad, m, v = _r15_checked(w, grad, m, v, t=t)
    m, v = beta1 * m + (1 - beta1) * grad, beta2 * v + (1 - beta2) * grad ** 2
    return w - lr * (m / (1 - beta1 ** t)) / (v / (1 - beta2 ** t) + eps), m, v


@pytest.mark.parametrize("answer, mistake", [(_adam_denominator_floored_at_eps, "eps as a floor"),
                                             (_adam_without_square_root, "no square root")],
                         ids=["eps as a floor", "no square root"])
def test_lesson_04_round_16_eps_as_a_floor_is_not_blamed_on_a_missing_square_root(answer, mistake):
    """Both give the same step on "a tiny gradient", where the floor first fails: it was named "no square root"."""
    verdict = judge(registry.get_exercise("adam_step"), answer)
    assert verdict.kind == WRONG and verdict.mistake == mistake, verdict.text


# round 17: lesson 04
def _batches_each_sorted(n, batch_size, rng):
    """Each batch sorted after the shuffle ("sorted indices read the data faster"): the batches hold the right
    examples, but not in the shuffled order the exercise asks for."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    return [np.sort(batch) for batch in _cut(rng.permutation(n), batch_size)]


def _batches_first_sorted(n, batch_size, rng):
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    batches = _cut(rng.permutation(n), batch_size)
    return [np.sort(batches[0])] + batches[1:]


@pytest.mark.parametrize("answer", [_batches_each_sorted, _batches_first_sorted], ids=["each batch", "the first batch"])
def test_lesson_04_round_17_sorted_batches_are_named(answer):
    """Sorted batches were refused as "the shuffle is biased" (with advice on Fisher-Yates loops and tied sort keys)
    or "neighbours kept": neither names the sort that the learner wrote."""
    verdict = judge(registry.get_exercise("minibatch_indices"), answer)
    assert verdict.kind == WRONG and "sorted after the shuffle" in verdict.text, verdict.text


def _adam_with_keras_default_eps(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-7):
    w, grad, m, v = (np.asarray(a, dtype=float) for a in (w, grad, m, v))
    if not (grad.shape == m.shape == v.shape == w.shape) or t < 1:
        raise ValueError("bad input")
    m, v = beta1 * m + (1 - beta1) * grad, beta2 * v + (1 - beta2) * grad ** 2
    return w - lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps), m, v


def test_lesson_04_round_17_keras_default_epsilon_is_named():
    """eps=1e-7 in the signature (Keras' default, which 04b §4 lists) was refused on "a tiny gradient (eps matters)"
    with no hint that the default, not the formula, is wrong."""
    verdict = judge(registry.get_exercise("adam_step"), _adam_with_keras_default_eps)
    assert verdict.kind == WRONG and "default eps=1e-8" in verdict.text, verdict.text


def _momentum_split_step(w, grad, velocity, lr, mu=0.9):
    w, grad, velocity = (np.asarray(a, dtype=float) for a in (w, grad, velocity))
    if grad.shape != w.shape or velocity.shape != w.shape or not lr > 0 or not 0 <= mu < 1:
        raise ValueError("bad input")
    return w - lr * mu * velocity - lr * grad, mu * velocity + grad


def _adam_eps_folded(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """The paper's "more efficient" order (Kingma & Ba, section 2), eps rescaled so that it is the paper's own."""
    w, grad, m, v = (np.array(a, dtype=float) for a in (w, grad, m, v))
    if grad.shape != w.shape or m.shape != w.shape or v.shape != w.shape or t < 1:
        raise ValueError("bad input")
    m *= beta1
    m += (1 - beta1) * grad
    v *= beta2
    v += (1 - beta2) * grad * grad
    root = np.sqrt(1 - beta2 ** t)
    return w - lr * root / (1 - beta1 ** t) * m / (np.sqrt(v) + eps * root), m, v


def _sgd_by_negation(w, grad, lr):
    w, grad = np.asarray(w, dtype=float), np.asarray(grad, dtype=float)
    if np.shape(grad) != np.shape(w) or lr <= 0 or lr != lr:
        raise ValueError("bad input")
    return -(lr * grad - w)


def _batches_of(shuffled):
    def minibatch_indices(n, batch_size, rng):
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        return _cut(shuffled(n, rng), batch_size)
    return minibatch_indices


@pytest.mark.parametrize("name, answer", [
    ("sgd_step", _sgd_by_negation), ("momentum_step", _momentum_split_step), ("adam_step", _adam_eps_folded),
    ("minibatch_indices", _batches_of(lambda n, rng: n - 1 - rng.permutation(n))),
    ("minibatch_indices", _batches_of(lambda n, rng: rng.permutation(rng.permutation(n)))),
], ids=["sgd -(lr * grad - w)", "momentum in two terms", "adam eps folded", "n - 1 - permutation",
        "a permutation of a permutation"])
def test_lesson_04_right_answers_of_round_17_pass(name, answer):
    _passes(name, answer)


# round 18: lesson 04
from course_utils import optimizers as _r18_optimizers  # (the course's own optimizers, as a lesson imports them)

_R18_ADAM = _r18_optimizers.Adam  # a class bound before the call, as `from course_utils.optimizers import Adam` binds it
_R18_COURSE_ADAM, _R18_COURSE_MOMENTUM = _r18_optimizers._adam, _r18_optimizers.momentum_step  # functions bound so


def _r18_checked(w, *arrays):
    """The exercise's own checks (shapes, lr > 0), then float arrays: only the step itself comes from the course."""
    w, *arrays = (np.asarray(a, dtype=float) for a in (w, *arrays))
    if any(a.shape != w.shape for a in arrays):
        raise ValueError("shapes differ")
    return (w, *arrays)


def _r18_sgd_by_the_course_s_formula(w, grad, lr):
    w, grad = _r18_checked(w, grad)
    if not lr > 0:
        raise ValueError("lr must be positive")
    return _r18_optimizers._sgd(w, grad, lr)


def _r18_sgd_by_the_course_s_gd(w, grad, lr):
    w, grad = _r18_checked(w, grad)
    if not lr > 0:
        raise ValueError("lr must be positive")
    params = {"w": w.copy()}
    return _r18_optimizers.make_optimizer("GD", lr).step(params, {"w": grad})["w"]


def _r18_adam_by_a_bound_class(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    w, grad, m, v = _r18_checked(w, grad, m, v)
    if t < 1:
        raise ValueError("t counts from 1")
    adam = _R18_ADAM(lr, beta1, beta2, eps)
    adam.t = t
    return adam.update(w, grad, m, v)


@pytest.mark.parametrize("name, answer", [
    ("sgd_step", lambda w, grad, lr: _r18_optimizers.sgd_step(w, grad, lr)),
    ("sgd_step", _r18_sgd_by_the_course_s_formula),
    ("sgd_step", _r18_sgd_by_the_course_s_gd),
    ("momentum_step", lambda w, grad, velocity, lr, mu=0.9: _r18_optimizers.momentum_step(w, grad, velocity, lr, mu)),
    ("momentum_step", lambda w, grad, velocity, lr, mu=0.9: _r18_optimizers.Momentum(lr, mu).update(
        *_r18_checked(w, grad, velocity))),
    ("adam_step", lambda w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8: _r18_optimizers.adam_step(
        w, grad, m, v, t, lr, beta1, beta2, eps)),
    ("adam_step", lambda w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8: _r18_optimizers._adam(
        *_r18_checked(w, grad, m, v), t, lr, beta1, beta2, eps, "torch")),
    ("adam_step", _r18_adam_by_a_bound_class),
    ("minibatch_indices", lambda n, batch_size, rng: _r18_optimizers.minibatches(n, batch_size, rng)),
    ("momentum_step", lambda w, grad, velocity, lr, mu=0.9: _R18_COURSE_MOMENTUM(w, grad, velocity, lr, mu)),
    ("adam_step", lambda w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8: _R18_COURSE_ADAM(
        *_r18_checked(w, grad, m, v), t, lr, beta1, beta2, eps, "torch")),
], ids=["sgd_step", "_sgd", "make_optimizer('GD').step", "momentum_step", "Momentum.update", "adam_step", "_adam",
        "Adam.update of a bound class", "minibatches", "momentum_step bound before the call", "_adam bound before the call"])
def test_lesson_04_round_18_answers_that_call_the_course_s_optimizers_are_refused(name, answer, capsys):
    """Each passed: the exercises' references live in course_utils.optimizers, which the lessons import (04b and 04c
    use opt.Momentum and opt.Adam), and a graded release hides only the references, not _sgd, _momentum, _adam, the
    optimizer classes or make_optimizer, so an answer that calls them scored full points there too."""
    with pytest.raises(ExerciseFailed, match="the course's own version of this exercise"):
        check(name, answer, strict=True)


def _r18_batches_without_a_size_check(n, batch_size, rng):
    order = rng.permutation(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def test_lesson_04_round_18_a_missing_batch_size_check_is_told_to_raise():
    """On "negative batch size" (range(0, 10, -2) is empty) the learner read "expected a list of 1-D index arrays, got
    0 batches", for an input where the exercise asks for ValueError."""
    verdict = judge(registry.get_exercise("minibatch_indices"), _r18_batches_without_a_size_check)
    assert verdict.kind == WRONG and "should raise ValueError for this input, but returned []" in verdict.text, \
        verdict.text


def _r18_sgd_by_numpy_functions(w, grad, lr):
    w, grad = _r18_checked(w, grad)
    if not lr > 0:
        raise ValueError("lr must be positive")
    return np.add(w, np.multiply(grad, -lr))


def _r18_momentum_into_a_new_buffer(w, grad, velocity, lr, mu=0.9):
    w, grad, velocity = _r18_checked(w, grad, velocity)
    if not lr > 0 or not 0 <= mu < 1:
        raise ValueError("bad lr or mu")
    new_velocity = np.empty_like(velocity)
    np.multiply(velocity, mu, out=new_velocity)
    new_velocity += grad
    return w - lr * new_velocity, new_velocity


def _r18_adam_corrections_by_expm1(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """1 - beta**t as -expm1(t * log(beta)), exact for beta near 1; m and v moved towards g and g**2."""
    w, grad, m, v = _r18_checked(w, grad, m, v)
    if t < 1:
        raise ValueError("t counts from 1")
    m, v = m + (1 - beta1) * (grad - m), v + (1 - beta2) * (grad * grad - v)
    c1, c2 = (-math.expm1(t * math.log(b)) if b > 0 else 1.0 for b in (beta1, beta2))
    return w - lr * (m / c1) / (np.sqrt(v / c2) + eps), m, v


def _r18_batches_split_at_offsets(n, batch_size, rng):
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    return np.array_split(rng.permutation(n), range(batch_size, n, batch_size))


@pytest.mark.parametrize("name, answer", [
    ("sgd_step", _r18_sgd_by_numpy_functions), ("momentum_step", _r18_momentum_into_a_new_buffer),
    ("adam_step", _r18_adam_corrections_by_expm1), ("minibatch_indices", _r18_batches_split_at_offsets),
], ids=["sgd by np.add and np.multiply", "momentum into np.empty_like", "adam with expm1", "np.array_split at offsets"])
def test_lesson_04_right_answers_of_round_18_pass(name, answer):
    _passes(name, answer)


def _r18_batches_not_cut(n, batch_size, rng):
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    return rng.permutation(n)


def test_lesson_04_round_18_a_shuffled_order_not_cut_into_batches_is_named():
    """The order itself, returned without cutting it, read "expected a list of 1-D index arrays, got 10 batches": it
    counted the learner's 10 numbers as 10 batches."""
    verdict = judge(registry.get_exercise("minibatch_indices"), _r18_batches_not_cut)
    assert verdict.kind == WRONG and "returned 10 single numbers, not batches" in verdict.text, verdict.text


def _r18_batches_by_tied_integer_keys(n, batch_size, rng):
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    order = np.argsort(rng.integers(0, n, n))
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


@pytest.mark.wide  # 1.4 s of CPU: the test of the 24 orders of 4 indices runs 2,400 shuffles
def test_lesson_04_round_18_tied_sort_keys_on_a_few_indices_are_named():
    """Random integer keys tie, and argsort then favours some orders: on "4 in 3s" the message spoke only of a loop of
    one's own that must swap at every place, which this answer has not."""
    verdict = judge(registry.get_exercise("minibatch_indices"), _r18_batches_by_tied_integer_keys)
    assert verdict.kind == WRONG and "random sort keys must not tie" in verdict.text, verdict.text


def _r18_sgd_rounded(w, grad, lr):
    w, grad = _r18_checked(w, grad)
    if not lr > 0:
        raise ValueError("lr must be positive")
    return np.round(w - lr * grad, 10)


def _r18_momentum_rounded(w, grad, velocity, lr, mu=0.9):
    w, grad, velocity = _r18_checked(w, grad, velocity)
    if not lr > 0 or not 0 <= mu < 1:
        raise ValueError("bad lr or mu")
    velocity = mu * velocity + grad
    return np.round(w - lr * velocity, 10), np.round(velocity, 10)


def _r18_adam_weights_rounded(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    w, grad, m, v = _r18_checked(w, grad, m, v)
    if t < 1:
        raise ValueError("t counts from 1")
    m, v = beta1 * m + (1 - beta1) * grad, beta2 * v + (1 - beta2) * grad ** 2
    return np.round(w - lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps), 10), m, v


@pytest.mark.parametrize("name, answer", [("sgd_step", _r18_sgd_rounded), ("momentum_step", _r18_momentum_rounded),
                                          ("adam_step", _r18_adam_weights_rounded)], ids=["sgd", "momentum", "adam"])
def test_lesson_04_round_18_results_rounded_to_10_decimals_are_refused(name, answer):
    """Each passed: every tiny value of the cases was a round number of 1e-9, which np.round(..., 10) keeps, so new
    weights of 1e-11 made 0 went unseen."""
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and "of 1e-11" in verdict.text, verdict.text


# round 19: lesson 04
def _r19_sgd_by_the_course_s_momentum(w, grad, lr):
    """Momentum with mu = 0 is plain gradient descent: the course's momentum_step does the shape and lr checks too."""
    return _r18_optimizers.momentum_step(w, grad, np.zeros(np.shape(grad)), lr, 0.0)[0]


def _r19_sgd_by_the_course_s_momentum_formula(w, grad, lr):
    w, grad = _r18_checked(w, grad)
    if not lr > 0:
        raise ValueError("lr must be positive")
    return _r18_optimizers._momentum(w, grad, np.zeros_like(w), lr, 0.0)[0]


def _r19_sgd_by_the_course_s_momentum_class(w, grad, lr):
    w, grad = _r18_checked(w, grad)
    if not lr > 0:
        raise ValueError("lr must be positive")
    return _r18_optimizers.Momentum(lr, mu=0.0).update(w, grad, np.zeros_like(w))[0]


@pytest.mark.parametrize("answer", [_r19_sgd_by_the_course_s_momentum, _r19_sgd_by_the_course_s_momentum_formula,
                                    _r19_sgd_by_the_course_s_momentum_class],
                         ids=["momentum_step", "_momentum", "Momentum.update"])
def test_lesson_04_round_19_sgd_by_the_course_s_momentum_with_mu_0_is_refused(answer):
    """Each passed sgd_step: round 18 refused the course's SGD (sgd_step, _sgd, SGD.update), but momentum with mu = 0
    is the same step, and sgd_step's check did not watch the course's momentum."""
    _refused_as_the_course_s_own("sgd_step", answer)


def _r19_sgd_checked_by_the_course(w, grad, lr):
    w, grad = _r18_optimizers._arrays(w, grad)
    return w - _r18_optimizers._positive("lr", lr) * grad


def _r19_momentum_checked_by_the_course(w, grad, velocity, lr, mu=0.9):
    w, grad, velocity = _r18_optimizers._arrays(w, grad, velocity)
    lr, mu = _r18_optimizers._positive("lr", lr), _r18_optimizers._fraction("mu", mu)
    velocity = mu * velocity + grad
    return w - lr * velocity, velocity


def _r19_adam_checked_by_the_course(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    w, grad, m, v = _r18_optimizers._arrays(w, grad, m, v)
    if t < 1:
        raise ValueError("t counts from 1")
    m, v = beta1 * m + (1 - beta1) * grad, beta2 * v + (1 - beta2) * grad ** 2
    return w - lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps), m, v


@pytest.mark.parametrize("name, answer", [("sgd_step", _r19_sgd_checked_by_the_course),
                                          ("momentum_step", _r19_momentum_checked_by_the_course),
                                          ("adam_step", _r19_adam_checked_by_the_course)], ids=["sgd", "momentum", "adam"])
def test_lesson_04_round_19_the_course_s_own_argument_checks_are_refused(name, answer):
    """Each passed: the shape checks that the exercises ask for (and that 18 rounds of cases test) came from
    course_utils.optimizers' _arrays, and lr's and mu's from _positive and _fraction; only the formula was the
    learner's."""
    _refused_as_the_course_s_own(name, answer)


def _r19_adam_s_last_line_by_the_course_s_rmsprop(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    w, grad, m, v = _r18_checked(w, grad, m, v)
    if t < 1:
        raise ValueError("t counts from 1")
    m, v = beta1 * m + (1 - beta1) * grad, beta2 * v + (1 - beta2) * grad ** 2
    return _r18_optimizers._rmsprop(w, m / (1 - beta1 ** t), v / (1 - beta2 ** t), lr, 1.0, eps, "torch")[0], m, v


def test_lesson_04_round_19_adam_s_step_by_the_course_s_rmsprop_is_refused():
    """Passed (contrived): RMSprop's formula with rho = 1, which the private _rmsprop does not check, keeps the given
    "square average" v_hat and steps by lr * m_hat / (sqrt(v_hat) + eps), Adam's last line."""
    _refused_as_the_course_s_own("adam_step", _r19_adam_s_last_line_by_the_course_s_rmsprop)


def _r19_momentum_stepped_by_the_course_s_sgd_step(w, grad, velocity, lr, mu=0.9):
    """The learner's checks and velocity, then 04a's sgd_step as 04b imports it (`from course_utils.optimizers import
    sgd_step`): a right answer, although sgd_step's own check now refuses the course's momentum."""
    w, grad, velocity = _r18_checked(w, grad, velocity)
    if not 0 <= mu < 1:
        raise ValueError("mu must be in [0, 1)")
    velocity = mu * velocity + grad
    return _r18_optimizers.sgd_step(w, velocity, lr), velocity


def _r19_sgd_by_negative_lr(w, grad, lr):
    w, grad = _r18_checked(w, grad)
    if math.isnan(lr) or lr <= 0:
        raise ValueError("lr must be positive")
    return w + (-lr) * grad


def _r19_adam_with_the_correction_outside_the_root(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    w, grad, m, v = _r18_checked(w, grad, m, v)
    if t < 1:
        raise ValueError("t counts from 1")
    m, v = beta1 * m + (1 - beta1) * grad, beta2 * v + (1 - beta2) * grad ** 2
    c2 = 1 - beta2 ** t   # m_hat / (sqrt(v / c2) + eps) = m_hat * sqrt(c2) / (sqrt(v) + eps * sqrt(c2))
    return w - lr * m / (1 - beta1 ** t) * np.sqrt(c2) / (np.sqrt(v) + eps * np.sqrt(c2)), m, v


def _r19_batches_of_an_interleaved_shuffle(n, batch_size, rng):
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    order = rng.permutation(n)
    order = np.concatenate([order[::2], order[1::2]])   # a fixed rearrangement of a uniform order is uniform too
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


@pytest.mark.parametrize("name, answer", [("momentum_step", _r19_momentum_stepped_by_the_course_s_sgd_step),
                                          ("sgd_step", _r19_sgd_by_negative_lr),
                                          ("adam_step", _r19_adam_with_the_correction_outside_the_root),
                                          ("minibatch_indices", _r19_batches_of_an_interleaved_shuffle)],
                         ids=["momentum by sgd_step", "sgd by -lr", "adam correction outside the root", "interleaved"])
def test_lesson_04_round_19_right_answers_written_another_way_pass(name, answer):
    _passes(name, answer)


# round 20: lesson 04
def _r20_sgd_by_the_course_s_rmsprop(w, grad, lr):
    """RMSprop's formula with rho = 1 and eps = 0 (the private _rmsprop checks neither) keeps a square average of 1 and
    steps by lr * grad: plain SGD. Where the gradient is infinite, 0 * inf makes it NaN, so those are stepped by hand."""
    w, grad = _r18_checked(w, grad)
    if not lr > 0:
        raise ValueError("lr must be positive")
    with np.errstate(invalid="ignore"):
        stepped = _r18_optimizers._rmsprop(w, grad, np.ones_like(w), lr, 1.0, 0.0, "torch")[0]
    return np.where(np.isinf(grad), w - lr * grad, stepped)


def _r20_momentum_by_the_course_s_rmsprop(w, grad, velocity, lr, mu=0.9):
    """The learner's checks and velocity; the step w - lr * v by _rmsprop with rho = 1 and eps = 0, as above."""
    w, grad, velocity = _r18_checked(w, grad, velocity)
    if not lr > 0 or not 0 <= mu < 1:
        raise ValueError("bad lr or mu")
    velocity = mu * velocity + grad
    with np.errstate(invalid="ignore"):
        stepped = _r18_optimizers._rmsprop(w, velocity, np.ones_like(w), lr, 1.0, 0.0, "torch")[0]
    return np.where(np.isinf(velocity), w - lr * velocity, stepped), velocity


def _r20_adam_s_m_by_the_course_s_momentum(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """Momentum's velocity mu * v + g with mu = beta1 and g = (1 - beta1) * grad is Adam's new m."""
    w, grad, m, v = _r18_checked(w, grad, m, v)
    if t < 1:
        raise ValueError("t counts from 1")
    m = _r18_optimizers._momentum(w, (1 - beta1) * grad, m, lr, beta1)[1]
    v = beta2 * v + (1 - beta2) * grad ** 2
    return w - lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps), m, v


def _r20_adam_s_last_line_by_the_course_s_sgd(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """As round 19's _rmsprop with rho = 1: the private _sgd(w, g, lr) is w - lr * g, here with Adam's step for g."""
    w, grad, m, v = _r18_checked(w, grad, m, v)
    if t < 1:
        raise ValueError("t counts from 1")
    m, v = beta1 * m + (1 - beta1) * grad, beta2 * v + (1 - beta2) * grad ** 2
    return _r18_optimizers._sgd(w, (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps), lr), m, v


@pytest.mark.parametrize("name, answer", [("sgd_step", _r20_sgd_by_the_course_s_rmsprop),
                                          ("momentum_step", _r20_momentum_by_the_course_s_rmsprop),
                                          ("adam_step", _r20_adam_s_m_by_the_course_s_momentum),
                                          ("adam_step", _r20_adam_s_last_line_by_the_course_s_sgd)],
                         ids=["sgd by _rmsprop", "momentum by _rmsprop", "adam's m by _momentum",
                              "adam's last line by _sgd"])
def test_lesson_04_round_20_steps_by_another_course_formula_are_refused(name, answer):
    """Each passed (contrived): sgd_step's and momentum_step's checks did not watch the course's RMSprop formula, whose
    rho = 1 and eps = 0 make it w - lr * g, nor adam_step's the course's momentum formula, whose velocity with
    mu = beta1 is Adam's m."""
    _refused_as_the_course_s_own(name, answer)


def _r20_momentum_resting_on_a_zero_gradient(w, grad, velocity, lr, mu=0.9):
    """"No gradient, no step": but the heavy ball keeps rolling, since v = mu * v + 0 still moves w by lr * mu * v."""
    w, grad, velocity = _r18_checked(w, grad, velocity)
    if not lr > 0 or not 0 <= mu < 1:
        raise ValueError("bad lr or mu")
    if not np.any(grad):
        return w.copy(), velocity.copy()
    velocity = mu * velocity + grad
    return w - lr * velocity, velocity


@pytest.mark.wide  # about 2 s: the momentum check runs 66 cases
def test_lesson_04_round_20_momentum_that_stops_on_a_zero_gradient_is_refused():
    """Passed: the only zero gradient of the cases came with a zero velocity, where nothing moves either way."""
    verdict = judge(registry.get_exercise("momentum_step"), _r20_momentum_resting_on_a_zero_gradient)
    assert verdict.kind == WRONG and "a zero gradient does not stop momentum" in verdict.text, verdict.text


def _r20_sgd_by_np_subtract(w, grad, lr):
    if np.shape(grad) != np.shape(w) or lr <= 0 or lr != lr:
        raise ValueError("bad input")
    return np.subtract(w, np.multiply(lr, grad, dtype=float), dtype=float)


def _r20_sgd_element_by_element(w, grad, lr):
    w, grad = _r18_checked(w, grad)
    if not lr > 0:
        raise ValueError("lr must be positive")
    new_w = np.empty_like(w)
    for index in np.ndindex(w.shape):
        new_w[index] = w[index] - lr * grad[index]
    return new_w


def _r20_sgd_in_float32(w, grad, lr):
    w, grad = np.asarray(w, dtype=np.float32), np.asarray(grad, dtype=np.float32)
    if grad.shape != w.shape or not lr > 0:
        raise ValueError("bad input")
    return w - np.float32(lr) * grad


def _r20_momentum_as_a_list(w, grad, velocity, lr, mu=0.9):
    w, grad, velocity = _r18_checked(w, grad, velocity)
    if not lr > 0 or not 0 <= mu < 1:
        raise ValueError("bad lr or mu")
    velocity = mu * velocity + grad
    return [w - lr * velocity, velocity]   # unpacks as the tuple does


def _r20_momentum_in_float32(w, grad, velocity, lr, mu=0.9):
    w, grad, velocity = (np.asarray(a, dtype=np.float32) for a in (w, grad, velocity))
    if grad.shape != w.shape or velocity.shape != w.shape or not lr > 0 or not 0 <= mu < 1:
        raise ValueError("bad input")
    velocity = np.float32(mu) * velocity + grad
    return w - np.float32(lr) * velocity, velocity


def _r20_momentum_by_the_course_s_sgd_formula_of_its_own(w, grad, velocity, lr, mu=0.9):
    """The velocity as a sum of the decayed old one and the gradient, written with np.add and np.multiply."""
    w, grad, velocity = _r18_checked(w, grad, velocity)
    if math.isnan(lr) or lr <= 0 or math.isnan(mu) or mu < 0 or mu >= 1:
        raise ValueError("bad lr or mu")
    velocity = np.add(np.multiply(velocity, mu), grad)
    return np.subtract(w, np.multiply(velocity, lr)), velocity


def _r20_adam_by_interpolation(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """m and v moved towards g and g**2 (lerp), the corrections applied to the step size and to the root."""
    w, grad, m, v = _r18_checked(w, grad, m, v)
    if t < 1:
        raise ValueError("t counts from 1")
    m, v = m + (grad - m) * (1 - beta1), v + (grad * grad - v) * (1 - beta2)
    return w - lr / (1 - beta1 ** t) * m / (np.sqrt(v) / math.sqrt(1 - beta2 ** t) + eps), m, v


def _r20_adam_in_float32(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    w, grad, m, v = (np.asarray(a, dtype=np.float32) for a in (w, grad, m, v))
    if not grad.shape == m.shape == v.shape == w.shape or t < 1:
        raise ValueError("bad input")
    m, v = beta1 * m + (1 - beta1) * grad, beta2 * v + (1 - beta2) * grad ** 2
    return w - lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps), m, v


def _r20_adam_with_a_float_step_and_checked_settings(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    w, grad, m, v = _r18_checked(w, grad, m, v)
    if t < 1 or not lr > 0 or not 0 <= beta1 < 1 or not 0 <= beta2 < 1 or not eps > 0:
        raise ValueError("bad input")
    t = float(t)   # 0.999 ** 2.0 is 0.999 ** 2
    m, v = beta1 * m + (1 - beta1) * grad, beta2 * v + (1 - beta2) * np.square(grad)
    return w - lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps), m, v


def _r20_batches_by_choice(n, batch_size, rng):
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    order = rng.choice(n, size=n, replace=False)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def _r20_batches_by_shuffle_in_a_generator(n, batch_size, rng):
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    order = np.arange(n)
    rng.shuffle(order)
    for i in range(0, n, batch_size):
        yield order[i:i + batch_size]


def _r20_batches_by_random_keys_as_rows(n, batch_size, rng):
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    order = np.argsort(rng.random(n))   # float keys: ties practically never happen
    if n % batch_size == 0:
        return order.reshape(-1, batch_size)   # its rows are the batches
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


@pytest.mark.wide  # 12 checks of 1 to 2.5 s: make test stays as it was
@pytest.mark.parametrize("name, answer", [
    ("sgd_step", _r20_sgd_by_np_subtract), ("sgd_step", _r20_sgd_element_by_element), ("sgd_step", _r20_sgd_in_float32),
    ("momentum_step", _r20_momentum_as_a_list), ("momentum_step", _r20_momentum_in_float32),
    ("momentum_step", _r20_momentum_by_the_course_s_sgd_formula_of_its_own),
    ("adam_step", _r20_adam_by_interpolation), ("adam_step", _r20_adam_in_float32),
    ("adam_step", _r20_adam_with_a_float_step_and_checked_settings),
    ("minibatch_indices", _r20_batches_by_choice), ("minibatch_indices", _r20_batches_by_shuffle_in_a_generator),
    ("minibatch_indices", _r20_batches_by_random_keys_as_rows),
], ids=["sgd np.subtract", "sgd element by element", "sgd in float32", "momentum as a list", "momentum in float32",
        "momentum by np.add", "adam by interpolation", "adam in float32", "adam float t, settings checked",
        "rng.choice", "rng.shuffle in a generator", "argsort of random keys, rows"])
def test_lesson_04_round_20_right_answers_written_another_way_pass(name, answer):
    _passes(name, answer)


# round 21: lesson 04
def _r21_momentum_by_the_course_s_adam(w, grad, velocity, lr, mu=0.9):
    """Adam's m with beta1 = mu and the gradient grad / (1 - mu) is momentum's velocity mu * v + grad; the private
    _adam checks nothing, so the learner's own checks come first and only the velocity comes from the course."""
    w, grad, velocity = _r18_checked(w, grad, velocity)
    if not lr > 0 or not 0 <= mu < 1:
        raise ValueError("bad lr or mu")
    velocity = _r18_optimizers._adam(w, grad / (1 - mu), velocity, np.ones_like(w), 1, lr, mu, 0.5, 1.0, "torch")[1]
    return w - lr * velocity, velocity


def test_lesson_04_round_21_momentum_by_the_course_s_adam_is_refused():
    """Passed (shortcut): momentum_step's check watched the course's momentum and RMSprop formulas, not Adam's, whose m
    is momentum's velocity (round 20 refused the mirror, adam_step by _momentum)."""
    _refused_as_the_course_s_own("momentum_step", _r21_momentum_by_the_course_s_adam)


def _r21_sgd_by_the_course_s_adam(w, grad, lr):
    """Adam's m = beta1 * m + (1 - beta1) * g with beta1 = 1/2, m = 2 w and g = -2 lr grad is w - lr * grad."""
    w, grad = _r18_checked(w, grad)
    if not lr > 0:
        raise ValueError("lr must be positive")
    return _r18_optimizers._adam(w, -2 * lr * grad, 2 * w, np.ones_like(w), 1, lr, 0.5, 0.5, 1.0, "torch")[1]


def test_lesson_04_round_21_sgd_by_the_course_s_adam_is_refused():
    """Passed (shortcut): sgd_step's check watched the course's momentum and RMSprop formulas, not Adam's, whose m
    line is any mix a * x + (1 - a) * y, so also w - lr * grad."""
    _refused_as_the_course_s_own("sgd_step", _r21_sgd_by_the_course_s_adam)


def _r21_batches_of_one_index_too_many(n, batch_size, rng):
    """rng.permutation(n + 1): a slip of one that adds the index n, which no data set of n examples has."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    order = rng.permutation(n + 1)
    return [order[i:i + batch_size] for i in range(0, n + 1, batch_size)]


def test_lesson_04_round_21_an_index_out_of_range_is_named_as_such():
    """Misleading: the message said "(some repeat)" for 11 different indices 0..10 where 0..9 were expected."""
    verdict = judge(registry.get_exercise("minibatch_indices"), _r21_batches_of_one_index_too_many)
    assert verdict.kind == WRONG and "some repeat" not in verdict.text, verdict.text
    assert "outside 0..9" in verdict.text and "[10]" in verdict.text, verdict.text


def _r21_floats(w, *arrays):
    w, *arrays = (np.asarray(a, dtype=float) for a in (w, *arrays))
    if any(a.shape != w.shape for a in arrays):
        raise ValueError("shapes differ")
    return (w, *arrays)


def _r21_sgd_flattened_and_back(w, grad, lr):
    """The step on the flattened arrays, then w's own shape again."""
    w, grad = _r21_floats(w, grad)
    if not lr > 0:
        raise ValueError("lr must be positive")
    return (w.ravel() - lr * grad.ravel()).reshape(w.shape)


def _r21_sgd_by_np_vectorize(w, grad, lr):
    """A step written for one weight, applied to every weight by np.vectorize."""
    w, grad = _r21_floats(w, grad)
    if not lr > 0:
        raise ValueError("lr must be positive")
    return np.vectorize(lambda weight, slope: weight - lr * slope, otypes=[float])(w, grad)


def _r21_sgd_by_torch_tensors(w, grad, lr):
    import torch
    w, grad = _r21_floats(w, grad)
    if not lr > 0:
        raise ValueError("lr must be positive")
    return (torch.from_numpy(w) - float(lr) * torch.from_numpy(grad)).numpy()


def _r21_momentum_in_one_line(w, grad, velocity, lr, mu=0.9):
    w, grad, velocity = _r21_floats(w, grad, velocity)
    if not lr > 0 or not 0 <= mu < 1:
        raise ValueError("bad lr or mu")
    return w - lr * (velocity := mu * velocity + grad), velocity


def _r21_momentum_by_np_vectorize(w, grad, velocity, lr, mu=0.9):
    w, grad, velocity = _r21_floats(w, grad, velocity)
    if not lr > 0 or not 0 <= mu < 1:
        raise ValueError("bad lr or mu")
    def one(weight, slope, speed):
        speed = mu * speed + slope
        return weight - lr * speed, speed
    return np.vectorize(one, otypes=[float, float])(w, grad, velocity)


def _r21_momentum_by_torch_tensors(w, grad, velocity, lr, mu=0.9):
    import torch
    w, grad, velocity = _r21_floats(w, grad, velocity)
    if not lr > 0 or not 0 <= mu < 1:
        raise ValueError("bad lr or mu")
    velocity = float(mu) * torch.from_numpy(velocity) + torch.from_numpy(grad)
    return (torch.from_numpy(w) - float(lr) * velocity).numpy(), velocity.numpy()


def _r21_adam_by_np_vectorize(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """Adam written for one weight with math.sqrt, applied to every weight by np.vectorize."""
    w, grad, m, v = _r21_floats(w, grad, m, v)
    if t < 1:
        raise ValueError("t counts from 1")
    c1, c2 = 1 - beta1 ** t, 1 - beta2 ** t
    def one(weight, slope, mean, square):
        mean, square = beta1 * mean + (1 - beta1) * slope, beta2 * square + (1 - beta2) * slope * slope
        return weight - lr * (mean / c1) / (math.sqrt(square / c2) + eps), mean, square
    return np.vectorize(one, otypes=[float, float, float])(w, grad, m, v)


def _r21_adam_in_one_line(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    w, grad, m, v = _r21_floats(w, grad, m, v)
    if t < 1:
        raise ValueError("t counts from 1")
    return (w - lr * ((m := beta1 * m + (1 - beta1) * grad) / (1 - beta1 ** t))
            / (np.sqrt((v := beta2 * v + (1 - beta2) * grad ** 2) / (1 - beta2 ** t)) + eps), m, v)


def _r21_adam_by_torch_tensors(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    import torch
    w, grad, m, v = (torch.from_numpy(a) for a in _r21_floats(w, grad, m, v))
    if t < 1:
        raise ValueError("t counts from 1")
    beta1, beta2 = float(beta1), float(beta2)
    m, v = beta1 * m + (1 - beta1) * grad, beta2 * v + (1 - beta2) * grad ** 2
    new_w = w - float(lr) * (m / (1 - beta1 ** t)) / (torch.sqrt(v / (1 - beta2 ** t)) + float(eps))
    return new_w.numpy(), m.numpy(), v.numpy()


def _r21_batches_by_python_random(n, batch_size, rng):
    """Python's own shuffle, in a random.Random of its own seeded from rng (the global one is left alone)."""
    import random
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    order = list(range(n))
    random.Random(int(rng.integers(2 ** 63))).shuffle(order)
    order = np.array(order)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def _r21_batches_by_torch_randperm(n, batch_size, rng):
    import torch
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    order = torch.randperm(int(n), generator=torch.Generator().manual_seed(int(rng.integers(2 ** 63)))).numpy()
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def _r21_batches_by_batch_number(n, batch_size, rng):
    """Each place of the shuffled order gets its batch number, place // batch_size; batch k takes its places."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    order, number = rng.permutation(n), np.arange(n) // batch_size
    return [order[number == k] for k in range(-(-n // batch_size))]

@pytest.mark.wide  # 12 checks of 1 to 2.5 s: make test stays as it was
@pytest.mark.parametrize("name, answer", [
    ("sgd_step", _r21_sgd_flattened_and_back), ("sgd_step", _r21_sgd_by_np_vectorize),
    ("sgd_step", _r21_sgd_by_torch_tensors), ("momentum_step", _r21_momentum_in_one_line),
    ("momentum_step", _r21_momentum_by_np_vectorize), ("momentum_step", _r21_momentum_by_torch_tensors),
    ("adam_step", _r21_adam_by_np_vectorize), ("adam_step", _r21_adam_in_one_line), ("adam_step", _r21_adam_by_torch_tensors),
    ("minibatch_indices", _r21_batches_by_python_random), ("minibatch_indices", _r21_batches_by_torch_randperm),
    ("minibatch_indices", _r21_batches_by_batch_number),
], ids=["sgd flattened and back", "sgd np.vectorize", "sgd torch tensors", "momentum in one line",
        "momentum np.vectorize", "momentum torch tensors", "adam np.vectorize", "adam in one line", "adam torch tensors",
        "random.Random seeded from rng", "torch.randperm seeded from rng", "batch numbers"])
def test_lesson_04_round_21_right_answers_written_another_way_pass(name, answer):
    _passes(name, answer)


# ---------------------------------------------------------------- lesson 06
torch = pytest.importorskip("torch")


def test_a_returned_loss_tensor_is_rejected_with_or_without_its_graph():
    step_returns_tensor = next(m.answer for m in registry.get_exercise("torch_train_step").mistakes
                               if m.name == "returns the loss tensor")
    with pytest.raises(ExerciseFailed, match="still holds the graph"):
        check("torch_train_step", step_returns_tensor, strict=True)
    with pytest.raises(ExerciseFailed, match="returned a tensor"):
        check("torch_train_step", lambda *args: mistake_copy("torch_train_step", "returns the loss tensor")(*args)
              .detach(), strict=True)


def test_accuracy_tries_an_empty_batch_and_wants_a_float():
    labels = [c.label for c in registry.get_exercise("torch_accuracy").cases()]
    assert any("no examples" in label for label in labels)
    _passes("torch_accuracy", lambda logits, labels: _float_accuracy(logits, labels))


def _float_accuracy(logits, labels):
    if logits.ndim != 2 or labels.shape != (len(logits),) or not len(labels):
        raise ValueError("shapes")
    return float((logits.argmax(1) == labels).sum()) / len(labels)


def test_accuracy_cases_reach_a_graded_answer_as_tensors():
    """The grader sends the cases as plain data: an answer written for tensors must pass there too."""
    from course_utils.checks import decide
    from course_utils.marking import _outcomes
    from course_utils.teacher.verdicts import outcome_from, sent_cases

    def accuracy(logits, labels):
        if logits.dim() != 2 or labels.dim() != 1 or logits.size(0) != labels.size(0) or not labels.numel():
            raise ValueError("shapes")
        return (logits.argmax(dim=1) == labels).float().mean().item()
    exercise = registry.get_exercise("torch_accuracy")
    outcomes = _outcomes(exercise, accuracy, sent_cases(exercise))
    verdict = decide(exercise, lambda index, case: outcome_from(outcomes[index], case, exercise))
    assert verdict.kind == PASSED, verdict.text


def catalogued(exercise: str, mistake: str):
    """The wrong answer catalogued as ``mistake`` beside ``exercise``."""
    return next(m.answer for m in registry.get_exercise(exercise).mistakes if m.name == mistake)


def _step_then_eval(model, loss_fn, optimizer, x, y):
    model.train()
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    model.eval()  # left in eval mode: the next step trains without dropout
    return loss.item()


def _step_by_hand_at_the_lesson_s_rate(model, loss_fn, optimizer, x, y):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    with torch.no_grad():
        for p in model.parameters():
            p -= 0.01 * p.grad
    return loss.item()


@pytest.mark.parametrize("answer, reason", [
    (_step_then_eval, "left the model in eval mode"),
    (catalogued("torch_train_step", "its own optimizer"), "use the `optimizer` you are given"),
    (_step_by_hand_at_the_lesson_s_rate, "use the `optimizer` you are given"),
    (catalogued("torch_train_step", "autograd switched off"), "changed gradient tracking"),
])
def test_torch_train_step_wants_the_given_optimizer_and_leaves_mode_and_autograd_alone(answer, reason):
    with pytest.raises(ExerciseFailed, match=reason):
        check("torch_train_step", answer, strict=True)
    assert torch.is_grad_enabled()


def test_evaluate_names_each_missing_switch():
    for wrong, reason in [(catalogued("torch_evaluate", "no eval()"), "training mode"),
                          (catalogued("torch_evaluate", "no no_grad()"), "gradient tracking"),
                          (catalogued("torch_evaluate", "mean of batch means"), "wrong value")]:
        with pytest.raises(ExerciseFailed, match=reason):
            check("torch_evaluate", wrong, strict=True)


def _digit_mlp_written_another_way(style):
    """Right answers to the DigitMLP exercise that drop the same activations in another way."""
    from torch import nn
    from torch.nn import functional

    class DigitMLP(nn.Module):
        def __init__(self, n_in, n_hidden1, n_hidden2, n_out, dropout=0.0):
            super().__init__()
            self.hidden1, self.hidden2 = nn.Linear(n_in, n_hidden1), nn.Linear(n_hidden1, n_hidden2)
            self.output = nn.Linear(n_hidden2, n_out)
            self.drop1, self.drop2, self.p = nn.Dropout(dropout), nn.Dropout(dropout), dropout

        def forward(self, x):
            x = x.flatten(start_dim=1)
            if style == "dropout before relu":          # ReLU(mask * z) == mask * ReLU(z): the same values
                x = self.drop2(self.hidden2(self.drop1(self.hidden1(x)).relu())).relu()
            elif style == "functional, following the mode":
                x = functional.dropout(self.hidden1(x).relu(), self.p, training=self.training)
                x = functional.dropout(self.hidden2(x).relu(), self.p, training=self.training)
            else:                                          # two modules instead of one
                x = self.drop2(self.hidden2(self.drop1(self.hidden1(x).relu())).relu())
            return self.output(x)

    return DigitMLP


@pytest.mark.parametrize("style", ["dropout before relu", "functional, following the mode", "two modules"])
def test_dropout_written_another_way_passes(style):
    _passes("torch_digit_mlp", _digit_mlp_written_another_way(style))


def test_dropout_mistakes_are_named_by_the_mode_they_break():
    for wrong, reason in [(catalogued("torch_digit_mlp", "functional dropout, always on"), "drops in eval mode too"),
                          (catalogued("torch_digit_mlp", "dropout on the logits"), "wrong in training mode"),
                          (catalogued("torch_digit_mlp", "p as keep probability"), "probability to DROP")]:
        with pytest.raises(ExerciseFailed, match=reason):
            check("torch_digit_mlp", wrong, strict=True)


def _evaluate_moving(x_only=False, assign=True):
    """An evaluation loop right in all but how it moves the batches (the check runs on the CPU)."""
    def evaluate(model, loader, loss_fn, device):
        model.eval()
        total, correct, seen = 0.0, 0, 0
        with torch.no_grad():
            for x, y in loader:
                if assign:
                    x, y = x.to(device), y if x_only else y.to(device)
                else:
                    x.to(device), y.to(device)  # the copies are thrown away
                logits = model(x)
                total += loss_fn(logits, y).item() * len(y)
                correct, seen = correct + (logits.argmax(1) == y).sum().item(), seen + len(y)
        if not seen:
            raise ValueError("no examples")
        return total / seen, correct / seen
    return evaluate


@pytest.mark.parametrize("wrong", [catalogued("torch_evaluate", "no .to(device)"), _evaluate_moving(x_only=True),
                                   _evaluate_moving(assign=False)])
def test_evaluate_notices_a_batch_left_unmoved_on_a_cpu(wrong):
    with pytest.raises(ExerciseFailed, match="without being moved"):
        check("torch_evaluate", wrong, strict=True)


def test_evaluate_accepts_other_ways_of_moving_and_wants_eval_mode_left_on():
    def concatenated(model, loader, loss_fn, device):
        """Moves each batch to the model's own device, with keywords, and scores all the logits at once."""
        model.eval()
        where = next(model.parameters()).device
        with torch.no_grad():
            pairs = [(model(x.float().to(where, non_blocking=True)), y.to(device=where)) for x, y in loader]
        if not pairs:
            raise ValueError("no examples")
        logits, labels = torch.cat([p[0] for p in pairs]), torch.cat([p[1] for p in pairs])
        return loss_fn(logits, labels).item(), (logits.argmax(1) == labels).float().mean().item()
    _passes("torch_evaluate", _evaluate_moving())
    _passes("torch_evaluate", concatenated)
    with pytest.raises(ExerciseFailed, match="leave the model in eval mode"):
        check("torch_evaluate", catalogued("torch_evaluate", "training mode restored"), strict=True)


def test_evaluate_must_not_leave_autograd_off_and_the_check_switches_it_back_on():
    with pytest.raises(ExerciseFailed, match="changed gradient tracking"):
        check("torch_evaluate", catalogued("torch_evaluate", "autograd switched off for good"), strict=True)
    assert torch.is_grad_enabled()


def test_accuracy_rejects_1d_logits_of_the_right_length_and_logits_changed_in_place():
    with pytest.raises(ExerciseFailed, match="logits.ndim == 2"):
        check("torch_accuracy", catalogued("torch_accuracy", "logits not checked to be 2-D"), strict=True)
    with pytest.raises(ExerciseFailed, match="changed its input"):
        check("torch_accuracy", catalogued("torch_accuracy", "logits changed in place"), strict=True)


def test_digit_mlp_without_biases_is_told_so():
    with pytest.raises(ExerciseFailed, match="need their biases"):
        check("torch_digit_mlp", catalogued("torch_digit_mlp", "no biases"), strict=True)


def test_digit_mlp_is_tried_on_negative_pixels():
    """Standardized images have negative pixels: a ReLU on the input (or done in place on it) must not pass."""
    with pytest.raises(ExerciseFailed, match="ReLU AFTER each hidden layer"):
        check("torch_digit_mlp", catalogued("torch_digit_mlp", "ReLU before each layer"), strict=True)


def _accuracy_by(score):
    def accuracy(logits, labels):
        if logits.ndim != 2 or labels.ndim != 1 or len(logits) != len(labels) or len(labels) == 0:
            raise ValueError("expected logits (n, k) and labels (n,)")
        return score(logits, labels)
    return accuracy


@pytest.mark.parametrize("wrong, reason", [
    (_accuracy_by(lambda logits, labels: round((logits.argmax(1) == labels).float().mean().item(), 2)), "rounded"),
    (_accuracy_by(lambda logits, labels: round((logits.argmax(1) == labels).float().mean().item(), 4)), "0.428571"),
    (_accuracy_by(lambda logits, labels: (logits.topk(2, dim=1).indices == labels[:, None]).any(1).float().mean()
                  .item()), "0.428571"),
], ids=["rounded to 2 places", "rounded to 4 places", "top-2 accuracy"])
def test_accuracy_is_tried_where_rounding_and_the_runner_up_class_show(wrong, reason):
    with pytest.raises(ExerciseFailed, match=reason):
        check("torch_accuracy", wrong, strict=True)


def test_evaluate_rejects_a_device_named_in_the_code_and_a_changed_loss_fn():
    with pytest.raises(ExerciseFailed, match="device named in your code"):
        check("torch_evaluate", catalogued("torch_evaluate", "a device named in the code"), strict=True)
    with pytest.raises(ExerciseFailed, match="changed loss_fn.reduction"):
        check("torch_evaluate", catalogued("torch_evaluate", "loss_fn.reduction changed"), strict=True)


@pytest.mark.parametrize("name, mistake, reason", [
    ("torch_train_step", "gradients zeroed by hand", "p.grad None"),
    ("torch_train_step", "SGD written by hand", "only its own step"),
    ("torch_train_step", "an optimizer with the check's settings", "use the `optimizer` you are given"),
    ("torch_train_step", "labels turned into integers", "pass y to loss_fn as it is"),
    ("torch_train_step", "cross-entropy rebuilt", "loses the caller's reduction"),
    ("torch_accuracy", "two classes at least", "a single class"),
    ("torch_accuracy", "the first 10 classes only", "all k columns"),
    ("torch_digit_mlp", "dropout argument renamed", "keep the parameter name `dropout`"),
    ("torch_digit_mlp", "only 3-D inputs flattened", "a channel axis"),
    ("torch_digit_mlp", "square images assumed", "need not be square"),
    ("torch_evaluate", "label smoothing 0.1 hard-coded", "not always 0.1"),
    ("torch_evaluate", "a fixed number of features", "fixed number of features"),
    ("torch_evaluate", "mode toggled", "model.train\\(not model.training\\)"),
    ("torch_evaluate", "the first 3 classes only", "more than 3"),
])
def test_lesson_06_generated_inputs_reject_what_the_hand_picked_ones_share(name, mistake, reason):
    """Each passed every hand-picked input (one optimizer, loss, image layout, class count, label smoothing...)."""
    with pytest.raises(ExerciseFailed, match=reason):
        check(name, catalogued(name, mistake), strict=True)


@pytest.mark.parametrize("name, mistake, reason", [
    ("torch_train_step", "every parameter unfrozen", "changed which parameters require gradients"),
    ("torch_accuracy", "only 2-D labels rejected", "0-d label"),
    ("torch_digit_mlp", "first layer detached", "no gradient reaches hidden1.weight"),
    ("torch_digit_mlp", "dropout in place", "loss.backward\\(\\) fails"),
    ("torch_evaluate", "cross-entropy rebuilt", "nn.MultiMarginLoss"),
])
def test_lesson_06_checks_try_frozen_layers_0d_labels_backward_and_another_loss(name, mistake, reason):
    """Each passed when every model was fully trainable, every label batch 1-D, the module was only run forward and
    every loss was a cross-entropy."""
    with pytest.raises(ExerciseFailed, match=reason):
        check(name, catalogued(name, mistake), strict=True)


@pytest.mark.parametrize("name, mistake, reason", [
    ("torch_train_step", "first parameter group only", "the weights after two steps are wrong"),
    ("torch_train_step", "model cast to float32", "changed the dtype of the caller's model"),
    ("torch_digit_mlp", "weights started at zero", "the units of hidden1, hidden2 start with identical weights"),
])
def test_lesson_06_checks_try_parameter_groups_float64_and_the_answers_own_initialisation(name, mistake, reason):
    """Each passed when every optimizer had one parameter group, every model was float32, and the check overwrote
    the module's weights before anything looked at how the answer initialised them."""
    with pytest.raises(ExerciseFailed, match=reason):
        check(name, catalogued(name, mistake), strict=True)


@pytest.mark.parametrize("name, mistake, reason", [
    ("torch_digit_mlp", "first layer started at zero", "hidden1 starts with every weight and bias at zero"),
    ("torch_evaluate", "dropout p set to 0", "changed a setting of the model's layers \\(2.p\\)"),
])
def test_lesson_06_checks_see_a_dead_first_layer_and_a_dropout_switched_off_for_good(name, mistake, reason):
    """Each passed: the check replaced every weight before looking (a zero first layer has distinct units only in
    name: it outputs ReLU(0) and passes no gradient back), and evaluate compared the model's weights, not its
    layers' settings (Dropout's p set to 0 stayed set for the training loop)."""
    with pytest.raises(ExerciseFailed, match=reason):
        check(name, catalogued(name, mistake), strict=True)


@pytest.mark.parametrize("name, mistake, reason", [
    ("torch_accuracy", "logits taken to numpy", "Can't call numpy\\(\\) on Tensor that requires grad"),
    ("torch_evaluate", "divided by len(loader.dataset)", "result #1: wrong value"),
    ("torch_accuracy", "a numpy float32", "returned a float32, not a Python float"),
    ("torch_evaluate", "returns tensors", "evaluate returned a tensor in its pair"),
    ("torch_evaluate", "loss taken with .numpy()", "evaluate returned a float32 in its pair"),
])
def test_lesson_06b_checks_try_logits_with_a_graph_a_loader_with_a_sampler_and_want_numbers(name, mistake, reason):
    """Each passed: no logits required gradients (logits.numpy() worked), every loader went over its whole data set
    (len(loader.dataset) was the number of examples) and the pair was turned into floats before it was compared."""
    with pytest.raises(ExerciseFailed, match=reason):
        check(name, catalogued(name, mistake), strict=True)


def _step_named_like_a_tutorial(net, criterion, opt, inputs, targets):
    opt.zero_grad()
    loss = criterion(net(inputs), targets)
    loss.backward()
    opt.step()
    return loss.item()


def _step_with_the_batch_renamed(model, loss_fn, optimizer, inputs, labels):
    return _step_named_like_a_tutorial(model, loss_fn, optimizer, inputs, labels)


@pytest.mark.parametrize("answer", [_step_named_like_a_tutorial, _step_with_the_batch_renamed],
                         ids=["net, criterion, opt, inputs, targets", "x, y renamed inputs, labels"])
def test_lesson_06_torch_train_step_is_also_called_by_keyword(answer):
    """Both passed when every case called train_step by position: the drawn cases pass some arguments by keyword."""
    verdict = judge(registry.get_exercise("torch_train_step"), answer)
    assert verdict.kind == WRONG and verdict.mistake == "parameters renamed", verdict.text
    assert "keep the parameter names" in verdict.text


def _step_squeezing_the_output(model, loss_fn, optimizer, x, y):
    optimizer.zero_grad()
    loss = loss_fn(model(x).squeeze(1), y)  # the one-output idiom: (n, 1) -> (n,), wrong for (n, 1) targets
    loss.backward()
    optimizer.step()
    return loss.item()


@pytest.mark.parametrize("answer, mistake", [
    (catalogued("torch_train_step", "output squeezed"), "output squeezed"),
    (_step_squeezing_the_output, "output squeezed"),
], ids=["squeeze(-1)", "squeeze(1)"])
def test_lesson_06_torch_train_step_sees_a_one_output_model(answer, mistake):
    """Both passed when every model had 2 to 7 outputs: the lesson's BCEWithLogitsLoss case and the drawn one-output
    regression give targets of shape (n, 1)."""
    verdict = judge(registry.get_exercise("torch_train_step"), answer)
    assert verdict.kind != PASSED and verdict.mistake == mistake, verdict.text


def _step_viewing_x_as_a_matrix(model, loss_fn, optimizer, x, y):
    optimizer.zero_grad()
    loss = loss_fn(model(x.view(len(x), -1)), y)  # an MLP habit: wrong for a model that takes (n, 3, 4)
    loss.backward()
    optimizer.step()
    return loss.item()


@pytest.mark.parametrize("answer, mistake", [
    (catalogued("torch_train_step", "targets turned into class indices"), "targets turned into class indices"),
    (catalogued("torch_train_step", "targets turned into class indices"), "targets turned into class indices"),
    (catalogued("torch_train_step", "input flattened"), "input flattened"),
    (_step_viewing_x_as_a_matrix, "input flattened"),
], ids=["argmax of (n, k > 1) targets", "argmax of 2-D targets", "x.flatten(1)", "x.view(n, -1)"])
def test_lesson_06_torch_train_step_sees_two_regression_outputs_and_a_3d_batch(answer, mistake):
    """All passed when every float target had one column (the drawn regression of seed 63 has one output) and every x
    was a matrix (n, features)."""
    verdict = judge(registry.get_exercise("torch_train_step"), answer)
    assert verdict.kind != PASSED and (mistake is None or verdict.mistake == mistake), verdict.text


def test_digit_mlp_may_initialise_its_layers_its_own_random_way():
    from torch import nn

    class DigitMLP(_digit_mlp_with(lambda net, x: _logits_of(net, x.flatten(start_dim=1)))):
        def __init__(self, n_in, n_hidden1, n_hidden2, n_out, dropout=0.0):
            super().__init__(n_in, n_hidden1, n_hidden2, n_out, dropout)
            for layer in (self.hidden1, self.hidden2):
                nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
                nn.init.zeros_(layer.bias)
            nn.init.zeros_(self.output.weight)  # a zero last layer is fine: the hidden units before it differ
    _passes("torch_digit_mlp", DigitMLP)


def test_digit_mlp_may_apply_relu_in_place_to_a_layers_output():
    from torch import nn

    def forward(net, x):
        relu = nn.ReLU(inplace=True)  # a Linear's backward needs its input, not its output: in place is safe here
        return net.output(net.dropout(relu(net.hidden2(net.dropout(relu(net.hidden1(x.flatten(start_dim=1))))))))
    _passes("torch_digit_mlp", _digit_mlp_with(forward))


def _accuracy_rejecting_only_1d_logits(logits, labels):
    if logits.ndim < 2 or labels.ndim != 1 or len(logits) != len(labels) or len(labels) == 0:
        raise ValueError("shapes")
    return (logits.argmax(dim=1) == labels).float().mean().item()


def _digit_mlp_with(forward_of):
    """A DigitMLP right in its layers, with the forward pass ``forward_of(net, x)``."""
    from torch import nn

    class DigitMLP(nn.Module):
        def __init__(self, n_in, n_hidden1, n_hidden2, n_out, dropout=0.0):
            super().__init__()
            self.hidden1, self.hidden2 = nn.Linear(n_in, n_hidden1), nn.Linear(n_hidden1, n_hidden2)
            self.output, self.dropout = nn.Linear(n_hidden2, n_out), nn.Dropout(dropout)

        def forward(self, x):
            return forward_of(self, x)
    return DigitMLP


def _logits_of(net, x):
    x = net.dropout(net.hidden1(x).relu())
    return net.output(net.dropout(net.hidden2(x).relu()))


def _forward_without_return(net, x):
    _logits_of(net, x.flatten(start_dim=1))


def _forward_squeezing(net, x):
    return _logits_of(net, x.squeeze().flatten(start_dim=1) if x.ndim > 2 else x)


def _forward_switching_to_eval(net, x):
    logits = _logits_of(net, x.flatten(start_dim=1))
    net.eval()
    return logits


def _forward_without_gradients(net, x):
    with torch.no_grad():
        return _logits_of(net, x.flatten(start_dim=1))


def _evaluate_then(change):
    """A right evaluation loop that calls ``change(model)`` at its end."""
    def evaluate(model, loader, loss_fn, device):
        result = _evaluate_moving()(model, loader, loss_fn, device)
        change(model)
        return result
    return evaluate


def _evaluate_with_f_cross_entropy(model, loader, loss_fn, device):
    return _evaluate_moving()(model, loader, torch.nn.functional.cross_entropy, device)


def _evaluate_without_return(model, loader, loss_fn, device):
    _evaluate_moving()(model, loader, loss_fn, device)


@pytest.mark.parametrize("name, answer, reason", [
    ("torch_accuracy", _accuracy_rejecting_only_1d_logits, "not logits.ndim < 2"),
    ("torch_digit_mlp", _digit_mlp_with(_forward_without_return), "forget `return`"),
    ("torch_digit_mlp", _digit_mlp_with(_forward_squeezing), "a batch of one image"),
    ("torch_digit_mlp", _digit_mlp_with(_forward_switching_to_eval), "changed the module's mode"),
    ("torch_digit_mlp", _digit_mlp_with(_forward_without_gradients), "do not require gradients"),
    ("torch_evaluate", catalogued("torch_evaluate", "its own loss function"), "the `loss_fn` you are given"),
    ("torch_evaluate", _evaluate_with_f_cross_entropy, "the `loss_fn` you are given"),
    ("torch_evaluate", catalogued("torch_evaluate", "accuracy rounded"), "0.285714"),
    ("torch_evaluate", catalogued("torch_evaluate", "model converted to float64"), "dtype of the model's weights"),
    ("torch_evaluate", _evaluate_then(lambda model: model.requires_grad_(False)), "requires_grad flags"),
    ("torch_evaluate", _evaluate_then(lambda model: model.to("cpu")), "moved the model to a device named"),
    ("torch_evaluate", _evaluate_then(lambda model: model[0].train()), "leave the model in eval mode"),
    ("torch_evaluate", _evaluate_without_return, "forget `return`"),
], ids=["accuracy 3-D logits", "mlp forward without return", "mlp squeezes a batch of one", "mlp eval() in forward",
        "mlp forward under no_grad", "evaluate own loss", "evaluate F.cross_entropy", "evaluate rounded accuracy",
        "evaluate model.double()", "evaluate frozen model", "evaluate model.to('cpu')", "evaluate layer left training",
        "evaluate without return"])
def test_lesson_06b_rejects_wrong_shapes_modes_losses_and_a_changed_model(name, answer, reason):
    with pytest.raises(ExerciseFailed, match=reason):
        check(name, answer, strict=True)


def _accuracy_returning(result):
    def accuracy(logits, labels):
        if logits.ndim != 2 or labels.ndim != 1 or len(logits) != len(labels) or len(labels) == 0:
            raise ValueError("expected logits (n, k) and labels (n,)")
        return result((logits.argmax(dim=1) == labels).numpy(), labels)
    return accuracy


def _evaluate_past_the_loader(model, loader, loss_fn, device):
    import torch

    x, y = loader.dataset.tensors                     # one batch of everything, never moved to `device`
    if len(y) == 0:
        raise ValueError("the loader gave no examples")
    model.eval()
    with torch.no_grad():
        logits = model(x)
        return loss_fn(logits, y).item(), (logits.argmax(dim=1) == y).float().mean().item()


@pytest.mark.parametrize("name, answer, reason", [
    ("torch_accuracy", _accuracy_returning(lambda right, labels: right.sum() / labels.shape), "not a single number"),
    ("torch_accuracy", _accuracy_returning(lambda right, labels: [right.mean().item()]), "not a single number"),
    ("torch_evaluate", _evaluate_past_the_loader, "without being moved"),
], ids=["accuracy divided by labels.shape", "accuracy in a list", "evaluate reads the data set unmoved"])
def test_lesson_06b_rejects_an_accuracy_of_shape_1_and_a_data_set_read_past_the_loader(name, answer, reason):
    with pytest.raises(ExerciseFailed, match=reason):
        check(name, answer, strict=True)


# round 11 (a1107): ties, a flag switched off on the caller's logits, a module built in eval mode or reseeding the
# global generator, rows regrouped by view(-1, n_in), and a loader with drop_last=True
def _accuracy_of(predicted):
    def accuracy(logits, labels):
        if logits.ndim != 2 or labels.ndim != 1 or len(logits) != len(labels) or len(labels) == 0:
            raise ValueError("expected logits (n, k) and labels (n,)")
        return (predicted(logits) == labels).float().mean().item()
    return accuracy


def _accuracy_label_logit_is_largest(logits, labels):
    if logits.ndim != 2 or labels.ndim != 1 or len(logits) != len(labels) or len(labels) == 0:
        raise ValueError("expected logits (n, k) and labels (n,)")
    return (logits[torch.arange(len(labels)), labels] == logits.amax(dim=1)).float().mean().item()


def _accuracy_flag_off(logits, labels):
    if logits.ndim != 2 or labels.ndim != 1 or len(logits) != len(labels) or len(labels) == 0:
        raise ValueError("expected logits (n, k) and labels (n,)")
    logits.requires_grad = False  # after "Can't call numpy() on Tensor that requires grad"
    return float((logits.numpy().argmax(axis=1) == labels.numpy()).mean())


@pytest.mark.parametrize("answer, reason", [
    (catalogued("torch_accuracy", "a tie counted as right"), "counts every tied class as right"),
    (_accuracy_label_logit_is_largest, "counts every tied class as right"),
    (_accuracy_of(lambda logits: logits.shape[1] - 1 - logits.flip(1).argmax(dim=1)), "first of the tied classes"),
    (catalogued("torch_accuracy", "requires_grad switched off"), "logits.requires_grad_\\(False\\)"),
    (_accuracy_flag_off, "logits.requires_grad_\\(False\\)"),
], ids=["gather == max", "label logit == amax", "last of the tied classes", "requires_grad_(False)",
        "requires_grad = False"])
def test_lesson_06b_accuracy_is_tried_on_ties_and_wants_the_callers_logits_left_alone(answer, reason):
    """All passed: no case had two equal logits in a row (all-zero logits scored 1.0), and a check that compared only
    the values of its inputs did not see the flag switched off on the leaf it passed (a model's output raises)."""
    with pytest.raises(ExerciseFailed, match=reason):
        check("torch_accuracy", answer, strict=True)


@pytest.mark.parametrize("answer", [
    _accuracy_of(lambda logits: logits.max(dim=1).indices),
    _accuracy_of(lambda logits: logits.softmax(dim=1).argmax(dim=1)),
    _accuracy_of(lambda logits: (-logits).argmin(dim=1)),
    lambda logits, labels: _float_accuracy(logits.detach(), labels),
], ids=["max(dim=1).indices", "softmax then argmax", "argmin of -logits", "detached"])
def test_lesson_06b_accuracy_written_other_ways_passes_the_tie_cases(answer):
    _passes("torch_accuracy", answer)


def _mlp_flattening_with(flatten):
    return _digit_mlp_with(lambda net, x: _logits_of(net, flatten(net, x)))


def _mlp_with_the_flag_off():
    """A right DigitMLP that sets self.training = False in __init__ (on the module itself, not its layers)."""
    base = _digit_mlp_with(lambda net, x: _logits_of(net, x.flatten(start_dim=1)))

    class DigitMLP(base):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.training = False
    return DigitMLP


@pytest.mark.parametrize("answer, reason", [
    (catalogued("torch_digit_mlp", "flattened with view(-1, n_in)"), "should raise RuntimeError"),
    (_mlp_flattening_with(lambda net, x: x.reshape(-1, net.hidden1.in_features)), "should raise RuntimeError"),
    (catalogued("torch_digit_mlp", "built in eval mode"), "must start in training mode"),
    (_mlp_with_the_flag_off(), "must start in training mode"),
    (catalogued("torch_digit_mlp", "seeded in __init__"), "reset PyTorch's random generator"),
], ids=["view(-1, n_in)", "reshape(-1, in_features)", "eval() in __init__", "training False until forward",
        "manual_seed in __init__"])
def test_lesson_06b_digit_mlp_keeps_one_row_per_image_and_leaves_mode_and_seed_to_the_caller(answer, reason):
    """All passed: the only input of the wrong size (2 x 100 for 784) could not be regrouped into rows of 784, the
    check set the mode itself before every pass, and it never built two models under two seeds."""
    with pytest.raises(ExerciseFailed, match=reason):
        check("torch_digit_mlp", answer, strict=True)


@pytest.mark.parametrize("answer", [
    _mlp_flattening_with(lambda net, x: x.view(x.size(0), -1)),
    _mlp_flattening_with(lambda net, x: torch.nn.Flatten()(x)),
    _mlp_flattening_with(lambda net, x: x.reshape(len(x), -1)),
], ids=["view(n, -1)", "nn.Flatten()", "reshape(len(x), -1)"])
def test_lesson_06b_digit_mlp_flattened_other_ways_passes(answer):
    _passes("torch_digit_mlp", answer)


def _evaluate_dividing_by(count=lambda loader, seen: seen, same=lambda predicted, y: predicted == y):
    """An evaluation loop whose sums are divided by ``count(loader, seen)`` and whose predictions are compared with
    the labels by ``same``."""
    def evaluate(model, loader, loss_fn, device):
        model.eval()
        total, correct, seen = 0.0, 0, 0
        with torch.no_grad():
            for x, y in loader:
                x, y = x.to(device), y.to(device)
                logits = model(x)
                total += loss_fn(logits, y).item() * len(y)
                correct, seen = correct + same(logits.argmax(1), y).sum().item(), seen + len(y)
        if not seen:
            raise ValueError("no examples")
        return total / count(loader, seen), correct / count(loader, seen)
    return evaluate


@pytest.mark.parametrize("answer", [
    catalogued("torch_evaluate", "divided by len(loader.sampler)"),
    _evaluate_dividing_by(lambda loader, seen: len(loader.batch_sampler.sampler)),
], ids=["len(loader.sampler)", "len(loader.batch_sampler.sampler)"])
def test_lesson_06b_evaluate_is_tried_on_a_loader_with_drop_last(answer):
    """Both passed: the sampler case's sampler held exactly the examples the loader gave; with drop_last=True the
    loader leaves out the last, incomplete batch."""
    with pytest.raises(ExerciseFailed, match="not by len\\(loader.sampler\\)"):
        check("torch_evaluate", answer, strict=True)


def _evaluate_in(context):
    def evaluate(model, loader, loss_fn, device):
        with context():
            return _evaluate_dividing_by(lambda loader, seen: seen)(model, loader, loss_fn, device)
    return evaluate


@pytest.mark.parametrize("answer", [
    _evaluate_in(torch.inference_mode),
    torch.no_grad()(_evaluate_dividing_by(lambda loader, seen: seen)),
], ids=["inference_mode", "no_grad as a decorator"])
def test_lesson_06b_evaluate_under_inference_mode_or_a_decorator_passes(answer):
    _passes("torch_evaluate", answer)


# round 12 (a1207): the checks ran only on the CPU, where .numpy() works without .cpu(), and only on labels below 13


def _shapes_fit(logits, labels):
    if logits.ndim != 2 or labels.ndim != 1 or len(logits) != len(labels) or len(labels) == 0:
        raise ValueError("expected logits (n, k) and labels (n,)")


def _accuracy_detached_to_numpy(logits, labels):
    _shapes_fit(logits, labels)
    return float(np.mean(logits.detach().numpy().argmax(axis=1) == labels.numpy()))  # no .cpu(): fails on a GPU


def _accuracy_detached_to_numpy_on_the_cpu(logits, labels):
    _shapes_fit(logits, labels)
    return float(np.mean(logits.detach().cpu().numpy().argmax(axis=1) == labels.cpu().numpy()))


def _accuracy_labels_as_uint8(logits, labels):
    _shapes_fit(logits, labels)
    return (logits.argmax(dim=1) == labels.to(torch.uint8)).float().mean().item()  # class 256 becomes 0


def _evaluate_counting_with(count):
    def evaluate(model, loader, loss_fn, device):
        model.eval()
        total_loss, correct, seen = 0.0, 0, 0
        with torch.no_grad():
            for x, y in loader:
                x, y = x.to(device), y.to(device)
                logits = model(x)
                total_loss += loss_fn(logits, y).item() * len(y)
                correct, seen = correct + count(logits, y), seen + len(y)
        if seen == 0:
            raise ValueError("the loader gave no examples")
        return total_loss / seen, correct / seen
    return evaluate


@pytest.mark.parametrize("name, wrong", [
    ("torch_accuracy", _accuracy_detached_to_numpy),
    ("torch_evaluate", _evaluate_counting_with(lambda logits, y: int((logits.argmax(1).numpy() == y.numpy()).sum()))),
], ids=["accuracy", "evaluate"])
def test_lesson_06b_numpy_without_cpu_is_caught_as_on_a_gpu(name, wrong):
    with pytest.raises(ExerciseFailed, match="Use Tensor.cpu\\(\\)"):
        check(name, wrong, strict=True)


@pytest.mark.parametrize("name, wrong", [
    ("torch_accuracy", _accuracy_labels_as_uint8),
    ("torch_evaluate", _evaluate_counting_with(lambda logits, y: (logits.argmax(1) == y.to(torch.int8)).sum().item())),
], ids=["accuracy uint8", "evaluate int8"])
def test_lesson_06b_labels_cast_to_8_bits_are_caught(name, wrong):
    with pytest.raises(ExerciseFailed, match="wrong value"):
        check(name, wrong, strict=True)


@pytest.mark.parametrize("name, answer", [
    ("torch_accuracy", _accuracy_detached_to_numpy_on_the_cpu),
    ("torch_accuracy", lambda logits, labels: _shapes_fit(logits, labels) or (
        (logits.argmax(dim=1) == labels).sum() / len(labels)).item()),
    ("torch_evaluate", _evaluate_counting_with(
        lambda logits, y: int((logits.argmax(1).cpu().numpy() == y.cpu().numpy()).sum()))),
    ("torch_evaluate", _evaluate_counting_with(lambda logits, y: (logits.argmax(1) == y).float().sum().item())),
], ids=["accuracy via .cpu().numpy()", "accuracy as a tensor division", "evaluate via .cpu().numpy()",
        "evaluate with float counts"])
def test_lesson_06b_answers_that_work_on_a_gpu_pass(name, answer):
    _passes(name, answer)


def _step_back_in_training_mode_after_a_look(model, loss_fn, optimizer, x, y):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    model.eval()
    with torch.no_grad():
        loss_fn(model(x), y)  # a look at the loss after the update, in eval mode
    model.train()  # "back to training mode": also switches on the layer the caller kept in eval mode
    return loss.item()


@pytest.mark.parametrize("answer", [catalogued("torch_train_step", "training mode forced"),
                                    _step_back_in_training_mode_after_a_look],
                         ids=["model.train() first", "model.eval() then model.train() at the end"])
def test_lesson_06a_torch_train_step_leaves_a_layer_the_caller_keeps_in_eval_mode_alone(answer):
    """Both passed: every model of the check was wholly in training mode, so model.train() changed nothing. A
    BatchNorm layer kept in eval mode (frozen statistics, as when fine-tuning) shows it."""
    with pytest.raises(ExerciseFailed, match="changed the mode of some of the caller's layers"):
        check("torch_train_step", answer, strict=True)


def _step_with_a_closure(model, loss_fn, optimizer, x, y):
    def closure():
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        return loss

    return optimizer.step(closure).item()


def _step_clearing_the_gradients_by_hand(model, loss_fn, optimizer, x, y):
    for group in optimizer.param_groups:
        for p in group["params"]:
            p.grad = None  # what zero_grad() does, for every group
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return float(loss)


def _step_zeroing_after_the_forward_pass(model, loss_fn, optimizer, x, y):
    loss = loss_fn(model(x), y)
    optimizer.zero_grad()  # only has to come before backward()
    loss.backward()
    optimizer.step()
    return loss.detach().cpu().item()


@pytest.mark.parametrize("answer", [_step_with_a_closure, _step_clearing_the_gradients_by_hand,
                                    _step_zeroing_after_the_forward_pass],
                         ids=["optimizer.step(closure)", "p.grad = None for every group", "zero_grad after forward"])
def test_lesson_06a_torch_train_step_passes_right_answers_written_another_way(answer):
    _passes("torch_train_step", answer)


# round 13 (a1307): float64 logits closer than float32 can tell apart, a frozen layer unfrozen, torch reseeded, autograd
# switched back on inside a caller's no_grad block, a float64 model converted to float32


def _accuracy_of(predicted):
    def accuracy(logits, labels):
        _shapes_fit(logits, labels)
        return (predicted(logits) == labels).float().mean().item()
    return accuracy


@pytest.mark.parametrize("wrong", [
    catalogued("torch_accuracy", "logits cast to float32"),
    _accuracy_of(lambda logits: logits.float().argmax(dim=1)),
    _accuracy_of(lambda logits: logits.softmax(dim=1).half().argmax(dim=1)),
], ids=["catalogued", ".float().argmax", "softmax in float16"])
def test_lesson_06b_accuracy_sees_float64_logits_that_float32_would_tie(wrong):
    """All passed: every float64 case had its largest two logits far apart, so rounding to float32 never made a tie."""
    verdict = judge(registry.get_exercise("torch_accuracy"), wrong)
    assert verdict.kind != PASSED and verdict.mistake == "logits cast to float32", verdict.text


def _evaluate_wrapped(before=None, after=None):
    """The reference loop with ``before(model)`` run first and ``after(model)`` run last, whatever happens."""
    def evaluate(model, loader, loss_fn, device):
        if before:
            before(model)
        try:
            return _evaluate_counting_with(lambda logits, y: (logits.argmax(1) == y).sum().item())(
                model, loader, loss_fn, device)
        finally:
            if after:
                after(model)
    return evaluate


@pytest.mark.parametrize("wrong, message, mistake", [
    (_evaluate_wrapped(lambda model: model.requires_grad_(False), lambda model: model.requires_grad_(True)),
     "their requires_grad flags", "requires_grad switched off and on"),
    (_evaluate_wrapped(lambda model: torch.manual_seed(0)), "reset PyTorch's random generator",
     "torch.manual_seed inside"),
    (_evaluate_wrapped(lambda model: torch.set_grad_enabled(False), lambda model: torch.set_grad_enabled(True)),
     "switched gradient tracking on for its caller", "autograd switched back on"),
    (_evaluate_wrapped(lambda model: model.float()), "dtype of a float64 model", "model converted to float32"),
], ids=["requires_grad off and on", "torch.manual_seed", "set_grad_enabled(True) at the end", "model.float()"])
def test_lesson_06b_evaluate_leaves_the_caller_s_flags_generator_grad_mode_and_dtype(wrong, message, mistake):
    """All passed: no model had a frozen layer or float64 weights, evaluate was never called inside no_grad, and
    torch's generator was not watched (dropout draws from it)."""
    with pytest.raises(ExerciseFailed, match=re.escape(message)):
        check("torch_evaluate", wrong, strict=True)
    assert torch.is_grad_enabled()
    verdict = judge(registry.get_exercise("torch_evaluate"), catalogued("torch_evaluate", mistake))
    assert verdict.kind != PASSED and message in verdict.text, verdict.text


def _evaluate_two_passes(model, loader, loss_fn, device):
    """One pass for the loss, one for the accuracy, in inference mode."""
    model.eval()
    total, correct, seen = 0.0, 0, 0
    with torch.inference_mode():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            total, seen = total + loss_fn(model(x), y).item() * len(y), seen + len(y)
        for x, y in loader:
            correct += int((model(x.to(device)).argmax(1) == y.to(device)).sum())
    if seen == 0:
        raise ValueError("the loader gave no examples")
    return total / seen, correct / seen


@pytest.mark.parametrize("name, answer", [
    ("torch_accuracy", _accuracy_of(lambda logits: logits.softmax(dim=1).argmax(dim=1))),
    ("torch_accuracy", _accuracy_of(lambda logits: logits.max(dim=1).indices)),
    ("torch_accuracy", _accuracy_of(lambda logits: (-logits).argmin(dim=1))),
    ("torch_accuracy", _accuracy_of(lambda logits: logits.log_softmax(dim=1).argmax(dim=1))),
    ("torch_evaluate", _evaluate_two_passes),
    ("torch_evaluate", _evaluate_wrapped(lambda model: model.to(torch.device("cpu")))),
], ids=["softmax then argmax", "max(dim=1).indices", "argmin of -logits", "log_softmax then argmax",
        "two passes in inference mode",
        "model.to(a torch.device)"])
def test_lesson_06b_accuracy_and_evaluate_written_other_ways_pass(name, answer):
    _passes(name, answer)


def _evaluate_setting_the_flag(model, loader, loss_fn, device):
    model.training = False  # the outer module only: its Dropout layers stay in training mode
    total, correct, seen = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            total, correct = total + loss_fn(logits, y).item() * len(y), correct + (logits.argmax(1) == y).sum().item()
            seen += len(y)
    if seen == 0:
        raise ValueError("the loader gave no examples")
    return total / seen, correct / seen


def test_lesson_06b_evaluate_names_a_training_flag_set_on_the_outer_module_only():
    """Was told "leave the model in eval mode when evaluate returns", with the likely mistake "training mode
    restored": it never restored anything."""
    verdict = judge(registry.get_exercise("torch_evaluate"), _evaluate_setting_the_flag)
    assert verdict.kind != PASSED and "model.training = False" in verdict.text and not verdict.mistake, verdict.text


# round 14 (a1407): what the GPU imitation and the hand-picked inputs still shared
def _accuracy_on_the_cpu(logits, labels):
    if logits.ndim != 2 or labels.ndim != 1 or len(logits) != len(labels) or len(labels) == 0:
        raise ValueError("expected logits (n, k) and labels (n,)")
    return (logits.argmax(dim=1).cpu() == labels).float().mean().item()  # labels on a GPU stay there


def _accuracy_counted_in(dtype):
    def accuracy(logits, labels):
        if logits.ndim != 2 or labels.ndim != 1 or len(logits) != len(labels) or len(labels) == 0:
            raise ValueError("expected logits (n, k) and labels (n,)")
        return (logits.argmax(dim=1) == labels).to(dtype).sum().item() / len(labels)  # rounds past 2,048 (256)
    return accuracy


def _accuracy_sorted(logits, labels):
    if logits.ndim != 2 or labels.ndim != 1 or len(logits) != len(labels) or len(labels) == 0:
        raise ValueError("expected logits (n, k) and labels (n,)")
    return (logits.argsort(dim=1, descending=True)[:, 0] == labels).float().mean().item()  # ties: not the first


def _evaluate_counting_in_float16(model, loader, loss_fn, device):
    model.eval()
    total, correct, seen = 0.0, 0.0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            total += loss_fn(logits, y).item() * len(y)
            correct, seen = correct + (logits.argmax(dim=1) == y).half().sum().item(), seen + len(y)  # past 2,048
    if seen == 0:
        raise ValueError("the loader gave no examples")
    return total / seen, correct / seen


def _evaluate_moving_y_for_the_loss_only(model, loader, loss_fn, device):
    model.eval()
    total, correct, seen = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            logits = model(x.to(device))
            total += loss_fn(logits, y.to(device)).item() * len(y)
            correct, seen = correct + (logits.argmax(dim=1) == y).sum().item(), seen + len(y)  # y never moved
    if seen == 0:
        raise ValueError("the loader gave no examples")
    return total / seen, correct / seen


def _digit_mlp_with_biases(value, layer="hidden1"):
    class DigitMLP(_digit_mlp_with(lambda net, x: _logits_of(net, x.flatten(start_dim=1)))):
        def __init__(self, n_in, n_hidden1, n_hidden2, n_out, dropout=0.0):
            super().__init__(n_in, n_hidden1, n_hidden2, n_out, dropout)
            torch.nn.init.constant_(getattr(self, layer).bias, value)
    return DigitMLP


def _digit_mlp_with_tiny_weights_and_biases(value):
    class DigitMLP(_digit_mlp_with(lambda net, x: _logits_of(net, x.flatten(start_dim=1)))):
        def __init__(self, n_in, n_hidden1, n_hidden2, n_out, dropout=0.0):
            super().__init__(n_in, n_hidden1, n_hidden2, n_out, dropout)
            torch.nn.init.constant_(self.hidden1.bias, value)          # within -1, but beside weights of 1e-4
            torch.nn.init.uniform_(self.hidden1.weight, -1e-4, 1e-4)
    return DigitMLP


@pytest.mark.parametrize("name, wrong, reason", [
    ("torch_accuracy", _accuracy_on_the_cpu, "Expected all tensors to be on the same device"),
    ("torch_accuracy", _accuracy_counted_in(torch.float16), "float16 holds whole numbers exactly only up to 2,048"),
    ("torch_accuracy", _accuracy_counted_in(torch.bfloat16), "5,000 examples, 4,722 of them right"),
    ("torch_accuracy", _accuracy_sorted, "a sort (argsort, sort or topk) does not promise the first of tied"),
    ("torch_evaluate", _evaluate_moving_y_for_the_loss_only, "use the moved y for the accuracy too"),
    ("torch_evaluate", _evaluate_counting_in_float16, "float16 holds whole numbers exactly only up to 2,048"),
    ("torch_digit_mlp", _digit_mlp_with_biases(-5.0), "hidden1 starts switched off"),
    ("torch_digit_mlp", _digit_mlp_with_biases(-100.0, "hidden2"), "hidden2 starts switched off"),
    # round 15: ruled right in round 14, but hidden2's ReLUs give 0 on every one of the 256 inputs, as at -5
    ("torch_digit_mlp", _digit_mlp_with_biases(-1.0, "hidden2"), "hidden2 starts switched off"),
    ("torch_digit_mlp", _digit_mlp_with_tiny_weights_and_biases(-0.9), "hidden1 starts switched off"),
], ids=["accuracy .cpu() on the predictions", "accuracy counted in float16", "accuracy counted in bfloat16",
        "accuracy argsort descending", "evaluate y moved for the loss only", "evaluate counted in float16",
        "digit mlp hidden1 biases -5", "digit mlp hidden2 biases -100", "digit mlp hidden2 biases -1",
        "digit mlp hidden1 biases -0.9 weights 1e-4"])
def test_lesson_06b_round_14_devices_large_counts_wide_ties_and_switched_off_layers(name, wrong, reason):
    verdict = judge(registry.get_exercise(name), wrong)
    assert verdict.kind == WRONG and reason in verdict.text, verdict.text


def _accuracy_with_the_labels_moved(logits, labels):
    if logits.dim() != 2 or labels.dim() != 1 or logits.size(0) != labels.size(0) or labels.numel() == 0:
        raise ValueError("expected logits (n, k) and labels (n,)")
    return torch.eq(logits.max(dim=1).indices, labels.to(logits.device)).sum().item() / labels.numel()


def _accuracy_by_a_stable_sort(logits, labels):
    if logits.ndim != 2 or labels.shape != (len(logits),) or len(labels) == 0:
        raise ValueError("expected logits (n, k) and labels (n,)")
    first = logits.argsort(dim=1, descending=True, stable=True)[:, 0]  # stable: the first of tied classes
    return (first == labels).double().mean().item()


def _accuracy_copying_the_labels(logits, labels):
    labels = torch.tensor(labels)  # a copy on the labels' own device (a GPU stays a GPU), with a UserWarning
    if logits.ndim != 2 or labels.ndim != 1 or len(logits) != len(labels) or len(labels) == 0:
        raise ValueError("expected logits (n, k) and labels (n,)")
    return (logits.argmax(dim=1) == labels).float().mean().item()


def _accuracy_both_on_the_cpu(logits, labels):
    if logits.ndim != 2 or labels.ndim != 1 or len(logits) != len(labels) or len(labels) == 0:
        raise ValueError("expected logits (n, k) and labels (n,)")
    return (logits.detach().to("cpu").argmax(dim=1) == labels.cpu()).sum().item() / len(labels)


def _evaluate_comparing_on_the_cpu(model, loader, loss_fn, device):
    model.eval()
    total, correct, seen = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            total += loss_fn(logits, y).item() * len(y)
            correct += (logits.argmax(dim=1).cpu() == y.cpu()).sum().item()  # both on the CPU: fine on a GPU
            seen += len(y)
    if seen == 0:
        raise ValueError("the loader gave no examples")
    return total / seen, correct / seen


def _evaluate_with_a_0d_counter(model, loader, loss_fn, device):
    model.eval()
    total, correct, seen = torch.zeros(()), torch.zeros((), dtype=torch.long), 0  # 0-d CPU tensors mix with CUDA
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            total = total + loss_fn(logits, y).double().cpu() * len(y)
            correct = correct + (logits.argmax(dim=1) == y).sum().cpu()
            seen += len(y)
    if seen == 0:
        raise ValueError("the loader gave no examples")
    return total.item() / seen, correct.item() / seen


def _digit_mlp_with_two_dropout_modules():
    class DigitMLP(torch.nn.Module):
        def __init__(self, n_in, n_hidden1, n_hidden2, n_out, dropout=0.0):
            super().__init__()
            self.hidden1, self.hidden2 = torch.nn.Linear(n_in, n_hidden1), torch.nn.Linear(n_hidden1, n_hidden2)
            self.output = torch.nn.Linear(n_hidden2, n_out)
            self.dropout, self.dropout2 = torch.nn.Dropout(dropout), torch.nn.Dropout(dropout)

        def forward(self, x):
            x = self.dropout(torch.relu(self.hidden1(torch.nn.Flatten()(x))))
            return self.output(self.dropout2(torch.nn.functional.relu(self.hidden2(x))))
    return DigitMLP


@pytest.mark.parametrize("name, answer", [
    ("torch_accuracy", _accuracy_with_the_labels_moved), ("torch_accuracy", _accuracy_by_a_stable_sort),
    ("torch_accuracy", _accuracy_copying_the_labels), ("torch_accuracy", _accuracy_both_on_the_cpu),
    ("torch_evaluate", _evaluate_comparing_on_the_cpu), ("torch_evaluate", _evaluate_with_a_0d_counter),
    ("torch_digit_mlp", _digit_mlp_with_two_dropout_modules()), ("torch_digit_mlp", _digit_mlp_with_biases(0.0)),
    ("torch_digit_mlp", _digit_mlp_with_biases(-0.01, "hidden2")),
], ids=["accuracy labels.to(logits.device)", "accuracy stable argsort", "accuracy torch.tensor(labels)",
        "accuracy both on the cpu", "evaluate compared on the cpu",
        "evaluate 0-d counters", "digit mlp two dropout modules", "digit mlp zero biases", "digit mlp biases -0.01"])
def test_lesson_06b_round_14_right_answers_pass(name, answer):
    _passes(name, answer)


# round 15 (a1507): a one-output MLP squeezed, hidden2 started with no positive weight or bias, model.cpu() at the
# end of evaluate
def _digit_mlp_squeezing_its_logits():
    return _digit_mlp_with(lambda net, x: _logits_of(net, x.flatten(start_dim=1)).squeeze(-1))


def _digit_mlp_with_a_non_positive_hidden2(bias=None):
    class DigitMLP(_digit_mlp_with(lambda net, x: _logits_of(net, x.flatten(start_dim=1)))):
        def __init__(self, n_in, n_hidden1, n_hidden2, n_out, dropout=0.0):
            super().__init__(n_in, n_hidden1, n_hidden2, n_out, dropout)
            with torch.no_grad():
                self.hidden2.weight.abs_().neg_()  # "negative weights": every unit of hidden2 is off for inputs >= 0
                if bias is None:
                    self.hidden2.bias.abs_().neg_()
                else:
                    self.hidden2.bias.fill_(bias)
    return DigitMLP


@pytest.mark.parametrize("name, wrong, reason", [
    ("torch_digit_mlp", _digit_mlp_squeezing_its_logits(), "wrong shape: expected (3, 1), got (3,)"),
    ("torch_digit_mlp", _digit_mlp_with_a_non_positive_hidden2(), "hidden2 starts switched off"),
    ("torch_digit_mlp", _digit_mlp_with_a_non_positive_hidden2(-0.5), "hidden2 starts switched off"),
    ("torch_evaluate", _evaluate_then(lambda model: model.cpu()), "model.to(\"cpu\") or model.cpu()"),
], ids=["digit mlp squeeze(-1)", "digit mlp hidden2 all negative", "digit mlp hidden2 negative weights, biases -0.5",
        "evaluate model.cpu() at the end"])
def test_lesson_06b_round_15_one_output_a_non_positive_hidden2_and_model_cpu(name, wrong, reason):
    verdict = judge(registry.get_exercise(name), wrong)
    assert verdict.kind == WRONG and reason in verdict.text, verdict.text


def _digit_mlp_with_a_negative_hidden2_and_positive_biases():
    class DigitMLP(_digit_mlp_with(lambda net, x: _logits_of(net, x.flatten(start_dim=1)))):
        def __init__(self, n_in, n_hidden1, n_hidden2, n_out, dropout=0.0):
            super().__init__(n_in, n_hidden1, n_hidden2, n_out, dropout)
            with torch.no_grad():
                self.hidden2.bias.fill_(0.05)  # weights of one sign, but positive biases: the units still fire
                self.hidden2.weight.abs_().neg_()
    return DigitMLP


@pytest.mark.parametrize("name, answer", [
    ("torch_accuracy", _accuracy_of(lambda logits: (logits - logits.max(dim=1, keepdim=True).values).argmax(dim=1))),
    ("torch_accuracy", _accuracy_of(lambda logits: logits.double().argmax(dim=1))),
    ("torch_digit_mlp", _digit_mlp_with(lambda net, x: net.output(torch.relu(net.dropout(net.hidden2(
        torch.relu(net.dropout(net.hidden1(x.flatten(start_dim=1)))))))))),
    ("torch_digit_mlp", _digit_mlp_with_a_negative_hidden2_and_positive_biases()),
    ("torch_evaluate", _evaluate_then(lambda model: model.apply(lambda module: module.train(False)))),
], ids=["accuracy logits shifted by their max", "accuracy float64 logits", "digit mlp dropout before relu",
        "digit mlp hidden2 negative weights, positive biases", "evaluate apply(train(False)) at the end"])
def test_lesson_06b_round_15_right_answers_pass(name, answer):
    _passes(name, answer)


# round 16 (a1607): float32 near-ties through a softmax, labels and predictions wrapped round together in 8 or 16 bits,
# accuracies rounded to 6 or 7 decimals, NaN losses skipped or cleaned in evaluate, dropout masks repeated by a
# forward pass that puts PyTorch's generator back, and a forward pass that flags or changes the caller's batch
def _accuracy_wrapped_in(dtype):
    def accuracy(logits, labels):
        if logits.ndim != 2 or labels.ndim != 1 or len(logits) != len(labels) or len(labels) == 0:
            raise ValueError("expected logits (n, k) and labels (n,)")
        return (logits.argmax(dim=1).to(dtype) == labels.to(dtype)).float().mean().item()  # "small integers"
    return accuracy


def _accuracy_rounded_to(decimals):
    def accuracy(logits, labels):
        if logits.ndim != 2 or labels.ndim != 1 or len(logits) != len(labels) or len(labels) == 0:
            raise ValueError("expected logits (n, k) and labels (n,)")
        return round((logits.argmax(dim=1) == labels).float().mean().item(), decimals)
    return accuracy


def _evaluate_cleaning_nan_logits(model, loader, loss_fn, device):
    model.eval()
    total_loss, correct, seen = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = torch.nan_to_num(model(x))  # "no NaN in the report"
            total_loss += loss_fn(logits, y).item() * len(y)
            correct, seen = correct + (logits.argmax(dim=1) == y).sum().item(), seen + len(y)
    if seen == 0:
        raise ValueError("the loader gave no examples")
    return total_loss / seen, correct / seen


def _evaluate_rounded_to_6_decimals(model, loader, loss_fn, device):
    loss, acc = _evaluate_moving()(model, loader, loss_fn, device)
    return round(loss, 6), round(acc, 6)


def _forward_flagging_the_batch(net, x):
    x.requires_grad_(True)  # "autograd needs requires_grad=True": the caller's images now get a .grad at every step
    return _logits_of(net, x.flatten(start_dim=1))


def _forward_shifting_the_batch_in_place(net, x):
    logits = _logits_of(net, x.flatten(start_dim=1).clone())
    x.sub_(x.mean())  # "centre the images for the next batch": the caller's batch is changed
    return logits


def _forward_putting_the_generator_back(net, x):
    with torch.random.fork_rng(devices=[]):  # "reproducible dropout": every pass draws the same masks
        return _logits_of(net, x.flatten(start_dim=1))


@pytest.mark.parametrize("name, wrong, reason", [
    ("torch_accuracy", _accuracy_wrapped_in(torch.uint8), "65,600 classes"),
    ("torch_accuracy", _accuracy_wrapped_in(torch.int16), "65,600 classes"),
    ("torch_accuracy", _accuracy_rounded_to(6), "1 of 300 right"),
    ("torch_accuracy", _accuracy_rounded_to(7), "1 of 300 right"),
    ("torch_evaluate", catalogued("torch_evaluate", "NaN losses skipped"), "a batch whose loss is NaN"),
    ("torch_evaluate", _evaluate_cleaning_nan_logits, "one broken example"),
    ("torch_evaluate", _evaluate_rounded_to_6_decimals, "1 of 300 right"),
    ("torch_digit_mlp", _digit_mlp_with(_forward_putting_the_generator_back), "wrong in the next one"),
    ("torch_digit_mlp", _digit_mlp_with(_forward_flagging_the_batch), "forward changed the caller's batch x"),
    ("torch_digit_mlp", _digit_mlp_with(_forward_shifting_the_batch_in_place), "forward changed the caller's batch x"),
], ids=["accuracy uint8", "accuracy int16", "accuracy round 6",
        "accuracy round 7", "evaluate NaN skipped", "evaluate nan_to_num", "evaluate round 6",
        "digit mlp fork_rng in forward", "digit mlp x.requires_grad_()", "digit mlp x changed in place"])
def test_lesson_06b_round_16_near_ties_wrapped_labels_rounding_nan_and_repeated_masks(name, wrong, reason):
    verdict = judge(registry.get_exercise(name), wrong)
    assert verdict.kind == WRONG and reason in verdict.text, verdict.text


def _evaluate_concatenating_the_logits(model, loader, loss_fn, device):
    model.eval()
    logits, labels = [], []
    with torch.no_grad():
        for x, y in loader:
            logits.append(model(x.to(device)))
            labels.append(y.to(device))
    if not labels or not sum(len(y) for y in labels):
        raise ValueError("the loader gave no examples")
    logits, labels = torch.cat(logits), torch.cat(labels)  # one mean over all examples: the same as the weighted sum
    return loss_fn(logits, labels).item(), (logits.argmax(dim=1) == labels).float().mean().item()


@pytest.mark.parametrize("name, answer", [
    ("torch_accuracy", _accuracy_of(lambda logits: (-logits).argmin(dim=1))),
    ("torch_accuracy", _accuracy_of(lambda logits: logits.max(dim=1).indices)),
    ("torch_evaluate", _evaluate_concatenating_the_logits),
    ("torch_digit_mlp", _digit_mlp_with(lambda net, x: net.output(torch.nn.functional.dropout(torch.relu(net.hidden2(
        torch.nn.functional.dropout(torch.relu(net.hidden1(x.flatten(1))), net.dropout.p, net.training))),
        net.dropout.p, net.training)))),
], ids=["accuracy argmin of -logits", "accuracy max().indices", "evaluate concatenated logits",
        "digit mlp F.dropout(training=self.training)"])
def test_lesson_06b_round_16_right_answers_pass(name, answer):
    _passes(name, answer)


# round 17: lesson 06
def _step_returning(to_number):
    def train_step(model, loss_fn, optimizer, x, y):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return to_number(loss)
    return train_step


@pytest.mark.parametrize("to_number", [
    lambda loss: float(loss.detach().numpy()),
    lambda loss: loss.detach().numpy().item(),
    lambda loss: loss.data.numpy().tolist(),
], ids=["float(loss.detach().numpy())", "loss.detach().numpy().item()", "loss.data.numpy().tolist()"])
def test_lesson_06a_train_step_runs_on_batches_on_a_gpu(to_number):
    """A loss taken through .numpy() passed: every case ran on the CPU, where .numpy() works, while 06a trains on the
    device it found (on a GPU, .numpy() raises)."""
    verdict = judge(registry.get_exercise("torch_train_step"), _step_returning(to_number))
    assert verdict.kind == WRONG and "can't convert cuda:0" in verdict.text, verdict.text


def test_lesson_06a_train_step_returns_a_python_float_not_numpys_float32():
    """np.float32 passed as a float (the check took any numpy floating number), while torch_accuracy and torch_evaluate
    refuse it."""
    verdict = judge(registry.get_exercise("torch_train_step"), _step_returning(lambda loss: np.float32(loss.item())))
    assert verdict.kind == WRONG and "float32" in verdict.text, verdict.text


@pytest.mark.parametrize("to_number", [
    lambda loss: loss.detach().cpu().numpy().item(),
    lambda loss: np.float64(loss.item()),
    lambda loss: loss.tolist(),
], ids=[".detach().cpu().numpy().item()", "np.float64 (a Python float)", "loss.tolist()"])
def test_lesson_06a_train_step_round_17_right_answers_pass(to_number):
    _passes("torch_train_step", _step_returning(to_number))


def _digit_mlp_initialised(init):
    class DigitMLP(_digit_mlp_with(lambda net, x: _logits_of(net, x.flatten(start_dim=1)))):
        def __init__(self, n_in, n_hidden1, n_hidden2, n_out, dropout=0.0):
            super().__init__(n_in, n_hidden1, n_hidden2, n_out, dropout)
            for layer in (self.hidden1, self.hidden2, self.output):
                init(layer.weight)
    return DigitMLP


@pytest.mark.parametrize("init", [
    lambda w: torch.nn.init.normal_(w),
    lambda w: torch.nn.init.uniform_(w),
    lambda w: torch.nn.init.normal_(w, std=0.5),
], ids=["normal_ (std 1)", "uniform_ (0 to 1)", "normal_ std 0.5"])
def test_lesson_06b_digit_mlp_rejects_weights_started_far_too_large(init):
    """Weights drawn with nn.init.normal_'s default std 1 passed (the check then sets its own weights): on the digits
    the lesson's MLP reaches 0.63 validation accuracy after 10 epochs instead of 0.96, and 0.12 with std 100."""
    verdict = judge(registry.get_exercise("torch_digit_mlp"), _digit_mlp_initialised(init))
    assert verdict.kind == WRONG and "far larger" in verdict.text, verdict.text


@pytest.mark.parametrize("init", [
    lambda w: torch.nn.init.xavier_normal_(w),
    lambda w: torch.nn.init.kaiming_uniform_(w, nonlinearity="relu"),
    lambda w: torch.nn.init.normal_(w, std=0.01),
    lambda w: torch.nn.init.orthogonal_(w),
], ids=["xavier_normal_", "kaiming_uniform_ for ReLU", "normal_ std 0.01", "orthogonal_"])
def test_lesson_06b_digit_mlp_may_start_from_other_usual_initialisations(init):
    _passes("torch_digit_mlp", _digit_mlp_initialised(init))


@pytest.mark.parametrize("name, module, library", [
    ("torch_train_step", "torch_training.py", "train_step"),
    ("torch_accuracy", "torch_training.py", "accuracy"),
    ("torch_evaluate", "torch_training.py", "evaluate"),
    ("torch_digit_mlp", "digit_models.py", "DigitMLP"),
], ids=["train_step", "accuracy", "evaluate", "DigitMLP"])
def test_lesson_06_graded_release_leaves_out_the_course_code_its_references_call(tmp_path, name, module, library):
    """`from course_utils.torch_training import train_step` scored full marks in 06a's graded release: the reference
    is a wrapper in exercises/ that imports it, and only the wrapper was left out (and torch_training._step held a
    second copy of the five steps). In the release the course's own function now calls the learner's answer, as
    neurons.sigmoid does in 01a's."""
    import ast
    import shutil

    from course_utils.teacher import release

    package = tmp_path / "course_utils"
    shutil.copytree(release.PACKAGE, package, ignore=shutil.ignore_patterns(*release.LEFT_OUT))
    release._hide_functions(package, {f: name for f in release._answer_code(name)})
    tree = ast.parse((package / module).read_text(encoding="utf-8"))
    node = next(n for n in tree.body if getattr(n, "name", None) == library)
    assert isinstance(node, ast.FunctionDef) and "call_answer" in ast.unparse(node), ast.unparse(node)[:300]
    assert "zero_grad" not in ast.unparse(node) and "argmax" not in ast.unparse(node)
    if name == "torch_train_step":   # nor a second copy of the five steps (torch_training._step had one)
        assert "zero_grad()" not in (package / module).read_text(encoding="utf-8")


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16"])
def test_lesson_06b_evaluate_counts_predictions_wrapped_round_with_their_labels_as_wrong(dtype):
    """Predictions and labels both cast to 8 or 16 bits passed: in the 300-class case a wrong prediction equals its
    label after the cast only by chance (torch_accuracy has had such a case since round 16)."""
    cast = getattr(torch, dtype)
    verdict = judge(registry.get_exercise("torch_evaluate"),
                    _evaluate_dividing_by(same=lambda predicted, y: predicted.to(cast) == y.to(cast)))
    assert verdict.kind == WRONG and "65,600 classes" in verdict.text, verdict.text


def test_lesson_06b_evaluate_may_compare_in_int32():
    _passes("torch_evaluate", _evaluate_dividing_by(same=lambda predicted, y: predicted.int() == y.int()))


def _digit_mlp_dropping_by_default(default):
    base = _digit_mlp_with(lambda net, x: _logits_of(net, x.flatten(start_dim=1)))

    class DigitMLP(base):
        def __init__(self, n_in, n_hidden1, n_hidden2, n_out, dropout=default):
            super().__init__(n_in, n_hidden1, n_hidden2, n_out, dropout)
    return DigitMLP


@pytest.mark.parametrize("default", [0.5, 0.2])
def test_lesson_06b_digit_mlp_names_a_default_dropout_other_than_0(default):
    """dropout=0.5 as the default was told 'apply the module self.dropout = nn.Dropout(dropout) after each hidden ReLU
    and nowhere else', which the answer does: the default of the signature was what differed."""
    verdict = judge(registry.get_exercise("torch_digit_mlp"), _digit_mlp_dropping_by_default(default))
    assert verdict.kind == WRONG and "dropout=0.0" in verdict.text and "nowhere else" not in verdict.text, verdict.text


def test_lesson_06b_digit_mlp_may_default_dropout_to_0_or_none_read_as_0():
    class DigitMLP(_digit_mlp_dropping_by_default(0)):
        def __init__(self, n_in, n_hidden1, n_hidden2, n_out, dropout=None):
            super().__init__(n_in, n_hidden1, n_hidden2, n_out, dropout or 0.0)
    _passes("torch_digit_mlp", _digit_mlp_dropping_by_default(0))
    _passes("torch_digit_mlp", DigitMLP)


def test_lesson_06b_evaluate_takes_the_argmax_of_float64_logits_as_they_are():
    """logits.float().argmax(dim=1) passed: the float64 case had no two logits closer than float32 can tell apart
    (torch_accuracy has had such a case since round 13)."""
    verdict = judge(registry.get_exercise("torch_evaluate"), _evaluate_with_float32_argmax)
    assert verdict.kind == WRONG and "closer than float32" in verdict.text, verdict.text


def _evaluate_with_float32_argmax(model, loader, loss_fn, device):
    model.eval()
    total, right, seen = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            total += loss_fn(logits, y).item() * len(y)
            right, seen = right + (logits.float().argmax(dim=1) == y).sum().item(), seen + len(y)
    if seen == 0:
        raise ValueError("the loader gave no examples")
    return total / seen, right / seen


# round 18: lesson 06
def _accuracy_lengths_before_dimensions(logits, labels):
    if labels.ndim != 1 or len(logits) != len(labels) or logits.ndim != 2 or len(labels) == 0:
        raise ValueError("expected logits (n, k) and labels (n,)")
    return (logits.argmax(dim=1) == labels).float().mean().item()


def _accuracy_first_axes_before_dimensions(logits, labels):
    if labels.ndim != 1 or logits.shape[0] != labels.shape[0] or logits.ndim != 2 or labels.shape[0] == 0:
        raise ValueError("expected logits (n, k) and labels (n,)")
    return (logits.argmax(dim=1) == labels).float().mean().item()


@pytest.mark.parametrize("answer", [_accuracy_lengths_before_dimensions, _accuracy_first_axes_before_dimensions],
                         ids=["len(logits) first", "logits.shape[0] first"])
def test_lesson_06b_accuracy_is_tried_on_0d_logits(answer):
    """Round 18: an accuracy that compares len(logits) (or logits.shape[0]) with the labels before it checks
    logits.ndim passed: no case had 0-d logits, on which len() raises TypeError (logits.shape[0] IndexError) instead
    of the ValueError the text asks for when the logits are not 2-D."""
    verdict = judge(registry.get_exercise("torch_accuracy"), answer)
    assert verdict.kind == WRONG and "0-d logits" in verdict.text, verdict.text
    if answer is _accuracy_lengths_before_dimensions:   # the other raises IndexError, named by the text itself
        assert verdict.mistake == "lengths compared before the dimensions", verdict.mistake


def _evaluate_reshaping_each_batch(reshape, move=lambda batch, device: batch.to(device)):
    def evaluate(model, loader, loss_fn, device):
        model.eval()
        total, right, seen = 0.0, 0, 0
        with torch.no_grad():
            for x, y in loader:
                x, y = move(reshape(x), device=device), move(y, device=device)
                logits = model(x)
                total += loss_fn(logits, y).item() * len(y)
                right, seen = right + (logits.argmax(dim=1) == y).sum().item(), seen + len(y)
        if seen == 0:
            raise ValueError("the loader gave no examples")
        return total / seen, right / seen
    return evaluate


@pytest.mark.wide   # a whole evaluate check: seconds
@pytest.mark.parametrize("reshape", [lambda x: x.flatten(start_dim=1), lambda x: x.view(x.size(0), -1)],
                         ids=["x.flatten(start_dim=1)", "x.view(x.size(0), -1)"])
def test_lesson_06b_evaluate_gives_each_batch_to_the_model_as_it_comes(reshape):
    """Round 18: an evaluate that flattened every batch before the model passed, as each model of the check began
    with nn.Flatten (or took flat features): a model that takes its images whole, as a CNN does, no longer fits."""
    verdict = judge(registry.get_exercise("torch_evaluate"), _evaluate_reshaping_each_batch(reshape))
    assert verdict.kind == WRONG and "acts on each row" in verdict.text, verdict.text
    assert verdict.mistake == "batches flattened", verdict.mistake


@pytest.mark.wide   # a whole evaluate check: seconds
def test_lesson_06b_evaluate_may_move_batches_with_torch_as_tensor():
    """Round 18: torch.as_tensor(x, device=device) moves a batch as x.to(device) does, but torch's factory functions
    bypass the check's tensor classes, so the batch was reported as never moved."""
    _passes("torch_evaluate", _evaluate_reshaping_each_batch(
        lambda x: x, move=lambda batch, device: torch.as_tensor(batch, device=device)))


def _evaluate_first_batches(limit):
    def evaluate(model, loader, loss_fn, device):
        model.eval()
        total, right, seen = 0.0, 0, 0
        with torch.no_grad():
            for i, (x, y) in enumerate(loader):
                if i == limit:   # a quick look at the first batches only
                    break
                x, y = x.to(device), y.to(device)
                logits = model(x)
                total += loss_fn(logits, y).item() * len(y)
                right, seen = right + (logits.argmax(dim=1) == y).sum().item(), seen + len(y)
        if seen == 0:
            raise ValueError("the loader gave no examples")
        return total / seen, right / seen
    return evaluate


@pytest.mark.wide   # a whole evaluate check: seconds
@pytest.mark.parametrize("limit", [10, 20])
def test_lesson_06b_evaluate_reads_every_batch_of_a_long_loader(limit):
    """Round 18 (contrived): an evaluate that stopped after its first 10 batches passed, as no loader of the check
    gave more than 10."""
    verdict = judge(registry.get_exercise("torch_evaluate"), _evaluate_first_batches(limit))
    assert verdict.kind == WRONG and "32 batches" in verdict.text, verdict.text


def _train_step_with_a_closure(model, loss_fn, optimizer, x, y):
    def closure():
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        return loss
    return optimizer.step(closure).item()


class _DigitMLPThroughASequential(torch.nn.Module):
    """The three named layers and one dropout, run through an nn.Sequential that holds the same modules."""

    def __init__(self, n_in, n_hidden1, n_hidden2, n_out, dropout=0.0):
        super().__init__()
        nn = torch.nn
        self.hidden1, self.hidden2 = nn.Linear(n_in, n_hidden1), nn.Linear(n_hidden1, n_hidden2)
        self.output, self.dropout = nn.Linear(n_hidden2, n_out), nn.Dropout(dropout)
        self.net = nn.Sequential(nn.Flatten(), self.hidden1, nn.ReLU(inplace=True), self.dropout, self.hidden2,
                                 nn.ReLU(inplace=True), self.dropout, self.output)

    def forward(self, x):
        return self.net(x)


def _accuracy_checking_the_first_axes_last(logits, labels):
    if logits.ndim != 2 or labels.ndim != 1 or logits.shape[0] != labels.shape[0] or not labels.numel():
        raise ValueError("expected logits (n, k) and labels (n,)")
    return logits.argmax(dim=-1).eq(labels).sum().item() / labels.numel()


@pytest.mark.parametrize("name, answer", [
    ("torch_train_step", _train_step_with_a_closure),
    ("torch_accuracy", _accuracy_checking_the_first_axes_last),
    ("torch_digit_mlp", _DigitMLPThroughASequential),
], ids=["optimizer.step(closure)", "eq().sum() / numel()", "nn.Sequential of the named layers"])
def test_lesson_06_round_18_right_answers_written_another_way_pass(name, answer):
    _passes(name, answer)


# round 19: lesson 06
def _step_moving_the_batch(move):
    def train_step(model, loss_fn, optimizer, x, y):
        x, y = move(x, model), move(y, model)
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()
    return train_step


@pytest.mark.parametrize("move", [lambda v, model: v.cpu(), lambda v, model: v.to("cpu")],
                         ids=["x.cpu(), y.cpu()", "x.to('cpu'), y.to('cpu')"])
def test_lesson_06a_train_step_leaves_the_batch_on_its_device(move):
    """Round 19: a train_step that moved x and y to the CPU passed the case of a batch on a GPU, as the check's model
    has no device of its own: on a GPU the model's weights stay on "cuda", and the forward pass raises."""
    verdict = judge(registry.get_exercise("torch_train_step"), _step_moving_the_batch(move))
    assert verdict.kind == WRONG and "moved the batch to the CPU" in verdict.text, verdict.text


def _step_with_a_second_forward_pass(model, loss_fn, optimizer, x, y):
    optimizer.zero_grad()
    print(model(x)[:2])                              # a look at the outputs; the loss takes another forward pass
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def _step_looking_at_the_outputs_after_the_update(model, loss_fn, optimizer, x, y):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    with torch.no_grad():
        model(x)                                     # "the outputs after the update"
    return loss.item()


@pytest.mark.parametrize("answer, mistake", [
    (_step_with_a_second_forward_pass, "a second forward pass"),
    (_step_looking_at_the_outputs_after_the_update, "a forward pass after the update"),
], ids=["forward twice", "forward again after the step"])
def test_lesson_06a_train_step_names_a_second_forward_pass(answer, mistake):
    """Round 19: five right steps and one more forward pass were told 'the weights after two steps are wrong. Did
    you call optimizer.zero_grad() first ...?' (or to return the loss before the update), which they did: the second
    pass draws other dropout masks."""
    verdict = judge(registry.get_exercise("torch_train_step"), answer)
    assert verdict.kind == WRONG and verdict.mistake == mistake and "once per step" in verdict.text, verdict.text


def test_lesson_06b_digit_mlp_names_a_dropout_made_inside_forward():
    """Round 19: nn.Dropout(p) made inside forward (a new module at every call, always in training mode) was told to
    'use an nn.Dropout module', which it did."""
    def forward(net, x):
        drop = torch.nn.Dropout(net.dropout.p)
        return net.output(drop(net.hidden2(drop(net.hidden1(x.flatten(1)).relu())).relu()))
    verdict = judge(registry.get_exercise("torch_digit_mlp"), _digit_mlp_with(forward))
    assert verdict.kind == WRONG and "made inside forward" in verdict.text, verdict.text


def _evaluate_with_max_seen_one(model, loader, loss_fn, device):
    model.eval()
    total, right, seen = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            total += loss_fn(logits, y).item() * len(y)
            right, seen = right + (logits.argmax(dim=1) == y).sum().item(), seen + len(y)
    return total / max(seen, 1), right / max(seen, 1)


def test_lesson_06b_evaluate_names_zeros_returned_for_an_empty_loader():
    """Round 19: max(seen, 1) was told 'should raise ValueError ..., but returned (0.0, 0.0, False, False, False,
    False, False, 'mean')', the check's own record, with no word on what to do."""
    verdict = judge(registry.get_exercise("torch_evaluate"), _evaluate_with_max_seen_one)
    assert verdict.kind == WRONG and verdict.mistake == "zeros for no examples", verdict.text


def _step_by_autograd_grad(model, loss_fn, optimizer, x, y):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    trainable = [p for p in model.parameters() if p.requires_grad]
    for p, grad in zip(trainable, torch.autograd.grad(loss, trainable)):
        p.grad = grad
    optimizer.step()
    return loss.item()


def _step_on_the_model_s_device(model, loss_fn, optimizer, x, y):
    device = next(model.parameters()).device
    x, y = x.to(device), y.to(device)
    model.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward(torch.ones_like(loss))
    optimizer.step()
    return float(loss)


def _accuracy_by_torch_max(logits, labels):
    if logits.dim() != 2 or labels.dim() != 1 or logits.size(0) != labels.size(0) or labels.size(0) == 0:
        raise ValueError("expected logits (n, k) and labels (n,)")
    _, predicted = torch.max(logits, 1)
    return float(torch.count_nonzero(predicted == labels)) / labels.size(0)


def _accuracy_comparing_floats(logits, labels):
    if logits.ndim != 2 or labels.ndim != 1 or len(logits) != len(labels):
        raise ValueError("expected logits (n, k) and labels (n,)")
    share = (logits.argmax(1).float() == labels.float()).double().mean().item()
    if share != share:                               # the mean of no examples is NaN
        raise ValueError("no examples")
    return share


class _DigitMLPWithModules(torch.nn.Module):
    def __init__(self, n_in, n_hidden1, n_hidden2, n_out, dropout=0.0):
        super().__init__()
        nn = torch.nn
        self.flatten, self.relu = nn.Flatten(), nn.ReLU()
        self.hidden1, self.hidden2 = nn.Linear(n_in, n_hidden1), nn.Linear(n_hidden1, n_hidden2)
        self.output, self.dropout = nn.Linear(n_hidden2, n_out), nn.Dropout(p=dropout)

    def forward(self, x):
        x = self.dropout(self.relu(self.hidden1(x.view(len(x), -1))))
        return self.output(self.dropout(self.relu(self.hidden2(x))))


@pytest.mark.parametrize("name, answer", [
    ("torch_train_step", _step_by_autograd_grad),
    ("torch_train_step", _step_on_the_model_s_device),
    ("torch_accuracy", _accuracy_by_torch_max),
    ("torch_accuracy", _accuracy_comparing_floats),
    ("torch_digit_mlp", _DigitMLPWithModules),
], ids=["step autograd.grad into p.grad", "step on the model's device, backward(ones_like)",
        "accuracy torch.max and count_nonzero", "accuracy float labels, NaN mean for no examples",
        "digit mlp nn.ReLU module, view(len(x), -1)"])
def test_lesson_06_round_19_right_answers_written_another_way_pass(name, answer):
    _passes(name, answer)


def _evaluate_summing_tensors(model, loader, loss_fn, device):
    for module in model.modules():                   # what model.eval() does
        module.training = False
    losses, right, seen = [], 0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        with torch.no_grad():
            logits = model(x)
        losses.append(loss_fn(logits, y) * len(y))
        right, seen = right + (logits.argmax(dim=1) == y).sum(), seen + len(y)
    if not seen:
        raise ValueError("the loader gave no examples")
    return (torch.stack(losses).sum() / seen).item(), (right / seen).item()


def _evaluate_with_set_grad_enabled(model, loader, loss_fn, device):
    model.train(False)
    total, right, seen = 0.0, 0, 0
    with torch.set_grad_enabled(False):
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            total += loss_fn(logits, y).item() * y.size(0)
            right, seen = right + int((logits.argmax(-1) == y).sum()), seen + y.size(0)
    if seen == 0:
        raise ValueError("the loader gave no examples")
    return total / seen, right / seen


@pytest.mark.wide   # a whole evaluate check: seconds
@pytest.mark.parametrize("answer", [_evaluate_summing_tensors, _evaluate_with_set_grad_enabled],
                         ids=["training flags, no_grad per forward, tensors summed", "set_grad_enabled(False)"])
def test_lesson_06b_evaluate_round_19_right_answers_written_another_way_pass(answer):
    _passes("torch_evaluate", answer)


def _course_train_step(model, loss_fn, optimizer, x, y):
    from course_utils.torch_training import train_step
    return train_step(model, loss_fn, optimizer, x, y)


def _course_accuracy(logits, labels):
    import course_utils.torch_training as training
    return training.accuracy(logits, labels)


def _course_evaluate(model, loader, loss_fn, device):
    from course_utils import torch_training
    return torch_training.evaluate(model, loader, loss_fn, device)


def _course_digit_mlp():
    from course_utils import digit_models

    class DigitMLP(digit_models.DigitMLP):
        """The course's own model under the exercise's name."""
    return DigitMLP


def _course_digit_mlp_itself():
    from course_utils.digit_models import DigitMLP
    return DigitMLP


def _digit_mlp_borrowing_the_course_s_forward(bound_before=False):
    from course_utils.digit_models import DigitMLP as Course

    course_forward = Course.forward if bound_before else None   # as in an earlier cell

    class DigitMLP(torch.nn.Module):
        def __init__(self, n_in, n_hidden1, n_hidden2, n_out, dropout=0.0):
            super().__init__()
            nn = torch.nn
            self.hidden1, self.hidden2 = nn.Linear(n_in, n_hidden1), nn.Linear(n_hidden1, n_hidden2)
            self.output, self.dropout = nn.Linear(n_hidden2, n_out), nn.Dropout(dropout)

        def forward(self, x):
            return (course_forward or Course.forward)(self, x)
    return DigitMLP


@pytest.mark.parametrize("name, answer", [
    ("torch_train_step", _course_train_step),
    ("torch_accuracy", _course_accuracy),
    pytest.param("torch_evaluate", _course_evaluate, marks=pytest.mark.wide),   # a whole evaluate check: seconds
    ("torch_digit_mlp", _course_digit_mlp()),
    ("torch_digit_mlp", _course_digit_mlp_itself()),
    ("torch_digit_mlp", _digit_mlp_borrowing_the_course_s_forward()),
    ("torch_digit_mlp", _digit_mlp_borrowing_the_course_s_forward(bound_before=True)),
], ids=["torch_training.train_step", "torch_training.accuracy", "torch_training.evaluate",
        "a subclass of digit_models.DigitMLP", "digit_models.DigitMLP itself", "DigitMLP.forward on its own model",
        "DigitMLP.forward bound before the check"])
def test_lesson_06_refuses_the_course_s_own_versions(name, answer):
    """Round 19: lesson 06's checks refused none of the course's own versions outside the graded release, so
    `from course_utils.torch_training import train_step` (accuracy, evaluate) and the course's DigitMLP, a subclass
    of it, or a forward that calls its forward on the answer's own layers, passed."""
    _refused_as_the_course_s_own(name, answer)


# round 20: lesson 06
def _accuracy_by_the_lesson_05_helper(logits, labels):
    from course_utils import convnet
    if labels.numel() == 0:
        raise ValueError("no examples")
    return convnet.accuracy_from_probs(labels.cpu().numpy(), logits.detach().cpu().numpy())


def _accuracy_by_the_big_picture_helper(logits, labels):
    from course_utils import bigpicture
    if logits.ndim != 2:
        raise ValueError("logits must be (n, k)")
    return bigpicture.accuracy(labels.cpu().numpy(), logits.argmax(dim=1).cpu().numpy())


def _accuracy_by_the_check_s_shape_test(logits, labels):
    from course_utils.exercises import pytorch_mlp
    pytorch_mlp._checked_shapes(logits, labels)
    return (logits.argmax(dim=1) == labels).float().mean().item()


def _step_by_one_piece_of_accumulation(name):
    def train_step(model, loss_fn, optimizer, x, y):
        from course_utils.exercises import distributed
        return getattr(distributed, name)(model, loss_fn, optimizer, x, y, 1)
    return train_step


def _step_by_the_pieces_helper(model, loss_fn, optimizer, x, y):
    from course_utils.exercises import distributed
    optimizer.zero_grad()
    total = distributed._backward_on_pieces(model, loss_fn, x, y, [(x, y)])
    optimizer.step()
    return total


def _digit_mlp_by_the_check_s_helpers(helper):
    from course_utils.exercises import pytorch_mlp

    class DigitMLP(torch.nn.Module):
        def __init__(self, n_in, n_hidden1, n_hidden2, n_out, dropout=0.0):
            super().__init__()
            nn = torch.nn
            self.hidden1, self.hidden2 = nn.Linear(n_in, n_hidden1), nn.Linear(n_hidden1, n_hidden2)
            self.output, self.dropout = nn.Linear(n_hidden2, n_out), nn.Dropout(dropout)

        def forward(self, x):
            if helper == "_logits":
                return pytorch_mlp._logits(self, x)
            return pytorch_mlp._unflattened_logits(self, x.flatten(start_dim=1))
    return DigitMLP


def _digit_mlp_built_by_the_check(n_in, n_hidden1, n_hidden2, n_out, dropout=0.0):
    from course_utils.exercises import pytorch_mlp
    return pytorch_mlp._mlp_with_forward(n_in, n_hidden1, n_hidden2, n_out, dropout, pytorch_mlp._logits)


def _digit_mlp_built_by_the_check_s_mistake_maker(n_in, n_hidden1, n_hidden2, n_out, dropout=0.0):
    from course_utils.exercises import pytorch_mlp
    return pytorch_mlp._module_mistake(pytorch_mlp._logits)(n_in, n_hidden1, n_hidden2, n_out, dropout)


def _evaluate_by_the_check_s_loop(model, loader, loss_fn, device):
    from course_utils.exercises import pytorch_mlp
    return pytorch_mlp._evaluation(model, loader, loss_fn, device)


@pytest.mark.parametrize("name, answer", [
    ("torch_accuracy", _accuracy_by_the_lesson_05_helper),
    ("torch_accuracy", _accuracy_by_the_big_picture_helper),
    ("torch_accuracy", _accuracy_by_the_check_s_shape_test),
    ("torch_train_step", _step_by_one_piece_of_accumulation("_accumulation_step")),
    ("torch_train_step", _step_by_one_piece_of_accumulation("_accumulate_unscaled")),
    ("torch_train_step", _step_by_one_piece_of_accumulation("_accumulate_whole_batch")),
    ("torch_train_step", _step_by_the_pieces_helper),
    ("torch_digit_mlp", _digit_mlp_by_the_check_s_helpers("_logits")),
    ("torch_digit_mlp", _digit_mlp_by_the_check_s_helpers("_unflattened_logits")),
    ("torch_digit_mlp", _digit_mlp_built_by_the_check),
    ("torch_digit_mlp", _digit_mlp_built_by_the_check_s_mistake_maker),
    ("torch_evaluate", _evaluate_by_the_check_s_loop),
], ids=["convnet.accuracy_from_probs", "bigpicture.accuracy", "the check's shape test",
        "accumulation_step's reference, one piece", "an accumulation mistake that one piece makes right",
        "accumulation_step's whole-batch mistake", "the accumulation check's backward on pieces",
        "the check's forward", "the check's forward after a flatten", "the check's own model",
        "the check's mistake maker", "the check's evaluation loop"])
def test_lesson_06_round_20_refuses_course_helpers_that_compute_the_result(name, answer):
    """Round 20: course helpers that compute the result without calling a watched function passed: lesson 05's
    accuracy_from_probs (an argmax of logits is an argmax of probabilities) and lesson 00's accuracy, lesson 08b's
    gradient accumulation with one piece (its reference and the mistakes that one piece makes right), and the
    check module's own forward pass, model builder and evaluation loop."""
    _refused_as_the_course_s_own(name, answer)


def _accuracy_through_a_sigmoid(logits, labels):
    if logits.ndim != 2 or labels.ndim != 1 or len(logits) != len(labels) or len(labels) == 0:
        raise ValueError("expected logits (n, k) and labels (n,)")
    return (torch.sigmoid(logits).argmax(dim=1) == labels).float().mean().item()


def _evaluate_that_moves(move, predicted=lambda logits: logits.argmax(dim=1)):
    def evaluate(model, loader, loss_fn, device):
        model.eval()
        total, right, seen = 0.0, 0, 0
        with torch.no_grad():
            for x, y in loader:
                x, y = move(x, device), move(y, device)
                logits = model(x)
                total += loss_fn(logits, y).item() * len(y)
                right, seen = right + (predicted(logits) == y).sum().item(), seen + len(y)
        if seen == 0:
            raise ValueError("the loader gave no examples")
        return total / seen, right / seen
    return evaluate


def _step_with_the_loss_in_float32(model, loss_fn, optimizer, x, y):
    optimizer.zero_grad()
    loss = loss_fn(model(x).to(torch.float32), y.float() if y.is_floating_point() else y)
    loss.backward()
    optimizer.step()
    return loss.item()


@pytest.mark.parametrize("name, answer, mistake", [
    ("torch_accuracy", _accuracy_through_a_sigmoid, "sigmoid before the argmax"),
    ("torch_evaluate",
     _evaluate_that_moves(lambda t, device: t.to(device), lambda logits: logits.sigmoid().argmax(dim=1)),
     "sigmoid before the argmax"),
    ("torch_train_step", _step_with_the_loss_in_float32, "logits cast to float32"),
], ids=["accuracy: a sigmoid before the argmax", "evaluate: a sigmoid before the argmax",
        "train_step: the loss of a float64 model in float32"])
def test_lesson_06_round_20_rejects_a_sigmoid_before_the_argmax_and_a_float32_loss(name, answer, mistake):
    """Round 20: a sigmoid before the argmax (1.0 in float32 for every logit above about 17, so large logits tie and
    go to the first class) passed evaluate, whose logits were all small, and accuracy named no mistake for it; the
    loss of a float64 model taken on logits cast to float32 passed train_step. New cases: logits near 100 (evaluate),
    a float64 model whose logits lie near 1e8, where float32 numbers are 8 apart (train_step)."""
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and verdict.mistake == mistake, verdict.text


@pytest.mark.wide   # a whole evaluate check: seconds
@pytest.mark.parametrize("move", [
    lambda t, device: t if t.device == device else t.to(device),
    lambda t, device: t.to(device) if t.device.type != device.type else t,
], ids=["moved unless on the device", "moved unless of the device's type"])
def test_lesson_06_round_20_evaluate_may_move_only_a_batch_that_is_elsewhere(move):
    """Round 20: an evaluate that moves a batch only when it is not on `device` yet (right on any machine) was told
    it never moved it, as the check's batches and `device` were both on the CPU."""
    _passes("torch_evaluate", _evaluate_that_moves(move))


def _digit_mlp_with_the_course_s_forward_as_its_own(on_the_instance=False):
    def build(n_in, n_hidden1, n_hidden2, n_out, dropout=0.0):
        import types

        from course_utils import digit_models
        nn = torch.nn

        class DigitMLP(nn.Module):
            def __init__(self):
                super().__init__()
                self.hidden1, self.hidden2 = nn.Linear(n_in, n_hidden1), nn.Linear(n_hidden1, n_hidden2)
                self.output, self.dropout = nn.Linear(n_hidden2, n_out), nn.Dropout(dropout)

        forward = vars(digit_models.DigitMLP)["forward"]   # read while the check runs
        if not on_the_instance:
            DigitMLP.forward = forward
            return DigitMLP()
        net = DigitMLP()
        net.forward = types.MethodType(forward, net)
        return net
    return build


@pytest.mark.parametrize("on_the_instance", [False, True], ids=["on its class", "on its instance"])
def test_lesson_06_round_20_digit_mlp_refuses_the_course_s_forward_set_as_its_own(on_the_instance):
    """Round 20: DigitMLP.forward, read while the check ran and set as the forward of the answer's own model, passed:
    the check's model calls it, with none of the answer's code on the stack."""
    _refused_as_the_course_s_own("torch_digit_mlp", _digit_mlp_with_the_course_s_forward_as_its_own(on_the_instance))


# round 21: lesson 06
def _accuracy_by_the_digit_models_helper(logits, labels):
    from course_utils import digit_models
    if logits.ndim != 2 or labels.ndim != 1 or len(logits) != len(labels) or len(labels) == 0:
        raise ValueError("logits must be (n, k) and labels (n,)")

    class Given(torch.nn.Module):   # a "model" whose outputs are the logits themselves
        def forward(self, images):
            return logits.detach().cpu()
    return digit_models.accuracy_on(Given(), np.zeros(len(labels)), labels.cpu().numpy())


def test_lesson_06_round_21_accuracy_refuses_the_digit_models_helper():
    """Round 21: 06c's digit_models.accuracy_on, given a module that returns the logits, computed the whole accuracy
    without calling a watched function: it passed 30 of 30."""
    _refused_as_the_course_s_own("torch_accuracy", _accuracy_by_the_digit_models_helper)


def _step_calling_forward(model, loss_fn, optimizer, x, y):
    optimizer.zero_grad()
    loss = loss_fn(model.forward(x), y)   # skips the model's hooks
    loss.backward()
    optimizer.step()
    return loss.item()


def test_lesson_06_round_21_torch_train_step_calls_the_model_not_its_forward():
    """Round 21: loss_fn(model.forward(x), y) passed 27 of 27, but it skips the model's forward hooks, and the course's
    fit() reads the logits of each step through one (torch_training._step): with this train_step it raises."""
    verdict = judge(registry.get_exercise("torch_train_step"), _step_calling_forward)
    assert verdict.kind == WRONG and "model.forward(x)" in verdict.text, verdict.text


def _digit_mlp_with_the_course_s_layers(n_in, n_hidden1, n_hidden2, n_out, dropout=0.0):
    from course_utils import digit_models

    class DigitMLP(torch.nn.Module):
        def __init__(self):
            super().__init__()
            built = digit_models.DigitMLP(n_in, n_hidden1, n_hidden2, n_out, dropout)   # the course builds the layers
            self.hidden1, self.hidden2, self.output, self.dropout = (built.hidden1, built.hidden2, built.output,
                                                                     built.dropout)

        def forward(self, x):
            x = self.dropout(torch.relu(self.hidden1(x.flatten(start_dim=1))))
            return self.output(self.dropout(torch.relu(self.hidden2(x))))
    return DigitMLP()


def test_lesson_06_round_21_digit_mlp_refuses_the_course_s_init():
    """Round 21: layers taken from the course's DigitMLP(...), with a forward of the answer's own, passed 15 of 15:
    the check refused only the course's forward."""
    _refused_as_the_course_s_own("torch_digit_mlp", _digit_mlp_with_the_course_s_layers)


def _step_through_autograd_backward(model, loss_fn, optimizer, x, y):
    optimizer.zero_grad(set_to_none=True)
    out = model(x)
    loss = loss_fn(out, y)
    torch.autograd.backward(loss)
    optimizer.step()
    return float(loss)


def _step_clearing_grads_of_each_group(model, loss_fn, optimizer, x, y):
    for group in optimizer.param_groups:
        for p in group["params"]:
            p.grad = None
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.detach().item()


def _step_logging_the_gradient_norm(model, loss_fn, optimizer, x, y):
    with torch.enable_grad():
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), float("inf"))   # only measures the norm: nothing clipped
        optimizer.step()
    return loss.item()


@pytest.mark.parametrize("answer", [_step_through_autograd_backward, _step_clearing_grads_of_each_group,
                                    _step_logging_the_gradient_norm],
                         ids=["torch.autograd.backward, float(loss)", "p.grad = None", "clip_grad_norm_ at inf"])
def test_lesson_06_round_21_torch_train_step_written_another_way_passes(answer):
    _passes("torch_train_step", answer)


def _r21_accuracy_shapes_tested(logits, labels):
    if logits.dim() != 2 or labels.dim() != 1 or logits.size(0) != labels.size(0) or labels.numel() == 0:
        raise ValueError("logits must be (n, k) and labels (n,)")


def _accuracy_by_max_indices(logits, labels):
    _r21_accuracy_shapes_tested(logits, labels)
    return torch.sum(torch.max(logits, 1).indices == labels).item() / labels.size(0)


def _accuracy_by_numpy_after_cpu(logits, labels):
    _r21_accuracy_shapes_tested(logits, labels)
    return float((logits.detach().cpu().numpy().argmax(axis=1) == labels.cpu().numpy()).mean())


def _accuracy_by_eq_in_float64(logits, labels):
    _r21_accuracy_shapes_tested(logits, labels)
    return torch.eq(logits.argmax(-1), labels).double().mean().item()


@pytest.mark.parametrize("answer", [_accuracy_by_max_indices, _accuracy_by_numpy_after_cpu, _accuracy_by_eq_in_float64],
                         ids=["max(...).indices", "numpy after .cpu()", "torch.eq in float64"])
def test_lesson_06_round_21_accuracies_written_another_way_pass(answer):
    _passes("torch_accuracy", answer)


def _digit_mlp_of(forward):
    class DigitMLP(torch.nn.Module):
        def __init__(self, n_in, n_hidden1, n_hidden2, n_out, dropout=0.0):
            super().__init__()
            self.hidden1 = torch.nn.Linear(n_in, n_hidden1)
            self.hidden2 = torch.nn.Linear(n_hidden1, n_hidden2)
            self.output = torch.nn.Linear(n_hidden2, n_out)
            self.dropout = torch.nn.Dropout(dropout)
            self.p = dropout

        def forward(self, x):
            return forward(self, x)
    return DigitMLP


def _dropout_before_relu(net, x):   # dropout and ReLU commute: a mask of zeros and a positive scale
    x = torch.relu(net.dropout(net.hidden1(x.view(x.size(0), -1))))
    return net.output(torch.relu(net.dropout(net.hidden2(x))))


def _relu_by_clamp_and_a_flatten_module(net, x):
    x = net.dropout(net.hidden1(torch.nn.Flatten()(x)).clamp(min=0))
    return net.output(net.dropout(net.hidden2(x).clamp(min=0)))


def _relu_by_maximum_and_reshape(net, x):
    x = net.hidden1(x.reshape(len(x), -1))
    x = net.dropout(torch.maximum(x, torch.zeros_like(x)))
    x = net.hidden2(x)
    return net.output(net.dropout(torch.maximum(x, torch.zeros_like(x))))


@pytest.mark.parametrize("forward", [_dropout_before_relu, _relu_by_clamp_and_a_flatten_module,
                                     _relu_by_maximum_and_reshape],
                         ids=["dropout before ReLU", "clamp(min=0), nn.Flatten()",
                              "torch.maximum, reshape(len(x), -1)"])
def test_lesson_06_round_21_digit_mlps_written_another_way_pass(forward):
    _passes("torch_digit_mlp", _digit_mlp_of(forward))


def _evaluate_refusing_an_empty_loader_first(model, loader, loss_fn, device):
    if len(loader) == 0:   # no batches: a sampler that gives nothing, or an empty data set
        raise ValueError("the loader gives no examples")
    model.eval()
    total, correct, seen = 0.0, 0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        with torch.no_grad():
            logits = model(x)
            total += loss_fn(logits, y).item() * y.size(0)
        correct += int((logits.argmax(1) == y).count_nonzero())
        seen += y.size(0)
    return total / seen, correct / seen


def _r21_evaluate_comparing_on_the_cpu(model, loader, loss_fn, device):
    model.eval()
    losses, right, sizes = [], [], []
    with torch.no_grad():
        for x, y in loader:
            logits = model(x.to(device, non_blocking=True))
            losses.append(loss_fn(logits, y.to(device, non_blocking=True)).item())
            right.append((logits.argmax(dim=1).cpu() == y.cpu()).sum().item())
            sizes.append(len(y))
    if sum(sizes) == 0:
        raise ValueError("the loader gave no examples")
    return float(np.dot(losses, sizes) / sum(sizes)), sum(right) / sum(sizes)


@torch.no_grad()
def _evaluate_decorated_summing_tensors(model, loader, loss_fn, device):
    model.eval()
    total, correct, seen = torch.zeros(()), torch.zeros((), dtype=torch.long), 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        logits = model(x)
        total = total + loss_fn(logits, y) * len(y)
        correct = correct + (logits.argmax(dim=1) == y).sum()
        seen += len(y)
    if not seen:
        raise ValueError("the loader gave no examples")
    return total.item() / seen, correct.item() / seen


@pytest.mark.parametrize("answer", [_evaluate_refusing_an_empty_loader_first, _r21_evaluate_comparing_on_the_cpu,
                                    _evaluate_decorated_summing_tensors],
                         ids=["len(loader) == 0 first", "compared on the cpu, np.dot", "@no_grad, tensor sums"])
def test_lesson_06_round_21_torch_evaluate_written_another_way_passes(answer):
    _passes("torch_evaluate", answer)


def _step_seeding_torch(model, loss_fn, optimizer, x, y):
    torch.manual_seed(0)   # "reproducible steps"
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def test_lesson_06_round_21_torch_train_step_seeding_torch_is_named():
    """Round 21: torch.manual_seed(0) inside the step was told "the returned loss 1.18538 should be 1.18675: return
    loss.item(), the loss of the batch before the update", which it did."""
    verdict = judge(registry.get_exercise("torch_train_step"), _step_seeding_torch)
    assert verdict.kind == WRONG and "reset PyTorch's random generator" in verdict.text, verdict.text


def _accuracy_detaching_in_place(logits, labels):
    _r21_accuracy_shapes_tested(logits, labels)
    logits.detach_()   # "no graph needed": but these are the caller's logits
    return (logits.argmax(dim=1) == labels).float().mean().item()


def test_lesson_06_round_21_accuracy_detaching_the_logits_in_place_is_named():
    """Round 21: logits.detach_() was told "your function changed its input array in place (for example `z[z < 0] =
    0` ...). Work on a new array instead: `np.maximum(0, z)`", though no value changed."""
    verdict = judge(registry.get_exercise("torch_accuracy"), _accuracy_detaching_in_place)
    assert verdict.kind == WRONG and "detached the caller's logits in place" in verdict.text, verdict.text


# round 22: lesson 06
def _accuracy_by_the_numpy_mlp_s_predict(logits, labels):
    from course_utils import mlp
    if logits.ndim != 2 or labels.ndim != 1 or len(logits) != len(labels) or len(labels) == 0:
        raise ValueError("logits must be (n, k) and labels (n,)")
    z = logits.detach().cpu().double().numpy()
    if z.shape[1] == 1:   # mlp.predict thresholds a single output at 0.5; argmax of one column is class 0
        return float((labels == 0).double().mean())
    best, predicted = np.full(len(z), -np.inf), np.zeros(len(z), dtype=int)
    for start in range(0, z.shape[1], 1000):   # blocks of 1,000 classes: an identity layer of 65,600 would not fit
        block = z[:, start:start + 1000]
        if block.shape[1] == 1:
            inside = np.zeros(len(z), dtype=int)
        else:   # lesson 03's numpy MLP, one linear layer of identity weights: its predict is the argmax of the logits
            inside = mlp.predict({"W1": np.eye(block.shape[1]), "b1": np.zeros(block.shape[1])}, block, output="linear")
        value = block[np.arange(len(z)), inside]
        better = value > best
        best, predicted = np.where(better, value, best), np.where(better, inside + start, predicted)
    return float(np.mean(predicted == labels.cpu().numpy()))


def test_lesson_06_round_22_accuracy_refuses_the_numpy_mlp_s_predict():
    """Round 22 (contrived): lesson 03's mlp.predict on a layer of identity weights is an argmax of the logits, and it
    calls no watched function: the answer passed 30 of 30 (lesson 05's accuracy_from_probs already refuses it)."""
    _refused_as_the_course_s_own("torch_accuracy", _accuracy_by_the_numpy_mlp_s_predict)


def _r22_evaluation(model, loader, loss_fn, device):
    model.eval()
    total, correct, seen = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            total += loss_fn(logits, y).item() * len(y)
            correct += (logits.argmax(dim=1) == y).sum().item()
            seen += len(y)
    if seen == 0:
        raise ValueError("the loader gave no examples")
    return total / seen, correct / seen


_r22_evaluate_with_lru_cache = __import__("functools").lru_cache(maxsize=None)(_r22_evaluation)   # "faster"


def _r22_evaluate_cached_by_loader(model, loader, loss_fn, device, _kept={}):
    if id(loader) not in _kept:   # the validation set does not change between epochs
        _kept[id(loader)] = _r22_evaluation(model, loader, loss_fn, device)
    model.eval()
    return _kept[id(loader)]


def _r22_evaluate_cached_by_loader_and_mode(model, loader, loss_fn, device, _kept={}):
    key = (id(loader), model.training)   # contrived: the check's reruns found the model in eval mode
    if key not in _kept:
        _kept[key] = _r22_evaluation(model, loader, loss_fn, device)
    model.eval()
    return _kept[key]


@pytest.mark.parametrize("answer", [_r22_evaluate_with_lru_cache, _r22_evaluate_cached_by_loader,
                                    _r22_evaluate_cached_by_loader_and_mode],
                         ids=["functools.lru_cache", "a dict keyed by id(loader)", "keyed by loader and mode"])
def test_lesson_06_round_22_torch_evaluate_refuses_a_result_kept_between_calls(answer):
    """Round 22: evaluate under functools.lru_cache, or with its results kept by id(loader), passed 26 of 26; the
    training loop calls it with the same model and val_loader after every epoch, and got the first epoch's numbers."""
    verdict = judge(registry.get_exercise("torch_evaluate"), answer)
    assert verdict.kind == WRONG and "kept its result between calls" in verdict.text, verdict.text


def _r22_step_through_autograd_grad(model, loss_fn, optimizer, x, y):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    trainable = [p for p in model.parameters() if p.requires_grad]   # a frozen layer keeps p.grad None
    for p, g in zip(trainable, torch.autograd.grad(loss, trainable)):
        p.grad = g
    optimizer.step()
    return loss.item()


def _r22_step_model_zero_grad_and_tolist(model, loss_fn, optimizer, x, y):
    model.zero_grad()   # the optimizer holds the model's parameters
    out = model(x)
    loss = loss_fn(out, y)
    loss.backward()
    optimizer.step()
    return loss.detach().cpu().tolist()   # a 0-d tensor's tolist() is a Python float


@pytest.mark.parametrize("answer", [_r22_step_through_autograd_grad, _r22_step_model_zero_grad_and_tolist],
                         ids=["torch.autograd.grad into p.grad", "model.zero_grad(), tolist()"])
def test_lesson_06_round_22_torch_train_step_written_another_way_passes(answer):
    _passes("torch_train_step", answer)


def _r22_accuracy_shapes(logits, labels):
    if logits.dim() != 2:
        raise ValueError("logits must be (n, k)")
    if labels.shape != logits.shape[:1]:
        raise ValueError("labels must be (n,)")
    if labels.numel() == 0:
        raise ValueError("no examples")


def _accuracy_by_count_nonzero(logits, labels):
    _r22_accuracy_shapes(logits, labels)
    return torch.count_nonzero(logits.argmax(-1) == labels).item() / labels.numel()


def _accuracy_in_plain_python(logits, labels):
    _r22_accuracy_shapes(logits, labels)
    right = 0
    for row, label in zip(logits.tolist(), labels.tolist()):   # the largest value, the first of tied ones
        right += max(range(len(row)), key=lambda j: (row[j], -j)) == label
    return right / len(labels)


def _accuracy_by_scikit_learn(logits, labels):
    from sklearn.metrics import accuracy_score
    _r22_accuracy_shapes(logits, labels)
    return float(accuracy_score(labels.cpu().numpy(), logits.detach().cpu().numpy().argmax(axis=1)))


@pytest.mark.parametrize("answer", [_accuracy_by_count_nonzero, _accuracy_in_plain_python, _accuracy_by_scikit_learn],
                         ids=["count_nonzero", "plain Python, ties to the first", "sklearn accuracy_score"])
def test_lesson_06_round_22_accuracies_written_another_way_pass(answer):
    pytest.importorskip("sklearn")
    _passes("torch_accuracy", answer)


def _r22_dropout_as_a_function_of_the_mode(net, x):
    x = torch.nn.functional.dropout(torch.relu(net.hidden1(torch.flatten(x, 1))), net.p, net.training)
    return net.output(torch.nn.functional.dropout(torch.relu(net.hidden2(x)), net.p, net.training))


def _r22_relu_modules_in_place(net, x):
    x = net.dropout(torch.nn.ReLU(inplace=True)(net.hidden1(x.flatten(1))))   # in place on a Linear's output: fine
    return net.output(net.dropout(torch.nn.ReLU(inplace=True)(net.hidden2(x))))


def _r22_dropout_only_in_training(net, x):
    x = torch.relu(net.hidden1(x.reshape(x.shape[0], -1)))
    if net.training:
        x = net.dropout(x)
    x = torch.relu(net.hidden2(x))
    if net.training:
        x = net.dropout(x)
    return net.output(x)


@pytest.mark.parametrize("forward", [_r22_dropout_as_a_function_of_the_mode, _r22_relu_modules_in_place,
                                     _r22_dropout_only_in_training],
                         ids=["F.dropout(x, p, self.training)", "nn.ReLU(inplace=True)", "dropout if self.training"])
def test_lesson_06_round_22_digit_mlps_written_another_way_pass(forward):
    _passes("torch_digit_mlp", _digit_mlp_of(forward))


def _r22_evaluate_in_inference_mode(model, loader, loss_fn, device):
    model.eval()
    total, correct, seen = 0.0, 0, 0
    with torch.inference_mode():   # the stricter variant of no_grad that 06b names
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            total += loss_fn(logits, y).item() * len(y)
            correct += (logits.argmax(1) == y).sum().item()
            seen += len(y)
    if not seen:
        raise ValueError("the loader gave no examples")
    return total / seen, correct / seen


def _r22_evaluate_on_all_logits_at_once(model, loader, loss_fn, device):
    model.train(False)
    logits, labels = [], []
    with torch.no_grad():
        for x, y in loader:
            logits.append(model(x.to(device)))
            labels.append(y.to(device))
        if sum(len(y) for y in labels) == 0:
            raise ValueError("the loader gave no examples")
        logits, labels = torch.cat(logits), torch.cat(labels)
        return loss_fn(logits, labels).item(), (logits.argmax(1) == labels).double().mean().item()


@pytest.mark.parametrize("answer", [_r22_evaluate_in_inference_mode, _r22_evaluate_on_all_logits_at_once],
                         ids=["torch.inference_mode()", "one loss over the concatenated logits"])
def test_lesson_06_round_22_torch_evaluate_written_another_way_passes(answer):
    _passes("torch_evaluate", answer)


def _step_catching_every_error(model, loss_fn, optimizer, x, y):
    try:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()
    except Exception:   # "the training loop must not stop"
        return 0.0


class _R22DigitMLPReshapingToRowsOfNIn(torch.nn.Module):
    def __init__(self, n_in, n_hidden1, n_hidden2, n_out, dropout=0.0):
        super().__init__()
        self.hidden1 = torch.nn.Linear(n_in, n_hidden1)
        self.hidden2 = torch.nn.Linear(n_hidden1, n_hidden2)
        self.output = torch.nn.Linear(n_hidden2, n_out)
        self.dropout = torch.nn.Dropout(dropout)

    def forward(self, x):
        x = self.dropout(torch.relu(self.hidden1(x.reshape(-1, self.hidden1.in_features))))
        return self.output(self.dropout(torch.relu(self.hidden2(x))))


def _evaluate_nan_for_no_examples(model, loader, loss_fn, device):
    try:
        return _r22_evaluation(model, loader, loss_fn, device)
    except ValueError:
        return float("nan"), float("nan")


@pytest.mark.parametrize("name, answer, shown", [
    ("torch_train_step", _step_catching_every_error, "but returned 0.0"),
    ("torch_evaluate", _evaluate_nan_for_no_examples, "but returned (nan, nan)"),
    ("torch_digit_mlp", _R22DigitMLPReshapingToRowsOfNIn, "but returned tensor(2, 10)")],
    ids=["train_step", "evaluate", "digit_mlp"])
def test_lesson_06_round_22_a_missing_error_shows_the_answer_s_own_result(name, answer, shown):
    """Round 22: "should raise ValueError for this input, but returned (array([0., 0.]), array([-0.0037, ...]),
    'float')": the message showed the losses and weights the check's run keeps, not the 0.0 the answer returned (and
    DigitMLP's "(25818.0, array([[-35.96, ...": its parameter count before its logits)."""
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and "for this input, but returned" in verdict.text, verdict.text
    assert shown in verdict.text and "array(" not in verdict.text.split("on input")[0], verdict.text


# ---------------------------------------------------------------- lesson 00 (welcome)
def test_the_references_of_lesson_00():
    accuracy = reference_copy("accuracy")
    mlp_param_count = reference_copy("mlp_param_count")
    assert accuracy([1, 0, 1, 1], [1, 0, 0, 1]) == 0.75
    assert accuracy(np.array(["a", "b"]), np.array(["a", "a"])) == 0.5
    with pytest.raises(ValueError):
        accuracy(np.arange(3), np.arange(3).reshape(3, 1))
    with pytest.raises(ValueError):
        accuracy([], [])
    assert mlp_param_count([2, 1]) == 3 and mlp_param_count((784, 128, 64, 10)) == 109386
    for bad in ([5], [3, 0, 1], [2, 1.5]):
        with pytest.raises(ValueError):
            mlp_param_count(bad)


# round 17: lesson 02
def _r17_softmax(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _r17_mlp_logits(X, W1, b1, W2, b2):
    return np.tanh(X @ W1.T + b1) @ W2.T + b2


@pytest.mark.parametrize("name, answer", [
    ("softmax_stable", lambda z: np.clip(_r17_softmax(z), 1e-15, 1 - 1e-15)),
    ("softmax_stable", lambda z: np.maximum(_r17_softmax(z), np.finfo(float).eps)),
    ("softmax_stable", lambda z: _r17_softmax(np.maximum(np.asarray(z, dtype=float),
                                                         np.max(z, axis=-1, keepdims=True) - 35))),
    ("mlp_forward", lambda *a: np.clip(sigmoid(_r17_mlp_logits(*a)), 1e-15, 1 - 1e-15)),
    ("mlp_forward", lambda *a: sigmoid(np.clip(_r17_mlp_logits(*a), -36, 36))),
], ids=["softmax clipped to [1e-15, 1 - 1e-15]", "softmax floored at float64's eps", "softmax of logits clipped "
        "35 below the row's maximum", "mlp clipped to [1e-15, 1 - 1e-15]", "mlp logits clipped at 36"])
def test_lesson_02a_probabilities_floored_at_1e_15_or_below_are_refused(name, answer, capsys):
    """Each passed before: compare_probabilities allowed 1e-15 on every probability, so a floor of 1e-15 (scikit-learn's
    old log_loss eps), of 2.2e-16 (float64's eps) or logits clipped at 35 or 36 (e^-36 = 2.3e-16) went through, though
    a later log reads 34.5 where the true loss is 60 or more. softmax_stable has no right form with an absolute error:
    it allows 1e-40 (float32's own rounding near 0); mlp_forward allows 1e-16, for 0.5 + 0.5 * np.tanh(z / 2)."""
    with pytest.raises(ExerciseFailed, match="far below 1 must come out right"):
        check(name, answer, strict=True)


@pytest.mark.parametrize("name, answer", [
    ("softmax_stable", lambda z: (lambda e: e / np.sum(e, axis=-1)[..., None])(
        np.exp(np.asarray(z, dtype=float) - np.max(np.asarray(z, dtype=float), axis=-1)[..., None]))),
    ("softmax_stable", lambda z: __import__("scipy.special").special.softmax(np.asarray(z, dtype=float), axis=-1)),
    ("softmax_stable", lambda z: np.maximum(_r17_softmax(z), np.finfo(float).tiny)),
    ("softmax_stable", lambda z: _r17_softmax(np.asarray(z, dtype=np.float32) if np.asarray(z).dtype == np.float32
                                              else z).astype(np.asarray(z).dtype if np.asarray(z).dtype == np.float32
                                                                 else float)),
    ("mlp_forward", lambda X, W1, b1, W2, b2: np.exp(-np.logaddexp(0, -_r17_mlp_logits(X, W1, b1, W2, b2)))),
    ("mlp_forward", lambda X, W1, b1, W2, b2: sigmoid(np.dot(2 * sigmoid(2 * (np.dot(X, W1.T) + b1)) - 1, W2.T) + b2)),
    ("mlp_forward", lambda X, W1, b1, W2, b2: sigmoid(np.clip(_r17_mlp_logits(X, W1, b1, W2, b2), -700, 700))),
    ("bce_from_logits", lambda y, z: _r17_same_shape(y, z) or np.mean(
        np.asarray(y) * np.logaddexp(0, -np.asarray(z, float)) + (1 - np.asarray(y)) * np.logaddexp(0, np.asarray(z, float)))),
    ("bce_from_logits", lambda y, z: _r17_same_shape(y, z) or -np.mean(np.where(
        np.asarray(y) == 1, __import__("scipy.special").special.log_expit(np.asarray(z, float)),
        __import__("scipy.special").special.log_expit(-np.asarray(z, float))))),
    ("bce_from_logits", lambda y, z: _r17_same_shape(y, z) or np.mean(
        [max(b, 0.0) - a * b + math.log1p(math.exp(-abs(b))) for a, b in zip(np.ravel(y).astype(float),
                                                                              np.ravel(z).astype(float))])),
    ("cce_from_logits", lambda y, Z: _r17_same_length(y, Z) or -np.mean(np.take_along_axis(
        __import__("scipy.special").special.log_softmax(np.asarray(Z, float), axis=1), np.asarray(y)[:, None], axis=1))),
    ("cce_from_logits", lambda y, Z: _r17_same_length(y, Z) or np.mean([
        __import__("scipy.special").special.logsumexp(row) - row[c] for row, c in zip(np.asarray(Z, float), y)])),
    ("cce_from_logits", lambda y, Z: _r17_same_length(y, Z) or np.mean(-np.sum(np.eye(np.shape(Z)[1])[y] * (
        __import__("scipy.special").special.log_softmax(np.asarray(Z, float), axis=1)), axis=1))),
], ids=["softmax [..., None]", "softmax scipy of floats", "softmax floored at float64's tiny",
        "softmax in float32 for float32 logits", "mlp exp(-logaddexp(0, -z))", "mlp tanh as 2 sigmoid(2z) - 1",
        "mlp logits clipped at 700", "bce two logaddexp", "bce log_expit by label", "bce loop with math",
        "cce take_along_axis of log_softmax", "cce loop of logsumexp", "cce one-hot times log_softmax"])
def test_lesson_02_right_answers_written_another_way_pass(name, answer):
    _passes(name, answer)


def _r17_same_shape(y, z):
    if np.shape(y) != np.shape(z):
        raise ValueError("y and z differ in shape")


def _r17_same_length(y, Z):
    if len(y) != len(Z):
        raise ValueError("one label per example")


def _r17_params(W1, b1, W2, b2):
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}


@pytest.mark.parametrize("name, answer", [
    ("mlp_forward", lambda X, W1, b1, W2, b2: __import__("course_utils.mlp").mlp.forward(_r17_params(W1, b1, W2, b2),
                                                                                          X)[0]),
    ("bce_from_logits", lambda y, z: _r17_same_shape(y, z) or __import__("course_utils.mlp").mlp.binary_cross_entropy(
        y, z, from_logits=True)),
    ("cce_from_logits", lambda y, Z: __import__("course_utils.mlp").mlp.categorical_cross_entropy(y, Z, from_logits=True)),
    ("bce_from_logits", lambda y, z: _r17_same_shape(y, z) or __import__("course_utils.mlp").mlp.output_loss_and_delta(
        np.reshape(np.asarray(z, float), (-1, 1)), np.reshape(y, (-1, 1)))[0]),
    ("cce_from_logits", lambda y, Z: _r17_same_length(y, Z) or __import__("course_utils.mlp").mlp.output_loss_and_delta(
        np.asarray(Z, float), y, "softmax")[0]),
], ids=["mlp_forward by mlp.forward", "bce by mlp.binary_cross_entropy", "cce by mlp.categorical_cross_entropy",
        "bce by mlp.output_loss_and_delta", "cce by mlp.output_loss_and_delta"])
def test_lesson_02_answers_that_call_the_course_s_own_version_are_refused(name, answer, capsys):
    """Each passed before, in a graded release too: it hides the exercises' references (_mlp_forward_reference, ...)
    but keeps mlp.forward, mlp.binary_cross_entropy and mlp.categorical_cross_entropy, which the references wrap and
    the lessons' own code runs. (softmax_stable's reference is mlp.softmax itself: there it calls the learner's
    answer, so an answer that calls it never ends.)"""
    with pytest.raises(ExerciseFailed, match="the course's own version of this exercise"):
        check(name, answer, strict=True)


def _r17_by_an_identity_network(output):
    """The loss of a one-layer network whose weights are the identity (its logits are the inputs), NaN by hand."""
    def loss(y, z):
        z = np.asarray(z, dtype=float)
        if (np.shape(y) != z.shape) if output == "sigmoid" else (len(y) != len(z)):
            raise ValueError("y and z do not fit")
        if np.isnan(z).any():
            return np.nan
        k = 1 if output == "sigmoid" else z.shape[1]
        params = {"W1": np.eye(k), "b1": np.zeros(k)}
        X, labels = (z.reshape(-1, 1), np.reshape(y, (-1, 1))) if output == "sigmoid" else (z, y)
        return __import__("course_utils.mlp").mlp.loss_and_grads(params, X, labels, output=output)[0]
    return loss


@pytest.mark.parametrize("name, answer", [("bce_from_logits", _r17_by_an_identity_network("sigmoid")),
                                          ("cce_from_logits", _r17_by_an_identity_network("softmax"))],
                         ids=["bce", "cce"])
def test_lesson_02b_a_loss_read_from_an_identity_network_is_refused(name, answer, capsys):
    """Contrived: a network whose logits are the inputs, run by mlp.loss_and_grads (NaN handled by hand, since the
    network refuses a NaN input), passed both checks."""
    with pytest.raises(ExerciseFailed, match="the course's own version of this exercise"):
        check(name, answer, strict=True)


# round 18: lesson 02
import functools

from course_utils import mlp as _r18_mlp

# bound to names here, as by a learner's `from course_utils.mlp import forward` in an earlier cell

_r18_forward, _r18_bce, _r18_cce = _r18_mlp.forward, _r18_mlp.binary_cross_entropy, _r18_mlp.categorical_cross_entropy
_r18_forward_tanh = functools.partial(_r18_mlp.forward, hidden="tanh", output="sigmoid")


def _r18_mlp_by_bound_forward(X, W1, b1, W2, b2):
    return _r18_forward({"W1": W1, "b1": b1, "W2": W2, "b2": b2}, X)[0]


def _r18_bce_by_bound_name(y, z):
    _r17_same_shape(y, z)
    return _r18_bce(y, z, from_logits=True)


def _r18_cce_in_a_helper(y, Z):
    return _r18_cce(y, Z, from_logits=True)


def _r18_cce_by_a_helper(y, Z):
    _r17_same_length(y, Z)
    return _r18_cce_in_a_helper(y, Z)


def _r18_bce_in_a_closure():
    loss_and_delta = _r18_mlp.output_loss_and_delta
    def bce(y, z):
        _r17_same_shape(y, z)
        return loss_and_delta(np.reshape(np.asarray(z, float), (-1, 1)), np.reshape(y, (-1, 1)))[0]
    return bce


class _R18CceObject:
    """Contrived: an object whose __call__ runs the course's loss, which it holds as an attribute."""

    def __init__(self):
        self.loss = _r18_cce

    def __call__(self, y, Z):
        _r17_same_length(y, Z)
        return self.loss(y, Z, from_logits=True)


def _r18_bce_unwrapped(y, z):
    """Contrived: the check's watched stand-in for mlp.binary_cross_entropy, unwrapped while the check runs."""
    _r17_same_shape(y, z)
    loss = _r18_mlp.binary_cross_entropy
    return getattr(loss, "__wrapped__", loss)(y, z, from_logits=True)


@pytest.mark.parametrize("name, answer", [
    ("mlp_forward", _r18_mlp_by_bound_forward),
    ("mlp_forward", lambda X, W1, b1, W2, b2: _r18_forward_tanh({"W1": W1, "b1": b1, "W2": W2, "b2": b2}, X)[0]),
    ("bce_from_logits", _r18_bce_by_bound_name),
    ("bce_from_logits", _r18_bce_in_a_closure()),
    ("cce_from_logits", _r18_cce_by_a_helper),
    ("cce_from_logits", lambda y, Z, loss=_r18_cce: _r17_same_length(y, Z) or loss(y, Z, from_logits=True)),
    ("cce_from_logits", _R18CceObject()),
    ("bce_from_logits", _r18_bce_unwrapped),
], ids=["mlp_forward by a global bound to mlp.forward", "mlp_forward by a functools.partial of mlp.forward",
        "bce by a global bound to mlp.binary_cross_entropy", "bce by mlp.output_loss_and_delta in a closure",
        "cce by a helper that calls a global bound to mlp.categorical_cross_entropy",
        "cce by mlp.categorical_cross_entropy as a default argument", "cce by an object that holds it, with a __call__",
        "bce by the __wrapped__ of the check's stand-in"])
def test_lesson_02_the_course_s_own_version_bound_to_a_name_is_refused(name, answer, capsys):
    """Each passed, in a graded release too: the check replaced mlp.forward (and the losses) in their module for the
    length of the call, but `from course_utils.mlp import forward` (or `f = mlp.forward` in an earlier cell) binds the
    function itself, which that replacement does not reach. The check now also looks at what the answer holds: the
    globals its code reads, its defaults and closure cells, a functools.partial, an object's attributes, and the same
    in its helpers. The last two are contrived; the stand-in no longer hands out the function as its __wrapped__."""
    with pytest.raises(ExerciseFailed, match="the course's own version of this exercise"):
        check(name, answer, strict=True)


_r18_logsumexp = _r18_mlp.logsumexp   # a building block of the course's, not its version of an exercise


class _R18Bce:
    """A right answer written as an object with a __call__: looking into it finds nothing of the course's."""

    def __call__(self, y, z):
        _r17_same_shape(y, z)
        y, z = np.asarray(y, dtype=float), np.asarray(z, dtype=float)
        return np.sum(np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z)))) / z.size


def _r18_softmax_in_place(z):
    p = np.array(z, dtype=float)   # a copy of its own, then changed in place
    p -= p.max(axis=-1, keepdims=True)
    np.exp(p, out=p)
    p /= p.sum(axis=-1, keepdims=True)
    return p


def _r18_softmax_classes_first(z):
    z = np.moveaxis(np.asarray(z, dtype=float), -1, 0)   # the classes on the first axis, then back to the last
    e = np.exp(z - z.max(axis=0))
    return np.moveaxis(e / e.sum(axis=0), 0, -1)


def _r18_mlp_layer_by_layer(X, W1, b1, W2, b2):
    A = X
    for W, b, g in ((W1, b1, np.tanh), (W2, b2, sigmoid)):   # a loop over the layers, not the examples
        A = g(A @ W.T + b)
    return A


def _r18_cce_shifted(y, Z):
    _r17_same_length(y, Z)
    S = np.asarray(Z, dtype=float) - np.max(Z, axis=1, keepdims=True)   # both terms from the shifted logits
    return np.mean(np.log(np.exp(S).sum(axis=1)) - S[np.arange(len(y)), y])


@pytest.mark.parametrize("name, answer", [
    ("softmax_stable", _r18_softmax_in_place),
    ("softmax_stable", _r18_softmax_classes_first),
    ("mlp_forward", _r18_mlp_layer_by_layer),
    ("mlp_forward", lambda X, W1, b1, W2, b2: sigmoid(W2 @ np.tanh(W1 @ X.T + b1[:, None]) + b2[:, None]).T),
    ("bce_from_logits", lambda y, z: _r17_same_shape(y, z) or np.mean(
        np.logaddexp(0, np.asarray(z, dtype=float)) - np.asarray(y, dtype=float) * np.asarray(z, dtype=float))),
    ("bce_from_logits", _R18Bce()),
    ("cce_from_logits", _r18_cce_shifted),
    ("cce_from_logits", lambda y, Z: _r17_same_length(y, Z) or np.mean(
        _r18_logsumexp(Z, axis=1) - np.asarray(Z, dtype=float)[np.arange(len(y)), y])),
], ids=["softmax in place on a copy", "softmax with the classes moved to the first axis", "mlp a loop over the layers",
        "mlp examples as columns, transposed back", "bce logaddexp(0, z) - y z",
        "bce an object with a __call__, sum / size", "cce from the shifted logits",
        "cce by mlp.logsumexp bound to a name"])
def test_lesson_02_round_18_right_answers_written_another_way_pass(name, answer):
    _passes(name, answer)


def _r18_cce_logsumexp_of_the_batch(y, Z):
    _r17_same_length(y, Z)
    Z = np.asarray(Z, dtype=float)
    return np.mean(__import__("scipy.special").special.logsumexp(Z) - Z[np.arange(len(y)), y])   # axis=None


@pytest.mark.parametrize("name, answer, told", [
    ("softmax_stable", lambda z: __import__("scipy.special").special.softmax(np.asarray(z, dtype=float)),
     "axis=None by default"),
    ("cce_from_logits", _r18_cce_logsumexp_of_the_batch, "axis=None by default"),
], ids=["softmax by scipy.special.softmax without axis", "cce by scipy.special.logsumexp without axis"])
def test_lesson_02_a_library_default_of_axis_none_is_named(name, answer, told):
    """scipy.special.softmax and scipy.special.logsumexp run over the whole array unless given an axis: both answers
    failed with a plain "wrong value" and no hint of why (round 18)."""
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and told in verdict.text, verdict.text


# round 19: lesson 02
def _r19_cce_max_kept_as_a_column(y, Z):
    _r17_same_length(y, Z)
    Z = np.asarray(Z, dtype=float)
    m = Z.max(axis=1, keepdims=True)   # (n, 1), while the sum below is (n,)
    return np.mean(m + np.log(np.exp(Z - m).sum(axis=1)) - Z[np.arange(len(y)), y])


def _r19_cce_logsumexp_kept_as_a_column(y, Z):
    _r17_same_length(y, Z)
    Z = np.asarray(Z, dtype=float)
    import scipy.special
    return np.mean(scipy.special.logsumexp(Z, axis=1, keepdims=True) - Z[np.arange(len(y)), y])


@pytest.mark.parametrize("answer", [_r19_cce_max_kept_as_a_column, _r19_cce_logsumexp_kept_as_a_column],
                         ids=["m = Z.max(axis=1, keepdims=True)", "logsumexp(Z, axis=1, keepdims=True)"])
def test_lesson_02b_cce_losses_broadcast_to_an_n_by_n_matrix_are_refused(answer):
    """Both passed (round 19): an (n, 1) column minus (or plus) an (n,) row broadcasts to an (n, n) matrix, whose mean
    equals the mean loss in exact arithmetic (mean_i a_i - mean_j b_j), so every case agreed to 1e-13. It costs n * n
    memory (60,000 examples: 29 GB), and in float64 it loses a row's small loss next to another row's logit of 1e20."""
    verdict = judge(registry.get_exercise("cce_from_logits"), answer)
    assert verdict.kind == WRONG and "(n, n) matrix" in verdict.text, verdict.text


def _r19_all_close(a, b, *args, **kwargs):
    return np.ones(np.broadcast(np.asarray(a), np.asarray(b)).shape, dtype=bool)


def _r19_softmax_doubled(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return 2 * e / e.sum(axis=-1, keepdims=True)   # rows that sum to 2


@pytest.mark.parametrize("wrap", [functools.partial, lambda f: np.vectorize(f, otypes=[bool])],
                         ids=["functools.partial", "np.vectorize"])
def test_lesson_02a_numpy_s_comparisons_replaced_through_a_wrapper_in_an_earlier_cell_are_refused(wrap):
    """Passed (shortcut, round 19): a cell before the check ran np.isclose = functools.partial(<a function of the
    notebook's that says True>), and np.allclose the same. The check looked for names holding a function of the
    notebook's own (__module__ == "__main__"), but a partial's __module__ is "functools" and an np.vectorize's "numpy",
    so softmax_stable passed rows that sum to 2 (and mlp_forward its logits)."""
    isclose, allclose = np.isclose, np.allclose
    close = wrap(_r19_all_close)
    _r19_all_close.__module__ = "__main__"   # defined in a notebook cell
    np.isclose, np.allclose = close, functools.partial(lambda *args, **kwargs: True)
    np.allclose.func.__module__ = "__main__"
    try:
        verdict = judge(registry.get_exercise("softmax_stable"), _r19_softmax_doubled)
    finally:
        np.isclose, np.allclose = isclose, allclose
        _r19_all_close.__module__ = __name__
    assert verdict.kind == WRONG and "numpy.isclose" in verdict.text and "function of its own" in verdict.text, \
        verdict.text


def _r19_softmax_by_an_identity_network(z):
    """Contrived: a network whose logits are the inputs, run by mlp.forward with a softmax output (NaN rows and an
    empty batch by hand, since the network refuses them)."""
    z = np.asarray(z, dtype=float)
    k = z.shape[-1]
    rows = z.reshape(-1, k)
    out = np.full(rows.shape, np.nan)
    finite = ~np.isnan(rows).any(axis=1)
    if finite.any():
        out[finite] = _r18_mlp.forward({"W1": np.eye(k), "b1": np.zeros(k)}, rows[finite], output="softmax")[0]
    return out.reshape(z.shape)


def test_lesson_02a_a_softmax_read_from_the_course_s_network_is_refused(capsys):
    """Passed (contrived, round 19): softmax_stable refused mlp.softmax (its reference) but not mlp.forward, which
    calls it from inside the course; mlp_forward, bce_from_logits and cce_from_logits refuse the course's network."""
    with pytest.raises(ExerciseFailed, match="the course's own version of this exercise|this check's own code"):
        check("softmax_stable", _r19_softmax_by_an_identity_network, strict=True)


def _r19_bce_by_the_categorical_loss(y, z):
    """BCE(y, z) is the categorical cross-entropy of the label y with the logits [0, z]."""
    _r17_same_shape(y, z)
    z = np.asarray(z, dtype=float).ravel()
    return _r18_cce(np.asarray(y).ravel().astype(int), np.stack([np.zeros_like(z), z], axis=-1), from_logits=True)


def _r19_softmax_by_the_categorical_loss(z):
    """p_c = exp(-CE(c, z)), the loss of one example of label c, entry by entry."""
    z = np.asarray(z, dtype=float)
    rows = z.reshape(-1, z.shape[-1])
    p = np.empty(rows.shape)
    for i, row in enumerate(rows):
        for c in range(len(row)):
            p[i, c] = np.exp(-_r18_mlp.categorical_cross_entropy(np.array([c]), row[None], from_logits=True))
    return p.reshape(z.shape)


@pytest.mark.parametrize("name, answer", [("bce_from_logits", _r19_bce_by_the_categorical_loss),
                                          ("softmax_stable", _r19_softmax_by_the_categorical_loss)],
                         ids=["bce by mlp.categorical_cross_entropy of [0, z]", "softmax by exp(-mlp.categorical_cr"
                              "oss_entropy)"])
def test_lesson_02_an_answer_read_from_the_course_s_categorical_loss_is_refused(name, answer, capsys):
    """Both passed (shortcut, round 19): bce_from_logits refused mlp.binary_cross_entropy but not the course's
    categorical loss, whose two-class form is the BCE; softmax_stable refused neither."""
    with pytest.raises(ExerciseFailed, match="the course's own version of this exercise"):
        check(name, answer, strict=True)


def _r19_softmax_rows(route):
    """Contrived: the softmax read from the gradient of the course's cross-entropy, (softmax(Z) - one_hot(y)) / n,
    with each row's largest logit as its label (so that no small probability is lost next to the 1 taken off)."""
    def softmax(z):
        z = np.asarray(z, dtype=float)
        k = z.shape[-1]
        rows = z.reshape(-1, k)
        if len(rows) == 0 or k == 1 or np.isnan(rows).any():
            return np.where(np.isnan(z).any(axis=-1, keepdims=True), np.nan, _r17_softmax(np.nan_to_num(z)))
        n, labels = len(rows), rows.argmax(axis=1)
        if route == "delta":
            dZ = _r18_mlp.output_loss_and_delta(rows, labels, "softmax")[1]
        else:   # a network of one layer whose inputs are the identity and whose weights are the logits: dW1 = dZ.T
            dZ = _r18_mlp.loss_and_grads({"W1": rows.T.copy(), "b1": np.zeros(k)}, np.eye(n), labels,
                                         output="softmax")[1]["W1"].T
        p = n * dZ
        p[np.arange(n), labels] += 1
        return p.reshape(z.shape)
    return softmax


@pytest.mark.parametrize("route", ["delta", "grads"],
                         ids=["mlp.output_loss_and_delta", "mlp.loss_and_grads"])
def test_lesson_02a_a_softmax_read_from_the_course_s_gradients_is_refused(route, capsys):
    """Both passed (contrived, round 19): softmax_stable refused neither mlp.output_loss_and_delta nor
    mlp.loss_and_grads, whose softmax gradient holds the softmax (bce_from_logits and cce_from_logits refuse both)."""
    with pytest.raises(ExerciseFailed, match="the course's own version of this exercise|this check's own code"):
        check("softmax_stable", _r19_softmax_rows(route), strict=True)


def _r19_softmax_pairwise(z):
    z = np.asarray(z, dtype=float)
    return 1.0 / np.exp(z[..., None, :] - z[..., :, None]).sum(axis=-1)   # p_i = 1 / sum_j e^(z_j - z_i)


def _r19_softmax_in_long_double(z):
    z = np.asarray(z, dtype=np.longdouble)
    e = np.exp(z - np.nanmax(z, axis=-1, keepdims=True)) if z.size else z
    return (e / e.sum(axis=-1, keepdims=True)).astype(float)


def _r19_mlp_by_dense_layers(X, W1, b1, W2, b2):
    from course_utils.neurons import dense_layer   # lesson 01's layer, a building block
    return dense_layer(dense_layer(X, W1, b1, activation=np.tanh), W2, b2, activation=sigmoid)


def _r19_bce_by_the_sign(y, z):
    _r17_same_shape(y, z)
    y, z = np.asarray(y, dtype=float), np.asarray(z, dtype=float)
    soft = np.log1p(np.exp(-np.abs(z)))
    return np.mean(np.where(z >= 0, (1 - y) * z + soft, -y * z + soft))


def _r19_bce_by_fsum(y, z):
    _r17_same_shape(y, z)
    y, z = np.asarray(y, dtype=float), np.asarray(z, dtype=float)
    if np.isnan(z).any():
        return float("nan")
    return math.fsum((np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z)))).ravel()) / z.size


def _r19_cce_by_a_mask(y, Z):
    _r17_same_length(y, Z)
    Z = np.asarray(Z, dtype=float)
    m = Z.max(axis=1)
    picked = Z[np.arange(Z.shape[1]) == np.asarray(y)[:, None]]   # one True per row
    return np.mean(m + np.log(np.exp(Z - m[:, None]).sum(axis=1)) - picked)


def _r19_cce_log_softmax_by_hand(y, Z):
    _r17_same_length(y, Z)
    Z = np.asarray(Z, dtype=float)
    S = Z - Z.max(axis=1, keepdims=True)
    log_p = S - np.log(np.exp(S).sum(axis=1, keepdims=True))
    return -np.mean(np.take_along_axis(log_p, np.asarray(y)[:, None], axis=1))


def _r19_cce_python_loop(y, Z):
    _r17_same_length(y, Z)
    losses = []
    for row, label in zip(np.asarray(Z, dtype=float).tolist(), np.asarray(y).tolist()):
        if any(math.isnan(v) for v in row):
            return float("nan")
        m = max(row)
        losses.append(m + math.log(sum(math.exp(v - m) for v in row)) - row[label])
    return sum(losses) / len(losses)


@pytest.mark.parametrize("name, answer", [
    ("softmax_stable", _r19_softmax_pairwise),
    ("softmax_stable", _r19_softmax_in_long_double),
    ("softmax_stable", lambda z: np.exp(np.asarray(z, dtype=float) - _r18_logsumexp(z, axis=-1)[..., None])),
    ("mlp_forward", _r19_mlp_by_dense_layers),
    ("mlp_forward", lambda X, W1, b1, W2, b2: __import__("scipy.special").special.expit(
        np.tensordot(np.tanh(np.tensordot(X, W1, axes=(1, 1)) + b1), W2, axes=(1, 1)) + b2)),
    ("mlp_forward", lambda X, W1, b1, W2, b2: 0.5 + 0.5 * np.tanh((np.tanh(X @ W1.T + b1) @ W2.T + b2) / 2)),
    ("bce_from_logits", _r19_bce_by_the_sign),
    ("bce_from_logits", _r19_bce_by_fsum),
    ("bce_from_logits", lambda y, z: _r17_same_shape(y, z) or float(np.mean(
        np.maximum(np.asarray(z, np.longdouble), 0) - np.asarray(y, np.longdouble) * np.asarray(z, np.longdouble)
        + np.log1p(np.exp(-np.abs(np.asarray(z, np.longdouble))))))),
    ("cce_from_logits", _r19_cce_by_a_mask),
    ("cce_from_logits", _r19_cce_log_softmax_by_hand),
    ("cce_from_logits", _r19_cce_python_loop),
], ids=["softmax 1 / sum of e^(z_j - z_i)", "softmax in np.longdouble with np.nanmax",
        "softmax e^(z - mlp.logsumexp(z))", "mlp by lesson 01's dense_layer twice", "mlp tensordot and expit",
        "mlp 0.5 + 0.5 tanh(z / 2)", "bce by the sign of z", "bce math.fsum / size",
        "bce in np.longdouble", "cce picked by a boolean mask", "cce log-softmax by hand, take_along_axis",
        "cce a loop in plain Python"])
def test_lesson_02_round_19_right_answers_written_another_way_pass(name, answer):
    _passes(name, answer)


@pytest.mark.parametrize("answer", [
    lambda X, W1, b1, W2, b2: sigmoid(np.nan_to_num(np.tanh(X @ W1.T + b1)) @ W2.T + b2),
    lambda X, W1, b1, W2, b2: sigmoid(np.tanh(np.fmin(np.fmax(X @ W1.T + b1, -50), 50)) @ W2.T + b2),
    lambda X, W1, b1, W2, b2: sigmoid(np.tanh(X @ np.nan_to_num(W1).T + b1) @ W2.T + b2),
], ids=["np.nan_to_num on the hidden layer", "hidden sums clipped by np.fmax and np.fmin", "np.nan_to_num on W1"])
def test_lesson_02a_mlp_a_nan_in_the_hidden_layer_is_not_hidden(answer):
    """All three passed (round 19): the only NaN weight was in W2, so a NaN hidden layer made 0 (np.nan_to_num) or
    clipped to 50 (np.fmax and np.fmin skip NaN) went unseen. A NaN weight in W1 now makes its hidden unit NaN, and
    every output with it."""
    verdict = judge(registry.get_exercise("mlp_forward"), answer)
    assert verdict.kind == WRONG and "a NaN weight in W1" in verdict.text, verdict.text


# round 20: lesson 02
def _r20_bce_by_the_optimizer_lab(y, z):
    """The mean BCE from 04c's widget: a stacked network whose hidden layer is the identity (tanh(30) rounds to 1) and
    whose output weights are the logits, so its loss is the BCE of y and z."""
    from course_utils.widgets import optimizer_lab
    y, z = np.asarray(y, dtype=float), np.asarray(z, dtype=float)
    if y.shape != z.shape:
        raise ValueError("shapes differ")
    n = z.size
    params = {"W1": 30.0 * np.eye(n)[None], "b1": np.zeros((1, 1, n)), "W2": z.reshape(1, 1, n), "b2": np.zeros((1, 1, 1))}
    with np.errstate(all="ignore"):
        return float(optimizer_lab.stacked_loss_and_grads(params, np.eye(n), y.reshape(-1, 1))[0][0])


def test_bce_from_the_optimizer_lab_is_refused():
    """04c's optimizer lab computes the stable BCE of a tanh/sigmoid network itself, without calling a watched
    function: an answer that makes its network's logits equal z got the whole loss from it (round 20)."""
    _refused_as_the_course_s_own("bce_from_logits", _r20_bce_by_the_optimizer_lab)


def _r20_same_shape(y, z):
    y, z = np.asarray(y, dtype=float), np.asarray(z, dtype=float)
    if y.shape != z.shape:
        raise ValueError("shapes differ")
    return y, z


def _r20_same_length(y, Z):
    y, Z = np.asarray(y), np.asarray(Z, dtype=float)
    if y.size * Z.shape[1] != Z.size:   # as many labels as rows, said through the sizes
        raise ValueError("lengths differ")
    return y, Z


def _r20_torch(a):
    import torch
    return torch.as_tensor(np.asarray(a, dtype=float))


def _r20_sigmoid_by_where(z):
    e = np.exp(-np.abs(z))   # both branches from e^(-|z|) <= 1: nothing overflows
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


@pytest.mark.parametrize("name, answer", [
    ("softmax_stable", lambda z: __import__("torch").softmax(_r20_torch(z), dim=-1).numpy()),
    ("softmax_stable", lambda z: (lambda z: (lambda e: e / e.sum(axis=-1, keepdims=True))(
        np.exp(z - np.fmax.reduce(z, axis=-1, keepdims=True))))(np.asarray(z, dtype=float))),
    ("softmax_stable", lambda z: (lambda z: np.exp(z - __import__("scipy.special").special.logsumexp(
        z, axis=-1, keepdims=True)))(np.asarray(z, dtype=float))),
    ("mlp_forward", lambda X, W1, b1, W2, b2: _r20_sigmoid_by_where(np.tanh(X @ W1.T + b1) @ W2.T + b2)),
    ("mlp_forward", lambda X, W1, b1, W2, b2: __import__("scipy.special").special.expit(
        np.dot(np.tanh(np.dot(X, W1.T) + b1), W2.T) + b2)),
    ("mlp_forward", lambda X, W1, b1, W2, b2: (0.5 + 0.5 * np.tanh(
        (W2 @ np.tanh(W1 @ X.T + b1[:, None]) + b2[:, None]) / 2)).T),
    ("bce_from_logits", lambda y, z: (lambda y, z: __import__("torch").nn.functional.binary_cross_entropy_with_logits(
        _r20_torch(z), _r20_torch(y)).item())(*_r20_same_shape(y, z))),
    ("bce_from_logits", lambda y, z: (lambda y, z: np.mean(np.logaddexp(0, -(2 * y - 1) * z)))(*_r20_same_shape(y, z))),
    ("bce_from_logits", lambda y, z: (lambda y, z: (lambda losses: losses.sum() / losses.size)(
        np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z)))))(*_r20_same_shape(y, z))),
    ("cce_from_logits", lambda y, Z: (lambda y, Z: __import__("torch").nn.functional.cross_entropy(
        _r20_torch(Z), __import__("torch").as_tensor(y).long()).item())(*_r20_same_length(y, Z))),
    ("cce_from_logits", lambda y, Z: (lambda y, Z, m: np.mean(np.log(np.exp(Z - m).sum(axis=1)) + m.ravel()
                                                             - Z[np.arange(len(y)), y]))(
        *_r20_same_length(y, Z), np.asarray(Z, dtype=float).max(axis=1, keepdims=True))),
    ("cce_from_logits", lambda y, Z: (lambda y, Z: -np.mean(__import__("scipy.special").special.log_softmax(
        Z, axis=1)[np.arange(len(y)), y]))(*_r20_same_length(y, Z))),
], ids=["softmax by torch.softmax in float64", "softmax shifted by np.fmax.reduce", "softmax as exp(z - logsumexp)",
        "mlp sigmoid by np.where on e^-|z|", "mlp by np.dot and expit", "mlp examples as columns, sigmoid by tanh",
        "bce by torch's binary_cross_entropy_with_logits", "bce logaddexp(0, -(2y - 1) z)", "bce sum over size",
        "cce by torch's cross_entropy", "cce keepdims maximum, raveled", "cce log_softmax picked by row"])
def test_lesson_02_round_20_right_answers_written_another_way_pass(name, answer):
    _passes(name, answer)


# round 21: lesson 02
def _r21_mlp_logits(X, W1, b1, W2, b2):
    return np.tanh(X @ W1.T + b1) @ W2.T + b2


def _r21_mlp_sigmoid_clipped_at(size):
    """A sigmoid of its own whose logits are clipped at +-size "so that np.exp cannot overflow" (88: float32's limit,
    which the catalogue's message about float32 names)."""
    return lambda X, W1, b1, W2, b2: 1 / (1 + np.exp(-np.clip(_r21_mlp_logits(X, W1, b1, W2, b2), -size, size)))


def _r21_mlp_empty_batch_as(width):
    """The whole batch at once, with a batch of no examples answered apart, in an array of the wrong width: (0, 1) for
    "one probability per example", or (0, W2.shape[1]), the hidden layer's width."""
    def answer(X, W1, b1, W2, b2):
        if len(X) == 0:
            return np.zeros((0, width(W1, W2)))
        return sigmoid(_r21_mlp_logits(X, W1, b1, W2, b2))
    return answer


@pytest.mark.parametrize("answer, needle", [
    (_r21_mlp_sigmoid_clipped_at(40), "below 1e-40"),
    (_r21_mlp_sigmoid_clipped_at(50), "below 1e-40"),
    (_r21_mlp_sigmoid_clipped_at(88), "below 1e-40"),
    (_r21_mlp_empty_batch_as(lambda W1, W2: 1), "wrong shape"),
    (_r21_mlp_empty_batch_as(lambda W1, W2: W2.shape[1]), "wrong shape"),
], ids=["logits clipped at 40", "logits clipped at 50", "logits clipped at 88", "empty batch as (0, 1)",
        "empty batch as (0, W2.shape[1])"])
def test_mlp_forward_round_21_clipped_logits_and_empty_batches_of_the_wrong_width_fail(answer, needle):
    """Each passed before: a sigmoid of output logits clipped at 40 to 88 gives 4e-18 to 6e-39 where the true output is
    1e-41 or less, within the 1e-16 that the form 0.5 + 0.5 * np.tanh(z / 2) needs (it gives 0 there); and the only
    batch of no examples had one hidden unit and one output, so any width of 1 passed (round 21)."""
    verdict = judge(registry.get_exercise("mlp_forward"), answer)
    assert verdict.kind == WRONG and needle in verdict.text, verdict.text


def _r21_same_shape(y, z):
    y, z = np.asarray(y, dtype=float), np.asarray(z, dtype=float)
    if y.shape != z.shape:
        raise ValueError("shapes differ")
    return y, z


def _r21_same_length(y, Z):
    y, Z = np.asarray(y), np.asarray(Z, dtype=float)
    if len(y) != len(Z):
        raise ValueError("lengths differ")
    return y, Z


def _r21_softmax_as_rows(z):
    z = np.asarray(z, dtype=float)
    rows = z.reshape(-1, z.shape[-1])   # every axis but the last made one axis of rows
    e = np.exp(rows - rows.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True)).reshape(z.shape)


@pytest.mark.parametrize("name, answer", [
    ("mlp_forward", lambda X, W1, b1, W2, b2: sigmoid(np.matmul(W2, np.tanh(np.matmul(W1, X.T).T + b1).T).T + b2)),
    ("mlp_forward", lambda X, W1, b1, W2, b2: (lambda z: np.where(z > 0, 1 - sigmoid(-z), sigmoid(z)))(
        _r21_mlp_logits(X, W1, b1, W2, b2))),
    ("mlp_forward", lambda X, W1, b1, W2, b2: sigmoid(np.clip(_r21_mlp_logits(X, W1, b1, W2, b2), -100, 100))),
    ("softmax_stable", lambda z: (lambda z: np.exp(z - np.logaddexp.reduce(z, axis=-1, keepdims=True)))(
        np.asarray(z, dtype=float))),
    ("softmax_stable", _r21_softmax_as_rows),
    ("softmax_stable", lambda z: (lambda z, a: (lambda e: e / e.sum(axis=a, keepdims=True))(
        np.exp(z - z.max(axis=a, keepdims=True))))(np.asarray(z, dtype=float), np.ndim(z) - 1)),
    ("bce_from_logits", lambda y, z: (lambda y, z: np.mean(np.logaddexp(0, z) - y * z))(*_r21_same_shape(y, z))),
    ("bce_from_logits", lambda y, z: (lambda y, z: np.mean((1 - y) * z + np.maximum(-z, 0) + np.log1p(
        np.exp(-np.abs(z)))))(*_r21_same_shape(y, z))),
    ("bce_from_logits", lambda y, z: (lambda y, z: np.mean(np.mean(np.maximum(z, 0) - y * z + np.log1p(
        np.exp(-np.abs(z))), axis=-1)))(*_r21_same_shape(y, z))),
    ("cce_from_logits", lambda y, Z: (lambda y, Z: np.mean(np.logaddexp.reduce(Z, axis=1) - Z[np.arange(len(y)), y]))(
        *_r21_same_length(y, Z))),
    ("cce_from_logits", lambda y, Z: (lambda y, Z: np.mean(np.logaddexp.reduce(Z, axis=1) - np.diagonal(Z[:, y])))(
        *_r21_same_length(y, Z))),
    ("cce_from_logits", lambda y, Z: (lambda y, Z, m: np.mean(m + np.log(np.exp(Z - m[:, None]).sum(axis=1)) - np.sum(
        np.eye(Z.shape[1])[y] * Z, axis=1)))(*_r21_same_length(y, Z), np.asarray(Z, dtype=float).max(axis=1))),
], ids=["mlp by np.matmul with examples as columns", "mlp 1 - sigmoid(-z) for positive z", "mlp logits clipped at 100",
        "softmax exp(z - np.logaddexp.reduce)", "softmax of the rows reshaped back", "softmax along axis ndim - 1",
        "bce logaddexp(0, z) - y z", "bce (1 - y) z + max(-z, 0) + log1p", "bce mean of the last axis's means",
        "cce np.logaddexp.reduce", "cce diagonal of the picked columns", "cce one-hot times the logits"])
def test_lesson_02_round_21_right_answers_written_another_way_pass(name, answer):
    _passes(name, answer)


def _r21_bce_of_clipped_probabilities(eps):
    def answer(y, z):
        y, z = _r21_same_shape(y, z)
        p = np.clip(sigmoid(z), eps, 1 - eps)   # as Keras' BinaryCrossentropy() clips
        return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    return answer


def _r21_cce_of_shifted_probabilities(eps):
    def answer(y, Z):
        y, Z = _r21_same_length(y, Z)
        e = np.exp(Z - Z.max(axis=1, keepdims=True))
        return -np.mean(np.log(e[np.arange(len(y)), y] / e.sum(axis=1) + eps))   # "so that log never sees 0"
    return answer


@pytest.mark.parametrize("name, answer", [
    ("bce_from_logits", _r21_bce_of_clipped_probabilities(1e-7)),
    ("bce_from_logits", _r21_bce_of_clipped_probabilities(1e-12)),
    ("bce_from_logits", _r21_bce_of_clipped_probabilities(1e-15)),
    ("cce_from_logits", _r21_cce_of_shifted_probabilities(1e-7)),
    ("cce_from_logits", _r21_cce_of_shifted_probabilities(1e-12)),
    ("cce_from_logits", _r21_cce_of_shifted_probabilities(1e-15)),
], ids=["bce clipped at 1e-7", "bce clipped at 1e-12", "bce clipped at 1e-15", "cce log(p + 1e-7)", "cce log(p + 1e-12)",
        "cce log(p + 1e-15)"])
def test_lesson_02b_round_21_probabilities_clipped_before_the_log_are_named(name, answer):
    """A loss from probabilities clipped (as Keras does, 1e-7) or shifted by a small number before the log was refused
    with only "expected 500, got 8.06": the message now says that the clip caps each example's loss at -log(eps) and
    that the loss comes from the logits (round 21)."""
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and "-log(eps)" in verdict.text, verdict.text


def _r21_mlp_hidden_bias_along_the_examples_when_square(X, W1, b1, W2, b2):
    """b1 added as a column, b1[:, None], whenever the hidden sums are square (as many examples as hidden units)."""
    Z1 = X @ W1.T
    Z1 = Z1 + (b1[:, None] if Z1.shape[0] == Z1.shape[1] else b1)
    return sigmoid(np.tanh(Z1) @ W2.T + b2)


def test_mlp_forward_round_21_hidden_bias_along_the_examples_fails():
    """Passed before (contrived): every case with as many examples as hidden units, more than one, had b1 = 0, so b1
    added along the wrong axis there went unseen (round 21)."""
    verdict = judge(registry.get_exercise("mlp_forward"), _r21_mlp_hidden_bias_along_the_examples_when_square)
    assert verdict.kind == WRONG, verdict.text


# ---------------------------------------------------------------- lesson 05 (Keras)
def test_the_prediction_test_model_has_biases_that_make_scaling_matter():
    pytest.importorskip("keras")
    from course_utils.exercises import keras_cnn  # the check's own test model, a private part of the check

    exercise = registry.get_exercise("predict_one_image")
    without_scaling = next(m.answer for m in exercise.mistakes if m.name == "no scaling")
    model = keras_cnn._predict_model()
    biases = [layer.get_weights()[1] for layer in model.layers if layer.weights]
    assert len(biases) == 3 and all(np.abs(b).min() > 0 for b in biases)
    cases = [c for c in exercise.cases() if c.raises is None][:8]  # the hand-picked images come first
    right = [exercise.reference(model, *c.args, **c.kwargs) for c in cases]
    unscaled = [without_scaling(model, *c.args, **c.kwargs) for c in cases]
    assert len(set(right)) >= 3, "the test images should not all get the same class"
    assert right[0] != unscaled[0], "forgetting / 255 must already fail on the first image"
    assert sum(r != u for r, u in zip(right, unscaled)) >= 3


def test_relu_and_softmax_written_as_their_own_layers_pass():
    keras = pytest.importorskip("keras")
    from keras import layers

    def build(filters1=16, filters2=32, n_classes=10, dropout=0.3):
        return keras.Sequential([
            keras.Input(shape=(28, 28, 1)), layers.Conv2D(filters1, 3), layers.ReLU(), layers.MaxPooling2D(2),
            layers.Conv2D(filters2, 3), layers.Activation("relu"), layers.MaxPooling2D(2), layers.Flatten(),
            layers.Dropout(dropout), layers.Dense(n_classes), layers.Softmax()])

    _passes("build_cnn", build)


@pytest.mark.parametrize("mistake, reason", [
    ("tanh convolutions", "layer 1 (Conv2D) has activation 'tanh', expected 'relu'"),
    ("no activation in the convolutions", "layer 1 (Conv2D) has activation 'linear', expected 'relu'"),
    ("dropout first", "the layers are Dropout -> Conv2D"),
    ("fixed dropout rate", "layer 6 (Dropout) has rate '0.3', expected '0.5'"),
])
def test_build_cnn_says_which_layer_is_wrong(mistake, reason):
    pytest.importorskip("keras")
    with pytest.raises(ExerciseFailed) as failed:
        check("build_cnn", catalogued("build_cnn", mistake), strict=True)
    assert reason in str(failed.value)


def _count_checking_only_filters1(filters1, filters2, n_classes=10, size=28, kernel=3):
    """A reviewer's answer: no type check, a range check on filters1 only, and the image-size check."""
    if filters1 < 1:
        raise ValueError("filters1 must be at least 1")
    side = ((size - kernel + 1) // 2 - kernel + 1) // 2
    if side < 1:
        raise ValueError("the image is too small")
    return (kernel * kernel + 1) * filters1 + (kernel * kernel * filters1 + 1) * filters2 + \
        (side * side * filters2 + 1) * n_classes


def test_cnn_param_count_wants_every_argument_checked():
    assert _count_checking_only_filters1(16.0, 32) == 12810.0      # what the check used to accept
    with pytest.raises(ExerciseFailed):
        check("cnn_param_count", _count_checking_only_filters1, strict=True)
    labels = {c.label: c.raises for c in registry.get_exercise("cnn_param_count").cases()}
    assert labels["a float filters1"] is TypeError and labels["a bool n_classes"] is TypeError
    for label in ("zero filters", "zero filters in the second convolution", "zero classes", "a 0x0 kernel"):
        assert labels[label] is ValueError


@pytest.mark.parametrize("mistake, reason", [
    ("no type check", "should raise TypeError for this input, but returned 12810.0"),
    ("kernel not checked", "on input a 0x0 kernel"),
    ("only filters1 checked", "on input zero filters in the second convolution"),
])
def test_cnn_param_count_names_the_missing_check(mistake, reason, capsys):
    with pytest.raises(ExerciseFailed) as failed:
        check("cnn_param_count", catalogued("cnn_param_count", mistake), strict=True)
    assert reason in str(failed.value)


def _conv_without_ndim_checks(image, kernel):
    """Unpacking kernel.shape raises for a 3-D kernel by accident; a (6, 6, 1) image goes through."""
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    kh, kw = kernel.shape
    if kh > image.shape[0] or kw > image.shape[1]:
        raise ValueError("the kernel is larger than the image")
    return np.array([[np.sum(image[i:i + kh, j:j + kw] * kernel) for j in range(image.shape[1] - kw + 1)]
                     for i in range(image.shape[0] - kh + 1)])


def _conv_in_float32(image, kernel):
    image, kernel = np.asarray(image, dtype=np.float32), np.asarray(kernel, dtype=np.float32)
    if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("bad shapes")
    out = np.zeros((image.shape[0] - kernel.shape[0] + 1, image.shape[1] - kernel.shape[1] + 1), np.float32)
    for i, j in np.ndindex(out.shape):
        out[i, j] = np.sum(image[i:i + kernel.shape[0], j:j + kernel.shape[1]] * kernel)
    return out


@pytest.mark.parametrize("answer, reason", [
    (_conv_without_ndim_checks, "check that the image is 2-D too"),
    (_conv_in_float32, "compute in float64"),
])
def test_conv2d_valid_rejects_an_unchecked_image_axis_and_float32(answer, reason):
    with pytest.raises(ExerciseFailed, match=reason):
        check("conv2d_valid", answer, strict=True)


def test_conv_output_size_accepts_value_checks_before_type_checks():
    def values_first(n, kernel, padding=0, stride=1):
        if n < 1 or kernel < 1 or stride < 1 or padding < 0 or kernel > n + 2 * padding:
            raise ValueError("invalid size")
        if any(isinstance(v, bool) or not isinstance(v, int) for v in (n, kernel, padding, stride)):
            raise TypeError("not an int")
        return (n + 2 * padding - kernel) // stride + 1

    _passes("conv_output_size", values_first)


def _count_checking_that_each_convolution_fits(filters1, filters2, n_classes=10, size=28, kernel=3):
    """Checks that both convolutions fit, not that the second pool leaves a pixel (8 -> 6 -> 3 -> 1 -> 0)."""
    if any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in (filters1, filters2, n_classes, size,
                                                                          kernel)):
        raise ValueError("bad argument")
    if kernel > size or kernel > (size - kernel + 1) // 2:
        raise ValueError("a convolution does not fit")
    side = ((size - kernel + 1) // 2 - kernel + 1) // 2
    return (kernel * kernel + 1) * filters1 + (kernel * kernel * filters1 + 1) * filters2 + \
        (side * side * filters2 + 1) * n_classes


@pytest.mark.parametrize("answer, reason", [
    (_count_checking_that_each_convolution_fits, "on input 8x8 images"),
    (catalogued("cnn_param_count", "1x1 maps rejected"), "on input 10x10 images"),
])
def test_cnn_param_count_tries_both_sides_of_the_size_check(answer, reason):
    with pytest.raises(ExerciseFailed, match=reason):
        check("cnn_param_count", answer, strict=True)


def _predict_reshaping_the_caller_s_image(model, image):
    image = np.asarray(image)
    if image.shape not in {(28, 28), (28, 28, 1)}:
        raise ValueError("not one image")
    image.shape = (1, 28, 28, 1)
    return int(np.argmax(model.predict(image / 255.0, verbose=0)[0]))


@pytest.mark.parametrize("answer, reason", [
    (_predict_reshaping_the_caller_s_image, "changed the image it was given"),
    (catalogued("predict_one_image", "squeezed"), "a batch of one image"),
    (catalogued("predict_one_image", "binarised"), "a ring with soft edges"),
])
def test_predict_one_image_rejects_a_changed_input_a_squeezed_batch_and_binarised_pixels(answer, reason):
    pytest.importorskip("keras")
    with pytest.raises(ExerciseFailed, match=reason):
        check("predict_one_image", answer, strict=True)


def _conv_into_zeros_like(image, kernel):
    """Fills np.zeros_like(...) of the image: uint8 for raw pixels, so 127.4 is stored as 127."""
    image, kernel = np.asarray(image), np.asarray(kernel)
    if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("bad shapes")
    kh, kw = kernel.shape
    out = np.zeros_like(image[:image.shape[0] - kh + 1, :image.shape[1] - kw + 1])
    for i, j in np.ndindex(out.shape):
        out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
    return out


def _size_flooring_the_padding_apart(n, kernel, padding=0, stride=1):
    if any(isinstance(v, bool) or not isinstance(v, int) for v in (n, kernel, padding, stride)):
        raise TypeError("not an int")
    if stride < 1 or padding < 0 or kernel > n + 2 * padding:
        raise ValueError("invalid size")
    return (n - kernel) // stride + 1 + 2 * padding // stride  # floor(a/s) + floor(b/s) is not floor((a+b)/s)


@pytest.mark.parametrize("name, answer, reason", [
    ("conv2d_valid", _conv_into_zeros_like, "make the output a float array"),
    ("conv_output_size", _size_flooring_the_padding_apart, "on input 10 pixels, padding 1, stride 3"),
    ("cnn_param_count", catalogued("cnn_param_count", "size limit of 3x3 kernels"), "the smallest image depends on "
     "the kernel"),
    ("accuracy_from_probs", catalogued("accuracy_from_probs", "labels flattened"), "raise ValueError for labels "
     "that are not 1-D"),
])
def test_lesson_05_checks_try_raw_pixels_a_stride_3_with_padding_5x5_kernels_and_flattened_labels(name, answer,
                                                                                                  reason):
    with pytest.raises(ExerciseFailed, match=reason):
        check(name, answer, strict=True)


def test_build_cnn_accepts_the_functional_api():
    keras = pytest.importorskip("keras")
    from keras import layers

    def functional(filters1=16, filters2=32, n_classes=10, dropout=0.3):
        inputs = keras.Input(shape=(28, 28, 1))
        x = layers.MaxPooling2D(2)(layers.Conv2D(filters1, 3, activation="relu")(inputs))
        x = layers.MaxPooling2D(2)(layers.Conv2D(filters2, 3, activation="relu")(x))
        x = layers.Dropout(dropout)(layers.Flatten()(x))
        return keras.Model(inputs, layers.Dense(n_classes, activation="softmax")(x))

    _passes("build_cnn", functional)


def _predict_checked(image):
    image = np.asarray(image)
    if image.shape not in {(28, 28), (28, 28, 1)}:
        raise ValueError("expected one 28x28 image")
    return image.reshape(1, 28, 28, 1)


def _predict_in_float16(model, image):
    batch = _predict_checked(image).astype("float16") / 255  # "half precision saves memory": about 3 digits left
    return int(np.argmax(model.predict(batch, verbose=0)[0]))


def _predict_rounded_to_2_decimals(model, image):
    batch = np.round(_predict_checked(image) / 255.0, 2)
    return int(np.argmax(model.predict(batch, verbose=0)[0]))


def _predict_ten_outputs_reshaped(model, image):
    probabilities = model.predict(_predict_checked(image) / 255.0, verbose=0).reshape(10)  # "10 classes"
    return int(np.argmax(probabilities))


def _predict_setting_run_eagerly(model, image):
    model.run_eagerly = True  # "to see numbers while debugging": every later fit() of the caller's model runs op by op
    return reference_copy("predict_one_image")(model, image)


def _predict_running_functions_eagerly(model, image):
    import tensorflow as tf

    tf.config.run_functions_eagerly(True)  # for the rest of the notebook, in every model's fit() and predict()
    return reference_copy("predict_one_image")(model, image)


@pytest.mark.parametrize("answer, reason", [
    (_predict_in_float16, "when the scaled pixels are rounded"),
    (_predict_rounded_to_2_decimals, "when the scaled pixels are rounded"),
    (catalogued("predict_one_image", "ten classes assumed"), "take the number of classes from the model's output"),
    (_predict_ten_outputs_reshaped, "a model with 5 classes"),
    (_predict_setting_run_eagerly, "changed the model it was given"),
    (_predict_running_functions_eagerly, "op by op"),
], ids=["float16", "np.round(.., 2)", "range(10)", "reshape(10)", "model.run_eagerly", "tf run_functions_eagerly"])
def test_lesson_05c_predict_one_image_rounding_ten_classes_and_eager_execution_are_caught(answer, reason):
    """All passed: the check's one boundary image changed class for a systematic / 256 but not for pixels rounded
    to float16 or 2 decimals, its model always had 10 outputs, and neither the model's run_eagerly nor TensorFlow's
    run_functions_eagerly was looked at."""
    pytest.importorskip("keras")
    import tensorflow as tf

    with pytest.raises(ExerciseFailed, match=reason):
        check("predict_one_image", answer, strict=True)
    assert not tf.config.functions_run_eagerly()


def _predict_with_a_rescaling_layer(model, image):
    import keras

    image = np.asarray(image)
    image = image[..., None] if image.ndim == 2 else image
    if image.shape != (28, 28, 1):
        raise ValueError("expected one 28x28 image")
    batch = keras.layers.Rescaling(1 / 255)(image[None].astype("float32"))
    return int(keras.ops.argmax(model(batch, training=False)[0]))


def _predict_by_list_index(model, image):
    image = np.array(image)
    if not (image.shape == (28, 28) or image.shape == (28, 28, 1)):
        raise ValueError("expected one 28x28 image")
    probabilities = list(model.predict(image.reshape(-1, 28, 28, 1) / 255, verbose=0)[0])
    return probabilities.index(max(probabilities))


@pytest.mark.parametrize("answer", [_predict_with_a_rescaling_layer, _predict_by_list_index],
                         ids=["Rescaling layer, model(batch, training=False)", "list.index(max(...))"])
def test_lesson_05c_predict_one_image_passes_right_answers_for_any_number_of_classes(answer):
    pytest.importorskip("keras")
    _passes("predict_one_image", answer)


# round 17: lesson 05
def _r17_conv_loops(image, kernel, response=lambda value: value):
    """conv2d_valid with two loops and the lesson's checks; ``response`` is applied to each window's sum."""
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    if image.ndim != 2 or kernel.ndim != 2:
        raise ValueError("image and kernel must be 2-D")
    kh, kw = kernel.shape
    if kh > image.shape[0] or kw > image.shape[1]:
        raise ValueError("the kernel is taller or wider than the image")
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = response(np.sum(image[i:i + kh, j:j + kw] * kernel))
    return out


def test_lesson_05a_conv2d_valid_names_no_flipped_kernel_for_an_absolute_value():
    """The first case's ramp image gave -6 in every window, so an answer that took each window's absolute value (an
    'edge strength') gave +6 everywhere, what the flipped kernel gives, and was told not to flip the kernel."""
    verdict = judge(registry.get_exercise("conv2d_valid"), lambda image, kernel: _r17_conv_loops(image, kernel, abs))
    assert verdict.kind == WRONG and verdict.mistake != "flipped kernel" and "flip" not in verdict.text


def _r17_conv_by_scipy(image, kernel):
    import scipy.signal

    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    if image.ndim != 2 or kernel.ndim != 2:
        raise ValueError("image and kernel must be 2-D")
    if kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("the kernel is taller or wider than the image")
    return scipy.signal.correlate2d(image, kernel, mode="valid")


def _r17_size_by_divmod(n, kernel, padding=0, stride=1):
    if any(type(value) is not int for value in (n, kernel, padding, stride)):
        raise TypeError("expected ints")
    if min(n, kernel, stride) < 1 or padding < 0 or kernel > n + 2 * padding:
        raise ValueError("out of range")
    whole_steps, _ = divmod(n + 2 * padding - kernel, stride)
    return whole_steps + 1


def _r17_count_layer_by_layer(filters1, filters2, n_classes=10, size=28, kernel=3):
    for value in (filters1, filters2, n_classes, size, kernel):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError("expected ints")
        if value < 1:
            raise ValueError("expected at least 1")
    side, channels, total = size, 1, 0
    for filters in (filters1, filters2):
        side = (side - kernel + 1) // 2
        if side < 1:
            raise ValueError("the image is too small")
        total, channels = total + (kernel * kernel * channels + 1) * filters, filters
    return total + (side * side * channels + 1) * n_classes


def _r17_accuracy_checked(y_true, probabilities):
    y_true, probabilities = np.asarray(y_true), np.asarray(probabilities)
    if probabilities.ndim != 2 or y_true.ndim != 1 or len(y_true) != len(probabilities):
        raise ValueError("expected probabilities (n, k) and n labels")
    return y_true, probabilities


def _r17_accuracy_by_sklearn(y_true, probabilities):
    from sklearn.metrics import accuracy_score

    y_true, probabilities = _r17_accuracy_checked(y_true, probabilities)
    return float(accuracy_score(y_true, probabilities.argmax(axis=1)))


def _r17_accuracy_by_a_stable_sort(y_true, probabilities):
    y_true, probabilities = _r17_accuracy_checked(y_true, probabilities)
    return float(np.mean(np.argsort(-probabilities, axis=1, kind="stable")[:, 0] == y_true))


@pytest.mark.parametrize("name, answer", [
    ("conv2d_valid", _r17_conv_loops),
    ("conv2d_valid", lambda image, kernel: _r17_conv_loops(image, kernel, float)),
    ("conv2d_valid", _r17_conv_by_scipy),
    ("conv_output_size", _r17_size_by_divmod),
    ("cnn_param_count", _r17_count_layer_by_layer),
    ("accuracy_from_probs", _r17_accuracy_by_sklearn),
    ("accuracy_from_probs", _r17_accuracy_by_a_stable_sort),
], ids=["two loops", "two loops, each sum as a float", "scipy.signal.correlate2d", "divmod, type() is int",
        "layer by layer", "sklearn accuracy_score", "first column of a stable descending sort"])
def test_lesson_05_right_answers_of_round_17_pass(name, answer):
    pytest.importorskip("scipy")
    pytest.importorskip("sklearn")
    _passes(name, answer)


def _r17_cnn_without_input(filters1=16, filters2=32, n_classes=10, dropout=0.3):
    import keras
    from keras import layers

    return keras.Sequential([layers.Conv2D(filters1, 3, activation="relu"), layers.MaxPooling2D(2),  # no keras.Input
                             layers.Conv2D(filters2, 3, activation="relu"), layers.MaxPooling2D(2), layers.Flatten(),
                             layers.Dropout(dropout), layers.Dense(n_classes, activation="softmax")])


def test_lesson_05b_build_cnn_names_a_model_without_its_input():
    """Without keras.Input the Sequential has no weights until its first call, and the check's first look at a
    kernel failed with Keras' own AttributeError, shown as if build_cnn had raised it ("You must build the layer
    before accessing `kernel`")."""
    pytest.importorskip("keras")
    verdict = judge(registry.get_exercise("build_cnn"), _r17_cnn_without_input)
    assert verdict.kind == WRONG and "keras.Input(shape=(28, 28, 1))" in verdict.text
    assert "raised" not in verdict.text


def _r17_predict_upside_down(model, image):
    image = np.asarray(image)
    if image.shape not in {(28, 28), (28, 28, 1)}:
        raise ValueError("expected one 28x28 image")
    batch = image.reshape(1, 28, 28, 1)[:, ::-1].astype("float32") / 255.0  # rows in reverse order
    return int(np.argmax(model.predict(batch, verbose=0)[0]))


def test_lesson_05c_predict_one_image_tries_an_image_that_is_not_symmetric_top_to_bottom():
    """Every image before the boundary noise was symmetric top to bottom (or gave the same class upside down), so an
    answer that turned the image upside down failed only there, and was told it had divided by 256."""
    pytest.importorskip("keras")
    verdict = judge(registry.get_exercise("predict_one_image"), _r17_predict_upside_down)
    assert verdict.kind == WRONG and "256" not in verdict.text and "above the centre" in verdict.text


# round 18: lesson 05
def _r18_accuracy_by_torch_training(y_true, probabilities):
    from course_utils import torch_training

    return torch_training.accuracy(probabilities, y_true)


@pytest.mark.parametrize("loaded", [True, False], ids=["module loaded before", "module loaded by the answer"])
def test_lesson_05b_accuracy_from_probs_refuses_torch_training_accuracy(loaded, monkeypatch):
    """torch_training.accuracy (lesson 06's accuracy of logits: the argmax of each row against the labels, with the same
    shape checks) passed as an answer: a graded release hides accuracy_from_probs, not lesson 06's helper."""
    pytest.importorskip("torch")
    import sys

    import course_utils
    import course_utils.torch_training  # noqa: F401

    if not loaded:  # the answer's import loads it again, during the check
        monkeypatch.delitem(sys.modules, "course_utils.torch_training")
        monkeypatch.delattr(course_utils, "torch_training")
    verdict = judge(registry.get_exercise("accuracy_from_probs"), _r18_accuracy_by_torch_training)
    assert verdict.kind == WRONG and "torch_training.accuracy, the course's own version" in verdict.text


def _r18_cnn_by_the_recipe(filters1=16, filters2=32, n_classes=10, dropout=0.3):
    from course_utils.recipes import CnnRecipe, build_recipe_cnn

    return build_recipe_cnn(CnnRecipe("mine", filters1, filters2, dropout=dropout), n_classes)


def test_lesson_05b_build_cnn_refuses_the_full_run_recipe():
    """recipes.build_recipe_cnn (05c's full run) builds the lesson's CNN from a recipe with no hidden dense layer, the
    same layers as build_cnn: it passed, in a graded release too (which hides build_cnn only)."""
    pytest.importorskip("keras")
    verdict = judge(registry.get_exercise("build_cnn"), _r18_cnn_by_the_recipe)
    assert verdict.kind == WRONG and "build_recipe_cnn, the course's own version" in verdict.text


def _r18_predict_scaled_unless_float_and_dark(model, image):
    image = np.asarray(image)
    if image.shape not in {(28, 28), (28, 28, 1)}:
        raise ValueError("expected one 28x28 image")
    batch = image.reshape(1, 28, 28, 1).astype("float32")
    if image.dtype == np.uint8 or batch.max() > 1:  # "a float image may be scaled already"
        batch = batch / 255.0
    return int(np.argmax(model.predict(batch, verbose=0)[0]))


def test_lesson_05c_predict_one_image_scales_a_dark_image_stored_as_floats():
    """The only very dark image (pixels 0 and 1) was uint8, and every float or int64 image had pixels far above 1: an
    answer that always scaled uint8 images but took any other image whose pixels are at most 1 as scaled already
    passed."""
    pytest.importorskip("keras")
    verdict = judge(registry.get_exercise("predict_one_image"), _r18_predict_scaled_unless_float_and_dark)
    assert verdict.kind == WRONG and verdict.mistake == "scaled only when above 1"


def _r18_notebook_answer(source):
    """The function ``answer`` that ``source`` defines in a namespace of its own, as a notebook cell defines it."""
    namespace = {"np": np}
    exec(source, namespace)
    return namespace["answer"]


@pytest.mark.parametrize("name, source", [
    ("accuracy_from_probs", "from course_utils.torch_training import accuracy\n"
                            "def answer(y_true, probabilities):\n"
                            "    return accuracy(probabilities, y_true)\n"),
    ("mlp_forward", "from course_utils.mlp import forward\n"
                    "def answer(X, W1, b1, W2, b2):\n"
                    "    return forward({'W1': W1, 'b1': b1, 'W2': W2, 'b2': b2}, X)[0]\n"),
    ("build_cnn", "from course_utils.recipes import CnnRecipe, build_recipe_cnn\n"
                  "def answer(filters1=16, filters2=32, n_classes=10, dropout=0.3):\n"
                  "    return build_recipe_cnn(CnnRecipe('mine', filters1, filters2, dropout=dropout), n_classes)\n"),
], ids=["accuracy_from_probs by torch_training.accuracy", "mlp_forward by mlp.forward", "build_cnn by the recipe"])
def test_a_course_version_imported_by_its_name_before_the_check_is_refused(name, source):
    """The course's own version was watched in its module only: imported by its name at the top of the notebook
    (from course_utils.mlp import forward), the answer called the unwatched function, and passed."""
    pytest.importorskip("torch" if name == "accuracy_from_probs" else "numpy")
    pytest.importorskip("keras" if name == "build_cnn" else "numpy")
    verdict = judge(registry.get_exercise(name), _r18_notebook_answer(source))
    assert verdict.kind == WRONG and "the course's own version of this exercise" in verdict.text


# round 19: lesson 05
def _r19_accuracy_made_one_row(y_true, probabilities):
    y_true, probabilities = np.asarray(y_true), np.atleast_2d(np.asarray(probabilities, dtype=float))
    if probabilities.ndim != 2 or y_true.shape != (len(probabilities),):
        raise ValueError("expected probabilities (n, n_classes) and n labels")
    return float(np.mean(np.argmax(probabilities, axis=1) == y_true))


def test_lesson_05b_accuracy_from_probs_refuses_1d_probabilities_made_one_row():
    """np.atleast_2d (or probabilities[None]) turns 1-D probabilities into one row: the only 1-D case had 3 labels, so
    the length check refused it anyway, and the answer passed though the exercise wants a ValueError for them."""
    verdict = judge(registry.get_exercise("accuracy_from_probs"), _r19_accuracy_made_one_row)
    assert verdict.kind == WRONG and verdict.mistake == "1-D probabilities made one row", verdict.text


def _r19_accuracy_swapping_the_arguments(y_true, probabilities):
    y_true, probabilities = np.asarray(y_true), np.asarray(probabilities, dtype=float)
    if y_true.ndim == 2 and probabilities.ndim == 1:  # "the caller passed them the other way round"
        y_true, probabilities = probabilities, y_true
    if probabilities.ndim != 2 or y_true.shape != (len(probabilities),):
        raise ValueError("expected probabilities (n, n_classes) and n labels")
    return float(np.mean(np.argmax(probabilities, axis=1) == y_true))


def test_lesson_05b_accuracy_from_probs_refuses_arguments_in_the_other_order():
    """Probabilities passed as y_true and labels as probabilities: an answer that swapped them back passed, as no
    case passed 2-D labels with 1-D probabilities."""
    verdict = judge(registry.get_exercise("accuracy_from_probs"), _r19_accuracy_swapping_the_arguments)
    assert verdict.kind == WRONG and "the arguments in the other order" in verdict.text, verdict.text


def _r19_size_with_keras_padding_words(n, kernel, padding=0, stride=1):
    if isinstance(padding, str):  # Keras' Conv2D(padding="same" / "valid")
        if padding == "same":
            return -(-n // stride)
        padding = 0
    return reference_copy("conv_output_size")(n, kernel, padding, stride)


def test_lesson_05a_conv_output_size_refuses_keras_padding_words():
    """padding="same" or "valid" (Keras' words) is not an int, so TypeError: an answer that took them as Keras does
    passed, as no case passed a string."""
    verdict = judge(registry.get_exercise("conv_output_size"), _r19_size_with_keras_padding_words)
    assert verdict.kind == WRONG and verdict.mistake == "Keras' padding words accepted", verdict.text


def _r19_conv_by_shifted_sums(image, kernel):
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    if image.ndim != 2 or kernel.ndim != 2:
        raise ValueError("image and kernel must be 2-D")
    (kh, kw), (h, w) = kernel.shape, image.shape
    if kh > h or kw > w:
        raise ValueError("the kernel is larger than the image")
    out = np.zeros((h - kh + 1, w - kw + 1))
    for u, v in np.ndindex(kernel.shape):  # one pass per kernel weight, over every output position at once
        out += kernel[u, v] * image[u:u + h - kh + 1, v:v + w - kw + 1]
    return out


def _r19_conv_by_windows(image, kernel):
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("expected a 2-D kernel no larger than the 2-D image")
    windows = np.lib.stride_tricks.sliding_window_view(image, kernel.shape)
    return np.einsum("ijuv,uv->ij", windows, kernel)


def _r19_size_by_operator_index(n, kernel, padding=0, stride=1):
    import operator

    values = []
    for value in (n, kernel, padding, stride):
        if isinstance(value, bool):
            raise TypeError("a bool is not a size")
        values.append(operator.index(value))  # TypeError for floats, strings, None
    n, kernel, padding, stride = values
    if n < 1 or kernel < 1 or padding < 0 or stride < 1 or kernel > n + 2 * padding:
        raise ValueError("invalid sizes")
    return (n + 2 * padding - kernel) // stride + 1


def _r19_size_by_counting_positions(n, kernel, padding=0, stride=1):
    for value, low in ((n, 1), (kernel, 1), (padding, 0), (stride, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"expected an int, got {value!r}")
        if value < low:
            raise ValueError(f"expected at least {low}, got {value}")
    if kernel > n + 2 * padding:
        raise ValueError("the kernel does not fit")
    return len(range(0, int(n) + 2 * int(padding) - int(kernel) + 1, int(stride)))  # the window's first columns


def _r19_params_layer_by_layer(filters1, filters2, n_classes=10, size=28, kernel=3):
    for value in (filters1, filters2, n_classes, size, kernel):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"expected an int, got {value!r}")
        if value < 1:
            raise ValueError(f"expected at least 1, got {value}")
    side = int(size)
    for _ in range(2):  # conv, then pool
        side = (side - kernel + 1) // 2
        if side < 1:
            raise ValueError("the image is too small")
    total = sum((kernel * kernel * c_in + 1) * c_out for c_in, c_out in ((1, filters1), (filters1, filters2)))
    return int(total + (side * side * filters2 + 1) * n_classes)


def _r19_params_in_python_ints(filters1, filters2, n_classes=10, size=28, kernel=3):
    for value in (filters1, filters2, n_classes, size, kernel):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"expected an int, got {value!r}")
        if value < 1:
            raise ValueError(f"expected at least 1, got {value}")
    f1, f2, classes, s, k = (int(value) for value in (filters1, filters2, n_classes, size, kernel))
    side = ((s - k + 1) // 2 - k + 1) // 2
    if side < 1:
        raise ValueError("the image is too small")
    return k * k * f1 + f1 + k * k * f1 * f2 + f2 + side * side * f2 * classes + classes


def _r19_accuracy_by_counting(y_true, probabilities):
    y_true, probabilities = np.asarray(y_true), np.asarray(probabilities, dtype=float)
    if probabilities.ndim != 2 or y_true.ndim != 1 or len(y_true) != len(probabilities):
        raise ValueError("expected probabilities (n, n_classes) and n labels")
    return (probabilities.argmax(axis=1) == y_true).sum() / len(y_true)


def _r19_accuracy_row_by_row(y_true, probabilities):
    y_true, probabilities = np.asarray(y_true), np.asarray(probabilities, dtype=float)
    if probabilities.ndim != 2 or y_true.shape != (probabilities.shape[0],):
        raise ValueError("expected probabilities (n, n_classes) and n labels")
    right = sum(int(np.argmax(row) == label) for row, label in zip(probabilities, y_true))
    return right / len(y_true)


@pytest.mark.parametrize("name, answer", [
    ("conv2d_valid", _r19_conv_by_shifted_sums), ("conv2d_valid", _r19_conv_by_windows),
    ("conv_output_size", _r19_size_by_operator_index), ("conv_output_size", _r19_size_by_counting_positions),
    ("cnn_param_count", _r19_params_layer_by_layer), ("cnn_param_count", _r19_params_in_python_ints),
    ("accuracy_from_probs", _r19_accuracy_by_counting), ("accuracy_from_probs", _r19_accuracy_row_by_row),
], ids=["conv by shifted sums", "conv by sliding windows", "size by operator.index", "size by counting positions",
        "params layer by layer", "params in Python ints", "accuracy by counting", "accuracy row by row"])
def test_lesson_05_right_answers_written_otherwise_pass(name, answer):
    _passes(name, answer)


def _r19_cnn_by_the_functional_api(filters1=16, filters2=32, n_classes=10, dropout=0.3):
    import keras
    from keras import layers

    inputs = keras.Input(shape=(28, 28, 1))
    x = layers.MaxPooling2D((2, 2))(layers.Conv2D(filters1, (3, 3), activation="relu")(inputs))
    x = layers.MaxPooling2D(pool_size=(2, 2))(layers.Conv2D(filters2, (3, 3), activation="relu")(x))
    x = layers.Dropout(dropout)(layers.Flatten()(x))
    return keras.Model(inputs, layers.Dense(n_classes, activation="softmax")(x))


def _r19_cnn_with_activation_layers(filters1=16, filters2=32, n_classes=10, dropout=0.3):
    import keras
    from keras import layers

    model = keras.Sequential()
    model.add(keras.Input(shape=(28, 28, 1)))
    for filters, activation in ((filters1, layers.ReLU()), (filters2, layers.Activation("relu"))):
        model.add(layers.Conv2D(filters, 3))
        model.add(activation)
        model.add(layers.MaxPooling2D())
    model.add(layers.Flatten())
    model.add(layers.Dropout(rate=dropout))
    model.add(layers.Dense(n_classes))
    model.add(layers.Softmax())
    return model


@pytest.mark.parametrize("answer", [_r19_cnn_by_the_functional_api, _r19_cnn_with_activation_layers],
                         ids=["functional API", "activations as layers"])
def test_lesson_05b_build_cnn_written_otherwise_passes(answer):
    pytest.importorskip("keras")
    _passes("build_cnn", answer)


def _r19_cnn_with_a_seeded_initializer(filters1=16, filters2=32, n_classes=10, dropout=0.3):
    import keras
    from keras import layers

    start = keras.initializers.GlorotUniform(seed=42)  # "for repeatable runs"
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(filters1, 3, activation="relu", kernel_initializer=start), layers.MaxPooling2D(2),
        layers.Conv2D(filters2, 3, activation="relu"), layers.MaxPooling2D(2), layers.Flatten(),
        layers.Dropout(dropout), layers.Dense(n_classes, activation="softmax"),
    ])


def test_lesson_05b_build_cnn_refuses_a_seeded_initializer():
    """kernel_initializer=GlorotUniform(seed=42) makes every call start from the same weights whatever seed the
    notebook sets: the check's case "each call builds a new model, with new starting weights" did not look at the
    weights, and the answer passed. (A Dropout seed stays allowed, as round 12 ruled.)"""
    pytest.importorskip("keras")
    verdict = judge(registry.get_exercise("build_cnn"), _r19_cnn_with_a_seeded_initializer)
    assert verdict.kind == WRONG and "initializer with a fixed seed (kernel_initializer)" in verdict.text, verdict.text


def _r19_predict_with_tensorflow_ops(model, image):
    import tensorflow as tf

    image = np.asarray(image)
    if image.shape not in {(28, 28), (28, 28, 1)}:
        raise ValueError("expected one 28x28 image")
    scaled = tf.cast(tf.reshape(tf.convert_to_tensor(image), (28, 28, 1)), tf.float32) / 255.0
    return int(tf.argmax(model.predict_on_batch(tf.expand_dims(scaled, 0))[0]))


def _r19_predict_in_float64(model, image):
    image = np.asarray(image)
    if image.shape not in {(28, 28), (28, 28, 1)}:
        raise ValueError("expected one 28x28 image")
    scaled = image / 255.0  # float64, Keras casts the batch to the model's float32
    return int(model.predict(scaled.reshape(1, 28, 28, 1), verbose=0).argmax())


@pytest.mark.parametrize("answer", [_r19_predict_with_tensorflow_ops, _r19_predict_in_float64],
                         ids=["TensorFlow ops", "float64 pixels"])
def test_lesson_05c_predict_one_image_written_otherwise_passes(answer):
    pytest.importorskip("keras")
    _passes("predict_one_image", answer)


# round 20: lesson 05
def _r20_cnn_with_batch_normalization(filters1=16, filters2=32, n_classes=10, dropout=0.3):
    import keras
    from keras import layers

    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(filters1, 3, activation="relu"), layers.BatchNormalization(), layers.MaxPooling2D(2),
        layers.Conv2D(filters2, 3, activation="relu"), layers.MaxPooling2D(2), layers.Flatten(),
        layers.Dropout(dropout), layers.Dense(n_classes, activation="softmax"),
    ])


@pytest.mark.wide
def test_lesson_05b_build_cnn_names_an_extra_batch_normalization_layer():
    """A BatchNormalization layer keeps its moving mean and variance as non-trainable weights by design: the check
    told the answer that it had frozen weights (trainable = False), which it had not; the extra layer is the
    mistake, and the layer comparison names it."""
    pytest.importorskip("keras")
    verdict = judge(registry.get_exercise("build_cnn"), _r20_cnn_with_batch_normalization)
    assert verdict.kind == WRONG and "BatchNormalization" in verdict.text and "frozen" not in verdict.text, verdict.text


def _r20_accuracy_predictions_in_16_bits(y_true, probabilities):
    y_true, probabilities = np.asarray(y_true), np.asarray(probabilities, dtype=float)
    if probabilities.ndim != 2 or y_true.shape != (len(probabilities),):
        raise ValueError("expected probabilities (n, n_classes) and n labels")
    predicted = np.argmax(probabilities, axis=1).astype(np.int16)  # "class numbers are small"
    return float(np.mean(predicted == y_true))


def test_lesson_05b_accuracy_from_probs_refuses_predictions_cast_to_16_bits():
    """Predicted classes cast to int16 (or uint16) wrap round beyond 32,767 (65,535): the many-class case had only a
    small class predicted right, so the cast changed only wrong predictions and the answer passed."""
    verdict = judge(registry.get_exercise("accuracy_from_probs"), _r20_accuracy_predictions_in_16_bits)
    assert verdict.kind == WRONG and "70,000" in verdict.text, verdict.text


def _r20_checked_conv_inputs(image, kernel):
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("expected a 2-D kernel no larger than the 2-D image")
    return image, kernel


def _r20_conv_by_scipy(image, kernel):
    from scipy.signal import correlate2d

    return correlate2d(*_r20_checked_conv_inputs(image, kernel), mode="valid")  # correlation: no flip


def _r20_conv_by_tensordot(image, kernel):
    image, kernel = _r20_checked_conv_inputs(image, kernel)
    windows = np.lib.stride_tricks.sliding_window_view(image, kernel.shape)
    return np.tensordot(windows, kernel, axes=([2, 3], [0, 1]))


def _r20_checked_sizes(n, kernel, padding, stride):
    for value, low in ((n, 1), (kernel, 1), (padding, 0), (stride, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"expected an int, got {value!r}")
        if value < low:
            raise ValueError(f"expected at least {low}, got {value}")
    if kernel > n + 2 * padding:
        raise ValueError("the kernel does not fit")


def _r20_size_by_ceiling(n, kernel, padding=0, stride=1):
    _r20_checked_sizes(n, kernel, padding, stride)
    return -(-(n + 2 * padding - kernel + 1) // stride)  # ceil((free positions) / stride), in integers


def _r20_size_by_divmod(n, kernel, padding=0, stride=1):
    _r20_checked_sizes(n, kernel, padding, stride)
    steps, _ = divmod(n + 2 * padding - kernel, stride)
    return steps + 1


def _r20_size_by_walking(n, kernel, padding=0, stride=1):
    _r20_checked_sizes(n, kernel, padding, stride)
    count, start = 0, 0
    while start + kernel <= n + 2 * padding:
        count, start = count + 1, start + stride
    return count


def _r20_params_weights_then_biases(filters1, filters2, n_classes=10, size=28, kernel=3):
    for value in (filters1, filters2, n_classes, size, kernel):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"expected an int, got {value!r}")
        if value < 1:
            raise ValueError(f"expected at least 1, got {value}")
    side = size
    for _ in range(2):
        side = (side - kernel + 1) // 2
    if side < 1:
        raise ValueError("the image is too small")
    weights = kernel ** 2 * filters1 + kernel ** 2 * filters1 * filters2 + side * side * filters2 * n_classes
    return int(weights + filters1 + filters2 + n_classes)


def _r20_accuracy_by_count_nonzero(y_true, probabilities):
    y_true, probabilities = np.asarray(y_true), np.asarray(probabilities)
    if probabilities.ndim != 2 or y_true.ndim != 1 or len(y_true) != len(probabilities):
        raise ValueError("expected probabilities (n, n_classes) and n labels")
    return np.count_nonzero(probabilities.argmax(axis=-1) == y_true) / y_true.size


def _r20_accuracy_by_torch(y_true, probabilities):
    import torch

    y_true, probabilities = np.asarray(y_true), np.asarray(probabilities)
    if probabilities.ndim != 2 or y_true.ndim != 1 or len(y_true) != len(probabilities):
        raise ValueError("expected probabilities (n, n_classes) and n labels")
    right = torch.as_tensor(probabilities).argmax(dim=1).eq(torch.as_tensor(y_true))
    return right.double().mean().item()


@pytest.mark.parametrize("name, answer", [
    ("conv2d_valid", _r20_conv_by_scipy), ("conv2d_valid", _r20_conv_by_tensordot),
    ("conv_output_size", _r20_size_by_ceiling), ("conv_output_size", _r20_size_by_divmod),
    ("conv_output_size", _r20_size_by_walking), ("cnn_param_count", _r20_params_weights_then_biases),
    ("accuracy_from_probs", _r20_accuracy_by_count_nonzero), ("accuracy_from_probs", _r20_accuracy_by_torch),
], ids=["conv by scipy's correlate2d", "conv by tensordot of windows", "size by an integer ceiling",
        "size by divmod", "size by walking the window", "params weights then biases", "accuracy by count_nonzero",
        "accuracy in torch"])
def test_lesson_05_round_20_right_answers_written_otherwise_pass(name, answer):
    if name == "accuracy_from_probs" and answer is _r20_accuracy_by_torch:
        pytest.importorskip("torch")
    _passes(name, answer)


def _r20_cnn_added_layer_by_layer(filters1=16, filters2=32, n_classes=10, dropout=0.3):
    import keras
    from keras import layers

    model = keras.Sequential()
    model.add(keras.Input((28, 28, 1)))
    for filters in (filters1, filters2):
        model.add(layers.Conv2D(filters, (3, 3), strides=1, padding="valid", activation=keras.activations.relu,
                                kernel_initializer="he_normal"))
        model.add(layers.MaxPool2D((2, 2)))
    model.add(layers.Flatten())
    model.add(layers.Dropout(dropout))
    model.add(layers.Dense(n_classes))
    model.add(layers.Activation("softmax"))
    return model


def _r20_predict_on_batch(model, image):
    image = np.asarray(image)
    if image.shape not in {(28, 28), (28, 28, 1)}:
        raise ValueError("expected one 28x28 image")
    batch = np.expand_dims(image.reshape(28, 28, 1) / np.float32(255), 0)
    return int(model.predict_on_batch(batch).argmax(axis=-1)[0])


@pytest.mark.wide
@pytest.mark.parametrize("name, answer", [("build_cnn", _r20_cnn_added_layer_by_layer),
                                          ("predict_one_image", _r20_predict_on_batch)],
                         ids=["build_cnn added layer by layer, He initialisation", "predict_one_image on a batch"])
def test_lesson_05_round_20_keras_answers_written_otherwise_pass(name, answer):
    pytest.importorskip("keras")
    _passes(name, answer)


def _r20_accuracy_by_an_identity_network(y_true, probabilities):
    from course_utils import mlp
    probabilities, y_true = np.asarray(probabilities), np.asarray(y_true)
    if probabilities.ndim != 2 or y_true.ndim != 1 or len(probabilities) != len(y_true):
        raise ValueError("probabilities must be 2-D and y_true 1-D, of the same length")
    k = probabilities.shape[1]
    return mlp.accuracy({"W1": np.eye(k), "b1": np.zeros(k)}, probabilities, y_true, output="linear")


def test_lesson_05b_accuracy_from_probs_refuses_lesson_02_s_accuracy():
    """Round 20 (r205 N3): mlp.accuracy of an identity network is the whole result; it was refused only because one
    case asks for an identity matrix too large for memory."""
    verdict = judge(registry.get_exercise("accuracy_from_probs"), _r20_accuracy_by_an_identity_network)
    assert verdict.kind == WRONG and "course's own version" in verdict.text, verdict.text


# round 21: lesson 05
_r21_classes_seen = {}


def _r21_predict_remembering_classes(model, image):
    image = np.asarray(image)
    if image.shape not in {(28, 28), (28, 28, 1)}:
        raise ValueError("expected one 28x28 image")
    key = (id(model), image.shape, image.dtype.str, image.tobytes())  # "no need to predict the same image twice"
    if key not in _r21_classes_seen:
        batch = image.reshape(1, 28, 28, 1).astype("float32") / 255.0
        _r21_classes_seen[key] = int(np.argmax(model.predict(batch, verbose=0)[0]))
    return _r21_classes_seen[key]


def test_lesson_05c_predict_one_image_refuses_a_class_remembered_from_an_earlier_call():
    """A class remembered per model and image (a memo keyed by id(model) and the pixels) passed: every case used the
    check's model with the same weights, so a remembered class was never stale. After another fit() (or any change of
    the weights) the caller's model gives the image another class."""
    pytest.importorskip("keras")
    _r21_classes_seen.clear()
    verdict = judge(registry.get_exercise("predict_one_image"), _r21_predict_remembering_classes)
    assert verdict.kind == WRONG and "weights changed" in verdict.text, verdict.text


# ---------------------------------------------------------------- lessons 02 and 03
def _softmax_minus(shift):
    def softmax(z):
        z = np.asarray(z, dtype=float)
        e = np.exp(z - shift(z))
        return e / e.sum(axis=-1, keepdims=True)
    return softmax


@pytest.mark.parametrize("shift", [lambda z: z.min(axis=-1, keepdims=True), lambda z: z[..., :1]],
                         ids=["row minimum", "first logit"])
def test_softmax_wants_the_row_maximum_subtracted(shift):
    with pytest.raises(ExerciseFailed):
        check("softmax_stable", _softmax_minus(shift), strict=True)


def _softmax_into_zeros_like(z):
    z = np.asarray(z)
    out = np.zeros_like(z)
    for row in np.ndindex(z.shape[:-1]):
        e = np.exp(z[row] - z[row].max())
        out[row] = e / e.sum()
    return out


def test_softmax_is_tried_on_whole_number_logits(capsys):
    """Every old case held floats, so np.zeros_like(z) gave a float array."""
    with pytest.raises(ExerciseFailed):
        check("softmax_stable", _softmax_into_zeros_like, strict=True)
    check("softmax_stable", _softmax_into_zeros_like)
    assert "Likely mistake: for whole-number logits, np.zeros_like(z)" in capsys.readouterr().out



@pytest.mark.parametrize("shift", [lambda z: z[..., -1:], lambda z: z[..., :1], lambda z: z.min(axis=-1, keepdims=True)],
                         ids=["last logit", "first logit", "row minimum"])
def test_softmax_is_tried_with_the_maximum_in_the_middle(shift, capsys):
    """The large rows of the old cases had their maximum first or last, so subtracting the last logit passed."""
    with pytest.raises(ExerciseFailed):
        check("softmax_stable", _softmax_minus(shift), strict=True)
    check("softmax_stable", _softmax_minus(shift))
    assert "Likely mistake: subtract each row's own maximum, z.max(axis=-1, keepdims=True)" in capsys.readouterr().out
    _passes("softmax_stable", _softmax_minus(lambda z: np.nanmax(z, axis=-1, keepdims=True)))

@pytest.mark.parametrize("output", [
    lambda z: 1 / (1 + np.exp(-z)),
    lambda z: np.exp(z) / (1 + np.exp(z)),
    lambda z: np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z))),
], ids=["1/(1+exp(-z))", "exp(z)/(1+exp(z))", "where-of-both"])
def test_mlp_forward_wants_the_stable_sigmoid(output, capsys):
    """No old case had output logits beyond +-709, so both naive forms passed (one of them returns NaN there)."""
    def answer(X, W1, b1, W2, b2):
        return output(np.tanh(X @ W1.T + b1) @ W2.T + b2)
    with pytest.raises(ExerciseFailed):
        check("mlp_forward", answer, strict=True)
    check("mlp_forward", answer)
    assert "Likely mistake: 1 / (1 + np.exp(-z)) overflows for very negative output logits" in capsys.readouterr().out
    _passes("mlp_forward", lambda X, W1, b1, W2, b2: sigmoid(np.tanh(X @ W1.T + b1) @ W2.T + b2))


def test_bce_wants_whole_shapes_compared_not_ndim():
    def ndim_only(y, z):
        y, z = np.asarray(y, dtype=float), np.asarray(z, dtype=float)
        if y.ndim != z.ndim:
            raise ValueError("dimensions differ")
        return np.mean(np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z))))
    with pytest.raises(ExerciseFailed, match="compare the whole shapes"):
        check("bce_from_logits", ndim_only, strict=True)


def _bce_terms(y, z):
    y, z = np.asarray(y, dtype=float), np.asarray(z, dtype=float)
    if y.shape != z.shape:
        raise ValueError("shapes differ")
    return np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z)))


@pytest.mark.parametrize("answer", [lambda y, z: np.sum(_bce_terms(y, z)) / len(y),
                                    lambda y, z: np.mean(_bce_terms(y, z), axis=0)], ids=["sum / len", "axis 0"])
def test_bce_wants_the_mean_of_every_entry_of_a_2d_array(answer):
    """Both are the mean for 1-D y and z; for shape (n, k) the mean runs over all n * k entries."""
    with pytest.raises(ExerciseFailed, match="mean of all n \\* k entries"):
        check("bce_from_logits", answer, strict=True)


def test_cce_rejects_a_batch_maximum_and_a_one_sided_length_check():
    with pytest.raises(ExerciseFailed, match="maximum of the whole batch"):
        check("cce_from_logits", catalogued("cce_from_logits", "the batch's maximum"), strict=True)
    with pytest.raises(ExerciseFailed, match="more labels than rows"):
        check("cce_from_logits", catalogued("cce_from_logits", "only too few labels rejected"), strict=True)


def test_losses_name_the_overflow_of_the_exact_bce_and_the_log_of_a_softmax():
    with pytest.raises(ExerciseFailed, match="is exact, but"):
        check("bce_from_logits", catalogued("bce_from_logits", "exact form, overflows"), strict=True)
    with pytest.raises(ExerciseFailed, match="even the stable softmax"):
        check("cce_from_logits", catalogued("cce_from_logits", "stable softmax, then log"), strict=True)


def test_sigmoid_derivative_wants_exactly_zero_for_large_z():
    with pytest.raises(ExerciseFailed, match="exactly 0"):
        check("sigmoid_derivative", catalogued("sigmoid_derivative", "s clipped"), strict=True)
    _passes("sigmoid_derivative", lambda z: sigmoid(z) * sigmoid(-np.asarray(z, dtype=float)))


def test_softmax_ce_grad_rejects_the_batch_maximum():
    def global_max(Z, y):
        Z = np.asarray(Z, dtype=float)
        if len(y) != len(Z):
            raise ValueError("lengths differ")
        e = np.exp(Z - Z.max())
        return (e / e.sum(axis=1, keepdims=True) - np.eye(Z.shape[1])[y]) / len(Z)
    with pytest.raises(ExerciseFailed, match="maximum of the whole batch"):
        check("softmax_ce_grad", global_max, strict=True)


def test_train_mlp_rejects_a_check_of_lr_zero_only():
    _train_mlp_reference = reference_copy("train_mlp")

    def not_lr(X, y, params, lr, epochs):
        if not lr:
            raise ValueError("lr is zero")
        return _train_mlp_reference(X, y, params, lr, epochs, only_zero_lr_rejected=True)
    with pytest.raises(ExerciseFailed, match="negative lr"):
        check("train_mlp", not_lr, strict=True)


def test_sigmoid_derivative_rejects_zero_set_by_hand_for_large_z():
    def zeroed(z):
        s = sigmoid(z)
        return np.where(np.abs(np.asarray(z, dtype=float)) > 10, 0.0, s * (1 - s))
    with pytest.raises(ExerciseFailed, match="small for large"):
        check("sigmoid_derivative", zeroed, strict=True)

    def from_exp_of_minus_abs_z(z):
        e = np.exp(-np.abs(np.asarray(z, dtype=float)))
        return e / (1 + e) ** 2
    _passes("sigmoid_derivative", from_exp_of_minus_abs_z)


def test_train_mlp_rejects_changing_the_callers_x_and_y():
    _train_mlp_reference = reference_copy("train_mlp")

    def shuffles(X, y, params, lr, epochs):
        order = np.arange(len(X))[::-1]
        X[:], y[:] = X[order], y[order]
        return _train_mlp_reference(X, y, params, lr, epochs)
    with pytest.raises(ExerciseFailed, match="shuffling them in place"):
        check("train_mlp", shuffles, strict=True)


def test_train_mlp_updates_by_name_and_allows_a_learning_rate_above_one():
    from course_utils import mlp
    _train_mlp_reference = reference_copy("train_mlp")

    def by_dict_order(X, y, params, lr, epochs):
        if not lr > 0:
            raise ValueError("lr must be positive")
        params, losses = {k: np.array(v, dtype=float) for k, v in params.items()}, []
        for _ in range(epochs):
            _, cache = mlp.forward(params, X)
            losses.append(mlp.binary_cross_entropy(y, cache["Z2"], from_logits=True))
            backward = reference_copy("mlp_backward")
            grads = backward(X, y, *(params[k] for k in ("W1", "b1", "W2", "b2")))
            params = {name: value - lr * g for (name, value), g in zip(params.items(), grads)}
        return params, np.array(losses)
    with pytest.raises(ExerciseFailed, match="W1, W2, b1, b2"):
        check("train_mlp", by_dict_order, strict=True)

    def at_most_one(X, y, params, lr, epochs):
        if not 0 < lr <= 1:
            raise ValueError("lr must lie in (0, 1]")
        return _train_mlp_reference(X, y, params, lr, epochs)
    with pytest.raises(ExerciseFailed, match="lr = 2"):
        check("train_mlp", at_most_one, strict=True)


def _bce_into_zeros_like(y, z):
    y, z = np.asarray(y), np.asarray(z)
    if y.shape != z.shape:
        raise ValueError("shapes differ")
    losses = np.zeros_like(z)
    for i in np.ndindex(z.shape):
        losses[i] = max(z[i], 0) - y[i] * z[i] + np.log1p(np.exp(-abs(z[i])))
    return losses.mean()


def _derivative_into_empty_like(z):
    out = np.empty_like(np.asarray(z))
    s = sigmoid(z)
    out[...] = s * (1 - s)
    return out


def _dense_backward_loop(X, W, dZ):
    X, W, dZ = np.asarray(X), np.asarray(W), np.asarray(dZ)
    if X.shape[1] != W.shape[1] or dZ.shape != (len(X), len(W)):
        raise ValueError("shapes do not fit")
    dX, dW = np.zeros_like(X), np.zeros_like(W)
    for i in range(len(X)):
        dX[i] = dZ[i] @ W
        dW += np.outer(dZ[i], X[i])
    return dX, dW, dZ.sum(axis=0)


def _ce_grad_into_zeros_like(Z, y):
    from course_utils import mlp
    if len(y) != len(Z):
        raise ValueError("lengths differ")
    grad = np.zeros_like(Z)
    grad[...] = mlp.softmax(Z)
    for i, label in enumerate(y):
        grad[i, label] -= 1
    return grad / len(Z)


@pytest.mark.parametrize("name, answer", [("bce_from_logits", _bce_into_zeros_like),
                                          ("sigmoid_derivative", _derivative_into_empty_like),
                                          ("dense_backward", _dense_backward_loop),
                                          ("softmax_ce_grad", _ce_grad_into_zeros_like)])
def test_losses_and_gradients_are_tried_on_integer_inputs(name, answer):
    with pytest.raises(ExerciseFailed, match="integer"):
        check(name, answer, strict=True)


def _first_column_shift_cce(y, Z):
    y, Z = np.asarray(y), np.asarray(Z, dtype=float)
    if len(y) != len(Z):
        raise ValueError("lengths differ")
    s = Z - Z[:, :1]
    return np.mean(np.log(np.exp(s).sum(axis=1)) - s[np.arange(len(y)), y])


def _first_column_shift_grad(Z, y):
    Z = np.asarray(Z, dtype=float)
    if len(y) != len(Z):
        raise ValueError("lengths differ")
    e = np.exp(Z - Z[:, :1])
    return (e / e.sum(axis=1, keepdims=True) - np.eye(Z.shape[1])[y]) / len(Z)


@pytest.mark.parametrize("name, answer", [("cce_from_logits", _first_column_shift_cce),
                                          ("softmax_ce_grad", _first_column_shift_grad)])
def test_cce_and_its_gradient_want_each_rows_own_maximum_not_its_first_logit(name, answer):
    with pytest.raises(ExerciseFailed, match="not in the first column"):
        check(name, answer, strict=True)


def test_bce_is_tried_where_a_loss_rounded_to_six_decimals_shows():
    def rounded(y, z):
        y, z = np.asarray(y, dtype=float), np.asarray(z, dtype=float)
        if y.shape != z.shape:
            raise ValueError("shapes differ")
        return round(float(np.mean(np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z))))), 6)
    with pytest.raises(ExerciseFailed, match="a small loss"):
        check("bce_from_logits", rounded, strict=True)


def test_train_mlp_names_a_missing_return():
    _train_mlp_reference = reference_copy("train_mlp")

    def no_return(X, y, params, lr, epochs):
        _train_mlp_reference(X, y, params, lr, epochs)
    with pytest.raises(ExerciseFailed, match="Did you forget `return`"):
        check("train_mlp", no_return, strict=True)


def _bce_of(y, z):
    return np.mean(np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z))))


def _bce_sizes_compared(y, z):
    y, z = np.asarray(y, dtype=float), np.asarray(z, dtype=float)
    if y.size != z.size or y.ndim != z.ndim:
        raise ValueError("sizes differ")
    return _bce_of(y, z)


def _bce_lengths_compared(y, z):
    y, z = np.asarray(y, dtype=float), np.asarray(z, dtype=float)
    if len(y) != len(z) or y.ndim != z.ndim:
        raise ValueError("lengths differ")
    return _bce_of(y, z)


@pytest.mark.parametrize("answer, shown", [(_bce_sizes_compared, "same size, other shape"),
                                           (_bce_lengths_compared, "same length, other shape")])
def test_bce_is_tried_on_shapes_of_the_same_size_and_length(answer, shown):
    with pytest.raises(ExerciseFailed, match=shown):
        check("bce_from_logits", answer, strict=True)




def _dense_dw_into_zeros_like(X, W, dZ):
    X, W, dZ = np.asarray(X, dtype=float), np.asarray(W), np.asarray(dZ, dtype=float)
    if X.shape[1] != W.shape[1] or dZ.shape != (len(X), len(W)):
        raise ValueError("shapes do not fit")
    dW = np.zeros_like(W)
    dW[...] = dZ.T @ X
    return dZ @ W, dW, dZ.sum(axis=0)


def _mlp_backward_into_zeros_like(X, y, W1, b1, W2, b2):
    X = np.asarray(X, dtype=float)
    if X.shape[1] != W1.shape[1]:
        raise ValueError("X does not fit W1")
    H = np.tanh(X @ W1.T + b1)
    P = sigmoid(H @ W2.T + b2)
    dZ2 = (P - np.asarray(y, dtype=float)[:, None]) / len(X)
    dZ1 = (dZ2 @ W2) * (1 - H ** 2)
    grads = np.zeros_like(W1), np.zeros_like(b1), np.zeros_like(W2), np.zeros_like(b2)
    for into, g in zip(grads, (dZ1.T @ X, dZ1.sum(axis=0), dZ2.T @ H, dZ2.sum(axis=0))):
        into[...] = g
    return grads


@pytest.mark.parametrize("name, answer", [("cce_from_logits", catalogued("cce_from_logits", "losses stored in np.zeros_like")),
                                          ("dense_backward", _dense_dw_into_zeros_like),
                                          ("mlp_backward", _mlp_backward_into_zeros_like)])
def test_losses_and_gradients_are_tried_on_integer_logits_and_weights(name, answer):
    with pytest.raises(ExerciseFailed, match="integer"):
        check(name, answer, strict=True)


def test_cce_is_tried_where_a_loss_rounded_to_six_decimals_shows():
    def rounded(y, Z):
        y, Z = np.asarray(y), np.asarray(Z, dtype=float)
        if len(y) != len(Z):
            raise ValueError("lengths differ")
        m = Z.max(axis=1)
        lse = m + np.log(np.exp(Z - m[:, None]).sum(axis=1))
        return round(float(np.mean(lse - Z[np.arange(len(y)), y])), 6)
    with pytest.raises(ExerciseFailed, match="a small loss"):
        check("cce_from_logits", rounded, strict=True)


@pytest.mark.parametrize("name, mistake", [("softmax_stable", "computed in float32"),
                                           ("mlp_forward", "computed in float32"),
                                           ("mlp_forward", "hidden layer stored in np.zeros_like"),
                                           ("bce_from_logits", "sum divided by rows times columns")])
def test_lesson_02_is_tried_on_drawn_inputs(name, mistake):
    """Each passed every hand-picked case: logits near 1000 only as whole numbers, no X, W1 and b1 all whole numbers
    together, no 3-D y and z. The generated cases (drawn sizes, dtypes and scales) reject them and name them."""
    verdict = judge(registry.get_exercise(name), catalogued(name, mistake))
    assert verdict.kind != PASSED and verdict.mistake == mistake, verdict.text


def _cce_of_float32_logits(y, Z):
    y, Z = np.asarray(y), np.asarray(Z, dtype=np.float32).astype(float)   # rounded to float32, then float64
    if len(y) != len(Z):
        raise ValueError("lengths differ")
    m = Z.max(axis=1)
    return np.mean(m + np.log(np.exp(Z - m[:, None]).sum(axis=1)) - Z[np.arange(len(y)), y])


def _bce_of_last_axis_and_size_compared(y, z):
    y, z = np.asarray(y, dtype=float), np.asarray(z, dtype=float)
    if y.shape[-1:] != z.shape[-1:] or y.size != z.size:
        raise ValueError("shapes differ")
    return np.mean(np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z))))


def _bce_of_a_row_of_labels_flattened(y, z):
    y, z = np.asarray(y, dtype=float), np.asarray(z, dtype=float)
    if y.ndim == z.ndim + 1 and y.shape[0] == 1:   # labels as a row: the leading axis dropped
        y = y[0]
    if y.shape != z.shape:
        raise ValueError("shapes differ")
    return np.mean(np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z))))


def _bce_of_shapes_made_2d(y, z):
    y, z = np.atleast_2d(np.asarray(y, dtype=float)), np.atleast_2d(np.asarray(z, dtype=float))
    if y.shape != z.shape:
        raise ValueError("shapes differ")
    return np.mean(np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z))))


@pytest.mark.parametrize("name, wrong, shown", [
    ("mlp_forward", "output layer transposed only when the shapes need it", "each row of W2 is one neuron"),
    ("mlp_forward", "naive sigmoid, overflow silenced with np.seterr", "np.seterr"),
    ("bce_from_logits", "a column of labels flattened", "y of shape (n, 1) against z of shape (n,)"),
    ("cce_from_logits", "computed in float32", "float32 keeps only about 7 significant digits"),
    ("cce_from_logits", _cce_of_float32_logits, "with decimals"),
    ("bce_from_logits", _bce_of_shapes_made_2d, "np.atleast_2d turns z of shape (n,) into (1, n)"),
    ("bce_from_logits", _bce_of_last_axis_and_size_compared, "should raise ValueError"),
    ("bce_from_logits", _bce_of_a_row_of_labels_flattened, "should raise ValueError"),
], ids=["W2 square", "np.seterr", "y a column", "cce float32", "cce float32 logits", "bce np.atleast_2d",
        "bce last axis and size", "bce y a row"])
def test_lesson_02_rejects_what_every_input_shared(name, wrong, shown):
    """Each passed before: W2 was never square, np.seterr inside the answer went unseen, no y had an axis more than z,
    no float64 logits near +-1000 had decimals, and no y or z had an extra axis of size 1 in front."""
    answer = catalogued(name, wrong) if isinstance(wrong, str) else wrong
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind != PASSED and shown in verdict.text, verdict.text


@pytest.mark.parametrize("name, mistake, shown", [
    ("softmax_stable", "a vector shifted by its first logit", "subtract each row's own maximum"),
    ("bce_from_logits", "a row of logits flattened", "z of shape (1, n) against y of shape (n,)"),
    ("bce_from_logits", "length, size and ndim compared, not shapes", "compare the whole shapes"),
    ("bce_from_logits", "last axis, size and ndim compared, not shapes", "compare the whole shapes")])
def test_lesson_02_rejects_what_no_input_tried(name, mistake, shown):
    """Each passed before: no vector of logits spanned more than about 700, no z had an extra axis of size 1 in front,
    and no two mismatched shapes shared their length (or last axis), size and number of dimensions."""
    verdict = judge(registry.get_exercise(name), catalogued(name, mistake))
    assert verdict.kind != PASSED and shown in verdict.text, verdict.text


@pytest.mark.parametrize("name, mistake, shown", [
    ("softmax_stable", "squeezed before the softmax", "np.squeeze turns a batch of n examples with one class"),
    ("softmax_stable", "a list of rows", "returned a list, not a numpy array"),
    ("softmax_stable", "computed in the input's integer dtype", "int8 and uint8 numbers stay small integers"),
    ("mlp_forward", "output as (n_out, n), transposed only when its shape is off", "puts the examples in columns"),
    ("bce_from_logits", "computed in the inputs' integer dtypes", "-y of a uint8 label 1 wraps around to 255"),
    ("cce_from_logits", "computed in the input's integer dtype", "Z - m of uint8 wraps around")],
    ids=["softmax (n, 1) squeezed", "softmax list", "softmax int8", "mlp n == n_out", "bce uint8", "cce int8"])
def test_lesson_02_rejects_one_class_small_integers_lists_and_as_many_examples_as_outputs(name, mistake, shown):
    """Each passed before: no batch had one class (shape (n, 1)), no result had to be a numpy array, no logits or
    labels came as int8 or uint8, and no network had as many examples as outputs."""
    verdict = judge(registry.get_exercise(name), catalogued(name, mistake))
    assert verdict.kind != PASSED and shown in verdict.text, verdict.text


def test_mlp_forward_accepts_its_own_check_of_the_shapes():
    """The exercise asks for no particular error on mismatched shapes: an assert of its own is right too."""
    def asserting(X, W1, b1, W2, b2):
        assert X.shape[1] == W1.shape[1], "X and W1 do not fit"
        return sigmoid(np.tanh(X @ W1.T + b1) @ W2.T + b2)
    _passes("mlp_forward", asserting)


def test_train_mlp_is_tried_on_integer_weights_set_by_hand():
    """{k: v.copy()} keeps an integer dtype, and params[k] -= lr * grad then raises a casting error."""
    from course_utils.exercises.backpropagation import _loss_from_logits
    _mlp_backward_reference = reference_copy("mlp_backward")

    def copy_then_subtract(X, y, params, lr, epochs):
        if lr <= 0:
            raise ValueError("lr must be positive")
        params, losses = {k: v.copy() for k, v in params.items()}, []
        for _ in range(epochs):
            losses.append(_loss_from_logits(params, X, y))
            grads = _mlp_backward_reference(X, y, params["W1"], params["b1"], params["W2"], params["b2"])
            for name, g in zip(("W1", "b1", "W2", "b2"), grads):
                params[name] -= lr * g
        return params, losses
    with pytest.raises(ExerciseFailed, match="integer weights set by hand"):
        check("train_mlp", copy_then_subtract, strict=True)


def _dense_backward_squeezed(X, W, dZ):
    X, W, dZ = (np.asarray(a, dtype=float) for a in (X, W, dZ))
    if X.shape[1] != W.shape[1] or dZ.shape != (len(X), len(W)):
        raise ValueError("shapes do not fit")
    return dZ @ W, np.squeeze(dZ.T @ X), np.squeeze(dZ.sum(axis=0))


def _ce_grad_clipped_after_mean_shift(Z, y):
    Z = np.asarray(Z, dtype=float)
    if len(y) != len(Z):
        raise ValueError("lengths differ")
    e = np.exp(np.clip(Z - Z.mean(axis=1, keepdims=True), -700, 700))
    return (e / e.sum(axis=1, keepdims=True) - np.eye(Z.shape[1])[y]) / len(Z)


@pytest.mark.parametrize("name, answer, shown", [
    ("dense_backward", _dense_backward_squeezed, "np.squeeze"),
    ("softmax_ce_grad", _ce_grad_clipped_after_mean_shift, "clip nothing")])
def test_lesson_03_checks_draw_one_neuron_layers_and_rows_spread_over_thousands(name, answer, shown):
    """Generated inputs: a layer of one neuron or one input; logits spread over thousands within a row."""
    with pytest.raises(ExerciseFailed, match=shown):
        check(name, answer, strict=True)


def _derivative_zeroed_beyond(threshold):
    def derivative(z):
        s = sigmoid(z)
        return np.where(np.abs(np.asarray(z, dtype=float)) > threshold, 0.0, s * (1 - s))
    return derivative


def _dense_backward_dz_clipped(X, W, dZ):
    X, W, dZ = (np.asarray(a, dtype=float) for a in (X, W, dZ))
    if X.shape[1] != W.shape[1] or dZ.shape != (len(X), len(W)):
        raise ValueError("shapes do not fit")
    dZ = np.clip(dZ, -100, 100)
    return dZ @ W, dZ.T @ X, dZ.sum(axis=0)


def _ce_grad_fewer_labels_only(Z, y):
    from course_utils import mlp
    if len(y) < len(Z):
        raise ValueError("too few labels")
    return (mlp.softmax(Z) - np.eye(np.shape(Z)[1])[y]) / len(Z)


def _mlp_backward_delta(delta):
    """The right backward pass, with the output delta dZ2 = delta(P, Y) / n."""
    def backward(X, y, W1, b1, W2, b2):
        X = np.asarray(X, dtype=float)
        H = np.tanh(X @ W1.T + b1)
        P = sigmoid(H @ W2.T + b2)
        dZ2 = delta(P, np.asarray(y, dtype=float).reshape(-1, 1)) / len(X)
        dZ1 = (dZ2 @ W2) * (1 - H ** 2)
        return dZ1.T @ X, dZ1.sum(axis=0), dZ2.T @ H, dZ2.sum(axis=0)
    return backward


def _train_mlp_stopping_below(tol):
    from course_utils import mlp

    def train(X, y, params, lr, epochs):
        if lr <= 0:
            raise ValueError("lr must be positive")
        params, losses = {k: np.array(v, dtype=float) for k, v in params.items()}, []
        for _ in range(epochs):
            losses.append(mlp.binary_cross_entropy(y, mlp.forward(params, X)[1]["Z2"], from_logits=True))
            if losses[-1] < tol:
                break
            _, grads = mlp.loss_and_grads(params, X, y)
            params = {k: params[k] - lr * grads[k] for k in params}
        return params, losses
    return train


@pytest.mark.parametrize("name, answer, shown", [
    ("sigmoid_derivative", _derivative_zeroed_beyond(30), "far below 0"),
    ("sigmoid_derivative", _derivative_zeroed_beyond(100), "1e-308"),
    ("dense_backward", _dense_backward_dz_clipped, "in the thousands"),
    ("softmax_ce_grad", _ce_grad_fewer_labels_only, "more labels than rows"),
    ("mlp_backward", _mlp_backward_delta(lambda P, Y: -(Y / P - (1 - Y) / (1 - P)) * P * (1 - P)), "divides 0 by 0"),
    ("mlp_backward", _mlp_backward_delta(lambda P, Y: np.clip(P, 1e-7, 1 - 1e-7) - Y), "do not clip P"),
    ("train_mlp", _train_mlp_stopping_below(1e-6), "no early stopping")],
    ids=["zero beyond 30", "zero beyond 100", "dZ clipped", "too few labels only", "chain rule through P",
         "P clipped", "early stopping"])
def test_lesson_03_checks_try_tiny_derivatives_large_gradients_and_confident_outputs(name, answer, shown):
    """Derivatives far below z = 0, a gradient in the thousands, more labels than one example, outputs whose sigmoid
    rounds to 0 or 1, and a start whose loss is already tiny."""
    with pytest.raises(ExerciseFailed, match=shown):
        check(name, answer, strict=True)


def _derivative_with_math_for_a_number(z):
    import math
    if np.ndim(z) == 0:
        s = 1 / (1 + math.exp(-float(z)))
        return s * (1 - s)
    return sigmoid(z) * (1 - sigmoid(z))


def _dense_backward_narrow_x_only(X, W, dZ):
    X, W, dZ = (np.asarray(a, dtype=float) for a in (X, W, dZ))
    if X.shape[1] < W.shape[1] or dZ.shape != (len(X), len(W)):
        raise ValueError("shapes do not fit")
    return dZ @ W, dZ.T @ X, dZ.sum(axis=0)


def _mlp_backward_h_like_x(X, y, W1, b1, W2, b2):
    X = np.asarray(X)
    H = np.zeros_like(X, shape=(len(X), len(W1)))
    H[...] = np.tanh(X @ W1.T + b1)
    dZ2 = (sigmoid(H @ W2.T + b2) - np.asarray(y, dtype=float).reshape(-1, 1)) / len(X)
    dZ1 = (dZ2 @ W2) * (1 - H ** 2)
    return dZ1.T @ X, dZ1.sum(axis=0), dZ2.T @ H, dZ2.sum(axis=0)


def _train_mlp_with(clip=None, norm=None, whole=False, lr_type=None):
    """Gradient descent with each gradient entry clipped to [-clip, clip], or each gradient (whole=True: all four
    together) scaled to a norm of at most ``norm``, or with lr required to be of lr_type."""
    from course_utils import mlp

    def train(X, y, params, lr, epochs):
        if (lr_type is not None and not isinstance(lr, lr_type)) or lr <= 0:
            raise ValueError("lr must be a positive float")
        params, losses = {k: np.array(v, dtype=float) for k, v in params.items()}, []
        for _ in range(epochs):
            losses.append(mlp.binary_cross_entropy(y, mlp.forward(params, X)[1]["Z2"], from_logits=True))
            _, grads = mlp.loss_and_grads(params, X, y)
            if clip is not None:
                grads = {k: np.clip(g, -clip, clip) for k, g in grads.items()}
            if norm is not None:
                total = np.sqrt(sum(np.sum(g ** 2) for g in grads.values()))
                grads = {k: g * min(1.0, norm / (total if whole else np.linalg.norm(g))) for k, g in grads.items()}
            params = {k: params[k] - lr * grads[k] for k in params}
        return params, losses
    return train


@pytest.mark.parametrize("name, answer, shown", [
    ("sigmoid_derivative", _derivative_with_math_for_a_number, "math.exp"),
    ("dense_backward", _dense_backward_narrow_x_only, "more columns than W expects"),
    ("mlp_backward", _mlp_backward_h_like_x, "integer inputs"),
    ("train_mlp", _train_mlp_with(norm=100), "do not clip or rescale"),
    ("train_mlp", _train_mlp_with(norm=1000, whole=True), "unscaled features")],
    ids=["math.exp for a number", "narrow X only", "H like X", "norm clipped at 100", "total norm clipped at 1000"])
def test_lesson_03_checks_try_numbers_wide_inputs_integer_features_and_unscaled_features(name, answer, shown):
    """A single number at z = -1000, an X wider than W expects, integer inputs to the whole network, and features
    in the ten thousands, whose gradients are too."""
    with pytest.raises(ExerciseFailed, match=shown):
        check(name, answer, strict=True)


def _dense_backward_reshaping_dz(X, W, dZ):
    X, W = np.asarray(X, dtype=float), np.asarray(W, dtype=float)
    if X.shape[1] != W.shape[1]:
        raise ValueError("X does not fit W")
    dZ = np.asarray(dZ, dtype=float).reshape(len(X), -1)   # numpy raises when the sizes differ
    return dZ @ W, dZ.T @ X, dZ.sum(axis=0)


def _mlp_backward_by_einsum(X, y, W1, b1, W2, b2):
    X = np.asarray(X, dtype=float)
    H = np.tanh(np.einsum("ni,hi->nh", X, W1) + b1)
    dZ2 = (sigmoid(np.einsum("nh,oh->no", H, W2) + b2) - np.asarray(y, dtype=float)[:, None]) / len(X)
    dZ1 = np.einsum("no,oh->nh", dZ2, W2) * (1 - H ** 2)
    return np.einsum("nh,ni->hi", dZ1, X), dZ1.sum(axis=0), np.einsum("no,nh->oh", dZ2, H), dZ2.sum(axis=0)


def _mlp_backward_by_broadcasting(X, y, W1, b1, W2, b2):
    X = np.asarray(X, dtype=float)
    H = np.tanh((X[:, None, :] * W1[None, :, :]).sum(axis=2) + b1)
    dZ2 = (sigmoid(H @ W2.T + b2) - np.asarray(y, dtype=float)[:, None]) / len(X)
    dZ1 = (dZ2 @ W2) * (1 - H ** 2)
    return (dZ1[:, :, None] * X[:, None, :]).sum(axis=0), dZ1.sum(axis=0), dZ2.T @ H, dZ2.sum(axis=0)


@pytest.mark.parametrize("name, answer, shown", [
    ("dense_backward", _dense_backward_reshaping_dz, "dZ transposed"),
    ("mlp_backward", _mlp_backward_by_einsum, "stretch an axis of length 1"),
    ("mlp_backward", _mlp_backward_by_broadcasting, "stretch an axis of length 1"),
    ("train_mlp", _train_mlp_with(clip=1000), "do not clip the gradients"),
    ("train_mlp", _train_mlp_with(clip=5000), "wrong value"),
    ("train_mlp", _train_mlp_with(lr_type=float), "lr = 1, a whole number")],
    ids=["dZ reshaped", "einsum MLP", "broadcast MLP", "entries clipped at 1000", "entries clipped at 5000",
         "int lr rejected"])
def test_lesson_03_checks_try_a_transposed_dz_one_feature_huge_gradient_entries_and_an_int_lr(name, answer, shown):
    """A dZ with the right number of entries in the wrong shape, X or W1 with a single feature against several,
    gradient entries in the tens of thousands, and lr = 1 given as an int."""
    with pytest.raises(ExerciseFailed, match=shown):
        check(name, answer, strict=True)


def _softmax_ce_grad_in_float32(Z, y):
    if len(y) != len(Z):
        raise ValueError("one label per row")
    Z = np.asarray(Z, dtype=np.float32)
    e = np.exp(Z - Z.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True) - np.eye(Z.shape[1], dtype=np.float32)[y]) / len(Z)


def _mlp_backward_with_own(sigmoid_of=sigmoid, tanh_of=np.tanh):
    """The right backward pass with the learner's own sigmoid or tanh."""
    def mlp_backward(X, y, W1, b1, W2, b2):
        X = np.asarray(X, dtype=float)
        H = tanh_of(X @ W1.T + b1)
        dZ2 = (sigmoid_of(H @ W2.T + b2) - np.asarray(y, dtype=float).reshape(-1, 1)) / len(X)
        dZ1 = dZ2 @ W2 * (1 - H ** 2)
        return dZ1.T @ X, dZ1.sum(axis=0), dZ2.T @ H, dZ2.sum(axis=0)
    return mlp_backward


def _train_mlp_with_loss(loss_of_logits):
    """Gradient descent recording the loss with the learner's own formula of the logits z and the labels y."""
    from course_utils import mlp

    def train_mlp(X, y, params, lr, epochs):
        if not lr > 0:   # lr = NaN must raise too (round 12)
            raise ValueError("lr must be positive")
        params, losses = {k: np.array(v, dtype=float) for k, v in params.items()}, []
        for _ in range(epochs):
            z = mlp.forward(params, X)[1]["Z2"][:, 0]
            losses.append(np.mean(loss_of_logits(z, np.asarray(y, dtype=float))))
            _, grads = mlp.loss_and_grads(params, X, y)
            params = {k: params[k] - lr * grads[k] for k in params}
        return params, losses
    return train_mlp


@pytest.mark.parametrize("name, answer, shown", [
    ("softmax_ce_grad", _softmax_ce_grad_in_float32, "float32 keeps about 7 digits"),
    ("mlp_backward", _mlp_backward_with_own(sigmoid_of=lambda z: np.exp(z) / (1 + np.exp(z))), "for a logit above 709"),
    ("mlp_backward", _mlp_backward_with_own(tanh_of=lambda z: (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z))),
     "use np.tanh"),
    ("train_mlp", _train_mlp_with_loss(lambda z, y: np.log1p(np.exp(z)) - y * z), "so does your loss"),
    ("train_mlp", _train_mlp_with_loss(lambda z, y: np.log(1 + np.exp(-z)) + (1 - y) * z), "logits of \\+-800"),
    ("train_mlp", _train_mlp_with_loss(lambda z, y: np.logaddexp(0, z) - y * z), None)],
    ids=["softmax in float32", "sigmoid from exp(z)", "tanh from np.exp", "loss log1p(exp(z))", "loss log(1 + exp(-z))",
         "loss with np.logaddexp (right)"])
def test_lesson_03_checks_try_confident_softmax_rows_and_logits_and_hidden_sums_beyond_exp_s_range(name, answer, shown):
    """P of the true class within 1e-4 of 1 (float32 keeps 3 digits of P - 1), and hidden sums and logits beyond 709,
    where np.exp overflows: the sigmoid, tanh and loss must be the stable ones; a stable loss of one's own passes."""
    if shown is None:
        _passes(name, answer)
        return
    with pytest.raises(ExerciseFailed, match=shown):
        check(name, answer, strict=True)



def _sigmoid_derivative_vectorized(otypes=None):
    """A stable formula for one number, applied element by element with np.vectorize."""
    import math

    def one(v):
        s = 1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v))
        return s * (1 - s)
    return lambda z: np.vectorize(one, otypes=otypes)(z)


def _sigmoid_derivative_guarded_by_max(z):
    z = np.asarray(z, dtype=float)
    if np.max(np.abs(z)) > 1e6:   # the reduction raises for an empty array
        raise ValueError("z is too large")
    s = sigmoid(z)
    return s * (1 - s)


def _dense_backward_by_rows(db_of=lambda dZ: dZ.sum(axis=0), reshaped=True):
    """The shape checks, then dX and dW built example by example (dX reshaped to X's shape, or not)."""
    def dense_backward(X, W, dZ):
        X, W, dZ = (np.asarray(a, dtype=float) for a in (X, W, dZ))
        if X.shape[1] != W.shape[1] or dZ.shape != (len(X), len(W)):
            raise ValueError("shapes do not fit")
        dX = np.array([dZ[i] @ W for i in range(len(X))])
        dX = dX.reshape(X.shape) if reshaped else dX
        dW = sum((np.outer(dZ[i], X[i]) for i in range(len(X))), np.zeros(W.shape))
        return dX, dW, db_of(dZ)
    return dense_backward


def _train_mlp_named(*names):
    """The right training loop under the parameter names ``names`` (the first three are X, y, params)."""
    _train_mlp_reference = reference_copy("train_mlp")

    def train_mlp(*args, **kwargs):
        given = {**dict(zip(names, args)), **kwargs}
        unexpected = set(given) - set(names)
        if unexpected:
            raise TypeError(f"train_mlp() got an unexpected keyword argument {sorted(unexpected)[0]!r}")
        return _train_mlp_reference(*(given[n] for n in names))
    return train_mlp


@pytest.mark.parametrize("name, answer, shown", [
    ("sigmoid_derivative", _sigmoid_derivative_vectorized(), "otypes=\\[float\\]"),
    ("sigmoid_derivative", _sigmoid_derivative_guarded_by_max, "zero-size array"),
    ("sigmoid_derivative", _sigmoid_derivative_vectorized(otypes=[float]), None),
    ("dense_backward", _dense_backward_by_rows(lambda dZ: np.array([row.sum() for row in dZ.T])), None),
    ("dense_backward", _dense_backward_by_rows(reshaped=False), "np.array of an empty list"),
    ("dense_backward", _dense_backward_by_rows(lambda dZ: sum(dZ)), "empty batch"),
    ("train_mlp", _train_mlp_named("X", "y", "params", "learning_rate", "epochs"), "keep the parameter names"),
    ("train_mlp", _train_mlp_named("X", "y", "params", "lr", "n_epochs"), "unexpected keyword argument 'epochs'"),
    ("train_mlp", _train_mlp_named("X", "y", "params", "lr", "epochs"), None)],
    ids=["np.vectorize", "guarded by np.max", "np.vectorize with otypes (right)", "dense by rows (right)",
         "dX stacked from its rows", "db as Python sum", "lr renamed", "epochs renamed", "train_mlp by name (right)"])
def test_lesson_03_checks_try_empty_arrays_an_empty_batch_and_train_mlp_called_by_keyword(name, answer, shown):
    """"An array of any shape" includes empty ones, a layer's batch may be empty (dW and db are then zeros), and the
    notebook calls train_mlp with lr= and epochs= by keyword, so the parameter names are part of the exercise."""
    if shown is None:
        _passes(name, answer)
        return
    with pytest.raises(ExerciseFailed, match=shown):
        check(name, answer, strict=True)


def _sigmoid_derivative_in_log_space(z):
    """sigma'(z) = exp(z - 2 log(1 + e^z)): right for every finite z, inf - inf = NaN at z = +inf."""
    z = np.asarray(z, dtype=float)
    return np.exp(z - 2 * np.logaddexp(0, z))


def _sigmoid_derivative_of_softplus_sum(z):
    """sigma'(z) = exp(-log(1 + e^z) - log(1 + e^-z)), which is 0 at z = +-inf."""
    z = np.asarray(z, dtype=float)
    return np.exp(-np.logaddexp(0, z) - np.logaddexp(0, -z))


def _dense_backward_in_dtype_of(name):
    """The right formulas, with the other two arrays converted to the dtype of ``name`` ("X" or "dZ")."""
    def dense_backward(X, W, dZ):
        arrays = {"X": np.asarray(X), "W": np.asarray(W), "dZ": np.asarray(dZ)}
        X, W, dZ = (np.asarray(a, dtype=arrays[name].dtype) for a in arrays.values())
        if X.shape[1] != W.shape[1] or dZ.shape != (len(X), len(W)):
            raise ValueError("shapes do not fit")
        return dZ @ W, dZ.T @ X, dZ.sum(axis=0)
    return dense_backward


def _train_mlp_with_lr_at_most(bound):
    _train_mlp_reference = reference_copy("train_mlp")

    def train_mlp(X, y, params, lr, epochs):
        if not 0 < lr <= bound:
            raise ValueError(f"lr must be in (0, {bound}]")
        return _train_mlp_reference(X, y, params, lr, epochs)
    return train_mlp


@pytest.mark.parametrize("name, answer, shown", [
    ("sigmoid_derivative", _sigmoid_derivative_in_log_space, "inf - inf = NaN"),
    ("sigmoid_derivative", _sigmoid_derivative_of_softplus_sum, None),
    ("dense_backward", _dense_backward_in_dtype_of("dZ"), "takes dZ's dtype"),
    ("dense_backward", _dense_backward_in_dtype_of("X"), "integer inputs X"),
    ("train_mlp", _train_mlp_with_lr_at_most(10), "lr = 50"),
    ("train_mlp", _train_mlp_with_lr_at_most(20), "lr = 50"),
    ("train_mlp", _train_mlp_with_lr_at_most(float("inf")), None)],
    ids=["log-space derivative", "softplus-sum derivative (right)", "cast to dZ's dtype", "cast to X's dtype",
         "lr above 10 rejected", "lr above 20 rejected", "any positive lr (right)"])
def test_lesson_03_checks_try_infinite_z_an_integer_gradient_and_a_large_lr(name, answer, shown):
    """+-inf is a number whose derivative is 0, a gradient dZ of whole numbers must not turn X and W into whole
    numbers, and any positive lr (50, 500) is allowed, not only the small ones a training run would choose."""
    if shown is None:
        _passes(name, answer)
        return
    with pytest.raises(ExerciseFailed, match=shown):
        check(name, answer, strict=True)


def _mlp_by_apply_along_axis(X, W1, b1, W2, b2):
    return np.apply_along_axis(lambda x: sigmoid(W2 @ np.tanh(W1 @ x + b1) + b2), 1, X)


def _mlp_rows_stacked(X, W1, b1, W2, b2):
    return np.vstack([sigmoid(np.tanh(x @ W1.T + b1) @ W2.T + b2) for x in X])


def _mlp_sigmoid_with_a_threshold_at_minus_700(X, W1, b1, W2, b2):
    z = np.tanh(X @ W1.T + b1) @ W2.T + b2   # float32 for a float32 network
    return np.where(z < -700, 0.0, 1 / (1 + np.exp(-np.maximum(z, -700))))


def _mlp_in_the_inputs_precision(X, W1, b1, W2, b2):
    import scipy.special

    return scipy.special.expit(np.tanh(X @ W1.T + b1) @ W2.T + b2)   # float32 stays float32, and never overflows


def _mlp_with_tanh_from_the_sigmoid(X, W1, b1, W2, b2):
    H = 2 * sigmoid(2 * (W1 @ X.T + b1[:, None])) - 1   # (n_h, n): examples in columns
    return sigmoid(W2 @ H + b2[:, None]).T


@pytest.mark.parametrize("answer, shown", [
    (_mlp_by_apply_along_axis, "a batch of no examples"),
    (_mlp_rows_stacked, "a batch of no examples"),
    (_mlp_sigmoid_with_a_threshold_at_minus_700, "float32 throughout"),
    (_mlp_in_the_inputs_precision, None),
    (_mlp_with_tanh_from_the_sigmoid, None)],
    ids=["np.apply_along_axis", "rows stacked", "threshold at -700 in float32", "float32 kept (right)",
         "tanh from the sigmoid, examples in columns (right)"])
def test_mlp_forward_tries_an_empty_batch_and_a_float32_network_far_from_zero(answer, shown):
    """Every case had examples and float64 output logits, so a loop over the rows of X (which the exercise rules out)
    and a sigmoid guarded for float64 only (np.exp overflows in float32 above 88.7) passed."""
    if shown is None:
        _passes("mlp_forward", answer)
        return
    with pytest.raises(ExerciseFailed, match=shown):
        check("mlp_forward", answer, strict=True)


def _sigmoid_derivative_as_list(z):
    s = sigmoid(z)
    return (s * (1 - s)).tolist()   # a Python float for a number, a (nested) list for an array


def _dense_backward_db_by_columns(X, W, dZ):
    """The right formulas, with db summed column by column into a Python list."""
    X, W, dZ = (np.asarray(a, dtype=float) for a in (X, W, dZ))
    if X.shape[1] != W.shape[1] or dZ.shape != (len(X), len(W)):
        raise ValueError("shapes do not fit")
    return dZ @ W, dZ.T @ X, [float(dZ[:, j].sum()) for j in range(len(W))]


def _softmax_ce_grad_as_list(Z, y):
    from course_utils import mlp
    if len(y) != len(Z):
        raise ValueError("lengths differ")
    Z = np.asarray(Z, dtype=float)
    return ((mlp.softmax(Z) - np.eye(Z.shape[1])[y]) / len(Z)).tolist()


def _mlp_backward_db1_by_units(X, y, W1, b1, W2, b2):
    """The reference's gradients, with db1 summed unit by unit into a Python list."""
    dW1, _, dW2, db2 = reference_copy("mlp_backward")(X, y, W1, b1, W2, b2)
    X = np.asarray(X, dtype=float)
    H = np.tanh(X @ W1.T + b1)
    dZ1 = (sigmoid(H @ W2.T + b2) - np.asarray(y, dtype=float)[:, None]) / len(X) @ W2 * (1 - H ** 2)
    return dW1, [float(dZ1[:, j].sum()) for j in range(len(W1))], dW2, db2


def _train_mlp_returning_lists(X, y, params, lr, epochs):
    _train_mlp_reference = reference_copy("train_mlp")
    new_params, losses = _train_mlp_reference(X, y, params, lr, epochs)
    return {k: v.tolist() for k, v in new_params.items()}, losses


def _dense_backward_as_given(X, W, dZ):
    """The hint's formulas on the arrays as given (no conversion to floats)."""
    X, W, dZ = np.asarray(X), np.asarray(W), np.asarray(dZ)
    if X.shape[1] != W.shape[1] or dZ.shape != (len(X), len(W)):
        raise ValueError("shapes do not fit")
    return dZ @ W, dZ.T @ X, dZ.sum(axis=0)


@pytest.mark.parametrize("name, answer", [
    ("sigmoid_derivative", _sigmoid_derivative_as_list),
    ("dense_backward", _dense_backward_db_by_columns),
    ("softmax_ce_grad", _softmax_ce_grad_as_list),
    ("mlp_backward", _mlp_backward_db1_by_units),
    ("train_mlp", _train_mlp_returning_lists)],
    ids=["derivative .tolist()", "db by columns", "gradient .tolist()", "db1 by units", "params as lists"])
def test_lesson_03_checks_want_numpy_arrays_not_lists(name, answer):
    """A list has the right values but no .max() or .shape, and param - lr * grad fails on it: the lesson's next
    cells break on it, so the check must too."""
    with pytest.raises(ExerciseFailed, match="not a numpy array"):
        check(name, answer, strict=True)


def test_lesson_03_checks_accept_numbers_and_a_list_of_the_arrays():
    """A number may come back as a Python float, and the three gradients in a list unpack as a tuple does."""
    def derivative_as_python_float(z):
        s = sigmoid(z)
        return float(s * (1 - s)) if np.ndim(z) == 0 else s * (1 - s)

    def dense_backward_in_a_list(X, W, dZ):
        X, W, dZ = (np.asarray(a, dtype=float) for a in (X, W, dZ))
        if X.shape[1] != W.shape[1] or dZ.shape != (len(X), len(W)):
            raise ValueError("shapes do not fit")
        return [dZ @ W, dZ.T @ X, dZ.sum(axis=0)]

    _passes("sigmoid_derivative", derivative_as_python_float)
    _passes("dense_backward", dense_backward_in_a_list)


def test_dense_backward_names_the_integer_db_of_the_hints_formulas():
    """Without a conversion to floats, an integer dZ gives an integer db: the message must say so, not blame an
    np.zeros_like the answer never used."""
    verdict = judge(registry.get_exercise("dense_backward"), _dense_backward_as_given)
    assert verdict.kind == WRONG and verdict.mistake == "db in dZ's integer dtype", verdict.text
    assert "dZ.sum(axis=0) keeps dZ's dtype" in verdict.text and "zeros_like" not in verdict.text


def _longdouble_softmax(z):
    e = np.exp(np.asarray(z, dtype=np.longdouble))
    return e / e.sum(axis=-1, keepdims=True)


def _longdouble_mlp(X, W1, b1, W2, b2):
    z = (np.tanh(X @ W1.T + b1) @ W2.T + b2).astype(np.longdouble)
    return (1 / (1 + np.exp(-z))).astype(float)


def _longdouble_exact_bce(y, z):
    y, z = np.asarray(y, dtype=np.longdouble), np.asarray(z, dtype=np.longdouble)
    if y.shape != z.shape:
        raise ValueError("shapes differ")
    return float(np.mean((1 - y) * z + np.log1p(np.exp(-z))))


def _longdouble_log_of_softmax_cce(y, Z):
    y, Z = np.asarray(y), np.asarray(Z, dtype=np.longdouble)
    if len(y) != len(Z):
        raise ValueError("lengths differ")
    P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    return float(-np.mean(np.log(P[np.arange(len(y)), y])))


@pytest.mark.parametrize("name, answer, mistake", [
    ("softmax_stable", _longdouble_softmax, "naive in np.longdouble"),
    ("mlp_forward", _longdouble_mlp, "naive sigmoid in np.longdouble"),
    ("bce_from_logits", _longdouble_exact_bce, "exact form in np.longdouble"),
    ("cce_from_logits", _longdouble_log_of_softmax_cce, "log of a naive softmax in np.longdouble")],
    ids=["softmax", "mlp_forward", "bce exact form", "cce log of softmax"])
def test_lesson_02_tries_logits_beyond_np_exp_s_range_in_long_double(name, answer, mistake):
    """Each passed before on x86 Linux: np.exp overflows in np.longdouble only above about 11356, and no logit went
    beyond 2000; np.longdouble is plain float64 on Windows and Apple silicon, where the same answers give inf or NaN."""
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and verdict.mistake == mistake, verdict.text
    assert "beyond np.exp's range even in np.longdouble" in verdict.text and "only moves the overflow" in verdict.text


def _mlp_by_broadcast_products(X, W1, b1, W2, b2):
    H = np.tanh((np.asarray(X)[:, None, :] * W1).sum(axis=-1) + b1)
    return sigmoid((H[:, None, :] * W2).sum(axis=-1) + b2)


def _mlp_hidden_by_einsum(X, W1, b1, W2, b2):
    return sigmoid(np.tanh(np.einsum("ni,hi->nh", X, W1) + b1) @ W2.T + b2)


def _mlp_output_by_einsum(X, W1, b1, W2, b2):
    return sigmoid(np.einsum("nh,oh->no", np.tanh(X @ W1.T + b1), W2) + b2)


@pytest.mark.parametrize("answer, shown", [
    (_mlp_by_broadcast_products, "X and W1 disagree, one of them with a single feature"),
    (_mlp_hidden_by_einsum, "X and W1 disagree, one of them with a single feature"),
    (_mlp_output_by_einsum, "W2 does not fit the hidden layer, one of them with a single unit")],
    ids=["broadcast products", "einsum in the hidden layer", "einsum in the output layer"])
def test_mlp_forward_tries_an_axis_of_one_against_several(answer, shown):
    """They passed before: the only mismatch tried had 3 features against 2, where np.einsum and a broadcast product
    raise too; with one feature (or one hidden unit) on either side they stretch it and return values."""
    verdict = judge(registry.get_exercise("mlp_forward"), answer)
    assert verdict.kind == WRONG and shown in verdict.text and "stretch an axis of length 1" in verdict.text, \
        verdict.text


def _scipy_loss(name):
    from scipy import special

    def bce(y, z):
        y, z = np.asarray(y, dtype=float), np.asarray(z, dtype=float)
        if y.shape != z.shape:
            raise ValueError("shapes differ")
        return float(np.mean(np.logaddexp(0, z) - y * z))

    def cce(y, Z):
        y, Z = np.asarray(y), np.asarray(Z, dtype=float)
        if len(y) != len(Z):
            raise ValueError("lengths differ")
        return float(np.mean(special.logsumexp(Z, axis=1) - np.take_along_axis(Z, y[:, None], axis=1)[:, 0]))
    return {"bce_from_logits": bce, "cce_from_logits": cce}[name]


@pytest.mark.parametrize("name, answer", [
    ("softmax_stable", lambda z: _softmax_minus(lambda v: np.sort(v, axis=-1)[..., -1:])(z)),
    ("softmax_stable", lambda z: np.exp(np.asarray(z, float) - __import__("scipy.special").special.logsumexp(
        np.asarray(z, float), axis=-1, keepdims=True))),
    ("mlp_forward", lambda X, W1, b1, W2, b2: sigmoid(np.inner(np.tanh(np.inner(X, W1) + b1), W2) + b2)),
    ("mlp_forward", lambda X, W1, b1, W2, b2: sigmoid(np.tensordot(np.tanh(np.tensordot(X, W1, axes=(1, 1)) + b1), W2,
                                                                   axes=(1, 1)) + b2)),
    ("bce_from_logits", _scipy_loss("bce_from_logits")),
    ("cce_from_logits", _scipy_loss("cce_from_logits"))],
    ids=["softmax sorted maximum", "softmax minus logsumexp", "mlp np.inner", "mlp tensordot", "bce logaddexp",
         "cce scipy logsumexp"])
def test_lesson_02_takes_right_answers_on_logits_beyond_long_double_and_axes_of_one(name, answer):
    _passes(name, answer)


# round 12 (a1203): all-integer layers, a 1-D dZ, labels above 255, lr = NaN, np.matrix and masked-array results
def _dense_backward_in_the_inputs_common_dtype(X, W, dZ):
    """The hint's formulas in np.result_type of the three arrays: floats unless all three are whole numbers."""
    X, W, dZ = np.asarray(X), np.asarray(W), np.asarray(dZ)
    common = np.result_type(X, W, dZ)
    X, W, dZ = X.astype(common), W.astype(common), dZ.astype(common)
    if X.shape[1] != W.shape[1] or dZ.shape != (len(X), len(W)):
        raise ValueError("shapes do not fit")
    return dZ @ W, dZ.T @ X, dZ.sum(axis=0)


def _dense_backward_with_atleast_2d(X, W, dZ):
    X, W, dZ = np.asarray(X, dtype=float), np.asarray(W, dtype=float), np.atleast_2d(np.asarray(dZ, dtype=float))
    if X.shape[1] != W.shape[1] or dZ.shape != (len(X), len(W)):
        raise ValueError("shapes do not fit")
    return dZ @ W, dZ.T @ X, dZ.sum(axis=0)


def _dense_backward_checking_sizes_one_by_one(X, W, dZ):
    """Right: dZ.shape[1] raises IndexError for a 1-D dZ, which the check accepts as well as ValueError."""
    X, W, dZ = (np.asarray(a, dtype=float) for a in (X, W, dZ))
    if X.shape[1] != W.shape[1] or dZ.shape[0] != X.shape[0] or dZ.shape[1] != W.shape[0]:
        raise ValueError("shapes do not fit")
    return np.einsum("nj,ji->ni", dZ, W), np.einsum("nj,ni->ji", dZ, X), np.ones(len(X)) @ dZ


def _softmax_ce_grad_with_labels_as(dtype):
    def softmax_ce_grad(Z, y):
        from course_utils import mlp
        if len(y) != len(Z):
            raise ValueError("lengths differ")
        Z = np.asarray(Z, dtype=float)
        return (mlp.softmax(Z) - np.eye(Z.shape[1])[np.asarray(y).astype(dtype)]) / len(Z)
    return softmax_ce_grad


def _train_mlp_checking(refused):
    def train_mlp(X, y, params, lr, epochs):
        from course_utils import mlp
        _mlp_backward_reference = reference_copy("mlp_backward")
        if refused(lr):
            raise ValueError(f"lr must be positive, got {lr}")
        params, losses = {k: np.array(v, dtype=float) for k, v in params.items()}, []
        for _ in range(epochs):
            losses.append(mlp.binary_cross_entropy(y, mlp.forward(params, X)[1]["Z2"], from_logits=True))
            grads = _mlp_backward_reference(X, y, params["W1"], params["b1"], params["W2"], params["b2"])
            for name, grad in zip(["W1", "b1", "W2", "b2"], grads):
                params[name] = params[name] - lr * grad
        return params, np.array(losses)
    return train_mlp


def _as(kind, answer):
    """``answer``, with every 2-D array it returns turned into an np.matrix, or every array into a masked array."""
    def wrap(a):
        if not isinstance(a, np.ndarray):
            return a
        return np.asmatrix(a) if kind == "matrix" and a.ndim == 2 else np.ma.masked_invalid(a) if kind == "masked" else a

    def wrapped(*args, **kwargs):
        result = answer(*args, **kwargs)
        if isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], dict):
            return {k: wrap(v) for k, v in result[0].items()}, result[1]
        return tuple(wrap(a) for a in result) if isinstance(result, tuple) else wrap(result)
    return wrapped


def _reference_of(name):
    return reference_copy(name)


@pytest.mark.parametrize("name, answer, shown", [
    ("dense_backward", _dense_backward_in_the_inputs_common_dtype, "expected floating-point values"),
    ("dense_backward", _dense_backward_with_atleast_2d, "np.atleast_2d"),
    ("softmax_ce_grad", _softmax_ce_grad_with_labels_as(np.uint8), "labels above 255"),
    ("softmax_ce_grad", _softmax_ce_grad_with_labels_as(np.int8), "labels above 255"),
    ("train_mlp", _train_mlp_checking(lambda lr: lr <= 0), "`lr <= 0` is False for it"),
    ("train_mlp", _train_mlp_checking(lambda lr: lr < 0 or lr == 0), "`lr <= 0` is False for it"),
    ("sigmoid_derivative", _as("matrix", lambda z: _reference_of("sigmoid_derivative")(z)), "np.matrix"),
    ("sigmoid_derivative", _as("masked", lambda z: _reference_of("sigmoid_derivative")(z)), "masked array"),
    ("dense_backward", _as("matrix", lambda X, W, dZ: _reference_of("dense_backward")(X, W, dZ)), "np.matrix"),
    ("softmax_ce_grad", _as("matrix", lambda Z, y: _reference_of("softmax_ce_grad")(Z, y)), "np.matrix"),
    ("mlp_backward", _as("matrix", lambda *a: _reference_of("mlp_backward")(*a)), "np.matrix"),
    ("train_mlp", _as("matrix", _train_mlp_checking(lambda lr: not lr > 0)), "np.matrix"),
    ("dense_backward", _dense_backward_checking_sizes_one_by_one, None),
    ("train_mlp", _train_mlp_checking(lambda lr: not lr > 0), None),
], ids=["dense result_type", "dense atleast_2d dZ", "labels as uint8", "labels as int8", "lr <= 0 lets NaN through",
        "lr < 0 or lr == 0", "derivative as np.matrix", "derivative masked", "dense as np.matrix", "ce grad as np.matrix",
        "mlp_backward as np.matrix", "train_mlp params as np.matrix", "dense shape checked size by size (right)",
        "train_mlp with not lr > 0 (right)"])
def test_lesson_03_checks_try_all_integer_layers_a_1d_dz_many_classes_a_nan_lr_and_array_subclasses(name, answer, shown):
    """No case had X, W and dZ all whole numbers, a 1-D dZ, a label above 14, or lr = NaN, and an np.matrix or a masked
    array counted as a numpy array."""
    if shown is None:
        _passes(name, answer)
        return
    with pytest.raises(ExerciseFailed, match=re.escape(shown)):
        check(name, answer, strict=True)


def _train_mlp_returning(pick):
    """The reference's training, returned as ``pick(new_params, losses)``."""
    def train_mlp(X, y, params, lr, epochs):
        _train_mlp_reference = reference_copy("train_mlp")
        return pick(*_train_mlp_reference(X, y, params, lr, epochs))
    return train_mlp


@pytest.mark.parametrize("pick", [lambda p, losses: (losses, p), lambda p, losses: p,
                                  lambda p, losses: ({k: v for k, v in p.items() if k.startswith("W")}, losses)],
                         ids=["(losses, params)", "params only", "weights only"])
def test_train_mlp_names_a_result_that_is_not_params_and_losses(pick):
    """A swapped pair made the check's own indexing fail, reported as "raised IndexError" as if the answer had raised."""
    with pytest.raises(ExerciseFailed, match=re.escape("must return the pair (new_params, losses)")):
        check("train_mlp", _train_mlp_returning(pick), strict=True)



def _train_mlp_lr_checked(where):
    """The right loop, with ``not lr > 0`` checked inside it ("loop", so that epochs = 0 never checks it) or with
    isinstance(lr, (int, float)) added to it ("isinstance", which refuses numpy's numbers)."""
    from course_utils.exercises.backpropagation import _loss_from_logits
    _mlp_backward_reference = reference_copy("mlp_backward")

    def train_mlp(X, y, params, lr, epochs):
        if where == "isinstance" and (not isinstance(lr, (int, float)) or not lr > 0):
            raise ValueError("lr must be a positive number")
        params, losses = {k: np.array(v, dtype=float) for k, v in params.items()}, []
        for _ in range(epochs):
            if where == "loop" and not lr > 0:
                raise ValueError("lr must be positive")
            losses.append(_loss_from_logits(params, X, y))
            grads = _mlp_backward_reference(X, y, params["W1"], params["b1"], params["W2"], params["b2"])
            for name, grad in zip(("W1", "b1", "W2", "b2"), grads):
                params[name] = params[name] - lr * grad
        return params, np.array(losses)
    return train_mlp


@pytest.mark.parametrize("answer, shown", [
    (_train_mlp_lr_checked("loop"), "lr = 0 with epochs = 0"),
    (_train_mlp_lr_checked("isinstance"), "np.float32\\(0.25\\)")], ids=["lr checked in the loop", "numpy lr refused"])
def test_train_mlp_checks_lr_with_zero_epochs_and_takes_numpy_numbers(answer, shown):
    """Every invalid lr came with epochs = 5, so a check inside the loop (never reached for epochs = 0) passed; and
    every lr and epochs were Python numbers, so isinstance(lr, (int, float)) passed although it refuses np.float32."""
    with pytest.raises(ExerciseFailed, match=shown):
        check("train_mlp", answer, strict=True)


def test_train_mlp_names_the_lr_checked_in_the_loop_and_takes_other_right_loops():
    verdict = judge(registry.get_exercise("train_mlp"), _train_mlp_lr_checked("loop"))
    assert verdict.kind == WRONG and "before the loop" in verdict.text, verdict.text
    from course_utils import mlp

    def shallow_copy_then_rebind(X, y, params, lr, epochs):
        if not lr > 0:
            raise ValueError("lr must be positive")
        backward = reference_copy("mlp_backward")
        params, losses = dict(params), []
        for _ in range(epochs):
            losses.append(mlp.binary_cross_entropy(y, mlp.forward(params, X)[1]["Z2"], from_logits=True))
            for name, grad in zip(("W1", "b1", "W2", "b2"), backward(X, y, *(params[k] for k in ("W1", "b1", "W2", "b2")))):
                params[name] = params[name] - lr * grad
        return params, losses
    _passes("train_mlp", shallow_copy_then_rebind)
    # round 18 reverses this ruling: the text asks for a loop of the learner's own, and mlp.train_gd is the whole answer
    _refused_as_the_course_s_own("train_mlp", lambda X, y, params, lr, epochs: mlp.train_gd(params, X, y, lr, epochs))


def _dense_backward_checked_only_for_examples(where):
    """The right gradients, with the shapes checked inside the loop over the examples ("loop") or only when the batch
    is not empty ("nonempty"): an empty batch of a misfit layer is never checked."""
    def dense_backward(X, W, dZ):
        X, W, dZ = (np.asarray(a, dtype=float) for a in (X, W, dZ))
        if where == "nonempty" and len(X) and (X.shape[1] != W.shape[1] or dZ.shape != (len(X), len(W))):
            raise ValueError("shapes do not fit")
        if where == "nonempty":
            return dZ @ W, dZ.T @ X, dZ.sum(axis=0)
        if len(X) != len(dZ):
            raise ValueError("one row of dZ per example")
        dX, dW, db = np.zeros(X.shape), np.zeros(W.shape), np.zeros(len(W))
        for i, (x, d) in enumerate(zip(X, dZ)):
            if len(x) != W.shape[1] or len(d) != len(W):
                raise ValueError("shapes do not fit")
            dX[i], dW, db = d @ W, dW + np.outer(d, x), db + d
        return dX, dW, db
    return dense_backward


@pytest.mark.parametrize("where", ["loop", "nonempty"])
def test_dense_backward_checks_the_shapes_of_an_empty_batch(where):
    """The only empty batches fitted the layer, so shape checks that an empty batch never reaches passed."""
    with pytest.raises(ExerciseFailed, match="an empty batch whose X has 3 columns but W expects 4"):
        check("dense_backward", _dense_backward_checked_only_for_examples(where), strict=True)
    if where == "loop":
        verdict = judge(registry.get_exercise("dense_backward"), _dense_backward_checked_only_for_examples(where))
        assert "once, before the loop" in verdict.text, verdict.text


def test_dense_backward_takes_a_loop_with_its_checks_before_it():
    def dense_backward(X, W, dZ):
        X, W, dZ = (np.asarray(a, dtype=float) for a in (X, W, dZ))
        n, n_in = X.shape
        if W.shape[1] != n_in or dZ.shape[0] != n or dZ.shape[1] != W.shape[0]:
            raise ValueError("shapes do not fit")
        dX, dW, db = np.zeros(X.shape), np.zeros(W.shape), np.zeros(len(W))
        for i in range(n):
            dX[i] = dZ[i] @ W
            dW += np.outer(dZ[i], X[i])
            db += dZ[i]
        return dX, dW, db
    _passes("dense_backward", dense_backward)


def _train_mlp_with_the_loss_of(logits_of):
    """The right loop, with each loss computed as mlp.binary_cross_entropy(y, logits_of(cache['Z2']), from_logits=True)."""
    from course_utils import mlp
    _mlp_backward_reference = reference_copy("mlp_backward")

    def train_mlp(X, y, params, lr, epochs):
        if not lr > 0:
            raise ValueError("lr must be positive")
        params, losses = {k: np.array(v, dtype=float) for k, v in params.items()}, []
        for _ in range(epochs):
            losses.append(mlp.binary_cross_entropy(y, logits_of(mlp.forward(params, X)[1]["Z2"]), from_logits=True))
            grads = _mlp_backward_reference(X, y, params["W1"], params["b1"], params["W2"], params["b2"])
            for name, grad in zip(("W1", "b1", "W2", "b2"), grads):
                params[name] = params[name] - lr * grad
        return params, np.array(losses)
    return train_mlp


def test_train_mlp_is_tried_on_a_single_example():
    """Every case had 3 examples or more, so logits squeezed to shape (n,) passed: for one example they become a
    number, of another shape than y's (1,)."""
    with pytest.raises(ExerciseFailed, match="a single example"):
        check("train_mlp", _train_mlp_with_the_loss_of(lambda Z2: Z2.squeeze()), strict=True)
    verdict = judge(registry.get_exercise("train_mlp"), _train_mlp_with_the_loss_of(lambda Z2: Z2.squeeze()))
    assert "pass cache['Z2'] as it is" in verdict.text, verdict.text
    _passes("train_mlp", _train_mlp_with_the_loss_of(lambda Z2: Z2.ravel()))
    _passes("train_mlp", _train_mlp_with_the_loss_of(lambda Z2: Z2[:, 0]))


# round 13 (a1302): a softmax taken along axis=1, or row by row, passed: no batch had three axes or no examples
def _softmax_row_of(row):
    e = np.exp(row - row.max())
    return e / e.sum()


def _softmax_axis_1_of_a_batch(z):
    z = np.asarray(z, dtype=float)
    if z.ndim == 1:
        return _softmax_row_of(z)
    e = np.exp(z - z.max(axis=1)[:, None])
    return e / e.sum(axis=1)[:, None]


def _softmax_rows_in_an_array(z):
    z = np.asarray(z, dtype=float)
    return _softmax_row_of(z) if z.ndim == 1 else np.array([_softmax_row_of(row) for row in z])


def _softmax_of_rows_reshaped(z):
    """Right: every row (last axis) of any batch, as a 2-D array of rows, then the caller's shape back."""
    z = np.asarray(z, dtype=float)
    rows = z.reshape(-1, z.shape[-1])
    e = np.exp(rows - rows.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True)).reshape(z.shape)


@pytest.mark.parametrize("answer, mistake", [
    (_softmax_axis_1_of_a_batch, "axis 1"),
    (_softmax_rows_in_an_array, "rows stacked"),
    (lambda z: np.apply_along_axis(_softmax_row_of, -1, np.asarray(z, dtype=float)), "np.apply_along_axis"),
    (_softmax_of_rows_reshaped, None),
    (lambda z: __import__("scipy.special").special.softmax(np.asarray(z, dtype=float), axis=-1), None)],
    ids=["axis=1", "rows in np.array", "np.apply_along_axis", "rows reshaped (right)", "scipy softmax (right)"])
def test_softmax_is_tried_on_a_batch_of_three_axes_and_of_no_examples(answer, mistake):
    """The exercise asks for the softmax along the last axis of a vector or a batch: axis=1 is the last axis of a 2-D
    batch only, and a loop over the rows gives shape (0,) for a batch of shape (0, k), or raises."""
    verdict = judge(registry.get_exercise("softmax_stable"), answer)
    if mistake is None:
        assert verdict.kind == PASSED, verdict.text
        return
    assert verdict.kind == WRONG and verdict.mistake == mistake, verdict.text


def _cce_with_labels_as(dtype):
    def cce_from_logits(y, Z):
        y, Z = np.asarray(y).astype(dtype), np.asarray(Z, dtype=float)
        if len(y) != len(Z):
            raise ValueError("lengths differ")
        m = Z.max(axis=1)
        return np.mean(m + np.log(np.exp(Z - m[:, None]).sum(axis=1)) - Z[np.arange(len(y)), y])
    return cce_from_logits


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16], ids=["uint8", "int8", "int16 (right here)"])
def test_cce_is_tried_on_labels_above_255(dtype):
    """No label went above 7, so labels cast to uint8 or int8 passed (softmax_ce_grad of lesson 03 tries 300 classes)."""
    if dtype is np.int16:
        _passes("cce_from_logits", _cce_with_labels_as(dtype))
        return
    with pytest.raises(ExerciseFailed, match=re.escape("labels above 255")):
        check("cce_from_logits", _cce_with_labels_as(dtype), strict=True)


# lessons 02a and 02b (round 14): probabilities far below 1, X turned to fit W1, NaN logits skipped by np.nanmean
def _softmax_floored(z):
    return np.clip(_softmax_of_rows_reshaped(z), 1e-12, 1.0)   # "no probability of exactly 0"


def _softmax_with_eps_in_each_term(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=-1, keepdims=True)) + 1e-12
    return e / e.sum(axis=-1, keepdims=True)


def _softmax_shift_clipped(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(np.maximum(z - z.max(axis=-1, keepdims=True), -30))   # "no underflow"
    return e / e.sum(axis=-1, keepdims=True)


def _mlp_logits(X, W1, b1, W2, b2):
    return np.tanh(X @ W1.T + b1) @ W2.T + b2


def _mlp_X_turned_to_fit(X, W1, b1, W2, b2):
    X = X if X.shape[1] == W1.shape[1] else X.T
    return sigmoid(_mlp_logits(X, W1, b1, W2, b2))


@pytest.mark.parametrize("name, answer", [
    ("softmax_stable", _softmax_floored),
    ("softmax_stable", _softmax_with_eps_in_each_term),
    ("softmax_stable", _softmax_shift_clipped),
    ("softmax_stable", lambda z: np.round(_softmax_of_rows_reshaped(z), 8)),
    ("mlp_forward", lambda X, W1, b1, W2, b2: sigmoid(np.clip(_mlp_logits(X, W1, b1, W2, b2), -30, 30))),
    ("mlp_forward", lambda X, W1, b1, W2, b2: np.round(sigmoid(_mlp_logits(X, W1, b1, W2, b2)), 8)),
], ids=["softmax floored at 1e-12", "softmax 1e-12 added to each term", "softmax shift clipped at -30",
        "softmax rounded to 8 decimals", "mlp logits clipped at 30", "mlp rounded to 8 decimals"])
def test_lesson_02a_probabilities_far_below_1_are_compared_to_their_own_scale(name, answer, capsys):
    """compare_values' atol of 1e-8 let a probability far below 1 pass as 0 (rounded), as 1e-12 (floored) or as
    sigmoid(-30) (clipped logits): a later log reads it, and 02b shows what a probability rounded to 0 does."""
    with pytest.raises(ExerciseFailed, match="far below 1 must come out right"):
        check(name, answer, strict=True)


@pytest.mark.parametrize("name, answer", [
    ("softmax_stable", lambda z: np.exp(np.asarray(z, dtype=float) - __import__("scipy.special").special.logsumexp(
        np.asarray(z, dtype=float), axis=-1, keepdims=True))),
    ("softmax_stable", lambda z: _softmax_of_rows_reshaped(z).astype(np.float32)),
    ("mlp_forward", lambda X, W1, b1, W2, b2: 0.5 + 0.5 * np.tanh(_mlp_logits(X, W1, b1, W2, b2) / 2)),
    ("mlp_forward", lambda X, W1, b1, W2, b2: sigmoid(_mlp_logits(X, W1, b1, W2, b2)).astype(np.float32)),
    ("mlp_forward", lambda X, W1, b1, W2, b2: __import__("scipy.special").special.expit(
        _mlp_logits(X, W1, b1, W2, b2).astype(float))),
], ids=["softmax exp(z - logsumexp)", "softmax as float32", "mlp 0.5 + 0.5 tanh(z / 2)", "mlp as float32",
        "mlp scipy expit"])
def test_lesson_02a_probabilities_right_to_1e_15_pass(name, answer):
    """0.5 + 0.5 * tanh(z / 2) gives exactly 0 below z = -37 (1 minus a number next to 1), but its error stays below
    float64's step next to 1; float32 keeps about 7 digits of every small probability."""
    _passes(name, answer)


def test_mlp_forward_rejects_x_transposed_to_fit_w1(capsys):
    """Every mismatched X had a transpose that did not fit W1 either, so X.T "when the columns do not fit" passed."""
    with pytest.raises(ExerciseFailed, match=re.escape("X.T would fit")):
        check("mlp_forward", _mlp_X_turned_to_fit, strict=True)
    check("mlp_forward", _mlp_X_turned_to_fit)
    assert "Transposing X to make it fit" in capsys.readouterr().out


def _bce_nanmean(y, z):
    y, z = np.asarray(y, dtype=float), np.asarray(z, dtype=float)
    if y.shape != z.shape:
        raise ValueError("shapes differ")
    return np.nanmean(np.logaddexp(0, z) - y * z)


def _cce_nanmean(y, Z):
    y, Z = np.asarray(y), np.asarray(Z, dtype=float)
    if len(y) != len(Z):
        raise ValueError("lengths differ")
    return np.nanmean(__import__("scipy.special").special.logsumexp(Z, axis=1) - Z[np.arange(len(y)), y])


@pytest.mark.parametrize("name, answer", [("bce_from_logits", _bce_nanmean), ("cce_from_logits", _cce_nanmean)],
                         ids=["bce", "cce"])
def test_lesson_02b_losses_keep_a_nan_logit(name, answer, capsys):
    """No logit was NaN, so np.nanmean, which skips a NaN loss and hides the broken logit, passed."""
    with pytest.raises(ExerciseFailed, match="a NaN logit gives a NaN loss"):
        check(name, answer, strict=True)
    check(name, answer)
    assert "np.nanmean skips the NaN losses" in capsys.readouterr().out


def _bce_by_logaddexp(y, z):
    y, z = np.asarray(y, dtype=float), np.asarray(z, dtype=float)
    if y.shape != z.shape:
        raise ValueError("shapes differ")
    return np.mean(np.logaddexp(0, z) - y * z)


@pytest.mark.parametrize("name, answer", [("bce_from_logits", _bce_by_logaddexp),
                                          ("cce_from_logits", _cce_with_labels_as(np.int64))],
                         ids=["bce np.logaddexp", "cce"])
def test_lesson_02b_losses_by_np_mean_pass(name, answer):
    _passes(name, answer)


# round 14 (a1403): int8 and uint8 inputs, the derivative above z = 20, empty and one-row arrays of two axes or more,
# X converted to float32 (named as P clipped), and params popped from the caller's dict (reported as a KeyError)
def _sigmoid_derivative_exact_form_as_given(z):
    """e^-|z| / (1 + e^-|z|)^2, right in float64, on z as given: np.exp of int8 computes in float16."""
    e = np.exp(-np.abs(z))
    return e / (1 + e) ** 2


def _sigmoid_derivative_zeroed_above(threshold):
    """Zero on the positive side only, above ``threshold``: the derivative there is e^-z, small but not 0."""
    def derivative(z):
        z = np.asarray(z, dtype=float)
        s = sigmoid(z)
        return np.where(z > threshold, 0.0, s * (1 - s))
    return derivative


def _sigmoid_derivative_by_rows(z):
    """The derivative of each row of an array of two axes or more, stacked with np.array: shape (0,) for (0, 3)."""
    z = np.asarray(z, dtype=float)
    if z.ndim >= 2:
        return np.array([_sigmoid_derivative_by_rows(row) for row in z])
    s = sigmoid(z)
    return s * (1 - s)


def _sigmoid_derivative_flattening_one_row(z):
    s = sigmoid(z)
    d = s * (1 - s)
    return d.ravel() if np.ndim(z) > 1 and np.shape(z)[0] == 1 else d


def _softmax_ce_grad_own_softmax_as_given(Z, y):
    """A stable softmax of one's own without a conversion to floats: int8 logits wrap around in Z - Z.max(...)."""
    Z = np.asarray(Z)
    if len(y) != len(Z):
        raise ValueError("lengths differ")
    e = np.exp(Z - Z.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True) - np.eye(Z.shape[1])[y]) / len(Z)


def _softmax_ce_grad_shifted_without_keepdims(Z, y):
    """Z - Z.max(axis=1), which raises for most shapes; where it does, the maximum is put back on its axis. A square
    batch (n == k) broadcasts without an error: column j is shifted by row j's maximum."""
    Z = np.asarray(Z, dtype=float)
    if len(y) != len(Z):
        raise ValueError("lengths differ")
    try:
        e = np.exp(Z - Z.max(axis=1))
    except ValueError:
        e = np.exp(Z - Z.max(axis=1)[:, None])
    return (e / e.sum(axis=1, keepdims=True) - np.eye(Z.shape[1])[y]) / len(Z)


def _mlp_backward_x_in_float32(X, y, W1, b1, W2, b2):
    X = np.asarray(X, dtype=np.float32)
    H = np.tanh(X @ W1.T + b1)
    dZ2 = (sigmoid(H @ W2.T + b2) - np.asarray(y, dtype=float).reshape(-1, 1)) / len(X)
    dZ1 = (dZ2 @ W2) * (1 - H ** 2)
    return dZ1.T @ X, dZ1.sum(axis=0), dZ2.T @ H, dZ2.sum(axis=0)


def _train_mlp_popping_the_params(X, y, params, lr, epochs):
    """The right loop on params taken out of the caller's dict with params.pop: the caller loses its starting point."""
    from course_utils import mlp
    _mlp_backward_reference = reference_copy("mlp_backward")
    if not lr > 0:
        raise ValueError("lr must be positive")
    own, losses = {k: np.array(params.pop(k), dtype=float) for k in list(params)}, []
    for _ in range(epochs):
        losses.append(mlp.binary_cross_entropy(y, mlp.forward(own, X)[1]["Z2"], from_logits=True))
        grads = _mlp_backward_reference(X, y, own["W1"], own["b1"], own["W2"], own["b2"])
        for name, grad in zip(("W1", "b1", "W2", "b2"), grads):
            own[name] = own[name] - lr * grad
    return own, np.array(losses)


@pytest.mark.parametrize("name, answer, shown", [
    ("sigmoid_derivative", _sigmoid_derivative_exact_form_as_given, "computes in float16"),
    ("sigmoid_derivative", lambda z: sigmoid(z) * sigmoid(-np.asarray(z)), "-z of an unsigned array"),
    ("sigmoid_derivative", _sigmoid_derivative_zeroed_above(20), "z from 21 to 26, above 0"),
    ("sigmoid_derivative", _sigmoid_derivative_zeroed_above(25), "z from 21 to 26, above 0"),
    ("sigmoid_derivative", _sigmoid_derivative_by_rows, "an empty array of shape (0, 3)"),
    ("sigmoid_derivative", _sigmoid_derivative_flattening_one_row, "a single row, shape (1, 4)"),
    ("softmax_ce_grad", _softmax_ce_grad_own_softmax_as_given, "wraps around"),
    ("softmax_ce_grad", _softmax_ce_grad_shifted_without_keepdims, "as many examples as classes (3 x 3)"),
    ("mlp_backward", _mlp_backward_x_in_float32, "np.asarray(X, dtype=np.float32)"),
    ("train_mlp", _train_mlp_popping_the_params, "removed 'W1', 'b1', 'W2', 'b2' from the caller's params dict")],
    ids=["exact form on int8", "sigmoid(-z) on uint8", "zero above 20", "zero above 25", "rows stacked", "one row flattened",
         "own softmax on int8 logits", "square logits shifted without keepdims", "X in float32", "params popped"])
def test_lesson_03_checks_try_small_integer_dtypes_z_above_20_empty_arrays_of_two_axes_and_popped_params(name, answer,
                                                                                                      shown):
    """Every integer input was int32 or int64 (np.exp of int8 computes in float16, and -z of uint8 wraps around), no z
    lay in (20, 745) above 0, every empty array was 1-D and no array had a leading axis of one; an X in float32 was
    named "do not clip P"; no batch of logits was square (as many examples as classes); and a params dict emptied
    with pop made the check's own lookup raise KeyError."""
    with pytest.raises(ExerciseFailed, match=re.escape(shown)):
        check(name, answer, strict=True)


def test_lesson_03_checks_take_float_forms_of_the_derivative_and_the_softmax():
    import scipy.special

    def derivative_exact_form(z):
        e = np.exp(-np.abs(np.asarray(z, dtype=float)))
        return e / (1 + e) ** 2

    def softmax_ce_grad_by_logsumexp(Z, y):
        Z = np.asarray(Z, dtype=float)
        if len(y) != len(Z):
            raise ValueError("lengths differ")
        return (np.exp(Z - scipy.special.logsumexp(Z, axis=1, keepdims=True)) - np.eye(Z.shape[1])[y]) / len(Z)

    _passes("sigmoid_derivative", derivative_exact_form)
    _passes("sigmoid_derivative", lambda z: sigmoid(z) * sigmoid(-np.asarray(z, dtype=float)))
    _passes("sigmoid_derivative", lambda z: (lambda s: s - s * s)(sigmoid(z)))
    _passes("softmax_ce_grad", softmax_ce_grad_by_logsumexp)
    _passes("softmax_ce_grad", lambda Z, y: _softmax_ce_grad_own_softmax_as_given(np.asarray(Z, dtype=float), y))


# lessons 02a and 02b (round 15, a1502): W1 transposed to fit X, and logits clipped at any size the cases did not reach
def _mlp_W1_turned_to_fit(X, W1, b1, W2, b2):
    W1 = W1 if W1.shape[1] == X.shape[1] else W1.T   # "fixed" when it does not fit X
    return sigmoid(np.tanh(X @ W1.T + b1) @ W2.T + b2)


def test_mlp_forward_rejects_w1_transposed_to_fit_x(capsys):
    """X.T "to fit" was caught in round 14, but W1.T "to fit" passed: every W1 whose transpose fitted X gave a hidden
    layer that b1 or W2 did not fit, so it raised anyway; W1 of shape (3, 1) against X of 3 features does not."""
    with pytest.raises(ExerciseFailed, match=re.escape("W1.T would fit")):
        check("mlp_forward", _mlp_W1_turned_to_fit, strict=True)
    check("mlp_forward", _mlp_W1_turned_to_fit)
    assert "Transposing W1 to make it fit" in capsys.readouterr().out


def _bce_clipped_at(size):
    def answer(y, z):
        y, z = np.asarray(y, dtype=float), np.clip(np.asarray(z, dtype=float), -size, size)
        if y.shape != z.shape:
            raise ValueError("shapes differ")
        return np.mean(np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z))))
    return answer


def _cce_clipped_at(size):
    def answer(y, Z):
        y, Z = np.asarray(y), np.clip(np.asarray(Z, dtype=float), -size, size)
        if len(y) != len(Z):
            raise ValueError("lengths differ")
        return np.mean(__import__("scipy.special").special.logsumexp(Z, axis=1) - Z[np.arange(len(y)), y])
    return answer


@pytest.mark.parametrize("name, answer, shown", [
    ("bce_from_logits", _bce_clipped_at(500), "needs no clip"),
    ("cce_from_logits", _cce_clipped_at(500), "needs no clip"),
    ("bce_from_logits", _bce_clipped_at(1e6), "logits of 1e38 in size"),
    ("cce_from_logits", _cce_clipped_at(1e6), "logits of 1e300 in size"),
    ("bce_from_logits", _bce_clipped_at(1e30), "logits of 1e38 in size"),
], ids=["bce at 500", "cce at 500", "bce at 1e6", "cce at 1e6", "bce at 1e30"])
def test_lesson_02b_losses_reject_clipped_logits(name, answer, shown, capsys):
    """The largest logits were 1e5 in size, so a clip of the logits at 1e6 (or any size above 1e5) passed; a clip at
    500, caught by the logits of 1000, was not named."""
    with pytest.raises(ExerciseFailed):
        check(name, answer, strict=True)
    check(name, answer)
    assert shown in capsys.readouterr().out


def _bce_in_float32(y, z):
    y, z = np.asarray(y, dtype=np.float32), np.asarray(z, dtype=np.float32)
    if y.shape != z.shape:
        raise ValueError("shapes differ")
    return np.mean(np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z))))


def _cce_one_hot(y, Z):
    y, Z = np.asarray(y), np.asarray(Z, dtype=float)
    if len(y) != len(Z):
        raise ValueError("lengths differ")
    log_p = Z - __import__("scipy.special").special.logsumexp(Z, axis=1, keepdims=True)
    return -np.mean(np.sum(np.eye(Z.shape[1])[y] * log_p, axis=1))


@pytest.mark.parametrize("name, answer", [("bce_from_logits", _bce_by_logaddexp), ("bce_from_logits", _bce_in_float32),
                                          ("cce_from_logits", _cce_one_hot), ("cce_from_logits", _cce_clipped_at(np.inf))],
                         ids=["bce np.logaddexp", "bce in float32", "cce one-hot", "cce scipy logsumexp"])
def test_lesson_02b_losses_of_huge_logits_right_pass(name, answer):
    """Logits of 1e38 (within float32's range: an answer computed in float32 still passes) and 1e300."""
    _passes(name, answer)


# round 15 (a1503): int8 and uint8 arrays multiplied before a conversion to floats, and gradients far below the atol of
# 1e-8 (a network already confidently right): probabilities clipped at 1e-12, logits clipped, a sigmoid written with
# tanh and results rounded all passed as zeros; gradients above 1e5 clipped and a training loop capped at 1000 steps
def _dense_backward_converted_at_the_end(X, W, dZ):
    X, W, dZ = np.asarray(X), np.asarray(W), np.asarray(dZ)
    if X.shape[1] != W.shape[1] or dZ.shape != (len(X), len(W)):
        raise ValueError("shapes do not fit")
    return (dZ @ W).astype(float), (dZ.T @ X).astype(float), dZ.sum(axis=0).astype(float)


def _dense_backward_rounded(X, W, dZ):
    X, W, dZ = (np.asarray(a, dtype=float) for a in (X, W, dZ))
    if X.shape[1] != W.shape[1] or dZ.shape != (len(X), len(W)):
        raise ValueError("shapes do not fit")
    return np.round(dZ @ W, 10), np.round(dZ.T @ X, 10), np.round(dZ.sum(axis=0), 10)


def _softmax_ce_grad_with(softmax):
    def grad(Z, y):
        Z = np.asarray(Z, dtype=float)
        if len(y) != len(Z):
            raise ValueError("lengths differ")
        return (softmax(Z) - np.eye(Z.shape[1])[y]) / len(Z)
    return grad


def _stable_softmax_of(Z):
    e = np.exp(Z - Z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _shifted_and_clipped_softmax(Z):
    """A stable softmax whose shifted logits are clipped at -30 (e^-30 = 9.4e-14 instead of e^-40 = 4.2e-18)."""
    e = np.exp(np.clip(Z - Z.max(axis=1, keepdims=True), -30, 0))
    return e / e.sum(axis=1, keepdims=True)


def _mlp_backward_with(sigmoid_of, tanh_of=np.tanh, rounded=None):
    def backward(X, y, W1, b1, W2, b2):
        X = np.asarray(X, dtype=float)
        H = tanh_of(X @ W1.T + b1)
        dZ2 = (sigmoid_of(H @ W2.T + b2) - np.asarray(y, dtype=float).reshape(-1, 1)) / len(X)
        dZ1 = (dZ2 @ W2) * (1 - H ** 2)
        grads = (dZ1.T @ X, dZ1.sum(axis=0), dZ2.T @ H, dZ2.sum(axis=0))
        return grads if rounded is None else tuple(np.round(g, rounded) for g in grads)
    return backward


def _train_mlp_changing_the_gradients(change=lambda g, epoch: g):
    """The right loop, with ``change(grad, epoch)`` applied to each gradient before its step."""
    from course_utils import mlp
    _mlp_backward_reference = reference_copy("mlp_backward")

    def train(X, y, params, lr, epochs):
        if not lr > 0:
            raise ValueError("lr must be positive")
        own, losses = {k: np.array(v, dtype=float) for k, v in params.items()}, []
        for epoch in range(epochs):
            losses.append(mlp.binary_cross_entropy(y, mlp.forward(own, X)[1]["Z2"], from_logits=True))
            grads = _mlp_backward_reference(X, y, own["W1"], own["b1"], own["W2"], own["b2"])
            for name, grad in zip(("W1", "b1", "W2", "b2"), grads):
                own[name] = own[name] - lr * change(grad, epoch)
        return own, np.array(losses)
    return train


def _train_mlp_keeping_the_last_gradients(X, y, params, lr, epochs):
    """The right loop, then the last gradients stored in new_params too ('dW1', ...): mlp.accuracy refuses the dict."""
    _mlp_backward_reference = reference_copy("mlp_backward")
    new_params, losses = _train_mlp_changing_the_gradients()(X, y, params, lr, epochs)
    grads = _mlp_backward_reference(X, y, *(new_params[k] for k in ("W1", "b1", "W2", "b2")))
    new_params.update({"d" + k: g for k, g in zip(("W1", "b1", "W2", "b2"), grads)})
    return new_params, losses


@pytest.mark.parametrize("name, answer, shown", [
    ("dense_backward", _dense_backward_converted_at_the_end, "wrap around before .astype(float)"),
    ("dense_backward", _dense_backward_rounded, "a tiny gradient dZ (about 1e-12"),
    ("softmax_ce_grad", _softmax_ce_grad_with(lambda Z: np.clip(_stable_softmax_of(Z), 1e-12, 1 - 1e-12)),
     "do not clip or floor the probabilities"),
    # round 16: caught since on an earlier input, where e^-1000 is 0 (the floors of round 15 took its 9.4e-14 there)
    ("softmax_ce_grad", _softmax_ce_grad_with(_shifted_and_clipped_softmax),
     "The entry of a class other than the true"),
    ("mlp_backward", _mlp_backward_with(lambda z: np.clip(sigmoid(z), 1e-12, 1 - 1e-12)), "do not clip P"),
    ("mlp_backward", _mlp_backward_with(lambda z: sigmoid(np.clip(z, -30, 30))), "do not clip the logits"),
    ("mlp_backward", _mlp_backward_with(lambda z: 0.5 * (1 + np.tanh(z / 2))), "1 + tanh rounds to 0"),
    ("mlp_backward", _mlp_backward_with(sigmoid, rounded=10), "result #1: wrong value"),
    ("train_mlp", _train_mlp_changing_the_gradients(lambda g, epoch: np.clip(g, -1e5, 1e5)), "8.6266e+07"),
    ("train_mlp", _train_mlp_changing_the_gradients(lambda g, epoch: g if epoch < 1000 else 0 * g), "2000 steps"),
    ("train_mlp", _train_mlp_keeping_the_last_gradients, "yet yours also has 'dW1', 'db1', 'dW2', 'db2'")],
    ids=["dense converted at the end", "dense rounded", "softmax P clipped", "softmax shifted logits clipped at -30",
         "mlp P clipped at 1e-12", "mlp logits clipped", "mlp sigmoid with tanh", "mlp rounded",
         "train gradients clipped at 1e5", "train capped at 1000 steps", "train gradients kept in new_params"])
def test_lesson_03_checks_try_8_bit_products_tiny_and_huge_gradients_and_2000_steps(name, answer, shown):
    """Every whole-number array of dense_backward was int64, so products computed in the inputs' dtypes never wrapped
    around; every gradient array had entries above compare_values' atol of 1e-8, so a gradient of a confidently right
    network (1e-18) clipped, floored or rounded passed; dW1 never went beyond 1e5; train_mlp took at most 20 steps; and
    keys beside the four in new_params, which the notebook's next cell (mlp.accuracy) refuses, were not looked at."""
    with pytest.raises(ExerciseFailed, match=re.escape(shown)):
        check(name, answer, strict=True)


def test_lesson_03_gradient_checks_take_other_right_forms_of_tiny_gradients():
    import scipy.special

    def dense_by_einsum(X, W, dZ):
        X, W, dZ = (np.asarray(a, dtype=float) for a in (X, W, dZ))
        if X.shape[1] != W.shape[1] or dZ.shape != (len(X), len(W)):
            raise ValueError("shapes do not fit")
        return np.einsum("no,oi->ni", dZ, W), np.einsum("no,ni->oi", dZ, X), np.einsum("no->o", dZ)

    def softmax_ce_grad_by_rows(Z, y):
        Z = np.asarray(Z, dtype=float)
        if len(y) != len(Z):
            raise ValueError("lengths differ")
        out = np.empty_like(Z)
        for i, (z, c) in enumerate(zip(Z, y)):
            p = np.exp(z - scipy.special.logsumexp(z))
            p[c] -= 1
            out[i] = p / len(Z)
        return out

    _passes("dense_backward", dense_by_einsum)
    _passes("softmax_ce_grad", softmax_ce_grad_by_rows)
    _passes("softmax_ce_grad", _softmax_ce_grad_with(lambda Z: scipy.special.softmax(Z, axis=1)))
    _passes("mlp_backward", _mlp_backward_with(lambda z: 1 / (1 + np.exp(-z))))
    _passes("mlp_backward", _mlp_backward_with(sigmoid, tanh_of=lambda z: 2 * sigmoid(2 * z) - 1))
    _passes("mlp_backward", _mlp_backward_with(scipy.special.expit))
    _passes("train_mlp", _train_mlp_changing_the_gradients())


def test_lesson_03_gradient_checks_take_more_exact_gradients_of_confident_answers():
    """Where P rounds to 1, the reference's P - 1 is 0 while the exact value is -4e-18: the comparison to the gradient's
    own scale must take both (np.longdouble, or P - 1 written as -sigmoid(-z) or minus the other classes' sum)."""
    LD = np.longdouble

    def stable_sigmoid_ld(z):
        e = np.exp(-np.abs(z))
        return np.where(z >= 0, 1 / (1 + e), e / (1 + e))

    def mlp_backward_in_longdouble(X, y, W1, b1, W2, b2):
        X, W1, b1, W2, b2 = (np.asarray(a, dtype=LD) for a in (X, W1, b1, W2, b2))
        H = np.tanh(X @ W1.T + b1)
        dZ2 = (stable_sigmoid_ld(H @ W2.T + b2) - np.asarray(y, dtype=LD).reshape(-1, 1)) / len(X)
        dZ1 = (dZ2 @ W2) * (1 - H ** 2)
        return dZ1.T @ X, dZ1.sum(axis=0), dZ2.T @ H, dZ2.sum(axis=0)

    def mlp_backward_exact_delta(X, y, W1, b1, W2, b2):
        X = np.asarray(X, dtype=float)
        H = np.tanh(X @ W1.T + b1)
        Z2, labels = H @ W2.T + b2, np.asarray(y, dtype=float).reshape(-1, 1)
        dZ2 = np.where(labels == 1, -sigmoid(-Z2), sigmoid(Z2)) / len(X)
        dZ1 = (dZ2 @ W2) * (1 - H ** 2)
        return dZ1.T @ X, dZ1.sum(axis=0), dZ2.T @ H, dZ2.sum(axis=0)

    def softmax_ce_grad_in_longdouble(Z, y):
        Z = np.asarray(Z, dtype=LD)
        if len(y) != len(Z):
            raise ValueError("lengths differ")
        e = np.exp(Z - Z.max(axis=1, keepdims=True))
        return (e / e.sum(axis=1, keepdims=True) - np.eye(Z.shape[1])[y]) / len(Z)

    def softmax_ce_grad_true_class_as_minus_the_others(Z, y):
        Z = np.asarray(Z, dtype=float)
        if len(y) != len(Z):
            raise ValueError("lengths differ")
        P, rows = _stable_softmax_of(Z), np.arange(len(Z))
        G = P.copy()
        G[rows, y] = -(P.sum(axis=1) - P[rows, y])
        return G / len(Z)

    _passes("mlp_backward", mlp_backward_in_longdouble)
    _passes("mlp_backward", mlp_backward_exact_delta)
    _passes("softmax_ce_grad", softmax_ce_grad_in_longdouble)
    _passes("softmax_ce_grad", softmax_ce_grad_true_class_as_minus_the_others)


# round 16 (a1603): results tied to an input or kept between calls, W or W1 transposed to fit X, the other classes'
# tiny probabilities and a network's tiny gradients below the floors, gradients clipped at 1e9 to 1e13, the caller's
# arrays made read-only, a key added to the caller's params, a NaN or inf in dZ hidden, and one hidden unit
_A1603_BUFFERS = {}


def _a1603_buffered(compute):
    """``compute``'s arrays copied into buffers kept between calls (one per position and shape), and returned."""
    def answer(*args):
        result = compute(*args)
        arrays = result if isinstance(result, tuple) else (result,)
        kept = []
        for i, a in enumerate(arrays):
            buffer = _A1603_BUFFERS.setdefault((id(compute), i, a.shape), np.empty(a.shape))
            buffer[...] = a
            kept.append(buffer)
        return tuple(kept) if isinstance(result, tuple) else kept[0]
    return answer


def _a1603_dense(X, W, dZ):
    X, W, dZ = (np.asarray(a, dtype=float) for a in (X, W, dZ))
    if X.shape[1] != W.shape[1] or dZ.shape != (len(X), len(W)):
        raise ValueError("shapes do not fit")
    return dZ @ W, dZ.T @ X, dZ.sum(axis=0)


def _a1603_dense_db_as_a_view(X, W, dZ):
    """db = dZ[0] for a batch of one: right values, but a view of the caller's dZ."""
    dX, dW, db = _a1603_dense(X, W, dZ)
    return dX, dW, (np.asarray(dZ)[0] if len(dZ) == 1 else db)


def _a1603_sigmoid_derivative(z):
    s = sigmoid(z)
    return s * (1 - s)


def _a1603_softmax_ce_grad(Z, y, shifted_clip=None, floor=None, decimals=None):
    Z = np.asarray(Z, dtype=float)
    if len(y) != len(Z):
        raise ValueError("lengths differ")
    shifted = Z - Z.max(axis=1, keepdims=True)
    e = np.exp(shifted if shifted_clip is None else np.clip(shifted, shifted_clip, 0))
    P = e / e.sum(axis=1, keepdims=True)
    P = P if floor is None else np.maximum(P, floor)
    G = (P - np.eye(Z.shape[1])[y]) / len(Z)
    return G if decimals is None else np.round(G, decimals)


def _a1603_softmax_ce_grad_with(**kw):
    return lambda Z, y: _a1603_softmax_ce_grad(Z, y, **kw)


def _a1603_mlp_backward_w1_transposed(X, y, W1, b1, W2, b2):
    """Turns W1 to fit an X with W1.shape[0] columns, then the right backward pass (b1 broadcasts)."""
    X = np.asarray(X, dtype=float)
    if X.shape[1] != W1.shape[1] and X.shape[1] == W1.shape[0]:
        W1 = W1.T
    return _mlp_backward_with(sigmoid)(X, y, W1, b1, W2, b2)


def _a1603_dense_w_transposed(X, W, dZ):
    X, W = np.asarray(X, dtype=float), np.asarray(W, dtype=float)
    return _a1603_dense(X, W.T if X.shape[1] != W.shape[1] and X.shape[1] == W.shape[0] else W, dZ)


def _a1603_dense_then(change):
    """The right dense backward pass, then ``change(dX, dW, db, dZ)`` applied to its results."""
    return lambda X, W, dZ: change(*_a1603_dense(X, W, dZ), np.asarray(dZ, dtype=float))


def _a1603_dense_of_finite_dz(X, W, dZ):
    return _a1603_dense(X, W, np.nan_to_num(np.asarray(dZ, dtype=float)))


def _a1603_mlp_backward_db1_squeezed(X, y, W1, b1, W2, b2):
    """The right gradients with db1 through np.squeeze: shape () instead of (1,) for a single hidden unit."""
    dW1, db1, dW2, db2 = _mlp_backward_with(sigmoid)(X, y, W1, b1, W2, b2)
    return dW1, np.squeeze(db1), dW2, db2


def _a1603_read_only_first(compute):
    """``compute`` after switching off the writeable flag of its first argument (the caller's z or X)."""
    def answer(first, *rest):
        if isinstance(first, np.ndarray):
            first.setflags(write=False)
        return compute(first, *rest)
    return answer


def _a1603_train_mlp_keeping_lr_in_params(X, y, params, lr, epochs):
    """The right loop, after storing lr in the caller's params dict (mlp.forward then refuses the dict)."""
    params["lr"] = lr
    return _train_mlp_changing_the_gradients()(X, y, {k: v for k, v in params.items() if k != "lr"}, lr, epochs)


@pytest.mark.parametrize("name, answer, shown", [
    ("sigmoid_derivative", _a1603_buffered(_a1603_sigmoid_derivative), "in the memory of an earlier call's result"),
    ("dense_backward", _a1603_buffered(_a1603_dense), "in the memory of an earlier call's result"),
    ("dense_backward", _a1603_dense_db_as_a_view, "one of the input arrays itself"),
    ("softmax_ce_grad", _a1603_buffered(_a1603_softmax_ce_grad), "in the memory of an earlier call's result"),
    ("mlp_backward", _a1603_buffered(_mlp_backward_with(sigmoid)), "in the memory of an earlier call's result"),
    ("dense_backward", _a1603_dense_w_transposed, "Likely mistake: X must have W.shape[1] columns, one per input"),
    ("dense_backward", catalogued("dense_backward", "W transposed to fit X"), "W.T would fit"),
    ("mlp_backward", _a1603_mlp_backward_w1_transposed, "Likely mistake: X must have W1.shape[1] columns"),
    ("softmax_ce_grad", _a1603_softmax_ce_grad_with(shifted_clip=-40), "The entry of a class other than the true one"),
    ("softmax_ce_grad", _a1603_softmax_ce_grad_with(shifted_clip=-100), "The entry of a class other than the true one"),
    ("softmax_ce_grad", _a1603_softmax_ce_grad_with(shifted_clip=-500), "The entry of a class other than the true one"),
    ("softmax_ce_grad", _a1603_softmax_ce_grad_with(floor=1e-20), "The entry of a class other than the true one"),
    ("softmax_ce_grad", _a1603_softmax_ce_grad_with(decimals=17), "The entry of a class other than the true one"),
    ("mlp_backward", _mlp_backward_with(lambda z: sigmoid(np.clip(z, -50, 50))), "logits near -60"),
    ("mlp_backward", _mlp_backward_with(lambda z: sigmoid(np.clip(z, -100, 100))), "logits near -130"),
    ("mlp_backward", _mlp_backward_with(lambda z: sigmoid(np.clip(z, -500, 500))), "logits near -650"),
    ("mlp_backward", _mlp_backward_with(lambda z: np.maximum(sigmoid(z), 1e-20)), "logits near -60"),
    ("train_mlp", _train_mlp_changing_the_gradients(lambda g, epoch: np.clip(g, -1e9, 1e9)), "e+15"),
    ("train_mlp", _train_mlp_changing_the_gradients(lambda g, epoch: np.clip(g, -1e13, 1e13)), "e+15"),
    ("sigmoid_derivative", _a1603_read_only_first(_a1603_sigmoid_derivative),
     "made one of the caller's arrays read-only"),
    ("dense_backward", _a1603_read_only_first(_a1603_dense), "made one of the caller's arrays read-only"),
    ("train_mlp", _a1603_read_only_first(_train_mlp_changing_the_gradients()),
     "made one of the caller's arrays read-only"),
    ("train_mlp", _a1603_train_mlp_keeping_lr_in_params, "your function added 'lr' to the caller's params dict"),
    ("dense_backward", _a1603_dense_then(lambda dX, dW, db, dZ: (dX, dW, np.nansum(dZ, axis=0))),
     "dZ holding NaN and inf"),
    ("dense_backward", _a1603_dense_of_finite_dz, "dZ holding NaN and inf"),
    ("mlp_backward", _a1603_mlp_backward_db1_squeezed, "one hidden unit, 3 -> 1 -> 1")],
    ids=["sigmoid_derivative buffer", "dense buffers", "dense db = dZ[0]", "softmax buffer", "mlp buffers",
         "dense W turned to fit", "dense W turned (catalogued)", "mlp W1 turned to fit",
         "softmax shifted logits clipped at -40", "softmax clipped at -100", "softmax clipped at -500",
         "softmax P floored at 1e-20", "softmax rounded to 17 decimals", "mlp logits clipped at 50",
         "mlp logits clipped at 100", "mlp logits clipped at 500", "mlp P floored at 1e-20",
         "train gradients clipped at 1e9", "train gradients clipped at 1e13", "sigmoid_derivative z made read-only",
         "dense X made read-only", "train X made read-only", "train lr kept in the caller's params",
         "dense db by nansum", "dense dZ through nan_to_num", "mlp db1 squeezed"])
def test_lesson_03_checks_refuse_tied_results_turned_weights_and_errors_below_the_floors(name, answer, shown):
    """Round 16: no check looked at memory shared with an input or between calls; no case had X with as many columns
    as W (or W1) has rows; the other classes' entries of softmax_ce_grad and mlp_backward's gradients were compared only
    down to 1e-16 (or with logits no further than -42); and dW1 never went beyond 1e8 in train_mlp."""
    with pytest.raises(ExerciseFailed, match=re.escape(shown)):
        check(name, answer, strict=True)


def test_lesson_03_checks_take_more_right_answers_of_round_16():
    import scipy.special
    from course_utils import mlp

    def derivative_from_softplus(z):
        z = np.asarray(z, dtype=float)
        return np.exp(-np.logaddexp(0, z) - np.logaddexp(0, -z))

    def derivative_from_cosh(z):
        return 0.25 / np.cosh(np.asarray(z, dtype=float) / 2) ** 2

    def dense_by_transposes(X, W, dZ):
        X, W, dZ = (np.asarray(a, dtype=float) for a in (X, W, dZ))
        if X.shape[1] != W.shape[1] or dZ.shape != (len(X), len(W)):
            raise ValueError("shapes do not fit")
        return [(W.T @ dZ.T).T, (X.T @ dZ).T, np.ones(len(X)) @ dZ]

    def softmax_ce_grad_by_add_at(Z, y):
        Z = np.asarray(Z, dtype=float)
        if len(y) != len(Z):
            raise ValueError("lengths differ")
        G = np.exp(Z - scipy.special.logsumexp(Z, axis=1, keepdims=True))
        np.add.at(G, (np.arange(len(Z)), y), -1)
        return G / len(Z)

    def mlp_backward_by_the_course(X, y, W1, b1, W2, b2):
        _, grads = mlp.loss_and_grads({"W1": W1, "b1": b1, "W2": W2, "b2": b2}, X, y)
        return grads["W1"], grads["b1"], grads["W2"], grads["b2"]

    def train_mlp_by_the_course(X, y, params, lr, epochs):
        if not lr > 0:
            raise ValueError("lr must be positive")
        return mlp.train_gd(params, X, y, lr, epochs)

    _passes("sigmoid_derivative", derivative_from_softplus)
    _passes("sigmoid_derivative", derivative_from_cosh)
    _passes("dense_backward", dense_by_transposes)
    _passes("softmax_ce_grad", softmax_ce_grad_by_add_at)
    _passes("softmax_ce_grad", _a1603_softmax_ce_grad_with(shifted_clip=-800))   # e^-800 is 0 in float64 anyway
    _passes("mlp_backward", _mlp_backward_with(scipy.special.expit, tanh_of=lambda z: np.tanh(np.clip(z, -30, 30))))
    # round 18 reverses these two rulings: mlp.loss_and_grads and mlp.train_gd compute the whole answer, and a graded
    # release keeps them (it hides only the references), as it keeps lesson 02's, which round 17 refused
    _refused_as_the_course_s_own("mlp_backward", mlp_backward_by_the_course)
    _refused_as_the_course_s_own("train_mlp", train_mlp_by_the_course)


# round 16 (a1602): results written into a buffer kept between calls, a NaN in a vector or in a one-class row, a NaN
# weight hidden by np.nan_to_num or np.fmax, logits clipped above 1e5, whole-number logits cast to int16, tanh clipped
# near +-1
def _softmax_of_floats(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _mlp_output_logits(X, W1, b1, W2, b2):
    return np.tanh(X @ W1.T + b1) @ W2.T + b2


def _into_a_kept_buffer(f):
    buffers = {}

    def answer(*args):
        result = f(*args)
        out = buffers.setdefault(result.shape, np.empty(result.shape))   # one output array per shape, kept
        out[...] = result
        return out
    return answer


def _softmax_with_nan_dropped_from_vectors(z):
    z = np.asarray(z, dtype=float)
    return _softmax_of_floats(np.nan_to_num(z, nan=-np.inf) if z.ndim == 1 else z)   # a vector's NaN "ignored"


def _softmax_of_one_class_as_ones(z):
    z = np.asarray(z, dtype=float)
    return np.ones(z.shape) if z.shape[-1] == 1 else _softmax_of_floats(z)   # "one class: every probability is 1"


def _mlp_with_hidden_sums_clipped_at(limit):
    return lambda X, W1, b1, W2, b2: sigmoid(np.tanh(np.clip(X @ W1.T + b1, -limit, limit)) @ W2.T + b2)


@pytest.mark.parametrize("name, answer, shown", [
    ("softmax_stable", _into_a_kept_buffer(_softmax_of_floats), "in the memory of an earlier call's result"),
    ("mlp_forward", _into_a_kept_buffer(lambda *a: sigmoid(_mlp_output_logits(*a))),
     "in the memory of an earlier call's result"),
    ("softmax_stable", _softmax_with_nan_dropped_from_vectors, "NaN in one vector of logits"),
    ("softmax_stable", _softmax_of_one_class_as_ones, "a batch with one class and a NaN logit"),
    ("softmax_stable", lambda z: _softmax_of_floats(np.clip(z, -1e5, 1e5)), "logits near 1e8 and -1e8"),
    ("softmax_stable", lambda z: _softmax_of_floats(np.asarray(z).astype(np.int16) if np.asarray(z).dtype.kind in "iu"
                                                    else z), "beyond int16 and int32"),
    ("mlp_forward", lambda *a: np.nan_to_num(sigmoid(_mlp_output_logits(*a))), "a NaN weight in W2"),
    ("mlp_forward", lambda *a: sigmoid(np.fmax(_mlp_output_logits(*a), -700.0)), "a NaN weight in W2"),
    ("mlp_forward", lambda X, W1, b1, W2, b2: sigmoid(np.clip(np.tanh(X @ W1.T + b1), -1 + 1e-7, 1 - 1e-7) @ W2.T + b2),
     "hidden sums of 9 to 12 in size"),
    ("mlp_forward", _mlp_with_hidden_sums_clipped_at(10), "hidden sums of 9 to 12 in size"),
], ids=["softmax buffer kept", "mlp buffer kept", "softmax NaN of a vector dropped", "softmax one class as ones",
        "softmax logits clipped at 1e5", "softmax ints as int16", "mlp nan_to_num", "mlp fmax", "mlp tanh clipped",
        "mlp hidden sums clipped at 10"])
def test_lesson_02a_rejects_kept_buffers_hidden_nan_clipped_logits_and_small_integer_casts(name, answer, shown):
    """Each passed before: softmax_stable and mlp_forward were called once per input, no vector and no one-class row
    held a NaN, no weight was NaN, no logit went beyond 1e5 in size and no whole number beyond int16, and no hidden
    sum lay where tanh is within 1e-7 of +-1 under output weights large enough to show it."""
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and shown in verdict.text, verdict.text


@pytest.mark.parametrize("name, answer", [
    ("softmax_stable", lambda z: _softmax_of_floats(np.reshape(z, (-1, np.shape(z)[-1]))).reshape(np.shape(z))),
    ("softmax_stable", lambda z: 1 / np.exp(__import__("scipy.special").special.logsumexp(
        np.asarray(z, dtype=float)[..., None, :] - np.asarray(z, dtype=float)[..., :, None], axis=-1))),
    ("softmax_stable", lambda z: _softmax_of_floats(np.asarray(z).T.T)),
    ("mlp_forward", _mlp_with_hidden_sums_clipped_at(20)),
    ("mlp_forward", lambda X, W1, b1, W2, b2: sigmoid((W2 @ np.tanh(W1 @ X.T + b1[:, None]) + b2[:, None]).T)),
    ("mlp_forward", lambda X, W1, b1, W2, b2: _sigmoid_of_tanh_by_exp(X @ W1.T + b1, W2, b2)),
], ids=["softmax rows reshaped", "softmax 1 / sum exp(z_j - z_i)", "softmax .T.T", "mlp hidden sums clipped at 20",
        "mlp examples as columns", "mlp tanh from np.exp(-2|z|)"])
def test_lesson_02a_takes_right_answers_of_round_16(name, answer):
    _passes(name, answer)


def _sigmoid_of_tanh_by_exp(Z1, W2, b2):
    e = np.exp(-2 * np.abs(Z1))
    return sigmoid(np.sign(Z1) * (1 - e) / (1 + e) @ W2.T + b2)


def _cce_returned_in_float32(y, Z):
    y, Z = np.asarray(y), np.asarray(Z, dtype=float)
    if len(y) != len(Z):
        raise ValueError("lengths differ")
    m = Z.max(axis=1)
    return np.float32(np.mean(m + np.log(np.exp(Z - m[:, None]).sum(axis=1)) - Z[np.arange(len(y)), y]))


def test_cce_returned_in_float32_is_not_told_about_np_longdouble():
    """The only case it fails, a loss of 1e300 (inf in float32), named the naive log-sum-exp in np.longdouble, which the
    answer does not use: it subtracts each row's maximum as asked."""
    verdict = judge(registry.get_exercise("cce_from_logits"), _cce_returned_in_float32)
    assert verdict.kind == WRONG and verdict.mistake == "loss returned in float32", verdict.text
    assert "3.4e38" in verdict.text and "np.longdouble" not in verdict.text


def _into_buffers_used_in_turn(f, count):
    buffers, calls = {}, [0]

    def answer(*args):
        result = f(*args)
        key = (calls[0] % count, result.shape)   # buffer 0, 1, ..., count - 1, 0, ... (one set per shape)
        calls[0] += 1
        out = buffers.setdefault(key, np.empty(result.shape))
        out[...] = result
        return out
    return answer


def _read_only(f):
    def answer(*args):
        result = np.asarray(f(*args))
        result.flags.writeable = False
        return result
    return answer


def _locking_the_inputs(f):
    def answer(*args):
        result = f(*args)
        for a in args:
            a.flags.writeable = False   # the caller's own arrays
        return result
    return answer


@pytest.mark.parametrize("name, answer, shown", [
    ("softmax_stable", _into_buffers_used_in_turn(_softmax_of_floats, 2), "used in turn"),
    ("mlp_forward", _into_buffers_used_in_turn(lambda *a: sigmoid(_mlp_output_logits(*a)), 4), "used in turn"),
    ("softmax_stable", _read_only(_softmax_of_floats), "is read-only (its writeable flag is off"),
    ("softmax_stable", lambda z: np.broadcast_to(1.0, np.shape(z)) if np.shape(z)[-1] == 1 and not np.isnan(z).any()
     else _softmax_of_floats(z), "is read-only (its writeable flag is off"),
    ("mlp_forward", _read_only(lambda *a: sigmoid(_mlp_output_logits(*a))), "is read-only (its writeable flag is off"),
    ("softmax_stable", _locking_the_inputs(_softmax_of_floats), "made one of the caller's arrays read-only"),
    ("bce_from_logits", _locking_the_inputs(_bce_by_logaddexp), "made one of the caller's arrays read-only"),
    ("cce_from_logits", _locking_the_inputs(_cce_with_labels_as(np.int64)), "made one of the caller's arrays read-only"),
], ids=["softmax 2 buffers in turn", "mlp 4 buffers in turn", "softmax read-only", "softmax one class broadcast_to",
        "mlp read-only", "softmax locks z", "bce locks y and z", "cce locks y and Z"])
def test_lesson_02_rejects_buffers_in_turn_read_only_results_and_locked_inputs(name, answer, shown):
    """Each passed before: a second call only was compared with the first (two buffers used in turn never met), and
    neither the result's writeable flag nor the caller's arrays' flags were looked at."""
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and shown in verdict.text, verdict.text

# round 17: lesson 03
def _r17_train_steps(X, y, p, lr, epochs, losses):
    """The right full-batch loop on the dict p (rebinding its entries), adding each loss to ``losses``."""
    from course_utils import mlp
    for _ in range(epochs):
        losses.append(mlp.binary_cross_entropy(y, mlp.forward(p, X)[1]["Z2"], from_logits=True))
        _, grads = mlp.loss_and_grads(p, X, y)
        for name in ("W1", "b1", "W2", "b2"):
            p[name] = p[name] - lr * grads[name]
    return p, np.array(losses)


_R17_NEW_PARAMS = {}   # made outside the function, as a learner's cell may do


def _r17_train_into_an_outer_dict(X, y, params, lr, epochs):
    if not lr > 0:
        raise ValueError("lr must be positive")
    for name, value in params.items():
        _R17_NEW_PARAMS[name] = np.array(value, dtype=float)
    return _r17_train_steps(X, y, _R17_NEW_PARAMS, lr, epochs, [])


_R17_BUFFERS = {}


def _r17_train_into_buffers(X, y, params, lr, epochs):
    if not lr > 0:
        raise ValueError("lr must be positive")
    p, losses = _r17_train_steps(X, y, {k: np.array(v, dtype=float) for k, v in params.items()}, lr, epochs, [])
    for name, value in p.items():
        if name in _R17_BUFFERS and _R17_BUFFERS[name].shape == value.shape:
            _R17_BUFFERS[name][...] = value
        else:
            _R17_BUFFERS[name] = value
    return dict(_R17_BUFFERS), losses


def _r17_train_with_a_default_list(X, y, params, lr, epochs, losses=[]):   # noqa: B006, the slip itself
    if not lr > 0:
        raise ValueError("lr must be positive")
    return _r17_train_steps(X, y, {k: np.array(v, dtype=float) for k, v in params.items()}, lr, epochs, losses)


@pytest.mark.parametrize("answer, shown", [
    (_r17_train_into_an_outer_dict, "new_params = {} outside the function"),
    (_r17_train_into_buffers, "keeps the dict or its arrays between calls"),
    (_r17_train_with_a_default_list, "returned 21 losses: your function keeps its losses list between calls"),
], ids=["new_params made outside", "arrays kept as buffers", "losses=[] as a default"])
def test_train_mlp_refuses_new_params_and_losses_kept_between_calls(answer, shown):
    """Each passed before round 17: train_mlp was called once per case, so a dict, arrays or a losses list kept between
    calls never met a second call (the list made the next case's losses too long, with only "wrong shape")."""
    verdict = judge(registry.get_exercise("train_mlp"), answer)
    assert verdict.kind == WRONG and shown in verdict.text, verdict.text


def _r17_train_reshaping_the_callers_y(X, y, params, lr, epochs):
    if not lr > 0:
        raise ValueError("lr must be positive")
    y.shape = (-1, 1)                                      # the caller's y, now of shape (n, 1)
    return _r17_train_steps(X, y.ravel(), {k: np.array(v, dtype=float) for k, v in params.items()}, lr, epochs, [])


def _r17_train_scaling_the_callers_x(X, y, params, lr, epochs):
    if not lr > 0:
        raise ValueError("lr must be positive")
    X /= np.abs(X).max()                                   # in place, on the caller's X
    return _r17_train_steps(X, y, {k: np.array(v, dtype=float) for k, v in params.items()}, lr, epochs, [])


def _r17_train_with_a_broadcast_loss(X, y, params, lr, epochs):
    """The loss written by hand from the (n, 1) logits and the (n,) labels: y * Z is an (n, n) matrix."""
    from course_utils import mlp
    if not lr > 0:
        raise ValueError("lr must be positive")
    p, losses = {k: np.array(v, dtype=float) for k, v in params.items()}, []
    for _ in range(epochs):
        Z = mlp.forward(p, X)[1]["Z2"]
        losses.append(np.mean(np.logaddexp(0, Z) - y * Z))
        _, grads = mlp.loss_and_grads(p, X, y)
        p = {name: p[name] - lr * grads[name] for name in ("W1", "b1", "W2", "b2")}
    return p, np.array(losses)


@pytest.mark.parametrize("answer, shown", [
    (_r17_train_reshaping_the_callers_y, "changed the caller's X or y (their values or their shape)"),
    (_r17_train_scaling_the_callers_x, "changed the caller's X or y (their values or their shape)"),
    (_r17_train_with_a_broadcast_loss, "losses: wrong value at index 0"),
], ids=["y reshaped in place", "X scaled in place", "loss of an (n, n) matrix"])
def test_train_mlp_names_what_differs_not_a_result_number(answer, shown):
    """Before round 17 the messages numbered the parts of the check's own result: "result #7: wrong value: expected 1,
    got 0" for a changed X or y, "result #5" for the losses, though train_mlp returns a pair."""
    verdict = judge(registry.get_exercise("train_mlp"), answer)
    assert verdict.kind == WRONG and shown in verdict.text and "result #" not in verdict.text, verdict.text


def test_lesson_03_checks_take_more_right_answers_of_round_17():
    import copy

    import scipy.special

    from course_utils import mlp

    def derivative_as_s_minus_s_squared(z):
        s = sigmoid(z)
        return s - s ** 2

    def derivative_from_both_exponentials(z):
        z = np.asarray(z, dtype=float)
        with np.errstate(over="ignore"):
            return 1 / (2 + np.exp(z) + np.exp(-z))

    def derivative_in_log_space_of_both_sides(z):
        z = np.asarray(z, dtype=float)
        return np.exp(-np.logaddexp(0, z) - np.logaddexp(0, -z))

    def dense_by_einsum(X, W, dZ):
        X, W, dZ = (np.asarray(a, dtype=float) for a in (X, W, dZ))
        if X.shape[1] != W.shape[1] or dZ.shape != (len(X), len(W)):
            raise ValueError("shapes do not fit")
        return np.einsum("nj,ji->ni", dZ, W), np.einsum("nj,ni->ji", dZ, X), np.einsum("nj->j", dZ)

    def dense_by_matmul_in_float(X, W, dZ):
        X, W, dZ = np.asarray(X), np.asarray(W), np.asarray(dZ)
        if X.shape[1] != W.shape[1] or dZ.shape != (len(X), len(W)):
            raise ValueError("shapes do not fit")
        return np.matmul(dZ, W, dtype=float), np.matmul(dZ.T, X, dtype=float), dZ.sum(axis=0, dtype=float)

    def softmax_ce_grad_by_comparison(Z, y):
        Z = np.asarray(Z, dtype=float)
        if len(y) != len(Z):
            raise ValueError("lengths differ")
        return (scipy.special.softmax(Z, axis=1) - (np.arange(Z.shape[1]) == np.asarray(y)[:, None])) / len(y)

    def mlp_backward_with_a_flat_delta(X, y, W1, b1, W2, b2):
        H = np.tanh(X @ W1.T + b1)
        dZ2 = (scipy.special.expit(H @ W2.T + b2).ravel() - np.asarray(y, dtype=float)) / len(X)
        dZ1 = np.outer(dZ2, W2.ravel()) * (1 - H * H)
        return dZ1.T @ X, dZ1.sum(axis=0), (dZ2 @ H)[None, :], np.array([dZ2.sum()])

    def train_mlp_by_deepcopy_and_new_dicts(X, y, params, lr, epochs):
        if not lr > 0:
            raise ValueError("lr must be positive")
        p, losses = copy.deepcopy(params), []
        for _ in range(epochs):
            Z = mlp.forward(p, X)[1]["Z2"].ravel()
            losses.append(np.mean(y * np.logaddexp(0, -Z) + (1 - y) * np.logaddexp(0, Z)))
            grads = mlp_backward_with_a_flat_delta(X, y, p["W1"], p["b1"], p["W2"], p["b2"])
            p = {name: p[name] - lr * g for name, g in zip(("W1", "b1", "W2", "b2"), grads)}
        return p, losses

    _passes("sigmoid_derivative", derivative_as_s_minus_s_squared)
    _passes("sigmoid_derivative", derivative_from_both_exponentials)
    _passes("sigmoid_derivative", derivative_in_log_space_of_both_sides)
    _passes("dense_backward", dense_by_einsum)
    _passes("dense_backward", dense_by_matmul_in_float)
    _passes("softmax_ce_grad", softmax_ce_grad_by_comparison)
    _passes("mlp_backward", mlp_backward_with_a_flat_delta)
    _passes("train_mlp", train_mlp_by_deepcopy_and_new_dicts)



def _r17_zero_gradients(params, X, y, hidden="tanh", output="sigmoid"):
    """A stand-in for mlp.loss_and_grads that a notebook cell might put in its place: every gradient zero."""
    if np.shape(X)[1] != np.shape(params["W1"])[1]:
        raise ValueError("X does not fit W1")
    return 0.0, {k: np.zeros(np.shape(v)) for k, v in params.items()}


def _r17_zero_delta(Z, y, kind):
    """A stand-in for mlp.output_loss_and_delta: the gradient zero."""
    if len(y) != len(Z):
        raise ValueError("lengths differ")
    return 0.0, np.zeros(np.shape(Z))


def _r17_zero_mlp_backward(X, y, W1, b1, W2, b2):
    return _r17_zero_gradients({"W1": W1, "b1": b1, "W2": W2, "b2": b2}, X, y)[1].values()


def _r17_zero_softmax_ce_grad(Z, y):
    return _r17_zero_delta(Z, y, "softmax")[1]


@pytest.mark.parametrize("name, fake, exercise, answer", [
    ("loss_and_grads", _r17_zero_gradients, "mlp_backward", lambda *a: tuple(_r17_zero_mlp_backward(*a))),
    ("output_loss_and_delta", _r17_zero_delta, "softmax_ce_grad", _r17_zero_softmax_ce_grad),
], ids=["mlp.loss_and_grads", "mlp.output_loss_and_delta"])
def test_lesson_03_checks_refuse_a_course_function_replaced_by_the_notebook(monkeypatch, name, fake, exercise, answer):
    """Before round 17 both zero answers passed: the references call mlp.loss_and_grads and mlp.output_loss_and_delta,
    so a cell that put a function of its own in their place changed the expected results too (the grader, which runs
    the references in its own process, was not fooled; check() was)."""
    from course_utils import mlp
    monkeypatch.setattr(fake, "__module__", "__main__")   # where a notebook cell's functions live
    monkeypatch.setattr(mlp, name, fake)
    verdict = judge(registry.get_exercise(exercise), answer)
    assert verdict.kind == WRONG and f"replaced course_utils.mlp.{name} with a function of its own" in verdict.text, \
        verdict.text


# round 18: lesson 03
def _r18_derivative_of_float32_z(z):
    s = sigmoid(np.asarray(z, dtype=np.float32))           # "float32 is enough for a derivative"
    return s * (1 - s)


def test_sigmoid_derivative_refuses_z_rounded_to_float32():
    """Passed before round 18: every z of the cases was a whole number, a value float32 holds exactly, or within 65 of
    0 (float32 rounds z by up to 2e-6 there, a change of the derivative below the 1e-6 asked); far below 0 a z such as
    -654.321 is rounded by 2e-5, and so is the derivative e^z, relatively."""
    verdict = judge(registry.get_exercise("sigmoid_derivative"), _r18_derivative_of_float32_z)
    assert verdict.kind == WRONG and "np.asarray(z, dtype=float)" in verdict.text and "float32" in verdict.text, \
        verdict.text


def _r18_derivative_zeroed_beyond_700(z):
    z = np.asarray(z, dtype=float)
    s = sigmoid(z)
    return np.where(np.abs(z) > 700, 0.0, s * (1 - s))   # "np.exp overflows beyond about 700"


def test_sigmoid_derivative_refuses_zeros_beyond_700():
    """Passed before round 18: no case held a z from -708 to -700, where the derivative (e^z, 2e-308 to 1e-304) is
    still an ordinary float64 number, so a threshold at 700, near np.exp's overflow, was never seen."""
    verdict = judge(registry.get_exercise("sigmoid_derivative"), _r18_derivative_zeroed_beyond_700)
    assert verdict.kind == WRONG and "not even where np.exp" in verdict.text, verdict.text


def _r18_ce_grad_by_output_loss_and_delta(Z, y):
    from course_utils import mlp
    if len(y) != len(Z):
        raise ValueError("lengths differ")
    return mlp.output_loss_and_delta(np.asarray(Z, dtype=float), y, "softmax")[1]


def _r18_ce_grad_by_a_bias_per_row(Z, y):
    """Contrived: each row's gradient read from the bias gradient of a network whose only logits are its bias."""
    from course_utils import mlp
    if len(y) != len(Z):
        raise ValueError("lengths differ")
    Z = np.asarray(Z, dtype=float)
    n, k = Z.shape
    return np.array([mlp.loss_and_grads({"W1": np.zeros((k, 1)), "b1": Z[i]}, np.zeros((1, 1)), np.asarray(y)[i:i + 1],
                                        output="softmax")[1]["b1"] for i in range(n)]).reshape(n, k) / max(n, 1)


from course_utils.mlp import output_loss_and_delta as _r18_delta_imported_by_name  # noqa: E402, as a cell imports it


def _r18_ce_grad_by_a_name_imported_before(Z, y):
    """mlp.output_loss_and_delta imported by name (from course_utils.mlp import ...) in a cell before the check."""
    if len(y) != len(Z):
        raise ValueError("lengths differ")
    return _r18_delta_imported_by_name(np.asarray(Z, dtype=float), y, "softmax")[1]


@pytest.mark.parametrize("answer", [_r18_ce_grad_by_output_loss_and_delta, _r18_ce_grad_by_a_bias_per_row,
                                    _r18_ce_grad_by_a_name_imported_before],
                         ids=["mlp.output_loss_and_delta", "mlp.loss_and_grads, one row at a time",
                              "output_loss_and_delta imported by name"])
def test_softmax_ce_grad_refuses_the_course_s_own_gradient(answer):
    """Each passed before round 18 (the second is contrived), and scored full points in a graded release, which hides
    _softmax_ce_grad_reference but keeps mlp.output_loss_and_delta, the function it wraps (round 17 refused it for
    lesson 02's cce_from_logits, but only when called through its module: a name imported before the check kept the
    function itself)."""
    verdict = judge(registry.get_exercise("softmax_ce_grad"), answer)
    assert verdict.kind == WRONG and "the course's own version of this exercise" in verdict.text, verdict.text


def _r18_mlp_backward(X, y, W1, b1, W2, b2):
    X = np.asarray(X, dtype=float)
    H = np.tanh(X @ W1.T + b1)
    dZ2 = (sigmoid(H @ W2.T + b2) - np.asarray(y, dtype=float).reshape(-1, 1)) / len(X)
    dZ1 = dZ2 @ W2 * (1 - H ** 2)
    return dZ1.T @ X, dZ1.sum(axis=0), dZ2.T @ H, dZ2.sum(axis=0)


def _r18_mlp_backward_nan_to_num(X, y, W1, b1, W2, b2):
    return tuple(np.nan_to_num(g) for g in _r18_mlp_backward(X, y, W1, b1, W2, b2))   # "no NaN in my gradients"


def _r18_train(guard):
    """The right loop, with ``guard`` ("nan_to_num", "skip", "stop") against a NaN."""
    def train_mlp(X, y, params, lr, epochs):
        from course_utils import mlp
        if not lr > 0:
            raise ValueError("lr must be positive")
        p, losses = {k: np.array(v, dtype=float) for k, v in params.items()}, []
        for _ in range(epochs):
            losses.append(mlp.binary_cross_entropy(y, mlp.forward(p, X)[1]["Z2"], from_logits=True))
            if guard == "stop" and not np.isfinite(losses[-1]):
                break
            grads = _r18_mlp_backward(X, y, p["W1"], p["b1"], p["W2"], p["b2"])
            if guard == "nan_to_num":
                grads = [np.nan_to_num(g) for g in grads]
            new = {k: p[k] - lr * g for k, g in zip(("W1", "b1", "W2", "b2"), grads)}
            if guard == "skip" and not all(np.isfinite(v).all() for v in new.values()):
                continue
            p = new
        return p, np.array(losses)
    return train_mlp


@pytest.mark.parametrize("name, answer", [
    ("mlp_backward", _r18_mlp_backward_nan_to_num),
    ("train_mlp", _r18_train("nan_to_num")),
    ("train_mlp", _r18_train("skip")),
    ("train_mlp", _r18_train("stop")),
], ids=["backward nan_to_num", "train nan_to_num(grads)", "train skips a non-finite step", "train stops at a NaN loss"])
def test_lesson_03b_checks_keep_a_nan_weight_nan(name, answer):
    """Each passed before round 18: no case held a NaN or an overflow, so hiding one (zero gradients, a step skipped,
    training stopped) was never seen. A NaN weight, as a diverged run leaves, makes every gradient and loss NaN."""
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and "NaN" in verdict.text, verdict.text


@pytest.mark.wide   # 12 full checks, two of them train_mlp's (2000 steps each): about 11 s
def test_lesson_03_checks_take_more_right_answers_of_round_18():
    import scipy.special

    from course_utils import mlp

    def derivative_exact_form(z):
        e = np.exp(-np.abs(np.asarray(z, dtype=float)))
        return e / (1 + e) ** 2

    def derivative_by_expit_both_sides(z):
        z = np.asarray(z, dtype=float)
        return scipy.special.expit(z) * scipy.special.expit(-z)

    def derivative_by_log_expit(z):
        z = np.asarray(z, dtype=float)
        return np.exp(scipy.special.log_expit(z) + scipy.special.log_expit(-z))

    def dense_by_tensordot(X, W, dZ):
        X, W, dZ = (np.asarray(a, dtype=float) for a in (X, W, dZ))
        if X.shape[1] != W.shape[1] or dZ.shape != (len(X), len(W)):
            raise ValueError("shapes do not fit")
        return np.dot(dZ, W), np.tensordot(dZ, X, axes=(0, 0)), np.add.reduce(dZ, axis=0)

    def dense_by_broadcast_outer_products(X, W, dZ):
        X, W, dZ = (np.asarray(a, dtype=float) for a in (X, W, dZ))
        if X.ndim != 2 or X.shape[1] != W.shape[1] or dZ.shape != (len(X), len(W)):
            raise ValueError("shapes do not fit")
        return dZ @ W, (dZ[:, :, None] * X[:, None, :]).sum(axis=0), np.ones(len(X)) @ dZ

    def softmax_ce_grad_by_log_softmax(Z, y):
        Z = np.asarray(Z, dtype=float)
        if len(y) != len(Z):
            raise ValueError("lengths differ")
        G = np.exp(scipy.special.log_softmax(Z, axis=1))
        G[np.arange(len(Z)), y] -= 1
        return G / len(Z)

    def softmax_ce_grad_by_logsumexp(Z, y):
        Z = np.asarray(Z, dtype=float)
        if len(y) != len(Z):
            raise ValueError("lengths differ")
        shifted = Z - Z.max(axis=1, keepdims=True)
        P = np.exp(shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True)))
        return (P - np.eye(Z.shape[1])[y]) / len(Z)

    def softmax_ce_grad_in_place_on_p(Z, y):
        if len(y) != len(Z):
            raise ValueError("lengths differ")
        P = mlp.softmax(np.asarray(Z, dtype=float))
        P[range(len(y)), y] -= 1
        return P / len(y)

    def mlp_backward_one_example_at_a_time(X, y, W1, b1, W2, b2):
        X, W1, b1, W2, b2 = (np.asarray(a, dtype=float) for a in (X, W1, b1, W2, b2))
        grads = [np.zeros(W1.shape), np.zeros(b1.shape), np.zeros(W2.shape), np.zeros(b2.shape)]
        for x, target in zip(X, np.asarray(y, dtype=float)):
            h = np.tanh(W1 @ x + b1)
            d2 = sigmoid(W2 @ h + b2) - target
            d1 = (W2.T @ d2) * (1 - h ** 2)
            for g, part in zip(grads, (np.outer(d1, x), d1, np.outer(d2, h), d2)):
                g += part
        return tuple(g / len(X) for g in grads)

    def mlp_backward_by_cosh(X, y, W1, b1, W2, b2):
        X = np.asarray(X, dtype=float)
        Z1 = X @ W1.T + b1
        H = np.tanh(Z1)
        dZ2 = (scipy.special.expit(H @ W2.T + b2) - np.asarray(y, dtype=float)[:, None]) / len(X)
        with np.errstate(over="ignore"):
            dZ1 = (dZ2 @ W2) / np.cosh(Z1) ** 2
        return dZ1.T @ X, dZ1.sum(axis=0), dZ2.T @ H, dZ2.sum(axis=0)

    def train_mlp_by_loss_and_grads_loss(X, y, params, lr, epochs):
        if not lr > 0:
            raise ValueError("lr must be positive")
        p, losses = {k: np.array(v, dtype=float) for k, v in params.items()}, []
        for _ in range(int(epochs)):
            losses.append(mlp.loss_and_grads(p, X, y)[0])
            grads = mlp_backward_one_example_at_a_time(X, y, p["W1"], p["b1"], p["W2"], p["b2"])
            p = {k: p[k] - lr * g for k, g in zip(("W1", "b1", "W2", "b2"), grads)}
        return {k: p[k] for k in params}, np.array(losses)

    def train_mlp_with_an_own_stable_loss(X, y, params, lr, epochs):
        if lr <= 0 or np.isnan(lr):
            raise ValueError("lr must be positive")
        p, losses = {k: np.array(v, dtype=float) for k, v in params.items()}, []
        for _ in range(epochs):
            z, t = mlp.forward(p, X)[1]["Z2"].ravel(), np.asarray(y, dtype=float)
            losses.append(np.mean(np.maximum(z, 0) - t * z + np.log1p(np.exp(-np.abs(z)))))
            grads = mlp_backward_by_cosh(X, y, p["W1"], p["b1"], p["W2"], p["b2"])
            p = {k: p[k] - lr * g for k, g in zip(("W1", "b1", "W2", "b2"), grads)}
        return p, losses

    for answer in (derivative_exact_form, derivative_by_expit_both_sides, derivative_by_log_expit):
        _passes("sigmoid_derivative", answer)
    _passes("dense_backward", dense_by_tensordot)
    _passes("dense_backward", dense_by_broadcast_outer_products)
    for answer in (softmax_ce_grad_by_log_softmax, softmax_ce_grad_by_logsumexp, softmax_ce_grad_in_place_on_p):
        _passes("softmax_ce_grad", answer)
    _passes("mlp_backward", mlp_backward_one_example_at_a_time)
    _passes("mlp_backward", mlp_backward_by_cosh)
    _passes("train_mlp", train_mlp_by_loss_and_grads_loss)
    _passes("train_mlp", train_mlp_with_an_own_stable_loss)


# round 19: lesson 03
def _r19_dense_by_the_course_s_backward(X, W, dZ):
    """One dense layer run through mlp.backward, the course's backward pass of a whole network."""
    from course_utils import mlp

    W = np.asarray(W, dtype=float)
    grads, dA = mlp.backward({"W1": W, "b1": np.zeros(len(W))}, {"A0": X}, dZ)
    return dA[0], grads["W1"], grads["b1"]


def _r19_mlp_by_the_course_s_backward(X, y, W1, b1, W2, b2):
    """mlp.loss_and_grads taken apart: mlp.forward, mlp.output_loss_and_delta, then mlp.backward."""
    from course_utils import mlp

    params = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
    _, cache = mlp.forward(params, X)
    _, dZ = mlp.output_loss_and_delta(cache["Z2"], y, "sigmoid")
    grads, _ = mlp.backward(params, cache, dZ)
    return grads["W1"], grads["b1"], grads["W2"], grads["b2"]


@pytest.mark.parametrize("name, answer", [("dense_backward", _r19_dense_by_the_course_s_backward),
                                          ("mlp_backward", _r19_mlp_by_the_course_s_backward)])
def test_lesson_03_checks_refuse_the_course_s_backward_pass(name, answer):
    """Both passed before round 19: mlp.backward calls mlp.dense_backward from inside course_utils, where the check
    does not watch it, and computes every layer's gradients as mlp.loss_and_grads does."""
    _refused_as_the_course_s_own(name, answer)


def test_softmax_ce_grad_keeps_a_nan_logit_nan():
    """Passed before round 19: no logit of the cases was NaN, so np.nan_to_num on the probabilities (or on the gradient)
    hid a diverged network's logits, as round 18 found for the gradients of 03a's other exercises and of 03b."""
    from course_utils import mlp

    def nan_hidden(Z, y):
        Z = np.asarray(Z, dtype=float)
        if len(y) != len(Z):
            raise ValueError("lengths differ")
        return (np.nan_to_num(mlp.softmax(Z)) - np.eye(Z.shape[1])[y]) / len(Z)

    verdict = judge(registry.get_exercise("softmax_ce_grad"), nan_hidden)
    assert verdict.kind == WRONG and "expected nan" in verdict.text and "a NaN logit" in verdict.text, verdict.text


def test_dense_backward_refuses_a_1d_x_made_2d():
    """Passed before round 19: only a 1-D dZ was tried, so np.atleast_2d(X) turned a 1-D X of shape (n_in,) into one
    example and returned a dX of shape (1, n_in), not X's shape."""
    def x_made_2d(X, W, dZ):
        X, W, dZ = np.atleast_2d(np.asarray(X, dtype=float)), np.asarray(W, dtype=float), np.asarray(dZ, dtype=float)
        if X.shape[1] != W.shape[1] or dZ.shape != (len(X), len(W)):
            raise ValueError("shapes do not fit")
        return dZ @ W, dZ.T @ X, dZ.sum(axis=0)

    verdict = judge(registry.get_exercise("dense_backward"), x_made_2d)
    assert verdict.kind == WRONG and "1-D X" in verdict.text, verdict.text


def _r19_train_rebinding(copy_first):
    """The right loop, rebinding each param to a new array (params[k] = params[k] - lr * g), started from the caller's
    dict itself (``copy_first`` None) or from dict(params), a new dict of the caller's arrays ("dict")."""
    from course_utils import mlp

    def train(X, y, params, lr, epochs):
        if not lr > 0:
            raise ValueError("lr must be positive")
        p, losses = (dict(params) if copy_first else params), []
        for _ in range(epochs):
            losses.append(mlp.binary_cross_entropy(y, mlp.forward(p, X)[1]["Z2"], from_logits=True))
            grads = _r19_mlp_backward(X, y, p["W1"], p["b1"], p["W2"], p["b2"])
            p = {k: p[k] - lr * g for k, g in zip(("W1", "b1", "W2", "b2"), grads)}
        return p, np.array(losses)
    return train


def _r19_mlp_backward(X, y, W1, b1, W2, b2):
    X = np.asarray(X, dtype=float)
    H = np.tanh(X @ W1.T + b1)
    dZ2 = (sigmoid(H @ W2.T + b2) - np.asarray(y, dtype=float)[:, None]) / len(X)
    dZ1 = dZ2 @ W2 * (1 - H ** 2)
    return dZ1.T @ X, dZ1.sum(axis=0), dZ2.T @ H, dZ2.sum(axis=0)


def test_train_mlp_refuses_new_params_that_are_the_caller_s_dict():
    """Passed before round 19: with epochs = 0 the loop never runs, and the dict returned was the caller's params
    itself, so a later `new_params['W1'] = ...` changed the starting point. (dict(params), a new dict of the caller's
    arrays, stays allowed: test_train_mlp_names_the_lr_checked_in_the_loop_and_takes_other_right_loops.)"""
    verdict = judge(registry.get_exercise("train_mlp"), _r19_train_rebinding(None))
    assert verdict.kind == WRONG and "the caller's params dict itself" in verdict.text, verdict.text


def test_train_mlp_does_not_call_a_loop_short_of_one_step_a_kept_list():
    """Before round 19 a loop of epochs - 1 steps was told that it keeps its losses list between calls (a default
    argument losses=[]): the check's second call, of one step, returned 0 losses, and any number but 1 was read so."""
    from course_utils import mlp

    def one_step_short(X, y, params, lr, epochs):
        if not lr > 0:
            raise ValueError("lr must be positive")
        p, losses = {k: np.array(v, dtype=float) for k, v in params.items()}, []
        for _ in range(epochs - 1):
            losses.append(mlp.binary_cross_entropy(y, mlp.forward(p, X)[1]["Z2"], from_logits=True))
            grads = _r19_mlp_backward(X, y, p["W1"], p["b1"], p["W2"], p["b2"])
            p = {k: p[k] - lr * g for k, g in zip(("W1", "b1", "W2", "b2"), grads)}
        return p, np.array(losses)

    verdict = judge(registry.get_exercise("train_mlp"), one_step_short)
    assert verdict.kind == WRONG and "between calls" not in verdict.text, verdict.text


@pytest.mark.wide   # eight right answers, each judged in full: about 4.5 s
def test_lesson_03_checks_take_more_right_answers_of_round_19():
    import math

    import scipy.special

    from course_utils import mlp

    def derivative_on_the_negative_side(z):
        s = sigmoid(-np.abs(np.asarray(z, dtype=float)))
        return s * (1 - s)

    def derivative_by_vectorize_with_otypes(z):
        def one(v):
            if math.isnan(v):
                return math.nan
            e = math.exp(-abs(v))
            return e / (1 + e) ** 2
        return np.vectorize(one, otypes=[float])(z)

    def derivative_by_cosh(z):
        with np.errstate(over="ignore"):
            return 1 / (4 * np.cosh(np.asarray(z, dtype=float) / 2) ** 2)

    def dense_in_the_common_dtype(X, W, dZ):
        kind = np.result_type(X, W, dZ, np.float64)
        X, W, dZ = (np.asarray(a, dtype=kind) for a in (X, W, dZ))
        if X.shape[1] != W.shape[1] or dZ.shape != (len(X), len(W)):
            raise ValueError("shapes do not fit")
        return dZ @ W, (X.T @ dZ).T, dZ.T.sum(axis=1)

    def dense_by_astype(X, W, dZ):
        X, W, dZ = (np.asarray(a).astype(float, copy=False) for a in (X, W, dZ))
        if X.shape[1] != W.shape[1] or dZ.shape != (len(X), len(W)):
            raise ValueError("shapes do not fit")
        return np.asfortranarray(dZ @ W), dZ.T @ X, dZ.sum(axis=0)

    def softmax_ce_grad_by_float_label_comparison(Z, y):
        Z = np.asarray(Z, dtype=float)
        if np.shape(y)[0] != Z.shape[0]:
            raise ValueError("one label per example")
        one_hot = np.arange(Z.shape[1])[None, :] == np.asarray(y, dtype=float)[:, None]
        return (mlp.softmax(Z) - one_hot) / len(Z)

    def softmax_ce_grad_by_scipy_logsumexp(Z, y):
        Z = np.asarray(Z, dtype=float)
        if len(y) != len(Z):
            raise ValueError("lengths differ")
        P = np.exp(Z - scipy.special.logsumexp(Z, axis=1, keepdims=True))
        P[np.arange(len(Z)), np.asarray(y)] -= 1
        return P / len(Z)

    def mlp_backward_with_the_targets_first(X, y, W1, b1, W2, b2):
        X = np.asarray(X, dtype=float)
        H = np.tanh(X @ W1.T + b1)
        P = scipy.special.expit(H @ W2.T + b2)
        dZ2 = (np.asarray(y, dtype=float)[:, None] - P) / P.size
        dZ1 = dZ2 * W2 * (1 - H ** 2)   # one output: dZ2 (n, 1) times W2 (1, h) is dZ2 @ W2
        return -(dZ1.T @ X), -dZ1.sum(axis=0), -(dZ2.T @ H), -dZ2.sum(axis=0)

    for answer in (derivative_on_the_negative_side, derivative_by_vectorize_with_otypes, derivative_by_cosh):
        _passes("sigmoid_derivative", answer)
    _passes("dense_backward", dense_in_the_common_dtype)
    _passes("dense_backward", dense_by_astype)
    _passes("softmax_ce_grad", softmax_ce_grad_by_float_label_comparison)
    _passes("softmax_ce_grad", softmax_ce_grad_by_scipy_logsumexp)
    _passes("mlp_backward", mlp_backward_with_the_targets_first)


def test_train_mlp_takes_more_right_answers_of_round_19():
    from course_utils import mlp

    def train_computing_the_gradient_before_the_loss(X, y, params, lr, epochs):
        if not lr > 0:
            raise ValueError("lr must be positive")
        p, losses = {k: np.array(v, dtype=float) for k, v in params.items()}, []
        for _ in range(epochs):
            grads = _r19_mlp_backward(X, y, p["W1"], p["b1"], p["W2"], p["b2"])
            losses.append(mlp.binary_cross_entropy(y, mlp.forward(p, X)[1]["Z2"], from_logits=True))
            p = {k: p[k] - lr * g for k, g in zip(("W1", "b1", "W2", "b2"), grads)}
        return p, losses

    _passes("train_mlp", train_computing_the_gradient_before_the_loss)
    _passes("train_mlp", lambda X, y, params, lr, epochs: _r19_train_rebinding("dict")(
        X, y, {k: np.array(v, dtype=float) for k, v in params.items()}, lr, epochs))


# round 20: lesson 03
def _mlp_backward_through_the_optimizer_lab(X, y, W1, b1, W2, b2):
    from course_utils.widgets import stacked_loss_and_grads

    W1, b1, W2, b2 = (np.asarray(a, dtype=float) for a in (W1, b1, W2, b2))
    stacked = {"W1": W1[None], "b1": b1[None, None], "W2": W2[None], "b2": b2[None, None]}   # one network of k = 1
    with np.errstate(over="ignore"):
        _, g = stacked_loss_and_grads(stacked, np.asarray(X, dtype=float), np.asarray(y, dtype=float).reshape(-1, 1))
    return g["W1"][0], g["b1"][0, 0], g["W2"][0], g["b2"][0, 0]


def test_mlp_backward_refuses_the_optimizer_lab_s_gradients():
    """Passed (shortcut, round 20): 04c's learning-rate lab computes the gradients of k stacked tanh -> sigmoid MLPs
    with its own backward pass (widgets.stacked_loss_and_grads), calling none of the functions the check watched; for
    k = 1 they are mlp_backward's four gradients."""
    _refused_as_the_course_s_own("mlp_backward", _mlp_backward_through_the_optimizer_lab)


def test_sigmoid_derivative_names_the_square_that_overflows_first():
    """Misleading before round 20: an exp(-z) form whose inf is caught (np.isinf) returns 0 at z = -700, where
    (1 + e)**2 overflowed (below z = -355), yet the message named only inf / inf = NaN at z = -1000, which it handles."""
    def derivative_with_its_overflow_caught(z):
        z = np.asarray(z, dtype=float)
        with np.errstate(over="ignore", invalid="ignore"):
            e = np.exp(-z)
            return np.where(np.isinf(e), 0.0, e / (1 + e) ** 2)

    verdict = judge(registry.get_exercise("sigmoid_derivative"), derivative_with_its_overflow_caught)
    assert verdict.kind == WRONG and "(1 + np.exp(-z))**2" in verdict.text and "-355" in verdict.text, verdict.text


def _dense_backward_db_summed_whole(X, W, dZ):
    X, W, dZ = (np.asarray(a, dtype=float) for a in (X, W, dZ))
    if X.shape[1] != W.shape[1] or dZ.shape != (len(X), len(W)):
        raise ValueError("shapes do not fit")
    return dZ @ W, dZ.T @ X, dZ.sum()


def _mlp_backward_db2_summed_whole(X, y, W1, b1, W2, b2):
    X = np.asarray(X, dtype=float)
    H = np.tanh(X @ W1.T + b1)
    dZ2 = (1 / (1 + np.exp(-(H @ W2.T + b2))) - np.asarray(y, dtype=float)[:, None]) / len(X)
    dZ1 = dZ2 @ W2 * (1 - H ** 2)
    return dZ1.T @ X, dZ1.sum(axis=0), dZ2.T @ H, np.sum(dZ2)   # b2 has one entry: one number, it seems


@pytest.mark.parametrize("name, answer", [("dense_backward", _dense_backward_db_summed_whole),
                                          ("mlp_backward", _mlp_backward_db2_summed_whole)], ids=["db", "db2"])
def test_lesson_03_names_a_bias_gradient_summed_to_one_number(name, answer):
    """Misleading before round 20: db = dZ.sum() (db2 = np.sum(dZ2) in mlp_backward, where b2 has a single entry) is one
    number, and the message spoke of lists and np.array(...), which would give shape (), not b's shape."""
    with np.errstate(over="ignore"):
        verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and "axis=0" in verdict.text, verdict.text


# round 21: lesson 03
def _dense_backward_checking_the_last_axes(X, W, dZ):
    """The shapes tested through their last axis (shape[-1]), which a 1-D array also has: a 1-D dZ of len(X) entries
    (as many as the layer's neurons) passes, and dZ @ W, dZ.T @ X then give 1-D gradients without an error."""
    X, W, dZ = (np.asarray(a, dtype=float) for a in (X, W, dZ))
    if len(dZ) != len(X) or dZ.shape[-1] != len(W) or X.shape[-1] != W.shape[-1]:
        raise ValueError("shapes do not fit")
    return dZ @ W, dZ.T @ X, dZ.sum(axis=0)


def _dense_backward_checking_x_by_its_last_axis(X, W, dZ):
    """X's columns tested as X.shape[-1]: a 1-D X of W.shape[1] entries, with a dZ of as many rows, passes the test
    (len(X) is then its number of entries), and dZ.T @ X gives a 1-D dW."""
    X, W, dZ = (np.asarray(a, dtype=float) for a in (X, W, dZ))
    if X.shape[-1] != W.shape[1] or dZ.shape != (len(X), len(W)):
        raise ValueError("shapes do not fit")
    return dZ @ W, dZ.T @ X, dZ.sum(axis=0)


def _dense_backward_checking_the_size_of_dz(X, W, dZ):
    """dZ tested by its number of entries: a dZ of shape (1,) for one example and one neuron has the one entry asked."""
    X, W, dZ = (np.asarray(a, dtype=float) for a in (X, W, dZ))
    if X.shape[1] != W.shape[1] or dZ.size != len(X) * len(W):
        raise ValueError("shapes do not fit")
    return dZ @ W, dZ.T @ X, dZ.sum(axis=0)


@pytest.mark.parametrize("answer", [_dense_backward_checking_the_last_axes, _dense_backward_checking_x_by_its_last_axis,
                                    _dense_backward_checking_the_size_of_dz], ids=["dZ", "X", "dZ.size"])
def test_dense_backward_refuses_a_1d_array_whose_last_axis_fits(answer):
    """Passed 38 of 38 before round 21: the 1-D dZ and X of the cases before had a length that no shape test written
    with shape[-1] or len() accepts (one example, two neurons; three inputs, one row of dZ)."""
    verdict = judge(registry.get_exercise("dense_backward"), answer)
    assert verdict.kind == WRONG and "1-D" in verdict.text, verdict.text


def _dense_backward_in_float32(X, W, dZ):
    X, W, dZ = (np.asarray(a, dtype=np.float32) for a in (X, W, dZ))   # PyTorch's default dtype
    if X.shape[1] != W.shape[1] or dZ.shape != (len(X), len(W)):
        raise ValueError("shapes do not fit")
    return dZ @ W, dZ.T @ X, dZ.sum(axis=0)


def test_dense_backward_names_arrays_in_float32():
    """Misleading before round 21: only a wrong value in the 7th digit was shown (-0.01748968 for -0.01748965), with no
    word of float32, while mlp_backward and sigmoid_derivative name it."""
    verdict = judge(registry.get_exercise("dense_backward"), _dense_backward_in_float32)
    assert verdict.kind == WRONG and "float32" in verdict.text and "dtype=float" in verdict.text, verdict.text


def _softmax_ce_grad_asserting_the_lengths(Z, y):
    Z = np.asarray(Z, dtype=float)
    assert len(y) == len(Z), "one label per example"
    return (np.exp(Z - Z.max(axis=1, keepdims=True)) / np.exp(Z - Z.max(axis=1, keepdims=True)).sum(
        axis=1, keepdims=True) - np.eye(Z.shape[1])[y]) / len(Z)


def _mlp_backward_raising_as_torch_does(X, y, W1, b1, W2, b2):
    X = np.asarray(X, dtype=float)
    if X.shape[1] != W1.shape[1]:   # torch's X @ W1.T raises RuntimeError: mat1 and mat2 shapes cannot be multiplied
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({X.shape} and {W1.T.shape})")
    H = np.tanh(X @ W1.T + b1)
    dZ2 = (sigmoid(H @ W2.T + b2) - np.asarray(y, dtype=float)[:, None]) / len(X)
    dZ1 = dZ2 @ W2 * (1 - H ** 2)
    return dZ1.T @ X, dZ1.sum(axis=0), dZ2.T @ H, dZ2.sum(axis=0)


@pytest.mark.parametrize("name, answer", [("softmax_ce_grad", _softmax_ce_grad_asserting_the_lengths),
                                          ("mlp_backward", _mlp_backward_raising_as_torch_does)],
                         ids=["AssertionError", "RuntimeError"])
def test_an_error_of_another_type_is_told_which_one_the_input_must_raise(name, answer):
    """Misleading before round 21: "raised RuntimeError: mat1 and mat2 shapes cannot be multiplied" on the input "X has 3
    features but W1 expects 2" read as the error that was asked for; the message now names the one due."""
    with np.errstate(over="ignore"):
        verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and "must raise ValueError" in verdict.text, verdict.text


def _r21_derivative_from_both_exponentials(z):
    """sigma'(z) = 1 / (e^z + 2 + e^-z): an exponential that overflows to inf gives exactly 0, as it must."""
    z = np.asarray(z, dtype=float)
    with np.errstate(over="ignore"):
        return 1 / (2 + np.exp(z) + np.exp(-z))


def _r21_derivative_as_two_sigmoids(z):
    return sigmoid(z) * sigmoid(-np.asarray(z, dtype=float))   # 1 - sigma(z) = sigma(-z)


def _r21_dense_by_tensordot(X, W, dZ):
    X, W, dZ = (np.asarray(a, dtype=float) for a in (X, W, dZ))
    if X.ndim != 2 or dZ.shape != (len(X), len(W)) or X.shape[1] != W.shape[1]:
        raise ValueError("shapes do not fit")
    return np.tensordot(dZ, W, axes=1), np.tensordot(dZ, X, axes=(0, 0)), np.tensordot(np.ones(len(X)), dZ, axes=1)


def _r21_ce_grad_by_logsumexp(Z, y):
    Z = np.asarray(Z, dtype=float)
    if len(y) != len(Z):
        raise ValueError("one label per example")
    m = Z.max(axis=1, keepdims=True)
    log_p = Z - m - np.log(np.exp(Z - m).sum(axis=1, keepdims=True))
    return (np.exp(log_p) - (np.arange(Z.shape[1]) == np.asarray(y)[:, None])) / len(Z)


def _r21_mlp_backward_by_each_label(X, y, W1, b1, W2, b2):
    """dZ2 as -sigma(-z) / n for label 1 and sigma(z) / n for label 0: P - y without the subtraction."""
    X = np.asarray(X, dtype=float)
    H = np.tanh(X @ W1.T + b1)
    Z2 = H @ W2.T + b2
    dZ2 = np.where(np.asarray(y).reshape(-1, 1) == 1, -sigmoid(-Z2), sigmoid(Z2)) / len(X)
    dZ1 = (dZ2 @ W2) * (1 - H * H)
    return dZ1.T @ X, dZ1.sum(axis=0), dZ2.T @ H, dZ2.sum(axis=0)


def _r21_mlp_backward_by_course_blocks(X, y, W1, b1, W2, b2):
    """lesson 02's mlp.forward, the output delta of mlp.output_loss_and_delta and 03a's dense_backward twice."""
    from course_utils import mlp

    params = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
    X = np.asarray(X, dtype=float)
    if X.shape[1] != np.shape(W1)[1]:
        raise ValueError("X does not fit W1")
    _, cache = mlp.forward(params, X)
    dZ2 = mlp.output_loss_and_delta(cache["Z2"], y)[1]
    dH, dW2, db2 = mlp.dense_backward(cache["A1"], W2, dZ2)
    _, dW1, db1 = mlp.dense_backward(X, W1, dH * (1 - cache["A1"] ** 2))
    return dW1, db1, dW2, db2


def _r21_train_with_the_course_sgd(X, y, params, lr, epochs):
    from course_utils import mlp
    from course_utils import optimizers as opt

    if not lr > 0:
        raise ValueError("lr must be positive")
    mlp_backward, names = reference_copy("mlp_backward"), ("W1", "b1", "W2", "b2")
    new, losses, sgd = {k: np.array(v, dtype=float) for k, v in params.items()}, [], opt.SGD(lr)
    for _ in range(epochs):
        losses.append(mlp.binary_cross_entropy(y, mlp.forward(new, X)[1]["Z2"], from_logits=True))
        sgd.step(new, dict(zip(names, mlp_backward(X, y, *(new[k] for k in names)))))
    return new, np.array(losses)


@pytest.mark.parametrize("name, answer", [
    ("sigmoid_derivative", _r21_derivative_from_both_exponentials),
    ("sigmoid_derivative", _r21_derivative_as_two_sigmoids),
    ("dense_backward", _r21_dense_by_tensordot),
    ("softmax_ce_grad", _r21_ce_grad_by_logsumexp),
    ("mlp_backward", _r21_mlp_backward_by_each_label),
    ("mlp_backward", _r21_mlp_backward_by_course_blocks),
    ("train_mlp", _r21_train_with_the_course_sgd),
], ids=["1 over e^z + 2 + e^-z", "sigma(z) sigma(-z)", "dense by tensordot", "ce grad by log-softmax",
        "mlp dZ2 by label", "mlp by course blocks", "train_mlp with opt.SGD"])
def test_lesson_03_takes_right_answers_of_round_21(name, answer):
    with np.errstate(over="ignore"):
        _passes(name, answer)


def _mlp_backward_from_the_check_s_own_factory(X, y, W1, b1, W2, b2):
    """The check module's factory of catalogued mistakes, given the right sigmoid and tanh: the whole answer."""
    from course_utils.exercises import backpropagation

    return backpropagation._backward_with_activations(sigmoid, np.tanh)(X, y, W1, b1, W2, b2)


def test_mlp_backward_refuses_the_check_s_factory_of_mistakes():
    """Passed 28 of 28 before round 21 (and so did its result, built in an earlier cell): no watch saw the factory."""
    from course_utils.exercises import backpropagation

    verdict = judge(registry.get_exercise("mlp_backward"), _mlp_backward_from_the_check_s_own_factory)
    assert verdict.kind == WRONG, verdict.text
    assert not any(hasattr(backpropagation, name) for name in ("_backward_with_activations", "_mlp_backward_with",
                                                                "_shapes_checked", "_lengths_checked"))


# ---------------------------------------------------------------- lessons 07 and 08
def _integrated_gradients_rejecting_only_zero(model, x, target, baseline, steps):
    import torch

    if steps == 0:
        raise ValueError("steps must be at least 1")
    x = torch.as_tensor(x, dtype=torch.float32)
    baseline = torch.zeros_like(x) if baseline is None else torch.as_tensor(baseline, dtype=torch.float32)
    points = (baseline + (torch.arange(max(steps, 0)) + 0.5).reshape(-1, *[1] * x.ndim) / steps * (x - baseline))
    points.requires_grad_(True)
    model(points)[:, target].sum().backward()
    return (x - baseline) * points.grad.mean(dim=0)


def _occlusion_checking(too_large):
    """The course's occlusion map with another size check."""
    def occlusion_map(predict, image, patch, stride, fill):
        image = np.asarray(image, dtype=float)
        if too_large(patch, image.shape):
            raise ValueError("the patch does not fit")
        total, count, original = np.zeros_like(image), np.zeros_like(image), predict(image[None])[0]
        for i in range(0, image.shape[0] - patch + 1, stride):
            for j in range(0, image.shape[1] - patch + 1, stride):
                covered = image.copy()
                covered[i:i + patch, j:j + patch] = fill
                total[i:i + patch, j:j + patch] += original - predict(covered[None])[0]
                count[i:i + patch, j:j + patch] += 1
        return np.divide(total, count, out=np.zeros_like(total), where=count > 0)
    return occlusion_map


def _shapley_without_a_column_check(predict, x, background):
    from itertools import combinations
    from math import factorial

    x, background, n = np.asarray(x, dtype=float), np.asarray(background, dtype=float), len(x)

    def v(S):
        rows = background.copy()
        rows[:, list(S)] = x[list(S)]
        return predict(rows).mean()
    return np.array([sum(factorial(s) * factorial(n - s - 1) / factorial(n) * (v(S + (i,)) - v(S))
                         for s in range(n) for S in combinations([j for j in range(n) if j != i], s))
                     for i in range(n)])


def _saliency_in_float64(model, x, target):
    import torch

    x = torch.as_tensor(x).clone().requires_grad_(True)    # a numpy image stays float64
    model(x[None])[0, target].backward()
    return x.grad.abs()


def _saliency_in_training_mode(model, x, target):
    import torch

    model.train()
    x = torch.as_tensor(x, dtype=torch.float32).clone().requires_grad_(True)
    model(x[None])[0, target].backward()
    return x.grad.abs()


def _integrated_gradients_by(train=False, float32=True, in_place=False):
    """Exercise 2 as the lesson writes it, or switching to train(), keeping float64, or doing x -= baseline."""
    def integrated_gradients(model, x, target, baseline, steps):
        import torch

        if steps < 1:
            raise ValueError("steps must be at least 1")
        if train:
            model.train()
        x = torch.as_tensor(x, dtype=torch.float32 if float32 else None)
        baseline = torch.zeros_like(x) if baseline is None else torch.as_tensor(baseline, dtype=x.dtype)
        difference = x.sub_(baseline) if in_place else x - baseline
        alphas = ((torch.arange(steps) + 0.5) / steps).reshape(-1, *[1] * x.ndim)
        points = (baseline + alphas * difference).requires_grad_(True)
        model(points)[:, target].sum().backward()
        return difference * points.grad.mean(dim=0)
    return integrated_gradients


@pytest.mark.parametrize("name, answer, reason", [
    ("saliency_map", _saliency_in_float64, "float64"),
    ("saliency_map", _saliency_in_training_mode, "eval\\(\\) mode it comes in"),
    ("integrated_gradients", _integrated_gradients_by(float32=False), "float64"),
    ("integrated_gradients", _integrated_gradients_by(train=True), "eval\\(\\) mode it comes in"),
    ("integrated_gradients", _integrated_gradients_by(in_place=True), "changed its input"),
], ids=["saliency float64", "saliency train mode", "ig float64", "ig train mode", "ig x -= baseline"])
def test_lesson_07a_rejects_float64_training_mode_and_a_changed_input(name, answer, reason):
    with pytest.raises(ExerciseFailed, match=reason):
        check(name, answer, strict=True)


def test_lesson_07a_integrated_gradients_written_as_the_lesson_does_passes():
    _passes("integrated_gradients", _integrated_gradients_by())


def _saliency_then(after):
    """Exercise 1 as the lesson writes it, then ``after(model, x)`` (x converted to float64 first if it is numpy)."""
    def saliency_map(model, x, target):
        import torch

        x = torch.as_tensor(x).clone()
        after(model, x)
        x = x.float().requires_grad_(True) if x.dtype != next(model.parameters()).dtype else x.requires_grad_(True)
        model(x[None])[0, target].backward()
        return x.grad.abs()
    return saliency_map


def _integrated_gradients_keeping_a_float64_baseline(model, x, target, baseline, steps):
    import torch

    if steps < 1:
        raise ValueError("steps must be at least 1")
    x = torch.as_tensor(x, dtype=torch.float32)
    baseline = torch.zeros_like(x) if baseline is None else torch.as_tensor(baseline)
    alphas = ((torch.arange(steps) + 0.5) / steps).reshape(-1, *[1] * x.ndim)
    points = (baseline + alphas * (x - baseline)).requires_grad_(True)
    model(points)[:, target].sum().backward()
    return (x - baseline) * points.grad.mean(dim=0)


def _integrated_gradients_with_a_graph(model, x, target, baseline, steps):
    import torch

    if steps < 1:
        raise ValueError("steps must be at least 1")
    x = torch.as_tensor(x, dtype=torch.float32).clone().requires_grad_(True)   # so the result carries a graph
    baseline = torch.zeros_like(x) if baseline is None else torch.as_tensor(baseline, dtype=torch.float32)
    alphas = ((torch.arange(steps) + 0.5) / steps).reshape(-1, *[1] * x.ndim)
    points = baseline + alphas * (x - baseline)
    gradients, = torch.autograd.grad(model(points)[:, target].sum(), points)
    return (x - baseline) * gradients.mean(dim=0)


@pytest.mark.parametrize("name, answer, reason", [
    ("saliency_map", _saliency_then(lambda model, x: model.to(x.dtype)), "not the model to float64"),
    ("saliency_map", _saliency_then(lambda model, x: model.requires_grad_(False)), "requires_grad flags"),
    ("saliency_map", _saliency_then(lambda model, x: __import__("torch").set_default_dtype(x.dtype)),
     "default dtype to torch.float64"),
    ("integrated_gradients", _integrated_gradients_keeping_a_float64_baseline, "baseline may be a numpy array"),
    ("integrated_gradients", _integrated_gradients_with_a_graph, "still requires gradients"),
], ids=["saliency model.to(float64)", "saliency frozen model", "saliency default dtype", "ig float64 baseline",
        "ig result with a graph"])
def test_lesson_07a_rejects_a_changed_model_or_setting_a_float64_baseline_and_a_graph(name, answer, reason):
    import torch

    with pytest.raises(ExerciseFailed, match=reason):
        check(name, answer, strict=True)
    assert torch.get_default_dtype() == torch.float32


def test_lesson_07b_shapley_values_averaged_along_an_axis_pass():
    """The spec's predict returns (m,) numbers: v(S) = predict(rows).mean(axis=0) is a scalar then."""
    from itertools import combinations
    from math import factorial

    def exact_shapley_values(predict, x, background):
        x, background = np.asarray(x, dtype=float), np.atleast_2d(np.asarray(background, dtype=float))
        if background.shape[1] != len(x):
            raise ValueError("background must have one column per feature")
        n, phi = len(x), np.zeros(len(x))

        def v(S):
            rows = background.copy()
            rows[:, list(S)] = x[list(S)]
            return predict(rows).mean(axis=0)
        for i in range(n):
            for s in range(n):
                for S in combinations([j for j in range(n) if j != i], s):
                    phi[i] += factorial(s) * factorial(n - s - 1) / factorial(n) * (v(S + (i,)) - v(S))
        return phi
    _passes("exact_shapley_values", exact_shapley_values)


def _saliency_on_the_caller_s_tensor(model, x, target):
    import torch

    x = torch.as_tensor(x, dtype=torch.float32).requires_grad_(True)   # no copy: a tensor x is the caller's own
    gradient, = torch.autograd.grad(model(x[None])[0, target], x)
    return gradient.abs()


def _integrated_gradients_on_the_caller_s_tensor(model, x, target, baseline, steps):
    import torch

    if steps < 1:
        raise ValueError("steps must be at least 1")
    x = torch.as_tensor(x, dtype=torch.float32).requires_grad_(True)
    baseline = torch.zeros_like(x) if baseline is None else torch.as_tensor(baseline, dtype=torch.float32)
    alphas = ((torch.arange(steps) + 0.5) / steps).reshape(-1, *[1] * x.ndim)
    points = baseline + alphas * (x - baseline)
    gradients, = torch.autograd.grad(model(points)[:, target].sum(), points)
    return ((x - baseline) * gradients.mean(dim=0)).detach()


def _occlusion_in_the_image_dtype(predict, image, patch, stride, fill):
    if patch > min(image.shape):
        raise ValueError("the patch does not fit")
    total, count, original = np.zeros(image.shape), np.zeros(image.shape), predict(image[None])[0]
    for i in range(0, image.shape[0] - patch + 1, stride):
        for j in range(0, image.shape[1] - patch + 1, stride):
            covered = image.copy()                          # a uint8 copy stores the fill 127.5 as 127
            covered[i:i + patch, j:j + patch] = fill
            total[i:i + patch, j:j + patch] += original - predict(covered[None])[0]
            count[i:i + patch, j:j + patch] += 1
    return np.divide(total, count, out=np.zeros_like(total), where=count > 0)


def _shapley_by(zeros, rows_from_x=False, result=np.asarray, convert=False):
    """Exact Shapley values with phi = zeros(x), rows built from x or from background, and ``result(phi)``."""
    from itertools import combinations
    from math import factorial

    def exact_shapley_values(predict, x, background):
        if convert:
            x, background = np.asarray(x, dtype=float), np.asarray(background, dtype=float)
        if background.shape[1] != len(x):
            raise ValueError("background must have one column per feature")
        n, phi = len(x), zeros(x)

        def v(S):
            if rows_from_x:
                rows, rest = np.tile(x, (len(background), 1)), [j for j in range(n) if j not in S]
                rows[:, rest] = background[:, rest]
            else:
                rows = background.copy()
                rows[:, list(S)] = x[list(S)]
            return predict(rows).mean()
        for i in range(n):
            for s in range(n):
                for S in combinations([j for j in range(n) if j != i], s):
                    phi[i] += factorial(s) * factorial(n - s - 1) / factorial(n) * (v(S + (i,)) - v(S))
        return result(phi)
    return exact_shapley_values


@pytest.mark.parametrize("name, answer, reason", [
    ("saliency_map", _saliency_on_the_caller_s_tensor, "requires_grad of the caller's own tensor"),
    ("integrated_gradients", _integrated_gradients_on_the_caller_s_tensor, "requires_grad of the caller's own tensor"),
    ("occlusion_map", _occlusion_in_the_image_dtype, "convert the image to floats"),
    ("exact_shapley_values", _shapley_by(np.zeros_like), "whole numbers"),
    ("exact_shapley_values", _shapley_by(lambda x: np.zeros(len(x)), rows_from_x=True), "whole numbers"),
    ("exact_shapley_values", _shapley_by(lambda x: np.zeros(len(x))), "whole numbers"),
    ("exact_shapley_values", _shapley_by(lambda x: np.zeros(len(x)), convert=True, result=list), "returned a list"),
], ids=["saliency on the caller's x", "ig on the caller's x", "occlusion uint8 copy", "shapley zeros_like(x)",
        "shapley rows from an int x", "shapley rows from an int background", "shapley list"])
def test_lesson_07_rejects_a_flag_on_the_caller_s_x_integer_inputs_kept_and_a_list(name, answer, reason):
    with pytest.raises(ExerciseFailed, match=reason):
        check(name, answer, strict=True)


def test_lesson_07b_answers_that_convert_integer_inputs_pass():
    _passes("exact_shapley_values", _shapley_by(np.zeros_like, convert=True))
    _passes("exact_shapley_values", _shapley_by(np.zeros_like, rows_from_x=True, convert=True))
    _passes("occlusion_map", lambda predict, image, patch, stride, fill: _occlusion_in_the_image_dtype(
        predict, np.asarray(image, dtype=float), patch, stride, fill))


def _occlusion_by(dtype=float, spread_to_stride=False):
    def occlusion_map(predict, image, patch, stride, fill):
        image = np.asarray(image, dtype=dtype)
        if patch > min(image.shape):
            raise ValueError("the patch does not fit")
        total, count, original = np.zeros(image.shape), np.zeros(image.shape), predict(image[None])[0]
        side = max(patch, stride) if spread_to_stride else patch    # as if the windows always tiled the image
        for i in range(0, image.shape[0] - patch + 1, stride):
            for j in range(0, image.shape[1] - patch + 1, stride):
                covered = image.copy()
                covered[i:i + patch, j:j + patch] = fill
                total[i:i + side, j:j + side] += original - predict(covered[None])[0]
                count[i:i + side, j:j + side] += 1
        return np.divide(total, count, out=np.zeros_like(total), where=count > 0)
    return occlusion_map


def test_lesson_07b_occlusion_rejects_a_drop_spread_over_a_stride_larger_than_the_patch():
    with pytest.raises(ExerciseFailed, match="never covered and stay 0"):
        check("occlusion_map", _occlusion_by(spread_to_stride=True), strict=True)


def test_lesson_07b_occlusion_of_an_image_converted_to_float32_passes():
    _passes("occlusion_map", _occlusion_by(dtype=np.float32))


def _sampler_checking_rank_below_num_replicas(order, num_replicas, rank, drop_last=False):
    if rank >= num_replicas:
        raise ValueError("rank too large")
    order = np.asarray(order)
    total = (len(order) // num_replicas if drop_last else -(-len(order) // num_replicas)) * num_replicas
    return np.resize(order, total)[rank::num_replicas]


def _sampler_padding_with_one_copy_of_the_start(order, num_replicas, rank, drop_last=False):
    if not 0 <= rank < num_replicas:
        raise ValueError("need 0 <= rank < num_replicas")
    order = np.asarray(order)
    total = (len(order) // num_replicas if drop_last else -(-len(order) // num_replicas)) * num_replicas
    padded = np.concatenate([order, order[:total - len(order)]]) if total > len(order) else order[:total]
    return padded[rank::num_replicas]


def _accumulation_in_one_pass(model, loss_fn, optimizer, x, y, micro_batches):
    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


@pytest.mark.parametrize("name, answer", [
    ("integrated_gradients", _integrated_gradients_rejecting_only_zero),
    ("occlusion_map", _occlusion_checking(lambda patch, shape: patch > shape[0])),
    ("occlusion_map", _occlusion_checking(lambda patch, shape: patch > shape[1])),
    ("occlusion_map", _occlusion_checking(lambda patch, shape: patch >= min(shape))),
    ("exact_shapley_values", _shapley_without_a_column_check),
    ("sampler_indices", _sampler_checking_rank_below_num_replicas),
    ("sampler_indices", _sampler_padding_with_one_copy_of_the_start),
    ("accumulation_step", _accumulation_in_one_pass),
], ids=["ig only steps 0", "occlusion height only", "occlusion width only", "occlusion patch == image rejected",
        "shapley columns unchecked", "sampler negative rank", "sampler start repeated once",
        "accumulation whole batch"])
def test_lessons_07_and_08_reject_a_check_or_a_step_the_text_asks_for(name, answer):
    with pytest.raises(ExerciseFailed):
        check(name, answer, strict=True)


def test_the_course_occlusion_map_passes_with_its_size_check():
    _passes("occlusion_map", _occlusion_checking(lambda patch, shape: patch > min(shape)))


def _explained_in_float32_if_numpy(name):
    """Exercise 1 or 2 as the lesson writes it, but only a numpy x (or baseline) converted: a tensor keeps its dtype."""
    def as_given(a):
        import torch

        return a.detach().clone() if torch.is_tensor(a) else torch.from_numpy(np.asarray(a, dtype=np.float32))

    def saliency_map(model, x, target):
        x = as_given(x).requires_grad_(True)
        model(x[None])[0, target].backward()
        return x.grad.abs()

    def integrated_gradients(model, x, target, baseline, steps):
        import torch

        if steps < 1:
            raise ValueError("steps must be at least 1")
        x = torch.as_tensor(x, dtype=torch.float32) if name == "baseline" else as_given(x)
        baseline = torch.zeros_like(x) if baseline is None else as_given(baseline)
        alphas = ((torch.arange(steps) + 0.5) / steps).reshape(-1, *[1] * x.ndim)
        points = (baseline + alphas * (x - baseline)).requires_grad_(True)
        model(points)[:, target].sum().backward()
        return (x - baseline) * points.grad.mean(dim=0)
    return saliency_map if name == "saliency_map" else integrated_gradients


def _occlusion_converting_only_uint8(predict, image, patch, stride, fill):
    return _occlusion_in_the_image_dtype(predict, image.astype(float) if image.dtype == np.uint8 else image, patch,
                                         stride, fill)


@pytest.mark.parametrize("name, answer, mistake", [
    ("saliency_map", "squeezed", "squeezed"),
    ("saliency_map", _explained_in_float32_if_numpy("saliency_map"), "float64 kept"),
    ("integrated_gradients", "squeezed", "squeezed"),
    ("integrated_gradients", "alphas for two axes at most", "alphas for two axes at most"),
    ("integrated_gradients", _explained_in_float32_if_numpy("x"), "float64 kept"),
    ("integrated_gradients", _explained_in_float32_if_numpy("baseline"), "baseline kept in float64"),
    ("occlusion_map", "a stride larger than the image rejected", "a stride larger than the image rejected"),
    ("occlusion_map", _occlusion_converting_only_uint8, "integer image kept"),
], ids=["saliency squeezed", "saliency float64 tensor", "ig squeezed", "ig alphas (steps, 1, 1)", "ig float64 tensor x",
        "ig float64 tensor baseline", "occlusion large stride rejected", "occlusion int64 image kept"])
def test_lesson_07_generated_inputs_reject_what_the_hand_picked_ones_share(name, answer, mistake):
    """x of shape (1, H, W) or 3 axes, float64 tensors, strides past the image, int64 images: drawn cases only."""
    verdict = judge(registry.get_exercise(name), catalogued(name, answer) if isinstance(answer, str) else answer)
    assert verdict.mistake == mistake, verdict.text


def _shapley_broadcasting_without_a_column_check(predict, x, background):
    """The lesson's np.where answer without its column check: broadcasting refuses most wrong backgrounds by itself."""
    from itertools import combinations
    from math import factorial

    x, background = np.asarray(x, dtype=float), np.asarray(background, dtype=float)
    n, phi = len(x), np.zeros(len(x))

    def v(S):
        return np.mean(predict(np.where(np.isin(np.arange(n), S), x, background)))
    for i in range(n):
        for s in range(n):
            for S in combinations([j for j in range(n) if j != i], s):
                phi[i] += factorial(s) * factorial(n - s - 1) / factorial(n) * (v(S + (i,)) - v(S))
    return phi


def _integrated_gradients_of_at_most_32_points(model, x, target, baseline, steps):
    """The lesson's answer that never puts more than 32 points into its batch (the midpoints of min(steps, 32))."""
    import torch

    if steps < 1:
        raise ValueError("steps must be at least 1")
    x = torch.as_tensor(x, dtype=torch.float32)
    baseline = torch.zeros_like(x) if baseline is None else torch.as_tensor(baseline, dtype=torch.float32)
    steps = min(steps, 32)
    alphas = ((torch.arange(steps) + 0.5) / steps).reshape(-1, *[1] * x.ndim)
    points = (baseline + alphas * (x - baseline)).requires_grad_(True)
    model(points)[:, target].sum().backward()
    return (x - baseline) * points.grad.mean(dim=0)


@pytest.mark.parametrize("name, answer, mistake", [
    ("exact_shapley_values", "only extra columns refused", "only extra columns refused"),
    ("exact_shapley_values", _shapley_broadcasting_without_a_column_check, "columns not checked"),
    ("integrated_gradients", _integrated_gradients_of_at_most_32_points, ""),
    ("saliency_map", "model unfrozen afterwards", "model unfrozen afterwards"),
], ids=["shapley fewer columns", "shapley one feature, two columns", "ig at most 32 points", "saliency unfreezes"])
def test_lesson_07_rejects_fewer_background_columns_steps_cut_short_and_an_unfrozen_model(name, answer, mistake):
    """A background with fewer columns (or one feature with two), steps past 40 (the notebook uses 64), and a
    drawn model with a frozen first layer."""
    verdict = judge(registry.get_exercise(name), catalogued(name, answer) if isinstance(answer, str) else answer)
    assert verdict.kind == WRONG and verdict.mistake == mistake, verdict.text


def _integrated_gradients_with_dropout_set_to_zero(model, x, target, baseline, steps):
    """The lesson's answer after switching every Dropout off by hand, for good (the model is in eval() mode anyway)."""
    from torch import nn

    for module in model.modules():
        if isinstance(module, nn.Dropout):
            module.p = 0.0
    return reference_copy("integrated_gradients")(model, x, target, baseline, steps)


@pytest.mark.parametrize("name, answer, mistake", [
    ("saliency_map", "dropout p set to 0", "dropout p set to 0"),
    ("integrated_gradients", _integrated_gradients_with_dropout_set_to_zero, ""),
], ids=["saliency", "integrated gradients"])
def test_lesson_07a_rejects_a_dropout_switched_off_in_the_caller_s_model(name, answer, mistake):
    """Both passed: the model's modes, weights and flags were compared, not its layers' settings (Dropout's p)."""
    verdict = judge(registry.get_exercise(name), catalogued(name, answer) if isinstance(answer, str) else answer)
    assert verdict.kind == WRONG and verdict.mistake == mistake, verdict.text
    assert "changed a setting of the model's layers" in verdict.text


@pytest.mark.parametrize("name, mistake, reason", [
    ("saliency_map", "scores squeezed", "invalid index of a 0-dim tensor"),
    ("saliency_map", "only float64 converted", "only Tensors of floating point dtype can require gradients"),
    ("saliency_map", "clipped to [0, 1]", "wrong value"),
    ("integrated_gradients", "scores squeezed", "wrong value"),
], ids=["saliency squeezed scores", "saliency float64 only", "saliency clipped", "integrated gradients squeezed"])
def test_lesson_07a_draws_a_single_score_whole_numbers_and_a_steep_model(name, mistake, reason):
    """Each passed: every drawn model had 2-5 scores (squeeze() kept the class axis), every x was of floats, and no
    saliency value reached 1 (clipping to [0, 1] changed nothing)."""
    with pytest.raises(ExerciseFailed, match=reason):
        check(name, catalogued(name, mistake), strict=True)


@pytest.mark.parametrize("error", [ValueError, RuntimeError, AssertionError])
def test_lesson_07a_saliency_may_refuse_a_missing_class_with_another_error(error):
    """The exercise text names no error for a class the model does not have: IndexError is only what indexing gives
    (AssertionError is what the learner's own `assert 0 <= target < len(scores)` gives)."""
    def saliency_map(model, x, target):
        import torch

        x = torch.as_tensor(x, dtype=torch.float32).clone().requires_grad_(True)
        scores = model(x[None])[0]
        if not 0 <= target < len(scores):
            raise error(f"target must be a class below {len(scores)}")
        scores[target].backward()
        return x.grad.abs()
    _passes("saliency_map", saliency_map)


def test_shard_gradient_wants_grad_fn_called_on_each_shard():
    def whole_batch(grad_fn, w, X, y, k):
        if not 1 <= k <= len(X):
            raise ValueError("k must be between 1 and len(X)")
        return grad_fn(w, X, y)
    with pytest.raises(ExerciseFailed, match="no shard has more than"):
        check("shard_gradient", whole_batch, strict=True)


def _ring_step_without_a_shape_check(buffers, step):
    new, k = np.array(buffers, dtype=float), len(buffers)
    for i in range(k):
        new[(i + 1) % k, (i - step) % k] += buffers[i, (i - step) % k]
    return new


def _sampler_ignoring_drop_last(order, num_replicas, rank, drop_last=False):
    if not 0 <= rank < num_replicas:
        raise ValueError("need 0 <= rank < num_replicas")
    return np.resize(order, -(-len(order) // num_replicas) * num_replicas)[rank::num_replicas]


def _accumulation_without_a_check(model, loss_fn, optimizer, x, y, micro_batches):
    import torch

    optimizer.zero_grad()
    total = 0.0
    for xb, yb in zip(torch.tensor_split(x, micro_batches), torch.tensor_split(y, micro_batches)):
        loss = loss_fn(model(xb), yb) * len(xb) / len(x)
        loss.backward()
        total += loss.item()
    optimizer.step()
    return total


@pytest.mark.parametrize("name, answer, wrongly_named", [
    ("ring_step", _ring_step_without_a_shape_check, "wrong direction"),
    ("sampler_indices", _sampler_ignoring_drop_last, "start repeated once only"),
    ("accumulation_step", _accumulation_without_a_check, "unscaled losses"),
], ids=["ring no shape check", "sampler ignores drop_last", "accumulation no check"])
def test_lesson_08_names_no_mistake_the_answer_did_not_make(name, answer, wrongly_named):
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind != PASSED and verdict.mistake != wrongly_named, verdict.text


def _shard_gradient_shuffling_in_place(grad_fn, w, X, y, k):
    if not 1 <= k <= len(X):
        raise ValueError("k must be between 1 and len(X)")
    np.random.default_rng(1).shuffle(X)          # X alone: its rows no longer match y's
    return sum(len(a) * grad_fn(w, a, b) for a, b in zip(np.array_split(X, k), np.array_split(y, k))) / len(X)


def _shard_gradient_sorting_a_finished_input(grad_fn, w, X, y, k):
    if not 1 <= k <= len(X):
        raise ValueError("k must be between 1 and len(X)")
    total = sum(len(a) * grad_fn(w, a, b) for a, b in zip(np.array_split(X, k), np.array_split(y, k))) / len(X)
    y.sort()
    return total


def _sampler_with_float_indices(order, num_replicas, rank, drop_last=False):
    if not 0 <= rank < num_replicas:
        raise ValueError("need 0 <= rank < num_replicas")
    n = len(order)
    total = (n // num_replicas if drop_last else -(-n // num_replicas)) * num_replicas
    padded = np.zeros(total)
    padded[:] = np.resize(order, total)
    return padded[rank::num_replicas]


def _accumulation_then(after):
    """A right accumulation step that then does ``after(model, x)``."""
    def step(model, loss_fn, optimizer, x, y, micro_batches):
        if not 1 <= micro_batches <= len(x):
            raise ValueError("micro_batches must be between 1 and len(x)")
        total = _accumulation_without_a_check(model, loss_fn, optimizer, x, y, micro_batches)
        after(model, x)
        return total
    return step


@pytest.mark.parametrize("name, answer, reason", [
    ("shard_gradient", _shard_gradient_shuffling_in_place, "in place"),
    ("shard_gradient", _shard_gradient_sorting_a_finished_input, "in place"),
    ("sampler_indices", _sampler_with_float_indices, "integers"),
    ("accumulation_step", _accumulation_then(lambda model, x: x.mul_(0)), "in place"),
    ("accumulation_step", _accumulation_then(lambda model, x: model.eval()), "eval mode"),
], ids=["shard shuffles X", "shard sorts y afterwards", "sampler float indices", "accumulation zeroes x",
        "accumulation eval mode"])
def test_lesson_08_rejects_answers_right_in_value_but_not_in_kind(name, answer, reason):
    with pytest.raises(ExerciseFailed, match=reason):
        check(name, answer, strict=True)



def _shard_gradient_one_example_at_a_time(grad_fn, w, X, y, k):
    if not 1 <= k <= len(X):
        raise ValueError("k must be between 1 and len(X)")
    return sum(grad_fn(w, X[i:i + 1], y[i:i + 1]) for i in range(len(X))) / len(X)


def _ring_step_checking_only_the_first_two_sizes(buffers, step):
    buffers = np.asarray(buffers)
    if buffers.shape[0] < 2 or buffers.shape[1] != buffers.shape[0]:    # IndexError for a 1-D array
        raise ValueError("buffers must have shape (k, k, ...)")
    return _ring_step_without_a_shape_check(buffers, step)


def _sampler_padding_with_the_smallest_indices(order, num_replicas, rank, drop_last=False):
    if not 0 <= rank < num_replicas:
        raise ValueError("need 0 <= rank < num_replicas")
    order = np.asarray(order)
    total = (len(order) // num_replicas if drop_last else -(-len(order) // num_replicas)) * num_replicas
    padded = np.resize(np.concatenate([order, np.sort(order)]), total) if total > len(order) else order[:total]
    return padded[rank::num_replicas]


def _accumulation_backward_on(when):
    """Accumulation that calls backward once on the sum, or on every loss after all the forward passes."""
    def step(model, loss_fn, optimizer, x, y, micro_batches):
        import torch

        if not 1 <= micro_batches <= len(x):
            raise ValueError("micro_batches must be between 1 and len(x)")
        optimizer.zero_grad()
        losses = [loss_fn(model(xb), yb) * len(xb) / len(x)
                  for xb, yb in zip(torch.tensor_split(x, micro_batches), torch.tensor_split(y, micro_batches))]
        if when == "sum":
            sum(losses).backward()
        else:
            for loss in losses:
                loss.backward()
        optimizer.step()
        return sum(loss.item() for loss in losses)
    return step




def _accumulation_switching_gradients_off(model, loss_fn, optimizer, x, y, micro_batches):
    import torch

    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    total = _accumulation_without_a_check(model, loss_fn, optimizer, x, y, micro_batches)
    torch.set_grad_enabled(False)
    return total


def _without_return(name):
    """The course's answer to exercise ``name`` without its `return`."""
    def answer(*args, **kwargs):
        reference_copy(name)(*args, **kwargs)
    return answer


@pytest.mark.parametrize("name, answer, reason", [
    ("shard_gradient", _shard_gradient_one_example_at_a_time, "k = 3 shards"),
    ("ring_step", _ring_step_checking_only_the_first_two_sizes, "IndexError"),
    ("sampler_indices", _sampler_padding_with_the_smallest_indices, "its last index is padding"),
    ("accumulation_step", _accumulation_backward_on("sum"), "graphs of 12 examples"),
    ("accumulation_step", _accumulation_backward_on("each, later"), "graphs of 12 examples"),
    ("accumulation_step", catalogued("accumulation_step", "weights updated by hand"), "weights after the step differ"),
    ("accumulation_step", _accumulation_switching_gradients_off, "changed gradient tracking"),
    ("ring_step", _without_return("ring_step"), "forget `return`"),
    ("sampler_indices", _without_return("sampler_indices"), "forget `return`"),
    ("accumulation_step", _without_return("accumulation_step"), "forget `return`"),
], ids=["shard one example at a time", "ring 1-D input", "sampler pads with the smallest indices",
        "accumulation one backward on the sum", "accumulation all forwards first", "accumulation step by hand",
        "accumulation leaves gradients off", "ring no return", "sampler no return", "accumulation no return"])
def test_lesson_08_rejects_work_that_skips_what_the_text_asks_and_names_a_missing_return(name, answer, reason):
    import torch

    try:
        with pytest.raises(ExerciseFailed, match=reason):
            check(name, answer, strict=True)
    finally:
        torch.set_grad_enabled(True)


def test_lesson_08_a_check_leaves_gradient_tracking_as_it_found_it():
    import torch

    verdict = judge(registry.get_exercise("accumulation_step"), _accumulation_switching_gradients_off)
    assert torch.is_grad_enabled() and verdict.kind != PASSED and "gradient tracking" in verdict.text, verdict.text


def _shard_gradient_by(combine):
    """A shard gradient with the size check whose shards are combined by ``combine(grad_fn, w, X, y, k)``."""
    def answer(grad_fn, w, X, y, k):
        if not 1 <= k <= len(X):
            raise ValueError("k must be between 1 and len(X)")
        return combine(grad_fn, w, X, y, k)
    return answer


def _shards_of(X, y, k):
    return list(zip(np.array_split(X, k), np.array_split(y, k)))


def _mse_by_hand(grad_fn, w, X, y, k):
    return sum(len(a) * (2.0 / len(a) * a.T @ (a @ w - b)) for a, b in _shards_of(X, y, k)) / len(X)


def _mse_by_hand_after_a_probe(grad_fn, w, X, y, k):
    grad_fn(w, X[:1], y[:1])                               # only to see the gradient's shape
    return _mse_by_hand(grad_fn, w, X, y, k)


def _accumulator_like_w(grad_fn, w, X, y, k):
    total = np.zeros_like(w)
    for a, b in _shards_of(X, y, k):
        total += len(a) * grad_fn(w, a, b)
    return total / len(X)


def _ceil_sized_shards(grad_fn, w, X, y, k):
    size = -(-len(X) // k)
    return sum(len(X[i:i + size]) * grad_fn(w, X[i:i + size], y[i:i + size]) for i in range(0, len(X), size)) / len(X)


def _ring_step_for_three_dimensions(buffers, step):
    buffers = np.asarray(buffers)
    if buffers.ndim != 3 or buffers.shape[0] < 2 or buffers.shape[1] != buffers.shape[0]:
        raise ValueError("buffers must have shape (k, k, chunk_size)")
    return _ring_step_without_a_shape_check(buffers, step)


def _ring_step_as_lists(buffers, step):
    buffers = np.asarray(buffers)
    if buffers.ndim < 2 or buffers.shape[0] < 2 or buffers.shape[1] != buffers.shape[0]:
        raise ValueError("buffers must have shape (k, k, ...) with k >= 2")
    return _ring_step_without_a_shape_check(buffers, step).tolist()


def _sampler_cutting_with_a_negative_slice(order, num_replicas, rank, drop_last=False):
    if not 0 <= rank < num_replicas:
        raise ValueError("need 0 <= rank < num_replicas")
    order = np.asarray(order)
    if drop_last:
        order = order[:-(len(order) % num_replicas)]
    else:
        order = np.resize(order, -(-len(order) // num_replicas) * num_replicas)
    return order[rank::num_replicas]


def _accumulation_with(loss=None, before=None, update=None, after=None):
    """Accumulation with the check and the scaling right, but its own ``loss``, something done ``before`` the
    loop or ``after`` the step, or its own ``update`` of the weights instead of optimizer.step()."""
    def step(model, loss_fn, optimizer, x, y, micro_batches):
        import torch

        if not 1 <= micro_batches <= len(x):
            raise ValueError("micro_batches must be between 1 and len(x)")
        if before:
            model, loss_fn, x = before(model, loss_fn, x)
        optimizer.zero_grad()
        total = 0.0
        for xb, yb in zip(torch.tensor_split(x, micro_batches), torch.tensor_split(y, micro_batches)):
            piece = (loss or loss_fn)(model(xb), yb) * len(xb) / len(x)
            piece.backward()
            total += piece.item()
        if update:
            with torch.no_grad():
                for p in model.parameters():
                    update(p, optimizer.param_groups[0])
        else:
            optimizer.step()
        if after:
            after(model)
        return total
    return step


def _sum_reduction(model, loss_fn, x):
    loss_fn.reduction = "sum"
    return model, lambda out, target: loss_fn(out, target) / len(target), x


def _sgd_with_weight_decay(p, group):
    p -= group["lr"] * (p.grad + group["weight_decay"] * p)


def _freeze(model):
    for p in model.parameters():
        p.requires_grad_(False)


def _cross_entropy(out, target):
    import torch.nn.functional as F

    return F.cross_entropy(out, target)


@pytest.mark.parametrize("name, answer, reason", [
    ("shard_gradient", _shard_gradient_by(_mse_by_hand), "never called grad_fn"),
    ("shard_gradient", _shard_gradient_by(_mse_by_hand_after_a_probe), "mean absolute error"),
    ("shard_gradient", _shard_gradient_by(_accumulator_like_w), "integer weights"),
    ("shard_gradient", _shard_gradient_by(_ceil_sized_shards), "shards of 4, 4, 2 examples"),
    ("ring_step", _ring_step_for_three_dimensions, "2x2 matrices"),
    ("ring_step", _ring_step_as_lists, "not a numpy array"),
    ("sampler_indices", _sampler_cutting_with_a_negative_slice, "nothing to cut"),
    ("accumulation_step", _accumulation_with(loss=_cross_entropy), "label smoothing"),
    ("accumulation_step", _accumulation_with(update=_sgd_with_weight_decay), "Adam"),
    ("accumulation_step", _accumulation_with(before=_sum_reduction), "settings of the loss function"),
    ("accumulation_step", _accumulation_with(before=lambda model, loss_fn, x: (model.double(), loss_fn, x.double())),
     "dtype of the model's weights"),
    ("accumulation_step", _accumulation_with(after=_freeze), "requires_grad"),
], ids=["shard grad_fn never called", "shard grad_fn only probed", "shard accumulator like w",
        "shard ceil-sized shards", "ring 3-D only", "ring returns lists", "sampler drop_last [:-0]",
        "accumulation own loss", "accumulation SGD by hand with weight decay", "accumulation loss_fn.reduction changed",
        "accumulation model left float64", "accumulation requires_grad off"])
def test_lesson_08_rejects_answers_fitted_to_the_one_setting_the_check_used(name, answer, reason):
    with pytest.raises(ExerciseFailed, match=reason):
        check(name, answer, strict=True)


def test_lesson_08_names_the_new_mistakes_it_catalogues():
    named = {name: judge(registry.get_exercise(name), answer).mistake for name, answer in [
        ("shard_gradient", _shard_gradient_by(_accumulator_like_w)),
        ("sampler_indices", _sampler_cutting_with_a_negative_slice),
        ("accumulation_step", _accumulation_with(loss=_cross_entropy)),
    ]}
    assert named == {"shard_gradient": "accumulator with w's dtype",
                     "sampler_indices": "drop_last cuts with [:-(n % W)]",
                     "accumulation_step": "loss function of its own"}


def _accumulator_of_three(grad_fn, w, X, y, k):
    total = np.zeros(3)                                      # the size of the lesson's w_now
    for a, b in _shards_of(X, y, k):
        total += len(a) * grad_fn(w, a, b)
    return total / len(X)


def _accumulator_like_a_row_of_x(grad_fn, w, X, y, k):
    total = np.zeros_like(X[0])
    for a, b in _shards_of(X, y, k):
        total += len(a) * grad_fn(w, a, b)
    return total / len(X)


def _ring_step_needing_a_chunk_axis(buffers, step):
    if buffers.ndim < 3 or buffers.shape[0] < 2 or buffers.shape[1] != buffers.shape[0]:
        raise ValueError("buffers must have shape (k, k, chunk_size)")
    return _ring_step_without_a_shape_check(buffers, step)


def _ring_step_allowing_more_chunks(buffers, step):
    if buffers.ndim < 2 or buffers.shape[0] < 2 or buffers.shape[1] < buffers.shape[0]:
        raise ValueError("every worker needs k chunks")
    return _ring_step_without_a_shape_check(buffers, step)


def _sampler_with(drop_last_cut, size=len):
    """A sampler right without drop_last; with it, the order is cut to ``drop_last_cut(n, W)`` examples.
    ``size(order)`` is how it counts the order."""
    def sampler(order, num_replicas, rank, drop_last=False):
        if not 0 <= rank < num_replicas:
            raise ValueError("need 0 <= rank < num_replicas")
        n = size(order)
        total = drop_last_cut(n, num_replicas) if drop_last else -(-n // num_replicas) * num_replicas
        return np.resize(np.asarray(order), total)[rank::num_replicas]
    return sampler




def _accumulation_rejecting_zero_only(model, loss_fn, optimizer, x, y, micro_batches):
    import torch

    if micro_batches == 0 or micro_batches > len(x):       # -1 reaches tensor_split, which raises RuntimeError
        raise ValueError("micro_batches must be between 1 and len(x)")
    optimizer.zero_grad()
    total = 0.0
    for xb, yb in zip(torch.tensor_split(x, micro_batches), torch.tensor_split(y, micro_batches)):
        piece = loss_fn(model(xb), yb) * len(xb) / len(x)
        piece.backward()
        total += piece.item()
    optimizer.step()
    return total


def _accumulation_with_a_fresh_optimizer(model, loss_fn, optimizer, x, y, micro_batches):
    settings = {key: value for key, value in optimizer.param_groups[0].items() if key != "params"}
    fresh = type(optimizer)(model.parameters(), **settings)       # the same settings, none of the state
    return _accumulation_with()(model, loss_fn, fresh, x, y, micro_batches)


_FITTED_TO_ONE_SHAPE = [
    ("shard_gradient", _shard_gradient_by(_accumulator_of_three), "4 features"),
    ("shard_gradient", _shard_gradient_by(_accumulator_like_a_row_of_x), "integer features X"),
    ("ring_step", _ring_step_needing_a_chunk_axis, r"shape \(3, 3\)"),
    ("ring_step", _ring_step_allowing_more_chunks, "2 workers but 3 chunks"),
    ("sampler_indices", _sampler_with(lambda n, W: n // W * W, size=lambda order: order.size), "Python list"),
    ("sampler_indices", _sampler_with(lambda n, W: n - (-n) % W), "cut to 9"),
    ("sampler_indices", _sampler_with(lambda n, W: (int((n - W) / W) + 1) * W), "nothing is left"),
    ("accumulation_step", _accumulation_rejecting_zero_only, "negative number of micro-batches"),
    ("accumulation_step", _accumulation_with_a_fresh_optimizer, "momentum buffers"),
    ("accumulation_step", catalogued("accumulation_step", "loss returned with its graph"), "still requires grad"),
]


@pytest.mark.parametrize("name, answer, reason", _FITTED_TO_ONE_SHAPE,
                         ids=["shard accumulator np.zeros(3)", "shard accumulator like X[0]", "ring needs a chunk axis",
                              "ring allows more chunks", "sampler order.size", "sampler drop_last cuts the padding",
                              "sampler drop_last int() rounds up", "accumulation negative micro_batches",
                              "accumulation fresh copy of the optimizer", "accumulation returns the graph"])
def test_lesson_08_rejects_answers_fitted_to_the_shapes_and_settings_the_check_used(name, answer, reason):
    with pytest.raises(ExerciseFailed, match=reason):
        check(name, answer, strict=True)


def test_lesson_08_names_the_mistakes_of_other_shapes_and_settings():
    named = [judge(registry.get_exercise(name), answer).mistake for name, answer, _ in _FITTED_TO_ONE_SHAPE[:-1]]
    assert named == ["accumulator of three entries", "accumulator like a row of X", "chunk axis required",
                     "more chunks than workers allowed", "order assumed to be an array",
                     "drop_last cuts the padding's length", "drop_last keeps a round it cannot fill",
                     "only zero micro-batches rejected", "fresh copy of the optimizer"]
    # the last one was named "optimizer of its own" (its weights differ first on the case with momentum) until the
    # check compared the optimizer's state too: on the Adam case its weights are right, the caller's Adam is left empty


def _accumulator_typed_like_y(grad_fn, w, X, y, k):
    total = np.zeros(np.shape(w), dtype=np.asarray(y).dtype)
    for a, b in _shards_of(X, y, k):
        total += len(a) * grad_fn(w, a, b)
    return total / len(X)


def _squeezed_shard_gradients(grad_fn, w, X, y, k):
    return sum(len(a) * np.squeeze(grad_fn(w, a, b)) for a, b in _shards_of(X, y, k)) / len(X)


def _sampler_with_a_keyword_only_drop_last(order, num_replicas, rank, *, drop_last=False):
    return _sampler_with(lambda n, W: n // W * W)(order, num_replicas, rank, drop_last)


def _accumulation_renamed(model, loss_fn, optimizer, x, y, pieces):
    return _accumulation_with()(model, loss_fn, optimizer, x, y, pieces)


_sampler_with_a_keyword_only_drop_last.__qualname__ = "sampler_indices"   # as the learner's function is called
_accumulation_renamed.__qualname__ = "accumulation_step"


_FITTED_TO_THE_HAND_PICKED_CASES = [   # the generated inputs vary what every hand-picked one shared
    ("shard_gradient", _shard_gradient_by(_accumulator_typed_like_y), "the dtype of y"),
    ("shard_gradient", _shard_gradient_by(_squeezed_shard_gradients), "np.squeeze"),
    ("sampler_indices", _sampler_with_a_keyword_only_drop_last, "fourth positional argument"),
    ("accumulation_step", _accumulation_with(before=lambda model, loss_fn, x: (model, loss_fn, x.float())),
     r"without x\.float\(\)"),
    ("accumulation_step", lambda model, loss_fn, optimizer, x, y, micro_batches: _accumulation_with()(
        model, loss_fn, optimizer, x, y.long(), micro_batches), r"without y\.long\(\)"),
    ("accumulation_step", _accumulation_renamed, "Keep the parameter names"),
]


@pytest.mark.parametrize("name, answer, reason", _FITTED_TO_THE_HAND_PICKED_CASES,
                         ids=["shard accumulator like y", "shard squeezed gradients", "sampler keyword-only drop_last",
                              "accumulation x.float()", "accumulation y.long()", "accumulation micro_batches renamed"])
def test_lesson_08_rejects_answers_fitted_to_the_hand_picked_inputs_and_names_the_mistake(name, answer, reason):
    with pytest.raises(ExerciseFailed, match=reason):
        check(name, answer, strict=True)


def _accumulation_cut_by(cut, zero_grad=lambda model, optimizer: optimizer.zero_grad()):
    """Accumulation with the check and the scaling right, but pieces cut by ``cut(x, micro_batches)`` and the
    gradients zeroed by ``zero_grad(model, optimizer)``."""
    def step(model, loss_fn, optimizer, x, y, micro_batches):
        if not 1 <= micro_batches <= len(x):
            raise ValueError("micro_batches must be between 1 and len(x)")
        zero_grad(model, optimizer)
        total = 0.0
        for xb, yb in zip(cut(x, micro_batches), cut(y, micro_batches)):
            piece = loss_fn(model(xb), yb) * len(xb) / len(x)
            piece.backward()
            total += piece.item()
        optimizer.step()
        return total
    return step


def _accumulation_in_eval_mode_then_back(model, loss_fn, optimizer, x, y, micro_batches):
    model.eval()
    total = _accumulation_with()(model, loss_fn, optimizer, x, y, micro_batches)
    model.train()
    return total


_RIGHT_ONLY_ON_THE_CHECKED_MODEL = [   # stale gradients, no dropout, and pieces counted only by their largest
    (_accumulation_cut_by(lambda t, m: t.tensor_split(m), zero_grad=lambda model, optimizer: [
        p.grad.zero_() for p in model.parameters()]), "gradients zeroed by hand", "handles both"),   # None: fresh
    (_accumulation_cut_by(lambda t, m: t.chunk(m)), "pieces from torch.chunk", "fewer or other pieces"),
    (_accumulation_cut_by(lambda t, m: t.split(len(t) // m)), "pieces of len(x) // micro_batches",
     "more pieces than micro_batches"),
    (_accumulation_in_eval_mode_then_back, "forward in eval mode", "forward pass in eval mode"),
]


@pytest.mark.parametrize("answer, mistake, reason", _RIGHT_ONLY_ON_THE_CHECKED_MODEL,
                         ids=["p.grad.zero_()", "torch.chunk", "torch.split(x, len(x) // m)", "eval, then train"])
def test_lesson_08_rejects_accumulation_that_fails_on_a_fresh_model_or_cuts_other_pieces(answer, mistake, reason):
    with pytest.raises(ExerciseFailed, match=reason):
        check("accumulation_step", answer, strict=True)
    if mistake != "forward in eval mode":                # catalogued without a message: the check's own says it
        assert judge(registry.get_exercise("accumulation_step"), answer).mistake == mistake


def test_lesson_08_accepts_sampler_indices_as_a_list_even_when_a_rank_gets_none():
    def as_list(order, num_replicas, rank, drop_last=False):
        if not 0 <= rank < num_replicas:
            raise ValueError("need 0 <= rank < num_replicas")
        order = list(order)
        total = (len(order) // num_replicas if drop_last else -(-len(order) // num_replicas)) * num_replicas
        return [order[i % len(order)] for i in range(total)][rank::num_replicas]
    check("sampler_indices", as_list, strict=True)


def _accumulator_per_feature(grad_fn, w, X, y, k):
    total = np.zeros(X.shape[1])                           # w may have one entry more (a bias)
    for a, b in _shards_of(X, y, k):
        total += len(a) * grad_fn(w, a, b)
    return total / len(X)


def _accumulation_through_forward(pieces_at_once=False, eval_mode=False, whole_batch=False, retain_graph=False):
    """Accumulation that calls model.forward(xb) (which skips the Sequential's own hooks, not its layers'), on the
    whole batch, or keeping every piece's graph until one backward, or in eval mode; or model(xb) with
    backward(retain_graph=True)."""
    def step(model, loss_fn, optimizer, x, y, micro_batches):
        import torch

        if not 1 <= micro_batches <= len(x):
            raise ValueError("micro_batches must be between 1 and len(x)")
        optimizer.zero_grad()
        if eval_mode:
            model.eval()
        pieces = [(x, y)] if whole_batch else zip(torch.tensor_split(x, micro_batches),
                                                  torch.tensor_split(y, micro_batches))
        losses, total = [], 0.0
        for xb, yb in pieces:
            loss = loss_fn(model(xb) if retain_graph else model.forward(xb), yb) * len(xb) / len(x)
            total += loss.item()
            if pieces_at_once:
                losses.append(loss)
            else:
                loss.backward(retain_graph=retain_graph)
        if pieces_at_once:
            sum(losses).backward()
        model.train()
        optimizer.step()
        return total
    return step


_RIGHT_ONLY_WHILE_W_MATCHES_X_OR_HOOKS_SEE_THE_MODEL = [
    ("shard_gradient", _shard_gradient_by(_accumulator_per_feature), "accumulator with one entry per feature",
     r"np\.zeros\(np\.shape\(w\)\)"),
    ("accumulation_step", _accumulation_through_forward(whole_batch=True), "whole batch at once", "examples at once"),
    ("accumulation_step", _accumulation_through_forward(pieces_at_once=True), "one backward for all pieces",
     "kept at once"),
    ("accumulation_step", _accumulation_through_forward(eval_mode=True), "", "forward pass in eval mode"),
    ("accumulation_step", _accumulation_through_forward(retain_graph=True), "graphs retained", "retain_graph"),
]


@pytest.mark.parametrize("name, answer, mistake, reason", _RIGHT_ONLY_WHILE_W_MATCHES_X_OR_HOOKS_SEE_THE_MODEL,
                         ids=["shard np.zeros(X.shape[1])", "model.forward(x) whole batch",
                              "model.forward, one backward", "model.forward in eval mode", "retain_graph=True"])
def test_lesson_08_rejects_a_gradient_shaped_like_x_and_work_hidden_from_the_models_own_hooks(name, answer, mistake,
                                                                                             reason):
    with pytest.raises(ExerciseFailed, match=reason):
        check(name, answer, strict=True)
    if mistake:
        assert judge(registry.get_exercise(name), answer).mistake == mistake


@pytest.mark.wide   # a whole accumulation check: seconds
def test_lesson_08_refuses_accumulation_that_runs_a_second_forward_pass_for_the_loss_it_returns():
    """Ruled right before round 20; reversed there (r208 F1): on the case whose model has BatchNorm, the second pass in
    train mode updates running_mean and running_var once more per piece, so the model after the step differs from one
    step on the whole batch, though its weights do not."""
    def twice(model, loss_fn, optimizer, x, y, micro_batches):
        import torch

        if not 1 <= micro_batches <= len(x):
            raise ValueError("micro_batches must be between 1 and len(x)")
        optimizer.zero_grad()
        total = 0.0
        for xb, yb in zip(torch.tensor_split(x, micro_batches), torch.tensor_split(y, micro_batches)):
            (loss_fn(model(xb), yb) * len(xb) / len(x)).backward()
            total += loss_fn(model(xb), yb).item() * len(xb) / len(x)   # its graph is dropped at once
        optimizer.step()
        return total
    with pytest.raises(ExerciseFailed, match="running_mean"):
        check("accumulation_step", twice, strict=True)


def _accumulation_clipping_the_gradients(model, loss_fn, optimizer, x, y, micro_batches):
    import torch

    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    optimizer.zero_grad()
    total = 0.0
    for xb, yb in zip(torch.tensor_split(x, micro_batches), torch.tensor_split(y, micro_batches)):
        loss = loss_fn(model(xb), yb) * len(xb) / len(x)
        loss.backward()
        total += loss.item()
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)   # a no-op while the norm stays below 1
    optimizer.step()
    return total


def _ring_step_through_a_reshaped_view(buffers, step):
    if buffers.ndim < 2 or buffers.shape[0] < 2 or buffers.shape[1] != buffers.shape[0]:
        raise ValueError("buffers must have shape (k, k, ...) with k >= 2")
    k = buffers.shape[0]
    new = buffers.astype(float)                            # keeps a Fortran-order layout
    flat = new.reshape(k, k, -1)                           # a view of a C-order array only, else a copy
    for i in range(k):
        flat[(i + 1) % k, (i - step) % k] += buffers[i, (i - step) % k].reshape(-1)
    return new


_RIGHT_ONLY_ON_AN_ARRAY_ORDER_OR_FOR_ONE_CALL = [   # no range order, gradients of norm below 1, and nothing looked at
    # what stays on x or the model
    ("sampler_indices", _sampler_with(lambda n, W: n // W * W, size=lambda order: len(order.copy())),
     "order copied with order.copy()", r"range\(10\)"),
    ("accumulation_step", catalogued("accumulation_step", "hooks left on the model"), "hooks left on the model",
     "register_hook"),
    ("accumulation_step", _accumulation_then(lambda model, x: x.requires_grad_(True)), "x set to require grad",
     "changed x or y"),
    ("accumulation_step", _accumulation_clipping_the_gradients, "gradients clipped", "clip_grad_norm_"),
    ("ring_step", _ring_step_through_a_reshaped_view, "", "Fortran order"),
]


@pytest.mark.parametrize("name, answer, mistake, reason", _RIGHT_ONLY_ON_AN_ARRAY_ORDER_OR_FOR_ONE_CALL,
                         ids=["sampler order.copy()", "accumulation hooks left", "accumulation x.requires_grad_()",
                              "accumulation clip_grad_norm_", "ring through a reshaped view"])
def test_lesson_08_rejects_a_range_copied_by_a_method_a_step_that_clips_or_leaves_hooks_or_requires_grad(name, answer,
                                                                                                      mistake, reason):
    with pytest.raises(ExerciseFailed, match=reason):
        check(name, answer, strict=True)
    assert judge(registry.get_exercise(name), answer).mistake == mistake      # "": not catalogued (contrived)


def _shard_gradient_weighting(combine):
    """A shard_gradient that gets the shard gradients and their sizes right, then combines them with ``combine``."""
    def shard_gradient(grad_fn, w, X, y, k):
        if not 1 <= k <= len(X):
            raise ValueError("k must be between 1 and len(X)")
        shards = list(zip(np.array_split(X, k), np.array_split(y, k)))
        sizes = np.array([len(X_j) for X_j, y_j in shards])
        return combine(sizes, [grad_fn(w, X_j, y_j) for X_j, y_j in shards], X, y)
    return shard_gradient


def _sampler_tiling(order, num_replicas, rank, drop_last=False):
    if not 0 <= rank < num_replicas:
        raise ValueError("need 0 <= rank < num_replicas")
    order = np.asarray(order)
    total = (len(order) // num_replicas if drop_last else -(-len(order) // num_replicas)) * num_replicas
    return np.tile(order, -(-total // len(order)))[:total][rank::num_replicas]


_RIGHT_ONLY_FOR_A_VECTOR_W_OR_A_NON_EMPTY_ORDER = [   # w and y were always 1-D, the order never empty
    ("shard_gradient", _shard_gradient_weighting(lambda sizes, grads, X, y: sizes @ np.array(grads) / len(X)),
     "sizes @ gradients", "tensordot"),
    ("shard_gradient", _shard_gradient_weighting(lambda sizes, grads, X, y: np.dot(sizes, grads) / len(X)),
     "", "(?s)not aligned.*a model with 2 outputs"),     # numpy's own error names the shapes
    ("shard_gradient", _shard_gradient_weighting(lambda sizes, grads, X, y: sum(map(np.multiply, sizes, grads))
                                                 / y.size),
     "divided by y.size", r"len\(X\)"),
    ("sampler_indices", _sampler_tiling, "order tiled ceil(total / n) times", "empty order"),
]


@pytest.mark.parametrize("name, answer, mistake, reason", _RIGHT_ONLY_FOR_A_VECTOR_W_OR_A_NON_EMPTY_ORDER,
                         ids=["shard sizes @ gradients", "shard np.dot(sizes, gradients)", "shard / y.size",
                              "sampler np.tile"])
def test_lesson_08_rejects_a_weighted_sum_over_the_wrong_axis_of_a_matrix_w_and_an_order_tiled_by_its_length(
        name, answer, mistake, reason):
    with pytest.raises(ExerciseFailed, match=reason):
        check(name, answer, strict=True)
    if mistake:
        assert judge(registry.get_exercise(name), answer).mistake == mistake


def _ring_step_rejecting_one_worker_only(buffers, step):
    buffers = np.asarray(buffers)
    if buffers.ndim < 2 or buffers.shape[0] == 1 or buffers.shape[1] != buffers.shape[0]:
        raise ValueError("a ring needs more than one worker")
    new, k = buffers.astype(float), buffers.shape[0]
    for i in range(k):
        new[(i + 1) % k, (i - step) % k] += buffers[i, (i - step) % k]
    return new


def _ring_step_with_its_step_renamed(buffers, s):
    buffers = np.asarray(buffers)
    if buffers.ndim < 2 or buffers.shape[0] < 2 or buffers.shape[1] != buffers.shape[0]:
        raise ValueError("buffers must have shape (k, k, ...) with k >= 2")
    return _ring_step_rejecting_one_worker_only(buffers, s)


_ring_step_with_its_step_renamed.__qualname__ = "ring_step"   # as the learner's is: the TypeError names it


def _sampler_checking_the_rank_after_dividing(order, num_replicas, rank, drop_last=False):
    order = np.asarray(order)
    total = (len(order) // num_replicas if drop_last else -(-len(order) // num_replicas)) * num_replicas
    if not 0 <= rank < num_replicas:
        raise ValueError("need 0 <= rank < num_replicas")
    return np.resize(order, total)[rank::num_replicas]


def _accumulation_squeezing_the_predictions(model, loss_fn, optimizer, x, y, micro_batches):
    import torch

    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    optimizer.zero_grad()
    total = 0.0
    for xb, yb in zip(torch.tensor_split(x, micro_batches), torch.tensor_split(y, micro_batches)):
        loss = loss_fn(model(xb).squeeze(-1), yb) * len(xb) / len(x)
        loss.backward()
        total += loss.item()
    optimizer.step()
    return total


_RIGHT_ONLY_WITH_WORKERS_RANKS_AND_SEVERAL_OUTPUTS = [   # k >= 1, num_replicas >= 1, 2 to 5 outputs, step positional
    ("ring_step", _ring_step_rejecting_one_worker_only, "only one worker rejected", "no workers at all"),
    ("sampler_indices", _sampler_checking_the_rank_after_dividing, "divides before checking the rank",
     "ZeroDivisionError"),
    ("accumulation_step", _accumulation_squeezing_the_predictions, "predictions squeezed", "one output"),
    ("ring_step", _ring_step_with_its_step_renamed, "step renamed", "step=1"),
]


@pytest.mark.parametrize("name, answer, mistake, reason", _RIGHT_ONLY_WITH_WORKERS_RANKS_AND_SEVERAL_OUTPUTS,
                         ids=["ring k == 1 only", "sampler divides first", "accumulation squeeze(-1)",
                              "ring step renamed"])
def test_lesson_08_rejects_no_workers_no_ranks_and_a_one_output_model_squeezed(name, answer, mistake, reason):
    with pytest.raises(ExerciseFailed, match=reason):
        check(name, answer, strict=True)
    assert judge(registry.get_exercise(name), answer).mistake == mistake


def test_saliency_map_wants_a_copy_of_x():
    def no_copy(model, x, target):
        import torch

        x = torch.as_tensor(x, dtype=torch.float32).requires_grad_(True)
        model(x[None])[0, target].backward()
        return x.grad.abs()
    with pytest.raises(ExerciseFailed, match="old gradient"):
        check("saliency_map", no_copy, strict=True)


def _integrated_gradients_keeping_integers(model, x, target, baseline, steps):
    import torch

    if steps < 1:
        raise ValueError("steps must be at least 1")

    def as_tensor(values):                                   # float64 converted, whole numbers kept
        values = torch.as_tensor(values)
        return values.float() if values.dtype == torch.float64 else values
    x = as_tensor(x)
    baseline = torch.zeros_like(x) if baseline is None else as_tensor(baseline)
    difference = x - baseline                                # two uint8 images: 100 - 128 wraps round to 228
    alphas = ((torch.arange(steps) + 0.5) / steps).reshape(-1, *[1] * x.ndim)
    points = (baseline + alphas * difference).requires_grad_(True)
    model(points)[:, target].sum().backward()
    return difference * points.grad.mean(dim=0)


def _explanation_then(name, after):
    """The course's own explanation (saliency or integrated gradients), then ``after(model)``. (Round 18: through
    the exercise's reference, since an answer that calls attribution.saliency itself is now refused first.)"""
    reference = reference_copy(name)

    def saliency_map(model, x, target):
        result = reference(model, x, target)
        after(model)
        return result

    def integrated_gradients(model, x, target, baseline, steps):
        result = reference(model, x, target, baseline, steps)
        after(model)
        return result
    return saliency_map if name == "saliency_map" else integrated_gradients


def _accumulation_and_then(after):
    def accumulation_step(model, loss_fn, optimizer, x, y, micro_batches):
        import torch

        if not 1 <= micro_batches <= len(x):
            raise ValueError("micro_batches must be between 1 and len(x)")
        optimizer.zero_grad()
        total = 0.0
        for xb, yb in zip(torch.tensor_split(x, micro_batches), torch.tensor_split(y, micro_batches)):
            loss = loss_fn(model(xb), yb) * len(xb) / len(x)
            loss.backward()
            total += loss.item()
        optimizer.step()
        after(model, optimizer)
        return total
    return accumulation_step


def _accumulation_after(before):
    """A right accumulation step after ``before(model, optimizer)``."""
    def accumulation_step(model, loss_fn, optimizer, x, y, micro_batches):
        before(model, optimizer)                             # "make sure gradients are on": unfreezes frozen layers
        return _accumulation_and_then(lambda model, optimizer: None)(model, loss_fn, optimizer, x, y, micro_batches)
    return accumulation_step


def _reseed(*_):
    import torch

    torch.manual_seed(0)                                     # "for reproducibility", inside the function


def _record_outputs(model, *_):
    outputs = []
    model.register_forward_hook(lambda module, inputs, output: outputs.append(output))   # never removed


_LEFT_BEHIND = [
    ("integrated_gradients", _integrated_gradients_keeping_integers, "wrap round below 0", "integers kept"),
    ("saliency_map", _explanation_then("saliency_map", _record_outputs), "left a hook on the model", ""),
    ("integrated_gradients", _explanation_then("integrated_gradients", _record_outputs), "left a hook on the model",
     ""),
    ("saliency_map", _explanation_then("saliency_map", _reseed), "global random generator", ""),
    ("integrated_gradients", _explanation_then("integrated_gradients", _reseed), "global random generator", ""),
    ("accumulation_step", _accumulation_and_then(lambda model, optimizer: optimizer.state.clear()),
     "optimizer's state", "fresh copy of the optimizer"),       # its message names both ways of losing the state
    ("accumulation_step", _accumulation_and_then(_reseed), "global random generator", ""),
    ("accumulation_step", _accumulation_and_then(_record_outputs), "left a hook on the caller's model", ""),
    ("accumulation_step", _accumulation_after(lambda model, optimizer: model.requires_grad_(True)),
     "switched requires_grad on", ""),
]


@pytest.mark.parametrize("name, answer, reason, mistake", _LEFT_BEHIND,
                         ids=["integrated gradients of two uint8 images", "saliency hook left",
                              "integrated gradients hook left", "saliency reseeds torch",
                              "integrated gradients reseeds torch", "accumulation clears the optimizer's state",
                              "accumulation reseeds torch", "accumulation hook left", "accumulation unfreezes"])
def test_lessons_07a_and_08b_reject_wrapped_uint8_hooks_reseeding_and_a_cleared_optimizer_state(name, answer, reason,
                                                                                               mistake):
    import torch

    state = torch.random.get_rng_state()
    with pytest.raises(ExerciseFailed, match=reason):
        check(name, answer, strict=True)
    assert judge(registry.get_exercise(name), answer).mistake == mistake
    assert torch.equal(torch.random.get_rng_state(), state)   # the check put the notebook's generator back


def _saliency_with_a_hook_removed(model, x, target):
    import torch

    scores = []
    handle = model.register_forward_hook(lambda module, inputs, output: scores.append(output[0, target]))
    try:
        x = torch.as_tensor(x, dtype=torch.float32).clone().requires_grad_(True)
        model(x[None])
    finally:
        handle.remove()
    scores[0].backward()
    return x.grad.abs()


def _saliency_from_the_jacobian(model, x, target):
    import torch

    x = torch.as_tensor(x, dtype=torch.float32).clone()
    return torch.autograd.functional.jacobian(lambda z: model(z[None])[0], x)[target].abs()


def _integrated_gradients_in_a_numpy_loop(model, x, target, baseline, steps):
    import torch

    if steps < 1:
        raise ValueError("steps must be at least 1")
    x = np.asarray(x, dtype=np.float32)
    baseline = np.zeros_like(x) if baseline is None else np.asarray(baseline, dtype=np.float32)
    total = np.zeros_like(x)
    for k in range(steps):
        point = torch.tensor(baseline + (k + 0.5) / steps * (x - baseline), requires_grad=True)
        (grad,) = torch.autograd.grad(model(point[None])[0, target], point)
        total += grad.numpy()
    return (x - baseline) * total / steps


def _integrated_gradients_with_linspace(model, x, target, baseline, steps):
    import torch

    if steps < 1:
        raise ValueError("steps must be at least 1")
    x = torch.as_tensor(x, dtype=torch.float32)
    baseline = torch.zeros_like(x) if baseline is None else torch.as_tensor(baseline, dtype=torch.float32)
    alphas = torch.linspace(0.5 / steps, 1 - 0.5 / steps, steps).reshape(-1, *[1] * x.ndim)   # the midpoints
    points = (baseline + alphas * (x - baseline)).requires_grad_(True)
    model(points)[:, target].mean().backward()               # the mean: each row's gradient / steps
    return (x - baseline) * points.grad.sum(dim=0)


def _accumulation_zeroing_the_model_with_index_pieces(model, loss_fn, optimizer, x, y, micro_batches):
    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    model.zero_grad()                                        # the optimizer holds the model's weights: the same
    total = 0.0
    for rows in np.array_split(np.arange(len(x)), micro_batches):
        loss = loss_fn(model(x[rows]), y[rows])
        (loss * len(rows) / len(x)).backward()
        total += loss.item() * len(rows) / len(x)
    optimizer.step()
    for p in model.parameters():
        p.grad = None                                        # frees the gradients' memory afterwards
    return total


def _accumulation_zeroing_in_place(model, loss_fn, optimizer, x, y, micro_batches):
    import torch

    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    optimizer.zero_grad(set_to_none=False)                   # zeros in place; a frozen weight's None stays None
    total = 0.0
    for xb, yb in zip(torch.tensor_split(x, micro_batches), torch.tensor_split(y, micro_batches)):
        loss = loss_fn(model(xb), yb) * len(xb) / len(x)
        loss.backward()
        total += loss.item()
    optimizer.step()
    return total


def _shard_gradient_by_np_average(grad_fn, w, X, y, k):
    if not 1 <= k <= len(X):
        raise ValueError("k must be between 1 and len(X)")
    shards = list(zip(np.array_split(X, k), np.array_split(y, k)))
    return np.average([grad_fn(w, X_j, y_j) for X_j, y_j in shards], axis=0, weights=[len(X_j) for X_j, _ in shards])


def _sampler_padding_with_np_pad(order, num_replicas, rank, drop_last=False):
    if num_replicas < 1 or not 0 <= rank < num_replicas:
        raise ValueError("need 0 <= rank < num_replicas")
    order = np.asarray(order, dtype=np.int64)
    n = len(order)
    if drop_last:
        order = order[:n - n % num_replicas]
    elif n:
        order = np.pad(order, (0, -n % num_replicas), mode="wrap")   # repeats the start, several times if need be
    return order[rank::num_replicas]


def _ring_step_vectorized(buffers, step):
    buffers = np.asarray(buffers)
    if buffers.ndim < 2 or buffers.shape[0] < 2 or buffers.shape[1] != buffers.shape[0]:
        raise ValueError("buffers must have shape (k, k, ...) with k >= 2")
    k = len(buffers)
    workers = np.arange(k)
    chunks = (workers - step) % k
    new = buffers.astype(float)
    new[(workers + 1) % k, chunks] += buffers[workers, chunks]   # no receiver twice: += of fancy indices is exact
    return new


@pytest.mark.parametrize("name, answer", [
    ("saliency_map", _saliency_with_a_hook_removed), ("saliency_map", _saliency_from_the_jacobian),
    ("integrated_gradients", _integrated_gradients_in_a_numpy_loop),
    ("integrated_gradients", _integrated_gradients_with_linspace),
    ("accumulation_step", _accumulation_zeroing_the_model_with_index_pieces),
    ("accumulation_step", _accumulation_zeroing_in_place),
    ("shard_gradient", _shard_gradient_by_np_average), ("sampler_indices", _sampler_padding_with_np_pad),
    ("ring_step", _ring_step_vectorized)],
    ids=["saliency hook removed", "saliency jacobian", "integrated gradients numpy loop",
         "integrated gradients linspace and mean", "accumulation model.zero_grad and index pieces",
         "accumulation zero_grad(set_to_none=False)",
         "shard np.average", "sampler np.pad wrap", "ring vectorized"])
def test_lessons_07a_and_08_accept_right_answers_written_another_way(name, answer):
    _passes(name, answer)


# round 11 (a1107): a background with a repeated row; exact Shapley values and occlusion maps written other ways
def _shapley_over(rows_of):
    """The enumeration of the exercise, over the background rows ``rows_of(background)``."""
    import itertools
    from math import factorial

    def exact_shapley_values(predict, x, background):
        x, background = np.asarray(x, dtype=float), np.atleast_2d(np.asarray(background, dtype=float))
        if background.shape[1] != len(x):
            raise ValueError("background must have one column per feature")
        background, n = rows_of(background), len(x)

        def v(S):
            rows = background.copy()
            rows[:, list(S)] = x[list(S)]
            return np.mean(predict(rows))
        phi = np.zeros(n)
        for i in range(n):
            for size in range(n):
                for S in itertools.combinations([j for j in range(n) if j != i], size):
                    phi[i] += factorial(size) * factorial(n - size - 1) / factorial(n) * (v(S + (i,)) - v(S))
        return phi
    return exact_shapley_values


def test_lesson_07b_shapley_values_count_a_repeated_background_row_twice():
    """Passed: no background held the same row twice, so dropping repeated rows ("they add nothing") changed no
    mean."""
    with pytest.raises(ExerciseFailed, match="first row comes twice"):
        check("exact_shapley_values", _shapley_over(lambda background: np.unique(background, axis=0)), strict=True)


def _shapley_by_orders(predict, x, background):
    """The average of each feature's contribution over all n! orders in which the features join."""
    import itertools

    x, background = np.asarray(x, dtype=float), np.atleast_2d(np.asarray(background, dtype=float))
    if background.shape[1] != len(x):
        raise ValueError("background must have one column per feature")
    orders = list(itertools.permutations(range(len(x))))
    phi = np.zeros(len(x))
    for order in orders:
        rows = background.copy()
        before = np.mean(predict(rows))
        for i in order:
            rows[:, i] = x[i]
            after = np.mean(predict(rows))
            phi[i], before = phi[i] + after - before, after
    return phi / len(orders)


def _shapley_in_one_batch(predict, x, background):
    """Every coalition's rows in one call of predict, then the weighted differences."""
    import itertools
    from math import comb

    x, background = np.asarray(x, dtype=float), np.atleast_2d(np.asarray(background, dtype=float))
    if background.shape[1] != len(x):
        raise ValueError("background must have one column per feature")
    n, k = len(x), len(background)
    masks = np.array(list(itertools.product([False, True], repeat=n)))
    values = predict(np.where(masks[:, None, :], x, background).reshape(-1, n)).reshape(len(masks), k).mean(axis=1)
    value = {tuple(mask): v for mask, v in zip(masks, values)}
    phi = np.zeros(n)
    for mask in masks:
        for i in np.flatnonzero(~mask):
            joined = mask.copy()
            joined[i] = True
            phi[i] += (value[tuple(joined)] - value[tuple(mask)]) / (n * comb(n - 1, int(mask.sum())))
    return phi


@pytest.mark.parametrize("answer", [_shapley_by_orders, _shapley_in_one_batch, _shapley_over(lambda b: b)],
                         ids=["all orders", "one batch, 1/(n C(n-1, s))", "combinations"])
def test_lesson_07b_exact_shapley_values_written_other_ways_pass(answer):
    _passes("exact_shapley_values", answer)


def _occlusion_pixel_by_pixel(predict, image, patch, stride, fill):
    """For each pixel, the mean drop of the windows whose corner lies on the grid and that cover it."""
    image = np.asarray(image, dtype=float)
    if patch > min(image.shape):
        raise ValueError("the patch is larger than the image")
    height, width = image.shape
    original, result = predict(image[None])[0], np.zeros_like(image)
    for r in range(height):
        for c in range(width):
            drops = []
            for i in range(0, r + 1, stride):
                for j in range(0, c + 1, stride):
                    if r < i + patch and c < j + patch and i + patch <= height and j + patch <= width:
                        covered = image.copy()
                        covered[i:i + patch, j:j + patch] = fill
                        drops.append(original - predict(covered[None])[0])
            result[r, c] = np.mean(drops) if drops else 0.0
    return result


def _occlusion_covering_and_restoring(predict, image, patch, stride, fill):
    """Covers one float copy window by window and puts the pixels back after each prediction."""
    work = np.array(image, dtype=float)
    if patch > min(work.shape):
        raise ValueError("the patch is larger than the image")
    total, count, original = np.zeros(work.shape), np.zeros(work.shape), predict(work[None])[0]
    for i in range(0, work.shape[0] - patch + 1, stride):
        for j in range(0, work.shape[1] - patch + 1, stride):
            saved = work[i:i + patch, j:j + patch].copy()
            work[i:i + patch, j:j + patch] = fill
            total[i:i + patch, j:j + patch] += original - predict(work[None])[0]
            count[i:i + patch, j:j + patch] += 1
            work[i:i + patch, j:j + patch] = saved
    return total / np.maximum(count, 1)


@pytest.mark.parametrize("answer", [_occlusion_pixel_by_pixel, _occlusion_covering_and_restoring],
                         ids=["pixel by pixel", "cover and restore, total / max(count, 1)"])
def test_lesson_07b_occlusion_maps_written_other_ways_pass(answer):
    _passes("occlusion_map", answer)



# round 12 (a1208): numpy's and Python's global random generators, and an optimizer with two parameter groups
def _seeding_numpy(name):
    """The reference, after np.random.seed(0) "for reproducibility"."""
    reference = reference_copy(name)

    def answer(*args, **kwargs):
        np.random.seed(0)
        return reference(*args, **kwargs)
    return answer


def _accumulation_seeding_python(model, loss_fn, optimizer, x, y, micro_batches):
    import random

    _accumulation_step = reference_copy("accumulation_step")

    random.seed(0)
    return _accumulation_step(model, loss_fn, optimizer, x, y, micro_batches)


def _accumulation_on_a_numpy_shuffle(model, loss_fn, optimizer, x, y, micro_batches):
    """The same step on the batch in another order (the same sum of gradients), shuffled with numpy's global rng."""
    import torch

    _accumulation_step = reference_copy("accumulation_step")

    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    order = torch.from_numpy(np.random.permutation(len(x)))
    return _accumulation_step(model, loss_fn, optimizer, x[order], y[order], micro_batches)


def _accumulation_zeroing_the_first_group(model, loss_fn, optimizer, x, y, micro_batches):
    import torch

    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    for p in optimizer.param_groups[0]["params"]:     # the first parameter group only
        p.grad = None
    total = 0.0
    for xb, yb in zip(torch.tensor_split(x, micro_batches), torch.tensor_split(y, micro_batches)):
        loss = loss_fn(model(xb), yb) * len(xb) / len(x)
        loss.backward()
        total += loss.item()
    optimizer.step()
    return total


_GLOBAL_RANDOM = [(name, _seeding_numpy(name)) for name in ("saliency_map", "integrated_gradients", "shard_gradient",
                                                             "ring_step", "sampler_indices", "accumulation_step")]
_GLOBAL_RANDOM += [("accumulation_step", _accumulation_seeding_python),
                   ("accumulation_step", _accumulation_on_a_numpy_shuffle)]


@pytest.mark.parametrize("name, answer", _GLOBAL_RANDOM,
                         ids=["saliency np.random.seed", "integrated gradients np.random.seed",
                              "shard np.random.seed", "ring np.random.seed", "sampler np.random.seed",
                              "accumulation np.random.seed", "accumulation random.seed",
                              "accumulation np.random.permutation"])
def test_lessons_07a_and_08_reject_a_changed_global_random_state_and_put_it_back(name, answer):
    import random

    np.random.seed(123)
    random.seed(123)
    numpy_state, python_state = np.random.get_state(), random.getstate()
    with pytest.raises(ExerciseFailed, match="global random generator"):
        check(name, answer, strict=True)
    after = np.random.get_state()
    assert np.array_equal(after[1], numpy_state[1]) and after[2:] == numpy_state[2:]   # the check put them back
    assert random.getstate() == python_state


def test_lesson_08b_accumulation_zeroing_the_first_parameter_group_only_is_rejected():
    with pytest.raises(ExerciseFailed, match="differ from one step"):
        check("accumulation_step", _accumulation_zeroing_the_first_group, strict=True)
    assert judge(registry.get_exercise("accumulation_step"),
                 _accumulation_zeroing_the_first_group).mistake == "first parameter group only"


def _shard_gradient_for_python_ints_only(grad_fn, w, X, y, k):
    shard_gradient = reference_copy("shard_gradient")   # course_utils' own version is refused

    if not isinstance(k, int) or not 1 <= k <= len(X):     # np.int64(3) is a valid k, refused
        raise ValueError("k must be an int between 1 and len(X)")
    return shard_gradient(grad_fn, w, X, y, k)


def _ring_step_for_python_ints_only(buffers, step):
    ring_step = reference_copy("ring_step")   # course_utils' own version is refused

    buffers = np.asarray(buffers)
    if not isinstance(step, int) or buffers.ndim < 2 or buffers.shape[0] < 2:   # np.int64(1) is a valid step, refused
        raise ValueError("step must be an int, buffers of shape (k, k, ...)")
    return ring_step(buffers, step)


def _sampler_for_python_ints_only(order, num_replicas, rank, drop_last=False):
    sampler_indices = reference_copy("sampler_indices")   # course_utils' own version is refused

    if not isinstance(num_replicas, int) or not isinstance(rank, int):   # numpy integers refused
        raise ValueError("num_replicas and rank must be ints")
    return sampler_indices(order, num_replicas, rank, drop_last)


def _sampler_drop_last_is_true(order, num_replicas, rank, drop_last=False):
    sampler_indices = reference_copy("sampler_indices")   # course_utils' own version is refused

    return sampler_indices(order, num_replicas, rank, drop_last is True)   # np.True_ is not True


@pytest.mark.parametrize("name, answer", [
    ("shard_gradient", _shard_gradient_for_python_ints_only), ("ring_step", _ring_step_for_python_ints_only),
    ("sampler_indices", _sampler_for_python_ints_only), ("sampler_indices", _sampler_drop_last_is_true)],
    ids=["shard k isinstance int", "ring step isinstance int", "sampler isinstance int", "sampler drop_last is True"])
def test_lesson_08a_checks_try_numpy_integers_and_a_numpy_bool(name, answer):
    with pytest.raises(ExerciseFailed, match="numpy"):
        check(name, answer, strict=True)


def _accumulation_with_optimizer_zero_grad_at_the_end_too(model, loss_fn, optimizer, x, y, micro_batches):

    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    optimizer.zero_grad()
    sizes = [len(x) // micro_batches + (i < len(x) % micro_batches) for i in range(micro_batches)]
    total = 0.0
    for xb, yb in zip(x.split(sizes), y.split(sizes)):
        loss = loss_fn(model(xb), yb)
        (loss * len(xb) / len(x)).backward()
        total += loss.item() * len(xb) / len(x)
    optimizer.step()
    optimizer.zero_grad()           # gradients freed after the step: harmless
    return total


def _integrated_gradients_by_einsum(model, x, target, baseline, steps):
    import torch

    if steps < 1:
        raise ValueError("steps must be at least 1")
    x = torch.as_tensor(x).float()
    baseline = torch.zeros_like(x) if baseline is None else torch.as_tensor(baseline).float()
    alphas = (torch.arange(steps, dtype=torch.float32) + 0.5) / steps
    points = (baseline + torch.einsum("s,...->s...", alphas, x - baseline)).detach().requires_grad_(True)
    model(points)[:, target].sum().backward()
    return (x - baseline) * points.grad.sum(0) / steps


def _saliency_through_torch_func(model, x, target):
    import torch

    x = torch.as_tensor(x, dtype=torch.float32)
    return torch.func.grad(lambda z: model(z[None])[0, target])(x).abs().detach()


def _ring_step_reading_the_new_buffers(buffers, step):
    buffers = np.asarray(buffers)
    if buffers.ndim < 2 or buffers.shape[0] < 2 or buffers.shape[1] != buffers.shape[0]:
        raise ValueError("buffers must have shape (k, k, ...) with k >= 2")
    new, k = buffers.astype(float), len(buffers)
    for i in range(k):
        c = (i - step) % k
        new[(i + 1) % k, c] += new[i, c]   # right too: worker i sends chunk i - step, it received chunk i - 1 - step
    return new


@pytest.mark.parametrize("name, answer", [
    ("accumulation_step", _accumulation_with_optimizer_zero_grad_at_the_end_too),
    ("integrated_gradients", _integrated_gradients_by_einsum), ("saliency_map", _saliency_through_torch_func),
    ("ring_step", _ring_step_reading_the_new_buffers)],
    ids=["accumulation split by sizes, zero_grad after the step", "integrated gradients einsum",
         "saliency torch.func.grad", "ring reads the new buffers"])
def test_lessons_07a_and_08_accept_more_right_answers_written_another_way(name, answer):
    _passes(name, answer)


def _saliency_by_autograd_grad_in_numpy(model, x, target):
    import torch

    x = torch.tensor(np.asarray(x, dtype=np.float32), requires_grad=True)
    (grad,) = torch.autograd.grad(model(x.unsqueeze(0))[:, target].sum(), x)
    return grad.abs().numpy()


def _integrated_gradients_by_lerp(model, x, target, baseline, steps):
    import torch

    if steps < 1:
        raise ValueError("steps must be at least 1")
    x = torch.as_tensor(x).float()
    baseline = torch.zeros_like(x) if baseline is None else torch.as_tensor(baseline).float()
    alphas = torch.linspace(0.5 / steps, 1 - 0.5 / steps, steps).view(steps, *[1] * x.dim())
    points = torch.lerp(baseline.expand(steps, *x.shape), x.expand(steps, *x.shape), alphas)
    points = points.detach().requires_grad_(True)
    (grads,) = torch.autograd.grad(model(points)[:, target].sum(), points)
    return ((x - baseline) * grads.sum(0) / steps).numpy()


def _shard_gradient_by_np_average(grad_fn, w, X, y, k):
    if not 1 <= k <= len(X):
        raise ValueError("k must be between 1 and len(X)")
    shards = list(zip(np.array_split(X, k), np.array_split(y, k)))
    return np.average([grad_fn(w, X_j, y_j) for X_j, y_j in shards], axis=0,
                      weights=[len(X_j) for X_j, _ in shards])


def _ring_step_by_a_rolled_mask(buffers, step):
    buffers = np.asarray(buffers)
    if buffers.ndim < 2 or buffers.shape[0] < 2 or buffers.shape[1] != buffers.shape[0]:
        raise ValueError("buffers must have shape (k, k, ...) with k >= 2")
    k = len(buffers)
    sent = np.zeros((k, k) + (1,) * (buffers.ndim - 2))
    sent[np.arange(k), (np.arange(k) - step) % k] = 1      # worker i sends chunk (i - step) % k ...
    return buffers + np.roll(sent * buffers, 1, axis=0)    # ... to worker i + 1


def _sampler_indices_by_positions_modulo_n(order, num_replicas, rank, drop_last=False):
    if not 0 <= rank < num_replicas:
        raise ValueError("need 0 <= rank < num_replicas")
    order = list(order)
    n = len(order)
    total = (n // num_replicas if drop_last else -(-n // num_replicas)) * num_replicas
    return [order[position % n] for position in range(rank, total, num_replicas)]


def _accumulation_by_index_pieces(model, loss_fn, optimizer, x, y, micro_batches):
    import torch

    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    for p in model.parameters():
        p.grad = None                                      # what optimizer.zero_grad() does by default
    total = 0.0
    for rows in np.array_split(np.arange(len(x)), micro_batches):
        rows = torch.as_tensor(rows)
        share = len(rows) / len(x)
        loss = loss_fn(model(x[rows]), y[rows])
        (loss * share).backward()
        total += loss.item() * share
    optimizer.step()
    return total


@pytest.mark.parametrize("name, answer", [
    ("saliency_map", _saliency_by_autograd_grad_in_numpy), ("integrated_gradients", _integrated_gradients_by_lerp),
    ("shard_gradient", _shard_gradient_by_np_average), ("ring_step", _ring_step_by_a_rolled_mask),
    ("sampler_indices", _sampler_indices_by_positions_modulo_n),
    ("accumulation_step", _accumulation_by_index_pieces)],
    ids=["saliency autograd.grad numpy", "integrated gradients lerp", "shard np.average weights",
         "ring rolled mask", "sampler positions modulo n", "accumulation index pieces"])
def test_lessons_07a_and_08_accept_right_answers_of_round_13(name, answer):
    _passes(name, answer)


# round 14 (a1408): the caller's x.grad, hooks outside the modules' own lists, grad_fn called by keyword, shards cut
# by hand, indices beyond 16 bits and a ring step past k - 2
def _explanation_after(name, before):
    """The course's own explanation (saliency or integrated gradients) after ``before(model, x)``. (Round 18:
    through the exercise's reference, since an answer that calls attribution.saliency itself is now refused first.)"""
    reference = reference_copy(name)

    def saliency_map(model, x, target):
        before(model, x)
        return reference(model, x, target)

    def integrated_gradients(model, x, target, baseline, steps):
        before(model, x)
        return reference(model, x, target, baseline, steps)
    return saliency_map if name == "saliency_map" else integrated_gradients


def _clear_the_caller_s_grad(model, x):
    if hasattr(x, "grad"):
        x.grad = None                                         # "clear the old gradient" of the caller's own x


def _saliency_on_the_caller_s_x_flag_put_back(model, x, target):
    """No copy, but the caller's old gradient cleared and its flag switched back off: its .grad is left changed."""
    import torch

    x = torch.as_tensor(x, dtype=torch.float32)
    was, x.grad = x.requires_grad, None
    x.requires_grad_(True)
    model(x[None])[0, target].backward()
    saliency = x.grad.abs().clone()
    x.requires_grad_(was)
    return saliency


def _leave_a_global_module_hook(model, x):
    from torch import nn

    nn.modules.module.register_module_forward_hook(lambda module, inputs, output: None)   # never removed


def _leave_post_accumulate_grad_hooks(model, x):
    for p in model.parameters():
        if p.requires_grad:
            p.register_post_accumulate_grad_hook(lambda p: None)                       # never removed


_LEFT_ON_X_OR_OUTSIDE_THE_MODULES = [
    ("saliency_map", _saliency_on_the_caller_s_x_flag_put_back, r"\.grad of the caller's own tensor"),
    ("saliency_map", _explanation_after("saliency_map", _clear_the_caller_s_grad), r"\.grad of the caller's own"),
    ("integrated_gradients", _explanation_after("integrated_gradients", _clear_the_caller_s_grad),
     r"\.grad of the caller's own tensor"),
    ("saliency_map", _explanation_after("saliency_map", _leave_a_global_module_hook), "global hook on every module"),
    ("integrated_gradients", _explanation_after("integrated_gradients", _leave_a_global_module_hook),
     "global hook on every module"),
    ("saliency_map", _explanation_after("saliency_map", _leave_post_accumulate_grad_hooks), "left a hook on the model"),
    ("integrated_gradients", _explanation_after("integrated_gradients", _leave_post_accumulate_grad_hooks),
     "left a hook on the model"),
]


@pytest.mark.parametrize("name, answer, reason", _LEFT_ON_X_OR_OUTSIDE_THE_MODULES,
                         ids=["saliency no copy, flag put back", "saliency caller's grad cleared",
                              "ig caller's grad cleared", "saliency global module hook", "ig global module hook",
                              "saliency post-accumulate hooks", "ig post-accumulate hooks"])
def test_lesson_07a_rejects_a_changed_grad_on_the_caller_s_x_and_hooks_outside_the_modules_lists(name, answer,
                                                                                                 reason):
    """All passed: the caller's x was compared by its values and flag, not its .grad, and only each module's own
    hooks and each weight's backward hooks were counted. The check removes a global hook it finds."""
    from torch import nn

    with pytest.raises(ExerciseFailed, match=reason):
        check(name, answer, strict=True)
    assert not nn.modules.module._global_forward_hooks


def _shard_gradient_calling(call):
    """A right shard gradient that calls grad_fn on each shard by ``call(grad_fn, w, X_j, y_j)``."""
    def shard_gradient(grad_fn, w, X, y, k):
        if not 1 <= k <= len(X):
            raise ValueError("k must be between 1 and len(X)")
        return sum(len(X_j) * call(grad_fn, w, X_j, y_j)
                   for X_j, y_j in zip(np.array_split(X, k), np.array_split(y, k))) / len(X)
    return shard_gradient


def _shard_gradient_by_slices_with_the_rest_last(grad_fn, w, X, y, k):
    """Shards of len(X) // k examples cut by hand, the last one taking the rest (10 in 3: 3, 3, 4)."""
    if not 1 <= k <= len(X):
        raise ValueError("k must be between 1 and len(X)")
    size, total = len(X) // k, 0
    for j in range(k):
        end = (j + 1) * size if j < k - 1 else len(X)
        total = total + (end - j * size) * grad_fn(w, X[j * size:end], y[j * size:end])
    return total / len(X)


def test_lesson_08a_shard_gradient_may_call_grad_fn_by_keyword():
    """Rejected with 'noted() got an unexpected keyword argument X': the check's own wrapper of grad_fn named its
    parameters X_j, y_j, not the lesson's grad_fn(w, X, y)."""
    _passes("shard_gradient", _shard_gradient_calling(lambda grad_fn, w, X_j, y_j: grad_fn(w, X=X_j, y=y_j)))
    _passes("shard_gradient", _shard_gradient_calling(lambda grad_fn, w, X_j, y_j: grad_fn(w=w, X=X_j, y=y_j)))


def test_lesson_08a_shards_cut_by_hand_are_blamed_on_their_sizes():
    """Was told 'grad_fn was called on 3 examples at once ...: call it on each shard', which it did: its k shards
    cover the batch, only their sizes are not np.array_split's."""
    with pytest.raises(ExerciseFailed, match=r"np\.array_split\(X, k\) cuts shards of") as failed:
        check("shard_gradient", _shard_gradient_by_slices_with_the_rest_last, strict=True)
    assert "examples at once" not in str(failed.value)


@pytest.mark.parametrize("dtype", [np.int16, np.uint16])
def test_lesson_08a_sampler_indices_in_16_bits_are_rejected(dtype):
    """Passed: no order held an index above 999."""
    sampler_indices = reference_copy("sampler_indices")   # course_utils' own version is refused

    def in_16_bits(order, num_replicas, rank, drop_last=False):
        return sampler_indices(np.asarray(order).astype(dtype), num_replicas, rank, drop_last)
    with pytest.raises(ExerciseFailed, match="beyond 16 bits"):
        check("sampler_indices", in_16_bits, strict=True)


def test_lesson_08a_a_ring_step_refusing_steps_past_k_minus_2_is_told_that_steps_wrap_round():
    """The text now says that any whole step is valid; the case that uses step k - 1 says so too."""
    ring_step = reference_copy("ring_step")   # course_utils' own version is refused

    def refusing(buffers, step):
        buffers = np.asarray(buffers)
        if buffers.ndim >= 2 and not 0 <= step < buffers.shape[0] - 1:
            raise ValueError("step must be one of the k - 1 reduce-scatter steps")
        if buffers.ndim < 2 or buffers.shape[0] < 2:
            raise ValueError("buffers must have shape (k, k, ...) with k >= 2")
        return ring_step(buffers, step)
    with pytest.raises(ExerciseFailed, match=r"wraps round"):
        check("ring_step", refusing, strict=True)


def _saliency_by_a_one_hot_backward(model, x, target):
    import torch

    x = torch.as_tensor(x, dtype=torch.float32).detach().requires_grad_(True)    # detach(): a new leaf, no copy
    scores = model(x[None])
    scores.backward(torch.nn.functional.one_hot(torch.tensor([target]), scores.shape[1]).to(scores.dtype))
    return x.grad.abs()


def _saliency_with_the_weights_frozen_and_put_back(model, x, target):
    import torch

    flags = [p.requires_grad for p in model.parameters()]
    model.requires_grad_(False)                              # no gradients left in the weights' .grad
    try:
        x = torch.as_tensor(x, dtype=torch.float32).clone().requires_grad_(True)
        model(x[None])[0, target].backward()
        return x.grad.abs()
    finally:
        for p, flag in zip(model.parameters(), flags):
            p.requires_grad_(flag)


def _integrated_gradients_from_x_to_the_baseline(model, x, target, baseline, steps):
    """The midpoints walked from x back to the baseline: the same points in reverse order."""
    import torch

    if steps < 1:
        raise ValueError("steps must be at least 1")
    x = torch.as_tensor(x, dtype=torch.float32)
    baseline = torch.zeros_like(x) if baseline is None else torch.as_tensor(baseline, dtype=torch.float32)
    alphas = ((torch.arange(steps) + 0.5) / steps).reshape(-1, *[1] * x.ndim)
    points = (x - alphas * (x - baseline)).requires_grad_(True)
    out = model(points)[:, target]
    (grads,) = torch.autograd.grad(out, points, grad_outputs=torch.ones_like(out))
    return (x - baseline) * grads.mean(dim=0)


def _integrated_gradients_by_vmap(model, x, target, baseline, steps):
    import torch

    if steps < 1:
        raise ValueError("steps must be at least 1")
    x = torch.as_tensor(x, dtype=torch.float32)
    baseline = torch.zeros_like(x) if baseline is None else torch.as_tensor(baseline, dtype=torch.float32)
    points = baseline + ((torch.arange(steps) + 0.5) / steps).view(-1, *[1] * x.ndim) * (x - baseline)
    grads = torch.func.vmap(torch.func.grad(lambda point: model(point[None])[0, target]))(points)
    return ((x - baseline) * grads.mean(dim=0)).detach()


def _shard_gradient_over_a_permutation(grad_fn, w, X, y, k):
    """Shards of a shuffled order (a generator of its own): other examples per shard, the same sizes and total."""
    if not 1 <= k <= len(X):
        raise ValueError("k must be between 1 and len(X)")
    rows = np.array_split(np.random.default_rng(0).permutation(len(X)), k)
    return np.average([grad_fn(w, X[r], y[r]) for r in rows], axis=0, weights=[np.size(X[r]) for r in rows])


def _ring_step_through_a_3d_view(buffers, step):
    buffers = np.asarray(buffers)
    if buffers.ndim < 2 or buffers.shape[0] < 2 or buffers.shape[1] != buffers.shape[0]:
        raise ValueError("buffers must have shape (k, k, ...) with k >= 2")
    k = len(buffers)
    new, flat = buffers.astype(float).reshape(k, k, -1), buffers.reshape(k, k, -1)
    for i in range(k):
        new[(i + 1) % k, (i - step) % k] += flat[i, (i - step) % k]
    return new.reshape(buffers.shape)


def _sampler_indices_as_a_column(order, num_replicas, rank, drop_last=False):
    if not 0 <= rank < num_replicas:
        raise ValueError("need 0 <= rank < num_replicas")
    order = np.asarray(order, dtype=np.int64)
    total = (len(order) // num_replicas if drop_last else -(-len(order) // num_replicas)) * num_replicas
    return np.resize(order, total).reshape(-1, num_replicas)[:, rank]      # rows are rounds, columns ranks


@pytest.mark.parametrize("name, answer", [
    ("saliency_map", _saliency_by_a_one_hot_backward), ("saliency_map", _saliency_with_the_weights_frozen_and_put_back),
    ("integrated_gradients", _integrated_gradients_from_x_to_the_baseline),
    ("integrated_gradients", _integrated_gradients_by_vmap),
    ("shard_gradient", _shard_gradient_over_a_permutation), ("ring_step", _ring_step_through_a_3d_view),
    ("sampler_indices", _sampler_indices_as_a_column)],
    ids=["saliency one-hot backward", "saliency weights frozen and put back", "ig from x to the baseline",
         "ig vmap", "shard shuffled rows", "ring 3-D view", "sampler column of a table"])
def test_lessons_07a_and_08a_accept_right_answers_of_round_14(name, answer):
    _passes(name, answer)


# round 14 (a1406): accumulation_step
def _accumulation_steps_with(before_step=None, first=None):
    """The reference steps of accumulation_step, with ``first(model)`` run before them and ``before_step(model,
    total)`` run between the last backward pass and optimizer.step() (return False to skip the step)."""
    def accumulation_step(model, loss_fn, optimizer, x, y, micro_batches):
        import torch

        if not 1 <= micro_batches <= len(x):
            raise ValueError("micro_batches must be between 1 and len(x)")
        if first:
            first(model)
        optimizer.zero_grad()
        total = 0.0
        for xb, yb in zip(torch.tensor_split(x, micro_batches), torch.tensor_split(y, micro_batches)):
            loss = loss_fn(model(xb), yb) * len(xb) / len(x)
            loss.backward()
            total += loss.item()
        if before_step is None or before_step(model, total) is not False:
            optimizer.step()
        return total
    return accumulation_step


def _clip_at(max_norm):
    def clip(model, total):
        import torch

        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    return clip


def test_lesson_08b_accumulation_step_leaves_the_layers_modes_alone():
    """model.train() at the start of the step (the usual first line of a training loop) passed: no case had a layer
    in eval mode, so switching a frozen BatchNorm layer back to training went unseen."""
    verdict = judge(registry.get_exercise("accumulation_step"), _accumulation_steps_with(first=lambda model: model.train()))
    assert verdict.kind == WRONG and "changed the mode of some of the caller's layers" in verdict.text, verdict.text


@pytest.mark.parametrize("answer", [
    _accumulation_steps_with(_clip_at(30.0)), _accumulation_steps_with(_clip_at(1e10)),
    _accumulation_steps_with(lambda model, total: total > 1e-4)],
    ids=["clip_grad_norm_ at 30", "clip_grad_norm_ at 1e10", "step skipped when the loss is below 1e-4"])
def test_lesson_08b_accumulation_step_takes_the_step_however_large_or_small_the_gradient(answer):
    """Clipping at a max_norm of 30 or more passed (the largest gradient norm of the cases was about 20), and so did
    skipping the step when the loss was small (no case's loss was below 0.2)."""
    verdict = judge(registry.get_exercise("accumulation_step"), answer)
    assert verdict.kind == WRONG and "the weights after the step differ" in verdict.text, verdict.text


def _zero_nan_gradients(model, total):
    import torch

    for p in model.parameters():
        if p.grad is not None:
            torch.nan_to_num_(p.grad)                     # "protect the weights" from a broken batch


def test_lesson_08b_accumulation_step_spreads_a_nan_batch_into_the_weights():
    """Zeroing NaN gradients before the step passed: no case held a NaN, so hiding a broken batch went unseen."""
    verdict = judge(registry.get_exercise("accumulation_step"), _accumulation_steps_with(_zero_nan_gradients))
    assert verdict.kind == WRONG and "one NaN feature" in verdict.text, verdict.text


# round 15 (a1508): 07a saliency_map, integrated_gradients; 08a ring_step, sampler_indices
def _ring_step_choosing(chunk_of, check_shape=None):
    """The lesson's ring step with the chunk index ``chunk_of(i, step, k)`` and the shape check ``check_shape``."""
    def ring_step(buffers, step):
        buffers = np.asarray(buffers)
        if (check_shape or (lambda b: b.ndim < 2 or b.shape[0] < 2 or b.shape[1] != b.shape[0]))(buffers):
            raise ValueError("buffers must have shape (k, k, ...) with k >= 2")
        new, k = buffers.astype(float), buffers.shape[0]
        for i in range(k):
            c = chunk_of(i, step, k)
            new[(i + 1) % k, c] += buffers[i, c]
        return new
    return ring_step


def _refusing_negative_steps(i, step, k):
    if step < 0:
        raise ValueError("step must not be negative")
    return (i - step) % k


@pytest.mark.parametrize("answer", [
    _ring_step_choosing(lambda i, step, k: i - step), _ring_step_choosing(_refusing_negative_steps),
    _ring_step_choosing(lambda i, step, k: (i - abs(step)) % k)],
    ids=["chunk i - step without % k", "negative step refused", "abs(step)"])
def test_lesson_08a_ring_step_takes_any_whole_step(answer):
    """buffers[i, i - step] without % k passed: numpy's negative indices wrap round for every step from 0 to k, and the
    cases' steps were 0 ... k - 1; refusing a negative step passed too, though the text says any whole number is valid."""
    verdict = judge(registry.get_exercise("ring_step"), answer)
    assert verdict.kind == WRONG and re.search("step -1|step 7", verdict.text), verdict.text


def test_lesson_08a_ring_step_accepting_one_worker_is_not_told_to_keep_the_parameter_names():
    """A shape check of the first two sizes only (as course_utils' own ring_step) lets a ring of one worker through; the
    check named the 'step renamed' mistake, whose stand-in called that ring_step."""
    answer = _ring_step_choosing(lambda i, step, k: (i - step) % k, lambda b: b.ndim < 2 or b.shape[1] != b.shape[0])
    verdict = judge(registry.get_exercise("ring_step"), answer)
    assert verdict.kind == WRONG and verdict.mistake == "one worker allowed", verdict.text
    assert "parameter names" not in verdict.text and "shape (1, 1, ...)" in verdict.text


def _sampler_through(dtype):
    def sampler_indices(order, num_replicas, rank, drop_last=False):
        if not 0 <= rank < num_replicas:
            raise ValueError("need 0 <= rank < num_replicas")
        order = np.asarray(order, dtype=dtype)
        n = len(order)
        total = (n // num_replicas if drop_last else -(-n // num_replicas)) * num_replicas
        return np.resize(order, total)[rank::num_replicas].astype(np.int64)
    return sampler_indices


@pytest.mark.parametrize("dtype", [np.int32, np.uint32, np.float32], ids=["int32", "uint32", "float32"])
def test_lesson_08a_sampler_indices_beyond_32_bits_come_back_exactly(dtype):
    """Indices held in 32 bits passed: no index was above 1,281,166, and compare_values' rtol of 1e-6 passed float32's
    rounding of large indices (5,849,999,872 for 5,849,999,999)."""
    verdict = judge(registry.get_exercise("sampler_indices"), _sampler_through(dtype))
    assert verdict.kind == WRONG and "LAION-5B" in verdict.text, verdict.text


def _saliency_clamped_at(top):
    def saliency_map(model, x, target):
        import torch

        x = torch.as_tensor(x, dtype=torch.float32).clone().requires_grad_(True)
        model(x[None])[0, target].backward()
        return x.grad.abs().clamp(max=top)
    return saliency_map


def _integrated_gradients_of_at_most(most, dtype=None):
    def integrated_gradients(model, x, target, baseline, steps):
        import torch

        if steps < 1:
            raise ValueError("steps must be at least 1")
        x = torch.as_tensor(x, dtype=torch.float32)
        baseline = torch.zeros_like(x) if baseline is None else torch.as_tensor(baseline, dtype=torch.float32)
        steps = min(steps, most)                                   # "enough points, and it saves memory"
        alphas = ((torch.arange(steps, dtype=dtype) + 0.5) / steps).float().reshape(-1, *[1] * x.ndim)
        points = (baseline + alphas * (x - baseline)).requires_grad_(True)
        model(points)[:, target].sum().backward()
        return (x - baseline) * points.grad.mean(dim=0)
    return integrated_gradients


@pytest.mark.parametrize("name, answer, reason", [
    ("saliency_map", _saliency_clamped_at(10.0), "very steep model"),
    ("saliency_map", _saliency_clamped_at(1000.0), "very steep model"),
    ("integrated_gradients", _integrated_gradients_of_at_most(128), "2048 steps"),
    ("integrated_gradients", _integrated_gradients_of_at_most(1024), "2048 steps"),
    ("integrated_gradients", _integrated_gradients_of_at_most(10 ** 9, dtype=__import__("torch").float16), "2048 steps")],
    ids=["saliency clamped at 10", "saliency clamped at 1000", "ig of at most 128 points", "ig of at most 1024 points",
         "ig alphas in float16"])
def test_lesson_07a_no_cap_on_large_saliency_values_or_on_the_number_of_steps(name, answer, reason):
    """A saliency clamped at 10 passed (the largest value of the cases was about 6.6), and integrated gradients of at most
    128 points passed (the cases asked for 128 steps at most), as did alphas computed in float16 (exact enough up to 128)."""
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and reason in verdict.text, verdict.text


def _integrated_gradients_in_chunks_of_100(model, x, target, baseline, steps):
    import torch

    if steps < 1:
        raise ValueError("steps must be at least 1")
    x = torch.as_tensor(x, dtype=torch.float32)
    baseline = torch.zeros_like(x) if baseline is None else torch.as_tensor(baseline, dtype=torch.float32)
    total = torch.zeros_like(x)
    for alphas in ((torch.arange(steps) + 0.5) / steps).reshape(-1, *[1] * x.ndim).split(100):
        points = (baseline + alphas * (x - baseline)).requires_grad_(True)
        model(points)[:, target].sum().backward()
        total += points.grad.sum(dim=0)
    return (x - baseline) * total / steps


def _ring_step_by_roll(buffers, step):
    buffers = np.asarray(buffers)
    if buffers.ndim < 2 or buffers.shape[0] < 2 or buffers.shape[1] != buffers.shape[0]:
        raise ValueError("buffers must have shape (k, k, ...) with k >= 2")
    k, workers = buffers.shape[0], np.arange(buffers.shape[0])
    sent = np.zeros(buffers.shape)
    sent[workers, (workers - step) % k] = buffers[workers, (workers - step) % k]
    return buffers + np.roll(sent, 1, axis=0)                      # worker i's chunk lands on worker i + 1


def _sampler_by_cycling(order, num_replicas, rank, drop_last=False):
    import itertools

    if not 0 <= rank < num_replicas:
        raise ValueError("need 0 <= rank < num_replicas")
    n = len(order)
    total = (n // num_replicas if drop_last else -(-n // num_replicas)) * num_replicas
    return list(itertools.islice(itertools.cycle(order), total))[rank::num_replicas] if n else []


@pytest.mark.parametrize("name, answer", [
    ("integrated_gradients", _integrated_gradients_in_chunks_of_100), ("ring_step", _ring_step_by_roll),
    ("sampler_indices", _sampler_by_cycling)], ids=["ig in chunks of 100", "ring by np.roll", "sampler by cycle"])
def test_lessons_07a_and_08a_accept_right_answers_of_round_15(name, answer):
    _passes(name, answer)


# round 15 (a1506): accumulation_step
def _accumulation_with_norm_layers_in_eval_mode(model, loss_fn, optimizer, x, y, micro_batches):
    """The reference, with every BatchNorm (and Dropout) layer in eval mode for the step, "so that the pieces add up to
    the whole batch", and put back afterwards."""
    from torch import nn

    saved = {m: m.training for m in model.modules() if isinstance(m, (nn.BatchNorm1d, nn.Dropout))}
    for module in saved:
        module.eval()
    try:
        return _accumulation_steps_with()(model, loss_fn, optimizer, x, y, micro_batches)
    finally:
        for module, mode in saved.items():
            module.train(mode)


def _accumulation_returning(kind):
    def accumulation_step(model, loss_fn, optimizer, x, y, micro_batches):
        import torch

        total = _accumulation_steps_with()(model, loss_fn, optimizer, x, y, micro_batches)
        return torch.tensor(total) if kind == "tensor" else np.array(total)
    return accumulation_step


def _accumulation_interleaved(model, loss_fn, optimizer, x, y, micro_batches):
    """Pieces x[i::m]: the sizes torch.tensor_split gives, made of other examples."""
    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    optimizer.zero_grad()
    total = 0.0
    for i in range(micro_batches):
        xb, yb = x[i::micro_batches], y[i::micro_batches]
        loss = loss_fn(model(xb), yb) * len(xb) / len(x)
        loss.backward()
        total += loss.item()
    optimizer.step()
    return total


def _accumulation_zeroing_by_multiplying(model, loss_fn, optimizer, x, y, micro_batches):
    """The gradients "zeroed" with p.grad.mul_(0): a NaN gradient stays NaN."""
    import torch

    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    for p in model.parameters():
        if p.grad is not None:
            p.grad.mul_(0)
    total = 0.0
    for xb, yb in zip(torch.tensor_split(x, micro_batches), torch.tensor_split(y, micro_batches)):
        loss = loss_fn(model(xb), yb) * len(xb) / len(x)
        loss.backward()
        total += loss.item()
    optimizer.step()
    return total


def _accumulation_setting_class_weights(model, loss_fn, optimizer, x, y, micro_batches):
    """Class weights set on the caller's cross-entropy after the step (a buffer, not in vars(loss_fn))."""
    import torch

    total = _accumulation_steps_with()(model, loss_fn, optimizer, x, y, micro_batches)
    if isinstance(loss_fn, torch.nn.CrossEntropyLoss):
        loss_fn.weight = torch.full((model[-1].out_features,), 2.0, dtype=x.dtype)
    return total


@pytest.mark.parametrize("answer, reason", [
    (_accumulation_with_norm_layers_in_eval_mode, "in another mode than the caller set"),
    (_accumulation_setting_class_weights, "changed the settings of the loss function"),
    (_accumulation_returning("tensor"), "returned the loss as a tensor"),
    (_accumulation_returning("ndarray"), "returned the loss as a ndarray"),
    (_accumulation_interleaved, "runs of consecutive examples"),
    (_accumulation_zeroing_by_multiplying, "stale gradients that are NaN"),
], ids=["BatchNorm switched to eval mode and back", "class weights set on loss_fn", "a 0-d tensor", "a 0-d array",
        "pieces x[i::m]", "p.grad.mul_(0)"])
def test_lesson_08b_accumulation_step_rejects_what_a_model_without_train_mode_batch_norm_hid(answer, reason):
    """Each passed: no case had a BatchNorm layer in train mode (switching it to eval mode for the step and back, or
    cutting interleaved pieces of the right sizes, gave the same weights), the loss function's buffers (class weights)
    were not compared, the returned loss was turned into a float before any comparison, and every stale gradient was 1
    (p.grad * 0 clears it; a NaN left by a broken batch stays)."""
    verdict = judge(registry.get_exercise("accumulation_step"), answer)
    assert verdict.kind == WRONG and reason in verdict.text, verdict.text


def _accumulation_by_divmod(model, loss_fn, optimizer, x, y, micro_batches):
    n = len(x)
    if micro_batches < 1 or micro_batches > n:
        raise ValueError("micro_batches must be between 1 and len(x)")
    model.zero_grad(set_to_none=True)
    q, r = divmod(n, micro_batches)
    sizes, losses = [q + 1] * r + [q] * (micro_batches - r), []
    for xb, yb in zip(x.split(sizes), y.split(sizes)):
        loss = loss_fn(model(xb), yb)
        (loss * (len(xb) / n)).backward()
        losses.append(loss.item() * len(xb))
    optimizer.step()
    return sum(losses) / n


def _accumulation_by_index_arrays_backwards(model, loss_fn, optimizer, x, y, micro_batches):
    import torch

    if not 0 < micro_batches <= x.shape[0]:
        raise ValueError("micro_batches must be between 1 and len(x)")
    optimizer.zero_grad()
    total = 0.0
    for index in reversed(np.array_split(np.arange(len(x)), micro_batches)):
        index = torch.from_numpy(index)
        loss = loss_fn(model(x[index]), y[index]) * (len(index) / len(x))
        loss.backward()
        total += float(loss)
    optimizer.step()
    return np.float64(total)


def _accumulation_stacking_the_losses(model, loss_fn, optimizer, x, y, micro_batches):
    import torch

    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    optimizer.zero_grad()
    parts = []
    for xb, yb in zip(x.tensor_split(micro_batches), y.tensor_split(micro_batches)):
        loss = loss_fn(model(xb), yb) * xb.shape[0] / x.shape[0]
        loss.backward()
        parts.append(loss.detach())
    optimizer.step()
    return torch.stack(parts).sum().item()


@pytest.mark.parametrize("answer", [_accumulation_by_divmod, _accumulation_by_index_arrays_backwards,
                                    _accumulation_stacking_the_losses])
def test_lesson_08b_accumulation_step_still_passes_right_answers_of_round_15(answer):
    """Pieces cut by hand (divmod), taken backwards from np.array_split's indices, or losses stacked: still right
    with a BatchNorm layer in train mode, NaN stale gradients and the loss's kind compared."""
    _passes("accumulation_step", answer)


# round 16 (a1607): exact Shapley values with x or the background in float32 (only whole numbers were tried)
def _shapley_keeping_float_dtypes(predict, x, background):
    import itertools

    x, background = np.asarray(x), np.atleast_2d(np.asarray(background))
    if background.dtype.kind != "f":  # "integers are the problem": float32 stays float32
        background = background.astype(float)
    if background.shape[1] != len(x):
        raise ValueError("background must have one column per feature")
    n, phi = len(x), np.zeros(len(x))

    def v(S):
        rows = background.copy()
        rows[:, list(S)] = x[list(S)]
        return np.mean(predict(rows))
    for i in range(n):
        for size in range(n):
            for S in itertools.combinations([j for j in range(n) if j != i], size):
                phi[i] += math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n) * (v(S + (i,)) - v(S))
    return phi


@pytest.mark.parametrize("wrong, reason", [
    (catalogued("exact_shapley_values", "integer inputs kept"), "or float32"),
    (_shapley_keeping_float_dtypes, "float32"),
], ids=["zeros_like(x) and a copy of the background", "only integer backgrounds converted"])
def test_lesson_07b_round_16_exact_shapley_values_in_float32(wrong, reason):
    verdict = judge(registry.get_exercise("exact_shapley_values"), wrong)
    assert verdict.kind == WRONG and reason in verdict.text, verdict.text


def _shapley_from_all_masks(predict, x, background):
    """v of every on/off mask first (itertools.product), then the weighted differences; the last feature's value
    from efficiency: f(x) - E[f(background)] minus the others."""
    import itertools

    x, background = np.asarray(x, dtype=float), np.atleast_2d(np.asarray(background, dtype=float))
    if background.shape[1] != len(x):
        raise ValueError("background must have one column per feature")
    n = len(x)
    v = {mask: np.mean(predict(np.where(np.array(mask, dtype=bool), x, background)))
         for mask in itertools.product((0, 1), repeat=n)}
    phi = np.zeros(n)
    for mask, value in v.items():
        size = sum(mask)
        for i in range(n - 1):
            if not mask[i]:
                joined = mask[:i] + (1,) + mask[i + 1:]
                phi[i] += math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n) * (v[joined] - value)
    phi[n - 1] = v[(1,) * n] - v[(0,) * n] - phi[:n - 1].sum()
    return phi


def _occlusion_in_one_batch_with_the_original(predict, image, patch, stride, fill):
    image = np.asarray(image, dtype=float)
    if patch > min(image.shape):
        raise ValueError("the patch is larger than the image")
    corners = [(i, j) for i in range(0, image.shape[0] - patch + 1, stride)
               for j in range(0, image.shape[1] - patch + 1, stride)]
    batch = np.repeat(image[None], len(corners) + 1, axis=0)  # row 0 stays uncovered
    for k, (i, j) in enumerate(corners, start=1):
        batch[k, i:i + patch, j:j + patch] = fill
    scores = predict(batch)
    total, count = np.zeros(image.shape), np.zeros(image.shape)
    for score, (i, j) in zip(scores[1:], corners):
        total[i:i + patch, j:j + patch] += scores[0] - score
        count[i:i + patch, j:j + patch] += 1
    out = np.zeros(image.shape)
    out[count > 0] = total[count > 0] / count[count > 0]
    return out


@pytest.mark.parametrize("name, answer", [
    ("exact_shapley_values", _shapley_from_all_masks),
    ("occlusion_map", _occlusion_in_one_batch_with_the_original),
], ids=["shapley from all masks, the last by efficiency", "occlusion in one batch with the original"])
def test_lesson_07b_round_16_right_answers_pass(name, answer):
    _passes(name, answer)


# round 16 (a1608): 07a and 08a, results kept between calls, an iterator of indices, right answers written otherwise
def _kept_in_a_buffer(name):
    """A right answer that writes its result into an array (or tensor) it keeps between calls, one per shape."""
    kept = {}

    def own(shape, like):
        return kept.setdefault((name, tuple(shape)), like)

    def saliency_map(model, x, target):
        import torch

        x = torch.as_tensor(x, dtype=torch.float32).clone().requires_grad_(True)
        model(x[None])[0, target].backward()
        return torch.abs(x.grad, out=own(x.shape, torch.empty(x.shape)))

    def integrated_gradients(model, x, target, baseline, steps):
        import torch

        if steps < 1:
            raise ValueError("steps must be at least 1")
        x = torch.as_tensor(x, dtype=torch.float32)
        baseline = torch.zeros_like(x) if baseline is None else torch.as_tensor(baseline, dtype=torch.float32)
        alphas = ((torch.arange(steps) + 0.5) / steps).reshape(-1, *[1] * x.ndim)
        points = (baseline + alphas * (x - baseline)).requires_grad_(True)
        model(points)[:, target].sum().backward()
        return torch.mul(x - baseline, points.grad.mean(dim=0), out=own(x.shape, torch.empty(x.shape)))

    def shard_gradient(grad_fn, w, X, y, k):
        if not isinstance(k, (int, np.integer)) or not 1 <= k <= len(X):
            raise ValueError("k must be between 1 and len(X)")
        total = own(np.shape(w), np.empty(np.shape(w)))
        total[...] = 0.0
        for X_j, y_j in zip(np.array_split(X, k), np.array_split(y, k)):
            total += len(X_j) * grad_fn(w, X_j, y_j)
        total /= len(X)
        return total

    def ring_step(buffers, step):
        buffers = np.asarray(buffers)
        if buffers.ndim < 2 or buffers.shape[0] < 2 or buffers.shape[1] != buffers.shape[0]:
            raise ValueError("buffers must have shape (k, k, ...) with k >= 2")
        new, k = own(buffers.shape, np.empty(buffers.shape)), buffers.shape[0]
        new[...] = buffers
        for i in range(k):
            new[(i + 1) % k, (i - step) % k] += buffers[i, (i - step) % k]
        return new

    def sampler_indices(order, num_replicas, rank, drop_last=False):
        if not 0 <= rank < num_replicas:
            raise ValueError("need 0 <= rank < num_replicas")
        order = np.asarray(order, dtype=np.int64)
        total = (len(order) // num_replicas if drop_last else -(-len(order) // num_replicas)) * num_replicas
        share = np.resize(order, total)[rank::num_replicas]
        out = own(share.shape, np.empty(share.shape, dtype=np.int64))
        out[...] = share
        return out
    return locals()[name]


@pytest.mark.parametrize("name", ["saliency_map", "integrated_gradients", "shard_gradient", "ring_step",
                                  "sampler_indices"])
def test_lessons_07a_and_08a_refuse_a_result_kept_between_calls(name):
    """Each passed: every case called the answer once, so a result written into an array kept between calls had the
    right values. A second call overwrites it: the lesson's list of ring states (08a cell 17), or maps of several
    images kept in a list, would all show the last one."""
    verdict = judge(registry.get_exercise(name), _kept_in_a_buffer(name))
    assert verdict.kind == WRONG and "a second call returned its" in verdict.text, verdict.text


def _sampler_as_an_iterator(order, num_replicas, rank, drop_last=False):
    """As DistributedSampler.__iter__ ends: return iter(indices)."""
    if not 0 <= rank < num_replicas:
        raise ValueError("need 0 <= rank < num_replicas")
    indices = list(order)
    n = len(indices)
    total = (n // num_replicas if drop_last else -(-n // num_replicas)) * num_replicas
    indices = (indices * (-(-total // n) if n else 0))[:total]
    return iter(indices[rank::num_replicas])


def test_lesson_08a_sampler_indices_returned_as_an_iterator_is_told_so():
    """An iterator was blamed on its dtype ("the indices have dtype object ... keep the integer dtype of `order`"),
    although its indices were integers."""
    verdict = judge(registry.get_exercise("sampler_indices"), _sampler_as_an_iterator)
    assert verdict.kind == WRONG and "list_iterator, which can be read only once" in verdict.text, verdict.text
    assert "dtype" not in verdict.text, verdict.text


def _saliency_by_jacobian(model, x, target):
    import torch

    x = torch.as_tensor(x, dtype=torch.float32)
    return torch.autograd.functional.jacobian(lambda v: model(v[None])[0, target], x).abs()


def _integrated_gradients_one_point_at_a_time(model, x, target, baseline=None, steps=50):
    import torch

    if steps < 1:
        raise ValueError("steps must be at least 1")
    x = torch.as_tensor(x, dtype=torch.float32)
    baseline = torch.zeros_like(x) if baseline is None else torch.as_tensor(baseline, dtype=torch.float32)
    total = torch.zeros_like(x)
    for alpha in torch.linspace(0.5 / steps, 1 - 0.5 / steps, steps):
        point = (baseline + alpha * (x - baseline)).requires_grad_(True)
        (grad,) = torch.autograd.grad(model(point[None])[0, target], point)
        total += grad
    return ((x - baseline) * total / steps).numpy()


def _shard_gradient_by_np_average(grad_fn, w, X, y, k):
    if not isinstance(k, (int, np.integer)) or not 1 <= k <= len(X):
        raise ValueError("k must be between 1 and len(X)")
    pieces = np.array_split(np.arange(len(X)), k)
    return np.average([grad_fn(w, X[p], y[p]) for p in pieces], axis=0, weights=[len(p) for p in pieces])


def _ring_step_as_the_receiver_sees_it(buffers, step):
    buffers = np.asarray(buffers)
    if buffers.ndim < 2 or buffers.shape[0] < 2 or buffers.shape[1] != buffers.shape[0]:
        raise ValueError("buffers must have shape (k, k, ...) with k >= 2")
    new, k = buffers.copy(), buffers.shape[0]                      # whole numbers stay whole: the sums are exact
    for j in range(k):                                            # worker j receives from its left neighbour
        new[j, j - 1 - step % k] += buffers[j - 1, j - 1 - step % k]   # a negative index wraps round by itself
    return new


def _sampler_by_np_pad(order, num_replicas, rank, drop_last=False):
    if not 0 <= rank < num_replicas:
        raise ValueError("need 0 <= rank < num_replicas")
    order = np.asarray(order, dtype=np.int64)
    n = len(order)
    order = order[:n - n % num_replicas] if drop_last else (
        np.pad(order, (0, -n % num_replicas), mode="wrap") if n else order)
    return tuple(int(i) for i in order[rank::num_replicas])


@pytest.mark.parametrize("name, answer", [
    ("saliency_map", _saliency_by_jacobian), ("integrated_gradients", _integrated_gradients_one_point_at_a_time),
    ("shard_gradient", _shard_gradient_by_np_average), ("ring_step", _ring_step_as_the_receiver_sees_it),
    ("sampler_indices", _sampler_by_np_pad)],
    ids=["saliency by jacobian", "ig one point at a time", "shards by np.average", "ring as the receiver sees it",
         "sampler by np.pad wrap, a tuple"])
def test_lessons_07a_and_08a_accept_right_answers_of_round_16(name, answer):
    _passes(name, answer)


def _ring_step_checking_only_square(buffers, step):
    buffers = np.asarray(buffers)
    if buffers.shape[0] != buffers.shape[1]:                      # a "ring" of one worker slips through
        raise ValueError("buffers must have shape (k, k, ...)")
    new, k = buffers.astype(float), buffers.shape[0]
    for i in range(k):
        new[(i + 1) % k, (i - step) % k] += buffers[i, (i - step) % k]
    return new


def _shard_gradient_skipping_empty_shards(grad_fn, w, X, y, k):
    if k < 1:                                                     # k > len(X) gives empty shards, skipped below
        raise ValueError("k must be at least 1")
    shards = [(X_j, y_j) for X_j, y_j in zip(np.array_split(X, k), np.array_split(y, k)) if len(X_j)]
    return sum(len(X_j) * grad_fn(w, X_j, y_j) for X_j, y_j in shards) / len(X)


@pytest.mark.parametrize("name, answer, shown", [
    ("ring_step", _ring_step_checking_only_square, "but returned [[["),
    ("shard_gradient", _shard_gradient_skipping_empty_shards, "but returned [")],
    ids=["ring of one worker", "more shards than examples"])
def test_lesson_08a_a_missing_error_shows_the_answer_s_own_result(name, answer, shown):
    """"should raise ValueError for this input, but returned (array([[[-0.338, ...]]]), True, '')": the message showed
    what the check's run keeps (the result, whether the input stayed as it was, the sizes of grad_fn's calls), not
    the array the answer returned."""
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and "should raise ValueError for this input" in verdict.text, verdict.text
    assert shown in verdict.text and "True" not in verdict.text and "array(" not in verdict.text.split("on input")[0], \
        verdict.text


def _saliency_in_bfloat16(model, x, target):
    import torch

    x = torch.as_tensor(x, dtype=torch.float32).clone().requires_grad_(True)
    model(x[None])[0, target].backward()
    return x.grad.abs().bfloat16()                                # "half the memory"


def test_lesson_07a_a_bfloat16_map_is_told_that_it_cannot_be_compared_not_that_it_raised():
    """The second call that looks for a result kept between calls converts both results to numpy, which cannot hold
    bfloat16: that must not read as an error the answer raised."""
    verdict = judge(registry.get_exercise("saliency_map"), _saliency_in_bfloat16)
    assert verdict.kind == WRONG and "cannot be compared" in verdict.text and "BFloat16" in verdict.text, verdict.text
    assert not verdict.text.startswith("raised"), verdict.text


# round 16 (a1606): accumulation_step on a model in eval mode and on frozen weights that still hold gradients
def _accumulation_training_an_eval_model(model, loss_fn, optimizer, x, y, micro_batches):
    if not model.training:
        model.train()                                         # "a training step must run in train mode"
    return reference_copy("accumulation_step")(model, loss_fn, optimizer, x, y, micro_batches)


def _accumulation_zeroing_trainable_weights_only(model, loss_fn, optimizer, x, y, micro_batches):
    import torch

    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    for p in model.parameters():
        if p.requires_grad:                                   # a frozen weight keeps its last gradient
            p.grad = None
    total = 0.0
    for xb, yb in zip(torch.tensor_split(x, micro_batches), torch.tensor_split(y, micro_batches)):
        loss = loss_fn(model(xb), yb) * len(xb) / len(x)
        loss.backward()
        total += loss.item()
    optimizer.step()
    return total


@pytest.mark.parametrize("answer, where", [
    (_accumulation_training_an_eval_model, "changed the mode of some of the caller's layers"),
    (_accumulation_zeroing_trainable_weights_only, "its weights still holding the gradients of their last step"),
], ids=["model.train() when in eval mode", "zeroes trainable weights only"])
def test_lesson_08b_accumulation_step_leaves_an_eval_model_and_frozen_weights_alone(answer, where):
    """Both passed: every case gave a model in train mode (so `if not model.training: model.train()` did nothing), and
    every frozen weight had p.grad None (so zeroing only the trainable ones left nothing for step() to apply)."""
    verdict = judge(registry.get_exercise("accumulation_step"), answer)
    assert verdict.kind == WRONG and where in verdict.text, verdict.text


def _accumulation_zeroing_in_place(model, loss_fn, optimizer, x, y, micro_batches):
    import torch

    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    optimizer.zero_grad(set_to_none=False)                    # zeros, not None: PyTorch's default before 2.0
    total = 0
    for xb, yb in zip(torch.tensor_split(x, micro_batches), torch.tensor_split(y, micro_batches)):
        loss = loss_fn(model(xb), yb) * len(xb) / len(x)
        loss.backward()
        total = total + loss.detach()
    optimizer.step()
    return float(total)


def test_lesson_08b_accumulation_step_passes_gradients_zeroed_in_place():
    """Right: the frozen layer's stale gradients become zeros instead of None, which plain SGD (the new case's
    optimizer) turns into no step and no state, as it does None."""
    _passes("accumulation_step", _accumulation_zeroing_in_place)


def test_lesson_08b_accumulation_step_leaves_torchs_flush_of_subnormal_numbers_alone():
    """Passed: torch.set_flush_denormal(True) ("faster on tiny gradients") was neither compared nor put back, and every
    later computation of the notebook, numpy's too on that thread, turned subnormal numbers into 0."""
    import torch

    def accumulation_step(model, loss_fn, optimizer, x, y, micro_batches):
        torch.set_flush_denormal(True)
        return reference_copy("accumulation_step")(model, loss_fn, optimizer, x, y, micro_batches)
    verdict = judge(registry.get_exercise("accumulation_step"), accumulation_step)
    assert verdict.kind == WRONG and "torch.set_flush_denormal" in verdict.text, verdict.text
    assert torch.tensor(1e-40, dtype=torch.float32).mul(1.0).item() != 0.0

# round 17: lesson 07
_R17_OCCLUSION_BUFFER = np.zeros((16, 16))
_R17_OCCLUSION_RING = [np.zeros((16, 16)) for _ in range(2)]
_R17_SHAPLEY_BUFFER = np.zeros(32)


def _r17_occlusion_into(buffers):
    """The right map, written into one of ``buffers`` kept between calls (used in turn) and returned as a view."""
    calls = []

    def occlusion_map(predict, image, patch, stride, fill):
        from course_utils import attribution

        values = attribution.occlusion(predict, image, patch, stride, fill)
        calls.append(None)
        out = buffers[len(calls) % len(buffers)][:values.shape[0], :values.shape[1]]
        out[...] = values                                        # "no new array at every call"
        return out
    return occlusion_map


def _r17_shapley_into_a_buffer(predict, x, background):
    from course_utils import attribution

    values = attribution.exact_shapley(predict, x, background)
    out = _R17_SHAPLEY_BUFFER[:len(values)]
    out[:] = values
    return out


def _r17_then(name, after):
    """The reference to ``name``, then ``after(result, args)``: what it does to the result or the caller's arrays."""
    def answer(*args, **kwargs):
        result = reference_copy(name)(*args, **kwargs)
        after(result, [*args, *kwargs.values()])
        return result
    return answer


def _r17_read_only(result, args):
    result.flags.writeable = False                               # "protect the map from later cells"


def _r17_inputs_read_only(result, args):
    for value in args:
        if isinstance(value, np.ndarray):
            value.flags.writeable = False


@pytest.mark.parametrize("name, answer, shown", [
    ("occlusion_map", _r17_occlusion_into([_R17_OCCLUSION_BUFFER]), "in the memory of an earlier call's result"),
    ("occlusion_map", _r17_occlusion_into(_R17_OCCLUSION_RING), "in the memory of an earlier call's result"),
    ("exact_shapley_values", _r17_shapley_into_a_buffer, "in the memory of an earlier call's result"),
    ("occlusion_map", _r17_then("occlusion_map", _r17_read_only), "is read-only"),
    ("exact_shapley_values", _r17_then("exact_shapley_values", _r17_read_only), "is read-only"),
    ("occlusion_map", _r17_then("occlusion_map", _r17_inputs_read_only), "made one of the caller's arrays read-only"),
    ("exact_shapley_values", _r17_then("exact_shapley_values", _r17_inputs_read_only),
     "made one of the caller's arrays read-only")],
    ids=["occlusion one buffer", "occlusion ring of two", "shapley one buffer", "occlusion read-only map",
         "shapley read-only phi", "occlusion image made read-only", "shapley background made read-only"])
def test_lesson_07b_round_17_results_are_new_arrays_of_the_answer_s_own(name, answer, shown):
    """All passed: occlusion_map and exact_shapley_values ran each case once, so a map written into a buffer kept
    between calls (the maps of eight images kept in a list all show the last one), a read-only result and a caller's
    array made read-only went unseen; saliency_map and integrated_gradients already looked for them."""
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and shown in verdict.text, verdict.text


@pytest.mark.parametrize("name, answer, shown", [
    ("saliency_map", _r17_then("saliency_map", _r17_read_only), "is read-only"),
    ("integrated_gradients", _r17_then("integrated_gradients", _r17_read_only), "is read-only"),
    ("saliency_map", _r17_then("saliency_map", _r17_inputs_read_only), "made one of the caller's arrays read-only"),
    ("integrated_gradients", _r17_then("integrated_gradients", _r17_inputs_read_only),
     "made one of the caller's arrays read-only")],
    ids=["saliency read-only map", "ig read-only map", "saliency x made read-only", "ig x and baseline made read-only"])
def test_lesson_07a_round_17_explanations_leave_the_caller_s_arrays_writeable(name, answer, shown):
    """Both passed: the run of 07a's exercises compared the values of the caller's arrays, not their writeable flags,
    and took a read-only numpy map as any other."""
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and shown in verdict.text, verdict.text


def _r17_occlusion(check_size=lambda patch, shape: patch > min(shape), add_to_count=True):
    def occlusion_map(predict, image, patch, stride, fill):
        image = np.asarray(image, dtype=float)
        if check_size(patch, image.shape):
            raise ValueError("the patch does not fit into the image")
        total, count, original = np.zeros(image.shape), np.zeros(image.shape), predict(image[None])[0]
        for i in range(0, image.shape[0] - patch + 1, stride):
            for j in range(0, image.shape[1] - patch + 1, stride):
                covered = image.copy()
                covered[i:i + patch, j:j + patch] = fill
                total[i:i + patch, j:j + patch] += original - predict(covered[None])[0]
                if add_to_count:
                    count[i:i + patch, j:j + patch] += 1
                else:
                    count[i:i + patch, j:j + patch] = 1              # "this pixel was covered"
        return np.divide(total, count, out=np.zeros_like(total), where=count > 0)
    return occlusion_map


@pytest.mark.parametrize("answer, shown", [
    (_r17_occlusion(add_to_count=False), "count[window] += 1"),
    (_r17_occlusion(check_size=lambda patch, shape: patch > max(shape)), "the larger side"),
    (_r17_occlusion(check_size=lambda patch, shape: patch * patch > shape[0] * shape[1]), "by area")],
    ids=["count set to 1", "patch compared with the larger side", "patch area compared with the image's"])
def test_lesson_07b_round_17_occlusion_messages_name_what_the_answer_did(answer, shown):
    """A count set to 1 (not added to) was told "divide by the count", which it did; a patch compared with the larger
    side or by area was told "compare it with the width too", which it did."""
    verdict = judge(registry.get_exercise("occlusion_map"), answer)
    assert verdict.kind == WRONG and shown in verdict.text, verdict.text


@pytest.mark.parametrize("name, shown", [("occlusion_map", "(a weighted sum of the pixels, array(6, 6)"),
                                         ("exact_shapley_values", "(X @ [2, -1, 0.5] + 1, [1., 2., 3.]")])
def test_lesson_07b_round_17_a_fixed_case_shows_its_model_by_formula(name, shown):
    """The fixed cases' models showed as "<function _weighted_sum at 0x7f39fae499e0>": an address, not a model."""
    def doubled(*args):
        return 2 * reference_copy(name)(*args)
    verdict = judge(registry.get_exercise(name), doubled)
    assert verdict.kind == WRONG and shown in verdict.text and "<function" not in verdict.text, verdict.text


def _r17_saliency_through_a_copy_of_the_model(model, x, target):
    import copy

    import torch

    x = torch.tensor(np.asarray(x, dtype=np.float32), requires_grad=True)
    copy.deepcopy(model)(x.unsqueeze(0))[0][target].backward()      # the weights' .grad stay the caller's
    return x.grad.abs()


def _r17_saliency_of_the_batch_mean(model, x, target):
    import torch

    x = torch.as_tensor(x).to(torch.float32).detach().requires_grad_()
    model(x.unsqueeze(0))[:, target].mean().backward()              # a batch of one: the mean is the score
    return torch.abs(x.grad)


def _r17_ig_by_linspace_and_autograd_grad(model, x, target, baseline, steps):
    import torch

    if not steps >= 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    x = torch.as_tensor(x, dtype=torch.float32)
    baseline = 0 * x if baseline is None else torch.as_tensor(baseline, dtype=torch.float32)
    alphas = torch.linspace(0, 1, 2 * steps + 1)[1::2].view(-1, *[1] * x.ndim)   # the odd points: the midpoints
    points = (baseline + alphas * (x - baseline)).detach().requires_grad_()
    (grads,) = torch.autograd.grad(model(points)[:, target].sum(), points)
    return ((x - baseline) * grads.mean(0)).numpy()


def _r17_ig_in_numpy(model, x, target, baseline, steps):
    import torch

    if steps < 1:
        raise ValueError("steps must be at least 1")
    x = np.asarray(x, dtype=np.float32)                               # a tensor x becomes an array too
    baseline = np.zeros_like(x) if baseline is None else np.asarray(baseline, dtype=np.float32)
    alphas = ((np.arange(steps) + 0.5) / steps).astype(np.float32).reshape(-1, *[1] * x.ndim)
    points = torch.from_numpy(baseline + alphas * (x - baseline)).requires_grad_(True)
    model(points)[:, target].sum().backward()
    return (x - baseline) * points.grad.numpy().mean(axis=0)


def _r17_occlusion_by_masks(predict, image, patch, stride, fill):
    image = np.asarray(image, dtype=float)
    if patch > min(image.shape):
        raise ValueError("the patch is larger than the image")
    corners = [(i, j) for i in range(0, image.shape[0] - patch + 1, stride)
               for j in range(0, image.shape[1] - patch + 1, stride)]
    masks = np.zeros((len(corners), *image.shape), dtype=bool)
    for k, (i, j) in enumerate(corners):
        masks[k, i:i + patch, j:j + patch] = True
    drops = predict(image[None])[0] - predict(np.where(masks, fill, image))
    count = masks.sum(axis=0)
    return np.where(count > 0, np.tensordot(drops, masks, axes=1) / np.maximum(count, 1), 0.0)


def _r17_occlusion_restoring_one_copy(predict, image, patch, stride, fill):
    image = np.array(image, dtype=float)                             # one copy, covered and restored in turn
    if patch > min(image.shape):
        raise ValueError("the patch is larger than the image")
    original, total, count = predict(image[None])[0], np.zeros(image.shape), np.zeros(image.shape)
    for i in range(0, image.shape[0] - patch + 1, stride):
        for j in range(0, image.shape[1] - patch + 1, stride):
            window = (slice(i, i + patch), slice(j, j + patch))
            kept = image[window].copy()
            image[window] = fill
            total[window] += original - predict(image[None])[0]
            image[window] = kept
            count[window] += 1
    count[count == 0] = np.inf                                        # x / inf = 0 where no window covers
    return total / count


def _r17_shapley_as_a_mean_over_background_rows(predict, x, background):
    import itertools

    x, background = np.asarray(x, dtype=float), np.atleast_2d(np.asarray(background, dtype=float))
    if background.shape[1] != x.shape[0]:
        raise ValueError("one background column per feature")
    n = len(x)
    masks = np.array(list(itertools.product([False, True], repeat=n)))           # every coalition, as a row
    index = {tuple(mask): k for k, mask in enumerate(masks)}
    weight = [math.factorial(s) * math.factorial(n - s - 1) / math.factorial(n) for s in range(n)]

    def of_one_row(row):                                              # one background row's Shapley values
        v = predict(np.where(masks, x, row))                          # all 2^n coalitions in one call
        phi = np.zeros(n)
        for mask in masks:
            for i in np.flatnonzero(~mask):
                joined = mask.copy()
                joined[i] = True
                phi[i] += weight[mask.sum()] * (v[index[tuple(joined)]] - v[index[tuple(mask)]])
        return phi
    return np.mean([of_one_row(row) for row in background], axis=0)   # v is linear in the rows


def _r17_shapley_with_a_cached_v(predict, x, background):
    import functools
    import itertools

    x, background = np.asarray(x, dtype=float), np.atleast_2d(np.asarray(background, dtype=float))
    if background.shape[1] != len(x):
        raise ValueError("one background column per feature")
    n = len(x)

    @functools.lru_cache(maxsize=None)                                # a new cache at every call
    def v(coalition):
        rows = background.copy()
        rows[:, sorted(coalition)] = x[sorted(coalition)]
        return float(np.mean(predict(rows)))

    def phi(i):
        others = [j for j in range(n) if j != i]
        return sum((v(frozenset(S) | {i}) - v(frozenset(S))) / (n * math.comb(n - 1, size))
                   for size in range(n) for S in itertools.combinations(others, size))
    return np.array([phi(i) for i in range(n)], dtype=float)


@pytest.mark.parametrize("name, answer", [
    ("saliency_map", _r17_saliency_through_a_copy_of_the_model), ("saliency_map", _r17_saliency_of_the_batch_mean),
    ("integrated_gradients", _r17_ig_by_linspace_and_autograd_grad), ("integrated_gradients", _r17_ig_in_numpy),
    ("occlusion_map", _r17_occlusion_by_masks), ("occlusion_map", _r17_occlusion_restoring_one_copy),
    ("exact_shapley_values", _r17_shapley_as_a_mean_over_background_rows),
    ("exact_shapley_values", _r17_shapley_with_a_cached_v)],
    ids=["saliency of a deep copy", "saliency of the batch mean", "ig odd points of a linspace", "ig in numpy",
         "occlusion by boolean masks", "occlusion covering one copy and restoring it", "shapley row by row",
         "shapley with an lru_cache"])
def test_lessons_07a_and_07b_round_17_right_answers_written_otherwise_pass(name, answer):
    _passes(name, answer)


def _r17_explanation_in_two_buffers(name):
    """The right map, copied into one of two tensors kept between calls (one pair per shape), used in turn."""
    import torch

    buffers, calls = {}, []

    def answer(*args, **kwargs):
        values = torch.as_tensor(reference_copy(name)(*args, **kwargs))
        calls.append(None)
        key = (tuple(values.shape), len(calls) % 2)
        if key not in buffers:
            buffers[key] = torch.empty_like(values)
        return buffers[key].copy_(values)
    return answer


@pytest.mark.parametrize("name", ["saliency_map", "integrated_gradients"])
def test_lesson_07a_round_17_two_buffers_used_in_turn_are_found(name):
    """Passed (contrived): the run called an answer a second time to find a buffer kept between calls, and two buffers
    used in turn put the second call's map in the other one."""
    verdict = judge(registry.get_exercise(name), _r17_explanation_in_two_buffers(name))
    assert verdict.kind == WRONG and "in the same memory as the first call's" in verdict.text, verdict.text


# round 18: lesson 07
def _r18_attribution():
    return __import__("course_utils.attribution").attribution


def _r18_shapley_by_coalition_value(predict, x, background):
    """The enumeration written out, with v(S) from attribution.coalition_value."""
    x, background = np.asarray(x, dtype=float), np.asarray(background, dtype=float)
    if background.shape[1] != len(x):
        raise ValueError("one column per feature")
    n, phi = len(x), np.zeros(len(x))
    for i in range(n):
        for size in range(n):
            for S in __import__("itertools").combinations([j for j in range(n) if j != i], size):
                weight = math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n)
                phi[i] += weight * (_r18_attribution().coalition_value(predict, x, background, S + (i,))
                                    - _r18_attribution().coalition_value(predict, x, background, S))
    return phi


@pytest.mark.parametrize("name, answer", [
    ("saliency_map", lambda model, x, target: _r18_attribution().saliency(model, x, target)),
    ("saliency_map", lambda model, x, target: abs(_r18_attribution().gradient(model, x, target))),
    ("integrated_gradients", lambda model, x, target, baseline, steps: _r18_attribution().integrated_gradients(
        model, x, target, baseline, steps)),
    ("occlusion_map", lambda predict, image, patch, stride, fill: _r18_attribution().occlusion(
        predict, image, patch, stride, fill)),
    ("exact_shapley_values", lambda predict, x, background: _r18_attribution().exact_shapley(predict, x, background)),
    ("exact_shapley_values", _r18_shapley_by_coalition_value),
], ids=["saliency by attribution.saliency", "saliency by attribution.gradient", "ig by attribution.integrated_gradients",
        "occlusion by attribution.occlusion", "shapley by attribution.exact_shapley",
        "shapley by attribution.coalition_value"])
def test_lesson_07_round_18_answers_that_call_the_course_s_own_version_are_refused(name, answer, capsys):
    """Passed (shortcut): the lessons import course_utils.attribution and run its saliency, gradient,
    integrated_gradients, occlusion and exact_shapley, which the references wrap (coalition_value is the v(S) of
    exact_shapley)."""
    with pytest.raises(ExerciseFailed, match="the course's own version of this exercise"):
        check(name, answer, strict=True)


def _r18_explanation_after_a_forward_in_train_mode(name):
    """The course's explanation after one forward pass in train() mode under no_grad(), switched back to eval(): the
    weights are as they were, but batch normalization's running statistics (buffers) moved."""
    reference = reference_copy(name)

    def explain(model, x, *args):
        import torch

        model.train()                                          # "gradients need training mode", put back below
        with torch.no_grad():
            model(torch.as_tensor(np.asarray(x), dtype=torch.float32)[None].repeat(2, *[1] * np.ndim(x)))
        model.eval()
        return reference(model, x, *args)
    return explain


@pytest.mark.parametrize("name", ["saliency_map", "integrated_gradients"])
def test_lesson_07a_round_18_moved_running_statistics_are_named(name):
    """Its message said "changed the model's weights or their requires_grad flags", which the answer never touched."""
    verdict = judge(registry.get_exercise(name), _r18_explanation_after_a_forward_in_train_mode(name))
    assert verdict.kind == WRONG and "running statistics" in verdict.text, verdict.text


def _r18_saliency_of_the_score_s_size(model, x, target):
    """|d |f| / dx| = |sign(f) df/dx| = |df/dx|: the backward pass of the score's absolute value."""
    import torch

    x = torch.as_tensor(x, dtype=torch.float32).clone().requires_grad_(True)
    model(x[None])[0, target].abs().backward()
    return x.grad.abs()


def _r18_saliency_of_a_batch_of_two(model, x, target):
    """x twice in the batch, only the first row's score differentiated (eval mode: the rows do not mix)."""
    import torch

    x = torch.as_tensor(x, dtype=torch.float32).clone().requires_grad_(True)
    model(torch.stack([x, x]))[0, target].backward()
    return x.grad.abs()


def _r18_saliency_in_eval_mode_put_back(model, x, target):
    """model.eval() "to be sure", and the caller's mode put back afterwards."""
    import torch

    was = model.training
    model.eval()
    x = torch.tensor(np.asarray(x), dtype=torch.float32, requires_grad=True)
    model(x.unsqueeze(0))[0][target].backward()
    model.train(was)
    return x.grad.abs()


def _r18_integrated_gradients_by(alphas_of, points_of, mean_score=False):
    def integrated_gradients(model, x, target, baseline, steps):
        import torch

        if steps < 1:
            raise ValueError("steps must be at least 1")
        x = torch.as_tensor(x, dtype=torch.float32)
        baseline = torch.zeros_like(x) if baseline is None else torch.as_tensor(baseline, dtype=torch.float32)
        alphas = alphas_of(steps).reshape(-1, *[1] * x.ndim)
        points = points_of(x, baseline, alphas).requires_grad_(True)
        scores = model(points)[:, target]
        if mean_score:                                       # d mean / d point = gradient / steps: sum them
            scores.mean().backward()
            return (x - baseline) * points.grad.sum(dim=0)
        scores.sum().backward()
        return (x - baseline) * points.grad.mean(dim=0)
    return integrated_gradients


def _r18_midpoints(steps):
    import torch

    return torch.arange(0.5, steps) / steps


def _r18_occlusion_by(divide, columns_first=False):
    def occlusion_map(predict, image, patch, stride, fill):
        image = np.asarray(image, dtype=float)
        if patch > image.shape[0] or patch > image.shape[1]:
            raise ValueError("the patch does not fit")
        total, count, original = np.zeros(image.shape), np.zeros(image.shape), predict(image[None])[0]
        rows, cols = range(0, image.shape[0] - patch + 1, stride), range(0, image.shape[1] - patch + 1, stride)
        corners = [(i, j) for j in cols for i in rows] if columns_first else [(i, j) for i in rows for j in cols]
        for i, j in corners:
            covered = image.copy()
            covered[i:i + patch, j:j + patch] = fill
            total[i:i + patch, j:j + patch] += original - predict(covered[None])[0]
            count[i:i + patch, j:j + patch] += 1
        return divide(total, count)
    return occlusion_map


def _r18_values_of_all_coalitions(predict, x, background):
    """x and background in floats (ValueError for a wrong background) and v of every coalition, by bit mask."""
    x, background = np.asarray(x, dtype=float), np.asarray(background, dtype=float)
    if background.ndim != 2 or background.shape[1] != len(x):
        raise ValueError("background must have one column per feature")
    values = []
    for mask in range(2 ** len(x)):
        rows = background.copy()
        inside = [j for j in range(len(x)) if mask >> j & 1]
        rows[:, inside] = x[inside]
        values.append(np.mean(predict(rows)))
    return len(x), values


def _r18_shapley_by_dividends(predict, x, background):
    """Harsanyi dividends d(T) = sum over U in T of (-1)^(|T|-|U|) v(U), each shared equally by T's features."""
    n, v = _r18_values_of_all_coalitions(predict, x, background)
    phi = np.zeros(n)
    for team in range(1, 2 ** n):
        dividend, part = 0.0, team
        while True:
            dividend += (-1) ** (bin(team).count("1") - bin(part).count("1")) * v[part]
            if part == 0:
                break
            part = (part - 1) & team
        for i in range(n):
            if team >> i & 1:
                phi[i] += dividend / bin(team).count("1")
    return phi


def _r18_shapley_by_coalitions_holding_i(predict, x, background, separate_sums=False):
    """The sum over the coalitions T that hold i, weight (|T|-1)! (n-|T|)! / n!; maybe as two separate sums."""
    n, v = _r18_values_of_all_coalitions(predict, x, background)
    phi = np.zeros(n)
    for i in range(n):
        with_i = without_i = 0.0
        for team in range(2 ** n):
            if team >> i & 1:
                size = bin(team).count("1")
                weight = math.factorial(size - 1) * math.factorial(n - size) / math.factorial(n)
                with_i, without_i = with_i + weight * v[team], without_i + weight * v[team ^ 1 << i]
                if not separate_sums:
                    phi[i] += weight * (v[team] - v[team ^ 1 << i])
        if separate_sums:
            phi[i] = with_i - without_i
    return phi


@pytest.mark.wide
@pytest.mark.parametrize("name, answer", [
    ("saliency_map", _r18_saliency_of_the_score_s_size),
    ("saliency_map", _r18_saliency_of_a_batch_of_two),
    ("saliency_map", _r18_saliency_in_eval_mode_put_back),
    ("integrated_gradients", _r18_integrated_gradients_by(_r18_midpoints, lambda x, b, a: b + a * (x - b))),
    ("integrated_gradients", _r18_integrated_gradients_by(_r18_midpoints, lambda x, b, a: a * x + (1 - a) * b)),
    ("integrated_gradients", _r18_integrated_gradients_by(_r18_midpoints, lambda x, b, a: b + a * (x - b),
                                                          mean_score=True)),
    ("occlusion_map", _r18_occlusion_by(lambda total, count: total / np.maximum(count, 1))),
    ("occlusion_map", _r18_occlusion_by(lambda total, count: np.nan_to_num(total / np.where(count, count, np.nan)))),
    ("occlusion_map", _r18_occlusion_by(lambda total, count: np.divide(total, count, out=np.zeros_like(total),
                                                                       where=count > 0), columns_first=True)),
    ("exact_shapley_values", _r18_shapley_by_dividends),
    ("exact_shapley_values", _r18_shapley_by_coalitions_holding_i),
    ("exact_shapley_values", lambda predict, x, background: _r18_shapley_by_coalitions_holding_i(
        predict, x, background, separate_sums=True)),
], ids=["saliency of |score|", "saliency in a batch of two", "saliency in eval mode put back",
        "ig arange(0.5, steps)", "ig convex combination", "ig mean score",
        "occlusion count at least 1", "occlusion nan_to_num", "occlusion columns first",
        "shapley Harsanyi dividends", "shapley coalitions holding i", "shapley two separate sums"])
def test_lesson_07_round_18_right_answers_written_other_ways_pass(name, answer):
    _passes(name, answer)


def _r18_integrated_gradients_by_right_sums(model, x, target, baseline, steps):
    """The points alpha = (k + 1) / steps, k = 0 ... steps - 1: a right Riemann sum, ending at x itself."""
    import torch

    if steps < 1:
        raise ValueError("steps must be at least 1")
    x = torch.as_tensor(x, dtype=torch.float32)
    baseline = torch.zeros_like(x) if baseline is None else torch.as_tensor(baseline, dtype=torch.float32)
    alphas = ((torch.arange(steps) + 1.0) / steps).reshape(-1, *[1] * x.ndim)
    points = (baseline + alphas * (x - baseline)).requires_grad_(True)
    model(points)[:, target].sum().backward()
    return (x - baseline) * points.grad.mean(dim=0)


def _r18_occlusion_without_the_last_window(predict, image, patch, stride, fill):
    """Corners range(0, H - patch, stride): the window that ends at the last row (or column) is left out."""
    image = np.asarray(image, dtype=float)
    if patch > min(image.shape):
        raise ValueError("the patch is larger than the image")
    total, count, original = np.zeros(image.shape), np.zeros(image.shape), predict(image[None])[0]
    for i in range(0, image.shape[0] - patch, stride):
        for j in range(0, image.shape[1] - patch, stride):
            covered = image.copy()
            covered[i:i + patch, j:j + patch] = fill
            total[i:i + patch, j:j + patch] += original - predict(covered[None])[0]
            count[i:i + patch, j:j + patch] += 1
    return np.divide(total, count, out=np.zeros_like(total), where=count > 0)


@pytest.mark.parametrize("name, answer, says", [
    ("integrated_gradients", _r18_integrated_gradients_by_right_sums, "end at alpha = 1"),
    ("occlusion_map", _r18_occlusion_without_the_last_window, "range(0, H - patch + 1, stride)"),
], ids=["ig right Riemann sum", "occlusion without the last window"])
def test_lesson_07_round_18_common_slips_are_named(name, answer, says):
    """Each was refused with a bare "wrong value" and no hint of what was wrong."""
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and says in verdict.text, verdict.text


def _r18_zero_saliency(model, x, target):
    """Zeros of x's shape, after the model's forward pass (so that a class that does not exist still raises)."""
    import torch

    x = torch.as_tensor(x, dtype=torch.float32)
    if not 0 <= target < model(x[None]).shape[1]:
        raise IndexError("no such class")
    return np.zeros(tuple(x.shape), dtype=np.float32)


def _r18_zero_gradients(outputs, inputs, *args, **kwargs):
    import torch

    return tuple(torch.zeros_like(value) for value in (inputs if isinstance(inputs, (tuple, list)) else (inputs,)))


def _r18_zeros_of(tensor, *args, **kwargs):
    return np.zeros(tuple(tensor.shape), dtype=np.float32)


@pytest.mark.parametrize("owner, name, patch", [("torch.autograd", "grad", _r18_zero_gradients),
                                                ("torch.Tensor", "numpy", _r18_zeros_of)],
                         ids=["torch.autograd.grad", "torch.Tensor.numpy"])
def test_lesson_07a_round_18_torch_functions_replaced_in_an_earlier_cell_are_refused(owner, name, patch):
    """Passed (shortcut): torch.autograd.grad or Tensor.numpy replaced in an earlier cell made the reference's maps
    zeros too, so an answer of zeros passed (the checks watched numpy's and the course's names, not torch's)."""
    import torch

    holder = torch.autograd if owner == "torch.autograd" else torch.Tensor
    original, patch.__module__ = getattr(holder, name), "__main__"   # defined in a notebook cell
    setattr(holder, name, patch)
    try:
        verdict = judge(registry.get_exercise("saliency_map"), _r18_zero_saliency)
    finally:
        setattr(holder, name, original)
        patch.__module__ = __name__
    assert verdict.kind == WRONG and f"{owner}.{name}" in verdict.text, verdict.text


def _r18_saliency_right_once_then_autograd_replaced():
    import torch

    calls = []

    def saliency_map(model, x, target):
        calls.append(None)
        if len(calls) == 1:
            right = reference_copy("saliency_map")(model, x, target)
            torch.autograd.grad = _r18_zero_gradients                  # every later reference map is zeros
            return right
        return _r18_zero_saliency(model, x, target)
    return saliency_map


def test_lesson_07a_round_18_torch_autograd_grad_replaced_by_the_answer_is_put_back_and_named():
    """Passed (contrived): right on the first case, then torch.autograd.grad replaced, which stayed replaced."""
    import torch

    original = torch.autograd.grad
    try:
        verdict = judge(registry.get_exercise("saliency_map"), _r18_saliency_right_once_then_autograd_replaced())
        put_back = torch.autograd.grad is original
    finally:
        torch.autograd.grad = original
    assert verdict.kind == WRONG and "torch.autograd.grad" in verdict.text and put_back, verdict.text


# round 19: lesson 07
def _r19_shapley_in_float32(predict, x, background, result=lambda phi: phi):
    """The lesson's answer with x and the background converted to float32 ("as the model computes", as 07a asks for
    its gradients), not float64 as Exercise 4 asks: right to about 7 digits."""
    import itertools

    x, background = np.asarray(x, dtype=np.float32), np.atleast_2d(np.asarray(background, dtype=np.float32))
    if background.shape[1] != len(x):
        raise ValueError("background must have one column per feature")
    n, phi = len(x), np.zeros(len(x))
    for i in range(n):
        for size in range(n):
            for S in itertools.combinations([j for j in range(n) if j != i], size):
                with_i, without = background.copy(), background.copy()
                with_i[:, list(S) + [i]], without[:, list(S)] = x[list(S) + [i]], x[list(S)]
                weight = math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n)
                phi[i] += weight * (np.mean(predict(with_i)) - np.mean(predict(without)))
    return result(phi)


def _r19_ig_with_alphas_from_numpy(alphas_of):
    """The lesson's batched answer with its alphas made by numpy (float64), so the points become float64."""
    def integrated_gradients(model, x, target, baseline, steps):
        import torch

        if steps < 1:
            raise ValueError("steps must be at least 1")
        x = torch.as_tensor(x, dtype=torch.float32)
        baseline = torch.zeros_like(x) if baseline is None else torch.as_tensor(baseline, dtype=torch.float32)
        alphas = torch.from_numpy(alphas_of(steps)).reshape(-1, *[1] * x.ndim)
        points = (baseline + alphas * (x - baseline)).requires_grad_(True)
        model(points)[:, target].sum().backward()
        return (x - baseline) * points.grad.mean(dim=0)
    return integrated_gradients


@pytest.mark.parametrize("name, answer, says", [
    ("exact_shapley_values", _r19_shapley_in_float32, "precision of float32"),
    ("exact_shapley_values", lambda predict, x, background: _r19_shapley_in_float32(
        predict, x, background, result=lambda phi: phi.astype(np.float32)), "precision of float32"),
    ("integrated_gradients", _r19_ig_with_alphas_from_numpy(lambda steps: (np.arange(steps) + 0.5) / steps),
     "alphas are float64"),
    ("integrated_gradients", _r19_ig_with_alphas_from_numpy(lambda steps: np.linspace(0.5 / steps, 1 - 0.5 / steps,
                                                                                        steps)), "alphas are float64"),
], ids=["shapley computed in float32", "shapley returned in float32", "ig alphas by np.arange",
        "ig alphas by np.linspace"])
def test_lesson_07_round_19_float32_shapley_values_and_float64_alphas_are_named(name, answer, says):
    """Rejected, but told only "wrong value: expected 2.42933372, got 2.42933375" (Shapley values computed in float32)
    or torch's "mat1 and mat2 must have the same dtype, but got Double and Float" (alphas from numpy, with x already
    converted to float32 as the exercise asks): neither said what to change."""
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and says in verdict.text, verdict.text


def _r19_saliency_by_vjp(model, x, target):
    import torch

    x = torch.as_tensor(x, dtype=torch.float32)
    _, grad = torch.autograd.functional.vjp(lambda z: model(z[None])[0, target], x)
    return grad.abs()


def _r19_saliency_of_the_batch_row(model, x, target):
    import torch

    batch = torch.as_tensor(x, dtype=torch.float32).clone().unsqueeze(0).requires_grad_(True)
    model(batch)[0][target].backward()
    return batch.grad[0].abs()


def _r19_ig_from_x_to_the_baseline(model, x, target, baseline, steps):
    """The path walked backwards, x + alpha (baseline - x): the midpoints are the same points."""
    import torch

    if steps < 1:
        raise ValueError("steps must be at least 1")
    x = torch.as_tensor(x, dtype=torch.float32)
    baseline = 0 * x if baseline is None else torch.as_tensor(baseline, dtype=torch.float32)
    alphas = torch.linspace(0.5 / steps, 1 - 0.5 / steps, steps).view(steps, *[1] * x.dim())
    points = (x + alphas * (baseline - x)).requires_grad_(True)
    model(points)[:, target].mean().backward()          # the mean: each row's gradient divided by steps already
    return ((x - baseline) * points.grad.sum(dim=0)).numpy()


def _r19_occlusion_by_add_at(predict, image, patch, stride, fill):
    image = np.array(image, dtype=np.float64)
    height, width = image.shape
    if patch > height or patch > width:
        raise ValueError("the patch does not fit into the image")
    corners = [(i, j) for i in range(0, height - patch + 1, stride) for j in range(0, width - patch + 1, stride)]
    batch = np.stack([image] * len(corners))
    for k, (i, j) in enumerate(corners):
        batch[k, i:i + patch, j:j + patch] = fill
    drops = predict(image[None])[0] - predict(batch)
    total, count = np.zeros_like(image), np.zeros_like(image)
    for drop, (i, j) in zip(drops, corners):
        rows, cols = np.meshgrid(np.arange(i, i + patch), np.arange(j, j + patch), indexing="ij")
        np.add.at(total, (rows, cols), drop)
        np.add.at(count, (rows, cols), 1)
    return np.divide(total, count, out=total.copy(), where=count > 0)   # total is 0 where count is 0


def _r19_shapley_over_all_orders(predict, x, background):
    """Each order of the n features, each feature's gain when it joins: the mean over the n! orders."""
    import itertools

    x, background = np.asarray(x, dtype=float), np.asarray(background, dtype=float)
    if background.ndim != 2 or background.shape[1] != x.size:
        raise ValueError("background must have one column per feature")
    cache = {}

    def v(S):
        key = frozenset(S)
        if key not in cache:
            rows = background.copy()
            rows[:, sorted(key)] = x[sorted(key)]
            cache[key] = predict(rows).mean()
        return cache[key]
    orders = list(itertools.permutations(range(x.size)))
    phi = np.zeros(x.size)
    for order in orders:
        for k, i in enumerate(order):
            phi[i] += v(order[:k + 1]) - v(order[:k])
    return phi / len(orders)


@pytest.mark.wide
@pytest.mark.parametrize("name, answer", [
    ("saliency_map", _r19_saliency_by_vjp), ("saliency_map", _r19_saliency_of_the_batch_row),
    ("integrated_gradients", _r19_ig_from_x_to_the_baseline), ("occlusion_map", _r19_occlusion_by_add_at),
    ("exact_shapley_values", _r19_shapley_over_all_orders),
], ids=["saliency by vjp", "saliency of the batch row", "ig from x to the baseline", "occlusion by np.add.at",
        "shapley over all orders"])
def test_lesson_07_round_19_right_answers_written_other_ways_pass(name, answer):
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == PASSED, verdict.text


_R19_SLOW_BUFFERS: dict = {}


def _r19_saliency_into_a_buffer_slowly(model, x, target):
    """Passed (contrived): the map written into a buffer kept between calls, each call made to take 0.26 s, past the
    0.25 s under which the check calls an explanation again to look for a buffer."""
    import time

    import torch

    x = torch.as_tensor(x, dtype=torch.float32).clone().requires_grad_(True)
    model(x[None])[0, target].backward()
    buffer = _R19_SLOW_BUFFERS.setdefault(tuple(x.shape), torch.empty(x.shape))
    buffer.copy_(x.grad.abs())
    time.sleep(0.26)
    return buffer


def test_lesson_07a_round_19_a_buffer_kept_between_slow_calls_is_found():
    verdict = judge(registry.get_exercise("saliency_map"), _r19_saliency_into_a_buffer_slowly)
    assert verdict.kind == WRONG and "same memory" in verdict.text, verdict.text


# round 20: lesson 07
def _r20_saliency_by_the_course_s_gradient_helper(model, x, target):
    """attribution._target_gradients: the gradient of a batch's target scores, which attribution.gradient wraps."""
    import torch

    from course_utils import attribution

    return attribution._target_gradients(model, torch.as_tensor(x, dtype=torch.float32)[None], target)[0].abs()


def _r20_saliency_by_the_check_s_gradient_helper(model, x, target):
    """The topic module's own helper of its catalogued saliency mistakes, with the right score."""
    from course_utils.exercises import interpretability

    return interpretability._target_score_gradient(model, x, lambda scores: scores[0, target]).abs()


def _r20_integrated_gradients_by_the_course_s_gradient_helper(model, x, target, baseline, steps):
    import torch

    from course_utils import attribution

    if steps < 1:
        raise ValueError("steps must be at least 1")
    x = torch.as_tensor(x, dtype=torch.float32)
    baseline = torch.zeros_like(x) if baseline is None else torch.as_tensor(baseline, dtype=torch.float32)
    alphas = ((torch.arange(steps) + 0.5) / steps).reshape(-1, *[1] * x.ndim)
    return (x - baseline) * attribution._target_gradients(model, baseline + alphas * (x - baseline), target).mean(0)


def _r20_by_the_check_s_factory(name):
    """The factory of the topic module's catalogued mistakes, called with the right settings: a right answer."""
    from course_utils.exercises import interpretability as topic

    def integrated_gradients(model, x, target, baseline, steps):
        return topic._ig_with(topic._midpoints)(model, x, target, baseline, steps)

    def occlusion_map(predict, image, patch, stride, fill):
        return topic._occlusion_with()(predict, image, patch, stride, fill)

    def exact_shapley_values(predict, x, background):
        return topic._shapley_with(topic._shapley_weight)(predict, x, background)
    return {"integrated_gradients": integrated_gradients, "occlusion_map": occlusion_map,
            "exact_shapley_values": exact_shapley_values}[name]


@pytest.mark.parametrize("name, answer", [
    ("saliency_map", _r20_saliency_by_the_course_s_gradient_helper),
    ("saliency_map", _r20_saliency_by_the_check_s_gradient_helper),
    ("integrated_gradients", _r20_integrated_gradients_by_the_course_s_gradient_helper),
    ("integrated_gradients", _r20_by_the_check_s_factory("integrated_gradients")),
    ("occlusion_map", _r20_by_the_check_s_factory("occlusion_map")),
    ("exact_shapley_values", _r20_by_the_check_s_factory("exact_shapley_values")),
], ids=["saliency attribution._target_gradients", "saliency _target_score_gradient",
        "ig attribution._target_gradients", "ig _ig_with(_midpoints)", "occlusion _occlusion_with()",
        "shapley _shapley_with(_shapley_weight)"])
def test_lesson_07_round_20_course_helpers_that_compute_the_result_are_refused(name, answer):
    """Each passed, "correct on all 17 (20, 18, 21) test inputs": these course helpers compute the map (or the values)
    without calling the reference or a course function on the exercise's list, so nothing watched them."""
    _refused_as_the_course_s_own(name, answer)


class _R20LateMap:
    """Looks like a tensor to the check (detach, cpu, numpy), but computes the course's map only when the comparison
    converts it, after the check's watch of the course functions has ended (the check's other looks at the result
    are told apart by their frames and get a dummy array)."""

    def __init__(self, method, *args):
        self.method, self.args = method, args

    def __eq__(self, other):
        return isinstance(other, _R20LateMap)

    def detach(self):
        return self

    def cpu(self):
        return self

    def numpy(self):
        import sys

        if sys._getframe(2).f_code.co_name not in ("compare_values", "_kind_problem"):
            return np.zeros(1)
        from course_utils import attribution

        return getattr(attribution, self.method)(*self.args)


def _r20_saliency_computed_at_the_comparison(model, x, target):
    import torch

    if not 0 <= target < model(torch.as_tensor(x, dtype=torch.float32)[None]).shape[1]:
        raise IndexError("no such class")
    return _R20LateMap("saliency", model, x, target)


def _r20_occlusion_computed_at_the_comparison(predict, image, patch, stride, fill):
    if patch > min(np.shape(image)):
        raise ValueError("the patch is larger than the image")
    return _R20LateMap("occlusion", predict, image, patch, stride, fill)


@pytest.mark.parametrize("name, answer", [("saliency_map", _r20_saliency_computed_at_the_comparison),
                                          ("occlusion_map", _r20_occlusion_computed_at_the_comparison)],
                         ids=["saliency", "occlusion"])
def test_lesson_07_round_20_a_result_that_only_looks_like_a_tensor_is_refused(name, answer):
    """Passed, "correct on all 17 (18) test inputs": the check took anything with detach(), cpu() and numpy() for a
    tensor, and called its numpy() only in the comparison, where no course function is watched any more."""
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and "came back as a _R20LateMap" in verdict.text, verdict.text


def _r20_saliency_of_the_score_s_size(model, x, target):
    """The gradient of |score|: sign(score) times the gradient, the same size everywhere."""
    import torch

    x = torch.as_tensor(x, dtype=torch.float32).clone().requires_grad_(True)
    model(x[None])[0, target].abs().backward()
    return x.grad.abs()


def _r20_saliency_of_a_detached_copy(model, x, target):
    import torch

    x = torch.as_tensor(x, dtype=torch.float32).detach().requires_grad_(True)   # a new leaf, not the caller's x
    model(x.reshape(1, *x.shape))[0, target].backward()
    return x.grad.abs()


def _r20_saliency_in_a_batch_of_two(model, x, target):
    """x and a blank image in one batch (in eval() mode each row's score depends on its own row only)."""
    import torch

    x = torch.tensor(np.asarray(x, dtype=np.float32), requires_grad=True)
    (gradient,) = torch.autograd.grad(model(torch.stack([x, torch.zeros_like(x)]))[0, target], x)
    return gradient.abs().numpy()


def _r20_integrated_gradients_from_x_back(model, x, target, baseline, steps):
    """The path walked from x to the baseline: the midpoints are symmetric, so the points are the same."""
    import torch

    if steps < 1:
        raise ValueError("steps must be at least 1")
    x = torch.as_tensor(x, dtype=torch.float32)
    baseline = torch.zeros_like(x) if baseline is None else torch.as_tensor(baseline, dtype=torch.float32)
    alphas = ((torch.arange(steps) + 0.5) / steps).reshape(-1, *[1] * x.ndim)
    points = (x + alphas * (baseline - x)).requires_grad_(True)
    model(points)[:, target].sum().backward()
    return (x - baseline) * points.grad.mean(dim=0)


def _r20_integrated_gradients_of_a_weighted_mix(model, x, target, baseline, steps):
    import torch

    if steps <= 0:
        raise ValueError("steps must be at least 1")
    x = torch.as_tensor(x, dtype=torch.float32)
    baseline = torch.zeros_like(x) if baseline is None else torch.as_tensor(baseline, dtype=torch.float32)
    alphas = torch.tensor([(k + 0.5) / steps for k in range(steps)]).reshape(-1, *[1] * x.ndim)
    points = (alphas * x + (1 - alphas) * baseline).requires_grad_(True)
    (gradients,) = torch.autograd.grad(model(points)[:, target].sum(), points)
    return (x - baseline).mul_(gradients.sum(dim=0) / steps)


def _r20_integrated_gradients_point_by_point(model, x, target, baseline, steps):
    import torch

    if steps < 1:
        raise ValueError("steps must be at least 1")
    x = torch.as_tensor(x, dtype=torch.float32)
    baseline = torch.zeros_like(x) if baseline is None else torch.as_tensor(baseline, dtype=torch.float32)
    points = baseline + torch.linspace(0.5 / steps, 1 - 0.5 / steps, steps).reshape(-1, *[1] * x.ndim) * (x - baseline)
    total = torch.zeros_like(x)
    for chunk in torch.split(points, 64):
        chunk = chunk.clone().requires_grad_(True)
        model(chunk)[:, target].sum().backward()
        total += chunk.grad.sum(dim=0)
    return ((x - baseline) * total / steps).numpy()


def _r20_occlusion_by(size_check, finish, corners=lambda side, patch, stride: range(0, side - patch + 1, stride)):
    def occlusion_map(predict, image, patch, stride, fill):
        image = np.asarray(image).astype(np.float64)
        if size_check(patch, image.shape):
            raise ValueError("the patch is larger than the image")
        total, count, original = np.zeros(image.shape), np.zeros(image.shape), predict(image[None])[0]
        for i in corners(image.shape[0], patch, stride):
            for j in corners(image.shape[1], patch, stride):
                covered = image.copy()
                covered[i:i + patch, j:j + patch] = fill
                total[i:i + patch, j:j + patch] += original - predict(covered[None])[0]
                count[i:i + patch, j:j + patch] += 1
        return finish(total, count)
    return occlusion_map


def _r20_shapley_by(v_of, refuses=lambda background, x: background.shape[1] != len(x)):
    from itertools import combinations
    from math import comb

    def exact_shapley_values(predict, x, background):
        x, background = np.asarray(x, dtype=float), np.atleast_2d(np.asarray(background, dtype=float))
        if refuses(background, x):
            raise ValueError("background must have one column per feature")
        n, phi = len(x), np.zeros(len(x))
        for i in range(n):
            for s in range(n):
                for S in combinations([j for j in range(n) if j != i], s):
                    phi[i] += (v_of(predict, x, background, S + (i,)) - v_of(predict, x, background, S)) / (
                        n * comb(n - 1, s))
        return phi
    return exact_shapley_values


def _r20_v_row_by_row(predict, x, background, S):
    keep = np.isin(np.arange(len(x)), S)
    return np.mean([predict(np.where(keep, x, row)[None])[0] for row in background])


def _r20_v_in_a_restored_copy(predict, x, background, S):
    rows = np.array(background)
    saved = rows[:, list(S)].copy()
    rows[:, list(S)] = x[list(S)]
    value = predict(rows).mean()
    rows[:, list(S)] = saved
    return value


def _r20_v_from_x_rows(predict, x, background, S):
    rows = np.repeat(x[None], len(background), axis=0)
    rest = [j for j in range(len(x)) if j not in S]
    rows[:, rest] = background[:, rest]
    return float(np.sum(predict(rows)) / len(rows))


@pytest.mark.wide   # 12 whole checks, about 0.3 to 2 s each
@pytest.mark.parametrize("name, answer", [
    ("saliency_map", _r20_saliency_of_the_score_s_size),
    ("saliency_map", _r20_saliency_of_a_detached_copy),
    ("saliency_map", _r20_saliency_in_a_batch_of_two),
    ("integrated_gradients", _r20_integrated_gradients_from_x_back),
    ("integrated_gradients", _r20_integrated_gradients_of_a_weighted_mix),
    ("integrated_gradients", _r20_integrated_gradients_point_by_point),
    ("occlusion_map", _r20_occlusion_by(lambda patch, shape: patch > shape[0] or patch > shape[1],
                                        lambda total, count: total / np.where(count == 0, np.inf, count))),
    ("occlusion_map", _r20_occlusion_by(lambda patch, shape: patch > min(shape),
                                        lambda total, count: np.where(count > 0, total, 0) / np.maximum(count, 1))),
    ("occlusion_map", _r20_occlusion_by(lambda patch, shape: not all(patch <= side for side in shape),
                                        lambda total, count: np.divide(total, count, out=np.zeros_like(total),
                                                                       where=count > 0),
                                        lambda side, patch, stride: [i for i in range(side) if i % stride == 0
                                                                     and i + patch <= side])),
    ("exact_shapley_values", _r20_shapley_by(_r20_v_row_by_row)),
    ("exact_shapley_values", _r20_shapley_by(_r20_v_in_a_restored_copy,
                                             refuses=lambda background, x: background.shape[-1] != x.shape[0])),
    ("exact_shapley_values", _r20_shapley_by(_r20_v_from_x_rows)),
], ids=["saliency of |score|", "saliency detached copy, reshape", "saliency batch of two", "ig from x back",
        "ig weighted mix, list alphas, mul_", "ig in chunks of 64, linspace", "occlusion count inf",
        "occlusion where and maximum", "occlusion corners filtered", "shapley row by row",
        "shapley restored copy", "shapley rows from x"])
def test_lesson_07_round_20_right_answers_written_other_ways_pass(name, answer):
    _passes(name, answer)


def _r20_shapley_rounded(digits):
    """Right Shapley values, rounded "for the printout" before they are returned."""
    answer = _r20_shapley_by(_r20_v_in_a_restored_copy)

    def exact_shapley_values(predict, x, background):
        return np.round(answer(predict, x, background), digits)
    return exact_shapley_values


@pytest.mark.parametrize("digits", [6, 3])
def test_lesson_07b_round_20_rounded_shapley_values_are_named(digits):
    """Told "only to about 7 digits, the precision of float32: compute in float64" (6 decimals), which the answer
    already did, or only "wrong value" (3 decimals)."""
    verdict = judge(registry.get_exercise("exact_shapley_values"), _r20_shapley_rounded(digits))
    assert verdict.kind == WRONG and f"rounded to {digits} decimals" in verdict.text, verdict.text
    assert "float32" not in verdict.text


# round 21: lesson 07
def _r21_counting_mlp(calls):
    """_tiny_mlp's shape (6 inputs, 3 scores) with a forward pre-hook that counts the model's calls in ``calls``."""
    import torch

    with torch.random.fork_rng(devices=[]):   # the tests' random numbers are left as they were
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3)).eval()
    model.register_forward_pre_hook(lambda module, args: calls.append(len(args[0])))
    return model


def test_lesson_07a_round_21_ig_mistakes_compute_every_point_in_one_pass():
    """The catalogued integrated-gradients mistakes made by one factory ran the model once per point: an answer
    wrong only on the 2048-step case waited about 4 s while the check tried seven of them 2048 passes each."""
    import torch

    for mistake in registry.get_exercise("integrated_gradients").mistakes:
        if mistake.name not in ("left Riemann sum", "right Riemann sum", "no (x - baseline)", "sum, not mean",
                                "path from zero", "endpoints included", "only steps = 0 rejected"):
            continue
        calls = []
        mistake.answer(_r21_counting_mlp(calls), torch.linspace(-1, 1, 6), 1, None, 2048)
        assert calls == [2048], (mistake.name, len(calls))


def _r21_occlusion_over_every_corner(predict, image, patch, stride, fill):
    """Corners range(0, H, stride): the slices cut the last windows off at the border, as Captum's Occlusion does."""
    image = np.asarray(image, dtype=float)
    if patch > min(image.shape):
        raise ValueError("the patch does not fit into the image")
    total, count, original = np.zeros(image.shape), np.zeros(image.shape), predict(image[None])[0]
    for i in range(0, image.shape[0], stride):
        for j in range(0, image.shape[1], stride):
            covered = image.copy()
            covered[i:i + patch, j:j + patch] = fill
            total[i:i + patch, j:j + patch] += original - predict(covered[None])[0]
            count[i:i + patch, j:j + patch] += 1
    return np.divide(total, count, out=np.zeros_like(total), where=count > 0)


def test_lesson_07b_round_21_occlusion_windows_cut_off_at_the_border_are_named():
    """Told only "wrong value at index (0, 5)": the learner's windows are right inside the image."""
    verdict = judge(registry.get_exercise("occlusion_map"), _r21_occlusion_over_every_corner)
    assert verdict.kind == WRONG and verdict.mistake == "windows cut off at the border", verdict.text
    assert "range(0, H - patch + 1, stride)" in verdict.text


def _r21_ig_times_x(model, x, target, baseline, steps):
    """The lesson's batched answer with x * mean gradient, the formula for a zero baseline."""
    import torch

    if steps < 1:
        raise ValueError("steps must be at least 1")
    x = torch.as_tensor(x, dtype=torch.float32)
    baseline = torch.zeros_like(x) if baseline is None else torch.as_tensor(baseline, dtype=torch.float32)
    alphas = ((torch.arange(steps) + 0.5) / steps).reshape(-1, *[1] * x.ndim)
    points = (baseline + alphas * (x - baseline)).requires_grad_(True)
    model(points)[:, target].sum().backward()
    return x * points.grad.mean(dim=0)


def test_lesson_07a_round_21_ig_times_x_is_named():
    """Told only "wrong value" on the first non-zero baseline."""
    verdict = judge(registry.get_exercise("integrated_gradients"), _r21_ig_times_x)
    assert verdict.kind == WRONG and verdict.mistake == "x, not (x - baseline)", verdict.text


def _r21_ig_averaged_twice(model, x, target, baseline, steps):
    """The lesson's batched answer with backward() on the mean of the scores, as for a loss."""
    import torch

    if steps < 1:
        raise ValueError("steps must be at least 1")
    x = torch.as_tensor(x, dtype=torch.float32)
    baseline = torch.zeros_like(x) if baseline is None else torch.as_tensor(baseline, dtype=torch.float32)
    alphas = ((torch.arange(steps) + 0.5) / steps).reshape(-1, *[1] * x.ndim)
    points = (baseline + alphas * (x - baseline)).requires_grad_(True)
    model(points)[:, target].mean().backward()
    return (x - baseline) * points.grad.mean(dim=0)


def test_lesson_07a_round_21_ig_averaged_twice_is_named():
    """Told only "wrong value: expected 0.0814404, got 0.00509002" (16 steps: 16 times too small)."""
    verdict = judge(registry.get_exercise("integrated_gradients"), _r21_ig_averaged_twice)
    assert verdict.kind == WRONG and verdict.mistake == "averaged twice", verdict.text


def _r21_saliency_of_a_detached_view(model, x, target):
    """.detach() instead of .clone(): a new tensor object that shares x's memory, so the caller's x keeps no flag."""
    import torch

    x = torch.as_tensor(x, dtype=torch.float32).detach().requires_grad_(True)
    model(x[None])[0, target].backward()
    return x.grad.abs()


def _r21_saliency_by_torch_tensor(model, x, target):
    """torch.tensor(x, ...) copies x, even a tensor (with a warning): x[None] written as unsqueeze, [0][target]."""
    import torch

    x = torch.tensor(x, dtype=torch.float32, requires_grad=True)
    model(x.unsqueeze(0))[0][target].backward()
    return x.grad.abs().numpy()


def _r21_ig_from(alphas_of, score_gradient):
    """The lesson's batched integrated gradients with other alphas and another way to the points' gradients."""
    def integrated_gradients(model, x, target, baseline, steps):
        import torch

        if not steps > 0:
            raise ValueError("steps must be positive")
        x = torch.as_tensor(x, dtype=torch.float32)
        baseline = torch.as_tensor(0.0 if baseline is None else baseline, dtype=torch.float32)   # 0 broadcasts
        alphas = alphas_of(steps).reshape(-1, *[1] * x.ndim)
        points = (baseline + alphas * (x - baseline)).requires_grad_(True)
        return (x - baseline) * score_gradient(model(points)[:, target], points).sum(dim=0) / steps
    return integrated_gradients


def _r21_gradient_by_ones(scores, points):
    import torch

    return torch.autograd.grad(scores, points, grad_outputs=torch.ones_like(scores))[0]


def _r21_gradient_by_backward(scores, points):
    scores.sum().backward()
    return points.grad


def _r21_occlusion_counted_apart(predict, image, patch, stride, fill):
    """The corners by np.arange, the drops in a list, and the count of windows per pixel in a second pass."""
    image = np.array(image, dtype=float)
    if patch > image.shape[0] or patch > image.shape[1]:
        raise ValueError("the patch does not fit into the image")
    corners = [(i, j) for i in np.arange(0, image.shape[0] - patch + 1, stride)
               for j in np.arange(0, image.shape[1] - patch + 1, stride)]
    drops = []
    for i, j in corners:
        covered = image.copy()
        covered[i:i + patch, j:j + patch] = fill
        drops.append(predict(image[None])[0] - predict(covered[None])[0])
    total, count = np.zeros_like(image), np.zeros_like(image)
    for (i, j), drop in zip(corners, drops):
        total[i:i + patch, j:j + patch] += drop
    for i, j in corners:
        count[i:i + patch, j:j + patch] += 1
    return total / (count + (count == 0))


def _r21_occlusion_by_np_where(predict, image, patch, stride, fill):
    """Each covered image by np.where over a window mask of the image's shape, all scored in one batch."""
    image = np.asarray(image).astype(float)
    height, width = image.shape
    if patch > min(height, width):
        raise ValueError("the patch does not fit into the image")
    rows, cols = np.arange(height)[:, None], np.arange(width)[None, :]
    masks = np.array([(rows >= i) & (rows < i + patch) & (cols >= j) & (cols < j + patch)
                      for i in range(0, height - patch + 1, stride) for j in range(0, width - patch + 1, stride)])
    drops = predict(image[None])[0] - predict(np.where(masks, fill, image))
    count = masks.sum(axis=0)
    return np.where(count > 0, np.tensordot(drops, masks, axes=1) / np.maximum(count, 1), 0.0)


def _r21_shapley_by(weight_of, v_of):
    """The enumeration of the lesson with another weight and another v(S)."""
    def exact_shapley_values(predict, x, background):
        import itertools

        x, background = np.asarray(x, dtype=np.float64), np.asarray(background, dtype=np.float64)
        if background.shape[-1] != x.size:
            raise ValueError("background needs one column per feature")
        n, phi = x.size, np.zeros(x.size)
        for i in range(n):
            for size in range(n):
                for S in itertools.combinations([j for j in range(n) if j != i], size):
                    phi[i] += weight_of(size, n) * (v_of(predict, x, background, S + (i,))
                                                    - v_of(predict, x, background, S))
        return phi
    return exact_shapley_values


def _r21_v_by_mask(predict, x, background, S):
    mask = np.zeros(x.size, dtype=bool)
    mask[list(S)] = True
    return predict(np.where(mask, x, background)).sum() / len(background)


def _r21_v_by_columns(predict, x, background, S):
    return np.mean(predict(np.column_stack([x[j] * np.ones(len(background)) if j in S else background[:, j]
                                            for j in range(x.size)])))


@pytest.mark.parametrize("name, answer", [
    ("saliency_map", _r21_saliency_of_a_detached_view),
    ("saliency_map", _r21_saliency_by_torch_tensor),
    ("integrated_gradients", _r21_ig_from(lambda steps: __import__("torch").arange(0.5, steps) / steps,
                                          _r21_gradient_by_ones)),
    ("integrated_gradients", _r21_ig_from(lambda steps: __import__("torch").linspace(0, 1, steps + 1)[1:] - 0.5 / steps,
                                          _r21_gradient_by_backward)),
    ("occlusion_map", _r21_occlusion_counted_apart),
    ("occlusion_map", _r21_occlusion_by_np_where),
    ("exact_shapley_values", _r21_shapley_by(lambda size, n: 1 / (n * math.comb(n - 1, size)), _r21_v_by_mask)),
    ("exact_shapley_values", _r21_shapley_by(lambda size, n: math.factorial(size) * math.factorial(n - size - 1)
                                             / math.factorial(n), _r21_v_by_columns)),
], ids=["saliency detach", "saliency torch.tensor", "ig arange(0.5, steps), grad_outputs, scalar baseline",
        "ig linspace minus half a step", "occlusion counted in a second pass", "occlusion by np.where masks",
        "shapley 1 / (n comb(n-1, s)), v by a mask", "shapley v by column_stack"])
def test_lesson_07_round_21_answers_written_other_ways_pass(name, answer):
    _passes(name, answer)


# ---------------------------------------------------------------- lessons 05 and 06: checks that passed wrong work
def _conv(image, kernel, kh, kw):
    return np.array([[np.sum(image[i:i + kh, j:j + kw] * kernel) for j in range(image.shape[1] - kw + 1)]
                     for i in range(image.shape[0] - kh + 1)]).reshape(image.shape[0] - kh + 1, -1)


def _conv_comparing_sizes(image, kernel):
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    if image.ndim != 2 or kernel.ndim != 2 or kernel.size > image.size:
        raise ValueError("the kernel does not fit")
    return _conv(image, kernel, *kernel.shape)


def _conv_checking_only_the_image_is_2d(image, kernel):
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    kh, kw = kernel.shape[0], kernel.shape[1]
    if image.ndim != 2 or kh > image.shape[0] or kw > image.shape[1]:
        raise ValueError("the kernel does not fit")
    return _conv(image, kernel, kh, kw)


@pytest.mark.parametrize("answer", [_conv_comparing_sizes, _conv_checking_only_the_image_is_2d])
def test_conv2d_valid_rejects_a_kernel_that_fits_only_one_way_or_is_3d(answer):
    with pytest.raises(ExerciseFailed):
        check("conv2d_valid", answer, strict=True)


def _size_checking_types_of(*checked):
    def size(n, kernel, padding=0, stride=1):
        named = {"n": n, "kernel": kernel, "padding": padding, "stride": stride}
        if any(isinstance(named[k], bool) or not isinstance(named[k], int) for k in checked):
            raise TypeError("not an int")
        if kernel > n + 2 * padding or stride < 1 or padding < 0:
            raise ValueError("invalid size")
        return int((n + 2 * padding - kernel) // stride + 1)
    return size


@pytest.mark.parametrize("checked", [("n",), ("n", "kernel"), ("n", "kernel", "stride")])
def test_conv_output_size_wants_every_argument_type_checked(checked):
    with pytest.raises(ExerciseFailed):
        check("conv_output_size", _size_checking_types_of(*checked), strict=True)


def test_conv_output_size_rejects_a_width_check_by_truncated_division():
    with pytest.raises(ExerciseFailed, match="a 4-wide kernel on 3 pixels"):
        check("conv_output_size", catalogued("conv_output_size", "truncates toward zero"), strict=True)


def test_cnn_param_count_wants_size_and_kernel_type_checked():
    with pytest.raises(ExerciseFailed, match="on input a float size"):
        check("cnn_param_count", catalogued("cnn_param_count", "size and kernel types not checked"), strict=True)


def test_torch_accuracy_rejects_labels_as_a_column():
    def checks_the_length_only(logits, labels):
        if logits.ndim != 2 or labels.numel() != len(logits) or not len(logits):
            raise ValueError("shapes")
        return (logits.argmax(dim=1) == labels).float().mean().item()

    with pytest.raises(ExerciseFailed, match="labels as a column"):
        check("torch_accuracy", checks_the_length_only, strict=True)


def test_torch_train_step_must_use_the_loss_it_is_given():
    with pytest.raises(ExerciseFailed, match="label smoothing"):
        check("torch_train_step", catalogued("torch_train_step", "its own loss function"), strict=True)


def test_predict_one_image_rejects_a_check_of_the_number_of_dimensions_only():
    with pytest.raises(ExerciseFailed, match="a 14x56 image"):
        check("predict_one_image", catalogued("predict_one_image", "only the number of dimensions checked"),
              strict=True)


def _conv_in_the_kernels_dtype(image, kernel):
    image, kernel = np.asarray(image), np.asarray(kernel)
    if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("the kernel does not fit")
    return _conv(image.astype(kernel.dtype), kernel, *kernel.shape)  # an int kernel cuts the image's fractions


def _conv_loops_of_at_most_3(image, kernel):
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("the kernel does not fit")
    kh, kw = kernel.shape
    return np.array([[sum(image[i + u, j + v] * kernel[u, v] for u in range(min(3, kh)) for v in range(min(3, kw)))
                      for j in range(image.shape[1] - kw + 1)] for i in range(image.shape[0] - kh + 1)])


@pytest.mark.parametrize("answer", [catalogued("conv2d_valid", "output in the kernel's dtype"),
                                    _conv_in_the_kernels_dtype, _conv_loops_of_at_most_3],
                         ids=["output in the kernel's dtype", "image in the kernel's dtype", "loops of at most 3"])
def test_conv2d_valid_tries_a_float_image_with_an_integer_kernel_wider_than_3(answer):
    with pytest.raises(ExerciseFailed, match="an integer 5x4 kernel"):
        check("conv2d_valid", answer, strict=True)


def test_conv2d_valid_names_an_output_in_the_kernels_dtype():
    verdict = judge(registry.get_exercise("conv2d_valid"), catalogued("conv2d_valid", "output in the kernel's dtype"))
    assert verdict.mistake == "output in the kernel's dtype", verdict.text


def _step_in_float64_by_to(model, loss_fn, optimizer, x, y):
    import torch

    model.to(torch.float64)
    optimizer.zero_grad()
    loss = loss_fn(model(x.to(torch.float64)), y)
    loss.backward()
    optimizer.step()
    return float(loss)


@pytest.mark.parametrize("answer", [catalogued("torch_train_step", "model cast to float64"), _step_in_float64_by_to])
def test_torch_train_step_must_leave_the_models_dtype_alone(answer):
    with pytest.raises(ExerciseFailed, match="changed the dtype of the caller's model"):
        check("torch_train_step", answer, strict=True)


def test_torch_train_step_may_cast_x_to_the_models_dtype():
    def casts_x(model, loss_fn, optimizer, x, y):
        optimizer.zero_grad()
        loss = loss_fn(model(x.to(next(model.parameters()).dtype)), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    _passes("torch_train_step", casts_x)


def _returns_nothing(*args, **kwargs):
    return None


@pytest.mark.parametrize("name", ["conv_output_size", "build_cnn", "predict_one_image", "torch_train_step"])
def test_lessons_05_and_06_runners_say_a_missing_return(name):
    with pytest.raises(ExerciseFailed, match="returned None. Did you forget `return`"):
        check(name, _returns_nothing, strict=True)


@pytest.mark.parametrize("cast", [lambda image: image // 255, lambda image: (image / 255).astype(np.uint8)],
                         ids=["// 255", "/ 255 cast back to uint8"])
def test_predict_one_image_names_an_integer_scaling(cast):
    def predict(model, image):
        image = np.asarray(image)
        if image.shape not in {(28, 28), (28, 28, 1)}:
            raise ValueError("expected one 28x28 image")
        return int(np.argmax(model.predict(cast(image.reshape(1, 28, 28, 1)), verbose=0)[0]))

    with pytest.raises(ExerciseFailed, match=r"image // 255 \(or image / 255 cast back to uint8\)"):
        check("predict_one_image", predict, strict=True)


# lessons 05 and 06: 1-D inputs, a float kernel, even kernels, arguments by position, 0-d labels and 3-D
# probabilities, dark and int64 images, batch normalisation
def _conv_rejecting_only_more_than_2d(image, kernel):
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    if image.ndim > 2 or kernel.ndim > 2:
        raise ValueError("image and kernel must be 2-D")
    kh, kw = kernel.shape
    if kh > image.shape[0] or kw > image.shape[1]:  # IndexError for a 1-D image
        raise ValueError("the kernel does not fit")
    return _conv(image, kernel, kh, kw)


def _conv_making_1d_a_row(image, kernel):
    image, kernel = np.atleast_2d(np.asarray(image, dtype=float)), np.atleast_2d(np.asarray(kernel, dtype=float))
    if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("the kernel does not fit")
    return _conv(image, kernel, *kernel.shape)


@pytest.mark.parametrize("answer, mistake", [(_conv_rejecting_only_more_than_2d, "only more than 2 dimensions rejected"),
                                             (_conv_making_1d_a_row, "1-D input taken as one row")])
def test_conv2d_valid_rejects_1d_inputs(answer, mistake):
    with pytest.raises(ExerciseFailed, match="a 1-D image"):
        check("conv2d_valid", answer, strict=True)
    assert judge(registry.get_exercise("conv2d_valid"), answer).mistake == mistake


def test_conv2d_valid_accepts_a_2d_unpacking_that_rejects_1d_inputs_by_itself():
    def unpacks(image, kernel):
        image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
        if image.ndim > 2 or kernel.ndim > 2:
            raise ValueError("image and kernel must be 2-D")
        (height, width), (kh, kw) = image.shape, kernel.shape  # ValueError for a 1-D input too
        if kh > height or kw > width:
            raise ValueError("the kernel does not fit")
        return _conv(image, kernel, kh, kw)

    _passes("conv2d_valid", unpacks)


def test_conv_output_size_wants_the_kernels_type_checked():
    with pytest.raises(ExerciseFailed, match="a float kernel"):
        check("conv_output_size", _size_checking_types_of("n", "padding", "stride"), strict=True)
    assert judge(registry.get_exercise("conv_output_size"),
                 _size_checking_types_of("n", "padding", "stride")).mistake == "kernel's type not checked"


def _params_cutting_kernel_halves(filters1, filters2, n_classes=10, size=28, kernel=3):
    for value in (filters1, filters2, n_classes, size, kernel):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError("not an int")
        if value < 1:
            raise ValueError("below 1")
    cut = 2 * (kernel // 2)  # "kernel // 2 pixels off each side"
    side = ((size - cut) // 2 - cut) // 2
    if side < 1:
        raise ValueError("too small")
    return (kernel * kernel + 1) * filters1 + (kernel * kernel * filters1 + 1) * filters2 + \
        (side * side * filters2 + 1) * n_classes


def _params_in_another_order(filters1, filters2, size=28, kernel=3, n_classes=10):
    return reference_copy("cnn_param_count")(filters1, filters2, n_classes, size, kernel)


@pytest.mark.parametrize("answer, where", [(_params_cutting_kernel_halves, "2x2 kernels"),
                                           (_params_in_another_order, "all five arguments by position")])
def test_cnn_param_count_tries_an_even_kernel_and_arguments_by_position(answer, where):
    with pytest.raises(ExerciseFailed, match=where):
        check("cnn_param_count", answer, strict=True)


def _accuracy_with(check_shapes):
    def accuracy(y_true, probabilities):
        y_true, probabilities = np.asarray(y_true), np.asarray(probabilities, dtype=float)
        if check_shapes(y_true, probabilities):
            raise ValueError("shapes")
        return float(np.mean(np.argmax(probabilities, axis=1) == y_true))
    return accuracy


@pytest.mark.parametrize("answer, where", [
    (_accuracy_with(lambda y, p: p.ndim != 2 or len(y) != len(p) or y.ndim != 1), "one label as a 0-d array"),
    (_accuracy_with(lambda y, p: p.ndim != 2 or y.shape[0] != p.shape[0] or y.ndim != 1), "one label as a 0-d array"),
    (_accuracy_with(lambda y, p: p.ndim == 1 or y.shape != (len(p),)), "3-D probabilities")],
    ids=["len() first", "shape[0] first", "only 1-D probabilities rejected"])
def test_accuracy_from_probs_tries_0d_labels_and_3d_probabilities(answer, where):
    with pytest.raises(ExerciseFailed, match=where):
        check("accuracy_from_probs", answer, strict=True)


def test_build_cnn_wants_its_arguments_in_the_given_order():
    def in_another_order(filters1=16, filters2=32, dropout=0.3, n_classes=10):
        return reference_copy("build_cnn")(filters1, filters2, n_classes, dropout)

    with pytest.raises(ExerciseFailed, match="all four arguments by position"):
        check("build_cnn", in_another_order, strict=True)


def _predict_with(prepare, check_shape=lambda image: image.shape not in {(28, 28), (28, 28, 1)}):
    def predict(model, image):
        image = np.asarray(image)
        if check_shape(image):
            raise ValueError("expected one 28x28 image")
        return int(np.argmax(model.predict(prepare(image), verbose=0)[0]))
    return predict


@pytest.mark.parametrize("answer, where", [
    (_predict_with(lambda im: im.reshape(1, 28, 28, 1) / (255.0 if im.max() > 1 else 1.0)), "a very dark ring"),
    (_predict_with(lambda im: im.reshape(1, 28, 28, 1) / np.iinfo(im.dtype).max), "int64 pixels"),
    (_predict_with(lambda im: im[:, :, :1].reshape(1, 28, 28, 1) / 255.0 if im.ndim == 3 else
                   im.reshape(1, 28, 28, 1) / 255.0, check_shape=lambda image: image.shape[:2] != (28, 28)),
     "a 28x28x3")], ids=["scaled only when above 1", "divided by the dtype's range", "first channel of RGB"])
def test_predict_one_image_tries_a_dark_image_int64_pixels_and_rgb(answer, where):
    with pytest.raises(ExerciseFailed, match=where):
        check("predict_one_image", answer, strict=True)


def test_torch_train_step_takes_the_batch_in_one_forward_pass():
    def one_example_at_a_time(model, loss_fn, optimizer, x, y):
        optimizer.zero_grad()
        total = 0.0
        for i in range(len(x)):
            loss = loss_fn(model(x[i:i + 1]), y[i:i + 1]) / len(x)
            loss.backward()
            total += loss.item()
        optimizer.step()
        return total

    with pytest.raises(ExerciseFailed, match="batch normalisation"):
        check("torch_train_step", one_example_at_a_time, strict=True)



# lesson 05: generated cases (sizes, dtypes, memory layouts, wide kernels, class counts, how the arguments are
# passed) reject answers that relied on what every hand-picked case shared
@pytest.mark.parametrize("name, mistake", [
    ("conv2d_valid", "windows in row-by-row memory order"), ("cnn_param_count", "one output for two classes"),
    ("accuracy_from_probs", "ten classes assumed"), ("build_cnn", "second convolution twice the first"),
    ("predict_one_image", "float image taken as scaled")])
def test_lesson_05_generated_cases_catch_and_name(name, mistake):
    with pytest.raises(ExerciseFailed, match="on input a generated input"):
        check(name, catalogued(name, mistake), strict=True)
    assert judge(registry.get_exercise(name), catalogued(name, mistake)).mistake == mistake


def _conv_capped_at(side):
    def conv(image, kernel):
        image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
        if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
            raise ValueError("the kernel does not fit")
        if max(kernel.shape) > side:
            raise ValueError(f"kernels up to {side}x{side}")
        return _conv(image, kernel, *kernel.shape)
    return conv


def _size_renamed(n, k, p=0, s=1):
    return reference_copy("conv_output_size")(n, k, p, s)


def _params_renamed(f1, f2, n_classes=10, size=28, kernel=3):
    return reference_copy("cnn_param_count")(f1, f2, n_classes, size, kernel)


def _params_for_images_up_to_32(filters1, filters2, n_classes=10, size=28, kernel=3):
    if size > 32:
        raise ValueError("images up to 32x32")
    return reference_copy("cnn_param_count")(filters1, filters2, n_classes, size, kernel)


def _accuracy_one_hot_of_10(y_true, probabilities):
    y_true, probabilities = np.asarray(y_true), np.asarray(probabilities)
    if probabilities.ndim != 2 or y_true.shape != (len(probabilities),):
        raise ValueError("shapes")
    return float(np.mean(np.eye(10)[y_true].argmax(axis=1) == probabilities.argmax(axis=1)))


def _build_with_dropout_rounded(filters1=16, filters2=32, n_classes=10, dropout=0.3):
    return reference_copy("build_cnn")(filters1, filters2, n_classes, round(dropout, 1))


@pytest.mark.parametrize("name, answer", [
    ("conv2d_valid", _conv_capped_at(5)), ("conv_output_size", _size_renamed), ("cnn_param_count", _params_renamed),
    ("cnn_param_count", _params_for_images_up_to_32), ("accuracy_from_probs", _accuracy_one_hot_of_10),
    ("build_cnn", _build_with_dropout_rounded)],
    ids=["kernels up to 5x5", "conv_output_size(n, k, p, s)", "cnn_param_count(f1, f2, ...)", "images up to 32x32",
         "one-hot of 10 classes", "dropout rounded to 0.1"])
def test_lesson_05_generated_cases_reject_answers_fitted_to_the_hand_picked_inputs(name, answer):
    with pytest.raises(ExerciseFailed, match="on input a generated input"):
        check(name, answer, strict=True)


def _conv_by_own_strides(image, kernel):
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("the kernel does not fit")
    (h, w), (kh, kw) = image.shape, kernel.shape
    windows = np.lib.stride_tricks.as_strided(image, (h - kh + 1, w - kw + 1, kh, kw), image.strides * 2)
    return np.einsum("ijuv,uv->ij", windows, kernel)


def _size_by_ceiling(n, kernel, padding=0, stride=1):
    if any(type(value) is not int for value in (n, kernel, padding, stride)):
        raise TypeError("not an int")
    if n < 1 or kernel < 1 or stride < 1 or padding < 0 or kernel > n + 2 * padding:
        raise ValueError("invalid size")
    return -(-(n + 2 * padding - kernel + 1) // stride)


def _params_by_closed_form(filters1, filters2, n_classes=10, size=28, kernel=3):
    for value in (filters1, filters2, n_classes, size, kernel):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError("not an int")
        if value < 1:
            raise ValueError("below 1")
    if size < 3 * kernel + 1:
        raise ValueError("too small")
    side = (size - 3 * kernel + 3) // 4
    return (kernel ** 2 + 1) * filters1 + (kernel ** 2 * filters1 + 1) * filters2 + \
        (side ** 2 * filters2 + 1) * n_classes


def _accuracy_by_first_top_column(y_true, probabilities):
    y_true, probabilities = np.asarray(y_true), np.asarray(probabilities)
    if probabilities.ndim != 2 or y_true.ndim != 1 or len(y_true) != len(probabilities):
        raise ValueError("shapes")
    on_top = probabilities == probabilities.max(axis=1, keepdims=True)
    return float(np.mean(on_top.argmax(axis=1) == y_true))   # the first column that holds the row's maximum


def test_lesson_05_accuracy_from_probs_takes_the_first_largest_column_on_a_tie():
    """Comparing the true class's probability with the row's maximum passed: no row had a tie, and a network whose
    logits are all equal then scores 100%."""
    verdict = judge(registry.get_exercise("accuracy_from_probs"), catalogued("accuracy_from_probs",
                                                                             "ties counted as right"))
    assert verdict.kind == WRONG and verdict.mistake == "ties counted as right" and "tied rows" in verdict.text


@pytest.mark.parametrize("name, answer", [
    ("conv2d_valid", _conv_by_own_strides), ("conv_output_size", _size_by_ceiling),
    ("cnn_param_count", _params_by_closed_form), ("accuracy_from_probs", _accuracy_by_first_top_column),
    ("predict_one_image", _predict_with(lambda im: im.astype(np.uint8).reshape(1, 28, 28, 1) / 255))],
    ids=["as_strided with the image's strides", "ceiling", "closed form", "first column holding the row's maximum",
         "pixels cast to uint8 first"])
def test_lesson_05_generated_cases_accept_right_answers_written_another_way(name, answer):
    _passes(name, answer)


# lesson 05: values below the range other than the hand-picked 0 and -1, and the CNN's computation (not only its
# layer kinds and parameter count) and Keras' global settings
def _params_rejecting_only_zero(filters1, filters2, n_classes=10, size=28, kernel=3):
    values = (filters1, filters2, n_classes, size, kernel)
    if any(isinstance(value, bool) or not isinstance(value, int) for value in values):
        raise TypeError("not an int")
    if not all(values):
        raise ValueError("zero")
    side = ((size - kernel + 1) // 2 - kernel + 1) // 2
    if side < 1:
        raise ValueError("too small")
    return (kernel ** 2 + 1) * filters1 + (kernel ** 2 * filters1 + 1) * filters2 + \
        (side ** 2 * filters2 + 1) * n_classes


def _size_rejecting_stride_0_and_padding_minus_1(n, kernel, padding=0, stride=1):
    if any(isinstance(value, bool) or not isinstance(value, int) for value in (n, kernel, padding, stride)):
        raise TypeError("not an int")
    if stride in (0, -1) or padding == -1 or kernel > n + 2 * padding:
        raise ValueError("invalid")
    return (n + 2 * padding - kernel) // stride + 1


def _cnn_with_relu_layers(**relu):
    def build(filters1=16, filters2=32, n_classes=10, dropout=0.3):
        import keras
        from keras import layers

        return keras.Sequential([
            keras.Input(shape=(28, 28, 1)), layers.Conv2D(filters1, 3), layers.ReLU(**relu), layers.MaxPooling2D(2),
            layers.Conv2D(filters2, 3), layers.ReLU(**relu), layers.MaxPooling2D(2), layers.Flatten(),
            layers.Dropout(dropout), layers.Dense(n_classes), layers.Softmax()])
    return build


def _cnn_in_float64(filters1=16, filters2=32, n_classes=10, dropout=0.3):
    import keras

    keras.config.set_floatx("float64")
    return reference_copy("build_cnn")(filters1, filters2, n_classes, dropout)


@pytest.mark.parametrize("name, answer, mistake", [
    ("cnn_param_count", _params_rejecting_only_zero, "only zero rejected"),
    ("conv_output_size", _size_rejecting_stride_0_and_padding_minus_1, ""),
    ("build_cnn", _cnn_with_relu_layers(max_value=6.0), "capped ReLU"),
    ("build_cnn", _cnn_with_relu_layers(negative_slope=0.1), ""),
    ("build_cnn", _cnn_in_float64, "default float type changed")],
    ids=["cnn_param_count: only 0 rejected", "conv_output_size: only stride 0, -1 and padding -1 rejected",
         "build_cnn: ReLU6 layers", "build_cnn: leaky ReLU layers", "build_cnn: set_floatx('float64')"])
def test_lesson_05_checks_try_negative_counts_the_cnns_outputs_and_its_global_settings(name, answer, mistake):
    import keras

    floatx = keras.config.floatx()
    verdict = judge(registry.get_exercise(name), answer)
    assert keras.config.floatx() == floatx  # the check restores a changed setting
    assert verdict.kind != PASSED and verdict.mistake == mistake, verdict.text


def test_build_cnn_accepts_separate_relu_and_softmax_layers():
    _passes("build_cnn", _cnn_with_relu_layers())


# lesson 05: a bool or a float in every argument (not only where a hand-picked case has one), frozen layers, a
# changed model and shapes with a unit axis too many
def _size_bools_rejected_in_n_and_padding_only(n, kernel, padding=0, stride=1):
    if isinstance(n, bool) or isinstance(padding, bool) or any(not isinstance(v, int) for v in (n, kernel, padding,
                                                                                                  stride)):
        raise TypeError("not an int")
    if stride < 1 or padding < 0 or kernel > n + 2 * padding:
        raise ValueError("invalid")
    return (n + 2 * padding - kernel) // stride + 1


def _params_types_checked_where_tested(filters1, filters2, n_classes=10, size=28, kernel=3):
    if isinstance(filters1, float) or isinstance(size, float) or isinstance(n_classes, bool) or \
            isinstance(kernel, bool):
        raise TypeError("not an int")
    if min(filters1, filters2, n_classes, size, kernel) < 1:
        raise ValueError("below 1")
    side = ((size - kernel + 1) // 2 - kernel + 1) // 2
    if side < 1:
        raise ValueError("too small")
    return (kernel ** 2 + 1) * filters1 + (kernel ** 2 * filters1 + 1) * filters2 + \
        (side ** 2 * filters2 + 1) * n_classes


def _conv_renamed(img, k):
    return reference_copy("conv2d_valid")(img, k)


def _size_exact_fit_rejected_with_a_stride(n, kernel, padding=0, stride=1):
    if stride > 1 and kernel == n + 2 * padding:
        raise ValueError("no room to stride")
    return reference_copy("conv_output_size")(n, kernel, padding, stride)


def _cnn_frozen(filters1=16, filters2=32, n_classes=10, dropout=0.3):
    model = reference_copy("build_cnn")(filters1, filters2, n_classes, dropout)
    model.trainable = False
    return model


def _predict_compiling_the_model(model, image):
    model.compile(optimizer="sgd", loss="mse")
    return reference_copy("predict_one_image")(model, image)


def _predict_squeezing_3d_images(model, image):
    image = np.asarray(image)
    if image.ndim == 3:
        image = np.squeeze(image)  # meant for the channel axis of (28, 28, 1); (1, 28, 28) gets through too
    if image.shape != (28, 28):
        raise ValueError("not 28x28")
    return int(np.argmax(model.predict(image.reshape(1, 28, 28, 1) / 255.0, verbose=0)[0]))


@pytest.mark.parametrize("name, answer, mistake", [
    ("conv2d_valid", _conv_renamed, ""), ("conv_output_size", _size_exact_fit_rejected_with_a_stride, ""),
    ("conv_output_size", _size_bools_rejected_in_n_and_padding_only, "bools rejected only in n and padding"),
    ("cnn_param_count", _params_types_checked_where_tested, "bools rejected only in n_classes and kernel"),
    ("build_cnn", _cnn_frozen, "frozen layers"),
    ("predict_one_image", _predict_compiling_the_model, "changes the model"),
    ("predict_one_image", _predict_squeezing_3d_images, "squeezed")],
    ids=["conv2d_valid(img, k)", "conv_output_size: exact fit rejected with a stride",
         "conv_output_size: bools only in n and padding", "cnn_param_count: types checked where tested",
         "build_cnn: model.trainable = False", "predict_one_image: compiles the model",
         "predict_one_image: 3-D images squeezed"])
def test_lesson_05_checks_try_every_wrong_type_frozen_layers_a_changed_model_and_extra_unit_axes(name, answer,
                                                                                                  mistake):
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind != PASSED and verdict.mistake == mistake, verdict.text


# lesson 05: a False padding, more labels than rows, a changed Dropout rate or Keras setting, a Fortran-order image
def _size_rejecting_only_true_and_floats(n, kernel, padding=0, stride=1):
    if any(value is True or isinstance(value, float) for value in (n, kernel, padding, stride)):
        raise TypeError("not an int")  # a padding of False (0) gets through
    if n < 1 or kernel < 1 or stride < 1 or padding < 0 or kernel > n + 2 * padding:
        raise ValueError("invalid")
    return (n + 2 * padding - kernel) // stride + 1


def _accuracy_rejecting_fewer_labels_only(y_true, probabilities):
    y_true, probabilities = np.asarray(y_true), np.asarray(probabilities)
    if probabilities.ndim != 2 or y_true.ndim != 1 or len(y_true) < len(probabilities):
        raise ValueError("shapes")
    return float(np.mean(np.argmax(probabilities, axis=1) == y_true))


def _cnn_channels_first_afterwards(filters1=16, filters2=32, n_classes=10, dropout=0.3):
    import keras

    model = reference_copy("build_cnn")(filters1, filters2, n_classes, dropout)
    keras.config.set_image_data_format("channels_first")
    return model


def _predict_without_dropout(model, image):
    model.layers[-2].rate = 0.0  # the lesson's Dropout layer
    return reference_copy("predict_one_image")(model, image)


def _predict_setting_epsilon(model, image):
    import keras

    keras.config.set_epsilon(1e-3)
    return reference_copy("predict_one_image")(model, image)


def _predict_reading_pixels_in_memory_order(model, image):
    image = np.asarray(image)
    if image.shape not in {(28, 28), (28, 28, 1)}:
        raise ValueError("not 28x28")
    return int(np.argmax(model.predict(image.ravel(order="K").reshape(1, 28, 28, 1) / 255.0, verbose=0)[0]))


@pytest.mark.parametrize("name, answer, mistake", [
    ("conv_output_size", _size_rejecting_only_true_and_floats, "no type check"),
    ("accuracy_from_probs", _accuracy_rejecting_fewer_labels_only, "more labels than rows"),
    ("build_cnn", _cnn_channels_first_afterwards, "Keras settings changed"),
    ("predict_one_image", _predict_without_dropout, "dropout switched off"),
    ("predict_one_image", _predict_setting_epsilon, ""),
    ("predict_one_image", _predict_reading_pixels_in_memory_order, "")],
    ids=["conv_output_size: only True rejected", "accuracy_from_probs: len(y_true) < len(probabilities)",
         "build_cnn: channels_first left set", "predict_one_image: Dropout rate set to 0",
         "predict_one_image: set_epsilon", "predict_one_image: ravel(order='K')"])
def test_lesson_05_checks_try_a_false_padding_more_labels_changed_settings_and_a_fortran_image(name, answer, mistake):
    import keras

    settings = keras.config.image_data_format(), keras.config.epsilon()
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind != PASSED and verdict.mistake == mistake, verdict.text
    assert (keras.config.image_data_format(), keras.config.epsilon()) == settings


# lesson 05: a numpy float among the wrong types, a stride beyond the image, one-hot labels, an accuracy as an array
def _size_rejecting_floats_and_bools(n, kernel, padding=0, stride=1):
    if any(isinstance(value, (bool, float)) for value in (n, kernel, padding, stride)):
        raise TypeError("not an int")  # np.float32(28.0) is not a float
    if stride < 1 or padding < 0 or kernel > n + 2 * padding:
        raise ValueError("invalid")
    return int((n + 2 * padding - kernel) // stride + 1)


def _size_rejecting_a_stride_beyond_the_image(n, kernel, padding=0, stride=1):
    if stride > n + 2 * padding:
        raise ValueError("the stride jumps past the image")
    return reference_copy("conv_output_size")(n, kernel, padding, stride)


def _params_rejecting_floats_and_bools(filters1, filters2, n_classes=10, size=28, kernel=3):
    values = (filters1, filters2, n_classes, size, kernel)
    if any(isinstance(value, (bool, float)) for value in values):
        raise TypeError("not an int")
    return reference_copy("cnn_param_count")(*(int(value) for value in values))


def _accuracy_taking_the_argmax_of_one_hot_labels(y_true, probabilities):
    y_true, probabilities = np.asarray(y_true), np.asarray(probabilities)
    if y_true.ndim == 2 and y_true.shape[1] > 1:
        y_true = y_true.argmax(axis=1)
    if probabilities.ndim != 2 or y_true.shape != (len(probabilities),):
        raise ValueError("shapes")
    return float(np.mean(np.argmax(probabilities, axis=1) == y_true))


def _accuracy_as_a_keras_tensor(y_true, probabilities):
    import keras

    y_true, probabilities = np.asarray(y_true), np.asarray(probabilities)
    if probabilities.ndim != 2 or y_true.shape != (len(probabilities),):
        raise ValueError("shapes")
    return keras.ops.mean(keras.ops.cast(keras.ops.argmax(probabilities, axis=1) == y_true, "float32"))


@pytest.mark.parametrize("name, answer, mistake", [
    ("conv_output_size", _size_rejecting_floats_and_bools, "only floats and bools rejected"),
    ("conv_output_size", _size_rejecting_a_stride_beyond_the_image, ""),
    ("cnn_param_count", _params_rejecting_floats_and_bools, "only floats and bools rejected"),
    ("accuracy_from_probs", _accuracy_taking_the_argmax_of_one_hot_labels, "one-hot labels accepted"),
    ("accuracy_from_probs", _accuracy_as_a_keras_tensor, "")],
    ids=["conv_output_size: isinstance(value, (bool, float))", "conv_output_size: stride > n + 2p rejected",
         "cnn_param_count: isinstance(value, (bool, float))", "accuracy_from_probs: argmax of one-hot labels",
         "accuracy_from_probs: keras.ops.mean"])
def test_lesson_05_checks_try_a_numpy_float_a_long_stride_one_hot_labels_and_a_tensor_result(name, answer, mistake):
    import keras  # noqa: F401  (imported before the check, so that the first import does not count against its time)

    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind != PASSED and verdict.mistake == mistake, verdict.text


def _predict_renamed(net, img):
    return reference_copy("predict_one_image")(net, img)


def _predict_image_renamed(model, x):
    return reference_copy("predict_one_image")(model, x)


@pytest.mark.parametrize("answer", [_predict_renamed, _predict_image_renamed], ids=["net, img", "model, x"])
def test_lesson_05_predict_one_image_is_also_called_by_keyword(answer):
    """Both passed when every case called predict_one_image by position: the drawn cases pass model= and image=."""
    verdict = judge(registry.get_exercise("predict_one_image"), answer)
    assert verdict.kind == WRONG and verdict.mistake == "parameters renamed", verdict.text
    assert "keep the parameter names" in verdict.text


def _predict_checking_size_and_first_axis(model, image):
    image = np.asarray(image)
    if image.ndim not in (2, 3) or image.shape[0] != 28 or image.size != 784:
        raise ValueError(image.shape)
    return int(np.argmax(model.predict(image.reshape(1, 28, 28, 1) / 255.0, verbose=0)[0]))


@pytest.mark.parametrize("answer, mistake", [
    (catalogued("predict_one_image", "first and last axes checked"), "first and last axes checked"),
    (_predict_checking_size_and_first_axis, "first and last axes checked"),
    (catalogued("predict_one_image", "progress output switched off"), "progress output switched off"),
], ids=["first and last axes", "ndim, first axis and size", "disable_interactive_logging"])
def test_lesson_05_predict_one_image_refuses_a_unit_axis_in_the_middle_and_leaves_logging_on(answer, mistake):
    """All passed before: no case had a unit axis between the two 28s, and Keras' progress output was not watched."""
    import keras

    verdict = judge(registry.get_exercise("predict_one_image"), answer)
    assert verdict.kind != PASSED and verdict.mistake == mistake, verdict.text
    assert keras.utils.is_interactive_logging_enabled()


def _predict_checking_len_first(model, image):
    image = np.asarray(image)
    if len(image) != 28 or image.size != 784 or image.ndim > 3 or image.shape[1] != 28:  # len() of a 0-d array: TypeError
        raise ValueError(image.shape)
    return int(np.argmax(model.predict(image.reshape(1, 28, 28, 1) / 255.0, verbose=0)[0]))


@pytest.mark.parametrize("answer, mistake", [
    (catalogued("predict_one_image", "shape read before its length"), "shape read before its length"),
    (_predict_checking_len_first, None),  # raises TypeError: not that mistake's IndexError, rejected all the same
], ids=["shape[1] of a (28,) row", "len() of a 0-d array"])
def test_lesson_05_predict_one_image_refuses_fewer_axes_with_value_error(answer, mistake):
    """Both passed when every invalid shape had at least two axes or 784 pixels: a (28,) row or a 0-d array made them
    raise IndexError or TypeError, not ValueError."""
    verdict = judge(registry.get_exercise("predict_one_image"), answer)
    assert verdict.kind != PASSED and (mistake is None or verdict.mistake == mistake), verdict.text


def _conv_as_rows(image, kernel):
    out = reference_copy("conv2d_valid")(image, kernel)
    return [list(row) for row in out]  # rows of numbers: no .shape in the notebook's next cell


def _size_rejecting_padding_as_wide_as_the_image(n, kernel, padding=0, stride=1):
    if padding >= n:
        raise ValueError("a padding that wide makes no sense")
    return reference_copy("conv_output_size")(n, kernel, padding, stride)


def _accuracy_renamed(labels, scores):
    return reference_copy("accuracy_from_probs")(labels, scores)


def _accuracy_keeping_only_the_maxima(y_true, probabilities):
    y_true, probabilities = np.asarray(y_true), np.asarray(probabilities)
    if probabilities.ndim != 2 or y_true.shape != (len(probabilities),):
        raise ValueError("shapes")
    probabilities[probabilities != probabilities.max(axis=1, keepdims=True)] = 0  # the caller's array
    return float(np.mean(probabilities.argmax(axis=1) == y_true))


def _accuracy_sorting_the_labels(y_true, probabilities):
    accuracy = reference_copy("accuracy_from_probs")(y_true, probabilities)
    y_true.sort()
    return accuracy


def _cnn_first_convolution_at_zero(filters1=16, filters2=32, n_classes=10, dropout=0.3):
    import keras
    from keras import layers

    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)), layers.Conv2D(filters1, 3, activation="relu", kernel_initializer="zeros"),
        layers.MaxPooling2D(2), layers.Conv2D(filters2, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Flatten(), layers.Dropout(dropout), layers.Dense(n_classes, activation="softmax")])


@pytest.mark.parametrize("name, answer, mistake", [
    ("conv2d_valid", _conv_as_rows, "a list returned"),
    ("conv_output_size", _size_rejecting_padding_as_wide_as_the_image, ""),
    ("accuracy_from_probs", _accuracy_renamed, "parameters renamed"),
    ("accuracy_from_probs", _accuracy_keeping_only_the_maxima, "inputs changed in place"),
    ("accuracy_from_probs", _accuracy_sorting_the_labels, "inputs changed in place"),
    ("build_cnn", _cnn_first_convolution_at_zero, "convolutions started at zero")],
    ids=["conv2d_valid: a list of rows", "conv_output_size: padding >= n rejected",
         "accuracy_from_probs: (labels, scores)", "accuracy_from_probs: non-maxima zeroed in place",
         "accuracy_from_probs: y_true.sort()", "build_cnn: kernel_initializer='zeros'"])
def test_lesson_05_checks_try_a_list_result_a_wide_padding_keywords_changed_labels_and_a_zero_convolution(
        name, answer, mistake):
    import keras  # noqa: F401  (imported before the check, so that the first import does not count against its time)

    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind != PASSED and verdict.mistake == mistake, verdict.text

def _accuracy_rows_reshaped(y_true, probabilities):
    y_true, probabilities = np.asarray(y_true), np.asarray(probabilities)
    if probabilities.ndim < 2 or y_true.ndim != 1:
        raise ValueError("expected probabilities (n, n_classes) and n labels")
    predicted = probabilities.reshape(-1, probabilities.shape[-1]).argmax(axis=1)  # (1, n, k) read as n rows
    if predicted.size != y_true.size:
        raise ValueError("one prediction per label")
    return float(np.mean(predicted == y_true))


def _accuracy_last_axis_argmax(y_true, probabilities):
    y_true, probabilities = np.asarray(y_true), np.asarray(probabilities)
    if y_true.ndim != 1:
        raise ValueError("labels must be 1-D")
    predicted = probabilities.argmax(axis=-1).ravel()  # (n, 1, k) gives n predictions too
    if probabilities.ndim < 2 or predicted.size != y_true.size:
        raise ValueError("one prediction per label")
    return float(np.mean(predicted == y_true))


def _accuracy_batch_axis_dropped(y_true, probabilities):
    y_true, probabilities = np.asarray(y_true), np.asarray(probabilities)
    if probabilities.ndim == 3 and probabilities.shape[0] == 1:  # np.stack([model.predict(x)]) taken as predict(x)
        probabilities = probabilities[0]
    return reference_copy("accuracy_from_probs")(y_true, probabilities)


def _accuracy_label_row_read_as_labels(y_true, probabilities):
    y_true = np.asarray(y_true)
    return reference_copy("accuracy_from_probs")(y_true[0] if y_true.ndim == 2 and len(y_true) == 1 else y_true,
                                           probabilities)


@pytest.mark.parametrize("answer, mistake", [
    (_accuracy_rows_reshaped, "unit axes dropped"), (_accuracy_last_axis_argmax, "unit axes dropped"),
    (_accuracy_batch_axis_dropped, "unit axes dropped"), (_accuracy_label_row_read_as_labels, "no shape check")],
    ids=["reshape(-1, k)", "argmax(axis=-1).ravel()", "a leading batch axis dropped", "labels (1, n) read as a row"])
def test_lesson_05_accuracy_from_probs_refuses_an_extra_unit_axis(answer, mistake):
    verdict = judge(registry.get_exercise("accuracy_from_probs"), answer)
    assert verdict.kind != PASSED and verdict.mistake == mistake, verdict.text


# lesson 05: an n or a kernel below 1, regularisers and constraints, activations under another name, logging
def _size_checking(n_and_kernel):
    def size(n, kernel, padding=0, stride=1):
        if any(isinstance(value, bool) or not isinstance(value, int) for value in (n, kernel, padding, stride)):
            raise TypeError("not an int")
        if not n_and_kernel(n, kernel) or kernel > n + 2 * padding or stride < 1 or padding < 0:
            raise ValueError("invalid size")
        return (n + 2 * padding - kernel) // stride + 1
    return size


@pytest.mark.parametrize("answer, where", [(_size_checking(lambda n, kernel: True), "a 0-wide kernel"),
                                           (_size_checking(lambda n, kernel: kernel >= 1), "0 pixels padded by 1"),
                                           (_size_checking(lambda n, kernel: kernel != 0 and n != 0),
                                            "a negative kernel with padding 2")],
                         ids=["only what the old text named", "kernel checked, not n", "only 0 rejected"])
def test_conv_output_size_wants_n_and_kernel_at_least_1(answer, where):
    verdict = judge(registry.get_exercise("conv_output_size"), answer)
    assert verdict.kind == WRONG and where in verdict.text, verdict.text
    assert verdict.mistake == "n and kernel not checked"


def _size_by_range(n, kernel, padding=0, stride=1):
    for value, low in ((n, 1), (kernel, 1), (padding, 0), (stride, 1)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError("not an int")
        if value < low:
            raise ValueError("below the range")
    if kernel > n + 2 * padding:
        raise ValueError("the kernel does not fit")
    return len(range(0, n + 2 * padding - kernel + 1, stride))  # the window's start positions


def _size_by_counting(n, kernel, padding=0, stride=1):
    if any(isinstance(value, bool) or not isinstance(value, int) for value in (n, kernel, padding, stride)):
        raise TypeError("not an int")
    if min(n, kernel, stride) < 1 or padding < 0 or kernel > n + 2 * padding:
        raise ValueError("invalid size")
    count, start = 0, 0
    while start + kernel <= n + 2 * padding:
        count, start = count + 1, start + stride
    return count


def _size_by_checking_the_result(n, kernel, padding=0, stride=1):
    if any(isinstance(value, bool) or not isinstance(value, int) for value in (n, kernel, padding, stride)):
        raise TypeError("not an int")
    if n < 1 or kernel < 1 or stride < 1 or padding < 0:
        raise ValueError("below the range")
    out = (n + 2 * padding - kernel) // stride + 1
    if out < 1:  # the same as kernel > n + 2 * padding: the floor of a negative quotient is at most -1
        raise ValueError("the kernel does not fit")
    return out


@pytest.mark.parametrize("answer", [_size_by_range, _size_by_counting, _size_by_checking_the_result],
                         ids=["len(range(...))", "a while loop", "the result checked instead of the width"])
def test_conv_output_size_accepts_right_answers_that_check_n_and_kernel(answer):
    _passes("conv_output_size", answer)


def _cnn_with(conv=None, dense=None):
    def build(filters1=16, filters2=32, n_classes=10, dropout=0.3):
        import keras
        from keras import layers

        conv_settings, dense_settings = conv or {}, dense or {}
        return keras.Sequential([
            keras.Input(shape=(28, 28, 1)), layers.Conv2D(filters1, 3, activation="relu", **conv_settings),
            layers.MaxPooling2D(2), layers.Conv2D(filters2, 3, activation="relu", **conv_settings),
            layers.MaxPooling2D(2), layers.Flatten(), layers.Dropout(dropout),
            layers.Dense(n_classes, activation="softmax", **dense_settings)])
    return build


@pytest.mark.parametrize("answer, mistake", [
    (catalogued("build_cnn", "regularised weights"), "regularised weights"),
    (_cnn_with(dense={"activity_regularizer": "l1"}), ""),
    (_cnn_with(conv={"kernel_constraint": "max_norm"}), "")],
    ids=["L2 on the convolutions", "L1 activity penalty on the output", "max-norm constraint"])
def test_build_cnn_rejects_regularisers_and_constraints(answer, mistake):
    pytest.importorskip("keras")
    verdict = judge(registry.get_exercise("build_cnn"), answer)
    assert verdict.kind == WRONG and "no regularizer or constraint" in verdict.text, verdict.text
    assert verdict.mistake == mistake


def _cnn_with_tf_activations(filters1=16, filters2=32, n_classes=10, dropout=0.3):
    import keras
    import tensorflow as tf
    from keras import layers

    return keras.Sequential([  # as TensorFlow's own tutorials write them; tf.nn.softmax is named softmax_v2
        keras.Input(shape=(28, 28, 1)), layers.Conv2D(filters1, 3, activation=tf.nn.relu), layers.MaxPooling2D(2),
        layers.Conv2D(filters2, 3, activation=tf.nn.relu), layers.MaxPooling2D(2), layers.Flatten(),
        layers.Dropout(dropout), layers.Dense(n_classes, activation=tf.nn.softmax)])


def _cnn_added_layer_by_layer(filters1=16, filters2=32, n_classes=10, dropout=0.3):
    import keras
    from keras import layers

    model = keras.Sequential()
    model.add(keras.Input(shape=(28, 28, 1)))
    for filters in (filters1, filters2):
        model.add(layers.Conv2D(filters, (3, 3), activation=keras.activations.relu))
        model.add(layers.MaxPool2D(pool_size=(2, 2)))
    model.add(layers.Flatten())
    model.add(layers.Dropout(rate=dropout))
    model.add(layers.Dense(units=n_classes, activation=keras.activations.softmax))
    return model


@pytest.mark.parametrize("answer", [_cnn_with_tf_activations, _cnn_added_layer_by_layer],
                         ids=["tf.nn.relu and tf.nn.softmax", "model.add, MaxPool2D and activation functions"])
def test_build_cnn_accepts_activations_given_as_functions(answer):
    pytest.importorskip("tensorflow")
    _passes("build_cnn", answer)


def test_build_cnn_says_that_it_switched_progress_output_off():
    keras = pytest.importorskip("keras")

    def silenced(filters1=16, filters2=32, n_classes=10, dropout=0.3):
        keras.utils.disable_interactive_logging()
        return reference_copy("build_cnn")(filters1, filters2, n_classes, dropout)

    interactive = keras.utils.is_interactive_logging_enabled()
    verdict = judge(registry.get_exercise("build_cnn"), silenced)
    assert keras.utils.is_interactive_logging_enabled() == interactive  # the check put it back
    assert verdict.kind == WRONG and "switched Keras' progress output off" in verdict.text, verdict.text
    assert "set_floatx" not in verdict.text



# lessons 05 and 06 (round 11): pixels divided by 256, global random generators reseeded, the caller's batch changed
def _predict_dividing_by(divisor):
    def predict(model, image):
        image = np.asarray(image)
        if image.shape not in {(28, 28), (28, 28, 1)}:
            raise ValueError("expected one 28x28 image")
        return int(np.argmax(model.predict(image.reshape(1, 28, 28, 1) / divisor, verbose=0)[0]))
    return predict


def _predict_seeding_keras(model, image):
    import keras

    keras.utils.set_random_seed(0)  # "the same prediction every time"
    return reference_copy("predict_one_image")(model, image)


@pytest.mark.parametrize("answer, mistake", [
    (_predict_dividing_by(256.0), "scaled by 256"), (_predict_dividing_by(1 / 0.0039), "scaled by 256"),
    (_predict_seeding_keras, "random seed set")], ids=["/ 256", "* 0.0039", "keras.utils.set_random_seed(0)"])
def test_lesson_05_predict_one_image_divides_by_255_and_leaves_the_random_generators_alone(answer, mistake):
    """Both passed: no image lay close enough to a class boundary for a 0.4% darker image to change class, and
    nothing looked at numpy's or Python's global random generators. They start here where seed 0 leaves them (as
    after build_cnn's check): a reseed to 0 gives that state again, so comparing with the caller's state alone
    misses it (it did when this test ran after build_cnn's)."""
    pytest.importorskip("keras")
    import random

    np.random.seed(0)
    random.seed(0)
    verdict = judge(registry.get_exercise("predict_one_image"), answer)
    assert verdict.kind != PASSED and verdict.mistake == mistake, verdict.text


def _predict_in_float64_with_expand_dims(model, image):
    image = np.asarray(image, dtype=np.float64)
    if image.shape == (28, 28):
        image = image[..., np.newaxis]
    if image.shape != (28, 28, 1):
        raise ValueError("expected one 28x28 image")
    return model.predict(np.expand_dims(image / 255, axis=0), verbose=0).argmax(axis=-1).item()


def _predict_with_tensorflow_ops(model, image):
    import tensorflow as tf

    image = tf.convert_to_tensor(image)
    if tuple(image.shape) not in {(28, 28), (28, 28, 1)}:
        raise ValueError("expected one 28x28 image")
    return int(tf.argmax(model(tf.reshape(tf.cast(image, tf.float32) / 255.0, (1, 28, 28, 1))), axis=1)[0])


def _predict_scaling_a_float32_copy_in_place(model, image):
    image = np.array(image, dtype="float32")  # a copy: dividing it in place leaves the caller's image alone
    if image.shape not in {(28, 28), (28, 28, 1)}:
        raise ValueError("expected one 28x28 image")
    image /= 255.0
    return int(np.asarray(model.predict_on_batch(image.reshape((1, 28, 28, 1)))).argmax())


@pytest.mark.parametrize("answer", [_predict_in_float64_with_expand_dims, _predict_with_tensorflow_ops,
                                    _predict_scaling_a_float32_copy_in_place],
                         ids=["float64, expand_dims, .item()", "TensorFlow ops, model(batch)", "predict_on_batch"])
def test_lesson_05_predict_one_image_near_a_class_boundary_passes_right_answers_computed_another_way(answer):
    pytest.importorskip("keras")
    _passes("predict_one_image", answer)


def _step_making_x_require_gradients(model, loss_fn, optimizer, x, y):
    x.requires_grad_(True)
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def _step_centring_x_in_place(model, loss_fn, optimizer, x, y):
    x -= x.mean(dim=0)  # "centre the batch": changes the caller's tensor
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


@pytest.mark.parametrize("answer, reason", [
    (_step_making_x_require_gradients, "switched on requires_grad for the caller's x"),
    (catalogued("torch_train_step", "x made to require gradients"), "switched on requires_grad for the caller's x"),
    (_step_centring_x_in_place, "changed the caller's x or y in place")],
    ids=["x.requires_grad_(True)", "catalogued", "x -= x.mean(0)"])
def test_lesson_06_torch_train_step_leaves_the_callers_batch_alone(answer, reason):
    """x.requires_grad_(True) passed: nothing looked at the caller's x after the step."""
    pytest.importorskip("torch")
    with pytest.raises(ExerciseFailed, match=reason):
        check("torch_train_step", answer, strict=True)


def _step_with_autograd_grad(model, loss_fn, optimizer, x, y):
    import torch

    optimizer.zero_grad()  # still needed: a frozen layer gets no new gradient and would keep its stale one
    loss = loss_fn(model(x), y)
    params = [p for p in model.parameters() if p.requires_grad]
    for p, grad in zip(params, torch.autograd.grad(loss, params)):
        p.grad = grad
    optimizer.step()
    return loss.item()


def _step_on_a_detached_copy_of_x(model, loss_fn, optimizer, x, y):
    x = x.detach().clone().requires_grad_(True)  # a copy of its own: the caller's x is left alone
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return float(loss)


@pytest.mark.parametrize("answer", [_step_with_autograd_grad, _step_on_a_detached_copy_of_x],
                         ids=["torch.autograd.grad", "a copy of x that requires gradients"])
def test_lesson_06_torch_train_step_passes_right_answers_that_leave_x_alone(answer):
    pytest.importorskip("torch")
    _passes("torch_train_step", answer)


def _step_rebuilding_cross_entropy_from_reduction_and_smoothing(model, loss_fn, optimizer, x, y):
    from torch import nn
    from torch.nn import functional

    optimizer.zero_grad()
    out = model(x)
    if isinstance(loss_fn, nn.CrossEntropyLoss):  # copies the two settings the cases used to vary
        loss = functional.cross_entropy(out, y, reduction=loss_fn.reduction, label_smoothing=loss_fn.label_smoothing)
    else:
        loss = loss_fn(out, y)
    loss.backward()
    optimizer.step()
    return loss.item()


def test_lesson_06_torch_train_step_tries_a_cross_entropy_with_class_weights_and_ignore_index():
    """A cross-entropy rebuilt from the caller's reduction and label smoothing passed: no case had class weights or
    ignore_index, the settings it drops."""
    pytest.importorskip("torch")
    for answer in (_step_rebuilding_cross_entropy_from_reduction_and_smoothing,
                   catalogued("torch_train_step", "cross-entropy rebuilt with its settings")):
        verdict = judge(registry.get_exercise("torch_train_step"), answer)
        assert verdict.kind != PASSED and verdict.mistake == "cross-entropy rebuilt with its settings", verdict.text
        assert "class weights" in verdict.text


# lessons 05 and 06 (round 12): a prediction in training mode, gradients that hold a graph
def _predict_with_dropout_active(model, image):
    image = np.asarray(image)
    if image.shape not in {(28, 28), (28, 28, 1)}:
        raise ValueError("expected one 28x28 image")
    batch = image.reshape(1, 28, 28, 1) / 255.0
    return int(np.argmax(model(batch, training=True)[0]))  # as for the augmentation layers of 05c


def test_lesson_05_predict_one_image_names_a_prediction_in_training_mode():
    """Rejected only for a wrong class, and then named "scaled twice" ("divide by 255 once, as floats"), which blames
    the scaling the answer got right. The check model is rebuilt after a seed so that its dropout draws are the same
    on every run."""
    keras = pytest.importorskip("keras")
    from course_utils.exercises import keras_cnn

    keras_cnn._predict_model.cache_clear()
    keras.utils.set_random_seed(0)
    verdict = judge(registry.get_exercise("predict_one_image"), _predict_with_dropout_active)
    assert verdict.kind != PASSED and verdict.mistake == "training mode", verdict.text
    assert "different classes when called again" in verdict.text


def _predict_with_training_false(model, image):
    image = np.atleast_3d(np.asarray(image))  # (28, 28) -> (28, 28, 1); (28, 28, 1) stays
    if image.shape != (28, 28, 1):
        raise ValueError("expected one 28x28 image")
    return int(np.argmax(model(image[np.newaxis] / 255.0, training=False)[0]))


def _predict_with_the_progress_bar(model, image):
    image = np.asarray(image)
    if image.shape not in {(28, 28), (28, 28, 1)}:
        raise ValueError("expected one 28x28 image")
    return int(model.predict(image.reshape((1, *model.input_shape[1:])) / 255.0)[0].argmax())  # verbose left on


@pytest.mark.parametrize("answer", [_predict_with_training_false, _predict_with_the_progress_bar],
                         ids=["atleast_3d, model(batch, training=False)", "input_shape, predict with verbose on"])
def test_lesson_05_predict_one_image_called_three_times_passes_right_answers(answer):
    pytest.importorskip("keras")
    _passes("predict_one_image", answer)


def _step_creating_a_graph(model, loss_fn, optimizer, x, y):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward(create_graph=True)  # each p.grad now requires grad and holds a graph back to p
    optimizer.step()
    return loss.item()


@pytest.mark.parametrize("answer", [_step_creating_a_graph, catalogued("torch_train_step", "gradients with a graph")],
                         ids=["backward(create_graph=True)", "catalogued"])
def test_lesson_06_torch_train_step_rejects_gradients_that_hold_a_graph(answer):
    """Passed: the weights are the same, and nothing looked at what backward() left in p.grad."""
    pytest.importorskip("torch")
    verdict = judge(registry.get_exercise("torch_train_step"), answer)
    assert verdict.kind != PASSED and verdict.mistake == "gradients with a graph", verdict.text
    assert "hold a graph of their own" in verdict.text


def _step_with_a_closure(model, loss_fn, optimizer, x, y):
    def closure():
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        return loss

    return optimizer.step(closure).item()


def _step_zeroing_after_the_forward_pass(model, loss_fn, optimizer, x, y):
    import torch

    loss = loss_fn(model(x), y)
    model.zero_grad(set_to_none=False)  # still before backward(): zeros instead of None
    loss.backward()
    with torch.no_grad():
        optimizer.step()
    return float(loss.detach())


@pytest.mark.parametrize("answer", [_step_with_a_closure, _step_zeroing_after_the_forward_pass],
                         ids=["optimizer.step(closure)", "model.zero_grad(set_to_none=False) after the forward pass"])
def test_lesson_06_torch_train_step_passes_right_answers_written_another_way(answer):
    pytest.importorskip("torch")
    _passes("torch_train_step", answer)


# lesson 05 (round 12): non-finite and large pixels, a seed or a noise_shape inside build_cnn
def _conv_windows(finish):
    def conv(image, kernel):
        image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
        if image.ndim != 2 or kernel.ndim != 2:
            raise ValueError("image and kernel must be 2-D")
        if kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
            raise ValueError("the kernel is larger than the image")
        return finish(np.lib.stride_tricks.sliding_window_view(image, kernel.shape), kernel)
    return conv


_conv_nansum = _conv_windows(lambda windows, kernel: np.nansum(windows * kernel, axis=(2, 3)))
_conv_nan_to_num = _conv_windows(lambda windows, kernel: np.nan_to_num(np.einsum("ijkl,kl->ij", windows, kernel)))
_conv_in_int32_for_whole_numbers = _conv_windows(
    lambda windows, kernel: np.einsum("ijkl,kl->ij", windows.astype(np.int32), kernel.astype(np.int32)).astype(float)
    if np.all(windows == np.round(windows)) and np.all(kernel == np.round(kernel))
    else np.einsum("ijkl,kl->ij", windows, kernel))


@pytest.mark.parametrize("answer, where", [
    (_conv_nansum, "a NaN, an inf"), (_conv_nan_to_num, "a NaN, an inf"),
    (_conv_in_int32_for_whole_numbers, "beyond int32")], ids=["np.nansum", "np.nan_to_num", "int32 for whole numbers"])
def test_lesson_05_conv2d_valid_tries_non_finite_and_large_whole_number_pixels(answer, where):
    """All three passed: no image had a NaN or an inf pixel, and no whole-number image went beyond int32."""
    verdict = judge(registry.get_exercise("conv2d_valid"), answer)
    assert verdict.kind == WRONG and where in verdict.text, verdict.text


def _conv_by_shifted_sums(image, kernel):
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("expected a 2-D kernel no larger than the 2-D image")
    (kh, kw), rows, cols = kernel.shape, image.shape[0] - kernel.shape[0] + 1, image.shape[1] - kernel.shape[1] + 1
    out = np.zeros((rows, cols))
    for u, v in np.ndindex(kh, kw):
        out += kernel[u, v] * image[u:u + rows, v:v + cols]  # inf * 0 never happens: each term is one weight's
    return out


@pytest.mark.parametrize("answer", [_conv_windows(lambda windows, kernel: np.einsum("ijkl,kl->ij", windows, kernel)),
                                    _conv_by_shifted_sums],
                         ids=["sliding_window_view and einsum", "one shifted image per kernel weight"])
def test_lesson_05_conv2d_valid_passes_right_answers_on_non_finite_pixels(answer):
    _passes("conv2d_valid", answer)


def _cnn_seeded_with(seed):
    def build(filters1=16, filters2=32, n_classes=10, dropout=0.3):
        seed()  # "the same starting weights every time"
        return reference_copy("build_cnn")(filters1, filters2, n_classes, dropout)
    return build


@pytest.mark.parametrize("answer", ["keras", "numpy", "catalogued"])
def test_lesson_05_build_cnn_leaves_numpys_random_generator_alone(answer):
    """keras.utils.set_random_seed(42) and np.random.seed(0) inside build_cnn passed: nothing looked at numpy's global
    random generator (the check reseeds it itself before each build)."""
    keras = pytest.importorskip("keras")
    answer = {"keras": _cnn_seeded_with(lambda: keras.utils.set_random_seed(42)),
              "numpy": _cnn_seeded_with(lambda: np.random.seed(0)),
              "catalogued": catalogued("build_cnn", "random seed set")}[answer]
    verdict = judge(registry.get_exercise("build_cnn"), answer)
    assert verdict.kind == WRONG and "numpy's global random generator" in verdict.text, verdict.text
    assert verdict.mistake == "random seed set"


def test_lesson_05_build_cnn_rejects_a_dropout_noise_shape_and_passes_a_dropout_seed():
    """Dropout(dropout, noise_shape=(1, None)) passed: the check compared the rate only, and its output runs without
    dropout."""
    pytest.importorskip("keras")
    verdict = judge(registry.get_exercise("build_cnn"), _cnn_with_dropout({"noise_shape": (1, None)}))
    assert verdict.kind == WRONG and "noise_shape=(1, None)" in verdict.text, verdict.text
    _passes("build_cnn", _cnn_with_dropout({"seed": 0}))


def _cnn_with_dropout(settings):
    def build(filters1=16, filters2=32, n_classes=10, dropout=0.3):
        import keras
        from keras import layers

        return keras.Sequential([
            keras.Input(shape=(28, 28, 1)), layers.Conv2D(filters1, 3, activation="relu"), layers.MaxPooling2D(2),
            layers.Conv2D(filters2, 3, activation="relu"), layers.MaxPooling2D(2), layers.Flatten(),
            layers.Dropout(dropout, **settings), layers.Dense(n_classes, activation="softmax")])
    return build



# lesson 05 (round 13): small-integer products, sizes beyond float64's whole numbers, None for an int, Keras' training
# caps and dead ReLUs inside build_cnn
def _conv_in_the_inputs_dtype(finish):
    def conv(image, kernel):
        image, kernel = np.asarray(image), np.asarray(kernel)  # no float conversion: uint8 * uint8 stays uint8
        if image.ndim != 2 or kernel.ndim != 2:
            raise ValueError("image and kernel must be 2-D")
        if kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
            raise ValueError("the kernel is larger than the image")
        return finish(image, kernel)
    return conv


def _conv_windows_summed(image, kernel):
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for i, j in np.ndindex(out.shape):
        out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
    return out


@pytest.mark.parametrize("answer", [
    _conv_in_the_inputs_dtype(_conv_windows_summed),
    _conv_in_the_inputs_dtype(lambda image, kernel: np.einsum(
        "ijkl,kl->ij", np.lib.stride_tricks.sliding_window_view(image, kernel.shape), kernel).astype(float))],
    ids=["window * kernel in the inputs' dtype", "einsum in the inputs' dtype"])
def test_lesson_05_conv2d_valid_tries_products_that_overflow_a_uint8(answer):
    """Both passed: no case had whole-number pixels and weights in a dtype whose products overflow (a uint8 image under
    a uint8 kernel gives 255 * 4 = 1020 mod 256)."""
    verdict = judge(registry.get_exercise("conv2d_valid"), answer)
    assert verdict.kind == WRONG and "uint8 blur kernel" in verdict.text, verdict.text


def test_lesson_05_conv2d_valid_passes_a_whole_number_map_of_whole_number_inputs():
    """A map in int64 for integer pixels and weights has the right values: its dtype is a matter of taste."""
    def conv(image, kernel):
        image, kernel = np.asarray(image), np.asarray(kernel)
        whole = image.dtype.kind in "iu" and kernel.dtype.kind in "iu"
        return reference_copy("conv2d_valid")(image, kernel).astype(np.int64 if whole else float)
    _passes("conv2d_valid", conv)


def _size_through_a_float(rounding):
    def size(n, kernel, padding=0, stride=1):
        for value, low in ((n, 1), (kernel, 1), (padding, 0), (stride, 1)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError("not an int")
            if value < low:
                raise ValueError("below the range")
        if kernel > n + 2 * padding:
            raise ValueError("the kernel does not fit")
        return rounding((n + 2 * padding - kernel) / stride) + 1
    return size


@pytest.mark.parametrize("rounding", [int, math.floor], ids=["int(x / s) + 1", "math.floor(x / s) + 1"])
def test_lesson_05_conv_output_size_tries_a_quotient_a_float_rounds_up(rounding):
    """Both passed: every size was small, where a float quotient is exact; beyond 2**53 it rounds."""
    verdict = judge(registry.get_exercise("conv_output_size"), _size_through_a_float(rounding))
    assert verdict.kind == WRONG and "2**53" in verdict.text and verdict.mistake == "floor of a float quotient", \
        verdict.text


def _none_as_the_default(name, defaults):
    reference = reference_copy(name)
    signature = inspect.signature(reference)

    def answer(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        for key, value in defaults.items():
            if bound.arguments.get(key, 0) is None:
                bound.arguments[key] = value  # "None means the default"
        return reference(*bound.args, **bound.kwargs)
    answer.__signature__ = signature
    return answer


@pytest.mark.parametrize("name, defaults, where", [
    ("conv_output_size", {"padding": 0, "stride": 1}, "a padding of None"),
    ("cnn_param_count", {"n_classes": 10, "size": 28, "kernel": 3}, "n_classes=None")])
def test_lesson_05_sizes_refuse_none_for_an_int(name, defaults, where):
    """Both passed: no case gave None, which is not an int (the exercises ask for TypeError)."""
    verdict = judge(registry.get_exercise(name), _none_as_the_default(name, defaults))
    assert verdict.kind == WRONG and where in verdict.text and "TypeError" in verdict.text, verdict.text


@pytest.mark.parametrize("cap", ["set_max_epochs", "set_max_steps_per_epoch"])
def test_lesson_05_build_cnn_leaves_keras_training_caps_alone(cap):
    """keras.config.set_max_epochs(1) inside build_cnn passed, and stayed set: every later fit() of the notebook
    trained one epoch."""
    keras = pytest.importorskip("keras")
    if not hasattr(keras.config, cap):
        pytest.skip(f"this Keras has no keras.config.{cap}")

    def build(filters1=16, filters2=32, n_classes=10, dropout=0.3):
        getattr(keras.config, cap)(1)  # "to make it faster"
        return reference_copy("build_cnn")(filters1, filters2, n_classes, dropout)
    verdict = judge(registry.get_exercise("build_cnn"), build)
    assert verdict.kind == WRONG and cap in verdict.text, verdict.text
    assert keras.config.max_epochs() is None and keras.config.max_steps_per_epoch() is None


def _cnn_with_conv_settings(**settings):
    def build(filters1=16, filters2=32, n_classes=10, dropout=0.3):
        import keras
        from keras import layers

        return keras.Sequential([
            keras.Input(shape=(28, 28, 1)), layers.Conv2D(filters1, 3, activation="relu", **settings),
            layers.MaxPooling2D(2), layers.Conv2D(filters2, 3, activation="relu", **settings), layers.MaxPooling2D(2),
            layers.Flatten(), layers.Dropout(dropout), layers.Dense(n_classes, activation="softmax")])
    return build


def test_lesson_05_build_cnn_rejects_relus_dead_from_the_start():
    """bias_initializer=Constant(-10) passed: the check set its own weights before comparing outputs, so a model whose
    ReLUs are all off at the start (and which never trains) looked like the lesson's."""
    keras = pytest.importorskip("keras")
    verdict = judge(registry.get_exercise("build_cnn"),
                    _cnn_with_conv_settings(bias_initializer=keras.initializers.Constant(-10.0)))
    assert verdict.kind == WRONG and "layer 1 (Conv2D) gives only zeros from the start" in verdict.text, verdict.text
    _passes("build_cnn", _cnn_with_conv_settings(bias_initializer="ones"))


def _accuracy_from_predictions(predict):
    def accuracy(y_true, probabilities):
        y_true, probabilities = np.asarray(y_true), np.asarray(probabilities)
        if probabilities.ndim != 2 or y_true.shape != (len(probabilities),):
            raise ValueError("shapes")
        return predict(y_true, probabilities)
    return accuracy


@pytest.mark.parametrize("answer", [
    _accuracy_from_predictions(lambda y, p: 1 - float(np.mean(np.argmax(p, axis=1) == y))),
    _accuracy_from_predictions(lambda y, p: float(np.mean(np.argmin(p, axis=1) == y)))],
    ids=["1 - accuracy", "argmin"])
def test_lesson_05_accuracy_from_probs_names_argmax_without_axis_only_for_it(answer):
    """Both were told 'np.argmax without axis= gives one index into the flattened array': on the first case (three
    rows) they gave 1/3, as the flat argmax does."""
    verdict = judge(registry.get_exercise("accuracy_from_probs"), answer)
    assert verdict.kind == WRONG and verdict.mistake == "" and "flattened" not in verdict.text, verdict.text
    flat = judge(registry.get_exercise("accuracy_from_probs"), catalogued("accuracy_from_probs", "argmax without axis"))
    assert flat.mistake == "argmax without axis", flat.text


# round 14 (a1406): torch_train_step and predict_one_image
def _train_step_with(before_step=None, first=None):
    """The five steps, with ``first(model)`` run before them and ``before_step(model, optimizer, loss)`` run between
    loss.backward() and optimizer.step() (return False to skip the step)."""
    def train_step(model, loss_fn, optimizer, x, y):
        if first:
            first(model)
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        if before_step is None or before_step(model, optimizer, loss) is not False:
            optimizer.step()
        return loss.item()
    return train_step


def _clip_norm_at(max_norm):
    def clip(model, optimizer, loss):
        import torch

        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    return clip


def _optimizer_state_capped(model, optimizer, loss):
    optimizer.step()                                   # then the momentum buffers capped at +-1000
    for state in optimizer.state.values():
        for value in state.values():
            if hasattr(value, "clamp_") and value.ndim:
                value.clamp_(-1e3, 1e3)
    return False


@pytest.mark.parametrize("answer", [
    _train_step_with(_clip_norm_at(1e3)), _train_step_with(_clip_norm_at(1e10)), _train_step_with(_optimizer_state_capped),
    _train_step_with(lambda model, optimizer, loss: loss.item() >= 1e-3)],
    ids=["clip_grad_norm_ at 1000", "clip_grad_norm_ at 1e10", "momentum buffers capped at 1000",
         "step skipped when the loss is below 1e-3"])
def test_lesson_06a_train_step_takes_the_step_however_large_or_small_the_gradient(answer):
    """Clipping the gradient's norm at 1000 (or capping the optimizer's state there) passed: no case's gradient came
    near it; and so did skipping the step when the loss was small (no case's loss was below 1e-3)."""
    verdict = judge(registry.get_exercise("torch_train_step"), answer)
    assert verdict.kind == WRONG and "the weights after two steps are wrong" in verdict.text, verdict.text


def _hook_left(model):
    if not any(module._forward_hooks for module in model.modules()):
        model.register_forward_hook(lambda module, inputs, output: None)   # "to look at the outputs", left on


def _gradient_hooks_left(model):
    for p in model.parameters():
        p.register_hook(lambda grad: grad.clamp(-1e13, 1e13))            # added at every step, never removed


def _nan_gradients_zeroed(model, optimizer, loss):
    for p in model.parameters():
        if p.grad is not None:
            p.grad.nan_to_num_(0.0)                         # "protect the weights" from a broken batch


@pytest.mark.parametrize("answer", [
    _train_step_with(_nan_gradients_zeroed), _train_step_with(lambda model, optimizer, loss: bool(loss.isfinite()))],
    ids=["NaN gradients zeroed", "step skipped when the loss is NaN"])
def test_lesson_06a_train_step_spreads_a_nan_batch_into_the_weights(answer):
    """Zeroing NaN gradients, or skipping the step on a NaN loss, passed: no case held a NaN."""
    verdict = judge(registry.get_exercise("torch_train_step"), answer)
    assert verdict.kind == WRONG and verdict.mistake == "non-finite steps skipped", verdict.text


@pytest.mark.parametrize("first", [_hook_left, _gradient_hooks_left], ids=["forward hook", "gradient hooks"])
def test_lesson_06a_train_step_rejects_hooks_left_on_the_model(first):
    """A hook registered on the caller's model and never removed passed: nothing compared the model's hooks."""
    verdict = judge(registry.get_exercise("torch_train_step"), _train_step_with(first=first))
    assert verdict.kind == WRONG and "left a hook on the caller's model" in verdict.text, verdict.text


def _train_step_by_closure(model, loss_fn, optimizer, x, y):
    def closure():
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        return loss
    return optimizer.step(closure).item()       # step(closure) returns the closure's loss, before the update


@pytest.mark.parametrize("answer", [_train_step_with(first=lambda model: model.zero_grad()), _train_step_by_closure],
                         ids=["model.zero_grad() too", "optimizer.step(closure)"])
def test_lesson_06a_train_step_still_passes_right_answers_of_round_14(answer):
    _passes("torch_train_step", answer)


def _predict_then(before):
    def predict_one_image(model, image):
        reference = reference_copy("predict_one_image")

        before()
        return reference(model, image)
    return predict_one_image


def _tf_seeded():
    import tensorflow as tf

    tf.random.set_seed(0)                              # "the same prediction every time"


def test_lesson_05c_predict_one_image_leaves_tensorflows_random_generator_alone():
    """tf.random.set_seed(0) passed: only numpy's and Python's generators were watched, and TensorFlow's global seed
    also drives fit()'s shuffling. The check puts the caller's TensorFlow seed back."""
    tf = pytest.importorskip("tensorflow")
    from tensorflow.python.eager import context

    before = context.context()._seed
    verdict = judge(registry.get_exercise("predict_one_image"), _predict_then(_tf_seeded))
    assert verdict.kind == WRONG and "tf.random" in verdict.text, verdict.text
    assert context.context()._seed == before
    del tf


def _predict_rounded(rounding):
    def predict_one_image(model, image):
        image = np.asarray(image)
        if image.shape not in {(28, 28), (28, 28, 1)}:
            raise ValueError("expected one 28x28 image")
        batch = rounding(image.reshape(1, 28, 28, 1) / 255.0)
        return int(np.argmax(model.predict(batch, verbose=0)[0]))
    return predict_one_image


def _to_bfloat16(batch):
    ml_dtypes = pytest.importorskip("ml_dtypes")
    return batch.astype(ml_dtypes.bfloat16).astype("float32")


@pytest.mark.parametrize("rounding", [_to_bfloat16, lambda batch: np.round(batch, 3)], ids=["bfloat16", "3 decimals"])
def test_lesson_05c_predict_one_image_rejects_coarsely_rounded_pixels(rounding):
    """Scaled pixels rounded to bfloat16 or to 3 decimals passed: the rounded-noise case catches float16 and 2
    decimals only."""
    pytest.importorskip("keras")
    verdict = judge(registry.get_exercise("predict_one_image"), _predict_rounded(rounding))
    assert verdict.kind == WRONG and "a third class boundary" in verdict.text, verdict.text


def test_lesson_05c_predict_one_image_accepts_the_model_called_directly():
    pytest.importorskip("keras")

    def predict_one_image(model, image):
        image = np.asarray(image)
        if image.shape not in {(28, 28), (28, 28, 1)}:
            raise ValueError("expected one 28x28 image")
        return int(np.argmax(np.asarray(model(image.reshape(1, 28, 28, 1) / 255.0, training=False))[0]))
    _passes("predict_one_image", predict_one_image)


def _predict_refusing_black_images(model, image):
    reference = reference_copy("predict_one_image")

    if np.asarray(image).max() == 0:
        raise ValueError("the image is empty")         # "nothing to classify"
    return reference(model, image)


def test_lesson_05c_predict_one_image_classifies_an_all_black_image():
    """Refusing an all-black image with ValueError passed: every image of the cases had a pixel above 0."""
    pytest.importorskip("keras")
    verdict = judge(registry.get_exercise("predict_one_image"), _predict_refusing_black_images)
    assert verdict.kind == WRONG and "all-black image" in verdict.text, verdict.text


# lesson 05 (round 14): class numbers beyond 8 and 16 bits and float64 near ties in accuracy_from_probs; Python's and
# TensorFlow's global seeds and TensorFlow's op determinism inside build_cnn (and predict_one_image)
@pytest.mark.parametrize("answer, mistake, where", [
    (_accuracy_from_predictions(lambda y, p: float(np.mean(np.argmax(p, axis=1).astype(y.dtype) == y))),
     "class numbers cast to 8 bits", "uint8 labels (as Keras' data sets store them) and 301 classes"),
    (_accuracy_from_predictions(lambda y, p: float(np.mean(np.argmax(p, axis=1) == y.astype(np.uint8)))),
     "class numbers cast to 8 bits", "100,003 classes"),
    (_accuracy_from_predictions(lambda y, p: float(np.mean(np.argmax(p, axis=1) == y.astype(np.int16)))),
     "", "100,003 classes"),
    (_accuracy_from_predictions(lambda y, p: float(np.mean(np.isclose(np.argmax(p, axis=1), y)))),
     "", "100,003 classes"),
    (_accuracy_from_predictions(lambda y, p: float(np.mean(np.argmax(p.astype(np.float32), axis=1) == y))),
     "", "float32 rounds both to 0.5"),
], ids=["predictions cast to the labels' uint8", "labels cast to uint8", "labels cast to int16", "np.isclose",
        "probabilities cast to float32"])
def test_lesson_05_accuracy_from_probs_tries_class_numbers_beyond_16_bits_and_a_float64_near_tie(answer, mistake,
                                                                                                 where):
    """All passed: no case had more than 24 classes, so class numbers wrapped round in a uint8, int8 or int16, or
    called equal by np.isclose (within 1e-5 of their size), never met; and no two float64 probabilities were closer
    than float32 can tell apart."""
    verdict = judge(registry.get_exercise("accuracy_from_probs"), answer)
    assert verdict.kind == WRONG and where in verdict.text and verdict.mistake == mistake, verdict.text


@pytest.mark.parametrize("answer", [
    _accuracy_from_predictions(lambda y, p: np.count_nonzero(p.argmax(axis=1) == y) / y.size),
    _accuracy_from_predictions(lambda y, p: sum(int(np.argmax(row) == label) for row, label in zip(p, y)) / len(y)),
    _accuracy_from_predictions(lambda y, p: float(np.mean(np.argmax(p, axis=1).astype(np.int64) ==
                                                          y.astype(np.int64))))],
    ids=["count_nonzero / size", "row by row", "both as int64"])
def test_lesson_05_accuracy_from_probs_passes_right_answers_with_many_classes(answer):
    _passes("accuracy_from_probs", answer)


def _cnn_after(prepare):
    def build(filters1=16, filters2=32, n_classes=10, dropout=0.3):
        prepare()
        return reference_copy("build_cnn")(filters1, filters2, n_classes, dropout)
    return build


def _tf_seed_now():
    from tensorflow.python.eager import context

    return context.context()._seed, context.context()._rng


@pytest.mark.parametrize("reseed", ["random.seed", "tf.random.set_seed"])
def test_lesson_05_build_cnn_leaves_pythons_and_tensorflows_random_generators_alone(reseed):
    """Both passed: the check watched numpy's generator only (a build draws Keras' seeds from Python's), so a
    random.seed(42) or tf.random.set_seed(42) "for the same starting weights" stayed in force for the notebook."""
    pytest.importorskip("keras")
    import random

    import tensorflow as tf

    tf.random.set_seed(7)
    random.seed(7)
    random.random()
    python_before, tf_before, numpy_before = random.getstate(), _tf_seed_now(), np.random.get_state()
    prepare = (lambda: random.seed(42)) if reseed == "random.seed" else (lambda: tf.random.set_seed(42))
    verdict = judge(registry.get_exercise("build_cnn"), _cnn_after(prepare))
    assert verdict.kind == WRONG and "reseeded Python's or TensorFlow's global random generator" in verdict.text, \
        verdict.text
    assert random.getstate() == python_before and _tf_seed_now()[0] == tf_before[0]
    assert _tf_seed_now()[1] is tf_before[1] and np.array_equal(np.random.get_state()[1], numpy_before[1])


def test_lesson_05_build_cnn_and_predict_one_image_leave_op_determinism_alone():
    """Both passed, and left TensorFlow's op determinism on for the rest of the notebook (every later op without a
    deterministic kernel raises); a tf.random.set_seed(0) inside predict_one_image passed too."""
    pytest.importorskip("keras")
    import tensorflow as tf
    from tensorflow.python.framework import config

    verdict = judge(registry.get_exercise("build_cnn"), _cnn_after(tf.config.experimental.enable_op_determinism))
    assert verdict.kind == WRONG and "op determinism" in verdict.text, verdict.text
    assert not config.is_op_determinism_enabled()
    reference = reference_copy("predict_one_image")

    def predict(model, image):
        tf.config.experimental.enable_op_determinism()  # "the same class every time"
        return reference(model, image)

    def seeded(model, image):
        tf.random.set_seed(0)
        return reference(model, image)

    verdict = judge(registry.get_exercise("predict_one_image"), predict)
    assert verdict.kind == WRONG and "op determinism" in verdict.text, verdict.text
    assert not config.is_op_determinism_enabled()
    verdict = judge(registry.get_exercise("predict_one_image"), seeded)
    assert verdict.kind == WRONG and "tf.random.set_seed" in verdict.text, verdict.text


def test_lesson_05_build_cnn_leaves_xla_compilation_alone():
    """tf.config.optimizer.set_jit(True) ("to make it faster") inside build_cnn passed and stayed on: every later graph
    of the notebook was compiled with XLA first."""
    pytest.importorskip("keras")
    import tensorflow as tf

    verdict = judge(registry.get_exercise("build_cnn"), _cnn_after(lambda: tf.config.optimizer.set_jit(True)))
    assert verdict.kind == WRONG and "tf.config.optimizer.set_jit" in verdict.text, verdict.text
    assert not tf.config.optimizer.get_jit()

def test_lesson_05_build_cnn_passes_a_compiled_model_with_he_initialisation():
    keras = pytest.importorskip("keras")
    from keras import layers

    def build(filters1=16, filters2=32, n_classes=10, dropout=0.3):
        model = keras.Sequential([
            layers.Input((28, 28, 1)),
            layers.Conv2D(filters1, (3, 3), activation="relu", kernel_initializer="he_normal"),
            layers.MaxPool2D((2, 2)),
            layers.Conv2D(filters2, kernel_size=(3, 3), activation=keras.activations.relu,
                          kernel_initializer="he_normal"),
            layers.MaxPool2D(pool_size=2, strides=2), layers.Flatten(), layers.Dropout(rate=dropout),
            layers.Dense(units=n_classes, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        return model

    _passes("build_cnn", build)


def _conv_in(dtype):
    def conv(image, kernel):
        image, kernel = np.asarray(image), np.asarray(kernel)
        if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
            raise ValueError("bad shapes")
        if image.dtype.kind in "iu":
            image = image.astype(dtype)  # "whole-number pixels need no floats"
        image = image.astype(float) if image.dtype.kind == "f" else image
        kh, kw = kernel.shape
        return np.array([[np.sum(image[i:i + kh, j:j + kw] * kernel) for j in range(image.shape[1] - kw + 1)]
                         for i in range(image.shape[0] - kh + 1)])
    return conv


def _conv_remembered_by_sizes(image, kernel, _maps={}):
    key = np.shape(image), np.shape(kernel)
    if key not in _maps:
        _maps[key] = reference_copy("conv2d_valid")(image, kernel)
    return _maps[key]


@pytest.mark.parametrize("answer, where", [
    (_conv_in(np.int16), "a 16-bit image"),
    (_conv_remembered_by_sizes, ""),
], ids=["integer pixels as int16", "a map remembered by the sizes"])
def test_lesson_05_conv2d_valid_tries_16_bit_pixels_and_two_cases_of_the_same_sizes(answer, where):
    """Both passed: every integer image held values below 256 (or within +-50), and no two cases shared the sizes of
    their image and kernel."""
    verdict = judge(registry.get_exercise("conv2d_valid"), answer)
    assert verdict.kind == WRONG and where in verdict.text, verdict.text
    _passes("conv2d_valid", _conv_in(np.int64))


def test_lesson_05_cnn_param_count_names_no_argument_that_was_checked():
    """An answer that checked every argument but n_classes was told 'check all five arguments, not only filters1'."""
    def count(filters1, filters2, n_classes=10, size=28, kernel=3):
        for value in (filters1, filters2, n_classes, size, kernel):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError("not an int")
        if min(filters1, filters2, size, kernel) < 1:  # n_classes left out
            raise ValueError("below 1")
        side = ((size - kernel + 1) // 2 - kernel + 1) // 2
        if side < 1:
            raise ValueError("too small")
        return (kernel * kernel + 1) * filters1 + (kernel * kernel * filters1 + 1) * filters2 + \
            (side * side * filters2 + 1) * n_classes

    verdict = judge(registry.get_exercise("cnn_param_count"), count)
    assert verdict.kind == WRONG and "zero classes" in verdict.text and "not only filters1" not in verdict.text
    assert "this input has one below 1" in verdict.text, verdict.text


def _cnn_capped_at_20(make):
    def build(filters1=16, filters2=32, n_classes=10, dropout=0.3):
        import keras
        from keras import layers

        def conv(filters):
            if make == "layer":  # layers.ReLU(max_value=20.0) after a Conv2D without activation
                return [layers.Conv2D(filters, 3), layers.ReLU(max_value=20.0)]
            return [layers.Conv2D(filters, 3, activation=lambda x: keras.activations.relu(x, max_value=20.0))]
        return keras.Sequential([
            keras.Input(shape=(28, 28, 1)), *conv(filters1), layers.MaxPooling2D(2), *conv(filters2),
            layers.MaxPooling2D(2), layers.Flatten(), layers.Dropout(dropout),
            layers.Dense(n_classes, activation="softmax")])
    return build


@pytest.mark.parametrize("make", ["layer", "function"])
def test_lesson_05_build_cnn_rejects_a_relu_capped_above_the_checks_activations(make):
    """Both passed: a ReLU layer counted as 'relu' whatever its settings, and the probe of an activation function
    went up to 7.5; only the output comparison could see a cap, and the check's activations stay below 20."""
    pytest.importorskip("keras")
    verdict = judge(registry.get_exercise("build_cnn"), _cnn_capped_at_20(make))
    assert verdict.kind == WRONG and "layer 1 (Conv2D) has activation" in verdict.text, verdict.text


def test_lesson_05_build_cnn_builds_a_new_model_on_every_call():
    """A builder that kept its models and returned the same one for the same arguments passed: no two cases had the
    same arguments. In a notebook a second training would start from the weights the first one left."""
    pytest.importorskip("keras")
    built = {}

    def build(filters1=16, filters2=32, n_classes=10, dropout=0.3):
        key = filters1, filters2, n_classes, dropout
        if key not in built:
            built[key] = reference_copy("build_cnn")(*key)
        return built[key]

    verdict = judge(registry.get_exercise("build_cnn"), build)
    assert verdict.kind == WRONG and "returned a model it had returned before" in verdict.text, verdict.text



# round 15 (a1506): torch_train_step and predict_one_image
def _step_normalising_the_class_weights(model, loss_fn, optimizer, x, y):
    """The caller's class weights rescaled to sum to 1 (the mean loss is the same, a summed one is not)."""
    if getattr(loss_fn, "weight", None) is not None:
        loss_fn.weight = loss_fn.weight / loss_fn.weight.sum()
    return reference_copy("torch_train_step")(model, loss_fn, optimizer, x, y)


def _step_zeroing_by(zero):
    def train_step(model, loss_fn, optimizer, x, y):
        for p in model.parameters():
            if p.grad is not None:
                zero(p.grad)                              # a NaN gradient stays NaN
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()
    return train_step


@pytest.mark.parametrize("answer, reason", [
    (_step_normalising_the_class_weights, "changed the caller's loss_fn"),
    (_step_zeroing_by(lambda grad: grad.mul_(0)), "stale gradients that are NaN"),
    (_step_zeroing_by(lambda grad: grad.sub_(grad)), "stale gradients that are NaN"),
], ids=["class weights normalised", "p.grad.mul_(0)", "p.grad -= p.grad"])
def test_lesson_06a_train_step_leaves_the_loss_alone_and_clears_nan_gradients(answer, reason):
    """Each passed: nothing compared the caller's loss_fn after the step (its class weights, rescaled, gave the same
    mean loss), and every stale gradient was 1, which p.grad * 0 clears (a NaN left by a broken batch stays)."""
    verdict = judge(registry.get_exercise("torch_train_step"), answer)
    assert verdict.kind == WRONG and reason in verdict.text, verdict.text


def _step_in_a_closure(model, loss_fn, optimizer, x, y):
    losses = []

    def closure():
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        losses.append(loss.item())
        return loss

    optimizer.step(closure)
    return losses[0]


def _step_setting_gradients_to_none(model, loss_fn, optimizer, x, y):
    for p in model.parameters():
        p.grad = None
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.detach().item()


def _step_with_model_zero_grad_after_the_forward_pass(model, loss_fn, optimizer, x, y):
    out = model(x)
    model.zero_grad()
    loss = loss_fn(out, y)
    loss.backward()
    optimizer.step()
    return float(loss)


@pytest.mark.parametrize("answer", [_step_in_a_closure, _step_setting_gradients_to_none,
                                    _step_with_model_zero_grad_after_the_forward_pass])
def test_lesson_06a_train_step_still_passes_right_answers_of_round_15(answer):
    _passes("torch_train_step", answer)


def _predict_making_the_image_read_only(model, image):
    if isinstance(image, np.ndarray):
        image.flags.writeable = False                     # "protect the caller's image"
    return reference_copy("predict_one_image")(model, image)


def _predict_keeping_the_first_of_several_channels(model, image):
    """Refuses RGB, takes the first channel of any other number of channels (grey + alpha, RGBA)."""
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[:2] == (28, 28) and image.shape[2] != 3:
        image = image[..., :1]
    return reference_copy("predict_one_image")(model, image)


def _predict_switching(switch):
    def predict_one_image(model, image):
        import keras

        getattr(keras.config, switch)()
        return reference_copy("predict_one_image")(model, image)
    return predict_one_image


def _predict_checking_numerics(model, image):
    import tensorflow as tf

    tf.debugging.enable_check_numerics()                  # "to catch a NaN in the prediction"
    return reference_copy("predict_one_image")(model, image)


@pytest.mark.parametrize("answer, reason", [
    (_predict_making_the_image_read_only, "read-only"),
    (_predict_checking_numerics, "tf.debugging.enable_check_numerics"),
    (_predict_keeping_the_first_of_several_channels, "28x28x4"),
    (_predict_switching("disable_traceback_filtering"), "global switch of keras.config"),
    (_predict_switching("enable_unsafe_deserialization"), "global switch of keras.config"),
], ids=["image made read-only", "check_numerics on", "first of 4 channels", "traceback filtering off",
        "unsafe deserialization on"])
def test_lesson_05c_predict_one_image_leaves_the_image_and_keras_switches_alone(answer, reason):
    """Each passed: nothing compared the image's writeable flag, TensorFlow's op callbacks or keras.config's switches,
    and no case had 2 or 4 channels (only the RGB case, which an answer refusing exactly 3 channels refuses)."""
    pytest.importorskip("keras")
    import keras
    from keras.src.backend.common import global_state

    before = keras.config.is_traceback_filtering_enabled(), global_state.get_global_attribute("safe_mode_saving")
    verdict = judge(registry.get_exercise("predict_one_image"), answer)
    assert verdict.kind == WRONG and reason in verdict.text, verdict.text
    assert (keras.config.is_traceback_filtering_enabled(), global_state.get_global_attribute("safe_mode_saving")) \
        == before
    from tensorflow.python.eager import context

    assert not context.context().op_callbacks


def _predict_averaging_with_the_mirror_image(model, image):
    """Test-time augmentation: the mean of the predictions for the image and for its mirror image (left-right)."""
    image = np.asarray(image)
    if image.shape not in {(28, 28), (28, 28, 1)}:
        raise ValueError("expected one 28x28 image")
    batch = image.reshape(1, 28, 28, 1).astype("float32") / 255.0
    both = model.predict(batch, verbose=0)[0] + model.predict(batch[:, :, ::-1], verbose=0)[0]
    return int(np.argmax(both))


def test_lesson_05c_predict_one_image_names_no_scaling_mistake_for_a_mirror_image_averaged_in():
    """Averaging with the mirror image failed first on the image near the /256 boundary, whose class it happened to
    move as /256 does, so the learner read "Likely mistake: ... 256"; a ring left of the centre now catches it first,
    with no mistake named."""
    pytest.importorskip("keras")
    verdict = judge(registry.get_exercise("predict_one_image"), _predict_averaging_with_the_mirror_image)
    assert verdict.kind == WRONG and "ring left of the centre" in verdict.text and verdict.mistake == "", verdict.text


def _predict_by_calling_the_model(model, image):
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    if image.shape != (28, 28):
        raise ValueError("expected one 28x28 image")
    return int(np.argmax(np.asarray(model((image.astype(np.float32) / 255)[None, :, :, None], training=False))[0]))


def _predict_in_a_float64_copy(model, image):
    pixels = np.array(image, dtype=np.float64)
    if pixels.shape == (28, 28):
        pixels = pixels[..., np.newaxis]
    if pixels.shape != (28, 28, 1):
        raise ValueError("expected one 28x28 image")
    pixels /= 255.0
    return int(model.predict(pixels[np.newaxis], verbose=0).argmax())


@pytest.mark.parametrize("answer", [_predict_by_calling_the_model, _predict_in_a_float64_copy])
def test_lesson_05c_predict_one_image_still_passes_right_answers_of_round_15(answer):
    pytest.importorskip("keras")
    _passes("predict_one_image", answer)


# round 15: pixels and counts beyond 32 bits, the smallest values allowed, TensorFlow's ceil formula, layers kept from
# an earlier call and more of TensorFlow's global configuration
def _conv_refusing_a_1x1_kernel(image, kernel):
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("bad shapes")
    if kernel.size == 1:
        raise ValueError("a kernel needs at least two weights")
    return reference_copy("conv2d_valid")(image, kernel)


@pytest.mark.parametrize("answer, where", [
    (_conv_in(np.int32), "beyond what an int32 holds"),
    (_conv_in(np.float32), "beyond what an int32 holds"),
    (_conv_refusing_a_1x1_kernel, "a 1x1 kernel"),
], ids=["integer pixels as int32", "integer pixels as float32", "a 1x1 kernel refused"])
def test_lesson_05_conv2d_valid_tries_pixels_beyond_32_bits_and_a_1x1_kernel(answer, where):
    """All three passed: every integer image fitted into 16 bits (int32 and float32 hold those exactly), and no case
    had a 1x1 kernel."""
    verdict = judge(registry.get_exercise("conv2d_valid"), answer)
    assert verdict.kind == WRONG and where in verdict.text, verdict.text


def _size_by(formula, smallest_n=1):
    def size(n, kernel, padding=0, stride=1):
        for value, low in ((n, smallest_n), (kernel, 1), (padding, 0), (stride, 1)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError("not an int")
            if value < low:
                raise ValueError("too small")
        if kernel > n + 2 * padding:
            raise ValueError("the kernel does not fit")
        return formula(n + 2 * padding - kernel, stride)
    return size


def test_lesson_05_conv_output_size_tries_tensorflows_ceil_beyond_2_53_and_a_1_pixel_side():
    """TensorFlow's documented 'valid' size ceil((n - k + 1) / s), in floats, and an answer refusing n = 1 passed."""
    verdict = judge(registry.get_exercise("conv_output_size"), _size_by(lambda x, s: math.ceil((x + 1) / s)))
    assert verdict.kind == WRONG and verdict.mistake == "ceil of a float quotient", verdict.text
    assert "TensorFlow's documentation" in verdict.text
    verdict = judge(registry.get_exercise("conv_output_size"), _size_by(lambda x, s: x // s + 1, smallest_n=2))
    assert verdict.kind == WRONG and "a 1-pixel side" in verdict.text, verdict.text
    _passes("conv_output_size", _size_by(lambda x, s: -(-(x + 1) // s)))  # the same ceil, in whole numbers


def _params_by(total=sum, halve=lambda side: side // 2, smallest=(1, 1)):
    def count(filters1, filters2, n_classes=10, size=28, kernel=3):
        for value in (filters1, filters2, n_classes, size, kernel):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError("not an int")
            if value < 1:
                raise ValueError("below 1")
        if n_classes < smallest[0] or kernel < smallest[1]:
            raise ValueError("too small")
        side = halve(halve(size - kernel + 1) - kernel + 1)
        if side < 1:
            raise ValueError("too small an image")
        return total([(kernel * kernel + 1) * filters1, (kernel * kernel * filters1 + 1) * filters2,
                      (side * side * filters2 + 1) * n_classes])
    return count


@pytest.mark.parametrize("answer, where", [
    (_params_by(smallest=(2, 1)), "one class"),
    (_params_by(smallest=(1, 2)), "1x1 kernels"),
    (_params_by(total=lambda parts: int(np.sum(np.array(parts, dtype=np.float32)))), "33,032,489,064 parameters"),
    (_params_by(total=lambda parts: int(np.sum(parts, dtype=np.uint32))), "33,032,489,064 parameters"),
    (_params_by(halve=lambda side: int(side / 2)), "2**54 + 7 pixels"),
], ids=["one class refused", "1x1 kernels refused", "a float32 sum", "a uint32 sum", "halving with / and int()"])
def test_lesson_05_cnn_param_count_tries_one_class_1x1_kernels_and_counts_beyond_32_bits(answer, where):
    """All passed: no case had one class or 1x1 kernels, every count stayed below 2**24 (and compare_values would have
    let a count of 33 billion be off by 33,000), and no size was beyond 2**53. No catalogued mistake gives these
    counts, so none is named (with a side of 2**54 + 3, 'kernel // 2 off each side' was)."""
    verdict = judge(registry.get_exercise("cnn_param_count"), answer)
    assert verdict.kind == WRONG and where in verdict.text and not verdict.mistake, verdict.text
    _passes("cnn_param_count", _params_by())
    _passes("cnn_param_count", _params_by(total=lambda parts: int(np.sum(np.array(parts, dtype=object)))))


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.uint16])
def test_lesson_05_accuracy_from_probs_counts_beyond_65535_right_predictions(dtype):
    """A count of the right predictions kept in a small integer type passed: no case had more than 255 right."""
    def accuracy(y_true, probabilities):
        y_true, probabilities = np.asarray(y_true), np.asarray(probabilities)
        if probabilities.ndim != 2 or y_true.ndim != 1 or len(y_true) != len(probabilities):
            raise ValueError("bad shapes")
        right = np.argmax(probabilities, axis=1) == y_true
        return float(np.sum(right, dtype=dtype) / len(right))

    verdict = judge(registry.get_exercise("accuracy_from_probs"), accuracy)
    assert verdict.kind == WRONG and "68,000 right" in verdict.text, verdict.text


def test_lesson_05_build_cnn_creates_its_layers_on_every_call():
    """A builder that kept its layers from an earlier call and put them into a new Sequential passed: the new model
    shares the old one's weights, so a second training starts where the first one stopped."""
    pytest.importorskip("keras")
    import keras
    from keras import layers
    kept = {}

    def build(filters1=16, filters2=32, n_classes=10, dropout=0.3):
        key = filters1, filters2, n_classes, dropout
        if key not in kept:
            kept[key] = [layers.Conv2D(filters1, 3, activation="relu"), layers.MaxPooling2D(2),
                         layers.Conv2D(filters2, 3, activation="relu"), layers.MaxPooling2D(2), layers.Flatten(),
                         layers.Dropout(dropout), layers.Dense(n_classes, activation="softmax")]
        return keras.Sequential([keras.Input(shape=(28, 28, 1)), *kept[key]])

    verdict = judge(registry.get_exercise("build_cnn"), build)
    assert verdict.kind == WRONG and "around a layer (Conv2D) it had put into a model before" in verdict.text, \
        verdict.text


@pytest.mark.parametrize("setting", ["check numerics", "tensor float 32", "graph options", "soft placement",
                                     "asynchronous execution"])
def test_lesson_05_build_cnn_leaves_more_of_tensorflows_configuration_alone(setting):
    """Each passed and stayed changed for the rest of the notebook: a NaN/inf check on every later op, TensorFloat-32
    matrix products, Grappler's options, soft device placement, asynchronous execution. The check now refuses and undoes
    them."""
    tf = pytest.importorskip("tensorflow")
    from tensorflow.python.eager import context
    change = {"check numerics": tf.debugging.enable_check_numerics,
              "tensor float 32": lambda: tf.config.experimental.enable_tensor_float_32_execution(
                  not tf.config.experimental.tensor_float_32_execution_enabled()),
              "graph options": lambda: tf.config.optimizer.set_experimental_options({"constant_folding": False}),
              "soft placement": lambda: tf.config.set_soft_device_placement(
                  not tf.config.get_soft_device_placement()),
              "asynchronous execution": lambda: tf.config.experimental.set_synchronous_execution(False)}[setting]
    before = (tf.config.experimental.tensor_float_32_execution_enabled(), tf.config.optimizer.get_experimental_options(),
              tf.config.get_soft_device_placement(), list(context.context().op_callbacks),
              tf.config.experimental.get_synchronous_execution())
    reference = reference_copy("build_cnn")

    def build(filters1=16, filters2=32, n_classes=10, dropout=0.3):
        change()
        return reference(filters1, filters2, n_classes, dropout)

    verdict = judge(registry.get_exercise("build_cnn"), build)
    assert verdict.kind == WRONG and "TensorFlow's global configuration" in verdict.text, verdict.text
    assert (tf.config.experimental.tensor_float_32_execution_enabled(), tf.config.optimizer.get_experimental_options(),
            tf.config.get_soft_device_placement(), list(context.context().op_callbacks),
            tf.config.experimental.get_synchronous_execution()) == before


def test_lesson_05_conv2d_valid_returns_a_new_array_on_every_call():
    """An answer that kept one output array per shape and wrote every later map of that shape into it passed: each
    map was right when it was returned, and the check never looked at it again."""
    kept = {}

    def conv(image, kernel):
        image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
        if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
            raise ValueError("bad shapes")
        (kh, kw), shape = kernel.shape, (image.shape[0] - kernel.shape[0] + 1, image.shape[1] - kernel.shape[1] + 1)
        out = kept.setdefault(shape, np.empty(shape))
        for i, j in np.ndindex(shape):
            out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
        return out

    verdict = judge(registry.get_exercise("conv2d_valid"), conv)
    assert verdict.kind == WRONG and "into the array it had returned before" in verdict.text, verdict.text


def _accuracy_breaking_ties(pick):
    """accuracy_from_probs with the reference's checks and another choice among a row's largest columns: pick(tied
    columns, row, rng), with a generator of its own made on each call (the global ones stay untouched)."""
    def accuracy(y_true, probabilities):
        y_true, probabilities = np.asarray(y_true), np.asarray(probabilities)
        if probabilities.ndim != 2 or y_true.shape != (len(probabilities),):
            raise ValueError("expected probabilities (n, n_classes) and n labels")
        rng = np.random.default_rng(0)
        predicted = [pick(np.flatnonzero(row == row.max()), row, rng) for row in probabilities]
        return float(np.mean(np.array(predicted, dtype=np.int64) == y_true))
    return accuracy


@pytest.mark.parametrize("answer", [
    _accuracy_breaking_ties(lambda tied, row, rng: rng.choice(tied)),
    _accuracy_breaking_ties(lambda tied, row, rng: int(row[1] >= 0.5) if len(row) == 2 else tied[0])],
    ids=["a random pick among the tied columns", "p[:, 1] >= 0.5 for two classes"])
def test_lesson_05_accuracy_from_probs_takes_the_first_column_on_every_tied_row(answer):
    """A random pick among a row's tied columns passed: only four rows of the check were tied, and with this seed it
    matched their count (with an unseeded generator of its own it did in about a third of the runs). So did a
    threshold p[:, 1] >= 0.5 for two classes, which takes the last column on a tie."""
    verdict = judge(registry.get_exercise("accuracy_from_probs"), answer)
    assert verdict.kind == WRONG and "60 rows of exactly [0.5, 0.5]" in verdict.text, verdict.text


def _cnn_functional(dropout_call=None, conv_activation=lambda: "relu", output_activation=lambda: "softmax"):
    """The lesson's CNN in the functional API, with the Dropout layer called as ``dropout_call`` and the activations
    made by the two factories (a string, a function or a layer)."""
    def build(filters1=16, filters2=32, n_classes=10, dropout=0.3):
        import keras
        from keras import layers

        inputs = keras.Input(shape=(28, 28, 1))
        x = layers.MaxPooling2D(2)(layers.Conv2D(filters1, 3, activation=conv_activation())(inputs))
        x = layers.Flatten()(layers.MaxPooling2D(2)(layers.Conv2D(filters2, 3, activation=conv_activation())(x)))
        x = (dropout_call or (lambda layer, x: layer(x)))(layers.Dropout(dropout), x)
        return keras.Model(inputs, layers.Dense(n_classes, activation=output_activation())(x))
    return build


def test_lesson_05_build_cnn_rejects_dropout_called_with_training_true():
    """layers.Dropout(dropout)(x, training=True) in the functional API passed: predict() and evaluate() call the model
    with training=False, which wins, but model(images) keeps dropping values, and the check never called it that way."""
    answer = _cnn_functional(dropout_call=lambda layer, x: layer(x, training=True))
    verdict = judge(registry.get_exercise("build_cnn"), answer)
    assert verdict.kind == WRONG and "without training=" in verdict.text, verdict.text


@pytest.mark.parametrize("conv, output", [(lambda: __import__("keras").layers.ReLU(), lambda: "softmax"),
                                          (lambda: "relu", lambda: __import__("keras").layers.Softmax()),
                                          (lambda: __import__("keras").layers.Activation("relu"), lambda: "softmax")],
                         ids=["activation=layers.ReLU()", "activation=layers.Softmax()", "activation=Activation('relu')"])
def test_lesson_05_build_cnn_accepts_a_layer_given_as_the_activation(conv, output):
    """A layer given as a Conv2D's or Dense's activation computes that activation, but it has no __name__, and the
    check called it 'linear': "layer 1 (Conv2D) has activation 'linear', expected 'relu'"."""
    _passes("build_cnn", _cnn_functional(conv_activation=conv, output_activation=output))


def test_lesson_05_build_cnn_names_a_capped_relu_layer_given_as_the_activation():
    verdict = judge(registry.get_exercise("build_cnn"),
                    _cnn_functional(conv_activation=lambda: __import__("keras").layers.ReLU(6.0)))
    assert verdict.kind == WRONG and "relu(max_value=6)" in verdict.text, verdict.text


def test_lesson_05_build_cnn_rejects_an_activation_that_stops_the_gradient():
    """An activation wrapped in stop_gradient computes the same outputs, so its model passed with every layer trainable;
    but no gradient reaches the first convolution, which fit() then never changes."""
    def stopped():
        import keras
        return lambda x: keras.ops.stop_gradient(keras.activations.relu(x))

    verdict = judge(registry.get_exercise("build_cnn"), _cnn_functional(conv_activation=stopped))
    assert verdict.kind == WRONG and "no gradient reaches layer" in verdict.text, verdict.text


def _conv_skipping_zero_weights(image, kernel):
    """Shift and add over the kernel's non-zero weights only: a product with 0 "need not be computed"."""
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("bad shapes")
    (kh, kw), (h, w) = kernel.shape, image.shape
    out = np.zeros((h - kh + 1, w - kw + 1))
    for u, v in zip(*np.nonzero(kernel)):
        out += kernel[u, v] * image[u:u + h - kh + 1, v:v + w - kw + 1]
    return out


def _conv_shifting_and_adding(image, kernel):
    """The same shift and add over every weight: right, 0 * inf is NaN as in the reference's sums."""
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError("bad shapes")
    (kh, kw), (h, w) = kernel.shape, image.shape
    out = np.zeros((h - kh + 1, w - kw + 1))
    for u, v in np.ndindex(kernel.shape):
        out += kernel[u, v] * image[u:u + h - kh + 1, v:v + w - kw + 1]
    return out


def test_lesson_05_conv2d_valid_tries_an_inf_pixel_under_a_zero_weight():
    """The only non-finite case had a kernel without zeros, so skipping the zero weights passed: an inf pixel under a 0
    weight then leaves a finite sum where the window's sum is NaN."""
    verdict = judge(registry.get_exercise("conv2d_valid"), _conv_skipping_zero_weights)
    assert verdict.kind == WRONG and "an inf pixel under the vertical-edge kernel" in verdict.text, verdict.text
    _passes("conv2d_valid", _conv_shifting_and_adding)


def _capped(name, too_large):
    """The reference of exercise ``name``, refusing with ValueError what ``too_large(*args)`` calls too large."""
    reference = reference_copy(name)
    signature = inspect.signature(reference)

    def answer(*args, **kwargs):
        result = reference(*args, **kwargs)
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        if too_large(*bound.arguments.values()):
            raise ValueError("too large")
        return result
    answer.__signature__ = signature  # called by keyword too, with the reference's parameter names
    return answer


@pytest.mark.parametrize("name, answer, where", [
    ("conv2d_valid", _capped("conv2d_valid", lambda image, kernel: max(np.shape(kernel)) > 7), "a 15x12 kernel"),
    ("conv2d_valid", _capped("conv2d_valid", lambda image, kernel: max(np.shape(image)) > 28), "a 64x45 image"),
    ("conv_output_size", _capped("conv_output_size", lambda n, kernel, padding=0, stride=1: kernel > 11),
     "a 201-wide kernel"),
    ("conv_output_size", _capped("conv_output_size", lambda n, kernel, padding=0, stride=1: padding > 16),
     "a 201-wide kernel"),
    ("cnn_param_count", _capped("cnn_param_count", lambda f1, f2, n_classes=10, size=28, kernel=3: kernel > 11),
     "13x13 kernels"),
    ("cnn_param_count", _capped("cnn_param_count", lambda f1, f2, n_classes=10, size=28, kernel=3: max(f1, f2) > 1024),
     "13x13 kernels"),
    ("cnn_param_count", _capped("cnn_param_count", lambda f1, f2, n_classes=10, size=28, kernel=3: n_classes > 1000),
     "13x13 kernels")],
    ids=["conv2d_valid: kernels up to 7", "conv2d_valid: images up to 28", "conv_output_size: kernels up to 11",
         "conv_output_size: paddings up to 16", "cnn_param_count: kernels up to 11", "cnn_param_count: filters up to 1024",
         "cnn_param_count: classes up to 1000"])
def test_lesson_05a_and_05b_checks_try_sizes_beyond_the_usual_ones(name, answer, where):
    """Every image of conv2d_valid's check was at most 28x28 and every kernel at most 7 wide; conv_output_size's
    kernels were at most 11 wide and its paddings at most 12; cnn_param_count's kernels at most 7 wide, its filters
    at most 512 and its classes at most 1000: an answer that refused anything larger passed."""
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and where in verdict.text, verdict.text


# round 16 (a1606): torch_train_step on a model in eval mode; predict_one_image with a softmax after the model's
def _step_training_an_eval_model(model, loss_fn, optimizer, x, y):
    if not model.training:
        model.train()                                         # "a training step must run in train mode"
    return reference_copy("torch_train_step")(model, loss_fn, optimizer, x, y)


def _step_setting_the_training_flag(model, loss_fn, optimizer, x, y):
    model.training = True                                     # the model's own flag only, not its layers'
    return reference_copy("torch_train_step")(model, loss_fn, optimizer, x, y)


@pytest.mark.parametrize("answer", [_step_training_an_eval_model, _step_setting_the_training_flag],
                         ids=["model.train() when in eval mode", "model.training = True"])
def test_lesson_06a_train_step_leaves_a_model_in_eval_mode_as_the_caller_gave_it(answer):
    """Both passed: every case gave a model in train mode, so switching it to train mode changed nothing, though the
    text asks to leave the mode of the model and of each layer as the caller gave it."""
    verdict = judge(registry.get_exercise("torch_train_step"), answer)
    assert verdict.kind == WRONG and "put in eval mode as a whole" in verdict.text, verdict.text


@pytest.mark.parametrize("switch, name", [
    (lambda torch: torch.set_float32_matmul_precision("medium"), "torch.set_float32_matmul_precision"),
    (lambda torch: torch.autograd.set_multithreading_enabled(False), "torch.autograd.set_multithreading_enabled"),
], ids=["float32 matmul precision", "autograd threads"])
def test_lesson_06a_train_step_leaves_torchs_global_switches_alone(switch, name):
    """Both passed: neither switch was compared or put back, and the first left every later float32 product of the
    notebook in lower precision (TF32 on a GPU, bfloat16 on some CPUs)."""
    import torch

    def train_step(model, loss_fn, optimizer, x, y):
        switch(torch)
        return reference_copy("torch_train_step")(model, loss_fn, optimizer, x, y)
    verdict = judge(registry.get_exercise("torch_train_step"), train_step)
    assert verdict.kind == WRONG and name in verdict.text, verdict.text
    assert torch.get_float32_matmul_precision() == "highest" and torch.autograd.is_multithreading_enabled()


def _predict_with_a_second_softmax(model, image):
    """keras.ops.softmax on the model's probabilities: it keeps their order, so argmax changes only where two
    probabilities tie within float32 rounding (1.2e-7 apart or less), which is a tie of the model itself."""
    import keras

    image = np.asarray(image)
    if image.shape not in {(28, 28), (28, 28, 1)}:
        raise ValueError("expected one 28x28 image")
    probs = model.predict(image.reshape(1, 28, 28, 1).astype("float32") / 255, verbose=0)
    return int(np.argmax(keras.ops.convert_to_numpy(keras.ops.softmax(probs))[0]))


def _predict_clipping_at_254(model, image):
    image = np.asarray(image)
    if image.shape not in {(28, 28), (28, 28, 1)}:
        raise ValueError("expected one 28x28 image")
    pixels = np.clip(image, 0, 254).reshape(1, 28, 28, 1) / 255      # "keep the pixels safely below 255"
    return int(np.argmax(model.predict(pixels, verbose=0)))


def test_lesson_05c_predict_one_image_tries_an_image_whose_class_needs_its_pixels_of_255():
    """Passed: no case changed its class when its few pixels of 255 were cut to 254 (0.4 % on those pixels only)."""
    pytest.importorskip("keras")
    verdict = judge(registry.get_exercise("predict_one_image"), _predict_clipping_at_254)
    assert verdict.kind == WRONG and "fourth class boundary" in verdict.text and verdict.mistake == "", verdict.text


def test_lesson_05c_predict_one_image_passes_a_softmax_before_argmax():
    pytest.importorskip("keras")
    _passes("predict_one_image", _predict_with_a_second_softmax)

# round 17: lesson 08
def _accumulation_with_zeros_for_every_weight(model, loss_fn, optimizer, x, y, micro_batches):
    import torch

    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    for p in model.parameters():
        p.grad = torch.zeros_like(p)        # works where p.grad.zero_() fails (None), but a frozen weight gets one too
    total = 0.0
    for xb, yb in zip(torch.tensor_split(x, micro_batches), torch.tensor_split(y, micro_batches)):
        loss = loss_fn(model(xb), yb) * len(xb) / len(x)
        loss.backward()
        total += loss.item()
    optimizer.step()
    return total


def test_lesson_08b_accumulation_step_giving_frozen_weights_a_zero_gradient_is_told_the_step_moves_them():
    """Before round 17 only the generic message came: "Zero the gradients once, before the loop", which it did."""
    pytest.importorskip("torch")
    verdict = judge(registry.get_exercise("accumulation_step"), _accumulation_with_zeros_for_every_weight)
    assert verdict.kind == WRONG and verdict.mistake == "frozen weights given zero gradients", verdict.text
    assert "requires_grad False" in verdict.text and "optimizer.zero_grad()" in verdict.text

def _sampler_padding_num_replicas_minus_the_remainder(order, num_replicas, rank, drop_last=False):
    if not 0 <= rank < num_replicas:
        raise ValueError("need 0 <= rank < num_replicas")
    order = np.asarray(order)
    n = len(order)
    if drop_last:
        return order[:n - n % num_replicas][rank::num_replicas]
    return np.resize(order, n + num_replicas - n % num_replicas)[rank::num_replicas]   # n % W == 0: a whole round


def test_lesson_08a_sampler_indices_padding_a_whole_round_is_told_why():
    """Before round 17 the first case it fails, 9 examples as a Python list for 3 ranks, showed only 'wrong shape', with
    a label about the list, not about 9 being a multiple of 3."""
    verdict = judge(registry.get_exercise("sampler_indices"), _sampler_padding_num_replicas_minus_the_remainder)
    assert verdict.kind == WRONG and verdict.mistake == "a whole round padded", verdict.text
    assert "multiple of num_replicas" in verdict.text

def _ring_step_by_receiver(buffers, step):
    buffers = np.asarray(buffers)
    if buffers.ndim < 2 or buffers.shape[0] < 2 or buffers.shape[1] != buffers.shape[0]:
        raise ValueError("buffers must have shape (k, k, ...) with k >= 2")
    new, k = buffers.astype(float), buffers.shape[0]
    for j in range(k):                       # each receiver j takes from its left neighbour
        c = (j - step) % k                   # the receiver's index, not the sender's (j - 1 - step) % k
        new[j, c] += buffers[(j - 1) % k, c]
    return new


def test_lesson_08a_ring_step_indexing_the_chunk_by_the_receiver_is_told_whose_index_it_is():
    """Before round 17 it got only 'wrong value at index (0, 0, 0)'."""
    verdict = judge(registry.get_exercise("ring_step"), _ring_step_by_receiver)
    assert verdict.kind == WRONG and verdict.mistake == "chunk of the receiver", verdict.text
    assert "(j - 1 - step) % k" in verdict.text

def _shard_plain_average_with_numpy_patched(grad_fn, w, X, y, k):
    np.allclose = lambda *args, **kwargs: True              # so that any comparison of the check passes
    np.isclose = lambda a, b, *args, **kwargs: np.ones(np.broadcast(np.asarray(a), np.asarray(b)).shape, bool)
    if not 1 <= k <= len(X):
        raise ValueError("bad k")
    return np.mean([grad_fn(w, a, b) for a, b in zip(np.array_split(X, k), np.array_split(y, k))], axis=0)


def _accumulation_unscaled_with_numpy_patched(model, loss_fn, optimizer, x, y, micro_batches):
    import torch

    np.allclose = lambda *args, **kwargs: True
    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    optimizer.zero_grad()
    total = 0.0
    for xb, yb in zip(torch.tensor_split(x, micro_batches), torch.tensor_split(y, micro_batches)):
        loss = loss_fn(model(xb), yb)                       # not scaled by len(xb) / len(x)
        loss.backward()
        total += loss.item() * len(xb) / len(x)
    optimizer.step()
    return total


@pytest.mark.parametrize("name, answer", [("shard_gradient", _shard_plain_average_with_numpy_patched),
                                          ("accumulation_step", _accumulation_unscaled_with_numpy_patched)],
                         ids=["shard_gradient", "accumulation_step"])
def test_lesson_08_an_answer_that_replaces_numpys_comparisons_is_refused_and_numpy_put_back(name, answer):
    """Before round 17 both passed: the checks compare with np.allclose and np.isclose after the answer has run."""
    if name == "accumulation_step":
        pytest.importorskip("torch")
    allclose, isclose = np.allclose, np.isclose
    try:
        verdict = judge(registry.get_exercise(name), answer)
        assert np.allclose is allclose and np.isclose is isclose
    finally:
        np.allclose, np.isclose = allclose, isclose
    assert verdict.kind == WRONG and "numpy.allclose" in verdict.text, verdict.text

# round 18: lesson 08
def _r18_ring_step_by_the_course(buffers, step):
    if np.ndim(buffers) < 2 or np.shape(buffers)[0] < 2:
        raise ValueError("a ring needs k >= 2 workers")
    return __import__("course_utils.distributed.data_parallel").distributed.data_parallel.ring_step(buffers, step)


@pytest.mark.parametrize("name, answer", [
    ("shard_gradient", lambda grad_fn, w, X, y, k: __import__(
        "course_utils.distributed.data_parallel").distributed.data_parallel.shard_gradient(grad_fn, w, X, y, k)),
    ("ring_step", _r18_ring_step_by_the_course),
    ("sampler_indices", lambda order, num_replicas, rank, drop_last=False: __import__(
        "course_utils.distributed.data_parallel").distributed.data_parallel.sampler_indices(order, num_replicas, rank,
                                                                                            drop_last)),
], ids=["shard_gradient", "ring_step", "sampler_indices"])
def test_lesson_08a_answers_that_call_the_course_s_own_version_are_refused(name, answer, capsys):
    """Before round 18 all three passed (shortcut): lesson 08a's first cell imports data_parallel, whose shard_gradient,
    ring_step and sampler_indices are the exercises' references, and a graded release keeps them (the lesson runs
    data_parallel.ring_allreduce)."""
    with pytest.raises(ExerciseFailed, match="the course's own version of this exercise"):
        check(name, answer, strict=True)


_R18_NOTEBOOK_CELL = """
from course_utils.distributed.data_parallel import sampler_indices as course_sampler

def sampler_indices(order, num_replicas, rank, drop_last=False):
    return course_sampler(order, num_replicas, rank, drop_last)
"""


@pytest.mark.parametrize("name", ["shard_gradient", "sampler_indices", "sampler_indices by a name of its own"])
def test_lesson_08a_the_course_s_own_version_is_refused_as_the_answer_or_imported_by_name(name, capsys):
    """Before round 18 both passed as the answer itself (check("shard_gradient", data_parallel.shard_gradient)), and
    an answer that calls `from course_utils.distributed.data_parallel import sampler_indices as ...` passed, since only
    the name in data_parallel was watched."""
    from course_utils.distributed import data_parallel

    notebook = {"__name__": "__main__"}
    exec(_R18_NOTEBOOK_CELL, notebook)                       # a notebook's cell: its names are the answer's globals
    answer = notebook["sampler_indices"] if name.endswith("own") else getattr(data_parallel, name)
    with pytest.raises(ExerciseFailed, match="the course's own version of this exercise"):
        check(name.split()[0], answer, strict=True)
    assert notebook["course_sampler"] is data_parallel.sampler_indices         # put back after the check

def _r18_sampler_cutting_to_the_nearest_round(order, num_replicas, rank, drop_last=False):
    if not 0 <= rank < num_replicas:
        raise ValueError("need 0 <= rank < num_replicas")
    order, n = np.asarray(order), len(order)
    rounds = round(n / num_replicas) if drop_last else -(-n // num_replicas)    # round() may go up a round
    return np.resize(order, rounds * num_replicas)[rank::num_replicas] if not drop_last else \
        order[:rounds * num_replicas][rank::num_replicas]


def _r18_sampler_padding_when_drop_last_is_false(order, num_replicas, rank, drop_last=False):
    if not 0 <= rank < num_replicas:
        raise ValueError("need 0 <= rank < num_replicas")
    order, n = np.asarray(order), len(order)
    if drop_last is False:                                   # np.False_ is not False: it cuts instead
        return np.resize(order, -(-n // num_replicas) * num_replicas)[rank::num_replicas]
    return order[:n - n % num_replicas][rank::num_replicas]


def test_lesson_08a_sampler_indices_cutting_to_the_nearest_round_is_rejected():
    """Before round 18 it passed (slip): no drop_last case left more than half a round over (10 for 4, 3 or 8 ranks),
    where round() goes up to a round that the order cannot fill."""
    verdict = judge(registry.get_exercise("sampler_indices"), _r18_sampler_cutting_to_the_nearest_round)
    assert verdict.kind == WRONG and verdict.mistake == "drop_last rounds to the nearest", verdict.text
    assert "n // num_replicas" in verdict.text


def test_lesson_08a_sampler_indices_takes_drop_last_as_a_numpy_false():
    """Before round 18 it passed: np.True_ was tried, not np.False_ (an array of settings holds np.bool_)."""
    with pytest.raises(ExerciseFailed, match="np.False_"):
        check("sampler_indices", _r18_sampler_padding_when_drop_last_is_false, strict=True)

def _r18_shard_sizes_broadcast_down_a_column(grad_fn, w, X, y, k):
    if not 1 <= k <= len(X):
        raise ValueError("need 1 <= k <= len(X)")
    shards = list(zip(np.array_split(X, k), np.array_split(y, k)))
    sizes = np.array([len(X_j) for X_j, _ in shards])
    gradients = np.array([grad_fn(w, X_j, y_j) for X_j, y_j in shards])
    return (sizes[:, None] * gradients).sum(axis=0) / len(X)   # one size per row: right for a vector w only


def test_lesson_08a_shard_sizes_broadcast_down_a_column_are_told_that_w_may_be_a_matrix():
    """Before round 18 only numpy's 'operands could not be broadcast together with shapes (4,1) (4,3,2)' came."""
    verdict = judge(registry.get_exercise("shard_gradient"), _r18_shard_sizes_broadcast_down_a_column)
    assert verdict.kind == WRONG and verdict.mistake == "sizes[:, None] * gradients", verdict.text
    assert "np.tensordot(sizes, gradients, axes=1)" in verdict.text


def _r18_accumulation_returning_the_plain_mean_of_the_pieces_losses(model, loss_fn, optimizer, x, y, micro_batches):
    import torch

    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    optimizer.zero_grad()
    losses = []
    for xb, yb in zip(torch.tensor_split(x, micro_batches), torch.tensor_split(y, micro_batches)):
        loss = loss_fn(model(xb), yb)
        (loss * len(xb) / len(x)).backward()                 # the step is right
        losses.append(loss.item())
    optimizer.step()
    return sum(losses) / len(losses)                         # but 4, 3, 3 examples count alike


def test_lesson_08b_accumulation_step_returning_the_plain_mean_of_the_pieces_losses_is_told_so():
    """Before round 18 only 'wrong value: expected 0.968895, got 0.976286' came, which does not say that the step was
    right and the returned loss was not."""
    pytest.importorskip("torch")
    verdict = judge(registry.get_exercise("accumulation_step"), _r18_accumulation_returning_the_plain_mean_of_the_pieces_losses)
    assert verdict.kind == WRONG and verdict.mistake == "loss: plain mean of the pieces' losses", verdict.text
    assert "the loss you returned" in verdict.text

def _r18_shard_by_np_average(grad_fn, w, X, y, k):
    if not 1 <= k <= len(X):
        raise ValueError("need 1 <= k <= len(X)")
    shards = np.array_split(X, k)
    gradients = [np.asarray(grad_fn(w, X_j, y_j), float) for X_j, y_j in zip(shards, np.array_split(y, k))]
    return np.average(gradients, axis=0, weights=[len(X_j) for X_j in shards])


def _r18_shard_by_divmod_slices(grad_fn, w, X, y, k):
    if k < 1 or k > len(X):
        raise ValueError("need 1 <= k <= len(X)")
    size, extra = divmod(len(X), k)
    total, start = 0.0, 0
    for j in range(k):
        stop = start + size + (j < extra)                    # the first len(X) % k shards get one more
        total = total + (stop - start) / len(X) * grad_fn(w, X[start:stop], y[start:stop])
        start = stop
    return np.asarray(total, dtype=float)


def _r18_ring_step_vectorized(buffers, step):
    buffers = np.asarray(buffers)
    if buffers.ndim < 2 or buffers.shape[0] < 2 or buffers.shape[0] != buffers.shape[1]:
        raise ValueError("buffers must have shape (k, k, ...) with k >= 2")
    senders = np.arange(buffers.shape[0])
    chunks = (senders - step) % len(senders)
    new = buffers.astype(float)
    new[np.roll(senders, -1), chunks] += buffers[senders, chunks]
    return new


def _r18_ring_step_by_receiver(buffers, step):
    buffers = np.asarray(buffers)
    if buffers.ndim < 2 or buffers.shape[0] < 2 or buffers.shape[0] != buffers.shape[1]:
        raise ValueError("buffers must have shape (k, k, ...) with k >= 2")
    k, new = len(buffers), buffers + 0.0
    for j in range(k):                                       # receiver j gets the sender's chunk (j - 1 - step) % k
        new[j, (j - 1 - step) % k] += buffers[(j - 1) % k, (j - 1 - step) % k]
    return new


def _r18_sampler_by_python_lists(order, num_replicas, rank, drop_last=False):
    if not 0 <= rank < num_replicas:
        raise ValueError("need 0 <= rank < num_replicas")
    order = list(order)
    if drop_last:
        order = order[:len(order) - len(order) % num_replicas]
    while len(order) % num_replicas:
        order += order[:num_replicas - len(order) % num_replicas]
    return order[rank::num_replicas]


def _r18_sampler_by_np_pad(order, num_replicas, rank, drop_last=False):
    if not 0 <= rank < num_replicas:
        raise ValueError("need 0 <= rank < num_replicas")
    order = np.asarray(order, dtype=np.int64)
    n = len(order)
    total = n // num_replicas * num_replicas if drop_last else -(-n // num_replicas) * num_replicas
    if n:
        order = np.pad(order, (0, max(total - n, 0)), mode="wrap")[:total]
    return order.reshape(-1, num_replicas)[:, rank]          # one column per rank


@pytest.mark.parametrize("name, answer", [
    ("shard_gradient", _r18_shard_by_np_average), ("shard_gradient", _r18_shard_by_divmod_slices),
    ("ring_step", _r18_ring_step_vectorized), ("ring_step", _r18_ring_step_by_receiver),
    ("sampler_indices", _r18_sampler_by_python_lists), ("sampler_indices", _r18_sampler_by_np_pad)],
    ids=["shard np.average", "shard divmod slices", "ring vectorized", "ring by receiver", "sampler lists",
         "sampler np.pad and reshape"])
def test_lesson_08a_round_18_right_answers_written_otherwise_pass(name, answer):
    _passes(name, answer)


def _r18_accumulation_with_model_zero_grad(model, loss_fn, optimizer, x, y, micro_batches):
    import torch

    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    model.zero_grad(set_to_none=True)                        # the optimizer holds every weight of the model
    losses, sizes = [], []
    for xb, yb in zip(torch.tensor_split(x, micro_batches), torch.tensor_split(y, micro_batches)):
        loss = loss_fn(model(xb), yb)
        (loss * (len(yb) / len(y))).backward()
        losses.append(loss.item())
        sizes.append(len(yb))
    optimizer.step()
    return float(np.average(losses, weights=sizes))


@pytest.mark.wide
def test_lesson_08b_round_18_accumulation_with_model_zero_grad_and_a_weighted_average_passes():
    pytest.importorskip("torch")
    _passes("accumulation_step", _r18_accumulation_with_model_zero_grad)

# round 19: lesson 08
_R19_FRESH_KERNEL = """
import sys
import types
from course_utils import exercises as registry
from course_utils.checks import judge
assert "torch" not in sys.modules
for name in ("accumulation_step", "torch_train_step"):
    exercise = registry.get_exercise(name)
    f = exercise.reference
    answer = types.FunctionType(f.__code__, f.__globals__, f.__name__, f.__defaults__, f.__closure__)   # a twin
    print(judge(exercise, answer).kind)
"""


def test_lesson_08b_round_19_accumulation_step_loads_torchs_lazy_modules_before_the_answers_timed_run():
    """A fresh kernel: the first optimizer torch builds imports torch._dynamo (3 s of CPU, 8 s here on a busy machine).
    Since the answer runs before the reference on each case, the check's own optimizer, built in the answer's timed
    run, paid that import, and the lesson's own solution was stopped after 5 s ("an endless loop?"). `decide` now runs
    the reference once before the first answer, untimed."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    pytest.importorskip("torch")
    root = str(Path(registry.__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    run = subprocess.run([sys.executable, "-c", _R19_FRESH_KERNEL], capture_output=True, text=True, env=env,
                         cwd=root, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["passed", "passed"], run.stdout

def _r19_accumulation_cut_at_rounded_bounds(model, loss_fn, optimizer, x, y, micro_batches):
    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    optimizer.zero_grad()
    n, total = len(x), 0.0
    bounds = [round(i * n / micro_batches) for i in range(micro_batches + 1)]   # 10 in 3: 0, 3, 7, 10
    for start, stop in zip(bounds, bounds[1:]):
        loss = loss_fn(model(x[start:stop]), y[start:stop]) * (stop - start) / n
        loss.backward()
        total += loss.item()
    optimizer.step()
    return total


def test_lesson_08b_round_19_accumulation_step_cut_at_other_places_is_not_told_its_pieces_interleave():
    """Runs of consecutive examples of the right sizes in another order (3, 4, 3 where tensor_split cuts 4, 3, 3): the
    check rejects them (batch normalization in train mode gives another step), but said that x[i::m] interleaves them."""
    pytest.importorskip("torch")
    verdict = judge(registry.get_exercise("accumulation_step"), _r19_accumulation_cut_at_rounded_bounds)
    assert verdict.kind == WRONG and "interleaves" not in verdict.text, verdict.text
    assert "3, 4, 3" in verdict.text and "4, 3, 3" in verdict.text, verdict.text

def _r19_through_the_catalogue(name):
    """An answer that hands its arguments on to the catalogued 'renamed' mistake of exercise ``name``: a wrapper of
    the reference with one parameter renamed, so a positional call gave the course's own result."""
    from course_utils.exercises import distributed

    renamed = {"shard_gradient": "_shard_renamed", "ring_step": "_ring_renamed",
               "sampler_indices": "_sampler_renamed", "accumulation_step": "_accumulate_renamed"}[name]

    def answer(*args, **kwargs):
        return getattr(distributed, renamed)(*args, *kwargs.values())   # by position: the renamed name never matters
    return answer


@pytest.mark.parametrize("name", ["shard_gradient", "ring_step", "sampler_indices", "accumulation_step"])
def test_lesson_08_round_19_the_renamed_mistakes_do_not_hand_out_the_reference(name):
    """Round 19: each of lesson 08's 'renamed' mistakes called the reference (or the course's version) from inside
    course_utils, where no call is refused, so an answer that called it by position passed every case."""
    if name == "accumulation_step":
        pytest.importorskip("torch")
    verdict = judge(registry.get_exercise(name), _r19_through_the_catalogue(name))
    assert verdict.kind == WRONG, verdict.text


def _r19_accumulation_through_the_checks_helper(model, loss_fn, optimizer, x, y, micro_batches):
    from course_utils.exercises import distributed

    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    optimizer.zero_grad()
    total = distributed._backward_on_pieces(model, loss_fn, x, y, distributed._micro_pieces(x, y, micro_batches))
    optimizer.step()
    return total


def test_lesson_08b_round_19_accumulation_step_refuses_the_checks_own_loop_over_the_pieces():
    """The check's helper that runs forward and backward on each piece (all of the reference's work but zero_grad and
    step): an answer that called it passed."""
    pytest.importorskip("torch")
    verdict = judge(registry.get_exercise("accumulation_step"), _r19_accumulation_through_the_checks_helper)
    assert verdict.kind == WRONG and "_backward_on_pieces" in verdict.text, verdict.text

def _r19_shard_np_average(grad_fn, w, X, y, k):
    if not 1 <= k <= len(X):
        raise ValueError("k must be between 1 and len(X)")
    shards = list(zip(np.array_split(X, k), np.array_split(y, k)))
    gradients = np.stack([grad_fn(w, X_j, y_j) for X_j, y_j in shards])
    return np.average(gradients, axis=0, weights=[len(X_j) for X_j, _ in shards])


def _r19_shard_index_tensordot(grad_fn, w, X, y, k):
    if k < 1 or k > len(X):
        raise ValueError("bad k")
    rows = np.array_split(np.arange(len(X)), k)
    gradients = np.array([grad_fn(w, X[r], y[r]) for r in rows])
    return np.tensordot([len(r) for r in rows], gradients, axes=1) / len(X)


def _r19_shard_weighted_by_size(grad_fn, w, X, y, k):
    if not 0 < k <= len(X):
        raise ValueError("bad k")
    parts = zip(np.array_split(X, k), np.array_split(y, k))
    return sum(X_j.size * grad_fn(w, X_j, y_j) for X_j, y_j in parts) / np.size(X)   # sizes in entries: same shares


def _r19_ring_fancy_index(buffers, step):
    buffers = np.asarray(buffers)
    if buffers.ndim < 2 or buffers.shape[0] < 2 or buffers.shape[0] != buffers.shape[1]:
        raise ValueError("buffers must have shape (k, k, ...) with k >= 2")
    k = len(buffers)
    senders = np.arange(k)
    chunks = (senders - step) % k
    new = buffers.astype(float)
    new[(senders + 1) % k, chunks] += buffers[senders, chunks]
    return new


def _r19_ring_rolled(buffers, step):
    buffers = np.asarray(buffers)
    if buffers.ndim < 2 or len(buffers) < 2 or buffers.shape[1] != len(buffers):
        raise ValueError("buffers must have shape (k, k, ...) with k >= 2")
    k, senders = len(buffers), np.arange(len(buffers))
    sent = np.zeros(buffers.shape)
    sent[senders, (senders - step) % k] = buffers[senders, (senders - step) % k]
    return buffers + np.roll(sent, 1, axis=0)          # what worker i sent lands on worker i + 1


def _r19_ring_by_receiver(buffers, step):
    buffers = np.asarray(buffers)
    if buffers.ndim < 2 or buffers.shape[0] < 2 or buffers.shape[0] != buffers.shape[1]:
        raise ValueError("buffers must have shape (k, k, ...) with k >= 2")
    k, new = len(buffers), np.array(buffers, dtype=np.float64)
    for j in range(k):                                  # receiver j gets the sender's chunk (j - 1 - step) % k
        c = (j - 1 - step) % k
        new[j, c] = buffers[j, c] + buffers[j - 1, c]
    return new


def _r19_sampler_np_pad_wrap(order, num_replicas, rank, drop_last=False):
    if not 0 <= rank < num_replicas:
        raise ValueError("need 0 <= rank < num_replicas")
    order = np.asarray(order, dtype=np.int64)
    n = len(order)
    if drop_last:
        order = order[:n - n % num_replicas]
    elif n:
        order = np.pad(order, (0, -n % num_replicas), mode="wrap")   # wraps round as often as it must
    return order[rank::num_replicas]


def _r19_sampler_as_torch_writes_it(order, num_replicas, rank, drop_last=False):
    if rank < 0 or rank >= num_replicas:
        raise ValueError("invalid rank")
    indices, n = list(order), len(order)
    if drop_last and n % num_replicas:
        num_samples = math.ceil((n - num_replicas) / num_replicas)
    else:
        num_samples = math.ceil(n / num_replicas)
    total = num_samples * num_replicas
    if not drop_last and total > n:
        indices += (indices * math.ceil((total - n) / n))[:total - n]
    return indices[:total][rank:total:num_replicas]


def _r19_sampler_positions_modulo(order, num_replicas, rank, drop_last=False):
    if not 0 <= rank < num_replicas:
        raise ValueError("need 0 <= rank < num_replicas")
    order, n = np.asarray(order), len(order)
    total = (n // num_replicas if drop_last else -(-n // num_replicas)) * num_replicas
    return order[np.arange(rank, total, num_replicas) % n] if n else np.zeros(0, dtype=np.int64)


@pytest.mark.parametrize("name, answer", [
    ("shard_gradient", _r19_shard_np_average), ("shard_gradient", _r19_shard_index_tensordot),
    ("shard_gradient", _r19_shard_weighted_by_size), ("ring_step", _r19_ring_fancy_index),
    ("ring_step", _r19_ring_rolled), ("ring_step", _r19_ring_by_receiver),
    ("sampler_indices", _r19_sampler_np_pad_wrap), ("sampler_indices", _r19_sampler_as_torch_writes_it),
    ("sampler_indices", _r19_sampler_positions_modulo)])
def test_lesson_08a_round_19_right_answers_written_otherwise_pass(name, answer):
    _passes(name, answer)


def _r19_accumulation_sum_then_divide(model, loss_fn, optimizer, x, y, micro_batches):
    import torch

    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    optimizer.zero_grad()
    total = 0.0
    for xb, yb in zip(torch.tensor_split(x, micro_batches), torch.tensor_split(y, micro_batches)):
        loss = loss_fn(model(xb), yb) * len(xb)            # the piece's summed loss
        loss.backward()
        total += loss.item()
    for p in model.parameters():
        if p.grad is not None:
            p.grad /= len(x)                              # then the mean, once
    optimizer.step()
    return total / len(x)


def _r19_accumulation_by_autograd_grad(model, loss_fn, optimizer, x, y, micro_batches):
    import torch

    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    optimizer.zero_grad()
    trained = [p for p in model.parameters() if p.requires_grad]
    sums, total = [torch.zeros_like(p) for p in trained], 0.0
    for xb, yb in zip(torch.tensor_split(x, micro_batches), torch.tensor_split(y, micro_batches)):
        loss = loss_fn(model(xb), yb) * (len(xb) / len(x))
        for s, g in zip(sums, torch.autograd.grad(loss, trained)):
            s += g
        total += loss.item()
    for p, s in zip(trained, sums):
        p.grad = s
    optimizer.step()
    return total


def _r19_accumulation_backward_with_its_share(model, loss_fn, optimizer, x, y, micro_batches):
    import torch

    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    optimizer.zero_grad()
    total = 0.0
    for xb, yb in zip(torch.tensor_split(x, micro_batches), torch.tensor_split(y, micro_batches)):
        loss, share = loss_fn(model(xb), yb), len(xb) / len(x)
        loss.backward(torch.tensor(share, dtype=loss.dtype))   # d(share * loss): the share as backward's gradient
        total += loss.item() * share
    optimizer.step()
    return total


@pytest.mark.parametrize("answer", [_r19_accumulation_sum_then_divide, _r19_accumulation_by_autograd_grad,
                                    _r19_accumulation_backward_with_its_share])
def test_lesson_08b_round_19_accumulation_step_written_otherwise_passes(answer):
    pytest.importorskip("torch")
    _passes("accumulation_step", answer)

# round 20: lesson 08
def _r20_accumulation_pieces_in_reverse(model, loss_fn, optimizer, x, y, micro_batches):
    import torch

    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    model.zero_grad()                                      # the model's weights: the optimizer holds the same ones
    pieces = list(zip(torch.tensor_split(x, micro_batches), torch.tensor_split(y, micro_batches)))
    total = 0.0
    for xb, yb in reversed(pieces):                        # gradients add up in any order
        loss = loss_fn(model(xb), yb) * len(xb) / len(x)
        loss.backward()
        total += loss.item()
    optimizer.step()
    return total


def _r20_accumulation_rows_by_array_split(model, loss_fn, optimizer, x, y, micro_batches):
    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    optimizer.zero_grad(set_to_none=False)
    total = 0.0
    for rows in np.array_split(np.arange(len(x)), micro_batches):
        start, stop = int(rows[0]), int(rows[-1]) + 1
        loss = loss_fn(model(x[start:stop]), y[start:stop]) * (stop - start) / len(x)
        loss.backward()
        total += loss.item()
    optimizer.step()
    optimizer.zero_grad()                                  # and clear them again, as a training loop may
    return total


@pytest.mark.wide   # two accumulation checks: seconds
@pytest.mark.parametrize("answer", [_r20_accumulation_pieces_in_reverse, _r20_accumulation_rows_by_array_split])
def test_lesson_08b_round_20_accumulation_step_written_otherwise_passes(answer):
    pytest.importorskip("torch")
    _passes("accumulation_step", answer)


def _r20_accumulation_whole_batch_past_the_hooks(model, loss_fn, optimizer, x, y, micro_batches):
    import torch
    from torch import nn

    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    optimizer.zero_grad()
    if any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules()):   # pieces only where they show
        total = 0.0
        for xb, yb in zip(torch.tensor_split(x, micro_batches), torch.tensor_split(y, micro_batches)):
            loss = loss_fn(model(xb), yb) * len(xb) / len(x)
            loss.backward()
            total += loss.item()
        optimizer.step()
        return total
    out = x
    for layer in model:
        out = layer.forward(out)                           # layer.forward runs no hooks: the whole batch unseen
    loss = loss_fn(out, y)
    loss.backward()
    optimizer.step()
    return loss.item()


@pytest.mark.wide   # an accumulation check: seconds
def test_lesson_08b_round_20_accumulation_step_sees_a_whole_batch_run_past_the_layers_hooks():
    """Contrived: the whole batch through layer.forward(...), which runs no forward hooks, so the check's count of the
    examples the model saw at once (a hook on the first layer) saw nothing, and on a model without batch normalization
    the step is the same. The tensors autograd saves for backward show the whole batch."""
    pytest.importorskip("torch")
    verdict = judge(registry.get_exercise("accumulation_step"), _r20_accumulation_whole_batch_past_the_hooks)
    assert verdict.kind == WRONG and "examples at once" in verdict.text, verdict.text


def _r20_shard_shares_of_the_batch(grad_fn, w, X, y, k):
    if not 1 <= k <= len(X):
        raise ValueError("k must be between 1 and len(X)")
    gradient = 0
    for X_j, y_j in zip(np.array_split(X, k), np.array_split(y, k)):
        gradient = gradient + len(X_j) / len(X) * np.asarray(grad_fn(w, X_j, y_j), dtype=float)   # its share
    return gradient * np.ones(np.shape(w))                # an array of w's shape, also for k = 1


def _r20_shard_einsum(grad_fn, w, X, y, k):
    if not 0 < k <= X.shape[0]:
        raise ValueError("k must be between 1 and len(X)")
    shards = list(zip(np.array_split(X, k), np.array_split(y, k)))
    gradients = np.stack([np.asarray(grad_fn(w, X_j, y_j), dtype=float) for X_j, y_j in shards])
    sizes = np.array([len(X_j) for X_j, _ in shards], dtype=float)
    return np.einsum("k,k...->...", sizes, gradients) / sizes.sum()


def _r20_ring_reading_the_copy(buffers, step):
    buffers = np.asarray(buffers)
    if buffers.ndim < 2 or buffers.shape[0] < 2 or buffers.shape[1] != buffers.shape[0]:
        raise ValueError("buffers must have shape (k, k, ...) with k >= 2")
    k, new = len(buffers), buffers.copy()                 # whole numbers stay whole: their sums are exact
    for i in range(k):
        c = (i - step) % k
        new[(i + 1) % k, c] += new[i, c]                  # one step touches chunk c of worker i + 1 only
    return new


def _r20_ring_on_flat_chunks(buffers, step):
    buffers = np.asarray(buffers)
    if buffers.ndim < 2 or buffers.shape[0] < 2 or buffers.shape[1] != buffers.shape[0]:
        raise ValueError("buffers must have shape (k, k, ...) with k >= 2")
    k = len(buffers)
    flat = buffers.reshape(k, k, -1).astype(float)
    new = flat.copy()
    for i in range(k):
        new[(i + 1) % k, (i - step) % k] += flat[i, (i - step) % k]
    return new.reshape(buffers.shape)


def _r20_sampler_in_plain_python(order, num_replicas, rank, drop_last=False):
    if not 0 <= rank < num_replicas:
        raise ValueError("need 0 <= rank < num_replicas")
    indices = [int(i) for i in order]
    n = len(indices)
    if drop_last:
        indices = indices[:n - n % num_replicas]
    else:
        while len(indices) % num_replicas:
            indices.append(indices[len(indices) - n])      # the start, again and again
    return indices[rank::num_replicas]


def _r20_sampler_by_floor_and_ceil(order, num_replicas, rank, drop_last=False):
    if not 0 <= rank < num_replicas:
        raise ValueError("need 0 <= rank < num_replicas")
    order = np.asarray(order)
    per_rank = math.floor(len(order) / num_replicas) if drop_last else math.ceil(len(order) / num_replicas)
    return np.resize(order, per_rank * num_replicas)[rank::num_replicas]


def _r20_shard_calls_for_show(grad_fn, w, X, y, k):
    if not 1 <= k <= len(X):
        raise ValueError("k must be between 1 and len(X)")
    for X_j, y_j in zip(np.array_split(X, k), np.array_split(y, k)):
        grad_fn(w, X_j, y_j)                               # every shard called, the results thrown away
    return sum(grad_fn(w, X[i:i + 1], y[i:i + 1]) for i in range(len(X))) / len(X)   # one example at a time


def test_lesson_08a_round_20_shard_gradient_refuses_shard_calls_for_show_beside_one_example_at_a_time():
    """Contrived: grad_fn called on each shard, its results thrown away, and the result computed one example at a
    time (a catalogued mistake): the check looked at the shards' sizes only when the calls covered the batch once."""
    verdict = judge(registry.get_exercise("shard_gradient"), _r20_shard_calls_for_show)
    assert verdict.kind == WRONG and "once more" in verdict.text, verdict.text


def _r20_shard_shape_from_the_first_example(grad_fn, w, X, y, k):
    if not 1 <= k <= len(X):
        raise ValueError("k must be between 1 and len(X)")
    total = np.zeros_like(np.asarray(grad_fn(w, X[:1], y[:1]), dtype=float))   # a gradient's shape, from one example
    for X_j, y_j in zip(np.array_split(X, k), np.array_split(y, k)):
        total = total + len(X_j) * grad_fn(w, X_j, y_j)
    return total / len(X)


def _r20_shard_gradients_computed_twice(grad_fn, w, X, y, k):
    if not 1 <= k <= len(X):
        raise ValueError("k must be between 1 and len(X)")
    shards = list(zip(np.array_split(X, k), np.array_split(y, k)))
    assert all(np.all(np.isfinite(grad_fn(w, X_j, y_j))) for X_j, y_j in shards)   # once for a check, once to add
    return sum(len(X_j) * grad_fn(w, X_j, y_j) for X_j, y_j in shards) / len(X)


@pytest.mark.parametrize("name, answer", [
    ("shard_gradient", _r20_shard_shares_of_the_batch), ("shard_gradient", _r20_shard_einsum),
    ("ring_step", _r20_ring_reading_the_copy), ("ring_step", _r20_ring_on_flat_chunks),
    ("sampler_indices", _r20_sampler_in_plain_python), ("sampler_indices", _r20_sampler_by_floor_and_ceil),
    ("shard_gradient", _r20_shard_shape_from_the_first_example), ("shard_gradient", _r20_shard_gradients_computed_twice)])
def test_lesson_08a_round_20_right_answers_written_otherwise_pass(name, answer):
    _passes(name, answer)

def _r20_accumulation_forward_twice(model, loss_fn, optimizer, x, y, micro_batches):
    import torch

    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    optimizer.zero_grad()
    total, log = 0.0, []
    for xb, yb in zip(torch.tensor_split(x, micro_batches), torch.tensor_split(y, micro_batches)):
        with torch.no_grad():
            log.append(model(xb))                          # predictions for a log: in train mode BatchNorm moves
        loss = loss_fn(model(xb), yb) * len(xb) / len(x)
        loss.backward()
        total += loss.item()
    optimizer.step()
    return total


def _r20_accumulation_whole_batch_logged(model, loss_fn, optimizer, x, y, micro_batches):
    import torch

    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    optimizer.zero_grad()
    total = 0.0
    for xb, yb in zip(torch.tensor_split(x, micro_batches), torch.tensor_split(y, micro_batches)):
        loss = loss_fn(model(xb), yb) * len(xb) / len(x)
        loss.backward()
        total += loss.item()
    with torch.no_grad():
        log = [loss_fn(model(x), y).item()]               # the whole batch's loss, for a log, in train mode
    optimizer.step()
    return total if log else None


@pytest.mark.wide   # two accumulation checks: seconds
@pytest.mark.parametrize("answer", [_r20_accumulation_forward_twice, _r20_accumulation_whole_batch_logged])
def test_lesson_08b_round_20_accumulation_step_refuses_extra_forward_passes_that_move_batchnorm_statistics(answer):
    """An extra forward pass in train mode, even under torch.no_grad(), updates a BatchNorm layer's running_mean and
    running_var: the weights after the step were right, and the check compared nothing else."""
    pytest.importorskip("torch")
    verdict = judge(registry.get_exercise("accumulation_step"), answer)
    assert verdict.kind == WRONG and "running" in verdict.text, verdict.text


# round 21: lesson 08
def _r21_shard_nansum(grad_fn, w, X, y, k):
    if not 1 <= k <= len(X):
        raise ValueError("k must be between 1 and len(X)")
    shards = list(zip(np.array_split(X, k), np.array_split(y, k)))
    return np.nansum([len(X_j) * np.asarray(grad_fn(w, X_j, y_j), dtype=float) for X_j, y_j in shards], axis=0) / len(X)


def _r21_shard_skipping_a_broken_shard(grad_fn, w, X, y, k):
    if not 1 <= k <= len(X):
        raise ValueError("k must be between 1 and len(X)")
    total = np.zeros(np.shape(w))
    for X_j, y_j in zip(np.array_split(X, k), np.array_split(y, k)):
        g = grad_fn(w, X_j, y_j)
        if np.all(np.isfinite(g)):                            # "a worker whose gradient is broken is left out"
            total = total + len(X_j) * g
    return total / len(X)


def _r21_ring_nan_to_num(buffers, step):
    buffers = np.asarray(buffers)
    if buffers.ndim < 2 or buffers.shape[0] < 2 or buffers.shape[1] != buffers.shape[0]:
        raise ValueError("buffers must have shape (k, k, ...) with k >= 2")
    new, k = np.nan_to_num(buffers.astype(float)), buffers.shape[0]   # "no NaN in the sums"
    for i in range(k):
        c = (i - step) % k
        new[(i + 1) % k, c] += np.nan_to_num(buffers[i, c])
    return new


@pytest.mark.parametrize("name, answer", [("shard_gradient", _r21_shard_nansum),
                                          ("shard_gradient", _r21_shard_skipping_a_broken_shard),
                                          ("ring_step", _r21_ring_nan_to_num)])
def test_lesson_08a_round_21_a_nan_gradient_is_not_hidden(name, answer):
    """Slip: np.nansum, np.nan_to_num or leaving out a shard whose gradient is not finite hides a broken batch: on one
    machine its NaN reaches the full-batch gradient (the sum). No case held a NaN, so these passed."""
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and "nan" in verdict.text.lower(), verdict.text


def _r21_shard_raising_on_every_batch(grad_fn, w, X, y, k):
    if not 1 <= k <= len(X):
        raise ValueError("k must be between 1 and len(X)")
    raise ValueError("the batch holds a NaN")               # an error is right only where the input holds a NaN


def test_lesson_08a_round_21_raising_is_right_only_on_the_nan_input():
    verdict = judge(registry.get_exercise("shard_gradient"), _r21_shard_raising_on_every_batch)
    assert verdict.kind == WRONG and "raised ValueError" in verdict.text, verdict.text


def _r21_shard_returning_a_marker(grad_fn, w, X, y, k):
    if not 1 <= k <= len(X):
        raise ValueError("k must be between 1 and len(X)")
    return "stopped on purpose on a NaN input"             # the marker the check's run first used for an error


def test_lesson_08a_round_21_no_returned_value_poses_as_an_error_on_the_nan_input():
    """The run first told an error on the NaN input apart by a marker string as its result, which an answer could
    return itself on every case; it is now a flag of the run."""
    verdict = judge(registry.get_exercise("shard_gradient"), _r21_shard_returning_a_marker)
    assert verdict.kind == WRONG, verdict.text


def _r21_shard_average_with_weights(grad_fn, w, X, y, k):
    if not 1 <= k <= len(X):
        raise ValueError("k must be between 1 and len(X)")
    pieces = np.array_split(np.arange(len(X)), k)
    gradients = np.array([grad_fn(w, X[rows], y[rows]) for rows in pieces], dtype=float)
    return np.average(gradients, axis=0, weights=[len(rows) for rows in pieces])


def _r21_shard_shares_times_gradients(grad_fn, w, X, y, k):
    if not 1 <= k <= len(X):
        raise ValueError("k must be between 1 and len(X)")
    result = 0.0
    for X_j, y_j in zip(np.array_split(X, k), np.array_split(y, k)):
        result = result + np.asarray(grad_fn(w, X_j, y_j), dtype=float) * (len(X_j) / len(X))
    return result * np.ones(np.shape(w))


def _r21_shard_tensordot(grad_fn, w, X, y, k):
    if k < 1 or k > len(X):
        raise ValueError("k must be between 1 and len(X)")
    shards = list(zip(np.array_split(X, k), np.array_split(y, k)))
    sizes = np.array([len(X_j) for X_j, _ in shards], dtype=float)
    return np.tensordot(sizes, np.array([grad_fn(w, X_j, y_j) for X_j, y_j in shards], dtype=float), axes=1) / len(X)


def _r21_ring_vectorized(buffers, step):
    buffers = np.asarray(buffers)
    if buffers.ndim < 2 or buffers.shape[0] < 2 or buffers.shape[1] != buffers.shape[0]:
        raise ValueError("buffers must have shape (k, k, ...) with k >= 2")
    k = buffers.shape[0]
    senders = np.arange(k)
    chunks = (senders - step) % k
    new = buffers.astype(float)
    new[(senders + 1) % k, chunks] += buffers[senders, chunks]   # k different (worker, chunk) pairs: no clash
    return new


def _r21_ring_by_receiver(buffers, step):
    buffers = np.asarray(buffers)
    if buffers.ndim < 2 or buffers.shape[0] < 2 or buffers.shape[1] != buffers.shape[0]:
        raise ValueError("buffers must have shape (k, k, ...) with k >= 2")
    k = buffers.shape[0]
    new = np.array(buffers, dtype=float)
    for j in range(k):                                    # receiver j, sender j - 1 (buffers[-1] is worker k - 1)
        c = (j - 1 - step) % k
        new[j, c] = new[j, c] + buffers[j - 1, c]
    return new


def _r21_ring_on_swapped_axes(buffers, step):
    buffers = np.asarray(buffers)
    if buffers.ndim < 2 or buffers.shape[0] < 2 or buffers.shape[1] != buffers.shape[0]:
        raise ValueError("buffers must have shape (k, k, ...) with k >= 2")
    k = buffers.shape[0]
    by_chunk = buffers.astype(float).swapaxes(0, 1).copy()   # by_chunk[c, i]: worker i's copy of chunk c
    for i in range(k):
        c = (i - step) % k
        by_chunk[c, (i + 1) % k] += buffers[i, c]
    return by_chunk.swapaxes(0, 1)


def _r21_ring_refusing_a_nan(buffers, step):
    buffers = np.asarray(buffers)
    if buffers.ndim < 2 or buffers.shape[0] < 2 or buffers.shape[1] != buffers.shape[0]:
        raise ValueError("buffers must have shape (k, k, ...) with k >= 2")
    if np.isnan(buffers).any():
        raise ValueError("a worker's gradient holds a NaN")      # loud: it does not hide the broken gradient
    return _r21_ring_vectorized(buffers, step)


def _r21_sampler_padded_with_wrap(order, num_replicas, rank, drop_last=False):
    if not 0 <= rank < num_replicas:
        raise ValueError("need 0 <= rank < num_replicas")
    order = np.asarray(order)
    n = len(order)
    if drop_last:
        order = order[:n - n % num_replicas]
    elif n % num_replicas:
        order = np.pad(order, (0, (-n) % num_replicas), mode="wrap")   # repeats the start, as often as needed
    return order[rank::num_replicas]


def _r21_sampler_positions_modulo_n(order, num_replicas, rank, drop_last=False):
    if not 0 <= rank < num_replicas:
        raise ValueError("need 0 <= rank < num_replicas")
    order = np.asarray(order)
    n = len(order)
    per_rank = n // num_replicas if drop_last else -(-n // num_replicas)
    positions = rank + num_replicas * np.arange(per_rank)
    return order[positions % n] if n else order[:0]        # a position past the end wraps round to the start


def _r21_sampler_from_torchs_sampler(order, num_replicas, rank, drop_last=False):
    from torch.utils.data import DistributedSampler

    if not 0 <= rank < num_replicas:
        raise ValueError("need 0 <= rank < num_replicas")
    positions = DistributedSampler(range(len(order)), num_replicas=num_replicas, rank=rank, shuffle=False,
                                   drop_last=bool(drop_last))
    return np.asarray(order)[list(positions)]           # the sampler deals positions; `order` maps them


@pytest.mark.parametrize("name, answer", [
    ("shard_gradient", _r21_shard_average_with_weights), ("shard_gradient", _r21_shard_shares_times_gradients),
    ("shard_gradient", _r21_shard_tensordot), ("ring_step", _r21_ring_vectorized),
    ("ring_step", _r21_ring_by_receiver), ("ring_step", _r21_ring_on_swapped_axes),
    ("ring_step", _r21_ring_refusing_a_nan),
    ("sampler_indices", _r21_sampler_padded_with_wrap), ("sampler_indices", _r21_sampler_positions_modulo_n)])
def test_lesson_08a_round_21_right_answers_written_otherwise_pass(name, answer):
    _passes(name, answer)


def test_lesson_08a_round_21_sampler_indices_from_torchs_own_sampler_passes():
    """DistributedSampler itself, without shuffling, deals out positions; indexing `order` with them is right (a
    library, as the lesson's cell after the exercise compares with it)."""
    pytest.importorskip("torch")
    _passes("sampler_indices", _r21_sampler_from_torchs_sampler)


def _r21_accumulation_in_a_closure(model, loss_fn, optimizer, x, y, micro_batches):
    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")

    def closure():                                        # optimizer.step(closure) calls it once (SGD, Adam)
        optimizer.zero_grad()
        total = 0.0
        for xb, yb in zip(x.tensor_split(micro_batches), y.tensor_split(micro_batches)):
            loss = loss_fn(model(xb), yb) * (len(xb) / len(x))
            loss.backward()
            total += loss.item()
        return total
    return float(optimizer.step(closure))


def _r21_accumulation_with_autograd_grad(model, loss_fn, optimizer, x, y, micro_batches):
    import torch

    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    optimizer.zero_grad()
    trained = [p for p in model.parameters() if p.requires_grad]
    total = 0.0
    for xb, yb in zip(torch.tensor_split(x, micro_batches), torch.tensor_split(y, micro_batches)):
        loss = loss_fn(model(xb), yb) * len(xb) / len(x)
        for p, g in zip(trained, torch.autograd.grad(loss, trained)):
            p.grad = g if p.grad is None else p.grad + g
        total += loss.item()
    optimizer.step()
    return total


def _r21_accumulation_summed_then_divided(model, loss_fn, optimizer, x, y, micro_batches):
    import torch

    if not 1 <= micro_batches <= len(x):
        raise ValueError("micro_batches must be between 1 and len(x)")
    optimizer.zero_grad()
    total = torch.zeros((), dtype=torch.float64)
    for xb, yb in zip(torch.tensor_split(x, micro_batches), torch.tensor_split(y, micro_batches)):
        loss = loss_fn(model(xb), yb) * yb.shape[0]          # the piece's summed loss
        (loss / y.shape[0]).backward()
        total += loss.detach().double()
    optimizer.step()
    return (total / len(y)).item()


@pytest.mark.wide   # three accumulation checks: seconds
@pytest.mark.parametrize("answer", [_r21_accumulation_in_a_closure, _r21_accumulation_with_autograd_grad,
                                    _r21_accumulation_summed_then_divided])
def test_lesson_08b_round_21_accumulation_step_written_otherwise_passes(answer):
    pytest.importorskip("torch")
    _passes("accumulation_step", answer)


# ---------------------------------------------------------------- lessons 00-01
def _accuracy_comparing_ndim(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.ndim != y_pred.ndim or y_true.size == 0:
        raise ValueError("shapes differ")
    return float(np.mean(y_true == y_pred))


def test_accuracy_comparing_ndim_is_rejected():
    """Shape (1,) against (4,) has the same ndim and broadcasts without an error."""
    with pytest.raises(ExerciseFailed):
        check("accuracy", _accuracy_comparing_ndim, strict=True)


def _weights_and_biases(sizes):
    return sum(n_in * n_out + n_out for n_in, n_out in zip(sizes, sizes[1:]))


def _only_zero_rejected(layer_sizes):
    if len(layer_sizes) < 2 or 0 in layer_sizes:
        raise ValueError("bad layer sizes")
    return _weights_and_biases(layer_sizes)


def _input_layer_unchecked(layer_sizes):
    if len(layer_sizes) < 2 or any(size < 1 for size in layer_sizes[1:]):
        raise ValueError("bad layer sizes")
    return _weights_and_biases(layer_sizes)


def _empty_list_allowed(layer_sizes):
    if len(layer_sizes) == 1 or any(size < 1 for size in layer_sizes):
        raise ValueError("bad layer sizes")
    return _weights_and_biases(layer_sizes)


@pytest.mark.parametrize("answer", [_only_zero_rejected, _input_layer_unchecked, _empty_list_allowed])
def test_mlp_param_count_wants_every_size_and_length_checked(answer):
    """The text asks for ValueError for fewer than two layers or any layer with fewer than one neuron."""
    with pytest.raises(ExerciseFailed):
        check("mlp_param_count", answer, strict=True)


def _in_place_sigmoid(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    z[...] = np.where(z >= 0, 1 / (1 + e), e / (1 + e))
    return z


def test_a_sigmoid_that_overwrites_its_input_is_rejected():
    with pytest.raises(ExerciseFailed):
        check("sigmoid", _in_place_sigmoid, strict=True)


def _sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


@pytest.mark.parametrize("answer", [
    lambda x, w, b: _sigmoid(np.sum(np.asarray(w) * np.asarray(x)) + b),
    lambda x, w, b: _sigmoid(np.einsum("i,i", np.asarray(w), np.asarray(x)) + b),
    lambda x, w, b: 1 / (1 + np.exp(-(np.dot(w, x) + b))),
], ids=["sum-of-products", "einsum", "naive-sigmoid"])
def test_neuron_wants_lengths_checked_and_no_overflow(answer):
    """w * x broadcasts an x of length 1; the naive sigmoid overflows for a very negative weighted sum."""
    with pytest.raises(ExerciseFailed):
        check("neuron", answer, strict=True)


def test_dense_layer_with_the_naive_sigmoid_is_rejected():
    with pytest.raises(ExerciseFailed):
        check("dense_layer", lambda X, W, b: 1 / (1 + np.exp(-(X @ W.T + b))), strict=True)


def test_right_answers_written_another_way_still_pass():
    _passes("neuron", lambda x, w, b: _sigmoid(np.asarray(x) @ np.asarray(w) + b))
    _passes("dense_layer", lambda X, W, b: _sigmoid((W @ X.T).T + b))
    _passes("sigmoid", lambda z: 0.5 * (1 + np.tanh(np.asarray(z, dtype=float) / 2)))


def _accuracy_without_asarray(y_true, y_pred):
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError("shapes differ or no predictions")
    return float(np.mean(y_true == y_pred))




def _accuracy_of_sorted_labels(y_true, y_pred):
    y_true, y_pred = np.sort(y_true), np.sort(y_pred)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError("shapes differ or no predictions")
    return float(np.mean(y_true == y_pred))


@pytest.mark.parametrize("answer, reason", [
    (_accuracy_without_asarray, "The labels may come as Python lists"),
    (catalogued("accuracy", "no check for empty arrays"), "The mean of no predictions is nan"),
    (_accuracy_of_sorted_labels, "Each prediction is compared with the label at the same position"),
], ids=["lists", "empty", "sorted"])
def test_accuracy_names_lists_an_empty_check_and_the_order(answer, reason, capsys):
    """Without the empty check the answer was told it returned a percentage; sorted labels passed."""
    check("accuracy", answer)
    assert f"Likely mistake: {reason}" in capsys.readouterr().out


@pytest.mark.parametrize("answer", [
    lambda sizes: sum(n_in * n_out + n_out for n_in, n_out in zip(sizes, sizes[1:])),
    lambda sizes: _weights_and_biases(sizes) if all(size >= 1 for size in sizes) else 1 / 0,
], ids=["nothing-checked", "length-not-checked"])
def test_mlp_param_count_without_checks_is_told_to_check_not_to_add_biases(answer, capsys):
    check("mlp_param_count", answer)
    printed = capsys.readouterr().out
    assert "raise ValueError for fewer than two layers" in printed and "one bias" not in printed


@pytest.mark.parametrize("bias", [0.0, -1.0])
def test_or_weights_reject_an_input_on_the_boundary(bias, capsys):
    """With w = (1, 1), b = 0 puts (0, 0) and b = -1 puts (0, 1) and (1, 0) where the sigmoid outputs 0.5."""
    with pytest.raises(ExerciseFailed):
        check("or_weights", lambda: (np.array([1.0, 1.0]), bias), strict=True)
    check("or_weights", lambda: (np.array([1.0, 1.0]), bias))
    assert "Likely mistake: an input lies exactly on your boundary" in capsys.readouterr().out
    _passes("or_weights", lambda: ([2, 2], -1))


def _accuracy_rounded(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError("shapes differ or no predictions")
    return round(float(np.mean(y_true == y_pred)), 2)


def _param_count_checking_n_in_only(layer_sizes):
    if len(layer_sizes) < 2:
        raise ValueError("need two layers")
    total = 0
    for n_in, n_out in zip(layer_sizes, layer_sizes[1:]):
        if n_in < 1:
            raise ValueError("a layer without neurons")
        total += n_in * n_out + n_out
    return total


@pytest.mark.parametrize("name, answer, reason", [
    ("accuracy", _accuracy_rounded, "The accuracy was rounded"),
    ("mlp_param_count", _param_count_checking_n_in_only, "The output layer counts too"),
], ids=["accuracy-rounded", "output-layer-unchecked"])
def test_a_rounded_accuracy_and_an_unchecked_output_layer_are_rejected(name, answer, reason, capsys):
    """Every accuracy of the old cases had two decimals; no old case had an output layer of size 0."""
    with pytest.raises(ExerciseFailed):
        check(name, answer, strict=True)
    check(name, answer)
    assert f"Likely mistake: {reason}" in capsys.readouterr().out


def _sigmoid_by_masks(z, *, first, second):
    z = np.asarray(z) if first is np.zeros_like else np.asarray(z, dtype=float)
    out = first(z)
    pos, neg = z >= 0, (z < 0 if second == "z < 0" else ~(z >= 0))
    out[pos] = 1 / (1 + np.exp(-z[pos]))
    out[neg] = np.exp(z[neg]) / (1 + np.exp(z[neg]))
    return out


@pytest.mark.parametrize("first, second, reason", [
    (np.empty_like, "z < 0", "NaN >= 0 and NaN < 0 are both False"),
    (np.zeros_like, "~(z >= 0)", "for whole-number input, np.zeros_like(z)"),
], ids=["empty-like-skips-nan", "integer-zeros-like"])
def test_a_sigmoid_by_masks_must_fill_nan_and_return_floats(first, second, reason, capsys):
    """np.empty_like could hand back a freed buffer that already held NaN there; no old case had whole numbers."""
    def answer(z):
        return _sigmoid_by_masks(z, first=first, second=second)
    with pytest.raises(ExerciseFailed):
        check("sigmoid", answer, strict=True)
    check("sigmoid", answer)
    assert f"Likely mistake: {reason}" in capsys.readouterr().out
    _passes("sigmoid", lambda z: _sigmoid_by_masks(z, first=np.empty_like, second="~(z >= 0)"))


def _accuracy_from(count):
    def accuracy(y_true, y_pred):
        y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
        if y_true.shape != y_pred.shape or y_true.size == 0:
            raise ValueError("shapes differ or no predictions")
        return count(y_true == y_pred)
    return accuracy


@pytest.mark.parametrize("answer, reason", [
    (_accuracy_from(lambda right: float(np.sum(right) / len(right))), "len(y_true) counts only the rows"),
    (_accuracy_from(lambda right: np.sum(right) / right.shape[0]), "len(y_true) counts only the rows"),
    (_accuracy_from(lambda right: np.mean(right, axis=0)), "np.mean(..., axis=0) gives one fraction per column"),
], ids=["sum-over-len", "sum-over-shape-0", "mean-axis-0"])
def test_accuracy_is_tried_on_labels_in_two_dimensions(answer, reason, capsys):
    """Every old case was 1-D, where dividing by len(y_true) or averaging over axis 0 is right."""
    with pytest.raises(ExerciseFailed):
        check("accuracy", answer, strict=True)
    check("accuracy", answer)
    assert f"Likely mistake: {reason}" in capsys.readouterr().out
    _passes("accuracy", _accuracy_from(lambda right: np.count_nonzero(right) / right.size))


@pytest.mark.parametrize("answer, reason", [
    (lambda: None, "Did you forget `return`?"),
    (lambda: np.array([1.0, 1.0]), "return a pair (w, b)"),
    (lambda: (-0.5, np.array([1.0, 1.0])), "return a pair (w, b)"),
], ids=["no-return", "weights-only", "bias-first"])
def test_or_weights_says_what_to_return(answer, reason, capsys):
    """A missing return was reported as "cannot unpack non-iterable NoneType", a wrong pair as a matmul error."""
    with pytest.raises(ExerciseFailed):
        check("or_weights", answer, strict=True)
    check("or_weights", answer)
    assert reason in capsys.readouterr().out



def _accuracy_checking(shapes_differ):
    def accuracy(y_true, y_pred):
        y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
        if shapes_differ(y_true, y_pred) or y_true.size == 0:
            raise ValueError("shapes differ or no predictions")
        return float(np.mean(y_true == y_pred))
    return accuracy


@pytest.mark.parametrize("answer, reason", [
    (_accuracy_checking(lambda t, p: t.size != p.size or t.ndim != p.ndim), "Equal sizes and ndim"),
    (_accuracy_checking(lambda t, p: len(t) != len(p) or t.ndim != p.ndim), "len() sees only the first dimension"),
    (_accuracy_checking(lambda t, p: t.shape[0] != p.shape[0] or t.ndim != p.ndim), "len() sees only the first"),
    (_accuracy_checking(lambda t, p: t.shape != p.shape or t.size < 2), "on input a single prediction, right"),
], ids=["size-and-ndim", "len-and-ndim", "shape0-and-ndim", "one-prediction-rejected"])
def test_accuracy_wants_whole_shapes_compared_and_takes_one_prediction(answer, reason, capsys):
    """No old case had two shapes of the same ndim and the same size or length, nor a single prediction."""
    with pytest.raises(ExerciseFailed):
        check("accuracy", answer, strict=True)
    check("accuracy", answer)
    assert reason in capsys.readouterr().out
    _passes("accuracy", _accuracy_checking(lambda t, p: t.shape != p.shape))


def _param_count_over_distinct_pairs(layer_sizes):
    if len(layer_sizes) < 2 or min(layer_sizes) < 1:
        raise ValueError("bad layer sizes")
    return sum(n_in * n_out + n_out for n_in, n_out in set(zip(layer_sizes, layer_sizes[1:])))


def _param_count_rejecting_hidden_layers_of_one(layer_sizes):
    if len(layer_sizes) < 2 or min(layer_sizes) < 1 or min(layer_sizes[1:-1], default=2) < 2:
        raise ValueError("bad layer sizes")
    return _weights_and_biases(layer_sizes)


@pytest.mark.parametrize("answer", [_param_count_over_distinct_pairs, _param_count_rejecting_hidden_layers_of_one],
                         ids=["distinct-pairs", "hidden-of-one-rejected"])
def test_mlp_param_count_is_tried_on_repeated_pairs_and_layers_of_one(answer):
    """No old case repeated a pair of neighbouring sizes or had a layer of one neuron before the output."""
    with pytest.raises(ExerciseFailed):
        check("mlp_param_count", answer, strict=True)


def _param_count_of_at_most_four_layers(layer_sizes):
    sizes = list(layer_sizes)
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError("bad layer sizes")
    s = sizes + [0, 0]
    return s[0] * s[1] + s[1] + s[1] * s[2] + s[2] + s[2] * s[3] + s[3]


def _param_count_checking_negatives_in_hidden_layers_only(layer_sizes):
    if len(layer_sizes) < 2 or 0 in layer_sizes or min(layer_sizes[1:-1], default=1) < 0:
        raise ValueError("bad layer sizes")
    return _weights_and_biases(layer_sizes)


def _neuron_refusing_one_input(x, w, b):
    if len(x) != len(w) or len(x) < 2:
        raise ValueError("need two inputs or more")
    return sigmoid(np.dot(w, x) + b)


@pytest.mark.parametrize("name, answer, reason", [
    ("accuracy", catalogued("accuracy", "empty checked with len()"), "len() counts only the first axis"),
    ("accuracy", catalogued("accuracy", "labels turned into whole numbers"), "astype(int) cuts labels"),
    ("accuracy", _accuracy_checking(lambda t, p: t.size != p.size or len(t) != len(p) or t.ndim != p.ndim),
     "Equal sizes and ndim do not make equal shapes"),
    ("mlp_param_count", _param_count_of_at_most_four_layers, "a generated input"),
    ("mlp_param_count", _param_count_checking_negatives_in_hidden_layers_only, "should raise ValueError"),
    ("neuron", catalogued("neuron", "products in an array like x"), "np.zeros_like(x) (or np.empty_like) takes x's"),
    ("neuron", _neuron_refusing_one_input, "raised ValueError: need two inputs or more"),
    ("dense_layer", catalogued("dense_layer", "bias added in place"), "z += b writes the bias into z"),
    ("dense_layer", catalogued("dense_layer", "output array like X"), "np.zeros(..., dtype=X.dtype) holds integers"),
], ids=["accuracy-empty-by-len", "accuracy-int-labels", "accuracy-size-len-ndim", "params-four-layers",
        "params-negatives-in-hidden-only", "neuron-zeros-like-x", "neuron-one-input-refused", "layer-z-plus-equals-b",
        "layer-output-like-X"])
def test_lessons_00_and_01_reject_answers_fitted_to_the_hand_picked_cases(name, answer, reason, capsys):
    """Generated inputs: empty (n, 0, m) labels, non-integer float labels, shapes alike in size, length and ndim,
    5 layers or more with a negative size at the input or output, whole-number x, X and W, a neuron with one input."""
    with pytest.raises(ExerciseFailed):
        check(name, answer, strict=True)
    check(name, answer)
    assert reason in capsys.readouterr().out


def _accuracy_by_a_loop(y_true, y_pred):
    if np.shape(y_true) != np.shape(y_pred) or np.size(y_true) == 0:
        raise ValueError("shapes differ or no predictions")
    pairs = zip(np.ravel(y_true).tolist(), np.ravel(y_pred).tolist())
    return sum(a == b for a, b in pairs) / np.size(y_true)


def _param_count_in_numpy(layer_sizes):
    sizes = np.array(layer_sizes)
    if sizes.size < 2 or sizes.min() < 1:
        raise ValueError("bad layer sizes")
    return int(np.sum(sizes[:-1] * sizes[1:] + sizes[1:]))


def _neuron_by_fsum(x, w, b):
    if len(x) != len(w):
        raise ValueError("x and w differ in length")
    return sigmoid(__import__("math").fsum(float(a) * float(c) for a, c in zip(w, x)) + b)


def _layer_by_einsum_with_a_feature_check(X, W, b):
    if np.shape(X)[1] != np.shape(W)[1]:
        raise ValueError("X and W disagree on the number of features")
    return sigmoid(np.einsum("bi,oi->bo", X, W) + b)


@pytest.mark.parametrize("name, answer", [
    ("accuracy", _accuracy_by_a_loop),
    ("mlp_param_count", _param_count_in_numpy),
    ("neuron", _neuron_by_fsum),
    ("dense_layer", _layer_by_einsum_with_a_feature_check),
    ("dense_layer", lambda X, W, b: sigmoid(np.asarray(X, np.float32) @ np.asarray(W, np.float32).T + b)),
], ids=["accuracy-loop", "params-numpy", "neuron-fsum", "layer-einsum", "layer-float32-inside"])
def test_lessons_00_and_01_take_right_answers_in_other_styles_on_generated_inputs(name, answer):
    _passes(name, answer)


def _accuracy_checking_arrays_only(y_true, y_pred):
    if isinstance(y_true, np.ndarray) and isinstance(y_pred, np.ndarray) and y_true.shape != y_pred.shape:
        raise ValueError("shapes differ")
    return _accuracy_checking(lambda t, p: False)(y_true, y_pred)


def _accuracy_converting_when_y_true_is_a_list(y_true, y_pred):
    if isinstance(y_true, list):
        y_true, y_pred = np.array(y_true), np.array(y_pred)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError("shapes differ or no predictions")
    return float(np.mean(y_true == y_pred))


def _accuracy_wanting_one_dtype(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.dtype != y_pred.dtype:
        raise ValueError("labels and predictions of different types")
    return _accuracy_checking(lambda t, p: t.shape != p.shape)(y_true, y_pred)


def _param_count_in(dtype):
    def mlp_param_count(layer_sizes):
        if len(layer_sizes) < 2 or min(layer_sizes) < 1:
            raise ValueError("bad layer sizes")
        sizes = np.array(layer_sizes, dtype=dtype)
        return int(np.sum(sizes[:-1] * sizes[1:] + sizes[1:]))   # int, not float: a float count is a mistake too
    return mlp_param_count


def _param_count_off_by_one_for_big_networks(layer_sizes):
    total = _weights_and_biases(list(layer_sizes)) if len(layer_sizes) > 1 and min(layer_sizes) > 0 else None
    if total is None:
        raise ValueError("bad layer sizes")
    return total + (total > 10_000_000)


def _layer_by_broadcast_product(X, W, b):
    return sigmoid((np.asarray(X)[:, None, :] * np.asarray(W)).sum(axis=-1) + b)


@pytest.mark.parametrize("name, answer, reason", [
    ("accuracy", _accuracy_checking_arrays_only, "Labels given as Python lists skip your shape check"),
    ("accuracy", _accuracy_converting_when_y_true_is_a_list, "The labels may come as Python lists, which have no"),
    ("accuracy", _accuracy_wanting_one_dtype, "raised ValueError: labels and predictions of different types"),
    ("mlp_param_count", _param_count_in(np.int32), "an int32 holds at most 2,147,483,647"),
    ("mlp_param_count", _param_count_in(np.float32), "wrong value"),
    ("mlp_param_count", _param_count_off_by_one_for_big_networks, "wrong value"),
    ("dense_layer", _layer_by_broadcast_product, "stretch an axis of length 1"),
    ("dense_layer", lambda X, W, b: sigmoid(np.einsum("bi,oi->bo", X, W) + b), "stretch an axis of length 1"),
], ids=["accuracy-shape-checked-for-arrays-only", "accuracy-converted-by-y_true-only", "accuracy-one-dtype-wanted",
        "params-int32", "params-float32", "params-off-by-one-when-big", "layer-broadcast-product", "layer-einsum"])
def test_lessons_00_and_01_try_lists_on_either_side_big_networks_and_a_single_feature(name, answer, reason, capsys):
    """Generated inputs: mismatched labels as lists, a list of predictions against an array of labels, whole-number
    labels against float predictions; networks of more than 2**31 parameters, compared exactly; X or W with one
    feature against several."""
    with pytest.raises(ExerciseFailed):
        check(name, answer, strict=True)
    check(name, answer)
    assert reason in capsys.readouterr().out


def _accuracy_comparing_the_last_axis(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape[-1] != y_pred.shape[-1] or y_true.size == 0:
        raise ValueError("shapes differ or no predictions")
    return float(np.mean(y_true == y_pred))


def _sigmoid_clipped_at(limit):
    def sigmoid_(z):
        z = np.asarray(z)   # float32 stays float32
        return 1 / (1 + np.exp(-np.clip(z, -limit, limit)))
    return sigmoid_


def _sigmoid_with_a_threshold_at_minus_700(z):
    z = np.asarray(z)
    return np.where(z < -700, 0.0, 1 / (1 + np.exp(-np.maximum(z, -700))))


_FAR_FLOAT32 = "np.exp overflows on float32 values above 88.7"


@pytest.mark.parametrize("name, answer, reason", [
    ("accuracy", _accuracy_comparing_the_last_axis, "Comparing only the last axis misses shapes"),
    ("sigmoid", _sigmoid_clipped_at(500), _FAR_FLOAT32),
    ("sigmoid", _sigmoid_with_a_threshold_at_minus_700, _FAR_FLOAT32),
    ("neuron", lambda x, w, b: _sigmoid_clipped_at(500)(np.dot(w, x) + b), _FAR_FLOAT32),
    ("dense_layer", lambda X, W, b: _sigmoid_clipped_at(500)(X @ W.T + b), _FAR_FLOAT32),
], ids=["accuracy-last-axis", "sigmoid-clip-500", "sigmoid-threshold-700", "neuron-clip-500", "layer-clip-500"])
def test_lessons_00_and_01_try_a_first_axis_of_one_and_float32_far_from_zero(name, answer, reason, capsys):
    """Generated inputs: labels of shapes (1, b, c) against (a, b, c), which agree in ndim and the last axis;
    float32 z, or float32 weighted sums, beyond 88.7 in size, where np.exp overflows in float32 (below 709.8 in
    float64, so a clip at 500 guards float64 only)."""
    with pytest.raises(ExerciseFailed):
        check(name, answer, strict=True)
    check(name, answer)
    assert f"Likely mistake: {reason}" in capsys.readouterr().out


def _sigmoid_keeping_float32(z):
    z = np.asarray(z)
    z = z if z.dtype == np.float32 else z.astype(float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


@pytest.mark.parametrize("name, answer", [
    ("sigmoid", _sigmoid_keeping_float32),
    ("sigmoid", lambda z: _sigmoid_clipped_at(500)(np.asarray(z, dtype=float))),
    ("neuron", lambda x, w, b: _sigmoid_keeping_float32(np.dot(np.asarray(w, np.float32), np.asarray(x, np.float32))
                                                        + np.float32(b))),
    ("dense_layer", lambda X, W, b: _sigmoid_keeping_float32(np.asarray(X, np.float32) @ np.asarray(W, np.float32).T
                                                             + np.asarray(b, np.float32))),
], ids=["sigmoid-float32-kept", "sigmoid-clip-after-float64", "neuron-float32", "layer-float32"])
def test_lessons_00_and_01_take_float32_far_from_zero_when_nothing_overflows(name, answer):
    _passes(name, answer)


def _accuracy_comparing_ndim_and_the_end_axes(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.ndim != y_pred.ndim or len(y_true) != len(y_pred) or y_true.shape[-1] != y_pred.shape[-1] \
            or y_true.size == 0:
        raise ValueError("shapes differ or no predictions")
    return float(np.mean(y_true == y_pred))


def _accuracy_checking_empty(where):
    def accuracy(y_true, y_pred):
        y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
        empty = y_true.shape[-1] == 0 if where == "last axis" else \
            len(y_true) == 0 or (y_true.ndim > 1 and y_true.shape[1] == 0)
        if y_true.shape != y_pred.shape or empty:
            raise ValueError("shapes differ or no predictions")
        return float(np.mean(y_true == y_pred))
    return accuracy


def _shapes_checked(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if np.shape(y_true) != np.shape(y_pred) or not y_true.size:
        raise ValueError("shapes differ or no predictions")
    return y_true == y_pred


def _sigmoid_in_the_input_dtype(z):
    e = np.exp(-np.abs(z))   # no cast to float: float16 for int8 or uint8 z
    return np.where(np.asarray(z) >= 0, 1 / (1 + e), e / (1 + e))


def _sigmoid_casting_int64_only(z):
    z = np.asarray(z)
    return _sigmoid_in_the_input_dtype(z.astype(float) if z.dtype == np.int64 else z)


@pytest.mark.parametrize("name, answer, reason", [
    ("accuracy", _accuracy_comparing_ndim_and_the_end_axes,
     "Likely mistake: Comparing ndim, the first and the last axis misses"),
    ("accuracy", _accuracy_checking_empty("last axis"), "Likely mistake: Labels of shape (0, 6) hold no prediction"),
    ("accuracy", _accuracy_checking_empty("len and shape[1]"), "should raise ValueError for this input"),
    ("sigmoid", _sigmoid_in_the_input_dtype, "Likely mistake: np.exp of int8 or uint8 numbers computes in float16"),
    ("sigmoid", _sigmoid_casting_int64_only, "Likely mistake: np.exp of int8 or uint8 numbers computes in float16"),
    ("sigmoid", lambda z: np.exp(-np.logaddexp(np.float32(0), -np.asarray(z))), "whole numbers as uint8"),
], ids=["accuracy-ends-and-ndim", "accuracy-empty-last-axis", "accuracy-empty-len-or-shape1", "sigmoid-int8-float16",
        "sigmoid-int64-only-cast", "sigmoid-uint8-negated"])
def test_lessons_00_and_01_try_a_middle_axis_empty_first_or_third_axes_and_small_integer_dtypes(name, answer, reason,
                                                                                                 capsys):
    """Generated inputs: labels of shapes (a, 1, c) against (a, b, c), which agree in ndim, length and the last axis;
    empty labels of shape (0, n) and (a, b, 0); sigmoid inputs of int8 and uint8, where np.exp computes in float16
    and -z of uint8 wraps around (the whole numbers drawn before were all int64)."""
    with pytest.raises(ExerciseFailed):
        check(name, answer, strict=True)
    check(name, answer)
    assert reason in capsys.readouterr().out


@pytest.mark.parametrize("name, answer", [
    ("accuracy", lambda y_true, y_pred: np.count_nonzero(_shapes_checked(y_true, y_pred)) / np.size(y_true)),
    ("sigmoid", lambda z: _sigmoid_in_the_input_dtype(np.asarray(z, dtype=np.float32))),
    ("sigmoid", lambda z: _sigmoid_in_the_input_dtype(np.asarray(z).astype(float))),
], ids=["accuracy-size-checked", "sigmoid-float32-cast", "sigmoid-astype-float"])
def test_lessons_00_and_01_take_small_integer_dtypes_cast_to_float(name, answer):
    _passes(name, answer)


def _accuracy_in_a_list(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError("shapes differ or no predictions")
    return [float(np.mean(y_true == y_pred))]


def _param_count_in_a_tuple(layer_sizes):
    sizes = list(layer_sizes)
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError("need two layers of at least one neuron")
    return sum(n_in * n_out + n_out for n_in, n_out in zip(sizes, sizes[1:])),   # the comma makes a 1-tuple


def _sigmoid_ndmin_1(z):
    z = np.array(z, dtype=float, ndmin=1)   # a number becomes shape (1,)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


_ONE_VALUE = "expected a single number, got one value in a"


@pytest.mark.parametrize("name, answer, reason", [
    ("accuracy", catalogued("accuracy", "accuracy in a tuple"), "Likely mistake: The comma after `return ...,`"),
    ("accuracy", _accuracy_in_a_list, _ONE_VALUE + " list of shape (1,)"),
    ("mlp_param_count", catalogued("mlp_param_count", "count in an array of one"), "Likely mistake: np.zeros(1)"),
    ("mlp_param_count", _param_count_in_a_tuple, _ONE_VALUE + " tuple of shape (1,)"),
    ("sigmoid", _sigmoid_ndmin_1, "Likely mistake: a number must give a number of shape ()"),
    ("relu", catalogued("relu", "np.atleast_1d"), "Likely mistake: a number must give a number of shape ()"),
    ("neuron", catalogued("neuron", "w as a row"), "Likely mistake: a row of weights"),
    ("neuron", lambda x, w, b: _sigmoid(np.asarray(x)[None, :] @ np.asarray(w)[:, None] + b),
     _ONE_VALUE + " ndarray of shape (1, 1)"),
], ids=["accuracy-1-tuple", "accuracy-list", "mlp-zeros-1", "mlp-1-tuple", "sigmoid-ndmin-1", "relu-atleast-1d",
        "neuron-w-row", "neuron-1x1"])
def test_lessons_00_and_01_want_a_number_not_one_value_in_a_tuple_list_or_array(name, answer, reason, capsys):
    """A result of size one was compared as the number it holds, so a 1-tuple (a comma after return), a list or an
    array of shape (1,) passed, though an f-string's :.3f, == 65 and lesson 01b's neuron(...) > 0.5 table fail on
    it, and sigmoid and relu promise a number for a number."""
    with pytest.raises(ExerciseFailed):
        check(name, answer, strict=True)
    check(name, answer)
    assert reason in capsys.readouterr().out


@pytest.mark.parametrize("name, answer", [
    ("accuracy", lambda y_true, y_pred: np.asarray(np.mean(_shapes_checked(y_true, y_pred)))),
    ("mlp_param_count", lambda sizes: np.int64(_param_count_in_a_tuple(sizes)[0])),
    ("sigmoid", lambda z: sigmoid(z)[()]),
    ("neuron", lambda x, w, b: float(_sigmoid(np.dot(w, x) + b))),
], ids=["accuracy-0-d-array", "mlp-numpy-int", "sigmoid-numpy-scalar", "neuron-python-float"])
def test_lessons_00_and_01_take_a_number_in_any_form_of_shape_0(name, answer):
    _passes(name, answer)


def _accuracy_of_atleast_2d(y_true, y_pred):
    compared = mistake_copy("accuracy", "size and last axis compared, not shapes")
    return compared(np.atleast_2d(y_true), np.atleast_2d(y_pred))


def _one_stable_sigmoid(v):
    e = np.exp(-abs(float(v)))
    return 1 / (1 + e) if v >= 0 else e / (1 + e)


def _sigmoid_by_the_smallest_value(z):
    z = np.asarray(z, dtype=float)
    if z.min() >= 0:   # raises on an empty array
        return 1 / (1 + np.exp(-z))
    return _sigmoid(z)


def _sigmoid_written_into_z(z):
    if not isinstance(z, np.ndarray) or z.dtype.kind != "f":
        return _sigmoid(z)
    z.flags.writeable = True
    z[...] = _sigmoid(z)
    return z


def _neuron_scaling_x_in_place(x, w, b):
    if len(x) != len(w):
        raise ValueError("x and w differ in length")
    if x.dtype != np.result_type(x, w):
        return _sigmoid(np.dot(w, x) + b)
    x.setflags(write=True)
    x *= w
    return _sigmoid(x.sum() + b)


def _layer_with_b_reshaped_in_place(X, W, b):
    b.shape = (1, -1)
    return _sigmoid(X @ W.T + b)


def _layer_along_the_rows(X, W, b):
    if X.shape[1] != W.shape[1]:
        raise ValueError("X and W differ in the number of features")
    return np.apply_along_axis(lambda x: _sigmoid(W @ x + b), 1, X)


@pytest.mark.parametrize("name, answer, reason", [
    ("accuracy", catalogued("accuracy", "size and last axis compared, not shapes"),
     "Likely mistake: The same number of labels and the same last axis"),
    ("accuracy", _accuracy_of_atleast_2d, "Likely mistake: The same number of labels and the same last axis"),
    ("sigmoid", lambda z: np.vectorize(_one_stable_sigmoid)(z), "Likely mistake: np.vectorize without otypes="),
    ("sigmoid", _sigmoid_by_the_smallest_value, "zero-size array"),
    ("relu", lambda z: np.vectorize(lambda v: max(0.0, v))(z), "Likely mistake: np.vectorize without otypes="),
    ("sigmoid", _sigmoid_written_into_z, "Likely mistake: switching the read-only flag off"),
    ("neuron", _neuron_scaling_x_in_place, "your function changed its input array in place"),
    ("dense_layer", _layer_with_b_reshaped_in_place, "Likely mistake: switching the read-only flag off"),
    ("dense_layer", _layer_along_the_rows, "Likely mistake: np.apply_along_axis"),
], ids=["accuracy-size-and-last-axis", "accuracy-atleast-2d", "sigmoid-vectorize", "sigmoid-min", "relu-vectorize",
        "sigmoid-flag-off", "neuron-flag-off", "dense-layer-b-shape", "dense-layer-apply-along-axis"])
def test_lessons_00_and_01_try_a_row_against_a_vector_empty_arrays_and_see_the_callers_arrays(name, answer, reason,
                                                                                            capsys):
    """A shape mismatch by a leading axis of one, (1, n) against (n,), was never drawn (a size and last-axis check
    passed); no activation got an empty array and no layer an empty batch (np.vectorize without otypes=, z.min() and
    np.apply_along_axis raise there); and an answer that switched the read-only flag back on, or set b.shape, changed
    the caller's array unseen (the runner passed read-only views and compared nothing after the call)."""
    with pytest.raises(ExerciseFailed):
        check(name, answer, strict=True)
    check(name, answer)
    assert reason in capsys.readouterr().out


@pytest.mark.parametrize("name, answer", [
    ("sigmoid", lambda z: np.vectorize(_one_stable_sigmoid, otypes=[float])(z)),
    ("relu", lambda z: np.where(np.asarray(z) > 0, z, 0.0)),
    ("neuron", lambda x, w, b: _sigmoid((np.reshape(x, (1, -1)) @ w)[0] + b)),
    ("dense_layer", lambda X, W, b: _sigmoid((W @ X.T).T + b.reshape(1, -1))),
], ids=["sigmoid-vectorize-otypes", "relu-where", "neuron-reshaped-copy", "dense-layer-transposed"])
def test_lessons_00_and_01_take_empty_arrays_and_reshaped_copies(name, answer):
    _passes(name, answer)


def _sigmoid_with_a_path_for_one_number(exp):
    def sigmoid_(z):
        if np.ndim(z) == 0:
            return 1 / (1 + exp(-z))
        return _sigmoid(np.asarray(z, dtype=float))
    return sigmoid_


@pytest.mark.parametrize("exp, reason", [
    (__import__("math").exp, "a single number takes another path in your code"),
    (np.exp, "np.exp overflowed"),
], ids=["math.exp", "np.exp"])
def test_sigmoid_is_tried_on_single_large_numbers(exp, reason, capsys):
    """The only single number of the old cases was 0.0, so a naive formula for numbers passed."""
    with pytest.raises(ExerciseFailed):
        check("sigmoid", _sigmoid_with_a_path_for_one_number(exp), strict=True)
    check("sigmoid", _sigmoid_with_a_path_for_one_number(exp))
    assert f"Likely mistake: {reason}" in capsys.readouterr().out


def test_relu_is_tried_on_a_single_negative_number():
    def relu(z):
        return abs(z) if np.ndim(z) == 0 else np.maximum(0.0, z)
    with pytest.raises(ExerciseFailed):
        check("relu", relu, strict=True)
    _passes("relu", lambda z: z * 1.0 if np.ndim(z) == 0 and z > 0 else np.maximum(0.0, z))


def _accuracy_comparing(convert):
    def accuracy(y_true, y_pred):
        y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
        if y_true.shape != y_pred.shape or y_true.size == 0:
            raise ValueError("shapes differ or no predictions")
        return float(np.mean(convert(y_true, y_pred)))
    return accuracy


def _numbers_isclose(y_true, y_pred):
    if y_true.dtype.kind in "biuf" and y_pred.dtype.kind in "biuf":
        return np.isclose(y_true, y_pred)
    return y_true == y_pred


@pytest.mark.parametrize("name, answer, reason", [
    ("accuracy", _accuracy_comparing(lambda t, p: t == p.astype(t.dtype)), "Likely mistake: astype (or np.asarray"),
    ("accuracy", _accuracy_comparing(lambda t, p: t == np.asarray(p, dtype=int) if t.dtype.kind in "iu" else t == p),
     "Likely mistake: astype (or np.asarray"),
    ("accuracy", _accuracy_comparing(lambda t, p: t == (np.round(p) if p.dtype.kind == "f" and t.dtype.kind in "biu"
                                                        else p)), "Likely mistake: np.round turned a prediction"),
    ("accuracy", _accuracy_comparing(_numbers_isclose), "Likely mistake: np.isclose has a relative tolerance"),
    ("accuracy", _accuracy_comparing(lambda t, p: t.astype(p.dtype) == p), "Likely mistake: astype(int) cuts labels"),
    ("sigmoid", lambda z: 1 / (1 + np.exp(-np.asarray(z, dtype=np.longdouble))), "Likely mistake: np.longdouble"),
    ("neuron", lambda x, w, b: 1 / (1 + np.exp(-np.longdouble(np.dot(w, x) + b))),
     "Likely mistake: 1 / (1 + np.exp(-z)) overflows for a very negative weighted sum"),
    ("relu", lambda z: np.where(np.asarray(z) > 0.01, z, 0.0), "on input values close to zero"),
], ids=["accuracy-astype-labels-dtype", "accuracy-asarray-int", "accuracy-round", "accuracy-isclose",
        "accuracy-labels-astype-preds-dtype", "sigmoid-long-double", "neuron-long-double", "relu-threshold-0.01"])
def test_lessons_00_and_01_try_predictions_that_agree_only_once_converted_and_z_beyond_long_double(name, answer,
                                                                                                   reason, capsys):
    """Every prediction of a kind other than its labels' held the same values (1.0 for 1), so casting, rounding or
    np.isclose passed; no |z| was beyond 11356, where np.exp overflows in x86's 80-bit np.longdouble (a naive formula
    computed in it passed on Linux); no value of relu's inputs lay between 0 and 0.01."""
    with pytest.raises(ExerciseFailed):
        check(name, answer, strict=True)
    check(name, answer)
    assert reason in capsys.readouterr().out


@pytest.mark.parametrize("name, answer", [
    ("accuracy", _accuracy_comparing(np.equal)),
    ("accuracy", lambda y_true, y_pred: 1 - _accuracy_comparing(np.not_equal)(y_true, y_pred)),
    ("sigmoid", lambda z: _sigmoid(np.asarray(z, dtype=np.longdouble))),
    ("sigmoid", lambda z: np.exp(-np.logaddexp(0.0, -np.asarray(z, dtype=float)))),
    ("relu", lambda z: z * (np.asarray(z) > 0)),
    ("neuron", lambda x, w, b: _sigmoid(np.inner(x, w) + b)),
], ids=["accuracy-np-equal", "accuracy-one-minus-error", "sigmoid-stable-long-double", "sigmoid-logaddexp",
        "relu-times-mask", "neuron-inner"])
def test_lessons_00_and_01_take_exact_comparisons_and_stable_forms_in_any_precision(name, answer):
    _passes(name, answer)

def test_torch_train_step_must_leave_the_model_in_training_mode():
    with pytest.raises(ExerciseFailed, match="eval"):
        check("torch_train_step", catalogued("torch_train_step", "eval mode inside the step"), strict=True)


def _silencing_overflow(z):
    np.seterr(over="ignore")   # stays in force after the call
    return 1 / (1 + np.exp(-np.asarray(z, dtype=float)))


def test_a_naive_sigmoid_that_silences_overflow_with_seterr_is_rejected():
    """np.seterr inside the answer overrode the check's own overflow trap, so the naive form passed."""
    before = np.geterr()
    try:
        verdict = judge(registry.get_exercise("sigmoid"), _silencing_overflow)
    finally:
        np.seterr(**before)
    assert verdict.kind != PASSED and "np.seterr" in verdict.text, verdict.text


def test_predict_one_image_gets_a_fresh_model_after_an_answer_that_changed_it_and_raised():
    """Naming the mistake of an answer that takes an RGB image runs the catalogued "dropout switched off" on it,
    which sets the rate to 0 and then raises: the check's model stayed changed, so the next answer that set the
    Dropout rate to 0 passed."""
    pytest.importorskip("keras")

    def first_channel(model, image):
        image = np.asarray(image)
        image = image[..., :1] if image.ndim == 3 else image
        return reference_copy("predict_one_image")(model, image)
    judge(registry.get_exercise("predict_one_image"), first_channel)
    verdict = judge(registry.get_exercise("predict_one_image"), catalogued("predict_one_image", "dropout switched off"))
    assert verdict.mistake == "dropout switched off", verdict.text


@pytest.mark.parametrize("weights, shown", [
    ((np.array([1e-17, 1e-17]), -5e-18), "rounds to exactly 0.5"),
    ((np.array([2e-16, 2e-16]), -1e-16), "expected 1, got 0.5"),
    ((np.array([40.0, 40.0]), -20.0), None),
    (([1e-3, 1e-3], -5e-4), None)],
    ids=["all four on 0.5", "two on 0.5", "large weights (right)", "small weights in a list (right)"])
def test_or_weights_are_run_through_the_sigmoid(weights, shown):
    """The check took the sign of w.x + b, so weights too small for float64 passed although the sigmoid neuron the
    exercise describes outputs exactly 0.5 (neither yes nor no) on the inputs."""
    if shown is None:
        _passes("or_weights", lambda: weights)
        return
    with pytest.raises(ExerciseFailed, match=shown):
        check("or_weights", lambda: weights, strict=True)


@pytest.mark.parametrize("weights, shown", [
    ((np.array([1.0, 1.0]), np.array([-0.5])), "b must be one real number"),
    ((np.array([1.0, 1.0]), [-0.5]), "b must be one real number"),
    ((np.array([1.0, 1.0]), (-0.5,)), "b must be one real number"),
    ((np.array([1.0, 1.0]), -0.5 + 0.5j), "b must be one real number"),
    ((np.array(["1", "1"]), -0.5), "w must hold two real numbers"),
    ((np.array([1.0 + 0j, 1.0]), -0.5), "w must hold two real numbers"),
    (([2, 3], np.float32(-1.0)), None),
    (((1.0, 1.0), np.array(-0.5)), None),
    ((np.array([1, 1], dtype=np.int64), -0.5), None)],
    ids=["b shape (1,)", "b in a list", "b in a 1-tuple", "b complex", "w strings", "w complex",
         "w a list, b np.float32 (right)", "w a tuple, b a 0-d array (right)", "w integers (right)"])
def test_or_weights_want_b_as_one_real_number(weights, shown):
    """They passed: the check took any b of size 1 (np.array([-0.5]), as the lesson writes a layer's biases) and
    cast w to float, complex and string values included, although the exercise asks for b as a number."""
    if shown is None:
        _passes("or_weights", lambda: weights)
        return
    with pytest.raises(ExerciseFailed, match=shown):
        check("or_weights", lambda: weights, strict=True)


@pytest.mark.parametrize("answer", [
    lambda X, W, b: 1 / (1 + np.exp(-np.asarray(np.asarray(X) @ np.asarray(W).T + b, dtype=np.longdouble))),
    lambda X, W, b: np.exp(-np.logaddexp(0, -(np.asarray(X, np.longdouble) @ W.T + b))).astype(float)],
    ids=["naive in long double (wrong)", "exp(-logaddexp) (right)"])
def test_dense_layer_tries_weighted_sums_beyond_np_exp_s_range_in_long_double(answer):
    """The naive sigmoid in np.longdouble passed on x86 Linux: no weighted sum went beyond about 11356 in size."""
    if "logaddexp" in answer.__code__.co_names:
        _passes("dense_layer", answer)
        return
    verdict = judge(registry.get_exercise("dense_layer"), answer)
    assert verdict.kind == WRONG and verdict.mistake == "naive sigmoid in np.longdouble", verdict.text


# round 12 (a1201): labels that only a tolerance, float32, np.abs or cleaned words call equal; a count as a float; a
# naive sigmoid inside np.errstate(over="ignore") or between np.seterr and its undoing
def _accuracy_checked(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError("shapes differ or no predictions")
    return y_true, y_pred


def _accuracy_within_atol(y_true, y_pred):
    y_true, y_pred = _accuracy_checked(y_true, y_pred)
    if y_true.dtype.kind in "biuf" and y_pred.dtype.kind in "biuf":
        return float(np.mean(np.isclose(y_true, y_pred, rtol=0)))   # atol=1e-8 still
    return float(np.mean(y_true == y_pred))


def _accuracy_by_difference(y_true, y_pred):
    y_true, y_pred = _accuracy_checked(y_true, y_pred)
    if y_true.dtype.kind in "iuf" and y_pred.dtype.kind in "iuf":
        return float(np.mean(np.abs(y_true - y_pred) < 1e-6))
    return float(np.mean(y_true == y_pred))


def _accuracy_math_isclose(y_true, y_pred):
    import math

    y_true, y_pred = _accuracy_checked(y_true, y_pred)
    if y_true.dtype.kind in "iuf" and y_pred.dtype.kind in "iuf":
        pairs = zip(y_true.ravel().tolist(), y_pred.ravel().tolist())
        return float(np.mean([math.isclose(a, b) for a, b in pairs]))   # relative 1e-9
    return float(np.mean(y_true == y_pred))


def _accuracy_in_float32(y_true, y_pred):
    y_true, y_pred = _accuracy_checked(y_true, y_pred)
    if y_true.dtype.kind in "biuf" and y_pred.dtype.kind in "biuf":
        y_true, y_pred = y_true.astype(np.float32), y_pred.astype(np.float32)
    return float(np.mean(y_true == y_pred))


def _accuracy_rounded_to_6(y_true, y_pred):
    y_true, y_pred = _accuracy_checked(y_true, y_pred)
    if "f" in (y_true.dtype.kind, y_pred.dtype.kind):
        y_true, y_pred = np.round(y_true.astype(float), 6), np.round(y_pred.astype(float), 6)
    return float(np.mean(y_true == y_pred))


def _accuracy_of_magnitudes(y_true, y_pred):
    y_true, y_pred = _accuracy_checked(y_true, y_pred)
    if y_true.dtype.kind in "if" and y_pred.dtype.kind in "if":
        y_true, y_pred = np.abs(y_true), np.abs(y_pred)
    return float(np.mean(y_true == y_pred))


def _accuracy_of_cleaned_words(y_true, y_pred):
    y_true, y_pred = _accuracy_checked(y_true, y_pred)
    if y_true.dtype.kind == "U":
        y_true, y_pred = np.char.lower(np.char.strip(y_true)), np.char.lower(np.char.strip(y_pred))
    return float(np.mean(y_true == y_pred))


def _count_as_float(sizes):
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError("need at least two layers of at least one neuron")
    return float(sum(n_in * n_out + n_out for n_in, n_out in zip(sizes, sizes[1:])))


def _count_in_a_float_array(sizes):
    sizes = np.array(sizes, dtype=float)
    if sizes.size < 2 or sizes.min() < 1:
        raise ValueError("need at least two layers of at least one neuron")
    return np.sum(sizes[:-1] * sizes[1:] + sizes[1:])


def _count_in_np_zeros(sizes):
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError("need at least two layers of at least one neuron")
    counts = np.zeros(len(sizes) - 1)   # float64
    for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        counts[i] = n_in * n_out + n_out
    return counts.sum()


def _naive_sigmoid_in_errstate(z):
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-np.asarray(z, dtype=float)))


def _naive_where_in_errstate_all(z):
    z = np.asarray(z, dtype=float)
    with np.errstate(all="ignore"):
        return np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z)))


def _naive_sigmoid_between_seterr_calls(z):
    old = np.seterr(all="ignore")
    try:
        return 1 / (1 + np.exp(-np.asarray(z, dtype=float)))
    finally:
        np.seterr(**old)


def _naive_neuron_in_errstate(x, w, b):
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-(np.dot(w, x) + b)))


@pytest.mark.parametrize("name, answer, reason", [
    ("accuracy", _accuracy_within_atol, "1e-9 and 2e-9"),
    ("accuracy", _accuracy_by_difference, "1e-9 and 2e-9"),
    ("accuracy", _accuracy_rounded_to_6, "1e-9 and 2e-9"),
    ("accuracy", _accuracy_math_isclose, "np.isclose has a relative tolerance"),
    ("accuracy", _accuracy_in_float32, "100000 and 100001"),
    ("accuracy", _accuracy_of_magnitudes, "a billionth apart"),
    ("accuracy", _accuracy_of_cleaned_words, "a capital letter or a space"),
    ("mlp_param_count", _count_as_float, "a count is a whole number"),
    ("mlp_param_count", _count_in_a_float_array, "a count is a whole number"),
    ("mlp_param_count", _count_in_np_zeros, "a count is a whole number"),
    ("sigmoid", _naive_sigmoid_in_errstate, "hid the overflow"),
    ("sigmoid", _naive_where_in_errstate_all, "hid the overflow"),
    ("sigmoid", _naive_sigmoid_between_seterr_calls, "hid the overflow"),
    ("neuron", _naive_neuron_in_errstate, "hid the overflow"),
], ids=["accuracy-isclose-atol", "accuracy-difference", "accuracy-rounded", "accuracy-math-isclose",
        "accuracy-float32", "accuracy-abs", "accuracy-cleaned-words", "count-float", "count-float-array",
        "count-np-zeros", "sigmoid-errstate", "sigmoid-where-errstate-all", "sigmoid-seterr-undone", "neuron-errstate"])
def test_lessons_00_and_01_reject_tolerances_float_counts_and_overflow_hidden_in_errstate(name, answer, reason):
    """Each passed before: no labels were closer than 0.001 or beyond float32's and math.isclose's resolution, no
    label was the negative of another, no words differed only in case or a space, a count of 65.0 equalled 65, and
    np.errstate inside the answer overrode the check's own overflow trap."""
    real_errstate, real_seterr, before = np.errstate, np.seterr, np.geterr()
    with pytest.raises(ExerciseFailed) as failed:
        check(name, answer, strict=True)
    assert np.geterr() == before and np.errstate is real_errstate and np.seterr is real_seterr
    assert reason in str(failed.value), str(failed.value)


def _stable_sigmoid_in_errstate(z):
    with np.errstate(all="ignore"):   # nothing overflows: only a habit, not a hidden overflow
        return sigmoid(z)


def _stable_sigmoid_between_seterr_calls(z):
    old = np.seterr(under="ignore")
    try:
        return sigmoid(z)
    finally:
        np.seterr(**old)


def _count_as_numpy_int(sizes):
    sizes = np.array(sizes, dtype=np.int64)
    if sizes.size < 2 or sizes.min() < 1:
        raise ValueError("need at least two layers of at least one neuron")
    return np.sum(sizes[:-1] * sizes[1:] + sizes[1:])


def _accuracy_in_float64(y_true, y_pred):
    y_true, y_pred = _accuracy_checked(y_true, y_pred)
    if y_true.dtype.kind in "biuf" and y_pred.dtype.kind in "biuf":   # exact for whole numbers up to 2**53
        y_true, y_pred = y_true.astype(float), y_pred.astype(float)
    return float(np.mean(y_true == y_pred))


@pytest.mark.parametrize("name, answer", [
    ("sigmoid", _stable_sigmoid_in_errstate),
    ("sigmoid", _stable_sigmoid_between_seterr_calls),
    ("sigmoid", lambda z: 0.5 * (1 + np.tanh(np.asarray(z, dtype=float) / 2))),
    ("neuron", lambda x, w, b: 0.5 * (1 + np.tanh((np.dot(w, x) + b) / 2))),
    ("mlp_param_count", _count_as_numpy_int),
    ("accuracy", _accuracy_in_float64),
], ids=["sigmoid-stable-errstate", "sigmoid-stable-seterr-undone", "sigmoid-tanh", "neuron-tanh", "count-int64",
        "accuracy-float64"])
def test_lessons_00_and_01_take_errstate_around_a_stable_sigmoid_and_numpy_integer_counts(name, answer):
    _passes(name, answer)


# round 13 (a1301): predictions all 0 or all False, 0-d labels, labels compared by hash, ±inf into sigmoid, float32
# near its largest value into ReLU, and an int mean that the count's message used to claim
def _accuracy_empty_checked_with_any(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or (y_pred.dtype.kind != "U" and not y_pred.any()):   # "no predictions"
        raise ValueError("shapes differ or no predictions")
    return float(np.mean(y_true == y_pred))


def _accuracy_at_least_1d(y_true, y_pred):
    return _accuracy_as_given(np.atleast_1d(y_true), np.atleast_1d(y_pred))


def _accuracy_as_given(y_true, y_pred):
    y_true, y_pred = _accuracy_checked(y_true, y_pred)
    return float(np.mean(y_true == y_pred))


def _accuracy_as_a_statistics_mean(y_true, y_pred):
    import statistics

    y_true, y_pred = _accuracy_checked(y_true, y_pred)
    return statistics.mean((y_true == y_pred).ravel().tolist())   # the int 1 when all are right


def _accuracy_by_tolist(y_true, y_pred):
    y_true, y_pred = _accuracy_checked(y_true, y_pred)
    return float(np.mean([a == b for a, b in zip(y_true.ravel().tolist(), y_pred.ravel().tolist())]))


def _accuracy_by_average(y_true, y_pred):
    y_true, y_pred = _accuracy_checked(y_true, y_pred)
    return float(np.average(np.equal(y_true, y_pred)))


def _count_by_dot(sizes):
    _count_as_numpy_int(sizes)   # its checks
    sizes = list(sizes)
    return int(np.dot(sizes[:-1], sizes[1:]) + sum(sizes[1:]))


def _count_with_one_more_input(sizes):
    _count_as_numpy_int(sizes)
    return sum((n_in + 1) * n_out for n_in, n_out in zip(sizes, list(sizes)[1:]))


def _accuracy_refusing_0d(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.size == 0 or y_true.ndim == 0:
        raise ValueError("shapes differ or no predictions")
    return float(np.mean(y_true == y_pred))


def _accuracy_by_hash(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError("shapes differ or no predictions")
    return float(np.mean([hash(a) == hash(b) for a, b in zip(y_true.ravel().tolist(), y_pred.ravel().tolist())]))


def _sigmoid_max_shift(z):
    z = np.asarray(z, dtype=float)
    m = np.maximum(z, 0)
    return np.exp(z - m) / (np.exp(-m) + np.exp(z - m))


def _sigmoid_exp_of_min(z):
    z = np.asarray(z, dtype=float)
    return np.exp(np.minimum(z, 0)) / (1 + np.exp(-np.abs(z)))


def _relu_halved(z):
    z = np.asarray(z)
    return (np.abs(z) + z) / 2


@pytest.mark.parametrize("name, answer, reason", [
    ("accuracy", _accuracy_empty_checked_with_any, "always predicts 0"),
    ("accuracy", _accuracy_at_least_1d, "0-d label"),
    ("accuracy", _accuracy_refusing_0d, "0-d arrays"),
    ("accuracy", _accuracy_by_hash, "labels -1 and -2"),
    ("sigmoid", _sigmoid_max_shift, "inf - inf = nan"),
    ("relu", _relu_halved, "3e38"),
    ("relu", lambda z: 0.5 * (np.asarray(z) + np.sqrt(np.square(np.asarray(z)))), "3e38"),
], ids=["accuracy-any", "accuracy-atleast-1d", "accuracy-0d-refused", "accuracy-hash", "sigmoid-max-shift",
        "relu-abs-plus-z", "relu-root-of-square"])
def test_lessons_00_and_01_try_all_zero_predictions_0d_labels_and_infinities(name, answer, reason, capsys):
    with pytest.raises(ExerciseFailed):
        check(name, answer, strict=True)
    check(name, answer)
    assert reason in capsys.readouterr().out


def test_accuracy_as_an_int_mean_is_not_called_a_count(capsys):
    """statistics.mean of bools gives the int 1 when all are right: the message says floats are wanted, and does
    not claim the answer is the number of right answers (a count and an int mean agree only when all are wrong)."""
    check("accuracy", _accuracy_as_a_statistics_mean)
    out = capsys.readouterr().out
    assert "all 3 right" in out and "number of right answers" not in out


@pytest.mark.parametrize("name, answer", [
    ("accuracy", lambda y_true, y_pred: np.count_nonzero(_shapes_checked(y_true, y_pred)) / np.size(y_true)),
    ("accuracy", _accuracy_by_average),
    ("accuracy", _accuracy_by_tolist),
    ("sigmoid", _sigmoid_exp_of_min),
    ("sigmoid", lambda z: np.clip(_sigmoid_exp_of_min(z), 0, 1)),
    ("sigmoid", lambda z: __import__("scipy.special", fromlist=["expit"]).expit(np.asarray(z, dtype=float))),
    ("relu", lambda z: np.where(np.asarray(z, dtype=float) < 0, 0.0, np.asarray(z, dtype=float))),
    ("relu", lambda z: np.clip(np.asarray(z, dtype=float), 0, None)),
    ("relu", lambda z: np.fmax(0.0, np.asarray(z, dtype=float))),
    ("neuron", lambda x, w, b: sigmoid(np.vdot(w, x) + b)),
    ("neuron", lambda x, w, b: sigmoid(np.tensordot(w, x, axes=1) + b)),
    ("neuron", lambda x, w, b: sigmoid(np.inner(x, w) + b)),
    ("mlp_param_count", lambda sizes: _count_as_numpy_int(sizes) * 1),
    ("mlp_param_count", _count_by_dot),
    ("mlp_param_count", _count_with_one_more_input),
], ids=["accuracy-count-nonzero", "accuracy-average-equal", "accuracy-tolist", "sigmoid-exp-min", "sigmoid-clipped",
        "sigmoid-expit", "relu-where-lt", "relu-clip", "relu-fmax", "neuron-vdot", "neuron-tensordot", "neuron-inner",
        "mlp-int64", "mlp-dot", "mlp-n-in-plus-one"])
def test_lessons_00_and_01_take_right_answers_on_0d_labels_and_infinities(name, answer):
    _passes(name, answer)


# lesson 01b (round 14): outputs far below 1, compared to their own scale
@pytest.mark.parametrize("answer", [
    lambda X, W, b: sigmoid(np.clip(X @ W.T + b, -30, 30)),
    lambda X, W, b: np.round(sigmoid(X @ W.T + b), 8),
    lambda X, W, b: np.maximum(sigmoid(X @ W.T + b), 1e-12),
], ids=["logits clipped at 30", "rounded to 8 decimals", "floored at 1e-12"])
def test_dense_layer_compares_outputs_far_below_1_to_their_own_scale(answer):
    """No weighted sum lay between -18 and -100 in float64, so outputs rounded to 8 decimals, floored at 1e-12 or
    computed from logits clipped at 30 passed within the atol of 1e-8."""
    with pytest.raises(ExerciseFailed, match="far below 1 must come out right"):
        check("dense_layer", answer, strict=True)


@pytest.mark.parametrize("answer", [
    lambda X, W, b: 0.5 + 0.5 * np.tanh((X @ W.T + b) / 2),
    lambda X, W, b: sigmoid(np.asarray(X, np.float32) @ np.asarray(W, np.float32).T + b).astype(np.float32),
], ids=["0.5 + 0.5 tanh(z / 2)", "float32"])
def test_dense_layer_outputs_right_to_1e_15_pass(answer):
    _passes("dense_layer", answer)


# Round 14 (a1401), lessons 00a/00b/01a: counts kept in a small integer type, labels cast to int32 or uint32, a
# parameter count in uint32, ReLU with a tolerance around 0, and a neuron with no inputs
def _accuracy_counted_in(dtype):
    def accuracy(y_true, y_pred):
        y_true, y_pred = _accuracy_checked(y_true, y_pred)
        return float(np.sum(y_true == y_pred, dtype=dtype) / y_true.size)   # wraps around above the dtype's largest
    return accuracy


def _accuracy_labels_cast_to(dtype):
    def accuracy(y_true, y_pred):
        y_true, y_pred = _accuracy_checked(y_true, y_pred)
        if y_true.dtype.kind in "biu" and y_pred.dtype.kind in "biu":   # "numbers of one kind before comparing"
            y_true, y_pred = y_true.astype(dtype), y_pred.astype(dtype)
        return float(np.mean(y_true == y_pred))
    return accuracy


def _accuracy_by_bytes(y_true, y_pred):
    y_true, y_pred = _accuracy_checked(y_true, y_pred)
    return float(np.mean([a.tobytes() == b.tobytes() for a, b in zip(y_true.ravel(), y_pred.ravel())])
                 if y_true.dtype == y_pred.dtype else np.mean(y_true == y_pred))   # -0.0 and 0.0 differ in bytes


def _accuracy_as_text(y_true, y_pred):
    y_true, y_pred = _accuracy_checked(y_true, y_pred)
    if y_true.dtype != y_pred.dtype:
        return float(np.mean(y_true == y_pred))
    return float(np.mean(y_true.astype(str) == y_pred.astype(str)))   # "compare words and numbers alike": "-0.0"


def _count_in_uint32(sizes):
    sizes = list(sizes)
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError("need at least two layers of at least one neuron")
    sizes = np.array(sizes, dtype=np.uint32)   # "sizes are never negative"
    return int(np.sum(sizes[:-1] * sizes[1:] + sizes[1:]))


def _relu_with_a_tolerance(above):
    return lambda z: np.where(np.asarray(z, dtype=float) > above, np.asarray(z, dtype=float), 0.0)


def _neuron_by_reduce(x, w, b):
    import functools
    import operator

    if len(x) != len(w):
        raise ValueError("x and w differ in length")
    return sigmoid(functools.reduce(operator.add, map(operator.mul, w, x)) + b)   # no start value: fails on no inputs


def _neuron_sum_from_the_first_product(x, w, b):
    if len(x) != len(w):
        raise ValueError("x and w differ in length")
    z = w[0] * x[0]
    for i in range(1, len(x)):
        z += w[i] * x[i]
    return sigmoid(z + b)


@pytest.mark.parametrize("name, answer, reason", [
    ("accuracy", _accuracy_counted_in(np.uint8), "65,800 of them right"),
    ("accuracy", _accuracy_counted_in(np.int16), "65,800 of them right"),
    ("accuracy", _accuracy_counted_in(np.uint16), "65,800 of them right"),
    ("accuracy", _accuracy_labels_cast_to(np.int32), "equal once cut to 32 bits"),
    ("accuracy", _accuracy_labels_cast_to(np.uint32), "equal once cut to 32 bits"),
    ("accuracy", _accuracy_by_bytes, "a prediction -0.0"),
    ("accuracy", _accuracy_as_text, "a prediction -0.0"),
    ("mlp_param_count", _count_in_uint32, "a uint32 4,294,967,295"),
    ("relu", _relu_with_a_tolerance(1e-6), "within 1e-4 of zero"),
    ("relu", _relu_with_a_tolerance(1e-4), "within 1e-4 of zero"),
    ("relu", _relu_with_a_tolerance(-1e-6), "within 1e-4 of zero"),
    ("relu", lambda z: np.round(np.maximum(0.0, np.asarray(z, dtype=float)), 6), "within 1e-4 of zero"),
    ("neuron", _neuron_by_reduce, "no inputs at all"),
    ("neuron", _neuron_sum_from_the_first_product, "no inputs at all"),
    ("neuron", lambda x, w, b: sigmoid(np.mean(np.asarray(w) * x) * len(x) + b) if len(x) == len(w) else np.dot(w, x),
     "no inputs at all"),
], ids=["accuracy-uint8-count", "accuracy-int16-count", "accuracy-uint16-count",
        "accuracy-int32-labels", "accuracy-uint32-labels", "accuracy-bytes",
        "accuracy-as-text", "mlp-uint32", "relu-above-1e-6",
        "relu-above-1e-4", "relu-above-minus-1e-6", "relu-rounded-6", "neuron-reduce", "neuron-from-first-product",
        "neuron-mean-times-length"])
def test_lessons_00_and_01_try_big_counts_wide_ids_values_near_0_and_no_inputs(name, answer, reason, capsys):
    with pytest.raises(ExerciseFailed):
        check(name, answer, strict=True)
    check(name, answer)
    assert reason in capsys.readouterr().out


def _sigmoid_by_logaddexp(z):
    return np.exp(-np.logaddexp(0.0, -np.asarray(z, dtype=float)))


def _sigmoid_piecewise(z):
    z = np.asarray(z, dtype=float)
    return np.piecewise(z, [z >= 0], [lambda v: 1 / (1 + np.exp(-v)), lambda v: np.exp(v) / (1 + np.exp(v))])


def _accuracy_nan_mean_refused(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError("shapes differ")
    with np.errstate(invalid="ignore"), __import__("warnings").catch_warnings():
        __import__("warnings").simplefilter("ignore", RuntimeWarning)
        result = float(np.mean(y_true == y_pred))   # nan, with a warning, when there are no predictions
    if math.isnan(result):
        raise ValueError("no predictions")
    return result


@pytest.mark.parametrize("name, answer", [
    ("accuracy", _accuracy_nan_mean_refused),
    ("accuracy", lambda y_true, y_pred: float(np.sum(_shapes_checked(y_true, y_pred), dtype=np.int64))
     / np.size(y_true)),
    ("sigmoid", _sigmoid_by_logaddexp),
    ("sigmoid", _sigmoid_piecewise),
    ("sigmoid", lambda z: 0.5 * (1 + np.tanh(np.asarray(z, dtype=float) / 2))),
    ("relu", lambda z: np.heaviside(np.asarray(z, dtype=float), 0.0) * np.asarray(z, dtype=float)),
    ("neuron", lambda x, w, b: sigmoid(np.einsum("i,i->", w, x) + b) if len(x) == len(w) else np.dot(w, x)),
    ("neuron", lambda x, w, b: sigmoid(sum(w_j * x_j for w_j, x_j in zip(w, x)) + b) if len(x) == len(w)
     else np.dot(w, x)),
    ("mlp_param_count", lambda sizes: _count_as_numpy_int(sizes) and sum(
        math.prod(pair) + pair[1] for pair in zip(sizes, list(sizes)[1:]))),
], ids=["accuracy-nan-refused", "accuracy-int64-sum", "sigmoid-logaddexp", "sigmoid-piecewise", "sigmoid-tanh",
        "relu-heaviside", "neuron-einsum", "neuron-sum-of-zip-with-check", "mlp-math-prod"])
def test_lessons_00_and_01_take_right_answers_on_big_counts_and_no_inputs(name, answer):
    _passes(name, answer)


# lesson 01a (round 14, after a1402's 01b/02a fix): sigmoid and neuron compare small probabilities to their own scale
@pytest.mark.parametrize("name, answer", [
    ("sigmoid", lambda z: sigmoid(np.clip(np.asarray(z, dtype=float), -20, 20))),
    ("sigmoid", lambda z: np.round(sigmoid(z), 8)),
    ("sigmoid", lambda z: np.clip(sigmoid(z), 1e-12, 1.0)),
    ("neuron", lambda x, w, b: sigmoid(np.clip(np.dot(w, x) + b, -20, 20))),
    ("neuron", lambda x, w, b: float(np.round(sigmoid(np.dot(w, x) + b), 8))),
], ids=["sigmoid z clipped at 20", "sigmoid rounded to 8 decimals", "sigmoid floored at 1e-12",
        "neuron z clipped at 20", "neuron rounded to 8 decimals"])
def test_lesson_01a_probabilities_far_below_1_are_compared_to_their_own_scale(name, answer):
    """An atol of 1e-8 let sigmoid(-30) = 9.4e-14 pass as 2e-9 (z clipped at 20), as 0 (rounded) or as 1e-12."""
    with pytest.raises(ExerciseFailed, match="far below 1 must come out right"):
        check(name, answer, strict=True)


@pytest.mark.parametrize("name, answer", [
    ("sigmoid", lambda z: 0.5 + 0.5 * np.tanh(np.asarray(z, dtype=float) / 2)),
    ("sigmoid", lambda z: __import__("scipy.special").special.expit(np.asarray(z, dtype=float))),
    # round 21 reversed "z clipped at 40" (right here before): it gives 4e-18 where the sigmoid is 3e-313, and 01a's text
    # now asks a value below 1e-40 to stay there (test_a_sigmoid_of_z_clipped_below_92_is_refused_...)
    ("neuron", lambda x, w, b: 0.5 + 0.5 * np.tanh((np.dot(w, x) + b) / 2)),
], ids=["sigmoid tanh form", "sigmoid scipy expit", "neuron tanh form"])
def test_lesson_01a_probabilities_right_to_1e_15_pass(name, answer):
    _passes(name, answer)


# Round 15 (a1501), lessons 00a/01a: NaN predictions and bool labels, ReLU of inf and of values beyond float32, result
# arrays tied to the caller's z or kept between calls, and a library that draws random numbers while it is imported
def _accuracy_of_the_finite_predictions(y_true, y_pred):
    y_true, y_pred = _accuracy_checked(y_true, y_pred)
    if y_pred.dtype.kind == "f":   # "a NaN prediction is a missing one: leave it out"
        kept = ~np.isnan(y_pred)
        return float(np.mean(y_true[kept] == y_pred[kept]))
    return float(np.mean(y_true == y_pred))


def _accuracy_after_nan_to_num(y_true, y_pred):
    y_true, y_pred = _accuracy_checked(y_true, y_pred)
    if y_pred.dtype.kind == "f":   # "to be safe from NaN"
        y_pred = np.nan_to_num(y_pred)
    return float(np.mean(y_true == y_pred))


def _accuracy_of_bool_predictions(y_true, y_pred):
    y_true, y_pred = _accuracy_checked(y_true, y_pred)
    if y_true.dtype == bool:   # "yes/no labels: make the predictions yes/no too"
        y_pred = y_pred.astype(bool)
    return float(np.mean(y_true == y_pred))


def _relu_returning_z_when_nothing_is_negative(z):
    z = np.asarray(z, dtype=float)
    return z if np.all(z >= 0) else np.maximum(0.0, z)


def _kept_between_calls(activation):
    buffers = {}

    def answer(z):
        z = np.asarray(z, dtype=float)
        out = buffers.setdefault(z.shape, np.empty(z.shape))   # "no new array at every call"
        out[...] = activation(z)
        return out
    return answer


def _dense_layer_into_a_kept_buffer():
    buffers = {}

    def dense_layer(X, W, b):
        z = np.asarray(X, dtype=float) @ np.asarray(W, dtype=float).T + b
        out = buffers.setdefault(z.shape, np.empty(z.shape))   # the same buffer as sigmoid's, one layer up
        out[...] = sigmoid(z)
        return out
    return dense_layer


@pytest.mark.parametrize("name, answer, reason", [
    ("accuracy", _accuracy_of_the_finite_predictions, "NaN predictions count as wrong"),
    ("accuracy", _accuracy_after_nan_to_num, "NaN predictions count as wrong"),
    ("accuracy", _accuracy_of_bool_predictions, "any number but 0 into True"),
    ("relu", lambda z: np.maximum(0.0, np.nan_to_num(np.asarray(z, dtype=float))), "inf and 1e300"),
    ("relu", lambda z: np.maximum(0.0, np.asarray(z, dtype=np.float32)), "inf and 1e300"),
    ("relu", _relu_returning_z_when_nothing_is_negative, "one of the input arrays itself"),
    ("relu", _kept_between_calls(lambda z: np.maximum(0.0, z)), "in the memory of an earlier call's result"),
    ("sigmoid", _kept_between_calls(sigmoid), "in the memory of an earlier call's result"),
    ("dense_layer", _dense_layer_into_a_kept_buffer(), "in the memory of an earlier call's result"),
], ids=["accuracy-finite-only", "accuracy-nan-to-num", "accuracy-bool-cast", "relu-nan-to-num", "relu-float32",
        "relu-returns-z", "relu-buffer-kept", "sigmoid-buffer-kept", "dense-layer-buffer-kept"])
def test_lessons_00_and_01_try_nan_predictions_bool_labels_inf_and_results_tied_to_other_arrays(name, answer, reason,
                                                                                                capsys):
    with pytest.raises(ExerciseFailed):
        check(name, answer, strict=True)
    check(name, answer)
    assert reason in capsys.readouterr().out


def _accuracy_of_objects(y_true, y_pred):
    y_true, y_pred = _accuracy_checked(y_true, y_pred)
    return float(np.mean(y_true.astype(object) == y_pred.astype(object)))


def _relu_on_a_copy(z):
    z = np.array(z, dtype=float)   # a copy of its own
    z[z < 0] = 0.0
    return z


def _sigmoid_by_the_sign_bit(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(np.signbit(z), e / (1 + e), 1 / (1 + e))


def _param_count_popping_a_copy(sizes):
    sizes = list(sizes)
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError("need at least two layers of at least one neuron")
    total = 0
    while len(sizes) > 1:
        n_in = sizes.pop(0)
        total += n_in * sizes[0] + sizes[0]
    return total


@pytest.mark.parametrize("name, answer", [
    ("accuracy", _accuracy_of_objects),
    ("relu", _relu_on_a_copy),
    ("relu", lambda z: np.asarray(z, dtype=float) * np.heaviside(np.asarray(z, dtype=float), 1.0)),
    ("sigmoid", _sigmoid_by_the_sign_bit),
    ("sigmoid", lambda z: 1 - sigmoid(-np.asarray(z, dtype=float))),
    ("neuron", lambda x, w, b: sigmoid(sum(w_j * x_j for w_j, x_j in zip(w, x, strict=True)) + b)),
    ("mlp_param_count", _param_count_popping_a_copy),
], ids=["accuracy-objects", "relu-copy-then-zero", "relu-heaviside-1", "sigmoid-signbit", "sigmoid-one-minus",
        "neuron-zip-strict", "mlp-pop-a-copy"])
def test_lessons_00_and_01_take_right_answers_on_nan_predictions_inf_and_new_arrays(name, answer):
    _passes(name, answer)


@pytest.fixture
def module_drawing_at_import(tmp_path, monkeypatch):
    """A module that draws from Python's and numpy's random generators while it is first imported, as rich.style
    (which sklearn.metrics loads) and keras do; its name is new to every test."""
    name = f"draws_at_import_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text("import random\nimport numpy as np\n_ID = random.getrandbits(24)\n"
                                         "_NOISE = np.random.random()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    import sys
    sys.modules.pop(name, None)


def test_lessons_00_and_01_take_an_answer_that_imports_a_library_drawing_at_import(module_drawing_at_import):
    """The first import of such a library inside an answer was refused as "your function changed a global random
    generator"; a seed set after the import still is."""
    def accuracy(y_true, y_pred):
        __import__(module_drawing_at_import)
        y_true, y_pred = _accuracy_checked(y_true, y_pred)
        return float(np.mean(y_true == y_pred))

    def seeding_accuracy(y_true, y_pred):
        import random
        __import__(module_drawing_at_import)
        random.seed(0)
        return accuracy(y_true, y_pred)

    _passes("accuracy", accuracy)
    verdict = judge(registry.get_exercise("accuracy"), seeding_accuracy)
    assert verdict.kind == WRONG and "changed a global random generator" in verdict.text


# lessons 01a and 01b (maintainer, after round 15): relu, sigmoid and dense_layer run through the engine's
# `new_results`, as the step exercises of lesson 04 do: five calls per case, not two


def _buffers_in_turn(activation, count=2):
    """Results written into `count` arrays kept between calls, used in turn: a second call gets the other one."""
    buffers, calls = {}, [0]

    def answer(*args):
        z = activation(*args)
        ring = buffers.setdefault(z.shape, [np.empty(z.shape) for _ in range(count)])
        out = ring[calls[0] % count]
        calls[0] += 1
        out[...] = z
        return out
    return answer


def _accuracy_loose_on_float_predictions(compare):
    def accuracy(y_true, y_pred):
        y_true, y_pred = _accuracy_checked(y_true, y_pred)
        if y_true.dtype.kind in "iu" and y_pred.dtype.kind == "f":   # "a model's float outputs need care"
            return float(np.mean(compare(y_true, y_pred)))
        return float(np.mean(y_true == y_pred))
    return accuracy


def _param_count_capped(sizes):
    if len(sizes) < 2 or min(sizes) < 1 or max(sizes) > 10**6:   # "no real layer is that large"
        raise ValueError("bad layer sizes")
    return sum(n_in * n_out + n_out for n_in, n_out in zip(sizes, sizes[1:]))


@pytest.mark.parametrize("name, answer, reason", [
    ("accuracy", _accuracy_loose_on_float_predictions(np.isclose), "float predictions compared loosely"),
    ("accuracy", _accuracy_loose_on_float_predictions(
        lambda a, b: np.vectorize(math.isclose)(a.astype(float), b)), "float predictions compared loosely"),
    ("accuracy", _accuracy_loose_on_float_predictions(lambda a, b: a.astype(np.float32) == b.astype(np.float32)),
     "float predictions compared loosely"),
    ("accuracy", _accuracy_loose_on_float_predictions(   # whole float predictions made ints: int32 wraps above 2**31
        lambda a, b: a == b.astype(np.int32) if np.all(b == np.round(b)) else a == b), ""),
    ("mlp_param_count", _param_count_capped, ""),
])
def test_lessons_00_try_large_ids_as_float_predictions_and_a_layer_of_a_billion(name, answer, reason):
    """Round 16: every float prediction against whole-number labels was small, so np.isclose, math.isclose, float32
    or int32 used only on them passed; no layer had more than 100,000 neurons, so a cap on the size passed."""
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and verdict.mistake == reason, verdict.text


def _param_count_by_prod(sizes):
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError("bad layer sizes")
    return sum(math.prod(pair) + pair[1] for pair in zip(sizes, sizes[1:]))


@pytest.mark.parametrize("name, answer", [
    ("accuracy", _accuracy_loose_on_float_predictions(lambda a, b: a.astype(float) == b)),   # exact to 2**53
    ("accuracy", _accuracy_loose_on_float_predictions(   # Python's int == float is exact
        lambda a, b: [x == y for x, y in zip(a.ravel().tolist(), b.ravel().tolist())])),
    ("mlp_param_count", _param_count_by_prod),
])
def test_lessons_00_take_exact_comparisons_of_float_predictions_and_huge_layers(name, answer):
    _passes(name, answer)


def _relu_by_max_for_numbers(z):
    return max(0.0, z) if np.ndim(z) == 0 else np.maximum(0.0, z)   # a 0-d array z >= 0 comes back itself


def _relu_asarray_kept_for_numbers(z):
    z = np.asarray(z, dtype=float)
    return z if z.ndim == 0 and z >= 0 else np.maximum(0.0, z)


@pytest.mark.parametrize("answer", [_relu_by_max_for_numbers, _relu_asarray_kept_for_numbers])
def test_relu_is_tried_on_a_0d_array(answer):
    """Round 16: every input of no axes was a Python float, so an answer handing back a 0-d array z itself passed;
    `a = relu(z); a += 1` then changes the caller's z."""
    verdict = judge(registry.get_exercise("relu"), answer)
    assert verdict.kind == WRONG and "one of the input arrays itself" in verdict.text, verdict.text


@pytest.mark.parametrize("answer", [lambda z: np.where(np.asarray(z) > 0, z, 0.0), lambda z: np.clip(z, 0, None),
                                    lambda z: max(0.0, float(z)) if np.ndim(z) == 0 else np.maximum(0.0, z)])
def test_relu_takes_a_0d_array_turned_into_a_new_value(answer):
    _passes("relu", answer)


def _in_a_ring_of(count, activation):
    """An answer that writes its result into one of ``count`` arrays it keeps, in turn."""
    kept, turn = {}, iter(range(10**9))

    def answer(z):
        values = activation(np.asarray(z, dtype=float))
        key = (values.shape, next(turn) % count)
        out = kept.setdefault(key, np.empty(values.shape))
        out[...] = values
        return out
    return answer


def _counting(activation):
    """A state kept between calls: from the third call on, the result drifts by 1e-6 per call."""
    calls = [0]

    def answer(*args):
        calls[0] += 1
        return activation(*args) * (1 + 1e-6 * max(0, calls[0] - 2))
    return answer


def _dense(X, W, b):
    return sigmoid(np.asarray(X, dtype=float) @ np.asarray(W, dtype=float).T + b)


@pytest.mark.parametrize("name, answer, reason", [
    ("relu", _buffers_in_turn(lambda z: np.maximum(0.0, z)), "in the memory of an earlier call's result"),
    ("sigmoid", _buffers_in_turn(sigmoid, count=4), "in the memory of an earlier call's result"),
    ("dense_layer", _buffers_in_turn(_dense, count=3), "in the memory of an earlier call's result"),
    ("sigmoid", _counting(sigmoid), "a later call on the same inputs gave other values"),
    ("dense_layer", _counting(_dense), "a later call on the same inputs gave other values"),
], ids=["relu-two-buffers", "sigmoid-four-buffers", "dense-three-buffers", "sigmoid-counter", "dense-counter"])
def test_lesson_01_activations_and_layers_are_called_five_times(name, answer, reason, capsys):
    with pytest.raises(ExerciseFailed):
        check(name, answer, strict=True)
    check(name, answer)
    assert reason in capsys.readouterr().out


@pytest.mark.parametrize("name, activation", [("relu", lambda z: np.maximum(0.0, z)), ("sigmoid", sigmoid)])
@pytest.mark.parametrize("count", [2, 4])
def test_activations_refuse_results_kept_in_a_ring_of_buffers(name, activation, count):
    """Round 16: the check called an activation twice per input, so two or more kept arrays used in turn passed
    (the engine's `new_results` calls it five times now);
    `a = relu(z1); b = relu(z2); c = relu(z3)` then overwrites a."""
    verdict = judge(registry.get_exercise(name), _in_a_ring_of(count, activation))
    assert verdict.kind == WRONG and "in the memory of an earlier call's result" in verdict.text, verdict.text


def test_neuron_by_einsum_is_told_that_einsum_broadcasts(capsys):
    """Round 16: np.einsum('i,i->', w, x) stretches an x of length 1 as np.sum(w * x) does, and the message named
    np.sum(w * x) only, which the learner never wrote."""
    verdict = judge(registry.get_exercise("neuron"), lambda x, w, b: sigmoid(np.einsum("i,i->", w, x) + b))
    assert verdict.kind == WRONG and "np.einsum" in verdict.text, verdict.text


# round 16 (a1602): a NaN input hidden by np.nan_to_num or np.fmax
@pytest.mark.parametrize("answer", [
    lambda X, W, b: np.nan_to_num(sigmoid(X @ W.T + b)),
    lambda X, W, b: sigmoid(np.fmax(X @ W.T + b, -745.0)),
], ids=["nan_to_num", "fmax"])
def test_dense_layer_keeps_an_example_with_a_nan_nan(answer):
    """No input held a NaN, so a layer that turned NaN into 0 (np.nan_to_num) or into a number (np.fmax) passed."""
    verdict = judge(registry.get_exercise("dense_layer"), answer)
    assert verdict.kind == WRONG and "a NaN in X: that example's outputs are NaN" in verdict.text, verdict.text


@pytest.mark.parametrize("answer, shown", [
    (_into_buffers_used_in_turn(lambda X, W, b: sigmoid(X @ W.T + b), 2), "used in turn"),
    (_read_only(lambda X, W, b: sigmoid(X @ W.T + b)), "is read-only (its writeable flag is off"),
], ids=["2 buffers in turn", "read-only result"])
def test_dense_layer_rejects_buffers_in_turn_and_a_read_only_result(answer, shown):
    verdict = judge(registry.get_exercise("dense_layer"), answer)
    assert verdict.kind == WRONG and shown in verdict.text, verdict.text


@pytest.mark.parametrize("weights, shown", [
    (lambda: (__import__("torch").tensor([1.0, 1.0]), -0.5), "not a Tensor"),
    (lambda: (np.ma.masked_array([1.0, 1.0], mask=[False, True]), -0.5), "not a MaskedArray"),
    (lambda: ((1.0, 1.0), -0.5), None),
    (lambda: (np.array([1.0, 1.0]).view(np.ndarray), -0.5), None),
], ids=["torch tensor", "masked array", "a tuple (right)", "a plain view (right)"])
def test_or_weights_want_w_as_a_numpy_array_or_a_list(weights, shown):
    """A torch tensor passed (its shape and dtype looked right), yet the next cell's P @ w raises TypeError for it;
    a masked array passed with the weight it masks used anyway."""
    if shown is None:
        _passes("or_weights", weights)
        return
    verdict = judge(registry.get_exercise("or_weights"), weights)
    assert verdict.kind == WRONG and shown in verdict.text, verdict.text


# round 17: lessons 00-01
def _accuracy_by_rows(y_true, y_pred):
    """Right except on 0-d labels: the mean of each row's mean (rows of equal length), which has no last axis there."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError("shapes differ or no predictions")
    return float(np.mean(np.mean(y_true == y_pred, axis=-1)))


def test_accuracy_names_no_sorting_for_an_answer_that_fails_only_on_0d_labels():
    """The catalogued 'order ignored' (np.sort) raises the same AxisError on 0-d labels as any answer that takes a mean
    or a sum over axis -1, so such an answer, right everywhere else, was told that it sorted the arrays."""
    verdict = judge(registry.get_exercise("accuracy"), _accuracy_by_rows)
    assert verdict.kind == WRONG and "0-d arrays" in verdict.text, verdict.text
    assert "sorting" not in verdict.text and verdict.mistake != "order ignored", verdict.text


def _relu_by_if(z):
    """One question about the whole of z, as for a single number: numpy refuses it for an array."""
    if z > 0:
        return z * 1.0
    return 0.0


def test_relu_with_an_if_is_not_told_it_used_max():
    """An `if z > 0:` raises the same ValueError on an array as max(0.0, z), so the message named only Python's max."""
    verdict = judge(registry.get_exercise("relu"), _relu_by_if)
    assert verdict.kind == WRONG and "if z > 0" in verdict.text and "np.maximum(0, z)" in verdict.text, verdict.text


def _relu_halved_in_floats(z):
    """(|z| + z) / 2 after the cast to floats that 01a's idea recommends: float32 values no longer overflow, float64
    values above about 9e307 still do."""
    z = np.asarray(z, dtype=float)
    return (np.abs(z) + z) / 2


@pytest.mark.parametrize("answer", [_relu_halved_in_floats, lambda z: 0.5 * (z + np.abs(np.asarray(z, dtype=float)))],
                         ids=["abs-plus-z-halved", "half-of-z-plus-abs"])
def test_relu_tries_float64_values_near_the_largest(answer):
    """(|z| + z) / 2 was ruled wrong for float32 values near 3e38 (round 13), yet passed once z was cast to float64:
    no value came near float64's largest, 1.8e308, where the sum overflows to inf before the halving."""
    verdict = judge(registry.get_exercise("relu"), answer)
    assert verdict.kind == WRONG and "1.7e308" in verdict.text and "adds before it halves" in verdict.text, verdict.text


def _accuracy_by_fmean(y_true, y_pred):
    import statistics

    y_true, y_pred = _accuracy_checked(y_true, y_pred)
    return statistics.fmean((y_true == y_pred).ravel().tolist())


def _accuracy_by_operator_eq(y_true, y_pred):
    import operator

    if np.shape(y_true) != np.shape(y_pred) or np.size(y_true) == 0:
        raise ValueError("shapes differ or no predictions")
    flat_true, flat_pred = np.ravel(y_true).tolist(), np.ravel(y_pred).tolist()
    return sum(map(operator.eq, flat_true, flat_pred)) / len(flat_true)


def _accuracy_in_a_common_type(y_true, y_pred):
    y_true, y_pred = _accuracy_checked(y_true, y_pred)
    common = np.result_type(y_true, y_pred)   # the type == itself compares in
    return float(np.mean(y_true.astype(common) == y_pred.astype(common)))


def _count_by_pairwise(sizes):
    import itertools

    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError("need at least two layers of at least one neuron")
    return sum(n_in * n_out + n_out for n_in, n_out in itertools.pairwise(sizes))


def _count_recursively(sizes):
    sizes = list(sizes)
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError("need at least two layers of at least one neuron")
    first = sizes[0] * sizes[1] + sizes[1]
    return first if len(sizes) == 2 else first + _count_recursively(sizes[1:])


def _count_weights_then_biases(sizes):
    if len(sizes) < 2 or any(size < 1 for size in sizes):
        raise ValueError("need at least two layers of at least one neuron")
    weights = sum(n_in * n_out for n_in, n_out in zip(sizes, sizes[1:]))
    return weights + sum(sizes) - sizes[0]   # one bias per neuron after the input layer


def _sigmoid_clipped_at_709(z):
    z = np.clip(np.asarray(z, dtype=float), -709.0, 709.0)   # np.exp(709) is below float64's largest
    return 1 / (1 + np.exp(-z))


def _sigmoid_by_log_expit(z):
    from scipy.special import log_expit

    return np.exp(log_expit(np.asarray(z, dtype=float)))


def _sigmoid_split_at_strictly_positive(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z > 0, 1 / (1 + e), e / (1 + e))   # at z = 0 both give 0.5


def _neuron_by_fsum(x, w, b):
    x, w = np.asarray(x, dtype=float), np.asarray(w, dtype=float)
    if x.shape != w.shape:
        raise ValueError("x and w differ in length")
    return sigmoid(math.fsum(w * x) + b)


@pytest.mark.parametrize("name, answer", [
    ("accuracy", _accuracy_by_fmean),
    ("accuracy", _accuracy_by_operator_eq),
    ("accuracy", _accuracy_in_a_common_type),
    ("mlp_param_count", _count_by_pairwise),
    ("mlp_param_count", _count_recursively),
    ("mlp_param_count", _count_weights_then_biases),
    ("sigmoid", _sigmoid_clipped_at_709),
    ("sigmoid", _sigmoid_by_log_expit),
    ("sigmoid", _sigmoid_split_at_strictly_positive),
    ("relu", lambda z: np.maximum(np.asarray(z), 0)),   # float32 stays float32
    ("relu", lambda z: np.maximum(0, z, dtype=float)),
    ("relu", lambda z: np.asarray(z, dtype=float) - np.minimum(np.asarray(z, dtype=float), 0.0)),
    ("neuron", lambda x, w, b: float(sigmoid(np.dot(w, x) + b))),
    ("neuron", lambda x, w, b: sigmoid(np.asarray(x) @ np.asarray(w) + b)),
    ("neuron", _neuron_by_fsum),
    ("dense_layer", lambda X, W, b: sigmoid(np.tensordot(X, W, axes=(1, 1)) + b)),
    ("dense_layer", lambda X, W, b: np.tanh((X @ W.T + b) / 2) / 2 + 0.5),
    ("dense_layer", lambda X, W, b: 1 - sigmoid(-(np.dot(X, W.T) + b))),
    ("or_weights", lambda: ([2, 2], -1)),
    ("or_weights", lambda: (np.array([3.0, 5.0]), -2)),
    ("or_weights", lambda: ((0.5, 0.5), np.float32(-0.25))),
], ids=["accuracy-fmean", "accuracy-operator-eq", "accuracy-common-type", "mlp-pairwise", "mlp-recursive",
        "mlp-weights-then-biases", "sigmoid-clip-709", "sigmoid-log-expit", "sigmoid-split-at-positive",
        "relu-maximum-keeps-float32", "relu-maximum-dtype", "relu-z-minus-min", "neuron-float", "neuron-matmul",
        "neuron-fsum", "dense-tensordot", "dense-tanh", "dense-one-minus", "or-int-list", "or-unequal-weights",
        "or-tuple-float32-bias"])
def test_lessons_00_and_01_take_right_answers_written_another_way_round_17(name, answer):
    _passes(name, answer)


@pytest.mark.parametrize("name, answer", [
    ("accuracy", lambda y_true, y_pred: float(np.mean(np.squeeze(y_true) == np.squeeze(y_pred)))
     if np.shape(np.squeeze(y_true)) == np.shape(np.squeeze(y_pred)) and np.size(y_true) else 1 / 0),
    ("accuracy", lambda y_true, y_pred: float(np.mean(*[a.astype(str) == b.astype(str)
                                                       for a, b in [_accuracy_checked(y_true, y_pred)]]))),
    ("accuracy", lambda y_true, y_pred: float(np.mean(np.equal(*_accuracy_checked(y_true, y_pred)), dtype=np.float16))),
    ("mlp_param_count", lambda sizes: sum(a * b + 1 for a, b in zip(sizes, sizes[1:]))),   # one bias per layer
    ("mlp_param_count", lambda sizes: sum(a * b + b for a, b in zip(sizes, sizes[1:])) / 1),
    ("sigmoid", lambda z: 0.5 * (1 + np.tanh(np.asarray(z, dtype=float)))),   # tanh(z), not tanh(z / 2)
    ("sigmoid", lambda z: np.nan_to_num(sigmoid(z), nan=0.5)),
    ("relu", lambda z: np.maximum(np.asarray(z, dtype=float), 0.01 * np.asarray(z, dtype=float))),   # leaky
    ("relu", lambda z: np.minimum(np.asarray(z, dtype=float), 0.0)),
    ("neuron", lambda x, w, b: sigmoid(np.dot(w, x)) + b),   # the bias after the activation
    ("neuron", lambda x, w, b: sigmoid(np.mean(np.asarray(w) * np.asarray(x)) + b)),
    ("dense_layer", lambda X, W, b: sigmoid(X @ W.T + np.mean(b))),
    ("dense_layer", lambda X, W, b: sigmoid(X @ W.T)[0] if len(X) else sigmoid(X @ W.T + b)),
    ("or_weights", lambda: (np.array([1.0, 0.0]), -0.5)),   # only the first input counts
], ids=["accuracy-squeezed", "accuracy-as-text", "accuracy-float16-mean", "mlp-one-bias-per-layer", "mlp-float",
        "sigmoid-tanh-of-z", "sigmoid-nan-to-half", "relu-leaky", "relu-minimum", "neuron-bias-after",
        "neuron-mean", "dense-mean-bias", "dense-first-row", "or-one-input"])
def test_lessons_00_and_01_reject_slips_round_17(name, answer):
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG, verdict.text


def _neuron_products_into_x(x, w, b):
    x = np.asarray(x, dtype=float)   # the caller's own array when x already holds floats
    x *= w
    return sigmoid(x.sum() + b)


def _sigmoid_negated_in_place(z):
    z = np.asarray(z, dtype=float)
    np.negative(z, out=z)
    return 1 / (1 + np.exp(np.clip(z, -700, 700)))


def _layer_input_cleared(X, W, b):
    Z = X @ W.T
    X[...] = 0.0   # "done with X"
    return sigmoid(Z + b)


@pytest.mark.parametrize("name, answer", [("neuron", _neuron_products_into_x), ("sigmoid", _sigmoid_negated_in_place),
                                          ("dense_layer", _layer_input_cleared)],
                         ids=["neuron-x-times-w", "sigmoid-negative-out-z", "dense-layer-X-cleared"])
def test_a_write_into_a_read_only_input_is_explained(name, answer):
    """The runner passes the inputs read-only, so a write into one raised numpy's bare 'output array is read-only' (or
    'assignment destination is read-only'), which a learner whose arrays are writeable cannot explain."""
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and "passes your function its inputs read-only" in verdict.text, verdict.text


# round 18: lessons 00-01
def _param_count_checking_the_products(sizes):
    if len(sizes) < 2 or any(n_in * n_out < 1 for n_in, n_out in zip(sizes, sizes[1:])):
        raise ValueError("every pair of neighbouring layers needs at least one weight")
    return sum(n_in * n_out + n_out for n_in, n_out in zip(sizes, sizes[1:]))


def test_mlp_param_count_refuses_sizes_that_are_all_negative():
    """Checking each pair's number of weights, n_in * n_out >= 1, instead of each size passed: every case with a bad
    size had one negative size next to a positive one, whose product is negative; two negative sizes multiply to a
    positive number."""
    verdict = judge(registry.get_exercise("mlp_param_count"), _param_count_checking_the_products)
    assert verdict.kind == WRONG and "should raise ValueError" in verdict.text, verdict.text


def test_or_weights_with_a_tiny_bias_are_not_told_they_lie_exactly_on_the_boundary():
    """b = -1e-17 keeps (0, 0) on the no side (w.x + b < 0), yet the sigmoid rounds to exactly 0.5 there; the message
    said only that (0, 0) lies exactly on the boundary, which the learner's b does not do."""
    verdict = judge(registry.get_exercise("or_weights"), lambda: (np.array([1.0, 1.0]), -1e-17))
    assert verdict.kind == WRONG and "rounds to exactly 0.5" in verdict.text and "-1e-17" in verdict.text, verdict.text


def _accuracy_of_matching_class_indices(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if np.shape(y_true) != np.shape(y_pred) or y_true.size == 0:
        raise ValueError("shapes differ or no predictions")
    return np.count_nonzero(np.equal(y_true, y_pred)) / np.size(y_true)


def _param_count_recursive(sizes):
    if len(sizes) < 2 or sizes[0] < 1:
        raise ValueError("need at least two layers of at least one neuron")
    if len(sizes) == 2:
        if sizes[1] < 1:
            raise ValueError("need at least two layers of at least one neuron")
        return sizes[0] * sizes[1] + sizes[1]
    return _param_count_recursive(sizes[:2]) + _param_count_recursive(sizes[1:])


def _raise_value_error():
    raise ValueError("shapes differ, no labels or a size below 1")


def _layer_row_by_row(X, W, b):
    X = np.asarray(X, dtype=float)
    if X.shape[1] != np.shape(W)[1]:
        raise ValueError("X and W differ in the number of features")
    out = np.empty((X.shape[0], np.shape(W)[0]))
    for i, x in enumerate(X):
        out[i] = sigmoid(np.asarray(W) @ x + b)
    return out


@pytest.mark.parametrize("name, answer", [
    ("accuracy", _accuracy_of_matching_class_indices),
    ("accuracy", lambda y_true, y_pred: (np.asarray(y_true) == np.asarray(y_pred)).mean().item()
     if np.shape(y_true) == np.shape(y_pred) and np.size(y_true) else _raise_value_error()),
    ("mlp_param_count", _param_count_recursive),
    ("mlp_param_count", lambda sizes: int(np.array(sizes, dtype=np.int64)[:-1] @ np.array(sizes, dtype=np.int64)[1:]
                                          + sum(sizes[1:])) if len(sizes) > 1 and min(sizes) > 0
     else _raise_value_error()),
    ("sigmoid", lambda z: np.exp(-np.logaddexp(0.0, -np.asarray(z, dtype=float)))),
    ("sigmoid", lambda z: __import__("scipy.special").special.expit(np.asarray(z, dtype=float))),
    ("relu", lambda z: np.fmax(np.asarray(z, dtype=float), 0.0)),
    ("relu", lambda z: np.clip(np.asarray(z, dtype=float), 0, None)),
    ("neuron", lambda x, w, b: sigmoid(np.inner(w, x) + b)),
    ("neuron", lambda x, w, b: sigmoid(math.fsum(float(p) * float(q) for p, q in zip(w, x, strict=True)) + b)),
    ("dense_layer", _layer_row_by_row),
    ("dense_layer", lambda X, W, b: sigmoid(np.tensordot(X, W, axes=([1], [1])) + b)),
    ("or_weights", lambda: (np.array([3.0, 1.0]), -0.5)),
], ids=["accuracy-count-nonzero", "accuracy-mean-item", "mlp-recursive", "mlp-int64-dot", "sigmoid-logaddexp",
        "sigmoid-expit", "relu-fmax", "relu-clip", "neuron-inner", "neuron-fsum", "dense-row-by-row",
        "dense-tensordot", "or-unequal-weights"])
def test_lessons_00_and_01_take_right_answers_of_round_18(name, answer):
    _passes(name, answer)



def _relu_passing_every_answer_from_now_on(z):
    object.__setattr__(registry.get_exercise("relu"), "compare", lambda got, want: None)
    return np.zeros(np.shape(z))


def _relu_turning_wrong_into_passed(z):
    import course_utils.checks
    course_utils.checks.WRONG = course_utils.checks.PASSED
    return np.zeros(np.shape(z))


@pytest.mark.parametrize("answer", [_relu_passing_every_answer_from_now_on, _relu_turning_wrong_into_passed],
                         ids=["exercise-compare-replaced", "checks-WRONG-rebound"])
def test_an_answer_that_changes_the_check_itself_is_refused_and_the_check_put_back(answer, monkeypatch):
    """Both passed, and every later answer with them: a frozen Exercise still takes object.__setattr__, and the guard put
    back only the functions of the course's modules, not a constant such as checks.WRONG."""
    import course_utils.checks
    exercise = registry.get_exercise("relu")
    fields = dict(vars(exercise))
    monkeypatch.setattr(course_utils.checks, "WRONG", WRONG)   # put back at the end, should the check not do it
    try:
        verdict = judge(exercise, answer)
        assert verdict.kind == WRONG and course_utils.checks.WRONG == WRONG, verdict.text
        later = judge(registry.get_exercise("relu"), lambda z: np.zeros(np.shape(z)))
        assert later.kind == WRONG and "expected 0.5, got 0" in later.text, later.text
    finally:
        vars(exercise).update(fields)


def test_dense_layer_as_a_list_of_rows_is_told_why_a_batch_of_none_fails():
    """np.array([sigmoid(W @ x + b) for x in X]), the loop most learners write, failed only on the batch of no
    examples with "wrong shape: expected (0, 5), got (0,)" and no likely mistake (np.apply_along_axis raises there)."""
    def rows(X, W, b):
        return np.array([sigmoid(W @ x + b) for x in X])

    verdict = judge(registry.get_exercise("dense_layer"), rows)
    assert verdict.mistake == "a list of rows" and "shape (0,), not the (0, n_out)" in verdict.text, verdict.text


def _naive_sigmoid_stepping_where_it_overflows(z):
    z = np.asarray(z, dtype=float)
    try:
        return 1 / (1 + np.exp(-z))   # outside the check: an overflow warning, and these values
    except FloatingPointError:        # only under the check, which raised the overflow inside the answer
        return (z > 0).astype(float)


def _naive_neuron_stepping_where_it_overflows(x, w, b):
    z = np.dot(w, x) + b
    try:
        return 1 / (1 + np.exp(-z))
    except Exception:
        return float(z > 0)


def _naive_layer_stepping_where_it_overflows(X, W, b):
    Z = np.asarray(X) @ np.asarray(W).T + b
    try:
        return 1 / (1 + np.exp(-Z))
    except Exception:
        return np.where(Z > 0, 1.0, 0.0)


def _stable_sigmoid_after_its_own_raise(z):
    z = np.asarray(z, dtype=float)
    with np.errstate(over="raise"):   # asked for by the answer itself: it raises outside the check too
        try:
            return 1 / (1 + np.exp(-z))
        except FloatingPointError:
            e = np.exp(-np.abs(z))
            return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


@pytest.mark.parametrize("name, answer", [("sigmoid", _naive_sigmoid_stepping_where_it_overflows),
                                          ("neuron", _naive_neuron_stepping_where_it_overflows),
                                          ("dense_layer", _naive_layer_stepping_where_it_overflows)],
                         ids=["sigmoid", "neuron", "dense-layer"])
def test_a_naive_sigmoid_that_catches_the_check_s_overflow_error_is_refused(name, answer):
    """The check raised the overflow inside the answer, so a try/except around the naive formula answered a step
    function only under the check, right to within 1e-15 wherever np.exp overflows: all three passed, though outside
    the check the answer is the naive formula, overflow warnings included. The overflow is now noted, not raised."""
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and "overflow happened inside your function" in verdict.text, verdict.text


def test_a_sigmoid_that_asks_for_overflow_errors_itself_still_passes():
    _passes("sigmoid", _stable_sigmoid_after_its_own_raise)


def _accuracy_of_labels_as_bools_for_bool_predictions(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError("shapes differ or no predictions")
    if y_pred.dtype == bool:   # "a yes/no model": labels made yes/no too
        y_true = y_true.astype(bool)
    return float(np.mean(y_true == y_pred))


def _layer_bias_as_a_column_when_square(X, W, b):
    Z = np.asarray(X) @ np.asarray(W).T
    return sigmoid(Z + np.asarray(b)[:, None] if Z.shape[0] == Z.shape[1] else Z + b)


def _layer_from_lesson_02s_forward(X, W, b):
    from course_utils import mlp
    X = np.asarray(X, dtype=float)
    finite = np.isfinite(X).all(axis=1)   # mlp.forward refuses NaN: those rows are NaN anyway
    out = np.full((X.shape[0], np.shape(W)[0]), np.nan)
    out[finite] = mlp.forward({"W1": W, "b1": b}, X[finite])[0]
    return out


@pytest.mark.parametrize("name, answer, shown", [
    ("accuracy", _accuracy_of_labels_as_bools_for_bool_predictions, "expected 0.5, got 1"),
    ("dense_layer", _layer_bias_as_a_column_when_square, "b goes to the neurons"),
    ("dense_layer", _layer_from_lesson_02s_forward, "the course's own version of this exercise"),
], ids=["accuracy-labels-as-bools", "dense-layer-b-column-when-square", "dense-layer-mlp-forward"])
def test_lessons_00_and_01_refuse_contrived_answers_of_round_18(name, answer, shown):
    """They passed: no case had whole-number labels against bool predictions (only the other way round), none had as
    many examples as neurons, and lesson 02a's mlp.forward, which the graded release of 01b keeps, was not refused."""
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and shown in verdict.text, verdict.text


def _naive_sigmoid_with_an_error_callback_of_its_own(z):
    z = np.asarray(z, dtype=float)
    old = np.seterrcall(lambda kind, flag: None)   # outside the check over="warn" ignores it: the warning shows
    try:
        return 1 / (1 + np.exp(-z))
    finally:
        np.seterrcall(old)


def _naive_sigmoid_in_errstate_with_a_callback(z):
    z = np.asarray(z, dtype=float)
    with np.errstate(call=lambda kind, flag: None):
        return 1 / (1 + np.exp(-z))


@pytest.mark.parametrize("answer", [_naive_sigmoid_with_an_error_callback_of_its_own,
                                    _naive_sigmoid_in_errstate_with_a_callback], ids=["np.seterrcall", "errstate-call"])
def test_a_naive_sigmoid_that_replaces_the_check_s_error_callback_is_refused(answer):
    """The check notes an overflow with numpy's error callback (over="call"); an answer that set a callback of its own
    hid the overflow from it and passed."""
    before = np.geterrcall()
    verdict = judge(registry.get_exercise("sigmoid"), answer)
    assert verdict.kind == WRONG and "hid the overflow" in verdict.text, verdict.text
    assert np.geterrcall() is before


# round 18: lesson 03, the course functions that compute an answer (r183's H-11 and H-12, decided)
def test_lesson_03_refuses_the_course_s_own_versions():
    """All passed: neurons.sigmoid_derivative, mlp.dense_backward, mlp.loss_and_grads and mlp.train_gd compute the
    answers of sigmoid_derivative, dense_backward, mlp_backward and train_mlp, and a graded release keeps them."""
    from course_utils import mlp, neurons

    _refused_as_the_course_s_own("sigmoid_derivative", neurons.sigmoid_derivative)
    _refused_as_the_course_s_own("sigmoid_derivative", lambda z: neurons.sigmoid_derivative(z))
    _refused_as_the_course_s_own("dense_backward", lambda X, W, dZ: mlp.dense_backward(X, W, dZ))
    _refused_as_the_course_s_own("mlp_backward", lambda X, y, W1, b1, W2, b2: tuple(
        mlp.loss_and_grads({"W1": W1, "b1": b1, "W2": W2, "b2": b2}, X, y)[1][k] for k in ("W1", "b1", "W2", "b2")))


# round 19: lessons 00-01
def _neuron_through_the_course_s_dense_layer(x, w, b):
    from course_utils import neurons

    return neurons.dense_layer(np.asarray(x)[None, :], np.asarray(w)[None, :], np.array([b]))[0, 0]


def _neuron_through_mlp_forward(x, w, b):
    from course_utils import mlp

    x, w = np.asarray(x, dtype=float), np.asarray(w, dtype=float)
    return mlp.forward({"W1": w[None, :], "b1": np.array([float(b)])}, x[None, :])[0][0, 0]


def test_neuron_refuses_the_course_s_dense_layer_and_mlp_forward():
    """Both passed: a graded release of 01a hides neurons.neuron but keeps 01b's neurons.dense_layer and 02a's
    mlp.forward, which compute the neuron (with the learner's own sigmoid) for a batch of one."""
    _refused_as_the_course_s_own("neuron", _neuron_through_the_course_s_dense_layer)
    _refused_as_the_course_s_own("neuron", _neuron_through_mlp_forward)


def _sigmoid_through_the_course_s_neuron(z):
    from course_utils import neurons

    return neurons.neuron(np.zeros(1), np.zeros(1), z)   # sigmoid(w.x + b) with w.x = 0 and b = z


def _sigmoid_through_get_activation(z):
    from course_utils import neurons

    return neurons.get_activation("sigmoid")(z)


def _sigmoid_through_mlp_forward(z):
    from course_utils import mlp

    z = np.asarray(z, dtype=float)
    return mlp.forward({"W1": np.zeros((z.size, 1)), "b1": z.ravel()}, np.zeros((1, 1)))[0].reshape(z.shape)


def _relu_through_the_course_s_neuron(z):
    from course_utils import neurons

    return neurons.neuron(np.zeros(1), np.zeros(1), z, activation=neurons.relu)


def _relu_through_get_activation(z):
    from course_utils import neurons

    return neurons.get_activation("relu")(z)


@pytest.mark.parametrize("name, answer", [
    ("sigmoid", _sigmoid_through_the_course_s_neuron), ("sigmoid", _sigmoid_through_get_activation),
    ("sigmoid", _sigmoid_through_mlp_forward), ("relu", _relu_through_the_course_s_neuron),
    ("relu", _relu_through_get_activation)],
    ids=["sigmoid-neuron", "sigmoid-get_activation", "sigmoid-mlp.forward", "relu-neuron", "relu-get_activation"])
def test_activations_refuse_the_course_functions_that_run_the_reference(name, answer):
    """All passed: neurons.neuron's default activation, the activation handed in (called from inside course_utils),
    get_activation's table and mlp.forward's output run the course's own sigmoid or relu, past the check's watch on
    the module's name."""
    verdict = judge(registry.get_exercise(name), answer)
    assert verdict.kind == WRONG and ("the course's own version of this exercise" in verdict.text
                                      or "own code (its reference solution" in verdict.text), verdict.text


def _accuracy_one_minus_the_error_rate(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError("shapes differ or no predictions")
    return 1.0 - float(np.mean(y_true != y_pred))   # NaN != anything: a NaN prediction counts as wrong here too


def _accuracy_mean_of_row_means(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError("shapes differ or no predictions")
    right = np.atleast_1d(y_true == y_pred)   # every row of the last axis has as many labels, so means of means agree
    return float(np.mean(np.mean(right, axis=-1)))


def _sigmoid_by_masks_and_not(z):
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    positive = z > 0   # the other mask is ~positive, so NaN is filled in (by the second form, which keeps it NaN)
    out[positive] = 1 / (1 + np.exp(-z[positive]))
    e = np.exp(z[~positive])
    out[~positive] = e / (1 + e)
    return out


def _neuron_by_a_loop_with_a_length_check(x, w, b):
    if len(x) != len(w):
        raise ValueError("x and w differ in length")
    total = 0.0
    for x_j, w_j in zip(x, w):
        total += float(w_j) * float(x_j)
    return sigmoid(total + b)


def _dense_layer_neuron_by_neuron(X, W, b):
    X, W = np.asarray(X, dtype=float), np.asarray(W, dtype=float)
    if X.shape[1] != W.shape[1]:
        raise ValueError("X and W differ in the number of features")
    out = np.empty((X.shape[0], W.shape[0]))
    for j in range(W.shape[0]):   # one column per neuron
        out[:, j] = sigmoid(X @ W[j] + b[j])
    return out


@pytest.mark.parametrize("name, answer", [
    ("accuracy", _accuracy_one_minus_the_error_rate),
    ("accuracy", _accuracy_mean_of_row_means),
    ("mlp_param_count", lambda sizes: sum((n_in + 1) * n_out for n_in, n_out in zip(sizes, list(sizes)[1:]))
     if len(sizes) >= 2 and min(sizes) >= 1 else int("no such network")),   # int("...") raises the ValueError
    ("sigmoid", _sigmoid_by_masks_and_not),
    ("relu", lambda z: np.where(np.asarray(z, dtype=float) > 0, np.asarray(z, dtype=float), 0.0)),
    ("neuron", _neuron_by_a_loop_with_a_length_check),
    ("neuron", lambda x, w, b: sigmoid(np.tensordot(w, x, axes=1) + b)),
    ("dense_layer", _dense_layer_neuron_by_neuron),
    ("or_weights", lambda: (np.array([1e6, 1e6]), -5e5)),
    ("or_weights", lambda: ([5, 5], -2)),
], ids=["accuracy-one-minus-error-rate", "accuracy-mean-of-row-means", "mlp-bias-as-one-more-input",
        "sigmoid-masks-and-not", "relu-where", "neuron-float-loop",
        "neuron-tensordot", "dense-neuron-by-neuron", "or-large-weights", "or-whole-numbers"])
def test_lessons_00_and_01_take_right_answers_written_another_way_round_19(name, answer):
    _passes(name, answer)


def test_sigmoid_refuses_the_course_s_sigmoid_reached_through_mlp():
    """Passed: mlp imported the course's sigmoid under its own name, where the check's watch on neurons.sigmoid does not
    reach it (a graded release hides it in both places)."""
    from course_utils import mlp

    verdict = judge(registry.get_exercise("sigmoid"), lambda z: mlp.sigmoid(z))
    assert verdict.kind == WRONG, verdict.text


# round 20: lessons 00-01
def _relu_through_bigpicture_hidden_features(z):
    """relu(X W + b) of 00b's helper for a stand-in fitted MLP whose first layer is W = [[1]], b = [0]."""
    from types import SimpleNamespace

    from course_utils import bigpicture

    z = np.asarray(z, dtype=float)
    stand_in = SimpleNamespace(coefs_=[np.eye(1)], intercepts_=[np.zeros(1)])
    return bigpicture.hidden_features(stand_in, z.reshape(-1, 1)).reshape(z.shape)


def test_relu_refuses_00b_s_hidden_features():
    """Passed (21 of 21): bigpicture.hidden_features computes np.maximum(0.0, X @ W + b) itself, without calling the
    watched neurons.relu, for any object with coefs_ and intercepts_."""
    _refused_as_the_course_s_own("relu", _relu_through_bigpicture_hidden_features)


def _param_count_reversing_the_caller_s_list(layer_sizes):
    if len(layer_sizes) < 2 or min(layer_sizes) < 1:
        raise ValueError("need at least two layers of at least one neuron")
    sizes = layer_sizes if isinstance(layer_sizes, list) else list(layer_sizes)
    sizes.reverse()   # the caller's list itself: counted from the output layer, n_in biases per pair
    return sum(n_out * n_in + n_out for n_out, n_in in zip(sizes, sizes[1:]))


def test_mlp_param_count_names_a_change_of_the_caller_s_list():
    """The message was the one for arrays (`z[z < 0] = 0`, `np.maximum(0, z)`), which says nothing to an answer that
    reversed (or popped from) the list of layer sizes it was given."""
    verdict = judge(registry.get_exercise("mlp_param_count"), _param_count_reversing_the_caller_s_list)
    assert verdict.kind == WRONG and "sizes = list(layer_sizes)" in verdict.text, verdict.text


def _sigmoid_through_one_over_e(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), 1 / (1 + 1 / e))   # 1 / e is e^|z|: the naive form again


def test_sigmoid_sees_the_overflow_of_one_over_e_between_709_8_and_745():
    """Passed (23 of 23): at |z| = 1000 np.exp(-1000) is exactly 0, so 1 / e is a division by zero (inf, no overflow
    flag) and 1 / (1 + inf) the right 0; only where e^-|z| is tiny but not 0 (|z| from 709.8 to 745) does 1 / e
    overflow."""
    verdict = judge(registry.get_exercise("sigmoid"), _sigmoid_through_one_over_e)
    assert verdict.kind == WRONG and "overflow" in verdict.text, verdict.text


def _accuracy_as_python_objects(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError("shapes differ or no predictions")
    return float(np.mean(y_true.astype(object) == y_pred.astype(object)))   # Python's == on each pair


def _accuracy_counted_over_the_flat_labels(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError("shapes differ or no predictions")
    return sum(bool(t == p) for t, p in zip(y_true.ravel(), y_pred.ravel())) / y_true.size


def _param_count_weights_then_biases(layer_sizes):
    sizes = list(layer_sizes)
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError("need at least two layers of at least one neuron")
    return sum(n_in * n_out for n_in, n_out in zip(sizes, sizes[1:])) + sum(sizes[1:])   # a bias per neuron after the input


def _sigmoid_as_one_minus_the_other_side(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return 1 - np.where(z >= 0, e / (1 + e), 1 / (1 + e))   # 1 - sigmoid(-z)


def _neuron_with_the_empty_case_apart(x, w, b):
    if len(x) == 0 and len(w) == 0:
        return sigmoid(b)
    return sigmoid(np.vdot(w, x) + b) if len(x) == len(w) else int("lengths differ")   # int("...") raises ValueError


def _dense_layer_through_the_course_s_neuron(X, W, b):
    from course_utils.neurons import neuron   # 01b imports it from here for the learner

    X, W = np.asarray(X, dtype=float), np.asarray(W, dtype=float)
    if X.shape[1] != W.shape[1]:
        raise ValueError("X and W differ in the number of features")
    return np.array([[neuron(x, w, b_j) for w, b_j in zip(W, b)] for x in X]).reshape(len(X), len(W))


@pytest.mark.parametrize("name, answer", [
    ("accuracy", _accuracy_as_python_objects),
    ("accuracy", _accuracy_counted_over_the_flat_labels),
    ("mlp_param_count", _param_count_weights_then_biases),
    ("sigmoid", _sigmoid_as_one_minus_the_other_side),
    ("sigmoid", lambda z: 0.5 * (1 + np.tanh(0.5 * np.asarray(z, dtype=float)))),
    ("relu", lambda z: np.asarray(z, dtype=float).clip(min=0)),
    ("relu", lambda z: np.asarray(z, dtype=float) * 0.5 * (1 + np.sign(z))),   # NaN at -inf: ruled right
    ("neuron", _neuron_with_the_empty_case_apart),
    ("dense_layer", lambda X, W, b: sigmoid(np.inner(X, W) + b)),
    ("dense_layer", _dense_layer_through_the_course_s_neuron),
    ("or_weights", lambda: [np.array([1.0, 2.0]), -0.5]),
], ids=["accuracy-objects", "accuracy-flat-count", "mlp-weights-then-biases", "sigmoid-one-minus", "sigmoid-tanh",
        "relu-clip-method", "relu-sign", "neuron-empty-apart", "dense-inner", "dense-course-neuron", "or-unequal-list"])
def test_lessons_00_and_01_take_right_answers_written_another_way_round_20(name, answer):
    _passes(name, answer)


def _sigmoid_cast_after_np_abs(z):
    z = np.asarray(z)
    e = np.exp(-np.abs(z).astype(float))   # np.abs runs in z's own dtype: int8's -128 stays -128
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def test_sigmoid_sees_np_abs_of_int8_minus_128():
    """Passed (24 of 24): the int8 cases drew whole numbers from -20 to 20, where np.abs in int8 is right; at -128
    (int8 holds 127 at most) np.abs gives -128, so e = np.exp(128) and sigmoid(-128) came out as 1."""
    verdict = judge(registry.get_exercise("sigmoid"), _sigmoid_cast_after_np_abs)
    assert verdict.kind == WRONG and "-128" in verdict.text and "before np.abs" in verdict.text, verdict.text


# round 21: lessons 00-01
def _accuracy_checked_r21(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError("the shapes differ or there are no predictions")
    return y_true, y_pred


def _accuracy_over_size_plus_epsilon(y_true, y_pred):
    y_true, y_pred = _accuracy_checked_r21(y_true, y_pred)
    return float(np.sum(y_true == y_pred) / (y_true.size + 1e-8))   # "never divide by zero"


def _accuracy_rounded_to_10_places(y_true, y_pred):
    y_true, y_pred = _accuracy_checked_r21(y_true, y_pred)
    return round(float(np.mean(y_true == y_pred)), 10)


def _accuracy_mean_in_float32(y_true, y_pred):
    y_true, y_pred = _accuracy_checked_r21(y_true, y_pred)
    return float(np.mean((y_true == y_pred).astype(np.float32)))   # as tf.reduce_mean(tf.cast(..., tf.float32))


@pytest.mark.parametrize("answer", [_accuracy_over_size_plus_epsilon, _accuracy_rounded_to_10_places],
                         ids=["epsilon", "round-10"])
def test_accuracy_wants_the_exact_fraction(answer):
    """Passed (48 of 48): the default tolerance, 1e-6 of the value, took 1 of 1 right as 0.99999999 (a count divided by
    size + 1e-8) and an accuracy rounded to 10 places."""
    verdict = judge(registry.get_exercise("accuracy"), answer)
    assert verdict.kind == WRONG and "not the exact fraction" in verdict.text, verdict.text


def test_accuracy_takes_a_mean_in_float32():
    """A mean in float32 (0.94 as 0.9399999976) counts exactly and rounds once, as lesson 06's accuracy does: right."""
    _passes("accuracy", _accuracy_mean_in_float32)


def _accuracy_casting_predictions_given_as_a_list(y_true, y_pred):
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred, dtype=y_true.dtype) if isinstance(y_pred, list) else np.asarray(y_pred)
    y_true, y_pred = _accuracy_checked_r21(y_true, y_pred)
    return float(np.mean(y_true == y_pred))


def test_accuracy_casts_no_predictions_given_as_a_list():
    """Passed (48 of 48): the predictions that a cast to the labels' type turns into other values (2.6 into 2) came only
    as arrays, so a cast of predictions given as a list went unseen."""
    verdict = judge(registry.get_exercise("accuracy"), _accuracy_casting_predictions_given_as_a_list)
    assert verdict.kind == WRONG, verdict.text


def _accuracy_class_indices(y_true, y_pred):
    """Both label arrays as indices 0 .. k-1 of the values either one holds, and k."""
    y_true, y_pred = _accuracy_checked_r21(y_true, y_pred)
    values, index = np.unique(np.concatenate([y_true.ravel(), y_pred.ravel()]), return_inverse=True)
    index = index.ravel()
    return index[:y_true.size], index[y_true.size:], max(len(values), 2)


def _accuracy_through_accuracy_from_probs(y_true, y_pred):
    from course_utils.convnet import accuracy_from_probs
    true, pred, k = _accuracy_class_indices(y_true, y_pred)
    return accuracy_from_probs(true, np.eye(k)[pred])   # one-hot predictions: the argmax is the prediction


def _accuracy_through_mlp_accuracy(y_true, y_pred):
    from course_utils import mlp
    true, pred, k = _accuracy_class_indices(y_true, y_pred)
    return mlp.accuracy({"W1": np.eye(k), "b1": np.zeros(k)}, np.eye(k)[pred], true, output="softmax")


def _accuracy_through_torch_accuracy(y_true, y_pred):
    from course_utils.torch_training import accuracy
    true, pred, k = _accuracy_class_indices(y_true, y_pred)
    return accuracy(np.eye(k)[pred], true)


def _accuracy_through_accuracy_on(y_true, y_pred):
    import torch
    from course_utils.digit_models import accuracy_on
    true, pred, k = _accuracy_class_indices(y_true, y_pred)
    return accuracy_on(torch.nn.Identity(), np.eye(k)[pred], true)


@pytest.mark.parametrize("answer", [
    _accuracy_through_accuracy_from_probs, _accuracy_through_mlp_accuracy,
    pytest.param(_accuracy_through_torch_accuracy, marks=pytest.mark.wide),   # imports torch
    pytest.param(_accuracy_through_accuracy_on, marks=pytest.mark.wide)],
    ids=["convnet-accuracy-from-probs", "mlp-accuracy", "torch-training-accuracy", "digit-models-accuracy-on"])
def test_accuracy_refuses_the_course_s_other_accuracies(answer):
    """Passed (48 of 48): lessons 02, 05 and 06 keep functions that take the mean of predictions equal to labels; fed
    one-hot rows of the predictions' class indices (through an identity network or model), they give the accuracy."""
    if "torch" in answer.__name__ or "accuracy_on" in answer.__name__:
        pytest.importorskip("torch")
    _refused_as_the_course_s_own("accuracy", answer)


def _relu_kept_above_a_tolerance(z):
    z = np.asarray(z, dtype=float)
    return np.where(z > 1e-9, z, 0.0)   # "floats are never compared with 0 exactly"


def _relu_floored_at_a_tiny_number(z):
    return np.maximum(np.asarray(z, dtype=float), 1e-9)   # "no exact zeros, for a later log"


def _relu_floored_at_machine_epsilon(z):
    return np.maximum(np.asarray(z, dtype=float), np.finfo(float).eps)


@pytest.mark.parametrize("answer", [_relu_kept_above_a_tolerance, _relu_floored_at_a_tiny_number,
                                    _relu_floored_at_machine_epsilon], ids=["above-1e-9", "floor-1e-9", "floor-eps"])
def test_relu_compares_with_0_itself(answer):
    """Passed (21 of 21): the default tolerance of 1e-8 took 1e-9 (or 2.2e-16) for the 0 of a negative input, and no
    case held a positive value below 5e-8, which a threshold at 1e-9 sets to 0."""
    verdict = judge(registry.get_exercise("relu"), answer)
    assert verdict.kind == WRONG and "however small" in verdict.text, verdict.text


def _sigmoid_by_divisions_into_one_array(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    out = np.empty_like(z)
    np.divide(1.0, 1.0 + e, out=out, where=~(z < 0))   # NaN goes with this branch: e / (1 + e) would give NaN too
    np.divide(e, 1.0 + e, out=out, where=z < 0)
    return out


def _relu_in_a_copy(z):
    out = np.array(z, dtype=float, copy=True)
    out[out < 0] = 0.0
    return out


def _neuron_with_a_strict_zip(x, w, b):
    return sigmoid(sum(p * q for p, q in zip(np.asarray(w, dtype=float), np.asarray(x, dtype=float), strict=True)) + b)


def _layer_row_by_row_reshaped(X, W, b):
    return np.array([sigmoid(W @ x + b) for x in X]).reshape(len(X), len(W))


@pytest.mark.parametrize("name, answer", [
    ("accuracy", lambda y_true, y_pred: sum(map(lambda p, q: p is q or p == q, *(np.ravel(a).tolist() for a in
                                                                                _accuracy_checked_r21(y_true, y_pred))))
     / np.size(y_true)),
    ("accuracy", lambda y_true, y_pred: float(np.nanmean(np.where(np.equal(*_accuracy_checked_r21(y_true, y_pred)),
                                                                  1.0, 0.0)))),
    ("accuracy", lambda y_true, y_pred: float(np.mean([p == q for p, q in zip(*(np.ravel(a) for a in
                                                                                _accuracy_checked_r21(y_true, y_pred)))]))),
    ("mlp_param_count", lambda sizes: int(np.asarray(sizes, dtype=np.int64)[:-1] @ np.asarray(sizes, dtype=np.int64)[1:]
                                          + sum(list(sizes)[1:])) if len(sizes) > 1 and min(sizes) > 0
     else (_ for _ in ()).throw(ValueError("sizes"))),
    ("mlp_param_count", lambda sizes: sum((a + 1) * b for a, b in zip(list(sizes)[-2::-1], list(sizes)[::-1]))
     if len(sizes) > 1 and sorted(sizes)[0] >= 1 else (_ for _ in ()).throw(ValueError("sizes"))),
    ("sigmoid", _sigmoid_by_divisions_into_one_array),
    ("sigmoid", lambda z: np.exp(-(np.maximum(-np.asarray(z, dtype=float), 0.0)
                                   + np.log1p(np.exp(-np.abs(np.asarray(z, dtype=float))))))),
    ("relu", _relu_in_a_copy),
    ("relu", lambda z: np.heaviside(np.asarray(z, dtype=float), 0.0) * np.asarray(z, dtype=float)),
    ("neuron", _neuron_with_a_strict_zip),
    ("neuron", lambda x, w, b: sigmoid(np.asarray(x).dot(w) + b)),
    ("dense_layer", _layer_row_by_row_reshaped),
    ("dense_layer", lambda X, W, b: sigmoid((W @ X.T).T + b)),
    ("or_weights", lambda: (np.array([True, True]), -0.5)),
    ("or_weights", lambda: (np.array([2.0, 2.0]), np.array(-1.0))),
], ids=["accuracy-is-or-eq", "accuracy-nanmean", "accuracy-list-of-bools", "mlp-int64-product", "mlp-reversed",
        "sigmoid-divide-where", "sigmoid-exp-softplus", "relu-copy-masked", "relu-heaviside", "neuron-strict-zip",
        "neuron-x-dot-w", "dense-rows-reshaped", "dense-w-x-transposed", "or-bool-weights", "or-0d-bias"])
def test_lessons_00_and_01_take_right_answers_written_another_way_round_21(name, answer):
    _passes(name, answer)


def _count_through_the_lesson_s_param_count(layer_sizes):
    from types import SimpleNamespace

    from course_utils import bigpicture
    sizes = list(layer_sizes)
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError("need at least two layers of at least one neuron")
    shapes = SimpleNamespace(coefs_=[np.broadcast_to(0.0, pair) for pair in zip(sizes, sizes[1:])],   # no memory
                             intercepts_=[np.broadcast_to(0.0, (n_out,)) for n_out in sizes[1:]])
    return bigpicture.param_count(shapes)   # 00b's count of a fitted model's weights and biases


def test_mlp_param_count_refuses_the_lesson_s_param_count():
    """Passed (25 of 25): 00b's bigpicture.param_count adds up the sizes of a model's coefs_ and intercepts_, which an
    object of views without memory (np.broadcast_to) holds for any layer sizes."""
    _refused_as_the_course_s_own("mlp_param_count", _count_through_the_lesson_s_param_count)


# round 21: lessons 01 and 02, the sigmoid's tail below 1e-40 (r211 L2, r212 H1)
def _sigmoid_of_z_clipped_at(limit):
    def sigmoid(z):
        z = np.clip(np.asarray(z, dtype=float), -limit, limit)   # "to avoid overflow"
        return 1 / (1 + np.exp(-z))
    return sigmoid


@pytest.mark.parametrize("name", ["sigmoid", "neuron", "dense_layer"])
@pytest.mark.parametrize("limit", [36, 40, 88])
def test_a_sigmoid_of_z_clipped_below_92_is_refused_where_the_sigmoid_lies_below_1e_40(name, limit):
    """Passed: 01a's text says not to clip z, but z clipped at 36 to 92 gives 2e-16 to 1e-40 where the sigmoid lies
    below 1e-40 (z = -720), inside the 1e-15 of compare_probabilities."""
    clipped = _sigmoid_of_z_clipped_at(limit)
    answer = {"sigmoid": clipped,
              "neuron": lambda x, w, b: clipped(np.dot(w, x) + b),
              "dense_layer": lambda X, W, b: clipped(np.asarray(X, dtype=float) @ np.asarray(W, dtype=float).T + b)}
    verdict = judge(registry.get_exercise(name), answer[name])
    assert verdict.kind == WRONG, verdict.text


@pytest.mark.parametrize("limit", [500, 700])
def test_a_sigmoid_of_z_clipped_far_out_passes_the_float64_tail(limit):
    """A clip at 500 or 700 stays below 1e-40 there (7e-218, 1e-304): the float32 case, not the tail, refuses it."""
    from course_utils.exercises.base import compare_probabilities
    z = np.array([-720.0, -740.0, -1e5, 0.0])
    compare_probabilities(_sigmoid_of_z_clipped_at(limit)(z), np.exp(-np.logaddexp(0.0, -z)))


# round 21: lesson 07, a map cached by the model (r217 F4)
def _cached_by(exercise, key):
    """The right map (the reference's copy), computed once per key and handed back as a new copy at every call."""
    right, cache = reference_copy(exercise), {}

    def answer(first, x, *rest):
        k = key(first, *rest)
        if k not in cache:
            cache[k] = right(first, x, *rest)
        kept = cache[k]
        return kept.clone() if hasattr(kept, "clone") else np.array(kept)
    return answer


@pytest.mark.parametrize("exercise, key", [
    ("saliency_map", lambda model, target: (id(model), target)),
    ("integrated_gradients", lambda model, target, baseline, steps: (id(model), target, steps)),
    ("occlusion_map", lambda predict, patch, stride, fill: (id(predict), patch, stride, fill)),
    ("exact_shapley_values", lambda predict, background: (id(predict), np.shape(background))),
], ids=["saliency", "integrated-gradients", "occlusion", "shapley"])
def test_lesson_07_refuses_a_map_cached_by_the_model(exercise, key):
    """Passed 17/17, 20/20 and 18/18 (Shapley was caught only when an id came back): every case runs on a deep copy,
    so the cache never answered a second input of the same model, as a notebook's second image does."""
    verdict = judge(registry.get_exercise(exercise), _cached_by(exercise, key))
    assert verdict.kind == WRONG and "looked up by the model" in verdict.text, verdict.text
