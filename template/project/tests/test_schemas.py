"""How rows are shown: `created_at` and `updated_at` at a fixed width, so that their text sorts as
their time does (a client sorting a page agrees with `sort=created_at`, ties broken by id)."""

import datetime as dt
import uuid

from src.core.schemas import ReadSchema, RowId

ROW_ID = uuid.uuid4() if RowId is uuid.UUID else 1


def shown(moment: dt.datetime) -> str:
    row = ReadSchema.model_validate({"id": ROW_ID, "created_at": moment, "updated_at": moment})
    text = row.model_dump(mode="json")
    assert text["created_at"] == text["updated_at"]
    return text["created_at"]


def test_timestamps_always_show_six_decimals() -> None:
    # A whole second: pydantic alone would write "2024-01-31T09:30:00Z", which sorts after ".5Z".
    assert shown(dt.datetime(2024, 1, 31, 9, 30, tzinfo=dt.UTC)) == "2024-01-31T09:30:00.000000Z"
    # Naive values from SQLite are UTC; other offsets are shown in UTC.
    assert shown(dt.datetime(2024, 1, 31, 9, 30, 0, 1000)) == "2024-01-31T09:30:00.001000Z"
    later = dt.datetime(2024, 1, 31, 11, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert shown(later) == "2024-01-31T09:30:00.000000Z"


def test_timestamp_text_sorts_as_time() -> None:
    start = dt.datetime(2024, 1, 31, 9, 30, tzinfo=dt.UTC)
    moments = [start + dt.timedelta(microseconds=step) for step in (0, 1, 999, 1000, 500_000, 1_000_000)]
    texts = [shown(moment) for moment in moments]
    assert sorted(texts) == texts


def test_the_schema_says_date_time() -> None:
    properties = ReadSchema.model_json_schema(mode="serialization")["properties"]
    assert properties["created_at"]["format"] == properties["updated_at"]["format"] == "date-time"
