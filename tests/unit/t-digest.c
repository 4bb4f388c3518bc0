/* Digests: validation and the streaming hasher. */
#include "harness.h"
#include "winch.h"

int main(void)
{
	struct wn_error e;
	CHECK(wn_digest_validate("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", &e) == WN_OK);
	CHECK(wn_digest_validate("sha512:cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0"
	                         "ff8318d2877eec2f63b931bd47417a81a538327af927da3e", &e) == WN_OK);
	CHECK(wn_digest_validate("sha256:e3b0", &e) == WN_EINVAL);
	CHECK(wn_digest_validate("sha256", &e) == WN_EINVAL);
	CHECK(wn_digest_validate(":abc", &e) == WN_EINVAL);
	CHECK(wn_digest_validate("SHA256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", &e) == WN_EINVAL);
	CHECK(wn_digest_validate("sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", &e) == WN_EINVAL);
	CHECK(wn_digest_validate("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85g", &e) == WN_EINVAL);
	CHECK(wn_digest_validate("blake3:abcd", &e) == WN_EUNSUPPORTED);
	CHECK(strstr(e.msg, "blake3") != NULL);
	CHECK(wn_digest_validate(NULL, &e) == WN_EINVAL);

	char d[WN_DIGEST_MAX];
	wn_digest_sha256(d, "", 0);
	CHECK_STR(d, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

	/* streamed in pieces = in one go */
	struct wn_hasher *h;
	CHECK(wn_hasher_new(&h, "sha256:whatever", &e) == WN_OK);
	wn_hasher_update(h, "hello ", 6);
	wn_hasher_update(h, "world", 5);
	wn_hasher_final(h, d);
	wn_hasher_free(h);
	CHECK_STR(d, "sha256:b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9");
	CHECK(wn_hasher_new(&h, "sha512", &e) == WN_OK);
	wn_hasher_update(h, "abc", 3);
	wn_hasher_final(h, d);
	wn_hasher_free(h);
	CHECK_STR(d, "sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd"
	             "454d4423643ce80e2a9ac94fa54ca49f");
	CHECK(wn_hasher_new(&h, "md5", &e) == WN_EUNSUPPORTED && h == NULL);
	return TEST_DONE();
}
