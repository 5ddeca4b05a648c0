"""The plugin registers its kinds through the entry point, imports nothing heavy when it
does, and its specs validate; bad params are spec errors with a location (CLI exit 2)."""

from __future__ import annotations

import subprocess
import sys

import pytest
import specrun
from hftext_testkit import PLUGIN_ROOT, SPECS, run_cli, write_spec

KINDS = {
    "data": ["korean_headlines", "generated_poems"],
    "augment": [
        "unicode_normalize",
        "regex_clean",
        "hanja_to_hangul",
        "oversample",
        "eda",
        "back_translation",
    ],
    "model": ["hf_classifier", "ensemble", "hf_causal_lm"],
    "trainer": ["hf_classifier_trainer", "hf_causal_lm_trainer"],
}


def test_entry_point_registers_every_kind():
    from specrun.plugins import get_registry

    registry = get_registry()
    assert not registry.broken, registry.broken
    for section, kinds in KINDS.items():
        for kind in kinds:
            comp = registry.get(section, kind)
            assert comp.plugin == "hf_text" and comp.package == "specrun-hf-text"
            assert comp.description, f"{section}.{kind} has no description"
    # distinct_n, which the poetry spec uses, comes from specrun-textmetrics (no torch)
    assert registry.get("metrics", "distinct_n").package == "specrun-textmetrics"
    # the pairing `specrun validate` checks
    assert registry.get("trainer", "hf_classifier_trainer").trains == ("hf_classifier",)
    assert registry.get("model", "hf_causal_lm").needs_trainer
    assert not registry.get("model", "ensemble").needs_trainer


def test_registration_imports_no_framework():
    code = (
        "import sys, specrun_hf_text.plugin as p; "
        "heavy = [m for m in ('torch', 'transformers', 'gensim', 'tokenizers', 'hanja', "
        "'matplotlib') if m in sys.modules]; print(heavy); assert not heavy, heavy"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.parametrize(
    "path",
    [
        SPECS / "classify_bert.yaml",
        SPECS / "poetry_gpt2.yaml",
        PLUGIN_ROOT / "specs" / "classify_bert_kfold.yaml",
        PLUGIN_ROOT / "specs" / "classify_ensemble.yaml",
    ],
)
def test_shipped_specs_validate(path):
    spec = specrun.load_spec(str(path))
    assert spec.data["model"]["kind"] in ("hf_classifier", "hf_causal_lm", "ensemble")


def test_decoding_block_is_nested_and_overridable():
    spec = specrun.load_spec(
        str(SPECS / "poetry_gpt2.yaml"),
        ["trainer.decoding.method=beam", "trainer.decoding.num_beams=3"],
    )
    assert spec.data["trainer"]["decoding"]["method"] == "beam"
    assert spec.data["trainer"]["decoding"]["num_beams"] == 3
    assert "trainer.decoding.method" in spec.data["sweep"]["space"]
    with pytest.raises(specrun.SpecError, match="trainer.decoding.method"):
        specrun.load_spec(str(SPECS / "poetry_gpt2.yaml"), ["trainer.decoding.method=nucleus"])


def test_ensemble_weights_must_match_runs(tmp_path):
    path = write_spec(
        tmp_path,
        """
name: ens
data: {kind: korean_headlines, rows: 100}
model: {kind: ensemble, runs: [a, b, c], weights: [0.5, 0.5]}
metrics: [{kind: accuracy}]
""",
    )
    with pytest.raises(specrun.SpecError) as err:
        specrun.load_spec(str(path))
    assert "weights has 2 value(s) but runs lists 3" in str(err.value)
    assert "spec.yaml:4" in str(err.value)  # where: the model section's line
    out = run_cli("validate", str(path))
    assert out.returncode == 2, out.stdout + out.stderr
    assert "one weight per run" in out.stderr and "Traceback" not in out.stderr


def test_bad_params_are_located(tmp_path):
    path = write_spec(
        tmp_path,
        """
name: bad
data: {kind: generated_poems}
augment:
  - kind: regex_clean
    patterns: ['(unclosed']
model: {kind: hf_causal_lm, config: {n_layer: 1}}
trainer: {kind: hf_causal_lm_trainer}
""",
    )
    with pytest.raises(specrun.SpecError) as err:
        specrun.load_spec(str(path))
    text = str(err.value)
    assert "patterns[0]" in text and "not a valid regex" in text
    assert "config needs a model_type" in text
