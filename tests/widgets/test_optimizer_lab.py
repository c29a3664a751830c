"""Headless tests of lesson 04c's widgets: the learning-rate lab and the optimizer race."""
import numpy as np
import pytest

from course_utils import mlp
from course_utils.data import make_moons
from course_utils.widgets import (LAB_LRS, LearningRateLab, OptimizerRace, classify_runs, lr_sweep,
                                  nearest_index, stacked_loss_and_grads)


@pytest.fixture(scope="module")
def lab():
    return LearningRateLab(lr=0.1, batch_size=40, optimizer="GD")


@pytest.fixture(scope="module")
def race():
    return OptimizerRace("narrow valley", steps=100)


def test_stacked_network_is_the_lesson_03_network():
    X, y = make_moons(30, noise=0.2, seed=3)
    params = mlp.init_params([2, 5, 1], seed=1)
    stack = {k: np.stack([v.reshape(1, -1) if k.startswith("b") else v] * 3) for k, v in params.items()}
    loss, grads = stacked_loss_and_grads(stack, X, y.reshape(-1, 1).astype(float))
    loss_ref, grads_ref = mlp.loss_and_grads(params, X, y)
    assert np.allclose(loss, loss_ref)
    for key in grads_ref:
        assert np.allclose(grads[key][2].reshape(grads_ref[key].shape), grads_ref[key])


def test_sweep_gd_equals_train_gd_and_rejects_bad_batches():
    X, y = make_moons(40, noise=0.2, seed=0)
    curves = lr_sweep(X, y, 40, lrs=[0.3, 3.0], epochs=5, hidden=4)
    for i, lr in enumerate([0.3, 3.0]):
        _, losses = mlp.train_gd(mlp.init_params([2, 4, 1], seed=0), X, y, lr=lr, epochs=5)
        assert np.allclose(curves["GD"][i, 1:], losses)
    for bad in (0, -3, 41, 2.5):
        with pytest.raises(ValueError, match="batch size must be a whole number from 1 to 40"):
            lr_sweep(X, y, bad, lrs=[0.1], epochs=1)
    with pytest.raises(ValueError, match="learning rates must be positive"):
        lr_sweep(X, y, 10, lrs=[0.1, -1.0], epochs=1)


def test_classify_runs_names_the_regimes():
    losses = np.array([[1.0, 0.9], [1.0, 0.2], [1.0, 0.25], [1.0, 0.6], [1.0, 1.5], [1.0, np.nan]])
    assert classify_runs(losses) == ["too small", "good", "good", "too large", "diverged", "diverged"]
    assert classify_runs(np.array([[1.0, np.inf]])) == ["diverged"]


def test_nearest_index_snaps_and_rejects_bad_rates():
    assert nearest_index(LAB_LRS, LAB_LRS[7] * 1.01) == 7
    for bad in (-0.1, 0.0, np.nan):
        with pytest.raises(ValueError, match="learning rate must be a positive number"):
            nearest_index(LAB_LRS, bad)


def test_lab_redraws_when_values_change(lab):
    before, title = lab.png, lab.ax.get_title()
    lab.lr.value = LAB_LRS[5]
    assert lab.png != before and lab.ax.get_title() != title
    before = lab.png
    lab.optimizer.value = "Adam"
    assert lab.png != before and lab.ax.get_title().startswith("Adam")
    before = lab.png
    lab.batch_size.value = 10
    assert lab.png != before and "batch 10" in lab.ax.get_title()
    curve, _ = lab.current()
    assert np.allclose(lab.line.get_ydata(), np.clip(curve, 0.02, 20.0))


def test_lab_divergent_regime_is_labelled(lab):
    lab.optimizer.value = "GD"
    lab.lr.value = LAB_LRS[-1]
    assert lab.note.get_text().startswith("diverged") and lab.note.get_color() == "C3"
    assert np.all(np.isfinite(lab.line.get_ydata()))           # clipped into the axis: still drawn


def test_lab_draws_an_inf_nan_run_without_crashing(lab):
    key = (lab.batch_size.value, lab.optimizer.value)
    saved = lab.curves[key[0]][key[1]].copy()
    try:
        i = nearest_index(LAB_LRS, lab.lr.value)
        lab.curves[key[0]][key[1]][i, 6:] = np.nan
        lab.regimes[key] = classify_runs(lab.curves[key[0]][key[1]])
        lab.lr.value = LAB_LRS[i - 1]
        lab.lr.value = LAB_LRS[i]
        assert "inf/NaN at epoch 6" in lab.note.get_text()
        assert len(lab.line.get_xdata()) == 6 and len(lab.blowup.get_xdata()) == 1
    finally:
        lab.curves[key[0]][key[1]][:] = saved
        lab.regimes[key] = classify_runs(saved)


def test_lab_regimes_are_easy_to_find(lab):
    for key, regimes in lab.regimes.items():
        assert regimes[0] == "too small" and "good" in regimes and regimes[-1] == "diverged", key


def test_lab_invalid_values_give_clear_messages():
    with pytest.raises(ValueError, match="learning rate must be a positive number, got -0.1"):
        LearningRateLab(lr=-0.1)
    with pytest.raises(ValueError, match=r"batch size must be one of \(200, 40, 10\).*got 0"):
        LearningRateLab(batch_size=0)
    with pytest.raises(ValueError, match="unknown optimizer"):
        LearningRateLab(optimizer="adagrad")


def test_lab_slider_snaps_to_the_precomputed_grid(lab):
    lab.lr.value = 0.0123
    i = nearest_index(LAB_LRS, 0.0123)
    assert f"lr = {LAB_LRS[i]:.3g}" in lab.ax.get_title()


def test_race_redraws_and_reports_each_optimizer(race):
    before = race.png
    race.lr.value = 0.03
    assert race.png != before
    labels = race.scores.get_text().split("\n")
    assert [label.split(":")[0] for label in labels] == ["GD", "momentum", "RMSprop", "Adam"]
    assert all(len(path) == 101 for path in race.trajectories.values())
    race.steps.value = 50
    assert all(len(path) == 51 for path in race.trajectories.values())


def test_race_divergence_is_labelled(race):
    race.surface.value = "narrow valley"
    race.steps.value = 50
    race.lr.value = 0.5                                  # lr * 25 >> 2: GD overshoots more at every step
    assert race.scores.get_text().split("\n")[0].startswith("GD: diverged (loss grew to")
    race.steps.value = 400                               # 11.5 ** 400 overflows: inf
    assert race.scores.get_text().split("\n")[0] == "GD: diverged (inf/NaN)"
    assert np.all(np.isfinite(race.lines["GD"].get_xdata()))


def test_race_surface_change_redraws_contours(race):
    race.surface.value = "Rosenbrock"
    assert race.ax.get_title().startswith("Rosenbrock") and race.ax.get_xlim() == (-2, 2)
    assert race.lr.value == pytest.approx(0.002)


def test_race_invalid_values_give_clear_messages():
    with pytest.raises(ValueError, match="learning rate must be a positive number"):
        OptimizerRace(lr=-1.0)
    with pytest.raises(ValueError, match="unknown surface"):
        OptimizerRace("bowl")
