"""Tests for course_utils.recipes: full-run recipes, their timing records, the frontier plot."""
from __future__ import annotations

import numpy as np
import pytest

from course_utils import recipes


def blobs(n_per_class=40, classes=3, seed=0):
    """Tiny 28x28 uint8 images: class k is a bright square in its own place."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 40, (n_per_class * classes, 28, 28)).astype(np.uint8)
    y = np.repeat(np.arange(classes), n_per_class).astype(np.uint8)
    for i, k in enumerate(y):
        x[i, 4 + 7 * k: 10 + 7 * k, 8:20] = 250
    order = rng.permutation(len(y))
    return x[order], y[order]


class Untouchable:
    """Stands in for the test set where a run must not look at it: any use raises."""

    def __getattr__(self, name):
        raise AssertionError(f"the test set was used ({name})")

    def __array__(self, *args, **kwargs):
        raise AssertionError("the test set was used (converted to an array)")

    def __len__(self):
        raise AssertionError("the test set was used (len)")


def test_validation_split_is_seeded_disjoint_and_complete():
    x, y = blobs()
    (x_fit, y_fit), (x_val, y_val) = recipes.split_validation(x, y, 0.25, seed=3)
    assert len(y_val) == 30 and len(y_fit) == 90
    rows = {row.tobytes() for row in x}
    assert {r.tobytes() for r in x_fit} | {r.tobytes() for r in x_val} == rows
    assert not {r.tobytes() for r in x_fit} & {r.tobytes() for r in x_val}
    again = recipes.split_validation(x, y, 0.25, seed=3)[1][0]
    other = recipes.split_validation(x, y, 0.25, seed=4)[1][0]
    assert np.array_equal(again, x_val) and not np.array_equal(other, x_val)
    for bad in (0.0, 1.0, -0.1):
        with pytest.raises(ValueError, match="fraction"):
            recipes.split_validation(x, y, bad)
    with pytest.raises(ValueError, match="labels"):
        recipes.split_validation(x, y[:-1])


def test_run_result_chooses_on_validation_within_the_budget():
    run = recipes.RunResult("r", epoch_seconds=[10.0, 20.0, 30.0], val_accuracy=[0.5, 0.9, 0.95])
    np.testing.assert_allclose(run.cumulative_seconds, [10, 30, 60])
    assert run.choose(30.0) == 2 and run.choose(60.0) == 3 and run.choose() == 3
    assert run.choose(5.0) is None
    tie = recipes.RunResult("t", epoch_seconds=[1.0, 1.0, 1.0], val_accuracy=[0.8, 0.9, 0.9])
    assert tie.choose() == 2                                  # the earliest of equal epochs
    assert not hasattr(run, "best_within")                    # no best-of-test-accuracies helper


def test_run_result_table_marks_the_chosen_epoch_and_its_one_test_accuracy():
    run = recipes.RunResult("r", epoch_seconds=[10.0, 20.0, 30.0], val_accuracy=[0.5, 0.9, 0.85],
                            budget_s=60.0, chosen_epoch=2, test_accuracy=0.875)
    lines = run.table().splitlines()
    assert lines[0] == "r, budget 60 s of training" and len(lines) == 6
    assert lines[2].split() == ["1", "10.0", "10.0", "0.5000"]
    assert lines[3].split() == ["2", "20.0", "30.0", "0.9000", "<-", "chosen"]
    assert lines[-1] == "  test accuracy of epoch 2, measured once: 0.8750"
    unchosen = recipes.RunResult("u", [70.0], [0.9], budget_s=60.0).table()
    assert "the test set was not used" in unchosen and "test accuracy" not in unchosen


def test_recipes_are_named_and_the_best_is_one_of_them():
    assert len(recipes.KERAS_RECIPES) >= 3 and recipes.BEST_KERAS_RECIPE in recipes.KERAS_RECIPES
    assert len({r.name for r in recipes.KERAS_RECIPES}) == len(recipes.KERAS_RECIPES)
    lesson = recipes.KERAS_RECIPES[0]
    assert (lesson.filters1, lesson.filters2, lesson.dense, lesson.batch_size) == (16, 32, 0, 64)


def test_the_lesson_recipe_builds_the_lesson_cnn():
    from course_utils.convnet import build_cnn, cnn_param_count

    model = recipes.build_recipe_cnn(recipes.KERAS_RECIPES[0])
    assert model.count_params() == build_cnn().count_params() == cnn_param_count(16, 32)
    dense = recipes.build_recipe_cnn(recipes.CnnRecipe("d", dense=128), n_classes=5)
    assert dense.count_params() == 160 + 4640 + (800 * 128 + 128) + (128 * 5 + 5)


def test_one_cycle_warms_up_then_decays_to_zero():
    recipe = recipes.CnnRecipe("c", learning_rate=0.01, epochs=4, schedule="one-cycle")
    schedule = recipes.learning_rate(recipe, steps_per_epoch=100)
    rates = [float(schedule(step)) for step in (0, 50, 200, 400)]
    assert rates[0] == pytest.approx(0.001) and rates[1] == pytest.approx(0.01)
    assert 0.001 < rates[2] < 0.01 and rates[3] == pytest.approx(0.0, abs=1e-9)
    assert recipes.learning_rate(recipes.CnnRecipe("k"), 100) == 0.003
    with pytest.raises(ValueError, match="unknown schedule"):
        recipes.learning_rate(recipes.CnnRecipe("x", schedule="cyclic"), 100)


def test_keras_run_chooses_on_validation_and_tests_the_chosen_epoch_once():
    x, y = blobs()
    images = x[..., None].astype("float32") / 255
    recipe = recipes.CnnRecipe("tiny", filters1=4, filters2=8, dense=16, batch_size=16,
                               learning_rate=0.01, epochs=3, schedule="one-cycle")
    model, run = recipes.run_keras(recipe, images[:90], y[:90], images[90:], y[90:])
    assert len(run.epoch_seconds) == len(run.val_accuracy) == 3 and min(run.epoch_seconds) > 0
    assert run.chosen_epoch == int(np.argmax(run.val_accuracy)) + 1 and max(run.val_accuracy) >= 0.9
    assert model.output_shape == (None, 3)
    # the returned model holds the chosen epoch's weights, and test_accuracy is its accuracy on the test set
    test_acc = float(np.mean(model.predict(images[90:], verbose=0).argmax(1) == y[90:]))
    assert run.test_accuracy == pytest.approx(test_acc, abs=1e-6) and run.test_accuracy >= 0.9
    _, none = recipes.run_keras(recipe, images[:90], y[:90], Untouchable(), Untouchable(), budget_s=0.0)
    assert none.chosen_epoch is None and none.test_accuracy is None and len(none.val_accuracy) == 3


def test_lesson_05_full_run_call():
    """The call of lesson 05's full-run cell (on tiny data): keyword budget_s, one test accuracy."""
    x, y = blobs()
    x_all, x_test = x[:90, ..., None].astype("float32") / 255.0, x[90:, ..., None].astype("float32") / 255.0
    full_model, full = recipes.run_keras(recipes.BEST_KERAS_RECIPE, x_all, y[:90], x_test, y[90:],
                                         budget_s=120.0)
    assert len(full.val_accuracy) == recipes.BEST_KERAS_RECIPE.epochs
    assert full.chosen_epoch == full.choose(120.0) and 0.0 <= full.test_accuracy <= 1.0
    assert "<- chosen" in full.table()
    fig = recipes.plot_frontier([full], target=0.91, title="Full run: validation accuracy per epoch")
    assert fig.axes[0].get_title() == "Full run: validation accuracy per epoch"


def test_torch_mlp_run_chooses_on_validation_and_tests_the_chosen_epoch_once():
    import torch

    x, y = blobs()
    recipe = recipes.MlpRecipe(hidden=(32,), batch_size=16, learning_rate=0.01, epochs=4)
    model, run = recipes.run_torch_mlp(recipe, x[:90], y[:90], x[90:], y[90:], budget_s=60.0)
    assert len(run.epoch_seconds) == len(run.val_accuracy) == 4 and run.budget_s == 60.0
    assert run.chosen_epoch == run.choose(60.0) and max(run.val_accuracy) >= 0.9
    assert model[-1].out_features == 3
    fit_images = recipes.split_validation(x[:90], y[:90])[0][0]
    pixels = torch.tensor(fit_images, dtype=torch.float32).flatten(1) / 255
    test = (torch.tensor(x[90:], dtype=torch.float32).flatten(1) / 255 - pixels.mean()) / pixels.std()
    with torch.no_grad():
        test_acc = (model(test).argmax(1).numpy() == y[90:]).mean()
    assert run.test_accuracy == pytest.approx(test_acc, abs=1e-6) and run.test_accuracy >= 0.9
    _, none = recipes.run_torch_mlp(recipe, x[:90], y[:90], Untouchable(), Untouchable(), budget_s=0.0)
    assert none.chosen_epoch is None and none.test_accuracy is None
    with pytest.raises(ValueError, match="unknown schedule"):
        recipes.run_torch_mlp(recipes.MlpRecipe(schedule="cyclic"), x[:90], y[:90], x[90:], y[90:])


def test_frontier_plot_has_one_line_per_run_its_test_star_and_the_budget():
    runs = [recipes.RunResult("a", [1.0, 1.0], [0.8, 0.9], chosen_epoch=2, test_accuracy=0.88),
            recipes.RunResult("b", [3.0], [0.92])]
    fig = recipes.plot_frontier(runs, budget_s=2.0, target=0.91)
    ax = fig.axes[0]
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel() == "accuracy"
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels[0] == "a (validation)" and labels[2] == "b (validation)"
    assert labels[1] == "test accuracy of its chosen epoch 2"
    assert "budget 2 s" in labels and "target 0.91" in labels
    np.testing.assert_allclose(ax.get_lines()[0].get_xdata(), [1.0, 2.0])
    np.testing.assert_allclose(ax.get_lines()[1].get_xydata(), [[2.0, 0.88]])


def test_full_runs_report_prints_tables_and_saves_the_frontier(monkeypatch, tmp_path, capsys):
    from course_utils import data

    x, y = blobs()
    fake = data.ImageData(x[:90], y[:90], x[90:], y[90:], class_names=data.FASHION_NAMES,
                          name="fashion_mnist", source="test blobs", is_fallback=False)
    monkeypatch.setattr(data, "load_images", lambda *args, **kwargs: fake)
    tiny = recipes.CnnRecipe("tiny", filters1=4, filters2=8, dense=16, batch_size=16,
                             learning_rate=0.01, epochs=2, schedule="one-cycle")
    monkeypatch.setattr(recipes, "KERAS_RECIPES", (tiny,))
    monkeypatch.setattr(recipes, "BEST_KERAS_RECIPE", tiny)
    small_mlp = recipes.MlpRecipe(hidden=(32,), batch_size=16, learning_rate=0.01, epochs=2)
    monkeypatch.setattr(recipes, "MlpRecipe", lambda: small_mlp)
    passed = recipes.full_runs_report(tmp_path / "plots" / "frontier.png")
    out = capsys.readouterr().out
    assert (tmp_path / "plots" / "frontier.png").stat().st_size > 1000
    assert out.count("epoch  seconds") == 2 and "CNN full run (tiny): epoch" in out
    assert "MLP full run: epoch" in out and out.count("measured once") == 2
    assert passed is True
