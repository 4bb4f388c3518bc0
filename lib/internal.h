/*
 * internal.h: what the files of lib/ share and the tool never sees.
 * Cross-file helpers are named wn__<noun>_<verb>().
 */
#ifndef WN_INTERNAL_H
#define WN_INTERNAL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <sys/types.h>
#include <curl/curl.h>
#include <cjson/cJSON.h>
#include "winch.h"

#define WN__MANIFEST_MAX (4u << 20)  /* the distribution spec's manifest limit */
#define WN__JSON_MAX     (8u << 20)  /* token replies, tag lists, catalogs, configs */
#define WN__ERRBODY_MAX  (64u << 10) /* error bodies are read this far, no further */

/* ---- errors ----------------------------------------------------------- */
int wn__error_set(struct wn_error *err, enum wn_err code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int wn__ctx_fail(struct wn_ctx *ctx, enum wn_err code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Copies src into dst (n bytes); a longer text is cut after its last whole
 * word and ends " ..." (as every error message is), never inside a digest. */
void wn__msg_copy(char *dst, size_t n, const char *src);
/* Copies a pure function's error onto the context and returns its code. */
int wn__ctx_take(struct wn_ctx *ctx, const struct wn_error *err);
/* Has the caller asked the running call to stop (wn_ctx_options.cancel)? */
bool wn__cancelled(const struct wn_ctx *ctx);
/* wn__cancelled, and if so the context's error says so: returns WN_ECANCELED or WN_OK. */
int wn__check_cancel(struct wn_ctx *ctx);
/* Sleeps, waking early when the call is cancelled. */
void wn__sleep_ms(const struct wn_ctx *ctx, long ms);
void wn__log(struct wn_ctx *ctx, enum wn_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- growable byte buffer with a cap ---------------------------------- */
struct wn__buf {
	unsigned char *data;
	size_t len, cap;
	size_t max;        /* 0: no limit */
	bool overflow;     /* an append went past max; data holds the first max bytes */
};
int wn__buf_append(struct wn__buf *b, const void *p, size_t n);
int wn__buf_puts(struct wn__buf *b, const char *s);
void wn__buf_free(struct wn__buf *b);
/* NUL-terminates (not counted in len). */
int wn__buf_cstr(struct wn__buf *b);

/* ---- strings ---------------------------------------------------------- */
char *wn__strdup(const char *s);       /* NULL-safe */
char *wn__strndup(const char *s, size_t n);
char *wn__sprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int wn__strlist_push(struct wn_strlist *l, const char *s);
int wn__strlist_push_owned(struct wn_strlist *l, char *s);
/* base64 (standard alphabet, padded).  decode returns NULL on malformed input. */
char *wn__b64_encode(const void *data, size_t len);
unsigned char *wn__b64_decode(const char *s, size_t *out_len);
/* Percent-encodes for a URL query value. */
char *wn__url_escape(const char *s);
/* A whole small file, capped at max bytes (NUL-terminated, not counted in *len).
 * WN_ENOTFOUND (no message) when it does not exist; other failures set ctx's error. */
int wn__file_read(struct wn_ctx *ctx, const char *path, size_t max, unsigned char **out, size_t *len);
/* Overwrites a secret before freeing it. */
void wn__free_secret(char *s);

/* ---- digests ---------------------------------------------------------- */
/* dst takes src's state (both made for the same algorithm). */
int wn__hasher_copy(struct wn_hasher *dst, const struct wn_hasher *src);

/* ---- JSON helpers ----------------------------------------------------- */
cJSON *wn__json_parse(const void *data, size_t len);
const char *wn__json_str(const cJSON *obj, const char *key); /* NULL unless a string */
/* len bytes as lowercase hex into out (size bytes, cut to fit, always terminated) (digest.c). */
void wn__hex(char *out, size_t size, const unsigned char *d, size_t len);
/* A size: a JSON number that is an integer in 0..2^63-1 (manifest.c). */
bool wn__json_size(const cJSON *v, int64_t *out);

/* ---- references ------------------------------------------------------- */
/* A copy of base naming `tag` and/or `digest` instead (either may be NULL). */
int wn__ref_at(struct wn_ref **out, const struct wn_ref *base, const char *tag, const char *digest);
/* "registry" key Docker uses for a host in config.json and helpers. */
const char *wn__registry_auth_key(const char *registry);
/* The host that serves a registry's API (docker.io -> registry-1.docker.io). */
const char *wn__registry_api_host(const char *registry);

/* ---- HTTP ------------------------------------------------------------- */
#define WN__HEADERS_MAX  (256u << 10)  /* all the header lines of one response */
#define WN__LIST_MAX     1000000u      /* tags or repositories one listing may hold */
#define WN__LIST_PAGES_MAX 10000       /* pages one listing may take */
#define WN__RETRY_AFTER_MAX 60         /* seconds of Retry-After winch waits; longer: it fails at once */

typedef size_t (*wn__sink_fn)(void *data, const void *p, size_t n); /* returns n, or 0 to abort */

struct wn__req {
	const char *method;        /* "GET", "HEAD", "PUT", ... */
	const char *registry;      /* for auth, TLS and scheme; NULL for a full URL to a non-registry */
	const char *path;          /* "/v2/..." (with the registry), or an absolute http(s) URL: never a
	                              reference from the network, which wn__url_ref resolves first */
	const char *scope;         /* token scope this request needs, e.g. "repository:a/b:pull" */
	const char *const *headers;/* extra "Name: value" lines, NULL-terminated */
	const void *body;          /* request body in memory (PUT/POST) */
	uint64_t body_len;
	wn__sink_fn sink;          /* streams a 2xx body; NULL: into resp->body */
	void *sink_data;
	size_t body_max;           /* cap for resp->body; 0: WN__JSON_MAX */
	ssize_t (*reader)(void *data, void *buf, size_t n); /* streams a request body of body_len bytes */
	void *reader_data;
	uint64_t *delivered;       /* if set: bytes handed to sink, even when the transfer broke */
	bool no_auth;              /* never send credentials (token endpoint uses its own) */
	const char *basic_user;    /* these credentials, to the first URL's origin only (login, token) */
	const char *basic_pass;
	bool stream;               /* a blob transfer (implied by sink or reader) or its commit: only the
	                              stall limit applies, not the total deadline of small requests */
	bool probe;                /* asks whether an optional API works (referrers): an answer is taken
	                              as it comes, no 429/5xx is retried and no Retry-After waited out */
	/* an API host that is not a registry (lib/vendors/): registry is NULL, path a full URL */
	const char *authorization; /* this Authorization value (a token, a signature), sent to the first
	                              URL's origin only, as basic_user is; never logged */
	const char *const *keep_headers; /* more response headers to keep, NULL-terminated names (a vendor's
	                              rate-limit headers): their values land in resp->kept, in order */
};

struct wn__resp {
	long status;
	struct wn__buf body;        /* 2xx body (unless sunk) or an error body, capped: a body that
	                               passes its cap is not read further, body.overflow says so
	                               and callers must check it */
	char *content_type;
	char *docker_digest;        /* Docker-Content-Digest */
	int64_t content_length;     /* -1 if absent or out of range */
	char *location;             /* as sent: resolve it with wn__url_ref against effective_url */
	char *link;
	char *www_authenticate;     /* every WWW-Authenticate line, in order, joined by '\n' */
	char *range;                /* upload progress: "0-N" */
	long retry_after;           /* seconds, -1 if absent or malformed */
	char *effective_url;        /* the URL that gave this answer (after redirects) */
	bool foreign;               /* that URL is on another origin (scheme, host, port) than the
	                               request's first one: no credentials went to it */
	struct wn_ratelimit ratelimit; /* its rate-limit headers (lib/registries/ratelimit.c) */
	char **kept;                /* per req->keep_headers name: its value, or NULL (NULL: none asked) */
	size_t n_kept;
};
void wn__resp_free(struct wn__resp *r);

/* Sends one request: scheme choice, auth (with one retry after a 401),
 * manual redirects (credentials only to the origin they were meant for, and
 * never again once a redirect chain left it), retries of 429/5xx and
 * connection failures for idempotent methods, time limits, and caps on
 * headers and bodies.  Returns WN_OK whenever a response arrived (whatever
 * its status); otherwise sets the context error and leaves *resp empty. */
int wn__http_do(struct wn_ctx *ctx, const struct wn__req *req, struct wn__resp *resp);
/* Turns a non-2xx response into an error on the context; `what` names the
 * object ("manifest ghcr.io/org/app:1.2").  Returns the code. */
int wn__http_fail(struct wn_ctx *ctx, const struct wn__resp *resp, const char *what);
/* Resolves a URL reference from the network (Link, Location) against the
 * URL of the answer that carried it, as RFC 3986 says, into an absolute
 * http(s) URL.  One with user info or another scheme is refused (WN_EPROTO;
 * `what` names where it came from).  Caller frees *out. */
int wn__url_ref(struct wn_ctx *ctx, const char *base, const char *ref, const char *what, char **out);
/* Do two absolute URLs have the same origin: scheme, host and port (the
 * scheme's default port when none is written)? */
bool wn__url_same_origin(const char *a, const char *b);
/* Is HOST[:PORT] "localhost" or a 127.0.0.0/8 or ::1 address literal? */
bool wn__host_is_loopback(const char *hostport);

/* ---- registry error bodies -------------------------------------------- */
struct wn__regerr {
	char code[64];      /* "MANIFEST_UNKNOWN", "" if none */
	char message[512];  /* the registry's own message (a longer one is cut at a word) */
};
/* Parses {"errors":[{"code":..,"message":..}]}; returns the number found (first kept). */
int wn__regerr_parse(struct wn__regerr *out, const void *body, size_t len);

/* ---- auth ------------------------------------------------------------- */
struct wn__challenge {
	char scheme[16];      /* "bearer" or "basic" (lower case) */
	char *realm;
	char *service;
	char *scope;          /* space-joined if several */
	char *error;          /* e.g. "insufficient_scope" */
};
/* Picks the challenge to answer from the WWW-Authenticate lines of a 401
 * (joined by '\n', as wn__resp keeps them): the first Basic or Bearer one, in
 * header order, skipping schemes winch does not speak.  A Bearer challenge
 * needs a realm that is an absolute http(s) URL with a host (WN_EPROTO);
 * none usable is WN_EUNSUPPORTED, naming the schemes offered. */
int wn__challenge_parse(struct wn__challenge *out, const char *header, struct wn_error *err);
void wn__challenge_free(struct wn__challenge *c);

struct wn__auth_state;  /* per-registry: the scheme learned, tokens per scope */
void wn__auth_state_free(struct wn__auth_state *st);
/* The Authorization header value to send proactively for (registry, scope), or NULL. Caller frees. */
char *wn__auth_header(struct wn_ctx *ctx, const char *registry, const char *scope);
/* Reacts to a 401: learns the challenge and obtains a token/credentials.
 * WN_OK means retrying the request is worthwhile. */
int wn__auth_on_401(struct wn_ctx *ctx, const char *registry, const char *scope,
                    const char *www_authenticate, bool had_auth);
/* Reacts to a 403 to a request that carried Basic credentials `sent` (the
 * Authorization value; ECR answers an expired password with 403 DENIED, not
 * 401): reads the credentials again (a helper mints a fresh password), unless
 * another transfer already did.  WN_OK when they differ from those sent, so
 * that sending the request again is worthwhile; nothing is set on the context. */
int wn__auth_on_denied(struct wn_ctx *ctx, const char *registry, const char *scope, const char *sent);
/* Checks explicit credentials: a token (Bearer) or a 2xx on /v2/ (Basic). */
int wn__auth_check(struct wn_ctx *ctx, const char *registry, const char *user, const char *pass);

/* ---- credentials ------------------------------------------------------ */
/* Runs `docker-credential-NAME verb`, writing `input` to it; stdout into *out. */
int wn__helper_run(struct wn_ctx *ctx, const char *name, const char *verb, const char *input,
                   char **out);
/* Forgets cached credentials for a registry, every repository's (after a 401 mid-operation). */
void wn__creds_forget(struct wn_ctx *ctx, const char *registry);
/* Cached lookup used by auth: the credentials for the repository the token
 * scope names first ("repository:org/app:pull"; an auth.json may scope keys
 * to repositories), else the registry's.  NULL when none.  Owned by the context. */
const struct wn_creds *wn__creds_get(struct wn_ctx *ctx, const char *registry, const char *scope);
struct wn__host;
/* Frees what wn__creds_get cached on a host (creds.c). */
void wn__host_creds_clear(struct wn__host *h);

/* ---- TLS -------------------------------------------------------------- */
struct wn__tls {
	char *ca_blob;        /* PEM: the host's own CAs (certs.d, --cert-dir); NULL if none */
	size_t ca_len;
	const char *ca_path;  /* the system's CAs as a hashed directory, looked up lazily; NULL: the bundle */
	char *client_cert;    /* paths */
	char *client_key;
};
/* Finds a host's CA and client certificates (certs.d/HOST[:PORT] or --cert-dir),
 * checking that each file holds what its name says.  Errors name the file or
 * directory (a missing --cert-dir is WN_EINVAL). */
int wn__tls_for(struct wn_ctx *ctx, const char *host, struct wn__tls **out);
void wn__tls_free(struct wn__tls *t);
/* wn__tls_for, loaded once per HOST[:PORT] and kept by the root context:
 * registries, their token servers and redirect targets alike. */
int wn__tls_get(struct wn_ctx *ctx, const char *hostport, const struct wn__tls **out);
struct wn__tls_entry;
void wn__tls_cache_free(struct wn__tls_entry *e);

/* ---- uploads: what a registry takes (lib/registries/uploads.c) ------- */
/* What one registry product is known to take, before it has said anything. */
struct wn__upload_rules {
	uint64_t chunk_max;         /* largest chunk (a PATCH with Content-Range, or any PATCH after a
	                               session's first) it takes; 0: no known limit */
	uint64_t chunk_min;         /* smallest chunk but the last; 0: none */
	bool no_chunks;             /* takes a blob in one request only (a PUT, or one streamed PATCH) */
	bool range_stuck;           /* its upload Range stops advancing while the bytes are kept: a Range
	                               behind the bytes sent is no sign of loss there */
};
/* What a run learned about one registry's uploads (struct wn__host.up). */
struct wn__upload_known {
	uint64_t body_max;          /* largest request body it took: a 413 (or a 416 on a whole blob) said
	                               the one sent was too big; 0: not known */
	uint64_t chunk_max;         /* largest chunk: a 416 on a chunk; 0: not known */
	uint64_t chunk_min;         /* the OCI-Chunk-Min-Length it announced; 0: none */
	bool no_chunks;             /* it refused a chunk, or its Range did not advance */
};
enum wn__upload_how { WN__UP_PUT, WN__UP_STREAM, WN__UP_CHUNKS };
struct wn__upload_plan {
	enum wn__upload_how how;    /* one PUT; POST + one streamed PATCH + PUT; PATCH chunks + PUT */
	uint64_t chunk;             /* WN__UP_CHUNKS: bytes per PATCH */
	bool check_range;           /* WN__UP_CHUNKS: each chunk's Range must cover the bytes sent */
};
#define WN__UP_PUT_MAX (32u << 20)    /* blobs up to this go in one PUT, larger ones in one PATCH */
#define WN__UP_CAP_FLOOR (64u << 10)  /* no smaller cap is tried: the upload fails instead */
/* How to send a blob of `size` bytes: `asked` is the chunk size the caller
 * asked for (0: none).  One request unless chunks were asked for or a learned
 * body limit needs them, and the registry takes chunks; chunks are kept
 * within what it takes (largest, smallest).  A pure function. */
void wn__upload_plan(struct wn__upload_plan *out, const struct wn__upload_rules *r, const struct wn__upload_known *k,
                     uint64_t size, uint64_t asked);
/* The cap to try after a request of `refused` bytes was refused as too big:
 * a limit the registry's message states ("exceeds ... 4.00MiB"), else the
 * largest power of two below `refused`; 0 when that is under WN__UP_CAP_FLOOR. */
uint64_t wn__upload_cap_after(uint64_t refused, const char *message);

/* ---- context internals ------------------------------------------------ */
struct wn__host {               /* what the context learned about one registry */
	char *registry;
	int scheme_known;           /* 0: not yet; 1: https; 2: http */
	struct wn__auth_state *auth;
	struct wn_creds *creds;     /* when creds_loaded and not creds_scoped: for every repository */
	int creds_loaded;
	struct wn__repo_creds *repo_creds; /* creds_scoped: per repository (see wn__creds_get) */
	int creds_scoped;
	bool no_referrers_api;      /* its referrers API was found missing or broken: not asked again */
	struct wn__host *next;
	/* uploads (blob.c): what this run learned of the registry's upload protocol; under the lock */
	struct wn__upload_known up;
	struct wn_ratelimit ratelimit; /* the last rate-limit headers it sent (under the lock) */
};

/* What a context and the contexts forked from it share: what was learned
 * about each registry (scheme, TLS files, auth scheme, tokens, credentials).
 * The lock is recursive: auth code holds it across a token request so that
 * parallel transfers ask the token server once per scope, not once each. */
struct wn__inflight;                   /* blobs being sent, see copy.c */
struct wn__shared {
	pthread_mutex_t lock;
	struct wn__host *hosts;
	struct wn__tls_entry *tls;  /* TLS files per HOST[:PORT], see tls.c */
	unsigned long requests;
	struct wn__inflight *inflight;
	pthread_cond_t inflight_done;
	struct wn_ratelimit ratelimit;  /* the last rate-limit headers seen (wn_ctx_ratelimit) */
};

struct wn_ctx {
	struct wn_ctx_options opt;
	char *cert_dir, *certs_d, *authfile, *creds, *user_agent; /* owned by the root, borrowed by forks */
	CURL *curl;                /* this context's own: one connection cache per thread */
	struct wn__shared *sh;
	struct wn_error err;       /* this context's own */
	bool is_fork;
	const volatile int *cancel_also; /* forks of a copy with two contexts: the other side's
	                                    wn_ctx_options.cancel, so either side's stops both */
};
struct wn__host *wn__ctx_host(struct wn_ctx *ctx, const char *registry);
void wn__lock(struct wn_ctx *ctx);
void wn__unlock(struct wn_ctx *ctx);
/* A context for another thread: its own curl handle and error, the parent's
 * shared state.  The parent must outlive it.  Freed with wn_ctx_free. */
int wn__ctx_fork(struct wn_ctx **out, struct wn_ctx *parent);

/* ---- sources and destinations (the transports) ----------------------- */
/* A source or destination of a copy: a registry repository now, local
 * layouts and archives later, all behind the same operations. */
struct wn__src;
struct wn__src_ops {
	/* the manifest `ref` names: a tag, or a digest "sha256:..." (checked) */
	int (*manifest_get)(struct wn__src *s, struct wn_ctx *ctx, const char *ref, struct wn_manifest **out);
	/* the blob's bytes from `offset` on, into sink; breaks are resumed inside */
	int (*blob_stream)(struct wn__src *s, struct wn_ctx *ctx, const struct wn_descriptor *d, uint64_t offset,
	                   wn__sink_fn sink, void *data);
	/* the OCI referrers index of `digest`; WN_EUNSUPPORTED when the store has no
	 * referrers API (then the tag schema is used). May be NULL. */
	int (*referrers)(struct wn__src *s, struct wn_ctx *ctx, const char *digest, struct wn_manifest **out);
	/* every tag the source holds */
	int (*tags)(struct wn__src *s, struct wn_ctx *ctx, struct wn_strlist **out);
	void (*free)(struct wn__src *s);
};
struct wn__src {
	const struct wn__src_ops *ops;
	struct wn_ref *ref;       /* registry sources only (mounts need it); NULL otherwise */
	char *name;               /* for messages */
	char *tag, *digest;       /* what the location names; both NULL: its only image */
	void *impl;               /* the transport's own state */
	char *base;               /* the location without the image it names: "registry/repository",
	                             "oci:DIR", "oci-archive:FILE", "docker-archive:FILE" */
};

struct wn__feed;
struct wn__dst;
struct wn__dst_ops {
	/* *yes when the destination already holds the blob */
	int (*blob_exists)(struct wn__dst *d, struct wn_ctx *ctx, const struct wn_descriptor *desc, bool *yes);
	/* stores the blob, reading it from feed (which verifies it); may instead
	 * mount it from `from` (then *mounted is set and feed is never read) */
	int (*blob_write)(struct wn__dst *d, struct wn_ctx *ctx, const struct wn_descriptor *desc, struct wn__feed *feed,
	                  const struct wn__src *from, bool *mounted);
	/* the digest a tag or digest resolves to; WN_ENOTFOUND when absent */
	int (*manifest_digest)(struct wn__dst *d, struct wn_ctx *ctx, const char *ref, char digest[WN_DIGEST_MAX]);
	/* stores the manifest's exact bytes under `tag`, or by digest when tag is NULL;
	 * `top` marks the last manifest of a copy (a layout lists it in index.json) */
	int (*manifest_put)(struct wn__dst *d, struct wn_ctx *ctx, const struct wn_manifest *m, const char *tag,
	                    bool top);
	/* *yes when the destination indexes referrers itself: its OCI referrers API answers
	 * an index listing referrers of `digest` (called after some were pushed, so an empty
	 * or broken answer is no API, whatever OCI-Subject said).  May be NULL. */
	int (*referrers_api)(struct wn__dst *d, struct wn_ctx *ctx, const char *digest, bool *yes);
	void (*free)(struct wn__dst *d);
};
struct wn__dst {
	const struct wn__dst_ops *ops;
	struct wn_ref *ref;       /* registry destinations only; NULL otherwise */
	char *name;
	char *tag, *digest;       /* what the location names */
	size_t chunk_size;        /* uploads larger than this go in PATCH chunks */
	bool resume;              /* keep resume journals (journal.c) while blobs move */
	bool single_image;        /* holds no index (docker-archive): the host's platform is picked */
	void *impl;
};

int wn__src_open(struct wn__src **out, struct wn_ctx *ctx, const char *location);
/* The same for the read commands: manifests and configs only (an oci-archive
 * unpacks no layer; their blob_stream fails). */
int wn__src_open_read(struct wn__src **out, struct wn_ctx *ctx, const char *location);
/* The names of the images a location holds, reading no more than it must:
 * a registry repository's tags (a location naming a tag or digest is
 * WN_EINVAL), the image names of a layout or an oci-archive (index.json
 * alone), a docker-archive's RepoTags (manifest.json alone).  *base gets the
 * location's name without an image part (see struct wn__src). */
int wn__location_names(struct wn_ctx *ctx, const char *location, struct wn_strlist **out, char **base);
int wn__layout_names(struct wn_ctx *ctx, const char *spec, struct wn_strlist **out, char **base);
/* The image names an index.json (data) gives, each once, those a layout location can name. */
int wn__layout_index_names(struct wn_ctx *ctx, const void *data, size_t len, const char *where,
                           struct wn_strlist **out);
int wn__archive_names(struct wn_ctx *ctx, const char *spec, struct wn_strlist **out, char **base);
int wn__darchive_names(struct wn_ctx *ctx, const char *spec, struct wn_strlist **out, char **base);
int wn__dst_open(struct wn__dst **out, struct wn_ctx *ctx, const char *location);
void wn__src_free(struct wn__src *s);
/* The tag a copy writes at d when d names neither tag nor digest: the
 * source's (*out NULL when it names none).  A layout takes any image name; a
 * registry only a tag, so a layout's name that is a whole reference, as podman
 * writes them ("127.0.0.1:5000/small:latest"), gives its tag ("latest" when
 * it has none), and any other name is WN_EINVAL. */
int wn__dst_default_tag(struct wn_ctx *ctx, const struct wn__src *s, const struct wn__dst *d, char **out);
void wn__dst_free(struct wn__dst *d);
int wn__registry_src_new(struct wn__src **out, struct wn_ctx *ctx, const struct wn_ref *ref);
int wn__registry_dst_new(struct wn__dst **out, struct wn_ctx *ctx, const struct wn_ref *ref);
/* "DIR[:NAME]", "DIR:@N", "DIR:@DIGEST" or "DIR@DIGEST" (the part after
 * "oci:"): DIR ends at the first ':' (see layout.c split) */
int wn__layout_src_new(struct wn__src **out, struct wn_ctx *ctx, const char *spec);
int wn__layout_dst_new(struct wn__dst **out, struct wn_ctx *ctx, const char *spec);
/* The same with the directory and what follows its ':' (NULL: nothing) apart
 * (an archive's private copy: its path may hold any character). */
int wn__layout_src_at(struct wn__src **out, struct wn_ctx *ctx, const char *dir, const char *ref);
int wn__layout_dst_at(struct wn__dst **out, struct wn_ctx *ctx, const char *dir, const char *ref);
/* Reads what follows "oci:DIR:" (or "oci-archive:FILE:"): an image name as
 * containers/image takes it (or any valid tag) into *name, "@DIGEST" into
 * *digest, "@N" (sources only) into *index (else -1).  WN_EINVAL names `where`. */
int wn__layout_ref_parse(struct wn_ctx *ctx, const char *where, const char *ref, bool dst, char **name, char **digest,
                         long *index);
/* "FILE[:REF]" (the part after "docker-archive:") */
int wn__darchive_src_new(struct wn__src **out, struct wn_ctx *ctx, const char *spec);
int wn__darchive_dst_new(struct wn__dst **out, struct wn_ctx *ctx, const char *spec);

/* ---- tar files and temporary data (archive.c) ------------------------- */
/* A tar read without unpacking: one pass checks every header (relative
 * names without "..", files and directories, and with `links` links that stay
 * inside; no name twice; size limits; a clean end) and keeps the `meta` files
 * (up to meta_max bytes each) and small files in memory.  Nothing is written,
 * except that a FILE that is no regular file (a pipe) is first copied as it
 * is into spool_dir, to be read more than once. */
struct wn__tar;
int wn__tar_open(struct wn_ctx *ctx, const char *file, bool links, const char *const *meta, size_t meta_max,
                 const char *spool_dir, struct wn__tar **out);
/* The regular member `name` leads to (through links, inside the archive
 * only): its normalised name (owned by t) and size; NULL when there is none. */
const char *wn__tar_find(const struct wn__tar *t, const char *name, int64_t *size);
/* Bytes the first pass kept for `name`, or NULL. */
const unsigned char *wn__tar_data(const struct wn__tar *t, const char *name, size_t *len);
/* Marks the member `name` leads to for wn__tar_extract (WN_ENOTFOUND: none). */
int wn__tar_want(struct wn__tar *t, const char *name);
/* One more pass: writes the marked members, and only them, into dir under their own names. */
int wn__tar_extract(struct wn_ctx *ctx, struct wn__tar *t, const char *dir);
void wn__tar_free(struct wn__tar *t);
/* Writes dir's files as a tar beside FILE (FILE.winch-tmp-PID-*) and renames it over FILE. */
int wn__tar_pack(struct wn_ctx *ctx, const char *dir, const char *file);
/* Removes FILE.winch-tmp-PID-* files whose process is gone. */
void wn__tar_clean_beside(const char *file);
/* A private directory $TMPDIR/winch-archive-PID-XXXXXX, held with an flock on
 * *lock_fd while it exists; first removes those of runs that are gone.  NULL
 * (context error set) on failure.  wn__tmpdir_free removes it and unlocks. */
char *wn__tmpdir_new(struct wn_ctx *ctx, int *lock_fd);
void wn__tmpdir_free(char *dir, int lock_fd);
void wn__rm_tree(const char *dir);
/* write(2) until done: 0, or -1 with errno saying why (a short write is retried). */
int wn__write_all(int fd, const void *buf, size_t n);
/* "cannot WHAT PATH: strerror(err)", naming $TMPDIR when it is full there. Returns WN_EIO. */
int wn__write_fail(struct wn_ctx *ctx, const char *what, const char *path, int err);
/* Messages about the layout name it `name` (an archive it was unpacked from
 * or is packed into); the layout is private to this run (no index lock). */
void wn__layout_set_name(void *layout_impl, const char *name);
/* What a layout's resume journals are keyed by, instead of "oci:/ABS/DIR":
 * an archive's "oci-archive:/ABS/FILE" (its layout's directory is new each run). */
void wn__layout_set_resume_base(void *layout_impl, const char *base);
/* "FILE[:TAG]" (the part after "oci-archive:") */
int wn__archive_src_new(struct wn__src **out, struct wn_ctx *ctx, const char *spec);
int wn__archive_src_read(struct wn__src **out, struct wn_ctx *ctx, const char *spec); /* no layers unpacked */
int wn__archive_dst_new(struct wn__dst **out, struct wn_ctx *ctx, const char *spec);

/* ---- feeds (pipe.c): a blob streamed from a source, verified on the way */
typedef void (*wn__progress_fn)(void *data, const struct wn_descriptor *d, uint64_t done);
int wn__feed_new(struct wn__feed **out, struct wn_ctx *ctx, struct wn__src *src, const struct wn_descriptor *desc,
                 wn__progress_fn progress, void *progress_data);
void wn__feed_free(struct wn__feed *f);
/* Blocks; returns bytes, 0 at the verified end, -1 on failure (wn__feed_error says why). */
ssize_t wn__feed_read(struct wn__feed *f, void *buf, size_t n);
uint64_t wn__feed_offset(const struct wn__feed *f);
/* Remembers the current offset as a place wn__feed_rewind may go back to. */
int wn__feed_mark(struct wn__feed *f);
/* Goes back to `offset` (between the mark and the current offset). */
int wn__feed_rewind(struct wn__feed *f, uint64_t offset);
/* Goes back to the first byte from anywhere, even after the verified end:
 * the blob is read, hashed and checked again. */
int wn__feed_restart(struct wn__feed *f);
int wn__feed_error(const struct wn__feed *f, struct wn_error *err);
/* Before the first read: the destination holds the first `offset` bytes
 * already, whose hash is h (it re-hashed them); the source is read from
 * there on, and the final check still covers every byte. */
int wn__feed_start_at(struct wn__feed *f, uint64_t offset, const struct wn_hasher *h);
/* Before the first read: reads and hashes the first `offset` bytes from the
 * source without handing them out (the destination holds them already). */
int wn__feed_skip(struct wn__feed *f, uint64_t offset);
/* The digest of the bytes handed out so far (for a checkpoint). */
int wn__feed_prefix(const struct wn__feed *f, char digest[WN_DIGEST_MAX]);

/* ---- resume journals (journal.c) ------------------------------------- */
/* What a transfer killed outright leaves for the next run: one file per blob
 * in flight under $XDG_STATE_HOME/winch/journal (else ~/.local/state/winch/
 * journal), held with an flock by the run that writes it. */
#define WN__JOURNAL_MAX_AGE (7 * 24 * 3600) /* older journals are stale, whoever wrote them */
struct wn__journal;
/* Opens (creating) the journal of `key` ("upload" or "download" is `kind`)
 * and locks it.  *prev gets what a run that is gone left in it (NULL:
 * nothing).  *out is NULL, and WN_OK returned, when no journal can be kept:
 * no state directory, or a live run holds this one. */
int wn__journal_open(struct wn_ctx *ctx, const char *kind, const char *key, struct wn__journal **out, cJSON **prev);
/* Replaces the journal's content with `state` (kind, key and pid added). */
int wn__journal_write(struct wn__journal *j, const char *kind, const char *key, cJSON *state);
/* The transfer is over (finished, failed or interrupted): the journal goes. NULL is a no-op. */
void wn__journal_done(struct wn__journal *j);
/* Removes journals of runs that are gone: older than WN__JOURNAL_MAX_AGE (a
 * download's partial file with it), or downloads whose partial file is gone. */
void wn__journal_clean(struct wn_ctx *ctx);
/* The partial files that download journals younger than WN__JOURNAL_MAX_AGE
 * name: temporary files a cleaner keeps for the next run (free with wn_strlist_free). */
struct wn_strlist *wn__journal_files(void);
/* Is `path`, or a file under the directory `path`, among them? */
bool wn__journal_names(const struct wn_strlist *files, const char *path);

/* ---- registry blobs (blob.c) ------------------------------------------ */
int wn__blob_exists(struct wn_ctx *ctx, const struct wn_ref *repo, const char *digest, bool *yes);
int wn__blob_stream(struct wn_ctx *ctx, const struct wn_ref *repo, const struct wn_descriptor *d, uint64_t offset,
                    wn__sink_fn sink, void *data);
/* Uploads from feed; tries a cross-repository mount from `from_repo` first (same registry). */
/* With `resume`, the chunks the registry acknowledges are journaled, and a
 * session a killed run left is continued where the registry says it stands. */
int wn__blob_upload(struct wn_ctx *ctx, const struct wn_ref *repo, const struct wn_descriptor *d,
                    struct wn__feed *feed, const struct wn_ref *from_repo, size_t chunk_size, bool resume,
                    bool *mounted);
/* The plan for a blob of `size` bytes (wn__upload_plan), and with `resume`
 * and no chunk size asked for, acknowledged chunks of WN__UP_RESUME_CHUNK for
 * a blob larger than one, where the registry takes chunks that large and its
 * Range tells where a session stands.  A pure function. */
void wn__upload_plan_resume(struct wn__upload_plan *out, const struct wn__upload_rules *r,
                            const struct wn__upload_known *k, uint64_t size, uint64_t asked, bool resume);
#define WN__UP_RESUME_CHUNK (128u << 20)
/* Uploads bytes in memory (small blobs: configs, the empty config). */
int wn__blob_put_mem(struct wn_ctx *ctx, const struct wn_ref *repo, const char *digest, const void *data, size_t len);

/* GET /v2/NAME/referrers/DIGEST: the referrers index, or WN_EUNSUPPORTED
 * when the registry has no referrers API (distribution 2.8 answers 404). */
int wn__referrers_get(struct wn_ctx *ctx, const struct wn_ref *repo, const char *digest, struct wn_manifest **out);

/* The platform this machine runs ("linux/amd64"). */
const char *wn__host_platform(void);

/* ---- parallel work ------------------------------------------------------ */
/* Runs fn(fork, i, arg) for i in [0, n) on `jobs` threads, each with its own
 * fork of ctx.  Stops handing out work after the first failure, whose error
 * it puts on ctx and returns. */
int wn__parallel(struct wn_ctx *ctx, size_t n, unsigned jobs, int (*fn)(struct wn_ctx *, size_t, void *), void *arg);

/* ---- cleanup plans (cleanup.c makes them, apply.c carries them out) ---- */
/* The item (not a referrer) for the manifest `digest`; -1 when none (or digest is NULL). */
int wn__cleanup_find(const struct wn_cleanup_plan *p, const char *digest);
/* An untagged manifest of a deleted index, going with it. */
bool wn__cleanup_is_child(const struct wn_cleanup_item *it);

/* ---- format conversion (convert.c) --------------------------------------- */
/* Converts mans[0..n) (children before the indexes that list them, as a copy
 * writes them) to the media types of fmt (WN_FORMAT_OCI or WN_FORMAT_DOCKER),
 * each index's entries pointing at its converted children; a manifest in the
 * format already keeps its bytes.  Replaced manifests are freed; *changed
 * says whether any was.  Errors name `name` (the source). */
int wn__convert(struct wn_ctx *ctx, int fmt, struct wn_manifest **mans, size_t n, const char *name, bool *changed);

/* ---- manifests -------------------------------------------------------- */
extern const char *const wn__manifest_accept;
/* DELETE of a manifest by digest (WN_ENOTFOUND when gone; deletion disabled is named). */
int wn__manifest_delete(struct wn_ctx *ctx, const struct wn_ref *repo, const char *digest);
/* PUT of exact bytes under a tag or digest, with the manifest's Content-Type. */
int wn__manifest_put(struct wn_ctx *ctx, const struct wn_ref *repo, const char *tag_or_digest,
                     const void *data, size_t len, const char *media_type, char digest_out[WN_DIGEST_MAX]);
/* Is this a manifest media type winch handles (OCI/Docker image or index)? */
bool wn__mt_is_manifest(const char *mt);
bool wn__mt_is_index(const char *mt);
/* The withdrawn OCI artifact manifest (image-spec 1.1.0-rc1/rc2). */
#define WN__MT_OCI_ARTIFACT "application/vnd.oci.artifact.manifest.v1+json"
/* WN_EUNSUPPORTED (err says why) for a manifest of a kind winch refuses by its
 * type alone: Docker schema 1, signed or not, and the OCI artifact manifest;
 * else WN_OK.  Called before a digest check, which a signed schema 1
 * manifest fails (its digest covers the JWS payload, not the bytes). */
int wn__manifest_refuse(const void *data, size_t len, const char *content_type, struct wn_error *err);
/* The entry of index idx for the platform `want` ("os/arch[/variant]"): the
 * first whose platform matches with Docker's normalisation (wn_platform_match);
 * attestation manifests (wn_descriptor_attests) are never a platform.
 * WN_ENOTFOUND names the platforms idx has (`name`: where idx came from);
 * a malformed `want` is WN_EINVAL. */
int wn__index_pick(struct wn_ctx *ctx, const struct wn_manifest *idx, const char *want, const char *name, size_t *out);

/* ---- per-registry knowledge (lib/registries/) ------------------------- */
enum wn__vendor {
	WN__V_GENERIC, WN__V_DOCKERHUB, WN__V_GHCR, WN__V_ECR, WN__V_GAR, WN__V_GCR, WN__V_ACR, WN__V_QUAY,
	WN__V_HARBOR, WN__V_COUNT
};
/* What winch knows of one registry product before it has said anything. */
struct wn__vendor_info {
	enum wn__vendor vendor;
	const char *name;         /* "ghcr": WINCH_REGISTRY_VENDOR's word */
	const char *display;      /* "GitHub Container Registry": for messages */
};
/* ---- what winch knows of each product's APIs (issue 12) ---------------
 * Missing APIs, immutable tags, rate limits, user names: lib/registries/apis.c
 * and lib/registries/ratelimit.c.  Each entry says where it comes from. */
enum wn__api { WN__API_DELETE, WN__API_CATALOG, WN__API_REFERRERS };
/* What to use instead of an API the vendor lacks; NULL when it has it (or winch
 * does not know that it lacks it). */
const char *wn__vendor_lacks(enum wn__vendor v, enum wn__api api);
/* Fails with WN_ENOAPI: "REGISTRY has no NAME API (OBSERVED): what to do instead". */
int wn__noapi_fail(struct wn_ctx *ctx, const char *registry, enum wn__api api, const char *observed);
/* A denial of an API that only some accounts get (Harbor's catalog): what it means, or NULL. */
const char *wn__vendor_denied_hint(enum wn__vendor v, enum wn__api api);
/* Is this answer to a manifest PUT a registry refusing to move an immutable
 * tag (ECR's 400 TAG_INVALID, Harbor's 412 PRECONDITION)? */
bool wn__answer_immutable(long status, const struct wn__regerr *re);
/* Does this answer to a digest DELETE ask for the tags to go first
 * (Google's 400 GOOGLE_MANIFEST_DANGLING_TAG)? */
bool wn__answer_untag_first(long status, const struct wn__regerr *re);
/* For rejected credentials: a hint when the user name looks like a Harbor
 * robot account ("robot$project+name") whose "$..." a shell expanded; NULL otherwise. */
const char *wn__user_hint(const char *user);
/* Reads one response header line into rl when it is a rate-limit header
 * (ratelimit-limit, ratelimit-remaining, ratelimit-reset, docker-ratelimit-source);
 * values are parsed defensively: an empty or garbled one stays -1. */
void wn__ratelimit_header(struct wn_ratelimit *rl, const char *name, const char *value);
/* Resets rl to "nothing said" (every number -1). */
void wn__ratelimit_clear(struct wn_ratelimit *rl);
/* Remembers rl as the context's last seen (from `registry`) and logs it at -v. */
void wn__ratelimit_note(struct wn_ctx *ctx, const char *registry, const struct wn_ratelimit *rl);
/* The last rate-limit headers `registry` itself sent (this context or its forks): 1 and *out,
 * or 0 when none came from it (sync's pacing: several registries answer in one run). */
int wn__ratelimit_of(struct wn_ctx *ctx, const char *registry, struct wn_ratelimit *out);
/* " (the limit of 100 pulls per 6 h for SOURCE is used up; ... by TIME at the latest)": what
 * a 429 says of when the quota comes back, into buf; "" when it says nothing. */
void wn__ratelimit_when(char *buf, size_t n, const struct wn_ratelimit *rl, long retry_after);

/* The vendor of a registry ("host[:port]"): by its name, else as
 * WINCH_REGISTRY_VENDOR says; WN__V_GENERIC when neither knows. */
enum wn__vendor wn__vendor_of(const char *registry);
const struct wn__vendor_info *wn__vendor_info(enum wn__vendor v);
/* What the product takes in uploads (lib/registries/uploads.c; see struct wn__upload_rules). */
const struct wn__upload_rules *wn__upload_rules(enum wn__vendor v);

/* ---- vendor APIs (lib/vendors/): beside the registry API, for cleanup and delete ----
 * Docker Hub's, GitHub's Packages, AWS ECR's and Harbor's own APIs list a
 * repository's images with their tags, digests and push times (untagged ones
 * too, where the API shows them) and delete tags and images where the
 * registry API cannot.  One interface; lib/vendors/api.c chooses the backend. */
/* The rel="next" target of a Link header (RFC 8288), NULL when none (registry.c). */
char *wn__link_next(const char *link);

struct wn__image {              /* one image as a vendor API lists it */
	char *digest;
	struct wn_strlist tags;
	int64_t pushed;             /* unix seconds; -1: not stated */
	int64_t size;               /* bytes; -1: not stated */
	char *media_type;           /* NULL: not stated */
	char *id;                   /* the API's own id (a GitHub package version's); NULL: none needed */
	struct wn_strlist children; /* an index's manifests, when the API states them (Harbor's references) */
	bool children_known;
};
struct wn__images {
	struct wn__image *v;
	size_t n, cap;
};
void wn__images_free(struct wn__images *l);
/* A new image at the end of l (zeroed, pushed/size -1); NULL when out of memory. */
struct wn__image *wn__images_add(struct wn__images *l, const char *digest);
/* The image of that digest, or NULL. */
struct wn__image *wn__images_find(const struct wn__images *l, const char *digest);

struct wn__vapi;
struct wn__vapi_ops {
	const char *name;           /* "hub", "github", "ecr", "harbor": --api's word */
	const char *display;        /* "the Docker Hub API": for messages */
	bool lists_untagged;        /* untagged images are in the listing */
	bool deletes_images;        /* an image goes by its digest, with every tag on it */
	bool untags;                /* one tag can go alone (delete_tag) */
	bool last_tag_takes_image;  /* removing an image's last tag deletes the image (ECR) */
	/* The API's URL when --api-url gives none: from the registry host (or the
	 * vendor's own environment variable); NULL when none can be derived. */
	char *(*default_url)(const char *registry);
	/* Credentials and whatever the API needs before listing. */
	int (*open)(struct wn__vapi *a, struct wn_ctx *ctx);
	int (*list)(struct wn__vapi *a, struct wn_ctx *ctx, struct wn__images *out);
	/* Removes one tag (ops->untags); WN_ENOTFOUND when it is not there. */
	int (*delete_tag)(struct wn__vapi *a, struct wn_ctx *ctx, const char *digest, const char *tag);
	/* Deletes the image with every tag on it (ops->deletes_images); id may be NULL (looked up). */
	int (*delete_image)(struct wn__vapi *a, struct wn_ctx *ctx, const char *digest, const char *id);
	/* WN_EDENIED when the API already said that deletions will be refused
	 * (GitHub's X-OAuth-Scopes without delete:packages); may be NULL. */
	int (*may_delete)(struct wn__vapi *a, struct wn_ctx *ctx);
	void (*close)(struct wn__vapi *a);
};
struct wn__vapi {
	const struct wn__vapi_ops *ops;
	struct wn_ref *repo;        /* the registry and repository it works on */
	char *url;                  /* the API's base URL, without a trailing '/' */
	char *auth;                 /* the Authorization value (a secret: wn__free_secret) */
	char *permission;           /* what a denial needs, for messages ("delete:packages") */
	void *impl;
};
extern const struct wn__vapi_ops wn__api_hub, wn__api_github, wn__api_ecr, wn__api_harbor;
/* The backend for `repo`: `api` names it ("registry", "hub", "github", "ecr",
 * "harbor"; NULL or "": from the registry host, where winch knows the API's URL,
 * else the registry API).  *out is NULL (and WN_OK) for the registry API.
 * api_url (may be NULL) replaces the default URL; an http:// URL is refused
 * unless the host is loopback or the context has plain_http. */
int wn__api_open(struct wn__vapi **out, struct wn_ctx *ctx, const struct wn_ref *repo, const char *api,
                 const char *api_url);
void wn__api_free(struct wn__vapi *a);
/* The backend's word for `api`/`repo` without opening it ("registry" when none). */
const char *wn__api_choose(const struct wn_ref *repo, const char *api, const char *api_url);
/* One request to the API: the Authorization value goes to its origin only, the
 * vendors' rate-limit headers are kept.  WN_OK whenever an answer came. */
int wn__api_request(struct wn__vapi *a, struct wn_ctx *ctx, const char *method, const char *url,
                    const char *const *headers, const void *body, size_t len, struct wn__resp *resp);
/* A non-2xx answer to `what` as an error: 401 WN_EAUTH, 403 WN_EDENIED naming
 * a->permission, 404 WN_ENOTFOUND, 429 (or a 403 whose X-RateLimit-Remaining
 * is 0) WN_ERATELIMIT with the reset time; `detail` (may be NULL) is the
 * vendor's own message. */
int wn__api_fail(struct wn__vapi *a, struct wn_ctx *ctx, const struct wn__resp *resp, const char *what,
                 const char *detail);
/* The next page's URL: `ref` (a Link target, a JSON "next") resolved against
 * `base`, the URL that gave it; one on another origin than the API's is
 * refused (the token would go there). */
int wn__api_follow(struct wn__vapi *a, struct wn_ctx *ctx, const char *base, const char *ref, char **out);
/* A paginated listing of a vendor API (Docker Hub, GitHub, Harbor): each page
 * is a JSON array (or an object with one) of items; the next page is a Link
 * rel="next" or a JSON field. */
struct wn__api_pager {
	const char *what;            /* the listing, for messages ("the tags of docker.io/org/app") */
	const char *const *headers;  /* sent with every page; may be NULL */
	const char *items;           /* the key of a page's array; NULL: the page is the array */
	const char *next;            /* the key of the next page's URL; NULL: the Link header */
	/* a non-200 answer as an error */
	int (*fail)(struct wn__vapi *a, struct wn_ctx *ctx, const struct wn__resp *resp, const char *what);
	/* one item; an error stops the listing */
	int (*item)(struct wn__vapi *a, struct wn_ctx *ctx, const cJSON *item, const char *what, void *data);
	/* every 200 answer, before its items (may be NULL) */
	void (*answered)(struct wn__vapi *a, const struct wn__resp *resp);
	void *data;
};
/* Every page from `url` (taken, freed): at most WN__LIST_PAGES_MAX, a page
 * that links to the one before is a loop (WN_EPROTO), a next page on another
 * origin is refused (wn__api_follow). */
int wn__api_pages(struct wn__vapi *a, struct wn_ctx *ctx, char *url, const struct wn__api_pager *p);
/* Removes one tag through the backend so that the image stays: its tag delete,
 * else (GitHub; ECR on an image's last tag) a placeholder manifest of its own
 * put on the tag with the registry API and deleted through the backend.
 * *method gets "tag-delete" or "placeholder". */
int wn__api_untag(struct wn__vapi *a, struct wn_ctx *ctx, const struct wn__image *img, const char *tag,
                  const char **method);
/* Deletes an image and its tags: the backend's image delete, else (Docker Hub)
 * each of its tags. */
int wn__api_delete_image(struct wn__vapi *a, struct wn_ctx *ctx, const struct wn__image *img);
/* The value of a vendor header the request funnel kept for wn__api_request
 * ("X-RateLimit-Reset", "X-OAuth-Scopes"), or NULL. */
const char *wn__api_kept(const struct wn__resp *resp, const char *name);
/* RFC 3339 to unix seconds (fractions and offsets taken); false when it is none. */
bool wn__time_parse(const char *s, int64_t *out);

/* Pushes a placeholder manifest of its own (unique, so no other tag points at
 * it) under `tag` with the registry API; *digest gets its digest (tag.c). */
int wn__tag_placeholder_put(struct wn_ctx *ctx, const struct wn_ref *repo, const char *tag,
                            char digest[WN_DIGEST_MAX]);

/* ---- AWS (lib/vendors/aws.c, sigv4.c) --------------------------------- */
struct wn__aws_creds {
	char *access_key;
	char *secret_key;           /* secret */
	char *session_token;        /* secret; NULL: none */
	char *source;               /* "the environment", "~/.aws/credentials [profile ci]" */
};
void wn__aws_creds_free(struct wn__aws_creds *c);
/* Credentials as the AWS tools find them: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY
 * (AWS_SESSION_TOKEN), else the profile (AWS_PROFILE, else "default") in
 * AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials), then AWS_CONFIG_FILE
 * (~/.aws/config).  WN_ENOTFOUND with no message when there are none; a
 * profile that needs what winch does not do (role_arn, sso_*, credential_process)
 * is WN_EUNSUPPORTED naming it. */
int wn__aws_creds_find(struct wn_ctx *ctx, struct wn__aws_creds **out);
/* The region: from an ECR host name (ACCOUNT.dkr.ecr.REGION.amazonaws.com),
 * else AWS_REGION, AWS_DEFAULT_REGION, the profile's region in the config file.
 * NULL when none says. Caller frees. */
char *wn__aws_region(struct wn_ctx *ctx, const char *registry);
/* The account of an ECR host name ("123456789012"), or NULL. Caller frees. */
char *wn__ecr_account(const char *registry);
/* The ECR API's URL for a registry: AWS_ENDPOINT_URL_ECR, AWS_ENDPOINT_URL, else
 * https://api.ecr.REGION.amazonaws.com from the host name; NULL when none. */
char *wn__ecr_endpoint(const char *registry);
/* Signature Version 4: the Authorization value for a request (method, absolute
 * URL, extra headers "Name: value" that are sent and signed, body) at `when`;
 * amz_date gets X-Amz-Date's value.  canonical and sts (may be NULL) get the
 * canonical request and the string to sign (for tests).  HMAC-SHA256 and
 * SHA-256 from libcrypto. */
struct wn__sigv4 {
	const char *method, *url;
	const char *const *headers;
	const void *body;
	size_t body_len;
	const char *region, *service;
	int64_t when;
};
int wn__sigv4_sign(const struct wn__sigv4 *r, const struct wn__aws_creds *c, char **authorization,
                   char amz_date[17], char **canonical, char **sts);
/* ECR's GetAuthorizationToken for the registry: *user ("AWS") and *pass (the
 * 12-hour password: a secret), with the AWS credentials found as above. */
int wn__ecr_login(struct wn_ctx *ctx, const char *registry, char **user, char **pass, int64_t *expires);

#endif
