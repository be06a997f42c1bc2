/* Unit tests: the prefix and identity policy plugins (the real .so through
 * libltdl, with the fake host), against MM2's DefaultReplicationPolicy and
 * IdentityReplicationPolicy (mm2.md §1.1, §3). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <kmirror/plugin.h>

#include "fakehost.h"

static fh_module_t *prefix_mod, *identity_mod;
static const km_plugin_t *prefix_pl, *identity_pl;

/* Where the name-producing calls write. */
static char buf[256];

#define KV(...) ((const char *const[]){__VA_ARGS__, NULL})
#define OPS(fi) ((fi)->fhi_plugin->policy)

#define REMOTE(fi, alias, topic)                                                                   \
	OPS(fi)->format_remote_topic((fi)->fhi_inst, alias, topic, buf, sizeof(buf))
#define SOURCE(fi, topic)         OPS(fi)->topic_source((fi)->fhi_inst, topic, buf, sizeof(buf))
#define UPSTREAM(fi, topic)       OPS(fi)->upstream_topic((fi)->fhi_inst, topic, buf, sizeof(buf))
#define HEARTBEATS(fi)            OPS(fi)->heartbeats_topic((fi)->fhi_inst, buf, sizeof(buf))
#define CHECKPOINTS(fi, alias)    OPS(fi)->checkpoints_topic((fi)->fhi_inst, alias, buf, sizeof(buf))
#define OFFSET_SYNCS(fi, alias)   OPS(fi)->offset_syncs_topic((fi)->fhi_inst, alias, buf, sizeof(buf))
#define IS_INTERNAL(fi, topic)    OPS(fi)->is_internal_topic((fi)->fhi_inst, topic)
#define IS_CHECKPOINTS(fi, topic) OPS(fi)->is_checkpoints_topic((fi)->fhi_inst, topic)

#define ASSERT_NAME(expr, want)                                                                    \
	do {                                                                                       \
		assert_int_equal((expr), KM_OK);                                                   \
		assert_string_equal(buf, (want));                                                  \
	} while (0)
#define ASSERT_NOENT(expr)                                                                         \
	do {                                                                                       \
		assert_int_equal((expr), KM_ERR_NOENT);                                            \
		assert_string_equal(buf, "");                                                      \
	} while (0)

static void make(fh_instance_t *fi, const km_plugin_t *pl, const char *flow_source,
                 const char *flow_target, const char *const *kv) {
	km_err_t err = fh_instance_create(fi, pl, flow_source, flow_target, kv);

	if (err != KM_OK)
		fail_msg("%s create: %d: %s", pl->name, (int)err, fi->fhi_errstr);
	assert_non_null(fi->fhi_inst);
}

/* ---- host-side derivations (what the core does with a policy) ------------ */

/* ReplicationPolicy.originalTopic: upstream_topic until none or unchanged. */
static void original_topic(const fh_instance_t *fi, const char *topic, char *out, size_t size) {
	char cur[256], up[256];
	km_err_t err;

	snprintf(cur, sizeof(cur), "%s", topic);
	for (;;) {
		err = OPS(fi)->upstream_topic(fi->fhi_inst, cur, up, sizeof(up));
		if (err == KM_ERR_NOENT || strcmp(up, cur) == 0)
			break;
		assert_int_equal(err, KM_OK);
		memcpy(cur, up, sizeof(cur));
	}
	snprintf(out, size, "%s", cur);
}

/* MirrorSourceConnector.isCycle for a flow into @p target (mm2.md §3.2). */
static int is_cycle(const fh_instance_t *fi, const char *topic, const char *target) {
	char source[256], up[256];
	km_err_t err;

	err = OPS(fi)->topic_source(fi->fhi_inst, topic, source, sizeof(source));
	if (err == KM_ERR_NOENT)
		return 0;
	assert_int_equal(err, KM_OK);
	if (strcmp(source, target) == 0)
		return 1;
	err = OPS(fi)->upstream_topic(fi->fhi_inst, topic, up, sizeof(up));
	if (err == KM_ERR_NOENT || strcmp(up, topic) == 0)
		return 0; /* identity and the like: no cycle can be seen */
	assert_int_equal(err, KM_OK);
	return is_cycle(fi, up, target);
}

/* ---- descriptors ---------------------------------------------------------- */

static void assert_policy_descriptor(const km_plugin_t *pl, const char *name) {
	const km_param_t *p = pl->params;

	assert_int_equal(pl->abi_major, KM_PLUGIN_ABI_MAJOR);
	assert_int_equal(pl->abi_minor, KM_PLUGIN_ABI_MINOR);
	assert_int_equal(pl->size, sizeof(km_plugin_t));
	assert_string_equal(pl->name, name);
	assert_non_null(pl->version);
	assert_non_null(pl->description);
	assert_int_equal(pl->kind, KM_PLUGIN_POLICY);
	assert_int_equal(pl->flags, 0); /* reserved */
	assert_non_null(pl->create);
	assert_non_null(pl->destroy);
	assert_non_null(pl->policy);
	assert_null(pl->topic_filter);
	assert_null(pl->stage);
	assert_non_null(pl->policy->format_remote_topic);
	assert_non_null(pl->policy->topic_source);
	assert_non_null(pl->policy->upstream_topic);
	assert_non_null(pl->policy->heartbeats_topic);
	assert_non_null(pl->policy->checkpoints_topic);
	assert_non_null(pl->policy->offset_syncs_topic);
	assert_non_null(pl->policy->is_internal_topic);
	assert_non_null(pl->policy->is_checkpoints_topic);

	assert_non_null(p);
	assert_string_equal(p[0].name, "separator");
	assert_int_equal(p[0].type, KM_PARAM_STRING);
	assert_string_equal(p[0].def, ".");
	assert_int_equal(p[0].flags, 0);
	assert_non_null(p[0].doc);
	assert_string_equal(p[1].name, "internal.topic.separator.enabled");
	assert_int_equal(p[1].type, KM_PARAM_BOOL);
	assert_string_equal(p[1].def, "true");
	assert_int_equal(p[1].flags, 0);
	assert_non_null(p[1].doc);
	assert_null(p[2].name);
}

static void test_prefix_descriptor(void **state) {
	assert_policy_descriptor(prefix_pl, "prefix");
}

static void test_identity_descriptor(void **state) {
	assert_policy_descriptor(identity_pl, "identity");
}

/* The shared naming code is compiled in but hidden: only km_plugin is
 * exported. */
static void test_only_descriptor_exported(void **state) {
	static const char *const hidden[] = {"km_pfx_params",       "km_pfx_init",
	                                     "km_pfx_topic_source", "prefix_create",
	                                     "identity_create",     "prefix_ops"};

	for (size_t i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++) {
		assert_null(fh_module_sym(prefix_mod, hidden[i]));
		assert_null(fh_module_sym(identity_mod, hidden[i]));
	}
	assert_ptr_equal(fh_module_sym(prefix_mod, KM_PLUGIN_SYMBOL), prefix_pl);
}

/* ---- prefix: names (§1.1) -------------------------------------------------- */

static void test_prefix_default_names(void **state) {
	fh_instance_t fi;

	make(&fi, prefix_pl, "A", "B", NULL);
	ASSERT_NAME(HEARTBEATS(&fi), "heartbeats");
	ASSERT_NAME(REMOTE(&fi, "A", "heartbeats"), "A.heartbeats");
	ASSERT_NAME(REMOTE(&fi, "B", "A.heartbeats"), "B.A.heartbeats");
	ASSERT_NAME(REMOTE(&fi, "A", "t"), "A.t");
	ASSERT_NAME(CHECKPOINTS(&fi, "A"), "A.checkpoints.internal");
	ASSERT_NAME(OFFSET_SYNCS(&fi, "B"), "mm2-offset-syncs.B.internal");
	ASSERT_NAME(OFFSET_SYNCS(&fi, "A"), "mm2-offset-syncs.A.internal");
	assert_string_equal(fh_ctx_log(fi.fhi_ctx), "");
	fh_instance_destroy(&fi);
}

static void test_prefix_separator_underscore(void **state) {
	fh_instance_t fi;

	make(&fi, prefix_pl, "A", "B", KV("separator", "_"));
	ASSERT_NAME(CHECKPOINTS(&fi, "A"), "A_checkpoints_internal");
	ASSERT_NAME(OFFSET_SYNCS(&fi, "B"), "mm2-offset-syncs_B_internal");
	ASSERT_NAME(REMOTE(&fi, "A", "t"), "A_t");
	ASSERT_NAME(HEARTBEATS(&fi), "heartbeats");
	ASSERT_NAME(REMOTE(&fi, "A", "heartbeats"), "A_heartbeats");
	ASSERT_NAME(SOURCE(&fi, "A_t"), "A");
	ASSERT_NAME(UPSTREAM(&fi, "A_B_t"), "B_t");
	ASSERT_NOENT(SOURCE(&fi, "A.t"));
	assert_true(IS_CHECKPOINTS(&fi, "A_checkpoints_internal"));
	assert_false(IS_CHECKPOINTS(&fi, "A.checkpoints.internal"));
	fh_instance_destroy(&fi);

	make(&fi, prefix_pl, "A", "B",
	     KV("separator", "_", "internal.topic.separator.enabled", "true"));
	ASSERT_NAME(CHECKPOINTS(&fi, "A"), "A_checkpoints_internal");
	fh_instance_destroy(&fi);
}

/* KIP-949: the flag off keeps "." in internal names; remote names still use
 * the separator. */
static void test_prefix_internal_separator_disabled(void **state) {
	fh_instance_t fi;

	make(&fi, prefix_pl, "A", "B",
	     KV("separator", "_", "internal.topic.separator.enabled", "false"));
	ASSERT_NAME(CHECKPOINTS(&fi, "A"), "A.checkpoints.internal");
	ASSERT_NAME(OFFSET_SYNCS(&fi, "B"), "mm2-offset-syncs.B.internal");
	ASSERT_NAME(REMOTE(&fi, "A", "t"), "A_t");
	assert_true(IS_CHECKPOINTS(&fi, "A.checkpoints.internal"));
	assert_false(IS_CHECKPOINTS(&fi, "A_checkpoints_internal"));
	fh_instance_destroy(&fi);
}

/* The flag is only consulted when the separator key is set. */
static void test_prefix_flag_without_separator(void **state) {
	fh_instance_t fi;

	make(&fi, prefix_pl, "A", "B", KV("internal.topic.separator.enabled", "false"));
	ASSERT_NAME(CHECKPOINTS(&fi, "A"), "A.checkpoints.internal");
	ASSERT_NAME(REMOTE(&fi, "A", "t"), "A.t");
	fh_instance_destroy(&fi);

	make(&fi, prefix_pl, "A", "B", KV("internal.topic.separator.enabled", "true"));
	ASSERT_NAME(OFFSET_SYNCS(&fi, "B"), "mm2-offset-syncs.B.internal");
	fh_instance_destroy(&fi);

	/* explicitly "." is the same as the default */
	make(&fi, prefix_pl, "A", "B", KV("separator", "."));
	ASSERT_NAME(CHECKPOINTS(&fi, "A"), "A.checkpoints.internal");
	fh_instance_destroy(&fi);
}

/* An empty separator is refused by both policies, the key named to the
 * host (which puts it and its position in front). */
static void test_prefix_empty_separator_refused(void **state) {
	const km_plugin_t *pls[] = {prefix_pl, identity_pl};

	for (size_t i = 0; i < 2; i++) {
		fh_instance_t fi;
		size_t item = 99;

		assert_int_equal(fh_instance_create(&fi, pls[i], "A", "B", KV("separator", "")),
		                 KM_ERR_INVALID);
		assert_null(fi.fhi_inst);
		assert_string_equal(fi.fhi_errstr,
		                    "'' is not allowed; give a non-empty separator such as '_', or "
		                    "remove the key to use '.'");
		assert_string_equal(fh_ctx_param_error(fi.fhi_ctx, &item), "separator");
		assert_int_equal(item, 0);
		fh_instance_destroy(&fi);
	}
}

/* A host older than ABI 2.1 has no param_error: the policies do not call
 * past its table and still refuse, with the same message. */
static void test_empty_separator_older_host(void **state) {
	const char *const kv[] = {"separator", "", NULL};
	km_host_api_t v2_0 = fh_host;
	char errstr[512] = "";
	km_ctx_t *ctx = fh_ctx_new("old", "A", "B");
	km_params_t *params = fh_params_bind(prefix_pl->params, kv, errstr, sizeof(errstr));
	void *inst = NULL;

	v2_0.size = (uint32_t)offsetof(km_host_api_t, param_error);
	v2_0.param_error = NULL; /* a plugin calling past the size crashes here */
	assert_non_null(params);
	assert_int_equal(prefix_pl->create(&v2_0, ctx, params, &inst, errstr, sizeof(errstr)),
	                 KM_ERR_INVALID);
	assert_null(inst);
	assert_string_equal(errstr, "'' is not allowed; give a non-empty separator such as '_', or "
	                            "remove the key to use '.'");
	fh_params_free(params);
	fh_ctx_free(ctx);
}

/* ---- prefix: topicSource / upstreamTopic (§3.1) ---------------------------- */

struct source_vector {
	const char *sep;
	const char *topic;
	const char *source;   /* NULL: not remote */
	const char *upstream; /* NULL: not remote */
};

static const struct source_vector source_vectors[] = {
    /* the edge cases of §3.1 */
    {".", "A.t", "A", "t"},
    {".", "A.B.t", "A", "B.t"},
    {".", "t", NULL, NULL},
    {".", "A.", NULL, NULL},
    {".", "A..", NULL, NULL},
    {".", ".t", "", "t"},
    {".", "A..b", "A", ".b"},
    /* more of Java's String.split (trailing empty pieces dropped) */
    {".", "", NULL, NULL},
    {".", ".", NULL, NULL},
    {".", "..", NULL, NULL},
    {".", "..t", "", ".t"},
    {".", "A.B.", "A", "B."},
    {".", "A.heartbeats", "A", "heartbeats"},
    {".", "heartbeats", NULL, NULL},
    {"_", "A_t", "A", "t"},
    {"_", "A.t", NULL, NULL},
    {"_", "A__", NULL, NULL},
    /* a separator longer than one character */
    {"__", "A__t", "A", "t"},
    {"__", "A___t", "A", "_t"},
    {"__", "A____", NULL, NULL},
    {"__", "A_____", "A", "___"},
    {"__", "A_t", NULL, NULL},
};

static void test_prefix_topic_source_vectors(void **state) {
	for (size_t i = 0; i < sizeof(source_vectors) / sizeof(source_vectors[0]); i++) {
		const struct source_vector *v = &source_vectors[i];
		fh_instance_t fi;
		km_err_t err;

		make(&fi, prefix_pl, "A", "B", KV("separator", v->sep));
		err = SOURCE(&fi, v->topic);
		if (v->source ? err != KM_OK || strcmp(buf, v->source) != 0
		              : err != KM_ERR_NOENT || buf[0])
			fail_msg("sep \"%s\": topic_source(\"%s\") = %d \"%s\", want \"%s\"",
			         v->sep, v->topic, (int)err, buf, v->source ? v->source : "(none)");
		err = UPSTREAM(&fi, v->topic);
		if (v->upstream ? err != KM_OK || strcmp(buf, v->upstream) != 0
		                : err != KM_ERR_NOENT || buf[0])
			fail_msg("sep \"%s\": upstream_topic(\"%s\") = %d \"%s\", want \"%s\"",
			         v->sep, v->topic, (int)err, buf,
			         v->upstream ? v->upstream : "(none)");
		fh_instance_destroy(&fi);
	}
}

static void test_prefix_original_topic(void **state) {
	fh_instance_t fi;
	char orig[256];

	make(&fi, prefix_pl, "A", "B", NULL);
	original_topic(&fi, "A.B.t", orig, sizeof(orig));
	assert_string_equal(orig, "t");
	original_topic(&fi, "t", orig, sizeof(orig));
	assert_string_equal(orig, "t");
	original_topic(&fi, "B.A.heartbeats", orig, sizeof(orig));
	assert_string_equal(orig, "heartbeats"); /* so isHeartbeatsTopic holds */
	/* "A..b" -> ".b" -> "b" (".b" is remote from the alias "") */
	original_topic(&fi, "A..b", orig, sizeof(orig));
	assert_string_equal(orig, "b");
	fh_instance_destroy(&fi);
}

/* ---- buffers ------------------------------------------------------------- */

/* Every name that does not fit is refused with "" left behind, never cut. */
static void assert_exact_fit(fh_instance_t *fi) {
	const km_policy_ops_t *ops = OPS(fi);
	void *inst = fi->fhi_inst;
	char small[32];

	/* "A.heartbeats": 12 characters need 13 bytes */
	memset(small, 'x', sizeof(small));
	assert_int_equal(ops->format_remote_topic(inst, "A", "heartbeats", small, 12),
	                 KM_ERR_INVALID);
	assert_string_equal(small, "");
	assert_int_equal(ops->format_remote_topic(inst, "A", "heartbeats", small, 13), KM_OK);
	assert_string_equal(small, "A.heartbeats");
	assert_int_equal(ops->format_remote_topic(inst, "A", "heartbeats", NULL, 0),
	                 KM_ERR_INVALID);

	memset(small, 'x', sizeof(small));
	assert_int_equal(ops->topic_source(inst, "AB.heartbeats", small, 2), KM_ERR_INVALID);
	assert_string_equal(small, "");
	assert_int_equal(ops->topic_source(inst, "AB.heartbeats", small, 3), KM_OK);
	assert_string_equal(small, "AB");

	memset(small, 'x', sizeof(small));
	assert_int_equal(ops->upstream_topic(inst, "A.heartbeats", small, 10), KM_ERR_INVALID);
	assert_string_equal(small, "");
	assert_int_equal(ops->upstream_topic(inst, "A.heartbeats", small, 11), KM_OK);
	assert_string_equal(small, "heartbeats");

	memset(small, 'x', sizeof(small));
	assert_int_equal(ops->heartbeats_topic(inst, small, 10), KM_ERR_INVALID);
	assert_string_equal(small, "");
	assert_int_equal(ops->heartbeats_topic(inst, small, 11), KM_OK);
	assert_int_equal(ops->heartbeats_topic(inst, NULL, 0), KM_ERR_INVALID);

	/* "A.checkpoints.internal": 22 characters */
	memset(small, 'x', sizeof(small));
	assert_int_equal(ops->checkpoints_topic(inst, "A", small, 22), KM_ERR_INVALID);
	assert_string_equal(small, "");
	assert_int_equal(ops->checkpoints_topic(inst, "A", small, 23), KM_OK);
	assert_string_equal(small, "A.checkpoints.internal");

	/* "mm2-offset-syncs.B.internal": 27 characters */
	memset(small, 'x', sizeof(small));
	assert_int_equal(ops->offset_syncs_topic(inst, "B", small, 27), KM_ERR_INVALID);
	assert_string_equal(small, "");
	assert_int_equal(ops->offset_syncs_topic(inst, "B", small, 28), KM_OK);
	assert_string_equal(small, "mm2-offset-syncs.B.internal");
}

static void test_prefix_buffer_too_small(void **state) {
	fh_instance_t fi;
	char small[4];

	make(&fi, prefix_pl, "A", "B", NULL);
	assert_exact_fit(&fi);
	assert_int_equal(OPS(&fi)->format_remote_topic(fi.fhi_inst, "A", "t", small, 3),
	                 KM_ERR_INVALID);
	assert_int_equal(OPS(&fi)->format_remote_topic(fi.fhi_inst, "A", "t", small, 4), KM_OK);
	assert_string_equal(small, "A.t");
	/* a name that does not exist is NOENT even with no room */
	assert_int_equal(OPS(&fi)->topic_source(fi.fhi_inst, "t", NULL, 0), KM_ERR_NOENT);
	fh_instance_destroy(&fi);
}

static void test_identity_buffer_too_small(void **state) {
	fh_instance_t fi;
	char small[8];

	make(&fi, identity_pl, "A", "B", NULL);
	assert_exact_fit(&fi);
	memset(small, 'x', sizeof(small));
	assert_int_equal(OPS(&fi)->format_remote_topic(fi.fhi_inst, "A", "orders", small, 6),
	                 KM_ERR_INVALID);
	assert_string_equal(small, "");
	assert_int_equal(OPS(&fi)->format_remote_topic(fi.fhi_inst, "A", "orders", small, 7),
	                 KM_OK);
	assert_string_equal(small, "orders");
	assert_int_equal(OPS(&fi)->topic_source(fi.fhi_inst, "orders", small, 1), KM_ERR_INVALID);
	assert_int_equal(OPS(&fi)->topic_source(fi.fhi_inst, "orders", small, 2), KM_OK);
	assert_string_equal(small, "A");
	assert_int_equal(OPS(&fi)->upstream_topic(fi.fhi_inst, "orders", small, 6), KM_ERR_INVALID);
	fh_instance_destroy(&fi);
}

/* ---- internal topics ------------------------------------------------------ */

static void test_internal_topics(void **state) {
	static const struct {
		const char *topic;
		int internal;
		int checkpoints;
	} dot[] = {
	    {"__consumer_offsets", 1, 0},
	    {"__transaction_state", 1, 0},
	    {".hidden", 1, 0},
	    {"x-internal", 1, 0},
	    {"x.internal", 1, 0},
	    {"A.checkpoints.internal", 1, 1},
	    {".checkpoints.internal", 1, 1},
	    {"B.A.checkpoints.internal", 1, 1},
	    {"mm2-offset-syncs.B.internal", 1, 0},
	    {"mm2-offsets.A.internal", 1, 0},
	    {"orders", 0, 0},
	    {"heartbeats", 0, 0},
	    {"A.heartbeats", 0, 0},
	    {"internal", 0, 0},
	    {"xinternal", 0, 0},
	    {"x_internal", 0, 0},
	    {"checkpoints.internal", 1, 0},
	    {"A.checkpoints.internalx", 0, 0},
	    {"A_checkpoints_internal", 0, 0},
	    {"_x", 0, 0},
	    {"", 0, 0},
	};
	fh_instance_t fi[2];

	make(&fi[0], prefix_pl, "A", "B", NULL);
	make(&fi[1], identity_pl, "A", "B", NULL);
	for (size_t p = 0; p < 2; p++) {
		for (size_t i = 0; i < sizeof(dot) / sizeof(dot[0]); i++) {
			if (IS_INTERNAL(&fi[p], dot[i].topic) != dot[i].internal)
				fail_msg("%s: is_internal_topic(\"%s\") != %d",
				         fi[p].fhi_plugin->name, dot[i].topic, dot[i].internal);
			if (IS_CHECKPOINTS(&fi[p], dot[i].topic) != dot[i].checkpoints)
				fail_msg("%s: is_checkpoints_topic(\"%s\") != %d",
				         fi[p].fhi_plugin->name, dot[i].topic, dot[i].checkpoints);
		}
		fh_instance_destroy(&fi[p]);
	}

	/* with separator "_", I + "internal" is "_internal" */
	make(&fi[0], prefix_pl, "A", "B", KV("separator", "_"));
	assert_true(IS_INTERNAL(&fi[0], "x_internal"));
	assert_true(IS_INTERNAL(&fi[0], "A_checkpoints_internal"));
	assert_true(IS_INTERNAL(&fi[0], "x.internal"));
	assert_true(IS_INTERNAL(&fi[0], "x-internal"));
	assert_false(IS_INTERNAL(&fi[0], "xinternal"));
	assert_true(IS_CHECKPOINTS(&fi[0], "A_checkpoints_internal"));
	fh_instance_destroy(&fi[0]);

	make(&fi[0], prefix_pl, "A", "B",
	     KV("separator", "_", "internal.topic.separator.enabled", "false"));
	assert_false(IS_INTERNAL(&fi[0], "x_internal"));
	assert_true(IS_INTERNAL(&fi[0], "A.checkpoints.internal"));
	fh_instance_destroy(&fi[0]);
}

/* ---- cycle detection (§3.2) ----------------------------------------------- */

static void test_prefix_cycle_detection(void **state) {
	fh_instance_t ab, ba;

	/* A->B and B->A, both with the prefix policy */
	make(&ab, prefix_pl, "A", "B", NULL);
	make(&ba, prefix_pl, "B", "A", NULL);

	/* on B, flow B->A */
	assert_true(is_cycle(&ba, "A.t", "A"));
	assert_true(is_cycle(&ba, "C.A.t", "A"));
	assert_true(is_cycle(&ba, "A.heartbeats", "A"));
	assert_false(is_cycle(&ba, "t", "A"));
	assert_false(is_cycle(&ba, "C.t", "A"));
	assert_false(is_cycle(&ba, "B.t", "A"));
	assert_false(is_cycle(&ba, "heartbeats", "A"));

	/* on A, flow A->B */
	assert_true(is_cycle(&ab, "B.t", "B"));
	assert_true(is_cycle(&ab, "C.D.B.t", "B"));
	assert_false(is_cycle(&ab, "A.t", "B"));
	assert_false(is_cycle(&ab, "t", "B"));

	/* the caveat of §3.1: a local topic that looks remote */
	assert_true(is_cycle(&ab, "B.v2", "B"));
	fh_instance_destroy(&ab);
	fh_instance_destroy(&ba);
}

static void test_identity_no_cycle_detection(void **state) {
	fh_instance_t ab, ba;

	make(&ab, identity_pl, "A", "B", NULL);
	make(&ba, identity_pl, "B", "A", NULL);
	assert_false(is_cycle(&ba, "t", "A"));
	assert_false(is_cycle(&ba, "A.t", "A"));
	assert_false(is_cycle(&ba, "C.A.t", "A"));
	assert_false(is_cycle(&ab, "t", "B"));
	assert_false(is_cycle(&ab, "B.t", "B"));
	/* heartbeats keep prefixes, so they still stop at the cycle (as in MM2) */
	assert_true(is_cycle(&ba, "A.heartbeats", "A"));
	assert_false(is_cycle(&ba, "heartbeats", "A"));
	fh_instance_destroy(&ab);
	fh_instance_destroy(&ba);
}

/* ---- identity (§3.3) ------------------------------------------------------- */

static void test_identity_names(void **state) {
	fh_instance_t fi;
	char orig[256];

	make(&fi, identity_pl, "A", "B", NULL);
	ASSERT_NAME(REMOTE(&fi, "A", "orders"), "orders");
	ASSERT_NAME(REMOTE(&fi, "A", "A.orders"), "A.orders");
	ASSERT_NAME(SOURCE(&fi, "orders"), "A");
	ASSERT_NAME(SOURCE(&fi, "C.orders"), "A");
	ASSERT_NAME(UPSTREAM(&fi, "orders"), "orders");
	ASSERT_NAME(UPSTREAM(&fi, "A.B.t"), "A.B.t");
	original_topic(&fi, "A.B.t", orig, sizeof(orig));
	assert_string_equal(orig, "A.B.t");
	original_topic(&fi, "orders", orig, sizeof(orig));
	assert_string_equal(orig, "orders");

	/* topics ending with "heartbeats" are named as by prefix */
	ASSERT_NAME(HEARTBEATS(&fi), "heartbeats");
	ASSERT_NAME(REMOTE(&fi, "A", "heartbeats"), "A.heartbeats");
	ASSERT_NAME(REMOTE(&fi, "B", "A.heartbeats"), "B.A.heartbeats");
	ASSERT_NAME(REMOTE(&fi, "A", "myheartbeats"), "A.myheartbeats");
	ASSERT_NAME(SOURCE(&fi, "C.heartbeats"), "C");
	ASSERT_NAME(UPSTREAM(&fi, "B.A.heartbeats"), "A.heartbeats");
	ASSERT_NOENT(SOURCE(&fi, "heartbeats"));
	ASSERT_NOENT(UPSTREAM(&fi, "heartbeats"));
	original_topic(&fi, "B.A.heartbeats", orig, sizeof(orig));
	assert_string_equal(orig, "heartbeats");
	/* "heartbeats" in the middle is an ordinary topic */
	ASSERT_NAME(REMOTE(&fi, "A", "heartbeats-x"), "heartbeats-x");

	/* internal names as prefix's */
	ASSERT_NAME(CHECKPOINTS(&fi, "A"), "A.checkpoints.internal");
	ASSERT_NAME(OFFSET_SYNCS(&fi, "B"), "mm2-offset-syncs.B.internal");
	fh_instance_destroy(&fi);
}

static void test_identity_separator(void **state) {
	fh_instance_t fi;

	make(&fi, identity_pl, "A", "B", KV("separator", "_"));
	ASSERT_NAME(REMOTE(&fi, "A", "heartbeats"), "A_heartbeats");
	ASSERT_NAME(REMOTE(&fi, "A", "t"), "t");
	ASSERT_NAME(SOURCE(&fi, "A_heartbeats"), "A");
	ASSERT_NAME(CHECKPOINTS(&fi, "A"), "A_checkpoints_internal");
	ASSERT_NAME(OFFSET_SYNCS(&fi, "B"), "mm2-offset-syncs_B_internal");
	fh_instance_destroy(&fi);

	make(&fi, identity_pl, "A", "B",
	     KV("separator", "_", "internal.topic.separator.enabled", "false"));
	ASSERT_NAME(CHECKPOINTS(&fi, "A"), "A.checkpoints.internal");
	ASSERT_NAME(REMOTE(&fi, "A", "heartbeats"), "A_heartbeats");
	fh_instance_destroy(&fi);
}

/* Outside a flow there is no source alias (source.cluster.alias unset). */
static void test_identity_without_flow(void **state) {
	fh_instance_t fi;

	make(&fi, identity_pl, NULL, NULL, NULL);
	ASSERT_NOENT(SOURCE(&fi, "orders"));
	ASSERT_NAME(UPSTREAM(&fi, "orders"), "orders");
	ASSERT_NAME(REMOTE(&fi, "A", "orders"), "orders");
	ASSERT_NAME(SOURCE(&fi, "A.heartbeats"), "A");
	fh_instance_destroy(&fi);
}

/* ---- the fake binder refuses what the real one refuses --------------------- */

static void test_binding_refuses_bad_config(void **state) {
	fh_instance_t fi;

	assert_int_equal(
	    fh_instance_create(&fi, prefix_pl, "A", "B", KV("replication.separator", "_")),
	    KM_ERR_INVALID);
	assert_string_equal(fi.fhi_errstr, "replication.separator: unknown key");
	fh_instance_destroy(&fi);
	assert_int_equal(fh_instance_create(&fi, prefix_pl, "A", "B",
	                                    KV("internal.topic.separator.enabled", "maybe")),
	                 KM_ERR_INVALID);
	assert_non_null(strstr(fi.fhi_errstr, "invalid value"));
	fh_instance_destroy(&fi);
}

static int group_setup(void **state) {
	prefix_pl = fh_plugin_load("policies/prefix", &prefix_mod);
	identity_pl = fh_plugin_load("policies/identity", &identity_mod);
	return prefix_pl && identity_pl ? 0 : -1;
}

static int group_teardown(void **state) {
	fh_plugin_unload(identity_mod);
	fh_plugin_unload(prefix_mod);
	return 0;
}

int main(void) {
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_prefix_descriptor),
	    cmocka_unit_test(test_identity_descriptor),
	    cmocka_unit_test(test_only_descriptor_exported),
	    cmocka_unit_test(test_prefix_default_names),
	    cmocka_unit_test(test_prefix_separator_underscore),
	    cmocka_unit_test(test_prefix_internal_separator_disabled),
	    cmocka_unit_test(test_prefix_flag_without_separator),
	    cmocka_unit_test(test_prefix_empty_separator_refused),
	    cmocka_unit_test(test_empty_separator_older_host),
	    cmocka_unit_test(test_prefix_topic_source_vectors),
	    cmocka_unit_test(test_prefix_original_topic),
	    cmocka_unit_test(test_prefix_buffer_too_small),
	    cmocka_unit_test(test_identity_buffer_too_small),
	    cmocka_unit_test(test_internal_topics),
	    cmocka_unit_test(test_prefix_cycle_detection),
	    cmocka_unit_test(test_identity_no_cycle_detection),
	    cmocka_unit_test(test_identity_names),
	    cmocka_unit_test(test_identity_separator),
	    cmocka_unit_test(test_identity_without_flow),
	    cmocka_unit_test(test_binding_refuses_bad_config),
	};
	return cmocka_run_group_tests_name("policies", tests, group_setup, group_teardown);
}
