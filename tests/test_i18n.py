"""Tests for course_utils.i18n: English by default, Chinese with COURSE_LANG=zh, and a complete catalogue."""
from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

import course_utils
from course_utils import check, envcheck, i18n
from course_utils.exercises import all_exercises

PACKAGE = Path(course_utils.__file__).parent
# Text that reaches t() or label() through a variable: default titles, finding topics, curve names
DYNAMIC = ("Decision boundary", "Loss curves", "Confusion matrix", "Training", "device", "data mode", "widgets",
           "speed", "training", "validation", "train", "loss", "accuracy", "epoch", "rate", "activation",
           "parameter count", "output shape", "softmax rows summing to 1")


def _texts(node: ast.AST, constants: dict[str, list[str]]) -> list[str]:
    """The texts an argument of t() can be: its string constants and the module constants it names
    (a string, or each value of a dict of strings), never the strings it is compared with."""
    if isinstance(node, ast.Compare):
        return []
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value] if node.value else []
    if isinstance(node, ast.Name):
        return constants.get(node.id, [])
    return [text for child in ast.iter_child_nodes(node) for text in _texts(child, constants)]


def _constants(tree: ast.Module) -> dict[str, list[str]]:
    """Module-level names bound to a string or a dict of strings, with their texts."""
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            value = node.value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                found[node.targets[0].id] = [value.value]
            elif isinstance(value, ast.Dict) and all(isinstance(v, ast.Constant) for v in value.values):
                found[node.targets[0].id] = [v.value for v in value.values if isinstance(v.value, str) and v.value]
    return found


def translatable() -> set[str]:
    """Every English text the course passes to t() or label(), and every hint, mistake message and case label."""
    found = set(DYNAMIC)
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = _constants(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in {"t", "label"} \
                    and node.args:
                found.update(_texts(node.args[0], constants))
    for exercise in all_exercises().values():
        found.add(exercise.hint)
        found.update(mistake.message for mistake in exercise.mistakes if mistake.message)
        found.update(case.label for case in exercise.cases() if case.label)
    return found


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_every_message_has_a_chinese_entry_with_the_same_placeholders():
    zh = i18n.catalogue("zh")
    texts = translatable()
    assert len(texts) > 500
    assert sorted(texts - set(zh)) == []
    assert [text for text in texts if fields(text) != fields(zh[text])] == []


def test_the_catalogue_holds_no_entry_the_course_no_longer_uses():
    assert sorted(set(i18n.catalogue("zh")) - translatable()) == []


def test_english_is_the_default_and_unknown_languages_fall_back_to_it(monkeypatch):
    monkeypatch.delenv("COURSE_LANG", raising=False)
    assert i18n.lang() == "en" and i18n.t("wrong shape: expected {want}, got {got}", want=1, got=2) == \
        "wrong shape: expected 1, got 2"
    monkeypatch.setenv("COURSE_LANG", "xx")
    assert i18n.lang() == "en"
    with pytest.raises(ValueError, match="lang must be one of"):
        i18n.set_lang("fr")


def test_speaking_sets_the_language_for_a_block_only(monkeypatch):
    monkeypatch.setenv("COURSE_LANG", "zh")
    with i18n.speaking("en"):
        assert i18n.lang() == "en"
    assert i18n.lang() == "zh"


def wrong_relu(z):
    return abs(z)


def test_a_failed_check_speaks_chinese_with_course_lang_zh(monkeypatch, capsys):
    monkeypatch.setenv("COURSE_LANG", "zh")
    check("relu", wrong_relu, strict=False)
    out = capsys.readouterr().out
    hint = all_exercises()["relu"].hint
    assert "提示：" + i18n.catalogue("zh")[hint] in out
    assert "可能的错误：" in out and "Hint" not in out and "expected" not in out
    check("relu", lambda z: __import__("numpy").maximum(0, z), strict=False)
    assert "做得好" in capsys.readouterr().out


def test_the_environment_report_speaks_chinese(monkeypatch):
    monkeypatch.setenv("COURSE_LANG", "zh")
    text = envcheck.summary([envcheck.python_finding((3, 8, 0)), envcheck.speed_finding(envcheck.REFERENCE_ROUND_S / 2)])
    assert "需要 3.10 或更高版本" in text and "怎么办" in text and "速度" in text
    assert envcheck.speed_finding(envcheck.REFERENCE_ROUND_S / 2).found.startswith("2.00 x")  # lesson 00 asserts it


def test_setup_sets_the_language_before_its_report(monkeypatch, capsys):
    import matplotlib

    monkeypatch.setenv("COURSE_LANG", "en")  # restored after the test, whatever setup sets
    with matplotlib.rc_context():
        course_utils.setup(lang="zh")
    assert i18n.lang() == "zh" and "随机种子：0" in capsys.readouterr().out
    with pytest.raises(ValueError, match="lang must be one of"):
        course_utils.setup(lang="fr")
