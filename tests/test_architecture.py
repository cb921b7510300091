"""Rules of the code base that a reviewer would otherwise have to remember."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "microscout"
SURFACES = ("microscout.cli", "microscout.commands", "microscout.api", "microscout.web", "microscout.clidoc")
# modules allowed to touch planted truths: the generator writes them, the file reader copies
# them aside, and evaluation code scores against them
TRUTH_ALLOWED = ("sample/", "evaluation/", "ingest/files.py", "ingest/__init__.py")


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        yield rel, path.read_text(encoding="utf-8")


def test_only_evaluation_code_reads_planted_truths():
    offenders = [rel for rel, text in _modules() if "truth_" in text and not rel.startswith(TRUTH_ALLOWED)]
    assert offenders == [], f"modules reading truth_* tables or files: {offenders}"


def test_ingest_only_copies_truth_files_aside():
    text = (PACKAGE / "ingest" / "__init__.py").read_text()
    assert "truth_" not in text.replace("TRUTH_PREFIX", "")


def test_capability_modules_never_import_a_surface():
    offenders = []
    for rel, text in _modules():
        module = "microscout." + rel[:-3].replace("/", ".").removesuffix(".__init__")
        if module.startswith(SURFACES) or module == "microscout.__main__":
            continue
        for node in ast.walk(ast.parse(text)):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{rel} imports {n}" for n in names if n.startswith(SURFACES)]
    assert offenders == []
