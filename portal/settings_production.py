"""``DJANGO_SETTINGS_MODULE=portal.settings_production``: the production settings live in ``config.settings_production``."""
from config.settings_production import *  # noqa: F401,F403
