# Two set-up commands for people: `make lab` (students) and `make test` (everyone, CI).
# Both create .venv when missing, install requirements and course_lib (editable), and prepare the data.

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.course-installed
QUICK_ENV := OMP_WAIT_POLICY=PASSIVE COURSE_QUICK=1 MPLBACKEND=module://matplotlib_inline.backend_inline PYDEVD_DISABLE_FILE_VALIDATION=1

.PHONY: setup system-packages data lab check test lint notebooks solutions site bench clean

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

setup: $(STAMP)

system-packages:
	@bash tools/ensure_system_packages.sh

data: setup system-packages
	$(PY) -m course_lib.data --prepare

# Extra JupyterLab options, e.g. make lab LAB_ARGS="--port=9999 --no-browser"
LAB_ARGS ?=
lab: data
	$(BIN)/jupyter lab --ServerApp.root_dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root,) $(LAB_ARGS)

lint: setup
	$(BIN)/ruff check .

notebooks: setup
	$(PY) tools/notebook_generator.py $(if $(CHECK),--check,)

solutions: data
	$(PY) tools/run_solutions.py

# Fast checks (< 60 s once set up): lint, notebook sync and leak checks, unit tests.
check: setup
	$(BIN)/ruff check .
	$(PY) tools/notebook_generator.py --check
	$(QUICK_ENV) bash tools/pytest_allow_empty.sh -q -m "not slow and not browser" tests

# The whole suite: unit tests, generator and leak tests, every notebook under nbval, the browser test.
# The nbval run calls pytest directly: collecting no notebook (exit status 5) is a failure there.
test: data
	$(BIN)/ruff check .
	$(PY) tools/notebook_generator.py --check
	$(QUICK_ENV) bash tools/pytest_allow_empty.sh -q tests
	$(QUICK_ENV) $(BIN)/pytest -q --nbval-lax --nbval-current-env --nbval-cell-timeout=600 -p no:randomly notebooks solutions

# The course website (see README, "Course website"): executes the notebooks in full mode (cached in
# .site-cache/, so a rebuild with nothing changed takes seconds) and builds site/ with Sphinx -W.
# make site EDITION=instructor builds the solution notebooks into site-instructor/ (do not publish it).
EDITION ?= public
SITE_JOBS ?= 1
site: data
	$(PY) tools/build_site.py --edition $(EDITION) --mode full --jobs $(SITE_JOBS)

bench: data
	$(PY) benchmarks/training_throughput.py

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts build site site-instructor .site-cache site_src/node_modules
