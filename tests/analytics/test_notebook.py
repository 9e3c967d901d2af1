import os
from pathlib import Path

import nbformat
from django.conf import settings
from nbclient import NotebookClient

NOTEBOOK = Path(settings.BASE_DIR) / "notebooks" / "analytics.ipynb"


def test_notebook_runs_against_the_test_database(make_message, monkeypatch):
    for i in range(6):
        make_message(f"A Shopify store with online payments, shop number {i}", status="won")
        make_message(f"Search ranking and SEO keywords for our clinic {i}", status="lost", kind="consultation")
    make_message("Free prize, click now", spam_label="spam", is_spam=True)
    # The kernel inherits this process's environment: MONGODB_URI points at the suite's server.
    monkeypatch.setenv("ANALYTICS_DB_NAME", settings.DATABASES["default"]["NAME"])
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(settings.BASE_DIR)}}).execute()
    outputs = "".join(
        output.get("text", "") for cell in notebook.cells if cell.cell_type == "code" for output in cell.get("outputs", [])
    )
    assert f"database {settings.DATABASES['default']['NAME']}: 13 messages" in outputs
    assert "won" in outputs and "shopify" in outputs
    images = [o for cell in notebook.cells for o in cell.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(images) >= 4
    assert "1 labelled messages: {'spam': 1}" in outputs
    assert os.environ["MONGODB_URI"]
