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

# The flagship answer on the embedded Ordos default: the configured kit's headline
# table, the least-cost mix for 80 % on-site, the cost curve and the weather years.
demo: setup
	$(VENV)/bin/energysim study configs/ordos.toml --out out/ordos

BENCHES := $(filter-out benchmarks/readme.py,$(wildcard benchmarks/*.py))

test: setup
	$(VENV)/bin/ruff check energysim tests benchmarks weather
	$(VENV)/bin/mypy
	$(PY) -m pytest -n 2 --dist loadfile -q
	$(MAKE) --no-print-directory bench-smoke

# Full benchmarks: re-measure, record benchmarks/results/*.json, regenerate the README section.
bench: setup
	@for b in $(BENCHES); do echo "== $$b"; $(PY) $$b || exit 1; done
	$(PY) benchmarks/readme.py

# Reduced sizes (< 2 min): checks the benchmarks run and their cross-checks hold, not timings.
bench-smoke: setup
	@for b in $(BENCHES); do echo "== $$b --smoke"; $(PY) $$b --smoke || exit 1; done

lint: setup
	$(VENV)/bin/ruff check energysim tests benchmarks weather
	$(VENV)/bin/mypy

clean:
	rm -rf out .pytest_cache .ruff_cache .mypy_cache
