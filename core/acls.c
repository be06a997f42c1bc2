/* Topic ACL bindings: sync's and the grant's conversions, DescribeAcls and
 * CreateAcls. See acls.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acls.h"
#include "kafka.h"

km_acl_verdict_t km_acl_sync_convert(const km_acl_t *src, const char *dst_topic, km_acl_t *out) {
	if (src->restype != RD_KAFKA_RESOURCE_TOPIC ||
	    src->pattern != RD_KAFKA_RESOURCE_PATTERN_LITERAL)
		return KM_ACL_NOT_LITERAL;
	/* "*" is every topic: renamed it would be a topic of that name (prefix
	 * policy) or, with identity, every topic of the target */
	if (!strcmp(src->name, "*"))
		return KM_ACL_WILDCARD;
	if (src->perm == RD_KAFKA_ACL_PERMISSION_TYPE_ALLOW &&
	    src->op == RD_KAFKA_ACL_OPERATION_WRITE)
		return KM_ACL_WRITE_DROPPED;
	*out = *src;
	out->name = dst_topic;
	if (src->perm == RD_KAFKA_ACL_PERMISSION_TYPE_ALLOW &&
	    src->op == RD_KAFKA_ACL_OPERATION_ALL)
		out->op = RD_KAFKA_ACL_OPERATION_READ;
	return KM_ACL_SYNC;
}

int km_acl_grant_convert(const km_acl_t *src, const char *dst_topic, km_acl_t *out) {
	if (src->restype != RD_KAFKA_RESOURCE_TOPIC ||
	    src->pattern != RD_KAFKA_RESOURCE_PATTERN_LITERAL ||
	    src->perm != RD_KAFKA_ACL_PERMISSION_TYPE_ALLOW ||
	    (src->op != RD_KAFKA_ACL_OPERATION_WRITE && src->op != RD_KAFKA_ACL_OPERATION_ALL))
		return 0;
	*out = *src;
	out->name = dst_topic;
	out->op = RD_KAFKA_ACL_OPERATION_WRITE;
	return 1;
}

static int str_eq(const char *a, const char *b) {
	return a == b || (a && b && !strcmp(a, b));
}

int km_acl_equal(const km_acl_t *a, const km_acl_t *b) {
	return a->restype == b->restype && a->pattern == b->pattern && a->op == b->op &&
	       a->perm == b->perm && str_eq(a->name, b->name) &&
	       str_eq(a->principal, b->principal) && str_eq(a->host, b->host);
}

const char *km_acl_str(const km_acl_t *a, char *buf, size_t size) {
	snprintf(buf, size, "%s %s %s on %s%s %s (host %s)", a->principal ? a->principal : "?",
	         rd_kafka_AclPermissionType_name(a->perm), rd_kafka_AclOperation_name(a->op),
	         a->pattern == RD_KAFKA_RESOURCE_PATTERN_LITERAL ? "" : "prefixed ",
	         a->restype == RD_KAFKA_RESOURCE_TOPIC ? "topic" : "resource",
	         a->name ? a->name : "?", a->host ? a->host : "*");
	return buf;
}

km_err_t km_acl_list_add(km_acl_list_t *l, const km_acl_t *a) {
	km_acl_t *n;

	if (l->cnt == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		km_acl_t *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return KM_ERR_NOMEM;
		l->v = v;
		l->cap = cap;
	}
	n = &l->v[l->cnt];
	*n = *a;
	n->name = strdup(a->name ? a->name : "");
	n->principal = strdup(a->principal ? a->principal : "");
	n->host = strdup(a->host ? a->host : "*");
	if (!n->name || !n->principal || !n->host) {
		free((char *)n->name);
		free((char *)n->principal);
		free((char *)n->host);
		return KM_ERR_NOMEM;
	}
	l->cnt++;
	return KM_OK;
}

int km_acl_list_has(const km_acl_list_t *l, const km_acl_t *a) {
	for (size_t i = 0; i < l->cnt; i++)
		if (km_acl_equal(&l->v[i], a))
			return 1;
	return 0;
}

void km_acl_list_free(km_acl_list_t *l) {
	for (size_t i = 0; i < l->cnt; i++) {
		free((char *)l->v[i].name);
		free((char *)l->v[i].principal);
		free((char *)l->v[i].host);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* What an ACL request's error means for an operator: @p need the cluster
 * operation kmirror's principal lacks ("DescribeConfigs", "Alter"). */
static void explain(rd_kafka_resp_err_t err, const char *msg, const char *need, char *errstr,
                    size_t errstr_size) {
	if (err == RD_KAFKA_RESP_ERR_SECURITY_DISABLED)
		snprintf(errstr, errstr_size,
		         "the cluster has no authorizer (SECURITY_DISABLED): it has no ACLs");
	else if (err == RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED)
		snprintf(errstr, errstr_size,
		         "kmirror's principal there lacks %s on the cluster resource "
		         "(CLUSTER_AUTHORIZATION_FAILED): grant it with kafka-acls.sh --add "
		         "--allow-principal PRINCIPAL --operation %s --cluster",
		         need, need);
	else
		snprintf(errstr, errstr_size, "%s (%s)", msg && *msg ? msg : rd_kafka_err2str(err),
		         rd_kafka_err2name(err));
}

/* The answer of type @p type on @p q, or NULL after @p timeout_ms plus
 * a margin (librdkafka answers a request time-out itself). */
static rd_kafka_event_t *wait_answer(rd_kafka_queue_t *q, rd_kafka_event_type_t type,
                                     int timeout_ms) {
	rd_kafka_event_t *ev = rd_kafka_queue_poll(q, timeout_ms + 5000);

	if (ev && rd_kafka_event_type(ev) != type) {
		rd_kafka_event_destroy(ev);
		return NULL;
	}
	return ev;
}

km_err_t km_acls_authorizer(rd_kafka_t *rk, int timeout_ms, int *on, char *errstr,
                            size_t errstr_size) {
	rd_kafka_ConfigResource_t *cr;
	rd_kafka_AdminOptions_t *opts;
	rd_kafka_queue_t *q;
	rd_kafka_event_t *ev;
	const rd_kafka_ConfigResource_t **rr;
	const rd_kafka_ConfigEntry_t **ce;
	size_t n = 0, m = 0;
	int32_t id = rd_kafka_controllerid(rk, timeout_ms);
	km_err_t err = KM_ERR_NOENT;
	char name[16], why[256];

	*on = 0;
	if (id < 0) {
		snprintf(errstr, errstr_size, "no answer to a metadata request within %d ms",
		         timeout_ms);
		return KM_ERR_TIMEOUT;
	}
	snprintf(name, sizeof(name), "%d", (int)id);
	cr = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_BROKER, name);
	q = rd_kafka_queue_new(rk);
	opts = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
	rd_kafka_AdminOptions_set_request_timeout(opts, timeout_ms, NULL, 0);
	rd_kafka_DescribeConfigs(rk, &cr, 1, opts, q);
	rd_kafka_AdminOptions_destroy(opts);
	rd_kafka_ConfigResource_destroy(cr);
	if (!(ev = wait_answer(q, RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT, timeout_ms))) {
		snprintf(errstr, errstr_size,
		         "DescribeConfigs of broker %s: no answer within %d ms", name, timeout_ms);
		err = KM_ERR_TIMEOUT;
		goto out;
	}
	if (rd_kafka_event_error(ev)) {
		explain(rd_kafka_event_error(ev), rd_kafka_event_error_string(ev),
		        "DescribeConfigs", why, sizeof(why));
		snprintf(errstr, errstr_size, "DescribeConfigs of broker %s: %s", name, why);
		err = km_kafka_err2km(rd_kafka_event_error(ev));
		goto out;
	}
	rr = rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(ev),
	                                               &n);
	if (n == 1 && rd_kafka_ConfigResource_error(rr[0])) {
		explain(rd_kafka_ConfigResource_error(rr[0]),
		        rd_kafka_ConfigResource_error_string(rr[0]), "DescribeConfigs", why,
		        sizeof(why));
		snprintf(errstr, errstr_size, "DescribeConfigs of broker %s: %s", name, why);
		err = km_kafka_err2km(rd_kafka_ConfigResource_error(rr[0]));
		goto out;
	}
	ce = n == 1 ? rd_kafka_ConfigResource_configs(rr[0], &m) : NULL;
	for (size_t i = 0; i < m; i++) {
		const char *v = rd_kafka_ConfigEntry_value(ce[i]);
		if (strcmp(rd_kafka_ConfigEntry_name(ce[i]), "authorizer.class.name"))
			continue;
		*on = v && *v;
		err = KM_OK;
	}
	if (err != KM_OK)
		snprintf(errstr, errstr_size,
		         "DescribeConfigs of broker %s: the answer has no authorizer.class.name",
		         name);
out:
	if (ev)
		rd_kafka_event_destroy(ev);
	rd_kafka_queue_destroy(q);
	return err;
}

km_err_t km_acls_describe(rd_kafka_t *rk, const char *topic, int timeout_ms, km_acl_list_t *out,
                          char *errstr, size_t errstr_size) {
	rd_kafka_AclBindingFilter_t *filter;
	rd_kafka_AdminOptions_t *opts;
	rd_kafka_queue_t *q;
	rd_kafka_event_t *ev;
	const rd_kafka_AclBinding_t **found;
	size_t cnt = 0;
	km_err_t err = KM_OK;
	char why[256];

	if (!(filter = rd_kafka_AclBindingFilter_new(
	          RD_KAFKA_RESOURCE_TOPIC, topic, RD_KAFKA_RESOURCE_PATTERN_LITERAL, NULL, NULL,
	          RD_KAFKA_ACL_OPERATION_ANY, RD_KAFKA_ACL_PERMISSION_TYPE_ANY, why,
	          sizeof(why)))) {
		snprintf(errstr, errstr_size, "DescribeAcls: %s", why);
		return KM_ERR_INVALID;
	}
	q = rd_kafka_queue_new(rk);
	opts = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_DESCRIBEACLS);
	rd_kafka_AdminOptions_set_request_timeout(opts, timeout_ms, NULL, 0);
	rd_kafka_DescribeAcls(rk, filter, opts, q);
	rd_kafka_AdminOptions_destroy(opts);
	rd_kafka_AclBinding_destroy(filter); /* not taken over (docs/kafka-api.md) */
	if (!(ev = wait_answer(q, RD_KAFKA_EVENT_DESCRIBEACLS_RESULT, timeout_ms))) {
		snprintf(errstr, errstr_size, "DescribeAcls: no answer within %d ms", timeout_ms);
		err = KM_ERR_TIMEOUT;
		goto out;
	}
	if (rd_kafka_event_error(ev)) {
		/* librdkafka sets none for the broker's error code (see
		 * km_acls_authorizer): only its own, e.g. a time-out */
		explain(rd_kafka_event_error(ev), rd_kafka_event_error_string(ev), "Describe", why,
		        sizeof(why));
		snprintf(errstr, errstr_size, "DescribeAcls: %s", why);
		err = km_kafka_err2km(rd_kafka_event_error(ev));
		goto out;
	}
	found = rd_kafka_DescribeAcls_result_acls(rd_kafka_event_DescribeAcls_result(ev), &cnt);
	for (size_t i = 0; i < cnt && err == KM_OK; i++) {
		km_acl_t a = {
		    .restype = rd_kafka_AclBinding_restype(found[i]),
		    .pattern = rd_kafka_AclBinding_resource_pattern_type(found[i]),
		    .name = rd_kafka_AclBinding_name(found[i]),
		    .principal = rd_kafka_AclBinding_principal(found[i]),
		    .host = rd_kafka_AclBinding_host(found[i]),
		    .op = rd_kafka_AclBinding_operation(found[i]),
		    .perm = rd_kafka_AclBinding_permission_type(found[i]),
		};
		if ((err = km_acl_list_add(out, &a)) != KM_OK)
			snprintf(errstr, errstr_size, "DescribeAcls: out of memory");
	}
out:
	if (ev)
		rd_kafka_event_destroy(ev);
	rd_kafka_queue_destroy(q);
	return err;
}

km_err_t km_acls_create(rd_kafka_t *rk, const km_acl_t *acls, size_t cnt, int timeout_ms,
                        size_t *created, char *errstr, size_t errstr_size) {
	rd_kafka_AclBinding_t **b;
	rd_kafka_AdminOptions_t *opts;
	rd_kafka_queue_t *q;
	rd_kafka_event_t *ev = NULL;
	const rd_kafka_acl_result_t **res;
	size_t n = 0, made = 0;
	km_err_t err = KM_OK;
	char why[512], what[512];

	*created = 0;
	if (!cnt)
		return KM_OK;
	if (!(b = calloc(cnt, sizeof(*b)))) {
		snprintf(errstr, errstr_size, "CreateAcls: out of memory");
		return KM_ERR_NOMEM;
	}
	for (; made < cnt; made++) {
		const km_acl_t *a = &acls[made];
		if (!(b[made] =
		          rd_kafka_AclBinding_new(a->restype, a->name, a->pattern, a->principal,
		                                  a->host, a->op, a->perm, why, sizeof(why)))) {
			snprintf(errstr, errstr_size, "CreateAcls: %s: %s",
			         km_acl_str(a, what, sizeof(what)), why);
			err = KM_ERR_INVALID;
			goto out;
		}
	}
	q = rd_kafka_queue_new(rk);
	opts = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATEACLS);
	rd_kafka_AdminOptions_set_request_timeout(opts, timeout_ms, NULL, 0);
	rd_kafka_CreateAcls(rk, b, cnt, opts, q);
	rd_kafka_AdminOptions_destroy(opts);
	if (!(ev = wait_answer(q, RD_KAFKA_EVENT_CREATEACLS_RESULT, timeout_ms))) {
		snprintf(errstr, errstr_size, "CreateAcls: no answer within %d ms", timeout_ms);
		err = KM_ERR_TIMEOUT;
	} else if (rd_kafka_event_error(ev)) {
		explain(rd_kafka_event_error(ev), rd_kafka_event_error_string(ev), "Alter", why,
		        sizeof(why));
		snprintf(errstr, errstr_size, "CreateAcls: %s", why);
		err = km_kafka_err2km(rd_kafka_event_error(ev));
	} else {
		res = rd_kafka_CreateAcls_result_acls(rd_kafka_event_CreateAcls_result(ev), &n);
		for (size_t i = 0; i < n && i < cnt; i++) {
			const rd_kafka_error_t *e = rd_kafka_acl_result_error(res[i]);
			if (!e) {
				(*created)++;
				continue;
			}
			if (err == KM_OK) {
				explain(rd_kafka_error_code(e), rd_kafka_error_string(e), "Alter",
				        why, sizeof(why));
				snprintf(errstr, errstr_size, "CreateAcls %s: %s",
				         km_acl_str(&acls[i], what, sizeof(what)), why);
				err = km_kafka_err2km(rd_kafka_error_code(e));
			}
		}
	}
	if (ev)
		rd_kafka_event_destroy(ev);
	rd_kafka_queue_destroy(q);
out:
	rd_kafka_AclBinding_destroy_array(b, made);
	free(b);
	return err;
}

/* The authorizer of one cluster of the grant: KM_OK when it has one; else
 * SECURITY_DISABLED or the error, with errstr saying what it means. */
static km_err_t grant_side(rd_kafka_t *rk, const char *which, const char *dst_topic, int timeout_ms,
                           const char *none, char *errstr, size_t errstr_size) {
	char why[512];
	int on = 0;
	km_err_t err = km_acls_authorizer(rk, timeout_ms, &on, why, sizeof(why));

	if (err != KM_OK)
		snprintf(errstr, errstr_size,
		         "granting WRITE on %s: the %s's authorizer cannot be told: %s%s",
		         dst_topic, which, why,
		         err == KM_ERR_TIMEOUT
		             ? "; grant WRITE on the target by hand (kafka-acls.sh "
		               "--add --allow-principal PRINCIPAL --operation Write "
		               "--topic TOPIC)"
		             : "");
	else if (!on)
		snprintf(errstr, errstr_size, "granting WRITE on %s: the %s has no authorizer: %s",
		         dst_topic, which, none);
	return err != KM_OK ? err : on ? KM_OK : (km_err_t)RD_KAFKA_RESP_ERR_SECURITY_DISABLED;
}

km_err_t km_acls_grant_write(rd_kafka_t *src_admin, rd_kafka_t *dst_admin, const char *src_topic,
                             const char *dst_topic, int timeout_ms, size_t *granted, char *errstr,
                             size_t errstr_size) {
	km_acl_list_t src = {0}, dst = {0};
	km_acl_t *todo = NULL;
	size_t n = 0;
	km_err_t err;
	char why[768];

	*granted = 0;
	if ((err = grant_side(src_admin, "source", dst_topic, timeout_ms,
	                      "there is no WRITE binding to copy", errstr, errstr_size)) != KM_OK)
		goto out;
	if ((err = km_acls_describe(src_admin, src_topic, timeout_ms, &src, why, sizeof(why))) !=
	    KM_OK) {
		snprintf(errstr, errstr_size,
		         "granting WRITE on %s: the source's ACLs of %s cannot be read: %s; grant "
		         "WRITE on the target by hand (kafka-acls.sh --add --allow-principal "
		         "PRINCIPAL --operation Write --topic TOPIC)",
		         dst_topic, src_topic, why);
		goto out;
	}
	if (src.cnt && !(todo = calloc(src.cnt, sizeof(*todo)))) {
		snprintf(errstr, errstr_size, "granting WRITE on %s: out of memory", dst_topic);
		err = KM_ERR_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < src.cnt; i++)
		if (km_acl_grant_convert(&src.v[i], dst_topic, &todo[n]))
			n++;
	if (!n)
		goto out; /* no application may write it on the source either */
	if ((err = grant_side(dst_admin, "target", dst_topic, timeout_ms,
	                      "every client may write there already", errstr, errstr_size)) !=
	    KM_OK)
		goto out;
	if ((err = km_acls_describe(dst_admin, dst_topic, timeout_ms, &dst, why, sizeof(why))) !=
	    KM_OK) {
		snprintf(errstr, errstr_size, "granting WRITE on %s: the target's ACLs: %s",
		         dst_topic, why);
		goto out;
	}
	for (size_t i = 0; i < n;) /* only what the target lacks */
		if (km_acl_list_has(&dst, &todo[i]))
			todo[i] = todo[--n];
		else
			i++;
	if ((err = km_acls_create(dst_admin, todo, n, timeout_ms, granted, why, sizeof(why))) !=
	    KM_OK)
		snprintf(errstr, errstr_size, "granting WRITE on %s: %s", dst_topic, why);
out:
	free(todo);
	km_acl_list_free(&src);
	km_acl_list_free(&dst);
	return err;
}
