# Two commands on a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
export FLASK_APP := surveyapp

# What the product needs at run time: WeasyPrint's text stack and Chinese fonts.
RUN_DEBS  := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 fonts-noto-cjk
# What only the tests need: a real browser and PDF inspection.
TEST_DEBS := chromium poppler-utils
# What the benchmarks need besides: R's survey package, timed against ours on the same data.
BENCH_DEBS := r-base-core r-cran-survey r-cran-jsonlite

.PHONY: run test bench setup setup-dev debs debs-test translations messages lint clean

run: setup
	$(BIN)/flask db upgrade
	$(BIN)/flask demo load --if-empty --size full
	@# A database made before a questionnaire or indices file changed gets the new version
	@# (unchanged files are skipped; waves already begun keep theirs).
	$(BIN)/flask questionnaires load
	$(BIN)/flask demo logins
ifeq ($(DEBUG),1)
	$(BIN)/flask --debug run --host $(HOST) --port $(PORT)
else
	$(BIN)/gunicorn -c gunicorn.conf.py --bind $(HOST):$(PORT) --access-logfile - wsgi:app
endif

test: setup-dev
	$(BIN)/ruff check surveyapp scoring tests bench
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Every benchmark in turn (several minutes; results go into docs/benchmarks.md by hand).
bench: setup-dev
	@scripts/debian-packages.sh $(BENCH_DEBS)
	$(BIN)/python bench/estimate.py
	$(BIN)/python bench/collect.py
	$(BIN)/python bench/indices.py
	BENCH_REPORTS_SIZE=full $(BIN)/python bench/reports.py
	$(BIN)/python bench/import_members.py

setup: debs $(VENV)/.installed translations
setup-dev: setup debs-test $(VENV)/.dev-installed

debs:
	@scripts/debian-packages.sh $(RUN_DEBS)

debs-test:
	@scripts/debian-packages.sh $(TEST_DEBS)

$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

translations: $(VENV)/.installed
	$(BIN)/pybabel -q compile -d surveyapp/translations

lint: setup-dev
	$(BIN)/ruff check surveyapp scoring tests bench

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts

# After changing user-facing strings: refresh the catalogue, translate the new English
# entries in surveyapp/translations/en/LC_MESSAGES/messages.po, then `make translations`.
messages: $(VENV)/.installed
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k _lp:1c,2 -o surveyapp/translations/messages.pot .
	$(BIN)/pybabel -q update -i surveyapp/translations/messages.pot -d surveyapp/translations
