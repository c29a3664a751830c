"""The PyTorch training loop of lesson 06b, saved for reuse: one step, one epoch, evaluation, fit.

For classifiers that output logits (n, k) and take integer labels (n,), e.g. with
``nn.CrossEntropyLoss``.

    history = fit(model, train_loader, val_loader, nn.CrossEntropyLoss(), optimizer, epochs=10,
                  device=device, live=LiveLoss("MLP", ("loss", "accuracy")))

Each epoch logs {"loss", "accuracy", "val_loss", "val_accuracy"} (training values are averaged
over the batches as they were seen, like Keras) to ``history`` and, if given, to a
``course_utils.live.LiveLoss``. A ``tqdm.auto`` bar shows the epochs.
"""
from __future__ import annotations

import numbers
import time

import torch
from torch import nn

METRICS = ("loss", "accuracy", "val_loss", "val_accuracy")


def _check_model(model) -> None:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")


def _model_device(model: nn.Module) -> torch.device:
    first = next(model.parameters(), None)
    return first.device if first is not None else torch.device(torch.get_default_device())


def accuracy(logits, labels) -> float:
    """Fraction of rows of ``logits`` (n, k) whose largest entry is at the index ``labels`` (n,) gives."""
    logits, labels = torch.as_tensor(logits), torch.as_tensor(labels)
    if logits.ndim != 2:
        raise ValueError(f"logits must have shape (n, k), got {tuple(logits.shape)}")
    if labels.ndim != 1 or len(labels) != len(logits):
        raise ValueError(f"labels must have shape ({len(logits)},), got {tuple(labels.shape)}")
    if len(labels) == 0:
        raise ValueError("accuracy needs at least one example")
    return (logits.argmax(dim=1) == labels.to(logits.device)).float().mean().item()


def train_step(model, loss_fn, optimizer, x, y) -> float:
    """One update: zero the gradients, forward, loss, backward, step. Returns the batch loss."""
    optimizer.zero_grad()          # forget the gradients of the previous step
    logits = model(x)              # forward pass
    loss = loss_fn(logits, y)      # loss
    loss.backward()                # backpropagation fills p.grad for every parameter p
    optimizer.step()               # p <- p - lr * p.grad (for plain SGD)
    return loss.item()


def _step(model, loss_fn, optimizer, x, y):
    """``train_step``, and the logits it computed (kept by a forward hook, removed afterwards): in 06a's graded
    release ``train_step`` runs the learner's answer, and no second copy of the five steps is left here."""
    seen = []
    handle = model.register_forward_hook(lambda module, inputs, output: seen.append(output.detach()))
    try:
        loss = train_step(model, loss_fn, optimizer, x, y)
    finally:
        handle.remove()
    return loss, seen[-1]


def train_epoch(model, loader, loss_fn, optimizer, device=None) -> tuple[float, float]:
    """One pass over ``loader`` in training mode. Returns (mean loss, accuracy) over its examples."""
    _check_model(model)
    device = _model_device(model) if device is None else torch.device(device)
    model.train()
    total_loss, correct, seen = 0.0, 0.0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        loss, logits = _step(model, loss_fn, optimizer, x, y)
        correct += accuracy(logits, y) * len(y)   # accuracy of the batch as it was seen
        total_loss += loss * len(y)
        seen += len(y)
    if seen == 0:
        raise ValueError("the training loader gave no batches")
    return total_loss / seen, correct / seen


def evaluate(model, loader, loss_fn, device=None) -> tuple[float, float]:
    """Mean loss and accuracy over every example of ``loader``, in eval mode and without gradients."""
    _check_model(model)
    device = _model_device(model) if device is None else torch.device(device)
    model.eval()                   # dropout off, batch norm uses its running statistics
    total_loss, correct, seen = 0.0, 0.0, 0
    with torch.no_grad():          # no graph is recorded: faster, and less memory
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            total_loss += loss_fn(logits, y).item() * len(y)
            correct += accuracy(logits, y) * len(y)
            seen += len(y)
    if seen == 0:
        raise ValueError("the evaluation loader gave no batches")
    return total_loss / seen, correct / seen


def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs, device=None, live=None,
        progress: bool = True, title: str = "Training") -> dict[str, list[float]]:
    """Train for ``epochs`` epochs, evaluating on ``val_loader`` after each one.

    Returns {"loss", "accuracy", "val_loss", "val_accuracy", "seconds"}: one value per epoch
    ("seconds" is the training time of the epoch, evaluation excluded). ``live`` is an optional
    LiveLoss (or anything with ``update(epoch, logs)`` and ``finish()``).
    """
    from tqdm.auto import trange

    _check_model(model)
    if isinstance(epochs, bool) or not isinstance(epochs, numbers.Integral) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    if live is not None and not (callable(getattr(live, "update", None)) and callable(getattr(live, "finish", None))):
        raise TypeError("live must be a LiveLoss (something with update(epoch, logs) and finish())")
    device = _model_device(model) if device is None else torch.device(device)
    history: dict[str, list[float]] = {name: [] for name in (*METRICS, "seconds")}
    for epoch in trange(int(epochs), desc=title, disable=not progress, leave=False):
        start = time.perf_counter()
        loss, acc = train_epoch(model, train_loader, loss_fn, optimizer, device)
        seconds = time.perf_counter() - start
        val_loss, val_acc = evaluate(model, val_loader, loss_fn, device)
        logs = dict(zip(METRICS, (loss, acc, val_loss, val_acc)))
        for name, value in {**logs, "seconds": seconds}.items():
            history[name].append(value)
        if live is not None:
            live.update(epoch, logs)
    if live is not None:
        live.finish()
    return history
