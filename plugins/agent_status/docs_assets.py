"""Great Expectations Data Docs without internet: local copies of the scripts and styles its
pages load from CDNs.

GX's page templates link Bootstrap, bootstrap-table (which fills every table), jQuery, Font
Awesome, Vega... from unpkg, cdnjs, jsDelivr. Without internet the pages render unstyled and
their tables empty. ``make venv`` fetches the same versions once from the npm registry (a
package registry, like PyPI), checked against the registry's sha512; Data Docs sites are then
rewritten to use the copies (``make_site_offline``), and the Airflow status view serves them.

    python -m agent_status.docs_assets fetch    # done by `make venv`
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import os
import re
import shutil
import sys
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from agent_status import PROJECT_ROOT

log = logging.getLogger(__name__)
REGISTRY = os.environ.get("AGENT_STATUS_NPM_REGISTRY", "https://registry.npmjs.org")
VENDOR_DIR_NAME = "vendor"  # inside a Data Docs site's static folder


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    integrity: str  # the registry's dist.integrity (sha512, base64)
    files: tuple[str, ...]  # paths inside the package ("dist/x.min.js"); a trailing / = a folder

    @property
    def folder(self) -> str:
        return f"{self.name.replace('/', '__')}@{self.version}"

    @property
    def tarball(self) -> str:
        base = self.name.split("/")[-1]
        return f"{REGISTRY}/{self.name}/-/{base}-{self.version}.tgz"


PACKAGES = (
    Package("bootstrap", "4.3.1", "sha512-rXqOmH1VilAt2DyPzluTi2blhk17bO7ef+zLLPlWvG494pDxcM234pJ8wTc/6R40UWizAIIMgxjvxZg5kmsbag==",
            ("dist/css/bootstrap.min.css", "dist/js/bootstrap.min.js")),
    Package("bootstrap-table", "1.19.1", "sha512-WvV+l1AI/C+zThaKmfHmi/IuayVNB0qdFyEhFx1jyZhO0oLtNJNANkCR3rvJf6Dkh72dsLElxpE/bzK9seEQLA==",
            ("dist/bootstrap-table.min.css", "dist/bootstrap-table.min.js",
             "dist/extensions/filter-control/bootstrap-table-filter-control.css",
             "dist/extensions/filter-control/bootstrap-table-filter-control.min.css",
             "dist/extensions/filter-control/bootstrap-table-filter-control.min.js")),
    Package("jquery", "3.7.1", "sha512-m4avr8yL8kmFN8psrbFFFmB/If14iN5o9nw/NgnnM+kybDJpRsAynV2BsfpTYrTRysYUdADVD7CkUUizgkpLfg==",
            ("dist/jquery.min.js",)),
    Package("popper.js", "1.12.9", "sha512-s0EEi9xiSCdqz9lV4IiVH5yIZnDX/U1t0tCjB+0jXx9jW8lrR7kOpVupiUg175ogqVoudpDXHF1p6dKATCHMeg==",
            ("dist/umd/popper.min.js",)),
    Package("bootstrap-datepicker", "1.9.0", "sha512-9rYYbaVOheGYxjOr/+bJCmRPihfy+LkLSg4fIFMT9Od8WwWB/MB50w0JO1eBgKUMbb7PFHQD5uAfI3ArAxZRXA==",
            ("dist/css/bootstrap-datepicker.min.css", "dist/js/bootstrap-datepicker.min.js")),
    Package("@fortawesome/fontawesome-free", "6.6.0", "sha512-60G28ke/sXdtS9KZCpZSHHkCbdsOGEhIUGlwq6yhY74UpTiToIh8np7A8yphhM4BWsvNFtIvLpi4co+h9Mr9Ow==",
            ("css/all.min.css", "webfonts/")),
    Package("@forevolve/bootstrap-dark", "1.1.0", "sha512-A3ucpEpxPoTVO490lZZCfjPXxv832l7mm1IxX3bXyxvgwnPGXDLyh7dWrphXKO8YBAu3EswbBEu3VSW8NRMW3A==",
            ("dist/css/bootstrap-prefers-dark.css",)),
    Package("vega", "5.33.1", "sha512-1fArfVDUqVbb5z8n+/nVQb+VNBzx8svY6CrsyTK4Ujm4yrd9I1auoKxBAPXLCavY1LcrbHUskQbGUP8gXOzyQw==",
            ("build/vega.min.js",)),
    Package("vega-lite", "5.23.0", "sha512-l4J6+AWE3DIjvovEoHl2LdtCUkfm4zs8Xxx7INwZEAv+XVb6kR6vIN1gt3t2gN2gs/y4DYTs/RPoTeYAuEg6mA==",
            ("build/vega-lite.min.js",)),
    Package("vega-embed", "6.29.0", "sha512-PmlshTLtLFLgWtF/b23T1OwX53AugJ9RZ3qPE2c01VFAbgt3/GSNI/etzA/GzdrkceXFma+FDHNXUppKuM0U6Q==",
            ("build/vega-embed.min.js",)),
)

# every CDN address GX's templates use (great_expectations/render/view/templates/*.j2) -> the
# local copy, as "<package folder>/<path>"
_BY_NAME = {p.name: p for p in PACKAGES}


def _local(name: str, path: str) -> str:
    return f"{_BY_NAME[name].folder}/{path}"


CDN_MAP = {
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": _local("bootstrap", "dist/css/bootstrap.min.css"),
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": _local("bootstrap", "dist/js/bootstrap.min.js"),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": _local("bootstrap-table", "dist/bootstrap-table.min.css"),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": _local("bootstrap-table", "dist/bootstrap-table.min.js"),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css": _local("bootstrap-table", "dist/extensions/filter-control/bootstrap-table-filter-control.css"),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css": _local("bootstrap-table", "dist/extensions/filter-control/bootstrap-table-filter-control.min.css"),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js": _local("bootstrap-table", "dist/extensions/filter-control/bootstrap-table-filter-control.min.js"),
    "https://code.jquery.com/jquery-3.7.1.min.js": _local("jquery", "dist/jquery.min.js"),
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": _local("popper.js", "dist/umd/popper.min.js"),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css": _local("bootstrap-datepicker", "dist/css/bootstrap-datepicker.min.css"),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js": _local("bootstrap-datepicker", "dist/js/bootstrap-datepicker.min.js"),
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": _local("@fortawesome/fontawesome-free", "css/all.min.css"),
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css": _local("@forevolve/bootstrap-dark", "dist/css/bootstrap-prefers-dark.css"),
    "https://cdn.jsdelivr.net/npm/vega@5": _local("vega", "build/vega.min.js"),
    "https://cdn.jsdelivr.net/npm/vega-lite@5": _local("vega-lite", "build/vega-lite.min.js"),
    "https://cdn.jsdelivr.net/npm/vega-embed@6": _local("vega-embed", "build/vega-embed.min.js"),
}
# an SRI hash pins the CDN's bytes; the local copy is checked against the registry instead
_INTEGRITY = re.compile(r'\s+(integrity="[^"]*"|crossorigin="[^"]*")')


def assets_dir() -> Path:
    return Path(os.environ.get("AGENT_STATUS_ASSETS_DIR", PROJECT_ROOT / "data" / "docs-assets"))


def missing() -> list[str]:
    """The local copies that are not there yet."""
    root = assets_dir()
    return [local for local in CDN_MAP.values() if not (root / local).is_file()]


def fetch(quiet: bool = False) -> Path:
    """Download every package once (idempotent), verify its sha512, keep the files used."""
    root = assets_dir()
    for package in PACKAGES:
        target = root / package.folder
        marker = target / ".complete"
        if marker.is_file():
            continue
        with urllib.request.urlopen(package.tarball, timeout=60) as response:  # noqa: S310
            data = response.read()
        digest = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
        if digest != package.integrity:
            raise RuntimeError(f"{package.name}@{package.version}: the registry's tarball does not "
                               f"match its pinned sha512 ({digest[:24]}... != "
                               f"{package.integrity[:24]}...)")
        if target.exists():
            shutil.rmtree(target)
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            for member in archive.getmembers():
                inner = member.name.split("/", 1)[1] if "/" in member.name else ""
                wanted = any(inner == f or (f.endswith("/") and inner.startswith(f))
                             for f in package.files)
                if not wanted or not member.isfile() or ".." in Path(inner).parts:
                    continue
                out = target / inner
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(archive.extractfile(member).read())
        marker.write_text(package.integrity)
        if not quiet:
            print(f"docs assets: {package.name}@{package.version}")
    return root


def offline_html(text: str, base: str) -> str:
    """A Data Docs page with every known CDN address replaced by ``base`` + the local copy."""
    for url, local in CDN_MAP.items():
        text = text.replace(f'"{url}"', f'"{base}{local}"')
    return _INTEGRITY.sub("", text)


def make_site_offline(site: Path, since: float | None = None) -> bool:
    """Copy the assets into the site's ``static/vendor`` and rewrite its pages to use them, with
    relative links, so the site also opens from disk (file://). False if the assets are absent
    (the pages then keep their CDN links, and a warning says how to fetch them). ``since``: only
    the pages written from then on (a time as ``time.time()``), those a validation run just
    rendered: the others were rewritten when they were written (reading every page of a long
    history took longer every night, issue 10)."""
    if missing():
        log.warning("Data Docs keep their CDN links: run `python -m agent_status.docs_assets "
                    "fetch` (done by `make venv`) to render them without internet")
        return False
    vendor = site / "static" / VENDOR_DIR_NAME
    if not (vendor / ".copied").is_file():
        shutil.copytree(assets_dir(), vendor, dirs_exist_ok=True)
        (vendor / ".copied").write_text("1")
    for page in site.rglob("*.html"):
        if since is not None and page.stat().st_mtime < since:
            continue
        depth = len(page.relative_to(site).parts) - 1
        base = "../" * depth + f"static/{VENDOR_DIR_NAME}/"
        text = page.read_text(encoding="utf-8")
        rewritten = offline_html(text, base)
        if rewritten != text:
            page.write_text(rewritten, encoding="utf-8")
    return True


def asset_file(path: str) -> Path | None:
    root = assets_dir().resolve()
    target = (root / path).resolve()
    return target if root in target.parents and target.is_file() else None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] != ["fetch"]:
        print("usage: python -m agent_status.docs_assets fetch", file=sys.stderr)
        return 2
    try:
        root = fetch()
    except OSError as error:
        print(f"docs assets: could not fetch from {REGISTRY} ({error}); Data Docs will load "
              f"their scripts from CDNs", file=sys.stderr)
        return 0  # optional: the import works without them
    print(f"docs assets: {len(PACKAGES)} packages in {root}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
