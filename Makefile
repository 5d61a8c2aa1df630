# chroma-migrate: the two commands of the README, and their parts.
#   make run    install what is needed, build, migrate examples/chroma into ./chroma_migrated, verify
#   make test   install what the tests need, build, run every test through ctest
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo

.PHONY: deps engines build run test test-asan example bench bench-recall clean

deps:
	scripts/install-build-deps.sh

engines: deps
	scripts/install-engines.sh
	scripts/install-clickhouse.sh

build: deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS)

example: engines
	scripts/make-example.sh examples/chroma

run: build example
	rm -rf chroma_migrated chroma_migrated.rejects.jsonl
	@# Exit code 3 means "done, some records rejected": the example has one duplicate id on purpose.
	$(BUILD)/chroma-migrate --from examples/chroma --to chroma_migrated || [ $$? -eq 3 ]
	$(BUILD)/chroma-migrate verify --from examples/chroma --to chroma_migrated
	CM_BUILD_DIR=$(abspath $(BUILD)) scripts/verify-example.sh examples/chroma chroma_migrated
	@echo
	@echo "Done. Open the result with Chroma 1.x:"
	@echo '  python:  chromadb.PersistentClient(path="$(CURDIR)/chroma_migrated")'
	@echo "  server:  chroma run --path $(CURDIR)/chroma_migrated"
	@echo "Records not migrated (with their reason) are in chroma_migrated.rejects.jsonl."

test: build engines
	cd $(BUILD) && CM_REQUIRE_ENGINES=1 ctest --output-on-failure -j 1

test-asan:
	$(MAKE) test BUILD=build-asan CMAKE_FLAGS="-DCMAKE_BUILD_TYPE=Debug -DCM_SANITIZE=ON"

clean:
	rm -rf build build-asan chroma_migrated chroma_migrated.rejects.jsonl

bench: build engines
	CM_BUILD_DIR=$(abspath $(BUILD)) python3 bench/run_bench.py $(BENCH_ARGS)

# Recall@10 of the tool's graph against Chroma's own, over several builds a side (bench/recall_study.py).
bench-recall: build engines
	CM_BUILD_DIR=$(abspath $(BUILD)) python3 bench/recall_study.py $(RECALL_ARGS)
