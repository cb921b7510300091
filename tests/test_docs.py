from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from microscout.cli import app
from microscout.clidoc import command_paths, render, render_settings
from microscout.config import Settings
from microscout.store.schema import INGESTIBLE, TABLES

ROOT = Path(__file__).resolve().parents[1]


def test_cli_reference_is_up_to_date():
    current = (ROOT / "docs" / "cli-reference.md").read_text()
    assert current.strip() == render().strip(), "docs/cli-reference.md is stale: run python -m microscout.clidoc"


def test_every_command_has_help_text():
    runner = CliRunner()
    for path in command_paths():
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, path
        usage_and_help = [line for line in result.output.splitlines() if line.strip()]
        assert len(usage_and_help) > 2, f"{path} has no help text"


def test_canonical_format_doc_lists_every_column_of_every_ingestible_table():
    doc = (ROOT / "docs" / "canonical-format.md").read_text()
    for name in INGESTIBLE:
        section = doc.split(f"### `{name}`", 1)
        assert len(section) == 2, f"docs/canonical-format.md has no section for {name}"
        body = section[1].split("### ", 1)[0]
        documented = re.findall(r"^\| `([a-z_]+)` \|", body, flags=re.M)
        expected = [c for c in TABLES[name].columns if c != "workspace_id"]
        assert documented == expected, name


def test_every_setting_is_documented_with_a_description():
    doc = (ROOT / "docs" / "configuration.md").read_text()
    assert doc == render_settings(), "docs/configuration.md is stale: run python -m microscout.clidoc"
    for name, field in Settings.model_fields.items():
        assert field.description, name
        assert f"MICROSCOUT_{name.upper()}" in doc, f"MICROSCOUT_{name.upper()} missing from docs/configuration.md"
