"""One call at the top of every notebook: seeds, quiet logs, plot style, and a report."""
from __future__ import annotations

import os
import platform
import random
import sys
from dataclasses import dataclass
from importlib import metadata

import numpy as np

from .checks import strict_mode
from .data import offline_mode
from .i18n import set_lang, t
from .plotting import use_style

FRAMEWORKS = ("tensorflow", "torch")
PACKAGES = ("numpy", "matplotlib", "ipywidgets", "scikit-learn", "tensorflow", "keras", "torch")


@dataclass(frozen=True)
class Session:
    """What ``setup`` decided: the seed, a seeded numpy Generator, and the torch device (or None)."""

    seed: int
    rng: np.random.Generator
    device: object = None


def setup(seed: int | None = 0, frameworks: tuple[str, ...] = (), verbose: bool = True,
          lang: str | None = None) -> Session:
    """Seed every RNG, quiet TensorFlow, set the plot style and print the doctor report.

    ``frameworks`` names the frameworks this notebook uses ('tensorflow', 'torch');
    only those are imported, so a numpy-only lesson stays fast. ``COURSE_SEED``,
    when set, replaces ``seed``: CI runs every lesson with other seeds that way, so
    a lesson's claims cannot rest on one lucky seed. ``seed=None`` (a lesson's ``SEED``
    setting left alone) means 0 unless ``COURSE_SEED`` is set. ``lang`` ('en', 'zh'), when given,
    sets ``COURSE_LANG``: the language of every verdict, report, widget and plot from here on.
    """
    if lang is not None:
        set_lang(lang)
    seed = 0 if seed is None else seed
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be a non-negative int, got {seed!r}")
    if seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed}")
    seed = seed_from_env(seed)
    if isinstance(frameworks, str):
        frameworks = (frameworks,)
    if not isinstance(frameworks, (tuple, list)):
        raise TypeError(f"frameworks must be a tuple of names such as ('torch',), got {frameworks!r}")
    unknown = set(frameworks) - set(FRAMEWORKS)
    if unknown:
        raise ValueError(f"unknown framework(s) {sorted(unknown)}; choose from {FRAMEWORKS}")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # hide TensorFlow's C++ logs (e.g. "no CUDA here")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    random.seed(seed)
    np.random.seed(seed)
    device = None
    if "tensorflow" in frameworks:
        import keras

        keras.utils.set_random_seed(seed)  # seeds Python, numpy and the backend
    if "torch" in frameworks:
        import torch

        from .device import get_device

        torch.manual_seed(seed)
        device = get_device()
    use_style()
    if verbose:
        print(t("Seed: {seed}", seed=seed) + (t(" (from COURSE_SEED)") if os.environ.get("COURSE_SEED", "").strip() else ""))
        print(report(frameworks, device))
    return Session(seed=seed, rng=np.random.default_rng(seed), device=device)


def seed_from_env(seed: int) -> int:
    """``COURSE_SEED`` as an int when it is set, else ``seed``."""
    text = os.environ.get("COURSE_SEED", "").strip()
    if not text:
        return seed
    if not text.isdigit():
        raise ValueError(f"COURSE_SEED must be a non-negative integer, got {text!r}")
    return int(text)


def report(frameworks: tuple[str, ...] = (), device=None) -> str:
    """A short text to paste into a question: versions, device, data mode, widgets."""
    versions = ", ".join(f"{name} {package_version(name)}" for name in PACKAGES)
    lines = [
        t("Python {version} on {system}", version=platform.python_version(),
          system=f"{platform.system()} {platform.machine()}"),
        t("Packages: {versions}", versions=versions),
        t("Device: {device}", device=_device_text(frameworks, device)),
        t("Data: {mode}", mode=t("offline (bundled data only)" if offline_mode() else
                                 "online allowed (Keras cache first)")),
        t("Widgets: {widgets}", widgets=_widgets_text()),
        t("Exercise checks: {mode}", mode=t("strict (a wrong answer raises)" if strict_mode() else
                                            "friendly (fall back to the reference)")),
    ]
    return "\n".join(lines)


def package_version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "missing"


def _device_text(frameworks, device) -> str:
    parts = []
    if device is not None:
        parts.append(t("torch uses {device}", device=device))
    if "tensorflow" in frameworks:
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        parts.append(t("TensorFlow uses {device}", device="GPU " + gpus[0].name if gpus else t("the CPU")))
    return "; ".join(parts) if parts else t("CPU (this lesson uses numpy only)")


def in_notebook() -> bool:
    """True inside a Jupyter kernel (a ZMQ shell), where widgets and in-place figures can show."""
    shell = sys.modules.get("IPython") and sys.modules["IPython"].get_ipython()
    return type(shell).__name__ == "ZMQInteractiveShell"


def _widgets_text() -> str:
    lab_ext = package_version("jupyterlab_widgets")
    if lab_ext == "missing":
        return t("ipywidgets {version}, but the JupyterLab extension is missing: pip install jupyterlab_widgets",
                 version=package_version("ipywidgets"))
    where = t("in a Jupyter kernel" if in_notebook() else "no Jupyter kernel, so figures appear as static images")
    return t("ipywidgets {version} with jupyterlab_widgets {extension}, {where}",
             version=package_version("ipywidgets"), extension=lab_ext, where=where)
