#!/usr/bin/env bash
# bulwark vs nginx vs HAProxy (and h2o for HTTP/2), one worker each, proxying to one nginx origin,
# wrk and h2load on loopback. See bench/README.md. Usage:
#   bench/run.sh BULWARK_BINARY|none [--duration S] [--rounds N] [--only a,b,c,d,e,f,g,h,i,idle]
#                [--idle-conns N] [--strict] [--keep-tmp]
# Environment: BENCH_PROXIES (default bulwark,nginx,haproxy,h2o), BULWARK_ARGS (extra bulwark
# arguments), BENCH_PIN=0 (no CPU pinning), BENCH_PROXY_CPU (0), BENCH_CLIENT_CPU (1).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY=/usr/bin/python3

usage() {
  sed -n '2,7p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

log() { printf '[bench] %s\n' "$*" >&2; }
die() {
  printf '[bench] error: %s\n' "$*" >&2
  exit 1
}

# ----------------------------------------------------------------------------- arguments
bulwark_bin=""
duration=10
rounds=3
only="a,b,c,d,e,f,g,h,i,idle"
idle_conns=10000
strict=0
keep_tmp=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --duration) duration=${2:?}; shift 2 ;;
    --duration=*) duration=${1#*=}; shift ;;
    --rounds) rounds=${2:?}; shift 2 ;;
    --rounds=*) rounds=${1#*=}; shift ;;
    --only) only=${2:?}; shift 2 ;;
    --only=*) only=${1#*=}; shift ;;
    --idle-conns) idle_conns=${2:?}; shift 2 ;;
    --idle-conns=*) idle_conns=${1#*=}; shift ;;
    --strict) strict=1; shift ;;
    --keep-tmp) keep_tmp=1; shift ;;
    -h | --help) usage ;;
    -*) die "unknown option $1" ;;
    *)
      [[ -z "$bulwark_bin" ]] || die "unexpected argument $1"
      bulwark_bin=$1
      shift
      ;;
  esac
done
[[ -n "$bulwark_bin" ]] || usage
[[ "$duration" =~ ^[1-9][0-9]*$ ]] || die "--duration must be a whole number of seconds"
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || die "--rounds must be a positive integer"
[[ "$idle_conns" =~ ^[0-9]+$ ]] || die "--idle-conns must be a number"

scenarios=()
do_idle=0
IFS=',' read -ra only_items <<<"$only"
for item in "${only_items[@]}"; do
  case "$item" in
    a | b | c | d | e | f | g | h | i) scenarios+=("$item") ;;
    idle) do_idle=1 ;;
    *) die "--only takes a comma-separated subset of a,b,c,d,e,f,g,h,i,idle (got '$item')" ;;
  esac
done
[[ "$idle_conns" -gt 0 ]] || do_idle=0
has_scenario() { [[ " ${scenarios[*]} " == *" $1 "* ]]; }
# a, b, c and idle run against each proxy's plain instance; d, e and f against a second instance
# that terminates TLS (see instance_of). Each is started only when something runs against it.
do_plain=$do_idle
has_scenario a || has_scenario b || has_scenario c && do_plain=1
do_tls=0
has_scenario d || has_scenario e || has_scenario f && do_tls=1
# g, h and i (compression) run against a third instance, "PROXY-gz", that compresses responses.
do_gz=0
has_scenario g || has_scenario h || has_scenario i && do_gz=1

IFS=',' read -ra listed <<<"${BENCH_PROXIES:-bulwark,nginx,haproxy,h2o}"
proxies=()
for p in "${listed[@]}"; do
  case "$p" in
    bulwark)
      [[ "$bulwark_bin" != none ]] || continue
      [[ -x "$bulwark_bin" ]] || die "bulwark binary '$bulwark_bin' is not executable (pass 'none' or set BENCH_PROXIES=nginx,haproxy to skip it)"
      bulwark_bin=$(realpath "$bulwark_bin")
      ;;
    nginx | haproxy) ;;
    h2o)
      # h2o is a peer for HTTP/2 only: it is measured in f and nowhere else.
      has_scenario f || continue
      command -v h2o >/dev/null || { log "h2o is not installed: scenario f runs without it"; continue; }
      ;;
    *) die "unknown proxy '$p' in BENCH_PROXIES (bulwark, nginx, haproxy, h2o)" ;;
  esac
  proxies+=("$p")
done
[[ ${#proxies[@]} -gt 0 ]] || die "no proxy to measure"
runs_in() { # SCENARIO PROXY: whether PROXY is measured in it
  case "$1" in
    g) [[ "$2" == bulwark || "$2" == nginx ]] ;; # gzip level 6: bulwark against nginx
    h | i) [[ "$2" == bulwark ]] ;;              # brotli and zstd: nginx has neither built in
    *) [[ "$2" != h2o || "$1" == f ]] ;;
  esac
}
bulwark_args=()
read -ra bulwark_args <<<"${BULWARK_ARGS:-}"

for tool in nginx haproxy wrk curl taskset pgrep getconf "$PY"; do
  command -v "$tool" >/dev/null || die "$tool is missing (make deps installs it)"
done
[[ $do_tls -eq 0 ]] || command -v openssl >/dev/null || die "openssl is missing (make deps installs it)"
has_scenario f && { command -v h2load >/dev/null || die "h2load is missing (make deps installs nghttp2-client)"; }

# ----------------------------------------------------------------------------- limits, pinning
# 10,000 idle connections need more than the usual 1024 descriptors, in the proxies and the client.
ulimit -Hn 65536 2>/dev/null || true
nofile=$(ulimit -Hn)
[[ "$nofile" == unlimited || "$nofile" -gt 65536 ]] && nofile=65536
ulimit -Sn "$nofile"
if [[ $do_idle -eq 1 && $((idle_conns + 512)) -gt $nofile ]]; then
  log "open-file limit is $nofile: idle test lowered from $idle_conns to $((nofile - 512)) connections"
  idle_conns=$((nofile - 512))
fi

# Two cores: the proxy under test gets CPU 0 to itself; the origin and wrk share CPU 1. All three
# proxies are measured under the same arrangement, so CPU/request is compared like for like.
proxy_cpu=${BENCH_PROXY_CPU:-0}
client_cpu=${BENCH_CLIENT_CPU:-1}
pin_proxy=()
pin_client=()
if [[ "${BENCH_PIN:-1}" != 0 ]]; then
  if taskset -c "$proxy_cpu" true 2>/dev/null && taskset -c "$client_cpu" true 2>/dev/null && [[ "$proxy_cpu" != "$client_cpu" ]]; then
    pin_proxy=(taskset -c "$proxy_cpu")
    pin_client=(taskset -c "$client_cpu")
    pinning="proxy on CPU $proxy_cpu; origin and wrk on CPU $client_cpu"
  else
    log "cannot pin to CPUs $proxy_cpu and $client_cpu: running unpinned"
    pinning="none (CPUs $proxy_cpu/$client_cpu not available)"
  fi
else
  pinning="none (BENCH_PIN=0)"
fi

clk_tck=$(getconf CLK_TCK)

# ----------------------------------------------------------------------------- process handling
TMP=$(mktemp -d "${TMPDIR:-/tmp}/bulwark-bench.XXXXXX")
chmod 755 "$TMP" # nginx workers run as nobody and read the origin's files from here
declare -A PID=() PORT=()
idle_pid=""

tree_pids() { # PID: the process and all its descendants
  local child
  [[ -d "/proc/$1" ]] || return 0
  echo "$1"
  for child in $(pgrep -P "$1" || true); do tree_pids "$child"; done
}

# shellcheck disable=SC2317 # invoked by the EXIT trap
cleanup() {
  local rc=$? name pid pids=() i
  set +e
  trap - EXIT INT TERM
  [[ -n "$idle_pid" ]] && kill -TERM "$idle_pid" 2>/dev/null
  for name in "${!PID[@]}"; do
    mapfile -t -O "${#pids[@]}" pids < <(tree_pids "${PID[$name]}")
    kill -TERM "${PID[$name]}" 2>/dev/null
  done
  for ((i = 0; i < 50; i++)); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [[ $alive -eq 0 ]] && break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null; done
  wait 2>/dev/null
  if [[ $keep_tmp -eq 1 || $rc -ne 0 && $rc -ne 3 ]]; then
    log "work files kept in $TMP"
  else
    rm -rf "$TMP"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cpu_ticks() { # ROOT_PID: utime+stime of the whole process tree, in clock ticks
  local total=0 pid stat rest f=()
  for pid in $(tree_pids "$1"); do
    { stat=$(<"/proc/$pid/stat"); } 2>/dev/null || continue
    rest=${stat##*) }
    read -ra f <<<"$rest"
    total=$((total + f[11] + f[12])) # fields 14 (utime) and 15 (stime)
  done
  echo "$total"
}

rss_kb() { # ROOT_PID: resident memory of the whole process tree, in KiB
  local total=0 pid key value _unit
  for pid in $(tree_pids "$1"); do
    if [[ -r "/proc/$pid/smaps_rollup" ]]; then
      while read -r key value _unit; do
        [[ "$key" == Rss: ]] && total=$((total + value))
      done <"/proc/$pid/smaps_rollup" 2>/dev/null || true
    else
      while read -r key value _unit; do
        [[ "$key" == VmRSS: ]] && total=$((total + value))
      done <"/proc/$pid/status" 2>/dev/null || true
    fi
  done
  echo "$total"
}

free_ports() { # N: N distinct free loopback ports outside the ephemeral range
  "$PY" - "$1" <<'EOF'
import random, socket, sys
lo, hi = (int(x) for x in open("/proc/sys/net/ipv4/ip_local_port_range").read().split())
want, held, ports = int(sys.argv[1]), [], []
candidates = [p for p in range(10000, 32000) if not lo <= p <= hi] or list(range(1024, 65535))
random.shuffle(candidates)
for port in candidates:
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        s.close()
        continue
    held.append(s)
    ports.append(port)
    if len(ports) == want:
        break
print(" ".join(map(str, ports)))
EOF
}

alive() { kill -0 "${PID[$1]}" 2>/dev/null; }

show_log() { # NAME
  local f
  for f in "$TMP/$1"/*.log; do
    [[ -s "$f" ]] || continue
    log "--- $f (last lines)"
    tail -n 20 "$f" >&2
  done
}

wait_ready() { # NAME URL EXPECTED_BYTES
  local name=$1 url=$2 want=$3 got i
  for ((i = 0; i < 100; i++)); do
    alive "$name" || { show_log "$name"; die "$name exited during start-up"; }
    got=$(curl -sk -o /dev/null -w '%{http_code} %{size_download}' --max-time 2 "$url" 2>/dev/null) || true
    [[ "$got" == "200 $want" ]] && return 0
    sleep 0.1
  done
  show_log "$name"
  die "$name did not answer $url with 200 and $want bytes (last: '${got:-nothing}')"
}

# ----------------------------------------------------------------------------- configs
nginx_common() { # DIR: the parts of an nginx config that keep it inside DIR
  cat <<EOF
pid $1/nginx.pid;
error_log $1/error.log warn;
EOF
}
nginx_http_common() { # DIR
  cat <<EOF
    access_log off;
    server_tokens off;
    client_body_temp_path $1/tmp/body;
    proxy_temp_path $1/tmp/proxy;
    fastcgi_temp_path $1/tmp/fastcgi;
    uwsgi_temp_path $1/tmp/uwsgi;
    scgi_temp_path $1/tmp/scgi;
    keepalive_requests 1000000;
    keepalive_timeout 300s;
EOF
}

write_origin() {
  local d=$TMP/origin
  mkdir -p "$d/tmp" "$d/www"
  head -c 1024 /dev/zero | tr '\0' 'a' >"$d/www/1k"
  head -c 102400 /dev/zero | tr '\0' 'b' >"$d/www/100k"
  # g, h, i: a 100 KiB page that compresses as real ones do, not a run of one letter.
  "$PY" - "$d/www/page.html" <<'EOF'
import random, sys
rng = random.Random(8)
rows = ['<!doctype html><html><head><title>catalogue</title></head><body><table>\n']
while sum(map(len, rows)) < 102400:
    rows.append(f'<tr class="item"><td>{rng.randrange(10**6)}</td><td><a href="/p/{rng.randrange(10**4)}">'
                f'{rng.choice(["red", "green", "blue", "black"])} widget</a></td><td>{rng.random():.2f}</td></tr>\n')
open(sys.argv[1], "w").write("".join(rows)[:102400])
EOF
  chmod -R a+rX "$d/www"
  {
    echo "worker_processes 1;"
    nginx_common "$d"
    cat <<EOF
events {
    worker_connections 20000;
}
http {
$(nginx_http_common "$d")
    default_type application/octet-stream;
    types { text/html html; }
    sendfile on;
    tcp_nopush on;
    open_file_cache max=16 inactive=300s;
    open_file_cache_valid 300s;
    server {
        listen 127.0.0.1:${PORT[origin]} backlog=4096;
        root $d/www;
    }
}
EOF
  } >"$d/nginx.conf"
}

# TLS on the d/e/f instances, the same on every server: TLS 1.3 negotiated (nginx and HAProxy also
# accept 1.2; bulwark's quick mode uses its modern profile, 1.3 only), bulwark's TLS 1.3 suites
# and groups in its order with the server's preference, one ECDSA P-256 certificate, and no
# resumption (no session cache, no tickets), so every connection is a full handshake.
TLS_SUITES=TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256
TLS_GROUPS=X25519:prime256v1:secp384r1

write_cert() { # a self-signed ECDSA P-256 certificate for 127.0.0.1, once per run
  local d=$TMP/tls
  mkdir -p "$d"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$d/key.pem" -out "$d/cert.pem" >"$d/openssl.log" 2>&1 ||
    { cat "$d/openssl.log" >&2; die "openssl could not make the certificate"; }
  cat "$d/cert.pem" "$d/key.pem" >"$d/combined.pem" # HAProxy's crt: certificate and key in one
  chmod -R a+rX "$d"
}

write_nginx() { # INSTANCE: nginx, nginx-tls (TLS listener for d, e and f) or nginx-gz (g)
  local name=$1 d=$TMP/$1 listen tls="" gzip=""
  listen="listen 127.0.0.1:${PORT[$name]} backlog=4096;"
  if [[ "$name" == *-tls ]]; then
    # http2: h2 for clients that ask for it by ALPN (f); wrk (d, e) offers no ALPN and gets HTTP/1.1.
    listen="listen 127.0.0.1:${PORT[$name]} ssl http2 backlog=4096;"
    tls="
        ssl_certificate $TMP/tls/cert.pem;
        ssl_certificate_key $TMP/tls/key.pem;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_conf_command Ciphersuites $TLS_SUITES;
        ssl_prefer_server_ciphers on;
        ssl_ecdh_curve $TLS_GROUPS;
        ssl_buffer_size 16k;
        ssl_session_cache off;
        ssl_session_tickets off;"
  fi
  # What bulwark's --compress does for gzip: level 6, text/html and the like, from 1 KiB,
  # proxied responses too, Vary: Accept-Encoding.
  [[ "$name" == *-gz ]] && gzip="
        gzip on;
        gzip_comp_level 6;
        gzip_min_length 1024;
        gzip_proxied any;
        gzip_vary on;
        gzip_types text/plain text/css application/json application/javascript;"
  mkdir -p "$d/tmp"
  {
    echo "worker_processes 1;"
    nginx_common "$d"
    cat <<EOF
events {
    worker_connections 20000;
}
http {
$(nginx_http_common "$d")
    upstream origin {
        server 127.0.0.1:${PORT[origin]};
        keepalive 64;
        keepalive_requests 1000000;
        keepalive_timeout 300s;
    }
    server {
        $listen$tls$gzip
        location / {
            proxy_pass http://origin;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            # 16 KiB buffers like HAProxy's tune.bufsize; never spill responses to disk.
            proxy_buffer_size 16k;
            proxy_buffers 4 16k;
            proxy_busy_buffers_size 32k;
            proxy_max_temp_file_size 0;
        }
    }
}
EOF
  } >"$d/nginx.conf"
}

write_haproxy() { # INSTANCE: haproxy, or haproxy-tls (TLS listener for d, e and f)
  local name=$1 d=$TMP/$1 bind global_tls=""
  bind="bind 127.0.0.1:${PORT[$name]}"
  if [[ "$name" == *-tls ]]; then
    # HAProxy prefers the server's cipher order by default. ALPN h2 for f, as nginx's http2.
    bind+=" ssl crt $TMP/tls/combined.pem ssl-min-ver TLSv1.2 ciphersuites $TLS_SUITES curves $TLS_GROUPS no-tls-tickets alpn h2,http/1.1"
    global_tls="
    tune.ssl.cachesize 0"
  fi
  mkdir -p "$d"
  cat >"$d/haproxy.cfg" <<EOF
global
    nbthread 1
    maxconn 20000
    # HAProxy reserves two descriptors per connection (40k here); where the hard open-file
    # limit is lower it would refuse to start. Idle client connections need only one each.
    no strict-limits
    tune.bufsize 16384$global_tls
    # no "log" line: nothing is logged

defaults
    mode http
    option http-keep-alive
    http-reuse always
    maxconn 20000
    timeout connect 5s
    timeout client 300s
    timeout server 300s
    timeout http-request 30s
    timeout http-keep-alive 300s

frontend fe
    $bind
    default_backend origin

backend origin
    server origin 127.0.0.1:${PORT[origin]}
EOF
}

write_h2o() { # h2o-tls: h2o has only a TLS instance, since it is measured only in f
  local d=$TMP/h2o-tls
  mkdir -p "$d"
  # h2o 2.2 cannot set TLS 1.3 suites or groups: OpenSSL's defaults, with the client's preference,
  # which h2load (f) sets to bulwark's order. Upstream keep-alive is h2o's default.
  cat >"$d/h2o.conf" <<EOF
listen:
  host: 127.0.0.1
  port: ${PORT[h2o-tls]}
  ssl:
    certificate-file: $TMP/tls/cert.pem
    key-file: $TMP/tls/key.pem
    min-version: TLSv1.2
    ocsp-update-interval: 0
ssl-session-resumption:
  mode: off
num-threads: 1
max-connections: 20000
error-log: $d/error.log
hosts:
  default:
    paths:
      /:
        proxy.reverse.url: http://127.0.0.1:${PORT[origin]}/
EOF
}

start() { # NAME: starts it in the foreground of a background job, pinned
  local name=$1 d=$TMP/$1 tls_args=()
  mkdir -p "$d"
  [[ "$name" == bulwark-tls ]] &&
    tls_args=(--tls-cert "$TMP/tls/cert.pem" --tls-key "$TMP/tls/key.pem" --tls-resumption off)
  case "$name" in
    origin)
      "${pin_client[@]}" nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log" -g 'daemon off;' >"$d/stdout.log" 2>&1 &
      ;;
    nginx | nginx-tls | nginx-gz)
      "${pin_proxy[@]}" nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log" -g 'daemon off;' >"$d/stdout.log" 2>&1 &
      ;;
    haproxy | haproxy-tls)
      "${pin_proxy[@]}" haproxy -f "$d/haproxy.cfg" -db >"$d/stdout.log" 2>&1 &
      ;;
    h2o-tls)
      "${pin_proxy[@]}" h2o -c "$d/h2o.conf" >"$d/stdout.log" 2>&1 &
      ;;
    bulwark | bulwark-tls | bulwark-gz)
      [[ "$name" == bulwark-gz ]] && tls_args=(--compress) # zstd 3, brotli 5, gzip 6
      "${pin_proxy[@]}" "$bulwark_bin" proxy --listen "127.0.0.1:${PORT[$name]}" \
        --to "http://127.0.0.1:${PORT[origin]}" --workers 1 "${tls_args[@]}" "${bulwark_args[@]}" \
        >"$d/stdout.log" 2>&1 &
      ;;
  esac
  PID[$name]=$!
}

# Scenarios d, e and f run against each proxy's second instance, "PROXY-tls": its own process on
# its own port, terminating TLS, so its CPU is counted on its own and a, b, c and idle measure
# the plain instances exactly as without TLS.
instance_of() { # SCENARIO PROXY
  case "$1" in
    d | e | f) echo "$2-tls" ;;
    g | h | i) echo "$2-gz" ;;
    *) echo "$2" ;;
  esac
}

# A compressing instance must answer the page in each coding it is measured with, decoding to the
# origin's bytes: otherwise g, h or i would measure something else.
compress_check() { # INSTANCE
  local name=$1 coding tool scenario
  for scenario in g h i; do
    has_scenario "$scenario" && runs_in "$scenario" "${name%-gz}" || continue
    coding=$(accept_of "$scenario")
    tool=${coding/br/brotli}
    command -v "$tool" >/dev/null || die "$tool is missing (make deps installs it)"
    curl -s -H "Accept-Encoding: $coding" -D "$TMP/$name/head-$coding" -o "$TMP/$name/page.$coding" \
      "http://127.0.0.1:${PORT[$name]}/page.html" || die "$name: no answer for /page.html"
    grep -qi "^content-encoding: $coding" "$TMP/$name/head-$coding" ||
      die "$name did not compress /page.html with $coding (see $TMP/$name/head-$coding)"
    "$tool" -dc <"$TMP/$name/page.$coding" | cmp -s - "$TMP/origin/www/page.html" ||
      die "$name: /page.html in $coding does not decode to the origin's page"
    log "$name: /page.html in $coding: $(stat -c %s "$TMP/$name/page.$coding") bytes of 102400"
  done
}
accept_of() { # SCENARIO: the coding g, h or i asks for
  case "$1" in
    g) echo gzip ;;
    h) echo br ;;
    i) echo zstd ;;
  esac
}

# ----------------------------------------------------------------------------- start everything
instances=()
for p in "${proxies[@]}"; do
  if [[ $do_plain -eq 1 && "$p" != h2o ]]; then instances+=("$p"); fi
done
if [[ $do_tls -eq 1 ]]; then
  for p in "${proxies[@]}"; do instances+=("$p-tls"); done
fi
if [[ $do_gz -eq 1 ]]; then
  for p in "${proxies[@]}"; do
    if runs_in g "$p" || runs_in h "$p"; then instances+=("$p-gz"); fi
  done
fi
read -ra ports <<<"$(free_ports $((${#instances[@]} + 1)))"
PORT[origin]=${ports[0]}
for i in "${!instances[@]}"; do PORT[${instances[$i]}]=${ports[$((i + 1))]}; done

write_origin
start origin
wait_ready origin "http://127.0.0.1:${PORT[origin]}/1k" 1024
log "origin nginx on 127.0.0.1:${PORT[origin]} (pid ${PID[origin]})"
[[ $do_tls -eq 1 ]] && write_cert
for p in "${instances[@]}"; do
  case "$p" in
    nginx*) write_nginx "$p" ;;
    haproxy*) write_haproxy "$p" ;;
    h2o*) write_h2o ;;
  esac
  start "$p"
  scheme=http
  [[ "$p" == *-tls ]] && scheme=https
  wait_ready "$p" "$scheme://127.0.0.1:${PORT[$p]}/1k" 1024
  wait_ready "$p" "$scheme://127.0.0.1:${PORT[$p]}/100k" 102400
  [[ "$p" == *-gz ]] && compress_check "$p"
  log "$p on $scheme://127.0.0.1:${PORT[$p]} (pid ${PID[$p]})"
done

# ----------------------------------------------------------------------------- TLS check
# Every TLS instance must do a full handshake on every connection: wrk resumes sessions when the
# server lets it. openssl s_client makes one connection (GET /1k, reading the response, so a
# TLS 1.3 ticket that comes after the handshake is read too) and saves its session, then three
# more that each offer it; a server that resumed would print "Reused" for those. (s_client
# -reconnect does not do: with TLS 1.3 it reconnects before any ticket arrives, so it reports
# "New" even against a server that resumes.) The first connection also shows the protocol,
# suite and key-exchange group each server picked, which the report lists.
declare -A TLS_SEEN=()
tls_check() { # INSTANCE
  local name=$1 d=$TMP/$1 req new reused proto suite group k how
  req=$'GET /1k HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'
  printf '%s' "$req" | openssl s_client -connect "127.0.0.1:${PORT[$name]}" -ign_eof \
    -sess_out "$d/session.pem" >"$d/s_client-0.txt" 2>&1 || true
  # "New, (NONE)" is what s_client prints for a failed handshake.
  grep -q '^New, TLS' "$d/s_client-0.txt" || die "$name: no TLS handshake with openssl s_client (see $d/s_client-0.txt)"
  if [[ -s "$d/session.pem" ]]; then
    for k in 1 2 3; do
      printf '%s' "$req" | openssl s_client -connect "127.0.0.1:${PORT[$name]}" -ign_eof \
        -sess_in "$d/session.pem" >"$d/s_client-$k.txt" 2>&1 || true
    done
    new=$(awk '/^New, TLS/ { n++ } END { print n + 0 }' "$d"/s_client-[123].txt)
    reused=$(awk '/^Reused, TLS/ { n++ } END { print n + 0 }' "$d"/s_client-[123].txt)
    [[ "$reused" -eq 0 && "$new" -eq 3 ]] ||
      die "$name: offered a session 3 times, $new full handshakes and $reused resumed (expected 3 and 0; see $d/s_client-*.txt)"
    how="a saved session offered 3 times, not resumed"
  else
    # With TLS 1.3, s_client saves a session only when the server sends a ticket: none came,
    # so a client has nothing to offer (bulwark sends none when resumption is off).
    how="no session ticket issued, so nothing to resume"
  fi
  proto=$(sed -n 's/^New, \([^,]*\), .*/\1/p' "$d/s_client-0.txt" | head -n 1)
  suite=$(sed -n 's/^New, [^,]*, Cipher is //p' "$d/s_client-0.txt" | head -n 1)
  group=$(sed -n 's/^Server Temp Key: \([^,]*\),.*/\1/p' "$d/s_client-0.txt" | head -n 1)
  TLS_SEEN[$name]="$proto $suite ${group:-?}"
  log "$name: $how ($proto, $suite, ${group:-group not shown})"
}
if [[ $do_tls -eq 1 ]]; then
  for p in "${proxies[@]}"; do tls_check "$p-tls"; done
fi

# ----------------------------------------------------------------------------- idle connections
printf 'proxy\tcount\topened\tfailed\tbefore_kb\tafter_kb\tclosed_kb\tstill_open\tclosed\n' >"$TMP/idle.tsv"
idle_test() { # PROXY
  local p=$1 out=$TMP/idle-$1.out before after closed_kb i ready opened failed still_open closed
  before=$(rss_kb "${PID[$p]}")
  : >"$out"
  "${pin_client[@]}" "$PY" -u "$BENCH_DIR/idle_conns.py" --port "${PORT[$p]}" --count "$idle_conns" \
    >"$out" 2>"$TMP/idle-$p.err" &
  idle_pid=$!
  ready=""
  for ((i = 0; i < 3000; i++)); do # up to 5 minutes
    ready=$(grep '^READY' "$out" || true)
    [[ -n "$ready" ]] && break
    kill -0 "$idle_pid" 2>/dev/null || break
    sleep 0.1
  done
  if [[ -z "$ready" ]]; then
    cat "$TMP/idle-$p.err" >&2
    kill -TERM "$idle_pid" 2>/dev/null || true
    wait "$idle_pid" || true
    idle_pid=""
    log "idle test against $p did not complete"
    return 0
  fi
  sleep 2 # let the proxy settle (release per-request buffers) before measuring
  after=$(rss_kb "${PID[$p]}")
  kill -TERM "$idle_pid"
  wait "$idle_pid" || true
  idle_pid=""
  sleep 1
  closed_kb=$(rss_kb "${PID[$p]}")
  opened=$(sed -n 's/.*opened=\([0-9]*\).*/\1/p' "$out")
  failed=$(sed -n 's/^READY.*failed=\([0-9]*\).*/\1/p' "$out")
  still_open=$(sed -n 's/^DONE open=\([0-9]*\).*/\1/p' "$out")
  closed=$(sed -n 's/^DONE.*closed=\([0-9]*\).*/\1/p' "$out")
  [[ -s "$TMP/idle-$p.err" ]] && sed 's/^/[bench]   /' "$TMP/idle-$p.err" >&2
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$p" "$idle_conns" "${opened:-0}" "${failed:-0}" \
    "$before" "$after" "$closed_kb" "${still_open:-0}" "${closed:-0}" >>"$TMP/idle.tsv"
  if [[ "${opened:-0}" -gt 0 ]]; then
    log "idle: $p $opened conns ($ready): RSS $before -> $after KiB = $(((after - before) * 1024 / opened)) B/conn; still open at the end: ${still_open:-?}, closed by server: ${closed:-?}"
  else
    log "idle: $p opened no connection ($ready)"
  fi
}
if [[ $do_idle -eq 1 ]]; then
  for p in "${proxies[@]}"; do
    runs_in idle "$p" || continue
    alive "$p" || { log "$p is not running: idle test skipped"; continue; }
    idle_test "$p"
  done
fi

# ----------------------------------------------------------------------------- wrk/h2load rounds
scenario_args() { # SCENARIO PORT OUT: prints wrk's (h2load's for f) arguments, one per line
  case "$1" in
    a) printf '%s\n' -t1 -c64 "-d${duration}s" --latency "http://127.0.0.1:$2/1k" ;;
    b) printf '%s\n' -t1 -c64 "-d${duration}s" --latency "http://127.0.0.1:$2/100k" ;;
    # "Connection: close": the proxy closes after each response and wrk reconnects.
    c) printf '%s\n' -t1 -c16 "-d${duration}s" --latency -H "Connection: close" "http://127.0.0.1:$2/1k" ;;
    # (c) over TLS: a new connection, so a full handshake (no resumption anywhere), per request.
    d) printf '%s\n' -t1 -c16 "-d${duration}s" --latency -H "Connection: close" "https://127.0.0.1:$2/1k" ;;
    e) printf '%s\n' -t1 -c64 "-d${duration}s" --latency "https://127.0.0.1:$2/1k" ;;
    # HTTP/2 over TLS: 16 connections, up to 10 streams in flight on each. h2load offers bulwark's
    # TLS 1.3 suites in its order, so h2o (which follows the client's order) picks what the others
    # pick. Its log has every request's time, from which report.py takes p50 and p99.
    f) printf '%s\n' -t1 -c16 -m10 -D "$duration" "--tls13-ciphers=$TLS_SUITES" "--log-file=$3.log" \
      "https://127.0.0.1:$2/1k" ;;
    # The 100 KiB page compressed on the fly: gzip 6 (g), brotli 5 (h), zstd 3 (i).
    g | h | i) printf '%s\n' -t1 -c16 "-d${duration}s" --latency -H "Accept-Encoding: $(accept_of "$1")" \
      "http://127.0.0.1:$2/page.html" ;;
  esac
}

printf 'round\tscenario\tproxy\tstatus\trequests\tseconds\trps\tp50_us\tp99_us\tsocket_errors\tnon2xx\tcpu_ticks\tclk_tck\n' >"$TMP/runs.tsv"
mkdir -p "$TMP/wrk"
declare -A H2_SEEN=()
run_one() { # ROUND SCENARIO PROXY
  local r=$1 s=$2 p=$3 out="$TMP/wrk/r$1-$2-$3.txt" args=() t0 t1 status=ok i tool=wrk
  local requests seconds rps p50 p99 serr non2xx alpn="" tls=""
  [[ "$s" == f ]] && tool=h2load
  i=$(instance_of "$s" "$p")
  if ! alive "$i"; then
    log "round $r ($s) $p: not running, skipped"
    printf '%s\t%s\t%s\tdead\t0\t0\t0\t\t\t0\t0\t0\t%s\n' "$r" "$s" "$p" "$clk_tck" >>"$TMP/runs.tsv"
    return 0
  fi
  mapfile -t args < <(scenario_args "$s" "${PORT[$i]}" "$out")
  t0=$(cpu_ticks "${PID[$i]}")
  "${pin_client[@]}" "$tool" "${args[@]}" >"$out" 2>&1 || status=${tool}fail
  t1=$(cpu_ticks "${PID[$i]}")
  alive "$i" || { status=dead; show_log "$i"; }
  if [[ "$tool" == h2load ]]; then
    IFS=$'\t' read -r requests seconds rps p50 p99 serr non2xx alpn tls < <("$PY" "$BENCH_DIR/report.py" h2load "$out" "$out.log")
    [[ $keep_tmp -eq 1 ]] || rm -f "$out.log" # some 10 MB per run
    # A client that fell back to HTTP/1.1 would measure the wrong thing.
    [[ "$alpn" == h2 ]] || status=noth2
    H2_SEEN[$p]="${alpn:-none} $tls"
  else
    IFS=$'\t' read -r requests seconds rps p50 p99 serr non2xx < <("$PY" "$BENCH_DIR/report.py" wrk "$out")
  fi
  [[ "$requests" -gt 0 ]] || status=norequests
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$s" "$p" "$status" "$requests" "$seconds" \
    "$rps" "$p50" "$p99" "$serr" "$non2xx" "$((t1 - t0))" "$clk_tck" >>"$TMP/runs.tsv"
  local cpu="n/a" warn=""
  [[ "$requests" -gt 0 ]] && cpu=$(awk -v t=$((t1 - t0)) -v hz="$clk_tck" -v n="$requests" 'BEGIN { printf "%.2f", t * 1e6 / hz / n }')
  [[ "$serr" != 0 || "$non2xx" != 0 || "$status" != ok ]] && warn="  <-- $status, socket errors $serr, non-2xx $non2xx${alpn:+, protocol $alpn}"
  log "$(printf 'round %s/%s (%s) %-8s %9.0f req/s  p50 %8.0f us  p99 %8.0f us  CPU %7s us/req%s' \
    "$r" "$rounds" "$s" "$p" "$rps" "${p50/nan/0}" "${p99/nan/0}" "$cpu" "$warn")"
}

if [[ ${#scenarios[@]} -gt 0 ]]; then
  # Warm-up: fill every proxy's upstream keep-alive pool and caches before anything counts.
  for p in "${instances[@]}"; do
    scheme=http
    [[ "$p" == *-tls ]] && scheme=https
    "${pin_client[@]}" wrk -t1 -c64 -d1s "$scheme://127.0.0.1:${PORT[$p]}/1k" >/dev/null 2>&1 || true
    if [[ "$p" == *-tls ]] && has_scenario f; then
      "${pin_client[@]}" h2load -t1 -c16 -m10 -D 1 "https://127.0.0.1:${PORT[$p]}/1k" >/dev/null 2>&1 || true
    fi
  done
  # The proxy order rotates from round to round, so no proxy always runs first (or right
  # after the heavy 100 KiB scenario).
  for ((r = 1; r <= rounds; r++)); do
    for s in "${scenarios[@]}"; do
      for ((k = 0; k < ${#proxies[@]}; k++)); do
        p=${proxies[$(((k + r - 1) % ${#proxies[@]}))]}
        if runs_in "$s" "$p"; then run_one "$r" "$s" "$p"; fi
      done
    done
  done
fi

# ----------------------------------------------------------------------------- report
nginx_version=$(nginx -v 2>&1 | sed 's/^nginx version: //')
# awk, not head: head would leave haproxy writing into a closed pipe (SIGPIPE, and pipefail).
haproxy_version=$(haproxy -v 2>/dev/null | awk 'NR == 1 { print $3 }')
wrk_version=$(wrk -v 2>&1 | head -n 1 | awk '{print $2}' || true)
peers="nginx $nginx_version; HAProxy $haproxy_version"
load="wrk $wrk_version"
if has_scenario f; then
  load+=" (h2load $(h2load --version 2>/dev/null | awk 'NR == 1 { print $2 }') for f)"
  [[ " ${proxies[*]} " == *" h2o "* ]] &&
    peers+="; h2o $(h2o --version 2>/dev/null | awk 'NR == 1 { print $3 }') (f only)"
fi
bulwark_version="not measured"
if [[ " ${proxies[*]} " == *" bulwark "* ]]; then
  bulwark_version=$(timeout 5 "$bulwark_bin" --version 2>/dev/null | head -n 1 || true)
  bulwark_version="${bulwark_version:-unknown} ($bulwark_bin)"
fi
commit=$(git -C "$BENCH_DIR/.." rev-parse --short HEAD 2>/dev/null || echo none)
if [[ -n "$(git -C "$BENCH_DIR/.." status --porcelain 2>/dev/null | head -n 1)" ]]; then commit="$commit (dirty tree)"; fi
{
  printf 'date\t%s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
  printf 'machine\t%s, %s CPUs (%s), kernel %s\n' "$(hostname)" "$(nproc)" \
    "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)" "$(uname -r)"
  printf 'commit\t%s\n' "$commit"
  printf 'proxies\tbulwark %s; %s; one worker each, upstream keep-alive to one nginx origin (1 worker)\n' \
    "$bulwark_version" "$peers"
  printf 'load\t%s on loopback, -t1; %s s per run, %s round(s), scenarios and proxies interleaved\n' \
    "$load" "$duration" "$rounds"
  printf 'pinning\t%s\n' "$pinning"
  if [[ $do_tls -eq 1 ]]; then
    seen=""
    for p in "${proxies[@]}"; do seen+="${seen:+; }$p ${TLS_SEEN[$p-tls]:-?}"; done
    tls_scenarios=""
    for s in "${scenarios[@]}"; do if [[ "$s" == [def] ]]; then tls_scenarios+="${tls_scenarios:+, }$s"; fi; done
    printf 'TLS (%s)\tone ECDSA P-256 certificate; each proxy'"'"'s TLS listener is a second instance of it on its own port (its CPU counted on its own), resumption off (no session cache, no tickets); negotiated with openssl s_client: %s\n' "$tls_scenarios" "$seen"
  fi
  if [[ ${#H2_SEEN[@]} -gt 0 ]]; then
    seen=""
    for p in "${proxies[@]}"; do seen+="${seen:+; }$p ${H2_SEEN[$p]:-?}"; done
    printf 'HTTP/2 (f)\th2load -c16 -m10 over TLS, checked to negotiate h2 by ALPN in every run; protocol and TLS it saw (last run): %s\n' "$seen"
  fi
  printf 'CPU per request\tutime+stime of all the proxy'"'"'s processes (/proc/PID/stat, CLK_TCK %s) over the run ÷ requests wrk completed%s\n' "$clk_tck" \
    "$(has_scenario f && echo " (f: requests h2load saw succeed)")"
} >"$TMP/meta.tsv"

mkdir -p "$BENCH_DIR/results"
cp "$TMP/runs.tsv" "$BENCH_DIR/results/latest.tsv"
[[ -s "$TMP/idle.tsv" ]] && cp "$TMP/idle.tsv" "$BENCH_DIR/results/latest-idle.tsv"
rc=0
strict_flag=()
[[ $strict -eq 1 ]] && strict_flag=(--strict)
"$PY" "$BENCH_DIR/report.py" render --runs "$TMP/runs.tsv" --idle "$TMP/idle.tsv" --meta "$TMP/meta.tsv" \
  --out "$BENCH_DIR/results/latest.md" "${strict_flag[@]}" || rc=$?
log "report written to $BENCH_DIR/results/latest.md"
if awk -F'\t' 'NR > 1 && $4 != "ok" { bad = 1 } END { exit !bad }' "$TMP/runs.tsv"; then
  log "some runs failed (a proxy died or wrk failed): see the table and the logs in $TMP"
  [[ $rc -eq 0 ]] && rc=1
fi
exit "$rc"
