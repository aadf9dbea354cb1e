"""dispatch (issue 21): events, work_orders, order_events, attachments

Events (事件) from warnings or reported by hand; one work order (工单) per department
dispatched, with its deadlines and a version for conditional updates; every transition,
reminder, extension, escalation and notification of an order; attachment metadata.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

import store.types

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('category', sa.String(length=64), nullable=False),
    sa.Column('district', sa.String(length=64), nullable=False),
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('warning_id', sa.Integer(), nullable=True),
    sa.Column('origin', sa.String(length=16), nullable=False),
    sa.Column('reported_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['warning_id'], ['warnings.id'], name=op.f('fk_events_warning_id_warnings'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events')),
    sa.UniqueConstraint('warning_id', name='uq_events_warning_id')
    )
    op.create_index(op.f('ix_events_district'), 'events', ['district'], unique=False)
    op.create_table('work_orders',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('department', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=8), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('dispatched_by', sa.String(length=64), nullable=False),
    sa.Column('dispatched_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('respond_by', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('resolve_by', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('returned_at', store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('result', sa.Text(), nullable=True),
    sa.Column('reopened', sa.Integer(), nullable=False),
    sa.Column('extension_until', store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('respond_escalation', sa.Integer(), nullable=False),
    sa.Column('resolve_escalation', sa.Integer(), nullable=False),
    sa.Column('redispatch_of', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_work_orders_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['redispatch_of'], ['work_orders.id'], name=op.f('fk_work_orders_redispatch_of_work_orders'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_orders'))
    )
    op.create_index(op.f('ix_work_orders_department'), 'work_orders', ['department'], unique=False)
    op.create_index(op.f('ix_work_orders_event_id'), 'work_orders', ['event_id'], unique=False)
    op.create_index(op.f('ix_work_orders_state'), 'work_orders', ['state'], unique=False)
    op.create_table('attachments',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('path', sa.String(length=500), nullable=True),
    sa.Column('url', sa.String(length=1000), nullable=True),
    sa.Column('uploaded_by', sa.String(length=64), nullable=False),
    sa.Column('uploaded_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_attachments_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'], name=op.f('fk_attachments_order_id_work_orders'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments'))
    )
    op.create_index(op.f('ix_attachments_event_id'), 'attachments', ['event_id'], unique=False)
    op.create_table('order_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('from_state', sa.String(length=16), nullable=True),
    sa.Column('to_state', sa.String(length=16), nullable=True),
    sa.Column('actor', sa.String(length=64), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('detail', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'], name=op.f('fk_order_events_order_id_work_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_events'))
    )
    op.create_index(op.f('ix_order_events_order_id'), 'order_events', ['order_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_order_events_order_id'), table_name='order_events')
    op.drop_table('order_events')
    op.drop_index(op.f('ix_attachments_event_id'), table_name='attachments')
    op.drop_table('attachments')
    op.drop_index(op.f('ix_work_orders_state'), table_name='work_orders')
    op.drop_index(op.f('ix_work_orders_event_id'), table_name='work_orders')
    op.drop_index(op.f('ix_work_orders_department'), table_name='work_orders')
    op.drop_table('work_orders')
    op.drop_index(op.f('ix_events_district'), table_name='events')
    op.drop_table('events')
