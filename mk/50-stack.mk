# The local rehearsal (deploy/local/): the image as replicas behind HAProxy, timed by
# infrastructure/terraform/timing.json, and zero-downtime deployments under load.
# See deploy/local/README.md.
#
#   make stack-up [VERSION=v] [REPLICAS=2] [TIME_SCALE=1] [STACK_PORT=8080|auto]
#   make stack-deploy STRATEGY=rolling|blue-green|canary VERSION=v [FAULT=ready-never|root-500]
#                     [CANARY_PERCENT=10] [BAKE_S=30]
#   make stack-status | make stack-down
# A missing image localhost/hello-service:VERSION is built from this tree first.
#
# deploy/local/stack checks every value before it installs or changes anything; with
# STACK_VIA_MAKE=1 its messages name them as make variables (REPLICAS=9, not --replicas).

STACK := STACK_VIA_MAKE=1 $(ROOT)/deploy/local/stack
# An option from a make variable, if set, quoted for the shell.
stack_opt = $(if $($(1)),$(2) '$(subst ','\'',$($(1)))')

.PHONY: stack-up stack-status stack-down stack-deploy test-stack

stack-up: ## replicas of VERSION (default: this tree's) behind HAProxy on 127.0.0.1:8080 (REPLICAS=2, TIME_SCALE=1)
	@$(STACK) up $(call stack_opt,VERSION,--version) $(call stack_opt,REPLICAS,--replicas) \
	  $(call stack_opt,TIME_SCALE,--time-scale) $(call stack_opt,STACK_PORT,--port)

stack-status: ## replicas, versions from /info, health, HAProxy weights and counters
	@$(STACK) status

stack-down: ## stop the replicas and HAProxy
	@$(STACK) down

stack-deploy: ## STRATEGY=rolling|blue-green|canary VERSION=v [FAULT=root-500|ready-never]: deploy, roll back on failure
	@$(STACK) deploy $(call stack_opt,STRATEGY,--strategy) $(call stack_opt,VERSION,--version) \
	  $(call stack_opt,FAULT,--fault) $(call stack_opt,CANARY_PERCENT,--canary-percent) \
	  $(call stack_opt,BAKE_S,--bake-s)

test-stack: ## every strategy under load (64 connections): zero errors; a bad canary rolls back; what a crash costs (about 4 minutes)
	@$(ROOT)/deploy/local/tests/run.sh

TEST_TARGETS += test-stack
