"""The book's source tree: pages from the solutions with answers folded, lesson map, glossary, widget state.
(tests/book checks the built site in a browser.)"""
import shutil
from pathlib import Path

import nbformat
import pytest

from course_utils.teacher.book import (
    EDITIONS,
    Edition,
    book_page,
    lesson_title,
    prepare,
    stated_time,
    static_widget,
)

ROOT = Path(__file__).resolve().parents[2]
FIRST_CELL = """# Lesson 01 · Neurons: the building block

**Time:** 45 minutes. **You need:** numpy.

**Key terms** (English · 中文)

| English | 中文 | English | 中文 |
|---|---|---|---|
| neuron | 神经元 | activation function | 激活函数 |
| bias | 偏置 | | |
"""


def solution(first=FIRST_CELL):
    return nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell(first),
        nbformat.v4.new_markdown_cell("Write the sigmoid."),
        nbformat.v4.new_code_cell("def sigmoid(z):\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION"),
        nbformat.v4.new_markdown_cell("Plot it."),
        nbformat.v4.new_code_cell("plot(sigmoid)"),
    ])


@pytest.fixture
def edition(tmp_path):
    for folder in ("solutions", "lessons"):
        (tmp_path / folder).mkdir()
        nbformat.write(solution(), tmp_path / folder / "01_neurons.ipynb")
        nbformat.write(solution(FIRST_CELL.replace("01 · Neurons", "02 · Forward")), tmp_path / folder / "02_fwd.ipynb")
    return Edition("en", tmp_path / "solutions", tmp_path / "lessons", "", "A book", EDITIONS["en"].words)


def test_a_lesson_without_the_title_line_is_named_in_the_error():
    with pytest.raises(ValueError, match="# Lesson NN · Title"):
        lesson_title(solution("# Neurons"))


def test_a_page_folds_only_the_answers_and_links_the_learner_notebook(edition):
    original = solution()
    before = nbformat.writes(original)
    page = book_page(original, "01_neurons.ipynb", edition, "abc")
    answer, plot = page.cells[3], page.cells[5]
    assert answer.metadata.tags == ["hide-input"] and answer.metadata.mystnb["code_prompt_show"] == "Show the solution"
    assert "tags" not in plot.metadata
    assert "learner/01_neurons.ipynb" in page.cells[1].source and "{note}" in page.cells[1].source
    assert page.cells[-1].metadata.tags == ["remove-cell"] and "abc" in page.cells[-1].source
    assert nbformat.writes(original) == before, "the solution notebook itself must not change"


def test_the_tree_has_every_lesson_a_map_a_glossary_and_no_stale_page(edition, tmp_path):
    src = tmp_path / "src"
    (src).mkdir()
    (src / "06_old.ipynb").write_text("{}")  # a lesson that has since been split
    assert prepare(edition, src) == ["01_neurons", "02_fwd"]
    assert not (src / "06_old.ipynb").exists()
    assert (src / "learner" / "02_fwd.ipynb").read_text() == (edition.lessons / "02_fwd.ipynb").read_text()
    index = (src / "index.md").read_text()
    assert "| 01 | [Neurons: the building block](01_neurons.ipynb) | 45 minutes |" in index
    assert index.index("01_neurons\n02_fwd\nglossary") > 0  # the table of contents, in order
    glossary = (src / "glossary.md").read_text()
    assert "| neuron | 神经元 | [01](01_neurons.ipynb), [02](02_fwd.ipynb) |" in glossary
    assert glossary.index("| activation function |") < glossary.index("| bias |") < glossary.index("| neuron |")


def test_an_unchanged_page_is_not_written_again(edition, tmp_path):
    prepare(edition, tmp_path / "src")
    before = (tmp_path / "src" / "01_neurons.ipynb").stat().st_mtime_ns
    prepare(edition, tmp_path / "src")
    assert (tmp_path / "src" / "01_neurons.ipynb").stat().st_mtime_ns == before


def test_a_missing_learner_notebook_says_what_to_run(edition, tmp_path):
    shutil.rmtree(edition.lessons)
    with pytest.raises(FileNotFoundError, match="make lessons"):
        prepare(edition, tmp_path / "src")


def model(name, **state):
    return {"model_name": f"{name}Model", "state": state}


def test_a_widget_shows_its_last_state():
    models = {"box": model("HBox", children=["IPY_MODEL_text", "IPY_MODEL_bar", "IPY_MODEL_pick", "IPY_MODEL_x"]),
              "text": model("HTML", value="epochs: 100%"), "bar": model("FloatProgress", value=10.0, max=10.0),
              "pick": model("Dropdown", description="surface", _options_labels=["bowl", "saddle"], index=1),
              "x": model("Play", value={})}
    shown = static_widget("box", models)
    assert shown.startswith('<div class="widget-static"') and "flex-direction:row" in shown
    assert "epochs: 100%" in shown and '<progress value="10.0" max="10.0">' in shown
    assert "surface</span> <code>saddle</code>" in shown and "[Play]" in shown
    assert static_widget("gone", models) == ""


def test_the_real_solutions_all_have_a_title_a_time_and_key_terms_in_both_editions():
    from course_utils.teacher.notebook_format import solution_notebooks
    for edition in EDITIONS.values():
        for path in solution_notebooks(edition.solutions):
            nb, pairs = edition.solution(path)
            assert lesson_title(nb) and stated_time(nb, edition.words) and pairs, (edition.lang, path.name)


def test_the_chinese_edition_is_the_translated_solutions_with_a_switch_to_the_english(tmp_path):
    zh, en = EDITIONS["zh"], EDITIONS["en"]
    stems = prepare(zh, tmp_path / "src", others=(en,))
    assert stems == prepare(en, tmp_path / "en", others=(zh,))
    stem = next(stem for stem in stems if stem.startswith("01a"))
    first = nbformat.read(tmp_path / "src" / f"{stem}.ipynb", as_version=4)
    assert first.cells[0].source.startswith("# 第 01a 课") and "| 中文 | English |" in first.cells[0].source
    assert 'cu.setup(lang="zh"' in next(cell.source for cell in first.cells if cell.cell_type == "code")
    assert f'href="../{stem}.html">English</a>' in first.cells[1].source  # the note, then the switch
    assert (tmp_path / "src" / "learner" / f"{stem}.ipynb").read_text() == (zh.lessons / f"{stem}.ipynb").read_text()
    english = nbformat.read(tmp_path / "en" / f"{stem}.ipynb", as_version=4)
    assert f'href="zh/{stem}.html">中文</a>' in english.cells[1].source
    index = (tmp_path / "src" / "index.md").read_text()
    assert "## 课程地图" in index and "初学者约" in index and 'href="../index.html"' in index
    assert "| backpropagation | 反向传播 |" in (tmp_path / "src" / "glossary.md").read_text()


def test_a_chinese_title_line_is_read():
    nb = solution("# 第 05b 课 · 用 CNN 处理图像\n\n**时间：** 初学者约 85 分钟：约 2,500 词")
    assert lesson_title(nb) == ("05b", "用 CNN 处理图像")
    assert stated_time(nb, EDITIONS["zh"].words) == "初学者约 85 分钟"
