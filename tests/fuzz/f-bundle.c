/* Fuzz target: sigstore bundles, the Rekor bundle annotation's entry body
 * checks, and trusted_root.json (lib/sign/bundle.c, tlog.c). */
#include "fuzz.h"
#include "sign/sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct wn__bundle b;
	struct wn_error err;
	struct wn_trusted_root *root = NULL;
	unsigned char sha[32] = { 0 };
	if (wn__bundle_parse(&b, d, n, &err) == WN_OK) {
		size_t pl;
		unsigned char *pae = wn__dsse_pae(b.payload_type, b.payload, b.payload_len, &pl);
		free(pae);
		for (size_t i = 0; i < b.n_tlog; i++) {
			if (b.tlog[i].body)
				wn__tlog_body_check(&b.tlog[i], sha, b.sig, b.sig_len, &err);
			wn__tlog_verify_set(NULL, &b.tlog[i], &err);
		}
		wn__bundle_clear(&b);
	}
	if (wn_trusted_root_parse(&root, d, n, &err) == WN_OK)
		wn_trusted_root_free(root);
	/* the input as an entry body */
	struct wn__tlog_entry e = { .body = (unsigned char *)d, .body_len = n };
	wn__tlog_body_check(&e, sha, sha, sizeof sha, &err);
	return 0;
}
