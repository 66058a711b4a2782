# The Docker path for real (container/test-docker.sh): Debian's Docker Engine 20.10 and
# docker-compose 1.29, started and removed by the test itself. It builds the Dockerfile
# with BuildKit, runs container/test-image.sh's checks on Docker, and takes the Compose
# variant of the local stack through a rolling deploy under load. Needs root.

.PHONY: test-docker

test-docker: ## Docker Engine of its own: the Dockerfile with BuildKit, test-image's checks, the Compose stack through a deploy (about 5 minutes)
	@container/test-docker.sh

TEST_TARGETS += test-docker
TEST_BUILD_LANE += test-docker
