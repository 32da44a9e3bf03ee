"""The one shape of every error the server answers: {"error": {"code", "message"}}."""

from __future__ import annotations

from flask import jsonify


def error(code: str, message: str, status: int):
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    return response
