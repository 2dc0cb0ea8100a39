"""Hand-written SQL, one module per domain; every function takes the connection first."""
