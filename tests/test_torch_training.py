"""Tests for course_utils.torch_training: the step, the loops, fit, and its LiveLoss hook."""
from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

from course_utils import torch_training as tt  # noqa: E402
from course_utils.live import LiveLoss  # noqa: E402


def blobs(n=120, seed=0):
    """Three well-separated Gaussian blobs in 2-D: easy to learn."""
    gen = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 3
    centres = torch.tensor([[0.0, 3.0], [3.0, -2.0], [-3.0, -2.0]])
    return centres[y] + 0.5 * torch.randn(n, 2, generator=gen), y


def run(seed=0, epochs=4, live=None, progress=False):
    """A fresh seeded model and loaders, trained with fit; returns (history, model)."""
    torch.manual_seed(seed)
    x, y = blobs()
    train = DataLoader(TensorDataset(x[:90], y[:90]), batch_size=16, shuffle=True,
                       generator=torch.Generator().manual_seed(seed))
    val = DataLoader(TensorDataset(x[90:], y[90:]), batch_size=16)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    history = tt.fit(model, train, val, nn.CrossEntropyLoss(), optimizer, epochs, live=live, progress=progress)
    return history, model


# ---------------------------------------------------------------- accuracy and one step
def test_accuracy_counts_argmax_hits():
    logits = torch.tensor([[2.0, 1.0], [0.0, 3.0], [5.0, -1.0], [0.2, 0.1]])
    assert tt.accuracy(logits, torch.tensor([0, 1, 1, 1])) == 0.5
    assert tt.accuracy(logits[:1], torch.tensor([0])) == 1.0


@pytest.mark.parametrize("logits, labels", [
    (torch.zeros(4, 3), torch.zeros(5, dtype=torch.long)),
    (torch.zeros(4), torch.zeros(4, dtype=torch.long)),
    (torch.zeros(4, 3), torch.zeros(4, 1, dtype=torch.long)),
    (torch.zeros(0, 3), torch.zeros(0, dtype=torch.long)),
])
def test_accuracy_rejects_bad_shapes(logits, labels):
    with pytest.raises(ValueError):
        tt.accuracy(logits, labels)


def test_train_step_clears_stale_gradients_and_returns_the_loss_before_the_update():
    x, y = blobs(12)
    torch.manual_seed(0)
    model = nn.Linear(2, 3)
    fresh = nn.Linear(2, 3)
    fresh.load_state_dict(model.state_dict())
    for p in model.parameters():
        p.grad = torch.full_like(p, 100.0)   # stale: must be ignored
    before = nn.functional.cross_entropy(model(x), y).item()
    loss = tt.train_step(model, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.1), x, y)
    assert isinstance(loss, float) and math.isclose(loss, before, rel_tol=1e-6)
    # the same step by hand on the copy without stale gradients
    nn.functional.cross_entropy(fresh(x), y).backward()
    with torch.no_grad():
        for p in fresh.parameters():
            p -= 0.1 * p.grad
    for a, b in zip(model.parameters(), fresh.parameters()):
        assert torch.allclose(a, b, atol=1e-6)


# ---------------------------------------------------------------- evaluate
def test_evaluate_averages_over_examples_not_batches_and_tracks_no_gradients():
    x, y = blobs(50)
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(2, 8), nn.Dropout(0.5), nn.Linear(8, 3))
    model.train()
    loader = DataLoader(TensorDataset(x, y), batch_size=16)          # batches of 16, 16, 16, 2
    loss, acc = tt.evaluate(model, loader, nn.CrossEntropyLoss())
    assert not model.training                                         # dropout is off
    with torch.no_grad():
        logits = model(x)
    assert math.isclose(loss, nn.functional.cross_entropy(logits, y).item(), rel_tol=1e-5)
    assert math.isclose(acc, tt.accuracy(logits, y), rel_tol=1e-6)
    assert all(p.grad is None for p in model.parameters())


def test_evaluate_rejects_an_empty_loader_and_a_non_module():
    empty = DataLoader(TensorDataset(torch.zeros(0, 2), torch.zeros(0, dtype=torch.long)), batch_size=4)
    with pytest.raises(ValueError, match="no batches"):
        tt.evaluate(nn.Linear(2, 3), empty, nn.CrossEntropyLoss())
    with pytest.raises(TypeError, match="nn.Module"):
        tt.evaluate(lambda x: x, empty, nn.CrossEntropyLoss())


# ---------------------------------------------------------------- fit and the LiveLoss hook
def test_fit_learns_and_returns_one_value_per_epoch():
    history, _ = run(epochs=5)
    assert set(history) == {"loss", "accuracy", "val_loss", "val_accuracy", "seconds"}
    assert all(len(values) == 5 for values in history.values())
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert history["val_accuracy"][-1] >= 0.95
    assert all(s > 0 for s in history["seconds"])


def test_fit_feeds_live_loss_every_epoch_and_finishes(capsys):
    live = LiveLoss("blobs", metrics=("loss", "accuracy"), total_epochs=3, mode="text")
    history, _ = run(epochs=3, live=live)
    for name in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert live.history[name] == pytest.approx(history[name])
    assert "seconds" not in live.history
    out = capsys.readouterr().out
    assert out.count("blobs | epoch") == 3 and "blobs: 3 epochs in" in out   # three lines, then the summary


def test_fit_accepts_any_object_with_update_and_finish():
    calls = []

    class Recorder:
        def update(self, epoch, logs):
            calls.append((epoch, sorted(logs)))

        def finish(self):
            calls.append("finish")

    run(epochs=2, live=Recorder())
    assert calls == [(0, ["accuracy", "loss", "val_accuracy", "val_loss"]),
                     (1, ["accuracy", "loss", "val_accuracy", "val_loss"]), "finish"]


def test_fit_is_reproducible_with_the_same_seed():
    (h1, m1), (h2, m2), (h3, _) = run(seed=0), run(seed=0), run(seed=1)
    for name in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert h1[name] == h2[name]
    assert all(torch.equal(a, b) for a, b in zip(m1.parameters(), m2.parameters()))
    assert h1["loss"] != h3["loss"]


def test_fit_shows_a_tqdm_bar_when_asked(capsys):
    run(epochs=1, progress=True)
    assert "Training" in capsys.readouterr().err


@pytest.mark.parametrize("epochs", [0, -1, 2.5, True])
def test_fit_rejects_bad_epochs(epochs):
    with pytest.raises(ValueError, match="epochs"):
        run(epochs=epochs)


def test_fit_rejects_a_bad_live_hook():
    with pytest.raises(TypeError, match="live"):
        run(epochs=1, live="yes please")
