# The project's commands. `make help` lists them.
#
# Each concern keeps its targets in mk/NN-<concern>.mk; they are included in order, so
# `make test` runs the service's tests first and the slower, container-based ones last.
# A fragment adds its test target to TEST_TARGETS and documents targets with `## text`.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
ENSURE_PACKAGES := $(ROOT)/tools/ensure-packages
TEST_TARGETS :=

include $(sort $(wildcard $(ROOT)/mk/*.mk))

.PHONY: help test
help: ## list the targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | sort -u \
	  | awk 'BEGIN {FS = ":.*## "} {printf "  %-18s %s\n", $$1, $$2}'

# Every group runs even when an earlier one failed, so one run shows every failure.
test: ## run the whole test suite (installs what the tests need)
	@failed=""; \
	for t in $(TEST_TARGETS); do \
	  echo "==> make $$t"; \
	  start=$$(date +%s); \
	  if $(MAKE) $$t; then echo "==> $$t passed in $$(( $$(date +%s) - start )) s"; \
	  else echo "==> $$t FAILED after $$(( $$(date +%s) - start )) s" >&2; failed="$$failed $$t"; fi; \
	done; \
	if [ -n "$$failed" ]; then echo "FAILED test groups:$$failed" >&2; exit 1; fi; \
	echo "==> all test groups passed:$(foreach t,$(TEST_TARGETS), $(t))"
