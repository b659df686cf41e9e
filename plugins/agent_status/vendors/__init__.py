"""One module per vendor, named for it, each declaring ``SPEC = VendorSpec(...)``: what the
vendor is (identifier, access, overlap rule, local time, selection), its options and its
README rows. ``connectors.registry.VENDORS`` finds them here by convention; these modules import
only the registry, never pandas, requests or the connector code (DAG parsing reads them)."""
