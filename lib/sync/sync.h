/*
 * sync/sync.h: what the files of sync share (lib/sync.c runs a sync,
 * lib/sync/yaml.c reads skopeo's file, lib/sync/match.c compiles its tag
 * filters).  Private to them: the tool sees struct wn_sync_config opaque.
 */
#ifndef WN_SYNC_H
#define WN_SYNC_H

#include <regex.h>
#include "../internal.h"

/* Masterminds/semver v3 constraints, as skopeo's images-by-semver reads them. */
struct wn__semver_con;
/* WN_OK, or WN_EINVAL with why (a sentence naming the part that is wrong). */
int wn__semver_con_parse(struct wn__semver_con **out, const char *text, char *why, size_t n);
/* Does the tag, read as Masterminds' NewVersion reads it (loose: "v1", "1.2", "3.12.0-alpine"), pass? */
bool wn__semver_con_check(const struct wn__semver_con *c, const char *tag);
void wn__semver_con_free(struct wn__semver_con *c);
/* Compiles a Go (RE2) regular expression, as skopeo's images-by-tag-regex reads it, into a
 * POSIX ERE (REG_NOSUB) matching the same tags: \d \w \s, (?:...), (?i), lazy quantifiers,
 * escapes in brackets.  What has no POSIX form is refused: WN_EINVAL with why. */
int wn__re2_compile(regex_t *re, const char *expr, char *why, size_t n);

enum wn__sel_kind { WN__SEL_REFS, WN__SEL_ALL, WN__SEL_REGEX, WN__SEL_SEMVER };

/* One entry of a registry: a repository and how its images are chosen. */
struct wn__sync_sel {
	enum wn__sel_kind kind;
	char *repo;                 /* as written under the registry */
	char *name;                 /* "registry/repository", normalised (docker.io/library/...) */
	struct wn_strlist refs;     /* REFS: tags and digests, as written */
	char *expr;                 /* REGEX, SEMVER: as written */
	regex_t re;                 /* REGEX */
	bool has_re;
	struct wn__semver_con *con; /* SEMVER */
};

/* One registry of the file, with its options. */
struct wn__sync_reg {
	char *name;                 /* the key as written ("registry.example.com") */
	struct wn__sync_sel *sels;
	size_t n_sels;
	char *username, *password;  /* credentials (both NULL: none given) */
	int tls_verify;             /* -1: not given */
	char *cert_dir;             /* NULL: none given */
	/* winch's own keys (under `winch:`) */
	char *prefix;               /* under DEST for this registry's images; NULL: none */
	struct wn_strlist platforms;/* none: the command line's choice */
	int referrers, prune, plain_http; /* -1: the command line's choice */
	long rate_floor;            /* -2: the command line's choice */
};

struct wn_sync_config {
	char *name;                 /* the file, for messages */
	struct wn__sync_reg *regs;
	size_t n_regs;
	bool repo_source;           /* --src docker: one repository (or image) */
};

void wn__sync_reg_clear(struct wn__sync_reg *r);
/* Adds a selection of `repo` under r (name checked and normalised); WN_EINVAL with why. */
int wn__sync_sel_add(struct wn__sync_reg *r, enum wn__sel_kind kind, const char *repo, struct wn__sync_sel **out,
                     char *why, size_t n);

#endif
