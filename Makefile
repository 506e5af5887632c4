# Handover: `make run` (the app, on the bundled demo mailbox) and `make test` (everything CI runs).
# Both install what is missing and are safe to rerun; see README.md.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

HANDOVER_CACHE ?= $(HOME)/.cache/handover
export CARGO_TARGET_DIR ?= $(HANDOVER_CACHE)/target
export HANDOVER_TEST_VENV ?= $(HANDOVER_CACHE)/venv
STAMPS := $(HANDOVER_CACHE)/stamps
# The public NHS example documents the corpus tests read in place (their licence is unstated, so
# they are never copied into the repository): HANDOVER_CORPUS, else ../shared/corpus beside the
# clone, else what `make corpus` fetched.
HANDOVER_CORPUS ?= $(firstword $(wildcard $(CURDIR)/../shared/corpus) $(wildcard $(HANDOVER_CACHE)/corpus))
export HANDOVER_CORPUS
APP := $(CARGO_TARGET_DIR)/debug/handover-desktop
CLI := $(CARGO_TARGET_DIR)/debug/handover
DEMO_DATA_DIR ?= $(HOME)/.local/share/handover-demo

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_BUILD := build-essential pkg-config file curl ca-certificates libssl-dev libdbus-1-dev \
  libwebkit2gtk-4.1-dev libgtk-3-dev libsoup-3.0-dev libjavascriptcoregtk-4.1-dev librsvg2-dev \
  libayatana-appindicator3-dev libxdo-dev python3 python3-venv nodejs npm
APT_TEST := xvfb xauth x11-utils imagemagick webkit2gtk-driver dbus dbus-x11 gnome-keyring \
  keyutils sqlite3 fonts-dejavu-core at-spi2-core postgresql-15 openssl
# The practice-store tests (crates/practice) start their own throwaway PostgreSQL 15 clusters
# from /usr/lib/postgresql/15/bin (SHA-256 is built in: no postgresql-contrib needed). So that
# installing the package does not also create and start Debian's "main" cluster as a service,
# a postgresql-common drop-in turns that off first (only when PostgreSQL 15 is not installed yet).
PG_NO_MAIN_CLUSTER := /etc/postgresql-common/createcluster.d/handover-no-main-cluster.conf

.PHONY: help run test deps deps-test ui-build fmt-check clippy rust-test bindings-check ui-test \
  app-build e2e cli clean-cache screenshot demo-mailbox corpus corpus-notice

help:
	@echo "make run    build and open Handover on the bundled demo mailbox"
	@echo "make test   formatting, clippy -D warnings, Rust tests, UI tests, end-to-end tests"

# ---------------------------------------------------------------- dependencies
# apt packages: installs only what is missing (checked with dpkg-query each time: fast).
define apt_ensure
	@missing=$$(for p in $(1); do \
	  dpkg-query -W -f='$${db:Status-Status}\n' "$$p" 2>/dev/null | grep -qx installed || \
	  { command -v "$$p" >/dev/null 2>&1 && [ "$$p" = nodejs -o "$$p" = npm -o "$$p" = python3 ] || echo "$$p"; }; \
	done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages: $$missing"; \
	  $(SUDO) apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y --no-install-recommends $$missing; \
	fi
endef

deps: node_modules/.installed
	$(call apt_ensure,$(APT_BUILD))
	@command -v cargo >/dev/null || { echo "Rust is needed: install it from https://rustup.rs"; exit 1; }

deps-test: deps $(STAMPS)/venv $(HANDOVER_CACHE)/bin/tauri-driver
	@if ! dpkg-query -W -f='$${db:Status-Status}\n' postgresql-15 2>/dev/null | grep -qx installed \
	    && [ ! -e "$(PG_NO_MAIN_CLUSTER)" ]; then \
	  $(SUDO) mkdir -p "$$(dirname "$(PG_NO_MAIN_CLUSTER)")"; \
	  echo 'create_main_cluster = false' | $(SUDO) tee "$(PG_NO_MAIN_CLUSTER)" >/dev/null; \
	fi
	$(call apt_ensure,$(APT_TEST))

node_modules/.installed: package.json package-lock.json
	npm install --no-audit --no-fund
	@touch $@

# The Python side of the MESH tests: NHS's mesh-sandbox (the mailbox server) and mesh-client.
$(STAMPS)/venv: tests/mesh/requirements.txt
	@mkdir -p $(STAMPS)
	[ -x "$(HANDOVER_TEST_VENV)/bin/python" ] || python3 -m venv "$(HANDOVER_TEST_VENV)"
	"$(HANDOVER_TEST_VENV)/bin/pip" install --quiet -r tests/mesh/requirements.txt
	@touch $@

$(HANDOVER_CACHE)/bin/tauri-driver:
	cargo install tauri-driver --version "^2" --locked --root "$(HANDOVER_CACHE)"

# ---------------------------------------------------------------- build
ui-build: node_modules/.installed
	npm run --silent ui:build

app-build: ui-build
	cargo build --workspace

cli: deps
	cargo build --workspace
	@echo "$(CLI)"

# ---------------------------------------------------------------- run
run: deps app-build
	@if [ -z "$${DISPLAY:-}$${WAYLAND_DISPLAY:-}" ]; then \
	  echo "make run: no display (DISPLAY and WAYLAND_DISPLAY are unset). Run it from a desktop session,"; \
	  echo "or see 'Screenshots without a display' in README.md."; exit 1; fi
	@HANDOVER_CLI="$(CLI)" scripts/demo-mailbox.sh "$(DEMO_DATA_DIR)"
	HANDOVER_DATA_DIR="$(DEMO_DATA_DIR)" HANDOVER_MAILBOX_DIR="$(DEMO_DATA_DIR)/mailbox" "$(APP)"

# The app on the demo mailbox under Xvfb, for machines without a display: saves a screenshot.
screenshot: deps-test app-build
	HANDOVER_APP="$(APP)" HANDOVER_CLI="$(CLI)" scripts/screenshot.sh "$(CARGO_TARGET_DIR)/screenshots"

# ---------------------------------------------------------------- test
test: deps-test
	$(MAKE) --no-print-directory fmt-check ui-test clippy rust-test bindings-check app-build e2e
	@$(MAKE) --no-print-directory corpus-notice
	@echo "make test: all checks passed"

# Says plainly whether the NHS corpus tests ran (the same behaviours are tested on the project's
# own synthetic messages either way).
corpus-notice:
	@if [ -n "$(HANDOVER_CORPUS)" ]; then \
	  echo "NHS corpus tests ran on $(HANDOVER_CORPUS)"; \
	else \
	  echo "NOTE: the NHS corpus tests did not run: no corpus at ../shared/corpus or HANDOVER_CORPUS."; \
	  echo "      Run 'make corpus' (needs internet access) to fetch the NHS example files, then 'make test'."; \
	fi

# Fetches the public NHS example files (pinned commits of nhsconnect/STU3-FHIR-Assets, listed in
# scripts/corpus-files.tsv) into the cache, outside the repository.
corpus:
	scripts/fetch-corpus.sh "$(HANDOVER_CACHE)/corpus"

fmt-check:
	cargo fmt --all -- --check

clippy: ui-build
	cargo clippy --workspace --all-targets -- -D warnings

ui-test: node_modules/.installed
	npm run --silent ui:check
	npm run --silent ui:test

# Rust tests run inside a private D-Bus session with an unlocked, throwaway gnome-keyring, so the
# keyring tests use the real Secret Service.
rust-test: ui-build
	@$(MAKE) --no-print-directory corpus-notice
	scripts/with-keyring.sh cargo test --workspace

# ts-rs regenerates ui/src/bindings during `cargo test`; the committed copies must match.
bindings-check:
	@if [ -n "$$(git status --porcelain -- ui/src/bindings)" ]; then \
	  git status --short -- ui/src/bindings; \
	  echo "ui/src/bindings is out of date with the Rust types: commit the regenerated files"; exit 1; fi

e2e: app-build
	PATH="$(HANDOVER_CACHE)/bin:$$PATH" HANDOVER_APP="$(APP)" HANDOVER_CLI="$(CLI)" tests/e2e/run.sh

# Regenerates the bundled demo mailbox (synthetic documents the project authors).
demo-mailbox: cli
	rm -rf assets/demo-mailbox
	"$(CLI)" fixtures --count 40 --seed 2026 --out assets/demo-mailbox --practice-lists assets/demo-practice-lists.csv
	# and one message cut short in transit, which the app quarantines
	head -c 9000 assets/demo-mailbox/0001-inpatient-discharge.xml > assets/demo-mailbox/zz-truncated-in-transit.xml

clean-cache:
	rm -rf "$(HANDOVER_CACHE)"
