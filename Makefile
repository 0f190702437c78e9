# Two commands: `make run` and `make test`. Both create .venv and install what they need,
# from the lock (requirements*.txt, every transitive package pinned with hashes), again
# whenever the lock changes. `make lock` re-compiles the lock from pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Compile for PyPI alone, whatever local indexes or find-links pip is configured with.
LOCK_ENV := env -u PIP_FIND_LINKS -u PIP_EXTRA_INDEX_URL -u PIP_CONSTRAINT \
	PIP_CONFIG_FILE=/dev/null CUSTOM_COMPILE_COMMAND="make lock"
LOCK_FLAGS := --quiet --generate-hashes --strip-extras --allow-unsafe \
	--no-emit-index-url --no-emit-find-links

.PHONY: run test lint typecheck pytest bench lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m pip check
	touch $@

$(VENV)/.installed-test: requirements-dev.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m pip check
	touch $@ $(VENV)/.installed

# The bot reads .env itself (python-dotenv), so `make run` and `python -m bot` behave alike.
run: $(VENV)/.installed
	exec $(BIN)/python -m bot

lint: $(VENV)/.installed-test
	$(BIN)/ruff check bot handlers tests bench
	$(BIN)/ruff format --check bot handlers tests bench

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy --strict bot handlers

pytest: $(VENV)/.installed-test
	$(BIN)/python -m pytest

test: lint typecheck pytest

bench: $(VENV)/.installed-test
	$(BIN)/python -m bench
	$(BIN)/python -m bench.observability

# Re-compile the lock for Python 3.11 (.python-version) with pip-tools in a throwaway venv.
lock:
	tools=$$(mktemp -d) && trap 'rm -rf "$$tools"' EXIT && \
	$(PYTHON) -m venv "$$tools" && \
	$(LOCK_ENV) "$$tools/bin/pip" install --quiet pip-tools && \
	$(LOCK_ENV) "$$tools/bin/pip-compile" $(LOCK_FLAGS) $(UPGRADE) \
		-o requirements.txt pyproject.toml && \
	$(LOCK_ENV) "$$tools/bin/pip-compile" $(LOCK_FLAGS) $(UPGRADE) --extra test \
		-c requirements.txt -o requirements-dev.txt pyproject.toml

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
