# The two Quick-start commands (see README.md): `make demo` and `make test`.
# Both create .venv on first use and install the project into it from pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint format clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/mlc-opt examples/softmax.mlir -p canonicalize,cse
	$(BIN)/mlc-run examples/softmax.mlir --seed 0

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/lit -sv test
	$(BIN)/pytest -n auto test/python

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) test/**/Output
