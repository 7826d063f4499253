"""``python -m versioned_import`` runs the CLI."""

from versioned_import.cli import main_entry

main_entry()
