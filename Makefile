# The two commands of the README: `make demo` and `make test`. Everything installs into .venv/.
# The interpreter: the distribution's Python when it is 3.11 or newer (Debian builds it with
# profile-guided optimization: reviews run about a fifth faster than on a default pyenv build),
# else the first python3 on the PATH. `make PYTHON=...` chooses another.
ifeq ($(origin PYTHON), undefined)
PYTHON := $(shell for p in /usr/bin/python3 python3; do \
  $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; \
  done)
endif
VENV := .venv
PY := $(VENV)/bin/python
CHROMIUM ?= /usr/bin/chromium

.PHONY: install native demo test test-fast lint lock chromium python-venv run-worker run-beat check-deploy

$(VENV)/.installed: requirements-dev.lock
	@test -n "$(PYTHON)" || { echo "Harvest Desk needs Python 3.11 or newer"; exit 1; }
	@$(PYTHON) -c 'import ensurepip' 2>/dev/null || $(MAKE) --no-print-directory python-venv
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r requirements-dev.lock
	touch $@

install: $(VENV)/.installed

# The rule engine compiled with mypyc into build/native/ (used only while it matches the
# sources: taxlogic/rules/__init__.py). Does nothing when current; TAXLOGIC_NATIVE=0 skips it.
# A machine without a C compiler still runs everything, from the sources (make test says so).
native: install
	@$(PY) -m taxlogic.native || echo "The rule engine runs from its sources (slower, same results)."

# Embedded mode (no DATABASE_URL, no REDIS_URL): SQLite under ./data, tasks in-process.
demo: native
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py runserver 127.0.0.1:8000

# The whole suite on PostgreSQL and Redis: DATABASE_URL / REDIS_URL when set, else throwaway
# servers started from the installed binaries (tests/servers.py).
# The engine's own tests run twice: compiled (as the site runs it) and from the sources.
test: native chromium
	$(PY) -m ruff check .
	$(PY) -m taxlogic.native --check
	$(PY) -m pytest
	TAXLOGIC_NATIVE=0 $(PY) -m pytest tests/taxlogic tests/cases -p no:django -q

# Django's deployment checks with production settings (DEBUG off, a secret key, a host):
# any warning fails (CI runs it before the tests; tests/security/test_headers.py too).
check-deploy: install
	DEBUG=false SECRET_KEY="check-deploy-$$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')" \
	  ALLOWED_HOSTS=harvest.example.com $(PY) manage.py check --deploy --fail-level WARNING

# Only the pure rule engine: no Django, no database, seconds.
test-fast: native
	$(PY) -m pytest tests/taxlogic tests/cases -p no:django -q

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

# Debian's Python makes virtual environments only with its python3-venv package.
python-venv:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing Debian's python3-venv for $(PYTHON)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null; \
	else \
	  echo "$(PYTHON) cannot make a virtual environment: sudo apt-get install python3-venv (or make PYTHON=...)"; exit 1; \
	fi

chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "Browser tests need Debian's Chromium: sudo apt-get install chromium"; exit 1; \
	  fi; \
	fi

# Re-pin after editing pyproject.toml dependencies (needs uv: pip install uv).
lock:
	uv pip compile pyproject.toml --generate-hashes --universal --python-version 3.11 -q -o requirements.lock --custom-compile-command "make lock"
	uv pip compile pyproject.toml --group dev --generate-hashes --universal --python-version 3.11 -q -o requirements-dev.lock --custom-compile-command "make lock"

run-worker: native
	$(VENV)/bin/celery -A config worker --loglevel=INFO --concurrency=2

run-beat: install
	$(VENV)/bin/celery -A config beat --loglevel=INFO
