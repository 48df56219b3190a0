# Lore — developer entry points.
#
#   make build          install missing build deps, configure (once) and build ./build
#   make run            build, then serve with config/lore.yaml
#   make test           Debug + sanitizers + -Werror build in ./build-test, ctest against
#                       throwaway MariaDB/Redis (scripts/with-test-servers.sh)
#   make bench          build, then the bench/*.sh scripts
#   make format         clang-format -i the sources
#   make format-check   fail if any source is not clang-formatted
#   make clean          remove build directories
#
# Overridable: BUILD_TYPE (default RelWithDebInfo), JOBS (default: nproc),
#              CMAKE_ARGS, TEST_CMAKE_ARGS, CTEST_ARGS, CLANG_FORMAT.
# Note: build directories are configured only when their CMakeCache.txt is missing;
# run `make clean` after changing BUILD_TYPE or the CMake arguments.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE ?= cmake
CTEST ?= ctest
CLANG_FORMAT ?= clang-format

BUILD_DIR := build
TEST_BUILD_DIR := build-test

CMAKE_ARGS ?=
TEST_CMAKE_ARGS ?=
CTEST_ARGS ?= --output-on-failure --timeout 300 -j2

FORMAT_DIRS := $(wildcard kernel sdk plugins tests bench)
FORMAT_FIND = find $(FORMAT_DIRS) -type f \( -name '*.h' -o -name '*.cc' -o -name '*.cpp' \) -print0

.PHONY: deps build run test bench format format-check clean

deps:
	scripts/install-deps.sh run

build: deps
	[[ -f $(BUILD_DIR)/CMakeCache.txt ]] || \
	  $(CMAKE) -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_ARGS)
	$(CMAKE) --build $(BUILD_DIR) -j$(JOBS)

run: build
	mkdir -p var
	./$(BUILD_DIR)/kernel/lore serve -c config/lore.yaml

test:
	scripts/install-deps.sh test
	[[ -f $(TEST_BUILD_DIR)/CMakeCache.txt ]] || \
	  $(CMAKE) -S . -B $(TEST_BUILD_DIR) -DCMAKE_BUILD_TYPE=Debug \
	    -DLORE_SANITIZE=ON -DLORE_WERROR=ON $(TEST_CMAKE_ARGS)
	$(CMAKE) --build $(TEST_BUILD_DIR) -j$(JOBS)
	scripts/with-test-servers.sh $(CTEST) --test-dir $(TEST_BUILD_DIR) $(CTEST_ARGS)

bench: build
	scripts/install-deps.sh test
	bench/run.sh
	bench/storage.sh
	bench/auth.sh
	bench/catalog.sh
	bench/purchases.sh

format:
ifneq ($(FORMAT_DIRS),)
	$(FORMAT_FIND) | xargs -0 -r $(CLANG_FORMAT) -i
else
	@echo "format: no source directories yet"
endif

format-check:
ifneq ($(FORMAT_DIRS),)
	$(FORMAT_FIND) | xargs -0 -r $(CLANG_FORMAT) --dry-run -Werror
else
	@echo "format-check: no source directories yet"
endif

clean:
	rm -rf $(BUILD_DIR) $(TEST_BUILD_DIR)
