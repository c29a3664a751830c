"""Lesson 00's environment check: every finding for faked machines, the probe, and the real gathering."""
from __future__ import annotations

import re

import numpy as np
import pytest

from course_utils import data, envcheck
from course_utils.envcheck import NOTE, OK, PROBLEM, Finding


def test_python_versions():
    assert envcheck.python_finding((3, 11, 7)).status == OK
    old = envcheck.python_finding((3, 9, 18))
    assert old.status == PROBLEM and "3.9.18" in old.found and "3.11" in old.fix


def test_packages_missing_outside_and_inside_their_range():
    installed = {"numpy": "2.1.0", "torch": None, "scikit-learn": "1.4.2", "keras": "3.5.0", "odd": "banana"}
    wanted = {"numpy": ">=1.26,<3", "torch": "==2.13.*", "scikit-learn": ">=1.5,<2", "odd": ">=1"}
    findings = {f.topic: f for f in envcheck.package_findings(installed, wanted)}
    assert findings["numpy"].status == OK and ">=1.26,<3" in findings["numpy"].found
    assert findings["torch"].status == PROBLEM and "requirements.txt" in findings["torch"].fix
    assert findings["scikit-learn"].status == PROBLEM and "1.4.2" in findings["scikit-learn"].found
    assert findings["keras"].status == OK          # no range wanted: any version is fine
    assert findings["odd"].status == OK            # an unparsable version is reported, never judged


def test_a_local_version_tag_is_inside_a_wildcard_pin():
    finding, = envcheck.package_findings({"torch": "2.13.0+cpu"}, {"torch": "==2.13.*"})
    assert finding.status == OK


def test_wanted_versions_read_requirements(tmp_path):
    path = tmp_path / "requirements.txt"
    path.write_text("# comment\nnumpy>=1.26,<3\ntorch==2.13.*  # pinned\n-e .\n\nnot a requirement!!\n")
    assert envcheck.wanted_versions(path) == {"numpy": ">=1.26,<3", "torch": "==2.13.*"}
    assert envcheck.wanted_versions(tmp_path / "missing.txt") == {}


def test_the_course_requirements_name_the_checked_packages():
    wanted = envcheck.wanted_versions()
    assert {"numpy", "ipywidgets", "scikit-learn", "torch", "tensorflow"} <= wanted.keys()


@pytest.mark.parametrize("available, requested, nvidia, status, words", [
    (None, None, False, PROBLEM, "not installed"),
    (["cpu"], None, False, OK, "cpu"),
    (["cuda", "cpu"], None, True, OK, "cuda"),
    (["cpu"], "cuda", True, PROBLEM, "COURSE_DEVICE=cuda"),
    (["cpu"], None, True, NOTE, "CPU build"),
    (["mps", "cpu"], "cpu", False, OK, "cpu"),
])
def test_device_findings(available, requested, nvidia, status, words):
    finding = envcheck.device_finding(available, requested, nvidia)
    assert finding.status == status and words in finding.found
    assert (finding.fix != "") == (status != OK)


def test_data_findings(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    findings = envcheck.data_findings(True, {"mnist": "present", "fashion_mnist": "damaged"})
    assert [f.status for f in findings] == [OK, OK, PROBLEM]
    assert "offline" in findings[0].found and "delete" in findings[2].fix
    missing, = envcheck.data_findings(False, {"mnist": "missing"})[1:]
    assert missing.status == NOTE and str(tmp_path / "datasets") in missing.fix


def test_dataset_files_sees_missing_damaged_and_good_files(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert envcheck.dataset_files() == {"mnist": "missing", "fashion_mnist": "missing"}
    folder = tmp_path / "datasets"
    folder.mkdir()
    (folder / "mnist.npz").write_bytes(b"not the real file")
    assert envcheck.dataset_files()["mnist"] == "damaged"
    monkeypatch.setattr(data, "is_intact", lambda path: True)   # stands in for the genuine checksum
    assert envcheck.dataset_files()["mnist"] == "present"


def test_widget_findings():
    assert envcheck.widgets_finding(None, None, True).status == PROBLEM
    no_extension = envcheck.widgets_finding("8.1.5", None, True)
    assert no_extension.status == NOTE and "jupyterlab_widgets" in no_extension.fix
    fine = envcheck.widgets_finding("8.1.5", "3.0.13", True)
    assert fine.status == OK and "slider below" in fine.found   # never claims the page drew it
    terminal = envcheck.widgets_finding("8.1.5", "3.0.13", False)
    assert terminal.status == OK and "static images" in terminal.found and "slider" not in terminal.found


@pytest.mark.parametrize("round_s, status, slower", [(0.030, OK, 60), (0.015, OK, 30), (0.060, NOTE, 120),
                                                     (0.150, PROBLEM, 300)])
def test_speed_verdicts(round_s, status, slower):
    finding = envcheck.speed_finding(round_s, reference_s=0.030)
    assert finding.status == status
    assert f"about {slower} s here" in finding.found
    assert (finding.fix != "") == (status != OK)


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), float("inf")])
def test_speed_rejects_impossible_times(bad):
    with pytest.raises(ValueError):
        envcheck.speed_finding(bad)


def test_the_probe_respects_its_budget():
    seconds, rounds = envcheck.speed_probe(budget_s=0.3)
    assert seconds > 0 and rounds >= 1
    assert seconds * rounds < 0.3 + 2 * seconds + 0.1
    with pytest.raises(ValueError):
        envcheck.speed_probe(budget_s=0)


def test_the_probe_work_is_the_same_each_time():
    assert np.isfinite(envcheck.probe_round(steps=3))


def test_findings_print_their_fix():
    text = str(Finding("speed", PROBLEM, "slow", "close other notebooks"))
    assert text.startswith("❌ speed: slow") and "What to do: close other notebooks" in text
    assert "What to do" not in str(Finding("numpy", OK, "2.1"))


def test_summary_counts_problems():
    assert "ready for lesson 01" in envcheck.summary([Finding("a", OK, "x"), Finding("b", NOTE, "y", "z")])
    assert "2 problem(s)" in envcheck.summary([Finding("a", PROBLEM, "x", "f"), Finding("b", PROBLEM, "y", "g")])


def test_code_bytes_of_a_compiled_and_a_pure_python_package():
    compiled, python = envcheck.code_bytes("numpy")
    assert compiled > 0 and python > 0
    assert envcheck.code_bytes("tqdm")[0] == 0          # pure Python


def test_run_checks_on_this_machine(monkeypatch):
    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    findings = envcheck.run_checks(probe_budget_s=0.2)
    topics = [f.topic for f in findings]
    assert topics[0] == "Python" and topics[-1] == "speed"
    assert {"numpy", "device", "data mode", "MNIST", "Fashion-MNIST", "widgets"} <= set(topics)
    assert all(f.status in (OK, NOTE, PROBLEM) for f in findings)
    assert all(f.fix for f in findings if f.status == PROBLEM)
    assert re.search(r"\d+ s here", findings[-1].found)
