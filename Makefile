# The two commands of the README: `make run` and `make test`. Everything else is for developers.
SHELL := /bin/bash
JOBS ?= $(shell nproc)
RELEASE := build/release
DEBUG := build/debug
FUZZ := build/fuzz
BENCH := build/bench
PYTHON := /usr/bin/python3
FUZZ_SECONDS ?= 30
CONFIG ?= examples/quickstart.yaml
# ccache keys on relative paths, so a fresh clone elsewhere (as CI makes) reuses the cache.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1

.PHONY: run test deps deps-build build debug fuzz-build unit e2e fuzz-smoke bench bench-micro format format-check tidy clean

run: deps-build build
	$(RELEASE)/bulwark run -c $(CONFIG)

test: deps build debug fuzz-build
	$(MAKE) --no-print-directory unit
	$(MAKE) --no-print-directory e2e
	$(MAKE) --no-print-directory fuzz-smoke

deps:
	scripts/install-deps.sh

deps-build:
	scripts/install-deps.sh --build-only

build:
	cmake -S . -B $(RELEASE) -G Ninja -DCMAKE_BUILD_TYPE=Release -DBULWARK_TESTS=OFF
	cmake --build $(RELEASE) -j $(JOBS)

# Unit tests run on the ASan+UBSan build: logic bugs and memory bugs in one pass.
debug:
	cmake -S . -B $(DEBUG) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DBULWARK_SANITIZE=ON -DBULWARK_TESTS=ON
	cmake --build $(DEBUG) -j $(JOBS)

fuzz-build:
	CXX=clang++-19 cmake -S . -B $(FUZZ) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBULWARK_TESTS=OFF -DBULWARK_FUZZ=ON
	cmake --build $(FUZZ) -j $(JOBS) --target fuzz_targets

unit:
	cd $(DEBUG) && ctest --output-on-failure -j $(JOBS)

# End-to-end tests drive the release binary (and, with BULWARK_BINARY, any other build).
e2e:
	BULWARK_BINARY=$(CURDIR)/$(RELEASE)/bulwark $(PYTHON) -m pytest tests/e2e -n $(JOBS) -q

fuzz-smoke:
	scripts/fuzz-smoke.sh $(FUZZ) $(FUZZ_SECONDS)

bench: deps build
	bench/run.sh $(RELEASE)/bulwark

# Micro-benchmarks of hot-path pieces (bench/micro), Release build.
bench-micro:
	cmake -S . -B $(BENCH) -G Ninja -DCMAKE_BUILD_TYPE=Release -DBULWARK_TESTS=OFF -DBULWARK_BENCH=ON
	cmake --build $(BENCH) -j $(JOBS) --target route_lookup_bench balancer_pick_bench memory_store_bench
	$(BENCH)/bench/micro/route_lookup_bench
	$(BENCH)/bench/micro/balancer_pick_bench
	$(BENCH)/bench/micro/memory_store_bench

format:
	clang-format-19 -i $$(git ls-files '*.cpp' '*.h')

format-check:
	clang-format-19 --dry-run --Werror $$(git ls-files '*.cpp' '*.h')

tidy: build
	run-clang-tidy-19 -p $(RELEASE) -quiet 'src/'

clean:
	rm -rf build
