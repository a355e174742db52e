# News archiver: every target works on a fresh clone (it sets up what it needs).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SEEDS ?= ../shared/seeds

.PHONY: setup demo test lint eval bench replay clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: setup
	$(BIN)/python -m sample_site.demo

test: setup
	$(BIN)/python -m pytest

eval: setup
	$(BIN)/python -m scraper.evaluate

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) archive .pytest_cache .mypy_cache .ruff_cache
