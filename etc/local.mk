# etc/: example configuration, systemd unit, defaults.
EXTRA_DIST += etc/README.md
kmconf_DATA = etc/kmirror.yaml
EXTRA_DIST += etc/kmirror.yaml

systemdunitdir = $(prefix)/lib/systemd/system
systemdunit_DATA = etc/kmirrord.service
CLEANFILES += etc/kmirrord.service
EXTRA_DIST += etc/kmirrord.service.in
etc/kmirrord.service: $(srcdir)/etc/kmirrord.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) etc && sed -e 's|@sbindir[@]|$(sbindir)|g' \
		-e 's|@kmconfdir[@]|$(kmconfdir)|g' $(srcdir)/etc/kmirrord.service.in >$@

# A Grafana dashboard of the /metrics kmirrord exports (docs/metrics.md);
# tests/unit/test_rest.c checks that every metric it queries exists.
grafanadir = $(datadir)/kmirror/grafana
grafana_DATA = etc/grafana/kmirror-dashboard.json
EXTRA_DIST += etc/grafana/kmirror-dashboard.json
