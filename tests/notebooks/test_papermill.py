"""Lessons take their settings from papermill: one code cell tagged ``parameters``, read before anything uses it.

``papermill solutions/05b_cnn.ipynb out.ipynb -p DATASET fashion_mnist`` injects a cell right after the
``parameters`` cell. A setting left at ``None`` means "the environment variable, else the default", so
``COURSE_DATASET`` and ``COURSE_SEED`` still work; a value papermill injects is the one the lesson uses.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import papermill
import pytest

pytestmark = pytest.mark.wide   # slow end to end: make test-wide (CI) runs it, make test does not

ROOT = Path(__file__).resolve().parents[2]
WITH_SETTINGS = ("05a_keras_and_convolution", "05b_cnn", "05c_cnn_in_practice",
                 "06a_pytorch_training_loop", "06b_mlp_on_images", "06c_mlp_in_practice")
READS_A_SETTING = re.compile(r"chosen_dataset\(|COURSE_FULL_RUN|setup\(seed=SEED")


def tagged(cells, tag):
    return [i for i, cell in enumerate(cells) if tag in cell.metadata.get("tags", [])]


def settings_in(cell) -> list[str]:
    """The names a parameters cell sets; it may hold nothing but ``NAME = constant`` lines."""
    names = []
    for statement in ast.parse(cell.source).body:
        assert isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Constant), \
            f"a parameters cell holds only NAME = value lines, got {ast.unparse(statement)!r}"
        names += [target.id for target in statement.targets]
    return names


@pytest.mark.parametrize("folder", ["solutions", "lessons"])
@pytest.mark.parametrize("stem", WITH_SETTINGS)
def test_one_parameters_cell_comes_before_any_use(stem, folder):
    cells = nbformat.read(ROOT / folder / f"{stem}.ipynb", as_version=4).cells
    found = tagged(cells, "parameters")
    assert len(found) == 1, f"{folder}/{stem}: {len(found)} cells tagged 'parameters', want exactly 1"
    names = settings_in(cells[found[0]])
    earlier = "\n".join(cell.source for cell in cells[:found[0]] if cell.cell_type == "code")
    used_before = [name for name in names if re.search(rf"\b{name}\b", earlier)]
    assert names and not used_before, f"{folder}/{stem}: {used_before} used before the parameters cell"


def test_every_lesson_that_reads_a_setting_has_a_parameters_cell():
    readers = {path.stem for path in (ROOT / "solutions").glob("*.ipynb")
               if READS_A_SETTING.search(path.read_text(encoding="utf-8"))}
    assert readers == set(WITH_SETTINGS)


def test_papermill_injects_its_values_right_after_the_parameters_cell_and_nothing_without(tmp_path):
    source = ROOT / "solutions" / "05b_cnn.ipynb"
    given = papermill.execute_notebook(source, tmp_path / "given.ipynb", prepare_only=True,
                                       parameters={"DATASET": "fashion_mnist"}, progress_bar=False)
    at = tagged(given.cells, "parameters")[0]
    assert tagged(given.cells, "injected-parameters") == [at + 1]
    assert 'DATASET = "fashion_mnist"' in given.cells[at + 1].source
    plain = papermill.execute_notebook(source, tmp_path / "plain.ipynb", prepare_only=True, progress_bar=False)
    assert [cell.source for cell in plain.cells] == [cell.source for cell in nbformat.read(source, 4).cells]


def test_papermill_makes_05a_use_fashion_mnist_and_the_seed_it_is_given(tmp_path, monkeypatch):
    """Executed: the printed report and data line show the injected values, not the defaults."""
    for name in ("COURSE_DATASET", "COURSE_SEED", "COURSE_FULL_RUN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COURSE_STRICT", "1")
    out = papermill.execute_notebook(ROOT / "solutions" / "05a_keras_and_convolution.ipynb", tmp_path / "out.ipynb",
                                     parameters={"DATASET": "fashion_mnist", "SEED": 3}, kernel_name="python3",
                                     cwd=str(ROOT / "solutions"), progress_bar=False)
    text = "".join(output.get("text", "") for cell in out.cells if cell.cell_type == "code"
                   for output in cell.get("outputs", []))
    assert "Seed: 3" in text
    # the real files where installed (CI installs them), else the fallback that names what was asked for
    assert re.search(r"Data: Fashion-MNIST from|instead of 'fashion_mnist'", text), text[-2000:]
    assert "scikit-learn's bundled digits, resized to 28x28: " not in text
