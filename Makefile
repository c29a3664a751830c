# make lab   - create .venv (first time only), install what a learner needs, open JupyterLab on lessons/
# make lab-zh - the same, on the Chinese lessons (lessons/zh/)
# make install-locked - the same set at the exact versions CI tested (requirements-lock.txt)
# make test  - add the test tools (requirements-test.txt) and run the whole test suite
# make test-wide - the slow end-to-end tests (wheel, papermill, attacks on the grader and on the exercise checks,
#   releases, browsers, real data, the tests of the eight slowest exercise checks) and the English lessons in lessons/; CI runs them
# make test-zh - run the Chinese lessons as a learner would (friendly checks, COURSE_LANG=zh); CI does
# make test-lowest - the lowest versions requirements.txt allows, in .venv-lowest: unit tests, lessons 01-04
# make test-seeds - run the solution notebooks again with COURSE_SEED=1 and 2 (CI does)
# make book  - the lessons with their solutions, run, as a web site in _build/book/html (make test-book checks it)
# make grade SUBMISSIONS=folder - grade learners' notebooks into artifacts/grading (default: a demo class)
# make release LESSONS="01a_neurons_and_activations" - the graded release for a class, one per lesson, into
#   artifacts/release/<lesson> (no answer key)
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
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

.PHONY: lab lab-zh test test-wide test-zh test-seeds test-lowest lowest-env lessons check-lessons bench install install-locked lock \
	clean grade nbgrader-env release book test-book

# LOCK=requirements-lock.txt pins every package to the version CI tested (install-locked)
$(STAMP): requirements.txt pyproject.toml $(LOCK)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade "pip>=24"
	$(BIN)/python -m pip install -r requirements.txt $(if $(LOCK),-c $(LOCK))
	$(BIN)/python -m course_utils.jupyter_settings
	@touch $(STAMP)

$(TEST_STAMP): $(STAMP) requirements-test.txt
	$(BIN)/python -m pip install -r requirements-test.txt $(if $(LOCK),-c $(LOCK))
	@touch $(TEST_STAMP)

install: $(STAMP)

install-locked:
	@rm -f $(STAMP)
	$(MAKE) install LOCK=requirements-lock.txt

# Write the tested environment's exact versions (CI runs it after make test: LOCK_OUT=artifacts/...);
# the local version tag goes (torch 2.13.0+cpu is locked as 2.13.0, whichever build the platform gets)
LOCK_OUT ?= requirements-lock.txt
lock: $(TEST_STAMP)
	@mkdir -p $(dir $(LOCK_OUT))
	{ echo "# The exact versions CI tested (make lock); make install-locked installs the learner set at them."; \
	  $(BIN)/python -m pip freeze --exclude-editable | sed -E 's/\+[a-z0-9.]+$$//'; } > $(LOCK_OUT)

lab: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.root_dir=lessons $(if $(filter 0,$(shell id -u)),--allow-root)

lab-zh: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.root_dir=lessons/zh $(if $(filter 0,$(shell id -u)),--allow-root)

test: $(TEST_STAMP) $(NBGRADER_STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadscope --max-worker-restart=0 --ignore=lessons/zh

# The slow end-to-end tests marked `wide` (the wheel and a lesson opened alone, papermill, the attack catalogue,
# every round's attacks on the exercise checks in tests/exercises/test_mistakes_*.py, every lesson's graded release,
# the browser tests, lessons 05-06 on real Fashion-MNIST, the tests of the eight slowest exercise checks,
# conftest.SLOW_EXERCISES) and the English lessons in lessons/ (friendly checks; make test runs their solutions):
# CI runs them; make test leaves them out to stay fast.
# Two runs: the exercise tests one by one to either worker (thousands of independent tests; one module of them, as one
# unit of --dist loadscope, kept one worker busy for half an hour), then the rest by module (a notebook's cells run in
# one kernel, in order).
test-wide: $(TEST_STAMP) $(NBGRADER_STAMP)
	$(BIN)/python -m pytest -n 2 --dist load --max-worker-restart=0 --wide tests/exercises
	$(BIN)/python -m pytest -n 2 --dist loadscope --max-worker-restart=0 --wide tests lessons --ignore=lessons/zh \
		--ignore=tests/exercises

# The Chinese lessons set COURSE_LANG=zh themselves (their first cell calls cu.setup(lang="zh")).
test-zh: $(TEST_STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadscope --max-worker-restart=0 lessons/zh

# Claims must hold for other seeds, not just the one the author ran: setup() takes COURSE_SEED.
test-seeds: $(TEST_STAMP)
	@for seed in 1 2; do \
		echo "== solutions with COURSE_SEED=$$seed =="; \
		COURSE_SEED=$$seed $(BIN)/python -m pytest -n 2 --dist loadscope --max-worker-restart=0 solutions || exit 1; \
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

LESSONS ?= 01a_neurons_and_activations
release: $(STAMP)
	$(BIN)/python -m course_utils.teacher.release $(LESSONS) --out artifacts/release

lessons: $(STAMP)
	$(BIN)/python -m course_utils.teacher.generate $(ARGS)

check-lessons: $(STAMP)
	$(BIN)/python -m course_utils.teacher.generate --check

bench: $(TEST_STAMP)
	$(BIN)/python tests/benchmark.py

# The lower bounds of requirements.txt, tested: each `>=X` (and `==X.*`) becomes `==X` in a constraints
# file, installed into its own venv with the test tools.
# make lowest-env installs them (CI runs it in the background while the other tests run: pip waits on the network more
# than on the CPU); make test-lowest installs them first if needed, then runs the tests.
LOWEST := .venv-lowest
LOWEST_STAMP := $(LOWEST)/.installed
$(LOWEST_STAMP): requirements.txt requirements-test.txt
	@test -x $(LOWEST)/bin/python || $(PYTHON) -m venv $(LOWEST)
	sed -nE 's/^([A-Za-z0-9_.-]+)>=([^,; ]+).*/\1==\2/p; s/^([A-Za-z0-9_.-]+)==([0-9.]+)\.\*.*/\1==\2.0/p' \
		requirements.txt > $(LOWEST)/constraints.txt
	$(LOWEST)/bin/python -m pip install --upgrade "pip>=24"
	$(LOWEST)/bin/python -m pip install -r requirements-test.txt -c $(LOWEST)/constraints.txt
	$(LOWEST)/bin/python -m pip check
	@touch $(LOWEST_STAMP)

lowest-env: $(LOWEST_STAMP)

test-lowest: $(LOWEST_STAMP)
	$(LOWEST)/bin/python -m pytest -n 2 --dist loadscope --max-worker-restart=0 tests --ignore=tests/notebooks/test_browser.py \
		--ignore=tests/notebooks/test_frontends.py --deselect \
		tests/teacher/test_nbgrader_export.py::test_nbgrader_autogrades_solved_unsolved_and_wrong_submissions
	$(LOWEST)/bin/python -m pytest -n 2 --dist loadscope --max-worker-restart=0 --wide $(wildcard lessons/0[1-4]*.ipynb)

clean:
	rm -rf $(VENV) .venv-nbgrader $(LOWEST) artifacts _build
