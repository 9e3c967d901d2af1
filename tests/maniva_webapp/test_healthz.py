def test_healthz_ok_with_database_up(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_healthz_503_with_database_stopped(client, db, db_server):
    db_server.stop()
    try:
        response = client.get("/healthz")
    finally:
        db_server.start()
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"
    assert client.get("/healthz").status_code == 200
