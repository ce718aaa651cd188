# TinyDistill: the two commands that set everything up on a fresh Debian 12 machine.
#   make demo   bootstrap, release build, the Fashion-MNIST demo (scripts/demo: teacher, precompute, inspect, students, results)
#   make test   bootstrap, build, swift test
SWIFT ?= swift
DEMO_DIR ?= out/demo

.PHONY: all bootstrap build release test demo bench clean

all: build

bootstrap:
	./scripts/bootstrap

build: bootstrap
	$(SWIFT) build --build-tests

release: bootstrap
	$(SWIFT) build -c release --product tinydistill

test: build
	$(SWIFT) test --skip-build --parallel --num-workers 2

demo: release
	./scripts/demo $(DEMO_DIR)

bench: bootstrap
	./Benchmarks/scripts/store-sizes.sh
	$(SWIFT) package --allow-writing-to-package-directory benchmark --target StoreBenchmarks

clean:
	rm -rf .build out
