# detente: `make demo` runs the flagship what-if, `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo report test install bench clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip >/dev/null 2>&1 || true
	$(PY) -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/detente whatif --world default --preset april-2025-peak --out results/april-2025-peak.json

report: $(STAMP)
	$(VENV)/bin/detente report scenario:us-china-2025 scenario:us-china-2025:no-geneva --out results/report-us-china-2025

test: $(STAMP)
	$(PY) -m pytest -n 2 -q

bench: $(STAMP)
	$(PY) benchmarks/bench_equilibrium.py

clean:
	rm -rf $(VENV) results .pytest_cache .hypothesis
