"""What every host gets first: the root-only directory that secret files pass through."""

from pyinfra.api.deploy import deploy
from pyinfra.context import host
from pyinfra.operations import files


@deploy("Base")
def base() -> None:
    files.directory(
        name="Create the root-only directory for secret files (0700)",
        path=host.data.vedb_etc,
        user="root",
        group="root",
        mode="700",
    )
