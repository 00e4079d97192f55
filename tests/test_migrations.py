"""The migrations build exactly the schema the models describe."""

from __future__ import annotations

import os
import tempfile
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from marketplace import create_app
from marketplace.config import TestConfig
from marketplace.extensions import db

from .conftest import ON_POSTGRES, TEST_DATABASE_URL


@pytest.fixture
def empty_database_url():
    if ON_POSTGRES:
        # A database of its own, so the suite's schema is not disturbed.
        admin = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
        name = f"marketplace_migration_{uuid.uuid4().hex[:12]}"
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = TEST_DATABASE_URL.rsplit("/", 1)[0] + "/" + name
        yield url
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        folder = tempfile.mkdtemp()
        yield f"sqlite:///{os.path.join(folder, 'migrations.db')}"


def test_migrations_upgrade_an_empty_database_to_the_models(empty_database_url):
    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = empty_database_url

    app = create_app(Config)
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata
            )
        db.engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"
