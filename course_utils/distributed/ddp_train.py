"""A data-parallel training script for torchrun, and its single-process twin.

Run it on 2 processes of one machine:

    torchrun --nproc-per-node=2 -m course_utils.distributed.ddp_train --epochs 2 --out result.npz

Every process (rank) builds the same model, reads its own part of each epoch through
``DistributedSampler`` and trains a ``DistributedDataParallel`` copy of the model, which averages the
gradients of all ranks (all-reduce) during ``backward()``. Only rank 0 prints and saves.
``train_single`` trains the same model on the same global batches in one process, without torchrun.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np


def make_data(samples: int, features: int, classes: int, seed: int):
    """A synthetic classification set (float32 inputs, int64 labels from a random linear teacher)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(samples, features)).astype(np.float32)
    y = (X @ rng.normal(size=(features, classes))).argmax(axis=1).astype(np.int64)
    return X, y


def make_model(features: int, hidden: int, classes: int, seed: int):
    """An MLP with two hidden ReLU layers; the seed makes it identical on every rank."""
    import torch
    from torch import nn

    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(features, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                         nn.Linear(hidden, classes))


def check_sizes(samples: int, batch: int, world_size: int) -> None:
    """Equal local batches on every rank and no padding, so DDP's average equals the global-batch mean."""
    if batch % world_size or samples % batch:
        raise ValueError(f"the global batch {batch} must divide the {samples} samples and be divisible by the "
                         f"{world_size} processes")


def train_single(samples=4096, features=32, hidden=64, classes=4, batch=128, epochs=1, lr=0.1, seed=0):
    """One process, the same global batches as the DDP run (DistributedSampler's shuffled order)."""
    import torch

    X, y = (torch.from_numpy(a) for a in make_data(samples, features, classes, seed))
    model = make_model(features, hidden, classes, seed)
    optimizer, loss_fn = torch.optim.SGD(model.parameters(), lr=lr), torch.nn.CrossEntropyLoss()
    losses = []
    for epoch in range(epochs):
        order = torch.randperm(samples, generator=torch.Generator().manual_seed(seed + epoch))
        total = 0.0
        for start in range(0, samples, batch):
            rows = order[start:start + batch]
            optimizer.zero_grad()
            loss = loss_fn(model(X[rows]), y[rows])
            loss.backward()
            optimizer.step()
            total += loss.item()
        losses.append(total / (samples // batch))
    return {name: p.detach().numpy().copy() for name, p in model.named_parameters()}, np.array(losses)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name, default in [("samples", 4096), ("features", 32), ("hidden", 64), ("classes", 4), ("batch", 128),
                          ("epochs", 1), ("seed", 0), ("fail_rank", -1), ("allreduce_repeats", 20)]:
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, default=default)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--backend", choices=["auto", "gloo", "nccl"], default="auto")
    parser.add_argument("--out", default="", help="rank 0 saves parameters and timings here (.npz)")
    return parser.parse_args(argv)


def main(argv=None) -> None:
    """Parse the arguments and train; ``record`` writes an error file that names the rank that failed first."""
    from torch.distributed.elastic.multiprocessing.errors import record

    record(run)(parse_args(argv))


def run(args) -> None:
    """Join the process group, train, let rank 0 save, leave the group."""
    import torch
    import torch.distributed as dist

    backend = args.backend if args.backend != "auto" else ("nccl" if torch.cuda.is_available() else "gloo")
    dist.init_process_group(backend)               # reads RANK, WORLD_SIZE, MASTER_ADDR/PORT set by torchrun
    rank, world = dist.get_rank(), dist.get_world_size()
    try:
        device = torch.device("cpu")
        if backend == "nccl":                      # one GPU per process
            device = torch.device("cuda", int(os.environ["LOCAL_RANK"]))
            torch.cuda.set_device(device)
        dist.barrier()                             # every rank has joined
        if rank == args.fail_rank:
            raise RuntimeError(f"rank {rank} failed on purpose (--fail-rank {args.fail_rank})")
        check_sizes(args.samples, args.batch, world)
        result = train(args, rank, world, device)
        if rank == 0 and args.out:
            np.savez(args.out, **result)
        dist.barrier()                             # no rank leaves while another still communicates
    finally:
        dist.destroy_process_group()


def train(args, rank: int, world: int, device) -> dict:
    """The DDP training loop; returns what rank 0 saves (parameters, losses, timings)."""
    import torch
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel as DDP
    from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

    X, y = make_data(args.samples, args.features, args.classes, args.seed)
    dataset = TensorDataset(torch.from_numpy(X), torch.from_numpy(y))
    sampler = DistributedSampler(dataset, shuffle=True, seed=args.seed)   # this rank's share of each epoch
    loader = DataLoader(dataset, batch_size=args.batch // world, sampler=sampler)
    model = DDP(make_model(args.features, args.hidden, args.classes, args.seed).to(device))
    optimizer, loss_fn = torch.optim.SGD(model.parameters(), lr=args.lr), torch.nn.CrossEntropyLoss()
    losses, seconds = [], []
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)                  # a new shuffle each epoch, the same on every rank
        dist.barrier()
        start, total = time.perf_counter(), torch.zeros(1, device=device)
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb.to(device)), yb.to(device))
            loss.backward()                        # DDP all-reduces (averages) the gradients here
            optimizer.step()
            total += loss.detach()
        dist.barrier()
        seconds.append(time.perf_counter() - start)
        dist.all_reduce(total)                     # the mean loss over all ranks, for the report
        losses.append(total.item() / world / len(loader))
        if rank == 0:
            print(f"epoch {epoch + 1}: loss {losses[-1]:.4f}, {seconds[-1]:.3f} s on {world} process(es)",
                  flush=True)
    params = {f"param:{name}": p.detach().cpu().numpy() for name, p in model.module.named_parameters()}
    return {**params, "losses": np.array(losses), "epoch_seconds": np.array(seconds),
            "allreduce_seconds": np.array(time_allreduce(model.module, args.allreduce_repeats, device)),
            "world_size": np.array(world), "steps_per_epoch": np.array(len(loader))}


def time_allreduce(model, repeats: int, device) -> float:
    """Seconds for one all-reduce of a buffer as large as all the gradients (0 on one process)."""
    import torch
    import torch.distributed as dist

    if dist.get_world_size() == 1 or repeats < 1:
        return 0.0
    flat = torch.zeros(sum(p.numel() for p in model.parameters()), device=device)
    dist.all_reduce(flat)                          # warm-up
    dist.barrier()
    start = time.perf_counter()
    for _ in range(repeats):
        dist.all_reduce(flat)
    return (time.perf_counter() - start) / repeats


def load_result(path) -> dict:
    """Read what rank 0 saved: ``params`` (name -> array) and the other entries as numbers or arrays."""
    with np.load(path) as data:
        result = {key: data[key] for key in data.files if not key.startswith("param:")}
        result["params"] = {key[len("param:"):]: data[key] for key in data.files if key.startswith("param:")}
    return {key: value.item() if isinstance(value, np.ndarray) and value.ndim == 0 else value
            for key, value in result.items()}


if __name__ == "__main__":
    main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # skip interpreter teardown, where gloo's background threads can abort a finished run
