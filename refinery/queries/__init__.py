"""Hand-written SQL, one module per domain: each statement a named constant, whole.

Every function takes the connection first and never commits; run.py executes a statement.
"""
