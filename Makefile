# The two commands a newcomer needs (see README.md):
#   make demo   install, migrate, seed the demo clinic, serve it with a worker on 127.0.0.1:8000
#   make test   lint, types, import contracts, migrations check, the whole pytest suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test install lock

install: $(VENV)/.installed

$(VENV)/.installed: requirements/lock.txt pyproject.toml
	scripts/install

demo: install
	scripts/demo

test: install
	scripts/test

# Re-resolve pins after editing pyproject.toml (needs uv: pip install uv).
lock:
	uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -o requirements/lock.txt
