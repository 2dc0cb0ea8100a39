"""The WSGI entry point: `gunicorn wsgi:app`."""

import sys

from refinery import create_app
from refinery.config import ConfigError

try:
    app = create_app()
except ConfigError as error:
    sys.exit(f"configuration error: {error}")
