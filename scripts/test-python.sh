#!/bin/sh
# The Python checkers the tests run (the label decoders, the Prometheus parser, the protocol
# and OpenAPI validators), installed in a virtual environment of their own, target/python,
# from every crate's tests/requirements.txt. The tests use it when it exists (HEMAFLOW_PYTHON,
# if set, names another interpreter); without it they run `python3`.
set -eu
cd "$(dirname "$0")/.."
venv=target/python
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
for requirements in crates/*/tests/requirements.txt; do
    echo "installing $requirements into $venv"
    "$venv/bin/python" -m pip install --quiet -r "$requirements"
done
