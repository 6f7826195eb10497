# The two commands of the README. Both set up what they need on a fresh machine.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
TESTSTAMP := $(VENV)/.installed-test

.PHONY: site test clean messages

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(STAMP): pyproject.toml constraints.txt | $(BIN)/python
	@if ! pkg-config --exists icu-i18n 2>/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libicu-dev pkg-config g++ >/dev/null; \
	  else echo "PyICU builds against ICU: install Debian's libicu-dev, pkg-config and g++ (as root: apt-get install libicu-dev pkg-config g++)"; exit 1; fi; \
	fi
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e .
	touch $@

$(TESTSTAMP): $(STAMP) package.json
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test]'
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v pdftotext >/dev/null 2>&1 || ! command -v qpdf >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils qpdf >/dev/null; \
	  else echo "chromium, pdftotext or qpdf is missing: install Debian's chromium, poppler-utils and qpdf (as root: apt-get install chromium poppler-utils qpdf)"; exit 1; fi; \
	fi
	@if [ ! -d node_modules/axe-core ]; then npm install --no-audit --no-fund --silent; fi
	touch $@

site: $(STAMP)
	$(BIN)/biliktilik validate
	$(BIN)/biliktilik build

test: $(TESTSTAMP)
	$(BIN)/python -m pytest -q

# After adding or changing a message (`_("...")` in biliktilik/): extract, merge into kk/ru, then
# translate the new entries in the .po files and run `make messages` again to compile the .mo files.
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ -o biliktilik/locale/biliktilik.pot --no-location --sort-output --omit-header --no-wrap .
	$(BIN)/pybabel update -i biliktilik/locale/biliktilik.pot -d biliktilik/locale -D biliktilik --no-wrap --ignore-pot-creation-date
	$(BIN)/pybabel compile -d biliktilik/locale -D biliktilik --statistics

clean:
	rm -rf site print .pytest_cache
