#!/usr/bin/env bash
# One command to set up and run Prompt Refinery.
#   ./setup.sh serve        set up, then serve the API with gunicorn on 127.0.0.1:${PORT:-5000}
#                           and one batch worker beside it
#                           (HOST=0.0.0.0 to listen on every interface; BIND overrides both)
#   ./setup.sh stop         stop what serve started: gunicorn, and the embedded PostgreSQL
#   ./setup.sh test [args]  set up, then run the whole test suite (args go to pytest)
#   ./setup.sh lint         set up, then ruff check and ruff format --check on the tree
# Idempotent. With DATABASE_URL unset, an embedded PostgreSQL runs under instance/.
set -euo pipefail
cd "$(dirname "$0")"

mode=${1:-}
case "$mode" in
  serve|test|lint|stop) shift ;;
  *) echo "usage: ./setup.sh serve | stop | test [pytest args] | lint" >&2; exit 2 ;;
esac

GUNICORN_PID=instance/gunicorn.pid
PGDATA_DIR=instance/pgdata

# running_pid FILE WORD: the pid on FILE's first line, if that process runs and its command
# line contains WORD (so a stale file whose pid was reused is ignored).
running_pid() {
  local pid
  pid=$(head -n 1 "$1" 2>/dev/null | tr -dc 0-9)
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q "$2" \
    && echo "$pid"
}

# stop_pid PID SIGNAL WHAT: signal PID and wait (up to 40 s) until it has exited.
stop_pid() {
  kill "-$2" "$1"
  for _ in $(seq 400); do
    kill -0 "$1" 2>/dev/null || { echo "==> stopped $3 (pid $1)"; return 0; }
    sleep 0.1
  done
  echo "==> $3 (pid $1) is still running after 40 s" >&2
  return 1
}

if [ "$mode" = stop ]; then
  stopped=0
  if pid=$(running_pid "$GUNICORN_PID" gunicorn); then
    stop_pid "$pid" TERM "gunicorn" && stopped=1  # graceful: requests in flight finish
  fi
  if pid=$(running_pid "$PGDATA_DIR/postmaster.pid" postgres); then
    stop_pid "$pid" INT "embedded PostgreSQL ($PGDATA_DIR)" && stopped=1  # fast shutdown
  fi
  [ "$stopped" = 1 ] || echo "==> nothing to stop (no gunicorn from ./setup.sh serve, no embedded PostgreSQL)"
  exit 0
fi

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "==> creating virtualenv .venv"
  "$python" -m venv .venv
fi
# serve needs the runtime requirements; test also the development ones (requirements-dev.txt
# includes requirements.txt). Each is reinstalled only when a file it reads changed.
install() {  # install FILE STAMP HASHED-FILES...
  local file=$1 stamp=$2 want
  shift 2
  want=$(cat "$@" | sha256sum | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "==> installing $file"
    .venv/bin/pip install --quiet --disable-pip-version-check -r "$file"
    echo "$want" > "$stamp"
  fi
}
install requirements.txt .venv/.requirements.sha256 requirements.txt
if [ "$mode" != serve ]; then
  install requirements-dev.txt .venv/.requirements-dev.sha256 requirements.txt requirements-dev.txt
fi
export PATH="$PWD/.venv/bin:$PATH"

if [ "$mode" = lint ]; then
  ruff check .
  exec ruff format --check .
fi
if [ "$mode" = test ]; then
  # The suite makes its own fresh database (on DATABASE_URL's server, or embedded).
  exec python -m pytest "$@"
fi

if pid=$(running_pid "$GUNICORN_PID" gunicorn); then
  echo "==> already serving (gunicorn pid $pid); ./setup.sh stop first" >&2
  exit 1
fi
export REFINERY_ENV=${REFINERY_ENV:-development}
if [ -z "${DATABASE_URL:-}" ]; then
  echo "==> starting embedded PostgreSQL ($PGDATA_DIR; ./setup.sh stop stops it)"
  DATABASE_URL=$(python -m refinery.embedded refinery)
  export DATABASE_URL
fi
echo "==> applying schema"
flask --app refinery init-db
echo "==> seeding demo data"
python scripts/seed.py
# Loopback unless told otherwise: the demo accounts' password is in the README.
export BIND=${BIND:-${HOST:-127.0.0.1}:${PORT:-5000}}
case "$BIND" in
  0.0.0.0:*|'[::]':*|:*) echo "==> serving on every interface, port ${BIND##*:} (BIND=$BIND)" ;;
  *) echo "==> serving on http://$BIND" ;;
esac
echo "    (./setup.sh stop, or Ctrl-C, stops it)"
mkdir -p instance
echo "==> starting one batch worker (it stops when the server does)"
flask --app refinery worker --parent-pid $$ &  # $$ becomes gunicorn's pid (exec)
exec gunicorn -c gunicorn.conf.py --pid "$GUNICORN_PID" wsgi:app
