"""ORM queries compiled to SQL once and run many times, for the few hot reads where Django's
per-call cost (compiling the query, binding on the client, planning afresh) outweighs the query.

A ``Template`` is a queryset compiled with placeholder values ("sentinels") whose positions in
the parameters are found and filled per call; the backend's converters are applied as
``QuerySet`` iteration would. On PostgreSQL the statement is bound on the server and, on a
persistent connection, prepared once (``_prepared``). Used by the archive's fast lane
(``archive/fastlane.py``) and the single degree audit (``conversion/selectors.py``).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class Template:
    """One ORM query compiled once: its SQL, its parameters with the slots to fill per request,
    and the backend's converters for its columns (what ``QuerySet`` iteration would apply)."""

    sql: str
    params: tuple[Any, ...]
    slots: tuple[tuple[int, str], ...]
    compiler: Any
    converters: dict[int, Any]
    fields: dict[str, Any]
    # A slot's value from the caller's values: by default the value of that name.
    resolve: Callable[[dict[str, Any], str], Any] = operator.getitem

    def execute(
        self, connection: Any, values: dict[str, Any], *, suffix: str = "", extra: tuple[Any, ...] = ()
    ) -> list[Any]:
        params = list(self.params)
        for index, name in self.slots:
            params[index] = self.fields[name].get_db_prep_value(self.resolve(values, name), connection, prepared=False)
        rows = fetchall(connection, self.sql + suffix, [*params, *extra])
        if self.converters:
            rows = [tuple(row) for row in self.compiler.apply_converters(rows, self.converters)]
        return rows


def fetchall(connection: Any, sql: str, params: list[Any]) -> list[Any]:
    """The rows of one statement: on PostgreSQL bound on the server (``_prepared``), elsewhere,
    and whenever Django logs queries (``DEBUG``, a test counting them), through Django's cursor,
    so that what is counted stays what runs. Values as the driver gives them (no converters)."""
    if connection.vendor == "postgresql" and not connection.queries_logged:
        return _prepared(connection, sql, params)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _prepared(connection: Any, sql: str, params: list[Any]) -> list[Any]:
    """PostgreSQL: bound on the server, and prepared once per connection where that is safe
    (``_may_prepare``). Planning the archive page's six tables costs PostgreSQL about six times
    what running the plan does (docs/performance.md); Django's cursors bind on the client, so every
    one of its queries is planned afresh. Errors become Django's, and mark the connection as
    Django's own cursor would."""
    # What Django's cursor() does first: the health check (when due) and the connection.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        cursor, prepare = _server_cursor(connection)
        cursor.execute(sql, params, prepare=prepare)
        return cursor.fetchall()


# psycopg prepares a statement after this many runs; Django leaves it None (never). Its own
# cursors bind on the client and never prepare whatever the threshold, so this only lets the
# explicit ``prepare=True`` here through.
_EXPLICIT_ONLY = 2**31 - 1


def _may_prepare(connection: Any) -> bool:
    """A prepared statement lives in one server session: worth it on a persistent connection,
    and wrong through a transaction-mode pooler, for which docs/deploy.md sets
    ``CONN_MAX_AGE=0``. Where Django itself binds on the server, its settings decide."""
    options = connection.settings_dict.get("OPTIONS") or {}
    return bool(connection.settings_dict.get("CONN_MAX_AGE")) and not options.get("server_side_binding")


def _server_cursor(connection: Any) -> tuple[Any, bool]:
    """One server-binding cursor per database connection, kept beside it. Timestamps are read by
    psycopg's own (C) loader: Django's Python loader gives the same values for a session in UTC,
    at about a tenth of a millisecond more per page."""
    import psycopg
    from psycopg.types.datetime import TimestamptzLoader

    raw = connection.connection
    kept = getattr(connection, "_compiled_sql_cursor", None)
    if kept is not None and kept[0] is raw and not kept[1].closed:
        return kept[1], kept[2]
    cursor = psycopg.Cursor(raw)
    if str(raw.info.timezone) == "UTC":
        cursor.adapters.register_loader("timestamptz", TimestamptzLoader)
    prepare = _may_prepare(connection)
    if prepare and raw.prepare_threshold is None:
        raw.prepare_threshold = _EXPLICIT_ONLY
    connection._compiled_sql_cursor = (raw, cursor, prepare)
    return cursor, prepare


def compile_template(
    queryset: Any,
    sentinels: dict[str, tuple[Any, Any]],
    resolve: Callable[[dict[str, Any], str], Any] = operator.getitem,
) -> Template:
    """``sentinels``: slot name → (model field, the placeholder value the queryset was built with);
    each must turn up exactly once in the compiled parameters (``ImproperlyConfigured`` otherwise).
    ``resolve(values, name)``: a slot's value from what ``execute`` is given."""
    compiler = queryset.query.get_compiler(using=queryset.db)
    sql, params = compiler.as_sql()
    slots = []
    for name, (field, value) in sentinels.items():
        prepared = field.get_db_prep_value(value, compiler.connection, prepared=False)
        found = [index for index, param in enumerate(params) if param == prepared]
        if len(found) != 1:
            raise ImproperlyConfigured(f"compiled SQL: placeholder {name} found {len(found)} times in {sql}")
        slots.append((found[0], name))
    converters = compiler.get_converters([column[0] for column in compiler.select[: compiler.col_count]])
    return Template(
        sql, tuple(params), tuple(slots), compiler, converters, {n: f for n, (f, _) in sentinels.items()}, resolve
    )
