"""All tables, so Alembic and the audit trail see one metadata."""

from ironwatch.store.tables.access import LoginAttemptRow, TokenRow, TokenUseRow, UserRow
from ironwatch.store.tables.alerts import AlertRow
from ironwatch.store.tables.anomaly import AnomalyBaselineRow
from ironwatch.store.tables.audit import AuditEntryRow
from ironwatch.store.tables.base import Base
from ironwatch.store.tables.detection import CompiledRuleRow, DetectionRuleRow, RuleSetVersionRow
from ironwatch.store.tables.events import EventRow, ParseFailureRow
from ironwatch.store.tables.evidence import CustodyEntryRow, EvidenceRow
from ironwatch.store.tables.incidents import (
    CommentRow,
    IncidentAttachmentRow,
    IncidentMemberRow,
    IncidentRow,
    ObservableRow,
    ReferenceCounterRow,
    TaskRow,
    TransitionRow,
)
from ironwatch.store.tables.intel import IndicatorRow, IndicatorSourceRow
from ironwatch.store.tables.notifications import NotificationRow
from ironwatch.store.tables.obligations import IncidentFactsRow, ObligationRow, ObligationSubmissionRow
from ironwatch.store.tables.plan import PlanVersionRow
from ironwatch.store.tables.reports import ReportRow
from ironwatch.store.tables.respond import ActionRequestRow, PlaybookRunRow, PlaybookVersionRow
from ironwatch.store.tables.review import (
    ActionItemRow,
    ReviewFeedbackRow,
    ReviewRow,
    TimelineEntryRow,
)
from ironwatch.store.tables.triage import (
    AlertGroupRow,
    EscalationRow,
    IncidentTriageRow,
    SlaClockRow,
    SuppressionRow,
)

__all__ = [
    "ActionItemRow",
    "ActionRequestRow",
    "AlertGroupRow",
    "AlertRow",
    "AnomalyBaselineRow",
    "AuditEntryRow",
    "Base",
    "CommentRow",
    "CompiledRuleRow",
    "CustodyEntryRow",
    "DetectionRuleRow",
    "EscalationRow",
    "EventRow",
    "EvidenceRow",
    "IncidentAttachmentRow",
    "IncidentFactsRow",
    "IncidentMemberRow",
    "IncidentRow",
    "IncidentTriageRow",
    "IndicatorRow",
    "IndicatorSourceRow",
    "LoginAttemptRow",
    "NotificationRow",
    "ObligationRow",
    "ObligationSubmissionRow",
    "ObservableRow",
    "ParseFailureRow",
    "PlanVersionRow",
    "PlaybookRunRow",
    "PlaybookVersionRow",
    "ReferenceCounterRow",
    "ReportRow",
    "ReviewFeedbackRow",
    "ReviewRow",
    "RuleSetVersionRow",
    "SlaClockRow",
    "SuppressionRow",
    "TaskRow",
    "TimelineEntryRow",
    "TokenRow",
    "TokenUseRow",
    "TransitionRow",
    "UserRow",
]
