"""Sans-I/O protocol logic: no module here imports aiohttp or websockets (a test checks it)."""
