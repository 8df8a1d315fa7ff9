"""``DJANGO_SETTINGS_MODULE=portal.settings`` (the operations contract): the settings live in ``config.settings``."""
from config.settings import *  # noqa: F401,F403
