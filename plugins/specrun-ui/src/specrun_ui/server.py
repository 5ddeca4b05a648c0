"""The web app (Starlette) and its server (uvicorn). Every endpoint opens the store for
one read and closes it again (core's ``Store`` attaches the file per query), so the UI
never holds the file between requests and a run that writes is never blocked by it."""

from __future__ import annotations

import hmac
import io
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from specrun.errors import UserError
from specrun.store.query import Store
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from . import samples, series, sweeps, views
from .jsonable import dumps

STATIC = Path(__file__).with_name("static")
SQL_SHOWN_ROWS = 1000
SQL_TIMEOUT_S = 30.0
TOKEN_COOKIE = "specrun_ui_token"


def _json(data: Any, status: int = 200) -> Response:
    return Response(dumps(data), status_code=status, media_type="application/json")


def _error(exc: Exception) -> Response:
    message = str(exc)
    missing = (
        message.startswith(("no run ", "no sweep "))
        or " has no artifact" in message
        or " has no file" in message
    )
    status = 404 if missing else 400
    return _json({"error": message}, status)


def _ids(request: Request) -> list[str]:
    raw = request.query_params.getlist("runs")
    return [r for part in raw for r in part.split(",") if r.strip()]


def build_app(store_path: str | None, token: str | None = None) -> Starlette:
    store = Store(store_path)

    def endpoint(read: Callable[[Request], Any]) -> Callable[[Request], Response]:
        def handle(request: Request) -> Response:
            if not store.exists():
                return _json(
                    {
                        "error": f"no run store at {store.path}: it is created by the first "
                        "`specrun run` (choose another with --store)"
                    },
                    404,
                )
            try:
                result = read(request)
            except UserError as exc:  # StoreError included: the CLI's own message
                return _error(exc)
            except ValueError as exc:
                return _json({"error": f"bad request: {exc}"}, 400)
            return result if isinstance(result, Response) else _json(result)

        return handle

    def runs(request: Request) -> Any:
        q = request.query_params
        query = {k: q.get(k) for k in ("name", "tag", "status", "sweep", "sort", "offset", "limit")}
        query["where"] = q.getlist("where")
        query["cols"] = [c for part in q.getlist("cols") for c in part.split(",")]
        return views.runs_page(store, query)

    def run(request: Request) -> Any:
        return views.run_page(store, request.path_params["ref"])

    def artifact(request: Request) -> Any:
        run_id = store.resolve_run_id(request.path_params["ref"])
        name = request.path_params["name"]
        path = store.artifact_path(run_id, name)
        if not path.is_file():
            raise UserError(f"run {run_id} has no file for its artifact {name!r} (removed by gc?)")
        download = request.query_params.get("download") is not None
        return FileResponse(
            path,
            filename=Path(name).name if download else None,
            content_disposition_type="attachment" if download else "inline",
        )

    def curves(request: Request) -> Any:
        ids = _ids(request)
        if not ids:
            raise UserError("name the runs: ?runs=ID,ID")
        q = request.query_params
        points = int(q.get("max_points") or series.MAX_POINTS)
        return {"curves": series.curves(store, views.run_ids(store, ids), q.get("metric"), points)}

    def compare(request: Request) -> Any:
        ids = _ids(request)
        if not ids:
            raise UserError("select runs to compare: ?runs=ID,ID")
        return views.compare_page(store, ids)

    def sweep_list(request: Request) -> Any:
        return {"sweeps": sweeps.sweeps_list(store)}

    def sweep(request: Request) -> Any:
        return sweeps.sweep_page(store, request.path_params["ref"])

    def sample_rows(request: Request) -> Any:
        q = request.query_params
        ids = _ids(request)
        if not ids:
            raise UserError("select runs: ?runs=ID,ID")
        return samples.samples_page(
            store,
            ids,
            q.get("split") or None,
            q.get("sort") or "index",
            q.get("score") or None,
            int(q.get("offset") or 0),
            int(q.get("limit") or 50),
        )

    def sql(request: Request) -> Any:
        text = request.query_params.get("q", "")
        frame = store.query(text, timeout=SQL_TIMEOUT_S)  # refuses writes as `specrun query` does
        return views.sql_rows(frame, SQL_SHOWN_ROWS)

    def sql_download(request: Request) -> Any:
        q = request.query_params
        fmt = q.get("format", "csv")
        if fmt not in ("csv", "parquet"):
            raise UserError(f"format {fmt!r}: choose csv or parquet")
        frame = store.query(q.get("q", ""), timeout=SQL_TIMEOUT_S)
        buf = io.BytesIO()
        if fmt == "csv":
            frame.write_csv(buf)
            media = "text/csv"
        else:
            frame.write_parquet(buf)
            media = "application/vnd.apache.parquet"
        return Response(
            buf.getvalue(),
            media_type=media,
            headers={"content-disposition": f'attachment; filename="query.{fmt}"'},
        )

    def index(request: Request) -> Response:
        response = FileResponse(STATIC / "index.html")
        if token and request.query_params.get("token") == token:
            response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict")
        return response

    routes = [
        Route("/", index),
        Route("/api/runs", endpoint(runs)),
        Route("/api/columns", endpoint(lambda r: views.columns(store))),
        Route("/api/runs/{ref}", endpoint(run)),
        Route("/api/runs/{ref}/artifacts/{name:path}", endpoint(artifact)),
        Route("/api/series", endpoint(curves)),
        Route("/api/compare", endpoint(compare)),
        Route("/api/sweeps", endpoint(sweep_list)),
        Route("/api/sweeps/{ref}", endpoint(sweep)),
        Route("/api/samples", endpoint(sample_rows)),
        Route("/api/sql", endpoint(sql)),
        Route("/api/sql/download", endpoint(sql_download)),
        Mount("/static", StaticFiles(directory=STATIC)),
    ]
    app = Starlette(routes=routes)
    return TokenGuard(app, token) if token else app  # type: ignore[return-value]


class TokenGuard:
    """Off loopback every request carries the token: ``?token=``, the cookie the first page
    sets from it, or an ``Authorization: Bearer`` header."""

    def __init__(self, app: Any, token: str):
        self.app, self.token = app, token

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and not self._allowed(Request(scope)):
            await Response(
                "a token is required: open the URL that `specrun ui` printed\n",
                status_code=401,
                media_type="text/plain",
            )(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _allowed(self, request: Request) -> bool:
        given = (
            request.query_params.get("token")
            or request.cookies.get(TOKEN_COOKIE)
            or request.headers.get("authorization", "").removeprefix("Bearer ")
        )
        return bool(given) and hmac.compare_digest(given, self.token)


def serve(store_path: str | None, host: str, port: int, token: str | None) -> None:
    import uvicorn

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        raise UserError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(2048)  # connections made as soon as the URL is printed wait in the backlog
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{bound}/" + (f"?token={token}" if token else "")
    print(f"specrun ui: {Store(store_path).path} at {url}", flush=True)
    sys.stdout.flush()
    config = uvicorn.Config(build_app(store_path, token), log_level="warning", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])
