"""Tests for course_utils.plotting: meshes, decision boundaries, loss curves, image grids, confusion."""
from __future__ import annotations

import matplotlib
import matplotlib.contour
import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_utils import plotting
from course_utils.plotting import (confusion_matrix, grid_over, plot_confusion_matrix, plot_decision_boundary,
                                   plot_image_grid, plot_loss_curves)

X4 = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y4 = np.array([0, 1, 1, 1])


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def texts(ax):
    return [t.get_text() for t in ax.texts]


# ---------------------------------------------------------------- grid_over

def test_grid_covers_the_points_with_a_margin():
    X = np.array([[-1.0, 2.0], [3.0, 5.0], [0.0, 4.0]])
    xx, yy, points = grid_over(X, resolution=7, margin=0.5)
    assert xx.shape == yy.shape == (7, 7) and points.shape == (49, 2)
    assert (xx.min(), xx.max(), yy.min(), yy.max()) == pytest.approx((-1.5, 3.5, 1.5, 5.5))
    np.testing.assert_array_equal(points[:, 0], xx.ravel())
    np.testing.assert_array_equal(points[:, 1], yy.ravel())
    assert (np.diff(xx[0]) > 0).all() and (np.diff(yy[:, 0]) > 0).all()


BAD_POINTS = {
    "1-D": np.arange(4.0),
    "3 columns": np.ones((4, 3)),
    "empty": np.empty((0, 2)),
    "3-D": np.ones((2, 2, 2)),
}


@pytest.mark.parametrize("X", BAD_POINTS.values(), ids=BAD_POINTS.keys())
def test_grid_rejects_points_that_are_not_2d(X):
    with pytest.raises(ValueError, match=r"expected 2-D points of shape \(n, 2\)"):
        grid_over(X)


@pytest.mark.parametrize("resolution", [1, 0, -5, 2.5, "100"])
def test_grid_rejects_bad_resolutions(resolution):
    with pytest.raises(ValueError, match="resolution must be an int >= 2"):
        grid_over(X4, resolution=resolution)


# ---------------------------------------------------------------- decision boundary

def test_decision_boundary_draws_the_line_and_the_data():
    ax = plot_decision_boundary(lambda P: (P.sum(axis=1) > 0.5).astype(float), X4, Y4, resolution=30,
                                title="OR")
    assert ax.get_title() == "OR" and ax.get_xlabel() and ax.get_ylabel()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["class 0", "class 1"]
    scatters = {c.get_label(): c.get_offsets() for c in ax.collections if c.get_label().startswith("class ")}
    np.testing.assert_array_equal(scatters["class 0"], X4[:1])
    np.testing.assert_array_equal(scatters["class 1"], X4[1:])
    contours = [c for c in ax.collections if isinstance(c, matplotlib.contour.ContourSet)]
    assert [list(c.levels) for c in contours if not c.filled] == [[0.5]]


def test_decision_boundary_draws_on_a_given_axis_and_many_classes():
    fig, ax = plt.subplots()
    X = np.random.default_rng(0).normal(size=(30, 2))
    y = np.arange(30) % 3
    assert plot_decision_boundary(lambda P: (P[:, 0] > 0).astype(int) + (P[:, 1] > 0), X, y, ax=ax,
                                  resolution=20, levels=None) is ax
    assert len(fig.axes) == 1 and len(ax.get_legend().get_texts()) == 3
    assert all(c.filled for c in ax.collections if isinstance(c, matplotlib.contour.ContourSet))   # no 0.5 line


@pytest.mark.parametrize("predict, X, y, error", [
    ("not a function", X4, Y4, TypeError),
    (np.sum, X4, Y4[:3], ValueError),
    (np.sum, X4[:, :1], Y4, ValueError),
], ids=["predict not callable", "labels short", "1 feature"])
def test_decision_boundary_rejects_bad_input(predict, X, y, error):
    with pytest.raises(error):
        plot_decision_boundary(predict, X, y, resolution=10)


# ---------------------------------------------------------------- loss curves

def test_loss_curves_plot_each_named_curve():
    ax = plot_loss_curves({"train": [1.0, 0.5, 0.25], "validation": [1.2, 0.7, 0.6]}, title="Fit")
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"train", "validation"}
    np.testing.assert_array_equal(lines["train"].get_xdata(), [1, 2, 3])
    np.testing.assert_array_equal(lines["train"].get_ydata(), [1.0, 0.5, 0.25])
    assert ax.get_title() == "Fit" and ax.get_xlabel() == "epoch" and ax.get_ylabel() == "loss"
    assert texts(ax) == []


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_a_diverged_curve_is_marked_not_a_crash(bad):
    ax = plot_loss_curves({"train": [1.0, 3.0, 50.0, bad, bad], "validation": [1.0, 0.9, 0.8, 0.7, 0.6]},
                          logy=True)
    train = next(line for line in ax.get_lines() if line.get_label() == "train")
    assert np.isfinite(train.get_ydata()).all() and len(train.get_ydata()) == 3
    assert texts(ax) == ["train diverged (inf/NaN) at epoch 4"]


def test_a_curve_that_is_nan_from_the_start_still_renders():
    ax = plot_loss_curves({"train": [np.nan] * 3, "validation": [2.0, 1.0, np.inf]}, xlabel="step", logy=True)
    assert texts(ax) == ["train diverged (inf/NaN) at step 1", "validation diverged (inf/NaN) at step 3"]
    ax.figure.canvas.draw()   # renders, even on a log scale with an empty curve


@pytest.mark.parametrize("history, error", [
    ({}, TypeError),
    ([1.0, 0.5], TypeError),
    (None, TypeError),
    ({"train": ["a", "b"]}, ValueError),
], ids=["empty", "a list", "None", "not numbers"])
def test_loss_curves_reject_bad_history(history, error):
    with pytest.raises(error):
        plot_loss_curves(history)


# BUG (reported to the lead): a 2-D curve (e.g. one array of batch losses per epoch) ends in
# IndexError "too many indices" from steps[~bad]; it should be a ValueError that says a curve
# must be a 1-D sequence of numbers.
def test_bug_a_2d_curve_is_a_clear_value_error():
    with pytest.raises(ValueError, match="train"):
        plot_loss_curves({"train": np.ones((3, 4))})


# ---------------------------------------------------------------- image grid

def image_titles(fig):
    return [ax.get_title() for ax in fig.axes if ax.get_title()]


@pytest.mark.parametrize("n, ncols, grid", [(10, 4, (3, 4)), (3, 8, (1, 3)), (1, 8, (1, 1)), (5, 0, (5, 1))])
def test_image_grid_layout(n, ncols, grid):
    fig = plot_image_grid(np.zeros((n, 8, 8)), ncols=ncols)
    assert len(fig.axes) == grid[0] * grid[1]
    assert sum(1 for ax in fig.axes if ax.get_images()) == n
    assert fig.axes[0].get_gridspec().get_geometry() == grid


def test_image_grid_accepts_a_channel_axis_and_titles_by_label():
    images = np.random.default_rng(0).random((3, 28, 28, 1))
    fig = plot_image_grid(images, labels=[0, 1, 2], predictions=[0, 2, 2], class_names=["zero", "one", "two"],
                          title="Digits")
    assert image_titles(fig) == ["zero\npred zero", "one\npred two", "two\npred two"]
    colors = [matplotlib.colors.to_hex(ax.title.get_color()) for ax in fig.axes]
    assert colors == ["#000000", "#ff0000", "#000000"]
    assert fig.get_suptitle() == "Digits"
    np.testing.assert_array_equal(fig.axes[0].get_images()[0].get_array(), images[0, ..., 0])


@pytest.mark.parametrize("images, kwargs, message", [
    (np.zeros((4, 8, 8)), {"labels": [0, 1, 2]}, "labels has 3 entries for 4 images"),
    (np.zeros((4, 8, 8)), {"labels": [0] * 4, "predictions": [0] * 5}, "predictions has 5 entries for 4 images"),
    (np.zeros((8, 8)), {}, r"images must have shape \(n, height, width\)"),
    (np.zeros((2, 8, 8, 3)), {}, r"got \(2, 8, 8, 3\)"),
    (np.zeros((0, 8, 8)), {}, "images must have shape"),
], ids=["labels", "predictions", "one image", "rgb", "no images"])
def test_image_grid_rejects_bad_input(images, kwargs, message):
    with pytest.raises(ValueError, match=message):
        plot_image_grid(images, **kwargs)


# ---------------------------------------------------------------- confusion matrix

def test_confusion_matrix_counts():
    counts = confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2])
    np.testing.assert_array_equal(counts, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    assert counts.dtype.kind == "i" and counts.sum() == 6


def test_confusion_matrix_size_from_n_classes_and_from_the_labels():
    assert confusion_matrix([0, 1], [1, 1], n_classes=4).shape == (4, 4)
    assert confusion_matrix([0, 0], [0, 3]).shape == (4, 4)          # a predicted class counts too
    assert confusion_matrix(np.array([[1], [0]]), [1, 0]).trace() == 2   # column vectors are fine


def test_confusion_matrix_rejects_different_lengths():
    with pytest.raises(ValueError, match="y_true has 3 labels but y_pred has 2"):
        confusion_matrix([0, 1, 1], [0, 1])


# BUG (reported to the lead): labels that are not class indices are counted silently in the wrong
# cell: -1 wraps around to the last row (np.add.at with a negative index), probabilities such as
# 0.9 are truncated to class 0 by astype(int), and a label >= n_classes ends in an IndexError.
# Each should be a ValueError that names the bad label.
@pytest.mark.parametrize("y_true, y_pred, kwargs", [
    ([-1, 0, 1], [0, 0, 1], {}),
    ([0, 1, 1], [0.2, 0.9, 0.6], {}),
    ([0, 1, 2], [0, 1, 2], {"n_classes": 2}),
], ids=["negative label", "probabilities as predictions", "label beyond n_classes"])
def test_bug_confusion_matrix_rejects_labels_that_are_not_class_indices(y_true, y_pred, kwargs):
    with pytest.raises(ValueError):
        confusion_matrix(y_true, y_pred, **kwargs)


def test_plot_confusion_matrix_writes_every_count():
    ax = plot_confusion_matrix([0, 0, 1, 2], [0, 1, 1, 2], class_names=["cat", "dog", "fox"], title="Pets")
    assert texts(ax) == ["1", "1", "0", "0", "1", "0", "0", "0", "1"]
    np.testing.assert_array_equal(ax.get_images()[0].get_array(), confusion_matrix([0, 0, 1, 2], [0, 1, 1, 2]))
    assert [t.get_text() for t in ax.get_xticklabels()] == ["cat", "dog", "fox"]
    assert ax.get_title() == "Pets" and ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"


def test_plot_confusion_matrix_without_names_uses_numbers():
    ax = plot_confusion_matrix([0, 1, 1], [0, 1, 0])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0", "1"]


def test_use_style_sets_the_course_defaults():
    with matplotlib.rc_context():
        plotting.use_style()
        assert matplotlib.rcParams["axes.grid"] and not matplotlib.rcParams["axes.spines.top"]


def test_chinese_plot_text_is_drawn_with_a_cjk_font(monkeypatch):
    """COURSE_LANG=zh: the course's labels are Chinese, every glyph found, in Noto Sans CJK (fonts-noto-cjk)."""
    import warnings

    from matplotlib import font_manager

    monkeypatch.setenv("COURSE_LANG", "zh")
    if plotting.cjk_font() is None:  # conftest turns this skip into a failure in CI, which installs the font
        pytest.skip("no CJK font: install fonts-noto-cjk (Debian/Ubuntu: `sudo apt-get install fonts-noto-cjk`)")
    with matplotlib.rc_context():
        plotting.use_style()
        ax = plotting.plot_loss_curves({"train": [1.0, 0.5], "validation": [1.2, 0.7]})
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a glyph missing from every font is a warning: here an error
            ax.figure.canvas.draw()
        assert ax.get_title() == "损失曲线" and ax.get_xlabel() == "轮"
        assert [text.get_text() for text in ax.get_legend().get_texts()] == ["训练", "验证"]
        fonts = font_manager.fontManager._find_fonts_by_props(ax.title.get_fontproperties())
        assert any("NotoSansCJK" in str(font) or "NotoSerifCJK" in str(font) for font in fonts), fonts
        plt.close(ax.figure)


def test_chinese_text_beside_maths_in_one_label_is_drawn_too(monkeypatch, caplog):
    """Round 39 (r399b M2): in a label with $...$ maths the text is drawn in the first font family alone, and with the
    CJK font second its Chinese came out as boxes (01b's hidden-space axes, the explorer's legend)."""
    monkeypatch.setenv("COURSE_LANG", "zh")
    if plotting.cjk_font() is None:  # conftest turns this skip into a failure in CI, which installs the font
        pytest.skip("no CJK font: install fonts-noto-cjk (Debian/Ubuntu: `sudo apt-get install fonts-noto-cjk`)")
    with matplotlib.rc_context():
        plotting.use_style()
        fig, ax = plt.subplots()
        ax.set_xlabel("OR 神经元的输出 $h_1$，边界 $w \\cdot x + b = 0$")
        with caplog.at_level("WARNING", logger="matplotlib"):
            fig.canvas.draw()
        assert "does not have a glyph" not in caplog.text, caplog.text
        plt.close(fig)


def test_without_a_cjk_font_plots_keep_english_and_say_so_once(monkeypatch, capsys):
    monkeypatch.setenv("COURSE_LANG", "zh")
    monkeypatch.setattr(plotting, "cjk_font", lambda: None)
    plotting._say_no_cjk_font.cache_clear()
    assert plotting.label("Loss curves") == "Loss curves"
    assert plotting.label("class {value}", value=1) == "class 1"
    assert capsys.readouterr().out.strip() == plotting.NO_CJK_FONT
    monkeypatch.setenv("COURSE_LANG", "en")
    assert plotting.label("Loss curves") == "Loss curves"
