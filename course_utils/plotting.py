"""One plotting style for the course: loss curves, decision boundaries, image grids.

With ``COURSE_LANG=zh`` the course's plot text is Chinese (``label``), drawn with a CJK font when
one is installed (``cjk_font``: Noto Sans CJK, from ``fonts-noto-cjk``, first); without one the
plots keep their English labels and say so once, rather than draw empty boxes.
"""
from __future__ import annotations

import functools
from typing import Callable, Mapping, Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib import font_manager

from .i18n import lang, t

CLASS_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd")
CLASS_CMAP = "RdBu_r"
CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Serif CJK SC", "Source Han Sans SC",
             "WenQuanYi Zen Hei", "Microsoft YaHei", "SimHei", "PingFang SC", "Heiti SC")
NO_CJK_FONT = ("注意：没有找到能显示中文的字体。课程自带的图（交互控件和绘图函数）中的文字暂用英文；笔记本代码里直接写的"
               "中文标题和图例会显示成方框。安装 Noto Sans CJK（Debian/Ubuntu：`sudo apt-get install fonts-noto-cjk`）"
               "后重启内核即可显示中文。")


@functools.lru_cache(maxsize=None)
def cjk_font() -> str | None:
    """The first installed font family that draws Chinese, or None. Fonts installed after
    matplotlib cached its font list are found on disk and added."""
    known = {font.name for font in font_manager.fontManager.ttflist}
    if not known & set(CJK_FONTS):
        for path in font_manager.findSystemFonts():
            if "NotoSansCJK" in path or "NotoSerifCJK" in path:
                font_manager.fontManager.addfont(path)
        known = {font.name for font in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in known), None)


@functools.lru_cache(maxsize=None)
def _say_no_cjk_font() -> None:
    print(NO_CJK_FONT)


def plot_lang() -> str:
    """The language plots speak: the course's, except Chinese without a font that draws it."""
    if lang() == "zh" and cjk_font() is None:
        _say_no_cjk_font()
        return "en"
    return lang()


def label(english: str, **fields) -> str:
    """Plot text (a title, an axis, a legend entry) in the plots' language."""
    if plot_lang() == "en":
        return english.format(**fields) if fields else english
    return t(english, **fields)


def use_style() -> None:
    """Readable defaults: a modest size, a light grid, no top and right frame; a CJK font for Chinese."""
    if plot_lang() == "zh":  # the CJK font first (it draws Latin letters too): text in a label with $...$ maths is
        mpl.rcParams["font.family"] = [cjk_font(), "sans-serif"]   # drawn in the first font only (round 39, r399b M2)
    mpl.rcParams.update({
        "figure.figsize": (6.0, 4.0),
        "figure.dpi": 100,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.titleweight": "bold",
        "legend.frameon": False,
    })


def grid_over(X, resolution: int = 100, margin: float = 0.5):
    """A (resolution x resolution) mesh covering the 2-D points X plus a margin.

    Returns (xx, yy, points) where points has shape (resolution**2, 2).
    """
    X = _points_2d(X)
    if not isinstance(resolution, int) or resolution < 2:
        raise ValueError(f"resolution must be an int >= 2, got {resolution!r}")
    lo, hi = X.min(axis=0) - margin, X.max(axis=0) + margin
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    return xx, yy, np.column_stack([xx.ravel(), yy.ravel()])


def plot_decision_boundary(predict: Callable, X, y, ax=None, title: str = "Decision boundary",
                           resolution: int = 150, levels=(0.5,)):
    """Shade ``predict`` over the plane (it maps (m, 2) points to m scores) and draw the data.

    For two classes, give predict the probability of class 1; the line is where it is 0.5.
    For more classes, give it the predicted class and pass ``levels=None``.
    """
    X, y = _points_2d(X), np.asarray(y).ravel()
    if len(y) != len(X):
        raise ValueError(f"X has {len(X)} points but y has {len(y)} labels")
    if not callable(predict):
        raise TypeError("predict must be a function from (m, 2) points to m scores")
    ax = ax or plt.subplots()[1]
    xx, yy, points = grid_over(X, resolution)
    scores = np.asarray(predict(points), dtype=float).reshape(xx.shape)
    ax.contourf(xx, yy, scores, levels=20 if levels else len(np.unique(y)), cmap=CLASS_CMAP, alpha=0.35)
    if levels:
        ax.contour(xx, yy, scores, levels=list(levels), colors="k", linewidths=1.5)
    scatter_classes(X, y, ax)
    ax.set(title=label(title), xlabel="$x_1$", ylabel="$x_2$")
    return ax


def scatter_classes(X, y, ax):
    """Scatter 2-D points coloured by class, with a legend."""
    for k, value in enumerate(np.unique(y)):
        pts = X[y == value]
        ax.scatter(pts[:, 0], pts[:, 1], s=30, color=CLASS_COLORS[k % len(CLASS_COLORS)],
                   edgecolor="white", linewidth=0.6, label=label("class {value}", value=value), zorder=3)
    ax.legend(loc="best", fontsize="small")
    return ax


def plot_loss_curves(history: Mapping[str, Sequence[float]], ax=None, title: str = "Loss curves",
                     xlabel: str = "epoch", ylabel: str = "loss", logy: bool = False):
    """Plot named curves (e.g. {'train': [...], 'validation': [...]}) against their step.

    Non-finite values (a diverged run) end the curve, and the plot marks where.
    """
    if not isinstance(history, Mapping) or not history:
        raise TypeError("history must be a non-empty dict of name -> list of numbers")
    ax = ax or plt.subplots()[1]
    for name, values in history.items():
        plot_curve(ax, np.arange(1, len(values) + 1), values, label(name), label(xlabel))
    if logy:
        ax.set_yscale("log")
    ax.set(title=label(title), xlabel=label(xlabel), ylabel=label(ylabel))
    ax.legend()
    return ax


def plot_curve(ax, steps, values, name: str, xlabel: str = "epoch", **style):
    """Plot one curve against its steps; a non-finite value (a diverged run) is marked, never a crash."""
    steps, values = np.asarray(steps), np.asarray(values, dtype=float)
    if values.ndim != 1 or steps.shape != values.shape:
        raise ValueError(f"curve {name!r} must be a 1-D sequence of numbers with one step each, "
                         f"got shapes {values.shape} and {steps.shape}")
    bad = ~np.isfinite(values)
    line, = ax.plot(steps[~bad], values[~bad], label=name, **style)
    if bad.any():
        first = steps[int(np.argmax(bad))]
        ax.axvline(first, color=line.get_color(), linestyle=":")
        ax.annotate(label("{name} diverged (inf/NaN) at {xlabel} {first}", name=name, xlabel=xlabel, first=first),
                    (first, 0.95),
                    xycoords=("data", "axes fraction"), ha="right", color=line.get_color(), fontsize="small")
    return line


def plot_image_grid(images, labels=None, predictions=None, class_names=None, ncols: int = 8,
                    title: str = "", cmap: str = "gray_r", centred: bool = False):
    """Show images in a grid, titled by label (and prediction, red when wrong). Returns the Figure.

    ``cmap`` "gray_r" draws large values dark, like ink on paper. ``centred=True`` puts 0 in the middle of
    the colour map for each image (for weights with a sign, e.g. ``cmap="RdBu_r"``: 0 is white).
    """
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3 or len(images) == 0:
        raise ValueError(f"images must have shape (n, height, width), got {images.shape}")
    for name, values in (("labels", labels), ("predictions", predictions)):
        if values is not None and len(values) != len(images):
            raise ValueError(f"{name} has {len(values)} entries for {len(images)} images")
    ncols = max(1, min(ncols, len(images)))
    nrows = -(-len(images) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.3 * ncols, 1.5 * nrows), squeeze=False)
    name = (lambda k: class_names[int(k)]) if class_names is not None else str
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= len(images):
            continue
        limit = float(np.abs(images[i]).max()) or 1.0
        ax.imshow(images[i], cmap=cmap, **({"vmin": -limit, "vmax": limit} if centred else {}))
        if labels is not None:
            text, color = name(labels[i]), "black"
            if predictions is not None:
                text += "\n" + label("pred {name}", name=name(predictions[i]))
                color = "black" if predictions[i] == labels[i] else "red"
            ax.set_title(text, fontsize="small", color=color)
    if title:
        fig.suptitle(label(title))
    fig.tight_layout()
    return fig


def confusion_matrix(y_true, y_pred, n_classes: int | None = None) -> np.ndarray:
    """Counts[i, j] = how many examples of true class i were predicted as class j."""
    y_true, y_pred = _class_indices(y_true, "y_true"), _class_indices(y_pred, "y_pred")
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has {y_true.size} labels but y_pred has {y_pred.size}")
    n = n_classes or int(max(y_true.max(initial=0), y_pred.max(initial=0)) + 1)
    if max(y_true.max(initial=0), y_pred.max(initial=0)) >= n:
        raise ValueError(f"a label is >= n_classes = {n}")
    counts = np.zeros((n, n), dtype=int)
    np.add.at(counts, (y_true, y_pred), 1)
    return counts


def plot_confusion_matrix(y_true, y_pred, class_names=None, ax=None, title: str = "Confusion matrix"):
    """Heat map of the confusion matrix with the count in every cell."""
    n = len(class_names) if class_names is not None else None
    counts = confusion_matrix(y_true, y_pred, n)
    names = list(class_names) if class_names is not None else [str(k) for k in range(len(counts))]
    ax = ax or plt.subplots(figsize=(5.5, 5))[1]
    ax.imshow(counts, cmap="Blues")
    ax.grid(False)
    for (i, j), count in np.ndenumerate(counts):
        ax.text(j, i, count, ha="center", va="center", fontsize="small",
                color="white" if count > counts.max() / 2 else "black")
    ax.set(xticks=range(len(names)), yticks=range(len(names)), title=label(title),
           xlabel=label("predicted class"), ylabel=label("true class"))
    ax.set_xticklabels(names, rotation=45, ha="right")
    ax.set_yticklabels(names)
    return ax


def _class_indices(labels, name: str) -> np.ndarray:
    """Labels as non-negative ints; probabilities or negative numbers are an error."""
    values = np.asarray(labels).ravel()
    if values.size and (not np.all(np.mod(values, 1) == 0) or values.min() < 0):
        raise ValueError(f"{name} must hold class indices 0, 1, 2, ... (did you pass probabilities?)")
    return values.astype(int)


def _points_2d(X) -> np.ndarray:
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] != 2 or len(X) == 0:
        raise ValueError(f"expected 2-D points of shape (n, 2), got shape {X.shape}")
    return X
