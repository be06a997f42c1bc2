/* The configuration check. See check.h. */
#include "config.h"

#include <stdio.h>

#include "check.h"
#include "config_model.h"
#include "flow.h"
#include "params.h"
#include "plugin_host.h"
#include "rest.h"

km_err_t km_config_check(const char *path, size_t *clusters, size_t *flows, char *errstr,
                         size_t errstr_size) {
	km_config_t *conf = km_config_load(path, errstr, errstr_size);
	km_plugin_host_t *host = NULL;
	km_err_t err = KM_ERR_INVALID;

	*clusters = *flows = 0;
	if (!conf)
		return KM_ERR_INVALID;
	if (conf->rest.enabled && conf->rest.cert && !km_rest_tls_supported()) {
		snprintf(errstr, errstr_size,
		         "%s: rest.tls.cert is set but this libmicrohttpd has no TLS (GnuTLS); "
		         "unset rest.tls.cert and rest.tls.key",
		         path);
		goto out;
	}
	if (!(host = km_plugin_host_new(conf->plugin_dirs, conf->plugin_dir_cnt))) {
		snprintf(errstr, errstr_size, "out of memory");
		err = KM_ERR_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < conf->flow_cnt; i++) {
		km_flow_t *f;
		if (!km_params_bool(conf->flows[i].params, "enabled"))
			continue;
		if (!(f = km_flow_new(&conf->flows[i], host, errstr, errstr_size)))
			goto out;
		km_flow_destroy(f);
		(*flows)++;
	}
	*clusters = conf->cluster_cnt;
	err = KM_OK;
out:
	km_plugin_host_destroy(host);
	km_config_destroy(conf);
	return err;
}
