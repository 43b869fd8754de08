"""Case tables: institutions, home-modification cases and items, rehab referrals, case events.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('case_event',
    sa.Column('case_type', sa.String(length=20), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('from_state', sa.String(length=24), nullable=True),
    sa.Column('to_state', sa.String(length=24), nullable=False),
    sa.Column('on_date', sa.Date(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('by_user', sa.String(length=50), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('row_version', sa.Integer(), nullable=False),
    sa.Column('origin_device', sa.String(length=36), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_event'))
    )
    with op.batch_alter_table('case_event', schema=None) as batch_op:
        batch_op.create_index('ix_case_event_case', ['case_type', 'case_id'], unique=False)

    op.create_table('institution',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=True),
    sa.Column('area_id', sa.Uuid(), nullable=True),
    sa.Column('address', sa.String(length=200), nullable=True),
    sa.Column('phone', sa.String(length=30), nullable=True),
    sa.Column('service_kinds', sa.String(length=200), nullable=False),
    sa.Column('designated', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('row_version', sa.Integer(), nullable=False),
    sa.Column('origin_device', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], name=op.f('fk_institution_area_id_area')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_institution')),
    sa.UniqueConstraint('code', name=op.f('uq_institution_code'))
    )

    op.create_table('modification_case',
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('need_id', sa.Uuid(), nullable=True),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('stage', sa.Enum('applied', 'assessed', 'plan_confirmed', 'construction', 'accepted', 'closed', 'ineligible', 'terminated', name='modificationstage', native_enum=False, length=24), nullable=False),
    sa.Column('stage_on', sa.Date(), nullable=False),
    sa.Column('applied_on', sa.Date(), nullable=False),
    sa.Column('contractor', sa.String(length=100), nullable=True),
    sa.Column('construction_started_on', sa.Date(), nullable=True),
    sa.Column('estimate_fen', sa.Integer(), nullable=True),
    sa.Column('actual_cost_fen', sa.Integer(), nullable=True),
    sa.Column('accepted_on', sa.Date(), nullable=True),
    sa.Column('acceptance_result', sa.String(length=200), nullable=True),
    sa.Column('accepted_by', sa.String(length=50), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('end_reason', sa.String(length=200), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('row_version', sa.Integer(), nullable=False),
    sa.Column('origin_device', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['need_id'], ['need.id'], name=op.f('fk_modification_case_need_id_need')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_modification_case_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_modification_case'))
    )
    with op.batch_alter_table('modification_case', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_modification_case_person_id'), ['person_id'], unique=False)
        batch_op.create_index('ix_modification_case_year_stage', ['year', 'stage'], unique=False)

    op.create_table('rehab_referral',
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('need_id', sa.Uuid(), nullable=False),
    sa.Column('institution_id', sa.Uuid(), nullable=True),
    sa.Column('service_kind', sa.Enum('rehab_training', 'surgery', 'device_fitting', 'home_rehab', 'psychiatric_medication', 'community_rehab', name='referralservicekind', native_enum=False, length=24), nullable=False),
    sa.Column('state', sa.Enum('referred', 'accepted', 'in_service', 'completed', 'not_completed', 'not_accepted', name='referralstate', native_enum=False, length=24), nullable=False),
    sa.Column('state_on', sa.Date(), nullable=False),
    sa.Column('referred_on', sa.Date(), nullable=False),
    sa.Column('accepted_on', sa.Date(), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('cost_fen', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.Text(), nullable=True),
    sa.Column('not_accepted_reason', sa.String(length=200), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('row_version', sa.Integer(), nullable=False),
    sa.Column('origin_device', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institution.id'], name=op.f('fk_rehab_referral_institution_id_institution')),
    sa.ForeignKeyConstraint(['need_id'], ['need.id'], name=op.f('fk_rehab_referral_need_id_need')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_rehab_referral_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rehab_referral'))
    )
    with op.batch_alter_table('rehab_referral', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rehab_referral_person_id'), ['person_id'], unique=False)
        batch_op.create_index('ix_rehab_referral_state', ['state'], unique=False)

    op.create_table('modification_item',
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('item_code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=10), nullable=True),
    sa.Column('unit_cost_fen', sa.Integer(), nullable=False),
    sa.Column('estimate_fen', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('row_version', sa.Integer(), nullable=False),
    sa.Column('origin_device', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['modification_case.id'], name=op.f('fk_modification_item_case_id_modification_case')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_modification_item'))
    )
    with op.batch_alter_table('modification_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_modification_item_case_id'), ['case_id'], unique=False)


def downgrade() -> None:
    op.drop_table("modification_item")
    op.drop_table("rehab_referral")
    op.drop_table("modification_case")
    op.drop_table("institution")
    op.drop_table("case_event")
