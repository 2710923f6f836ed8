"""The ENISA Reference Security Incident Taxonomy (RSIT), the plan's default classification.

Source: ENISA / TF-CSIRT Reference Security Incident Taxonomy Working Group,
https://github.com/enisaeu/Reference-Security-Incident-Taxonomy-Task-Force. Class and type ids are the
RSIT machine-readable values, except two types renamed so that every id is unique across classes and
types: ``other/other`` is ``uncategorised`` and ``test/test`` is ``test-event``.
"""

from __future__ import annotations

TAXONOMY_NAME = "ENISA Reference Security Incident Taxonomy"

# (id, parent class id or None, name, description)
RSIT: tuple[tuple[str, str | None, str, str], ...] = (
    (
        "abusive-content",
        None,
        "Abusive content",
        "Unwanted or offensive content: spam, harmful speech, violence.",
    ),
    (
        "spam",
        "abusive-content",
        "Spam",
        "Unsolicited bulk email: the recipient has not granted verifiable permission for the message, "
        "which is sent as part of a larger collection of messages with functionally comparable content.",
    ),
    (
        "harmful-speech",
        "abusive-content",
        "Harmful speech",
        "Bullying, harassment or discrimination of somebody, e.g. cyber stalking, racism or threats "
        "against one or more individuals.",
    ),
    (
        "violence",
        "abusive-content",
        "Child sexual exploitation, sexual content, violence",
        "Child sexual exploitation (CSE), sexual content, glorification of violence, etc.",
    ),
    (
        "malicious-code",
        None,
        "Malicious code",
        "Software intentionally included or inserted in a system for a harmful purpose.",
    ),
    (
        "infected-system",
        "malicious-code",
        "Infected system",
        "System infected with malware, e.g. a PC, smartphone or server infected with a rootkit; most often "
        "seen as a connection to a sinkholed C2 server.",
    ),
    (
        "c2-server",
        "malicious-code",
        "C2 server",
        "Command-and-control server contacted by malware on infected systems.",
    ),
    (
        "malware-distribution",
        "malicious-code",
        "Malware distribution",
        "URI used for malware distribution, e.g. a download URL in fake-invoice spam or an exploit kit.",
    ),
    (
        "malware-configuration",
        "malicious-code",
        "Malware configuration",
        "URI hosting a malware configuration file, e.g. web-injects for a banking trojan.",
    ),
    ("information-gathering", None, "Information gathering", "Reconnaissance that precedes an attack."),
    (
        "scanner",
        "information-gathering",
        "Scanning",
        "Requests sent to a system to discover weaknesses, including probing for hosts, services and "
        "accounts, e.g. port scanning, DNS querying, SMTP EXPN/RCPT.",
    ),
    (
        "sniffing",
        "information-gathering",
        "Sniffing",
        "Observing and recording network traffic (wiretapping).",
    ),
    (
        "social-engineering",
        "information-gathering",
        "Social engineering",
        "Gathering information from a human being in a non-technical way (lies, tricks, bribes or threats).",
    ),
    (
        "intrusion-attempts",
        None,
        "Intrusion attempts",
        "Attempts to compromise a system or disrupt a service.",
    ),
    (
        "ids-alert",
        "intrusion-attempts",
        "Exploitation of known vulnerabilities",
        "An attempt to compromise a system or disrupt a service by exploiting a vulnerability with a "
        "standardised identifier such as a CVE name (buffer overflow, backdoor, cross-site scripting).",
    ),
    (
        "brute-force",
        "intrusion-attempts",
        "Login attempts",
        "Multiple login attempts, including guessing or cracking passwords and brute-force attacks.",
    ),
    ("exploit", "intrusion-attempts", "New attack signature", "An attack using an unknown exploit."),
    ("intrusions", None, "Intrusions", "A successful compromise of a system, application or account."),
    (
        "privileged-account-compromise",
        "intrusions",
        "Privileged account compromise",
        "Compromise of a system where the attacker gained administrative privileges.",
    ),
    (
        "unprivileged-account-compromise",
        "intrusions",
        "Unprivileged account compromise",
        "Compromise of a system using an unprivileged (user or service) account.",
    ),
    (
        "application-compromise",
        "intrusions",
        "Application compromise",
        "Compromise of an application by exploiting known or unknown vulnerabilities, e.g. SQL injection.",
    ),
    (
        "system-compromise",
        "intrusions",
        "System compromise",
        "Compromise of a system, e.g. unauthorised logins or commands, including attempts on honeypots.",
    ),
    (
        "burglary",
        "intrusions",
        "Burglary",
        "Physical intrusion, e.g. into a corporate building or data centre.",
    ),
    ("availability", None, "Availability", "Loss or degradation of the availability of a service or data."),
    (
        "dos",
        "availability",
        "Denial of service",
        "Denial-of-service attack, e.g. crafted requests that crash or slow down a web application.",
    ),
    (
        "ddos",
        "availability",
        "Distributed denial of service",
        "Distributed denial-of-service attack, e.g. SYN flood or UDP-based reflection/amplification.",
    ),
    (
        "misconfiguration",
        "availability",
        "Misconfiguration",
        "Software misconfiguration causing availability problems, e.g. an outdated DNSSEC root KSK.",
    ),
    ("sabotage", "availability", "Sabotage", "Physical sabotage, e.g. cutting wires or malicious arson."),
    (
        "outage",
        "availability",
        "Outage",
        "Outage caused, e.g., by air-conditioning failure or a natural disaster.",
    ),
    (
        "information-content-security",
        None,
        "Information content security",
        "Loss of confidentiality or integrity of information.",
    ),
    (
        "unauthorised-information-access",
        "information-content-security",
        "Unauthorised access to information",
        "Unauthorised access to information, e.g. with stolen credentials or intercepted traffic.",
    ),
    (
        "unauthorised-information-modification",
        "information-content-security",
        "Unauthorised modification of information",
        "Unauthorised modification of information, e.g. with stolen credentials or by ransomware encrypting "
        "data; includes defacements.",
    ),
    (
        "data-loss",
        "information-content-security",
        "Data loss",
        "Loss of data, e.g. by disk failure or physical theft.",
    ),
    (
        "data-leak",
        "information-content-security",
        "Leak of confidential information",
        "Leaked confidential information such as credentials or personal data.",
    ),
    ("fraud", None, "Fraud", "Deception or misuse for gain."),
    (
        "unauthorised-use-of-resources",
        "fraud",
        "Unauthorised use of resources",
        "Using resources for unauthorised purposes, including profit-making ventures.",
    ),
    (
        "copyright",
        "fraud",
        "Copyright",
        "Offering or installing unlicensed commercial software or other copyright-protected material.",
    ),
    (
        "masquerade",
        "fraud",
        "Masquerade",
        "An entity illegitimately impersonates the identity of another in order to benefit from it.",
    ),
    (
        "phishing",
        "fraud",
        "Phishing",
        "Masquerading as another entity to persuade a user to reveal credentials.",
    ),
    ("vulnerable", None, "Vulnerable", "Weaknesses that could be exploited, found before an attack."),
    (
        "weak-crypto",
        "vulnerable",
        "Weak cryptography",
        "Publicly accessible services offering weak cryptography, e.g. web servers open to POODLE or FREAK.",
    ),
    (
        "ddos-amplifier",
        "vulnerable",
        "DDoS amplifier",
        "Public services that can be abused for DDoS reflection or amplification, e.g. open resolvers.",
    ),
    (
        "potentially-unwanted-accessible",
        "vulnerable",
        "Potentially unwanted accessible services",
        "Potentially unwanted publicly accessible services, e.g. Telnet, RDP or VNC.",
    ),
    (
        "information-disclosure",
        "vulnerable",
        "Information disclosure",
        "Publicly accessible services potentially disclosing sensitive information, e.g. SNMP or Redis.",
    ),
    (
        "vulnerable-system",
        "vulnerable",
        "Vulnerable system",
        "A system vulnerable to certain attacks, e.g. an unpatched, exposed mail server.",
    ),
    ("other", None, "Other", "Incidents that fit no other class."),
    (
        "uncategorised",
        "other",
        "Uncategorised",
        "An incident that fits none of the given categories or is not categorised (RSIT other/other).",
    ),
    (
        "undetermined",
        "other",
        "Undetermined",
        "The categorisation of the incident is unknown or undetermined.",
    ),
    ("test", None, "Test", "Meant for testing."),
    ("test-event", "test", "Test", "Meant for testing (RSIT test/test)."),
)

SPECIAL_HANDLING_BY_DEFAULT = frozenset({"violence"})
"""Types that need special handling whatever the organisation: CSE material goes to law enforcement only."""
