import pytest


@pytest.fixture
def in_request(app):
    with app.test_request_context("/"):
        yield
