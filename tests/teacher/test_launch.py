"""Each lesson's launch links and install cell (course_utils.teacher.launch)."""
from __future__ import annotations

import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

import nbformat
import pytest

import course_utils
from course_utils import envcheck
from course_utils.teacher import launch

TAG = f"v{course_utils.__version__}"
COURSE = f"deep-learning-hands-on=={course_utils.__version__}"
WANTED = envcheck.wanted_versions()  # requirements.txt


def test_the_links_open_the_lesson_at_this_release(monkeypatch):
    monkeypatch.setattr(launch, "HUB", "https://hub.example.edu")
    links = launch.launch_links("01a_neurons_and_activations")
    colab, binder, hub = [part.split("](")[1].rstrip(")") for part in links.split(" · ")]
    assert colab.endswith(f"/{launch.REPOSITORY}/blob/{TAG}/lessons/01a_neurons_and_activations.ipynb")
    assert binder.endswith(f"/{launch.REPOSITORY}/{TAG}?labpath=lessons/01a_neurons_and_activations.ipynb")
    query = parse_qs(urlsplit(hub).query)
    assert hub.startswith(f"{launch.HUB}/hub/user-redirect/git-pull?")
    assert query["branch"] == [TAG] and query["repo"] == [f"https://github.com/{launch.REPOSITORY}"]
    assert query["urlpath"][0].endswith("/lessons/01a_neurons_and_activations.ipynb")
    assert links.startswith("[Open in Colab](")


def test_without_a_hub_address_no_lesson_links_to_a_hub():
    """Round 39 (r394 F1): the hub link pointed at a placeholder host, the first line a learner sees."""
    assert launch.HUB is None
    links = launch.launch_links("01a_neurons_and_activations")
    assert links.count("](") == 2 and "JupyterHub" not in links


def test_the_chinese_links_open_the_chinese_lesson(monkeypatch):
    monkeypatch.setattr(launch, "HUB", "https://hub.example.edu")
    links = launch.launch_links("01a_neurons_and_activations", lang="zh")
    assert "[在 Colab 中打开](" in links and "[在 Binder 中打开](" in links and "[在 JupyterHub 中打开](" in links
    assert f"/blob/{TAG}/lessons/zh/01a_neurons_and_activations.ipynb)" in links


def test_a_lesson_needs_what_its_code_imports():
    code = "import numpy as np\nfrom sklearn.datasets import make_moons\nimport keras\n  import torch\nimport shap"
    assert launch.lesson_requirements(code) == [
        COURSE, *[f"{name}{WANTED[name]}" for name in ("numpy", "scikit-learn", "shap")], "tensorflow", "torch"]


def install_cell(lang="en"):
    lesson = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Title\n\nText"),
                                             nbformat.v4.new_code_cell("import numpy")])
    launch.add_launch_cells(lesson, "01a_neurons_and_activations", lang)
    return lesson


def test_the_cells_go_under_the_title():
    lesson = install_cell()
    assert [cell.cell_type for cell in lesson.cells] == ["markdown", "markdown", "code", "code"]
    assert lesson.cells[0].source.startswith("# Title\n\n[Open in Colab](")
    assert lesson.cells[0].source.endswith("\n\nText") and "skipped when" in lesson.cells[1].source
    assert len(lesson.cells[2].source.splitlines()) <= 15
    zh = install_cell("zh")
    assert "安装本课所需的软件包（已安装时跳过）" in zh.cells[1].source and "已安装时跳过" in zh.cells[2].source


def run_install_cell(monkeypatch, version):
    """Run the install cell where course_utils has ``version``; return the pip commands it ran."""
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda command, check: calls.append(command))
    monkeypatch.setattr(course_utils, "__version__", version)
    saved = {name: module for name, module in sys.modules.items() if name.partition(".")[0] == "course_utils"}
    try:
        exec(install_cell().cells[2].source, {})
    finally:
        sys.modules.update(saved)
    return calls


def test_the_install_cell_does_nothing_when_the_course_is_installed(monkeypatch):
    assert run_install_cell(monkeypatch, launch.__version__) == []


@pytest.mark.parametrize("version", ["0.0.1", "9.9.9"])
def test_the_install_cell_installs_the_lessons_release_otherwise(monkeypatch, version):
    calls = run_install_cell(monkeypatch, version)
    assert calls == [[sys.executable, "-m", "pip", "install", "-q", COURSE, f"numpy{WANTED['numpy']}"]]
