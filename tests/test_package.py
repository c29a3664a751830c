"""The package as it is released: one version, a wheel and an sdist that hold every module and every lesson,
and a lesson that runs on its own, with no clone, installing the course from the wheel without a network."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
import tomllib

import course_utils
from course_utils.lessons import lesson_files

pytestmark = pytest.mark.wide   # slow end to end: make test-wide (CI) runs it, make test does not

ROOT = Path(__file__).resolve().parents[1]
DISTRIBUTION = "deep_learning_hands_on"
ALONE = "01a_neurons_and_activations"  # numpy and matplotlib only


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    """The sdist and the wheel, as a release builds them (`python -m build`: the wheel from the sdist)."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
                   check=True, capture_output=True, text=True)
    return out


def wheel_names(dist):
    wheel, = dist.glob("*.whl")
    return set(zipfile.ZipFile(wheel).namelist())


def test_the_version_is_written_once_and_is_semantic():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "course_utils.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+", course_utils.__version__)


def test_the_changelog_has_an_entry_for_this_version():
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"^## {re.escape(course_utils.__version__)} ", changelog, re.MULTILINE)


def test_the_built_files_carry_this_version(dist):
    names = sorted(path.name for path in dist.iterdir())
    version = course_utils.__version__
    assert names == [f"{DISTRIBUTION}-{version}-py3-none-any.whl", f"{DISTRIBUTION}-{version}.tar.gz"]
    wheel, = dist.glob("*.whl")
    metadata = zipfile.ZipFile(wheel).read(f"{DISTRIBUTION}-{version}.dist-info/METADATA").decode()
    assert f"\nVersion: {version}\n" in metadata and "\nLicense-Expression: MIT\n" in metadata


def test_the_wheel_holds_every_module_and_every_lesson(dist):
    names = wheel_names(dist)
    modules = {path.relative_to(ROOT).as_posix() for path in (ROOT / "course_utils").rglob("*.py")}
    lessons = {f"course_utils/lesson_files/{name.as_posix()}" for name in lesson_files(ROOT / "lessons")}
    assert len(lessons) >= 11 and modules
    assert modules - names == set() and lessons - names == set()
    shipped = {name for name in names if name.startswith("course_utils/lesson_files/")}
    assert shipped == lessons


def test_the_sdist_holds_the_lessons_and_the_licences(dist):
    sdist, = dist.glob("*.tar.gz")
    top = f"{DISTRIBUTION}-{course_utils.__version__}"
    with tarfile.open(sdist) as archive:
        names = set(archive.getnames())
    wanted = {f"{top}/lessons/{name.as_posix()}" for name in lesson_files(ROOT / "lessons")}
    assert wanted - names == set()
    assert {f"{top}/LICENSE", f"{top}/LICENSE-lessons.md"} <= names


def bare_venv(where: Path) -> Path:
    """A new venv that sees this environment's packages except the course itself (no clone, no editable
    install): the packages are linked into one folder, named in a .pth file whose own .pth files do not run."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True)
    others = where / "base-packages"
    others.mkdir()
    for base in [Path(path) for path in sys.path if path.endswith("site-packages")]:
        for entry in base.iterdir():
            skip = re.match(r"(course_utils|deep_learning_hands_on|__editable__)", entry.name, re.IGNORECASE)
            if not skip and not (others / entry.name).exists():
                (others / entry.name).symlink_to(entry)
    python = where / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    Path(purelib, "base-packages.pth").write_text(f"{others}\n")
    return python


def test_a_lesson_opened_alone_installs_the_course_from_the_wheel_and_runs_offline(dist, tmp_path):
    folder = tmp_path / "learner"
    (folder / "wheels").mkdir(parents=True)
    shutil.copy(next(dist.glob("*.whl")), folder / "wheels")
    shutil.copy(ROOT / "lessons" / f"{ALONE}.ipynb", folder)
    python = bare_venv(tmp_path / "venv")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "PIP_", "JUPYTER"))}
    env.update(PIP_NO_INDEX="1", PIP_FIND_LINKS=str(folder / "wheels"), PIP_CONFIG_FILE=os.devnull,
               JUPYTER_DATA_DIR=str(tmp_path / "jupyter"), COURSE_OFFLINE="1", MPLBACKEND="Agg",
                   COURSE_STRICT="0")   # a learner's lesson is friendly, whatever the test run set
    missing = subprocess.run([str(python), "-c", "import course_utils"], cwd=folder, env=env, capture_output=True,
                             check=False)
    assert missing.returncode != 0, "the new venv must not see the course before the lesson installs it"
    run = subprocess.run([str(python), "-m", "nbconvert", "--to", "notebook", "--execute", "--output-dir",
                          str(tmp_path / "ran"), "--ExecutePreprocessor.timeout=120", f"{ALONE}.ipynb"],
                         cwd=folder, env=env, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    show = "import course_utils; print(course_utils.__version__, course_utils.__file__)"
    where = subprocess.run([str(python), "-c", show], cwd=folder, env=env, capture_output=True, text=True, check=True)
    version, path = where.stdout.split()
    assert version == course_utils.__version__ and Path(path).is_relative_to(tmp_path / "venv")
