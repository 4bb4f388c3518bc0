/* The retention engine: ECR's documented examples, the parser's refusals, and flag policies. */
#include <stdlib.h>
#include <time.h>
#include "harness.h"
#include "winch.h"

#define DAY 86400
static const int64_t NOW = 1700000000;

struct img {
	const char *digest;
	const char *tags[4];
	int age_days;
};
#define AT (-2)              /* age_days: the image's time is at[i], a unix time */
static const int64_t *at;

/* Evaluates and returns "A B" (the expired images' digests) or, per tag, "A:tag". */
static char *run(const char *policy_json, struct wn_policy *flags, const struct img *imgs, size_t n, bool per_tag)
{
	static char out[WN_ERRMSG_MAX + 64];
	struct wn_ret_image *ri = calloc(n, sizeof *ri);
	const struct wn_ret_image **rp = calloc(n, sizeof *rp);
	struct wn_policy *p = flags;
	struct wn_ret_result *res;
	struct wn_error e;
	out[0] = 0;
	if (policy_json && wn_policy_parse_ecr(&p, policy_json, strlen(policy_json), &e) != WN_OK) {
		snprintf(out, sizeof out, "parse error: %s", e.msg);
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		size_t nt = 0;
		while (nt < 4 && imgs[i].tags[nt])
			nt++;
		ri[i] = (struct wn_ret_image){ imgs[i].digest, (char *const *)imgs[i].tags, nt,
			                           imgs[i].age_days == AT ? at[i]
			                           : imgs[i].age_days < 0 ? -1 : NOW - (int64_t)imgs[i].age_days * DAY };
		rp[i] = &ri[i];
	}
	if (wn_policy_evaluate(&res, p, rp, n, NOW, &e) != WN_OK) {
		snprintf(out, sizeof out, "eval error: %s", e.msg);
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		if (!per_tag && res[i].expire_image)
			snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s", *out ? " " : "", imgs[i].digest);
		for (size_t t = 0; per_tag && t < ri[i].n_tags; t++)
			if (res[i].expired_tags[t])
				snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s:%s", *out ? " " : "", imgs[i].digest,
				         imgs[i].tags[t]);
	}
	wn_ret_result_free(res, n);
done:
	if (policy_json)
		wn_policy_free(p);
	free(ri);
	free(rp);
	return out;
}

#define RULE(prio, sel) "{\"rulePriority\":" #prio ",\"selection\":{" sel "},\"action\":{\"type\":\"expire\"}}"
#define POLICY1(a) "{\"rules\":[" a "]}"
#define POLICY2(a, b) "{\"rules\":[" a "," b "]}"

int main(void)
{
	/* ECR's "multiple rules" example: A is expired; B is kept by rule 1, so rule 2 cannot expire it */
	const struct img ex1[] = {
		{ "A", { "beta-1", "prod-1" }, 10 },
		{ "B", { "beta-2", "prod-2" }, 9 },
		{ "C", { "beta-3" }, 8 },
	};
	CHECK_STR(run(POLICY2(RULE(1, "\"tagStatus\":\"tagged\",\"tagPrefixList\":[\"prod\"],\"countType\":\"imageCountMoreThan\",\"countNumber\":1"),
	                      RULE(2, "\"tagStatus\":\"tagged\",\"tagPrefixList\":[\"beta\"],\"countType\":\"imageCountMoreThan\",\"countNumber\":1")),
	              NULL, ex1, 3, false), "A");
	/* rules apply in priority order, not file order */
	CHECK_STR(run(POLICY2(RULE(2, "\"tagStatus\":\"tagged\",\"tagPrefixList\":[\"beta\"],\"countType\":\"imageCountMoreThan\",\"countNumber\":1"),
	                      RULE(1, "\"tagStatus\":\"tagged\",\"tagPrefixList\":[\"prod\"],\"countType\":\"imageCountMoreThan\",\"countNumber\":1")),
	              NULL, ex1, 3, false), "A");
	/* with beta first: A and B expire by rule 1 (C kept), prod rule sees nothing unclaimed */
	CHECK_STR(run(POLICY2(RULE(1, "\"tagStatus\":\"tagged\",\"tagPrefixList\":[\"beta\"],\"countType\":\"imageCountMoreThan\",\"countNumber\":1"),
	                      RULE(2, "\"tagStatus\":\"tagged\",\"tagPrefixList\":[\"prod\"],\"countType\":\"imageCountMoreThan\",\"countNumber\":1")),
	              NULL, ex1, 3, false), "A B");

	/* ECR's "multiple tags in a single rule": every prefix must match some tag */
	const struct img ex2[] = {
		{ "A", { "alpha-1", "beta-1" }, 10 },
		{ "B", { "alpha-2", "beta-2" }, 9 },
		{ "C", { "alpha-3" }, 8 },
		{ "D", { "beta-4" }, 7 },
	};
	CHECK_STR(run(POLICY1(RULE(1, "\"tagStatus\":\"tagged\",\"tagPrefixList\":[\"alpha\",\"beta\"],\"countType\":\"imageCountMoreThan\",\"countNumber\":1")),
	              NULL, ex2, 4, false), "A");
	/* the same with patterns */
	CHECK_STR(run(POLICY1(RULE(1, "\"tagStatus\":\"tagged\",\"tagPatternList\":[\"alpha-*\",\"*-1\"],\"countType\":\"imageCountMoreThan\",\"countNumber\":0")),
	              NULL, ex2, 4, false), "parse error: invalid lifecycle policy: rules[0]: countNumber must be a whole number from 1 to 2147483647");
	CHECK_STR(run(POLICY1(RULE(1, "\"tagStatus\":\"tagged\",\"tagPatternList\":[\"*pha-*\"],\"countType\":\"sinceImagePushed\",\"countUnit\":\"days\",\"countNumber\":8")),
	              NULL, ex2, 4, false), "A B");
	/* prefix vs pattern: a prefix is not a substring match */
	CHECK_STR(run(POLICY1(RULE(1, "\"tagStatus\":\"tagged\",\"tagPrefixList\":[\"pha\"],\"countType\":\"imageCountMoreThan\",\"countNumber\":1")),
	              NULL, ex2, 4, false), "");

	/* untagged and any */
	const struct img ex3[] = {
		{ "T1", { "v1" }, 30 }, { "U1", { NULL }, 20 }, { "U2", { NULL }, 10 }, { "U3", { NULL }, 1 }, { "T2", { "v2" }, 2 },
	};
	CHECK_STR(run(POLICY1(RULE(1, "\"tagStatus\":\"untagged\",\"countType\":\"imageCountMoreThan\",\"countNumber\":1")), NULL,
	              ex3, 5, false), "U1 U2");
	CHECK_STR(run(POLICY1(RULE(1, "\"tagStatus\":\"untagged\",\"countType\":\"sinceImagePushed\",\"countUnit\":\"days\",\"countNumber\":7")),
	              NULL, ex3, 5, false), "U1 U2");
	CHECK_STR(run(POLICY1(RULE(1, "\"tagStatus\":\"any\",\"countType\":\"imageCountMoreThan\",\"countNumber\":2")), NULL, ex3, 5,
	              false), "T1 U1 U2");
	/* count vs age: the seeds' policy (keep 10 "v" images; untagged older than 7 days) */
	CHECK_STR(run(POLICY2(RULE(1, "\"tagStatus\":\"tagged\",\"tagPrefixList\":[\"v\"],\"countType\":\"imageCountMoreThan\",\"countNumber\":1"),
	                      RULE(2, "\"tagStatus\":\"untagged\",\"countType\":\"sinceImagePushed\",\"countUnit\":\"days\",\"countNumber\":7")),
	              NULL, ex3, 5, false), "T1 U1 U2");
	/* an unknown age never expires by age */
	const struct img ex4[] = { { "X", { "v1" }, -1 }, { "Y", { "v2" }, 400 } };
	CHECK_STR(run(POLICY1(RULE(1, "\"tagStatus\":\"any\",\"countType\":\"sinceImagePushed\",\"countUnit\":\"days\",\"countNumber\":30")),
	              NULL, ex4, 2, false), "Y");
	/* ties on time: versions decide which is newer */
	const struct img ex5[] = { { "A", { "1.10.0" }, 5 }, { "B", { "1.9.0" }, 5 }, { "C", { "1.2.0" }, 5 } };
	CHECK_STR(run(POLICY1(RULE(1, "\"tagStatus\":\"any\",\"countType\":\"imageCountMoreThan\",\"countNumber\":1")), NULL, ex5, 3,
	              false), "B C");

	/* refusals, each naming what is wrong */
	const char *bad[][2] = {
		{ "{\"rules\":[]}", "non-empty" },
		{ "{\"rules\":[{}],\"extra\":1}", "unknown key \"extra\"" },
		{ POLICY1(RULE(1, "\"tagStatus\":\"tagged\",\"tagPrefixList\":[\"v\"],\"countType\":\"imageCountMoreThan\",\"countNumber\":1,\"colour\":\"red\"")), "unknown key \"colour\"" },
		{ POLICY1(RULE(1, "\"tagStatus\":\"tagged\",\"countType\":\"imageCountMoreThan\",\"countNumber\":1")), "needs a non-empty tagPrefixList" },
		{ POLICY1(RULE(1, "\"tagStatus\":\"untagged\",\"tagPrefixList\":[\"v\"],\"countType\":\"imageCountMoreThan\",\"countNumber\":1")), "tagged only" },
		{ POLICY1(RULE(1, "\"tagStatus\":\"tagged\",\"tagPrefixList\":[\"v\"],\"tagPatternList\":[\"v*\"],\"countType\":\"imageCountMoreThan\",\"countNumber\":1")), "cannot both" },
		{ POLICY1(RULE(1, "\"tagStatus\":\"tagged\",\"tagPatternList\":[\"*a*b*c*d*e\"],\"countType\":\"imageCountMoreThan\",\"countNumber\":1")), "four" },
		{ POLICY1(RULE(1, "\"tagStatus\":\"any\",\"countType\":\"sinceImagePushed\",\"countUnit\":\"hours\",\"countNumber\":1")), "countUnit" },
		{ POLICY1(RULE(1, "\"tagStatus\":\"any\",\"countType\":\"sinceImagePulled\",\"countNumber\":1")), "countType" },
		{ POLICY1(RULE(1, "\"tagStatus\":\"someday\",\"countType\":\"imageCountMoreThan\",\"countNumber\":1")), "tagStatus" },
		{ POLICY2(RULE(1, "\"tagStatus\":\"any\",\"countType\":\"imageCountMoreThan\",\"countNumber\":1"),
		          RULE(2, "\"tagStatus\":\"untagged\",\"countType\":\"imageCountMoreThan\",\"countNumber\":1")), "highest rulePriority" },
		{ POLICY2(RULE(1, "\"tagStatus\":\"untagged\",\"countType\":\"imageCountMoreThan\",\"countNumber\":1"),
		          RULE(1, "\"tagStatus\":\"any\",\"countType\":\"imageCountMoreThan\",\"countNumber\":1")), "unique" },
		{ "{\"rules\":[{\"rulePriority\":1,\"selection\":{\"tagStatus\":\"any\",\"countType\":\"imageCountMoreThan\",\"countNumber\":1},\"action\":{\"type\":\"transition\"}}]}", "expire" },
		{ "not json", "not a JSON object" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		const char *got = run(bad[i][0], NULL, ex1, 3, false);
		if (!strstr(got, bad[i][1])) {
			printf("FAIL refusal %zu: wanted \"%s\", got \"%s\"\n", i, bad[i][1], got);
			t_failed++;
		} else {
			t_passed++;
		}
	}

	/* AWS's "Filtering on image age" and "Filtering on image count" examples, both untagged
	 * rules, in one policy: ECR refuses it ("Only one rule can select Untagged images"), and
	 * so does winch, naming both rules by priority and description, in priority order */
#define AWS_AGE(prio) "{\"rulePriority\":" #prio ",\"description\":\"Expire images older than 14 days\",\"selection\":" \
	"{\"tagStatus\":\"untagged\",\"countType\":\"sinceImagePushed\",\"countUnit\":\"days\",\"countNumber\":14}," \
	"\"action\":{\"type\":\"expire\"}}"
#define AWS_COUNT(prio) "{\"rulePriority\":" #prio ",\"description\":\"Keep only one untagged image, expire all others\"," \
	"\"selection\":{\"tagStatus\":\"untagged\",\"countType\":\"imageCountMoreThan\",\"countNumber\":1}," \
	"\"action\":{\"type\":\"expire\"}}"
	CHECK_STR(run(POLICY2(AWS_AGE(1), AWS_COUNT(2)), NULL, ex1, 3, false),
	          "parse error: invalid lifecycle policy: only one rule can select untagged images: rule 1 (\"Expire images "
	          "older than 14 days\") and rule 2 (\"Keep only one untagged image, ex...\") both have tagStatus untagged");
	CHECK_STR(run(POLICY2(AWS_COUNT(7), AWS_AGE(3)), NULL, ex1, 3, false),
	          "parse error: invalid lifecycle policy: only one rule can select untagged images: rule 3 (\"Expire images "
	          "older than 14 days\") and rule 7 (\"Keep only one untagged image, ex...\") both have tagStatus untagged");
	CHECK_STR(run(POLICY2(RULE(4, "\"tagStatus\":\"untagged\",\"countType\":\"imageCountMoreThan\",\"countNumber\":1"),
	                      RULE(9, "\"tagStatus\":\"untagged\",\"countType\":\"imageCountMoreThan\",\"countNumber\":2")),
	              NULL, ex1, 3, false),
	          "parse error: invalid lifecycle policy: only one rule can select untagged images: rule 4 and rule 9 both "
	          "have tagStatus untagged");
	/* a long description is cut at a character boundary, never inside a UTF-8 sequence */
	CHECK_STR(run("{\"rules\":[{\"rulePriority\":1,\"description\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\u00e9z\","
	              "\"selection\":{\"tagStatus\":\"untagged\",\"countType\":\"imageCountMoreThan\",\"countNumber\":1},"
	              "\"action\":{\"type\":\"expire\"}}," RULE(2, "\"tagStatus\":\"untagged\",\"countType\":"
	              "\"imageCountMoreThan\",\"countNumber\":1") "]}", NULL, ex1, 3, false),
	          "parse error: invalid lifecycle policy: only one rule can select untagged images: rule 1 "
	          "(\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\") and rule 2 both have tagStatus untagged");
	/* each alone is fine, and beside a tagStatus any rule too (ECR takes untagged 990 + any 1000) */
	CHECK_STR(run(POLICY1(AWS_AGE(1)), NULL, ex3, 5, false), "U1");
	CHECK_STR(run(POLICY1(AWS_COUNT(1)), NULL, ex3, 5, false), "U1 U2");
	/* the any rule ranks untagged images too, those the untagged rule claimed included:
	 * U3 and T2 are the 2 newest of all; U1 and U2 went by rule 990, T1 goes by rule 1000 */
	CHECK_STR(run(POLICY2(RULE(990, "\"tagStatus\":\"untagged\",\"countType\":\"imageCountMoreThan\",\"countNumber\":1"),
	                      RULE(1000, "\"tagStatus\":\"any\",\"countType\":\"imageCountMoreThan\",\"countNumber\":2")),
	              NULL, ex3, 5, false), "T1 U1 U2");

	/* the other rules across rules name both rules too */
	CHECK_STR(run("{\"rules\":[{\"rulePriority\":1,\"description\":\"Rule 1\",\"selection\":{\"tagStatus\":\"tagged\","
	              "\"tagPrefixList\":[\"prod\"],\"countType\":\"imageCountMoreThan\",\"countNumber\":1},\"action\":{\"type\":"
	              "\"expire\"}},{\"rulePriority\":1,\"description\":\"Rule 2\",\"selection\":{\"tagStatus\":\"tagged\","
	              "\"tagPrefixList\":[\"beta\"],\"countType\":\"imageCountMoreThan\",\"countNumber\":1},\"action\":{\"type\":"
	              "\"expire\"}}]}", NULL, ex1, 3, false),
	          "parse error: invalid lifecycle policy: rulePriority values must be unique: rules[0] (\"Rule 1\") and "
	          "rules[1] (\"Rule 2\") both have rulePriority 1");
	CHECK_STR(run(POLICY2(RULE(5, "\"tagStatus\":\"any\",\"countType\":\"imageCountMoreThan\",\"countNumber\":1"),
	                      AWS_AGE(6)), NULL, ex1, 3, false),
	          "parse error: invalid lifecycle policy: the tagStatus any rule must have the highest rulePriority: rule 5 "
	          "has tagStatus any but rule 6 (\"Expire images older than 14 days\") comes after it");

	/* AWS's wildcard limit: ["*test*1*2*3", "test*1*2*3*"] is valid, ["test*1*2*3*4*5*6"] is not */
	CHECK_STR(run(POLICY1(RULE(1, "\"tagStatus\":\"tagged\",\"tagPatternList\":[\"*test*1*2*3\",\"test*1*2*3*\"],"
	                              "\"countType\":\"imageCountMoreThan\",\"countNumber\":1")), NULL, ex1, 3, false), "");
	CHECK(strstr(run(POLICY1(RULE(1, "\"tagStatus\":\"tagged\",\"tagPatternList\":[\"test*1*2*3*4*5*6\"],\"countType\":"
	                                 "\"imageCountMoreThan\",\"countNumber\":1")), NULL, ex1, 3, false),
	             "rules[0]: a tag pattern has at most four '*'") != NULL);
	/* AWS's pattern examples: prod* matches prod, prod1, production-team1; *prod* matches
	 * repo-production and prod-team */
	const struct img pat[] = {
		{ "P1", { "prod" }, 10 }, { "P2", { "prod1" }, 10 }, { "P3", { "production-team1" }, 10 },
		{ "R", { "repo-production" }, 10 }, { "T", { "prod-team" }, 10 }, { "D", { "dev" }, 10 },
	};
#define SINCE1(pattern) POLICY1(RULE(1, "\"tagStatus\":\"tagged\",\"tagPatternList\":[\"" pattern "\"],\"countType\":" \
	"\"sinceImagePushed\",\"countUnit\":\"days\",\"countNumber\":1"))
	CHECK_STR(run(SINCE1("prod*"), NULL, pat, 6, false), "P1 P2 P3 T");
	CHECK_STR(run(SINCE1("*prod*"), NULL, pat, 6, false), "P1 P2 P3 R T");
	CHECK_STR(run(SINCE1("p*o*d*1"), NULL, pat, 6, false), "P2 P3");
	CHECK_STR(run(SINCE1("*-*"), NULL, pat, 6, false), "P3 R T");
	CHECK_STR(run(SINCE1("prod"), NULL, pat, 6, false), "P1");
	/* a pattern's cost grows with the tag, not exponentially with its stars: 50 images with
	 * four 128-character tags took 20 ms a tag (4 s in all) before */
	static char longtag[129];
	memset(longtag, 'a', 128);
	struct img many[50];
	for (size_t i = 0; i < 50; i++)
		many[i] = (struct img){ "L", { longtag, longtag, longtag, longtag }, 10 };
	clock_t c0 = clock();
	CHECK_STR(run(SINCE1("*a*a*a*ab"), NULL, many, 50, false), "");
	CHECK((double)(clock() - c0) / CLOCKS_PER_SEC < 1.0);

	/* AWS's "Filtering on multiple tags in a single rule", examples A and B, as documented */
	const struct img mtA[] = {
		{ "A", { "alpha-1" }, 12 }, { "B", { "beta-1" }, 11 }, { "C", { "alpha-2", "beta-2" }, 10 },
		{ "D", { "alpha-3" }, 4 }, { "E", { "beta-3" }, 3 }, { "F", { "alpha-4", "beta-4" }, 2 },
	};
	CHECK_STR(run(POLICY1(RULE(1, "\"tagStatus\":\"tagged\",\"tagPrefixList\":[\"alpha\",\"beta\"],\"countType\":"
	                              "\"sinceImagePushed\",\"countNumber\":5,\"countUnit\":\"days\"")), NULL, mtA, 6, false), "C");
	const struct img mtB[] = {
		{ "A", { "alpha-1", "beta-1", "gamma-1" }, 10 }, { "B", { "alpha-2", "beta-2" }, 9 },
		{ "C", { "alpha-3", "beta-3", "gamma-2" }, 8 },
	};
	CHECK_STR(run(POLICY1(RULE(1, "\"tagStatus\":\"tagged\",\"tagPrefixList\":[\"alpha\",\"beta\"],\"countType\":"
	                              "\"imageCountMoreThan\",\"countNumber\":1")), NULL, mtB, 3, false), "A B");

	/* the properties ECR documents, each checked as documented */
	const char *props[][2] = {
		/* required: rulePriority, selection, action (description is optional, a string) */
		{ "{\"rules\":[{\"selection\":{\"tagStatus\":\"any\",\"countType\":\"imageCountMoreThan\",\"countNumber\":1},"
		  "\"action\":{\"type\":\"expire\"}}]}", "rules[0]: missing rulePriority" },
		{ "{\"rules\":[{\"rulePriority\":1,\"selection\":{\"tagStatus\":\"any\",\"countType\":\"imageCountMoreThan\","
		  "\"countNumber\":1}}]}", "rules[0]: missing action" },
		{ "{\"rules\":[{\"rulePriority\":1,\"description\":7,\"selection\":{\"tagStatus\":\"any\",\"countType\":"
		  "\"imageCountMoreThan\",\"countNumber\":1},\"action\":{\"type\":\"expire\"}}]}",
		  "rules[0]: description must be a string" },
		{ POLICY1(RULE(1, "\"countType\":\"imageCountMoreThan\",\"countNumber\":1")), "tagStatus must be" },
		{ POLICY1(RULE(1, "\"tagStatus\":\"any\",\"countNumber\":1")), "countType must be" },
		{ POLICY1(RULE(1, "\"tagStatus\":\"any\",\"countType\":\"imageCountMoreThan\"")), "countNumber must be" },
		{ POLICY1(RULE(1, "\"tagStatus\":\"any\",\"countType\":\"sinceImagePushed\",\"countNumber\":1")),
		  "sinceImagePushed needs countUnit \"days\"" },
		{ POLICY1(RULE(1, "\"tagStatus\":\"any\",\"countType\":\"imageCountMoreThan\",\"countUnit\":\"days\",\"countNumber\":1")),
		  "countUnit goes with sinceImagePushed only" },
		/* whole numbers only, and within an int (checked before converting) */
		{ POLICY1(RULE(3000000000, "\"tagStatus\":\"any\",\"countType\":\"imageCountMoreThan\",\"countNumber\":1")),
		  "rulePriority must be a whole number from 1 to 2147483647" },
		{ POLICY1(RULE(1e300, "\"tagStatus\":\"any\",\"countType\":\"imageCountMoreThan\",\"countNumber\":1")),
		  "rulePriority must be a whole number" },
		{ POLICY1(RULE(1.5, "\"tagStatus\":\"any\",\"countType\":\"imageCountMoreThan\",\"countNumber\":1")),
		  "rulePriority must be a whole number" },
		{ POLICY1(RULE(1, "\"tagStatus\":\"any\",\"countType\":\"imageCountMoreThan\",\"countNumber\":1e10")),
		  "countNumber must be a whole number from 1 to 2147483647" },
		/* tagPrefixList and tagPatternList: with tagged only, and not both */
		{ POLICY1(RULE(1, "\"tagStatus\":\"any\",\"tagPatternList\":[\"v*\"],\"countType\":\"imageCountMoreThan\",\"countNumber\":1")),
		  "go with tagStatus tagged only" },
		{ POLICY1(RULE(1, "\"tagStatus\":\"untagged\",\"tagPatternList\":[\"v*\"],\"countType\":\"imageCountMoreThan\",\"countNumber\":1")),
		  "go with tagStatus tagged only" },
		{ POLICY1(RULE(1, "\"tagStatus\":\"tagged\",\"tagPatternList\":[],\"countType\":\"imageCountMoreThan\",\"countNumber\":1")),
		  "needs a non-empty tagPrefixList or tagPatternList" },
		/* ECR's archive storage class (transition, sinceImagePulled, sinceImageTransitioned):
		 * no registry has one, so refused by name rather than as unknown */
		{ POLICY1(RULE(1, "\"tagStatus\":\"any\",\"countType\":\"sinceImagePulled\",\"countUnit\":\"days\",\"countNumber\":90")),
		  "countType sinceImagePulled is not supported: registries record no pull time" },
		{ POLICY1(RULE(1, "\"tagStatus\":\"any\",\"storageClass\":\"archive\",\"countType\":\"sinceImageTransitioned\","
		                  "\"countUnit\":\"days\",\"countNumber\":365")),
		  "storageClass archive (ECR's archive storage class) is not supported" },
		{ POLICY1(RULE(1, "\"tagStatus\":\"any\",\"countType\":\"sinceImageTransitioned\",\"countUnit\":\"days\",\"countNumber\":365")),
		  "countType sinceImageTransitioned (ECR's archive storage class) is not supported" },
		{ "{\"rules\":[{\"rulePriority\":1,\"selection\":{\"tagStatus\":\"any\",\"countType\":\"imageCountMoreThan\","
		  "\"countNumber\":2},\"action\":{\"type\":\"transition\",\"targetStorageClass\":\"archive\"}}]}",
		  "action type transition (to ECR's archive storage class) is not supported: only expire" },
		{ "{\"rules\":[{\"rulePriority\":1,\"selection\":{\"tagStatus\":\"any\",\"countType\":\"imageCountMoreThan\","
		  "\"countNumber\":2},\"action\":{\"type\":\"expire\",\"targetStorageClass\":\"archive\"}}]}",
		  "targetStorageClass goes with action type transition only" },
		{ POLICY1(RULE(1, "\"tagStatus\":\"any\",\"storageClass\":\"cold\",\"countType\":\"imageCountMoreThan\",\"countNumber\":1")),
		  "storageClass must be standard" },
	};
	for (size_t i = 0; i < sizeof props / sizeof *props; i++) {
		const char *got = run(props[i][0], NULL, ex1, 3, false);
		if (!strstr(got, props[i][1])) {
			printf("FAIL property %zu: wanted \"%s\", got \"%s\"\n", i, props[i][1], got);
			t_failed++;
		} else {
			t_passed++;
		}
	}
	/* storageClass standard is ECR's default: the same as leaving it out */
	CHECK_STR(run(POLICY1(RULE(1, "\"tagStatus\":\"any\",\"storageClass\":\"standard\",\"countType\":\"imageCountMoreThan\","
	                              "\"countNumber\":2")), NULL, ex3, 5, false), "T1 U1 U2");

	/* flags: per tag, newest first */
	const struct img tags[] = {
		{ "A", { "1.0", "stable" }, 100 },
		{ "B", { "1.1" }, 50 },
		{ "C", { "1.2", "latest" }, 10 },
		{ "D", { "pr-7" }, 40 },
	};
	struct wn_policy f = { .keep = 1, .older_than_days = -1 };
	/* per tag: C's two tags tie on time, and the name order decides (a non-version sorts above) */
	CHECK_STR(run(NULL, &f, tags, 4, true), "A:1.0 A:stable B:1.1 C:1.2 D:pr-7");
	f.protect = "^(stable|latest)$";
	CHECK_STR(run(NULL, &f, tags, 4, true), "A:1.0 B:1.1 D:pr-7");
	f.match = "^1\\.";
	CHECK_STR(run(NULL, &f, tags, 4, true), "A:1.0 B:1.1");
	CHECK_STR(run(NULL, &f, tags, 4, false), "B"); /* A keeps "stable": the image stays, only 1.0 goes */
	f.keep = -1;
	f.older_than_days = 45;
	f.match = NULL;
	f.exclude = "^pr-";
	CHECK_STR(run(NULL, &f, tags, 4, true), "A:1.0 B:1.1");
	f.keep = 1;
	f.older_than_days = 60; /* both: beyond the newest one AND older than 60 days */
	CHECK_STR(run(NULL, &f, tags, 4, true), "A:1.0");
	f.exclude = NULL;
	f.protect = NULL;
	f.keep = 0;
	f.older_than_days = -1;
	CHECK_STR(run(NULL, &f, tags, 4, false), "A B C D");
	f.match = "(";
	CHECK(strstr(run(NULL, &f, tags, 4, false), "invalid --match") != NULL);

	/* undated: the epoch of reproducible builds, before 2000, in the future, unknown */
	CHECK(!wn_ret_time_known(0, NOW));
	CHECK(!wn_ret_time_known(-1, NOW));
	CHECK(!wn_ret_time_known(946684799, NOW));      /* 1999-12-31T23:59:59Z */
	CHECK(wn_ret_time_known(946684800, NOW));       /* 2000-01-01T00:00:00Z */
	CHECK(wn_ret_time_known(NOW + DAY, NOW));       /* a clock a day ahead is still now */
	CHECK(!wn_ret_time_known(NOW + DAY + 1, NOW));
	const struct img ko[] = {
		{ "K1", { "v1" }, AT }, { "K2", { "v2" }, AT }, { "F", { "v3" }, AT }, { "O", { "v0" }, 100 }, { "N", { "v4" }, 1 },
	};
	const int64_t ko_at[] = { 0, 0, NOW + 30 * DAY }; /* ko, rules_oci, apko, Nix write 1970; a clock gone wrong */
	at = ko_at;
	struct wn_policy u = { .keep = -1, .older_than_days = 14 };
	CHECK_STR(run(NULL, &u, ko, 5, false), "O");  /* never "older than 14d" on an undated time */
	u.keep = 1;
	u.older_than_days = -1;
	CHECK_STR(run(NULL, &u, ko, 5, false), "O");  /* left out of the ranking: only the dated count */
	u.keep = 0;                                   /* no time involved: --keep 0 takes every selected tag */
	CHECK_STR(run(NULL, &u, ko, 5, false), "K1 K2 F O N");
	u.expire_undated = 1;                         /* asked for: undated are the oldest of all */
	u.keep = 2;
	CHECK_STR(run(NULL, &u, ko, 5, false), "K1 K2 F");
	u.keep = -1;
	u.older_than_days = 14;
	CHECK_STR(run(NULL, &u, ko, 5, false), "K1 K2 F O");
	/* ECR rules: undated images are claimed by the rule that selects them, and neither ranked nor expired */
	CHECK_STR(run(POLICY1(RULE(1, "\"tagStatus\":\"any\",\"countType\":\"sinceImagePushed\",\"countUnit\":\"days\",\"countNumber\":14")),
	              NULL, ko, 5, false), "O");
	CHECK_STR(run(POLICY1(RULE(1, "\"tagStatus\":\"any\",\"countType\":\"imageCountMoreThan\",\"countNumber\":1")),
	              NULL, ko, 5, false), "O");
	CHECK_STR(run(POLICY2(RULE(1, "\"tagStatus\":\"tagged\",\"tagPrefixList\":[\"v\"],\"countType\":\"imageCountMoreThan\",\"countNumber\":5"),
	                      RULE(2, "\"tagStatus\":\"any\",\"countType\":\"imageCountMoreThan\",\"countNumber\":1")),
	              NULL, ko, 5, false), "");
	return TEST_DONE();
}
