"""The HTTP API (``/api/v1/``): partner submissions and downloads, CAQH CORE real-time 270/276,
and the read side. It sits above outbound: it calls the apps' services and selectors, never
their tables for writes (see README "HTTP API")."""
