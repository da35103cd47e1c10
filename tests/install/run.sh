#!/usr/bin/env bash
# Installs a built tessel into a temporary prefix and checks it as a
# downstream project sees it: only ts_* exported (SONAME versioned), the
# installed modules found from the new prefix, the installed
# tessel-conformance passing the add cases, and a program outside the
# tree (consumer/) built with find_package(tessel) (shared and static),
# with pkg-config, and from C++, each run doing one add on the CPU; and the
# README's example, built and run the same way.
#   usage: run.sh BUILD_DIR [C_COMPILER]
set -euo pipefail
build="$(cd "$1" && pwd)"
cc="${2:-cc}"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/tessel-install.XXXXXX")"
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"

echo "== cmake --install into $prefix"
cmake --install "$build" --prefix "$prefix" > "$work/install.log" || {
    cat "$work/install.log"
    exit 1
}
# The ABI surface: only ts_* leaves libtessel, with a versioned SONAME;
# a backend module exports its entry point and nothing else.
lib="$(find "$prefix" -name 'libtessel.so.*.*' -print -quit)"
[ -n "$lib" ] || { echo "no versioned libtessel.so was installed"; exit 1; }
if command -v nm > /dev/null && command -v objdump > /dev/null; then
    objdump -p "$lib" | grep -q 'SONAME *libtessel\.so\.[0-9]' || {
        echo "$lib has no versioned SONAME"
        exit 1
    }
    extra="$(nm -D --defined-only "$lib" | awk '{print $3}' | grep -v '^ts_' || true)"
    [ -z "$extra" ] || { echo "libtessel exports non-ts_ symbols:"; echo "$extra"; exit 1; }
    while IFS= read -r module; do
        extra="$(nm -D --defined-only "$module" | awk '{print $3}' |
            grep -v '^tessel_backend_entry_v2$' || true)"
        [ -z "$extra" ] || { echo "$module exports more than its entry:"; echo "$extra"; exit 1; }
        echo "module $(basename "$module"): exports tessel_backend_entry_v2 only"
    done < <(find "$prefix" -name 'libtessel-*.so')
    echo "exports: ts_* only; SONAME $(objdump -p "$lib" | awk '/SONAME/ {print $2}')"
fi

# The installed library finds its installed modules (lib/tessel/ next to
# itself), wherever the prefix is: the same devices as the build tree.
if [ -x "$prefix/bin/tessel-info" ] && [ -x "$build/bin/tessel-info" ]; then
    ids() { "$@" | awk '/^[a-z]+:[0-9]+/ {print $1}' | tr '\n' ' '; }
    built="$(ids "$build/bin/tessel-info")"
    # Installed tools carry no RPATH: a prefix outside the loader's path
    # needs LD_LIBRARY_PATH, as any such install does.
    installed="$(ids env -u TESSEL_MODULE_PATH LD_LIBRARY_PATH="$(dirname "$lib")" \
        "$prefix/bin/tessel-info")"
    echo "devices: build tree [$built], installed [$installed]"
    [ "$built" = "$installed" ] || { echo "the installed tessel sees other devices"; exit 1; }
fi
if [ -x "$prefix/bin/tessel-conformance" ]; then
    echo "== installed tessel-conformance"
    LD_LIBRARY_PATH="$(dirname "$lib")" "$prefix/bin/tessel-conformance" --device cpu:0 \
        --op add | grep "cases on"
fi

# A CPU-only run: the consumer must work with no GPU module at all.
export TESSEL_BACKENDS=cpu

echo "== find_package(tessel)"
generator=()
if command -v ninja > /dev/null; then generator=(-G Ninja); fi
cmake -S "$here/consumer" -B "$work/consumer-build" "${generator[@]}" \
    -DCMAKE_C_COMPILER="$cc" -DCMAKE_PREFIX_PATH="$prefix" > "$work/configure.log" || {
    cat "$work/configure.log"
    exit 1
}
cmake --build "$work/consumer-build"
"$work/consumer-build/consumer"
"$work/consumer-build/consumer_static"

echo "== pkg-config tessel"
pc="$(find "$prefix" -name tessel.pc -print -quit)"
[ -n "$pc" ] || { echo "tessel.pc was not installed"; exit 1; }
PKG_CONFIG_PATH="$(dirname "$pc")"
export PKG_CONFIG_PATH
# --define-prefix: the package was installed somewhere other than the
# prefix it was configured for, as a relocated package is.
flags="$(pkg-config --define-prefix --cflags --libs tessel)"
echo "pkg-config: $flags"
# shellcheck disable=SC2086
"$cc" -std=c11 -Wall -Wextra -Werror -o "$work/consumer_pc" "$here/consumer/consumer.c" $flags
libdir="$(pkg-config --define-prefix --variable=libdir tessel)"
LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$work/consumer_pc"
# The README's example (its first C block) as a user copies it: it must
# build without a warning and print SiLU of its first and last input.
echo "== the README's example"
awk '/^```c$/ {on = 1; next} on && /^```$/ {exit} on' "$here/../../README.md" \
    > "$work/readme_example.c"
[ -s "$work/readme_example.c" ] || { echo "README.md has no C example"; exit 1; }
# shellcheck disable=SC2086
"$cc" -std=c11 -Wall -Wextra -Werror -o "$work/readme_example" "$work/readme_example.c" $flags
got="$(LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$work/readme_example")"
want="$(awk 'BEGIN {printf "%g ... %g\n", 1 / (1 + exp(-1)), 6 / (1 + exp(-6))}')"
echo "README example: $got"
[ "$got" = "$want" ] || { echo "the README's example printed '$got', not '$want'"; exit 1; }
# Desktop apps are often C++: the installed headers must compile there too.
if command -v c++ > /dev/null; then
    echo "== the headers from C++"
    # shellcheck disable=SC2086
    c++ -x c++ -std=c++11 -Wall -Wextra -Werror -pedantic -o "$work/consumer_cxx" \
        "$here/consumer/consumer.c" $flags
    LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$work/consumer_cxx"
fi
echo "install_package: OK"
