#!/usr/bin/env bash
# `make setup`: everything the addon, its demo and its tests need on a fresh machine.
# Idempotent: a second run checks and installs nothing new.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
PYTHON=${PYTHON:-python3}
ODOO_BRANCH=18.0
ODOO_GIT_URL=${ODOO_GIT_URL:-https://github.com/odoo/odoo.git}
ODOO_HOME=${ODOO_HOME:-$HOME/.local/share/account_payment_link/odoo-$ODOO_BRANCH}
# Only Odoo's own requirements need the constraint (see the file); it is not exported to every
# pip call, since newer sdists may need a newer setuptools.
odoo_constraint="$here/scripts/pip-constraints.txt"
export PIP_DISABLE_PIP_VERSION_CHECK=1

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf '\033[31mmake setup: %s\033[0m\n' "$*" >&2; exit 1; }
pip_install() { "$PYTHON" -m pip install --quiet "$@" 2>&1 | grep -vE "Running pip as the 'root' user|WARNING: Location 'file:" || true; }

apt_updated=
apt_install() {
    # Debian packages are installed only when missing, only as root, only where apt exists.
    local missing=()
    for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
        echo "missing system packages: ${missing[*]} (install them with your package manager)" >&2
        return 1
    fi
    if [ -z "$apt_updated" ]; then apt-get update -qq >/dev/null; apt_updated=1; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

odoo_version() { (cd / && "$PYTHON" -c 'import odoo.release as r; print(r.serie)' 2>/dev/null) || true; }

install_odoo_from() {
    local src=$1
    [ -f "$src/odoo-bin" ] && [ -f "$src/requirements.txt" ] || die "$src is not an Odoo source tree (no odoo-bin)"
    say "Installing Odoo's Python requirements from $src"
    # python-ldap and psycopg2 build from source on some Pythons.
    command -v apt-get >/dev/null && apt_install libldap2-dev libsasl2-dev libpq-dev python3-dev || true
    PIP_CONSTRAINT=$odoo_constraint pip_install -r "$src/requirements.txt"
    say "Making Odoo importable (editable install of $src)"
    pip_install --no-deps --editable "$src"
}

# --- 1. Odoo ------------------------------------------------------------------------------
serie=$(odoo_version)
if [ -n "$serie" ]; then
    [ "$serie" = "$ODOO_BRANCH" ] || die "python3 imports Odoo $serie; this addon needs Odoo $ODOO_BRANCH"
    say "Odoo $serie found: $(cd / && "$PYTHON" -c 'import odoo, os; print(os.path.dirname(odoo.__file__))')"
elif [ -n "${ODOO_SRC:-}" ]; then
    install_odoo_from "$ODOO_SRC"
else
    say "Odoo is not importable and ODOO_SRC is not set: cloning Odoo $ODOO_BRANCH into $ODOO_HOME"
    if [ ! -f "$ODOO_HOME/odoo-bin" ]; then
        mkdir -p "$(dirname "$ODOO_HOME")"
        git clone --quiet --depth 1 --branch "$ODOO_BRANCH" "$ODOO_GIT_URL" "$ODOO_HOME" || die \
"could not get Odoo $ODOO_BRANCH. Either install it so that '$PYTHON -c \"import odoo\"' works,
or set ODOO_SRC to an Odoo $ODOO_BRANCH source tree (a checkout of odoo/odoo, branch $ODOO_BRANCH),
then run make setup again."
    fi
    install_odoo_from "$ODOO_HOME"
fi
[ "$(odoo_version)" = "$ODOO_BRANCH" ] || die "Odoo $ODOO_BRANCH is still not importable by $PYTHON"

# --- 2. The addon's Python packages ----------------------------------------------------------
say "Installing the addon's Python packages (requirements.txt, requirements-test.txt)"
PIP_CONSTRAINT=$odoo_constraint pip_install -r requirements.txt -r requirements-test.txt

# --- 3. Developer tools in .venv (lint) ---------------------------------------------------------
if [ ! -x .venv/bin/python ]; then
    say "Creating .venv for the developer tools"
    "$PYTHON" -m venv .venv
fi
say "Installing developer tools into .venv (requirements-dev.txt)"
PYTHON=.venv/bin/python pip_install -r requirements-dev.txt
.venv/bin/ruff --version >/dev/null || die "ruff did not install into .venv"

# --- 4. PostgreSQL ----------------------------------------------------------------------------
pg_ok() { (cd / && "$PYTHON" -c 'import psycopg2; psycopg2.connect(dbname="postgres").close()') 2>/dev/null; }
if ! pg_ok; then
    if command -v pg_lsclusters >/dev/null; then
        say "Starting the local PostgreSQL cluster(s)"
        pg_lsclusters -h | while read -r ver name _; do
            pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" start || true
        done
        for _ in $(seq 1 20); do pg_ok && break; sleep 0.5; done
    fi
    pg_ok || die "PostgreSQL is not reachable as $(id -un) (tried the default socket and PG* variables).
Install and start PostgreSQL, create a role for $(id -un) that may create databases
(createuser -d $(id -un)), or set PGHOST/PGPORT/PGUSER/PGPASSWORD, then run make setup again."
fi
say "PostgreSQL reachable"

# --- 5. Chromium for the browser tests ---------------------------------------------------------
chrome=$(command -v google-chrome || command -v chromium || command -v chromium-browser || true)
if [ -z "$chrome" ]; then
    say "Installing Chromium for the browser tests"
    apt_install chromium || die "Chromium is missing: install the 'chromium' package (or Google Chrome)"
    chrome=$(command -v chromium)
fi
say "Browser for tours: $chrome"

# --- 6. wkhtmltopdf for real PDFs (invoice PDFs attached to receipts in the demo) ------------------
if ! command -v wkhtmltopdf >/dev/null; then
    say "Installing wkhtmltopdf (PDF reports)"
    apt_install wkhtmltopdf || echo "wkhtmltopdf is missing: PDFs cannot be rendered (tests do not need it)" >&2
fi
(cd / && "$PYTHON" -c 'import websocket') || die "websocket-client did not install"

# --- 7. axe-core, for the accessibility checks of the customer's pages (tests/test_accessibility.py) --
AXE_VERSION=4.14.1
axe_js=.node/node_modules/axe-core/axe.min.js
if [ ! -f "$axe_js" ] || ! grep -q "\"version\": \"$AXE_VERSION\"" .node/node_modules/axe-core/package.json; then
    command -v npm >/dev/null || apt_install npm || die "npm is missing: install Node.js and npm, then run make setup again"
    say "Installing axe-core $AXE_VERSION from the npm registry (accessibility checks)"
    npm install --silent --no-audit --no-fund --prefix .node "axe-core@$AXE_VERSION" >/dev/null \
        || die "could not install axe-core $AXE_VERSION from the npm registry"
fi
[ -f "$axe_js" ] || die "axe-core did not install ($axe_js is missing)"

say "Setup complete. Next: make test, or make run"
