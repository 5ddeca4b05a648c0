"""The ``notify:`` section and the hooks that turn run and sweep events into alerts.

Loaded by every `specrun` command: apprise is imported only to check the URLs of a spec that
has a ``notify:`` section, and to send. Without a section, ``SPECRUN_NOTIFY_URLS`` (Apprise
URLs separated by spaces or commas) turns alerts on for every run and sweep.
"""

from __future__ import annotations

import os
import re
import time
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from specrun import Params, hookimpl
from specrun.components import SpecSection

ENV_URLS = "SPECRUN_NOTIFY_URLS"
ENV_ON = "SPECRUN_NOTIFY_ON"
Status = Literal["finished", "failed", "interrupted", "stopped"]


def check_url(url: str) -> str:
    import apprise

    if apprise.Apprise.instantiate(url) is None:
        scheme = url.partition("://")[0] if "://" in url else ""
        hint = (
            f" (no Apprise service has the scheme {scheme!r})"
            if scheme
            else " (expected scheme://...)"
        )
        raise ValueError(f"not an Apprise URL Apprise can send to: {url!r}{hint}")
    return url


class Threshold(BaseModel):
    model_config = ConfigDict(extra="forbid")
    metric: str = Field(pattern=r"^[^/\s]+/\S+$", description="split/name, e.g. eval/accuracy")
    above: float | None = None
    below: float | None = None

    @model_validator(mode="after")
    def _one_bound(self) -> Threshold:
        if (self.above is None) == (self.below is None):
            raise ValueError("give exactly one of above: or below:")
        return self

    def crossed(self, value: float) -> bool:
        return value > self.above if self.above is not None else value < self.below  # type: ignore[operator]

    def describe(self) -> str:
        return f"{self.metric} {'>' if self.above is not None else '<'} {self.above if self.above is not None else self.below:g}"


class NotifySection(Params):
    """Send an alert through Apprise when a run or sweep ends or a metric crosses a threshold."""

    urls: list[Annotated[str, AfterValidator(check_url)]] = Field(
        default_factory=list, description="Apprise URLs (default: $SPECRUN_NOTIFY_URLS)"
    )
    on: list[Status] = Field(
        default_factory=lambda: list[Status](["finished", "failed"]),
        description="the end states that send an alert",
    )
    thresholds: list[Threshold] = Field(default_factory=list)
    each_trial: bool = Field(
        False, description="also alert for every sweep trial and cv fold, not only their end"
    )


def settings_of(spec: dict[str, Any] | None) -> NotifySection | None:
    """The alert settings of a run or sweep, or None when alerts are off for it."""
    section = (spec or {}).get("notify")
    env_urls = [u for u in re.split(r"[\s,]+", os.environ.get(ENV_URLS, "")) if u]
    if section is None and not env_urls:
        return None
    raw = dict(section or {})
    if not raw.get("urls"):
        raw["urls"] = env_urls
    if section is None and os.environ.get(ENV_ON):
        raw["on"] = [s for s in re.split(r"[\s,]+", os.environ[ENV_ON]) if s]
    try:
        settings = NotifySection.model_validate(raw)
    except Exception as exc:  # noqa: BLE001 - a bad environment variable warns, never fails a run
        from .sender import warn_once

        warn_once(
            f"{ENV_URLS}/{ENV_ON} are not usable, no alerts: {str(exc).splitlines()[-1].strip()}"
        )
        return None
    return settings if settings.urls else None


class _Watched:
    def __init__(self, settings: NotifySection):
        self.settings = settings
        self.started = time.monotonic()
        self.last: dict[str, float] = {}
        self.crossed: set[int] = set()


_watched: dict[str, _Watched] = {}


def _send(urls: list[str], title: str, body: str, kind: str) -> None:
    from .sender import get_sender, warn_once

    try:
        get_sender().send(urls, title, body, kind)
    except Exception as exc:  # noqa: BLE001 - an alert must never fail the experiment
        warn_once(f"cannot send alerts: {type(exc).__name__}: {exc}")


@hookimpl
def register_spec_sections(register: Any) -> None:
    register(SpecSection("notify", NotifySection))


@hookimpl
def run_started(run: Any) -> None:
    settings = settings_of(run.spec)
    if settings is not None:
        _watched[run.run_id] = _Watched(settings)


@hookimpl
def metrics_logged(run: Any, metrics: list[Any]) -> None:
    watched = _watched.get(run.run_id)
    if watched is None:
        return
    for p in metrics:
        if p.value is None:
            continue
        key = f"{p.split}/{p.name}"
        watched.last[key] = float(p.value)
        for i, threshold in enumerate(watched.settings.thresholds):
            if (
                i not in watched.crossed
                and threshold.metric == key
                and threshold.crossed(float(p.value))
            ):
                watched.crossed.add(i)
                from .messages import threshold_message

                _send(
                    watched.settings.urls,
                    *threshold_message(run, threshold, float(p.value), p.step),
                )


@hookimpl
def run_finished(run: Any, status: str, error: str | None) -> None:
    watched = _watched.pop(run.run_id, None)
    if watched is None or status not in watched.settings.on:
        return
    if run.role in ("trial", "fold") and not watched.settings.each_trial:
        return  # their sweep or cv parent says how it went
    from .messages import run_message

    _send(
        watched.settings.urls,
        *run_message(run, status, error, watched.last, time.monotonic() - watched.started),
    )


_sweeps: dict[str, float] = {}


@hookimpl
def sweep_started(sweep: Any) -> None:
    _sweeps[sweep.sweep_id] = time.monotonic()


@hookimpl
def sweep_finished(sweep: Any, status: str, error: str | None, best: dict[str, Any] | None) -> None:
    started = _sweeps.pop(sweep.sweep_id, None)
    settings = settings_of(sweep.spec)
    if settings is None or status not in settings.on:
        return
    from .messages import sweep_message

    took = time.monotonic() - started if started is not None else None
    _send(settings.urls, *sweep_message(sweep, status, error, best, took))
