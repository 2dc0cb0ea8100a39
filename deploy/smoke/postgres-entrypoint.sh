#!/bin/sh
# First start: initdb with POSTGRES_USER/POSTGRES_PASSWORD and create POSTGRES_DB, with the
# server listening on no TCP port; then serve on every address with password auth.
set -eu
user=${POSTGRES_USER:-postgres}
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pwfile=$(mktemp)
  printf '%s' "$POSTGRES_PASSWORD" > "$pwfile"
  initdb -D "$PGDATA" --username="$user" --pwfile="$pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 > /dev/null
  rm -f "$pwfile"
  echo "host all all 0.0.0.0/0 scram-sha-256" >> "$PGDATA/pg_hba.conf"
  pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -k /tmp" -w start > /dev/null
  createdb -h /tmp -U "$user" "${POSTGRES_DB:-$user}"
  pg_ctl -D "$PGDATA" -m fast -w stop > /dev/null
  echo "postgres-entrypoint: initialized $PGDATA"
fi
exec postgres -D "$PGDATA" -c listen_addresses='*' -k /tmp
