# csprof build. `make` builds build/csprof: static x86_64, musl + libunwind +
# jansson (the latter two built once from Debian source packages into
# build/deps). `make test` runs every test; `make dist` writes dist/.
#
# Two flavours of the same sources:
#   build/csprof       musl, fully static, what users run (dist/ is this, stripped)
#   build/csprof-asan  glibc + ASan/UBSan against the system -dev packages, for tests

SHELL := /bin/bash
CC_MUSL ?= musl-gcc
CC ?= cc
PYTHON ?= python3

# src/ by layer, each using only those before it: util (small shared
# helpers), model (the profile, its function table, kinds of code,
# comparison and history), target (reading the target process: /proc, ELF,
# CPython's structures, native unwinding, the sampler), report (every writer
# and the summary analysis), cli (main and the subcommands). Headers are
# included by name: each folder is on the include path.
SRC_DIRS := util model target report cli
SRCS := $(sort $(foreach d,$(SRC_DIRS),$(wildcard src/$(d)/*.c)))
HDRS := $(foreach d,$(SRC_DIRS),$(wildcard src/$(d)/*.h))
SRC_INC := $(addprefix -Isrc/,$(SRC_DIRS))
DEPS := build/deps
DEPS_STAMP := $(DEPS)/.done

# The commit of the last change to what goes into the binary, so a dist/
# commit on top of it rebuilds to the same bytes.
# A fixed abbreviation length: git's automatic one grows with the object count,
# which differs between clones.
COMMIT := $(shell git log -1 --abbrev=12 --format=%h -- src Makefile 2>/dev/null || echo unknown)$(shell test -n "$$(git status --porcelain -- src Makefile 2>/dev/null)" && echo -dirty)
ifeq ($(COMMIT),)
COMMIT := unknown
endif

WARN := -std=c11 -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
COMMON := $(WARN) -Ibuild/gen $(SRC_INC) -D_GNU_SOURCE -DCSPROF_COMMIT='"$(COMMIT)"' -ffile-prefix-map=$(CURDIR)=.

MUSL_CFLAGS := $(COMMON) -O2 -I$(DEPS)/include -fno-asynchronous-unwind-tables
MUSL_LDFLAGS := -static -L$(DEPS)/lib -Wl,--build-id=none

ASAN_CFLAGS := $(COMMON) -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
ASAN_LIBS := -lunwind-ptrace -lunwind-generic -lunwind -ljansson -liberty -lz -lm

.PHONY: all deps asan unit test test-deps fuzz dist dist-check dist-from-head bench bench-render bench-peers offsets stdlib-names clean example
all: build/csprof

deps: $(DEPS_STAMP)
$(DEPS_STAMP): src/tools/build-deps.sh
	bash src/tools/build-deps.sh $(DEPS)

MUSL_OBJS := $(patsubst src/%.c,build/obj/musl/%.o,$(SRCS))

# The HTML report's and the flamegraph's CSS and JavaScript are real files
# (the tests lint them), turned into string constants at build time by a
# generator built here; one header per writer, so each holds only its own.
ASSETS_H := build/gen/report_assets.h
FLAME_ASSETS_H := build/gen/flamegraph_assets.h
build/gen/embed_text: src/tools/embed_text.c
	@mkdir -p $(@D)
	$(CC) $(WARN) -O1 -o $@ $<
R := src/report
$(ASSETS_H): build/gen/embed_text $(R)/report.css $(R)/report.js
	build/gen/embed_text $@ report_css=$(R)/report.css report_js=$(R)/report.js
$(FLAME_ASSETS_H): build/gen/embed_text $(R)/flamegraph.css $(R)/flamecore.js $(R)/flamegraph.js
	build/gen/embed_text $@ flamegraph_css=$(R)/flamegraph.css flamecore_js=$(R)/flamecore.js \
	  flamegraph_js=$(R)/flamegraph.js
build/obj/musl/report/fmt_html.o build/obj/asan/report/fmt_html.o build/obj/vg/report/fmt_html.o: $(ASSETS_H)
build/obj/musl/report/fmt_svg.o build/obj/asan/report/fmt_svg.o build/obj/vg/report/fmt_svg.o: $(FLAME_ASSETS_H)
ASAN_OBJS := $(patsubst src/%.c,build/obj/asan/%.o,$(SRCS))
VG_OBJS := $(patsubst src/%.c,build/obj/vg/%.o,$(SRCS))

# Objects carry CSPROF_COMMIT, so they are rebuilt when it changes (else a
# `make dist` after a commit would keep the old stamp in the binary).
COMMIT_STAMP := build/commit
$(shell mkdir -p build && { echo '$(COMMIT)' | cmp -s - $(COMMIT_STAMP) || echo '$(COMMIT)' > $(COMMIT_STAMP); })

build/obj/musl/%.o: src/%.c $(HDRS) $(DEPS_STAMP) $(COMMIT_STAMP)
	@mkdir -p $(@D)
	$(CC_MUSL) $(MUSL_CFLAGS) -c $< -o $@

build/obj/asan/%.o: src/%.c $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(ASAN_CFLAGS) -c $< -o $@

build/csprof: $(MUSL_OBJS)
	$(CC_MUSL) $(MUSL_LDFLAGS) -o $@ $^ $(shell cat $(DEPS)/libs 2>/dev/null)

# A third flavour for valgrind: glibc, no sanitizers (they and valgrind exclude
# each other), same warnings.
build/obj/vg/%.o: src/%.c $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(COMMON) -O1 -g -c $< -o $@

build/csprof-vg: $(VG_OBJS)
	$(CC) -o $@ $^ $(ASAN_LIBS)

asan: build/csprof-asan
build/csprof-asan: $(ASAN_OBJS)
	$(CC) -fsanitize=address,undefined -o $@ $^ $(ASAN_LIBS)

# Unit tests: each tests/unit/test_*.c links against every module but main.c.
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(patsubst tests/unit/%.c,build/unit/%,$(UNIT_SRCS))
LIB_ASAN_OBJS := $(filter-out build/obj/asan/cli/main.o,$(ASAN_OBJS))
build/unit/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(LIB_ASAN_OBJS)
	@mkdir -p $(@D)
	$(CC) $(ASAN_CFLAGS) -Itests/unit -o $@ $< $(LIB_ASAN_OBJS) $(ASAN_LIBS)

unit: $(UNIT_BINS)
	@bash tests/run-unit.sh $(UNIT_BINS)

# `make test` first installs what the tests need (apt packages of
# src/tools/packages.txt, npm ci, the Debian interpreters), so it runs every
# test with zero skips on a fresh machine; tests/run.py fails on any skip.
test-deps:
	bash src/tools/install-deps.sh test

test: test-deps
	$(MAKE) all asan build/csprof-vg unit
	$(PYTHON) tests/run.py

# The profile JSON reader under mutation, on the ASan/UBSan build: a long
# run (`make test` runs a short one in tests/test_fuzz.py). Inputs that
# crash are saved in tests/fuzz/found/; fixed ones go to tests/fuzz/cases/.
FUZZ_ITERATIONS ?= 5000
fuzz: all asan
	$(PYTHON) tests/fuzz/fuzz_profile.py --iterations $(FUZZ_ITERATIONS)

# dist/ must be reproducible from the committed tree, so a dirty src/ (which
# would also compile in untracked files) is refused; DIST_DIRTY=1 overrides.
# In a shared checkout, `make dist-from-head` builds HEAD in a clean worktree
# and copies the result here. `make dist-check` rebuilds HEAD from scratch and
# compares with the committed dist/SHA256SUMS.
dist: build/csprof
	@if [[ "$(COMMIT)" == *-dirty && "$(DIST_DIRTY)" != 1 ]]; then \
	  echo "make dist: src/ or Makefile has uncommitted changes (commit $(COMMIT)); commit them, or use 'make dist-from-head'" >&2; exit 1; fi
	@mkdir -p dist
	strip -o dist/csprof-linux-x86_64 build/csprof
	cd dist && sha256sum csprof-linux-x86_64 > SHA256SUMS
	@cat dist/SHA256SUMS

dist-check:
	bash src/tools/dist-check.sh

dist-from-head:
	bash src/tools/dist-check.sh --update

bench: all build/bench/bench_render build/bench/floor
	$(PYTHON) tests/bench/bench.py
	BENCH_PYTHONS=/root/.pyenv/versions/3.12.1/bin/python3.12 BENCH_ROUNDS=5 $(PYTHON) tests/bench/native_overhead.py
	build/bench/bench_render 9 build/bench/render.svg

# csprof next to austin 3.7.0, built from Debian's source package into
# build/peers/ (never committed or shipped): tests/bench/peers.py.
bench-peers: all build/bench/rusage
	$(PYTHON) tests/bench/peers.py

build/bench/rusage: tests/bench/rusage.c
	@mkdir -p $(@D)
	$(CC) $(WARN) -D_GNU_SOURCE -O2 -o $@ $<

# The machine's floor for a sampler: a loop that only sleeps to each tick.
build/bench/floor: tests/bench/floor.c
	@mkdir -p $(@D)
	$(CC) $(WARN) -D_GNU_SOURCE -O2 -o $@ $<

# write_svg on a generated 1,000,000-sample / 100,000-stack profile: median
# render time and SVG size. Optimised glibc build of just the modules it uses.
BENCH_RENDER_SRCS := tests/bench/bench_render.c $(addprefix src/report/,fmt_svg.c flame_names.c \
	flame_tree.c flame_colour.c fmt_folded.c) $(addprefix src/model/,profile.c classify.c functable.c) \
	$(addprefix src/util/,hashidx.c sbuf.c utf8.c numfmt.c)
build/bench/bench_render: $(BENCH_RENDER_SRCS) tests/bench/bench_render.h $(HDRS) $(FLAME_ASSETS_H)
	@mkdir -p $(@D)
	$(CC) $(COMMON) -O2 -Itests/bench -o $@ $(BENCH_RENDER_SRCS)

bench-render: build/bench/bench_render
	build/bench/bench_render 9 build/bench/render.svg

# Regenerate the CPython offset tables from each version's internal headers.
offsets:
	bash src/tools/gen-offsets.sh > src/target/pyoffsets_gen.h.new && \
	  mv src/target/pyoffsets_gen.h.new src/target/pyoffsets_gen.h

stdlib-names:
	bash src/tools/gen-stdlib-names.sh > src/model/stdlib_names_gen.h.new && \
	  mv src/model/stdlib_names_gen.h.new src/model/stdlib_names_gen.h

example:
	bash tests/example.sh

clean:
	rm -rf build/obj build/unit build/csprof build/csprof-asan
