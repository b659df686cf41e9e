"""One module per vendor, named for it, each declaring ``SPEC = VendorSpec(...)``: what the
vendor is (identifier, access, overlap rule, local time, selection), its options, its Airflow
connection form and its README rows; the module's docstring is the vendor's contract.
``connectors.registry.VENDORS`` finds them here by convention; these modules import only the
registry, never pandas, requests or the connector code (DAG parsing reads them)."""
