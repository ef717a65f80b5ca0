# Two commands on a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint bench venv clean-db

venv: $(STAMP)

$(STAMP): setup.cfg
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

run: venv
	$(BIN)/supervision init-db
	$(BIN)/supervision seed-demo
	$(BIN)/supervision deploy --quiet-unchanged workflows/*.bpmn
	$(BIN)/supervision serve --host $(HOST) --port $(PORT) --with-worker

test: venv
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: venv
	$(BIN)/python -m bench

clean-db:
	rm -f instance/supervision.db instance/supervision.db-wal instance/supervision.db-shm
