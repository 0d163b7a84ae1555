import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_env_example_lists_every_variable_the_settings_read():
    source = (ROOT / "synthos/settings/base.py").read_text()
    read = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z_]+)"', source))
    read |= {f"RATE_LIMIT_{tier}" for tier in ("FREE", "PRO", "ENTERPRISE")}  # built from a loop
    listed = set(re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE))
    assert read, "the pattern found no env reads"
    assert read - listed == set()
