/* `rest:`: where the REST API listens, its token and TLS files, checked
 * when the configuration is (docs/rest.md says why each rule exists). */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "config_model.h"
#include "params.h"

int km_rest_listen_parse(km_rest_conf_t *rc, const char *listen) {
	char host[64];
	const char *colon, *h = listen;
	size_t hl;
	char *end;
	long port;
	struct in_addr a4;
	struct in6_addr a6;

	if (listen[0] == '[') {
		const char *rb = strchr(listen, ']');
		if (!rb || rb[1] != ':')
			return -1;
		h = listen + 1;
		hl = (size_t)(rb - h);
		colon = rb + 1;
	} else {
		if (!(colon = strrchr(listen, ':')) ||
		    memchr(listen, ':', (size_t)(colon - listen)))
			return -1;
		hl = (size_t)(colon - listen);
	}
	if (!hl || hl >= sizeof(host) || !isdigit((unsigned char)colon[1]))
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end || port < 0 || port > 65535)
		return -1;
	if (!strcmp(host, "localhost"))
		snprintf(host, sizeof(host), "127.0.0.1");
	if (inet_pton(AF_INET, host, &a4) == 1) {
		rc->family = AF_INET;
		rc->loopback = (ntohl(a4.s_addr) >> 24) == 127;
	} else if (listen[0] == '[' && inet_pton(AF_INET6, host, &a6) == 1) {
		rc->family = AF_INET6;
		rc->loopback = IN6_IS_ADDR_LOOPBACK(&a6);
	} else {
		return -1;
	}
	snprintf(rc->host, sizeof(rc->host), "%s", host);
	rc->port = (int)port;
	return 0;
}

static int token_ok(const char *t) {
	for (; *t; t++)
		if ((unsigned char)*t <= ' ' || *t == 0x7f)
			return 0;
	return 1;
}

km_err_t km_rest_conf_bind(km_rest_conf_t *rc, const km_node_t *root, char *errstr,
                           size_t errstr_size) {
	const km_node_t *map = km_node_get(root, "rest");
	const char *listen;
	km_params_t *p;

	memset(rc, 0, sizeof(*rc));
	if (map && map->type == KM_NODE_SCALAR && map->null)
		map = NULL;
	if (!(p = km_params_bind(km_rest_params, map, "rest", NULL, errstr, errstr_size)))
		return KM_ERR_INVALID;
	rc->params = p;
	rc->enabled = km_params_bool(p, "enabled");
	listen = km_params_str(p, "listen");
	if (km_rest_listen_parse(rc, listen)) {
		const km_node_t *ln = km_params_node(p, "listen");
		char msg[512];
		/* a value from ${env:} or ${file:} is not shown */
		snprintf(msg, sizeof(msg),
		         KM_SHOW_FMT
		         " is not an address to listen on: write HOST:PORT, HOST an "
		         "IPv4 address, [IPv6] or localhost, PORT 0 to 65535 (0: any free "
		         "port), e.g. 127.0.0.1:8085",
		         KM_SHOW_IF(listen, ln && ln->secret));
		km_params_err(p, "listen", NULL, 0, map, "rest", msg, errstr, errstr_size);
		return KM_ERR_INVALID;
	}
	if (km_params_isset(p, "token")) {
		rc->token = km_params_str(p, "token");
		if (!rc->token || !*rc->token || !token_ok(rc->token)) {
			km_params_err(
			    p, "token", NULL, 0, map, "rest",
			    "is empty or holds spaces or control characters: a bearer token "
			    "is one word (e.g. 32 random hex digits)",
			    errstr, errstr_size);
			return KM_ERR_INVALID;
		}
	}
	if (km_params_isset(p, "tls.cert") != km_params_isset(p, "tls.key")) {
		const char *given = km_params_isset(p, "tls.cert") ? "tls.cert" : "tls.key";
		km_params_err(
		    p, given, NULL, 0, map, "rest",
		    "needs its pair: set both tls.cert (PEM certificate) and tls.key (its "
		    "PEM private key)",
		    errstr, errstr_size);
		return KM_ERR_INVALID;
	}
	if (km_params_isset(p, "tls.cert")) {
		rc->cert = km_params_str(p, "tls.cert");
		rc->key = km_params_str(p, "tls.key");
	}
	if (rc->enabled && rc->token && !rc->loopback && !rc->cert) {
		km_params_err(p, "token", NULL, 0, map, "rest",
		              "is set, but listen is not a loopback address and there is no "
		              "tls.cert: the token would cross the network in clear text; set "
		              "tls.cert and tls.key, or listen on 127.0.0.1",
		              errstr, errstr_size);
		return KM_ERR_INVALID;
	}
	return KM_OK;
}
