"""The analyzer built in the background: health answers at once, users of it wait, errors surface."""

from __future__ import annotations

import threading

import pytest

from clausewatch.web.warm import Warming


class Thing:
    answer = 42


def test_attribute_access_waits_until_built():
    go = threading.Event()
    warming = Warming(lambda: (go.wait(10), Thing())[1])
    assert not warming.ready
    seen = []
    reader = threading.Thread(target=lambda: seen.append(warming.answer))
    reader.start()
    reader.join(0.2)
    assert seen == [] and reader.is_alive()  # still waiting for the build
    go.set()
    reader.join(10)
    assert seen == [42] and warming.ready


def test_a_failed_build_is_reported_to_the_callback_and_to_every_user():
    errors = []
    done = threading.Event()

    def build():
        raise ValueError("rules/x.yaml: category: nope")

    warming = Warming(build, on_error=lambda exc: (errors.append(exc), done.set()))
    done.wait(10)
    assert [str(e) for e in errors] == ["rules/x.yaml: category: nope"]
    assert not warming.ready
    with pytest.raises(RuntimeError) as info:
        warming.answer
    assert isinstance(info.value.__cause__, ValueError)


def test_health_says_not_ready_while_rules_compile(settings):
    from clausewatch.web.app import build_server_analyzer, create_app
    go = threading.Event()
    app = create_app(settings, analyzer=Warming(lambda: (go.wait(10), build_server_analyzer(settings))[1]))
    early = app.test_client().get("/api/health").get_json()
    assert early["ready"] is False and early["rules"] is None and early["status"] == "ok"
    go.set()
    app.extensions["clausewatch"].analyzer.get()
    late = app.test_client().get("/api/health").get_json()
    assert late["ready"] is True and late["rules"] > 0


def test_the_encoder_runs_once_in_the_background_after_the_analyzer_is_ready(settings):
    """onnxruntime's first run is paid off the request path, not by the first page."""
    from clausewatch.web.app import build_server_analyzer
    go = threading.Event()
    warming = Warming(build=lambda: build_server_analyzer(settings), then=lambda value: (go.wait(10), value.detector.warm()))
    encoder = warming.get().detector.encoder  # ready, and usable, before the warm-up ran
    if encoder is None:
        pytest.skip("no detector model in this checkout")
    assert warming.ready and not warming.warmed.is_set()
    assert len(encoder._cache) == 0
    go.set()
    assert warming.warmed.wait(30)
    assert len(encoder._cache) == 1


def test_a_failed_warm_up_leaves_the_analyzer_usable():
    def then(value):
        raise ValueError("boom")

    warming = Warming(lambda: Thing(), then=then)
    assert warming.warmed.wait(10)
    assert warming.ready and warming.answer == 42


def test_warmed_is_set_when_there_is_nothing_to_warm():
    assert Warming(lambda: Thing()).warmed.wait(10)
