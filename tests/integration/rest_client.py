"""A client of the REST contract, and nothing else: what a role's client app does."""
from __future__ import annotations

import requests


class ApiError(AssertionError):
    pass


class Client:
    def __init__(self, base_url: str, username: str, password: str):
        self.base = base_url
        self.username = username
        self.http = requests.Session()
        token = self.http.post(f"{base_url}/api/v1/auth/token",
                               json={"username": username, "password": password}, timeout=30)
        self._check(token, 200)
        self.http.headers["Authorization"] = f"Bearer {token.json()['access_token']}"

    @staticmethod
    def _check(response, status: int):
        if response.status_code != status:
            raise ApiError(f"{response.request.method} {response.url}: expected {status}, got "
                           f"{response.status_code}: {response.text[:500]}")

    def get(self, path: str, status: int = 200, **params):
        response = self.http.get(f"{self.base}/api/v1{path}", params=params, timeout=30)
        self._check(response, status)
        return response.json() if response.headers.get("Content-Type", "").endswith("json") \
            else response.content

    def post(self, path: str, body: dict | None = None, status: int = 200, files=None):
        response = self.http.post(f"{self.base}/api/v1{path}", json=body if files is None else None,
                                  files=files, timeout=60)
        self._check(response, status)
        return response.json() if response.content else None

    def open_task_ids(self, **params) -> set[str]:
        return {t["id"] for t in self.get("/tasks", limit=500, **params)["items"]}
