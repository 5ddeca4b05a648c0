"""Shared fixtures: the network blocked for every test, small annotated image sets on disk,
and spec files written into the test's tmp dir."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
from specrun import testing

LOOPBACK = {"localhost", "127.0.0.1", "::1", "0.0.0.0", "", None}


class NetworkGuard:
    """Refuses and records every attempt to reach a non-loopback address."""

    def __init__(self) -> None:
        self.attempts: list[tuple[str, Any]] = []

    @staticmethod
    def _host(address: Any) -> Any:
        return address[0] if isinstance(address, tuple) else address

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        real_connect, real_getaddrinfo = socket.socket.connect, socket.getaddrinfo
        real_connect_ex = socket.socket.connect_ex
        guard = self

        def connect(sock: socket.socket, address: Any) -> Any:
            if sock.family == socket.AF_UNIX or guard._host(address) in LOOPBACK:
                return real_connect(sock, address)
            guard.attempts.append(("connect", address))
            raise OSError(f"network blocked by the test: connect to {address}")

        def connect_ex(sock: socket.socket, address: Any) -> Any:
            if sock.family == socket.AF_UNIX or guard._host(address) in LOOPBACK:
                return real_connect_ex(sock, address)
            guard.attempts.append(("connect_ex", address))
            return 111  # ECONNREFUSED

        def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
            if host in LOOPBACK or (isinstance(host, str) and host.startswith("127.")):
                return real_getaddrinfo(host, *args, **kwargs)
            guard.attempts.append(("getaddrinfo", host))
            raise socket.gaierror(f"network blocked by the test: resolve {host}")

        def sendto(sock: socket.socket, data: Any, *args: Any) -> Any:
            guard.attempts.append(("sendto", args[-1] if args else None))
            raise OSError("network blocked by the test: sendto")

        monkeypatch.setattr(socket.socket, "connect", connect)
        monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
        monkeypatch.setattr(socket.socket, "sendto", sendto)
        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture(autouse=True)
def network(monkeypatch: pytest.MonkeyPatch) -> NetworkGuard:
    """Every test runs offline; one that tried to reach the network fails at teardown."""
    guard = NetworkGuard()
    guard.install(monkeypatch)
    yield guard
    assert guard.attempts == [], f"network access attempted: {guard.attempts}"


@pytest.fixture(autouse=True)
def _isolated_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One ultralytics config dir for the session (its import reads it once per process).
    cache = tmp_path_factory.getbasetemp() / "yolo-cache"
    monkeypatch.setenv("SPECRUN_YOLO_CACHE", str(cache))
    monkeypatch.setenv("SPECRUN_PLUGINS", "yolo")
    from specrun import plugins

    plugins.reset()


# ----------------------------------------------------------------------------- data on disk


def draw_image(path: Path, width: int, height: int, rects: list[tuple[int, int, int, int]]) -> None:
    from PIL import Image, ImageDraw

    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", (width, height), (30, 60, 90))
    draw = ImageDraw.Draw(image)
    for x0, y0, x1, y1 in rects:
        draw.rectangle([x0, y0, x1, y1], fill=(230, 200, 40))
    image.save(path)


def coco_set(
    root: Path,
    annotations: list[dict[str, Any]] | None = None,
    images: list[dict[str, Any]] | None = None,
    draw: bool = True,
) -> tuple[Path, Path]:
    """Two 80x60 images, two categories (ids 1 and 3: not contiguous, on purpose)."""
    image_dir = root / "images"
    images = (
        images
        if images is not None
        else [
            {"id": 1, "file_name": "a.png", "width": 80, "height": 60},
            {"id": 2, "file_name": "b.png", "width": 80, "height": 60},
        ]
    )
    annotations = (
        annotations
        if annotations is not None
        else [
            {"id": 10, "image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 30], "iscrowd": 0},
            {"id": 11, "image_id": 1, "category_id": 3, "bbox": [40, 20, 40, 40], "iscrowd": 0},
            {"id": 12, "image_id": 2, "category_id": 3, "bbox": [0, 0, 80, 60], "iscrowd": 0},
        ]
    )
    if draw:
        for img in images:
            draw_image(image_dir / img["file_name"], img["width"], img["height"], [])
    doc = {
        "images": images,
        "annotations": annotations,
        "categories": [{"id": 1, "name": "cat"}, {"id": 3, "name": "dog"}],
    }
    ann = root / "instances.json"
    ann.write_text(json.dumps(doc))
    return image_dir, ann


def voc_xml(filename: str | None, size: tuple[int, int], objects: list[tuple[str, tuple]]) -> str:
    objs = "".join(
        f"<object><name>{n}</name><difficult>0</difficult><bndbox><xmin>{b[0]}</xmin>"
        f"<ymin>{b[1]}</ymin><xmax>{b[2]}</xmax><ymax>{b[3]}</ymax></bndbox></object>"
        for n, b in objects
    )
    fn = f"<filename>{filename}</filename>" if filename else ""
    return (
        f"<annotation>{fn}<size><width>{size[0]}</width><height>{size[1]}</height>"
        f"<depth>3</depth></size>{objs}</annotation>"
    )


def yolo_folder(
    root: Path,
    labels: dict[str, str],
    images: list[str] | None = None,
    names: list[str] | None = None,
    split: str = "train",
) -> Path:
    """images/<split>/<stem>.png (64x64) with labels/<split>/<stem>.txt text."""
    for stem in images if images is not None else list(labels):
        draw_image(root / "images" / split / f"{stem}.png", 64, 64, [(8, 8, 40, 40)])
    for stem, text in labels.items():
        path = root / "labels" / split / f"{stem}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (root / "classes.txt").write_text("\n".join(names or ["box", "ring"]) + "\n")
    return root


def write_spec(
    path: Path, data: dict[str, Any], model: dict[str, Any] | None = None, **top: Any
) -> Path:
    spec = {
        "name": "yolo-test",
        "seed": 1,
        "data": data,
        "model": model or {"kind": "yolo", "arch": "yolov8n", "epochs": 1, "imgsz": 64},
        "resources": {"cpus": 1},
        **top,
    }
    return testing.write_spec(path.parent, spec, path.name)


@pytest.fixture
def store(tmp_path: Path) -> str:
    return str(tmp_path / "s.duckdb")
