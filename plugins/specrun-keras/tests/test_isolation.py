"""Frameworks stay where they belong, and TensorFlow's console noise stays out of specrun's
output. Each check runs in a fresh interpreter, since sys.modules is what is tested."""

from __future__ import annotations

import json
import re

from conftest import SPECS, python_subprocess, write, write_shape_folder

FRAMEWORKS = ("tensorflow", "keras", "torch", "jax")

# Lines TensorFlow/Keras print on their own: C++ logging, absl, Keras progress bars.
NOISE = re.compile(
    r"oneDNN|cpu_feature_guard|absl::InitializeLog|I0000 |W0000 |E0000 |"
    r"Epoch \d+/\d+|\d+/\d+ \S* ?- \d+m?s|step - loss"
)

REPORT = (
    "import json, sys; print('MODULES=' + json.dumps(sorted(m for m in {fw} if m in sys.modules)))"
)


def _modules(stdout: str) -> list[str]:
    line = next(x for x in stdout.splitlines() if x.startswith("MODULES="))
    return json.loads(line[len("MODULES=") :])


def test_registration_and_validation_import_no_framework():
    code = f"""
import specrun
from specrun.plugins import get_registry
reg = get_registry()
assert ("model", "keras_resnet") in reg.components and ("model", "keras_seq2seq") in reg.components
assert not [b for b in reg.broken if b.name == "keras"], reg.broken
specrun.load_spec({str(SPECS / "image_resnet.yaml")!r})
{REPORT.format(fw=FRAMEWORKS)}
"""
    proc = python_subprocess(code, env={"SPECRUN_PLUGINS": "keras"})
    assert proc.returncode == 0, proc.stderr
    assert _modules(proc.stdout) == []


def test_a_non_keras_run_imports_no_tensorflow(tmp_path):
    code = f"""
import specrun
r = specrun.run({str(SPECS / "quickstart_topics.yaml")!r}, overrides=["model.epochs=1"],
                store={str(tmp_path / "s.duckdb")!r}, local=True)
assert r.status == "finished", r.error
{REPORT.format(fw=FRAMEWORKS)}
"""
    proc = python_subprocess(code, env={"SPECRUN_PLUGINS": "keras"})
    assert proc.returncode == 0, proc.stderr
    assert _modules(proc.stdout) == []


TINY_IMAGE_SPEC = """
name: tiny-resnet
data: {{kind: image_folder, path: {path}, split: {{eval: 0.3, stratify: label}}}}
augment: [{{kind: image_flip}}]
model: {{kind: keras_resnet, image_size: 16, widths: [4], epochs: 2, batch_size: 8}}
metrics: [{{kind: accuracy}}]
"""


def _keras_run(tmp_path, verbose: bool):
    root = write_shape_folder(
        tmp_path / "images", per_class=6, classes=("ring", "cross"), sides=(16, 20)
    )
    spec = write(tmp_path, "tiny.yaml", TINY_IMAGE_SPEC.format(path=root))
    code = f"""
import specrun
r = specrun.run({str(spec)!r}, store={str(tmp_path / "s.duckdb")!r}, local=True, quiet=False)
assert r.status == "finished", r.error
{REPORT.format(fw=FRAMEWORKS)}
"""
    env = {
        "SPECRUN_PLUGINS": "keras",
        "SPECRUN_QUIET": "0",
        "SPECRUN_PROGRESS": "1",
        "SPECRUN_VERBOSE": "1" if verbose else "0",
    }
    return python_subprocess(code, env=env)


def test_a_keras_run_imports_no_torch_and_prints_no_tensorflow_noise(tmp_path):
    proc = _keras_run(tmp_path, verbose=False)
    assert proc.returncode == 0, proc.stderr
    assert _modules(proc.stdout) == ["keras", "tensorflow"]
    output = proc.stdout + proc.stderr
    assert not NOISE.search(output), NOISE.search(output).group(0)
    assert "resnet_small:" in output and "parameters" in output


def test_verbose_lets_keras_speak(tmp_path):
    """The other side of the noise check: it does match what Keras prints when allowed to."""
    proc = _keras_run(tmp_path, verbose=True)
    assert proc.returncode == 0, proc.stderr
    assert NOISE.search(proc.stdout + proc.stderr)
