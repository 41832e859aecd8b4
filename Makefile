# Thin wrappers over the dataprodukt CLI. `make run` then `make test` is the whole set-up on a fresh machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# uv (from PyPI) is fast; INSTALLER=pip uses plain pip with the same lock file
INSTALLER ?= uv
UV_VERSION := 0.13.9

export DBT_PROFILES_DIR := $(CURDIR)/profiles
export DBT_SEND_ANONYMOUS_USAGE_STATS := False

.PHONY: help install run test test-tooling check lint format bench clean status catalog publish bq-emulator bq-emulator-stop

help:
	@echo "make run     build the example data product on DuckDB and export its metadata (creates .venv if missing)"
	@echo "make test    run the tests (DuckDB, a local PostgreSQL started if needed); in a new product its own"
	@echo "make test-tooling  in a new product: the tooling's tests, on the example in tests/example/"
	@echo "make check   run every convention check"
	@echo "make lint    lint SQL and Python;  make format  fix what can be fixed"
	@echo "make status  the last runs, failures, slowest models, volumes, stale sources"
	@echo "make bench   print the benchmarks (not part of make test)"
	@echo "make clean   remove build/, target/ and logs/"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python requirements.lock pyproject.toml
ifeq ($(INSTALLER),pip)
	$(BIN)/pip install --quiet --only-binary :all: --no-deps -r requirements.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
else
	$(BIN)/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-build -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
endif
	@touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/dataprodukt run

# A product made with `dataprodukt new` keeps the example's project in tests/example/ for the tooling's tests: there
# `make test` runs the product's own tests and `make test-tooling` the tooling's (the template runs them all).
TESTS ?= $(if $(wildcard tests/example/dbt_project.yml),tests/test_product.py,tests)

test: install
	$(BIN)/pytest $(TESTS)

test-tooling: install
	$(BIN)/pytest tests

check: install
	$(BIN)/dataprodukt check

lint: install
	$(BIN)/dataprodukt lint
	$(BIN)/ruff check scripts tests benchmarks
	$(BIN)/ruff format --check scripts tests benchmarks
	$(BIN)/mypy

format: install
	-$(BIN)/dataprodukt lint --fix
	$(BIN)/ruff format scripts tests benchmarks
	$(BIN)/ruff check --fix scripts tests benchmarks

status: install
	$(BIN)/dataprodukt status

catalog: install
	$(BIN)/dataprodukt catalog

publish: install
	$(BIN)/dataprodukt publish

bq-emulator: install
	$(BIN)/dataprodukt bq-emulator start

bq-emulator-stop: install
	$(BIN)/dataprodukt bq-emulator stop

bench: install
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf build target logs
