"""Request and response models of the auth domain.

Requests are held to the input contract of `src/core/inputs.py`: a value the service cannot take is a
422 naming the field, and an unknown field or query parameter is a 422 listing the known ones.
"""

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, ValidationInfo, field_validator

from src.auth import constants, utils
from src.auth.config import settings
from src.core import inputs
from src.core.schemas import PageBase, ReadSchema, RequestSchema, Schema


def _not_common(password: str) -> str:
    if utils.is_common_password(password):
        raise ValueError("This password is one of the most common ones; choose another (a few words will do)")
    return password


# A new password. Any NUL-free characters: argon2 takes any bytes, and passphrases are welcome;
# one of the most common passwords is refused (NIST SP 800-63B, 5.1.1.2).
NewPassword = Annotated[
    inputs.Text,
    Field(
        min_length=constants.PASSWORD_MIN_LENGTH,
        max_length=constants.PASSWORD_MAX_LENGTH,
        description=f"At least {constants.PASSWORD_MIN_LENGTH} characters, and not one of the most common passwords",
    ),
    AfterValidator(_not_common),
]
# A password to check: any length up to the limit, so a short one is a wrong password, not a malformed request.
GivenPassword = Annotated[inputs.Text, Field(min_length=1, max_length=constants.PASSWORD_MAX_LENGTH)]
RefreshTokenValue = Annotated[inputs.Text, Field(min_length=1, max_length=constants.REFRESH_TOKEN_MAX_LENGTH)]
FormText = Annotated[inputs.Text, Field(max_length=constants.FORM_FIELD_MAX_LENGTH)]


class UserCreate(RequestSchema):
    email: inputs.Email
    password: NewPassword

    @field_validator("password")
    @classmethod
    def _not_the_email(cls, password: str, info: ValidationInfo) -> str:
        email = info.data.get("email")
        if email and password.lower() in {email, email.split("@")[0]}:
            raise ValueError("The password must not be the email, nor its part before the @")
        return password


class RegistrationAccepted(Schema):
    """The same answer whether the email was new or taken (see the route)."""

    email: str
    message: str


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


class TokenErrorResponse(Schema):
    """An error of the token endpoint, as OAuth2 clients read it (RFC 6749, 5.2)."""

    error: Literal["invalid_request", "invalid_grant", "unsupported_grant_type", "slow_down"]
    error_description: str


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
