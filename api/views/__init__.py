"""The API's views, one module per resource; each is thin (services and selectors do the work)."""
