"""Every blueprint of the app, in registration order."""

from web.views.auth import bp as auth_bp

BLUEPRINTS = [auth_bp]
