"""``microcred serve``: the employer's verification page and a VC-API service (the ``[server]`` extra).

Needs Starlette (and uvicorn to run it); the rest of microcred never imports this package.
"""

from __future__ import annotations

from .app import create_app
from .config import ServerConfig

__all__ = ["ServerConfig", "create_app"]
