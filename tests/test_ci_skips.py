"""The test run cannot pass silently: in CI a skip fails, locally skipped browser tests are announced, and a
notebook kernel that dies while starting is started once more, with a warning."""
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


def _root_conftest():
    import importlib.util
    spec = importlib.util.spec_from_file_location("root_conftest", Path(__file__).resolve().parents[1] / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_kernel_that_dies_while_starting_is_started_once_more_with_a_warning():
    calls = []

    def start(cwd=None):
        calls.append(cwd)
        if len(calls) == 1:
            raise RuntimeError("Kernel died before replying to kernel_info")
        return "kernel"

    with pytest.warns(UserWarning, match="died while starting.*started again"):
        assert _root_conftest().with_one_retry(start)(cwd="solutions") == "kernel"
    assert calls == ["solutions", "solutions"]


def test_a_kernel_that_dies_twice_fails():
    def start(cwd=None):
        raise RuntimeError("Kernel died before replying to kernel_info")

    with pytest.warns(UserWarning), pytest.raises(RuntimeError, match="died before replying"):
        _root_conftest().with_one_retry(start)(cwd="solutions")


def test_nbval_starts_its_kernels_with_the_retry():
    from nbval import kernel
    assert getattr(kernel.start_new_kernel, "retries", False)
