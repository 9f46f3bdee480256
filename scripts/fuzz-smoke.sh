#!/usr/bin/env bash
# Runs every fuzz target briefly on a copy of its seed corpus, all in parallel (DESIGN.md §7).
# Usage: scripts/fuzz-smoke.sh BUILD_DIR SECONDS
# BUILD_DIR is a build configured with -DBULWARK_FUZZ=ON; the targets live in BUILD_DIR/fuzz.
# The checked-in corpus is never written to; crash inputs land in BUILD_DIR/fuzz/artifacts.
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 BUILD_DIR SECONDS" >&2
  exit 2
fi
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$(cd "$1" && pwd)
seconds=$2
targets=(request_parser response_parser query_string path_normalizer dns_answer control_command
  sticky_cookie client_identity fastcgi_response h2_server proxy_protocol client_hello
  accept_encoding grpc_web cache_control)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
artifacts="$build/fuzz/artifacts"
mkdir -p "$artifacts"

pids=()
for target in "${targets[@]}"; do
  binary="$build/fuzz/${target}_fuzz"
  if [[ ! -x "$binary" ]]; then
    echo "$target: missing $binary (build the fuzz_targets target first)" >&2
    exit 1
  fi
  mkdir -p "$work/$target"
  cp "$root/fuzz/corpus/$target/"* "$work/$target/"
  # A target's own dictionary when it has one, else the HTTP/1.1 tokens.
  dict="$root/fuzz/$target.dict"
  [[ -f "$dict" ]] || dict="$root/fuzz/http1.dict"
  # -timeout catches inputs that hang; the fresh corpus copy takes what the run discovers.
  "$binary" -max_total_time="$seconds" -timeout=10 -dict="$dict" \
    -artifact_prefix="$artifacts/${target}-" -print_final_stats=1 \
    "$work/$target" >"$work/$target.log" 2>&1 &
  pids+=($!)
done

failed=0
for i in "${!targets[@]}"; do
  target=${targets[$i]}
  log="$work/$target.log"
  if wait "${pids[$i]}"; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*' || echo "?")
    corpus=$(find "$work/$target" -type f | wc -l)
    echo "$target: ok ($runs runs in ${seconds}s, coverage $cov, corpus $corpus)"
  else
    failed=1
    echo "$target: FAILED (crash inputs in $artifacts); last lines of its log:"
    tail -n 40 "$log" | sed "s/^/  $target| /"
  fi
done
exit "$failed"
