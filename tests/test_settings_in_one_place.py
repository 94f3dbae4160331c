"""The environment is read in one place: credgraph/settings.py (issue 15, "settings in one place").

Every other product module takes its configuration from a
:class:`credgraph.settings.Settings` passed in. A secret named by configuration
(``password_env`` of the sealing keys, ``credgraph issue --password-env``) is
looked up by :func:`credgraph.settings.read_secret`, in that same module. This
test reads the product code (ast) and names every file:line that reads
``os.environ``, ``os.getenv`` or ``os.environb`` (also imported by name) elsewhere.
"""

from __future__ import annotations

import ast
from pathlib import Path

from credgraph.settings import Endpoints, Settings, read_secret

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ["credgraph", "api", "graph", "site", "demo", "vocabularies", "queries"]
THE_ONE_PLACE = "credgraph/settings.py"
NAMES = {"environ", "getenv", "environb", "getenvb", "putenv", "unsetenv"}


def environment_reads(source: str) -> list[int]:
    """Lines of ``source`` that touch the process environment through the os module."""
    tree = ast.parse(source)
    os_names = {"os"}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            os_names |= {a.asname or a.name for a in node.names if a.name == "os"}
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            found += [node.lineno for a in node.names if a.name in NAMES]
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and node.attr in NAMES and isinstance(node.value, ast.Name)
                and node.value.id in os_names):
            found.append(node.lineno)
    return sorted(found)


def test_the_check_finds_each_kind_of_read():
    source = ("import os\nimport os as system\nfrom os import environ\n"
              "a = os.environ.get('X')\nb = os.getenv('X')\nc = system.environ['X']\nd = os.path.join('a')\n")
    assert environment_reads(source) == [3, 4, 5, 6]


def test_no_product_module_but_settings_reads_the_environment():
    files = [p for folder in PRODUCT for p in sorted((ROOT / folder).rglob("*.py"))]
    assert len(files) > 50
    found = []
    for path in files:
        relative = path.relative_to(ROOT).as_posix()
        if relative == THE_ONE_PLACE:
            continue
        found += [f"{relative}:{line}" for line in environment_reads(path.read_text(encoding="utf-8"))]
    assert not found, "read the environment in credgraph/settings.py and pass Settings in:\n" + "\n".join(found)


def test_each_former_read_is_a_setting():
    env = {"CREDGRAPH_REMOTE_TIMEOUT": "12", "CREDGRAPH_REMOTE_UPDATE_TIMEOUT": "34", "CREDGRAPH_MEMO_CHECK_EVERY": "7",
           "CREDGRAPH_TRUST_ANCHORS": "/etc/anchors.pem", "CREDGRAPH_SEALING_KEYS": "/etc/seal-keys.json",
           "CREDGRAPH_API_MAX_QUERY_DEPTH": "50", "CREDGRAPH_PUBLIC_BASE": "https://cg.example/",
           "CREDGRAPH_PRIVATE_STORE": "http://127.0.0.1:9/", "CREDGRAPH_STORE": "http://127.0.0.1:8/"}
    settings = Settings.from_env(env)
    assert (settings.endpoints.timeout_s, settings.endpoints.update_timeout_s) == (12, 34)
    assert settings.private_endpoints.timeout_s == 12  # every remote store
    assert settings.memo_check_every == 7
    assert str(settings.trust_anchors) == "/etc/anchors.pem"
    assert str(settings.sealing_keys_file) == "/etc/seal-keys.json"
    assert settings.public_base == "https://cg.example"
    from credgraph.api.config import ApiSettings

    api = ApiSettings.for_workspace(settings)
    assert (api.max_query_depth, api.public_base) == (50, "https://cg.example")
    defaults = Settings.from_env({})
    assert (defaults.endpoints.timeout_s, defaults.endpoints.update_timeout_s) == (Endpoints.timeout_s, 1800)
    assert defaults.sealing_keys_file == defaults.data_dir / "sealing-keys.json"


def test_remote_store_gets_its_timeouts_passed_in():
    from credgraph.graph.store.interface import open_store

    settings = Settings.from_env({"CREDGRAPH_STORE": "http://127.0.0.1:9", "CREDGRAPH_REMOTE_TIMEOUT": "3"})
    remote = open_store(settings.store, endpoints=settings.endpoints)
    assert (remote.timeout_s, remote.update_timeout_s) == (3, 1800)


def test_memo_check_every_is_passed_in_by_the_workspace(tmp_path, monkeypatch):
    from credgraph.graph.sources import memo_check
    from credgraph.graph.workspace import Workspace

    monkeypatch.setattr(memo_check, "EVERY", 200)
    Workspace(Settings(data_dir=tmp_path, store="memory:", memo_check_every=3)).close()
    assert memo_check.EVERY == 3
    Workspace(Settings(data_dir=tmp_path, store="memory:")).close()  # not set: left as it is
    assert memo_check.EVERY == 3


def test_a_secret_is_looked_up_by_the_name_configuration_gives():
    assert read_secret("HS_SEAL_PASSWORD", {"HS_SEAL_PASSWORD": "s3cret"}) == "s3cret"
    assert read_secret("HS_SEAL_PASSWORD", {}) is None
