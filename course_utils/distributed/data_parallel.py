"""Data parallelism from first principles, in numpy: shard gradients, ring all-reduce, sampler indices."""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np


def shard_gradient(grad_fn: Callable, w: np.ndarray, X: np.ndarray, y: np.ndarray, k: int) -> np.ndarray:
    """The full-batch gradient from ``k`` shards: each shard's mean-loss gradient, weighted by its size.

    ``grad_fn(w, X, y)`` returns the gradient of the MEAN loss over its examples. A plain average of the
    shard gradients is right only when all shards have the same size.
    """
    if not isinstance(k, (int, np.integer)) or k < 1 or k > len(X):
        raise ValueError(f"k must be an int between 1 and the batch size {len(X)}, got {k!r}")
    total = np.zeros_like(np.asarray(w, dtype=float))
    for X_shard, y_shard in zip(np.array_split(X, k), np.array_split(y, k)):
        total = total + len(X_shard) * np.asarray(grad_fn(w, X_shard, y_shard))
    return total / len(X)


def ring_allreduce(arrays: Sequence[np.ndarray]) -> tuple[list[np.ndarray], np.ndarray]:
    """Sum ``arrays`` (one per worker) with ring all-reduce; return every worker's result and bytes sent.

    Each array is cut into k chunks. Reduce-scatter: in k-1 steps each worker passes one chunk to its right
    neighbour, which adds it to its own. All-gather: in k-1 more steps the finished chunks go round the ring.
    """
    k = len(arrays)
    if k < 1:
        raise ValueError("ring_allreduce needs at least one worker")
    shape = np.shape(arrays[0])
    if any(np.shape(a) != shape for a in arrays):
        raise ValueError("every worker must hold an array of the same shape")
    buffers = [np.array_split(np.array(a, dtype=float).ravel(), k) for a in arrays]
    sent = np.zeros(k, dtype=np.int64)
    for phase in ("reduce-scatter", "all-gather"):
        for step in range(k - 1):
            # all sends happen at once: copy what each worker holds BEFORE this step
            offset = step if phase == "reduce-scatter" else step - 1
            outgoing = [(i, (i - offset) % k, buffers[i][(i - offset) % k].copy()) for i in range(k)]
            for i, c, chunk in outgoing:
                right = buffers[(i + 1) % k]
                right[c] = right[c] + chunk if phase == "reduce-scatter" else chunk
                sent[i] += chunk.nbytes
    return [np.concatenate(b).reshape(shape) for b in buffers], sent


def ring_step(buffers: np.ndarray, step: int) -> np.ndarray:
    """The same reduce-scatter step on an array ``buffers[worker, chunk, ...]`` (the lesson's exercise)."""
    buffers = np.asarray(buffers)
    if buffers.ndim < 2 or buffers.shape[0] != buffers.shape[1]:
        raise ValueError(f"buffers must have shape (k workers, k chunks, ...), got {buffers.shape}")
    new = buffers.astype(float)
    k = buffers.shape[0]
    for i in range(k):
        c = (i - step) % k
        new[(i + 1) % k, c] += buffers[i, c]
    return new


def sampler_indices(order: Sequence[int], num_replicas: int, rank: int, drop_last: bool = False) -> np.ndarray:
    """The indices ``torch.utils.data.DistributedSampler`` gives ``rank`` for an epoch's ``order``.

    ``order`` is ``range(n)`` without shuffling, or the epoch's permutation. The list is padded by repeating
    its start (or cut, with ``drop_last``) to a multiple of ``num_replicas``; rank r takes every
    ``num_replicas``-th index starting at r, so every rank gets the same number of examples.
    """
    if num_replicas < 1 or not 0 <= rank < num_replicas:
        raise ValueError(f"rank must be in [0, {num_replicas}) and num_replicas >= 1, got rank={rank}, "
                         f"num_replicas={num_replicas}")
    order = np.asarray(order, dtype=np.int64)
    n = len(order)
    if drop_last:
        total = (n // num_replicas) * num_replicas
        order = order[:total]
    else:
        total = -(-n // num_replicas) * num_replicas
        if total > n:
            repeats = -(-(total - n) // max(n, 1))
            order = np.concatenate([order] + [order] * repeats)[:total]
    return order[rank:total:num_replicas]
