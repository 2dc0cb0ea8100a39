"""Prompt Refinery.

Importing the package loads nothing: the application factory lives in `refinery.app` and
is found here on first use (`from refinery import create_app`, `flask --app refinery`),
so the engine (`refinery.engine`), which never needs Flask, imports without it.
"""

__version__ = "0.1.0"


def __getattr__(name: str):
    if name == "create_app":
        from refinery.app import create_app

        return create_app
    raise AttributeError(f"module 'refinery' has no attribute {name!r}")
