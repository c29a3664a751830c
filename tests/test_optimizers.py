"""Tests of course_utils.optimizers: the steps, the classes, mini-batches, schedules, surfaces."""
import numpy as np
import pytest

from course_utils import optimizers as opt


def test_sgd_step_moves_against_the_gradient():
    assert np.allclose(opt.sgd_step(np.array([1.0, 2.0]), np.array([0.5, -1.0]), 0.1), [0.95, 2.1])


@pytest.mark.parametrize("bad", [0.0, -0.1, np.nan, np.inf])
def test_learning_rate_must_be_positive(bad):
    with pytest.raises(ValueError, match="lr must be a positive finite number"):
        opt.sgd_step(np.ones(2), np.ones(2), bad)
    with pytest.raises(ValueError, match="lr must be a positive finite number"):
        opt.Adam(bad)


def test_shapes_must_match_no_silent_broadcast():
    with pytest.raises(ValueError, match="shape"):
        opt.sgd_step(np.ones(3), np.ones(1), 0.1)
    with pytest.raises(ValueError, match="shape"):
        opt.momentum_step(np.ones(2), np.ones(2), np.ones(3), 0.1)
    with pytest.raises(ValueError, match="shape"):
        opt.SGD(0.1).step({"w": np.ones(2)}, {"w": np.ones(3)})
    with pytest.raises(ValueError, match="same keys"):
        opt.SGD(0.1).step({"w": np.ones(2)}, {"v": np.ones(2)})


def test_momentum_accumulates_and_mu_zero_is_sgd():
    w, v = opt.momentum_step(np.zeros(1), np.ones(1), np.zeros(1), lr=1.0, mu=0.5)
    w, v = opt.momentum_step(w, np.ones(1), v, lr=1.0, mu=0.5)
    assert np.allclose(v, 1.5) and np.allclose(w, -2.5)
    assert np.allclose(opt.momentum_step(np.ones(2), np.ones(2), np.full(2, 7.0), 0.1, 0.0)[0],
                       opt.sgd_step(np.ones(2), np.ones(2), 0.1))
    with pytest.raises(ValueError, match="mu"):
        opt.momentum_step(np.ones(1), np.ones(1), np.zeros(1), 0.1, mu=1.0)


def test_adam_first_step_is_lr_and_scale_free():
    g = np.array([3.0, -1e-3, 1e5])
    w, m, v = opt.adam_step(np.zeros(3), g, np.zeros(3), np.zeros(3), 1, lr=0.01)
    assert np.allclose(w, -0.01 * np.sign(g), rtol=1e-4)
    assert np.allclose(m, 0.1 * g) and np.allclose(v, 0.001 * g ** 2)  # stored uncorrected
    with pytest.raises(ValueError, match="counts from 1"):
        opt.adam_step(np.zeros(1), np.ones(1), np.zeros(1), np.zeros(1), 0)


def test_eps_modes_differ_only_in_where_eps_goes():
    w, g, s = np.zeros(1), np.array([0.1]), np.zeros(1)
    torch_w, _ = opt.rmsprop_step(w, g, s, lr=1.0, rho=0.5, eps=0.01, eps_mode="torch")
    keras_w, _ = opt.rmsprop_step(w, g, s, lr=1.0, rho=0.5, eps=0.01, eps_mode="keras")
    root = np.sqrt(0.5 * 0.01)
    assert np.allclose(torch_w, -0.1 / (root + 0.01)) and np.allclose(keras_w, -0.1 / np.sqrt(0.005 + 0.01))
    with pytest.raises(ValueError, match="eps_mode"):
        opt.RMSprop(0.1, eps_mode="tf")


def test_classes_equal_the_step_functions_over_dicts():
    rng = np.random.default_rng(0)
    params = {"W": rng.normal(size=(3, 2)), "b": rng.normal(size=3)}
    adam, w, m, v = opt.Adam(0.05), params["W"].copy(), np.zeros((3, 2)), np.zeros((3, 2))
    for t in range(1, 6):
        grads = {"W": rng.normal(size=(3, 2)), "b": rng.normal(size=3)}
        adam.step(params, grads)
        w, m, v = opt.adam_step(w, grads["W"], m, v, t, lr=0.05)
    assert np.allclose(params["W"], w, rtol=0, atol=1e-15)


def test_array_learning_rates_train_stacked_copies():
    lrs = np.array([0.1, 0.2])[:, None]
    params = {"w": np.ones((2, 3))}
    opt.SGD(lrs).step(params, {"w": np.ones((2, 3))})
    assert np.allclose(params["w"], [[0.9] * 3, [0.8] * 3])


def test_make_optimizer_names():
    assert isinstance(opt.make_optimizer("Adam", 0.1), opt.Adam)
    with pytest.raises(ValueError, match="unknown optimizer"):
        opt.make_optimizer("adagrad", 0.1)


@pytest.mark.parametrize("n, batch", [(10, 3), (7, 7), (1, 1), (5, 50), (100, 1)])
def test_minibatches_cover_every_index_once(n, batch):
    batches = opt.minibatches(n, batch, np.random.default_rng(0))
    together = np.concatenate(batches)
    assert np.array_equal(np.sort(together), np.arange(n))
    assert all(len(b) == batch for b in batches[:-1]) and 1 <= len(batches[-1]) <= batch


def test_minibatches_shuffle_and_reject_bad_sizes():
    rng = np.random.default_rng(0)
    first, second = np.concatenate(opt.minibatches(50, 8, rng)), np.concatenate(opt.minibatches(50, 8, rng))
    assert not np.array_equal(first, np.arange(50)) and not np.array_equal(first, second)
    with pytest.raises(ValueError, match="batch_size must be at least 1"):
        opt.minibatches(10, 0, rng)
    with pytest.raises(TypeError, match="batch_size must be an integer"):
        opt.minibatches(10, 2.5, rng)


def test_schedules():
    assert [opt.step_decay(1.0, e, 0.5, 2) for e in range(5)] == [1.0, 1.0, 0.5, 0.5, 0.25]
    assert opt.cosine_decay(0.1, 0, 10) == pytest.approx(0.1)
    assert opt.cosine_decay(0.1, 5, 10, lr_min=0.02) == pytest.approx(0.06)
    assert opt.cosine_decay(0.1, 10, 10, lr_min=0.02) == pytest.approx(0.02)
    with pytest.raises(ValueError):
        opt.cosine_decay(0.1, 11, 10)


@pytest.mark.parametrize("name", list(opt.SURFACES))
def test_surface_gradients_match_finite_differences(name):
    surface, h = opt.SURFACES[name], 1e-6
    for x, y in [(0.3, -0.7), (-1.1, 1.4), surface.start]:
        numeric = [(surface.f(x + h, y) - surface.f(x - h, y)) / (2 * h),
                   (surface.f(x, y + h) - surface.f(x, y - h)) / (2 * h)]
        assert np.allclose(surface.grad(x, y), numeric, rtol=1e-5, atol=1e-6)


def test_trajectory_stops_at_divergence_and_converges_when_stable():
    valley = opt.SURFACES["narrow valley"]
    blown = opt.trajectory(opt.SGD(0.2), valley, 1000)   # lr * 25 = 5 > 2: every step overshoots x4
    assert len(blown) < 1001 and np.all(np.isfinite(blown))
    good = opt.trajectory(opt.SGD(0.02), valley, 1000)
    assert len(good) == 1001 and np.allclose(good[-1], 0, atol=1e-6)
    with pytest.raises(ValueError, match="steps"):
        opt.trajectory(opt.SGD(0.1), valley, -1)


def test_equal_to_torch_optim():
    torch = pytest.importorskip("torch")
    rosen = opt.SURFACES["Rosenbrock"]
    pairs = [(opt.Momentum(2 ** -10, mu=0.9), lambda p: torch.optim.SGD(p, lr=2 ** -10, momentum=0.9)),
             (opt.RMSprop(0.01, rho=0.99, eps=1e-8), lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.99, eps=1e-8)),
             (opt.Adam(0.01), lambda p: torch.optim.Adam(p, lr=0.01))]
    for ours, theirs in pairs:
        assert np.allclose(opt.numpy_trajectory(ours, rosen, 120), opt.torch_trajectory(theirs, rosen, 120),
                           rtol=1e-11, atol=1e-12)
