from arrears.core.models import Base
from sqlalchemy import inspect


def test_migrations_create_every_model_table(engine):
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_portfolio_builder_round_trip(engine):
    from factories import Portfolio
    from sqlalchemy import text

    p = Portfolio(engine)
    p.lease("00417")
    p.lease("417")
    p.monthly("417", "2025-01", 2)
    p.commit()
    with engine.connect() as conn:
        ids = conn.execute(text("select lease_id from leases order by lease_id")).scalars().all()
        total = conn.execute(text("select sum(amount_cents) from ledger")).scalar_one()
    assert ids == ["00417", "417"]
    assert total == 2 * 600_00
