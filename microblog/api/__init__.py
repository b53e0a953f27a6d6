"""The REST API under /api: token authentication, JSON in and out, described by OpenAPI.

It is not CSRF-protected: a Bearer token is not sent by browsers on their own, unlike the
session cookie, which the API never reads.
"""

from flask import Blueprint
from flask.blueprints import BlueprintSetupState

from microblog.extensions import csrf
from microblog.session import QUIET_ENDPOINTS

bp = Blueprint("api", __name__, url_prefix="/api")
csrf.exempt(bp)

from microblog.api import errors, openapi, tokens, users  # noqa: E402, F401  (routes)


@bp.record_once
def _quiet(state: BlueprintSetupState) -> None:
    """No cookie "last seen" on API calls (recorded after the routes: they are known now)."""
    QUIET_ENDPOINTS.update(name for name in state.app.view_functions if name.startswith("api."))
