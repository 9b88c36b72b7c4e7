"""``simpolicy dashboard``: serves the browser app on 127.0.0.1 (debug off).

Parse, build the app, serve: the app lives in the top-level ``dashboard`` package and is
imported only when this command runs, so other commands never load Dash.
"""

from __future__ import annotations

import gc
import signal
import sys
import threading

from simpolicy.cli import flags


def register(sub) -> None:
    p = sub.add_parser("dashboard", help="the browser app: compare schemes, what-ifs, studies")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: only this machine)")
    p.add_argument("--port", type=int, default=8050)
    p.add_argument("--results", default=None, help="results folder to open studies from (default results/)")
    p.add_argument("--workers", type=flags.dashboard_workers, default=None,
                   help="processes for background runs (default: cores; 0 = one thread)")
    p.set_defaults(func=cmd_dashboard)


def cmd_dashboard(args) -> int:
    from dashboard.app import create_app
    from dashboard.config import DashboardConfig

    if not 0 < args.port < 65536:
        print(f"simpolicy dashboard: error: --port {args.port} is not a port", file=sys.stderr)
        return 2
    config = DashboardConfig.from_env(args.results, args.workers)
    app = create_app(config)
    app.server.config["SIMPOLICY_HOSTS"] = (args.host.strip("[]").lower(),)  # the Host header check
    # SIGTERM (systemd, docker, kill) ends the server like Ctrl-C, so the workers are stopped
    # below; before, the forkserver and its workers (about 1 GB) outlived the server
    signal.signal(signal.SIGTERM, _interrupt)
    # the server lives long and draws often: what exists now (Dash, plotly, pandas, the
    # catalogue) lives as long as it does, so the collector need not walk it again; a full
    # collection over those 400,000 objects cost a redraw 14 ms on average
    gc.freeze()
    jobs = app.simpolicy.jobs
    threading.Thread(target=jobs.warm, name="warm-workers", daemon=True).start()
    print(f"simpolicy dashboard on http://{args.host}:{args.port}/ (results: {config.results_dir}); "
          "Ctrl+C stops it", file=sys.stderr)
    try:
        app.run(host=args.host, port=args.port, debug=False, dev_tools_disable_version_check=True)
    finally:
        jobs.shutdown()
    return 0


def _interrupt(_signum, _frame):
    raise KeyboardInterrupt
