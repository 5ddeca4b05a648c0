"""parallel_text / text_pairs: files of every format, HF datasets, mapping, filtering, errors."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from specrun import DataError, RunContext, UserError

from specrun_hf.data_params import PairTextParams
from specrun_hf.pairs import PairTextSource

ROWS = [
    {"ko": "학생은 사과를 먹었다.", "en": "The student ate the apple.", "id": 1},
    {"ko": "친구는 책을 읽는다.", "en": "The friend reads the book.", "id": 2},
    {"ko": "아이가 우유를 마셨다.", "en": "The child drank the milk.", "id": 3},
    {"ko": "엄마는 빵을 살 것이다.", "en": "The mother will buy the bread.", "id": 4},
    {"ko": "의사가 커피를 마신다.", "en": "The doctor drinks the coffee.", "id": 5},
    {"ko": "가", "en": "A very long target sentence that has far too many words in it.", "id": 6},
    {"ko": "학생은 사과를 먹었다.", "en": "The student ate the apple.", "id": 7},
] * 3


def ctx(tmp_path: Path) -> RunContext:
    events: list = []
    return RunContext("t", {"seed": 5}, events.append, tmp_path)


def load(tmp_path: Path, **params) -> dict[str, pl.DataFrame]:
    return PairTextSource(PairTextParams(**params)).load(ctx(tmp_path)).splits


def write(frame: pl.DataFrame, path: Path) -> Path:
    {
        "csv": frame.write_csv,
        "parquet": frame.write_parquet,
        "jsonl": frame.write_ndjson,
        "tsv": lambda p: frame.write_csv(p, separator="\t"),
    }[path.suffix[1:]](path)
    return path


@pytest.mark.parametrize("fmt", ["csv", "tsv", "jsonl", "parquet"])
def test_every_file_format_maps_columns_to_source_and_target(tmp_path, fmt):
    path = write(pl.DataFrame(ROWS), tmp_path / f"pairs.{fmt}")
    splits = load(tmp_path, path=path, source="ko", target="en", split={"eval": 0.2})
    assert set(splits) == {"train", "eval"}
    total = pl.concat(list(splits.values()))
    assert total.columns[:2] == ["source", "target"] and "id" in total.columns
    assert total.height == len(ROWS)
    assert set(total["source"]) == {r["ko"] for r in ROWS}


def test_length_filter_and_dedupe(tmp_path):
    path = write(pl.DataFrame(ROWS), tmp_path / "pairs.parquet")
    splits = load(
        tmp_path,
        path=path,
        source="ko",
        target="en",
        split={"eval": 0.0},
        filter={"min_chars": 3, "max_words": 8, "max_ratio": 4},
        dedupe=True,
    )
    kept = splits["train"]
    assert kept.height == 5  # the short/long pair is gone, the repeats are gone
    assert "가" not in set(kept["source"])


def test_struct_column_like_hf_translation_datasets(tmp_path):
    frame = pl.DataFrame({"translation": [{"ko": r["ko"], "en": r["en"]} for r in ROWS]})
    path = write(frame, tmp_path / "t.jsonl")
    splits = load(tmp_path, path=path, source="translation.ko", target="translation.en")
    assert pl.concat(list(splits.values()))["target"].to_list()[0].startswith("The ")
    with pytest.raises(DataError, match="has no field 'ja'"):
        load(tmp_path, path=path, source="translation.ja", target="translation.en")


def test_hf_dataset_from_a_local_directory_with_its_own_splits(tmp_path):
    folder = tmp_path / "ds"
    folder.mkdir()
    write(pl.DataFrame(ROWS[:14]), folder / "train.jsonl")
    write(pl.DataFrame(ROWS[14:]), folder / "validation.jsonl")
    splits = load(
        tmp_path,
        hf_dataset=str(folder),
        source="ko",
        target="en",
        hf_splits={"train": "train", "eval": "validation"},
    )
    assert {k: v.height for k, v in splits.items()} == {"train": 14, "eval": 7}
    with pytest.raises(DataError, match="no split 'test'"):
        load(
            tmp_path,
            hf_dataset=str(folder),
            source="ko",
            target="en",
            hf_splits={"train": "train", "eval": "test"},
        )


def test_hf_dataset_saved_with_save_to_disk(tmp_path):
    import datasets

    datasets.Dataset.from_list(ROWS).save_to_disk(str(tmp_path / "saved"))
    splits = load(tmp_path, hf_dataset=str(tmp_path / "saved"), source="ko", target="en")
    assert sum(f.height for f in splits.values()) == len(ROWS)


def test_missing_column_names_the_columns_there_are(tmp_path):
    path = write(pl.DataFrame(ROWS), tmp_path / "pairs.csv")
    with pytest.raises(
        DataError, match=r"data.source: column 'korean' is not in the data \(it has: ko, en, id\)"
    ):
        load(tmp_path, path=path, source="korean", target="en")


def test_empty_split_and_nothing_left_after_filter_are_clear(tmp_path):
    folder = tmp_path / "ds"
    folder.mkdir()
    write(pl.DataFrame(ROWS), folder / "train.jsonl")
    (folder / "validation.jsonl").write_text("")
    with pytest.raises((DataError, UserError), match="validation|eval|empty"):
        load(
            tmp_path,
            hf_dataset=str(folder),
            source="ko",
            target="en",
            hf_splits={"train": "train", "eval": "validation"},
        )
    path = write(pl.DataFrame(ROWS), tmp_path / "pairs.csv")
    with pytest.raises(DataError, match="pass the length filter"):
        load(tmp_path, path=path, source="ko", target="en", filter={"min_chars": 500})


def test_params_need_exactly_one_source_of_rows(tmp_path):
    with pytest.raises(ValueError, match="exactly one of"):
        PairTextParams(source="ko", target="en")
