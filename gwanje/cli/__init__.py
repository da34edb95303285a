"""The `gwanje` command line (Typer). Each subsystem contributes a sub-command group."""
