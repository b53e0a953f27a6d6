#!/bin/sh
# Boot step for containers and PaaS: migrate (waiting for the database), compile
# translations, then serve with gunicorn.
set -e
for attempt in 1 2 3 4 5 6 7 8 9 10; do
  if flask --app microblog db upgrade; then
    break
  fi
  echo "database not ready (attempt $attempt), retrying in 3 s..."
  sleep 3
done
flask --app microblog translate compile
exec gunicorn -c gunicorn.conf.py 'microblog:create_app()'
