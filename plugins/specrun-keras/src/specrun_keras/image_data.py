"""Image data kinds: a folder per class, a table of paths and labels, generated shapes.

Each gives a Dataset of Polars frames with columns ``path`` (absolute), ``name`` (relative,
what samples show) and ``label``. Files that do not decode are skipped and counted (a log
line and the ``data/skipped_images`` metric), never a crash. PIL, numpy and Polars only.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from specrun import DataError, Dataset
from specrun.builtins.data import read_table
from specrun.builtins.splits import split_frame

from .image_params import (
    IMAGE_EXTENSIONS,
    GeneratedShapesParams,
    ImageFolderParams,
    ImageTableParams,
)


def unreadable_reason(path: Path) -> str | None:
    """Why ``path`` is not a usable image, or None. Decodes fully: truncated files pass
    ``verify()`` but fail here, and would otherwise crash training halfway through."""
    from PIL import Image

    try:
        with Image.open(path) as im:
            im.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}".rstrip(": ")
    return None


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def image_dataset(ctx: Any, rows: list[tuple[Path, str, str]], split: Any, where: str) -> Dataset:
    """Drop unreadable images (logged and counted), check the classes, split, fingerprint.

    ``rows`` are (absolute path, display name, label)."""
    import polars as pl

    good, skipped = [], []
    for path, name, label in rows:
        reason = unreadable_reason(path)
        if reason is None:
            good.append((path, name, label))
        else:
            skipped.append((name, reason))
    if skipped:
        shown = "; ".join(f"{n} ({r})" for n, r in skipped[:3])
        more = f" and {len(skipped) - 3} more" if len(skipped) > 3 else ""
        ctx.log(f"{where}: skipped {len(skipped)} unreadable image(s): {shown}{more}")
    ctx.log_metrics({"images": len(good), "skipped_images": len(skipped)}, step=0, split="data")
    if not good:
        raise DataError(
            f"{where}: all {len(rows)} image file(s) are unreadable "
            f"(first: {skipped[0][0]}: {skipped[0][1]})"
        )
    classes = sorted({label for _, _, label in good})
    if len(classes) < 2:
        raise DataError(
            f"{where}: found one class only ({classes[0]!r}, {len(good)} images); "
            "a classifier needs images of at least two classes"
        )
    df = pl.DataFrame(
        {
            "path": [str(p) for p, _, _ in good],
            "name": [n for _, n, _ in good],
            "label": [lab for _, _, lab in good],
        }
    )
    digest = hashlib.sha256()
    for path, name, label in sorted(good, key=lambda r: r[1]):
        digest.update(f"{name}\t{label}\t{_file_digest(path)}\n".encode())
    splits = split_frame(df, split, ctx.seed)
    digest.update(repr(sorted((k, v["name"].to_list()) for k, v in splits.items())).encode())
    meta = {
        "image_column": "path",
        "label_column": "label",
        "labels": classes,
        "image_ops": [],
        "skipped_images": len(skipped),
    }
    return Dataset(splits, meta=meta, fingerprint=digest.hexdigest())


class ImageFolder:
    def __init__(self, params: ImageFolderParams):
        self.params = params

    def load(self, ctx: Any) -> Dataset:
        root = Path(self.params.path)
        exts = set(self.params.extensions)
        rows: list[tuple[Path, str, str]] = []
        for class_dir in sorted(
            d for d in root.iterdir() if d.is_dir() and not d.name.startswith(".")
        ):
            files = sorted(
                f for f in class_dir.rglob("*") if f.is_file() and f.suffix.lower() in exts
            )
            if self.params.limit_per_class:
                files = files[: self.params.limit_per_class]
            rows += [(f, f.relative_to(root).as_posix(), class_dir.name) for f in files]
        if not rows:
            loose = [f for f in root.iterdir() if f.is_file() and f.suffix.lower() in exts]
            if loose:
                raise DataError(
                    f"data.path: {root} holds {len(loose)} image(s) but no class folders; "
                    "put each class's images in a sub-folder named after the class"
                )
            raise DataError(
                f"data.path: no images under {root} (looked for {', '.join(sorted(exts))} "
                "files in one sub-folder per class)"
            )
        return image_dataset(ctx, rows, self.params.split, f"image folder {root}")


class ImageTable:
    def __init__(self, params: ImageTableParams):
        self.params = params

    def load(self, ctx: Any) -> Dataset:
        p = self.params
        df = read_table(Path(p.path), p.format)
        for key, col in (("path_column", p.path_column), ("label_column", p.label_column)):
            if col not in df.columns:
                raise DataError(
                    f"data.{key}: column {col!r} is not in {p.path} "
                    f"(columns: {', '.join(df.columns)})"
                )
        root = Path(p.root) if p.root else Path(p.path).parent
        rows, missing = [], []
        for raw, label in zip(
            df[p.path_column].to_list(), df[p.label_column].to_list(), strict=True
        ):
            if raw is None or label is None:
                continue
            path = Path(str(raw)).expanduser()
            path = path if path.is_absolute() else root / path
            if path.is_file():
                rows.append((path, str(raw), str(label)))
            else:
                missing.append(str(raw))
        if missing:
            # A missing file is the same kind of damage as a corrupt one: count it, go on.
            ctx.log(
                f"{p.path}: {len(missing)} listed image(s) do not exist under {root}: "
                + ", ".join(missing[:3])
                + (" ..." if len(missing) > 3 else "")
            )
        if not rows:
            raise DataError(f"{p.path}: none of the {df.height} listed images exist under {root}")
        ds = image_dataset(ctx, rows, p.split, f"image table {p.path}")
        if missing:
            ctx.log_metrics({"missing_images": len(missing)}, step=0, split="data")
        return ds


# ----------------------------------------------------------------------------- generated

GENERATOR_VERSION = 1  # bump when drawing changes, so cached sets are regenerated


class GeneratedShapes:
    def __init__(self, params: GeneratedShapesParams):
        self.params = params

    def _folder(self, ctx: Any) -> Path:
        p = self.params
        base = p.cache_dir or getattr(ctx, "cache_dir", None)
        if not p.cache or base is None:
            return Path(ctx.work_dir) / "generated_shapes"
        key = p.model_dump(mode="json", exclude={"split", "cache", "cache_dir"})
        tag = hashlib.sha256(repr((sorted(key.items()), ctx.seed, GENERATOR_VERSION)).encode())
        return Path(base).expanduser() / "generated_shapes" / f"shapes-{tag.hexdigest()[:12]}"

    def load(self, ctx: Any) -> Dataset:
        from .shapes import write_shape_images

        p = self.params
        folder = self._folder(ctx)
        if not (folder / ".complete").exists():
            with ctx.progress(p.per_class * len(p.classes), "drawing shapes") as bar:
                write_shape_images(
                    folder,
                    p.classes,
                    p.per_class,
                    (p.min_side, p.max_side),
                    p.noise,
                    ctx.seed,
                    on_image=bar.update,
                )
        rows = [
            (f, f.relative_to(folder).as_posix(), f.parent.name)
            for f in sorted(folder.glob("*/*.png"))
        ]
        return image_dataset(ctx, rows, p.split, "generated shapes")


__all__ = ["ImageFolder", "ImageTable", "GeneratedShapes", "image_dataset", "IMAGE_EXTENSIONS"]
