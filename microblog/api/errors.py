"""The API's one error shape, `{"error": <HTTP reason>, "message": ...}`.

Errors raised with `abort()` get it from views/errors.py (it answers JSON under /api/);
this module builds the same shape where a response is needed directly (Flask-HTTPAuth).
"""

from __future__ import annotations

from flask import Response, jsonify
from werkzeug.exceptions import default_exceptions
from werkzeug.http import HTTP_STATUS_CODES


def error_response(status: int, message: str | None = None) -> Response:
    if message is None:
        exception = default_exceptions.get(status)
        message = exception.description if exception else ""
    response = jsonify(error=HTTP_STATUS_CODES.get(status, "Unknown Error"), message=message)
    response.status_code = status
    return response
