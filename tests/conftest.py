import pytest


@pytest.fixture(scope="session")
def rules():
    """Rules-only analyzer (no classifier): the rule engine alone."""
    from complaint_nlp.analyzer import Analyzer

    return Analyzer.load(model=False)


@pytest.fixture(scope="session")
def analyzer():
    """The shipped default analyzer (model + rules)."""
    from complaint_nlp.analyzer import Analyzer

    return Analyzer.load()


@pytest.fixture(scope="session")
def corpus_texts():
    """Every message of our labeled corpus, as written (raw, not normalised)."""
    import csv
    from pathlib import Path

    with open(Path(__file__).resolve().parent.parent / "data" / "labeled" / "corpus.csv", encoding="utf-8") as f:
        return [r["text"] for r in csv.DictReader(f)]
