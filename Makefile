.PHONY: run test check

# 1. Run the site on the embedded default: SQLite, briefing loaded, Celery worker beside it.
run:
	./scripts/run.sh

# 2. Run the whole test suite against real PostgreSQL and Redis (installed/started if absent).
test:
	./scripts/test.sh

# Lint, formatting, missing migrations (CI runs this after the tests).
check:
	./scripts/check.sh
