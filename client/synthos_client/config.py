"""Where the CLI keeps credentials: ~/.config/synthos/config.json (0600); the environment overrides it.

Order: command-line flags, then SYNTHOS_API_KEY / SYNTHOS_BASE_URL, then the config file.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_BASE_URL = "https://api.synthos.dev"


def config_path() -> Path:
    explicit = os.environ.get("SYNTHOS_CONFIG")
    if explicit:
        return Path(explicit)
    root = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(root) / "synthos" / "config.json"


def load() -> dict:
    path = config_path()
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save(data: dict) -> Path:
    """Write the config readable by its owner only (the directory 0700, the file 0600)."""
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle, indent=2)
        handle.write("\n")
    os.chmod(path, 0o600)  # an older file may have been created with wider permissions
    return path


@dataclass(frozen=True)
class Credentials:
    base_url: str
    api_key: str | None


def resolve(*, base_url: str | None = None, api_key: str | None = None) -> Credentials:
    stored = load()
    return Credentials(
        base_url=base_url or os.environ.get("SYNTHOS_BASE_URL") or stored.get("base_url") or DEFAULT_BASE_URL,
        api_key=api_key or os.environ.get("SYNTHOS_API_KEY") or stored.get("api_key"),
    )
