"""The WSGI entry point for gunicorn (`api.wsgi:app`), configured from `LKJ_*`."""
from api.app import create_app

app = create_app()
