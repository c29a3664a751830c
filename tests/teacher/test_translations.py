"""Tests for course_utils.teacher.translations and the Chinese lessons the generator writes from them."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from course_utils.teacher import translations as tr
from course_utils.teacher.generate import (MAP_END, MAP_START, GeneratorError, main, stale_lessons, stale_readmes,
                                           write_lessons)

ROOT = Path(__file__).resolve().parents[2]
SETUP = "import course_utils as cu\n\n# Seeds and the set-up report\nsession = cu.setup(seed=0)"
EXERCISE = '''def double(x):
    """Twice x."""
    ### BEGIN SOLUTION
    return 2 * x  # the answer
    ### END SOLUTION

print(f"double(2) is {double(2)}, as it should be")'''
ZH_EXERCISE = EXERCISE.replace("# the answer", "# 答案").replace(", as it should be", "，正如所料")


def cell(make, source, cell_id):
    made = make(source)
    made.id = cell_id
    return made


def solution():
    return new_notebook(cells=[cell(new_markdown_cell, "# Doubling\nRun the set-up.", "intro"),
                               cell(new_code_cell, SETUP, "setup"),
                               cell(new_markdown_cell, "Write `double`.", "task"),
                               cell(new_code_cell, EXERCISE, "exercise"),
                               cell(new_code_cell, "x = 1", "plain")])


ZH_TEXT = {"intro": "# 加倍\n运行设置。", "setup": SETUP.replace("Seeds and the set-up report", "随机种子与设置报告"),
           "task": "编写 `double`。", "exercise": ZH_EXERCISE}


@pytest.fixture
def course(tmp_path):
    """A course of one notebook, fully translated: (solutions, lessons)."""
    solutions, lessons = tmp_path / "solutions", tmp_path / "lessons"
    solutions.mkdir()
    nb = solution()
    nbformat.write(nb, solutions / "01_double.ipynb")
    tr.write_blocks(solutions / "zh" / "01_double.md",
                    [tr.Block(c.id, tr.en_hash(c.source), ZH_TEXT[c.id]) for c in nb.cells if c.id in ZH_TEXT])
    return solutions, lessons


def check(solutions, lessons):
    return main(["--check", "--solutions", str(solutions), "--lessons", str(lessons)])


def test_only_comments_and_strings_may_change():
    assert tr.same_code(EXERCISE, ZH_EXERCISE)
    assert tr.same_code('x = ("a b c "\n     "d e")', 'x = ("甲乙丙")  # 注释')   # adjacent strings count as one
    assert not tr.same_code(EXERCISE, ZH_EXERCISE.replace("2 * x", "x * 2"))
    assert not tr.same_code(EXERCISE, ZH_EXERCISE.replace("{double(2)}", "{double(3)}"))  # a placeholder
    assert not tr.same_code(EXERCISE, ZH_EXERCISE.replace("    ### END SOLUTION\n", ""))  # a marker
    assert not tr.same_code("x = 1", "x = 1\ny = 2")
    assert tr.same_code('f"{a} then {b or \'none\'}"', 'f"先 {b or \'无\'}，后 {a}"')  # word order, prose inside


def test_the_chinese_lesson_has_the_same_cells_translated_and_stubbed(course):
    solutions, lessons = course
    write_lessons(solutions, lessons)
    english, chinese = (nbformat.read(p / "01_double.ipynb", as_version=4) for p in (lessons, lessons / "zh"))
    assert [c.id for c in chinese.cells] == [c.id for c in english.cells]
    assert [c.cell_type for c in chinese.cells] == [c.cell_type for c in english.cells]
    zh, en = ({c.id: c.source for c in nb.cells} for nb in (chinese, english))
    title, links, rest = zh["intro"].split("\n\n")   # the launch links (teacher.launch) go under the title
    assert (title, rest) == tuple(ZH_TEXT["intro"].split("\n")) and "在 Colab 中打开" in links
    assert 'cu.setup(lang="zh", seed=0)' in zh["setup"] and "随机种子" in zh["setup"]
    assert "NotImplementedError" in zh["exercise"] and "2 * x" not in zh["exercise"]
    assert "正如所料" in zh["exercise"] and zh["plain"] == "x = 1"
    assert "lang=" not in en["setup"]
    assert check(solutions, lessons) == 0


def test_changing_one_english_sentence_fails_the_check_until_translated(course, capsys):
    solutions, lessons = course
    write_lessons(solutions, lessons)
    path = solutions / "01_double.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[2].source = "Write the function `double`."
    nbformat.write(nb, path)
    write_lessons(solutions, lessons)
    assert check(solutions, lessons) == 1
    out = capsys.readouterr().out
    assert "01_double" in out and "task (stale)" in out
    assert "python -m course_utils.teacher.translations todo 01_double" in out
    blocks = tr.read_blocks(solutions / "zh" / "01_double.md")
    blocks["task"] = tr.Block("task", tr.en_hash(nb.cells[2].source), "编写函数 `double`。")
    tr.write_blocks(solutions / "zh" / "01_double.md", list(blocks.values()))
    write_lessons(solutions, lessons)
    assert check(solutions, lessons) == 0


def test_a_missing_translation_fails_the_check_and_leaves_the_english(course, capsys):
    solutions, lessons = course
    blocks = tr.read_blocks(solutions / "zh" / "01_double.md")
    del blocks["intro"]
    tr.write_blocks(solutions / "zh" / "01_double.md", list(blocks.values()))
    write_lessons(solutions, lessons)
    assert check(solutions, lessons) == 1
    assert "intro (missing)" in capsys.readouterr().out
    assert nbformat.read(lessons / "zh" / "01_double.ipynb", as_version=4).cells[0].source.startswith("# Doubling")


def test_a_block_for_a_deleted_cell_fails_the_check(course, capsys):
    solutions, lessons = course
    path = solutions / "01_double.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells = nb.cells[:2] + nb.cells[4:]
    nbformat.write(nb, path)
    write_lessons(solutions, lessons)
    assert check(solutions, lessons) == 1
    assert "task (orphan)" in capsys.readouterr().out


def test_translated_code_that_differs_is_an_error_naming_the_cell(course):
    solutions, lessons = course
    blocks = tr.read_blocks(solutions / "zh" / "01_double.md")
    blocks["exercise"] = tr.Block("exercise", blocks["exercise"].en_hash, ZH_EXERCISE.replace("2 * x", "x + x"))
    tr.write_blocks(solutions / "zh" / "01_double.md", list(blocks.values()))
    with pytest.raises(GeneratorError, match="01_double.md, cell exercise: the translated code differs"):
        stale_lessons(solutions, lessons)


def test_a_chinese_lesson_needs_the_set_up_call(course):
    solutions, lessons = course
    path = solutions / "01_double.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].source = "x = 0"
    nbformat.write(nb, path)
    with pytest.raises(GeneratorError, match="must call cu.setup"):
        write_lessons(solutions, lessons)


def test_without_a_language_folder_only_english_lessons_are_written(course):
    solutions, lessons = course
    shutil.rmtree(solutions / "zh")
    write_lessons(solutions, lessons)
    assert not (lessons / "zh").exists() and check(solutions, lessons) == 0


def git(folder, *args):
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=folder, check=True,
                   capture_output=True)


def test_todo_shows_the_english_before_and_now(course, capsys):
    solutions, _ = course
    folder = solutions.parent
    git(folder, "init", "-q")
    git(folder, "add", ".")
    git(folder, "commit", "-qm", "first")
    path = solutions / "01_double.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[2].source = "Write the function `double`."
    nbformat.write(nb, path)
    git(folder, "commit", "-qam", "second")
    nb.cells[0].source = "# Doubling numbers"   # not committed: its old English is still in history
    nbformat.write(nb, path)
    assert tr.main(["todo", "--folder", str(solutions)]) == 0
    out = capsys.readouterr().out
    assert "cell task · markdown · stale" in out
    before, now = out.split("--- English before")[2].split("--- English now:")
    assert "Write `double`." in before and "Write the function `double`." in now.split("---")[0]
    assert tr.english_before(path, "task", "0000000000") is None


def test_the_check_fails_when_one_sentence_of_a_real_lesson_changes(tmp_path, capsys):
    """The course's own lesson 01a, with a translation that copies the English, on a temp copy."""
    solutions = tmp_path / "solutions"
    solutions.mkdir()
    path = solutions / "01a_neurons_and_activations.ipynb"
    shutil.copy(ROOT / "solutions" / "01a_neurons_and_activations.ipynb", path)
    shutil.copytree(ROOT / "docs", tmp_path / "docs")   # the glossary its key-term table is checked against
    nb = nbformat.read(path, as_version=4)
    tr.write_blocks(solutions / "zh" / "01a_neurons_and_activations.md",
                    [tr.Block(c.id, tr.en_hash(c.source), c.source) for c in nb.cells if tr.needs_translation(c)])
    write_lessons(solutions, tmp_path / "lessons")
    assert check(solutions, tmp_path / "lessons") == 0
    markdown = next(c for c in nb.cells[1:] if c.cell_type == "markdown" and ". " in c.source)
    markdown.source = markdown.source.replace(". ", ", indeed. ", 1)
    nbformat.write(nb, path)
    assert check(solutions, tmp_path / "lessons") == 1
    assert f"{markdown.id} (stale)" in capsys.readouterr().out


def test_the_readme_keeps_a_lesson_map_of_the_translated_titles(course, capsys):
    solutions, lessons = course
    readme = solutions.parent / "README.zh-CN.md"
    readme.write_text(f"# 课程\n\n{MAP_START}\nold\n{MAP_END}\n\n结尾\n", encoding="utf-8")
    assert main(["--solutions", str(solutions), "--lessons", str(lessons)]) == 0
    text = readme.read_text(encoding="utf-8")
    assert "| 01 | [加倍](lessons/zh/01_double.ipynb) |" in text and "old" not in text and text.endswith("结尾\n")
    assert check(solutions, lessons) == 0
    readme.write_text(text.replace("加倍]", "加倍了]"), encoding="utf-8")
    assert check(solutions, lessons) == 1
    assert "stale: " in capsys.readouterr().out
    readme.write_text("# 课程\n", encoding="utf-8")
    with pytest.raises(GeneratorError, match="marker lines"):
        stale_readmes(solutions)


def test_the_chinese_readme_has_the_lesson_map_markers():
    text = (ROOT / "README.zh-CN.md").read_text(encoding="utf-8")
    assert MAP_START in text and MAP_END in text and "make lab-zh" in text
