// A tiny model file used by the integration tests.
