"""Pictures a person opens: the word cloud PNG and the interactive pyLDAvis page.

The pyLDAvis page is written self-contained (d3 and LDAvis inlined from the package's own
js/ folder): pyLDAvis's ``save_html`` links them from a CDN, which an offline machine, or
a store read years later, cannot reach.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from specrun_textkit.fonts import find_hangul_font


def render_wordcloud(
    weights: dict[str, float], path: Path, seed: int, max_words: int, font_path: str | None = None
) -> Path:
    """Draw ``weights`` (term -> weight) with a Hangul font; return the font used."""
    from wordcloud import WordCloud

    font = find_hangul_font(font_path)
    cloud = WordCloud(
        font_path=str(font),
        width=1200,
        height=800,
        background_color="white",
        max_words=max_words,
        random_state=seed,
        prefer_horizontal=0.9,
        colormap="viridis",
        collocations=False,
        margin=4,
    )
    cloud.generate_from_frequencies(weights)
    cloud.to_file(str(path))
    return font


_PAGE = """<!DOCTYPE html>
<html lang="ko"><head><meta charset="utf-8"><title>{title}</title>
<style>{css}</style>
<script>{d3}</script>
<script>{ldavis}</script>
</head><body>
<h3 style="font-family:sans-serif">{title}</h3>
<p style="font-family:sans-serif">Topic numbers here start at 1:
topic N is topic N-1 in the run store.</p>
<div id="ldavis_topics"></div>
<script>new LDAvis("#ldavis_topics", {data});</script>
</body></html>
"""


def _script_safe(text: str) -> str:
    # Inline <script> ends at the first "</": escape it (valid in JS strings and regexes).
    return text.replace("</", "<\\/")


def write_ldavis_page(lda: Any, corpus: list[Any], dictionary: Any, path: Path, title: str) -> None:
    import pyLDAvis.gensim_models
    from pyLDAvis import urls

    # sort_topics=False keeps gensim's topic numbering; n_jobs=1: two shared cores, and
    # a pool of workers per run would cost more than it saves on a few hundred documents.
    prepared = pyLDAvis.gensim_models.prepare(
        lda, corpus, dictionary, sort_topics=False, n_jobs=1, mds="pcoa"
    )
    data = json.loads(prepared.to_json())
    page = _PAGE.format(
        title=title,
        css=Path(urls.LDAVIS_CSS_LOCAL).read_text(encoding="utf-8"),
        d3=_script_safe(Path(urls.D3_LOCAL).read_text(encoding="utf-8")),
        ldavis=_script_safe(Path(urls.LDAVIS_LOCAL).read_text(encoding="utf-8")),
        data=_script_safe(json.dumps(data, ensure_ascii=False)),
    )
    path.write_text(page, encoding="utf-8")
