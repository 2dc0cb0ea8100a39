"""Tests of the LLM provider clients against the fake provider server."""
