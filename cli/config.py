"""Profiles, one per environment: the API's base URL and the credential to send it, in the user's config dir.

The file is the user's own (mode 0600); a credential is written only as the user gave it and never printed back.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import click

APP_NAME = "nexus-forge"
DEFAULT_PROFILE = "default"


@dataclass(frozen=True)
class Profile:
    base_url: str
    credential: str


def config_path() -> Path:
    return Path(click.get_app_dir(APP_NAME)) / "profiles.json"


def _read_all() -> dict[str, dict[str, str]]:
    path = config_path()
    if not path.exists():
        return {}
    profiles: dict[str, dict[str, str]] = json.loads(path.read_text())
    return profiles


def load_profile(name: str) -> Profile | None:
    stored = _read_all().get(name)
    return Profile(**stored) if stored else None


def save_profile(name: str, profile: Profile) -> Path:
    profiles = _read_all()
    profiles[name] = asdict(profile)
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    # Created owner-only before the credential is written into it.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as stream:
        json.dump(profiles, stream, indent=2)
    path.chmod(0o600)
    return path


def profile_names() -> list[str]:
    return sorted(_read_all())
