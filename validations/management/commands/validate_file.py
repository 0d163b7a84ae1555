"""`python manage.py validate_file PATH ...`: the engine's CLI inside Django (see engine/cli.py)."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand

from validations.engine.cli import add_arguments, execute


class Command(BaseCommand):
    help = "Validate a dataset file and print the report (JSON by default). Exit 2 if unreadable."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        namespace = argparse.Namespace(**options)
        code = execute(namespace, self.stdout)  # type: ignore[arg-type]
        if code:
            # BaseCommand has no return-code channel besides SystemExit.
            raise SystemExit(code)
