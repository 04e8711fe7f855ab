# The two commands of README.md. Both work on a fresh Debian machine with Python 3.11, as root.
PYTHON ?= python3
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export DEBIAN_FRONTEND := noninteractive
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test lint test-fast soak install system-deps install-test system-test-deps bench \
	bench-load

# Install the app and run it on the embedded demo city (built on first run, then reused).
run: install
	citybrain serve

# fonts-noto-cjk: the app cuts its interface font from it (and chart export renders Chinese);
# chromium: renders charts and monthly reports to PNG/SVG/PDF on the server.
system-deps:
	@if ! fc-list 2>/dev/null | grep -q "Noto Sans CJK" || ! [ -x /usr/bin/chromium ]; then \
	  $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q fonts-noto-cjk fontconfig chromium; \
	fi

install: system-deps
	$(PYTHON) -m pip install --quiet -e .

# Debian's Chromium and driver (browser tests), CJK fonts, pdftoppm, Redis (the shared
# cache's tests start their own redis-server), then the suite.
system-test-deps:
	@if ! [ -x /usr/bin/chromium ] || ! [ -x /usr/bin/chromedriver ] \
	    || ! fc-list 2>/dev/null | grep -q "Noto Sans CJK" || ! command -v pdftoppm >/dev/null \
	    || ! [ -x /usr/bin/redis-server ]; then \
	  $(SUDO) apt-get update -q && \
	  $(SUDO) apt-get install -y -q chromium chromium-driver fonts-noto-cjk poppler-utils \
	    redis-server; \
	fi

install-test: system-test-deps
	$(PYTHON) -m pip install --quiet -e '.[test]'

# On every core, a test file per worker at a time (-n auto --dist loadfile): a module's server
# and browser start once.
PYTEST_PARALLEL := -n auto --dist loadfile

test: install-test lint
	$(PYTHON) -m pytest $(PYTEST_PARALLEL)

# The layers (nothing imports upward: import-linter's contract in pyproject.toml), ruff, and
# mypy on the chart contract, the registry, the runtime and the catalogue.
lint: install-test
	$(PYTHON) -m ruff check .
	lint-imports
	$(PYTHON) -m mypy

# The suite without the real browser, the soak and the servers (markers in pyproject.toml),
# for between commits: the target is 3 minutes, it takes about 10 on two cores today (the
# 20 slowest tests are named at the end); `make test` stays the gate.
test-fast: install-test
	$(PYTHON) -m pytest $(PYTEST_PARALLEL) -m "not browser and not soak and not deploy"

# The soak tests alone, for 10 minutes (a minute in `make test`).
soak: install-test
	CITYBRAIN_SOAK_SECONDS=600 $(PYTHON) -m pytest -m soak

# Cross-filter latency at the default scale and at 10M events against a naive Dash baseline.
bench: install-test
	$(PYTHON) -m bench

# 50 simulated analysts for 5 minutes against gunicorn and Redis, with Redis stopped and
# started again and the store swapped by a load mid-run (bench/README.md).
bench-load: install-test
	$(PYTHON) -m bench.load
