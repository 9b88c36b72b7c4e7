"""Builds the Dash app: a header with the four pages, a router, and each page's callbacks.

A simple router (``dcc.Location`` plus one callback) instead of ``use_pages``: pages get
the app's context explicitly and register their callbacks on this app, so there is no
module-level registry and tests can build several apps in one process. Nothing is loaded
until ``create_app`` runs; scenarios and studies are read when a page is opened.
"""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import parse_qs

import dash
from dash import Input, Output, dcc, html
from dash.exceptions import DependencyException

from .config import MAX_UPLOAD_BYTES, DashboardConfig
from .context import AppContext
from .pages import builder, compare, scenario, studies, whatif

PAGES = (compare, whatif, builder, studies, scenario)
NAV = ((compare, "Compare schemes"), (whatif, "What-if"), (builder, "Build a scheme"), (studies, "Studies"),
       (scenario, "Scenario"))
QUERY_KEYS = ("study", "scenario", "design")
ASSETS = Path(__file__).resolve().parent / "assets"


def shell() -> html.Div:
    """The frame around every page: title, navigation, the page, a footer."""
    return html.Div(className="shell", children=[
        dcc.Location(id="url", refresh=False),
        html.Header(className="top", children=[
            html.Div(className="brand", children=[
                html.Span("simpolicy", className="brand-name"),
                html.Span("funding innovative public procurement: simulated", className="brand-tag")]),
            html.Nav(id="nav", className="nav", children=nav_links("/compare")),
        ]),
        html.Main(id="page", className="main"),
        html.Footer(className="foot", children=[
            "Every figure is a simulation: bands show where 90 % of runs fall. "
            "Download a figure with the camera icon (PNG) or its CSV button."]),
    ])


def nav_links(current: str) -> list:
    return [dcc.Link(text, href=page.PATH,
                     className="nav-link active" if page.PATH == current else "nav-link")
            for page, text in NAV]


def page_for(path: str | None):
    """The page module of a path ('/' opens the comparison)."""
    path = (path or "/").rstrip("/") or "/"
    if path == "/":
        return compare
    return next((p for p in PAGES if p.PATH == path), None)


def query(search: str | None) -> dict:
    """Known query parameters only (``?study=<id>``, ``?scenario=<name>``, ``&design=<n>``), first
    value each."""
    parsed = parse_qs((search or "").lstrip("?"))
    return {k: v[0] for k, v in parsed.items() if k in QUERY_KEYS and v}


LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def guard_requests(server) -> None:
    """Requests the server answers: for its own host names, and bodies under the limit.

    A page on another site can make a browser send requests to 127.0.0.1 under a name it
    controls (DNS rebinding); the ``Host`` header then carries that name, so only
    127.0.0.1, localhost, ::1 and the ``--host`` given (``SIMPOLICY_HOSTS`` in the server's
    config) are served, anything else is 421. A chunked body has no length to check in
    advance and went past Flask's limit into Dash as HTTP 500; it is read here, at most
    up to the limit, so too much is 413.
    """
    from flask import abort, request
    from werkzeug.exceptions import RequestEntityTooLarge

    @server.before_request
    def _guard():
        allowed = set(LOCAL_HOSTS) | set(server.config.get("SIMPOLICY_HOSTS", ()))
        host = (request.host or "").rsplit(":", 1)[0] if not (request.host or "").endswith("]") \
            else request.host
        host = host.strip("[]").lower()
        if host not in allowed:
            abort(421)
        if request.method in ("POST", "PUT", "PATCH") and request.content_length is None:
            # werkzeug cuts a chunked body at the limit without a word (Dash then fails on
            # the truncated JSON): read one byte more than allowed, then hand on what came
            limit = server.config["MAX_CONTENT_LENGTH"]
            data = request.environ["wsgi.input"].read(limit + 1)
            if len(data) > limit:
                abort(413)
            request.environ["wsgi.input"] = io.BytesIO(data)
            request.environ["CONTENT_LENGTH"] = str(len(data))
            request.environ.pop("wsgi.input_terminated", None)

    @server.errorhandler(RequestEntityTooLarge)
    def _too_large(_err):
        return "request body too large", 413


def create_app(config: DashboardConfig | None = None, context: AppContext | None = None) -> dash.Dash:
    """The dashboard for one results folder; ``context`` lets tests pass their own services."""
    config = config or DashboardConfig.from_env()
    ctx = context or AppContext.build(config)
    app = dash.Dash(__name__, title="simpolicy dashboard", update_title=None, assets_folder=str(ASSETS),
                    serve_locally=True, suppress_callback_exceptions=True)
    app.server.config["MAX_CONTENT_LENGTH"] = 4 * MAX_UPLOAD_BYTES  # base64 and JSON around 1 MB
    app.layout = shell()
    app.simpolicy = ctx  # for the CLI (warm-up, shutdown) and tests

    @app.callback(Output("page", "children"), Output("nav", "children"),
                  Input("url", "pathname"), Input("url", "search"))
    def _route(pathname, search):
        page = page_for(pathname)
        if page is None:
            return (html.Div(className="page", children=[
                html.H2("Not found"), html.P("Choose a page above.")]), nav_links(""))
        return page.layout(ctx, **query(search)), nav_links(page.PATH)

    for page in PAGES:
        page.register(app, ctx)

    guard_requests(app.server)

    @app.server.errorhandler(DependencyException)
    def _no_such_asset(_err):  # an unknown component-suite path is "not found", not a crash
        return "not found", 404

    return app
