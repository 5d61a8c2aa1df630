#!/usr/bin/env bash
# Starts and stops the real Chroma 1.0.19 server on a free loopback port.
#   scripts/chroma-server.sh start PERSIST_DIR   -> prints "PORT PID" once the server answers
#   scripts/chroma-server.sh stop PID            -> stops it (SIGTERM, then SIGKILL)
# The log goes to PERSIST_DIR.server.log. Needs scripts/install-engines.sh first.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cmd="${1:-}"
case "$cmd" in
  start)
    dir="${2:?usage: chroma-server.sh start PERSIST_DIR}"
    [ -d "$ROOT/.engines/node_modules/chromadb-js-bindings-linux-x64-gnu" ] ||
      { echo "chroma-server: engine not installed; run scripts/install-engines.sh" >&2; exit 3; }
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    log="$dir.server.log"
    for attempt in 1 2 3; do
      port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
      setsid node "$ROOT/scripts/engines/chroma_server.js" "$dir" "$port" >"$log" 2>&1 < /dev/null &
      pid=$!
      for _ in $(seq 1 300); do
        if curl -fsS -m 1 "http://127.0.0.1:$port/api/v2/heartbeat" >/dev/null 2>&1; then
          echo "$port $pid"
          exit 0
        fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
      kill -9 "$pid" 2>/dev/null || true
    done
    echo "chroma-server: the server did not start on $dir; last log lines:" >&2
    tail -n 20 "$log" >&2 || true
    exit 1
    ;;
  stop)
    pid="${2:?usage: chroma-server.sh stop PID}"
    kill "$pid" 2>/dev/null || exit 0
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    ;;
  *)
    echo "usage: chroma-server.sh start PERSIST_DIR | stop PID" >&2
    exit 2
    ;;
esac
