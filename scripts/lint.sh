#!/usr/bin/env bash
# `make lint`: ruff (lint and format) and pylint-odoo's mandatory checks, from .venv.
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
[ -x .venv/bin/ruff ] || { echo "lint tools are missing: run make setup" >&2; exit 1; }
rc=0
.venv/bin/ruff check . || rc=1
.venv/bin/ruff format --check --diff . || rc=1
# pylint-odoo reads the addon as a package named after its folder: lint a link named correctly.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ln -s "$repo" "$tmp/account_payment_link"
(cd "$tmp" && "$repo/.venv/bin/pylint" --rcfile="$repo/.pylintrc-mandatory" account_payment_link) || rc=1
[ $rc = 0 ] && echo "lint: ok"
exit $rc
