# Two commands do all the set-up on a fresh machine:
#   make serve   install into .venv/, build the index if it is missing, serve the API
#   make test    install into .venv/ (with test extras), run the test suite
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
TSTAMP  := $(VENV)/.installed-test
HOST    ?= 127.0.0.1
PORT    ?= 8000
TEST_WORKERS ?= 3

.PHONY: serve test install install-test bench clean-index lock

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# torch pinned (here and in pyproject.toml): it takes the CPU wheel already on disk instead of several GB of CUDA
# packages. No bytecode at install: the venv holds ~20,000 modules and the service and the tests import ~5,500.
# Every other package at the exact version of .ci/constraints.txt (the lock), so that a fresh clone ranks, and
# measures, as the commit that wrote the lock did; `make lock` writes it again from the newest releases.
TORCH       := torch==2.13.0
LOCK        := .ci/constraints.txt
PIP_INSTALL := $(BIN)/pip install --quiet --no-compile $(TORCH)
PIP_LOCKED  := $(PIP_INSTALL) --constraint $(LOCK)

# Bytecode is written when a module is first imported (into __pycache__ beside it, git-ignored), even where the
# environment turns it off (PYTHONDONTWRITEBYTECODE): otherwise every process, and the tests start many, would
# compile each module it imports again (~15 s of CPU for the models' stack). Later runs of .venv/bin/rag read it.
unexport PYTHONDONTWRITEBYTECODE

$(STAMP): pyproject.toml $(LOCK) | $(BIN)/python
	$(PIP_LOCKED) -e .
	touch $@

# The page tests drive Debian's chromium through Playwright (no browser download); install it if it is missing,
# with a Japanese font so that the screenshots they leave are readable.
# One pip run for torch, the package and its test extras (each further run resolves everything again).
$(TSTAMP): pyproject.toml $(LOCK) | $(BIN)/python
	command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-ipafont-gothic; }
	$(PIP_LOCKED) -e '.[test]'
	touch $(STAMP) $@

install: $(STAMP)
install-test: $(TSTAMP)

serve: $(STAMP)
	$(BIN)/rag serve --host $(HOST) --port $(PORT)

# Three workers on two cores, one test module each at a time (module fixtures are set up once), handed out in the
# order the conftest gives (the longest modules of the last run first); TEST_WORKERS=0 runs it serially. Two workers
# left a core idle while a test waited on a server, a deadline or Chromium (the suite's CPU was 163 % of 200 %):
# alternated in one run, two workers 3 min 19-20 s, three 3 min 0-4 s, four 3 min 9 s (docs/operations.md).
test: $(TSTAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

# The lock: resolve pyproject.toml's ranges (with the test extras) afresh in a scratch venv and freeze the result,
# without torch, which $(TORCH) pins on the command line (the wheel on disk is 2.13.0+cpu, a build PyPI does not
# host). The file is replaced only if it changed, so that an unchanged lock does not make the next `make` reinstall.
# Re-measure the README's quality table after a new lock: the numbers belong to the versions it names.
lock:
	rm -rf .lock-venv
	$(PY) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet --upgrade pip
	.lock-venv/bin/pip install --quiet --no-compile $(TORCH) -e '.[test]'
	{ echo "# The exact versions make installs (make lock writes this file; see the Makefile)."; \
	  .lock-venv/bin/pip freeze --exclude-editable | grep -v '^torch=='; } > .lock-venv/constraints.txt
	cmp -s .lock-venv/constraints.txt $(LOCK) || cp .lock-venv/constraints.txt $(LOCK)
	rm -rf .lock-venv

bench: $(TSTAMP)
	$(BIN)/python benchmarks/bench_index.py
	$(BIN)/python benchmarks/bench_api.py

clean-index:
	rm -rf index/manifest.json index/.manifest.json.*.tmp index/builds index/.cache index/.build.lock
