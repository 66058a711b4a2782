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
TEST_BUILD_LANE :=

include $(sort $(wildcard $(ROOT)/mk/*.mk))

.PHONY: help test
help: ## list the targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | sort -u \
	  | awk 'BEGIN {FS = ":.*## "} {printf "  %-18s %s\n", $$1, $$2}'

# The groups run in two lanes side by side (tools/run-test-groups): the groups that compile
# the service or build its image (TEST_BUILD_LANE, mostly CPU) one after another in the
# first, the rest (mostly waiting on moto, the provider, containers and timers, and the
# C++ lint, which uses the CPU that waiting leaves free) in the second. Two groups that build nothing are in the first lane to even the lanes out
# (test-docs, which needs the release binary, and test-runner): from a clean clone on
# 2 cores, test-infra and test-stack alone take about 15 of the second lane's minutes.
# TEST_JOBS=1 runs every group in one lane, in TEST_TARGETS order, output live.
# Every group runs even when an earlier one failed, so one run shows every failure.
TEST_JOBS ?= 2
test: ## run the whole test suite in two lanes (TEST_JOBS=1: one after another; installs what the tests need)
	@case '$(TEST_JOBS)' in 1|2) ;; *) echo "error: TEST_JOBS must be 1 or 2, not '$(TEST_JOBS)'" >&2; exit 2 ;; esac
	@+MAKE='$(MAKE)' $(ROOT)/tools/run-test-groups \
	  $(if $(filter 1,$(TEST_JOBS)),'$(TEST_TARGETS)','$(filter $(TEST_BUILD_LANE),$(TEST_TARGETS))' '$(filter-out $(TEST_BUILD_LANE),$(TEST_TARGETS))')
