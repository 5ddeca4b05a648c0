"""Hostile spec input (issue 16, items 6 and 9): bombs are refused in bounded time and
memory with one located line and exit 2, and a file that is not a spec is never echoed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from core_helpers import ROOT, write_spec
from specrun.errors import SpecError
from specrun.spec import load_spec

HEAD = "name: bomb\ndata: {kind: table, path: data.csv}\nmodel: {kind: bow_softmax}\n"


def alias_bomb(depth: int, width: int = 9) -> str:
    lines = ["a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    lines += [
        f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]" for i in range(1, depth + 1)
    ]
    return "bomb:\n" + "".join(f"  {line}\n" for line in lines)


def alias_flow(depth: int, width: int = 9) -> str:
    items = ["a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    items += [
        f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]" for i in range(1, depth + 1)
    ]
    return "{" + ", ".join(items) + "}"


@pytest.fixture
def specdir(tmp_path, monkeypatch):
    (tmp_path / "data.csv").write_text("text,label\na,x\nb,y\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


# Runs `specrun validate` and, at exit, writes the process's own peak RSS (VmHWM of its
# memory map) to a file. Not ru_maxrss: Linux carries the parent's peak across fork and exec
# into it, so a child of a big pytest process would "peak" at pytest's size.
HWM_RUNNER = """
import atexit, runpy, sys
out = sys.argv[1]
def _hwm():
    with open("/proc/self/status") as fh:
        kb = next(line.split()[1] for line in fh if line.startswith("VmHWM:"))
    with open(out, "w") as fh:
        fh.write(kb)
atexit.register(_hwm)
sys.argv = ["specrun", "validate", *sys.argv[2:]]
runpy.run_module("specrun.cli", run_name="__main__")
"""


def validate_cli(*args: str, cwd: Path) -> tuple[int, str, float]:
    """`specrun validate ARGS` in a fresh interpreter: exit code, output, peak RSS in MB."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    hwm = cwd / ".validate-hwm"
    hwm.unlink(missing_ok=True)
    proc = subprocess.run(
        [sys.executable, "-c", HWM_RUNNER, str(hwm), *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=120,
    )
    peak = int(hwm.read_text()) / 1024
    return proc.returncode, proc.stdout.decode("utf-8", "replace"), peak


def one_error(out: str) -> str:
    lines = [ln for ln in out.splitlines() if ln.startswith("error: ")]
    assert len(lines) == 1, out[:2000]
    assert "Traceback" not in out
    assert len(out) < 2000, len(out)
    return lines[0]


def messages(spec: Path, overrides: tuple[str, ...] = ()) -> str:
    with pytest.raises(SpecError) as info:
        load_spec(spec, overrides)
    return str(info.value)


# ------------------------------------------------------------------ item 6: bounded YAML


def test_alias_bomb_in_file_is_refused_fast_and_small(specdir):
    spec = write_spec(specdir, HEAD + alias_bomb(9))  # 9**10 values once expanded
    rc, out, peak = validate_cli(str(spec), cwd=specdir)
    line = one_error(out)
    assert rc == 2 and "expands to more than 100,000 values" in line and f"{spec}:" in line
    assert peak < 200, peak  # a few MB above the interpreter's own ~35 MB (main: 1.7 GB at depth 7)


def test_alias_bomb_through_extends_and_override(specdir):
    base = write_spec(specdir, alias_bomb(9), "base.yaml")
    spec = write_spec(specdir, HEAD + "extends: base.yaml\n")
    msg = messages(spec)
    assert str(base) in msg and "expands to more than" in msg
    plain = write_spec(specdir, HEAD, "plain.yaml")
    rc, out, peak = validate_cli(str(plain), "-o", "description=" + alias_flow(9), cwd=specdir)
    line = one_error(out)
    assert rc == 2 and "<command line>" in line and "expands to more than" in line
    assert peak < 200, peak


def test_deep_nesting_is_refused_in_file_and_override(specdir):
    deep = "[" * 10_000 + "]" * 10_000
    spec = write_spec(specdir, HEAD + "description: " + deep + "\n")
    assert "nests deeper than 64 levels" in messages(spec)
    plain = write_spec(specdir, HEAD, "plain.yaml")
    rc, out, _ = validate_cli(str(plain), "-o", "description=" + deep, cwd=specdir)
    line = one_error(out)
    assert rc == 2 and "nests deeper than 64" in line and len(line) < 400


def test_huge_integers_and_seeds(specdir):
    spec = write_spec(specdir, HEAD + "seed: " + "7" * 5_000 + "\n")
    msg = messages(spec)
    assert "an integer of 5,000 digits" in msg and f"{spec}:4:7" in msg
    # Below the loader's bound but beyond what the store and torch take: the seed's range.
    spec = write_spec(specdir, HEAD + "seed: " + "9" * 30 + "\n")
    msg = messages(spec)
    assert "seed" in msg and "less than or equal to 9223372036854775807" in msg
    assert "an integer of" in messages(write_spec(specdir, HEAD), ("seed=" + "1" * 4_000,))
    assert load_spec(write_spec(specdir, HEAD + "seed: 9223372036854775807\n")).seed == 2**63 - 1


def test_large_files_and_devices_are_not_read(specdir):
    spec = write_spec(specdir, HEAD + "description: " + "x" * (2 << 20) + "\n")
    assert "larger than 1 MiB: not a spec" in messages(spec)
    if Path("/dev/zero").exists():
        rc, out, peak = validate_cli("/dev/zero", cwd=specdir)
        assert rc == 2 and "/dev/zero: <spec>: is a device, not a spec file" in one_error(out)
        assert peak < 200, peak
    fifo = specdir / "pipe.yaml"  # a pipe is read, but no further than the bound
    os.mkfifo(fifo)
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import sys\nwith open({str(fifo)!r}, 'wb') as f:\n"
            "    try:\n        while True: f.write(b'x' * 65536)\n"
            "    except BrokenPipeError: pass",
        ]
    )
    try:
        assert "larger than 1 MiB" in messages(fifo)
    finally:
        writer.kill()
        writer.wait()


def test_ordinary_specs_still_load(specdir):
    text = HEAD + "tags: [a, b]\naugment: []\n" + "description: " + "x" * 10_000 + "\n"
    assert load_spec(write_spec(specdir, text)).name == "bomb"
    shared = HEAD + "base: &b {eval: 0.2}\n"  # a modest alias is fine...
    assert "unknown section 'base'" in messages(
        write_spec(specdir, shared)
    )  # ...and reported as usual


# ------------------------------------------------------ item 9: files that are not specs

SECRETS = (
    "root:$6$Zq9sEcReT$hAsHhAsH:19000:0:99999:7:::",
    "daemon:*:19000:0:99999:7:::",
    "API_KEY: sk-live-TOPSECRET123",
    "password: hunter2",
)


def test_extends_of_a_secrets_file_names_it_and_echoes_nothing(specdir):
    secrets = specdir / "shadow"
    secrets.write_text("\n".join(SECRETS) + "\n", encoding="utf-8")
    spec = write_spec(specdir, HEAD + f"extends: {secrets}\n")
    rc, out, _ = validate_cli(str(spec), cwd=specdir)
    line = one_error(out)
    assert rc == 2 and f"{secrets}: <spec>: not a spec" in line
    for needle in ("Zq9sEcReT", "hAsH", "daemon", "API_KEY", "TOPSECRET", "hunter2"):
        assert needle not in out, needle


@pytest.mark.parametrize(
    "content",
    [
        "just one line of text\n",
        "- a\n- list\n",
        "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n",
    ],
)
def test_other_non_specs_are_not_echoed(specdir, content):
    other = specdir / "other.txt"
    other.write_text(content, encoding="utf-8")
    msg = messages(write_spec(specdir, HEAD + "extends: other.txt\n"))
    assert f"{other}: <spec>: not a spec" in msg
    assert (
        "MIIE" not in msg and "just one line" not in msg and "list" not in msg.split("sections")[0]
    )


def test_binary_file_says_not_utf8_with_its_line(specdir):
    bad = specdir / "bin.yaml"
    bad.write_bytes(b"name: x\ndescription: ok\n\xff\xfe secret\n")
    msg = messages(bad)
    assert f"{bad}:3: <spec>: not UTF-8 text" in msg and "secret" not in msg


# --------------------------------------- small ones: columns checked against the header


def test_validate_reads_the_header_for_named_columns(specdir):
    spec = write_spec(
        specdir,
        "name: c\ndata:\n  kind: table\n  path: data.csv\n"
        "  require: [label, lable2]\n  split: {stratify: labl}\n"
        "model: {kind: bow_softmax, text: txt}\ncv: {stratify: nope}\n",
    )
    rc, out, _ = validate_cli(str(spec), cwd=specdir)
    assert rc == 2 and "Traceback" not in out
    assert f"{spec.name}:5:20: data.require[1]: column 'lable2' is not in" in out
    assert f"{spec.name}:6:11: data.split.stratify: column 'labl' is not in" in out
    assert (
        f"{spec.name}:7:28: model.text: column 'txt' is not in" in out
        and 'did you mean "text"' in out
    )
    assert f"{spec.name}:8:" in out and "cv.stratify" in out
    # renamed columns count by their new names; an augment may add columns, so text is not checked
    ok = write_spec(
        specdir,
        "name: c\ndata: {kind: table, path: data.csv, columns: {text: body},"
        " require: [body], split: {stratify: label}}\nmodel: {kind: bow_softmax, text: body}\n",
        "ok.yaml",
    )
    assert load_spec(ok).name == "c"


def test_invalid_utf8_in_data_is_reported_with_its_line(specdir):
    from specrun.builtins.data import first_bad_utf8, read_table
    from specrun.errors import DataError

    bad = specdir / "bad.csv"
    bad.write_bytes(b"text,label\n" + b"ok,a\n" * 1000 + b"\xff\xfebad,b\n")
    with pytest.raises(DataError) as info:
        read_table(bad)
    assert f"{bad}:1002: not UTF-8 text" in str(info.value)
    assert first_bad_utf8(bad, chunk=7) == first_bad_utf8(bad)  # across chunk edges too
    head = specdir / "head.csv"
    head.write_bytes(b"te\xffxt,label\na,b\n")
    spec = write_spec(
        specdir, "name: c\ndata: {kind: table, path: head.csv}\nmodel: {kind: bow_softmax}\n"
    )
    msg = messages(spec)
    assert "data.path" in msg and f"{head}:1: not UTF-8 text" in msg
