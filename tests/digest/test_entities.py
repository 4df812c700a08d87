"""Entities need evidence: models are models, people need person context, misspellings map only when close."""

from __future__ import annotations

from bot.digest.entities import extract_entities, sounds_like


def test_model_names_are_models_not_people() -> None:
    text = (
        "DeepSeek followed R1 with Janus Pro, an image model. Then Claude 3 Opus and GPT-4o were compared, "
        "and Janus Pro came out ahead on price. OpenAI answered with O3."
    )
    found = extract_entities(text)
    assert {"Janus Pro", "Claude 3 Opus", "GPT-4o", "O3", "R1"} <= set(found.models)
    assert found.people == []


def test_a_capitalised_pair_is_a_person_only_with_person_context() -> None:
    text = (
        "Riverside Library opened late. Riverside Library closed early. "
        "Tara Whitfield writes that standards spread. Later, Tara Whitfield said it again."
    )
    assert extract_entities(text).people == ["Tara Whitfield"]


def test_misheard_names_map_to_known_names_and_nothing_is_invented() -> None:
    text = (
        "Dario Amadeh, the chief executive of Anthropic, argued for export controls. Mark Andresen called it "
        "a Sputnik moment. Anthropics Clod 3 Opus is popular, and xAI keeps pushing GROC."
    )
    found = extract_entities(text)
    assert {"Dario Amodei", "Marc Andreessen"} <= set(found.people)
    assert {"Claude 3 Opus", "Grok"} <= set(found.models)
    assert "Anthropic" in found.companies
    assert not {"Dario Amadeh", "Mark Andresen", "Clod 3 Opus", "GROC"} & set(found.all())


def test_a_sound_alike_needs_model_context_and_close_spelling() -> None:
    found = extract_entities("We moved the servers to Google Cloud. A Cloud outage hit Amazon customers.")
    assert found.models == []  # "Cloud" sounds like Claude, but nothing says it is a model
    assert sounds_like("Amadeh", "Amodei") and sounds_like("GROC", "Grok")
    assert not sounds_like("Andrew", "Andreessen") and not sounds_like("Amazing", "Amodei")


def test_a_bare_family_name_is_the_company_or_the_named_version() -> None:
    text = (
        "Mistral's chief executive said Mistral Small 3 runs on one card. Claude Code and Claude 3.7 Sonnet."
    )
    found = extract_entities(text)
    assert "Mistral" not in found.models and "Mistral Small 3" in found.models
    assert "Claude" not in found.models and {"Claude Code", "Claude 3.7 Sonnet"} <= set(found.models)
