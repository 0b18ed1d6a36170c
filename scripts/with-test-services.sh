#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL cluster and a throwaway Redis server.
#
#   scripts/with-test-services.sh COMMAND [ARGS...]
#
# Both servers listen on free loopback ports, live in a temporary directory and are stopped
# (and the directory removed) whatever the command's outcome. The command sees:
#   DATABASE_URL        postgres://edi@127.0.0.1:<port>/edi   (trust auth, fsync off)
#   TEST_REDIS_URL      redis://127.0.0.1:<port>/0
#   TEST_PG_BINDIR      directory of pg_ctl/postgres (for tests that stop/start servers)
#   TEST_REDIS_SERVER   path of redis-server
# initdb refuses to run as root: as root the cluster runs as the 'postgres' user (created
# when missing); as a normal user it runs directly.
set -euo pipefail

find_pg_bindir() {
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v pg_ctl)")"
    return 0
  fi
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then echo "$dir"; return 0; fi
  done
  return 1
}

free_port() {
  python3 - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

PG_BINDIR=$(find_pg_bindir) || {
  echo "error: PostgreSQL server programs (initdb, pg_ctl) not found on PATH or under" \
       "/usr/lib/postgresql/*/bin. Install them (Debian: apt-get install postgresql)." >&2
  exit 3
}
REDIS_SERVER=$(command -v redis-server || true)
[ -n "$REDIS_SERVER" ] || [ ! -x /usr/bin/redis-server ] || REDIS_SERVER=/usr/bin/redis-server
if [ -z "$REDIS_SERVER" ]; then
  echo "error: redis-server not found on PATH. Install it (Debian: apt-get install redis-server)." >&2
  exit 3
fi

WORK=$(mktemp -d /tmp/edi-test-services.XXXXXX)
chmod 755 "$WORK"
PGDATA="$WORK/pg"
PG_PORT=$(free_port)
REDIS_PORT=$(free_port)

RUN_AS=()
if [ "$(id -u)" = 0 ]; then
  id -u postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
  chown postgres "$WORK"
  RUN_AS=(runuser -u postgres --)
fi

cleanup() {
  local status=$?
  "${RUN_AS[@]}" "$PG_BINDIR/pg_ctl" -D "$PGDATA" -m immediate stop >/dev/null 2>&1 || true
  if [ -f "$WORK/redis.pid" ]; then kill "$(cat "$WORK/redis.pid")" 2>/dev/null || true; fi
  sleep 0.2
  rm -rf "$WORK"
  exit $status
}
trap cleanup EXIT INT TERM

"${RUN_AS[@]}" "$PG_BINDIR/initdb" -D "$PGDATA" -U edi --auth=trust -E UTF8 --locale=C.UTF-8 \
  >"$WORK/initdb.log" 2>&1 || "${RUN_AS[@]}" "$PG_BINDIR/initdb" -D "$PGDATA" -U edi \
  --auth=trust -E UTF8 --no-locale >"$WORK/initdb.log" 2>&1 || {
  cat "$WORK/initdb.log" >&2; exit 3; }
"${RUN_AS[@]}" "$PG_BINDIR/pg_ctl" -D "$PGDATA" -w -t 60 -l "$WORK/postgres.log" \
  -o "-p $PG_PORT -k $WORK -c listen_addresses=127.0.0.1 -c fsync=${TEST_PG_FSYNC:-off} -c synchronous_commit=${TEST_PG_FSYNC:-off} -c full_page_writes=off -c max_connections=200 -c shared_buffers=128MB" \
  start >/dev/null || { cat "$WORK/postgres.log" >&2; exit 3; }
"$PG_BINDIR/createdb" -h 127.0.0.1 -p "$PG_PORT" -U edi edi 2>/dev/null \
  || "${RUN_AS[@]}" "$PG_BINDIR/createdb" -h 127.0.0.1 -p "$PG_PORT" -U edi edi

"$REDIS_SERVER" --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no \
  --daemonize yes --pidfile "$WORK/redis.pid" --logfile "$WORK/redis.log" --dir "$WORK"
for _ in $(seq 50); do [ -f "$WORK/redis.pid" ] && break; sleep 0.1; done

export DATABASE_URL="postgres://edi@127.0.0.1:$PG_PORT/edi"
export TEST_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
export TEST_PG_BINDIR="$PG_BINDIR"
export TEST_PG_DATA="$PGDATA"
export TEST_REDIS_SERVER="$REDIS_SERVER"
export TEST_SERVICES_DIR="$WORK"
echo "test services: PostgreSQL on 127.0.0.1:$PG_PORT, Redis on 127.0.0.1:$REDIS_PORT ($WORK)"
set +e
"$@"
