"""Training recipes for the "full run" of lessons 05 (Keras CNN) and 06 (PyTorch MLP).

A recipe is a model plus how to train it (batch size, learning-rate schedule, epochs).
``run_keras`` and ``run_torch_mlp`` hold out a seeded **validation** split of the training
images, train one recipe on the rest, time every epoch (training only) and measure the
validation accuracy after it. The epoch to keep is chosen on validation only: the best validation
accuracy among the epochs that ended within the training-time budget. Its weights are restored and
the **test** set is used once, for that epoch: ``RunResult.test_accuracy``. There is no
"best test accuracy over epochs" here, on purpose: choosing an epoch by its test accuracy would
make the test accuracy an optimistic, not an honest, estimate.

``plot_frontier`` draws validation accuracy against training time for several runs, with each
run's chosen epoch and its test accuracy. Frameworks are imported inside the functions.

    model, run = run_torch_mlp(MlpRecipe(), x_train, y_train, x_test, y_test, budget_s=60.0)
    run.chosen_epoch, run.test_accuracy       # chosen on validation; the test set used once
"""
from __future__ import annotations

import copy
import math
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


VALIDATION_FRACTION = 0.1   # of the training images, held out to choose the epoch


def split_validation(x, y, fraction: float = VALIDATION_FRACTION, seed: int = 0):
    """A seeded random split of the training images: ((x_fit, y_fit), (x_val, y_val))."""
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must be between 0 and 1, got {fraction!r}")
    if len(x) != len(y):
        raise ValueError(f"{len(x)} images but {len(y)} labels")
    n_val = int(round(fraction * len(y)))
    if not 0 < n_val < len(y):
        raise ValueError(f"{len(y)} images are too few for a validation fraction of {fraction}")
    order = np.random.default_rng(seed).permutation(len(y))
    fit, val = np.sort(order[n_val:]), np.sort(order[:n_val])
    return (x[fit], y[fit]), (x[val], y[val])


@dataclass
class RunResult:
    """Per epoch: training seconds and validation accuracy; then the chosen epoch and its test accuracy.

    ``chosen_epoch`` (1-based) has the best validation accuracy among the epochs that ended
    within ``budget_s`` seconds of training (the earliest on a tie); ``test_accuracy`` is the
    accuracy of that epoch's weights on the test set, measured once. Both are None before a run
    has chosen (or when no epoch ended within the budget: then the test set is never used).
    """

    name: str
    epoch_seconds: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    budget_s: float = math.inf
    chosen_epoch: int | None = None
    test_accuracy: float | None = None

    @property
    def cumulative_seconds(self) -> np.ndarray:
        return np.cumsum(self.epoch_seconds)

    def choose(self, budget_s: float | None = None) -> int | None:
        """The 1-based epoch with the best validation accuracy among those ended within the budget."""
        budget = self.budget_s if budget_s is None else budget_s
        within = [(acc, -epoch) for epoch, (acc, t) in
                  enumerate(zip(self.val_accuracy, self.cumulative_seconds), 1) if t <= budget]
        return -max(within)[1] if within else None

    def table(self) -> str:
        budget = "" if math.isinf(self.budget_s) else f", budget {self.budget_s:g} s of training"
        lines = [f"{self.name}{budget}", "  epoch  seconds  total s  val. accuracy"]
        lines += [f"  {i:5d}  {s:7.1f}  {t:7.1f}  {a:13.4f}" + ("  <- chosen" if i == self.chosen_epoch else "")
                  for i, (s, t, a) in enumerate(zip(self.epoch_seconds, self.cumulative_seconds,
                                                    self.val_accuracy), 1)]
        if self.chosen_epoch is None:
            lines.append("  no epoch chosen (none ended within the budget): the test set was not used")
        else:
            lines.append(f"  test accuracy of epoch {self.chosen_epoch}, measured once: "
                         f"{self.test_accuracy:.4f}")
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


def run_keras(recipe: CnnRecipe, x_train, y_train, x_test, y_test, *, budget_s: float | None = None,
              val_fraction: float = VALIDATION_FRACTION, seed: int = 0,
              epochs: int | None = None) -> tuple[object, RunResult]:
    """Train ``recipe`` on images (n, 28, 28, 1) in [0, 1] minus a validation split; see the module doc.

    Returns the model with the weights of the chosen epoch, and the run's record.
    """
    import keras

    (x_fit, y_fit), (x_val, y_val) = split_validation(x_train, y_train, val_fraction, seed)
    keras.utils.set_random_seed(seed)
    model = build_recipe_cnn(recipe, int(y_train.max()) + 1)   # classes from the training labels
    steps = int(np.ceil(len(x_fit) / recipe.batch_size))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate(recipe, steps)),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    result = RunResult(recipe.name, budget_s=math.inf if budget_s is None else float(budget_s))
    best = None
    for _ in range(recipe.epochs if epochs is None else epochs):
        start = time.perf_counter()
        model.fit(x_fit, y_fit, batch_size=recipe.batch_size, epochs=1, verbose=0)
        result.epoch_seconds.append(time.perf_counter() - start)
        result.val_accuracy.append(float(model.evaluate(x_val, y_val, batch_size=1000, verbose=0)[1]))
        if result.choose() == len(result.val_accuracy):          # this epoch is the best so far
            best = model.get_weights()                            # numpy copies
    result.chosen_epoch = result.choose()
    if best is not None:
        model.set_weights(best)
        result.test_accuracy = float(model.evaluate(x_test, y_test, batch_size=1000, verbose=0)[1])
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


def run_torch_mlp(recipe: MlpRecipe, x_train, y_train, x_test, y_test, *, budget_s: float | None = None,
                  val_fraction: float = VALIDATION_FRACTION, seed: int = 0) -> tuple[object, RunResult]:
    """Train the MLP of ``recipe`` on uint8 images (n, 28, 28) minus a validation split; see the module doc.

    Pixels are standardized with the mean and standard deviation of the images it trains on.
    Returns the model with the weights of the chosen epoch, and the run's record.
    """
    import torch
    from torch import nn

    (x_fit, y_fit), (x_val, y_val) = split_validation(x_train, y_train, val_fraction, seed)
    torch.manual_seed(seed)
    x = torch.tensor(x_fit, dtype=torch.float32).flatten(1) / 255
    mean, std = x.mean(), x.std()
    x = (x - mean) / std

    def prepare(images, labels):
        return ((torch.tensor(images, dtype=torch.float32).flatten(1) / 255 - mean) / std,
                torch.tensor(labels, dtype=torch.int64))

    (x_val_t, y_val_t), y = prepare(x_val, y_val), torch.tensor(y_fit, dtype=torch.int64)
    sizes = (x.shape[1], *recipe.hidden, int(y_train.max()) + 1)   # classes from the training labels
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(n_in, n_out), nn.ReLU()]
    model = nn.Sequential(*layers[:-1])
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe.learning_rate)
    steps = int(np.ceil(len(y) / recipe.batch_size))
    scheduler = None
    if recipe.schedule == "one-cycle":
        scheduler = one_cycle(optimizer, recipe.learning_rate, recipe.epochs * steps)
    elif recipe.schedule != "constant":
        raise ValueError(f"unknown schedule {recipe.schedule!r}; use 'constant' or 'one-cycle'")
    generator = torch.Generator().manual_seed(seed)
    loss_fn = nn.CrossEntropyLoss()
    result = RunResult(recipe.name, budget_s=math.inf if budget_s is None else float(budget_s))
    best = None
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
            result.val_accuracy.append((model(x_val_t).argmax(1) == y_val_t).float().mean().item())
        if result.choose() == len(result.val_accuracy):          # this epoch is the best so far
            best = copy.deepcopy(model.state_dict())              # a copy: state_dict() shares memory
    result.chosen_epoch = result.choose()
    if best is not None:
        model.load_state_dict(best)
        x_test_t, y_test_t = prepare(x_test, y_test)
        with torch.no_grad():
            result.test_accuracy = (model(x_test_t).argmax(1) == y_test_t).float().mean().item()
    return model, result


def one_cycle(optimizer, peak_lr: float, total_steps: int):
    """The MLP recipe's schedule: PyTorch's OneCycleLR with its defaults (the learning rate from peak/25 up to the
    peak over the first 30 % of the steps, then a cosine down to peak/250,000; Adam's beta1 from 0.95 to 0.85 and
    back, against it)."""
    import torch

    return torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=peak_lr, total_steps=total_steps)


def plot_frontier(results, *, budget_s: float = 120.0, target: float | None = None,
                  title: str = "Validation accuracy versus training time"):
    """One line per run: validation accuracy after each epoch against the training seconds so far.

    A run that has chosen an epoch also shows its test accuracy, measured once for that epoch, as
    a star above the chosen epoch's time.
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for result in results:
        line, = ax.plot(result.cumulative_seconds, result.val_accuracy, "o-",
                        label=f"{result.name} (validation)")
        if result.chosen_epoch is not None and result.test_accuracy is not None:
            ax.plot([result.cumulative_seconds[result.chosen_epoch - 1]], [result.test_accuracy], "*",
                    color=line.get_color(), markersize=13, markeredgecolor="black",
                    label=f"test accuracy of its chosen epoch {result.chosen_epoch}")
    ax.axvline(budget_s, color="gray", ls="--", label=f"budget {budget_s:g} s")
    if target is not None:
        ax.axhline(target, color="red", ls=":", label=f"target {target:g}")
    ax.set(title=title, xlabel="training time (s, cumulative)", ylabel="accuracy")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


CNN_BUDGET_S, CNN_FLOOR = 120.0, 0.90    # lesson 05's full run: the best recipe
MLP_BUDGET_S, MLP_FLOOR = 60.0, 0.88     # lesson 06c's full run


def full_runs_report(plot_path) -> bool:
    """Every Keras recipe and the MLP on all of real Fashion-MNIST: per-epoch tables, frontier.

    Each run holds out a validation split of the 60,000 training images and chooses its epoch
    there, within its budget (120 s of training for the CNNs, 60 s for the MLP); the test set is
    used once per run. True if the best CNN recipe's chosen epoch reaches 0.90 test accuracy and
    the MLP's 0.88.
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
        runs.append(run_keras(recipe, x_train, fashion.y_train, x_test, fashion.y_test,
                              budget_s=CNN_BUDGET_S)[1])
        print(runs[-1].table(), flush=True)
    runs.append(run_torch_mlp(MlpRecipe(), fashion.x_train, fashion.y_train,
                              fashion.x_test, fashion.y_test, budget_s=MLP_BUDGET_S)[1])
    print(runs[-1].table(), flush=True)
    plot_path = Path(plot_path)
    plot_path.parent.mkdir(parents=True, exist_ok=True)
    plot_frontier(runs, budget_s=CNN_BUDGET_S, target=CNN_FLOOR,
                  title="Real Fashion-MNIST: validation accuracy per epoch, test accuracy once"
                  ).savefig(plot_path, dpi=120)
    cnn, mlp = runs[KERAS_RECIPES.index(BEST_KERAS_RECIPE)], runs[-1]

    def verdict(run, budget, floor):
        if run.test_accuracy is None:
            return f"no epoch ended within {budget:g} s of training (floor {floor})", False
        return (f"epoch {run.chosen_epoch} chosen on validation within {budget:g} s of training, "
                f"test accuracy {run.test_accuracy:.4f} (floor {floor})"), run.test_accuracy >= floor

    (cnn_text, cnn_ok), (mlp_text, mlp_ok) = verdict(cnn, CNN_BUDGET_S, CNN_FLOOR), verdict(
        mlp, MLP_BUDGET_S, MLP_FLOOR)
    print(f"\nCNN full run ({BEST_KERAS_RECIPE.name}): {cnn_text}\nMLP full run: {mlp_text}"
          f"\nfrontier plot: {plot_path}")
    return cnn_ok and mlp_ok


if __name__ == "__main__":
    import sys

    sys.exit(0 if full_runs_report(sys.argv[1] if len(sys.argv) > 1 else "frontier.png") else 1)
