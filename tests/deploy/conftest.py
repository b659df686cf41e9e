def pytest_configure(config):
    config.addinivalue_line("markers", "e2e: starts a real Airflow, or checks how it is deployed")
