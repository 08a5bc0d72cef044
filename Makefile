# The two Quick-start commands (see README.md): `make demo` and `make test`.
# Both create .venv on first use and install the project into it from pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint format clean bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,torch,onnx]'
	touch $(STAMP)

# The main job on an example: decompose and fuse a layer norm into one kernel (with
# the fusion report), then run the original and the fused program on the same inputs.
demo: $(STAMP)
	$(BIN)/mlc-opt examples/add_layer_norm.mlir -p 'decompose,canonicalize,cse,fuse{report=true}'
	$(BIN)/mlc-run examples/add_layer_norm.mlir --seed 0 | head -4
	$(BIN)/mlc-run examples/add_layer_norm.mlir --seed 0 --pipeline 'decompose,canonicalize,cse,fuse' | head -4

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/lit -sv test
	$(BIN)/pytest -n auto test/python

# The benchmark suite (docs/benchmarks.md): mlc vs numpy, torch eager and torch.compile;
# rewrites docs/benchmarks.md and docs/benchmarks.png, raw numbers in benchmarks/results/.
bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[bench,torch]'
	$(BIN)/python -m benchmarks.run

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) test/**/Output
