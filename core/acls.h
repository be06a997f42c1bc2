/* Topic ACL bindings: what ACL sync copies to the target (MirrorMaker 2's
 * rules), the WRITE grant that a promote or failover makes, and the two
 * admin requests both use (DescribeAcls, CreateAcls).
 *
 * The conversions are pure functions of one binding (tests/unit/
 * test_acls.c). The requests wait for the cluster's answer: call them from
 * a thread that may block (a flow's control thread, a command's).
 * Nothing here ever deletes a binding. */
#ifndef KM_ACLS_H
#define KM_ACLS_H

#include <stddef.h>

#include <librdkafka/rdkafka.h>

#include "kmirror/err.h"

/* One ACL binding, as plain fields. Strings are borrowed unless the
 * binding is in a km_acl_list_t, which owns them. */
typedef struct km_acl {
	rd_kafka_ResourceType_t restype;
	rd_kafka_ResourcePatternType_t pattern;
	const char *name; /* the resource's name: a topic */
	const char *principal, *host;
	rd_kafka_AclOperation_t op;
	rd_kafka_AclPermissionType_t perm;
} km_acl_t;

/* What ACL sync does with a source binding. */
typedef enum km_acl_verdict {
	KM_ACL_SYNC,          /* copied to the mirror topic (ALLOW ALL as ALLOW READ) */
	KM_ACL_NOT_LITERAL,   /* not a LITERAL TOPIC binding: prefixed, group, cluster... */
	KM_ACL_WILDCARD,      /* the literal "*", every topic: never copied */
	KM_ACL_WRITE_DROPPED, /* ALLOW WRITE: only kmirror writes a mirror topic */
} km_acl_verdict_t;

/* ACL sync's rule for source binding @p src of a topic whose mirror topic
 * is @p dst_topic: on KM_ACL_SYNC, @p out is the binding to have on the
 * target (its strings borrowed from @p src and @p dst_topic). ALLOW WRITE
 * is dropped; ALLOW ALL becomes ALLOW READ; every other operation, and
 * every DENY (DENY WRITE and DENY ALL included), is copied unchanged with
 * the topic renamed. */
km_acl_verdict_t km_acl_sync_convert(const km_acl_t *src, const char *dst_topic, km_acl_t *out);

/* The grant after a promote or failover: 1 when source binding @p src
 * gives its principal WRITE on its topic (LITERAL ALLOW WRITE, or ALLOW
 * ALL, which includes WRITE), with @p out the ALLOW WRITE binding on
 * @p dst_topic for the same principal and host; 0 otherwise. ALL is
 * granted as WRITE only: producing is what the application needs, and
 * ALL would also let it delete or reconfigure the topic on the target. */
int km_acl_grant_convert(const km_acl_t *src, const char *dst_topic, km_acl_t *out);

/* Whether two bindings are the same (every field). */
int km_acl_equal(const km_acl_t *a, const km_acl_t *b);

/* "User:alice ALLOW READ on topic t (host *)" into @p buf. */
const char *km_acl_str(const km_acl_t *a, char *buf, size_t size);

/* Bindings read from a cluster; owns their strings. */
typedef struct km_acl_list {
	km_acl_t *v;
	size_t cnt, cap;
} km_acl_list_t;

/* Appends a copy of @p a (its strings copied); KM_ERR_NOMEM. */
km_err_t km_acl_list_add(km_acl_list_t *l, const km_acl_t *a);
/* Whether @p l holds a binding equal to @p a. */
int km_acl_list_has(const km_acl_list_t *l, const km_acl_t *a);
void km_acl_list_free(km_acl_list_t *l);

/* Whether @p rk's cluster has an authorizer (*on): the
 * authorizer.class.name of its controller (DescribeConfigs). librdkafka
 * (2.0.2 and later alike) drops the error code of a DescribeAcls answer,
 * so a cluster without an authorizer, or a principal without DESCRIBE on
 * the cluster resource, answer DescribeAcls as a cluster without ACLs
 * would; this asks first. KM_OK; else the error (kmirror's principal
 * lacks DESCRIBE_CONFIGS on the cluster: CLUSTER_AUTHORIZATION_FAILED;
 * KM_ERR_TIMEOUT) with @p errstr saying what would fix it. */
km_err_t km_acls_authorizer(rd_kafka_t *rk, int timeout_ms, int *on, char *errstr,
                            size_t errstr_size);

/* DescribeAcls on @p rk's cluster: the TOPIC bindings of pattern type
 * LITERAL for @p topic (NULL: every topic), appended to @p out. KM_OK, or
 * KM_ERR_TIMEOUT with a sentence in @p errstr. The broker's own refusals
 * (no authorizer, DESCRIBE on the cluster lacking) do not reach here: see
 * km_acls_authorizer. */
km_err_t km_acls_describe(rd_kafka_t *rk, const char *topic, int timeout_ms, km_acl_list_t *out,
                          char *errstr, size_t errstr_size);

/* CreateAcls of @p acls[0..cnt) on @p rk's cluster; *created counts those
 * the cluster took. KM_OK when all were; else the first error (ALTER on
 * the cluster lacking: CLUSTER_AUTHORIZATION_FAILED; no authorizer:
 * SECURITY_DISABLED) with @p errstr naming the binding and the fix. */
km_err_t km_acls_create(rd_kafka_t *rk, const km_acl_t *acls, size_t cnt, int timeout_ms,
                        size_t *created, char *errstr, size_t errstr_size);

/**
 * @brief The WRITE grant of `promote --grant-write` and `failover
 * --grant-write`: copies the source's LITERAL ALLOW WRITE and ALLOW ALL
 * bindings of @p src_topic as ALLOW WRITE bindings of @p dst_topic on the
 * target (km_acl_grant_convert), creating only those the target lacks.
 * ACL sync never copies WRITE, so without it the applications that
 * produced to the source topic cannot produce to the promoted one.
 *
 * @param src_admin   a client of the source cluster (borrowed)
 * @param dst_admin   a client of the target cluster (borrowed)
 * @param timeout_ms  for each request (up to seven: three to each cluster,
 *                    and CreateAcls)
 * @param granted     out: bindings created on the target (0 when the
 *                    target had them all, or the source has none)
 * @returns KM_OK; RD_KAFKA_RESP_ERR_SECURITY_DISABLED when a cluster has
 *          no authorizer (errstr says which: nothing to grant, or nothing
 *          needed); CLUSTER_AUTHORIZATION_FAILED when kmirror's principal
 *          lacks DESCRIBE_CONFIGS on either cluster resource or ALTER on
 *          the target's; KM_ERR_TIMEOUT when a cluster did not answer (a
 *          source that is gone: errstr says how to grant by hand). A
 *          principal without DESCRIBE on the source's cluster resource
 *          sees no binding there and grants nothing (librdkafka does not
 *          pass that refusal on).
 * @locality any thread that may block for the requests
 */
km_err_t km_acls_grant_write(rd_kafka_t *src_admin, rd_kafka_t *dst_admin, const char *src_topic,
                             const char *dst_topic, int timeout_ms, size_t *granted, char *errstr,
                             size_t errstr_size);

#endif
