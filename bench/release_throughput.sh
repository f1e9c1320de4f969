#!/usr/bin/env bash
# Publish and fetch throughput of the release store against a plain copy of
# the same bytes, on both backends (issue 9 §6):
#   file://  publish = shoal release publish --from DIR   vs  tar cf + cp
#            fetch   = shoal bootstrap (verify + unpack)  vs  cp + tar xf
#   s3://    publish = shoal release publish --from DIR   vs  tar cf + aws s3 cp
#            fetch   = shoal bootstrap                    vs  aws s3 cp + tar xf
# The S3 side runs against moto_server on loopback (this machine has no AWS
# account), so it measures Shoal's client and the protocol, not a network.
#
# Usage: bench/release_throughput.sh [MiB=200] [shoal=build/shoal]
# Needs: moto_server and aws on PATH (the machine image's Python has both).
set -euo pipefail
mib="${1:-200}"
shoal="$(realpath "${2:-build/shoal}")"
work="$(mktemp -d)"
moto_pid=""
cleanup() { [[ -n "$moto_pid" ]] && kill "$moto_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

# A release-shaped folder: many small files (code) and a few large ones
# (assets), mostly incompressible, $mib MiB in all.
src="$work/src"
mkdir -p "$src/lib" "$src/assets"
for i in $(seq 1 400); do head -c 16384 /dev/urandom > "$src/lib/module-$i.py"; done
small_mib=$(( 400 * 16 / 1024 ))
big=$(( (mib - small_mib) / 4 ))
for i in 1 2 3 4; do head -c "$((big * 1024 * 1024))" /dev/urandom > "$src/assets/blob-$i.bin"; done
bytes=$(du -sb "$src" | cut -f1)

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
mibs() { awk -v s="$1" -v n="$bytes" 'BEGIN { printf "%.0f", n / 1048576 / s }'; }
row() {  # backend, operation, shoal seconds, plain seconds
  printf '| %s | %s | %s s (%s MiB/s) | %s s (%s MiB/s) | %s |\n' "$1" "$2" "$3" "$(mibs "$3")" "$4" "$(mibs "$4")" "$(ratio "$3" "$4")"
}
drop() { sync; }

echo "release of $((bytes / 1048576)) MiB in $(find "$src" -type f | wc -l) files"
echo
echo '| backend | operation | shoal | plain copy | ratio |'
echo '|---|---|---|---|---|'

# --- file:// ---
store="$work/store"
drop; t0=$(now)
"$shoal" release publish web --store "file://$store" --from "$src" --git-commit 0000000 >/dev/null 2>&1
t1=$(now); pub=$(elapsed "$t0" "$t1")
drop; t0=$(now)
tar cf "$work/plain.tar" -C "$src" . && cp "$work/plain.tar" "$work/plain-copy.tar"
t1=$(now); plain=$(elapsed "$t0" "$t1")
row file publish "$pub" "$plain"

drop; t0=$(now)
"$shoal" bootstrap --store "file://$store" --service web --version 1 --into "$work/boot-file" >/dev/null 2>&1
t1=$(now); fetch=$(elapsed "$t0" "$t1")
mkdir "$work/plain-file"
drop; t0=$(now)
cp "$work/plain-copy.tar" "$work/plain-fetched.tar" && tar xf "$work/plain-fetched.tar" -C "$work/plain-file"
t1=$(now); plain=$(elapsed "$t0" "$t1")
row file fetch "$fetch" "$plain"
rm -f "$work/plain-copy.tar" "$work/plain-fetched.tar"

# --- s3:// on moto_server ---
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
moto_server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto_pid=$!
export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
       AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
for _ in $(seq 1 100); do curl -sf "$AWS_ENDPOINT_URL" >/dev/null 2>&1 && break; sleep 0.1; done
aws s3 mb s3://bench >/dev/null

drop; t0=$(now)
"$shoal" release publish web --store s3://bench/releases --from "$src" --git-commit 0000000 >/dev/null 2>&1
t1=$(now); pub=$(elapsed "$t0" "$t1")
drop; t0=$(now)
tar cf "$work/plain.tar" -C "$src" . && aws s3 cp --quiet "$work/plain.tar" s3://bench/plain/plain.tar
t1=$(now); plain=$(elapsed "$t0" "$t1")
row s3 publish "$pub" "$plain"

drop; t0=$(now)
"$shoal" bootstrap --store s3://bench/releases --service web --version 1 --into "$work/boot-s3" >/dev/null 2>&1
t1=$(now); fetch=$(elapsed "$t0" "$t1")
mkdir "$work/plain-s3"
drop; t0=$(now)
aws s3 cp --quiet s3://bench/plain/plain.tar "$work/plain-fetched.tar" && tar xf "$work/plain-fetched.tar" -C "$work/plain-s3"
t1=$(now); plain=$(elapsed "$t0" "$t1")
row s3 fetch "$fetch" "$plain"

# What was fetched is what was published.
# The bootstrap adds the RELEASE manifest beside the unpacked files.
diff -r -x RELEASE "$src" "$work/boot-file" && diff -r -x RELEASE "$src" "$work/boot-s3" && printf "\nfetched trees match the source\n"
