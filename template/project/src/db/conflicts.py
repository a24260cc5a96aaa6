"""Writes the database refused because of the data, as 409s that name the fields: a unique value
that is taken, a reference to a row that does not exist, a delete of a row others still
reference. Anything else is not a conflict and is raised again."""

from typing import NoReturn

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from src.core.schemas import ErrorDetail
from src.db import dialect
from src.exceptions import ConflictError, InvalidReferenceError

# The column of an owner-scoped domain: its unique values are unique per owner, and a taken one
# is named by the field alone.
OWNER_COLUMN = "owner_id"


class UniqueValueTakenError(ConflictError):
    message = "Another row has the same unique values"


class RowInUseError(ConflictError):
    message = "Other rows still reference this row"


def raise_write_error(error: IntegrityError, table: sa.Table) -> NoReturn:
    """A create or update of `table` the database refused: a 409 naming the taken unique fields,
    or the references to missing rows."""
    taken = dialect.unique_violation_columns(error, table)
    if taken is not None:
        fields = [column for column in taken if column != OWNER_COLUMN] or taken
        details = [ErrorDetail(field=column, message=f"This {column} is already taken") for column in fields]
        raise UniqueValueTakenError(details=details) from error
    missing = dialect.foreign_key_violation_columns(error, table)
    if missing is not None:
        details = [ErrorDetail(field=column, message="No such row to reference") for column in missing]
        raise InvalidReferenceError(details=details) from error
    raise error


def raise_delete_error(error: IntegrityError) -> NoReturn:
    """A delete the database refused because other rows still reference the row: a 409."""
    if dialect.is_foreign_key_violation(error):
        raise RowInUseError from error
    raise error
