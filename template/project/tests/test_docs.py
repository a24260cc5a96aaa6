"""The docs page (src/web/docs.py): Swagger UI that sends a unique field's example as a new value."""

from httpx import AsyncClient

from src.web import docs
from tests import every_type


def test_the_page_knows_each_unique_fields_examples() -> None:
    """every_type's `name` is unique (a column constraint) and documents an example."""
    examples = docs.unique_examples(every_type.make_app(), every_type.Base.metadata)
    assert examples == {"name": {"examples": ["Ada Lovelace"], "maxLength": 40}}


async def test_the_page_sends_requests_through_the_interceptor(client: AsyncClient) -> None:
    response = await client.get("/docs")
    assert response.status_code == 200
    assert "const UNIQUE_EXAMPLES = {" in response.text
    assert "const ui = SwaggerUIBundle({\n    requestInterceptor: freshExamples," in response.text
