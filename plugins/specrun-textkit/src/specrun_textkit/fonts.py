"""Finding a font that really has Hangul glyphs (word clouds, plots, YOLO's labels).

A font without Hangul draws every syllable as the same empty box, silently. So a font is
accepted only after its character map is checked for Hangul syllables, whichever way it
was found: the spec's ``font_path``, ``SPECRUN_HANGUL_FONT``, the usual install places of
Nanum/Noto/Apple/Malgun fonts, fontconfig (``fc-list :lang=ko``), then every system font
matplotlib knows. Needs matplotlib (and its fontTools) from the plugin that calls it.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from pathlib import Path

from specrun import UserError

APT_PACKAGE = "fonts-nanum"
PROBE = "한국어형태소분석가나다"
KNOWN_FONTS = (
    "/usr/share/fonts/truetype/nanum/NanumGothic.ttf",  # Debian/Ubuntu fonts-nanum
    "/usr/share/fonts/truetype/nanum/NanumBarunGothic.ttf",
    "/usr/share/fonts/nanum/NanumGothic.ttf",  # Fedora/Arch layouts
    "/usr/share/fonts/naver-nanum/NanumGothic.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  # fonts-noto-cjk
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansKR-Regular.ttf",
    "/System/Library/Fonts/AppleSDGothicNeo.ttc",  # macOS
    "/Library/Fonts/AppleGothic.ttf",
    "C:/Windows/Fonts/malgun.ttf",  # Windows
)


def has_hangul(path: str | os.PathLike[str]) -> bool:
    """True if the font's character map covers the probe syllables (the first face of a .ttc)."""
    from fontTools.ttLib import TTFont

    try:
        font = TTFont(str(path), fontNumber=0, lazy=True)
        cmap = font.getBestCmap() or {}
        font.close()
    except Exception:  # noqa: BLE001 - unreadable or not a TrueType/OpenType font
        return False
    return all(ord(ch) in cmap for ch in PROBE)


def _fontconfig_candidates() -> list[str]:
    if not shutil.which("fc-list"):
        return []
    try:
        out = subprocess.run(
            ["fc-list", ":lang=ko", "file"], capture_output=True, text=True, timeout=20, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    files = sorted({line.split(":")[0].strip() for line in out.splitlines() if line.strip()})
    # Prefer regular gothic (sans) faces: they read best at word-cloud sizes.
    return sorted(files, key=lambda f: ("Gothic" not in f and "Sans" not in f, "Bold" in f, f))


def _matplotlib_candidates() -> list[str]:
    from matplotlib import font_manager

    return sorted(font_manager.findSystemFonts())


def hangul_font_or_none() -> Path | None:
    """The font :func:`find_hangul_font` finds, or None when the machine has none."""
    try:
        return find_hangul_font()
    except UserError:
        return None


@functools.lru_cache(maxsize=8)
def find_hangul_font(explicit: str | None = None) -> Path:
    """A font file with Hangul glyphs, or a ``UserError`` naming what to install."""
    if explicit:
        if not has_hangul(explicit):
            raise UserError(
                f"model.font_path: {explicit} has no Hangul glyphs (Korean would show as "
                f"boxes); name a Korean font, e.g. NanumGothic.ttf from {APT_PACKAGE}"
            )
        return Path(explicit)
    env = os.environ.get("SPECRUN_HANGUL_FONT")
    if env:
        if not has_hangul(env):
            raise UserError(f"SPECRUN_HANGUL_FONT={env} is not a font with Hangul glyphs")
        return Path(env)
    tried: set[str] = set()
    for source in (lambda: list(KNOWN_FONTS), _fontconfig_candidates, _matplotlib_candidates):
        for candidate in source():
            if candidate in tried or not Path(candidate).is_file():
                continue
            tried.add(candidate)
            if has_hangul(candidate):
                return Path(candidate)
    raise UserError(
        f"no font with Hangul glyphs was found for the word cloud ({len(tried)} fonts checked); "
        f"install one (Debian/Ubuntu: apt-get install {APT_PACKAGE}) or set model.font_path "
        f"(or SPECRUN_HANGUL_FONT) to a Korean .ttf/.otf"
    )
