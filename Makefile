# Two commands do all the set-up on a fresh clone: `make run` and `make test`.
# The venv needs Python >= 3.12 (Mesa 3.4+). Point at one with `make PYTHON=/path/to/python3.12`.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EXTRAS ?= dev

# First a Python on PATH that really runs and is >= 3.12, then pyenv's installed versions.
# (A pyenv shim on PATH can exist and still fail, so each candidate is run, not just found.)
find_python = $(shell \
  for c in $(PYTHON) python3.14 python3.13 python3.12 python3 python \
           $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV); do \
    if "$$c" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; then \
      command -v "$$c" 2>/dev/null || echo "$$c"; break; fi; \
  done)

VENV_L := .venv-launchers

.PHONY: run test test-launchers test-cluster lint format demo bench venv clean help

help:
	@echo "make run    set up .venv and run a scenario comparison on defaults"
	@echo "make test   set up .venv and run the whole test suite"
	@echo "make test-launchers  the Ray and submitit launcher tests, in .venv-launchers"
	@echo "make test-cluster    sweeps through a real SLURM and a real Ray cluster (as root)"
	@echo "make demo   start the workshop dashboard"
	@echo "make bench  time the simulator (benchmarks/)"
	@echo "make lint   ruff check + format check"

venv: $(STAMP)

$(STAMP): pyproject.toml
	@py="$(call find_python)"; \
	if [ -z "$$py" ]; then \
	  echo "error: no Python >= 3.12 found (tried PATH and pyenv's versions); install one or run: make PYTHON=/path/to/python3.12 $(MAKECMDGOALS)" >&2; exit 2; fi; \
	if [ -x $(BIN)/python ] && ! $(BIN)/python -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)'; then rm -rf $(VENV); fi; \
	[ -x $(BIN)/python ] || { echo "creating $(VENV) with $$py"; "$$py" -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]"
	@touch $(STAMP)

# The main job: every scenario against the baseline, on a small organisation (~2 minutes).
run: $(STAMP)
	$(BIN)/sim-compare experiment=quick

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile

# The Ray and submitit launchers live in their own venv: hydra-ray-launcher pins
# cloudpickle<3, which the main environment's joblib does not want.
test-launchers: $(STAMP)
	@[ -x $(VENV_L)/bin/python ] || "$(call find_python)" -m venv $(VENV_L)
	$(VENV_L)/bin/python -m pip install --quiet --upgrade pip
	$(VENV_L)/bin/python -m pip install --quiet -e ".[dev,ray,slurm]"
	SIM_REQUIRE_LAUNCHERS=1 $(VENV_L)/bin/python -m pytest -p no:cacheprovider tests/test_launchers.py

# A single-node SLURM cluster (apt's slurm-wlm + munge) and a two-node Ray cluster started on this
# machine, tests/cluster/ run against them, every daemon stopped afterwards (.ci/cluster/run.sh).
test-cluster: $(STAMP)
	@[ -x $(VENV_L)/bin/python ] || "$(call find_python)" -m venv $(VENV_L)
	$(VENV_L)/bin/python -m pip install --quiet --upgrade pip
	$(VENV_L)/bin/python -m pip install --quiet -e ".[dev,ray,slurm]"
	.ci/cluster/run.sh $(VENV_L)/bin/python

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

demo: $(STAMP)
	$(BIN)/sim-viz

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) $(VENV_L) experiments/outputs .pytest_cache .ruff_cache
