"""One click to run a lesson: its links to Colab, Binder and a JupyterHub, and its install cell.

The generator puts both at the top of every lesson (``add_launch_cells``); the book reuses
``launch_links``. The links open the lesson at the release it belongs to (tag ``v<version>``). The
install cell makes a lesson that was opened alone (on Colab, or as a downloaded file) install the course
package at that version and the other packages its code imports; where ``course_utils`` is already
importable at that version (a clone, Binder, a hub) it does nothing.

Publishing the course elsewhere: change ``REPOSITORY``, then ``make lessons ARGS=--force``. A class with a
JupyterHub sets ``HUB`` to its address too: each lesson then gets a third link, which opens it there through
nbgitpuller (``HUB`` is None here, so no lesson links to a hub that does not exist).
"""
from __future__ import annotations

import re
from urllib.parse import quote, urlencode

import nbformat

from .. import __version__, envcheck

REPOSITORY = "deep-learning-hands-on/deep-learning-hands-on"  # owner/name on GitHub
HUB: str | None = None   # a class's JupyterHub, e.g. "https://hub.example.edu"
DISTRIBUTION = "deep-learning-hands-on"
PREINSTALLED = {"torch", "tensorflow"}  # on Colab: named without a version, so pip keeps Colab's own
IMPORTED_AS = {"keras": "tensorflow", "sklearn": "scikit-learn"}  # import name -> requirements.txt name

TEXT = {
    "en": {"colab": "Open in Colab", "binder": "Open in Binder", "hub": "Open on a JupyterHub",
           "install": "The next cell installs the packages this lesson needs (skipped when they are "
                      "already installed), so the lesson also runs on its own, on Colab or from a "
                      "downloaded file.",
           "comment": "# Install the course's packages (skipped when they are installed)"},
    "zh": {"colab": "在 Colab 中打开", "binder": "在 Binder 中打开", "hub": "在 JupyterHub 中打开",
           "install": "下一个单元格安装本课所需的软件包（已安装时跳过）。这样，单独打开的一课"
                      "（在 Colab 中，或者下载的文件）也能运行。",
           "comment": "# 安装课程所需的软件包（已安装时跳过）"},
}


def lesson_path(stem: str, lang: str = "en") -> str:
    """The lesson's path in the repository: lessons/, or lessons/<lang>/ for a translation."""
    return f"lessons/{stem}.ipynb" if lang == "en" else f"lessons/{lang}/{stem}.ipynb"


def launch_urls(stem: str, lang: str = "en") -> list[tuple[str, str]]:
    """(label, url) for each place that opens lesson ``stem`` (e.g. ``01a_neurons_and_activations``) at this release."""
    words, path, tag = TEXT[lang], lesson_path(stem, lang), f"v{__version__}"
    colab = f"https://colab.research.google.com/github/{REPOSITORY}/blob/{tag}/{path}"
    binder = f"https://mybinder.org/v2/gh/{REPOSITORY}/{tag}?labpath={quote(path)}"
    pull = {"repo": f"https://github.com/{REPOSITORY}", "branch": tag,
            "urlpath": f"lab/tree/{REPOSITORY.split('/')[1]}/{path}"}
    links = [(words["colab"], colab), (words["binder"], binder)]
    if HUB:
        links.append((words["hub"], f"{HUB}/hub/user-redirect/git-pull?{urlencode(pull)}"))
    return links


def launch_links(stem: str, lang: str = "en") -> str:
    """A markdown line of links that open lesson ``stem`` at this release."""
    return " · ".join(f"[{label}]({url})" for label, url in launch_urls(stem, lang))


def lesson_requirements(code: str) -> list[str]:
    """What a lesson's code imports, as pip requirements: the ranges of requirements.txt, except the
    frameworks Colab already has, and the course package at this version first."""
    wanted = envcheck.wanted_versions()
    names = re.findall(r"^\s*(?:import|from)\s+(\w+)", code, re.MULTILINE)
    imported = {IMPORTED_AS.get(name, name) for name in names}
    return [f"{DISTRIBUTION}=={__version__}"] + sorted(
        name if name in PREINSTALLED else name + wanted[name] for name in imported & wanted.keys())


def install_source(requirements: list[str], lang: str = "en") -> str:
    """The install cell: nothing to do when course_utils is importable at this version."""
    return "\n".join([
        TEXT[lang]["comment"],
        "import importlib, subprocess, sys",
        "try:",
        "    import course_utils",
        f"    ready = course_utils.__version__ == {__version__!r}",
        "except ImportError:",
        "    ready = False",
        "if not ready:",
        f"    packages = {requirements!r}",
        "    subprocess.run([sys.executable, '-m', 'pip', 'install', '-q', *packages], check=True)",
        "    for name in [name for name in sys.modules if name.partition('.')[0] == 'course_utils']:",
        "        del sys.modules[name]  # an older course_utils imported above",
        "    importlib.invalidate_caches()",
    ])


def add_launch_cells(lesson, stem: str, lang: str = "en") -> None:
    """The launch links under the lesson's title (cell 0), then the install cell and its text."""
    code = "\n".join(cell.source for cell in lesson.cells if cell.cell_type == "code")
    title, _, rest = lesson.cells[0].source.partition("\n")
    lesson.cells[0].source = f"{title}\n\n{launch_links(stem, lang)}\n\n{rest.lstrip()}"
    text = nbformat.v4.new_markdown_cell(TEXT[lang]["install"], id="course-install-text")
    install = nbformat.v4.new_code_cell(install_source(lesson_requirements(code), lang), id="course-install")
    lesson.cells[1:1] = [text, install]
