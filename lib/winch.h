/*
 * winch.h: the public API of libwinch, the only header the winch tool includes.
 *
 * Conventions: functions are wn_<noun>_<verb>(); what comes back through an
 * `out` parameter belongs to the caller and is released with wn_<noun>_free()
 * (NULL is a no-op).  On failure *out is NULL, nothing leaks, and the context
 * (or the struct wn_error passed to a pure function) holds a one-line message.
 * The library never prints and never exits.
 */
#ifndef WINCH_H
#define WINCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(WN_BUILDING_SO)
#define WN_API __attribute__((visibility("default")))
#else
#define WN_API
#endif

#define WN_VERSION "0.1.0"

/* Append-only: numbers never change meaning.  They are not exit codes. */
enum wn_err {
	WN_OK = 0,
	WN_ERROR,       /* anything not named below */
	WN_EINVAL,      /* bad input from the caller: a reference, a flag value */
	WN_ENOMEM,
	WN_ENOTFOUND,   /* manifest, tag, repository or blob unknown */
	WN_EAUTH,       /* authentication required or credentials rejected */
	WN_EDENIED,     /* authenticated but not allowed */
	WN_ERATELIMIT,  /* 429 after the retries */
	WN_ENET,        /* connection refused, DNS, timeouts, broken transfers */
	WN_ETLS,        /* certificate not trusted, handshake failed */
	WN_EDIGEST,     /* content does not match its digest */
	WN_EUNSUPPORTED,/* a media type, algorithm or feature winch or the registry does not do */
	WN_EIO,         /* local files */
	WN_EPROTO,      /* the registry answered something that makes no sense */
	WN_ECONFIG,     /* a configuration file or credential helper is broken */
	WN_EPARTIAL,    /* some targets of a multi-target operation failed */
	WN_ECORRUPT,    /* content is malformed (bad JSON manifest, bad archive) */
	WN_ECANCELED,
	WN_EREFUSED,    /* a safety check stopped it (e.g. a delete that would take other tags) */
	WN_ENOAPI,      /* the registry does not offer this API (DELETE, catalog, referrers): the
	                   message says which, and what to use instead */
	WN_ESIGNATURE,  /* no valid signature: the image is unsigned, or no signature verifies */
	WN__ERR_COUNT
};

/* A short stable name for an error code ("not-found", "auth", ...). */
WN_API const char *wn_err_name(enum wn_err code);

/* The longest message, NUL included: room for the longest realistic one (two
 * sha512 digests and two long references, each up to 1024 characters in
 * winch, are well under it).  A longer one is cut at a space and ends " ...",
 * never inside a digest or a name. */
#define WN_ERRMSG_MAX 2048

/* Errors of functions that run without a context. */
struct wn_error {
	enum wn_err code;
	char msg[WN_ERRMSG_MAX];
};

/* ---- logging ---------------------------------------------------------- */
enum wn_log_level { WN_LOG_ERROR = 0, WN_LOG_WARN = 1, WN_LOG_INFO = 2, WN_LOG_DEBUG = 3, WN_LOG_TRACE = 4 };
/* Messages never contain secrets: Authorization values, tokens and passwords are "<redacted>". */
typedef void (*wn_log_fn)(void *data, enum wn_log_level level, const char *msg);

/* ---- context ---------------------------------------------------------- */
struct wn_ctx;

struct wn_ctx_options {
	int tls_verify;          /* 1 (default): verify certificates; 0: skip verification */
	int plain_http;          /* 1: use http:// for every registry */
	const char *cert_dir;    /* a directory with ca.crt / *.crt, client.cert, client.key */
	const char *certs_d;     /* colon-separated roots holding HOST[:PORT]/ dirs; NULL: the system's */
	const char *authfile;    /* a containers-auth.json / config.json to use first */
	const char *creds;       /* "user:password" (or "user" for an empty password) */
	const char *user_agent;  /* NULL: "winch/VERSION" */
	long helper_timeout_ms;  /* credential helpers; 0: 10 s */
	int http2;               /* 1: let libcurl negotiate HTTP/2; 0 (default): HTTP/1.1 */
	wn_log_fn log;
	void *log_data;
	enum wn_log_level log_level;
	/* When set and non-zero (a signal handler sets it), running calls stop at
	 * the next chance, remove what they had started to write, and return
	 * WN_ECANCELED.  NULL: never. */
	const volatile int *cancel;
	/* Time limits of each request, in milliseconds; 0: the default in brackets.
	 * Connecting fails after connect_timeout_ms [30000].  Any transfer that
	 * moves less than 1 KiB/s for stall_timeout_ms [60000] fails (blobs too).
	 * A small request (manifest, token, tag page, HEAD, DELETE: not a blob
	 * transfer) fails when it takes longer than request_timeout_ms [60000]. */
	long connect_timeout_ms;
	long stall_timeout_ms;
	long request_timeout_ms;
};
#define WN_CTX_OPTIONS_INIT { 1, 0, NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL, WN_LOG_WARN, NULL, 0, 0, 0 }

WN_API int wn_ctx_new(struct wn_ctx **out, const struct wn_ctx_options *opts);
WN_API void wn_ctx_free(struct wn_ctx *ctx);
/* The message of the last failure on this context ("" if none). */
WN_API const char *wn_ctx_errmsg(const struct wn_ctx *ctx);
WN_API enum wn_err wn_ctx_errcode(const struct wn_ctx *ctx);
/* How many HTTP requests the context sent so far (for -v summaries and tests). */
WN_API unsigned long wn_ctx_request_count(const struct wn_ctx *ctx);

/* ---- references ------------------------------------------------------- */
struct wn_ref {
	char *registry;    /* "docker.io", "ghcr.io", "127.0.0.1:5000" */
	char *repository;  /* "library/ubuntu" */
	char *tag;         /* NULL when the reference has none */
	char *digest;      /* NULL when the reference has none */
};
/* Flags for wn_ref_parse. */
#define WN_REF_DEFAULT_TAG 0x1  /* no tag and no digest: tag becomes "latest" */
#define WN_REF_NAME_ONLY   0x2  /* a repository: a tag or digest is an error */

/* Parses with Docker's normalisation ("ubuntu" -> docker.io/library/ubuntu).
 * A "docker://" prefix is accepted. */
WN_API int wn_ref_parse(struct wn_ref **out, const char *s, unsigned flags, struct wn_error *err);
/* "registry/repository[:tag][@digest]"; caller frees with free(). */
WN_API char *wn_ref_string(const struct wn_ref *ref);
/* "registry/repository"; caller frees with free(). */
WN_API char *wn_ref_name(const struct wn_ref *ref);
WN_API int wn_ref_dup(struct wn_ref **out, const struct wn_ref *ref);
WN_API void wn_ref_free(struct wn_ref *ref);
/* Validates a registry host[:port] as a reference's domain and normalises
 * Docker Hub's aliases; caller frees the result with free(). */
WN_API int wn_registry_normalize(char **out, const char *s, struct wn_error *err);

/* ---- digests ---------------------------------------------------------- */
#define WN_DIGEST_MAX 136  /* "sha512:" + 128 hex + NUL, rounded */
/* WN_OK for a well-formed sha256:/sha512: digest (lower-case hex of the right length). */
WN_API int wn_digest_validate(const char *s, struct wn_error *err);
/* sha256 digest of a buffer, as "sha256:<hex>". */
WN_API void wn_digest_sha256(char out[WN_DIGEST_MAX], const void *data, size_t len);

struct wn_hasher;
/* A streaming hasher for the algorithm of `digest` ("sha256:..." or "sha512:..."),
 * or of an algorithm name ("sha256"). */
WN_API int wn_hasher_new(struct wn_hasher **out, const char *alg_or_digest, struct wn_error *err);
WN_API void wn_hasher_update(struct wn_hasher *h, const void *data, size_t len);
/* Writes "alg:hex" into out. The hasher can no longer be updated. */
WN_API void wn_hasher_final(struct wn_hasher *h, char out[WN_DIGEST_MAX]);
WN_API void wn_hasher_free(struct wn_hasher *h);

/* ---- media types ------------------------------------------------------ */
#define WN_MT_OCI_MANIFEST    "application/vnd.oci.image.manifest.v1+json"
#define WN_MT_OCI_INDEX       "application/vnd.oci.image.index.v1+json"
#define WN_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define WN_MT_DOCKER_LIST     "application/vnd.docker.distribution.manifest.list.v2+json"
#define WN_MT_DOCKER_V1       "application/vnd.docker.distribution.manifest.v1+json"
#define WN_MT_DOCKER_V1_SIGNED "application/vnd.docker.distribution.manifest.v1+prettyjws"

/* ---- manifests -------------------------------------------------------- */
struct wn_platform {
	char *os;
	char *architecture;
	char *variant;     /* NULL if none */
	char *os_version;  /* NULL if none */
};

struct wn_descriptor {
	char *media_type;
	char *digest;
	int64_t size;
	char *artifact_type;          /* NULL if none */
	struct wn_platform *platform; /* NULL if none (index entries only) */
	char **annotation_keys;       /* the descriptor's annotations, in the document's order */
	char **annotation_values;
	size_t n_annotations;
};

struct wn_manifest {
	unsigned char *data;  /* the exact bytes, as received */
	size_t len;
	char *media_type;     /* from the body, else the Content-Type it came with */
	char digest[WN_DIGEST_MAX];  /* sha256 of data */
	int is_index;         /* OCI index or Docker manifest list */
	struct wn_descriptor config;  /* images only */
	struct wn_descriptor *layers; /* images only */
	size_t n_layers;
	struct wn_descriptor *manifests; /* indexes only */
	size_t n_manifests;
	char *artifact_type;          /* NULL if none */
	struct wn_descriptor *subject;/* NULL if none */
	char **annotation_keys;       /* the manifest's own annotations, in the document's order */
	char **annotation_values;
	size_t n_annotations;
};

/* Parses manifest bytes (copied). content_type may be NULL. Schema 1 is WN_EUNSUPPORTED. */
WN_API int wn_manifest_parse(struct wn_manifest **out, const void *data, size_t len,
                             const char *content_type, struct wn_error *err);
/* Fetches the manifest a reference names.  A digest in the reference is checked
 * against the bytes; with a tag, the digest is computed from them. */
WN_API int wn_manifest_get(struct wn_manifest **out, struct wn_ctx *ctx, const struct wn_ref *ref);
/* HEAD: the digest, media type and size, without the body (a GET when the
 * registry gives no digest on HEAD).  Any out pointer may be NULL. */
WN_API int wn_manifest_head(struct wn_ctx *ctx, const struct wn_ref *ref, char digest[WN_DIGEST_MAX],
                            char **media_type, int64_t *size);
WN_API void wn_manifest_free(struct wn_manifest *m);
/* The value of a descriptor's annotation; NULL when it has none of that name. */
WN_API const char *wn_descriptor_annotation(const struct wn_descriptor *d, const char *key);

/* ---- platforms -------------------------------------------------------- */
/* Parses "os/arch[/variant]" with Docker's normalisation (linux/arm64 = linux/arm64/v8,
 * linux/arm = linux/arm/v7, x86_64 = amd64, aarch64 = arm64). Clear with wn_platform_clear. */
WN_API int wn_platform_parse(struct wn_platform *out, const char *s, struct wn_error *err);
WN_API bool wn_platform_match(const struct wn_platform *want, const struct wn_platform *have);
/* "os/arch[/variant]"; caller frees. */
WN_API char *wn_platform_string(const struct wn_platform *p);
WN_API void wn_platform_clear(struct wn_platform *p);
/* For an index entry that is an attestation manifest as docker buildx stores them
 * (platform unknown/unknown, annotation "vnd.docker.reference.type":
 * "attestation-manifest"), the digest of the image it describes
 * ("vnd.docker.reference.digest", "" when it names none); NULL for every other entry.  Such an entry
 * is not a platform: it goes with its image. */
WN_API const char *wn_descriptor_attests(const struct wn_descriptor *d);

/* ---- copy ------------------------------------------------------------- */
struct wn_verify_options; /* signatures, below */
struct wn_copy_progress {
	uint64_t bytes_done, bytes_total;   /* over the blobs that need sending */
	unsigned blobs_done, blobs_total;
};
typedef void (*wn_copy_progress_fn)(void *data, const struct wn_copy_progress *p);

struct wn_copy_options {
	unsigned jobs;                   /* blobs transferred at once; 0: 4 */
	const char *const *platforms;    /* NULL-terminated "os/arch[/variant]"; NULL: every platform */
	size_t chunk_size;               /* blobs larger than this go in PATCH chunks where taken; 0: none asked for */
	int referrers;                   /* also copy signatures, SBOMs and attestations of the image */
	wn_copy_progress_fn progress;    /* called from several threads, one at a time */
	void *progress_data;
	int dest_format;                 /* enum wn_format: the media types the destination gets */
	struct wn_ctx *dest_ctx;         /* the destination's context; NULL: ctx for both sides (see wn_copy) */
	int no_clobber;                  /* refuse (WN_EREFUSED) to move a destination tag that exists and
	                                    holds another manifest: nothing is sent */
	const struct wn_verify_options *verify; /* copy only an image that verifies (wn_verify), by the
	                                    digest verified, with its signatures; else WN_ESIGNATURE */
	int no_resume;                   /* keep no resume journals and use none: see wn_copy */
};
#define WN_COPY_OPTIONS_INIT { 0, NULL, 0, 0, NULL, NULL, 0, NULL, 0, NULL, 0 }

/* A copy's manifests: as they are (their digests kept), or converted to one
 * format's media types as `skopeo copy --format` converts them (manifests,
 * config and layer descriptors, index entries; no blob changes, the config's
 * bytes included): the manifests' digests change.  What the target format
 * cannot hold is WN_EUNSUPPORTED: going to Docker, a non-image manifest (an
 * attestation), zstd or encrypted layers. */
enum wn_format { WN_FORMAT_KEEP = 0, WN_FORMAT_OCI, WN_FORMAT_DOCKER };

struct wn_copy_result {
	char digest[WN_DIGEST_MAX];      /* the top manifest at the destination */
	int up_to_date;                  /* the destination already held it: nothing was sent */
	unsigned blobs_copied, blobs_skipped, blobs_mounted, manifests_put, referrers;
	uint64_t bytes_copied;
	int by_digest;                   /* no tag was written: the destination holds it by digest only */
	int converted;                   /* dest_format changed the manifests: digest is not the source's */
	char source_digest[WN_DIGEST_MAX]; /* the source's top manifest (with platforms picked) */
};

/* Copies the image (or index) SRC names to DST.  SRC and DST are locations:
 * a registry reference, with or without "docker://".  Blobs go first (in
 * parallel, verified while they stream), manifests last, children before
 * their index; a destination tag that already holds the result is left alone.
 * DST without a tag takes SRC's tag; when SRC names a digest and no tag, the
 * image goes by digest only (out->by_digest), never under a default tag.
 *
 * Two identities: with opts->dest_ctx, ctx is the source's context and
 * dest_ctx the destination's.  Each side's requests then use only its own
 * context's credentials, TLS settings, tokens and learned schemes (one
 * registry may be both sides, with two users); the destination's context is
 * never asked to read the source, except that on one registry a blob is
 * first mounted from the source repository with the destination's
 * credentials (a refused mount is uploaded instead, and after one blob that
 * does not mount the others are uploaded at once).  Either context's cancel
 * flag stops the whole copy.  Errors are reported on ctx.  The two contexts
 * must not be used by other threads meanwhile.  wn_copy_all_tags takes
 * dest_ctx the same way.
 *
 * Resume: unless opts->no_resume, a journal under $XDG_STATE_HOME/winch
 * (else ~/.local/state/winch) follows each blob in flight: an upload's
 * session URL after every chunk the registry acknowledged (a blob larger than
 * WN__UP_RESUME_CHUNK, 128 MiB, goes in chunks of that size where the
 * registry takes them), a layout's or oci-archive's partial download and the
 * digest of its bytes so far.  A copy killed outright (SIGKILL, a crash)
 * leaves them; the next copy of the same blob to the same place continues
 * from where the registry says the session stands, or from the bytes on disk
 * once they hash to what the journal recorded, and otherwise starts the blob
 * again.  The final digest check stays.  Finished, failed and interrupted
 * transfers remove their journals; those of runs that are gone are removed
 * after a week (a download's also when its partial file is gone). */
WN_API int wn_copy(struct wn_copy_result *out, struct wn_ctx *ctx, const char *src, const char *dst,
                   const struct wn_copy_options *opts);

/* Called once per tag by wn_copy_all_tags: rc is the tag's result, msg its error. */
typedef void (*wn_copy_tag_fn)(void *data, const char *tag, int rc, const char *msg,
                               const struct wn_copy_result *res);
/* Mirrors every tag of SRC_REPO (those matching the POSIX ERE `match`, if given) to
 * DST_REPO, opts->jobs tags at once (a blob they share is sent once).  A tag already
 * mirrored costs two requests and sends nothing.  Results come to `each` in tag order.
 * Returns WN_EPARTIAL when some tags failed (the others are copied), WN_ENOTFOUND
 * (`each` never called) when no tag is selected: the repository has none, or none
 * matches. */
WN_API int wn_copy_all_tags(struct wn_ctx *ctx, const char *src_repo, const char *dst_repo, const char *match,
                            const struct wn_copy_options *opts, wn_copy_tag_fn each, void *data);

/* ---- tags and deletion ------------------------------------------------ */
WN_API int wn_tag_validate(const char *tag, struct wn_error *err);
/* Points each of tags[0..n) (in ref's repository) at the manifest ref names.
 * No blob moves: one GET, then one PUT per tag. digest (may be NULL) gets its digest. */
WN_API int wn_tag_add(struct wn_ctx *ctx, const struct wn_ref *ref, const char *const *tags, size_t n,
                      char digest[WN_DIGEST_MAX]);

struct wn_delete_options {
	int image;    /* given a tag, delete its manifest (and every tag on it), not just the tag */
	int force;    /* delete a manifest even when other tags point at it */
	int dry_run;  /* decide and report, change nothing */
	const char *api;     /* as in struct wn_cleanup_options: NULL from the registry host */
	const char *api_url;
};
enum wn_delete_what { WN_DELETE_TAG = 1, WN_DELETE_MANIFEST = 2 };
struct wn_delete_result {
	enum wn_delete_what what;
	char digest[WN_DIGEST_MAX];     /* the manifest the reference named */
	struct wn_strlist *tags_removed;/* the tags that go (all of them for a manifest) */
	const char *method;             /* how, a stable name: "tag-delete" (the OCI tag DELETE),
	                                   "placeholder" (the tag moved to a placeholder manifest, which
	                                   is deleted), "manifest-delete"; NULL in a dry run */
	int dry_run;
	char *refused;                  /* dry run: the message the real run would refuse with (WN_EREFUSED);
	                                   NULL when it would go ahead */
	const char *api;                /* "registry", or the vendor API that deleted ("hub", "github", ...) */
};
/* Given a tag: removes that tag only (the OCI tag DELETE, else a placeholder
 * manifest of its own that is then deleted), so the image and its other tags
 * stay.  Given a digest, or a tag with opts->image: deletes the manifest,
 * refusing (WN_EREFUSED) when tags other than the one named would go too,
 * unless opts->force.  WN_EUNSUPPORTED when the registry has deletion disabled.
 * A dry run decides the same way and reports, with WN_OK: a refusal is in
 * (*out)->refused, and the caller treats it as the real run's WN_EREFUSED. */
WN_API int wn_delete(struct wn_delete_result **out, struct wn_ctx *ctx, const struct wn_ref *ref,
                     const struct wn_delete_options *opts);
WN_API void wn_delete_result_free(struct wn_delete_result *r);

/* ---- multi-platform indexes -------------------------------------------- */
/* Builds an index at dest (a tag) from images: each source is "REF" or
 * "REF=OS/ARCH[/VARIANT]" (the platform otherwise comes from the image's
 * config; an index source adds all of its platforms).  Images in another
 * repository are copied into dest's first.  With append, dest's current
 * index (or image) is the start, and an entry for a platform already there
 * replaces it.  digest gets the new index's digest. */
WN_API int wn_index_build(struct wn_ctx *ctx, const char *dest, const char *const *sources, size_t n, int append,
                          char digest[WN_DIGEST_MAX]);

/* ---- retention policies (a pure function: no I/O) --------------------- */
enum wn_tag_status { WN_TAGGED = 1, WN_UNTAGGED, WN_ANY };
enum wn_count_type { WN_COUNT_MORE_THAN = 1, WN_SINCE_PUSHED };
struct wn_policy_rule {
	int priority;
	char *description;
	enum wn_tag_status status;
	int patterns;             /* list holds tagPatternList ('*' wildcards), else tagPrefixList */
	char **list;
	size_t n_list;
	enum wn_count_type type;
	int count;                /* images, or days */
};
struct wn_policy {
	int ecr;                  /* rules (an ECR lifecycle policy), else the flags below */
	struct wn_policy_rule *rules;  /* sorted by priority */
	size_t n_rules;
	int keep;                 /* flags: keep the newest N selected tags; -1: no limit */
	int older_than_days;      /* flags: expire selected tags older than this; -1: any age */
	char *match, *exclude;    /* flags: which tags are selected (POSIX EREs; NULL: all, none) */
	char *protect;            /* both: tags never expired (their images stay) */
	int untagged;             /* flags: untagged images too, a selection of their own judged by keep and
	                             older_than (without either: all of them), where the API lists them */
	int expire_undated;       /* both: images without a believable time count as the oldest (see below) */
	int untagged_only;        /* flags: untagged images alone (no tag is selected): GitHub's
	                             delete-package-versions with delete-only-untagged-versions */
};
/* Parses an ECR lifecycle policy; unknown keys and rule shapes are errors naming them. */
WN_API int wn_policy_parse_ecr(struct wn_policy **out, const void *data, size_t len, struct wn_error *err);
WN_API void wn_policy_free(struct wn_policy *p);

struct wn_ret_image {
	const char *digest;
	char *const *tags;
	size_t n_tags;
	int64_t created;          /* unix seconds; see wn_ret_time_known */
};
/* Is `created` a time to judge an image by at `now`?  Not before 2000-01-01
 * (-1 "unknown", and the 1970 epoch that reproducible builds -- ko, Bazel
 * rules_oci, apko, Nix -- write), nor more than a day ahead of now.  An image
 * without one is "undated": unless the policy has expire_undated, no age or
 * count rule expires it, and count rules leave it out of their ranking;
 * with expire_undated it counts as older than every dated image. */
WN_API bool wn_ret_time_known(int64_t created, int64_t now);
struct wn_ret_result {
	int rule;                 /* the expiring rule's index (flags: 0); -1 when kept */
	int expire_image;         /* every tag of the image expires */
	unsigned char *expired_tags; /* one per tag */
};
/* Decides, for images[0..n) at time now, what expires (see retention.c for the rules). */
WN_API int wn_policy_evaluate(struct wn_ret_result **out, const struct wn_policy *p,
                              const struct wn_ret_image *const *images, size_t n, int64_t now, struct wn_error *err);
WN_API void wn_ret_result_free(struct wn_ret_result *r, size_t n);

/* ---- cleanup: a repository's plan, and applying it ---------------------- */
struct wn_cleanup_item {
	char *digest;                /* NULL for a referrer until applied */
	struct wn_strlist *tags;     /* the tags that go */
	int delete_manifest;         /* the manifest goes (and with it these tags); else the tags alone */
	int referrer;                /* a signature, SBOM or attestation of a deleted image */
	char *reason;                /* which rule, and why the manifest stays if it does */
	char *created;               /* the time the policy judged by */
	char *result;                /* after applying: "deleted", "already gone", "skipped: ...", an error */
	char *parent;                /* what it goes with, deleted first: for a referrer its subject, for a
	                                manifest of a deleted index (a platform manifest or an attestation,
	                                tagged or not) that index; NULL for the others */
	char *id;                    /* the vendor API's id for it (a GitHub package version's); NULL */
	const char *time_from;       /* where `created` came from: "push" (the vendor API's push time),
	                                "annotation", "config"; "" when none */
};
struct wn_cleanup_plan {
	char *repository;
	struct wn_cleanup_item *items;
	size_t n_items;
	size_t images, kept_tags, manifests, tags;
	size_t from_config, from_annotation, unknown_time; /* where "created" came from; unknown: undated */
	char *note;                  /* e.g. why untagged manifests cannot be seen */
	size_t failed;               /* after applying */
	size_t children, referrers;  /* untagged manifests of deleted indexes, and referrers, that go too */
	size_t implausible_time;     /* of unknown_time: a time was stated, but not one to believe */
	/* after applying: what was done, item by item (a manifest kept but its planned tags removed
	 * counts in skipped, its tags in done_tags) */
	int applied;
	size_t done_manifests, done_children, done_referrers, done_tags, skipped, gone;
	char *api;                   /* the vendor API that listed the repository and deletes ("hub", "github",
	                                "ecr", "harbor"); NULL: the registry API */
	char *api_url;               /* its URL */
	size_t from_push;            /* times that are the vendor API's push times */
	size_t untagged;             /* images without a tag the API listed */
};
/* Reads the repository (tags, manifests, index children, referrer tags, created
 * times when the policy needs them), `jobs` requests at once, and decides with
 * `policy` at time `now` (unix seconds).  A deleted index takes its untagged
 * children (platform manifests, attestations) that nothing kept references. */
WN_API int wn_cleanup_plan_make(struct wn_cleanup_plan **out, struct wn_ctx *ctx, const char *repository,
                                const struct wn_policy *policy, int64_t now, unsigned jobs);
/* How a plan is made: through which API (see wn_cleanup_plan_make_opts). */
struct wn_cleanup_options {
	unsigned jobs;               /* requests at once while reading; 0: 4 */
	const char *api;             /* "registry", "hub", "github", "ecr", "harbor"; NULL: from the registry host
	                                (docker.io, ghcr.io and ECR hosts have theirs; elsewhere the registry API) */
	const char *api_url;         /* the vendor API's URL (GitHub Enterprise, a Harbor host, tests); NULL: the default */
	int dry_run;                 /* deletions will not follow: no permission is checked up front */
};
#define WN_CLEANUP_OPTIONS_INIT { 0, NULL, NULL, 0 }
/* wn_cleanup_plan_make through a vendor API where there is one: the images come
 * from its listing with their push times (the plan says which time each image
 * was judged by), untagged ones too where it lists them; a policy it cannot
 * honour (an untagged rule where untagged images are not listed) is WN_ENOAPI
 * naming the rule, before anything is read.  The plan records the API, its URL
 * and the ids its deletions need. */
WN_API int wn_cleanup_plan_make_opts(struct wn_cleanup_plan **out, struct wn_ctx *ctx, const char *repository,
                                     const struct wn_policy *policy, int64_t now,
                                     const struct wn_cleanup_options *opts);
/* Carries a plan out with `jobs` requests at once: referrers before their
 * image, an index before its children (which go only when it went).  With
 * recheck (a plan made earlier) the repository is read again first (the tag
 * list, a HEAD per tag, the indexes tags point at): an item whose tag moved is
 * skipped, and a manifest that a tag outside the plan, or an index not being
 * deleted, now reaches stays (its planned tags alone go).  Items get a result
 * and the plan the counts; WN_EPARTIAL when some deletions failed. */
WN_API int wn_cleanup_apply(struct wn_ctx *ctx, struct wn_cleanup_plan *plan, unsigned jobs, int recheck);
/* Plans as JSON (deterministic order), and back. Caller frees the text with free(). */
WN_API char *wn_cleanup_plan_json(const struct wn_cleanup_plan *const *plans, size_t n, int dry_run);
WN_API int wn_cleanup_plan_parse(struct wn_cleanup_plan ***out, size_t *n, const void *data, size_t len,
                                 struct wn_error *err);
WN_API void wn_cleanup_plan_free(struct wn_cleanup_plan *p);

/* ---- blobs ------------------------------------------------------------ */
/* Downloads a small blob (capped at `max` bytes) into memory and verifies it. */
WN_API int wn_blob_get_mem(unsigned char **out, size_t *out_len, struct wn_ctx *ctx,
                           const struct wn_ref *repo, const char *digest, size_t max);

/* ---- image config ----------------------------------------------------- */
struct wn_image_config {
	char *created;        /* RFC 3339, NULL if absent */
	char *author;
	char *os;
	char *architecture;
	char *variant;
	char **env;           /* "K=V" */
	size_t n_env;
	char **label_keys;    /* sorted by key */
	char **label_values;
	size_t n_labels;
	char **diff_ids;
	size_t n_diff_ids;
	/* what the image runs (config.Cmd, config.Entrypoint): NULL when the
	 * config states none, an empty list when it states [] */
	char **cmd;
	size_t n_cmd;
	char **entrypoint;
	size_t n_entrypoint;
	char *working_dir;    /* config.WorkingDir, NULL when none or empty */
};
WN_API int wn_image_config_parse(struct wn_image_config **out, const void *data, size_t len,
                                 struct wn_error *err);
WN_API void wn_image_config_free(struct wn_image_config *c);

/* ---- inspect ---------------------------------------------------------- */
struct wn_inspect {
	struct wn_ref *ref;                 /* a registry location's reference; NULL for a local one */
	struct wn_manifest *manifest;
	struct wn_image_config *config;     /* NULL for an index or an artifact */
	unsigned char *config_raw;          /* the config blob's bytes, NULL for an index */
	size_t config_len;
	char *name;                         /* the location without its image part: "registry/repository",
	                                       "oci:DIR", "oci-archive:FILE", "docker-archive:FILE" */
	char *tag;                          /* the tag or image name the location gives; NULL: none */
	char digest[WN_DIGEST_MAX];         /* the digest of the manifest shown (a digest the location
	                                       names; with a platform, that platform's entry's) */
	char *platform;                     /* the index entry's platform a platform picked, NULL: none */
};
WN_API int wn_inspect_get(struct wn_inspect **out, struct wn_ctx *ctx, const struct wn_ref *ref);
WN_API void wn_inspect_free(struct wn_inspect *in);

/* ---- locations: the read commands on whatever copy takes -------------- */
/* A location is what wn_copy takes: a registry reference ("docker://"
 * optional; neither tag nor digest means ":latest"), "oci:DIR[:NAME]",
 * "oci-archive:FILE[:NAME]" or "docker-archive:FILE[:REF]" (the image winch
 * would push: its layers gzipped).  `platform` ("os/arch[/variant]", NULL:
 * none) picks that platform's manifest of an index as wn_copy does (Docker's
 * matching, the first entry that matches; attestation manifests are no
 * platform); a single image is taken as it is, as crane does.  A platform the
 * index lacks is WN_ENOTFOUND, naming those it has. */
/* The manifest (its exact bytes) the location names. */
WN_API int wn_location_manifest(struct wn_manifest **out, struct wn_ctx *ctx, const char *location,
                                const char *platform);
/* Its digest, media type and size (any out pointer may be NULL): for a
 * registry without a platform a HEAD, with one the index's entry (no
 * request for the child). */
WN_API int wn_location_digest(struct wn_ctx *ctx, const char *location, const char *platform,
                              char digest[WN_DIGEST_MAX], char **media_type, int64_t *size);
/* The manifest and, for an image, its config (read and verified). */
WN_API int wn_location_inspect(struct wn_inspect **out, struct wn_ctx *ctx, const char *location,
                               const char *platform);
/* The names of the images a location holds: a registry repository's tags
 * (the location names no tag or digest), a layout's or an oci-archive's image
 * names (index.json alone is read), a docker-archive's RepoTags
 * (manifest.json alone), in the source's order.  *name (may be NULL) gets
 * the location's name as in struct wn_inspect; caller frees. */
WN_API int wn_location_tags(struct wn_strlist **out, struct wn_ctx *ctx, const char *location, char **name);

/* ---- many at once ------------------------------------------------------ */
typedef int (*wn_batch_fn)(struct wn_ctx *ctx, size_t i, void *data);
typedef void (*wn_batch_done_fn)(void *data, size_t i, int rc, const char *msg);
/* Runs fn(c, i, data) for every i in [0, n), `jobs` at a time (0: 8), each on a
 * context c forked from ctx: a worker's connection is reused from one item to
 * the next, and the tokens and what was learned of each registry are shared,
 * so a list of references costs one connection (and TLS handshake) per worker
 * and one token per scope.  Every item runs whatever the others return; fn's
 * error goes on c.  done(data, i, rc, msg) follows for each item in the order
 * of i, as soon as it and every item before it are done, one call at a time
 * from any of the threads; msg is the item's error message ("" for WN_OK).  A
 * cancelled ctx hands out no more items: those left get WN_ECANCELED.
 * Returns WN_OK, or WN_ENOMEM (nothing ran). */
WN_API int wn_batch(struct wn_ctx *ctx, size_t n, unsigned jobs, wn_batch_fn fn, wn_batch_done_fn done, void *data);

/* ---- string lists ----------------------------------------------------- */
struct wn_strlist {
	char **items;
	size_t n;
	size_t cap;
};
WN_API void wn_strlist_free(struct wn_strlist *l);

/* ---- tags and catalog ------------------------------------------------- */
/* All tags of a repository, following Link pagination, in the registry's order. */
WN_API int wn_tags_list(struct wn_strlist **out, struct wn_ctx *ctx, const struct wn_ref *repo);
/* All repositories of a registry, following Link pagination. */
WN_API int wn_catalog_list(struct wn_strlist **out, struct wn_ctx *ctx, const char *registry);
/* Orders tags: "name" (byte order), "semver" (versions ascending, others after by name). */
WN_API int wn_tags_sort(struct wn_strlist *tags, const char *how, struct wn_error *err);
/* Compares two tags as versions ("v1.2.10" > "1.2.9"); non-versions sort after, by name. */
WN_API int wn_tag_semver_cmp(const char *a, const char *b);

/* ---- credentials ------------------------------------------------------ */
struct wn_creds {
	char *username;
	char *password;       /* secret: never logged */
	char *identity_token; /* secret: never logged */
	char *source;         /* where it came from, e.g. "/root/.docker/config.json" or "helper pass" */
};
/* Looks a registry's credentials up the way the docker CLI does (see README).
 * *out is NULL (and WN_OK) when none are configured. */
WN_API int wn_creds_lookup(struct wn_creds **out, struct wn_ctx *ctx, const char *registry);
WN_API void wn_creds_free(struct wn_creds *c);

/* Checks user/password against the registry (the token dance or Basic) without storing them. */
WN_API int wn_login_check(struct wn_ctx *ctx, const char *registry, const char *username,
                          const char *password);
/* Stores credentials where docker would (credential helper, else config.json written atomically).
 * *where (may be NULL) receives a description of the place; caller frees. */
WN_API int wn_creds_store(struct wn_ctx *ctx, const char *registry, const char *username,
                          const char *password, char **where);
/* For an Amazon ECR registry: a password from ECR's GetAuthorizationToken (valid
 * 12 hours; *username is "AWS"), with the AWS credentials the AWS tools would use
 * (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE and ~/.aws): no aws CLI.
 * WN_ENOTFOUND (no message) when the registry is no ECR one (by its host name, or
 * WINCH_REGISTRY_VENDOR with AWS_ENDPOINT_URL_ECR) or no AWS credentials are found.
 * The caller frees both (the password is a secret). */
WN_API int wn_login_ecr(struct wn_ctx *ctx, const char *registry, char **username, char **password);
/* Removes them; WN_ENOTFOUND when there were none. */
WN_API int wn_creds_erase(struct wn_ctx *ctx, const char *registry, char **where);

/* ---- tags, with options ------------------------------------------------ */
struct wn_tag_options {
	int no_clobber;   /* refuse (WN_EREFUSED, before any tag is written) when one of the tags
	                     exists and holds another manifest; costs one HEAD per tag */
};
#define WN_TAG_OPTIONS_INIT { 0 }
/* wn_tag_add with options.  A tag the registry keeps immutable (ECR, Harbor) is
 * WN_EREFUSED naming it, unless it already holds the manifest (then nothing is
 * written for it, and it is no error). */
WN_API int wn_tag_add_opts(struct wn_ctx *ctx, const struct wn_ref *ref, const char *const *tags, size_t n,
                           const struct wn_tag_options *opts, char digest[WN_DIGEST_MAX]);

/* ---- rate limits ------------------------------------------------------ */
/* What a registry said of its rate limit in its answer's headers: Docker Hub's
 * pull limit (ratelimit-limit: 100;w=21600, ratelimit-remaining: 76;w=21600,
 * docker-ratelimit-source: IP or account id) and the IETF draft's
 * RateLimit-Reset.  Values a registry left empty or garbled are -1. */
struct wn_ratelimit {
	int set;               /* the answer carried rate-limit headers */
	int64_t limit;         /* requests per window; -1: not stated */
	int64_t remaining;     /* left in the window; -1: not stated */
	int64_t window;        /* the window in seconds (";w="); -1: not stated */
	int64_t reset;         /* seconds until the quota resets (RateLimit-Reset); -1: not stated */
	char source[128];      /* what the limit is counted for (docker-ratelimit-source); "" if not said */
	char registry[256];    /* the registry that said it */
};
/* The rate-limit headers of the last answer that carried any (this context or
 * its forks).  Returns 1 and fills *out, or 0 when no answer carried them. */
WN_API int wn_ctx_ratelimit(const struct wn_ctx *ctx, struct wn_ratelimit *out);
/* Asks the registry with one HEAD of ref's manifest (which Docker Hub does not
 * count as a pull) and returns the rate-limit headers of that answer
 * (out->set is 0 when it carried none: no limit, or an unlimited account). */
WN_API int wn_ratelimit_get(struct wn_ratelimit *out, struct wn_ctx *ctx, const struct wn_ref *ref);

/* ---- sync: many repositories mirrored from one file ------------------- */
/* A sync source: skopeo sync's YAML file (registries, their `images`,
 * `images-by-tag-regex`, `images-by-semver`, `credentials`, `tls-verify`,
 * `cert-dir`, with skopeo's meaning) and winch's own keys under `winch:` in
 * a registry (see man winch-sync), or one repository (skopeo's --src docker). */
struct wn_sync_config;
/* Parses the YAML text; `name` (the file) is named in errors, which give
 * the line and column.  An unknown key, a regular expression or semver
 * range that does not compile, a malformed reference is WN_EINVAL. */
WN_API int wn_sync_config_parse(struct wn_sync_config **out, const void *data, size_t len, const char *name,
                                struct wn_error *err);
/* "REPO" (every tag) or "REPO:TAG" / "REPO@DIGEST" (that image), as skopeo's --src docker. */
WN_API int wn_sync_config_repo(struct wn_sync_config **out, const char *source, struct wn_error *err);
WN_API void wn_sync_config_free(struct wn_sync_config *c);

/* What happened to one image (stable names: wn_sync_result_name). */
enum wn_sync_result {
	WN_SYNC_SELECTED = 0, /* a dry run: would be checked and copied */
	WN_SYNC_COPIED,
	WN_SYNC_UP_TO_DATE,   /* the destination already held it */
	WN_SYNC_SKIPPED,      /* not started: the source's rate limit reached the floor */
	WN_SYNC_FAILED,
	WN_SYNC_PRUNED,       /* a destination tag the source selection no longer has, deleted */
	WN_SYNC_TO_PRUNE,     /* the same, in a dry run or a plan: not deleted */
};
/* "selected", "copied", "up-to-date", "skipped", "failed", "pruned", "to-prune" */
WN_API const char *wn_sync_result_name(enum wn_sync_result r);

struct wn_sync_item {
	char *source;                 /* "registry/repository:tag" or "@digest"; NULL for a pruned tag, or
	                                 "registry/repository" for a repository whose tags could not be listed */
	char *destination;            /* the same at the destination */
	enum wn_sync_result result;
	char digest[WN_DIGEST_MAX];   /* at the destination ("" when unknown) */
	char *error;                  /* failed, skipped: why; NULL otherwise */
	int code;                     /* failed: the enum wn_err */
	struct wn_copy_result copy;   /* copied: what moved */
};

struct wn_sync_progress {
	size_t total, done, copied, up_to_date, skipped, failed;
};
typedef void (*wn_sync_progress_fn)(void *data, const struct wn_sync_progress *p);

struct wn_sync_options {
	const char *destination;     /* DEST: a registry, with a path under it or not */
	int scoped;                  /* skopeo's --scoped: the whole source name under DEST, not its last part */
	int all;                     /* skopeo's --all: every platform of an index (else this machine's) */
	const char *append_suffix;   /* skopeo's --append-suffix: added to each destination tag */
	int dry_run;                 /* select and report; send nothing but the tag listings */
	unsigned jobs;               /* images at once per registry; 0: 4 */
	unsigned blob_jobs;          /* blobs at once per image; 0: 4 */
	const char *assume_immutable;/* POSIX ERE: tags that never move; held at the destination, no source request */
	int prune;                   /* delete destination tags the source selection no longer has */
	long rate_floor;             /* start no pull from a registry whose remaining quota is this or less; -1: none */
	int referrers;               /* also copy signatures, SBOMs and attestations */
	const char *const *platforms;/* NULL-terminated; NULL: --all's choice */
	int dest_format;             /* enum wn_format */
	size_t chunk_size;
	wn_sync_progress_fn progress;/* after each image, from several threads one at a time */
	void *progress_data;
	struct wn_ctx *dest_ctx;     /* the destination's context; NULL: the source's */
	const struct wn_verify_options *verify; /* the gate: copy only images that verify (wn_copy_options.verify);
	                                 one already up to date at the destination is not checked again */
};
#define WN_SYNC_OPTIONS_INIT { NULL, 0, 0, NULL, 0, 0, 0, NULL, 0, -1, 0, NULL, 0, 0, NULL, NULL, NULL, NULL }

struct wn_sync_report {
	struct wn_sync_item *items;  /* images in the file's order, then pruned tags */
	size_t n_items;
	size_t selected, copied, up_to_date, skipped, failed, pruned, to_prune;
	int rate_floor_hit;          /* some images were not started: a registry's quota reached the floor */
	struct wn_cleanup_plan **plans; /* --prune: one cleanup plan per destination repository with tags to go */
	size_t n_plans;
};
/* Mirrors what cfg selects to opts->destination: lists the tags each entry
 * needs, checks each image with a HEAD at each side (equal digests: up to
 * date, no GET), copies the others `jobs` per registry at once through one
 * context per side, and with prune deletes (plans, in a dry run) destination
 * tags that the selection's rule covers and the source no longer has, as
 * wn_cleanup_plan_make and wn_cleanup_apply do: never a manifest a kept tag
 * needs.  Every image is reported in *out.  Returns WN_OK, WN_EPARTIAL when
 * some failed, WN_ERATELIMIT when none failed but some were left for the
 * floor, or an error before anything was copied (then *out is NULL). */
WN_API int wn_sync_run(struct wn_sync_report **out, struct wn_ctx *ctx, const struct wn_sync_config *cfg,
                       const struct wn_sync_options *opts);
WN_API void wn_sync_report_free(struct wn_sync_report *r);

/* ---- signatures: cosign's, verified and made (lib/sign/) --------------- */
/* Key types cosign signs with (cosign pkg/cosign/keys.go SupportedKeyDetails, and Ed25519). */
enum wn_key_type { WN_KEY_ECDSA_P256 = 1, WN_KEY_ECDSA_P384, WN_KEY_ECDSA_P521, WN_KEY_RSA, WN_KEY_ED25519 };
struct wn_key;
/* A PEM "PUBLIC KEY" (PKIX).  Anything else is an error naming what it found. */
WN_API int wn_key_load_public(struct wn_key **out, const void *pem, size_t len, struct wn_error *err);
/* A PEM private key: PKCS#8 "PRIVATE KEY", SEC1 "EC PRIVATE KEY", PKCS#1 "RSA
 * PRIVATE KEY", or cosign's "ENCRYPTED SIGSTORE PRIVATE KEY" / "ENCRYPTED
 * COSIGN PRIVATE KEY" (scrypt + NaCl secretbox), which needs `password`. */
WN_API int wn_key_load_private(struct wn_key **out, const void *pem, size_t len, const char *password,
                               struct wn_error *err);
/* Is this PEM one of cosign's encrypted private keys (so a password is needed)? */
WN_API int wn_key_is_encrypted(const void *pem, size_t len);
WN_API int wn_key_generate(struct wn_key **out, enum wn_key_type type, int rsa_bits, struct wn_error *err);
/* The private key in cosign's format, PEM type "ENCRYPTED COSIGN PRIVATE KEY",
 * and the public key as a PEM "PUBLIC KEY"; caller frees both. */
WN_API int wn_key_export(char **private_pem, char **public_pem, const struct wn_key *k, const char *password,
                         struct wn_error *err);
WN_API enum wn_key_type wn_key_get_type(const struct wn_key *k);
WN_API const char *wn_key_type_name(enum wn_key_type t);  /* "ecdsa-p256", "rsa", "ed25519" ... */
WN_API void wn_key_free(struct wn_key *k);

/* A sigstore trusted_root.json (Rekor keys, Fulcio CAs). */
struct wn_trusted_root;
WN_API int wn_trusted_root_parse(struct wn_trusted_root **out, const void *data, size_t len, struct wn_error *err);
WN_API void wn_trusted_root_free(struct wn_trusted_root *r);

struct wn_verify_options {
	const struct wn_key *key;              /* a key; NULL: keyless (certificate identity below) */
	const struct wn_trusted_root *trusted_root; /* verifies Rekor SETs offline, and Fulcio chains */
	int ignore_tlog;                       /* accept a signature without a verified Rekor entry */
	const char *cert_identity;             /* keyless: the certificate's SAN, exactly */
	const char *cert_identity_regexp;      /* ... or matching this POSIX ERE */
	const char *cert_oidc_issuer;          /* keyless: the OIDC issuer extension, exactly */
	const char *cert_oidc_issuer_regexp;
	int allow_reference_mismatch;          /* accept a docker-reference other than the reference verified */
	const char *const *annotations;        /* NULL-terminated "key=value" the signature must carry */
	const char *platform;                  /* verify this platform's manifest of an index; NULL: the index */
	const char *signature_repository;      /* where signatures are (COSIGN_REPOSITORY); NULL: the image's */
};
#define WN_VERIFY_OPTIONS_INIT { NULL, NULL, 0, NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL }

/* One signature found, and why it was accepted or rejected. */
struct wn_signature_check {
	char *source;          /* "sha256-HEX.sig layer 1" or "referrer sha256:..." */
	char *format;          /* "cosign-sig" (the .sig tag) or "sigstore-bundle" (a v0.3 bundle referrer) */
	int valid;
	char *reason;          /* why rejected, or what was checked when accepted */
	char *scheme;          /* the signature scheme that verified ("ecdsa-p256-sha256"), NULL if none */
	char *reference;       /* the docker-reference it claims (cosign-sig), NULL if none */
	char *identity, *issuer; /* keyless: the certificate's SAN and OIDC issuer */
	char *tlog;            /* "verified", "ignored" (--insecure-ignore-tlog) or NULL when not reached */
	int64_t log_index, integrated_time; /* of the Rekor entry, -1 when none */
};
struct wn_verify_result {
	char *reference;                 /* the location verified, normalised */
	char digest[WN_DIGEST_MAX];      /* the manifest digest the signatures must name */
	struct wn_signature_check *sigs;
	size_t n_sigs, n_valid;
};
/* Finds the signatures of the image `location` names (cosign's sha256-HEX.sig
 * tag and sigstore v0.3 bundles among its referrers) and checks each.
 * WN_OK when at least one is valid; WN_ESIGNATURE (with *out filled, each
 * signature's reason in it) when none is; other errors when the image or its
 * signatures could not be read (*out NULL). */
/* Are these options complete (a key or an identity and issuer, not both; a
 * trusted root or ignore_tlog; a trusted root for keyless)?  WN_EINVAL naming
 * what is missing, in the command line's words.  wn_verify, wn_copy and
 * wn_sync_run check it first. */
WN_API int wn_verify_options_check(const struct wn_verify_options *o, struct wn_error *err);
WN_API int wn_verify(struct wn_verify_result **out, struct wn_ctx *ctx, const char *location,
                     const struct wn_verify_options *opts);
WN_API void wn_verify_result_free(struct wn_verify_result *r);

struct wn_sign_options {
	const struct wn_key *key;
	const char *const *annotations;  /* NULL-terminated "key=value": the payload's "optional" */
	int bundle;                      /* also push a sigstore v0.3 bundle as an OCI referrer */
	int no_sig_tag;                  /* only the bundle, no sha256-HEX.sig */
	const char *platform;            /* sign this platform's manifest of an index */
	const char *signature_repository;/* COSIGN_REPOSITORY */
};
#define WN_SIGN_OPTIONS_INIT { NULL, NULL, 0, 0, NULL, NULL }
struct wn_sign_result {
	char digest[WN_DIGEST_MAX];      /* the image signed */
	char *sig_tag;                   /* the .sig tag written, NULL if none */
	char sig_manifest[WN_DIGEST_MAX];/* its manifest ("" if none) */
	char bundle_manifest[WN_DIGEST_MAX]; /* the bundle referrer ("" if none) */
	int already;                     /* the .sig tag held this very signature already */
};
/* Signs the image a registry reference names: cosign's .sig tag (a layer
 * added to those already there) and, with opts->bundle, a v0.3 bundle
 * referrer.  No transparency log: nothing leaves but the registry requests. */
WN_API int wn_sign(struct wn_sign_result *out, struct wn_ctx *ctx, const char *reference,
                   const struct wn_sign_options *opts);
WN_API void wn_sign_result_clear(struct wn_sign_result *r);

#ifdef __cplusplus
}
#endif
#endif
