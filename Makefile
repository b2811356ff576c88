# energysim — quick start: `make demo`, `make test` (see README.md).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: setup demo test lint bench bench-smoke clean

# Create/reuse the virtual environment and install the project with its test extras.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(VENV)/bin/energysim run configs/ordos.toml --out out/ordos

test: setup
	$(VENV)/bin/ruff check energysim tests benchmarks weather
	$(PY) -m pytest -n 2 --dist loadfile -q

lint: setup
	$(VENV)/bin/ruff check energysim tests benchmarks weather

clean:
	rm -rf out .pytest_cache .ruff_cache
