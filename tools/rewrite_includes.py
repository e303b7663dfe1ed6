#!/usr/bin/env python3
"""Rewrites the project's own header includes to the one prefix users see: "sim/clock.hpp"
becomes <elstm_vp/sim/clock.hpp>, "platform.hpp" <elstm_vp/platform/platform.hpp>, in every
C/C++ source of the repository (models, platform, tools, tests, bench, examples); and the
libraries' installed include directory to <prefix>/include alone. Idempotent: a second run
changes nothing, so it can run again after merging branches that add old-style includes.

    /usr/bin/python3 tools/rewrite_includes.py        (from anywhere; prints the files changed)
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"
PLATFORM = ROOT / "platform"
SOURCE_DIRS = ["models", "platform", "tools", "tests", "bench", "examples"]
SUFFIXES = {".hpp", ".cpp", ".h", ".c"}
QUOTED = re.compile(r'^(\s*#\s*include\s+)"([^"]+)"', re.MULTILINE)
INSTALL_DIR = re.compile(r"\$<INSTALL_INTERFACE:include/elstm_vp(?:/platform)?>")


def library_header(header: str):
    """The file a quoted include names if it is a library header, and its <elstm_vp/...> path."""
    if "/" not in header:
        if header.endswith(".hpp") and (PLATFORM / header).is_file():
            return PLATFORM / header, "elstm_vp/platform/" + header
        return None
    if header.startswith("platform/"):
        return (ROOT / header, "elstm_vp/" + header) if (ROOT / header).is_file() else None
    return (MODELS / header, "elstm_vp/" + header) if (MODELS / header).is_file() else None


def target(header: str, including: pathlib.Path):
    """The <elstm_vp/...> path of a quoted include, or None if it is not a library header."""
    found = library_header(header)
    if found is None:
        return None
    beside = including.parent / header
    if beside.is_file() and beside.resolve() != found[0].resolve():
        return None  # the including file's own neighbour of that name
    return found[1]


def rewrite_source(path: pathlib.Path) -> str:
    text = path.read_text()

    def replace(m):
        new = target(m.group(2), path)
        return f"{m.group(1)}<{new}>" if new else m.group(0)

    return QUOTED.sub(replace, text)


def main() -> int:
    changed = []
    for name in SOURCE_DIRS:
        for path in sorted((ROOT / name).rglob("*")):
            if path.suffix in SUFFIXES and path.is_file():
                new = rewrite_source(path)
            elif path.name == "CMakeLists.txt":
                new = INSTALL_DIR.sub("$<INSTALL_INTERFACE:include>", path.read_text())
            else:
                continue
            if new != path.read_text():
                path.write_text(new)
                changed.append(path.relative_to(ROOT))
    for path in changed:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
