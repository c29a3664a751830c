"""The test run cannot pass silently: in CI a skip fails, and locally skipped browser tests are announced."""
from pathlib import Path

import pytest

ROOT_CONFTEST = (Path(__file__).resolve().parents[1] / "conftest.py").read_text()
SKIPPING_BROWSER_TEST = """
import pytest

def test_drives_chromium():
    pytest.skip("no Chromium at /nowhere")
"""


@pytest.fixture
def project(pytester):
    pytester.makeconftest(ROOT_CONFTEST)
    pytester.makepyfile(test_browser=SKIPPING_BROWSER_TEST)
    return pytester


def test_in_ci_a_skip_is_a_failure_with_its_reason(project, monkeypatch):
    monkeypatch.setenv("CI", "true")
    result = project.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*skipped in CI, where every test must run*no Chromium at /nowhere*"])
    assert result.ret != 0


def test_locally_skipped_browser_tests_end_with_one_clear_line(project, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    result = project.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["NOTE: 1 browser tests were skipped (no Chromium); to run them, install Chromium*"])
    assert result.ret == 0
