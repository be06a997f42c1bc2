/* What to log of librdkafka's logs and errors (see logstate.h). */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "logstate.h"

typedef struct km_lsbroker {
	char *name;         /* "host:port" */
	int up;             /* connections of the cluster's clients to it that are up */
	int down;           /* declared unreachable */
	int64_t fail_since; /* first failed attempt since it was last up; 0: none */
} km_lsbroker_t;

typedef struct km_lscluster {
	char *alias;
	km_lsbroker_t *brokers;
	size_t broker_cnt, broker_cap;
	int down;      /* declared unreachable as a whole */
	int64_t since; /* its first failed attempt then */
} km_lscluster_t;

typedef struct km_lsconn {
	size_t broker; /* index in the cluster's brokers */
	int up;
} km_lsconn_t;

typedef struct km_lsretry {
	char fac[32];
	int64_t first, last, warned;
	unsigned long attempts;
} km_lsretry_t;

typedef struct km_lsclient {
	const void *key;
	km_lscluster_t *cluster;
	km_lsconn_t *conns;
	size_t conn_cnt, conn_cap;
	km_lsretry_t *retries;
	size_t retry_cnt, retry_cap;
	int closing;        /* being destroyed: see km_logstate_client_remove */
	int64_t closing_ms; /* since when */
} km_lsclient_t;

struct km_logstate {
	km_lscluster_t **clusters;
	size_t cluster_cnt, cluster_cap;
	km_lsclient_t *clients;
	size_t client_cnt, client_cap;
};

/* @p arr (@p cnt elements of @p elem bytes, room for *@p cap) with room
 * for one more; NULL when out of memory (then @p arr is unchanged). */
static void *grow(void *arr, size_t *cap, size_t cnt, size_t elem) {
	size_t ncap = *cap ? *cap * 2 : 4;

	if (cnt < *cap)
		return arr;
	if (!(arr = realloc(arr, ncap * elem)))
		return NULL;
	*cap = ncap;
	return arr;
}

static void set_line(km_logline_t *out, km_log_level_t level, const char *fmt, ...) KM_PRINTF(3, 4);
static void set_line(km_logline_t *out, km_log_level_t level, const char *fmt, ...) {
	va_list ap;
	int n;

	out->level = level;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !(out->text = malloc((size_t)n + 1))) {
		out->text = NULL;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(out->text, (size_t)n + 1, fmt, ap);
	va_end(ap);
}

km_logstate_t *km_logstate_new(void) {
	return calloc(1, sizeof(km_logstate_t));
}

static void client_free(km_lsclient_t *c) {
	free(c->conns);
	free(c->retries);
}

void km_logstate_destroy(km_logstate_t *ls) {
	if (!ls)
		return;
	for (size_t i = 0; i < ls->client_cnt; i++)
		client_free(&ls->clients[i]);
	free(ls->clients);
	for (size_t i = 0; i < ls->cluster_cnt; i++) {
		km_lscluster_t *c = ls->clusters[i];
		for (size_t b = 0; b < c->broker_cnt; b++)
			free(c->brokers[b].name);
		free(c->brokers);
		free(c->alias);
		free(c);
	}
	free(ls->clusters);
	free(ls);
}

static km_lscluster_t *cluster_get(km_logstate_t *ls, const char *alias) {
	km_lscluster_t *c, **n;

	for (size_t i = 0; i < ls->cluster_cnt; i++)
		if (!strcmp(ls->clusters[i]->alias, alias))
			return ls->clusters[i];
	if (!(n = grow(ls->clusters, &ls->cluster_cap, ls->cluster_cnt, sizeof(*n))))
		return NULL;
	ls->clusters = n;
	if (!(c = calloc(1, sizeof(*c))))
		return NULL;
	if (!(c->alias = strdup(alias))) {
		free(c);
		return NULL;
	}
	ls->clusters[ls->cluster_cnt++] = c;
	return c;
}

/* The index of broker @p name in @p c, added when new; -1 when out of memory. */
static long broker_get(km_lscluster_t *c, const char *name, size_t len) {
	km_lsbroker_t *b;

	for (size_t i = 0; i < c->broker_cnt; i++)
		if (strlen(c->brokers[i].name) == len && !memcmp(c->brokers[i].name, name, len))
			return (long)i;
	if (!(b = grow(c->brokers, &c->broker_cap, c->broker_cnt, sizeof(*b))))
		return -1;
	c->brokers = b;
	b = &c->brokers[c->broker_cnt];
	memset(b, 0, sizeof(*b));
	if (!(b->name = strndup(name, len)))
		return -1;
	return (long)c->broker_cnt++;
}

static km_lsclient_t *client_find(km_logstate_t *ls, const void *key) {
	for (size_t i = 0; i < ls->client_cnt; i++)
		if (ls->clients[i].key == key)
			return &ls->clients[i];
	return NULL;
}

/* Forgets @p cl (its connections must no longer count). */
static void drop(km_logstate_t *ls, km_lsclient_t *cl) {
	client_free(cl);
	*cl = ls->clients[--ls->client_cnt];
}

/* Its connections no longer count. */
static void uncount(km_lsclient_t *cl) {
	for (size_t i = 0; i < cl->conn_cnt; i++)
		if (cl->conns[i].up)
			cl->cluster->brokers[cl->conns[i].broker].up--;
	cl->conn_cnt = 0;
}

km_err_t km_logstate_client_add(km_logstate_t *ls, const void *client, const char *cluster) {
	km_lscluster_t *c;
	km_lsclient_t *n;

	if (!ls)
		return KM_ERR_INVALID;
	if ((n = client_find(ls, client))) {
		if (!n->closing)
			return KM_OK;
		drop(ls, n); /* a closed client's address, taken again by a new one */
	}
	if (!(c = cluster_get(ls, cluster)) ||
	    !(n = grow(ls->clients, &ls->client_cap, ls->client_cnt, sizeof(*n))))
		return KM_ERR_NOMEM;
	ls->clients = n;
	memset(&ls->clients[ls->client_cnt], 0, sizeof(km_lsclient_t));
	ls->clients[ls->client_cnt].key = client;
	ls->clients[ls->client_cnt].cluster = c;
	ls->client_cnt++;
	return KM_OK;
}

void km_logstate_client_remove(km_logstate_t *ls, const void *client, int64_t now_ms) {
	km_lsclient_t *cl = ls ? client_find(ls, client) : NULL;

	if (!ls)
		return;
	if (cl && !cl->closing) {
		uncount(cl);
		cl->closing = 1;
		cl->closing_ms = now_ms;
	}
	/* the clients closed long enough ago (their threads have ended) */
	for (size_t i = 0; i < ls->client_cnt;) {
		if (ls->clients[i].closing &&
		    now_ms - ls->clients[i].closing_ms >= KM_LOGSTATE_CLOSING_MS)
			drop(ls, &ls->clients[i]);
		else
			i++;
	}
}

void km_logstate_client_forget(km_logstate_t *ls, const void *client) {
	km_lsclient_t *cl = ls ? client_find(ls, client) : NULL;

	if (!cl)
		return;
	uncount(cl);
	drop(ls, cl);
}

/* Some broker of @p c answers: a connection to it is up and it is not
 * declared unreachable (a connection that claims to be up while attempts
 * to it fail is not an answer). */
static int cluster_answers(const km_lscluster_t *c) {
	for (size_t i = 0; i < c->broker_cnt; i++)
		if (c->brokers[i].up > 0 && !c->brokers[i].down)
			return 1;
	return 0;
}

void km_logstate_duration(char *buf, size_t size, int64_t ms) {
	if (ms < 0)
		ms = 0;
	if (ms < 1000)
		snprintf(buf, size, "%dms", (int)ms);
	else if (ms < 60000)
		snprintf(buf, size, "%.1fs", (double)ms / 1000);
	else if (ms < 3600000)
		snprintf(buf, size, "%dm%02ds", (int)(ms / 60000), (int)(ms / 1000 % 60));
	else
		snprintf(buf, size, "%" PRId64 "h%02dm", ms / 3600000, (int)(ms / 60000 % 60));
}

void km_logstate_broker(km_logstate_t *ls, const void *client, const char *broker,
                        const char *state, int64_t now_ms, km_logline_t *out) {
	km_lsclient_t *cl = ls ? client_find(ls, client) : NULL;
	int up = !strcmp(state, "UP") || !strcmp(state, "UPDATE");
	km_lscluster_t *c;
	km_lsbroker_t *b;
	km_lsconn_t *conn = NULL;
	char took[32];
	long bi;

	out->text = NULL;
	if (!cl || cl->closing)
		return;
	c = cl->cluster;
	if ((bi = broker_get(c, broker, strlen(broker))) < 0)
		return;
	b = &c->brokers[bi];
	for (size_t i = 0; i < cl->conn_cnt; i++)
		if (cl->conns[i].broker == (size_t)bi)
			conn = &cl->conns[i];
	if (!conn) {
		if (!(conn = grow(cl->conns, &cl->conn_cap, cl->conn_cnt, sizeof(*conn))))
			return;
		cl->conns = conn;
		conn = &cl->conns[cl->conn_cnt++];
		conn->broker = (size_t)bi;
		conn->up = 0;
	}
	if (conn->up == up)
		return;
	conn->up = up;
	b->up += up ? 1 : -1;
	if (!up)
		return;
	if (c->down) {
		km_logstate_duration(took, sizeof(took), now_ms - c->since);
		set_line(out, KM_LOG_INFO, "cluster %s: reachable again (unreachable for %s)",
		         c->alias, took);
		/* A broker that is still away says so again, by itself. */
		c->down = 0;
		for (size_t i = 0; i < c->broker_cnt; i++)
			c->brokers[i].down = 0, c->brokers[i].fail_since = 0;
	} else if (b->down) {
		km_logstate_duration(took, sizeof(took), now_ms - b->fail_since);
		set_line(out, KM_LOG_INFO,
		         "cluster %s: broker %s reachable again (unreachable for %s)", c->alias,
		         b->name, took);
		b->down = 0;
	}
	b->fail_since = 0;
}

/* @p msg without librdkafka's "[thrd:NAME]: " prefix. */
static const char *strip_thread(const char *msg) {
	const char *e;

	if (strncmp(msg, "[thrd:", 6) || !(e = strstr(msg, "]: ")))
		return msg;
	return e + 3;
}

/* The broker a connection report is about: "[PROTO://]host:port/ID: ..."
 * or a coordinator's "GroupCoordinator: host:port: ..."; 0 when it names
 * none. */
static int report_broker(const char *msg, const char **name, size_t *len) {
	const char *e = strstr(msg, ": "), *slash, *proto;

	if (!e)
		return 0;
	if ((slash = memrchr(msg, '/', (size_t)(e - msg))) && slash > msg && slash[-1] != '/') {
		if ((proto = strstr(msg, "://")) && proto < slash)
			msg = proto + 3;
		if (!memchr(msg, ':', (size_t)(slash - msg)))
			return 0;
		*name = msg;
		*len = (size_t)(slash - msg);
		return 1;
	}
	if (memchr(msg, ':', (size_t)(e - msg)))
		return 0;
	msg = e + 2; /* a coordinator: the broker it is on follows */
	if (!(e = strstr(msg, ": ")) || !memchr(msg, ':', (size_t)(e - msg)))
		return 0;
	*name = msg;
	*len = (size_t)(e - msg);
	return 1;
}

/* A connection report made on an established connection ("Disconnected
 * (after 15139ms in state UP)") rather than on an attempt to connect. */
static int on_established(const char *msg) {
	const char *s = NULL, *p = msg;

	while ((p = strstr(p, " in state ")))
		s = p += 10;
	return s && (!strncmp(s, "UP)", 3) || !strncmp(s, "UP,", 3) || !strncmp(s, "UPDATE", 6));
}

static km_log_level_t map_level(int level) {
	return level <= 3   ? KM_LOG_ERR
	       : level == 4 ? KM_LOG_WARNING
	       : level <= 6 ? KM_LOG_INFO
	                    : KM_LOG_DEBUG;
}

/* What the operator should check, for a connection that fails on TLS or
 * SASL: librdkafka says what failed, not which setting to fix. "" for
 * other failures. */
static const char *fix_hint(const char *text) {
	static const struct {
		const char *said, *hint;
	} hints[] = {
	    {"invalid credentials",
	     "; the broker refused the user name or password: check sasl.username and "
	     "sasl.password (and sasl.mechanisms)"},
	    {"alert bad certificate",
	     "; the broker refused the client certificate: check that ssl.certificate.location "
	     "and ssl.key.location name a certificate signed by a CA the broker trusts"},
	    {"alert certificate unknown",
	     "; the broker refused the client certificate: check that ssl.certificate.location "
	     "names a certificate that has not expired and is signed by a CA the broker trusts"},
	    {"alert certificate expired",
	     "; the broker refused the client certificate as expired: renew the certificate at "
	     "ssl.certificate.location"},
	    {"alert certificate required",
	     "; the broker wants a client certificate: set ssl.certificate.location and "
	     "ssl.key.location"},
	    {"certificate verify failed",
	     "; the broker's certificate is not trusted: check that ssl.ca.location names the CA "
	     "that signed it, and that it has not expired"},
	};

	for (size_t i = 0; i < sizeof(hints) / sizeof(hints[0]); i++)
		if (strstr(text, hints[i].said))
			return hints[i].hint;
	return "";
}

/* A FAIL report of @p cl about a broker. */
static void connection_failed(km_lsclient_t *cl, const char *name, const char *fac, const char *msg,
                              int64_t now_ms, km_logline_t *out) {
	const char *text = strip_thread(msg), *bname;
	km_lscluster_t *c = cl->cluster;
	km_lsbroker_t *b;
	size_t blen;
	long bi;

	if (!report_broker(text, &bname, &blen) || (bi = broker_get(c, bname, blen)) < 0) {
		set_line(out, KM_LOG_INFO, "%s: %s: %s", name, fac, msg);
		return;
	}
	b = &c->brokers[bi];
	if (on_established(text) || b->down) {
		set_line(out, KM_LOG_DEBUG, "%s: %s: %s", name, fac, msg);
		return;
	}
	if (!b->fail_since)
		b->fail_since = now_ms;
	if (b->up > 0 && now_ms - b->fail_since < KM_LOGSTATE_GRACE_MS) {
		set_line(out, KM_LOG_DEBUG, "%s: %s: %s", name, fac, msg);
		return;
	}
	b->down = 1;
	if (c->down) {
		set_line(out, KM_LOG_DEBUG, "%s: %s: %s", name, fac, msg);
	} else if (!cluster_answers(c)) {
		c->down = 1;
		c->since = b->fail_since;
		set_line(out, KM_LOG_WARNING, "cluster %s: unreachable: %s (%s)%s; retrying",
		         c->alias, text, name, fix_hint(text));
	} else {
		set_line(
		    out, KM_LOG_WARNING,
		    "cluster %s: broker %s unreachable, the others answer: %s (%s)%s; retrying",
		    c->alias, b->name, text, name, fix_hint(text));
	}
}

/* A failed attempt of a request librdkafka retries by itself. */
static void retried(km_lsclient_t *cl, const char *name, const char *fac, const char *msg,
                    int64_t now_ms, km_logline_t *out) {
	km_lsretry_t *r = NULL;
	char took[32];

	for (size_t i = 0; i < cl->retry_cnt; i++)
		if (!strcmp(cl->retries[i].fac, fac))
			r = &cl->retries[i];
	if (!r) {
		if (!(r = grow(cl->retries, &cl->retry_cap, cl->retry_cnt, sizeof(*r)))) {
			set_line(out, KM_LOG_WARNING, "%s: %s: %s", name, fac, msg);
			return;
		}
		cl->retries = r;
		r = &cl->retries[cl->retry_cnt++];
		snprintf(r->fac, sizeof(r->fac), "%s", fac);
		r->last = now_ms - KM_LOGSTATE_QUIET_MS - 1;
	}
	if (now_ms - r->last > KM_LOGSTATE_QUIET_MS) {
		r->first = r->last = now_ms;
		r->warned = 0;
		r->attempts = 1;
		set_line(out, KM_LOG_INFO, "%s: %s: %s", name, fac, msg);
		return;
	}
	r->last = now_ms;
	r->attempts++;
	if (cl->cluster->down || now_ms - r->first < KM_LOGSTATE_RETRY_WARN_MS ||
	    (r->warned && now_ms - r->warned < KM_LOGSTATE_RETRY_REPEAT_MS)) {
		set_line(out, KM_LOG_DEBUG, "%s: %s: %s", name, fac, msg);
		return;
	}
	r->warned = now_ms;
	km_logstate_duration(took, sizeof(took), now_ms - r->first);
	set_line(out, KM_LOG_WARNING, "%s: %s: %s (failing for %s, %lu attempts)", name, fac, msg,
	         took, r->attempts);
}

static int ends_with(const char *s, const char *tail) {
	size_t n = strlen(s), t = strlen(tail);
	return n >= t && !strcmp(s + n - t, tail);
}

/* "N/M brokers are down" */
static int all_down(const char *msg) {
	int a, b, n = 0;
	return sscanf(strip_thread(msg), "%d/%d brokers are down%n", &a, &b, &n) == 2 && n > 0 &&
	       strip_thread(msg)[n] == '\0';
}

void km_logstate_log(km_logstate_t *ls, const void *client, const char *name, int level,
                     const char *fac, const char *msg, int64_t now_ms, km_logline_t *out) {
	km_lsclient_t *cl = ls ? client_find(ls, client) : NULL;

	out->text = NULL;
	if (cl && cl->closing) {
		/* a FAIL report now is its own connections, torn down; nothing
		 * else of it is followed any more */
		set_line(out, strcmp(fac, "FAIL") ? map_level(level) : KM_LOG_DEBUG, "%s: %s: %s",
		         name, fac, msg);
		return;
	}
	if (cl && level < 7) {
		if (!strcmp(fac, "FAIL")) {
			connection_failed(cl, name, fac, msg, now_ms, out);
			return;
		}
		if (!strcmp(fac, "ERROR") && all_down(msg)) {
			set_line(out, KM_LOG_DEBUG, "%s: %s: %s", name, fac, msg);
			return;
		}
		if (!strcmp(fac, "GETPID") && ends_with(msg, ": retrying")) {
			retried(cl, name, fac, msg, now_ms, out);
			return;
		}
	}
	set_line(out, map_level(level), "%s: %s: %s", name, fac, msg);
}

void km_logstate_error(int err, const char *reason, const char *flow, const char *name,
                       km_logline_t *out) {
	const char *bname;
	size_t blen;
	int connection =
	    err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN ||
	    ((err == RD_KAFKA_RESP_ERR__TRANSPORT || err == RD_KAFKA_RESP_ERR__RESOLVE ||
	      err == RD_KAFKA_RESP_ERR__SSL || err == RD_KAFKA_RESP_ERR__AUTHENTICATION ||
	      err == RD_KAFKA_RESP_ERR__TIMED_OUT) &&
	     report_broker(reason, &bname, &blen));

	set_line(out, connection ? KM_LOG_DEBUG : KM_LOG_WARNING, "flow %s: %s: %s", flow, name,
	         reason);
}
