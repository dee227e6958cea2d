#!/usr/bin/env bash
# Load test of `lvprune serve` on the bundled toy model: a benchmark, not a CI test.
#
# For each server setting (--max-batch 1 against batching) and each request mix (no pruning, LVPruning at
# rho 0.5, and a mix of none / lvpruning 0.5 and 0.7 / random 0.5 / fastv 0.3), CLIENTS concurrent clients
# send REQUESTS streaming requests each about ShapesVQA scenes (MAX_TOKENS tokens each, ignore_eos), and the
# client (scripts/load-test/LoadClient.cs) reports requests/s, generated tokens/s and p50/p95/p99 time to first
# token. Every answer is checked against the same request asked alone first; a wrong or lost answer fails the run.
# Only the loopback server it starts is contacted.
#
#   scripts/load-test.sh                       # 8 clients x 12 requests, 16 tokens; results in work/load/
#   CLIENTS=16 REQUESTS=20 BATCH=16 scripts/load-test.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CLIENTS=${CLIENTS:-8}
REQUESTS=${REQUESTS:-12}
MAX_TOKENS=${MAX_TOKENS:-16}
BATCH=${BATCH:-8}
OUT=${OUT:-$root/work/load}
mkdir -p "$OUT"

"$root/lvprune" toy-data --out "$OUT/data" --count 48 --seed 4242 --objects 1-6 --questions-per-image 1 >/dev/null
dotnet build "$root/src/LVPrune.Cli" -c Release -nologo -v quiet -clp:NoSummary >&2
cli="$root/src/LVPrune.Cli/bin/Release/net10.0/LVPrune.Cli.dll"
results="$OUT/results.jsonl"
: > "$results"

server_pid=""
stop_server() { if [ -n "$server_pid" ]; then kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; server_pid=""; fi; }
trap stop_server EXIT

for batch in 1 "$BATCH"; do
  for mix in none lvpruning mixed; do
    log="$OUT/server-b$batch-$mix"
    dotnet "$cli" serve --port 0 --max-batch "$batch" --max-queue 512 > "$log.out" 2> "$log.err" &
    server_pid=$!
    url=""
    for _ in $(seq 1 300); do
      url=$(sed -n 's/^listening on //p' "$log.out")
      [ -n "$url" ] && break
      kill -0 "$server_pid" 2>/dev/null || { cat "$log.err" >&2; exit 1; }
      sleep 0.1
    done
    [ -n "$url" ] || { echo "the server did not start" >&2; exit 1; }
    echo "max-batch $batch, $mix: $CLIENTS clients x $REQUESTS requests" >&2
    dotnet run --file "$root/scripts/load-test/LoadClient.cs" -- --url "$url" --data "$OUT/data/data.json" --clients "$CLIENTS" \
      --requests "$REQUESTS" --mix "$mix" --max-tokens "$MAX_TOKENS" --label "max-batch $batch" | tee -a "$results"
    stop_server
  done
done

echo
echo "| server | requests asked | req/s | tokens/s | TTFT p50 | p95 | p99 | correct | wrong | 429 |"
echo "|---|---|---|---|---|---|---|---|---|---|"
python3 - "$results" <<'PY' 2>/dev/null || cat "$results"
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    print(f"| {r['label']} | {r['mix']} | {r['requests_per_s']} | {r['tokens_per_s']} | {r['ttft_ms_p50']} ms | {r['ttft_ms_p95']} ms | {r['ttft_ms_p99']} ms | {r['correct']} | {r['wrong']} | {r['refused_429']} |")
PY
