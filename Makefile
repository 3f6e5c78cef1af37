# account_payment_link: developer commands. See README.md.
PYTHON ?= python3
export PYTHON

.PHONY: setup test run lint format pot help

help:
	@echo "make setup  - install what the addon, its demo and its tests need"
	@echo "make test   - the whole suite on a fresh database, then lint"
	@echo "make run    - demo on http://localhost:8069 with emulated Stripe and Twilio"
	@echo "make lint   - ruff (check and format) and pylint-odoo's mandatory checks"
	@echo "make format - let ruff fix and format the code"
	@echo "make pot    - refresh i18n/account_payment_link.pot with Odoo's own export"

setup:
	bash scripts/setup.sh

test:
	$(PYTHON) scripts/run_tests.py

run:
	$(PYTHON) scripts/run_demo.py

lint:
	bash scripts/lint.sh

format:
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .

pot:
	$(PYTHON) scripts/export_pot.py
