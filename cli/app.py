"""What every `forge` command shares: `--json` and `--quiet` on each, the profile it talks to, exit codes
(0 done, 1 the API refused or could not be reached, 2 a usage error) and rich output for people."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from rich.console import Console, RenderableType
from rich.json import JSON
from rich.table import Table

from cli.api import ApiClient, ApiRefused, ApiUnreachable
from cli.config import DEFAULT_PROFILE, load_profile

# Piped output keeps whole ids in tables rather than the 80 columns rich assumes without a terminal.
PIPED_WIDTH = 200
console = Console(highlight=False, width=None if sys.stdout.isatty() else PIPED_WIDTH)
errors = Console(stderr=True, highlight=False)


@dataclass
class Invocation:
    profile_name: str = DEFAULT_PROFILE
    as_json: bool = False
    quiet: bool = False
    _client: ApiClient | None = field(default=None, repr=False)

    def client(self) -> ApiClient:
        if self._client is None:
            profile = load_profile(self.profile_name)
            if profile is None:
                raise click.ClickException(
                    f"no profile {self.profile_name!r}: run `forge login` first (or pass --profile)"
                )
            self._client = ApiClient(profile)
        return self._client


def _set_flag(name: str) -> Callable[[click.Context, click.Parameter, bool], None]:
    def callback(context: click.Context, _parameter: click.Parameter, value: bool) -> None:
        if value:
            setattr(context.ensure_object(Invocation), name, True)

    return callback


class ForgeCommand(click.Command):
    """A command with `--json` (the API's answer as JSON on stdout) and `-q/--quiet` (only the id, for scripts)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params.append(
            click.Option(
                ["--json", "as_json"],
                is_flag=True,
                expose_value=False,
                callback=_set_flag("as_json"),
                help="Print the API's answer as JSON.",
            )
        )
        self.params.append(
            click.Option(
                ["-q", "--quiet"],
                is_flag=True,
                expose_value=False,
                callback=_set_flag("quiet"),
                help="Print only the identifier (or the one-time secret) of the answer.",
            )
        )

    def invoke(self, context: click.Context) -> Any:
        try:
            return super().invoke(context)
        except ApiRefused as refused:
            if context.ensure_object(Invocation).as_json:
                click.echo(json.dumps(refused.problem, indent=2))
            errors.print(f"[bold red]error:[/] {refused.message}", markup=True, soft_wrap=True)
            raise SystemExit(1) from refused
        except ApiUnreachable as unreachable:
            errors.print(f"error: the API does not answer: {unreachable}", markup=False, soft_wrap=True)
            raise SystemExit(1) from unreachable


class ForgeGroup(click.Group):
    command_class = ForgeCommand


ForgeGroup.group_class = ForgeGroup


def invocation() -> Invocation:
    return click.get_current_context().ensure_object(Invocation)


def emit(data: Any, render: Callable[[Any], RenderableType | str] | None = None, quiet: str | None = None) -> None:
    """The answer as the caller asked: JSON, only `quiet`, or rendered for a person (as JSON when nothing renders)."""
    state = invocation()
    if state.as_json:
        click.echo(json.dumps(data, indent=2, default=str))
    elif state.quiet:
        if quiet is not None:
            click.echo(quiet)
    elif render is not None:
        console.print(render(data), soft_wrap=True)
    elif data is not None:
        console.print(JSON(json.dumps(data, default=str)), soft_wrap=True)


def table(rows: list[dict[str, Any]], columns: list[str], title: str | None = None) -> Table:
    view = Table(title=title, show_edge=False, header_style="bold")
    for column in columns:
        view.add_column(column, overflow="fold")
    for row in rows:
        view.add_row(*("" if row.get(column) is None else str(row.get(column)) for column in columns))
    return view


def json_argument(value: str) -> Any:
    """A JSON value given inline, as `@file`, or `@-` for standard input."""
    if value.startswith("@"):
        source = value[1:]
        text = sys.stdin.read() if source == "-" else _read_file(source)
    else:
        text = value
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise click.BadParameter(f"not JSON: {error}") from error


def _read_file(name: str) -> str:
    path = Path(name)
    if not path.is_file():
        raise click.BadParameter(f"no file {name}")
    return path.read_text()


def all_pages(path: str, **params: Any) -> list[dict[str, Any]]:
    client = invocation().client()
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        page = client.get(path, cursor=cursor, **params)
        items.extend(page["items"])
        cursor = page.get("next_cursor")
        if not cursor:
            return items
