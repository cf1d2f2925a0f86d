"""contracts: indexes for can-i-deploy's narrowed lookups

can-i-deploy reads the contracts on one provider joined with what runs in one environment, and
the deployments of a few services in one environment; these indexes make both index-only
lookups instead of scans of every contract or every deployment of the environment.

Revision ID: contracts_0002
"""

from __future__ import annotations

from alembic import op

revision = "contracts_0002"
down_revision = "contracts_0001"
branch_labels = None
depends_on = None

_INDEXES = {
    "ix_contracts_consumer_contracts_provider_consumer": (
        "contracts_consumer_contracts",
        ["provider", "consumer", "consumer_version"],
    ),
    "ix_contracts_deployments_service_env": (
        "contracts_deployments",
        ["service", "environment", "active", "version"],
    ),
    "ix_contracts_verifications_consumer": (
        "contracts_verifications",
        ["consumer", "consumer_version"],
    ),
}


def upgrade() -> None:
    for name, (table, columns) in _INDEXES.items():
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, (table, _) in _INDEXES.items():
        op.drop_index(name, table_name=table)
