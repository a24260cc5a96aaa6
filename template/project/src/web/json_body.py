"""JSON the database built, sent as it is.

A read's statement builds the response's JSON (`src.db.queries.json_read_statement`); the route
still declares its `response_model`, which documents the JSON in OpenAPI, but FastAPI sends a
`Response` it is handed without parsing, validating and writing it again.
"""

from starlette.responses import Response


class JsonBody(Response):
    media_type = "application/json"

    def __init__(self, content: bytes | str, *, items: int = 0) -> None:
        super().__init__(content)
        # A page's rows, for a route that answers 404 for an empty page under a missing parent.
        self.items = items
