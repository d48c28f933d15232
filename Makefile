# Redress developer entry points. `make run` and `make test` are the two set-up commands on a fresh
# machine: both create .venv and install the project into it when needed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench install clean translations

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/redress demo

# axe-core for the browser accessibility tests, from the npm registry (tests/browser/package.json
# and its committed lockfile). Without npm, or offline, the axe tests skip with the reason; in CI
# (which installs npm and runs `npm ci` itself) they fail instead.
AXE := tests/browser/node_modules/axe-core/axe.min.js

$(AXE): tests/browser/package.json tests/browser/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error && touch $@ \
			|| echo "warning: npm ci failed; the axe-core accessibility tests will be skipped"; \
	else \
		echo "npm not found: the axe-core accessibility tests will be skipped"; \
	fi

# The tests run in parallel, one pytest-xdist worker per core (PYTEST_WORKERS=0: in one process).
# --dist loadfile keeps each module on one worker, so module-scoped fixtures (the intake browser
# tests' server and signed-in console) are made once; the modules are handed out in collection
# order, which starts the long browser modules early. Tests marked serial run while no other
# test does (tests/support/serial.py).
PYTEST_WORKERS ?= auto

test: $(STAMP) $(AXE)
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Re-extract the reporter-facing strings (see babel.cfg), merge them into each language's catalog
# and compile the .mo files, which are kept in the tree so an install needs no build step. New or
# changed strings come out untranslated or fuzzy: tests/test_translations.py fails until they are
# translated. Locations are file names only and the output is sorted, so moving code does not
# churn the catalogs.
TRANSLATIONS := redress/i18n/translations
translations: $(STAMP)
	$(BIN)/pybabel extract --mapping-file=babel.cfg --keyword=_l --keyword=lazy_gettext \
		--add-location=file --sort-output --add-comments=Translators: --project=Redress \
		--version=0.1.0 --copyright-holder="Redress contributors" \
		--output-file=$(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel update --input-file=$(TRANSLATIONS)/messages.pot \
		--output-dir=$(TRANSLATIONS) --ignore-pot-creation-date
	$(BIN)/pybabel compile --directory=$(TRANSLATIONS) --statistics

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build *.egg-info bench/out tests/browser/node_modules
