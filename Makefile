# tspod: `make demo` sets everything up and runs a container-image round trip;
# `make test` sets everything up and runs the test suite. Both are idempotent.
SHELL := /bin/bash
export npm_config_nodedir ?= /usr
# The tests also use: python3 (a pty), openssl (a TLS registry's certificates), podman (pulls
# what tspod pushed, and the benchmarks' side-by-side runs), curl (the registry bench's baseline).
# docker-compose, python3-docker (Docker-API clients against `system service`), passt and
# fuse-overlayfs (rootless networking and storage).
DEB_PACKAGES := runc conmon netavark aardvark-dns iptables catatonit uidmap slirp4netns busybox-static \
	docker-registry skopeo zstd attr golang-github-containers-common iproute2 \
	python3 openssl podman curl docker-compose python3-docker passt fuse-overlayfs
BIN_DIR ?= /usr/local/bin
SYSTEMD_DIR ?= /etc/systemd/system

.PHONY: all setup deps system-deps build native install demo test bench reliability clean

all: build

setup: system-deps deps build install

system-deps:
	@./scripts/install-system-deps.sh $(DEB_PACKAGES)
	@./scripts/device-modes.sh

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

deps: node_modules/.installed

native: deps
	@node scripts/build-native.mjs

build: deps native
	@node scripts/build.mjs

install: build
	@if [ -w "$(BIN_DIR)" ]; then ln -sf "$(CURDIR)/bin/tspod" "$(BIN_DIR)/tspod"; \
	else echo "note: $(BIN_DIR) is not writable; add $(CURDIR)/bin to PATH"; fi
	@# The boot-time restart of restart=always containers, only where systemd runs the machine.
	@if [ -d /run/systemd/system ] && [ -w "$(SYSTEMD_DIR)" ]; then \
		sed 's|/usr/local/bin/tspod|$(BIN_DIR)/tspod|g' contrib/systemd/tspod-restart.service > "$(SYSTEMD_DIR)/tspod-restart.service" && \
		{ systemctl daemon-reload && systemctl enable tspod-restart.service || true; }; \
	else echo "note: systemd is not running; contrib/systemd/tspod-restart.service not installed"; fi

demo: setup
	@./scripts/demo.sh

test: setup
	@npx --no-install tsc --noEmit -p .
	@node scripts/run-tests.mjs

bench: setup
	@node --import tsx bench/images.ts
	@node --import tsx bench/containers.ts
	@node --import tsx bench/network.ts
	@node --import tsx bench/registry.ts
	@node --import tsx bench/build.ts
	@node --import tsx bench/compose.ts

# The reliability suites at nightly size (N=10/50/200 concurrent workers, many SIGKILL points,
# thousands of fuzz cases); `make test` runs them at CI size. Prints one table of figures.
reliability: setup
	@node scripts/reliability.mjs

clean:
	rm -rf dist native/build
