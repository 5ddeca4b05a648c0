"""specrun-yolo: ultralytics YOLO detection for specrun.

Kinds: model ``yolo``; data ``generated_detection``, ``yolo_folder``, ``coco``, ``voc``.
Importing this package imports nothing heavy; ultralytics loads when a run starts.
"""

__version__ = "0.1.0"
