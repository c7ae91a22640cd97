"""docs/architecture.md keeps up with the tree: every module named under its folder, and short."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
ARCHITECTURE = REPO / "docs" / "architecture.md"
MAX_LINES = 99  # "under 100 lines": a map of the code, not a second copy of its docstrings


def modules() -> list[str]:
    """Every module of mnist_core/ (synth/ included) and demo/, as its path in the repo."""
    found = [*(REPO / "mnist_core").rglob("*.py"), *(REPO / "demo").glob("*.py")]
    return sorted(str(p.relative_to(REPO)) for p in found if p.stem not in ("__init__", "__main__"))


def described() -> dict[str, set[str]]:
    """folder -> the file names listed under it: a line opening with `folder/` starts a folder, and
    each "- `name`" line after it is one of its files (two folders may both have a common.py)."""
    out: dict[str, set[str]] = {}
    folder = None
    for line in ARCHITECTURE.read_text().splitlines():
        if m := re.match(r"`([\w/]+)/`", line):
            folder = m[1]
        elif (m := re.match(r"- `([\w.]+)`", line)) and folder is not None:
            out.setdefault(folder, set()).add(m[1])
    return out


@pytest.mark.parametrize("module", modules())
def test_every_module_is_in_the_architecture_doc(module):
    folder, name = str(Path(module).parent), Path(module).name
    assert name in described().get(folder, set()), (
        f"{module} is not described in docs/architecture.md: add a line '- `{name}`: ...' under `{folder}/`"
    )


def test_architecture_doc_is_under_100_lines():
    lines = len(ARCHITECTURE.read_text().splitlines())
    assert lines <= MAX_LINES, f"docs/architecture.md has {lines} lines; keep it under 100"
