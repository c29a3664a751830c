"""course_utils.digit_models: lesson 05's CNN and lesson 06b's MLP in PyTorch, and the quick trainer."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from course_utils import digit_models  # noqa: E402


@pytest.mark.parametrize("build, n_params", [
    (digit_models.digit_cnn, (9 + 1) * 16 + (9 * 16 + 1) * 32 + (32 * 5 * 5 + 1) * 10),
    (digit_models.digit_mlp, 784 * 256 + 256 + 256 * 64 + 64 + 64 * 10 + 10),
    (lambda: digit_models.DigitMLP(784, 256, 64, 10, dropout=0.3), 784 * 256 + 256 + 256 * 64 + 64 + 64 * 10 + 10),
], ids=["cnn", "mlp", "mlp with dropout"])
def test_the_models_take_28x28_images_and_give_10_logits(build, n_params):
    model = build().eval()
    assert sum(p.numel() for p in model.parameters()) == n_params
    assert model(torch.zeros(3, 28, 28)).shape == (3, 10)


def test_digit_mlp_drops_only_in_training_mode():
    torch.manual_seed(0)
    model, images = digit_models.DigitMLP(784, 32, 16, 10, dropout=0.5), torch.rand(4, 28, 28)
    assert not torch.equal(model.train()(images), model(images))
    assert torch.equal(model.eval()(images), model(images))
    assert list(model.state_dict()) == [f"{layer}.{kind}" for layer in ("hidden1", "hidden2", "output")
                                        for kind in ("weight", "bias")]


def blobs(n=200, seed=0):
    """Two classes of 28x28 images: a bright square on the left or on the right."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    images = 0.1 * rng.random((n, 28, 28))
    for image, label in zip(images, labels):
        image[10:18, 4:12] += label == 0
        image[10:18, 16:24] += label == 1
    return images, labels


def test_train_quickly_learns_and_is_reproducible():
    images, labels = blobs()
    models = []
    for _ in range(2):
        torch.manual_seed(0)                                  # the same starting weights
        models.append(digit_models.digit_mlp(32, 16))
    first, second = models
    losses = digit_models.train_quickly(first, images, labels, epochs=3, seed=1)
    again = digit_models.train_quickly(second, images, labels, epochs=3, seed=1)
    assert losses == again and losses[-1] < losses[0]
    assert all(torch.equal(p, q) for p, q in zip(first.parameters(), second.parameters()))
    assert not first.training
    assert digit_models.accuracy_on(first, images, labels) > 0.95


@pytest.mark.parametrize("epochs", [0, -1, 1.5, True])
def test_train_quickly_rejects_bad_epochs(epochs):
    images, labels = blobs(10)
    with pytest.raises(ValueError, match="epochs"):
        digit_models.train_quickly(digit_models.digit_mlp(8, 8), images, labels, epochs=epochs)


def test_train_quickly_rejects_mismatched_labels():
    images, labels = blobs(10)
    with pytest.raises(ValueError, match="labels"):
        digit_models.train_quickly(digit_models.digit_mlp(8, 8), images, labels[:5])
