/* Control task "acls": topic ACL sync, every sync.topic.acls.interval,
 * first at the start, as MirrorMaker 2 does it: the source's LITERAL
 * TOPIC bindings of the topics the flow copies (the discovery's
 * predicate) go to their mirror topics on the target, ALLOW WRITE
 * dropped (only kmirror writes a mirror topic), ALLOW ALL as ALLOW READ,
 * everything else unchanged (acls.c). It only adds: a binding is created
 * when the target lacks it, and nothing is ever deleted there.
 *
 * Whether a cluster has an authorizer is asked first (km_acls_authorizer:
 * librdkafka drops DescribeAcls' own error code). One without is said
 * once (and shown in the status) and the run counts as done: the next run
 * asks again, silently while nothing changes.
 * @locality control thread */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acls.h"
#include "flow_int.h"
#include "log.h"

/* the status's authorizer states (km_acl_status_t), compared by address */
static const char KM_AUTHZ_UNKNOWN[] = "unknown", KM_AUTHZ_ON[] = "on", KM_AUTHZ_NONE[] = "none",
                  KM_AUTHZ_DENIED[] = "not authorized";

void km_acls_init(km_flow_t *f) {
	f->c.acls = (km_acl_status_t){
	    .enabled = f->sync_acls,
	    .source_authorizer = KM_AUTHZ_UNKNOWN,
	    .target_authorizer = KM_AUTHZ_UNKNOWN,
	};
}

/* Notes in *state what asking @p cluster (the @p role) for its authorizer
 * gave: @p err (@p why), else @p on. Returns 1 when the run ends here:
 * with *err KM_OK for a cluster without an authorizer (said once per
 * change), the error otherwise (said when it differs from the last). */
static int side(km_flow_t *f, const char *role, const char *cluster, const char **state,
                km_err_t *err, int on, const char *why) {
	km_acl_status_t *s = &f->c.acls;
	const char *was = *state;
	char msg[sizeof(s->last_error)];

	if (*err == KM_OK && on) {
		if (was == KM_AUTHZ_NONE)
			km_info("flow %s: the %s cluster %s has an authorizer now: topic ACLs are "
			        "synced",
			        f->name, role, cluster);
		*state = KM_AUTHZ_ON;
		return 0;
	}
	if (*err == KM_OK) {
		if (was != KM_AUTHZ_NONE)
			km_notice(
			    "flow %s: the %s cluster %s has no authorizer (its "
			    "authorizer.class.name is empty): no topic ACLs are synced while it "
			    "has none; ACL sync asks again every %" PRId64
			    " s and says so when that changes",
			    f->name, role, cluster, f->sync_acls_ms / 1000);
		*state = KM_AUTHZ_NONE;
		s->last_error[0] = '\0';
		return 1;
	}
	if ((int)*err == RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED)
		*state = KM_AUTHZ_DENIED;
	snprintf(msg, sizeof(msg), "ACL sync: the %s cluster %s: %s", role, cluster, why);
	if (strcmp(msg, s->last_error)) /* a failure that repeats is said once */
		km_warn("flow %s: %s", f->name, msg);
	memcpy(s->last_error, msg, sizeof(msg));
	km_ctl_error(f, "%s", msg);
	s->failures++;
	return 1;
}

/* Asks the @p role cluster whether it has an authorizer, then its
 * bindings into @p out; 1 when the run ends here (*err says how). */
static int ask(km_flow_t *f, int target, km_acl_list_t *out, km_err_t *err) {
	km_acl_status_t *s = &f->c.acls;
	rd_kafka_t *rk = target ? f->c.dst_admin : f->c.src_admin;
	const char *role = target ? "target" : "source", *cluster = target ? f->target : f->source;
	const char **state = target ? &s->target_authorizer : &s->source_authorizer;
	char why[768];
	int on = 0;

	*err = km_acls_authorizer(rk, KM_ADMIN_TIMEOUT_MS, &on, why, sizeof(why));
	if (side(f, role, cluster, state, err, on, why))
		return 1;
	*err = km_acls_describe(rk, NULL, KM_ADMIN_TIMEOUT_MS, out, why, sizeof(why));
	return side(f, role, cluster, state, err, 1, why);
}

/* The converted bindings of the source's @p src that the target lacks
 * (@p dst), in @p todo (as many entries as @p src); their count. */
static size_t to_create(km_flow_t *f, const km_acl_list_t *src, const km_acl_list_t *dst,
                        km_acl_t *todo, char (*names)[KM_TOPIC_MAX]) {
	km_acl_status_t *s = &f->c.acls;
	const km_policy_ops_t *pol = f->policy->plugin->policy;
	size_t n = 0;

	s->bindings = s->write_dropped = s->present = 0;
	for (size_t i = 0; i < src->cnt; i++) {
		const km_acl_t *a = &src->v[i];
		km_acl_t out;
		char what[512];

		if (!km_ctl_selected(f, a->name))
			continue;
		if (pol->format_remote_topic(f->policy->data, f->source, a->name, names[n],
		                             sizeof(names[n])) != KM_OK)
			continue; /* the topic discovery says so */
		switch (km_acl_sync_convert(a, names[n], &out)) {
		case KM_ACL_WRITE_DROPPED:
			s->write_dropped++;
			continue;
		case KM_ACL_WILDCARD:
			km_dbg("flow %s: ACL sync: %s is not copied: it is every topic's", f->name,
			       km_acl_str(a, what, sizeof(what)));
			continue;
		case KM_ACL_NOT_LITERAL:
			continue;
		case KM_ACL_SYNC:
			break;
		}
		s->bindings++;
		if (km_acl_list_has(dst, &out)) {
			s->present++;
			continue;
		}
		/* ALLOW ALL and ALLOW READ of one principal make one binding */
		int dup = 0;
		for (size_t j = 0; j < n && !dup; j++)
			dup = km_acl_equal(&todo[j], &out);
		if (!dup)
			todo[n++] = out;
	}
	return n;
}

km_err_t km_task_acls(void *arg, int64_t now) {
	km_flow_t *f = arg;
	km_acl_status_t *s = &f->c.acls;
	km_acl_list_t src = {0}, dst = {0};
	km_acl_t *todo = NULL;
	char(*names)[KM_TOPIC_MAX] = NULL;
	char why[768], what[512];
	size_t n, created = 0;
	km_err_t err;

	(void)now;
	s->last_run_ms = km_wall_ms();
	if (ask(f, 0, &src, &err) || ask(f, 1, &dst, &err))
		goto out;
	/* librdkafka passes no refusal of DescribeAcls on: say what an empty
	 * answer may mean, once while it stays empty */
	if (!src.cnt && !f->c.acls_empty_said)
		km_notice(
		    "flow %s: the source cluster %s has no literal topic ACLs, or kmirror's "
		    "principal lacks DESCRIBE on its cluster resource (librdkafka cannot tell "
		    "the two apart)",
		    f->name, f->source);
	f->c.acls_empty_said = !src.cnt;
	if (src.cnt && (!(todo = calloc(src.cnt, sizeof(*todo))) ||
	                !(names = calloc(src.cnt, sizeof(*names)))))
		abort();
	n = to_create(f, &src, &dst, todo, names);
	err = km_acls_create(f->c.dst_admin, todo, n, KM_ADMIN_TIMEOUT_MS, &created, why,
	                     sizeof(why));
	s->synced += created;
	for (size_t i = 0; i < n && err == KM_OK; i++)
		km_info("flow %s: ACL sync: created %s on %s", f->name,
		        km_acl_str(&todo[i], what, sizeof(what)), f->target);
	if (err != KM_OK)
		side(f, "target", f->target, &s->target_authorizer, &err, 1, why);
	else
		s->last_error[0] = '\0';
out:
	free(todo);
	free(names);
	km_acl_list_free(&src);
	km_acl_list_free(&dst);
	return err;
}
