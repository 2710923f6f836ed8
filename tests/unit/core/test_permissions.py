from pathlib import Path

from ironwatch.core.permissions import ROLE_PERMISSIONS, Permission, Role, permission_table_markdown

DOC = Path(__file__).resolve().parents[3] / "docs" / "security.md"


def test_docs_show_the_permission_table_the_code_enforces() -> None:
    text = DOC.read_text()
    start = text.index("<!-- permission-table:start -->") + len("<!-- permission-table:start -->")
    end = text.index("<!-- permission-table:end -->")
    assert text[start:end].strip() == permission_table_markdown()


def test_least_privilege_for_the_narrow_roles() -> None:
    assert ROLE_PERMISSIONS[Role.SENSOR] == {Permission.EVENTS_INGEST}
    assert Permission.INCIDENT_READ not in ROLE_PERMISSIONS[Role.REPORTER]
    assert not any(
        p.value.endswith(("create", "update", "write", "triage")) for p in ROLE_PERMISSIONS[Role.AUDITOR]
    )
    assert Permission.INCIDENT_READ_RESTRICTED not in ROLE_PERMISSIONS[Role.ADMIN]
