"""The running UI through a real HTTP client: with auth on, the page, the API and the files all need it;
no route serves a file from outside what Gradio itself cached; the server binds to 127.0.0.1.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
USER, PASSWORD = "ann", "s3cret-pw"
ARTICLE = "The Valdoria ferry operator added three electric boats this winter, its spokeswoman Mara Quell said."


@pytest.fixture(scope="module")
def server(tmp_path_factory, embedder, free_port):
    from qa_bot.pipeline import QABot
    from qa_bot.runtime import configure_offline_runtime
    from qa_bot.settings import Settings
    from ui.app import build_app, launch_kwargs

    data_dir = tmp_path_factory.mktemp("web-data")
    settings = Settings(data_dir=data_dir, llm_backend="none", mode="extractive", ui_port=free_port(),
                        ui_auth=f"{USER}:{PASSWORD}")
    configure_offline_runtime(settings)
    bot = QABot(settings)
    bot.components.__dict__["embedder"] = embedder
    (data_dir / "ferry.txt").write_text(ARTICLE)
    assert not bot.components.ingestor.ingest([data_dir / "ferry.txt"], progress=False).errors
    demo = build_app(settings, bot)
    demo.launch(prevent_thread_lock=True, **launch_kwargs(settings))
    yield {"url": f"http://127.0.0.1:{settings.ui_port}", "settings": settings}
    demo.close()


@pytest.fixture
def anon(server):
    import httpx

    with httpx.Client(base_url=server["url"], timeout=60) as client:
        yield client


@pytest.fixture
def user(server):
    import httpx

    with httpx.Client(base_url=server["url"], timeout=60) as client:
        r = client.post("/login", data={"username": USER, "password": PASSWORD})
        assert r.status_code == 200, r.text
        yield client


def test_binds_to_loopback_by_default(server):
    from qa_bot.settings import Settings
    from ui.app import launch_kwargs

    assert launch_kwargs(Settings())["server_name"] == "127.0.0.1"
    assert server["settings"].ui_host == "127.0.0.1"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:  # this machine's outward address (nothing is sent)
        s.connect(("10.255.255.255", 1))
        outward = s.getsockname()[0]
    assert not outward.startswith("127.")
    with socket.socket() as s:
        s.settimeout(2)
        assert s.connect_ex((outward, server["settings"].ui_port)) != 0  # not reachable from outside


def test_wrong_password_is_refused(anon):
    assert anon.post("/login", data={"username": USER, "password": "nope"}).status_code in (400, 401)


@pytest.mark.parametrize("method,path", [
    ("GET", "/config"),
    ("GET", "/gradio_api/info"),
    ("POST", "/gradio_api/call/ask"),
    ("POST", "/gradio_api/call/chat"),
    ("POST", "/gradio_api/queue/join"),
    ("POST", "/gradio_api/upload"),
])
def test_api_needs_auth(anon, user, method, path):
    body = {"data": ["Who added electric boats?"], "fn_index": 0, "session_hash": "x"}
    if path.endswith("upload"):
        r = anon.post(path, files={"files": ("a.txt", b"hello")})
    else:
        r = anon.request(method, path, json=body)
    assert r.status_code in (401, 403), (path, r.status_code)


def test_page_needs_auth(anon, user):
    page = anon.get("/").text
    assert "ask your news articles" not in page  # the login form, not the app
    assert "ask your news articles" in user.get("/config").text


def test_ask_endpoint_answers_a_logged_in_client(server):
    from gradio_client import Client

    client = Client(server["url"], auth=(USER, PASSWORD), verbose=False)
    result = client.predict("Who added electric boats to the Valdoria ferry?", api_name="/ask")
    assert not result["refused"] and "electric boats" in result["answer"]
    with pytest.raises(Exception):
        Client(server["url"], verbose=False).predict("Who added electric boats?", api_name="/ask")


def test_uploaded_files_need_auth_and_nothing_outside_is_served(server, anon, user):
    r = user.post("/gradio_api/upload", files={"files": ("note.txt", ARTICLE.encode())})
    assert r.status_code == 200, r.text
    uploaded = r.json()[0]
    assert user.get(f"/gradio_api/file={uploaded}").text == ARTICLE
    assert anon.get(f"/gradio_api/file={uploaded}").status_code in (401, 403)
    data = server["settings"].data_dir
    repo = Path(__file__).resolve().parents[1]  # the working directory when the UI is started from the repo
    for path in ("/etc/passwd", f"{data}/chroma/chroma.sqlite3", f"{data}/ferry.txt", f"{repo}/pyproject.toml",
                 "pyproject.toml", f"{repo}/.qa-bot-data/embedder/backend.json",
                 f"{uploaded}/../../../../etc/passwd", "../../../../etc/passwd"):
        r = user.get(f"/gradio_api/file={path}")
        assert r.status_code in (403, 404), (path, r.status_code)
        assert "root:" not in r.text and "SQLite" not in r.text and "[project]" not in r.text


def test_ingest_handler_cannot_be_pointed_at_a_server_file(server, user):
    """A hand-made queue call that names a server path as the "uploaded" file ingests nothing."""
    config = user.get("/config").json()
    upload_id = next(c["id"] for c in config["components"] if c.get("props", {}).get("elem_id") == "qa-upload")
    dep = next(d for d in config["dependencies"] if d.get("inputs") == [upload_id])
    secret = server["settings"].data_dir.parent / "secret-note.txt"
    secret.write_text("The vault code is 4711, said nobody who should be quoted by the bot.")
    store = server["settings"].data_dir / "chroma"
    before = sorted(p.name for p in (server["settings"].data_dir / "uploads").glob("*")) \
        if (server["settings"].data_dir / "uploads").exists() else []
    payload = {"data": [[{"path": str(secret), "orig_name": "secret-note.txt", "meta": {"_type": "gradio.FileData"}}]],
               "fn_index": dep["id"], "trigger_id": None, "session_hash": "probe-path", "event_data": None}
    r = user.post("/gradio_api/queue/join", json=payload)
    assert r.status_code == 200, r.text  # the call is queued ...
    with user.stream("GET", "/gradio_api/queue/data", params={"session_hash": "probe-path"}) as events:
        done = next(json.loads(line[5:]) for line in events.iter_lines() if '"process_completed"' in line)
    assert done["success"] is False  # ... and refused: Gradio only hands handlers files from its upload folder
    uploads = server["settings"].data_dir / "uploads"
    after = sorted(p.name for p in uploads.glob("*")) if uploads.exists() else []
    assert after == before and store.exists()
