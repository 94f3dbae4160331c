"""One Settings object (issue #13, item 4): each store its own endpoints; a private store never at the public one's place."""

from __future__ import annotations

import pytest

from credgraph.cli import main
from credgraph.graph.workspace import Workspace
from credgraph.settings import Settings, SettingsError

FUSEKI = {  # the README's recipe for a server that does not follow Oxigraph's layout
    "CREDGRAPH_STORE": "http://127.0.0.1:3030/ds",
    "CREDGRAPH_QUERY_URL": "http://127.0.0.1:3030/ds/sparql",
    "CREDGRAPH_UPDATE_URL": "http://127.0.0.1:3030/ds/update",
    "CREDGRAPH_GSP_URL": "http://127.0.0.1:3030/ds/data",
}


def test_the_documented_recipe_with_a_remote_private_store_keeps_the_stores_apart(tmp_path):
    """The finding: with this configuration ws.private.update_url was the public store's update endpoint."""
    env = {**FUSEKI, "CREDGRAPH_DATA": str(tmp_path), "CREDGRAPH_PRIVATE_STORE": "http://127.0.0.1:3031/private"}
    ws = Workspace(Settings.from_env(env))
    try:
        assert ws.store.update_url == "http://127.0.0.1:3030/ds/update"
        assert (ws.private.query_url, ws.private.update_url, ws.private.gsp_url) == (
            "http://127.0.0.1:3031/private/query", "http://127.0.0.1:3031/private/update", "http://127.0.0.1:3031/private/store")
    finally:
        ws.close()


def test_private_endpoints_are_named_by_their_own_variables(tmp_path):
    env = {"CREDGRAPH_DATA": str(tmp_path), "CREDGRAPH_STORE": "http://127.0.0.1:3030/ds",
           "CREDGRAPH_PRIVATE_STORE": "http://127.0.0.1:3031/p",
           "CREDGRAPH_PRIVATE_UPDATE_URL": "http://127.0.0.1:3031/p/update-here"}
    ws = Workspace(Settings.from_env(env))
    try:
        assert ws.private.update_url == "http://127.0.0.1:3031/p/update-here"
        assert ws.store.update_url == "http://127.0.0.1:3030/ds/update"
    finally:
        ws.close()


@pytest.mark.parametrize("env, message", [
    # Public overrides with an embedded public store: only the (remote) private store could take them.
    ({"CREDGRAPH_PRIVATE_STORE": "http://127.0.0.1:3031/p", "CREDGRAPH_UPDATE_URL": "http://127.0.0.1:3030/ds/update"},
     "CREDGRAPH_UPDATE_URL name endpoints of a remote public store"),
    # The private store at the public store's address (spelt differently).
    ({"CREDGRAPH_STORE": "http://127.0.0.1:7878", "CREDGRAPH_PRIVATE_STORE": "http://localhost:7878/"},
     "the private store (http://localhost:7878/) is configured at the same place as the public store"),
    # ... or reaching one of its endpoints through an override.
    ({**FUSEKI, "CREDGRAPH_PRIVATE_STORE": "http://127.0.0.1:3031/p",
      "CREDGRAPH_PRIVATE_UPDATE_URL": "http://127.0.0.1:3030/ds/update"}, "the private store"),
    # The same directory for both embedded stores.
    ({"CREDGRAPH_STORE": "{tmp}/one", "CREDGRAPH_PRIVATE_STORE": "oxigraph://{tmp}/one/"}, "same place as the public store"),
    ({"CREDGRAPH_PRIVATE_STORE": "{tmp}/store"}, "same place as the public store"),  # the public default
    ({"CREDGRAPH_STORE": "http://127.0.0.1:7878", "CREDGRAPH_RESEARCH_STORE": "http://127.0.0.1:7878"},
     "the research store"),
    ({"CREDGRAPH_PRIVATE_QUERY_URL": "http://127.0.0.1:1/q"}, "the private store is"),
])
def test_unsafe_configurations_are_refused_at_start(tmp_path, capsys, monkeypatch, env, message):
    env = {k: v.replace("{tmp}", str(tmp_path)) for k, v in {"CREDGRAPH_DATA": str(tmp_path), **env}.items()}
    with pytest.raises(SettingsError, match="^.*" + message.split("(")[0]):
        Settings.from_env(env)
    for name in list(k for k in __import__("os").environ if k.startswith("CREDGRAPH_")):
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["graphs"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("credgraph: error: ") and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "private").exists()  # nothing was opened


def test_settings_made_in_code_are_checked_too(tmp_path):
    with pytest.raises(SettingsError, match="same place as the public store"):
        Workspace(Settings(data_dir=tmp_path, store=str(tmp_path / "s"), private_store=str(tmp_path / "s")))


def test_api_limits_come_from_the_settings(tmp_path):
    from credgraph.api.config import ApiSettings

    settings = Settings.from_env({"CREDGRAPH_DATA": str(tmp_path), "CREDGRAPH_API_ROW_CAP": "77",
                                  "CREDGRAPH_API_KEYS": str(tmp_path / "k.json")})
    api = ApiSettings.for_workspace(settings)
    assert (api.row_cap, api.keys_file) == (77, tmp_path / "k.json")
    with pytest.raises(SettingsError, match="CREDGRAPH_API_ROW_CAP='many' is not a int"):
        Settings.from_env({"CREDGRAPH_API_ROW_CAP": "many"})
