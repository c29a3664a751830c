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


def test_run_result_cumulates_time_and_finds_the_best_within_a_budget():
    run = recipes.RunResult("r", epoch_seconds=[10.0, 20.0, 30.0], accuracy=[0.5, 0.9, 0.95])
    np.testing.assert_allclose(run.cumulative_seconds, [10, 30, 60])
    assert run.best_within(30.0) == 0.9 and run.best_within(60.0) == 0.95
    assert np.isnan(run.best_within(5.0))
    lines = run.table().splitlines()
    assert lines[0] == "r" and len(lines) == 5
    assert lines[-1].split() == ["3", "30.0", "60.0", "0.9500"]


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


def test_keras_run_records_every_epoch_and_learns():
    x, y = blobs()
    images = x[..., None].astype("float32") / 255
    recipe = recipes.CnnRecipe("tiny", filters1=4, filters2=8, dense=16, batch_size=16,
                               learning_rate=0.01, epochs=3, schedule="one-cycle")
    model, run = recipes.run_keras(recipe, images[:90], y[:90], images[90:], y[90:])
    assert len(run.epoch_seconds) == len(run.accuracy) == 3 and min(run.epoch_seconds) > 0
    assert run.accuracy[-1] >= 0.9 and model.output_shape == (None, 3)


def test_torch_mlp_run_records_every_epoch_and_learns():
    x, y = blobs()
    recipe = recipes.MlpRecipe(hidden=(32,), batch_size=16, learning_rate=0.01, epochs=4)
    model, run = recipes.run_torch_mlp(recipe, x[:90], y[:90], x[90:], y[90:])
    assert len(run.epoch_seconds) == len(run.accuracy) == 4
    assert run.accuracy[-1] >= 0.9 and model[-1].out_features == 3


def test_frontier_plot_has_one_line_per_run_and_the_budget():
    runs = [recipes.RunResult("a", [1.0, 1.0], [0.8, 0.9]), recipes.RunResult("b", [3.0], [0.92])]
    fig = recipes.plot_frontier(runs, budget_s=2.0, target=0.91)
    ax = fig.axes[0]
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels[:2] == ["a", "b"] and "budget 2 s" in labels and "target 0.91" in labels
    np.testing.assert_allclose(ax.get_lines()[0].get_xdata(), [1.0, 2.0])


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
    assert out.count("epoch  seconds") == 2 and "CNN full run (tiny)" in out and "MLP full run" in out
    assert passed is True
