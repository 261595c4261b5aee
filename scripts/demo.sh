#!/usr/bin/env bash
# The demo: build a busybox image from Debian's busybox-static, load it into a
# private tspod storage, list and inspect it, save it again and let skopeo read
# it, then run containers from it: one in the foreground, a web server published
# on 127.0.0.1:18080, two on a user network that find each other by name, and a
# pod whose containers talk over localhost.
set -euo pipefail
cd "$(dirname "$0")/.."
work=${TSPOD_DEMO_DIR:-/var/tmp/tspod-demo}
mkdir -p "$work"
tspod=(./bin/tspod --root "$work/root" --runroot "$work/run" --network-config-dir "$work/networks")
archive=$(node --import tsx test/fixtures/images.ts "$work/fixtures" | node -e 'console.log(JSON.parse(require("fs").readFileSync(0, "utf8")).busybox.ociArchive)')
run() { echo "+ tspod $*"; "${tspod[@]}" "$@"; }
run load -i "$archive"
run tag localhost/tspod-test/busybox localhost/busybox
run images
run image inspect --format '{{.Id}} {{.Architecture}} {{.RootFS.Layers}}' localhost/tspod-test/busybox
run image tree localhost/tspod-test/busybox
rm -f "$work/busybox-saved.tar"
run save --format oci-archive -o "$work/busybox-saved.tar" localhost/tspod-test/busybox
echo "+ skopeo inspect --config oci-archive:$work/busybox-saved.tar (diff ids)"
skopeo inspect --config "oci-archive:$work/busybox-saved.tar" | node -e 'console.log(JSON.parse(require("fs").readFileSync(0, "utf8")).rootfs.diff_ids.join("\n"))'
run pod rm -fa -t 0 >/dev/null
run rm -fa -t 0 >/dev/null
run run --rm localhost/busybox echo hello from a container
run run -d --name web -p 127.0.0.1:18080:80 localhost/busybox httpd -f -p 80 -h /etc
run ps
run port web
run exec web sh -c 'wget -q -O - http://127.0.0.1:80/hostname'
echo "+ fetch http://127.0.0.1:18080/hostname (from the host, through the published port)"
node -e 'const get = (n) => fetch("http://127.0.0.1:18080/hostname").then((r) => r.text()).then((t) => process.stdout.write(t), (e) => (n > 0 ? setTimeout(() => get(n - 1), 100) : Promise.reject(e))); get(50)'
run network create --ignore demo-net
run run -d --name named-web --network demo-net localhost/busybox httpd -f -p 80 -h /etc
run run --rm --network demo-net localhost/busybox sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do wget -q -O - http://named-web/hostname && exit 0; sleep 0.2; done; exit 1'
run rm -f -t 0 named-web
run pod create --name demo-pod -p 127.0.0.1:18081:80
run run -d --pod demo-pod --name pod-web localhost/busybox httpd -f -p 80 -h /etc
run run --rm --pod demo-pod localhost/busybox sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do wget -q -O - http://localhost:80/hostname && exit 0; sleep 0.2; done; exit 1'
run pod ps --ctr-names
run pod rm -f -t 0 demo-pod
run logs web
run stop -t 1 web 2>/dev/null
run ps -a
run rm web
run volume rm -f demo-data >/dev/null 2>&1 || true
run run --rm -v demo-data:/data localhost/busybox sh -c 'echo kept in a volume > /data/note'
run run --rm -v demo-data:/data localhost/busybox cat /data/note
run volume rm demo-data
mkdir -p "$work/build-ctx"
printf 'hello from a built image\n' > "$work/build-ctx/greeting.txt"
printf 'FROM localhost/busybox\nCOPY greeting.txt /srv/\nRUN wc -c < /srv/greeting.txt > /srv/size\nCMD ["cat", "/srv/greeting.txt", "/srv/size"]\n' > "$work/build-ctx/Containerfile"
run build -t localhost/demo-built "$work/build-ctx"
run run --rm localhost/demo-built
run system df
echo "Demo done. Storage is in $work (tspod --root $work/root --runroot $work/run ...)."
