"""``portal.wsgi:application`` (the operations contract): the WSGI application lives in ``config.wsgi``."""
from config.wsgi import application

__all__ = ["application"]
