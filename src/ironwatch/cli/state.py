"""The state every command shares: the acting user (``--as``) and the runtime, built on first use.

Kept apart from ``cli.context`` so the root command can record ``--as`` without importing the
runtime: ``ironwatch --help`` and commands that never open the database stay fast.
"""

from __future__ import annotations

import getpass
from typing import TYPE_CHECKING

from ironwatch.core.errors import IronwatchError
from ironwatch.core.principal import Principal, local_principal, system_principal

if TYPE_CHECKING:
    from ironwatch.bootstrap import Runtime


class CliState:
    acting_as: str | None = None
    _runtime: Runtime | None = None

    @property
    def runtime(self) -> Runtime:
        if self._runtime is None:
            # imported on first use, for start-up speed: bootstrap imports every slice
            from ironwatch.bootstrap import build_runtime

            self._runtime = build_runtime()
        return self._runtime

    def principal(self) -> Principal:
        """The local operator, or ``--as USER`` to act (and be audited) as that user."""
        if self.acting_as is None:
            return local_principal(getpass.getuser())
        # imported on first use, for start-up speed: the access service pulls in argon2 and the store
        from ironwatch.access import service as access

        with self.runtime.uow(system_principal("cli")) as uow:
            user = access.find_user(uow, self.acting_as)
            if user.disabled:
                raise IronwatchError(f"user {user.username!r} is disabled")
            return access.principal_for(user, source_ip="local")


state = CliState()
