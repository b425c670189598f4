-- One database role per service; each role owns its schema and can touch nothing else.
-- Applied by `make run` (deploy/run.py) as the postgres superuser on the `vrac` database.
DO $$
DECLARE
    service text;
BEGIN
    FOREACH service IN ARRAY ARRAY['accounts', 'ordering', 'logistics', 'notifications'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = service) THEN
            EXECUTE format('CREATE ROLE %I LOGIN', service);
        END IF;
        EXECUTE format('CREATE SCHEMA IF NOT EXISTS %I AUTHORIZATION %I', service, service);
        EXECUTE format('ALTER SCHEMA %I OWNER TO %I', service, service);
        EXECUTE format('REVOKE ALL ON SCHEMA %I FROM PUBLIC', service);
    END LOOP;
END $$;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
