"""The local server the extension talks to: Flask app, JSON API, guards, reader view, waitress."""
