# The container image (Dockerfile), its tests, the arm64 build, and the image benchmark.
#
# `make image` takes VERSION, REVISION, CREATED, FAULT, SOURCE, TAG, PLATFORM and
# NO_CACHE=1 (container/build-image.sh says what each means and defaults to); only those
# given on the command line or in the environment are passed on.

IMAGE_SETTINGS := VERSION REVISION CREATED FAULT SOURCE TAG PLATFORM NO_CACHE
image_env = $(foreach v,$(IMAGE_SETTINGS),$(if $(filter command line environment,$(origin $(v))),$(v)='$($(v))'))

.PHONY: image base-image test-image build-arm64 test-arm64 bench-image

image: ## container image: Docker if its engine answers, else Podman (PLATFORM=linux/arm64, VERSION=, FAULT=, TAG=)
	@$(image_env) container/build-image.sh

base-image: ## the build stage's debian:bookworm-slim: pulled, or made offline with debootstrap
	@container/base-image.sh

test-image: ## build the image, run it read-only without capabilities, check it end to end
	@container/test-image.sh

build-arm64: ## cross-compile the release binary for linux/arm64: build/release-arm64/src/hello-service
	@container/arm64-packages.sh
	@cmake --preset release-arm64 -DHELLO_VERSION= -DHELLO_GIT_SHA= -DHELLO_BUILD_TIME= -DHELLO_FAULT= >/dev/null
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

# `make bench` (mk/10-service.mk) measures the image too.
bench: bench-image
