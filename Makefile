# Thin wrapper around CMake. `make demo` and `make test` install what is
# missing first (scripts/setup.sh), so a fresh Debian 12 machine needs nothing else.
PREFIX ?= /usr/local
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 30
BUILD = build
TBUILD = build-test
FBUILD = build-fuzz

.PHONY: all setup build test demo install fuzz bench clean

all: build

setup:
	@sh scripts/setup.sh

build: setup
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGALLEY_TESTS=OFF >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

test: setup
	@cmake -S . -B $(TBUILD) -DCMAKE_BUILD_TYPE=Debug -DGALLEY_ASAN=ON -DGALLEY_UBSAN=ON >/dev/null
	@cmake --build $(TBUILD) -j $(JOBS)
	@cd $(TBUILD) && ctest --output-on-failure -j $(JOBS)

demo: build
	@sh scripts/demo.sh $(BUILD)/galley

install: build
	@cmake --install $(BUILD) --prefix $(PREFIX)

bench: build
	@sh bench/run.sh $(BUILD)

fuzz: setup
	@CC=clang cmake -S . -B $(FBUILD) -DGALLEY_FUZZ=ON -DGALLEY_TESTS=OFF >/dev/null
	@cmake --build $(FBUILD) -j $(JOBS)
	@sh fuzz/run.sh $(FBUILD) $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD) $(TBUILD) $(FBUILD) build-release
