"""Shared CLI plumbing: the global options and opening the system from them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from gwanje.context import Gwanje
from gwanje.settings import Settings, SettingsError, load_settings


def settings_from(ctx: typer.Context, **overrides: Any) -> Settings:
    data_dir: Path | None = ctx.obj.get("data_dir") if ctx.obj else None
    try:
        return load_settings(data_dir, **overrides)
    except (SettingsError, ValueError) as exc:
        typer.secho(f"settings error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc


def open_system(ctx: typer.Context, **overrides: Any) -> Gwanje:
    """Open the database (migrating it) with the CLI's settings; exit 2 on bad settings."""
    settings = settings_from(ctx, **overrides)
    try:
        return Gwanje.open(settings)
    except SettingsError as exc:
        typer.secho(f"settings error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc
