"""Data Docs render without internet: every CDN address GX's templates use has a local copy,
fetched by `make venv` and checked against the npm registry's sha512."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from agent_status import docs_assets


def _template_urls() -> set[str]:
    import great_expectations

    templates = Path(great_expectations.__file__).parent / "render" / "view" / "templates"
    found = set()
    for template in templates.glob("*.j2"):
        found |= set(re.findall(r'(?:src|href)="(https://[^"]+)"', template.read_text()))
    return {url for url in found if not url.startswith("https://greatexpectations.io")
            and "great-expectations-web-assets" not in url}


def test_every_cdn_address_of_gx_has_a_local_copy():
    assert _template_urls() - set(docs_assets.CDN_MAP) == set()


def test_the_assets_were_fetched_by_make_venv():
    assert docs_assets.missing() == [], (
        "run `python -m agent_status.docs_assets fetch` (part of `make venv`)")


def test_a_site_is_rewritten_to_relative_local_copies(tmp_path):
    if docs_assets.missing():
        pytest.fail("assets missing: run `python -m agent_status.docs_assets fetch`")
    site = tmp_path / "local_site"
    page = site / "validations" / "suite" / "run" / "page.html"
    page.parent.mkdir(parents=True)
    page.write_text('<script src="https://code.jquery.com/jquery-3.7.1.min.js"></script>'
                    '<script src="https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/'
                    'bootstrap.min.js" integrity="sha384-x" crossorigin="anonymous"></script>')
    (site / "index.html").write_text(
        '<link rel="stylesheet" href="https://unpkg.com/bootstrap-table@1.19.1/dist/'
        'bootstrap-table.min.css">')
    assert docs_assets.make_site_offline(site)
    text = page.read_text()
    assert "https://" not in text and "integrity" not in text
    assert '"../../../static/vendor/jquery@3.7.1/dist/jquery.min.js"' in text
    for link in re.findall(r'"(\.\./[^"]+|static/[^"]+)"', text + (site / "index.html").read_text()):
        base = page.parent if link.startswith("..") else site
        assert (base / link).resolve().is_file(), link


def test_only_pages_written_since_the_run_are_rewritten(tmp_path):
    """A page written before is left as it is (it was rewritten when it was written), so a
    night's cost does not grow with the history (issue 10)."""
    if docs_assets.missing():
        pytest.fail("assets missing: run `python -m agent_status.docs_assets fetch`")
    import os
    import time

    site = tmp_path / "local_site"
    site.mkdir()
    cdn = '<script src="https://code.jquery.com/jquery-3.7.1.min.js"></script>'
    old, new = site / "old.html", site / "new.html"
    old.write_text(cdn)
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    new.write_text(cdn)
    assert docs_assets.make_site_offline(site, since=time.time() - 60)
    assert old.read_text() == cdn and "https://" not in new.read_text()
