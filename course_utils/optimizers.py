"""Optimizers from scratch: SGD, momentum, RMSprop and Adam steps, mini-batches, schedules.

The step functions update one numpy array; the classes apply them to every array of a
parameter dict ({"W1": ..., "b1": ...}) and keep the optimizer's state. Conventions follow
torch.optim (and Kingma & Ba 2015 for Adam); ``eps_mode="keras"`` reproduces where Keras puts
epsilon instead. The 2-D test surfaces (a narrow valley, Rosenbrock, a saddle) are here too.
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Callable

import numpy as np

EPS_MODES = ("torch", "keras")


# ---------------------------------------------------------------- argument checks
def _positive(name: str, value, allow_array: bool = False):
    """A positive finite number (or, if allowed, an array of them)."""
    is_array = allow_array and isinstance(value, np.ndarray)
    if isinstance(value, bool) or not (isinstance(value, numbers.Real) or is_array):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    array = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(array)) or np.any(array <= 0):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return array if array.ndim else float(array)


def _fraction(name: str, value) -> float:
    """A number in [0, 1), such as a momentum or a decay rate."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < 1:
        raise ValueError(f"{name} must be a number in [0, 1), got {value!r}")
    return float(value)


def _arrays(w, grad, *state):
    """Float arrays of one shape: the parameter, its gradient and the optimizer's state for it."""
    arrays = [np.asarray(a, dtype=float) for a in (w, grad, *state)]
    for name, a in zip(("grad", "state", "state"), arrays[1:]):
        if a.shape != arrays[0].shape:
            raise ValueError(f"{name} has shape {a.shape} but the parameter has shape {arrays[0].shape}")
    return arrays


def _eps_mode(eps_mode: str) -> str:
    if eps_mode not in EPS_MODES:
        raise ValueError(f"eps_mode must be one of {EPS_MODES}, got {eps_mode!r}")
    return eps_mode


# ---------------------------------------------------------------- the update rules (math only)
def _sgd(w, g, lr):
    return w - lr * g


def _momentum(w, g, velocity, lr, mu):
    velocity = mu * velocity + g  # torch: v = mu v + g, w -= lr v
    return w - lr * velocity, velocity


def _rmsprop(w, g, sq_avg, lr, rho, eps, eps_mode):
    sq_avg = rho * sq_avg + (1 - rho) * g * g
    denominator = np.sqrt(sq_avg) + eps if eps_mode == "torch" else np.sqrt(sq_avg + eps)
    return w - lr * g / denominator, sq_avg


def _adam(w, g, m, v, t, lr, beta1, beta2, eps, eps_mode):
    m = beta1 * m + (1 - beta1) * g          # 1. moving average of the gradient
    v = beta2 * v + (1 - beta2) * g * g      # 2. moving average of its square
    c1, c2 = 1 - beta1 ** t, 1 - beta2 ** t  # 3. bias corrections (both averages start at 0)
    if eps_mode == "torch":                  # 4. the step: lr * m_hat / (sqrt(v_hat) + eps)
        return w - lr * (m / c1) / (np.sqrt(v / c2) + eps), m, v
    return w - lr * math.sqrt(c2) / c1 * m / (np.sqrt(v) + eps), m, v  # Keras: eps not corrected


# ---------------------------------------------------------------- one step on one array (checked)
def sgd_step(w, grad, lr):
    """Plain gradient descent step: w - lr * grad.

    The checks of ``_arrays`` and ``_positive`` are written out here: 04b hands this function out as a building block
    of momentum and Adam, whose exercises refuse those helpers, and so it calls none of them."""
    w, grad = np.asarray(w, dtype=float), np.asarray(grad, dtype=float)
    if grad.shape != w.shape:
        raise ValueError(f"grad has shape {grad.shape} but the parameter has shape {w.shape}")
    if isinstance(lr, bool) or not isinstance(lr, numbers.Real):
        raise TypeError(f"lr must be a number, got {type(lr).__name__}")
    rate = float(np.asarray(lr, dtype=float))
    if not math.isfinite(rate) or rate <= 0:
        raise ValueError(f"lr must be a positive finite number, got {lr!r}")
    return w - rate * grad


def momentum_step(w, grad, velocity, lr, mu=0.9):
    """Heavy-ball momentum (torch convention): v = mu*v + grad; w = w - lr*v. Returns (w, v)."""
    w, grad, velocity = _arrays(w, grad, velocity)
    return _momentum(w, grad, velocity, _positive("lr", lr), _fraction("mu", mu))


def rmsprop_step(w, grad, sq_avg, lr, rho=0.9, eps=1e-8, eps_mode="torch"):
    """RMSprop: s = rho*s + (1-rho)*grad^2; w = w - lr*grad/(sqrt(s) + eps). Returns (w, s)."""
    w, grad, sq_avg = _arrays(w, grad, sq_avg)
    return _rmsprop(w, grad, sq_avg, _positive("lr", lr), _fraction("rho", rho), _positive("eps", eps),
                    _eps_mode(eps_mode))


def adam_step(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, eps_mode="torch"):
    """Adam (Kingma & Ba 2015), step number t = 1, 2, ...; returns (w, m, v)."""
    w, grad, m, v = _arrays(w, grad, m, v)
    if isinstance(t, bool) or not isinstance(t, numbers.Integral) or t < 1:
        raise ValueError(f"the step number t counts from 1, got {t!r}")
    return _adam(w, grad, m, v, int(t), _positive("lr", lr), _fraction("beta1", beta1),
                 _fraction("beta2", beta2), _positive("eps", eps), _eps_mode(eps_mode))


# ---------------------------------------------------------------- optimizers over parameter dicts
class Optimizer:
    """Base class: ``step(params, grads)`` updates every array of ``params`` in place and returns it.

    ``lr`` may be an array that broadcasts against the parameters (one learning rate per
    stacked copy of a network, as the learning-rate lab uses).
    """

    def __init__(self, lr):
        self.lr = _positive("lr", lr, allow_array=True)
        self.t = 0
        self.state: dict[str, tuple] = {}

    def step(self, params: dict, grads: dict) -> dict:
        if not isinstance(params, dict) or not isinstance(grads, dict) or set(params) != set(grads):
            raise ValueError("params and grads must be dicts with the same keys")
        self.t += 1
        for key, w in params.items():
            g = np.asarray(grads[key], dtype=float)
            if g.shape != np.shape(w):
                raise ValueError(f"grads[{key!r}] has shape {g.shape} but params[{key!r}] has {np.shape(w)}")
            if key not in self.state:
                self.state[key] = self.init_state(g)
            params[key], *new_state = self.update(np.asarray(w, dtype=float), g, *self.state[key])
            self.state[key] = tuple(new_state)
        return params

    def init_state(self, g) -> tuple:
        return ()

    def update(self, w, g, *state):
        raise NotImplementedError


class SGD(Optimizer):
    """Gradient descent w -= lr * grad (batch, mini-batch or stochastic: that depends on the grads)."""

    def update(self, w, g):
        return (_sgd(w, g, self.lr),)


class Momentum(Optimizer):
    """SGD with heavy-ball momentum, torch.optim.SGD(momentum=mu) convention."""

    def __init__(self, lr, mu=0.9):
        super().__init__(lr)
        self.mu = _fraction("mu", mu)

    def init_state(self, g):
        return (np.zeros_like(g),)

    def update(self, w, g, velocity):
        return _momentum(w, g, velocity, self.lr, self.mu)


class RMSprop(Optimizer):
    """RMSprop: divide each gradient by the root of a moving average of its square."""

    def __init__(self, lr, rho=0.9, eps=1e-8, eps_mode="torch"):
        super().__init__(lr)
        self.rho, self.eps = _fraction("rho", rho), _positive("eps", eps)
        self.eps_mode = _eps_mode(eps_mode)

    def init_state(self, g):
        return (np.zeros_like(g),)

    def update(self, w, g, sq_avg):
        return _rmsprop(w, g, sq_avg, self.lr, self.rho, self.eps, self.eps_mode)


class Adam(Optimizer):
    """Adam with bias correction (Kingma & Ba 2015)."""

    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, eps_mode="torch"):
        super().__init__(lr)
        self.beta1, self.beta2 = _fraction("beta1", beta1), _fraction("beta2", beta2)
        self.eps, self.eps_mode = _positive("eps", eps), _eps_mode(eps_mode)

    def init_state(self, g):
        return (np.zeros_like(g), np.zeros_like(g))

    def update(self, w, g, m, v):
        return _adam(w, g, m, v, self.t, self.lr, self.beta1, self.beta2, self.eps, self.eps_mode)


OPTIMIZERS = {"GD": SGD, "momentum": Momentum, "RMSprop": RMSprop, "Adam": Adam}


def make_optimizer(name: str, lr, **options) -> Optimizer:
    """An optimizer by name: 'GD' (plain SGD), 'momentum', 'RMSprop' or 'Adam'."""
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")
    return OPTIMIZERS[name](lr, **options)


# ---------------------------------------------------------------- mini-batches
def minibatches(n: int, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Shuffle 0..n-1 and cut it into batches of ``batch_size`` (the last may be smaller).

    Every index appears exactly once per epoch.
    """
    for name, value in (("n", n), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
        if value < 1:
            raise ValueError(f"{name} must be at least 1, got {value}")
    order = rng.permutation(int(n))
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


# ---------------------------------------------------------------- learning-rate schedules
def step_decay(lr0: float, epoch: int, drop: float = 0.5, every: int = 10) -> float:
    """Multiply the learning rate by ``drop`` every ``every`` epochs (torch StepLR)."""
    _positive("lr0", lr0)
    if epoch < 0 or every < 1:
        raise ValueError(f"need epoch >= 0 and every >= 1, got epoch={epoch}, every={every}")
    return lr0 * drop ** (epoch // every)


def cosine_decay(lr0: float, step: int, total: int, lr_min: float = 0.0) -> float:
    """Half a cosine from lr0 (step 0) down to lr_min (step total) (torch CosineAnnealingLR)."""
    _positive("lr0", lr0)
    if total < 1 or not 0 <= step <= total:
        raise ValueError(f"need total >= 1 and 0 <= step <= total, got step={step}, total={total}")
    return lr_min + (lr0 - lr_min) * (1 + math.cos(math.pi * step / total)) / 2


# ---------------------------------------------------------------- 2-D loss surfaces
@dataclass(frozen=True)
class Surface:
    """A 2-D loss f(x, y) with its gradient, a start point, a view and a learning rate that suits it."""

    name: str
    f: Callable
    grad: Callable
    start: tuple
    xlim: tuple
    ylim: tuple
    lr: float
    levels: np.ndarray


SURFACES = {
    "narrow valley": Surface(
        "narrow valley", lambda x, y: 0.5 * (x ** 2 + 25 * y ** 2),
        lambda x, y: np.array([x, 25 * y]), (-4.5, 1.5), (-5, 5), (-2.5, 2.5), 0.02,
        np.geomspace(0.05, 80, 14)),
    "Rosenbrock": Surface(
        "Rosenbrock", lambda x, y: (1 - x) ** 2 + 100 * (y - x ** 2) ** 2,
        lambda x, y: np.array([-2 * (1 - x) - 400 * x * (y - x ** 2), 200 * (y - x ** 2)]),
        (-1.2, 1.0), (-2, 2), (-1, 3), 0.002, np.geomspace(0.1, 2000, 14)),
    "saddle": Surface(
        "saddle", lambda x, y: 0.5 * x ** 2 + 0.25 * y ** 4 - 0.5 * y ** 2,
        lambda x, y: np.array([x, y ** 3 - y]), (2.5, 1e-3), (-3, 3), (-2, 2), 0.05,
        np.linspace(-0.24, 5, 14)),
}


def trajectory(optimizer: Optimizer, surface: Surface, steps: int) -> np.ndarray:
    """The points (steps + 1, 2) visited by ``optimizer`` from the surface's start.

    A run that blows up (inf or NaN) stops at its last finite point.
    """
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 0:
        raise ValueError(f"steps must be a non-negative integer, got {steps!r}")
    params = {"w": np.array(surface.start, dtype=float)}
    points = [params["w"].copy()]
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            optimizer.step(params, {"w": surface.grad(*params["w"])})
            if not np.all(np.isfinite(params["w"])):
                break
            points.append(params["w"].copy())
    return np.array(points)


# ---------------------------------------------------------------- the same steps in the frameworks
def torch_trajectory(make_optimizer: Callable, surface: Surface, steps: int) -> np.ndarray:
    """Points (steps, 2) after each step of a torch.optim optimizer, ``make_optimizer([w])``, in float64."""
    import torch

    w = torch.tensor(surface.start, dtype=torch.float64, requires_grad=True)
    optimizer, points = make_optimizer([w]), []
    for _ in range(steps):
        w.grad = torch.as_tensor(surface.grad(*w.detach().numpy()), dtype=torch.float64)
        optimizer.step()
        points.append(w.detach().numpy().copy())
    return np.array(points)


def keras_trajectory(optimizer, surface: Surface, steps: int) -> np.ndarray:
    """Points (steps, 2) after each step of a keras.optimizers optimizer on a float64 variable."""
    import keras
    import tensorflow as tf

    w = keras.Variable(np.array(surface.start, dtype=float), dtype="float64")
    optimizer.build([w])
    apply = tf.function(lambda g: optimizer.apply_gradients([(g, w)]))  # traced once: fast steps
    points = []
    for _ in range(steps):
        apply(tf.constant(surface.grad(*w.numpy()), dtype=tf.float64))
        points.append(np.array(w.numpy()))
    return np.array(points)


def numpy_trajectory(optimizer: Optimizer, surface: Surface, steps: int) -> np.ndarray:
    """Points (steps, 2) after each step of one of our optimizers (for comparison with the above)."""
    return trajectory(optimizer, surface, steps)[1:]
