# GitHub's runner conditions, reproduced: the run: steps of ci.yml's container jobs in a
# Podman container from the job's own image, as root over a checkout owned by the
# runner's uid, with a fresh HOME and GitHub's shell command lines.
# tests/runner/test-runner-conditions.sh says what it replays and why not more.

.PHONY: test-runner

test-runner: ## replay ci.yml's quality job as GitHub runs it (Podman, root over a uid-1001 checkout); mutation-tested (25 s to 2 minutes)
	@$(ROOT)/tests/runner/test-runner-conditions.sh

TEST_TARGETS += test-runner
# In the first lane, to even the lanes out (the Makefile's `test` says why).
TEST_BUILD_LANE += test-runner
