"""``simpolicy dashboard``: serves the browser app on 127.0.0.1 (debug off).

Parse, build the app, serve: the app lives in the top-level ``dashboard`` package and is
imported only when this command runs, so other commands never load Dash.
"""

from __future__ import annotations

import gc
import signal
import socket
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
    host = args.host.strip("[]").lower()
    names = (host,)
    if host not in LOCAL:
        names += beyond_localhost(host, args.port, config.results_dir)
    app.server.config["SIMPOLICY_HOSTS"] = names  # the Host header check
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


LOCAL = ("127.0.0.1", "localhost", "::1")
WILDCARDS = ("0.0.0.0", "::", "")


def beyond_localhost(host: str, port: int, results) -> tuple[str, ...]:
    """Warns, in a few lines that cannot be missed, that the server is reachable from
    other machines; returns the names they will use (allowed by the Host header check).

    The dashboard has no login: anyone who reaches it can start runs and read every study
    in the results folder. 0.0.0.0 also means other machines send the LAN address as their
    ``Host``, which the DNS-rebinding check would otherwise answer with 421.
    """
    names = (host,)
    if host in WILDCARDS:
        names = tuple(dict.fromkeys([*lan_addresses(v6=host == "::"), socket.gethostname().lower(),
                                     socket.getfqdn().lower()]))
    shown = ", ".join(f"http://{'[' + n + ']' if ':' in n else n}:{port}/" for n in names if n) or host
    print(f"WARNING: --host {host or '(empty)'} serves the dashboard beyond this machine, at {shown}\n"
          f"WARNING: it has no login: anyone on the network can start runs and read every study in "
          f"{results}\nWARNING: leave out --host (default 127.0.0.1) unless that is what you mean",
          file=sys.stderr)
    return names


def lan_addresses(v6: bool = True) -> list[str]:
    """This machine's address on its network (the interface of the default route), if any;
    the IPv6 one only when ``v6`` (0.0.0.0 listens on IPv4 only)."""
    found = []
    probes = ((socket.AF_INET, "10.255.255.255"), (socket.AF_INET6, "fd00::1"))
    for family, probe in probes[:2 if v6 else 1]:
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as s:
                s.connect((probe, 1))  # UDP: nothing is sent, the kernel only picks a route
                found.append(s.getsockname()[0])
        except OSError:
            continue
    return found


def _interrupt(_signum, _frame):
    raise KeyboardInterrupt
