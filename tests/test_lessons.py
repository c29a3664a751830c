"""python -m course_utils.lessons DIR: every lesson copied, unedited ones updated, edited ones kept."""
from __future__ import annotations

import nbformat
import pytest

from course_utils import lessons
from course_utils.lessons import copy_lessons, lesson_files, lesson_folder, main

FIRST = "01a_neurons_and_activations.ipynb"


def test_a_clone_reads_its_lessons_folder():
    assert lesson_folder().name == "lessons"
    assert [path.name for path in lesson_files()][:3] == ["00a_welcome.ipynb", "00b_big_picture.ipynb", FIRST]


def test_every_lesson_is_copied_then_up_to_date(tmp_path, capsys):
    assert main([str(tmp_path / "course")]) == 0
    copied = lesson_files(tmp_path / "course")
    assert copied == lesson_files() and len(copied) >= 11
    assert (tmp_path / "course" / FIRST).read_bytes() == (lesson_folder() / FIRST).read_bytes()
    assert main([str(tmp_path / "course")]) == 0
    assert "are up to date" in capsys.readouterr().out.splitlines()[-1]


def learner_edits(path, text="# my notes"):
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(text))
    nbformat.write(nb, path)


def test_an_edited_lesson_is_kept_without_force(tmp_path, capsys):
    copy_lessons(tmp_path)
    learner_edits(tmp_path / FIRST)
    edited = (tmp_path / FIRST).read_text()
    assert main([str(tmp_path)]) == 1
    assert (tmp_path / FIRST).read_text() == edited
    printed = capsys.readouterr().out
    assert f"kept {tmp_path / FIRST}: it has edits of yours" in printed and "--force" in printed
    assert main([str(tmp_path), "--force"]) == 0
    assert (tmp_path / FIRST).read_bytes() == (lesson_folder() / FIRST).read_bytes()


def test_an_unedited_lesson_of_another_release_is_updated(tmp_path):
    copy_lessons(tmp_path)
    old = nbformat.read(tmp_path / FIRST, as_version=4)
    old.cells[0].source += "\nan older sentence"
    old.metadata["course"]["sources_hash"] = lessons.sources_hash(old)  # as the generator wrote it then
    nbformat.write(old, tmp_path / FIRST)
    assert copy_lessons(tmp_path) == ([tmp_path / FIRST], [])


def test_an_unreadable_lesson_counts_as_edited(tmp_path):
    copy_lessons(tmp_path)
    (tmp_path / FIRST).write_text("not a notebook")
    assert copy_lessons(tmp_path) == ([], [tmp_path / FIRST])


def test_a_file_in_place_of_the_folder_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "course").write_text("")
    assert main([str(tmp_path / "course")]) == 2
    assert "is a file; give a folder" in capsys.readouterr().err


def test_a_copy_without_lessons_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(lessons, "lesson_folder", lambda: tmp_path / "empty")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="built without them"):
        copy_lessons(tmp_path / "course")
