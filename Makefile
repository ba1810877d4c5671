# The two commands a new user needs: `make run` and `make test`. Both install first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run test bench clean image push infra-settings

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

# checkov (the infra linter) pins ~40 dependencies against ours: it gets a venv of its own.
TOOLS := .venv-tools
$(TOOLS)/bin/checkov:
	$(PYTHON) -m venv $(TOOLS) && $(TOOLS)/bin/python -m pip install --quiet checkov || \
	  echo "checkov not installed: its test will be skipped (pip install checkov)"

test: install $(TOOLS)/bin/checkov
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
	$(BIN)/python bench/demo.py

# -- AWS (README "Run on AWS"; infra/terraform/README.md) ------------------------------------
# One image for workers and dashboard. Tagged with the commit; `terraform apply -var image_tag=<tag>`
# rolls it out. ECR and REGION come from terraform's outputs unless given.
TF     := terraform -chdir=infra/terraform
TAG    ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo latest)
ECR    ?= $(shell $(TF) output -raw ecr_repository_url 2>/dev/null)
REGION ?= $(shell $(TF) output -raw region 2>/dev/null || echo us-east-1)

image:
	docker build --platform linux/amd64 -t brandvis:$(TAG) .

push: image
	@test -n "$(ECR)" || { echo "no ECR repository: run terraform apply in infra/terraform first, or pass ECR=<repository url>"; exit 1; }
	aws ecr get-login-password --region $(REGION) | docker login --username AWS --password-stdin $(firstword $(subst /, ,$(ECR)))
	docker tag brandvis:$(TAG) $(ECR):$(TAG)
	docker push $(ECR):$(TAG)
	@echo "pushed $(ECR):$(TAG); roll it out: $(TF) apply -var image_tag=$(TAG) (with your other -var/-var-file)"

# terraform reads the stages, queue settings and worker groups from this file (tests compare).
infra-settings:
	$(BIN)/python -m shared.names > infra/terraform/settings.json

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache
