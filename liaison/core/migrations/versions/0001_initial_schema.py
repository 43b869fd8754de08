"""Initial schema: areas, people, visits, needs, follow-ups, users, audit trail, settings.

Revision ID: 0001
Revises: 
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('app_user',
    sa.Column('username', sa.String(length=40), nullable=False),
    sa.Column('display_name', sa.String(length=50), nullable=False),
    sa.Column('role', sa.Enum('village_officer', 'township_staff', 'county_staff', 'admin', name='userrole', native_enum=False, length=24), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('row_version', sa.Integer(), nullable=False),
    sa.Column('origin_device', sa.String(length=36), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_app_user')),
    sa.UniqueConstraint('username', name=op.f('uq_app_user_username'))
    )

    op.create_table('area',
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('level', sa.Enum('county', 'township', 'village', 'group', name='arealevel', native_enum=False, length=24), nullable=False),
    sa.Column('parent_id', sa.Uuid(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('row_version', sa.Integer(), nullable=False),
    sa.Column('origin_device', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['area.id'], name=op.f('fk_area_parent_id_area')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_area')),
    sa.UniqueConstraint('code', name=op.f('uq_area_code'))
    )
    with op.batch_alter_table('area', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_area_parent_id'), ['parent_id'], unique=False)

    op.create_table('audit_event',
    sa.Column('seq', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=True),
    sa.Column('username', sa.String(length=40), nullable=False),
    sa.Column('device_id', sa.String(length=36), nullable=False),
    sa.Column('entity', sa.String(length=40), nullable=False),
    sa.Column('entity_id', sa.Uuid(), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_event')),
    sa.UniqueConstraint('id', name=op.f('uq_audit_event_id'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index('ix_audit_event_entity', ['entity', 'entity_id'], unique=False)

    op.create_table('setting',
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_setting'))
    )

    op.create_table('person',
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('name_sort', sa.String(length=200), nullable=False),
    sa.Column('search_no', sa.Integer(), nullable=False),
    sa.Column('id_number', sa.String(length=18), nullable=False),
    sa.Column('sex', sa.Enum('male', 'female', name='sex', native_enum=False, length=24), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('ethnicity', sa.String(length=20), nullable=True),
    sa.Column('phone', sa.String(length=30), nullable=True),
    sa.Column('area_id', sa.Uuid(), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=True),
    sa.Column('hukou', sa.Enum('rural', 'urban', name='hukoutype', native_enum=False, length=24), nullable=False),
    sa.Column('lives_alone', sa.Boolean(), nullable=False),
    sa.Column('guardian_name', sa.String(length=50), nullable=True),
    sa.Column('guardian_relation', sa.String(length=20), nullable=True),
    sa.Column('guardian_phone', sa.String(length=30), nullable=True),
    sa.Column('cert_number', sa.String(length=20), nullable=True),
    sa.Column('cert_issued_on', sa.Date(), nullable=True),
    sa.Column('cert_valid_until', sa.Date(), nullable=True),
    sa.Column('category', sa.Integer(), nullable=True),
    sa.Column('component_categories', sa.String(length=20), nullable=True),
    sa.Column('grade', sa.Integer(), nullable=True),
    sa.Column('diagnosis', sa.String(length=200), nullable=True),
    sa.Column('diagnosed_on', sa.Date(), nullable=True),
    sa.Column('dibao', sa.Boolean(), nullable=False),
    sa.Column('tekun', sa.Boolean(), nullable=False),
    sa.Column('fanpin_monitor', sa.Boolean(), nullable=False),
    sa.Column('low_income', sa.Boolean(), nullable=False),
    sa.Column('chronic_illness_in_household', sa.Boolean(), nullable=False),
    sa.Column('living_subsidy_receiving', sa.Boolean(), nullable=False),
    sa.Column('living_subsidy_fen', sa.Integer(), nullable=True),
    sa.Column('care_subsidy_receiving', sa.Boolean(), nullable=False),
    sa.Column('care_subsidy_fen', sa.Integer(), nullable=True),
    sa.Column('pension_insured', sa.Boolean(), nullable=False),
    sa.Column('pension_gov_paid', sa.Boolean(), nullable=False),
    sa.Column('medical_insured', sa.Boolean(), nullable=False),
    sa.Column('medical_gov_paid', sa.Boolean(), nullable=False),
    sa.Column('employment_status', sa.Enum('employed', 'seeking', 'unable', 'not_working_age', 'unknown', name='employmentstatus', native_enum=False, length=24), nullable=False),
    sa.Column('employment_form', sa.Enum('quota', 'concentrated', 'self_employed', 'flexible', 'supported', 'public_welfare', 'farming', name='employmentform', native_enum=False, length=24), nullable=True),
    sa.Column('training_wish', sa.String(length=200), nullable=True),
    sa.Column('school_status', sa.Enum('not_applicable', 'preschool', 'regular', 'inclusive', 'special_school', 'home_delivered', 'not_enrolled', name='schoolstatus', native_enum=False, length=24), nullable=False),
    sa.Column('status', sa.Enum('active', 'moved_out', 'deceased', 'cert_cancelled', name='personstatus', native_enum=False, length=24), nullable=False),
    sa.Column('status_on', sa.Date(), nullable=True),
    sa.Column('status_reason', sa.String(length=200), nullable=True),
    sa.Column('registered_on', sa.Date(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('row_version', sa.Integer(), nullable=False),
    sa.Column('origin_device', sa.String(length=36), nullable=False),
    sa.CheckConstraint('category BETWEEN 1 AND 7', name=op.f('ck_person_category_range')),
    sa.CheckConstraint('grade BETWEEN 1 AND 4', name=op.f('ck_person_grade_range')),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], name=op.f('fk_person_area_id_area')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person')),
    sa.UniqueConstraint('cert_number', name=op.f('uq_person_cert_number')),
    sa.UniqueConstraint('id_number', name=op.f('uq_person_id_number')),
    sa.UniqueConstraint('search_no', name=op.f('uq_person_search_no'))
    )
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.create_index('ix_person_area_status', ['area_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_birth_date'), ['birth_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_cert_issued_on'), ['cert_issued_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_cert_valid_until'), ['cert_valid_until'], unique=False)
        batch_op.create_index('ix_person_name_sort', ['name_sort', 'search_no'], unique=False)

    op.create_table('user_area',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('area_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], name=op.f('fk_user_area_area_id_area')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_user_area_user_id_app_user')),
    sa.PrimaryKeyConstraint('user_id', 'area_id', name=op.f('pk_user_area'))
    )

    op.create_table('person_search_term',
    sa.Column('term', sa.String(length=80), nullable=False),
    sa.Column('search_no', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['search_no'], ['person.search_no'], name=op.f('fk_person_search_term_search_no_person')),
    sa.PrimaryKeyConstraint('term', 'search_no', name=op.f('pk_person_search_term')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('person_search_term', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_search_term_search_no'), ['search_no'], unique=False)

    op.create_table('visit',
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('visit_date', sa.Date(), nullable=False),
    sa.Column('kind', sa.Enum('routine', 'hardship', 'annual_survey', 'income_monitoring', 'return_visit', 'condolence', 'first_contact', name='visitkind', native_enum=False, length=24), nullable=False),
    sa.Column('contact_mode', sa.Enum('home', 'in_person', 'phone', 'lost', name='contactmode', native_enum=False, length=24), nullable=False),
    sa.Column('lost_reason', sa.String(length=200), nullable=True),
    sa.Column('visitor_name', sa.String(length=50), nullable=False),
    sa.Column('visitor_user_id', sa.Uuid(), nullable=True),
    sa.Column('findings', sa.Text(), nullable=True),
    sa.Column('safety_risks', sa.Text(), nullable=True),
    sa.Column('household_income_fen', sa.Integer(), nullable=True),
    sa.Column('household_size', sa.Integer(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('row_version', sa.Integer(), nullable=False),
    sa.Column('origin_device', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_visit_person_id_person')),
    sa.ForeignKeyConstraint(['visitor_user_id'], ['app_user.id'], name=op.f('fk_visit_visitor_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit'))
    )
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.create_index('ix_visit_date', ['visit_date'], unique=False)
        batch_op.create_index('ix_visit_person_date', ['person_id', 'visit_date'], unique=False)

    op.create_table('need',
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.Enum('rehabilitation', 'assistive_device', 'home_modification', 'care', 'training', 'employment', 'legal_aid', 'education', 'living_assistance', 'other', name='needkind', native_enum=False, length=24), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('raised_on', sa.Date(), nullable=False),
    sa.Column('raised_visit_id', sa.Uuid(), nullable=True),
    sa.Column('status', sa.Enum('open', 'referred', 'in_service', 'met', 'declined', 'unreachable', name='needstatus', native_enum=False, length=24), nullable=False),
    sa.Column('status_on', sa.Date(), nullable=False),
    sa.Column('resolved_on', sa.Date(), nullable=True),
    sa.Column('resolution', sa.String(length=200), nullable=True),
    sa.Column('resolved_visit_id', sa.Uuid(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('row_version', sa.Integer(), nullable=False),
    sa.Column('origin_device', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_need_person_id_person')),
    sa.ForeignKeyConstraint(['raised_visit_id'], ['visit.id'], name=op.f('fk_need_raised_visit_id_visit')),
    sa.ForeignKeyConstraint(['resolved_visit_id'], ['visit.id'], name=op.f('fk_need_resolved_visit_id_visit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_need'))
    )
    with op.batch_alter_table('need', schema=None) as batch_op:
        batch_op.create_index('ix_need_person_status', ['person_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_need_raised_visit_id'), ['raised_visit_id'], unique=False)
        batch_op.create_index('ix_need_status_raised', ['status', 'raised_on'], unique=False)

    op.create_table('follow_up',
    sa.Column('visit_id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('need_id', sa.Uuid(), nullable=True),
    sa.Column('action', sa.String(length=200), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('open', 'done', 'cancelled', name='followupstatus', native_enum=False, length=24), nullable=False),
    sa.Column('done_on', sa.Date(), nullable=True),
    sa.Column('outcome', sa.String(length=200), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('row_version', sa.Integer(), nullable=False),
    sa.Column('origin_device', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['need_id'], ['need.id'], name=op.f('fk_follow_up_need_id_need')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_follow_up_person_id_person')),
    sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], name=op.f('fk_follow_up_visit_id_visit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_up'))
    )
    with op.batch_alter_table('follow_up', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follow_up_person_id'), ['person_id'], unique=False)
        batch_op.create_index('ix_follow_up_status_due', ['status', 'due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_follow_up_visit_id'), ['visit_id'], unique=False)


def downgrade() -> None:
    op.drop_table("follow_up")
    op.drop_table("need")
    op.drop_table("visit")
    op.drop_table("person_search_term")
    op.drop_table("user_area")
    op.drop_table("person")
    op.drop_table("setting")
    op.drop_table("audit_event")
    op.drop_table("area")
    op.drop_table("app_user")
