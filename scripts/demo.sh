#!/usr/bin/env bash
# The demo: build a busybox image from Debian's busybox-static, load it into a
# private tspod storage, list and inspect it, save it again and let skopeo read it.
set -euo pipefail
cd "$(dirname "$0")/.."
work=${TSPOD_DEMO_DIR:-/var/tmp/tspod-demo}
mkdir -p "$work"
tspod=(./bin/tspod --root "$work/root" --runroot "$work/run")
archive=$(node --import tsx test/fixtures/images.ts "$work/fixtures" | node -e 'console.log(JSON.parse(require("fs").readFileSync(0, "utf8")).busybox.ociArchive)')
run() { echo "+ tspod $*"; "${tspod[@]}" "$@"; }
run load -i "$archive"
run images
run image inspect --format '{{.Id}} {{.Architecture}} {{.RootFS.Layers}}' localhost/tspod-test/busybox
run image tree localhost/tspod-test/busybox
rm -f "$work/busybox-saved.tar"
run save --format oci-archive -o "$work/busybox-saved.tar" localhost/tspod-test/busybox
echo "+ skopeo inspect --config oci-archive:$work/busybox-saved.tar (diff ids)"
skopeo inspect --config "oci-archive:$work/busybox-saved.tar" | node -e 'console.log(JSON.parse(require("fs").readFileSync(0, "utf8")).rootfs.diff_ids.join("\n"))'
echo "Demo done. Containers arrive with the next milestone; storage is in $work."
