#!/bin/sh
# web: apply migrations, collect static files, then run gunicorn (gunicorn.conf.py; GUNICORN_* tune it).
# worker: the notifications worker, one per deployment.
# Anything else is run as a command (e.g. `python manage.py createsuperuser`).
set -eu
case "${1:-web}" in
    web)
        python manage.py migrate --noinput
        python manage.py collectstatic --noinput --verbosity 0
        exec gunicorn config.wsgi
        ;;
    worker)
        exec python manage.py send_notifications --loop
        ;;
    *)
        exec "$@"
        ;;
esac
