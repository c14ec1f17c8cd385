"""The CLI's HTTP client for a running gateway: JSON in and out, errors turned into one message and an exit code."""

from __future__ import annotations

from typing import Any

import httpx

API_ERROR = 1  # the gateway answered, and refused
USAGE_ERROR = 2  # the command could not be sent: bad arguments, unreadable file, no token, gateway unreachable

TOKEN_HINT = (
    "pass --token or set BOTGATE_TOKEN to a token of the server's BOTGATE_ADMIN_TOKENS "
    "(with none configured, `botgate serve` prints a generated one at start-up)"
)


class CliError(Exception):
    """A command failed; `message` says why and what to do, `exit_code` is what the process exits with, and
    `status` the gateway's HTTP status when it refused the request."""

    def __init__(self, message: str, exit_code: int = API_ERROR, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        self.status = status


class GatewayClient:
    """Talks to one gateway: its admin API with a bearer token, its REST channel without."""

    def __init__(self, url: str, token: str | None, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self._http = httpx.Client(base_url=self.url, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def admin(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Call `/admin/v1{path}` with the token; raise CliError on a refusal or when the gateway is unreachable."""
        if not self.token:
            raise CliError(f"no admin token: {TOKEN_HINT}", USAGE_ERROR)
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return self.call(method, "/admin/v1" + path, headers=headers, **kwargs)

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Any gateway route; raise CliError on a refusal or when the gateway is unreachable."""
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            reason = str(exc) or type(exc).__name__
            raise CliError(
                f"cannot reach the gateway at {self.url} ({reason}); is `botgate serve` running? "
                "(set --url or BOTGATE_URL)",
                USAGE_ERROR,
            ) from None
        if response.is_error:
            raise CliError(describe_error(response), status=response.status_code)
        return response


def describe_error(response: httpx.Response) -> str:
    """The gateway's JSON error as readable lines: status, code, message, then each problem with its path."""
    try:
        error = response.json()["error"]
        lines = [f"{response.status_code} {error['code']}: {error['message']}"]
        details = error.get("details")
    except (ValueError, KeyError, TypeError):
        return f"{response.status_code} {response.reason_phrase}: {response.text[:500]}"
    if isinstance(details, list):
        for item in details:
            if isinstance(item, dict) and "message" in item:
                where = f"{item['path']}: " if item.get("path") else ""
                lines.append(f"  {where}{item['message']}")
    if response.status_code == 401:
        lines.append(f"  {TOKEN_HINT}")
    return "\n".join(lines)
