# sanisim: the two commands of a fresh machine are `make run` and `make test`.
PYTHON312 := $(shell tools/find-python312)
VENV      := .venv
BIN       := $(VENV)/bin
STAMP     := $(VENV)/.installed-stamp

.PHONY: setup run test lint bench clean decisions-blitar

$(STAMP): pyproject.toml
	$(PYTHON312) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

## main job: the default scenario's strategy bundles compared (batch, then the policy report)
run: $(STAMP)
	$(BIN)/sanisim batch experiments/compare_strategies.toml --out results/compare_strategies --resume
	$(BIN)/sanisim report results/compare_strategies --out results/compare_strategies/report
	$(BIN)/sanisim report results/compare_strategies --out results/compare_strategies/laporan --lang id

## the Blitar decision example of docs/decisions.md: compare, optimise, copy the figures to docs/,
## write the what-to-fund page (results/decisions/blitar/report/report.html, laporan.html)
decisions-blitar: $(STAMP)
	$(BIN)/sanisim decide experiments/decisions/decide_blitar.toml --out results/decisions/blitar --workers 2
	$(BIN)/sanisim optimise experiments/optimise_blitar.toml --out results/optimise/blitar --workers 2
	mkdir -p docs/figures/decisions
	cp results/decisions/blitar/ceac.png docs/figures/decisions/blitar_ceac.png
	cp results/decisions/blitar/targets_by_year.png docs/figures/decisions/blitar_targets.png
	cp results/decisions/blitar/costs_by_year.png docs/figures/decisions/blitar_costs.png
	cp results/optimise/blitar/tradeoffs.png docs/figures/decisions/blitar_tradeoffs.png
	$(BIN)/sanisim report --decisions results/decisions/blitar --optimise results/optimise/blitar --out results/decisions/blitar/report
	$(BIN)/sanisim report --decisions results/decisions/blitar --optimise results/optimise/blitar --out results/decisions/blitar/report --lang id

## full test suite on 2 workers
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist worksteal -q

lint: $(STAMP)
	$(BIN)/ruff check sanisim tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_step.py

clean:
	rm -rf $(VENV) results
