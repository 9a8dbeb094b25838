# sanisim: the two commands of a fresh machine are `make run` and `make test`.
PYTHON312 := $(shell tools/find-python312)
VENV      := .venv
BIN       := $(VENV)/bin
STAMP     := $(VENV)/.installed-stamp

.PHONY: setup run test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON312) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

## main job: the embedded default scenario, written to results/default
run: $(STAMP)
	$(BIN)/sanisim run scenarios/default.toml --out results/default

## full test suite on 2 workers
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q

lint: $(STAMP)
	$(BIN)/ruff check sanisim tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_step.py

clean:
	rm -rf $(VENV) results
