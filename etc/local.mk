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
