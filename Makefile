# simpolicy: the README's two commands are `make demo` and `make test`.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
REPS    ?= 8

.PHONY: setup system-deps demo test test-fast lint bench calibrate dashboard clean

setup: $(STAMP) system-deps

# Python environment: rebuilt only when pyproject.toml changes (idempotent).
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Debian's Chromium and ChromeDriver drive the browser tests and kaleido's PNG export.
system-deps:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
	  echo "installing Debian packages chromium chromium-driver"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; \
	fi

demo: setup
	$(BIN)/simpolicy demo --reps $(REPS)

test: setup
	$(BIN)/ruff check simpolicy dashboard tests benchmarks
	$(BIN)/python -m pytest -q -p no:cacheprovider --maxfail=20 tests

test-fast: setup
	$(BIN)/python -m pytest -q -x -m "not browser and not slow" tests

bench: setup
	$(BIN)/python -m benchmarks.run

calibrate: setup
	$(BIN)/simpolicy calibrate --reps 40 --markdown docs/calibration_table.md

dashboard: setup
	$(BIN)/simpolicy dashboard

clean:
	rm -rf $(VENV) build *.egg-info
