#!/bin/sh
# The installed plugin SDK is enough to build a plugin: `make install
# DESTDIR=$tmp`, then the example out-of-tree plugin (plugins/examples/) is
# built with its own Makefile, which uses only `pkg-config --cflags
# kmirror-plugin` and `cc -shared -fPIC`, and the installed kmirrord loads it
# with --check-config. TAP output; run through make check (the variables
# below come from tests/unit/sdk.mk).
set -u

: "${KM_TEST_BUILDDIR:?run this test through make check}"
: "${KM_TEST_SRCDIR:?}" "${KM_TEST_MAKE:?}" "${KM_TEST_CC:?}" "${KM_TEST_PKG_CONFIG:?}"
: "${KM_TEST_INCLUDEDIR:?}" "${KM_TEST_LIBDIR:?}" "${KM_TEST_SBINDIR:?}"
: "${KM_TEST_PLUGINSDIR:?}" "${KM_TEST_PREFIX:?}"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/km-sdk-install-XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
stage=$tmp/stage
n=0 failed=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1)) failed=$((failed + 1))
	echo "not ok $n - $1"
	shift
	for f in "$@"; do [ -f "$f" ] && sed 's/^/# /' "$f"; done
}
# check NAME COMMAND...: one test case, its output shown when it fails
check() {
	name=$1
	shift
	if "$@" >"$tmp/out" 2>&1; then ok "$name"; else not_ok "$name" "$tmp/out"; fi
}
# same_text NAME FILE WANT: FILE holds exactly WANT
same_text() {
	printf '%s\n' "$3" >"$tmp/want"
	if cmp -s "$2" "$tmp/want"; then
		ok "$1"
	else
		not_ok "$1"
		echo "# got:"
		sed 's/^/#   /' "$2"
		echo "# want:"
		sed 's/^/#   /' "$tmp/want"
	fi
}

echo "1..9"

# 1. make install into a scratch DESTDIR (MAKEFLAGS: not the jobserver of
# the make check that runs this test)
check "make install DESTDIR=\$tmp" env -u MAKEFLAGS -u MFLAGS \
	$KM_TEST_MAKE -C "$KM_TEST_BUILDDIR" install DESTDIR="$stage"

# 2. the SDK's headers and pkg-config file where --prefix says
missing=
for f in "$KM_TEST_INCLUDEDIR/kmirror/plugin.h" "$KM_TEST_INCLUDEDIR/kmirror/record.h" \
	"$KM_TEST_INCLUDEDIR/kmirror/err.h" "$KM_TEST_LIBDIR/pkgconfig/kmirror-plugin.pc" \
	"$KM_TEST_SBINDIR/kmirrord" "$KM_TEST_PLUGINSDIR/group_regex.so"; do
	[ -f "$stage$f" ] || missing="$missing $f"
done
if [ -z "$missing" ]; then ok "SDK installed under DESTDIR"; else not_ok "not installed:$missing"; fi

# 3. pkg-config finds it there: the paths are the configured ones, staged
# under the sysroot
PKG_CONFIG_PATH=$stage$KM_TEST_LIBDIR/pkgconfig
PKG_CONFIG_SYSROOT_DIR=$stage
PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1
export PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_ALLOW_SYSTEM_CFLAGS
$KM_TEST_PKG_CONFIG --cflags kmirror-plugin >"$tmp/cflags" 2>&1
same_text "pkg-config --cflags kmirror-plugin" "$tmp/cflags" "-I$stage$KM_TEST_INCLUDEDIR "
for v in prefix pluginsdir abi_major; do
	env -u PKG_CONFIG_SYSROOT_DIR $KM_TEST_PKG_CONFIG --variable=$v kmirror-plugin
done >"$tmp/vars" 2>&1
abi=$(sed -n 's/^#define KM_PLUGIN_ABI_MAJOR \([0-9]*\).*/\1/p' "$KM_TEST_SRCDIR/core/include/kmirror/plugin.h")
same_text "pkg-config variables prefix, pluginsdir, abi_major" "$tmp/vars" \
	"$(printf '%s\n%s\n%s' "$KM_TEST_PREFIX" "$KM_TEST_PLUGINSDIR" "$abi")"

# 4. the example, built out of tree with its own Makefile: pkg-config and
# cc only, warnings as errors
mkdir -p "$tmp/src" "$tmp/plugins"
cp "$KM_TEST_SRCDIR/plugins/examples/group_prefix.c" "$KM_TEST_SRCDIR/plugins/examples/Makefile" \
	"$tmp/src/"
check "the example builds against the installed SDK" env -u MAKEFLAGS -u MFLAGS \
	$KM_TEST_MAKE -C "$tmp/src" CC="$KM_TEST_CC" CFLAGS="-O2 -Werror" \
	PKG_CONFIG="$KM_TEST_PKG_CONFIG"
cp "$tmp/src/group_prefix.so" "$tmp/plugins/" 2>/dev/null
chmod 0755 "$tmp/plugins"

# 5. the installed kmirrord loads it (and the installed default plugins)
conf() {
	cat >"$tmp/kmirror.yaml" <<YAML
plugin_dirs: [$tmp/plugins, $stage$KM_TEST_PLUGINSDIR]
clusters:
  a:
    kafka: {bootstrap.servers: 'a1:9092'}
  b:
    kafka: {bootstrap.servers: 'b1:9092'}
flows:
  - name: ab
    source: a
    target: b
$1
YAML
}
run() {
	"$stage$KM_TEST_SBINDIR/kmirrord" --check-config -c "$tmp/kmirror.yaml" >"$tmp/stdout" \
		2>"$tmp/stderr"
	echo $? >"$tmp/status"
}
conf "    groups: {plugin: group_prefix, prefixes: [app-, billing-], except: [app-test]}"
run
same_text "kmirrord --check-config with the example: OK" "$tmp/stdout" \
	"$tmp/kmirror.yaml: configuration OK (2 cluster(s), 1 flow(s) enabled)"
if grep -q "loaded group filter group_prefix 1.0.0 from $tmp/plugins/group_prefix.so" \
	"$tmp/stderr" && [ "$(cat "$tmp/status")" = 0 ]; then
	ok "the example loaded from its plugin dir"
else
	not_ok "the example loaded from its plugin dir" "$tmp/stderr" "$tmp/status"
fi

# 6. its own refusal, at the offending item's file:line:col
conf "    groups: {plugin: group_prefix, prefixes: [app-, '']}"
run
tail -n 1 "$tmp/stderr" >"$tmp/last"
same_text "the example refuses an empty prefix at its place" "$tmp/last" \
	"kmirrord: $tmp/kmirror.yaml:11:53: key 'prefixes': item 2: an empty prefix selects every group; remove it (the default group_regex selects every group)"
same_text "exit status 1" "$tmp/status" 1

[ "$failed" = 0 ]
