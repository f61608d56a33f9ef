# Two set-up commands for people: `make lab` (students) and `make test` (everyone, CI).
# Both create .venv when missing, install requirements and course_lib (editable), and prepare the data.

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.course-installed
TEST_WORKERS ?= auto
QUICK_ENV := OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE COURSE_QUICK=1 MPLBACKEND=module://matplotlib_inline.backend_inline PYDEVD_DISABLE_FILE_VALIDATION=1

.PHONY: setup system-packages data lab check test lint notebooks solutions claims results exercise-sync links site bench clean

LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.json

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

# JupyterLab settings shipped with the course (the same file Binder's postBuild installs).
$(LAB_SETTINGS): binder/overrides.json $(STAMP)
	@mkdir -p $(dir $@) && cp binder/overrides.json $@

setup: $(STAMP) $(LAB_SETTINGS)


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
	$(PY) -m tools.notebook_generator $(if $(CHECK),--check,)
	$(PY) -m tools.references $(if $(CHECK),--check,)

solutions: data
	$(PY) -m tools.run_solutions

# Every worded finding of notebooks 01-05 measured on several seeds (course_lib.claims), written to
# claims/REPORT.md (commit it: make test fails when it is older than the sources it measures).
# Other seeds write their own report: make claims SEEDS="5 6 7 8 9" -> claims/REPORT-seeds-5-6-7-8-9.md;
# make claims FULL=1 measures every claim in full mode (claims/REPORT-full.md; far longer).
SEEDS ?= 0 1 2 3 4
claims: data
	OMP_NUM_THREADS=1 nice -n 10 $(PY) -m tools.claims --seeds $(SEEDS) $(if $(FULL),--full,)

# The course's stored reference runs (course_lib/results/, see tools/results.py), regenerated from scratch by
# training them on one CPU thread: quick mode about 30 s, full mode about 18 minutes on the 2-core machine
# under load (2026-12-07: notebook 04's three 40-epoch runs 11 minutes, the sweep 5, notebook 01's run 0.5-2).
# make test fails when an entry is stale.
# make results MODE=quick regenerates one mode; commit course_lib/results/ afterwards.
MODE ?= both
results: data
	OMP_NUM_THREADS=1 nice -n 10 $(PY) -m tools.results --mode $(MODE)

# After adding or changing an exercise: regenerate the notebooks, re-run the solution notebooks whose check
# cells have no stored output (or NAMES="03_optimizers ..."), rewrite the example class and the README's example.
exercise-sync: data
	$(PY) -m tools.exercise_sync $(NAMES)

# A fork first points every badge and install line at itself: make links REPO=owner/name
links: setup
	@test -n "$(REPO)" || { echo "usage: make links REPO=owner/name"; exit 2; }
	$(PY) -m tools.links $(REPO)
	$(PY) -m tools.notebook_generator

# Fast checks (< 60 s once set up): lint, notebook sync and leak checks, the claims report is current, unit tests.
check: setup
	$(BIN)/ruff check .
	$(PY) -m tools.notebook_generator --check
	$(PY) -m tools.references --check
	$(PY) -m tools.claims --check
	$(QUICK_ENV) bash tools/pytest_allow_empty.sh -q -n $(TEST_WORKERS) -m "not slow and not browser" tests

# The whole suite in one pytest run on every core (pytest-xdist; a notebook's cells stay together in one
# worker, the slowest files start first: tests/xdist_schedule.py): unit tests, generator and leak tests,
# the browser tests, the website tests, every notebook under nbval. One OpenMP thread per process (pytest
# workers, kernels): on two cores, two workers with two threads each only wait on each other.
# Collecting nothing (exit status 5) is a failure here.
test: data
	$(BIN)/ruff check .
	$(PY) -m tools.notebook_generator --check
	$(PY) -m tools.references --check
	$(PY) -m tools.claims --check
	$(QUICK_ENV) $(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadfile --nbval-lax --nbval-current-env \
		--nbval-cell-timeout=600 -p no:randomly --durations=15 tests notebooks solutions

# The course website (see README, "Course website"): executes the notebooks in full mode (cached in
# .site-cache/, so a rebuild with nothing changed takes seconds) and builds site/ with Sphinx -W.
# make site EDITION=instructor builds the solution notebooks into site-instructor/ (do not publish it).
EDITION ?= public
SITE_JOBS ?= 1
site: data
	$(PY) -m tools.build_site --edition $(EDITION) --mode full --jobs $(SITE_JOBS)

bench: data
	$(PY) benchmarks/training_throughput.py

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts build site site-instructor .site-cache site_src/node_modules
