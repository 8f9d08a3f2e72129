"""The web server's settings (``gunicorn -c config/gunicorn.py config.wsgi:application``), the
same in docker-compose, the image and the load benchmark. Environment variables override:
WEB_WORKERS, WEB_THREADS, WEB_BIND."""

import gc
import os

bind = os.environ.get("WEB_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_WORKERS", "4"))
# Two threads per worker: a request waiting on PostgreSQL does not hold a county user's request
# behind it (bench/load.py measured gthread ahead of sync workers at 50 users).
threads = int(os.environ.get("WEB_THREADS", "2"))
worker_class = "gthread" if threads > 1 else "sync"
timeout = 60
max_requests = 2000
max_requests_jitter = 200
# Django is loaded once before the workers fork; what it allocated at start-up is frozen out of
# the garbage collector, so a request's collections scan only the request's own objects.
preload_app = True


def when_ready(server):
    gc.collect()
    gc.freeze()
