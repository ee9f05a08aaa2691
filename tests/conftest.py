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
