"""The word cloud font really draws Hangul: a font without it draws every syllable as the
same box, and the check tells the two apart."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont
from specrun import UserError

from specrun_textkit.fonts import APT_PACKAGE, find_hangul_font, has_hangul
from specrun_textmining.visuals import render_wordcloud

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")  # Latin/Greek/Cyrillic only


def glyph(font_path: Path, text: str) -> np.ndarray:
    image = Image.new("L", (80, 80), 255)
    ImageDraw.Draw(image).text((8, 8), text, font=ImageFont.truetype(str(font_path), 56), fill=0)
    return np.asarray(image)


def test_found_font_draws_distinct_hangul_syllables():
    font = find_hangul_font()
    assert has_hangul(font)
    ga, na, han = glyph(font, "가"), glyph(font, "나"), glyph(font, "한")
    assert (ga < 128).sum() > 50  # ink, not an empty glyph
    assert (ga != na).sum() > 50 and (na != han).sum() > 50


@pytest.mark.skipif(not DEJAVU.is_file(), reason="DejaVuSans is not installed")
def test_a_font_without_hangul_is_refused():
    # What a wrong font would have drawn: the same box for every syllable.
    assert (glyph(DEJAVU, "가") == glyph(DEJAVU, "나")).all()
    assert not has_hangul(DEJAVU)
    with pytest.raises(UserError, match=f"has no Hangul glyphs .*{APT_PACKAGE}"):
        find_hangul_font(str(DEJAVU))


def test_wordcloud_png_with_explicit_font(tmp_path):
    png = tmp_path / "cloud.png"
    font = render_wordcloud(
        {"국회": 3.0, "대통령": 2.0, "헌법": 1.0},
        png,
        seed=1,
        max_words=10,
        font_path=str(find_hangul_font()),
    )
    assert has_hangul(font)
    image = np.asarray(Image.open(png).convert("L"))
    assert image.shape == (800, 1200) and (image < 250).mean() > 0.02
