"""Credentials: HTTP Basic and OAuth2 client credentials (token cached, refreshed on 401)."""

from __future__ import annotations

import threading

import requests

from agent_status.connectors.base import VendorError
from agent_status.connectors.http import Auth, RetriableError, RetryPolicy, classify

# RFC 6749 5.2: the client or its grant is refused. The server may answer these with 400
# rather than 401, notably when the client sends its secret in the body (Vonage, 8.2): they
# are wrong credentials all the same, and are reported as a 401 is
REFUSED_CLIENT_ERRORS = ("invalid_client", "invalid_grant", "unauthorized_client")


def token_url_of(connection) -> str | None:
    """The OAuth token URL a connection names: extra ``auth_url``, else ``token_url``. Airflow's
    UI masks every extra whose name contains "token", so the connection form's field is
    ``auth_url`` (provider.py); ``token_url`` keeps working for existing connections."""
    return connection.extra.get("auth_url") or connection.extra.get("token_url") or None


class BasicAuth(Auth):
    def __init__(self, user: str, password: str):
        self._auth = requests.auth.HTTPBasicAuth(user, password)

    def requests_auth(self):
        return self._auth


class OAuthClientCredentials(Auth):
    """``grant_type=client_credentials`` against ``token_url``; client authenticates with HTTP
    Basic (Genesys, Talkdesk) or in the body (``client_auth="body"``, Vonage)."""

    def __init__(self, token_url: str, client_id: str, client_secret: str, *,
                 scope: str | None = None, client_auth: str = "basic",
                 retry: RetryPolicy | None = None, timeout: float = 30.0):
        if not client_id or not client_secret:
            raise VendorError(f"OAuth client id and secret are required for {token_url} "
                              "(connection login and password)")
        self.token_url, self.client_id, self._secret = token_url, client_id, client_secret
        self.scope, self.client_auth = scope, client_auth
        self.retry = retry or RetryPolicy()
        self.timeout = timeout
        self._token: str | None = None
        self._lock = threading.Lock()
        self.tokens_fetched = 0

    def headers(self) -> dict[str, str]:
        with self._lock:
            if self._token is None:
                self._token = self.retry.run(self._fetch, f"POST {self.token_url}")
            return {"Authorization": f"Bearer {self._token}"}

    def refresh(self) -> None:
        with self._lock:
            self._token = None

    def _fetch(self) -> str:
        data = {"grant_type": "client_credentials"}
        if self.scope:
            data["scope"] = self.scope
        auth = None
        if self.client_auth == "basic":
            auth = requests.auth.HTTPBasicAuth(self.client_id, self._secret)
        else:
            data.update(client_id=self.client_id, client_secret=self._secret)
        try:
            response = requests.post(self.token_url, data=data, auth=auth, timeout=self.timeout)
        except (requests.ConnectionError, requests.Timeout) as error:
            raise RetriableError(f"token request: {type(error).__name__}") from error
        refused = _oauth_error(response) if response.status_code == 400 else None
        if refused in REFUSED_CLIENT_ERRORS:
            raise VendorError(f"POST {self.token_url}: HTTP 401 ({refused}, answered as HTTP "
                              f"400): the client id or secret is refused "
                              f"{response.text[:300]}".replace("\n", " "))
        classify(response, f"POST {self.token_url}")
        token = response.json().get("access_token")
        if not token:
            raise VendorError(f"POST {self.token_url}: no access_token in the answer")
        self.tokens_fetched += 1
        return token


def _oauth_error(response: requests.Response) -> str | None:
    """The ``error`` code of an RFC 6749 error answer (JSON), if it is one."""
    try:
        answer = response.json()
    except ValueError:
        return None
    return answer.get("error") if isinstance(answer, dict) else None
