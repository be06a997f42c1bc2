/* kmirrord's configuration model: clusters, flows and their options, built
 * from the YAML tree and checked completely before anything starts. The
 * options' schema is config_schema.c. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "params.h"
#include "config_model.h"
#include "progress.h"

static const km_param_t km_no_params[] = {{0}};

static const char *const km_top_keys[] = {"clusters", "flows", "rest", NULL};
static const char *const km_cluster_keys[] = {"kafka", NULL};
static const char *const km_flow_keys[] = {
    "name",     "source",   "target",   "topics", "policy",
    "pipeline", "consumer", "producer", "groups", "config.properties",
    NULL};

/* librdkafka properties kmirror sets itself, and why. */
static const struct {
	const char *name;
	const char *why;
} km_owned_props[] = {
    {"group.id", "kmirror names its own clients' groups"},
    {"enable.auto.commit",
     "progress is stored on the target after acknowledgement, not by auto-commit"},
    {"auto.commit.enable",
     "progress is stored on the target after acknowledgement, not by auto-commit"},
    {"enable.auto.offset.store",
     "progress is stored on the target after acknowledgement, not by auto-commit"},
    {"partitioner", "records keep their source partition number"},
    {"allow.auto.create.topics",
     "kmirror creates the topics it writes itself, with the source's partitions and configs"},
    {"transactional.id",
     "kmirror's producers are idempotent, not transactional: with a transactional id librdkafka "
     "would refuse every record sent outside a transaction"},
};

static int km_prop_sensitive(const char *name) {
	return strstr(name, "password") || strstr(name, "secret") || strstr(name, "ssl.key.pem") ||
	       strstr(name, "ssl_key") || !strcmp(name, "sasl.oauthbearer.config");
}

static int km_name_ok(const char *s, const char *extra) {
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(extra, *s))
			return 0;
	return 1;
}

/* The librdkafka properties that name a file librdkafka reads when it
 * makes a client, and what the file must be. */
static const struct {
	const char *name, *what;
} km_file_props[] = {
    {"ssl.ca.location", "the PEM file (or directory) of the CA that signed the brokers' "
                        "certificates, or 'probe'"},
    {"ssl.certificate.location", "the client's PEM certificate"},
    {"ssl.key.location", "the client certificate's PEM private key"},
    {"ssl.keystore.location", "the client's PKCS#12 key store"},
    {"ssl.crl.location", "the PEM certificate revocation list"},
    {"sasl.kerberos.keytab", "the Kerberos keytab"},
};

/* Checks that property @p k (@p v its value) names a file kmirrord can
 * read, when it is one that names a file: librdkafka would refuse to make
 * the clients later, without saying which cluster or setting. */
static km_err_t km_file_prop_check(const km_node_t *k, const km_node_t *v, const char *where,
                                   char *errstr, size_t errstr_size) {
	for (size_t i = 0; i < sizeof(km_file_props) / sizeof(km_file_props[0]); i++) {
		if (strcmp(k->scalar, km_file_props[i].name))
			continue;
		if (!strcmp(k->scalar, "ssl.ca.location") && !strcmp(v->scalar, "probe"))
			return KM_OK;
		if (!access(v->scalar, R_OK))
			return KM_OK;
		km_node_err(errstr, errstr_size, v,
		            "%s: key '%s': cannot read " KM_SHOW_FMT ": %s; name a file kmirrord "
		            "can read: %s",
		            where, k->scalar, KM_SHOW(v), strerror(errno), km_file_props[i].what);
		return KM_ERR_INVALID;
	}
	return KM_OK;
}

/* Checks a mapping of librdkafka properties of @p where ("clusters.a",
 * "flows[0].producer") and lists it in @p kvl: KM_ERR_INVALID or
 * KM_ERR_NOMEM with errstr. */
static km_err_t km_kvlist_build(km_kvlist_t *kvl, const km_node_t *key, const km_node_t *map,
                                const char *where, char *errstr, size_t errstr_size) {
	rd_kafka_conf_t *conf = NULL;
	km_err_t err = KM_ERR_INVALID;

	if (map->type == KM_NODE_SCALAR && map->null) {
		km_node_err(errstr, errstr_size, key,
		            "key '%s' has no value; give a mapping of librdkafka properties "
		            "(name: value), or remove the key",
		            key->scalar);
		return KM_ERR_INVALID;
	}
	if (map->type != KM_NODE_MAP) {
		km_node_err(errstr, errstr_size, map,
		            "key '%s' is %s; it must be a mapping of librdkafka properties "
		            "(name: value)",
		            key->scalar, km_node_type_name(map));
		return KM_ERR_INVALID;
	}
	kvl->kvs = calloc(map->cnt ? map->cnt : 1, sizeof(*kvl->kvs));
	conf = rd_kafka_conf_new();
	if (!kvl->kvs || !conf) {
		km_node_err(errstr, errstr_size, map, "out of memory");
		err = KM_ERR_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < map->cnt; i++) {
		const km_node_t *k = map->keys[i], *v = map->vals[i];
		char rkerr[512] = "";

		for (size_t o = 0; o < sizeof(km_owned_props) / sizeof(km_owned_props[0]); o++) {
			if (!strcmp(k->scalar, km_owned_props[o].name)) {
				km_node_err(errstr, errstr_size, k, "key '%s' cannot be set: %s",
				            k->scalar, km_owned_props[o].why);
				goto out;
			}
		}
		if (v->type != KM_NODE_SCALAR) {
			km_node_err(errstr, errstr_size, v,
			            "key '%s' is %s; a librdkafka property's value must be a "
			            "scalar (lists are written comma-separated: a,b)",
			            k->scalar, km_node_type_name(v));
			goto out;
		}
		if (v->null) {
			km_node_err(errstr, errstr_size, k,
			            "key '%s' has no value; give the property's value, or remove "
			            "the key",
			            k->scalar);
			goto out;
		}
		int secret = v->secret || km_prop_sensitive(k->scalar);
		rd_kafka_conf_res_t res =
		    rd_kafka_conf_set(conf, k->scalar, v->scalar, rkerr, sizeof(rkerr));
		if (res != RD_KAFKA_CONF_OK) {
			size_t n = strlen(rkerr);
			while (n && (rkerr[n - 1] == '\n' || rkerr[n - 1] == ' '))
				rkerr[--n] = '\0';
			if (!n)
				snprintf(rkerr, sizeof(rkerr), "librdkafka refuses it");
			if (secret && res != RD_KAFKA_CONF_UNKNOWN && *v->scalar &&
			    strstr(rkerr, v->scalar)) {
				/* librdkafka quotes the value: never show a secret */
				km_node_err(
				    errstr, errstr_size, v,
				    "key '%s': librdkafka refuses the value (not shown: it is "
				    "secret); see librdkafka's CONFIGURATION.md for what "
				    "this property accepts",
				    k->scalar);
			} else {
				km_node_err(errstr, errstr_size,
				            res == RD_KAFKA_CONF_UNKNOWN ? k : v, "key '%s': %s",
				            k->scalar, rkerr);
			}
			goto out;
		}
		if (km_file_prop_check(k, v, where, errstr, errstr_size) != KM_OK)
			goto out;
		kvl->kvs[kvl->cnt++] = (km_kv_t){
		    .key = k->scalar,
		    .val = v->scalar,
		    .secret = secret,
		    .node = v,
		};
	}
	err = KM_OK;
out:
	if (conf)
		rd_kafka_conf_destroy(conf);
	return err;
}

static const km_kv_t *km_kvlist_get(const km_kvlist_t *kvl, const char *key) {
	for (size_t i = 0; i < kvl->cnt; i++)
		if (!strcmp(kvl->kvs[i].key, key))
			return &kvl->kvs[i];
	return NULL;
}

static km_err_t km_cluster_build(km_cluster_conf_t *c, const km_node_t *key, const km_node_t *val,
                                 char *errstr, size_t errstr_size) {
	km_err_t err = KM_ERR_INVALID;
	km_params_t *p;

	c->alias = key->scalar;
	c->node = val;
	if (!km_name_ok(key->scalar, "_-")) {
		km_node_err(errstr, errstr_size, key,
		            "key '%s': a cluster alias may hold only letters, digits, '_' and '-' "
		            "(the prefix policy puts '.' between alias and topic)",
		            key->scalar);
		return KM_ERR_INVALID;
	}
	if (val->type == KM_NODE_SCALAR && val->null) {
		km_node_err(errstr, errstr_size, key,
		            "key '%s' has no value; give the cluster's settings (kafka: "
		            "{bootstrap.servers: HOST:PORT})",
		            key->scalar);
		return KM_ERR_INVALID;
	}
	char *w = NULL; /* "clusters.ALIAS", whole: only messages are truncated */
	if (asprintf(&w, "clusters.%s", key->scalar) < 0) {
		km_node_err(errstr, errstr_size, key, "out of memory");
		return KM_ERR_NOMEM;
	}
	p = km_params_bind(km_no_params, val, w, km_cluster_keys, errstr, errstr_size);
	km_params_destroy(p);
	if (!p)
		goto fail;
	const km_node_t *kafka = km_node_get(val, "kafka");
	if (!kafka) {
		km_node_err(errstr, errstr_size, val,
		            "%s: key 'kafka' is required (the cluster's librdkafka properties, "
		            "at least bootstrap.servers)",
		            w);
		goto fail;
	}
	if ((err = km_kvlist_build(&c->kafka, km_node_key(val, "kafka"), kafka, w, errstr,
	                           errstr_size)) != KM_OK)
		goto fail;
	const km_kv_t *bs = km_kvlist_get(&c->kafka, "bootstrap.servers");
	if (!bs) {
		km_node_err(errstr, errstr_size, kafka,
		            "%s.kafka: key 'bootstrap.servers' is required (the brokers to "
		            "connect to first: HOST:PORT[,HOST:PORT...])",
		            w);
		err = KM_ERR_INVALID;
		goto fail;
	}
	if (!*bs->val) {
		km_node_err(errstr, errstr_size, bs->node,
		            "key 'bootstrap.servers' is empty; give HOST:PORT[,HOST:PORT...]");
		err = KM_ERR_INVALID;
		goto fail;
	}
	free(w);
	return KM_OK;
fail:
	free(w);
	return err;
}

static km_err_t km_plugin_name_check(const km_node_t *k, const km_node_t *v, char *errstr,
                                     size_t errstr_size) {
	if (v->type != KM_NODE_SCALAR || v->null) {
		km_node_err(errstr, errstr_size, v->null ? k : v,
		            "key '%s' is %s; it must name a plugin", k->scalar,
		            km_node_type_name(v));
		return KM_ERR_INVALID;
	}
	for (const char *s = v->scalar; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '_')
			goto bad;
	if (*v->scalar)
		return KM_OK;
bad:
	km_node_err(errstr, errstr_size, v,
	            "key '%s': " KM_SHOW_FMT " is not a plugin name; plugin names use only a-z, "
	            "0-9 and '_'",
	            k->scalar, KM_SHOW(v));
	return KM_ERR_INVALID;
}

/* A plugin reference: absent (@p v NULL: the default plugin), a scalar
 * naming the plugin, or a mapping with key `plugin` and its parameters. */
static km_err_t km_plugin_ref_build(km_plugin_ref_t *ref, const km_node_t *k, const km_node_t *v,
                                    const km_node_t *owner, const char *def, char *errstr,
                                    size_t errstr_size) {
	km_err_t err;

	if (!v) {
		ref->plugin = def;
		ref->where = owner;
		return KM_OK;
	}
	if (v->type == KM_NODE_SCALAR) {
		if ((err = km_plugin_name_check(k, v, errstr, errstr_size)) != KM_OK)
			return err;
		ref->plugin = v->scalar;
		ref->where = v;
		return KM_OK;
	}
	if (v->type != KM_NODE_MAP) {
		km_node_err(errstr, errstr_size, v,
		            "%s is a list; it must name a plugin (NAME) or be a mapping with key "
		            "'plugin' and the plugin's parameters",
		            ref->path);
		return KM_ERR_INVALID;
	}
	ref->node = v;
	const km_node_t *p = km_node_get(v, "plugin");
	if (p) {
		if ((err = km_plugin_name_check(km_node_key(v, "plugin"), p, errstr,
		                                errstr_size)) != KM_OK)
			return err;
		ref->plugin = p->scalar;
		ref->where = p;
	} else if (def) {
		ref->plugin = def;
		ref->where = v;
	} else {
		km_node_err(errstr, errstr_size, v,
		            "%s: key 'plugin' is required (the name of the plugin to run)",
		            ref->path);
		return KM_ERR_INVALID;
	}
	return KM_OK;
}

static const char *km_flow_str(const km_node_t *flow, const char *key, const char *where,
                               const char *doc, char *errstr, size_t errstr_size) {
	const km_node_t *v = km_node_get(flow, key);
	if (!v) {
		km_node_err(errstr, errstr_size, flow, "%s: key '%s' is required (%s)", where, key,
		            doc);
		return NULL;
	}
	if (v->type != KM_NODE_SCALAR || v->null) {
		km_node_err(errstr, errstr_size, v->null ? km_node_key(flow, key) : v,
		            "key '%s' is %s; %s", key, km_node_type_name(v), doc);
		return NULL;
	}
	return v->scalar;
}

static const km_cluster_conf_t *km_flow_cluster(const km_config_t *conf, const km_node_t *flow,
                                                const char *key, const char *where, char *errstr,
                                                size_t errstr_size) {
	const char *alias = km_flow_str(flow, key, where,
	                                key[0] == 's' ? "the alias of the cluster to copy from"
	                                              : "the alias of the cluster to copy to",
	                                errstr, errstr_size);
	if (!alias)
		return NULL;
	const km_cluster_conf_t *c = km_config_cluster(conf, alias);
	if (!c) {
		const km_node_t *v = km_node_get(flow, key);
		km_node_err(errstr, errstr_size, v,
		            "key '%s': " KM_SHOW_FMT " is not a cluster; "
		            "clusters: ",
		            key, KM_SHOW(v));
		for (size_t i = 0; i < conf->cluster_cnt; i++) {
			size_t len = strlen(errstr);
			if (len + 1 < errstr_size)
				snprintf(errstr + len, errstr_size - len, "%s%s", i ? ", " : "",
				         conf->clusters[i].alias);
		}
	}
	return c;
}

/* Kafka's rule for a topic name: 1 to 249 letters, digits, '.', '_' and
 * '-', and neither "." nor "..". */
static int km_topic_name_ok(const char *s) {
	return km_name_ok(s, "._-") && strlen(s) <= 249 && strcmp(s, ".") && strcmp(s, "..");
}

/* on_error: dead-letter and dead_letter.topic go together. */
static km_err_t km_flow_dead_letter_check(const km_params_t *p, char *errstr, size_t errstr_size) {
	const char *mode = km_params_str(p, "on_error"),
	           *topic = km_params_str(p, "dead_letter.topic");
	const km_node_t *n = km_params_node(p, "dead_letter.topic");

	if (!strcmp(mode, "dead-letter") && !topic) {
		km_node_err(
		    errstr, errstr_size, km_params_node(p, "on_error"),
		    "key 'on_error': dead-letter needs key 'dead_letter.topic', the topic on "
		    "the target that failed records go to");
		return KM_ERR_INVALID;
	}
	if (topic && strcmp(mode, "dead-letter")) {
		km_node_err(errstr, errstr_size, n,
		            "key 'dead_letter.topic' is set but on_error is '%s'; set on_error: "
		            "dead-letter, or remove dead_letter.topic",
		            mode);
		return KM_ERR_INVALID;
	}
	if (topic && !strcmp(topic, KM_PROGRESS_TOPIC)) {
		km_node_err(errstr, errstr_size, n,
		            "key 'dead_letter.topic': '%s' is kmirror's progress topic; name "
		            "another topic",
		            topic);
		return KM_ERR_INVALID;
	}
	if (topic && !km_topic_name_ok(topic)) {
		km_node_err(
		    errstr, errstr_size, n,
		    "key 'dead_letter.topic': '%s' is not a valid Kafka topic name; use 1 to "
		    "249 letters, digits, '.', '_' and '-' (but not '.' or '..')",
		    topic);
		return KM_ERR_INVALID;
	}
	return KM_OK;
}

/* The group and config-property filters: `groups:` and
 * `config.properties:` are plugin references (group_regex and config_regex
 * by default); MM2's flow-level config.properties.exclude is config_regex's
 * exclude, so the two cannot both be given. */
static km_err_t km_flow_filters_build(km_flow_conf_t *f, const km_node_t *flow, const char *where,
                                      char *errstr, size_t errstr_size) {
	const km_node_t *legacy = km_params_node(f->params, "config.properties.exclude");
	const km_node_t *cp = km_node_get(flow, "config.properties");
	km_err_t err;

	snprintf(f->groups.path, sizeof(f->groups.path), "%s.groups", where);
	if ((err = km_plugin_ref_build(&f->groups, km_node_key(flow, "groups"),
	                               km_node_get(flow, "groups"), flow, "group_regex", errstr,
	                               errstr_size)) != KM_OK)
		return err;
	snprintf(f->configs.path, sizeof(f->configs.path), "%s.config.properties", where);
	if (cp && legacy) {
		const km_node_t *a = km_node_key(flow, "config.properties"),
		                *b = km_node_key(flow, "config.properties.exclude");
		int a_later = a->line > b->line || (a->line == b->line && a->col > b->col);

		km_node_err(errstr, errstr_size, a_later ? a : b,
		            "keys 'config.properties' (%d:%d) and 'config.properties.exclude' "
		            "(%d:%d) are both given; keep one: config.properties.exclude: [...] is "
		            "short for config.properties: {exclude: [...]}",
		            a->line, a->col, b->line, b->col);
		return KM_ERR_INVALID;
	}
	if (legacy) {
		km_node_t *key = &f->configs_legacy.key, *map = &f->configs_legacy.map;

		*key = *km_node_key(flow, "config.properties.exclude");
		key->scalar = (char *)"exclude";
		f->configs_legacy.keys[0] = key;
		f->configs_legacy.vals[0] = (km_node_t *)legacy;
		*map = (km_node_t){.type = KM_NODE_MAP,
		                   .file = key->file,
		                   .line = key->line,
		                   .col = key->col,
		                   .keys = f->configs_legacy.keys,
		                   .vals = f->configs_legacy.vals,
		                   .cnt = 1};
		f->configs.plugin = "config_regex";
		f->configs.node = map;
		f->configs.where = key;
		f->configs.key_prefix = "config.properties";
		return KM_OK;
	}
	return km_plugin_ref_build(&f->configs, km_node_key(flow, "config.properties"), cp, flow,
	                           "config_regex", errstr, errstr_size);
}

static km_err_t km_flow_build(km_config_t *conf, size_t idx, const km_node_t *flow, char *errstr,
                              size_t errstr_size) {
	km_flow_conf_t *f = &conf->flows[idx];
	char where[32];
	const km_node_t *v;
	km_err_t err;

	snprintf(where, sizeof(where), "flows[%zu]", idx);
	f->node = flow;
	if (flow->type != KM_NODE_MAP) {
		km_node_err(errstr, errstr_size, flow,
		            "%s is %s; a flow must be a mapping (name:, source:, target:, ...)",
		            where, km_node_type_name(flow));
		return KM_ERR_INVALID;
	}
	f->params = km_params_bind(km_flow_params, flow, where, km_flow_keys, errstr, errstr_size);
	if (!f->params)
		return KM_ERR_INVALID;

	f->name =
	    km_flow_str(flow, "name", where, "a unique name of letters, digits, '_', '.' and '-'",
	                errstr, errstr_size);
	if (!f->name)
		return KM_ERR_INVALID;
	v = km_node_get(flow, "name");
	if (!km_name_ok(f->name, "_.-")) {
		km_node_err(errstr, errstr_size, v,
		            "key 'name': " KM_SHOW_FMT " is not a valid flow name; use letters, "
		            "digits, '_', '.' and '-'",
		            KM_SHOW(v));
		return KM_ERR_INVALID;
	}
	for (size_t i = 0; i < idx; i++) {
		if (!strcmp(conf->flows[i].name, f->name)) {
			const km_node_t *first = km_node_get(conf->flows[i].node, "name");
			km_node_err(errstr, errstr_size, v,
			            "key 'name': flow " KM_SHOW_FMT " is defined twice (first at "
			            "%d:%d); flow names must be unique",
			            KM_SHOW(v), first->line, first->col);
			return KM_ERR_INVALID;
		}
	}

	f->source = km_flow_cluster(conf, flow, "source", where, errstr, errstr_size);
	if (!f->source)
		return KM_ERR_INVALID;
	f->target = km_flow_cluster(conf, flow, "target", where, errstr, errstr_size);
	if (!f->target)
		return KM_ERR_INVALID;
	if (f->source == f->target) {
		v = km_node_get(flow, "target");
		km_node_err(errstr, errstr_size, v,
		            "key 'target': " KM_SHOW_FMT " is also the source; a flow copies from "
		            "one cluster to another",
		            KM_SHOW(v));
		return KM_ERR_INVALID;
	}

	snprintf(f->topics.path, sizeof(f->topics.path), "%s.topics", where);
	if ((err = km_plugin_ref_build(&f->topics, km_node_key(flow, "topics"),
	                               km_node_get(flow, "topics"), flow, "topic_regex", errstr,
	                               errstr_size)) != KM_OK)
		return err;
	snprintf(f->policy.path, sizeof(f->policy.path), "%s.policy", where);
	if ((err = km_plugin_ref_build(&f->policy, km_node_key(flow, "policy"),
	                               km_node_get(flow, "policy"), flow, "prefix", errstr,
	                               errstr_size)) != KM_OK)
		return err;

	v = km_node_get(flow, "pipeline");
	if (v) {
		if (v->type != KM_NODE_SEQ) {
			km_node_err(errstr, errstr_size,
			            v->type == KM_NODE_SCALAR && v->null
			                ? km_node_key(flow, "pipeline")
			                : v,
			            "key 'pipeline' is %s; it must be a list of stages "
			            "([{plugin: NAME, ...}, ...])",
			            km_node_type_name(v));
			return KM_ERR_INVALID;
		}
		f->pipeline = calloc(v->cnt ? v->cnt : 1, sizeof(*f->pipeline));
		if (!f->pipeline) {
			km_node_err(errstr, errstr_size, v, "out of memory");
			return KM_ERR_NOMEM;
		}
		for (size_t i = 0; i < v->cnt; i++) {
			km_plugin_ref_t *ref = &f->pipeline[i];
			const km_node_t *it = v->vals[i];
			snprintf(ref->path, sizeof(ref->path), "%s.pipeline[%zu]", where, i);
			if (it->type == KM_NODE_SCALAR && it->null) {
				km_node_err(errstr, errstr_size, it,
				            "%s is empty; name a stage plugin (- NAME) or give "
				            "{plugin: NAME, ...}",
				            ref->path);
				return KM_ERR_INVALID;
			}
			if ((err = km_plugin_ref_build(ref, km_node_key(flow, "pipeline"), it, flow,
			                               NULL, errstr, errstr_size)) != KM_OK)
				return err;
			f->pipeline_cnt++;
		}
	}

	for (int i = 0; i < 2; i++) {
		const char *name = i ? "producer" : "consumer";
		char w[300];

		snprintf(w, sizeof(w), "%s.%s", where, name);
		if ((v = km_node_get(flow, name)) &&
		    (err = km_kvlist_build(i ? &f->producer : &f->consumer, km_node_key(flow, name),
		                           v, w, errstr, errstr_size)) != KM_OK)
			return err;
	}

	if ((err = km_flow_filters_build(f, flow, where, errstr, errstr_size)) != KM_OK)
		return err;
	if (km_flow_dead_letter_check(f->params, errstr, errstr_size) != KM_OK)
		return KM_ERR_INVALID;
	if (!km_params_bool(f->params, "emit.checkpoints") &&
	    km_params_isset(f->params, "sync.group.offsets") &&
	    km_params_bool(f->params, "sync.group.offsets")) {
		km_node_err(errstr, errstr_size, km_params_node(f->params, "sync.group.offsets"),
		            "key 'sync.group.offsets': true needs emit.checkpoints: true (group "
		            "offsets are the checkpoints' offsets); remove one of the two");
		return KM_ERR_INVALID;
	}
	for (const char *const *rf =
	         (const char *const[]){"replication.factor", "internal.topics.replication.factor",
	                               NULL};
	     *rf; rf++) {
		if (km_params_int(f->params, *rf) == 0) {
			km_node_err(
			    errstr, errstr_size, km_params_node(f->params, *rf),
			    "key '%s': 0 is not allowed; use -1 (the %sbroker's default) or 1 "
			    "to 10000",
			    *rf, strcmp(*rf, "replication.factor") ? "" : "target ");
			return KM_ERR_INVALID;
		}
	}
	int64_t batch = km_params_int(f->params, "batch.records");
	int64_t inflight = km_params_int(f->params, "max.inflight.records");
	if (batch > inflight) {
		const km_node_t *n = km_params_node(f->params, "batch.records");
		if (!n)
			n = km_params_node(f->params, "max.inflight.records");
		km_node_err(errstr, errstr_size, n,
		            "%s: batch.records (%lld) is more than max.inflight.records (%lld); a "
		            "batch must fit in flight",
		            where, (long long)batch, (long long)inflight);
		return KM_ERR_INVALID;
	}
	return KM_OK;
}

static km_config_t *km_config_build(km_node_t *root, const char *path, char *errstr,
                                    size_t errstr_size) {
	km_config_t *conf = calloc(1, sizeof(*conf));
	const km_node_t *clusters, *flows;

	if (!conf || !(conf->path = strdup(path))) {
		snprintf(errstr, errstr_size, "%s: out of memory", path);
		free(conf);
		km_node_free(root);
		return NULL;
	}
	conf->root = root;
	conf->params = km_params_bind(km_config_params, root, "the top level", km_top_keys, errstr,
	                              errstr_size);
	if (!conf->params)
		goto fail;
	conf->plugin_dir_cnt = km_params_list(conf->params, "plugin_dirs", &conf->plugin_dirs);
	if (km_rest_conf_bind(&conf->rest, root, errstr, errstr_size) != KM_OK)
		goto fail;

	clusters = km_node_get(root, "clusters");
	if (!clusters) {
		km_node_err(errstr, errstr_size, root,
		            "the top level: key 'clusters' is required (the Kafka clusters, by "
		            "alias: clusters: {ALIAS: {kafka: {bootstrap.servers: HOST:PORT}}})");
		goto fail;
	}
	if (clusters->type != KM_NODE_MAP || !clusters->cnt) {
		km_node_err(errstr, errstr_size,
		            clusters->type == KM_NODE_SCALAR && clusters->null
		                ? km_node_key(root, "clusters")
		                : clusters,
		            "key 'clusters' is %s; it must be a mapping of at least one cluster "
		            "alias to its settings (ALIAS: {kafka: {...}})",
		            clusters->type == KM_NODE_MAP ? "empty" : km_node_type_name(clusters));
		goto fail;
	}
	conf->clusters = calloc(clusters->cnt, sizeof(*conf->clusters));
	if (!conf->clusters) {
		km_node_err(errstr, errstr_size, clusters, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < clusters->cnt; i++) {
		conf->cluster_cnt++;
		if (km_cluster_build(&conf->clusters[i], clusters->keys[i], clusters->vals[i],
		                     errstr, errstr_size) != KM_OK)
			goto fail;
	}

	flows = km_node_get(root, "flows");
	if (!flows) {
		km_node_err(errstr, errstr_size, root,
		            "the top level: key 'flows' is required (the list of flows: - name: "
		            "NAME, source: ALIAS, target: ALIAS)");
		goto fail;
	}
	if (flows->type != KM_NODE_SEQ || !flows->cnt) {
		km_node_err(errstr, errstr_size,
		            flows->type == KM_NODE_SCALAR && flows->null
		                ? km_node_key(root, "flows")
		                : flows,
		            "key 'flows' is %s; it must be a list of at least one flow (- name: "
		            "NAME, source: ALIAS, target: ALIAS)",
		            flows->type == KM_NODE_SEQ ? "empty" : km_node_type_name(flows));
		goto fail;
	}
	conf->flows = calloc(flows->cnt, sizeof(*conf->flows));
	if (!conf->flows) {
		km_node_err(errstr, errstr_size, flows, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < flows->cnt; i++) {
		conf->flow_cnt++;
		if (km_flow_build(conf, i, flows->vals[i], errstr, errstr_size) != KM_OK)
			goto fail;
	}
	if (km_config_check_provenance(conf, errstr, errstr_size) != KM_OK)
		goto fail;
	return conf;
fail:
	km_config_destroy(conf);
	return NULL;
}

km_config_t *km_config_load(const char *path, char *errstr, size_t errstr_size) {
	km_node_t *root = km_yaml_load(path, errstr, errstr_size);
	if (!root)
		return NULL;
	return km_config_build(root, path, errstr, errstr_size);
}

km_config_t *km_config_load_string(const char *name, const char *text, char *errstr,
                                   size_t errstr_size) {
	km_node_t *root = km_yaml_load_string(name, text, errstr, errstr_size);
	if (!root)
		return NULL;
	return km_config_build(root, name, errstr, errstr_size);
}

void km_config_destroy(km_config_t *conf) {
	if (!conf)
		return;
	for (size_t i = 0; i < conf->cluster_cnt; i++)
		free(conf->clusters[i].kafka.kvs);
	free(conf->clusters);
	for (size_t i = 0; i < conf->flow_cnt; i++) {
		km_flow_conf_t *f = &conf->flows[i];
		free(f->pipeline);
		free(f->consumer.kvs);
		free(f->producer.kvs);
		km_params_destroy(f->params);
	}
	free(conf->flows);
	km_params_destroy(conf->rest.params);
	km_params_destroy(conf->params);
	km_node_free(conf->root);
	free(conf->path);
	free(conf);
}

const km_cluster_conf_t *km_config_cluster(const km_config_t *conf, const char *alias) {
	for (size_t i = 0; i < conf->cluster_cnt; i++)
		if (conf->clusters[i].alias && !strcmp(conf->clusters[i].alias, alias))
			return &conf->clusters[i];
	return NULL;
}
