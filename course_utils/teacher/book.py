"""The course as a book: the solution notebooks, run, with each exercise's answer folded away.

    python -m course_utils.teacher.book             # build every edition into _build/book/html (make book)
    python -m course_utils.teacher.book --lang en   # one edition

Two editions: English at the root of the site and Chinese in ``zh/``, the Chinese solution notebooks made
from the English ones and ``solutions/zh/`` as the generator makes the Chinese lessons. For each edition
this writes a Sphinx source tree under ``_build/book/<lang>/src``: a copy of every solution notebook (the
notebooks themselves are never touched) with a note linking to the learner's notebook and to the same
page in the other editions built with it, the answers of the exercises folded behind "Show the
solution", a landing page with the lesson map and a glossary from the key-term tables. ``docs/book/conf.py`` builds it with myst-nb
into ``_build/book/<lang>/html``, and the site ``_build/book/html`` gets each edition in its folder
(English at the root). myst-nb runs each notebook once and keeps the outputs in a jupyter-cache: a
lesson is run again only when its code or ``course_utils`` changed. A cell error fails the build.
The editions build side by side, one Sphinx process each, with their messages in ``_build/book/<lang>/sphinx.log``.
"""
from __future__ import annotations

import argparse
import copy
import hashlib
import html
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .generate import key_terms_checked, translated_solution
from . import glossary
from .glossary import key_terms
from .launch import launch_urls
from .notebook_format import BEGIN, solution_notebooks

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "_build" / "book"
CONF = ROOT / "docs" / "book"
RUN_ENV = {"COURSE_OFFLINE": "1", "COURSE_STRICT": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}  # as the tests run


@dataclass(frozen=True)
class Edition:
    """One language of the book: where its notebooks are, and where its pages go under html/."""
    lang: str
    solutions: Path  # the English solutions; another language translates them (solutions/<lang>/)
    lessons: Path
    folder: str  # "" for the default edition at the root of the site
    title: str
    words: dict  # the book's own sentences in this language
    sphinx_language: str = "en"

    def solution(self, path: Path):
        """The solution notebook at ``path`` in this edition's language, and its key terms (English, 中文)."""
        nb = nbformat.read(path, as_version=4)
        pairs = key_terms(nb.cells[0].source)
        if self.lang == "en":
            return nb, pairs
        terms = key_terms_checked(nb, path.parent, path.name)
        return translated_solution(nb, path, self.lang, terms), pairs

    def href(self, other: "Edition", page: str) -> str:
        """The address of ``page`` of edition ``other``, from a page of this one."""
        up = "../" * bool(self.folder)
        return f"{up}{other.folder}/{page}" if other.folder else f"{up}{page}"


EN_WORDS = {
    "intro": "A hands-on course in deep learning, from one neuron to distributed training. Every page is "
             "a lesson with its exercises solved and run, so you see each figure and table; the answers are "
             "folded away until you ask for them.",
    "map": "Lesson map", "lesson": "Lesson", "topic": "Topic", "time": "Time",
    "glossary": "Glossary",
    "glossary_intro": "The key terms of every lesson, in English and Chinese, with the lessons that introduce them.",
    "term": "English", "zh": "中文", "where": "Lessons",
    "note": "This page shows lesson {number} with every exercise solved and run. Each answer is folded away "
            "under *Show the solution*. To do the exercises yourself, download the {{download}}`learner "
            "notebook <learner/{name}>`{launch}.",
    "open_in": " or open it in {links}",
    "show": "Show the solution", "hide": "Hide the solution",
    "time_label": "**Time:**", "language": "English",
}

ZH_WORDS = {
    "intro": "一门动手实践的深度学习课程，从一个神经元讲到分布式训练。每一页都是一课，其中的练习都已解答并运行，"
             "所以你能看到每一张图和每一个表；答案折叠起来，需要时再展开。",
    "map": "课程地图", "lesson": "课", "topic": "主题", "time": "时间",
    "glossary": "术语表",
    "glossary_intro": "每一课的关键术语（英文与中文），以及介绍它们的课。",
    "term": "English", "zh": "中文", "where": "课",
    "note": "本页是第 {number} 课，每道练习都已解答并运行，每个答案都折叠在“显示答案”之下。想自己做练习，请下载"
            "{{download}}`学习者笔记本 <learner/{name}>`{launch}。",
    "open_in": "，或在 {links} 中打开它",
    "show": "显示答案", "hide": "隐藏答案",
    "time_label": "**时间：**", "language": "中文",
}

EDITIONS = {
    "en": Edition("en", ROOT / "solutions", ROOT / "lessons", "", "Hands-on deep learning", EN_WORDS),
    "zh": Edition("zh", ROOT / "solutions", ROOT / "lessons" / "zh", "zh", "动手学深度学习：从神经元到分布式训练",
                  ZH_WORDS, sphinx_language="zh_CN"),
}


def lesson_title(nb) -> tuple[str, str]:
    """(number, title) from the notebook's first heading, ``# Lesson 01 · Neurons: ...`` (``# 第 01 课 · ...``)."""
    heading = nb.cells[0].source.splitlines()[0]
    match = re.match(r"#\s*\S+\s+(\d\d[a-z]?)\s*(?:课\s*)?·\s*(.+)", heading)
    if not match:
        raise ValueError(f"the first line of a lesson must read '# Lesson NN · Title', got {heading!r}")
    return match.group(1), match.group(2).strip()


def stated_time(nb, words: dict = EN_WORDS) -> str:
    """The lesson's time as its Time line gives it, up to the first colon or full stop."""
    match = re.search(re.escape(words["time_label"]) + r"\s*([^:.：。]+)", nb.cells[0].source)
    return match.group(1).strip() if match else ""


def code_fingerprint() -> str:
    """A hash of the course_utils the lessons import: a change to it runs the lessons again."""
    digest = hashlib.sha256()
    package = ROOT / "course_utils"
    for path in sorted(package.rglob("*.py")):
        if "teacher" not in path.relative_to(package).parts:
            digest.update(str(path.relative_to(package)).encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def language_switch(edition: Edition, others: tuple[Edition, ...], page: str) -> str:
    """Links to ``page`` in the other editions, each named in its own language (raw HTML: Sphinx keeps it)."""
    return " · ".join(f'<a class="language-switch" hreflang="{other.sphinx_language.replace("_", "-")}" '
                      f'href="{edition.href(other, page)}">{other.words["language"]}</a>' for other in others)


def book_page(solution, name: str, edition: Edition, fingerprint: str, others: tuple[Edition, ...] = ()):
    """The page of one lesson: the solved notebook with a note, its answers folded, a fingerprint cell."""
    nb = copy.deepcopy(solution)
    number, _ = lesson_title(nb)
    links = launch_urls(Path(name).stem, edition.lang)
    launch = edition.words["open_in"].format(links=", ".join(f"[{label}]({url})" for label, url in links))
    note = edition.words["note"].format(number=number, name=name, launch=launch if links else "")
    switch = language_switch(edition, others, Path(name).stem + ".html")
    nb.cells.insert(1, nbformat.v4.new_markdown_cell(f":::{{note}}\n{note}\n:::" + (f"\n\n{switch}" if switch else ""),
                                                     id="book-note"))
    for cell in nb.cells:
        if cell.cell_type == "code" and BEGIN in cell.source:
            tags = cell.metadata.setdefault("tags", [])
            tags.append("hide-input")
            cell.metadata["mystnb"] = {"code_prompt_show": edition.words["show"],
                                       "code_prompt_hide": edition.words["hide"]}
    fingerprint_cell = nbformat.v4.new_code_cell(f"# course_utils {fingerprint}", id="book-fingerprint")
    fingerprint_cell.metadata["tags"] = ["remove-cell"]
    nb.cells.append(fingerprint_cell)
    return nb


def index_page(edition: Edition, lessons: list[tuple[str, str, str, str]], switch: str = "") -> str:
    """The landing page: the lesson map, and the table of contents of the book."""
    w = edition.words
    rows = "\n".join(f"| {number} | [{title}]({stem}.ipynb) | {time} |" for stem, number, title, time in lessons)
    toc = "\n".join(stem for stem, *_ in lessons)
    switch = f"{switch}\n\n" if switch else ""
    return (f"# {edition.title}\n\n{switch}{w['intro']}\n\n## {w['map']}\n\n| {w['lesson']} | {w['topic']} | {w['time']} |\n"
            f"|---|---|---|\n{rows}\n\n```{{toctree}}\n:hidden:\n:maxdepth: 1\n\n{toc}\nglossary\n```\n")


def glossary_page(edition: Edition, terms: dict[tuple[str, str], list[str]], switch: str = "") -> str:
    """The glossary: every key term, sorted, with the lessons whose key-term table lists it."""
    w = edition.words
    rows = "\n".join(f"| {en} | {zh} | {', '.join(f'[{n}]({stem}.ipynb)' for n, stem in where)} |"
                     for (en, zh), where in sorted(terms.items(), key=lambda item: item[0][0].lower()))
    switch = f"{switch}\n\n" if switch else ""
    return (f"# {w['glossary']}\n\n{switch}{w['glossary_intro']}\n\n| {w['term']} | {w['zh']} | {w['where']} |\n"
            f"|---|---|---|\n{rows}\n")


def static_widget(model_id: str, models: dict) -> str:
    """HTML that shows a widget as the notebook left it, from the saved widget state (no scripts).

    Boxes lay out their children; sliders, progress bars, labels, choices and buttons show their last
    value. A widget this does not know shows its name, so a page never has an empty box.
    """
    model = models.get(model_id)
    if model is None:
        return ""
    kind, state = model["model_name"].removesuffix("Model"), model["state"]
    label = html.escape(state.get("description") or "")
    label = f'<span class="widget-static-label">{label}</span> ' if label else ""
    if "children" in state:
        direction = "column" if kind == "VBox" else "row"
        children = "".join(static_widget(child.removeprefix("IPY_MODEL_"), models) for child in state["children"])
        return f'<div class="widget-static" style="display:flex;flex-direction:{direction};gap:.5em">{children}</div>'
    value = state.get("value")
    if kind.endswith("Progress"):
        return f'<div>{label}<progress value="{value}" max="{state.get("max", 100)}"></progress></div>'
    if kind.endswith("Slider"):
        shown = "–".join(map(str, value)) if isinstance(value, list) else value
        return f"<div>{label}<code>{html.escape(str(shown))}</code></div>"
    if kind in {"HTML", "HTMLMath"}:
        return f"<div>{label}{value}</div>"  # the course's own widgets: trusted HTML
    if "_options_labels" in state:
        index = state.get("index")
        chosen = [state["_options_labels"][i] for i in (index if isinstance(index, list) else [index])
                  if i is not None]
        return f"<div>{label}<code>{html.escape(', '.join(chosen))}</code></div>"
    if kind in {"Button", "ToggleButton"}:
        return f"<div><button disabled>{label or html.escape(kind)}</button></div>"
    if value is not None and not isinstance(value, dict):
        return f"<div>{label}{html.escape(str(value))}</div>"
    return f"<div>[{html.escape(kind)}]</div>"


def write_if_changed(path: Path, text: str) -> None:
    """Write only what changed, so Sphinx reads again only the pages that did."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def prepare(edition: Edition, src: Path, others: tuple[Edition, ...] = ()) -> list[str]:
    """Write the edition's source tree into ``src``, each page switching to the ``others``; return the
    lessons' stems in order."""
    fingerprint, lessons, terms = code_fingerprint(), [], {}
    stems = set()
    for path in solution_notebooks(edition.solutions):
        solution, pairs = edition.solution(path)
        number, title = lesson_title(solution)
        page = book_page(solution, path.name, edition, fingerprint, others)
        write_if_changed(src / path.name, nbformat.writes(page))
        learner = edition.lessons / path.name
        if not learner.exists():
            raise FileNotFoundError(f"{learner} is missing: run `make lessons` first")
        write_if_changed(src / "learner" / path.name, learner.read_text(encoding="utf-8"))
        lessons.append((path.stem, number, title, stated_time(solution, edition.words)))
        for pair in pairs:
            terms.setdefault(pair, []).append((number, path.stem))
        stems.add(path.stem)
    for old in src.glob("*.ipynb"):  # a lesson that was split or renamed leaves no stale page behind
        if old.stem not in stems:
            old.unlink()
    write_if_changed(src / "index.md", index_page(edition, lessons, language_switch(edition, others, "index.html")))
    write_if_changed(src / "glossary.md",
                     glossary_page(edition, terms, language_switch(edition, others, "glossary.html")))
    return [stem for stem, *_ in lessons]


def search_words(terms) -> str:
    """A jieba dictionary of the glossary's Chinese terms, one a line, so that the Chinese search index
    keeps "反向传播" whole (jieba alone cuts it in two, and a search for the term would find nothing)."""
    words = {run for term in terms.values()
             for run in re.findall(r"[\u4e00-\u9fff]{2,}", re.sub(r"（[^）]*）", "", term.chinese))}
    return "".join(f"{word}\n" for word in sorted(words))


def build(edition: Edition, build: Path = BUILD, others: tuple[Edition, ...] = (), log=None) -> Path:
    """Prepare and build one edition in ``build/<lang>``, its pages switching to the ``others``; return
    its html folder. Sphinx's messages go to ``log`` (an open file) when given, else to the console.

    Raises CalledProcessError when Sphinx fails (a cell error, a broken link between pages).
    """
    work = build / edition.lang
    prepare(edition, work / "src", others)
    options = []
    if edition.lang == "zh":
        words = work / "search-words.txt"
        write_if_changed(words, search_words(glossary.load(edition.solutions.parent / glossary.SOURCE)))
        options = ["-D", f"html_search_options.dict={words}"]
    env = {**os.environ, **RUN_ENV, "PYTHONPATH": os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-c", str(CONF), "-W", "--keep-going",
                    "-D", f"language={edition.sphinx_language}", "-D", f"project={edition.title}",
                    "-D", f"html_title={edition.title}", "-D", f"nb_execution_cache_path={work / 'cache'}",
                    *options, "-d", str(work / "doctrees"), str(work / "src"), str(work / "html")],
                   check=True, env=env, stdout=log, stderr=subprocess.STDOUT if log else None)
    offline_mathjax(work / "html")
    return work / "html"


def offline_mathjax(html: Path) -> None:
    """MathJax inside the site (docs/book/conf.py loads it from there), so formulas render offline."""
    import jupyter_server_mathjax

    static = Path(jupyter_server_mathjax.__file__).parent / "static"
    shutil.copytree(static, html / "_static" / "mathjax", dirs_exist_ok=True)


def publish(editions: list[Edition], build: Path = BUILD) -> Path:
    """The web site: each built edition copied into its folder of ``build/html``."""
    site = build / "html"
    shutil.rmtree(site, ignore_errors=True)
    for edition in sorted(editions, key=lambda edition: edition.folder):  # the root edition first
        shutil.copytree(build / edition.lang / "html", site / edition.folder, dirs_exist_ok=True)
    return site


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Build the course book into _build/book/html.")
    parser.add_argument("--lang", choices=sorted(EDITIONS), action="append",
                        help="an edition to build (default: all)")
    args = parser.parse_args(argv)
    editions = [EDITIONS[lang] for lang in args.lang or sorted(EDITIONS)]
    if len(editions) == 1:   # Sphinx's messages on the console
        failed = _failed(editions[0], (), None)
    else:   # the editions side by side, one process each, every one's messages in its own log
        with ThreadPoolExecutor(len(editions)) as pool:
            failed = any(list(pool.map(lambda edition: _failed_logged(edition, editions), editions)))
    if failed:
        return 1
    print(f"The book is in {publish(editions)}/index.html")
    return 0


def _failed_logged(edition: Edition, editions: list[Edition]) -> bool:
    """Build ``edition`` with Sphinx's messages in ``_build/book/<lang>/sphinx.log``; whether it failed (then
    the log's end is printed)."""
    path = BUILD / edition.lang / "sphinx.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    print(f"Building the {edition.lang} book (Sphinx's messages: {path})", flush=True)
    with path.open("w", encoding="utf-8") as log:
        failed = _failed(edition, tuple(other for other in editions if other is not edition), log)
    if failed:
        print("".join(path.read_text(encoding="utf-8").splitlines(True)[-LOG_TAIL:]), file=sys.stderr)
    else:
        print(f"The {edition.lang} book is built", flush=True)
    return failed


LOG_TAIL = 80   # lines of a failed edition's log shown on the console


def _failed(edition: Edition, others: tuple[Edition, ...], log) -> bool:
    try:
        build(edition, others=others, log=log)
    except subprocess.CalledProcessError as error:
        where = "above" if log is None else f"in {log.name}"
        print(f"The {edition.lang} book failed to build (exit {error.returncode}): see Sphinx's messages {where}; "
              "a cell error names the notebook and the cell.", file=sys.stderr)
        return True
    return False


if __name__ == "__main__":
    sys.exit(main())
