#!/usr/bin/env bash
# Starts and stops a private ClickHouse server (Debian's clickhouse-server, 18.16 on Debian 12)
# on free loopback ports, with its own config, users and data under one directory.
#   scripts/clickhouse-server.sh start [DIR]   -> prints "HTTP_PORT TCP_PORT PID" once it answers
#   scripts/clickhouse-server.sh stop PID      -> stops it (SIGTERM, then SIGKILL); a DIR that
#                                                 start created itself is removed
# Without DIR a new temporary directory is used. Users: `default` (no password) and `chroma`
# (password `chroma-test`), both from 127.0.0.1 only. Logs: DIR/log/. Needs
# scripts/install-clickhouse.sh first. Never touches the system service or /var/lib/clickhouse.
set -euo pipefail
MARKER=".private-clickhouse-made-by-clickhouse-server.sh"
cmd="${1:-}"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

write_config() {  # DIR HTTP_PORT TCP_PORT
  local dir="$1" http="$2" tcp="$3"
  cat >"$dir/config.xml" <<EOF
<?xml version="1.0"?>
<yandex>
    <logger>
        <level>warning</level>
        <log>$dir/log/clickhouse-server.log</log>
        <errorlog>$dir/log/clickhouse-server.err.log</errorlog>
        <size>10M</size>
        <count>1</count>
    </logger>
    <http_port>$http</http_port>
    <tcp_port>$tcp</tcp_port>
    <listen_host>127.0.0.1</listen_host>
    <max_connections>64</max_connections>
    <keep_alive_timeout>3</keep_alive_timeout>
    <max_concurrent_queries>16</max_concurrent_queries>
    <uncompressed_cache_size>67108864</uncompressed_cache_size>
    <mark_cache_size>67108864</mark_cache_size>
    <path>$dir/data/</path>
    <tmp_path>$dir/tmp/</tmp_path>
    <user_files_path>$dir/user_files/</user_files_path>
    <format_schema_path>$dir/format_schemas/</format_schema_path>
    <users_config>$dir/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <mlock_executable>false</mlock_executable>
</yandex>
EOF
  cat >"$dir/users.xml" <<'EOF'
<?xml version="1.0"?>
<yandex>
    <profiles>
        <default>
            <max_memory_usage>2000000000</max_memory_usage>
            <use_uncompressed_cache>0</use_uncompressed_cache>
        </default>
    </profiles>
    <users>
        <default>
            <password></password>
            <networks><ip>127.0.0.1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
        <chroma>
            <password>chroma-test</password>
            <networks><ip>127.0.0.1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
        </chroma>
    </users>
    <quotas>
        <default>
            <interval>
                <duration>3600</duration>
                <queries>0</queries>
                <errors>0</errors>
                <result_rows>0</result_rows>
                <read_rows>0</read_rows>
                <execution_time>0</execution_time>
            </interval>
        </default>
    </quotas>
</yandex>
EOF
}

case "$cmd" in
  start)
    command -v clickhouse-server >/dev/null ||
      { echo "clickhouse-server: not installed; run scripts/install-clickhouse.sh" >&2; exit 3; }
    if [ -n "${2:-}" ]; then
      dir="$2"
      mkdir -p "$dir"
      dir="$(cd "$dir" && pwd)"
    else
      dir="$(mktemp -d "${TMPDIR:-/tmp}/clickhouse-private.XXXXXX")"
      touch "$dir/$MARKER"
    fi
    mkdir -p "$dir/log" "$dir/data" "$dir/tmp" "$dir/user_files" "$dir/format_schemas"
    for attempt in 1 2 3; do
      http="$(free_port)"
      tcp="$(free_port)"
      [ "$http" != "$tcp" ] || continue
      write_config "$dir" "$http" "$tcp"
      setsid clickhouse-server --config-file="$dir/config.xml" >"$dir/log/stdout.log" 2>&1 </dev/null &
      pid=$!
      for _ in $(seq 1 300); do
        if [ "$(curl -sS -m 1 "http://127.0.0.1:$http/ping" 2>/dev/null)" = "Ok." ]; then
          echo "$http $tcp $pid"
          exit 0
        fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
      kill -9 "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    done
    echo "clickhouse-server: the server did not start in $dir; last log lines:" >&2
    tail -n 20 "$dir/log/clickhouse-server.err.log" "$dir/log/stdout.log" >&2 2>/dev/null || true
    exit 1
    ;;
  stop)
    pid="${2:?usage: clickhouse-server.sh stop PID}"
    [ -r "/proc/$pid/cmdline" ] || exit 0
    cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline")"
    case "$cmdline" in
      *clickhouse-server*--config-file=*) ;;
      *) echo "clickhouse-server: process $pid is not a clickhouse-server started by this script" >&2; exit 1 ;;
    esac
    config="${cmdline#*--config-file=}"
    config="${config%% *}"
    dir="$(dirname "$config")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    if [ -f "$dir/$MARKER" ]; then
      rm -rf "$dir"
    fi
    ;;
  *)
    echo "usage: clickhouse-server.sh start [DIR] | stop PID" >&2
    exit 2
    ;;
esac
