"""Development only: the vendor sandboxes (local imitations of each vendor's public contract),
the deterministic contact-center simulator whose truth the tests reconcile against, the demo
(`make demo`, `make check`, `make airflow`) and the local Airflow it starts. Installed by
`make venv`; production Airflow mounts plugins/ only, so none of this ships there."""
