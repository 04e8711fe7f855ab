"""gunicorn's settings for City Brain (docs/DEPLOY.md): ``gunicorn -c gunicorn.conf.py``.

The numbers are the deployment guide's; CITYBRAIN_BIND, CITYBRAIN_WORKERS and
CITYBRAIN_THREADS change them without editing this file, and command-line flags still win.
"""

import os

wsgi_app = "app:create_server()"
bind = os.environ.get("CITYBRAIN_BIND", "127.0.0.1:8050")
workers = int(os.environ.get("CITYBRAIN_WORKERS", "4"))
# threads: a worker answers the wall's and the analysts' callbacks while one renders a report
threads = int(os.environ.get("CITYBRAIN_THREADS", "4"))
# a whole-month report renders in about 15 s; an upload loads in a child process of its own
timeout = 120
# browsers reuse a connection after a pause; gunicorn's default of 2 s closes it just then
keepalive = 75
# the app logs each request itself, with the user and the time taken (web/logs.py)
accesslog = None
errorlog = "-"
