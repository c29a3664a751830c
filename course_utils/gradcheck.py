"""Gradient checking: compare analytic gradients with central finite differences.

    result = check_gradients(lambda p: loss(p), params, grads)   # raises GradientCheckError if wrong
    result.max_rel_error, result.worst                           # how close, and where the worst entry is

``params`` and ``grads`` are dicts of arrays with the same keys and shapes (a single array is
accepted too). The loss function takes a params dict and returns a finite real number.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


class GradientCheckError(AssertionError):
    """An analytic gradient disagrees with finite differences; the message says where."""


def relative_error(a, b, floor=1e-12):
    """Elementwise |a - b| / max(|a|, |b|, floor): 0 when equal, about 1 when unrelated."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} and {b.shape}")
    return np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), floor)


def _as_dict(value, what):
    if isinstance(value, dict):
        if not value:
            raise ValueError(f"{what} is an empty dict")
        return {key: np.array(v, dtype=float) for key, v in value.items()}
    if isinstance(value, (np.ndarray, list, tuple, float, int)):
        return {"x": np.array(value, dtype=float)}
    raise TypeError(f"{what} must be a dict of arrays or an array, got {type(value).__name__}")


def _loss(f, params):
    value = f(params)
    if hasattr(value, "item") and np.size(value) == 1:
        value = value.item()
    if not isinstance(value, (int, float, np.floating, np.integer)):
        raise TypeError(f"the loss function must return one real number, got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"the loss function returned {value}; finite differences need a finite loss")
    return value


def numerical_gradient(f, params, eps=1e-6):
    """Central differences (f(p + eps) - f(p - eps)) / (2 eps), one entry at a time.

    f: function of a params dict returning a real number. Returns a dict shaped like params.
    """
    if not callable(f):
        raise TypeError("f must be a function from a params dict to a number")
    if not (np.isscalar(eps) and np.isfinite(eps) and eps > 0):
        raise ValueError(f"eps must be a small positive number, got {eps!r}")
    single = not isinstance(params, dict)
    p = _as_dict(params, "params")
    for key, value in p.items():
        if not np.all(np.isfinite(value)):
            raise ValueError(f"params[{key!r}] contains NaN or infinite values")
    call = (lambda q: f(q["x"])) if single else f
    _loss(call, p)  # fail early, with a clear message, if the loss itself is broken
    grads = {}
    for key, value in p.items():
        g = np.zeros_like(value)
        for idx in np.ndindex(value.shape):
            old = value[idx]
            value[idx] = old + eps
            plus = _loss(call, p)
            value[idx] = old - eps
            minus = _loss(call, p)
            value[idx] = old
            g[idx] = (plus - minus) / (2 * eps)
        grads[key] = g
    return grads["x"] if single else grads


@dataclass(frozen=True)
class GradCheckResult:
    """Outcome of check_gradients: per-parameter worst relative errors and the overall worst entry."""

    errors: dict          # name -> max relative error of that parameter
    max_rel_error: float
    max_abs_error: float
    worst: tuple          # (name, index) of the entry with the largest relative error
    ok: bool
    numeric: dict         # the finite-difference gradients

    def __str__(self):
        lines = [f"{'parameter':<10} max relative error"]
        lines += [f"{name:<10} {err:.2e}" for name, err in self.errors.items()]
        verdict = "OK" if self.ok else "WRONG"
        lines.append(f"{verdict}: worst entry {self.worst[0]}{list(self.worst[1])}, "
                     f"relative error {self.max_rel_error:.2e}, absolute error {self.max_abs_error:.2e}")
        return "\n".join(lines)


def check_gradients(f, params, grads, eps=1e-6, rtol=1e-5, atol=1e-8, raise_on_error=True):
    """Compare ``grads`` with finite differences of ``f`` at ``params``.

    An entry's error is |analytic - numeric| / max(|analytic|, |numeric|, atol / rtol): relative for
    ordinary entries, while entries near zero pass when they differ by at most atol. All entries
    must have error <= rtol.
    Raises GradientCheckError naming every wrong parameter and its worst entry (unless
    ``raise_on_error=False``); returns a GradCheckResult.
    """
    single = not isinstance(params, dict)
    p, g = _as_dict(params, "params"), _as_dict(grads, "grads")
    if set(p) != set(g):
        raise ValueError(f"grads must have the same keys as params: params {sorted(p)}, grads {sorted(g)}")
    for key in p:
        if g[key].shape != p[key].shape:
            raise ValueError(f"grads[{key!r}] has shape {g[key].shape} but params[{key!r}] has {p[key].shape}")
        if not np.all(np.isfinite(g[key])):
            raise ValueError(f"grads[{key!r}] contains NaN or infinite values")
    numeric = numerical_gradient(f, p["x"] if single else p, eps)
    numeric = {"x": numeric} if single else numeric
    errors, problems = {}, []
    worst, max_rel, max_abs = (None, ()), -1.0, 0.0
    for key in p:
        diff = np.abs(g[key] - numeric[key])
        rel = relative_error(g[key], numeric[key], floor=atol / rtol)
        errors[key] = float(rel.max()) if rel.size else 0.0
        max_abs = max(max_abs, float(diff.max()) if diff.size else 0.0)
        if rel.size:
            idx = tuple(int(i) for i in np.unravel_index(int(np.argmax(rel)), rel.shape))
            if errors[key] > max_rel:
                worst, max_rel = (key, idx), errors[key]
            if errors[key] > rtol:
                problems.append(f"grads[{key!r}]{list(idx)} = {g[key][idx]:.6g} but finite differences give "
                                f"{numeric[key][idx]:.6g} (relative error {errors[key]:.1e}); "
                                f"{int(np.sum(rel > rtol))} of {rel.size} entries of {key!r} are wrong")
    result = GradCheckResult(errors, max(max_rel, 0.0), max_abs, worst, not problems, numeric)
    if problems and raise_on_error:
        raise GradientCheckError("gradient check failed:\n  " + "\n  ".join(problems))
    return result
