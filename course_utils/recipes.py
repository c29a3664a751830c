"""Training recipes for the "full run" of lessons 05 (Keras CNN) and 06 (PyTorch MLP).

A recipe is a model plus how to train it (batch size, learning-rate schedule, epochs).
``run_keras`` and ``run_torch_mlp`` train one recipe on the full training set, time every epoch
(training only) and measure accuracy after it; ``plot_frontier`` draws accuracy against
training time for several runs. Frameworks are imported inside the functions.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class CnnRecipe:
    """Conv(filters1) -> pool -> Conv(filters2) -> pool -> [Dense(dense)] -> dropout -> softmax."""

    name: str
    filters1: int = 16
    filters2: int = 32
    dense: int = 0              # 0: no hidden dense layer (the lesson's CNN)
    dropout: float = 0.3
    batch_size: int = 64
    learning_rate: float = 0.003
    epochs: int = 8
    schedule: str = "constant"  # or "one-cycle": half an epoch of warm-up, then cosine decay to 0


KERAS_RECIPES = (
    CnnRecipe("lesson CNN 16/32, Adam 0.003, batch 64"),
    CnnRecipe("16/32 + Dense(128), batch 128, one-cycle", dense=128, batch_size=128, epochs=10,
              schedule="one-cycle"),
    CnnRecipe("32/64 + Dense(128), batch 128, one-cycle", filters1=32, filters2=64, dense=128,
              dropout=0.4, batch_size=128, learning_rate=0.002, epochs=6, schedule="one-cycle"),
)
BEST_KERAS_RECIPE = KERAS_RECIPES[1]


@dataclass
class RunResult:
    """Per epoch: training seconds and accuracy on the evaluation set."""

    name: str
    epoch_seconds: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)

    @property
    def cumulative_seconds(self) -> np.ndarray:
        return np.cumsum(self.epoch_seconds)

    def best_within(self, seconds: float) -> float:
        """The best accuracy reached after an epoch that ended within ``seconds`` of training."""
        reached = [acc for acc, t in zip(self.accuracy, self.cumulative_seconds) if t <= seconds]
        return max(reached, default=float("nan"))

    def table(self) -> str:
        lines = [f"{self.name}", "  epoch  seconds  total s  accuracy"]
        lines += [f"  {i:5d}  {s:7.1f}  {t:7.1f}  {a:8.4f}" for i, (s, t, a) in
                  enumerate(zip(self.epoch_seconds, self.cumulative_seconds, self.accuracy), 1)]
        return "\n".join(lines)


def build_recipe_cnn(recipe: CnnRecipe, n_classes: int = 10):
    """The Keras model of ``recipe`` for 28x28x1 images."""
    import keras
    from keras import layers

    hidden = [layers.Dense(recipe.dense, activation="relu")] if recipe.dense else []
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(recipe.filters1, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Conv2D(recipe.filters2, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Flatten(), *hidden, layers.Dropout(recipe.dropout),
        layers.Dense(n_classes, activation="softmax"),
    ])


def learning_rate(recipe, steps_per_epoch: int):
    """A constant rate, or one cycle: warm up from rate/10 for half an epoch, cosine down to 0."""
    import keras

    if recipe.schedule == "constant":
        return recipe.learning_rate
    if recipe.schedule != "one-cycle":
        raise ValueError(f"unknown schedule {recipe.schedule!r}; use 'constant' or 'one-cycle'")
    warmup = max(1, steps_per_epoch // 2)
    return keras.optimizers.schedules.CosineDecay(
        recipe.learning_rate / 10, decay_steps=recipe.epochs * steps_per_epoch - warmup,
        warmup_target=recipe.learning_rate, warmup_steps=warmup)


def run_keras(recipe: CnnRecipe, x_train, y_train, x_eval, y_eval, *, seed: int = 0,
              epochs: int | None = None) -> tuple[object, RunResult]:
    """Train ``recipe`` on images (n, 28, 28, 1) in [0, 1]; eval-set accuracy after each epoch."""
    import keras

    keras.utils.set_random_seed(seed)
    model = build_recipe_cnn(recipe, int(max(y_train.max(), y_eval.max())) + 1)
    steps = int(np.ceil(len(x_train) / recipe.batch_size))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate(recipe, steps)),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    result = RunResult(recipe.name)
    for _ in range(recipe.epochs if epochs is None else epochs):
        start = time.perf_counter()
        model.fit(x_train, y_train, batch_size=recipe.batch_size, epochs=1, verbose=0)
        result.epoch_seconds.append(time.perf_counter() - start)
        result.accuracy.append(float(model.evaluate(x_eval, y_eval, batch_size=1000, verbose=0)[1]))
    return model, result


@dataclass(frozen=True)
class MlpRecipe:
    """784 -> hidden -> hidden -> 10 ReLU MLP, trained with Adam on standardized pixels."""

    name: str = "MLP 784-256-64-10, Adam 1e-3, batch 128, one-cycle"
    hidden: tuple[int, ...] = (256, 64)
    batch_size: int = 128
    learning_rate: float = 0.001
    epochs: int = 12
    schedule: str = "one-cycle"


def run_torch_mlp(recipe: MlpRecipe, x_train, y_train, x_eval, y_eval, *,
                  seed: int = 0) -> tuple[object, RunResult]:
    """Train the MLP of ``recipe`` on uint8 images (n, 28, 28); eval accuracy after each epoch."""
    import torch
    from torch import nn

    torch.manual_seed(seed)
    x = torch.tensor(x_train, dtype=torch.float32).flatten(1) / 255
    mean, std = x.mean(), x.std()
    x = (x - mean) / std
    x_eval_t = (torch.tensor(x_eval, dtype=torch.float32).flatten(1) / 255 - mean) / std
    y, y_eval_t = torch.tensor(y_train, dtype=torch.int64), torch.tensor(y_eval, dtype=torch.int64)
    sizes = (x.shape[1], *recipe.hidden, int(max(y.max(), y_eval_t.max())) + 1)
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(n_in, n_out), nn.ReLU()]
    model = nn.Sequential(*layers[:-1])
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe.learning_rate)
    steps = int(np.ceil(len(y) / recipe.batch_size))
    scheduler = None
    if recipe.schedule == "one-cycle":
        scheduler = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=recipe.learning_rate, total_steps=recipe.epochs * steps)
    generator = torch.Generator().manual_seed(seed)
    loss_fn, result = nn.CrossEntropyLoss(), RunResult(recipe.name)
    for _ in range(recipe.epochs):
        start = time.perf_counter()
        model.train()
        for batch in torch.randperm(len(y), generator=generator).split(recipe.batch_size):
            optimizer.zero_grad()
            loss_fn(model(x[batch]), y[batch]).backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
        result.epoch_seconds.append(time.perf_counter() - start)
        model.eval()
        with torch.no_grad():
            result.accuracy.append((model(x_eval_t).argmax(1) == y_eval_t).float().mean().item())
    return model, result


def plot_frontier(results, *, budget_s: float = 120.0, target: float | None = None,
                  title: str = "Accuracy versus training time", ylabel: str = "test accuracy"):
    """One line per run: accuracy after each epoch against the training seconds so far."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for result in results:
        ax.plot(result.cumulative_seconds, result.accuracy, "o-", label=result.name)
    ax.axvline(budget_s, color="gray", ls="--", label=f"budget {budget_s:g} s")
    if target is not None:
        ax.axhline(target, color="red", ls=":", label=f"target {target:g}")
    ax.set(title=title, xlabel="training time (s, cumulative)", ylabel=ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


def full_runs_report(plot_path) -> bool:
    """Every Keras recipe and the MLP on all of real Fashion-MNIST: per-epoch tables, frontier.

    True if the best CNN recipe reaches 0.90 within 120 s and the MLP 0.88 within 60 s of training.
    """
    from pathlib import Path

    from . import data

    fashion = data.load_images("fashion_mnist", offline=True)
    if fashion.is_fallback:
        raise RuntimeError("the full runs need real Fashion-MNIST")
    x_train = fashion.x_train[..., None].astype("float32") / 255.0
    x_test = fashion.x_test[..., None].astype("float32") / 255.0
    runs = []
    for recipe in KERAS_RECIPES:
        runs.append(run_keras(recipe, x_train, fashion.y_train, x_test, fashion.y_test)[1])
        print(runs[-1].table(), flush=True)
    runs.append(run_torch_mlp(MlpRecipe(), fashion.x_train, fashion.y_train,
                              fashion.x_test, fashion.y_test)[1])
    print(runs[-1].table(), flush=True)
    plot_path = Path(plot_path)
    plot_path.parent.mkdir(parents=True, exist_ok=True)
    plot_frontier(runs, target=0.91, title="Real Fashion-MNIST, all 60,000 training images"
                  ).savefig(plot_path, dpi=120)
    cnn = runs[KERAS_RECIPES.index(BEST_KERAS_RECIPE)].best_within(120.0)
    mlp = runs[-1].best_within(60.0)
    print(f"\nCNN full run ({BEST_KERAS_RECIPE.name}): best test accuracy within 120 s of training "
          f"{cnn:.4f} (target 0.91, floor 0.90)\nMLP full run: best test accuracy within 60 s "
          f"{mlp:.4f} (target 0.88)\nfrontier plot: {plot_path}")
    return cnn >= 0.90 and mlp >= 0.88


if __name__ == "__main__":
    import sys

    sys.exit(0 if full_runs_report(sys.argv[1] if len(sys.argv) > 1 else "frontier.png") else 1)
