"""The OpenAPI blueprint: the API's description as JSON, and a docs page served locally."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import flask_swagger_ui
import yaml
from flask import Blueprint, Response, send_from_directory
from flask_talisman import Talisman

from refinery.errors import NotFound

bp = Blueprint("openapi", __name__, url_prefix="/api")

_HERE = Path(__file__).resolve().parent
# Swagger UI's own files, as the flask-swagger-ui wheel ships them: nothing from a CDN.
_SWAGGER_DIST = Path(flask_swagger_ui.__file__).resolve().parent / "dist"
_SWAGGER_ASSETS = ("swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png")
# The docs page runs scripts, so it alone gets a CSP that allows this origin's own files
# (Swagger UI sets inline styles); every other route keeps the app's `default-src 'none'`.
_DOCS_CSP = {
    "default-src": "'none'",
    "script-src": "'self'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data:",
    "connect-src": "'self'",
    "base-uri": "'none'",
    "form-action": "'none'",
    "frame-ancestors": "'none'",
}
# Used only for its per-view decorator; the app's own Talisman is set up in create_app.
_per_view = Talisman()


@functools.cache
def load_document() -> dict[str, Any]:
    """The OpenAPI document from refinery/api/openapi.yaml, read once per process."""
    return yaml.safe_load((_HERE / "openapi.yaml").read_text(encoding="utf-8"))


@functools.cache
def _document_bytes() -> bytes:
    """The document serialized once, as the bytes every request gets."""
    return json.dumps(load_document(), ensure_ascii=False).encode()


@functools.cache
def _page_file(name: str) -> bytes:
    """A file of the docs page kept beside this module, read once."""
    return (_HERE / name).read_bytes()


@bp.get("/openapi.json")
def document() -> Response:
    """The OpenAPI 3.1 document of every route (no authentication)."""
    return Response(_document_bytes(), mimetype="application/json")


@bp.get("/docs")
@_per_view(content_security_policy=_DOCS_CSP)
def docs_page() -> Response:
    """Swagger UI over /api/openapi.json, with scripts and styles from this server."""
    return Response(_page_file("openapi.html"), mimetype="text/html")


@bp.get("/docs/<asset>")
def docs_asset(asset: str) -> Response:
    """A file of the docs page: Swagger UI's, or our start-up script."""
    if asset == "docs.js":
        return Response(_page_file("openapi.js"), mimetype="text/javascript")
    if asset not in _SWAGGER_ASSETS:
        raise NotFound(f"No docs asset {asset!r}.")
    return send_from_directory(_SWAGGER_DIST, asset, max_age=86400)
