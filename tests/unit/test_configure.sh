#!/bin/sh
# configure refuses the option combinations it cannot build, with its own
# message and a non-zero status, and its summary says why kmirrord does not
# allocate with jemalloc. Each case runs the source tree's configure in a
# scratch directory; a "missing" libjemalloc-dev is a pkg-config that knows
# no jemalloc. TAP output; run through make check (tests/unit/sdk.mk sets
# the variables).
set -u

: "${KM_TEST_SRCDIR:?run this test through make check}" "${KM_TEST_PKG_CONFIG:?}"

echo "1..4"
if [ -f "$KM_TEST_SRCDIR/config.status" ]; then
	# configure refuses a build directory of its own beside an in-tree one
	for i in 1 2 3 4; do echo "ok $i # SKIP the source tree is configured in place"; done
	exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/km-configure-XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
n=0 failed=0

printf '#!/bin/sh\nfor a in "$@"; do case $a in *jemalloc*) exit 1 ;; esac; done\nexec %s "$@"\n' \
	"$KM_TEST_PKG_CONFIG" >"$tmp/pkg-config-without-jemalloc"
chmod +x "$tmp/pkg-config-without-jemalloc"

# run WANT_STATUS WANT_TEXT ARG...: configure ARG... exits WANT_STATUS (0,
# or non-zero for 1) and WANT_TEXT is a line of its output
run() {
	want_status=$1 want=$2
	shift 2
	n=$((n + 1))
	rm -rf "$tmp/b" && mkdir "$tmp/b"
	(cd "$tmp/b" && "$KM_TEST_SRCDIR/configure" "$@") >"$tmp/out" 2>&1
	status=$?
	if { [ "$want_status" = 0 ] && [ $status = 0 ]; } ||
		{ [ "$want_status" != 0 ] && [ $status != 0 ]; } &&
		grep -qxF -- "$want" "$tmp/out"; then
		echo "ok $n - configure $*: $want"
	else
		failed=$((failed + 1))
		echo "not ok $n - configure $*: $want (exit $status)"
		tail -n 5 "$tmp/out" | sed 's/^/# /'
	fi
}

run 1 "configure: error: --enable-tsan cannot be combined with --enable-sanitizers: ThreadSanitizer and AddressSanitizer exclude each other; configure one build directory for each" \
	--enable-tsan --enable-sanitizers
run 1 "configure: error: --enable-jemalloc cannot be combined with --enable-sanitizers or --enable-tsan: their runtimes replace malloc themselves" \
	--enable-sanitizers --enable-jemalloc
run 1 "configure: error: --enable-jemalloc was given but jemalloc >= 5.0 is missing: install the Debian package libjemalloc-dev (scripts/install-deps does it)" \
	--enable-jemalloc PKG_CONFIG="$tmp/pkg-config-without-jemalloc"
run 0 "    jemalloc .......... no (glibc's malloc: install libjemalloc-dev for jemalloc)" \
	PKG_CONFIG="$tmp/pkg-config-without-jemalloc"
[ $failed = 0 ]
