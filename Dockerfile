# hello-service: one static binary in an otherwise empty image.
#
#   make image                          # Docker if its engine answers, else Podman
#   make image PLATFORM=linux/arm64     # from the cross-compiled, tested arm64 binary
#   docker build -t hello-service .     # works directly too (BuildKit, or Podman/Buildah)
#
# Written for Docker BuildKit and Podman/Buildah 1.28 alike: no heredocs, no COPY --link,
# no variables in FROM. Podman must build with --format docker, or it drops HEALTHCHECK
# (not part of the OCI image format).
#
# Two final stages share one configuration (the `runtime` stage):
#   compiled  (the last stage, so the default) compiles the binary in the build stage;
#   prebuilt  (--target prebuilt) takes build/image/linux-<TARGETARCH>/hello-service from
#             the build context: how the arm64 image is assembled from the binary that
#             was cross-compiled and tested on the host, with no emulated build.

# ---- build: the project's own release preset on Debian 12's packages ----------------
FROM docker.io/library/debian:bookworm-slim AS build
# The packages of a local build (SERVICE_PACKAGES in mk/10-service.mk, less git: the
# build identity comes from the arguments below). test-image checks the two lists agree.
RUN apt-get update \
 && apt-get install -y --no-install-recommends g++ cmake ninja-build libboost-dev nlohmann-json3-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt CMakePresets.json ./
COPY cmake/ cmake/
COPY src/ src/
# Build identity (there is no .git in the context). Declared after the slow steps: a new
# version reruns only the step below, whose cache mount keeps the build directory, so only
# the build-identity translation unit recompiles before the link (a few seconds).
ARG VERSION=0.0.0-dev
ARG REVISION=unknown
ARG CREATED=unknown
ARG FAULT=
# Ninja decides what to rebuild from file times, and a COPY step taken from the layer
# cache brings back old times: after a source is edited and then reverted, the reverted
# file would look older than the object built from the edit, which would then be linked.
# So the sources are mirrored into the cache mount, and only a file whose content changed
# is copied (and so gets a new time); files gone from the context are removed.
RUN --mount=type=cache,id=hello-service-build,target=/cache,sharing=locked \
    mkdir -p /cache/src \
 && find . -type f | while read -r f; do \
      cmp -s "$f" "/cache/src/$f" || { mkdir -p "/cache/src/${f%/*}" && cp "$f" "/cache/src/$f"; }; \
    done \
 && cd /cache/src \
 && find . -path ./build -prune -o -type f -print | while read -r f; do \
      [ -e "/src/$f" ] || rm -f "$f"; \
    done \
 && cmake --preset release -DHELLO_BUILD_TESTS=OFF \
      "-DHELLO_VERSION=${VERSION}" "-DHELLO_GIT_SHA=${REVISION}" \
      "-DHELLO_BUILD_TIME=${CREATED}" "-DHELLO_FAULT=${FAULT}" >/dev/null \
 && cmake --build --preset release \
 && mkdir -p /out \
 && cp build/release/src/hello-service /out/hello-service

# ---- runtime: everything but the binary ---------------------------------------------
FROM scratch AS runtime
ARG VERSION=0.0.0-dev
ARG REVISION=unknown
ARG CREATED=unknown
ARG SOURCE=unknown
# `make image` passes the same labels with --label too: Buildah reuses a cached LABEL step
# even when an argument in it changed.
LABEL org.opencontainers.image.title="hello-service" \
      org.opencontainers.image.description="hello-service: a C++20 HTTP service in one static binary" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="${SOURCE}"
# Not root, and no name needed: there is no /etc/passwd to look one up in.
USER 65532:65532
EXPOSE 5000
# The service drains on SIGTERM (/ready turns 503, in-flight requests finish, exit 0).
STOPSIGNAL SIGTERM
# No shell and no curl in here: the binary checks itself (exit 0 only on HTTP 200).
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["/hello-service", "healthcheck"]
ENTRYPOINT ["/hello-service"]
CMD ["serve"]

# ---- prebuilt: the runtime plus a binary built outside (make image PLATFORM=...) ----
FROM runtime AS prebuilt
ARG TARGETARCH
COPY build/image/linux-${TARGETARCH}/hello-service /hello-service

# ---- compiled (default): the runtime plus the binary from the build stage -----------
FROM runtime AS compiled
COPY --from=build /out/hello-service /hello-service
