"""Ledgers kept under the ordinance: the personal video information management ledger
(개인영상정보 관리대장, ORD-33, PIPA-5) and the visitor ledger (출입자 관리대장, ORD-22.2,
PIPA-6). Design: docs/design/ledgers.md."""
