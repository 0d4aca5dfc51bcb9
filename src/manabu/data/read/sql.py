"""SQL: a table or a query through SQLAlchemy, for a database URL or a SQLite file.

Database errors arrive wrapped several layers deep and URLs carry passwords, so the driver's own
message is unwrapped and the password hidden before anything is shown.
"""
from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any

import pandas as pd

from manabu.base.errors import DataError
from manabu.data.read.source import Source, check_file, first_line, preview, source_info

PASSWORD_PATTERN = re.compile(r"(://[^/:@]*:)[^/@]*@")  # user:password@ in a URL that did not parse
_SQL_PACKAGES = {"psycopg2": "psycopg2-binary", "psycopg": "psycopg[binary]", "pymysql": "pymysql",
                 "mysqldb": "mysqlclient", "pyodbc": "pyodbc", "oracledb": "oracledb"}


def read_sql(url: str, table: str | None, query: str | None, where: str | None = None) -> tuple[pd.DataFrame, Source]:
    """A table or a query through SQLAlchemy; the engine is disposed whatever happens."""
    import sqlalchemy as sa

    try:
        parsed = sa.engine.make_url(url)
    except (sa.exc.ArgumentError, ValueError) as exc:  # a bad port is a ValueError
        raise DataError("data.sql_bad_url", url=PASSWORD_PATTERN.sub(r"\1***@", url), reason=first_line(exc)) from None
    shown = where or parsed.render_as_string(hide_password=True)
    src = Source(shown, source_info(shown, "sql"))
    src.info.update(table=table, query=query)
    if table is not None and query is not None:
        raise DataError("data.sql_table_and_query", url=shown)
    database = parsed.database or ""
    if parsed.get_backend_name() == "sqlite" and database not in ("", ":memory:") and not database.startswith("file:"):
        check_file(Path(database).expanduser())
    try:
        engine = sa.create_engine(parsed)
    except sa.exc.NoSuchModuleError as exc:  # an unknown dialect: the URL is wrong
        raise DataError("data.sql_bad_url", url=shown, reason=first_line(exc)) from None
    except ImportError as exc:
        driver = parsed.get_driver_name()
        raise DataError("data.sql_driver", url=shown, driver=driver, reason=first_line(exc),
                        package=_SQL_PACKAGES.get(driver, driver)) from None
    try:
        with engine.connect() as connection:
            return _sql_frame(connection, table, query, shown), src
    except (sa.exc.SQLAlchemyError, pd.errors.DatabaseError) as exc:
        root: BaseException = exc
        while root.__cause__ is not None:  # the driver's own error says it best
            root = root.__cause__
        raise DataError("data.sql_failed", url=shown, reason=first_line(root)) from exc
    finally:
        engine.dispose()


def _sql_frame(connection: Any, table: str | None, query: str | None, shown: str) -> pd.DataFrame:
    import sqlalchemy as sa

    if query is not None:
        return pd.read_sql_query(query, connection)
    inspector = sa.inspect(connection)
    names = inspector.get_table_names() + inspector.get_view_names()
    if table is None:
        raise DataError("data.sql_needs_table", url=shown, tables=preview(names) or "-")
    schema, _, name = table.rpartition(".") if table not in names and "." in table else ("", "", table)
    if not inspector.has_table(name, schema=schema or None):
        guess = difflib.get_close_matches(table, names, n=1, cutoff=0.6)
        if guess:
            raise DataError("data.sql_no_table_guess", url=shown, table=table, guess=guess[0])
        raise DataError("data.sql_no_table", url=shown, table=table, tables=preview(names) or "-")
    return pd.read_sql_table(name, connection, schema=schema or None)
