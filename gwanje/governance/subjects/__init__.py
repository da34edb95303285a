"""Data-subject requests (정보주체의 열람등 청구; ORD-26.3, ORD-29, PIPA-4).

A person seen by the city's cameras asks to have the existence of their footage
confirmed (존재확인), to view it (열람), or to have it corrected (정정) or deleted (삭제).
This package owns the request from intake (a public form or staff) to closing: identity
checked by staff, the 10-day decision clock and its overdue alarm, the decisions (grant,
postpone, refuse on an ORD-29.3 ground only), the masked clip's release, the legal hold
on the footage, form 1 and the result notice as PDF. Design: docs/design/subject-requests.md.
"""
