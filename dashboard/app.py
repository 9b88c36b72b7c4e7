"""Builds the Dash app: a header with the four pages, a router, and each page's callbacks.

A simple router (``dcc.Location`` plus one callback) instead of ``use_pages``: pages get
the app's context explicitly and register their callbacks on this app, so there is no
module-level registry and tests can build several apps in one process. Nothing is loaded
until ``create_app`` runs; scenarios and studies are read when a page is opened.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs

import dash
from dash import Input, Output, dcc, html
from dash.exceptions import DependencyException

from .config import MAX_UPLOAD_BYTES, DashboardConfig
from .context import AppContext
from .pages import compare, scenario, studies, whatif

PAGES = (compare, whatif, studies, scenario)
NAV = ((compare, "Compare schemes"), (whatif, "What-if"), (studies, "Studies"), (scenario, "Scenario"))
QUERY_KEYS = ("study", "scenario")
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
    """Known query parameters only (``?study=<id>``, ``?scenario=<name>``), first value each."""
    parsed = parse_qs((search or "").lstrip("?"))
    return {k: v[0] for k, v in parsed.items() if k in QUERY_KEYS and v}


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

    @app.server.errorhandler(DependencyException)
    def _no_such_asset(_err):  # an unknown component-suite path is "not found", not a crash
        return "not found", 404

    return app
