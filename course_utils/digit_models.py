"""Small PyTorch models for 28x28 images and a quick trainer, for lessons 06c and 07.

The CNN is built like lesson 05's, the MLPs like lesson 06b's: ``DigitMLP`` is 06b's exercise 3 (with
dropout), ``digit_mlp`` the same network without dropout.

They take a batch of images (n, 28, 28) and return one logit per class.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn


class DigitMLP(nn.Module):
    """Flatten, then Linear - ReLU - Dropout twice, then Linear: the logits (no softmax, no dropout on them)."""

    def __init__(self, n_in, n_hidden1, n_hidden2, n_out, dropout=0.0):
        super().__init__()
        self.hidden1 = nn.Linear(n_in, n_hidden1)
        self.hidden2 = nn.Linear(n_hidden1, n_hidden2)
        self.output = nn.Linear(n_hidden2, n_out)
        self.dropout = nn.Dropout(dropout)           # no weights: one module serves both hidden layers

    def forward(self, x):
        x = self.dropout(torch.relu(self.hidden1(x.flatten(start_dim=1))))
        return self.output(self.dropout(torch.relu(self.hidden2(x))))


def digit_cnn():
    """Lesson 05's CNN: Conv(16, 3) - ReLU - MaxPool - Conv(32, 3) - ReLU - MaxPool - Dropout(0.3) - Dense(10)."""
    return nn.Sequential(nn.Unflatten(1, (1, 28)),                      # (n, 28, 28) -> (n, 1, 28, 28)
                         nn.Conv2d(1, 16, 3), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(16, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Dropout(0.3), nn.Linear(32 * 5 * 5, 10))


def digit_mlp(hidden1: int = 256, hidden2: int = 64):
    """Lesson 06b's MLP without its dropout: flatten, then 784 - hidden1 - hidden2 - 10 with ReLU between the layers."""
    return nn.Sequential(nn.Flatten(), nn.Linear(784, hidden1), nn.ReLU(), nn.Linear(hidden1, hidden2), nn.ReLU(),
                         nn.Linear(hidden2, 10))


def train_quickly(model, images, labels, epochs: int = 5, batch_size: int = 32, lr: float = 1e-3,
                  seed: int = 0) -> list[float]:
    """Train ``model`` with Adam and cross-entropy on numpy images (n, 28, 28) in [0, 1]; return epoch losses.

    The same starting weights and the same seed give the same trained weights (the seed fixes the
    order of the examples and dropout). The model is left in eval mode.
    """
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"epochs must be a positive whole number, got {epochs!r}")
    x = torch.as_tensor(np.asarray(images, dtype=np.float32))
    y = torch.as_tensor(np.asarray(labels, dtype=np.int64))
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(f"need as many labels as images (and at least one), got {len(x)} and {len(y)}")
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn, losses = nn.CrossEntropyLoss(), []
    model.train()
    for _ in range(int(epochs)):
        order, total = torch.randperm(len(x), generator=generator), 0.0
        for start in range(0, len(x), batch_size):
            batch = order[start:start + batch_size]
            optimizer.zero_grad()
            loss = loss_fn(model(x[batch]), y[batch])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        losses.append(total / len(x))
    model.eval()
    return losses


def accuracy_on(model, images, labels) -> float:
    """Fraction of ``images`` that ``model`` classifies as ``labels`` (numpy inputs, eval mode)."""
    model.eval()
    with torch.no_grad():
        predicted = model(torch.as_tensor(np.asarray(images, dtype=np.float32))).argmax(dim=1).numpy()
    return float(np.mean(predicted == np.asarray(labels)))
