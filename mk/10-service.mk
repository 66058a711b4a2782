# The service: build, run, unit and functional tests, sanitizers, fuzzing, benchmark.

# What building the service needs, and what its tests need on top (Debian 12 packages).
SERVICE_PACKAGES := g++ cmake ninja-build git libboost-dev nlohmann-json3-dev
SERVICE_TEST_PACKAGES := libgtest-dev libgmock-dev clang libclang-rt-14-dev curl
LINT_PACKAGES := clang-format clang-tidy cppcheck
CPP_SOURCES = $(shell git ls-files 'src/*.cpp' 'src/*.hpp' 'tests/*.cpp' 'tests/*.hpp' 'fuzz/*.cpp')

PORT ?= 5000
FUZZ_SECONDS ?= 60
SERVICE_BINARY := build/release/src/hello-service

.PHONY: deps build run test-deps test-unit test-service test-service-release test-service-asan test-service-clang test-service-tsan fuzz bench format format-check lint-cpp

deps: ## install the Debian packages the build needs
	@$(ENSURE_PACKAGES) $(SERVICE_PACKAGES)

build: deps ## build the release binary: build/release/src/hello-service
	@cmake --preset release >/dev/null
	@cmake --build --preset release

run: build ## build and serve on port 5000 (PORT=... to change)
	@echo "==> serving on http://127.0.0.1:$(PORT)/ (Ctrl-C drains and stops; twice forces)"
	@PORT=$(PORT) DRAIN_DELAY_S=$${DRAIN_DELAY_S:-0} exec $(SERVICE_BINARY) serve

test-deps: ## install the Debian packages the build and the service tests need
	@$(ENSURE_PACKAGES) $(SERVICE_PACKAGES) $(SERVICE_TEST_PACKAGES)

# Configure, build and test one CMake preset (its test preset has the same name).
define preset_suite
	@cmake --preset $(1) >/dev/null
	@cmake --build --preset $(1)
	@ctest --preset $(1)
endef

test-unit: test-deps ## fast inner loop: debug build, unit tests only
	@cmake --preset dev >/dev/null
	@cmake --build --preset dev
	@ctest --preset unit

test-service-release: test-deps ## release build (gcc, static): unit and functional tests, then the smoke test of the binary
	$(call preset_suite,release)
	@tests/run-smoke.sh

test-service-asan: test-deps ## the service suite under ASan+UBSan (clang)
	$(call preset_suite,asan)

# The fuzz target is built by the asan preset (clang, ASan+UBSan, coverage).
fuzz: test-deps ## run the HTTP fuzz target for FUZZ_SECONDS (default 60)
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan --target fuzz_http
	@mkdir -p build/asan/fuzz-corpus
	@build/asan/fuzz/fuzz_http -max_total_time=$(FUZZ_SECONDS) -timeout=5 -print_final_stats=1 \
	  -dict=fuzz/http.dict build/asan/fuzz-corpus fuzz/seeds 2>&1 | tail -n 12

test-service-tsan: test-deps ## the whole service suite under ThreadSanitizer (clang)
	$(call preset_suite,tsan)

test-service-clang: test-deps ## the service suite built with clang
	$(call preset_suite,clang)

# An empty list fails: git lists nothing where it refuses the checkout (a container job
# running as root over another user's files without safe.directory), and "0 files clean"
# would pass having checked nothing.
format-check: ## fail if clang-format would change any C++ file
	@$(ENSURE_PACKAGES) clang-format
	@test -n "$(strip $(CPP_SOURCES))" || { echo "error: git ls-files lists no C++ source: not a git checkout, or git refuses it" \
	  "(owned by another user? git config --global --add safe.directory \"$$PWD\")" >&2; exit 1; }
	@clang-format --dry-run --Werror $(CPP_SOURCES)
	@echo "==> clang-format: $(words $(CPP_SOURCES)) files clean"

format: ## reformat the C++ sources with clang-format
	@$(ENSURE_PACKAGES) clang-format
	@clang-format -i $(CPP_SOURCES)

# clang-tidy reads the clang build's compile commands (gcc-only warning flags would
# confuse it); cppcheck reads the sources directly.
lint-cpp: test-deps format-check ## clang-format check, clang-tidy, cppcheck
	@$(ENSURE_PACKAGES) $(LINT_PACKAGES)
	@cmake --preset clang >/dev/null
	@cmake --build --preset clang --target hello_build_info_header >/dev/null
	@echo "==> clang-tidy (src, tests, fuzz)"
	@run-clang-tidy -p build/clang -j 2 -quiet '$(ROOT)/(src|tests|fuzz)/.*\.cpp' 2>&1 \
	  | { grep -E "(warning|error):" || true; } | tee build/clang/tidy.log
	@test ! -s build/clang/tidy.log || { echo "clang-tidy found problems" >&2; exit 1; }
	@echo "==> cppcheck"
	@cppcheck --quiet --std=c++20 --language=c++ --enable=warning,performance,portability --inline-suppr \
	  --error-exitcode=1 --suppress=missingIncludeSystem -I src -I build/clang/generated src
	@echo "==> C++ lint clean"

# In the whole suite the fuzzer gets 30 s (about a million inputs); `make fuzz` alone, 60.
TEST_FUZZ_SECONDS ?= 30

test-service: ## the service's whole suite: format check, release (gcc, static) and asan (clang) builds, bounded fuzz run
	@$(MAKE) format-check
	@$(MAKE) test-service-release
	@$(MAKE) test-service-asan
	@$(MAKE) fuzz FUZZ_SECONDS=$(TEST_FUZZ_SECONDS)

# The capacity plan is made from the figures the benchmark just wrote, so that it never
# speaks of older ones (test-capacity checks the doc's plan against them).
bench: build ## benchmark against nginx and the seed's Flask stack, then the capacity plan from those figures (docs/OPTIMIZATION.md)
	@bench/run.sh
	@echo "==> the capacity plan from the new figures (bench/capacity.py --write)"
	@/usr/bin/python3 bench/capacity.py --write

TEST_TARGETS += test-service
TEST_BUILD_LANE += test-service
# clang-tidy and cppcheck, as CI's quality job runs them: in the second lane, whose groups
# mostly wait (on moto, the provider, containers), so its CPU is there to be had.
TEST_TARGETS += lint-cpp
