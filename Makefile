# botgate: `make run` serves the gateway on the embedded store, `make test` runs the tests.
# Both create their own virtualenv on first use.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
# `make run PORT=8001` when 8000 is taken (BOTGATE_PORT works too)
PORT ?=

.PHONY: install run test lint bench clean browser upstream-bots

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

run: install
	$(VENV)/bin/botgate serve $(if $(PORT),--port $(PORT))

test: install browser upstream-bots
	$(PY) -m pytest

# The activity runtime's tests run a real Bot Framework bot built with botbuilder-python, whose pinned dependencies
# live in a venv of their own under $(VENV) (built once, about half a minute; reused while its requirements stand).
upstream-bots: install
	$(PY) -m tests.upstream.botbuilder_env

# The browser tests (web chat, dashboard) drive Debian's Chromium, one for the whole run: install it when missing
# (with sudo unless root). Where it cannot be installed the suite still runs and those tests are skipped loudly.
browser:
	@command -v chromium >/dev/null || { \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		($$SUDO apt-get update && $$SUDO apt-get install -y chromium) || \
		echo "!!! could not install chromium: the browser tests (web chat, dashboard) will be SKIPPED !!!" >&2; }

# `make bench`: the gateway against its ceiling and floors on a private redis-server, about 14 minutes (docs/benchmarks.md).
# wrk and redis-server come from Debian (with sudo unless root); py-spy, for the profile, from the `bench` extra.
bench: install
	@{ command -v wrk && command -v redis-server; } >/dev/null || { \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update && $$SUDO apt-get install -y wrk redis-server; }
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) -m bench.run

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
