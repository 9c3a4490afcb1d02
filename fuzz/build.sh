#!/usr/bin/env bash
# Builds the libFuzzer harnesses of fuzz/ with clang (libFuzzer, ASan,
# UBSan), apart from the normal gcc build: each harness is linked with
# the few sources of fcgi/ it exercises. Binaries go to $FUZZ_OUT/bin
# (var/fuzz/bin by default). Exits 77 (skip) when clang or its libFuzzer
# runtime is missing: install clang and libclang-rt-14-dev.
#   fuzz/build.sh [harness...]      default: every harness
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd -P)
out=${FUZZ_OUT:-$top/var/fuzz}
HARNESSES=(request fields secret template mail)

cc=${FUZZ_CC:-}
if [ -z "$cc" ]; then
	for c in clang-14 clang; do
		if command -v "$c" >/dev/null 2>&1; then
			cc=$c
			break
		fi
	done
fi
if [ -z "$cc" ]; then
	echo "fuzz/build.sh: clang not found (apt-get install clang libclang-rt-14-dev)" >&2
	exit 77
fi

mkdir -p "$out/bin" "$out/obj"
: >"$out/obj/config.h"
# shellcheck disable=SC2054 # the commas belong to -fsanitize
flags=(-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { return 0; }\n' \
	>"$out/obj/probe.c"
if ! "$cc" "${flags[@]}" -o "$out/obj/probe" "$out/obj/probe.c" 2>"$out/obj/probe.log"; then
	echo "fuzz/build.sh: $cc cannot link with ${flags[*]} (apt-get install libclang-rt-14-dev):" >&2
	sed 's/^/    /' "$out/obj/probe.log" >&2
	exit 77
fi

read -ra deps <<<"$(pkg-config --cflags libxml-2.0 libpcre2-8 libsodium libpq)"
read -ra libs <<<"$(pkg-config --libs libxml-2.0 libpcre2-8 libsodium)"
cflags=("${flags[@]}" -Wall -Wextra -Wno-unused-parameter -I"$out/obj" -I"$top/fcgi/common" -I"$top/fcgi/web" -I"$top/fcgi/notify"
	"${deps[@]}" -DCRENEAU_CONF='"/nonexistent"' -DCRENEAU_PKGDATADIR='"/nonexistent"'
	-DCRENEAU_LOCALEDIR='"/nonexistent"' -DFUZZ_SRCDIR="\"$top\"")

# The sources of fcgi/ each harness links.
sources() {
	case $1 in
	request) echo web/request.c common/arena.c common/i18n.c common/conf.c common/log.c ;;
	fields) echo common/fields.c web/request.c common/arena.c common/log.c ;;
	secret) echo common/secret.c web/waitroom_cookie.c common/arena.c common/log.c ;;
	template) echo common/template.c web/request.c common/arena.c common/i18n.c common/conf.c common/log.c ;;
	mail) echo notify/notify_tpl.c common/template.c web/request.c common/arena.c common/i18n.c common/conf.c common/log.c ;;
	*) echo "fuzz/build.sh: no harness $1" >&2; exit 2 ;;
	esac
}

[ "$#" -gt 0 ] || set -- "${HARNESSES[@]}"
for h in "$@"; do
	srcs=("$top/fuzz/$h.c")
	for s in $(sources "$h"); do
		srcs+=("$top/fcgi/$s")
	done
	bin=$out/bin/$h
	if [ -x "$bin" ]; then
		fresh=1
		for s in "${srcs[@]}" "$top"/fcgi/*/*.h "$top"/fuzz/*.h "$0"; do
			if [ "$s" -nt "$bin" ]; then
				fresh=0
				break
			fi
		done
		[ "$fresh" = 1 ] && continue
	fi
	echo "fuzz/build.sh: building $h" >&2
	"$cc" "${cflags[@]}" -o "$bin.tmp" "${srcs[@]}" "${libs[@]}"
	mv "$bin.tmp" "$bin"
done
