# TinyDistill: the two commands that set everything up on a fresh Debian 12 machine.
#   make demo   bootstrap, release build, the Fashion-MNIST demo (scripts/demo: teacher, precompute, inspect, students, results)
#   make test   bootstrap, build, the wheel, swift test, the Python package's tests (python/tests, Debian's python3),
#               the wheel's install test (toolchain hidden) and a check that the README's and docs/results.md's
#               rendered numbers match the results files
#   make wheel  dist/tinydistill-<version>-py3-none-<platform>.whl: the release libTinyDistillC.so and every
#               library it needs beyond the manylinux base set (auditwheel; scripts/build-wheel.py)
SWIFT ?= swift
PYTHON ?= /usr/bin/python3
DEMO_DIR ?= out/demo
# `make wheel WHEEL_RECORD="--record results/wheel.json"` also files the wheel's size summary.
WHEEL_RECORD ?=

.PHONY: all bootstrap build release test test-python test-wheel test-docs wheel demo bench clean

all: build

bootstrap:
	./scripts/bootstrap

build: bootstrap
	$(SWIFT) build --build-tests
	$(SWIFT) build --product TinyDistillC

release: bootstrap
	$(SWIFT) build -c release --product tinydistill

test: build wheel
	$(SWIFT) test --skip-build --parallel --num-workers 2
	$(MAKE) test-python
	$(MAKE) test-wheel
	$(MAKE) test-docs

# The Python package against the debug library and CLI (python/tests/conftest.py finds both in .build/debug).
test-python:
	$(PYTHON) -m pytest -q -p no:cacheprovider python/tests

# The wheel, installed with --no-index into a fresh venv and run with the Swift toolchain's libraries hidden.
test-wheel:
	./scripts/test-wheel-install

# Every rendered number in README.md and docs/results.md is what its committed results file gives.
test-docs:
	$(PYTHON) scripts/render-readme.py --check
	$(PYTHON) scripts/render-results.py --check
	$(PYTHON) scripts/render-sampled.py --check

wheel: bootstrap
	./scripts/wheel-tools .build/wheel-tools
	$(SWIFT) build -c release --product TinyDistillC
	$(PYTHON) scripts/build-wheel.py --lib "$$($(SWIFT) build -c release --show-bin-path)/libTinyDistillC.so" \
	    --tools .build/wheel-tools --out dist $(WHEEL_RECORD)

demo: release
	./scripts/demo $(DEMO_DIR)

bench: bootstrap
	./Benchmarks/scripts/store-sizes.sh
	$(SWIFT) package --allow-writing-to-package-directory benchmark --target StoreBenchmarks

clean:
	rm -rf .build out dist
