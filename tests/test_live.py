"""Tests for course_utils.live: history, in-place figure updates, text mode, bad input, Keras."""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_utils import live


class FakeHandle:
    """Stands in for IPython's DisplayHandle: counts in-place updates."""

    def __init__(self, obj):
        self.objects = [obj]

    def update(self, obj):
        self.objects.append(obj)


@pytest.fixture
def displays(monkeypatch):
    """Replace IPython's display with a recorder; returns the list of handles created."""
    handles = []

    def fake_display(obj):
        handles.append(FakeHandle(obj))
        return handles[-1]

    monkeypatch.setattr(live, "_display", fake_display)
    return handles


def logs(epoch):
    return {"loss": 1.0 / (epoch + 1), "val_loss": 1.5 / (epoch + 1), "accuracy": 0.5 + 0.04 * epoch,
            "val_accuracy": 0.45 + 0.04 * epoch}


def test_history_records_every_value_by_name():
    tracker = live.LiveLoss(metrics=("loss", "accuracy"), mode="text")
    for epoch in range(4):
        tracker.update(epoch, logs(epoch))
    assert set(tracker.history) == {"loss", "val_loss", "accuracy", "val_accuracy"}
    assert tracker.history["loss"] == pytest.approx([1.0, 0.5, 1 / 3, 0.25])
    assert tracker.epochs["val_accuracy"] == [0, 1, 2, 3]


def test_figure_mode_uses_one_handle_updated_in_place(displays):
    plt.close("all")
    tracker = live.LiveLoss(metrics=("loss", "accuracy"), total_epochs=5, mode="figure", min_interval=0)
    for epoch in range(5):
        tracker.update(epoch, logs(epoch))
    tracker.finish()
    assert len(displays) == 1, "the figure must be displayed once, then updated in place"
    assert len(displays[0].objects) == 5 == tracker.redraws
    assert all(obj.data[:8] == b"\x89PNG\r\n\x1a\n" for obj in displays[0].objects)
    assert plt.get_fignums() == [], "no pyplot figure may pile up"


def test_figure_mode_throttles_redraws_but_shows_the_last_epoch(displays):
    tracker = live.LiveLoss(total_epochs=50, mode="figure", min_interval=60)
    for epoch in range(49):
        tracker.update(epoch, {"loss": 1.0 / (epoch + 1)})
    assert tracker.redraws == 1, "within min_interval only the first update draws"
    tracker.finish()  # pending values are drawn at the end
    assert tracker.redraws == 2 and len(displays) == 1


def test_text_mode_prints_one_compact_line_per_epoch_and_a_summary(capsys, displays):
    tracker = live.LiveLoss(title="Demo", metrics=("loss", "accuracy"), total_epochs=3, mode="text")
    for epoch in range(3):
        tracker.update(epoch, {**logs(epoch), "learning_rate": 0.01})
    tracker.finish()
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 4 and not displays
    assert lines[0].startswith("Demo | epoch 1/3 | loss 1  val_loss 1.5")
    assert "learning_rate" not in lines[0], "only the chosen metrics are printed"
    assert lines[-1].startswith("Demo: 3 epochs") and "best val_loss 0.5 at epoch 3" in lines[-1]


def test_best_epoch_of_an_accuracy_is_its_maximum(capsys):
    tracker = live.LiveLoss(metrics=("accuracy",), mode="text")
    for epoch, value in enumerate([0.5, 0.9, 0.7]):
        tracker.update(epoch, {"accuracy": value, "val_accuracy": value})
    assert "best val_accuracy 0.9 at epoch 2" in tracker.summary()


def test_no_front_end_means_text_mode():
    assert not live.in_notebook()
    assert live.LiveLoss().mode == "text"


def test_non_finite_values_do_not_crash(displays, capsys):
    tracker = live.LiveLoss(metrics=("loss",), mode="figure", min_interval=0)
    for epoch, value in enumerate([1.0, math.inf, math.nan, np.float32("nan")]):
        tracker.update(epoch, {"loss": value, "val_loss": math.nan})
    tracker.finish()
    assert math.isinf(tracker.history["loss"][1]) and math.isnan(tracker.history["val_loss"][0])
    assert tracker.redraws == 4
    assert "val_loss" in capsys.readouterr().out
    text = live.LiveLoss(mode="text")
    text.update(0, {"loss": math.nan})
    text.finish()


def test_missing_metric_is_drawn_as_a_note(displays):
    tracker = live.LiveLoss(metrics=("loss", "accuracy"), mode="figure")
    tracker.update(0, {"loss": 0.3})
    texts = [t.get_text() for t in tracker._figure.axes[1].texts]
    assert texts == ["no 'accuracy' in the logs yet"]


def test_finish_without_updates_says_so(capsys):
    live.LiveLoss(title="Empty", mode="text").finish()
    assert capsys.readouterr().out.strip() == "Empty: no epochs logged."


@pytest.mark.parametrize("kwargs, error, match", [
    ({"metrics": ()}, TypeError, "non-empty"),
    ({"metrics": ("val_loss",)}, ValueError, "val_"),
    ({"metrics": (3,)}, ValueError, "name"),
    ({"total_epochs": 0}, ValueError, "total_epochs"),
    ({"total_epochs": 2.5}, ValueError, "total_epochs"),
    ({"title": None}, TypeError, "title"),
    ({"mode": "html"}, ValueError, "mode"),
    ({"min_interval": -1}, ValueError, "min_interval"),
])
def test_bad_constructor_arguments_are_rejected(kwargs, error, match):
    with pytest.raises(error, match=match):
        live.LiveLoss(**kwargs)


def test_bad_updates_are_rejected():
    tracker = live.LiveLoss(mode="text")
    with pytest.raises(ValueError, match="epoch"):
        tracker.update(-1, {"loss": 1.0})
    with pytest.raises(ValueError, match="epoch"):
        tracker.update(1.0, {"loss": 1.0})
    with pytest.raises(TypeError, match="non-empty dict"):
        tracker.update(0, {})
    with pytest.raises(TypeError, match="non-empty dict"):
        tracker.update(0, [0.5])
    with pytest.raises(TypeError, match="must be a number"):
        tracker.update(0, {"loss": "low"})
    tracker.update(0, {"loss": 1.0})
    with pytest.raises(ValueError, match="must increase"):
        tracker.update(0, {"loss": 0.5})
    assert tracker.history == {"loss": [1.0]}, "a rejected update records nothing"


def test_keras_callback_in_a_real_fit(capsys):
    keras = pytest.importorskip("keras")
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype("float32")
    y = (x.sum(axis=1) > 0).astype("float32")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu"),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="binary_crossentropy",
                  metrics=["accuracy"])
    callback = live.keras_callback("Tiny", metrics=("loss", "accuracy"))
    assert isinstance(callback, keras.callbacks.Callback) and callback.live.mode == "text"
    fit = model.fit(x, y, validation_split=0.25, epochs=2, batch_size=16, verbose=0, callbacks=[callback])
    assert callback.live.total_epochs == 2, "total_epochs comes from fit"
    for name in ("loss", "val_loss", "accuracy", "val_accuracy"):
        assert callback.history[name] == pytest.approx(fit.history[name], rel=1e-6)
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split(" | ")[1] for line in lines[:2]] == ["epoch 1/2", "epoch 2/2"]
    assert lines[2].startswith("Tiny: 2 epochs")
