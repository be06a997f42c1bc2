# etc/: example configuration, systemd unit, defaults.
EXTRA_DIST += etc/README.md
