"""Starting the Java VM that KoNLPy's Java taggers (Komoran, Okt, Kkma, Hannanum) run in.

JPype, left alone, falls back from a wrong ``JAVA_HOME`` to whatever Java it finds in
/usr/lib/jvm, and reports a missing Java as a bare exception. Here ``JAVA_HOME``, when set,
is the one place looked at (a user who set it means it), and every failure is a
``UserError`` that says what to install or fix. One JVM lives per process; a Ray worker
starts its own the first time a Java tagger is built there.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from specrun import UserError

INSTALL_HINT = (
    "install a Java runtime 8 or newer (Debian/Ubuntu: apt-get install openjdk-17-jre-headless; "
    "elsewhere any JDK/JRE) or set JAVA_HOME to one"
)
# Where libjvm sits below a Java home, newest layouts first (Linux, macOS, Windows).
_LAYOUTS = (
    "lib/server",
    "lib/*/server",
    "jre/lib/server",
    "jre/lib/*/server",
    "lib/*",
    "bin/server",
    "jre/bin/server",
)
_LIBNAMES = {"linux": "libjvm.so", "darwin": "libjvm.dylib", "win32": "jvm.dll"}


def _libname() -> str:
    for prefix, name in _LIBNAMES.items():
        if sys.platform.startswith(prefix):
            return name
    return "libjvm.so"


def libjvm_under(java_home: str | os.PathLike[str]) -> Path | None:
    """The JVM library of a Java home, or None (no deep walk: JAVA_HOME=/ must stay fast)."""
    home = Path(java_home)
    if not home.is_dir():
        return None
    name = _libname()
    for layout in _LAYOUTS:
        for candidate in sorted(home.glob(f"{layout}/{name}")):
            if candidate.is_file():
                return candidate
    return None


def find_jvm(tagger: str) -> str:
    """The path of the JVM library to load for ``tagger``, or a ``UserError`` saying why not."""
    java_home = os.environ.get("JAVA_HOME", "").strip()
    if java_home:
        lib = libjvm_under(java_home)
        if lib is None:
            where = "does not exist" if not Path(java_home).exists() else "has no Java VM library"
            raise UserError(
                f"the {tagger} tagger runs on Java, but JAVA_HOME={java_home} {where}; "
                f"{INSTALL_HINT}, or unset JAVA_HOME to use the system's Java"
            )
        return str(lib)
    try:
        import jpype
    except ImportError:
        raise UserError(f"the {tagger} tagger needs JPype: pip install JPype1") from None
    try:
        return str(jpype.getDefaultJVMPath())
    except Exception as exc:  # noqa: BLE001 - JVMNotFound/NotSupported and friends
        raise UserError(
            f"the {tagger} tagger runs on Java, but no Java runtime was found "
            f"({type(exc).__name__}); {INSTALL_HINT}"
        ) from None


def ensure_jvm(tagger: str, max_heap_mb: int) -> None:
    """Start the JVM with KoNLPy's class path unless this process already has one."""
    try:
        import jpype
    except ImportError:
        raise UserError(f"the {tagger} tagger needs JPype: pip install JPype1") from None
    if jpype.isJVMStarted():
        return
    path = find_jvm(tagger)
    from konlpy import jvm

    try:
        jvm.init_jvm(path, max_heap_mb)
    except (OSError, RuntimeError, ValueError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise UserError(
            f"the Java VM at {path} did not start for the {tagger} tagger: {first}; {INSTALL_HINT}"
        ) from None
