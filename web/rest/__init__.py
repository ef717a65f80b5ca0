"""The Camunda 7 compatible REST API at /engine-rest (what Camunda Modeler and Camunda
REST clients call). See docs/api.md for the endpoints and where we differ from Camunda."""

from web.rest import definitions  # noqa: F401  (registers the views on bp)
from web.rest import deployments  # noqa: F401
from web.rest import history  # noqa: F401
from web.rest import instances  # noqa: F401
from web.rest import messages  # noqa: F401
from web.rest import operations  # noqa: F401
from web.rest import tasks  # noqa: F401
from web.rest.blueprint import bp
from web.rest.engine import wellknown_bp

__all__ = ["bp", "wellknown_bp"]
