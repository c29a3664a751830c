# make lab   - create .venv (first time only), install everything, open JupyterLab on lessons/
# make test  - run the whole test suite in the same environment
# make test-seeds - run the solution notebooks again with COURSE_SEED=1 and 2 (CI does)
# make book  - the lessons with their solutions, run, as a web site in _build/book/html (make test-book checks it)
# make grade SUBMISSIONS=folder - grade learners' notebooks into artifacts/grading (default: a demo class)
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Cap BLAS threads so parallel notebook kernels do not oversubscribe the CPU.
export OMP_NUM_THREADS ?= 1
export OPENBLAS_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1
export TF_NUM_INTRAOP_THREADS ?= 1
export TF_NUM_INTEROP_THREADS ?= 1
export PATH := $(abspath $(BIN)):$(PATH)

NBGRADER_STAMP := .venv-nbgrader/.installed
BOOK_STAMP := $(VENV)/.book-installed
SUBMISSIONS ?=
GRADE_OUT ?= artifacts/grading

.PHONY: lab test test-seeds lessons check-lessons bench install clean grade nbgrader-env book test-book

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade "pip>=24"
	$(BIN)/python -m pip install -r requirements.txt
	$(BIN)/python -m course_utils.jupyter_settings
	@touch $(STAMP)

install: $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.root_dir=lessons $(if $(filter 0,$(shell id -u)),--allow-root)

test: $(STAMP) $(NBGRADER_STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadscope

# Claims must hold for other seeds, not just the one the author ran: setup() takes COURSE_SEED.
test-seeds: $(STAMP)
	@for seed in 1 2; do \
		echo "== solutions with COURSE_SEED=$$seed =="; \
		COURSE_SEED=$$seed $(BIN)/python -m pytest -n 2 --dist loadscope solutions || exit 1; \
	done

# nbgrader for the round-trip test, layered over .venv so the learners' JupyterLab stays as it is
$(NBGRADER_STAMP): $(STAMP) requirements-teacher.txt
	$(BIN)/python tests/teacher/nbgrader_env.py .venv-nbgrader
	@touch $(NBGRADER_STAMP)

nbgrader-env: $(NBGRADER_STAMP)

# The book's tools (Sphinx, myst-nb) in .venv: the book runs the notebooks in the learners' environment
$(BOOK_STAMP): $(STAMP) requirements-book.txt
	$(BIN)/python -m pip install -r requirements-book.txt
	@touch $(BOOK_STAMP)

# Runs each changed lesson once (a jupyter-cache keeps the outputs); a cell error fails the build.
book: $(BOOK_STAMP)
	$(BIN)/python -m course_utils.teacher.book $(ARGS)

# Every page in Chromium: figures, links, search (tests/book, left out of make test)
test-book: book
	$(BIN)/python -m pytest --book tests/book

grade: $(STAMP)
	@test -n "$(SUBMISSIONS)" || $(BIN)/python tests/teacher/synthetic_class.py artifacts/demo_class
	$(BIN)/python -m course_utils.teacher.grade $(or $(SUBMISSIONS),artifacts/demo_class) --out $(GRADE_OUT) \
		$(if $(SUBMISSIONS),,--cell-timeout 10) $(ARGS)

lessons: $(STAMP)
	$(BIN)/python -m course_utils.teacher.generate $(ARGS)

check-lessons: $(STAMP)
	$(BIN)/python -m course_utils.teacher.generate --check

bench: $(STAMP)
	$(BIN)/python tests/benchmark.py

clean:
	rm -rf $(VENV) .venv-nbgrader artifacts _build
