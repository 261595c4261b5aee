#!/usr/bin/env bash
# Rootless networking (pasta, slirp4netns) opens /dev/net/tun and fuse-overlayfs opens
# /dev/fuse as an ordinary user. udev's default rules make both 0666; on a machine where
# udev does not run (containers, minimal VMs) they keep the kernel's 0600 and every
# rootless network fails. Where udev is absent, this applies its modes; elsewhere it
# leaves the devices to udev.
set -euo pipefail
[ "$(id -u)" -eq 0 ] || exit 0
[ -e /run/udev/control ] && exit 0
ensure() { # path major minor
  local path=$1
  if [ ! -e "$path" ]; then
    mkdir -p "$(dirname "$path")"
    mknod "$path" c "$2" "$3" 2>/dev/null || return 0
  fi
  if [ "$(stat -c %a "$path")" != 666 ]; then
    chmod 0666 "$path"
    echo "udev is not running: made $path mode 0666, as udev's default rules do (rootless networking and fuse-overlayfs need it)"
  fi
}
ensure /dev/net/tun 10 200
ensure /dev/fuse 10 229
