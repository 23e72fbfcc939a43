"""``gatehouse keys``: master-key management."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from gatehouse.cli.common import console, err, load_settings, open_or_exit
from gatehouse.vault import MasterKey, load_keyring, write_key_file

__all__ = ["keys_app", "rotate"]

keys_app = typer.Typer(help="Master-key management.", no_args_is_help=True)


@keys_app.command("rotate")
def rotate(
    batch: Annotated[
        int, typer.Option(min=1, max=10000, help="Keys re-wrapped per transaction.")
    ] = 500,
) -> None:
    """Re-wrap every data key under a new master key, while Gatehouse keeps serving."""
    from gatehouse.services.key_rotation import rewrap_all

    settings = load_settings()
    if "GATEHOUSE_MASTER_KEY" in settings.environ:
        new_text = settings.environ.get("GATEHOUSE_NEW_MASTER_KEY")
        if not new_text:
            err.print(
                "the master key comes from GATEHOUSE_MASTER_KEY: set GATEHOUSE_NEW_MASTER_KEY to "
                "the new key, and after rotation deploy it as GATEHOUSE_MASTER_KEY with the old "
                "one in GATEHOUSE_MASTER_KEY_PREVIOUS until every process has restarted"
            )
            raise typer.Exit(2)
        old = load_keyring(settings.environ, settings.key_file)
        new_key = MasterKey.from_b64(new_text)
        from gatehouse.vault import Keyring

        keyring = Keyring([new_key, *[old.get(i) for i in old.key_ids]])
    else:
        old = load_keyring(settings.environ, settings.key_file)
        new_key = MasterKey.generate()
        previous = [old.get(i) for i in old.key_ids]
        # The new key goes first in the file; running servers reload it on the first
        # unknown key id, and the old keys stay so nothing wrapped earlier becomes unreadable.
        write_key_file(settings.key_file, [new_key, *previous])
        keyring = load_keyring(settings.environ, settings.key_file)
    gh = open_or_exit(settings)
    with Progress(
        TextColumn("re-wrapping data keys"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        task = bar.add_task("rewrap", total=None)
        report = rewrap_all(
            gh,
            keyring,
            batch=batch,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    gh.close()
    console.print(
        f"re-wrapped {report.data_keys} data keys and {report.secrets} secrets under key "
        f"{new_key.key_id}; {report.remaining} still under an older key"
    )
    if report.remaining:
        raise typer.Exit(1)
