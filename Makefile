# The two commands a new user needs: `make run` and `make test`. Both install first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run test bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@# The dashboard's real-browser test drives Debian's Chromium (never a downloaded one).
	@command -v chromium >/dev/null || test -x /usr/lib/chromium/chromium || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	    apt-get install -y -qq chromium >/dev/null 2>&1 || apt-get update -qq >/dev/null 2>&1 && \
	    apt-get install -y -qq chromium >/dev/null 2>&1; } || \
	  echo "chromium not installed: the browser test will be skipped (apt-get install chromium)"
	touch $(STAMP)

# Local stack + workers + dashboard, from the Procfile (Ctrl-C stops all; state is kept).
run: install
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start -f Procfile

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The typeset brand family draws its marks in Debian's ordinary faces (devtools/synth/typeset.py).
FONTS := fonts-dejavu-core fonts-liberation fonts-freefont-ttf fonts-lato fonts-open-sans \
         fonts-roboto-unhinted fonts-crosextra-carlito

bench: install
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	@[ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null || \
	  apt-get install -y -qq --no-install-recommends $(FONTS) >/dev/null 2>&1 || \
	  echo "fonts not installed: the typeset benchmark uses the faces this machine has"
	$(BIN)/python bench/media.py
	$(BIN)/python bench/models.py
	$(BIN)/python bench/analysis.py
	$(BIN)/python bench/labeling.py

clean:
	rm -rf $(VENV) .pytest_cache
