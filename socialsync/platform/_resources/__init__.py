"""One resource class per family of REST endpoints (edge/http/<family>.py on the server)."""
