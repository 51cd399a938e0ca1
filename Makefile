# lamina — `make demo` and `make test` create .venv when missing, install lamina, then run.
#
# Python >= 3.12 is taken from PYTHON=..., else `python3.12` on PATH if it runs, else the newest
# pyenv-installed 3.12.

VENV    ?= .venv
EXTRAS  ?= dolfinx,sweep,topography,test
PY       = $(VENV)/bin/python
OUT     ?= runs/demo

PYTHON ?= $(shell \
  if python3.12 -c 'import sys' >/dev/null 2>&1; then echo python3.12; \
  elif command -v pyenv >/dev/null 2>&1 && ls -d "$$(pyenv root)"/versions/3.12.*/bin/python3.12 >/dev/null 2>&1; then \
    ls -d "$$(pyenv root)"/versions/3.12.*/bin/python3.12 | sort -V | tail -n 1; \
  elif python3 -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then echo python3; \
  fi)

.PHONY: venv demo test test-fast bench clean

$(VENV)/.installed: pyproject.toml
	@if [ ! -x "$(PY)" ]; then \
	  if [ -z "$(PYTHON)" ]; then echo "make: no Python >= 3.12 found; run 'make PYTHON=/path/to/python3.12 ...'" >&2; exit 2; fi; \
	  "$(PYTHON)" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' || \
	    { echo "make: PYTHON=$(PYTHON) is older than 3.12" >&2; exit 2; }; \
	  echo "creating $(VENV) with $(PYTHON)"; "$(PYTHON)" -m venv $(VENV); \
	fi
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[$(EXTRAS)]"
	@touch $@

venv: $(VENV)/.installed

demo: venv
	$(VENV)/bin/lamina run --out $(OUT)
	@echo "demo run folder: $(OUT)"

test: venv
	$(PY) -m pytest -q --durations=25 tests

bench: venv
	$(VENV)/bin/lamina bench --size small --out bench-out

clean:
	rm -rf $(VENV) runs bench-out
