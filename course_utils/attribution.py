"""Attribution methods written from scratch: which input features made the model say what it said.

Gradient methods need a torch model that maps a batch (n, *shape) to scores (n, classes); they
explain one example ``x`` (shape ``shape``, no batch axis) for one class ``target`` and return a
numpy array of x's shape. Occlusion, LIME and Shapley values only call the model, so they take
any function from a batch of inputs to scores.
"""
from __future__ import annotations

import copy
import itertools
import math

import numpy as np


# ---------------------------------------------------------------- gradients (torch)
def _as_tensor(x):
    import torch

    return torch.as_tensor(np.asarray(x, dtype=np.float32) if not torch.is_tensor(x) else x,
                           dtype=torch.float32).detach()    # a caller's tensor that requires grad stays out of it


def _device_of(model):
    """The device of the model's first parameter; the CPU for a model without any (or a plain function)."""
    import torch

    parameters = getattr(model, "parameters", None)
    first = next(parameters(), None) if callable(parameters) else None
    return first.device if first is not None else torch.device("cpu")


def _target_gradients(model, points, target: int):
    """Gradient of the ``target`` score at each row of the batch ``points`` (a float32 tensor)."""
    import torch

    points = points.detach().to(_device_of(model)).requires_grad_(True)
    scores = model(points)
    if scores.ndim != 2 or not 0 <= target < scores.shape[1]:
        raise IndexError(f"target must be a class index below {scores.shape[-1]}, got {target!r}")
    (grads,) = torch.autograd.grad(scores[:, target].sum(), points)
    return grads.cpu()


def gradient(model, x, target: int) -> np.ndarray:
    """d score[target] / d x: how much each input feature moves the score, at x."""
    x = _as_tensor(x)
    return _target_gradients(model, x[None], int(target))[0].numpy()


def saliency(model, x, target: int) -> np.ndarray:
    """|d score[target] / d x| (Simonyan et al., 2014), as captum's Saliency with abs=True."""
    return np.abs(gradient(model, x, target))


def gradient_times_input(model, x, target: int) -> np.ndarray:
    """x * d score[target] / d x: the gradient weighted by the feature's own value."""
    return _as_tensor(x).numpy() * gradient(model, x, target)


def integrated_gradients(model, x, target: int, baseline=None, steps: int = 50, batch_size: int = 512) -> np.ndarray:
    """(x - baseline) * mean gradient on the straight path from baseline to x (Sundararajan et al., 2017).

    The path integral is approximated by the midpoint rule with ``steps`` points (captum's
    method="riemann_middle"), at most ``batch_size`` points per pass. The attributions add up to
    about f(x) - f(baseline) (completeness).
    """
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps must be a whole number of at least 1, got {steps!r}")
    x = _as_tensor(x)
    baseline = x * 0 if baseline is None else _as_tensor(baseline)
    if baseline.shape != x.shape:
        raise ValueError(f"the baseline has shape {tuple(baseline.shape)}, x has {tuple(x.shape)}")
    alphas = _as_tensor((np.arange(steps, dtype=np.float32) + 0.5) / steps).reshape(-1, *([1] * x.ndim))
    total = x * 0
    for start in range(0, steps, batch_size):
        points = baseline + alphas[start:start + batch_size] * (x - baseline)
        total += _target_gradients(model, points, int(target)).sum(dim=0)
    return ((x - baseline) * total / steps).numpy()


def scores_of(model, target: int):
    """A numpy function batch -> the torch model's ``target`` score, for the model-agnostic methods."""
    import torch

    device = _device_of(model)

    def predict(batch):
        with torch.no_grad():
            return model(_as_tensor(batch).to(device))[:, target].cpu().numpy().astype(float)
    return predict


def randomized_copy(model, seed: int = 0):
    """A copy of ``model`` with every layer re-initialized at random (the model randomization test)."""
    import torch

    clone = copy.deepcopy(model)
    with torch.random.fork_rng(devices=[]):  # the caller's random numbers are left as they were
        torch.manual_seed(seed)
        for module in clone.modules():
            if hasattr(module, "reset_parameters"):
                module.reset_parameters()
    return clone.eval()


# ---------------------------------------------------------------- occlusion (any model)
def occlusion(predict, image, patch: int = 4, stride: int = 2, fill: float = 0.0) -> np.ndarray:
    """Score drop when a ``patch`` x ``patch`` square is covered with ``fill``, averaged per pixel.

    ``predict`` maps a batch of images (n, H, W) to scores (n,). Windows start at every multiple of
    ``stride`` where they fit inside the image. Each pixel gets the mean drop f(image) - f(covered)
    over the windows that cover it (0 if none does). This is captum's Occlusion with
    sliding_window_shapes=(patch, patch) and strides=stride whenever the windows reach the last
    row and column; otherwise captum adds one more window per row and column, cut off at the border.
    """
    image = np.asarray(image, dtype=float)
    if image.ndim != 2:
        raise ValueError(f"occlusion here works on one 2-D image, got shape {image.shape}")
    height, width = image.shape
    for name, value, limit in (("patch", patch, min(height, width)), ("stride", stride, None)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1 or (
                limit is not None and value > limit):
            raise ValueError(f"{name} must be a whole number from 1 to {limit or 'the image size'}, got {value!r}")
    corners = list(itertools.product(range(0, height - patch + 1, stride), range(0, width - patch + 1, stride)))
    covered = np.repeat(image[None], len(corners), axis=0)
    for k, (i, j) in enumerate(corners):
        covered[k, i:i + patch, j:j + patch] = fill
    drops = predict(image[None])[0] - predict(covered)
    total, count = np.zeros_like(image), np.zeros_like(image)
    for drop, (i, j) in zip(drops, corners):
        total[i:i + patch, j:j + patch] += drop
        count[i:i + patch, j:j + patch] += 1
    return np.divide(total, count, out=np.zeros_like(total), where=count > 0)


# ---------------------------------------------------------------- LIME (any model)
def grid_segments(shape, cell: int) -> np.ndarray:
    """Label each pixel of an image of ``shape`` with the number of its ``cell`` x ``cell`` square."""
    height, width = shape
    rows, cols = np.arange(height) // cell, np.arange(width) // cell
    return rows[:, None] * (cols.max() + 1) + cols[None, :]


def lime_kernel(distances, kernel_width: float) -> np.ndarray:
    """LIME's weight for a sample at ``distances`` from the original: sqrt(exp(-d^2 / width^2))."""
    return np.sqrt(np.exp(-np.asarray(distances, dtype=float) ** 2 / kernel_width ** 2))


def weighted_ridge(X, y, weights, alpha: float = 1.0) -> tuple[np.ndarray, float]:
    """(coefficients, intercept) minimizing sum_i w_i (y_i - b - x_i.beta)^2 + alpha |beta|^2."""
    X, y, weights = np.asarray(X, dtype=float), np.asarray(y, dtype=float), np.asarray(weights, dtype=float)
    x_mean, y_mean = weights @ X / weights.sum(), weights @ y / weights.sum()
    Xc, yc = X - x_mean, y - y_mean
    coef = np.linalg.solve(Xc.T @ (weights[:, None] * Xc) + alpha * np.eye(X.shape[1]), Xc.T @ (weights * yc))
    return coef, float(y_mean - x_mean @ coef)


def lime_samples(n_segments: int, n_samples: int, seed: int) -> np.ndarray:
    """Random on/off masks (n_samples, n_segments); row 0 keeps everything (the image itself).

    Drawn as the lime package draws them, so the same seed gives the same samples.
    """
    masks = np.random.RandomState(seed).randint(0, 2, n_samples * n_segments).reshape(n_samples, n_segments)
    masks[0] = 1
    return masks


def lime_image(predict, image, segments, n_samples: int = 200, kernel_width: float = 0.25,
               seed: int = 0, fill: float = 0.0) -> tuple[np.ndarray, float]:
    """LIME (Ribeiro et al., 2016) for one image: a weighted linear model of the score on segments.

    Switch segments off at random (their pixels become ``fill``), score each sample with ``predict``
    (batch (n, H, W) -> (n,)), weight samples by how close their mask is to all-on (cosine distance
    through ``lime_kernel``), and fit ``weighted_ridge``. Returns (one weight per segment, intercept).
    """
    image, segments = np.asarray(image, dtype=float), np.asarray(segments)
    labels = np.unique(segments)
    if segments.shape != image.shape or not np.array_equal(labels, np.arange(len(labels))):
        raise ValueError("segments must have the image's shape and number the segments 0, 1, ..., k-1")
    masks = lime_samples(len(labels), n_samples, seed)
    samples = np.where(masks[:, segments] == 1, image, fill)
    cosine = masks.sum(axis=1) / np.sqrt(len(labels) * np.maximum(masks.sum(axis=1), 1e-12))
    distances = np.where(masks.sum(axis=1) > 0, 1 - cosine, 1.0)
    return weighted_ridge(masks, predict(samples), lime_kernel(distances, kernel_width))


# ---------------------------------------------------------------- Shapley values (any model)
def coalition_value(predict, x, background, coalition) -> float:
    """v(S): the mean score when the features in S keep x's values and the others come from background."""
    mixed = np.array(background, dtype=float, copy=True)
    keep = list(coalition)
    mixed[:, keep] = np.asarray(x, dtype=float)[keep]
    return float(np.mean(predict(mixed)))


def exact_shapley(predict, x, background) -> np.ndarray:
    """Shapley values of every feature of ``x`` by enumerating all 2^n coalitions (small n only).

    phi_i = sum over S not containing i of |S|! (n - |S| - 1)! / n! * (v(S + i) - v(S)),
    with v from ``coalition_value``. They add up to f(x) - mean f(background) (efficiency).
    """
    x = np.asarray(x, dtype=float)
    background = np.atleast_2d(np.asarray(background, dtype=float))
    n = x.shape[0]
    if x.ndim != 1 or background.shape[1] != n:
        raise ValueError(f"x must be one row of n features and background (m, n); got {x.shape}, {background.shape}")
    if n > 16:
        raise ValueError(f"exact enumeration needs 2^n model calls; n = {n} is too many (at most 16 here)")
    value = {S: coalition_value(predict, x, background, S)
             for size in range(n + 1) for S in itertools.combinations(range(n), size)}
    phi = np.zeros(n)
    for S, v_S in value.items():
        weight = math.factorial(len(S)) * math.factorial(n - len(S) - 1) / math.factorial(n) if len(S) < n else 0
        for i in set(range(n)) - set(S):
            phi[i] += weight * (value[tuple(sorted(S + (i,)))] - v_S)
    return phi


# ---------------------------------------------------------------- comparing maps
def edge_map(image) -> np.ndarray:
    """Sobel edge strength of an image: a 'saliency map' that never looks at the model."""
    padded = np.pad(np.asarray(image, dtype=float), 1, mode="edge")
    kernel = np.array([1.0, 2.0, 1.0])
    def window(i, j):
        return padded[i:i + padded.shape[0] - 2, j:j + padded.shape[1] - 2]
    gx = sum(k * (window(a, 2) - window(a, 0)) for a, k in enumerate(kernel))
    gy = sum(k * (window(2, a) - window(0, a)) for a, k in enumerate(kernel))
    return np.hypot(gx, gy)


def rank_correlation(a, b) -> float:
    """Spearman's rank correlation of two maps (ties get their mean rank), from -1 to 1."""
    def ranks(values):
        values = np.asarray(values, dtype=float).ravel()
        order = np.argsort(values, kind="stable")
        ranked = np.empty(len(values))
        ranked[order] = np.arange(len(values))
        _, inverse = np.unique(values, return_inverse=True)
        return (np.bincount(inverse, ranked) / np.bincount(inverse))[inverse]
    ra, rb = ranks(a), ranks(b)
    ra, rb = ra - ra.mean(), rb - rb.mean()
    denominator = np.sqrt((ra @ ra) * (rb @ rb))
    return float(ra @ rb / denominator) if denominator > 0 else 0.0
