# News archiver: every target works on a fresh clone (it sets up what it needs).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ARCHIVE ?= archive
PORT ?= 8080

.PHONY: setup demo test test-s3 lint eval bench bench-s3 replay clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: setup
	$(BIN)/python -m sample_site.demo

# pywb lives in a venv of its own (.pywb-venv): its pins clash with ours.
test: setup
	bash scripts/pywb-venv.sh
	$(BIN)/python -m pytest

test-s3: setup
	$(BIN)/python -m pytest tests/test_storage_s3.py tests/test_storage_local.py

eval: setup
	$(BIN)/python -m scraper.evaluate

bench-s3: setup
	$(BIN)/python -m benchmarks.s3_upload

replay: setup
	bash scripts/pywb-venv.sh
	$(BIN)/python scripts/replay.py $(ARCHIVE) --port $(PORT)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pywb-venv build archive .pytest_cache .mypy_cache .ruff_cache
