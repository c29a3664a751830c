"""A paper model of data-parallel speed-up, and the large-batch learning-rate rule."""
from __future__ import annotations


def allreduce_seconds(n_bytes: float, workers: int, bandwidth: float, latency: float = 0.0) -> float:
    """Time of a ring all-reduce of ``n_bytes`` per worker: 2(k-1) messages of n/k bytes each, in sequence.

    ``bandwidth`` is in bytes per second per link, ``latency`` in seconds per message.
    """
    if workers < 1 or bandwidth <= 0 or n_bytes < 0 or latency < 0:
        raise ValueError("need workers >= 1, bandwidth > 0, n_bytes >= 0 and latency >= 0")
    k = workers
    return 2 * (k - 1) / k * n_bytes / bandwidth + 2 * (k - 1) * latency


def step_seconds(compute_s: float, n_bytes: float, workers: int, bandwidth: float, latency: float = 0.0,
                 overlap: float = 0.0) -> float:
    """Time of one data-parallel step: the compute of one worker plus the part of the all-reduce not hidden
    behind the backward pass (``overlap`` is the hidden fraction, 0 to 1)."""
    if not 0.0 <= overlap <= 1.0:
        raise ValueError(f"overlap must be between 0 and 1, got {overlap}")
    return compute_s + (1.0 - overlap) * allreduce_seconds(n_bytes, workers, bandwidth, latency)


def speedup(compute_s: float, n_bytes: float, workers: int, bandwidth: float, latency: float = 0.0,
            overlap: float = 0.0, fixed_global_batch: bool = False) -> float:
    """Throughput on ``workers`` divided by throughput on one worker.

    ``compute_s`` is one worker's compute time per step. With ``fixed_global_batch`` (strong scaling, as in the
    lesson's 1- versus 2-process run) the k workers share one global batch, so each computes ``compute_s / k``;
    otherwise (weak scaling, the usual DDP set-up) each keeps its own batch and the global batch grows k-fold.
    """
    if fixed_global_batch:
        return compute_s / step_seconds(compute_s / workers, n_bytes, workers, bandwidth, latency, overlap)
    return workers * compute_s / step_seconds(compute_s, n_bytes, workers, bandwidth, latency, overlap)


def scaled_learning_rate(base_lr: float, base_batch: int, batch: int, step: int, warmup_steps: int = 0) -> float:
    """The linear scaling rule with linear warm-up (Goyal et al., 2017).

    The target rate is ``base_lr * batch / base_batch``; during the first ``warmup_steps`` steps the rate
    climbs linearly from ``base_lr`` to the target.
    """
    if base_lr <= 0 or base_batch < 1 or batch < 1 or step < 0 or warmup_steps < 0:
        raise ValueError("need base_lr > 0, batch sizes >= 1, step >= 0 and warmup_steps >= 0")
    target = base_lr * batch / base_batch
    if step >= warmup_steps:
        return target
    return base_lr + (target - base_lr) * step / warmup_steps
