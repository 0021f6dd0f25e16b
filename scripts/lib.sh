# Shared helpers for scripts/run, scripts/test and scripts/bench. Source it; do not run it.
# Every background process started through `start_bg` is stopped by `stop_all`,
# which the scripts install as an EXIT/INT/TERM trap.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$HOME/.cargo/bin:$ROOT/node_modules/.bin:$PATH"
# Compiled artefacts live outside the clone, so a second clone (or CI on a machine
# that built before) does not compile every dependency again.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/oxcart/target}"
# cargo-leptos bakes this into the build; set it for plain cargo too, or cargo would
# rebuild the Leptos crates with a different value.
export LEPTOS_OUTPUT_NAME=oxcart
SECANTUSD="$ROOT/.tools/secantusdb/bin/secantusd-py"
MAILDEV="$ROOT/node_modules/.bin/maildev"

STARTED_PIDS=()

log() { printf '\033[1;32m[oxcart]\033[0m %s\n' "$*"; }
warn() { printf '\033[1;33m[oxcart]\033[0m %s\n' "$*" >&2; }

# Prints a free TCP port on 127.0.0.1.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_port PORT SECONDS NAME: waits until something listens on 127.0.0.1:PORT.
wait_port() {
  local port=$1 secs=$2 name=$3 i
  for ((i = 0; i < secs * 10; i++)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  warn "$name did not start listening on port $port within ${secs}s"
  return 1
}

# wait_http URL SECONDS NAME: waits until URL answers 2xx.
wait_http() {
  local url=$1 secs=$2 name=$3 i
  for ((i = 0; i < secs * 5; i++)); do
    if curl -fsS -o /dev/null "$url" 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  warn "$name did not answer at $url within ${secs}s"
  return 1
}

# start_bg LOGFILE CMD...: starts CMD in its own process group, remembers it.
start_bg() {
  local logfile=$1; shift
  setsid "$@" >"$logfile" 2>&1 &
  STARTED_PIDS+=($!)
  LAST_PID=$!
}

stop_all() {
  local pid
  for pid in "${STARTED_PIDS[@]}"; do
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${STARTED_PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
  STARTED_PIDS=()
}

# start_database PORT DATADIR LOGFILE: the local MongoDB-compatible server.
start_database() {
  local port=$1 data=$2 logfile=$3
  mkdir -p "$data"
  start_bg "$logfile" "$SECANTUSD" --host 127.0.0.1 --port "$port" --storage-path "$data"
  wait_port "$port" 30 "SecantusDB" || { tail -20 "$logfile" >&2; return 1; }
}

# local_database_uri PORT: the connection string for the local server.
# retryWrites=false: SecantusDB 0.7 keeps a record of every retryable write for
# 30 minutes and, past 10 000 records, sorts them all on every write, so a long
# test run or benchmark slowed four-fold after its first ten thousand writes.
# Nothing on loopback needs the driver's one automatic retry; MongoDB and Atlas
# connection strings given by MONGODB_URI are used as they are.
local_database_uri() {
  echo "mongodb://127.0.0.1:$1/?retryWrites=false"
}

# start_maildev SMTP_PORT WEB_PORT LOGFILE: the local mail sink with a web inbox.
start_maildev() {
  local smtp=$1 web=$2 logfile=$3
  start_bg "$logfile" "$MAILDEV" \
    --ip 127.0.0.1 --smtp "$smtp" --web-ip 127.0.0.1 --web "$web" --silent
  wait_http "http://127.0.0.1:$web/api/healthz" 30 "maildev" || { tail -20 "$logfile" >&2; return 1; }
}

# Everything a build is made from (a change to any of these means rebuilding).
BUILD_INPUTS=(src style public assets crates Cargo.toml Cargo.lock build.rs)

# up_to_date STAMP OUTPUT...: true when STAMP and every OUTPUT exist and no build
# input changed since STAMP was written (a finished build writes it).
up_to_date() {
  local stamp=$1; shift
  [ "${OXCART_FORCE_BUILD:-0}" = 1 ] && return 1
  [ -f "$stamp" ] || return 1
  local f
  for f in "$@"; do [ -e "$f" ] || return 1; done
  local inputs=() i
  for i in "${BUILD_INPUTS[@]}"; do [ -e "$ROOT/$i" ] && inputs+=("$ROOT/$i"); done
  [ -z "$(find "${inputs[@]}" -newer "$stamp" -not -path '*/node_modules/*' -print -quit 2>/dev/null)" ]
}

# stamped STAMP COMMAND...: runs COMMAND and, if it succeeds, records that the
# build inputs as they were when it started are built (files changed while it ran
# stay newer than the stamp).
stamped() {
  local stamp=$1; shift
  mkdir -p "$(dirname "$stamp")"
  touch "$stamp.new"
  "$@" && mv "$stamp.new" "$stamp"
}

# The release server's path, and the hashed bundle file names (cargo-leptos's hash.txt).
release_bin() { echo "$CARGO_TARGET_DIR/release/oxcart"; }
release_hash_file() { echo "$CARGO_TARGET_DIR/release/hash.txt"; }
# release_asset EXT: the bundle file with that extension (wasm, js or css), hashed name.
release_asset() {
  local hash
  hash=$(awk -F': ' -v ext="$1" '$1 == ext {print $2}' "$(release_hash_file)" 2>/dev/null)
  echo "$ROOT/target/site/pkg/oxcart${hash:+.$hash}.$1"
}

# build_release: the release server and WASM bundle (cargo-leptos, content-hashed
# file names), then brotli and gzip copies of the bundle. Skipped when nothing it
# is built from changed since the last one (OXCART_FORCE_BUILD=1 forces it).
build_release() {
  local stamp="$CARGO_TARGET_DIR/release/.oxcart-release-stamp"
  if up_to_date "$stamp" "$(release_bin)" "$(release_hash_file)" "$(release_asset wasm)" "$(release_asset wasm).br"; then
    log "release build is up to date (no source changed since it was made)"
    return 0
  fi
  stamped "$stamp" _build_release
}
_build_release() {
  (cd "$ROOT" && cargo leptos build --release) &&
    "$(release_bin)" compress-assets "$ROOT/target/site/pkg"
}

# build_tools BIN...: developer tools from the workspace (the local Stripe, the load
# generator). Built together with the shop's package so features unify the same
# way as in the test build, which therefore shares every compiled dependency.
build_tools() {
  local args=() outputs=()
  local b
  for b in "$@"; do args+=(--bin "$b"); outputs+=("$CARGO_TARGET_DIR/release/$b"); done
  local stamp="$CARGO_TARGET_DIR/release/.oxcart-tools-stamp-$(echo "$@" | tr ' ' '-')"
  if up_to_date "$stamp" "${outputs[@]}"; then
    return 0
  fi
  stamped "$stamp" _build_tools "${args[@]}"
}
_build_tools() {
  (cd "$ROOT" && cargo build --release -p oxcart -p oxcart-stripe-local -p oxcart-bench \
    --no-default-features --features oxcart/ssr "$@")
}
