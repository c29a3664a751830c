"""Tests for course_utils.doctor.setup: seeds, the report, and the frameworks a lesson asks for.

torch is imported by a few tests (about 2 s), TensorFlow only by the one test marked `slow`
below (about 10 s here). COURSE_SKIP_SLOW=1 skips both.
"""
from __future__ import annotations

import os
import random

import matplotlib
import numpy as np
import pytest

from course_utils import doctor
from course_utils.doctor import Session, report, setup

SKIP_SLOW = os.environ.get("COURSE_SKIP_SLOW") == "1"
slow = pytest.mark.skipif(SKIP_SLOW, reason="imports TensorFlow (slow)")

REPORT_LINES = ("Python ", "Packages: ", "Device: ", "Data: ", "Widgets: ", "Exercise checks: ")


@pytest.fixture(autouse=True)
def clean_state(monkeypatch):
    """Keep setup's plot style and environment changes inside each test."""
    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    monkeypatch.delenv("COURSE_STRICT", raising=False)
    for name in ("TF_CPP_MIN_LOG_LEVEL", "KERAS_BACKEND"):   # setup uses setdefault; restore afterwards
        monkeypatch.setenv(name, os.environ.get(name, "2" if name.startswith("TF") else "tensorflow"))
    with matplotlib.rc_context():
        yield


def draws(session: Session):
    """Numbers from every RNG that setup seeds."""
    return session.rng.random(3).tolist(), np.random.rand(3).tolist(), random.random()


@pytest.fixture(autouse=True)
def no_course_seed(monkeypatch):
    """These tests pass seeds themselves; a COURSE_SEED in the caller's shell must not replace them."""
    monkeypatch.delenv("COURSE_SEED", raising=False)


def test_setup_returns_a_seeded_session():
    session = setup(seed=7, verbose=False)
    assert isinstance(session, Session) and session.seed == 7 and session.device is None
    assert isinstance(session.rng, np.random.Generator)


def test_the_same_seed_gives_the_same_numbers():
    first = draws(setup(seed=3, verbose=False))
    assert draws(setup(seed=3, verbose=False)) == first
    assert draws(setup(seed=4, verbose=False)) != first


def test_setup_prints_the_report(capsys):
    setup(seed=0)
    seed_line, *lines = capsys.readouterr().out.strip().splitlines()
    assert seed_line == "Seed: 0"
    assert [line.split(" ")[0] for line in lines] == [p.split(" ")[0] for p in REPORT_LINES]
    packages = lines[1]
    for name in ("numpy", "matplotlib", "ipywidgets", "torch", "tensorflow", "keras"):
        assert f"{name} " in packages
    assert lines[2] == "Device: CPU (this lesson uses numpy only)"
    assert "missing" not in lines[4] or "pip install" in lines[4]


def test_course_seed_replaces_the_seed_argument(monkeypatch, capsys):
    monkeypatch.setenv("COURSE_SEED", "2")
    session = setup(seed=0)
    assert session.seed == 2
    assert draws(session) == draws(setup(seed=2, verbose=False))
    assert capsys.readouterr().out.startswith("Seed: 2 (from COURSE_SEED)")


def test_seed_none_means_course_seed_else_0(monkeypatch):
    """A lesson's SEED setting left at None: COURSE_SEED when set, else 0."""
    assert setup(seed=None, verbose=False).seed == 0
    monkeypatch.setenv("COURSE_SEED", "5")
    assert setup(seed=None, verbose=False).seed == 5


@pytest.mark.parametrize("text", ["-1", "one", "1.5"])
def test_a_bad_course_seed_raises(monkeypatch, text):
    monkeypatch.setenv("COURSE_SEED", text)
    with pytest.raises(ValueError, match="COURSE_SEED"):
        setup(verbose=False)


def test_verbose_false_prints_nothing(capsys):
    setup(verbose=False)
    assert capsys.readouterr().out == ""


def test_setup_sets_the_plot_style():
    matplotlib.rcParams["axes.grid"] = False
    setup(verbose=False)
    assert matplotlib.rcParams["axes.grid"] is True


@pytest.mark.parametrize("env, text", [
    ({"COURSE_OFFLINE": "1"}, "Data: offline (bundled data only)"),
    ({"COURSE_OFFLINE": "0"}, "Data: online allowed"),
    ({"COURSE_STRICT": "1"}, "Exercise checks: strict"),
    ({"COURSE_STRICT": "0"}, "Exercise checks: friendly"),
])
def test_the_report_follows_the_environment(monkeypatch, env, text):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert text in report()


def test_a_missing_package_is_reported_as_missing(monkeypatch):
    monkeypatch.setattr(doctor, "PACKAGES", ("numpy", "no_such_package_xyz"))
    assert "no_such_package_xyz missing" in report()


@pytest.mark.parametrize("seed", [-1, 1.5, "0", True, np.float64(2.0)])
def test_bad_seeds_raise(seed):
    with pytest.raises((TypeError, ValueError), match="seed must be a non-negative int"):
        setup(seed=seed, verbose=False)


@pytest.mark.parametrize("frameworks", [("pytorch",), ("torch", "jax"), "keras", ("TensorFlow",)])
def test_unknown_frameworks_raise(frameworks):
    with pytest.raises(ValueError, match=r"unknown framework.*choose from \('tensorflow', 'torch'\)"):
        setup(frameworks=frameworks, verbose=False)


# ---------------------------------------------------------------- torch

@pytest.fixture
def torch():
    if SKIP_SLOW:
        pytest.skip("imports torch (slow)")
    return pytest.importorskip("torch")


@pytest.mark.parametrize("frameworks", [("torch",), "torch"])
def test_torch_device_and_seed(torch, frameworks, capsys):
    session = setup(seed=5, frameworks=frameworks)
    assert isinstance(session.device, torch.device) and session.device.type in ("cuda", "mps", "cpu")
    assert f"Device: torch uses {session.device}" in capsys.readouterr().out
    first = torch.rand(4)
    setup(seed=5, frameworks=frameworks, verbose=False)
    assert torch.equal(torch.rand(4), first)
    setup(seed=6, frameworks=frameworks, verbose=False)
    assert not torch.equal(torch.rand(4), first)


def test_torch_device_follows_course_device(torch, monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    assert setup(frameworks=("torch",), verbose=False).device == torch.device("cpu")


# ---------------------------------------------------------------- TensorFlow (slow)

@slow
def test_tensorflow_setup_seeds_and_reports(capsys):
    tf = pytest.importorskip("tensorflow")
    session = setup(seed=1, frameworks=("tensorflow",))
    assert session.device is None
    assert "Device: TensorFlow uses " in capsys.readouterr().out
    first = tf.random.uniform((3,)).numpy()
    setup(seed=1, frameworks=("tensorflow",), verbose=False)
    np.testing.assert_array_equal(tf.random.uniform((3,)).numpy(), first)
