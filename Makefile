# Developer and CI tasks for importspace. `make help` lists them.
#
# Every target takes PY=<version>: a pyenv version ("3.11.7"), or a minor version ("3.11": the newest
# pyenv 3.11.x, else `python3.11` on PATH). Each version gets its own venv in .venv/$(PY) and its own
# cargo target dir in target/py$(PY), so switching versions does not rebuild the other one's artifacts.
# The built extension lands in python/importspace/ as _native.cpython-3XY-<platform>.so; the file name
# carries the version, so builds for several versions sit side by side in the source tree.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PY ?= 3.11.7
SUPPORTED := 3.9 3.10 3.11 3.12 3.13

# Lower bounds only, except ruff: its formatter's output changes between minor releases, and
# `make lint` must give the same verdict on every machine.
DEV_DEPS := "maturin>=1.7,<2" "pytest>=8" "pytest-timeout>=2.3" "ruff>=0.17,<0.18"
# stubtest runs only once python/importspace/_native.pyi exists (see `lint`).
STUBTEST_DEPS := "mypy>=1.10"
# `make bench` draws its chart with matplotlib (any recent one; skipped if it cannot be installed).
BENCH_DEPS := matplotlib>=3.5

PY_DIRS = $(wildcard python tests benches vendor-importlib conformance)

PYENV_ROOT ?= $(shell pyenv root 2>/dev/null || echo "$$HOME/.pyenv")
PY_MINOR := $(word 1,$(subst ., ,$(PY))).$(word 2,$(subst ., ,$(PY)))

# Newest pyenv CPython 3.X.Y for a minor version 3.X (empty if none).
pyenv_latest = $(lastword $(shell ls "$(PYENV_ROOT)/versions" 2>/dev/null | grep -E '^$(subst .,\.,$(1))\.[0-9]+$$' | sort -V))

ifndef BASE_PYTHON
BASE_PYTHON := $(or $(wildcard $(PYENV_ROOT)/versions/$(PY)/bin/python),$(if $(call pyenv_latest,$(PY_MINOR)),$(PYENV_ROOT)/versions/$(call pyenv_latest,$(PY_MINOR))/bin/python),$(shell command -v python$(PY_MINOR) 2>/dev/null))
endif

VENV := $(CURDIR)/.venv/$(PY)
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.dev-deps
export CARGO_TARGET_DIR ?= $(CURDIR)/target/py$(PY)
export PIP_DISABLE_PIP_VERSION_CHECK := 1

# Environment for cargo commands that build against pyo3 outside maturin (cargo test, clippy).
# Without PYO3_BUILD_EXTENSION_MODULE (which only maturin sets), pyo3's build script links test
# binaries against libpython. A binary whose tests reach no Python API drops it again (the linker's
# --as-needed), but any test that embeds an interpreter (pyo3 error mappings, tests/*.rs) needs it at
# run time. We keep one setup that serves both rather than feature-gating pyo3 out of unit tests:
# - PYO3_PYTHON points pyo3 at this venv's interpreter, not whatever `python3` is on PATH (a pyenv
#   shim, or Debian's 3.11);
# - LD_LIBRARY_PATH points the loader at that interpreter's libpython. pyenv's builds here are shared
#   (--enable-shared) and cargo gives test binaries no RUNPATH: without it a 3.9 test binary fails
#   with "libpython3.9.so.1.0: cannot open shared object file", and a 3.11.7 one silently runs
#   Debian's /usr/lib libpython3.11 (3.11.2, prefix /usr). Harmless for a static libpython.
# An embedded interpreter uses the base install's prefix, not the venv's site-packages.
PYO3_ENV = PYO3_PYTHON="$(VPY)" \
	LD_LIBRARY_PATH="$$("$(VPY)" -c 'import sysconfig; print(sysconfig.get_config_var("LIBDIR") or "")')$${LD_LIBRARY_PATH:+:$$LD_LIBRARY_PATH}"

# The versions `make test-all` runs: for each supported minor, the newest pyenv build, else the
# python3.X on PATH. Missing minors are reported and skipped.
TEST_ALL_PYS = $(strip $(foreach m,$(SUPPORTED),$(or $(call pyenv_latest,$(m)),$(if $(shell command -v python$(m) 2>/dev/null),$(m)))))
TEST_ALL_MISSING = $(strip $(foreach m,$(SUPPORTED),$(if $(or $(call pyenv_latest,$(m)),$(shell command -v python$(m) 2>/dev/null)),,$(m))))

.PHONY: help venv build test test-all bench conformance realworld fuzz lint fmt clean

help:
	@echo "make venv     PY=$(PY)  create .venv/$(PY) with maturin, pytest, pytest-timeout, ruff"
	@echo "make build    PY=$(PY)  maturin develop --release (with the test-hooks feature) into that venv"
	@echo "make test     PY=$(PY)  build, cargo test, pytest"
	@echo "make test-all           make test for every available version of: $(SUPPORTED)"
	@echo "make bench    PY=$(PY)  build, then benches/run.py: the corpora of issues 5 and 14, ratios to"
	@echo "                        CPython; bench-results.json and bench-results.png (matplotlib is"
	@echo "                        installed into the venv; args: BENCH_ARGS=\"--quick\")"
	@echo "                        then benches/graph_speed.py: the import graph against grimp and"
	@echo "                        ruff; bench-graph.json and bench-graph.png (GRAPH_BENCH_ARGS)"
	@echo "                        then benches/reload_speed.py: save-to-answer time of run --reload"
	@echo "                        against a watchfiles restart; bench-reload.json and .png"
	@echo "                        (RELOAD_BENCH_ARGS=\"--edits 3\")"
	@echo "make conformance PY=$(PY)  build, then conformance/run.py: CPython's import suites,"
	@echo "                        natively and in a namespace (args: CONFORMANCE_ARGS=\"--diff\")"
	@echo "make realworld PY=$(PY)  build, then tests/realworld/run.py: the 100 most downloaded PyPI"
	@echo "                        packages natively and in namespaces; docs/realworld/<cp3X>.json and"
	@echo "                        docs/realworld.md (args: REALWORLD_ARGS=\"--quick --ci\")"
	@echo "make fuzz     PY=$(PY)  the property tests of src/core (tests/core_properties.rs), differential"
	@echo "                        against CPython, with FUZZ_CASES=$(FUZZ_CASES) cases each (FUZZ_SECONDS bound)"
	@echo "make lint               cargo fmt --check, clippy -D warnings, ruff check, ruff format --check"
	@echo "make fmt                cargo fmt, ruff check --fix, ruff format"
	@echo "make clean              remove target/, .venv/ and built extensions"
	@echo "Interpreter for PY=$(PY): $(or $(BASE_PYTHON),NOT FOUND)"

venv: $(STAMP)

# Re-run when the Makefile (and so DEV_DEPS) changes; otherwise a no-op.
$(STAMP): Makefile
	@if [ -z "$(BASE_PYTHON)" ]; then \
		echo "error: no Python $(PY): not in $(PYENV_ROOT)/versions, no python$(PY_MINOR) on PATH" >&2; exit 1; fi
	@if [ ! -x "$(VPY)" ]; then \
		echo "creating $(VENV) from $(BASE_PYTHON)"; "$(BASE_PYTHON)" -m venv "$(VENV)"; fi
	"$(VPY)" -m pip install -q $(DEV_DEPS)
	@touch "$@"

build: $(STAMP)
	cd "$(CURDIR)" && VIRTUAL_ENV="$(VENV)" PATH="$(VENV)/bin:$$PATH" \
		"$(VENV)/bin/maturin" develop --release --features test-hooks

# pytest exit code 5 means "no tests collected": a failure here, unless ALLOW_NO_TESTS=1.
test: build
	$(PYO3_ENV) cargo test
	@rc=0; if [ -d tests ]; then "$(VPY)" -m pytest $(PYTEST_ARGS) || rc=$$?; \
	else echo "no tests/ directory"; rc=5; fi; \
	if [ $$rc -eq 5 ]; then \
		if [ "$(ALLOW_NO_TESTS)" = 1 ]; then echo "warning: pytest collected no tests (ALLOW_NO_TESTS=1)"; exit 0; fi; \
		echo "error: pytest collected no tests (exit 5) for Python $(PY); failing. Set ALLOW_NO_TESTS=1 to accept." >&2; exit 1; fi; \
	exit $$rc

test-all:
	@if [ -z "$(TEST_ALL_PYS)" ]; then echo "error: none of $(SUPPORTED) is available" >&2; exit 1; fi
	@passed=""; failed=""; \
	for py in $(TEST_ALL_PYS); do \
		echo "=== make test PY=$$py ==="; start=$$(date +%s); \
		if $(MAKE) test PY=$$py CARGO_TARGET_DIR="$(CURDIR)/target/py$$py"; then \
			passed="$$passed $$py($$(( $$(date +%s) - start ))s)"; \
		else \
			failed="$$failed $$py($$(( $$(date +%s) - start ))s)"; fi; \
	done; \
	echo "=== test-all summary ==="; \
	echo "passed: $${passed:- none}"; \
	echo "failed: $${failed:- none}"; \
	if [ -n "$(TEST_ALL_MISSING)" ]; then echo "skipped (no interpreter found): $(TEST_ALL_MISSING)"; fi; \
	[ -z "$$failed" ]

# matplotlib only draws the charts: if it cannot be installed, the scripts skip them and say so.
# run.py itself installs corpus 4's pinned PyPI packages into .cache/bench-packages/<version>,
# and corpora 4b and 8's (the real-world corpus's pins) into .cache/bench-packages/<version>-realworld;
# graph_speed.py (the static import graph against grimp and `ruff analyze graph`) installs those
# two tools and its package trees, pinned, into .cache/graphbench/<version>; reload_speed.py (the
# dev-loop reloader against watchfiles) installs Flask, pandas, pydantic, sympy and watchfiles,
# pinned, into .cache/reloadbench/<version>.
bench: build
	@if [ ! -f benches/run.py ]; then echo "error: benches/run.py does not exist yet" >&2; exit 1; fi
	@"$(VPY)" -c "import matplotlib" 2>/dev/null || "$(VPY)" -m pip install -q "$(BENCH_DEPS)" \
		|| echo "warning: could not install matplotlib: no chart" >&2
	"$(VPY)" benches/run.py --json bench-results.json --chart bench-results.png $(BENCH_ARGS)
	"$(VPY)" benches/graph_speed.py --out bench-graph.json --chart bench-graph.png $(GRAPH_BENCH_ARGS)
	"$(VPY)" benches/reload_speed.py --json bench-reload.json --chart bench-reload.png $(RELOAD_BENCH_ARGS)

# CPython's own import test suites, natively and inside a namespace (see conformance/README.md).
# Exits 0 when the runner worked, even if tests differ; CONFORMANCE_ARGS=--strict makes differences fail.
# Fuzzing: proptest runs each property of tests/core_properties.rs FUZZ_CASES times (`cargo test`
# alone runs 256). The whole run is killed after FUZZ_SECONDS, which fails it.
FUZZ_CASES ?= 100000
FUZZ_SECONDS ?= 900
fuzz: $(STAMP)
	$(PYO3_ENV) PROPTEST_CASES=$(FUZZ_CASES) timeout $(FUZZ_SECONDS) cargo test --release --test core_properties

conformance: build
	@if [ ! -f conformance/run.py ]; then echo "error: conformance/run.py does not exist yet" >&2; exit 1; fi
	"$(VPY)" conformance/run.py $(CONFORMANCE_ARGS)

# The real-world corpus of issue 11 (tests/realworld/run.py; needs the package registry the first
# time, then reuses .cache/realworld/): writes docs/realworld/cp3X.json and re-renders
# docs/realworld.md from every version's file. REALWORLD_ARGS="--quick --ci" runs the CI subset and
# fails on anything not listed in tests/realworld/known-failures-cp3X.txt.
realworld: build
	"$(VPY)" tests/realworld/run.py --markdown docs/realworld.md $(REALWORLD_ARGS)

# Runs every check, then fails if any failed, so one run shows all problems.
lint: $(STAMP)
	@failed=""; \
	step() { echo "--- $$1"; n=$$1; shift; "$$@" || failed="$$failed$${failed:+, }$$n"; }; \
	step "cargo fmt" cargo fmt --all -- --check; \
	step "cargo clippy" env $(PYO3_ENV) cargo clippy --all-targets --all-features -- -D warnings; \
	step "ruff check" "$(VENV)/bin/ruff" check $(PY_DIRS); \
	step "ruff format" "$(VENV)/bin/ruff" format --check $(PY_DIRS); \
	if [ -f python/importspace/_native.pyi ]; then step "stubtest" $(MAKE) stubtest PY=$(PY); \
	else echo "--- stubtest: skipped (no python/importspace/_native.pyi yet)"; fi; \
	if [ -n "$$failed" ]; then echo "lint FAILED: $$failed" >&2; exit 1; fi; \
	echo "lint: all checks passed"

.PHONY: stubtest
stubtest: build
	"$(VPY)" -m pip install -q $(STUBTEST_DEPS)
	"$(VPY)" -m mypy.stubtest importspace._native

fmt: $(STAMP)
	cargo fmt --all
	"$(VENV)/bin/ruff" check --fix --exit-zero $(PY_DIRS)
	"$(VENV)/bin/ruff" format $(PY_DIRS)

clean:
	rm -rf target .venv
	rm -f python/importspace/_native*.so python/importspace/_native*.pyd
