# The container image (Dockerfile), its tests, the arm64 build, and the image benchmark.
#
# `make image` takes VERSION, REVISION, CREATED, FAULT, SOURCE, TAG, PLATFORM, NO_CACHE=1
# and ARM64_BINARY (container/build-image.sh says what each means and defaults to); only
# those given on the command line or in the environment are passed on.
#
# ARM64_BINARY=PATH: an arm64 binary built and tested elsewhere (`make test-arm64` on a
# Debian 12 machine or CI job), which `make image PLATFORM=linux/arm64` and
# `make test-image` package instead of cross-compiling here. CI's container job runs on a
# hosted Ubuntu runner (for its Docker engine), where Debian's arm64 packages and Debian
# 12's cross compiler are not to be had.
#
# `make build-arm64` / `make test-arm64` take VERSION, REVISION, CREATED and FAULT: the
# build identity baked into the binary (default: asked from git, as a local build does).

IMAGE_SETTINGS := VERSION REVISION CREATED FAULT SOURCE TAG PLATFORM NO_CACHE ARM64_BINARY
given = $(filter command line environment,$(origin $(1)))
settings_env = $(foreach v,$(1),$(if $(call given,$(v)),$(v)='$($(v))'))
image_env = $(call settings_env,$(IMAGE_SETTINGS))
# The identity of `make build-arm64`: CMake's cache variables, reset to empty (= ask git)
# unless given, so that a value from an earlier build never lingers in the cache.
arm64_identity = $(foreach p,VERSION:HELLO_VERSION REVISION:HELLO_GIT_SHA CREATED:HELLO_BUILD_TIME FAULT:HELLO_FAULT,\
  '-D$(word 2,$(subst :, ,$(p)))=$(if $(call given,$(word 1,$(subst :, ,$(p)))),$($(word 1,$(subst :, ,$(p)))))')

.PHONY: image base-image test-image build-arm64 test-arm64 bench-image

image: ## container image: Docker if its engine answers, else Podman (PLATFORM=linux/arm64, ARM64_BINARY=, VERSION=, FAULT=, TAG=)
	@$(image_env) container/build-image.sh

base-image: ## the build stage's debian:bookworm-slim: pulled, or made offline with debootstrap
	@container/base-image.sh

test-image: ## the container scripts cannot hang or leak; build the image, run it read-only without capabilities, check it end to end (ARM64_BINARY=)
	@container/test-scripts.sh
	@$(call settings_env,ARM64_BINARY) container/test-image.sh

build-arm64: ## cross-compile the release binary for linux/arm64: build/release-arm64/src/hello-service (VERSION=...)
	@container/arm64-packages.sh
	@cmake --preset release-arm64 $(arm64_identity) >/dev/null
	@cmake --build --preset release-arm64 --target hello-service unit_tests

test-arm64: build-arm64 ## arm64 binary: unit tests and a functional smoke test under qemu-user
	@if [ -d tests/unit ]; then \
	  ctest --preset unit-arm64; \
	else \
	  echo "NOTE: tests/unit/ does not exist yet, so no arm64 unit tests ran; only the smoke test below"; \
	fi
	@container/arm64-smoke.sh build/release-arm64/src/hello-service

bench-image: ## image size and time from run to healthy, against the seed's Flask image
	@bench/image.sh

TEST_TARGETS += test-arm64 test-image
TEST_BUILD_LANE += test-arm64 test-image

# `make bench` (mk/10-service.mk) measures the image too.
bench: bench-image
