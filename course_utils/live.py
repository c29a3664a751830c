"""Live training curves: one figure updated in place in Jupyter, a text line per epoch elsewhere.

``LiveLoss`` is framework-free: call ``update(epoch, logs)`` once per epoch and ``finish()`` at
the end. ``keras_callback`` wraps it for ``model.fit``; lesson 06b drives it from a torch loop, so
both frameworks show the same picture.
"""
from __future__ import annotations

import io
import math
import time
from typing import Mapping

import numpy as np

from .doctor import in_notebook
from .i18n import t
from .plotting import label, plot_curve

MODES = ("figure", "text")
_HIGHER_IS_BETTER = ("acc", "auc", "precision", "recall", "f1")


def _display(obj):
    """Show ``obj`` once and return a handle whose ``update`` redraws it in place."""
    from IPython.display import display

    return display(obj, display_id=True)


def _png(data: bytes):
    from IPython.display import Image

    return Image(data=data, format="png")


class LiveLoss:
    """Live training curves: one figure updated in place in Jupyter; a compact text line per update elsewhere.

    ``metrics`` names the curves, one subplot each; "x" and "val_x" share a subplot.
    ``epoch`` counts from 0 like Keras and ``range(n)``; the plots and text show epoch + 1.
    ``mode`` is "figure" or "text" (default: figure inside Jupyter, else text);
    ``min_interval`` is the shortest time in seconds between two redraws of the figure.
    """

    def __init__(self, title="Training", metrics=("loss",), total_epochs=None, *,
                 mode: str | None = None, min_interval: float = 0.25):
        if not isinstance(title, str):
            raise TypeError(f"title must be a string, got {type(title).__name__}")
        if isinstance(metrics, str):
            metrics = (metrics,)
        if not isinstance(metrics, (tuple, list)) or not metrics:
            raise TypeError(f"metrics must be a non-empty tuple of names like ('loss', 'accuracy'), got {metrics!r}")
        for name in metrics:
            if not isinstance(name, str) or not name or name.startswith("val_"):
                raise ValueError(f"each metric must be a name like 'loss' (its 'val_' twin is added for you), "
                                 f"got {name!r}")
        if total_epochs is not None and (isinstance(total_epochs, bool) or not isinstance(total_epochs, int)
                                         or total_epochs < 1):
            raise ValueError(f"total_epochs must be a positive int or None, got {total_epochs!r}")
        if mode is None:
            mode = "figure" if in_notebook() else "text"
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES} or None, got {mode!r}")
        if not isinstance(min_interval, (int, float)) or not min_interval >= 0:
            raise ValueError(f"min_interval must be a number >= 0, got {min_interval!r}")
        self.title, self.metrics, self.total_epochs = title, tuple(metrics), total_epochs
        self.mode, self.min_interval = mode, float(min_interval)
        self.history: dict[str, list[float]] = {}
        self.epochs: dict[str, list[int]] = {}  # the epoch (from 0) of every value in history
        self.redraws = 0
        self._last_epoch: int | None = None
        self._handle = None
        self._figure = None
        self._last_draw = -math.inf
        self._pending = False
        self._start = time.monotonic()

    # ----------------------------------------------------------------- recording
    def update(self, epoch: int, logs: dict[str, float]) -> None:
        """Record the values of one epoch and refresh the figure (or print a line)."""
        if isinstance(epoch, bool) or not isinstance(epoch, (int, np.integer)) or epoch < 0:
            raise ValueError(f"epoch must be an int >= 0 (the first epoch is 0), got {epoch!r}")
        epoch = int(epoch)
        if self._last_epoch is not None and epoch <= self._last_epoch:
            raise ValueError(f"epoch {epoch} comes after epoch {self._last_epoch}: epochs must increase. "
                             "Use a new LiveLoss for a new training run.")
        if not isinstance(logs, Mapping) or not logs:
            raise TypeError(f"logs must be a non-empty dict like {{'loss': 0.3}}, got {logs!r}")
        values = {}
        for name, value in logs.items():
            if not isinstance(name, str):
                raise TypeError(f"log names must be strings, got {name!r}")
            try:
                values[name] = float(value)
            except (TypeError, ValueError):
                raise TypeError(f"log {name!r} must be a number, got {value!r}") from None
        self._last_epoch = epoch
        for name, value in values.items():
            self.history.setdefault(name, []).append(value)
            self.epochs.setdefault(name, []).append(epoch)
        if self.mode == "text":
            self._print_line(epoch, values)
            return
        last = self.total_epochs is not None and epoch + 1 >= self.total_epochs
        if last or self._handle is None or time.monotonic() - self._last_draw >= self.min_interval:
            self._draw()
        else:
            self._pending = True

    def finish(self) -> None:
        """Show the final figure (in place) and print a one-line summary."""
        if self.mode == "figure" and self._pending:
            self._draw()
        print(self.summary())

    def summary(self) -> str:
        """One line: epochs run, final values, and the best validation epoch."""
        if not self.history:
            return t("{title}: no epochs logged.", title=t(self.title))
        n = len({e for epochs in self.epochs.values() for e in epochs})
        finals = "  ".join(f"{name} {_fmt(self.history[name][-1])}" for name in self._shown(self.history))
        text = t("{title}: {count} epochs in {seconds:.1f} s, final {finals}", title=t(self.title), count=n,
                 seconds=time.monotonic() - self._start, finals=finals)
        val = "val_" + self.metrics[0]
        if val in self.history:
            values = np.asarray(self.history[val])
            if np.isfinite(values).any():
                higher = any(key in self.metrics[0].lower() for key in _HIGHER_IS_BETTER)
                best = int(np.nanargmax(np.where(np.isfinite(values), values, -np.inf)) if higher
                           else np.nanargmin(np.where(np.isfinite(values), values, np.inf)))
                text += t("; best {name} {value} at epoch {epoch}", name=val, value=_fmt(values[best]),
                          epoch=self.epochs[val][best] + 1)
        return text

    # ------------------------------------------------------------------ drawing
    def _shown(self, names) -> list[str]:
        """The chosen metrics and their 'val_' twins that appear in ``names``, in the order of ``metrics``."""
        return [name for metric in self.metrics for name in (metric, "val_" + metric) if name in names]

    def _progress(self, epoch: int, say=t) -> str:
        return say("epoch {number}", number=f"{epoch + 1}" + (f"/{self.total_epochs}" if self.total_epochs else ""))

    def _print_line(self, epoch: int, values: dict[str, float]) -> None:
        shown = [f"{name} {_fmt(values[name])}" for name in self._shown(values)]
        print(f"{t(self.title)} | {self._progress(epoch)} | " + "  ".join(shown)
              + f" | {time.monotonic() - self._start:.1f} s")

    def _draw(self) -> None:
        """Redraw the persistent Figure and push it as a PNG into the one display handle."""
        figure = self._render()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        image = _png(buffer.getvalue())
        if self._handle is None:
            self._handle = _display(image)
        else:
            self._handle.update(image)
        self.redraws += 1
        self._last_draw = time.monotonic()
        self._pending = False

    def _render(self):
        # A bare Figure (not pyplot) is never registered with pyplot, so no figure piles up.
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        if self._figure is None:
            n = len(self.metrics)
            self._figure = Figure(figsize=(4.6 * n, 3.4), dpi=90, layout="constrained")
            FigureCanvasAgg(self._figure)
            self._figure.subplots(1, n, squeeze=False)
        figure = self._figure
        for ax, metric in zip(figure.axes, self.metrics):
            ax.clear()
            drawn = False
            for name, part in ((metric, "training"), ("val_" + metric, "validation")):
                if name in self.history:
                    plot_curve(ax, np.asarray(self.epochs[name]) + 1, self.history[name], f"{label(part)} ({name})",
                               marker="o", markersize=3)
                    drawn = True
            if drawn:
                ax.legend(fontsize="small")
            else:
                ax.text(0.5, 0.5, label("no '{metric}' in the logs yet", metric=metric), ha="center", va="center",
                        transform=ax.transAxes, color="gray")
            ax.set(title=metric, xlabel=label("epoch"), ylabel=metric)
            ax.xaxis.get_major_locator().set_params(integer=True)
        figure.suptitle(f"{label(self.title)} - {self._progress(self._last_epoch, label)}")
        return figure


def _fmt(value: float) -> str:
    return f"{value:.4g}"


def keras_callback(title="Training", metrics=("loss",), total_epochs=None, **options):
    """A Keras callback that draws live curves with ``LiveLoss``; its ``.live`` holds the history.

    ``total_epochs`` defaults to the ``epochs`` given to ``fit``. ``options`` go to ``LiveLoss``.
    """
    import keras

    live = LiveLoss(title, metrics, total_epochs, **options)

    class LiveLossCallback(keras.callbacks.Callback):
        """Calls ``LiveLoss.update`` after every epoch and ``finish`` after training."""

        def __init__(self):
            super().__init__()
            self.live = live

        @property
        def history(self) -> dict[str, list[float]]:
            return self.live.history

        def on_train_begin(self, logs=None):
            if self.live.total_epochs is None and self.params.get("epochs"):
                self.live.total_epochs = int(self.params["epochs"])

        def on_epoch_end(self, epoch, logs=None):
            self.live.update(epoch, dict(logs or {}))

        def on_train_end(self, logs=None):
            self.live.finish()

    return LiveLossCallback()
