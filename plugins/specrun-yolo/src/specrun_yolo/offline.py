"""Keeping ultralytics offline, out of the user's home and cwd, and quiet.

Where ultralytics reaches the network, and what stops it here:

- import: ``is_online()`` resolves one.one.one.one and dns.google -> ``YOLO_OFFLINE=1``
  before the first import makes it return False (so ``ONLINE`` is False everywhere);
- analytics (``utils/events.py``) and the PyPI update check -> ``sync: False`` and
  ``ONLINE`` False;
- ``check_det_dataset`` and PIL plots call ``check_font('Arial.ttf')`` (or
  ``Arial.Unicode.ttf`` for non-ASCII class names), which downloads the font when it is not
  in the config dir -> a local font is copied there first;
- the AMP check on CUDA loads ``yolo26n.pt``, downloading it -> fp16 AMP (which needs that
  check) is never asked for: on GPU ``amp`` becomes ``bf16`` (no check) or off;
- weights given by name (``yolov8n.pt``) are downloaded -> the plugin accepts an
  architecture yaml (built locally) or an existing local ``.pt`` only;
- Platform / HUB streaming needs an API key -> ``ULTRALYTICS_API_KEY`` is hidden during
  the run and ``api_key`` is empty; integrations (mlflow writes ./mlruns, raytune,
  comet, clearml, dvc, wandb, tensorboard) are switched off.

Settings live in ``YOLO_CONFIG_DIR`` (set to specrun's cache dir unless the user chose one),
never in ~/.config/Ultralytics; training output goes to the run's work dir.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

INTEGRATIONS = ("clearml", "comet", "dvc", "mlflow", "raytune", "tensorboard", "wandb")
# Fonts that cover Hangul and CJK, for non-ASCII class names; DejaVu Sans otherwise.
_UNICODE_FONT_HINTS = (
    "NotoSansCJK",
    "NotoSansKR",
    "Nanum",
    "UnDotum",
    "Source Han",
    "DroidSansFallback",
)


def cache_dir() -> Path:
    base = os.environ.get("SPECRUN_YOLO_CACHE")
    if base:
        return Path(base).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "specrun" / "ultralytics"


def configure_ultralytics(runs_dir: Path | None = None) -> Path:
    """Make ultralytics offline-safe in this process; returns its config dir.

    Call before anything imports ultralytics: the environment variables are read at its
    import. Safe to call again (each run calls it).
    """
    os.environ["YOLO_OFFLINE"] = "1"
    if "ultralytics" not in sys.modules:
        os.environ.setdefault("YOLO_CONFIG_DIR", str(cache_dir()))
        # Quiet from the start: the first import in a fresh config dir announces its settings.
        os.environ.setdefault("YOLO_VERBOSE", "False")
    import ultralytics.utils as uu

    overrides: dict[str, Any] = {"sync": False, "api_key": "", **{k: False for k in INTEGRATIONS}}
    base = cache_dir()
    overrides.update(
        weights_dir=str(base / "weights"),
        datasets_dir=str(base / "datasets"),
        runs_dir=str(runs_dir or base / "runs"),
    )
    if Path(uu.SETTINGS.file).parent == base / "Ultralytics":
        # Our own config dir: persist, so that the next process imports with sync off too
        # (not the runs_dir: it is this run's temp dir).
        persisted = {**overrides, "runs_dir": str(base / "runs")}
        if any(uu.SETTINGS.get(k) != v for k, v in persisted.items()):
            uu.SETTINGS.update(persisted)
    # In memory for this process, whoever owns the settings file (plain dict.update does not
    # write the user's settings.json).
    dict.update(uu.SETTINGS, overrides)
    uu.ONLINE = False
    for name in ("ultralytics.utils.checks", "ultralytics.utils.downloads"):
        if name in sys.modules and getattr(sys.modules[name], "ONLINE", False):
            sys.modules[name].ONLINE = False
    events = sys.modules.get("ultralytics.utils.events")
    if events is not None and hasattr(events, "events"):
        events.events.enabled = False  # imported before sync was switched off
    _provide_fonts(Path(uu.USER_CONFIG_DIR))
    return Path(uu.USER_CONFIG_DIR)


def _provide_fonts(config_dir: Path) -> None:
    """Put Arial.ttf / Arial.Unicode.ttf where ``check_font`` looks first, so it never
    downloads them. The files are local fonts under those names (matplotlib's DejaVu Sans,
    or a CJK font when the system has one)."""
    import matplotlib
    from matplotlib import font_manager

    config_dir.mkdir(parents=True, exist_ok=True)
    dejavu = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    unicode_font = next(
        (
            Path(f.fname)
            for f in font_manager.fontManager.ttflist
            if any(h.lower() in f.fname.lower() for h in _UNICODE_FONT_HINTS)
            and f.fname.lower().endswith((".ttf", ".otf"))
        ),
        dejavu,
    )
    for name, source in (("Arial.ttf", dejavu), ("Arial.Unicode.ttf", unicode_font)):
        target = config_dir / name
        if not target.is_file() and source.is_file():
            tmp = target.with_suffix(f".tmp{os.getpid()}")
            shutil.copyfile(source, tmp)
            os.replace(tmp, target)  # atomic: parallel runs share the cache dir


class _RunLogHandler(logging.Handler):
    """Ultralytics warnings and errors as dim lines on the driver (``ctx.log``)."""

    def __init__(self, ctx: Any):
        super().__init__(level=logging.WARNING)
        self.ctx = ctx

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage().strip()
            if text:
                self.ctx.log(f"ultralytics: {text}")
        except Exception:  # noqa: BLE001 - logging must never break training
            self.handleError(record)


@contextmanager
def ultralytics_session(ctx: Any, verbose: bool) -> Iterator[None]:
    """During a run: ultralytics' console output only when verbose (its warnings always reach
    the driver), no Platform API key, and everything restored afterwards."""
    import warnings

    from ultralytics.utils import LOGGER

    saved_level, saved_handlers = LOGGER.level, list(LOGGER.handlers)
    api_key = os.environ.pop("ULTRALYTICS_API_KEY", None)
    handler = _RunLogHandler(ctx)
    if verbose:
        LOGGER.setLevel(logging.INFO)
        LOGGER.addHandler(handler)
    else:
        # WARNING also disables ultralytics' tqdm bars (they show at INFO only).
        LOGGER.setLevel(logging.WARNING)
        LOGGER.handlers = [handler]
    try:
        with warnings.catch_warnings():
            if not verbose:
                warnings.simplefilter(
                    "ignore"
                )  # torch/numpy deprecation chatter from inside ultralytics
            yield
    finally:
        LOGGER.handlers = saved_handlers
        LOGGER.setLevel(saved_level)
        if api_key is not None:
            os.environ["ULTRALYTICS_API_KEY"] = api_key
