"""Navigation for the base layout: which sections this user's party may open."""
from __future__ import annotations


def portal_navigation(request) -> dict:
    user = getattr(request, "user", None)
    party = getattr(user, "party", None) if user is not None and user.is_authenticated else None
    return {"current_party": party, "is_dcc": bool(party and party.is_dcc)}
