"""PostgreSQL whose per-request health check costs no round trip while the connection is quiet.

Django's CONN_HEALTH_CHECKS sends SELECT 1 before the first query of every request: on a busy
web machine one more round trip per page, waiting on the database's turn for a core. A
connection the server has closed (a restart, an idle timeout, a terminated backend) has
something to read on its socket, its farewell or end of file, and an idle healthy one has
nothing: only then is SELECT 1 spent, and it closes the connection as before.
"""

import select

from django.db.backends.postgresql import base


def has_input(connection) -> bool:
    """Whether the connection's socket has anything to read now (never waits)."""
    # poll, not select: a worker with many sockets open may hold descriptors past select's 1024.
    poller = select.poll()
    poller.register(connection.fileno(), select.POLLIN)
    return bool(poller.poll(0))


class DatabaseWrapper(base.DatabaseWrapper):
    def close_if_health_check_failed(self):
        quiet = (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and not self.connection.closed
            and not has_input(self.connection)
        )
        if quiet:
            self.health_check_done = True
            return
        super().close_if_health_check_failed()
