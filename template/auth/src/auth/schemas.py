"""Request and response models of the auth domain.

Requests are held to the input contract of `src/inputs.py`: a value the service cannot take is a
422 naming the field, and an unknown field or query parameter is a 422 listing the known ones.
"""

from typing import Annotated, Literal

from pydantic import Field

from src import inputs
from src.auth import constants
from src.auth.config import settings
from src.schemas import PageBase, ReadSchema, RequestSchema, Schema

# A new password. Any NUL-free characters: argon2 takes any bytes, and passphrases are welcome.
NewPassword = Annotated[
    inputs.Text,
    Field(min_length=constants.PASSWORD_MIN_LENGTH, max_length=constants.PASSWORD_MAX_LENGTH),
]
# A password to check: any length up to the limit, so a short wrong one is a 401, not a 422.
GivenPassword = Annotated[inputs.Text, Field(min_length=1, max_length=constants.PASSWORD_MAX_LENGTH)]
RefreshTokenValue = Annotated[inputs.Text, Field(min_length=1, max_length=constants.REFRESH_TOKEN_MAX_LENGTH)]
FormText = Annotated[inputs.Text, Field(max_length=constants.FORM_FIELD_MAX_LENGTH)]


class UserCreate(RequestSchema):
    email: inputs.Email
    password: NewPassword


class LoginForm(RequestSchema):
    """The OAuth2 password grant's form (RFC 6749, 4.3): `username` is the email."""

    username: inputs.Email
    password: GivenPassword
    grant_type: Literal["password"] | None = None
    scope: FormText = ""
    client_id: FormText | None = None
    client_secret: FormText | None = None


class RefreshRequest(RequestSchema):
    refresh_token: RefreshTokenValue


class PasswordChange(RequestSchema):
    current_password: GivenPassword
    new_password: NewPassword


class UserRead(ReadSchema):
    """A user as the API shows it: never the password hash."""

    email: str
    is_active: bool
    is_superuser: bool


class TokenPair(Schema):
    access_token: str = Field(description="A JWT for `Authorization: Bearer <token>`")
    refresh_token: str = Field(description="Opaque; send it to /auth/refresh once for a new pair")
    token_type: Literal["bearer"] = constants.TOKEN_TYPE


class UserPage(PageBase):
    items: list[UserRead]


class UserPaging(RequestSchema):
    """Paging and sorting of the user list: `sort=field`, or `sort=-field` for descending. Walk a
    list of any length with `cursor` (each page's `next`); `offset` skips rows (after the cursor,
    if one is given) and is for the first pages only."""

    limit: Annotated[inputs.Integer, Field(ge=1, le=settings.PAGE_SIZE_MAX), inputs.Whole, inputs.FromQuery] = (
        settings.PAGE_SIZE_DEFAULT
    )
    cursor: Annotated[inputs.Text, Field(min_length=1, max_length=constants.CURSOR_MAX_LENGTH)] = Field(
        default=None, description="The `next` of the previous page, to read the page after it"
    )
    offset: Annotated[inputs.Integer, Field(ge=0, le=settings.OFFSET_MAX), inputs.Whole, inputs.FromQuery] = 0
    sort: constants.SortParam = constants.DEFAULT_SORT
    total: Annotated[inputs.Boolean, inputs.FromQuery] = Field(
        default=False, description="Also count every matching row (a scan of all of them)"
    )


class UserListParams(UserPaging):
    """Paging, sorting and filters, each validated as the field itself is."""

    email: inputs.Email = None
    is_active: Annotated[inputs.Boolean, inputs.FromQuery] = None
    is_superuser: Annotated[inputs.Boolean, inputs.FromQuery] = None
