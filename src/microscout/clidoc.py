"""Generate docs/cli-reference.md (from the CLI's own --help) and docs/configuration.md (from
Settings); ``tests/test_docs.py`` keeps both in sync.

Run ``python -m microscout.clidoc`` after changing a command or a setting.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from typer.testing import CliRunner

from microscout.cli import app


def command_paths() -> list[list[str]]:
    """Every command path of the CLI, e.g. ``["ingest", "files"]``."""
    root: Any = typer.main.get_command(app)

    def walk(command: Any, path: list[str]) -> list[list[str]]:
        found = [path]
        for name in sorted(getattr(command, "commands", {}) or {}):
            found += walk(command.commands[name], [*path, name])
        return found

    return walk(root, [])


def render() -> str:
    runner = CliRunner()
    parts = [
        "# CLI reference",
        "",
        "Generated from `microscout … --help` by `python -m microscout.clidoc`; "
        "`tests/test_docs.py` fails when it is out of date.",
        "",
    ]
    for path in command_paths():
        result = runner.invoke(
            app, [*path, "--help"], env={"COLUMNS": "100", "TERMINAL_WIDTH": "100", "NO_COLOR": "1"}, terminal_width=100
        )
        text = "\n".join(line.rstrip() for line in result.output.strip("\n").splitlines())
        parts += [f"## `{' '.join(['microscout', *path])}`", "", "```", text, "```", ""]
    return "\n".join(parts)


def render_settings() -> str:
    from microscout.config import Settings

    lines = [
        "# Configuration",
        "",
        "microscout has one settings class, `microscout.config.Settings` (pydantic-settings). Every field",
        "can be set from the environment with the `MICROSCOUT_` prefix; the CLI's `--db`, `--engine` and",
        "`--workspace` options override the environment. Library code never reads the environment itself:",
        "settings are passed in explicitly (`connect(url, settings=Settings(...))`).",
        "",
        "Secrets (API tokens, SMTP passwords) come from the environment only and are never logged or stored.",
        "",
        "Generated from `Settings` by `python -m microscout.clidoc`.",
        "",
        "| variable | default | description |",
        "| --- | --- | --- |",
    ]
    for name, field in Settings.model_fields.items():
        lines.append(f"| `MICROSCOUT_{name.upper()}` | `{field.default}` | {field.description} |")
    return "\n".join(lines) + "\n"


DOCS = Path(__file__).resolve().parents[2] / "docs"


def main() -> None:
    (DOCS / "cli-reference.md").write_text(render() + "\n")
    (DOCS / "configuration.md").write_text(render_settings())


if __name__ == "__main__":
    main()
