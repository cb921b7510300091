"""Generate docs/cli-reference.md from the CLI's own --help (a test keeps the file in sync).

Run ``python -m microscout.clidoc > docs/cli-reference.md`` after changing a command.
"""

from __future__ import annotations

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


if __name__ == "__main__":
    print(render())  # noqa: T201
