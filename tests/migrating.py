"""Moving the test database between migrations (data migration tests)."""

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate(targets) -> MigrationExecutor:
    """Migrate to ``targets``; returns an executor whose loader sees the new state."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection)


def latest() -> list[tuple[str, str]]:
    """The leaf migration of every app."""
    return MigrationExecutor(connection).loader.graph.leaf_nodes()
