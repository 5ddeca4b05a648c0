"""Sending alerts off the run's path: one background thread calls Apprise, so a slow or
dead webhook never holds up a run or a sweep's Tune loop; a failure is printed once. At
interpreter exit the queue gets ``SPECRUN_NOTIFY_TIMEOUT`` seconds (default 30) to drain."""

from __future__ import annotations

import atexit
import logging
import os
import queue
import sys
import threading
from typing import Any

_warned: set[str] = set()


def warn_once(text: str) -> None:
    if text not in _warned:
        _warned.add(text)
        print(f"warning: specrun-notify: {text}", file=sys.stderr, flush=True)


def timeout_s() -> float:
    try:
        return float(os.environ.get("SPECRUN_NOTIFY_TIMEOUT", "30"))
    except ValueError:
        return 30.0


class Sender:
    def __init__(self) -> None:
        # Imported now, not at the first alert: the last alerts leave from our exit hook, when
        # a module that registers its own exit hook (concurrent.futures does) can no longer be
        # imported. Apprise loads its service modules on first use, requests its adapters.
        import concurrent.futures.thread  # noqa: F401

        import apprise
        import requests  # noqa: F401

        apprise.Apprise()

        # Apprise logs each failed delivery; with no handler Python would print them all.
        # One line of our own says it instead.
        log = logging.getLogger("apprise")
        log.addHandler(logging.NullHandler())
        log.propagate = False
        self._apprise = apprise
        self._queue: queue.Queue[Any] = queue.Queue()
        self.failures = 0
        self.sent = 0
        threading.Thread(target=self._work, name="specrun-notify", daemon=True).start()
        atexit.register(self._at_exit)

    def send(self, urls: list[str], title: str, body: str, kind: str) -> None:
        self._queue.put((list(urls), title, body, kind))

    def flush(self, timeout: float | None = None) -> bool:
        done = threading.Event()
        self._queue.put(done)
        return done.wait(timeout)

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if isinstance(item, threading.Event):
                item.set()
                continue
            urls, title, body, kind = item
            try:
                # Each service's own notify(), one after the other: Apprise() would hand them to
                # a thread pool, and the last alerts leave from our exit hook, when Python no
                # longer gives a pool new work.
                kind_ = self._apprise.NotifyType(kind)
                ok = True
                for url in urls:
                    service = self._apprise.Apprise.instantiate(url)
                    ok = (
                        bool(
                            service is not None
                            and service.notify(body=body, title=title, notify_type=kind_)
                        )
                        and ok
                    )
            except Exception as exc:  # noqa: BLE001 - an alert must never fail the experiment
                ok = False
                warn_once(f"could not send {title!r}: {type(exc).__name__}: {exc}")
            if ok:
                self.sent += 1
            else:
                self.failures += 1
                warn_once(
                    f"an alert could not be delivered to {', '.join(_private(u) for u in urls)} "
                    "(the run is not affected; later failures are not shown)"
                )

    def _at_exit(self) -> None:
        if not self.flush(timeout_s()):
            warn_once(
                f"alerts still unsent after {timeout_s():g}s (SPECRUN_NOTIFY_TIMEOUT) were dropped"
            )


def _private(url: str) -> str:
    """Only the scheme and host: URLs carry tokens and passwords."""
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0].rsplit("@", 1)[-1]
    return f"{scheme}://{host}/..." if rest else url


_sender: Sender | None = None
_lock = threading.Lock()


def get_sender() -> Sender:
    global _sender
    with _lock:
        if _sender is None:
            _sender = Sender()
    return _sender


def flush(timeout: float | None = None) -> bool:
    """Wait until every alert so far was sent or failed (True), or ``timeout`` passed."""
    return True if _sender is None else _sender.flush(timeout)
