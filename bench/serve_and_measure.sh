#!/usr/bin/env bash
# Starts the release server on an existing database, measures the time until /readyz answers
# and the idle RSS, runs the search latency benchmark, and prints the RSS after it.
# Usage: bench/serve_and_measure.sh DATABASE_URL ACCOUNTS [REQUESTS_PER_KIND]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
db="$1"; accounts="$2"; per_kind="${3:-500}"
port=18080
bin="$root/target/release/abonent"
start=$(date +%s%N)
ABONENT_LOG=warn "$bin" --database-url "$db" serve --demo --listen "127.0.0.1:$port" >/tmp/abonent-bench-serve.log 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do
  kill -0 $pid 2>/dev/null || { cat /tmp/abonent-bench-serve.log; exit 1; }
  sleep 0.01
done
ready=$(date +%s%N)
echo "start-up to /readyz: $(( (ready - start) / 1000000 )) ms"
sleep 5
echo "idle RSS after start: $(grep VmRSS /proc/$pid/status | awk '{print $2/1024 " MiB"}')"
"$root/target/release/search-latency" "http://127.0.0.1:$port" "$accounts" "$per_kind"
echo "RSS after the search benchmark: $(grep VmRSS /proc/$pid/status | awk '{print $2/1024 " MiB"}')"
sleep 5
echo "idle RSS after the benchmark: $(grep VmRSS /proc/$pid/status | awk '{print $2/1024 " MiB"}')"
