"""The local prompt optimizer: exact token counts, protected spans and rule-based refining."""
