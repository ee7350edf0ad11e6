#!/usr/bin/env bash
# Prepares Docker for the docker driver tests: installs the engine if it is
# missing (Debian's docker.io), starts dockerd if it is not answering, and
# builds swamp's local test image (no registry needed).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v dockerd >/dev/null 2>&1 || ! command -v busybox >/dev/null 2>&1; then
  echo "installing docker.io and busybox-static"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io busybox-static >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
  echo "starting dockerd"
  nohup dockerd >/tmp/swamp-dockerd.log 2>&1 &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 0.5
  done
  docker info >/dev/null 2>&1 || {
    echo "dockerd did not start; its log:"
    tail -n 30 /tmp/swamp-dockerd.log
    exit 1
  }
fi

bash scripts/build_test_image.sh
