"""The collections analytics keeps with pymongo are read newest first through an index that the
migration makes (analytics 0001), not one each write asks for again."""
from django.db import connection
from pymongo import DESCENDING

from analytics.intent import intent_model_latest, intent_model_train


def test_the_newest_intent_model_is_found_through_the_migrated_index(db):
    assert any(index["key"] == {"created_at": DESCENDING}
               for index in connection.get_collection("analytics_report").list_indexes())
    intent_model_train()
    intent_model_train()
    plan = connection.get_collection("analytics_intent_model").find({}, {"model": 0}).sort("created_at", DESCENDING).limit(1).explain()
    stages, stage = [], plan["queryPlanner"]["winningPlan"]
    while stage:
        stages.append(stage.get("stage"))
        stage = stage.get("inputStage")
    assert "IXSCAN" in stages, stages
    assert intent_model_latest() is not None
