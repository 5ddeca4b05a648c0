"""Event files TensorBoard reads, written with TensorBoard's own writer and protos (no
TensorFlow, no torch).

Scalars are written as float64 tensors with the scalars plugin's metadata, as
``tf.summary.scalar`` does in TF 2, so TensorBoard shows them and a reader gets back the very
float the store holds (the older ``simple_value`` field is a float32 and would round it).
"""

from __future__ import annotations

import struct
import time
from pathlib import Path
from typing import Any

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif")


def without_tensorflow() -> None:
    """Make TensorBoard use its own file layer, not TensorFlow's (seconds to import, and
    never needed for local event files). ``tensorboard.compat`` imports TensorFlow when it is
    installed unless the ``tensorboard.compat.notf`` module exists, which is how TensorBoard's
    own TF-free build says so."""
    import sys
    import types

    if "tensorflow" not in sys.modules:
        sys.modules.setdefault(
            "tensorboard.compat.notf", types.ModuleType("tensorboard.compat.notf")
        )


def run_label(
    name: str, run_id: str, role: str, sweep_id: str | None, parent_id: str | None
) -> str:
    """The run's folder under the log dir: trials under their sweep, folds under their cv."""
    if sweep_id:
        return f"{name}/sweep-{sweep_id}/{run_id}"
    if role == "fold" and parent_id:
        return f"{name}/cv-{parent_id}/{run_id}"
    if role == "cv":
        return f"{name}/cv-{run_id}/{run_id}"
    return f"{name}/{run_id}"


class RunEvents:
    """One run's event file. ``EventFileWriter`` queues events and writes them in its own
    thread, so a call here costs the building of one small protobuf."""

    def __init__(self, folder: Path):
        without_tensorflow()
        from tensorboard.summary.writer.event_file_writer import EventFileWriter

        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        # A queue long enough that a run never waits for the writer thread.
        self.writer = EventFileWriter(str(folder), max_queue_size=10_000, flush_secs=5)
        self._scalar_meta: Any = None

    def scalars(self, values: dict[str, float], step: int, wall_time: float | None = None) -> None:
        """Every value of one step in one event: TensorBoard's writer checksums each event in
        pure Python, so one event per step instead of one per metric is most of the cost."""
        from tensorboard.compat.proto import summary_pb2, tensor_pb2, types_pb2
        from tensorboard.plugins.scalar import metadata

        if self._scalar_meta is None:
            self._scalar_meta = metadata.create_summary_metadata(display_name="", description="")
        self._add(
            [
                summary_pb2.Summary.Value(
                    tag=tag,
                    metadata=self._scalar_meta,
                    tensor=tensor_pb2.TensorProto(
                        dtype=types_pb2.DT_DOUBLE, double_val=[float(value)]
                    ),
                )
                for tag, value in values.items()
            ],
            step,
            wall_time,
        )

    def text(self, tag: str, text: str, step: int = 0, wall_time: float | None = None) -> None:
        from tensorboard.compat.proto import summary_pb2, tensor_pb2, types_pb2
        from tensorboard.plugins.text import metadata

        tensor = tensor_pb2.TensorProto(
            dtype=types_pb2.DT_STRING, string_val=[text.encode("utf-8")]
        )
        meta = metadata.create_summary_metadata(display_name="", description="")
        self._add(
            [summary_pb2.Summary.Value(tag=tag, tensor=tensor, metadata=meta)], step, wall_time
        )

    def image(self, tag: str, data: bytes, step: int, wall_time: float | None = None) -> None:
        from tensorboard.compat.proto import summary_pb2

        width, height = image_size(data)
        image = summary_pb2.Summary.Image(
            height=height, width=width, colorspace=3, encoded_image_string=data
        )
        self._add([summary_pb2.Summary.Value(tag=tag, image=image)], step, wall_time)

    def _add(self, values: list[Any], step: int, wall_time: float | None) -> None:
        from tensorboard.compat.proto import event_pb2, summary_pb2

        event = event_pb2.Event(
            wall_time=time.time() if wall_time is None else wall_time,
            step=int(step),
            summary=summary_pb2.Summary(value=values),
        )
        self.writer.add_event(event)

    def close(self) -> None:
        self.writer.close()


def image_size(data: bytes) -> tuple[int, int]:
    """(width, height) of a PNG, GIF or JPEG from its header; (0, 0) if unknown."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        w, h = struct.unpack(">II", data[16:24])
        return int(w), int(h)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        w, h = struct.unpack("<HH", data[6:10])
        return int(w), int(h)
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            length = struct.unpack(">H", data[i + 2 : i + 4])[0]
            if marker in (0xC0, 0xC1, 0xC2):  # start of frame: height, then width
                h, w = struct.unpack(">HH", data[i + 5 : i + 9])
                return int(w), int(h)
            i += 2 + length
    return 0, 0


def spec_markdown(spec: dict[str, Any]) -> str:
    """The resolved spec as YAML in a Markdown code block (TensorBoard renders Markdown)."""
    import yaml

    text = yaml.safe_dump(spec, sort_keys=False, allow_unicode=True)
    return "\n".join("    " + line for line in text.splitlines())
