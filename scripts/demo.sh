#!/usr/bin/env bash
# The demo: build a busybox image from Debian's busybox-static, load it into a
# private tspod storage, list it, save it again and show that the digests agree.
set -euo pipefail
cd "$(dirname "$0")/.."
work=${TSPOD_DEMO_DIR:-/tmp/tspod-demo}
mkdir -p "$work"
tspod=(./bin/tspod --root "$work/root" --runroot "$work/run")
node --import tsx test/fixtures/images.ts "$work/fixtures" >/dev/null
echo "+ tspod load -i busybox.oci.tar"
"${tspod[@]}" load -i "$work/fixtures/busybox/oci-archive.tar"
echo "+ tspod images"
"${tspod[@]}" images
echo "+ tspod save --format oci-archive -o busybox-saved.tar localhost/tspod-test/busybox"
rm -f "$work/busybox-saved.tar"
"${tspod[@]}" save --format oci-archive -o "$work/busybox-saved.tar" localhost/tspod-test/busybox
echo "+ skopeo inspect oci-archive:busybox-saved.tar (layers)"
skopeo inspect --raw "oci-archive:$work/busybox-saved.tar" | node -e 'const m=JSON.parse(require("fs").readFileSync(0,"utf8")); console.log(m.layers.map(l=>l.digest).join("\n"))'
echo "+ tspod image inspect --format '{{.Id}} {{.RootFS.Layers}}' localhost/tspod-test/busybox"
"${tspod[@]}" image inspect --format '{{.Id}} {{.RootFS.Layers}}' localhost/tspod-test/busybox
