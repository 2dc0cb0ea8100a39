#!/usr/bin/env bash
# Build the container image and run the compose stack for real on this machine, then tear
# it down. Not part of CI: it needs root, Debian's docker.io, docker-compose and debootstrap
# (installed here when missing), and the package mirrors apt and pip already use.
#
#   sudo scripts/docker-smoke.sh            # base image is kept between runs
#   REBUILD_BASE=1 scripts/docker-smoke.sh  # make the base image again
#
# No container registry is needed: the base image is made offline with debootstrap from the
# Debian mirror apt's own sources name (python3, python3-venv), with this host's locally
# added CA certificates and pip index settings, and passed to the Dockerfile as BASE_IMAGE.
# PostgreSQL and Redis are replaced, through deploy/smoke/docker-compose.smoke.yml, by
# images built from the same base with Debian's packages.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

BASE_TAG=refinery-smoke-base:bookworm
APP_TAG=prompt-refinery:smoke
PROJECT=refinery-smoke
say() { printf '==> %s\n' "$*"; }

[ "$(id -u)" = 0 ] || { echo "run as root (dockerd, debootstrap)" >&2; exit 2; }

# 1. Tools: Debian's docker.io (daemon and a client without buildx), docker-compose 1.29.
missing=()
[ -x /usr/bin/docker ] || missing+=(docker.io)
command -v docker-compose > /dev/null || missing+=(docker-compose)
command -v debootstrap > /dev/null || missing+=(debootstrap)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
docker() { /usr/bin/docker "$@"; }  # Debian's client: its legacy builder needs no buildx
export DOCKER_BUILDKIT=0 COMPOSE_DOCKER_CLI_BUILD=0

# 2. The daemon.
if ! docker info > /dev/null 2>&1; then
  say "starting dockerd (log: /tmp/dockerd.log)"
  setsid dockerd > /tmp/dockerd.log 2>&1 < /dev/null &
  for _ in $(seq 60); do docker info > /dev/null 2>&1 && break; sleep 1; done
fi
docker info --format 'docker {{.ServerVersion}}, storage {{.Driver}}'

# 3. The base image, offline.
debian_mirror() {
  # The mirror apt uses for bookworm: deb822 *.sources first, then one-line *.list files.
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk '/^URIs:/ {u = $2}
         /^Suites:/ {for (i = 2; i <= NF; i++) if ($i == "bookworm" && u != "") {print u; exit}}
         /^$/ {u = ""}' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk '$1 == "deb" {for (i = 2; i < NF; i++) if ($i ~ /^https?:/ && $(i + 1) == "bookworm") print $i}' "$f"
  done
}

pip_setting() { pip3 config get "global.$1" 2>/dev/null || true; }

if [ -n "${REBUILD_BASE:-}" ] || ! docker image inspect "$BASE_TAG" > /dev/null 2>&1; then
  mirror=$(debian_mirror | head -n 1)
  [ -n "$mirror" ] || { echo "no bookworm mirror in /etc/apt/sources.list*" >&2; exit 1; }
  rootfs=$(mktemp -d /tmp/refinery-rootfs.XXXXXX)
  say "debootstrap --variant=minbase bookworm from $mirror"
  debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
    bookworm "$rootfs" "$mirror" > /tmp/refinery-debootstrap.log 2>&1 \
    || { tail -n 20 /tmp/refinery-debootstrap.log; exit 1; }
  # The host's locally added CA certificates (a TLS-inspecting proxy's, say), so that pip
  # and apt inside the builds trust what the host trusts.
  shopt -s nullglob
  certs=(/usr/local/share/ca-certificates/*.crt)
  shopt -u nullglob
  if [ ${#certs[@]} -gt 0 ]; then
    say "adding ${#certs[@]} local CA certificate(s): ${certs[*]##*/}"
    cp "${certs[@]}" "$rootfs/usr/local/share/ca-certificates/"
    chroot "$rootfs" update-ca-certificates > /dev/null
  fi
  # pip's index settings of the host; file:// indexes and find-links are paths on this
  # host's disk, not in the image, so only http(s) ones are carried over.
  index_url=$(pip_setting index-url)
  extra=$(pip_setting extra-index-url | tr ' ' '\n' | grep -E '^https?://' | tr '\n' ' ' || true)
  {
    echo "[global]"
    echo "cert = /etc/ssl/certs/ca-certificates.crt"
    [ -n "$index_url" ] && echo "index-url = $index_url"
    [ -n "${extra// /}" ] && echo "extra-index-url = $extra"
    echo "disable-pip-version-check = true"
  } > "$rootfs/etc/pip.conf"
  say "pip index in the base image: ${index_url:-https://pypi.org/simple (the default)}"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  say "docker import -> $BASE_TAG"
  tar -C "$rootfs" -c . | docker import -c 'ENV LANG=C.UTF-8' -c 'CMD ["python3"]' - "$BASE_TAG"
  rm -rf "$rootfs"
fi
docker run --rm "$BASE_TAG" python3 -c 'import sys; print("base image python", sys.version.split()[0])'

# 4. The images: the app from the repository's Dockerfile; PostgreSQL and Redis from
# Debian's packages on the same base.
say "docker build $APP_TAG (BASE_IMAGE=$BASE_TAG)"
docker build --build-arg "BASE_IMAGE=$BASE_TAG" -t "$APP_TAG" . 2>&1 | tail -n 5
for service in postgres redis; do
  say "docker build refinery-smoke-$service"
  docker build --build-arg "BASE_IMAGE=$BASE_TAG" -t "refinery-smoke-$service:bookworm" \
    -f "deploy/smoke/$service.Dockerfile" deploy/smoke 2>&1 | tail -n 2
done

say "image checks"
docker image inspect "$APP_TAG" --format 'user={{.Config.User}} cmd={{json .Config.Cmd}}'
docker image inspect "$APP_TAG" --format 'healthcheck={{json .Config.Healthcheck.Test}}'
docker run --rm --entrypoint sh "$APP_TAG" -c \
  'echo "uid=$(id -u)"; echo "compilers: $(command -v cc gcc g++ c++ clang make || echo none)"; echo "/app: $(ls /app | tr "\n" " ")"'
say "fail fast: the image without JWT_SECRET"
set +e
docker run --rm -e DATABASE_URL=postgresql://refinery@nowhere/refinery "$APP_TAG"
echo "exit code $?"
set -e
docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E 'prompt-refinery|refinery-smoke'

# 5. The stack, with throwaway secrets in an env file.
workdir=$(mktemp -d /tmp/refinery-smoke.XXXXXX)
python3 - > "$workdir/compose.env" <<'PY'
import base64, os, secrets
password = secrets.token_hex(16)
print(f"POSTGRES_PASSWORD={password}")
print(f"DATABASE_URL=postgresql://refinery:{password}@postgres:5432/refinery")
print(f"APP_DATABASE_PASSWORD={secrets.token_hex(16)}")
print(f"JWT_SECRET={secrets.token_urlsafe(48)}")
print(f"ENCRYPTION_KEY={base64.urlsafe_b64encode(os.urandom(32)).decode()}")
PY
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export REFINERY_ENV_FILE="$workdir/compose.env" REFINERY_PORT="127.0.0.1:$port" REFINERY_IMAGE="$APP_TAG"
compose() {
  docker-compose -p "$PROJECT" -f docker-compose.yml -f deploy/smoke/docker-compose.smoke.yml "$@"
}
teardown() {
  status=$?
  if [ "$status" != 0 ]; then
    say "failed ($status): the stack's logs"
    compose logs --no-color --tail 40 || true
  fi
  say "tearing down"
  compose down -v --remove-orphans 2>&1 | tail -n 3 || true
  rm -rf "$workdir"
  exit "$status"
}
trap teardown EXIT

say "docker-compose up (api published on 127.0.0.1:$port)"
compose up -d --no-build 2>&1
api=$(compose ps -q api)
for _ in $(seq 90); do
  health=$(docker inspect -f '{{.State.Health.Status}}' "$api")
  [ "$health" = healthy ] && break
  [ "$health" = unhealthy ] && break
  sleep 2
done
compose ps
say "api container health: $health"
[ "$health" = healthy ]
say "migration service: exit code $(docker inspect -f '{{.State.ExitCode}}' "$(compose ps -q migrate)")"
compose logs --no-color migrate | tail -n 5

# 6. The README's curl walkthrough, as written, against the container.
API=http://127.0.0.1:$port
say "GET /health"
curl -sS "$API/health"; echo
say "README walkthrough (register, login, me, refresh, reuse, logout)"
python3 - "$ROOT/README.md" > "$workdir/walkthrough.sh" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
(block,) = [b for b in re.findall(r"```bash\n(.*?)```", text, re.S) if "api/auth/register" in b]
print(re.sub(r"^API=.*$", "", block, count=1, flags=re.M))
PY
(cd "$workdir" && API=$API bash -euo pipefail walkthrough.sh)
echo
say "optimize with a fresh login"
access=$(curl -sS -X POST "$API/api/auth/login" -H 'Content-Type: application/json' \
  -d '{"email":"ada@example.com","password":"correct-horse-42"}' \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["accessToken"])')
curl -sS "$API/api/auth/me" -H "Authorization: Bearer $access"; echo
curl -sS -X POST "$API/api/optimize" -H "Authorization: Bearer $access" \
  -H 'Content-Type: application/json' \
  -d '{"text":"Could you please kindly write a short summary of the attached quarterly report for the board? Thanks so much in advance!"}'
echo
say "rate-limit counters in Redis: $(compose exec -T redis redis-cli dbsize | tr -d '\r') keys"
say "api logs (last lines)"
compose logs --no-color --tail 8 api
say "smoke run passed"
