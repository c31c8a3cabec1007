# Hardline's two set-up commands are `make run` and `make test` (see README.md).
# Both install what is missing through scripts/bootstrap first: `make run` (and `make build`)
# only what building and running the server need (`scripts/bootstrap run`), every other target
# the whole set with the test peers (`scripts/bootstrap test`). Neither leaves a service running.

BUILD        ?= build
SAN_BUILD    ?= build-san
FUZZ_SECONDS ?= 60
JOBS         ?= $(shell nproc)
# Warnings are errors in CI (CI=true), plain warnings elsewhere.
WERROR       ?= $(if $(CI),ON,OFF)

CMAKE_FLAGS  = -G Ninja -DHARDLINE_WERROR=$(WERROR)
# A fresh tree configured for `make run` leaves out the tests and benchmarks, whose packages
# `scripts/bootstrap run` does not install; a tree that has them keeps them, so that `make run`
# and `make test` in turn do not reconfigure each other.
RUN_FLAGS    = $(if $(wildcard $(BUILD)/CMakeCache.txt),,-DHARDLINE_TESTS=OFF -DHARDLINE_BENCH=OFF)

.PHONY: all bootstrap bootstrap-run build build-all run test sanitize sanitize-build fuzz bench \
        format format-check lint clean

all: build

bootstrap-run:
	@scripts/bootstrap run

bootstrap:
	@scripts/bootstrap test

# The server alone: build/hardline.
build: bootstrap-run
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) $(RUN_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) --target hardline

# Everything: the server, the unit tests, the benchmarks.
build-all: bootstrap
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) -DHARDLINE_TESTS=ON -DHARDLINE_BENCH=ON >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# A demo deployment in var/demo (created on first run), served on 127.0.0.1:5060.
run: build
	HARDLINE_BIN=$(BUILD)/hardline scripts/demo

test: build-all
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# Every test again, built with clang under AddressSanitizer and UndefinedBehaviorSanitizer;
# the same tree holds the libFuzzer targets.
sanitize: sanitize-build
	cd $(SAN_BUILD) && ctest --output-on-failure -j $(JOBS)

sanitize-build: bootstrap
	@cmake -S . -B $(SAN_BUILD) $(CMAKE_FLAGS) -DCMAKE_CXX_COMPILER=clang++ \
	  -DCMAKE_BUILD_TYPE=Debug -DHARDLINE_SANITIZE=ON -DHARDLINE_FUZZ=ON -DHARDLINE_BENCH=OFF >/dev/null
	@cmake --build $(SAN_BUILD) -j $(JOBS)

# Each fuzz target for FUZZ_SECONDS; fails on any crash, leak or sanitizer report.
fuzz: sanitize-build
	scripts/fuzz $(SAN_BUILD) $(FUZZ_SECONDS)

bench: build-all
	$(BUILD)/bench/sip_bench --benchmark_min_time=1 --benchmark_repetitions=3 \
	  --benchmark_report_aggregates_only=true

# Authenticated REGISTERs at increasing rates, Hardline and Kamailio side by side (SIPp), in
# under 5 minutes: bench/register/README.md. Options go in BENCH_REGISTER_ARGS.
.PHONY: bench-register
bench-register: bootstrap
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) --target hardline
	python3 bench/register/bench.py --hardline $(BUILD)/hardline $(BENCH_REGISTER_ARGS)

# A SIPp flood from 127.0.0.2 at rising rates while 1,000 real users register from 127.0.0.1:
# bench/flood/README.md. Options go in BENCH_FLOOD_ARGS.
.PHONY: bench-flood
bench-flood: bootstrap
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) --target hardline
	python3 bench/flood/flood.py --hardline $(BUILD)/hardline $(BENCH_FLOOD_ARGS)

format:
	git ls-files '*.cc' '*.h' | xargs clang-format -i

lint: build-all
	git ls-files 'src/*.cc' | xargs -P $(JOBS) -n 8 clang-tidy -p $(BUILD) --quiet

clean:
	rm -rf $(BUILD) $(SAN_BUILD)

format-check: bootstrap
	git ls-files '*.cc' '*.h' | xargs clang-format --dry-run --Werror

# Authenticated calls at rising rates through Hardline's B2BUA and through Kamailio as a
# stateful proxy (SIPp UAC and UAS): bench/calls/README.md. Options go in BENCH_CALLS_ARGS.
.PHONY: bench-calls
bench-calls: bootstrap
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) --target hardline
	python3 bench/calls/bench.py --hardline $(BUILD)/hardline $(BENCH_CALLS_ARGS)
