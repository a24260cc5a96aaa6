"""The HTTP app's plumbing: domain discovery, health, logging, request ids, body size, unhandled
errors and observability (template-owned: `fastapi-domains update` may change this package)."""
