# The docs: every mermaid diagram parses, `make help` lists every target the docs name,
# and the commands docs/SETUP.md shows agree with the repository (and its step 4 check
# runs against a local server when the release binary is built).

DOCS_NPM := $(ROOT)/tools/mermaid
DOCS_MD = $(shell git ls-files '*.md' ':!:tests/docs/*')

.PHONY: docs-deps test-docs

docs-deps: ## install Node.js and the mermaid parser (tools/mermaid) for the docs checks
	@command -v npm >/dev/null 2>&1 || $(ENSURE_PACKAGES) nodejs npm
	@if [ ! -d $(DOCS_NPM)/node_modules/mermaid ] || [ $(DOCS_NPM)/package-lock.json -nt $(DOCS_NPM)/node_modules ]; then \
	  echo "==> installing the mermaid parser (tools/mermaid)"; \
	  npm ci --prefix $(DOCS_NPM) --no-audit --no-fund --loglevel=error; \
	fi

# The broken fixture must fail with exit 1 (a parse error), or the check could pass
# without having parsed anything.
test-docs: docs-deps ## parse every mermaid block in the docs; make help lists every target; SETUP.md's commands
	@test -n "$(DOCS_MD)" || { echo "error: git ls-files found no Markdown file" >&2; exit 1; }
	@node $(DOCS_NPM)/check.mjs $(DOCS_MD)
	@rc=0; node $(DOCS_NPM)/check.mjs tests/docs/broken-diagram.md 2>/dev/null || rc=$$?; \
	  if [ $$rc -ne 1 ]; then echo "error: the mermaid check accepted a broken diagram (exit $$rc)" >&2; exit 1; fi; \
	  echo "==> mermaid: the broken fixture is rejected"
	@$(ROOT)/tools/check-make-help
	@$(ENSURE_PACKAGES) python3
	@$(ROOT)/tests/setup/test-setup-commands.sh

TEST_TARGETS += test-docs
# In the build lane: its SETUP step-4 check runs the release binary test-service built.
TEST_BUILD_LANE += test-docs
