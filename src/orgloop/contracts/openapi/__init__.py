"""OpenAPI 3.0/3.1 loading and breaking-change detection with oasdiff-compatible rule ids."""
