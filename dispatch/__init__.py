"""指挥调度 and 监督考核 (issue 21): events, work orders, their time limits and escalation,
and department scorecards.

* :mod:`dispatch.sla` — the time limits per level (``[dispatch.sla]``) and who the departments are;
* :mod:`dispatch.orders` — events, dispatch and the work-order state machine;
* :mod:`dispatch.escalation` — overdue detection, escalation and its webhooks (a scheduler job);
* :mod:`dispatch.scorecard` — per department and district figures over a period.

Pages, the wall and briefings read these functions; the API is :mod:`api.dispatch`.
"""
