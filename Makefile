# winch: a fast, scriptable container-registry client.
# `make` builds lib/libwinch.a, lib/libwinch.so and ./winch. `make test` installs
# what is missing (Debian packages) and runs every test. `make demo` shows the main job.

VERSION     := 0.1.0
SOVERSION   := 0
PREFIX      ?= /usr/local
DESTDIR     ?=
BINDIR      ?= $(PREFIX)/bin
LIBDIR      ?= $(PREFIX)/lib
INCLUDEDIR  ?= $(PREFIX)/include
MANDIR      ?= $(PREFIX)/share/man
DATADIR     ?= $(PREFIX)/share
PKG_CONFIG  ?= pkg-config
CC          ?= cc

DEPS_PC     := libcurl libcjson libcrypto libarchive zlib yaml-0.1 libsodium
DEP_CFLAGS  := $(shell $(PKG_CONFIG) --cflags $(DEPS_PC) 2>/dev/null)
DEP_LIBS    := $(shell $(PKG_CONFIG) --libs $(DEPS_PC) 2>/dev/null) -pthread
# make STATIC_CURL=1: link a trimmed static libcurl (HTTP/HTTPS, OpenSSL, zlib) built from Debian's
# curl source package by tools/static-curl.sh into CURL_STATIC (not the default: distributions link
# the system libcurl). winch then loads 20 shared libraries instead of 45 and starts in half the
# time (bench/RESULTS.md, start-up).
ifneq ($(STATIC_CURL),)
CURL_STATIC ?= $(CURDIR)/build/curl-static
DEP_CFLAGS  := -I$(CURL_STATIC)/include $(shell $(PKG_CONFIG) --cflags $(filter-out libcurl,$(DEPS_PC)) 2>/dev/null)
DEP_LIBS    := $(CURL_STATIC)/lib/libcurl.a $(shell $(PKG_CONFIG) --libs libssl $(filter-out libcurl,$(DEPS_PC)) 2>/dev/null) -pthread
endif

WARN        := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wno-unused-parameter
CFLAGS      ?= -O2 -g
ALL_CFLAGS   = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(DEP_CFLAGS) -Ilib -DWN_VERSION_STR='"$(VERSION)"' -MMD -MP
ifneq ($(SANITIZE),)
ALL_CFLAGS  += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer
LDFLAGS     += -fsanitize=$(SANITIZE)
endif

# Objects rebuild when the flags change (e.g. SANITIZE=...): the stamp holds the last ones.
# Built-in rules are off so a missed pattern rule fails loudly instead of compiling without flags.
MAKEFLAGS   += --no-builtin-rules
.SUFFIXES:
FLAGS_STAMP := .build-flags
$(shell echo '$(CC) $(ALL_CFLAGS) $(LDFLAGS)' | cmp -s - $(FLAGS_STAMP) || echo '$(CC) $(ALL_CFLAGS) $(LDFLAGS)' > $(FLAGS_STAMP))
$(FLAGS_STAMP): ;

LIB_SRC     := $(wildcard lib/*.c lib/*/*.c)
LIB_OBJ     := $(LIB_SRC:.c=.o)
LIB_PIC     := $(LIB_SRC:.c=.pic.o)
CMD_SRC     := $(filter-out cmd/completion-data.c,$(wildcard cmd/*.c))
CMD_OBJ     := $(CMD_SRC:.c=.o) cmd/completion-data.o
UNIT_SRC    := $(wildcard tests/unit/t-*.c)
UNIT_BIN    := $(UNIT_SRC:.c=)
FUZZ_SRC    := $(wildcard tests/fuzz/f-*.c)
FUZZ_REPLAY := $(FUZZ_SRC:.c=.replay)

.PHONY: all deps test check demo install uninstall clean fuzz unit bench
all: lib/libwinch.a lib/libwinch.so winch

lib/%.o: lib/%.c $(FLAGS_STAMP)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<
lib/%.pic.o: lib/%.c $(FLAGS_STAMP)
	$(CC) $(ALL_CFLAGS) -fPIC -fvisibility=hidden -DWN_BUILDING_SO -c -o $@ $<
cmd/%.o: cmd/%.c $(FLAGS_STAMP)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

cmd/completion-data.c: completions/winch.bash completions/winch.zsh completions/winch.fish tests/tools/embed.sh
	sh tests/tools/embed.sh > $@

ifneq ($(STATIC_CURL),)
$(LIB_OBJ) $(LIB_PIC) $(CMD_OBJ): $(CURL_STATIC)/lib/libcurl.a
$(CURL_STATIC)/lib/libcurl.a:
	sh tools/static-curl.sh $(CURL_STATIC)
endif

lib/libwinch.a: $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^
lib/libwinch.so: $(LIB_PIC)
	$(CC) -shared -Wl,-soname,libwinch.so.$(SOVERSION) $(LDFLAGS) -o $@ $^ $(DEP_LIBS)
winch: $(CMD_OBJ) lib/libwinch.a
	$(CC) $(LDFLAGS) -o $@ $(CMD_OBJ) lib/libwinch.a $(DEP_LIBS)

tests/unit/t-%: tests/unit/t-%.c tests/unit/harness.h lib/libwinch.a $(FLAGS_STAMP)
	$(CC) $(ALL_CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< lib/libwinch.a $(DEP_LIBS)
tests/fuzz/%.replay: tests/fuzz/%.c tests/fuzz/replay.c lib/libwinch.a $(FLAGS_STAMP)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< tests/fuzz/replay.c lib/libwinch.a $(DEP_LIBS)

unit: $(UNIT_BIN) $(FUZZ_REPLAY)

# Installs the Debian packages the build and the tests need, only when missing.
deps:
	@sh tests/tools/deps.sh

# The whole suite: unit tests, fuzz corpus replay, integration against real registries.
test: deps
	@$(MAKE) --no-print-directory all unit
	@sh tests/run.sh

# Unit tests and corpus replay only (used with SANITIZE=address,undefined).
check: all unit
	@sh tests/run.sh --unit-only

demo: deps
	@$(MAKE) --no-print-directory all
	@bash tests/tools/demo.sh

# winch against skopeo on the same work (bench/RESULTS.md); RUNS=5 for more runs
bench: deps
	@$(MAKE) --no-print-directory all
	@BENCH_COMMAND="make bench" bash bench/run.sh

# libFuzzer builds of every target (clang); run one with e.g. tests/fuzz/f-ref.fuzz tests/fuzz/corpus/ref
fuzz:
	@for f in $(FUZZ_SRC); do \
	  clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -Ilib $(DEP_CFLAGS) \
	    -o $${f%.c}.fuzz $$f $(LIB_SRC) $(DEP_LIBS) || exit 1; done

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR) \
	  $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(DATADIR)/bash-completion/completions \
	  $(DESTDIR)$(DATADIR)/zsh/vendor-completions $(DESTDIR)$(DATADIR)/fish/vendor_completions.d
	install -m 755 winch $(DESTDIR)$(BINDIR)/winch
	install -m 644 lib/libwinch.a $(DESTDIR)$(LIBDIR)/libwinch.a
	install -m 755 lib/libwinch.so $(DESTDIR)$(LIBDIR)/libwinch.so.$(VERSION)
	ln -sf libwinch.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libwinch.so.$(SOVERSION)
	ln -sf libwinch.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libwinch.so
	install -m 644 lib/winch.h $(DESTDIR)$(INCLUDEDIR)/winch.h
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
	  -e 's|@VERSION@|$(VERSION)|' lib/winch.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/winch.pc
	install -m 644 man/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 completions/winch.bash $(DESTDIR)$(DATADIR)/bash-completion/completions/winch
	install -m 644 completions/winch.zsh $(DESTDIR)$(DATADIR)/zsh/vendor-completions/_winch
	install -m 644 completions/winch.fish $(DESTDIR)$(DATADIR)/fish/vendor_completions.d/winch.fish

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/winch $(DESTDIR)$(LIBDIR)/libwinch.* $(DESTDIR)$(INCLUDEDIR)/winch.h \
	  $(DESTDIR)$(LIBDIR)/pkgconfig/winch.pc $(DESTDIR)$(MANDIR)/man1/winch*.1

clean:
	rm -f lib/*.o lib/*.d lib/*/*.o lib/*/*.d lib/*.a lib/*.so cmd/*.o cmd/*.d cmd/completion-data.c winch $(UNIT_BIN) tests/unit/*.d \
	  tests/fuzz/*.replay tests/fuzz/*.fuzz tests/fuzz/*.d $(FLAGS_STAMP)

-include $(LIB_SRC:.c=.d) $(LIB_SRC:.c=.pic.d) $(CMD_SRC:.c=.d)
