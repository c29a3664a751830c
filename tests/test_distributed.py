"""Lesson 08's helpers: numpy data parallelism, the scaling model, the torchrun launcher and the DDP script."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from course_utils.distributed import data_parallel as dp
from course_utils.distributed import ddp_train, launch, scaling

ROOT = Path(__file__).resolve().parents[1]
SKIP_SLOW = os.environ.get("COURSE_SKIP_SLOW") == "1"
SMALL = ["--samples", "512", "--features", "8", "--hidden", "16", "--classes", "3", "--batch", "32",
         "--epochs", "2", "--allreduce-repeats", "2"]


def squared_error_grad(w, X, y):
    """Gradient of the MEAN squared error of a linear model: (2/n) X^T (Xw - y)."""
    return 2.0 / len(X) * X.T @ (X @ w - y)


def no_children_left():
    """No live process started by this test (children left over by earlier tests in this worker are not ours)."""
    import psutil

    alive = [p for p in psutil.Process().children(recursive=True)
             if p.is_running() and p.status() != psutil.STATUS_ZOMBIE and p.pid not in EARLIER_CHILDREN]
    return alive == []


@pytest.fixture(autouse=True)
def _remember_earlier_children():
    import psutil

    EARLIER_CHILDREN.clear()
    EARLIER_CHILDREN.update(p.pid for p in psutil.Process().children(recursive=True))


EARLIER_CHILDREN: set[int] = set()


# ---------------------------------------------------------------- numpy data parallelism
@pytest.mark.parametrize("n, k", [(12, 3), (10, 3), (7, 7), (9, 1)])
def test_shard_gradient_equals_the_full_batch_gradient(n, k):
    rng = np.random.default_rng(n * k)
    X, y, w = rng.normal(size=(n, 4)), rng.normal(size=n), rng.normal(size=4)
    assert np.allclose(dp.shard_gradient(squared_error_grad, w, X, y, k), squared_error_grad(w, X, y))


def test_a_plain_average_of_unequal_shards_is_wrong():
    rng = np.random.default_rng(0)
    X, y, w = rng.normal(size=(10, 3)), rng.normal(size=10), rng.normal(size=3)
    plain = np.mean([squared_error_grad(w, a, b) for a, b in zip(np.array_split(X, 3), np.array_split(y, 3))], 0)
    assert not np.allclose(plain, squared_error_grad(w, X, y))


@pytest.mark.parametrize("k", [0, 11])
def test_shard_gradient_rejects_a_bad_k(k):
    with pytest.raises(ValueError):
        dp.shard_gradient(squared_error_grad, np.zeros(2), np.ones((10, 2)), np.ones(10), k)


@pytest.mark.parametrize("k", [1, 2, 3, 4, 8])
def test_ring_allreduce_sums_and_each_worker_sends_2_k_minus_1_over_k_of_the_data(k):
    rng = np.random.default_rng(k)
    arrays = [rng.normal(size=(8, 6)) for _ in range(k)]
    results, sent = dp.ring_allreduce(arrays)
    for result in results:
        assert result.shape == (8, 6) and np.allclose(result, np.sum(arrays, axis=0))
    assert np.array_equal(sent, np.full(k, 2 * (k - 1) * 48 * 8 // k))   # 48 float64 numbers, k divides 48


def test_ring_allreduce_rejects_different_shapes():
    with pytest.raises(ValueError):
        dp.ring_allreduce([np.zeros(3), np.zeros(4)])


def test_k_minus_1_ring_steps_leave_worker_j_with_the_sum_of_chunk_j_plus_1():
    buffers = np.random.default_rng(1).normal(size=(5, 5, 3))
    state = buffers
    for step in range(4):
        state = dp.ring_step(state, step)
    for j in range(5):
        assert np.allclose(state[j, (j + 1) % 5], buffers[:, (j + 1) % 5].sum(axis=0))


@pytest.mark.parametrize("n", [1, 7, 10, 12])
@pytest.mark.parametrize("world", [1, 2, 3, 4])
@pytest.mark.parametrize("drop_last", [False, True])
def test_sampler_indices_equal_torchs_distributed_sampler(n, world, drop_last):
    torch = pytest.importorskip("torch")
    from torch.utils.data import DistributedSampler

    if drop_last and n < world:
        return                                   # torch gives every rank an empty list; nothing to compare
    for rank in range(world):
        sampler = DistributedSampler(range(n), num_replicas=world, rank=rank, shuffle=True, seed=4,
                                     drop_last=drop_last)
        sampler.set_epoch(3)
        order = torch.randperm(n, generator=torch.Generator().manual_seed(4 + 3)).numpy()
        assert list(sampler) == dp.sampler_indices(order, world, rank, drop_last).tolist()


# ---------------------------------------------------------------- scaling model
def test_allreduce_time_is_zero_on_one_worker_and_approaches_2n_over_bandwidth():
    assert scaling.allreduce_seconds(1e9, 1, 1e9) == 0.0
    assert scaling.allreduce_seconds(1e9, 2, 1e9) == pytest.approx(1.0)
    assert scaling.allreduce_seconds(1e9, 1000, 1e9) == pytest.approx(2.0, rel=1e-2)
    assert scaling.allreduce_seconds(0, 4, 1e9, latency=1e-3) == pytest.approx(6e-3)


def test_speedup_is_ideal_without_communication_and_below_ideal_with_it():
    assert scaling.speedup(0.1, 1e8, 8, 1e9, overlap=1.0) == pytest.approx(8.0)
    assert scaling.speedup(0.1, 1e8, 8, 1e9) < 8
    assert scaling.speedup(0.1, 1e8, 8, 1e9, fixed_global_batch=True) < scaling.speedup(0.1, 1e8, 8, 1e9)
    with pytest.raises(ValueError):
        scaling.step_seconds(0.1, 1e8, 8, 1e9, overlap=1.5)


def test_scaled_learning_rate_warms_up_linearly_to_the_scaled_rate():
    lr = [scaling.scaled_learning_rate(0.1, 256, 1024, step, warmup_steps=10) for step in range(12)]
    assert lr[0] == pytest.approx(0.1) and lr[5] == pytest.approx(0.25) and lr[10] == lr[11] == pytest.approx(0.4)
    assert scaling.scaled_learning_rate(0.1, 256, 1024, 0) == pytest.approx(0.4)
    with pytest.raises(ValueError):
        scaling.scaled_learning_rate(0.1, 0, 1024, 0)


# ---------------------------------------------------------------- launcher and DDP
def test_free_port_can_be_bound():
    import socket

    port = launch.free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_the_multi_node_command_has_the_rendezvous_flags():
    command = launch.torchrun_command("course_utils.distributed.ddp_train", ["--epochs", 3], nproc=8, nnodes=4,
                                      rdzv_endpoint="node0.example:29400", rdzv_id="job42")
    assert command[:3] == [sys.executable, "-m", "torch.distributed.run"]
    for flag in ["--nnodes=4", "--nproc-per-node=8", "--rdzv-endpoint=node0.example:29400", "--rdzv-id=job42",
                 "--rdzv-backend=c10d"]:
        assert flag in command
    assert command[-4:] == ["-m", "course_utils.distributed.ddp_train", "--epochs", "3"]


def test_check_sizes_rejects_padding_and_unequal_local_batches():
    ddp_train.check_sizes(512, 32, 2)
    for samples, batch, world in [(500, 32, 2), (512, 32, 3)]:
        with pytest.raises(ValueError):
            ddp_train.check_sizes(samples, batch, world)


@pytest.mark.skipif(SKIP_SLOW, reason="starts torchrun (COURSE_SKIP_SLOW=1)")
def test_two_process_ddp_equals_single_process_training(tmp_path, capsys):
    out = tmp_path / "result.npz"
    run = launch.run_torchrun("course_utils.distributed.ddp_train", [*SMALL, "--out", out], nproc=2)
    printed = capsys.readouterr().out
    assert "epoch 2" in printed and "[default1]" not in printed          # rank 0 reports, rank 1 stays quiet
    result = ddp_train.load_result(out)
    params, losses = ddp_train.train_single(samples=512, features=8, hidden=16, classes=3, batch=32, epochs=2)
    assert result["world_size"] == 2 and result["steps_per_epoch"] == 512 // 32 and run.seconds > 0
    for name, value in params.items():
        np.testing.assert_allclose(result["params"][name], value, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(result["losses"], losses, rtol=1e-5)
    assert result["allreduce_seconds"] > 0 and no_children_left()


@pytest.mark.skipif(SKIP_SLOW, reason="starts torchrun (COURSE_SKIP_SLOW=1)")
def test_a_failing_rank_raises_with_its_traceback_and_leaves_no_process():
    with pytest.raises(launch.RankFailed) as info:
        launch.run_torchrun("course_utils.distributed.ddp_train", [*SMALL, "--fail-rank", "1"], nproc=2, echo=False)
    assert info.value.rank == 1
    assert info.value.traceback.startswith("Traceback") and "failed on purpose" in info.value.traceback
    assert "rank 1 failed" in str(info.value) and no_children_left()


@pytest.mark.skipif(SKIP_SLOW, reason="starts torchrun (COURSE_SKIP_SLOW=1)")
def test_a_hanging_run_is_ended_at_the_timeout(tmp_path, monkeypatch):
    (tmp_path / "hang_forever.py").write_text("import time\ntime.sleep(600)\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    with pytest.raises(TimeoutError):
        launch.run_torchrun("hang_forever", nproc=2, timeout=10, echo=False)
    assert no_children_left()


def test_failing_rank_reads_the_root_cause_rank_and_its_stderr_file(tmp_path):
    for rank, text in [(0, "[rank0]: Traceback (most recent call last):\n[rank0]: ConnectionError: peer gone\n"),
                       (1, "noise\n[rank1]: Traceback (most recent call last):\n[rank1]: ValueError: boom\n")]:
        folder = tmp_path / "run_x" / "attempt_0" / str(rank)
        folder.mkdir(parents=True)
        (folder / "stderr.log").write_text(text)
    log = "Root Cause (first observed failure):\n[0]:\n  rank      : 1 (local_rank: 1)\n"
    assert launch.failing_rank(log, tmp_path) == (1, "Traceback (most recent call last):\nValueError: boom")
    assert launch.failing_rank("no summary", tmp_path)[0] == 0


# ---------------------------------------------------------------- TensorFlow logical devices
@pytest.mark.skipif(SKIP_SLOW, reason="imports TensorFlow (COURSE_SKIP_SLOW=1)")
def test_split_cpu_makes_devices_before_start_up_and_explains_after_it():
    code = textwrap.dedent("""
        import tensorflow as tf
        from course_utils.distributed.tf_devices import split_cpu
        assert split_cpu(2) == ["/device:CPU:0", "/device:CPU:1"]
        tf.constant(1.0)                      # the runtime starts here
        assert split_cpu(2) == ["/device:CPU:0", "/device:CPU:1"]   # asking again for the same is fine
        try:
            split_cpu(3)
        except RuntimeError as err:
            assert "restart the kernel" in str(err)
        else:
            raise AssertionError("split_cpu(3) after start-up should raise")
    """)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
