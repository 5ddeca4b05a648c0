"""The confusion-matrix PNG (matplotlib, headless), with Hangul class names drawn in a
Hangul font when the machine has one and romanised otherwise (never as empty boxes)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

_INITIALS = "g kk n d tt r m b pp s ss - j jj ch k t p h".split()
_VOWELS = "a ae ya yae eo e yeo ye o wa wae oe yo u wo we wi yu eu ui i".split()
_FINALS = [
    "",
    "k",
    "k",
    "k",
    "n",
    "n",
    "n",
    "t",
    "l",
    "k",
    "m",
    "l",
    "l",
    "l",
    "p",
    "l",
    "m",
    "p",
    "p",
    "t",
    "t",
    "ng",
    "t",
    "t",
    "k",
    "t",
    "p",
    "t",
]


def romanize(text: str) -> str:
    """Revised Romanization of Hangul syllables, letter by letter (no sound-change rules)."""
    out = []
    for ch in text:
        code = ord(ch) - 0xAC00
        if 0 <= code < 11172:
            initial = _INITIALS[code // 588].replace("-", "")
            out.append(initial + _VOWELS[(code % 588) // 28] + _FINALS[code % 28])
        else:
            out.append(ch)
    return "".join(out)


@lru_cache(maxsize=1)
def hangul_font() -> str | None:
    """The family name of an installed font with Hangul, registered with matplotlib."""
    from matplotlib import font_manager

    from specrun_textkit.fonts import hangul_font_or_none

    path = hangul_font_or_none()
    if path is None:
        return None
    try:
        font_manager.fontManager.addfont(str(path))
        return str(font_manager.FontProperties(fname=str(path)).get_name())
    except (OSError, RuntimeError, ValueError):
        return None


def confusion_png(matrix: Any, classes: list[str], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    font = hangul_font()
    names = classes if font else [romanize(c) for c in classes]
    k = len(classes)
    size = max(4.0, 0.6 * k + 2)
    with plt.rc_context({"font.family": [font, "DejaVu Sans"] if font else ["DejaVu Sans"]}):
        fig, ax = plt.subplots(figsize=(size, size * 0.9))
        im = ax.imshow(matrix, cmap="Blues")
        ax.set_xticks(range(k), names, rotation=45, ha="right")
        ax.set_yticks(range(k), names)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_title(title)
        peak = matrix.max() if matrix.size else 0
        for i in range(k):
            for j in range(k):
                ax.text(
                    j,
                    i,
                    str(int(matrix[i, j])),
                    ha="center",
                    va="center",
                    color="white" if peak and matrix[i, j] > peak / 2 else "black",
                    fontsize=8,
                )
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        plt.close(fig)
