# News archiver: every target works on a fresh clone (it sets up what it needs).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ARCHIVE ?= archive
PORT ?= 8080

.PHONY: egg setup demo test test-s3 lint eval bench bench-memory bench-profile bench-s3 bench-read bench-hostile bench-dns bench-incremental bench-distributed replay clean

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

# The project as a Scrapyd egg, $(EGG_DIR)/scraper-<version>-py3.X.egg, built outside the
# source tree. Deploy: curl http://HOST:6800/addversion.json -F project=news-archiver \
#   -F version=$$(git describe --always) -F egg=@dist/scraper-<version>-py3.X.egg
EGG_DIR ?= dist
egg: setup
	mkdir -p $(EGG_DIR)
	$(BIN)/python -c 'from setuptools import setup; setup()' --quiet egg_info --egg-base $(EGG_DIR) \
		build --build-base $(EGG_DIR)/build bdist_egg --bdist-dir $(EGG_DIR)/bdist --dist-dir $(EGG_DIR)
	rm -rf $(EGG_DIR)/build $(EGG_DIR)/bdist $(EGG_DIR)/scraper.egg-info

eval: setup
	$(BIN)/python -m benchmarks.evaluate

# Pages/s of the crawl, of wget + trafilatura's CLI, and of extraction alone (the CPU bound).
bench: setup
	command -v wget >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wget; }
	$(BIN)/python -m benchmarks.bench --pages 1000

bench-memory: setup
	$(BIN)/python -m benchmarks.bench --memory 1000,5000

bench-profile: setup
	$(BIN)/python -m pip install --quiet py-spy
	$(BIN)/python -m benchmarks.profile --pages 1000
	$(BIN)/python -m benchmarks.profile --components --pages 121

# 10,000 links of odd, malformed and abusive responses: what reaches the WARC, errors, memory.
bench-hostile: setup
	$(BIN)/python -m benchmarks.hostile --links 10000

# A loopback crawl whose pages name hosts whose DNS never answers: pages/s with and without them.
bench-dns: setup
	$(BIN)/python -m benchmarks.dns

# Three crawls of a changing 1,000-article site: what the crawl history saves.
bench-incremental: setup
	$(BIN)/python -m benchmarks.incremental --articles 1000

# The crawl on a Redis frontier (one and two processes) against the crawl of one process,
# and what one Redis serves (redis-benchmark). Needs redis-server (apt-get install redis-server).
bench-distributed: setup
	command -v redis-server >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq redis-server; }
	$(BIN)/python -m benchmarks.distributed --pages 1000

bench-s3: setup
	$(BIN)/python -m benchmarks.s3_upload

# Records/s of verify's and reextract's reading against warcio and FastWARC, on a 1,000-page
# crawl's WARC (made once, kept under .bench/) and other crawlers' files (pywb's samples).
bench-read: setup
	bash scripts/pywb-venv.sh
	ls .bench/run-*/crawl/*/warc/*.warc.gz >/dev/null 2>&1 || \
		$(BIN)/python -m benchmarks.bench --keep --skip-diy --skip-pool --rounds 1
	$(BIN)/python -m benchmarks.read

replay: setup
	bash scripts/pywb-venv.sh
	$(BIN)/python scripts/replay.py $(ARCHIVE) --port $(PORT)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) .pywb-venv build dist archive .pytest_cache .mypy_cache .ruff_cache
