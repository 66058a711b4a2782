# The local rehearsal (deploy/local/): the image as replicas behind HAProxy, timed by
# infrastructure/terraform/timing.json, and zero-downtime deployments under load.
# See deploy/local/README.md.
#
#   make stack-up [VERSION=v] [REPLICAS=2] [TIME_SCALE=1] [STACK_PORT=8080|auto] [SERVICE...]
#   make stack-deploy STRATEGY=rolling|blue-green|canary VERSION=v [FAULT=ready-never|root-500]
#                     [CANARY_PERCENT=10] [BAKE_S=30] [SERVICE...]
#   make stack-status | make stack-down
# A missing image localhost/hello-service:VERSION is built from this tree first.
# SERVICE, any image instead of ours (defaults: ours): IMAGE=ref (from Podman's store,
# its tag is VERSION unless given), CONTAINER_PORT=5000, HEALTH_PATH=/health,
# VERSION_PATH=/info (empty: the image reports no version), READY_PATH=/ready (HAProxy's
# health check, set at stack-up). The seed's images: make stack-seed-images.
#
# deploy/local/stack checks every value before it installs or changes anything; with
# STACK_VIA_MAKE=1 its messages name them as make variables (REPLICAS=9, not --replicas).

STACK := STACK_VIA_MAKE=1 $(ROOT)/deploy/local/stack
# An option from a make variable, if set, quoted for the shell.
stack_opt = $(if $($(1)),$(2) '$(subst ','\'',$($(1)))')
# The service's options; VERSION_PATH may be set empty (an image that reports no version).
stack_service = $(call stack_opt,IMAGE,--image) $(call stack_opt,CONTAINER_PORT,--container-port) \
  $(call stack_opt,HEALTH_PATH,--health-path) $(call stack_opt,READY_PATH,--ready-path) \
  $(if $(filter-out undefined,$(origin VERSION_PATH)),--version-path '$(subst ','\'',$(VERSION_PATH))')

.PHONY: stack-up stack-status stack-down stack-deploy stack-seed-images test-stack

stack-up: ## replicas of VERSION (default: this tree's) or IMAGE behind HAProxy on 127.0.0.1:8080 (REPLICAS=2, TIME_SCALE=1)
	@$(STACK) up $(call stack_opt,VERSION,--version) $(call stack_opt,REPLICAS,--replicas) \
	  $(call stack_opt,TIME_SCALE,--time-scale) $(call stack_opt,STACK_PORT,--port) $(stack_service)

stack-status: ## replicas, versions from /info, health, HAProxy weights and counters
	@$(STACK) status

stack-down: ## stop the replicas and HAProxy
	@$(STACK) down

stack-deploy: ## STRATEGY=rolling|blue-green|canary VERSION=v or IMAGE=ref [FAULT=root-500|ready-never]: deploy, roll back on failure
	@$(STACK) deploy $(call stack_opt,STRATEGY,--strategy) $(call stack_opt,VERSION,--version) \
	  $(call stack_opt,FAULT,--fault) $(call stack_opt,CANARY_PERCENT,--canary-percent) \
	  $(call stack_opt,BAKE_S,--bake-s) $(stack_service)

stack-seed-images: ## the seed's Flask app under gunicorn (bench/seed) as localhost/hello-seed:VERSION (SEED_VERSIONS="1.0.0 1.1.0")
	@$(ROOT)/deploy/local/seed/build.sh $(or $(SEED_VERSIONS),1.0.0 1.1.0)

test-stack: ## every strategy under load (64 connections): zero errors; a bad canary rolls back; what a crash costs; the seed's stack beside ours (10 to 13 minutes)
	@$(ROOT)/deploy/local/tests/run.sh

TEST_TARGETS += test-stack
