"""The part-of-speech tags each KoNLPy tagger can emit, and how a spec selects them.

Kept as plain constants (not read from konlpy's package data) so that spec validation can
reject an unknown tag with its line number without importing konlpy or starting a JVM.
The sets are konlpy's own tagset files plus the tags the taggers were seen to emit that
those files omit (Okt's ``Modifier``, Mecab's ``NNBC``/``SSO``/``SSC``/``SC``/``SY``).
"""

from __future__ import annotations

TAGGERS = ("komoran", "okt", "kkma", "hannanum", "mecab")
JAVA_TAGGERS = ("komoran", "okt", "kkma", "hannanum")

_SEJONG_COMMON = (
    "NNG NNP NNB NP NR VV VA VX VCP VCN MM MAG MAJ IC JKS JKC JKG JKO JKB JKV JKQ JX JC "
    "EP EF EC ETN ETM XPN XSN XSV XSA XR SF SE SS SP SO SW SL SH SN"
).split()

TAGSETS: dict[str, frozenset[str]] = {
    "komoran": frozenset(_SEJONG_COMMON + ["NA", "NF", "NV"]),
    "mecab": frozenset(
        [t for t in _SEJONG_COMMON if t not in ("SS", "SP", "SO", "SW")]
        + ["NNBC", "SC", "SSO", "SSC", "SY", "UNKNOWN"]
    ),
    "okt": frozenset(
        "Noun ProperNoun Verb Adjective Adverb Determiner Exclamation Josa Eomi PreEomi "
        "Conjunction Modifier NounPrefix VerbPrefix Suffix Unknown Korean Foreign Number "
        "KoreanParticle Alpha Punctuation Hashtag ScreenName Email URL CashTag Space Others".split()
    ),
    "kkma": frozenset(
        "EC ECD ECE ECS EF EFA EFI EFN EFO EFQ EFR EP EPH EPP EPT ET ETD ETN IC JC JK JKC JKG "
        "JKI JKM JKO JKQ JKS JX MA MAC MAG MD MDN MDT NN NNB NNG NNM NNP NP NR OH OL ON SE SF "
        "SO SP SS SW UN VA VC VCN VCP VV VX VXA VXV XP XPN XPV XR XSA XSN XSV".split()
    ),
    # Hannanum has a coarse 9-tag set and a finer 22-tag set; which one a run uses follows
    # from the tags the spec names (see ``hannanum_ntags``).
    "hannanum": frozenset(
        "N P M I J E X S F NC NQ NB NN NP PV PA PX MM MA II JC JX JP EP EC ET EF XP XS".split()
    ),
}
HANNANUM_9 = frozenset("N P M I J E X S F".split())

# What "keep the nouns" means for each tagger: the default of keep_pos.
DEFAULT_KEEP: dict[str, list[str]] = {
    "komoran": ["NNG", "NNP"],
    "okt": ["Noun"],
    "kkma": ["NNG", "NNP"],
    "hannanum": ["N"],
    "mecab": ["NNG", "NNP"],
}

# The tag a user-dictionary line without a tag gets: the tagger's proper noun.
PROPER_NOUN: dict[str, str] = {
    "komoran": "NNP",
    "okt": "Noun",
    "kkma": "NNP",
    "hannanum": "N",
    "mecab": "NNP",
}


def hannanum_ntags(tags: list[str]) -> int:
    """22 when the spec names any tag of the finer set (two letters), else 9."""
    return 22 if any(len(t.rstrip("*")) > 1 and t not in HANNANUM_9 for t in tags) else 9


def tag_matcher(tags: list[str]) -> tuple[frozenset[str], tuple[str, ...]]:
    """Split spec tags into exact tags and prefixes (``NN*`` keeps NNG, NNP, NNB ...)."""
    exact = frozenset(t for t in tags if not t.endswith("*"))
    prefixes = tuple(t[:-1] for t in tags if t.endswith("*"))
    return exact, prefixes


def tag_kept(tag: str, exact: frozenset[str], prefixes: tuple[str, ...]) -> bool:
    # Mecab joins the tags of a fused morpheme ("XSA+ETM"); its head decides.
    head = tag.split("+", 1)[0]
    if head in exact:
        return True
    return bool(prefixes) and head.startswith(prefixes)


def check_tags(tagger: str, tags: list[str], what: str) -> None:
    """Raise ``ValueError`` naming the tags ``tagger`` does not know."""
    known = TAGSETS[tagger]
    unknown = []
    for t in tags:
        if t.endswith("*"):
            if not t[:-1] or not any(k.startswith(t[:-1]) for k in known):
                unknown.append(t)
        elif t not in known:
            unknown.append(t)
    if unknown:
        raise ValueError(
            f"{what}: the {tagger} tagger has no part-of-speech tag "
            f"{', '.join(map(repr, unknown))}; its tags are: {' '.join(sorted(known))} "
            f"(a trailing * matches a prefix, e.g. NN*)"
        )
    if tagger == "hannanum" and hannanum_ntags(tags) == 22:
        coarse = [t for t in tags if t in HANNANUM_9 and t not in ("S", "F")]
        if coarse:
            raise ValueError(
                f"{what}: hannanum tags {coarse} are from its 9-tag set but others are from its "
                f"22-tag set; use one set (e.g. N* for every noun of the 22-tag set)"
            )
