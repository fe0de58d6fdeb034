"""What every host gets first: the root-only directory that secret files pass through."""

from io import StringIO

from pyinfra.api.deploy import deploy
from pyinfra.api.operation import OperationMeta
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


def secret_file(name: str, text: str, dest: str, owner: str = "root") -> OperationMeta:
    """A file holding secrets: ``owner``'s, 0600, uploaded through the root-only directory,
    never through /tmp where another user could read it mid-upload."""
    return files.put(
        name=name,
        src=StringIO(text),
        dest=dest,
        user=owner,
        group=owner,
        mode="600",
        _temp_dir=host.data.vedb_etc,
    )
