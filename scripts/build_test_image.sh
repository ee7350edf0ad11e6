#!/usr/bin/env bash
# Builds swamp's docker test image without any registry: a root filesystem
# holding the pinned deno binary, the shared libraries `ldd` lists for it and
# a static busybox shell, turned into an image with `docker import`.
# Usage: scripts/build_test_image.sh [--force]
# Prints the image name. The tests find it as swamp-test-deno:<deno version>.
set -euo pipefail
cd "$(dirname "$0")/.."

deno_bin=$(readlink -f toolchain/node_modules/.bin/deno)
version=$("$deno_bin" --version | head -n 1 | awk '{print $2}')
image="swamp-test-deno:${version}"
engine=${SWAMP_DOCKER:-docker}

if [ "${1:-}" != "--force" ] && "$engine" image inspect "$image" >/dev/null 2>&1; then
  echo "$image"
  exit 0
fi

busybox_bin=$(command -v busybox || true)
if [ -z "$busybox_bin" ]; then
  echo "busybox is needed for the image's shell: apt-get install -y busybox-static" >&2
  exit 1
fi

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/usr/local/bin" "$root/bin" "$root/tmp" "$root/etc"
chmod 1777 "$root/tmp"
cp "$deno_bin" "$root/usr/local/bin/deno"
# The dynamic loader and every library deno links against, at the same paths.
for lib in $(ldd "$deno_bin" | grep -oE '/[^ ]+'); do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
cp "$busybox_bin" "$root/bin/busybox"
for applet in $("$busybox_bin" --list); do
  [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
echo "root:x:0:0:root:/tmp:/bin/sh" >"$root/etc/passwd"
echo "root:x:0:" >"$root/etc/group"

tar -C "$root" -c . | "$engine" import \
  --change 'ENV PATH=/usr/local/bin:/bin' \
  --change 'ENV DENO_DIR=/tmp/deno-dir' \
  --change 'WORKDIR /tmp' \
  - "$image" >/dev/null
echo "$image"
