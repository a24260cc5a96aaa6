"""The input contract, the shared schemas every domain's schemas build on and, in a service with
jobs, the background jobs (template-owned: `fastapi-domains update` may change this package)."""
