"""The public read-only JSON API (/api/v1/): the pages' figures, for developers."""
