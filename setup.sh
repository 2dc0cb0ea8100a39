#!/usr/bin/env bash
# One command to set up and run Prompt Refinery.
#   ./setup.sh serve        set up, then serve the API with gunicorn on :${PORT:-5000}
#                           and one batch worker beside it
#   ./setup.sh test [args]  set up, then run the whole test suite (args go to pytest)
# Idempotent. With DATABASE_URL unset, an embedded PostgreSQL runs under instance/.
set -euo pipefail
cd "$(dirname "$0")"

mode=${1:-}
case "$mode" in
  serve|test) shift ;;
  *) echo "usage: ./setup.sh serve | test [pytest args]" >&2; exit 2 ;;
esac

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "==> creating virtualenv .venv"
  "$python" -m venv .venv
fi
# Reinstall only when requirements.txt changed since the last install.
stamp=.venv/.requirements.sha256
want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "==> installing requirements"
  .venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
  echo "$want" > "$stamp"
fi
export PATH="$PWD/.venv/bin:$PATH"

if [ "$mode" = test ]; then
  # The suite makes its own fresh database (on DATABASE_URL's server, or embedded).
  exec python -m pytest "$@"
fi

export REFINERY_ENV=${REFINERY_ENV:-development}
if [ -z "${DATABASE_URL:-}" ]; then
  echo "==> starting embedded PostgreSQL (instance/pgdata)"
  DATABASE_URL=$(python -m refinery.embedded refinery)
  export DATABASE_URL
fi
echo "==> applying schema"
flask --app refinery init-db
echo "==> seeding demo data"
python scripts/seed.py
echo "==> starting one batch worker (it stops when the server does)"
flask --app refinery worker --parent-pid $$ &  # $$ becomes gunicorn's pid (exec)
echo "==> serving on http://127.0.0.1:${PORT:-5000}"
exec gunicorn -c gunicorn.conf.py wsgi:app
