/* Internal topics: creation and shape checks. See internal_topics.h. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "internal_topics.h"
#include "kafka.h"

static const char *acl_of(const char *what) {
	if (!strcmp(what, "create"))
		return "CREATE";
	if (!strcmp(what, "describe"))
		return "DESCRIBE";
	return "DESCRIBE_CONFIGS";
}

km_err_t km_internal_topic_refused(const char *what, const char *name, rd_kafka_resp_err_t err,
                                   const char *reason, char *errstr, size_t errstr_size) {
	const char *acl = acl_of(what);

	if (err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED)
		snprintf(errstr, errstr_size,
		         "not allowed to %s topic %s (TopicAuthorizationFailed): kmirror's "
		         "principal needs the %s ACL on topic %s%s",
		         what, name, acl, name, !strcmp(acl, "CREATE") ? " or on the cluster" : "");
	else if (err == RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED)
		snprintf(errstr, errstr_size,
		         "not allowed to %s topic %s (ClusterAuthorizationFailed): kmirror's "
		         "principal needs the %s ACL on the cluster",
		         what, name, acl);
	else
		snprintf(errstr, errstr_size, "cannot %s topic %s: %s", what, name,
		         reason ? reason : rd_kafka_err2str(err));
	return km_kafka_err2km(err);
}

/* cleanup.policy is a list: "compact", "delete", "compact,delete". */
static int compacted(const char *policy) {
	for (const char *p = policy; (p = strstr(p, "compact")); p += 7)
		if ((p == policy || p[-1] == ',' || p[-1] == ' ') &&
		    (p[7] == '\0' || p[7] == ',' || p[7] == ' '))
			return 1;
	return 0;
}

km_err_t km_internal_topic_shape(const char *name, int partitions, const char *cleanup_policy,
                                 char *errstr, size_t errstr_size) {
	if (partitions > 1) {
		snprintf(errstr, errstr_size,
		         "topic %s has %d partitions; MirrorMaker 2's internal topics have one "
		         "(only partition 0 is read): delete it and let kmirror create it again",
		         name, partitions);
		return KM_ERR_EXISTS;
	}
	if (cleanup_policy && !compacted(cleanup_policy)) {
		snprintf(
		    errstr, errstr_size,
		    "topic %s has cleanup.policy=%s; MirrorMaker 2's internal topics are "
		    "compacted, so that the latest record of each key is kept: set "
		    "cleanup.policy=compact on it, or delete it and let kmirror create it again",
		    name, cleanup_policy[0] ? cleanup_policy : "(empty)");
		return KM_ERR_EXISTS;
	}
	return KM_OK;
}

/* CreateTopics: the topic's own result (RD_KAFKA_RESP_ERR_NO_ERROR when
 * it was created), or -1 with errstr when there is no usable answer. */
static int create(rd_kafka_t *rk, const char *name, int rf, int timeout_ms, km_err_t *errp,
                  char *errstr, size_t errstr_size) {
	char msg[256];
	rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(name, 1, rf, msg, sizeof(msg));
	rd_kafka_AdminOptions_t *opts;
	rd_kafka_queue_t *q;
	rd_kafka_event_t *ev;
	const rd_kafka_topic_result_t **res;
	size_t n;
	int ret = -1;

	if (!nt) {
		snprintf(errstr, errstr_size, "topic %s: %s", name, msg);
		*errp = KM_ERR_INVALID;
		return -1;
	}
	rd_kafka_NewTopic_set_config(nt, "cleanup.policy", "compact");
	opts = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
	rd_kafka_AdminOptions_set_request_timeout(opts, timeout_ms, NULL, 0);
	q = rd_kafka_queue_new(rk);
	rd_kafka_CreateTopics(rk, &nt, 1, opts, q);
	if (!(ev = rd_kafka_queue_poll(q, timeout_ms + 1000))) {
		snprintf(errstr, errstr_size, "creating topic %s: no answer from the cluster",
		         name);
		*errp = KM_ERR_TIMEOUT;
	} else if (rd_kafka_event_error(ev)) {
		snprintf(errstr, errstr_size, "creating topic %s: %s", name,
		         rd_kafka_event_error_string(ev));
		*errp = km_kafka_err2km(rd_kafka_event_error(ev));
	} else {
		res =
		    rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
		if (n == 1) {
			ret = (int)rd_kafka_topic_result_error(res[0]);
			if (ret != RD_KAFKA_RESP_ERR_NO_ERROR)
				snprintf(msg, sizeof(msg), "%s",
				         rd_kafka_topic_result_error_string(res[0]));
			if (ret && ret != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
				/* the caller may still find it there: keep what it said */
				km_internal_topic_refused("create", name, (rd_kafka_resp_err_t)ret,
				                          msg, errstr, errstr_size);
		} else {
			snprintf(errstr, errstr_size, "creating topic %s: no result for it", name);
			*errp = KM_ERR_KAFKA;
		}
	}
	if (ev)
		rd_kafka_event_destroy(ev);
	rd_kafka_queue_destroy(q);
	rd_kafka_AdminOptions_destroy(opts);
	rd_kafka_NewTopic_destroy(nt);
	return ret;
}

/* The topic's cleanup.policy into @p buf. */
static km_err_t cleanup_policy(rd_kafka_t *rk, const char *name, int timeout_ms, char *buf,
                               size_t size, char *errstr, size_t errstr_size) {
	rd_kafka_ConfigResource_t *cr = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, name);
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_AdminOptions_t *opts =
	    rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
	const rd_kafka_ConfigResource_t **res;
	const rd_kafka_ConfigEntry_t **ents;
	rd_kafka_event_t *ev;
	size_t n, ecnt;
	km_err_t err = KM_OK;

	buf[0] = '\0';
	rd_kafka_AdminOptions_set_request_timeout(opts, timeout_ms, NULL, 0);
	rd_kafka_DescribeConfigs(rk, &cr, 1, opts, q);
	if (!(ev = rd_kafka_queue_poll(q, timeout_ms + 1000))) {
		snprintf(errstr, errstr_size,
		         "describing the configs of topic %s: no answer from the cluster", name);
		err = KM_ERR_TIMEOUT;
		goto out;
	}
	if (rd_kafka_event_error(ev)) {
		err = km_internal_topic_refused(
		    "describe the configs of", name, rd_kafka_event_error(ev),
		    rd_kafka_event_error_string(ev), errstr, errstr_size);
		goto out;
	}
	res = rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(ev),
	                                                &n);
	if (n != 1 || rd_kafka_ConfigResource_error(res[0])) {
		rd_kafka_resp_err_t e =
		    n == 1 ? rd_kafka_ConfigResource_error(res[0]) : RD_KAFKA_RESP_ERR__FAIL;
		err = km_internal_topic_refused(
		    "describe the configs of", name, e,
		    n == 1 ? rd_kafka_ConfigResource_error_string(res[0]) : "no result for it",
		    errstr, errstr_size);
		goto out;
	}
	ents = rd_kafka_ConfigResource_configs(res[0], &ecnt);
	for (size_t i = 0; i < ecnt; i++)
		if (!strcmp(rd_kafka_ConfigEntry_name(ents[i]), "cleanup.policy"))
			snprintf(buf, size, "%s",
			         rd_kafka_ConfigEntry_value(ents[i])
			             ? rd_kafka_ConfigEntry_value(ents[i])
			             : "");
out:
	if (ev)
		rd_kafka_event_destroy(ev);
	rd_kafka_AdminOptions_destroy(opts);
	rd_kafka_queue_destroy(q);
	rd_kafka_ConfigResource_destroy(cr);
	return err;
}

km_err_t km_internal_topic_ensure(rd_kafka_t *rk, const char *name, int rf, int timeout_ms,
                                  char *errstr, size_t errstr_size) {
	char refused[512] = "", policy[128];
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_topic_t *rkt;
	rd_kafka_resp_err_t merr;
	km_err_t err = KM_OK;
	int cres = create(rk, name, rf, timeout_ms, &err, refused, sizeof(refused));

	if (cres < 0) {
		snprintf(errstr, errstr_size, "%s", refused);
		return err;
	}
	if (cres == RD_KAFKA_RESP_ERR_NO_ERROR)
		return KM_OK; /* made as it must be */
	if (cres != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS &&
	    cres != RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED &&
	    cres != RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED) {
		snprintf(errstr, errstr_size, "%s", refused);
		return km_kafka_err2km((rd_kafka_resp_err_t)cres);
	}
	/* It exists, or may: someone else made it, so look at its shape. */
	rkt = rd_kafka_topic_new(rk, name, NULL);
	merr = rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms);
	if (!merr && md->topic_cnt == 1)
		merr = md->topics[0].err;
	if (merr == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
	    merr == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC) {
		if (refused[0]) { /* not there, and not ours to create */
			snprintf(errstr, errstr_size, "%s, or create it: compacted, one partition",
			         refused);
			err = km_kafka_err2km((rd_kafka_resp_err_t)cres);
		} else {
			snprintf(errstr, errstr_size,
			         "topic %s exists but is not in the cluster's metadata yet", name);
			err = KM_ERR_NOENT;
		}
	} else if (merr) {
		err = km_internal_topic_refused("describe", name, merr, NULL, errstr, errstr_size);
	} else if (md->topic_cnt != 1) {
		snprintf(errstr, errstr_size, "describing topic %s: no metadata for it", name);
		err = KM_ERR_KAFKA;
	} else if ((err = km_internal_topic_shape(name, md->topics[0].partition_cnt, NULL, errstr,
	                                          errstr_size)) == KM_OK &&
	           (err = cleanup_policy(rk, name, timeout_ms, policy, sizeof(policy), errstr,
	                                 errstr_size)) == KM_OK) {
		err = km_internal_topic_shape(name, 1, policy[0] ? policy : NULL, errstr,
		                              errstr_size);
	}
	if (md)
		rd_kafka_metadata_destroy(md);
	rd_kafka_topic_destroy(rkt);
	return err;
}
