# Prompt Refinery: the API under gunicorn. Multi-stage: the builder installs the
# dependencies into a virtualenv; the runtime image gets that virtualenv and the code, and
# no compiler. Build: docker build -t prompt-refinery .
# BASE_IMAGE must provide python3 (3.11+) with venv; scripts/docker-smoke.sh passes a
# Debian bookworm image it makes offline.
ARG BASE_IMAGE=python:3.11-slim-bookworm

FROM ${BASE_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
COPY requirements.txt /tmp/requirements.txt
# Wheels only: nothing is compiled, so neither stage needs a compiler.
RUN python3 -m venv /opt/venv \
    && /opt/venv/bin/pip install --only-binary=:all: -r /tmp/requirements.txt

FROM ${BASE_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    REFINERY_ENV=production \
    PORT=5000
RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin refinery
COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
# What is copied is decided by .dockerignore (no tests, no secrets, no virtualenv).
COPY . /app
RUN python -m compileall -q /app
USER refinery
EXPOSE 5000
# Liveness with Python's standard library (the image has no curl); any answer but 2xx, or
# none within the timeout, fails it.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('PORT', '5000'), timeout=4)"]
# Migrations are a separate step: `flask --app refinery init-db` (the compose file's
# migrate service, the Procfile's release phase).
CMD ["gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
