"""engine_for: a database connection whose dialect or driver is missing says which extra to
install (issue 8 finding 10: Avaya CMS on Informix, vendors.md 9.1)."""

from __future__ import annotations

import importlib.util

import pytest

from agent_status.connectors.base import ConnectionInfo, VendorError
from agent_status.connectors.sql import engine_for

CMS = ConnectionInfo(conn_id="avaya_cms_db", conn_type="informix", host="cms.example",
                     port=9089, login="wfm", password="s3cret", schema="cms")


def test_an_informix_connection_uses_ibm_db_sa_or_names_its_extra():
    if importlib.util.find_spec("ibm_db_sa") is not None:
        engine = engine_for(CMS)
        assert engine.url.drivername == "ibm_db_sa" and engine.url.database == "cms"
        engine.dispose()
        return
    with pytest.raises(VendorError, match=r"^connection avaya_cms_db: SQLAlchemy has no dialect "
                                          r"'ibm_db_sa' installed: pip install "
                                          r"'agent-status\[informix\]'"):
        engine_for(CMS)


def test_a_url_naming_a_dialect_sqlalchemy_lacks_says_so():
    """There is no ``informix://`` dialect: no bare NoSuchModuleError, and the way out."""
    connection = ConnectionInfo(conn_id="avaya_cms_db", password="s3cret",
                                extra={"sqlalchemy_url": "informix://wfm@cms.example:9088/cms"})
    with pytest.raises(VendorError, match=r"SQLAlchemy has no dialect 'informix' installed: "
                                          r"SQLAlchemy has no Informix dialect of its own; write "
                                          r"the URL as ibm_db_sa://") as raised:
        engine_for(connection)
    assert "s3cret" not in str(raised.value)
    with pytest.raises(VendorError, match=r"no dialect 'nosuchdb\+driver' installed \("):
        engine_for(ConnectionInfo(conn_id="x", extra={"sqlalchemy_url": "nosuchdb+driver://h/d"}))
