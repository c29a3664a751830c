"""Widgets proven in a real browser: JupyterLab driven by Debian's headless Chromium.

A real JupyterLab server from this environment serves a temporary copy of the
lessons on 127.0.0.1. Playwright drives the system Chromium (it never
downloads a browser), runs every cell, moves the widgets' controls, and checks
that the plots really change. Screenshots go to artifacts/browser/.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "browser"
CHROMIUM = os.environ.get("COURSE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WIDGET_IMAGE = "img.widget-image"  # an explorer's figure: a widgets.Image holding PNG bytes
SERVER_START_S = 90
KERNEL_START_S = 90
LAB_SETTINGS = {  # written to a private settings folder: no kernel dialog, no news pop-ups
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {
        "autoStartDefaultKernel": True, "windowingMode": "none"},  # every cell stays in the page
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False},
}

# slow end to end (JupyterLab in a browser): make test-wide (CI) runs it, make test does not
pytestmark = [pytest.mark.wide,
              pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                 reason=f"no Chromium at {CHROMIUM} (.ci/run installs Debian's chromium)")]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LabServer:
    """A JupyterLab server on 127.0.0.1 with a token, serving ``root``; always stopped by ``stop``."""

    def __init__(self, root: Path, home: Path):
        self.root, self.port, self.token = root, _free_port(), os.urandom(12).hex()
        self.log_path = home / "jupyterlab.log"
        settings = home / "lab-settings"
        for name, values in LAB_SETTINGS.items():
            (settings / name).parent.mkdir(parents=True, exist_ok=True)
            (settings / name).write_text(json.dumps(values))
        env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(settings),
                   JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"), COURSE_STRICT="0")
        env.pop("MPLBACKEND", None)  # kernels use the inline backend, as for a learner
        command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root",
                   "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
                   f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={root}",
                   "--LabApp.news_url=None", "--ServerApp.port_retries=0"]
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(command, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}?token={self.token}"

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + SERVER_START_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"JupyterLab exited with code {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url("api/status"), timeout=2) as reply:
                    if reply.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        pytest.fail(f"JupyterLab did not answer within {SERVER_START_S} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        self.log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A running JupyterLab over a scratch copy of lessons/ (learners' files are never touched)."""
    home = tmp_path_factory.mktemp("lab")
    root = home / "lessons"
    shutil.copytree(ROOT / "lessons", root)
    server = LabServer(root, home)
    try:
        server.wait_until_up()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        yield context.new_page()
    finally:
        context.close()


def open_and_run_all(page, lab: LabServer, notebook: str, timeout_s: float, path: str = "") -> None:
    """Open a notebook, wait for its kernel, run all cells and wait until every cell has run.

    ``path`` is the front end's address of the notebook (default: JupyterLab, in a fresh workspace).
    """
    page.goto(lab.url(path or f"lab/workspaces/{Path(notebook).stem}/tree/{notebook}"))
    panel = page.locator(".jp-NotebookPanel:visible")
    panel.first.wait_for(timeout=KERNEL_START_S * 1000)
    idle = panel.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")
    try:
        idle.first.wait_for(timeout=KERNEL_START_S * 1000)
    except Exception:
        shot(page, f"{Path(notebook).stem}-no-kernel")
        pytest.fail(f"the kernel for {notebook} did not become idle within {KERNEL_START_S} s:\n{lab.log_tail()}")
    prompts = panel.locator(".jp-CodeCell .jp-InputArea-prompt")
    deadline = time.monotonic() + timeout_s
    texts: list[str] = []
    for _attempt in range(3):  # a run that starts while the kernel connection settles can be lost
        time.sleep(3)
        panel.first.click()
        page.keyboard.press("Escape")
        page.locator("li.lm-MenuBar-item", has_text="Run").click()
        page.locator(".lm-Menu-item", has_text="Run All Cells").first.click()
        idle_since = None
        while time.monotonic() < deadline:
            texts = [t.strip() for t in prompts.all_inner_texts()]
            if texts and all(t not in ("[ ]:", "[*]:", "") for t in texts):
                return
            if idle.count() and "[*]:" not in texts:
                idle_since = idle_since or time.monotonic()
                if time.monotonic() - idle_since > 5:
                    break  # the kernel is idle but cells did not run: try again
            else:
                idle_since = None
            time.sleep(0.5)
    shot(page, f"{Path(notebook).stem}-timeout")
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").all_inner_texts()
    pytest.fail(f"{notebook}: not every cell finished within {timeout_s} s; prompts {texts}; "
                f"error outputs: {[e[-300:] for e in errors]}")


def saved_errors(page, lab: LabServer, notebook: str) -> list[str]:
    """Save the notebook from the browser and return the error outputs stored in the file."""
    page.keyboard.press("Control+s")
    path = lab.root / notebook
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            nb = nbformat.read(path, as_version=4)
        except ValueError:  # caught while the server was still writing the file: read again
            time.sleep(0.5)
            continue
        if any(cell.get("outputs") for cell in nb.cells):
            break
        time.sleep(0.5)
    else:
        pytest.fail(f"{notebook} was not saved with outputs within 20 s")
    return [f"cell {i}: {out.ename}: {out.evalue}" for i, cell in enumerate(nb.cells)
            for out in cell.get("outputs", []) if out.output_type == "error"]


def widget_image(page, index: int = 0):
    """The picture of the ``index``-th explorer."""
    return page.locator(WIDGET_IMAGE).nth(index)


def type_into_slider(page, label: str, value: str, index: int = 0) -> None:
    """Type a value into the readout of the slider described by ``label``."""
    name = page.locator(".widget-label", has_text=re.compile(f"^{re.escape(label)}$"))
    slider = page.locator(".widget-slider", has=name).nth(index)
    readout = slider.locator(".widget-readout")
    readout.click()
    page.keyboard.press("Control+a")
    page.keyboard.type(value)
    page.keyboard.press("Enter")


def choose_in_dropdown(page, label: str, option: str, index: int = 0) -> None:
    """Pick ``option`` in the dropdown menu described by ``label``."""
    name = page.locator(".widget-label", has_text=re.compile(f"^{re.escape(label)}$"))
    page.locator(".widget-dropdown", has=name).nth(index).locator("select").select_option(label=option)


def assert_plot_changes(page, action, what: str, image_index: int = 0, timeout_s: float = 20) -> None:
    """Run ``action`` and fail with a message naming ``what`` unless the widget's image changes."""
    image = widget_image(page, image_index)
    image.wait_for(timeout=10_000)
    before = image.get_attribute("src")
    action()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if image.count() and image.get_attribute("src") != before:
            return
        time.sleep(0.2)
    pytest.fail(f"{what}: the plot did not change within {timeout_s} s after moving the control")


def shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def test_lesson00_runs_and_its_widget_check_responds(lab, page):
    open_and_run_all(page, lab, "00a_welcome.ipynb", timeout_s=120)
    assert saved_errors(page, lab, "00a_welcome.ipynb") == []
    answer = page.locator(".widget-label", has_text="n squared = ")
    answer.first.scroll_into_view_if_needed()
    assert page.locator(".widget-slider").count() >= 1, "lesson 00a's test slider did not render as a widget"
    assert answer.first.inner_text().strip() == "n squared = 9"
    type_into_slider(page, "n", "5")
    deadline = time.monotonic() + 20
    while answer.first.inner_text().strip() != "n squared = 25":
        if time.monotonic() > deadline:
            pytest.fail(f"lesson 00a: moving the slider did not update the text ({answer.first.inner_text()!r})")
        time.sleep(0.2)
    shot(page, "00-widget-check")


def test_lesson01_runs_and_neuron_explorer_responds(lab, page):
    open_and_run_all(page, lab, "01b_boundaries_and_xor.ipynb", timeout_s=120)
    assert saved_errors(page, lab, "01b_boundaries_and_xor.ipynb") == []
    explorer = page.locator(WIDGET_IMAGE).first
    explorer.scroll_into_view_if_needed()
    assert page.locator(".widget-slider").count() >= 3, "the explorer's sliders did not render as widgets"
    shot(page, "01-neuron-explorer-before")
    assert_plot_changes(page, lambda: type_into_slider(page, "b", "-2.5"), "neuron explorer, slider b")
    shot(page, "01-neuron-explorer-after")


def test_lesson04_runs_and_both_widgets_respond(lab, page):
    open_and_run_all(page, lab, "04c_optimizers_in_practice.ipynb", timeout_s=240)
    assert saved_errors(page, lab, "04c_optimizers_in_practice.ipynb") == []
    assert page.locator(WIDGET_IMAGE).count() >= 2, "the race and the lab did not render as widgets"
    race, lab_image = widget_image(page, 0), widget_image(page, 1)
    race.scroll_into_view_if_needed()
    shot(page, "04-optimizer-race-before")
    assert_plot_changes(page, lambda: type_into_slider(page, "learning rate", "0.003", index=0),
                        "optimizer race, learning-rate slider", image_index=0)
    shot(page, "04-optimizer-race-after")
    lab_image.scroll_into_view_if_needed()
    shot(page, "04-learning-rate-lab-before")
    assert_plot_changes(page, lambda: type_into_slider(page, "learning rate", "10", index=1),
                        "learning-rate lab, learning-rate slider", image_index=1)
    shot(page, "04-learning-rate-lab-after")


def test_lesson07_runs_and_attribution_explorer_responds(lab, page):
    open_and_run_all(page, lab, "07b_occlusion_lime_shap.ipynb", timeout_s=300)
    assert saved_errors(page, lab, "07b_occlusion_lime_shap.ipynb") == []
    explorer = widget_image(page, 0)
    explorer.scroll_into_view_if_needed()
    assert page.locator(".widget-dropdown select").count() >= 3, "the explorer's menus did not render as widgets"
    shot(page, "07-attribution-explorer-before")
    assert_plot_changes(page, lambda: choose_in_dropdown(page, "method", "integrated gradients"),
                        "attribution explorer, method menu")
    assert_plot_changes(page, lambda: choose_in_dropdown(page, "model", "random weights"),
                        "attribution explorer, model menu")
    shot(page, "07-attribution-explorer-after")


def test_broken_widget_callback_is_reported(lab, page):
    """A callback that raises leaves the plot unchanged, and the test says which widget failed."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "from course_utils.widgets import NeuronExplorer\n"
        "explorer = NeuronExplorer()  # the first draw works\n"
        "def broken():\n"
        "    raise RuntimeError('deliberately broken callback')\n"
        "explorer.update = broken     # every later move fails\n"
        "explorer")], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    nbformat.write(nb, lab.root / "broken_widget.ipynb")
    open_and_run_all(page, lab, "broken_widget.ipynb", timeout_s=60)
    with pytest.raises(pytest.fail.Exception, match="broken explorer: the plot did not change"):
        assert_plot_changes(page, lambda: type_into_slider(page, "b", "-2.5"), "broken explorer", timeout_s=5)
    shot(page, "broken-widget")
