# `make run`, `make test` and `make bench` create .venv and install the project (TensorFlow
# backend, the workflow's tools, and torch for the parity test) on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

.PHONY: run report smoke test test-fast bench gpu-check clean

# torch==2.13.0 is the CPU build, for the backend parity test (a local file on our machines).
$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,tf,workflow,slurm]'
	$(PY) -m pip install --quiet torch==2.13.0
	touch $@

run: $(INSTALLED)
	$(VENV)/bin/snakemake --cores all

# The study's five experiments on tiny subsets (needs internet or data: mirror:).
smoke: $(INSTALLED)
	$(VENV)/bin/snakemake --cores all --configfile config/smoke.yaml

report: $(INSTALLED)
	$(VENV)/bin/snakemake --report results/report.html

# Two workers, each test file on one (its module fixtures run once); -n 0 runs in one process.
test: $(INSTALLED)
	$(PY) -m pytest -q -n 2 --dist loadfile

# The unit tests only (about 2 minutes): no end-to-end runs, training, benchmarks or child processes.
test-fast: $(INSTALLED)
	$(PY) -m pytest -q -n 2 --dist loadfile -m "not e2e and not integration"

bench: $(INSTALLED)
	$(PY) -m sham_core.bench formats --out results/bench/formats.csv

# No install step: on a GPU machine with only torch or jax, `make gpu-check PY=python`.
gpu-check:
	$(PY) -m sham_core.gpu_check

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
