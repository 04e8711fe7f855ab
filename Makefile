# The two commands of README.md. Both work on a fresh Debian machine, as root or with sudo,
# with Debian's own python3 or any Python >= 3.11 given as PYTHON=: everything Python goes
# into the project's virtual environment (.venv; Debian's python3 refuses system-wide pip
# installs, PEP 668), at the versions and hashes of requirements*.lock.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export DEBIAN_FRONTEND := noninteractive
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test lint test-fast soak install system-deps install-test system-test-deps bench \
	bench-load bench-100m bench-feeds lock bundle

# Install the app and run it on the embedded demo city (built on first run, then reused).
run: install
	$(VENV)/bin/citybrain serve

# The virtual environment; Debian keeps venv's pip bootstrap in python3-venv.
$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	  echo "$(PYTHON) is not Python 3.11 or later: make $(MAKECMDGOALS) PYTHON=python3.11" >&2; \
	  exit 1; }
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { rm -rf $(VENV) && \
	  $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q python3-venv && \
	  $(PYTHON) -m venv $(VENV); }

# fonts-noto-cjk: the app cuts its interface font from it (and chart export renders Chinese);
# chromium: renders charts and monthly reports to PNG/SVG/PDF on the server.
system-deps:
	@if ! fc-list 2>/dev/null | grep -q "Noto Sans CJK" || ! [ -x /usr/bin/chromium ]; then \
	  $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q fonts-noto-cjk fontconfig chromium; \
	fi

install: system-deps $(PY)
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .

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

# --no-compile: the suite imports a fraction of what it installs, and Python writes the
# bytecode of what it imports into the venv itself (byte-compiling all of it first took ~40 s)
install-test: system-test-deps $(PY)
	$(PY) -m pip install --quiet --no-compile --require-hashes -r requirements-test.lock
	$(PY) -m pip install --quiet --no-deps -e .

# The offline bundle, dist/citybrain-bundle/ (docs/DEPLOY.md): every locked package's wheel
# for this machine's Python and platform, the project's wheel, the Debian packages it needs
# and install.sh. Build it with the Python of the machines it goes to (Debian 12: python3).
bundle: install
	$(PY) deploy/bundle.py

# The locks, after a change of pyproject.toml's dependencies: every package at one version,
# with the hashes pip checks (the test lock keeps the app lock's versions).
LOCK_OPTIONS := --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
	--no-emit-find-links
# pip-compile resolves for the Python running it: redis needs async-timeout below 3.11.3
# (Debian 12's python3 is 3.11.2), which a newer Python leaves out, so it is added by hand.
ASYNC_TIMEOUT := async-timeout==5.0.1 \\\n    --hash=sha256:39e3809566ff85354557ec2398b55e096c8364bacac9405a7a1fa429e77fe76c \\\n    --hash=sha256:d9321a7a3d5a6a5e187e824d2fa0793ce379a202935782d555d6e9d2735677d3\n    \# via redis, on Python < 3.11.3 (Debian 12 ships 3.11.2), added by make lock
lock: $(PY)
	$(PY) -m pip install --quiet pip-tools
	$(VENV)/bin/pip-compile $(LOCK_OPTIONS) -o requirements.lock pyproject.toml
	$(VENV)/bin/pip-compile $(LOCK_OPTIONS) --extra test -c requirements.lock \
	  -o requirements-test.lock pyproject.toml
	for lock in requirements.lock requirements-test.lock; do \
	  grep -q '^async-timeout==' $$lock || printf '$(ASYNC_TIMEOUT)\n' >> $$lock; done

# A worker per core, a test file per worker at a time (--dist loadfile): a module's server
# and browser start once. (Three workers on this 2-core machine were no faster, 9 min 45 s
# of pytest against 8 min 56 s, and slowed the browser tests into their timeouts.) The slow
# modules are dealt first (tests/conftest.py orders them; --no-loadscope-reorder keeps that
# order rather than xdist's most-tests-first, which dealt the slowest, one-test modules last
# and left a worker idle for up to a minute at the end).
PYTEST_PARALLEL := -n auto --dist loadfile --no-loadscope-reorder

# The soaks run for minutes by design: `make soak`, not the gate (it stays under 10 minutes).
test: install-test lint
	$(PY) -m pytest $(PYTEST_PARALLEL) -m "not soak"

# The layers (nothing imports upward: import-linter's contract in pyproject.toml), ruff, and
# mypy on the chart contract, the registry, the runtime and the catalogue.
lint: install-test
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports
	$(PY) -m mypy

# The suite without the real browser, the soak and the servers (markers in pyproject.toml),
# for between commits; `make test` stays the gate.
test-fast: install-test
	$(PY) -m pytest $(PYTEST_PARALLEL) -m "not browser and not soak and not deploy"

# The soak tests alone, for 10 minutes each (CITYBRAIN_SOAK_SECONDS).
soak: install-test
	CITYBRAIN_SOAK_SECONDS=600 $(PY) -m pytest -m soak

# Cross-filter latency at the default scale and at 10M events against a naive Dash baseline.
bench: install-test
	$(PY) -m bench

# 50 simulated analysts for 5 minutes against gunicorn and Redis, with Redis stopped and
# started again and the store swapped by a load mid-run (bench/README.md).
bench-load: install-test
	$(PY) -m bench.load

# The 100M-event city (built once under bench/out/, ~26 min, ~45 GB of temporary disk) and
# its callbacks (the naive baseline cannot hold it); single events written while a backup
# copies the store (bench/README.md).
bench-100m: install-test
	$(PY) -m bench --scales 100m --requests 20 --no-naive
	$(PY) -m bench.copies --scales 10m,100m

bench-feeds: install-test
	$(PY) -m bench.writes --scales 1m,10m
	-$(PY) -m bench.feeds --seconds 120 --rate 5000 --writes in-place   # one process, for comparison
	$(PY) -m bench.feeds --seconds 120 --rate 5000
