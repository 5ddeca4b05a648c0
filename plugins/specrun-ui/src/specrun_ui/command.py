"""The `ui` click command; the web stack is imported only when it runs."""

from __future__ import annotations

import click

LOOPBACK = ("127.0.0.1", "localhost", "::1")


@click.command()
@click.option(
    "--store",
    type=click.Path(dir_okay=False),
    default=None,
    help="run store (default: $SPECRUN_STORE or store/specrun.duckdb)",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="address to listen on; any but loopback requires the printed token",
)
@click.option(
    "--port",
    default=8765,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="port (0: any free port; the URL printed says which)",
)
@click.option("--token", default=None, help="access token (default: a random one off loopback)")
def ui(store: str | None, host: str, port: int, token: str | None) -> None:
    """Serve a live web view of the run store: runs, compare, sweeps, samples and SQL.

    \b
    specrun ui --store store/specrun.duckdb      # then open the URL it prints
    """
    import secrets

    from .server import serve

    if token is None and host not in LOOPBACK:
        token = secrets.token_urlsafe(18)
    serve(store, host, port, token)
