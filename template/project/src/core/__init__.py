"""The input contract and the shared schemas every domain's schemas build on (template-owned:
`fastapi-domains update` may change this package)."""
