"""`gwanje camsim-bell CODE...`: press simulated emergency bells as a bell gateway would
(HTTP by default, `--mqtt URL` for the broker). The token comes from the environment
(`GWANJE_BELL_TOKEN`) or `--token`, and is never printed."""

from __future__ import annotations

from typing import Annotated

import typer

from gwanje.media.camsim.bells import BellGateway


def camsim_bell(
    codes: Annotated[list[str], typer.Argument(help="Bell management numbers to press.")],
    token: Annotated[
        str, typer.Option(envvar="GWANJE_BELL_TOKEN", help="The gateway account's API token.")
    ],
    url: Annotated[str, typer.Option(help="The center's web address.")] = "http://127.0.0.1:8000",
    mqtt: Annotated[str | None, typer.Option(help="Press over this broker instead.")] = None,
    prefix: Annotated[str, typer.Option(help="MQTT topic prefix.")] = "gwanje",
) -> None:
    """Press emergency bells (ORD-2.7) through the real gateway path."""
    gateway = BellGateway(token=token, base_url=url, mqtt_url=mqtt, mqtt_prefix=prefix)
    for code in codes:
        if mqtt:
            gateway.press_mqtt(code)
            typer.echo(f"{code}: published")
            continue
        answer = gateway.press_http(code)
        typer.echo(f"{code}: HTTP {answer.status_code} {answer.text}")
        if answer.status_code >= 400:
            raise typer.Exit(1)
