"""Limits and names of the auth domain, shared by schemas, service and tests."""

from typing import Literal

from src.core import inputs

EMAIL_MAX_LENGTH = inputs.EMAIL_MAX_LENGTH
# Long enough for a passphrase, short enough that hashing one costs no more than any other.
PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 128
# An argon2 hash with its parameters and salt is about 100 characters.
PASSWORD_HASH_MAX_LENGTH = 255

TOKEN_TYPE = "bearer"  # noqa: S105 (the OAuth2 token type, not a secret)
# The only algorithm a token may name: "none", or a key confusion with another algorithm, is refused.
JWT_ALGORITHM = "HS256"
# 32 random bytes (43 URL-safe characters); a longer value sent back cannot be one of ours.
REFRESH_TOKEN_BYTES = 32
REFRESH_TOKEN_MAX_LENGTH = 64
# Hex sha256 digests: of a refresh token, and of a lowercased login name (the throttle's key).
DIGEST_LENGTH = 64
# The OAuth2 form's free-text fields.
FORM_FIELD_MAX_LENGTH = 255

# Fields the user list can be sorted by; a leading "-" sorts descending.
SORT_FIELDS = ("id", "created_at", "updated_at", "email")
SortParam = Literal["id", "-id", "created_at", "-created_at", "updated_at", "-updated_at", "email", "-email"]
DEFAULT_SORT: SortParam = "id"
# Longer than any cursor the list hands out: the sort, an email and an id, base64-encoded.
CURSOR_MAX_LENGTH = 4096
