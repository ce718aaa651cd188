# TinyDistill: the two commands that set everything up on a fresh Debian 12 machine.
#   make demo   bootstrap, release build, the Fashion-MNIST demo (scripts/demo: teacher, precompute, inspect, students, results)
#   make test   bootstrap, build, swift test, the Python package's tests (python/tests, Debian's python3), and a
#               check that the README's and docs/results.md's rendered numbers match the results files
#   make python the release libTinyDistillC.so copied into python/tinydistill/, so `pip install ./python` works
SWIFT ?= swift
PYTHON ?= /usr/bin/python3
DEMO_DIR ?= out/demo

.PHONY: all bootstrap build release test test-python test-docs python demo bench clean

all: build

bootstrap:
	./scripts/bootstrap

build: bootstrap
	$(SWIFT) build --build-tests
	$(SWIFT) build --product TinyDistillC

release: bootstrap
	$(SWIFT) build -c release --product tinydistill

test: build
	$(SWIFT) test --skip-build --parallel --num-workers 2
	$(MAKE) test-python
	$(MAKE) test-docs

# The Python package against the debug library and CLI (python/tests/conftest.py finds both in .build/debug).
test-python:
	$(PYTHON) -m pytest -q -p no:cacheprovider python/tests

# Every rendered number in README.md and docs/results.md is what its committed results file gives.
test-docs:
	$(PYTHON) scripts/render-readme.py --check
	$(PYTHON) scripts/render-results.py --check

python: bootstrap
	$(SWIFT) build -c release --product TinyDistillC
	cp "$$($(SWIFT) build -c release --show-bin-path)/libTinyDistillC.so" python/tinydistill/

demo: release
	./scripts/demo $(DEMO_DIR)

bench: bootstrap
	./Benchmarks/scripts/store-sizes.sh
	$(SWIFT) package --allow-writing-to-package-directory benchmark --target StoreBenchmarks

clean:
	rm -rf .build out
