export DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/8 TEST_DATABASE_NAME=test_portal_repl
