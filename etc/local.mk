# etc/: the annotated configuration and the systemd units.
EXTRA_DIST += etc/README.md
# As shipped it replicates nothing (its flow is disabled); the Debian
# package marks it a conffile.
kmconf_DATA = etc/kmirror.yaml
EXTRA_DIST += etc/kmirror.yaml

# kmirrord.service (kmirror.yaml) and the template kmirrord@.service
# (NAME.yaml), with the paths configure chose, in systemdunitdir
# (--with-systemdsystemunitdir).
systemdunit_DATA = etc/kmirrord.service etc/kmirrord@.service
CLEANFILES += $(systemdunit_DATA)
EXTRA_DIST += etc/kmirrord.service.in etc/kmirrord@.service.in
KM_UNIT_SED = sed -e 's|@sbindir[@]|$(sbindir)|g' -e 's|@sysconfdir[@]|$(sysconfdir)|g' \
	-e 's|@kmconfdir[@]|$(kmconfdir)|g'
etc/kmirrord.service: $(srcdir)/etc/kmirrord.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) etc && $(KM_UNIT_SED) $(srcdir)/etc/kmirrord.service.in >$@
etc/kmirrord@.service: $(srcdir)/etc/kmirrord@.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) etc && $(KM_UNIT_SED) $(srcdir)/etc/kmirrord@.service.in >$@

# A Grafana dashboard of the /metrics kmirrord exports (docs/metrics.md);
# tests/unit/test_rest.c checks that every metric it queries exists.
grafanadir = $(datadir)/kmirror/grafana
grafana_DATA = etc/grafana/kmirror-dashboard.json
EXTRA_DIST += etc/grafana/kmirror-dashboard.json
