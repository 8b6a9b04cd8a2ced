# One entry point. Every target builds .venv first if it is missing, half-built or stale.
#
#   make test        the whole test suite          make demo       train and draw (demo-out/)
#   make docs        the docs site (site/)          make notebook   open the notebook in Jupyter
#   make reference   add PyTorch CPU and autograd (the comparison tests then run)
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
# setuptools announces on every editable install that folders named like the package may
# shadow it; that is how editable installs work, not something a user did, so it is hidden.
PIP    := PYTHONWARNINGS="ignore:Editable installation" $(PY) -m pip

.PHONY: demo test bench gpu-check docs docs-serve figures notebook lines clean venv reference

# A stamp alone does not prove the environment works: a venv copied from another checkout,
# one whose Python was removed, or one where a package went missing must be rebuilt. This
# check runs whenever make reads this file (about 0.1 s); when it fails the stamp goes, so
# the rule below runs again.
VENV_CHECK := import importlib.util as u, os, sys; \
	spec = u.find_spec("tinygrad_lstm"); \
	ok = spec is not None and os.path.realpath(spec.origin).startswith(os.path.realpath("tinygrad_lstm")); \
	missing = [m for m in ("pytest", "graphviz", "pygraphviz", "tqdm", "matplotlib", "nbformat", "mkdocs", "material", "setuptools", "wheel") if u.find_spec(m) is None]; \
	sys.exit(0 if ok and not missing else 1)
ifneq ($(shell $(PY) -c '$(VENV_CHECK)' >/dev/null 2>&1 && echo ok),ok)
$(shell rm -f $(STAMP))
endif

venv: $(STAMP)

# pip, setuptools and wheel are upgraded first: the Python a fresh machine ships may carry
# a setuptools too old to build this project (it needs 77+ for an SPDX license string).
$(STAMP): pyproject.toml
	$(PY) -c 'import sys' 2>/dev/null || { rm -rf $(VENV); $(PYTHON) -m venv $(VENV); }
	$(PIP) install --quiet --upgrade pip "setuptools>=77" wheel
	$(PIP) install --quiet -e ".[viz,cli,dev]"
	touch $(STAMP)

# The reference implementations (PyTorch CPU, HIPS autograd) used by tests and benchmarks,
# and the [numba] extra, so that the numba backend runs through the same tests.
reference: $(STAMP)
	$(PIP) install --quiet -e ".[reference,numba]"

demo: $(STAMP)
	$(VENV)/bin/tinygrad-lstm demo

test: $(STAMP)
	$(PY) -m pytest -q

# Forward+backward, then training loops, each side by side with PyTorch (make reference)
# and with the numba backend when the [numba] extra is installed. BENCH_ARGS=--quick for a
# short training run. `make gpu-check` runs the tests and benchmarks of the GPU path.
bench: $(STAMP)
	$(PY) benchmarks/bench_lstm.py
	$(PY) benchmarks/bench_train.py $(BENCH_ARGS)

gpu-check: $(STAMP)
	bash benchmarks/gpu_check.sh

# The site, from docs/ as committed, into site/ (open site/index.html, or `make docs-serve`).
# NO_MKDOCS_2_WARNING: Material prints a banner about a future MkDocs release on every build.
MKDOCS := NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs

docs: $(STAMP)
	$(PY) docs/gen_api.py
	$(MKDOCS) build --strict

docs-serve: $(STAMP)
	$(MKDOCS) serve

# Everything the docs generate: the figures (by running the pages that draw them), the API
# page, and the notebook with its outputs.
figures: $(STAMP)
	$(PY) docs/gen_figures.py
	$(PY) docs/gen_api.py
	$(PY) examples/build_notebook.py --execute

# Jupyter refuses to start as root unless told to (containers and CI machines often are root).
notebook: $(STAMP)
	$(VENV)/bin/jupyter notebook $(if $(filter 0,$(shell id -u)),--allow-root) examples/bptt_walkthrough.ipynb

lines: $(STAMP)
	$(PY) tests/test_size.py

clean:
	rm -rf $(VENV) demo-out site .pytest_cache
