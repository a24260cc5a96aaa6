"""fastapi-domains: generate domain-driven FastAPI services and grow them domain by domain."""

__version__ = "0.1.0"
