-- GET /ready checks that every update is applied: the service may read which ones are.
GRANT SELECT ON schema_migrations TO refinery_app;
