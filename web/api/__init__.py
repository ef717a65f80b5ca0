"""Our own APIs: the 12345 hotline API (/api/v1/hotline), the OpenAPI document of every
API (/api/openapi.json) and the API page for people (/api/docs)."""

from web.api.docs import bp as docs_bp
from web.api.hotline import bp as hotline_bp

__all__ = ["docs_bp", "hotline_bp"]
