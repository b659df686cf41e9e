# The Airflow image for docker-compose.yaml: the official image plus the project's pinned
# dependencies. The code (dags/, plugins/, include/) is mounted, not copied.
FROM apache/airflow:3.3.2-python3.11
COPY --chown=airflow:0 requirements.txt constraints.txt /opt/agent-status/
# apache-airflow stays at the image's version: constraints.txt pins the same 3.3.2
RUN pip install --no-cache-dir "apache-airflow==3.3.2" \
        -r /opt/agent-status/requirements.txt -c /opt/agent-status/constraints.txt
