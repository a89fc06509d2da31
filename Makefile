# The two commands a newcomer needs (see README.md):
#   make demo   - set up the virtualenv, start the sandbox, run the main job against it
#   make test   - set up the virtualenv, run linters and every test suite
PYTHON ?= python3
VENV := venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Mermaid's own parser (npm, pinned by tests/mermaid/package-lock.json) checks the diagrams in the tests
MERMAID := tests/mermaid/node_modules/.package-lock.json

.PHONY: venv pulumi demo stop test lint pytest sandbox clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

# The Pulumi CLI v3 pinned in .tools/go.mod, its Python language host and dynamic-provider plugin,
# built from Go modules into .tools/bin (minutes the first time, instant when current).
pulumi: $(STAMP)
	$(PY) -m stacks.toolchain build

$(MERMAID): tests/mermaid/package.json tests/mermaid/package-lock.json
	npm ci --prefix tests/mermaid --no-audit --no-fund --loglevel=error
	touch $(MERMAID)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	$(VENV)/bin/actionlint

# The CLI is built first when Go is here and no suitable CLI is on PATH; without either, the tests
# that need it say why they skip (CI sets WAZO_VOIP_REQUIRE_PULUMI=1: there they fail instead).
pytest: $(STAMP) $(MERMAID)
	$(PY) -m stacks.toolchain ensure --optional
	$(PY) -m pytest $(PYTEST_ARGS)

test: lint pytest

sandbox: $(STAMP)
	$(PY) -m sandbox --port 9486 --state .sandbox/state.db

demo: $(STAMP)
	$(PY) -m stacks demo

stop: $(STAMP)
	$(PY) -m stacks demo --stop

clean:
	rm -rf $(VENV) .sandbox .pytest_cache .mypy_cache .ruff_cache .tools/bin tests/mermaid/node_modules
