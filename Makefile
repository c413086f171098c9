# detente: `make demo` runs the flagship what-if, `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
CORE := $(VENV)/.installed-core
STAMP := $(VENV)/.installed

.PHONY: demo report test lint install bench clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip >/dev/null 2>&1 || true

# the demo needs only the core dependencies
$(CORE): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e .
	@touch $(CORE)

# the tests need every extra (report, web, strategy, distributed) and the test tools;
# axelrod imports torch (a multi-GB download with its CUDA libraries from PyPI), so it is
# installed only where a CPU torch wheel is at hand; its tournament test skips, saying so,
# elsewhere
$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e ".[test]"
	@$(PY) -m pip install --quiet "torch==2.13.0+cpu" "axelrod==4.14.0" >/dev/null 2>&1 \
	  && echo "axelrod 4.14 with CPU torch installed: the tournament test runs" \
	  || echo "note: no CPU torch wheel here, axelrod not installed: its tournament test will skip"
	@touch $(STAMP) $(CORE)

install: $(STAMP)

demo: $(CORE)
	$(VENV)/bin/detente whatif --world default --preset april-2025-peak --out results/april-2025-peak.json

report: $(CORE)
	$(PY) -m pip install --quiet -e ".[report]"
	$(VENV)/bin/detente report scenario:us-china-2025 scenario:us-china-2025:no-geneva --out results/report-us-china-2025

test: $(STAMP)
	$(PY) -m pytest -n 2 -q

# lint, format and types (CI runs this before the tests)
lint: $(STAMP)
	$(VENV)/bin/ruff check src tests scripts benchmarks
	$(VENV)/bin/ruff format --check src tests scripts benchmarks
	$(VENV)/bin/mypy src/detente

bench: $(STAMP)
	$(PY) benchmarks/bench_equilibrium.py

clean:
	rm -rf $(VENV) results .pytest_cache .hypothesis
