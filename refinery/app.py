"""The application factory: settings, extensions, blueprints, error handlers, CLI."""

from __future__ import annotations

from flask import Flask, Response, appcontext_pushed, g
from flask_cors import CORS
from flask_talisman import Talisman
from werkzeug.middleware.proxy_fix import ProxyFix

# Everything the app is built from is imported here, not in create_app: gunicorn's master
# imports this module before forking (gunicorn.conf.py), so each worker starts with the
# code loaded and only builds its own app. Importing opens no socket and starts no thread.
from refinery import cli, db
from refinery.api import (
    audit,
    auth,
    batches,
    credentials,
    health,
    invitations,
    keys,
    members,
    openapi,
    optimize,
    organization,
    prometheus,
    usage,
    webhooks,
)
from refinery.api.bodylimit import BoundedRequest
from refinery.api.errors import register_error_handlers
from refinery.api.headlimits import init_head_limits
from refinery.api.identity import init_jwt
from refinery.api.ratelimit import init_rate_limits
from refinery.api.requestlog import init_request_log
from refinery.config import Config, ConfigError, load_config

# An API serves no pages: nothing may be loaded, framed or submitted from its responses.
_CSP = {"default-src": "'none'", "frame-ancestors": "'none'"}
_EXPOSED_HEADERS = [
    "X-Request-ID",
    "Retry-After",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
]
# Seconds a browser may reuse a preflight's answer (Access-Control-Max-Age).
CORS_MAX_AGE = 600


def create_app(config: Config | None = None) -> Flask:
    """Build the app: settings, extensions, blueprints, error handlers, CLI. Opens nothing."""
    if config is None:
        try:
            config = load_config()
        except ConfigError as error:
            if not cli.loaded_by_flask_command():
                raise
            return cli.command_app(error)  # init-db needs only the database's settings
    app = Flask(__name__)
    app.request_class = BoundedRequest
    app.config["REFINERY"] = config
    app.config["MAX_CONTENT_LENGTH"] = config.max_body_bytes
    app.json.sort_keys = False
    app.json.ensure_ascii = False  # prompts in any language stay readable (and shorter)
    if config.proxy_count:
        app.wsgi_app = ProxyFix(
            app.wsgi_app,
            x_for=config.proxy_count,
            x_proto=config.proxy_count,
            x_host=config.proxy_count,
        )
    Talisman(
        app,
        force_https=config.force_https,
        strict_transport_security=config.force_https,
        content_security_policy=_CSP,
        session_cookie_secure=config.force_https,
    )
    if config.cors_origins:
        CORS(
            app,
            resources={r"/api/*": {"origins": list(config.cors_origins)}},
            expose_headers=_EXPOSED_HEADERS,
            allow_headers=["Authorization", "Content-Type", "X-API-Key", "X-Request-ID"],
            max_age=CORS_MAX_AGE,
        )
        app.after_request(_vary_on_origin)

    _bind_database(app)
    init_request_log(app)
    init_head_limits(app)
    init_rate_limits(app)
    init_jwt(app)
    register_error_handlers(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(prometheus.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(optimize.bp)
    app.register_blueprint(credentials.bp)
    app.register_blueprint(members.bp)
    app.register_blueprint(invitations.bp)
    app.register_blueprint(organization.bp)
    app.register_blueprint(keys.bp)
    app.register_blueprint(usage.bp)
    app.register_blueprint(audit.bp)
    app.register_blueprint(batches.bp)
    app.register_blueprint(webhooks.bp)
    app.register_blueprint(openapi.bp)
    cli.register(app)
    return app


def _vary_on_origin(response: Response) -> Response:
    """Vary: Origin on every answer, so no cache serves one origin's CORS headers to another.

    flask-cors adds it only when several origins are allowed.
    """
    response.vary.add("Origin")
    return response


def _bind_database(app: Flask) -> None:
    """Every app context (each request, each CLI command) works with this app's database."""

    def bind(sender: Flask, **extra) -> None:
        g.database_binding = db.bind(sender.config["REFINERY"])

    def unbind(error: BaseException | None) -> None:
        token = g.pop("database_binding", None)
        if token is not None:
            db.unbind(token)

    appcontext_pushed.connect(bind, app, weak=False)
    app.teardown_appcontext(unbind)
