"""The ClickMeter v2 API client.

`target.open_client(options)` gives a `client.ClickMeterClient` for the local
account or a URL; `session.ApiSession` under it limits, retries and counts;
`errors` holds the typed, one-line failures.
"""
