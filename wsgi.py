"""WSGI entry point: `flask --app wsgi run` or `gunicorn wsgi:app`."""

from dotenv import load_dotenv

load_dotenv()

from marketplace import create_app  # noqa: E402

app = create_app()
