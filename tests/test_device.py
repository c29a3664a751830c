"""Tests for course_utils.device: the best device, a clear error for a missing one, COURSE_DEVICE.

CUDA and MPS are simulated with monkeypatch, so these tests give the same answers on any machine.
"""
from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from course_utils import device as dev  # noqa: E402


@pytest.fixture
def simulate(monkeypatch):
    """simulate(cuda=..., mps=...) makes torch report exactly these accelerators."""
    monkeypatch.delenv("COURSE_DEVICE", raising=False)

    def _simulate(cuda: bool = False, mps: bool = False):
        monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
        monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)

    return _simulate


def test_falls_back_to_the_cpu_when_nothing_else_is_there(simulate):
    simulate(cuda=False, mps=False)
    assert dev.available_devices() == ["cpu"]
    found = dev.get_device()
    assert isinstance(found, torch.device) and found.type == "cpu"


@pytest.mark.parametrize("cuda, mps, best", [(True, False, "cuda"), (False, True, "mps"), (True, True, "cuda")])
def test_the_best_accelerator_wins(simulate, cuda, mps, best):
    simulate(cuda=cuda, mps=mps)
    assert dev.available_devices()[-1] == "cpu"
    assert dev.get_device().type == best


def test_a_missing_device_is_a_clear_runtime_error(simulate):
    simulate(cuda=False, mps=False)
    with pytest.raises(RuntimeError, match=r"'cuda' was requested but is not available here \(available: cpu\)"):
        dev.get_device("cuda")
    with pytest.raises(RuntimeError, match="'mps'"):
        dev.get_device("mps")


def test_the_real_machine_without_cuda_refuses_cuda(monkeypatch):
    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(RuntimeError, match="not available"):
        dev.get_device("cuda")


@pytest.mark.parametrize("name", ["tpu", "gpu", "", "cuda0"])
def test_an_unknown_name_is_a_value_error(simulate, name):
    simulate(cuda=True, mps=True)
    with pytest.raises(ValueError, match="unknown device"):
        dev.get_device(name)


def test_a_name_must_be_a_string(simulate):
    simulate()
    with pytest.raises(TypeError, match="string"):
        dev.get_device(0)


def test_names_are_case_insensitive_and_may_carry_an_index(simulate):
    simulate(cuda=True)
    assert dev.get_device("CUDA:1") == torch.device("cuda:1")
    assert dev.get_device("Cpu").type == "cpu"


def test_the_environment_variable_chooses(simulate, monkeypatch):
    simulate(cuda=True)
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    assert dev.get_device().type == "cpu"
    monkeypatch.setenv("COURSE_DEVICE", "")          # empty means "not set"
    assert dev.get_device().type == "cuda"


def test_the_environment_variable_is_checked_like_an_argument(simulate, monkeypatch):
    simulate(cuda=False)
    monkeypatch.setenv("COURSE_DEVICE", "cuda")
    with pytest.raises(RuntimeError, match="COURSE_DEVICE"):
        dev.get_device()
    monkeypatch.setenv("COURSE_DEVICE", "tpu")
    with pytest.raises(ValueError, match="unknown device"):
        dev.get_device()


def test_an_argument_overrides_the_environment_variable(simulate, monkeypatch):
    simulate(cuda=True, mps=True)
    monkeypatch.setenv("COURSE_DEVICE", "cuda")
    assert dev.get_device("mps").type == "mps"


def test_setup_reports_the_chosen_device(simulate, capsys):
    from course_utils import setup

    simulate(cuda=False, mps=False)
    session = setup(seed=0, frameworks=("torch",))
    assert session.device == torch.device("cpu")
    assert "torch uses cpu" in capsys.readouterr().out
