# Pantau — the two commands a newcomer needs: `make demo` and `make test`.
# Both set up everything on a fresh machine (a virtualenv with pinned packages; `make test`, run as
# root, also Debian's postfix, dovecot, LibreOffice and poppler for the real-mail and document tests).

PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
PANTAU  = $(VENV)/bin/pantau
PYTEST_ARGS ?=
# Every core runs tests (pytest-xdist). `loadfile` keeps a file on one worker, so its module
# fixtures (an office at S4, a LibreOffice run, a browser) are built once; conftest.py hands the
# longest files out first (hence no reordering by xdist) so both workers stay busy to the end.
XDIST ?= -n auto --dist loadfile --no-loadscope-reorder

.PHONY: install system-deps demo test test-fast bench fuzz lint check-install clean

$(VENV)/.installed: pyproject.toml constraints.txt setup.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e ".[test]"
	touch $@

install: $(VENV)/.installed

system-deps:
	@bash scripts/install-system-deps.sh

demo: install
	rm -rf var/demo
	$(PANTAU) demo --dir var/demo

test: install system-deps
	$(VENV)/bin/ruff check daemon tests tools
	$(PY) -m pytest -q $(XDIST) $(PYTEST_ARGS)

test-fast: install
	$(PY) -m pytest -q -m "not slow" $(XDIST) $(PYTEST_ARGS)

bench: install system-deps
	$(PY) -m tests.bench

fuzz: install
	$(PY) -m tests.fuzz

lint: install
	$(VENV)/bin/ruff check daemon tests tools

# `pip install .` (not editable) into a fresh virtualenv, then init + demo: what an office gets.
check-install:
	rm -rf var/check-install && $(PYTHON) -m venv var/check-install/venv
	var/check-install/venv/bin/pip install -q -c constraints.txt .
	cd var/check-install && venv/bin/pantau init kantor && venv/bin/pantau demo --dir demo > demo.log && tail -3 demo.log

clean:
	rm -rf $(VENV) var/demo var/check-install build *.egg-info
