# One entry point. `make demo` and `make test` bootstrap .venv from nothing, idempotently.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test bench docs lines clean venv reference

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[viz,cli,dev]"
	touch $(STAMP)

# The reference implementations (PyTorch CPU, HIPS autograd) used by tests and benchmarks.
reference: $(STAMP)
	$(PY) -m pip install --quiet -e ".[reference]"

demo: $(STAMP)
	$(VENV)/bin/tinygrad-lstm demo

test: $(STAMP)
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) benchmarks/bench_lstm.py

# Figures (by running the pages that draw them), the API page, the executed notebook.
docs: $(STAMP)
	$(PY) docs/gen_figures.py
	$(PY) docs/gen_api.py
	$(PY) examples/build_notebook.py --execute

lines: $(STAMP)
	$(PY) tests/test_size.py

clean:
	rm -rf $(VENV) demo-out .pytest_cache
