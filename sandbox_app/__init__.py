"""The FastAPI app the agent works on: a small baseline that each workspace copies."""
