# etc/: example configuration, systemd unit, defaults.
EXTRA_DIST += etc/README.md
kmconf_DATA = etc/kmirror.yaml
EXTRA_DIST += etc/kmirror.yaml
