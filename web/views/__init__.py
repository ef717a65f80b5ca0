"""Every blueprint of the app, in registration order."""

from web.api import docs_bp as api_docs_bp
from web.api import hotline_bp as hotline_api_bp
from web.rest import bp as engine_rest_bp
from web.rest import wellknown_bp as camunda_wellknown_bp
from web.views.admin import bp as admin_bp
from web.views.auth import bp as auth_bp
from web.views.cases import bp as cases_bp
from web.views.designer import bp as designer_bp
from web.views.intake import bp as intake_bp
from web.views.notifications import bp as notifications_bp
from web.views.observations import bp as observations_bp
from web.views.operations import bp as operations_bp
from web.views.stats import bp as stats_bp
from web.views.tasks import bp as tasks_bp

BLUEPRINTS = [
    auth_bp,
    tasks_bp,
    cases_bp,
    engine_rest_bp,
    camunda_wellknown_bp,
    hotline_api_bp,
    api_docs_bp,
    admin_bp,
    stats_bp,
    designer_bp,
    intake_bp,
    observations_bp,
    notifications_bp,
    operations_bp,
]
