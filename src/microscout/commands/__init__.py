"""CLI command modules, one per capability; each registers its commands on the Typer app."""
